"""Clock, hosts and packets of a scenario: the Site (the story's epoch,
length and Windows domain) and the Windows time formats, one Host per
machine, the Capture (Ethernet, IPv4, TCP and UDP with checksums, as the
core switch's SPAN port shows them, written as a pcap) and TCP connections
whose sequence and acknowledgement numbers add up."""
import calendar
import hashlib
import os
import struct
import time
import uuid


FILETIME_UNIX = 11644473600

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


class Site:
    """What one story fixes for every layer: the capture's epoch (UTC) and
    length in seconds of packet time, the Active Directory domain (NetBIOS
    name, DNS name, Kerberos realm), its AD site name and the NTP server's
    upstream (its reference id). A story calls use() once, before writing
    any packet; the layers read the current one through SITE."""

    def __init__(self, epoch, duration, domain, dns_domain, ad_site, ntp_ref):
        self.epoch = calendar.timegm(epoch)
        self.duration = duration
        self.domain = domain
        self.dns_domain = dns_domain
        self.realm = dns_domain.upper()
        self.ad_site = ad_site
        self.ntp_ref = bytes(int(x) for x in ntp_ref.split('.'))

    def use(self):
        SITE.__dict__.update(self.__dict__)
        return SITE

    def base_dn(self):
        """The domain's naming context: DC=agglo,DC=local."""
        return ','.join('DC=' + p for p in self.dns_domain.split('.'))


# The site every layer reads; a story's Site.use() fills it in.
SITE = Site((1970, 1, 1, 0, 0, 0), 0.0, 'WORKGROUP', 'local', 'Default-First-Site-Name', '0.0.0.0')


def filetime(t):
    """MS-DTYP 2.3.3 FILETIME of scenario time t (seconds from the site's epoch)."""
    return int((SITE.epoch + t + FILETIME_UNIX) * 10_000_000)


def ktime(t):
    """RFC 4120 5.2.3 KerberosTime of scenario time t."""
    return time.strftime('%Y%m%d%H%M%SZ', time.gmtime(SITE.epoch + int(t))).encode()


def utf16(s):
    return s.encode('utf-16-le')


def uuid_le(s):
    """A UUID as DCE/RPC puts it on the wire with little-endian data representation."""
    return uuid.UUID(s).bytes_le


def csum(b):
    """Internet checksum (RFC 1071) of b: the big-endian words sum to the
    number itself modulo 0xffff, so one bignum reduction replaces a loop."""
    if len(b) & 1:
        b += b'\0'
    s = int.from_bytes(b, 'big') % 0xffff
    return (~s) & 0xffff if s else 0xffff


class Host:
    """One machine: address, MAC, initial TTL and a counter of ephemeral ports."""

    def __init__(self, ip, name, osname='win', hops=0):
        self.ip = ip
        self.addr = bytes(int(x) for x in ip.split('.'))
        self.name = name
        self.os = osname
        h = hashlib.sha256(ip.encode()).digest()
        oui = {'win': b'\x00\x15\x5d', 'pc': b'\x8c\x16\x45', 'linux': b'\x52\x54\x00'}.get(osname, b'\x00\x50\x56')
        self.mac = oui + h[:3]
        self.ttl = (64 if osname == 'linux' else 128) - hops
        self.external = hops > 0
        self._port = 49800 + int.from_bytes(h[3:5], 'big') % 9000  # Windows dynamic range

    def port(self):
        self._port += 1
        return self._port

    def subnet(self):
        return self.addr[:3]


ROUTER_MAC = bytes.fromhex('0019e8a1c240')  # the core switch's routed interfaces


class Capture:
    """Packets recorded in any order, written sorted by time. IPv4 identifiers
    are given per sending host in time order when writing, as Windows does."""

    def __init__(self):
        self.recs = []

    def tcp(self, t, src, dst, sport, dport, seq, ack, flags, win, opts=b'', data=b''):
        self.recs.append((round(t * 1e6), len(self.recs), 6, src, dst,
                          (sport, dport, seq, ack, flags, win, opts), data))

    def udp(self, t, src, dst, sport, dport, data):
        self.recs.append((round(t * 1e6), len(self.recs), 17, src, dst, (sport, dport), data))

    def frames(self):
        ipid = {}
        for t_us, _, proto, src, dst, hdr, data in sorted(self.recs, key=lambda r: (r[0], r[1])):
            if proto == 6:
                sport, dport, seq, ack, flags, win, opts = hdr
                opts += b'\0' * (-len(opts) % 4)
                doff = (20 + len(opts)) // 4
                l4 = struct.pack('!HHIIBBHHH', sport, dport, seq & 0xffffffff, ack & 0xffffffff,
                                 doff << 4, flags, win, 0, 0) + opts
                df = 0x4000
            else:
                sport, dport = hdr
                l4 = struct.pack('!HHHH', sport, dport, 8 + len(data), 0)
                df = 0
            seg = l4 + data
            pseudo = src.addr + dst.addr + struct.pack('!BBH', 0, proto, len(seg))
            c = csum(pseudo + seg)
            off = 16 if proto == 6 else 6
            seg = seg[:off] + struct.pack('!H', c) + seg[off + 2:]
            n = ipid.get(src.ip, int.from_bytes(hashlib.sha256(src.addr).digest()[:2], 'big'))
            ipid[src.ip] = n + 1
            iph = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(seg), n & 0xffff, df, src.ttl, proto, 0,
                              src.addr, dst.addr)
            iph = iph[:10] + struct.pack('!H', csum(iph)) + iph[12:]
            # Seen on the core switch's SPAN: a frame between hosts of one
            # subnet goes host to host, anything else through the router.
            same = src.subnet() == dst.subnet() and not src.external
            smac = ROUTER_MAC if src.external else src.mac
            dmac = dst.mac if same or (src.external and not dst.external) else ROUTER_MAC
            yield t_us, dmac + smac + b'\x08\x00' + iph + seg

    def write(self, path):
        n = 0
        tmp = path + '.tmp'
        with open(tmp, 'wb') as fp:
            fp.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
            for t_us, frame in self.frames():
                sec, us = divmod(t_us, 1_000_000)
                fp.write(struct.pack('<IIII', SITE.epoch + sec, us, len(frame), len(frame)) + frame)
                n += 1
        os.replace(tmp, path)
        return n, os.path.getsize(path)


# Windows-like SYN options: MSS 1460, NOP, window scale 8, NOP, NOP, SACK permitted.
SYN_OPTS = bytes.fromhex('020405b40103030801010402')
SYNACK_OPTS = bytes.fromhex('020405b40103030801010402')
SYNACK_OPTS_LINUX = bytes.fromhex('020405b40101040201030307')


class TCP:
    """One TCP connection seen from the core switch. Side 0 is the client.

    The connection keeps its own clock (self.t). The switch is taken to be
    near the client: the client's packets are seen when sent, the server's
    answers a round trip later, and the client acknowledges what it receives
    when it arrives. send() splits data at the MSS, has the receiver
    acknowledge every second full segment, and gives the receiver a delayed
    ACK when the other side does not answer soon, so sequence and
    acknowledgement numbers always add up."""

    MSS = 1460
    DELACK = 0.04

    def __init__(self, cap, rng, cli, srv, sport, t, rtt=0.0006, cport=None):
        self.cap = cap
        self.rng = rng
        self.h = (cli, srv)
        self.p = (cport or cli.port(), sport)
        self.nxt = [rng.getrandbits(32), rng.getrandbits(32)]
        self.owed = [None, None]  # time side d received data it has not acknowledged
        self.win = [1026, 8212 if srv.os != 'linux' else 501]
        self.rtt = rtt
        self.t = t

    def emit(self, d, t, flags, data=b'', opts=b'', win=None):
        seq = self.nxt[d]
        ack = self.nxt[1 - d] if flags & ACK else 0
        self.cap.tcp(t, self.h[d], self.h[1 - d], self.p[d], self.p[1 - d], seq, ack, flags,
                     self.win[d] if win is None else win, opts, data)
        self.nxt[d] = (seq + len(data) + (1 if flags & (SYN | FIN) else 0)) & 0xffffffff
        if flags & ACK:
            self.owed[d] = None

    def open(self, refuse=False):
        t = self.t
        self.emit(0, t, SYN, opts=SYN_OPTS, win=64240)
        if refuse:  # RFC 9293 3.10.7.1: nothing listens; RST with SEQ 0, ACK the SYN
            self.nxt[1] = 0
            self.emit(1, t + self.rtt, RST | ACK, win=0)
            self.t = t + self.rtt
            return self
        self.emit(1, t + self.rtt, SYN | ACK, win=65535 if self.h[1].os != 'linux' else 65160,
                  opts=SYNACK_OPTS if self.h[1].os != 'linux' else SYNACK_OPTS_LINUX)
        self.t = t + self.rtt + 0.00008
        self.emit(0, self.t, ACK)
        return self

    def settle(self, d, t):
        """Side d acknowledges, after the delayed-ACK timer, data it still owes an ACK for by t."""
        if self.owed[d] is not None and t > self.owed[d] + self.DELACK:
            self.emit(d, self.owed[d] + self.DELACK, ACK)

    def send(self, d, data, t):
        self.settle(d, t)
        self.settle(1 - d, t)
        lag = self.rtt if d == 0 else 0.00002  # until the receiver's ACK is seen
        per_byte = 8e-9 if self.rtt < 0.002 else 8e-8  # 1 Gb/s LAN, 100 Mb/s interconnect or Internet
        segs = [data[i:i + self.MSS] for i in range(0, len(data), self.MSS)] or [b'']
        for i, seg in enumerate(segs):
            last = i == len(segs) - 1
            self.emit(d, t, ACK | (PSH if last else 0), seg)
            if i % 2 == 1 and not last:
                self.emit(1 - d, t + lag, ACK)
            if not last:
                t += 0.000002 + len(seg) * per_byte
        self.owed[1 - d] = t + (self.rtt if d == 0 else 0)
        self.t = t
        return t

    def c(self, data, gap=0.0003):
        """The client sends data gap seconds after the connection's last event."""
        return self.send(0, data, self.t + gap)

    def s(self, data, proc=0.0004):
        """The server answers after a round trip and proc seconds of work."""
        return self.send(1, data, self.t + self.rtt + proc)

    def wait(self, dt):
        self.t += dt
        for d in (0, 1):
            self.settle(d, self.t)

    def close(self, d=0, gap=0.001, rst=False):
        t = self.t + gap
        self.settle(1 - d, t)
        if rst:
            self.emit(d, t, RST | ACK, win=0)
            self.t = t
            return t
        self.emit(d, t, FIN | ACK)
        self.emit(1 - d, t + self.rtt, FIN | ACK)
        self.emit(d, t + self.rtt + 0.00005, ACK)
        self.t = t + self.rtt + 0.00005
        return self.t

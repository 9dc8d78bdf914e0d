"""Flows and their packets: Generator builds flow i from shake_128(seed, i)
alone, Writer merges the packets into a time-ordered pcap, generate() drives
both for the mix, short, long and concurrent modes (the SYN flood is in
synflood.py)."""
import hashlib
import heapq
import math
import struct

from .net import (ACK, EPOCH, FIN, ICMPH, IDLE_GAP_US, PSH, REC, ROUTER_MAC, SERVERS, SYN, TCPH,
                  UDPH, icmp_server, ip, is_internal, u, wsum)
from .payloads import (ECHO_PAD, HTTP_SEG, SSH_BANNERS, TLS_NAMES, TLS_SEG, client_hello, dns_pair,
                       http_pair, ntp_pair, server_hello, smb_echo, smb_negotiate_req,
                       smb_negotiate_resp, ssh_kexinit, tls_flight)


# MSS 1460, window scale, SACK permitted (Windows-like client, Linux-like server)
CLIENT_SYN_OPTS = bytes.fromhex('020405b40103030801010402')
SERVER_SYN_OPTS = bytes.fromhex('020405b40101040201030307')
# Checksum sums of the payloads shared by many packets, by identity (unique
# payloads are summed on the fly and must not pile up in a cache).
SHARED_SUMS = {id(b): wsum(b) for b in (CLIENT_SYN_OPTS, SERVER_SYN_OPTS, TLS_SEG, HTTP_SEG, b'')}
KINDS = [('dns', 30), ('tls', 30), ('http', 12), ('smb', 8), ('ntp', 8), ('icmp', 7), ('ssh', 5)]
KIND_NAMES = [k for k, _ in KINDS]
# Short-flow mix (--short): HTTP, DNS and SMB2 flows of 2 to 13 packets, no FIN.
SHORT_KINDS = [('dns', 40), ('http', 35), ('smb', 25)]
# Packets per flow before bulk extras: used to size the extras for --packets.
BASE_PKTS = {'dns': 2, 'ntp': 2, 'icmp': 5, 'tls': 10.6, 'http': 8, 'smb': 8, 'ssh': 10}
BULK = ('tls', 'http')


class Flow:
    __slots__ = ('proto', 'cli', 'srv', 'cport', 'sport', 'macs', 'ttl', 'ipid', 'isn', 'specs',
                 'split')


def client_of(j):
    a = j // 250
    return ip('10.20.0.0') + ((a // 250) << 16) + ((a % 250) << 8) + j % 250 + 1


def kind_table(kinds):
    """100 slots, each kind weighted as in kinds [(name, weight)]."""
    total = sum(w for _, w in kinds)
    table = [k for k, w in kinds for _ in range(max(1, round(100 * w / total)))]
    return (table * 2)[:100]


class Generator:
    """mode: 'mix' (closed flows, bulk extras), 'concurrent' (no extras, no FIN),
    'short' (2 to 13 packets, no FIN) or 'long' (extras fixed per flow, FIN)."""

    def __init__(self, seed, nflows, mode, extra_mean, kinds=KINDS):
        self.seed = seed
        self.mode = mode
        self.concurrent = mode == 'concurrent'
        self.extra_mean = extra_mean
        self.kind_of = kind_table(kinds)
        # Enough clients that each one's ephemeral ports (a bijection of k below)
        # never repeat, and flows are unique by (client, port).
        self.nclients = max(2000, -(-nflows // 20000))

    @staticmethod
    def bsum(b):
        s = SHARED_SUMS.get(id(b))
        return wsum(b) if s is None else s

    def flow(self, i, t0):
        """Build flow i; t0 (µs) only feeds timestamps carried inside payloads."""
        E = hashlib.shake_128(struct.pack('<QQ', self.seed, i)).digest(224)
        f = Flow()
        kind = self.kind_of[u(E, 0) % 100]
        j, k = i % self.nclients, i // self.nclients
        f.cli = client_of(j)
        f.cport = 32768 + (k * 7919 + j * 131) % 28232
        f.ipid = [u(E, 6), u(E, 8)]
        f.isn = [u(E, 10, 4), u(E, 14, 4)]
        cmac = b'\x02\x42' + f.cli.to_bytes(4, 'big')
        f.macs = (ROUTER_MAC + cmac, cmac + ROUTER_MAC)
        if kind == 'icmp':
            f.srv = icmp_server(k)
        else:
            srvs = SERVERS[kind]
            f.srv = srvs[u(E, 2) % len(srvs)]
        internal = is_internal(f.srv)
        f.ttl = (128 if E[18] & 1 else 64, (64, 128)[E[19] & 1] if internal else 50 + E[19] % 8)
        rtt = 150 + u(E, 20) % 1500 if internal else 8000 + u(E, 20) % 50000
        c = self.concurrent
        mode = self.mode
        nextra = 0
        if mode == 'mix' and kind in BULK and self.extra_mean > 0:
            nextra = min(5000, int(0.5 - self.extra_mean * math.log((u(E, 24, 4) + 1) / 4294967296)))
        elif mode == 'short' and kind == 'http':
            nextra = E[47] % 9  # 5 to 13 packets
        elif mode == 'long':
            nextra = int(self.extra_mean)
        f.proto = 6
        if kind == 'dns':
            f.proto, f.sport = 17, 53
            q, r = dns_pair(E, u(E, 4))
            f.specs = [(0, 0, q), (rtt + u(E, 26) % 400, 1, r)]
        elif kind == 'ntp':
            f.proto, f.sport = 17, 123
            q, r = ntp_pair(E, t0, rtt)
            f.cport = 123 if E[30] & 1 and k == 0 else f.cport  # some clients use the NTP port
            f.specs = [(0, 0, q), (rtt + 30, 1, r)]
        elif kind == 'icmp':
            f.proto, f.sport = 1, 0
            f.cport = u(E, 26)  # echo identifier
            npairs = 1 if c else 1 + E[28] % 4
            f.specs = []
            for n in range(npairs):
                t = n * 1_000_000 + E[29]
                tv = struct.pack('<QQ', EPOCH + (t0 + t) // 1_000_000, (t0 + t) % 1_000_000)
                f.specs += [(t, 0, (8, n + 1, tv + ECHO_PAD)), (t + rtt, 1, (0, n + 1, tv + ECHO_PAD))]
        else:
            f.sport = {'tls': 443, 'http': 80, 'smb': 445, 'ssh': 22}[kind]
            srv_first = False
            seg = None
            if kind == 'tls':
                tls13 = E[31] % 10 < 7
                names = TLS_NAMES
                ex = [(0, client_hello(names[u(E, 32) % len(names)], tls13, E)),
                      (1, server_hello(tls13, E))] + tls_flight(tls13, E)
                seg = TLS_SEG
            elif kind == 'http':
                nseg = nextra - nextra // 3
                ex = list(zip((0, 1), http_pair(E, nseg)))
                seg = HTTP_SEG
            elif kind == 'smb':
                ex = [(0, smb_negotiate_req(E)), (1, smb_negotiate_resp(E, f.srv, t0 + rtt))]
                if mode == 'short':  # 0 to 4 ECHO exchanges: 5 to 13 packets
                    for n in range(E[47] % 5):
                        ex += [(0, smb_echo(False, n + 1)), (1, smb_echo(True, n + 1))]
            else:
                sb, cb = SSH_BANNERS[E[32] % len(SSH_BANNERS)]
                srv_first = True
                ex = [(1, sb), (0, cb), (0, ssh_kexinit(E[64:80], True)),
                      (1, ssh_kexinit(E[80:96], False))]
            f.specs = self.tcp_specs(E, rtt, ex, seg, nextra, mode in ('mix', 'long'), srv_first)
        f.split = next(n for n, s in enumerate(f.specs) if self.has_payload(f.proto, s)) + 1
        return f

    @staticmethod
    def has_payload(proto, spec):
        return proto != 6 or (spec[2] & SYN == 0 and spec[3])

    def tcp_specs(self, E, rtt, exchanges, seg, nextra, close, srv_first):
        """(t_us, direction, flags, bytes) for a TCP conversation seen near the client."""
        syn_ack = rtt + 100 + E[33]
        t = syn_ack + 30 + E[34] % 64
        specs = [(0, 0, SYN, CLIENT_SYN_OPTS), (syn_ack, 1, SYN | ACK, SERVER_SYN_OPTS),
                 (t, 0, ACK, b'')]
        prev = 0
        if srv_first:
            t += 200
        for d, pay in exchanges:
            if d == prev:
                t += 20 + E[35] % 50
            elif d == 1:
                t += rtt + 300 + E[36] * 4
            else:
                t += 120 + E[37]
            specs.append((t, d, PSH | ACK, pay))
            prev = d
        for n in range(nextra):
            if n % 3 == 2:
                t += 40
                specs.append((t, 0, ACK, b''))
            else:
                t += 90 + (E[38 + n % 2] & 63)
                specs.append((t, 1, ACK, seg))
        if close:
            t += 400 + E[39]
            specs += [(t, 0, FIN | ACK, b''), (t + rtt + 50, 1, FIN | ACK, b''),
                      (t + rtt + 100, 0, ACK, b'')]
        return specs

    def packets(self, f, t0, lo, hi, push):
        """push(ts, bytes) for specs[lo:hi] of flow f, its first packet at time t0."""
        src = (f.cli, f.srv)
        dst = (f.srv, f.cli)
        ports = ((f.cport, f.sport), (f.sport, f.cport))
        proto = f.proto
        ipc = [0x4500 + 0x4000 + (f.ttl[d] << 8 | proto) + f.cli + f.srv for d in (0, 1)]
        l4c = f.cli + f.srv + proto + f.cport + f.sport
        ipid = f.ipid
        macs, ttl = f.macs, f.ttl
        if proto == 6:
            nxt = list(f.isn)
            for n, (t, d, flags, blob) in enumerate(f.specs[:hi]):
                seq = nxt[d]
                ack = nxt[1 - d] if flags & ACK else 0
                nxt[d] = (seq + (1 if flags & (SYN | FIN) else len(blob))) & 0xffffffff
                if n < lo:
                    ipid[d] += 1
                    continue
                doff = 8 if flags & SYN else 5
                win = (64240, 65160)[d] if flags & SYN else (1026, 501)[d]
                tl = 20 + len(blob)  # a SYN's blob is its options
                il = 20 + tl
                idv = ipid[d] & 0xffff
                ipid[d] += 1
                ipcs = -(ipc[d] + il + idv) % 0xffff
                tcs = -(l4c + tl + seq + ack + (doff << 12 | flags) + win
                        + self.bsum(blob)) % 0xffff
                ts = t0 + t
                sp, dp = ports[d]
                push(ts, REC.pack(EPOCH + ts // 1_000_000, ts % 1_000_000, 14 + il, 14 + il)
                     + TCPH.pack(macs[d], 0x0800, 0x45, 0, il, idv, 0x4000, ttl[d], 6, ipcs,
                                 src[d], dst[d], sp, dp, seq, ack, doff << 4, flags, win, tcs, 0)
                     + blob)
        elif proto == 17:
            for n, (t, d, pay) in enumerate(f.specs[lo:hi], lo):
                ul = 8 + len(pay)
                il = 20 + ul
                idv = (ipid[d] + n // 2) & 0xffff
                ipcs = -(ipc[d] + il + idv) % 0xffff
                ucs = -(l4c + ul + ul + wsum(pay)) % 0xffff or 0xffff
                ts = t0 + t
                sp, dp = ports[d]
                push(ts, REC.pack(EPOCH + ts // 1_000_000, ts % 1_000_000, 14 + il, 14 + il)
                     + UDPH.pack(macs[d], 0x0800, 0x45, 0, il, idv, 0x4000, ttl[d], 17, ipcs,
                                 src[d], dst[d], sp, dp, ul, ucs) + pay)
        else:
            for n, (t, d, (itype, iseq, data)) in enumerate(f.specs[lo:hi], lo):
                il = 28 + len(data)
                idv = (ipid[d] + n // 2) & 0xffff
                ipcs = -(ipc[d] + il + idv) % 0xffff
                ics = -((itype << 8) + f.cport + iseq + wsum(data)) % 0xffff
                ts = t0 + t
                push(ts, REC.pack(EPOCH + ts // 1_000_000, ts % 1_000_000, 14 + il, 14 + il)
                     + ICMPH.pack(macs[d], 0x0800, 0x45, 0, il, idv, 0x4000, ttl[d], 1, ipcs,
                                  src[d], dst[d], itype, 0, ics, f.cport, iseq) + data)


class Writer:
    """Merges packets pushed out of order into a time-ordered pcap."""

    def __init__(self, fp):
        self.fp = fp
        self.heap = []
        self.n = 0
        self.out = []
        self.last = 0
        fp.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))

    def push(self, ts, pkt):
        self.n += 1
        heapq.heappush(self.heap, (ts, self.n, pkt))

    def flush_until(self, ts):
        heap, out = self.heap, self.out
        while heap and heap[0][0] < ts:
            self.last, _, pkt = heapq.heappop(heap)
            out.append(pkt)
        if len(out) > 20000:
            self.fp.write(b''.join(out))
            out.clear()

    def close(self):
        self.flush_until(float('inf'))
        self.fp.write(b''.join(self.out))
        self.out.clear()


def generate(args, fp):
    """Write the flows of args (mode: mix, short, long or concurrent) to fp; return the packet count."""
    n = args.flows
    dur = int(args.duration * 1_000_000)
    mode = args.mode
    kinds = args.kinds
    extra_mean = 0.0
    if mode == 'mix':
        base = sum(BASE_PKTS[k] * w for k, w in kinds) / sum(w for _, w in kinds)
        bulk = sum(w for k, w in kinds if k in BULK) / sum(w for _, w in kinds)
        extra_mean = max(0.0, (args.packets / n - base) / bulk) if bulk else 0.0
    elif mode == 'long':
        # A closed TCP flow is 3 + 2 + 3 packets around its extras.
        extra_mean = max(0, args.packets // n - 8)
    g = Generator(args.seed, n, mode, extra_mean, kinds)
    w = Writer(fp)
    if mode != 'concurrent':
        for i in range(n):
            t0 = i * dur // n + i * 2654435761 % max(1, dur // n)
            w.flush_until(t0)
            f = g.flow(i, t0)
            g.packets(f, t0, 0, len(f.specs), w.push)
    else:
        # Window by window: every flow's opening exchange but its last packet
        # (so the sensor classifies it and keeps only its flow state), then
        # that last packet on every flow of the window, so the whole window
        # is alive at once and every flow is looked up again.
        win = args.window or n
        span = dur * win // n // 2  # each pass of a full window
        t = 0
        for b0 in range(0, n, win):
            b1 = min(n, b0 + win)
            for i in range(b0, b1):
                t0 = t + (i - b0) * span // win
                w.flush_until(t0)
                f = g.flow(i, t0)
                g.packets(f, t0, 0, len(f.specs) - 1, w.push)
            w.flush_until(float('inf'))
            t = max(t + span, w.last + 1)
            for i in range(b0, b1):
                t0 = t + (i - b0) * span // win
                w.flush_until(t0)
                f = g.flow(i, t0)
                last = len(f.specs) - 1
                g.packets(f, t0 - f.specs[last][0], last, last + 1, w.push)
            w.flush_until(float('inf'))
            t = max(t + span, w.last + 1) + IDLE_GAP_US
    w.close()
    return w.n

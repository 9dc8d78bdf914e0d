#!/usr/bin/python3
"""Writes the small test captures of tests/pcap/run.sh into a directory.

Usage: gen_cases.py OUTDIR

Every byte is deterministic (fixed timestamps, addresses, sequence numbers,
IP ids), so the expected flow records in tests/pcap/expected/ stay valid.
Scapy builds the packets; the pcap/pcapng files are written here with struct
so that any link type (SLL2, 802.11, BSD NULL) and any caplen < len can be
expressed, which scapy's writers do not all allow.
Only private test addresses are used (10.0.0.0/8, fd00::/8).
"""
import os
import struct
import sys

import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (DNS, DNSQR, DNSRR, GRE, ICMP, IP, IPv6, SCTP, TCP, UDP,  # noqa: E402
                       Dot1AD, Dot1Q, Ether, ICMPv6EchoReply, IPv6ExtHdrFragment,
                       SCTPChunkInit, fragment6,
                       ICMPv6EchoRequest, IPv6ExtHdrDestOpt, IPv6ExtHdrHopByHop,
                       Raw, RouterAlert, fragment)

DLT_NULL, DLT_EN10MB, DLT_RAW, DLT_IEEE802_11, DLT_LINUX_SLL, DLT_LINUX_SLL2 = 0, 1, 101, 105, 113, 276

T0 = 1700000000.0  # 2023-11-14T22:13:20Z: every case starts here
CLI_MAC, SRV_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"

HTTP_REQ = (b"GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n"
            b"User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n")
HTTP_BODY = b"<html><body>Hello, world</body></html>\n"
HTTP_RESP = (b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\n"
             b"Content-Length: %d\r\n\r\n" % len(HTTP_BODY)) + HTTP_BODY


# ---------------------------------------------------------------- writers

def write_pcap(path, linktype, records, snaplen=65535, nsec=False, endian="<"):
    """records: list of (timestamp, bytes[, orig_len]); orig_len > caplen means truncated.
    nsec: nanosecond magic; endian '>' writes the file as a big-endian host would."""
    magic, scale = (0xA1B23C4D, 1e9) if nsec else (0xA1B2C3D4, 1e6)
    with open(path, "wb") as f:
        f.write(struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))
        for rec in records:
            ts, data = rec[0], bytes(rec[1])
            orig = rec[2] if len(rec) > 2 else len(data)
            t = int(round(ts * 1e6)) * int(scale // 1e6)  # via whole µs: a double has no ns at 1.7e9 s
            f.write(struct.pack(endian + "IIII", t // int(scale), t % int(scale), len(data), orig))
            f.write(data)


def _pad4(b):
    return b + b"\0" * (-len(b) % 4)


def write_pcapng(path, linktype, records, snaplen=65535, tsresol=6):
    """Section header, one interface (timestamps in 10^-tsresol s), enhanced packet blocks."""
    def block(btype, body):
        body = _pad4(body)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)
    with open(path, "wb") as f:
        f.write(block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        opts = b"" if tsresol == 6 else struct.pack("<HHB3x", 9, 1, tsresol) + struct.pack("<HH", 0, 0)
        f.write(block(0x00000001, struct.pack("<HHI", linktype, 0, snaplen) + opts))
        for ts, data in records:
            data = bytes(data)
            t = int(round(ts * 1e6)) * 10 ** tsresol // 10 ** 6
            f.write(block(0x00000006, struct.pack("<IIIII", 0, t >> 32, t & 0xFFFFFFFF,
                                                  len(data), len(data)) + _pad4(data)))


# ---------------------------------------------------------------- L3 conversations
# Each returns a list of (timestamp, scapy L3 packet, from_client).

def tcp_session(ip_c, ip_s, sport, dport, req, resp, t0=T0, l3=IP):
    """Handshake, one request, one response, FIN both ways: 10 packets."""
    c, s = 1000, 5000
    C = lambda **kw: l3(src=ip_c, dst=ip_s, **kw)  # noqa: E731
    S = lambda **kw: l3(src=ip_s, dst=ip_c, **kw)  # noqa: E731
    seq = [
        (True, C() / TCP(sport=sport, dport=dport, flags="S", seq=c, window=64240)),
        (False, S() / TCP(sport=dport, dport=sport, flags="SA", seq=s, ack=c + 1, window=65160)),
        (True, C() / TCP(sport=sport, dport=dport, flags="A", seq=c + 1, ack=s + 1)),
        (True, C() / TCP(sport=sport, dport=dport, flags="PA", seq=c + 1, ack=s + 1) / Raw(req)),
        (False, S() / TCP(sport=dport, dport=sport, flags="A", seq=s + 1, ack=c + 1 + len(req))),
        (False, S() / TCP(sport=dport, dport=sport, flags="PA", seq=s + 1, ack=c + 1 + len(req)) / Raw(resp)),
        (True, C() / TCP(sport=sport, dport=dport, flags="A", seq=c + 1 + len(req), ack=s + 1 + len(resp))),
        (True, C() / TCP(sport=sport, dport=dport, flags="FA", seq=c + 1 + len(req), ack=s + 1 + len(resp))),
        (False, S() / TCP(sport=dport, dport=sport, flags="FA", seq=s + 1 + len(resp), ack=c + 2 + len(req))),
        (True, C() / TCP(sport=sport, dport=dport, flags="A", seq=c + 2 + len(req), ack=s + 2 + len(resp))),
    ]
    return [(t0 + i * 0.001, p, fc) for i, (fc, p) in enumerate(seq)]


def http_session(ip_c="10.0.0.1", ip_s="10.0.0.2", sport=40000, t0=T0, l3=IP):
    return tcp_session(ip_c, ip_s, sport, 80, HTTP_REQ, HTTP_RESP, t0, l3)


def dns_exchange(ip_c="10.0.0.1", ip_s="10.0.0.53", sport=50000, qid=0x1234,
                 name="www.example.com", t0=T0, l3=IP, qtype="A"):
    rdata = "93.184.216.34" if qtype == "A" else "2606:2800:220:1:248:1893:25c8:1946"
    q = l3(src=ip_c, dst=ip_s) / UDP(sport=sport, dport=53) / DNS(id=qid, rd=1, qd=DNSQR(qname=name, qtype=qtype))
    r = l3(src=ip_s, dst=ip_c) / UDP(sport=53, dport=sport) / DNS(
        id=qid, qr=1, rd=1, ra=1, qd=DNSQR(qname=name, qtype=qtype),
        an=DNSRR(rrname=name, type=qtype, ttl=300, rdata=rdata))
    return [(t0, q, True), (t0 + 0.002, r, False)]


def icmp_echo(ip_c="10.0.0.1", ip_s="10.0.0.2", n=2, t0=T0):
    out = []
    for i in range(n):
        out.append((t0 + i, IP(src=ip_c, dst=ip_s) / ICMP(type=8, id=0x77, seq=i + 1) / Raw(b"ping" * 8), True))
        out.append((t0 + i + 0.0005, IP(src=ip_s, dst=ip_c) / ICMP(type=0, id=0x77, seq=i + 1) / Raw(b"ping" * 8), False))
    return out


def icmp6_echo(ip_c="fd00::1", ip_s="fd00::2", n=2, t0=T0):
    out = []
    for i in range(n):
        out.append((t0 + i, IPv6(src=ip_c, dst=ip_s) / ICMPv6EchoRequest(id=0x66, seq=i + 1, data=b"ping6" * 4), True))
        out.append((t0 + i + 0.0005, IPv6(src=ip_s, dst=ip_c) / ICMPv6EchoReply(id=0x66, seq=i + 1, data=b"ping6" * 4), False))
    return out


def merge(*convs):
    return sorted((x for c in convs for x in c), key=lambda x: x[0])


# ---------------------------------------------------------------- link layers

def eth(conv, vlans=(), outer_tpid_ad=False):
    """Ethernet frames; vlans = (outer, ..., inner) tags; outer uses 0x88a8 if outer_tpid_ad."""
    out = []
    for ts, p, fc in conv:
        frame = Ether(src=CLI_MAC if fc else SRV_MAC, dst=SRV_MAC if fc else CLI_MAC)
        for i, v in enumerate(vlans):
            frame = frame / (Dot1AD(vlan=v) if (i == 0 and outer_tpid_ad) else Dot1Q(vlan=v))
        out.append((ts, bytes(frame / p)))
    return out


def eth_mpls(conv, labels=(100, 200)):
    """Ethernet, an MPLS label stack (RFC 3032: label 20 bits, TC 3, S 1, TTL 8), IPv4."""
    out = []
    for ts, p, fc in conv:
        stack = b"".join(struct.pack(">I", (lab << 12) | ((i == len(labels) - 1) << 8) | 64)
                         for i, lab in enumerate(labels))
        frame = Ether(src=CLI_MAC if fc else SRV_MAC, dst=SRV_MAC if fc else CLI_MAC, type=0x8847)
        out.append((ts, bytes(frame) + stack + bytes(p)))
    return out


def eth_pppoe(conv, session=7):
    """Ethernet, PPPoE session header (RFC 2516), 2-byte PPP protocol 0x0021 (IPv4)."""
    out = []
    for ts, p, fc in conv:
        ip = bytes(p)
        frame = Ether(src=CLI_MAC if fc else SRV_MAC, dst=SRV_MAC if fc else CLI_MAC, type=0x8864)
        out.append((ts, bytes(frame) + struct.pack(">BBHHH", 0x11, 0, session, len(ip) + 2, 0x0021) + ip))
    return out


def sll(conv):
    """Linux cooked v1: pkttype(2) arphrd(2) addrlen(2) addr(8) protocol(2)."""
    out = []
    for ts, p, fc in conv:
        ptype = 4 if fc else 0  # outgoing from the client host, incoming to it
        mac = bytes.fromhex((CLI_MAC if fc else SRV_MAC).replace(":", "")) + b"\0\0"
        etype = 0x86DD if p.version == 6 else 0x0800
        out.append((ts, struct.pack(">HHH8sH", ptype, 1, 6, mac, etype) + bytes(p)))
    return out


def sll2(conv):
    """Linux cooked v2: protocol(2) reserved(2) ifindex(4) arphrd(2) pkttype(1) addrlen(1) addr(8)."""
    out = []
    for ts, p, fc in conv:
        ptype = 4 if fc else 0
        mac = bytes.fromhex((CLI_MAC if fc else SRV_MAC).replace(":", "")) + b"\0\0"
        etype = 0x86DD if p.version == 6 else 0x0800
        out.append((ts, struct.pack(">HHIHBB8s", etype, 0, 2, 1, ptype, 6, mac) + bytes(p)))
    return out


def raw(conv):
    return [(ts, bytes(p)) for ts, p, _ in conv]


def null(conv, af6=30, endian="<"):
    """BSD loopback: 4-byte address family in the writer's byte order."""
    return [(ts, struct.pack(endian + "I", af6 if p.version == 6 else 2) + bytes(p)) for ts, p, _ in conv]


# ---------------------------------------------------------------- cases

def case_ipv6_ext():
    """TCP and UDP behind a hop-by-hop (router alert) and a destination options header."""
    def l3(src, dst):
        return IPv6(src=src, dst=dst) / IPv6ExtHdrHopByHop(options=[RouterAlert()]) / IPv6ExtHdrDestOpt()
    return merge(http_session("fd00::1", "fd00::2", 40010, T0, l3),
                 dns_exchange("fd00::1", "fd00::53", 50010, 0x4242, "www.example.org", T0 + 0.5, l3, "AAAA"))


def case_ipv4_frag():
    """A 3000-byte UDP datagram in 3 fragments (in order), then another one whose
    fragments arrive last-first, then a small unfragmented reply."""
    out = []
    d1 = IP(src="10.0.0.1", dst="10.0.0.2", id=0x100) / UDP(sport=40020, dport=9999) / Raw(b"A" * 3000)
    for i, fr in enumerate(fragment(d1, fragsize=1200)):
        out.append((T0 + i * 0.001, fr, True))
    d2 = IP(src="10.0.0.1", dst="10.0.0.2", id=0x101) / UDP(sport=40020, dport=9999) / Raw(b"B" * 3000)
    for i, fr in enumerate(reversed(fragment(d2, fragsize=1200))):
        out.append((T0 + 0.01 + i * 0.001, fr, True))
    out.append((T0 + 0.02, IP(src="10.0.0.2", dst="10.0.0.1", id=0x200) / UDP(sport=9999, dport=40020) / Raw(b"ok"), False))
    return out


def case_dns():
    """A and AAAA lookups, then the same 5-tuple again 120 s later (past the UDP timeout)."""
    return merge(dns_exchange(t0=T0),
                 dns_exchange(sport=50001, qid=0x1235, t0=T0 + 0.01, qtype="AAAA"),
                 dns_exchange(qid=0x1236, name="mail.example.com", t0=T0 + 120))


def case_icmp():
    return merge(icmp_echo(t0=T0), icmp6_echo(t0=T0 + 0.1))


def case_gre():
    """GRE (IP protocol 47) carrying ICMP, both ways, and one IP protocol 253 packet."""
    inner = IP(src="192.168.100.1", dst="192.168.100.2") / ICMP(type=8, id=1, seq=1)
    innr = IP(src="192.168.100.2", dst="192.168.100.1") / ICMP(type=0, id=1, seq=1)
    return [
        (T0, IP(src="10.0.0.1", dst="10.0.0.2") / GRE(proto=0x0800) / inner, True),
        (T0 + 0.001, IP(src="10.0.0.2", dst="10.0.0.1") / GRE(proto=0x0800) / innr, False),
        (T0 + 0.002, IP(src="10.0.0.1", dst="10.0.0.2") / GRE(proto=0x0800) / inner, True),
        (T0 + 0.01, IP(src="10.0.0.3", dst="10.0.0.4", proto=253) / Raw(b"experimental"), True),
    ]


def case_truncated():
    """A full HTTP session whose response is cut by a 96-byte snaplen (headers intact),
    plus frames cut inside the Ethernet, IPv4, TCP, UDP and IPv6 headers."""
    recs = []
    for ts, data in eth(http_session(sport=40030)):
        recs.append((ts, data[:96], len(data)) if len(data) > 96 else (ts, data))
    full_tcp = eth([(T0, IP(src="10.0.0.5", dst="10.0.0.6") / TCP(sport=1111, dport=80, flags="S"), True)])[0][1]
    full_udp = eth([(T0, IP(src="10.0.0.5", dst="10.0.0.6") / UDP(sport=2222, dport=53) / Raw(b"x" * 20), True)])[0][1]
    full_v6 = eth([(T0, IPv6(src="fd00::5", dst="fd00::6") / UDP(sport=3333, dport=53) / Raw(b"y" * 20), True)])[0][1]
    t = T0 + 1
    recs += [
        (t + 0.1, full_tcp[:10], len(full_tcp)),   # inside the Ethernet header
        (t + 0.2, full_tcp[:14 + 12], len(full_tcp)),  # inside the IPv4 header
        (t + 0.3, full_tcp[:14 + 20 + 8], len(full_tcp)),  # inside the TCP header
        (t + 0.4, full_udp[:14 + 20 + 4], len(full_udp)),  # inside the UDP header
        (t + 0.5, full_v6[:14 + 30], len(full_v6)),  # inside the IPv6 header
        (t + 0.6, full_v6[:14 + 40 + 6], len(full_v6)),  # inside the UDP header, IPv6
    ]
    return recs


def case_bad_ihl():
    """IPv4 headers with IHL 3 (< 5), IHL 15 on a short packet, and total length < header;
    then one valid DNS exchange that must still give its flow."""
    good = eth(dns_exchange(sport=50040, qid=0x5555, t0=T0 + 1))
    base = bytearray(eth([(T0, IP(src="10.0.0.7", dst="10.0.0.8") / UDP(sport=4444, dport=53) / Raw(b"z" * 8), True)])[0][1])
    ihl3 = bytearray(base); ihl3[14] = 0x43  # noqa: E702
    ihl15 = bytearray(base); ihl15[14] = 0x4F  # noqa: E702
    badlen = bytearray(base); badlen[16:18] = struct.pack(">H", 12)  # noqa: E702
    ver5 = bytearray(base); ver5[14] = 0x55  # noqa: E702  version 5 in an IPv4 ethertype
    return [(T0, bytes(ihl3)), (T0 + 0.1, bytes(ihl15)), (T0 + 0.2, bytes(badlen)), (T0 + 0.3, bytes(ver5))] + good


def case_midstream():
    """Sessions whose SYN was not captured: one starts at the server's SYN-ACK (the
    client is still the SYN-ACK's receiver), one at a client data packet, one at a
    server data packet (no SYN at all: sent from port 80, a server port, to an
    ephemeral one, so its receiver is the client, as Zeek's likely_server_ports)."""
    a = http_session(sport=40060)[1:]
    b = http_session(sport=40061, t0=T0 + 1)[3:]
    c = http_session(sport=40062, t0=T0 + 2)[5:]
    return merge(a, b, c)


def case_ipv6_frag():
    """A 3000-byte UDP datagram over IPv6 in fragments (Fragment extension header),
    then a small reply."""
    d = IPv6(src="fd00::1", dst="fd00::2") / IPv6ExtHdrFragment(id=0x1234) / UDP(sport=40070, dport=9999) / Raw(b"C" * 3000)
    out = [(T0 + i * 0.001, fr, True) for i, fr in enumerate(fragment6(d, 1280))]
    out.append((T0 + 0.02, IPv6(src="fd00::2", dst="fd00::1") / UDP(sport=9999, dport=40070) / Raw(b"ok"), False))
    return out


def case_tunnel():
    """IPv4-in-IPv4 and IPv4-in-IPv6 (IP protocols 4 and 41 carrying an inner IPv4
    packet): ndpiReader 4.2 classifies the inner flow, so vigie must too."""
    def l3_44(src, dst):
        return IP(src="10.9.0.1", dst="10.9.0.2") / IP(src=src, dst=dst)

    def l3_46(src, dst):
        return IPv6(src="fd00:9::1", dst="fd00:9::2", nh=4) / IP(src=src, dst=dst)
    return merge(http_session("192.168.50.1", "192.168.50.2", 40080, T0, l3_44),
                 dns_exchange("192.168.50.1", "192.168.50.53", 50080, t0=T0 + 0.5, l3=l3_46))


def case_sctp():
    """SCTP carries ports: an INIT and its INIT-ACK."""
    return [(T0, IP(src="10.0.0.1", dst="10.0.0.2") / SCTP(sport=3868, dport=3868, tag=0) / SCTPChunkInit(init_tag=1), True),
            (T0 + 0.001, IP(src="10.0.0.2", dst="10.0.0.1") / SCTP(sport=3868, dport=3868, tag=1) / Raw(b"\x02\x00\x00\x04"), False)]


def case_mixed():
    """HTTP, DNS and ICMP on Ethernet: the capture of the live veth test and the BPF check."""
    return eth(merge(http_session(sport=40050, t0=T0 + 0.1), dns_exchange(sport=50050, qid=0x6666, t0=T0),
                     icmp_echo("10.0.0.1", "10.0.0.2", 2, T0 + 0.2)))


def build(outdir):
    os.makedirs(outdir, exist_ok=True)
    P = lambda name: os.path.join(outdir, name)  # noqa: E731
    http = eth(http_session())
    write_pcap(P("eth_http.pcap"), DLT_EN10MB, http)
    write_pcapng(P("eth_http_ng.pcapng"), DLT_EN10MB, http)
    # same flow, other timestamp resolutions: start/end must not move
    write_pcapng(P("eth_http_ng_ns.pcapng"), DLT_EN10MB, http, tsresol=9)
    write_pcap(P("eth_http_nsec.pcap"), DLT_EN10MB, http, nsec=True)
    # same DNS 5-tuple on VLAN 100 and VLAN 200: two flows
    write_pcap(P("vlan.pcap"), DLT_EN10MB, sorted(
        eth(http_session(sport=40001), vlans=(100,)) +
        eth(dns_exchange(sport=50100, t0=T0 + 0.5), vlans=(100,)) +
        eth(dns_exchange(sport=50100, t0=T0 + 0.6), vlans=(200,)), key=lambda r: r[0]))
    write_pcap(P("mpls.pcap"), DLT_EN10MB, eth_mpls(http_session(sport=40090)))
    write_pcap(P("pppoe.pcap"), DLT_EN10MB, eth_pppoe(merge(http_session(sport=40091), dns_exchange(sport=50091, t0=T0 + 0.5))))
    write_pcap(P("qinq.pcap"), DLT_EN10MB, eth(http_session(sport=40002), vlans=(300, 100), outer_tpid_ad=True))
    write_pcap(P("sll.pcap"), DLT_LINUX_SLL, sll(merge(http_session(sport=40003), dns_exchange(sport=50003, t0=T0 + 0.5))))
    write_pcap(P("sll2.pcap"), DLT_LINUX_SLL2, sll2(merge(
        http_session(sport=40004), dns_exchange("fd00::1", "fd00::53", 50004, t0=T0 + 0.5, l3=IPv6, qtype="AAAA"))))
    write_pcap(P("raw.pcap"), DLT_RAW, raw(merge(
        http_session(sport=40005), dns_exchange("fd00::1", "fd00::53", 50005, t0=T0 + 0.5, l3=IPv6, qtype="AAAA"))))
    write_pcap(P("null.pcap"), DLT_NULL, null(merge(
        http_session(sport=40006), dns_exchange("fd00::1", "fd00::53", 50006, t0=T0 + 0.5, l3=IPv6, qtype="AAAA"))))
    # as written on a big-endian host: file header, records and address family swapped
    write_pcap(P("null_be.pcap"), DLT_NULL, null(merge(
        http_session(sport=40008), dns_exchange("fd00::1", "fd00::53", 50008, t0=T0 + 0.5, l3=IPv6, qtype="AAAA")),
        af6=30, endian=">"), endian=">")
    write_pcap(P("null_af24.pcap"), DLT_NULL, null(
        dns_exchange("fd00::1", "fd00::53", 50007, t0=T0, l3=IPv6, qtype="AAAA"), af6=24))
    write_pcap(P("ipv6_ext.pcap"), DLT_EN10MB, eth(case_ipv6_ext()))
    write_pcap(P("ipv4_frag.pcap"), DLT_EN10MB, eth(case_ipv4_frag()))
    write_pcap(P("ipv6_frag.pcap"), DLT_EN10MB, eth(case_ipv6_frag()))
    write_pcap(P("tcp_midstream.pcap"), DLT_EN10MB, eth(case_midstream()))
    write_pcap(P("tunnel.pcap"), DLT_EN10MB, eth(case_tunnel()))
    write_pcap(P("sctp.pcap"), DLT_EN10MB, eth(case_sctp()))
    write_pcap(P("dns.pcap"), DLT_EN10MB, eth(case_dns()))
    write_pcap(P("icmp.pcap"), DLT_EN10MB, eth(case_icmp()))
    write_pcap(P("gre.pcap"), DLT_EN10MB, eth(case_gre()))
    write_pcap(P("truncated.pcap"), DLT_EN10MB, case_truncated(), snaplen=96)
    write_pcap(P("bad_ihl.pcap"), DLT_EN10MB, case_bad_ihl())
    write_pcap(P("mixed.pcap"), DLT_EN10MB, case_mixed())
    # error cases: 802.11 without radiotap (unsupported link type: exit 2) ...
    write_pcap(P("err_dlt105.pcap"), DLT_IEEE802_11, [(T0, b"\x08\x02" + b"\0" * 30)])
    # ... and the HTTP capture cut in the middle of its 6th record (exit 1)
    with open(P("eth_http.pcap"), "rb") as f:
        data = f.read()
    off, n = 24, 0
    while n < 5:
        off += 16 + struct.unpack_from("<I", data, off + 8)[0]
        n += 1
    with open(P("err_corrupt.pcap"), "wb") as f:
        f.write(data[:off + 16 + 20])
    with open(P("err_badmagic.pcap"), "wb") as f:
        f.write(b"\x00\x01\x02\x03" + data[4:200])


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: gen_cases.py OUTDIR")
    build(sys.argv[1])

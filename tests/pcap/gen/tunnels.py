#!/usr/bin/python3
"""Small tunnel captures, one a kind: GRE (IPv4 and IPv6 inside, with key
and sequence; transparent Ethernet bridging; ERSPAN type II), VXLAN, GTP-U
(G-PDU with a sequence number and a PDU session container extension) and
Teredo (with an origin indication). Each holds a TCP handshake, a UDP
exchange and an ICMP echo of the inner hosts, so that the flow vigie keys
on the inner tuple can be compared with tshark's community id.

    tests/pcap/gen/tunnels.py OUTDIR     (writes OUTDIR/tunnel_*.pcap)
"""
import os
import sys

from scapy.all import (GRE, ICMP, IP, TCP, UDP, ICMPv6EchoRequest, Ether, IPv6, Raw,
                       wrpcap)

OUT_A, OUT_B = "198.51.100.1", "198.51.100.2"
IN_A, IN_B = "10.1.0.5", "10.2.0.9"
IN6_A, IN6_B = "2001:db8:1::5", "2001:db8:2::9"
T0 = 1700000000.0


def inner4():
    return [IP(src=IN_A, dst=IN_B) / TCP(sport=41000, dport=445, flags="S", seq=1),
            IP(src=IN_B, dst=IN_A) / TCP(sport=445, dport=41000, flags="SA", seq=7, ack=2),
            IP(src=IN_A, dst=IN_B) / UDP(sport=53001, dport=53) / Raw(b"\x12\x34" + b"\0" * 10),
            IP(src=IN_A, dst=IN_B) / ICMP(type=8, id=1, seq=1) / Raw(b"ping")]


def inner6():
    return [IPv6(src=IN6_A, dst=IN6_B) / TCP(sport=41001, dport=443, flags="S", seq=1),
            IPv6(src=IN6_A, dst=IN6_B) / UDP(sport=53002, dport=53) / Raw(b"\x12\x35" + b"\0" * 10),
            IPv6(src=IN6_A, dst=IN6_B) / ICMPv6EchoRequest(id=1, seq=1)]


def eth(p):
    return Ether(src="00:00:5e:00:53:01", dst="00:00:5e:00:53:02") / p


def outer_udp(sport, dport, payload):
    return eth(IP(src=OUT_A, dst=OUT_B) / UDP(sport=sport, dport=dport) / Raw(payload))


def gre_hdr(proto, key=None, seq=None):
    flags = (0x2000 if key is not None else 0) | (0x1000 if seq is not None else 0)
    h = flags.to_bytes(2, "big") + proto.to_bytes(2, "big")
    if key is not None:
        h += key.to_bytes(4, "big")
    if seq is not None:
        h += seq.to_bytes(4, "big")
    return h


def outer_gre(hdr, payload):
    return eth(IP(src=OUT_A, dst=OUT_B, proto=47) / Raw(hdr + payload))


def captures():
    yield "gre_ip.pcap", ([outer_gre(gre_hdr(0x0800, key=42, seq=i), bytes(p))
                           for i, p in enumerate(inner4())] +
                          [outer_gre(gre_hdr(0x86DD), bytes(p)) for p in inner6()])
    yield "gre_teb.pcap", [outer_gre(gre_hdr(0x6558, key=7), bytes(eth(p))) for p in inner4()]
    # ERSPAN type II: version 1, VLAN 0, session id 5; then the mirrored frame.
    erspan = bytes.fromhex("10000005 00000000")
    yield "erspan2.pcap", [outer_gre(gre_hdr(0x88BE, seq=i), erspan + bytes(eth(p)))
                           for i, p in enumerate(inner4())]
    vx = bytes.fromhex("08000000 00138800")  # I flag, VNI 5000
    yield "vxlan.pcap", [outer_udp(49152 + i, 4789, vx + bytes(eth(p)))
                         for i, p in enumerate(inner4() + inner6())]
    def gtp(p, i):
        # flags: version 1, PT, E and S; G-PDU; sequence; next extension 0x85
        # (PDU session container, 1 word: QFI 9), then none.
        body = i.to_bytes(2, "big") + b"\x00\x85" + bytes.fromhex("01000900") + bytes(p)
        return bytes([0x36, 0xFF]) + len(body).to_bytes(2, "big") + bytes.fromhex("0000abcd") + body
    yield "gtpu.pcap", [outer_udp(2152, 2152, gtp(p, i)) for i, p in enumerate(inner4() + inner6())]
    origin = bytes.fromhex("0000 f227 3fff8afe")
    yield "teredo.pcap", [outer_udp(3544, 40001, (origin if i % 2 else b"") + bytes(p))
                          for i, p in enumerate(inner6())]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, pkts in captures():
        for i, p in enumerate(pkts):
            p.time = T0 + i
        path = os.path.join(out, "tunnel_" + name)
        wrpcap(path, pkts)
        print(path)


if __name__ == "__main__":
    main()

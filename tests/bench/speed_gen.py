#!/usr/bin/python3
"""Benchmark inputs for the per-packet cost (issue 11, speed).

  speed_gen.py real OUT IN.pcap COPIES   IN (classic pcap, Ethernet) repeated
      COPIES times, each copy with its addresses shifted (last byte of every
      outer IPv4/IPv6 address XOR the copy number) and its timestamps moved
      after the previous copy's.
  speed_gen.py syn OUT N                 N TCP SYNs, each from its own source
      address and port, 1 us apart: N new flows.
  speed_gen.py short OUT N               N short flows without FIN: HTTP (5
      to 13 packets), DNS (2), SMB2 negotiate (5), in turn.

Raw pcap records are written with struct: scapy is too slow for millions.
"""
import struct
import sys

PCAP_HDR = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, l4):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0x4000, 64, proto, 0,
                    src, dst)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + l4


def eth(l3):
    return b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00" + l3


def tcp(sport, dport, seq, ack, flags, payload=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0,
                       0) + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def rec(out, ts_us, frame):
    out.write(struct.pack("<IIII", ts_us // 1000000, ts_us % 1000000, len(frame),
                          len(frame)))
    out.write(frame)


def addr(i):
    return struct.pack("!I", (10 << 24) | (1 << 16) + i)


def shift_addrs(frame, k):
    """XOR the last byte of the outer IP addresses with k (Ethernet, VLANs)."""
    b = bytearray(frame)
    off, et = 12, 0
    while off + 2 <= len(b):
        et = (b[off] << 8) | b[off + 1]
        if et not in (0x8100, 0x88A8):
            break
        off += 4
    off += 2
    if et == 0x0800 and off + 20 <= len(b):
        b[off + 15] ^= k
        b[off + 19] ^= k
    elif et == 0x86DD and off + 40 <= len(b):
        b[off + 23] ^= k
        b[off + 39] ^= k
    return bytes(b)


def real(out, path, copies):
    data = open(path, "rb").read()
    if struct.unpack("<I", data[:4])[0] != 0xA1B2C3D4:
        sys.exit("speed_gen: %s: want little-endian microsecond pcap" % path)
    # Concatenated captures jump in time between files: such a jump (back,
    # or ahead by more than a minute) becomes 1 ms, so time only advances.
    recs, pos, prev, t = [], 24, None, 0
    while pos + 16 <= len(data):
        s, us, cap, wire = struct.unpack("<IIII", data[pos:pos + 16])
        ts = s * 1000000 + us
        d = 1000 if prev is None or not 0 <= ts - prev <= 60000000 else ts - prev
        prev, t = ts, t + d
        recs.append((t, wire, data[pos + 16:pos + 16 + cap]))
        pos += 16 + cap
    span = t + 1000000
    for k in range(copies):
        for ts, wire, frame in recs:
            f = shift_addrs(frame, k) if k else frame
            t = ts + 1600000000000000 + k * span
            out.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(f), wire))
            out.write(f)
    return copies * len(recs)


def syn(out, n):
    dst = bytes([10, 0, 0, 1])
    for i in range(n):
        rec(out, 1600000000000000 + i, eth(ipv4(addr(i >> 4), dst, 6,
                                                 tcp(1024 + (i & 0xF) * 4001, 80, i, 0,
                                                     0x02))))
    return n


def tcp_flow(out, ts, c, s, sport, dport, exchanges):
    """Handshake, then (request, answer) pairs; no FIN."""
    cs, ss = 1000, 5000
    rec(out, ts, eth(ipv4(c, s, 6, tcp(sport, dport, cs, 0, 0x02))))
    rec(out, ts + 100, eth(ipv4(s, c, 6, tcp(dport, sport, ss, cs + 1, 0x12))))
    rec(out, ts + 200, eth(ipv4(c, s, 6, tcp(sport, dport, cs + 1, ss + 1, 0x10))))
    cs, ss, ts, n = cs + 1, ss + 1, ts + 300, 3
    for req, ans in exchanges:
        rec(out, ts, eth(ipv4(c, s, 6, tcp(sport, dport, cs, ss, 0x18, req))))
        cs += len(req)
        rec(out, ts + 100, eth(ipv4(s, c, 6, tcp(dport, sport, ss, cs, 0x18, ans))))
        ss += len(ans)
        ts, n = ts + 200, n + 2
    return n


def smb2(cmd, response):
    hdr = b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ16s", 64, 0, 0, cmd, 1, 1 if response else 0,
                                   0, 0, 0, 0, 0, b"\0" * 16)
    body = struct.pack("<HHHHI16sIHH", 36, 1, 1, 0, 0x7F, b"\x11" * 16, 0, 0, 0) + \
        struct.pack("<H", 0x0202)
    msg = hdr + body
    return struct.pack("!I", len(msg)) + msg


def dns_query(qid, name):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", 1, 1)


def dns_answer(qid, name):
    q = dns_query(qid, name)
    a = b"\xc0\x0c" + struct.pack("!HHIH4s", 1, 1, 300, 4, bytes([93, 184, 216, 34]))
    return struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + q[12:] + a


def short(out, n):
    pk, srv = 0, bytes([10, 0, 0, 80])
    for i in range(n):
        ts = 1600000000000000 + i * 50
        c = addr(i >> 6)
        sport = 1024 + (i & 63) * 997
        kind = i % 3
        if kind == 0:
            get = b"GET /i/%d HTTP/1.1\r\nHost: www.example%d.com\r\nUser-Agent: bench\r\n\r\n" % (
                i, i % 100)
            ok = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello"
            pk += tcp_flow(out, ts, c, srv, sport, 80, [(get, ok)] * (1 + i % 5))
        elif kind == 1:
            name = "host%d.example.org" % (i % 1000)
            rec(out, ts, eth(ipv4(c, bytes([10, 0, 0, 53]), 17,
                                  udp(sport, 53, dns_query(i & 0xFFFF, name)))))
            rec(out, ts + 100, eth(ipv4(bytes([10, 0, 0, 53]), c, 17,
                                        udp(53, sport, dns_answer(i & 0xFFFF, name)))))
            pk += 2
        else:
            pk += tcp_flow(out, ts, c, bytes([10, 0, 0, 45]), sport, 445,
                           [(smb2(0, False), smb2(0, True))])
    return pk


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in ("real", "syn", "short"):
        sys.exit(__doc__)
    with open(sys.argv[2], "wb") as out:
        out.write(PCAP_HDR)
        if sys.argv[1] == "real":
            n = real(out, sys.argv[3], int(sys.argv[4]))
        elif sys.argv[1] == "syn":
            n = syn(out, int(sys.argv[3]))
        else:
            n = short(out, int(sys.argv[3]))
    print("%d packets" % n, file=sys.stderr)


if __name__ == "__main__":
    main()

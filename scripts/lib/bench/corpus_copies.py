#!/usr/bin/python3
"""Build the real-traffic benchmark capture: every Ethernet packet of the
captures in DIR (classic pcap in either byte order, µs or ns, and pcapng;
other link types are left out), put end to end on one timeline, then that
timeline written COPIES times, one copy after the other, as one classic pcap
(Ethernet, µs).

Copy k (0 to COPIES-1) adds k to the last byte of every unicast IPv4/IPv6
address (within its /24 or /120, so address-based classification keeps its
network), so the copies are distinct flows; the IPv4 header and TCP, UDP and
ICMPv6 checksums are adjusted (RFC 1624), so a checksum right in the corpus
stays right. Addresses are rewritten behind 802.1Q/802.1ad tags, PPPoE
sessions, MPLS labels and IP-in-IP/IPv6-in-IP layers. Timestamps are rebased:
within a capture a packet keeps its gap to the previous one (negative gaps
become 0, gaps over --max-gap are cut to it), captures and copies follow
each other after 1 s, so the file is monotonic. Capture files are read in
name order: equal inputs give byte-identical output.

The packet count goes to stderr and to OUT.count ("packets captures").
"""
import argparse
import os
import struct
import sys

ETHERNET = 1
REC = struct.Struct('<IIII')


def read_pcap(data):
    """(linktype, [(t_us, wire_len, bytes)]) of a classic pcap, or None."""
    magic = data[:4]
    orders = {b'\xd4\xc3\xb2\xa1': ('<', 1), b'\x4d\x3c\xb2\xa1': ('<', 1000),
              b'\xa1\xb2\xc3\xd4': ('>', 1), b'\xa1\xb2\x3c\x4d': ('>', 1000)}
    if magic not in orders or len(data) < 24:
        return None
    end, div = orders[magic]
    linktype = struct.unpack(end + 'I', data[20:24])[0] & 0x03ffffff
    rec = struct.Struct(end + 'IIII')
    pkts, off = [], 24
    while off + 16 <= len(data):
        sec, frac, caplen, wlen = rec.unpack_from(data, off)
        off += 16
        if caplen > len(data) - off:
            break
        pkts.append((sec * 1_000_000 + frac // div, wlen, data[off:off + caplen]))
        off += caplen
    return linktype, pkts


def read_pcapng(data):
    """(ETHERNET, [(t_us, wire_len, bytes)]) of the Ethernet packets of a pcapng, or None."""
    if data[:4] != b'\x0a\x0d\x0d\x0a' or len(data) < 12:
        return None
    pkts, off, end, ifaces, last = [], 0, '<', [], 0
    while off + 12 <= len(data):
        btype = struct.unpack_from(end + 'I', data, off)[0]
        if btype == 0x0a0d0d0a:  # section header: byte order, interfaces reset
            end = '<' if data[off + 8:off + 12] == b'\x4d\x3c\x2b\x1a' else '>'
            ifaces = []
        blen = struct.unpack_from(end + 'I', data, off + 4)[0]
        if blen < 12 or off + blen > len(data):
            break
        body = data[off + 8:off + blen - 4]
        off += blen
        if btype == 1 and len(body) >= 8:  # interface description
            lt = struct.unpack_from(end + 'H', body, 0)[0]
            res, o = 1_000_000, 8
            while o + 4 <= len(body):
                code, olen = struct.unpack_from(end + 'HH', body, o)
                if code == 0:
                    break
                if code == 9 and olen >= 1:
                    v = body[o + 4]
                    res = 2 ** (v & 0x7f) if v & 0x80 else 10 ** v
                o += 4 + olen + (-olen % 4)
            ifaces.append((lt, res))
        elif btype in (6, 2) and len(body) >= 20:  # enhanced / obsolete packet
            if btype == 6:
                ifc, hi, lo, caplen, wlen = struct.unpack_from(end + 'IIIII', body, 0)
            else:
                ifc, _, hi, lo, caplen, wlen = struct.unpack_from(end + 'HHIIII', body, 0)
            if ifc >= len(ifaces) or ifaces[ifc][0] != ETHERNET:
                continue
            ts = (hi << 32 | lo) * 1_000_000 // ifaces[ifc][1]
            last = ts
            pkts.append((ts, wlen, body[20:20 + min(caplen, len(body) - 20)]))
        elif btype == 3 and len(body) >= 4 and ifaces and ifaces[0][0] == ETHERNET:
            wlen = struct.unpack_from(end + 'I', body, 0)[0]
            pkts.append((last, wlen, body[4:4 + min(wlen, len(body) - 4)]))
    return ETHERNET, pkts


def shiftable4(b, o):
    a = b[o]
    return 0 < a < 224


def shiftable6(b, o):
    return b[o] != 0xff and any(b[o:o + 16])


def ip_plan(b, o, groups, depth=0):
    """Add (address-byte positions, checksum positions) for the IP layer at o to groups."""
    if o + 20 > len(b) or depth > 2:
        return
    v = b[o] >> 4
    if v == 4:
        ihl = (b[o] & 15) * 4
        if ihl < 20 or o + ihl > len(b):
            return
        addrs = [o + p + 3 for p in (12, 16) if shiftable4(b, o + p)]
        proto = b[o + 9]
        l4 = o + ihl
        first = struct.unpack_from('!H', b, o + 6)[0] & 0x1fff == 0
        groups.append((addrs, [o + 10]))
    elif v == 6:
        if o + 40 > len(b):
            return
        addrs = [o + p + 15 for p in (8, 24) if shiftable6(b, o + p)]
        proto, l4, first = b[o + 6], o + 40, True
        while proto in (0, 43, 60, 44) and l4 + 8 <= len(b):  # extension headers
            if proto == 44:
                first = struct.unpack_from('!H', b, l4 + 2)[0] & 0xfff8 == 0
                proto, l4 = b[l4], l4 + 8
            else:
                proto, l4 = b[l4], l4 + 8 + b[l4 + 1] * 8
        groups.append((addrs, []))
    else:
        return
    if not first or not addrs:
        return
    csum = {6: 16, 17: 6, 58: 2}.get(proto)
    if csum is not None and l4 + csum + 2 <= len(b):
        if not (proto == 17 and v == 4 and b[l4 + 6:l4 + 8] == b'\0\0'):
            groups[-1][1].append(l4 + csum)
    elif proto in (4, 41):
        ip_plan(b, l4, groups, depth + 1)


def plan(b):
    """Where copy k rewrites packet b: [(address-byte positions, checksum positions)]."""
    o, et = 14, struct.unpack_from('!H', b, 12)[0] if len(b) >= 14 else 0
    while et in (0x8100, 0x88a8, 0x9100) and o + 4 <= len(b):
        et, o = struct.unpack_from('!H', b, o + 2)[0], o + 4
    if et == 0x8864 and o + 8 <= len(b):  # PPPoE session: PPP IPv4 0x0021, IPv6 0x0057
        ppp = struct.unpack_from('!H', b, o + 6)[0]
        et, o = {0x21: 0x0800, 0x57: 0x86dd}.get(ppp, 0), o + 8
    elif et == 0x8847:  # MPLS: labels up to the bottom of stack, then IP by version
        while o + 4 <= len(b) and not b[o + 2] & 1:
            o += 4
        et, o = 0x0800, o + 4
    groups = []
    if et in (0x0800, 0x86dd):
        ip_plan(b, o, groups)
    return [g for g in groups if g[0]]


def rewrite(b, groups, k):
    """Copy of packet b for copy k."""
    if not groups or k == 0:
        return b
    out = bytearray(b)
    for addrs, sums in groups:
        delta = 0
        for p in addrs:
            old = out[p]
            new = (old + k) & 0xff
            out[p] = new
            delta += new - old
        delta %= 0xffff
        for p in sums:
            c = (out[p] << 8 | out[p + 1]) ^ 0xffff
            c += delta
            c = (c & 0xffff) + (c >> 16)
            c = (c & 0xffff) + (c >> 16)
            c ^= 0xffff
            out[p], out[p + 1] = c >> 8, c & 0xff
    return bytes(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('dir', help='directory of captures (read in name order, not recursively)')
    ap.add_argument('--out', required=True)
    ap.add_argument('--copies', type=int, default=28)
    ap.add_argument('--max-gap', type=float, default=60.0,
                    help='longest gap kept between two packets of a capture, seconds (default 60)')
    args = ap.parse_args()
    if not 1 <= args.copies <= 256:
        ap.error('--copies: 1 to 256')
    maxgap = int(args.max_gap * 1_000_000)
    timeline, t, used, skipped = [], 0, 0, 0
    for name in sorted(os.listdir(args.dir)):
        path = os.path.join(args.dir, name)
        if not os.path.isfile(path):
            continue
        with open(path, 'rb') as f:
            data = f.read()
        got = read_pcap(data) or read_pcapng(data)
        if got is None or got[0] != ETHERNET or not got[1]:
            skipped += 1
            continue
        used += 1
        prev = got[1][0][0]
        for ts, wlen, pkt in got[1]:
            t += min(maxgap, max(0, ts - prev))
            prev = ts
            timeline.append((t, wlen, pkt, plan(pkt)))
        t += 1_000_000
    if not timeline:
        sys.exit(f'corpus_copies: no Ethernet packet in {args.dir}')
    span = t
    tmp = args.out + '.tmp'
    n = 0
    base = 1710234000 * 1_000_000  # 2024-03-12 09:00:00 UTC, as scripts/gen-traffic
    with open(tmp, 'wb', buffering=1 << 20) as fp:
        fp.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144, ETHERNET))
        for k in range(args.copies):
            out = []
            for t, wlen, pkt, groups in timeline:
                ts = base + k * span + t
                b = rewrite(pkt, groups, k)
                out.append(REC.pack(ts // 1_000_000, ts % 1_000_000, len(b), max(wlen, len(b))))
                out.append(b)
            fp.write(b''.join(out))
            n += len(timeline)
    os.replace(tmp, args.out)
    with open(args.out + '.count', 'w') as fc:
        fc.write(f'{n} {used}\n')
    print(f'corpus_copies: {args.out}: {n} packets, {args.copies} copies of {len(timeline)} '
          f'packets from {used} Ethernet captures ({skipped} other files left out)', file=sys.stderr)


if __name__ == '__main__':
    main()

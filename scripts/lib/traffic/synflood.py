"""A SYN flood (--synflood): one SYN per flow, every flow from its own
(source address, source port), all to one internal web server, written in
time order without any merging, so a few million packets take seconds.

Sources are 32 SYNs per address in 198.18.0.0/15 (RFC 2544 benchmarking),
ports 1024 + (i % 32) * 2000 + (i // 32) % 2000, so (address, port) never
repeats below 131072 * 32 SYNs; the ISN and IP ID come from the seed."""
import struct

from .net import EPOCH, REC, ROUTER_MAC, SYN, TCPH, ip

SYN_OPTS = bytes.fromhex('020405b40103030801010402')  # MSS 1460, wscale 8, SACK permitted
MAX_SYNS = (1 << 17) * 32


def synflood(args, fp):
    """args.flows SYNs at args.rate per second of packet time; return the packet count."""
    n = args.flows
    if n > MAX_SYNS:
        raise SystemExit(f'gen-traffic: --synflood: at most {MAX_SYNS} SYNs')
    fp.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    dst = ip('10.10.2.20')
    src0 = ip('198.18.0.0')
    dport, win, ttl = 80, 64240, 52
    mac = ROUTER_MAC + bytes.fromhex('024200000a14')
    tl = 20 + len(SYN_OPTS)
    il = 20 + tl
    osum = int.from_bytes(SYN_OPTS, 'big') % 0xffff
    # Checksum parts that never change (see net.wsum: 32-bit values add whole).
    ip_fixed = 0x4500 + il + 0x4000 + (ttl << 8 | 6) + dst
    tcp_fixed = dst + 6 + tl + dport + (8 << 12 | SYN) + win + osum
    seed = args.seed & 0xffffffff
    step = max(1, round(1_000_000 / args.rate))  # µs between SYNs
    out = []
    pack_rec, pack_hdr = REC.pack, TCPH.pack
    for i in range(n):
        src = src0 + (i >> 5)
        sport = 1024 + (i & 31) * 2000 + (i >> 5) % 2000
        x = (i * 2654435761 + seed) & 0xffffffff
        isn = x ^ (x >> 13)
        idv = x >> 16
        ipcs = -(ip_fixed + idv + src) % 0xffff
        tcs = -(tcp_fixed + src + sport + isn) % 0xffff
        ts = i * step
        out.append(pack_rec(EPOCH + ts // 1_000_000, ts % 1_000_000, 14 + il, 14 + il)
                   + pack_hdr(mac, 0x0800, 0x45, 0, il, idv, 0x4000, ttl, 6, ipcs, src, dst,
                              sport, dport, isn, 0, 8 << 4, SYN, win, tcs, 0) + SYN_OPTS)
        if len(out) >= 50000:
            fp.write(b''.join(out))
            out.clear()
    fp.write(b''.join(out))
    return n

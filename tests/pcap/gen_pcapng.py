#!/usr/bin/env python3
"""Writes a pcapng of several interfaces, link types and byte orders, as
dumpcap on two interfaces or mergecap of captures from two hosts gives:

  section 1 (little-endian): IDB 0 Ethernet (microseconds), IDB 1 Linux
      cooked SLL (nanoseconds, if_tsresol 9), a name resolution block and
      an interface statistics block (skipped), EPBs of both interleaved;
  section 2 (big-endian): IDB 0 raw IP (2^-20 s, if_tsresol 0x94), EPBs.

  gen_pcapng.py OUT.pcapng [EXTRA_LINKTYPE]   prints the number of packets
      written; EXTRA_LINKTYPE adds to section 1 an interface 2 of that link
      type with one packet (an unsupported one is skipped, not refused).
  gen_pcapng.py --only LINKTYPE OUT.pcapng     one interface, one packet.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_cases import (DLT_EN10MB, DLT_LINUX_SLL, T0, dns_exchange, eth, http_session,  # noqa: E402
                       icmp_echo, raw, sll)

DLT_RAW = 101


def _pad4(b):
    return b + b"\0" * (-len(b) % 4)


def block(e, btype, body):
    body = _pad4(body)
    n = 12 + len(body)
    return struct.pack(e + "II", btype, n) + body + struct.pack(e + "I", n)


def shb(e):
    return block(e, 0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1))


def idb(e, dlt, tsresol=None):
    opts = b""
    if tsresol is not None:
        opts = struct.pack(e + "HHB3x", 9, 1, tsresol) + struct.pack(e + "HH", 0, 0)
    return block(e, 1, struct.pack(e + "HHI", dlt, 0, 65535) + opts)


def epb(e, iface, ticks, data):
    return block(e, 6, struct.pack(e + "IIIII", iface, ticks >> 32, ticks & 0xFFFFFFFF,
                                   len(data), len(data)) + _pad4(data))


def main(path, extra=None):
    eth_recs = [(ts, bytes(d), 0) for ts, d in eth(http_session(sport=40200))]
    sll_recs = [(ts, bytes(d), 1) for ts, d in sll(dns_exchange(sport=50200, t0=T0 + 0.05))]
    raw_recs = raw(icmp_echo(ip_c="10.0.0.7", ip_s="10.0.0.8", t0=T0 + 0.3))
    le, be = "<", ">"
    out = shb(le) + idb(le, DLT_EN10MB) + idb(le, DLT_LINUX_SLL, tsresol=9)
    if extra is not None:
        out += idb(le, extra) + epb(le, 2, round(T0 * 1e6), b"\0" * 20)
    out += block(le, 4, struct.pack(le + "HH4s", 1, 4 + 8, b"\x0a\0\0\x02") + b"web.lan\0"
                 + struct.pack(le + "HH", 0, 0))  # NRB
    for ts, data, iface in sorted(eth_recs + sll_recs):
        ticks = round(ts * 1e6) * (1000 if iface else 1)
        out += epb(le, iface, ticks, data)
    out += block(le, 5, struct.pack(le + "III", 0, 0, 0))  # ISB
    out += shb(be) + idb(be, DLT_RAW, tsresol=0x94)
    for ts, data in raw_recs:
        out += epb(be, 0, round(ts * (1 << 20)), data)
    with open(path, "wb") as f:
        f.write(out)
    print(len(eth_recs) + len(sll_recs) + len(raw_recs) + (extra is not None))


def only(linktype, path):
    with open(path, "wb") as f:
        f.write(shb("<") + idb("<", linktype) + epb("<", 0, round(T0 * 1e6), b"\0" * 20))
    print(1)


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "--only":
        only(int(a[1]), a[2])
    elif len(a) in (1, 2):
        main(a[0], int(a[1]) if len(a) == 2 else None)
    else:
        sys.exit("usage: gen_pcapng.py OUT.pcapng [EXTRA_LINKTYPE] | --only LINKTYPE OUT.pcapng")

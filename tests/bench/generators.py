#!/usr/bin/python3
"""Checks the benchmark captures are what scripts/bench.sh says they are:
gen-traffic's --short, --long, --synflood and --concurrent modes and
scripts/lib/bench/corpus_copies.py, on small sizes (a few seconds).

    tests/bench/generators.py        (prints "generators: N passed, N failed")
"""
import collections
import os
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GEN = os.path.join(ROOT, 'scripts', 'gen-traffic')
COPIES = os.path.join(ROOT, 'scripts', 'lib', 'bench', 'corpus_copies.py')
FIN, SYN = 0x01, 0x02


def packets(path):
    """[(t_us, frame bytes)] of a little-endian µs classic pcap."""
    with open(path, 'rb') as f:
        d = f.read()
    assert d[:4] == b'\xd4\xc3\xb2\xa1', 'not a little-endian µs pcap'
    out, o = [], 24
    while o < len(d):
        sec, us, cl, _ = struct.unpack_from('<IIII', d, o)
        out.append((sec * 1_000_000 + us, d[o + 16:o + 16 + cl]))
        o += 16 + cl
    return out


def key(p):
    """(canonical 5-tuple, TCP flags or None) of an Ethernet/IPv4 frame, else (None, None)."""
    if len(p) < 34 or p[12:14] != b'\x08\x00':
        return None, None
    ihl = (p[14] & 15) * 4
    proto, a, b = p[23], p[26:30], p[30:34]
    sp = dp = 0
    flags = None
    if proto in (6, 17):
        sp, dp = struct.unpack_from('!HH', p, 14 + ihl)
        if proto == 6:
            flags = p[14 + ihl + 13]
    ends = sorted([(a, sp), (b, dp)])
    return (proto, ends[0], ends[1]), flags


def ip_sum_ok(p):
    ihl = (p[14] & 15) * 4
    h = p[14:14 + ihl]
    return sum(struct.unpack('!%dH' % (ihl // 2), h)) % 0xffff == 0


def l4_sum_ok(p):
    """The TCP or UDP checksum of an unfragmented IPv4 frame is right (or absent)."""
    ihl = (p[14] & 15) * 4
    proto, tl = p[23], struct.unpack_from('!H', p, 16)[0] - ihl
    seg = p[14 + ihl:14 + ihl + tl]
    if proto not in (6, 17) or len(seg) < tl or (proto == 17 and seg[6:8] == b'\0\0'):
        return True
    seg += b'\0' * (tl & 1)
    total = sum(struct.unpack('!%dH' % (len(seg) // 2), seg)) + sum(
        struct.unpack('!4H', p[26:34])) + proto + tl
    return total % 0xffff == 0


def gen(tmp, name, *args):
    out = os.path.join(tmp, name + '.pcap')
    subprocess.run(['/usr/bin/python3', GEN, '--seed', '3', '--out', out, *args], check=True,
                   stderr=subprocess.DEVNULL)
    return out


def flows_of(pkts):
    fl = collections.OrderedDict()
    for _, p in pkts:
        k, flags = key(p)
        fl.setdefault(k, []).append(flags)
    return fl


def monotonic(pkts):
    return all(a[0] <= b[0] for a, b in zip(pkts, pkts[1:]))


def check_short(tmp):
    pk = packets(gen(tmp, 'short', '--short', '--flows', '3000'))
    fl = flows_of(pk)
    sizes = [len(v) for v in fl.values()]
    ports = {min(k[1][1], k[2][1]) for k in fl}
    fins = sum(1 for v in fl.values() for f in v if f is not None and f & FIN)
    assert len(fl) == 3000, f'{len(fl)} flows, not 3000'
    assert min(sizes) == 2 and max(sizes) == 13, f'flow sizes {min(sizes)}..{max(sizes)}'
    assert ports == {53, 80, 445}, f'server ports {sorted(ports)}'
    assert fins == 0, f'{fins} FIN packets'
    assert monotonic(pk) and all(ip_sum_ok(p) and l4_sum_ok(p) for _, p in pk)


def check_long(tmp):
    pk = packets(gen(tmp, 'long', '--long', '--flows', '4', '--packets', '8000'))
    sizes = sorted(len(v) for v in flows_of(pk).values())
    assert len(sizes) == 4 and sizes[0] >= 2000 and sizes[-1] <= 2010, f'flow sizes {sizes}'
    assert monotonic(pk)


def check_synflood(tmp):
    pk = packets(gen(tmp, 'syn', '--synflood', '--flows', '20000', '--rate', '500000'))
    fl = flows_of(pk)
    assert len(pk) == 20000 and len(fl) == 20000, f'{len(pk)} SYNs, {len(fl)} flows'
    assert all(v == [SYN] for v in fl.values()), 'a packet that is not a lone SYN'
    assert pk[-1][0] - pk[0][0] == 19999 * 2, 'not 2 µs apart at --rate 500000'
    assert all(ip_sum_ok(p) and l4_sum_ok(p) for _, p in pk), 'a checksum is wrong'


def check_concurrent(tmp):
    pk = packets(gen(tmp, 'conc', '--concurrent', '--kinds', 'http', '--flows', '1000'))
    fl = flows_of(pk)
    assert len(fl) == 1000 and all(len(v) == 5 for v in fl.values()), 'not 1000 flows of 5'
    # All alive at once: every flow's last packet comes after every flow's first.
    first, last = {}, {}
    for t, p in pk:
        k, _ = key(p)
        first.setdefault(k, t)
        last[k] = t
    assert min(last.values()) > max(first.values()), 'a flow ends before another starts'
    pw = packets(gen(tmp, 'conc-w', '--concurrent', '--kinds', 'http', '--flows', '1000',
                     '--window', '100'))
    assert len(pw) == len(pk) and flows_of(pw).keys() == fl.keys(), 'window: other flows'


def vigie_flows(path):
    vigie = os.environ.get('VIGIE', os.path.join(ROOT, 'build', 'vigie'))
    if not os.access(vigie, os.X_OK):
        return None
    r = subprocess.run([vigie, '-r', path, '--no-redis', '-q'], capture_output=True, text=True,
                       check=True)
    line = r.stderr.strip().splitlines()[-1]
    return int(line.split(' packets, ')[1].split(' flows')[0])


def check_corpus_copies(tmp):
    corpus = os.path.join(tmp, 'corpus')
    os.mkdir(corpus)
    gen(corpus, 'a', '--flows', '200', '--packets', '1500')
    gen(corpus, 'b', '--flows', '100', '--packets', '600', '--seed', '4')
    inputs = sum(int(open(os.path.join(corpus, f + '.pcap.count')).read().split()[0])
                 for f in 'ab')
    for f in 'ab':
        os.remove(os.path.join(corpus, f + '.pcap.count'))
    if shutil.which('editcap'):  # the same traffic as pcapng must be read as well
        subprocess.run(['editcap', '-F', 'pcapng', os.path.join(corpus, 'b.pcap'),
                        os.path.join(corpus, 'b.pcapng')], check=True)
        os.remove(os.path.join(corpus, 'b.pcap'))
    one, three = os.path.join(tmp, 'one.pcap'), os.path.join(tmp, 'three.pcap')
    for out, n in ((one, '1'), (three, '3')):
        subprocess.run(['/usr/bin/python3', COPIES, corpus, '--copies', n, '--out', out],
                       check=True, stderr=subprocess.DEVNULL)
    p1, p3 = packets(one), packets(three)
    assert len(p1) == inputs, f'{len(p1)} packets in one copy of {inputs}'
    assert len(p3) == 3 * len(p1), f'{len(p3)} packets in 3 copies of {len(p1)}'
    assert monotonic(p3), 'timestamps go back'
    f1, f3 = flows_of(p1), flows_of(p3)
    assert len(f3) == 3 * len(f1), f'{len(f3)} flows in 3 copies of {len(f1)}'
    assert all(ip_sum_ok(p) for _, p in p3), 'an IPv4 header checksum is wrong'
    assert all(l4_sum_ok(p) for _, p in p3), 'a TCP or UDP checksum is wrong'
    n1, n3 = vigie_flows(one), vigie_flows(three)
    assert n1 is None or n3 == 3 * n1, f'vigie: {n3} flows in 3 copies of {n1}'


def main():
    passed = failed = 0
    tmp = tempfile.mkdtemp(prefix='bench-gen.')
    try:
        for name, fn in [('gen-traffic --short', check_short), ('gen-traffic --long', check_long),
                         ('gen-traffic --synflood', check_synflood),
                         ('gen-traffic --concurrent', check_concurrent),
                         ('corpus_copies.py', check_corpus_copies)]:
            try:
                fn(tmp)
                passed += 1
                print(f'ok   {name}')
            except (AssertionError, subprocess.CalledProcessError) as e:
                failed += 1
                print(f'FAIL {name}: {e}')
    finally:
        shutil.rmtree(tmp)
    print(f'generators: {passed} passed, {failed} failed')
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()

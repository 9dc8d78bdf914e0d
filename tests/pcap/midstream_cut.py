#!/usr/bin/python3
"""Flows picked up midstream keep their client (sensor/flow/orient.c).

    tests/pcap/midstream_cut.py [--max-reversed N]

Every capture of ../shared/expect/must-fire.tsv runs whole, then cut as a
SPAN port that starts late would deliver it: from the packet at 10%, 30% and
50% of its count on (editcap -r), with ../shared/expect/corpus.yaml. Each
alert of a cut run is compared with the (source, destination) pairs of the
whole run's alerts: the same pair, the pair reversed (the sensor took the
server for the client), or a pair the whole run has not. Prints the three
counts; fails when more than --max-reversed (default 1% of the cut runs'
alerts) are reversed. Skips (exit 0) without ../shared or editcap.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import mustfire

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VIGIE = os.environ.get("VIGIE", os.path.join(ROOT, "build", "vigie"))
SHARED = os.environ.get("SHARED", os.path.normpath(os.path.join(ROOT, "..", "shared")))
CUTS = (0.1, 0.3, 0.5)


def alerts(config, capture, out):
    if os.path.exists(out):
        os.unlink(out)
    subprocess.run([VIGIE, "-c", config, "-r", capture, "--no-redis", "-q", "-A", out],
                   capture_output=True)
    if not os.path.exists(out):
        return []
    with open(out) as f:
        recs = [json.loads(line) for line in f if line.strip()]
    return [(r["src_ip"], r["dest_ip"]) for r in recs if r.get("event_type") == "alert"]


def packets(capture):
    """Its packet count (capinfos exits 1 on a capture cut short, after
    counting what it holds)."""
    r = subprocess.run(["capinfos", "-c", "-M", capture], capture_output=True, text=True)
    for line in r.stdout.splitlines():
        if line.startswith("Number of packets"):
            return int(line.split()[-1])
    sys.exit("midstream_cut: capinfos cannot count %s" % capture)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-reversed", type=int)
    args = ap.parse_args()
    found = mustfire.rows(SHARED, ("editcap", "capinfos"))
    if found is None:
        print("midstream_cut: skipped (no %s/expect/must-fire.tsv, or no editcap/capinfos)" % SHARED)
        return 0
    rows, config = found
    caps = sorted({cap for cap, _ in rows})
    same = reversed_ = other = 0
    worst = {}
    with tempfile.TemporaryDirectory() as tmp:
        out, cut = os.path.join(tmp, "a.json"), os.path.join(tmp, "cut.pcapng")
        for cap in caps:
            path = os.path.join(SHARED, "corpus", cap)
            whole = set(alerts(config, path, out))
            n = packets(path)
            for frac in CUTS:
                first = max(2, int(n * frac))
                # editcap, too, exits 1 on a capture cut short, having written it
                subprocess.run(["editcap", "-r", path, cut, "%d-%d" % (first, n)], capture_output=True)
                for s, d in alerts(config, cut, out):
                    if (s, d) in whole:
                        same += 1
                    elif (d, s) in whole:
                        reversed_ += 1
                        worst[cap] = worst.get(cap, 0) + 1
                    else:
                        other += 1
    total = same + reversed_ + other
    limit = args.max_reversed if args.max_reversed is not None else total // 100
    print("midstream_cut: %d captures cut at %s of their packets: %d alerts, %d with the whole "
          "run's pair, %d reversed, %d other" % (len(caps), "/".join("%d%%" % (c * 100) for c in CUTS),
                                                 total, same, reversed_, other))
    for cap, k in sorted(worst.items()):
        print("  reversed: %s: %d" % (cap, k))
    ok = reversed_ <= limit
    print("midstream_cut: %s (at most %d reversed)" % ("ok" if ok else "FAILED", limit))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Incidents on the lateral-movement captures of ../shared/corpus (issue 10).

    tests/pcap/corpus_incidents.py

Each capture of ../shared/expect/must-fire.tsv runs with
../shared/expect/corpus.yaml:
  - every alert with an ATT&CK technique belongs to an incident
    (vigie.incident names one of the run's incident records);
  - the incident of an alert holds the alert's source and destination
    (a probe's destination aside: docs/incidents.md rule 11).
Then captures of different labs (corpus folders) whose hosts are disjoint
are stitched into one file (mergecap -a) and run together: no incident
holds hosts of both, and every technique alert still has one.
Last, chains: an attack from A onto B in one lab's capture, then another
lab's attack from X onto C rewritten (tcprewrite) so that X is B, shifted
(editcap -t) to start after the first: one incident, A origin, B pivot, C
target. Skips cleanly without ../shared."""
import itertools
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SHARED = os.environ.get("SHARED") or os.path.normpath(os.path.join(ROOT, "..", "shared"))
VIGIE = os.environ.get("VIGIE") or os.path.join(ROOT, "build", "vigie")
PAIRS = 12
CHAINS = 6
# Remote execution and file transfer onto a host (docs/incidents.md rule 3),
# not the zone detectors or the scan.
MOVES = {"smb_admin_share", "lateral_tool_transfer", "remote_service", "remote_task", "remote_wmi",
         "remote_dcom", "remote_registry"}

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok   " + name)
    else:
        failed += 1
        print("FAIL " + name + (": " + detail if detail else ""))


def run(config, capture, out):
    r = subprocess.run([VIGIE, "-c", config, "-r", capture, "--no-redis", "-q", "-A", out],
                       capture_output=True, text=True)
    records = []
    if os.path.exists(out):
        with open(out) as f:
            records = [json.loads(line) for line in f if line.strip()]
    # A capture cut short ends with exit 1 and "corrupt capture" (SPEC):
    # what came before it counts.
    cut = r.returncode == 1 and "corrupt capture" in r.stderr
    return (0 if cut else r.returncode), records, cut


def last_versions(records):
    inc = {}
    for r in records:
        if r.get("event_type") == "incident":
            i = r["incident"]
            if i["id"] not in inc or i["version"] > inc[i["id"]]["version"]:
                inc[i["id"]] = i
    return inc


def technique_alerts(records):
    return [r for r in records if r.get("event_type") == "alert"
            and r["alert"].get("metadata", {}).get("mitre_technique_id")]


def check_run(label, records):
    """Every technique alert in an incident that holds its hosts; returns
    the incidents' host sets."""
    inc = last_versions(records)
    alerts = technique_alerts(records)
    orphans = [a["vigie"]["detector"] for a in alerts if a["vigie"].get("incident") not in inc]
    check("%s: every technique alert (%d) belongs to an incident" % (label, len(alerts)),
          not orphans, "without one: %s" % sorted(set(orphans)))
    missing = []
    for a in alerts:
        i = inc.get(a["vigie"].get("incident"))
        if not i:
            continue
        hosts = {h["ip"] for h in i["hosts"]}
        if a["src_ip"] not in hosts:
            missing.append(a["src_ip"])
    check("%s: each alert's source is a host of its incident" % label, not missing,
          "missing: %s" % sorted(set(missing)))
    return {k: {h["ip"] for h in v["hosts"]} for k, v in inc.items()}


def capture_span(path):
    """(first, last) packet time of a capture, in seconds."""
    r = subprocess.run(["capinfos", "-a", "-e", "-S", "-T", "-r", path], capture_output=True, text=True)
    f = r.stdout.strip().split("\t")
    return float(f[-2]), float(f[-1])


def chains(config, tmp, moves):
    """A -> B in one lab, then B -> C in another: one incident."""
    caps = sorted(moves)
    made, firsts, seconds = 0, set(), set()
    for a, b in itertools.permutations(caps, 2):
        if made == CHAINS:
            break
        (src1, dst1), (src2, dst2) = moves[a], moves[b]
        if (a.split("/")[0] == b.split("/")[0] or len({src1, dst1, dst2}) < 3 or src2 in (src1, dst1)
                or a in firsts or b in seconds):
            continue
        firsts.add(a)
        seconds.add(b)
        p1, p2 = os.path.join(SHARED, "corpus", a), os.path.join(SHARED, "corpus", b)
        n = made
        made += 1
        label = "chain %s -> %s -> %s (%s, then %s)" % (src1, dst1, dst2, a, b)
        plain, moved, shifted = (os.path.join(tmp, "chain-%d-%s.pcap" % (n, k)) for k in ("plain", "moved", "shifted"))
        end1 = capture_span(p1)[1]
        start2 = capture_span(p2)[0]
        steps = [["editcap", "-F", "pcap", p2, plain],
                 ["tcprewrite", "--pnat=%s/32:%s/32" % (src2, dst1), "--fixcsum", "-i", plain, "-o", moved],
                 ["editcap", "-t", "%.6f" % (end1 - start2 + 60), moved, shifted],
                 ["mergecap", "-a", "-w", os.path.join(tmp, "chain-%d.pcapng" % n), p1, shifted]]
        err = next((r.stderr.strip() or "failed" for r in (subprocess.run(c, capture_output=True, text=True)
                                                              for c in steps) if r.returncode != 0), None)
        if err:
            check(label + ": built", False, err)
            continue
        rc, records, _ = run(config, os.path.join(tmp, "chain-%d.pcapng" % n), os.path.join(tmp, "chain-%d.json" % n))
        inc = [i for i in last_versions(records).values() if src1 in {h["ip"] for h in i["hosts"]}]
        roles = {h["ip"]: h["role"] for h in inc[0]["hosts"]} if len(inc) == 1 else {}
        check(label + ": one incident, A origin, B pivot, C target",
              rc == 0 and roles.get(src1) == "origin" and roles.get(dst1) == "pivot" and roles.get(dst2) == "target",
              "exit %d, %d incidents with A, roles %s" % (rc, len(inc), {k: roles.get(k) for k in (src1, dst1, dst2)}))
    check("chains: at least one built", made > 0)


def main():
    tsv = os.path.join(SHARED, "expect", "must-fire.tsv")
    config = os.path.join(SHARED, "expect", "corpus.yaml")
    if not os.path.exists(tsv) or not os.path.exists(config):
        print("corpus_incidents: skipped (no %s)" % tsv)
        return 0
    if not os.access(VIGIE, os.X_OK):
        print("corpus_incidents: no binary at %s" % VIGIE)
        return 1
    caps = []
    with open(tsv) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            caps.append(line.split("\t")[0])
    tmp = tempfile.mkdtemp()
    hosts = {}
    moves = {}  # capture -> (src, dst, first packet time) of its first move
    for n, cap in enumerate(caps):
        path = os.path.join(SHARED, "corpus", cap)
        rc, records, cut = run(config, path, os.path.join(tmp, "%d.json" % n))
        if rc != 0:
            check("%s: vigie exits 0" % cap, False, "exit %d" % rc)
            continue
        sets = check_run(cap, records)
        if not cut:  # mergecap stops at a capture cut short: not stitched
            hosts[cap] = set().union(*sets.values()) if sets else set()
            m = [a for a in records if a.get("event_type") == "alert" and a["vigie"]["detector"] in MOVES
                 and ":" not in a["src_ip"] and a["src_ip"] != a["dest_ip"]]
            if m:
                moves[cap] = (m[0]["src_ip"], m[0]["dest_ip"])

    # Stitched: a capture of one lab, then one of another, in one run.
    pairs = [(a, b) for a, b in itertools.combinations(sorted(hosts), 2)
             if a.split("/")[0] != b.split("/")[0] and hosts[a] and hosts[b] and not hosts[a] & hosts[b]]
    step = max(1, len(pairs) // PAIRS)
    for n, (a, b) in enumerate(pairs[::step][:PAIRS]):
        merged = os.path.join(tmp, "stitched-%d.pcapng" % n)
        r = subprocess.run(["mergecap", "-a", "-w", merged, os.path.join(SHARED, "corpus", a),
                            os.path.join(SHARED, "corpus", b)], capture_output=True, text=True)
        if r.returncode != 0:
            check("stitch %s + %s" % (a, b), False, r.stderr.strip())
            continue
        label = "%s + %s" % (a, b)
        rc, records, _ = run(config, merged, os.path.join(tmp, "stitched-%d.json" % n))
        if rc != 0:
            check("%s: vigie exits 0" % label, False, "exit %d" % rc)
            continue
        sets = check_run(label, records)
        shared = [k for k, s in sets.items() if s & hosts[a] and s & hosts[b]]
        check("%s: the two labs never share an incident" % label, not shared, "shared: %s" % shared)
    chains(config, tmp, moves)
    print("corpus_incidents: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""One worker or several: the same alerts, incidents and flow records (issue 11).

    tests/pcap/workers_same.py [--self-test] [--keys-only] [--jobs N] [MATCH...]

docs/workers.md: `--workers 1` and `--workers N` give the same alerts,
incidents and flow records, order aside. Each capture runs once per side
(default `--workers 1`, `--workers 2`, `--workers 3`) as
`vigie -c CONFIG -r CAPTURE --no-redis -q -A alerts --flows flows --workers N`,
and every side is compared with the first, as multisets (the order of the
records in the files is free):

  alerts      by (timestamp, signature_id, vigie.detector, 5-tuple, flow_id,
              severity, vigie zones, vigie.count, vigie.incident);
  incidents   the last version of each id (highest incident.version): id,
              state, merged_into, origin, hosts (ip, role, zone), hops (ends,
              techniques, detectors, alerts, allowed flows), zones, tactics,
              alerts, probes;
  flows       by (flow_id, reason, packets and bytes each way, app_proto,
              alerted);
then, unless --keys-only, whole records: every alert, every incident version
and every flow record, each as canonical JSON. One allowance, in flow
records only (docs/workers.md): where both sides name the same master
protocol, the sub-protocol after its dot and the ndpi category and risks
are not compared (nDPI 4.2 takes those of STUN, TLS and a few others from a
cache of earlier flows by one endpoint's address and port, per worker; a flow
named by another master, or by none, is a difference). The exit status must be the
same on every side (0, or 1 on a capture cut short), and nothing else.

Captures: the scenarios of tests/pcap/cases/scenario_grand_angouleme and
scenario_angers (their generator and config, read from their test.yaml),
20,000 short flows of scripts/gen-traffic all open at the end (ended
oldest first across the workers, pipeline_end_all), and
every pcap, pcapng and cap of ../shared/corpus with ../shared/expect/corpus.yaml
(the config of `cases.py --shared-expect`); without ../shared, the scenarios
only. MATCH arguments keep the captures whose label contains one of them.

First, always, a self-test proves the comparison can fail: on the Grand
Angouleme scenario, the same run twice must compare equal, its records
shuffled must compare equal, and each perturbation (an alert dropped, a flow's
packet count changed, an incident host's role changed, an earlier incident
version dropped, an alert's evidence changed, a flow's master protocol
changed, but not its sub-protocol alone; runs with kerberoast disabled
and with dedup_window 0) must be reported, in the part it changed.
The flow records a side ends at the end of the capture (reason shutdown)
must be in the order of their last packet (the self-test reverses them).
--self-test runs only that.

A vigie whose --help does not list --workers: "skipped", exit 0, unless
WORKERS_SAME_REQUIRE=1 (then a failure). With WORKERS_SAME_SIDES set
explicitly (e.g. "1 1") such a vigie runs each side without the flag: the
binary compared with itself, which shows the machinery passes.
Env: VIGIE (default build/vigie), SHARED (default <repo>/../shared),
WORKERS_SAME_SIDES ("1 2 3"), WORKERS_SAME_REQUIRE, WORKERS_SAME_JOBS (2).
Prints one line per capture and a summary; exits 1 if any capture differs."""
import argparse
import collections
import concurrent.futures
import copy
import json
import os
import random
import subprocess
import sys
import tempfile
import time

import yaml

PY = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SHARED = os.environ.get("SHARED") or os.path.normpath(os.path.join(ROOT, "..", "shared"))
VIGIE = os.environ.get("VIGIE") or os.path.join(ROOT, "build", "vigie")
SCENARIOS = ("scenario_grand_angouleme", "scenario_angers")
CAPTURE_EXT = (".pcap", ".pcapng", ".cap")
SHOW = 3  # differing items shown per part and side

# The fields of an alert and of a flow record that must not depend on how
# many threads did the per-flow work (docs/eve.md).
ALERT_KEY = ("timestamp", "alert.signature_id", "vigie.detector", "src_ip", "src_port", "dest_ip",
             "dest_port", "proto", "flow_id", "alert.severity", "vigie.src_zone", "vigie.dest_zone",
             "vigie.count", "vigie.incident")
FLOW_KEY = ("flow_id", "flow.reason", "flow.pkts_toserver", "flow.pkts_toclient", "flow.bytes_toserver",
            "flow.bytes_toclient", "app_proto", "flow.alerted")
# The parts compared, in order; a whole-record part is only looked at when its
# keyed part is equal (else it would repeat the same difference).
PARTS = ("alerts", "incidents", "flows")
WHOLE = {"alerts": "alert records", "incidents": "incident records", "flows": "flow records"}


def get(rec, dotted):
    for k in dotted.split("."):
        if not isinstance(rec, dict) or k not in rec:
            return None
        rec = rec[k]
    return rec


def canon(x):
    return json.dumps(x, sort_keys=True, separators=(",", ":"))


# ---- one run and its views ----------------------------------------------------


class Run:
    """The records of one vigie run: alert, incident and flow records as
    written, the exit status and stderr."""

    def __init__(self, rc, stderr, records):
        self.rc, self.stderr = rc, stderr
        self.alerts = [r for r in records if r.get("event_type") == "alert"]
        self.incidents = [r for r in records if r.get("event_type") == "incident"]
        self.flows = [r for r in records if r.get("event_type") == "flow"]


def run_vigie(capture, config, workers, scratch):
    """workers None: no --workers flag (a vigie without it)."""
    alerts, flows = scratch + ".alerts.json", scratch + ".flows.json"
    cmd = [VIGIE] + (["-c", config] if config else [])
    cmd += ["-r", capture, "--no-redis", "-q", "-A", alerts, "--flows", flows]
    cmd += ["--workers", str(workers)] if workers is not None else []
    r = subprocess.run(cmd, capture_output=True, text=True, errors="replace", stdin=subprocess.DEVNULL)
    records = []
    for path in (alerts, flows):
        if os.path.exists(path):
            with open(path) as f:
                for n, line in enumerate(f, 1):
                    if line.strip():
                        try:
                            records.append(json.loads(line))
                        except ValueError as e:
                            raise RuntimeError("%s line %d is not JSON: %s" % (os.path.basename(path), n, e))
            os.unlink(path)
    return Run(r.returncode, r.stderr, records)


def shutdown_out_of_order(run):
    """The first flow record ended at the end of the capture (reason
    shutdown) whose last packet is before the one written before it: every
    side ends those flows oldest first, across its workers."""
    prev = None
    for r in run.flows:
        f = r.get("flow") or {}
        if f.get("reason") != "shutdown":
            continue
        if prev is not None and f.get("end", "") < prev:
            return "flow %s (end %s) after one that ended at %s" % (r.get("flow_id"), f.get("end"), prev)
        prev = f.get("end", "")
    return None


def last_versions(incidents):
    """The last version of each incident id: the highest version, written
    last on a tie (the file order is not what is compared)."""
    last = {}
    for r in incidents:
        i = r.get("incident") or {}
        have = last.get(i.get("id"))
        if have is None or (i.get("version") or 0) >= (have["incident"].get("version") or 0):
            last[i.get("id")] = r
    return list(last.values())


def incident_key(rec):
    i = rec.get("incident") or {}
    return {"id": i.get("id"), "state": i.get("state"), "merged_into": i.get("merged_into"),
            "origin": i.get("origin"),
            "hosts": [{k: h.get(k) for k in ("ip", "role", "zone")} for h in i.get("hosts") or []],
            "hops": [{k: h.get(k) for k in ("src_ip", "dest_ip", "techniques", "detectors", "alerts",
                                            "allowed_flows")} for h in i.get("hops") or []],
            "zones": i.get("zones"), "tactics": i.get("tactics"),
            "alerts": i.get("alerts"), "probes": i.get("probes")}


def flow_view(rec):
    """A flow record as compared: its ndpi object reduced to the master
    protocol (the docstring's allowance)."""
    n = rec.get("ndpi")
    if not isinstance(n, dict) or not isinstance(n.get("proto"), str):
        return rec
    rec = dict(rec)
    rec["ndpi"] = {"proto": n["proto"].split(".")[0]}
    return rec


def views(run):
    """Each part as a multiset (Counter) of canonical JSON strings."""
    key = lambda rec, fields: canon({f: get(rec, f) for f in fields})
    return {
        "alerts": collections.Counter(key(r, ALERT_KEY) for r in run.alerts),
        "incidents": collections.Counter(canon(incident_key(r)) for r in last_versions(run.incidents)),
        "flows": collections.Counter(key(r, FLOW_KEY) for r in run.flows),
        "alert records": collections.Counter(canon(r) for r in run.alerts),
        "incident records": collections.Counter(canon(r) for r in run.incidents),
        "flow records": collections.Counter(canon(flow_view(r)) for r in run.flows),
    }


def counts(run):
    return {"alerts": len(run.alerts), "incidents": len(last_versions(run.incidents)), "flows": len(run.flows)}


def short(s, width=400):
    return s if len(s) <= width else s[:width] + "..."


def differences(a, b, name_a, name_b, keys_only=False):
    """(part, message lines) for each part in which run b differs from run a."""
    va, vb = views(a), views(b)
    out = []
    if a.rc != b.rc:
        out.append(("exit", ["exit %d with %s, %d with %s" % (a.rc, name_a, b.rc, name_b)]))
    parts = list(PARTS) + ([] if keys_only else [WHOLE[p] for p in PARTS])
    for part in parts:
        base = next((p for p, w in WHOLE.items() if w == part), None)
        if base and any(p == base for p, _ in out):
            continue
        if va[part] == vb[part]:
            continue
        only_a, only_b = va[part] - vb[part], vb[part] - va[part]
        lines = ["%s: %d with %s, %d with %s; %d only with %s, %d only with %s" % (
            part, sum(va[part].values()), name_a, sum(vb[part].values()), name_b,
            sum(only_a.values()), name_a, sum(only_b.values()), name_b)]
        lines += show_items(part, sorted(only_a.elements()), sorted(only_b.elements()), name_a, name_b)
        out.append((part, lines))
    return out


# What names a record in a part, to pair an item of one side with the other's:
# the same alert, incident (version) or flow with some field changed.
IDENT = {"alerts": ("timestamp", "flow_id", "vigie.detector"), "incidents": ("id",),
         "flows": ("flow_id",), "alert records": ("timestamp", "flow_id", "vigie.detector"),
         "incident records": ("incident.id", "incident.version"), "flow records": ("flow_id",)}


def flatten(x, path=""):
    if isinstance(x, dict):
        return {k: v for key in x for k, v in flatten(x[key], path + "." + key if path else key).items()}
    if isinstance(x, list):
        return {k: v for i, e in enumerate(x) for k, v in flatten(e, "%s.%d" % (path, i)).items()} or {path: []}
    return {path: x}


def show_items(part, only_a, only_b, name_a, name_b):
    """The first differing items: a pair that names the same record as the
    fields that differ, else each item as it is."""
    def ident(item):  # a keyed item has flat dotted names, a whole record nests them
        obj = json.loads(item)
        return tuple(obj[f] if f in obj else get(obj, f) for f in IDENT[part])

    lines, unpaired_b = [], list(only_b)
    for item in only_a[:SHOW]:
        mate = next((b for b in unpaired_b if ident(b) == ident(item)), None)
        if mate is None:
            lines.append("  only with %s: %s" % (name_a, short(item)))
            continue
        unpaired_b.remove(mate)
        fa, fb = flatten(json.loads(item)), flatten(json.loads(mate))
        changed = [k for k in sorted(set(fa) | set(fb)) if fa.get(k) != fb.get(k)]
        lines.append("  %s %s: %s" % (part, "/".join(str(v) for v in ident(item)), "; ".join(
            "%s %s with %s, %s with %s" % (k, canon(fa.get(k)), name_a, canon(fb.get(k)), name_b)
            for k in changed[:4]) + ("; ..." if len(changed) > 4 else "")))
    for item in unpaired_b[:max(0, SHOW - len(lines))]:
        lines.append("  only with %s: %s" % (name_b, short(item)))
    return lines


# ---- captures -------------------------------------------------------------------


def scenario_captures(tmp):
    """(label, capture, config) of each scenario case, generated into tmp."""
    caps = []
    for case in SCENARIOS:
        folder = os.path.join(HERE, "cases", case)
        with open(os.path.join(folder, "test.yaml")) as f:
            spec = yaml.safe_load(f)
        gen, cfg = spec["capture"]["generate"], spec.get("config")
        out = os.path.join(tmp, case)
        os.makedirs(out, exist_ok=True)
        prog = gen[0] if os.path.isabs(gen[0]) else os.path.join(ROOT, gen[0])
        r = subprocess.run([PY, prog] + [a.replace("{dir}", out) for a in gen[1:]],
                           capture_output=True, text=True)
        path = os.path.join(out, spec["capture"]["file"])
        if r.returncode != 0 or not os.path.isfile(path):
            raise RuntimeError("%s: %s failed: %s" % (case, gen[0], (r.stderr.strip().splitlines() or ["?"])[-1]))
        local = os.path.join(folder, cfg) if cfg else None
        config = (local if local and os.path.exists(local) else os.path.join(ROOT, cfg)) if cfg else None
        caps.append(("scenario " + case[len("scenario_"):], path, config))
    return caps


def open_flows_capture(tmp):
    """(label, capture, None): 20,000 short flows without FIN, all still
    open when the capture ends: ended then, oldest first across the workers
    (pipeline_end_all), several seconds of last packets of each."""
    path = os.path.join(tmp, "open_flows.pcap")
    r = subprocess.run([PY, os.path.join(ROOT, "scripts", "gen-traffic"), "--short", "--flows", "20000",
                        "--out", path], capture_output=True, text=True)
    if r.returncode != 0 or not os.path.isfile(path):
        raise RuntimeError("gen-traffic --short failed: %s" % (r.stderr.strip().splitlines() or ["?"])[-1])
    return ("generated 20000 flows open at the end", path, None)


def corpus_captures():
    corpus, config = os.path.join(SHARED, "corpus"), os.path.join(SHARED, "expect", "corpus.yaml")
    if not os.path.isdir(corpus) or not os.path.isfile(config):
        return None
    caps = []
    for d, _, files in os.walk(corpus):
        for f in files:
            if f.endswith(CAPTURE_EXT):
                path = os.path.join(d, f)
                caps.append((os.path.relpath(path, corpus), path, config))
    return sorted(caps)


# ---- comparing the sides -----------------------------------------------------------


def trouble(run):
    """Why a run cannot be compared at all: a usage error, a signal, a sanitizer."""
    if run.rc not in (0, 1):
        return "exit %d: %s" % (run.rc, (run.stderr.strip().splitlines() or ["?"])[-1])
    for mark in ("runtime error", "AddressSanitizer", "LeakSanitizer"):
        if mark in run.stderr:
            return "sanitizer: %s" % next(l for l in run.stderr.splitlines() if mark in l)
    return None


def evicted(run):
    """The summary line's evicted count: a table full on one side and not the
    other is the likely cause of a flow difference."""
    for line in run.stderr.splitlines():
        if " evicted" in line:
            for part in line.replace("(", ",").split(","):
                if part.strip().endswith(" evicted"):
                    return part.strip().split()[0]
    return "?"


def compare_capture(item, sides, flag, keys_only, scratch):
    """(label, ok, counts of the first side, message lines)."""
    label, capture, config = item
    runs = []
    for n, side in enumerate(sides):
        try:
            run = run_vigie(capture, config, side if flag else None, "%s.%d" % (scratch, n))
        except RuntimeError as e:  # a record that is not JSON
            return label, False, None, ["--workers %s: %s" % (side, e)]
        bad = trouble(run) or shutdown_out_of_order(run)
        if bad:
            return label, False, None, ["--workers %s: %s" % (side, bad)]
        runs.append(run)
    msgs = []
    for side, run in zip(sides[1:], runs[1:]):
        for _, lines in differences(runs[0], run, "--workers %s" % sides[0], "--workers %s" % side, keys_only):
            msgs += lines
        if msgs and evicted(run) != evicted(runs[0]):
            msgs.append("(evicted flows: %s with --workers %s, %s with --workers %s)" % (
                evicted(runs[0]), sides[0], evicted(run), side))
        if msgs:
            break
    return label, not msgs, counts(runs[0]), msgs


# ---- the self-test -------------------------------------------------------------------


def derived(run, change):
    r = copy.deepcopy(run)
    change(r)
    return r


def drop_alert(r):
    del r.alerts[len(r.alerts) // 2]


def bump_flow(r):
    r.flows[len(r.flows) // 2]["flow"]["pkts_toserver"] += 1


def retarget_host(r):
    last = max(r.incidents, key=lambda x: x["incident"]["version"])
    last["incident"]["hosts"][-1]["role"] = "pivot" if last["incident"]["hosts"][-1]["role"] != "pivot" else "target"


def drop_early_version(r):
    del r.incidents[0]


def change_evidence(r):
    r.alerts[0].setdefault("vigie", {})["evidence"] = {"self_test": True}


def rename_master(r):
    """A flow named by another master protocol: not covered by the allowance."""
    f = next(x for x in r.flows if (x.get("ndpi") or {}).get("proto", "Unknown") != "Unknown")
    f["ndpi"]["proto"] = "Unknown"


def rename_sub(r):
    """Only the sub-protocol after the master's dot: the allowance."""
    f = r.flows[0]
    f.setdefault("ndpi", {})["proto"] = f["ndpi"].get("proto", "Unknown").split(".")[0] + ".SelfTest"


def shuffle(r):
    rng = random.Random(11)
    for part in (r.alerts, r.incidents, r.flows):
        rng.shuffle(part)


def perturbed_config(config, tmp, name, change):
    with open(config) as f:
        cfg = yaml.safe_load(f)
    change(cfg.setdefault("detect", {}))
    path = os.path.join(tmp, name + ".yaml")
    with open(path, "w") as f:
        yaml.safe_dump(cfg, f)
    return path


def self_test(scenario, flag, tmp):
    """True when every perturbation is reported where expected and nothing
    else is; prints one line per check."""
    label, capture, config = scenario
    side = 1 if flag else None
    ref = run_vigie(capture, config, side, os.path.join(tmp, "self.ref"))
    if trouble(ref) or not (ref.alerts and ref.incidents and ref.flows):
        print("FAIL self-test: %s gave no alerts, incidents and flows to perturb (%s)"
              % (label, trouble(ref) or "exit %d" % ref.rc))
        return False
    again = run_vigie(capture, config, side, os.path.join(tmp, "self.again"))
    late = derived(ref, lambda r: r.flows.reverse())
    good = shutdown_out_of_order(ref) is None and shutdown_out_of_order(late) is not None
    print("%s self-test the end's flow records reversed: %s" % (
        "ok  " if good else "FAIL", "out of order" if shutdown_out_of_order(late) else "in order"))
    if not good:
        return False
    no_kerberoast = perturbed_config(config, tmp, "no_kerberoast",
                                     lambda d: d.__setitem__("kerberoast", {"enabled": False}))
    no_dedup = perturbed_config(config, tmp, "no_dedup", lambda d: d.__setitem__("dedup_window", 0))
    # (what, the other run, the parts it must differ in: exactly those for a
    # change made to the records, at least those for a run with another config)
    edits = [
        ("the same run twice", again, set()),
        ("the records shuffled", derived(ref, shuffle), set()),
        ("one alert dropped", derived(ref, drop_alert), {"alerts"}),
        ("one flow's packet count changed", derived(ref, bump_flow), {"flows"}),
        ("an incident host's role changed", derived(ref, retarget_host), {"incidents"}),
        ("an earlier incident version dropped", derived(ref, drop_early_version), {"incident records"}),
        ("one alert's evidence changed", derived(ref, change_evidence), {"alert records"}),
        ("one flow's master protocol changed", derived(ref, rename_master), {"flow records"}),
        ("one flow's sub-protocol changed (allowed)", derived(ref, rename_sub), set()),
    ]
    runs = [
        ("kerberoast disabled", run_vigie(capture, no_kerberoast, side, os.path.join(tmp, "self.krb")),
         {"alerts"}),
        ("dedup_window 0", run_vigie(capture, no_dedup, side, os.path.join(tmp, "self.dedup")), {"alerts"}),
    ]
    ok = True
    for exact, (what, other, must) in [(True, e) for e in edits] + [(False, r) for r in runs]:
        diff = differences(ref, other, "reference", "perturbed")
        parts = {p for p, _ in diff}
        good = parts == must if exact else must <= parts
        ok &= good
        said = "reported in %s" % ", ".join(sorted(parts)) if parts else "equal"
        print("%s self-test %s: %s%s" % ("ok  " if good else "FAIL", what, said,
                                         "" if good else " (expected %s)" % (", ".join(sorted(must)) or "equal")))
        if not good:
            for _, lines in diff:
                print("\n".join("       " + l for l in lines))
    return ok


# ---- main ------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--self-test", action="store_true", help="only check that the comparison can fail")
    ap.add_argument("--keys-only", action="store_true", help="compare the keyed fields, not whole records")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("WORKERS_SAME_JOBS", "2")))
    ap.add_argument("match", nargs="*", help="keep the captures whose label contains one of these")
    opt = ap.parse_args()
    start = time.time()
    if not os.access(VIGIE, os.X_OK):
        sys.exit("workers_same: no binary at %s (build first or set VIGIE)" % VIGIE)
    helptext = subprocess.run([VIGIE, "--help"], capture_output=True, text=True)
    flag = "--workers" in helptext.stdout + helptext.stderr
    sides = os.environ.get("WORKERS_SAME_SIDES", "").split()
    explicit = bool(sides)
    sides = sides or ["1", "2", "3"]
    if len(sides) < 2 or not all(s.isdigit() for s in sides):
        sys.exit("workers_same: WORKERS_SAME_SIDES needs two or more worker counts, e.g. \"1 2 3\"")

    with tempfile.TemporaryDirectory(prefix="workers_same.") as tmp:
        try:
            scenarios = scenario_captures(tmp)
            generated = [open_flows_capture(tmp)]
        except RuntimeError as e:
            print("workers_same: FAIL %s" % e)
            return 1
        if not self_test(scenarios[0], flag, tmp):
            print("workers_same: the comparison missed a difference (or saw one that is not there)")
            return 1
        if opt.self_test:
            print("workers_same: self-test passed in %.0f s" % (time.time() - start))
            return 0
        if not flag:
            if os.environ.get("WORKERS_SAME_REQUIRE") == "1":
                print("workers_same: FAIL this vigie has no --workers (WORKERS_SAME_REQUIRE=1)")
                return 1
            if not explicit:
                print("workers_same: skipped (this vigie has no --workers)")
                return 0
            print("workers_same: this vigie has no --workers: each side runs without it (itself compared)")
        corpus = corpus_captures()
        if corpus is None:
            print("workers_same: no corpus at %s: corpus skipped, scenarios only" % os.path.join(SHARED, "corpus"))
        caps = scenarios + generated + (corpus or [])
        if opt.match:
            caps = [c for c in caps if any(m in c[0] for m in opt.match)]
        results, failed = [], 0
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, opt.jobs)) as pool:
            futs = [pool.submit(compare_capture, c, sides, flag, opt.keys_only, os.path.join(tmp, "c%d" % i))
                    for i, c in enumerate(caps)]
            for fut in futs:  # in capture order, as each is done
                label, ok, n, msgs = fut.result()
                results.append(n)
                if ok:
                    print("ok   %s: %d alerts, %d incidents, %d flows" % (label, n["alerts"], n["incidents"], n["flows"]))
                else:
                    failed += 1
                    print("FAIL %s: differs across --workers %s" % (label, "/".join(sides)))
                    print("\n".join("       " + m for m in msgs))
        total = {p: sum(n[p] for n in results if n) for p in PARTS}
        print("workers_same: %d captures, %d alerts, %d incidents, %d flows: %s across %s workers (%.0f s)" % (
            len(caps), total["alerts"], total["incidents"], total["flows"],
            "identical" if not failed else "%d differ" % failed, "/".join(sides), time.time() - start))
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

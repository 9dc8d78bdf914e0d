#!/usr/bin/python3
"""Detector tests as data: runs every case folder of tests/pcap/cases/.

    tests/pcap/cases.py [--cases DIR] [CASE...]    the case folders (all, or those named)
    tests/pcap/cases.py --shared-expect [--known FILE]
                                                   ../shared/expect/must-fire.tsv and
                                                   must-not-fire.tsv as cases

A case is a folder holding a test.yaml, as suricata-verify's tests/<case>/:

    capture:                    one of
      corpus: pcap-attack/x.pcapng     a path or glob (or a list) under ../shared/corpus;
                                       the case skips when ../shared is absent
      generate: [scripts/gen-attacks, "{dir}"]
      file: scan_hosts.pcap            a python program (run with /usr/bin/python3,
                                       which has Debian's scapy) writing into {dir};
                                       "./x.py" is in the case folder, else the repo.
                                       Each command runs once per invocation; one
                                       exiting 77 skips the case (its input is absent).
    config: low.yaml            in the case folder, else the repo (config/vigie.yaml);
                                ../shared/... is under ../shared; none: built-in defaults
    args: [-q]                  extra vigie arguments
    exit: 0                     default; "corrupt-ok" also accepts exit 1 with
                                "corrupt capture" on stderr (SPEC: a corrupt pcap ends so)
    checks:
      - filter:
          count: 1              exact; or min: / max:
          match:                dotted fields of alert, incident and flow records, all
                                must hold (a number indexes a list: incident.zones.0)
            event_type: alert
            vigie.detector: smb_admin_share                 equality
            vigie.detector: {in: [a, b]}                    operators: in, contains,
            vigie.evidence.files: {min: 50}                 min, max, not, not_in, absent,
            incident.zones: {has: [a, b], length: {min: 4}} has, length (lists)
            incident.hosts: {has: [{ip: 10.0.0.1, role: origin}]}
          last_by: incident.id  optional: of the records that have this field, only the
                                last written for each of its values (an incident's last
                                version); match and count then apply to those
          distinct: incident.id optional: count the distinct values of this field among
                                the matching records, not the records
        name: optional label

"has: [x, ...]" holds when the value is a list and every x is matched by one of its
items: a mapping of fields (dotted, as in match) matches an item whose fields all hold,
anything else is an equality or operator test of the item itself. "length: N or {min:,
max:}" tests the length of a list or string.

Each capture runs as `vigie [-c CONFIG] -r CAPTURE --no-redis -A alerts --flows flows ARGS`;
the checks see the alerts file (alerts and incident records, in the order written) and the
flow records together. With several captures, every check must hold on each. Besides the
checks, every run must end with the expected exit status: that is one more check per case.
Prints one line per check and ends with "N passed, N failed, N skipped"; exits 1 on a
failure.

In --shared-expect mode each tsv row becomes checks (a must-fire detector: min 1, a
must-not-fire one: count 0, with ../shared/expect/corpus.yaml); the checks listed in
FILE (default tests/pcap/shared_expect_known_failures.txt) are known failures, reported
as "known". The run fails on any other failure, and on a listed check that now passes.
Env: VIGIE (default build/vigie), SHARED (default <repo>/../shared), CASES_JOBS (2).
"""
import argparse
import concurrent.futures
import glob
import json
import os
import subprocess
import sys
import tempfile

import yaml

PY = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CASE_KEYS = {"capture", "config", "args", "exit", "checks", "description"}
FILTER_KEYS = {"count", "min", "max", "match", "last_by", "distinct"}
OPERATORS = {"in", "contains", "min", "max", "not", "not_in", "absent", "has", "length"}
MISSING = object()


class CaseError(Exception):
    """A test.yaml that does not say what it means: reported as a failure."""


class SkipCase(str):
    """Why a generator could not run (exit SKIP_EXIT): the case is skipped."""


SKIP_EXIT = 77


def shared_dir():
    return os.environ.get("SHARED") or os.path.normpath(os.path.join(ROOT, "..", "shared"))


# ---- reading a case -------------------------------------------------------


def load_case(folder):
    path = os.path.join(folder, "test.yaml")
    with open(path) as f:
        spec = yaml.safe_load(f) or {}
    unknown = set(spec) - CASE_KEYS
    if unknown:
        raise CaseError("%s: unknown keys %s" % (path, sorted(unknown)))
    if "capture" not in spec:
        raise CaseError("%s: no capture" % path)
    spec.setdefault("checks", [])
    for c in spec["checks"]:
        f = c.get("filter") if isinstance(c, dict) else None
        if not isinstance(f, dict) or set(f) - FILTER_KEYS or not set(f) & {"count", "min", "max"}:
            raise CaseError("%s: a check needs filter: {count|min|max, match}: %r" % (path, c))
    if spec.get("exit", 0) not in (0, "corrupt-ok"):
        raise CaseError("%s: exit is 0 or corrupt-ok" % path)
    spec["folder"] = folder
    spec["name"] = os.path.basename(folder)
    return spec


def resolve_file(spec, name):
    """A config or program: ../shared/..., the case folder, then the repo."""
    if name.startswith("../shared/"):
        return os.path.join(shared_dir(), name[len("../shared/"):])
    local = os.path.join(spec["folder"], name)
    if name.startswith("./") or os.path.exists(local):
        return local
    return os.path.join(ROOT, name)


class Generators:
    """Runs each generator command once, into its own scratch directory."""

    def __init__(self, tmp):
        self.tmp, self.done, self.scapy = tmp, {}, None

    def run(self, spec, cmd):
        prog = resolve_file(spec, cmd[0])
        key = (prog,) + tuple(cmd[1:])
        if key not in self.done:
            if self.scapy is None:
                self.scapy = subprocess.run([PY, "-c", "import scapy"], capture_output=True).returncode == 0
            out = os.path.join(self.tmp, "gen%d" % len(self.done))
            os.makedirs(out)
            args = [a.replace("{dir}", out) for a in cmd[1:]]
            r = subprocess.run([PY, prog] + args, capture_output=True, text=True)
            err = None
            if r.returncode == SKIP_EXIT:
                err = SkipCase((r.stderr.strip().splitlines() or ["input absent"])[-1])
            elif r.returncode != 0:
                err = "%s failed: %s" % (cmd[0], (r.stderr.strip().splitlines() or ["?"])[-1])
                if not self.scapy:
                    err = "python3-scapy missing (apt-get install python3-scapy)"
            self.done[key] = (out, err)
        return self.done[key]


def captures(spec, gens):
    """(capture paths, None) or (None, reason to skip) or raises CaseError."""
    cap = spec["capture"]
    if "corpus" in cap:
        corpus = os.path.join(shared_dir(), "corpus")
        if not os.path.isdir(corpus):
            return None, "no corpus at %s" % corpus
        pats = cap["corpus"] if isinstance(cap["corpus"], list) else [cap["corpus"]]
        files = sorted({f for p in pats for f in glob.glob(os.path.join(corpus, p)) if os.path.isfile(f)})
        return (files, None) if files else (None, "no capture %s in %s" % (pats, corpus))
    if "generate" in cap and "file" in cap:
        out, err = gens.run(spec, cap["generate"])
        if isinstance(err, SkipCase):
            return None, str(err)
        if err:
            raise CaseError(err)
        path = os.path.join(out, cap["file"])
        if not os.path.isfile(path):
            raise CaseError("%s wrote no %s" % (cap["generate"][0], cap["file"]))
        return [path], None
    raise CaseError("capture needs corpus:, or generate: and file:")


# ---- running vigie and judging its output -----------------------------------


def run_vigie(vigie, capture, config, args, scratch):
    alerts, flows = scratch + ".alerts.json", scratch + ".flows.json"
    cmd = [vigie] + (["-c", config] if config else [])
    cmd += ["-r", capture, "--no-redis", "-A", alerts, "--flows", flows] + [str(a) for a in args]
    r = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    events = []
    for path in (alerts, flows):
        if os.path.exists(path):
            with open(path) as f:
                try:
                    events += [json.loads(line) for line in f if line.strip()]
                except ValueError as e:
                    raise CaseError("%s: a line of %s is not JSON: %s" % (capture, os.path.basename(path), e))
            os.unlink(path)
    return r.returncode, r.stderr, events


def field(event, dotted):
    """A dotted field; a number indexes a list (incident.zones.0: the first zone)."""
    v = event
    for k in dotted.split("."):
        if isinstance(v, list) and k.isdigit():
            if int(k) >= len(v):
                return MISSING
            v = v[int(k)]
        elif not isinstance(v, dict) or k not in v:
            return MISSING
        else:
            v = v[k]
    return v


def holds(value, want):
    """One match entry: equality, or a mapping of operators."""
    if not (isinstance(want, dict) and want and set(want) <= OPERATORS):
        # Python's True == 1: a boolean only equals a boolean.
        return value is not MISSING and isinstance(value, bool) == isinstance(want, bool) and value == want
    for op, arg in want.items():
        if op == "absent":
            ok = (value is MISSING) == bool(arg)
        elif value is MISSING:
            ok = False
        elif op == "in":
            ok = value in arg
        elif op == "not_in":
            ok = value not in arg
        elif op == "has":
            ok = isinstance(value, list) and all(any(item_holds(x, w) for x in value) for w in arg)
        elif op == "length":
            ok = isinstance(value, (list, str)) and holds(len(value), arg)
        elif op == "not":
            ok = value != arg
        elif op == "contains":
            ok = isinstance(value, (str, list)) and arg in value
        elif op == "min":
            ok = isinstance(value, (int, float)) and value >= arg
        else:
            ok = isinstance(value, (int, float)) and value <= arg
        if not ok:
            return False
    return True


def item_holds(item, want):
    """One entry of has: a mapping of fields that all hold on the item, or a test of the item."""
    if isinstance(want, dict) and want and not set(want) <= OPERATORS:
        return all(holds(field(item, k), v) for k, v in want.items())
    return holds(item, want)


def last_of_each(events, dotted):
    """The last record written for each value of a field (records without it dropped)."""
    last = {}
    for e in events:
        v = field(e, dotted)
        if v is not MISSING:
            last[json.dumps(v, sort_keys=True)] = e
    return list(last.values())


def count_ok(f, n):
    if "count" in f and n != f["count"]:
        return False
    return f.get("min", n) <= n <= f.get("max", n)


def judge(f, events):
    """(passed, how many events matched)."""
    match = f.get("match") or {}
    if "last_by" in f:
        events = last_of_each(events, f["last_by"])
    matched = [e for e in events if all(holds(field(e, k), v) for k, v in match.items())]
    if "distinct" in f:
        n = len({json.dumps(v, sort_keys=True) for v in (field(e, f["distinct"]) for e in matched)
                 if v is not MISSING})
    else:
        n = len(matched)
    return count_ok(f, n), n


def exit_ok(want, rc, stderr):
    return rc == 0 or (want == "corrupt-ok" and rc == 1 and "corrupt capture" in stderr)


def flow_style(v):
    """A value as written in test.yaml (YAML flow style)."""
    if isinstance(v, dict):
        return "{%s}" % ", ".join("%s: %s" % (k, flow_style(x)) for k, x in v.items())
    if isinstance(v, list):
        return "[%s]" % ", ".join(flow_style(x) for x in v)
    return json.dumps(v) if isinstance(v, bool) or v is None else str(v)


def describe(check):
    if "name" in check:
        return check["name"]
    f = check["filter"]
    bound = " ".join("%s %s" % (k, f[k]) for k in ("count", "min", "max", "distinct", "last_by") if k in f)
    return "%s %s" % (bound, flow_style(f.get("match") or {}))


def run_case(spec, files, vigie, jobs, tmp):
    """Runs every capture of a case; returns [(label, passed, detail)]."""
    config = resolve_file(spec, spec["config"]) if spec.get("config") else None
    args, want_exit, checks = spec.get("args") or [], spec.get("exit", 0), spec["checks"]

    def one(i_file):
        i, path = i_file
        scratch = os.path.join(tmp, "%s.%d" % (spec["name"].replace("/", "_"), i))
        rc, err, events = run_vigie(vigie, path, config, args, scratch)
        return path, exit_ok(want_exit, rc, err), rc, err, [judge(c["filter"], events) for c in checks]

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        runs = list(pool.map(one, enumerate(files)))
    corpus = os.path.join(shared_dir(), "corpus") + os.sep

    def short(p):
        return p[len(corpus):] if p.startswith(corpus) else os.path.basename(p)

    several = " (%d captures)" % len(files) if len(files) > 1 else ""
    bad = [r for r in runs if not r[1]]
    detail = "; ".join("%s: exit %d %s" % (short(r[0]), r[2], (r[3].strip().splitlines() or [""])[0])
                       for r in bad[:5])
    wording = "0 (or 1 on a corrupt capture)" if want_exit == "corrupt-ok" else "0"
    out = [("vigie exits %s%s" % (wording, several), not bad, detail)]
    for j, c in enumerate(checks):
        bad = [(short(r[0]), r[4][j][1]) for r in runs if not r[4][j][0]]
        detail = "; ".join(("%d matched on %s" % (n, p)) if several else "%d matched" % n for p, n in bad[:5])
        if len(bad) > 5:
            detail += "; and %d more" % (len(bad) - 5)
        out.append((describe(c) + several, not bad, detail))
    return out


# ---- the two modes ------------------------------------------------------------


def folder_cases(cases_dir, names):
    folders = sorted(os.path.dirname(t) for t in glob.glob(os.path.join(cases_dir, "*", "test.yaml")))
    if names:
        missing = set(names) - {os.path.basename(d) for d in folders}
        if missing:
            sys.exit("cases: no case %s in %s" % (", ".join(sorted(missing)), cases_dir))
        folders = [d for d in folders if os.path.basename(d) in names]
    return folders


def shared_cases(shared):
    """One case per capture of the tsv files: (spec, check ids), the first id
    naming the exit status check."""
    rows = {}
    for kind, bound in (("must-fire", {"min": 1}), ("must-not-fire", {"count": 0})):
        with open(os.path.join(shared, "expect", kind + ".tsv")) as f:
            for line in f:
                if not line.strip() or line.startswith("#"):
                    continue
                capture, dets = line.rstrip("\n").split("\t")[:2]
                for d in filter(None, (x.strip() for x in dets.split(","))):
                    rows.setdefault(capture, []).append(
                        ("%s %s %s" % (kind, capture, d),
                         {"filter": dict(bound, match={"event_type": "alert", "vigie.detector": d}),
                          "name": "%s %s" % (kind, d)}))
    for capture in sorted(rows):
        # SPEC: a corrupt pcap ends with exit 1; several corpus captures are cut short.
        spec = {"name": capture, "folder": HERE, "capture": {"corpus": capture}, "exit": "corrupt-ok",
                "config": "../shared/expect/corpus.yaml", "checks": [c for _, c in rows[capture]]}
        yield spec, ["runs %s" % capture] + [i for i, _ in rows[capture]]


def read_known(path):
    """The check ids of the known failures file, blanks folded."""
    known = set()
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if line:
                    known.add(" ".join(line.split()))
    return known


class Tally:
    def __init__(self):
        self.n = {"passed": 0, "failed": 0, "skipped": 0, "known": 0}

    def report(self, tag, case, label, detail=""):
        self.n[{"ok": "passed", "FAIL": "failed", "FIXED": "failed", "known": "known", "skip": "skipped"}[tag]] += 1
        print("%-5s %s: %s%s" % (tag, case, label, ": " + detail if detail else ""), flush=True)


def run_folders(opt, run, gens, tally):
    for folder in folder_cases(opt.cases, opt.names):
        name = os.path.basename(folder)
        try:
            spec = load_case(folder)
            files, skip = captures(spec, gens)
            results = run(spec, files) if files else []
        except (CaseError, OSError, yaml.YAMLError) as e:
            tally.report("FAIL", name, str(e))
            continue
        if skip:
            tally.report("skip", name, skip)
        for label, ok, detail in results:
            tally.report("ok" if ok else "FAIL", name, label, "" if ok else detail)
    n = tally.n
    print("%d passed, %d failed, %d skipped" % (n["passed"], n["failed"], n["skipped"]))


def run_shared(opt, run, gens, tally):
    shared = shared_dir()
    if not os.path.isdir(os.path.join(shared, "expect")):
        print("shared expectations: no %s/expect: skipped" % shared)
        return
    known, seen, passed = read_known(opt.known), set(), set()
    cases = list(shared_cases(shared))
    for spec, ids in cases:
        try:
            files, skip = captures(spec, gens)
            results = run(spec, files) if files else []
        except (CaseError, OSError) as e:
            tally.report("FAIL", spec["name"], str(e))
            continue
        if skip:
            tally.report("skip", spec["name"], skip)
        for ident, (label, ok, detail) in zip(ids, results):
            seen.add(ident)
            if ok:
                passed.add(ident)
            if ident not in known:
                tally.report("ok" if ok else "FAIL", spec["name"], label, "" if ok else detail)
            elif ok:
                tally.report("FIXED", spec["name"], label, "passes: remove it from %s" % os.path.basename(opt.known))
            else:
                tally.report("known", spec["name"], label, detail)
    for ident in sorted(known - seen):
        print("note  %s: listed as a known failure, but no such check ran" % ident)
    rows = [r for r in ([i for i in ids if i.startswith("must-fire")] for _, ids in cases) if r]
    print("must-fire rows passing: %d of %d (checks: %d of %d)" % (
        sum(1 for r in rows if passed.issuperset(r)), len(rows),
        sum(len(passed.intersection(r)) for r in rows), sum(len(r) for r in rows)))
    n = tally.n
    print("%d passed, %d failed, %d known failures, %d skipped" % (n["passed"], n["failed"], n["known"], n["skipped"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", default=os.path.join(HERE, "cases"), help="folder of case folders")
    ap.add_argument("--shared-expect", action="store_true", help="run ../shared/expect/*.tsv instead")
    ap.add_argument("--known", default=os.path.join(HERE, "shared_expect_known_failures.txt"))
    ap.add_argument("names", nargs="*", help="only these cases")
    opt = ap.parse_args()
    vigie = os.environ.get("VIGIE") or os.path.join(ROOT, "build", "vigie")
    if not os.access(vigie, os.X_OK):
        sys.exit("cases: no binary at %s (build first or set VIGIE)" % vigie)
    jobs = int(os.environ.get("CASES_JOBS", "2"))
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="vigie-cases.") as tmp:
        def run(spec, files):
            return run_case(spec, files, vigie, jobs, tmp)
        (run_shared if opt.shared_expect else run_folders)(opt, run, Generators(tmp), tally)
    return 1 if tally.n["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())

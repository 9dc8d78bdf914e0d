"""Input: EVE JSON lines (files, .gz, stdin, or a Redis stream read with
scripts/vigie-tail's RESP client) into Alert objects and flow counts per
zone pair; incident records (the last version of each) into Incident
objects; lines that are not JSON objects are skipped and counted."""
import gzip
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections import Counter

from .fmt import NO_ZONE, parse_ts
from .incident_data import Incident


_intern = {}


def I(s):
    """Shares the many repeated strings (zones, detectors, signatures)."""
    return _intern.setdefault(s, s)


def _s(v, limit=200):
    if v is None:
        return ""
    s = v if isinstance(v, str) else json.dumps(v, separators=(",", ":"), ensure_ascii=False)
    return s if len(s) <= limit else s[:limit - 1] + "\u2026"


def _list(v):
    if isinstance(v, list):
        return [_s(x, 64) for x in v if x not in (None, "")]
    return [_s(v, 64)] if v not in (None, "") else []


def evidence_text(ev, limit=300):
    if isinstance(ev, dict):
        parts = []
        for k, v in ev.items():
            if isinstance(v, list):
                v = ",".join(_s(x, 40) for x in v[:8]) + (",+%d" % (len(v) - 8) if len(v) > 8 else "")
            parts.append("%s=%s" % (_s(k, 40), _s(v, 80)))
        s = " ".join(parts)
    else:
        s = _s(ev, limit)
    return s if len(s) <= limit else s[:limit - 1] + "\u2026"


class Alert:
    __slots__ = ("ts", "t", "sev", "det", "sig", "sid", "tactics", "techs", "sz", "dz", "src",
                 "sport", "dst", "dport", "proto", "app", "policy", "count", "ev", "host", "inc")

    def __init__(self, o):
        al = o.get("alert") if isinstance(o.get("alert"), dict) else {}
        vg = o.get("vigie") if isinstance(o.get("vigie"), dict) else {}
        md = al.get("metadata") if isinstance(al.get("metadata"), dict) else {}
        self.ts = _s(o.get("timestamp"), 40)
        self.t, off = parse_ts(o.get("timestamp"))
        sev = al.get("severity")
        self.sev = sev if isinstance(sev, int) and 1 <= sev <= 3 else 4
        self.sig = I(_s(al.get("signature"), 200))
        self.det = I(_s(vg.get("detector"), 64) or self.sig or "(unknown)")
        sid = al.get("signature_id")
        self.sid = sid if isinstance(sid, int) else None
        tid, tname = _list(md.get("mitre_tactic_id")), _list(md.get("mitre_tactic_name"))
        xid, xname = _list(md.get("mitre_technique_id")), _list(md.get("mitre_technique_name"))
        self.tactics = tuple((I(i), I(tname[k]) if k < len(tname) else "") for k, i in enumerate(tid))
        self.techs = tuple((I(i), I(xname[k]) if k < len(xname) else "") for k, i in enumerate(xid))
        self.sz = I(_s(vg.get("src_zone") or o.get("src_zone"), 64) or NO_ZONE)
        self.dz = I(_s(vg.get("dest_zone") or o.get("dest_zone"), 64) or NO_ZONE)
        self.src, self.dst = _s(o.get("src_ip"), 64), _s(o.get("dest_ip"), 64)
        self.sport, self.dport = o.get("src_port"), o.get("dest_port")
        self.proto = I(_s(o.get("proto"), 16))
        self.app = I(_s(o.get("app_proto"), 32))
        self.policy = I(_s(vg.get("policy"), 16))
        c = vg.get("count")
        self.count = c if isinstance(c, int) and c > 0 else 1
        self.ev = evidence_text(vg.get("evidence"))
        self.host = I(_s(o.get("host"), 64))
        self.inc = I(_s(vg.get("incident"), 32))


class Data:
    def __init__(self):
        self.alerts = []
        self.flows = Counter()      # (src_zone, dest_zone) -> flows
        self.flow_bytes = Counter()
        self.nflows = 0
        self.have_flows = False
        self.skipped = 0
        self.tz = None              # UTC offset of the first timestamp, for the axis
        self.sources = []
        self.incidents = {}         # incident id -> Incident (its last version)
        self.incident_records = 0
        self.names = {}             # ATT&CK id -> name, as the alerts give them

    def add(self, o, want_alerts=True, want_flows=True):
        if not isinstance(o, dict):
            self.skipped += 1
            return
        et = o.get("event_type")
        if want_alerts and (et == "alert" or (et is None and isinstance(o.get("alert"), dict))):
            a = Alert(o)
            if self.tz is None and a.t is not None:
                self.tz = parse_ts(o.get("timestamp"))[1]
            self.alerts.append(a)
            for i, n in a.techs + a.tactics:
                if n:
                    self.names.setdefault(i, n)
        elif want_alerts and (et == "incident" or (et is None and isinstance(o.get("incident"), dict))):
            inc = Incident.parse(o)
            if inc is None:
                self.skipped += 1
                return
            self.incident_records += 1
            old = self.incidents.get(inc.id)
            # The last version wins; the same version again (a replay) replaces it.
            if old is None or inc.version >= old.version:
                inc.records = (old.records if old else 0) + 1
                self.incidents[inc.id] = inc
            else:
                old.records += 1
            if self.tz is None and inc.t_first is not None:
                self.tz = parse_ts(inc.first_seen)[1]
        elif want_flows and (et == "flow" or (et is None and isinstance(o.get("flow"), dict))):
            # Zones under vigie (EVE as Suricata writes it), at the root before.
            vg = o.get("vigie") if isinstance(o.get("vigie"), dict) else {}
            sz = I(_s(vg.get("src_zone") or o.get("src_zone"), 64) or NO_ZONE)
            dz = I(_s(vg.get("dest_zone") or o.get("dest_zone"), 64) or NO_ZONE)
            self.flows[(sz, dz)] += 1
            f = o.get("flow") if isinstance(o.get("flow"), dict) else {}
            b = 0
            for k in ("bytes_toserver", "bytes_toclient"):
                if isinstance(f.get(k), int):
                    b += f[k]
            self.flow_bytes[(sz, dz)] += b
            self.nflows += 1

    def add_raw(self, line, where, **kw):
        line = line.strip()
        if not line:
            return
        try:
            o = json.loads(line)
        except ValueError:
            self.skipped += 1
            if self.skipped <= 5:
                print("report: %s: not JSON, skipped" % where, file=sys.stderr)
            return
        self.add(o, **kw)

    def read_file(self, path, **kw):
        opener = gzip.open if path.endswith(".gz") else open
        f = sys.stdin.buffer if path == "-" else opener(path, "rb")
        with f:
            for n, line in enumerate(f, 1):
                self.add_raw(line, "%s:%d" % (path, n), **kw)
        self.sources.append(path)

    def read_redis(self, url, key, fields_wanted, **kw):
        tail = load_tail()
        try:
            r = tail.Redis(url, timeout=30.0).connect()
        except OSError as e:
            raise OSError("cannot connect to %s: %s" % (tail.redact(url), e)) from e
        start = b"-"
        try:
            while True:
                page = r.command("XRANGE", key, start, "+", "COUNT", "10000")
                for eid, fields in page or []:
                    fields = fields or []
                    for i in range(0, len(fields) - 1, 2):
                        if fields[i] in fields_wanted:
                            self.add_raw(fields[i + 1], "%s %s" % (key, eid.decode()), **kw)
                if not page or len(page) < 10000:
                    break
                start = tail._next_id(page[-1][0])
        finally:
            r.close()
        self.sources.append("%s (stream %s)" % (tail.redact(url), key))


def load_tail():
    """scripts/vigie-tail as a module (it has no .py name to import)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "vigie-tail")
    sys.dont_write_bytecode = True  # no scripts/__pycache__
    loader = importlib.machinery.SourceFileLoader("vigie_tail", path)
    spec = importlib.util.spec_from_loader("vigie_tail", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod

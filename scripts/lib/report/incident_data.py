"""Incident records (event_type "incident", docs/incidents.md) read
defensively: every field checked for its type, strings shortened, so a
malformed record draws as much as it holds and never breaks the page."""
import json

from .fmt import parse_ts

ROLES = ("origin", "pivot", "target")


def _s(v, limit=64):
    if v is None:
        return ""
    s = v if isinstance(v, str) else json.dumps(v, separators=(",", ":"), ensure_ascii=False)
    return s if len(s) <= limit else s[:limit - 1] + "\u2026"


def _int(v, default=0):
    return v if isinstance(v, int) and not isinstance(v, bool) else default


def _strs(v, limit=32):
    return [_s(x, limit) for x in v if x not in (None, "")] if isinstance(v, list) else []


class Host:
    __slots__ = ("ip", "zone", "role", "first_seen", "t")

    def __init__(self, h):
        self.ip = _s(h.get("ip"))
        self.zone = _s(h.get("zone")) or "(none)"
        role = h.get("role")
        self.role = role if role in ROLES else "target"
        self.first_seen = _s(h.get("first_seen"), 40)
        self.t = parse_ts(self.first_seen)[0]


class Hop:
    __slots__ = ("src", "dst", "sz", "dz", "first_seen", "last_seen", "t", "techniques", "detectors",
                 "alerts", "allowed_flows")

    def __init__(self, h):
        self.src, self.dst = _s(h.get("src_ip")), _s(h.get("dest_ip"))
        self.sz, self.dz = _s(h.get("src_zone")) or "(none)", _s(h.get("dest_zone")) or "(none)"
        self.first_seen = _s(h.get("first_seen"), 40)
        self.last_seen = _s(h.get("last_seen"), 40)
        self.t = parse_ts(self.first_seen)[0]
        self.techniques = _strs(h.get("techniques"), 16)[:64]
        self.detectors = _strs(h.get("detectors"), 40)[:64]
        self.alerts = _int(h.get("alerts"))
        self.allowed_flows = _int(h.get("allowed_flows"))


class Incident:
    """The last version of one incident, as the report draws it."""

    def __init__(self):
        self.records = 1

    @classmethod
    def parse(cls, o):
        r = o.get("incident")
        if not isinstance(r, dict) or not isinstance(r.get("id"), str) or not r["id"]:
            return None
        i = cls()
        i.id = _s(r["id"], 32)
        i.version = _int(r.get("version"))
        i.state = _s(r.get("state"), 16) or "open"
        i.merged_into = _s(r.get("merged_into"), 32)
        i.change = _strs(r.get("change"), 24)
        i.first_seen = _s(r.get("first_seen"), 40) or _s(o.get("timestamp"), 40)
        i.last_seen = _s(r.get("last_seen"), 40) or _s(o.get("timestamp"), 40)
        i.t_first, i.t_last = parse_ts(i.first_seen)[0], parse_ts(i.last_seen)[0]
        sev = r.get("severity")
        i.severity = sev if isinstance(sev, int) and 1 <= sev <= 3 else 4
        i.score = max(0, min(100, _int(r.get("score"))))
        i.alerts = _int(r.get("alerts"))
        i.origin = _s(r.get("origin"))
        i.sensor = _s(o.get("host"))
        hosts = r.get("hosts") if isinstance(r.get("hosts"), list) else []
        hops = r.get("hops") if isinstance(r.get("hops"), list) else []
        # The sensor keeps at most 128 hosts and 256 hops; so does the page.
        i.hosts = [Host(h) for h in hosts[:128] if isinstance(h, dict) and h.get("ip")]
        i.hops = [Hop(h) for h in hops[:256] if isinstance(h, dict) and h.get("src_ip") and h.get("dest_ip")]
        i.zones = []
        for z in _strs(r.get("zones"), 64) + [h.zone for h in i.hosts]:
            if z not in i.zones:
                i.zones.append(z)
        i.tactics = _strs(r.get("tactics"), 16)
        i.pivots = _int(r.get("pivots"), sum(1 for h in i.hosts if h.role == "pivot"))
        i.hosts_dropped = _int(r.get("hosts_dropped"))
        i.hops_dropped = _int(r.get("hops_dropped"))
        return i

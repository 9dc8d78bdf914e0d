#!/usr/bin/python3
"""incident_fixture: incident records derived from real alerts, for testing
the views (scripts/report, scripts/vigie-tail) before the sensor's own
correlation stage emits them.

  incident_fixture.py ALERTS.json OUT.json [--config config/vigie.yaml]

Reads the alerts of a vigie -A file in the order the sensor wrote them and
applies the rules of docs/incidents.md, simply: which incident (origin,
pivot, oldest wins), targets, lateral movement (an alert with a T... technique
and tactic TA0008 or TA0002), late-report merges, hops, zones and tactics in
the order reached, allowed flows (admin_protocol_cross_zone with policy
"allow") counted on hops and dropped as alerts, versions (at once on a
structural change, else after 60 s of packet time, and at the end), score
and severity. No window expiry and no limits: a fixture, not the sensor.
The output is the alerts (with vigie.incident) interleaved with the
incident records, as the sensor's -A file will be. When the input already
holds incident records it is copied unchanged.
"""
import argparse
import json
import sys
from datetime import datetime

FNV_OFFSET, FNV_PRIME = 0xCBF29CE484222325, 0x100000001B3
LATERAL_TACTICS = ("TA0008", "TA0002")


def fnv1a64(data):
    h = FNV_OFFSET
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h


def epoch(ts):
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def zone_criticality(path):
    if not path:
        return {}
    import yaml
    with open(path) as f:
        cfg = yaml.safe_load(f) or {}
    return {z["name"]: z.get("criticality", "medium") for z in cfg.get("zones") or [] if "name" in z}


class Incident:
    def __init__(self, origin, zone, ts):
        self.id = "%016x" % fnv1a64(("%s|%.6f" % (origin, epoch(ts))).encode())
        self.version = 0
        self.state = "open"
        self.merged_into = None
        self.first_seen = self.last_seen = ts
        self.severity = 3
        self.alerts = 0
        self.origin = origin
        self.hosts = {origin: {"ip": origin, "zone": zone, "role": "origin", "first_seen": ts}}
        self.hops = {}
        self.zones = [zone]
        self.tactics = []
        self.pending = set()
        self.last_write = None

    def add_zone(self, z):
        if z not in self.zones:
            self.zones.append(z)
            self.pending.add("new_zone")

    def add_host(self, ip, zone, role, ts):
        if ip not in self.hosts:
            self.hosts[ip] = {"ip": ip, "zone": zone, "role": role, "first_seen": ts}
            self.pending.add("new_host")

    def hop(self, a, ts):
        k = (a["src_ip"], a["dest_ip"])
        h = self.hops.get(k)
        if h is None:
            h = self.hops[k] = {"src_ip": k[0], "dest_ip": k[1], "src_zone": a["vigie"]["src_zone"],
                                "dest_zone": a["vigie"]["dest_zone"], "first_seen": ts, "last_seen": ts,
                                "techniques": [], "detectors": [], "alerts": 0, "allowed_flows": 0}
            self.pending.add("new_hop")
        h["last_seen"] = max(h["last_seen"], ts, key=epoch)
        return h

    def score(self, crit):
        pivots = sum(1 for h in self.hosts.values() if h["role"] == "pivot")
        high = sum(1 for z in self.zones if crit.get(z) in ("high", "critical"))
        return min(100, 10 * len(self.tactics) + 5 * (len(self.zones) - 1) + 10 * pivots + 5 * high)

    def record(self, ts, host, change, crit):
        self.version += 1
        self.last_write = ts
        inc = {"id": self.id, "version": self.version, "state": self.state, "change": change,
               "first_seen": self.first_seen, "last_seen": self.last_seen, "severity": self.severity,
               "score": self.score(crit), "alerts": self.alerts, "origin": self.origin,
               "hosts": list(self.hosts.values()), "hops": list(self.hops.values()),
               "zones": self.zones, "tactics": self.tactics,
               "pivots": sum(1 for h in self.hosts.values() if h["role"] == "pivot"),
               "hosts_dropped": 0, "hops_dropped": 0}
        if self.merged_into:
            inc["merged_into"] = self.merged_into
        return {"timestamp": ts, "event_type": "incident", "host": host, "incident": json.loads(json.dumps(inc))}


ORDER = ["new_incident", "new_host", "new_hop", "new_technique", "new_zone", "new_tactic", "pivot", "merged"]


def is_lateral(a):
    md = a.get("alert", {}).get("metadata", {})
    techs = [t for t in md.get("mitre_technique_id") or [] if t.startswith("T") and not t.startswith("TA")]
    return bool(techs) and any(t in LATERAL_TACTICS for t in md.get("mitre_tactic_id") or [])


def correlate(alerts, crit):
    out, open_ = [], []  # open incidents, oldest first

    def emit(inc, ts, host, force=False):
        if inc.pending - {"update"}:
            change = [c for c in ORDER if c in inc.pending]
        elif force or (inc.pending and epoch(ts) - epoch(inc.last_write) >= 60):
            change = ["update"]
        else:
            return
        inc.pending = set()
        out.append(inc.record(ts, host, change, crit))

    for a in alerts:
        vg = a.get("vigie", {})
        ts, host = a["timestamp"], a.get("host", "")
        s, d = a["src_ip"], a["dest_ip"]
        md = a.get("alert", {}).get("metadata", {})
        mapped = bool(md.get("mitre_tactic_id") or md.get("mitre_technique_id"))
        allowed = vg.get("detector") == "admin_protocol_cross_zone" and vg.get("policy") == "allow"
        acting = [i for i in open_ if s in i.hosts and i.hosts[s]["role"] in ("origin", "pivot")]
        via = [i for i in open_ if s in i.hosts and i.hosts[s].get("lateral_dst")]
        inc = acting[0] if acting else None
        if allowed:
            if inc is None:
                continue  # an allowed flow never opens an incident nor brings its client in
            h = inc.hop(a, ts)
            h["allowed_flows"] += 1
            for t in md.get("mitre_technique_id") or []:
                if t not in h["techniques"]:
                    h["techniques"].append(t)
                    if "new_hop" not in inc.pending:
                        inc.pending.add("new_technique")
            inc.add_host(d, vg["dest_zone"], "target", ts)
            inc.hosts[d]["lateral_dst"] = True
            inc.add_zone(vg["dest_zone"])
            emit(inc, ts, host)
            continue
        if inc is None and via:
            inc = via[0]
            inc.hosts[s]["role"] = "pivot"
            inc.pending.add("pivot")
        if inc is None:
            if not mapped:
                out.append(a)
                continue
            inc = Incident(s, vg["src_zone"], ts)
            inc.pending.add("new_incident")
            open_.append(inc)
        inc.add_zone(vg["src_zone"])
        if is_lateral(a):
            # Rule 4: D opened an incident of its own no earlier than this alert: merge it here.
            for j in [j for j in open_ if j is not inc and j.origin == d and epoch(j.first_seen) >= epoch(ts)]:
                for ip, hh in j.hosts.items():
                    if ip not in inc.hosts:
                        inc.hosts[ip] = dict(hh, role="pivot" if ip == d else hh["role"])
                        inc.pending.add("new_host")
                for k, hp in j.hops.items():
                    inc.hops.setdefault(k, hp)
                for z in j.zones:
                    inc.add_zone(z)
                for t in j.tactics:
                    if t not in inc.tactics:
                        inc.tactics.append(t)
                inc.alerts += j.alerts
                inc.last_seen = max(inc.last_seen, j.last_seen, key=epoch)
                inc.severity = min(inc.severity, j.severity)
                inc.pending.update(("merged", "pivot"))
                j.state, j.merged_into, j.pending = "merged", inc.id, {"merged"}
                open_.remove(j)
                emit(j, ts, host)
        inc.add_host(d, vg["dest_zone"], "target", ts)
        if is_lateral(a):
            inc.hosts[d]["lateral_dst"] = True
        inc.add_zone(vg["dest_zone"])
        h = inc.hop(a, ts)
        count = vg.get("count") if isinstance(vg.get("count"), int) else 1
        h["alerts"] += count
        inc.alerts += count
        if vg.get("detector") not in h["detectors"]:
            h["detectors"].append(vg.get("detector"))
        for t in md.get("mitre_technique_id") or []:
            if t not in h["techniques"]:
                h["techniques"].append(t)
                if "new_hop" not in inc.pending:
                    inc.pending.add("new_technique")
        for t in md.get("mitre_tactic_id") or []:
            if t not in inc.tactics:
                inc.tactics.append(t)
                inc.pending.add("new_tactic")
        sev = a.get("alert", {}).get("severity")
        if isinstance(sev, int):
            inc.severity = min(inc.severity, sev)
        inc.first_seen = min(inc.first_seen, ts, key=epoch)
        inc.last_seen = max(inc.last_seen, ts, key=epoch)
        inc.pending.add("update")
        a.setdefault("vigie", {})["incident"] = inc.id
        out.append(a)
        emit(inc, ts, host)
    for inc in open_:
        emit(inc, inc.last_seen, alerts[-1].get("host", "") if alerts else "", force=True)
    for r in out:
        for hh in r.get("incident", {}).get("hosts", []):
            hh.pop("lateral_dst", None)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("alerts")
    ap.add_argument("out")
    ap.add_argument("--config", default=None, help="vigie.yaml, for zone criticality (score)")
    args = ap.parse_args()
    with open(args.alerts) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    if any(o.get("event_type") == "incident" for o in lines):
        recs = lines
    else:
        recs = correlate([o for o in lines if o.get("event_type") == "alert"], zone_criticality(args.config))
    with open(args.out, "w") as f:
        for r in recs:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")
    n = sum(1 for r in recs if r.get("event_type") == "incident")
    print("incident_fixture: %d alerts, %d incident records -> %s" % (len(recs) - n, n, args.out), file=sys.stderr)


if __name__ == "__main__":
    main()

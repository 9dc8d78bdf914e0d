"""Formatting shared by the page's sections: severity colours and names,
ATT&CK ids and their attack.mitre.org links, numbers, timestamps, endpoints,
zone order. Everything taken from the data goes through esc()."""
import html
import re
from datetime import datetime, timedelta, timezone


SEV_COLOR = {1: "#d32f2f", 2: "#f2a900", 3: "#0097a7", 4: "#9e9e9e"}
SEV_NAME = {1: "high", 2: "medium", 3: "low", 4: "unknown"}
# ATT&CK enterprise tactics in kill-chain order (timeline lanes by tactic).
TACTIC_ORDER = ["TA0043", "TA0042", "TA0001", "TA0002", "TA0003", "TA0004", "TA0005", "TA0006",
                "TA0007", "TA0008", "TA0009", "TA0011", "TA0010", "TA0040"]
TECH_RE = re.compile(r"^T(\d{4})(?:\.(\d{3}))?$")
TACTIC_RE = re.compile(r"^TA\d{4}$")
NO_ZONE = "(none)"

esc = html.escape


def attack_url(tid):
    """The attack.mitre.org page of a technique/sub-technique or tactic id, or
    None for anything else (only validated ids become links)."""
    m = TECH_RE.match(tid)
    if m:
        return "https://attack.mitre.org/techniques/T%s/%s" % (
            m.group(1), (m.group(2) + "/") if m.group(2) else "")
    if TACTIC_RE.match(tid):
        return "https://attack.mitre.org/tactics/%s/" % tid
    return None


def attack_link(tid, name=None):
    url = attack_url(tid)
    title = ' title="%s"' % esc(name) if name else ""
    if not url:
        return "<span%s>%s</span>" % (title, esc(tid))
    return '<a class="tech" href="%s" target="_blank" rel="noopener noreferrer"%s>%s</a>' % (
        esc(url), title, esc(tid))


def fmt_int(n):
    return "{:,}".format(n).replace(",", "\u202f")


def sev_badge(sev, text=None):
    return '<span class="sev s%d" title="severity %d (%s)">%s</span>' % (
        sev, sev if sev < 4 else 0, SEV_NAME[sev], esc(text if text is not None else str(sev if sev < 4 else "?")))


def short_ts(ts):
    """2024-03-12T09:00:00.011551+0000 -> 2024-03-12 09:00:00.011"""
    m = re.match(r"^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(\.\d{1,3})?", ts)
    return "%s %s%s" % (m.group(1), m.group(2), m.group(3) or "") if m else ts


def endpoint(ip, port):
    if not ip:
        return "?"
    s = "[%s]" % ip if ":" in ip and port not in (None, "", 0) else ip
    return s + (":%s" % port if port not in (None, "", 0) else "")


def zone_order(zones):
    special = {NO_ZONE: 2, "external": 1, "unknown": 1}
    return sorted(zones, key=lambda z: (special.get(z, 0), z.lower()))


def hex_rgba(hexcol, alpha):
    r, g, b = int(hexcol[1:3], 16), int(hexcol[3:5], 16), int(hexcol[5:7], 16)
    return "rgba(%d,%d,%d,%.2f)" % (r, g, b, alpha)


def fmt_time(t, tz, with_date, secs=True):
    d = datetime.fromtimestamp(t, tz or timezone.utc)
    f = ("%Y-%m-%d " if with_date else "") + ("%H:%M:%S" if secs else "%H:%M")
    return d.strftime(f)


def tz_label(tz):
    if tz is None or tz == timedelta(0):
        return "UTC"
    m = int(tz.total_seconds() // 60)
    return "UTC%+03d:%02d" % (m // 60, abs(m) % 60) if m >= 0 else "UTC-%02d:%02d" % (-m // 60, -m % 60)


def parse_ts(ts):
    """Epoch seconds and the timestamp's own UTC offset, or (None, None)."""
    if not isinstance(ts, str) or len(ts) < 19:
        return None, None
    try:
        d = datetime.fromisoformat(ts)
    except ValueError:
        try:
            d = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%f%z")
        except ValueError:
            return None, None
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    return d.timestamp(), d.utcoffset()


# ATT&CK enterprise tactic names, for incidents read without their alerts.
TACTIC_NAME = {"TA0043": "Reconnaissance", "TA0042": "Resource Development", "TA0001": "Initial Access",
               "TA0002": "Execution", "TA0003": "Persistence", "TA0004": "Privilege Escalation",
               "TA0005": "Defense Evasion", "TA0006": "Credential Access", "TA0007": "Discovery",
               "TA0008": "Lateral Movement", "TA0009": "Collection", "TA0011": "Command and Control",
               "TA0010": "Exfiltration", "TA0040": "Impact"}


def short_name(name, limit=24):
    """"Remote Services: SMB/Windows Admin Shares" -> "SMB/Windows Admin Shares"."""
    s = name.rsplit(": ", 1)[-1] if name else ""
    return s if len(s) <= limit else s[:limit - 1] + "\u2026"

"""The incidents section: for each incident (its last version), a header
(id, state, severity, score, tactics reached, alerts, hosts, first and last
seen) over its attack path (attack_path.py); merged incidents as one line
naming the incident they went into. Drawn worst first: severity, then score."""
from .attack_path import legend_svg, svg_attack_path
from .fmt import TACTIC_NAME, attack_link, esc, fmt_int, sev_badge, short_ts

MAX_DRAWN = 20

CSS = """
.incident{border-top:1px solid var(--line);padding:10px 0 4px}
.incident:first-of-type{border-top:none}
.inc-head{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 14px;margin:0 0 6px}
.inc-head h3{margin:0;font-size:15px}
.inc-head .iid{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:13.5px}
.inc-head .st{font-size:11px;text-transform:uppercase;letter-spacing:.04em;padding:1px 6px;border-radius:3px;
  background:#e8eef8;color:#24408e}.inc-head .st.closed{background:#eee;color:#555}
.inc-head .kv{font-size:12.5px;color:var(--muted)}.inc-head .kv b{color:var(--fg);font-weight:650}
.score{display:inline-block;width:90px;height:9px;background:#eceff4;border-radius:5px;vertical-align:middle;
  overflow:hidden;margin-left:4px}.score i{display:block;height:100%;background:#c62828}
.tactics{font-size:12.5px;margin:0 0 6px}.tactics .tac{display:inline-block;border:1px solid var(--line);
  border-radius:11px;padding:0 8px;margin:2px 0;background:#fafbfc}.tactics .sep{color:var(--muted);margin:0 3px}
svg.attack-path{display:block;width:100%;height:auto;font-family:inherit}
svg.attack-path .bandbg.b0{fill:#f3f5f9}svg.attack-path .bandbg.b1{fill:#e9edf4}
svg.attack-path .zname{font-size:13px;font-weight:650;fill:#1d2330}
svg.attack-path .zsub{font-size:10.5px;fill:#6b7385}
svg.attack-path .zsep{stroke:#c9ceda;stroke-width:1}
svg.attack-path .hopline{fill:none;stroke-opacity:.85}
svg.attack-path g.hop.routine .hopline{stroke-opacity:.42}
svg.attack-path g.hop:hover .hopline{stroke-opacity:1;stroke-width:4}
svg.attack-path .hop-label.routine rect{stroke-opacity:.5}
svg.attack-path .nip{font:600 12px ui-monospace,"DejaVu Sans Mono",monospace;text-anchor:middle}
svg.attack-path .nrole{font-size:9.5px;text-anchor:middle;letter-spacing:.05em;text-transform:uppercase}
svg.attack-path .pm{font-size:10px;font-weight:800;fill:#a33c00}
svg.attack-path .hop-label rect{fill:#fff;fill-opacity:.94;stroke-width:1}
svg.attack-path .hop-label text{font-size:10px;fill:#1d2330}
svg.attack-path .hopno text{font-size:9px;font-weight:700;fill:#fff;text-anchor:middle}
svg.attack-path .ltime{font-weight:650}svg.attack-path .lmore{fill:#6b7385}
svg.attack-path .tid{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-weight:650;fill:#24408e}
svg.apkey{display:block;font-family:inherit}svg.apkey .k{font-size:12px;fill:#6b7385}
svg.apkey .pm{font-weight:800;fill:#a33c00}
"""


def _tactics(inc, names):
    if not inc.tactics:
        return '<div class="tactics"><span class="muted">no tactic</span></div>'
    chips = []
    for t in inc.tactics:
        n = names.get(t) or TACTIC_NAME.get(t, "")
        chips.append('<span class="tac" data-tactic="%s">%s%s</span>' % (
            esc(t), ("%s " % esc(n)) if n else "", attack_link(t, n)))
    return '<div class="tactics">Tactics reached: %s</div>' % '<span class="sep">\u2192</span>'.join(chips)


def _header(inc):
    roles = {}
    for h in inc.hosts:
        roles[h.role] = roles.get(h.role, 0) + 1
    kv = [("severity", sev_badge(inc.severity)),
          ("score", '<b>%d</b><span class="score" title="score %d of 100"><i style="width:%d%%"></i></span>'
           % (inc.score, inc.score, inc.score)),
          ("alerts", "<b>%s</b>" % fmt_int(inc.alerts)),
          ("hosts", "<b>%d</b> (%d pivot%s)" % (len(inc.hosts), inc.pivots, "" if inc.pivots == 1 else "s")),
          ("zones", "<b>%d</b>" % len(inc.zones)),
          ("hops", "<b>%d</b>" % len(inc.hops)),
          ("first seen", '<b class="mono">%s</b>' % esc(short_ts(inc.first_seen))),
          ("last seen", '<b class="mono">%s</b>' % esc(short_ts(inc.last_seen)))]
    cells = "".join('<span class="kv">%s %s</span>' % (esc(k), v) for k, v in kv)
    return ('<div class="inc-head"><h3>Incident <span class="iid">%s</span></h3>'
            '<span class="st %s">%s</span><span class="kv">v%d</span>%s</div>'
            % (esc(inc.id), esc(inc.state), esc(inc.state), inc.version, cells))


def section_incidents(d):
    incs = list(d.incidents.values())
    if not incs:
        return None
    live = sorted((i for i in incs if i.state != "merged"),
                  key=lambda i: (i.severity, -i.score, i.t_first if i.t_first is not None else 0.0, i.id))
    merged = [i for i in incs if i.state == "merged"]
    out = ['<div class="legend">%s</div>' % legend_svg()]
    for inc in live[:MAX_DRAWN]:
        svg, skipped = svg_attack_path(inc, d.names, d.tz)
        notes = []
        if skipped:
            notes.append("%d hop%s not drawn (an end is not among the hosts)" % (skipped, "" if skipped == 1 else "s"))
        if inc.hosts_dropped or inc.hops_dropped:
            notes.append("the sensor dropped %d hosts and %d hops past its limits" % (inc.hosts_dropped,
                                                                                      inc.hops_dropped))
        out.append('<div class="incident" id="incident-%s" data-id="%s" data-version="%d" data-state="%s" '
                   'data-hosts="%d" data-hops="%d" data-pivots="%d">%s%s<div class="scroll">%s</div>%s</div>'
                   % (esc(inc.id), esc(inc.id), inc.version, esc(inc.state), len(inc.hosts), len(inc.hops),
                      sum(1 for h in inc.hosts if h.role == "pivot"), _header(inc), _tactics(inc, d.names), svg,
                      '<p class="note">%s.</p>' % esc("; ".join(notes)) if notes else ""))
    if len(live) > MAX_DRAWN:
        out.append('<p class="note" id="incidents-truncated">%d more incidents not drawn: %s</p>' % (
            len(live) - MAX_DRAWN, esc(", ".join("%s (score %d)" % (i.id, i.score) for i in live[MAX_DRAWN:]))))
    if merged:
        out.append('<p class="muted" id="incidents-merged">Merged: %s.</p>' % ", ".join(
            '<span class="mono">%s</span> into <span class="mono">%s</span>'
            % (esc(i.id), esc(i.merged_into or "?")) for i in merged))
    return "\n".join(out)

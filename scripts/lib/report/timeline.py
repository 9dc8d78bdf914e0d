"""The attack timeline: an inline SVG with one lane per detector or per
ATT&CK tactic, dots for few alerts, bars per time slot for many."""
import math
from collections import Counter, defaultdict
from datetime import datetime, timezone

from .fmt import SEV_COLOR, SEV_NAME, TACTIC_ORDER, endpoint, esc, fmt_int, fmt_time, tz_label


def _duration(sec):
    if sec < 1:
        return "%d ms" % max(1, round(sec * 1000))
    if sec < 120:
        return "%.3g s" % sec
    if sec < 7200:
        return "%.3g min" % (sec / 60)
    if sec < 172800:
        return "%.3g h" % (sec / 3600)
    return "%.3g days" % (sec / 86400)


def _nice_step(span, target=10):
    steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
             43200, 86400, 172800, 604800, 2592000]
    for s in steps:
        if span / s <= target:
            return s
    return steps[-1] * math.ceil(span / steps[-1] / target)


def section_timeline(d, lanes_by):
    al = [a for a in d.alerts if a.t is not None]
    if not al:
        return '<p class="empty">No timestamped alerts.</p>'
    t0, t1 = min(a.t for a in al), max(a.t for a in al)
    if t1 - t0 < 1.0:
        t0, t1 = t0 - 0.5, t1 + 0.5
    # Lanes
    members = defaultdict(list)
    names = {}
    if lanes_by == "tactic":
        for a in al:
            if a.tactics:
                for tid, tname in a.tactics:
                    members[tid].append(a)
                    names.setdefault(tid, "%s %s" % (tname, tid) if tname else tid)
            else:
                members[""].append(a)
                names[""] = "(no tactic)"
        rank = {t: i for i, t in enumerate(TACTIC_ORDER)}
        lanes = sorted(members, key=lambda k: (k == "", rank.get(k, 99), k))
    else:
        first = {}
        for a in al:
            members[a.det].append(a)
            first[a.det] = min(first.get(a.det, a.t), a.t)
            names[a.det] = a.det
        lanes = sorted(members, key=lambda k: (first[k], k))
    W, left, right, top, lane_h = 1240, 210, 16, 22, 26
    pw = W - left - right
    H = top + lane_h * len(lanes) + 24
    nb = max(1, pw // 5)
    span = t1 - t0
    tz = d.tz
    multi_day = fmt_time(t0, tz, True)[:10] != fmt_time(t1, tz, True)[:10]

    def x_of(t):
        return left + (t - t0) / span * pw

    out = ['<div class="scroll"><svg class="timeline" xmlns="http://www.w3.org/2000/svg" '
           'width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="alerts over time">'
           % (W, H, W, H)]
    # Grid and axis
    step = _nice_step(span)
    off = tz.total_seconds() if tz else 0.0
    g = math.ceil((t0 + off) / step) * step - off
    ybot = top + lane_h * len(lanes)
    while g <= t1 + 1e-9:
        x = x_of(g)
        dt = datetime.fromtimestamp(g, tz or timezone.utc)
        label = dt.strftime("%Y-%m-%d" if step >= 86400 else "%m-%d %H:%M" if multi_day
                            else "%H:%M:%S" if step < 60 else "%H:%M")
        out.append('<line class="grid" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>' % (x, top - 4, x, ybot))
        out.append('<text class="tick" x="%.1f" y="%d" text-anchor="middle">%s</text>'
                   % (min(x, W - 2 - len(label) * 3.4), ybot + 16, esc(label)))
        g += step
    maxc = 1
    bins_by_lane = []
    for k in lanes:
        bins = {}
        for a in members[k]:
            b = min(nb - 1, int((a.t - t0) / span * nb))
            e = bins.get(b)
            if e is None:
                bins[b] = [1, a.sev, Counter({a.sig: 1}), a, a.count]
            else:
                e[0] += 1
                e[1] = min(e[1], a.sev)
                e[2][a.sig] += 1
                e[4] += a.count
        bins_by_lane.append(bins)
        maxc = max([maxc] + [e[0] for e in bins.values()])
    # Few alerts: one dot each (or per small group). Many: a bar per time
    # slot, its height the number of alerts (log scale).
    occupied = sum(len(b) for b in bins_by_lane)
    dense = maxc > 4 or occupied > 0.25 * nb * len(lanes)
    bw = pw / nb
    for i, k in enumerate(lanes):
        y = top + lane_h * i + lane_h / 2
        if i % 2 == 0:
            out.append('<rect class="lane" x="0" y="%d" width="%d" height="%d"/>' % (top + lane_h * i, W, lane_h))
        label = names[k]
        short = label if len(label) <= 30 else label[:29] + "\u2026"
        out.append('<text class="lanel" x="%d" y="%.1f" text-anchor="end"><title>%s (%s alerts)</title>%s</text>'
                   % (left - 10, y + 4, esc(label), fmt_int(len(members[k])), esc(short)))
        # Lower severities first, so the worst ones are drawn on top.
        for b, (n, sev, sigs, a, occ) in sorted(bins_by_lane[i].items(), key=lambda kv: -kv[1][1]):
            x = left + (b + 0.5) * bw
            if n == 1:
                tip = "%s  severity %s  %s\n%s  %s \u2192 %s\n%s \u2192 %s" % (
                    a.ts, a.sev if a.sev < 4 else "?", a.det, a.sig, a.sz, a.dz,
                    endpoint(a.src, a.sport), endpoint(a.dst, a.dport))
                if a.count > 1:
                    tip += "  (x%d)" % a.count
            else:
                ta = t0 + b * span / nb
                tb = t0 + (b + 1) * span / nb
                tip = "%s \u2013 %s  %s alerts, worst severity %s\n" % (
                    fmt_time(ta, tz, multi_day), fmt_time(tb, tz, False), fmt_int(n), sev if sev < 4 else "?")
                tip += "\n".join("%s (%s)" % (s, fmt_int(c)) for s, c in sigs.most_common(4))
                if len(sigs) > 4:
                    tip += "\n\u2026 %d more signatures" % (len(sigs) - 4)
            if dense:
                h = 3.0 + (lane_h - 9.0) * math.log1p(n) / math.log1p(maxc)
                out.append('<rect class="m s%d" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s">'
                           '<title>%s</title></rect>'
                           % (sev, x - bw / 2 + 0.4, top + lane_h * (i + 1) - 3 - h, max(1.0, bw - 0.8), h,
                              SEV_COLOR[sev], esc(tip)))
            else:
                r = 5.0 + 2.5 * math.sqrt((n - 1) / (maxc - 1)) if maxc > 1 else 5.0
                out.append('<circle class="m s%d" cx="%.1f" cy="%.1f" r="%.1f" fill="%s"><title>%s</title></circle>'
                           % (sev, x, y, r, SEV_COLOR[sev], esc(tip)))
    out.append("</svg></div>")
    how = ("a bar per %s slot, its height the number of alerts (log scale), coloured by the worst severity"
           % _duration(span / nb) if dense else
           "a dot is one alert or, where they crowd, a group (bigger = more alerts) coloured by its worst severity")
    legend = ['<div class="legend">', '<span>%s. One lane per %s; %s. Hover for the signatures.</span>'
              % (esc("%s \u2192 %s (%s)" % (fmt_time(t0, tz, True), fmt_time(t1, tz, True), tz_label(tz))),
                 "ATT&amp;CK tactic" if lanes_by == "tactic" else "detector", esc(how))]
    for s in (3, 2, 1):
        legend.insert(1, '<span><span class="dot" style="background:%s"></span>%s</span>'
                      % (SEV_COLOR[s], esc("%d %s" % (s, SEV_NAME[s]))))
    legend.append("</div>")
    return "\n".join(out) + "\n" + "".join(legend)

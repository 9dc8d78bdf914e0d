"""The page's other sections: key figures, the zone-to-zone matrix, the
counts by technique / zone pair / detector, and the alert table."""
import math
from collections import Counter, defaultdict

from .fmt import (SEV_COLOR, SEV_NAME, attack_link, endpoint, esc, fmt_int, hex_rgba, sev_badge, short_ts,
                  zone_order)


def section_cards(d):
    al = d.alerts
    by_sev = Counter(a.sev for a in al)
    occ = sum(a.count for a in al)
    cards = [("Alerts", len(al), "alerts", "")]
    if d.incidents:
        cards.insert(0, ("Incidents", len(d.incidents), "incidents", "incident ids seen (last versions)"))
    if occ != len(al):
        cards.append(("Occurrences", occ, "occurrences", "alerts including aggregated repeats (vigie.count)"))
    for s in (1, 2, 3):
        cards.append(("Severity %d (%s)" % (s, SEV_NAME[s]), by_sev.get(s, 0), "sev%d" % s, ""))
    if by_sev.get(4):
        cards.append(("No severity", by_sev[4], "sev4", ""))
    cards.append(("Detectors", len({a.det for a in al}), "detectors", ""))
    techs = {t for a in al for t, _ in a.techs}
    cards.append(("ATT&CK techniques", len(techs), "techniques", ""))
    cards.append(("Zone pairs alerted", len({(a.sz, a.dz) for a in al}), "pairs", ""))
    if d.have_flows:
        cards.append(("Flows", d.nflows, "flows", ""))
    out = ['<div class="cards">']
    for label, val, cid, title in cards:
        extra = ' style="border-top-color:%s"' % (SEV_COLOR[int(cid[3])] if cid.startswith("sev") else "#c62828") \
            if cid.startswith("sev") or cid == "incidents" else ""
        out.append('<div class="card" id="card-%s"%s%s><div class="v" data-n="%d">%s</div><div class="l">%s</div></div>'
                   % (cid, extra, ' title="%s"' % esc(title) if title else "", val, fmt_int(val), esc(label)))
    out.append("</div>")
    return "\n".join(out)


def section_matrix(d):
    al = d.alerts
    cnt, worst, dets = Counter(), {}, defaultdict(Counter)
    for a in al:
        k = (a.sz, a.dz)
        cnt[k] += 1
        worst[k] = min(worst.get(k, 9), a.sev)
        dets[k][a.det] += 1
    zs = {z for k in list(cnt) + list(d.flows) for z in k}
    srcs = zone_order({k[0] for k in list(cnt) + list(d.flows)})
    dsts = zone_order({k[1] for k in list(cnt) + list(d.flows)})
    if not zs:
        return '<p class="empty">No alerts and no flows: nothing to show.</p>'
    mx = max(cnt.values()) if cnt else 1
    flows = d.have_flows
    out = ['<div class="scroll"><table class="matrix">',
           '<thead><tr><th class="corner">source \u2193 / destination \u2192</th>']
    for z in dsts:
        out.append('<th class="dz" scope="col">%s</th>' % esc(z))
    out.append('<th class="tot" scope="col">total</th></tr></thead><tbody>')
    col_a, col_f = Counter(), Counter()
    for s in srcs:
        out.append('<tr><th class="sz" scope="row">%s</th>' % esc(s))
        row_a = row_f = 0
        for z in dsts:
            k = (s, z)
            n, nf = cnt.get(k, 0), d.flows.get(k, 0)
            row_a += n
            row_f += nf
            col_a[z] += n
            col_f[z] += nf
            cls = ["cell"]
            if s == z:
                cls.append("diag")
            style = ""
            tip = ["%s \u2192 %s" % (s, z)]
            if flows:
                tip.append("%s flows, %s bytes" % (fmt_int(nf), fmt_int(d.flow_bytes.get(k, 0))))
            if n:
                w = worst[k]
                alpha = 0.22 + 0.68 * (math.log1p(n) / math.log1p(mx) if mx > 1 else 1.0)
                style = ' style="background:%s"' % hex_rgba(SEV_COLOR[w], alpha)
                if alpha > 0.55 and w != 2:
                    cls.append("light")
                cls.append("w%d" % w)
                tip.append("%s alerts, worst severity %s" % (fmt_int(n), w if w < 4 else "?"))
                tip += ["  %s: %s" % (dn, fmt_int(c)) for dn, c in dets[k].most_common(6)]
            elif nf:
                cls.append("flowonly")
            body = []
            if n:
                body.append('<span class="na">%s</span><span class="u"> alert%s</span>'
                            % (fmt_int(n), "" if n == 1 else "s"))
            if flows and nf:
                body.append('<span class="nf">%s flow%s</span>' % (fmt_int(nf), "" if nf == 1 else "s"))
            if not body:
                body.append('<span class="none">\u00b7</span>')
            out.append('<td class="%s"%s title="%s">%s</td>'
                       % (" ".join(cls), style, esc("\n".join(tip)), "<br>".join(body)))
        out.append('<td class="tot">%s%s</td></tr>' % (
            '<span class="na">%s</span>' % fmt_int(row_a),
            '<br><span class="nf">%s flows</span>' % fmt_int(row_f) if flows else ""))
    out.append('<tr><th class="tot" scope="row">total</th>')
    for z in dsts:
        out.append('<td class="tot"><span class="na">%s</span>%s</td>' % (
            fmt_int(col_a[z]), '<br><span class="nf">%s flows</span>' % fmt_int(col_f[z]) if flows else ""))
    out.append('<td class="tot"><span class="na">%s</span>%s</td></tr>' % (
        fmt_int(len(al)), '<br><span class="nf">%s flows</span>' % fmt_int(d.nflows) if flows else ""))
    out.append("</tbody></table></div>")
    legend = ['<div class="legend"><span>Cell colour: worst severity of the pair\'s alerts, '
              'deeper with more alerts.</span>']
    for s in (1, 2, 3):
        legend.append('<span><span class="sw" style="background:%s"></span>%s</span>'
                      % (SEV_COLOR[s], esc("%d %s" % (s, SEV_NAME[s]))))
    if flows:
        legend.append('<span><span class="sw flowonly"></span>flows, no alert</span>')
    legend.append('<span><span class="sw diag"></span>same zone</span></div>')
    return "\n".join(out) + "\n" + "".join(legend)


def _det_list(counter, n=5):
    items = counter.most_common(n)
    s = ", ".join("%s\u00a0(%s)" % (esc(k), fmt_int(v)) for k, v in items)
    if len(counter) > n:
        s += ", \u2026 +%d" % (len(counter) - n)
    return s


def section_summary(d):
    al = d.alerts
    out = ['<div class="sumgrid">']
    # By technique (tactic-only alerts under their tactic)
    rows = {}
    for a in al:
        keys = [(t, n, False) for t, n in a.techs] or [(t, n, True) for t, n in a.tactics] \
            or [("(none)", "", True)]
        for tid, name, is_tactic in keys:
            e = rows.get(tid)
            if e is None:
                e = rows[tid] = [name, is_tactic, 0, 0, 9, Counter(), set()]
            e[0] = e[0] or name
            e[2] += 1
            e[3] += a.count
            e[4] = min(e[4], a.sev)
            e[5][a.det] += 1
            e[6].add((a.sz, a.dz))
    out.append('<div><h3>By ATT&amp;CK technique</h3>')
    if rows:
        out.append('<table class="sum sortable" id="by-technique"><thead><tr><th>id</th><th>name</th>'
                   '<th class="num">alerts</th><th class="num">worst</th><th>detectors</th>'
                   '<th class="num">zone pairs</th></tr></thead><tbody>')
        for tid, (name, is_tactic, n, occ, w, dets, pairs) in sorted(
                rows.items(), key=lambda kv: (-kv[1][2], kv[0])):
            nm = esc(name) + (' <span class="muted">(tactic only)</span>' if is_tactic and tid != "(none)" else "")
            out.append('<tr><td>%s</td><td>%s</td><td class="num" data-k="%d">%s</td>'
                       '<td class="num" data-k="%d">%s</td><td>%s</td><td class="num">%d</td></tr>'
                       % (attack_link(tid, name), nm, n, fmt_int(n), w, sev_badge(w), _det_list(dets, 3), len(pairs)))
        out.append("</tbody></table>")
    else:
        out.append('<p class="empty">No alerts.</p>')
    out.append("</div>")
    # By zone pair
    pairs = {}
    for a in al:
        k = (a.sz, a.dz)
        e = pairs.get(k)
        if e is None:
            e = pairs[k] = [0, 0, 9, Counter()]
        e[0] += 1
        e[1] += a.count
        e[2] = min(e[2], a.sev)
        e[3][a.det] += 1
    out.append('<div><h3>By zone pair</h3>')
    if pairs:
        fl = d.have_flows
        out.append('<table class="sum sortable" id="by-zone-pair"><thead><tr><th>source zone</th><th></th>'
                   '<th>destination zone</th>%s<th class="num">alerts</th><th class="num">worst</th>'
                   '<th>detectors</th></tr></thead><tbody>' % ('<th class="num">flows</th>' if fl else ""))
        for (s, z), (n, occ, w, dets) in sorted(pairs.items(), key=lambda kv: (kv[1][2], -kv[1][0], kv[0])):
            nf = d.flows.get((s, z), 0)
            out.append('<tr><td>%s</td><td>\u2192</td><td>%s</td>%s<td class="num" data-k="%d">%s</td>'
                       '<td class="num" data-k="%d">%s</td><td>%s</td></tr>'
                       % (esc(s), esc(z), '<td class="num" data-k="%d">%s</td>' % (nf, fmt_int(nf)) if fl else "",
                          n, fmt_int(n), w, sev_badge(w), _det_list(dets)))
        out.append("</tbody></table>")
    else:
        out.append('<p class="empty">No alerts.</p>')
    out.append("</div>")
    # By detector
    dets = {}
    for a in al:
        e = dets.get(a.det)
        if e is None:
            e = dets[a.det] = [0, 9, {}, None, None, set()]
        e[0] += 1
        e[1] = min(e[1], a.sev)
        for t, n in (a.techs or a.tactics):
            e[2].setdefault(t, n)
        if a.t is not None:
            if e[3] is None or a.t < e[3][0]:
                e[3] = (a.t, a.ts)
            if e[4] is None or a.t > e[4][0]:
                e[4] = (a.t, a.ts)
        e[5].add((a.sz, a.dz))
    out.append('<div class="wide"><h3>By detector</h3>')
    if dets:
        out.append('<table class="sum sortable" id="by-detector"><thead><tr><th>detector</th>'
                   '<th class="num">alerts</th><th class="num">worst</th><th>ATT&amp;CK</th>'
                   '<th class="num">zone pairs</th><th>first</th><th>last</th></tr></thead><tbody>')
        for name, (n, w, techs, first, last, zp) in sorted(dets.items(), key=lambda kv: (kv[1][1], -kv[1][0], kv[0])):
            out.append('<tr><td>%s</td><td class="num" data-k="%d">%s</td><td class="num" data-k="%d">%s</td>'
                       '<td>%s</td><td class="num">%d</td><td class="mono">%s</td><td class="mono">%s</td></tr>'
                       % (esc(name), n, fmt_int(n), w, sev_badge(w),
                          " ".join(attack_link(t, tn) for t, tn in sorted(techs.items())),
                          len(zp), esc(short_ts(first[1]) if first else ""), esc(short_ts(last[1]) if last else "")))
        out.append("</tbody></table>")
    else:
        out.append('<p class="empty">No alerts.</p>')
    out.append("</div></div>")
    return "\n".join(out)


def section_table(d, max_rows):
    al = d.alerts
    if not al:
        return '<p class="empty">No alerts.</p>'
    order = sorted(range(len(al)), key=lambda i: (al[i].t is None, al[i].t or 0.0, i))
    shown = order[:max_rows]
    out = []
    if len(al) > max_rows:
        out.append('<p class="note" id="truncated" data-shown="%d" data-total="%d">The table shows the first %s of %s alerts in time order '
                   '(the matrix, timeline and summary count all of them). Use --max-rows for more.</p>'
                   % (max_rows, len(al), fmt_int(max_rows), fmt_int(len(al))))
    out.append('<div class="tools"><input type="search" id="filter" placeholder="filter rows '
               '(any text: zone, ip, detector, T-id...)" aria-label="filter alert rows">'
               '<span id="shown">%s rows</span></div>' % fmt_int(len(shown)))
    out.append('<div class="scroll"><table class="alerts sortable" id="alert-table"><thead><tr>'
               '<th class="num">#</th><th>time</th><th class="num">sev</th><th>detector / signature</th>'
               '<th>ATT&amp;CK</th><th>zones</th><th>endpoints</th><th>evidence</th>'
               '<th class="num">count</th></tr></thead><tbody>')
    for rank, i in enumerate(shown, 1):
        a = al[i]
        ids = a.techs or a.tactics
        tech = " ".join(attack_link(t, n) for t, n in ids) or '<span class="muted">\u2013</span>'
        app = a.app if a.app and a.app != "failed" else ""
        proto = "/".join(x for x in (a.proto, app) if x)
        pol = ' <span class="pol %s">%s</span>' % (esc(a.policy), esc(a.policy)) if a.policy in ("deny", "allow") else ""
        out.append(
            '<tr class="r%d"><td class="num">%d</td><td class="mono" data-k="%s" title="%s">%s</td>'
            '<td class="num" data-k="%d">%s</td><td><b>%s</b><div class="sig">%s%s</div>%s</td>'
            '<td>%s</td><td>%s <span class="arr">\u2192</span> %s%s</td>'
            '<td class="mono">%s <span class="arr">\u2192</span> %s <span class="muted">%s</span></td>'
            '<td class="ev">%s</td><td class="num" data-k="%d">%s</td></tr>'
            % (a.sev, rank, "%.6f" % a.t if a.t is not None else "", esc(a.ts), esc(short_ts(a.ts)),
               a.sev, sev_badge(a.sev), esc(a.det), esc(a.sig),
               ' <span class="muted">sid %d</span>' % a.sid if a.sid is not None else "",
               '<div class="sig">incident <span class="mono">%s</span></div>' % esc(a.inc) if a.inc else "",
               tech, esc(a.sz), esc(a.dz), pol, esc(endpoint(a.src, a.sport)),
               esc(endpoint(a.dst, a.dport)), esc(proto), esc(a.ev), a.count,
               "x%s" % fmt_int(a.count) if a.count > 1 else "1"))
    out.append("</tbody></table></div>")
    return "\n".join(out)

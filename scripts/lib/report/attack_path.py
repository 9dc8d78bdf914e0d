"""One incident's attack path as an inline SVG: a horizontal band per zone,
in the order the incident reached them; the hosts as nodes in their zone's
band, in the order they joined (origin, pivot and target each with its own
shape and colour, pivots marked); each hop an arrow from source to
destination, labelled with its first_seen time and its ATT&CK techniques
(id and short name). Labels are placed along their arrow where they cover
no node and no other label (a few positions are tried, the least covered
one wins). No url() references (arrowheads are drawn, not markers), so the
page's Content-Security-Policy and the self-containment test hold."""
import math
from collections import Counter

from .fmt import esc, fmt_time, short_name

W, LW, RP = 1240, 178, 12          # width, zone label column, right padding
PW = W - LW - RP
NW, NH = 124, 34                   # node box
CW = 150                           # least room per node in a row
ROWH = 184                         # one row of nodes in a band
BAND_PAD = 8
FONT_W = 5.75                      # average glyph width at 10 px, for label boxes
LINE_H = 12.5
MAX_TECH_LINES = 3

ROLE_STYLE = {  # fill, stroke, text colour
    "origin": ("#c62828", "#8e0000", "#fff"),
    "pivot": ("#ef6c00", "#a33c00", "#fff"),
    "target": ("#ffffff", "#24408e", "#1d2330"),
}
HOP_COLOR = {"pivot": "#c62828", "allowed": "#2e7d32", "plain": "#24408e", "routine": "#24408e"}


def _node_shape(role, x, y):
    """x, y: the node's centre. Origin: a pill; pivot: a chamfered box (an
    octagon); target: a plain box."""
    fill, stroke, _ = ROLE_STYLE[role]
    l, t, r, b = x - NW / 2, y - NH / 2, x + NW / 2, y + NH / 2
    if role == "origin":
        return ('<rect class="shape" x="%.1f" y="%.1f" width="%d" height="%d" rx="%d" fill="%s" stroke="%s" '
                'stroke-width="2"/>' % (l, t, NW, NH, NH // 2, fill, stroke))
    if role == "pivot":
        c = 9
        pts = [(l + c, t), (r - c, t), (r, t + c), (r, b - c), (r - c, b), (l + c, b), (l, b - c), (l, t + c)]
        return '<polygon class="shape" points="%s" fill="%s" stroke="%s" stroke-width="2"/>' % (
            " ".join("%.1f,%.1f" % p for p in pts), fill, stroke)
    return ('<rect class="shape" x="%.1f" y="%.1f" width="%d" height="%d" rx="3" fill="%s" stroke="%s" '
            'stroke-width="1.5"/>' % (l, t, NW, NH, fill, stroke))


def legend_svg():
    """The key of the attack paths: node shapes and arrow colours."""
    out = []
    x = 4
    for role, text in (("origin", "origin (first source)"), ("pivot", "pivot (target that moved on)"),
                       ("target", "target")):
        fill, stroke, _ = ROLE_STYLE[role]
        if role == "origin":
            out.append('<rect x="%d" y="7" width="26" height="16" rx="8" fill="%s" stroke="%s" stroke-width="2"/>'
                       % (x, fill, stroke))
        elif role == "pivot":
            out.append('<polygon points="%s" fill="%s" stroke="%s" stroke-width="2"/>' % (
                " ".join("%d,%d" % p for p in ((x + 5, 7), (x + 21, 7), (x + 26, 12), (x + 26, 18), (x + 21, 23),
                                                (x + 5, 23), (x, 18), (x, 12))), fill, stroke))
            out.append(_pivot_marker(x + 26, 7, small=True))
        else:
            out.append('<rect x="%d" y="7" width="26" height="16" rx="3" fill="%s" stroke="%s" stroke-width="1.5"/>'
                       % (x, fill, stroke))
        out.append('<text class="k" x="%d" y="19">%s</text>' % (x + 34, esc(text)))
        x += 46 + int(len(text) * 6.2)
    for kind, text, dash in (("pivot", "move onto a pivot", ""), ("plain", "hop", ""),
                             ("routine", "routine hop (its techniques on many hops)", ' stroke-opacity=".45"'),
                             ("allowed", "allowed flows only", ' stroke-dasharray="5 3"')):
        out.append('<line x1="%d" y1="15" x2="%d" y2="15" stroke="%s" stroke-width="%s"%s/>'
                   % (x, x + 22, HOP_COLOR[kind], {"pivot": "3", "routine": "1.2"}.get(kind, "1.8"), dash))
        out.append('<polygon points="%d,10 %d,15 %d,20" fill="%s"/>' % (x + 22, x + 30, x + 22, HOP_COLOR[kind]))
        out.append('<text class="k" x="%d" y="19">%s</text>' % (x + 36, esc(text)))
        x += 48 + int(len(text) * 6.2)
    return ('<svg class="apkey" xmlns="http://www.w3.org/2000/svg" width="%d" height="30" viewBox="0 0 %d 30" '
            'role="img" aria-label="attack path legend">%s</svg>' % (x, x, "".join(out)))


def _pivot_marker(x, y, small=False):
    """A badge on the node's top right corner: the pivot marker (small: the
    legend's, of another class so the markers of a path can be counted)."""
    r = 6 if small else 9
    return ('<g class="%s"><circle cx="%.1f" cy="%.1f" r="%d" fill="#fff" stroke="#a33c00" '
            'stroke-width="2"/><text x="%.1f" y="%.1f" text-anchor="middle" class="pm"%s>P</text></g>'
            % ("pivot-key" if small else "pivot-marker", x, y, r, x, y + (3 if small else 4),
               ' style="font-size:8px"' if small else ""))


def _bezier(p0, p1, p2, p3, t):
    u = 1 - t
    return tuple(u * u * u * p0[k] + 3 * u * u * t * p1[k] + 3 * u * t * t * p2[k] + t * t * t * p3[k]
                 for k in (0, 1))


def _overlap(a, b):
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _layout(inc):
    """Bands (zone, top, height) and node centres {ip: (x, y)}."""
    by_zone = {z: [] for z in inc.zones}
    for h in inc.hosts:
        by_zone.setdefault(h.zone, []).append(h)
    per_row = max(1, PW // CW)
    bands, pos, y = [], {}, 0
    for z, hs in by_zone.items():
        rows = max(1, math.ceil(len(hs) / per_row))
        h = rows * ROWH + 2 * BAND_PAD
        for r in range(rows):
            row = hs[r * per_row:(r + 1) * per_row]
            for i, host in enumerate(row):  # spread over the width, in join order
                x = LW + PW * (i + 0.5) / len(row)
                pos[host.ip] = (x, y + BAND_PAD + r * ROWH + ROWH / 2)
        bands.append((z, y, h, len(hs)))
        y += h
    return bands, pos, y


def _hop_kind(hop, roles):
    if hop.alerts == 0 and hop.allowed_flows > 0:
        return "allowed"
    return "pivot" if roles.get(hop.dst) == "pivot" else "plain"


def _direction(s, d):
    return "down" if d[1] > s[1] + 1 else "up" if d[1] < s[1] - 1 else "same"


def _spread(hops, pos):
    """Where each arrow leaves its source and reaches its destination: the
    arrows of one node side are spread along it, in the order of the node
    at their other end, so a fan-out does not start from a single point."""
    ends = {}
    for hop in hops:
        s, d = pos[hop.src], pos[hop.dst]
        dirn = _direction(s, d)
        out_side = "bottom" if dirn == "down" else "top"
        in_side = "top" if dirn in ("down", "same") else "bottom"
        ends.setdefault((hop.src, out_side), []).append((d[0], id(hop), "s"))
        ends.setdefault((hop.dst, in_side), []).append((s[0], id(hop), "d"))
    off = {}
    for side in ends.values():
        side.sort()
        n = len(side)
        for i, (_, hid, which) in enumerate(side):
            off[(hid, which)] = 0.0 if n == 1 else (i / (n - 1) - 0.5) * NW * 0.7
    return off


def _curve(s, d, so=0.0, do=0.0):
    """The arrow's four Bezier points: out of the bottom of the source and into
    the top of the destination when it is further down, the other way up,
    or an arc over the row between two hosts of one row. so, do: offsets
    along the source's and the destination's side."""
    (sx, sy), (dx, dy) = (s[0] + so, s[1]), (d[0] + do, d[1])
    if dy > sy + 1:
        p0, p3 = (sx, sy + NH / 2), (dx, dy - NH / 2 - 1)
        k = (p3[1] - p0[1]) * 0.45
        return p0, (sx, p0[1] + k), (dx, p3[1] - k), p3
    if dy < sy - 1:
        p0, p3 = (sx, sy - NH / 2), (dx, dy + NH / 2 + 1)
        k = (p0[1] - p3[1]) * 0.45
        return p0, (sx, p0[1] - k), (dx, p3[1] + k), p3
    lift = 34 + abs(dx - sx) * 0.12
    p0, p3 = (sx, sy - NH / 2), (dx, dy - NH / 2 - 1)
    return p0, (sx, p0[1] - lift), (dx, p3[1] - lift), p3


def _routine(hops, roles):
    """Techniques ordered rarest first (over the incident's hops), and the
    hops that are routine: a fan-out (a scan, a sweep of one protocol) whose
    every technique is on a quarter of the hops or more (at least 4), none
    of them into or out of a pivot. Routine hops get a thin arrow and a
    compact label, so the moves that stand out can be read."""
    freq = Counter(t for h in hops for t in set(h.techniques))
    common = max(4, len(hops) / 4)
    order = {id(h): sorted(h.techniques, key=lambda t: freq[t]) for h in hops}
    routine = {id(h) for h in hops if h.techniques and all(freq[t] >= common for t in h.techniques)
               and roles.get(h.src) != "pivot" and roles.get(h.dst) != "pivot"}
    return order, routine


def _detour(curve, boxes):
    """The curve, or, when it runs through a node other than its ends (an
    arrow that skips a band, behind the host of the band between), the same
    curve with its middle pulled sideways until it clears them."""
    p0, p1, p2, p3 = curve

    def hits(c):
        for i in range(2, 19):
            x, y = _bezier(*c, i / 20)
            if any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes):
                return True
        return False

    if not hits(curve):
        return curve
    for k in (1, -1, 2, -2, 3, -3):
        dx = k * NW * 0.75
        c = (p0, (p1[0] + dx, p1[1]), (p2[0] + dx, p2[1]), p3)
        if not hits(c):
            return c
    return curve


def _label_lines(hop, names, tz, number, techs, compact):
    t = fmt_time(hop.t, tz, False) if hop.t is not None else "?"
    if compact and techs:
        return [("time", "#%d  %s" % (number, t)),
                ("tech", techs[0], "+%d" % (len(techs) - 1) if len(techs) > 1 else "")]
    n = []
    if hop.alerts:
        n.append("%d alert%s" % (hop.alerts, "" if hop.alerts == 1 else "s"))
    if hop.allowed_flows:
        n.append("%d allowed" % hop.allowed_flows)
    lines = [("time", "#%d  %s%s" % (number, t, "  \u00b7 " + ", ".join(n) if n else ""))]
    for tid in techs[:MAX_TECH_LINES]:
        lines.append(("tech", tid, short_name(names.get(tid, ""))))
    if len(techs) > MAX_TECH_LINES:
        lines.append(("more", "+%d more" % (len(techs) - MAX_TECH_LINES)))
    if not hop.techniques:
        lines.append(("more", ", ".join(hop.detectors[:2]) or "no technique"))
    return lines


def _line_len(ln):
    return len(ln[1]) + (1 + len(ln[2]) if len(ln) > 2 and ln[2] else 0)


def _hop_title(hop, names):
    techs = "\n".join("  %s %s" % (t, names.get(t, "")) for t in hop.techniques) or "  (none)"
    return ("%s \u2192 %s (%s \u2192 %s)\nfirst seen %s\nlast seen %s\n%d alerts, %d allowed flows\n"
            "techniques:\n%s\ndetectors: %s" % (hop.src, hop.dst, hop.sz, hop.dz, hop.first_seen,
                                                 hop.last_seen or hop.first_seen, hop.alerts,
                                                 hop.allowed_flows, techs, ", ".join(hop.detectors) or "-"))


# Along the arrow, nearest its head first (where the arrows of a fan-out are
# furthest apart); then shifted, the curve still crossing the box; then
# beside the curve (the hop's number ties the two).
LABEL_T = (0.78, 0.7, 0.86, 0.62, 0.54, 0.46, 0.38, 0.3, 0.22)
LABEL_DX = (0.0, -0.3, 0.3, -0.62, 0.62)


class _Boxes:
    """The boxes labels must not cover, in a grid of cells so that a
    candidate place is compared with its neighbours only (256 hops of 128
    hosts stay fast)."""
    CELL = 96

    def __init__(self):
        self.cells = {}

    def _keys(self, b):
        c = self.CELL
        for i in range(int(b[0] // c), int(b[2] // c) + 1):
            for j in range(int(b[1] // c), int(b[3] // c) + 1):
                yield i, j

    def append(self, b):
        for k in self._keys(b):
            self.cells.setdefault(k, []).append(b)

    def cover(self, b):
        seen, total = set(), 0.0
        for k in self._keys(b):
            for o in self.cells.get(k, ()):
                if id(o) not in seen:
                    seen.add(id(o))
                    total += _overlap(b, o)
        return total


def _place_label(obst, curve, lw, lh):
    best = None
    for dx in LABEL_DX:
        for t in LABEL_T:
            cx, cy = _bezier(*curve, t)
            cx = min(max(cx + dx * lw, LW + lw / 2), W - RP - lw / 2)
            box = (cx - lw / 2, cy - lh / 2, cx + lw / 2, cy + lh / 2)
            cover = obst.cover(box)
            if cover == 0:
                return box
            if best is None or cover < best[0]:
                best = (cover, box)
    return best[1]


def svg_attack_path(inc, names, tz):
    bands, pos, H = _layout(inc)
    H += 4
    roles = {h.ip: h.role for h in inc.hosts}
    out = ['<svg class="attack-path" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'viewBox="0 0 %d %d" role="img" aria-label="attack path of incident %s" data-incident="%s">'
           % (W, H, W, H, esc(inc.id), esc(inc.id))]
    for bi, (z, top, h, n) in enumerate(bands):
        out.append('<g class="band" data-zone="%s" data-order="%d"><rect class="bandbg b%d" x="0" y="%d" '
                   'width="%d" height="%d"/>' % (esc(z), bi + 1, bi % 2, top, W, h))
        label = z if len(z) <= 24 else z[:23] + "\u2026"
        out.append('<text class="zname" x="12" y="%d"><title>%s</title>%s</text>' % (top + 26, esc(z), esc(label)))
        out.append('<text class="zsub" x="12" y="%d">zone %d of %d \u00b7 %d host%s</text></g>'
                   % (top + 42, bi + 1, len(bands), n, "" if n == 1 else "s"))
    out.append('<line class="zsep" x1="%d" y1="0" x2="%d" y2="%d"/>' % (LW - 8, LW - 8, H))
    # Obstacles for the labels: every node, slightly inflated.
    obst = _Boxes()
    for x, y in pos.values():
        obst.append((x - NW / 2 - 4, y - NH / 2 - 4, x + NW / 2 + 4, y + NH / 2 + 4))
    arrows, labels, badges, todo = [], [], [], []
    drawn = [h for h in inc.hops if h.src in pos and h.dst in pos and h.src != h.dst]
    skipped = len(inc.hops) - len(drawn)
    spread = _spread(drawn, pos)
    order, routine = _routine(drawn, roles)
    for hi, hop in enumerate(inc.hops):
        if (id(hop), "s") not in spread:
            continue
        kind = _hop_kind(hop, roles)
        p0, p1, p2, p3 = _detour(
            _curve(pos[hop.src], pos[hop.dst], spread[(id(hop), "s")], spread[(id(hop), "d")]),
            [(x - NW / 2, y - NH / 2, x + NW / 2, y + NH / 2) for ip, (x, y) in pos.items()
             if ip not in (hop.src, hop.dst)])
        col = HOP_COLOR[kind]
        # The arrowhead follows the curve's last tangent.
        ang = math.atan2(p3[1] - p2[1], p3[0] - p2[0]) if (p3[0], p3[1]) != (p2[0], p2[1]) else math.pi / 2
        al, aw = 10.0, 5.0
        bx, by = p3[0] - al * math.cos(ang), p3[1] - al * math.sin(ang)
        head = [(p3[0], p3[1]), (bx + aw * math.sin(ang), by - aw * math.cos(ang)),
                (bx - aw * math.sin(ang), by + aw * math.cos(ang))]
        d = "M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f" % (p0 + p1 + p2 + (bx, by))
        title = esc(_hop_title(hop, names))
        rt = id(hop) in routine
        arrows.append(
            '<g class="hop %s%s" data-src="%s" data-dst="%s" data-hop="%d" data-techniques="%s"><title>%s</title>'
            '<path class="hopline" d="%s" stroke="%s" stroke-width="%s"%s/><polygon class="head" points="%s" '
            'fill="%s"/></g>' % (kind, " routine" if rt else "", esc(hop.src), esc(hop.dst), hi + 1,
                                 esc(" ".join(hop.techniques)), title, d,
                                 col, "3" if kind == "pivot" else "1.2" if rt else "1.8",
                                 ' stroke-dasharray="6 4"' if kind == "allowed" else "",
                                 " ".join("%.1f,%.1f" % p for p in head), col))
        # The hop's number by its arrowhead and in its label: which label is
        # whose where arrows cross.
        nx, ny = _bezier(p0, p1, p2, p3, 0.9)
        badges.append('<g class="hopno" data-hop="%d"><circle cx="%.1f" cy="%.1f" r="7.5" fill="%s"/>'
                      '<text x="%.1f" y="%.1f">%d</text></g>' % (hi + 1, nx, ny, col, nx, ny + 3.2, hi + 1))
        obst.append((nx - 9, ny - 9, nx + 9, ny + 9))
        todo.append((kind != "pivot", rt, hi, hop, (p0, p1, p2, p3), col, title))
    # Labels of the moves onto pivots first, routine ones last: the ones
    # that matter get the free places.
    for _, rt, hi, hop, curve, col, title in sorted(todo, key=lambda e: e[:3]):
        lines = _label_lines(hop, names, tz, hi + 1, order[id(hop)], rt)
        lw = 10 + FONT_W * max(_line_len(ln) for ln in lines)
        lh = 6 + LINE_H * len(lines)
        box = _place_label(obst, curve, lw, lh)
        obst.append((box[0] - 2, box[1] - 2, box[2] + 2, box[3] + 2))
        lab = ['<g class="hop-label%s" data-src="%s" data-dst="%s" data-hop="%d"><title>%s</title>'
               '<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="3" stroke="%s"/>'
               % (" routine" if rt else "", esc(hop.src), esc(hop.dst), hi + 1, title, box[0], box[1], lw, lh,
                  col)]
        for li, ln in enumerate(lines):
            y = box[1] + 3 + LINE_H * (li + 1) - 2.5
            if ln[0] == "tech":
                lab.append('<text class="lt" x="%.1f" y="%.1f"><tspan class="tid">%s</tspan>%s</text>'
                           % (box[0] + 5, y, esc(ln[1]), (" " + esc(ln[2])) if ln[2] else ""))
            else:
                lab.append('<text class="%s" x="%.1f" y="%.1f">%s</text>'
                           % ("ltime" if ln[0] == "time" else "lmore", box[0] + 5, y, esc(ln[1])))
        lab.append("</g>")
        labels.append("".join(lab))
    out += arrows
    for h in inc.hosts:
        if h.ip not in pos:
            continue
        x, y = pos[h.ip]
        _, _, tc = ROLE_STYLE[h.role]
        ip = h.ip if len(h.ip) <= 19 else h.ip[:18] + "\u2026"
        out.append('<g class="node %s" data-ip="%s" data-role="%s" data-zone="%s"><title>%s</title>%s'
                   '<text class="nip" x="%.1f" y="%.1f" fill="%s">%s</text>'
                   '<text class="nrole" x="%.1f" y="%.1f" fill="%s">%s</text>%s</g>'
                   % (h.role, esc(h.ip), h.role, esc(h.zone),
                      esc("%s (%s)\n%s since %s" % (h.ip, h.zone, h.role, h.first_seen)),
                      _node_shape(h.role, x, y), x, y - 1, tc, esc(ip), x, y + 11, tc, h.role,
                      _pivot_marker(x + NW / 2 - 2, y - NH / 2 + 1) if h.role == "pivot" else ""))
    out += labels
    out += badges
    out.append("</svg>")
    return "\n".join(out), skipped

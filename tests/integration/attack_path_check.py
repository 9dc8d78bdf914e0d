#!/usr/bin/python3
"""attack_path_check: the attack paths of a report page, as Chromium left its
DOM, against the incident records the page was made from.

  attack_path_check.py DOM.html RECORDS.json

For the last version (highest incident.version) of every incident not
merged: one div.incident with its id and version, above the matrix; one
node per host, with its role; one arrow per hop whose ends are hosts; one
pivot marker per pivot; the bands in the order of incident.zones; each arrow
carries its hop's techniques, and its label shows some of them (no other)
and its first_seen time (HH:MM:SS);
the header its score and the names of its tactics. With the geometry the
page's probe measured (body data-geom: per incident nodes, nodes outside
their band, arrows, arrows not ending on their destination): none astray.
Prints one line per failure and a summary; exit 1 on any failure.
"""
import json
import re
import sys
from html.parser import HTMLParser

TACTICS = {"TA0002": "Execution", "TA0003": "Persistence", "TA0005": "Defense Evasion",
           "TA0006": "Credential Access", "TA0007": "Discovery", "TA0008": "Lateral Movement",
           "TA0040": "Impact"}


class Dom(HTMLParser):
    """Collects, per incident, its nodes, hops, labels, bands and markers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inc = {}          # id -> dict
        self.cur = None        # the incident whose div we are in
        self.stack = []        # (tag, kinds opened by this element)
        self.label = None      # text of the hop label being read
        self.head = None
        self.order = []        # ids of incidents, and "matrix", in document order
        self.geom = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        opened = []
        if tag == "body":
            self.geom = a.get("data-geom", "")
        if tag == "section" and a.get("id") == "matrix":
            self.order.append("matrix")
        if tag == "div" and "incident" in cls:
            self.cur = self.inc.setdefault(a.get("data-id"), {
                "version": a.get("data-version"), "nodes": {}, "hops": set(), "techs": {}, "labels": {}, "bands": [],
                "markers": 0, "head": ""})
            self.order.append(a.get("data-id"))
            opened.append("incident")
        c = self.cur
        if c is not None:
            if tag == "g" and "node" in cls:
                c["nodes"][a.get("data-ip")] = a.get("data-role")
            elif tag == "g" and "hop" in cls:
                c["hops"].add((a.get("data-src"), a.get("data-dst")))
                c["techs"][(a.get("data-src"), a.get("data-dst"))] = (a.get("data-techniques") or "").split()
            elif tag == "g" and "hop-label" in cls:
                self.label = [(a.get("data-src"), a.get("data-dst")), []]
                opened.append("label")
            elif tag == "g" and "band" in cls:
                c["bands"].append(a.get("data-zone"))
            elif tag == "g" and "pivot-marker" in cls:
                c["markers"] += 1
            elif tag == "div" and ("inc-head" in cls or "tactics" in cls):
                self.head = []
                opened.append("head")
        self.stack.append((tag, opened))

    def handle_endtag(self, tag):
        while self.stack:
            t, opened = self.stack.pop()
            for k in opened:
                if k == "incident":
                    self.cur = None
                elif k == "label" and self.label:
                    key, text = self.label
                    self.cur["labels"][key] = " ".join(" ".join(text).split())
                    self.label = None
                elif k == "head" and self.head is not None:
                    self.cur["head"] += " ".join(" ".join(self.head).split()) + " "
                    self.head = None
            if t == tag:
                break

    def handle_data(self, data):
        if self.label is not None and len(self.stack) and self.stack[-1][0] in ("text", "tspan"):
            self.label[1].append(data)
        if self.head is not None:
            self.head.append(data)


def main():
    dom = Dom()
    with open(sys.argv[1], encoding="utf-8") as f:
        dom.feed(f.read())
    last = {}
    with open(sys.argv[2]) as f:
        for line in f:
            o = json.loads(line)
            if o.get("event_type") == "incident":
                r = o["incident"]
                if r["id"] not in last or r["version"] >= last[r["id"]]["version"]:
                    last[r["id"]] = r
    fails, checked = [], 0

    def check(ok, what):
        nonlocal checked
        checked += 1
        if not ok:
            fails.append(what)

    live = [r for r in last.values() if r.get("state") != "merged"]
    check(len(dom.inc) == min(len(live), 20), "%d incidents drawn, %d expected" % (len(dom.inc), len(live)))
    check("matrix" in dom.order and all(dom.order.index(i) < dom.order.index("matrix") for i in dom.inc),
          "the attack paths are above the matrix")
    geom = {g.split(":")[0]: [int(x) for x in g.split(":")[1].split(",")] for g in dom.geom.split() if ":" in g}
    for r in live:
        d = dom.inc.get(r["id"])
        if d is None:
            if len(live) <= 20:
                fails.append("incident %s not drawn" % r["id"])
            continue
        iid = r["id"]
        check(d["version"] == str(r["version"]), "%s: version %s drawn, %s last" % (iid, d["version"], r["version"]))
        want = {h["ip"]: h["role"] for h in r["hosts"]}
        check(d["nodes"] == want, "%s: nodes %s, hosts %s" % (iid, sorted(d["nodes"].items()), sorted(want.items())))
        hops = {(h["src_ip"], h["dest_ip"]) for h in r["hops"] if h["src_ip"] in want and h["dest_ip"] in want
                and h["src_ip"] != h["dest_ip"]}
        check(d["hops"] == hops, "%s: arrows %s, hops %s" % (iid, sorted(d["hops"]), sorted(hops)))
        pivots = sum(1 for h in r["hosts"] if h["role"] == "pivot")
        check(d["markers"] == pivots, "%s: %d pivot markers, %d pivots" % (iid, d["markers"], pivots))
        zones = list(dict.fromkeys(r["zones"] + [h["zone"] for h in r["hosts"]]))
        check(d["bands"] == zones, "%s: bands %s, zones %s" % (iid, d["bands"], zones))
        for h in r["hops"]:
            key = (h["src_ip"], h["dest_ip"])
            if key not in hops:
                continue
            text = d["labels"].get(key, "")
            shown = set(re.findall(r"\bT\d{4}(?:\.\d{3})?\b", text))
            check(not h["techniques"] or (shown and shown <= set(h["techniques"])),
                  "%s: label of %s -> %s shows %s of %s: %r" % (iid, key[0], key[1], sorted(shown),
                                                                 h["techniques"], text))
            check(d["techs"].get(key) == h["techniques"], "%s: arrow %s -> %s carries %s, the hop %s"
                  % (iid, key[0], key[1], d["techs"].get(key), h["techniques"]))
            check(h["first_seen"][11:19] in text, "%s: label of %s -> %s lacks its time %s: %r"
                  % (iid, key[0], key[1], h["first_seen"][11:19], text))
        check(iid in d["head"] and "score %d" % r["score"] in d["head"], "%s: header %r" % (iid, d["head"][:200]))
        for t in r["tactics"]:
            check(t in d["head"] and TACTICS.get(t, t) in d["head"], "%s: tactic %s not named" % (iid, t))
        if geom:
            g = geom.get(iid)
            check(g is not None and g[0] == len(want) and g[1] == 0 and g[2] == len(hops) and g[3] == 0,
                  "%s: geometry (nodes, outside their band, arrows, astray) = %s" % (iid, g))
    for f in fails:
        print("attack_path_check: %s" % f)
    print("attack_path_check: %d incidents, %d checks, %d failed%s" % (
        len(live), checked, len(fails), "" if geom else " (no geometry probe)"))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())

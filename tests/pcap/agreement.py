#!/usr/bin/python3
"""Compares vigie's flow records with ndpiReader's CSV, flow by flow.

  agreement.py compare --work DIR --report FILE [--min PCT] [--show N]
      DIR holds, per capture, NAME.csv (ndpiReader -C), NAME.json (vigie
      --flows) and NAME.rc ("<ndpiReader status> <vigie status>"); NAME.src
      holds the capture's path for the report.
  agreement.py csv2eve CSV
      prints ndpiReader's flows as vigie flow records (comparator self-check).

Flows are matched by IP protocol and unordered pair of (address, port)
endpoints, addresses normalised with ipaddress and printed the way
ndpiReader 4.2 prints them (its IPv6 text is not always valid); when several flows share a
tuple (timeouts, VLANs) each ndpiReader flow takes the unmatched vigie flow
whose start is closest to its first_seen. Agreement = flows whose ndpi proto
string is the same / flows ndpiReader reports. Stdlib only.
"""
import argparse
import collections
import csv
import datetime
import glob
import ipaddress
import json
import os
import sys

PROTO_NUM = {"TCP": 6, "UDP": 17, "ICMP": 1, "IPv6-ICMP": 58, "SCTP": 132}
PROTO_NAME = {v: k for k, v in PROTO_NUM.items()}


def glibc_ntop6(a):
    """inet_ntop(AF_INET6) as glibc writes it: longest run (>= 2) of zero groups as '::',
    IPv4-mapped and IPv4-compatible addresses with a dotted quad."""
    b = a.packed
    w = [int.from_bytes(b[i:i + 2], "big") for i in range(0, 16, 2)]
    best, cur = (-1, 0), (-1, 0)
    for i, x in enumerate(w + [1]):
        if x == 0 and i < 8:
            cur = (i if cur[0] < 0 else cur[0], cur[1] + 1)
        else:
            if cur[1] > best[1]:
                best = cur
            cur = (-1, 0)
    if best[1] < 2:
        best = (-1, 0)
    out, i = "", 0
    while i < 8:
        if i == best[0]:
            out += "::" if i == 0 else ":"
            i += best[1]
            continue
        if i == 6 and best[0] == 0 and (best[1] == 6 or (best[1] == 5 and w[5] == 0xFFFF)):
            return out + ".".join(str(x) for x in b[12:])
        out += ("%x" % w[i]) + (":" if i < 7 else "")
        i += 1
    return out


def ndpi_patch6(text):
    """ndpiReader 4.2 ndpi_patchIPv6Address(): every ':0:' becomes '::', even when the
    address already has a '::' (so '2600:...:5999:0:19::' prints '2600:...:5999::19::')."""
    out, i = "", 0
    while i < len(text):
        if text[i:i + 3] == ":0:":
            out, i = out + "::", i + 3
        else:
            out, i = out + text[i], i + 1
    return out


def norm_ip(text):
    """Both tools' addresses in ndpiReader's own text form. ndpiReader's IPv6 text may
    not parse (several '::'), so vigie's side is rendered the way ndpiReader prints."""
    text = text.strip().strip("[]").split("%")[0].lower()
    try:
        a = ipaddress.ip_address(text)
    except ValueError:
        return text
    return a.compressed if a.version == 4 else ndpi_patch6(glibc_ntop6(a))


def key_of(proto, a, pa, b, pb):
    if int(proto) == 132:  # ndpiReader 4.2 does not read SCTP ports: it prints 0
        pa = pb = 0
    ends = sorted([(norm_ip(a), int(pa or 0)), (norm_ip(b), int(pb or 0))])
    return (int(proto), ends[0], ends[1])


def fmt_key(k):
    proto, (a, pa), (b, pb) = k
    name = PROTO_NAME.get(proto, str(proto))
    h = lambda ip, p: (f"[{ip}]:{p}" if ":" in ip else f"{ip}:{p}")  # noqa: E731
    return f"{name} {h(a, pa)} <-> {h(b, pb)}"


def eve_time(text):
    """'2023-11-14T22:13:20.000000+0000' -> epoch seconds."""
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    except (TypeError, ValueError):
        return 0.0


def read_ndpi_csv(path):
    """ndpiReader 4.2 -C: #flow_id,protocol,first_seen,last_seen,duration,src_ip,src_port,
    dst_ip,dst_port,ndpi_proto_num,ndpi_proto,..."""
    flows = []
    if not os.path.exists(path):
        return flows
    with open(path, newline="", errors="replace") as f:
        for row in csv.reader(f):
            if not row or row[0].startswith("#") or len(row) < 11:
                continue
            try:
                k = key_of(row[1], row[5], row[6], row[7], row[8])
                flows.append({"key": k, "start": float(row[2]), "end": float(row[3]), "proto": row[10]})
            except ValueError:
                continue
    return flows


def read_vigie(path):
    flows, bad = [], 0
    if not os.path.exists(path):
        return flows, bad
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
                if r.get("event_type", "flow") != "flow":
                    continue
                p = r["proto"]
                num = PROTO_NUM[p] if p in PROTO_NUM else int(p)
                k = key_of(num, r["src_ip"], r.get("src_port", 0), r["dest_ip"], r.get("dest_port", 0))
                flows.append({"key": k, "start": eve_time(r.get("flow", {}).get("start")),
                              "proto": r.get("ndpi", {}).get("proto", "(none)")})
            except (ValueError, KeyError, TypeError):
                bad += 1
    return flows, bad


def match(ndpi, vigie):
    """Returns [(ndpi_flow, vigie_flow or None)], the unmatched vigie flows, and how many
    ndpiReader flows vigie cut in several (e.g. a new SYN after a RST: ndpiReader keeps
    one flow). Such a flow is paired with the piece within its time span that has the
    same protocol, if any (the piece that carried the payload), else the nearest start."""
    by_key = collections.defaultdict(list)
    for v in vigie:
        by_key[v["key"]].append(v)
    pairs, split = [], 0
    for n in sorted(ndpi, key=lambda x: x["start"]):
        cands = by_key.get(n["key"])
        if not cands:
            pairs.append((n, None))
            continue
        inside = [i for i, v in enumerate(cands) if n["start"] - 1 <= v["start"] <= n.get("end", n["start"]) + 1]
        split += len(inside) > 1
        same = [i for i in inside if cands[i]["proto"] == n["proto"]]
        pool = same or inside or range(len(cands))
        best = min(pool, key=lambda i: abs(cands[i]["start"] - n["start"]))
        pairs.append((n, cands.pop(best)))
    return pairs, [v for vs in by_key.values() for v in vs], split


def compare(args):
    files = []
    for csvp in sorted(glob.glob(os.path.join(args.work, "*.csv"))):
        name = os.path.basename(csvp)[:-4]
        base = os.path.join(args.work, name)
        src = open(base + ".src").read().strip() if os.path.exists(base + ".src") else name
        rc = open(base + ".rc").read().split() if os.path.exists(base + ".rc") else ["?", "?"]
        ndpi = read_ndpi_csv(csvp)
        vigie, bad = read_vigie(base + ".json")
        pairs, extra, split = match(ndpi, vigie)
        files.append({"name": src, "rc": rc, "ndpi": len(ndpi),
                      "matched": sum(1 for _, v in pairs if v),
                      "same": sum(1 for n, v in pairs if v and v["proto"] == n["proto"]),
                      "vigie": len(vigie), "extra": len(extra), "bad": bad, "split": split,
                      "diff": [(n, v) for n, v in pairs if not v or v["proto"] != n["proto"]]})
    total = sum(f["ndpi"] for f in files)
    matched = sum(f["matched"] for f in files)
    same = sum(f["same"] for f in files)
    pct = 100.0 * same / total if total else 100.0
    pairs = collections.Counter((n["proto"], v["proto"] if v else "(no vigie flow)")
                                for f in files for n, v in f["diff"])
    worst = sorted((f for f in files if f["diff"] or f["rc"] != ["0", "0"] or f["bad"]),
                   key=lambda f: (-len(f["diff"]), f["same"] / f["ndpi"] if f["ndpi"] else 1, f["name"]))

    lines = [f"nDPI agreement: vigie vs ndpiReader, {len(files)} captures",
             f"ndpiReader flows {total}, matched in vigie {matched}, same ndpi proto {same} ({pct:.2f}%)",
             f"vigie flows {sum(f['vigie'] for f in files)}, of which not in ndpiReader "
             f"{sum(f['extra'] for f in files)}; ndpiReader flows that vigie cut in several "
             f"{sum(f['split'] for f in files)} (" + ", ".join(f["name"] for f in files if f["split"]) + ")", "",
             "## mismatch kinds (ndpiReader proto -> vigie proto: flows)"]
    lines += [f"{c:6d}  {a} -> {b}" for (a, b), c in pairs.most_common()]
    lines += ["", "## files with differences, worst first",
              "   differ  ndpi  matched  same  vigie  extra  rc(ndpi,vigie)  file"]
    for f in worst:
        lines.append(f"   {len(f['diff']):6d} {f['ndpi']:5d} {f['matched']:8d} {f['same']:5d} {f['vigie']:6d}"
                     f" {f['extra']:6d}  {'/'.join(f['rc']):>14}  {f['name']}"
                     + (f"  ({f['bad']} unparsable vigie lines)" if f["bad"] else ""))
    lines += ["", "## mismatching flows: tuple | ndpiReader proto | vigie proto"]
    for f in worst:
        for n, v in f["diff"]:
            lines.append(f"{f['name']}: {fmt_key(n['key'])} | {n['proto']} | "
                         f"{v['proto'] if v else '(no vigie flow)'}")
    os.makedirs(os.path.dirname(os.path.abspath(args.report)), exist_ok=True)
    with open(args.report, "w") as out:
        out.write("\n".join(lines) + "\n")

    print(f"ndpiReader flows {total}, matched {matched}, same proto {same}; report: {args.report}")
    if pairs:
        print("most frequent mismatches (ndpiReader -> vigie):")
        for (a, b), c in pairs.most_common(args.show):
            print(f"  {c:5d}  {a} -> {b}")
    if worst:
        print("worst files (differing flows / ndpiReader flows):")
        for f in worst[:args.show]:
            print(f"  {len(f['diff']):5d}/{f['ndpi']:<5d} {f['name']}"
                  + ("" if f["rc"] == ["0", "0"] else f"  [exit ndpiReader {f['rc'][0]}, vigie {f['rc'][1]}]"))
    print(f"agreement: {pct:.2f}% of {total} flows ({len(files)} files)")
    return 0 if pct >= args.min else 1


def csv2eve(args):
    """ndpiReader's flows in vigie's record shape: compare must then say 100%."""
    for n in read_ndpi_csv(args.csv):
        proto, (a, pa), (b, pb) = n["key"]
        start = datetime.datetime.fromtimestamp(n["start"], datetime.timezone.utc)
        r = {"event_type": "flow", "src_ip": a, "dest_ip": b,
             "proto": PROTO_NAME.get(proto, str(proto)),
             "ndpi": {"proto": n["proto"]},
             "flow": {"start": start.strftime("%Y-%m-%dT%H:%M:%S.%f+0000")}}
        if proto in (6, 17, 132):
            r["src_port"], r["dest_port"] = pa, pb
        print(json.dumps(r))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare")
    c.add_argument("--work", required=True)
    c.add_argument("--report", required=True)
    c.add_argument("--min", type=float, default=99.0)
    c.add_argument("--show", type=int, default=10)
    e = sub.add_parser("csv2eve")
    e.add_argument("csv")
    args = ap.parse_args()
    return compare(args) if args.cmd == "compare" else csv2eve(args)


if __name__ == "__main__":
    sys.exit(main())

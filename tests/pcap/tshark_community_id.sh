#!/usr/bin/env bash
# Community ID of every flow record against tshark's (its communityid
# protocol, Community ID v1, seed 0), for TCP, UDP, SCTP, ICMP and ICMPv6.
#
#   tests/pcap/tshark_community_id.sh [BUILD_DIR]     (default: build)
#
# Captures: the small ones of gen_cases.py (they hold the only SCTP flows)
# and of gen/tunnels.py (GRE, ERSPAN, VXLAN, GTP-U, Teredo: their flows are
# the inner packets', every one must find its tshark packet and id),
# and from ../shared/corpus the first PER_PROTO (default 6) captures, by
# name, where vigie writes flows of each of those protocols (vigie reads the
# whole corpus for that choice, in seconds; tshark, slow to start, reads only
# the chosen ones). A flow record is compared with the packet that opened
# the flow: same time to the microsecond, same innermost addresses and
# ports (tshark's last transport layer; addresses of any of its IP layers)
# and, for ICMP, the same sender; its community_id must equal tshark's for that packet (tshark
# hashes an ICMP message by type and code as the spec says). Flows with no
# such packet (a tunnel vigie does not decapsulate, whose flow is the outer
# tuple while tshark hashes the inner one) are counted, not compared, but
# in the generated tunnel captures they fail. Fails on any
# mismatch, or when a protocol has no compared flow at all.
# Prints one line per protocol, then "N passed, N failed". Skips cleanly
# without tshark; without ../shared only the generated captures are read.
# CID_DEBUG=1 lists the flows that found no tshark packet.
set -uo pipefail
ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel 2>/dev/null) ||
    ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORPUS=${CORPUS:-$ROOT/../shared/corpus}
CORPUS_CFG=${CORPUS_CFG:-$ROOT/../shared/expect/corpus.yaml}
BUILD=${1:-$ROOT/build}
VIGIE=${VIGIE:-$BUILD/vigie}
PER_PROTO=${PER_PROTO:-6}
JOBS=${JOBS:-2}
PY=/usr/bin/python3

command -v tshark >/dev/null || { echo "tshark_community_id: no tshark, skipped"; echo "0 passed, 0 failed"; exit 0; }
[ -x "$VIGIE" ] || { echo "tshark_community_id: no binary at $VIGIE (build first)"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/cases" "$tmp/flows"
"$PY" "$ROOT/tests/pcap/gen_cases.py" "$tmp/cases" >/dev/null ||
    { echo "tshark_community_id: gen_cases.py failed"; exit 1; }
"$PY" "$ROOT/tests/pcap/gen/tunnels.py" "$tmp/cases" >/dev/null ||
    { echo "tshark_community_id: gen/tunnels.py failed"; exit 1; }

# flows CAPTURE CONFIG OUT: vigie's flow records ("" config: built-in defaults).
flows() {
    local cfg=()
    [ -n "$2" ] && cfg=(-c "$2")
    "$VIGIE" "${cfg[@]}" -r "$1" --no-redis -q --flows "$3" >/dev/null 2>&1
    [ -s "$3" ]
}

: >"$tmp/list"
for f in "$tmp/cases"/*.pcap; do
    flows "$f" "" "$tmp/flows/case_$(basename "$f").json" &&
        printf '%s\t%s\n' "$f" "$tmp/flows/case_$(basename "$f").json" >>"$tmp/list"
done
if [ -d "$CORPUS" ] && [ -f "$CORPUS_CFG" ]; then
    # scan I CAPTURE: the protocols of its flows, one "I<TAB>proto<TAB>capture" a line.
    scan() {
        local out=$tmp/flows/corpus_$1.json
        flows "$2" "$CORPUS_CFG" "$out" &&
            jq -r '.proto' "$out" | sort -u | sed "s|^|$1\t|;s|\$|\t$2|" >"$tmp/flows/protos_$1"
    }
    i=0 running=0
    while IFS= read -r -d '' f; do
        i=$((i + 1)) running=$((running + 1))
        scan "$i" "$f" &
        if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
    done < <(find "$CORPUS" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) -print0 | sort -z)
    wait
    for ((j = 1; j <= i; j++)); do cat "$tmp/flows/protos_$j" 2>/dev/null; done >"$tmp/protos"
    for p in TCP UDP SCTP ICMP IPv6-ICMP; do
        awk -F'\t' -v p="$p" '$2 == p' "$tmp/protos" | head -n "$PER_PROTO"
    done | sort -u -t$'\t' -k1,1n | while IFS=$'\t' read -r n _ f; do
        printf '%s\t%s\n' "$f" "$tmp/flows/corpus_$n.json"
    done >>"$tmp/list"
else
    echo "tshark_community_id: no corpus at $CORPUS: generated captures only"
fi

# tshark: one line per packet with the fields the match needs.
n=0
while IFS=$'\t' read -r cap fl; do
    n=$((n + 1))
    tshark --enable-protocol communityid -r "$cap" -T fields -E separator=/t -E occurrence=a \
        -e frame.time_epoch -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst \
        -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport \
        -e sctp.srcport -e sctp.dstport -e communityid 2>/dev/null >"$tmp/tshark_$n.tsv"
    printf '%s\t%s\t%s\n' "$cap" "$fl" "$tmp/tshark_$n.tsv" >>"$tmp/jobs"
done <"$tmp/list"

"$PY" - "$tmp/jobs" "${CORPUS%/}/" <<'EOF'
import calendar
import json
import os
import sys
from collections import defaultdict

jobs, corpus = sys.argv[1], sys.argv[2]
PROTOS = ["TCP", "UDP", "SCTP", "ICMP", "IPv6-ICMP"]


def last(field):
    return field.split(",")[-1] if field else ""


def us_of_epoch(text):
    secs, _, frac = text.partition(".")
    return int(secs) * 1000000 + int((frac + "000000000")[:9]) // 1000


def us_of_eve(ts):  # "2023-11-14T22:13:20.000000+0000"
    day, _, rest = ts.partition("T")
    hms, _, frac = rest[:15].partition(".")
    y, mo, d = map(int, day.split("-"))
    h, mi, s = map(int, hms.split(":"))
    return calendar.timegm((y, mo, d, h, mi, s)) * 1000000 + int(frac)


compared = defaultdict(int)
unmatched = defaultdict(int)
bad = []
for line in open(jobs):
    cap, flows, tsv = line.rstrip("\n").split("\t")
    # (time, sender, receiver) -> [(sender port, receiver port, community id)]
    packets = defaultdict(list)
    for row in open(tsv):
        f = row.rstrip("\n").split("\t")
        if len(f) < 12 or not f[11]:
            continue
        ports = [last(f[i]) for i in (5, 6, 7, 8, 9, 10)]
        sp = next((p for p in ports[0::2] if p), "")
        dp = next((p for p in ports[1::2] if p), "")
        # Every IP layer's pair: an ICMP error's own header comes before
        # the header it quotes, and a tunnel's inner one after the outer.
        pairs = set(zip(f[1].split(","), f[2].split(","))) | set(zip(f[3].split(","), f[4].split(",")))
        for src, dst in pairs:
            packets[(us_of_epoch(f[0]), src, dst)].append((sp, dp, last(f[11])))
    for rec in open(flows):
        r = json.loads(rec)
        if r.get("proto") not in PROTOS:
            continue
        t = us_of_eve(r["flow"]["start"])
        s, d = r["src_ip"], r["dest_ip"]
        sp, dp = str(r.get("src_port", "")), str(r.get("dest_port", ""))
        icmp = r["proto"] in ("ICMP", "IPv6-ICMP")
        cands = [c for c in packets.get((t, s, d), []) if icmp or (c[0], c[1]) == (sp, dp)]
        if not icmp:  # a TCP flow may open with the server's SYN-ACK
            cands += [c for c in packets.get((t, d, s), []) if (c[0], c[1]) == (dp, sp)]
        if not cands:
            if os.environ.get("CID_DEBUG"):
                print("unmatched", cap, r["flow"]["start"], r["proto"], s, d, r.get("icmp_type"))
            unmatched[r["proto"]] += 1
            if os.path.basename(cap).startswith("tunnel_"):  # decapsulated: must match
                bad.append("%s: %s %s %s -> %s: no tshark packet with this inner tuple" % (
                    os.path.basename(cap), r["flow"]["start"], r["proto"], s, d))
            continue
        compared[r["proto"]] += 1
        ids = {c[2] for c in cands}
        if r.get("community_id") not in ids:
            bad.append("%s: %s %s %s -> %s %s: vigie %s, tshark %s" % (
                cap.replace(corpus, ""), r["flow"]["start"], r["proto"], s, d,
                r.get("icmp_type", dp), r.get("community_id"), "/".join(sorted(ids))))

passed = failed = 0
for p in PROTOS:
    mism = sum(1 for b in bad if " %s " % p in b)
    if compared[p] and not mism:
        passed += 1
        print("ok   %s: %d flows equal tshark's community id (%d without a tshark packet)"
              % (p, compared[p], unmatched[p]))
    else:
        failed += 1
        print("FAIL %s: %d compared, %d differ, %d without a tshark packet"
              % (p, compared[p], mism, unmatched[p]))
for b in bad[:20]:
    print("     " + b)
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
EOF

#!/usr/bin/env bash
# --learn writes the cross-zone edges as an includable policy; learning
# twice gives the same file; with that baseline included, new_edge fires on
# exactly the edges the baseline lacks (here: SMB, filtered out while
# learning) and nothing else.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
/usr/bin/python3 "$ROOT/scripts/gen-traffic" --out "$T/mix.pcap" --flows 500 --packets 4000 --seed 11 2>/dev/null
zones='zones:
  - {name: users, cidrs: [10.20.0.0/16]}
  - {name: servers, cidrs: [10.10.0.0/16], criticality: high}
  - {name: partners, cidrs: [172.16.0.0/12]}
outputs: {redis: {url: ""}}'
printf '%s\n' "$zones" >"$T/learn.yaml"
"$VIGIE" -c "$T/learn.yaml" -r "$T/mix.pcap" --no-redis --learn "$T/learned.yaml" -q 'not tcp port 445' 2>/dev/null
"$VIGIE" -c "$T/learn.yaml" -r "$T/mix.pcap" --no-redis --learn "$T/learned2.yaml" -q 'not tcp port 445' 2>/dev/null
check "learned edges written" grep -q "from: users, to: servers" "$T/learned.yaml"
check "a second learn gives the same file" cmp "$T/learned.yaml" "$T/learned2.yaml"
check "no SMB edge learned" test "$(grep -c 'SMB' "$T/learned.yaml")" -eq 0

printf '%s\npolicy: {default: allow, include: learned.yaml}\ndetect: {dedup_window: 0}\n' "$zones" >"$T/detect.yaml"
check "the learned file is a valid include" "$VIGIE" -c "$T/detect.yaml" -T
"$VIGIE" -c "$T/detect.yaml" -r "$T/mix.pcap" --no-redis -A "$T/alerts.json" -q 2>/dev/null
check "new_edge fires on the SMB edges" jq -e -s '[.[] | select(.vigie.detector == "new_edge")] | length > 0' "$T/alerts.json"
check "new_edge fires on nothing else" jq -e -s '[.[] | select(.vigie.detector == "new_edge")] | all(.dest_port == 445)' "$T/alerts.json"
check "no policy violation under default allow" jq -e -s '[.[] | select(.vigie.detector == "policy_violation")] | length == 0' "$T/alerts.json"
"$VIGIE" -c "$T/learn.yaml" -r "$T/mix.pcap" --no-redis -A "$T/none.json" -q 2>/dev/null
check "no baseline, no new_edge" jq -e -s '[.[] | select(.vigie.detector == "new_edge")] | length == 0' "$T/none.json"
finish learn

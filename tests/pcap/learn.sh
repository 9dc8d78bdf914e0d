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

# The municipal scenario: learn on its benign part (everything but the
# intruder's hosts), then detect on the whole capture.
/usr/bin/python3 "$ROOT/scripts/gen-scenario" --out "$T/scenario.pcap" 2>/dev/null
sed "s|spool_dir: /var/lib/vigie/spool|spool_dir: $T/spool|" "$ROOT/config/vigie.yaml" >"$T/city.yaml"
benign='not host 10.10.1.42 and not host 10.10.0.20 and not host 10.30.1.15'
"$VIGIE" -c "$T/city.yaml" -r "$T/scenario.pcap" --no-redis --learn "$T/city-learned.yaml" -q "$benign" 2>/dev/null
"$VIGIE" -c "$T/city.yaml" -r "$T/scenario.pcap" --no-redis --learn "$T/city-learned2.yaml" -q "$benign" 2>/dev/null
check "scenario: a second learn gives the same file" cmp "$T/city-learned.yaml" "$T/city-learned2.yaml"
sed -e "s|spool_dir: /var/lib/vigie/spool|spool_dir: $T/spool|" -e "s|^policy:|policy:\n  include: city-learned.yaml|" \
    "$ROOT/config/vigie.yaml" >"$T/city-baseline.yaml"
check "scenario: baseline config valid" "$VIGIE" -c "$T/city-baseline.yaml" -T
"$VIGIE" -c "$T/city-baseline.yaml" -r "$T/scenario.pcap" --no-redis -A "$T/city-alerts.json" -q 2>/dev/null
check "scenario: new_edge fires on the attack" jq -e -s '[.[] | select(.vigie.detector == "new_edge")] | length > 0' "$T/city-alerts.json"
check "scenario: every new edge involves the intruder's hosts" jq -e -s '[.[] | select(.vigie.detector == "new_edge")] | all(.src_ip as $s | .dest_ip as $d | ["10.10.1.42","10.10.0.20","10.30.1.15"] | any(. == $s or . == $d))' "$T/city-alerts.json"
finish learn

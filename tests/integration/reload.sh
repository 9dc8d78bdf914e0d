#!/usr/bin/env bash
# SIGHUP (and SIGUSR2) during a paced replay: the new zones/policy apply to flows
# classified afterwards, no flow is lost, and a broken file is refused
# while the running config stays. SIGUSR1 prints the counters; SIGHUP reopens rotated files.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
/usr/bin/python3 "$ROOT/scripts/gen-traffic" --out "$T/mix.pcap" --flows 300 --packets 2500 --seed 13 --duration 30 2>/dev/null
base='zones:
  - {name: users, cidrs: [10.20.0.0/16]}
  - {name: servers, cidrs: [10.10.0.0/16]}
detect: {dedup_window: 0}
outputs: {redis: {url: ""}}'
printf '%s\n' "$base" >"$T/vigie.yaml"
"$VIGIE" -c "$T/vigie.yaml" -r "$T/mix.pcap" --no-redis --flows "$T/offline.json" -q 2>/dev/null

"$VIGIE" -c "$T/vigie.yaml" -r "$T/mix.pcap" --replay=10 --no-redis --flows "$T/flows.json" \
    -A "$T/alerts.json" -q 2>"$T/err" &
V=$!
sleep 1
printf 'zones: [ {name: broken\n' >"$T/vigie.yaml"
kill -HUP $V; sleep 0.3
printf '%s\npolicy: {default: deny}\n' "$base" >"$T/vigie.yaml"
kill -HUP $V
wait $V
check "broken config refused, running one kept" grep -q "reload of .* failed" "$T/err"
check "good config reloaded" grep -q "reloaded" "$T/err"
check "no flow lost across reloads" test "$(wc -l <"$T/flows.json")" -eq "$(wc -l <"$T/offline.json")"
check "the new policy applies after the reload" jq -e -s '[.[] | select(.vigie.detector == "policy_violation")] | length > 0' "$T/alerts.json"
# From the start, the deny policy alerts on every cross-zone flow; after a
# reload mid-run, only on those classified after it.
"$VIGIE" -c "$T/vigie.yaml" -r "$T/mix.pcap" --no-redis -A "$T/all.json" -q 2>/dev/null
n_all=$(jq -s '[.[] | select(.vigie.detector == "policy_violation")] | length' "$T/all.json")
n_run=$(jq -s '[.[] | select(.vigie.detector == "policy_violation")] | length' "$T/alerts.json")
check "and not before it ($n_run of $n_all)" test "$n_run" -lt "$n_all"
# SIGUSR1 prints the counters, SIGUSR2 reloads as SIGHUP does; neither stops
# the sensor (they used to kill it).
printf '%s\n' "$base" >"$T/vigie.yaml"
"$VIGIE" -c "$T/vigie.yaml" -r "$T/mix.pcap" --replay=10 --no-redis --flows "$T/usr.json" -q \
    2>"$T/usr.err" &
V=$!
sleep 1
kill -USR1 $V; sleep 0.3
kill -USR2 $V
wait $V; rc=$?
check "SIGUSR1 and SIGUSR2 do not stop the sensor (exit $rc)" test $rc -eq 0
check "SIGUSR1 prints the counters" grep -q "vigie: stats packets=" "$T/usr.err"
check "SIGUSR2 reloads the config" grep -q "reloaded" "$T/usr.err"
check "no flow lost" test "$(wc -l <"$T/usr.json")" -eq "$(wc -l <"$T/offline.json")"
# logrotate: the file is renamed away, SIGHUP reopens one at the same path;
# the two together hold every record, none twice.
"$VIGIE" -c "$T/vigie.yaml" -r "$T/mix.pcap" --replay=10 --no-redis --flows "$T/rot.json" -q \
    2>/dev/null &
V=$!
sleep 1.5
mv "$T/rot.json" "$T/rot.json.1"
kill -HUP $V
wait $V
check "SIGHUP reopens a rotated file at its path" test -s "$T/rot.json"
check "the rotated file kept what was written before" test -s "$T/rot.json.1"
check "no record lost across the rotation" \
    test "$(cat "$T/rot.json.1" "$T/rot.json" | wc -l)" -eq "$(wc -l <"$T/offline.json")"
check "no record written twice" \
    test "$(cat "$T/rot.json.1" "$T/rot.json" | sort -u | wc -l)" -eq "$(wc -l <"$T/offline.json")"
finish reload

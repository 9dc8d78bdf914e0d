#!/usr/bin/env bash
# The alerts and flows files as a live sensor writes them: records reach the
# file while the sensor runs (alerts at once, flows within a second), and a
# sensor killed with -9 leaves whole lines only.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
/usr/bin/python3 "$ROOT/scripts/gen-scenario" --out "$T/s.pcap" 2>/dev/null
"$VIGIE" -c "$ROOT/config/vigie.yaml" -r "$T/s.pcap" --no-redis -q -A "$T/all.json" 2>/dev/null

# 600 s of scenario at 20x: 30 s; alerts start about 1.2 s in.
"$VIGIE" -c "$ROOT/config/vigie.yaml" -r "$T/s.pcap" --replay=20 --no-redis -q \
    -A "$T/alerts.json" --flows "$T/flows.json" 2>/dev/null &
V=$!
sleep 6
n_alive=$(wc -l <"$T/alerts.json")
f_alive=$(wc -l <"$T/flows.json")
kill -9 $V
wait $V 2>/dev/null
check "alerts reach the file while the sensor runs ($n_alive)" test "$n_alive" -gt 0
check "flow records too, within a second ($f_alive)" test "$f_alive" -gt 0
check "killed with -9: every alert line is whole JSON" jq -e -s 'length > 0' "$T/alerts.json"
check "killed with -9: every flow line is whole JSON" jq -e -s 'length > 0' "$T/flows.json"
check "each line ends with a newline" sh -c "tail -c1 '$T/alerts.json' | od -c | grep -q '\\\\n' && tail -c1 '$T/flows.json' | od -c | grep -q '\\\\n'"
check "the alerts written are those of a full run, in order" \
    sh -c "head -n $(wc -l <"$T/alerts.json") '$T/all.json' | cmp -s - '$T/alerts.json'"
finish files_crash

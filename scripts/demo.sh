#!/usr/bin/env bash
# One command for a newcomer: installs what is missing, builds, starts a
# private redis-server, runs the bundled attack scenario through the sensor
# with the shipped config, and prints the alerts as a SOC subscriber
# receives them from the Redis channel, then a summary. Stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh Release build >/dev/null

D=build/demo
rm -rf "$D" && mkdir -p "$D"
REDIS_PID=""
SUB_PID=""
cleanup() {
    [ -n "$SUB_PID" ] && kill "$SUB_PID" 2>/dev/null || true
    [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null || true
}
trap cleanup EXIT

# A private Redis on a unix socket: nothing else on the machine is touched.
SOCK=$(pwd)/$D/redis.sock
redis-server --port 0 --unixsocket "$SOCK" --unixsocketperm 700 --save '' --appendonly no \
    --dir "$D" --logfile redis.log &
REDIS_PID=$!
for _ in $(seq 50); do redis-cli -s "$SOCK" PING 2>/dev/null | grep -q PONG && break; sleep 0.1; done

# The shipped config, with the spool kept inside the demo directory.
sed "s|spool_dir: /var/lib/vigie/spool|spool_dir: $(pwd)/$D/spool|" config/vigie.yaml >"$D/vigie.yaml"
# The bundled scenario: Grand Angouleme 2023, phishing to ransomware across
# the agglomeration, the city hall and the media library, in benign traffic.
/usr/bin/python3 scripts/gen-scenario --out "$D/scenario.pcap" 2>/dev/null

# The SOC side: a subscriber on the live channel.
redis-cli -s "$SOCK" --raw SUBSCRIBE vigie:alerts >"$D/subscriber.txt" &
SUB_PID=$!
sleep 0.3

echo "== vigie -c $D/vigie.yaml -r $D/scenario.pcap --redis unix://$SOCK --flows $D/flows.json"
./build/vigie -c "$D/vigie.yaml" -r "$D/scenario.pcap" --redis "unix://$SOCK" --flows "$D/flows.json"
sleep 0.5
kill "$SUB_PID" 2>/dev/null || true
SUB_PID=""

# Messages on the channel are the EVE JSON lines themselves.
grep "^{" "$D/subscriber.txt" >"$D/alerts.json" || true
echo
echo "== alerts as the subscriber received them (time, severity, detector, ATT&CK, zones, evidence)"
scripts/vigie-tail --file "$D/alerts.json"
echo
echo "== summary"
echo "alerts in the stream vigie:alerts: $(redis-cli -s "$SOCK" XLEN vigie:alerts)"
echo "-- by detector"
jq -r '.vigie.detector' "$D/alerts.json" | sort | uniq -c | sort -rn
echo "-- by ATT&CK technique"
jq -r '.alert.metadata.mitre_technique_id // [] | .[]' "$D/alerts.json" | sort | uniq -c | sort -rn
echo "-- by zone pair"
jq -r '"\(.vigie.src_zone) -> \(.vigie.dest_zone)"' "$D/alerts.json" | sort | uniq -c | sort -rn | head -10
echo "-- flows by nDPI protocol ($(wc -l <"$D/flows.json") flows)"
jq -r '.ndpi.proto' "$D/flows.json" | sort | uniq -c | sort -rn | head -10
scripts/report --alerts "$D/alerts.json" --flows "$D/flows.json" --out "$D/report.html" \
    --title "vigie demo" >/dev/null
echo "== HTML report: $D/report.html"

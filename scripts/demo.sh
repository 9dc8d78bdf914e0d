#!/usr/bin/env bash
# One command for a newcomer: installs what is missing, builds, starts a
# private redis-server, runs a bundled attack scenario through the sensor
# with its config, and prints the alerts as a SOC subscriber receives them
# from the Redis channel, a summary, and last the incident: the intruder's
# path as the subscriber of vigie:incidents received it. Stops everything.
#
#   scripts/demo.sh [grand-angouleme|angers]
#
# grand-angouleme (default): the shipped config/vigie.yaml and the Grand
# Angouleme 2023 story; angers: config/examples/angers.yaml and the Angers
# 2021 story (scripts/gen-scenario --scenario).
set -euo pipefail
cd "$(dirname "$0")/.."
SCENARIO=${1:-grand-angouleme}
case $SCENARIO in
grand-angouleme) CONFIG=config/vigie.yaml ;;
angers) CONFIG=config/examples/angers.yaml ;;
*) echo "usage: scripts/demo.sh [grand-angouleme|angers]" >&2; exit 2 ;;
esac
./scripts/setup.sh
./scripts/build.sh Release build >/dev/null

D=build/demo
rm -rf "$D" && mkdir -p "$D"
REDIS_PID=""
SUB_PID=""
ISUB_PID=""
cleanup() {
    [ -n "$SUB_PID" ] && kill "$SUB_PID" 2>/dev/null || true
    [ -n "$ISUB_PID" ] && kill "$ISUB_PID" 2>/dev/null || true
    [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null || true
}
trap cleanup EXIT

# A private Redis on a unix socket: nothing else on the machine is touched.
SOCK=$(pwd)/$D/redis.sock
redis-server --port 0 --unixsocket "$SOCK" --unixsocketperm 700 --save '' --appendonly no \
    --dir "$D" --logfile redis.log &
REDIS_PID=$!
for _ in $(seq 50); do redis-cli -s "$SOCK" PING 2>/dev/null | grep -q PONG && break; sleep 0.1; done

# The scenario's config, with the spool kept inside the demo directory.
sed "s|spool_dir: /var/lib/vigie/spool|spool_dir: $(pwd)/$D/spool|" "$CONFIG" >"$D/vigie.yaml"
# The bundled scenario: phishing to ransomware across the networks of a
# municipality, in benign traffic (Grand Angouleme 2023: the agglomeration,
# the city hall and the media library; Angers 2021: the city hall, the
# libraries, the conservatory and the mail server).
/usr/bin/python3 scripts/gen-scenario --scenario "$SCENARIO" --out "$D/scenario.pcap" 2>"$D/steps.txt"
head -1 "$D/steps.txt"

# The SOC side: a subscriber on each live channel, alerts and incidents.
redis-cli -s "$SOCK" --raw SUBSCRIBE vigie:alerts >"$D/subscriber.txt" &
SUB_PID=$!
redis-cli -s "$SOCK" --raw SUBSCRIBE vigie:incidents >"$D/incident-subscriber.txt" &
ISUB_PID=$!
sleep 0.3

echo "== vigie -c $D/vigie.yaml -r $D/scenario.pcap --redis unix://$SOCK --flows $D/flows.json"
./build/vigie -c "$D/vigie.yaml" -r "$D/scenario.pcap" --redis "unix://$SOCK" --flows "$D/flows.json"
sleep 0.5
kill "$SUB_PID" "$ISUB_PID" 2>/dev/null || true
SUB_PID="" ISUB_PID=""

# Messages on the channels are the EVE JSON lines themselves. Incident
# records are taken from either channel (a build may publish them with the
# alerts), each once, in the order received.
grep "^{" "$D/subscriber.txt" | jq -c 'select(.event_type != "incident")' >"$D/alerts.json" || true
{ grep "^{" "$D/incident-subscriber.txt"; grep "^{" "$D/subscriber.txt"; } |
    jq -c 'select(.event_type == "incident")' | awk '!seen[$0]++' >"$D/incidents.json" || true
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
    --title "vigie demo: $SCENARIO" >/dev/null
echo "== HTML report: $D/report.html"

# Last, the incident: each version as vigie-tail renders it, then the
# intruder's path in its last version (jq, when vigie-tail shows nothing).
echo
echo "== incident records as the subscriber received them" \
    "($(wc -l <"$D/incidents.json") records, stream vigie:incidents: $(redis-cli -s "$SOCK" XLEN vigie:incidents))"
if [ ! -s "$D/incidents.json" ]; then
    echo "no incident record: this build has no correlation stage"
    exit 0
fi
scripts/vigie-tail --file "$D/incidents.json" || true
echo
echo "== the intruder's path: the last version of each incident"
jq -s -r 'group_by(.incident.id) | .[] | max_by(.incident.version) | .incident |
    "incident \(.id) v\(.version) \(.state), severity \(.severity), score \(.score)," +
        " \(.alerts) alerts (\(.probes // 0) scan probes)",
    "  origin: \(.origin)",
    "  pivots: \([.hosts[] | select(.role == "pivot") | "\(.ip) (\(.zone))"] | join(", "))",
    "  targets: \([.hosts[] | select(.role == "target") | "\(.ip) (\(.zone))"] | join(", "))",
    "  zones: \(.zones | join(" -> "))",
    "  tactics: \(.tactics | join(", "))",
    "  hops:",
    (.hops[] | "    \(.first_seen[11:19])  \(.src_ip) (\(.src_zone)) -> \(.dest_ip) (\(.dest_zone)): " +
        "\(.techniques | join(" "))")' "$D/incidents.json"

#!/usr/bin/env bash
# One command for a newcomer: installs what is missing, builds, generates a
# small capture of mixed traffic with the project's own generator, runs the
# sensor over it and prints the flow records it produces.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh Release build >/dev/null
mkdir -p build/demo
pcap=build/demo/mixed.pcap
[ -s "$pcap" ] || /usr/bin/python3 scripts/gen-traffic --out "$pcap" --flows 40 --packets 600 --seed 7
echo "== vigie -r $pcap --no-redis --flows -"
./build/vigie -r "$pcap" --no-redis --flows build/demo/flows.json
echo "== flow records (client -> server, nDPI protocol, packets both ways)"
jq -r '"\(.flow.start[11:23])  \(.src_ip):\(.src_port // "-") -> \(.dest_ip):\(.dest_port // "-")  \(.proto)  \(.ndpi.proto) [\(.ndpi.category)]  \(.flow.pkts_toserver)/\(.flow.pkts_toclient) pkts  \(.src_zone) -> \(.dest_zone)"' build/demo/flows.json
echo "== $(wc -l <build/demo/flows.json) flows; protocols:"
jq -r '.ndpi.proto' build/demo/flows.json | sort | uniq -c | sort -rn

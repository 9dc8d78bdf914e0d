#!/usr/bin/env bash
# -u USER: once the capture is open the process runs as USER, and still
# writes its outputs (opened before the drop).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1; then
    echo "privdrop: skipped (needs root and user nobody)"; exit 0
fi
/usr/bin/python3 "$ROOT/scripts/gen-traffic" --out "$T/mix.pcap" --flows 50 --packets 400 --seed 2 --duration 10 2>/dev/null
chmod 700 "$T"
"$VIGIE" -r "$T/mix.pcap" --replay=4 --no-redis --flows "$T/flows.json" -u nobody -q 2>"$T/err" &
V=$!
sleep 1
uid=$(awk '/^Uid:/ {print $2}' /proc/$V/status 2>/dev/null)
wait $V; rc=$?
check "running as nobody after the capture is open (uid $uid)" test "$uid" = "$(id -u nobody)"
check "exit 0" test $rc -eq 0
check "flow records written through the descriptor opened before the drop" test -s "$T/flows.json"
"$VIGIE" -r "$T/mix.pcap" --no-redis -u no-such-user-here -q 2>"$T/err2"; rc=$?
check "unknown user: a usage error, exit 2" test $rc -eq 2
check "unknown user message" grep -q "no such user" "$T/err2"
finish privdrop

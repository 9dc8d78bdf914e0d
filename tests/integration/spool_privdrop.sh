#!/usr/bin/env bash
# The appliance as installed: started as root with -u nobody and a spool
# directory root created. Run after run, every alert reaches the stream
# (stream length = the alert files' lines), the spool belongs to nobody and
# stays compact once delivered, and each run says what it delivered.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/redis_helpers.sh"
if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1; then
    echo "spool_privdrop: skipped (needs root and user nobody)"; echo "0 passed, 0 failed"; exit 0
fi
trap 'redis_stop; rm -rf "$T"' EXIT
chmod 755 "$T"
redis_start "$T/redis" || exit 1
/usr/bin/python3 "$ROOT/scripts/gen-scenario" --out "$T/s.pcap" 2>/dev/null
sed -e "s|^\(    url:\).*|\1 \"$REDIS_URL/0\"|" -e "s|^\(    spool_dir:\).*|\1 $T/state/spool|" \
    "$ROOT/config/vigie.yaml" >"$T/vigie.yaml"
chmod 644 "$T/vigie.yaml"
total=0
for run in 1 2 3; do
    "$VIGIE" -c "$T/vigie.yaml" -r "$T/s.pcap" -u nobody -q -A "$T/a$run.json" 2>"$T/err$run"
    rc=$?
    n=$(grep -c '"event_type":"alert"' "$T/a$run.json") # incident records go to vigie:incidents
    total=$((total + n))
    check "run $run as nobody: exit 0 ($rc)" test $rc -eq 0
    check "run $run: stream holds every alert so far ($total)" redis_wait_xlen vigie:alerts "$total" 10
    check "run $run: the summary says all $n were delivered" \
        grep -q "redis: $n alerts delivered, 0 waiting in the spool, 0 lost" "$T/err$run"
    check "run $run: no spool error reported" sh -c "! grep -q 'cannot compact' '$T/err$run'"
done
check "stream length equals the alert files' lines" test "$(redis_cli XLEN vigie:alerts)" -eq "$total"
spool=$(ls "$T"/state/spool/*.spool)
check "the spool belongs to nobody" test "$(stat -c %U "$spool")" = nobody
check "the spool directory belongs to nobody" test "$(stat -c %U "$T/state/spool")" = nobody
check "the spool is compact once delivered ($(stat -c %s "$spool") bytes)" test "$(stat -c %s "$spool")" -lt 8192
finish spool_privdrop

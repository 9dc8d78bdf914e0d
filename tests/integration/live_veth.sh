#!/usr/bin/env bash
# Live capture over a veth pair: vigie captures one end (inside a private
# network namespace) while tcpreplay sends a capture into the other end; the
# flow records (5-tuple, vlan, nDPI protocol, packets and bytes both ways) must
# equal those of the offline run (-r) on the same capture, and the kernel must
# drop nothing.
#
#   tests/integration/live_veth.sh
#
# Needs root, `ip netns` and tcpreplay; skips (exit 0) without them. The
# capture is scripts/gen-traffic's when that generator works, else the mixed
# HTTP + DNS + ICMP capture of tests/pcap/gen_cases.py. Frames are injected on
# a veth end with no address: they reach only its peer, nothing is routed.
# VIGIE=/path/to/vigie overrides build/vigie; LIVE_SPEED (default 10) is the
# tcpreplay multiplier; LIVE_FLOWS (default 300) the gen-traffic flow count;
# LIVE_PCAP=FILE replays that capture instead.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VIGIE=${VIGIE:-$ROOT/build/vigie}
SPEED=${LIVE_SPEED:-10}
PY=/usr/bin/python3

NAME=live_veth BIN="$VIGIE" PREFIX=t
. "$ROOT/tests/integration/veth_lib.sh"

# the capture to replay
cap=$tmp/live.pcap src=
if [ -n "${LIVE_PCAP:-}" ]; then
    cp "$LIVE_PCAP" "$cap" || exit 1; src=$LIVE_PCAP
elif [ -x "$ROOT/scripts/gen-traffic" ] &&
    "$ROOT/scripts/gen-traffic" --out "$cap" --flows "${LIVE_FLOWS:-300}" --duration 5 >/dev/null 2>&1 &&
    [ -s "$cap" ]; then
    src="scripts/gen-traffic --flows ${LIVE_FLOWS:-300} --duration 5"
elif "$PY" "$ROOT/tests/pcap/gen_cases.py" "$tmp/cases" && cp "$tmp/cases/mixed.pcap" "$cap"; then
    src="gen_cases.py mixed.pcap"
else
    echo "live_veth: cannot generate a capture"; exit 1
fi
echo "live_veth: replaying $src at ${SPEED}x over $TX -> $RX (namespace $NS)"

# offline reference
"$VIGIE" -r "$cap" --no-redis --flows "$tmp/offline.json" -q 2>"$tmp/offline.err" ||
    { echo "live_veth: offline run failed:"; cat "$tmp/offline.err"; exit 1; }

# live run, inside the namespace
# LIVE_WORKERS=N: --workers N (more than one: a fanout handle per worker)
ip netns exec "$NS" "$VIGIE" -i "$RX" ${LIVE_WORKERS:+--workers "$LIVE_WORKERS"} --no-redis \
    --flows "$tmp/live.json" -q 2>"$tmp/live.err" &
bg_pid=$!
# ready once its packet socket exists in the namespace (the file lists them)
for _ in $(seq 100); do
    kill -0 "$bg_pid" 2>/dev/null || break
    [ "$(ip netns exec "$NS" cat /proc/net/packet | wc -l)" -gt "${LIVE_WORKERS:-1}" ] && break
    sleep 0.1
done
if ! kill -0 "$bg_pid" 2>/dev/null; then
    wait "$bg_pid"; rc=$?; bg_pid=
    echo "live_veth: FAIL: vigie -i $RX exited ($rc) before the replay:"; cat "$tmp/live.err"; exit 1
fi
sleep 0.5  # let the filter attach and the capture loop start

tcpreplay -i "$TX" --multiplier="$SPEED" "$cap" >"$tmp/tcpreplay.out" 2>&1 ||
    { echo "live_veth: tcpreplay failed:"; cat "$tmp/tcpreplay.out"; exit 1; }
sent=$(grep -Eo 'Successful packets: *[0-9]+' "$tmp/tcpreplay.out" | grep -Eo '[0-9]+$')
sleep 1

kill -TERM "$bg_pid"
for _ in $(seq 100); do kill -0 "$bg_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$bg_pid" 2>/dev/null; then
    echo "live_veth: FAIL: vigie still running 10 s after SIGTERM"; kill -KILL "$bg_pid"; exit 1
fi
wait "$bg_pid"; rc=$?; bg_pid=

failed=0
fail() { echo "live_veth: FAIL: $*"; failed=1; }
[ $rc -eq 0 ] || { fail "vigie exited $rc after SIGTERM"; cat "$tmp/live.err"; }

summary=$(grep -Ei 'drop' "$tmp/live.err" | tail -1)
drops=$(grep -Eoi '[0-9]+ drops|drops[=: ]+[0-9]+' <<<"$summary" | grep -Eo '[0-9]+' | head -1)
if [ -z "$drops" ]; then fail "no drop count in vigie's end summary:"; cat "$tmp/live.err"
elif [ "$drops" -ne 0 ]; then fail "$drops drops: $summary"; fi

FIELDS='{src_ip, src_port, dest_ip, dest_port, proto, vlan, ndpi: .ndpi.proto,
         pkts_toserver: .flow.pkts_toserver, pkts_toclient: .flow.pkts_toclient,
         bytes_toserver: .flow.bytes_toserver, bytes_toclient: .flow.bytes_toclient}
        | with_entries(select(.value != null))'
jq -c "$FIELDS" "$tmp/offline.json" | LC_ALL=C sort >"$tmp/offline.txt"
jq -c "$FIELDS" "$tmp/live.json" | LC_ALL=C sort >"$tmp/live.txt"
if ! diff -u "$tmp/offline.txt" "$tmp/live.txt" >"$tmp/diff"; then
    fail "live flows differ from the offline run (- offline, + live):"; head -40 "$tmp/diff"
fi

echo "live_veth: sent ${sent:-?} packets, flows offline $(wc -l <"$tmp/offline.txt"), live $(wc -l <"$tmp/live.txt"), drops ${drops:-?}"
echo "live_veth: end summary: ${summary#vigie: }"
[ $failed -eq 0 ] && echo "live_veth: ok"
exit $failed

#!/usr/bin/env bash
# End-to-end Redis output of the real binary against a real redis-server
# started here on a free loopback port (and a unix socket):
#  - the stream and a SUBSCRIBE-d client both get every alert the alerts
#    file gets;
#  - Redis down during one run and up for the next: the stream ends with
#    exactly the alerts of both runs (spool, exactly once, in order);
#  - kill -9 of redis in the middle of a paced replay, restarted with AOF:
#    every alert arrives once, in order;
#  - requirepass, an ACL user, a unix socket.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VIGIE=${VIGIE:-$ROOT/build/vigie}
command -v redis-server >/dev/null || { echo "redis_e2e: skipped (no redis-server)"; exit 0; }
T=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
passed=0 failed=0
check() { # check NAME CONDITION-COMMAND...
    local name=$1; shift
    if "$@"; then passed=$((passed + 1)); echo "ok   $name"
    else failed=$((failed + 1)); echo "FAIL $name"; fi
}
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_redis() { # start_redis PORT DIR [extra args]
    local port=$1 dir=$2; shift 2
    mkdir -p "$dir"
    redis-server --port "$port" --bind 127.0.0.1 --save '' --dir "$dir" --daemonize no "$@" \
        >"$dir/log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 50); do redis-cli -p "$port" "${AUTH[@]}" PING 2>/dev/null | grep -q PONG && return 0; sleep 0.1; done
    echo "redis did not start"; cat "$dir/log"; return 1
}
AUTH=()
rcli() { redis-cli -p "$PORT" "${AUTH[@]}" "$@" 2>/dev/null; }

# A capture whose flows cross zones: clients 10.20/16, servers elsewhere.
PCAP=$T/mix.pcap
/usr/bin/python3 "$ROOT/scripts/gen-traffic" --out "$PCAP" --flows 300 --packets 3000 --seed 3 2>/dev/null
config() { # config URL SPOOLDIR
    cat >"$T/vigie.yaml" <<YAML
sensor: {name: e2e}
zones:
  - {name: users, cidrs: [10.20.0.0/16], site: Mairie}
  - {name: servers, cidrs: [10.10.0.0/16, 172.16.0.0/12], site: Agglo, criticality: high}
policy: {default: deny}
detect: {dedup_window: 0}   # every alert sent: many to count
outputs:
  redis: {url: "$1", prefix: vigie, maxlen: 100000, spool_dir: "$2"}
YAML
}

PORT=$(free_port)
start_redis "$PORT" "$T/r1" --appendonly no || exit 1
config "redis://127.0.0.1:$PORT/0" "$T/spool"

# 1. stream == alerts file == subscriber.
redis-cli -p "$PORT" SUBSCRIBE vigie:alerts >"$T/sub.txt" 2>/dev/null &
SUB=$!; PIDS+=($SUB); sleep 0.3
"$VIGIE" -c "$T/vigie.yaml" -r "$PCAP" -A "$T/a1.json" -q 2>"$T/err1"
n1=$(wc -l <"$T/a1.json"); sleep 0.5; kill "$SUB" 2>/dev/null
check "alerts produced ($n1)" test "$n1" -gt 10
check "stream length = alerts file" test "$(rcli XLEN vigie:alerts)" -eq "$n1"
# The file holds incident records too (docs/incidents.md): count alerts only.
check "subscriber got every alert" \
    test "$(grep -c '"event_type":"alert"' "$T/sub.txt")" -eq "$(grep -c '"event_type":"alert"' "$T/a1.json")"
check "stats hash written" test "$(rcli HGET vigie:stats:e2e packets)" -gt 0
rcli XRANGE vigie:alerts - + | grep '"event_type"' >"$T/stream1.txt"
check "stream entries equal the file, in order" cmp -s "$T/stream1.txt" "$T/a1.json"

# 2. Redis down during one run, up for the next.
rcli DEL vigie:alerts >/dev/null
kill -9 "${PIDS[0]}"; sleep 0.2
"$VIGIE" -c "$T/vigie.yaml" -r "$PCAP" -A "$T/a2.json" -q 2>"$T/down.err"
check "outage: the run says its alerts wait in the spool" \
    grep -q "0 alerts delivered, $(wc -l <"$T/a2.json") waiting in the spool" "$T/down.err"
start_redis "$PORT" "$T/r2" --appendonly no || exit 1
"$VIGIE" -c "$T/vigie.yaml" -r "$PCAP" -A "$T/a3.json" -q 2>/dev/null
sleep 0.3
check "outage: stream holds both runs exactly once" test "$(rcli XLEN vigie:alerts)" -eq $(( $(wc -l <"$T/a2.json") + $(wc -l <"$T/a3.json") ))
rcli XRANGE vigie:alerts - + | grep '"event_type"' >"$T/stream2.txt"
check "outage: in order" cmp -s "$T/stream2.txt" <(cat "$T/a2.json" "$T/a3.json")

# 3. kill -9 in the middle of a paced replay, restart with AOF on the same port.
rcli SHUTDOWN NOSAVE >/dev/null; sleep 0.3
start_redis "$PORT" "$T/r3" --appendonly yes --appendfsync always || exit 1
"$VIGIE" -c "$T/vigie.yaml" -r "$PCAP" --replay=20 -A "$T/a4.json" -q 2>/dev/null &
V=$!
sleep 1.2
kill -9 "${PIDS[-1]}"; sleep 0.8
start_redis "$PORT" "$T/r3" --appendonly yes --appendfsync always || exit 1
wait $V
sleep 1
rcli XRANGE vigie:alerts - + | grep '"event_type"' >"$T/stream4.txt"
check "kill -9 mid-replay: every alert once, in order" cmp -s "$T/stream4.txt" "$T/a4.json"

# 4. requirepass, ACL user, unix socket.
rcli SHUTDOWN NOSAVE >/dev/null; sleep 0.3
AUTH=(-a s3cret --no-auth-warning)
start_redis "$PORT" "$T/r5" --appendonly no --requirepass s3cret || exit 1
config "redis://:s3cret@127.0.0.1:$PORT/0" "$T/spool5"
"$VIGIE" -c "$T/vigie.yaml" -r "$PCAP" -A "$T/a5.json" -q 2>/dev/null
check "requirepass" test "$(rcli XLEN vigie:alerts)" -eq "$(wc -l <"$T/a5.json")"
rcli ACL SETUSER sensor on '>pw2' '~vigie:*' '&*' '+@all' >/dev/null
rcli DEL vigie:alerts >/dev/null
config "redis://sensor:pw2@127.0.0.1:$PORT/0" "$T/spool6"
"$VIGIE" -c "$T/vigie.yaml" -r "$PCAP" -A "$T/a6.json" -q 2>/dev/null
check "ACL user" test "$(rcli XLEN vigie:alerts)" -eq "$(wc -l <"$T/a6.json")"
config "redis://sensor:wrong@127.0.0.1:$PORT/0" "$T/spool8"
"$VIGIE" -c "$T/vigie.yaml" -r "$PCAP" -q 2>"$T/err8"
check "wrong password: clear error, no crash" grep -qi "auth\|WRONGPASS\|password" "$T/err8"

# 5. unix socket without auth.
rcli SHUTDOWN NOSAVE >/dev/null; sleep 0.3; AUTH=()
start_redis "$PORT" "$T/r9" --appendonly no --unixsocket "$T/redis9.sock" --unixsocketperm 700 || exit 1
config "unix://$T/redis9.sock" "$T/spool9"
"$VIGIE" -c "$T/vigie.yaml" -r "$PCAP" -A "$T/a9.json" -q 2>/dev/null
check "unix socket" test "$(rcli XLEN vigie:alerts)" -eq "$(wc -l <"$T/a9.json")"

echo "redis_e2e: $passed passed, $failed failed"
[ $failed -eq 0 ]

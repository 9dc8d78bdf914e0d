#!/usr/bin/env bash
# The Redis output's modes (outputs.redis.mode), consumed as the SOC's tools
# consume them, with the bundled scenario and the shipped config against a
# real redis-server started here:
#  - list: as Logstash's redis input (data_type list): BLPOP until empty;
#    every element one JSON object; alerts and incidents equal the -A file's,
#    in order; flows and stats events in their lists; LTRIM bounds a list;
#  - stream with stream_field eve: as a Suricata-stream consumer, XREAD
#    reading the field "eve"; the channels carry the same records;
#  - channel: a subscriber gets the file, in order; nothing is stored;
#  - key: one key for every event type (list and stream);
#  - the stats hash: timestamp, uptime, health, final counters equal to the
#    run's summary; the heartbeat key has a TTL; the EVE stats event;
#  - health: degraded when the spool cannot be compacted (visible in the
#    hash and the stats event, logged once), ok again once it can; spool
#    cap reached with Redis away: said loudly, drops counted.
# Consumers are a few lines of RESP over a socket (no client library).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VIGIE=${VIGIE:-$ROOT/build/vigie}
PY=/usr/bin/python3
command -v redis-server >/dev/null || { echo "redis_modes: skipped (no redis-server)"; exit 0; }
# shellcheck source=redis_helpers.sh
. "$ROOT/tests/integration/redis_helpers.sh"
T=$(mktemp -d)
cleanup() { redis_stop; rm -rf "$T"; }
trap cleanup EXIT
passed=0 failed=0
check() { # check NAME CONDITION-COMMAND...
    local name=$1; shift
    if "$@"; then passed=$((passed + 1)); echo "ok   $name"
    else failed=$((failed + 1)); echo "FAIL $name"; fi
}

cat >"$T/consume.py" <<'PY'
"""Minimal RESP consumers: list (BLPOP loop, as Logstash's redis input),
stream (XREAD, as a Suricata-stream consumer), subscribe (a channel
listener). Each prints one JSON record a line; exit 1 on a malformed one."""
import json, socket, sys

class Conn:
    def __init__(self, port, timeout=5):
        self.s = socket.create_connection(("127.0.0.1", int(port)), timeout=timeout)
        self.f = self.s.makefile("rb")
    def send(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)
    def reply(self):
        line = self.f.readline()
        if not line:
            raise EOFError
        t, rest = line[:1], line[1:-2]
        if t in (b"+", b"-"):
            if t == b"-":
                raise RuntimeError(rest.decode())
            return rest.decode()
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)[:-2]
            return data.decode()
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise RuntimeError("bad reply %r" % line)
    def call(self, *args):
        self.send(*args)
        return self.reply()

def emit(js):
    obj = json.loads(js)
    if not isinstance(obj, dict) or "event_type" not in obj:
        sys.exit("not an EVE object: %r" % js[:80])
    print(json.dumps(obj, separators=(",", ":"), ensure_ascii=False))

def main():
    mode, port = sys.argv[1], sys.argv[2]
    c = Conn(port)
    if mode == "list":  # list KEY
        while True:
            r = c.call("BLPOP", sys.argv[3], "1")
            if r is None:
                return
            emit(r[1])
    elif mode == "stream":  # stream KEY FIELD
        key, field, last = sys.argv[3], sys.argv[4], "0-0"
        while True:
            r = c.call("XREAD", "COUNT", "100", "STREAMS", key, last)
            if r is None:
                return
            for eid, fields in r[0][1]:
                if len(fields) != 2 or fields[0] != field:
                    sys.exit("entry %s: fields %r, expected one %r" % (eid, fields[::2], field))
                emit(fields[1])
                last = eid
    elif mode == "subscribe":  # subscribe READY-FILE CHANNEL...
        chans = sys.argv[4:]
        c.send("SUBSCRIBE", *chans)
        for _ in chans:
            c.reply()
        open(sys.argv[3], "w").close()
        c.s.settimeout(20)
        got = 0
        while True:
            try:
                kind, _, data = c.reply()
            except (socket.timeout, EOFError):
                return
            if kind == "message":
                emit(data)
                got += 1
                c.s.settimeout(2)

main()
PY
consume() { $PY "$T/consume.py" "$1" "$REDIS_PORT" "${@:2}"; }
# subscribe OUT CHANNEL...: a listener in the background, ready on return.
subscribe() {
    local out=$1; shift
    rm -f "$T/ready"
    consume subscribe "$T/ready" "$@" >"$out" &
    SUB=$!
    for _ in $(seq 100); do [ -e "$T/ready" ] && return 0; sleep 0.05; done
    echo "subscriber not ready" >&2
}
# normalise: every line re-encoded the same way, so files and Redis compare.
norm() { $PY -c '
import json, sys
for l in sys.stdin:
    if l.strip(): print(json.dumps(json.loads(l), separators=(",", ":"), ensure_ascii=False))'; }
kind() { $PY -c '
import json, sys
want = set(sys.argv[1].split(","))
for l in sys.stdin:
    if json.loads(l).get("event_type") in want: sys.stdout.write(l)' "$1"; }
jget() { $PY -c 'import json, sys; o = json.loads(sys.stdin.readline())
for k in sys.argv[1].split("."): o = o[k]
print(o)' "$1"; }

redis_start "$T/redis" || exit 1
SCEN=$T/scenario.pcap
$PY "$ROOT/scripts/gen-scenario" --out "$SCEN" >/dev/null 2>&1 || { echo "gen-scenario failed"; exit 1; }
SENSOR=$(sed -n 's/^  name: *//p' "$ROOT/config/vigie.yaml" | head -1 | tr -d '"')
[ -n "$SENSOR" ] || SENSOR=vigie
# config NAME [KEY: VALUE...]: the shipped config, this Redis, its own spool,
# flows on, plus the given outputs.redis keys.
config() {
    local name=$1 kv; shift
    sed -e "s|^\(    url:\).*|\1 \"$REDIS_URL/0\"|" -e "s|^\(    flows:\).*|\1 true|" \
        -e "s|^\(    spool_dir:\).*|\1 $T/spool-$name|" "$ROOT/config/vigie.yaml" >"$T/$name.yaml"
    for kv in "$@"; do
        if grep -q "^    ${kv%%:*}:" "$T/$name.yaml"; then
            sed -i "s|^    ${kv%%:*}:.*|    $kv|" "$T/$name.yaml"
        else
            sed -i "s|^\(    spool_dir:.*\)|\1\n    $kv|" "$T/$name.yaml"
        fi
    done
}
# run NAME VIGIE-ARGS...: -c NAME.yaml -A NAME.json, stderr to NAME.err.
run() {
    local name=$1; shift
    "$VIGIE" -c "$T/$name.yaml" -r "$SCEN" -A "$T/$name.json" "$@" 2>"$T/$name.err"
    echo $? >"$T/$name.rc"
    # A sanitizer build (VIGIE=build-asan/vigie) reports here too; the run
    # with Redis away may have its own status.
    [ "$name" = full ] || check "$name: the run exits 0" test "$(cat "$T/$name.rc")" = 0
    norm <"$T/$name.json" >"$T/$name.file"
    kind alert,incident <"$T/$name.file" >"$T/$name.records"
    kind alert <"$T/$name.file" >"$T/$name.alerts"
    kind incident <"$T/$name.file" >"$T/$name.incidents"
}
summary_flows() { sed -n 's/^vigie: [0-9]* packets, \([0-9]*\) flows.*/\1/p' "$T/$1.err"; }
summary_alerts() { sed -n 's/^vigie: [0-9]* packets, [0-9]* flows, \([0-9]*\) alerts.*/\1/p' "$T/$1.err"; }
summary_packets() { sed -n 's/^vigie: \([0-9]*\) packets, .*/\1/p' "$T/$1.err"; }
summary_sent() { sed -n 's/^vigie: redis: \([0-9]*\) alerts delivered.*/\1/p' "$T/$1.err"; }
hget() { redis_cli HGET "vigie:stats:$SENSOR" "$1"; }

# 1. list mode, a key per kind, consumed as Logstash does.
redis_cli FLUSHALL >/dev/null
config list "mode: list"
run list
NA=$(wc -l <"$T/list.alerts")
check "list: the run makes alerts ($NA)" test "$NA" -gt 10
check "list: vigie:alerts is a list" test "$(redis_cli TYPE vigie:alerts)" = list
consume list vigie:alerts >"$T/list.got.alerts"
check "list: BLPOP of vigie:alerts = the file's alerts, in order" cmp -s "$T/list.got.alerts" "$T/list.alerts"
consume list vigie:incidents >"$T/list.got.incidents"
check "list: BLPOP of vigie:incidents = the file's incidents ($(wc -l <"$T/list.incidents")), in order" \
    cmp -s "$T/list.got.incidents" "$T/list.incidents"
consume list vigie:flows >"$T/list.got.flows"
check "list: vigie:flows holds every flow ($(summary_flows list))" \
    test "$(kind flow <"$T/list.got.flows" | wc -l)" -eq "$(summary_flows list)"
consume list vigie:stats >"$T/list.got.stats"
check "list: one EVE stats event at the end of a run" test "$(kind stats <"$T/list.got.stats" | wc -l)" -eq 1
check "list: the stats event counts the run's alerts" \
    test "$(tail -1 "$T/list.got.stats" | jget stats.detect.alert)" = "$(summary_alerts list)"
check "list: the stats event's decoder.pkts = the summary's packets" \
    test "$(tail -1 "$T/list.got.stats" | jget stats.decoder.pkts)" = "$(summary_packets list)"
check "list: the stats event says vigie.redis_health ok" \
    test "$(tail -1 "$T/list.got.stats" | jget vigie.redis_health)" = ok
check "list: consumed lists are gone" test "$(redis_cli EXISTS vigie:alerts vigie:flows)" = 0

# The stats hash and the heartbeat of that run.
check "hash: timestamp is ISO 8601 UTC" \
    grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}\+0000$' <<<"$(hget timestamp)"
check "hash: uptime in seconds" grep -Eq '^[0-9]+$' <<<"$(hget uptime)"
check "hash: alerts = the summary's ($(summary_alerts list))" test "$(hget alerts)" = "$(summary_alerts list)"
check "hash: redis_sent = the summary's delivered ($(summary_sent list))" \
    test "$(hget redis_sent)" = "$(summary_sent list)" -a "$(hget redis_sent)" = "$NA"
check "hash: packets and flows = the summary's" \
    test "$(hget packets)" = "$(summary_packets list)" -a "$(hget flows)" = "$(summary_flows list)"
check "hash: redis_health ok" test "$(hget redis_health)" = ok
TTL=$(redis_cli TTL "vigie:heartbeat:$SENSOR")
check "heartbeat: vigie:heartbeat:$SENSOR expires (TTL $TTL, at most 30 s)" test "$TTL" -gt 0 -a "$TTL" -le 30

# LTRIM: a list never holds more than maxlen.
redis_cli FLUSHALL >/dev/null
config trim "mode: list" "maxlen: 100"
run trim
check "list: maxlen 100 bounds vigie:flows (LTRIM): $(redis_cli LLEN vigie:flows)" \
    test "$(redis_cli LLEN vigie:flows)" -eq 100
"$VIGIE" -c "$T/trim.yaml" -r "$SCEN" --no-redis -q --flows "$T/trim.flows" 2>/dev/null
check "list: the trimmed list holds the newest flows, in order" \
    cmp -s <(consume list vigie:flows) <(tail -100 "$T/trim.flows" | norm)

# 2. stream mode, field eve, as a Suricata-stream consumer; and the channels.
redis_cli FLUSHALL >/dev/null
config stream "mode: stream" "stream_field: eve"
subscribe "$T/stream.sub" vigie:alerts vigie:incidents
run stream
wait "$SUB"
consume stream vigie:alerts eve >"$T/stream.got.alerts"
check "stream: XREAD field eve of vigie:alerts = the file's alerts, in order" \
    cmp -s "$T/stream.got.alerts" "$T/stream.alerts"
consume stream vigie:incidents eve >"$T/stream.got.incidents"
check "stream: XREAD field eve of vigie:incidents = the file's incidents" \
    cmp -s "$T/stream.got.incidents" "$T/stream.incidents"
check "stream: flows under field eve too ($(summary_flows stream))" \
    test "$(consume stream vigie:flows eve | kind flow | wc -l)" -eq "$(summary_flows stream)"
check "stream: a stats event in vigie:stats under field eve" \
    test "$(consume stream vigie:stats eve | kind stats | wc -l)" -eq 1
check "stream: the channels carry the same records, in order" cmp -s "$T/stream.sub" "$T/stream.records"
check "stream: the default field stays alert" \
    bash -c "redis-cli -p $REDIS_PORT DEL vigie:alerts >/dev/null; sed '/stream_field/d' '$T/stream.yaml' >'$T/stream0.yaml'
        '$VIGIE' -c '$T/stream0.yaml' -r '$SCEN' -q 2>/dev/null
        redis-cli -p $REDIS_PORT XRANGE vigie:alerts - + COUNT 1 | sed -n 2p | grep -qx alert"

# 3. channel mode: live only.
redis_cli FLUSHALL >/dev/null
config channel "mode: channel"
subscribe "$T/channel.sub" vigie:alerts vigie:incidents vigie:flows
run channel
wait "$SUB"
check "channel: a subscriber got the file's alerts and incidents, in order" \
    cmp -s <(kind alert,incident <"$T/channel.sub") "$T/channel.records"
check "channel: and every flow" test "$(kind flow <"$T/channel.sub" | wc -l)" -eq "$(summary_flows channel)"
check "channel: no alert, flow or stats key is stored" \
    test "$(redis_cli EXISTS vigie:alerts vigie:incidents vigie:flows vigie:stats)" = 0
check "channel: the stats hash still is" test "$(hget redis_sent)" = "$(summary_sent channel)"

# 4. One key for every event type (Suricata's key: suricata).
redis_cli FLUSHALL >/dev/null
config onelist "mode: list" "key: suricata"
run onelist
consume list suricata >"$T/onelist.got"
check "key, list: alerts and incidents in the one key = the file's, in order" \
    cmp -s <(kind alert,incident <"$T/onelist.got") "$T/onelist.records"
check "key, list: flows and the stats event in it too" \
    test "$(kind flow <"$T/onelist.got" | wc -l)" -eq "$(summary_flows onelist)" \
    -a "$(kind stats <"$T/onelist.got" | wc -l)" -eq 1
check "key, list: no per-kind key" test "$(redis_cli EXISTS vigie:alerts vigie:flows vigie:stats)" = 0
redis_cli FLUSHALL >/dev/null
config onestream "mode: stream" "key: suricata" "stream_field: eve"
run onestream
consume stream suricata eve >"$T/onestream.got"
check "key, stream: XREAD field eve of suricata: alerts and incidents = the file's, in order" \
    cmp -s <(kind alert,incident <"$T/onestream.got") "$T/onestream.records"
types() { $PY -c 'import json, sys; print(",".join(sorted({json.loads(l)["event_type"] for l in sys.stdin})))'; }
WANT=alert,flow,stats
[ -s "$T/onestream.incidents" ] && WANT=alert,flow,incident,stats
check "key, stream: every event type in it ($WANT)" test "$(types <"$T/onestream.got")" = "$WANT"

# 5. With --stats-interval the heartbeat lives three intervals.
redis_cli FLUSHALL >/dev/null
config hb "mode: stream"
run hb --stats-interval 20
TTL=$(redis_cli TTL "vigie:heartbeat:$SENSOR")
check "heartbeat: --stats-interval 20 gives a TTL above 30, at most 60 ($TTL)" test "$TTL" -gt 30 -a "$TTL" -le 60

# 6. Health: a spool that cannot be compacted (its temporary file's name
# taken by a directory, which even root cannot open for writing).
redis_cli FLUSHALL >/dev/null
config deg "mode: list"
mkdir -p "$T/spool-deg/$SENSOR.spool.tmp"
run deg
check "health: the run delivers everything anyway" test "$(hget redis_sent)" = "$(wc -l <"$T/deg.alerts")"
check "health: logged once: redis: degraded: spool cannot be compacted" \
    test "$(grep -c '^vigie: redis: degraded: spool cannot be compacted$' "$T/deg.err")" -eq 1
check "health: the hash says degraded, with its reason" \
    test "$(hget redis_health)" = degraded -a "$(hget redis_health_reason)" = "spool cannot be compacted"
check "health: the failures are counted (redis_spool_errors $(hget redis_spool_errors))" \
    test "$(hget redis_spool_errors)" -gt 0
check "health: the stats event says degraded" \
    test "$(consume list vigie:stats | tail -1 | jget vigie.redis_health)" = degraded
# ok again once the directory goes, during a paced replay.
redis_cli FLUSHALL >/dev/null
"$VIGIE" -c "$T/deg.yaml" -r "$SCEN" --replay=120 --stats-interval 1 -q -A "$T/deg2.json" 2>"$T/deg2.err" &
V=$!
for _ in $(seq 100); do grep -q '^vigie: redis: degraded' "$T/deg2.err" && break; sleep 0.05; done
rmdir "$T/spool-deg/$SENSOR.spool.tmp"
wait $V
check "health: logged: degraded, then redis: ok again" \
    test "$(grep -E '^vigie: redis: (degraded|ok again)' "$T/deg2.err" | cut -c15-22 | tr '\n' ' ')" = "degraded ok again "
check "health: the final hash says ok" test "$(hget redis_health)" = ok

# 7. The spool cap reached while Redis is away: loud, and the drops counted.
config full "mode: list" "spool_max_bytes: 8192"
sed -i "s|^\(    url:\).*|\1 \"redis://127.0.0.1:$(redis_free_port)/0\"|" "$T/full.yaml"
run full
LOST=$(sed -n 's/^vigie: redis: 0 alerts delivered, [0-9]* waiting in the spool, \([0-9]*\) lost.*/\1/p' "$T/full.err")
check "full: the run says how many alerts were lost (${LOST:-none})" test "${LOST:-0}" -gt 0
check "full: the spool says it is full" grep -q "spool .* is full (8192 bytes)" "$T/full.err"
check "full: redis: degraded: spool full, records dropped" \
    grep -qx 'vigie: redis: degraded: spool full, records dropped' "$T/full.err"
check "full: the spool stays under its cap" test "$(stat -c %s "$T/spool-full/$SENSOR.spool")" -le 8192

echo "redis_modes: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# Redis output benchmark (SPEC section 8): starts a private redis-server
# (127.0.0.1, free port, no persistence) and runs tests/bench/bench_redis.c
# against it: delivered alerts/s over SECONDS (default 3; target >= 50,000)
# and the latency of output_redis_alert() while redis-server is SIGSTOPped.
#   scripts/bench-redis.sh [SECONDS]
# Uses build/bench_redis if CMake built it, else compiles the few sources it
# needs. Exit status 0 if the target is met and nothing was lost.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/integration/redis_helpers.sh

work=$(mktemp -d /tmp/vigie-bench-redis.XXXXXX)
trap 'redis_stop; rm -rf "$work"' EXIT INT TERM

bench=build/bench_redis
if [ ! -x "$bench" ]; then
    bench=$work/bench_redis
    cc -std=c11 -O2 -D_GNU_SOURCE -Wall -Wextra -Isensor -o "$bench" tests/bench/bench_redis.c \
        sensor/output/output_redis.c sensor/output/output_redis_conn.c sensor/output/output_redis_cmd.c sensor/output/spool.c sensor/output/redis_url.c \
        $(pkg-config --cflags --libs hiredis) -lpthread
fi

redis_start "$work/redis"
echo "redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') on 127.0.0.1:$REDIS_PORT," \
    "$(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg)"
"$bench" "$REDIS_URL" "$REDIS_PID" "${1:-3}" "$work/spool"

# The sensor itself: capture rate with Redis up, then with redis-server
# SIGSTOPped (alerts go to the spool): the capture must not slow down.
[ -x build/vigie ] || ./scripts/build.sh Release build >/dev/null
pcap=$work/mix.pcap
/usr/bin/python3 scripts/gen-traffic --out "$pcap" --flows 50000 --packets 500000 --seed 9 2>/dev/null
cat >"$work/vigie.yaml" <<YAML
sensor: {name: bench}
zones:
  - {name: users, cidrs: [10.20.0.0/16]}
  - {name: servers, cidrs: [10.10.0.0/16, 172.16.0.0/12]}
policy: {default: deny}
detect: {dedup_window: 0}
outputs: {redis: {url: "$REDIS_URL", spool_dir: "$work/spool-vigie"}}
YAML
rate() { # rate LABEL
    local out
    out=$(./build/vigie -c "$work/vigie.yaml" -r "$pcap" -q 2>&1 | grep -o '[0-9]* alerts.*packets/s')
    echo "  $1: $(grep -o '[0-9]* alerts' <<<"$out"), $(grep -o '[0-9]* packets/s' <<<"$out")"
}
echo "sensor capture rate, $(cut -d' ' -f1 "$pcap.count") packets:"
rate "redis up     "
kill -STOP "$REDIS_PID"
rate "redis stopped"
kill -CONT "$REDIS_PID"

# Shell helpers for scripts that need a private redis-server (demo,
# integration tests, benchmarks). Source it, then:
#   redis_start DIR [redis-server options...]   # 127.0.0.1, free port, unix socket in DIR
#   ... use $REDIS_URL / $REDIS_SOCK_URL / $REDIS_PORT / $REDIS_PID ...
#   redis_cli XLEN vigie:alerts
#   redis_wait_xlen vigie:alerts 100 [SECONDS]
#   redis_stop
# Only loopback and a unix socket; no persistence unless asked. Put
# redis_stop in your EXIT trap so no server outlives the script.

redis_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' \
        2>/dev/null || echo $((20000 + RANDOM % 40000))
}

redis_start() { # DIR [options...]
    local dir=$1
    shift
    command -v redis-server >/dev/null || { echo "redis-server is not installed" >&2; return 1; }
    mkdir -p "$dir"
    REDIS_PORT=$(redis_free_port)
    REDIS_SOCK=$dir/redis.sock
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
        --unixsocket "$REDIS_SOCK" --unixsocketperm 700 --logfile "$dir/redis.log" "$@" &
    REDIS_PID=$!
    REDIS_URL=redis://127.0.0.1:$REDIS_PORT
    REDIS_SOCK_URL=unix://$REDIS_SOCK
    local _
    for _ in $(seq 200); do
        redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return 0
        kill -0 "$REDIS_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "redis-server did not start (see $dir/redis.log)" >&2
    redis_stop
    return 1
}

redis_cli() {
    redis-cli -p "$REDIS_PORT" "$@"
}

redis_wait_xlen() { # KEY N [SECONDS]
    local key=$1 want=$2 tries=$((${3:-10} * 20)) n
    while [ "$tries" -gt 0 ]; do
        n=$(redis_cli XLEN "$key" 2>/dev/null || echo 0)
        [ "${n:-0}" -ge "$want" ] && return 0
        tries=$((tries - 1))
        sleep 0.05
    done
    echo "$key has ${n:-0} entries, expected $want" >&2
    return 1
}

redis_stop() {
    [ -n "${REDIS_PID:-}" ] || return 0
    kill -CONT "$REDIS_PID" 2>/dev/null || true
    kill "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
    REDIS_PID=
}

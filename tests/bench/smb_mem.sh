#!/usr/bin/env bash
# Per-flow memory of SMB sessions: peak RSS of vigie on FLOWS concurrent
# SMB2 sessions (tests/bench/gen_smb_sessions.py) and on BASE of them, and
# bytes per SMB flow = (peak FLOWS - peak BASE) / (FLOWS - BASE). Several
# binaries (a build of main, this one) are run in turn, ROUNDS times, and
# the median of each printed.
#   tests/bench/smb_mem.sh [VIGIE...]     (default build/vigie)
# Environment: FLOWS (38400), BASE (400), READ_SIZE (4096), ROUNDS (3),
# BENCH_DIR (build/bench), CONFIG (a vigie config, default none).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FLOWS=${FLOWS:-38400} BASE=${BASE:-400} READ_SIZE=${READ_SIZE:-4096} ROUNDS=${ROUNDS:-3}
BENCH_DIR=${BENCH_DIR:-$ROOT/build/bench}
GEN=$ROOT/tests/bench/gen_smb_sessions.py
[ $# -gt 0 ] || set -- "$ROOT/build/vigie"
mkdir -p "$BENCH_DIR"

capture() {
    local f=$BENCH_DIR/smb-$1-r$READ_SIZE.pcap
    if [ ! -s "$f" ] || [ "$GEN" -nt "$f" ]; then
        /usr/bin/python3 "$GEN" --flows "$1" --read-size "$READ_SIZE" --out "$f" >&2
    fi
    echo "$f"
}

big=$(capture "$FLOWS")
small=$(capture "$BASE")
args=(--no-redis -q)
[ -n "${CONFIG:-}" ] && args+=(-c "$CONFIG")

# peak FILE VIGIE: peak RSS in KiB of one run.
peak() {
    local tf
    tf=$(mktemp)
    /usr/bin/time -f '%M' -o "$tf" "$2" -r "$1" "${args[@]}" >/dev/null 2>&1
    cat "$tf"
    rm -f "$tf"
}

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

declare -A runs_big runs_small
for ((r = 0; r < ROUNDS; r++)); do
    for v in "$@"; do
        runs_big[$v]+="$(peak "$big" "$v") "
        runs_small[$v]+="$(peak "$small" "$v") "
    done
done
for v in "$@"; do
    b=$(tr ' ' '\n' <<<"${runs_big[$v]}" | grep . | median)
    s=$(tr ' ' '\n' <<<"${runs_small[$v]}" | grep . | median)
    echo "smb_mem: $v: $FLOWS SMB2 sessions peak $((b / 1024)) MiB, $BASE: $((s / 1024)) MiB," \
        "$(((b - s) * 1024 / (FLOWS - BASE))) bytes per SMB flow (median of $ROUNDS)"
done

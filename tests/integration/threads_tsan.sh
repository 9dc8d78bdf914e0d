#!/usr/bin/env bash
# Worker threads under ThreadSanitizer (docs/workers.md): vigie built with
# clang -fsanitize=thread runs both scenarios with 1 and 3 workers (the
# same records, tests/pcap/workers_same.py), a paced replay reloaded by
# SIGHUP (tests/integration/reload.sh) and a live capture over a veth pair
# with 3 fanout handles (tests/integration/live_veth.sh); any race report
# stops the binary (halt_on_error) and fails the step.
#   tests/integration/threads_tsan.sh        (needs clang; skips without)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
command -v clang >/dev/null || { echo "threads_tsan: skipped (no clang)"; exit 0; }
dir=build-tsan
CC=clang cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" >/dev/null &&
    cmake --build "$dir" -j"$(nproc)" --target vigie >/dev/null ||
    { echo "threads_tsan: build failed"; exit 1; }
export VIGIE=$ROOT/$dir/vigie
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 report_signal_unsafe=0"
failed=0
step() { # step NAME COMMAND...
    local name=$1; shift
    if "$@" >"$dir/tsan-$name.log" 2>&1; then echo "ok   $name"
    else echo "FAIL $name"; tail -40 "$dir/tsan-$name.log"; failed=$((failed + 1)); fi
}
WORKERS_SAME_SIDES="1 3" step scenarios /usr/bin/python3 tests/pcap/workers_same.py scenario
step reload tests/integration/reload.sh
LIVE_WORKERS=3 step live tests/integration/live_veth.sh
echo "threads_tsan: $((3 - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]

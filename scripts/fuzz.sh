#!/usr/bin/env bash
# Long fuzzing runs on demand: every libFuzzer target for SECONDS each,
# seeded from ../shared/corpus (tests/fuzz/seed.py), its corpus kept in
# build-fuzz/corpus/<target>/ between runs. A crash, leak or timeout input is
# kept as a regression case in tests/fuzz/regressions/<target>/ (commit it:
# scripts/test.sh replays every one of them). Prints, per target, the
# seconds taken, executions, executions per second and crash inputs kept.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      (default 600 s, every target)
#   FUZZ_RUNS=10000000 scripts/fuzz.sh 0       (10M executions each, no time cap)
#
# FUZZ_RUNS stops each target after that many executions; SECONDS still caps
# it (0: no cap). Targets run one at a time; FUZZ_JOBS=N runs that one target
# in N processes (libFuzzer -fork=N). FUZZ_FLAGS adds libFuzzer flags. On a
# shared machine run it under nice -n 19.
set -uo pipefail
{ # read whole before it runs: an edit of this file mid-campaign is harmless
cd "$(dirname "$0")/.."
secs=${1:-600}
shift || true
runs=${FUZZ_RUNS:-} jobs=${FUZZ_JOBS:-1}
read -ra flags <<<"${FUZZ_FLAGS:-}"
case "$runs$secs$jobs" in *[!0-9]*) echo "fuzz: SECONDS, FUZZ_RUNS and FUZZ_JOBS are counts"; exit 2 ;; esac
command -v clang >/dev/null || { echo "fuzz: clang is needed (scripts/setup.sh installs it)"; exit 1; }
CC=clang cmake -S . -B build-fuzz -DVIGIE_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null &&
    cmake --build build-fuzz -j"$(nproc)" >/dev/null || { echo "fuzz: build failed"; exit 1; }
seeds=build-fuzz/seeds
[ -d "$seeds" ] || /usr/bin/python3 tests/fuzz/seed.py "$seeds"

# Crash, leak, timeout and out-of-memory inputs; libFuzzer's slow-unit-* files
# (the slowest input so far, by the clock) are not failures.
kept() { find "$1" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l; }

targets=("$@")
[ ${#targets[@]} -gt 0 ] || for t in build-fuzz/tests/fuzz_*; do targets+=("$(basename "$t")"); done
rc=0
printf '%-14s %8s %12s %10s %8s\n' target seconds executions exec/s crashes
for t in "${targets[@]}"; do
    bin=build-fuzz/tests/$t
    [ -x "$bin" ] || { echo "fuzz: no target $t"; rc=1; continue; }
    corpus=build-fuzz/corpus/$t regress=tests/fuzz/regressions/$t
    mkdir -p "$corpus" "$regress"
    log=build-fuzz/$t.long.log
    before=$(kept "$regress")
    start=$SECONDS
    fork=() && [ "$jobs" -le 1 ] || fork=(-fork="$jobs")
    "$bin" "${fork[@]}" -max_total_time="$secs" ${runs:+-runs="$runs"} -print_final_stats=1 \
        -artifact_prefix="$regress/" "${flags[@]}" "$corpus" \
        ${seeds:+$( [ -d "$seeds/$t" ] && echo "$seeds/$t")} >"$log" 2>&1 || rc=1
    took=$((SECONDS - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    if [ -n "${fork[*]}" ]; then # no final stats: the last "#N: cov: ..." line
        execs=$(sed -n 's/^#\([0-9]*\): cov:.*/\1/p' "$log" | tail -1)
        [ -z "$execs" ] || rate=$((execs / (took > 0 ? took : 1)))
    fi
    printf '%-14s %8s %12s %10s %8s\n' "$t" "$took" "${execs:-?}" "${rate:-?}" \
        "$(($(kept "$regress") - before))"
    [ "$rc" -eq 0 ] || tail -30 "$log"
done
[ "$rc" -eq 0 ] && echo "fuzz: no crash" || echo "fuzz: crash inputs kept in tests/fuzz/regressions/"
exit $rc
}

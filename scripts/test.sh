#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test:
#   unit tests (cmocka), pcap tests, nDPI agreement on ../shared/corpus,
#   live capture over a veth pair, the same under ASan+UBSan, fuzzers.
# Ends with "N passed, N failed"; exit status 0 only if nothing failed.
# FUZZ_SECONDS (default 20) bounds each fuzz target.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

./scripts/setup.sh || { echo "setup failed"; exit 1; }

passed=0 failed=0 failures=()
stage() { # stage NAME COMMAND...
    local name=$1; shift
    echo "=== $name"
    if "$@"; then passed=$((passed + 1)); echo "--- ok: $name"
    else failed=$((failed + 1)); failures+=("$name"); echo "--- FAILED: $name"; fi
}
ctest_in() { (cd "$1" && ctest --output-on-failure); }
run_if_present() { # run a test script if it exists yet
    local script=$1; shift
    [ -x "$script" ] || { echo "($script not present)"; return 0; }
    "$script" "$@"
}
fuzz_all() {
    command -v clang >/dev/null || { echo "no clang: fuzzers skipped"; return 0; }
    CC=clang cmake -S . -B build-fuzz -DVIGIE_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null &&
        cmake --build build-fuzz -j"$(nproc)" >/dev/null || return 1
    local rc=0
    for t in build-fuzz/tests/fuzz_*; do
        [ -x "$t" ] || continue
        local corpus="build-fuzz/corpus/$(basename "$t")"
        mkdir -p "$corpus"
        echo "fuzzing $(basename "$t") for ${FUZZ_SECONDS:-20}s"
        "$t" -max_total_time="${FUZZ_SECONDS:-20}" -print_final_stats=0 "$corpus" \
            >"build-fuzz/$(basename "$t").log" 2>&1 || { rc=1; tail -40 "build-fuzz/$(basename "$t").log"; }
        # Inputs that once crashed (scripts/fuzz.sh keeps them) must not again.
        local regress="tests/fuzz/regressions/$(basename "$t")"
        if [ -d "$regress" ] && [ -n "$(ls -A "$regress")" ]; then
            "$t" "$regress"/* >"build-fuzz/$(basename "$t").regress.log" 2>&1 ||
                { rc=1; tail -40 "build-fuzz/$(basename "$t").regress.log"; }
        fi
    done
    return $rc
}

live_workers() {
    LIVE_WORKERS=1 run_if_present tests/integration/live_veth.sh &&
        LIVE_WORKERS=3 run_if_present tests/integration/live_veth.sh
}

stage "build (Release)" ./scripts/build.sh Release build
stage "lint (clang-format, file length)" tests/lint.sh
stage "unit tests" ctest_in build
stage "pcap tests" run_if_present tests/pcap/run.sh
WORKERS_SAME_REQUIRE=1 stage "same alerts, incidents and flows with 1, 2 and 3 workers" run_if_present tests/pcap/workers_same.py
stage "pcapng: interfaces of several link types" run_if_present tests/pcap/pcapng.sh
stage "benchmark generators" run_if_present tests/bench/generators.py
stage "nDPI agreement" run_if_present tests/pcap/agreement.sh
stage "live capture (veth)" run_if_present tests/integration/live_veth.sh
stage "live capture (veth), 1 and 3 workers" live_workers
stage "live capture, fanout handles (veth)" run_if_present tests/integration/live_fanout.sh
stage "redis end to end" run_if_present tests/integration/redis_e2e.sh
stage "redis modes (list, stream, channel), stats, health" run_if_present tests/integration/redis_modes.sh
stage "config reload (SIGHUP)" run_if_present tests/integration/reload.sh
stage "privilege drop (-u)" run_if_present tests/integration/privdrop.sh
stage "alert files: live and crash-safe" run_if_present tests/integration/files_crash.sh
stage "spool as the -u user" run_if_present tests/integration/spool_privdrop.sh
stage "alert JSON + GeoIP" run_if_present tests/pcap/alert_json.sh
stage "EVE records against Suricata's schema and ours" run_if_present tests/pcap/eve_schema.sh
stage "learn mode + new_edge" run_if_present tests/pcap/learn.sh
stage "install, Debian package, unit" run_if_present tests/integration/package.sh
stage "live view (vigie-tail)" run_if_present tests/integration/tail_test.sh
stage "HTML report (chromium)" run_if_present tests/integration/report_chromium.sh
stage "attack scenario (tshark)" run_if_present tests/pcap/scenario_check.sh
for t in tests/pcap/tshark_*.sh; do
    [ -e "$t" ] && stage "$(basename "$t" .sh)" run_if_present "$t"
done
stage "detector cases (tests/pcap/cases)" run_if_present tests/pcap/cases.py
stage "shared expectations (known failures listed)" run_if_present tests/pcap/cases.py --shared-expect
stage "incidents on the corpus: every technique alert, labs apart, chains" run_if_present tests/pcap/corpus_incidents.py
stage "captures cut midstream keep their clients" run_if_present tests/pcap/midstream_cut.py
stage "detections survive a SPAN port's packet order and one-way links" run_if_present tests/pcap/span_reorder.py
stage "same alerts and flows as before issue 8" run_if_present tests/pcap/corpus_same.sh

stage "build (ASan+UBSan)" ./scripts/build.sh Sanitize build-asan
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
stage "unit tests (ASan+UBSan)" ctest_in build-asan
VIGIE="$ROOT/build-asan/vigie" stage "pcap tests (ASan+UBSan)" run_if_present tests/pcap/run.sh
VIGIE="$ROOT/build-asan/vigie" stage "corpus under ASan+UBSan" run_if_present tests/pcap/corpus_clean.sh
VIGIE="$ROOT/build-asan/vigie" stage "shipped configs under ASan+UBSan" run_if_present tests/pcap/sanitize_configs.sh
stage "worker threads under ThreadSanitizer" run_if_present tests/integration/threads_tsan.sh
stage "fuzzers" fuzz_all

echo
[ $failed -gt 0 ] && printf 'failed stage: %s\n' "${failures[@]}"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]

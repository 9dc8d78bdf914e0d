#!/usr/bin/env bash
# What users run, under the sanitizers: the shipped config/vigie.yaml and
# every example config, each validated with -T and then run over the
# bundled scenario (scripts/gen-scenario). Run with VIGIE pointing at the
# ASan+UBSan build and halt_on_error set (scripts/test.sh does): any report
# ends the run with a non-zero status, which fails the check.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3

[ -x "$VIGIE" ] || { echo "sanitize_configs: no binary at $VIGIE"; exit 1; }
"$PY" "$ROOT/scripts/gen-scenario" --out "$T/scenario.pcap" 2>"$T/gen.log" || { echo "gen-scenario failed"; exit 1; }

# run CONFIG: -T, then the scenario; exit 0 and no sanitizer line.
run() {
    local cfg=$1 out=$T/$(basename "$1").out
    "$VIGIE" -c "$cfg" -T >"$out" 2>&1 &&
        "$VIGIE" -c "$cfg" -r "$T/scenario.pcap" --no-redis -q -A "$T/a.json" --flows "$T/f.json" \
            >>"$out" 2>&1 &&
        ! grep -q "runtime error\|AddressSanitizer\|LeakSanitizer" "$out" || { cat "$out" | head -20; return 1; }
}

for cfg in "$ROOT/config/vigie.yaml" "$ROOT"/config/examples/*.yaml; do
    check "${cfg#"$ROOT"/}: -T and the scenario, no sanitizer report" run "$cfg"
done
check "the scenario raised alerts with the shipped config" \
    sh -c "'$VIGIE' -c '$ROOT/config/vigie.yaml' -r '$T/scenario.pcap' --no-redis -q -A - | grep -q event_type"
finish sanitize_configs

#!/usr/bin/env bash
# What users run, under the sanitizers: the shipped config/vigie.yaml and
# every example config, each validated with -T and then run over both
# bundled scenarios (scripts/gen-scenario --scenario grand-angouleme and
# angers); each scenario with its own config must raise alerts. Run with
# VIGIE pointing at the ASan+UBSan build and halt_on_error set
# (scripts/test.sh does): any report ends the run with a non-zero status,
# which fails the check.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3

[ -x "$VIGIE" ] || { echo "sanitize_configs: no binary at $VIGIE"; exit 1; }
# scenario name, its config
SCENARIOS=("grand-angouleme config/vigie.yaml" "angers config/examples/angers.yaml")
for s in "${SCENARIOS[@]}"; do
    read -r name _ <<<"$s"
    "$PY" "$ROOT/scripts/gen-scenario" --scenario "$name" --out "$T/$name.pcap" 2>"$T/gen.log" ||
        { cat "$T/gen.log"; echo "gen-scenario --scenario $name failed"; exit 1; }
done

# run CONFIG SCENARIO: -T, then the scenario; exit 0 and no sanitizer line.
run() {
    local cfg=$1 pcap=$T/$2.pcap out=$T/$(basename "$1").$2.out
    "$VIGIE" -c "$cfg" -T >"$out" 2>&1 &&
        "$VIGIE" -c "$cfg" -r "$pcap" --no-redis -q -A "$T/a.json" --flows "$T/f.json" \
            >>"$out" 2>&1 &&
        ! grep -q "runtime error\|AddressSanitizer\|LeakSanitizer" "$out" || { cat "$out" | head -20; return 1; }
}

for cfg in "$ROOT/config/vigie.yaml" "$ROOT"/config/examples/*.yaml; do
    for s in "${SCENARIOS[@]}"; do
        read -r name _ <<<"$s"
        check "${cfg#"$ROOT"/}: -T and the $name scenario, no sanitizer report" run "$cfg" "$name"
    done
done
for s in "${SCENARIOS[@]}"; do
    read -r name cfg <<<"$s"
    check "the $name scenario raised alerts with $cfg" \
        sh -c "'$VIGIE' -c '$ROOT/$cfg' -r '$T/$name.pcap' --no-redis -q -A - | grep -q event_type"
done
finish sanitize_configs

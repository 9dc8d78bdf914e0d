#!/usr/bin/env bash
# nDPI agreement: runs ndpiReader (Debian libndpi-bin 4.2) and vigie on every
# capture of ../shared/corpus and compares the nDPI protocol flow by flow
# (tests/pcap/agreement.py). Fails under 99% (AGREEMENT_MIN) of ndpiReader's
# flows with the same protocol in vigie.
#
#   tests/pcap/agreement.sh [--self-check]
#
# Writes build/agreement/ (per-capture outputs) and build/agreement-report.txt
# (worst files and every mismatching flow). --self-check feeds the comparator
# ndpiReader's own flows in vigie's record shape: it must report 100%.
# VIGIE=/path/to/vigie overrides build/vigie; CORPUS overrides the corpus dir.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null) || ROOT=$(cd "$HERE/../.." && pwd)
CORPUS=${CORPUS:-$ROOT/../shared/corpus}
VIGIE=${VIGIE:-$ROOT/build/vigie}
WORK=${AGREEMENT_WORK:-$ROOT/build/agreement}
REPORT=${AGREEMENT_REPORT:-$ROOT/build/agreement-report.txt}
PY=/usr/bin/python3
self_check=0; [ "${1:-}" = --self-check ] && self_check=1

[ -d "$CORPUS" ] || { echo "agreement: skipped (no ../shared/corpus)"; exit 0; }
command -v ndpiReader >/dev/null || { echo "agreement: ndpiReader missing (apt-get install libndpi-bin)"; exit 1; }
[ $self_check -eq 1 ] || [ -x "$VIGIE" ] || { echo "agreement: no binary at $VIGIE (build first or set VIGIE)"; exit 1; }

rm -rf "$WORK"; mkdir -p "$WORK"

# one CAPTURE: both tools on it; outputs named after its path in the corpus
one() {
    local f=$1 rel=${1#"$CORPUS"/}
    local base=$WORK/${rel//\//__} nrc vrc
    printf '%s\n' "$rel" >"$base.src"
    # -v 2: without it ndpiReader 4.2 leaves the Unknown flows out of its CSV;
    # -t: it decapsulates GTP-U as vigie does (not VXLAN or Teredo: those
    # flows are vigie's inner ones and ndpiReader's outer ones, unmatched)
    ndpiReader -i "$f" -C "$base.csv" -q -v 2 -t >/dev/null 2>"$base.ndpi.err"; nrc=$?
    [ -e "$base.csv" ] || : >"$base.csv"
    if [ "$SELF_CHECK" = 1 ]; then
        "$PY" "$HERE/agreement.py" csv2eve "$base.csv" >"$base.json"; vrc=$?
    else
        "$VIGIE" -r "$f" --no-redis --flows "$base.json" -q 2>"$base.vigie.err"; vrc=$?
    fi
    echo "$nrc $vrc" >"$base.rc"
}
export -f one
export CORPUS WORK VIGIE PY HERE SELF_CHECK=$self_check

find "$CORPUS" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) -print0 |
    sort -z | xargs -0 -P2 -n1 bash -c 'one "$1"' one

"$PY" "$HERE/agreement.py" compare --work "$WORK" --report "$REPORT" \
    --min "$([ $self_check -eq 1 ] && echo 100 || echo "${AGREEMENT_MIN:-99}")"

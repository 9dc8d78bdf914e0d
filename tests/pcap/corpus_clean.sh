#!/usr/bin/env bash
# Runs vigie (normally the ASan+UBSan build) over every capture of
# ../shared/corpus: it must never crash nor report a sanitizer error, and
# must exit 0 (or 1 for a capture libpcap itself calls corrupt).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VIGIE=${VIGIE:-$ROOT/build/vigie}
CORPUS="$ROOT/../shared/corpus"
[ -d "$CORPUS" ] || { echo "corpus_clean: skipped (no ../shared/corpus)"; exit 0; }
bad=0 n=0
while IFS= read -r -d '' f; do
    n=$((n + 1))
    out=$("$VIGIE" -r "$f" --no-redis --flows /dev/null -q 2>&1); rc=$?
    if [ $rc -gt 1 ] || grep -q "runtime error\|AddressSanitizer\|LeakSanitizer" <<<"$out"; then
        echo "FAIL ($rc): $f"; echo "$out" | head -20; bad=$((bad + 1))
    fi
done < <(find "$CORPUS" -type f \( -name '*.pcap*' -o -name '*.cap' \) -print0 | sort -z)
echo "corpus_clean: $n captures, $bad failures"
[ $bad -eq 0 ]

#!/usr/bin/env bash
# Offline benchmarks of vigie (SPEC section 8). See --help.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: scripts/bench.sh [mix|concurrent]

  mix (default)  Generate (once) a mixed capture of >= 1,000,000 packets and
                 100,000 flows (HTTP, DNS, TLS, SMB2, SSH, NTP, ICMP), then run
                 `vigie -r FILE --no-redis -q` and `ndpiReader -i FILE -q`
                 alternately, ROUNDS rounds each, and print the best packet
                 rate of each, their ratio (target >= 2x) and peak RSS.
  concurrent     Generate (once) two captures of the same 1,000,000 flows and
                 ~3.6M packets: in one all flows are alive at once, in the
                 other at most 10,000 are (windows of 10,000 separated by
                 330 s of idle packet time, longer than vigie's default
                 timeouts). Run vigie alternately on both and print each
                 packet rate, the 1M/10k ratio (target >= 60%), peak RSS and
                 bytes per flow = (peak RSS 1M - peak RSS 10k) / 990,000.

Captures are cached in $BENCH_DIR (default build/bench/) with their packet
counts in FILE.count, and regenerated when scripts/gen-traffic is newer. build/vigie is built
(Release) if missing.

Environment: VIGIE (binary, default build/vigie), BENCH_DIR, ROUNDS (default 3),
NDPIREADER (default ndpiReader).
EOF
}

mode=${1:-mix}
case $mode in
    -h | --help) usage; exit 0 ;;
    mix | concurrent) ;;
    *) usage >&2; exit 2 ;;
esac

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-$ROOT/build/bench}
VIGIE=${VIGIE:-$ROOT/build/vigie}
ROUNDS=${ROUNDS:-3}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "bench: ROUNDS must be a positive integer" >&2; exit 2; }
NDPIREADER=${NDPIREADER:-ndpiReader}
GEN=$ROOT/scripts/gen-traffic

for tool in /usr/bin/time "$NDPIREADER"; do
    command -v "$tool" >/dev/null || { echo "bench: $tool not found (run scripts/setup.sh)" >&2; exit 1; }
done
if [ ! -x "$VIGIE" ]; then
    echo "bench: building $VIGIE" >&2
    (cd "$ROOT" && cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null && cmake --build build -j2 >/dev/null)
fi
mkdir -p "$BENCH_DIR"

# capture NAME GEN-ARGS...: print the path of a cached capture, generating it if needed.
capture() {
    local f=$BENCH_DIR/$1.pcap
    shift
    if [ ! -s "$f" ] || [ ! -s "$f.count" ] || [ "$GEN" -nt "$f" ]; then
        echo "bench: generating $f" >&2
        local t0=$SECONDS
        "$GEN" --out "$f" "$@" >&2
        echo "bench: generated in $((SECONDS - t0)) s" >&2
    fi
    echo "$f"
}

# run LABEL CMD...: time one run; sets SEC (wall seconds) and KB (peak RSS).
# Wall time comes from the clock (ms resolution), RSS from /usr/bin/time.
run() {
    local label=$1 tf ef t0 t1
    shift
    tf=$(mktemp) ef=$(mktemp)
    t0=$(date +%s%N)
    local rc=0
    /usr/bin/time -f '%M' -o "$tf" "$@" >/dev/null 2>"$ef" || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "bench: $label failed (exit $rc): $*" >&2
        cat "$ef" "$tf" >&2
        rm -f "$tf" "$ef"
        exit 1
    fi
    t1=$(date +%s%N)
    SEC=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    KB=$(tail -n 1 "$tf")
    LAST_STDERR=$(grep -v '^$' "$ef" | tail -n 1 || true)
    rm -f "$tf" "$ef"
}

# keep_best NAME: fold SEC/KB of the last run into BEST[NAME] (min) and PEAK[NAME] (max).
declare -A BEST=() PEAK=()
keep_best() {
    if [ -z "${BEST[$1]:-}" ] || awk -v x="$SEC" -v y="${BEST[$1]}" 'BEGIN { exit !(x < y) }'; then
        BEST[$1]=$SEC
    fi
    if [ -z "${PEAK[$1]:-}" ] || [ "$KB" -gt "${PEAK[$1]}" ]; then PEAK[$1]=$KB; fi
}

rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

if [ "$mode" = mix ]; then
    # 1,020,000 asked so the approximate count lands above 1,000,000.
    pcap=$(capture mix-100k --flows 100000 --packets 1020000 --seed 1)
    read -r pkts flows <"$pcap.count"
    echo "mix: $pcap: $pkts packets, $flows flows"
    for r in $(seq "$ROUNDS"); do
        run vigie "$VIGIE" -r "$pcap" --no-redis -q
        keep_best vigie
        v="$SEC s ($(mb "$KB") MB)"
        run ndpiReader "$NDPIREADER" -i "$pcap" -q
        keep_best ndpi
        echo "  round $r: vigie $v | ndpiReader $SEC s ($(mb "$KB") MB)"
    done
    rv=$(rate "$pkts" "${BEST[vigie]}")
    rn=$(rate "$pkts" "${BEST[ndpi]}")
    ratio=$(awk -v a="$rv" -v b="$rn" 'BEGIN { printf "%.2f", a / b }')
    echo "mix: vigie $rv pkt/s (peak $(mb "${PEAK[vigie]}") MB) | ndpiReader $rn pkt/s" \
        "(peak $(mb "${PEAK[ndpi]}") MB) | ratio ${ratio}x (target >= 2x)"
else
    big=$(capture conc-1m --flows 1000000 --concurrent --seed 1)
    small=$(capture conc-1m-window10k --flows 1000000 --concurrent --window 10000 --seed 1)
    read -r pkts flows <"$big.count"
    read -r spkts _ <"$small.count"
    echo "concurrent: $flows flows, $pkts packets; 1M alive: $big; 10k alive: $small"
    for r in $(seq "$ROUNDS"); do
        run vigie "$VIGIE" -r "$small" --no-redis -q
        keep_best small
        s="$SEC s ($(mb "$KB") MB)"
        run vigie "$VIGIE" -r "$big" --no-redis -q
        keep_best big
        echo "  round $r: 10k alive $s | 1M alive $SEC s ($(mb "$KB") MB)"
    done
    echo "  vigie's summary (1M alive): $LAST_STDERR"
    rs=$(rate "$spkts" "${BEST[small]}")
    rb=$(rate "$pkts" "${BEST[big]}")
    pct=$(awk -v a="$rb" -v b="$rs" 'BEGIN { printf "%.0f", 100 * a / b }')
    bpf=$(awk -v a="${PEAK[big]}" -v b="${PEAK[small]}" 'BEGIN { printf "%.0f", (a - b) * 1024 / 990000 }')
    echo "concurrent: 10k flows: vigie $rs pkt/s (peak $(mb "${PEAK[small]}") MB)" \
        "| 1M flows: vigie $rb pkt/s (peak $(mb "${PEAK[big]}") MB)"
    echo "concurrent: 1M/10k rate ${pct}% (target >= 60%) | $bpf bytes per flow" \
        "((peak 1M - peak 10k) / 990000)"
fi

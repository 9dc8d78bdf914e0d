#!/usr/bin/env bash
# Offline benchmarks of vigie against issue 11's targets (and issue 2's). See --help.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: scripts/bench.sh [PART...]     (no PART: all of them, in this order)

Every figure is printed next to its target (issue 11; the mix: issue 2), then
a summary table (figure | value | target | met). The first lines name the
commit (+dirty when the work tree has changes), the machine and the date.
Rates are packets (or flows) over the wall-clock time of the whole process,
startup included (the header prints vigie's startup on an empty capture),
each run's capture read into the page cache just before it, untimed (cold
file pages may be paged out within seconds on a VM); peak RSS is
/usr/bin/time's %M. Commands compared are run alternately, one
after the other in each of ROUNDS rounds, so a drift of the machine's speed
hits them alike; a ratio is the median over rounds of the two times of the
same round; rates are printed as the median and the best round. Ratios
against ndpiReader also print, for reference, the best round over the best
round and the same-round ratio of CPU seconds (user + system, /usr/bin/time
%U + %S), steadier than the wall clock on a busy machine.

PARTS
  mix         vigie (one worker) vs `ndpiReader -i FILE -q` on the generated
              mix: >= 1,000,000 packets, 100,000 flows of HTTP, DNS, TLS,
              SMB2, SSH, NTP and ICMP (gen-traffic --flows 100000 --packets
              1020000). Target >= 5x (issue 2).
  real        The same on real application traffic: every Ethernet capture
              (pcap or pcapng) of $CORPUS put end to end, 28 copies, each
              with its addresses shifted (distinct flows) and its timestamps
              after the previous copy's (scripts/lib/bench/corpus_copies.py;
              about 1.5M packets of ../shared/corpus/ndpi). Skipped, with a
              line saying so, when $CORPUS has no capture. Target >= 4x.
  short       Short-flow mix: 115,000 HTTP, DNS and SMB2 flows of 2 to 13
              packets, no FIN (gen-traffic --short). ndpiReader, vigie
              --workers 1 and vigie --workers N (N = online CPUs) in turn:
              targets >= 2x one worker, >= 3x N workers; and the workers
              figure below from the same runs.
  workers     vigie --workers N vs --workers 1 on the short-flow mix
              (alone, when short is not run): target >= 1.6x on 2 cores.
              A vigie without --workers (vigie --help) prints
              "workers: n/a (this vigie has no --workers)" and the parts
              above time its single thread as "one thread".
  long        Classified long flows: 100 TCP flows (HTTP, TLS) of 10,000
              packets each, a few at a time (gen-traffic --long); packets/s
              of vigie --workers 1: target >= 5M pkt/s per worker.
  concurrent  1,000,000 HTTP flows of 5 packets (gen-traffic --concurrent
              --kinds http): in one capture all alive at once, in the other
              at most 10,000 (windows separated by 330 s of idle packet
              time, longer than vigie's timeouts); vigie (default workers)
              on both in turn. Targets: no eviction (vigie's "N evicted"),
              peak RSS <= 512 MiB (the default memcap), (peak RSS 1M - peak
              RSS 10k) / 990,000 <= 300 bytes per flow, rate (packets/s)
              >= 60% of the 10k case.
  synflood    2,000,000 SYNs, each a new flow from its own address and port
              (gen-traffic --synflood); vigie --workers 1: new flows/s =
              flows / wall time >= 500k per worker, peak RSS within the
              memcap (<= 512 MiB), evictions printed.
  -h, --help  this text

Captures are made once, deterministically (seeded), into $BENCH_DIR with
their packet counts (FILE.count) and the command that made them (FILE.args),
and made again when that command, the generator (scripts/gen-traffic,
scripts/lib/traffic/, scripts/lib/wire.py, corpus_copies.py) or the corpus
changed. build/vigie is built (Release) if missing.

ENVIRONMENT
  VIGIE        vigie binary (default build/vigie)
  NDPIREADER   ndpiReader binary (default ndpiReader, nDPI 4.2)
  BENCH_DIR    capture cache (default build/bench)
  ROUNDS       rounds of each comparison (default 3)
  BENCH_SCALE  multiplies every size: flows, packets, copies (default 1;
               0.1 for a quick try; the figures then are no benchmark)
  CORPUS       captures of the real-traffic part (default ../shared/corpus/ndpi)
  MEMCAP_MB    the memcap the peak RSS is held to (default 512, vigie's
               default flows.memcap_mb)
  FIXED_MB     the fixed overhead over it the README states for one worker,
               allowed on the SYN flood held at the memcap (default 40)
EOF
}

PARTS_ALL=(mix real short workers long concurrent synflood)
parts=()
for a in "$@"; do
    case $a in
        -h | --help) usage; exit 0 ;;
        mix | real | short | workers | long | concurrent | synflood) parts+=("$a") ;;
        *) echo "bench: unknown part: $a" >&2; usage >&2; exit 2 ;;
    esac
done
[ "${#parts[@]}" -gt 0 ] || parts=("${PARTS_ALL[@]}")

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-$ROOT/build/bench}
VIGIE=${VIGIE:-$ROOT/build/vigie}
ROUNDS=${ROUNDS:-3}
NDPIREADER=${NDPIREADER:-ndpiReader}
SCALE=${BENCH_SCALE:-1}
CORPUS=${CORPUS:-$ROOT/../shared/corpus/ndpi}
MEMCAP_MB=${MEMCAP_MB:-512}
# The fixed overhead over the memcap the README states for one worker
# (nDPI's module, batches, the pools' caches, libc): README "Bounded memory".
FIXED_MB=${FIXED_MB:-40}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "bench: ROUNDS must be a positive integer" >&2; exit 2; }
if ! [[ $SCALE =~ ^[0-9]*\.?[0-9]+$ ]] || ! awk -v s="$SCALE" 'BEGIN { exit !(s > 0) }'; then
    echo "bench: BENCH_SCALE must be a positive number" >&2
    exit 2
fi
[[ $MEMCAP_MB =~ ^[1-9][0-9]*$ ]] || { echo "bench: MEMCAP_MB must be a positive integer" >&2; exit 2; }

for tool in /usr/bin/time /usr/bin/python3 "$NDPIREADER"; do
    command -v "$tool" >/dev/null || { echo "bench: $tool not found (run scripts/setup.sh)" >&2; exit 1; }
done
if [ ! -x "$VIGIE" ]; then
    echo "bench: building $VIGIE" >&2
    (cd "$ROOT" && cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null && cmake --build build -j2 >/dev/null)
fi
mkdir -p "$BENCH_DIR"
NCPU=$(nproc)
HAS_WORKERS=0
"$VIGIE" --help 2>&1 | grep -q -- --workers && HAS_WORKERS=1
# shellcheck source=SCRIPTDIR/lib/bench/common.sh
. "$ROOT/scripts/lib/bench/common.sh"

# ---------------------------------------------------------------- header

COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ] && COMMIT+=+dirty
CPU=$(grep -m 1 '^model name' /proc/cpuinfo | sed 's/^[^:]*: *//')
MACHINE="$NCPU CPUs ($CPU), Linux $(uname -r)"
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
echo "bench: commit $COMMIT, $DATE"
echo "bench: machine: $MACHINE, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "bench: $("$VIGIE" -V 2>&1 | head -n 1); $("$NDPIREADER" -h 2>&1 | grep -m 1 -o 'nDPI [0-9.]*') ndpiReader"
empty=$BENCH_DIR/empty.pcap
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\0\0\0\0\0\0\0\0\xff\xff\0\0\x01\0\0\0' >"$empty"
run startup "$VIGIE" -r "$empty" --no-redis -q
STARTUP=$SEC
echo "bench: ROUNDS=$ROUNDS BENCH_SCALE=$SCALE; vigie startup on an empty capture: $SEC s" \
    "(in every wall time below); workers: $([ "$HAS_WORKERS" = 1 ] && echo "--workers 1 and $NCPU" ||
        echo "this vigie has no --workers")"
awk -v s="$SCALE" 'BEGIN { exit !(s != 1) }' &&
    echo "bench: BENCH_SCALE=$SCALE: sizes are scaled, the figures are not the benchmark's"

# ---------------------------------------------------------------- parts

# The two captures of the concurrent part, alternated by key.
cmd_small() { cmd_vigie "$CONC_SMALL"; }
cmd_big() { cmd_vigie "$CONC_BIG"; }
CONC_SMALL='' CONC_BIG='' 

# vs_ndpi PART FIGURE KEY OP TARGET: the KEY/ndpiReader lines of a part.
vs_ndpi() {
    local r b
    r=$(pair_ratio "$3" ndpi)
    b=$(awk -v x="$(best "${SECS[ndpi]}")" -v y="$(best "${SECS[$3]}")" 'BEGIN { printf "%.2f", x / y }')
    echo "$1: ${LABEL[$3]} $(rates "$PKTS" "$3" pkt), peak $(mib "${PEAK[$3]}") MiB" \
        "| ndpiReader $(rates "$PKTS" ndpi pkt), peak $(mib "${PEAK[ndpi]}") MiB"
    result "$2" "$(fmt2 "$r")" "$4" "$5" x
    echo "  (best round over best round: ${b}x; CPU seconds, user + system:" \
        "$(fmt2 "$(pair_ratio "$3" ndpi CPUS)")x)"
}

# net_of_startup PART KEY: for reference, KEY's median rate without the
# startup time of the header, and vigie's own figure (its summary line).
net_of_startup() {
    local t
    t=$(awk -v m="$(median "${SECS[$2]}")" -v s="$STARTUP" 'BEGIN { printf "%.3f", (m > 2 * s ? m - s : m) }')
    echo "$1: (for reference: $(human "$(rate "$PKTS" "$t")") pkt/s net of the startup;" \
        "vigie's own: $(grep -o '[0-9]* packets/s' <<<"${ERR[$2]}" | head -n 1))"
}

workers_figure() {
    local r
    r=$(pair_ratio vigieN vigie1)
    echo "workers: vigie --workers $NCPU $(rates "$PKTS" vigieN pkt)" \
        "| --workers 1 $(rates "$PKTS" vigie1 pkt)"
    result "workers: $NCPU vs 1 (short-flow mix)" "$(fmt2 "$r")" '>=' 1.6 x
    [ "$NCPU" = 2 ] || echo "  (the target is for 2 cores; this machine has $NCPU)"
}

short_capture() {
    local n
    n=$(scaled 115000)
    PCAP=$(capture "short-$n" --short --flows "$n")
    read -r PKTS FLOWS <"$PCAP.count"
}

part_mix() {
    local n
    n=$(scaled 100000)
    PCAP=$(capture "mix-$n" --flows "$n" --packets "$(scaled 1020000)")
    read -r PKTS FLOWS <"$PCAP.count"
    echo "mix: $PCAP: $PKTS packets, $FLOWS flows"
    alternate mix "$PCAP" vigie1 ndpi
    vs_ndpi mix "mix (issue 2): ${LABEL[vigie1]} / ndpiReader" vigie1 '>=' 5
}

part_real() {
    local copies deps
    copies=$(scaled 28)
    if ! compgen -G "$CORPUS/*.pcap*" >/dev/null && ! compgen -G "$CORPUS/*.cap" >/dev/null; then
        na "real: ${LABEL[vigie1]} / ndpiReader" "skipped: no capture in $CORPUS (set CORPUS=DIR)"
        return
    fi
    deps="$ROOT/scripts/lib/bench/corpus_copies.py $CORPUS"
    PCAP=$(cached "real-$copies" "$deps" -- /usr/bin/python3 "$ROOT/scripts/lib/bench/corpus_copies.py" \
        --copies "$copies" "$CORPUS" --out)
    read -r PKTS ncap <"$PCAP.count"
    echo "real: $PCAP: $PKTS packets, $copies copies of the Ethernet packets of $ncap captures in $CORPUS"
    alternate real "$PCAP" vigie1 ndpi
    vs_ndpi real "real: ${LABEL[vigie1]} / ndpiReader" vigie1 '>=' 4
}

part_short() {
    short_capture
    echo "short: $PCAP: $PKTS packets, $FLOWS flows"
    if [ "$HAS_WORKERS" = 1 ]; then
        alternate short "$PCAP" ndpi vigie1 vigieN
    else
        alternate short "$PCAP" ndpi vigie1
    fi
    vs_ndpi short "short: ${LABEL[vigie1]} / ndpiReader" vigie1 '>=' 2
    if [ "$HAS_WORKERS" = 1 ]; then
        vs_ndpi short "short: ${LABEL[vigieN]} / ndpiReader" vigieN '>=' 3
        workers_figure
    else
        na "short: default workers / ndpiReader" "this vigie has no --workers"
        na "workers: $NCPU vs 1 (short-flow mix)" "this vigie has no --workers"
    fi
}

part_workers() {
    if [ "$HAS_WORKERS" != 1 ]; then
        na "workers: $NCPU vs 1 (short-flow mix)" "this vigie has no --workers"
        return
    fi
    short_capture
    echo "workers: $PCAP: $PKTS packets, $FLOWS flows"
    alternate workers "$PCAP" vigie1 vigieN
    workers_figure
}

part_long() {
    local per n
    n=100
    per=$(scaled 10000)
    PCAP=$(capture "long-${n}x$per" --long --flows "$n" --packets $((n * per)))
    read -r PKTS FLOWS <"$PCAP.count"
    echo "long: $PCAP: $PKTS packets, $FLOWS flows"
    alternate long "$PCAP" vigie1
    echo "long: ${LABEL[vigie1]} $(rates "$PKTS" vigie1 pkt), peak $(mib "${PEAK[vigie1]}") MiB"
    net_of_startup long vigie1
    result "long flows: ${LABEL[vigie1]}, pkt/s" \
        "$(fmt2 "$(rate "$PKTS" "$(median "${SECS[vigie1]}")" | awk '{ print $1 / 1e6 }')")" '>=' 5 M
}

part_concurrent() {
    local n win big small bpk spk pct bpf ev
    n=$(scaled 1000000)
    win=10000
    [ "$n" -gt $((2 * win)) ] || win=$((n / 10 > 0 ? n / 10 : 1))
    big=$(capture "conc-http-$n" --concurrent --kinds http --flows "$n")
    small=$(capture "conc-http-$n-window$win" --concurrent --kinds http --flows "$n" --window "$win")
    read -r bpk FLOWS <"$big.count"
    read -r spk _ <"$small.count"
    echo "concurrent: $FLOWS HTTP flows, $bpk packets; all alive: $big; $win alive: $small"
    CONC_SMALL=$small CONC_BIG=$big
    LABEL[small]="$win alive" LABEL[big]="$(human "$n") alive"
    alternate concurrent - small big
    echo "concurrent: vigie's summary, all alive: ${ERR[big]}"
    ev=$(evicted big)
    echo "concurrent: $win alive $(rates "$spk" small pkt), peak $(mib "${PEAK[small]}") MiB" \
        "| $(human "$n") alive $(rates "$bpk" big pkt), peak $(mib "${PEAK[big]}") MiB"
    [ "$ev" = '?' ] && ev=-1 && echo "concurrent: no 'N evicted' in vigie's summary line"
    result "concurrent $(human "$n"): evictions" "$ev" '<=' 0
    result "concurrent $(human "$n"): peak RSS, MiB" "$(mib "${PEAK[big]}")" '<=' "$MEMCAP_MB"
    bpf=$(awk -v a="${PEAK[big]}" -v b="${PEAK[small]}" -v n="$((n - win))" \
        'BEGIN { printf "%.0f", (a - b) * 1024 / n }')
    result "concurrent $(human "$n"): bytes/flow over $win" "$bpf" '<=' 300
    # Rate ratio: packets/s of the big case over the small one's, round by round.
    pct=$(awk -v r="$(pair_ratio small big)" -v b="$bpk" -v s="$spk" \
        'BEGIN { printf "%.0f", 100 * b / s / r }')
    result "concurrent $(human "$n"): rate vs $win, %" "$pct" '>=' 60
}

part_synflood() {
    local n med ev
    n=$(scaled 2000000)
    PCAP=$(capture "syn-$n" --synflood --flows "$n")
    read -r PKTS FLOWS <"$PCAP.count"
    echo "synflood: $PCAP: $PKTS SYNs, $FLOWS flows"
    alternate synflood "$PCAP" vigie1
    echo "synflood: vigie's summary: ${ERR[vigie1]}"
    med=$(rate "$FLOWS" "$(median "${SECS[vigie1]}")")
    ev=$(evicted vigie1)
    net_of_startup synflood vigie1
    echo "synflood: ${LABEL[vigie1]} $(rates "$FLOWS" vigie1 "new flows"), peak" \
        "$(mib "${PEAK[vigie1]}") MiB, $ev evicted"
    result "synflood: ${LABEL[vigie1]}, new flows/s" "$(awk -v r="$med" 'BEGIN { printf "%.0f", r / 1e3 }')" \
        '>=' 500 k
    # Held at the memcap: the flows' memory is the memcap, the rest is the
    # fixed overhead the README states (FIXED_MB, one worker).
    result "synflood: peak RSS, MiB (memcap + fixed)" "$(mib "${PEAK[vigie1]}")" '<=' \
        "$((MEMCAP_MB + FIXED_MB))"
}

ran_short=0
for p in "${parts[@]}"; do
    [ "$p" = workers ] && [ "$ran_short" = 1 ] && continue # short printed it
    echo
    "part_$p"
    [ "$p" = short ] && ran_short=1
done
summary

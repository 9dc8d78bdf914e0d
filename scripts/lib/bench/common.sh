# shellcheck shell=bash
# Helpers of scripts/bench.sh (sourced): cached captures, timed runs, the
# alternation of commands round by round, medians, and the summary rows.
# Expects ROOT, BENCH_DIR, ROUNDS, VIGIE, NDPIREADER, SCALE to be set.

# scaled N: N times BENCH_SCALE, rounded, at least 1.
scaled() { awk -v n="$1" -v s="$SCALE" 'BEGIN { v = int(n * s + 0.5); print (v < 1 ? 1 : v) }'; }

# newer_than FILE PATH...: true when one of PATH (files or directories, searched
# recursively) was modified after FILE.
newer_than() {
    local f=$1
    shift
    [ -n "$(find "$@" -newer "$f" -type f -print -quit 2>/dev/null)" ]
}

# cached NAME DEPS -- CMD...: print the path of $BENCH_DIR/NAME.pcap, running
# CMD (which gets the path to write as its last argument) when the file, its
# .count, or its .args (the command it was made with) is missing or
# different, or when DEPS (a space-separated list of paths) changed since.
cached() {
    local name=$1 deps=$2 f=$BENCH_DIR/$1.pcap
    shift 3
    local args="$*"
    # shellcheck disable=SC2086 # deps is a list of paths
    if [ ! -s "$f" ] || [ ! -s "$f.count" ] || [ "$(cat "$f.args" 2>/dev/null)" != "$args" ] ||
        newer_than "$f" $deps; then
        echo "bench: generating $f" >&2
        local t0=$SECONDS
        rm -f "$f.args"
        "$@" "$f" >&2
        echo "$args" >"$f.args"
        echo "bench: generated $name in $((SECONDS - t0)) s" >&2
    fi
    echo "$f"
}

GEN_DEPS="$ROOT/scripts/gen-traffic $ROOT/scripts/lib/traffic $ROOT/scripts/lib/wire.py"

# capture NAME GEN-ARGS...: a cached scripts/gen-traffic capture.
capture() {
    local name=$1
    shift
    cached "$name" "$GEN_DEPS" -- /usr/bin/python3 "$ROOT/scripts/gen-traffic" --seed 1 "$@" --out
}

# run LABEL CMD...: time one run; sets SEC (wall seconds, from the clock),
# KB (peak RSS of the process, /usr/bin/time %M), CPU (user + system
# seconds, %U + %S) and LAST_STDERR (its last non-empty line of stderr,
# vigie's summary).
run() {
    local label=$1 tf ef t0 t1 rc=0 a
    shift
    tf=$(mktemp) ef=$(mktemp)
    # The captures a command reads are read into the page cache first,
    # untimed: a VM may page cold file pages out within seconds (DAMON
    # pageout here), and a timed read from disk measures the disk.
    for a in "$@"; do [[ $a == *.pcap* && -f $a ]] && cat "$a" >/dev/null; done
    t0=$(date +%s%N)
    /usr/bin/time -f '%M %U %S' -o "$tf" "$@" >/dev/null 2>"$ef" || rc=$?
    t1=$(date +%s%N)
    if [ "$rc" -ne 0 ]; then
        echo "bench: $label failed (exit $rc): $*" >&2
        tail -n 5 "$ef" "$tf" >&2
        rm -f "$tf" "$ef"
        exit 1
    fi
    SEC=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    read -r KB CPU <<<"$(tail -n 1 "$tf" | awk '{ printf "%d %.2f", $1, $2 + $3 }')"
    LAST_STDERR=$(grep -v '^$' "$ef" | tail -n 1 || true)
    rm -f "$tf" "$ef"
}

# The commands a part can alternate, by key: cmd_KEY FILE sets CMD to the
# command that reads the capture FILE.
cmd_ndpi() { CMD=("$NDPIREADER" -i "$1" -q); }
cmd_vigie() { CMD=("$VIGIE" -r "$1" --no-redis -q); }
cmd_vigie1() {
    cmd_vigie "$1"
    [ "$HAS_WORKERS" != 1 ] || CMD+=(--workers 1)
}
cmd_vigieN() {
    cmd_vigie "$1"
    CMD+=(--workers "$NCPU")
}
declare -A LABEL=([ndpi]=ndpiReader [vigie]="vigie" [vigie1]="vigie 1 worker"
    [vigieN]="vigie $NCPU workers")
[ "$HAS_WORKERS" = 1 ] || LABEL[vigie1]="vigie (one thread)"

# alternate PART FILE KEY...: ROUNDS rounds, each running every KEY's command
# on FILE in turn (so a drift of the machine's speed hits all alike); sets
# SECS[KEY] (the wall seconds of each round), PEAK[KEY] (largest peak RSS, KB)
# CPUS[KEY] (the CPU seconds of each round) and ERR[KEY] (the last run's
# summary line).
declare -A SECS=() PEAK=() ERR=() CPUS=()
alternate() {
    local part=$1 file=$2 r key line
    shift 2
    for key in "$@"; do SECS[$key]='' PEAK[$key]=0 ERR[$key]='' CPUS[$key]=''; done
    for r in $(seq "$ROUNDS"); do
        line=''
        for key in "$@"; do
            "cmd_$key" "$file"
            run "${LABEL[$key]}" "${CMD[@]}"
            SECS[$key]+=" $SEC"
            CPUS[$key]+=" $CPU"
            [ "$KB" -gt "${PEAK[$key]}" ] && PEAK[$key]=$KB
            ERR[$key]=$LAST_STDERR
            line+="${line:+ | }${LABEL[$key]} $SEC s ($(mib "$KB") MiB)"
        done
        echo "  $part round $r: $line"
    done
}

# Statistics over the space-separated lists of SECS.
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 } END {
    print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
best() { tr ' ' '\n' <<<"$1" | grep . | sort -g | head -n 1; }
# pair_ratio A B [ARRAY]: median over rounds of time(B) / time(A), i.e. how
# many times faster A ran than B in the same round; ARRAY is SECS (wall
# seconds, the default) or CPUS.
pair_ratio() {
    local a b
    local -n times=${3:-SECS}
    read -ra a <<<"${times[$1]}"
    read -ra b <<<"${times[$2]}"
    local i list=''
    for i in "${!a[@]}"; do
        list+=" $(awk -v x="${a[$i]}" -v y="${b[$i]}" 'BEGIN { printf "%.4f", y / x }')"
    done
    median "$list"
}
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
# human N: 1234567 -> 1.23M, 12345 -> 12.3k.
human() { awk -v n="$1" 'BEGIN { if (n >= 1e6) printf "%.2fM", n / 1e6;
    else if (n >= 1e3) printf "%.1fk", n / 1e3; else printf "%d", n }'; }
fmt2() { awk -v x="$1" 'BEGIN { printf "%.2f", x }'; }
# rates N KEY UNIT: "median M UNIT/s (best B)", N things over KEY's rounds.
rates() {
    echo "median $(human "$(rate "$1" "$(median "${SECS[$2]}")")") $3/s" \
        "(best $(human "$(rate "$1" "$(best "${SECS[$2]}")")"))"
}
# evicted KEY: the "N evicted" count of KEY's last summary line.
evicted() { grep -o '[0-9]* evicted' <<<"${ERR[$1]}" | grep -o '^[0-9]*' || echo '?'; }

# Summary rows: result FIGURE VALUE OP TARGET [UNIT]: OP is >= or <=, VALUE
# and TARGET plain numbers, UNIT printed after both; met is yes or no. na FIGURE WHY: a row
# that could not be measured.
ROWS=()
result() {
    local met
    met=$(awk -v v="$2" -v t="$4" -v op="$3" 'BEGIN {
        ok = (op == ">=") ? (v >= t) : (v <= t); print (ok ? "yes" : "no") }')
    ROWS+=("$1|$2${5:-}|$3 $4${5:-}|$met")
    echo "$1: $2${5:-} (target $3 $4${5:-}: $met)"
}
na() {
    ROWS+=("$1|n/a|-|n/a")
    echo "$1: n/a ($2)"
}
# summary: the rows as a Markdown table, under the commit, machine and date.
summary() {
    [ "${#ROWS[@]}" -gt 0 ] || return 0
    echo
    echo "summary: commit $COMMIT, $MACHINE, $DATE"
    local row f v t m w=6 dash
    for row in "${ROWS[@]}"; do
        f=${row%%|*}
        [ "${#f}" -le "$w" ] || w=${#f}
    done
    dash=$(printf "%${w}s" '' | tr ' ' -)
    printf "| %-${w}s | %-10s | %-10s | %s |\n" figure value target met
    printf "|-%s-|------------|------------|-----|\n" "$dash"
    for row in "${ROWS[@]}"; do
        IFS='|' read -r f v t m <<<"$row"
        printf "| %-${w}s | %-10s | %-10s | %-3s |\n" "$f" "$v" "$t" "$m"
    done
}

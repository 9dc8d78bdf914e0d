#!/usr/bin/env bash
# pcap tests: the real binary on the small captures written by gen_cases.py.
#
#   tests/pcap/run.sh [--update] [CASE...]
#
# For every flow case, selected fields of each flow record (5-tuple, vlan,
# proto, app_proto, ndpi.proto, packets and bytes both ways, start, end,
# end reason, zones) are extracted with jq, sorted, and compared with
# tests/pcap/expected/<case>.json (one flow per line); --update rewrites the
# expected files instead (review the diff before committing them).
# Then: reading from stdin, a BPF expression, --replay, exit codes and
# messages of the error cases, counters of truncated and malformed packets.
# VIGIE=/path/to/vigie overrides build/vigie. Ends with "N passed, N failed".
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/tests/pcap
EXPECTED=$HERE/expected
VIGIE=${VIGIE:-$ROOT/build/vigie}
PY=/usr/bin/python3

update=0
if [ "${1:-}" = --update ]; then update=1; shift; fi
only=("$@")

for tool in jq "$PY"; do
    command -v "$tool" >/dev/null || { echo "pcap tests: $tool is missing"; exit 1; }
done
[ -x "$VIGIE" ] || { echo "pcap tests: no binary at $VIGIE (build first or set VIGIE)"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CASES=$tmp/cases
"$PY" "$HERE/gen_cases.py" "$CASES" || { echo "pcap tests: gen_cases.py failed"; exit 1; }
mkdir -p "$EXPECTED"

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1: $2"; }
wanted() { # wanted NAME: no case list given, or NAME is in it
    [ ${#only[@]} -eq 0 ] && return 0
    local c; for c in "${only[@]}"; do [ "$c" = "$1" ] && return 0; done; return 1
}

# The fields the expected files pin; absent keys (vlan, ports) are dropped.
FIELDS='{src_ip, src_port, dest_ip, dest_port, proto, vlan, app_proto,
         ndpi: .ndpi.proto,
         pkts_toserver: .flow.pkts_toserver, pkts_toclient: .flow.pkts_toclient,
         bytes_toserver: .flow.bytes_toserver, bytes_toclient: .flow.bytes_toclient,
         start: .flow.start, end: .flow.end, reason: .flow.reason,
         src_zone: .vigie.src_zone, dest_zone: .vigie.dest_zone}
        | with_entries(select(.value != null))'

# Section 5 of the spec: what every flow record must carry, whatever the case.
SCHEMA='.event_type == "flow" and (.timestamp | type) == "string"
        and (.flow_id | type) == "number"
        and (.src_ip | type) == "string" and (.dest_ip | type) == "string"
        and (.proto | type) == "string" and (.app_proto | type) == "string"
        and (.ndpi.proto | type) == "string" and (.ndpi.category | type) == "string"
        and (.ndpi.risks | type) == "array"
        and ([.flow.pkts_toserver, .flow.pkts_toclient, .flow.bytes_toserver,
              .flow.bytes_toclient] | all(type == "number"))
        and (.flow.start | type) == "string" and (.flow.end | type) == "string"
        and (.flow.reason | IN("timeout", "shutdown", "forced", "tcp_reuse"))
        and (.vigie.src_zone | type) == "string" and (.vigie.dest_zone | type) == "string"
        and (.community_id | startswith("1:"))
        and ((.proto | IN("TCP", "UDP", "SCTP")) == (has("src_port") and has("dest_port")))'

sanitizer_clean() { ! grep -q 'runtime error\|AddressSanitizer\|LeakSanitizer' "$1"; }

# check_flows NAME EXPECTED_NAME RUN_COMMAND...: the command writes flows to $tmp/NAME.out
check_flows() {
    local name=$1 expname=$2 exp=$EXPECTED/$2.json; shift 2
    local out=$tmp/$name.out err=$tmp/$name.err got=$tmp/$name.got rc
    "$@" >"$tmp/$name.stdout" 2>"$err"; rc=$?
    if [ $rc -ne 0 ] || ! sanitizer_clean "$err"; then
        fail "$name" "exit $rc"; sed 's/^/     /' "$err" | head -20; return
    fi
    if ! jq -e -s "all($SCHEMA)" "$out" >/dev/null 2>&1; then
        fail "$name" "a flow record lacks a field of spec section 5 (or is not JSON):"
        jq -c "select(($SCHEMA) | not)" "$out" 2>&1 | head -5 | sed 's/^/     /'; return
    fi
    jq -c "$FIELDS" "$out" | LC_ALL=C sort >"$got"
    # only the case that owns an expected file rewrites it (variants reuse eth_http)
    if [ $update -eq 1 ] && [ "$name" = "$expname" ]; then
        cp "$got" "$exp"; pass "$name (expected file written)"; return
    fi
    [ -e "$exp" ] || { fail "$name" "no expected file $exp (run with --update, then review it)"; return; }
    if diff -u "$exp" "$got" >"$tmp/$name.diff"; then pass "$name"
    else fail "$name" "flows differ from $(basename "$exp") (- expected, + got):"; sed 's/^/     /' "$tmp/$name.diff"; fi
}

# check_exit NAME WANT_RC STDERR_REGEX RUN_COMMAND...
check_exit() {
    local name=$1 want=$2 re=$3 rc; shift 3
    "$@" >/dev/null 2>"$tmp/$name.err"; rc=$?
    if [ $rc -ne "$want" ]; then fail "$name" "exit $rc, want $want"; sed 's/^/     /' "$tmp/$name.err" | head -10
    elif ! grep -Eqi -- "$re" "$tmp/$name.err"; then fail "$name" "stderr does not match /$re/:"; sed 's/^/     /' "$tmp/$name.err" | head -10
    elif ! sanitizer_clean "$tmp/$name.err"; then fail "$name" "sanitizer report"; head -20 "$tmp/$name.err"
    else pass "$name"; fi
}

V() { "$VIGIE" --no-redis -q "$@"; }

# 1. every capture that must give flows
for f in "$CASES"/*.pcap "$CASES"/*.pcapng; do
    name=$(basename "$f"); name=${name%.*}
    case $name in err_*) continue ;; esac
    wanted "$name" || continue
    exp=$name
    case $name in eth_http_*) exp=eth_http ;; esac  # pcapng and ns variants: same flow
    check_flows "$name" "$exp" V -r "$f" --flows "$tmp/$name.out"
done

# 2. the same captures read from stdin, flows written to stdout
if wanted stdin; then
    stdin_run() { V -r - --flows - <"$1" >"$2"; }
    check_flows stdin_pcap eth_http stdin_run "$CASES/eth_http.pcap" "$tmp/stdin_pcap.out"
    check_flows stdin_pcapng eth_http stdin_run "$CASES/eth_http_ng.pcapng" "$tmp/stdin_pcapng.out"
fi

# 3. a BPF expression keeps only the DNS flow of the mixed capture
wanted bpf_udp && check_flows bpf_udp bpf_udp V -r "$CASES/mixed.pcap" --flows "$tmp/bpf_udp.out" udp

# 4. paced by the packet times (0.2 s of traffic at 2x): the same flows
wanted replay && check_flows replay mixed V -r "$CASES/mixed.pcap" --replay=2 --flows "$tmp/replay.out"

# 5. error cases: exit status and what stderr says
if wanted errors; then
    check_exit err_dlt105 2 'link.?type|DLT|105|802\.11' V -r "$CASES/err_dlt105.pcap" --flows /dev/null
    # must say where: a packet number or a file offset
    check_exit err_corrupt 1 '(packet|record|offset|byte)[^0-9]{0,12}[0-9]+' \
        V -r "$CASES/err_corrupt.pcap" --flows /dev/null
    check_exit err_corrupt_stdin 1 '(packet|record|offset|byte)[^0-9]{0,12}[0-9]+' \
        sh -c '"$0" --no-redis -q -r - --flows /dev/null <"$1"' "$VIGIE" "$CASES/err_corrupt.pcap"
    check_exit err_badmagic 1 '.' V -r "$CASES/err_badmagic.pcap" --flows /dev/null
    check_exit err_missing_file 1 'no such file|nonexistent' V -r "$tmp/nonexistent.pcap" --flows /dev/null
    check_exit err_empty_stdin 1 '.' sh -c '"$0" --no-redis -q -r - --flows /dev/null </dev/null' "$VIGIE"
    check_exit err_bad_bpf 2 'filter|bpf|syntax' V -r "$CASES/eth_http.pcap" --flows /dev/null 'udp port'
    check_exit err_bad_option 2 'usage|unrecognized|unknown|invalid' V --no-such-option
    # the flows read before the corruption are still written
    if V -r "$CASES/err_corrupt.pcap" --flows "$tmp/corrupt.out" 2>/dev/null; [ -s "$tmp/corrupt.out" ]; then
        pass "err_corrupt_keeps_flows"
    else fail "err_corrupt_keeps_flows" "no flow record for the packets read before the corruption"; fi
fi

# 6. truncated and malformed packets are counted in the end summary, not fatal
if wanted counters; then
    for c in truncated:truncated bad_ihl:malformed; do
        f=${c%%:*} word=${c#*:}
        "$VIGIE" --no-redis -q -r "$CASES/$f.pcap" --flows /dev/null 2>"$tmp/$f.sum" >/dev/null
        if grep -Eqi "[1-9][0-9]* $word|${word}[^0-9]{0,3}[1-9]" "$tmp/$f.sum"; then pass "counted_$word"
        else fail "counted_$word" "the end summary shows no $word count:"; sed 's/^/     /' "$tmp/$f.sum"; fi
    done
fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]

#!/usr/bin/env bash
# pcapng of several interfaces and link types (gen_pcapng.py: Ethernet in
# microseconds, Linux cooked in nanoseconds, a big-endian second section of
# raw IP in 2^-20 s) is read whole, from a file and from a pipe: the summary
# counts every packet and the flows of all three interfaces are there, with
# their own timestamps. Corrupt captures on a pipe say where they broke.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
total=$("$PY" "$ROOT/tests/pcap/gen_pcapng.py" "$T/two.pcapng") || { echo "gen_pcapng.py failed"; exit 1; }
V() { "$VIGIE" --no-redis -q "$@"; }

summary_has_all() { grep -q "vigie: $total packets," "$1"; }
# src_port (none for ICMP) and start of each flow: one per interface
FLOWS='10.0.0.1 40200 2023-11-14T22:13:20.000000+0000
10.0.0.1 50200 2023-11-14T22:13:20.050000+0000
10.0.0.7 - 2023-11-14T22:13:20.300000+0000'
flows_of_all() {
    [ "$(jq -r '"\(.src_ip) \(.src_port // "-") \(.flow.start)"' "$1" | LC_ALL=C sort)" = "$FLOWS" ]
}

V -r "$T/two.pcapng" --flows "$T/file.out" 2>"$T/file.err"
check "pcapng file: exit 0" test $? -eq 0
check "pcapng file: every packet read ($total)" summary_has_all "$T/file.err"
check "pcapng file: flows of every interface, own timestamps" flows_of_all "$T/file.out"

cat "$T/two.pcapng" | V -r - --flows "$T/pipe.out" 2>"$T/pipe.err"
check "pcapng pipe: exit 0" test $? -eq 0
check "pcapng pipe: every packet read" summary_has_all "$T/pipe.err"
check "pcapng pipe: flows of every interface" flows_of_all "$T/pipe.out"

V -r - --flows "$T/stdin.out" <"$T/two.pcapng" 2>"$T/stdin.err"
check "pcapng stdin: every packet read" summary_has_all "$T/stdin.err"

# a BPF filter compiled for each link type keeps the DNS flow only
V -r "$T/two.pcapng" --flows "$T/bpf.out" udp 2>/dev/null
check "pcapng BPF per link type" test "$(jq -r .src_port "$T/bpf.out")" = 50200

# an interface of a link type vigie does not decode (147, user 0): its
# packet is counted and skipped with one warning; a file of only such
# interfaces is refused as an unsupported link type (exit 2)
mixed=$("$PY" "$ROOT/tests/pcap/gen_pcapng.py" "$T/mixed.pcapng" 147)
V -r "$T/mixed.pcapng" --flows "$T/mixed.out" 2>"$T/mixed.err"
check "unsupported interface: exit 0" test $? -eq 0
check "unsupported interface: every packet counted ($mixed)" grep -q "vigie: $mixed packets," "$T/mixed.err"
check "unsupported interface: one warning" test "$(grep -c 'warning.*link type 147' "$T/mixed.err")" -eq 1
check "unsupported interface: other flows kept" flows_of_all "$T/mixed.out"
V -r "$T/mixed.pcapng" --flows "$T/mixed_bpf.out" udp 2>/dev/null
check "unsupported interface with a BPF filter" test "$(jq -r .src_port "$T/mixed_bpf.out")" = 50200
"$PY" "$ROOT/tests/pcap/gen_pcapng.py" --only 147 "$T/only.pcapng" >/dev/null
V -r "$T/only.pcapng" --flows /dev/null 2>"$T/only.err"
check "only unsupported interfaces: exit 2" test $? -eq 2
check "only unsupported interfaces: says so" grep -q 'unsupported link type 147' "$T/only.err"

# cut in the middle of a block: exit 1, packet number and byte offset
size=$(stat -c %s "$T/two.pcapng")
head -c $((size - 30)) "$T/two.pcapng" >"$T/cut.pcapng"
corrupt_says_where() { # FILE: from a pipe
    cat "$1" | V -r - --flows /dev/null 2>"$T/cut.err"
    [ $? -eq 1 ] && grep -Eq 'after packet [0-9]+ \(file offset [0-9]+\)' "$T/cut.err"
}
check "truncated pcapng on a pipe: packet and offset" corrupt_says_where "$T/cut.pcapng"

# classic pcap on a pipe: the offset is counted, not ftell's -1
"$PY" "$ROOT/tests/pcap/gen_cases.py" "$T/cases" >/dev/null 2>&1
check "corrupt pcap on a pipe: offset is not -1" corrupt_says_where "$T/cases/err_corrupt.pcap"
check "corrupt pcap on a pipe: the record's offset" grep -q 'file offset 463' "$T/cut.err"
check "classic pcap on a pipe still read" sh -c 'cat "$1" | "$0" --no-redis -q -r - --flows /dev/null' \
    "$VIGIE" "$T/cases/eth_http.pcap"
# what the issue saw: mergecap of an Ethernet and a Linux cooked capture
if command -v mergecap >/dev/null; then
    mergecap -w "$T/merged.pcapng" "$T/cases/eth_http.pcap" "$T/cases/sll.pcap" 2>/dev/null
    V -r "$T/merged.pcapng" --flows "$T/merged.out" 2>"$T/merged.err"
    check "mergecap of two link types: every packet read" grep -q "vigie: 22 packets," "$T/merged.err"
    check "mergecap of two link types: flows of both" test "$(wc -l <"$T/merged.out")" -eq 3
else
    echo "skip mergecap (not installed)"
fi
finish "pcapng tests"

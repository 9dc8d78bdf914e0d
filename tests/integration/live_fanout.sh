#!/usr/bin/env bash
# Live capture by several handles in one PACKET_FANOUT_HASH group (the
# capture layer of --workers, docs/workers.md "Live capture"): over a veth
# pair, tests/tools/fanout_check opens N handles on the end inside a private
# network namespace, one thread each, while tcpreplay sends a capture of many
# flows (IPv4 from scripts/gen-traffic, IPv6 TCP and UDP from scapy) into the
# other end. Each run must see every packet sent, once (the handles' packets
# add up to tcpreplay's count, and each handle's kernel counter is what it
# read plus its drops), every flow (both directions) on one handle only,
# flows on more than one handle (the hash spreads them), and the expected
# number of flows. Runs: 2 handles in immediate mode (TPACKET_V2) in a group
# of a kernel-picked id; 3 handles with TPACKET_V3 blocks in the group of the
# script's pid; 2 handles on "any". Then IPv4 datagrams in 3 fragments each:
# with PACKET_FANOUT_FLAG_DEFRAG each must reach one handle reassembled, as
# one packet. Last, a handle on another interface asking for a group in use
# must be refused with a clear message.
#
#   tests/integration/live_fanout.sh
#
# Needs root, `ip netns` and tcpreplay; skips (exit 0) without them.
# FANOUT_CHECK=/path overrides build/tests/fanout_check; LIVE_SPEED (default
# 10) is the tcpreplay multiplier; FANOUT_FLOWS (default 400) the gen-traffic
# flow count.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CHECK=${FANOUT_CHECK:-$ROOT/build/tests/fanout_check}
SPEED=${LIVE_SPEED:-10}
FLOWS=${FANOUT_FLOWS:-400}
PY=/usr/bin/python3

NAME=live_fanout BIN="$CHECK" PREFIX=f
. "$ROOT/tests/integration/veth_lib.sh"

# The captures: gen-traffic's IPv4 mix, IPv6 flows, fragmented datagrams.
"$ROOT/scripts/gen-traffic" --out "$tmp/v4.pcap" --flows "$FLOWS" --duration 5 >/dev/null 2>&1 &&
    [ -s "$tmp/v4.pcap" ] || { echo "live_fanout: scripts/gen-traffic failed"; exit 1; }
"$PY" - "$tmp" <<'EOF' || { echo "live_fanout: cannot write the IPv6 and fragment captures"; exit 1; }
import sys
from scapy.all import Ether, IP, IPv6, TCP, UDP, Raw, fragment, wrpcap
out = sys.argv[1]
mac_c, mac_s = '02:00:00:00:00:01', '02:00:00:00:00:02'
pkts, t = [], 1700000000.0
def add(p):
    global t
    p.time = t
    t += 0.001
    pkts.append(p)
for i in range(60):  # TCP over IPv6: handshake, request, answer, FIN both ways
    c, s, sp = '2001:db8:1::%x' % (i + 1), '2001:db8:2::%x' % (i % 7 + 1), 40000 + i
    e1, e2 = Ether(src=mac_c, dst=mac_s), Ether(src=mac_s, dst=mac_c)
    add(e1 / IPv6(src=c, dst=s) / TCP(sport=sp, dport=80, flags='S', seq=1))
    add(e2 / IPv6(src=s, dst=c) / TCP(sport=80, dport=sp, flags='SA', seq=100, ack=2))
    add(e1 / IPv6(src=c, dst=s) / TCP(sport=sp, dport=80, flags='A', seq=2, ack=101))
    add(e1 / IPv6(src=c, dst=s) / TCP(sport=sp, dport=80, flags='PA', seq=2, ack=101) /
        Raw(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n'))
    add(e2 / IPv6(src=s, dst=c) / TCP(sport=80, dport=sp, flags='PA', seq=101, ack=29) /
        Raw(b'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'))
    add(e1 / IPv6(src=c, dst=s) / TCP(sport=sp, dport=80, flags='FA', seq=29, ack=140))
    add(e2 / IPv6(src=s, dst=c) / TCP(sport=80, dport=sp, flags='FA', seq=140, ack=30))
for i in range(40):  # UDP over IPv6, question and answer
    c, s = '2001:db8:3::%x' % (i + 1), '2001:db8:4::1'
    add(Ether(src=mac_c, dst=mac_s) / IPv6(src=c, dst=s) / UDP(sport=50000 + i, dport=53) / Raw(b'q' * 30))
    add(Ether(src=mac_s, dst=mac_c) / IPv6(src=s, dst=c) / UDP(sport=53, dport=50000 + i) / Raw(b'a' * 60))
wrpcap(out + '/v6.pcap', pkts)
pkts = []
for i in range(30):  # UDP datagrams of 3000 bytes each way, 3 fragments each
    c, s = '10.77.%d.%d' % (i // 200, i % 200 + 1), '10.78.0.1'
    for src, dst, sp, dp, e in ((c, s, 30000 + i, 9000, Ether(src=mac_c, dst=mac_s)),
                                (s, c, 9000, 30000 + i, Ether(src=mac_s, dst=mac_c))):
        d = IP(src=src, dst=dst, id=1000 + i) / UDP(sport=sp, dport=dp) / Raw(bytes(2992))
        for f in fragment(d, fragsize=1200):
            add(e / f)
wrpcap(out + '/frag.pcap', pkts)
EOF
v6_flows=100 frag_datagrams=60 frag_flows=30

failed=0
fail() { echo "live_fanout: FAIL: $*"; failed=1; }

# start_check ARGS...: fanout_check inside the namespace, ready once it says so
start_check() {
    ip netns exec "$NS" "$CHECK" "$@" >"$tmp/out.json" 2>"$tmp/err" &
    bg_pid=$!
    for _ in $(seq 100); do
        grep -q 'ready' "$tmp/err" 2>/dev/null && return 0
        kill -0 "$bg_pid" 2>/dev/null || break
        sleep 0.1
    done
    wait "$bg_pid"; bg_pid=
    fail "fanout_check $* did not start:"; cat "$tmp/err"
    return 1
}

# stop_check: SIGTERM, then the JSON report in $tmp/out.json
stop_check() {
    kill -TERM "$bg_pid"
    for _ in $(seq 100); do kill -0 "$bg_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$bg_pid" 2>/dev/null; then
        fail "fanout_check still running 10 s after SIGTERM"; kill -KILL "$bg_pid"
    fi
    wait "$bg_pid"; local rc=$?; bg_pid=
    [ $rc -eq 0 ] || { fail "fanout_check exited $rc:"; cat "$tmp/err"; return 1; }
    jq -e . "$tmp/out.json" >/dev/null || { fail "no JSON report:"; cat "$tmp/out.json"; return 1; }
}

# replay FILE...: prints the packets tcpreplay sent
replay() {
    tcpreplay -i "$TX" --multiplier="$SPEED" "$@" >"$tmp/tcpreplay.out" 2>&1 ||
        { echo "live_fanout: tcpreplay failed:" >&2; cat "$tmp/tcpreplay.out" >&2; return 1; }
    grep -Eo 'Successful packets: *[0-9]+' "$tmp/tcpreplay.out" | grep -Eo '[0-9]+$'
}

# q FILTER: a field of the last report
q() { jq -r "$1" "$tmp/out.json"; }

# assert_run LABEL HANDLES RING SENT FLOWS
assert_run() {
    local label=$1 n=$2 ring=$3 sent=$4 flows=$5
    [ "$(q '.handles')" = "$n" ] || fail "$label: $(q '.handles') handles, not $n"
    [ "$(q '.ring')" = "$ring" ] || fail "$label: ring $(q '.ring'), not $ring"
    [ "$(q '.packets_total')" = "$sent" ] || fail "$label: read $(q '.packets_total') packets, sent $sent"
    [ "$(q '.flows_shared')" = 0 ] ||
        fail "$label: $(q '.flows_shared') flows on several handles: $(q '.shared_examples | join("; ")')"
    [ "$(q '.flows_total')" = "$flows" ] || fail "$label: $(q '.flows_total') flows, expected $flows"
    [ "$(q '[.flows[] | select(. > 0)] | length')" -ge 2 ] ||
        fail "$label: flows on one handle only: $(q '.flows | @csv')"
    # drops are reported per handle, and each handle's kernel count of
    # received packets is what it read plus what it dropped
    [ "$(q '[.drops[] | numbers] | length')" = "$n" ] || fail "$label: drops not reported per handle"
    [ "$(q '[range(.handles) as $i | select(.received[$i] != .packets[$i] + .drops[$i])] | length')" = 0 ] ||
        fail "$label: kernel counters differ from the packets read: received $(q '.received | @csv'), read $(q '.packets | @csv'), drops $(q '.drops | @csv')"
    echo "live_fanout: $label: $(q '.ring'), group $(q '.group'): packets per handle $(q '.packets | @csv') (total $(q '.packets_total'), sent $sent), flows per handle $(q '.flows | @csv') (total $(q '.flows_total'), shared $(q '.flows_shared')), kernel drops per handle $(q '.drops | @csv'), interface drops $(q '.if_drops')"
}

# the flows of the IPv4 capture, as fanout_check counts them: decode's keys
v4_flows=$("$PY" - "$tmp/v4.pcap" <<'EOF'
import sys
from scapy.all import PcapReader, IP, TCP, UDP, ICMP
keys = set()
for p in PcapReader(sys.argv[1]):
    if IP not in p:
        continue
    ip = p[IP]
    l4 = ip.payload
    ports = (l4.sport, l4.dport) if isinstance(l4, (TCP, UDP)) else (0, 0)
    keys.add((ip.proto,) + tuple(sorted(((ip.src, ports[0]), (ip.dst, ports[1])))))
print(len(keys))
EOF
)

# runs: label, handles, fanout_check options, ring
run_mixed() {
    local label=$1 n=$2 ring=$3; shift 3
    start_check -n "$n" "$@" || return
    sleep 0.3
    local sent; sent=$(replay "$tmp/v4.pcap" "$tmp/v6.pcap") || { fail "$label: replay"; stop_check; return; }
    sleep 1
    stop_check && assert_run "$label" "$n" "$ring" "$sent" $((v4_flows + v6_flows))
}
echo "live_fanout: replaying $FLOWS gen-traffic flows ($v4_flows keys) + $v6_flows IPv6 flows at ${SPEED}x over $TX -> $RX (namespace $NS)"
run_mixed "2 handles, immediate" 2 TPACKET_V2 "$RX"
run_mixed "3 handles, blocks" 3 TPACKET_V3 -b -g $(($$ & 0xffff)) "$RX"
run_mixed "2 handles on any" 2 TPACKET_V2 any

# fragments: with DEFRAG, one reassembled packet per datagram, on one handle
if start_check -n 2 "$RX"; then
    sleep 0.3
    sent=$(replay "$tmp/frag.pcap") || fail "fragments: replay"
    sleep 1
    if stop_check; then
        [ "$(q '.packets_total')" = "$frag_datagrams" ] ||
            fail "fragments: read $(q '.packets_total') packets for $frag_datagrams datagrams ($sent fragments sent): not reassembled"
        [ "$(q '.flows_total')" = "$frag_flows" ] && [ "$(q '.flows_shared')" = 0 ] ||
            fail "fragments: $(q '.flows_total') flows ($frag_flows expected), $(q '.flows_shared') on several handles"
        [ "$(q '.not_flow | add')" = 0 ] || fail "fragments: $(q '.not_flow | add') packets not decoded as a flow"
        echo "live_fanout: fragments: $sent fragments sent, $(q '.packets_total') reassembled datagrams read, packets per handle $(q '.packets | @csv'), flows per handle $(q '.flows | @csv')"
    fi
fi

# a group in use on another interface is refused, with the reason
gid=$((($$ + 1) & 0xffff))
if start_check -n 1 -g "$gid" "$RX"; then
    if ip netns exec "$NS" "$CHECK" -n 1 -t 1 -g "$gid" lo >/dev/null 2>"$tmp/err2"; then
        fail "joining group $gid in use on $RX from lo succeeded"
    elif ! grep -q "cannot join fanout group $gid: the group exists with other settings or on another interface" "$tmp/err2"; then
        fail "unclear message for a group in use:"; cat "$tmp/err2"
    else
        echo "live_fanout: group in use elsewhere: $(head -1 "$tmp/err2")"
    fi
    stop_check
fi

[ $failed -eq 0 ] && echo "live_fanout: ok"
exit $failed

#!/usr/bin/env bash
# Behaviour identity across a refactor: the sensor built from BASE_REV and the
# current one read the same captures with the same config; their alerts and
# flow records must be the same, order aside (each line as canonical JSON,
# jq -S -c, then sorted, seen through OLD_VIEW below), and so must their
# exit status.
#
#   tests/pcap/corpus_same.sh
#
# Captures: every pcap, pcapng and cap of ../shared/corpus (ndpi/ included)
# with ../shared/expect/corpus.yaml, and the scenario of scripts/gen-scenario
# with config/vigie.yaml; each as `vigie -c CONFIG -r F --no-redis -q -A A --flows F`.
# Without ../shared only the scenario runs. BASE_REV is built once (git archive,
# cmake Release, target vigie) into build-base/<commit>/ and reused; without
# that commit in the history the test is skipped.
# Env: VIGIE (default build/vigie), SHARED, BASE_DIR (default build-base), JOBS (2).
# Ends with "N passed, N failed" (one per capture).
set -uo pipefail

# This pins the behaviour across issue 8's refactor: dcf2077 is the last
# commit before the tree was reorganised into pipeline stages. BASE_REV=REV
# in the environment compares against another commit.
BASE_REV=${BASE_REV:-dcf2077}
# Captures whose output changed on purpose since BASE_REV, one a line with
# the reason: they must differ (a listed capture that is identical again
# fails, so the list cannot go stale); every other capture must not.
CHANGES=${CHANGES:-$(dirname "$0")/corpus_same_changes.txt}

. "$(dirname "$0")/../lib.sh"
SHARED=${SHARED:-$(cd "$ROOT/.." && pwd)/shared}
BASE_DIR=${BASE_DIR:-$ROOT/build-base}
JOBS=${JOBS:-2}
PY=/usr/bin/python3
start=$SECONDS

[ -x "$VIGIE" ] || { echo "corpus_same: no binary at $VIGIE (build first or set VIGIE)"; exit 1; }
command -v jq >/dev/null || { echo "corpus_same: jq is missing"; exit 1; }
sha=$(git -C "$ROOT" rev-parse -q --verify "$BASE_REV^{commit}" 2>/dev/null) || {
    echo "corpus_same: commit $BASE_REV is not in this repository's history: skipped"
    exit 0
}

# build_base: the sensor of BASE_REV, built once per commit.
BASE=$BASE_DIR/$sha/build/vigie
build_base() {
    [ -x "$BASE" ] && return 0
    echo "corpus_same: building $BASE_REV into $BASE_DIR/$sha"
    rm -rf "$BASE_DIR/$sha" && mkdir -p "$BASE_DIR/$sha/src" &&
        git -C "$ROOT" archive "$sha" | tar -x -C "$BASE_DIR/$sha/src" &&
        cmake -S "$BASE_DIR/$sha/src" -B "$BASE_DIR/$sha/build" -DCMAKE_BUILD_TYPE=Release \
            >"$BASE_DIR/$sha/build.log" 2>&1 &&
        cmake --build "$BASE_DIR/$sha/build" --target vigie -j"$JOBS" >>"$BASE_DIR/$sha/build.log" 2>&1 ||
        { tail -20 "$BASE_DIR/$sha/build.log"; return 1; }
}
build_base || { echo "corpus_same: building $BASE_REV failed"; exit 1; }

# Issue 12 made the records Suricata's EVE; both outputs are read as the old
# record's fields, so that only behaviour shows: flow zones back at the root
# (from vigie), values mapped where only the name changed (reason eof =
# shutdown, tcp_reuse = the timeout the old build wrote, an app_proto
# Suricata has no name for = failed, protocol numbers = IANA names), the
# fields the old build did not write dropped (flow community_id, state,
# alerted, tcp, icmp_*, an alert's direction and flow tuple), and ICMP
# community ids, fixed on purpose, too.
OLD_VIEW='
def suricata_apps: ["http","tls","dns","smb","dcerpc","krb5","ssh","rdp","ldap","ntp","dhcp",
  "smtp","ftp","ftp-data","snmp","sip","rfb","telnet","mqtt","imap","pop3","quic","nfs","tftp",
  "modbus","dnp3","enip","ike","pgsql","http2","bittorrent-dht","websocket","mdns"];
def iana: {"0":"HOPOPT","2":"IGMP","4":"IP-in-IP","8":"EGP","9":"IGP","33":"DCCP","41":"IPv6",
  "43":"IPv6-Route","44":"IPv6-Frag","46":"RSVP","47":"GRE","50":"ESP","51":"AH",
  "59":"IPv6-NoNxt","60":"IPv6-Opts","88":"EIGRP","89":"OSPF","94":"OS","103":"PIM",
  "108":"IPComp","112":"VRRP","115":"L2TP","135":"Mobility","136":"UDPLite","137":"MPLS-in-IP"};
(if .event_type == "flow" then
   (if .vigie then .src_zone = .vigie.src_zone | .dest_zone = .vigie.dest_zone else . end)
   | del(.vigie, .community_id, .tcp, .flow.state, .flow.alerted)
 elif .event_type == "alert" then
   del(.direction, .flow.src_ip, .flow.dest_ip, .flow.src_port, .flow.dest_port)
 else . end)
| del(.icmp_type, .icmp_code, .response_icmp_type, .response_icmp_code)
| if (.proto | IN("ICMP", "IPv6-ICMP")) then del(.community_id) else . end
| if .flow.reason == "eof" then .flow.reason = "shutdown" else . end
| if .flow.reason == "tcp_reuse" then .flow.reason = "timeout" else . end
| if .app_proto and (.app_proto | IN(suricata_apps[]) | not) then .app_proto = "failed" else . end
| if .proto then .proto = (iana[.proto] // .proto) else . end'

# canon BIN CONFIG CAPTURE OUT: exit status, then alert and flow records, canonical and sorted.
canon() {
    local bin=$1 cfg=$2 cap=$3 out=$4
    "$bin" -c "$cfg" -r "$cap" --no-redis -q -A "$out.alerts" --flows "$out.flows" >/dev/null 2>"$out.err"
    echo "exit $?" >"$out"
    # event_type tells an alert from a flow record: one jq for both files.
    cat "$out.alerts" "$out.flows" 2>/dev/null | jq -S -c "$OLD_VIEW" | sort >>"$out"
    rm -f "$out.alerts" "$out.flows"
}

# same I CONFIG CAPTURE: "same" or "differ" in $T/res/I, the diff beside it.
same() {
    local i=$1 cfg=$2 cap=$3
    canon "$BASE" "$cfg" "$cap" "$T/run/$i.base"
    canon "$VIGIE" "$cfg" "$cap" "$T/run/$i.new"
    if cmp -s "$T/run/$i.base" "$T/run/$i.new"; then
        echo same >"$T/res/$i"
    else
        echo differ >"$T/res/$i"
        diff "$T/run/$i.base" "$T/run/$i.new" | head -6 >"$T/res/$i.diff"
    fi
    rm -f "$T/run/$i.base" "$T/run/$i.new" "$T/run/$i.base.err" "$T/run/$i.new.err"
}

mkdir -p "$T/run" "$T/res"
caps=() cfgs=() labels=()
if "$PY" "$ROOT/scripts/gen-scenario" --out "$T/scenario.pcap" 2>"$T/gen.err"; then
    caps+=("$T/scenario.pcap") cfgs+=("$ROOT/config/vigie.yaml") labels+=("scenario (gen-scenario)")
else
    failed=$((failed + 1))
    echo "FAIL scenario: gen-scenario failed: $(tail -1 "$T/gen.err")"
fi
if [ -d "$SHARED/corpus" ] && [ -f "$SHARED/expect/corpus.yaml" ]; then
    while IFS= read -r -d '' f; do
        caps+=("$f") cfgs+=("$SHARED/expect/corpus.yaml") labels+=("${f#"$SHARED/corpus/"}")
    done < <(find "$SHARED/corpus" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) \
        -print0 | sort -z)
else
    echo "corpus_same: no corpus at $SHARED/corpus: corpus skipped, scenario only"
fi

running=0
for i in "${!caps[@]}"; do
    same "$i" "${cfgs[$i]}" "${caps[$i]}" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done
wait

declare -A changed=()
if [ -f "$CHANGES" ]; then
    while IFS=$'\t' read -r cap why; do
        case $cap in '' | '#'*) continue ;; esac
        changed["$cap"]=$why
    done <"$CHANGES"
fi

# One line per folder of the corpus, and one per capture that differs.
declare -A ok_in=()
for i in "${!caps[@]}"; do
    group=${labels[$i]%%/*}
    [ "$group" = "${labels[$i]}" ] && group=${labels[$i]}
    res=$(cat "$T/res/$i" 2>/dev/null)
    if [ -n "${changed["${labels[$i]}"]+set}" ]; then
        if [ "$res" = differ ]; then
            passed=$((passed + 1))
            echo "ok   ${labels[$i]}: changed as listed (${changed["${labels[$i]}"]})"
        else
            failed=$((failed + 1))
            echo "FAIL ${labels[$i]}: listed in $(basename "$CHANGES") but identical to $BASE_REV: remove it"
        fi
    elif [ "$res" = same ]; then
        passed=$((passed + 1)) ok_in["$group"]=$((${ok_in["$group"]:-0} + 1))
    else
        failed=$((failed + 1))
        echo "FAIL ${labels[$i]}: output differs from $BASE_REV (< $BASE_REV, > now):"
        sed 's/^/       /' "$T/res/$i.diff" 2>/dev/null
    fi
done
while IFS= read -r group; do
    [ -n "$group" ] && echo "ok   $group: ${ok_in["$group"]} identical"
done < <(printf '%s\n' "${!ok_in[@]}" | sort)
echo "corpus_same: ${#caps[@]} captures against $BASE_REV in $((SECONDS - start)) s"
finish corpus_same

#!/usr/bin/env bash
# scripts/vigie-tail against a private redis-server (127.0.0.1, free port):
#  - channel: PUBLISH-ed alerts print one line each (time, severity,
#    detector, technique, zones, endpoints, evidence, (xN));
#  - stream: --stream --from-start prints what XADD stored, then follows;
#    --stream alone prints only new entries; --prefix; password, db and a
#    unix socket; a Redis restart (AOF) in the middle loses nothing;
#  - --file F and --file - (no Redis); no colour codes with --no-color or
#    into a pipe, and no terminal escapes from the data;
#  - Ctrl-C (SIGINT) exits 0 without a traceback;
#  - incidents: one line per change of each version ("INCIDENT <id> v<n>"),
#    in order with the alerts, from a file, the channel <prefix>:incidents
#    and the streams (merged in id order); on each scenario's -A file (which
#    must hold incidents) every change and hop has its line.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    echo "tail_test: skipped (no redis-server/redis-cli)"
    exit 0
fi
. "$ROOT/tests/integration/redis_helpers.sh"
. "$ROOT/tests/integration/incident_helpers.sh"
PY=/usr/bin/python3
TAIL=$ROOT/scripts/vigie-tail
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    redis_stop
    rm -rf "$T"
}
trap cleanup EXIT

# SIGINT is ignored by background jobs of a script: start vigie-tail with it
# restored, as in a terminal.
run_tail() { # OUT ARGS... : runs vigie-tail in the background, sets TPID
    local out=$1; shift
    $PY -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
        "$TAIL" "$@" >"$out" 2>"$out.err" &
    TPID=$!
    PIDS+=("$TPID")
}
wait_lines() { # FILE N [SECONDS] : until FILE has N alert lines (not the "-- day --" ones)
    local tries=$((${3:-10} * 20))
    while [ "$tries" -gt 0 ]; do
        [ "$(grep -vc '^-- ' "$1" 2>/dev/null)" -ge "$2" ] && return 0
        tries=$((tries - 1)); sleep 0.05
    done
    return 1
}
wait_subscribers() { # CHANNEL N
    local _
    for _ in $(seq 200); do
        [ "$(redis-cli -p "$REDIS_PORT" PUBSUB NUMSUB "$1" | tail -1)" -ge "$2" ] && return 0
        sleep 0.05
    done
    return 1
}
nlines() { grep -vc '^-- ' "$1"; }
has_all() { # FILE WORD...
    local f=$1 w; shift
    for w in "$@"; do grep -qF -- "$w" "$f" || { echo "missing: $w" >&2; return 1; }; done
}
no_escapes() { ! grep -q $'\x1b' "$1"; }
not() { ! "$@"; }

# Three alerts as the sensor writes them (one aggregated, one with a
# terminal escape sequence in its evidence).
cat >"$T/alerts.json" <<'EOF'
{"timestamp":"2024-03-12T09:21:13.061981+0000","flow_id":1,"community_id":"1:a=","event_type":"alert","host":"span-test","src_ip":"10.10.1.20","src_port":49713,"dest_ip":"10.20.0.10","dest_port":445,"proto":"TCP","app_proto":"smb","alert":{"action":"allowed","gid":1,"signature_id":9100300,"rev":1,"signature":"VIGIE SMB admin share ADMIN$","category":"Lateral Movement","severity":1,"metadata":{"mitre_tactic_id":["TA0008"],"mitre_tactic_name":["Lateral Movement"],"mitre_technique_id":["T1021.002"],"mitre_technique_name":["Remote Services: SMB/Windows Admin Shares"]}},"vigie":{"detector":"smb_admin_share","src_zone":"agglo-users","dest_zone":"mairie-servers","policy":"deny","count":1,"evidence":{"share":"\\\\SRV-FIC\\ADMIN$","user":"bob\u001b[31mRED"}},"flow":{"pkts_toserver":5,"pkts_toclient":4,"bytes_toserver":900,"bytes_toclient":700,"start":"2024-03-12T09:21:13.000000+0000"}}
{"timestamp":"2024-03-12T09:35:18.613984+0000","flow_id":2,"community_id":"1:b=","event_type":"alert","host":"span-test","src_ip":"10.20.0.10","src_port":50001,"dest_ip":"10.30.0.10","dest_port":49667,"proto":"TCP","app_proto":"dcerpc","alert":{"action":"allowed","gid":1,"signature_id":9100700,"rev":1,"signature":"VIGIE DCSync from a non-DC","category":"Credential Access","severity":1,"metadata":{"mitre_tactic_id":["TA0006"],"mitre_tactic_name":["Credential Access"],"mitre_technique_id":["T1003.006"],"mitre_technique_name":["OS Credential Dumping: DCSync"]}},"vigie":{"detector":"dcsync","src_zone":"mairie-servers","dest_zone":"agglo-dc","policy":"allow","count":1,"evidence":{"interface":"drsuapi","function":"DRSGetNCChanges"}},"flow":{"pkts_toserver":9,"pkts_toclient":8,"bytes_toserver":4000,"bytes_toclient":90000,"start":"2024-03-12T09:35:18.000000+0000"}}
{"timestamp":"2024-03-12T09:40:17.900169+0000","flow_id":3,"community_id":"1:c=","event_type":"alert","host":"span-test","src_ip":"10.20.0.21","src_port":50002,"dest_ip":"10.10.1.10","dest_port":3389,"proto":"TCP","app_proto":"rdp","alert":{"action":"allowed","gid":1,"signature_id":9100100,"rev":1,"signature":"VIGIE Segmentation policy violation mairie-servers -> agglo-users (RDP)","category":"Policy Violation","severity":2,"metadata":{"mitre_tactic_id":["TA0008"],"mitre_tactic_name":["Lateral Movement"]}},"vigie":{"detector":"policy_violation","src_zone":"mairie-servers","dest_zone":"agglo-users","policy":"deny","count":4,"evidence":{"app":"RDP","server_port":3389,"rule":"default deny"}},"flow":{"pkts_toserver":3,"pkts_toclient":2,"bytes_toserver":400,"bytes_toclient":300,"start":"2024-03-12T09:40:17.000000+0000"}}
EOF
EXPECT=(smb_admin_share dcsync policy_violation "agglo-users -> mairie-servers" "mairie-servers -> agglo-dc"
    "mairie-servers -> agglo-users" T1021.002 T1003.006 TA0008 "10.20.0.10:445" "(x4)" "09:21:13" sev1 sev2)
mapfile -t LINES <"$T/alerts.json"
FOURTH=${LINES[0]/\"flow_id\":1,/\"flow_id\":4,}
FOURTH=${FOURTH/smb_admin_share/lateral_tool_transfer}

# Incidents: three versions of one, interleaved with the alerts that made
# them (docs/incidents.md), then closed.
inc_json() { # VERSION CHANGE STATE HOSTS HOPS ZONES TACTICS SCORE
    printf '{"timestamp":"2024-03-12T09:%s+0000","event_type":"incident","host":"span-test","incident":{"id":"5eed00000000000a","version":%s,"state":"%s","change":%s,"first_seen":"2024-03-12T09:21:13.061981+0000","last_seen":"2024-03-12T09:35:18.613984+0000","severity":1,"score":%s,"alerts":%s,"origin":"10.10.1.20","hosts":%s,"hops":%s,"zones":%s,"tactics":%s,"pivots":%s,"hosts_dropped":0,"hops_dropped":0}}\n' "$@"
}
HOST1='{"ip":"10.10.1.20","zone":"agglo-users","role":"origin","first_seen":"2024-03-12T09:21:13.061981+0000"}'
HOST2T='{"ip":"10.20.0.10","zone":"mairie-servers","role":"target","first_seen":"2024-03-12T09:21:13.061981+0000"}'
HOST2P=${HOST2T/target/pivot}
HOST3='{"ip":"10.30.0.10","zone":"agglo-dc","role":"target","first_seen":"2024-03-12T09:35:18.613984+0000"}'
HOP1='{"src_ip":"10.10.1.20","dest_ip":"10.20.0.10","src_zone":"agglo-users","dest_zone":"mairie-servers","first_seen":"2024-03-12T09:21:13.061981+0000","last_seen":"2024-03-12T09:21:13.061981+0000","techniques":["T1021.002"],"detectors":["smb_admin_share"],"alerts":1,"allowed_flows":0}'
HOP2='{"src_ip":"10.20.0.10","dest_ip":"10.30.0.10","src_zone":"mairie-servers","dest_zone":"agglo-dc","first_seen":"2024-03-12T09:35:18.613984+0000","last_seen":"2024-03-12T09:35:18.613984+0000","techniques":["T1003.006"],"detectors":["dcsync"],"alerts":1,"allowed_flows":0}'
INC=(
    "$(inc_json 21:13.061981 1 open '["new_incident","new_host","new_hop","new_zone","new_tactic"]' 25 1 \
        "[$HOST1,$HOST2T]" "[$HOP1]" '["agglo-users","mairie-servers"]' '["TA0008"]' 0)"
    "$(inc_json 35:18.613984 2 open '["new_host","new_hop","new_technique","new_zone","new_tactic","pivot"]' 60 2 \
        "[$HOST1,$HOST2P,$HOST3]" "[$HOP1,$HOP2]" '["agglo-users","mairie-servers","agglo-dc"]' \
        '["TA0008","TA0006"]' 1)"
    "$(inc_json 59:00.000000 3 closed '["closed"]' 60 2 "[$HOST1,$HOST2P,$HOST3]" "[$HOP1,$HOP2]" \
        '["agglo-users","mairie-servers","agglo-dc"]' '["TA0008","TA0006"]' 1)"
)
printf '%s\n' "${LINES[0]}" "${INC[0]}" "${LINES[1]}" "${INC[1]}" "${INC[2]}" >"$T/inc.json"
I='INCIDENT 5eed00000000000a'
INC_EXPECT=("$I v1  09:21:13  sev1  score 25  new incident: origin 10.10.1.20 (agglo-users)"
    "$I v1  09:21:13  sev1  score 25  new host 10.20.0.10 (mairie-servers) target"
    "$I v1  09:21:13  sev1  score 25  new hop 10.10.1.20 -> 10.20.0.10 (agglo-users -> mairie-servers) T1021.002"
    "$I v1  09:21:13  sev1  score 25  new zone mairie-servers"
    "$I v1  09:21:13  sev1  score 25  new tactic TA0008 Lateral Movement"
    "$I v2  09:35:18  sev1  score 60  new host 10.30.0.10 (agglo-dc) target"
    "$I v2  09:35:18  sev1  score 60  new hop 10.20.0.10 -> 10.30.0.10 (mairie-servers -> agglo-dc) T1003.006"
    "$I v2  09:35:18  sev1  score 60  new technique 10.20.0.10 -> 10.30.0.10: T1003.006"
    "$I v2  09:35:18  sev1  score 60  new zone agglo-dc"
    "$I v2  09:35:18  sev1  score 60  new tactic TA0006 Credential Access"
    "$I v2  09:35:18  sev1  score 60  pivot 10.20.0.10 (mairie-servers)"
    "$I v3  09:59:00  sev1  score 60  closed: 2 alerts, 3 hosts, 3 zones")
incident_lines_ok() { # OUT : the 12 incident lines, each change once, after their alert
    local e
    [ "$(grep -c '^INCIDENT ' "$1")" -eq 12 ] || return 1
    for e in "${INC_EXPECT[@]}"; do [ "$(grep -cF -- "$e" "$1")" -eq 1 ] || { echo "missing: $e" >&2; return 1; }; done
    # The order of the file: alert, its incident version, alert, the next ones.
    [ "$(grep -v '^-- ' "$1" | sed -n 1p | cut -c1-8)" = "09:21:13" ] &&
        grep -v '^-- ' "$1" | sed -n 2p | grep -q "^$I v1 " &&
        grep -v '^-- ' "$1" | sed -n 7p | grep -q "dcsync" &&
        grep -v '^-- ' "$1" | sed -n 8p | grep -q "^$I v2 " &&
        grep -v '^-- ' "$1" | sed -n 14p | grep -q "^$I v3 .*closed"
}

redis_start "$T/redis" || { echo "tail_test: redis-server did not start"; exit 1; }
rc() { redis-cli -p "$REDIS_PORT" "$@"; }

# --- The channel -----------------------------------------------------------
run_tail "$T/chan.out" --redis "$REDIS_URL" --no-color
CHAN_PID=$TPID
check "vigie-tail subscribes to vigie:alerts" wait_subscribers vigie:alerts 1
for l in "${LINES[@]}"; do rc PUBLISH vigie:alerts "$l" >/dev/null; done
check "channel: 3 alerts, 3 lines" wait_lines "$T/chan.out" 3
check "channel: exactly 3 lines" test "$(nlines "$T/chan.out")" -eq 3
check "channel: detectors, zones, techniques, endpoints, (xN)" has_all "$T/chan.out" "${EXPECT[@]}"
check "channel: evidence summary" has_all "$T/chan.out" 'share=\\SRV-FIC\ADMIN$' "function=DRSGetNCChanges"
check "no colour, and no terminal escape from the data" no_escapes "$T/chan.out"
check "the escape in the data is shown as text" grep -qF 'bob\x1b[31mRED' "$T/chan.out"
rc PUBLISH vigie:alerts '{"event_type":"flow","src_zone":"x"}' >/dev/null
rc PUBLISH vigie:alerts 'not json' >/dev/null
rc PUBLISH vigie:alerts "$FOURTH" >/dev/null
skipped_ok() {
    wait_lines "$T/chan.out" 4 5 && [ "$(nlines "$T/chan.out")" -eq 4 ] &&
        grep -q lateral_tool_transfer "$T/chan.out" && grep -q 'not JSON' "$T/chan.out.err"
}
check "channel: a non-alert event is skipped, a non-JSON one reported" skipped_ok
kill -INT "$CHAN_PID"
wait "$CHAN_PID"
st=$?
check "Ctrl-C: exit status 0" test "$st" -eq 0
check "Ctrl-C: no traceback" not grep -q Traceback "$T/chan.out.err"

# --- The stream --------------------------------------------------------------
for l in "${LINES[@]}"; do rc XADD vigie:alerts '*' alert "$l" >/dev/null; done
run_tail "$T/new.out" --redis "$REDIS_URL" --stream --no-color
NEW_PID=$TPID
run_tail "$T/stream.out" --redis "$REDIS_URL" --stream --from-start --no-color
STREAM_PID=$TPID
check "stream --from-start: the 3 stored alerts" wait_lines "$T/stream.out" 3
check "stream: detectors, zones, techniques, endpoints, (xN)" has_all "$T/stream.out" "${EXPECT[@]}"
wait_xread() { # N : N clients blocked in XREAD
    local _
    for _ in $(seq 200); do
        [ "$(rc CLIENT LIST | grep -c 'cmd=xread')" -ge "$1" ] && return 0
        sleep 0.05
    done
    return 1
}
check "both followers wait in XREAD BLOCK" wait_xread 2
rc XADD vigie:alerts '*' alert "$FOURTH" >/dev/null
check "stream: follows new entries" sh -c "$(declare -f wait_lines nlines);
    wait_lines '$T/stream.out' 4 5 && [ \$(nlines '$T/stream.out') -eq 4 ] && grep -q lateral_tool_transfer '$T/stream.out'"
check "stream without --from-start: only the new entry" sh -c "$(declare -f wait_lines nlines);
    wait_lines '$T/new.out' 1 5 && sleep 0.2 && [ \$(nlines '$T/new.out') -eq 1 ] && grep -q lateral_tool_transfer '$T/new.out'"
kill -INT "$STREAM_PID" "$NEW_PID"
wait "$STREAM_PID"
check "stream: Ctrl-C exits 0" test $? -eq 0

for l in "${LINES[@]}"; do rc XADD other:alerts '*' alert "$l" >/dev/null; done
three_within() { # OUT ARGS... : vigie-tail ARGS prints 3 alerts within 2 s
    local out=$1; shift
    timeout -s INT 2 "$TAIL" "$@" --no-color >"$out" 2>"$out.err"
    [ "$(nlines "$out")" -eq 3 ]
}
check "--prefix other" three_within "$T/prefix.out" --redis "$REDIS_URL" --prefix other --from-start

# Incidents live: the channel <prefix>:incidents with the alerts' one, and
# both streams read in the order they were written (ids given: 1-0, 2-0...).
"$TAIL" --file "$T/inc.json" --no-color >"$T/inc-file.out" 2>&1
run_tail "$T/inc-chan.out" --redis "$REDIS_URL" --prefix inc --no-color
INC_CHAN_PID=$TPID
check "vigie-tail subscribes to inc:alerts and inc:incidents" sh -c "$(declare -f wait_subscribers rc);
    REDIS_PORT=$REDIS_PORT; wait_subscribers inc:incidents 1 && wait_subscribers inc:alerts 1"
n=0
while IFS= read -r l; do
    n=$((n + 1))
    case $l in
    *'"event_type":"incident"'*) rc PUBLISH inc:incidents "$l" >/dev/null; rc XADD inc:incidents "$n-0" incident "$l" >/dev/null ;;
    *) rc PUBLISH inc:alerts "$l" >/dev/null; rc XADD inc:alerts "$n-0" alert "$l" >/dev/null ;;
    esac
done <"$T/inc.json"
check "channel: incident lines, in the order published" sh -c "$(declare -f wait_lines);
    wait_lines '$T/inc-chan.out' 14 5 && cmp -s '$T/inc-file.out' '$T/inc-chan.out'"
kill -INT "$INC_CHAN_PID"
wait "$INC_CHAN_PID"
timeout -s INT 2 "$TAIL" --redis "$REDIS_URL" --prefix inc --from-start --no-color >"$T/inc-stream.out" 2>&1
check "stream: both streams, merged in id order" cmp -s "$T/inc-file.out" "$T/inc-stream.out"

# Password, database number, unix socket.
rc CONFIG SET requirepass 's3cr@t/x' >/dev/null
auth() { redis-cli -p "$REDIS_PORT" -a 's3cr@t/x' --no-auth-warning "$@"; }
for l in "${LINES[@]}"; do auth -n 3 XADD vigie:alerts '*' alert "$l" >/dev/null; done
check "password (%-encoded) and /db over TCP" three_within "$T/db.out" \
    --redis "redis://:s3cr%40t%2Fx@127.0.0.1:$REDIS_PORT/3" --from-start
check "password and ?db=3 over the unix socket" three_within "$T/unix.out" \
    --redis "unix://:s3cr%40t%2Fx@$REDIS_SOCK?db=3" --from-start
bad_password() {
    ! timeout 5 "$TAIL" --redis "redis://:nope@127.0.0.1:$REDIS_PORT" >/dev/null 2>"$T/badpw.err" &&
        grep -q 'vigie-tail: redis: WRONGPASS' "$T/badpw.err"
}
check "a wrong password is an error, not a hang" bad_password
check "a bad URL is refused" not "$TAIL" --redis http://x
redis_stop

# A Redis restart while following the stream: nothing lost, nothing twice.
P2=$(redis_free_port)
mkdir -p "$T/aof"
start_aof() {
    redis-server --port "$P2" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync always \
        --dir "$T/aof" --logfile "$T/aof/log" &
    AOF_PID=$!
    PIDS+=("$AOF_PID")
    for _ in $(seq 100); do redis-cli -p "$P2" PING 2>/dev/null | grep -q PONG && return 0; sleep 0.05; done
    return 1
}
if start_aof; then
    redis-cli -p "$P2" XADD vigie:alerts '*' alert "${LINES[0]}" >/dev/null
    run_tail "$T/restart.out" --redis "redis://127.0.0.1:$P2" --stream --from-start --no-color
    RS_PID=$TPID
    wait_lines "$T/restart.out" 1 5
    kill "$AOF_PID"; wait "$AOF_PID" 2>/dev/null
    sleep 0.5
    start_aof
    redis-cli -p "$P2" XADD vigie:alerts '*' alert "${LINES[1]}" >/dev/null
    redis-cli -p "$P2" XADD vigie:alerts '*' alert "${LINES[2]}" >/dev/null
    wait_lines "$T/restart.out" 3 10
    check "redis restart: reconnects and resumes the stream, nothing lost or twice" sh -c "
        [ \$(grep -vc '^-- ' '$T/restart.out') -eq 3 ] && grep -q reconnected '$T/restart.out.err'"
    kill -INT "$RS_PID"
    kill "$AOF_PID"
else
    failed=$((failed + 1)); echo "FAIL a second redis-server (AOF) for the restart test"
fi

# --- Files, stdin, colour ----------------------------------------------------
"$TAIL" --file "$T/alerts.json" >"$T/file.out" 2>&1
check "--file F: 3 lines" test "$(nlines "$T/file.out")" -eq 3
same_as_channel() { head -4 "$T/chan.out" | cmp -s - "$T/file.out"; }
check "--file F: the same lines as from the channel" same_as_channel
check "--file F: detectors, zones, techniques, endpoints, (xN)" has_all "$T/file.out" "${EXPECT[@]}"
"$TAIL" --file - <"$T/alerts.json" >"$T/stdin.out" 2>&1
check "--file - (stdin)" cmp "$T/file.out" "$T/stdin.out"
check "a pipe gets no colour" no_escapes "$T/file.out"
if command -v script >/dev/null; then
    script -qc "'$TAIL' --file '$T/alerts.json'" /dev/null >"$T/tty.out" 2>&1
    script -qc "'$TAIL' --file '$T/alerts.json' --no-color" /dev/null >"$T/tty-nc.out" 2>&1
    check "a terminal gets colour (sev1 red)" grep -qF $'\033[1;31msev1' "$T/tty.out"
    check "a terminal with --no-color gets none" no_escapes "$T/tty-nc.out"
fi
check "--file with --redis is refused" not "$TAIL" --file "$T/alerts.json" --redis "$REDIS_URL"
check "incidents --file: one line per change, after their alert" incident_lines_ok "$T/inc-file.out"
check "incidents --file: the first line of each version says INCIDENT <id> v<version>" sh -c "
    [ \$(grep -c '^INCIDENT 5eed00000000000a v[123]  ' '$T/inc-file.out') -eq 12 ]"
# A version alone (started mid-way): what is new is read from the end of its lists.
printf '%s\n' "${INC[1]}" | "$TAIL" --file - >"$T/inc-alone.out" 2>&1
check "incidents: a version seen alone still names its new hop and pivot" has_all "$T/inc-alone.out" \
    "new hop 10.20.0.10 -> 10.30.0.10 (mairie-servers -> agglo-dc) T1003.006" "pivot 10.20.0.10 (mairie-servers)"
# A merge (rule 4): J's last version says where it went, I's names J.
J1=${INC[0]//5eed00000000000a/5eed00000000000b}
J2=$(inc_json 21:14.000000 2 merged '["merged"]' 25 1 "[$HOST1,$HOST2T]" "[$HOP1]" \
    '["agglo-users","mairie-servers"]' '["TA0008"]' 0)
J2=${J2//5eed00000000000a/5eed00000000000b}
J2=${J2/\"state\":\"merged\"/\"state\":\"merged\",\"merged_into\":\"5eed00000000000a\"}
I1=$(inc_json 21:14.000000 1 open '["new_incident","new_host","merged","pivot"]' 35 2 "[$HOST1,$HOST2P]" "[$HOP1]" \
    '["agglo-users","mairie-servers"]' '["TA0008"]' 1)
printf '%s\n' "$J1" "$J2" "$I1" | "$TAIL" --file - >"$T/merge.out" 2>&1
check "incidents: a merge names both ends" has_all "$T/merge.out" \
    "INCIDENT 5eed00000000000b v2  09:21:14  sev1  score 25  merged into 5eed00000000000a" \
    "INCIDENT 5eed00000000000a v1  09:21:14  sev1  score 35  merged: incident 5eed00000000000b joined (now 2 hosts, 1 hops)" \
    "INCIDENT 5eed00000000000a v1  09:21:14  sev1  score 35  new host 10.20.0.10 (mairie-servers) pivot" \
    "INCIDENT 5eed00000000000a v1  09:21:14  sev1  score 35  pivot 10.20.0.10 (mairie-servers)"
if command -v script >/dev/null; then
    script -qc "'$TAIL' --file '$T/inc.json'" /dev/null >"$T/inc-tty.out" 2>&1
    check "a terminal gets the INCIDENT prefix in colour" grep -qF $'\033[1;35mINCIDENT 5eed00000000000a v1' "$T/inc-tty.out"
fi
# Each scenario story's -A file (or, while the sensor writes no incident,
# versions derived from its alerts; see the note): every version prints, with
# one line per change it lists, and every hop of every incident has its line.
for story in $(scenario_stories); do
    if ! scenario_incidents "$T/sc-$story" "$story"; then
        failed=$((failed + 1)); echo "FAIL scenario $story: no incidents from the sensor"
        continue
    fi
    "$TAIL" --file "$INC_FILE" --no-color >"$T/sc.out" 2>"$T/sc.err"
    check "scenario $story ($INC_SOURCE incidents): every version and change rendered" \
        $PY - "$INC_FILE" "$T/sc.out" <<'EOF'
import json, sys
text = {"new_incident": "new incident", "new_host": "new host", "new_hop": "new hop", "new_zone": "new zone",
        "new_technique": "new technique", "new_tactic": "new tactic", "pivot": "pivot", "merged": "merged",
        "closed": "closed", "update": "update"}
out = [l.rstrip("\n") for l in open(sys.argv[2])]
last, into, bad = {}, {}, 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o.get("event_type") != "incident":
        continue
    r = o["incident"]
    last[r["id"]] = r
    if r.get("state") == "merged":
        into[r["id"]] = r.get("merged_into")
    mine = [l for l in out if l.startswith("INCIDENT %s v%d  " % (r["id"], r["version"]))]
    for c in r["change"]:
        if not any("  %s" % text.get(c, c) in l for l in mine):
            print("v%d: no line for %s" % (r["version"], c)); bad += 1
# A hop is announced by its incident, or by one merged into it (rule 4).
for r in last.values():
    ids = {r["id"]} | {j for j, i in into.items() if i == r["id"]}
    for h in r["hops"]:
        hop = "new hop %s -> %s (%s -> %s)" % (h["src_ip"], h["dest_ip"], h["src_zone"], h["dest_zone"])
        if not any(l.split(" ")[1] in ids and hop in l for l in out if l.startswith("INCIDENT ")):
            print("no line: %s" % hop); bad += 1
sys.exit(1 if bad or not last else 0)
EOF
    check "scenario $story: no error on stderr" test ! -s "$T/sc.err"
done
echo "--- sample (channel)"
cat "$T/chan.out"
finish tail_test

#!/usr/bin/env bash
# The bundled attack scenarios, checked with tshark: scripts/gen-scenario
# writes each story (grand-angouleme, then angers) twice into a temp dir,
# and each step of the intrusion must decode as the protocol it claims to
# be (tree connects, pipes, RPC binds and opnums, Kerberos messages and
# etypes, NTLMSSP names, RDP cookie, renamed files, SMTP and refused
# connections once the Angers mail stops), with no malformed packet, no bad
# checksum, and the same bytes on both runs.
#
#   tests/pcap/scenario_check.sh [--keep DIR]
#
# --keep DIR leaves the Grand Angouleme capture (and the sensor's alerts) in DIR.
# Then, for information only, the vigie detectors that fire on it are
# listed when build/vigie exists (VIGIE=/path/to/vigie overrides): they
# are not part of pass/fail. Ends with "scenario: N passed, N failed".
set -uo pipefail
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
GEN=$ROOT/scripts/gen-scenario

keep=""
if [ "${1:-}" = --keep ]; then keep=${2:?--keep needs a directory}; fi
for tool in tshark "$PY"; do
    command -v "$tool" >/dev/null || { echo "scenario: $tool is missing"; exit 1; }
done

F=$T/angouleme.pcap
"$PY" "$GEN" --out "$F" 2>"$T/steps.txt" || { cat "$T/steps.txt"; echo "scenario: gen-scenario failed"; exit 1; }
"$PY" "$GEN" --out "$T/again.pcap" 2>/dev/null
cat "$T/steps.txt"

# Results are printed at the end, grouped by step letter (whole-capture checks last).
RESULTS=$T/results
expect() { # expect NAME ACTUAL OP WANT: pass when "ACTUAL OP WANT" holds (OP: -ge, -le, -lt, -eq)
    local name=$1 got=$2 op=$3 want=$4 ok=0 key=z
    if [[ $got =~ ^[0-9]+$ ]]; then
        case $op in
        -ge) ((got >= want)) && ok=1 ;;
        -le) ((got <= want)) && ok=1 ;;
        -lt) ((got < want)) && ok=1 ;;
        -eq) ((got == want)) && ok=1 ;;
        esac
    fi
    [ "${name:1:1}" = : ] && key=${name:0:1}
    if [ $ok -eq 1 ]; then
        passed=$((passed + 1)); printf '%s\tok   %s (%s)\n' "$key" "$name" "$got" >>"$RESULTS"
    else
        failed=$((failed + 1)); printf '%s\tFAIL %s (got %s, want %s %s)\n' "$key" "$name" "$got" "$op" "$want" >>"$RESULTS"
    fi
}

# The Grand Angouleme story first (the default), then the Angers one.
# The intrusion's cast (config/vigie.yaml zones): the phished workstation in
# agglo-users, the DC and the PsExec'd file server in agglo-servers, the
# Mairie's servers, a mediatheque staff PC.
VICTIM=10.10.1.42 DC=10.10.0.10 FS=10.10.0.20
RDS=10.20.0.10 APP=10.20.0.11 MFS=10.20.0.20 MEDIA=10.30.1.15
SVCCTL=367abb81-9844-35f1-ad32-98f038001003
SRVSVC=4b324fc8-1670-01d3-1278-5a47bf6ee188
SAMR=12345778-1234-abcd-ef00-0123456789ac
TSCH=86d35949-83c9-4044-b424-db363231fd0c
DRSUAPI=e3514235-4b06-11d1-ab04-00c04fc2dcd2
ACTIVATOR=000001a0-0000-0000-c000-000000000046
WBEMLOGIN=f309ad18-d86a-11d0-a075-00c04fb68820
WBEMSERVICES=9556dc99-828c-11cf-a37e-00aa003240c7
REQ='dcerpc.pkt_type == 0'

# name | operator | wanted | display filter (frames counted; no commas in filters).
COUNTS=(
"a: attachment fetched over HTTP|-ge|1|ip.src == $VICTIM && http.request.method == \"GET\" && http.request.uri contains \".zip\""
"a: zip served|-ge|1|ip.dst == $VICTIM && http.response.code == 200 && http.content_type contains \"zip\""
"a: TLS beacons to the C2 (ClientHello SNI)|-ge|8|ip.src == $VICTIM && tls.handshake.type == 1 && tls.handshake.extensions_server_name == \"cdn.msupdate-cloud.com\""
"b: srvsvc pipe opened|-ge|6|smb2.cmd == 5 && smb2.flags.response == 0 && smb2.filename == \"srvsvc\""
"b: srvsvc bind|-ge|6|dcerpc.cn_bind_to_uuid == $SRVSVC"
"b: NetShareEnumAll responses list ADMIN\$|-ge|6|srvsvc.opnum == 15 && dcerpc.pkt_type == 2 && srvsvc.srvsvc_NetShareInfo1.name == \"ADMIN\$\""
"b: samr bind on the DC|-ge|1|ip.dst == $DC && dcerpc.cn_bind_to_uuid == $SAMR"
"b: samr EnumDomainUsers|-ge|2|ip.dst == $DC && samr.opnum == 13 && $REQ"
"b: samr LookupNames \"Domain Admins\"|-ge|1|samr.opnum == 17 && samr.samr_LookupNames.names == \"Domain Admins\""
"b: samr QueryGroupMember|-ge|1|samr.opnum == 25 && $REQ"
"c: NTLMSSP AUTHENTICATE AGGLO\\svc-sauvegarde from PC-AGGLO-0142 over SMB2|-ge|1|smb2.cmd == 1 && ntlmssp.auth.username == \"svc-sauvegarde\" && ntlmssp.auth.domain == \"AGGLO\" && ntlmssp.auth.hostname == \"PC-AGGLO-0142\""
"c: its session setup succeeds|-ge|1|ip.src == $DC && ip.dst == $VICTIM && smb2.cmd == 1 && smb2.nt_status == 0 && smb2.flags.response == 1"
"c: KRB-ERROR PREAUTH_FAILED to the sprayer|-ge|15|ip.dst == $VICTIM && kerberos.msg_type == 30 && kerberos.error_code == 24"
"c: TGS-REP with RC4 tickets|-ge|8|ip.dst == $VICTIM && kerberos.msg_type == 13 && kerberos.etype == 23"
"d: tree connect ADMIN\$|-ge|1|ip.dst == $FS && smb2.cmd == 3 && smb2.flags.response == 0 && smb2.tree contains \"ADMIN\$\""
"d: create PSEXESVC.exe|-ge|1|ip.dst == $FS && smb2.cmd == 5 && smb2.filename == \"PSEXESVC.exe\""
"d: write starting with MZ on ADMIN\$|-ge|1|smb2.cmd == 9 && smb2.file_offset == 0 && data.data[0:2] == \"MZ\" && smb2.tree contains \"ADMIN\$\""
"d: svcctl pipe opened|-ge|1|ip.dst == $FS && smb2.cmd == 5 && smb2.filename == \"svcctl\""
"d: svcctl bind|-ge|1|ip.dst == $FS && dcerpc.cn_bind_to_uuid == $SVCCTL"
"d: svcctl OpenSCManagerW (15)|-ge|1|svcctl.opnum == 15 && $REQ"
"d: svcctl RCreateServiceW (12) PSEXESVC|-ge|1|svcctl.opnum == 12 && $REQ && svcctl.servicename == \"PSEXESVC\""
"d: svcctl RStartServiceW (19)|-ge|1|svcctl.opnum == 19 && $REQ"
"e: RDP X.224 CR with mstshash=admin to the Mairie|-ge|1|ip.dst == $RDS && rdp.rt_cookie contains \"mstshash=admin\""
"e: RDP negotiation answered|-ge|1|ip.src == $RDS && rdp.neg_type == 2"
"e: ISystemActivator bind on 135|-ge|1|ip.dst == $APP && tcp.dstport == 135 && dcerpc.cn_bind_to_uuid == $ACTIVATOR"
"e: RemoteCreateInstance for IWbemLevel1Login|-ge|1|isystemactivator.opnum == 4 && $REQ && isystemactivator.properties.instninfo.iid == $WBEMLOGIN"
"e: activation returns the dynamic endpoint|-ge|1|isystemactivator.opnum == 4 && dcerpc.pkt_type == 2 && isystemactivator.properties.scmresp.binding"
"e: IWbemLevel1Login bind on the dynamic port|-ge|1|ip.dst == $APP && tcp.dstport == 49702 && dcerpc.cn_bind_to_uuid == $WBEMLOGIN"
"e: IWbemLevel1Login NTLMLogin (6)|-ge|1|ip.dst == $APP && tcp.dstport == 49702 && $REQ && dcerpc.cn_ctx_id == 0 && dcerpc.opnum == 6"
"e: IWbemServices presentation context|-ge|1|ip.dst == $APP && dcerpc.cn_bind_to_uuid == $WBEMSERVICES"
"e: IWbemServices ExecMethod (24)|-ge|1|ip.dst == $APP && tcp.dstport == 49702 && $REQ && dcerpc.cn_ctx_id == 1 && dcerpc.opnum == 24"
"e: tree connect C\$ on the mediatheque|-ge|1|ip.dst == $MEDIA && smb2.cmd == 3 && smb2.flags.response == 0 && smb2.tree contains \"\\\\C\$\""
"e: .exe written there starting with MZ|-ge|1|ip.dst == $MEDIA && smb2.cmd == 9 && data.data[0:2] == \"MZ\""
"e: atsvc pipe opened|-ge|1|ip.dst == $MEDIA && smb2.cmd == 5 && smb2.filename == \"atsvc\""
"e: ITaskSchedulerService bind|-ge|1|ip.dst == $MEDIA && dcerpc.cn_bind_to_uuid == $TSCH"
"e: SchRpcRegisterTask (1)|-ge|1|ip.dst == $MEDIA && taskschedulerservice.opnum == 1 && $REQ"
"f: ept_map for drsuapi on the DC|-ge|1|ip.dst == $DC && epm.opnum == 3 && $REQ"
"f: drsuapi bind from a non-DC|-ge|1|ip.src == $VICTIM && ip.dst == $DC && dcerpc.cn_bind_to_uuid == $DRSUAPI"
"f: DRSBind (0)|-ge|1|ip.src == $VICTIM && drsuapi.opnum == 0 && $REQ"
"f: DRSGetNCChanges (3)|-ge|1|ip.src == $VICTIM && drsuapi.opnum == 3 && $REQ"
"g: rename requests to .locked|-ge|80|smb2.cmd == 17 && smb2.flags.response == 0 && smb2.filename contains \".locked\""
"g: writes on the Mairie share|-ge|80|ip.dst == $MFS && smb2.cmd == 9 && smb2.flags.response == 0"
"no malformed packet|-eq|0|_ws.malformed"
"no expert error|-eq|0|_ws.expert.severity == \"error\""
"no bad IPv4/TCP/UDP checksum|-eq|0|ip.checksum.status == 0 || tcp.checksum.status == 0 || udp.checksum.status == 0"
)

# count_pass ARRAY: one tshark pass over $F counts every filter of the named
# array of COUNTS lines (its start-up, not the capture, is the cost) and
# expects each.
count_pass() {
    local -n list=$1
    local zarg=io,stat,0 c name op want filter i=0 got
    for c in "${list[@]}"; do
        IFS='|' read -r _ _ _ filter <<<"$c"
        zarg+=,$filter
    done
    tshark -n -r "$F" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE \
        -q -z "$zarg" >"$T/iostat.txt" 2>&1
    mapfile -t got < <(awk -F'|' '/<>/ { for (i = 3; i < NF; i += 2) print $i + 0 }' "$T/iostat.txt")
    if [ ${#got[@]} -ne ${#list[@]} ]; then
        echo "FAIL tshark io,stat gave ${#got[@]} of ${#list[@]} counts: $(head -3 "$T/iostat.txt")"
        failed=$((failed + 1))
    fi
    for c in "${list[@]}"; do
        IFS='|' read -r name op want _ <<<"$c"
        expect "$name" "${got[$i]:-none}" "$op" "$want"
        i=$((i + 1))
    done
}
count_pass COUNTS

fields() { # fields FILTER FIELD...: one tab-separated line per matching packet
    local filter=$1 args=() f; shift
    for f in "$@"; do args+=(-e "$f"); done
    tshark -n -r "$F" -Y "$filter" -T fields -E occurrence=a -E aggregator=, "${args[@]}" 2>/dev/null
}
distinct() { cut -f"${1:-1}" | grep -v '^$' | sort -u | grep -c .; }

# Distinct hosts, accounts and names: one pass each.
scan=$(fields "ip.src == $VICTIM && tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.window_size_value == 1024 && (ip.dst == 10.10.0.0/24 || ip.dst == 10.20.0.0/24)" ip.dst tcp.dstport)
expect "b: SYN scan hosts in agglo-servers + mairie-servers" "$(distinct 1 <<<"$scan")" -ge 30
expect "b: SYN scan probes (host, port)" "$(sort -u <<<"$scan" | grep -c .)" -ge 150
expect "b: NetShareEnumAll (15) requests, distinct hosts" \
    "$(fields "srvsvc.opnum == 15 && $REQ" ip.dst | distinct)" -ge 6
expect "c: spray AS-REQ, distinct CNameString" \
    "$(fields "ip.src == $VICTIM && ip.dst == $DC && kerberos.msg_type == 10" kerberos.CNameString | distinct)" -ge 15
expect "c: PREAUTH_FAILED, distinct CNameString" \
    "$(fields "kerberos.error_code == 24" kerberos.CNameString | distinct)" -ge 15
roast=$(fields "ip.src == $VICTIM && kerberos.msg_type == 12 && kerberos.ENCTYPE == 23" kerberos.ENCTYPE kerberos.SNameString)
expect "c: kerberoast TGS-REQ asking only RC4 (ENCTYPE 23), distinct SPNs" \
    "$(awk -F'\t' '$1 == "23"' <<<"$roast" | distinct 2)" -ge 8
locked=$(fields "smb2.cmd == 17 && smb2.flags.response == 0 && smb2.filename contains \".locked\"" \
    frame.time_relative ip.src ip.dst smb2.filename)
expect "g: distinct files renamed to .locked" "$(distinct 4 <<<"$locked")" -ge 80
expect "g: renames from one client to one server" "$(cut -f2,3 <<<"$locked" | distinct)" -eq 1
expect "g: renames within 60 s" \
    "$(awk -F'\t' 'NF { n++; if (n == 1) a = $1; b = $1 } END { if (n) printf "%d", b - a; else print "none" }' <<<"$locked")" -le 60

expect "byte-identical across two runs" "$(cmp -s "$F" "$T/again.pcap" && echo 1 || echo 0)" -eq 1
"$PY" "$GEN" --out "$T/seed7.pcap" --seed 7 2>/dev/null
expect "another --seed gives another capture" "$(cmp -s "$F" "$T/seed7.pcap" && echo 0 || echo 1)" -eq 1
expect "capture under 3 MB (bytes)" "$(stat -c %s "$F")" -lt 3000000
npk=$(tshark -n -r "$F" -q -z io,stat,0 2>/dev/null | awk -F'|' '/<>/ { print $3 + 0 }')
expect "a few thousand packets" "${npk:-0}" -ge 2000
expect "... and not many more" "${npk:-0}" -le 20000
sort -s -t$'\t' -k1,1 "$T/results" | cut -f2-

# For information: what the sensor makes of it today, with the story's config.
# informational CONFIG DETECTOR...: the detectors firing, and those expected but silent.
informational() {
    local cfg=$1 rc=0 fired missing="" d; shift
    if ! [ -x "$VIGIE" ] || ! command -v jq >/dev/null; then
        echo "vigie detectors: skipped (no $VIGIE or no jq)"
        return
    fi
    rm -f "$T/alerts.json"
    { "$VIGIE" -c "$ROOT/$cfg" -r "$F" --no-redis -A "$T/alerts.json" -q 2>"$T/vigie.err" || rc=$?; } \
        2>/dev/null  # the shell's own "Segmentation fault" notice: the status is reported below
    if [ $rc -eq 0 ]; then
        echo "vigie detectors firing on $(basename "$F") with $cfg (count, detector) - informational, not pass/fail:"
        jq -r 'select(.event_type == "alert") | .vigie.detector' "$T/alerts.json" | sort | uniq -c | sort -rn | sed 's/^/    /'
        fired=$(jq -r 'select(.event_type == "alert") | .vigie.detector' "$T/alerts.json" | sort -u)
        for d in "$@"; do
            grep -qx "$d" <<<"$fired" || missing+="$d "
        done
        echo "    expected on this scenario but silent: ${missing:-none}"
    else
        echo "vigie failed on $(basename "$F") (informational): exit status $rc$( [ $rc -gt 128 ] &&
            echo " (signal $((rc - 128)))") $(grep -v '^$' "$T/vigie.err" | tail -1)"
    fi
}
informational config/vigie.yaml policy_violation admin_protocol_cross_zone internal_scan share_discovery \
    account_discovery rpc_discovery password_spray kerberoast smb_admin_share lateral_tool_transfer remote_service \
    remote_wmi remote_dcom remote_task dcsync smb_ransomware
if [ -n "$keep" ]; then
    mkdir -p "$keep" && cp "$F" "$T/steps.txt" "$keep"/
    if [ -f "$T/alerts.json" ]; then cp "$T/alerts.json" "$keep"/; fi
fi

# ---- The Angers 2021 story (--scenario angers, config/examples/angers.yaml):
# another network and address plan; each step decodes as what it claims.
F=$T/angers.pcap RESULTS=$T/results.angers
"$PY" "$GEN" --scenario angers --out "$F" 2>"$T/steps.angers.txt" ||
    { cat "$T/steps.angers.txt"; echo "scenario: gen-scenario --scenario angers failed"; exit 1; }
"$PY" "$GEN" --scenario angers --out "$T/again.angers.pcap" 2>/dev/null
echo
cat "$T/steps.angers.txt"
# The cast: the city hall workstation, the DC, the application server (the
# pivot), the libraries' catalogue server, a conservatory PC, Exchange.
VICTIM=172.16.21.37 DC=172.16.5.10 PIVOT=172.16.10.21 SIGB=192.168.40.10 CONS=192.168.60.12 MAIL=172.16.8.20
COUNTS_ANGERS=(
"a: Outlook over TLS to Exchange|-ge|1|ip.src == $VICTIM && ip.dst == $MAIL && tls.handshake.extensions_server_name == \"mail.angers.fr\""
"a: the macro's GET of the payload|-ge|1|ip.src == $VICTIM && http.request.method == \"GET\" && http.request.uri contains \".php\""
"a: a DLL served (MZ)|-ge|1|ip.dst == $VICTIM && http.response.code == 200 && http.content_type contains \"octet-stream\""
"a: TLS beacons to the C2|-ge|8|ip.src == $VICTIM && tls.handshake.type == 1 && tls.handshake.extensions_server_name == \"edge-cdn-telemetry.com\""
"b: samr EnumDomainUsers on the DC|-ge|2|ip.src == $VICTIM && ip.dst == $DC && samr.opnum == 13 && $REQ"
"b: samr LookupNames \"Domain Admins\"|-ge|1|ip.src == $VICTIM && samr.samr_LookupNames.names == \"Domain Admins\""
"b: NetShareEnumAll responses list ADMIN\$|-ge|6|srvsvc.opnum == 15 && dcerpc.pkt_type == 2 && ip.dst == $VICTIM && srvsvc.srvsvc_NetShareInfo1.name == \"ADMIN\$\""
"c: TGS-REP with RC4 tickets|-ge|6|ip.dst == $VICTIM && kerberos.msg_type == 13 && kerberos.etype == 23"
"c: NTLMSSP AUTHENTICATE ANGERS\\svc-veeam from PC-HDV-2137|-ge|1|ip.dst == $PIVOT && ntlmssp.auth.username == \"svc-veeam\" && ntlmssp.auth.domain == \"ANGERS\" && ntlmssp.auth.hostname == \"PC-HDV-2137\""
"d: ISystemActivator bind on the pivot|-ge|1|ip.src == $VICTIM && ip.dst == $PIVOT && dcerpc.cn_bind_to_uuid == $ACTIVATOR"
"d: RemoteCreateInstance for IWbemLevel1Login|-ge|1|ip.dst == $PIVOT && isystemactivator.opnum == 4 && $REQ && isystemactivator.properties.instninfo.iid == $WBEMLOGIN"
"d: IWbemServices ExecMethod (24) on :49715|-ge|1|ip.dst == $PIVOT && tcp.dstport == 49715 && $REQ && dcerpc.cn_ctx_id == 1 && dcerpc.opnum == 24"
"f: tree connect ADMIN\$ on the catalogue server|-ge|1|ip.src == $PIVOT && ip.dst == $SIGB && smb2.cmd == 3 && smb2.flags.response == 0 && smb2.tree contains \"ADMIN\$\""
"f: svcctl RCreateServiceW PSEXESVC there|-ge|1|ip.dst == $SIGB && svcctl.opnum == 12 && $REQ && svcctl.servicename == \"PSEXESVC\""
"g: tree connect C\$ on the conservatory PC|-ge|1|ip.src == $PIVOT && ip.dst == $CONS && smb2.cmd == 3 && smb2.flags.response == 0 && smb2.tree contains \"\\\\C\$\""
"g: .exe written there starting with MZ|-ge|1|ip.dst == $CONS && smb2.cmd == 9 && data.data[0:2] == \"MZ\""
"g: SchRpcRegisterTask (1)|-ge|1|ip.dst == $CONS && taskschedulerservice.opnum == 1 && $REQ"
"h: drsuapi bind from the pivot|-ge|1|ip.src == $PIVOT && ip.dst == $DC && dcerpc.cn_bind_to_uuid == $DRSUAPI"
"h: DRSGetNCChanges (3)|-ge|4|ip.src == $PIVOT && drsuapi.opnum == 3 && $REQ"
"i: RDP cookie mstshash=svc-veeam to Exchange|-ge|1|ip.src == $PIVOT && ip.dst == $MAIL && rdp.rt_cookie contains \"mstshash=svc-veeam\""
"j: tree connect C\$ on Exchange|-ge|1|ip.src == $PIVOT && ip.dst == $MAIL && smb2.cmd == 3 && smb2.flags.response == 0 && smb2.tree contains \"\\\\C\$\""
"j: rename requests to .pysa|-ge|30|ip.dst == $MAIL && smb2.cmd == 17 && smb2.flags.response == 0 && smb2.filename contains \".pysa\""
"j: SMTP with STARTTLS while the mail runs|-ge|4|smtp.command_line contains \"STARTTLS\""
"j: then Exchange refuses connections (RST to SYN)|-ge|3|ip.src == $MAIL && tcp.flags.reset == 1 && tcp.flags.ack == 1 && tcp.seq_raw == 0 && (tcp.srcport == 25 || tcp.srcport == 443)"
"no malformed packet|-eq|0|_ws.malformed"
"no expert error|-eq|0|_ws.expert.severity == \"error\""
"no bad IPv4/TCP/UDP checksum|-eq|0|ip.checksum.status == 0 || tcp.checksum.status == 0 || udp.checksum.status == 0"
)
count_pass COUNTS_ANGERS
scan=$(fields "ip.src == $PIVOT && tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.window_size_value == 1024 && (ip.dst == 192.168.40.0/24 || ip.dst == 192.168.60.0/24)" ip.dst)
expect "e: SYN scan hosts in bibliotheques + conservatoire" "$(distinct 1 <<<"$scan")" -ge 20
expect "b: NetShareEnumAll (15) requests, distinct hosts" \
    "$(fields "ip.src == $VICTIM && srvsvc.opnum == 15 && $REQ" ip.dst | distinct)" -ge 6
pysa=$(fields "smb2.cmd == 17 && smb2.flags.response == 0 && smb2.filename contains \".pysa\"" \
    frame.time_relative ip.src ip.dst smb2.filename)
expect "j: distinct files renamed to .pysa" "$(distinct 4 <<<"$pysa")" -ge 30
expect "j: renames from the pivot to Exchange only" "$(cut -f2,3 <<<"$pysa" | distinct)" -eq 1
last=$(tail -1 <<<"$pysa" | cut -f1)
expect "j: no SMTP banner from Exchange after the last rename" \
    "$(fields "ip.src == $MAIL && smtp.response.code == 220 && frame.time_relative > ${last:-0}" frame.number | grep -c .)" -eq 0
expect "byte-identical across two runs" "$(cmp -s "$F" "$T/again.angers.pcap" && echo 1 || echo 0)" -eq 1
expect "capture under 4 MB (bytes)" "$(stat -c %s "$F")" -lt 4000000
echo "angers:"
sort -s -t$'\t' -k1,1 "$RESULTS" | cut -f2-
informational config/examples/angers.yaml policy_violation admin_protocol_cross_zone internal_scan \
    share_discovery account_discovery kerberoast smb_admin_share lateral_tool_transfer remote_service \
    remote_wmi remote_dcom remote_task dcsync smb_ransomware
finish scenario

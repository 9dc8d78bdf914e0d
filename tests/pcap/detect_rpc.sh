#!/usr/bin/env bash
# The DCE-RPC detectors (sensor/detect/detect_rpc.c) on the shared corpus: each
# fires on the capture of its technique, and none fires on the nDPI
# captures nor on zeek/smb_smb2*.pcap (ordinary traffic).
#
#   tests/pcap/detect_rpc.sh
#
# Runs `vigie -r F --no-redis -A out.json` and looks at vigie.detector.
# Captures whose DCE-RPC rides on SMB named pipes need smb.c: when the
# dissector dump (test_dcerpc --dump) shows no pipe event for one, its
# case is reported as skipped. Env: VIGIE, TEST_DCERPC, CORPUS.
# Ends with "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

DUMP=${TEST_DCERPC:-$ROOT/build/tests/test_dcerpc}
CORPUS=${CORPUS:-$(git -C "$ROOT" rev-parse --show-toplevel 2>/dev/null || echo "$ROOT")/../shared/corpus}
[ -d "$CORPUS" ] || { echo "detect_rpc: no corpus at $CORPUS: skipped"; exit 0; }
[ -x "$VIGIE" ] || { echo "detect_rpc: no binary at $VIGIE (build first or set VIGIE)"; exit 1; }
command -v jq >/dev/null || { echo "detect_rpc: jq is missing"; exit 1; }
A=$CORPUS/pcap-attack
RPC_DETECTORS='remote_service remote_task remote_wmi remote_dcom remote_registry remote_log_clear
remote_shutdown remote_persistence rpc_discovery dcsync zerologon auth_coercion share_discovery
account_discovery'
skipped=0

# run FILE [CONFIG]: alerts of FILE in $T/out.json; status of vigie.
run() {
    rm -f "$T/out.json"
    local cfg=()
    [ -n "${2:-}" ] && cfg=(-c "$2")
    "$VIGIE" "${cfg[@]}" -r "$1" --no-redis -A "$T/out.json" 2>"$T/err.txt"
}

detectors() { # detectors FILE [CONFIG]: the detector ids that fired, one a line
    run "$@" || return 1
    jq -r '.vigie.detector' "$T/out.json" 2>/dev/null | sort -u
}

fires() { # fires DETECTOR FILE [CONFIG]
    local det=$1; shift
    detectors "$@" | grep -qx "$det"
}

silent() { # silent FILE...: none of the DCE-RPC detectors fires on any
    local f d
    for f in "$@"; do
        for d in $(detectors "$f"); do
            if grep -qw "$d" <<<"$RPC_DETECTORS"; then echo "$d fired on $f"; return 1; fi
        done
    done
}

smb_ready() { # the dissector sees DCE-RPC inside SMB pipes in FILE
    [ -x "$DUMP" ] && "$DUMP" --dump "$1" | awk -F'\t' '$8 != "-"' | grep -q .
}

expect() { # expect DETECTOR FILE over(tcp|smb) [CONFIG]
    local det=$1 file=$A/$2 over=$3 cfg=${4:-}
    if [ ! -f "$file" ]; then echo "skip $det on $2: capture absent"; skipped=$((skipped + 1)); return; fi
    if [ "$over" = smb ] && ! smb_ready "$file"; then
        echo "skip $det on $2: no DCE-RPC seen inside SMB pipes (smb.c)"; skipped=$((skipped + 1)); return
    fi
    check "$det fires on $2" fires "$det" "$file" $cfg
}

cat >"$T/share_hosts.yaml" <<'EOF'
detect:
  share_discovery: {enabled: true, hosts: 1}
EOF
cat >"$T/two_zones.yaml" <<'EOF'
zones:
  - {name: attacker, cidrs: [172.16.66.1/32]}
  - {name: servers, cidrs: [172.16.66.36/32]}
EOF
cat >"$T/dcerpc_off.yaml" <<'EOF'
detect:
  remote_service: {enabled: false}
EOF

expect remote_service LM_psexec_smb_dcerpc_epm_svcctl.pcapng tcp
expect remote_wmi LM_WMI_ProcessCallCreate.pcapng tcp
expect remote_dcom LM_WMI_ProcessCallCreate.pcapng tcp
expect zerologon CVE-2020-1472_Zerologon_RPC_NetLogon_NullChallenge_SecChan_6_from_nonDC_to_DC.pcapng tcp
expect remote_registry Discovery_PsLoggedOn_remotelocalusers_enum_winreg_lsarpc_dcerpc_smb.pcapng smb
expect auth_coercion CA_LM_SpoolSample_SMB_BiAuth.pcapng smb
expect remote_log_clear DE_byt3bl33d3r_remote_eventservice_crash.pcapng smb
# One host enumerated: share_discovery needs `hosts: 1`, or two zones.
expect share_discovery Discovery_dcerp_srvsvc_NetShareEnum.pcapng smb "$T/share_hosts.yaml"
expect share_discovery Discovery_dcerp_srvsvc_NetShareEnum.pcapng smb "$T/two_zones.yaml"
not_fires() { # not_fires DETECTOR FILE [CONFIG]: vigie ran, DETECTOR did not fire
    local det=$1 out; shift
    out=$(detectors "$@") || return 1
    ! grep -qx "$det" <<<"$out"
}
[ -f "$A/Discovery_dcerp_srvsvc_NetShareEnum.pcapng" ] &&
    check "share_discovery silent on one host in one zone" \
        not_fires share_discovery "$A/Discovery_dcerp_srvsvc_NetShareEnum.pcapng"
[ -f "$A/LM_psexec_smb_dcerpc_epm_svcctl.pcapng" ] &&
    check "remote_service silent when disabled" \
        not_fires remote_service "$A/LM_psexec_smb_dcerpc_epm_svcctl.pcapng" "$T/dcerpc_off.yaml"
# Midstream (no bind): runs clean; dcsync may fire or not.
[ -f "$A/DCSync_krbtgt_dcerpc_smb.pcapng" ] &&
    check "DCSync_krbtgt_dcerpc_smb.pcapng runs without error" run "$A/DCSync_krbtgt_dcerpc_smb.pcapng"

shopt -s nullglob
ndpi=("$CORPUS"/ndpi/*)
smb2=("$CORPUS"/zeek/smb_smb2*.pcap)
[ ${#ndpi[@]} -gt 0 ] && check "silent on ndpi/ (${#ndpi[@]} captures)" silent "${ndpi[@]}"
[ ${#smb2[@]} -gt 0 ] && check "silent on zeek/smb_smb2*.pcap" silent "${smb2[@]}"

[ $skipped -gt 0 ] && echo "$skipped cases skipped"
finish detect_rpc

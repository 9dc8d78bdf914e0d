#!/usr/bin/env bash
# The credential and scan detectors on real and generated captures: each
# fires where it must and stays silent where it must.
#
#   tests/pcap/detect_kerberos.sh        VIGIE=/path/to/vigie overrides build/vigie
#
# Positive: password_spray on pcap-attack/CA_kerbrute_passwordspray (kerbrute
# userenum + passwordspray) and on scripts/gen-attacks' spray captures;
# kerberoast, internal_scan (hosts and ports variants) on gen-attacks'
# captures. Negative: none of password_spray, kerberoast, internal_scan on
# zeek/krb_*.pcap and every ndpi/ capture; gen-attacks' benign look-alikes
# (AES TGS-REQs, a logon's machine-service TGS-REQs, a 15-user logon storm,
# one client talking to 5 servers). Every run must also exit 0.
# Built-in defaults (no config): RFC 1918 space is zone "internal".
# Ends with "N passed, N failed"; exit 1 on any failure.
set -uo pipefail
ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel 2>/dev/null) ||
    ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORPUS=${CORPUS:-$ROOT/../shared/corpus}
VIGIE=${VIGIE:-$ROOT/build/vigie}
PY=/usr/bin/python3
TECHNIQUES='password_spray|kerberoast|internal_scan'

[ -x "$VIGIE" ] || { echo "detect_kerberos: no binary at $VIGIE (build first or set VIGIE)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1: $2"; }

# alerts FILE: "detector sid" per alert; the run's exit status in $tmp/rc.
alerts() {
    rm -f "$tmp/alerts.json"
    "$VIGIE" -r "$1" --no-redis -A "$tmp/alerts.json" 2>"$tmp/stderr" >/dev/null
    local rc=$?
    # SPEC 9: a corrupt capture ends with exit 1 and a message; not a failure here.
    [ $rc = 1 ] && grep -q "corrupt capture" "$tmp/stderr" && rc=0
    echo $rc >"$tmp/rc"
    "$PY" -c '
import json, sys
for line in open(sys.argv[1]):
    a = json.loads(line)
    print(a["vigie"]["detector"], a["alert"]["signature_id"])
' "$tmp/alerts.json" 2>/dev/null
}

# expect NAME FILE SID...: each sid among the alerts, and a clean run.
expect() {
    local name=$1 file=$2; shift 2
    local got; got=$(alerts "$file")
    [ "$(cat "$tmp/rc")" = 0 ] || { fail "$name" "vigie exited $(cat "$tmp/rc"): $(tail -1 "$tmp/stderr")"; return; }
    for sid in "$@"; do
        grep -q " $sid\$" <<<"$got" || { fail "$name" "no alert $sid (got: $(tr '\n' ' ' <<<"$got"))"; return; }
    done
    pass "$name fires $*"
}

# silent NAME FILE [REGEX]: no alert of those detectors, and a clean run.
silent() {
    local name=$1 file=$2 re=${3:-$TECHNIQUES}
    local got; got=$(alerts "$file" | grep -E "^($re) " || true)
    if [ "$(cat "$tmp/rc")" != 0 ]; then fail "$name" "vigie exited $(cat "$tmp/rc"): $(tail -1 "$tmp/stderr")"
    elif [ -n "$got" ]; then fail "$name" "unexpected: $(tr '\n' ' ' <<<"$got")"
    else pass "$name silent"; fi
}

# ---- generated captures ----
if "$PY" -c 'import scapy' 2>/dev/null; then
    GEN=$tmp/gen
    "$PY" "$ROOT/scripts/gen-attacks" "$GEN" >/dev/null 2>&1 || fail gen-attacks "generator failed"
    expect scan_hosts "$GEN/scan_hosts.pcap" 9102200
    expect scan_ports "$GEN/scan_ports.pcap" 9102201
    expect kerberoast "$GEN/kerberoast.pcap" 9102100
    expect kerberoast_impacket "$GEN/kerberoast_impacket.pcap" 9102100
    expect spray_kerberos "$GEN/spray_kerberos.pcap" 9102000
    # NTLM over HTTP needs the NTLMSSP parser: checked once it yields users.
    dump=$(dirname "$VIGIE")/tests/dump_events
    if [ -x "$dump" ] && "$dump" "$GEN/spray_ntlm_http.pcap" ntlm_auth 2>/dev/null | grep -q ntlm_auth; then
        expect spray_ntlm_http "$GEN/spray_ntlm_http.pcap" 9102001
    else
        echo "skip spray_ntlm_http (no NTLM AUTHENTICATE decoded yet)"
    fi
    silent tgs_aes "$GEN/tgs_aes.pcap"
    silent tgs_machine "$GEN/tgs_machine.pcap"
    silent logon_storm "$GEN/logon_storm.pcap"
    silent fanout_5 "$GEN/fanout_5.pcap"
else
    fail gen-attacks "python3-scapy missing (apt-get install python3-scapy)"
fi

# ---- the shared corpus ----
if [ -d "$CORPUS" ]; then
    kerbrute=$CORPUS/pcap-attack/CA_kerbrute_passwordspray_kerberos_AS-REQ.pcapng
    [ -f "$kerbrute" ] && expect kerbrute "$kerbrute" 9102000
    for f in "$CORPUS"/zeek/krb_*.pcap; do
        [ -f "$f" ] && silent "zeek/$(basename "$f")" "$f"
    done
    n=0 bad=0
    for f in "$CORPUS"/ndpi/*; do
        [ -f "$f" ] || continue
        n=$((n + 1))
        got=$(alerts "$f" | grep -E "^($TECHNIQUES) " || true)
        rc=$(cat "$tmp/rc")
        if [ "$rc" != 0 ] || [ -n "$got" ]; then
            bad=$((bad + 1))
            echo "     ndpi/$(basename "$f"): exit $rc $(tr '\n' ' ' <<<"$got")"
        fi
    done
    if [ "$bad" = 0 ]; then pass "ndpi/ ($n captures) silent"; else fail "ndpi/" "$bad of $n captures"; fi
else
    echo "no corpus at $CORPUS: corpus cases skipped"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# Differential test of the Kerberos dissector against tshark, on every
# capture of ../shared/corpus that carries KDC traffic.
#
#   tests/pcap/tshark_kerberos.sh [BUILD_DIR]     (default: build)
#
# For each AS-REQ, TGS-REQ, AS-REP, TGS-REP and KRB-ERROR that tshark
# decodes at the top of a packet (RFC 4120 7.2: UDP/TCP port 88 or 464;
# Kerberos inside SMB, DCE-RPC, LDAP GSS-API tokens is another dissector's
# job), the principals vigie extracts (cname, realm, sname: req-body fields
# for requests, 5.4.1; crealm, cname and the ticket's sname for replies,
# 5.4.2; error fields for KRB-ERROR, 5.9.1) must equal tshark's
# kerberos.CNameString / kerberos.realm (crealm) / kerberos.SNameString,
# components joined by '/', and so must a reply's ticket etype (5.3). Events come from tests/tools/dump_events. tshark (slow to
# start) reads the captures where vigie saw Kerberos or whose name says
# krb/kerberos; TSHARK_ALL=1 makes it read every capture (about 5 minutes),
# which catches captures vigie misses entirely. Prints per-capture agreement, then
# "N passed, N failed"; exit 1 on any failure. Skips cleanly without the
# corpus or tshark.
set -uo pipefail
ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel 2>/dev/null) ||
    ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORPUS=${CORPUS:-$ROOT/../shared/corpus}
BUILD=${1:-$ROOT/build}
DUMP=$BUILD/tests/dump_events
PY=/usr/bin/python3

[ -d "$CORPUS" ] || { echo "tshark_kerberos: no corpus at $CORPUS, skipped"; echo "0 passed, 0 failed"; exit 0; }
command -v tshark >/dev/null || { echo "tshark_kerberos: no tshark, skipped"; echo "0 passed, 0 failed"; exit 0; }
[ -x "$DUMP" ] || { echo "tshark_kerberos: no $DUMP (build first)"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# tshark PDML -> "type<TAB>cname<TAB>realm<TAB>sname<TAB>ticket etype", one
# line per message (the etype of replies only).
cat >"$tmp/pdml.py" <<'EOF'
import io
import re
import sys
import xml.etree.ElementTree as ET

KINDS = {"kerberos.as_req_element": "krb_as_req", "kerberos.tgs_req_element": "krb_tgs_req",
         "kerberos.krb_error_element": "krb_error", "kerberos.as_rep_element": "krb_as_rep",
         "kerberos.tgs_rep_element": "krb_tgs_rep"}

def child(el, name):
    for c in el:
        if c.get("name") == name:
            return c
    return None

def names(el, leaf):
    if el is None:
        return ""
    return "/".join(f.get("show", "") for f in el.iter("field") if f.get("name") == leaf)

def show(el):
    return el.get("show", "") if el is not None else ""

def reply(kind, el):
    ticket = child(el, "kerberos.ticket_element")
    tsname = child(ticket, "kerberos.sname_element") if ticket is not None else None
    enc = child(ticket, "kerberos.enc_part_element") if ticket is not None else None
    etype = child(enc, "kerberos.etype") if enc is not None else None
    return "\t".join([kind, names(child(el, "kerberos.cname_element"), "kerberos.CNameString"),
                      show(child(el, "kerberos.crealm")), names(tsname, "kerberos.SNameString"),
                      show(etype)])

def message(kind, el):
    if kind in ("krb_as_rep", "krb_tgs_rep"):
        return reply(kind, el)
    if kind != "krb_error":
        el = child(el, "kerberos.req_body_element")
        if el is None:
            return None
    realm = child(el, "kerberos.realm")
    return "\t".join([kind, names(child(el, "kerberos.cname_element"), "kerberos.CNameString"),
                      realm.get("show", "") if realm is not None else "",
                      names(child(el, "kerberos.sname_element"), "kerberos.SNameString"), ""])

# Fuzzed captures make tshark write characters XML does not allow.
text = sys.stdin.buffer.read().decode("utf-8", "replace")
text = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f]", "?", text)
text = re.sub("&#x?[0-9a-fA-F]+;", "?", text)
for _, pkt in ET.iterparse(io.StringIO(text), events=("end",)):
    if pkt.tag != "packet":
        continue
    for proto in pkt.findall("proto"):
        if proto.get("name") != "kerberos":
            continue
        for el in proto.iter("field"):
            kind = KINDS.get(el.get("name"))
            line = message(kind, el) if kind else None
            if line is not None:
                print(line)
    pkt.clear()
EOF

passed=0 failed=0 agree=0 total=0
while IFS= read -r -d '' cap; do
    rel=${cap#"$CORPUS"/}
    # A corrupt capture ends dump_events with exit 1: its events still count.
    "$DUMP" "$cap" krb_as_req krb_tgs_req krb_error krb_as_rep krb_tgs_rep >"$tmp/ev" 2>/dev/null
    case "${TSHARK_ALL:-0}:$(basename "$cap")" in
    1:*|*:*krb*|*:*kerberos*) ;;
    *) [ -s "$tmp/ev" ] || continue ;;
    esac
    tshark -r "$cap" -T pdml 2>/dev/null | "$PY" "$tmp/pdml.py" | sort >"$tmp/want"
    # dump_events: frame, flow, event, dir, then key=value fields.
    # A reply's ticket etype 0 means vigie did not see it: left empty.
    awk -F'\t' '{ c = r = n = e = ""
        for (i = 5; i <= NF; i++) {
            if ($i ~ /^cname=/) c = substr($i, 7)
            else if ($i ~ /^realm=/) r = substr($i, 7)
            else if ($i ~ /^sname=/) n = substr($i, 7)
            else if ($i ~ /^ticket_etype=/ && $i != "ticket_etype=0") e = substr($i, 14)
        }
        print $3 "\t" c "\t" r "\t" n "\t" e }' "$tmp/ev" | sort >"$tmp/got"
    [ -s "$tmp/want" ] || [ -s "$tmp/got" ] || continue
    n_want=$(wc -l <"$tmp/want")
    n_same=$(comm -12 "$tmp/want" "$tmp/got" | wc -l)
    agree=$((agree + n_same)) total=$((total + n_want))
    if cmp -s "$tmp/want" "$tmp/got"; then
        passed=$((passed + 1))
        echo "ok   $rel: $n_same/$n_want messages agree"
    else
        failed=$((failed + 1))
        echo "FAIL $rel: $n_same/$n_want messages agree"
        diff "$tmp/want" "$tmp/got" | sed -n '1,10s/^/     /p'
    fi
done < <(find "$CORPUS" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) -print0 | sort -z)

echo "agreement: $agree/$total messages"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# Differential test of the DCE-RPC dissector against tshark, on every
# capture of the shared corpus that holds connection-oriented DCE-RPC.
#
#   tests/pcap/tshark_dcerpc.sh [-v] [FILE...]
#
# vigie's side: `test_dcerpc --dump FILE` (tests/unit/test_dcerpc.c) prints
# the dissector's events, fed as sensor/pipeline/pipeline.c does. tshark's side: its
# binds (dcerpc.cn_ctx_id -> dcerpc.cn_bind_to_uuid, per connection and SMB
# file id) and requests (dcerpc.cn_ctx_id, dcerpc.opnum, first fragments).
# Per connection, the (interface UUID, opnum) of every request and the
# (context id, UUID) of every bound context must be the same multiset on
# both sides ("" for a request on a context bound before the capture).
# Matching is per connection, not per frame: tshark reports a PDU in the
# frame that completes it, vigie as soon as its header is there. tshark is
# told to decode as DCE-RPC the TCP server ports where vigie found it, so a
# connection its heuristics miss (seen midstream) is still compared.
#
# DCE-RPC over SMB pipes comes from smb.c: when vigie shows no pipe event
# at all for a capture, its SMB part is reported as skipped, not failed.
# Env: TEST_DCERPC (the dump tool, default build/tests/test_dcerpc),
# CORPUS (default <repo>/../shared/corpus). Ends with "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

verbose=0
if [ "${1:-}" = -v ]; then verbose=1; shift; fi
DUMP=${TEST_DCERPC:-$ROOT/build/tests/test_dcerpc}
CORPUS=${CORPUS:-$(git -C "$ROOT" rev-parse --show-toplevel 2>/dev/null || echo "$ROOT")/../shared/corpus}
PY=/usr/bin/python3

if [ $# -eq 0 ] && [ ! -d "$CORPUS" ]; then
    echo "tshark_dcerpc: no corpus at $CORPUS: skipped"; exit 0
fi
command -v tshark >/dev/null || { echo "tshark_dcerpc: tshark not installed: skipped"; exit 0; }
[ -x "$DUMP" ] || { echo "tshark_dcerpc: no $DUMP (build the unit tests or set TEST_DCERPC)"; exit 1; }

if [ $# -gt 0 ]; then files=("$@")
else
    # Candidates: any file holding the bytes of a CO header (version 5.0/5.1,
    # a known type, a valid data representation); tshark decides.
    mapfile -t files < <("$PY" - "$CORPUS" <<'EOF'
import os, re, sys
pat = re.compile(rb'\x05[\x00\x01][\x00\x02\x03\x0b-\x13][\x00-\xff][\x00\x01\x10\x11][\x00-\x03]\x00\x00')
for d, _, names in sorted(os.walk(sys.argv[1])):
    for n in sorted(names):
        if n.endswith(('.pcap', '.pcapng', '.cap')):
            p = os.path.join(d, n)
            with open(p, 'rb') as f:
                if pat.search(f.read()):
                    print(p)
EOF
)
fi

COMPARE=$T/compare.py
cat >"$COMPARE" <<'EOF'
# compare.py TSHARK_JSON VIGIE_DUMP VERBOSE -> one line per transport:
#   "<tcp|smb> tshark_reqs vigie_reqs agree_reqs tshark_binds vigie_binds agree_binds pipe_events"
import json, sys
from collections import Counter, defaultdict

def flat(node, out):
    if isinstance(node, list):
        for k, v in node:
            if isinstance(v, list) and v and isinstance(v[0], tuple):
                flat(v, out)
            else:
                out.append((k, v))
    return out

def first(pairs, key):
    for k, v in flat(pairs, []):
        if k == key:
            return v
    return None

def conn_key(a, ap, b, bp):
    return tuple(sorted([(a, int(ap)), (b, int(bp))]))

def transport(conn):
    return 'smb' if any(p in (139, 445) for _, p in conn) else 'tcp'

packets = json.load(open(sys.argv[1]), object_pairs_hook=lambda p: p)
verbose = sys.argv[3] == '1'
ctxmap = defaultdict(dict)            # (conn, fid) -> ctx id -> uuid
t_req, t_bind = defaultdict(Counter), defaultdict(Counter)
for pkt in packets:
    layers = dict(pkt)['_source']
    layers = dict(layers)['layers']
    src = first(layers, 'ip.src') or first(layers, 'ipv6.src')
    dst = first(layers, 'ip.dst') or first(layers, 'ipv6.dst')
    sp, dp = first(layers, 'tcp.srcport'), first(layers, 'tcp.dstport')
    if not (src and dst and sp and dp):
        continue
    conn = conn_key(src, sp, dst, dp)
    fid = ''
    for k, v in layers:
        if k in ('smb2', 'smb', 'smb_pipe'):  # smb_pipe: a TransactNmPipe's FID
            fid = first(v, 'smb2.fid') or first(v, 'smb.fid') or fid
    for k, v in layers:
        if k != 'dcerpc':
            continue
        kv = flat(v, [])
        d = dict(kv)
        if d.get('dcerpc.ver') != '5':
            continue
        ptype = int(d.get('dcerpc.pkt_type', -1))
        if ptype in (11, 14):
            cur = None
            for kk, vv in kv:
                if kk == 'dcerpc.cn_ctx_id':
                    cur = int(vv)
                elif kk == 'dcerpc.cn_bind_to_uuid' and cur is not None:
                    ctxmap[(conn, fid)][cur] = vv
                    t_bind[conn][(cur, vv)] += 1
        elif ptype == 0 and int(d.get('dcerpc.cn_flags', '0'), 16) & 1:
            # In an SMB response tshark may show the request again.
            if transport(conn) == 'smb' and int(dp) not in (139, 445):
                continue
            ctx = int(d.get('dcerpc.cn_ctx_id', -1))
            op = int(d.get('dcerpc.opnum', -1))
            t_req[conn][(ctxmap[(conn, fid)].get(ctx, ''), op)] += 1

v_req, v_bind = defaultdict(Counter), defaultdict(Counter)
pipe_events = 0
for line in open(sys.argv[2]):
    frame, c, sport, kind, uuid, op, ctx, pipe = line.rstrip('\n').split('\t')
    (a, b) = c.split('|')
    a_ip, a_p = a.rsplit(':', 1)
    b_ip, b_p = b.rsplit(':', 1)
    conn = conn_key(a_ip, a_p, b_ip, b_p)
    uuid = '' if uuid == '-' else uuid
    pipe_events += pipe != '-'
    if kind == 'REQ':
        v_req[conn][(uuid, int(op))] += 1
    else:
        v_bind[conn][(int(ctx), uuid)] += 1

for tr in ('tcp', 'smb'):
    tot = [0] * 6
    for conn in set(t_req) | set(v_req) | set(t_bind) | set(v_bind):
        if transport(conn) != tr:
            continue
        for i, (t, v) in enumerate(((t_req, v_req), (t_bind, v_bind))):
            a, b = t[conn], v[conn]
            tot[3 * i] += sum(a.values())
            tot[3 * i + 1] += sum(b.values())
            tot[3 * i + 2] += sum((a & b).values())
            if verbose and a != b:
                print('  %s %s: tshark-only %s vigie-only %s' % (
                    tr, conn, dict(a - b), dict(b - a)), file=sys.stderr)
    print(tr, *tot, pipe_events)
EOF

# Whether transport $2 of capture $1 agrees with tshark reassembling
# out-of-order segments (its second run, made once per capture).
same_reassembled() {
    [ -s "$T/t2.json" ] || tshark -r "$1" -o tcp.reassemble_out_of_order:TRUE "${decode_as[@]}" \
        -Y 'dcerpc.ver == 5' -T json -J 'ip ipv6 tcp smb smb2 smb_pipe dcerpc' >"$T/t2.json" 2>/dev/null
    local line
    line=$("$PY" "$COMPARE" "$T/t2.json" "$T/v.txt" 0 | awk -v tr="$2" '$1 == tr')
    read -r _ r_t r_v r_a b_t b_v b_a _ <<<"$line"
    [ -n "$line" ] && [ "$r_a" = "$r_t" ] && [ "$r_a" = "$r_v" ] && [ "$b_a" = "$b_t" ] && [ "$b_a" = "$b_v" ]
}

sum_t=0 sum_v=0 sum_a=0 skipped=0
for f in "${files[@]}"; do
    name=${f#"$CORPUS"/}
    "$DUMP" --dump "$f" >"$T/v.txt" 2>"$T/v.err" || { echo "FAIL $name: dump"; failed=$((failed + 1)); continue; }
    # tshark's heuristics miss DCE-RPC on some ports (a connection seen
    # midstream): it is told to decode the server ports vigie found.
    decode_as=()
    for p in $(awk -F'\t' '$8 == "-" { print $3 }' "$T/v.txt" | sort -un); do
        case $p in 139|445) ;; *) decode_as+=(-d "tcp.port==$p,dcerpc") ;; esac
    done
    # A capture cut short inside its last record: tshark exits 2 after
    # writing every packet before the cut, which is what vigie reads too.
    rm -f "$T/t2.json"
    if ! tshark -r "$f" "${decode_as[@]}" -Y 'dcerpc.ver == 5' -T json \
        -J 'ip ipv6 tcp smb smb2 smb_pipe dcerpc' >"$T/t.json" 2>"$T/t.err" &&
        ! grep -q 'cut short in the middle of a packet' "$T/t.err"; then
        echo "FAIL $name: tshark: $(grep -v '^Running as' "$T/t.err" | head -1)"
        failed=$((failed + 1))
        continue
    fi
    [ "$(head -c 2 "$T/t.json")" = "[]" ] && [ ! -s "$T/v.txt" ] && continue
    while read -r tr tr_t tr_v tr_a tb_t tb_v tb_a pipes; do
        [ "$tr_t$tr_v$tb_t$tb_v" = 0000 ] && continue
        label="$name [$tr] requests $tr_a/$tr_t (vigie $tr_v), binds $tb_a/$tb_t (vigie $tb_v)"
        if [ "$tr" = smb ] && [ "$pipes" = 0 ]; then
            echo "skip $label: no SMB pipe events (smb.c)"; skipped=$((skipped + 1)); continue
        fi
        sum_t=$((sum_t + tr_t)) sum_v=$((sum_v + tr_v)) sum_a=$((sum_a + tr_a))
        if [ "$tr_a" = "$tr_t" ] && [ "$tr_a" = "$tr_v" ] && [ "$tb_a" = "$tb_t" ] && [ "$tb_a" = "$tb_v" ]; then
            passed=$((passed + 1)); echo "ok   $label"
        elif same_reassembled "$f" "$tr"; then
            # tshark reassembling out-of-order segments, as vigie's engine
            # holds them, agrees: a segment whose first transmission was not
            # captured is data, not a retransmission (zerologon's frame 419,
            # after a bare ACK beyond it).
            passed=$((passed + 1)); echo "ok   $label; as tshark -o tcp.reassemble_out_of_order:TRUE"
        else
            failed=$((failed + 1)); echo "FAIL $label"
            [ $verbose = 1 ] && "$PY" "$COMPARE" "$T/t.json" "$T/v.txt" 1 >/dev/null
        fi
    done < <("$PY" "$COMPARE" "$T/t.json" "$T/v.txt" 0)
done
echo "requests compared: tshark $sum_t, vigie $sum_v, agreeing $sum_a; $skipped SMB parts skipped"
finish tshark_dcerpc

#!/usr/bin/env bash
# Differential test of the SMB dissector against tshark on every SMB
# capture of ../shared/corpus: the tree connect paths (SMB2 TREE_CONNECT,
# SMB1 TREE_CONNECT_ANDX requests) and create file names (SMB2 CREATE,
# SMB1 NT_CREATE_ANDX requests) vigie extracts must be the ones tshark
# extracts, as multisets per capture. vigie's side comes from
# build/tests/dump_events (DUMP_EVENTS overrides), which runs the sensor's
# decode -> flow table -> dissection path and prints its events.
# Ends with "N passed, N failed" and the agreement figures.
set -uo pipefail
ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
CORPUS=$ROOT/../shared/corpus
DUMP=${DUMP_EVENTS:-$ROOT/build/tests/dump_events}
PY=/usr/bin/python3

[ -d "$CORPUS" ] || { echo "tshark_smb: no corpus at $CORPUS, skipped"; exit 0; }
command -v tshark >/dev/null || { echo "tshark_smb: tshark not installed, skipped"; exit 0; }
[ -x "$DUMP" ] || { echo "tshark_smb: no $DUMP (build first or set DUMP_EVENTS)"; exit 1; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# tshark's view: one "tree<TAB>path" or "file<TAB>name" line per request,
# from the JSON tree so that compounded and AndX-chained commands stay
# apart (a command's generated [Tree:] of its TreeId is not its path).
cat >"$T/tshark.py" <<'PY'
import json, sys

def pairs(items):
    d = {}
    for k, v in items:
        d.setdefault(k, []).append(v)
    return d

def each(v):
    return v if isinstance(v, list) else [v]

def walk(layer, want):
    for key, vals in layer.items():
        for v in vals:
            if not isinstance(v, dict):
                continue
            for prefix, field, kind in want:
                if key.startswith(prefix) and field in v:
                    for x in v[field]:
                        if x:
                            print(kind + "\t" + x)

SMB2 = [("Tree Connect Request", "smb2.tree", "tree"), ("Create Request", "smb2.filename", "file")]
SMB1 = [("Tree Connect AndX Request", "smb.path", "tree"),
        ("NT Create AndX Request", "smb.file", "file")]
for pkt in json.load(sys.stdin, object_pairs_hook=pairs):
    for p in pkt["_source"]:
        for layers in p["layers"]:
            for name, want in (("smb2", SMB2), ("smb", SMB1)):
                for layer in layers.get(name, []):
                    for l in each(layer):
                        walk(l, want)
PY

passed=0 failed=0 agree=0 total=0 files=0
while IFS= read -r f; do
    rel=${f#"$CORPUS"/}
    # Only captures with an SMB protocol id somewhere are worth tshark's time.
    LC_ALL=C grep -qaP '[\xfd\xfe\xff]SMB' "$f" || continue
    tshark -r "$f" -Y '(smb2 || smb) && tcp' -T json -J "smb2 smb" 2>/dev/null |
        "$PY" "$T/tshark.py" | sort >"$T/want"
    "$DUMP" "$f" smb_tree_connect smb_create 2>/dev/null |
        awk -F'\t' '{ kind = $3 == "smb_tree_connect" ? "tree" : "file"; v = "";
                       for (i = 6; i <= NF; i++) {
                           if (kind == "tree" && $i ~ /^path=/) v = substr($i, 6);
                           if (kind == "file" && $i ~ /^name=/) v = substr($i, 6) }
                       if (v != "") print kind "\t" v }' | sort >"$T/got"
    [ -s "$T/want" ] || [ -s "$T/got" ] || continue
    files=$((files + 1))
    n=$(wc -l <"$T/want")
    common=$(comm -12 "$T/want" "$T/got" | wc -l)
    total=$((total + n))
    agree=$((agree + common))
    if cmp -s "$T/want" "$T/got"; then
        passed=$((passed + 1))
        echo "ok   $rel ($n)"
    else
        failed=$((failed + 1))
        echo "FAIL $rel: tshark $n, vigie $(wc -l <"$T/got"), common $common"
        diff "$T/want" "$T/got" | sed -n '1,10p' | sed 's/^/     /'
    fi
done < <(find "$CORPUS" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort)

echo "tshark_smb: $files captures with SMB names, $agree of $total tshark names extracted identically"
echo "tshark_smb: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

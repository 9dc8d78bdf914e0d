#!/usr/bin/env bash
# Every EVE record vigie writes against the schemas: Suricata's own
# (etc/schema.json of OISF/suricata), with the vendor objects `vigie` and
# `incident` checked instead by the project's schema/vigie.schema.json and
# schema/incident.schema.json, and every record by
# tests/schema/eve_values.schema.json (what Suricata writes in the fields,
# which its schema leaves open: reasons, states, flags, required members).
#
#   tests/pcap/eve_schema.sh [BUILD_DIR]     (default: build)
#
# Records: alerts (with any incident and stats records of the same file) and
# flow records of the bundled scenarios (each story of scripts/gen-scenario with
# the config it names) and of every capture of ../shared/corpus (expect/corpus.yaml); the example
# record of docs/incidents.md too. 0 invalid records passes.
# Suricata's schema is not in this repository (tests/schema/suricata/README.md
# says where it comes from): it is read from $SURICATA_SCHEMA, else
# tests/schema/suricata/schema.json, else ../shared/suricata/schema.json;
# without one, only the project's schemas are checked, and the output says so.
# Ends with "N passed, N failed" (one per source of records).
set -uo pipefail
ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel 2>/dev/null) ||
    ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${SHARED:-$(cd "$ROOT/.." && pwd)/shared}
BUILD=${1:-$ROOT/build}
VIGIE=${VIGIE:-$BUILD/vigie}
JOBS=${JOBS:-2}
PY=/usr/bin/python3

[ -x "$VIGIE" ] || { echo "eve_schema: no binary at $VIGIE (build first or set VIGIE)"; exit 1; }
SURICATA=
for s in "${SURICATA_SCHEMA:-}" "$ROOT/tests/schema/suricata/schema.json" "$SHARED/suricata/schema.json"; do
    [ -n "$s" ] && [ -f "$s" ] && { SURICATA=$s; break; }
done
echo "eve_schema: Suricata schema: ${SURICATA:-not found, only the project schemas (see tests/schema/suricata/README.md)}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/out"

# run LABEL CONFIG CAPTURE: records in $tmp/out/N.json, label in N.label.
n=0
run() {
    n=$((n + 1))
    local o=$tmp/out/$n
    printf '%s\n' "$1" >"$o.label"
    "$VIGIE" -c "$2" -r "$3" --no-redis -q -A "$o.alerts" --flows "$o.flows" >/dev/null 2>"$o.err"
    cat "$o.alerts" "$o.flows" >"$o.json" 2>/dev/null
    rm -f "$o.alerts" "$o.flows"
}

# The bundled stories, each with the config it is written for.
for story in grand-angouleme:config/vigie.yaml angers:config/examples/angers.yaml; do
    name=${story%%:*} cfg=$ROOT/${story#*:}
    if "$PY" "$ROOT/scripts/gen-scenario" --scenario "$name" --out "$tmp/$name.pcap" \
        >/dev/null 2>"$tmp/gen.err"; then
        run "scenario $name" "$cfg" "$tmp/$name.pcap"
    else
        echo "FAIL scenario $name: gen-scenario failed: $(tail -1 "$tmp/gen.err")"
        exit 1
    fi
done
# The example record of the design document.
n=$((n + 1))
echo "docs/incidents.md example" >"$tmp/out/$n.label"
sed -n '/^## The record/,/^```$/p' "$ROOT/docs/incidents.md" | sed '1,/^```json/d;/^```$/d' |
    jq -c . >"$tmp/out/$n.json" 2>/dev/null

if [ -d "$SHARED/corpus" ] && [ -f "$SHARED/expect/corpus.yaml" ]; then
    running=0
    while IFS= read -r -d '' f; do
        run "corpus" "$SHARED/expect/corpus.yaml" "$f" &
        n=$((n + 1)) running=$((running + 1))
        if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
    done < <(find "$SHARED/corpus" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) \
        -print0 | sort -z)
    wait
else
    echo "eve_schema: no corpus at $SHARED/corpus: scenario only"
fi

"$PY" - "$tmp/out" "$ROOT" "$SURICATA" <<'EOF'
import glob
import json
import os
import sys
from collections import Counter, defaultdict

import jsonschema

out, root, suricata_path = sys.argv[1:4]
V = jsonschema.Draft202012Validator


def load(path):
    with open(path) as f:
        return json.load(f)


vigie = load(os.path.join(root, "schema/vigie.schema.json"))
incident = V(load(os.path.join(root, "schema/incident.schema.json")))
values = V(load(os.path.join(root, "tests/schema/eve_values.schema.json")))
vigie_alert = V({"$ref": "#/$defs/alert", "$defs": vigie["$defs"]})
vigie_flow = V({"$ref": "#/$defs/flow", "$defs": vigie["$defs"]})
suricata = V(load(suricata_path)) if suricata_path else None


def problems(r):
    """Every way record r fails its schemas, as short strings."""
    bad = ["values: %s: %s" % ("/".join(map(str, e.absolute_path)), e.message[:160])
           for e in values.iter_errors(r)]
    et = r.get("event_type")
    if "vigie" in r:
        v = vigie_alert if et == "alert" else vigie_flow
        bad += ["vigie: %s: %s" % ("/".join(map(str, e.absolute_path)), e.message[:160])
                for e in v.iter_errors(r["vigie"])]
    if et == "incident" or "incident" in r:
        bad += ["incident: %s: %s" % ("/".join(map(str, e.absolute_path)), e.message[:160])
                for e in incident.iter_errors(r.get("incident"))]
    if suricata:
        rest = {k: v for k, v in r.items() if k not in ("vigie", "incident")}
        bad += ["suricata: %s: %s" % ("/".join(map(str, e.absolute_path)), e.message[:160])
                for e in suricata.iter_errors(rest)]
    return bad


groups = defaultdict(lambda: {"files": 0, "records": Counter(), "invalid": 0, "examples": []})
for path in sorted(glob.glob(os.path.join(out, "*.label"))):
    base = path[:-len(".label")]
    label = open(path).read().strip()
    g = groups[label]
    g["files"] += 1
    if not os.path.exists(base + ".json"):
        continue
    for line in open(base + ".json"):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
        except ValueError:
            g["invalid"] += 1
            g["examples"].append("not JSON: " + line[:120])
            continue
        g["records"][r.get("event_type", "?")] += 1
        bad = problems(r)
        if bad:
            g["invalid"] += 1
            if len(g["examples"]) < 5:
                g["examples"].append("%s %s: %s" % (r.get("event_type"), r.get("flow_id", ""), bad[0]))

passed = failed = 0
for label, g in groups.items():
    counts = ", ".join("%d %s" % (c, t) for t, c in sorted(g["records"].items()))
    total = sum(g["records"].values())
    if g["invalid"] == 0 and total > 0:
        passed += 1
        print("ok   %s (%d files): %s, all valid" % (label, g["files"], counts))
    else:
        failed += 1
        print("FAIL %s (%d files): %s; %d invalid" % (label, g["files"], counts or "no records",
                                                    g["invalid"]))
        for e in g["examples"]:
            print("     " + e)
if suricata is None:
    print("note: no Suricata schema (see tests/schema/suricata/README.md): "
          "only the project's schemas were checked")
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
EOF

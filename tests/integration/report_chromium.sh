#!/usr/bin/env bash
# scripts/report end to end:
#  - from an inline fixture (3 zones, 8 detectors, an aggregated alert, and
#    hostile strings in the data): the page is self-contained (no external
#    source), escapes the data, and holds the zone names, the technique ids
#    and their attack.mitre.org links, the alert count;
#  - incidents: the last version of each drawn as an attack path above the
#    matrix (bands in zone order, a node per host with its role, an arrow per
#    hop labelled with its techniques and time, pivots marked), merged ones
#    named; hostile strings in incident records stay text;
#  - 0 alerts, and 100,000 alerts (table cut at 5,000 rows, with a note);
#  - from Redis (XRANGE of vigie:alerts) when redis-server is installed;
#  - from build/demo output when ./scripts/demo.sh has been run;
#  - every story of scripts/gen-scenario through build/vigie (skipped
#    without it) with its config: its -A file's incidents (a scenario
#    without one fails);
#  - rendered by headless Chromium (skipped if `chromium` is missing: the
#    Debian package): the DOM after the inline script ran, the attack paths
#    of the scenario against its records (attack_path_check.py: nodes, roles,
#    arrows, pivot markers, bands, labels; every node inside its zone's band
#    and every arrow ending on its destination, as laid out by Chromium),
#    and screenshots (> 10 KB), kept as build/report.png (REPORT_PNG=... to
#    change) and build/report-scenario[-STORY].png.
#   report_chromium.sh --docs-png   # also writes docs/report.png: the default story's page
# Installs nothing.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/incident_helpers.sh"
DOCS_PNG=""
[ "${1:-}" = "--docs-png" ] && DOCS_PNG=$ROOT/docs/report.png
PY=/usr/bin/python3
REPORT=$ROOT/scripts/report
REPORT_PNG=${REPORT_PNG:-$ROOT/build/report.png}
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT

# --- Fixture: an intrusion story over an hour between three zones. -------
$PY - "$T" <<'EOF'
import json, random, sys
out = sys.argv[1]
rnd = random.Random(7)
Z = {"agglo-users": "10.10.1.", "mairie-servers": "10.20.0.", "agglo-dc": "10.30.0."}
TACTIC = {"T1021.002": ("TA0008", "Lateral Movement"), "T1569.002": ("TA0002", "Execution"),
          "T1543.003": ("TA0003", "Persistence"), "T1018": ("TA0007", "Discovery"),
          "T1087.002": ("TA0007", "Discovery"), "T1003.006": ("TA0006", "Credential Access"),
          "T1558.003": ("TA0006", "Credential Access"), "T1046": ("TA0007", "Discovery"),
          "T1110.003": ("TA0006", "Credential Access")}
NAME = {"T1021.002": "Remote Services: SMB/Windows Admin Shares", "T1569.002": "System Services: Service Execution",
        "T1543.003": "Create or Modify System Process: Windows Service",
        "T1018": "Remote System Discovery", "T1087.002": "Account Discovery: Domain Account",
        "T1003.006": "OS Credential Dumping: DCSync", "T1558.003": "Steal or Forge Kerberos Tickets: Kerberoasting",
        "T1046": "Network Service Discovery", "T1110.003": "Brute Force: Password Spraying"}
# (minute, detector, techniques, severity, src zone, dest zone, port, app, evidence, count)
story = [
    (2, "internal_scan", ["T1046"], 2, "agglo-users", "mairie-servers", 445, "failed", {"hosts": 42, "ports": 7, "window": 60}, 1),
    (5, "password_spray", ["T1110.003"], 1, "agglo-users", "agglo-dc", 88, "krb5", {"accounts": 57, "failures": 61}, 1),
    (9, "kerberoast", ["T1558.003"], 1, "agglo-users", "agglo-dc", 88, "krb5", {"services": 14, "etype": "rc4-hmac"}, 1),
    (14, "rpc_discovery", ["T1018", "T1087.002"], 3, "agglo-users", "agglo-dc", 445, "dcerpc", {"interface": "samr", "calls": 23}, 5),
    (21, "smb_admin_share", ["T1021.002"], 1, "agglo-users", "mairie-servers", 445, "smb", {"share": "\\\\SRV-FIC\\ADMIN$", "user": "<script>alert(1)</script>"}, 1),
    (23, "remote_service", ["T1569.002", "T1543.003"], 1, "agglo-users", "mairie-servers", 445, "dcerpc", {"interface": "svcctl", "opnum": 12, "function": "RCreateServiceW", "service": "PSEXESVC"}, 1),
    (35, "dcsync", ["T1003.006"], 1, "mairie-servers", "agglo-dc", 49667, "dcerpc", {"interface": "drsuapi", "function": "DRSGetNCChanges"}, 1),
    (40, "policy_violation", [], 2, "mairie-servers", "agglo-users", 3389, "rdp", {"app": "RDP", "server_port": 3389, "rule": "default deny"}, 1),
]
fid = 1000
with open(out + "/alerts.json", "w") as f:
    for minute, det, techs, sev, sz, dz, port, app, ev, count in story:
        for rep in range(3):  # each detector fires a few times
            fid += 1
            sec = minute * 60 + rep * 97 + rnd.randint(0, 30)
            tactics = []
            for t in techs:
                if TACTIC[t] not in tactics:
                    tactics.append(TACTIC[t])
            md = {"mitre_tactic_id": [t[0] for t in tactics] or ["TA0008"],
                  "mitre_tactic_name": [t[1] for t in tactics] or ["Lateral Movement"]}
            if techs:
                md["mitre_technique_id"] = techs
                md["mitre_technique_name"] = [NAME[t] for t in techs]
            a = {"timestamp": "2024-03-12T%02d:%02d:%02d.%06d+0000" % (9 + sec // 3600, sec // 60 % 60, sec % 60, rnd.randint(0, 999999)),
                 "flow_id": fid, "community_id": "1:fixture%d=" % fid, "event_type": "alert", "host": "span-test",
                 "src_ip": Z[sz] + str(20 + rep), "src_port": 49700 + fid % 100, "dest_ip": Z[dz] + str(10 + rep),
                 "dest_port": port, "proto": "TCP", "app_proto": app,
                 "alert": {"action": "allowed", "gid": 1, "signature_id": 9100000 + len(det), "rev": 1,
                           "signature": "VIGIE %s %s -> %s" % (det, sz, dz), "category": "Fixture",
                           "severity": sev, "metadata": md},
                 "vigie": {"detector": det, "src_zone": sz, "dest_zone": dz,
                           "policy": "deny" if sz != dz else "allow", "count": count if rep == 2 else 1,
                           "evidence": ev},
                 "flow": {"pkts_toserver": 5, "pkts_toclient": 4, "bytes_toserver": 900, "bytes_toclient": 700,
                          "start": "2024-03-12T09:00:00.000000+0000"}}
            f.write(json.dumps(a) + "\n")
# Incidents: two versions of one (the last drawn), one merged into it, and
# hostile strings in a zone and a technique.
def inc(ver, change, hosts, hops, zones, tactics, state="open", iid="5eed00000000000a", **kw):
    r = {"id": iid, "version": ver, "state": state, "change": change, "first_seen": "2024-03-12T09:21:13.061981+0000",
         "last_seen": "2024-03-12T09:35:18.613984+0000", "severity": 1, "score": 10 * len(tactics) + 10,
         "alerts": 7, "origin": hosts[0][0],
         "hosts": [{"ip": ip, "zone": z, "role": ro, "first_seen": "2024-03-12T09:21:13.061981+0000"}
                   for ip, z, ro in hosts],
         "hops": [{"src_ip": a, "dest_ip": b, "src_zone": za, "dest_zone": zb, "first_seen": t,
                   "last_seen": t, "techniques": te, "detectors": ["smb_admin_share"], "alerts": 2,
                   "allowed_flows": 0} for a, b, za, zb, t, te in hops],
         "zones": zones, "tactics": tactics, "pivots": sum(1 for h in hosts if h[2] == "pivot"),
         "hosts_dropped": 0, "hops_dropped": 0}
    r.update(kw)
    return {"timestamp": r["last_seen"], "event_type": "incident", "host": "span-test", "incident": r}
H1 = [("10.10.1.20", "agglo-users", "origin"), ("10.20.0.10", "mairie-servers", "target")]
P1 = [("10.10.1.20", "10.20.0.10", "agglo-users", "mairie-servers", "2024-03-12T09:21:13.061981+0000",
       ["T1021.002", "T1569.002"])]
H3 = [H1[0], ("10.20.0.10", "mairie-servers", "pivot"), ("10.30.0.10", "agglo-dc", "target"),
      ("10.66.0.1", "<script>alert(1)</script>", "target")]
P3 = P1 + [("10.20.0.10", "10.30.0.10", "mairie-servers", "agglo-dc", "2024-03-12T09:35:18.613984+0000", ["T1003.006"]),
           ("10.20.0.10", "10.66.0.1", "mairie-servers", "<script>alert(1)</script>", "2024-03-12T09:36:00.000000+0000",
            ["<b>T9999</b>"])]
with open(out + "/alerts.json", "a") as f:
    for r in (inc(1, ["new_incident", "new_host", "new_hop"], H1, P1, ["agglo-users", "mairie-servers"], ["TA0008"]),
              inc(2, ["merged"], [("10.20.0.10", "mairie-servers", "origin")], [], ["mairie-servers"], ["TA0006"],
                  state="merged", iid="5eed00000000000b", merged_into="5eed00000000000a"),
              inc(3, ["new_hop", "new_zone", "pivot"], H3, P3,
                  ["agglo-users", "mairie-servers", "agglo-dc", "<script>alert(1)</script>"], ["TA0008", "TA0006"])):
        f.write(json.dumps(r) + "\n")
with open(out + "/flows.json", "w") as f:
    for i in range(300):
        sz, dz = rnd.choice(list(Z)), rnd.choice(list(Z))
        f.write(json.dumps({"timestamp": "2024-03-12T09:30:00.000000+0000", "flow_id": i, "event_type": "flow",
                            "src_ip": Z[sz] + "5", "dest_ip": Z[dz] + "6", "proto": "TCP", "app_proto": "smb",
                            "flow": {"bytes_toserver": 100, "bytes_toclient": 200}, "src_zone": sz, "dest_zone": dz}) + "\n")
EOF
NALERTS=$(grep -c '"event_type": "alert"' "$T/alerts.json")
ZONES=(agglo-users mairie-servers agglo-dc)
TECHS=(T1021.002 T1569.002 T1543.003 T1018 T1087.002 T1003.006 T1558.003 T1046 T1110.003)
LINKS=(https://attack.mitre.org/techniques/T1021/002/ https://attack.mitre.org/techniques/T1046/
    https://attack.mitre.org/techniques/T1003/006/ https://attack.mitre.org/tactics/TA0008/)
DETECTORS=(internal_scan password_spray kerberoast rpc_discovery smb_admin_share remote_service dcsync
    policy_violation)

has_all() { # FILE WORD... : every word occurs in FILE
    local f=$1 w; shift
    for w in "$@"; do grep -qF -- "$w" "$f" || { echo "missing: $w" >&2; return 1; }; done
}
count_card() { # FILE N : the "Alerts" key figure is N
    grep -Eq "id=\"card-alerts\"[^>]*><div class=\"v\" data-n=\"$2\">" "$1"
}
self_contained() { # no src=, no url(, no @import, and every link is to attack.mitre.org
    ! grep -Eqi '\ssrc=|url\(|@import' "$1" &&
        ! grep -Eo 'href="[^"]*"' "$1" | grep -qv 'href="https://attack.mitre.org/'
}
escaped() {
    grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' "$1" && ! grep -qF '<script>alert(' "$1" &&
        [ "$(grep -o '<script' "$1" | wc -l)" -eq 1 ]
}

H=$T/report.html
check "report builds from alerts + flows" $PY "$REPORT" --alerts "$T/alerts.json" --flows "$T/flows.json" \
    --out "$H" --title "Vigie fixture report"
check "page holds zones, techniques, detectors, MITRE links" has_all "$H" "${ZONES[@]}" "${TECHS[@]}" "${DETECTORS[@]}" "${LINKS[@]}"
check "page shows the alert count ($NALERTS)" count_card "$H" "$NALERTS"
check "flows are counted in the matrix" grep -qF '<span class="nf">300 flows</span>' "$H"
check "aggregated count shown (x5)" grep -qF '>x5<' "$H"
check "self-contained: nothing loaded from elsewhere" self_contained "$H"
check "data is HTML-escaped" escaped "$H"
in_order() { # FILE A B : A occurs before B
    local a b
    a=$(grep -bo -- "$2" "$1" | head -1 | cut -d: -f1)
    b=$(grep -bo -- "$3" "$1" | head -1 | cut -d: -f1)
    [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
}
count_of() { grep -o -- "$2" "$1" | wc -l; }
check "incidents: the attack paths come before the matrix" in_order "$H" 'id="incidents"' 'id="matrix"'
check "incidents: the last version (v3) is drawn, with 4 hosts and 1 pivot" grep -qF \
    'data-id="5eed00000000000a" data-version="3" data-state="open" data-hosts="4" data-hops="3" data-pivots="1"' "$H"
check "incidents: one node per host, with its role" sh -c "[ \$(grep -o '<g class=\"node [a-z]*\" data-ip=' '$H' |
    wc -l) -eq 4 ] && grep -q 'data-ip=\"10.10.1.20\" data-role=\"origin\"' '$H' &&
    grep -q 'data-ip=\"10.20.0.10\" data-role=\"pivot\"' '$H' && grep -q 'data-ip=\"10.30.0.10\" data-role=\"target\"' '$H'"
check "incidents: one arrow per hop, one pivot marker" sh -c "[ \$(grep -o '<g class=\"hop [a-z]*\"' '$H' | wc -l) -eq 3 ] &&
    [ \$(grep -o 'class=\"pivot-marker\"' '$H' | wc -l) -eq 1 ]"
check "incidents: bands in the order reached" in_order "$H" 'data-zone="mairie-servers" data-order="2"' \
    'data-zone="agglo-dc" data-order="3"'
check "incidents: hop labels hold number, time, technique id and short name" has_all "$H" '>#2  09:35:18' \
    '<tspan class="tid">T1003.006</tspan> DCSync' '<tspan class="tid">T1021.002</tspan> SMB/Windows Admin Shares'
check "incidents: header with id, score, tactic names" has_all "$H" '5eed00000000000a' 'score <b>30</b>' \
    'Lateral Movement <a class="tech" href="https://attack.mitre.org/tactics/TA0008/"' 'Credential Access'
check "incidents: the merged one is named" grep -qF \
    '<span class="mono">5eed00000000000b</span> into <span class="mono">5eed00000000000a</span>' "$H"
check "incidents: hostile strings stay text" has_all "$H" '&lt;b&gt;T9999&lt;/b&gt;' 'data-zone="&lt;script&gt;'
check "incidents: a key of shapes and arrows" has_all "$H" 'origin (first source)' 'pivot (target that moved on)'
check "tactic lanes: ATT&CK tactics in the timeline" sh -c "$PY '$REPORT' --alerts '$T/alerts.json' --lanes tactic \
    --out '$T/tactic.html' && grep -q 'Credential Access TA0006' '$T/tactic.html'"

check "0 alerts: a page saying so" sh -c "$PY '$REPORT' --alerts /dev/null --out '$T/empty.html' &&
    grep -q 'No alerts' '$T/empty.html' && grep -q 'id=\"card-alerts\"><div class=\"v\" data-n=\"0\"' '$T/empty.html'"

# 100,000 alerts: the fixture repeated with shifted times.
$PY - "$T" <<'EOF'
import json, sys
src = [o for o in map(json.loads, open(sys.argv[1] + "/alerts.json")) if o["event_type"] == "alert"]
with open(sys.argv[1] + "/big.json", "w") as f:
    for i in range(100000):
        a = dict(src[i % len(src)])
        a["timestamp"] = "2024-03-%02dT%02d:%02d:%02d.000000+0000" % (12 + i // 86400, i // 3600 % 24, i // 60 % 60, i % 60)
        f.write(json.dumps(a) + "\n")
EOF
big_ok() {
    local t0=$SECONDS
    $PY "$REPORT" --alerts "$T/big.json" --out "$T/big.html" 2>/dev/null || return 1
    echo "     (100k alerts: $((SECONDS - t0)) s, $(($(wc -c <"$T/big.html") / 1024)) KB of HTML)"
    [ $((SECONDS - t0)) -lt 120 ] &&
        grep -q 'id="truncated"' "$T/big.html" &&
        grep -qF 'id="truncated" data-shown="5000" data-total="100000"' "$T/big.html" &&
        [ "$(grep -o '<tr class="r[0-9]"' "$T/big.html" | wc -l)" -eq 5000 ] &&
        count_card "$T/big.html" 100000
}
if big_ok; then passed=$((passed + 1)); echo "ok   100k alerts: table cut at 5000 rows, with a note"
else failed=$((failed + 1)); echo "FAIL 100k alerts: table cut at 5000 rows, with a note"; fi

# From Redis: the stream vigie:alerts, as the sensor writes it.
if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
    . "$ROOT/tests/integration/redis_helpers.sh"
    if redis_start "$T/redis"; then
        PIDS+=("$REDIS_PID")
        redis-cli -p "$REDIS_PORT" CONFIG SET requirepass s3cret >/dev/null
        while IFS= read -r line; do
            case $line in
            *'"event_type": "incident"'*) key=test:incidents field=alert ;; # the sensor's field for both
            *) key=test:alerts field=alert ;;
            esac
            redis-cli -p "$REDIS_PORT" -a s3cret --no-auth-warning XADD "$key" '*' "$field" "$line" >/dev/null
        done <"$T/alerts.json"
        check "report --redis reads the stream (password, prefix)" sh -c "$PY '$REPORT' \
            --redis 'redis://:s3cret@127.0.0.1:$REDIS_PORT' --prefix test --out '$T/redis.html' &&
            grep -q 'id=\"card-alerts\"><div class=\"v\" data-n=\"$NALERTS\"' '$T/redis.html' &&
            ! grep -q s3cret '$T/redis.html'"
        check "report --redis draws the incidents of <prefix>:incidents" grep -qF \
            'data-id="5eed00000000000a" data-version="3"' "$T/redis.html"
        check "report --redis over the unix socket" sh -c "$PY '$REPORT' \
            --redis 'unix://:s3cret@$REDIS_SOCK' --prefix test --out '$T/redis2.html' &&
            grep -q 'id=\"card-alerts\"><div class=\"v\" data-n=\"$NALERTS\"' '$T/redis2.html'"
        redis_stop
    else
        failed=$((failed + 1)); echo "FAIL redis-server for report --redis"
    fi
else
    echo "report --redis: skipped (no redis-server)"
fi

# The demo's real output, when ./scripts/demo.sh has been run.
DEMO=$ROOT/build/demo
if [ -s "$DEMO/alerts.json" ] && [ -s "$DEMO/flows.json" ]; then
    mapfile -t demo_zones < <(jq -r '.vigie.src_zone, .vigie.dest_zone' "$DEMO/alerts.json" | sort -u)
    demo_n=$(grep -c '"event_type":"alert"' "$DEMO/alerts.json")
    check "report from build/demo output ($demo_n alerts)" sh -c "$PY '$REPORT' --alerts '$DEMO/alerts.json' \
        --flows '$DEMO/flows.json' --out '$T/demo.html' && grep -q 'id=\"card-alerts\"><div class=\"v\" data-n=\"$demo_n\"' '$T/demo.html'"
    check "demo report holds the demo's zones" has_all "$T/demo.html" "${demo_zones[@]}"
fi

# Every scenario story through the sensor, and its incidents. SCS: "story page records source" of each page made.
SCS=()
for story in $(scenario_stories); do
    if ! scenario_incidents "$T/sc-$story" "$story"; then
        failed=$((failed + 1)); echo "FAIL scenario $story: no incidents from the sensor"
        continue
    fi
    SC=$T/sc-$story.html
    check "scenario $story ($INC_SOURCE incidents): report builds" $PY "$REPORT" --alerts "$INC_FILE" \
        --flows "$T/sc-$story/flows.json" --out "$SC" \
        --title "vigie: $([ "$story" = default ] && echo "the bundled scenario" || echo "scenario $story")"
    check "scenario $story: the page is self-contained" self_contained "$SC"
    check "scenario $story: an attack path is drawn" grep -q '<svg class="attack-path"' "$SC"
    n_inc=$(jq -r 'select(.event_type == "alert") | .vigie.incident // empty' "$INC_FILE" | wc -l)
    check "scenario $story: the alert table names each alert's incident ($n_inc)" \
        test "$(grep -o 'incident <span class="mono">[0-9a-f]*</span>' "$SC" | wc -l)" -eq "$n_inc" -a "$n_inc" -gt 0
    SCS+=("$story $SC $INC_FILE $INC_SOURCE")
done

# --- Rendered by Chromium. --------------------------------------------------
if ! command -v chromium >/dev/null; then
    echo "report_chromium: rendering skipped (no chromium: apt-get install chromium)"
    finish report_chromium
    exit $?
fi
CHROME=(chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
    --disable-background-networking --disable-component-update --disable-sync
    --disable-extensions --mute-audio --hide-scrollbars)
PROFILE=$(mktemp -d -p "$T")
timeout 120 "${CHROME[@]}" --user-data-dir="$PROFILE" --dump-dom "file://$H" >"$T/dom.html" 2>"$T/chromium.log"
PROFILE=$(mktemp -d -p "$T")
(cd "$T" && timeout 120 "${CHROME[@]}" --user-data-dir="$PROFILE" --screenshot="$T/out.png" \
    --window-size=1400,1800 "file://$H" >>"$T/chromium.log" 2>&1)
# The page's script at work: sort by severity (twice), then filter rows.
# (a script after </html> still runs, in the body)
cat "$H" - >"$T/probe.html" <<'EOF'
<script>
var th = document.querySelector("#alert-table th:nth-child(3)"), first = function () {
  return document.querySelector("#alert-table tbody tr td:nth-child(3)").getAttribute("data-k"); };
th.click(); var up = first(); th.click(); var down = first();
var f = document.getElementById("filter"); f.value = "dcsync"; f.dispatchEvent(new Event("input"));
var shown = Array.prototype.filter.call(document.querySelectorAll("#alert-table tbody tr"),
  function (r) { return r.style.display !== "none"; }).length;
document.body.setAttribute("data-probe", "sorted " + up + "," + down + " shown " + shown);
</script>
EOF
PROFILE=$(mktemp -d -p "$T")
timeout 120 "${CHROME[@]}" --user-data-dir="$PROFILE" --dump-dom "file://$T/probe.html" >"$T/probe.dom" 2>>"$T/chromium.log"
check "chromium dumps the DOM" test -s "$T/dom.html"
check "sorting by severity and filtering work" grep -q 'data-probe="sorted 1,3 shown 3"' "$T/probe.dom"
check "DOM: zone names" has_all "$T/dom.html" "${ZONES[@]}"
check "DOM: technique ids" has_all "$T/dom.html" "${TECHS[@]}"
check "DOM: MITRE links" has_all "$T/dom.html" "${LINKS[@]}"
check "DOM: alert count" count_card "$T/dom.html" "$NALERTS"
check "DOM: the inline script ran (sortable headers)" grep -q 'sortable-h' "$T/dom.html"
check "DOM: hostile data stayed text" grep -qF '&lt;script&gt;alert(1)' "$T/dom.html"
is_png() { head -c 8 "$1" | grep -q PNG && [ "$(wc -c <"$1")" -gt 10240 ]; }
check "screenshot is a PNG over 10 KB" is_png "$T/out.png"
if [ -s "$T/out.png" ]; then
    mkdir -p "$(dirname "$REPORT_PNG")" && cp "$T/out.png" "$REPORT_PNG" && echo "screenshot: $REPORT_PNG"
fi
# The scenario's attack paths as Chromium lays them out: a probe measures
# every node against its zone's band and every arrowhead against its
# destination; attack_path_check.py compares the DOM with the records.
cat >"$T/geom-probe.js" <<'EOF'
<script>
(function () {
  var out = [];
  document.querySelectorAll("svg.attack-path").forEach(function (svg) {
    var bands = {}, nodes = {}, outside = 0, astray = 0;
    svg.querySelectorAll("g.band").forEach(function (b) {
      bands[b.getAttribute("data-zone")] = b.querySelector("rect").getBBox(); });
    svg.querySelectorAll("g.node").forEach(function (n) {
      var r = n.querySelector(".shape").getBBox(), b = bands[n.getAttribute("data-zone")];
      nodes[n.getAttribute("data-ip")] = r;
      if (!b || r.y < b.y || r.y + r.height > b.y + b.height) outside++; });
    var hops = svg.querySelectorAll("g.hop");
    hops.forEach(function (h) {
      var p = h.querySelector("polygon.head").points[0], r = nodes[h.getAttribute("data-dst")];
      if (!r || p.x < r.x - 3 || p.x > r.x + r.width + 3 || p.y < r.y - 3 || p.y > r.y + r.height + 3) astray++; });
    out.push(svg.getAttribute("data-incident") + ":" + Object.keys(nodes).length + "," + outside + "," +
             hops.length + "," + astray);
  });
  document.body.setAttribute("data-geom", out.join(" "));
})();
</script>
EOF
first=1
for sc in "${SCS[@]}"; do
    read -r story SC INC_FILE INC_SOURCE <<<"$sc"
    cat "$SC" "$T/geom-probe.js" >"$T/sc-probe.html"
    PROFILE=$(mktemp -d -p "$T")
    timeout 120 "${CHROME[@]}" --user-data-dir="$PROFILE" --dump-dom "file://$T/sc-probe.html" >"$T/sc.dom" \
        2>>"$T/chromium.log"
    check "scenario $story DOM: the probe measured the attack paths" grep -q 'data-geom="[0-9a-f]' "$T/sc.dom"
    if $PY "$ROOT/tests/integration/attack_path_check.py" "$T/sc.dom" "$INC_FILE" >"$T/apc.out" 2>&1; then
        passed=$((passed + 1)); echo "ok   scenario $story DOM ($INC_SOURCE incidents): $(tail -1 "$T/apc.out")"
    else
        failed=$((failed + 1)); echo "FAIL scenario $story DOM ($INC_SOURCE incidents):"; sed 's/^/     /' "$T/apc.out"
    fi
    PROFILE=$(mktemp -d -p "$T")
    (cd "$T" && timeout 120 "${CHROME[@]}" --user-data-dir="$PROFILE" --screenshot="$T/sc.png" \
        --window-size=1400,1800 "file://$SC" >>"$T/chromium.log" 2>&1)
    check "scenario $story screenshot is a PNG over 10 KB" is_png "$T/sc.png"
    if is_png "$T/sc.png"; then
        # The default story (listed first) is build/report-scenario.png and, asked, docs/report.png.
        png=$ROOT/build/report-scenario$([ "$first" = 1 ] || echo "-$story").png
        mkdir -p "$ROOT/build" && cp "$T/sc.png" "$png" && echo "screenshot: $png"
        if [ -n "$DOCS_PNG" ] && [ "$first" = 1 ]; then
            cp "$T/sc.png" "$DOCS_PNG" && echo "screenshot: $DOCS_PNG (the $story scenario, $INC_SOURCE incidents)"
        fi
    fi
    first=0
done
if [ -n "$DOCS_PNG" ] && [ "${#SCS[@]}" -eq 0 ]; then
    failed=$((failed + 1)); echo "FAIL --docs-png: no scenario page (build/vigie missing?)"
fi
[ "$failed" -eq 0 ] || tail -5 "$T/chromium.log"
finish report_chromium

#!/usr/bin/env bash
# Alerts of the real binary parsed back with jq and checked against SPEC
# section 4 (Suricata EVE fields, ATT&CK metadata, vigie block), with GeoIP
# and ASN from small MaxMind-format databases built here.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

/usr/bin/python3 "$ROOT/scripts/gen-traffic" --out "$T/mix.pcap" --flows 400 --packets 3000 --seed 5 2>/dev/null
geo=""
if perl "$ROOT/tests/config/make_geoip_mmdb.pl" "$T/country.mmdb" "$T/asn.mmdb"; then
    geo="geoip: {country: country.mmdb, asn: asn.mmdb}"
else
    echo "(libmaxmind-db-writer-perl missing: GeoIP checks skipped)"
fi
cat >"$T/vigie.yaml" <<YAML
sensor: {name: json-check}
zones:
  - {name: users, cidrs: [10.20.0.0/16], site: Mairie}
  - {name: servers, cidrs: [10.10.0.0/16, 172.16.0.0/12], site: Agglo, criticality: high}
policy:
  default: deny
  allow:
    - {from: users, to: servers, apps: [DNS, NTP, SMBv23]}
detect: {dedup_window: 0}
$geo
outputs: {redis: {url: ""}}
YAML
"$VIGIE" -c "$T/vigie.yaml" -r "$T/mix.pcap" --no-redis -A "$T/all.json" --flows "$T/flows.json" -q 2>/dev/null
check "every line parses as JSON" jq -e -s 'length > 0' "$T/all.json"
# The alerts file holds alerts and the versions of their incidents (docs/incidents.md).
jq -c 'select(.event_type == "alert")' "$T/all.json" >"$T/alerts.json"
jq -c 'select(.event_type == "incident")' "$T/all.json" >"$T/incidents.json"
n=$(wc -l <"$T/alerts.json")
check "alerts written ($n)" test "$n" -gt 5
check "nothing but alerts and incident records" \
    test "$(wc -l <"$T/all.json")" -eq $((n + $(wc -l <"$T/incidents.json")))

spec='
  (.timestamp | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}\\+0000$"))
  and (.flow_id | type == "number") and (.community_id | startswith("1:"))
  and .event_type == "alert" and .host == "json-check"
  and (.src_ip | type == "string") and (.dest_ip | type == "string")
  and (.proto | IN("TCP","UDP","ICMP","IPv6-ICMP") or test("^[0-9]+$"))
  and (.app_proto | type == "string")
  and .alert.action == "allowed" and .alert.gid == 1 and (.alert.signature_id | type == "number")
  and .alert.rev == 1 and (.alert.signature | startswith("VIGIE "))
  and (.alert.category | type == "string") and (.alert.severity | IN(1,2,3))
  and (.alert.metadata | type == "object")
  and (.vigie.detector == "ndpi_risk" or (.alert.metadata.mitre_tactic_id | type == "array" and length > 0))
  and (.vigie.detector | type == "string") and (.vigie.src_zone | type == "string")
  and (.vigie.dest_zone | type == "string") and (.vigie.policy | IN("allow","deny","none"))
  and (.vigie.evidence | type == "object") and (.vigie.count >= 1)
  and (.vigie.incident == null or (.vigie.incident | test("^[0-9a-f]{16}$")))
  and (.flow.pkts_toserver | type == "number") and (.flow.bytes_toclient | type == "number")
  and (.flow.start | type == "string")'
check "every alert has the SPEC 4 fields" jq -e -s "all(.[]; $spec)" "$T/alerts.json"
check "signature_id is stable per detector and variant" \
    jq -e -s 'group_by(.alert.signature_id) | all(map(.vigie.detector) | unique | length == 1)' "$T/alerts.json"
check "policy violations name the zones and say deny" \
    jq -e -s '[.[] | select(.vigie.detector == "policy_violation")] | length > 0 and all(.vigie.policy == "deny" and .vigie.src_zone != .vigie.dest_zone)' "$T/alerts.json"
check "allowed apps do not raise policy violations" \
    jq -e -s '[.[] | select(.vigie.detector == "policy_violation" and .vigie.src_zone == "users" and .vigie.dest_zone == "servers" and (.app_proto | IN("dns","ntp")))] | length == 0' "$T/alerts.json"
check "cross-zone alerts toward a high-criticality zone are severity 1" \
    jq -e -s '[.[] | select(.vigie.dest_zone == "servers")] | all(.alert.severity == 1)' "$T/alerts.json"
check "technique ids come with names" \
    jq -e -s '[.[] | select(.alert.metadata.mitre_technique_id)] | all((.alert.metadata.mitre_technique_id | length) == (.alert.metadata.mitre_technique_name | length))' "$T/alerts.json"
check "alerts with ATT&CK metadata name their incident" \
    jq -e -s '[.[] | select(.alert.metadata.mitre_tactic_id)] | length > 0 and all(.vigie.incident)' "$T/alerts.json"
# With dedup_window 0 every alert is sent as found: a version of its incident follows it.
check "each incident an alert names has a record written after the alert" \
    jq -e -s '. as $all | [range(length) | select($all[.].vigie.incident)] | length > 0 and
        all(. as $i | $all[$i].vigie.incident as $id
            | any($all[$i + 1:][]; .event_type == "incident" and .incident.id == $id))' "$T/all.json"
# docs/incidents.md rule 9: SMB from users to servers is allowed, a fact of its flow record.
check "no alert on an admin protocol the policy allows" \
    jq -e -s '[.[] | select(.vigie.detector == "admin_protocol_cross_zone" and .app_proto == "smb"
        and .vigie.src_zone == "users" and .vigie.dest_zone == "servers")] | length == 0' "$T/alerts.json"
zone() { echo "(.vigie.$1 // .$1)"; }  # flow records: zones at the top or under vigie
check "allowed SMB flows say so on their flow record, with the rule" \
    jq -e -s "[.[] | select(.app_proto == \"smb\" and $(zone src_zone) == \"users\" and $(zone dest_zone) == \"servers\")]
        | length > 0 and all(.vigie.policy == \"allow\" and (.vigie.allowed_by | test(\"vigie.yaml:[0-9]+$\")))" "$T/flows.json"
check "no other flow record claims an allow rule" \
    jq -e -s '[.[] | select(.vigie.policy)] | all(.app_proto == "smb")' "$T/flows.json"
# RFC 8259 leaves '/' unescaped: a Community ID copied from Zeek greps as is.
slashed=$(jq -r 'select(.community_id | contains("/")) | .community_id' "$T/alerts.json" | head -1)
check "a community_id with '/' is written as is ($slashed)" \
    sh -c '[ -n "$1" ] && grep -qF "\"community_id\":\"$1\"" "$2" && ! grep -qF "\\/" "$2"' _ "$slashed" "$T/alerts.json"
if [ -n "$geo" ]; then
    check "GeoIP: external 198.51.100.0/24 endpoints are FR / AS3215 Orange" \
        jq -e -s '[.[] | select(.dest_ip | startswith("198.51.100."))] | length > 0 and all(.vigie.dest_geo.country == "FR" and .vigie.dest_geo.asn == 3215 and .vigie.dest_geo.as_org == "Orange")' "$T/alerts.json"
    check "GeoIP: internal endpoints get no geo block" \
        jq -e -s '[.[] | select((.vigie.dest_zone != "external" and .vigie.dest_geo != null) or (.vigie.src_zone != "external" and .vigie.src_geo != null))] | length == 0' "$T/alerts.json"
    check "GeoIP: quotes in AS names stay valid JSON" \
        jq -e -s '[.[] | select(.dest_ip | startswith("203.0.113."))] | all(.vigie.dest_geo.as_org == "Example \"Bulletproof\" Hosting")' "$T/alerts.json"
fi
finish alert_json

/* Suricata EVE JSON: the fields every event shares, and the flow event,
 * named as Suricata's output-json*.c write them and as its etc/schema.json
 * describes them; what only vigie writes goes under "vigie". Each writes
 * members into the object open in the writer (json.h), which escapes every
 * string; nothing is escaped by hand. */
#ifndef VIGIE_EVE_H
#define VIGIE_EVE_H

#include <stddef.h>
#include <stdint.h>

#include "classify/classify.h"
#include "flow/flow_table.h"
#include "enrich/zones.h"
#include "json.h"

struct geoip;
struct policy;

struct eve_context {
    const struct classifier *cls;
    const struct zones *zones;
    const struct geoip *geoip;   /* NULL: no GeoIP configured */
    const char *host;            /* sensor name */
    const struct policy *policy; /* names the allow rule of a flow record; NULL: none */
};

/* "2023-07-25T08:14:03.123456+0000" */
void eve_format_time(uint64_t ts_us, char *buf, size_t len);
/* Text form of a flow-key address (IPv4-mapped shown as IPv4). */
void eve_format_addr(const uint8_t addr[16], uint8_t family, char *buf, size_t len);
/* The IANA keyword Suricata writes ("TCP", "GRE", "IPv6-ICMP", ...), else
 * the protocol number. */
const char *eve_proto_name(uint8_t proto, char *buf, size_t len);
/* flow.reason: "timeout", "shutdown", "forced" or "tcp_reuse". */
const char *eve_flow_reason(enum flow_end_reason reason);
/* flow.state ("new", "established", "closed") and the tcp object's state
 * ("syn_sent" ... "closed"), from the flags each side sent. */
const char *eve_flow_state(const struct flow *f);
const char *eve_tcp_state(const struct flow *f);

/* timestamp, flow_id, event_type, host, 5-tuple oriented client -> server,
 * proto, icmp_type/icmp_code (ICMP), app_proto (Suricata's name, "failed"
 * when it has none). */
void eve_common(struct json_writer *s, const struct eve_context *ctx, const char *event_type,
                uint64_t ts_us, const struct flow *f);
/* community_id of the flow (Community ID v1, seed 0). */
void eve_community_id(struct json_writer *s, const struct flow *f);
/* An alert's direction: its src is always the flow's client, so the
 * record reads as a packet sent "to_server". */
void eve_alert_direction(struct json_writer *s, const struct flow *f);
/* The "flow" object: packets and bytes both ways, start, then for a flow
 * event (with_end) end, age, state, reason, alerted, and for an alert the
 * flow's own tuple (src_ip, dest_ip, ports) as Suricata's alerts carry. */
void eve_flow_counters(struct json_writer *s, const struct flow *f, int with_end,
                       enum flow_end_reason reason);
/* Inside the "vigie" object: src_zone, dest_zone, and src_geo / dest_geo
 * for the flow's external endpoints if GeoIP is on. */
void eve_vigie_zones(struct json_writer *s, const struct eve_context *ctx, const struct flow *f);
/* src_geo / dest_geo alone (eve_vigie_zones writes them). */
void eve_geo(struct json_writer *s, const struct eve_context *ctx, const struct flow *f);
/* The members of a flow event for a finished flow. */
void eve_flow_event(struct json_writer *s, const struct eve_context *ctx, const struct flow *f,
                    enum flow_end_reason reason);

#endif

/* Suricata EVE JSON: the fields every event shares, and the flow event.
 * Each writes members into the object open in the writer (json.h), which
 * escapes every string; nothing is escaped by hand. */
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
/* "TCP", "UDP", "ICMP", "IPv6-ICMP" or the protocol number. */
const char *eve_proto_name(uint8_t proto, char *buf, size_t len);

/* timestamp, flow_id, event_type, host, 5-tuple oriented client -> server,
 * proto, app_proto. */
void eve_common(struct json_writer *s, const struct eve_context *ctx, const char *event_type,
                uint64_t ts_us, const struct flow *f);
/* The "flow" object: packets and bytes both ways, start [, end, reason]. */
void eve_flow_counters(struct json_writer *s, const struct flow *f, int with_end,
                       enum flow_end_reason reason);
/* src_geo / dest_geo for the flow's external endpoints, if GeoIP is on. */
void eve_geo(struct json_writer *s, const struct eve_context *ctx, const struct flow *f);
/* The members of a flow event for a finished flow. */
void eve_flow_event(struct json_writer *s, const struct eve_context *ctx, const struct flow *f,
                    enum flow_end_reason reason);

#endif

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "eve.h"
#include "enrich/geoip.h"
#include "enrich/policy.h"

void eve_format_time(uint64_t ts_us, char *buf, size_t len)
{
    time_t secs = (time_t)(ts_us / 1000000u);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%06u+0000", (unsigned)(ts_us % 1000000u));
}

void eve_format_addr(const uint8_t addr[16], uint8_t family, char *buf, size_t len)
{
    if (family == 4)
        inet_ntop(AF_INET, addr + 12, buf, (socklen_t)len);
    else
        inet_ntop(AF_INET6, addr, buf, (socklen_t)len);
}

const char *eve_proto_name(uint8_t proto, char *buf, size_t len)
{
    switch (proto) {
    case 6:
        return "TCP";
    case 17:
        return "UDP";
    case 1:
        return "ICMP";
    case 58:
        return "IPv6-ICMP";
    case 132:
        return "SCTP";
    default:
        snprintf(buf, len, "%u", proto);
        return buf;
    }
}

void eve_common(struct json_writer *s, const struct eve_context *ctx, const char *event_type,
                uint64_t ts_us, const struct flow *f)
{
    char buf[64];
    int c = f->client, sv = !f->client;

    eve_format_time(ts_us, buf, sizeof(buf));
    json_key_str(s, "timestamp", buf);
    json_key_u64(s, "flow_id", f->id);
    json_key_str(s, "event_type", event_type);
    if (ctx->host && *ctx->host) json_key_str(s, "host", ctx->host);
    if (f->key.vlan) {
        json_key_array(s, "vlan");
        json_array_u64(s, f->key.vlan);
        json_end_array(s);
    }
    eve_format_addr(f->key.addr[c], f->key.family, buf, sizeof(buf));
    json_key_str(s, "src_ip", buf);
    if (f->key.proto == 6 || f->key.proto == 17 || f->key.proto == 132)
        json_key_u64(s, "src_port", f->key.port[c]);
    eve_format_addr(f->key.addr[sv], f->key.family, buf, sizeof(buf));
    json_key_str(s, "dest_ip", buf);
    if (f->key.proto == 6 || f->key.proto == 17 || f->key.proto == 132)
        json_key_u64(s, "dest_port", f->key.port[sv]);
    json_key_str(s, "proto", eve_proto_name(f->key.proto, buf, sizeof(buf)));
    json_key_str(s, "app_proto", classify_app_proto(ctx->cls, f, buf, sizeof(buf)));
}

void eve_flow_counters(struct json_writer *s, const struct flow *f, int with_end,
                       enum flow_end_reason reason)
{
    char buf[64];
    int c = f->client, sv = !f->client;
    json_key_object(s, "flow");
    json_key_u64(s, "pkts_toserver", f->pkts[c]);
    json_key_u64(s, "pkts_toclient", f->pkts[sv]);
    json_key_u64(s, "bytes_toserver", f->bytes[c]);
    json_key_u64(s, "bytes_toclient", f->bytes[sv]);
    eve_format_time(f->first_us, buf, sizeof(buf));
    json_key_str(s, "start", buf);
    if (with_end) {
        eve_format_time(f->last_us, buf, sizeof(buf));
        json_key_str(s, "end", buf);
        json_key_u64(s, "age", (f->last_us - f->first_us) / 1000000u);
        json_key_str(s, "reason", flow_end_reason_name(reason));
    }
    json_end_object(s);
}

/* docs/incidents.md rule 9: a flow the policy allowed raised no alert; its
 * record says so, and which rule. struct flow keeps one byte, not the rule,
 * so the rule is looked up again; after a reload that no longer allows the
 * flow, the verdict stays and the rule is not named. */
static void policy_fact(struct json_writer *s, const struct eve_context *ctx, const struct flow *f)
{
    json_key_str(s, "policy", "allow");
    if (!ctx->policy) return;
    const char *rule = NULL;
    enum policy_verdict v = policy_check(ctx->policy, f->zone[f->client], f->zone[!f->client],
                                         f->cls.master, f->cls.app, f->key.port[!f->client], &rule);
    if (v == POLICY_ALLOW) json_key_str(s, "allowed_by", rule ? rule : "default allow");
}

void eve_flow_event(struct json_writer *s, const struct eve_context *ctx, const struct flow *f,
                    enum flow_end_reason reason)
{
    char name[64];
    eve_common(s, ctx, "flow", f->last_us, f);

    json_key_object(s, "ndpi");
    json_key_str(s, "proto", classify_proto_name(ctx->cls, f, name, sizeof(name)));
    json_key_str(s, "category", classify_category_name(ctx->cls, f));
    json_key_array(s, "risks");
    int pos = 0;
    for (const char *r; (r = classify_next_risk(f, &pos));)
        json_array_str(s, r);
    json_end_array(s);
    json_end_object(s);

    eve_flow_counters(s, f, 1, reason);
    json_key_str(s, "src_zone", zones_name(ctx->zones, f->zone[f->client]));
    json_key_str(s, "dest_zone", zones_name(ctx->zones, f->zone[!f->client]));
    if (f->policy_allowed) {
        json_key_object(s, "vigie");
        policy_fact(s, ctx, f);
        json_end_object(s);
    }
}

static void geo_block(struct json_writer *s, const char *key, const struct eve_context *ctx,
                      const struct flow *f, int side)
{
    struct geo_info g;
    if (f->zone[side] != ZONE_EXTERNAL ||
        !geoip_lookup(ctx->geoip, f->key.addr[side], f->key.family, &g))
        return;
    json_key_object(s, key);
    if (g.country[0]) json_key_str(s, "country", g.country);
    if (g.country_name[0]) json_key_str(s, "country_name", g.country_name);
    if (g.asn) json_key_u64(s, "asn", g.asn);
    if (g.as_org[0]) json_key_str(s, "as_org", g.as_org);
    json_end_object(s);
}

void eve_geo(struct json_writer *s, const struct eve_context *ctx, const struct flow *f)
{
    if (!ctx->geoip) return;
    geo_block(s, "src_geo", ctx, f, f->client);
    geo_block(s, "dest_geo", ctx, f, !f->client);
}

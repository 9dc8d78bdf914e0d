#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "eve.h"
#include "community_id.h"
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

/* Suricata writes the IANA protocol keywords (its util-proto-name.c table);
 * these are the ones a sensor meets outside lab traffic. */
static const struct {
    uint8_t num;
    const char *name;
} proto_names[] = {
    {0, "HOPOPT"},     {1, "ICMP"},         {2, "IGMP"},        {4, "IP-in-IP"},
    {6, "TCP"},        {8, "EGP"},          {9, "IGP"},         {17, "UDP"},
    {33, "DCCP"},      {41, "IPv6"},        {43, "IPv6-Route"}, {44, "IPv6-Frag"},
    {46, "RSVP"},      {47, "GRE"},         {50, "ESP"},        {51, "AH"},
    {58, "IPv6-ICMP"}, {59, "IPv6-NoNxt"},  {60, "IPv6-Opts"},  {88, "EIGRP"},
    {89, "OSPF"},      {94, "OS"},          {103, "PIM"},       {108, "IPComp"},
    {112, "VRRP"},     {115, "L2TP"},       {132, "SCTP"},      {135, "Mobility"},
    {136, "UDPLite"},  {137, "MPLS-in-IP"},
};

const char *eve_proto_name(uint8_t proto, char *buf, size_t len)
{
    for (size_t i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++)
        if (proto_names[i].num == proto) return proto_names[i].name;
    snprintf(buf, len, "%u", proto);
    return buf;
}

const char *eve_flow_reason(enum flow_end_reason reason)
{
    switch (reason) {
    case FLOW_END_TIMEOUT:
        return "timeout";
    case FLOW_END_FORCED:
        return "forced";
    case FLOW_END_TCP_REUSE:
        return "tcp_reuse";
    case FLOW_END_EOF:
    default:
        return "shutdown";
    }
}

/* Suricata's stream engine state names (stream-tcp.c), as far as the
 * flags each side sent tell them: a FIN from the client alone is
 * close_wait, from the server alone fin_wait1 (StreamTcpHandleFin); both,
 * or a RST, closed. Without a SYN (capture started mid-connection) the
 * connection is taken as established, as Suricata's midstream pickup does. */
const char *eve_tcp_state(const struct flow *f)
{
    uint8_t ts = f->tcp_flags[f->client], tc = f->tcp_flags[!f->client];
    if ((ts | tc) & TCP_RST) return "closed";
    if ((ts & TCP_FIN) && (tc & TCP_FIN)) return "closed";
    if (ts & TCP_FIN) return "close_wait";
    if (tc & TCP_FIN) return "fin_wait1";
    if ((ts & TCP_SYN) && !(tc & TCP_SYN)) return f->pkts[!f->client] ? "established" : "syn_sent";
    if ((tc & TCP_SYN) && !(ts & TCP_ACK)) return "syn_recv";
    return (ts | tc) ? "established" : "none";
}

/* Suricata's flow states (flow.c, stream-tcp.c): TCP follows the stream
 * state; other protocols are established once both sides have sent. */
const char *eve_flow_state(const struct flow *f)
{
    if (f->key.proto == 6) {
        const char *t = eve_tcp_state(f);
        if (strcmp(t, "closed") == 0) return "closed";
        if (strcmp(t, "none") == 0 || strncmp(t, "syn_", 4) == 0) return "new";
        return "established";
    }
    return f->pkts[0] && f->pkts[1] ? "established" : "new";
}

/* app_proto values Suricata itself writes (its app-layer parser names),
 * each between spaces; an nDPI name outside them is only in ndpi.proto. */
static const char suricata_app_protos[] =
    " http tls dns smb dcerpc krb5 ssh rdp ldap ntp dhcp smtp ftp ftp-data "
    "snmp sip rfb telnet mqtt imap pop3 quic nfs tftp modbus dnp3 enip ike "
    "pgsql http2 bittorrent-dht websocket mdns ";

static const char *app_proto_name(const struct eve_context *ctx, const struct flow *f, char *buf,
                                  size_t len)
{
    const char *n = classify_app_proto(ctx->cls, f, buf, len);
    size_t nl = strlen(n);
    for (const char *p = nl ? strstr(suricata_app_protos, n) : NULL; p; p = strstr(p + 1, n))
        if (p > suricata_app_protos && p[-1] == ' ' && p[nl] == ' ') return n;
    return "failed";
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
    if (f->key.proto == 1 || f->key.proto == 58) {
        /* Suricata's icmp_type / icmp_code (the client's first message) */
        json_key_u64(s, "icmp_type", f->icmp_type[c]);
        json_key_u64(s, "icmp_code", f->icmp_code[c]);
    }
    json_key_str(s, "app_proto", app_proto_name(ctx, f, buf, sizeof(buf)));
}

void eve_community_id(struct json_writer *s, const struct flow *f)
{
    char cid[64];
    if (community_id_flow(0, f, cid, sizeof(cid)) == 0) json_key_str(s, "community_id", cid);
}

void eve_alert_direction(struct json_writer *s, const struct flow *f)
{
    (void)f;
    json_key_str(s, "direction", "to_server");
}

/* Suricata's flow tuple inside an alert's "flow" object: the flow's own
 * direction, client first. */
static void flow_tuple(struct json_writer *s, const struct flow *f)
{
    char buf[64];
    int c = f->client, sv = !f->client,
        ports = f->key.proto == 6 || f->key.proto == 17 || f->key.proto == 132;
    eve_format_addr(f->key.addr[c], f->key.family, buf, sizeof(buf));
    json_key_str(s, "src_ip", buf);
    eve_format_addr(f->key.addr[sv], f->key.family, buf, sizeof(buf));
    json_key_str(s, "dest_ip", buf);
    if (ports) {
        json_key_u64(s, "src_port", f->key.port[c]);
        json_key_u64(s, "dest_port", f->key.port[sv]);
    }
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
        json_key_str(s, "state", eve_flow_state(f));
        json_key_str(s, "reason", eve_flow_reason(reason));
        json_key_bool(s, "alerted", f->alerted != 0);
    } else {
        flow_tuple(s, f);
    }
    json_end_object(s);
}

/* Suricata's "tcp" object of a flow event (output-json-flow.c): the flags
 * both ways and each way as two hex digits, one boolean per flag seen. */
static void tcp_object(struct json_writer *s, const struct flow *f)
{
    static const struct {
        uint8_t bit;
        const char *name;
    } bits[] = {{0x01, "fin"}, {0x02, "syn"}, {0x04, "rst"}, {0x08, "psh"},
                {0x10, "ack"}, {0x20, "urg"}, {0x40, "ecn"}, {0x80, "cwr"}};
    uint8_t ts = f->tcp_flags[f->client], tc = f->tcp_flags[!f->client];
    char hex[3];
    json_key_object(s, "tcp");
    snprintf(hex, sizeof(hex), "%02x", (unsigned)(ts | tc));
    json_key_str(s, "tcp_flags", hex);
    snprintf(hex, sizeof(hex), "%02x", (unsigned)ts);
    json_key_str(s, "tcp_flags_ts", hex);
    snprintf(hex, sizeof(hex), "%02x", (unsigned)tc);
    json_key_str(s, "tcp_flags_tc", hex);
    for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
        if ((ts | tc) & bits[i].bit) json_key_bool(s, bits[i].name, 1);
    json_key_str(s, "state", eve_tcp_state(f));
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
    int c = f->client;
    eve_common(s, ctx, "flow", f->last_us, f);
    if ((f->key.proto == 1 || f->key.proto == 58) && f->pkts[!c]) {
        json_key_u64(s, "response_icmp_type", f->icmp_type[!c]);
        json_key_u64(s, "response_icmp_code", f->icmp_code[!c]);
    }
    eve_community_id(s, f);

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
    if (f->key.proto == 6) tcp_object(s, f);
    json_key_object(s, "vigie");
    eve_vigie_zones(s, ctx, f);
    if (f->policy_allowed) policy_fact(s, ctx, f);
    json_end_object(s);
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

void eve_vigie_zones(struct json_writer *s, const struct eve_context *ctx, const struct flow *f)
{
    json_key_str(s, "src_zone", zones_name(ctx->zones, f->zone[f->client]));
    json_key_str(s, "dest_zone", zones_name(ctx->zones, f->zone[!f->client]));
    eve_geo(s, ctx, f);
}

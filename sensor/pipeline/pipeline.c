#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ndpi_api.h>

#include "alert/alert.h"
#include "classify/classify.h"
#include "correlate/correlate.h"
#include "detect/detect.h"
#include "engine.h"
#include "alert/eve.h"
#include "enrich/geoip.h"
#include "enrich/learn.h"
#include "output/output.h"
#include "pipeline.h"
#include "enrich/policy.h"
#include "enrich/zones.h"

#define EXPIRE_EVERY_US 1000000u

struct pipeline {
    struct flow_table *ft;
    struct classifier *cls;
    struct zones *zones;
    struct geoip *geoip;
    struct learner *learner;
    struct outputs *out; /* main's; records are handed to it */
    struct alerter *alerter;
    struct correlator *corr; /* the alerter's findings become incidents */
    struct dissect_engine *dissect;
    size_t extra_mem; /* nDPI + dissector memory, for the flow memcap */
    struct policy *policy;
    struct detect_ctx detect;
    const struct config *cfg;
    struct json_writer json; /* reused for every flow event */
    struct eve_context eve;
    char host[CONFIG_STR];
    int dlt;
    int live;
    uint64_t now_us, next_expire_us;
    uint64_t alerts_seen, alerts_due_us; /* see alerter_due() */
    int alerts_pending;
    struct pipeline_stats st;
};

/* The flow's application is final: detectors decide, learn mode learns. */
static void classified(struct pipeline *p, struct flow *f)
{
    detect_classified(&p->detect, f);
    if (p->learner) learner_add(p->learner, f);
}

/* What the dissection engine is told of a flow: transport and ports. */
static struct dissect_flow_info dissect_info(const struct flow *f)
{
    struct dissect_flow_info fi = {f->key.proto, f->key.port[f->client], f->key.port[!f->client]};
    return fi;
}

/* The packet as the dissection engine takes it. */
static void feed_dissectors(struct pipeline *p, struct flow *f, const struct packet *pkt)
{
    struct dissect_flow_info fi = dissect_info(f);
    struct dissect_segment seg = {.payload = pkt->payload,
                                  .len = pkt->payload_len,
                                  .tcp_seq = pkt->tcp_seq,
                                  .syn = (pkt->tcp_flags & TCP_SYN) != 0,
                                  .to_server = pkt->dir == f->client,
                                  .ts_us = pkt->ts_us};
    dissect_packet(p->dissect, &f->dissect, &fi, f, &seg);
}

static void on_flow_end(struct flow *f, enum flow_end_reason reason, void *ud)
{
    struct pipeline *p = ud;
    if (!f->cls.done) {
        classify_finish(p->cls, f);
        classified(p, f);
    }
    struct dissect_flow_info fi = dissect_info(f);
    dissect_flow_end(p->dissect, &f->dissect, &fi, f, f->last_us);
    /* Freed now: an eviction loop of the flow table reads it next. */
    p->extra_mem = *classify_memory(p->cls) + *dissect_memory(p->dissect);
    detect_flow_end(&p->detect, f);
    if (outputs_takes(p->out) & OUTPUT_FLOWS) {
        json_reset(&p->json);
        json_begin_object(&p->json);
        eve_flow_event(&p->json, &p->eve, f, reason);
        json_end_object(&p->json);
        size_t len;
        const char *json = json_buffer(&p->json, &len);
        if (!json || outputs_flow(p->out, json, len) != 0) p->st.output_errors++;
    }
}

static void on_dissect_event(void *ud, void *flow, const struct dissect_event *ev)
{
    struct pipeline *p = ud;
    detect_event(&p->detect, flow, ev);
}

static void alert_to_outputs(void *ud, const char *json, size_t len)
{
    struct pipeline *p = ud;
    if (outputs_alert(p->out, json, len) != 0) p->st.output_errors++;
}

static void incident_to_outputs(void *ud, const char *json, size_t len)
{
    struct pipeline *p = ud;
    if (p->out && outputs_incident(p->out, json, len) != 0) p->st.output_errors++;
}

static struct corr_settings corr_settings_of(const struct config *cfg)
{
    struct corr_settings set = {.enabled = cfg->incidents.enabled,
                                .timeout_s = cfg->incidents.timeout_s,
                                .max_open = cfg->incidents.max_open};
    return set;
}

void pipeline_set_outputs(struct pipeline *p, struct outputs *out)
{
    p->out = out;
    if (outputs_takes(out) & OUTPUT_ALERTS) alerter_add_sink(p->alerter, alert_to_outputs, p);
}

/* The zone-pair matrix of the config, by zone id. */
static struct policy *policy_from_config(const struct config *cfg, const struct zones *z, char *err,
                                         size_t errlen)
{
    struct policy *pol = policy_create(cfg->policy.mode != CONFIG_POLICY_NONE,
                                       cfg->policy.mode == CONFIG_POLICY_ALLOW);
    if (!pol) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < cfg->policy.n_allow; i++) {
        const struct config_rule *cr = &cfg->policy.allow[i];
        int from = zones_id(z, cr->from), to = zones_id(z, cr->to);
        struct policy_rule r = {0};
        if (from < 0 || to < 0 || cr->n_apps > 32 || cr->n_ports > 64) {
            snprintf(err, errlen, "%s: policy rule %s -> %s cannot be used", cr->source, cr->from,
                     cr->to);
            policy_destroy(pol);
            return NULL;
        }
        r.from = (uint16_t)from;
        r.to = (uint16_t)to;
        r.napps = cr->n_apps;
        /* A rule without apps: or ports: has NULL lists (C11 7.24.1: memcpy
         * wants valid pointers even for zero bytes). */
        if (cr->n_apps) memcpy(r.apps, cr->app_ids, cr->n_apps * sizeof(uint16_t));
        r.nports = cr->n_ports;
        if (cr->n_ports) memcpy(r.ports, cr->ports, cr->n_ports * sizeof(uint16_t));
        snprintf(r.source, sizeof(r.source), "%s", cr->source);
        /* Rules written in another file than the config were included. */
        size_t plen = strlen(cfg->path);
        r.baseline = strncmp(cr->source, cfg->path, plen) != 0 || cr->source[plen] != ':';
        if (policy_add_rule(pol, &r) != 0) {
            snprintf(err, errlen, "out of memory");
            policy_destroy(pol);
            return NULL;
        }
    }
    return pol;
}

/* NULL with err empty: no GeoIP configured. */
static struct geoip *open_geoip(const struct config *cfg, char *err, size_t errlen)
{
    *err = 0;
    if (!cfg->geoip.country[0] && !cfg->geoip.asn[0]) return NULL;
    return geoip_open(cfg->geoip.country, cfg->geoip.asn, err, errlen);
}

static void rezone(struct flow *f, void *ud)
{
    const struct zones *z = ud;
    f->zone[0] = zones_lookup(z, f->key.addr[0]);
    f->zone[1] = zones_lookup(z, f->key.addr[1]);
}

int pipeline_reload(struct pipeline *p, const struct config *cfg, char *err, size_t errlen)
{
    struct zones *z = zones_create(cfg, err, errlen);
    if (!z) return -1;
    struct policy *pol = policy_from_config(cfg, z, err, errlen);
    struct geoip *geo = pol ? open_geoip(cfg, err, errlen) : NULL;
    if (!pol || (!geo && *err)) {
        zones_destroy(z);
        policy_destroy(pol);
        return -1;
    }
    geoip_close(p->geoip);
    p->geoip = geo;
    p->eve.geoip = geo;
    /* Live flows keep going: only their zones are looked up again. */
    alerter_flush(p->alerter);
    struct corr_settings cs = corr_settings_of(cfg);
    correlate_configure(p->corr, &cs, z, p->host);
    zones_destroy(p->zones);
    policy_destroy(p->policy);
    p->zones = z;
    p->eve.zones = p->detect.zones = z;
    p->policy = pol;
    p->eve.policy = p->detect.policy = pol;
    p->cfg = cfg;
    alerter_set_context(p->alerter, &p->eve);
    alerter_set_window(p->alerter, cfg->detect.dedup_window_s);
    detect_configure(p->detect.engine, cfg);
    flow_table_foreach(p->ft, rezone, z);
    return 0;
}

struct pipeline *pipeline_create(const struct config *cfg, const struct pipeline_options *opt,
                                 char *err, size_t errlen)
{
    struct pipeline *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->live = opt->live;
    snprintf(p->host, sizeof(p->host), "%s", cfg->sensor_name);
    if (!(p->cls = classify_create(err, errlen))) goto fail;
    p->cfg = cfg;
    if (!(p->zones = zones_create(cfg, err, errlen))) goto fail;
    struct flow_table_config fc = {
        .max_flows = cfg->flows.max,
        .memcap_bytes = (uint64_t)cfg->flows.memcap_mb << 20,
        .on_end = on_flow_end,
        .ud = p,
        .extra_mem = &p->extra_mem,
    };
    memcpy(fc.timeout_s, cfg->flows.timeout_s, sizeof(fc.timeout_s));
    if (!(p->ft = flow_table_create(&fc, err, errlen))) goto fail;
    if (!(p->geoip = open_geoip(cfg, err, errlen)) && *err) goto fail;
    p->eve.cls = p->cls;
    p->eve.zones = p->zones;
    p->eve.geoip = p->geoip;
    p->eve.host = p->host;
    if (!(p->alerter = alerter_create(&p->eve, cfg->detect.dedup_window_s)) ||
        !(p->dissect = dissect_create(on_dissect_event, p))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (!(p->policy = policy_from_config(cfg, p->zones, err, errlen))) goto fail;
    p->eve.policy = p->policy;
    alerter_set_context(p->alerter, &p->eve);
    struct corr_settings cs = corr_settings_of(cfg);
    if (!(p->corr = correlate_create(&cs, p->zones, p->host, incident_to_outputs, p))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    alerter_set_correlator(p->alerter, p->corr);
    if (!(p->detect.engine = detect_create(cfg))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (opt->learn && !(p->learner = learner_create())) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    p->detect.alerter = p->alerter;
    p->detect.zones = p->zones;
    p->detect.cls = p->cls;
    p->detect.policy = p->policy;
    return p;
fail:
    pipeline_destroy(p);
    return NULL;
}

void pipeline_destroy(struct pipeline *p)
{
    if (!p) return;
    flow_table_destroy(p->ft);
    classify_destroy(p->cls);
    zones_destroy(p->zones);
    geoip_close(p->geoip);
    learner_destroy(p->learner);
    alerter_destroy(p->alerter);
    correlate_destroy(p->corr);
    dissect_destroy(p->dissect);
    policy_destroy(p->policy);
    detect_destroy(p->detect.engine);
    json_free(&p->json);
    free(p);
}

void pipeline_set_datalink(struct pipeline *p, int dlt)
{
    p->dlt = dlt;
}

static void init_flow(struct pipeline *p, struct flow *f, const struct packet *pkt)
{
    /* The client is the sender of the first packet, unless that packet
     * is a SYN-ACK: then the capture started mid-handshake. */
    int synack = (pkt->tcp_flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK);
    f->client = synack ? !pkt->dir : pkt->dir;
    f->zone[0] = zones_lookup(p->zones, f->key.addr[0]);
    f->zone[1] = zones_lookup(p->zones, f->key.addr[1]);
}

static void track_tcp(struct pipeline *p, struct flow *f, const struct packet *pkt)
{
    if (pkt->tcp_flags & TCP_FIN) f->tcp_fin |= (uint8_t)(1u << pkt->dir);
    if ((pkt->tcp_flags & TCP_RST) || f->tcp_fin == 3)
        flow_table_set_class(p->ft, f, FLOW_TCP_CLOSED);
}

/* Whether an alerter tick can close a window: an aggregate opens only
 * with an alert sent and closes one dedup window later, so after a tick at
 * or past that time of the last alert sent there is none left. A tick costs
 * a scan of every aggregate slot, and sparse traffic (a packet every few
 * seconds) would otherwise pay it on every packet. */
static int alerter_due(struct pipeline *p, uint64_t now_us)
{
    struct alerter_stats as;
    alerter_get_stats(p->alerter, &as);
    if (as.sent != p->alerts_seen) {
        p->alerts_seen = as.sent;
        p->alerts_due_us = now_us + (uint64_t)p->cfg->detect.dedup_window_s * 1000000u;
        p->alerts_pending = 1;
    }
    if (!p->alerts_pending) return 0;
    if (now_us >= p->alerts_due_us) p->alerts_pending = 0; /* this tick is the last */
    return 1;
}

/* Once per second of packet time: idle flows, alert windows, detectors,
 * incident windows. */
static void second_passed(struct pipeline *p, uint64_t now_us)
{
    flow_table_expire(p->ft, now_us);
    if (alerter_due(p, now_us)) alerter_tick(p->alerter, now_us);
    detect_tick(&p->detect);
    correlate_tick(p->corr, now_us);
}

void pipeline_packet(void *ud, int dlt, uint64_t ts_us, uint32_t caplen, uint32_t wire_len,
                     const uint8_t *data)
{
    struct pipeline *p = ud;
    struct packet pkt;

    p->st.packets++;
    p->st.bytes += wire_len;
    /* Packet time drives everything; it never goes backwards. */
    if (ts_us < p->now_us) ts_us = p->now_us;
    p->now_us = ts_us;
    p->detect.now_us = ts_us;
    if (ts_us >= p->next_expire_us) {
        if (p->next_expire_us) second_passed(p, ts_us);
        p->next_expire_us = ts_us + EXPIRE_EVERY_US;
    }

    enum decode_result r = decode_packet(dlt, data, caplen, &pkt);
    if (r != DECODE_OK) {
        p->st.decode[r]++;
        return;
    }
    pkt.ts_us = ts_us;
    pkt.wire_len = wire_len;
    p->st.offloaded += pkt.offloaded;
    p->st.decapsulated += pkt.decapsulated != 0;

    int created;
    p->extra_mem = *classify_memory(p->cls) + *dissect_memory(p->dissect);
    struct flow *f = flow_table_get(p->ft, &pkt, &created);
    if (f && !created && f->fclass == FLOW_TCP_CLOSED &&
        (pkt.tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
        /* A new connection reusing the ports of a closed one. */
        flow_table_end(p->ft, f, FLOW_END_TCP_REUSE);
        f = flow_table_get(p->ft, &pkt, &created);
    }
    if (!f) return; /* table full and nothing evictable: counted there */
    if (created) {
        init_flow(p, f, &pkt);
        detect_flow_start(&p->detect, f);
    }

    f->pkts[pkt.dir]++;
    f->bytes[pkt.dir] += wire_len;
    if (pkt.key.proto == 6) track_tcp(p, f, &pkt);
    if (!f->cls.done && classify_packet(p->cls, f, &pkt)) classified(p, f);
    if (!dissect_slot_done(&f->dissect)) feed_dissectors(p, f, &pkt);
}

void pipeline_tick(struct pipeline *p, uint64_t wall_us)
{
    if (p->live && wall_us > p->now_us + EXPIRE_EVERY_US) {
        p->now_us = p->detect.now_us = wall_us;
        second_passed(p, wall_us);
    }
}

int pipeline_finish(struct pipeline *p, enum flow_end_reason reason)
{
    flow_table_flush(p->ft, reason);
    alerter_flush(p->alerter);
    correlate_flush(p->corr);
    return p->out ? outputs_flush(p->out) : 0;
}

int pipeline_write_learned(struct pipeline *p, const char *path, const char *source, char *err,
                           size_t errlen)
{
    return learner_write(p->learner, path, source, p->zones, p->cls, err, errlen);
}

void pipeline_get_stats(const struct pipeline *p, struct pipeline_stats *st)
{
    struct flow_table_stats fs;
    flow_table_get_stats(p->ft, &fs);
    *st = p->st;
    st->flows_created = fs.created;
    st->flows_ended = fs.ended;
    st->flows_evicted = fs.evicted;
    st->flows_dropped = fs.dropped;
    st->flows_active = fs.active;
    st->mem_bytes = fs.mem_bytes;
    struct alerter_stats as;
    alerter_get_stats(p->alerter, &as);
    st->alerts = as.sent;
    st->allowed_flows = as.allowed_flows;
    struct correlate_stats rs;
    correlate_get_stats(p->corr, &rs);
    st->incidents = rs.incidents;
    st->incidents_open = rs.open;
    st->incident_records = rs.records;
    struct classify_stats cs;
    classify_get_stats(p->cls, &cs);
    st->classifying = cs.active_states;
    st->dpi_bytes = *classify_memory(p->cls);
}

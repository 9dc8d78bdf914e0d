/* The correlation stage (stage.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert.h"
#include "alert/eve.h"
#include "correlate/correlate.h"
#include "detect/detect.h"
#include "enrich/geoip.h"
#include "enrich/learn.h"
#include "enrich/policy.h"
#include "stage.h"

/* What detectors wrote into a flow (its alerted bits, policy_allowed),
 * kept from the first write to the flow's end: records carry the worker's
 * copy of the flow, which never sees those writes. */
struct mark {
    uint64_t id, alerted;
    struct flow_key key;
    uint8_t used, allowed;
};

#define MARKS_MIN 1024u
#define MARKS_MAX (1u << 22)

struct stage {
    const struct config *cfg;
    struct zones *zones, *old_zones;
    struct geoip *geoip;
    struct policy *policy;
    struct learner *learner;
    struct outputs *out;
    struct alerter *alerter;
    struct correlator *corr;
    struct detect_ctx detect;
    struct json_writer json; /* reused for every flow event */
    struct eve_context eve;
    char host[CONFIG_STR];
    uint64_t alerts_seen, alerts_due_us; /* see alerter_due() */
    int alerts_pending;
    struct mark *marks;
    uint32_t marks_cap, marks_used;
    struct stage_stats st;
};

/* --- marks: open addressing, linear probing, backward-shift deletion ---- */

static uint32_t mark_slot(const struct stage *s, uint64_t id)
{
    return (uint32_t)((id * 0x9E3779B97F4A7C15ull) >> 32) & (s->marks_cap - 1);
}

static int mark_is(const struct mark *m, const struct flow *f)
{
    return m->id == f->id && memcmp(&m->key, &f->key, sizeof(f->key)) == 0;
}

static struct mark *mark_find(const struct stage *s, const struct flow *f)
{
    if (!s->marks_used) return NULL;
    for (uint32_t i = mark_slot(s, f->id);; i = (i + 1) & (s->marks_cap - 1)) {
        struct mark *m = &s->marks[i];
        if (!m->used) return NULL;
        if (mark_is(m, f)) return m;
    }
}

static void mark_place(struct stage *s, const struct mark *src)
{
    uint32_t i = mark_slot(s, src->id);
    while (s->marks[i].used)
        i = (i + 1) & (s->marks_cap - 1);
    s->marks[i] = *src;
    s->marks_used++;
}

static int marks_grow(struct stage *s)
{
    uint32_t cap = s->marks_cap ? s->marks_cap * 2 : MARKS_MIN;
    if (cap > MARKS_MAX) return -1;
    struct mark *old = s->marks, *m = calloc(cap, sizeof(*m));
    if (!m) return -1;
    uint32_t old_cap = s->marks_cap;
    s->marks = m;
    s->marks_cap = cap;
    s->marks_used = 0;
    for (uint32_t i = 0; i < old_cap; i++)
        if (old[i].used) mark_place(s, &old[i]);
    free(old);
    return 0;
}

static void mark_save(struct stage *s, const struct flow *f)
{
    struct mark *m = mark_find(s, f);
    if (!m) {
        if ((s->marks_used + 1) * 2 > s->marks_cap && marks_grow(s) != 0) {
            s->st.marks_full++;
            return;
        }
        struct mark n = {.id = f->id, .key = f->key, .used = 1};
        mark_place(s, &n);
        m = mark_find(s, f);
    }
    m->alerted = f->alerted;
    m->allowed = f->policy_allowed;
}

static void mark_drop(struct stage *s, struct mark *m)
{
    uint32_t mask = s->marks_cap - 1, i = (uint32_t)(m - s->marks);
    m->used = 0;
    s->marks_used--;
    /* Later entries of the run move back into the hole they may hash to. */
    for (uint32_t j = (i + 1) & mask; s->marks[j].used; j = (j + 1) & mask) {
        uint32_t home = mark_slot(s, s->marks[j].id);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            s->marks[i] = s->marks[j];
            s->marks[j].used = 0;
            i = j;
        }
    }
}

/* --- records --------------------------------------------------------------- */

static void flow_record(struct stage *s, const struct flow *f, enum flow_end_reason reason)
{
    if (!(outputs_takes(s->out) & OUTPUT_FLOWS)) return;
    json_reset(&s->json);
    json_begin_object(&s->json);
    eve_flow_event(&s->json, &s->eve, f, reason);
    json_end_object(&s->json);
    size_t len;
    const char *json = json_buffer(&s->json, &len);
    if (!json || outputs_flow(s->out, json, len) != 0) s->st.output_errors++;
}

void stage_record(struct stage *s, const struct record *r)
{
    struct flow f = r->flow;
    struct mark *m = mark_find(s, &f);
    if (m) {
        f.alerted = m->alerted;
        f.policy_allowed = m->allowed;
    }
    uint64_t alerted = f.alerted;
    unsigned allowed = f.policy_allowed;
    s->detect.now_us = r->ts_us;
    switch ((enum record_type)r->type) {
    case REC_FLOW_START:
        detect_flow_start(&s->detect, &f);
        break;
    case REC_CLASSIFIED:
        detect_classified(&s->detect, &f);
        if (s->learner) learner_add(s->learner, &f);
        break;
    case REC_EVENT: {
        struct dissect_event ev;
        record_event(r, &ev);
        detect_event(&s->detect, &f, &ev);
        break;
    }
    case REC_FLOW_END:
        detect_flow_end(&s->detect, &f);
        flow_record(s, &f, (enum flow_end_reason)r->reason);
        if ((m = mark_find(s, &f))) mark_drop(s, m);
        return;
    }
    if (f.alerted != alerted || f.policy_allowed != allowed) mark_save(s, &f);
}

/* Whether an alerter tick can close a window: an aggregate opens only
 * with an alert sent and closes one dedup window later, so after a tick at
 * or past that time of the last alert sent there is none left. A tick costs
 * a scan of every aggregate slot, and sparse traffic (a packet every few
 * seconds) would otherwise pay it on every packet. */
static int alerter_due(struct stage *s, uint64_t now_us)
{
    struct alerter_stats as;
    alerter_get_stats(s->alerter, &as);
    if (as.sent != s->alerts_seen) {
        s->alerts_seen = as.sent;
        s->alerts_due_us = now_us + (uint64_t)s->cfg->detect.dedup_window_s * 1000000u;
        s->alerts_pending = 1;
    }
    if (!s->alerts_pending) return 0;
    if (now_us >= s->alerts_due_us) s->alerts_pending = 0; /* this tick is the last */
    return 1;
}

void stage_tick(struct stage *s, uint64_t now_us)
{
    s->detect.now_us = now_us;
    if (alerter_due(s, now_us)) alerter_tick(s->alerter, now_us);
    detect_tick(&s->detect);
    correlate_tick(s->corr, now_us);
}

void stage_finish(struct stage *s)
{
    alerter_flush(s->alerter);
    correlate_flush(s->corr);
}

/* --- outputs --------------------------------------------------------------- */

static void alert_to_outputs(void *ud, const char *json, size_t len)
{
    struct stage *s = ud;
    if (outputs_alert(s->out, json, len) != 0) s->st.output_errors++;
}

static void incident_to_outputs(void *ud, const char *json, size_t len)
{
    struct stage *s = ud;
    if (s->out && outputs_incident(s->out, json, len) != 0) s->st.output_errors++;
}

void stage_set_outputs(struct stage *s, struct outputs *out)
{
    s->out = out;
    if (outputs_takes(out) & OUTPUT_ALERTS) alerter_add_sink(s->alerter, alert_to_outputs, s);
}

/* --- configuration ----------------------------------------------------------- */

static struct corr_settings corr_settings_of(const struct config *cfg)
{
    struct corr_settings set = {.enabled = cfg->incidents.enabled,
                                .timeout_s = cfg->incidents.timeout_s,
                                .max_open = cfg->incidents.max_open};
    return set;
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

int stage_reload(struct stage *s, const struct config *cfg, char *err, size_t errlen)
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
    geoip_close(s->geoip);
    s->geoip = geo;
    s->eve.geoip = geo;
    /* Live flows keep going: only their zones are looked up again. */
    alerter_flush(s->alerter);
    struct corr_settings cs = corr_settings_of(cfg);
    correlate_configure(s->corr, &cs, z, s->host);
    stage_release_old_zones(s);
    s->old_zones = s->zones;
    policy_destroy(s->policy);
    s->zones = z;
    s->eve.zones = s->detect.zones = z;
    s->policy = pol;
    s->eve.policy = s->detect.policy = pol;
    s->cfg = cfg;
    alerter_set_context(s->alerter, &s->eve);
    alerter_set_window(s->alerter, cfg->detect.dedup_window_s);
    detect_configure(s->detect.engine, cfg);
    return 0;
}

void stage_release_old_zones(struct stage *s)
{
    zones_destroy(s->old_zones);
    s->old_zones = NULL;
}

const struct zones *stage_zones(const struct stage *s)
{
    return s->zones;
}

struct stage *stage_create(const struct config *cfg, int learn, const struct classifier *names,
                           char *err, size_t errlen)
{
    struct stage *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(s->host, sizeof(s->host), "%s", cfg->sensor_name);
    s->cfg = cfg;
    if (!(s->zones = zones_create(cfg, err, errlen))) goto fail;
    if (!(s->geoip = open_geoip(cfg, err, errlen)) && *err) goto fail;
    s->eve.cls = names;
    s->eve.zones = s->zones;
    s->eve.geoip = s->geoip;
    s->eve.host = s->host;
    if (!(s->alerter = alerter_create(&s->eve, cfg->detect.dedup_window_s))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (!(s->policy = policy_from_config(cfg, s->zones, err, errlen))) goto fail;
    s->eve.policy = s->policy;
    alerter_set_context(s->alerter, &s->eve);
    struct corr_settings cs = corr_settings_of(cfg);
    if (!(s->corr = correlate_create(&cs, s->zones, s->host, incident_to_outputs, s)) ||
        !(s->detect.engine = detect_create(cfg)) || (learn && !(s->learner = learner_create()))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    alerter_set_correlator(s->alerter, s->corr);
    s->detect.alerter = s->alerter;
    s->detect.zones = s->zones;
    s->detect.cls = names;
    s->detect.policy = s->policy;
    return s;
fail:
    stage_destroy(s);
    return NULL;
}

void stage_destroy(struct stage *s)
{
    if (!s) return;
    zones_destroy(s->zones);
    zones_destroy(s->old_zones);
    geoip_close(s->geoip);
    learner_destroy(s->learner);
    alerter_destroy(s->alerter);
    correlate_destroy(s->corr);
    policy_destroy(s->policy);
    detect_destroy(s->detect.engine);
    json_free(&s->json);
    free(s->marks);
    free(s);
}

int stage_write_learned(struct stage *s, const char *path, const char *source, char *err,
                        size_t errlen)
{
    return learner_write(s->learner, path, source, s->zones, s->eve.cls, err, errlen);
}

void stage_get_stats(const struct stage *s, struct stage_stats *st)
{
    *st = s->st;
    struct alerter_stats as;
    alerter_get_stats(s->alerter, &as);
    st->alerts = as.sent;
    st->allowed_flows = as.allowed_flows;
    struct correlate_stats rs;
    correlate_get_stats(s->corr, &rs);
    st->incidents = rs.incidents;
    st->incidents_open = rs.open;
    st->incident_records = rs.records;
}

#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "detect/attack.h"

#define MAX_SINKS 4
#define AGG_SLOTS 1024

/* Repeats of a detector between two zones inside the window: the first is
 * sent at once, later ones are counted and the last of them is sent, with
 * the count, when the window closes. */
struct aggregate {
    uint16_t src_zone, dst_zone;
    unsigned det;
    int used;
    uint64_t window_end_us;
    uint64_t count;
    char *json; /* last repeat, rebuilt with its count */
    size_t len;
};

struct alerter {
    struct eve_context eve;
    uint64_t window_us;
    struct {
        alert_sink_fn fn;
        void *ud;
    } sinks[MAX_SINKS];
    int nsinks;
    struct json_writer json; /* reused for every alert */
    struct aggregate agg[AGG_SLOTS];
    struct alerter_stats st;
};

void alert_add_str(struct alert *a, const char *key, const char *value)
{
    if (a->nev < ALERT_MAX_EVIDENCE && value)
        a->ev[a->nev++] = (struct alert_evidence){key, value, 0};
}

void alert_add_num(struct alert *a, const char *key, uint64_t value)
{
    if (a->nev < ALERT_MAX_EVIDENCE) a->ev[a->nev++] = (struct alert_evidence){key, NULL, value};
}

struct alerter *alerter_create(const struct eve_context *eve, uint32_t window_s)
{
    struct alerter *a = calloc(1, sizeof(*a));
    if (!a) return NULL;
    a->eve = *eve;
    a->window_us = (uint64_t)window_s * 1000000u;
    return a;
}

void alerter_destroy(struct alerter *a)
{
    if (!a) return;
    for (int i = 0; i < AGG_SLOTS; i++)
        free(a->agg[i].json);
    json_free(&a->json);
    free(a);
}

int alerter_add_sink(struct alerter *a, alert_sink_fn fn, void *ud)
{
    if (a->nsinks == MAX_SINKS) return -1;
    a->sinks[a->nsinks].fn = fn;
    a->sinks[a->nsinks].ud = ud;
    a->nsinks++;
    return 0;
}

void alerter_set_context(struct alerter *a, const struct eve_context *eve)
{
    a->eve = *eve;
}

void alerter_set_window(struct alerter *a, uint32_t window_s)
{
    a->window_us = (uint64_t)window_s * 1000000u;
}

static void send_all(struct alerter *a, const char *json, size_t len)
{
    for (int i = 0; i < a->nsinks; i++)
        a->sinks[i].fn(a->sinks[i].ud, json, len);
    a->st.sent++;
}

static void serialize_list(struct json_writer *s, const char *key, const char *const *ids,
                           int names, int tactics)
{
    json_key_array(s, key);
    for (int i = 0; i < ALERT_MAX_TECHNIQUES && ids[i]; i++) {
        const char *id = ids[i];
        if (tactics) id = strncmp(id, "TA", 2) == 0 ? id : attack_tactic_of(id);
        if (!id) continue;
        /* A tactic already listed for an earlier technique is not repeated. */
        int dup = 0;
        for (int j = 0; j < i && tactics; j++) {
            const char *o = strncmp(ids[j], "TA", 2) == 0 ? ids[j] : attack_tactic_of(ids[j]);
            dup |= o && strcmp(o, id) == 0;
        }
        if (!dup) json_array_str(s, names ? attack_name(id) : id);
    }
    json_end_array(s);
}

static void serialize_alert(struct alerter *a, const struct alert *al, const struct flow *f,
                            uint64_t ts_us, uint64_t count)
{
    struct json_writer *s = &a->json;
    const struct detector_info *d = al->det;
    const char *const *tech = al->techniques ? al->techniques : d->techniques;

    json_reset(s);
    json_begin_object(s);
    eve_common(s, &a->eve, "alert", ts_us, f);
    eve_community_id(s, f);
    eve_alert_direction(s, f);

    json_key_object(s, "alert");
    json_key_str(s, "action", "allowed");
    json_key_u64(s, "gid", 1);
    json_key_u64(s, "signature_id", d->sid + al->variant);
    json_key_u64(s, "rev", 1);
    json_key_str(s, "signature", al->signature);
    json_key_str(s, "category", d->category);
    json_key_int(s, "severity", al->severity);
    /* Detectors without an ATT&CK mapping (ndpi_risk) have no metadata. */
    json_key_object(s, "metadata");
    if (tech[0]) {
        serialize_list(s, "mitre_tactic_id", tech, 0, 1);
        serialize_list(s, "mitre_tactic_name", tech, 1, 1);
    }
    if (tech[0] && strncmp(tech[0], "TA", 2) != 0) {
        serialize_list(s, "mitre_technique_id", tech, 0, 0);
        serialize_list(s, "mitre_technique_name", tech, 1, 0);
    }
    json_end_object(s);
    json_end_object(s);

    json_key_object(s, "vigie");
    json_key_str(s, "detector", d->id);
    eve_vigie_zones(s, &a->eve, f);
    json_key_str(s, "policy", al->policy ? al->policy : "none");
    json_key_u64(s, "count", count);
    json_key_object(s, "evidence");
    for (size_t i = 0; i < al->nev; i++) {
        if (al->ev[i].str)
            json_key_str(s, al->ev[i].key, al->ev[i].str);
        else
            json_key_u64(s, al->ev[i].key, al->ev[i].num);
    }
    json_end_object(s);
    json_end_object(s);

    eve_flow_counters(s, f, 0, FLOW_END_EOF);
    json_end_object(s);
}

static struct aggregate *aggregate_slot(struct alerter *a, unsigned det, uint16_t sz, uint16_t dz)
{
    uint32_t h = (det * 2654435761u) ^ ((uint32_t)sz * 40503u) ^ ((uint32_t)dz * 9973u);
    for (unsigned i = 0; i < AGG_SLOTS; i++) {
        struct aggregate *g = &a->agg[(h + i) % AGG_SLOTS];
        if (!g->used || (g->det == det && g->src_zone == sz && g->dst_zone == dz)) return g;
    }
    return NULL; /* full: no aggregation, every alert is sent */
}

static void send_aggregate(struct alerter *a, struct aggregate *g)
{
    if (g->count > 0 && g->json) {
        send_all(a, g->json, g->len);
        a->st.aggregated++;
    }
    free(g->json);
    memset(g, 0, sizeof(*g));
}

int alerter_emit(struct alerter *a, const struct alert *al, struct flow *f, uint64_t ts_us)
{
    uint64_t bit = 1ull << al->det_index;
    if (f->alerted & bit) {
        a->st.duplicates++;
        return 0;
    }
    f->alerted |= bit;

    uint16_t sz = f->zone[f->client], dz = f->zone[!f->client];
    struct aggregate *g = a->window_us ? aggregate_slot(a, al->det_index, sz, dz) : NULL;
    if (g && g->used && ts_us < g->window_end_us) {
        /* A repeat inside the window: keep it, with its count, for later. */
        g->count++;
        serialize_alert(a, al, f, ts_us, g->count);
        size_t len;
        const char *json = json_buffer(&a->json, &len);
        char *copy = json ? realloc(g->json, len + 1) : NULL;
        if (copy) {
            memcpy(copy, json, len + 1);
            g->json = copy;
            g->len = len;
        }
        return 0;
    }
    if (g && g->used) send_aggregate(a, g);
    serialize_alert(a, al, f, ts_us, 1);
    size_t len;
    const char *json = json_buffer(&a->json, &len);
    if (json) send_all(a, json, len);
    if (g) {
        g->used = 1;
        g->det = al->det_index;
        g->src_zone = sz;
        g->dst_zone = dz;
        g->window_end_us = ts_us + a->window_us;
    }
    return 1;
}

void alerter_tick(struct alerter *a, uint64_t now_us)
{
    for (int i = 0; i < AGG_SLOTS; i++)
        if (a->agg[i].used && now_us >= a->agg[i].window_end_us) send_aggregate(a, &a->agg[i]);
}

void alerter_flush(struct alerter *a)
{
    for (int i = 0; i < AGG_SLOTS; i++)
        if (a->agg[i].used) send_aggregate(a, &a->agg[i]);
}

void alerter_get_stats(const struct alerter *a, struct alerter_stats *st)
{
    *st = a->st;
}

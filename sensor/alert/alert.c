#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "detect/attack.h"
#include "community_id.h"

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
    ndpi_serializer ser;
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
    if (ndpi_init_serializer(&a->ser, ndpi_serialization_format_json) != 0) {
        free(a);
        return NULL;
    }
    return a;
}

void alerter_destroy(struct alerter *a)
{
    if (!a) return;
    for (int i = 0; i < AGG_SLOTS; i++)
        free(a->agg[i].json);
    ndpi_term_serializer(&a->ser);
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

static void serialize_list(ndpi_serializer *s, const char *key, const char *const *ids, int names,
                           int tactics)
{
    ndpi_serialize_start_of_list(s, key);
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
        if (!dup) ndpi_serialize_string_string(s, "", names ? attack_name(id) : id);
    }
    ndpi_serialize_end_of_list(s);
}

static void serialize_alert(struct alerter *a, const struct alert *al, const struct flow *f,
                            uint64_t ts_us, uint64_t count)
{
    ndpi_serializer *s = &a->ser;
    const struct detector_info *d = al->det;
    const char *const *tech = al->techniques ? al->techniques : d->techniques;
    char cid[64];
    int c = f->client;

    ndpi_reset_serializer(s);
    eve_common(s, &a->eve, "alert", ts_us, f);
    if (community_id_v1(0, f->key.family, f->key.addr[c], f->key.port[c], f->key.addr[!c],
                        f->key.port[!c], f->key.proto, cid, sizeof(cid)) == 0)
        ndpi_serialize_string_string(s, "community_id", cid);
    eve_geo(s, &a->eve, f);

    ndpi_serialize_start_of_block(s, "alert");
    ndpi_serialize_string_string(s, "action", "allowed");
    ndpi_serialize_string_uint32(s, "gid", 1);
    ndpi_serialize_string_uint32(s, "signature_id", d->sid + al->variant);
    ndpi_serialize_string_uint32(s, "rev", 1);
    ndpi_serialize_string_string(s, "signature", al->signature);
    ndpi_serialize_string_string(s, "category", d->category);
    ndpi_serialize_string_uint32(s, "severity", (uint32_t)al->severity);
    /* Detectors without an ATT&CK mapping (ndpi_risk) have no metadata. */
    ndpi_serialize_start_of_block(s, "metadata");
    if (tech[0]) {
        serialize_list(s, "mitre_tactic_id", tech, 0, 1);
        serialize_list(s, "mitre_tactic_name", tech, 1, 1);
    }
    if (tech[0] && strncmp(tech[0], "TA", 2) != 0) {
        serialize_list(s, "mitre_technique_id", tech, 0, 0);
        serialize_list(s, "mitre_technique_name", tech, 1, 0);
    }
    ndpi_serialize_end_of_block(s);
    ndpi_serialize_end_of_block(s);

    ndpi_serialize_start_of_block(s, "vigie");
    ndpi_serialize_string_string(s, "detector", d->id);
    ndpi_serialize_string_string(s, "src_zone", zones_name(a->eve.zones, f->zone[c]));
    ndpi_serialize_string_string(s, "dest_zone", zones_name(a->eve.zones, f->zone[!c]));
    ndpi_serialize_string_string(s, "policy", al->policy ? al->policy : "none");
    ndpi_serialize_string_uint64(s, "count", count);
    ndpi_serialize_start_of_block(s, "evidence");
    for (size_t i = 0; i < al->nev; i++) {
        if (al->ev[i].str)
            ndpi_serialize_string_string(s, al->ev[i].key, al->ev[i].str);
        else
            ndpi_serialize_string_uint64(s, al->ev[i].key, al->ev[i].num);
    }
    ndpi_serialize_end_of_block(s);
    ndpi_serialize_end_of_block(s);

    eve_flow_counters(s, f, 0, FLOW_END_EOF);
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
        u_int32_t len;
        const char *json = ndpi_serializer_get_buffer(&a->ser, &len);
        char *copy = realloc(g->json, len + 1);
        if (copy) {
            memcpy(copy, json, len + 1);
            g->json = copy;
            g->len = len;
        }
        return 0;
    }
    if (g && g->used) send_aggregate(a, g);
    serialize_alert(a, al, f, ts_us, 1);
    u_int32_t len;
    const char *json = ndpi_serializer_get_buffer(&a->ser, &len);
    send_all(a, json, len);
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

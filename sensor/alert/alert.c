#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "correlate/correlate.h"
#include "detect/attack.h"

_Static_assert(ALERT_MAX_TECHNIQUES <= CORR_MAX_TECHNIQUES,
               "the correlator takes every ATT&CK id of an alert");

#define MAX_SINKS 4
#define AGG_SLOTS 1024

/* Repeats of a detector from one source between two zones inside the
 * window: the first is sent at once, later ones are counted and the last of
 * them is sent, with the count, when the window closes. The source is part
 * of the key so that an aggregate never mixes two incidents. */
struct aggregate_key {
    unsigned det;
    uint16_t src_zone, dst_zone;
    uint8_t family;
    uint8_t src[16];
};

struct aggregate {
    struct aggregate_key key;
    int used;
    uint32_t home; /* the slot its key hashes to */
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
    /* Open addressing, linear probing, backward-shift removal: a chain has
     * no hole for a lookup to stop at. */
    struct aggregate agg[AGG_SLOTS];
    uint64_t agg_next_end_us; /* no open window ends before; UINT64_MAX: none open */
    struct correlator *corr;  /* the pipeline's, or NULL */
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
    a->agg_next_end_us = UINT64_MAX;
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

void alerter_set_correlator(struct alerter *a, struct correlator *c)
{
    a->corr = c;
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

/* incident: the id of the incident the finding joined, "" for none. */
static void serialize_alert(struct alerter *a, const struct alert *al, const struct flow *f,
                            uint64_t ts_us, uint64_t count, const char *incident)
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
    if (incident[0]) json_key_str(s, "incident", incident);
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

static struct aggregate_key aggregate_key_of(const struct alert *al, const struct flow *f)
{
    struct aggregate_key k = {.det = al->det_index,
                              .src_zone = f->zone[f->client],
                              .dst_zone = f->zone[!f->client],
                              .family = f->key.family};
    memcpy(k.src, f->key.addr[f->client], sizeof(k.src));
    return k;
}

static int aggregate_key_equal(const struct aggregate_key *x, const struct aggregate_key *y)
{
    return x->det == y->det && x->src_zone == y->src_zone && x->dst_zone == y->dst_zone &&
           x->family == y->family && memcmp(x->src, y->src, sizeof(x->src)) == 0;
}

static uint32_t aggregate_home(const struct aggregate_key *k)
{
    uint32_t h =
        (k->det * 2654435761u) ^ ((uint32_t)k->src_zone * 40503u) ^ ((uint32_t)k->dst_zone * 9973u);
    for (size_t i = 0; i < sizeof(k->src); i++) /* FNV-1a over the source address */
        h = (h ^ k->src[i]) * 16777619u;
    return h % AGG_SLOTS;
}

static struct aggregate *aggregate_slot(struct alerter *a, const struct aggregate_key *k,
                                        uint32_t home)
{
    for (unsigned i = 0; i < AGG_SLOTS; i++) {
        struct aggregate *g = &a->agg[(home + i) % AGG_SLOTS];
        if (!g->used || aggregate_key_equal(&g->key, k)) return g;
    }
    return NULL; /* full: no aggregation, every alert is sent */
}

/* Sends the repeats an aggregate holds; the slot keeps its key. */
static void send_aggregate(struct alerter *a, struct aggregate *g)
{
    if (g->count > 0 && g->json) {
        send_all(a, g->json, g->len);
        a->st.aggregated++;
    }
    free(g->json);
    g->json = NULL;
    g->len = 0;
    g->count = 0;
}

/* Empties slot i: the entries after it in its chain that may stand there
 * (their home is not in (i, j], cyclically) move back into the hole, which
 * is always empty, so that the walk ends there in a full table too. */
static void remove_aggregate(struct alerter *a, uint32_t i)
{
    memset(&a->agg[i], 0, sizeof(a->agg[i]));
    for (uint32_t j = (i + 1) % AGG_SLOTS; a->agg[j].used; j = (j + 1) % AGG_SLOTS) {
        uint32_t h = a->agg[j].home;
        int between = i < j ? (h > i && h <= j) : (h > i || h <= j);
        if (!between) {
            a->agg[i] = a->agg[j];
            memset(&a->agg[j], 0, sizeof(a->agg[j]));
            i = j;
        }
    }
}

/* A repeat inside the window: kept, with its count, for later. */
static void hold_repeat(struct alerter *a, struct aggregate *g, const struct alert *al,
                        const struct flow *f, uint64_t ts_us, const char *incident)
{
    g->count++;
    serialize_alert(a, al, f, ts_us, g->count, incident);
    size_t len;
    const char *json = json_buffer(&a->json, &len);
    char *copy = json ? realloc(g->json, len + 1) : NULL;
    if (copy) {
        memcpy(copy, json, len + 1);
        g->json = copy;
        g->len = len;
    }
}

static void open_aggregate(struct alerter *a, struct aggregate *g, const struct aggregate_key *k,
                           uint32_t home, uint64_t end_us)
{
    if (end_us < a->agg_next_end_us) a->agg_next_end_us = end_us;
    g->used = 1;
    g->key = *k;
    g->home = home;
    g->window_end_us = end_us;
}

static struct corr_host corr_host_of(const struct flow *f, int side)
{
    struct corr_host h = {.family = f->key.family, .zone = f->zone[side]};
    memcpy(h.addr, f->key.addr[side], sizeof(h.addr));
    return h;
}

static struct corr_event corr_event_of(enum corr_kind kind, const struct detector_info *d,
                                       const struct flow *f, uint64_t ts_us)
{
    struct corr_event ev = {.kind = kind,
                            .ts_us = ts_us,
                            .src = corr_host_of(f, f->client),
                            .dst = corr_host_of(f, !f->client),
                            .detector = d->id,
                            /* No payload either way: it reached no service. */
                            .probe = !f->payload};
    return ev;
}

/* Hands the finding to the correlator with the ATT&CK ids its alert lists;
 * id gets its incident, "" when it joined none. */
static void correlate_finding(struct alerter *a, const struct alert *al, const struct flow *f,
                              uint64_t ts_us, char id[CORR_ID_LEN])
{
    id[0] = 0;
    if (!a->corr) return;
    struct corr_event ev = corr_event_of(CORR_ALERT, al->det, f, ts_us);
    const char *const *tech = al->techniques ? al->techniques : al->det->techniques;
    for (size_t i = 0; i < ALERT_MAX_TECHNIQUES && tech[i]; i++)
        ev.techniques[ev.ntechniques++] = tech[i];
    ev.severity = al->severity;
    if (!correlate_event(a->corr, &ev, id)) id[0] = 0;
}

int alerter_emit(struct alerter *a, const struct alert *al, struct flow *f, uint64_t ts_us)
{
    uint64_t bit = 1ull << al->det_index;
    if (f->alerted & bit) {
        a->st.duplicates++;
        return 0;
    }
    f->alerted |= bit;

    char incident[CORR_ID_LEN];
    correlate_finding(a, al, f, ts_us, incident);
    struct aggregate_key k = aggregate_key_of(al, f);
    uint32_t home = aggregate_home(&k);
    struct aggregate *g = a->window_us ? aggregate_slot(a, &k, home) : NULL;
    int sent = 0;
    if (g && g->used && ts_us < g->window_end_us) {
        hold_repeat(a, g, al, f, ts_us, incident);
    } else {
        if (g && g->used) send_aggregate(a, g); /* its window is over: the slot starts another */
        serialize_alert(a, al, f, ts_us, 1, incident);
        size_t len;
        const char *json = json_buffer(&a->json, &len);
        if (json) send_all(a, json, len);
        if (g) open_aggregate(a, g, &k, home, ts_us + a->window_us);
        sent = 1;
    }
    /* The incident versions this finding caused follow its alert. */
    if (a->corr) correlate_publish(a->corr);
    return sent;
}

void alerter_allowed_flow(struct alerter *a, const struct detector_info *det, const struct flow *f,
                          const char *technique, uint64_t ts_us)
{
    a->st.allowed_flows++;
    if (!a->corr) return;
    struct corr_event ev = corr_event_of(CORR_ALLOWED_FLOW, det, f, ts_us);
    if (technique) ev.techniques[ev.ntechniques++] = technique;
    char id[CORR_ID_LEN];
    correlate_event(a->corr, &ev, id);
    correlate_publish(a->corr);
}

void alerter_tick(struct alerter *a, uint64_t now_us)
{
    /* Once a second of packet time: no scan before a window can be over. */
    if (now_us < a->agg_next_end_us) return;
    uint64_t next = UINT64_MAX;
    for (uint32_t i = 0; i < AGG_SLOTS;) {
        struct aggregate *g = &a->agg[i];
        if (g->used && now_us >= g->window_end_us) {
            send_aggregate(a, g);
            remove_aggregate(a, i); /* slot i may hold another now */
            continue;
        }
        if (g->used && g->window_end_us < next) next = g->window_end_us;
        i++;
    }
    a->agg_next_end_us = next;
}

void alerter_flush(struct alerter *a)
{
    for (int i = 0; i < AGG_SLOTS; i++)
        if (a->agg[i].used) send_aggregate(a, &a->agg[i]);
    memset(a->agg, 0, sizeof(a->agg));
    a->agg_next_end_us = UINT64_MAX;
}

void alerter_get_stats(const struct alerter *a, struct alerter_stats *st)
{
    *st = a->st;
}

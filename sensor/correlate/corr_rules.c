/* The correlation rules of docs/incidents.md, applied to one event: which
 * incident (rule 1), targets (2), lateral movement (3), late-report merges
 * (4), hops (5), zones (6), tactics (7), allowed flows (9), limits (10),
 * probes (11).
 * The window (8) and the versions are correlate.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/attack.h"
#include "correlate_internal.h"

/* "T1021.002" is a technique, "TA0008" a tactic. */
static int is_technique(const char *id)
{
    return id && id[0] == 'T' && id[1] >= '0' && id[1] <= '9';
}

static int is_tactic(const char *id)
{
    return id && id[0] == 'T' && id[1] == 'A';
}

/* Rule 3: a technique of Lateral Movement (TA0008) or Execution (TA0002). */
static int is_lateral(const struct corr_event *ev)
{
    for (size_t i = 0; i < ev->ntechniques && i < CORR_MAX_TECHNIQUES; i++) {
        if (!is_technique(ev->techniques[i])) continue;
        const char *t = attack_tactic_of(ev->techniques[i]);
        if (t && (strcmp(t, "TA0008") == 0 || strcmp(t, "TA0002") == 0)) return 1;
    }
    return 0;
}

static int same_host(const struct corr_host *a, const struct corr_host *b)
{
    return a->family == b->family && memcmp(a->addr, b->addr, 16) == 0;
}

static int older(const struct incident *a, const struct incident *b)
{
    return a->first_seen < b->first_seen || (a->first_seen == b->first_seen && a->seq < b->seq);
}

static uint32_t slot(const struct correlator *c, const struct incident *inc)
{
    return (uint32_t)(inc - c->incs);
}

/* Rule 1, in order: the open incidents where S acts as a pivot or with a
 * technique; where S was the destination of lateral movement (S becomes a
 * pivot there: *pivot set); where S is the origin of policy alerts only.
 * The oldest of the first kind found wins. */
enum { TIER_ACTS, TIER_REACHED, TIER_POLICY, TIERS };

static struct incident *find_incident(struct correlator *c, const struct corr_host *s,
                                      uint32_t *host, int *pivot)
{
    struct incident *best[TIERS] = {NULL};
    uint32_t best_h[TIERS];
    const struct corr_member *mem = c->index.members;
    for (uint32_t m = corr_index_first(&c->index, s->family, s->addr); m != CORR_NONE;
         m = mem[m].next) {
        struct incident *inc = &c->incs[mem[m].inc];
        const struct inc_host *h = &inc->hosts[mem[m].host];
        int tier = h->role == ROLE_PIVOT || (h->role == ROLE_ORIGIN && h->acted) ? TIER_ACTS
                   : h->role == ROLE_ORIGIN                                      ? TIER_POLICY
                   : h->lateral                                                  ? TIER_REACHED
                                                                                 : TIERS;
        if (tier == TIERS) continue;
        if (!best[tier] || older(inc, best[tier])) best[tier] = inc, best_h[tier] = mem[m].host;
    }
    for (int t = 0; t < TIERS; t++)
        if (best[t]) {
            *pivot = t == TIER_REACHED;
            *host = best_h[t];
            return best[t];
        }
    *pivot = 0;
    *host = CORR_NONE;
    return NULL;
}

static int has_technique(const struct corr_event *ev)
{
    for (size_t i = 0; i < ev->ntechniques && i < CORR_MAX_TECHNIQUES; i++)
        if (is_technique(ev->techniques[i])) return 1;
    return 0;
}

static void add_zone(struct incident *inc, uint16_t zone)
{
    for (uint32_t i = 0; i < inc->nzones; i++)
        if (inc->zones[i] == zone) return;
    if (inc->nzones == CORR_MAX_ZONES) return;
    inc->zones[inc->nzones++] = zone;
    inc->change |= CH_NEW_ZONE;
}

static void add_tactic(struct incident *inc, int name)
{
    if (name < 0) return;
    for (uint32_t i = 0; i < inc->ntactics; i++)
        if (inc->tactics[i] == name) return;
    if (inc->ntactics == CORR_MAX_TACTICS) return;
    inc->tactics[inc->ntactics++] = (uint16_t)name;
    inc->change |= CH_NEW_TACTIC;
}

/* A host that may now move alerts into inc (rule 1) goes on its chain. */
static void activate(struct correlator *c, struct incident *inc, uint32_t h)
{
    struct inc_host *x = &inc->hosts[h];
    if (x->active || (x->role == ROLE_TARGET && !x->lateral)) return;
    x->link =
        corr_index_activate(&c->index, x->family, x->addr, slot(c, inc), h, x->role == ROLE_ORIGIN);
    if (x->link != CORR_NONE)
        x->active = 1;
    else
        c->oom++;
}

static void make_pivot(struct correlator *c, struct incident *inc, uint32_t h)
{
    if (inc->hosts[h].role != ROLE_TARGET) return;
    inc->hosts[h].role = ROLE_PIVOT;
    inc->pivots++;
    inc->change |= CH_PIVOT;
    activate(c, inc, h);
}

/* A new host of inc, or CORR_NONE when it does not fit (counted). */
static uint32_t add_host(struct correlator *c, struct incident *inc, const struct corr_host *h,
                         int role, uint64_t ts)
{
    if (inc->nhosts == CORR_MAX_HOSTS) goto dropped;
    if (inc->nhosts == inc->cap_hosts) {
        uint32_t cap = inc->cap_hosts ? inc->cap_hosts * 2 : 4;
        struct inc_host *p = realloc(inc->hosts, cap * sizeof(*p));
        if (!p) goto dropped;
        inc->hosts = p;
        inc->cap_hosts = cap;
    }
    uint32_t i = inc->nhosts;
    if (corr_index_add(&c->index, h->family, h->addr, slot(c, inc), i) < 0) goto dropped;
    struct inc_host *n = &inc->hosts[i];
    memset(n, 0, sizeof(*n));
    n->family = h->family;
    memcpy(n->addr, h->addr, 16);
    n->zone = h->zone;
    n->role = (uint8_t)role;
    n->first_seen = ts;
    inc->nhosts++;
    inc->change |= CH_NEW_HOST;
    if (role == ROLE_PIVOT) {
        inc->pivots++;
        inc->change |= CH_PIVOT;
    }
    add_zone(inc, h->zone);
    activate(c, inc, i);
    return i;
dropped:
    inc->hosts_dropped++;
    c->st.hosts_dropped++;
    return CORR_NONE;
}

static void drop_hop(struct correlator *c, struct incident *inc)
{
    inc->hops_dropped++;
    c->st.hops_dropped++;
}

/* The hop s -> d of inc, new if need be (*fresh set), NULL when it does
 * not fit (counted). */
static struct inc_hop *get_hop(struct correlator *c, struct incident *inc, uint32_t s, uint32_t d,
                               uint64_t ts, int *fresh)
{
    *fresh = 0;
    for (uint32_t i = 0; i < inc->nhops; i++)
        if (inc->hops[i].src == s && inc->hops[i].dst == d) return &inc->hops[i];
    if (inc->nhops == CORR_MAX_HOPS) goto dropped;
    if (inc->nhops == inc->cap_hops) {
        uint32_t cap = inc->cap_hops ? inc->cap_hops * 2 : 4;
        struct inc_hop *p = realloc(inc->hops, cap * sizeof(*p));
        if (!p) goto dropped;
        inc->hops = p;
        inc->cap_hops = cap;
    }
    struct inc_hop *p = &inc->hops[inc->nhops++];
    memset(p, 0, sizeof(*p));
    p->src = (uint8_t)s;
    p->dst = (uint8_t)d;
    p->first_seen = p->last_seen = ts;
    inc->change |= CH_NEW_HOP;
    *fresh = 1;
    return p;
dropped:
    drop_hop(c, inc);
    return NULL;
}

/* Adds name to a hop's list; 1 if it was not there. */
static int hop_name(uint16_t *list, uint8_t *n, int cap, int name)
{
    if (name < 0) return 0;
    for (int i = 0; i < *n; i++)
        if (list[i] == name) return 0;
    if (*n == cap) return 0;
    list[(*n)++] = (uint16_t)name;
    return 1;
}

static void hop_time(struct inc_hop *p, uint64_t first, uint64_t last)
{
    if (first < p->first_seen) p->first_seen = first;
    if (last > p->last_seen) p->last_seen = last;
}

/* Rule 4: J (D its origin) merges into I, where D becomes a pivot. */
static void merge(struct correlator *c, struct incident *I, struct incident *J, uint64_t ts)
{
    uint32_t map[CORR_MAX_HOSTS];
    for (uint32_t j = 0; j < J->nhosts; j++) {
        const struct inc_host *h = &J->hosts[j];
        uint32_t x = corr_index_find(&c->index, h->family, h->addr, slot(c, I));
        if (x == CORR_NONE) {
            struct corr_host ch = {.family = h->family, .zone = h->zone};
            memcpy(ch.addr, h->addr, 16);
            x = add_host(c, I, &ch, h->role == ROLE_TARGET ? ROLE_TARGET : ROLE_PIVOT,
                         h->first_seen);
        } else {
            if (h->role != ROLE_TARGET) make_pivot(c, I, x);
            if (h->first_seen < I->hosts[x].first_seen) I->hosts[x].first_seen = h->first_seen;
        }
        if (x != CORR_NONE) {
            I->hosts[x].lateral |= h->lateral;
            I->hosts[x].acted |= h->acted;
            activate(c, I, x);
        }
        map[j] = x;
    }
    for (uint32_t k = 0; k < J->nhops; k++) {
        const struct inc_hop *q = &J->hops[k];
        int fresh;
        struct inc_hop *p = NULL;
        if (map[q->src] == CORR_NONE || map[q->dst] == CORR_NONE)
            drop_hop(c, I);
        else
            p = get_hop(c, I, map[q->src], map[q->dst], q->first_seen, &fresh);
        if (!p) continue;
        hop_time(p, q->first_seen, q->last_seen);
        for (int t = 0; t < q->ntech; t++)
            if (hop_name(p->tech, &p->ntech, CORR_HOP_TECHNIQUES, q->tech[t]) && !fresh)
                I->change |= CH_NEW_TECHNIQUE;
        for (int t = 0; t < q->ndet; t++)
            hop_name(p->det, &p->ndet, CORR_HOP_DETECTORS, q->det[t]);
        p->alerts += q->alerts;
        p->allowed_flows += q->allowed_flows;
    }
    for (uint32_t z = 0; z < J->nzones; z++)
        add_zone(I, J->zones[z]);
    for (uint32_t t = 0; t < J->ntactics; t++)
        add_tactic(I, J->tactics[t]);
    I->alerts += J->alerts;
    I->probes += J->probes;
    if (J->severity < I->severity) I->severity = J->severity;
    if (J->first_seen < I->first_seen) I->first_seen = J->first_seen;
    corr_touch(c, I, J->last_seen);
    I->hosts_dropped += J->hosts_dropped;
    I->hops_dropped += J->hops_dropped;
    I->change |= CH_MERGED;
    memcpy(J->merged_into, I->id, CORR_ID_LEN);
    corr_end(c, J, ST_MERGED, ts);
}

/* Rule 4: a lateral-movement alert of I onto D, the origin of incidents
 * whose first alert is not earlier than it. */
static void merge_late(struct correlator *c, struct incident *I, uint32_t dh, uint64_t ts)
{
    const struct inc_host *d = &I->hosts[dh];
    uint8_t family = d->family, addr[16];
    memcpy(addr, d->addr, 16);
    if (d->role == ROLE_ORIGIN) return;
    for (;;) {
        struct incident *J = NULL;
        const struct corr_member *mem = c->index.members;
        /* Origin links come first on the chain. */
        for (uint32_t m = corr_index_first(&c->index, family, addr); m != CORR_NONE;
             m = mem[m].next) {
            struct incident *k = &c->incs[mem[m].inc];
            if (k->hosts[mem[m].host].role != ROLE_ORIGIN) break;
            if (k != I && k->first_seen >= ts && (!J || older(k, J))) J = k;
        }
        if (!J) break;
        /* D, J's origin, is found in I and made a pivot there. */
        merge(c, I, J, ts);
    }
}

/* id: FNV-1a 64 of the origin's 16 address bytes, then the first alert's
 * packet time as 8 little-endian bytes. */
static void make_id(char id[CORR_ID_LEN], const uint8_t addr[16], uint64_t ts)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < 16; i++)
        h = (h ^ addr[i]) * 0x100000001b3ull;
    for (int i = 0; i < 8; i++)
        h = (h ^ ((ts >> (8 * i)) & 0xFF)) * 0x100000001b3ull;
    snprintf(id, CORR_ID_LEN, "%016llx", (unsigned long long)h);
}

static struct incident *open_incident(struct correlator *c, const struct corr_event *ev,
                                      uint32_t *sh)
{
    struct incident *inc = corr_alloc(c, ev->ts_us);
    if (!inc) return NULL;
    make_id(inc->id, ev->src.addr, ev->ts_us);
    *sh = add_host(c, inc, &ev->src, ROLE_ORIGIN, ev->ts_us);
    inc->change = CH_NEW_INCIDENT;
    return inc;
}

/* Rules 2, 5, 6, 7, 9, 11: what the event adds to its incident. */
static void apply(struct correlator *c, struct incident *inc, uint32_t sh,
                  const struct corr_event *ev, int lateral)
{
    uint64_t ts = ev->ts_us;
    int alert = ev->kind == CORR_ALERT;
    inc->change_ts = ts;
    if (ts < inc->first_seen) inc->first_seen = ts;
    corr_touch(c, inc, ts);
    uint32_t dh = CORR_NONE;
    /* Rule 11: a probe's destination stays out (no host, hop or zone). */
    if (!ev->probe && !same_host(&ev->src, &ev->dst)) {
        dh = corr_index_find(&c->index, ev->dst.family, ev->dst.addr, slot(c, inc));
        if (dh == CORR_NONE) {
            dh = add_host(c, inc, &ev->dst, ROLE_TARGET, ts);
            if (dh == CORR_NONE) drop_hop(c, inc);
        }
    }
    if (sh != CORR_NONE) add_zone(inc, ev->src.zone);
    if (dh != CORR_NONE) add_zone(inc, ev->dst.zone);
    if (lateral && dh != CORR_NONE) {
        inc->hosts[dh].lateral = 1;
        activate(c, inc, dh);
    }
    struct inc_hop *hop = NULL;
    int fresh = 0;
    if (sh != CORR_NONE && dh != CORR_NONE) hop = get_hop(c, inc, sh, dh, ts, &fresh);
    size_t n = ev->ntechniques < CORR_MAX_TECHNIQUES ? ev->ntechniques : CORR_MAX_TECHNIQUES;
    for (size_t i = 0; i < n; i++) {
        const char *id = ev->techniques[i];
        if (alert && is_tactic(id)) add_tactic(inc, corr_name(c, id));
        if (!is_technique(id)) continue;
        if (alert) {
            const char *t = attack_tactic_of(id);
            if (t) add_tactic(inc, corr_name(c, t));
        }
        if (hop && hop_name(hop->tech, &hop->ntech, CORR_HOP_TECHNIQUES, corr_name(c, id)) &&
            !fresh)
            inc->change |= CH_NEW_TECHNIQUE;
    }
    if (hop) {
        hop_time(hop, ts, ts);
        hop_name(hop->det, &hop->ndet, CORR_HOP_DETECTORS, corr_name(c, ev->detector));
        if (alert)
            hop->alerts++;
        else
            hop->allowed_flows++;
    }
    if (alert) {
        int sev = ev->severity < 1 ? 1 : ev->severity > 3 ? 3 : ev->severity;
        if (sh != CORR_NONE && has_technique(ev)) inc->hosts[sh].acted = 1;
        inc->alerts++;
        if (ev->probe) inc->probes++;
        if (sev < inc->severity) inc->severity = sev;
        if (lateral && dh != CORR_NONE) merge_late(c, inc, dh, ts);
    }
    corr_changed(c, inc);
}

int correlate_event(struct correlator *c, const struct corr_event *ev, char id[CORR_ID_LEN])
{
    if (!c->set.enabled) return 0;
    corr_advance(c, ev->ts_us);
    /* Rule 11: an allowed flow that reached no service is no fact at all;
     * its packet time still moves the clock, as a tick at that time would,
     * so the records do not depend on how often the caller ticks. */
    if (ev->kind == CORR_ALLOWED_FLOW && ev->probe) return 0;
    /* Rule 9: an allowed flow onto D may make D a pivot later, as any
     * remote administration would. */
    int lateral = ev->kind == CORR_ALLOWED_FLOW || is_lateral(ev);
    uint32_t sh;
    int pivot;
    struct incident *inc = find_incident(c, &ev->src, &sh, &pivot);
    if (!inc) {
        if (ev->kind != CORR_ALERT || ev->ntechniques == 0) return 0;
        inc = open_incident(c, ev, &sh);
        if (!inc) return 0;
    } else if (pivot) {
        make_pivot(c, inc, sh);
    }
    apply(c, inc, sh, ev, lateral);
    memcpy(id, inc->id, CORR_ID_LEN);
    return 1;
}

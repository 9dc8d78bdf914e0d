/* The correlator's life cycle and clock: the incident pool, the ordered
 * lists that say which incident closes or owes a minor update next, and
 * publish/tick/flush. The rules themselves are in corr_rules.c.
 *
 * Determinism: everything is decided on packet time. Work that falls due
 * (a window ending, a minor update 60 s after the last record) is done in
 * due-time order, by correlate_tick or, before an event is applied, by
 * correlate_event itself; so the records do not depend on how often the
 * caller ticks. */
#include <stdlib.h>
#include <string.h>

#include "correlate_internal.h"

/* ---- lists of incident slots, each ordered by (key, seq) ---- */

static struct corr_link *link_of(struct incident *inc, int which)
{
    return which == CORR_L_LAST  ? &inc->by_last
           : which == CORR_L_DUE ? &inc->by_due
                                 : &inc->by_dirty;
}

static struct corr_list *list_of(struct correlator *c, int which)
{
    return which == CORR_L_LAST ? &c->by_last : which == CORR_L_DUE ? &c->by_due : &c->dirty;
}

static uint64_t key_of(const struct incident *inc, int which)
{
    return which == CORR_L_LAST ? inc->last_seen : inc->last_record + CORR_UPDATE_US;
}

static int before(const struct incident *a, const struct incident *b, int which)
{
    uint64_t ka = key_of(a, which), kb = key_of(b, which);
    return ka < kb || (ka == kb && a->seq < b->seq);
}

void corr_list_remove(struct correlator *c, int which, uint32_t i)
{
    struct corr_list *l = list_of(c, which);
    struct corr_link *k = link_of(&c->incs[i], which);
    if (k->prev == CORR_NONE)
        l->head = k->next;
    else
        link_of(&c->incs[k->prev], which)->next = k->next;
    if (k->next == CORR_NONE)
        l->tail = k->prev;
    else
        link_of(&c->incs[k->next], which)->prev = k->prev;
    k->prev = k->next = CORR_NONE;
}

/* Inserted after every slot not after it in order: the dirty list has no
 * order but arrival, and the others are nearly sorted already (packet time
 * mostly grows), so the walk from the tail is short. */
void corr_list_insert(struct correlator *c, int which, uint32_t i)
{
    struct corr_list *l = list_of(c, which);
    struct corr_link *k = link_of(&c->incs[i], which);
    uint32_t p = l->tail;
    if (which != CORR_L_DIRTY)
        while (p != CORR_NONE && before(&c->incs[i], &c->incs[p], which))
            p = link_of(&c->incs[p], which)->prev;
    k->prev = p;
    k->next = p == CORR_NONE ? l->head : link_of(&c->incs[p], which)->next;
    if (p == CORR_NONE)
        l->head = i;
    else
        link_of(&c->incs[p], which)->next = i;
    if (k->next == CORR_NONE)
        l->tail = i;
    else
        link_of(&c->incs[k->next], which)->prev = i;
}

/* ---- versions ---- */

/* Writes inc's next version now (into the pending output). */
void corr_write_version(struct correlator *c, struct incident *inc, uint64_t ts)
{
    uint32_t i = (uint32_t)(inc - c->incs);
    if (inc->dirty) corr_list_remove(c, CORR_L_DIRTY, i);
    if (inc->pending) corr_list_remove(c, CORR_L_DUE, i);
    inc->dirty = inc->pending = 0;
    corr_render(c, inc, ts);
}

/* After an event changed inc: a structural change is written at the next
 * publish, a minor one waits on the due list. */
void corr_changed(struct correlator *c, struct incident *inc)
{
    uint32_t i = (uint32_t)(inc - c->incs);
    if (inc->change & CH_STRUCTURAL) {
        if (!inc->dirty) corr_list_insert(c, CORR_L_DIRTY, i);
        inc->dirty = 1;
    } else if (!inc->dirty && !inc->pending) {
        corr_list_insert(c, CORR_L_DUE, i);
        inc->pending = 1;
    }
}

/* last_seen moved: the slot moves along the list of open incidents. */
void corr_touch(struct correlator *c, struct incident *inc, uint64_t ts)
{
    if (ts <= inc->last_seen) return;
    uint32_t i = (uint32_t)(inc - c->incs);
    inc->last_seen = ts;
    corr_list_remove(c, CORR_L_LAST, i);
    corr_list_insert(c, CORR_L_LAST, i);
}

static void render_dirty(struct correlator *c)
{
    while (c->dirty.head != CORR_NONE) {
        struct incident *inc = &c->incs[c->dirty.head];
        corr_write_version(c, inc, inc->change_ts);
    }
}

/* ---- the pool ---- */

static void slot_init(struct incident *inc)
{
    inc->state = ST_FREE;
    inc->by_last = inc->by_due = inc->by_dirty = (struct corr_link){CORR_NONE, CORR_NONE};
}

/* A free slot, emptied; its host and hop arrays are kept for reuse. */
struct incident *corr_alloc(struct correlator *c, uint64_t ts)
{
    if (c->st.open >= c->set.max_open && c->by_last.head != CORR_NONE) {
        c->st.evicted++;
        corr_end(c, &c->incs[c->by_last.head], ST_CLOSED, ts);
    }
    if (c->free_inc == CORR_NONE) return NULL;
    uint32_t i = c->free_inc;
    struct incident *inc = &c->incs[i];
    c->free_inc = inc->next_free;
    struct inc_host *hosts = inc->hosts;
    struct inc_hop *hops = inc->hops;
    uint32_t ch = inc->cap_hosts, cp = inc->cap_hops;
    memset(inc, 0, sizeof(*inc));
    slot_init(inc);
    inc->hosts = hosts;
    inc->hops = hops;
    inc->cap_hosts = ch;
    inc->cap_hops = cp;
    inc->state = ST_OPEN;
    inc->seq = c->next_seq++;
    inc->first_seen = inc->last_seen = ts;
    inc->severity = 3;
    corr_list_insert(c, CORR_L_LAST, i);
    c->st.incidents++;
    c->st.open++;
    return inc;
}

/* Takes inc out of the index and the lists; its slot is free again. */
static void release(struct correlator *c, struct incident *inc)
{
    uint32_t i = (uint32_t)(inc - c->incs);
    for (uint32_t h = 0; h < inc->nhosts; h++)
        corr_index_remove(&c->index, inc->hosts[h].family, inc->hosts[h].addr, i,
                          inc->hosts[h].active ? inc->hosts[h].link : CORR_NONE);
    if (inc->dirty) corr_list_remove(c, CORR_L_DIRTY, i);
    if (inc->pending) corr_list_remove(c, CORR_L_DUE, i);
    corr_list_remove(c, CORR_L_LAST, i);
    slot_init(inc);
    inc->next_free = c->free_inc;
    c->free_inc = i;
    c->st.open--;
}

/* The last version of inc (closed or merged), then its slot is freed. */
void corr_end(struct correlator *c, struct incident *inc, int state, uint64_t ts)
{
    inc->state = state;
    inc->change |= state == ST_MERGED ? CH_MERGED : CH_CLOSED;
    if (state == ST_MERGED)
        c->st.merged++;
    else
        c->st.closed++;
    corr_write_version(c, inc, ts);
    release(c, inc);
}

/* Windows that ended and minor updates that fell due by now, in the order
 * of the time they fell due. */
static void process_due(struct correlator *c, uint64_t now)
{
    uint64_t timeout = (uint64_t)c->set.timeout_s * 1000000u;
    for (;;) {
        struct incident *a = c->by_last.head == CORR_NONE ? NULL : &c->incs[c->by_last.head];
        struct incident *b = c->by_due.head == CORR_NONE ? NULL : &c->incs[c->by_due.head];
        /* A window ends at the first packet past it. */
        uint64_t ta = a ? a->last_seen + timeout + 1 : 0, tb = b ? key_of(b, CORR_L_DUE) : 0;
        if (a && ta > now) a = NULL;
        if (b && tb > now) b = NULL;
        if (!a && !b) return;
        if (a && b && (tb < ta || (tb == ta && b->seq < a->seq))) a = NULL;
        if (a) {
            corr_end(c, a, ST_CLOSED, a->last_seen + timeout);
        } else {
            /* Stamped with its last change; the next one waits 60 s from
             * now, the time it fell due, whenever the caller ticked. */
            corr_write_version(c, b, b->change_ts);
            b->last_record = tb;
        }
    }
}

/* Before an event: what is owed from earlier events is rendered first. */
void corr_advance(struct correlator *c, uint64_t now)
{
    render_dirty(c);
    if (now > c->clock) c->clock = now;
    process_due(c, c->clock);
}

/* ---- the public surface ---- */

static void apply_settings(struct correlator *c, const struct corr_settings *set)
{
    c->set = *set;
    if (!c->set.timeout_s) c->set.timeout_s = CORR_DEFAULT_TIMEOUT_S;
    if (!c->set.max_open) c->set.max_open = CORR_DEFAULT_MAX_OPEN;
}

/* Slots up to max_open; existing ones keep their indices. */
static int grow_pool(struct correlator *c, uint32_t n)
{
    if (n <= c->cap_incs) return 0;
    struct incident *p = realloc(c->incs, (size_t)n * sizeof(*p));
    if (!p) return -1;
    c->incs = p;
    for (uint32_t i = n; i-- > c->cap_incs;) {
        memset(&p[i], 0, sizeof(p[i]));
        slot_init(&p[i]);
        p[i].next_free = c->free_inc;
        c->free_inc = i;
    }
    c->cap_incs = n;
    return 0;
}

struct correlator *correlate_create(const struct corr_settings *set, const struct zones *zones,
                                    const char *sensor, incident_sink_fn sink, void *ud)
{
    struct correlator *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    apply_settings(c, set);
    c->zones = zones;
    c->sensor = sensor;
    c->sink = sink;
    c->ud = ud;
    c->free_inc = CORR_NONE;
    c->by_last = c->by_due = c->dirty = (struct corr_list){CORR_NONE, CORR_NONE};
    if (corr_index_init(&c->index) < 0 || grow_pool(c, c->set.max_open) < 0) {
        correlate_destroy(c);
        return NULL;
    }
    return c;
}

void correlate_destroy(struct correlator *c)
{
    if (!c) return;
    for (uint32_t i = 0; i < c->cap_incs; i++) {
        free(c->incs[i].hosts);
        free(c->incs[i].hops);
    }
    free(c->incs);
    corr_index_free(&c->index);
    json_free(&c->w);
    free(c->out);
    free(c->out_ends);
    free(c);
}

void correlate_configure(struct correlator *c, const struct corr_settings *set,
                         const struct zones *zones, const char *sensor)
{
    render_dirty(c);
    apply_settings(c, set);
    c->zones = zones;
    c->sensor = sensor;
    /* Out of memory: the pool keeps its size and max_open follows it. */
    if (grow_pool(c, c->set.max_open) < 0) c->set.max_open = c->cap_incs;
    while (c->st.open > c->set.max_open) {
        c->st.evicted++;
        corr_end(c, &c->incs[c->by_last.head], ST_CLOSED, c->clock);
    }
}

void correlate_publish(struct correlator *c)
{
    render_dirty(c);
    corr_emit(c);
}

void correlate_tick(struct correlator *c, uint64_t now_us)
{
    if (c->set.enabled) corr_advance(c, now_us);
    correlate_publish(c);
}

void correlate_flush(struct correlator *c)
{
    render_dirty(c);
    while (c->by_due.head != CORR_NONE) {
        struct incident *inc = &c->incs[c->by_due.head];
        corr_write_version(c, inc, inc->change_ts);
    }
    corr_emit(c);
}

void correlate_get_stats(const struct correlator *c, struct correlate_stats *st)
{
    *st = c->st;
}

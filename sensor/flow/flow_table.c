/* Flow table.
 *
 * Slots live in one anonymous mapping sized for the maximum flow count;
 * pages are only touched as flows are created, so the resident size follows
 * the number of live flows. The index (flow_index_internal.h) is kept
 * at most half full. Each timeout class has its own LRU list, ordered to
 * the second: a flow moves to the head of its list at most once per second
 * of packet time (when its last packet's second changes), not on every
 * packet, which would touch two neighbour slots (two cache misses) each
 * time. The tail is thus the next flow to expire, give or take a second. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "flow_index_internal.h"
#include "flow_sort_internal.h"
#include "flow_table.h"

#define NONE UINT32_MAX
#define INDEX_MIN 32
#define INDEX_START (1u << 16)
#define EMERGENCY_HIGH_PCT 95
#define EMERGENCY_LOW_PCT 80
/* Flows looked at from the old end of each class for one least likely to
 * matter: a bound on an eviction's cost in emergency mode. */
#define EMERGENCY_SCAN 16

struct lru {
    uint32_t head, tail;
};

struct flow_table {
    struct flow_table_config cfg;
    struct flow *slots;
    size_t slots_bytes;
    uint32_t capacity, used_hw; /* slots ever handed out */
    uint32_t free_head;         /* freed slots, linked through lru_next */
    struct flow_index index;
    struct lru lru[FLOW_CLASS_MAX];
    uint64_t normal_us[FLOW_CLASS_MAX], emergency_us[FLOW_CLASS_MAX];
    const uint64_t *timeout_us;     /* normal_us, or emergency_us in emergency */
    uint64_t high_bytes, low_bytes; /* emergency marks */
    int flushing;                   /* every flow ends: the index is cleared once, after */
    struct flow_table_stats st;
};

const char *flow_end_reason_name(enum flow_end_reason r)
{
    static const char *names[] = {"timeout", "eof", "forced", "tcp_reuse"};
    return names[r];
}

struct flow_table *flow_table_create(const struct flow_table_config *cfg, char *err, size_t errlen)
{
    static struct flow_table zero;
    struct flow_table *ft = flow_map_zeroed(sizeof(*ft));
    if (!ft) {
        snprintf(err, errlen, "flow table: out of memory");
        return NULL;
    }
    *ft = zero;
    ft->cfg = *cfg;

    /* The memcap bounds slots + index: each flow costs its slot and at
     * most four index entries (the index is between 1/4 and 1/2 full). */
    uint64_t per_flow = sizeof(struct flow) + 4 * sizeof(uint32_t);
    uint64_t cap = cfg->max_flows;
    if (cfg->memcap_bytes / per_flow < cap) cap = cfg->memcap_bytes / per_flow;
    if (cap > FLOW_INDEX_SLOTS_MAX) cap = FLOW_INDEX_SLOTS_MAX;
    if (cap < 16) {
        snprintf(err, errlen, "flow table: memcap of %llu bytes is too small",
                 (unsigned long long)cfg->memcap_bytes);
        flow_table_destroy(ft);
        return NULL;
    }
    /* The index starts small and doubles with the live flow count, so a
     * small working set stays in cache even when flows.max is large. */
    uint32_t isize = INDEX_MIN;
    while (isize < 2 * cap && isize < INDEX_START)
        isize <<= 1;

    ft->capacity = (uint32_t)cap;
    ft->slots_bytes = (size_t)cap * sizeof(struct flow);
    ft->slots = flow_map_zeroed(ft->slots_bytes);
    if (!ft->slots || flow_index_init(&ft->index, isize, (uint32_t)cap) != 0) {
        snprintf(err, errlen, "flow table: cannot map %zu bytes",
                 ft->slots_bytes + (size_t)isize * sizeof(uint32_t));
        flow_table_destroy(ft);
        return NULL;
    }
    ft->free_head = NONE;
    for (int c = 0; c < FLOW_CLASS_MAX; c++) {
        ft->lru[c].head = ft->lru[c].tail = NONE;
        ft->normal_us[c] = (uint64_t)cfg->timeout_s[c] * 1000000u;
        uint64_t e = cfg->emergency_timeout_s[c] ? (uint64_t)cfg->emergency_timeout_s[c] * 1000000u
                                                 : ft->normal_us[c] / 10;
        ft->emergency_us[c] = e < 1000000u ? 1000000u : e;
    }
    ft->timeout_us = ft->normal_us;
    unsigned high = cfg->emergency_high_pct ? cfg->emergency_high_pct : EMERGENCY_HIGH_PCT;
    unsigned low = cfg->emergency_low_pct ? cfg->emergency_low_pct : EMERGENCY_LOW_PCT;
    if (low > high) low = high;
    ft->high_bytes = cfg->memcap_bytes / 100 * high;
    ft->low_bytes = cfg->memcap_bytes / 100 * low;
    ft->st.capacity = ft->capacity;
    return ft;
}

void flow_table_destroy(struct flow_table *ft)
{
    if (!ft) return;
    if (ft->slots) munmap(ft->slots, ft->slots_bytes);
    flow_index_free(&ft->index);
    munmap(ft, sizeof(*ft));
}

static inline uint32_t slot_of(const struct flow_table *ft, const struct flow *f)
{
    return (uint32_t)(f - ft->slots);
}

static void lru_unlink(struct flow_table *ft, struct flow *f)
{
    struct lru *l = &ft->lru[f->fclass];
    if (f->lru_prev != NONE)
        ft->slots[f->lru_prev].lru_next = f->lru_next;
    else
        l->head = f->lru_next;
    if (f->lru_next != NONE)
        ft->slots[f->lru_next].lru_prev = f->lru_prev;
    else
        l->tail = f->lru_prev;
}

static void lru_push_head(struct flow_table *ft, struct flow *f)
{
    struct lru *l = &ft->lru[f->fclass];
    uint32_t s = slot_of(ft, f);
    f->lru_s = (uint32_t)(f->last_us / 1000000u);
    f->lru_prev = NONE;
    f->lru_next = l->head;
    if (l->head != NONE) ft->slots[l->head].lru_prev = s;
    l->head = s;
    if (l->tail == NONE) l->tail = s;
}

void flow_table_set_class(struct flow_table *ft, struct flow *f, enum flow_class c)
{
    if (f->fclass == c) return;
    lru_unlink(ft, f);
    f->fclass = (uint8_t)c;
    lru_push_head(ft, f);
}

struct flow *flow_table_lookup(struct flow_table *ft, const struct flow_key *key)
{
    int found;
    uint32_t dist;
    uint32_t pos = flow_index_find(&ft->index, ft->slots, key, flow_key_hash(key), &found, &dist);
    return found ? &ft->slots[flow_index_slot(&ft->index, pos)] : NULL;
}

static void release(struct flow_table *ft, struct flow *f)
{
    if (!ft->flushing) {
        int found;
        uint32_t dist;
        uint32_t pos =
            flow_index_find(&ft->index, ft->slots, &f->key, flow_key_hash(&f->key), &found, &dist);
        if (found) flow_index_remove(&ft->index, pos);
    }
    lru_unlink(ft, f);
    f->lru_next = ft->free_head;
    ft->free_head = slot_of(ft, f);
    ft->st.active--;
    ft->st.ended++;
}

void flow_table_end(struct flow_table *ft, struct flow *f, enum flow_end_reason reason)
{
    if (ft->cfg.on_end) ft->cfg.on_end(f, reason, ft->cfg.ud);
    release(ft, f);
}

/* Slots, index and the memory of the flows' other state (nDPI, dissectors),
 * which their owners keep current, also while flows end. */
static uint64_t mem_in_use(const struct flow_table *ft)
{
    uint64_t m = (uint64_t)ft->st.active * sizeof(struct flow) + ft->index.bytes;
    if (ft->cfg.dpi_mem) m += *ft->cfg.dpi_mem;
    if (ft->cfg.dissector_mem) m += *ft->cfg.dissector_mem;
    return m;
}

/* Emergency mode starts near the memcap and ends once memory is back under
 * the low mark, so it does not flap. A full table (flows.max) is no
 * emergency: its oldest flow makes room, as always. */
static void emergency_update(struct flow_table *ft)
{
    uint64_t m = mem_in_use(ft);
    if (!ft->st.emergency) {
        if (m < ft->high_bytes) return;
        ft->st.emergency = 1;
        ft->st.emergencies++;
        ft->timeout_us = ft->emergency_us;
    } else if (m < ft->low_bytes) {
        ft->st.emergency = 0;
        ft->timeout_us = ft->normal_us;
    }
}

/* What losing a flow's state costs least: nDPI has decided and no
 * dissector follows it, or it never carried payload (a probe, a refused
 * connection). Its record is written either way. */
static int least_needed(const struct flow *f)
{
    int no_dissector = !f->dissect.state || dissect_slot_done(&f->dissect);
    return (f->cls.done && no_dissector) || !f->payload;
}

static struct flow *tail_of(struct flow_table *ft, int c)
{
    return ft->lru[c].tail == NONE ? NULL : &ft->slots[ft->lru[c].tail];
}

static struct flow *prev_of(struct flow_table *ft, const struct flow *f)
{
    return f->lru_prev == NONE ? NULL : &ft->slots[f->lru_prev];
}

/* The flow to evict from class c: its oldest but keep, or in emergency
 * the oldest least needed among its EMERGENCY_SCAN oldest (NULL if none). */
static struct flow *candidate(struct flow_table *ft, int c, const struct flow *keep, int emergency)
{
    struct flow *f = tail_of(ft, c);
    for (int n = 0; f; f = prev_of(ft, f)) {
        if (f == keep) continue;
        if (!emergency || least_needed(f)) return f;
        if (++n == EMERGENCY_SCAN) break;
    }
    return NULL;
}

/* Evicts the flow nearest to its timeout among the candidates of each
 * class, but keep (the flow of the packet at hand, or NULL). In emergency,
 * the least needed go first; when none is near the old ends, any. */
static int evict_one(struct flow_table *ft, const struct flow *keep)
{
    struct flow *victim = NULL;
    int emergency = ft->st.emergency;
    for (int pass = emergency ? 0 : 1; pass < 2 && !victim; pass++) {
        uint64_t best = UINT64_MAX;
        for (int c = 0; c < FLOW_CLASS_MAX; c++) {
            struct flow *f = candidate(ft, c, keep, pass == 0);
            if (!f) continue;
            uint64_t deadline = f->last_us + ft->timeout_us[c];
            if (deadline < best) {
                best = deadline;
                victim = f;
            }
        }
    }
    if (!victim) return 0;
    ft->st.evicted++;
    if (emergency) ft->st.emergency_evicted++;
    flow_table_end(ft, victim, FLOW_END_FORCED);
    return 1;
}

/* What one more flow would cost: its slot, and the index doubling if it
 * would pass half full. */
static uint64_t cost_of_next(const struct flow_table *ft)
{
    int grows = 2 * (ft->st.active + 1) > ft->index.mask + 1;
    return sizeof(struct flow) + (grows ? ft->index.bytes : 0);
}

static struct flow *alloc_slot(struct flow_table *ft)
{
    emergency_update(ft);
    while (ft->st.active >= ft->capacity ||
           mem_in_use(ft) + cost_of_next(ft) > ft->cfg.memcap_bytes)
        if (!evict_one(ft, NULL)) return NULL;
    if (ft->free_head != NONE) {
        struct flow *f = &ft->slots[ft->free_head];
        ft->free_head = f->lru_next;
        return f;
    }
    return &ft->slots[ft->used_hw++];
}

static enum flow_class class_for(uint8_t proto)
{
    return proto == 6 ? FLOW_TCP : proto == 17 ? FLOW_UDP : FLOW_OTHER;
}

/* What the flow record says of the packets beyond counts: the TCP flags
 * each side sent, each side's first ICMP message, which sides sent payload.
 * Called before the caller counts the packet in pkts[]. */
static inline void note_packet(struct flow *f, const struct packet *pkt)
{
    f->tcp_flags[pkt->dir] |= pkt->tcp_flags;
    if (pkt->key.proto == 1 || pkt->key.proto == 58) {
        if (f->pkts[pkt->dir] == 0) {
            f->icmp_type[pkt->dir] = pkt->icmp_type;
            f->icmp_code[pkt->dir] = pkt->icmp_code;
        }
    } else if (pkt->payload_len) {
        /* An ICMP message's data is not a service's: a ping reaches none. */
        f->payload |= 1u << pkt->dir;
    }
}

void flow_table_prefetch_entry(const struct flow_table *ft, const struct flow_key *key)
{
    __builtin_prefetch(&ft->index.e[flow_key_hash(key) & ft->index.mask]);
}

void flow_table_prefetch_slot(const struct flow_table *ft, const struct flow_key *key)
{
    uint32_t s =
        flow_index_entry_slot(&ft->index, ft->index.e[flow_key_hash(key) & ft->index.mask]);
    if (s) __builtin_prefetch(&ft->slots[s - 1]);
}

struct flow *flow_table_get(struct flow_table *ft, const struct packet *pkt, int *created)
{
    int found;
    uint32_t dist;
    uint32_t h = flow_key_hash(&pkt->key);
    uint32_t pos = flow_index_find(&ft->index, ft->slots, &pkt->key, h, &found, &dist);
    *created = 0;
    if (found) {
        struct flow *f = &ft->slots[flow_index_slot(&ft->index, pos)];
        f->last_us = pkt->ts_us;
        if ((uint32_t)(pkt->ts_us / 1000000u) != f->lru_s) {
            lru_unlink(ft, f);
            lru_push_head(ft, f);
        }
        note_packet(f, pkt);
        /* Live flows grow too (their dissector state): over the memcap,
         * the least recently used others go. */
        if (mem_in_use(ft) > ft->high_bytes) {
            emergency_update(ft);
            while (mem_in_use(ft) > ft->cfg.memcap_bytes && evict_one(ft, f))
                ;
        }
        return f;
    }

    uint32_t before = ft->st.active;
    struct flow *f = alloc_slot(ft);
    if (!f) {
        ft->st.dropped++;
        return NULL;
    }
    /* Eviction or growth moved entries: find the insertion point again. */
    if (2 * (ft->st.active + 1) > ft->index.mask + 1 && flow_index_grow(&ft->index, ft->slots) == 0)
        before = UINT32_MAX;
    if (ft->st.active != before)
        pos = flow_index_find(&ft->index, ft->slots, &pkt->key, h, &found, &dist);
    while (dist > ft->index.dist_max) {
        /* A probe chain too long for an entry's distance bits (a table
         * of 2^27 slots has 5): spread the entries over a larger index. */
        if (flow_index_grow(&ft->index, ft->slots) != 0) {
            f->lru_next = ft->free_head; /* the slot, unused, back */
            ft->free_head = slot_of(ft, f);
            ft->st.dropped++;
            return NULL;
        }
        pos = flow_index_find(&ft->index, ft->slots, &pkt->key, h, &found, &dist);
    }

    memset(f, 0, sizeof(*f));
    f->key = pkt->key;
    f->first_us = f->last_us = pkt->ts_us;
    f->fclass = (uint8_t)class_for(pkt->key.proto);
    /* Flow ids: stable for a given flow and start time, below 2^51 so
     * JSON consumers that parse numbers as doubles keep them exact. */
    f->id = (((uint64_t)h << 20) ^ pkt->ts_us) & ((1ull << 51) - 1);
    flow_index_set(&ft->index, pos, slot_of(ft, f), dist);
    lru_push_head(ft, f);
    note_packet(f, pkt);
    ft->st.active++;
    ft->st.created++;
    *created = 1;
    return f;
}

void flow_table_expire(struct flow_table *ft, uint64_t now_us)
{
    emergency_update(ft); /* memory may have gone down since the last call */
    for (int c = 0; c < FLOW_CLASS_MAX; c++) {
        struct flow *f;
        while ((f = tail_of(ft, c)) && f->last_us + ft->timeout_us[c] <= now_us) {
            if (f->last_us + ft->normal_us[c] > now_us) ft->st.emergency_expired++;
            flow_table_end(ft, f, FLOW_END_TIMEOUT);
        }
    }
    emergency_update(ft);
}

/* The flows whose last packet is in the oldest second still live (each
 * LRU list is in that order from its tail, to the second), into *buf
 * (grown as needed); returns how many, or -1 when out of memory. */
static long oldest_second(struct flow_table *ft, uint32_t **buf, size_t *cap)
{
    uint32_t sec = UINT32_MAX;
    for (int c = 0; c < FLOW_CLASS_MAX; c++)
        if (ft->lru[c].tail != NONE && ft->slots[ft->lru[c].tail].lru_s < sec)
            sec = ft->slots[ft->lru[c].tail].lru_s;
    size_t n = 0;
    for (int c = 0; c < FLOW_CLASS_MAX; c++)
        for (uint32_t s = ft->lru[c].tail; s != NONE && ft->slots[s].lru_s == sec;
             s = ft->slots[s].lru_prev) {
            if (n == *cap) {
                uint32_t *b = realloc(*buf, 2 * *cap * sizeof(**buf));
                if (!b) return -1;
                *buf = b;
                *cap *= 2;
            }
            (*buf)[n++] = s;
        }
    return (long)n;
}

void flow_table_flush(struct flow_table *ft, enum flow_end_reason reason)
{
    /* Oldest first, exactly (packet time going back aside), so records
     * come out in a stable order: one second of last packets at a time,
     * sorted, so that the buffer holds a second's flows, not all of them
     * (8 MB and as much for the sort at a million flows). */
    size_t cap = 4096;
    uint32_t *buf = malloc(cap * sizeof(*buf));
    long n = 0;
    /* No lookup happens while flows end, so the index entries are not
     * removed one by one (a cache miss each) but cleared at once. */
    ft->flushing = 1;
    while (buf && ft->st.active && (n = oldest_second(ft, &buf, &cap)) > 0) {
        flow_sort_by_last_seen(ft->slots, buf, (size_t)n);
        for (long i = 0; i < n; i++)
            flow_table_end(ft, &ft->slots[buf[i]], reason);
    }
    /* Out of memory for the sort: tails, per class. */
    for (int c = 0; c < FLOW_CLASS_MAX; c++)
        while (ft->lru[c].tail != NONE)
            flow_table_end(ft, &ft->slots[ft->lru[c].tail], reason);
    ft->flushing = 0;
    flow_index_clear(&ft->index);
    free(buf);
}

long flow_table_oldest(struct flow_table *ft, uint32_t **buf, size_t *cap)
{
    if (!ft->st.active) return 0;
    long n = oldest_second(ft, buf, cap);
    if (n > 0) flow_sort_by_last_seen(ft->slots, *buf, (size_t)n);
    return n;
}

struct flow *flow_table_slot(struct flow_table *ft, uint32_t i)
{
    return &ft->slots[i];
}

void flow_table_closing(struct flow_table *ft)
{
    ft->flushing = 1;
}

void flow_table_closed(struct flow_table *ft)
{
    ft->flushing = 0;
    flow_index_clear(&ft->index);
}

void flow_table_foreach(struct flow_table *ft, void (*fn)(struct flow *f, void *ud), void *ud)
{
    for (int c = 0; c < FLOW_CLASS_MAX; c++)
        for (uint32_t s = ft->lru[c].head; s != NONE; s = ft->slots[s].lru_next)
            fn(&ft->slots[s], ud);
}

void flow_table_get_stats(const struct flow_table *ft, struct flow_table_stats *st)
{
    *st = ft->st;
    st->mem_bytes = mem_in_use(ft);
    st->dpi_bytes = ft->cfg.dpi_mem ? *ft->cfg.dpi_mem : 0;
    st->dissector_bytes = ft->cfg.dissector_mem ? *ft->cfg.dissector_mem : 0;
}

_Static_assert(offsetof(struct flow, bytes) == 64, "per-packet fields fill the first cache line");
_Static_assert(offsetof(struct flow, id) == 128, "the dissector slot keeps ids on the cold line");
_Static_assert(sizeof(struct flow) == 160, "a flow slot stays 160 bytes");

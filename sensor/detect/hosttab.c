#include <stdlib.h>
#include <string.h>

#include "hosttab.h"

/* An entry in memory: this header, the detector's data, then its values
 * (struct item and the detector's data per value), each part aligned. */
struct entry {
    uint8_t key[HOSTTAB_KEY_MAX];
    uint64_t last_us;
    uint32_t n; /* values held */
    uint8_t used;
};

struct item {
    uint64_t v, seen;
};

struct hosttab {
    struct hosttab_config cfg;
    size_t value_off, items_off, item_stride, stride;
    uint8_t *mem;
};

#define ALIGN 16u

static size_t aligned(size_t n)
{
    return (n + ALIGN - 1) / ALIGN * ALIGN;
}

struct hosttab *hosttab_create(const struct hosttab_config *cfg)
{
    if (!cfg->slots || !cfg->probe || cfg->key_len > HOSTTAB_KEY_MAX) return NULL;
    struct hosttab *t = calloc(1, sizeof(*t));
    if (!t) return NULL;
    t->cfg = *cfg;
    if (t->cfg.probe > t->cfg.slots) t->cfg.probe = t->cfg.slots;
    t->value_off = aligned(sizeof(struct entry));
    t->items_off = t->value_off + aligned(cfg->value_size);
    t->item_stride = aligned(sizeof(struct item) + cfg->item_size);
    t->stride = t->items_off + (size_t)cfg->distinct * t->item_stride;
    if (!(t->mem = calloc(cfg->slots, t->stride))) {
        free(t);
        return NULL;
    }
    return t;
}

void hosttab_destroy(struct hosttab *t)
{
    if (!t) return;
    free(t->mem);
    free(t);
}

static struct entry *slot_at(const struct hosttab *t, uint64_t i)
{
    return (struct entry *)(t->mem + (size_t)(i % t->cfg.slots) * t->stride);
}

static void *data_of(const struct hosttab *t, struct entry *e)
{
    return (uint8_t *)e + t->value_off;
}

static struct entry *entry_of(const struct hosttab *t, const void *data)
{
    return (struct entry *)((uint8_t *)data - t->value_off);
}

static void touch(struct entry *e, uint64_t now_us)
{
    if (now_us > e->last_us) e->last_us = now_us;
}

/* The key's slot, or where it goes: the first free slot of its window,
 * else the window's least recently used (the first of equals, or the
 * last). A key is never past a free slot of its window, as entries are
 * never removed. */
static struct entry *probe(const struct hosttab *t, const void *key, uint64_t hash, int *hit)
{
    struct entry *victim = NULL;
    *hit = 0;
    for (uint32_t i = 0; i < t->cfg.probe; i++) {
        struct entry *e = slot_at(t, hash + i);
        if (!e->used) return e;
        if (memcmp(e->key, key, t->cfg.key_len) == 0) {
            *hit = 1;
            return e;
        }
        if (!victim || e->last_us < victim->last_us ||
            (t->cfg.ties_last && e->last_us == victim->last_us))
            victim = e;
    }
    return victim;
}

void *hosttab_find(struct hosttab *t, const void *key, uint64_t hash, uint64_t now_us)
{
    int hit;
    struct entry *e = probe(t, key, hash, &hit);
    if (!hit) return NULL;
    touch(e, now_us);
    return data_of(t, e);
}

void *hosttab_get(struct hosttab *t, const void *key, uint64_t hash, uint64_t now_us, int *created)
{
    int hit;
    struct entry *e = probe(t, key, hash, &hit);
    *created = !hit;
    if (hit) {
        touch(e, now_us);
    } else {
        memset(e, 0, t->stride);
        memcpy(e->key, key, t->cfg.key_len);
        e->used = 1;
        e->last_us = now_us;
    }
    return data_of(t, e);
}

/* --- distinct values ------------------------------------------------------ */

static struct item *item_at(const struct hosttab *t, const struct entry *e, uint32_t i)
{
    return (struct item *)((uint8_t *)e + t->items_off + (size_t)i * t->item_stride);
}

static void *item_data(struct item *it)
{
    return it + 1;
}

void *hosttab_value_find(struct hosttab *t, void *entry, uint64_t v, uint64_t now)
{
    struct entry *e = entry_of(t, entry);
    for (uint32_t i = 0; i < e->n; i++) {
        struct item *it = item_at(t, e, i);
        if (it->v != v) continue;
        it->seen = now;
        return item_data(it);
    }
    return NULL;
}

void *hosttab_value_add(struct hosttab *t, void *entry, uint64_t v, uint64_t now, int *created)
{
    struct entry *e = entry_of(t, entry);
    void *found = hosttab_value_find(t, entry, v, now);
    *created = !found;
    if (found || !t->cfg.distinct) return found;
    uint32_t slot = e->n;
    if (e->n < t->cfg.distinct) {
        e->n++;
    } else {
        slot = 0;
        for (uint32_t i = 1; i < e->n; i++)
            if (item_at(t, e, i)->seen < item_at(t, e, slot)->seen) slot = i;
    }
    struct item *it = item_at(t, e, slot);
    memset(it, 0, t->item_stride);
    it->v = v;
    it->seen = now;
    return item_data(it);
}

uint32_t hosttab_value_count(const struct hosttab *t, const void *entry, uint64_t now,
                             uint64_t window)
{
    const struct entry *e = entry_of(t, entry);
    uint32_t n = 0;
    for (uint32_t i = 0; i < e->n; i++)
        if (now - item_at(t, e, i)->seen < window) n++;
    return n;
}

void hosttab_value_clear(struct hosttab *t, void *entry)
{
    entry_of(t, entry)->n = 0;
}

uint32_t hosttab_values(const struct hosttab *t, const void *entry)
{
    return entry_of(t, entry)->n;
}

uint64_t hosttab_value_seen(const struct hosttab *t, const void *entry, uint32_t i)
{
    return item_at(t, entry_of(t, entry), i)->seen;
}

void *hosttab_value_data(struct hosttab *t, void *entry, uint32_t i)
{
    return item_data(item_at(t, entry_of(t, entry), i));
}

/* --- windowed counters ------------------------------------------------------ */

void hosttab_window_open(struct hosttab_window *w, uint64_t now_us)
{
    w->start_us = now_us;
}

int hosttab_window_roll(struct hosttab_window *w, uint64_t now_us, uint64_t window_us)
{
    if (now_us <= w->start_us + window_us) return 0;
    w->start_us = now_us;
    return 1;
}

void hosttab_rate_open(struct hosttab_rate *r, uint64_t now_us)
{
    r->bucket_us = now_us;
    r->cur = r->prev = 0;
}

uint32_t hosttab_rate_add(struct hosttab_rate *r, uint64_t now_us, uint64_t window_us, uint32_t add)
{
    if (!window_us) return r->cur += add;
    if (now_us < r->bucket_us) now_us = r->bucket_us;
    uint64_t el = now_us - r->bucket_us;
    if (el >= 2 * window_us) {
        r->prev = r->cur = 0;
        r->bucket_us = now_us;
        el = 0;
    } else if (el >= window_us) {
        r->prev = r->cur;
        r->cur = 0;
        r->bucket_us += window_us;
        el -= window_us;
    }
    r->cur += add;
    return r->cur + (uint32_t)((uint64_t)r->prev * (window_us - el) / window_us);
}

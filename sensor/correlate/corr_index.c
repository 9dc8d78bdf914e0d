/* The host index: address -> the incidents it has a role in, so finding an
 * alert's incident costs a hash lookup and a walk of a short chain (one
 * member per incident the host is in), whatever the number of incidents.
 * Open addressing, at most half full, backward-shift deletion (no
 * tombstones), as the flow table's index. Members come from a pool with a
 * free list; both grow by doubling, so the steady state allocates nothing. */
#include <stdlib.h>
#include <string.h>

#include "correlate_internal.h"

#define INDEX_MIN 256

static uint64_t fnv(const uint8_t *p, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static size_t slot_of(const struct corr_index *ix, uint8_t family, const uint8_t addr[16])
{
    return (size_t)fnv(addr, 16, fnv(&family, 1, 0xcbf29ce484222325ull)) & (ix->cap - 1);
}

int corr_index_init(struct corr_index *ix)
{
    memset(ix, 0, sizeof(*ix));
    ix->slots = calloc(INDEX_MIN, sizeof(*ix->slots));
    if (!ix->slots) return -1;
    ix->cap = INDEX_MIN;
    ix->free_member = CORR_NONE;
    return 0;
}

void corr_index_free(struct corr_index *ix)
{
    free(ix->slots);
    free(ix->members);
    memset(ix, 0, sizeof(*ix));
}

static int same(const struct corr_addr *s, uint8_t family, const uint8_t addr[16])
{
    return s->used && s->family == family && memcmp(s->addr, addr, 16) == 0;
}

static struct corr_addr *lookup(const struct corr_index *ix, uint8_t family, const uint8_t addr[16])
{
    for (size_t i = slot_of(ix, family, addr);; i = (i + 1) & (ix->cap - 1)) {
        struct corr_addr *s = &ix->slots[i];
        if (!s->used) return NULL;
        if (same(s, family, addr)) return s;
    }
}

static int grow_slots(struct corr_index *ix)
{
    struct corr_index n = *ix;
    n.cap = ix->cap * 2;
    n.slots = calloc(n.cap, sizeof(*n.slots));
    if (!n.slots) return -1;
    for (size_t i = 0; i < ix->cap; i++) {
        if (!ix->slots[i].used) continue;
        size_t j = slot_of(&n, ix->slots[i].family, ix->slots[i].addr);
        while (n.slots[j].used)
            j = (j + 1) & (n.cap - 1);
        n.slots[j] = ix->slots[i];
    }
    free(ix->slots);
    *ix = n;
    return 0;
}

static uint32_t new_member(struct corr_index *ix)
{
    if (ix->free_member != CORR_NONE) {
        uint32_t m = ix->free_member;
        ix->free_member = ix->members[m].next;
        return m;
    }
    if (ix->nmembers == ix->cap_members) {
        uint32_t cap = ix->cap_members ? ix->cap_members * 2 : 1024;
        struct corr_member *m = realloc(ix->members, cap * sizeof(*m));
        if (!m) return CORR_NONE;
        ix->members = m;
        ix->cap_members = cap;
    }
    return ix->nmembers++;
}

uint32_t corr_index_first(const struct corr_index *ix, uint8_t family, const uint8_t addr[16])
{
    const struct corr_addr *s = lookup(ix, family, addr);
    return s ? s->head : CORR_NONE;
}

uint32_t corr_index_find(const struct corr_index *ix, uint8_t family, const uint8_t addr[16],
                         uint32_t inc)
{
    for (uint32_t m = corr_index_first(ix, family, addr); m != CORR_NONE; m = ix->members[m].next)
        if (ix->members[m].inc == inc) return ix->members[m].host;
    return CORR_NONE;
}

int corr_index_add(struct corr_index *ix, uint8_t family, const uint8_t addr[16], uint32_t inc,
                   uint32_t host)
{
    if ((ix->used + 1) * 2 > ix->cap && grow_slots(ix) < 0) return -1;
    uint32_t m = new_member(ix);
    if (m == CORR_NONE) return -1;
    struct corr_addr *s = lookup(ix, family, addr);
    if (!s) {
        size_t i = slot_of(ix, family, addr);
        while (ix->slots[i].used)
            i = (i + 1) & (ix->cap - 1);
        s = &ix->slots[i];
        s->used = 1;
        s->family = family;
        memcpy(s->addr, addr, 16);
        s->head = CORR_NONE;
        ix->used++;
    }
    /* Appended, so a chain lists incidents in the order the host joined
     * them; callers still compare ages, this only keeps walks stable. */
    ix->members[m] = (struct corr_member){.next = CORR_NONE, .inc = inc, .host = host};
    uint32_t *p = &s->head;
    while (*p != CORR_NONE)
        p = &ix->members[*p].next;
    *p = m;
    return 0;
}

/* Empties slot i and shifts back the entries after it that probed past it. */
static void delete_slot(struct corr_index *ix, size_t i)
{
    size_t mask = ix->cap - 1;
    ix->slots[i].used = 0;
    for (size_t j = (i + 1) & mask; ix->slots[j].used; j = (j + 1) & mask) {
        size_t home = slot_of(ix, ix->slots[j].family, ix->slots[j].addr);
        /* j may move to i when its home is not in the cyclic range (i, j]. */
        if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
            ix->slots[i] = ix->slots[j];
            ix->slots[j].used = 0;
            i = j;
        }
    }
    ix->used--;
}

void corr_index_remove(struct corr_index *ix, uint8_t family, const uint8_t addr[16], uint32_t inc)
{
    struct corr_addr *s = lookup(ix, family, addr);
    if (!s) return;
    for (uint32_t *p = &s->head; *p != CORR_NONE; p = &ix->members[*p].next) {
        uint32_t m = *p;
        if (ix->members[m].inc != inc) continue;
        *p = ix->members[m].next;
        ix->members[m].next = ix->free_member;
        ix->free_member = m;
        break;
    }
    if (s->head == CORR_NONE) delete_slot(ix, (size_t)(s - ix->slots));
}

/* Interned ids: detectors and ATT&CK ids are static strings, but the same
 * id may come from two tables, so they are compared by content once and
 * then by number. */
int corr_name(struct correlator *c, const char *s)
{
    if (!s) s = "";
    size_t n = strlen(s), mask = 2 * CORR_MAX_NAMES - 1;
    for (size_t i = (size_t)fnv((const uint8_t *)s, n, 0xcbf29ce484222325ull) & mask;;
         i = (i + 1) & mask) {
        uint16_t v = c->name_slots[i];
        if (v == 0) {
            if (c->nnames == CORR_MAX_NAMES) {
                c->names_dropped++;
                return -1;
            }
            c->names[c->nnames] = s;
            c->name_slots[i] = (uint16_t)(++c->nnames);
            return (int)c->nnames - 1;
        }
        if (strcmp(c->names[v - 1], s) == 0) return v - 1;
    }
}

/* The host index, two tables. Memberships: (address, incident) -> the
 * host's place in that incident, one hash lookup whatever the number of
 * incidents a host is in (a domain controller may be a target in all of
 * them). Actors: address -> a chain of the incidents where the host may
 * move an alert into (origin, pivot, or destination of lateral movement),
 * which rule 1 walks; targets that are only targets are not on it, so a
 * server scanned by every attacker costs nothing there.
 * Both are open addressing, at most half full, backward-shift deletion (no
 * tombstones), as the flow table's index; chain links come from a pool
 * with a free list. Everything grows by doubling, so the steady state
 * allocates nothing. */
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

static uint64_t hash_addr(uint8_t family, const uint8_t addr[16])
{
    return fnv(addr, 16, fnv(&family, 1, 0xcbf29ce484222325ull));
}

static size_t home_addr(const struct corr_index *ix, uint8_t family, const uint8_t addr[16])
{
    return (size_t)hash_addr(family, addr) & (ix->cap - 1);
}

static size_t home_mem(const struct corr_index *ix, uint8_t family, const uint8_t addr[16],
                       uint32_t inc)
{
    uint64_t h = hash_addr(family, addr) ^ inc;
    h *= 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 20) & (ix->cap_mem - 1);
}

int corr_index_init(struct corr_index *ix)
{
    memset(ix, 0, sizeof(*ix));
    ix->slots = calloc(INDEX_MIN, sizeof(*ix->slots));
    ix->mem = calloc(INDEX_MIN, sizeof(*ix->mem));
    ix->cap = ix->cap_mem = INDEX_MIN;
    ix->free_member = CORR_NONE;
    return ix->slots && ix->mem ? 0 : -1;
}

void corr_index_free(struct corr_index *ix)
{
    free(ix->slots);
    free(ix->mem);
    free(ix->members);
    memset(ix, 0, sizeof(*ix));
}

/* ---- memberships ---- */

static int same_mem(const struct corr_mslot *s, uint8_t family, const uint8_t addr[16],
                    uint32_t inc)
{
    return s->used && s->inc == inc && s->family == family && memcmp(s->addr, addr, 16) == 0;
}

static int grow_mem(struct corr_index *ix)
{
    struct corr_index n = *ix;
    n.cap_mem = ix->cap_mem * 2;
    n.mem = calloc(n.cap_mem, sizeof(*n.mem));
    if (!n.mem) return -1;
    for (size_t i = 0; i < ix->cap_mem; i++) {
        const struct corr_mslot *s = &ix->mem[i];
        if (!s->used) continue;
        size_t j = home_mem(&n, s->family, s->addr, s->inc);
        while (n.mem[j].used)
            j = (j + 1) & (n.cap_mem - 1);
        n.mem[j] = *s;
    }
    free(ix->mem);
    *ix = n;
    return 0;
}

uint32_t corr_index_find(const struct corr_index *ix, uint8_t family, const uint8_t addr[16],
                         uint32_t inc)
{
    for (size_t i = home_mem(ix, family, addr, inc);; i = (i + 1) & (ix->cap_mem - 1)) {
        const struct corr_mslot *s = &ix->mem[i];
        if (!s->used) return CORR_NONE;
        if (same_mem(s, family, addr, inc)) return s->host;
    }
}

int corr_index_add(struct corr_index *ix, uint8_t family, const uint8_t addr[16], uint32_t inc,
                   uint32_t host)
{
    if ((ix->used_mem + 1) * 2 > ix->cap_mem && grow_mem(ix) < 0) return -1;
    size_t i = home_mem(ix, family, addr, inc);
    while (ix->mem[i].used)
        i = (i + 1) & (ix->cap_mem - 1);
    struct corr_mslot *s = &ix->mem[i];
    s->used = 1;
    s->family = family;
    memcpy(s->addr, addr, 16);
    s->inc = inc;
    s->host = host;
    ix->used_mem++;
    return 0;
}

/* j may move back to the hole at i when its home is not in the cyclic
 * range (i, j]. */
static int may_shift(size_t i, size_t j, size_t home)
{
    return i <= j ? (home <= i || home > j) : (home <= i && home > j);
}

static void remove_mem(struct corr_index *ix, uint8_t family, const uint8_t addr[16], uint32_t inc)
{
    size_t mask = ix->cap_mem - 1, i = home_mem(ix, family, addr, inc);
    while (ix->mem[i].used && !same_mem(&ix->mem[i], family, addr, inc))
        i = (i + 1) & mask;
    if (!ix->mem[i].used) return;
    ix->mem[i].used = 0;
    for (size_t j = (i + 1) & mask; ix->mem[j].used; j = (j + 1) & mask) {
        const struct corr_mslot *s = &ix->mem[j];
        if (may_shift(i, j, home_mem(ix, s->family, s->addr, s->inc))) {
            ix->mem[i] = *s;
            ix->mem[j].used = 0;
            i = j;
        }
    }
    ix->used_mem--;
}

/* ---- actors: address -> chain ---- */

static int same(const struct corr_addr *s, uint8_t family, const uint8_t addr[16])
{
    return s->used && s->family == family && memcmp(s->addr, addr, 16) == 0;
}

static struct corr_addr *lookup(const struct corr_index *ix, uint8_t family, const uint8_t addr[16])
{
    for (size_t i = home_addr(ix, family, addr);; i = (i + 1) & (ix->cap - 1)) {
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
        size_t j = home_addr(&n, ix->slots[i].family, ix->slots[i].addr);
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

/* Origins go at the front, so the late-report merge (rule 4), which looks
 * for the incidents a host is the origin of, stops at the first other
 * link; rule 1 compares the incidents' ages and needs no order. */
uint32_t corr_index_activate(struct corr_index *ix, uint8_t family, const uint8_t addr[16],
                             uint32_t inc, uint32_t host, int origin)
{
    if ((ix->used + 1) * 2 > ix->cap && grow_slots(ix) < 0) return CORR_NONE;
    uint32_t m = new_member(ix);
    if (m == CORR_NONE) return CORR_NONE;
    struct corr_addr *s = lookup(ix, family, addr);
    if (!s) {
        size_t i = home_addr(ix, family, addr);
        while (ix->slots[i].used)
            i = (i + 1) & (ix->cap - 1);
        s = &ix->slots[i];
        s->used = 1;
        s->family = family;
        memcpy(s->addr, addr, 16);
        s->head = s->tail = CORR_NONE;
        ix->used++;
    }
    struct corr_member *k = &ix->members[m];
    *k = (struct corr_member){.next = CORR_NONE, .prev = CORR_NONE, .inc = inc, .host = host};
    if (origin) {
        k->next = s->head;
        if (s->head != CORR_NONE) ix->members[s->head].prev = m;
        s->head = m;
        if (s->tail == CORR_NONE) s->tail = m;
    } else {
        k->prev = s->tail;
        if (s->tail != CORR_NONE) ix->members[s->tail].next = m;
        s->tail = m;
        if (s->head == CORR_NONE) s->head = m;
    }
    return m;
}

static void delete_slot(struct corr_index *ix, size_t i)
{
    size_t mask = ix->cap - 1;
    ix->slots[i].used = 0;
    for (size_t j = (i + 1) & mask; ix->slots[j].used; j = (j + 1) & mask) {
        if (may_shift(i, j, home_addr(ix, ix->slots[j].family, ix->slots[j].addr))) {
            ix->slots[i] = ix->slots[j];
            ix->slots[j].used = 0;
            i = j;
        }
    }
    ix->used--;
}

static void deactivate(struct corr_index *ix, uint8_t family, const uint8_t addr[16], uint32_t m)
{
    struct corr_addr *s = lookup(ix, family, addr);
    if (!s) return;
    struct corr_member *k = &ix->members[m];
    if (k->prev == CORR_NONE)
        s->head = k->next;
    else
        ix->members[k->prev].next = k->next;
    if (k->next == CORR_NONE)
        s->tail = k->prev;
    else
        ix->members[k->next].prev = k->prev;
    k->next = ix->free_member;
    ix->free_member = m;
    if (s->head == CORR_NONE) delete_slot(ix, (size_t)(s - ix->slots));
}

void corr_index_remove(struct corr_index *ix, uint8_t family, const uint8_t addr[16], uint32_t inc,
                       uint32_t link)
{
    remove_mem(ix, family, addr, inc);
    if (link != CORR_NONE) deactivate(ix, family, addr, link);
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

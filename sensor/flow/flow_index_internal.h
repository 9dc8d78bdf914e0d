/* The flow table's index (flow_index.c), private to sensor/flow/: an
 * open-addressing array of 32-bit entries, linear probing with
 * backward-shift deletion (no tombstones), kept at most half full by the
 * table: 4 bytes per entry, 8 to 16 per flow. An entry holds its slot (+1,
 * 0 is empty) in the low slot_bits and in the others its distance from
 * its home position: a probe compares keys only of entries with the same
 * home (rare at half full), and deletion moves entries without reading
 * their keys. */
#ifndef VIGIE_FLOW_INDEX_INTERNAL_H
#define VIGIE_FLOW_INDEX_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "flow_table.h"

/* The most slots an entry can name with room left for a distance of at
 * least 15. */
#define FLOW_INDEX_SLOTS_MAX ((1u << 28) - 2)

struct flow_index {
    uint32_t *e;
    size_t bytes;
    uint32_t mask;
    uint32_t slot_bits, slot_mask, dist_max;
};

/* An anonymous mapping of zeroed bytes (huge pages when large). */
void *flow_map_zeroed(size_t bytes);

/* size entries (a power of two) for slots 0 .. max_slots - 1. */
int flow_index_init(struct flow_index *ix, uint32_t size, uint32_t max_slots);
void flow_index_free(struct flow_index *ix);
/* Empties the entry at pos. */
void flow_index_remove(struct flow_index *ix, uint32_t pos);
/* Doubles the index (more while a probe chain would pass dist_max),
 * reading each live flow's key in slots for its hash. */
int flow_index_grow(struct flow_index *ix, const struct flow *slots);
/* Empties every entry at once. */
void flow_index_clear(struct flow_index *ix);

/* Key is 40 bytes = 5 words; a multiply-xorshift mix per word is enough to
 * spread addresses and ports and costs a handful of cycles. */
static inline uint32_t flow_key_hash(const struct flow_key *k)
{
    uint64_t w[5];
    memcpy(w, k, sizeof(w));
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 5; i++) {
        h ^= w[i];
        h *= 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
    }
    h *= 0x94D049BB133111EBull;
    h ^= h >> 29;
    return (uint32_t)h;
}

_Static_assert(sizeof(struct flow_key) == 40, "flow_key must stay 40 bytes, no padding");

/* Five word compares, inlined: memcmp is a library call per probe. */
static inline int flow_key_eq(const struct flow_key *a, const struct flow_key *b)
{
    uint64_t x[5], y[5], d = 0;
    memcpy(x, a, sizeof(x));
    memcpy(y, b, sizeof(y));
    for (int i = 0; i < 5; i++)
        d |= x[i] ^ y[i];
    return d == 0;
}

static inline uint32_t flow_index_entry_slot(const struct flow_index *ix, uint32_t e)
{
    return e & ix->slot_mask; /* slot + 1; 0: empty */
}

/* The slot of the entry at pos (which is not empty). */
static inline uint32_t flow_index_slot(const struct flow_index *ix, uint32_t pos)
{
    return flow_index_entry_slot(ix, ix->e[pos]) - 1;
}

static inline void flow_index_set(struct flow_index *ix, uint32_t pos, uint32_t slot, uint32_t dist)
{
    ix->e[pos] = (slot + 1) | dist << ix->slot_bits;
}

/* The entry of key (hash h) among slots, or where it would go (*dist from
 * its home; beyond dist_max, the index must grow first). */
static inline uint32_t flow_index_find(const struct flow_index *ix, const struct flow *slots,
                                       const struct flow_key *key, uint32_t h, int *found,
                                       uint32_t *dist)
{
    uint32_t d = 0;
    for (uint32_t i = h & ix->mask;; i = (i + 1) & ix->mask, d++) {
        uint32_t e = ix->e[i];
        if (!e || d > ix->dist_max) {
            *found = 0;
            *dist = d;
            return i;
        }
        if (e >> ix->slot_bits == d &&
            flow_key_eq(&slots[flow_index_entry_slot(ix, e) - 1].key, key)) {
            *found = 1;
            return i;
        }
    }
}

#endif

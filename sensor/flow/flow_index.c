/* The flow table's index: see flow_index_internal.h. */
#include <sys/mman.h>

#include "flow_index_internal.h"

void *flow_map_zeroed(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED) return NULL;
    /* Flow lookups are random accesses over the whole table: huge pages
     * spare a TLB miss per packet once it holds millions of flows. */
    if (bytes >= (8u << 20)) madvise(p, bytes, MADV_HUGEPAGE);
    return p;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

/* The index's pages, made writable at once: every page of an index is
 * soon written, and one first read (a probe) would map the shared zero
 * page, whose replacement at the first write flushes the TLB of every
 * other CPU running one of the process's threads (an IPI each: 10 ms of
 * two workers on the short-flow mix). Without the call (before Linux
 * 5.14), pages are made as they are touched. */
static void index_populate(uint32_t *e, size_t bytes)
{
    (void)madvise(e, bytes, MADV_POPULATE_WRITE);
}

int flow_index_init(struct flow_index *ix, uint32_t size, uint32_t max_slots)
{
    memset(ix, 0, sizeof(*ix));
    while (ix->slot_bits < 32 && (1ull << ix->slot_bits) <= max_slots)
        ix->slot_bits++;
    ix->slot_mask = (uint32_t)((1ull << ix->slot_bits) - 1);
    ix->dist_max = (uint32_t)(UINT32_MAX >> ix->slot_bits);
    ix->bytes = (size_t)size * sizeof(uint32_t);
    ix->mask = size - 1;
    ix->e = flow_map_zeroed(ix->bytes);
    if (!ix->e) return -1;
    index_populate(ix->e, ix->bytes);
    return 0;
}

void flow_index_free(struct flow_index *ix)
{
    if (ix->e) munmap(ix->e, ix->bytes);
    ix->e = NULL;
}

void flow_index_remove(struct flow_index *ix, uint32_t pos)
{
    /* An entry moves back into the hole if its home is not in (hole, i]:
     * that is, if it is at least as far from home as from the hole. */
    uint32_t mask = ix->mask;
    uint32_t hole = pos;
    for (uint32_t i = (pos + 1) & mask;; i = (i + 1) & mask) {
        uint32_t e = ix->e[i];
        if (!e) break;
        uint32_t dist = e >> ix->slot_bits, back = (i - hole) & mask;
        if (dist >= back) {
            ix->e[hole] = flow_index_entry_slot(ix, e) | (dist - back) << ix->slot_bits;
            hole = i;
        }
    }
    ix->e[hole] = 0;
}

/* Rare (log2 of the peak flow count times per run) and O(live flows). */
int flow_index_grow(struct flow_index *ix, const struct flow *slots)
{
    for (size_t nsize = (size_t)(ix->mask + 1) * 2; nsize <= (1ull << 31); nsize *= 2) {
        size_t nbytes = nsize * sizeof(uint32_t);
        uint32_t *n = flow_map_zeroed(nbytes);
        if (!n) return -1;
        index_populate(n, nbytes);
        uint32_t mask = (uint32_t)nsize - 1;
        int ok = 1;
        for (uint32_t i = 0; i <= ix->mask && ok; i++) {
            uint32_t slot = flow_index_entry_slot(ix, ix->e[i]);
            if (!slot) continue;
            uint32_t j = flow_key_hash(&slots[slot - 1].key) & mask, d = 0;
            for (; n[j]; j = (j + 1) & mask)
                d++;
            ok = d <= ix->dist_max;
            n[j] = slot | d << ix->slot_bits;
        }
        if (!ok) {
            munmap(n, nbytes);
            continue;
        }
        munmap(ix->e, ix->bytes);
        ix->e = n;
        ix->bytes = nbytes;
        ix->mask = mask;
        return 0;
    }
    return -1;
}

void flow_index_clear(struct flow_index *ix)
{
    /* An anonymous mapping reads as zeros again after MADV_DONTNEED. */
    if (madvise(ix->e, ix->bytes, MADV_DONTNEED) != 0)
        memset(ix->e, 0, ix->bytes);
    else
        index_populate(ix->e, ix->bytes);
}

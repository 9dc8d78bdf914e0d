/* The dissectors' pool (dissect.h): size classes and free lists. Requests
 * are few and small (a table of a few entries, a reassembly buffer), so a
 * class is found by a short scan; larger requests go to libc as they are.
 *
 * Blocks come from glibc's malloc, whose chunk is the request plus an
 * 8-byte header, rounded up to 16: a class of 16k - 8 bytes wastes
 * nothing, one of 16k bytes wastes 16 per block. Most classes are
 * therefore 16k - 8 (a flow's state: 120 bytes for HTTP, 152 for SMB; a
 * million HTTP flows take 128 MB, not 144); the reassembly buffers, which
 * the engine sizes in powers of two and holds only while a record is
 * incomplete, have their own classes. The counters are in glibc's bytes,
 * chunk headers included: what the memcap sees is what the flows take. */
#include <stdlib.h>
#include <string.h>

#include "dissect.h"

static const uint32_t class_size[DISSECT_MEM_CLASSES] = {
    24, 40, 56, 88, 120, 152, 184, 248, 256, 376, 504, 512, 1016, 1024, 2040, 2048, 4096,
};

/* What a glibc chunk of n requested bytes takes (malloc/malloc.c:
 * request2size, 64 bits). */
static size_t chunk_bytes(size_t n)
{
    size_t c = (n + sizeof(size_t) + 15) & ~(size_t)15;
    return c < 32 ? 32 : c;
}

/* The smallest class that holds n bytes, or -1 beyond the largest. */
static int class_of(size_t n)
{
    for (int i = 0; i < DISSECT_MEM_CLASSES; i++)
        if (n <= class_size[i]) return i;
    return -1;
}

/* The block size a request of n bytes is given. */
static size_t taken(size_t n)
{
    int c = class_of(n);
    return c < 0 ? n : class_size[c];
}

void dissect_mem_init(struct dissect_mem *m, size_t cache_max)
{
    memset(m, 0, sizeof(*m));
    m->cache_max = cache_max;
}

void dissect_mem_drain(struct dissect_mem *m)
{
    for (int i = 0; i < DISSECT_MEM_CLASSES; i++) {
        void *p = m->free_list[i];
        while (p) {
            void *next;
            memcpy(&next, p, sizeof(next));
            free(p);
            p = next;
        }
        m->free_list[i] = NULL;
    }
    m->cached = 0;
}

void *dissect_alloc(struct dissect_mem *m, size_t n)
{
    if (n == 0) n = 1;
    if (!m) return calloc(1, n);
    m->allocs++;
    int c = class_of(n);
    size_t sz = c < 0 ? n : class_size[c];
    void *p = c < 0 ? NULL : m->free_list[c];
    if (p) {
        memcpy(&m->free_list[c], p, sizeof(void *));
        m->cached -= chunk_bytes(sz);
        m->reused++;
        memset(p, 0, sz);
    } else if (!(p = calloc(1, sz))) {
        m->failed++;
        return NULL;
    }
    m->in_use += chunk_bytes(sz);
    return p;
}

void dissect_free(struct dissect_mem *m, void *p, size_t n)
{
    if (!p) return;
    if (n == 0) n = 1;
    if (!m) {
        free(p);
        return;
    }
    int c = class_of(n);
    size_t sz = chunk_bytes(c < 0 ? n : class_size[c]);
    m->in_use -= sz;
    if (c < 0 || m->cached + sz > m->cache_max) {
        free(p);
        return;
    }
    memcpy(p, &m->free_list[c], sizeof(void *));
    m->free_list[c] = p;
    m->cached += sz;
}

void *dissect_realloc(struct dissect_mem *m, void *p, size_t old_n, size_t new_n)
{
    if (!p || old_n == 0) {
        dissect_free(m, p, old_n);
        return dissect_alloc(m, new_n);
    }
    if (!m) {
        uint8_t *q = realloc(p, new_n ? new_n : 1);
        if (q && new_n > old_n) memset(q + old_n, 0, new_n - old_n);
        return q;
    }
    /* Same class: the block already has the room (its tail is zero, as
     * every block is zeroed whole when handed out and shrinking zeroes). */
    if (taken(old_n) == taken(new_n) && class_of(new_n) >= 0) {
        if (new_n < old_n) memset((uint8_t *)p + new_n, 0, old_n - new_n);
        return p;
    }
    void *q = dissect_alloc(m, new_n);
    if (!q) return NULL;
    memcpy(q, p, old_n < new_n ? old_n : new_n);
    dissect_free(m, p, old_n);
    return q;
}

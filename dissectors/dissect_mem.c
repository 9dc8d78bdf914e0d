/* The dissectors' pool (dissect.h): size classes and free lists. Requests
 * are few and small (a table of a few entries, a reassembly buffer), so a
 * class is found by a short scan; larger requests go to libc as they are. */
#include <stdlib.h>
#include <string.h>

#include "dissect.h"

static const uint32_t class_size[DISSECT_MEM_CLASSES] = {
    16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096,
};

/* The smallest class that holds n bytes, or -1 beyond the largest. */
static int class_of(size_t n)
{
    for (int i = 0; i < DISSECT_MEM_CLASSES; i++)
        if (n <= class_size[i]) return i;
    return -1;
}

/* What a request of n bytes takes from the pool. */
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
        m->cached -= sz;
        m->reused++;
        memset(p, 0, sz);
    } else if (!(p = calloc(1, sz))) {
        m->failed++;
        return NULL;
    }
    m->in_use += sz;
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
    size_t sz = c < 0 ? n : class_size[c];
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

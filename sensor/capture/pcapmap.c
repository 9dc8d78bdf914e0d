#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pcapmap.h"

#define FILE_HEADER 24
#define RECORD_HEADER 16
#define MAGIC_US 0xA1B2C3D4u
#define MAGIC_NS 0xA1B23C4Du
/* libpcap's largest snapshot length for all but a few link types
 * (MAXIMUM_SNAPLEN); a longer record is left to libpcap to judge. */
#define MAX_CAPLEN 262144u
/* Pages behind the read position are dropped from the mapping every so
 * often, so a large file does not show as resident memory. */
#define RELEASE_EVERY (4u << 20)

struct pcapmap {
    const uint8_t *base;
    size_t size, pos, released;
    uint32_t snaplen;
    int swap, nsec;
};

static uint32_t swap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

static uint32_t get32(const struct pcapmap *m, const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return m->swap ? swap32(v) : v;
}

struct pcapmap *pcapmap_open(int fd, off_t size, uint32_t snaplen)
{
    if (size < FILE_HEADER) return NULL;
    struct pcapmap *m = calloc(1, sizeof(*m));
    if (!m) return NULL;
    void *base = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (base == MAP_FAILED) {
        free(m);
        return NULL;
    }
    m->base = base;
    m->size = (size_t)size;
    m->pos = FILE_HEADER;
    m->snaplen = snaplen < MAX_CAPLEN ? snaplen : MAX_CAPLEN;
    madvise(base, m->size, MADV_SEQUENTIAL);
    uint32_t magic;
    memcpy(&magic, m->base, 4);
    if (magic == MAGIC_US || magic == MAGIC_NS) {
        m->nsec = magic == MAGIC_NS;
    } else if (swap32(magic) == MAGIC_US || swap32(magic) == MAGIC_NS) {
        m->swap = 1;
        m->nsec = swap32(magic) == MAGIC_NS;
    } else { /* modified formats with longer record headers: libpcap's */
        pcapmap_close(m);
        return NULL;
    }
    return m;
}

void pcapmap_close(struct pcapmap *m)
{
    if (!m) return;
    munmap((void *)m->base, m->size);
    free(m);
}

/* Drops the mapped pages already read (they stay in the page cache). */
static void release_behind(struct pcapmap *m)
{
    size_t upto = m->pos & ~(size_t)(RELEASE_EVERY - 1);
    if (upto <= m->released) return;
    madvise((void *)(m->base + m->released), upto - m->released, MADV_DONTNEED);
    m->released = upto;
}

int pcapmap_next(struct pcapmap *m, struct pcapmap_packet *pk)
{
    size_t left = m->size - m->pos;
    if (left == 0) return 0;
    if (left < RECORD_HEADER) return -1;
    const uint8_t *h = m->base + m->pos;
    uint32_t caplen = get32(m, h + 8);
    if (caplen > m->snaplen || caplen > left - RECORD_HEADER) return -1;
    uint32_t sub = get32(m, h + 4);
    /* As libpcap opened for microseconds: nanoseconds are divided down. */
    pk->ts_us = (uint64_t)get32(m, h) * 1000000u + (m->nsec ? sub / 1000 : sub);
    pk->caplen = caplen;
    pk->wire_len = get32(m, h + 12);
    pk->data = h + RECORD_HEADER;
    m->pos += RECORD_HEADER + caplen;
    /* The next record is read after this packet is processed: its header
     * and first bytes, not in the cache after the page cache, arrive
     * meanwhile instead of stalling the next call. */
    __builtin_prefetch(m->base + m->pos);
    __builtin_prefetch(m->base + m->pos + 64);
    if (m->pos - m->released >= 2 * RELEASE_EVERY) release_behind(m);
    return 1;
}

uint64_t pcapmap_offset(const struct pcapmap *m)
{
    return m->pos;
}

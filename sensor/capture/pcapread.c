#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcapread.h"

#define FILE_HEADER 24
#define RECORD_HEADER 16
#define MAGIC_US 0xA1B2C3D4u
#define MAGIC_NS 0xA1B23C4Du
/* libpcap's largest snapshot length for all but a few link types
 * (MAXIMUM_SNAPLEN); a longer record is left to libpcap to judge. */
#define MAX_CAPLEN 262144u
#define BLOCK (1u << 20) /* bytes per read */

struct pcapread {
    int fd;
    uint8_t *buf;
    size_t cap, pos, end; /* buf[pos, end) read, not yet handed out */
    uint64_t buf_off;     /* file offset of buf[0] */
    int eof;
    uint32_t snaplen;
    int swap, nsec;
};

static uint32_t swap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

static uint32_t get32(const struct pcapread *r, const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return r->swap ? swap32(v) : v;
}

struct pcapread *pcapread_open(int fd, uint32_t snaplen)
{
    uint8_t head[4];
    if (pread(fd, head, 4, 0) != 4) return NULL;
    uint32_t magic;
    memcpy(&magic, head, 4);
    int swap = swap32(magic) == MAGIC_US || swap32(magic) == MAGIC_NS;
    if (swap) magic = swap32(magic);
    if (magic != MAGIC_US && magic != MAGIC_NS) return NULL; /* modified formats: libpcap's */
    struct pcapread *r = calloc(1, sizeof(*r));
    if (!r) return NULL;
    r->cap = BLOCK + RECORD_HEADER + MAX_CAPLEN; /* a block after the largest partial record */
    if (!(r->buf = malloc(r->cap))) {
        free(r);
        return NULL;
    }
    r->fd = fd;
    r->buf_off = FILE_HEADER;
    r->snaplen = snaplen < MAX_CAPLEN ? snaplen : MAX_CAPLEN;
    r->swap = swap;
    r->nsec = magic == MAGIC_NS;
    return r;
}

void pcapread_close(struct pcapread *r)
{
    if (!r) return;
    free(r->buf);
    free(r);
}

/* Makes n bytes available at buf[pos]; 0 at the end of the file (a read
 * error counts as one: libpcap, reading on from there, reports it). */
static int ensure(struct pcapread *r, size_t n)
{
    if (r->end - r->pos >= n) return 1;
    if (r->pos > 0) { /* the partial record moves to the front */
        memmove(r->buf, r->buf + r->pos, r->end - r->pos);
        r->buf_off += r->pos;
        r->end -= r->pos;
        r->pos = 0;
    }
    while (!r->eof && r->end < n) {
        ssize_t got = pread(r->fd, r->buf + r->end, r->cap - r->end, (off_t)(r->buf_off + r->end));
        if (got <= 0)
            r->eof = 1;
        else
            r->end += (size_t)got;
    }
    return r->end - r->pos >= n;
}

int pcapread_next(struct pcapread *r, struct pcapread_packet *pk)
{
    if (!ensure(r, RECORD_HEADER)) return r->end == r->pos ? 0 : -1;
    const uint8_t *h = r->buf + r->pos;
    uint32_t caplen = get32(r, h + 8);
    if (caplen > r->snaplen) return -1;
    if (!ensure(r, RECORD_HEADER + caplen)) return -1;
    h = r->buf + r->pos; /* ensure may have moved it */
    uint32_t sub = get32(r, h + 4);
    /* As libpcap opened for microseconds: nanoseconds are divided down. */
    pk->ts_us = (uint64_t)get32(r, h) * 1000000u + (r->nsec ? sub / 1000 : sub);
    pk->caplen = caplen;
    pk->wire_len = get32(r, h + 12);
    pk->data = h + RECORD_HEADER;
    r->pos += RECORD_HEADER + caplen;
    /* The next record is read after this packet is processed: its header
     * and first bytes arrive in the cache meanwhile instead of stalling
     * the next call. */
    __builtin_prefetch(r->buf + r->pos);
    __builtin_prefetch(r->buf + r->pos + 64);
    return 1;
}

uint64_t pcapread_offset(const struct pcapread *r)
{
    return r->buf_off + r->pos;
}

#include <pthread.h>
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
#define BLOCK (4u << 20) /* bytes per read */
/* Room before a block for the partial record the previous one ended with. */
#define HEAD (RECORD_HEADER + MAX_CAPLEN)

/* Two blocks: the reading thread fills one while the records of the other
 * are handed out, so the copy out of the page cache (a third of the time
 * on long flows of full-size packets) overlaps the packets' processing. */
struct block {
    uint8_t *mem; /* HEAD + BLOCK bytes; the block is read at mem + HEAD */
    size_t len;   /* bytes read */
    int last;     /* the file ends in it (or a read failed) */
    int full;     /* read, not yet released by the consumer */
};

struct pcapread {
    int fd;
    uint32_t snaplen;
    int swap, nsec;
    struct block b[2];
    int cur;       /* the block handed out, -1 before the first */
    int done;      /* the block handed out was the last */
    uint8_t *data; /* b[cur].mem: records at [pos, end) not handed out */
    size_t pos, end;
    uint64_t base; /* file offset of data + HEAD */
    uint64_t next; /* file offset the reader reads next */
    int fill;      /* the block it fills next */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    int threaded, stop;
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

/* Reads the next block of the file into b (its owner: the reading thread,
 * or the consumer when there is none). A read error ends the file there:
 * libpcap, reading on from the last record, reports it. */
static void read_block(struct pcapread *r, struct block *b, uint64_t off)
{
    b->len = 0;
    b->last = 0;
    while (b->len < BLOCK) {
        ssize_t got = pread(r->fd, b->mem + HEAD + b->len, BLOCK - b->len, (off_t)(off + b->len));
        if (got <= 0) {
            b->last = 1;
            break;
        }
        b->len += (size_t)got;
    }
}

static void *reader_main(void *arg)
{
    struct pcapread *r = arg;
    pthread_mutex_lock(&r->lock);
    for (;;) {
        struct block *b = &r->b[r->fill];
        while (b->full && !r->stop)
            pthread_cond_wait(&r->cond, &r->lock);
        if (r->stop) break;
        uint64_t off = r->next;
        pthread_mutex_unlock(&r->lock);
        read_block(r, b, off);
        pthread_mutex_lock(&r->lock);
        r->next += b->len;
        b->full = 1;
        r->fill ^= 1;
        pthread_cond_broadcast(&r->cond);
        if (b->last) break;
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
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
    for (int i = 0; i < 2; i++)
        if (!(r->b[i].mem = malloc(HEAD + BLOCK))) {
            free(r->b[0].mem);
            free(r);
            return NULL;
        }
    r->fd = fd;
    r->snaplen = snaplen < MAX_CAPLEN ? snaplen : MAX_CAPLEN;
    r->swap = swap;
    r->nsec = magic == MAGIC_NS;
    r->cur = -1;
    r->base = r->next = FILE_HEADER;
    r->pos = r->end = HEAD;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, NULL);
    /* Without a thread the consumer reads each block when it needs it. */
    r->threaded = pthread_create(&r->thread, NULL, reader_main, r) == 0;
    return r;
}

void pcapread_close(struct pcapread *r)
{
    if (!r) return;
    if (r->threaded) {
        pthread_mutex_lock(&r->lock);
        r->stop = 1;
        pthread_cond_broadcast(&r->cond);
        pthread_mutex_unlock(&r->lock);
        pthread_join(r->thread, NULL);
    }
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->cond);
    free(r->b[0].mem);
    free(r->b[1].mem);
    free(r);
}

/* The next block, once read; the one handed out goes back to the reader. */
static struct block *take_next(struct pcapread *r)
{
    int i = r->cur < 0 ? 0 : r->cur ^ 1;
    struct block *b = &r->b[i];
    if (!r->threaded) {
        read_block(r, b, r->next);
        r->next += b->len;
        return b;
    }
    pthread_mutex_lock(&r->lock);
    while (!b->full)
        pthread_cond_wait(&r->cond, &r->lock);
    pthread_mutex_unlock(&r->lock);
    return b;
}

static void release(struct pcapread *r, int i)
{
    if (!r->threaded) return;
    pthread_mutex_lock(&r->lock);
    r->b[i].full = 0;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

/* Makes n bytes (n <= HEAD) available at data + pos; 0 at the end of the
 * file. The partial record left moves in front of the next block. */
static int ensure(struct pcapread *r, size_t n)
{
    while (r->end - r->pos < n) {
        if (r->done) return 0;
        struct block *b = take_next(r);
        size_t left = r->end - r->pos;
        uint8_t *to = b->mem + HEAD - left;
        if (left) memcpy(to, r->data + r->pos, left);
        if (r->cur >= 0) {
            r->base += r->end - HEAD;
            release(r, r->cur);
        }
        r->cur = (int)(b - r->b);
        r->data = b->mem;
        r->pos = HEAD - left;
        r->end = HEAD + b->len;
        r->done = b->last;
    }
    return 1;
}

int pcapread_next(struct pcapread *r, struct pcapread_packet *pk)
{
    if (!ensure(r, RECORD_HEADER)) return r->end == r->pos ? 0 : -1;
    const uint8_t *h = r->data + r->pos;
    uint32_t caplen = get32(r, h + 8);
    if (caplen > r->snaplen) return -1;
    if (!ensure(r, RECORD_HEADER + caplen)) return -1;
    h = r->data + r->pos; /* ensure may have moved it */
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
    __builtin_prefetch(r->data + r->pos);
    __builtin_prefetch(r->data + r->pos + 64);
    return 1;
}

uint64_t pcapread_offset(const struct pcapread *r)
{
    return r->base + r->pos - HEAD;
}

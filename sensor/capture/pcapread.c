#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcapread.h"

#define FILE_HEADER 24
#define RECORD_HEADER 16
#define MAGIC_US 0xA1B2C3D4u
#define MAGIC_NS 0xA1B23C4Du
/* libpcap's largest snapshot length for all but a few link types
 * (MAXIMUM_SNAPLEN); a longer record is left to libpcap to judge. */
#define MAX_CAPLEN 262144u
#define BLOCK ((uint64_t)4 << 20) /* file bytes between two windows' starts */
/* A window maps this much past its block: a record that starts in the
 * block ends inside its window, so none is ever copied. */
#define TAIL (RECORD_HEADER + MAX_CAPLEN)
#define AHEAD 4096 /* 8192 measured 2% slower on long flows */

/* The file is mapped, not read: a read copied every byte out of the page
 * cache (70% of the time on long flows of full-size packets, `perf`), a
 * mapping hands the page cache's own pages out. Window k maps the file
 * from k * BLOCK, BLOCK + TAIL bytes long (less at the end of the file).
 * The records that start in its first BLOCK bytes are handed out from it.
 * A thread maps the next window with MAP_POPULATE while the records of the
 * current one are processed, so reading from disk and building the page
 * tables overlap the packets' processing; it unmaps the windows handed
 * out, so the mapped bytes (in the RSS) stay at two windows. */
struct window {
    const uint8_t *mem; /* NULL: the mapping failed; libpcap reads on */
    size_t len;         /* bytes mapped */
    uint64_t off;       /* file offset of mem */
    int last;           /* the file ends in it */
    int full;           /* mapped, not yet released by the consumer */
};

struct pcapread {
    int fd;
    uint32_t snaplen;
    int swap, nsec;
    uint64_t size; /* file size at open: a file that grows is libpcap's after */
    struct window w[2];
    int cur;             /* the window handed out, -1 before the first */
    const uint8_t *data; /* w[cur].mem */
    uint64_t woff, wend; /* file offsets of data and of its end */
    uint64_t own_end;    /* records from here on are the next window's */
    uint64_t pos;        /* file offset of the next record */
    uint64_t pf;         /* file offset up to which lines are prefetched */
    uint64_t next;       /* file offset of the window mapped next */
    int fill;            /* the window mapped next */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    int threaded, stop;
    volatile sig_atomic_t vanished; /* the file shrank under a window */
};

/* A file truncated while mapped (by another process) makes its vanished
 * pages fault with SIGBUS. The handler maps zeros over the window the
 * address is in and marks the reader: it hands out no further record,
 * and libpcap, reading on from there, ends at the file's new end. A fault
 * elsewhere goes to the handler set before (or the default action). */
#define READERS 8
static _Atomic(struct pcapread *) readers[READERS];
static struct sigaction old_bus;

static void on_bus(int sig, siginfo_t *si, void *uc)
{
    const uint8_t *a = si->si_addr;
    for (int i = 0; i < READERS; i++) {
        struct pcapread *r = atomic_load(&readers[i]);
        for (int k = 0; r && k < 2; k++) {
            const uint8_t *m = r->w[k].mem;
            if (m && a >= m && a < m + r->w[k].len &&
                mmap((void *)m, r->w[k].len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
                     0) != MAP_FAILED) {
                r->vanished = 1;
                return;
            }
        }
    }
    if (old_bus.sa_flags & SA_SIGINFO) {
        old_bus.sa_sigaction(sig, si, uc);
        return;
    }
    if (old_bus.sa_handler != SIG_DFL && old_bus.sa_handler != SIG_IGN) {
        old_bus.sa_handler(sig);
        return;
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

/* At each open: a handler set since (a test framework's) is chained to. */
static void install_bus(void)
{
    struct sigaction cur, sa = {.sa_sigaction = on_bus, .sa_flags = SA_SIGINFO};
    if (sigaction(SIGBUS, NULL, &cur) != 0 || cur.sa_sigaction == on_bus) return;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, &old_bus);
}

/* Puts now in the slot that holds was (NULL: a free one). More readers
 * open at once than slots: the others go unwatched. */
static void watch(struct pcapread *was, struct pcapread *now)
{
    for (int i = 0; i < READERS; i++) {
        struct pcapread *expect = was;
        if (atomic_compare_exchange_strong(&readers[i], &expect, now)) return;
    }
}

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

static void unmap(struct window *w)
{
    if (w->mem) munmap((void *)w->mem, w->len);
    w->mem = NULL;
}

/* Maps the window at file offset off into w (its owner: the mapping thread,
 * or the consumer when there is none), unmapping what w held. */
static void map_window(struct pcapread *r, struct window *w, uint64_t off)
{
    unmap(w);
    w->off = off;
    w->len = (size_t)(r->size - off < BLOCK + TAIL ? r->size - off : BLOCK + TAIL);
    w->last = off + BLOCK >= r->size;
    void *m = mmap(NULL, w->len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, r->fd, (off_t)off);
    if (m == MAP_FAILED) {
        w->last = 1;
        return;
    }
    w->mem = m;
}

static void *mapper_main(void *arg)
{
    struct pcapread *r = arg;
    pthread_mutex_lock(&r->lock);
    for (;;) {
        struct window *w = &r->w[r->fill];
        while (w->full && !r->stop)
            pthread_cond_wait(&r->cond, &r->lock);
        if (r->stop) break;
        uint64_t off = r->next;
        pthread_mutex_unlock(&r->lock);
        map_window(r, w, off);
        pthread_mutex_lock(&r->lock);
        r->next += BLOCK;
        w->full = 1;
        r->fill ^= 1;
        pthread_cond_broadcast(&r->cond);
        if (w->last) break;
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

struct pcapread *pcapread_open(int fd, uint32_t snaplen)
{
    uint8_t head[4];
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= FILE_HEADER) return NULL;
    if (pread(fd, head, 4, 0) != 4) return NULL;
    uint32_t magic;
    memcpy(&magic, head, 4);
    int swap = swap32(magic) == MAGIC_US || swap32(magic) == MAGIC_NS;
    if (swap) magic = swap32(magic);
    if (magic != MAGIC_US && magic != MAGIC_NS) return NULL; /* modified formats: libpcap's */
    struct pcapread *r = calloc(1, sizeof(*r));
    if (!r) return NULL;
    r->fd = fd;
    r->size = (uint64_t)st.st_size;
    r->snaplen = snaplen < MAX_CAPLEN ? snaplen : MAX_CAPLEN;
    r->swap = swap;
    r->nsec = magic == MAGIC_NS;
    r->cur = -1;
    r->pos = FILE_HEADER;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, NULL);
    install_bus();
    watch(NULL, r);
    /* Without a thread the consumer maps each window when it needs it. */
    r->threaded = pthread_create(&r->thread, NULL, mapper_main, r) == 0;
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
    watch(r, NULL);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->cond);
    unmap(&r->w[0]);
    unmap(&r->w[1]);
    free(r);
}

/* Moves to the next window, once mapped; the one handed out goes back to
 * the mapping thread. 0 when there is none to move to. */
static int advance(struct pcapread *r)
{
    if (r->cur >= 0 && r->w[r->cur].last) return 0;
    int i = r->cur < 0 ? 0 : r->cur ^ 1;
    struct window *w = &r->w[i];
    if (!r->threaded) {
        map_window(r, w, r->next);
        r->next += BLOCK;
    } else {
        pthread_mutex_lock(&r->lock);
        while (!w->full)
            pthread_cond_wait(&r->cond, &r->lock);
        if (r->cur >= 0) r->w[r->cur].full = 0;
        pthread_cond_broadcast(&r->cond);
        pthread_mutex_unlock(&r->lock);
    }
    r->cur = i;
    r->data = w->mem;
    r->woff = w->off;
    r->wend = w->mem ? w->off + w->len : w->off;
    r->own_end = w->last ? r->wend : w->off + BLOCK;
    r->pf = r->pos;
    return w->mem != NULL;
}

int pcapread_next(struct pcapread *r, struct pcapread_packet *pk)
{
    if (r->vanished) return -1;
    if (r->pos >= r->own_end && (r->pos == r->size || !advance(r)))
        return r->pos == r->size ? 0 : -1;
    if (r->wend - r->pos < RECORD_HEADER) return -1;
    const uint8_t *h = r->data + (r->pos - r->woff);
    uint32_t caplen = get32(r, h + 8);
    if (caplen > r->snaplen || r->wend - r->pos - RECORD_HEADER < caplen) return -1;
    uint32_t sub = get32(r, h + 4);
    /* As libpcap opened for microseconds: nanoseconds are divided down. */
    pk->ts_us = (uint64_t)get32(r, h) * 1000000u + (r->nsec ? sub / 1000 : sub);
    pk->caplen = caplen;
    pk->wire_len = get32(r, h + 12);
    pk->data = h + RECORD_HEADER;
    r->pos += RECORD_HEADER + caplen;
    /* Every line of the file is prefetched AHEAD bytes before its record
     * is handed out: the records arrive in the cache while the packets
     * before them are processed (the hardware's stream prefetch stops at
     * each page). */
    uint64_t to = r->pos + AHEAD < r->wend ? r->pos + AHEAD : r->wend;
    for (; r->pf < to; r->pf += 64)
        __builtin_prefetch(r->data + (r->pf - r->woff));
    return 1;
}

uint64_t pcapread_offset(const struct pcapread *r)
{
    return r->pos;
}

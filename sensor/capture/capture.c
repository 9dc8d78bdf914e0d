#include <errno.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "decode/decode.h"
#include "fanout_internal.h"
#include "pcapread.h"
#include "pcapng.h"

#define BATCH 4096
#define READ_BUFFER (1 << 20)
#define PCAP_FILE_HEADER 24 /* then a 16-byte header per record */
#define PCAP_RECORD_HEADER 16
#define MAX_FILTERS 16 /* link types of one pcapng with a BPF filter */

struct filter {
    int dlt;
    struct bpf_program prog;
};

struct capture {
    pcap_t *p;
    int live;
    int dlt;
    atomic_int stop; /* lock-free: set by a signal handler or another thread */
    int running;     /* capture_run was called: too late to join a fanout group */
    /* live: the device's name, the fanout group (-1: none), the stats
     * lock (libpcap's stats accumulate in the handle) */
    char iface[64];
    int fanout_group;
    pthread_mutex_t stats_lock;
    double replay;
    off_t file_size;
    char *read_buffer; /* stdio buffer of the capture file, freed after it */
    /* classic pcap regular file: records read by pcapread.c, then (from
     * the first irregular record) by libpcap; prog: its BPF filter */
    struct pcapread *rd;
    struct bpf_program prog;
    int has_prog;
    uint64_t packets;
    uint64_t offset; /* classic pcap: bytes of the records read, ftell fails on a pipe */
    /* pcapng, read by pcapng.c: its own FILE, one BPF program per link type */
    struct pcapng *ng;
    FILE *ng_fp;
    int ng_close_fp;
    int warned_unsupported;
    char *bpf;
    struct filter filters[MAX_FILTERS];
    int n_filters;
    /* replay pacing */
    uint64_t first_ts_us;
    struct timespec wall_start;
    capture_fn fn;
    void *ud;
};

/* The program is kept: pcapread.c's records are filtered with it here. */
static int set_filter(struct capture *c, const char *bpf, char *err, size_t errlen)
{
    if (!bpf || !*bpf) return 0;
    if (pcap_compile(c->p, &c->prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, errlen, "BPF filter \"%s\": %s", bpf, pcap_geterr(c->p));
        return -1;
    }
    c->has_prog = 1;
    if (pcap_setfilter(c->p, &c->prog) != 0) {
        snprintf(err, errlen, "BPF filter \"%s\": %s", bpf, pcap_geterr(c->p));
        return -1;
    }
    return 0;
}

static struct capture *finish_open(pcap_t *p, int live, const char *bpf, char *err, size_t errlen)
{
    struct capture *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errlen, "out of memory");
        pcap_close(p);
        return NULL;
    }
    c->p = p;
    c->live = live;
    c->dlt = pcap_datalink(p);
    if (!decode_linktype_supported(c->dlt)) {
        const char *name = pcap_datalink_val_to_name(c->dlt);
        snprintf(err, errlen, "unsupported link type %d (%s)", c->dlt, name ? name : "unknown");
        capture_close(c);
        return NULL;
    }
    if (set_filter(c, bpf, err, errlen) != 0) {
        capture_close(c);
        return NULL;
    }
    return c;
}

/* A FILE that gives back the bytes peeked at the start of a pipe, then
 * reads on from it: libpcap wants to read the file header itself. */
struct prefixed {
    uint8_t head[8];
    size_t len, pos;
    FILE *under;
};

static ssize_t prefixed_read(void *cookie, char *buf, size_t size)
{
    struct prefixed *pf = cookie;
    if (pf->pos < pf->len) {
        size_t n = pf->len - pf->pos < size ? pf->len - pf->pos : size;
        memcpy(buf, pf->head + pf->pos, n);
        pf->pos += n;
        return (ssize_t)n;
    }
    size_t n = fread(buf, 1, size, pf->under);
    return n == 0 && ferror(pf->under) ? -1 : (ssize_t)n;
}

static int prefixed_close(void *cookie)
{
    free(cookie); /* the underlying stream is stdin: left open */
    return 0;
}

static FILE *give_back(FILE *fp, int is_stdin, const uint8_t *head, size_t len)
{
    /* stdin even when seekable: an fseek that fails may drop stdio's buffer */
    if (!is_stdin && fseek(fp, 0, SEEK_SET) == 0) return fp;
    struct prefixed *pf = calloc(1, sizeof(*pf));
    if (!pf) return NULL;
    memcpy(pf->head, head, len);
    pf->len = len;
    pf->under = fp;
    cookie_io_functions_t io = {.read = prefixed_read, .close = prefixed_close};
    FILE *out = fopencookie(pf, "r", io);
    if (!out) free(pf);
    return out;
}

/* Compiles the filter for one link type of a pcapng, once. */
static struct filter *filter_for(struct capture *c, int dlt, char *err, size_t errlen)
{
    for (int i = 0; i < c->n_filters; i++)
        if (c->filters[i].dlt == dlt) return &c->filters[i];
    if (c->n_filters >= MAX_FILTERS) {
        snprintf(err, errlen, "BPF filter \"%s\": too many link types", c->bpf);
        return NULL;
    }
    pcap_t *dead = pcap_open_dead(dlt, 262144);
    if (!dead) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    struct filter *f = &c->filters[c->n_filters];
    if (pcap_compile(dead, &f->prog, c->bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, errlen, "BPF filter \"%s\": %s", c->bpf, pcap_geterr(dead));
        pcap_close(dead);
        return NULL;
    }
    pcap_close(dead);
    f->dlt = dlt;
    c->n_filters++;
    return f;
}

/* pcapng: link type and filters of every interface declared before the
 * first packet. Refused only if none of them is one vigie decodes. */
static struct capture *open_pcapng(FILE *fp, int close_fp, const uint8_t *head, size_t len,
                                   const char *bpf, char *err, size_t errlen)
{
    struct capture *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errlen, "out of memory");
        if (close_fp) fclose(fp);
        return NULL;
    }
    c->ng_fp = fp;
    c->ng_close_fp = close_fp;
    c->ng = pcapng_open(fp, head, len, err, errlen);
    if (!c->ng) goto fail;
    uint32_t n = pcapng_ifaces(c->ng);
    c->dlt = n ? -1 : DLT_EN10MB;
    for (uint32_t i = 0; i < n && c->dlt < 0; i++)
        if (decode_linktype_supported(pcapng_iface_dlt(c->ng, i)))
            c->dlt = pcapng_iface_dlt(c->ng, i);
    if (c->dlt < 0) {
        int dlt = pcapng_iface_dlt(c->ng, 0);
        const char *name = pcap_datalink_val_to_name(dlt);
        snprintf(err, errlen, "unsupported link type %d (%s)", dlt, name ? name : "unknown");
        goto fail;
    }
    if (bpf && *bpf) {
        c->bpf = strdup(bpf);
        if (!c->bpf) goto fail;
        for (uint32_t i = 0; i < n; i++) {
            int dlt = pcapng_iface_dlt(c->ng, i);
            if (decode_linktype_supported(dlt) && !filter_for(c, dlt, err, errlen)) goto fail;
        }
    }
    return c;
fail:
    capture_close(c);
    return NULL;
}

/* libpcap rewrites the pseudo-headers of a few link types as it reads
 * (pcap_post_process: byte order, USB lengths); those stay its own. */
static int own_reader_takes(int dlt, int swapped)
{
    switch (dlt) {
    case DLT_USB_LINUX_MMAPPED:
        return 0;
    case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2:
    case DLT_USB_LINUX:
    case DLT_NFLOG:
        return !swapped;
    default:
        return 1;
    }
}

struct capture *capture_open_file(const char *path, const char *bpf, char *err, size_t errlen)
{
    char perr[PCAP_ERRBUF_SIZE] = "";
    /* Our own FILE with a large buffer: libpcap reads record by record,
     * and stdio's default 4 KiB buffer turns that into a syscall storm. */
    int is_stdin = strcmp(path, "-") == 0;
    FILE *fp = is_stdin ? stdin : fopen(path, "rb");
    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    /* glibc ignores the size unless it is given the buffer itself. */
    char *buf = malloc(READ_BUFFER);
    if (buf) setvbuf(fp, buf, _IOFBF, READ_BUFFER);
    struct stat st;
    off_t size = !is_stdin && fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) ? st.st_size : 0;
    /* The first 4 bytes say pcapng (read here) or classic pcap (libpcap). */
    uint8_t head[4];
    size_t got = fread(head, 1, sizeof(head), fp);
    uint32_t magic;
    memcpy(&magic, head, 4);
    if (got == 4 && magic == PCAPNG_SHB_TYPE) {
        struct capture *c = open_pcapng(fp, !is_stdin, head, got, bpf, err, errlen);
        if (c) {
            c->file_size = size;
            c->read_buffer = buf;
        } else
            free(buf);
        return c;
    }
    FILE *pf = give_back(fp, is_stdin, head, got);
    if (!pf) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (!is_stdin) fclose(fp);
        free(buf);
        return NULL;
    }
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(pf, PCAP_TSTAMP_PRECISION_MICRO, perr);
    if (!p) {
        snprintf(err, errlen, "%s: %s", path, perr);
        if (pf != fp) fclose(pf);
        if (!is_stdin) fclose(fp);
        free(buf);
        return NULL;
    }
    struct capture *c = finish_open(p, 0, bpf, err, errlen);
    if (!c) {
        free(buf);
        return NULL;
    }
    c->read_buffer = buf;
    c->offset = PCAP_FILE_HEADER;
    c->file_size = size;
    if (size > 0 && own_reader_takes(c->dlt, pcap_is_swapped(p)))
        c->rd = pcapread_open(fileno(fp), (uint32_t)pcap_snapshot(p));
    return c;
}

struct capture *capture_open_live(const char *iface, int snaplen, int buffer_mb, const char *bpf,
                                  char *err, size_t errlen)
{
    struct capture_live_opts o = {
        .snaplen = snaplen, .buffer_mb = buffer_mb, .bpf = bpf, .immediate = 1};
    return capture_open_live_opts(iface, &o, err, errlen);
}

struct capture *capture_open_live_opts(const char *iface, const struct capture_live_opts *o,
                                       char *err, size_t errlen)
{
    char perr[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_create(iface, perr);
    if (!p) {
        snprintf(err, errlen, "%s: %s", iface, perr);
        return NULL;
    }
    if (o->snaplen > 0) pcap_set_snaplen(p, o->snaplen);
    pcap_set_promisc(p, 1);
    /* immediate: TPACKET_V2 (libpcap takes V3 only without it) */
    pcap_set_immediate_mode(p, o->immediate ? 1 : 0);
    pcap_set_timeout(p, 250);
    if (o->buffer_mb > 0) pcap_set_buffer_size(p, o->buffer_mb * 1024 * 1024);
    int rc = pcap_activate(p);
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", iface, pcap_geterr(p));
        pcap_close(p);
        return NULL;
    }
    struct capture *c = finish_open(p, 1, o->bpf, err, errlen);
    if (!c) return NULL;
    snprintf(c->iface, sizeof(c->iface), "%s", iface);
    c->fanout_group = -1;
    pthread_mutex_init(&c->stats_lock, NULL);
    return c;
}

static int fanout(struct capture *c, uint16_t id, int new_group, uint16_t *joined, char *err,
                  size_t errlen)
{
    if (!c->live) {
        snprintf(err, errlen, "fanout needs a live capture, not a file");
        return -1;
    }
    if (c->running) {
        snprintf(err, errlen, "%s: join the fanout group before the capture runs", c->iface);
        return -1;
    }
    if (c->fanout_group >= 0) {
        snprintf(err, errlen, "%s: already in fanout group %d", c->iface, c->fanout_group);
        return -1;
    }
    uint16_t got;
    if (fanout_join_socket(pcap_fileno(c->p), c->iface, id, new_group, &got, err, errlen) != 0)
        return -1;
    c->fanout_group = got;
    if (joined) *joined = got;
    return 0;
}

int capture_join_fanout(struct capture *c, uint16_t group_id, char *err, size_t errlen)
{
    return fanout(c, group_id, 0, NULL, err, errlen);
}

int capture_new_fanout(struct capture *c, uint16_t *group_id, char *err, size_t errlen)
{
    return fanout(c, capture_fanout_id(), 1, group_id, err, errlen);
}

int capture_fanout_group(const struct capture *c)
{
    return c->live ? c->fanout_group : -1;
}

int capture_ring_version(const struct capture *c)
{
    return c->live ? fanout_ring_version(pcap_fileno(c->p)) : -1;
}

void capture_close(struct capture *c)
{
    if (!c) return;
    if (c->live) pthread_mutex_destroy(&c->stats_lock);
    pcapread_close(c->rd);
    if (c->has_prog) pcap_freecode(&c->prog);
    if (c->p) pcap_close(c->p); /* closes the FILE, so the buffer goes after */
    pcapng_close(c->ng);
    if (c->ng_fp && c->ng_close_fp) fclose(c->ng_fp);
    for (int i = 0; i < c->n_filters; i++)
        pcap_freecode(&c->filters[i].prog);
    free(c->bpf);
    free(c->read_buffer);
    free(c);
}

int capture_datalink(const struct capture *c)
{
    return c->dlt;
}

const char *capture_datalink_name(const struct capture *c)
{
    const char *n = pcap_datalink_val_to_name(c->dlt);
    return n ? n : "?";
}

int capture_is_live(const struct capture *c)
{
    return c->live;
}

void capture_set_replay(struct capture *c, double speed)
{
    c->replay = speed;
}

void capture_stop(struct capture *c)
{
    c->stop = 1;
    if (c->p) pcap_breakloop(c->p);
}

/* Sleeps until the packet's time, scaled by the replay speed, has come. */
static void pace(struct capture *c, uint64_t ts_us)
{
    if (!c->first_ts_us) {
        c->first_ts_us = ts_us;
        clock_gettime(CLOCK_MONOTONIC, &c->wall_start);
        return;
    }
    if (ts_us <= c->first_ts_us) return;
    double offset = (double)(ts_us - c->first_ts_us) / 1e6 / c->replay;
    struct timespec target = c->wall_start;
    target.tv_sec += (time_t)offset;
    target.tv_nsec += (long)((offset - (double)(time_t)offset) * 1e9);
    if (target.tv_nsec >= 1000000000L) {
        target.tv_sec++;
        target.tv_nsec -= 1000000000L;
    }
    while (!c->stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, NULL) == EINTR)
        ;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
    struct capture *c = (struct capture *)user;
    uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
    c->packets++;
    c->offset += PCAP_RECORD_HEADER + h->caplen;
    if (c->replay > 0) pace(c, ts);
    c->fn(c->ud, c->dlt, ts, h->caplen, h->len, data);
}

/* One packet of a pcapng: filtered by the program of its link type. */
static int ng_packet(struct capture *c, const struct pcapng_packet *pk, char *err, size_t errlen)
{
    /* Not decoded: counted by the pipeline as unsupported, never filtered
     * (a filter may not compile for that link type). */
    int supported = decode_linktype_supported(pk->dlt);
    if (!supported && !c->warned_unsupported) {
        const char *name = pcap_datalink_val_to_name(pk->dlt);
        fprintf(stderr, "vigie: warning: packets of unsupported link type %d (%s) skipped\n",
                pk->dlt, name ? name : "unknown");
        c->warned_unsupported = 1;
    }
    if (c->bpf && supported) {
        struct filter *f = filter_for(c, pk->dlt, err, errlen);
        if (!f) return -1;
        struct pcap_pkthdr h = {.caplen = pk->caplen, .len = pk->wire_len};
        if (!pcap_offline_filter(&f->prog, &h, pk->data)) return 0;
    }
    c->packets++;
    if (c->replay > 0) pace(c, pk->ts_us);
    c->fn(c->ud, pk->dlt, pk->ts_us, pk->caplen, pk->wire_len, pk->data);
    return 0;
}

static int run_pcapng(struct capture *c, capture_tick_fn tick, void *tick_ud, char *err,
                      size_t errlen)
{
    struct pcapng_packet pk;
    int batch = c->replay > 0 ? 64 : BATCH;
    while (!c->stop) {
        int n = 0, rc = 1;
        while (n < batch && !c->stop && (rc = pcapng_next(c->ng, &pk, err, errlen)) == 1) {
            if (ng_packet(c, &pk, err, errlen) != 0) return -1;
            n++;
        }
        if (rc < 0) return -1;
        if (tick) tick(tick_ud);
        if (rc == 0) break; /* end of file */
    }
    return 0;
}

/* The records of pcapread.c, in batches and with ticks as pcap_dispatch's.
 * Then libpcap reads on from c->offset: nothing at the end of the file,
 * else the record pcapread.c does not take. -1 if the file cannot seek
 * there. */
static int run_blocks(struct capture *c, capture_tick_fn tick, void *tick_ud, char *err,
                      size_t errlen)
{
    struct pcapread_packet pk;
    int batch = c->replay > 0 ? 64 : BATCH, rc = 1;
    while (!c->stop && rc == 1) {
        int n = 0;
        while (n < batch && !c->stop && (rc = pcapread_next(c->rd, &pk)) == 1) {
            struct pcap_pkthdr h = {.caplen = pk.caplen, .len = pk.wire_len};
            c->offset = pcapread_offset(c->rd);
            if (c->has_prog && !pcap_offline_filter(&c->prog, &h, pk.data)) continue;
            c->packets++;
            n++;
            if (c->replay > 0) pace(c, pk.ts_us);
            c->fn(c->ud, c->dlt, pk.ts_us, pk.caplen, pk.wire_len, pk.data);
        }
        /* pcap_dispatch returns no count on a break or an error: no tick */
        if (c->stop) break;
        if ((rc == 1 || (rc == 0 && n)) && tick) tick(tick_ud);
    }
    if (fseeko(pcap_file(c->p), (off_t)c->offset, SEEK_SET) != 0) {
        snprintf(err, errlen, "capture: cannot seek to file offset %llu",
                 (unsigned long long)c->offset);
        return -1;
    }
    return 0;
}

int capture_run(struct capture *c, capture_fn fn, void *fn_ud, capture_tick_fn tick, void *tick_ud,
                char *err, size_t errlen)
{
    c->fn = fn;
    c->ud = fn_ud;
    c->running = 1;
    if (c->ng) return run_pcapng(c, tick, tick_ud, err, errlen);
    if (c->rd && run_blocks(c, tick, tick_ud, err, errlen) != 0) return -1;
    while (!c->stop) {
        /* With replay pacing, small batches keep the tick regular. */
        int n = pcap_dispatch(c->p, c->replay > 0 ? 64 : BATCH, on_packet, (u_char *)c);
        if (n == PCAP_ERROR) {
            if (c->live)
                snprintf(err, errlen, "capture: %s", pcap_geterr(c->p));
            else /* where the bad record starts */
                snprintf(err, errlen, "corrupt capture after packet %llu (file offset %llu): %s",
                         (unsigned long long)c->packets, (unsigned long long)c->offset,
                         pcap_geterr(c->p));
            return -1;
        }
        if (n == PCAP_ERROR_BREAK) break;
        if (tick) tick(tick_ud);
        if (n == 0 && !c->live) break; /* end of file */
    }
    return 0;
}

int capture_get_stats(struct capture *c, struct capture_stats *st)
{
    struct pcap_stat ps;
    memset(st, 0, sizeof(*st));
    if (!c->live) return -1;
    /* pcap_stats adds the kernel's counters (reset by each read) to the
     * handle's totals: two threads at once would lose some. The reading
     * thread does not touch them. */
    pthread_mutex_lock(&c->stats_lock);
    int rc = pcap_stats(c->p, &ps);
    pthread_mutex_unlock(&c->stats_lock);
    if (rc != 0) return -1;
    st->received = ps.ps_recv;
    st->dropped = ps.ps_drop;
    st->if_dropped = ps.ps_ifdrop;
    return 0;
}

double capture_progress(struct capture *c)
{
    if (c->live || c->file_size <= 0) return -1;
    if (c->ng) return (double)pcapng_offset(c->ng) / (double)c->file_size;
    if (c->rd) return (double)c->offset / (double)c->file_size;
    FILE *fp = pcap_file(c->p);
    if (!fp) return -1;
    long off = ftell(fp);
    return off < 0 ? -1 : (double)off / (double)c->file_size;
}

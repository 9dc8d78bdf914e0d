#include <errno.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "capture.h"
#include "decode/decode.h"

#define BATCH 4096
#define READ_BUFFER (1 << 20)

struct capture {
    pcap_t *p;
    int live;
    int dlt;
    volatile sig_atomic_t stop;
    double replay;
    off_t file_size;
    char *read_buffer; /* stdio buffer of the capture file, freed after it */
    uint64_t packets;
    /* replay pacing */
    uint64_t first_ts_us;
    struct timespec wall_start;
    capture_fn fn;
    void *ud;
};

static int set_filter(pcap_t *p, const char *bpf, char *err, size_t errlen)
{
    struct bpf_program prog;
    if (!bpf || !*bpf) return 0;
    if (pcap_compile(p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0 ||
        pcap_setfilter(p, &prog) != 0) {
        snprintf(err, errlen, "BPF filter \"%s\": %s", bpf, pcap_geterr(p));
        return -1;
    }
    pcap_freecode(&prog);
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
    if (set_filter(p, bpf, err, errlen) != 0) {
        capture_close(c);
        return NULL;
    }
    return c;
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
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, perr);
    if (!p) {
        snprintf(err, errlen, "%s: %s", path, perr);
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
    struct stat st;
    if (!is_stdin && fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode)) c->file_size = st.st_size;
    return c;
}

struct capture *capture_open_live(const char *iface, int snaplen, int buffer_mb, const char *bpf,
                                  char *err, size_t errlen)
{
    char perr[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_create(iface, perr);
    if (!p) {
        snprintf(err, errlen, "%s: %s", iface, perr);
        return NULL;
    }
    pcap_set_snaplen(p, snaplen);
    pcap_set_promisc(p, 1);
    pcap_set_immediate_mode(p, 1);
    pcap_set_timeout(p, 250);
    pcap_set_buffer_size(p, buffer_mb * 1024 * 1024);
    int rc = pcap_activate(p);
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", iface, pcap_geterr(p));
        pcap_close(p);
        return NULL;
    }
    return finish_open(p, 1, bpf, err, errlen);
}

void capture_close(struct capture *c)
{
    if (!c) return;
    pcap_close(c->p); /* closes the FILE, so the buffer goes after */
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
    pcap_breakloop(c->p);
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
    if (c->replay > 0) pace(c, ts);
    c->fn(c->ud, ts, h->caplen, h->len, data);
}

int capture_run(struct capture *c, capture_fn fn, void *fn_ud, capture_tick_fn tick, void *tick_ud,
                char *err, size_t errlen)
{
    c->fn = fn;
    c->ud = fn_ud;
    while (!c->stop) {
        /* With replay pacing, small batches keep the tick regular. */
        int n = pcap_dispatch(c->p, c->replay > 0 ? 64 : BATCH, on_packet, (u_char *)c);
        if (n == PCAP_ERROR) {
            if (c->live)
                snprintf(err, errlen, "capture: %s", pcap_geterr(c->p));
            else {
                FILE *fp = pcap_file(c->p);
                long off = fp ? ftell(fp) : -1;
                snprintf(err, errlen, "corrupt capture after packet %llu (file offset %ld): %s",
                         (unsigned long long)c->packets, off, pcap_geterr(c->p));
            }
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
    if (!c->live || pcap_stats(c->p, &ps) != 0) return -1;
    st->received = ps.ps_recv;
    st->dropped = ps.ps_drop;
    st->if_dropped = ps.ps_ifdrop;
    return 0;
}

double capture_progress(struct capture *c)
{
    if (c->live || c->file_size <= 0) return -1;
    FILE *fp = pcap_file(c->p);
    if (!fp) return -1;
    long off = ftell(fp);
    return off < 0 ? -1 : (double)off / (double)c->file_size;
}

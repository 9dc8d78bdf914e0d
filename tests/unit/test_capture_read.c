/* Classic pcap files read in blocks by pcapread.c (and then
 * libpcap from the first record it does not take) give what libpcap alone
 * gives: every packet with its time, lengths and bytes, in both byte
 * orders and both time resolutions, with a BPF filter, and on a file cut
 * at every length or holding a record over the snapshot length the same
 * packets before the same error; and so does a file of several read
 * blocks, whose records straddle the blocks read ahead. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <cmocka.h>

#include "capture/capture.h"
#include "capture/pcapread.h"

#define MAX_PKTS 64
#define SNAPLEN 1500

struct seen {
    int n;
    uint64_t ts[MAX_PKTS];
    uint32_t caplen[MAX_PKTS], len[MAX_PKTS];
    uint8_t first[MAX_PKTS], last[MAX_PKTS];
};

static void put32(uint8_t *p, uint32_t v, int be)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(be ? v >> (24 - 8 * i) : v >> (8 * i));
}

/* A pcap of n Ethernet/IPv4/UDP frames of growing size; returns its size.
 * big: a record whose caplen is over the snapshot length, at index big. */
static size_t build(uint8_t *f, int be, int nsec, int n, int big)
{
    put32(f, nsec ? 0xA1B23C4Du : 0xA1B2C3D4u, be);
    f[4] = be ? 0 : 2, f[5] = be ? 2 : 0, f[6] = be ? 0 : 4, f[7] = be ? 4 : 0;
    memset(f + 8, 0, 8);
    put32(f + 16, SNAPLEN, be);
    put32(f + 20, 1, be);
    size_t pos = 24;
    for (int i = 0; i < n; i++) {
        uint32_t cap = 42 + (uint32_t)i * 37, wire = cap + (i % 3 == 0 ? 100 : 0);
        if (i == big) cap = wire = SNAPLEN + 10;
        put32(f + pos, 1700000000u + (uint32_t)i, be);
        put32(f + pos + 4, nsec ? 123456789u + (uint32_t)i : 654321u + (uint32_t)i, be);
        put32(f + pos + 8, cap, be);
        put32(f + pos + 12, wire, be);
        uint8_t *d = f + pos + 16;
        memset(d, 0, cap);
        d[12] = 0x08; /* IPv4 */
        d[14] = 0x45;
        d[23] = i % 2 ? 17 : 6;
        d[cap - 1] = (uint8_t)i;
        pos += 16 + cap;
    }
    return pos;
}

static const char *write_tmp(const uint8_t *f, size_t len)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/vigie_test_map_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, f, len), (ssize_t)len);
    close(fd);
    return path;
}

static void on_pkt(void *ud, int dlt, uint64_t ts_us, uint32_t caplen, uint32_t wire_len,
                   const uint8_t *data)
{
    struct seen *s = ud;
    (void)dlt;
    assert_true(s->n < MAX_PKTS);
    s->ts[s->n] = ts_us;
    s->caplen[s->n] = caplen;
    s->len[s->n] = wire_len;
    s->first[s->n] = data[0];
    s->last[s->n] = caplen ? data[caplen - 1] : 0;
    s->n++;
}

/* libpcap alone, as vigie read files before: packets, then -1 and its
 * message on an error. */
static int read_libpcap(const char *path, const char *bpf, struct seen *s, char *msg, size_t len)
{
    char perr[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, perr);
    if (!p) return -2;
    struct bpf_program prog;
    if (bpf) {
        assert_int_equal(pcap_compile(p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN), 0);
        assert_int_equal(pcap_setfilter(p, &prog), 0);
        pcap_freecode(&prog);
    }
    struct pcap_pkthdr *h;
    const u_char *d;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &d)) == 1)
        on_pkt(s, 0, (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec, h->caplen, h->len,
               d);
    if (rc == PCAP_ERROR) snprintf(msg, len, "%s", pcap_geterr(p));
    pcap_close(p);
    return rc == PCAP_ERROR ? -1 : 0;
}

static int read_vigie(const char *path, const char *bpf, struct seen *s, char *msg, size_t len)
{
    char err[512] = "";
    struct capture *c = capture_open_file(path, bpf, err, sizeof(err));
    if (!c) return -2;
    int rc = capture_run(c, on_pkt, s, NULL, NULL, err, sizeof(err));
    capture_close(c);
    /* "corrupt capture after packet N (file offset O): <libpcap's message>" */
    const char *m = strstr(err, "): ");
    snprintf(msg, len, "%s", m ? m + 3 : err);
    return rc;
}

static void same_as_libpcap(const uint8_t *f, size_t len, const char *bpf)
{
    const char *path = write_tmp(f, len);
    struct seen a = {0}, b = {0};
    char ma[512] = "", mb[512] = "";
    int ra = read_libpcap(path, bpf, &a, ma, sizeof(ma));
    int rb = read_vigie(path, bpf, &b, mb, sizeof(mb));
    unlink(path);
    if (ra == -2) { /* libpcap refuses the file header: so does vigie */
        assert_int_equal(rb, -2);
        return;
    }
    assert_int_equal(rb, ra);
    assert_int_equal(b.n, a.n);
    assert_memory_equal(&a, &b, sizeof(a));
    if (ra < 0) assert_string_equal(mb, ma);
}

static void test_formats(void **state)
{
    (void)state;
    static uint8_t f[65536];
    for (int be = 0; be < 2; be++)
        for (int nsec = 0; nsec < 2; nsec++) {
            size_t len = build(f, be, nsec, 20, -1);
            const char *path = write_tmp(f, len);
            int fd = open(path, O_RDONLY);
            unlink(path);
            struct pcapread *m = pcapread_open(fd, SNAPLEN);
            assert_non_null(m); /* pcapread.c is the reader tested */
            pcapread_close(m);
            close(fd);
            same_as_libpcap(f, len, NULL);
            same_as_libpcap(f, len, "tcp");
        }
}

static void test_cut_everywhere(void **state)
{
    (void)state;
    static uint8_t f[65536];
    for (int be = 0; be < 2; be++) {
        size_t len = build(f, be, 0, 8, -1);
        for (size_t cut = 24; cut < len; cut++)
            same_as_libpcap(f, cut, NULL);
    }
}

static void test_record_over_snaplen(void **state)
{
    (void)state;
    static uint8_t f[65536];
    for (int be = 0; be < 2; be++) {
        size_t len = build(f, be, be, 12, 5);
        same_as_libpcap(f, len, NULL);
    }
}

/* Files of several of pcapread.c's windows (4 MiB apart, mapped ahead by
 * its thread): every packet's time, lengths and bytes, folded into a digest. */
#define BIG_SNAPLEN 9216
#define BIG_PKTS 2400

struct digest {
    int n;
    uint64_t h;
};

static void fold(struct digest *d, uint64_t ts_us, uint32_t caplen, uint32_t wire_len,
                 const uint8_t *data)
{
    uint64_t h = d->h ^ ts_us ^ (uint64_t)caplen << 32 ^ wire_len;
    for (uint32_t i = 0; i < caplen; i++)
        h = (h ^ data[i]) * 0x100000001b3ull;
    d->h = h * 0x100000001b3ull;
    d->n++;
}

static void on_fold(void *ud, int dlt, uint64_t ts_us, uint32_t caplen, uint32_t wire_len,
                    const uint8_t *data)
{
    (void)dlt;
    fold(ud, ts_us, caplen, wire_len, data);
}

/* BIG_PKTS frames of 60 to 9,076 bytes, their bytes numbered; big: one
 * record over the snapshot length, at that index; extra: bytes added to
 * the first frame, which move every later record. */
static size_t build_big(uint8_t *f, int big, uint32_t extra)
{
    put32(f, 0xA1B2C3D4u, 0);
    f[4] = 2, f[5] = 0, f[6] = 4, f[7] = 0;
    memset(f + 8, 0, 8);
    put32(f + 16, BIG_SNAPLEN, 0);
    put32(f + 20, 1, 0);
    size_t pos = 24;
    for (uint32_t i = 0; i < BIG_PKTS; i++) {
        uint32_t cap = 60 + (i * 7919u) % 9017u + (i ? 0 : extra);
        if (i == (uint32_t)big) cap = BIG_SNAPLEN + 1;
        put32(f + pos, 1700000000u + i / 10, 0);
        put32(f + pos + 4, (i * 4099u) % 1000000u, 0);
        put32(f + pos + 8, cap, 0);
        put32(f + pos + 12, cap + i % 5, 0);
        for (uint32_t k = 0; k < cap; k++)
            f[pos + 16 + k] = (uint8_t)(i + k);
        pos += 16 + cap;
    }
    return pos;
}

/* pcapread.c alone on path: the records it hands out (not libpcap) must be
 * own, every one as libpcap read it (digest of the first own of a), and
 * its end 0 when it read to the end of the file, else -1. */
static void pcapread_alone(const char *path, int own, uint64_t h_own, int end)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    struct pcapread *r = pcapread_open(fd, BIG_SNAPLEN);
    assert_non_null(r);
    struct digest d = {0};
    struct pcapread_packet pk;
    int rc;
    while ((rc = pcapread_next(r, &pk)) == 1)
        fold(&d, pk.ts_us, pk.caplen, pk.wire_len, pk.data);
    pcapread_close(r);
    close(fd);
    assert_int_equal(d.n, own);
    assert_true(d.h == h_own);
    assert_int_equal(rc, end);
}

/* own: the records pcapread.c hands out before libpcap takes over (-1:
 * all that libpcap reads). */
static void big_same_as_libpcap(const uint8_t *f, size_t len, int own)
{
    const char *path = write_tmp(f, len);
    uint64_t h_own = 0;
    struct digest a = {0}, b = {0};
    char perr[PCAP_ERRBUF_SIZE], ma[512] = "", err[512] = "";
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, perr);
    if (!p) fail_msg("libpcap: %s (%zu bytes)", perr, len);
    struct pcap_pkthdr *h;
    const u_char *d;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
        if (a.n == own) h_own = a.h;
        fold(&a, (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec, h->caplen, h->len, d);
    }
    if (rc == PCAP_ERROR) snprintf(ma, sizeof(ma), "%s", pcap_geterr(p));
    pcap_close(p);
    if (own < 0) {
        own = a.n;
        h_own = a.h;
    }
    pcapread_alone(path, own, h_own, rc == PCAP_ERROR || own < a.n ? -1 : 0);
    struct capture *c = capture_open_file(path, NULL, err, sizeof(err));
    assert_non_null(c);
    int rb = capture_run(c, on_fold, &b, NULL, NULL, err, sizeof(err));
    capture_close(c);
    unlink(path);
    assert_int_equal(rb, rc == PCAP_ERROR ? -1 : 0);
    assert_int_equal(b.n, a.n);
    assert_true(a.h == b.h);
    const char *m = strstr(err, "): ");
    if (rb < 0) assert_string_equal(m ? m + 3 : err, ma);
}

static void test_across_blocks(void **state)
{
    (void)state;
    uint8_t *f = malloc(24 + (size_t)BIG_PKTS * (16 + BIG_SNAPLEN + 1));
    assert_non_null(f);
    size_t len = build_big(f, -1, 0);
    assert_true(len > (10u << 20)); /* three windows at least */
    big_same_as_libpcap(f, len, -1);
    /* the second window's block starts t bytes into a record header (0: at it) */
    const size_t edge = 4u << 20;
    for (size_t t = 0; t < 16; t += 5) {
        size_t at = 24, next;
        while ((next = at + 16 + f[at + 8] + ((size_t)f[at + 9] << 8)) <= edge - t)
            at = next;
        len = build_big(f, -1, (uint32_t)(edge - t - at));
        big_same_as_libpcap(f, len, -1);
        build_big(f, -1, 0);
    }
    /* cut inside a record at and around each block's end */
    for (size_t b = 1; b <= 2; b++)
        for (size_t d = 0; d < 24; d += 7)
            big_same_as_libpcap(f, b * (4u << 20) + d - 12, -1);
    /* a record libpcap judges, after two windows */
    len = build_big(f, BIG_PKTS - 100, 0);
    big_same_as_libpcap(f, len, BIG_PKTS - 100);
    free(f);
}

/* The file cut to a third by another process while it is mapped (after
 * the open): no SIGBUS; the packets read are a prefix of the file's, and
 * the run ends as libpcap ends the shortened file. */
static void test_truncated_while_mapped(void **state)
{
    (void)state;
    uint8_t *f = malloc(24 + (size_t)BIG_PKTS * (16 + BIG_SNAPLEN + 1));
    assert_non_null(f);
    size_t len = build_big(f, -1, 0);
    const char *path = write_tmp(f, len);
    char err[512] = "";
    struct capture *c = capture_open_file(path, NULL, err, sizeof(err));
    assert_non_null(c);
    assert_int_equal(truncate(path, (off_t)(len / 3)), 0);
    struct digest b = {0};
    capture_run(c, on_fold, &b, NULL, NULL, err, sizeof(err));
    capture_close(c);
    unlink(path);
    assert_true(b.n > 0 && b.n < BIG_PKTS);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_cut_everywhere),
        cmocka_unit_test(test_record_over_snaplen),
        cmocka_unit_test(test_across_blocks),
        cmocka_unit_test(test_truncated_while_mapped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* pcapng.c on files built in memory: two interfaces of different link
 * types and timestamp resolutions, a simple packet block, skipped blocks,
 * a second section of the other byte order; truncation at every length
 * and bad block lengths give a clean error, never a crash (ASan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "capture/pcapng.h"

#define T0 1700000000ull /* seconds */

struct img {
    uint8_t d[2048];
    size_t n;
    int be;
    size_t block;    /* start of the open block */
    size_t ends[32]; /* offsets where a block ends */
    int n_ends;
};

static void put8(struct img *m, uint8_t v)
{
    assert_true(m->n < sizeof(m->d));
    m->d[m->n++] = v;
}

static void put16(struct img *m, uint16_t v)
{
    put8(m, m->be ? v >> 8 : v & 0xff);
    put8(m, m->be ? v & 0xff : v >> 8);
}

static void put32(struct img *m, uint32_t v)
{
    if (m->be) {
        put16(m, v >> 16);
        put16(m, v & 0xffff);
    } else {
        put16(m, v & 0xffff);
        put16(m, v >> 16);
    }
}

static void begin(struct img *m, uint32_t type)
{
    m->block = m->n;
    put32(m, type);
    put32(m, 0); /* length, patched by end() */
}

static void end(struct img *m)
{
    while (m->n % 4)
        put8(m, 0);
    uint32_t len = (uint32_t)(m->n - m->block + 4);
    put32(m, len);
    size_t save = m->n;
    m->n = m->block + 4;
    put32(m, len);
    m->n = save;
    m->ends[m->n_ends++] = m->n;
}

static void shb(struct img *m, int be)
{
    m->be = be;
    begin(m, PCAPNG_SHB_TYPE);
    put32(m, 0x1A2B3C4D);
    put16(m, 1);
    put16(m, 0);
    put32(m, 0xffffffff); /* section length: unknown */
    put32(m, 0xffffffff);
    end(m);
}

/* tsoffset: if_tsoffset in seconds, 0 for none. */
static void idb(struct img *m, uint16_t linktype, int tsresol, uint32_t tsoffset)
{
    begin(m, 1);
    put16(m, linktype);
    put16(m, 0);
    put32(m, 96); /* snaplen */
    if (tsoffset) {
        put16(m, 14);
        put16(m, 8);
        put32(m, m->be ? 0 : tsoffset); /* a 64-bit value in the section's order */
        put32(m, m->be ? tsoffset : 0);
        if (tsresol < 0) put16(m, 0), put16(m, 0);
    }
    if (tsresol >= 0) {
        put16(m, 9);
        put16(m, 1);
        put8(m, (uint8_t)tsresol);
        put8(m, 0), put8(m, 0), put8(m, 0);
        put16(m, 0);
        put16(m, 0);
    }
    end(m);
}

static void epb(struct img *m, uint32_t iface, uint64_t ticks, const char *data)
{
    uint32_t len = (uint32_t)strlen(data);
    begin(m, 6);
    put32(m, iface);
    put32(m, (uint32_t)(ticks >> 32));
    put32(m, (uint32_t)ticks);
    put32(m, len);
    put32(m, len + 10); /* the wire had more */
    for (uint32_t i = 0; i < len; i++)
        put8(m, (uint8_t)data[i]);
    end(m);
}

static void other(struct img *m, uint32_t type)
{
    begin(m, type);
    put32(m, 0x11223344);
    end(m);
}

/* Section 1 (little-endian): Ethernet in us, SLL in ns, an NRB, an SPB, an
 * obsolete PB, an ISB. Section 2 (big-endian): raw IP in 2^-20 s, 1000 s late. */
static void build(struct img *m)
{
    memset(m, 0, sizeof(*m));
    shb(m, 0);
    idb(m, 1, -1, 0);
    idb(m, 113, 9, 0);
    other(m, 4); /* NRB */
    epb(m, 0, T0 * 1000000 + 5, "eth-frame");
    epb(m, 1, T0 * 1000000000 + 7000, "sll");
    begin(m, 3); /* SPB on interface 0 */
    put32(m, 5);
    for (const char *s = "spb!!"; *s; s++)
        put8(m, (uint8_t)*s);
    end(m);
    begin(m, 2); /* obsolete PB on interface 1: 16-bit id, drops count */
    put16(m, 1);
    put16(m, 0);
    put32(m, (uint32_t)((T0 * 1000000000 + 9000) >> 32));
    put32(m, (uint32_t)(T0 * 1000000000 + 9000));
    put32(m, 2);
    put32(m, 2);
    put8(m, 'p'), put8(m, 'b');
    end(m);
    other(m, 5);          /* ISB */
    other(m, 0x00000BAD); /* custom */
    shb(m, 1);
    idb(m, 101, 0x94, 1000); /* if_tsoffset: 1000 s */
    epb(m, 0, (T0 << 20) | (1 << 19), "raw-ip");
}

/* The file cut at len: its first 4 bytes as the peeked head, the rest in fp. */
static struct pcapng *open_img(const struct img *m, size_t len, FILE **fp, char *err, size_t n)
{
    *fp = len > 4 ? fmemopen((void *)(m->d + 4), len - 4, "rb") : fopen("/dev/null", "rb");
    assert_non_null(*fp);
    return pcapng_open(*fp, m->d, 4, err, n);
}

static void test_two_link_types(void **state)
{
    (void)state;
    struct img m;
    build(&m);
    char err[256] = "";
    FILE *fp;
    struct pcapng *r = open_img(&m, m.n, &fp, err, sizeof(err));
    assert_non_null(r);
    assert_int_equal(pcapng_first_dlt(r), 1);
    assert_int_equal(pcapng_ifaces(r), 2);
    assert_int_equal(pcapng_iface_dlt(r, 1), 113);
    struct pcapng_packet p;
    assert_int_equal(pcapng_next(r, &p, err, sizeof(err)), 1);
    assert_int_equal(p.dlt, 1);
    assert_int_equal(p.ts_us, T0 * 1000000 + 5);
    assert_int_equal(p.caplen, 9);
    assert_int_equal(p.wire_len, 19);
    assert_memory_equal(p.data, "eth-frame", 9);
    assert_int_equal(pcapng_next(r, &p, err, sizeof(err)), 1);
    assert_int_equal(p.dlt, 113);
    assert_int_equal(p.iface, 1);
    assert_int_equal(p.ts_us, T0 * 1000000 + 7);
    assert_memory_equal(p.data, "sll", 3);
    assert_int_equal(pcapng_next(r, &p, err, sizeof(err)), 1);
    assert_int_equal(p.dlt, 1);
    assert_int_equal(p.caplen, 5);
    assert_memory_equal(p.data, "spb!!", 5);
    assert_int_equal(pcapng_next(r, &p, err, sizeof(err)), 1);
    assert_int_equal(p.dlt, 113);
    assert_int_equal(p.ts_us, T0 * 1000000 + 9);
    assert_memory_equal(p.data, "pb", 2);
    assert_int_equal(pcapng_next(r, &p, err, sizeof(err)), 1);
    assert_int_not_equal(p.dlt, 1); /* DLT_RAW of the platform */
    assert_int_equal(p.ts_us, (T0 + 1000) * 1000000 + 500000);
    assert_memory_equal(p.data, "raw-ip", 6);
    assert_int_equal(pcapng_next(r, &p, err, sizeof(err)), 0);
    assert_int_equal(pcapng_packets(r), 5);
    assert_int_equal(pcapng_offset(r), m.n);
    pcapng_close(r);
    fclose(fp);
}

static int is_end(const struct img *m, size_t len)
{
    for (int i = 0; i < m->n_ends; i++)
        if (m->ends[i] == len) return 1;
    return 0;
}

/* Read up to len bytes: a clean end exactly at a block end, else an error
 * that says where. */
static void test_truncated_everywhere(void **state)
{
    (void)state;
    struct img m;
    build(&m);
    for (size_t len = 4; len < m.n; len++) {
        char err[256] = "";
        FILE *fp;
        struct pcapng *r = open_img(&m, len, &fp, err, sizeof(err));
        int rc = 1;
        struct pcapng_packet p;
        while (r && rc == 1)
            rc = pcapng_next(r, &p, err, sizeof(err));
        if (is_end(&m, len))
            assert_true(r && rc == 0);
        else
            assert_true(!r || rc == -1);
        if (!r || rc < 0) assert_non_null(strstr(err, "file offset"));
        pcapng_close(r);
        fclose(fp);
    }
}

/* Patches the length of the block at off and expects an error at it. */
static void expect_bad(struct img *m, size_t at, uint32_t v, const char *what)
{
    m->d[at] = (uint8_t)v, m->d[at + 1] = (uint8_t)(v >> 8);
    m->d[at + 2] = (uint8_t)(v >> 16), m->d[at + 3] = (uint8_t)(v >> 24);
    char err[256] = "";
    FILE *fp;
    struct pcapng *r = open_img(m, m->n, &fp, err, sizeof(err));
    int rc = 1;
    struct pcapng_packet p;
    while (r && rc == 1)
        rc = pcapng_next(r, &p, err, sizeof(err));
    assert_true(!r || rc == -1);
    assert_non_null(strstr(err, what));
    pcapng_close(r);
    fclose(fp);
}

static void test_bad_lengths(void **state)
{
    (void)state;
    struct img m;
    size_t first_epb;
    uint32_t bad[] = {13, 8, 0, 0xfffffff0u, 4000};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        build(&m);
        first_epb = m.ends[3]; /* SHB, IDB, IDB, NRB, then the EPB */
        expect_bad(&m, first_epb + 4, bad[i], "file offset");
    }
    build(&m);
    expect_bad(&m, m.ends[4] - 4, 99, "trailing"); /* EPB's trailing length */
    build(&m);
    expect_bad(&m, m.ends[3] + 8, 7, "undeclared"); /* EPB of interface 7 */
    build(&m);
    expect_bad(&m, m.ends[3] + 20, 1000, "overruns"); /* caplen beyond the block */
    build(&m);
    expect_bad(&m, 8, 0x01020304, "byte-order");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_link_types),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_bad_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

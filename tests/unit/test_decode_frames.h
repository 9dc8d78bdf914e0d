/* Frame building and checked decoding shared by the decode tests
 * (test_decode.c: link layers; test_decode_ip.c: IP, transport, tunnels).
 * Frames are built byte by byte. Each decode runs on an exact-size heap
 * copy so that the ASan build catches any read past caplen, and every frame
 * that decodes is decoded again cut at each shorter length (see run_buf).
 * The helpers are static inline so that a file using only some of them
 * compiles without unused-function warnings. */
#ifndef VIGIE_TEST_DECODE_FRAMES_H
#define VIGIE_TEST_DECODE_FRAMES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <pcap/dlt.h>

#include "decode/decode.h"

#define DLT_SLL2_ 276
#define PAYLOAD "hello, vigie"
#define PAYLOAD_LEN ((uint32_t)sizeof(PAYLOAD) - 1)

static const uint8_t A4[4] = {192, 168, 1, 10}; /* client */
static const uint8_t B4[4] = {10, 0, 0, 1};     /* server, sorts first */
static const uint8_t A6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x10};
static const uint8_t B6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x01};

/* ---- frame building ------------------------------------------------- */

struct buf {
    uint8_t d[1600];
    uint32_t n;
};

static inline void put(struct buf *b, const void *p, uint32_t n)
{
    assert_true(b->n + n <= sizeof(b->d));
    memcpy(b->d + b->n, p, n);
    b->n += n;
}

/* Big-endian integer of n bytes. */
static inline void putn(struct buf *b, uint32_t v, int n)
{
    while (n--) {
        uint8_t x = (uint8_t)(v >> (8 * n));
        put(b, &x, 1);
    }
}

static inline void fill(struct buf *b, uint8_t v, uint32_t n)
{
    while (n--)
        put(b, &v, 1);
}

static inline void puts_(struct buf *b, const char *s)
{
    put(b, s, (uint32_t)strlen(s));
}

/* Appends hex bytes (spaces ignored). Letters stand for fields that depend
 * on the IP packet ip that follows: E ethertype, P PPP protocol, F/G BSD
 * address family in little/big endian, L 802.3 length, N PPPoE length. */
static inline void hex(struct buf *b, const char *s, const struct buf *ip)
{
    static const char keys[] = "EPFGLN";
    static const int width[] = {2, 2, 4, 4, 2, 2};
    int v6 = ip && (ip->d[0] >> 4) == 6;
    uint32_t n = ip ? ip->n : 0;
    const uint32_t val[] = {v6 ? 0x86DD : 0x0800,
                            v6 ? 0x0057 : 0x0021,
                            (v6 ? 24u : 2u) << 24,
                            v6 ? 24 : 2,
                            8 + n,
                            2 + n};
    for (; *s; s++) {
        const char *k = strchr(keys, *s);
        unsigned x;
        if (*s == ' ') continue;
        if (k) {
            putn(b, val[k - keys], width[k - keys]);
        } else {
            assert_int_equal(sscanf(s++, "%2x", &x), 1);
            putn(b, x, 1);
        }
    }
}

static inline void tcp_seg(struct buf *b, uint16_t sp, uint16_t dp, uint32_t seq, uint8_t flags,
                           uint8_t doff, const char *payload)
{
    putn(b, (uint32_t)sp << 16 | dp, 4);
    putn(b, seq, 4);
    putn(b, 0, 4); /* ack */
    putn(b, (uint32_t)doff << 12 | flags, 2);
    putn(b, 65535, 2); /* window */
    putn(b, 0, 4);     /* checksum, urgent pointer */
    if (doff > 5) fill(b, 1 /* NOP */, (doff - 5u) * 4u);
    puts_(b, payload);
}

static inline void udp_dgram(struct buf *b, uint16_t sp, uint16_t dp, const char *payload)
{
    putn(b, (uint32_t)sp << 16 | dp, 4);
    putn(b, (uint32_t)(8 + strlen(payload)) << 16, 4); /* length, checksum 0 */
    puts_(b, payload);
}

static inline void icmp_echo(struct buf *b, const char *payload)
{
    hex(b, "08000000 00010001", NULL); /* echo request, id 1, seq 1 */
    puts_(b, payload);
}

/* RFC 791 header; frag is the flags+offset field; every option word beyond
 * IHL 5 is a Router Alert (RFC 2113). */
static inline void ip4x(struct buf *b, uint8_t ihl, uint8_t proto, const uint8_t src[4],
                        const uint8_t dst[4], uint16_t frag, const struct buf *l4)
{
    putn(b, 0x4000u | (uint32_t)ihl << 8, 2);
    putn(b, 4u * ihl + l4->n, 2);
    putn(b, (uint32_t)0x1234 << 16 | frag, 4);
    putn(b, (uint32_t)64 << 24 | (uint32_t)proto << 16, 4); /* TTL, proto, checksum 0 */
    put(b, src, 4);
    put(b, dst, 4);
    for (int i = 5; i < ihl; i++)
        putn(b, 0x94040000, 4);
    put(b, l4->d, l4->n);
}

static inline void ip4(struct buf *b, uint8_t proto, const uint8_t src[4], const uint8_t dst[4],
                       uint16_t frag, const struct buf *l4)
{
    ip4x(b, 5, proto, src, dst, frag, l4);
}

static inline void ip6(struct buf *b, uint8_t next, const uint8_t src[16], const uint8_t dst[16],
                       const struct buf *rest)
{
    putn(b, 0x60000000, 4);
    putn(b, rest->n << 16 | (uint32_t)next << 8 | 64, 4);
    put(b, src, 16);
    put(b, dst, 16);
    put(b, rest->d, rest->n);
}

/* RFC 8200 4.3-4.6 generic extension header: next, length in 8-octet units
 * beyond the first, zero options (Pad) / routing type 0 with no segments. */
static inline void ext6(struct buf *b, uint8_t next, uint8_t len8)
{
    putn(b, (uint32_t)next << 8 | len8, 2);
    fill(b, 0, 6u + 8u * len8);
}

static inline void frag6(struct buf *b, uint8_t next, uint16_t offset8, int more)
{
    putn(b, (uint32_t)next << 24 | (uint32_t)offset8 << 3 | (more ? 1 : 0), 4);
    putn(b, 0xCAFE, 4); /* identification */
}

/* The reference flow: A:40000 -> B:443, PSH|ACK, seq 0x01020304. */
static inline void std_tcp(struct buf *ip, int v6)
{
    struct buf l4 = {0};
    tcp_seg(&l4, 40000, 443, 0x01020304, TCP_PSH | TCP_ACK, 5, PAYLOAD);
    if (v6)
        ip6(ip, 6, A6, B6, &l4);
    else
        ip4(ip, 6, A4, B4, 0, &l4);
}

#define MACS "001122334455 66778899aabb "
#define ETH MACS "E"
#define VLAN MACS "8100 2064 E" /* 802.1Q, PCP 1, VLAN 100 */
#define RAW ""
/* radiotap v0, length 9, present = Flags, flags 0 (offset 8); 802.11 QoS
 * data to the DS (offset 9): fc, duration, 3 addresses, sequence, QoS
 * control; LLC/SNAP (offset 35) */
#define RADIOTAP                                                                                   \
    "0000 0900 02000000 00 8801 0000 222222222222 333333333333 444444444444 0010 0000 "            \
    "aaaa03 000000 E"

/* Appends link-layer framing then the IP packet; returns the L3 offset. */
static inline uint32_t wrap(const char *framing, const struct buf *ip, struct buf *f)
{
    hex(f, framing, ip);
    uint32_t l3 = f->n;
    put(f, ip->d, ip->n);
    return l3;
}

/* ---- decoding on an exact-size copy ---------------------------------- */

struct dres {
    enum decode_result r;
    struct packet p; /* l3/payload pointers cleared; use the offsets */
    uint32_t l3_off, pl_off;
};

static inline struct dres run(int dlt, const uint8_t *data, uint32_t len)
{
    struct dres d;
    uint8_t *copy = malloc(len);
    assert_true(copy != NULL || len == 0);
    if (len) memcpy(copy, data, len);
    memset(&d, 0, sizeof(d));
    memset(&d.p, 0xA5, sizeof(d.p)); /* fields decode must reset are not left stale */
    d.r = decode_packet(dlt, copy, len, &d.p);
    assert_true((int)d.r >= 0 && d.r < DECODE_RESULT_MAX);
    if (d.r == DECODE_OK) {
        assert_true(d.p.l3 >= copy && d.p.l3 + d.p.l3_len == copy + len);
        d.l3_off = (uint32_t)(d.p.l3 - copy);
        if (d.p.payload_len) {
            assert_true(d.p.payload >= d.p.l3 && d.p.payload + d.p.payload_len <= copy + len);
            volatile uint8_t sum = 0;
            for (uint32_t i = 0; i < d.p.payload_len; i++)
                sum ^= d.p.payload[i];
            (void)sum;
        }
        d.pl_off = (uint32_t)(d.p.payload - copy);
    }
    d.p.l3 = d.p.payload = NULL;
    free(copy);
    return d;
}

/* Decodes a whole frame and, when it decodes, every prefix of it: a frame
 * cut at any length is short (never malformed), is never read past its
 * end, and reports no flow before its IP header is complete. */
static inline struct dres run_buf(int dlt, const struct buf *f)
{
    struct dres full = run(dlt, f->d, f->n);
    if (full.r != DECODE_OK) return full;
    uint32_t ip_end = full.l3_off + (full.p.ip_version == 6 ? 40u : 20u);
    for (uint32_t len = 0; len < f->n; len++) {
        struct dres d = run(dlt, f->d, len);
        assert_true(d.r == DECODE_OK || d.r == DECODE_TRUNCATED || d.r == DECODE_NOT_IP);
        if (len < ip_end) assert_int_not_equal(d.r, DECODE_OK);
        if (d.r == DECODE_OK) assert_true(d.p.payload_len <= full.p.payload_len);
    }
    return full;
}

static inline void expect_addr4(const uint8_t addr[16], const uint8_t v4[4])
{
    static const uint8_t mapped[12] = {[10] = 0xFF, [11] = 0xFF};
    assert_memory_equal(addr, mapped, 12);
    assert_memory_equal(addr + 12, v4, 4);
}

static inline void expect_l4(const struct dres *d, uint8_t proto, uint16_t port0, uint16_t port1,
                             uint32_t pl_off, uint32_t pl_len)
{
    assert_int_equal(d->r, DECODE_OK);
    assert_int_equal(d->p.key.proto, proto);
    assert_int_equal(d->p.key.port[0], port0);
    assert_int_equal(d->p.key.port[1], port1);
    assert_int_equal(d->pl_off, pl_off);
    assert_int_equal(d->p.payload_len, pl_len);
}

/* The reference flow: B:443 is key endpoint 0, A (the sender) is 1. */
static inline void expect_std_tcp(const struct buf *f, const struct dres *d, uint32_t l3, int v6)
{
    assert_int_equal(d->r, DECODE_OK);
    assert_int_equal(d->p.key.family, v6 ? 6 : 4);
    assert_int_equal(d->p.ip_version, v6 ? 6 : 4);
    assert_int_equal(d->p.key.proto, 6);
    if (v6) assert_memory_equal(d->p.key.addr[0], B6, 16);
    if (v6) assert_memory_equal(d->p.key.addr[1], A6, 16);
    if (!v6) expect_addr4(d->p.key.addr[0], B4);
    if (!v6) expect_addr4(d->p.key.addr[1], A4);
    assert_int_equal(d->p.key.port[0], 443);
    assert_int_equal(d->p.key.port[1], 40000);
    assert_int_equal(d->p.dir, 1);
    assert_int_equal(d->l3_off, l3);
    assert_int_equal(d->p.l3_len, f->n - l3);
    assert_int_equal(d->p.tcp_flags, TCP_PSH | TCP_ACK);
    assert_int_equal(d->p.tcp_seq, 0x01020304);
    assert_int_equal(d->p.first_fragment, 0);
    assert_int_equal(d->pl_off, l3 + (v6 ? 40 : 20) + 20);
    assert_int_equal(d->p.payload_len, PAYLOAD_LEN);
    assert_memory_equal(f->d + d->pl_off, PAYLOAD, PAYLOAD_LEN);
}

#endif

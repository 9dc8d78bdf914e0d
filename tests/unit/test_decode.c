/* decode.c: every supported link type, IPv4/IPv6 transport decoding,
 * fragments, tunnels, canonical keys, and every error kind. Frames are built
 * byte by byte here. Each decode runs on an exact-size heap copy so that the
 * ASan build catches any read past caplen, and every frame that decodes is
 * decoded again cut at each shorter length (see run_buf). */
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

static void put(struct buf *b, const void *p, uint32_t n)
{
    assert_true(b->n + n <= sizeof(b->d));
    memcpy(b->d + b->n, p, n);
    b->n += n;
}

/* Big-endian integer of n bytes. */
static void putn(struct buf *b, uint32_t v, int n)
{
    while (n--) {
        uint8_t x = (uint8_t)(v >> (8 * n));
        put(b, &x, 1);
    }
}

static void fill(struct buf *b, uint8_t v, uint32_t n)
{
    while (n--)
        put(b, &v, 1);
}

static void puts_(struct buf *b, const char *s)
{
    put(b, s, (uint32_t)strlen(s));
}

/* Appends hex bytes (spaces ignored). Letters stand for fields that depend
 * on the IP packet ip that follows: E ethertype, P PPP protocol, F/G BSD
 * address family in little/big endian, L 802.3 length, N PPPoE length. */
static void hex(struct buf *b, const char *s, const struct buf *ip)
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

static void tcp_seg(struct buf *b, uint16_t sp, uint16_t dp, uint32_t seq, uint8_t flags,
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

static void udp_dgram(struct buf *b, uint16_t sp, uint16_t dp, const char *payload)
{
    putn(b, (uint32_t)sp << 16 | dp, 4);
    putn(b, (uint32_t)(8 + strlen(payload)) << 16, 4); /* length, checksum 0 */
    puts_(b, payload);
}

static void icmp_echo(struct buf *b, const char *payload)
{
    hex(b, "08000000 00010001", NULL); /* echo request, id 1, seq 1 */
    puts_(b, payload);
}

/* RFC 791 header; frag is the flags+offset field; every option word beyond
 * IHL 5 is a Router Alert (RFC 2113). */
static void ip4x(struct buf *b, uint8_t ihl, uint8_t proto, const uint8_t src[4],
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

static void ip4(struct buf *b, uint8_t proto, const uint8_t src[4], const uint8_t dst[4],
                uint16_t frag, const struct buf *l4)
{
    ip4x(b, 5, proto, src, dst, frag, l4);
}

static void ip6(struct buf *b, uint8_t next, const uint8_t src[16], const uint8_t dst[16],
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
static void ext6(struct buf *b, uint8_t next, uint8_t len8)
{
    putn(b, (uint32_t)next << 8 | len8, 2);
    fill(b, 0, 6u + 8u * len8);
}

static void frag6(struct buf *b, uint8_t next, uint16_t offset8, int more)
{
    putn(b, (uint32_t)next << 24 | (uint32_t)offset8 << 3 | (more ? 1 : 0), 4);
    putn(b, 0xCAFE, 4); /* identification */
}

/* The reference flow: A:40000 -> B:443, PSH|ACK, seq 0x01020304. */
static void std_tcp(struct buf *ip, int v6)
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

static const struct link_case {
    const char *name;
    int dlt;
    int versions; /* bit 0: IPv4, bit 1: IPv6 */
    uint16_t vlan;
    const char *framing; /* see hex() */
} links[] = {
    {"ethernet", DLT_EN10MB, 3, 0, ETH},
    {"802.1Q", DLT_EN10MB, 3, 100, VLAN},
    /* 802.1ad S-tag 10, then C-tag 200: the inner id is the flow's */
    {"QinQ", DLT_EN10MB, 3, 200, MACS "88a8 000a 8100 e0c8 E"},
    {"LLC/SNAP", DLT_EN10MB, 3, 0, MACS "L aaaa03 000000 E"},
    /* labels 16000 and 17000 (bottom of stack), TTL 64 */
    {"MPLS", DLT_EN10MB, 3, 0, MACS "8847 03e80040 04268140"},
    /* ver/type 1/1, code 0 (session data), session 0x42, length, PPP protocol */
    {"PPPoE", DLT_EN10MB, 3, 0, MACS "8864 1100 0042 N P"},
    /* packet type, ARPHRD_ETHER, address length, address[8], protocol */
    {"SLL", DLT_LINUX_SLL, 3, 0, "0000 0001 0006 5a5a5a5a5a5a0000 E"},
    /* protocol, reserved, ifindex, ARPHRD_ETHER, packet type, addr len, addr[8] */
    {"SLL2", DLT_SLL2_, 3, 0, "E 0000 00000003 0001 00 06 5a5a5a5a5a5a0000"},
    {"raw", DLT_RAW, 3, 0, RAW},
    {"ipv4", DLT_IPV4, 1, 0, RAW},
    {"ipv6", DLT_IPV6, 2, 0, RAW},
    {"null", DLT_NULL, 3, 0, "F"},
    {"loop", DLT_LOOP, 3, 0, "G"},
    {"PPP", DLT_PPP, 3, 0, "ff03 P"},
    {"PPP without address/control", DLT_PPP, 3, 0, "P"},
    {"PPP serial", DLT_PPP_SERIAL, 3, 0, "ff03 P"},
    {"Cisco HDLC", DLT_C_HDLC, 3, 0, "0f00 E"},
    /* multicast address, MPLS unicast, label 42 bottom of stack */
    {"MPLS in Cisco HDLC", DLT_C_HDLC, 3, 0, "8f00 8847 0002a140"},
    {"radiotap 802.11", DLT_IEEE802_11_RADIO, 3, 0, RADIOTAP},
    /* four-address (WDS) QoS data: to and from the DS, a fourth address */
    {"radiotap 802.11 WDS", DLT_IEEE802_11_RADIO, 3, 0,
     "0000 0800 00000000 8803 0000 222222222222 333333333333 444444444444 0010 "
     "555555555555 0000 aaaa03 000000 E"},
};
#define N_LINKS (int)(sizeof(links) / sizeof(links[0]))

/* Appends link-layer framing then the IP packet; returns the L3 offset. */
static uint32_t wrap(const char *framing, const struct buf *ip, struct buf *f)
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

static struct dres run(int dlt, const uint8_t *data, uint32_t len)
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
static struct dres run_buf(int dlt, const struct buf *f)
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

static void expect_addr4(const uint8_t addr[16], const uint8_t v4[4])
{
    static const uint8_t mapped[12] = {[10] = 0xFF, [11] = 0xFF};
    assert_memory_equal(addr, mapped, 12);
    assert_memory_equal(addr + 12, v4, 4);
}

static void expect_l4(const struct dres *d, uint8_t proto, uint16_t port0, uint16_t port1,
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
static void expect_std_tcp(const struct buf *f, const struct dres *d, uint32_t l3, int v6)
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

/* ---- link layers ----------------------------------------------------- */

static void test_every_link_type(void **state)
{
    (void)state;
    for (int l = 0; l < N_LINKS; l++) {
        assert_true(decode_linktype_supported(links[l].dlt));
        for (int v6 = 0; v6 < 2; v6++) {
            if (!(links[l].versions & (1 << v6))) continue;
            struct buf ip = {0}, f = {0};
            std_tcp(&ip, v6);
            uint32_t l3 = wrap(links[l].framing, &ip, &f);
            struct dres d = run_buf(links[l].dlt, &f);
            print_message("%s IPv%d: %s\n", links[l].name, v6 ? 6 : 4, decode_result_name(d.r));
            expect_std_tcp(&f, &d, l3, v6);
            assert_int_equal(d.p.key.vlan, links[l].vlan);
        }
    }
}

static void test_radiotap_rejects(void **state)
{
    (void)state;
    struct buf ip = {0}, f = {0};
    std_tcp(&ip, 0);
    wrap(RADIOTAP, &ip, &f);
    f.d[8] = 0x40; /* radiotap Flags: bad FCS */
    assert_int_equal(run_buf(DLT_IEEE802_11_RADIO, &f).r, DECODE_MALFORMED);
    f.d[8] = 0;
    f.d[9] = 0x80; /* beacon: management frame, not data */
    assert_int_equal(run_buf(DLT_IEEE802_11_RADIO, &f).r, DECODE_NOT_IP);
    f.d[9] = 0x88;
    assert_int_equal(run_buf(DLT_IEEE802_11_RADIO, &f).r, DECODE_OK);
    f.d[9 + 26] = 0x42; /* 802.2 LLC to the STP SAP, not SNAP */
    assert_int_equal(run_buf(DLT_IEEE802_11_RADIO, &f).r, DECODE_NOT_IP);
}

static void test_not_ip_and_unsupported(void **state)
{
    (void)state;
    struct buf f = {0};
    hex(&f, MACS "0806 0001 0800 06 04 0001", NULL); /* ARP request */
    fill(&f, 0, 20);
    assert_int_equal(run_buf(DLT_EN10MB, &f).r, DECODE_NOT_IP);

    struct buf p = {0};
    hex(&p, MACS "8864 1100 0001 0006 c021 01010004", NULL); /* PPPoE carrying LCP */
    assert_int_equal(run_buf(DLT_EN10MB, &p).r, DECODE_NOT_IP);

    struct buf ip = {0}, g = {0};
    std_tcp(&ip, 0);
    wrap(RAW, &ip, &g);
    for (int dlt = -1; dlt < 300; dlt++) {
        int supported = decode_linktype_supported(dlt);
        if (!supported) assert_int_equal(run_buf(dlt, &g).r, DECODE_UNSUPPORTED);
    }
    assert_false(decode_linktype_supported(105)); /* 802.11 without radiotap */
}

/* ---- IPv4 ------------------------------------------------------------- */

static struct dres eth_ip4(uint8_t proto, uint16_t frag, const struct buf *l4, struct buf *f)
{
    struct buf ip = {0};
    memset(f, 0, sizeof(*f));
    ip4(&ip, proto, A4, B4, frag, l4);
    wrap(ETH, &ip, f);
    return run_buf(DLT_EN10MB, f);
}

static void test_ipv4_udp_and_options(void **state)
{
    (void)state;
    for (uint8_t ihl = 5; ihl <= 6; ihl++) {
        struct buf l4 = {0}, ip = {0}, f = {0};
        udp_dgram(&l4, 5353, 53, PAYLOAD);
        ip4x(&ip, ihl, 17, A4, B4, 0, &l4);
        uint32_t l3 = wrap(ETH, &ip, &f);
        struct dres d = run_buf(DLT_EN10MB, &f);
        expect_l4(&d, 17, 53, 5353, l3 + 4u * ihl + 8, PAYLOAD_LEN);
        assert_int_equal(d.p.tcp_flags, 0);
    }
}

static void test_icmp_gre_sctp(void **state)
{
    (void)state;
    struct buf l4 = {0}, f = {0};
    icmp_echo(&l4, PAYLOAD);
    struct dres d = eth_ip4(1, 0, &l4, &f);
    expect_l4(&d, 1, 0, 0, 14 + 20 + 8, PAYLOAD_LEN); /* ICMP: no ports */

    struct buf gre = {0}, g = {0};
    hex(&gre, "0000 0800", NULL); /* GRE, no options, carrying IPv4 */
    puts_(&gre, PAYLOAD);
    d = eth_ip4(47, 0, &gre, &g);
    expect_l4(&d, 47, 0, 0, 14 + 20, 4 + PAYLOAD_LEN); /* no L4 header is parsed */

    struct buf sctp = {0}, sf = {0};
    hex(&sctp, "0b59 0b59 00000001 00000000", NULL); /* SCTP common header, port 2905 */
    puts_(&sctp, PAYLOAD);
    d = eth_ip4(132, 0, &sctp, &sf);
    expect_l4(&d, 132, 2905, 2905, 14 + 20 + 12, PAYLOAD_LEN);

    struct buf l6 = {0}, ip6b = {0}, h = {0};
    icmp_echo(&l6, PAYLOAD);
    l6.d[0] = 128; /* ICMPv6 echo request */
    ip6(&ip6b, 58, A6, B6, &l6);
    wrap(ETH, &ip6b, &h);
    d = run_buf(DLT_EN10MB, &h);
    expect_l4(&d, 58, 0, 0, 14 + 40 + 8, PAYLOAD_LEN);
}

static void test_ipv4_ethernet_padding(void **state)
{
    (void)state;
    struct buf l4 = {0}, ip = {0}, f = {0};
    tcp_seg(&l4, 40000, 443, 1, TCP_ACK, 5, "");
    ip4(&ip, 6, A4, B4, 0, &l4);
    wrap(ETH, &ip, &f);
    fill(&f, 0xEE, 6); /* 54-byte frame padded to the 60-byte minimum */
    struct dres d = run_buf(DLT_EN10MB, &f);
    expect_l4(&d, 6, 443, 40000, 14 + 20 + 20, 0);
    assert_int_equal(d.p.l3_len, 20 + 20 + 6);
}

static void test_ipv4_fragments(void **state)
{
    (void)state;
    struct buf l4 = {0}, f = {0};
    udp_dgram(&l4, 5353, 53, PAYLOAD);
    struct dres d = eth_ip4(17, 0x2000, &l4, &f); /* MF, offset 0 */
    expect_l4(&d, 17, 53, 5353, 14 + 20 + 8, PAYLOAD_LEN);
    assert_int_equal(d.p.first_fragment, 1);

    assert_int_equal(eth_ip4(17, 0x2000 | 185, &l4, &f).r, DECODE_FRAGMENT); /* middle */
    assert_int_equal(eth_ip4(17, 185, &l4, &f).r, DECODE_FRAGMENT);          /* last */
    d = eth_ip4(17, 0x4000, &l4, &f); /* DF only: not a fragment */
    assert_int_equal(d.r, DECODE_OK);
    assert_int_equal(d.p.first_fragment, 0);
}

static void test_ipv4_malformed(void **state)
{
    (void)state;
    struct buf ip = {0}, f = {0};
    std_tcp(&ip, 0);
    uint32_t l3 = wrap(ETH, &ip, &f);

    f.d[l3 + 2] = 0, f.d[l3 + 3] = 16; /* total length < IHL */
    assert_int_equal(run_buf(DLT_EN10MB, &f).r, DECODE_MALFORMED);
    f.d[l3 + 3] = (uint8_t)ip.n;
    f.d[l3 + 20 + 12] = 4 << 4; /* TCP data offset 4 */
    assert_int_equal(run_buf(DLT_EN10MB, &f).r, DECODE_MALFORMED);
    f.d[l3 + 20 + 12] = 15 << 4; /* 60-byte TCP header in a 32-byte segment */
    assert_int_equal(run_buf(DLT_EN10MB, &f).r, DECODE_MALFORMED);
    f.d[l3 + 20 + 12] = 5 << 4;
    assert_int_equal(run_buf(DLT_EN10MB, &f).r, DECODE_OK);

    /* IHL below 5 words; GRE so that nothing after IP could object. */
    struct buf gre = {0}, gf = {0};
    fill(&gre, 0, 40);
    assert_int_equal(eth_ip4(47, 0, &gre, &gf).r, DECODE_OK);
    for (uint8_t ihl = 0; ihl < 5; ihl++) {
        gf.d[14] = (uint8_t)(0x40 | ihl);
        assert_int_equal(run_buf(DLT_EN10MB, &gf).r, DECODE_MALFORMED);
    }

    struct buf l4 = {0}, g = {0};
    hex(&l4, "14e9 0035", NULL); /* 4 bytes of UDP: IP says the datagram is shorter than 8 */
    assert_int_equal(eth_ip4(17, 0, &l4, &g).r, DECODE_MALFORMED);

    struct buf ip2 = {0}, h = {0};
    std_tcp(&ip2, 0);
    l3 = wrap(ETH, &ip2, &h);
    h.d[l3] = 0x55; /* version 5 behind ethertype IPv4 */
    assert_int_not_equal(run_buf(DLT_EN10MB, &h).r, DECODE_OK);
}

/* ---- IPv6 ------------------------------------------------------------- */

static void test_ipv6_extension_headers(void **state)
{
    (void)state;
    for (int udp = 0; udp < 2; udp++) {
        struct buf rest = {0}, ip = {0}, f = {0};
        ext6(&rest, 43, 0); /* hop-by-hop -> routing */
        ext6(&rest, 51, 0); /* routing -> AH */
        /* AH (RFC 4302) -> destination options; 24 bytes: 4-octet units - 2 */
        hex(&rest, "3c04 3333 33333333 33333333 333333333333333333333333", NULL);
        ext6(&rest, udp ? 17 : 6, 1); /* 16-byte destination options */
        if (udp) udp_dgram(&rest, 5353, 53, PAYLOAD);
        if (!udp) tcp_seg(&rest, 40000, 443, 7, TCP_SYN | 0xC0 /* ECE, CWR */, 5, PAYLOAD);
        ip6(&ip, 0, A6, B6, &rest);
        uint32_t l3 = wrap(ETH, &ip, &f);
        struct dres d = run_buf(DLT_EN10MB, &f);
        expect_l4(&d, udp ? 17 : 6, udp ? 53 : 443, udp ? 5353 : 40000,
                  l3 + 40 + 8 + 8 + 24 + 16 + (udp ? 8 : 20), PAYLOAD_LEN);
        assert_int_equal(d.p.tcp_flags, udp ? 0 : TCP_SYN | 0xC0);
        assert_int_equal(d.l3_off, l3);
    }
}

static struct dres ip6_frag(uint16_t offset8, int more, struct buf *f)
{
    struct buf rest = {0}, ip = {0};
    memset(f, 0, sizeof(*f));
    frag6(&rest, 17, offset8, more);
    udp_dgram(&rest, 5353, 53, PAYLOAD);
    ip6(&ip, 44, A6, B6, &rest);
    wrap(ETH, &ip, f);
    return run_buf(DLT_EN10MB, f);
}

static void test_ipv6_fragments(void **state)
{
    (void)state;
    struct buf f = {0};
    struct dres d = ip6_frag(0, 1, &f);
    expect_l4(&d, 17, 53, 5353, 14 + 40 + 8 + 8, PAYLOAD_LEN);
    assert_int_equal(d.p.first_fragment, 1);
    assert_int_equal(ip6_frag(100, 1, &f).r, DECODE_FRAGMENT);
    assert_int_equal(ip6_frag(100, 0, &f).r, DECODE_FRAGMENT);
    d = ip6_frag(0, 0, &f); /* atomic fragment (RFC 6946) */
    assert_int_equal(d.r, DECODE_OK);
    assert_int_equal(d.p.first_fragment, 0);
}

/* ---- tunnels ------------------------------------------------------------ */

/* The reference packet inside an outer IPv4 (IHL ihl) or IPv6 header. */
static void check_tunnel(int outer_v6, uint8_t ihl, int inner_v6)
{
    static const uint8_t o1[4] = {203, 0, 113, 1}, o2[4] = {203, 0, 113, 2};
    struct buf inner = {0}, outer = {0}, f = {0};
    uint8_t proto = inner_v6 ? 41 : 4;
    std_tcp(&inner, inner_v6);
    if (outer_v6) ip6(&outer, proto, B6, A6, &inner);
    if (!outer_v6) ip4x(&outer, ihl, proto, o1, o2, 0, &inner);
    uint32_t l3 = wrap(ETH, &outer, &f);
    struct dres d = run_buf(DLT_EN10MB, &f);
    expect_std_tcp(&f, &d, l3 + (outer_v6 ? 40u : 4u * ihl), inner_v6);
}

static void test_ip_in_ip(void **state)
{
    (void)state;
    check_tunnel(0, 5, 0); /* IP-in-IP, protocol 4 */
    check_tunnel(0, 5, 1); /* IPv6-in-IPv4, protocol 41 */
    check_tunnel(0, 6, 1); /* outer options: the inner header starts after them */
    check_tunnel(1, 0, 0);
    check_tunnel(1, 0, 1);
}

static void test_tunnel_depth_limit(void **state)
{
    (void)state;
    struct buf ip = {0};
    std_tcp(&ip, 0);
    for (int i = 0; i < 6; i++) {
        struct buf outer = {0};
        ip4(&outer, 4, A4, B4, 0, &ip);
        ip = outer;
    }
    assert_int_equal(run_buf(DLT_RAW, &ip).r, DECODE_UNSUPPORTED);
}

/* ---- keys, snaplen ------------------------------------------------- */

static void test_canonical_key(void **state)
{
    (void)state;
    struct buf l4a = {0}, l4b = {0}, fa = {0}, fb = {0}, ipb = {0};
    tcp_seg(&l4a, 40000, 443, 1, TCP_SYN, 5, "");
    tcp_seg(&l4b, 443, 40000, 9, TCP_SYN | TCP_ACK, 5, "");
    struct dres a = eth_ip4(6, 0, &l4a, &fa);
    ip4(&ipb, 6, B4, A4, 0, &l4b);
    wrap(ETH, &ipb, &fb);
    struct dres b = run_buf(DLT_EN10MB, &fb);
    assert_int_equal(a.r, DECODE_OK);
    assert_int_equal(b.r, DECODE_OK);
    assert_memory_equal(&a.p.key, &b.p.key, sizeof(a.p.key));
    assert_int_equal(a.p.dir, 1);
    assert_int_equal(b.p.dir, 0);

    /* Same address both ways: ports decide the order. */
    struct flow_key k;
    memset(&k, 0, sizeof(k));
    k.addr[0][15] = k.addr[1][15] = 1;
    k.port[0] = 5000;
    k.port[1] = 80;
    uint8_t dir = 9;
    flow_key_canonicalize(&k, &dir);
    assert_int_equal(dir, 1);
    assert_int_equal(k.port[0], 80);
    assert_int_equal(k.port[1], 5000);
    flow_key_canonicalize(&k, &dir);
    assert_int_equal(dir, 0);
    assert_int_equal(k.port[0], 80);
}

static void test_snaplen_truncated_payload(void **state)
{
    (void)state;
    for (int v6 = 0; v6 < 2; v6++) {
        struct buf ip = {0}, f = {0};
        std_tcp(&ip, v6);
        uint32_t l3 = wrap(ETH, &ip, &f);
        uint32_t hdrs = l3 + (v6 ? 40 : 20) + 20;
        struct dres d = run(DLT_EN10MB, f.d, hdrs + 5); /* 5 payload bytes captured */
        assert_int_equal(d.r, DECODE_OK);
        assert_int_equal(d.pl_off, hdrs);
        assert_int_equal(d.p.payload_len, 5);
        assert_int_equal(d.p.tcp_seq, 0x01020304);
        d = run(DLT_EN10MB, f.d, hdrs); /* headers only */
        assert_int_equal(d.r, DECODE_OK);
        assert_int_equal(d.p.payload_len, 0);
    }
}

static void test_result_names(void **state)
{
    (void)state;
    assert_string_equal(decode_result_name(DECODE_OK), "ok");
    assert_string_equal(decode_result_name(DECODE_TRUNCATED), "truncated");
    assert_string_equal(decode_result_name(DECODE_UNSUPPORTED), "unsupported");
    assert_string_equal(decode_result_name(DECODE_RESULT_MAX), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_link_type),
        cmocka_unit_test(test_radiotap_rejects),
        cmocka_unit_test(test_not_ip_and_unsupported),
        cmocka_unit_test(test_ipv4_udp_and_options),
        cmocka_unit_test(test_icmp_gre_sctp),
        cmocka_unit_test(test_ipv4_ethernet_padding),
        cmocka_unit_test(test_ipv4_fragments),
        cmocka_unit_test(test_ipv4_malformed),
        cmocka_unit_test(test_ipv6_extension_headers),
        cmocka_unit_test(test_ipv6_fragments),
        cmocka_unit_test(test_ip_in_ip),
        cmocka_unit_test(test_tunnel_depth_limit),
        cmocka_unit_test(test_canonical_key),
        cmocka_unit_test(test_snaplen_truncated_payload),
        cmocka_unit_test(test_result_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* decode.c, IP and transport: IPv4 with options, UDP, ICMP, GRE, SCTP,
 * Ethernet padding, fragments, malformed headers, IPv6 extension headers
 * and fragments, IP-in-IP tunnels and their depth limit, canonical keys,
 * payload cut by the snap length. Link layers: test_decode.c. */
#include "test_decode_frames.h"

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
    hex(&gre, "0000 880b", NULL); /* GRE carrying PPP: not decapsulated */
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

/* Segmentation offload: a host captures its own segments before the NIC
 * splits them, with IP length 0. The captured length is the datagram's;
 * counted as offloaded, never malformed (and a cut one is truncated). */
static void test_offloaded_segments(void **state)
{
    (void)state;
    for (int v6 = 0; v6 <= 1; v6++) {
        struct buf ip = {0}, f = {0};
        std_tcp(&ip, v6);
        uint32_t l3 = wrap(ETH, &ip, &f);
        struct dres d = run_buf(DLT_EN10MB, &f);
        assert_int_equal(d.p.offloaded, 0);
        f.d[l3 + (v6 ? 4 : 2)] = 0, f.d[l3 + (v6 ? 5 : 3)] = 0;
        d = run_buf(DLT_EN10MB, &f);
        expect_std_tcp(&f, &d, l3, v6);
        assert_int_equal(d.p.offloaded, 1);
        /* Cut inside the TCP header: short, not impossible. */
        d = run(DLT_EN10MB, f.d, l3 + (v6 ? 40u : 20u) + 10u);
        assert_int_equal(d.r, DECODE_TRUNCATED);
    }
    /* An IPv6 jumbogram (RFC 2675) also says 0: its length is real, not offloaded. */
    struct buf l4 = {0}, hbh = {0}, ip = {0}, f = {0};
    tcp_seg(&l4, 40000, 443, 1, TCP_ACK, 5, PAYLOAD);
    hex(&hbh, "06 00 C2 04 00010000", NULL); /* next TCP, 8 bytes, Jumbo Payload */
    put(&hbh, l4.d, l4.n);
    ip6(&ip, 0, A6, B6, &hbh);
    uint32_t l3 = wrap(ETH, &ip, &f);
    f.d[l3 + 4] = 0, f.d[l3 + 5] = 0;
    struct dres d = run_buf(DLT_EN10MB, &f);
    assert_int_equal(d.r, DECODE_OK);
    assert_int_equal(d.p.offloaded, 0);
    assert_int_equal(d.p.payload_len, PAYLOAD_LEN);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_udp_and_options),
        cmocka_unit_test(test_icmp_gre_sctp),
        cmocka_unit_test(test_ipv4_ethernet_padding),
        cmocka_unit_test(test_ipv4_fragments),
        cmocka_unit_test(test_ipv4_malformed),
        cmocka_unit_test(test_offloaded_segments),
        cmocka_unit_test(test_ipv6_extension_headers),
        cmocka_unit_test(test_ipv6_fragments),
        cmocka_unit_test(test_ip_in_ip),
        cmocka_unit_test(test_tunnel_depth_limit),
        cmocka_unit_test(test_canonical_key),
        cmocka_unit_test(test_snaplen_truncated_payload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

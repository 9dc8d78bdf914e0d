/* decode.c and tunnel.c, tunnels over GRE and UDP: GRE with its optional
 * words (RFC 2784/2890) carrying IPv4, IPv6, Ethernet or ERSPAN, VXLAN
 * (RFC 7348), GTP-U G-PDUs with their optional fields and extension
 * headers (TS 29.281), Teredo with its indicators (RFC 4380); what stays
 * an outer flow, malformed inner packets, the nesting limit. Every frame
 * that decodes is also decoded cut at each shorter length (run_buf). */
#include "test_decode_frames.h"

static const uint8_t O1[4] = {203, 0, 113, 1}, O2[4] = {203, 0, 113, 2};

/* hdr (hex) then the IP packet inner, after a UDP header sp -> dp (or
 * after nothing else for GRE: proto 47), in an outer IPv4 in Ethernet. */
static uint32_t tunnel_frame(uint8_t proto, uint16_t sp, uint16_t dp, const char *hdr,
                             const struct buf *inner, struct buf *f)
{
    struct buf l4 = {0}, body = {0}, outer = {0};
    hex(&body, hdr, inner);
    uint32_t in_off = body.n;
    put(&body, inner->d, inner->n);
    if (proto == 17) {
        putn(&l4, (uint32_t)sp << 16 | dp, 4);
        putn(&l4, (8 + body.n) << 16, 4);
        in_off += 8;
    }
    put(&l4, body.d, body.n);
    ip4(&outer, proto, O1, O2, 0, &l4);
    memset(f, 0, sizeof(*f));
    return wrap(ETH, &outer, f) + 20 + in_off;
}

/* The reference TCP packet (IPv4 or IPv6) through hdr: the inner flow. */
static void expect_inner(uint8_t proto, uint16_t sp, uint16_t dp, const char *hdr, int v6)
{
    struct buf ip = {0}, f = {0};
    std_tcp(&ip, v6);
    uint32_t l3 = tunnel_frame(proto, sp, dp, hdr, &ip, &f);
    struct dres d = run_buf(DLT_EN10MB, &f);
    expect_std_tcp(&f, &d, l3, v6);
    assert_int_equal(d.p.decapsulated, 1);
}

/* hdr does not make a tunnel: the outer packet is the flow. */
static void expect_outer(uint8_t proto, uint16_t sp, uint16_t dp, const char *hdr)
{
    struct buf ip = {0}, f = {0};
    std_tcp(&ip, 0);
    tunnel_frame(proto, sp, dp, hdr, &ip, &f);
    struct dres d = run_buf(DLT_EN10MB, &f);
    assert_int_equal(d.r, DECODE_OK);
    assert_int_equal(d.p.key.proto, proto);
    expect_addr4(d.p.key.addr[0], O1);
    assert_int_equal(d.l3_off, 14);
    assert_int_equal(d.p.decapsulated, 0);
}

static enum decode_result result_of(uint8_t proto, uint16_t sp, uint16_t dp, const char *hdr,
                                    const struct buf *inner)
{
    struct buf f = {0};
    tunnel_frame(proto, sp, dp, hdr, inner, &f);
    return run(DLT_EN10MB, f.d, f.n).r;
}

static void test_gre(void **state)
{
    (void)state;
    for (int v6 = 0; v6 < 2; v6++) {
        expect_inner(47, 0, 0, "0000 E", v6);
        expect_inner(47, 0, 0, "8000 E 12340000", v6);                   /* checksum */
        expect_inner(47, 0, 0, "2000 E 0000002a", v6);                   /* key */
        expect_inner(47, 0, 0, "1000 E 00000007", v6);                   /* sequence */
        expect_inner(47, 0, 0, "b000 E 12340000 0000002a 00000007", v6); /* all three */
    }
    /* Transparent Ethernet bridging: an Ethernet frame, VLAN tag too. */
    expect_inner(47, 0, 0, "2000 6558 0000002a " ETH, 0);
    expect_inner(47, 0, 0, "0000 6558 " VLAN, 1);
    /* ERSPAN type I (no sequence), II (8-byte header), III (12, O: 20). */
    expect_inner(47, 0, 0, "0000 88be " ETH, 0);
    expect_inner(47, 0, 0, "1000 88be 00000001 10640000 00000005 " ETH, 0);
    expect_inner(47, 0, 0, "1000 22eb 00000001 20640000 00000000 00000000 " ETH, 1);
    expect_inner(47, 0, 0, "1000 22eb 00000001 20640000 00000000 00000001 0000000000000000 " ETH,
                 0);
    /* Not decapsulated: version 1 (PPTP), routing present, PPP, IPX. */
    expect_outer(47, 0, 0, "3081 880b 00000000 00000001");
    expect_outer(47, 0, 0, "4000 0800 00000000");
    expect_outer(47, 0, 0, "0000 880b");
    expect_outer(47, 0, 0, "0000 8137");
}

static void test_vxlan(void **state)
{
    (void)state;
    expect_inner(17, 51000, 4789, "08000000 00012300 " ETH, 0);
    expect_inner(17, 4789, 4789, "08000000 00012300 " VLAN, 1);
    expect_outer(17, 51000, 4789, "00000000 00012300 " ETH); /* no I flag */
    expect_outer(17, 4789, 51000, "08000000 00012300 " ETH); /* RFC 7348: the destination port */
    /* An inner frame that is not IP: not IP, as on the wire. */
    struct buf arp = {0};
    hex(&arp, "0001 0800 0604 0001", NULL);
    assert_int_equal(result_of(17, 51000, 4789, "08000000 00012300 " MACS "0806", &arp),
                     DECODE_NOT_IP);
}

static void test_gtpu(void **state)
{
    (void)state;
    for (int v6 = 0; v6 < 2; v6++) {
        expect_inner(17, 2152, 2152, "30ff 0000 00000001", v6);
        expect_inner(17, 40000, 2152, "32ff 0000 00000001 0001 00 00", v6); /* S: sequence */
        expect_inner(17, 2152, 40000, "31ff 0000 00000001 0000 05 00", v6); /* PN */
        /* E: a PDU session container (0x85), then a 2-word one, then none. */
        expect_inner(17, 2152, 2152, "34ff 0000 00000001 0000 00 85 01 1009 40 02 000000000000 00",
                     v6);
    }
    expect_outer(17, 2152, 2152, "3001 0000 00000000"); /* echo request */
    expect_outer(17, 2152, 2152, "20ff 0000 00000001"); /* PT 0: GTP' */
    expect_outer(17, 2152, 2152, "50ff 0000 00000001"); /* version 2 */
    struct buf ip = {0};
    std_tcp(&ip, 0);
    assert_int_equal(result_of(17, 2152, 2152, "34ff 0000 00000001 0000 00 85 00 1009", &ip),
                     DECODE_MALFORMED); /* extension length 0 */
}

static void test_teredo(void **state)
{
    (void)state;
    expect_inner(17, 3544, 40001, "", 1);
    expect_inner(17, 40001, 3544, "0000 f227 3fff8afe", 1); /* origin indication */
    /* Authentication (client id 2 bytes, value 1 byte), then origin. */
    expect_inner(17, 3544, 40001, "0001 0201 abcd ee 0102030405060708 00 0000 f227 3fff8afe", 1);
    expect_inner(17, 3544, 40001, "0001 0000 0102030405060708 00", 1);
    /* Not IPv6, or not filling the datagram: an outer UDP flow. */
    struct buf ip = {0}, f = {0};
    std_tcp(&ip, 0);
    tunnel_frame(17, 3544, 40001, "", &ip, &f);
    assert_int_equal(run_buf(DLT_EN10MB, &f).p.decapsulated, 0);
    expect_outer(17, 3544, 40001, "0000"); /* a zero word, then no IPv6 */
    struct buf ip6b = {0}, g = {0};
    std_tcp(&ip6b, 1);
    ip6b.d[5] += 1; /* payload length one more than the datagram holds */
    tunnel_frame(17, 3544, 40001, "", &ip6b, &g);
    struct dres d = run_buf(DLT_EN10MB, &g);
    assert_int_equal(d.r, DECODE_OK);
    assert_int_equal(d.p.key.proto, 17);
    assert_int_equal(d.p.decapsulated, 0);
}

/* Bytes after the outer datagram (Ethernet padding, a trailer): the inner
 * packet's l3 still runs to the end of the frame, its payload does not. */
static void test_trailer(void **state)
{
    (void)state;
    const char *hdrs[] = {"2000 E 0000002a", "30ff 0000 00000001"};
    for (int i = 0; i < 2; i++) {
        struct buf ip = {0}, f = {0};
        std_tcp(&ip, 0);
        uint32_t l3 = tunnel_frame(i ? 17 : 47, 2152, 2152, hdrs[i], &ip, &f);
        fill(&f, 0xEE, 6);
        struct dres d = run_buf(DLT_EN10MB, &f);
        expect_std_tcp(&f, &d, l3, 0);
    }
}

static void test_malformed_inner(void **state)
{
    (void)state;
    struct buf ip = {0};
    std_tcp(&ip, 0);
    ip.d[0] = 0x44; /* IHL 4 */
    assert_int_equal(result_of(47, 0, 0, "0000 E", &ip), DECODE_MALFORMED);
    assert_int_equal(result_of(17, 2152, 2152, "30ff 0000 00000001", &ip), DECODE_MALFORMED);
    struct buf ip6b = {0};
    std_tcp(&ip6b, 1);
    /* GRE says IPv4, the header is IPv6. */
    assert_int_equal(result_of(47, 0, 0, "0000 0800", &ip6b), DECODE_MALFORMED);
}

/* Tunnels in tunnels: GRE, VXLAN and IP-in-IP mixed count together; at
 * the limit the packet is decoded as the tunnel it is. */
static void test_nesting_limit(void **state)
{
    (void)state;
    struct buf ip = {0};
    std_tcp(&ip, 0);
    for (int level = 1; level <= 4; level++) {
        struct buf l4 = {0}, outer = {0};
        if (level == 2) {
            udp_dgram(&l4, 51000, 4789, "");
            hex(&l4, "08000000 00012300 " ETH, &ip);
            put(&l4, ip.d, ip.n);
            l4.d[5] = (uint8_t)l4.n; /* UDP length */
            ip4(&outer, 17, O1, O2, 0, &l4);
        } else {
            hex(&l4, "2000 E 00000001", &ip);
            put(&l4, ip.d, ip.n);
            ip4(&outer, 47, O1, O2, 0, &l4);
        }
        ip = outer;
        struct dres d = run_buf(DLT_RAW, &ip);
        assert_int_equal(d.r, DECODE_OK);
        if (level < 4) {
            assert_int_equal(d.p.key.proto, 6);
            assert_int_equal(d.p.key.port[0], 443);
            assert_int_equal(d.p.decapsulated, level);
        } else {
            assert_int_equal(d.p.key.proto, 47); /* the fourth tunnel stays */
            assert_int_equal(d.p.decapsulated, 3);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gre),           cmocka_unit_test(test_vxlan),
        cmocka_unit_test(test_gtpu),          cmocka_unit_test(test_teredo),
        cmocka_unit_test(test_trailer),       cmocka_unit_test(test_malformed_inner),
        cmocka_unit_test(test_nesting_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

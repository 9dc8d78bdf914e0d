/* decode.c, link layers: every supported link type (with the shims VLAN,
 * QinQ, LLC/SNAP, MPLS, PPPoE), radiotap rejects, what is not IP or not
 * supported, result names. IP and transport: test_decode_ip.c. */
#include "test_decode_frames.h"

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
        cmocka_unit_test(test_result_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

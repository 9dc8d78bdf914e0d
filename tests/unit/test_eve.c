/* EVE as Suricata writes it: Community ID of ICMP flows, flow and TCP
 * states, end reasons and protocol names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "alert/community_id.h"
#include "alert/eve.h"

static void addr4(uint8_t a[16], uint8_t x, uint8_t y, uint8_t z, uint8_t w)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    memcpy(a, mapped, 12);
    a[12] = x, a[13] = y, a[14] = z, a[15] = w;
}

/* An ICMP flow whose client (key endpoint c) first sent type/code. */
static struct flow icmp_flow(int c, uint8_t type, uint8_t code)
{
    struct flow f;
    memset(&f, 0, sizeof(f));
    f.key.family = 4;
    f.key.proto = 1;
    f.client = (unsigned)c;
    f.icmp_type[c] = type;
    f.icmp_code[c] = code;
    f.pkts[c] = 1;
    return f;
}

/* Ids tshark 4.0.17 (communityid protocol) gives these packets of public
 * captures: an echo request 192.168.154.131 -> .132, and a port
 * unreachable (type 3 code 3) 192.168.10.31 -> 192.168.10.10. */
static void test_icmp_community_id(void **state)
{
    (void)state;
    char out[64], back[64];
    struct flow f = icmp_flow(0, 8, 0);
    addr4(f.key.addr[0], 192, 168, 154, 131);
    addr4(f.key.addr[1], 192, 168, 154, 132);
    assert_int_equal(community_id_flow(0, &f, out, sizeof(out)), 0);
    assert_string_equal(out, "1:qq1OKSBwmaKdzDF45PeFma9fFgQ=");
    /* The echo reply maps back to the request: the same id from the other side. */
    struct flow r = icmp_flow(1, 0, 0);
    memcpy(r.key.addr, f.key.addr, sizeof(f.key.addr));
    assert_int_equal(community_id_flow(0, &r, back, sizeof(back)), 0);
    assert_string_equal(back, out);

    struct flow u = icmp_flow(0, 3, 3);
    addr4(u.key.addr[0], 192, 168, 10, 10);
    addr4(u.key.addr[1], 192, 168, 10, 31);
    u.client = 1; /* the sender is the higher address: one-way, not reordered */
    u.icmp_type[1] = 3, u.icmp_code[1] = 3, u.pkts[1] = 1;
    assert_int_equal(community_id_flow(0, &u, out, sizeof(out)), 0);
    assert_string_equal(out, "1:zWTFljWSXSxh3hadyAt3i3gQdw4=");
    u.client = 0;
    u.icmp_type[0] = 3, u.icmp_code[0] = 3;
    assert_int_equal(community_id_flow(0, &u, back, sizeof(back)), 0);
    assert_string_not_equal(back, out);
}

static void test_icmp_port_equivalents(void **state)
{
    (void)state;
    uint16_t sp, dp;
    assert_int_equal(community_id_icmp_ports(1, 8, 0, &sp, &dp), 0);
    assert_int_equal(sp, 8), assert_int_equal(dp, 0);
    assert_int_equal(community_id_icmp_ports(1, 10, 0, &sp, &dp), 0);
    assert_int_equal(dp, 9); /* router solicitation -> advertisement */
    assert_int_equal(community_id_icmp_ports(1, 11, 1, &sp, &dp), 1);
    assert_int_equal(sp, 11), assert_int_equal(dp, 1);
    assert_int_equal(community_id_icmp_ports(58, 135, 0, &sp, &dp), 0);
    assert_int_equal(dp, 136); /* neighbor solicitation -> advertisement */
    assert_int_equal(community_id_icmp_ports(58, 145, 0, &sp, &dp), 0);
    assert_int_equal(dp, 144);
    assert_int_equal(community_id_icmp_ports(58, 1, 4, &sp, &dp), 1);
    assert_int_equal(dp, 4);
}

static struct flow tcp_flow(uint8_t ts, uint8_t tc, uint32_t tc_pkts)
{
    struct flow f;
    memset(&f, 0, sizeof(f));
    f.key.proto = 6;
    f.client = 1;
    f.tcp_flags[1] = ts, f.tcp_flags[0] = tc;
    f.pkts[1] = 1, f.pkts[0] = tc_pkts;
    return f;
}

static void test_tcp_states(void **state)
{
    (void)state;
    const uint8_t S = TCP_SYN, A = TCP_ACK, F = TCP_FIN, R = TCP_RST;
    struct flow f = tcp_flow(S, 0, 0);
    assert_string_equal(eve_tcp_state(&f), "syn_sent");
    assert_string_equal(eve_flow_state(&f), "new");
    f = tcp_flow(S, S | A, 1);
    assert_string_equal(eve_tcp_state(&f), "syn_recv");
    assert_string_equal(eve_flow_state(&f), "new");
    f = tcp_flow(S | A, S | A, 1);
    assert_string_equal(eve_tcp_state(&f), "established");
    assert_string_equal(eve_flow_state(&f), "established");
    f = tcp_flow(S | A | F, S | A, 1);
    assert_string_equal(eve_tcp_state(&f), "close_wait");
    f = tcp_flow(S | A, S | A | F, 1);
    assert_string_equal(eve_tcp_state(&f), "fin_wait1");
    assert_string_equal(eve_flow_state(&f), "established");
    f = tcp_flow(S | A | F, S | A | F, 1);
    assert_string_equal(eve_tcp_state(&f), "closed");
    assert_string_equal(eve_flow_state(&f), "closed");
    f = tcp_flow(S, R | A, 1);
    assert_string_equal(eve_tcp_state(&f), "closed");
    f = tcp_flow(A, A, 1); /* picked up mid-connection */
    assert_string_equal(eve_tcp_state(&f), "established");

    struct flow u;
    memset(&u, 0, sizeof(u));
    u.key.proto = 17;
    u.pkts[0] = 3;
    assert_string_equal(eve_flow_state(&u), "new");
    u.pkts[1] = 1;
    assert_string_equal(eve_flow_state(&u), "established");
}

static void test_names(void **state)
{
    (void)state;
    char buf[8];
    assert_string_equal(eve_flow_reason(FLOW_END_EOF), "shutdown");
    assert_string_equal(eve_flow_reason(FLOW_END_FORCED), "forced");
    assert_string_equal(eve_flow_reason(FLOW_END_TIMEOUT), "timeout");
    assert_string_equal(eve_flow_reason(FLOW_END_TCP_REUSE), "tcp_reuse");
    assert_string_equal(eve_proto_name(47, buf, sizeof(buf)), "GRE");
    assert_string_equal(eve_proto_name(50, buf, sizeof(buf)), "ESP");
    assert_string_equal(eve_proto_name(58, buf, sizeof(buf)), "IPv6-ICMP");
    assert_string_equal(eve_proto_name(132, buf, sizeof(buf)), "SCTP");
    assert_string_equal(eve_proto_name(253, buf, sizeof(buf)), "253");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_icmp_community_id),
        cmocka_unit_test(test_icmp_port_equivalents),
        cmocka_unit_test(test_tcp_states),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Flow orientation (flow/orient.h): SYN and SYN-ACK decide; without them
 * (midstream TCP, UDP) a packet from a server port to a port that is not
 * one comes from the server; ICMP echo replies come from the server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "flow/orient.h"

/* A packet from port sport to dport (the sender is key endpoint 1, so
 * that the key order is not the answer). */
static struct packet pkt(uint8_t proto, uint8_t flags, uint16_t sport, uint16_t dport)
{
    struct packet p;
    memset(&p, 0, sizeof(p));
    p.key.proto = proto;
    p.dir = 1;
    p.key.port[1] = sport;
    p.key.port[0] = dport;
    p.tcp_flags = flags;
    return p;
}

static int first_is_server(uint8_t proto, uint8_t flags, uint16_t sport, uint16_t dport)
{
    struct packet p = pkt(proto, flags, sport, dport);
    return orient_first_is_server(&p);
}

static void test_handshake(void **state)
{
    (void)state;
    /* A SYN's sender is the client even from port 80 to 40000. */
    assert_int_equal(first_is_server(6, TCP_SYN, 80, 40000), 0);
    assert_int_equal(first_is_server(6, TCP_SYN, 40000, 445), 0);
    assert_int_equal(first_is_server(6, TCP_SYN | TCP_ACK, 445, 40000), 1);
    assert_int_equal(first_is_server(6, TCP_SYN | TCP_ACK, 40000, 40001), 1);
}

static void test_midstream(void **state)
{
    (void)state;
    assert_int_equal(first_is_server(6, TCP_ACK, 445, 49721), 1);
    assert_int_equal(first_is_server(6, TCP_ACK | TCP_PSH, 3389, 51000), 1);
    assert_int_equal(first_is_server(6, TCP_ACK, 5985, 51000), 1);
    assert_int_equal(first_is_server(6, TCP_ACK, 49721, 445), 0);
    /* Both or neither server ports: the first sender stays the client. */
    assert_int_equal(first_is_server(6, TCP_ACK, 49721, 50000), 0);
    assert_int_equal(first_is_server(6, TCP_ACK, 139, 445), 0);
    assert_int_equal(first_is_server(17, 0, 53, 53), 0);
    assert_int_equal(first_is_server(17, 0, 53, 41000), 1);
    assert_int_equal(first_is_server(17, 0, 88, 60000), 1);
    assert_int_equal(first_is_server(17, 0, 5355, 60000), 1);
    assert_int_equal(first_is_server(17, 0, 41000, 53), 0);
    assert_int_equal(first_is_server(17, 0, 0, 41000), 0);
    /* An NFS client's privileged port is no server port. */
    assert_int_equal(first_is_server(17, 0, 706, 1048), 0);
}

static void test_icmp(void **state)
{
    (void)state;
    struct packet p = pkt(1, 0, 0, 0);
    p.icmp_type = 0;
    assert_int_equal(orient_first_is_server(&p), 1);
    p.icmp_type = 8;
    assert_int_equal(orient_first_is_server(&p), 0);
    p = pkt(58, 0, 0, 0);
    p.icmp_type = 129;
    assert_int_equal(orient_first_is_server(&p), 1);
    p.icmp_type = 128;
    assert_int_equal(orient_first_is_server(&p), 0);
}

static void test_server_ports(void **state)
{
    (void)state;
    static const uint16_t yes[] = {7,    22,   53,   88,   135,  389,  445,  636,  995,
                                   1080, 1433, 3268, 3389, 5985, 5986, 8080, 27017};
    static const uint16_t no[] = {0, 1, 706, 1023, 1024, 1025, 3390, 5984, 49152, 50000, 65535};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        assert_int_equal(orient_server_port(yes[i]), 1);
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        assert_int_equal(orient_server_port(no[i]), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake),
        cmocka_unit_test(test_midstream),
        cmocka_unit_test(test_icmp),
        cmocka_unit_test(test_server_ports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

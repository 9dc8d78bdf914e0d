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

/* The first payload decides before the ports: a DCE-RPC response on
 * dynamic ports, an SMB response, an HTTP status line, a TLS ServerHello. */
static void test_payload(void **state)
{
    (void)state;
    static const uint8_t rpc_response[16] = {5, 0, 2, 3, 0x10, 0, 0, 0, 16};
    static const uint8_t rpc_bind[16] = {5, 0, 11, 3, 0x10, 0, 0, 0, 16};
    static const uint8_t rpc_bind_ack[16] = {5, 0, 12, 3, 0x10, 0, 0, 0, 16};
    uint8_t smb2[4 + 64] = {0, 0, 0, 64, 0xfe, 'S', 'M', 'B'};
    uint8_t smb1[4 + 32] = {0, 0, 0, 32, 0xff, 'S', 'M', 'B'};
    static const uint8_t tls_sh[6] = {22, 3, 3, 0, 80, 2}, tls_ch[6] = {22, 3, 1, 0, 80, 1};
    static const uint8_t random4[16] = {5, 0, 2, 3, 0x77};
    struct {
        const uint8_t *p;
        uint32_t n;
        uint16_t sport, dport;
        int want;
    } cases[] = {
        {rpc_response, 16, 49670, 49852, 1}, /* ports say nothing */
        {rpc_bind_ack, 16, 49670, 49852, 1},
        {rpc_bind, 16, 49852, 49670, 0},
        {rpc_bind, 16, 135, 49852, 0},       /* the payload wins over the ports */
        {random4, 16, 49670, 49852, 0},      /* no DCE-RPC data representation */
        {smb2, sizeof(smb2), 445, 50000, 0}, /* a request from port 445 */
        {smb1, sizeof(smb1), 50000, 445, 1},
        {(const uint8_t *)"HTTP/1.1 200 OK\r\n", 17, 8081, 8080, 1},
        {(const uint8_t *)"GET / HTTP/1.1\r\n", 16, 80, 50000, 1}, /* a method: ports */
        {tls_sh, 6, 50000, 50001, 1},
        {tls_ch, 6, 443, 50001, 0},
    };
    smb1[4 + 9] = 0x80;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct packet p = pkt(6, TCP_ACK | TCP_PSH, cases[i].sport, cases[i].dport);
        p.payload = cases[i].p;
        p.payload_len = cases[i].n;
        assert_int_equal(orient_first_is_server(&p), cases[i].want);
    }
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
        cmocka_unit_test(test_handshake),    cmocka_unit_test(test_midstream),
        cmocka_unit_test(test_payload),      cmocka_unit_test(test_icmp),
        cmocka_unit_test(test_server_ports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

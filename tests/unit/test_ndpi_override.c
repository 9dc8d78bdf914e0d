/* vigie's ndpi_check_flow_func and ndpi_network_port_ptree_match
 * (classify/ndpi_override.c) against libndpi's own, side by side. The
 * dissector loop: two modules, one flow each, every packet to both,
 * vigie's loop for the one and nDPI's for the other; after each packet
 * both give the same protocol, the same detection stack and the same mask
 * of dissectors that excluded themselves (so the same ones ran), on flows
 * of many protocols, named early, late or never: over TCP with and
 * without payload, UDP and ICMP. The IP lists: the same answer for
 * addresses in nDPI's networks and outside, asked again and again (the
 * remembered answers), with other addresses in between taking their
 * places, and from a module made since. One tree of the lists: modules
 * made by ndpi_override_module_new past the first read the first one's,
 * and answer as a module libndpi made alone, also once the first is
 * gone. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#define NDPI_LIB_COMPILATION /* a module's tree of the IP lists */
#include <ndpi_api.h>

#include "classify/ndpi_override.h"

struct side {
    struct ndpi_detection_module_struct *mod;
    struct ndpi_flow_struct *flow;
};

struct pair {
    struct side ours, theirs;
    uint64_t ms;
    uint32_t seq[2];
    ndpi_protocol last; /* the last packet's, both sides' */
};

/* A module as classify.c makes it, with nDPI's rules of a file if any. */
static struct ndpi_detection_module_struct *module_with(const char *rules)
{
    struct ndpi_detection_module_struct *m = ndpi_init_detection_module(ndpi_no_prefs);
    assert_non_null(m);
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(m, &all);
    if (rules) assert_int_equal(ndpi_load_protocols_file(m, rules), 0);
    ndpi_finalize_initialization(m);
    return m;
}

static struct ndpi_detection_module_struct *module(void)
{
    return module_with(NULL);
}

static int setup(void **state)
{
    struct pair *p = calloc(1, sizeof(*p));
    p->ours.mod = module();
    p->theirs.mod = module();
    assert_int_equal(ndpi_override_check(p->ours.mod), 1);
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    struct pair *p = *state;
    ndpi_override_use(1);
    ndpi_exit_detection_module(p->ours.mod);
    ndpi_exit_detection_module(p->theirs.mod);
    free(p);
    return 0;
}

static void new_flow(struct pair *p)
{
    for (int i = 0; i < 2; i++) {
        struct side *s = i ? &p->theirs : &p->ours;
        if (s->flow) ndpi_flow_free(s->flow);
        s->flow = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
        assert_non_null(s->flow);
        memset(s->flow, 0, SIZEOF_FLOW_STRUCT);
    }
    p->seq[0] = 1000;
    p->seq[1] = 9000;
}

static void end_flow(struct pair *p)
{
    ndpi_flow_free(p->ours.flow);
    ndpi_flow_free(p->theirs.flow);
    p->ours.flow = p->theirs.flow = NULL;
}

static void put16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

static void put32(uint8_t *b, uint32_t v)
{
    put16(b, (uint16_t)(v >> 16));
    put16(b + 2, (uint16_t)v);
}

/* One IPv4 packet (RFC 791) of proto 6 (TCP, RFC 9293, no options), 17
 * (UDP) or 1 (ICMP echo) from the client (dir 0) or the server, given to
 * both modules, whose answers must agree. */
static void packet(struct pair *p, int dir, uint8_t proto, uint16_t cport, uint16_t sport,
                   uint8_t flags, const uint8_t *payload, size_t n)
{
    uint8_t ip[1600] = {0};
    size_t l4 = proto == 6 ? 20 : 8;
    assert_true(20 + l4 + n <= sizeof(ip));
    const uint8_t cli[4] = {10, 1, 2, 3}, srv[4] = {192, 0, 2, 10};
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(20 + l4 + n));
    ip[8] = 64;
    ip[9] = proto;
    memcpy(ip + 12, dir ? srv : cli, 4);
    memcpy(ip + 16, dir ? cli : srv, 4);
    uint8_t *h = ip + 20;
    if (proto == 1) {
        h[0] = dir ? 0 : 8; /* echo reply, echo request */
    } else {
        put16(h, dir ? sport : cport);
        put16(h + 2, dir ? cport : sport);
    }
    if (proto == 6) {
        put32(h + 4, p->seq[dir]);
        put32(h + 8, (flags & 0x10) ? p->seq[!dir] : 0);
        h[12] = 5 << 4;
        h[13] = flags;
        put16(h + 14, 65535);
        p->seq[dir] += (uint32_t)n + ((flags & 0x03) ? 1 : 0);
    } else if (proto == 17) {
        put16(h + 4, (uint16_t)(8 + n));
    }
    if (n) memcpy(h + l4, payload, n);
    p->ms += 10;

    ndpi_override_use(1);
    ndpi_protocol a = ndpi_detection_process_packet(p->ours.mod, p->ours.flow, ip,
                                                    (unsigned short)(20 + l4 + n), p->ms);
    ndpi_override_use(0);
    ndpi_protocol b = ndpi_detection_process_packet(p->theirs.mod, p->theirs.flow, ip,
                                                    (unsigned short)(20 + l4 + n), p->ms);
    ndpi_override_use(1);
    p->last = a;
    assert_int_equal(a.master_protocol, b.master_protocol);
    assert_int_equal(a.app_protocol, b.app_protocol);
    assert_int_equal(a.category, b.category);
    const struct ndpi_flow_struct *x = p->ours.flow, *y = p->theirs.flow;
    assert_memory_equal(x->detected_protocol_stack, y->detected_protocol_stack,
                        sizeof(x->detected_protocol_stack));
    assert_memory_equal(&x->excluded_protocol_bitmask, &y->excluded_protocol_bitmask,
                        sizeof(x->excluded_protocol_bitmask));
    assert_int_equal(x->guessed_protocol_id, y->guessed_protocol_id);
}

static void text(struct pair *p, int dir, uint16_t cport, uint16_t sport, const char *s)
{
    packet(p, dir, 6, cport, sport, 0x18, (const uint8_t *)s, strlen(s));
}

static void handshake(struct pair *p, uint16_t cport, uint16_t sport)
{
    packet(p, 0, 6, cport, sport, 0x02, NULL, 0);
    packet(p, 1, 6, cport, sport, 0x12, NULL, 0);
    packet(p, 0, 6, cport, sport, 0x10, NULL, 0);
}

static void test_libndpi_calls_land_in_vigie(void **state)
{
    (void)state;
    /* the name libndpi's PLT resolves to is vigie's, nDPI's is past it */
    void *first = dlsym(RTLD_DEFAULT, "ndpi_check_flow_func");
    void *next = dlsym(RTLD_NEXT, "ndpi_check_flow_func");
    assert_non_null(first);
    assert_non_null(next);
    assert_true(first != next);
}

static void test_tcp_text_protocols(void **state)
{
    struct pair *p = *state;
    static const struct {
        uint16_t port, app; /* what nDPI names it */
        int server_first;   /* a banner */
        const char *client, *server;
    } flows[] = {
        {80, NDPI_PROTOCOL_HTTP, 0,
         "GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: curl/8.0\r\n\r\n",
         "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello"},
        {8080, NDPI_PROTOCOL_GITHUB, 0, "GET /a HTTP/1.1\r\nHost: github.com\r\n\r\n",
         "HTTP/1.1 404 Not Found\r\n\r\n"},
        {22, NDPI_PROTOCOL_SSH, 0, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
         "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n"},
        {25, NDPI_PROTOCOL_MAIL_SMTP, 1, "EHLO client.example.com\r\nMAIL FROM:<a@example.com>\r\n",
         "220 mail.example.com ESMTP Postfix\r\n250 OK\r\n"},
        {554, NDPI_PROTOCOL_RTSP, 0, "OPTIONS rtsp://cam/ RTSP/1.0\r\nCSeq: 1\r\n\r\n",
         "RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n"},
        {6379, NDPI_PROTOCOL_REDIS, 0, "*1\r\n$4\r\nPING\r\n", "+PONG\r\n"},
        {6667, NDPI_PROTOCOL_IRC, 0, "NICK vigie\r\nUSER vigie 0 * :vigie\r\n",
         ":irc.example.net 001 vigie :Welcome\r\n"},
        {5555, NDPI_PROTOCOL_UNKNOWN, 0, "\x17\x01zz random words that name nothing",
         "\x99\x42 and more of the same"},
    };
    for (size_t i = 0; i < sizeof(flows) / sizeof(flows[0]); i++) {
        new_flow(p);
        uint16_t cport = (uint16_t)(40000 + i);
        handshake(p, cport, flows[i].port);
        /* and on past the naming, each side in turn */
        for (int round = 0; round < 12; round++) {
            int dir = (round & 1) ^ flows[i].server_first;
            text(p, dir, cport, flows[i].port, dir ? flows[i].server : flows[i].client);
            packet(p, !dir, 6, cport, flows[i].port, 0x10, NULL, 0);
        }
        assert_int_equal(p->last.app_protocol, flows[i].app);
        end_flow(p);
    }
}

/* TLS 1.2 ClientHello (RFC 5246 7.4.1.2) with a server name (RFC 6066 3). */
static size_t client_hello(uint8_t *b, const char *name)
{
    size_t nl = strlen(name), o = 0;
    uint8_t body[512];
    body[o++] = 3, body[o++] = 3;
    for (int i = 0; i < 32; i++)
        body[o++] = (uint8_t)(i * 7);
    body[o++] = 0;                   /* no session id */
    put16(body + o, 4), o += 2;      /* two cipher suites */
    put16(body + o, 0xc02f), o += 2; /* ECDHE_RSA_WITH_AES_128_GCM_SHA256 */
    put16(body + o, 0x009c), o += 2; /* RSA_WITH_AES_128_GCM_SHA256 */
    body[o++] = 1, body[o++] = 0;    /* null compression */
    put16(body + o, (uint16_t)(nl + 9)), o += 2;
    put16(body + o, 0), o += 2; /* server_name */
    put16(body + o, (uint16_t)(nl + 5)), o += 2;
    put16(body + o, (uint16_t)(nl + 3)), o += 2;
    body[o++] = 0; /* host_name */
    put16(body + o, (uint16_t)nl), o += 2;
    memcpy(body + o, name, nl), o += nl;
    b[0] = 22, b[1] = 3, b[2] = 1;
    put16(b + 3, (uint16_t)(o + 4));
    b[5] = 1, b[6] = 0;
    put16(b + 7, (uint16_t)o);
    memcpy(b + 9, body, o);
    return o + 9;
}

static void test_tls_and_udp(void **state)
{
    struct pair *p = *state;
    uint8_t hello[600];
    static const char *const names[] = {"www.google.com", "teams.microsoft.com", "example.org"};
    for (size_t i = 0; i < 3; i++) {
        new_flow(p);
        handshake(p, (uint16_t)(41000 + i), 443);
        packet(p, 0, 6, (uint16_t)(41000 + i), 443, 0x18, hello, client_hello(hello, names[i]));
        packet(p, 1, 6, (uint16_t)(41000 + i), 443, 0x10, NULL, 0);
        assert_true(p->last.master_protocol == NDPI_PROTOCOL_TLS ||
                    p->last.app_protocol == NDPI_PROTOCOL_TLS);
        end_flow(p);
    }
    /* DNS query for www.example.com A (RFC 1035 4.1), then its answer */
    static const uint8_t query[] = {0x12, 0x34, 0x01, 0x00, 0,   1,   0,   0,   0,   0,   0,
                                    0,    3,    'w',  'w',  'w', 7,   'e', 'x', 'a', 'm', 'p',
                                    'l',  'e',  3,    'c',  'o', 'm', 0,   0,   1,   0,   1};
    uint8_t answer[sizeof(query) + 16];
    memcpy(answer, query, sizeof(query));
    answer[2] = 0x81, answer[3] = 0x80, answer[7] = 1;
    static const uint8_t rr[16] = {0xc0, 0x0c, 0, 1, 0,  1,   0,   0,
                                   0x0e, 0x10, 0, 4, 93, 184, 215, 14};
    memcpy(answer + sizeof(query), rr, sizeof(rr));
    new_flow(p);
    packet(p, 0, 17, 53000, 53, 0, query, sizeof(query));
    packet(p, 1, 17, 53000, 53, 0, answer, sizeof(answer));
    assert_int_equal(p->last.app_protocol, NDPI_PROTOCOL_DNS);
    end_flow(p);
    /* unnamed UDP and ICMP: every dissector tries, then excludes itself */
    uint8_t noise[200];
    for (size_t i = 0; i < sizeof(noise); i++)
        noise[i] = (uint8_t)(i * 37 + 11);
    for (int kind = 0; kind < 3; kind++) {
        new_flow(p);
        for (int i = 0; i < 30; i++) {
            uint8_t proto = kind == 2 ? 1 : 17;
            uint16_t sport = kind == 0 ? 443 : 39999;
            noise[0] = (uint8_t)i;
            packet(p, i & 1, proto, 50000, sport, 0, noise, (size_t)(20 + i * 5));
        }
        end_flow(p);
    }
}

/* vigie's answer for an address and port, checked against libndpi's. */
static u_int16_t port_match(struct ndpi_detection_module_struct *m, struct in_addr *a,
                            uint16_t port)
{
    ndpi_override_use(1);
    u_int16_t ours = ndpi_network_port_ptree_match(m, a, port);
    ndpi_override_use(0);
    u_int16_t theirs = ndpi_network_port_ptree_match(m, a, port);
    ndpi_override_use(1);
    assert_int_equal(ours, theirs);
    return ours;
}

/* Addresses in networks of nDPI 4.2's lists (Google, Facebook, Apple,
 * Microsoft, Amazon) and outside, their last byte varied. */
static void test_ip_lists(void **state)
{
    struct pair *p = *state;
    static const char *const bases[] = {"142.250.180.0", "172.217.16.0", "157.240.1.0",
                                        "17.253.144.0",  "13.107.42.0",  "52.94.236.0",
                                        "8.8.8.0",       "10.1.2.0",     "192.0.2.0"};
    static const uint16_t ports[] = {443, 80, 53, 3478, 5222, 0, 40000};
    unsigned named = 0;
    srand(5);
    for (int round = 0; round < 3; round++) {
        if (round == 2) { /* a module made since: remembered answers of before do not count */
            ndpi_exit_detection_module(p->theirs.mod);
            p->theirs.mod = module();
            assert_int_equal(ndpi_override_check(p->theirs.mod), 1);
        }
        struct ndpi_detection_module_struct *m = round == 2 ? p->theirs.mod : p->ours.mod;
        for (int i = 0; i < 30000; i++) {
            struct in_addr a;
            if (i % 3) {
                assert_int_equal(inet_pton(AF_INET, bases[(unsigned)rand() % 9], &a), 1);
                a.s_addr = htonl(ntohl(a.s_addr) + (unsigned)rand() % 256);
            } else {
                a.s_addr = (uint32_t)rand() * 2654435761u; /* anywhere */
            }
            uint16_t port = htons(ports[(unsigned)rand() % 7]);
            named += port_match(m, &a, port) != NDPI_PROTOCOL_UNKNOWN;
        }
    }
    assert_true(named > 10000); /* the lists were reached, not only misses */
}

/* A custom protocol on one address and port (nDPI's "ip:ADDR:PORT" rule):
 * the answer depends on the port asked with the address. */
static void test_ip_and_port_rule(void **state)
{
    (void)state;
    char path[] = "/tmp/vigie-ndpi-rules-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char rule[] = "ip:192.0.2.7:443@VigieTest\n";
    assert_int_equal(write(fd, rule, sizeof(rule) - 1), (ssize_t)(sizeof(rule) - 1));
    close(fd);
    struct ndpi_detection_module_struct *m = module_with(path);
    unlink(path);
    assert_int_equal(ndpi_override_check(m), 1);
    unsigned named = 0;
    for (int i = 0; i < 8; i++) { /* asked again: the remembered answer */
        static const char *const addrs[] = {"192.0.2.7", "192.0.2.8"};
        static const uint16_t ports[] = {443, 80};
        struct in_addr a;
        assert_int_equal(inet_pton(AF_INET, addrs[i & 1], &a), 1);
        uint16_t port = htons(ports[(i >> 1) & 1]);
        named += port_match(m, &a, port) != NDPI_PROTOCOL_UNKNOWN;
    }
    assert_int_equal(named, 2); /* 192.0.2.7 with 443, twice */
    ndpi_exit_detection_module(m);
}

/* The networks of test_ip_lists, asked of m and of alone with libndpi's
 * ndpi_network_ptree_match (vigie defines no copy of it; it reads the
 * module's tree): the same answers, and some named. */
static void same_answers(struct ndpi_detection_module_struct *m,
                         struct ndpi_detection_module_struct *alone)
{
    static const char *const bases[] = {"142.250.180.0", "157.240.1.0", "17.253.144.0",
                                        "13.107.42.0",   "52.94.236.0", "8.8.8.0"};
    unsigned named = 0;
    for (unsigned i = 0; i < 6 * 256; i++) {
        struct in_addr a;
        assert_int_equal(inet_pton(AF_INET, bases[i / 256], &a), 1);
        a.s_addr = htonl(ntohl(a.s_addr) + i % 256);
        u_int16_t got = ndpi_network_ptree_match(m, &a);
        assert_int_equal(got, ndpi_network_ptree_match(alone, &a));
        named += got != NDPI_PROTOCOL_UNKNOWN;
    }
    assert_true(named > 1000);
}

static void node_in_other(ndpi_patricia_node_t *node, void *data, void *other)
{
    (void)data;
    ndpi_patricia_node_t *o =
        ndpi_patricia_search_exact(other, ndpi_patricia_get_node_prefix(node));
    assert_non_null(o);
    assert_memory_equal(&o->value, &node->value, sizeof(node->value));
}

/* Trees a and b hold the same networks with the same values; returns how
 * many. */
static size_t same_tree(void *a, void *b)
{
    if (!a || !b) {
        assert_ptr_equal(a, b);
        return 0;
    }
    size_t n = ndpi_patricia_walk_tree_inorder(a, node_in_other, b);
    assert_int_equal(ndpi_patricia_walk_tree_inorder(b, node_in_other, a), n);
    return n;
}

/* Every tree of a module's, as a module made alone has it. */
static void same_trees(struct ndpi_detection_module_struct *m,
                       struct ndpi_detection_module_struct *alone)
{
    assert_true(same_tree(m->protocols_ptree, alone->protocols_ptree) > 1000);
    /* the IP addresses of nDPI's categories: a module's own tree */
    assert_true(same_tree(m->custom_categories.ipAddresses, alone->custom_categories.ipAddresses) >
                0);
    same_tree(m->ip_risk_mask_ptree, alone->ip_risk_mask_ptree);
}

static void test_one_tree_for_modules(void **state)
{
    (void)state;
    struct ndpi_detection_module_struct *alone = module();
    struct ndpi_detection_module_struct *first = ndpi_override_module_new();
    struct ndpi_detection_module_struct *second = ndpi_override_module_new();
    assert_non_null(first);
    assert_non_null(second);
    assert_ptr_equal(second->protocols_ptree, first->protocols_ptree);
    assert_ptr_not_equal(first->protocols_ptree, alone->protocols_ptree);
    same_answers(first, alone);
    same_answers(second, alone);
    same_trees(first, alone);
    same_trees(second, alone);
    assert_ptr_not_equal(second->custom_categories.ipAddresses,
                         first->custom_categories.ipAddresses);
    ndpi_override_module_free(first); /* the tree stays while second reads it */
    same_answers(second, alone);
    ndpi_override_module_free(second);
    /* none left: the next module makes the tree again */
    struct ndpi_detection_module_struct *again = ndpi_override_module_new();
    assert_non_null(again);
    assert_true(((ndpi_patricia_tree_t *)again->protocols_ptree)->num_active_node > 1000);
    same_answers(again, alone);
    ndpi_override_module_free(again);
    ndpi_exit_detection_module(alone);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_libndpi_calls_land_in_vigie),
        cmocka_unit_test(test_tcp_text_protocols),
        cmocka_unit_test(test_tls_and_udp),
        cmocka_unit_test(test_ip_lists),
        cmocka_unit_test(test_ip_and_port_rule),
        cmocka_unit_test(test_one_tree_for_modules),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

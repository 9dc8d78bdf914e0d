/* classify.c: nDPI 4.2 on HTTP flows of a handshake, a request and a
 * response: named at the request, final at the response (ndpiReader's
 * rule); over the budget, the flows named longest ago give their state
 * back and are final at their next packet or their end; the memory of
 * the states is counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <ndpi_api.h>

#include "classify/classify.h"
#include "decode/decode.h"

#define T0 1700000000000000ull

/* One HTTP flow: client 10.0.0.<host>:40000+host to 192.0.2.80:80. */
struct http_flow {
    struct flow f;
    uint8_t frame[5][400];
    struct packet pkt[5];
};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

/* Packet i of the flow: IPv4 + TCP (RFC 791, RFC 9293), no options. */
static void build(struct http_flow *h, int i, int host, int to_server, uint8_t flags, uint32_t seq,
                  uint32_t ack, const char *payload)
{
    uint8_t *ip = h->frame[i];
    size_t n = strlen(payload);
    memset(ip, 0, sizeof(h->frame[i]));
    const uint8_t cli[4] = {10, 0, 0, (uint8_t)host}, srv[4] = {192, 0, 2, 80};
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(40 + n));
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, to_server ? cli : srv, 4);
    memcpy(ip + 16, to_server ? srv : cli, 4);
    uint8_t *tcp = ip + 20;
    put16(tcp, to_server ? (uint16_t)(40000 + host) : 80);
    put16(tcp + 2, to_server ? 80 : (uint16_t)(40000 + host));
    put32(tcp + 4, seq);
    put32(tcp + 8, ack);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    put16(tcp + 14, 65535);
    memcpy(tcp + 20, payload, n);

    struct packet *p = &h->pkt[i];
    memset(p, 0, sizeof(*p));
    p->key.family = 4;
    p->key.proto = 6;
    for (int e = 0; e < 2; e++) {
        const uint8_t *a = (e == 0) == (to_server != 0) ? cli : srv;
        p->key.addr[e][10] = p->key.addr[e][11] = 0xFF;
        memcpy(&p->key.addr[e][12], a, 4);
    }
    p->key.port[0] = to_server ? (uint16_t)(40000 + host) : 80;
    p->key.port[1] = to_server ? 80 : (uint16_t)(40000 + host);
    flow_key_canonicalize(&p->key, &p->dir);
    p->tcp_flags = flags;
    p->ip_version = 4;
    p->l3 = ip;
    p->l3_len = (uint32_t)(40 + n);
    p->payload = tcp + 20;
    p->payload_len = (uint32_t)n;
    p->ts_us = T0 + (uint64_t)host * 1000000u + (uint64_t)i * 1000u;
}

static void make_flow(struct http_flow *h, int host)
{
    static const char req[] = "GET /index.html HTTP/1.1\r\nHost: www.example.org\r\n"
                              "User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";
    static const char resp[] = "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\n"
                               "Content-Length: 0\r\n\r\n";
    memset(&h->f, 0, sizeof(h->f));
    build(h, 0, host, 1, TCP_SYN, 1000, 0, "");
    build(h, 1, host, 0, TCP_SYN | TCP_ACK, 5000, 1001, "");
    build(h, 2, host, 1, TCP_ACK, 1001, 5001, "");
    build(h, 3, host, 1, TCP_PSH | TCP_ACK, 1001, 5001, req);
    build(h, 4, host, 0, TCP_PSH | TCP_ACK, 5001, (uint32_t)(1001 + strlen(req)), resp);
    h->f.key = h->pkt[0].key;
}

/* Feeds packet i as the pipeline does: counted, then classified. */
static int feed(struct classifier *c, struct http_flow *h, int i)
{
    h->f.pkts[h->pkt[i].dir]++;
    return classify_packet(c, &h->f, &h->pkt[i]);
}

static struct classify_stats stats(const struct classifier *c)
{
    struct classify_stats st;
    classify_get_stats(c, &st);
    return st;
}

static struct classifier *make(void)
{
    char err[128] = "";
    struct classifier *c = classify_create(err, sizeof(err));
    assert_non_null(c);
    return c;
}

static void test_named_at_request_final_at_response(void **state)
{
    (void)state;
    struct classifier *c = make();
    struct http_flow h;
    make_flow(&h, 1);
    for (int i = 0; i < 3; i++)
        assert_int_equal(feed(c, &h, i), 0);
    assert_int_equal(stats(c).waiting, 0);
    /* The request names HTTP; nDPI wants the response. */
    assert_int_equal(feed(c, &h, 3), 0);
    assert_int_equal(h.f.cls.app, NDPI_PROTOCOL_HTTP);
    assert_non_null(h.f.cls.ndpi);
    struct classify_stats st = stats(c);
    assert_int_equal(st.active_states, 1);
    assert_int_equal(st.waiting, 1);
    /* A state and what nDPI allocated in it (the URL, the user agent). */
    assert_true(*classify_memory(c) > sizeof(struct ndpi_flow_struct));
    assert_int_equal(st.mem_bytes, *classify_memory(c));
    assert_int_equal(feed(c, &h, 4), 1);
    assert_int_equal(h.f.cls.done, 1);
    assert_null(h.f.cls.ndpi);
    assert_int_equal(h.f.cls.app, NDPI_PROTOCOL_HTTP);
    st = stats(c);
    assert_int_equal(st.active_states, 0);
    assert_int_equal(st.waiting, 0);
    assert_int_equal(st.shed, 0);
    assert_int_equal(st.classified, 1);
    assert_int_equal(*classify_memory(c), 0);
    classify_destroy(c);
}

#define NFLOWS 40

static void test_over_budget_named_flows_shed(void **state)
{
    (void)state;
    struct classifier *c = make();
    static struct http_flow h[NFLOWS];
    for (int k = 0; k < NFLOWS; k++)
        make_flow(&h[k], k + 1);
    /* The first flow's request: what one waiting flow costs. */
    for (int i = 0; i < 4; i++)
        feed(c, &h[0], i);
    const size_t one = *classify_memory(c);
    /* Room for ten waiting flows. */
    classify_set_budget(c, 10 * one + one / 2);
    for (int k = 1; k < NFLOWS; k++)
        for (int i = 0; i < 4; i++)
            assert_int_equal(feed(c, &h[k], i), 0);
    struct classify_stats st = stats(c);
    assert_true(*classify_memory(c) <= 10 * one + one / 2);
    assert_true(st.waiting >= 9 && st.waiting <= 10);
    assert_int_equal(st.shed, NFLOWS - st.waiting);
    assert_int_equal(st.active_states, st.waiting);
    /* The oldest went first: the first flows hold no state, the last do. */
    assert_null(h[0].f.cls.ndpi);
    assert_int_equal(h[0].f.cls.shed, 1);
    assert_int_equal(h[0].f.cls.done, 0);
    assert_non_null(h[NFLOWS - 1].f.cls.ndpi);
    /* A shed flow keeps what nDPI named; its next packet makes it final
     * without nDPI. */
    uint64_t dpi = st.dpi_packets;
    assert_int_equal(h[0].f.cls.app, NDPI_PROTOCOL_HTTP);
    assert_int_equal(feed(c, &h[0], 4), 1);
    assert_int_equal(h[0].f.cls.done, 1);
    assert_int_equal(h[0].f.cls.app, NDPI_PROTOCOL_HTTP);
    assert_int_equal(stats(c).dpi_packets, dpi);
    /* At its end (no more packets), another is final too. */
    classify_finish(c, &h[1].f);
    assert_int_equal(h[1].f.cls.done, 1);
    assert_int_equal(h[1].f.cls.app, NDPI_PROTOCOL_HTTP);
    /* Flows still holding their state finish as nDPI decides. */
    assert_int_equal(feed(c, &h[NFLOWS - 1], 4), 1);
    assert_int_equal(stats(c).dpi_packets, dpi + 1);
    for (int k = 2; k < NFLOWS - 1; k++)
        classify_finish(c, &h[k].f);
    st = stats(c);
    assert_int_equal(st.active_states, 0);
    assert_int_equal(st.waiting, 0);
    assert_int_equal(st.classified + st.given_up, NFLOWS);
    assert_int_equal(*classify_memory(c), 0);
    classify_destroy(c);
}

/* Flows nDPI has not named keep their state, whatever the budget. */
static void test_unnamed_flows_keep_state(void **state)
{
    (void)state;
    struct classifier *c = make();
    classify_set_budget(c, 0);
    static struct http_flow h[4];
    for (int k = 0; k < 4; k++) {
        make_flow(&h[k], k + 1);
        feed(c, &h[k], 0);
    }
    struct classify_stats st = stats(c);
    assert_int_equal(st.active_states, 4);
    assert_int_equal(st.shed, 0);
    for (int k = 0; k < 4; k++)
        assert_non_null(h[k].f.cls.ndpi);
    /* A named one is shed as soon as another flow is fed. */
    for (int i = 1; i < 4; i++)
        feed(c, &h[0], i);
    assert_non_null(h[0].f.cls.ndpi); /* the flow at hand is kept */
    feed(c, &h[1], 1);
    assert_null(h[0].f.cls.ndpi);
    assert_int_equal(stats(c).shed, 1);
    for (int k = 0; k < 4; k++)
        classify_finish(c, &h[k].f);
    assert_int_equal(*classify_memory(c), 0);
    classify_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_named_at_request_final_at_response),
        cmocka_unit_test(test_over_budget_named_flows_shed),
        cmocka_unit_test(test_unnamed_flows_keep_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* dcerpc.c: PDUs built byte by byte (C706 12.6, MS-RPCE 2.2.2): binds and
 * requests in both byte orders, midstream requests, fragments, the object
 * UUID flag, bind_ack results, pipe payloads holding several PDUs, every
 * truncation of a conversation and hostile lengths (each input is an
 * exact-size heap copy, so ASan sees any read past it).
 *
 *   test_dcerpc --dump FILE.pcap   prints one line per DCE-RPC event of a
 *   capture (frame, connection, server port, BIND|REQ, uuid, opnum, context
 *   id, pipe), fed as sensor/pipeline/pipeline.c does (decode -> flow table ->
 *   dissection): what tests/pcap/tshark_dcerpc.sh compares with tshark. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <pcap/pcap.h>

#include "dcerpc.h"
#include "decode/decode.h"
#include "detect/rpc_table.h"
#include "engine.h"
#include "flow/flow_table.h"

/* --- event capture -------------------------------------------------------- */

#define MAX_EVENTS 64

struct seen {
    enum dissect_event_type type;
    int to_server;
    uint8_t uuid[16];
    int uuid_known;
    uint16_t ctx_id, opnum, ver_major;
    char pipe[32];
};

static struct seen seen[MAX_EVENTS];
static int nseen;

static void collect(struct dissect_ctx *dc, const struct dissect_event *ev)
{
    (void)dc;
    if (nseen == MAX_EVENTS) return;
    struct seen *s = &seen[nseen++];
    memset(s, 0, sizeof(*s));
    s->type = ev->type;
    s->to_server = ev->to_server;
    if (ev->type == EV_DCERPC_BIND || ev->type == EV_DCERPC_REQUEST) {
        memcpy(s->uuid, ev->u.rpc.uuid, 16);
        s->uuid_known = ev->u.rpc.uuid_known;
        s->ctx_id = ev->u.rpc.ctx_id;
        s->opnum = ev->u.rpc.opnum;
        s->ver_major = ev->u.rpc.ver_major;
        if (ev->u.rpc.pipe) snprintf(s->pipe, sizeof(s->pipe), "%s", ev->u.rpc.pipe);
    }
}

static struct dissect_ctx dctx = {NULL, 0, collect, NULL};

#include "dcerpc_pdu.h"

static const char *SVCCTL = "367abb81-9844-35f1-ad32-98f038001003";
static const char *DRSUAPI = "e3514235-4b06-11d1-ab04-00c04fc2dcd2";

/* Feeds a stream as the engine does: exact-size copies, skips honoured. */
static long feed_stream(struct dcerpc_conn *c, int to_server, const uint8_t *data, size_t len)
{
    size_t off = 0;
    while (off < len) {
        long r = parse_copy(&dctx, c, to_server, data + off, len - off, NULL);
        if (r <= 0) return r;
        off += (size_t)r;
    }
    return (long)len;
}

static long feed_pipe(struct dcerpc_conn *c, int to_server, const uint8_t *data, size_t len,
                      const char *pipe)
{
    return parse_copy(&dctx, c, to_server, data, len, pipe);
}

static int reset(void **state)
{
    (void)state;
    nseen = 0;
    return 0;
}

/* --- tests ------------------------------------------------------------------ */

static void test_bind_then_request(void **state)
{
    (void)state;
    struct dcerpc_conn c;
    struct pdu p;
    uint8_t want[16];
    uuid_bytes(SVCCTL, want);
    dcerpc_conn_init(&c);
    bind_pdu(&p, 0, 11, SVCCTL, 2, 0);
    assert_int_equal(feed_stream(&c, 1, p.b, p.n), p.n);
    unsigned res[2] = {0, 2};
    bind_ack_pdu(&p, 2, res);
    assert_int_equal(feed_stream(&c, 0, p.b, p.n), p.n);
    request_pdu(&p, 0, 0x03, 0, 45, 100);
    assert_int_equal(feed_stream(&c, 1, p.b, p.n), p.n);
    assert_int_equal(nseen, 3);
    assert_int_equal(seen[0].type, EV_DCERPC_BIND);
    assert_memory_equal(seen[0].uuid, want, 16);
    assert_int_equal(seen[0].ver_major, 2);
    assert_int_equal(seen[1].ctx_id, 1);
    assert_int_equal(seen[2].type, EV_DCERPC_REQUEST);
    assert_true(seen[2].uuid_known);
    assert_memory_equal(seen[2].uuid, want, 16);
    assert_int_equal(seen[2].opnum, 45);
    assert_int_equal(seen[2].to_server, 1);
    assert_int_equal(seen[2].pipe[0], 0);
    /* bind_ack results: context 0 accepted, context 1 rejected. */
    assert_true(c.ctx[0].accepted);
    assert_false(c.ctx[1].accepted);
}

static void test_big_endian(void **state)
{
    (void)state;
    struct dcerpc_conn c;
    struct pdu p;
    uint8_t want[16];
    uuid_bytes(DRSUAPI, want); /* little-endian builder: wire form */
    dcerpc_conn_init(&c);
    bind_pdu(&p, 1, 11, DRSUAPI, 1, 7);
    assert_int_equal(feed_stream(&c, 1, p.b, p.n), p.n);
    request_pdu(&p, 1, 0x03, 7, 3, 8);
    assert_int_equal(feed_stream(&c, 1, p.b, p.n), p.n);
    assert_int_equal(nseen, 2);
    assert_memory_equal(seen[0].uuid, want, 16);
    assert_int_equal(seen[1].opnum, 3);
    assert_int_equal(seen[1].ctx_id, 7);
    assert_true(seen[1].uuid_known);
}

static void test_midstream_and_fragments(void **state)
{
    (void)state;
    struct dcerpc_conn c;
    struct pdu p;
    dcerpc_conn_init(&c);
    request_pdu(&p, 0, 0x01, 0, 3, 40); /* first fragment, unknown context */
    assert_int_equal(feed_stream(&c, 1, p.b, p.n), p.n);
    request_pdu(&p, 0, 0x00, 0, 3, 40); /* middle fragment: no event */
    assert_int_equal(feed_stream(&c, 1, p.b, p.n), p.n);
    request_pdu(&p, 0, 0x82, 0, 9, 4); /* last fragment, object UUID: no event */
    assert_int_equal(feed_stream(&c, 1, p.b, p.n), p.n);
    request_pdu(&p, 0, 0x83, 2, 12, 4); /* object UUID: opnum still read */
    assert_int_equal(feed_stream(&c, 1, p.b, p.n), p.n);
    assert_int_equal(nseen, 2);
    assert_false(seen[0].uuid_known);
    assert_int_equal(seen[0].opnum, 3);
    assert_int_equal(seen[1].opnum, 12);
    assert_int_equal(seen[1].ctx_id, 2);
}

static void test_pipe_payloads(void **state)
{
    (void)state;
    struct dcerpc_conn c;
    struct pdu a, b;
    uint8_t two[8192];
    dcerpc_conn_init(&c);
    bind_pdu(&a, 0, 11, SVCCTL, 1, 0);
    request_pdu(&b, 0, 0x03, 0, 19, 16);
    memcpy(two, a.b, a.n);
    memcpy(two + a.n, b.b, b.n);
    assert_int_equal(feed_pipe(&c, 1, two, a.n + b.n, "svcctl"), a.n + b.n);
    assert_int_equal(nseen, 2);
    assert_string_equal(seen[1].pipe, "svcctl");
    assert_int_equal(seen[1].opnum, 19);
    /* A request cut after its opnum is still an event; a continuation
     * payload (no header) is ignored. */
    request_pdu(&b, 0, 0x03, 0, 12, 3000);
    assert_int_equal(feed_pipe(&c, 1, b.b, 24, "svcctl"), 24);
    assert_int_equal(feed_pipe(&c, 1, b.b + 24, 500, "svcctl"), 500);
    assert_int_equal(nseen, 3);
    assert_int_equal(seen[2].opnum, 12);
}

static void test_large_pdus_skipped(void **state)
{
    (void)state;
    struct dcerpc_conn c;
    struct pdu p;
    dcerpc_conn_init(&c);
    request_pdu(&p, 0, 0x03, 0, 24, 3000);
    /* The engine gives the first segment only: the request is read from
     * its first bytes and the parser asks to skip the rest. */
    uint8_t *seg = malloc(1000);
    memcpy(seg, p.b, 1000);
    assert_int_equal(dcerpc_parse(&dctx, &c, 1, seg, 1000, NULL), p.n);
    free(seg);
    assert_int_equal(nseen, 1);
    /* Less than a request header: need more. */
    seg = malloc(20);
    memcpy(seg, p.b, 20);
    assert_int_equal(dcerpc_parse(&dctx, &c, 1, seg, 20, NULL), 0);
    free(seg);
}

/* Every prefix of a conversation, over TCP and as a pipe payload. */
static void test_truncation(void **state)
{
    (void)state;
    struct pdu p[4];
    uint8_t conv[8192];
    size_t n = 0;
    unsigned res[3] = {0, 2, 3};
    bind_pdu(&p[0], 0, 11, SVCCTL, 3, 0);
    bind_ack_pdu(&p[1], 3, res);
    request_pdu(&p[2], 0, 0x83, 0, 45, 60);
    bind_pdu(&p[3], 1, 14, DRSUAPI, 2, 4);
    for (int i = 0; i < 4; i++) {
        memcpy(conv + n, p[i].b, p[i].n);
        n += p[i].n;
    }
    for (size_t len = 0; len <= n; len++) {
        struct dcerpc_conn c;
        dcerpc_conn_init(&c);
        nseen = 0;
        long r = feed_stream(&c, 1, conv, len);
        assert_true(r == 0 || r == (long)len || r > 0);
        dcerpc_conn_init(&c);
        assert_int_equal(feed_pipe(&c, 1, conv, len, "x"), len);
        assert_true(c.nctx <= DCERPC_MAX_CONTEXTS);
    }
}

static void test_hostile_lengths(void **state)
{
    (void)state;
    struct dcerpc_conn c;
    struct pdu p;
    dcerpc_conn_init(&c);
    /* frag_length below a header: not a PDU. */
    request_pdu(&p, 0, 0x03, 0, 1, 4);
    p.b[8] = 10, p.b[9] = 0;
    assert_int_equal(feed_stream(&c, 1, p.b, p.n), p.n);
    assert_int_equal(nseen, 0);
    /* auth_length larger than the PDU. */
    request_pdu(&p, 0, 0x03, 0, 1, 4);
    p.b[10] = 0xff, p.b[11] = 0xff;
    assert_int_equal(feed_stream(&c, 1, p.b, p.n), p.n);
    assert_int_equal(nseen, 0);
    /* A bind claiming 255 contexts and 65535 bytes, of which 200 exist:
     * parsed as far as it goes once PARTIAL_MIN bytes are there. */
    bind_pdu(&p, 0, 11, SVCCTL, 1, 0);
    p.b[24] = 255;
    p.b[8] = 0xff, p.b[9] = 0xff;
    dcerpc_conn_init(&c);
    assert_int_equal(feed_pipe(&c, 1, p.b, p.n, "x"), p.n);
    assert_int_equal(nseen, 1);
    /* Over TCP, 200 bytes of it: need more. */
    assert_int_equal(feed_stream(&c, 1, p.b, p.n), 0);
    /* A context list bigger than the table: bounded. */
    bind_pdu(&p, 0, 11, SVCCTL, 20, 0);
    dcerpc_conn_init(&c);
    nseen = 0;
    assert_int_equal(feed_stream(&c, 1, p.b, p.n), p.n);
    assert_int_equal(nseen, 20);
    assert_int_equal(c.nctx, DCERPC_MAX_CONTEXTS);
    /* Garbage: dropped, then the flow is given up. */
    uint8_t junk[64];
    memset(junk, 0x41, sizeof(junk));
    long r = 0;
    for (int i = 0; i < 10 && r != DISSECT_STOP; i++)
        r = feed_stream(&c, 1, junk, sizeof(junk));
    assert_int_equal(r, DISSECT_STOP);
    /* ...but never over a pipe. */
    for (int i = 0; i < 10; i++)
        assert_int_equal(feed_pipe(&c, 1, junk, sizeof(junk), "x"), 64);
}

static void test_probe(void **state)
{
    (void)state;
    extern const struct dissector dissector_dcerpc;
    struct pdu p;
    bind_pdu(&p, 0, 11, SVCCTL, 1, 0);
    assert_true(dissector_dcerpc.probe(NULL, 1, p.b, p.n));
    request_pdu(&p, 1, 0x03, 0, 1, 4);
    assert_true(dissector_dcerpc.probe(NULL, 1, p.b, p.n));
    assert_false(dissector_dcerpc.probe(NULL, 1, p.b, 15));
    p.b[0] = 4;
    assert_false(dissector_dcerpc.probe(NULL, 1, p.b, p.n));
    request_pdu(&p, 0, 0x03, 0, 1, 4);
    p.b[2] = 16; /* auth3: not a first PDU */
    assert_false(dissector_dcerpc.probe(NULL, 1, p.b, p.n));
    request_pdu(&p, 0, 0x03, 0, 1, 4);
    p.b[4] = 0x20; /* unknown integer representation */
    assert_false(dissector_dcerpc.probe(NULL, 1, p.b, p.n));
    assert_false(dissector_dcerpc.probe(NULL, 1, (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18));
    /* A Cassandra v5 STARTUP frame (ndpi/cassandra.pcap) is a valid C706
     * header with EBCDIC characters: not a first PDU worth believing. */
    static const uint8_t cassandra[] = {0x05, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00,
                                        0x53, 0x00, 0x03, 0x00, 0x0b, 0x44, 0x52, 0x49};
    assert_false(dissector_dcerpc.probe(NULL, 1, cassandra, sizeof(cassandra)));
    request_pdu(&p, 0, 0x03, 0, 1, 0);
    p.b[8] = 20; /* shorter than a request header */
    assert_false(dissector_dcerpc.probe(NULL, 1, p.b, p.n));
}

static void test_names(void **state)
{
    (void)state;
    uint8_t u[16];
    char s[37];
    uuid_bytes(SVCCTL, u);
    dcerpc_uuid_format(u, s);
    assert_string_equal(s, SVCCTL);
    /* Interfaces are named by the detectors' table (sensor/detect/rpc_table.c). */
    assert_non_null(rpc_table_interface(u));
    assert_string_equal(rpc_table_interface(u)->name, "svcctl");
    uuid_bytes("12345778-1234-abcd-ef00-0123456789ac", u);
    assert_non_null(rpc_table_interface(u));
    assert_string_equal(rpc_table_interface(u)->name, "samr");
    uuid_bytes("01234567-89ab-cdef-0123-456789abcdef", u);
    assert_null(rpc_table_interface(u));
}

/* --- dump mode ------------------------------------------------------------- */

static uint64_t frame_no;
static struct dissect_engine *engine;

static void print_event(void *ud, void *flow, const struct dissect_event *ev)
{
    (void)ud;
    const struct flow *f = flow;
    if (ev->type != EV_DCERPC_BIND && ev->type != EV_DCERPC_REQUEST) return;
    char a[2][INET6_ADDRSTRLEN], uuid[37] = "-";
    for (int i = 0; i < 2; i++) {
        if (f->key.family == 4)
            inet_ntop(AF_INET, f->key.addr[i] + 12, a[i], sizeof(a[i]));
        else
            inet_ntop(AF_INET6, f->key.addr[i], a[i], sizeof(a[i]));
    }
    if (ev->u.rpc.uuid_known) dcerpc_uuid_format(ev->u.rpc.uuid, uuid);
    printf("%llu\t%s:%u|%s:%u\t%u\t%s\t%s\t%u\t%u\t%s\n", (unsigned long long)frame_no, a[0],
           f->key.port[0], a[1], f->key.port[1], f->key.port[!f->client],
           ev->type == EV_DCERPC_BIND ? "BIND" : "REQ", uuid, ev->u.rpc.opnum, ev->u.rpc.ctx_id,
           ev->u.rpc.pipe ? ev->u.rpc.pipe : "-");
}

static void on_end(struct flow *f, enum flow_end_reason reason, void *ud)
{
    (void)reason, (void)ud;
    struct dissect_flow_info fi = flow_dissect_info(f);
    dissect_flow_end(engine, &f->dissect, &fi, f, f->last_us);
}

static int dump(const char *path)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(path, err);
    if (!pc) {
        fprintf(stderr, "%s: %s\n", path, err);
        return 1;
    }
    int dlt = pcap_datalink(pc);
    engine = dissect_create(print_event, NULL);
    struct flow_table_config fc = {.max_flows = 100000,
                                   .memcap_bytes = 256u << 20,
                                   .timeout_s = {300, 10, 60, 30},
                                   .on_end = on_end};
    struct flow_table *ft = flow_table_create(&fc, err, sizeof(err));
    if (!ft || !engine) return 1;
    struct pcap_pkthdr *h;
    const u_char *data;
    while (pcap_next_ex(pc, &h, &data) == 1) {
        frame_no++;
        struct packet pkt;
        if (decode_packet(dlt, data, h->caplen, &pkt) != DECODE_OK) continue;
        pkt.ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
        pkt.wire_len = h->len;
        int created;
        struct flow *f = flow_table_get(ft, &pkt, &created);
        if (!f) continue;
        if (created) {
            int synack = (pkt.tcp_flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK);
            f->client = synack ? !pkt.dir : pkt.dir;
        }
        struct dissect_flow_info fi = flow_dissect_info(f);
        struct dissect_segment seg = {.payload = pkt.payload,
                                      .len = pkt.payload_len,
                                      .cut = pkt.payload_cut,
                                      .tcp_seq = pkt.tcp_seq,
                                      .syn = (pkt.tcp_flags & TCP_SYN) != 0,
                                      .to_server = pkt.dir == f->client,
                                      .ts_us = pkt.ts_us};
        dissect_packet(engine, &f->dissect, &fi, f, &seg);
    }
    flow_table_flush(ft, FLOW_END_EOF);
    flow_table_destroy(ft);
    dissect_destroy(engine);
    pcap_close(pc);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--dump") == 0) return dump(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_bind_then_request, reset),
        cmocka_unit_test_setup(test_big_endian, reset),
        cmocka_unit_test_setup(test_midstream_and_fragments, reset),
        cmocka_unit_test_setup(test_pipe_payloads, reset),
        cmocka_unit_test_setup(test_large_pdus_skipped, reset),
        cmocka_unit_test_setup(test_truncation, reset),
        cmocka_unit_test_setup(test_hostile_lengths, reset),
        cmocka_unit_test_setup(test_probe, reset),
        cmocka_unit_test_setup(test_names, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* dcerpc.c: the stub of a request, as EV_DCERPC_REQUEST carries it to the
 * detectors: its bounds (after the header and object UUID, before the auth
 * padding and verifier), none when sealed (packet privacy), the transfer
 * syntax of its context (NDR64 from the bind, as the bind_ack settles it),
 * small TCP requests waited for whole, large ones and pipe payloads cut
 * short read as far as they go. Each input is an exact-size heap copy and
 * every stub byte is read in the callback, so ASan sees a stub that runs
 * past what was held. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dcerpc.h"
#include "dcerpc_pdu.h"

#define MAX_EVENTS 16

struct seen {
    enum dissect_event_type type;
    uint16_t opnum;
    int has_stub, ndr64, be;
    uint32_t stub_len;
    unsigned sum; /* of every stub byte */
    uint8_t first;
};

static struct seen seen[MAX_EVENTS];
static int nseen;

static void collect(struct dissect_ctx *dc, const struct dissect_event *ev)
{
    (void)dc;
    if (nseen == MAX_EVENTS || ev->type != EV_DCERPC_REQUEST) return;
    struct seen *s = &seen[nseen++];
    memset(s, 0, sizeof(*s));
    s->type = ev->type;
    s->opnum = ev->u.rpc.opnum;
    s->has_stub = ev->u.rpc.stub != NULL;
    s->stub_len = ev->u.rpc.stub_len;
    s->ndr64 = ev->u.rpc.ndr64;
    s->be = ev->u.rpc.big_endian;
    for (uint32_t i = 0; s->has_stub && i < s->stub_len; i++)
        s->sum += ev->u.rpc.stub[i];
    if (s->has_stub && s->stub_len) s->first = ev->u.rpc.stub[0];
}

static struct dissect_ctx dctx = {NULL, 0, collect, NULL};

static const char *SAMR = "12345778-1234-abcd-ef00-0123456789ac";

/* dcerpc_parse over a copy of exactly len bytes. */
static long parse(struct dcerpc_conn *c, int to_server, const uint8_t *data, size_t len,
                  const char *pipe)
{
    return parse_copy(&dctx, c, to_server, data, len, pipe);
}

/* The sum of bytes 0..n-1 of request_pdu's stub pattern. */
static unsigned pattern_sum(size_t n)
{
    unsigned s = 0;
    for (size_t i = 0; i < n; i++)
        s += (uint8_t)i;
    return s;
}

static int reset(void **state)
{
    (void)state;
    nseen = 0;
    return 0;
}

static void test_stub_bounds(void **state)
{
    (void)state;
    struct dcerpc_conn c;
    struct pdu p;
    dcerpc_conn_init(&c);
    request_pdu(&p, 0, 0x03, 0, 17, 100);
    assert_int_equal(parse(&c, 1, p.b, p.n, NULL), p.n);
    request_pdu(&p, 0, 0x83, 0, 19, 28); /* object UUID: the stub starts at 40 */
    assert_int_equal(parse(&c, 1, p.b, p.n, NULL), p.n);
    request_pdu(&p, 1, 0x03, 0, 27, 8); /* big-endian */
    assert_int_equal(parse(&c, 1, p.b, p.n, NULL), p.n);
    request_pdu(&p, 0, 0x03, 0, 1, 0); /* no stub at all */
    assert_int_equal(parse(&c, 1, p.b, p.n, NULL), p.n);
    assert_int_equal(nseen, 4);
    assert_true(seen[0].has_stub);
    assert_int_equal(seen[0].stub_len, 100);
    assert_int_equal(seen[0].sum, pattern_sum(100));
    assert_int_equal(seen[1].stub_len, 28);
    assert_int_equal(seen[1].first, 0);
    assert_int_equal(seen[1].sum, pattern_sum(28));
    assert_int_equal(seen[2].stub_len, 8);
    assert_true(seen[2].be);
    assert_false(seen[0].be);
    assert_false(seen[3].has_stub);
}

/* MS-RPCE 2.2.2.11: the padding is not stub; privacy seals it. */
static void test_auth_levels(void **state)
{
    (void)state;
    struct dcerpc_conn c;
    struct pdu p;
    dcerpc_conn_init(&c);
    for (unsigned level = 2; level <= 6; level++) {
        auth_request_pdu(&p, 0, 17, 20, 4, level, 16);
        assert_int_equal(parse(&c, 1, p.b, p.n, NULL), p.n);
    }
    assert_int_equal(nseen, 5);
    for (int i = 0; i < 4; i++) {
        assert_true(seen[i].has_stub);
        assert_int_equal(seen[i].stub_len, 20);
        assert_int_equal(seen[i].sum, pattern_sum(20));
    }
    assert_false(seen[4].has_stub); /* packet privacy */
    assert_int_equal(seen[4].opnum, 17);
    /* Padding longer than the body: no stub, still an event. */
    nseen = 0;
    auth_request_pdu(&p, 0, 17, 4, 0, 5, 16);
    p.b[p.n - 16 - 6] = 200;
    assert_int_equal(parse(&c, 1, p.b, p.n, NULL), p.n);
    assert_int_equal(nseen, 1);
    assert_false(seen[0].has_stub);
}

/* Windows binds each context with one transfer syntax; the bind_ack
 * names the one accepted. */
static void test_ndr64(void **state)
{
    (void)state;
    struct dcerpc_conn c;
    struct pdu p;
    unsigned ok[2] = {0, 0}, rejected[1] = {2};
    dcerpc_conn_init(&c);
    bind_pdu_syntax(&p, 0, 11, SAMR, 1, 0, PDU_NDR);
    assert_int_equal(parse(&c, 1, p.b, p.n, NULL), p.n);
    bind_pdu_syntax(&p, 0, 14, SAMR, 1, 1, PDU_NDR64);
    assert_int_equal(parse(&c, 1, p.b, p.n, NULL), p.n);
    for (unsigned ctx = 0; ctx < 3; ctx++) {
        request_pdu(&p, 0, 0x03, ctx, 17, 8);
        assert_int_equal(parse(&c, 1, p.b, p.n, NULL), p.n);
    }
    assert_int_equal(nseen, 3);
    assert_false(seen[0].ndr64);
    assert_true(seen[1].ndr64);
    assert_false(seen[2].ndr64); /* unknown context */
    /* Contexts 0 and 1 bound again in NDR, accepted in NDR64: the
     * bind_ack decides. */
    bind_pdu_syntax(&p, 0, 11, SAMR, 2, 0, PDU_NDR);
    assert_int_equal(parse(&c, 1, p.b, p.n, NULL), p.n);
    bind_ack_pdu_syntax(&p, 2, ok, PDU_NDR64);
    assert_int_equal(parse(&c, 0, p.b, p.n, NULL), p.n);
    assert_true(c.ctx[0].ndr64 && c.ctx[1].ndr64);
    /* A rejection leaves the context's syntax as bound. */
    bind_pdu_syntax(&p, 0, 11, SAMR, 1, 0, PDU_NDR);
    assert_int_equal(parse(&c, 1, p.b, p.n, NULL), p.n);
    bind_ack_pdu_syntax(&p, 1, rejected, PDU_NDR64);
    assert_int_equal(parse(&c, 0, p.b, p.n, NULL), p.n);
    assert_false(c.ctx[0].ndr64);
}

/* Over TCP a small request is waited for whole; a large one is read from
 * its first bytes, its stub as far as they go. */
static void test_tcp_requests(void **state)
{
    (void)state;
    struct dcerpc_conn c;
    struct pdu p;
    dcerpc_conn_init(&c);
    request_pdu(&p, 0, 0x03, 0, 17, 100);
    for (size_t len = 0; len < p.n; len++)
        assert_int_equal(parse(&c, 1, p.b, len, NULL), 0);
    assert_int_equal(nseen, 0);
    assert_int_equal(parse(&c, 1, p.b, p.n, NULL), p.n);
    assert_int_equal(seen[0].stub_len, 100);
    request_pdu(&p, 0, 0x03, 0, 17, 3000);
    assert_int_equal(parse(&c, 1, p.b, 23, NULL), 0);
    assert_int_equal(parse(&c, 1, p.b, 1000, NULL), p.n);
    assert_int_equal(nseen, 2);
    assert_int_equal(seen[1].stub_len, 976);
    assert_int_equal(seen[1].sum, pattern_sum(976));
    /* Large and signed: the sec_trailer is not held, so no stub. */
    auth_request_pdu(&p, 0, 17, 3000, 0, 5, 16);
    assert_int_equal(parse(&c, 1, p.b, 1000, NULL), p.n);
    assert_int_equal(nseen, 3);
    assert_false(seen[2].has_stub);
}

/* Every cut of a pipe payload: the stub never runs past the bytes held. */
static void test_pipe_cuts(void **state)
{
    (void)state;
    struct pdu p[2];
    request_pdu(&p[0], 0, 0x03, 0, 17, 60);
    auth_request_pdu(&p[1], 0, 17, 60, 4, 5, 16);
    for (int k = 0; k < 2; k++) {
        for (size_t len = 0; len <= p[k].n; len++) {
            struct dcerpc_conn c;
            dcerpc_conn_init(&c);
            nseen = 0;
            assert_int_equal(parse(&c, 1, p[k].b, len, "samr"), len);
            if (len < 24) {
                assert_int_equal(nseen, 0);
                continue;
            }
            assert_int_equal(nseen, 1);
            size_t want = len - 24 < 60 ? len - 24 : 60;
            if (k == 1 && len < p[k].n) want = 0; /* sec_trailer not held */
            assert_int_equal(seen[0].has_stub ? seen[0].stub_len : 0, want);
            assert_int_equal(seen[0].sum, pattern_sum(want));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_stub_bounds, reset),
        cmocka_unit_test_setup(test_auth_levels, reset),
        cmocka_unit_test_setup(test_ndr64, reset),
        cmocka_unit_test_setup(test_tcp_requests, reset),
        cmocka_unit_test_setup(test_pipe_cuts, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

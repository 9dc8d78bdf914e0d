/* Worker records (sensor/pipeline/record.c): a dissector event's strings
 * and stub are copied into the record, so the stage reads them after the
 * dissector's buffers are gone; the flow is copied without its pointers;
 * the buffer grows, keeps records aligned, and refuses past its limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pipeline/record.h"

static struct flow a_flow(uint64_t id)
{
    struct flow f;
    memset(&f, 0, sizeof(f));
    f.id = id;
    f.pkts[0] = 3;
    f.cls.ndpi = (struct ndpi_flow_struct *)(uintptr_t)0x1000;
    f.dissect.state = (void *)(uintptr_t)0x2000;
    return f;
}

static void test_strings_survive_their_source(void **state)
{
    (void)state;
    struct recbuf rb = {0};
    char share[16] = "ADMIN$", name[32] = "Windows\\psexesvc.exe", renamed[8] = "x";
    struct dissect_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = EV_SMB_RENAME;
    ev.u.file.share = share;
    ev.u.file.name = name;
    ev.u.file.new_name = renamed;
    ev.u.file.length = 77;
    struct flow f = a_flow(42);
    assert_non_null(record_put(&rb, REC_EVENT, PHASE_PACKET, 9, 1000, &f, &ev));
    memset(share, '#', sizeof(share) - 1);
    memset(name, '#', sizeof(name) - 1);
    renamed[0] = '#';
    const struct record *r = recbuf_at(&rb, 0);
    assert_non_null(r);
    assert_int_equal(r->seq, 9);
    assert_int_equal(r->ts_us, 1000);
    assert_int_equal(r->flow.id, 42);
    assert_int_equal(r->flow.pkts[0], 3);
    assert_null(r->flow.cls.ndpi);
    assert_null(r->flow.dissect.state);
    struct dissect_event got;
    record_event(r, &got);
    assert_int_equal(got.type, EV_SMB_RENAME);
    assert_string_equal(got.u.file.share, "ADMIN$");
    assert_string_equal(got.u.file.name, "Windows\\psexesvc.exe");
    assert_string_equal(got.u.file.new_name, "x");
    assert_int_equal(got.u.file.length, 77);
    assert_null(recbuf_at(&rb, r->len));
    recbuf_free(&rb);
}

static void test_stub_and_null_pipe(void **state)
{
    (void)state;
    struct recbuf rb = {0};
    uint8_t stub[300];
    for (size_t i = 0; i < sizeof(stub); i++)
        stub[i] = (uint8_t)(i * 7);
    struct dissect_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = EV_DCERPC_REQUEST;
    ev.u.rpc.opnum = 12;
    ev.u.rpc.stub = stub;
    ev.u.rpc.stub_len = sizeof(stub);
    struct flow f = a_flow(1);
    assert_non_null(record_put(&rb, REC_EVENT, PHASE_PACKET, 1, 1, &f, &ev));
    memset(stub, 0, sizeof(stub));
    struct dissect_event got;
    record_event(recbuf_at(&rb, 0), &got);
    assert_null(got.u.rpc.pipe);
    assert_int_equal(got.u.rpc.opnum, 12);
    assert_int_equal(got.u.rpc.stub_len, 300);
    for (size_t i = 0; i < 300; i++)
        assert_int_equal(got.u.rpc.stub[i], (uint8_t)(i * 7));
    recbuf_free(&rb);
}

static void test_grows_aligned_and_in_order(void **state)
{
    (void)state;
    struct recbuf rb = {0};
    struct dissect_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = EV_HTTP_REQUEST;
    ev.u.http.method = "GET";
    ev.u.http.uri = "/wsman";
    for (uint64_t i = 0; i < 20000; i++) {
        struct flow f = a_flow(i);
        enum record_type t = i % 3 ? REC_FLOW_END : REC_EVENT;
        assert_non_null(record_put(&rb, t, PHASE_TICK_END, i, i, &f, t == REC_EVENT ? &ev : NULL));
    }
    assert_int_equal(rb.records, 20000);
    uint64_t n = 0;
    const struct record *r;
    for (size_t off = 0; (r = recbuf_at(&rb, off)); off += r->len, n++) {
        assert_int_equal(off % 8, 0);
        assert_int_equal(r->seq, n);
        assert_int_equal(r->flow.id, n);
        if (r->type == REC_EVENT) {
            struct dissect_event got;
            record_event(r, &got);
            assert_string_equal(got.u.http.uri, "/wsman");
            assert_null(got.u.http.host);
        }
    }
    assert_int_equal(n, 20000);
    recbuf_reset(&rb);
    assert_null(recbuf_at(&rb, 0));
    recbuf_free(&rb);
}

static void test_limit_refuses(void **state)
{
    (void)state;
    struct recbuf rb = {.max = 70 * 1024};
    struct flow f = a_flow(5);
    size_t made = 0;
    while (record_put(&rb, REC_FLOW_START, PHASE_PACKET, made, 0, &f, NULL))
        made++;
    assert_true(made > 100);
    assert_true(rb.len <= rb.max);
    assert_int_equal(rb.failed, 1);
    assert_int_equal(rb.records, made);
    recbuf_free(&rb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings_survive_their_source),
        cmocka_unit_test(test_stub_and_null_pipe),
        cmocka_unit_test(test_grows_aligned_and_in_order),
        cmocka_unit_test(test_limit_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

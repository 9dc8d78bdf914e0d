/* Detection engines are independent: two of them in one process, fed
 * different traffic, keep their own counts, settings and enabled flags;
 * a reload (detect_configure) keeps the state it found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "config/config.h"
#include "detect/detect.h"

/* An engine with its own alerter, counting what it sends. */
struct side {
    struct alerter *alerter;
    struct detect_engine *engine;
    struct detect_ctx ctx;
    int alerts;
    char last[4096];
};

static struct classifier *cls;
static struct zones *zones;
static struct eve_context eve;
static uint64_t next_flow_id = 1;

static void sink(void *ud, const char *json, size_t len)
{
    struct side *s = ud;
    s->alerts++;
    snprintf(s->last, sizeof(s->last), "%.*s", (int)len, json);
}

static void side_open(struct side *s, const struct config *cfg)
{
    memset(s, 0, sizeof(*s));
    s->alerter = alerter_create(&eve, 0);
    s->engine = detect_create(cfg);
    assert_non_null(s->alerter);
    assert_non_null(s->engine);
    alerter_add_sink(s->alerter, sink, s);
    s->ctx =
        (struct detect_ctx){.engine = s->engine, .alerter = s->alerter, .zones = zones, .cls = cls};
}

static void side_close(struct side *s)
{
    detect_destroy(s->engine);
    alerter_destroy(s->alerter);
}

static int setup(void **state)
{
    (void)state;
    char err[256];
    cls = classify_create(err, sizeof(err));
    zones = zones_create_default();
    eve = (struct eve_context){.cls = cls, .zones = zones, .host = "t"};
    return cls && zones ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    classify_destroy(cls);
    zones_destroy(zones);
    return 0;
}

/* A TCP flow 10.1.<src>.1 -> 10.2.<dst>.1:<port>, started at t_s. */
static struct flow make_flow(uint8_t src, uint8_t dst, uint16_t port, uint64_t t_s)
{
    struct flow f;
    memset(&f, 0, sizeof(f));
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    for (int i = 0; i < 2; i++) {
        memcpy(f.key.addr[i], mapped, 12);
        f.key.addr[i][12] = 10, f.key.addr[i][13] = (uint8_t)(i + 1), f.key.addr[i][15] = 1;
    }
    f.key.addr[0][14] = src, f.key.addr[1][14] = dst;
    f.key.port[0] = 50000, f.key.port[1] = port;
    f.key.proto = 6, f.key.family = 4;
    f.zone[0] = f.zone[1] = zones_lookup(zones, f.key.addr[0]);
    f.first_us = t_s * 1000000u;
    f.id = next_flow_id++;
    return f;
}

static void start(struct side *s, struct flow *f)
{
    s->ctx.now_us = f->first_us;
    detect_flow_start(&s->ctx, f);
}

/* srvsvc NetrSessionEnum (opnum 12): counted by rpc_discovery. */
static void rpc_call(struct side *s, struct flow *f, uint64_t t_s)
{
    static const uint8_t srvsvc[16] = {0xc8, 0x4f, 0x32, 0x4b, 0x70, 0x16, 0xd3, 0x01,
                                       0x12, 0x78, 0x5a, 0x47, 0xbf, 0x6e, 0xe1, 0x88};
    struct dissect_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = EV_DCERPC_REQUEST;
    ev.to_server = 1;
    memcpy(ev.u.rpc.uuid, srvsvc, 16);
    ev.u.rpc.uuid_known = 1;
    ev.u.rpc.opnum = 12;
    s->ctx.now_us = t_s * 1000000u;
    detect_event(&s->ctx, f, &ev);
}

/* internal_scan (20 hosts) and rpc_discovery (5 calls): each engine counts
 * only what it was given. */
static void test_two_engines_count_apart(void **state)
{
    (void)state;
    struct side a, b;
    side_open(&a, NULL);
    side_open(&b, NULL);
    for (int i = 0; i < 19; i++) {
        struct flow f = make_flow(1, (uint8_t)i, 445, 100);
        struct flow g = make_flow(1, (uint8_t)i, 445, 100);
        start(&a, &f);
        start(&b, &g);
    }
    assert_int_equal(a.alerts + b.alerts, 0);
    struct flow f = make_flow(1, 19, 445, 101);
    start(&a, &f);
    assert_int_equal(a.alerts, 1);
    assert_non_null(strstr(a.last, "\"detector\":\"internal_scan\""));
    assert_int_equal(b.alerts, 0);

    for (int i = 0; i < 4; i++) {
        struct flow g = make_flow(2, (uint8_t)i, 445, 200);
        rpc_call(&b, &g, 200 + (uint64_t)i);
    }
    assert_int_equal(b.alerts, 0);
    struct flow h = make_flow(2, 9, 445, 210);
    rpc_call(&a, &h, 210); /* one call in a: not enough there */
    assert_int_equal(a.alerts, 1);
    rpc_call(&b, &h, 210);
    assert_int_equal(b.alerts, 1);
    assert_non_null(strstr(b.last, "\"detector\":\"rpc_discovery\""));
    assert_non_null(strstr(b.last, "\"calls\":5"));
    side_close(&a);
    side_close(&b);
}

/* Settings are the engine's: a lower threshold or a disabled detector in
 * one changes nothing in the other. */
static void test_settings_per_engine(void **state)
{
    (void)state;
    struct config strict;
    config_defaults(&strict);
    int scan = detect_index("internal_scan"), rpc = detect_index("rpc_discovery");
    assert_true(scan >= 0 && rpc >= 0);
    strict.detect.detectors[scan].thresholds[0].value = 3; /* hosts */
    strict.detect.detectors[rpc].enabled = 0;
    struct side a, b;
    side_open(&a, &strict);
    side_open(&b, NULL);
    assert_false(detect_enabled(a.engine, (size_t)rpc));
    assert_true(detect_enabled(b.engine, (size_t)rpc));
    for (int i = 0; i < 3; i++) {
        struct flow f = make_flow(3, (uint8_t)i, 22, 300);
        struct flow g = make_flow(3, (uint8_t)i, 22, 300);
        start(&a, &f);
        start(&b, &g);
    }
    assert_int_equal(a.alerts, 1);
    assert_int_equal(b.alerts, 0);
    for (int i = 0; i < 5; i++) {
        struct flow f = make_flow(4, (uint8_t)i, 445, 400);
        struct flow g = make_flow(4, (uint8_t)i, 445, 400);
        rpc_call(&a, &f, 400);
        rpc_call(&b, &g, 400);
    }
    assert_int_equal(a.alerts, 1);
    assert_int_equal(b.alerts, 1);
    side_close(&a);
    side_close(&b);
}

/* A reload changes settings, not state: counts made before it go on. */
static void test_reload_keeps_state(void **state)
{
    (void)state;
    struct side a;
    side_open(&a, NULL);
    for (int i = 0; i < 4; i++) {
        struct flow f = make_flow(5, (uint8_t)i, 445, 500);
        rpc_call(&a, &f, 500);
    }
    struct config cfg;
    config_defaults(&cfg);
    cfg.detect.detectors[detect_index("internal_scan")].enabled = 0;
    detect_configure(a.engine, &cfg);
    assert_false(detect_enabled(a.engine, (size_t)detect_index("internal_scan")));
    struct flow f = make_flow(5, 9, 445, 501);
    rpc_call(&a, &f, 501);
    assert_int_equal(a.alerts, 1);
    assert_non_null(strstr(a.last, "\"calls\":5"));
    side_close(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_engines_count_apart),
        cmocka_unit_test(test_settings_per_engine),
        cmocka_unit_test(test_reload_keeps_state),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

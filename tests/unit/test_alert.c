/* Community ID, per-flow deduplication and windowed aggregation of alerts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alert/alert.h"
#include "classify/classify.h"
#include "alert/community_id.h"
#include "decode/decode.h"
#include "detect/detect.h"
#include "enrich/zones.h"

static void addr4(uint8_t a[16], uint8_t x, uint8_t y, uint8_t z, uint8_t w)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    memcpy(a, mapped, 12);
    a[12] = x, a[13] = y, a[14] = z, a[15] = w;
}

/* Test vectors of the Community ID specification (corelight/community-id-spec). */
static void test_community_id_vectors(void **state)
{
    (void)state;
    uint8_t a[16], b[16];
    char out[64];
    addr4(a, 128, 232, 110, 120);
    addr4(b, 66, 35, 250, 204);
    assert_int_equal(community_id_v1(0, 4, a, 34855, b, 80, 6, out, sizeof(out)), 0);
    assert_string_equal(out, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    /* Same flow seen from the other side: same id. */
    assert_int_equal(community_id_v1(0, 4, b, 80, a, 34855, 6, out, sizeof(out)), 0);
    assert_string_equal(out, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    /* Seed 1 gives another id (cross-checked with an independent Python
     * implementation of the spec). */
    assert_int_equal(community_id_v1(1, 4, a, 34855, b, 80, 6, out, sizeof(out)), 0);
    assert_string_equal(out, "1:3V71V58M3Ksw/yuFALMcW0LAHvc=");
}

struct capture_sink {
    int n;
    char last[8192];
};

static void sink(void *ud, const char *json, size_t len)
{
    struct capture_sink *c = ud;
    c->n++;
    snprintf(c->last, sizeof(c->last), "%.*s", (int)len, json);
}

static struct flow make_flow(uint8_t host, uint16_t szone, uint16_t dzone)
{
    struct flow f;
    memset(&f, 0, sizeof(f));
    addr4(f.key.addr[0], 10, 20, 0, host);
    addr4(f.key.addr[1], 10, 10, 0, 5);
    f.key.port[0] = 50000;
    f.key.port[1] = 445;
    f.key.proto = 6;
    f.key.family = 4;
    f.zone[0] = szone;
    f.zone[1] = dzone;
    f.cls.done = 1;
    f.id = host;
    return f;
}

struct fixture {
    struct classifier *cls;
    struct zones *zones;
    struct eve_context eve;
};

static int setup(void **state)
{
    static struct fixture fx;
    char err[256];
    fx.cls = classify_create(err, sizeof(err));
    fx.zones = zones_create_default();
    fx.eve = (struct eve_context){.cls = fx.cls, .zones = fx.zones, .host = "t"};
    *state = &fx;
    return fx.cls && fx.zones ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    classify_destroy(fx->cls);
    zones_destroy(fx->zones);
    return 0;
}

static void emit(struct alerter *a, struct flow *f, uint64_t ts)
{
    /* As the engine sends it: the declaration and its registry position. */
    struct alert al = {.det = &detect_find("smb_admin_share")->info,
                       .det_index = (unsigned)detect_index("smb_admin_share"),
                       .signature = "VIGIE test",
                       .severity = 2,
                       .policy = "none"};
    alert_add_str(&al, "share", "ADMIN$");
    alerter_emit(a, &al, f, ts);
}

static void test_same_flow_and_detector_once(void **state)
{
    struct fixture *fx = *state;
    struct capture_sink c = {0};
    struct alerter *a = alerter_create(&fx->eve, 0);
    alerter_add_sink(a, sink, &c);
    struct flow f = make_flow(1, 1, 0);
    emit(a, &f, 1000000);
    emit(a, &f, 2000000);
    assert_int_equal(c.n, 1);
    assert_non_null(strstr(c.last, "\"share\":\"ADMIN$\""));
    assert_non_null(strstr(c.last, "\"signature_id\":9100300"));
    assert_non_null(strstr(c.last, "\"mitre_technique_id\":[\"T1021.002\"]"));
    assert_non_null(strstr(c.last, "\"mitre_tactic_id\":[\"TA0008\"]"));
    alerter_destroy(a);
}

static void test_repeats_aggregated_with_count(void **state)
{
    struct fixture *fx = *state;
    struct capture_sink c = {0};
    struct alerter *a = alerter_create(&fx->eve, 60);
    alerter_add_sink(a, sink, &c);
    struct flow f[4] = {make_flow(1, 1, 0), make_flow(2, 1, 0), make_flow(3, 1, 0),
                        make_flow(4, 0, 1)};
    emit(a, &f[0], 1000000); /* sent */
    emit(a, &f[1], 2000000); /* same detector and zones: counted */
    emit(a, &f[2], 3000000); /* counted */
    emit(a, &f[3], 4000000); /* other zone pair: sent */
    assert_int_equal(c.n, 2);
    alerter_tick(a, 30000000); /* window not over */
    assert_int_equal(c.n, 2);
    alerter_tick(a, 62000000); /* window over: one alert for the two repeats */
    assert_int_equal(c.n, 3);
    assert_non_null(strstr(c.last, "\"count\":2"));
    assert_non_null(strstr(c.last, "\"src_ip\":\"10.20.0.3\""));
    alerter_flush(a);
    assert_int_equal(c.n, 3);
    alerter_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_community_id_vectors),
        cmocka_unit_test(test_same_flow_and_detector_once),
        cmocka_unit_test(test_repeats_aggregated_with_count),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

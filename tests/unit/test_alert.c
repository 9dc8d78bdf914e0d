/* Community ID, per-flow deduplication, windowed aggregation by source, and
 * the alerts' hand-off to the correlator. */
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
#include "correlate/correlate.h"
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

/* Every record the alerter and the correlator write, in order. */
struct capture_sink {
    int n, incidents;
    char order[64]; /* 'A' per alert, 'I' per incident record */
    char last[8192], last_incident[8192];
};

static void note(struct capture_sink *c, char kind)
{
    size_t k = strlen(c->order);
    if (k + 1 < sizeof(c->order)) c->order[k] = kind;
}

static void sink(void *ud, const char *json, size_t len)
{
    struct capture_sink *c = ud;
    c->n++;
    note(c, 'A');
    snprintf(c->last, sizeof(c->last), "%.*s", (int)len, json);
}

static void incident_sink(void *ud, const char *json, size_t len)
{
    struct capture_sink *c = ud;
    c->incidents++;
    note(c, 'I');
    snprintf(c->last_incident, sizeof(c->last_incident), "%.*s", (int)len, json);
}

/* A flow from 10.20.0.<client> to 10.10.0.<server>, port 445. */
static struct flow make_flow2(uint8_t client, uint8_t server, uint16_t szone, uint16_t dzone)
{
    struct flow f;
    memset(&f, 0, sizeof(f));
    addr4(f.key.addr[0], 10, 20, 0, client);
    addr4(f.key.addr[1], 10, 10, 0, server);
    f.key.port[0] = 50000;
    f.key.port[1] = 445;
    f.key.proto = 6;
    f.key.family = 4;
    f.zone[0] = szone;
    f.zone[1] = dzone;
    f.cls.done = 1;
    f.id = (uint64_t)client << 8 | server;
    return f;
}

static struct flow make_flow(uint8_t host, uint16_t szone, uint16_t dzone)
{
    return make_flow2(host, 5, szone, dzone);
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

static void emit_as(struct alerter *a, const char *detector, struct flow *f, uint64_t ts)
{
    /* As the engine sends it: the declaration and its registry position. */
    struct alert al = {.det = &detect_find(detector)->info,
                       .det_index = (unsigned)detect_index(detector),
                       .signature = "VIGIE test",
                       .severity = 2,
                       .policy = "none"};
    alert_add_str(&al, "share", "ADMIN$");
    alerter_emit(a, &al, f, ts);
}

static void emit(struct alerter *a, struct flow *f, uint64_t ts)
{
    emit_as(a, "smb_admin_share", f, ts);
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
    /* No correlator: no incident named. */
    assert_null(strstr(c.last, "\"incident\""));
    alerter_destroy(a);
}

static void test_repeats_aggregated_with_count(void **state)
{
    struct fixture *fx = *state;
    struct capture_sink c = {0};
    struct alerter *a = alerter_create(&fx->eve, 60);
    alerter_add_sink(a, sink, &c);
    /* One source, three servers; then another zone pair. */
    struct flow f[4] = {make_flow2(1, 5, 1, 0), make_flow2(1, 6, 1, 0), make_flow2(1, 7, 1, 0),
                        make_flow2(1, 8, 0, 1)};
    emit(a, &f[0], 1000000); /* sent */
    emit(a, &f[1], 2000000); /* same detector, source and zones: counted */
    emit(a, &f[2], 3000000); /* counted */
    emit(a, &f[3], 4000000); /* other zone pair: sent */
    assert_int_equal(c.n, 2);
    alerter_tick(a, 30000000); /* window not over */
    assert_int_equal(c.n, 2);
    alerter_tick(a, 62000000); /* window over: one alert for the two repeats */
    assert_int_equal(c.n, 3);
    assert_non_null(strstr(c.last, "\"count\":2"));
    assert_non_null(strstr(c.last, "\"dest_ip\":\"10.10.0.7\""));
    alerter_flush(a);
    assert_int_equal(c.n, 3);
    struct alerter_stats st;
    alerter_get_stats(a, &st);
    assert_int_equal(st.sent, 3);
    assert_int_equal(st.aggregated, 1);
    alerter_destroy(a);
}

/* docs/incidents.md: an aggregate is one detector from one source between
 * two zones, so it never mixes two incidents. */
static void test_aggregation_by_source(void **state)
{
    struct fixture *fx = *state;
    struct capture_sink c = {0};
    struct alerter *a = alerter_create(&fx->eve, 60);
    alerter_add_sink(a, sink, &c);
    struct flow f[4] = {make_flow2(1, 5, 1, 0), make_flow2(2, 5, 1, 0), make_flow2(1, 6, 1, 0),
                        make_flow2(2, 6, 1, 0)};
    emit(a, &f[0], 1000000); /* source .1: sent */
    emit(a, &f[1], 2000000); /* source .2, same detector and zones: sent, not counted */
    assert_int_equal(c.n, 2);
    assert_non_null(strstr(c.last, "\"src_ip\":\"10.20.0.2\""));
    assert_non_null(strstr(c.last, "\"count\":1"));
    emit(a, &f[2], 3000000); /* repeat of .1: counted */
    emit(a, &f[3], 4000000); /* repeat of .2: counted apart */
    assert_int_equal(c.n, 2);
    alerter_flush(a);
    assert_int_equal(c.n, 4);
    struct alerter_stats st;
    alerter_get_stats(a, &st);
    assert_int_equal(st.aggregated, 2);
    assert_non_null(strstr(c.last, "\"count\":1")); /* each aggregate holds its own repeat */
    alerter_destroy(a);
}

/* Source i of many, from zone 1 to 10.10.0.<server> in zone 0. Scattered:
 * addresses that differ in one byte, or in two low ones, would give every
 * aggregate key its own home (each step of FNV-1a is a bijection modulo
 * 1024). */
static struct flow scattered_flow(int i, uint8_t server)
{
    uint32_t v = (uint32_t)(i + 1) * 2654435761u;
    struct flow f = make_flow2(1, server, 1, 0);
    addr4(f.key.addr[0], 10, (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8));
    return f;
}

/* Aggregates whose windows closed leave their slots: a repeat of a source
 * whose key probed past one of them still finds its own aggregate (200
 * sources in 1024 slots share chains). With the slot merely emptied, 10
 * of these 100 repeats were sent as new alerts. */
static void test_repeat_found_past_closed_aggregates(void **state)
{
    struct fixture *fx = *state;
    struct capture_sink c = {0};
    struct alerter *a = alerter_create(&fx->eve, 60);
    alerter_add_sink(a, sink, &c);
    enum { SOURCES = 200 };
    struct flow first[SOURCES], again[SOURCES];
    for (int i = 0; i < SOURCES; i++) {
        first[i] = scattered_flow(i, 5);
        again[i] = scattered_flow(i, 6);
    }
    /* Odd sources first, their windows closing at 61 s: an even source
     * whose home one of them holds goes further down the chain. */
    for (int i = 1; i < SOURCES; i += 2)
        emit(a, &first[i], 1000000);
    for (int i = 0; i < SOURCES; i += 2)
        emit(a, &first[i], 40000000); /* closing at 100 s */
    assert_int_equal(c.n, SOURCES);
    alerter_tick(a, 62000000);
    assert_int_equal(c.n, SOURCES); /* nothing held yet */
    for (int i = 0; i < SOURCES; i += 2)
        emit(a, &again[i], 70000000); /* inside its window: counted, not sent */
    assert_int_equal(c.n, SOURCES);
    alerter_tick(a, 99000000);
    assert_int_equal(c.n, SOURCES);
    alerter_tick(a, 100000000); /* the even sources' windows close */
    assert_int_equal(c.n, SOURCES + SOURCES / 2);
    struct alerter_stats st;
    alerter_get_stats(a, &st);
    assert_int_equal(st.aggregated, SOURCES / 2);
    alerter_flush(a);
    assert_int_equal(c.n, SOURCES + SOURCES / 2);
    alerter_destroy(a);
}

/* More sources than slots: those without one are sent as they come, and
 * closing every window of a full table ends. */
static void test_full_table_closes(void **state)
{
    struct fixture *fx = *state;
    struct capture_sink c = {0};
    struct alerter *a = alerter_create(&fx->eve, 60);
    alerter_add_sink(a, sink, &c);
    enum { SOURCES = 1100 };
    static struct flow first[SOURCES], again[SOURCES];
    for (int i = 0; i < SOURCES; i++) {
        first[i] = scattered_flow(i, 5);
        again[i] = scattered_flow(i, 6);
        emit(a, &first[i], 1000000);
    }
    assert_int_equal(c.n, SOURCES);
    for (int i = 0; i < SOURCES; i++)
        emit(a, &again[i], 2000000); /* 1024 counted, the rest sent */
    assert_int_equal(c.n, SOURCES + (SOURCES - 1024));
    alerter_tick(a, 61000000); /* every window closes, the table was full */
    assert_int_equal(c.n, SOURCES + SOURCES);
    struct alerter_stats st;
    alerter_get_stats(a, &st);
    assert_int_equal(st.aggregated, 1024);
    emit(a, &first[0], 62000000); /* same flow: a duplicate, not sent */
    struct flow later = make_flow2(1, 7, 1, 0);
    emit(a, &later, 62000000); /* a new window opens in the emptied table */
    assert_int_equal(c.n, SOURCES + SOURCES + 1);
    alerter_destroy(a);
}

static struct correlator *make_correlator(struct fixture *fx, struct capture_sink *c, int enabled)
{
    struct corr_settings set = {
        .enabled = enabled, .timeout_s = CORR_DEFAULT_TIMEOUT_S, .max_open = CORR_DEFAULT_MAX_OPEN};
    return correlate_create(&set, fx->zones, "t", incident_sink, c);
}

/* The value of "incident" in an alert, or "" without one. */
static void incident_of(const char *json, char id[64])
{
    const char *p = strstr(json, "\"incident\":\"");
    id[0] = 0;
    if (p) sscanf(p + 12, "%63[^\"]", id);
}

static int is_hex_id(const char *id)
{
    if (strlen(id) != CORR_ID_LEN - 1) return 0;
    for (const char *p = id; *p; p++)
        if (!strchr("0123456789abcdef", *p)) return 0;
    return 1;
}

/* Each finding joins its incident before the alert is written: the alert
 * names it, and the incident version follows the alert. */
static void test_alert_names_its_incident(void **state)
{
    struct fixture *fx = *state;
    struct capture_sink c = {0};
    struct correlator *corr = make_correlator(fx, &c, 1);
    assert_non_null(corr);
    struct alerter *a = alerter_create(&fx->eve, 60);
    alerter_add_sink(a, sink, &c);
    alerter_set_correlator(a, corr);

    struct flow f[3] = {make_flow2(1, 5, 0, 0), make_flow2(1, 6, 0, 0), make_flow2(1, 7, 0, 0)};
    emit(a, &f[0], 1000000);
    assert_int_equal(c.n, 1);
    char id[64], again[64];
    incident_of(c.last, id);
    assert_true(is_hex_id(id));
    /* The record of the new incident came after the alert, with its id. */
    assert_string_equal(c.order, "AI");
    assert_non_null(strstr(c.last_incident, "\"event_type\":\"incident\""));
    assert_non_null(strstr(c.last_incident, id));

    /* A repeat is counted in the aggregate and in the incident. */
    emit(a, &f[1], 2000000);
    emit(a, &f[2], 3000000);
    assert_int_equal(c.n, 1);
    alerter_flush(a);
    correlate_flush(corr);
    assert_int_equal(c.n, 2);
    assert_non_null(strstr(c.last, "\"count\":2"));
    incident_of(c.last, again);
    assert_string_equal(again, id);
    struct correlate_stats cs;
    correlate_get_stats(corr, &cs);
    assert_int_equal(cs.incidents, 1);

    alerter_destroy(a);
    correlate_destroy(corr);
}

/* ndpi_risk has no ATT&CK mapping: it never opens an incident. With the
 * correlator off, no alert names one. */
static void test_no_incident_without_mapping_or_when_off(void **state)
{
    struct fixture *fx = *state;
    struct capture_sink c = {0};
    struct correlator *corr = make_correlator(fx, &c, 1);
    struct alerter *a = alerter_create(&fx->eve, 0);
    alerter_add_sink(a, sink, &c);
    alerter_set_correlator(a, corr);
    struct flow f = make_flow2(3, 5, 0, 0);
    emit_as(a, "ndpi_risk", &f, 1000000);
    assert_int_equal(c.n, 1);
    assert_null(strstr(c.last, "\"incident\""));
    assert_int_equal(c.incidents, 0);
    alerter_destroy(a);
    correlate_destroy(corr);

    struct capture_sink off = {0};
    corr = make_correlator(fx, &off, 0);
    a = alerter_create(&fx->eve, 0);
    alerter_add_sink(a, sink, &off);
    alerter_set_correlator(a, corr);
    struct flow g = make_flow2(4, 5, 0, 0);
    emit(a, &g, 1000000);
    correlate_flush(corr);
    assert_int_equal(off.n, 1);
    assert_null(strstr(off.last, "\"incident\""));
    assert_int_equal(off.incidents, 0);
    alerter_destroy(a);
    correlate_destroy(corr);
}

/* An allowed flow is a fact: no alert, counted, and handed on. */
static void test_allowed_flow_is_no_alert(void **state)
{
    struct fixture *fx = *state;
    struct capture_sink c = {0};
    struct correlator *corr = make_correlator(fx, &c, 1);
    struct alerter *a = alerter_create(&fx->eve, 0);
    alerter_add_sink(a, sink, &c);
    alerter_set_correlator(a, corr);
    struct flow f = make_flow2(9, 5, 1, 0);
    alerter_allowed_flow(a, &detect_find("admin_protocol_cross_zone")->info, &f, "T1021.002",
                         1000000);
    correlate_flush(corr);
    assert_int_equal(c.n, 0);
    assert_int_equal(c.incidents, 0); /* an allowed flow never opens an incident */
    struct alerter_stats st;
    alerter_get_stats(a, &st);
    assert_int_equal(st.allowed_flows, 1);
    assert_int_equal(st.sent, 0);
    alerter_destroy(a);
    correlate_destroy(corr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_community_id_vectors),
        cmocka_unit_test(test_same_flow_and_detector_once),
        cmocka_unit_test(test_repeats_aggregated_with_count),
        cmocka_unit_test(test_aggregation_by_source),
        cmocka_unit_test(test_repeat_found_past_closed_aggregates),
        cmocka_unit_test(test_full_table_closes),
        cmocka_unit_test(test_alert_names_its_incident),
        cmocka_unit_test(test_no_incident_without_mapping_or_when_off),
        cmocka_unit_test(test_allowed_flow_is_no_alert),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

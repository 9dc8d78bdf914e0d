/* admin_protocol_cross_zone against the policy (docs/incidents.md rule 9):
 * a flow the policy denies alerts and opens an incident; one it allows is
 * no alert but a fact of its flow, which counts in the incident its client
 * acts in and never opens one. Engine, alerter and correlator as the
 * pipeline wires them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <ndpi_api.h>

#include "config/config.h"
#include "correlate/correlate.h"
#include "detect/detect.h"

struct sinks {
    int alerts, incidents;
    char alert[8192], incident[16384];
};

static void alert_sink(void *ud, const char *json, size_t len)
{
    struct sinks *s = ud;
    s->alerts++;
    snprintf(s->alert, sizeof(s->alert), "%.*s", (int)len, json);
}

static void incident_sink(void *ud, const char *json, size_t len)
{
    struct sinks *s = ud;
    s->incidents++;
    snprintf(s->incident, sizeof(s->incident), "%.*s", (int)len, json);
}

struct world {
    struct classifier *cls;
    struct zones *zones;
    struct policy *policy;
    struct eve_context eve;
    struct alerter *alerter;
    struct correlator *corr;
    struct detect_ctx ctx;
    struct sinks out;
};

/* Zones a (10.1.0.0/16) and b (10.2.0.0/16); the policy denies a -> b
 * but SMB. */
static int setup(void **state)
{
    static struct world w;
    static struct config_zone zc[2];
    char err[256];
    memset(&w, 0, sizeof(w));
    struct config cfg;
    config_defaults(&cfg);
    const char *names[2] = {"a", "b"}, *nets[2] = {"10.1.0.0/16", "10.2.0.0/16"};
    static struct cidr cidrs[2];
    for (int i = 0; i < 2; i++) {
        snprintf(zc[i].name, sizeof(zc[i].name), "%s", names[i]);
        if (cidr_parse(nets[i], &cidrs[i], err, sizeof(err)) != 0) return -1;
        zc[i].cidrs = &cidrs[i];
        zc[i].n_cidrs = 1;
    }
    cfg.zones = zc;
    cfg.n_zones = 2;
    w.cls = classify_create(err, sizeof(err));
    w.zones = zones_create(&cfg, err, sizeof(err));
    w.policy = policy_create(1, 0);
    if (!w.cls || !w.zones || !w.policy) return -1;
    struct policy_rule r = {.from = (uint16_t)zones_id(w.zones, "a"),
                            .to = (uint16_t)zones_id(w.zones, "b"),
                            .apps = {NDPI_PROTOCOL_SMBV23},
                            .napps = 1,
                            .source = "test.yaml:7"};
    if (policy_add_rule(w.policy, &r) != 0) return -1;
    w.eve = (struct eve_context){.cls = w.cls, .zones = w.zones, .host = "t", .policy = w.policy};
    struct corr_settings set = {1, CORR_DEFAULT_TIMEOUT_S, CORR_DEFAULT_MAX_OPEN};
    w.alerter = alerter_create(&w.eve, 0);
    w.corr = correlate_create(&set, w.zones, "t", incident_sink, &w.out);
    if (!w.alerter || !w.corr) return -1;
    alerter_add_sink(w.alerter, alert_sink, &w.out);
    alerter_set_correlator(w.alerter, w.corr);
    w.ctx = (struct detect_ctx){.engine = detect_create(NULL),
                                .alerter = w.alerter,
                                .zones = w.zones,
                                .cls = w.cls,
                                .policy = w.policy};
    *state = &w;
    return w.ctx.engine ? 0 : -1;
}

static int teardown(void **state)
{
    struct world *w = *state;
    detect_destroy(w->ctx.engine);
    alerter_destroy(w->alerter);
    correlate_destroy(w->corr);
    policy_destroy(w->policy);
    zones_destroy(w->zones);
    classify_destroy(w->cls);
    return 0;
}

/* A classified flow 10.1.0.<src> -> 10.2.0.<dst>:port of nDPI app. */
static struct flow make_flow(struct world *w, uint8_t src, uint8_t dst, uint16_t port, uint16_t app)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static uint64_t id = 1;
    struct flow f;
    memset(&f, 0, sizeof(f));
    for (int i = 0; i < 2; i++) {
        memcpy(f.key.addr[i], mapped, 12);
        f.key.addr[i][12] = 10, f.key.addr[i][13] = (uint8_t)(i + 1);
    }
    f.key.addr[0][15] = src, f.key.addr[1][15] = dst;
    f.key.port[0] = 50000, f.key.port[1] = port;
    f.key.proto = 6, f.key.family = 4;
    for (int i = 0; i < 2; i++)
        f.zone[i] = zones_lookup(w->zones, f.key.addr[i]);
    f.cls.master = f.cls.app = app;
    f.cls.done = 1;
    f.payload = 3; /* both sides spoke the protocol */
    f.id = id++;
    return f;
}

static void classified(struct world *w, struct flow *f, uint64_t t_s)
{
    w->ctx.now_us = f->first_us = f->last_us = t_s * 1000000u;
    detect_classified(&w->ctx, f);
}

/* A SYN to 3389 that nothing answered, guessed as RDP by its port: no
 * remote administration happened, so no admin_protocol_cross_zone. */
static void test_probe_is_not_administration(void **state)
{
    struct world *w = *state;
    /* policy_violation reports the attempt; admin_protocol_cross_zone, the
     * registry's next detector, would be the last alert if it fired. */
    w->out.alert[0] = 0;
    struct flow probe = make_flow(w, 6, 10, 3389, NDPI_PROTOCOL_RDP);
    probe.payload = 0;
    classified(w, &probe, 900);
    assert_non_null(strstr(w->out.alert, "\"detector\":\"policy_violation\""));
    /* The same flow, answered and spoken, is administration. */
    struct flow rdp = make_flow(w, 6, 10, 3389, NDPI_PROTOCOL_RDP);
    classified(w, &rdp, 901);
    assert_non_null(strstr(w->out.alert, "\"detector\":\"admin_protocol_cross_zone\""));
}

static void test_denied_alerts_allowed_is_a_fact(void **state)
{
    struct world *w = *state;
    /* 10.1.0.5 opens RDP to 10.2.0.9, which the policy denies. */
    struct flow rdp = make_flow(w, 5, 9, 3389, NDPI_PROTOCOL_RDP);
    classified(w, &rdp, 1000);
    assert_non_null(strstr(w->out.alert, "\"detector\":\"admin_protocol_cross_zone\""));
    assert_non_null(strstr(w->out.alert, "\"policy\":\"deny\""));
    assert_non_null(strstr(w->out.alert, "\"mitre_technique_id\":[\"T1021.001\"]"));
    assert_non_null(strstr(w->out.alert, "\"incident\":\""));
    assert_false(rdp.policy_allowed);
    int alerts = w->out.alerts, records = w->out.incidents;
    assert_true(records > 0);

    /* Then SMB to 10.2.0.7, which the policy allows: no alert, a fact of
     * the flow, and a hop of its client's incident. */
    struct flow smb = make_flow(w, 5, 7, 445, NDPI_PROTOCOL_SMBV23);
    classified(w, &smb, 1010);
    assert_int_equal(w->out.alerts, alerts);
    assert_true(smb.policy_allowed);
    assert_true(w->out.incidents > records);
    assert_non_null(strstr(w->out.incident, "\"10.2.0.7\""));
    assert_non_null(strstr(w->out.incident, "\"allowed_flows\":1"));
    assert_non_null(strstr(w->out.incident, "T1021.002"));

    /* Its flow record says so, with the rule. */
    struct json_writer j = {0};
    json_begin_object(&j);
    eve_flow_event(&j, &w->eve, &smb, FLOW_END_EOF);
    json_end_object(&j);
    size_t len;
    const char *rec = json_buffer(&j, &len);
    assert_non_null(rec);
    const char *vigie = strstr(rec, "\"vigie\":{");
    assert_non_null(vigie);
    assert_non_null(strstr(vigie, "\"policy\":\"allow\""));
    assert_non_null(strstr(vigie, "\"allowed_by\":\"test.yaml:7\""));
    json_reset(&j);
    json_begin_object(&j);
    eve_flow_event(&j, &w->eve, &rdp, FLOW_END_EOF);
    json_end_object(&j);
    assert_null(strstr(json_buffer(&j, &len), "\"allow\""));
    json_free(&j);

    /* A host in no incident opening the same share: a fact, no alert, no
     * incident of its own. */
    struct correlate_stats before, after;
    correlate_get_stats(w->corr, &before);
    struct flow benign = make_flow(w, 6, 7, 445, NDPI_PROTOCOL_SMBV23);
    classified(w, &benign, 1020);
    correlate_get_stats(w->corr, &after);
    assert_int_equal(w->out.alerts, alerts);
    assert_true(benign.policy_allowed);
    assert_int_equal(after.incidents, before.incidents);
    struct alerter_stats st;
    alerter_get_stats(w->alerter, &st);
    assert_int_equal(st.allowed_flows, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_is_not_administration),
        cmocka_unit_test(test_denied_alerts_allowed_is_a_fact),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

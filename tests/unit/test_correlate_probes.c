/* Probes (docs/incidents.md rule 11): alerts about flows that reached no
 * service count in their incident but bring in no destination host, no
 * hop, no pivot candidate and no late-report merge; allowed probes are
 * ignored. */
#include "test_correlate.h"

static struct corr_event probe(const struct zones *z, uint64_t ts, const char *src, const char *dst,
                               const char *detector, const char *const *techniques)
{
    struct corr_event ev = event(z, CORR_ALERT, ts, src, dst, detector, techniques);
    ev.probe = 1;
    return ev;
}

/* A port scan of 30 servers, then one real lateral movement: the incident
 * holds the scanner and the real target only. */
static void test_scan_then_lateral(void **state)
{
    (void)state;
    struct harness h;
    harness_open(&h, 3600, 64);
    char id[CORR_ID_LEN], first[CORR_ID_LEN];
    struct corr_event s = probe(h.z, T0, "10.1.0.42", "10.2.0.1", "port_scan", SCAN);
    assert_int_equal(feed(&h, &s, first), 1);
    assert_int_equal(h.r.n, 1);
    struct jv *v = rec(&h.r, 0);
    /* The origin's host and zone come with new_incident. */
    assert_string_equal(jlist(v, "incident.change"), "new_incident,new_tactic");
    assert_string_equal(jstr(v, "incident.origin"), "10.1.0.42");
    assert_int_equal(jlen(v, "incident.hosts"), 1);
    assert_int_equal(jlen(v, "incident.hops"), 0);
    assert_string_equal(jlist(v, "incident.zones"), "users");
    assert_int_equal(jnum(v, "incident.alerts"), 1);
    assert_int_equal(jnum(v, "incident.probes"), 1);
    jfree(v);

    /* SYNs to closed ports that nDPI named RDP by port: a lateral-movement
     * technique, on a flow that reached nothing. */
    for (int i = 2; i <= 30; i++) {
        char dst[32];
        snprintf(dst, sizeof(dst), "10.2.0.%d", i);
        struct corr_event p =
            probe(h.z, T0 + (uint64_t)i * 100000, "10.1.0.42", dst, "ndpi_guess", RDP);
        if (i == 17) p.severity = 1;
        assert_int_equal(feed(&h, &p, id), 1);
        assert_string_equal(id, first);
        /* The first one reaches a new tactic and is written at once; the
         * others are minor changes. */
        assert_int_equal(h.r.n, 2);
    }
    v = rec(&h.r, 1);
    assert_string_equal(jlist(v, "incident.change"), "new_tactic");
    assert_string_equal(jlist(v, "incident.tactics"), "TA0007,TA0008");
    assert_int_equal(jlen(v, "incident.hosts"), 1);
    assert_int_equal(jnum(v, "incident.probes"), 2);
    jfree(v);

    struct corr_event a =
        event(h.z, CORR_ALERT, T0 + 20 * SEC, "10.1.0.42", "10.2.0.20", "smb_admin_share", SMB);
    assert_int_equal(feed(&h, &a, id), 1);
    assert_string_equal(id, first);
    assert_int_equal(h.r.n, 3);
    v = rec(&h.r, 2);
    assert_string_equal(jlist(v, "incident.change"), "new_host,new_hop,new_zone");
    assert_int_equal(jlen(v, "incident.hosts"), 2);
    assert_string_equal(jstr(v, "incident.hosts.1.ip"), "10.2.0.20");
    assert_string_equal(jstr(v, "incident.hosts.1.role"), "target");
    /* The host joined with the real alert, not with the earlier probe. */
    assert_string_equal(jstr(v, "incident.hosts.1.first_seen"), "2023-07-11T16:41:56.000000+0000");
    assert_int_equal(jlen(v, "incident.hops"), 1);
    assert_string_equal(jlist(v, "incident.hops.0.techniques"), "T1021.002");
    assert_int_equal(jnum(v, "incident.hops.0.alerts"), 1);
    assert_int_equal(jnum(v, "incident.alerts"), 31);
    assert_int_equal(jnum(v, "incident.probes"), 30);
    assert_string_equal(jlist(v, "incident.tactics"), "TA0007,TA0008");
    assert_string_equal(jlist(v, "incident.zones"), "users,servers");
    assert_int_equal(jnum(v, "incident.severity"), 1);
    /* 2 tactics, 1 zone crossed, servers high; no pivot. */
    assert_int_equal(jnum(v, "incident.score"), 20 + 5 + 5);
    jfree(v);

    /* A later probe only moves last_seen and the counts: a minor update,
     * written at the end of the run. */
    struct corr_event late = probe(h.z, T0 + 30 * SEC, "10.1.0.42", "10.2.0.99", "ndpi_guess", RDP);
    assert_int_equal(feed(&h, &late, id), 1);
    assert_int_equal(h.r.n, 3);
    correlate_flush(h.c);
    assert_int_equal(h.r.n, 4);
    v = rec(&h.r, 3);
    assert_string_equal(jlist(v, "incident.change"), "update");
    assert_string_equal(jstr(v, "incident.last_seen"), "2023-07-11T16:42:06.000000+0000");
    assert_int_equal(jlen(v, "incident.hosts"), 2);
    assert_int_equal(jnum(v, "incident.probes"), 31);
    jfree(v);

    struct correlate_stats st;
    correlate_get_stats(h.c, &st);
    assert_int_equal(st.incidents, 1);
    assert_int_equal(st.hosts_dropped, 0);
    assert_int_equal(st.hops_dropped, 0);
    harness_close(&h);
}

/* A probe onto B never makes B a pivot: B's own alert opens its own
 * incident. The probe's source may still become a pivot by rule 1. */
static void test_probe_no_pivot(void **state)
{
    (void)state;
    struct harness h;
    harness_open(&h, 3600, 64);
    char i1[CORR_ID_LEN], i2[CORR_ID_LEN];
    struct corr_event p = probe(h.z, T0, "10.1.0.5", "10.2.0.7", "smb_admin_share", SMB);
    struct corr_event b = event(h.z, CORR_ALERT, T0 + SEC, "10.2.0.7", "10.3.0.9", "wmi", WMI);
    assert_int_equal(feed(&h, &p, i1), 1);
    assert_int_equal(feed(&h, &b, i2), 1);
    assert_string_not_equal(i1, i2);
    struct jv *v = rec(&h.r, h.r.n - 1);
    assert_string_equal(jstr(v, "incident.id"), i2);
    assert_string_equal(jstr(v, "incident.origin"), "10.2.0.7");
    assert_int_equal(jnum(v, "incident.probes"), 0);
    jfree(v);

    /* C, a real lateral target of A's incident, probes D: C becomes a
     * pivot there, D stays out. */
    struct corr_event a =
        event(h.z, CORR_ALERT, T0 + 2 * SEC, "10.1.0.5", "10.2.0.8", "smb_admin_share", SMB);
    struct corr_event q = probe(h.z, T0 + 3 * SEC, "10.2.0.8", "10.4.0.3", "port_scan", SCAN);
    assert_int_equal(feed(&h, &a, i2), 1);
    assert_string_equal(i1, i2);
    assert_int_equal(feed(&h, &q, i2), 1);
    assert_string_equal(i1, i2);
    v = rec(&h.r, h.r.n - 1);
    assert_string_equal(jlist(v, "incident.change"), "new_tactic,pivot");
    assert_int_equal(jlen(v, "incident.hosts"), 2);
    assert_string_equal(jstr(v, "incident.hosts.1.role"), "pivot");
    assert_int_equal(jlen(v, "incident.hops"), 1);
    assert_string_equal(jlist(v, "incident.zones"), "users,servers");
    assert_int_equal(jnum(v, "incident.probes"), 2);
    jfree(v);
    harness_close(&h);
}

/* Rule 4 on a late report: B opened J at T0 + 10 s; A's lateral alert onto
 * B stamped T0 + 5 s arrives after. Merged if real, not if a probe. */
static uint64_t late_report(int is_probe)
{
    struct harness h;
    harness_open(&h, 3600, 64);
    char i1[CORR_ID_LEN], i2[CORR_ID_LEN], i3[CORR_ID_LEN];
    struct corr_event a = event(h.z, CORR_ALERT, T0, "10.1.0.5", "10.2.0.1", "port_scan", SCAN);
    struct corr_event b = event(h.z, CORR_ALERT, T0 + 10 * SEC, "10.2.0.7", "10.3.0.9", "wmi", WMI);
    struct corr_event l =
        event(h.z, CORR_ALERT, T0 + 5 * SEC, "10.1.0.5", "10.2.0.7", "smb_admin_share", SMB);
    l.probe = is_probe;
    assert_int_equal(feed(&h, &a, i1), 1);
    assert_int_equal(feed(&h, &b, i2), 1);
    assert_int_equal(feed(&h, &l, i3), 1);
    assert_string_equal(i1, i3);
    struct correlate_stats st;
    correlate_get_stats(h.c, &st);
    assert_int_equal(st.open, is_probe ? 2 : 1);
    struct jv *v = rec(&h.r, h.r.n - 1);
    assert_int_equal(jlen(v, "incident.hosts"), is_probe ? 2 : 4);
    jfree(v);
    harness_close(&h);
    return st.merged;
}

static void test_probe_no_late_merge(void **state)
{
    (void)state;
    assert_int_equal(late_report(0), 1);
    assert_int_equal(late_report(1), 0);
}

/* An allowed flow that is a probe is no fact: nothing joins, nothing is
 * written, its destination can not pivot later. */
static void test_allowed_probe_ignored(void **state)
{
    (void)state;
    struct harness h;
    harness_open(&h, 3600, 64);
    char i1[CORR_ID_LEN], i2[CORR_ID_LEN];
    struct corr_event a =
        event(h.z, CORR_ALERT, T0, "10.1.0.5", "10.2.0.7", "smb_admin_share", SMB);
    assert_int_equal(feed(&h, &a, i1), 1);
    size_t n = h.r.n;
    struct corr_event f =
        event(h.z, CORR_ALLOWED_FLOW, T0 + SEC, "10.1.0.5", "10.2.0.8", "admin_protocol", RDP);
    f.probe = 1;
    assert_int_equal(feed(&h, &f, i2), 0);
    correlate_flush(h.c);
    assert_int_equal(h.r.n, n);
    struct corr_event b = event(h.z, CORR_ALERT, T0 + 2 * SEC, "10.2.0.8", "10.3.0.9", "wmi", WMI);
    assert_int_equal(feed(&h, &b, i2), 1);
    assert_string_not_equal(i1, i2);

    /* The same flow with a service behind it counts and makes a target
     * that may pivot. */
    f.probe = 0;
    f.dst = host(h.z, "10.2.0.9");
    assert_int_equal(feed(&h, &f, i2), 1);
    assert_string_equal(i1, i2);
    struct jv *v = rec(&h.r, h.r.n - 1);
    assert_int_equal(jlen(v, "incident.hosts"), 3);
    assert_string_equal(jstr(v, "incident.hosts.2.ip"), "10.2.0.9");
    assert_int_equal(jnum(v, "incident.hops.1.allowed_flows"), 1);
    assert_int_equal(jnum(v, "incident.probes"), 0);
    jfree(v);
    harness_close(&h);
}

/* Ignored, but its packet time is time passing, as a tick's would be: the
 * window it passes closes (else the records would depend on ticks). */
static void test_allowed_probe_moves_clock(void **state)
{
    (void)state;
    struct harness h;
    harness_open(&h, 600, 64);
    struct corr_event a = event(h.z, CORR_ALERT, T0, "10.1.0.5", "10.2.0.7", "smb", SMB);
    assert_int_equal(feed(&h, &a, NULL), 1);
    assert_int_equal(h.r.n, 1);
    struct corr_event f =
        event(h.z, CORR_ALLOWED_FLOW, T0 + 601 * SEC, "10.1.0.5", "10.2.0.8", "admin", RDP);
    f.probe = 1;
    assert_int_equal(feed(&h, &f, NULL), 0);
    assert_int_equal(h.r.n, 2);
    struct jv *v = rec(&h.r, 1);
    assert_string_equal(jstr(v, "incident.state"), "closed");
    assert_string_equal(jstr(v, "timestamp"), "2023-07-11T16:51:36.000000+0000");
    jfree(v);
    harness_close(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_then_lateral),
        cmocka_unit_test(test_probe_no_pivot),
        cmocka_unit_test(test_probe_no_late_merge),
        cmocka_unit_test(test_allowed_probe_ignored),
        cmocka_unit_test(test_allowed_probe_moves_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

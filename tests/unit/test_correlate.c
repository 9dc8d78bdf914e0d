/* Correlation rules (docs/incidents.md): pivot chains, fan-out, separate
 * attackers, late-report merges, allowed flows as facts, alerts without
 * ATT&CK mapping; every record parsed and checked field by field. */
#include "test_correlate.h"

/* FNV-1a 64 of the address bytes then the time, little endian. */
static void expected_id(const struct corr_host *h, uint64_t ts, char out[CORR_ID_LEN])
{
    uint64_t x = 0xcbf29ce484222325ull;
    uint8_t b[24];
    memcpy(b, h->addr, 16);
    for (int i = 0; i < 8; i++)
        b[16 + i] = (uint8_t)(ts >> (8 * i));
    for (int i = 0; i < 24; i++) {
        x ^= b[i];
        x *= 0x100000001b3ull;
    }
    snprintf(out, CORR_ID_LEN, "%016llx", (unsigned long long)x);
}

static void test_pivot_chain(void **state)
{
    (void)state;
    struct harness h;
    harness_open(&h, 3600, 64);
    char id1[CORR_ID_LEN], id2[CORR_ID_LEN], want[CORR_ID_LEN];
    struct corr_event a =
        event(h.z, CORR_ALERT, T0, "10.1.0.5", "10.2.0.7", "smb_admin_share", SMB);
    assert_int_equal(feed(&h, &a, id1), 1);
    expected_id(&a.src, T0, want);
    assert_string_equal(id1, want);
    assert_int_equal(h.r.n, 1);
    struct jv *v = rec(&h.r, 0);
    assert_string_equal(jstr(v, "timestamp"), "2023-07-11T16:41:36.000000+0000");
    assert_string_equal(jstr(v, "host"), "span-test");
    assert_string_equal(jstr(v, "incident.id"), want);
    assert_int_equal(jnum(v, "incident.version"), 1);
    assert_string_equal(jstr(v, "incident.state"), "open");
    assert_string_equal(jlist(v, "incident.change"),
                        "new_incident,new_host,new_hop,new_zone,new_tactic");
    assert_string_equal(jstr(v, "incident.hosts.1.role"), "target");
    jfree(v);

    struct corr_event b =
        event(h.z, CORR_ALERT, T0 + 10 * SEC + 5, "10.2.0.7", "10.3.0.9", "wmi_exec", WMI);
    b.severity = 1;
    assert_int_equal(feed(&h, &b, id2), 1);
    assert_string_equal(id1, id2);
    assert_int_equal(h.r.n, 2);
    v = rec(&h.r, 1);
    assert_string_equal(jstr(v, "timestamp"), "2023-07-11T16:41:46.000005+0000");
    assert_int_equal(jnum(v, "incident.version"), 2);
    assert_string_equal(jlist(v, "incident.change"), "new_host,new_hop,new_zone,new_tactic,pivot");
    assert_string_equal(jstr(v, "incident.origin"), "10.1.0.5");
    assert_int_equal(jlen(v, "incident.hosts"), 3);
    assert_string_equal(jstr(v, "incident.hosts.0.ip"), "10.1.0.5");
    assert_string_equal(jstr(v, "incident.hosts.0.role"), "origin");
    assert_string_equal(jstr(v, "incident.hosts.0.zone"), "users");
    assert_string_equal(jstr(v, "incident.hosts.1.ip"), "10.2.0.7");
    assert_string_equal(jstr(v, "incident.hosts.1.role"), "pivot");
    assert_string_equal(jstr(v, "incident.hosts.2.ip"), "10.3.0.9");
    assert_string_equal(jstr(v, "incident.hosts.2.role"), "target");
    assert_string_equal(jstr(v, "incident.hosts.2.first_seen"), "2023-07-11T16:41:46.000005+0000");
    assert_int_equal(jlen(v, "incident.hops"), 2);
    assert_string_equal(jstr(v, "incident.hops.1.src_ip"), "10.2.0.7");
    assert_string_equal(jstr(v, "incident.hops.1.dest_zone"), "dc");
    assert_string_equal(jlist(v, "incident.hops.1.techniques"), "T1047");
    assert_string_equal(jlist(v, "incident.hops.1.detectors"), "wmi_exec");
    assert_int_equal(jnum(v, "incident.hops.1.alerts"), 1);
    assert_string_equal(jlist(v, "incident.zones"), "users,servers,dc");
    assert_string_equal(jlist(v, "incident.tactics"), "TA0008,TA0002");
    assert_int_equal(jnum(v, "incident.pivots"), 1);
    assert_int_equal(jnum(v, "incident.alerts"), 2);
    assert_int_equal(jnum(v, "incident.severity"), 1);
    /* 2 tactics, 2 zones crossed, 1 pivot, servers high + dc critical. */
    assert_int_equal(jnum(v, "incident.score"), 20 + 10 + 10 + 10);
    assert_string_equal(jstr(v, "incident.first_seen"), "2023-07-11T16:41:36.000000+0000");
    assert_string_equal(jstr(v, "incident.last_seen"), "2023-07-11T16:41:46.000005+0000");
    jfree(v);

    struct correlate_stats st;
    correlate_get_stats(h.c, &st);
    assert_int_equal(st.incidents, 1);
    assert_int_equal(st.open, 1);
    assert_int_equal(st.records, 2);
    harness_close(&h);
}

/* A scan (discovery) does not make a pivot: the scanned host's own alert
 * opens an incident of its own. */
static void test_no_pivot_without_lateral(void **state)
{
    (void)state;
    struct harness h;
    harness_open(&h, 3600, 64);
    char i1[CORR_ID_LEN], i2[CORR_ID_LEN];
    struct corr_event a = event(h.z, CORR_ALERT, T0, "10.1.0.5", "10.2.0.7", "port_scan", SCAN);
    struct corr_event b = event(h.z, CORR_ALERT, T0 + SEC, "10.2.0.7", "10.3.0.9", "wmi", WMI);
    struct corr_event p =
        event(h.z, CORR_ALERT, T0 + 2 * SEC, "10.1.0.6", "10.2.0.8", "policy", POLICY);
    struct corr_event q = event(h.z, CORR_ALERT, T0 + 3 * SEC, "10.2.0.8", "10.3.0.9", "wmi", WMI);
    assert_int_equal(feed(&h, &a, i1), 1);
    assert_int_equal(feed(&h, &b, i2), 1);
    assert_string_not_equal(i1, i2);
    /* policy_violation (a bare tactic) opens an incident but makes no pivot. */
    assert_int_equal(feed(&h, &p, i1), 1);
    assert_int_equal(feed(&h, &q, i2), 1);
    assert_string_not_equal(i1, i2);
    struct jv *v = rec(&h.r, 2);
    assert_string_equal(jlist(v, "incident.tactics"), "TA0008");
    jfree(v);
    harness_close(&h);
}

static void test_fan_out(void **state)
{
    (void)state;
    struct harness h;
    harness_open(&h, 3600, 64);
    char id[CORR_ID_LEN], first[CORR_ID_LEN];
    for (int i = 0; i < 20; i++) {
        char dst[32];
        snprintf(dst, sizeof(dst), i < 10 ? "10.2.0.%d" : "10.4.0.%d", 10 + i);
        struct corr_event e = event(h.z, CORR_ALERT, T0 + (uint64_t)i * SEC, "fd00:1::42", dst,
                                    "smb_admin_share", SMB);
        assert_int_equal(feed(&h, &e, id), 1);
        if (i == 0) memcpy(first, id, CORR_ID_LEN);
        assert_string_equal(id, first);
    }
    assert_int_equal(h.r.n, 20);
    struct jv *v = rec(&h.r, 19);
    assert_int_equal(jnum(v, "incident.version"), 20);
    assert_string_equal(jstr(v, "incident.origin"), "fd00:1::42");
    assert_int_equal(jlen(v, "incident.hosts"), 21);
    assert_int_equal(jlen(v, "incident.hops"), 20);
    assert_int_equal(jnum(v, "incident.pivots"), 0);
    assert_string_equal(jlist(v, "incident.zones"), "users,servers,staff");
    assert_string_equal(jstr(v, "incident.hops.19.dest_ip"), "10.4.0.29");
    for (int i = 1; i <= 20; i++) {
        char path[64];
        snprintf(path, sizeof(path), "incident.hosts.%d.role", i);
        assert_string_equal(jstr(v, path), "target");
    }
    jfree(v);
    struct correlate_stats st;
    correlate_get_stats(h.c, &st);
    assert_int_equal(st.incidents, 1);
    harness_close(&h);
}

static void test_two_attackers_one_server(void **state)
{
    (void)state;
    struct harness h;
    harness_open(&h, 3600, 64);
    char i1[CORR_ID_LEN], i2[CORR_ID_LEN], i3[CORR_ID_LEN];
    struct corr_event a = event(h.z, CORR_ALERT, T0, "10.1.0.5", "10.3.0.1", "smb", SMB);
    struct corr_event b = event(h.z, CORR_ALERT, T0 + SEC, "10.4.0.9", "10.3.0.1", "kerb", KERB);
    struct corr_event c =
        event(h.z, CORR_ALERT, T0 + 2 * SEC, "10.1.0.5", "10.3.0.1", "kerb", KERB);
    assert_int_equal(feed(&h, &a, i1), 1);
    assert_int_equal(feed(&h, &b, i2), 1);
    assert_string_not_equal(i1, i2);
    assert_int_equal(feed(&h, &c, i3), 1);
    assert_string_equal(i1, i3);
    struct jv *v = rec(&h.r, 1);
    assert_string_equal(jstr(v, "incident.id"), i2);
    assert_string_equal(jstr(v, "incident.origin"), "10.4.0.9");
    assert_int_equal(jlen(v, "incident.hosts"), 2);
    assert_string_equal(jstr(v, "incident.hosts.1.ip"), "10.3.0.1");
    assert_string_equal(jstr(v, "incident.hosts.1.role"), "target");
    jfree(v);
    /* The first attacker's new technique on its hop, in its own incident. */
    v = rec(&h.r, 2);
    assert_string_equal(jstr(v, "incident.id"), i1);
    assert_string_equal(jlist(v, "incident.change"), "new_technique,new_tactic");
    assert_string_equal(jlist(v, "incident.hops.0.techniques"), "T1021.002,T1558.003");
    assert_int_equal(jlen(v, "incident.hosts"), 2);
    jfree(v);
    struct correlate_stats st;
    correlate_get_stats(h.c, &st);
    assert_int_equal(st.incidents, 2);
    harness_close(&h);
}

/* B's alert onto C opens an incident; A's lateral movement onto B, reported
 * late with an earlier time, merges it into A's. */
static void test_late_report_merge(void **state)
{
    (void)state;
    struct harness h;
    harness_open(&h, 3600, 64);
    char ib[CORR_ID_LEN], ia[CORR_ID_LEN];
    struct corr_event bc =
        event(h.z, CORR_ALERT, T0 + 100 * SEC, "10.2.0.7", "10.3.0.9", "wmi", WMI);
    struct corr_event cd =
        event(h.z, CORR_ALERT, T0 + 101 * SEC, "10.2.0.7", "10.4.0.3", "wmi", WMI);
    struct corr_event ab =
        event(h.z, CORR_ALERT, T0 + 90 * SEC, "10.1.0.5", "10.2.0.7", "smb", SMB);
    assert_int_equal(feed(&h, &bc, ib), 1);
    assert_int_equal(feed(&h, &cd, NULL), 1);
    assert_int_equal(h.r.n, 2);
    assert_int_equal(feed(&h, &ab, ia), 1);
    assert_string_not_equal(ia, ib);
    char want[CORR_ID_LEN];
    expected_id(&ab.src, ab.ts_us, want);
    assert_string_equal(ia, want);
    assert_int_equal(h.r.n, 4);
    struct jv *v = rec(&h.r, 2);
    assert_string_equal(jstr(v, "incident.id"), ib);
    assert_int_equal(jnum(v, "incident.version"), 3);
    assert_string_equal(jstr(v, "incident.state"), "merged");
    assert_string_equal(jstr(v, "incident.merged_into"), ia);
    assert_string_equal(jlist(v, "incident.change"), "merged");
    jfree(v);
    v = rec(&h.r, 3);
    assert_string_equal(jstr(v, "incident.id"), ia);
    assert_int_equal(jnum(v, "incident.version"), 1);
    assert_string_equal(jstr(v, "incident.state"), "open");
    assert_non_null(strstr(jlist(v, "incident.change"), "merged"));
    assert_non_null(strstr(jlist(v, "incident.change"), "pivot"));
    assert_null(jpath(v, "incident.merged_into"));
    assert_string_equal(jstr(v, "incident.origin"), "10.1.0.5");
    assert_int_equal(jlen(v, "incident.hosts"), 4);
    assert_string_equal(jstr(v, "incident.hosts.1.ip"), "10.2.0.7");
    assert_string_equal(jstr(v, "incident.hosts.1.role"), "pivot");
    assert_string_equal(jstr(v, "incident.hosts.1.first_seen"), "2023-07-11T16:43:06.000000+0000");
    assert_string_equal(jstr(v, "incident.hosts.2.ip"), "10.3.0.9");
    assert_string_equal(jstr(v, "incident.hosts.3.ip"), "10.4.0.3");
    assert_int_equal(jlen(v, "incident.hops"), 3);
    assert_int_equal(jnum(v, "incident.alerts"), 3);
    assert_int_equal(jnum(v, "incident.pivots"), 1);
    assert_string_equal(jlist(v, "incident.zones"), "users,servers,dc,staff");
    assert_string_equal(jlist(v, "incident.tactics"), "TA0008,TA0002");
    assert_string_equal(jstr(v, "incident.first_seen"), "2023-07-11T16:43:06.000000+0000");
    assert_string_equal(jstr(v, "incident.last_seen"), "2023-07-11T16:43:17.000000+0000");
    jfree(v);
    /* B's later alerts join the merged incident. */
    struct corr_event be =
        event(h.z, CORR_ALERT, T0 + 102 * SEC, "10.2.0.7", "10.3.0.9", "wmi", WMI);
    char ie[CORR_ID_LEN];
    assert_int_equal(feed(&h, &be, ie), 1);
    assert_string_equal(ie, ia);
    struct correlate_stats st;
    correlate_get_stats(h.c, &st);
    assert_int_equal(st.merged, 1);
    assert_int_equal(st.open, 1);
    assert_int_equal(st.incidents, 2);
    harness_close(&h);
}

/* A's lateral movement onto B after B's incident began does not merge. */
static void test_no_merge_when_later(void **state)
{
    (void)state;
    struct harness h;
    harness_open(&h, 3600, 64);
    char ib[CORR_ID_LEN], ia[CORR_ID_LEN], ib2[CORR_ID_LEN];
    struct corr_event bc =
        event(h.z, CORR_ALERT, T0 + 100 * SEC, "10.2.0.7", "10.3.0.9", "wmi", WMI);
    struct corr_event ab =
        event(h.z, CORR_ALERT, T0 + 110 * SEC, "10.1.0.5", "10.2.0.7", "smb", SMB);
    struct corr_event bd =
        event(h.z, CORR_ALERT, T0 + 120 * SEC, "10.2.0.7", "10.4.0.1", "wmi", WMI);
    assert_int_equal(feed(&h, &bc, ib), 1);
    assert_int_equal(feed(&h, &ab, ia), 1);
    assert_string_not_equal(ia, ib);
    assert_int_equal(feed(&h, &bd, ib2), 1);
    assert_string_equal(ib, ib2); /* B acts as origin there: that wins */
    struct correlate_stats st;
    correlate_get_stats(h.c, &st);
    assert_int_equal(st.merged, 0);
    assert_int_equal(st.open, 2);
    harness_close(&h);
}

static void test_allowed_flows(void **state)
{
    (void)state;
    struct harness h;
    harness_open(&h, 3600, 64);
    char ia[CORR_ID_LEN], id[CORR_ID_LEN];
    /* No incident: an allowed flow opens none. */
    struct corr_event f0 =
        event(h.z, CORR_ALLOWED_FLOW, T0, "10.1.0.5", "10.2.0.7", "admin_protocol_cross_zone", RDP);
    assert_int_equal(feed(&h, &f0, id), 0);
    assert_int_equal(h.r.n, 0);

    struct corr_event a = event(h.z, CORR_ALERT, T0 + SEC, "10.1.0.5", "10.2.0.7", "kerb", KERB);
    assert_int_equal(feed(&h, &a, ia), 1);
    /* On the existing hop: a fact there, no alert counted. */
    struct corr_event f1 = event(h.z, CORR_ALLOWED_FLOW, T0 + 2 * SEC, "10.1.0.5", "10.2.0.7",
                                 "admin_protocol_cross_zone", RDP);
    assert_int_equal(feed(&h, &f1, id), 1);
    assert_string_equal(id, ia);
    assert_int_equal(h.r.n, 2);
    struct jv *v = rec(&h.r, 1);
    assert_string_equal(jlist(v, "incident.change"), "new_technique");
    assert_int_equal(jnum(v, "incident.alerts"), 1);
    assert_int_equal(jnum(v, "incident.hops.0.alerts"), 1);
    assert_int_equal(jnum(v, "incident.hops.0.allowed_flows"), 1);
    assert_string_equal(jlist(v, "incident.hops.0.techniques"), "T1558.003,T1021.001");
    assert_string_equal(jlist(v, "incident.hops.0.detectors"), "kerb,admin_protocol_cross_zone");
    assert_string_equal(jlist(v, "incident.tactics"), "TA0006");
    jfree(v);

    /* An administrator connecting to the compromised server stays out. */
    struct corr_event f2 = event(h.z, CORR_ALLOWED_FLOW, T0 + 3 * SEC, "10.4.0.50", "10.2.0.7",
                                 "admin_protocol_cross_zone", RDP);
    assert_int_equal(feed(&h, &f2, id), 0);
    /* From the origin to a new host: a target, reached by an allowed flow. */
    struct corr_event f3 = event(h.z, CORR_ALLOWED_FLOW, T0 + 4 * SEC, "10.1.0.5", "10.3.0.4",
                                 "admin_protocol_cross_zone", RDP);
    assert_int_equal(feed(&h, &f3, id), 1);
    v = rec(&h.r, h.r.n - 1);
    assert_int_equal(jlen(v, "incident.hosts"), 3);
    assert_string_equal(jstr(v, "incident.hosts.2.ip"), "10.3.0.4");
    assert_string_equal(jstr(v, "incident.hosts.2.role"), "target");
    assert_int_equal(jnum(v, "incident.hops.1.alerts"), 0);
    assert_int_equal(jnum(v, "incident.hops.1.allowed_flows"), 1);
    jfree(v);
    /* and that host may pivot later. */
    struct corr_event b = event(h.z, CORR_ALERT, T0 + 5 * SEC, "10.3.0.4", "10.4.0.8", "wmi", WMI);
    assert_int_equal(feed(&h, &b, id), 1);
    assert_string_equal(id, ia);
    v = rec(&h.r, h.r.n - 1);
    assert_string_equal(jstr(v, "incident.hosts.2.role"), "pivot");
    assert_int_equal(jlen(v, "incident.hosts"), 4);
    jfree(v);
    /* The administrator host is in no incident. */
    for (size_t i = 0; i < h.r.n; i++)
        assert_null(strstr(h.r.line[i], "10.4.0.50"));
    struct correlate_stats st;
    correlate_get_stats(h.c, &st);
    assert_int_equal(st.incidents, 1);
    harness_close(&h);
}

/* ndpi_risk: joins where its source acts, never opens an incident. */
static void test_unmapped_alerts(void **state)
{
    (void)state;
    struct harness h;
    harness_open(&h, 3600, 64);
    char id[CORR_ID_LEN], ia[CORR_ID_LEN];
    struct corr_event r0 = event(h.z, CORR_ALERT, T0, "10.1.0.5", "10.2.0.7", "ndpi_risk", NULL);
    assert_int_equal(feed(&h, &r0, id), 0);
    assert_int_equal(h.r.n, 0);
    struct corr_event a = event(h.z, CORR_ALERT, T0 + SEC, "10.1.0.5", "10.2.0.7", "smb", SMB);
    assert_int_equal(feed(&h, &a, ia), 1);
    struct corr_event r1 =
        event(h.z, CORR_ALERT, T0 + 2 * SEC, "10.1.0.5", "10.2.0.7", "ndpi_risk", NULL);
    assert_int_equal(feed(&h, &r1, id), 1);
    assert_string_equal(id, ia);
    assert_int_equal(h.r.n, 1); /* a count only: the update waits */
    /* The target reached by lateral movement pivots with an unmapped alert. */
    struct corr_event r2 =
        event(h.z, CORR_ALERT, T0 + 3 * SEC, "10.2.0.7", "10.3.0.1", "ndpi_risk", NULL);
    assert_int_equal(feed(&h, &r2, id), 1);
    assert_string_equal(id, ia);
    assert_int_equal(h.r.n, 2);
    struct jv *v = rec(&h.r, 1);
    assert_int_equal(jnum(v, "incident.alerts"), 3);
    assert_string_equal(jstr(v, "incident.hosts.1.role"), "pivot");
    assert_string_equal(jlist(v, "incident.hops.1.techniques"), "");
    assert_string_equal(jlist(v, "incident.hops.1.detectors"), "ndpi_risk");
    jfree(v);
    struct corr_event r3 =
        event(h.z, CORR_ALERT, T0 + 4 * SEC, "10.4.0.1", "10.2.0.7", "ndpi_risk", NULL);
    assert_int_equal(feed(&h, &r3, id), 0);
    struct correlate_stats st;
    correlate_get_stats(h.c, &st);
    assert_int_equal(st.incidents, 1);
    harness_close(&h);
}

/* Rule 1 when several incidents qualify: acting beats having been reached,
 * then the oldest wins. */
static void test_oldest_wins(void **state)
{
    (void)state;
    struct harness h;
    harness_open(&h, 3600, 64);
    char i1[CORR_ID_LEN], i2[CORR_ID_LEN], i3[CORR_ID_LEN], id[CORR_ID_LEN];
    /* Two attackers move onto the same server S, the second one first. */
    struct corr_event b =
        event(h.z, CORR_ALERT, T0 + 5 * SEC, "10.1.0.6", "10.4.0.1", "kerb", KERB);
    struct corr_event a =
        event(h.z, CORR_ALERT, T0 + 10 * SEC, "10.1.0.5", "10.4.0.1", "kerb", KERB);
    assert_int_equal(feed(&h, &b, i2), 1);
    assert_int_equal(feed(&h, &a, i1), 1);
    b.dst = a.dst = host(h.z, "10.2.0.9");
    b.techniques[0] = a.techniques[0] = "T1021.002";
    b.ts_us = T0 + 20 * SEC;
    a.ts_us = T0 + 21 * SEC;
    assert_int_equal(feed(&h, &a, id), 1);
    assert_string_equal(id, i1);
    assert_int_equal(feed(&h, &b, id), 1);
    assert_string_equal(id, i2);
    /* S reached in both: it pivots in the older one (b's, first alert 5 s). */
    struct corr_event s1 =
        event(h.z, CORR_ALERT, T0 + 30 * SEC, "10.2.0.9", "10.3.0.1", "wmi", WMI);
    assert_int_equal(feed(&h, &s1, id), 1);
    assert_string_equal(id, i2);
    /* S is also reached by lateral movement from a third origin, older
     * still by its first alert; S acts in b's incident now, and that wins. */
    struct corr_event c0 =
        event(h.z, CORR_ALERT, T0 + 1 * SEC, "10.1.0.7", "10.4.0.2", "kerb", KERB);
    assert_int_equal(feed(&h, &c0, i3), 1);
    struct corr_event c1 =
        event(h.z, CORR_ALERT, T0 + 31 * SEC, "10.1.0.7", "10.2.0.9", "smb", SMB);
    assert_int_equal(feed(&h, &c1, id), 1);
    assert_string_equal(id, i3);
    struct corr_event s2 =
        event(h.z, CORR_ALERT, T0 + 32 * SEC, "10.2.0.9", "10.3.0.2", "wmi", WMI);
    assert_int_equal(feed(&h, &s2, id), 1);
    assert_string_equal(id, i2);
    struct jv *v = rec(&h.r, h.r.n - 1);
    assert_string_equal(jstr(v, "incident.id"), i2);
    assert_int_equal(jlen(v, "incident.hosts"), 5);
    jfree(v);
    harness_close(&h);
}

/* A host whose own incident holds only policy alerts, then reached by
 * lateral movement from another origin, moves on in the attacker's
 * incident, as its pivot; one that acted with a technique stays in its own. */
static void test_pivot_over_policy_origin(void **state)
{
    (void)state;
    struct harness h;
    harness_open(&h, 3600, 64);
    char own[CORR_ID_LEN], atk[CORR_ID_LEN], id[CORR_ID_LEN];
    struct corr_event p = event(h.z, CORR_ALERT, T0, "10.2.0.7", "10.3.0.9", "policy", POLICY);
    assert_int_equal(feed(&h, &p, own), 1);
    struct corr_event a =
        event(h.z, CORR_ALERT, T0 + SEC, "10.1.0.5", "10.2.0.7", "smb_admin_share", SMB);
    assert_int_equal(feed(&h, &a, atk), 1);
    assert_string_not_equal(own, atk); /* no late-report merge: p came first */
    struct corr_event b = event(h.z, CORR_ALERT, T0 + 2 * SEC, "10.2.0.7", "10.3.0.8", "wmi", WMI);
    assert_int_equal(feed(&h, &b, id), 1);
    assert_string_equal(id, atk);
    struct jv *v = rec(&h.r, h.r.n - 1);
    assert_string_equal(jstr(v, "incident.hosts.1.ip"), "10.2.0.7");
    assert_string_equal(jstr(v, "incident.hosts.1.role"), "pivot");
    jfree(v);
    /* Its next policy alert goes there too: it is a pivot of that one. */
    p.ts_us = T0 + 3 * SEC;
    assert_int_equal(feed(&h, &p, id), 1);
    assert_string_equal(id, atk);

    /* The same with a technique in the host's own incident: it stays. */
    struct corr_event q =
        event(h.z, CORR_ALERT, T0 + 3 * SEC + 1, "10.2.0.17", "10.3.0.9", "wmi", WMI);
    assert_int_equal(feed(&h, &q, own), 1);
    struct corr_event c =
        event(h.z, CORR_ALERT, T0 + 4 * SEC, "10.1.0.6", "10.2.0.17", "smb_admin_share", SMB);
    assert_int_equal(feed(&h, &c, atk), 1);
    q.ts_us = T0 + 5 * SEC;
    assert_int_equal(feed(&h, &q, id), 1);
    assert_string_equal(id, own);
    harness_close(&h);
}

static void test_disabled(void **state)
{
    (void)state;
    struct zones *z = test_zones();
    struct records r = {0};
    struct corr_settings set = {.enabled = 0, .timeout_s = 3600, .max_open = 16};
    struct correlator *c = correlate_create(&set, z, "", rec_sink, &r);
    assert_non_null(c);
    char id[CORR_ID_LEN];
    struct corr_event a = event(z, CORR_ALERT, T0, "10.1.0.5", "10.2.0.7", "smb", SMB);
    assert_int_equal(correlate_event(c, &a, id), 0);
    correlate_tick(c, T0 + SEC);
    correlate_flush(c);
    assert_int_equal(r.n, 0);
    set.enabled = 1;
    correlate_configure(c, &set, z, "");
    assert_int_equal(correlate_event(c, &a, id), 1);
    correlate_publish(c);
    assert_int_equal(r.n, 1);
    struct jv *v = jparse(r.line[0]);
    assert_null(jpath(v, "host")); /* no sensor name */
    jfree(v);
    correlate_destroy(c);
    zones_destroy(z);
    rec_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pivot_chain),       cmocka_unit_test(test_no_pivot_without_lateral),
        cmocka_unit_test(test_fan_out),           cmocka_unit_test(test_two_attackers_one_server),
        cmocka_unit_test(test_late_report_merge), cmocka_unit_test(test_no_merge_when_later),
        cmocka_unit_test(test_allowed_flows),     cmocka_unit_test(test_unmapped_alerts),
        cmocka_unit_test(test_oldest_wins),       cmocka_unit_test(test_pivot_over_policy_origin),
        cmocka_unit_test(test_disabled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

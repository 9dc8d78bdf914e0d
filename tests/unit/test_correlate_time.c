/* Correlation in time and within bounds: windows closing on packet time,
 * minor updates held for 60 s, versions one by one, the same records at
 * every tick granularity, max_open eviction, host and hop limits. */
#include "test_correlate.h"

static void test_window_expiry(void **state)
{
    (void)state;
    struct harness h;
    harness_open(&h, 100, 64);
    char i1[CORR_ID_LEN], i2[CORR_ID_LEN];
    struct corr_event a = event(h.z, CORR_ALERT, T0, "10.1.0.5", "10.2.0.7", "smb", SMB);
    assert_int_equal(feed(&h, &a, i1), 1);
    correlate_tick(h.c, T0 + 100 * SEC);
    assert_int_equal(h.r.n, 1); /* not past the window yet */
    correlate_tick(h.c, T0 + 100 * SEC + 1);
    assert_int_equal(h.r.n, 2);
    struct jv *v = rec(&h.r, 1);
    assert_string_equal(jstr(v, "incident.id"), i1);
    assert_int_equal(jnum(v, "incident.version"), 2);
    assert_string_equal(jstr(v, "incident.state"), "closed");
    assert_string_equal(jlist(v, "incident.change"), "closed");
    assert_string_equal(jstr(v, "timestamp"), "2023-07-11T16:43:16.000000+0000");
    jfree(v);
    struct correlate_stats st;
    correlate_get_stats(h.c, &st);
    assert_int_equal(st.closed, 1);
    assert_int_equal(st.open, 0);
    /* A's later alert opens a new incident, with a new id. */
    struct corr_event b =
        event(h.z, CORR_ALERT, T0 + 200 * SEC, "10.2.0.7", "10.3.0.1", "wmi", WMI);
    assert_int_equal(feed(&h, &b, i2), 0 + 1);
    struct corr_event c =
        event(h.z, CORR_ALERT, T0 + 201 * SEC, "10.1.0.5", "10.2.0.7", "smb", SMB);
    assert_int_equal(feed(&h, &c, i2), 1);
    assert_string_not_equal(i1, i2);
    v = rec(&h.r, h.r.n - 1);
    assert_int_equal(jnum(v, "incident.version"), 1);
    assert_string_equal(jstr(v, "incident.hosts.0.ip"), "10.1.0.5");
    jfree(v);
    harness_close(&h);
}

/* Without a tick, the next event closes what its time is past. */
static void test_window_closed_by_event(void **state)
{
    (void)state;
    struct harness h;
    harness_open(&h, 100, 64);
    char i1[CORR_ID_LEN], i2[CORR_ID_LEN];
    struct corr_event a = event(h.z, CORR_ALERT, T0, "10.1.0.5", "10.2.0.7", "smb", SMB);
    struct corr_event b =
        event(h.z, CORR_ALERT, T0 + 101 * SEC, "10.2.0.7", "10.3.0.1", "wmi", WMI);
    assert_int_equal(feed(&h, &a, i1), 1);
    assert_int_equal(feed(&h, &b, i2), 1);
    assert_string_not_equal(i1, i2); /* B pivots no more: its incident closed */
    assert_int_equal(h.r.n, 3);
    struct jv *v = rec(&h.r, 1);
    assert_string_equal(jstr(v, "incident.state"), "closed");
    jfree(v);
    v = rec(&h.r, 2);
    assert_string_equal(jstr(v, "incident.origin"), "10.2.0.7");
    jfree(v);
    harness_close(&h);
}

static void test_minor_updates_wait(void **state)
{
    (void)state;
    struct harness h;
    harness_open(&h, 3600, 64);
    struct corr_event a = event(h.z, CORR_ALERT, T0, "10.1.0.5", "10.2.0.7", "smb", SMB);
    assert_int_equal(feed(&h, &a, NULL), 1);
    a.ts_us = T0 + 10 * SEC;
    assert_int_equal(feed(&h, &a, NULL), 1);
    assert_int_equal(h.r.n, 1);
    correlate_tick(h.c, T0 + 60 * SEC - 1);
    assert_int_equal(h.r.n, 1);
    correlate_tick(h.c, T0 + 60 * SEC);
    assert_int_equal(h.r.n, 2);
    struct jv *v = rec(&h.r, 1);
    assert_int_equal(jnum(v, "incident.version"), 2);
    assert_string_equal(jlist(v, "incident.change"), "update");
    assert_int_equal(jnum(v, "incident.alerts"), 2);
    assert_int_equal(jnum(v, "incident.hops.0.alerts"), 2);
    assert_string_equal(jstr(v, "timestamp"), "2023-07-11T16:41:46.000000+0000");
    assert_string_equal(jstr(v, "incident.last_seen"), "2023-07-11T16:41:46.000000+0000");
    jfree(v);
    /* Another repeat: held until the end of the run. */
    a.ts_us = T0 + 70 * SEC;
    assert_int_equal(feed(&h, &a, NULL), 1);
    correlate_tick(h.c, T0 + 71 * SEC);
    assert_int_equal(h.r.n, 2);
    correlate_flush(h.c);
    assert_int_equal(h.r.n, 3);
    v = rec(&h.r, 2);
    assert_int_equal(jnum(v, "incident.version"), 3);
    assert_string_equal(jlist(v, "incident.change"), "update");
    assert_string_equal(jstr(v, "incident.state"), "open");
    assert_int_equal(jnum(v, "incident.alerts"), 3);
    jfree(v);
    /* Nothing left to write. */
    correlate_flush(h.c);
    assert_int_equal(h.r.n, 3);
    /* A structural change writes at once and carries the counts. */
    a.ts_us = T0 + 80 * SEC;
    assert_int_equal(feed(&h, &a, NULL), 1);
    struct corr_event b = event(h.z, CORR_ALERT, T0 + 81 * SEC, "10.1.0.5", "10.2.0.8", "smb", SMB);
    assert_int_equal(feed(&h, &b, NULL), 1);
    assert_int_equal(h.r.n, 4);
    v = rec(&h.r, 3);
    assert_string_equal(jlist(v, "incident.change"), "new_host,new_hop");
    assert_int_equal(jnum(v, "incident.alerts"), 5);
    jfree(v);
    correlate_flush(h.c);
    assert_int_equal(h.r.n, 4);
    harness_close(&h);
}

/* ---- replay determinism ---- */

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

static const char *const *const kinds[] = {SMB, WMI, SCAN, KERB, POLICY, RDP, NULL};

/* A pseudo-random attack: 400 events among 24 hosts, times growing by up
 * to 90 s with an occasional long gap, some events reported 300 s late,
 * one in four a probe. */
static void script(const struct zones *z, struct corr_event *evs, size_t n)
{
    uint32_t s = 12345;
    uint64_t t = T0;
    for (size_t i = 0; i < n; i++) {
        uint32_t r = lcg(&s);
        t += (r % 90) * SEC + (r % 1000);
        if (r % 37 == 0) t += 700 * SEC;
        char src[32], dst[32];
        snprintf(src, sizeof(src), "10.%u.0.%u", 1 + lcg(&s) % 4, lcg(&s) % 6);
        snprintf(dst, sizeof(dst), "10.%u.0.%u", 1 + lcg(&s) % 4, lcg(&s) % 6);
        size_t k = lcg(&s) % 7;
        enum corr_kind kind = k == 5 ? CORR_ALLOWED_FLOW : CORR_ALERT;
        uint64_t ts = lcg(&s) % 8 == 0 ? t - 300 * SEC : t;
        evs[i] = event(z, kind, ts, src, dst, k == 6 ? "ndpi_risk" : "det", kinds[k]);
        evs[i].severity = 1 + (int)(lcg(&s) % 3);
        evs[i].probe = (r >> 4) % 4 == 0;
    }
}

/* Runs the script, ticking every `every` events (0: never). */
static void run(struct records *out, struct correlate_stats *st, size_t every)
{
    struct harness h;
    harness_open(&h, 600, 6);
    struct corr_event evs[400];
    script(h.z, evs, 400);
    uint64_t now = 0;
    for (size_t i = 0; i < 400; i++) {
        if (evs[i].ts_us > now) now = evs[i].ts_us;
        feed(&h, &evs[i], NULL);
        if (every && i % every == 0) correlate_tick(h.c, now);
    }
    correlate_flush(h.c);
    correlate_get_stats(h.c, st);
    *out = h.r;
    h.r = (struct records){0};
    harness_close(&h);
}

/* Each id's versions go 1, 2, 3... and nothing follows a merged or closed
 * version. */
static void check_versions(const struct records *r)
{
    struct {
        char id[CORR_ID_LEN];
        long long version;
        int ended;
    } seen[512];
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++) {
        struct jv *v = rec(r, i);
        const char *id = jstr(v, "incident.id");
        size_t k = 0;
        while (k < n && strcmp(seen[k].id, id))
            k++;
        if (k == n) {
            assert_true(n < 512);
            snprintf(seen[n].id, CORR_ID_LEN, "%s", id);
            seen[n].version = 0;
            seen[n++].ended = 0;
        }
        assert_false(seen[k].ended);
        assert_int_equal(jnum(v, "incident.version"), seen[k].version + 1);
        seen[k].version++;
        seen[k].ended = strcmp(jstr(v, "incident.state"), "open") != 0;
        jfree(v);
    }
}

static size_t count(const struct records *r, const char *needle)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += strstr(r->line[i], needle) != NULL;
    return n;
}

static void test_replay_determinism(void **state)
{
    (void)state;
    struct records fine, coarse, none;
    struct correlate_stats s1, s2, s3;
    run(&fine, &s1, 1);
    run(&coarse, &s2, 97);
    run(&none, &s3, 0);
    print_message("records %zu incidents %llu merged %llu closed %llu evicted %llu\n", fine.n,
                  (unsigned long long)s1.incidents, (unsigned long long)s1.merged,
                  (unsigned long long)s1.closed, (unsigned long long)s1.evicted);
    assert_true(fine.n > 50);
    assert_int_equal(fine.n, coarse.n);
    assert_int_equal(fine.n, none.n);
    for (size_t i = 0; i < fine.n; i++) {
        assert_string_equal(fine.line[i], coarse.line[i]);
        assert_string_equal(fine.line[i], none.line[i]);
    }
    assert_memory_equal(&s1, &s2, sizeof(s1));
    assert_memory_equal(&s1, &s3, sizeof(s1));
    /* The script exercises what could differ between replays. */
    assert_true(count(&fine, "\"change\":[\"update\"]") > 0);
    assert_true(count(&fine, "\"state\":\"closed\"") > 0);
    assert_true(s1.evicted > 0);
    assert_true(s1.merged > 0);
    assert_true(count(&fine, "\"probes\":0,") < fine.n);
    check_versions(&fine);
    assert_int_equal(s1.records, fine.n);
    rec_clear(&fine);
    rec_clear(&coarse);
    rec_clear(&none);
}

/* ---- limits ---- */

static void test_max_open_eviction(void **state)
{
    (void)state;
    struct harness h;
    harness_open(&h, 3600, 16);
    char ids[17][CORR_ID_LEN], id[CORR_ID_LEN];
    for (int i = 0; i < 16; i++) {
        char src[32];
        snprintf(src, sizeof(src), "10.1.0.%d", 1 + i);
        struct corr_event e =
            event(h.z, CORR_ALERT, T0 + (uint64_t)i * SEC, src, "10.2.0.1", "kerb", KERB);
        assert_int_equal(feed(&h, &e, ids[i]), 1);
    }
    /* The first one is seen again: the second has the oldest last alert. */
    struct corr_event again =
        event(h.z, CORR_ALERT, T0 + 20 * SEC, "10.1.0.1", "10.2.0.1", "kerb", KERB);
    assert_int_equal(feed(&h, &again, id), 1);
    assert_string_equal(id, ids[0]);
    size_t before = h.r.n;
    struct corr_event e =
        event(h.z, CORR_ALERT, T0 + 21 * SEC, "10.1.0.99", "10.2.0.1", "kerb", KERB);
    assert_int_equal(feed(&h, &e, ids[16]), 1);
    assert_int_equal(h.r.n, before + 2);
    struct jv *v = rec(&h.r, before);
    assert_string_equal(jstr(v, "incident.id"), ids[1]);
    assert_string_equal(jstr(v, "incident.state"), "closed");
    assert_string_equal(jlist(v, "incident.change"), "closed");
    jfree(v);
    v = rec(&h.r, before + 1);
    assert_string_equal(jstr(v, "incident.id"), ids[16]);
    jfree(v);
    struct correlate_stats st;
    correlate_get_stats(h.c, &st);
    assert_int_equal(st.evicted, 1);
    assert_int_equal(st.open, 16);
    assert_int_equal(st.incidents, 17);
    /* The evicted origin's next alert opens a new incident. */
    struct corr_event f =
        event(h.z, CORR_ALERT, T0 + 22 * SEC, "10.1.0.2", "10.2.0.1", "kerb", KERB);
    assert_int_equal(feed(&h, &f, id), 1);
    assert_string_not_equal(id, ids[1]);
    correlate_get_stats(h.c, &st);
    assert_int_equal(st.evicted, 2);
    harness_close(&h);
}

static void test_hosts_dropped(void **state)
{
    (void)state;
    struct harness h;
    harness_open(&h, 3600, 16);
    for (int i = 0; i < 200; i++) {
        char dst[32];
        snprintf(dst, sizeof(dst), "10.2.%d.%d", i / 100, i % 100 + 1);
        struct corr_event e =
            event(h.z, CORR_ALERT, T0 + (uint64_t)i, "10.1.0.5", dst, "scan", SCAN);
        assert_int_equal(feed(&h, &e, NULL), 1);
    }
    correlate_flush(h.c);
    struct jv *v = rec(&h.r, h.r.n - 1);
    assert_int_equal(jlen(v, "incident.hosts"), 128);
    assert_int_equal(jlen(v, "incident.hops"), 127);
    assert_int_equal(jnum(v, "incident.hosts_dropped"), 73);
    assert_int_equal(jnum(v, "incident.hops_dropped"), 73);
    assert_int_equal(jnum(v, "incident.alerts"), 200);
    jfree(v);
    struct correlate_stats st;
    correlate_get_stats(h.c, &st);
    assert_int_equal(st.hosts_dropped, 73);
    harness_close(&h);
}

static void test_hops_dropped(void **state)
{
    (void)state;
    struct harness h;
    harness_open(&h, 3600, 16);
    uint64_t t = T0;
    char a[32], b[32];
    /* 127 targets of the origin, each then a pivot onto the next. */
    for (int i = 1; i <= 127; i++) {
        snprintf(b, sizeof(b), "10.2.0.%d", i);
        struct corr_event e = event(h.z, CORR_ALERT, t++, "10.1.0.5", b, "smb", SMB);
        feed(&h, &e, NULL);
    }
    for (int i = 1; i <= 126; i++) {
        snprintf(a, sizeof(a), "10.2.0.%d", i);
        snprintf(b, sizeof(b), "10.2.0.%d", i + 1);
        struct corr_event e = event(h.z, CORR_ALERT, t++, a, b, "smb", SMB);
        feed(&h, &e, NULL);
    }
    for (int i = 1; i <= 10; i++) {
        snprintf(a, sizeof(a), "10.2.0.%d", i);
        snprintf(b, sizeof(b), "10.2.0.%d", i + 2);
        struct corr_event e = event(h.z, CORR_ALERT, t++, a, b, "smb", SMB);
        feed(&h, &e, NULL);
    }
    correlate_flush(h.c);
    struct jv *v = rec(&h.r, h.r.n - 1);
    assert_int_equal(jlen(v, "incident.hosts"), 128);
    assert_int_equal(jlen(v, "incident.hops"), 256);
    assert_int_equal(jnum(v, "incident.hops_dropped"), 7);
    assert_int_equal(jnum(v, "incident.hosts_dropped"), 0);
    assert_int_equal(jnum(v, "incident.pivots"), 126);
    assert_int_equal(jnum(v, "incident.score"), 100);
    jfree(v);
    struct correlate_stats st;
    correlate_get_stats(h.c, &st);
    assert_int_equal(st.hops_dropped, 7);
    assert_int_equal(st.incidents, 1);
    harness_close(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_expiry),      cmocka_unit_test(test_window_closed_by_event),
        cmocka_unit_test(test_minor_updates_wait), cmocka_unit_test(test_replay_determinism),
        cmocka_unit_test(test_max_open_eviction),  cmocka_unit_test(test_hosts_dropped),
        cmocka_unit_test(test_hops_dropped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

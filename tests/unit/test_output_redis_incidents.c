/* Incident records through the Redis output, against a real redis-server
 * (never a mock): each kind to its own stream and channel, both kinds in
 * one order through an outage and a kill -9, an old spool (no kind tags)
 * delivered as alerts, and a restart whose spool still holds delivered
 * records. */
#include "redis_fixture.h"

#include <sys/stat.h>

/* Record n is an incident when n % 3 == 2 and n >= mixed_from (records
 * below it are alerts: an old spool held only those). */
static int is_incident(int n, int mixed_from)
{
    return n >= mixed_from && n % 3 == 2;
}

/* An incident record carrying its counter, the size of a small incident. */
static size_t make_incident(char *buf, size_t cap, int n)
{
    int len = snprintf(buf, cap,
                       "{\"timestamp\":\"2023-07-25T08:14:03.123456+0000\",\"event_type\":"
                       "\"incident\",\"n\":%d,\"host\":\"s1\",\"incident\":{\"id\":"
                       "\"9f0c2d41b7a35e66\",\"version\":%d,\"state\":\"open\",\"pad\":\"",
                       n, n / 3 + 1);
    while (len < 600)
        buf[len++] = 'y';
    len += snprintf(buf + len, cap - (size_t)len, "\"}}");
    return (size_t)len;
}

static void send_mixed(struct output_redis *r, int first, int count, int mixed_from)
{
    char buf[1024];
    for (int n = first; n < first + count; n++) {
        if (is_incident(n, mixed_from))
            assert_int_equal(output_redis_incident(r, buf, make_incident(buf, sizeof(buf), n)), 0);
        else
            assert_int_equal(output_redis_alert(r, buf, make_alert(buf, sizeof(buf), n)), 0);
    }
}

/* Another prefix and MAXLEN, with a spool of its own. */
static struct output_redis *create_with(struct fixture *f, const char *prefix, uint32_t maxlen)
{
    static char dir[128];
    snprintf(dir, sizeof(dir), "%s/spool-%s", f->dir, prefix);
    struct redis_options o = {
        .url = tcp_url(f), .prefix = prefix, .sensor = "s1", .maxlen = maxlen, .spool_dir = dir};
    char err[256] = "";
    struct output_redis *r = output_redis_create(&o, err, sizeof(err));
    if (!r) fail_msg("output_redis_create: %s", err);
    return r;
}

static int count_kind(int total, int mixed_from, int incident)
{
    int c = 0;
    for (int n = 0; n < total; n++)
        c += is_incident(n, mixed_from) == incident;
    return c;
}

/* The stream of one kind holds exactly the records of that kind among
 * 0..total-1, once each, in order, under the field "alert". */
static void expect_kind_stream(const struct server *s, int total, int mixed_from, int incident)
{
    const char *key = incident ? "vigie:incidents" : "vigie:alerts";
    const char *type = incident ? "\"event_type\":\"incident\"" : "\"event_type\":\"alert\"";
    redisContext *c = srv_connect(s);
    assert_non_null(c);
    redisReply *r = redisCommand(c, "XRANGE %s - +", key);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    int want = 0;
    for (size_t i = 0; i < r->elements; i++, want++) {
        while (want < total && is_incident(want, mixed_from) != incident)
            want++;
        redisReply *fields = r->element[i]->element[1];
        assert_int_equal(fields->elements, 2);
        assert_string_equal(fields->element[0]->str, "alert");
        const char *json = fields->element[1]->str;
        if (!strstr(json, type)) fail_msg("%s entry %zu is not of its kind: %.60s", key, i, json);
        if (alert_n(json) != want)
            fail_msg("%s entry %zu holds record %d, want %d", key, i, alert_n(json), want);
    }
    if (r->elements != (size_t)count_kind(total, mixed_from, incident))
        fail_msg("%s has %zu entries, want %d", key, r->elements,
                 count_kind(total, mixed_from, incident));
    freeReplyObject(r);
    redisFree(c);
}

static void expect_both(const struct server *s, int total, int mixed_from)
{
    expect_kind_stream(s, total, mixed_from, 0);
    expect_kind_stream(s, total, mixed_from, 1);
}

static int wait_both(const struct server *s, int total, int mixed_from, unsigned timeout_ms)
{
    long long na = count_kind(total, mixed_from, 0), ni = count_kind(total, mixed_from, 1);
    for (uint64_t end = now_ms() + timeout_ms; now_ms() < end; sleep_ms(20))
        if (xlen(s, "vigie:alerts") >= na && xlen(s, "vigie:incidents") >= ni) return 1;
    return 0;
}

/* One connection subscribed to both channels sees the messages in the
 * order the server ran the PUBLISHes: the order across kinds. */
struct subscriber {
    const struct server *srv;
    int first, want, mixed_from;
    int got, in_order;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int ready;
};

static void *subscribe_main(void *arg)
{
    struct subscriber *sub = arg;
    redisContext *c = srv_connect(sub->srv);
    int subscribed = 0;
    if (c) {
        redisAppendCommand(c, "SUBSCRIBE vigie:alerts vigie:incidents");
        for (void *reply; subscribed < 2 && redisGetReply(c, &reply) == REDIS_OK; subscribed++)
            freeReplyObject(reply);
    }
    pthread_mutex_lock(&sub->mu);
    sub->ready = 1;
    pthread_cond_signal(&sub->cv);
    pthread_mutex_unlock(&sub->mu);
    sub->in_order = subscribed == 2;
    while (subscribed == 2 && sub->got < sub->want) {
        void *reply;
        if (redisGetReply(c, &reply) != REDIS_OK) break; /* 5 s without a message */
        redisReply *r = reply;
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
            strcmp(r->element[0]->str, "message") == 0) {
            int n = alert_n(r->element[2]->str), want = sub->first + sub->got;
            const char *chan =
                is_incident(want, sub->mixed_from) ? "vigie:incidents" : "vigie:alerts";
            if (n != want || strcmp(r->element[1]->str, chan) != 0) {
                if (sub->in_order)
                    fprintf(stderr, "subscriber: got %d on %s, want %d on %s\n", n,
                            r->element[1]->str, want, chan);
                sub->in_order = 0;
            }
            sub->got++;
        }
        freeReplyObject(r);
    }
    if (c) redisFree(c);
    return NULL;
}

static void subscriber_start(struct subscriber *sub)
{
    pthread_mutex_init(&sub->mu, NULL);
    pthread_cond_init(&sub->cv, NULL);
    pthread_create(&sub->th, NULL, subscribe_main, sub);
    pthread_mutex_lock(&sub->mu);
    while (!sub->ready)
        pthread_cond_wait(&sub->cv, &sub->mu);
    pthread_mutex_unlock(&sub->mu);
}

static void subscriber_expect(struct subscriber *sub)
{
    pthread_join(sub->th, NULL);
    assert_int_equal(sub->got, sub->want);
    assert_true(sub->in_order);
}

static void drop_password(struct server *s)
{
    redisContext *c = srv_connect(s);
    assert_non_null(c);
    redisReply *r = redisCommand(c, "CONFIG SET requirepass %s", "");
    assert_non_null(r);
    if (r->type == REDIS_REPLY_ERROR) fail_msg("CONFIG SET requirepass: %s", r->str);
    freeReplyObject(r);
    redisFree(c);
    s->pass = NULL;
}

/* (a) Each kind to its stream and channel, one order across both; the
 * counters tell the kinds apart; MAXLEN trims the incidents stream too. */
static void test_incidents_own_key(void **state)
{
    struct fixture *f = *state;
    enum { N = 3000 };
    srv_start(&f->srv);
    struct subscriber sub = {.srv = &f->srv, .want = N};
    subscriber_start(&sub);
    struct output_redis *r = create(f, tcp_url(f), 0);
    send_mixed(r, 0, N, 0);
    assert_true(wait_both(&f->srv, N, 0, 20000));
    struct output_redis_stats st;
    output_redis_finish(r, 5000, &st); /* the counters once the thread stopped */
    subscriber_expect(&sub);
    expect_both(&f->srv, N, 0);
    assert_int_equal(st.alerts_queued, 2000);
    assert_int_equal(st.incidents_queued, 1000);
    assert_int_equal(st.alerts_sent, 2000);
    assert_int_equal(st.incidents_sent, 1000);
    assert_int_equal(st.alerts_spooled + st.incidents_spooled, 0);
    assert_int_equal(st.alerts_lost + st.incidents_lost, 0);

    r = create_with(f, "m", 50);
    send_mixed(r, 0, 3000, 0);
    for (uint64_t end = now_ms() + 10000; now_ms() < end; sleep_ms(20)) {
        output_redis_get_stats(r, &st);
        if (st.alerts_sent + st.incidents_sent == 3000) break;
    }
    output_redis_close(r, 2000);
    assert_int_equal(st.incidents_sent, 1000);
    long long na = xlen(&f->srv, "m:alerts"), ni = xlen(&f->srv, "m:incidents");
    if (na < 50 || na > 250 || ni < 50 || ni > 250)
        fail_msg("MAXLEN ~ 50: m:alerts has %lld, m:incidents %lld entries", na, ni);
}

/* (b) Redis away, then up: what waited in the spool and what follows
 * arrive once, in order across kinds, each to its key. The server starts
 * behind a password so the subscriber is in place before the sensor can
 * deliver; lifting the password is Redis "coming back". */
static void test_down_then_up_in_order(void **state)
{
    struct fixture *f = *state;
    struct output_redis *r = create(f, tcp_url(f), 0);
    send_mixed(r, 0, 600, 0);
    struct output_redis_stats st;
    output_redis_get_stats(r, &st);
    assert_int_equal(st.connected, 0);
    /* The spooler thread moves the ring to disk. */
    for (uint64_t end = now_ms() + 5000; now_ms() < end; sleep_ms(10)) {
        output_redis_get_stats(r, &st);
        if (st.alerts_spooled + st.incidents_spooled == 600) break;
    }
    assert_int_equal(st.alerts_spooled, 400);
    assert_int_equal(st.incidents_spooled, 200);

    f->srv.pass = "gate";
    srv_start(&f->srv);
    struct subscriber sub = {.srv = &f->srv, .want = 900};
    subscriber_start(&sub);
    drop_password(&f->srv);
    assert_true(wait_both(&f->srv, 600, 0, 15000));
    send_mixed(r, 600, 300, 0);
    assert_true(wait_both(&f->srv, 900, 0, 10000));
    sleep_ms(200); /* a duplicate would show up now */
    output_redis_close(r, 2000);
    subscriber_expect(&sub);
    expect_both(&f->srv, 900, 0);
}

struct pacer {
    struct output_redis *r;
    int count;
};

static void *pace_main(void *arg)
{
    struct pacer *p = arg;
    for (int n = 0; n < p->count; n++) {
        send_mixed(p->r, n, 1, 0);
        sleep_ms(1);
    }
    return NULL;
}

/* kill -9 of Redis in the middle of a paced mix, restarted with its AOF:
 * each stream ends with its kind's records exactly once, in order. */
static void test_kill9_interleaved(void **state)
{
    struct fixture *f = *state;
    enum { N = 2000 };
    f->srv.aof = 1;
    srv_start(&f->srv);
    struct output_redis *r = create(f, tcp_url(f), 0);
    struct pacer p = {.r = r, .count = N};
    pthread_t th;
    pthread_create(&th, NULL, pace_main, &p);
    sleep_ms(600);
    srv_kill(&f->srv, SIGKILL);
    sleep_ms(600);
    struct output_redis_stats st;
    output_redis_get_stats(r, &st);
    assert_int_equal(st.connected, 0);
    assert_true(st.alerts_spooled > 0 && st.incidents_spooled > 0);
    srv_start(&f->srv);
    pthread_join(th, NULL);
    assert_true(wait_both(&f->srv, N, 0, 20000));
    sleep_ms(200); /* a duplicate would show up now */
    output_redis_close(r, 2000);
    expect_both(&f->srv, N, 0);
}

/* (c) A spool written before incidents ("seq<TAB>json", no kind tag)
 * delivers as alerts, and new records follow it. */
static void test_old_spool_is_alerts(void **state)
{
    struct fixture *f = *state;
    char path[160], buf[1024];
    assert_int_equal(mkdir(f->spool, 0750), 0);
    snprintf(path, sizeof(path), "%s/s1.spool", f->spool);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "#seq 100\n");
    for (int n = 0; n < 50; n++) {
        size_t len = make_alert(buf, sizeof(buf), n);
        fprintf(fp, "%d\t%.*s\n", 101 + n, (int)len, buf);
    }
    fclose(fp);
    srv_start(&f->srv);
    struct output_redis *r = create(f, tcp_url(f), 0);
    send_mixed(r, 50, 30, 50);
    assert_true(wait_both(&f->srv, 80, 50, 10000));
    sleep_ms(100);
    struct output_redis_stats st;
    output_redis_finish(r, 2000, &st);
    expect_both(&f->srv, 80, 50);
    assert_int_equal(st.incidents_sent, 10);
}

static void copy_file(const char *from, const char *to)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
    assert_int_equal(system(cmd), 0);
}

/* (d) A sensor stopped after its records reached Redis but before it
 * emptied its spool, then more records spooled while Redis was away: the
 * next start sends only what Redis does not have, once, in order. */
static void test_restart_midway(void **state)
{
    struct fixture *f = *state;
    char spool_file[160], saved[160], cmd[1024];
    snprintf(spool_file, sizeof(spool_file), "%s/s1.spool", f->spool);
    snprintf(saved, sizeof(saved), "%s/saved.spool", f->dir);
    f->srv.aof = 1;
    struct output_redis *r = create(f, tcp_url(f), 0);
    send_mixed(r, 0, 500, 0);
    output_redis_close(r, 300);
    copy_file(spool_file, saved); /* 0..499, about to be delivered */

    srv_start(&f->srv);
    r = create(f, tcp_url(f), 0);
    assert_true(wait_both(&f->srv, 500, 0, 10000));
    output_redis_close(r, 2000);
    srv_kill(&f->srv, SIGKILL);

    r = create(f, tcp_url(f), 0);
    send_mixed(r, 500, 500, 0);
    output_redis_close(r, 300);
    /* The delivered head comes back in front of what waits. */
    snprintf(cmd, sizeof(cmd), "cat '%s' '%s' > '%s.new' && mv '%s.new' '%s'", saved, spool_file,
             spool_file, spool_file, spool_file);
    assert_int_equal(system(cmd), 0);

    srv_start(&f->srv); /* the AOF keeps 0..499 and the delivered mark */
    expect_both(&f->srv, 500, 0);
    struct subscriber sub = {.srv = &f->srv, .first = 500, .want = 500};
    subscriber_start(&sub);
    r = create(f, tcp_url(f), 0);
    assert_true(wait_both(&f->srv, 1000, 0, 10000));
    sleep_ms(200);
    output_redis_close(r, 2000);
    subscriber_expect(&sub);
    expect_both(&f->srv, 1000, 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    atexit(kill_all);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_incidents_own_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_down_then_up_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill9_interleaved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_spool_is_alerts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_midway, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    kill_all();
    return rc;
}

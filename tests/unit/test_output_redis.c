/* Redis output against a real redis-server (never a mock): order, auth,
 * unix sockets, databases, flows and stats, refused entries, bad options.
 * Outages, stalls and restarts: test_output_redis_outage.c. */
#include "redis_fixture.h"

struct subscriber {
    const struct server *srv;
    int want, got, in_order;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int ready;
};

static void *subscribe_main(void *arg)
{
    struct subscriber *sub = arg;
    redisContext *c = srv_connect(sub->srv);
    redisReply *r = c ? redisCommand(c, "SUBSCRIBE vigie:alerts") : NULL;
    if (r) freeReplyObject(r);
    pthread_mutex_lock(&sub->mu);
    sub->ready = 1;
    pthread_cond_signal(&sub->cv);
    pthread_mutex_unlock(&sub->mu);
    sub->in_order = 1;
    while (c && sub->got < sub->want) {
        void *reply;
        if (redisGetReply(c, &reply) != REDIS_OK) break;
        r = reply;
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
            strcmp(r->element[0]->str, "message") == 0) {
            if (alert_n(r->element[2]->str) != sub->got) sub->in_order = 0;
            sub->got++;
        }
        freeReplyObject(r);
    }
    if (c) redisFree(c);
    return NULL;
}

static void test_many_alerts_in_order(void **state)
{
    struct fixture *f = *state;
    enum { N = 10000 };
    srv_start(&f->srv);
    struct subscriber sub = {.srv = &f->srv, .want = N};
    pthread_mutex_init(&sub.mu, NULL);
    pthread_cond_init(&sub.cv, NULL);
    pthread_t th;
    pthread_create(&th, NULL, subscribe_main, &sub);
    pthread_mutex_lock(&sub.mu);
    while (!sub.ready)
        pthread_cond_wait(&sub.cv, &sub.mu);
    pthread_mutex_unlock(&sub.mu);

    struct output_redis *r = create(f, tcp_url(f), 0);
    struct output_redis_stats st;
    output_redis_get_stats(r, &st);
    assert_int_equal(st.connected, 1);
    char buf[1024];
    for (int i = 0; i < N; i++)
        assert_int_equal(output_redis_alert(r, buf, make_alert(buf, sizeof(buf), i)), 0);
    assert_true(wait_xlen(&f->srv, N, 20000));
    output_redis_close(r, 5000);
    pthread_join(th, NULL);
    expect_stream(&f->srv, N);
    assert_int_equal(sub.got, N);
    assert_true(sub.in_order);
}

static void test_auth_acl_unix(void **state)
{
    struct fixture *f = *state;
    f->srv.pass = "topsecret";
    srv_start(&f->srv);
    char url[200];
    snprintf(url, sizeof(url), "redis://:topsecret@127.0.0.1:%d", f->srv.port);
    struct output_redis *r = create(f, url, 0);
    send_range(r, 0, 10);
    output_redis_close(r, 5000);
    expect_stream(&f->srv, 10);

    redisContext *c = srv_connect(&f->srv);
    redisReply *rep = redisCommand(c, "ACL SETUSER vigie on >secret ~vigie:* &* +@all");
    assert_int_equal(rep->type, REDIS_REPLY_STATUS);
    freeReplyObject(rep);
    redisFree(c);
    snprintf(url, sizeof(url), "redis://vigie:secret@127.0.0.1:%d", f->srv.port);
    r = create(f, url, 0);
    send_range(r, 10, 10);
    output_redis_close(r, 5000);
    expect_stream(&f->srv, 20);

    snprintf(url, sizeof(url), "unix://vigie:secret@%s", f->srv.sock);
    r = create(f, url, 0);
    send_range(r, 20, 10);
    output_redis_close(r, 5000);
    expect_stream(&f->srv, 30);
}

static void test_wrong_password(void **state)
{
    struct fixture *f = *state;
    f->srv.pass = "topsecret";
    srv_start(&f->srv);
    char url[200], log[128];
    snprintf(url, sizeof(url), "redis://:wrong@127.0.0.1:%d", f->srv.port);
    /* Catch stderr to check the error is told once, not once per retry. */
    snprintf(log, sizeof(log), "%s/stderr.txt", f->dir);
    fflush(stderr);
    int saved = dup(2);
    FILE *fp = fopen(log, "w");
    dup2(fileno(fp), 2);
    struct output_redis *r = create(f, url, 0);
    send_range(r, 0, 5);
    sleep_ms(1000); /* several retries: 100, 200, 400 ms */
    struct output_redis_stats st;
    output_redis_get_stats(r, &st);
    output_redis_close(r, 100);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    fclose(fp);
    assert_int_equal(st.connected, 0);
    assert_true(st.errors >= 3);
    assert_int_equal(st.alerts_spooled, 5);
    char text[2048] = "";
    fp = fopen(log, "r");
    size_t n = fread(text, 1, sizeof(text) - 1, fp);
    text[n] = '\0';
    fclose(fp);
    const char *first = strstr(text, "authentication failed");
    if (!first) fail_msg("no clear error on stderr: \"%s\"", text);
    assert_null(strstr(first + 1, "authentication failed"));
    assert_non_null(strstr(text, "WRONGPASS"));
    assert_int_equal(xlen(&f->srv, "vigie:alerts"), 0);
}

static void test_db_flows_stats(void **state)
{
    struct fixture *f = *state;
    srv_start(&f->srv);
    char url[200];
    snprintf(url, sizeof(url), "unix://%s?db=3", f->srv.sock);
    struct output_redis *r = create(f, url, 1);
    char buf[256];
    for (int i = 0; i < 100; i++) {
        int len = snprintf(buf, sizeof(buf), "{\"event_type\":\"flow\",\"n\":%d}", i);
        assert_int_equal(output_redis_flow(r, buf, (size_t)len), 0);
    }
    const char *fields[] = {"packets", "alerts"};
    const uint64_t values[] = {12345, 7};
    output_redis_stats(r, fields, values, 2);
    send_range(r, 0, 3);
    struct output_redis_stats st;
    for (uint64_t end = now_ms() + 5000; now_ms() < end; sleep_ms(10)) {
        output_redis_get_stats(r, &st);
        if (st.flows_sent == 100 && st.alerts_sent == 3) break;
    }
    output_redis_close(r, 2000);
    assert_int_equal(st.flows_sent, 100);
    assert_int_equal(st.flows_dropped, 0);
    assert_int_equal(st.alerts_sent, 3);

    redisContext *c = srv_connect(&f->srv);
    redisReply *rep = redisCommand(c, "SELECT 3");
    freeReplyObject(rep);
    rep = redisCommand(c, "XLEN vigie:flows");
    assert_int_equal(rep->integer, 100);
    freeReplyObject(rep);
    rep = redisCommand(c, "XLEN vigie:alerts");
    assert_int_equal(rep->integer, 3);
    freeReplyObject(rep);
    rep = redisCommand(c, "HGET vigie:stats:s1 packets");
    assert_string_equal(rep->str, "12345");
    freeReplyObject(rep);
    rep = redisCommand(c, "GET vigie:delivered:s1");
    assert_int_equal(rep->type, REDIS_REPLY_STRING);
    freeReplyObject(rep);
    redisFree(c);
    assert_int_equal(xlen(&f->srv, "vigie:flows"), 0); /* db 0 untouched */

    /* Redis away: flows are dropped and counted, never spooled. */
    srv_kill(&f->srv, SIGKILL);
    r = create(f, url, 1);
    assert_int_equal(output_redis_flow(r, "{}", 2), -1);
    output_redis_get_stats(r, &st);
    assert_int_equal(st.flows_dropped, 1);
    output_redis_close(r, 0);
}

/* The stream key holds something else: each refused entry is counted as
 * lost and told once; the output keeps going. */
static void test_wrongtype_counted(void **state)
{
    struct fixture *f = *state;
    srv_start(&f->srv);
    redisContext *c = srv_connect(&f->srv);
    redisReply *rep = redisCommand(c, "SET vigie:alerts not-a-stream");
    freeReplyObject(rep);
    struct output_redis *r = create(f, tcp_url(f), 0);
    send_range(r, 0, 20);
    struct output_redis_stats st;
    for (uint64_t end = now_ms() + 5000; now_ms() < end; sleep_ms(10)) {
        output_redis_get_stats(r, &st);
        if (st.alerts_lost == 20) break;
    }
    assert_int_equal(st.alerts_lost, 20);
    assert_int_equal(st.alerts_sent, 0);
    assert_int_equal(st.alerts_spooled, 0);
    assert_true(st.errors >= 1);
    /* Fixed by hand: what follows goes through. */
    rep = redisCommand(c, "DEL vigie:alerts");
    freeReplyObject(rep);
    send_range(r, 0, 5);
    for (uint64_t end = now_ms() + 5000; now_ms() < end; sleep_ms(10)) {
        output_redis_get_stats(r, &st);
        if (st.alerts_sent == 5) break;
    }
    output_redis_close(r, 2000);
    redisFree(c);
    expect_stream(&f->srv, 5);
}

static void test_bad_spool_dir(void **state)
{
    struct fixture *f = *state;
    char file[128], dir[160], err[256] = "";
    snprintf(file, sizeof(file), "%s/plain", f->dir);
    FILE *fp = fopen(file, "w");
    fclose(fp);
    snprintf(dir, sizeof(dir), "%s/spool", file);
    struct redis_options o = {
        .url = tcp_url(f), .prefix = "vigie", .sensor = "s1", .spool_dir = dir};
    assert_null(output_redis_create(&o, err, sizeof(err)));
    assert_non_null(strstr(err, "spool_dir"));
    o.spool_dir = f->spool;
    o.url = "redis://host:99999";
    assert_null(output_redis_create(&o, err, sizeof(err)));
    assert_non_null(strstr(err, "port"));
}
int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    atexit(kill_all);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_many_alerts_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_acl_unix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_password, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_flows_stats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrongtype_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_spool_dir, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    kill_all();
    return rc;
}

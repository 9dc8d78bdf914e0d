/* Redis output against a real redis-server (never a mock): exactly once,
 * in order, through a kill -9, a SIGSTOP stall, a close bounded while the
 * server is frozen, and restarts of the sensor with a spool left over. */
#include "redis_fixture.h"

struct pacer {
    struct output_redis *r;
    int count, interval_us;
    uint64_t max_call_ns;
};

static void *pace_main(void *arg)
{
    struct pacer *p = arg;
    char buf[1024];
    for (int i = 0; i < p->count; i++) {
        size_t len = make_alert(buf, sizeof(buf), i);
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        output_redis_alert(p->r, buf, len);
        clock_gettime(CLOCK_MONOTONIC, &b);
        uint64_t ns = (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000u + (uint64_t)b.tv_nsec -
                      (uint64_t)a.tv_nsec;
        if (ns > p->max_call_ns) p->max_call_ns = ns;
        struct timespec d = {0, p->interval_us * 1000L};
        nanosleep(&d, NULL);
    }
    return NULL;
}

/* kill -9 mid-stream, keep sending, restart on the same port: the AOF
 * (appendfsync always) keeps what was acknowledged, the spool the rest. */
static void test_outage_exactly_once(void **state)
{
    struct fixture *f = *state;
    enum { N = 3000 };
    f->srv.aof = 1;
    srv_start(&f->srv);
    struct output_redis *r = create(f, tcp_url(f), 0);
    struct pacer p = {.r = r, .count = N, .interval_us = 1000};
    pthread_t th;
    pthread_create(&th, NULL, pace_main, &p);
    sleep_ms(700);
    srv_kill(&f->srv, SIGKILL);
    sleep_ms(800);
    struct output_redis_stats st;
    output_redis_get_stats(r, &st);
    assert_int_equal(st.connected, 0);
    assert_true(st.alerts_spooled > 0);
    srv_start(&f->srv);
    pthread_join(th, NULL);
    assert_true(wait_xlen(&f->srv, N, 20000));
    sleep_ms(200); /* a duplicate would show up now */
    output_redis_close(r, 2000);
    expect_stream(&f->srv, N);
}

/* SIGSTOP past the I/O timeout: a transaction is left in the frozen
 * server's socket; the new connection must fence it off, not duplicate. */
static void test_stall_exactly_once(void **state)
{
    struct fixture *f = *state;
    enum { N = 4000 };
    srv_start(&f->srv);
    struct output_redis *r = create(f, tcp_url(f), 0);
    struct pacer p = {.r = r, .count = N, .interval_us = 1000};
    pthread_t th;
    pthread_create(&th, NULL, pace_main, &p);
    sleep_ms(500);
    srv_kill(&f->srv, SIGSTOP);
    sleep_ms(3000);
    srv_kill(&f->srv, SIGCONT);
    pthread_join(th, NULL);
    assert_true(wait_xlen(&f->srv, N, 20000));
    sleep_ms(200);
    output_redis_close(r, 2000);
    expect_stream(&f->srv, N);
    /* The capture side never waited on the frozen server. */
    if (p.max_call_ns > 200000000u)
        fail_msg("an alert call took %llu ns", (unsigned long long)p.max_call_ns);
}

/* close() keeps to its timeout even while blocked on a frozen server;
 * what was not confirmed is delivered once by the next start. */
static void test_close_bounded_when_stalled(void **state)
{
    struct fixture *f = *state;
    srv_start(&f->srv);
    struct output_redis *r = create(f, tcp_url(f), 0);
    send_range(r, 0, 100);
    assert_true(wait_xlen(&f->srv, 100, 5000));
    srv_kill(&f->srv, SIGSTOP);
    send_range(r, 100, 50);
    sleep_ms(100); /* the output thread is now waiting for EXEC's reply */
    uint64_t t0 = now_ms();
    output_redis_close(r, 300);
    uint64_t took = now_ms() - t0;
    srv_kill(&f->srv, SIGCONT);
    if (took > 1000) fail_msg("close(300) took %llu ms", (unsigned long long)took);
    sleep_ms(200);
    r = create(f, tcp_url(f), 0);
    send_range(r, 150, 10);
    assert_true(wait_xlen(&f->srv, 160, 10000));
    sleep_ms(100);
    output_redis_close(r, 2000);
    expect_stream(&f->srv, 160);
}

static void copy_file(const char *from, const char *to)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
    assert_int_equal(system(cmd), 0);
}

/* Sensor started and stopped while Redis was down; the next start
 * delivers the leftovers first, then new alerts, and a stale spool (crash
 * after EXEC, before emptying the file) resends nothing. */
static void test_restart_delivers_spool_first(void **state)
{
    struct fixture *f = *state;
    struct output_redis *r = create(f, tcp_url(f), 0);
    struct output_redis_stats st;
    output_redis_get_stats(r, &st);
    assert_int_equal(st.connected, 0);
    assert_true(st.errors >= 1);
    send_range(r, 0, 500);
    uint64_t t0 = now_ms();
    output_redis_close(r, 300);
    assert_true(now_ms() - t0 < 2000);

    char spool_file[160], saved[160];
    snprintf(spool_file, sizeof(spool_file), "%s/s1.spool", f->spool);
    snprintf(saved, sizeof(saved), "%s/saved.spool", f->dir);
    copy_file(spool_file, saved);

    srv_start(&f->srv);
    r = create(f, tcp_url(f), 0);
    send_range(r, 500, 500);
    assert_true(wait_xlen(&f->srv, 1000, 10000));
    output_redis_get_stats(r, &st);
    output_redis_close(r, 2000);
    expect_stream(&f->srv, 1000);

    copy_file(saved, spool_file);
    r = create(f, tcp_url(f), 0);
    send_range(r, 1000, 10);
    assert_true(wait_xlen(&f->srv, 1010, 10000));
    sleep_ms(100);
    output_redis_close(r, 2000);
    expect_stream(&f->srv, 1010);
}
int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    atexit(kill_all);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_outage_exactly_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stall_exactly_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_bounded_when_stalled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_delivers_spool_first, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    kill_all();
    return rc;
}

/* The Redis output's modes, stream field, one key, stats snapshot and
 * health, against a real redis-server (never a mock): list (RPUSH, LTRIM
 * to maxlen), channel (PUBLISH only, nothing stored), one key with the
 * field "eve", the hash + heartbeat + stats event snapshot, drain, and the
 * health turning degraded (spool full, Redis away) and ok again. */
#include "redis_fixture.h"

static struct output_redis *create_opts(struct fixture *f, struct redis_options o)
{
    o.url = o.url ? o.url : tcp_url(f);
    o.prefix = "vigie";
    o.sensor = "s1";
    o.spool_dir = f->spool;
    char err[256] = "";
    struct output_redis *r = output_redis_create(&o, err, sizeof(err));
    if (!r) fail_msg("output_redis_create: %s", err);
    return r;
}

static redisReply *cmd(const struct server *s, const char *fmt, const char *arg)
{
    redisContext *c = srv_connect(s);
    assert_non_null(c);
    redisReply *r = redisCommand(c, fmt, arg);
    assert_non_null(r);
    redisFree(c);
    return r;
}

static long long integer(const struct server *s, const char *fmt, const char *arg)
{
    redisReply *r = cmd(s, fmt, arg);
    long long n = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    return n;
}

static void wait_sent(struct output_redis *r, uint64_t alerts, uint64_t flows)
{
    struct output_redis_stats st;
    for (uint64_t end = now_ms() + 5000; now_ms() < end; sleep_ms(10)) {
        output_redis_get_stats(r, &st);
        if (st.alerts_sent >= alerts && st.flows_sent >= flows) return;
    }
    fail_msg("sent %llu alerts, %llu flows; want %llu, %llu", (unsigned long long)st.alerts_sent,
             (unsigned long long)st.flows_sent, (unsigned long long)alerts,
             (unsigned long long)flows);
}

/* RPUSH in order; LTRIM keeps the newest maxlen; no stream, no XADD. */
static void test_list_mode(void **state)
{
    struct fixture *f = *state;
    srv_start(&f->srv);
    struct output_redis *r =
        create_opts(f, (struct redis_options){.mode = REDIS_MODE_LIST, .maxlen = 100});
    send_range(r, 0, 150);
    output_redis_close(r, 3000);
    assert_int_equal(integer(&f->srv, "LLEN %s", "vigie:alerts"), 100);
    redisReply *l = cmd(&f->srv, "LRANGE %s 0 -1", "vigie:alerts");
    assert_int_equal(l->elements, 100);
    for (size_t i = 0; i < l->elements; i++)
        assert_int_equal(alert_n(l->element[i]->str), 50 + (int)i);
    freeReplyObject(l);
    redisReply *t = cmd(&f->srv, "TYPE %s", "vigie:alerts");
    assert_string_equal(t->str, "list");
    freeReplyObject(t);
}

/* List mode keeps the spool's promise: Redis away, then back, then a
 * restart of the output: every record once, in order. */
static void test_list_outage(void **state)
{
    struct fixture *f = *state;
    struct redis_options o = {.mode = REDIS_MODE_LIST, .maxlen = 100000};
    struct output_redis *r = create_opts(f, o);
    send_range(r, 0, 300);
    sleep_ms(100);
    srv_start(&f->srv);
    wait_sent(r, 300, 0);
    send_range(r, 300, 100);
    output_redis_close(r, 3000);
    r = create_opts(f, o);
    send_range(r, 400, 100);
    output_redis_close(r, 3000);
    redisReply *l = cmd(&f->srv, "LRANGE %s 0 -1", "vigie:alerts");
    assert_int_equal(l->elements, 500);
    for (size_t i = 0; i < l->elements; i++)
        assert_int_equal(alert_n(l->element[i]->str), (int)i);
    freeReplyObject(l);
}

/* PUBLISH only: a subscriber gets every record, no key holds them. */
static void test_channel_mode(void **state)
{
    struct fixture *f = *state;
    srv_start(&f->srv);
    redisContext *sub = srv_connect(&f->srv);
    assert_non_null(sub);
    redisReply *rep = redisCommand(sub, "SUBSCRIBE vigie:alerts");
    freeReplyObject(rep);
    struct output_redis *r = create_opts(f, (struct redis_options){.mode = REDIS_MODE_CHANNEL});
    send_range(r, 0, 20);
    wait_sent(r, 20, 0);
    output_redis_close(r, 2000);
    for (int i = 0; i < 20; i++) {
        void *m = NULL;
        assert_int_equal(redisGetReply(sub, &m), REDIS_OK);
        redisReply *msg = m;
        assert_int_equal(msg->elements, 3);
        assert_int_equal(alert_n(msg->element[2]->str), i);
        freeReplyObject(msg);
    }
    redisFree(sub);
    assert_int_equal(integer(&f->srv, "EXISTS %s", "vigie:alerts"), 0);
}

/* key + stream_field: every kind in one stream, each entry "eve". */
static void test_one_key_eve(void **state)
{
    struct fixture *f = *state;
    srv_start(&f->srv);
    struct output_redis *r = create_opts(
        f, (struct redis_options){.stream_field = "eve", .key = "suricata", .flows = 1});
    send_range(r, 0, 5);
    const char *flow = "{\"event_type\":\"flow\",\"n\":99}";
    assert_int_equal(output_redis_flow(r, flow, strlen(flow)), 0);
    const char *inc = "{\"event_type\":\"incident\",\"n\":5}";
    assert_int_equal(output_redis_incident(r, inc, strlen(inc)), 0);
    wait_sent(r, 5, 1);
    output_redis_close(r, 2000);
    redisReply *x = cmd(&f->srv, "XRANGE %s - +", "suricata");
    assert_int_equal(x->elements, 7);
    int flows = 0, incidents = 0;
    for (size_t i = 0; i < x->elements; i++) {
        redisReply *fields = x->element[i]->element[1];
        assert_int_equal(fields->elements, 2);
        assert_string_equal(fields->element[0]->str, "eve");
        flows += strstr(fields->element[1]->str, "\"flow\"") != NULL;
        incidents += strstr(fields->element[1]->str, "\"incident\"") != NULL;
    }
    freeReplyObject(x);
    assert_int_equal(flows, 1);
    assert_int_equal(incidents, 1);
    assert_int_equal(integer(&f->srv, "EXISTS %s", "vigie:alerts"), 0);
}

/* The hash, the heartbeat with its TTL and the stats event, together. */
static void test_snapshot(void **state)
{
    struct fixture *f = *state;
    srv_start(&f->srv);
    struct output_redis *r = create_opts(f, (struct redis_options){.heartbeat_ttl_s = 45});
    const char *fields[] = {"packets", "redis_health"}, *values[] = {"12", "ok"};
    const char *ev = "{\"event_type\":\"stats\",\"stats\":{\"uptime\":3}}";
    output_redis_snapshot(r, fields, values, 2, "2026-01-01T00:00:00.000000+0000", ev, strlen(ev));
    struct output_redis_stats st;
    for (uint64_t end = now_ms() + 5000; now_ms() < end; sleep_ms(10)) {
        output_redis_get_stats(r, &st);
        if (st.stats_events_sent == 1) break;
    }
    output_redis_close(r, 2000);
    assert_int_equal(st.stats_events_sent, 1);
    redisReply *h = cmd(&f->srv, "HGET %s redis_health", "vigie:stats:s1");
    assert_string_equal(h->str, "ok");
    freeReplyObject(h);
    long long ttl = integer(&f->srv, "TTL %s", "vigie:heartbeat:s1");
    assert_true(ttl > 40 && ttl <= 45);
    redisReply *x = cmd(&f->srv, "XRANGE %s - +", "vigie:stats");
    assert_int_equal(x->elements, 1);
    assert_string_equal(x->element[0]->element[1]->element[0]->str, "stats");
    assert_string_equal(x->element[0]->element[1]->element[1]->str, ev);
    freeReplyObject(x);
}

/* drain returns once the counters say every record is in Redis. */
static void test_drain(void **state)
{
    struct fixture *f = *state;
    srv_start(&f->srv);
    struct output_redis *r = create(f, tcp_url(f), 0);
    send_range(r, 0, 2000);
    assert_int_equal(output_redis_drain(r, 10000), 0);
    struct output_redis_stats st;
    output_redis_get_stats(r, &st);
    assert_int_equal(st.alerts_sent, 2000);
    assert_int_equal(st.alerts_spooled, 0);
    output_redis_close(r, 1000);
}

static void wait_health(struct output_redis *r, int degraded, const char *reason)
{
    struct output_redis_stats st;
    for (uint64_t end = now_ms() + 8000; now_ms() < end; sleep_ms(20)) {
        output_redis_get_stats(r, &st);
        if (st.degraded == degraded && strstr(st.health_reason, reason)) return;
    }
    fail_msg("health %d \"%s\", want %d \"%s\"", st.degraded, st.health_reason, degraded, reason);
}

/* Redis away: degraded after down_degraded_s; a full spool: degraded and
 * counting; Redis back and the backlog taken: ok again. */
static void test_health(void **state)
{
    struct fixture *f = *state;
    struct output_redis *r = create_opts(
        f, (struct redis_options){.down_degraded_s = 1, .spool_max_bytes = 16384, .maxlen = 0});
    struct output_redis_stats st;
    output_redis_get_stats(r, &st);
    assert_int_equal(st.degraded, 0);
    assert_string_equal(st.health_reason, "");
    wait_health(r, 1, "Redis unreachable for more than 1 s");
    send_range(r, 0, 40); /* ~36 KiB: the ring takes them, the spool cannot */
    wait_health(r, 1, "spool full, records dropped");
    output_redis_get_stats(r, &st);
    uint64_t lost = st.alerts_lost;
    assert_true(lost > 0);
    assert_int_equal(lost + st.alerts_spooled, 40);
    srv_start(&f->srv);
    wait_sent(r, 40 - lost, 0);
    wait_health(r, 0, "");
    output_redis_close(r, 2000);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    atexit(kill_all);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_outage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_channel_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_key_eve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_health, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    kill_all();
    return rc;
}

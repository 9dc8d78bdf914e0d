/* The outputs registry and set (output.h): which modules the config and
 * command line open, records fanned out to each, real files in a temporary
 * directory, standard output caught in a file, and the redis module against
 * a real redis-server (redis_fixture.h; never a mock). */
#include "redis_fixture.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "config/config.h"
#include "output/output.h"

static struct config *new_config(struct fixture *f, int loaded)
{
    struct config *cfg = calloc(1, sizeof(*cfg));
    assert_non_null(cfg);
    config_defaults(cfg);
    snprintf(cfg->sensor_name, sizeof(cfg->sensor_name), "s1");
    snprintf(cfg->outputs.redis.spool_dir, sizeof(cfg->outputs.redis.spool_dir), "%s", f->spool);
    /* As if loaded from a file: no local-Redis fallback, the config's url. */
    if (loaded) snprintf(cfg->path, sizeof(cfg->path), "%s/vigie.yaml", f->dir);
    return cfg;
}

static char *path_in(struct fixture *f, const char *name)
{
    static char paths[4][160];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, sizeof(paths[0]), "%s/%s", f->dir, name);
    return p;
}

/* The whole file, NUL-terminated, in a static buffer. */
static const char *slurp(const char *path)
{
    static char text[1 << 16];
    FILE *fp = fopen(path, "r");
    if (!fp) return NULL;
    size_t n = fread(text, 1, sizeof(text) - 1, fp);
    text[n] = '\0';
    fclose(fp);
    return text;
}

static struct outputs *open_ok(struct output_options *o)
{
    char err[512] = "";
    struct outputs *s = outputs_open(o, err, sizeof(err));
    if (!s) fail_msg("outputs_open: %s", err);
    return s;
}

/* Catches what the set writes to standard output (fd 1) or error (fd 2)
 * in a file. */
static int catch_fd(int which, const char *path)
{
    fflush(which == 1 ? stdout : stderr);
    int saved = dup(which);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, which);
    close(fd);
    return saved;
}

static void release_fd(int which, int saved)
{
    fflush(which == 1 ? stdout : stderr);
    dup2(saved, which);
    close(saved);
}

static void test_file_and_stdout_fan_out(void **state)
{
    struct fixture *f = *state;
    struct config *cfg = new_config(f, 0);
    struct output_options o = {.cfg = cfg,
                               .alerts_path = path_in(f, "a.json"),
                               .flows_path = path_in(f, "f.json"),
                               .no_redis = 1,
                               .stdout_alerts = 1};
    int saved = catch_fd(1, path_in(f, "stdout.txt"));
    struct outputs *s = open_ok(&o);
    assert_string_equal(outputs_name(s, 0), "file");
    assert_string_equal(outputs_name(s, 1), "stdout");
    assert_null(outputs_name(s, 2));
    assert_int_equal(outputs_takes(s), OUTPUT_ALERTS | OUTPUT_FLOWS);
    assert_int_equal(outputs_alert(s, "{\"a\":1}", 7), 0);
    assert_int_equal(outputs_flow(s, "{\"f\":1}", 7), 0);
    assert_int_equal(outputs_alert(s, "{\"a\":2}", 7), 0);
    assert_int_equal(outputs_flow(s, "{\"f\":2}", 7), 0);
    /* Incident records go where alerts go, in the order they came. */
    assert_int_equal(outputs_incident(s, "{\"i\":1}", 7), 0);
    struct output_counters c = {.packets = 1};
    outputs_stats(s, &c); /* nobody takes stats: a no-op */
    assert_int_equal(outputs_flush(s), 0);
    outputs_close(s, 1);
    release_fd(1, saved);
    assert_string_equal(slurp(path_in(f, "a.json")), "{\"a\":1}\n{\"a\":2}\n{\"i\":1}\n");
    assert_string_equal(slurp(path_in(f, "f.json")), "{\"f\":1}\n{\"f\":2}\n");
    assert_string_equal(slurp(path_in(f, "stdout.txt")), "{\"a\":1}\n{\"a\":2}\n{\"i\":1}\n");
    free(cfg);
}

/* The config's files unless the command line names its own; appended. */
static void test_config_files_and_overrides(void **state)
{
    struct fixture *f = *state;
    struct config *cfg = new_config(f, 1);
    snprintf(cfg->outputs.alerts_file, sizeof(cfg->outputs.alerts_file), "%s",
             path_in(f, "cfg-alerts.json"));
    cfg->outputs.redis.url[0] = '\0'; /* no Redis in the config */
    struct output_options o = {.cfg = cfg};
    for (int run = 0; run < 2; run++) {
        struct outputs *s = open_ok(&o);
        assert_string_equal(outputs_name(s, 0), "file");
        assert_null(outputs_name(s, 1));
        assert_int_equal(outputs_takes(s), OUTPUT_ALERTS);
        assert_int_equal(outputs_alert(s, "{}", 2), 0);
        outputs_close(s, 1);
    }
    assert_string_equal(slurp(path_in(f, "cfg-alerts.json")), "{}\n{}\n");

    o.alerts_path = path_in(f, "cli-alerts.json");
    o.flows_path = path_in(f, "cli-flows.json");
    struct outputs *s = open_ok(&o);
    assert_int_equal(outputs_takes(s), OUTPUT_ALERTS | OUTPUT_FLOWS);
    assert_int_equal(outputs_alert(s, "{\"cli\":1}", 9), 0);
    outputs_close(s, 1);
    assert_string_equal(slurp(path_in(f, "cli-alerts.json")), "{\"cli\":1}\n");
    assert_string_equal(slurp(path_in(f, "cfg-alerts.json")), "{}\n{}\n");
    free(cfg);
}

static void test_nothing_asked(void **state)
{
    struct fixture *f = *state;
    struct config *cfg = new_config(f, 0);
    struct output_options o = {.cfg = cfg, .no_redis = 1};
    struct outputs *s = open_ok(&o);
    assert_null(outputs_name(s, 0));
    assert_int_equal(outputs_takes(s), 0);
    assert_int_equal(outputs_alert(s, "{}", 2), 0);
    assert_int_equal(outputs_flush(s), 0);
    outputs_close(s, 1);
    outputs_close(NULL, 1);
    free(cfg);
}

/* An unwritable file fails the open with its path; a failed write shows
 * at the flush. */
static void test_file_errors(void **state)
{
    struct fixture *f = *state;
    struct config *cfg = new_config(f, 0);
    char err[512] = "";
    struct output_options o = {
        .cfg = cfg, .alerts_path = path_in(f, "no/such/dir.json"), .no_redis = 1};
    assert_null(outputs_open(&o, err, sizeof(err)));
    assert_non_null(strstr(err, "no/such/dir.json: No such file or directory"));
    o.alerts_path = NULL;
    o.flows_path = "/dev/full";
    struct outputs *s = open_ok(&o);
    assert_int_equal(outputs_flow(s, "{}", 2), 0); /* buffered */
    assert_int_equal(outputs_flush(s), -1);
    assert_int_equal(outputs_flush(s), -1); /* sticky */
    outputs_close(s, 1);
    free(cfg);
}

/* reopen after a rotation: what follows goes to a new file. */
static void test_reopen(void **state)
{
    struct fixture *f = *state;
    struct config *cfg = new_config(f, 0);
    struct output_options o = {.cfg = cfg, .alerts_path = path_in(f, "r.json"), .no_redis = 1};
    struct outputs *s = open_ok(&o);
    assert_int_equal(outputs_alert(s, "{\"n\":1}", 7), 0);
    assert_int_equal(rename(path_in(f, "r.json"), path_in(f, "r.json.1")), 0);
    char err[512] = "";
    assert_int_equal(outputs_reopen(s, err, sizeof(err)), 0);
    assert_int_equal(outputs_alert(s, "{\"n\":2}", 7), 0);
    outputs_close(s, 1);
    assert_string_equal(slurp(path_in(f, "r.json.1")), "{\"n\":1}\n");
    assert_string_equal(slurp(path_in(f, "r.json")), "{\"n\":2}\n");
    free(cfg);
}

static redisReply *srv_command(const struct server *srv, const char *cmd)
{
    redisContext *c = srv_connect(srv);
    assert_non_null(c);
    redisReply *r = redisCommand(c, cmd);
    assert_non_null(r);
    redisFree(c);
    return r;
}

static void expect_hash(const struct server *srv, const char *field, const char *want)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "HGET vigie:stats:s1 %s", field);
    redisReply *r = srv_command(srv, cmd);
    if (r->type != REDIS_REPLY_STRING) fail_msg("stats hash has no %s", field);
    if (want) assert_string_equal(r->str, want);
    freeReplyObject(r);
}

/* The config's Redis, through the registry: alerts after the file's, in
 * the same order; flows; the stats hash with the output's own counters. */
static void test_redis_module(void **state)
{
    struct fixture *f = *state;
    srv_start(&f->srv);
    struct config *cfg = new_config(f, 1);
    snprintf(cfg->outputs.redis.url, sizeof(cfg->outputs.redis.url), "%s", tcp_url(f));
    cfg->outputs.redis.flows = 1;
    struct output_options o = {.cfg = cfg, .alerts_path = path_in(f, "a.json")};
    struct outputs *s = open_ok(&o);
    assert_string_equal(outputs_name(s, 0), "file");
    assert_string_equal(outputs_name(s, 1), "redis");
    assert_null(outputs_name(s, 2));
    assert_int_equal(outputs_takes(s), OUTPUT_ALERTS | OUTPUT_FLOWS | OUTPUT_STATS);
    char buf[1024];
    for (int i = 0; i < 50; i++)
        assert_int_equal(outputs_alert(s, buf, make_alert(buf, sizeof(buf), i)), 0);
    assert_int_equal(outputs_flow(s, "{\"event_type\":\"flow\"}", 21), 0);
    struct output_counters c = {.packets = 12345, .drops = 7, .mem_bytes = 99};
    outputs_stats(s, &c);
    assert_int_equal(outputs_flush(s), 0);
    outputs_close(s, 1); /* delivers what is queued */
    expect_stream(&f->srv, 50);
    assert_int_equal(xlen(&f->srv, "vigie:flows"), 1);
    expect_hash(&f->srv, "packets", "12345");
    expect_hash(&f->srv, "drops", "7");
    expect_hash(&f->srv, "mem_bytes", "99");
    /* Published at close, after the delivery: the final counters. */
    expect_hash(&f->srv, "redis_sent", "50");
    expect_hash(&f->srv, "redis_spooled", "0");
    expect_hash(&f->srv, "redis_health", "ok");
    expect_hash(&f->srv, "timestamp", NULL);
    expect_hash(&f->srv, "uptime", NULL);
    redisReply *ttl = srv_command(&f->srv, "TTL vigie:heartbeat:s1");
    assert_true(ttl->integer > 0 && ttl->integer <= 30);
    freeReplyObject(ttl);
    assert_int_equal(xlen(&f->srv, "vigie:stats"), 1); /* the EVE stats event */
    const char *file = slurp(path_in(f, "a.json"));
    for (int i = 0; i < 50; i++, file = strchr(file, '\n') + 1)
        assert_int_equal(alert_n(file), i);
    free(cfg);
}

/* Incident records through the registry: in the file between the alerts
 * they follow, to <prefix>:incidents in Redis (the alerts stream keeps only
 * alerts), counted in the stats hash. */
static void test_redis_module_incidents(void **state)
{
    struct fixture *f = *state;
    srv_start(&f->srv);
    struct config *cfg = new_config(f, 1);
    snprintf(cfg->outputs.redis.url, sizeof(cfg->outputs.redis.url), "%s", tcp_url(f));
    struct output_options o = {.cfg = cfg, .alerts_path = path_in(f, "a.json")};
    struct outputs *s = open_ok(&o);
    char buf[1024];
    for (int i = 0; i < 30; i++) {
        assert_int_equal(outputs_alert(s, buf, make_alert(buf, sizeof(buf), i)), 0);
        if (i % 10 != 9) continue;
        int len = snprintf(buf, sizeof(buf), "{\"event_type\":\"incident\",\"n\":%d}", i);
        assert_int_equal(outputs_incident(s, buf, (size_t)len), 0);
    }
    for (uint64_t end = now_ms() + 5000; now_ms() < end; sleep_ms(10))
        if (xlen(&f->srv, "vigie:incidents") == 3 && xlen(&f->srv, "vigie:alerts") == 30) break;
    /* The counters follow the streams by a moment: publish until they show. */
    struct output_counters c = {.packets = 1};
    for (uint64_t end = now_ms() + 5000; now_ms() < end; sleep_ms(20)) {
        outputs_stats(s, &c);
        sleep_ms(20);
        redisReply *h = srv_command(&f->srv, "HGET vigie:stats:s1 redis_incidents_sent");
        int done = h->type == REDIS_REPLY_STRING && strcmp(h->str, "3") == 0;
        freeReplyObject(h);
        if (done) break;
    }
    int saved = catch_fd(2, path_in(f, "stderr.txt"));
    outputs_close(s, 1);
    release_fd(2, saved);
    /* The end-of-run line says the incidents apart from the alerts. */
    assert_string_equal(slurp(path_in(f, "stderr.txt")),
                        "vigie: redis: 30 alerts delivered, 0 waiting in the spool, 0 lost; 3 "
                        "incidents delivered, 0 waiting in the spool, 0 lost\n");
    expect_stream(&f->srv, 30);
    redisReply *r = srv_command(&f->srv, "XRANGE vigie:incidents - +");
    assert_int_equal(r->elements, 3);
    for (size_t i = 0; i < 3; i++) {
        redisReply *fields = r->element[i]->element[1];
        assert_string_equal(fields->element[0]->str, "alert");
        assert_int_equal(alert_n(fields->element[1]->str), 10 * (int)i + 9);
    }
    freeReplyObject(r);
    expect_hash(&f->srv, "redis_incidents_sent", "3");
    expect_hash(&f->srv, "redis_incidents_spooled", "0");
    expect_hash(&f->srv, "redis_sent", "30");
    /* The file: alert i, and after alerts 9, 19, 29 the incident record. */
    const char *line = slurp(path_in(f, "a.json"));
    for (int i = 0; i < 30; i++) {
        assert_non_null(strstr(line, "\"event_type\":\"alert\""));
        assert_int_equal(alert_n(line), i);
        line = strchr(line, '\n') + 1;
        if (i % 10 != 9) continue;
        assert_int_equal(strncmp(line, "{\"event_type\":\"incident\"", 24), 0);
        assert_int_equal(alert_n(line), i);
        line = strchr(line, '\n') + 1;
    }
    assert_string_equal(line, "");
    free(cfg);
}

/* --redis to a server that is not there: kept (spooling), no fallback;
 * the next run delivers the spool once the server is up. --no-redis wins
 * over both. */
static void test_redis_away_spools(void **state)
{
    struct fixture *f = *state;
    struct config *cfg = new_config(f, 0);
    assert_int_equal(mkdir(f->spool, 0700), 0);
    struct output_options o = {.cfg = cfg, .redis_url = tcp_url(f)};
    struct outputs *s = open_ok(&o);
    assert_string_equal(outputs_name(s, 0), "redis");
    assert_null(outputs_name(s, 1));
    assert_int_equal(o.stdout_alerts, 0);
    char buf[1024];
    for (int i = 0; i < 20; i++)
        assert_int_equal(outputs_alert(s, buf, make_alert(buf, sizeof(buf), i)), 0);
    uint64_t t0 = now_ms();
    outputs_close(s, 1); /* not connected: no wait */
    assert_true(now_ms() - t0 < 2000);

    srv_start(&f->srv);
    s = open_ok(&o);
    outputs_close(s, 1);
    expect_stream(&f->srv, 20);

    o.no_redis = 1;
    s = open_ok(&o);
    assert_null(outputs_name(s, 0));
    outputs_close(s, 1);
    free(cfg);
}

/* Without a config nor --redis, the local default; when it is not there,
 * alerts go to standard output with a warning (SPEC section 2). Skipped
 * when something answers on the default port. */
static void test_stdout_fallback(void **state)
{
    struct fixture *f = *state;
    struct server local = {.port = 6379};
    if (srv_pinged(&local)) skip();
    struct config *cfg = new_config(f, 0);
    assert_int_equal(mkdir(f->spool, 0700), 0);
    struct output_options o = {.cfg = cfg};
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path_in(f, "stderr.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
    struct outputs *s = open_ok(&o);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    if (strcmp(outputs_name(s, 0), "redis") == 0) { /* a server came up meanwhile */
        outputs_close(s, 0);
        free(cfg);
        skip();
    }
    assert_string_equal(outputs_name(s, 0), "stdout");
    assert_null(outputs_name(s, 1));
    assert_int_equal(o.stdout_alerts, 1);
    assert_int_equal(outputs_takes(s), OUTPUT_ALERTS);
    assert_non_null(strstr(slurp(path_in(f, "stderr.txt")),
                           "vigie: warning: no Redis at redis://127.0.0.1:6379: alerts go to "
                           "standard output\n"));
    outputs_close(s, 1);
    free(cfg);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    atexit(kill_all);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_file_and_stdout_fan_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_files_and_overrides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_asked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redis_module, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redis_module_incidents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redis_away_spools, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stdout_fallback, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    kill_all();
    return rc;
}

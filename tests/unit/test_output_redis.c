/* Redis output against a real redis-server (never a mock): order, exactly
 * once through outages, stalls and restarts, auth, unix sockets, flows and
 * stats. Each test starts its own server on a free loopback port and a
 * unix socket in a temporary directory, and kills it at teardown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "output/output_redis.h"

#define MAX_SERVERS 4

struct server {
    pid_t pid;
    int port;
    char dir[64];
    char sock[128];
    const char *pass; /* requirepass, for our own checking connections */
    int aof;
};

struct fixture {
    char dir[64]; /* spool and server files */
    char spool[96];
    struct server srv;
};

static pid_t live_pids[MAX_SERVERS];

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static void track(pid_t pid, pid_t replace)
{
    for (int i = 0; i < MAX_SERVERS; i++)
        if (live_pids[i] == replace) {
            live_pids[i] = pid;
            return;
        }
}

/* Whatever happens to a test, no redis-server outlives the run. */
static void kill_all(void)
{
    for (int i = 0; i < MAX_SERVERS; i++)
        if (live_pids[i] > 0) {
            kill(live_pids[i], SIGKILL);
            waitpid(live_pids[i], NULL, 0);
            live_pids[i] = 0;
        }
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0)
        fail_msg("no free port");
    close(fd);
    return ntohs(a.sin_port);
}

static redisContext *srv_connect(const struct server *s)
{
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", s->port, tv);
    if (!c || c->err) {
        if (c) redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    if (s->pass) {
        redisReply *r = redisCommand(c, "AUTH %s", s->pass);
        if (r) freeReplyObject(r);
    }
    return c;
}

static int srv_pinged(const struct server *s)
{
    redisContext *c = srv_connect(s);
    if (!c) return 0;
    redisReply *r = redisCommand(c, "PING");
    int ok = r && r->type == REDIS_REPLY_STATUS;
    if (r) freeReplyObject(r);
    redisFree(c);
    return ok;
}

static void srv_exec(const struct server *s)
{
    char port[16], log[160];
    snprintf(port, sizeof(port), "%d", s->port);
    snprintf(log, sizeof(log), "%s/redis.log", s->dir);
    const char *argv[32] = {"redis-server", "--port",       port,    "--bind",
                            "127.0.0.1",    "--save",       "",      "--dir",
                            s->dir,         "--unixsocket", s->sock, "--unixsocketperm",
                            "700",          "--logfile",    log};
    int n = 15;
    if (s->aof) {
        argv[n++] = "--appendonly";
        argv[n++] = "yes";
        argv[n++] = "--appendfsync";
        argv[n++] = "always";
    } else {
        argv[n++] = "--appendonly";
        argv[n++] = "no";
    }
    if (s->pass) {
        argv[n++] = "--requirepass";
        argv[n++] = s->pass;
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    execvp("redis-server", (char *const *)argv);
    _exit(127);
}

/* Starts (or restarts, same port and directory) the server. */
static void srv_start(struct server *s)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) srv_exec(s);
    s->pid = pid;
    track(pid, 0);
    for (uint64_t end = now_ms() + 10000; now_ms() < end; sleep_ms(20)) {
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            track(0, pid);
            s->pid = 0;
            fail_msg("redis-server exited at start (port %d taken? see %s/redis.log)", s->port,
                     s->dir);
        }
        if (srv_pinged(s)) return;
    }
    fail_msg("redis-server did not answer PING");
}

static void srv_kill(struct server *s, int sig)
{
    if (s->pid <= 0) return;
    kill(s->pid, sig);
    if (sig == SIGSTOP || sig == SIGCONT) return;
    waitpid(s->pid, NULL, 0);
    track(0, s->pid);
    s->pid = 0;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f) return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/vigie-redis-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->spool, sizeof(f->spool), "%s/spool", f->dir);
    snprintf(f->srv.dir, sizeof(f->srv.dir), "%s", f->dir);
    snprintf(f->srv.sock, sizeof(f->srv.sock), "%s/redis.sock", f->dir);
    f->srv.port = free_port();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    srv_kill(&f->srv, SIGCONT);
    srv_kill(&f->srv, SIGKILL);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

static struct output_redis *create(struct fixture *f, const char *url, int flows)
{
    struct redis_options o = {.url = url,
                              .prefix = "vigie",
                              .sensor = "s1",
                              .maxlen = 100000,
                              .flows = flows,
                              .spool_dir = f->spool};
    char err[256] = "";
    struct output_redis *r = output_redis_create(&o, err, sizeof(err));
    if (!r) fail_msg("output_redis_create: %s", err);
    return r;
}

static const char *tcp_url(struct fixture *f)
{
    static char url[64];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", f->srv.port);
    return url;
}

/* An alert of realistic size (~900 bytes) carrying its counter. */
static size_t make_alert(char *buf, size_t cap, int n)
{
    int len =
        snprintf(buf, cap,
                 "{\"timestamp\":\"2023-07-25T08:14:03.123456+0000\",\"flow_id\":%d,"
                 "\"event_type\":\"alert\",\"n\":%d,\"host\":\"s1\",\"src_ip\":\"10.10.1.23\","
                 "\"src_port\":49712,\"dest_ip\":\"10.20.0.10\",\"dest_port\":445,"
                 "\"proto\":\"TCP\",\"app_proto\":\"smb\",\"pad\":\"",
                 n, n);
    while (len < 880)
        buf[len++] = 'x';
    len += snprintf(buf + len, cap - (size_t)len, "\"}");
    return (size_t)len;
}

static int alert_n(const char *json)
{
    const char *p = strstr(json, "\"n\":");
    return p ? atoi(p + 4) : -1;
}

static long long xlen(const struct server *s, const char *key)
{
    redisContext *c = srv_connect(s);
    if (!c) return -1;
    redisReply *r = redisCommand(c, "XLEN %s", key);
    long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r) freeReplyObject(r);
    redisFree(c);
    return n;
}

static int wait_xlen(const struct server *s, long long want, unsigned timeout_ms)
{
    for (uint64_t end = now_ms() + timeout_ms; now_ms() < end; sleep_ms(20))
        if (xlen(s, "vigie:alerts") >= want) return 1;
    return 0;
}

/* Every alert in the stream exactly once, in order: n = 0 .. count-1. */
static void expect_stream(const struct server *s, int count)
{
    redisContext *c = srv_connect(s);
    assert_non_null(c);
    redisReply *r = redisCommand(c, "XRANGE vigie:alerts - +");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    if (r->elements != (size_t)count) {
        int first_bad = -1;
        for (size_t i = 0; i < r->elements && first_bad < 0; i++)
            if (alert_n(r->element[i]->element[1]->element[1]->str) != (int)i) first_bad = (int)i;
        fail_msg("stream has %zu entries, want %d (first out of place at %d)", r->elements, count,
                 first_bad);
    }
    for (size_t i = 0; i < r->elements; i++) {
        redisReply *fields = r->element[i]->element[1];
        assert_int_equal(fields->elements, 2);
        assert_string_equal(fields->element[0]->str, "alert");
        int n = alert_n(fields->element[1]->str);
        if (n != (int)i) fail_msg("entry %zu holds alert %d", i, n);
    }
    freeReplyObject(r);
    redisFree(c);
}

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

static void send_range(struct output_redis *r, int first, int count)
{
    char buf[1024];
    for (int i = first; i < first + count; i++)
        assert_int_equal(output_redis_alert(r, buf, make_alert(buf, sizeof(buf), i)), 0);
}

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
        cmocka_unit_test_setup_teardown(test_outage_exactly_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stall_exactly_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_bounded_when_stalled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_delivers_spool_first, setup, teardown),
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

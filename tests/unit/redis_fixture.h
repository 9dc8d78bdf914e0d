/* A real redis-server for the Redis output's tests (never a mock): each
 * test starts its own server on a free loopback port and a unix socket in
 * a temporary directory, and kills it at teardown; plus numbered alerts
 * and checks of the stream they land in. Functions are static inline:
 * each test file uses its own subset. */
#ifndef VIGIE_TEST_REDIS_FIXTURE_H
#define VIGIE_TEST_REDIS_FIXTURE_H

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

static inline uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static inline void track(pid_t pid, pid_t replace)
{
    for (int i = 0; i < MAX_SERVERS; i++)
        if (live_pids[i] == replace) {
            live_pids[i] = pid;
            return;
        }
}

/* Whatever happens to a test, no redis-server outlives the run. */
static inline void kill_all(void)
{
    for (int i = 0; i < MAX_SERVERS; i++)
        if (live_pids[i] > 0) {
            kill(live_pids[i], SIGKILL);
            waitpid(live_pids[i], NULL, 0);
            live_pids[i] = 0;
        }
}

static inline int free_port(void)
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

static inline redisContext *srv_connect(const struct server *s)
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

static inline int srv_pinged(const struct server *s)
{
    redisContext *c = srv_connect(s);
    if (!c) return 0;
    redisReply *r = redisCommand(c, "PING");
    int ok = r && r->type == REDIS_REPLY_STATUS;
    if (r) freeReplyObject(r);
    redisFree(c);
    return ok;
}

static inline void srv_exec(const struct server *s)
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
static inline void srv_start(struct server *s)
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

static inline void srv_kill(struct server *s, int sig)
{
    if (s->pid <= 0) return;
    kill(s->pid, sig);
    if (sig == SIGSTOP || sig == SIGCONT) return;
    waitpid(s->pid, NULL, 0);
    track(0, s->pid);
    s->pid = 0;
}

static inline int setup(void **state)
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

static inline int teardown(void **state)
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

static inline struct output_redis *create(struct fixture *f, const char *url, int flows)
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

static inline const char *tcp_url(struct fixture *f)
{
    static char url[64];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", f->srv.port);
    return url;
}

/* An alert of realistic size (~900 bytes) carrying its counter. */
static inline size_t make_alert(char *buf, size_t cap, int n)
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

static inline int alert_n(const char *json)
{
    const char *p = strstr(json, "\"n\":");
    return p ? atoi(p + 4) : -1;
}

static inline long long xlen(const struct server *s, const char *key)
{
    redisContext *c = srv_connect(s);
    if (!c) return -1;
    redisReply *r = redisCommand(c, "XLEN %s", key);
    long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r) freeReplyObject(r);
    redisFree(c);
    return n;
}

static inline int wait_xlen(const struct server *s, long long want, unsigned timeout_ms)
{
    for (uint64_t end = now_ms() + timeout_ms; now_ms() < end; sleep_ms(20))
        if (xlen(s, "vigie:alerts") >= want) return 1;
    return 0;
}

/* Every alert in the stream exactly once, in order: n = 0 .. count-1. */
static inline void expect_stream(const struct server *s, int count)
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

static inline void send_range(struct output_redis *r, int first, int count)
{
    char buf[1024];
    for (int i = first; i < first + count; i++)
        assert_int_equal(output_redis_alert(r, buf, make_alert(buf, sizeof(buf), i)), 0);
}

#endif

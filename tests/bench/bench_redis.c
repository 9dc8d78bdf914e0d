/* Redis output benchmark (SPEC section 8: >= 50,000 alerts/s into a local
 * Redis; capture never blocks on Redis). Run by scripts/bench-redis.sh,
 * which starts a private redis-server:
 *   bench_redis URL REDIS_PID [SECONDS] [SPOOL_DIR]
 * 1. throughput: ~900-byte alerts pushed for SECONDS, delivered alerts/s;
 * 2. stall: redis-server SIGSTOPped for 2 s while alerts keep coming at
 *    50,000/s; latency of every output_redis_alert() call, then the time
 *    to deliver the backlog once it is SIGCONTed. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "output/output_redis.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t make_alert(char *buf, size_t cap, uint64_t n)
{
    int len = snprintf(
        buf, cap,
        "{\"timestamp\":\"2023-07-25T08:14:03.123456+0000\",\"flow_id\":%llu,"
        "\"community_id\":\"1:LQU9qZlK+B5F3KDmev6m5PMibrg=\",\"event_type\":\"alert\","
        "\"host\":\"bench\",\"src_ip\":\"10.10.1.23\",\"src_port\":49712,"
        "\"dest_ip\":\"10.20.0.10\",\"dest_port\":445,\"proto\":\"TCP\",\"app_proto\":\"smb\","
        "\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":4200002,\"rev\":1,"
        "\"signature\":\"VIGIE SMB admin share access ADMIN$ across zones\","
        "\"category\":\"Lateral Movement\",\"severity\":1,\"metadata\":{"
        "\"mitre_tactic_id\":[\"TA0008\"],\"mitre_technique_id\":[\"T1021.002\"]}},"
        "\"vigie\":{\"detector\":\"smb_admin_share\",\"src_zone\":\"agglo-users\","
        "\"dest_zone\":\"mairie-servers\",\"policy\":\"deny\",\"evidence\":{"
        "\"share\":\"\\\\\\\\10.20.0.10\\\\ADMIN$\",\"user\":\"AGGLO\\\\jdupont\","
        "\"count\":%llu}},\"flow\":{\"pkts_toserver\":42,\"pkts_toclient\":40,"
        "\"bytes_toserver\":6234,\"bytes_toclient\":8120,"
        "\"start\":\"2023-07-25T08:14:01.000123+0000\"},\"pad\":\"",
        (unsigned long long)n, (unsigned long long)n);
    while (len < 895)
        buf[len++] = 'x';
    len += snprintf(buf + len, cap - (size_t)len, "\"}");
    return (size_t)len;
}

struct latency {
    uint64_t calls, max_ns, over_100us, over_1ms;
    uint64_t buckets[64]; /* log2 of ns */
};

static void timed_alert(struct output_redis *r, struct latency *l, const char *buf, size_t len)
{
    uint64_t t0 = now_ns();
    output_redis_alert(r, buf, len);
    uint64_t ns = now_ns() - t0;
    l->calls++;
    if (ns > l->max_ns) l->max_ns = ns;
    l->over_100us += ns > 100000;
    l->over_1ms += ns > 1000000;
    l->buckets[63 - __builtin_clzll(ns | 1)]++;
}

static uint64_t percentile_ns(const struct latency *l, double p)
{
    uint64_t want = (uint64_t)((double)l->calls * p), seen = 0;
    for (int i = 0; i < 64; i++) {
        seen += l->buckets[i];
        if (seen >= want) return 2ull << i; /* upper bound of the bucket */
    }
    return l->max_ns;
}

static void print_latency(const char *what, const struct latency *l)
{
    printf("%s: %llu calls, p50 <= %llu ns, p99.9 <= %llu ns, max %.1f us, >100us: %llu, "
           ">1ms: %llu\n",
           what, (unsigned long long)l->calls, (unsigned long long)percentile_ns(l, 0.5),
           (unsigned long long)percentile_ns(l, 0.999), (double)l->max_ns / 1000.0,
           (unsigned long long)l->over_100us, (unsigned long long)l->over_1ms);
}

static double process_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* used_cpu_user + used_cpu_sys of the server, from INFO cpu. */
static double redis_cpu_s(const char *url)
{
    int port = 6379;
    const char *p = strrchr(url, ':');
    if (p) port = atoi(p + 1);
    redisContext *c = redisConnect("127.0.0.1", port);
    redisReply *rep = c && !c->err ? redisCommand(c, "INFO cpu") : NULL;
    double user = 0, sys = 0;
    const char *u =
        rep && rep->type == REDIS_REPLY_STRING ? strstr(rep->str, "used_cpu_user:") : NULL;
    const char *s =
        rep && rep->type == REDIS_REPLY_STRING ? strstr(rep->str, "used_cpu_sys:") : NULL;
    if (u) user = atof(u + 14);
    if (s) sys = atof(s + 13);
    if (rep) freeReplyObject(rep);
    if (c) redisFree(c);
    return user + sys;
}

static int wait_delivered(struct output_redis *r, double max_s, double *took_s)
{
    uint64_t t0 = now_ns();
    struct output_redis_stats st;
    for (;;) {
        output_redis_get_stats(r, &st);
        if (st.alerts_spooled == 0 && st.alerts_sent + st.alerts_lost >= st.alerts_queued) break;
        if ((double)(now_ns() - t0) / 1e9 > max_s) return -1;
        struct timespec d = {0, 1000000};
        nanosleep(&d, NULL);
    }
    *took_s = (double)(now_ns() - t0) / 1e9;
    return 0;
}

/* Pushes as fast as the output keeps up: the soft cap only keeps the
 * backlog under the spool limit, so the rate measured is the delivery. */
static double throughput(struct output_redis *r, double seconds, uint64_t *n)
{
    char buf[2048];
    struct output_redis_stats st;
    struct latency l = {0};
    output_redis_get_stats(r, &st);
    uint64_t sent0 = st.alerts_sent, t0 = now_ns(), end = t0 + (uint64_t)(seconds * 1e9);
    while (now_ns() < end) {
        for (int i = 0; i < 256; i++, (*n)++)
            timed_alert(r, &l, buf, make_alert(buf, sizeof(buf), *n));
        output_redis_get_stats(r, &st);
        while (st.alerts_queued - st.alerts_sent > 20000 && now_ns() < end) {
            struct timespec d = {0, 50000};
            nanosleep(&d, NULL);
            output_redis_get_stats(r, &st);
        }
    }
    output_redis_get_stats(r, &st);
    double el = (double)(now_ns() - t0) / 1e9;
    print_latency("  alert() latency, Redis up", &l);
    return (double)(st.alerts_sent - sent0) / el;
}

static void stall(struct output_redis *r, pid_t redis_pid, uint64_t *n)
{
    char buf[2048];
    struct latency l = {0};
    const uint64_t rate = 50000, secs = 2, gap = 1000000000u / rate;
    if (kill(redis_pid, SIGSTOP) < 0) {
        perror("SIGSTOP redis-server");
        return;
    }
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < rate * secs; i++, (*n)++) {
        while (now_ns() < t0 + i * gap)
            continue; /* steady pace, no sleep jitter */
        timed_alert(r, &l, buf, make_alert(buf, sizeof(buf), *n));
    }
    struct output_redis_stats st;
    output_redis_get_stats(r, &st);
    kill(redis_pid, SIGCONT);
    print_latency("  alert() latency, Redis SIGSTOPped", &l);
    printf("  spooled while stopped: %llu alerts, lost: %llu\n",
           (unsigned long long)st.alerts_spooled, (unsigned long long)st.alerts_lost);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s URL REDIS_PID [SECONDS] [SPOOL_DIR]\n", argv[0]);
        return 2;
    }
    double seconds = argc > 3 ? atof(argv[3]) : 3.0;
    char spool[256];
    snprintf(spool, sizeof(spool), "%s", argc > 4 ? argv[4] : "/tmp/vigie-bench-spool");
    struct redis_options o = {
        .url = argv[1], .prefix = "vigie", .sensor = "bench", .maxlen = 100000, .spool_dir = spool};
    char err[256];
    struct output_redis *r = output_redis_create(&o, err, sizeof(err));
    if (!r) {
        fprintf(stderr, "bench_redis: %s\n", err);
        return 1;
    }
    uint64_t n = 0;
    double took;
    printf("throughput (%.0f s, ~900-byte alerts, MULTI/XADD/PUBLISH/EXEC via spool):\n", seconds);
    double cpu0 = process_cpu_s(), rcpu0 = redis_cpu_s(argv[1]);
    uint64_t n0 = n;
    double rate = throughput(r, seconds, &n);
    printf("  delivered: %.0f alerts/s (target >= 50000)\n", rate);
    if (wait_delivered(r, 60, &took) < 0) fprintf(stderr, "bench_redis: backlog not delivered\n");
    double per = 1e6 / (double)(n - n0);
    printf("  CPU per alert: %.2f us in this process (all threads, incl. the producer), %.2f us in "
           "redis-server\n",
           (process_cpu_s() - cpu0) * per, (redis_cpu_s(argv[1]) - rcpu0) * per);
    printf("stall (redis-server SIGSTOPped 2 s, 50000 alerts/s offered):\n");
    stall(r, (pid_t)atol(argv[2]), &n);
    int rc = wait_delivered(r, 60, &took);
    if (rc == 0) printf("  backlog delivered %.2f s after SIGCONT\n", took);
    struct output_redis_stats st;
    output_redis_get_stats(r, &st);
    printf("totals: queued %llu, sent %llu, lost %llu, reconnects %llu\n",
           (unsigned long long)st.alerts_queued, (unsigned long long)st.alerts_sent,
           (unsigned long long)st.alerts_lost, (unsigned long long)st.reconnects);
    output_redis_close(r, 5000);
    return rc == 0 && rate >= 50000 && st.alerts_lost == 0 ? 0 : 1;
}

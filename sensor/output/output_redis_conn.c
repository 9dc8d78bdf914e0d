/* The output thread: owns the hiredis connection, moves alerts and
 * incident records from the ring to the spool and from the spool to Redis,
 * streams flows and stats. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output_redis_int.h"

#define CONNECT_TIMEOUT_MS 1000
#define IO_TIMEOUT_MS 2000 /* a stalled Redis is dropped and fenced after this */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define IDLE_SLEEP_US 1000
#define RESET_BYTES (1u << 20) /* empty a delivered spool at least this often */

static void sleep_us(uint64_t us)
{
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static struct timeval tv_ms(uint64_t ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    return tv;
}

/* While stopping, no wait may run past the close deadline. */
static uint64_t bounded_ms(struct output_redis *r, uint64_t ms)
{
    if (!atomic_load(&r->stop)) return ms;
    int64_t left = (atomic_load(&r->deadline_us) - (int64_t)or_now_us()) / 1000;
    if (left < 10) left = 10;
    return (uint64_t)left < ms ? (uint64_t)left : ms;
}

/* Counted every time, printed once per distinct problem so a long outage
 * does not flood stderr with one line per retry. */
static void report(struct output_redis *r, const char *fmt, ...)
{
    char msg[sizeof(r->last_error)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    atomic_fetch_add(&r->errors, 1);
    if (strcmp(msg, r->last_error) == 0) return;
    snprintf(r->last_error, sizeof(r->last_error), "%s", msg);
    fprintf(stderr, "vigie: redis %s: %s\n", r->where, msg);
}

static void drop_flows(struct output_redis *r)
{
    size_t len;
    if (!r->flows) return;
    while (or_ring_peek(&r->flowq, &len, NULL)) {
        or_ring_pop(&r->flowq);
        atomic_fetch_add_explicit(&r->flows_dropped, 1, memory_order_relaxed);
    }
}

/* in_flight: a transaction may sit unread in the server's socket buffer
 * (timeout on a stalled server); the next connection kills that client
 * before reading the delivered mark, so it cannot run later and duplicate. */
static void disconnect(struct output_redis *r, int in_flight)
{
    if (in_flight && r->client_id > 0 && r->nstale < OR_MAX_STALE)
        r->stale[r->nstale++] = r->client_id;
    pthread_mutex_lock(&r->fd_mu);
    if (r->c) redisFree(r->c);
    r->c = NULL;
    r->live_fd = -1;
    pthread_mutex_unlock(&r->fd_mu);
    r->client_id = 0;
    if (atomic_exchange(&r->connected, 0)) r->down_since_us = or_now_us();
    r->next_attempt_us = or_now_us() + r->backoff_ms * 1000;
    r->backoff_ms = r->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : r->backoff_ms * 2;
    drop_flows(r);
}

static void fail_io(struct output_redis *r, int in_flight)
{
    /* Past the close deadline the socket was shut down on purpose. */
    if (!atomic_load(&r->stop) || (int64_t)or_now_us() < atomic_load(&r->deadline_us))
        report(r, "connection lost: %s", r->c && r->c->errstr[0] ? r->c->errstr : "I/O error");
    disconnect(r, in_flight);
}

static redisReply *get_reply(struct output_redis *r)
{
    void *reply = NULL;
    if (redisGetReply(r->c, &reply) != REDIS_OK) return NULL;
    return reply;
}

static void parse_run_id(struct output_redis *r, const redisReply *info)
{
    const char *p = info->type == REDIS_REPLY_STRING ? strstr(info->str, "run_id:") : NULL;
    char id[sizeof(r->run_id)] = "";
    if (p) sscanf(p + 7, "%40[0-9a-f]", id);
    /* Another server process: the clients of the old one are gone. */
    if (!id[0] || strcmp(id, r->run_id) != 0) r->nstale = 0;
    snprintf(r->run_id, sizeof(r->run_id), "%s", id);
}

/* AUTH, SELECT, CLIENT ID, INFO server, pipelined. */
static int handshake(struct output_redis *r)
{
    const struct redis_url *u = &r->url;
    if (u->pass[0] && u->user[0])
        redisAppendCommand(r->c, "AUTH %s %s", u->user, u->pass);
    else if (u->pass[0])
        redisAppendCommand(r->c, "AUTH %s", u->pass);
    if (u->db > 0) redisAppendCommand(r->c, "SELECT %d", u->db);
    redisAppendCommand(r->c, "CLIENT ID");
    redisAppendCommand(r->c, "INFO server");
    int n = (u->pass[0] ? 1 : 0) + (u->db > 0 ? 1 : 0), rc = 0;
    for (int i = 0; i < n + 2; i++) {
        redisReply *rep = get_reply(r);
        if (!rep) return -1;
        if (i < n && rep->type == REDIS_REPLY_ERROR && rc == 0) {
            report(r, "%s failed: %s", u->pass[0] && i == 0 ? "authentication" : "SELECT",
                   rep->str);
            rc = -2;
        } else if (i == n && rep->type == REDIS_REPLY_INTEGER) {
            r->client_id = rep->integer;
        } else if (i == n + 1) {
            parse_run_id(r, rep);
        }
        freeReplyObject(rep);
    }
    return rc;
}

/* Fences off stale connections, then reads where delivery stopped. */
static int read_delivered(struct output_redis *r, uint64_t *delivered)
{
    for (int i = 0; i < r->nstale; i++)
        redisAppendCommand(r->c, "CLIENT KILL ID %lld", r->stale[i]);
    redisAppendCommand(r->c, "GET %s", r->key_delivered);
    int rc = 0;
    for (int i = 0; i <= r->nstale; i++) {
        redisReply *rep = get_reply(r);
        if (!rep) return -1;
        if (i == r->nstale) {
            if (rep->type == REDIS_REPLY_STRING)
                *delivered = strtoull(rep->str, NULL, 10);
            else if (rep->type == REDIS_REPLY_NIL)
                *delivered = 0;
            else {
                report(r, "GET %s failed: %s", r->key_delivered,
                       rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
                rc = -2;
            }
        }
        freeReplyObject(rep);
    }
    r->nstale = 0;
    return rc;
}

static void connected_now(struct output_redis *r, uint64_t delivered)
{
    uint64_t before[SPOOL_KINDS], after[SPOOL_KINDS];
    pthread_mutex_lock(&r->spool_mu);
    spool_flush(r->spool);
    for (int k = 0; k < SPOOL_KINDS; k++)
        before[k] = spool_pending_kind(r->spool, (enum spool_kind)k);
    if (spool_rewind(r->spool, delivered) < 0)
        fprintf(stderr, "vigie: spool %s: read error\n", spool_path(r->spool));
    for (int k = 0; k < SPOOL_KINDS; k++)
        after[k] = spool_pending_kind(r->spool, (enum spool_kind)k);
    or_publish_locked(r);
    /* A transaction whose reply was lost did run: count it as sent. */
    for (int k = 0; k < SPOOL_KINDS; k++)
        if (after[k] < before[k]) atomic_fetch_add(&r->sent[k], before[k] - after[k]);
    pthread_mutex_unlock(&r->spool_mu);
    r->down_since_us = 0;
    if (r->ever_connected) atomic_fetch_add(&r->reconnects, 1);
    r->ever_connected = 1;
    r->backoff_ms = BACKOFF_MIN_MS;
    atomic_store(&r->connected, 1);
    if (r->last_error[0]) fprintf(stderr, "vigie: redis %s: connected\n", r->where);
    r->last_error[0] = '\0';
}

static int or_connect(struct output_redis *r)
{
    struct timeval ctv = tv_ms(bounded_ms(r, CONNECT_TIMEOUT_MS));
    redisContext *c = r->url.path[0] ? redisConnectUnixWithTimeout(r->url.path, ctv)
                                     : redisConnectWithTimeout(r->url.host, r->url.port, ctv);
    pthread_mutex_lock(&r->fd_mu);
    r->c = c;
    r->live_fd = c && !c->err ? c->fd : -1;
    pthread_mutex_unlock(&r->fd_mu);
    if (!r->c || r->c->err) {
        report(r, "cannot connect: %s", r->c ? r->c->errstr : "out of memory");
        disconnect(r, 0);
        return -1;
    }
    redisSetTimeout(r->c, tv_ms(bounded_ms(r, IO_TIMEOUT_MS)));
    uint64_t delivered = 0;
    int rc = handshake(r);
    if (rc == 0) rc = read_delivered(r, &delivered);
    if (rc < 0) {
        if (rc == -1)
            fail_io(r, 0);
        else
            disconnect(r, 0);
        return -1;
    }
    connected_now(r, delivered);
    return 0;
}

/* 1 = the transaction ran (the mark moved), 0 = it was refused, -1 = I/O.
 * failed[kind]: entries the server refused inside a transaction that ran. */
static int read_txn_replies(struct output_redis *r, const struct spool_record *recs, int ncmds,
                            uint64_t *failed)
{
    redisReply *rep;
    for (int i = 0; i < ncmds + 1; i++) { /* MULTI, QUEUED... */
        if (!(rep = get_reply(r))) return -1;
        freeReplyObject(rep);
    }
    if (!(rep = get_reply(r))) return -1;
    int ran = rep->type == REDIS_REPLY_ARRAY && rep->elements == (size_t)ncmds;
    if (!ran) {
        report(r, "transaction refused: %s",
               rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected EXEC reply");
    } else {
        for (size_t i = 0; i < rep->elements; i++) {
            const redisReply *e = rep->element[i];
            if (e->type != REDIS_REPLY_ERROR || r->txn_rec[i] < 0) continue;
            /* E.g. WRONGTYPE (a key left from another mode). The mark moved
             * with the batch, so resending would duplicate the rest: count
             * the entry as lost. */
            enum spool_kind k = recs[r->txn_rec[i]].kind;
            report(r, "%s %s failed: %s", or_record_cmd(r), r->key_kind[k], e->str);
            failed[k]++;
        }
    }
    freeReplyObject(rep);
    return ran;
}

static void after_delivery(struct output_redis *r, int n, const uint64_t *failed)
{
    uint64_t sent[SPOOL_KINDS] = {0};
    for (int i = 0; i < n; i++)
        sent[r->recs[i].kind]++;
    for (int k = 0; k < SPOOL_KINDS; k++)
        atomic_fetch_add(&r->refused[k], failed[k]);
    pthread_mutex_lock(&r->spool_mu);
    spool_consume(r->spool, r->recs, (size_t)n);
    size_t len;
    /* Emptying a drained spool is a rename: at most once a megabyte while
     * records keep coming. */
    if (spool_pending(r->spool) > 0 || spool_bytes(r->spool) >= RESET_BYTES ||
        !or_ring_peek(&r->records, &len, NULL))
        spool_trim(r->spool);
    or_publish_locked(r);
    /* Under the lock: output_redis_drain() sees no pending record only once
     * the counters say where they went. */
    for (int k = 0; k < SPOOL_KINDS; k++)
        atomic_fetch_add(&r->sent[k], sent[k] - failed[k]);
    pthread_mutex_unlock(&r->spool_mu);
}

/* Sends the next batch from the spool. Returns records sent, -1 if the
 * connection is gone. */
static int send_records(struct output_redis *r)
{
    pthread_mutex_lock(&r->spool_mu);
    int n = spool_peek(r->spool, r->recs, OR_BATCH);
    int ncmds = n > 0 ? or_build_record_txn(r, r->recs, n) : 0;
    pthread_mutex_unlock(&r->spool_mu);
    if (n <= 0 || ncmds < 0) return 0;
    uint64_t failed[SPOOL_KINDS] = {0};
    int ran = redisAppendFormattedCommand(r->c, r->cmd, r->cmd_len) == REDIS_OK
                  ? read_txn_replies(r, r->recs, ncmds, failed)
                  : -1;
    if (ran < 0) {
        fail_io(r, 1);
        return -1;
    }
    if (!ran) { /* e.g. OOM or NOPERM: retry after a backoff */
        disconnect(r, 0);
        return -1;
    }
    after_delivery(r, n, failed);
    return n;
}

/* Pipelines up to a batch of flows; no transaction, they are not spooled. */
static int send_flows(struct output_redis *r)
{
    const char *p;
    size_t len;
    int n = 0;
    r->cmd_len = 0;
    while (n < OR_BATCH && (p = or_ring_peek(&r->flowq, &len, NULL))) {
        if (or_cmd_reserve(r, len + 2 * strlen(r->key_flows) + strlen(r->field_flows) + 224) < 0)
            break;
        or_put_record(r, r->key_flows, r->field_flows, p, len, 0);
        or_ring_pop(&r->flowq);
        n++;
    }
    if (n == 0) return 0;
    int trims = or_put_ltrim(r, r->key_flows);
    if (redisAppendFormattedCommand(r->c, r->cmd, r->cmd_len) != REDIS_OK) {
        atomic_fetch_add(&r->flows_dropped, (uint64_t)n);
        fail_io(r, 0);
        return -1;
    }
    uint64_t ok = 0;
    for (int i = 0; i < n; i++) {
        redisReply *rep = get_reply(r);
        if (!rep) {
            atomic_fetch_add(&r->flows_dropped, (uint64_t)(n - i));
            fail_io(r, 0);
            return -1;
        }
        if (rep->type == REDIS_REPLY_ERROR) {
            report(r, "%s %s failed: %s", or_record_cmd(r), r->key_flows, rep->str);
            atomic_fetch_add(&r->flows_dropped, 1);
        } else
            ok++;
        freeReplyObject(rep);
    }
    atomic_fetch_add(&r->flows_sent, ok);
    for (int i = 0; i < trims; i++) {
        redisReply *rep = get_reply(r);
        if (!rep) {
            fail_io(r, 0);
            return -1;
        }
        freeReplyObject(rep);
    }
    return n;
}

/* The latest snapshot: HSET, heartbeat SET, stats event, pipelined. */
static int send_stats(struct output_redis *r)
{
    pthread_mutex_lock(&r->stats_mu);
    int fresh = r->stats_new, ncmds = r->stats_ncmds, event = r->stats_has_event;
    r->cmd_len = 0;
    if (fresh && or_cmd_reserve(r, r->stats_len) == 0) {
        memcpy(r->cmd, r->stats_cmd, r->stats_len);
        r->cmd_len = r->stats_len;
    }
    r->stats_new = 0;
    pthread_mutex_unlock(&r->stats_mu);
    if (r->cmd_len == 0) return 0;
    if (redisAppendFormattedCommand(r->c, r->cmd, r->cmd_len) != REDIS_OK) {
        if (event) atomic_fetch_add(&r->events_dropped, 1);
        fail_io(r, 0);
        return -1;
    }
    int bad = 0;
    for (int i = 0; i < ncmds; i++) {
        redisReply *rep = get_reply(r);
        if (!rep) {
            if (event) atomic_fetch_add(&r->events_dropped, 1);
            fail_io(r, 0);
            return -1;
        }
        if (rep->type == REDIS_REPLY_ERROR) {
            report(r, "stats to %s failed: %s", r->key_stats, rep->str);
            bad = 1;
        }
        freeReplyObject(rep);
    }
    if (event) atomic_fetch_add(bad ? &r->events_dropped : &r->events_sent, 1);
    return 1;
}

/* ok or degraded, said once per change: the spool drops or cannot be
 * written or compacted, or Redis has been away too long. Output thread. */
static void update_health(struct output_redis *r, const char *spool_why, uint64_t now)
{
    char why[sizeof(r->health_reason)] = "";
    if (spool_why)
        snprintf(why, sizeof(why), "%s", spool_why);
    else if (!r->c && now > r->down_since_us && now - r->down_since_us >= r->down_degraded_us)
        snprintf(why, sizeof(why), "Redis unreachable for more than %llu s",
                 (unsigned long long)(r->down_degraded_us / 1000000u));
    /* This thread is the only writer: reading without the lock is safe. */
    if (!strcmp(why, r->health_reason)) return;
    int was = atomic_load(&r->degraded);
    pthread_mutex_lock(&r->stats_mu);
    snprintf(r->health_reason, sizeof(r->health_reason), "%s", why);
    pthread_mutex_unlock(&r->stats_mu);
    atomic_store(&r->degraded, why[0] != '\0');
    if (why[0])
        fprintf(stderr, "vigie: redis: degraded: %s\n", why);
    else if (was)
        fprintf(stderr, "vigie: redis: ok again\n");
}

static int stats_waiting(struct output_redis *r)
{
    pthread_mutex_lock(&r->stats_mu);
    int fresh = r->stats_new;
    pthread_mutex_unlock(&r->stats_mu);
    return fresh;
}

/* One pass while connected; returns 1 if anything was sent. */
static int connected_pass(struct output_redis *r)
{
    if (atomic_load(&r->stop)) redisSetTimeout(r->c, tv_ms(bounded_ms(r, IO_TIMEOUT_MS)));
    int a = send_records(r);
    if (a < 0) return 1;
    int f = r->flows ? send_flows(r) : 0;
    if (f < 0) return 1;
    int s = send_stats(r);
    if (s < 0) return 1;
    return a + f + s > 0;
}

void *or_thread_main(void *arg)
{
    struct output_redis *r = arg;
    size_t len;
    or_connect(r);
    atomic_store(&r->first_done, 1);
    for (;;) {
        int stopping = atomic_load(&r->stop);
        uint64_t now = or_now_us();
        if (stopping && (int64_t)now >= atomic_load(&r->deadline_us)) break;
        pthread_mutex_lock(&r->spool_mu);
        or_drain_locked(r);
        uint64_t pending = spool_pending(r->spool);
        const char *spool_why = spool_trouble(r->spool);
        pthread_mutex_unlock(&r->spool_mu);
        update_health(r, spool_why, now);
        int flows_waiting = r->flows && or_ring_peek(&r->flowq, &len, NULL);
        if (stopping && !pending && !flows_waiting && !stats_waiting(r)) break;
        if (!r->c) {
            drop_flows(r);
            if (now >= r->next_attempt_us)
                or_connect(r);
            else
                sleep_us(IDLE_SLEEP_US);
            continue;
        }
        if (!connected_pass(r)) sleep_us(IDLE_SLEEP_US);
    }
    pthread_mutex_lock(&r->spool_mu);
    or_drain_locked(r);
    pthread_mutex_unlock(&r->spool_mu);
    return NULL;
}

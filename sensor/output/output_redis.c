#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/socket.h>

#include "output_redis_int.h"

#define RECORD_RING_BYTES (8u << 20) /* ~9000 alerts of 900 bytes */
#define FLOW_RING_BYTES (4u << 20)
#define REC_HDR 8u          /* length, tag; keeps records 8-aligned */
#define REC_WRAP UINT32_MAX /* header marking the unused end of the buffer */
#define FIRST_CONNECT_WAIT_MS 1500
#define SYNC_INTERVAL_US 1000000
#define SPOOLER_IDLE_MS 5 /* the ring takes ~90 ms of a 100,000/s storm */

static uint64_t align8(uint64_t n)
{
    return (n + 7) & ~(uint64_t)7;
}

uint64_t or_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int or_ring_init(struct or_ring *q, size_t cap)
{
    memset(q, 0, sizeof(*q));
    q->buf = malloc(cap);
    q->cap = cap;
    return q->buf ? 0 : -1;
}

void or_ring_free(struct or_ring *q)
{
    free(q->buf);
    q->buf = NULL;
}

/* A record must fit twice over so a wrap never needs more than the ring. */
size_t or_ring_max_record(const struct or_ring *q)
{
    return q->cap / 4 - REC_HDR;
}

int or_ring_push(struct or_ring *q, const char *data, size_t len, uint32_t tag)
{
    if (len > or_ring_max_record(q)) return -1;
    uint64_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
    uint64_t need = REC_HDR + align8(len);
    size_t pos = (size_t)(head & (q->cap - 1));
    uint64_t contig = q->cap - pos;
    uint64_t total = need <= contig ? need : contig + need;
    if (head + total - q->tail_cache > q->cap) {
        q->tail_cache = atomic_load_explicit(&q->tail, memory_order_acquire);
        if (head + total - q->tail_cache > q->cap) return -1;
    }
    if (need > contig) {
        *(uint32_t *)(q->buf + pos) = REC_WRAP;
        head += contig;
        pos = 0;
    }
    *(uint32_t *)(q->buf + pos) = (uint32_t)len;
    *(uint32_t *)(q->buf + pos + 4) = tag;
    memcpy(q->buf + pos + REC_HDR, data, len);
    atomic_store_explicit(&q->head, head + need, memory_order_release);
    return 0;
}

const char *or_ring_peek(struct or_ring *q, size_t *len, uint32_t *tag)
{
    uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
    for (;;) {
        if (tail == q->head_cache) {
            q->head_cache = atomic_load_explicit(&q->head, memory_order_acquire);
            if (tail == q->head_cache) return NULL;
        }
        size_t pos = (size_t)(tail & (q->cap - 1));
        uint32_t n = *(const uint32_t *)(q->buf + pos);
        if (n != REC_WRAP) {
            *len = n;
            if (tag) *tag = *(const uint32_t *)(q->buf + pos + 4);
            return q->buf + pos + REC_HDR;
        }
        tail += q->cap - pos;
        atomic_store_explicit(&q->tail, tail, memory_order_release);
    }
}

void or_ring_pop(struct or_ring *q)
{
    uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
    uint32_t n = *(const uint32_t *)(q->buf + (tail & (q->cap - 1)));
    atomic_store_explicit(&q->tail, tail + REC_HDR + align8(n), memory_order_release);
}

void or_publish_locked(struct output_redis *r)
{
    for (int k = 0; k < SPOOL_KINDS; k++) {
        atomic_store_explicit(&r->spooled[k], spool_pending_kind(r->spool, (enum spool_kind)k),
                              memory_order_relaxed);
        atomic_store_explicit(&r->lost[k],
                              spool_lost_kind(r->spool, (enum spool_kind)k) +
                                  atomic_load(&r->refused[k]),
                              memory_order_relaxed);
    }
    atomic_store_explicit(&r->spool_errors, spool_errors(r->spool), memory_order_relaxed);
}

size_t or_drain_locked(struct output_redis *r)
{
    const char *p;
    size_t len, moved = 0;
    uint32_t kind;
    while ((p = or_ring_peek(&r->records, &len, &kind))) {
        spool_add(r->spool, (enum spool_kind)kind, p, len);
        or_ring_pop(&r->records);
        moved++;
    }
    if (moved) spool_flush(r->spool);
    or_publish_locked(r);
    return moved;
}

/* Ring full (the output thread is stuck on disk) or a huge record: append
 * ourselves, after what is queued, so order holds and nothing is lost. */
static int record_to_spool(struct output_redis *r, enum spool_kind kind, const char *json,
                           size_t len)
{
    pthread_mutex_lock(&r->spool_mu);
    or_drain_locked(r);
    uint64_t seq = spool_add(r->spool, kind, json, len);
    int rc = seq && spool_flush(r->spool) == 0 ? 0 : -1;
    or_publish_locked(r);
    pthread_mutex_unlock(&r->spool_mu);
    return rc;
}

/* Alerts and incident records share the ring and then the spool: one
 * sequence, so Redis gets them in the order the capture thread made them. */
static int queue_record(struct output_redis *r, enum spool_kind kind, const char *json, size_t len)
{
    if (len == 0) return -1; /* not JSON; an empty spool record would be unreadable */
    uint64_t q = atomic_load_explicit(&r->queued[kind], memory_order_relaxed);
    atomic_store_explicit(&r->queued[kind], q + 1, memory_order_relaxed);
    if (or_ring_push(&r->records, json, len, kind) == 0) return 0;
    return record_to_spool(r, kind, json, len);
}

int output_redis_alert(struct output_redis *r, const char *json, size_t len)
{
    return queue_record(r, SPOOL_ALERT, json, len);
}

int output_redis_incident(struct output_redis *r, const char *json, size_t len)
{
    return queue_record(r, SPOOL_INCIDENT, json, len);
}

int output_redis_flow(struct output_redis *r, const char *json, size_t len)
{
    if (!r->flows || !atomic_load_explicit(&r->connected, memory_order_relaxed) ||
        or_ring_push(&r->flowq, json, len, 0) < 0) {
        atomic_fetch_add_explicit(&r->flows_dropped, 1, memory_order_relaxed);
        return -1;
    }
    return 0;
}

static void sleep_ms(long ms);

static void resp_arg(char **w, const char *s, size_t n)
{
    *w += sprintf(*w, "$%zu\r\n", n);
    memcpy(*w, s, n);
    *w += n;
    memcpy(*w, "\r\n", 2);
    *w += 2;
}

static void resp_str(char **w, const char *s)
{
    resp_arg(w, s, strlen(s));
}

/* The stats event in the output's mode; returns the commands written. */
static int resp_event(struct output_redis *r, char **w, const char *json, size_t len)
{
    const char *key = r->key_events;
    if (r->mode == REDIS_MODE_CHANNEL) {
        *w += sprintf(*w, "*3\r\n");
        resp_str(w, "PUBLISH");
        resp_str(w, key);
        resp_arg(w, json, len);
        return 1;
    }
    if (r->mode == REDIS_MODE_LIST) {
        *w += sprintf(*w, "*3\r\n");
        resp_str(w, "RPUSH");
        resp_str(w, key);
        resp_arg(w, json, len);
        if (!r->trim_from[0]) return 1;
        *w += sprintf(*w, "*4\r\n");
        resp_str(w, "LTRIM");
        resp_str(w, key);
        resp_str(w, r->trim_from);
        resp_str(w, "-1");
        return 2;
    }
    *w += sprintf(*w, "*%d\r\n", r->maxlen[0] ? 8 : 5);
    resp_str(w, "XADD");
    resp_str(w, key);
    if (r->maxlen[0]) {
        resp_str(w, "MAXLEN");
        resp_str(w, "~");
        resp_str(w, r->maxlen);
    }
    resp_str(w, "*");
    resp_str(w, r->field_events);
    resp_arg(w, json, len);
    return 1;
}

void output_redis_snapshot(struct output_redis *r, const char *const *fields,
                           const char *const *values, size_t n, const char *heartbeat,
                           const char *event, size_t event_len)
{
    size_t need = 512 + strlen(r->key_stats) + strlen(r->key_heartbeat) +
                  2 * strlen(r->key_events) + event_len + strlen(r->field_events);
    for (size_t i = 0; i < n; i++)
        need += strlen(fields[i]) + strlen(values[i]) + 32;
    if (heartbeat) need += strlen(heartbeat);
    pthread_mutex_lock(&r->stats_mu);
    if (need > r->stats_cap) {
        char *nb = realloc(r->stats_cmd, need);
        if (!nb) {
            pthread_mutex_unlock(&r->stats_mu);
            return;
        }
        r->stats_cmd = nb;
        r->stats_cap = need;
    }
    /* One still waiting is replaced: the counters only grow. */
    char *w = r->stats_cmd;
    int ncmds = 0;
    if (n) {
        w += sprintf(w, "*%zu\r\n", 2 + 2 * n);
        resp_str(&w, "HSET");
        resp_str(&w, r->key_stats);
        for (size_t i = 0; i < n; i++) {
            resp_str(&w, fields[i]);
            resp_str(&w, values[i]);
        }
        ncmds++;
    }
    if (heartbeat) {
        w += sprintf(w, "*5\r\n");
        resp_str(&w, "SET");
        resp_str(&w, r->key_heartbeat);
        resp_str(&w, heartbeat);
        resp_str(&w, "EX");
        resp_str(&w, r->ttl);
        ncmds++;
    }
    r->stats_has_event = event && event_len;
    if (r->stats_has_event) ncmds += resp_event(r, &w, event, event_len);
    r->stats_len = (size_t)(w - r->stats_cmd);
    r->stats_ncmds = ncmds;
    r->stats_new = ncmds > 0;
    pthread_mutex_unlock(&r->stats_mu);
}

void output_redis_stats(struct output_redis *r, const char *const *fields, const uint64_t *values,
                        size_t n)
{
    if (n == 0) return;
    char(*num)[24] = malloc(n * sizeof(*num));
    const char **vals = malloc(n * sizeof(*vals));
    if (num && vals) {
        for (size_t i = 0; i < n; i++) {
            snprintf(num[i], sizeof(num[i]), "%llu", (unsigned long long)values[i]);
            vals[i] = num[i];
        }
        output_redis_snapshot(r, fields, vals, n, NULL, NULL, 0);
    }
    free(num);
    free(vals);
}

int output_redis_drain(struct output_redis *r, int timeout_ms)
{
    uint64_t end = or_now_us() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000;
    for (;;) {
        pthread_mutex_lock(&r->spool_mu);
        or_drain_locked(r);
        uint64_t pending = spool_pending(r->spool);
        pthread_mutex_unlock(&r->spool_mu);
        if (!pending) return 0;
        if (or_now_us() >= end) return -1;
        sleep_ms(2);
    }
}

void output_redis_get_stats(struct output_redis *r, struct output_redis_stats *st)
{
    st->alerts_queued = atomic_load(&r->queued[SPOOL_ALERT]);
    st->alerts_sent = atomic_load(&r->sent[SPOOL_ALERT]);
    st->alerts_spooled = atomic_load(&r->spooled[SPOOL_ALERT]);
    st->alerts_lost = atomic_load(&r->lost[SPOOL_ALERT]);
    st->incidents_queued = atomic_load(&r->queued[SPOOL_INCIDENT]);
    st->incidents_sent = atomic_load(&r->sent[SPOOL_INCIDENT]);
    st->incidents_spooled = atomic_load(&r->spooled[SPOOL_INCIDENT]);
    st->incidents_lost = atomic_load(&r->lost[SPOOL_INCIDENT]);
    st->spool_errors = atomic_load(&r->spool_errors);
    st->flows_sent = atomic_load(&r->flows_sent);
    st->flows_dropped = atomic_load(&r->flows_dropped);
    st->reconnects = atomic_load(&r->reconnects);
    st->connected = atomic_load(&r->connected);
    st->errors = atomic_load(&r->errors);
    st->stats_events_sent = atomic_load(&r->events_sent);
    st->stats_events_dropped = atomic_load(&r->events_dropped);
    pthread_mutex_lock(&r->stats_mu);
    st->degraded = atomic_load(&r->degraded);
    snprintf(st->health_reason, sizeof(st->health_reason), "%s", r->health_reason);
    pthread_mutex_unlock(&r->stats_mu);
}

static char *join(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

static void destroy(struct output_redis *r)
{
    if (r->c) redisFree(r->c);
    if (r->spool) spool_close(r->spool);
    or_ring_free(&r->records);
    or_ring_free(&r->flowq);
    pthread_mutex_destroy(&r->spool_mu);
    pthread_mutex_destroy(&r->stats_mu);
    pthread_mutex_destroy(&r->fd_mu);
    for (int k = 0; k < SPOOL_KINDS; k++)
        free(r->key_kind[k]);
    for (int k = 0; k < SPOOL_KINDS; k++)
        free(r->field_kind[k]);
    free(r->key_flows);
    free(r->key_delivered);
    free(r->key_stats);
    free(r->key_events);
    free(r->key_heartbeat);
    free(r->field_flows);
    free(r->field_events);
    free(r->stats_cmd);
    free(r->cmd);
    free(r);
}

static int init_names(struct output_redis *r, const struct redis_options *o)
{
    const char *prefix = o->prefix && *o->prefix ? o->prefix : "vigie";
    const char *one = o->key && *o->key ? o->key : NULL;
    const char *field = o->stream_field && *o->stream_field ? o->stream_field : NULL;
    char tail[300];
    snprintf(tail, sizeof(tail), ":%s", o->sensor);
    r->key_kind[SPOOL_ALERT] = one ? strdup(one) : join(prefix, ":alerts", "");
    r->key_kind[SPOOL_INCIDENT] = one ? strdup(one) : join(prefix, ":incidents", "");
    r->key_flows = one ? strdup(one) : join(prefix, ":flows", "");
    r->key_events = one ? strdup(one) : join(prefix, ":stats", "");
    r->key_delivered = join(prefix, ":delivered", tail);
    r->key_stats = join(prefix, ":stats", tail);
    r->key_heartbeat = join(prefix, ":heartbeat", tail);
    for (int k = 0; k < SPOOL_KINDS; k++)
        r->field_kind[k] = strdup(field ? field : "alert");
    r->field_flows = strdup(field ? field : "flow");
    r->field_events = strdup(field ? field : "stats");
    r->mode = o->mode;
    if (o->maxlen) snprintf(r->maxlen, sizeof(r->maxlen), "%u", (unsigned)o->maxlen);
    if (o->maxlen && o->mode == REDIS_MODE_LIST)
        snprintf(r->trim_from, sizeof(r->trim_from), "-%u", (unsigned)o->maxlen);
    snprintf(r->ttl, sizeof(r->ttl), "%u", o->heartbeat_ttl_s ? o->heartbeat_ttl_s : 30);
    r->down_degraded_us = (uint64_t)(o->down_degraded_s ? o->down_degraded_s : 30) * 1000000u;
    if (r->url.path[0])
        snprintf(r->where, sizeof(r->where), "%s", r->url.path);
    else if (strchr(r->url.host, ':'))
        snprintf(r->where, sizeof(r->where), "[%s]:%d", r->url.host, r->url.port);
    else
        snprintf(r->where, sizeof(r->where), "%s:%d", r->url.host, r->url.port);
    for (int k = 0; k < SPOOL_KINDS; k++)
        if (!r->key_kind[k] || !r->field_kind[k]) return -1;
    return r->key_flows && r->key_events && r->key_delivered && r->key_stats && r->key_heartbeat &&
                   r->field_flows && r->field_events
               ? 0
               : -1;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000};
    nanosleep(&ts, NULL);
}

/* Keeps the record ring empty while the output thread waits on the
 * network (a stalled or slow Redis), so the capture thread only ever
 * writes the spool itself if the disk stalls. */
static void *spooler_main(void *arg)
{
    struct output_redis *r = arg;
    uint64_t last_sync = 0;
    while (!atomic_load(&r->spooler_stop)) {
        pthread_mutex_lock(&r->spool_mu);
        size_t moved = or_drain_locked(r);
        /* While Redis is away records sit on disk: bound what a power
         * loss could take. */
        uint64_t now = or_now_us();
        if (!atomic_load(&r->connected) && spool_pending(r->spool) > 0 &&
            now - last_sync >= SYNC_INTERVAL_US) {
            spool_sync(r->spool);
            last_sync = now;
        }
        pthread_mutex_unlock(&r->spool_mu);
        if (!moved) sleep_ms(SPOOLER_IDLE_MS);
    }
    return NULL;
}

/* Our threads take no asynchronous signal: SIGPIPE from a dead connection
 * becomes EPIPE, and SIGINT/SIGHUP stay with the thread that handles them. */
static int start_threads(struct output_redis *r)
{
    sigset_t all, old;
    sigfillset(&all);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGFPE);
    sigdelset(&all, SIGILL);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&r->thread, NULL, or_thread_main, r);
    r->thread_started = rc == 0;
    if (rc == 0) {
        rc = pthread_create(&r->spooler, NULL, spooler_main, r);
        r->spooler_started = rc == 0;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

/* The output thread bounds its own waits by the deadline, except one
 * already blocked on a stalled server: shut its socket down then. */
static void join_by_deadline(struct output_redis *r, int64_t deadline_us)
{
    struct timespec now, until;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t wait_us = deadline_us + 100000 - (int64_t)or_now_us();
    if (wait_us < 0) wait_us = 0;
    until.tv_sec = now.tv_sec + (time_t)(wait_us / 1000000);
    until.tv_nsec = now.tv_nsec + (long)(wait_us % 1000000) * 1000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    if (pthread_timedjoin_np(r->thread, NULL, &until) == 0) return;
    pthread_mutex_lock(&r->fd_mu);
    if (r->live_fd >= 0) shutdown(r->live_fd, SHUT_RDWR);
    pthread_mutex_unlock(&r->fd_mu);
    pthread_join(r->thread, NULL);
}

static void stop_threads(struct output_redis *r, int timeout_ms)
{
    if (r->thread_started) {
        int64_t deadline = (int64_t)or_now_us() + (int64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000;
        atomic_store(&r->deadline_us, deadline);
        atomic_store(&r->stop, 1);
        join_by_deadline(r, deadline);
        r->thread_started = 0;
    }
    if (r->spooler_started) {
        atomic_store(&r->spooler_stop, 1);
        pthread_join(r->spooler, NULL);
        r->spooler_started = 0;
    }
}

struct output_redis *output_redis_create(const struct redis_options *o, char *err, size_t errlen)
{
    if (!o->sensor || !*o->sensor || !o->spool_dir || !*o->spool_dir) {
        snprintf(err, errlen, "redis output: sensor name and spool_dir are required");
        return NULL;
    }
    struct output_redis *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "redis output: out of memory");
        return NULL;
    }
    pthread_mutex_init(&r->spool_mu, NULL);
    pthread_mutex_init(&r->stats_mu, NULL);
    pthread_mutex_init(&r->fd_mu, NULL);
    r->live_fd = -1;
    if (redis_url_parse(o->url ? o->url : "redis://127.0.0.1:6379", &r->url, err, errlen) < 0)
        goto fail;
    if (init_names(r, o) < 0 || or_ring_init(&r->records, RECORD_RING_BYTES) < 0 ||
        (o->flows && or_ring_init(&r->flowq, FLOW_RING_BYTES) < 0)) {
        snprintf(err, errlen, "redis output: out of memory");
        goto fail;
    }
    r->flows = o->flows;
    if (!(r->spool = spool_open(o->spool_dir, o->sensor, o->spool_max_bytes, err, errlen)) ||
        (o->owner_set && spool_chown(r->spool, o->owner_uid, o->owner_gid, err, errlen) != 0))
        goto fail;
    or_publish_locked(r); /* no thread yet */
    r->backoff_ms = 100;
    r->down_since_us = or_now_us();
    if (start_threads(r) != 0) {
        snprintf(err, errlen, "redis output: cannot start the output threads");
        stop_threads(r, 0);
        goto fail;
    }
    /* Let the first attempt finish so the caller can fall back to another
     * output when Redis is not there; a stalled server does not hold us. */
    for (int i = 0; i < FIRST_CONNECT_WAIT_MS && !atomic_load(&r->first_done); i++)
        sleep_ms(1);
    return r;
fail:
    destroy(r);
    return NULL;
}

void output_redis_close(struct output_redis *r, int timeout_ms)
{
    output_redis_finish(r, timeout_ms, NULL);
}

void output_redis_finish(struct output_redis *r, int timeout_ms, struct output_redis_stats *final)
{
    if (!r) return;
    stop_threads(r, timeout_ms);
    /* Anything a producer queued after the threads' last look. */
    pthread_mutex_lock(&r->spool_mu);
    or_drain_locked(r);
    pthread_mutex_unlock(&r->spool_mu);
    if (final) output_redis_get_stats(r, final);
    destroy(r);
}

/* Internals shared by output_redis.c (producer side, lifecycle) and
 * output_redis_conn.c (the output thread). Not a public surface. */
#ifndef VIGIE_OUTPUT_REDIS_INT_H
#define VIGIE_OUTPUT_REDIS_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "output_redis.h"
#include "redis_url.h"
#include "spool.h"

#define OR_BATCH 512   /* records per MULTI/EXEC, flows per pipeline */
#define OR_MAX_STALE 8 /* abandoned connections to fence off */

/* Single-producer single-consumer byte ring of length-prefixed records,
 * each with a tag (the spool_kind of an alert ring record). The producer
 * never locks; the consumer role belongs to whoever holds the spool mutex
 * (the output thread, or the producer when the ring is full). */
struct or_ring {
    char *buf;
    size_t cap;                         /* power of two */
    _Alignas(64) _Atomic uint64_t head; /* written by the producer */
    uint64_t tail_cache;
    _Alignas(64) _Atomic uint64_t tail; /* written by the consumer */
    uint64_t head_cache;
};

int or_ring_init(struct or_ring *q, size_t cap);
void or_ring_free(struct or_ring *q);
int or_ring_push(struct or_ring *q, const char *data, size_t len, uint32_t tag);
/* Next record or NULL, with its tag if tag is not NULL; or_ring_pop()
 * releases it. */
const char *or_ring_peek(struct or_ring *q, size_t *len, uint32_t *tag);
void or_ring_pop(struct or_ring *q);
size_t or_ring_max_record(const struct or_ring *q);

struct output_redis {
    struct redis_url url;
    char where[300];             /* host:port or socket path, for messages */
    char *key_kind[SPOOL_KINDS]; /* stream and channel: <prefix>:alerts, :incidents */
    char *key_flows, *key_delivered, *key_stats, *key_events, *key_heartbeat;
    char *field_kind[SPOOL_KINDS], *field_flows, *field_events; /* stream fields */
    char maxlen[16];                                            /* "" = no MAXLEN */
    char trim_from[24]; /* LTRIM start, "-maxlen"; "" = no LTRIM */
    char ttl[16];       /* heartbeat EX */
    enum redis_mode mode;
    int flows;
    uint64_t down_degraded_us;

    struct or_ring records, flowq; /* records: alerts and incidents, in order */
    pthread_mutex_t spool_mu;      /* spool, and the consumer side of records */
    struct spool *spool;

    pthread_mutex_t stats_mu;
    char *stats_cmd; /* latest HSET, heartbeat, stats event, RESP-encoded */
    size_t stats_len, stats_cap;
    int stats_new, stats_ncmds, stats_has_event;

    /* The socket, so close() can cut a wait on a stalled server short. */
    pthread_mutex_t fd_mu;
    int live_fd;

    pthread_t thread, spooler;
    int thread_started, spooler_started;
    _Atomic int stop, first_done, spooler_stop;
    _Atomic int64_t deadline_us;

    /* Per spool_kind: alerts, incident records. */
    _Atomic uint64_t queued[SPOOL_KINDS], sent[SPOOL_KINDS], spooled[SPOOL_KINDS];
    _Atomic uint64_t lost[SPOOL_KINDS];
    _Atomic uint64_t refused[SPOOL_KINDS]; /* XADD errors inside a transaction that ran */
    _Atomic uint64_t spool_errors;
    _Atomic uint64_t flows_sent, flows_dropped, reconnects, connected, errors;
    _Atomic uint64_t events_sent, events_dropped;

    /* Health, set by the output thread; the reason under stats_mu. */
    _Atomic int degraded;
    char health_reason[96];
    uint64_t down_since_us; /* output thread: when the connection was lost */

    /* Output thread only. */
    redisContext *c;
    int ever_connected;
    uint64_t backoff_ms, next_attempt_us;
    char last_error[256];
    char run_id[48];
    long long client_id;
    long long stale[OR_MAX_STALE]; /* connections that may still hold a transaction */
    int nstale;
    char *cmd;
    size_t cmd_len, cmd_cap;
    struct spool_record recs[OR_BATCH];
    int txn_rec[2 * OR_BATCH + SPOOL_KINDS + 2]; /* command -> record, -1: none */
};

uint64_t or_now_us(void);
/* Under spool_mu: moves every queued record into the spool file; returns
 * how many. */
size_t or_drain_locked(struct output_redis *r);
/* Under spool_mu: mirrors spool counters into the atomics. */
void or_publish_locked(struct output_redis *r);
/* output_redis_cmd.c: RESP into r->cmd. or_cmd_reserve() makes room for
 * need more bytes (-1: out of memory); the or_put_* callers reserved it. */
int or_cmd_reserve(struct output_redis *r, size_t need);
char *or_put_u64(char *w, uint64_t v);
void or_put_arg(struct output_redis *r, const char *s, size_t n);
void or_put_str(struct output_redis *r, const char *s);
void or_put_count(struct output_redis *r, int n);
void or_put_xadd(struct output_redis *r, const char *key, const char *field, const char *json,
                 size_t len);
/* One record's commands in the output's mode; returns how many, the first
 * carrying the record. publish_too: also PUBLISH in stream mode. */
int or_put_record(struct output_redis *r, const char *key, const char *field, const char *json,
                  size_t len, int publish_too);
/* List mode with a maxlen: LTRIM key -maxlen -1, returns 1; else 0. */
int or_put_ltrim(struct output_redis *r, const char *key);
/* MULTI, records, trims, SET delivered, EXEC; returns the commands between
 * MULTI and EXEC (r->txn_rec maps them to records), -1 if out of memory. */
int or_build_record_txn(struct output_redis *r, const struct spool_record *recs, int n);
/* XADD, RPUSH or PUBLISH: what carries a record, for messages. */
const char *or_record_cmd(const struct output_redis *r);
/* The output thread: connection, spool -> Redis, flows, stats. */
void *or_thread_main(void *arg);

#endif

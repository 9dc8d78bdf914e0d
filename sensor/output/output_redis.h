/* Redis output (SPEC section 6, README "Redis"). Per mode (as Suricata's
 * redis output):
 *   stream  (default) XADD <key> [MAXLEN ~ n] * <field> <json>, and for
 *           alerts and incidents also PUBLISH <key> <json>;
 *   list    RPUSH <key> <json> then LTRIM <key> -maxlen -1 (Logstash's
 *           redis input, data_type list, pops from the head: oldest first);
 *   channel PUBLISH <key> <json> only (lossy: nobody subscribed, nothing kept).
 * Keys: alerts <prefix>:alerts, incident records (docs/incidents.md)
 * <prefix>:incidents, flows <prefix>:flows, EVE stats events <prefix>:stats;
 * or all of them one key (redis_options.key, Suricata's "key"). Stream
 * field: "alert" for alerts and incidents, "flow" for flows, "stats" for
 * stats events; or one configured name for all (Suricata's is "eve").
 * Counters also go to the hash <prefix>:stats:<sensor>, with a heartbeat
 * key <prefix>:heartbeat:<sensor> that expires when the sensor stops
 * refreshing it.
 *
 * The capture thread only copies JSON into preallocated lock-free rings;
 * one output thread owns the connection. Every alert and incident record
 * first goes to one durable spool (spool.h), in the order they were
 * queued, and is then sent inside
 *   MULTI, the record commands, SET <prefix>:delivered:<sensor> <seq>, EXEC
 * so the "delivered" mark moves atomically with the records. At each
 * connection the mark is read back and the spool resent from there: while
 * Redis is away records wait on disk, and they arrive in order, exactly
 * once, also across a restart of the sensor; an incident version never
 * reaches Redis before the alert queued ahead of it. Flows and stats events
 * are best effort (dropped and counted while Redis is away). */
#ifndef VIGIE_OUTPUT_REDIS_H
#define VIGIE_OUTPUT_REDIS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum redis_mode { REDIS_MODE_STREAM, REDIS_MODE_LIST, REDIS_MODE_CHANNEL };

struct redis_options {
    const char *url;          /* redis://[user:pass@]host[:port][/db] or unix:///path/to.sock */
    const char *prefix;       /* "vigie" */
    const char *sensor;       /* sensor name, for the stats hash key and the spool */
    uint32_t maxlen;          /* XADD MAXLEN ~; 0 = no trimming */
    int flows;                /* also stream flow events */
    const char *spool_dir;    /* durable spool directory (created if missing) */
    uint64_t spool_max_bytes; /* 0 = 256 MiB */
    enum redis_mode mode;
    const char *stream_field; /* NULL or "": alert, flow, stats per kind */
    const char *key;          /* NULL or "": one key per kind */
    unsigned heartbeat_ttl_s; /* 0 = 30 */
    unsigned down_degraded_s; /* Redis away longer: degraded; 0 = 30 */
    /* The user the sensor goes on as after -u: the spool becomes its own. */
    int owner_set;
    uid_t owner_uid;
    gid_t owner_gid;
};

struct output_redis_stats {
    uint64_t alerts_queued;  /* accepted by output_redis_alert() */
    uint64_t alerts_sent;    /* confirmed in Redis */
    uint64_t alerts_spooled; /* currently waiting in the spool */
    uint64_t alerts_lost;    /* spool full or unwritable, or refused by Redis */
    /* The same for incident records (output_redis_incident()). */
    uint64_t incidents_queued, incidents_sent, incidents_spooled, incidents_lost;
    uint64_t spool_errors; /* failed spool compactions: the output is degraded */
    uint64_t flows_sent, flows_dropped;
    uint64_t reconnects; /* successful connections after the first */
    uint64_t connected;  /* 1 while a connection is up */
    uint64_t errors;     /* failed connection attempts, auth and command errors */
    uint64_t stats_events_sent, stats_events_dropped;
    int degraded;           /* health: 0 ok, 1 degraded */
    char health_reason[96]; /* why degraded, "" when ok */
};

struct output_redis;

/* Parses the URL, opens the spool (a clear error if spool_dir is not
 * writable), tries to connect once (an unreachable Redis is not an error:
 * check output_redis_get_stats().connected) and starts the output thread. */
struct output_redis *output_redis_create(const struct redis_options *o, char *err, size_t errlen);

/* Capture thread (one producer): copies the alert and returns without
 * waiting on the network. If the ring is full it appends to the spool
 * itself. Returns -1 only if the alert was lost (spool full or failing). */
int output_redis_alert(struct output_redis *r, const char *json, size_t len);
/* An incident record, from the same producer as output_redis_alert(): it
 * takes the same ring and spool, so Redis gets both kinds in the order
 * of the calls. Same return. */
int output_redis_incident(struct output_redis *r, const char *json, size_t len);
/* Same thread as output_redis_alert or another single producer: best
 * effort; -1 = dropped and counted (Redis down, ring full or flows off). */
int output_redis_flow(struct output_redis *r, const char *json, size_t len);
/* HSET <prefix>:stats:<sensor> f1 v1 ...; the latest call is sent by the
 * output thread as soon as it can. Any thread. */
void output_redis_stats(struct output_redis *r, const char *const *fields, const uint64_t *values,
                        size_t n);
/* The same with string values, and also: SET <prefix>:heartbeat:<sensor>
 * <heartbeat> EX <ttl> when heartbeat is not NULL, and the EVE stats event
 * (NULL: none) to the stats key in the output's mode. The latest call
 * replaces one not yet sent. */
void output_redis_snapshot(struct output_redis *r, const char *const *fields,
                           const char *const *values, size_t n, const char *heartbeat,
                           const char *event, size_t event_len);
/* Waits up to timeout_ms until every queued alert and incident record is
 * in Redis (or Redis is away); 0 when none is left. */
int output_redis_drain(struct output_redis *r, int timeout_ms);
void output_redis_get_stats(struct output_redis *r, struct output_redis_stats *st);

/* Stops the thread: tries up to timeout_ms to deliver everything queued;
 * whatever is not delivered stays in the spool for the next start. Call
 * after the producers have stopped. NULL is a no-op. */
void output_redis_close(struct output_redis *r, int timeout_ms);
/* The same, and the counters as they are once the thread stopped (what was
 * delivered, what waits in the spool, what was lost). */
void output_redis_finish(struct output_redis *r, int timeout_ms, struct output_redis_stats *final);

#endif

/* The redis module: the Redis output (output_redis.h) opened from the
 * config and command line per SPEC sections 2 and 6. --no-redis: none;
 * --redis or the config's url; without a config, the local default if it
 * answers, else alerts go to the stdout module, with a warning. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include "alert/eve.h"
#include "alert/json.h"
#include "output_internal.h"
#include "output_redis.h"

#define DEFAULT_URL "redis://127.0.0.1:6379"
#define DRAIN_TIMEOUT_MS 10000
#define FINAL_STATS_MS 2000 /* at least this for the final snapshot */
#define HEARTBEAT_MIN_S 30u /* heartbeat TTL: 3 stats intervals, at least this */

struct redis_state {
    struct output_redis *r;
    char host[CONFIG_STR]; /* sensor name (a reload frees the config) */
    unsigned interval;
    uint64_t t0_us; /* uptime from here */
    struct output_counters last;
    int have_last;
    struct json_writer js;
};

static uint64_t clock_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The spool directory: the configured one, or without a config the
 * system one if it can be made, else one under /tmp for this user. */
static const char *spool_dir(const struct config *cfg, char *buf, size_t len)
{
    if (cfg->path[0]) return cfg->outputs.redis.spool_dir;
    const char *sys = cfg->outputs.redis.spool_dir;
    if (access(sys, W_OK) == 0 || (mkdir("/var/lib/vigie", 0755), mkdir(sys, 0750) == 0))
        return sys;
    snprintf(buf, len, "%s/vigie-spool-%u", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (unsigned)getuid());
    return buf;
}

static int redis_open(void **st, struct output_options *o, char *err, size_t errlen)
{
    const struct config *cfg = o->cfg;
    char msg[1024], dirbuf[512];
    if (o->no_redis) return 0;
    const char *url = o->redis_url   ? o->redis_url
                      : cfg->path[0] ? cfg->outputs.redis.url
                                     : DEFAULT_URL;
    if (!*url) return 0;
    unsigned ttl =
        o->stats_interval * 3 > HEARTBEAT_MIN_S ? o->stats_interval * 3 : HEARTBEAT_MIN_S;
    struct redis_options ro = {
        .url = url,
        .prefix = cfg->outputs.redis.prefix,
        .sensor = cfg->sensor_name,
        .maxlen = cfg->outputs.redis.maxlen,
        .flows = cfg->outputs.redis.flows,
        .spool_dir = spool_dir(cfg, dirbuf, sizeof(dirbuf)),
        .spool_max_bytes = cfg->outputs.redis.spool_max_bytes,
        .mode = (enum redis_mode)cfg->outputs.redis.mode,
        .stream_field = cfg->outputs.redis.stream_field,
        .key = cfg->outputs.redis.key,
        .heartbeat_ttl_s = ttl,
        .owner_set = o->owner_set,
        .owner_uid = o->owner_uid,
        .owner_gid = o->owner_gid,
    };
    struct output_redis *r = output_redis_create(&ro, msg, sizeof(msg));
    if (!r) {
        snprintf(err, errlen, "redis: %s", msg);
        return -1;
    }
    struct output_redis_stats rs;
    output_redis_get_stats(r, &rs);
    if (!rs.connected && !cfg->path[0] && !o->redis_url) {
        fprintf(stderr, "vigie: warning: no Redis at %s: alerts go to standard output\n", url);
        output_redis_close(r, 0);
        o->stdout_alerts = 1;
        return 0;
    }
    struct redis_state *s = calloc(1, sizeof(*s));
    if (!s) {
        output_redis_close(r, 0);
        snprintf(err, errlen, "redis: out of memory");
        return -1;
    }
    s->r = r;
    snprintf(s->host, sizeof(s->host), "%s", cfg->sensor_name);
    s->interval = o->stats_interval;
    s->t0_us = clock_us(CLOCK_MONOTONIC);
    *st = s;
    return OUTPUT_ALERTS | OUTPUT_STATS | (ro.flows ? OUTPUT_FLOWS : 0);
}

/* Losses are counted by the output itself (alerts_lost, incidents_lost,
 * flows_dropped). */
static int redis_write_alert(void *st, const char *json, size_t len)
{
    output_redis_alert(((struct redis_state *)st)->r, json, len);
    return 0;
}

/* Incident records: the stream and channel <prefix>:incidents, through
 * the same spool as the alerts, so they keep their order with them. */
static int redis_write_incident(void *st, const char *json, size_t len)
{
    output_redis_incident(((struct redis_state *)st)->r, json, len);
    return 0;
}

static int redis_write_flow(void *st, const char *json, size_t len)
{
    output_redis_flow(((struct redis_state *)st)->r, json, len);
    return 0;
}

/* The EVE stats event, shaped as Suricata's (output-json-stats.c): its
 * counter names where Suricata has one, the rest under "vigie" with the
 * names of the stats hash. */
static const char *stats_event(struct redis_state *s, const char *ts, uint64_t uptime,
                               const struct output_counters *c, const struct output_redis_stats *rs,
                               size_t *len)
{
    struct json_writer *w = &s->js;
    json_reset(w);
    json_begin_object(w);
    json_key_str(w, "timestamp", ts);
    json_key_str(w, "event_type", "stats");
    if (s->host[0]) json_key_str(w, "host", s->host);
    json_key_object(w, "stats");
    json_key_u64(w, "uptime", uptime);
    json_key_object(w, "capture");
    json_key_u64(w, "kernel_packets", c->packets + c->drops);
    json_key_u64(w, "kernel_drops", c->drops);
    json_end_object(w);
    json_key_object(w, "decoder");
    json_key_u64(w, "pkts", c->packets);
    json_key_u64(w, "bytes", c->bytes);
    json_end_object(w);
    json_key_object(w, "flow");
    json_key_u64(w, "total", c->flows);
    json_key_u64(w, "active", c->flows_active);
    json_end_object(w);
    json_key_object(w, "detect");
    json_key_u64(w, "alert", c->alerts);
    json_end_object(w);
    json_end_object(w);
    json_key_object(w, "vigie");
    json_key_u64(w, "flows_evicted", c->flows_evicted);
    json_key_u64(w, "malformed", c->malformed);
    json_key_u64(w, "truncated", c->truncated);
    json_key_u64(w, "offloaded", c->offloaded);
    json_key_u64(w, "mem_bytes", c->mem_bytes);
    json_key_u64(w, "dissector_bytes", c->dissector_bytes);
    json_key_u64(w, "workers", c->workers);
    json_key_u64(w, "emergency", c->emergency);
    json_key_u64(w, "emergencies", c->emergencies);
    json_key_u64(w, "emergency_evicted", c->emergency_evicted);
    json_key_u64(w, "redis_sent", rs->alerts_sent);
    json_key_u64(w, "redis_spooled", rs->alerts_spooled);
    json_key_u64(w, "redis_lost", rs->alerts_lost);
    json_key_u64(w, "redis_spool_errors", rs->spool_errors);
    json_key_u64(w, "redis_incidents_sent", rs->incidents_sent);
    json_key_u64(w, "redis_incidents_spooled", rs->incidents_spooled);
    json_key_u64(w, "redis_incidents_lost", rs->incidents_lost);
    json_key_str(w, "redis_health", rs->degraded ? "degraded" : "ok");
    if (rs->degraded) json_key_str(w, "redis_health_reason", rs->health_reason);
    json_end_object(w);
    json_end_object(w);
    return json_buffer(w, len);
}

/* The stats hash (the sensor's counters and the output's own, the wall
 * time of the snapshot, the uptime, the output's health), the heartbeat
 * and the EVE stats event, as one snapshot. */
static void publish(struct redis_state *s, const struct output_counters *c)
{
    struct output_redis_stats rs;
    output_redis_get_stats(s->r, &rs);
    char ts[64];
    eve_format_time(clock_us(CLOCK_REALTIME), ts, sizeof(ts));
    uint64_t uptime = (clock_us(CLOCK_MONOTONIC) - s->t0_us) / 1000000u;
    /* redis_sent, redis_spooled, redis_lost: alerts; the redis_incidents_
     * fields: incident records (both kinds share the spool). */
    const struct {
        const char *name;
        uint64_t value;
    } kv[] = {
        {"packets", c->packets},
        {"bytes", c->bytes},
        {"drops", c->drops},
        {"flows_active", c->flows_active},
        {"flows", c->flows},
        {"flows_evicted", c->flows_evicted},
        {"alerts", c->alerts},
        {"malformed", c->malformed},
        {"truncated", c->truncated},
        {"redis_spooled", rs.alerts_spooled},
        {"redis_sent", rs.alerts_sent},
        {"mem_bytes", c->mem_bytes},
        {"dissector_bytes", c->dissector_bytes},
        {"workers", c->workers},
        {"emergency", c->emergency},
        {"emergencies", c->emergencies},
        {"emergency_evicted", c->emergency_evicted},
        {"offloaded", c->offloaded},
        {"redis_lost", rs.alerts_lost},
        {"redis_spool_errors", rs.spool_errors},
        {"redis_incidents_sent", rs.incidents_sent},
        {"redis_incidents_spooled", rs.incidents_spooled},
        {"redis_incidents_lost", rs.incidents_lost},
        {"uptime", uptime},
    };
    enum { N = sizeof(kv) / sizeof(kv[0]), NS = 3 };
    const char *fields[N + NS], *values[N + NS];
    char num[N][24];
    for (size_t i = 0; i < N; i++) {
        snprintf(num[i], sizeof(num[i]), "%llu", (unsigned long long)kv[i].value);
        fields[i] = kv[i].name;
        values[i] = num[i];
    }
    fields[N] = "timestamp";
    values[N] = ts;
    fields[N + 1] = "redis_health";
    values[N + 1] = rs.degraded ? "degraded" : "ok";
    fields[N + 2] = "redis_health_reason";
    values[N + 2] = rs.health_reason;
    size_t len = 0;
    const char *event = stats_event(s, ts, uptime, c, &rs, &len);
    output_redis_snapshot(s->r, fields, values, N + NS, ts, event, event ? len : 0);
}

/* Without periodic stats the only call is the one at the end of the run:
 * it is published at close, once the queued records are delivered. */
static void redis_write_stats(void *st, const struct output_counters *c)
{
    struct redis_state *s = st;
    s->last = *c;
    s->have_last = 1;
    if (s->interval) publish(s, c);
}

/* Deliver what is queued while connected; anything left, or everything
 * while Redis is away, waits in the spool. At the end of a run the user is
 * told where the alerts are: delivered, waiting in the spool for the next
 * start (Redis was away), or lost; and the incident records the same way,
 * in a second clause, when the run or the spool had any (a run without
 * incidents prints the line it always has). */
static void redis_close(void *st, int drain)
{
    struct redis_state *s = st;
    struct output_redis_stats rs, fin;
    output_redis_get_stats(s->r, &rs);
    int timeout = drain && rs.connected ? DRAIN_TIMEOUT_MS : 0;
    /* The final snapshot carries the final counters: published once the
     * records are delivered, sent before the thread stops. */
    if (drain && s->have_last) {
        uint64_t t0 = clock_us(CLOCK_MONOTONIC);
        output_redis_drain(s->r, timeout);
        publish(s, &s->last);
        int spent = (int)((clock_us(CLOCK_MONOTONIC) - t0) / 1000);
        timeout = timeout == 0                       ? 0
                  : timeout - spent > FINAL_STATS_MS ? timeout - spent
                                                     : FINAL_STATS_MS;
    }
    output_redis_finish(s->r, timeout, &fin);
    json_free(&s->js);
    free(s);
    if (!drain) return;
    char incidents[160] = "";
    if (fin.incidents_queued || fin.incidents_sent || fin.incidents_spooled || fin.incidents_lost)
        snprintf(incidents, sizeof(incidents),
                 "; %llu incidents delivered, %llu waiting in the spool, %llu lost",
                 (unsigned long long)fin.incidents_sent, (unsigned long long)fin.incidents_spooled,
                 (unsigned long long)fin.incidents_lost);
    fprintf(stderr,
            "vigie: redis: %llu alerts delivered, %llu waiting in the spool, %llu lost%s%s\n",
            (unsigned long long)fin.alerts_sent, (unsigned long long)fin.alerts_spooled,
            (unsigned long long)fin.alerts_lost, incidents,
            fin.alerts_spooled || fin.incidents_spooled
                ? " (sent when Redis is back, at the next start)"
                : "");
}

const struct output_module output_redis_module = {
    .name = "redis",
    .open = redis_open,
    .write_alert = redis_write_alert,
    .write_flow = redis_write_flow,
    .write_incident = redis_write_incident,
    .write_stats = redis_write_stats,
    .close = redis_close,
};

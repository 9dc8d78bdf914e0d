/* The redis module: the Redis output (output_redis.h) opened from the
 * config and command line per SPEC sections 2 and 6. --no-redis: none;
 * --redis or the config's url; without a config, the local default if it
 * answers, else alerts go to the stdout module, with a warning. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sys/stat.h>

#include "output_internal.h"
#include "output_redis.h"

#define DEFAULT_URL "redis://127.0.0.1:6379"
#define DRAIN_TIMEOUT_MS 10000

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
    struct redis_options ro = {
        .url = url,
        .prefix = cfg->outputs.redis.prefix,
        .sensor = cfg->sensor_name,
        .maxlen = cfg->outputs.redis.maxlen,
        .flows = cfg->outputs.redis.flows,
        .spool_dir = spool_dir(cfg, dirbuf, sizeof(dirbuf)),
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
    *st = r;
    return OUTPUT_ALERTS | OUTPUT_STATS | (ro.flows ? OUTPUT_FLOWS : 0);
}

/* Losses are counted by the output itself (alerts_lost, incidents_lost,
 * flows_dropped). */
static int redis_write_alert(void *st, const char *json, size_t len)
{
    output_redis_alert(st, json, len);
    return 0;
}

/* Incident records: the stream and channel <prefix>:incidents, through
 * the same spool as the alerts, so they keep their order with them. */
static int redis_write_incident(void *st, const char *json, size_t len)
{
    output_redis_incident(st, json, len);
    return 0;
}

static int redis_write_flow(void *st, const char *json, size_t len)
{
    output_redis_flow(st, json, len);
    return 0;
}

/* The stats hash: the sensor's counters and the output's own. */
static void redis_write_stats(void *st, const struct output_counters *c)
{
    struct output_redis_stats rs;
    output_redis_get_stats(st, &rs);
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
        {"offloaded", c->offloaded},
        {"redis_lost", rs.alerts_lost},
        {"redis_spool_errors", rs.spool_errors},
        {"redis_incidents_sent", rs.incidents_sent},
        {"redis_incidents_spooled", rs.incidents_spooled},
        {"redis_incidents_lost", rs.incidents_lost},
    };
    enum { N = sizeof(kv) / sizeof(kv[0]) };
    const char *fields[N];
    uint64_t values[N];
    for (size_t i = 0; i < N; i++) {
        fields[i] = kv[i].name;
        values[i] = kv[i].value;
    }
    output_redis_stats(st, fields, values, N);
}

/* Deliver what is queued while connected; anything left, or everything
 * while Redis is away, waits in the spool. At the end of a run the user is
 * told where the alerts are: delivered, waiting in the spool for the next
 * start (Redis was away), or lost; and the incident records the same way,
 * in a second clause, when the run or the spool had any (a run without
 * incidents prints the line it always has). */
static void redis_close(void *st, int drain)
{
    struct output_redis_stats rs, fin;
    output_redis_get_stats(st, &rs);
    output_redis_finish(st, drain && rs.connected ? DRAIN_TIMEOUT_MS : 0, &fin);
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

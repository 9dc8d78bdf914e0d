/* Outputs (SPEC sections 2 and 6): where alerts, flow records and counters
 * go. Each kind of output is a module, one struct of callbacks listed once
 * in the registry (output.c), as zmap's output_module_t. An outputs set
 * opens every module the config and command line ask for and hands each
 * record to all of them, in registry order: file, redis, stdout.
 *
 * The capture thread calls the write callbacks: a module copies or writes
 * and returns, it never waits on the network (output_redis.h). */
#ifndef VIGIE_OUTPUT_H
#define VIGIE_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/config.h"

/* What the outputs are opened from: the config and the command line. */
struct output_options {
    const struct config *cfg;
    const char *alerts_path; /* -A; NULL = the config's alerts_file ("" = none) */
    const char *flows_path;  /* --flows; NULL = the config's flows_file */
    const char *redis_url;   /* --redis; NULL = the config's url, or the local default */
    int no_redis;            /* --no-redis */
    unsigned stats_interval; /* --stats-interval: 0 = stats at the end only */
    /* -u: the user the sensor goes on as; what a module keeps writing
     * after the drop (the Redis spool) is handed to it. */
    int owner_set;
    uid_t owner_uid;
    gid_t owner_gid;
    /* Alerts also as JSON lines on standard output. The redis module sets
     * it when the default Redis (no config, no --redis) is not there. */
    int stdout_alerts;
};

/* The counters published with the stats (the stats hash of SPEC 6). */
struct output_counters {
    uint64_t packets, bytes, drops, flows_active, flows, flows_evicted;
    uint64_t alerts, malformed, truncated, mem_bytes;
    uint64_t offloaded;       /* TSO/GSO frames decoded whole */
    uint64_t dissector_bytes; /* per-flow dissector state (inside mem_bytes) */
    uint64_t workers;
    uint64_t emergency; /* workers in flow emergency mode (0: none) */
    uint64_t emergencies, emergency_evicted;
};

/* What an opened instance takes. */
enum { OUTPUT_ALERTS = 1, OUTPUT_FLOWS = 2, OUTPUT_STATS = 4 };

struct output_module {
    const char *name;
    /* Returns what the instance takes (OUTPUT_* bits) with *st set, 0 when
     * the options ask nothing of this module, -1 with err filled. May set
     * fields of o that modules later in the registry read. */
    int (*open)(void **st, struct output_options *o, char *err, size_t errlen);
    /* One JSON object without its newline. -1: lost on a write error the
     * module does not count itself (the set counts it). */
    int (*write_alert)(void *st, const char *json, size_t len);
    int (*write_flow)(void *st, const char *json, size_t len);
    /* An incident record (event_type "incident"), each version of it.
     * NULL: the module takes incidents as alerts (write_alert). */
    int (*write_incident)(void *st, const char *json, size_t len);
    void (*write_stats)(void *st, const struct output_counters *c);
    /* -1 if any write failed since open. NULL: nothing buffered here. */
    int (*flush)(void *st);
    /* Opens its files again (log rotation). NULL: nothing to reopen. */
    int (*reopen)(void *st, char *err, size_t errlen);
    /* drain: end of run, deliver what is queued before returning (Redis
     * keeps the rest in its spool); 0: error path, do not wait. */
    void (*close)(void *st, int drain);
};

struct outputs;

/* Opens every module the options ask for; NULL with err on the first one
 * that fails (those already open are closed). */
struct outputs *outputs_open(struct output_options *o, char *err, size_t errlen);
/* Every record to every instance that takes it; -1 if one write failed. */
int outputs_alert(struct outputs *s, const char *json, size_t len);
int outputs_flow(struct outputs *s, const char *json, size_t len);
/* Incident records go wherever alerts go. */
int outputs_incident(struct outputs *s, const char *json, size_t len);
void outputs_stats(struct outputs *s, const struct output_counters *c);
/* OUTPUT_* bits: what at least one open instance takes. */
int outputs_takes(const struct outputs *s);
/* -1 if a write failed since open in any instance. */
int outputs_flush(struct outputs *s);
int outputs_reopen(struct outputs *s, char *err, size_t errlen);
/* Name of the i-th open instance, NULL past the last. */
const char *outputs_name(const struct outputs *s, size_t i);
/* Closes in registry order; NULL is a no-op. */
void outputs_close(struct outputs *s, int drain);

#endif

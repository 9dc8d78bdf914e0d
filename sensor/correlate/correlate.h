/* Correlation (docs/incidents.md): alerts that share hosts become one
 * incident, the intruder's path from host to host and zone to zone. It
 * runs after the detectors, on packet time only, and writes each change of
 * an incident as a new version of an EVE "incident" record.
 *
 * Not thread-safe: one correlator is fed by one thread (the pipeline's, or
 * with workers the correlation stage's). */
#ifndef VIGIE_CORRELATE_H
#define VIGIE_CORRELATE_H

#include <stddef.h>
#include <stdint.h>

#include "enrich/zones.h"

/* Techniques one event lists at most. */
#define CORR_MAX_TECHNIQUES 8
/* "9f0c2d41b7a35e66" and its NUL. */
#define CORR_ID_LEN 17

struct corr_host {
    uint8_t family; /* 4 or 6, as a flow key's */
    uint8_t addr[16];
    uint16_t zone;
};

enum corr_kind {
    CORR_ALERT,        /* a detector's alert (each aggregated repeat too) */
    CORR_ALLOWED_FLOW, /* a flow the policy allows: a fact, never an incident of its own */
};

struct corr_event {
    enum corr_kind kind;
    uint64_t ts_us; /* packet time */
    struct corr_host src, dst;
    const char *detector; /* detector id, static; for an allowed flow the one that saw it */
    /* ATT&CK ids (techniques "T..." or tactics "TA..."), static strings. */
    const char *techniques[CORR_MAX_TECHNIQUES];
    size_t ntechniques;
    int severity; /* 1 high .. 3 low; ignored for allowed flows */
    /* The flow reached no service: the server sent no application payload
     * (a scan probe, a refused or unanswered connection). Such an alert
     * counts in its incident but brings in no destination host and no hop;
     * such an allowed flow is ignored (docs/incidents.md, "Probes"). */
    int probe;
};

struct corr_settings {
    int enabled;        /* 0: correlate_event() does nothing and returns 0 */
    uint32_t timeout_s; /* an incident stays open this long after its last alert */
    uint32_t max_open;  /* incidents open at once */
};

#define CORR_DEFAULT_TIMEOUT_S 86400u
#define CORR_DEFAULT_MAX_OPEN 1024u

/* One incident record (its JSON, without a newline; json[len] is a NUL),
 * for the outputs. */
typedef void (*incident_sink_fn)(void *ud, const char *json, size_t len);

struct correlator;

/* zones and sensor (the "host" of the records) must outlive it. NULL: out
 * of memory. */
struct correlator *correlate_create(const struct corr_settings *set, const struct zones *zones,
                                    const char *sensor, incident_sink_fn sink, void *ud);
void correlate_destroy(struct correlator *c);
/* New settings (SIGHUP) and zones; open incidents are kept. */
void correlate_configure(struct correlator *c, const struct corr_settings *set,
                         const struct zones *zones, const char *sensor);

/* Feeds one event. Returns 1 with id filled (the incident it joined) or 0
 * when it joined none. Records of incidents it changed are not written
 * yet: the caller writes the alert first, then calls correlate_publish(),
 * so the alert reaches the outputs before the incident version that counts
 * it. */
int correlate_event(struct correlator *c, const struct corr_event *ev, char id[CORR_ID_LEN]);
/* Writes the records due: versions of incidents changed since the last
 * call, merged and closed incidents. */
void correlate_publish(struct correlator *c);
/* Packet time went on: closes incidents past their window, writes the
 * pending minor updates older than 60 s. Calls correlate_publish(). */
void correlate_tick(struct correlator *c, uint64_t now_us);
/* End of run: writes every incident with unwritten changes (still open). */
void correlate_flush(struct correlator *c);

struct correlate_stats {
    uint64_t incidents; /* opened in all */
    uint64_t open;      /* open now */
    uint64_t records;   /* incident records written */
    uint64_t merged, closed;
    uint64_t evicted; /* closed early to stay within max_open (counted in closed too) */
    uint64_t hosts_dropped, hops_dropped;
};
void correlate_get_stats(const struct correlator *c, struct correlate_stats *st);

#endif

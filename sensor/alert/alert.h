/* Alerts: Suricata EVE alert events built from a detector's finding, never
 * twice for the same flow and detector, and aggregated with a count when the
 * same detector fires again from the same source between the same zones
 * within a window. Every finding, sent or aggregated, feeds the correlation
 * stage first (docs/incidents.md), so the alert names its incident. */
#ifndef VIGIE_ALERT_H
#define VIGIE_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "eve.h"
#include "flow/flow_table.h"

/* An alert lists at most this many ATT&CK ids. */
#define ALERT_MAX_TECHNIQUES 4

/* What a detector is: fixed metadata, one entry per detector id (part of
 * its struct detector, detect/detect.h). */
struct detector_info {
    const char *id;
    uint32_t sid;         /* signature_id of variant 0; variants add to it */
    const char *category; /* "Lateral Movement", "Discovery", ... */
    /* Every ATT&CK technique (or tactic) id it reports (SPEC section 7);
     * an alert without its own list carries the first ALERT_MAX_TECHNIQUES. */
    const char *techniques[8];
    int severity; /* 1 high .. 3 low, before zone/role adjustment */
};

#define ALERT_MAX_EVIDENCE 16

struct alert_evidence {
    const char *key;
    const char *str; /* string value, or NULL for a number */
    uint64_t num;
};

struct alert {
    const struct detector_info *det;
    unsigned det_index; /* the detector's registry position: its flow dedup bit */
    uint32_t variant;
    const char *signature;         /* "VIGIE ..." */
    const char *const *techniques; /* NULL: the detector's own; else up to ALERT_MAX_TECHNIQUES */
    int severity;
    const char *policy; /* "allow", "deny" or "none" */
    struct alert_evidence ev[ALERT_MAX_EVIDENCE];
    size_t nev;
};

void alert_add_str(struct alert *a, const char *key, const char *value);
void alert_add_num(struct alert *a, const char *key, uint64_t value);

typedef void (*alert_sink_fn)(void *ud, const char *json, size_t len);

struct alerter;
struct correlator;

struct alerter *alerter_create(const struct eve_context *eve, uint32_t window_s);
void alerter_destroy(struct alerter *a);
/* Outputs: alerts files, Redis, ... each gets every alert. */
int alerter_add_sink(struct alerter *a, alert_sink_fn fn, void *ud);
void alerter_set_window(struct alerter *a, uint32_t window_s);
void alerter_set_context(struct alerter *a, const struct eve_context *eve);
/* The correlation stage findings go to (NULL: none, alerts name no
 * incident). The caller owns it; it outlives the alerter's last alert. */
void alerter_set_correlator(struct alerter *a, struct correlator *c);

/* Returns 1 if sent, 0 if suppressed (same flow and detector already
 * alerted, or aggregated into a pending count). A finding that is not a
 * duplicate goes to the correlator before its alert is built, and the
 * incident versions it caused are written after the alert. */
int alerter_emit(struct alerter *a, const struct alert *al, struct flow *f, uint64_t ts_us);
/* A flow the policy allows, seen by detector det as the ATT&CK technique
 * given: no alert, a fact for the correlator (docs/incidents.md rule 9). */
void alerter_allowed_flow(struct alerter *a, const struct detector_info *det, const struct flow *f,
                          const char *technique, uint64_t ts_us);
/* Sends the aggregated repeats whose window ended before now_us. */
void alerter_tick(struct alerter *a, uint64_t now_us);
/* Sends every pending aggregate (end of run). */
void alerter_flush(struct alerter *a);

struct alerter_stats {
    uint64_t sent, aggregated, duplicates;
    uint64_t allowed_flows; /* facts handed to the correlator */
};
void alerter_get_stats(const struct alerter *a, struct alerter_stats *st);

#endif

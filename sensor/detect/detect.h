/* Detectors turn flows and dissector events into alerts. Each detector is
 * one struct detector in a detect_*.c file, listed once in registry.c; a
 * detection engine runs them all, each with its own state and settings.
 * Engines are independent: several may live in one process (one per
 * worker, one for a correlation stage). */
#ifndef VIGIE_DETECT_H
#define VIGIE_DETECT_H

#include <stdint.h>

#include "alert/alert.h"
#include "dissect.h"
#include "classify/classify.h"
#include "flow/flow_table.h"
#include "enrich/policy.h"
#include "enrich/zones.h"
#include "registry.h"

struct config;
struct detect_engine;

struct detect_ctx {
    /* Set by the engine's owner (the pipeline). */
    struct detect_engine *engine;
    struct alerter *alerter;
    const struct zones *zones;
    const struct classifier *cls;
    const struct policy *policy;
    uint64_t now_us;
    /* Set by the engine before each callback, for the detector called. */
    const struct detector *self;
    unsigned index; /* its registry position */
    void *state;    /* its instance of self->state */
    const uint32_t *params;
};

/* A detector's state, made once per engine by init (NULL: out of memory)
 * and released by free. Detectors pointing at the same ops share one
 * instance: the SMB detectors the account of each flow, the DCE-RPC
 * detectors one table of sources (so they share its capacity). */
struct detect_state_ops {
    const char *name; /* what it holds, unique */
    void *(*init)(void);
    void (*free)(void *state);
};

/* Everything about a detector, and the only place it is written. */
struct detector {
    struct detector_info info; /* id, signature id, category, ATT&CK ids */
    int off_by_default;        /* runs only where the config enables it */
    /* Thresholds, in the order a config error lists them; values reach
     * the detector as detect_param(ctx, position). */
    struct detect_param params[DETECT_MAX_PARAMS];
    const struct detect_state_ops *state; /* NULL: none */
    /* A new flow: its first packet, client and zones are known. */
    void (*on_start)(struct detect_ctx *ctx, struct flow *f);
    /* The flow's application is final (named or given up). */
    void (*on_classified)(struct detect_ctx *ctx, struct flow *f);
    /* A dissector saw something (share opened, RPC call, ticket...). */
    void (*on_event)(struct detect_ctx *ctx, struct flow *f, const struct dissect_event *ev);
    void (*on_end)(struct detect_ctx *ctx, struct flow *f);
    void (*tick)(struct detect_ctx *ctx);
};

/* An engine with every detector's state, enabled and configured as cfg's
 * detect: section says (NULL cfg: as declared). NULL: out of memory. */
struct detect_engine *detect_create(const struct config *cfg);
void detect_destroy(struct detect_engine *e);
/* New settings (SIGHUP): enabled flags and parameters; state is kept. */
void detect_configure(struct detect_engine *e, const struct config *cfg);
int detect_enabled(const struct detect_engine *e, size_t i);

/* The pipeline's calls; ctx->engine says which engine. */
void detect_flow_start(struct detect_ctx *ctx, struct flow *f);
void detect_classified(struct detect_ctx *ctx, struct flow *f);
void detect_event(struct detect_ctx *ctx, struct flow *f, const struct dissect_event *ev);
void detect_flow_end(struct detect_ctx *ctx, struct flow *f);
void detect_tick(struct detect_ctx *ctx);

/* --- for detectors -------------------------------------------------------- */

/* Parameter i (its position in params) of the detector called. */
uint32_t detect_param(const struct detect_ctx *ctx, size_t i);
/* Sends a as the detector called: alerter_emit's dedup (once per flow
 * and detector) and aggregation. Returns 1 if sent. */
int detect_emit(struct detect_ctx *ctx, struct alert *a, struct flow *f);
/* A flow the policy allows, seen by the detector called as the ATT&CK
 * technique given: no alert. Its flow record keeps the fact, and the
 * correlator counts it where its client acts in an incident
 * (docs/incidents.md rule 9). */
void detect_allowed_flow(struct detect_ctx *ctx, struct flow *f, const char *technique);
/* 1 if the detector called already alerted on f. */
int detect_alerted(const struct detect_ctx *ctx, const struct flow *f);

/* SPEC section 7: cross-zone or towards a critical zone raises severity to
 * 1; an admin host as source lowers it by one; never hidden. */
int detect_severity(const struct detect_ctx *ctx, const struct flow *f, int base);
uint16_t detect_server_port(const struct flow *f);

#endif

/* Detectors turn flows and dissector events into alerts. Each detector is
 * one struct of callbacks in a detect_*.c file, listed once in detect.c. */
#ifndef VIGIE_DETECT_H
#define VIGIE_DETECT_H

#include <stdint.h>

#include "alert/alert.h"
#include "dissect.h"
#include "classify/classify.h"
#include "flow/flow_table.h"
#include "enrich/policy.h"
#include "enrich/zones.h"

struct config;

struct detect_ctx {
    struct alerter *alerter;
    const struct zones *zones;
    const struct classifier *cls;
    const struct policy *policy;
    const struct config *cfg;
    uint64_t now_us;
};

struct detector {
    struct detector_info info;
    /* A new flow: its first packet, client and zones are known. */
    void (*on_start)(struct detect_ctx *ctx, struct flow *f);
    /* The flow's application is final (named or given up). */
    void (*on_classified)(struct detect_ctx *ctx, struct flow *f);
    /* A dissector saw something (share opened, RPC call, ticket...). */
    void (*on_event)(struct detect_ctx *ctx, struct flow *f, const struct dissect_event *ev);
    void (*on_end)(struct detect_ctx *ctx, struct flow *f);
    void (*tick)(struct detect_ctx *ctx);
};

/* Registry: every detector, in a fixed order (info.index). */
size_t detect_count(void);
struct detector *detect_get(size_t i);
struct detector *detect_find(const char *id);
void detect_set_enabled(const char *id, int enabled);
int detect_enabled(const struct detector *d);

/* Enables/disables detectors as the config's detect: section says. */
void detect_configure(const struct config *cfg);
void detect_flow_start(struct detect_ctx *ctx, struct flow *f);
void detect_classified(struct detect_ctx *ctx, struct flow *f);
void detect_event(struct detect_ctx *ctx, struct flow *f, const struct dissect_event *ev);
void detect_flow_end(struct detect_ctx *ctx, struct flow *f);
void detect_tick(struct detect_ctx *ctx);

/* SPEC section 7: cross-zone or towards a critical zone raises severity to
 * 1; an admin host as source lowers it by one; never hidden. */
int detect_severity(const struct detect_ctx *ctx, const struct flow *f, int base);
uint16_t detect_server_port(const struct flow *f);

/* A detector threshold from the `detect:` config section (e.g.
 * detect_param(ctx, "internal_scan", "hosts", 20)), or def if not set. */
double detect_param(const struct detect_ctx *ctx, const char *detector, const char *name,
                    double def);

#endif

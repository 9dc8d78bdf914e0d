/* Detectors turn flows and dissector events into alerts. Each detector is
 * one struct of callbacks in a detect_*.c file, listed once in detect.c. */
#ifndef VIGIE_DETECT_H
#define VIGIE_DETECT_H

#include <stdint.h>

#include "alert.h"
#include "classify.h"
#include "flow_table.h"
#include "policy.h"
#include "zones.h"

struct detect_ctx {
    struct alerter *alerter;
    const struct zones *zones;
    const struct classifier *cls;
    const struct policy *policy;
    uint64_t now_us;
};

struct detector {
    struct detector_info info;
    /* The flow's application is final (named or given up). */
    void (*on_classified)(struct detect_ctx *ctx, struct flow *f);
    void (*on_end)(struct detect_ctx *ctx, struct flow *f);
    void (*tick)(struct detect_ctx *ctx);
};

/* Registry: every detector, in a fixed order (info.index). */
size_t detect_count(void);
struct detector *detect_get(size_t i);
struct detector *detect_find(const char *id);
void detect_set_enabled(const char *id, int enabled);
int detect_enabled(const struct detector *d);

void detect_classified(struct detect_ctx *ctx, struct flow *f);
void detect_flow_end(struct detect_ctx *ctx, struct flow *f);
void detect_tick(struct detect_ctx *ctx);

/* SPEC section 7: cross-zone or towards a critical zone raises severity to
 * 1; an admin host as source lowers it by one; never hidden. */
int detect_severity(const struct detect_ctx *ctx, const struct flow *f, int base);
uint16_t detect_server_port(const struct flow *f);

#endif

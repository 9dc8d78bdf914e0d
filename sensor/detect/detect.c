/* The detection engine: each detector's state, enabled flag and parameter
 * values, and the calls that run the enabled detectors in registry order. */
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "detect.h"

enum hook { HOOK_START, HOOK_CLASSIFIED, HOOK_EVENT, HOOK_END, HOOK_TICK, HOOK_MAX };

struct detect_engine {
    size_t n;
    void *state[DETECT_MAX]; /* by registry position; shared ones repeat */
    uint8_t enabled[DETECT_MAX];
    uint32_t params[DETECT_MAX][DETECT_MAX_PARAMS];
    /* Per hook, the enabled detectors that have it, in registry order: a
     * flow's records cost a call per detector that wants them, no more. */
    uint8_t hooked[HOOK_MAX][DETECT_MAX];
    uint8_t nhooked[HOOK_MAX];
};

static int has_hook(const struct detector *d, enum hook h)
{
    switch (h) {
    case HOOK_START:
        return d->on_start != NULL;
    case HOOK_CLASSIFIED:
        return d->on_classified != NULL;
    case HOOK_EVENT:
        return d->on_event != NULL;
    case HOOK_END:
        return d->on_end != NULL;
    default:
        return d->tick != NULL;
    }
}

static void index_hooks(struct detect_engine *e)
{
    for (int h = 0; h < HOOK_MAX; h++) {
        e->nhooked[h] = 0;
        for (size_t i = 0; i < e->n; i++)
            if (e->enabled[i] && has_hook(detect_get(i), (enum hook)h))
                e->hooked[h][e->nhooked[h]++] = (uint8_t)i;
    }
}

/* The instance made for ops by an earlier detector, if any. */
static void *shared_state(const struct detect_engine *e, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (detect_get(j)->state == detect_get(i)->state) return e->state[j];
    return NULL;
}

static void *own_state(const struct detect_engine *e, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (detect_get(j)->state == detect_get(i)->state) return NULL;
    return e->state[i];
}

struct detect_engine *detect_create(const struct config *cfg)
{
    struct detect_engine *e = calloc(1, sizeof(*e));
    if (!e) return NULL;
    e->n = detect_count();
    for (size_t i = 0; i < e->n; i++) {
        const struct detect_state_ops *ops = detect_get(i)->state;
        if (!ops) continue;
        e->state[i] = shared_state(e, i);
        if (!e->state[i] && !(e->state[i] = ops->init())) {
            detect_destroy(e);
            return NULL;
        }
    }
    detect_configure(e, cfg);
    return e;
}

void detect_destroy(struct detect_engine *e)
{
    if (!e) return;
    for (size_t i = 0; i < e->n; i++) {
        void *s = own_state(e, i);
        if (s) detect_get(i)->state->free(s);
    }
    free(e);
}

void detect_configure(struct detect_engine *e, const struct config *cfg)
{
    for (size_t i = 0; i < e->n; i++) {
        const struct detector *d = detect_get(i);
        const struct detector_settings *s = cfg ? &cfg->detect.detectors[i] : NULL;
        e->enabled[i] = s ? s->enabled != 0 : !d->off_by_default;
        for (size_t j = 0; j < DETECT_MAX_PARAMS && d->params[j].name; j++)
            e->params[i][j] = s ? s->thresholds[j].value : d->params[j].def;
    }
    index_hooks(e);
}

int detect_enabled(const struct detect_engine *e, size_t i)
{
    return i < e->n && e->enabled[i];
}

/* Points ctx at detector i. */
static const struct detector *enter(struct detect_ctx *ctx, size_t i)
{
    struct detect_engine *e = ctx->engine;
    ctx->self = detect_get(i);
    ctx->index = (unsigned)i;
    ctx->state = e->state[i];
    ctx->params = e->params[i];
    return ctx->self;
}

/* Detector k of hook h, ctx pointed at it. */
static const struct detector *hooked(struct detect_ctx *ctx, enum hook h, uint8_t k)
{
    return enter(ctx, ctx->engine->hooked[h][k]);
}

void detect_flow_start(struct detect_ctx *ctx, struct flow *f)
{
    for (uint8_t k = 0; k < ctx->engine->nhooked[HOOK_START]; k++)
        hooked(ctx, HOOK_START, k)->on_start(ctx, f);
}

void detect_classified(struct detect_ctx *ctx, struct flow *f)
{
    for (uint8_t k = 0; k < ctx->engine->nhooked[HOOK_CLASSIFIED]; k++)
        hooked(ctx, HOOK_CLASSIFIED, k)->on_classified(ctx, f);
}

void detect_event(struct detect_ctx *ctx, struct flow *f, const struct dissect_event *ev)
{
    for (uint8_t k = 0; k < ctx->engine->nhooked[HOOK_EVENT]; k++)
        hooked(ctx, HOOK_EVENT, k)->on_event(ctx, f, ev);
}

void detect_flow_end(struct detect_ctx *ctx, struct flow *f)
{
    for (uint8_t k = 0; k < ctx->engine->nhooked[HOOK_END]; k++)
        hooked(ctx, HOOK_END, k)->on_end(ctx, f);
}

void detect_tick(struct detect_ctx *ctx)
{
    for (uint8_t k = 0; k < ctx->engine->nhooked[HOOK_TICK]; k++)
        hooked(ctx, HOOK_TICK, k)->tick(ctx);
}

uint32_t detect_param(const struct detect_ctx *ctx, size_t i)
{
    return i < DETECT_MAX_PARAMS ? ctx->params[i] : 0;
}

int detect_emit(struct detect_ctx *ctx, struct alert *a, struct flow *f)
{
    a->det = &ctx->self->info;
    a->det_index = ctx->index;
    return alerter_emit(ctx->alerter, a, f, ctx->now_us);
}

void detect_allowed_flow(struct detect_ctx *ctx, struct flow *f, const char *technique)
{
    f->policy_allowed = 1;
    alerter_allowed_flow(ctx->alerter, &ctx->self->info, f, technique, ctx->now_us);
}

int detect_alerted(const struct detect_ctx *ctx, const struct flow *f)
{
    return (int)((f->alerted >> ctx->index) & 1u);
}

int detect_severity(const struct detect_ctx *ctx, const struct flow *f, int base)
{
    uint16_t sz = f->zone[f->client], dz = f->zone[!f->client];
    int sev = base;
    if (sz != dz || zones_criticality(ctx->zones, dz) >= ZONE_CRIT_HIGH) sev = 1;
    if (zones_is_admin_host(ctx->zones, f->key.addr[f->client]) && sev < 3) sev++;
    return sev;
}

uint16_t detect_server_port(const struct flow *f)
{
    return f->key.port[!f->client];
}

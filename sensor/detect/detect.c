#include <string.h>

#include "config/config.h"
#include "detect.h"

extern struct detector detector_policy_violation;
extern struct detector detector_admin_protocol_cross_zone;
extern struct detector detector_new_edge;
extern struct detector detector_remote_service;
extern struct detector detector_remote_task;
extern struct detector detector_remote_wmi;
extern struct detector detector_remote_dcom;
extern struct detector detector_remote_registry;
extern struct detector detector_remote_log_clear;
extern struct detector detector_remote_shutdown;
extern struct detector detector_remote_persistence;
extern struct detector detector_rpc_discovery;
extern struct detector detector_dcsync;
extern struct detector detector_zerologon;
extern struct detector detector_auth_coercion;
extern struct detector detector_share_discovery;
extern struct detector detector_account_discovery;
extern struct detector detector_smb_admin_share;
extern struct detector detector_lateral_tool_transfer;
extern struct detector detector_smb_ransomware;
extern struct detector detector_password_spray;
extern struct detector detector_kerberoast;
extern struct detector detector_internal_scan;
extern struct detector detector_ndpi_risk;

static struct detector *registry[] = {
    &detector_policy_violation,
    &detector_admin_protocol_cross_zone,
    &detector_new_edge,
    &detector_remote_service,
    &detector_remote_task,
    &detector_remote_wmi,
    &detector_remote_dcom,
    &detector_remote_registry,
    &detector_remote_log_clear,
    &detector_remote_shutdown,
    &detector_remote_persistence,
    &detector_rpc_discovery,
    &detector_dcsync,
    &detector_zerologon,
    &detector_auth_coercion,
    &detector_share_discovery,
    &detector_account_discovery,
    &detector_smb_admin_share,
    &detector_lateral_tool_transfer,
    &detector_smb_ransomware,
    &detector_password_spray,
    &detector_kerberoast,
    &detector_internal_scan,
    &detector_ndpi_risk,
};
#define NDETECTORS (sizeof(registry) / sizeof(registry[0]))
/* One bit per detector in struct flow's alerted mask. */
_Static_assert(NDETECTORS <= 64, "more detectors than alerted bits");

static uint8_t disabled[NDETECTORS];

size_t detect_count(void)
{
    return NDETECTORS;
}

struct detector *detect_get(size_t i)
{
    if (i >= NDETECTORS) return NULL;
    registry[i]->info.index = (unsigned)i;
    return registry[i];
}

struct detector *detect_find(const char *id)
{
    for (size_t i = 0; i < NDETECTORS; i++)
        if (strcmp(registry[i]->info.id, id) == 0) return detect_get(i);
    return NULL;
}

void detect_set_enabled(const char *id, int enabled)
{
    struct detector *d = detect_find(id);
    if (d) disabled[d->info.index] = !enabled;
}

int detect_enabled(const struct detector *d)
{
    return !disabled[d->info.index];
}

void detect_configure(const struct config *cfg)
{
    for (size_t i = 0; i < NDETECTORS; i++) {
        const struct detector_settings *s = config_detector(cfg, registry[i]->info.id);
        disabled[i] = s && !s->enabled;
    }
}

void detect_flow_start(struct detect_ctx *ctx, struct flow *f)
{
    for (size_t i = 0; i < NDETECTORS; i++) {
        struct detector *d = detect_get(i);
        if (d->on_start && detect_enabled(d)) d->on_start(ctx, f);
    }
}

void detect_classified(struct detect_ctx *ctx, struct flow *f)
{
    for (size_t i = 0; i < NDETECTORS; i++) {
        struct detector *d = detect_get(i);
        if (d->on_classified && detect_enabled(d)) d->on_classified(ctx, f);
    }
}

void detect_event(struct detect_ctx *ctx, struct flow *f, const struct dissect_event *ev)
{
    for (size_t i = 0; i < NDETECTORS; i++) {
        struct detector *d = detect_get(i);
        if (d->on_event && detect_enabled(d)) d->on_event(ctx, f, ev);
    }
}

void detect_flow_end(struct detect_ctx *ctx, struct flow *f)
{
    for (size_t i = 0; i < NDETECTORS; i++) {
        struct detector *d = detect_get(i);
        if (d->on_end && detect_enabled(d)) d->on_end(ctx, f);
    }
}

void detect_tick(struct detect_ctx *ctx)
{
    for (size_t i = 0; i < NDETECTORS; i++) {
        struct detector *d = detect_get(i);
        if (d->tick && detect_enabled(d)) d->tick(ctx);
    }
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

double detect_param(const struct detect_ctx *ctx, const char *detector, const char *name,
                    double def)
{
    const struct detector_settings *d = ctx->cfg ? config_detector(ctx->cfg, detector) : NULL;
    uint32_t v = d ? config_threshold(d, name) : 0;
    return v ? (double)v : def;
}

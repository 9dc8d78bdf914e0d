/* Zone detectors: policy_violation and admin_protocol_cross_zone. Both
 * decide once, when the flow's application is final. */
#include <stdio.h>
#include <ndpi_api.h>

#include "detect.h"

static void policy_violation(struct detect_ctx *ctx, struct flow *f)
{
    uint16_t sz = f->zone[f->client], dz = f->zone[!f->client];
    uint16_t port = detect_server_port(f);
    const char *rule;
    if (policy_check(ctx->policy, sz, dz, f->cls.master, f->cls.app, port, &rule) != POLICY_DENY)
        return;
    char sig[256], app[64];
    classify_proto_name(ctx->cls, f, app, sizeof(app));
    snprintf(sig, sizeof(sig), "VIGIE Segmentation policy violation %s -> %s (%s)",
             zones_name(ctx->zones, sz), zones_name(ctx->zones, dz), app);
    struct alert a = {
        .signature = sig,
        .severity = detect_severity(ctx, f, 2),
        .policy = "deny",
    };
    alert_add_str(&a, "app", app);
    alert_add_num(&a, "server_port", port);
    alert_add_str(&a, "rule", "default deny");
    detect_emit(ctx, &a, f);
}

const struct detector detector_policy_violation = {
    .info = {.id = "policy_violation",
             .sid = 9100100,
             .category = "Policy Violation",
             .techniques = {"TA0008"},
             .severity = 2},
    .on_classified = policy_violation,
};

/* Remote administration protocols, by nDPI id, with the ATT&CK
 * technique each one is. WinRM has no nDPI id: HTTP on 5985/5986. */
static const struct {
    uint16_t ndpi_id;
    uint16_t port; /* 0: any */
    const char *name, *technique;
    uint32_t variant;
} admin_protocols[] = {
    {NDPI_PROTOCOL_SMBV23, 0, "SMB", "T1021.002", 1},
    {NDPI_PROTOCOL_SMBV1, 0, "SMB", "T1021.002", 1},
    {NDPI_PROTOCOL_RDP, 0, "RDP", "T1021.001", 2},
    {NDPI_PROTOCOL_HTTP, 5985, "WinRM", "T1021.006", 3},
    {NDPI_PROTOCOL_HTTP, 5986, "WinRM", "T1021.006", 3},
    {NDPI_PROTOCOL_TLS, 5986, "WinRM", "T1021.006", 3},
    {NDPI_PROTOCOL_SSH, 0, "SSH", "T1021.004", 4},
    {NDPI_PROTOCOL_DCERPC, 0, "DCE-RPC", "T1021", 5},
    {NDPI_PROTOCOL_VNC, 0, "VNC", "T1021.005", 6},
    {NDPI_PROTOCOL_TELNET, 0, "Telnet", "T1021", 7},
};

static void admin_cross_zone(struct detect_ctx *ctx, struct flow *f)
{
    uint16_t sz = f->zone[f->client], dz = f->zone[!f->client];
    /* Without payload no protocol was spoken (a scan probe, whose
     * application nDPI can only guess from the port): no administration
     * happened; policy_violation and internal_scan report the attempt. */
    if (sz == dz || !f->payload) return;
    uint16_t port = detect_server_port(f);
    for (size_t i = 0; i < sizeof(admin_protocols) / sizeof(admin_protocols[0]); i++) {
        const __typeof__(admin_protocols[0]) *p = &admin_protocols[i];
        if (f->cls.master != p->ndpi_id && f->cls.app != p->ndpi_id) continue;
        if (p->port && p->port != port) continue;
        const char *rule;
        enum policy_verdict v =
            policy_check(ctx->policy, sz, dz, f->cls.master, f->cls.app, port, &rule);
        /* Allowed by policy: a fact of the flow, not an alert. */
        if (v == POLICY_ALLOW) {
            detect_allowed_flow(ctx, f, p->technique);
            return;
        }
        char sig[256];
        snprintf(sig, sizeof(sig), "VIGIE %s remote administration across zones %s -> %s", p->name,
                 zones_name(ctx->zones, sz), zones_name(ctx->zones, dz));
        const char *tech[4] = {p->technique};
        struct alert a = {
            .variant = p->variant,
            .signature = sig,
            .techniques = tech,
            .severity = detect_severity(ctx, f, 2),
            .policy = policy_verdict_name(v),
        };
        alert_add_str(&a, "protocol", p->name);
        alert_add_num(&a, "server_port", port);
        detect_emit(ctx, &a, f);
        return;
    }
}

const struct detector detector_admin_protocol_cross_zone = {
    .info = {.id = "admin_protocol_cross_zone",
             .sid = 9100200,
             .category = "Lateral Movement",
             .techniques = {"T1021"},
             .severity = 2},
    .on_classified = admin_cross_zone,
};

/* new_edge: with a baseline (the allow rules of a policy file included
 * from the config, typically learned with --learn), a cross-zone edge none
 * of them covers. */
static void new_edge(struct detect_ctx *ctx, struct flow *f)
{
    uint16_t sz = f->zone[f->client], dz = f->zone[!f->client];
    uint16_t port = detect_server_port(f);
    if (sz == dz || policy_baseline_count(ctx->policy) == 0 ||
        policy_edge_known(ctx->policy, sz, dz, f->cls.master, f->cls.app, port))
        return;
    char sig[256], app[64];
    classify_proto_name(ctx->cls, f, app, sizeof(app));
    snprintf(sig, sizeof(sig), "VIGIE New edge %s -> %s (%s) not in the baseline",
             zones_name(ctx->zones, sz), zones_name(ctx->zones, dz), app);
    const char *rule;
    struct alert a = {
        .signature = sig,
        .severity = detect_severity(ctx, f, 3) == 1 ? 2 : 3,
        .policy = policy_verdict_name(
            policy_check(ctx->policy, sz, dz, f->cls.master, f->cls.app, port, &rule)),
    };
    alert_add_str(&a, "app", app);
    alert_add_num(&a, "server_port", port);
    detect_emit(ctx, &a, f);
}

const struct detector detector_new_edge = {
    .info = {.id = "new_edge",
             .sid = 9102400,
             .category = "Policy Violation",
             .techniques = {"TA0008"},
             .severity = 3},
    .on_classified = new_edge,
};

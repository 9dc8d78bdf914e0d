/* DCE-RPC technique detectors (SPEC section 7): every decision comes from
 * the rows of rpc_table.c for the (interface, opnum) of a request; this
 * file only says how each detector uses them:
 *   - "act" detectors alert on an RPC_ACT call; an RPC_CONTEXT call (a WMI
 *     login, a registry read) is reported once, when the connection ends,
 *     unless an RPC_ACT call already alerted on it;
 *   - counted detectors keep, per source, a two-bucket sliding count of
 *     calls (or the set of hosts called) over their window; an RPC_ZONE
 *     call across zones, or a request whose arguments name a privileged
 *     group (samr_args.c), alerts at once;
 *   - dcsync alerts on replication calls unless both ends are domain
 *     controllers.
 * Per-source and per-connection state is fixed-size: a table of sources
 * with LRU eviction within a probe window, and a table of pending reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcerpc.h"
#include "detect.h"
#include "hosttab.h"
#include "rpc_table.h"
#include "samr_args.h"

enum rpc_mode {
    MODE_ACT,      /* alert per call */
    MODE_CALLS,    /* count calls per source */
    MODE_HOSTS,    /* count hosts called per source */
    MODE_ATTEMPTS, /* count attempts per source (zerologon) */
    MODE_DCSYNC,   /* replication from or to a non domain controller */
};

/* Parameters of the counted modes: the count (calls, hosts, attempts),
 * then the window. */
enum { RPC_COUNT_P, RPC_WINDOW };

struct rpc_detector {
    const struct detector *d;
    enum rpc_mode mode;
    const char *what; /* signature text */
};

/* --- state ------------------------------------------------------------------ */

#define TRACK_SLOTS 2048u
#define TRACK_PROBE 8u
#define TRACK_HOSTS 32u
#define TRACK_TECH 4u

#define DEFER_SLOTS 512u /* power of two */
#define DEFER_PROBE 8u
#define DEFER_STALE_US (3600ull * 1000000u)

/* A (detector, source) of the counted modes: a hosttab entry, whose values
 * are the hosts called (MODE_HOSTS). */
struct track {
    struct hosttab_rate calls;
    uint64_t alerted_us, quiet_until_us;
    const char *tech[TRACK_TECH];
};

/* A report deferred to the end of a connection. */
struct deferred {
    const struct detector *d; /* NULL: free */
    uint64_t flow_id, ts_us;
    struct rpc_match m;
    uint8_t uuid[16];
    uint16_t opnum;
    uint32_t calls;
    char pipe[32];
};

/* One instance for every DCE-RPC detector: they share the table of
 * sources and of pending reports, and the last lookup. */
struct rpc_state {
    struct {
        int valid, hit;
        uint8_t uuid[16];
        uint16_t opnum;
        struct rpc_match m;
    } last;
    struct hosttab *tracks;
    struct deferred deferred[DEFER_SLOTS];
    unsigned n_deferred;
};

static void rpc_free(void *state)
{
    struct rpc_state *s = state;
    hosttab_destroy(s->tracks);
    free(s);
}

/* Sources: keyed by (detector, address), found among TRACK_PROBE slots
 * from the address hash, the least recently used of them replaced. */
static void *rpc_init(void)
{
    struct rpc_state *s = calloc(1, sizeof(*s));
    struct hosttab_config c = {.slots = TRACK_SLOTS,
                               .probe = TRACK_PROBE,
                               .key_len = 17,
                               .value_size = sizeof(struct track),
                               .distinct = TRACK_HOSTS};
    if (s && !(s->tracks = hosttab_create(&c))) {
        free(s);
        return NULL;
    }
    return s;
}

static const struct detect_state_ops rpc_ops = {"DCE-RPC sources and pending reports", rpc_init,
                                                rpc_free};

/* --- table lookup --------------------------------------------------------- */

/* Every detector sees every event: the last lookup is kept. */
static int lookup(struct rpc_state *s, const struct dissect_event *ev, struct rpc_match *m)
{
    if (!s->last.valid || s->last.opnum != ev->u.rpc.opnum ||
        memcmp(s->last.uuid, ev->u.rpc.uuid, 16)) {
        s->last.valid = 1;
        s->last.opnum = ev->u.rpc.opnum;
        memcpy(s->last.uuid, ev->u.rpc.uuid, 16);
        s->last.hit = rpc_table_lookup(ev->u.rpc.uuid, ev->u.rpc.opnum, &s->last.m);
    }
    *m = s->last.m;
    return s->last.hit;
}

/* --- per-source tracking -------------------------------------------------- */

static uint32_t hash_addr(const uint8_t addr[16], uint32_t seed)
{
    uint32_t h = 2166136261u ^ seed;
    for (int i = 0; i < 16; i++)
        h = (h ^ addr[i]) * 16777619u;
    return h;
}

static struct track *track_get(struct hosttab *tab, unsigned det, const uint8_t addr[16],
                               uint64_t now)
{
    uint8_t key[17];
    key[0] = (uint8_t)det;
    memcpy(key + 1, addr, 16);
    int created;
    struct track *t = hosttab_get(tab, key, hash_addr(addr, det), now, &created);
    if (created) hosttab_rate_open(&t->calls, now);
    return t;
}

/* Records a host and returns how many distinct hosts were seen within the
 * window (at most TRACK_HOSTS), in whole seconds. */
static uint32_t track_hosts(struct hosttab *tab, struct track *t, const uint8_t host[16],
                            uint64_t now, uint32_t win_s)
{
    uint32_t now_s = (uint32_t)(now / 1000000u);
    int created;
    hosttab_value_add(tab, t, hash_addr(host, 0), now_s, &created);
    return hosttab_value_count(tab, t, now_s, win_s);
}

static void track_tech(struct track *t, const struct rpc_op *op)
{
    for (unsigned i = 0; i < RPC_MAX_TECHNIQUES && op->techniques[i]; i++) {
        unsigned j = 0;
        while (j < TRACK_TECH && t->tech[j] && strcmp(t->tech[j], op->techniques[i]))
            j++;
        if (j < TRACK_TECH && !t->tech[j]) t->tech[j] = op->techniques[i];
    }
}

/* --- reports deferred to the end of a connection -------------------------- */

static struct deferred *defer_find(struct rpc_state *s, const struct detector *d, unsigned index,
                                   uint64_t flow_id, int create, uint64_t now)
{
    uint32_t h = (uint32_t)(flow_id * 2654435761u) ^ index;
    struct deferred *free_slot = NULL;
    for (uint32_t i = 0; i < DEFER_PROBE; i++) {
        struct deferred *p = &s->deferred[(h + i) & (DEFER_SLOTS - 1)];
        if (p->d == d && p->flow_id == flow_id) return p;
        /* A report whose flow end never came (detector disabled since). */
        if (p->d && now > p->ts_us + DEFER_STALE_US) {
            p->d = NULL;
            s->n_deferred--;
        }
        if (!p->d && !free_slot) free_slot = p;
    }
    if (!create || !free_slot) return NULL;
    memset(free_slot, 0, sizeof(*free_slot));
    free_slot->d = d;
    free_slot->flow_id = flow_id;
    free_slot->ts_us = now;
    s->n_deferred++;
    return free_slot;
}

/* --- alerts ----------------------------------------------------------------- */

struct call {
    const struct rpc_match *m;
    const uint8_t *uuid;
    uint16_t opnum;
    const char *pipe;
    const struct samr_group *group; /* a privileged group its arguments name */
};

static void call_evidence(struct alert *a, const struct call *c, char uuid[37])
{
    dcerpc_uuid_format(c->uuid, uuid);
    alert_add_str(a, "interface", c->m->iface->name);
    alert_add_str(a, "uuid", uuid);
    alert_add_num(a, "opnum", c->opnum);
    if (c->m->op->function) alert_add_str(a, "function", c->m->op->function);
    if (c->pipe && c->pipe[0]) alert_add_str(a, "pipe", c->pipe);
    if (c->group) {
        alert_add_str(a, "group", c->group->name);
        alert_add_num(a, "rid", c->group->rid);
    }
}

/* One alert: signature "VIGIE <what>: <interface> <function>", the row's
 * techniques (or tech, for counted detectors), counts as evidence. */
static void rpc_alert(struct detect_ctx *ctx, struct flow *f, const struct rpc_detector *rd,
                      uint32_t variant, int sev_bonus, const struct call *c,
                      const char *const *tech, const char *count_key, uint32_t count,
                      double window_s)
{
    char sig[256], uuid[37], opnum[8];
    const char *fn = c->m->op->function;
    if (!fn) {
        snprintf(opnum, sizeof(opnum), "%u", c->opnum);
        fn = opnum;
    }
    snprintf(sig, sizeof(sig), "VIGIE %s: %s %s%s%s%s%s", rd->what, c->m->iface->name,
             c->m->op->function ? "" : "opnum ", fn, c->group ? " (" : "",
             c->group ? c->group->name : "", c->group ? ")" : "");
    const char *t[4] = {NULL, NULL, NULL, NULL};
    for (unsigned i = 0; i < 4 && tech && tech[i]; i++)
        t[i] = tech[i];
    int base = rd->d->info.severity + sev_bonus;
    struct alert a = {
        .variant = variant,
        .signature = sig,
        .techniques = t[0] ? t : NULL,
        .severity = detect_severity(ctx, f, base > 3 ? 3 : base),
    };
    call_evidence(&a, c, uuid);
    if (count_key) {
        alert_add_num(&a, count_key, count);
        if (window_s > 0) alert_add_num(&a, "window", (uint64_t)window_s);
    }
    detect_emit(ctx, &a, f);
}

static void op_techniques(const struct rpc_op *op, const char *out[4])
{
    memset(out, 0, 4 * sizeof(*out));
    for (unsigned i = 0; i < RPC_MAX_TECHNIQUES && op->techniques[i]; i++)
        out[i] = op->techniques[i];
}

/* roles.domain_controllers of the config: replication between two of them
 * is normal, from or to anything else it is DCSync or a rogue DC. */
static int is_domain_controller(const struct detect_ctx *ctx, const uint8_t addr[16])
{
    return zones_is_domain_controller(ctx->zones, addr);
}

/* --- the modes ---------------------------------------------------------------- */

static void mode_act(struct detect_ctx *ctx, struct flow *f, const struct rpc_detector *rd,
                     const struct call *c)
{
    const char *t[4];
    op_techniques(c->m->op, t);
    if (c->m->op->kind != RPC_CONTEXT) {
        rpc_alert(ctx, f, rd, 0, 0, c, t, NULL, 0, 0);
        return;
    }
    if (detect_alerted(ctx, f)) return;
    struct deferred *p = defer_find(ctx->state, rd->d, ctx->index, f->id, 1, ctx->now_us);
    if (!p) { /* table full: report now rather than never */
        rpc_alert(ctx, f, rd, 1, 1, c, t, "calls", 1, 0);
        return;
    }
    if (p->calls++ == 0) {
        p->m = *c->m;
        memcpy(p->uuid, c->uuid, 16);
        p->opnum = c->opnum;
        snprintf(p->pipe, sizeof(p->pipe), "%s", c->pipe ? c->pipe : "");
    }
}

static void mode_dcsync(struct detect_ctx *ctx, struct flow *f, const struct rpc_detector *rd,
                        const struct call *c)
{
    int cdc = is_domain_controller(ctx, f->key.addr[f->client]);
    int sdc = is_domain_controller(ctx, f->key.addr[!f->client]);
    if (cdc && sdc) return;
    const char *t[4];
    op_techniques(c->m->op, t);
    /* Variant 1: a DC replicating from a host that is not one (DCShadow). */
    rpc_alert(ctx, f, rd, cdc ? 1 : 0, 0, c, t, "client_is_dc", (uint32_t)cdc, 0);
}

static void mode_counted(struct detect_ctx *ctx, struct flow *f, const struct rpc_detector *rd,
                         const struct call *c)
{
    struct hosttab *tab = ((struct rpc_state *)ctx->state)->tracks;
    const char *count_name = rd->d->params[RPC_COUNT_P].name;
    uint32_t thr = detect_param(ctx, RPC_COUNT_P), win_s = detect_param(ctx, RPC_WINDOW);
    uint64_t win = (uint64_t)win_s * 1000000u, now = ctx->now_us;
    const uint8_t *src = f->key.addr[f->client];
    struct track *t = track_get(tab, ctx->index, src, now);
    const char *tech[4];
    op_techniques(c->m->op, tech);
    enum rpc_kind kind = c->m->op->kind;

    if (rd->mode == MODE_ATTEMPTS && kind == RPC_CONTEXT) {
        /* A password set shortly after a burst from the same client. */
        if (t->alerted_us && now - t->alerted_us <= 300000000u)
            rpc_alert(ctx, f, rd, 1, 0, c, tech, NULL, 0, 0);
        return;
    }
    int cross_zone = f->zone[f->client] != f->zone[!f->client];
    if (kind == RPC_ACT && rd->mode == MODE_CALLS) {
        /* Group membership listing: reported at once (variant 1). */
        rpc_alert(ctx, f, rd, 1, 1, c, tech, NULL, 0, 0);
        return;
    }
    if (kind == RPC_ACT && rd->mode == MODE_HOSTS && cross_zone) {
        rpc_alert(ctx, f, rd, 1, 0, c, tech, NULL, 0, 0);
    }
    if (c->group) {
        /* A privileged group named (variant 2). */
        rpc_alert(ctx, f, rd, 2, 0, c, tech, NULL, 0, 0);
    } else if (kind == RPC_ZONE && cross_zone) {
        /* A listing of the accounts from another zone (variant 3). */
        rpc_alert(ctx, f, rd, 3, 0, c, tech, NULL, 0, 0);
    }
    /* Context rows of a count of calls matter by their arguments only. */
    if (kind == RPC_CONTEXT) return;
    track_tech(t, c->m->op);
    uint32_t n = rd->mode == MODE_HOSTS ? track_hosts(tab, t, f->key.addr[!f->client], now, win_s)
                                        : hosttab_rate_add(&t->calls, now, win, 1);
    uint32_t need = rd->mode == MODE_HOSTS && thr > TRACK_HOSTS ? TRACK_HOSTS : thr;
    if (n < need || now < t->quiet_until_us) return;
    t->alerted_us = now;
    t->quiet_until_us = now + win;
    rpc_alert(ctx, f, rd, 0, 0, c, t->tech, count_name, n, win_s);
}

/* The privileged group a request's arguments name, when its row reads
 * them and its stub is clear. */
static const struct samr_group *request_group(const struct rpc_op *op,
                                              const struct dissect_event *ev)
{
    struct samr_stub s = {ev->u.rpc.stub, ev->u.rpc.stub_len, ev->u.rpc.ndr64,
                          ev->u.rpc.big_endian};
    uint32_t rid;
    if (!s.p) return NULL;
    switch (op->args) {
    case RPC_ARGS_SAMR_RID:
        return samr_open_rid(&s, &rid) == 0 ? samr_privileged_rid(rid) : NULL;
    case RPC_ARGS_SAMR_NAMES:
        return samr_lookup_privileged(&s);
    default:
        return NULL;
    }
}

static void on_rpc_event(struct detect_ctx *ctx, struct flow *f, const struct dissect_event *ev,
                         const struct rpc_detector *rd)
{
    if (ev->type != EV_DCERPC_REQUEST || !ev->u.rpc.uuid_known) return;
    struct rpc_match m;
    if (!lookup(ctx->state, ev, &m) || m.op->detector != rd->d) return;
    struct call c = {&m, ev->u.rpc.uuid, ev->u.rpc.opnum, ev->u.rpc.pipe, request_group(m.op, ev)};
    switch (rd->mode) {
    case MODE_ACT:
        mode_act(ctx, f, rd, &c);
        break;
    case MODE_DCSYNC:
        mode_dcsync(ctx, f, rd, &c);
        break;
    default:
        mode_counted(ctx, f, rd, &c);
        break;
    }
}

/* The end of a connection: its pending report, unless it already alerted. */
static void on_rpc_end(struct detect_ctx *ctx, struct flow *f, const struct rpc_detector *rd)
{
    struct rpc_state *s = ctx->state;
    if (s->n_deferred == 0) return;
    struct deferred *p = defer_find(s, rd->d, ctx->index, f->id, 0, ctx->now_us);
    if (!p) return;
    if (!detect_alerted(ctx, f)) {
        struct call c = {&p->m, p->uuid, p->opnum, p->pipe, NULL};
        const char *t[4];
        op_techniques(p->m.op, t);
        rpc_alert(ctx, f, rd, 1, 1, &c, t, "calls", p->calls, 0);
    }
    p->d = NULL;
    s->n_deferred--;
}

/* --- the detectors -------------------------------------------------------------- */

/* clang-format off */
#define RPC_HOOKS(name)                                                                      \
    static const struct rpc_detector desc_##name;                                            \
    static void name##_event(struct detect_ctx *ctx, struct flow *f,                         \
                             const struct dissect_event *ev)                                 \
    {                                                                                        \
        on_rpc_event(ctx, f, ev, &desc_##name);                                              \
    }                                                                                        \
    static void name##_end(struct detect_ctx *ctx, struct flow *f)                           \
    {                                                                                        \
        on_rpc_end(ctx, f, &desc_##name);                                                    \
    }

/* params: RPC_COUNTED(count name, default, window default) or RPC_ACTS. */
#define RPC_DETECTOR(name, sid_, cat, sev, params_, ...)                                     \
    const struct detector detector_##name = {                                                \
        .info = {.id = #name, .sid = sid_, .category = cat, .techniques = {__VA_ARGS__},     \
                 .severity = sev},                                                           \
        params_                                                                              \
        .state = &rpc_ops,                                                                   \
        .on_event = name##_event,                                                            \
        .on_end = name##_end,                                                                \
    }
#define RPC_COUNTED(count, def, window)                                                      \
    .params = {[RPC_COUNT_P] = {count, def, 1, 1000000}, [RPC_WINDOW] = {"window", window, 1, 86400}},
#define RPC_ACTS

/* clang-format on */

RPC_HOOKS(remote_service)
RPC_HOOKS(remote_task)
RPC_HOOKS(remote_wmi)
RPC_HOOKS(remote_dcom)
RPC_HOOKS(remote_registry)
RPC_HOOKS(remote_log_clear)
RPC_HOOKS(remote_shutdown)
RPC_HOOKS(remote_persistence)
RPC_HOOKS(rpc_discovery)
RPC_HOOKS(dcsync)
RPC_HOOKS(zerologon)
RPC_HOOKS(auth_coercion)
RPC_HOOKS(share_discovery)
RPC_HOOKS(account_discovery)

RPC_DETECTOR(remote_service, 9100600, "Execution", 2, RPC_ACTS, "T1569.002", "T1543.003");
RPC_DETECTOR(remote_task, 9100700, "Execution", 2, RPC_ACTS, "T1053.002", "T1053.005");
RPC_DETECTOR(remote_wmi, 9100800, "Execution", 2, RPC_ACTS, "T1047");
RPC_DETECTOR(remote_dcom, 9100900, "Lateral Movement", 2, RPC_ACTS, "T1021.003");
RPC_DETECTOR(remote_registry, 9101000, "Defense Evasion", 2, RPC_ACTS, "T1112", "T1012");
RPC_DETECTOR(remote_log_clear, 9101100, "Defense Evasion", 1, RPC_ACTS, "T1070.001");
RPC_DETECTOR(remote_shutdown, 9101200, "Impact", 1, RPC_ACTS, "T1529");
RPC_DETECTOR(remote_persistence, 9101300, "Persistence", 2, RPC_ACTS, "T1547.010", "T1547.004");
/* Alerts name the techniques of the rows called (at most ALERT_MAX_TECHNIQUES). */
RPC_DETECTOR(rpc_discovery, 9101400, "Discovery", 3, RPC_COUNTED("calls", 5, 300), "T1016", "T1018",
             "T1033", "T1049", "T1069", "T1082", "T1083", "T1124");
RPC_DETECTOR(dcsync, 9101500, "Credential Access", 1, RPC_ACTS, "T1003.006", "T1207");
RPC_DETECTOR(zerologon, 9101600, "Lateral Movement", 1, RPC_COUNTED("attempts", 20, 10), "T1210");
RPC_DETECTOR(auth_coercion, 9101700, "Credential Access", 1, RPC_ACTS, "T1187");
RPC_DETECTOR(share_discovery, 9101800, "Discovery", 2, RPC_COUNTED("hosts", 5, 300), "T1135");
RPC_DETECTOR(account_discovery, 9101900, "Discovery", 2, RPC_COUNTED("calls", 5, 300), "T1087.002");

/* How each detector uses its rows. */
/* clang-format off */
static const struct rpc_detector desc_remote_service =
    {&detector_remote_service, MODE_ACT, "Remote service created or started"};
static const struct rpc_detector desc_remote_task =
    {&detector_remote_task, MODE_ACT, "Remote scheduled task"};
static const struct rpc_detector desc_remote_wmi =
    {&detector_remote_wmi, MODE_ACT, "Remote WMI over DCOM"};
static const struct rpc_detector desc_remote_dcom =
    {&detector_remote_dcom, MODE_ACT, "Remote DCOM activation"};
static const struct rpc_detector desc_remote_registry =
    {&detector_remote_registry, MODE_ACT, "Remote registry access"};
static const struct rpc_detector desc_remote_log_clear =
    {&detector_remote_log_clear, MODE_ACT, "Remote event log cleared"};
static const struct rpc_detector desc_remote_shutdown =
    {&detector_remote_shutdown, MODE_ACT, "Remote shutdown requested"};
static const struct rpc_detector desc_remote_persistence =
    {&detector_remote_persistence, MODE_ACT, "Remote persistence call"};
static const struct rpc_detector desc_rpc_discovery =
    {&detector_rpc_discovery, MODE_CALLS, "DCE-RPC discovery calls"};
static const struct rpc_detector desc_dcsync =
    {&detector_dcsync, MODE_DCSYNC, "Directory replication from a non-DC"};
static const struct rpc_detector desc_zerologon =
    {&detector_zerologon, MODE_ATTEMPTS, "Netlogon authentication burst"};
static const struct rpc_detector desc_auth_coercion =
    {&detector_auth_coercion, MODE_ACT, "Authentication coercion call"};
static const struct rpc_detector desc_share_discovery =
    {&detector_share_discovery, MODE_HOSTS, "Network share enumeration"};
static const struct rpc_detector desc_account_discovery =
    {&detector_account_discovery, MODE_CALLS, "Domain account discovery"};
/* clang-format on */

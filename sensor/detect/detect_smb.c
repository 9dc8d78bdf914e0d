/* SMB technique detectors (SPEC section 7), from the SMB dissector's
 * events:
 *   - smb_admin_share: a tree connect to ADMIN$ or a hidden drive share;
 *   - lateral_tool_transfer: an executable written over SMB (PE header at
 *     offset 0, or an executable name created or written), with a variant
 *     for admin shares, the file-copy half of remote_service (PsExec);
 *   - smb_ransomware: one client writing, renaming or deleting many
 *     distinct files within a window, or replacing many originals by the
 *     same names under a new extension (ransom_pattern.h), however slowly.
 * The account of a flow (its last NTLM AUTHENTICATE) is kept in a small
 * table keyed by flow id so alerts can name it; the per-client file sets
 * of smb_ransomware are fixed-size too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect.h"
#include "hosttab.h"
#include "ransom_pattern.h"

#define USER_SLOTS 1024u /* power of two; a collision only loses a name */
#define USER_LEN 64
#define RW_CLIENTS 256u /* power of two */
#define RW_PROBE 8u
#define RW_FILES 128u /* distinct files remembered per client: the largest threshold */

enum { RW_FILES_MIN, RW_WINDOW, RW_RENAMED, RW_RENAMED_WINDOW };

/* smb_ransomware, per client (a hosttab entry); the distinct files it
 * changed are the entry's values. */
struct rw_client {
    uint32_t writes, renames, deletes;
};

/* One instance for the three detectors: each notes the account of a flow
 * (its last NTLM AUTHENTICATE), any of them names it in its alerts. */
struct smb_state {
    struct {
        uint64_t flow_id;
        uint8_t used;
        char user[USER_LEN], domain[USER_LEN];
    } users[USER_SLOTS];
    struct hosttab *clients;
    struct ransom_pattern *pattern;
};

static void smb_free(void *state)
{
    struct smb_state *s = state;
    hosttab_destroy(s->clients);
    ransom_pattern_destroy(s->pattern);
    free(s);
}

static void *smb_init(void)
{
    struct smb_state *s = calloc(1, sizeof(*s));
    struct hosttab_config c = {.slots = RW_CLIENTS,
                               .probe = RW_PROBE,
                               .key_len = 16,
                               .value_size = sizeof(struct rw_client),
                               .distinct = RW_FILES};
    if (s && (!(s->clients = hosttab_create(&c)) || !(s->pattern = ransom_pattern_create()))) {
        smb_free(s);
        return NULL;
    }
    return s;
}

static const struct detect_state_ops smb_ops = {"SMB accounts and ransomware clients", smb_init,
                                                smb_free};

/* --- the account of a flow ------------------------------------------------ */

static unsigned user_slot(uint64_t flow_id)
{
    return (unsigned)((flow_id * 0x9E3779B97F4A7C15ull) >> 54) & (USER_SLOTS - 1);
}

static void note_user(struct smb_state *s, const struct flow *f, const struct dissect_event *ev)
{
    if (ev->type != EV_NTLM_AUTH || !ev->u.auth.user || !ev->u.auth.user[0]) return;
    unsigned i = user_slot(f->id);
    s->users[i].used = 1;
    s->users[i].flow_id = f->id;
    snprintf(s->users[i].user, USER_LEN, "%s", ev->u.auth.user);
    snprintf(s->users[i].domain, USER_LEN, "%s", ev->u.auth.domain ? ev->u.auth.domain : "");
}

static void add_user(const struct smb_state *s, struct alert *a, const struct flow *f)
{
    unsigned i = user_slot(f->id);
    if (!s->users[i].used || s->users[i].flow_id != f->id) return;
    alert_add_str(a, "user", s->users[i].user);
    if (s->users[i].domain[0]) alert_add_str(a, "domain", s->users[i].domain);
}

static void forget_user(struct detect_ctx *ctx, struct flow *f)
{
    struct smb_state *s = ctx->state;
    unsigned i = user_slot(f->id);
    if (s->users[i].flow_id == f->id) s->users[i].used = 0;
}

/* --- shared ----------------------------------------------------------------- */

/* ADMIN$, or a drive letter and '$' (C$, D$, ...); never IPC$. */
static int is_admin_share(const char *share)
{
    if (!share) return 0;
    if (strcasecmp(share, "ADMIN$") == 0) return 1;
    return ((share[0] >= 'A' && share[0] <= 'Z') || (share[0] >= 'a' && share[0] <= 'z')) &&
           share[1] == '$' && share[2] == 0;
}

static const char *policy_of(const struct detect_ctx *ctx, const struct flow *f)
{
    if (!ctx->policy) return "none";
    const char *rule;
    return policy_verdict_name(policy_check(ctx->policy, f->zone[f->client], f->zone[!f->client],
                                            f->cls.master, f->cls.app, detect_server_port(f),
                                            &rule));
}

/* --- smb_admin_share ------------------------------------------------------ */

static void admin_share(struct detect_ctx *ctx, struct flow *f, const struct dissect_event *ev)
{
    note_user(ctx->state, f, ev);
    if (ev->type != EV_SMB_TREE_CONNECT || ev->status != 0 || !is_admin_share(ev->u.tree.share))
        return;
    char sig[160];
    snprintf(sig, sizeof(sig), "VIGIE SMB admin share %s connected", ev->u.tree.share);
    struct alert a = {
        .signature = sig,
        .severity = detect_severity(ctx, f, ctx->self->info.severity),
        .policy = policy_of(ctx, f),
    };
    alert_add_str(&a, "share", ev->u.tree.share);
    alert_add_str(&a, "path", ev->u.tree.path);
    if (ev->unanswered) alert_add_str(&a, "response", "unseen"); /* status unknown */
    add_user(ctx->state, &a, f);
    detect_emit(ctx, &a, f);
}

const struct detector detector_smb_admin_share = {
    .info = {.id = "smb_admin_share",
             .sid = 9100300,
             .category = "Lateral Movement",
             .techniques = {"T1021.002"},
             .severity = 2},
    .state = &smb_ops,
    .on_event = admin_share,
    .on_end = forget_user,
};

/* --- lateral_tool_transfer ------------------------------------------------ */

static int executable_name(const char *name)
{
    static const char *const ext[] = {".exe", ".dll", ".ps1", ".bat", ".cmd",
                                      ".vbs", ".scr", ".sys", ".hta", ".js"};
    const char *dot = name ? strrchr(name, '.') : NULL;
    if (!dot) return 0;
    for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
        if (strcasecmp(dot, ext[i]) == 0) return 1;
    return 0;
}

/* MS-SMB2 2.2.13 CreateDisposition values that make or replace a file:
 * SUPERSEDE, CREATE, OVERWRITE, OVERWRITE_IF (not OPEN, OPEN_IF). */
static int creates_file(uint32_t disposition)
{
    return disposition == 0 || disposition == 2 || disposition == 4 || disposition == 5;
}

/* What makes this event a transfer, or NULL. */
static const char *transfer_trigger(const struct dissect_event *ev)
{
    if (ev->type == EV_SMB_WRITE) {
        if (ev->u.file.pe_header) return "pe_header";
        if (executable_name(ev->u.file.name)) return "write";
    } else if (ev->type == EV_SMB_CREATE) {
        if (ev->status == 0 && creates_file(ev->u.file.disposition) &&
            executable_name(ev->u.file.name))
            return "create";
    }
    return NULL;
}

static void tool_transfer(struct detect_ctx *ctx, struct flow *f, const struct dissect_event *ev)
{
    note_user(ctx->state, f, ev);
    const char *trigger = transfer_trigger(ev);
    const char *share = ev->u.file.share;
    if (!trigger || (share && strcasecmp(share, "IPC$") == 0)) return;
    int admin = is_admin_share(share);
    const char *file = ev->u.file.name && ev->u.file.name[0] ? ev->u.file.name : "?";
    char sig[256];
    static const char *const admin_tech[4] = {"T1570", "T1569.002", "T1543.003"};
    if (admin)
        snprintf(sig, sizeof(sig),
                 "VIGIE Executable written to admin share %s (remote service): %s", share, file);
    else
        snprintf(sig, sizeof(sig), "VIGIE Executable transferred over SMB: %s", file);
    int base = admin ? 1 : ctx->self->info.severity;
    struct alert a = {
        .variant = admin ? 1 : 0,
        .signature = sig,
        .techniques = admin ? admin_tech : NULL,
        .severity = detect_severity(ctx, f, base),
        .policy = policy_of(ctx, f),
    };
    alert_add_str(&a, "file", file);
    if (share) alert_add_str(&a, "share", share);
    alert_add_str(&a, "trigger", trigger);
    if (admin) alert_add_str(&a, "admin_share", share);
    if (ev->type == EV_SMB_WRITE) alert_add_num(&a, "length", ev->u.file.length);
    if (ev->unanswered) alert_add_str(&a, "response", "unseen"); /* status unknown */
    add_user(ctx->state, &a, f);
    detect_emit(ctx, &a, f);
}

const struct detector detector_lateral_tool_transfer = {
    .info = {.id = "lateral_tool_transfer",
             .sid = 9100400,
             .category = "Lateral Movement",
             .techniques = {"T1570"},
             .severity = 2},
    .state = &smb_ops,
    .on_event = tool_transfer,
    .on_end = forget_user,
};

/* --- smb_ransomware ------------------------------------------------------- */

static uint32_t fnv(uint32_t h, const char *s, int fold)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (fold && c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
        h = (h ^ c) * 16777619u;
    }
    return h;
}

static uint32_t fnv_addr(const uint8_t addr[16])
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < 16; i++)
        h = (h ^ addr[i]) * 16777619u;
    return h;
}

static void ransomware_alert(struct detect_ctx *ctx, struct flow *f, struct rw_client *c,
                             uint32_t files, uint32_t win_s, const struct dissect_event *ev)
{
    char sig[160];
    snprintf(sig, sizeof(sig), "VIGIE SMB ransomware-like burst: %u files changed in %us", files,
             win_s);
    struct alert a = {
        .signature = sig,
        .severity = detect_severity(ctx, f, ctx->self->info.severity),
        .policy = policy_of(ctx, f),
    };
    alert_add_num(&a, "files", files);
    alert_add_num(&a, "writes", c->writes);
    alert_add_num(&a, "renames", c->renames);
    alert_add_num(&a, "deletes", c->deletes);
    alert_add_num(&a, "window", win_s);
    if (ev->u.file.share) alert_add_str(&a, "share", ev->u.file.share);
    alert_add_str(&a, "last_file", ev->u.file.name);
    add_user(ctx->state, &a, f);
    detect_emit(ctx, &a, f);
}

/* The re-extension pattern: its own variant, with examples. */
static void pattern_alert(struct detect_ctx *ctx, struct flow *f,
                          const struct ransom_pattern_hit *h, uint32_t win_s,
                          const struct dissect_event *ev)
{
    char sig[160];
    snprintf(sig, sizeof(sig),
             "VIGIE SMB ransomware-like re-extension: %u files rewritten under a new extension, "
             "originals removed",
             h->files);
    struct alert a = {
        .variant = 1,
        .signature = sig,
        .severity = detect_severity(ctx, f, ctx->self->info.severity),
        .policy = policy_of(ctx, f),
    };
    alert_add_str(&a, "trigger", "re-extension");
    alert_add_num(&a, "files", h->files);
    alert_add_num(&a, "deleted", h->deleted);
    alert_add_num(&a, "renamed", h->renamed);
    alert_add_num(&a, "window", win_s);
    alert_add_str(&a, "first_original", h->first_original);
    alert_add_str(&a, "first_new", h->first_new);
    alert_add_str(&a, "last_original", h->last_original);
    alert_add_str(&a, "last_new", h->last_new);
    if (ev->u.file.share) alert_add_str(&a, "share", ev->u.file.share);
    add_user(ctx->state, &a, f);
    detect_emit(ctx, &a, f);
}

static void volume(struct detect_ctx *ctx, struct flow *f, const struct dissect_event *ev)
{
    if (ev->type != EV_SMB_WRITE && ev->type != EV_SMB_RENAME && ev->type != EV_SMB_DELETE) return;
    if (!ev->u.file.name || !ev->u.file.name[0]) return;
    struct hosttab *t = ((struct smb_state *)ctx->state)->clients;
    uint32_t files_param = detect_param(ctx, RW_FILES_MIN);
    uint32_t win_param = detect_param(ctx, RW_WINDOW);
    uint32_t need = files_param > RW_FILES ? RW_FILES : files_param < 2 ? 2 : files_param;
    uint32_t win_s = win_param < 1 ? 1 : win_param;
    const uint8_t *addr = f->key.addr[f->client];
    int created;
    struct rw_client *c = hosttab_get(t, addr, fnv_addr(addr), ctx->now_us, &created);
    c->writes += ev->type == EV_SMB_WRITE;
    c->renames += ev->type == EV_SMB_RENAME;
    c->deletes += ev->type == EV_SMB_DELETE;
    /* Seconds: a file counts while seen less than win_s whole seconds ago. */
    uint32_t now_s = (uint32_t)(ctx->now_us / 1000000u);
    uint32_t hash = fnv(fnv(2166136261u, ev->u.file.share, 1), ev->u.file.name, 1);
    hosttab_value_add(t, c, hash, now_s, &created);
    uint32_t files = hosttab_value_count(t, c, now_s, win_s);
    if (files < need) return;
    ransomware_alert(ctx, f, c, files, win_s, ev);
    /* The next alert needs a new burst. */
    hosttab_value_clear(t, c);
    c->writes = c->renames = c->deletes = 0;
}

/* Two rules: the volume of files changed in a short window, and the
 * re-extension pattern over a long one. */
static void ransomware(struct detect_ctx *ctx, struct flow *f, const struct dissect_event *ev)
{
    struct smb_state *s = ctx->state;
    struct ransom_pattern_hit hit;
    uint32_t win_s = detect_param(ctx, RW_RENAMED_WINDOW);
    if (ransom_pattern_event(s->pattern, f->key.addr[f->client], ev, ctx->now_us,
                             detect_param(ctx, RW_RENAMED), win_s, &hit))
        pattern_alert(ctx, f, &hit, win_s, ev);
    volume(ctx, f, ev);
}

const struct detector detector_smb_ransomware = {
    .info = {.id = "smb_ransomware",
             .sid = 9100500,
             .category = "Impact",
             .techniques = {"T1486"},
             .severity = 1},
    .params = {[RW_FILES_MIN] = {"files", 50, 1, 1000000},
               [RW_WINDOW] = {"window", 60, 1, 86400},
               [RW_RENAMED] = {"renamed", 10, 2, RANSOM_PATTERN_MAX},
               [RW_RENAMED_WINDOW] = {"renamed_window", 86400, 1, 604800}},
    .state = &smb_ops,
    .on_event = ransomware,
};

/* Credential-access detectors fed by the Kerberos, SMB/NTLMSSP and HTTP
 * dissectors: password_spray (T1110.003) and kerberoast (T1558.003). Both
 * count distinct names (accounts, services) per source host in a sliding
 * window, in fixed tables: SOURCES hosts (least recently active one
 * replaced) of NAMES names each (oldest replaced). A threshold above NAMES
 * is treated as NAMES.
 *
 * password_spray counts, per requesting host, the accounts whose last
 * authentication attempt is "open or failed":
 *  - Kerberos AS-REQ without pre-authentication (RFC 4120 5.2.7.2) that no
 *    AS-REQ with pre-authentication for the same account followed. A real
 *    client answers KDC_ERR_PREAUTH_REQUIRED (25) at once with a
 *    pre-authenticated request; user enumeration (kerbrute userenum) never
 *    does, whatever the KDC answered (25 valid user, 6 unknown user);
 *  - KRB-ERROR KDC_ERR_C_PRINCIPAL_UNKNOWN (6), KDC_ERR_CLIENT_REVOKED (18,
 *    locked out), KDC_ERR_KEY_EXPIRED (23), KDC_ERR_PREAUTH_FAILED (24):
 *    wrong password guesses (kerbrute passwordspray) and unknown users;
 *  - NTLM AUTHENTICATE (EV_NTLM_AUTH) answered by a logon failure NT status
 *    (EV_AUTH_RESULT, or an SMB session setup response).
 * An AS-REP or a successful NTLM result for an account clears it. A KRB-ERROR
 * usually carries no cname: it is tied to the request of its flow.
 *
 * kerberoast counts, per requesting host, distinct service names of TGS-REQs
 * that ask for RC4-HMAC (etype 23, RFC 4757): RC4 listed first (impacket) or
 * no AES offered (Rubeus /rc4opsec, /enctype:rc4). Windows since Vista lists
 * AES first. Service classes of computer accounts (host, cifs, ldap, krbtgt,
 * gc, ...) are not counted: their keys are random machine passwords, not
 * worth roasting, and they are what a logon asks for. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "detect.h"

struct detector detector_password_spray;
struct detector detector_kerberoast;

#define SOURCES 128
#define NAMES 64
#define NAME_LEN 32
#define NOTES 1024
#define SAMPLE 6

#define F_OPEN 1   /* AS-REQ without pre-auth, not followed by one with */
#define F_FAILED 2 /* the KDC or the server said no */
#define F_NTLM 4   /* the failure was NTLM */
#define F_SEEN 8   /* kerberoast: service requested */

struct name_slot {
    uint64_t hash, last_us;
    uint8_t flags;
    char name[NAME_LEN];
};

struct source {
    uint8_t addr[16];
    uint8_t used;
    uint64_t last_us, quiet_until_us;
    struct name_slot names[NAMES];
};

struct source_table {
    struct source src[SOURCES];
};

/* What a flow's last request was, to tie a KRB-ERROR or an authentication
 * result to an account; direct-mapped by flow id, overwritten on collision. */
struct flow_note {
    uint64_t flow_id;
    uint8_t kind; /* 0 none, 1 Kerberos AS-REQ, 2 NTLM */
    char name[NAME_LEN];
};

static struct source_table spray, roast;
static struct flow_note notes[NOTES];

/* Case-insensitive FNV-1a: account and service names compare so in AD. */
static uint64_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)tolower((unsigned char)*s)) * 1099511628211ull;
    return h;
}

/* The entry of a host; with create, a new one replaces the least recently
 * active. */
static struct source *source_get(struct source_table *t, const uint8_t addr[16], uint64_t now,
                                 int create)
{
    struct source *victim = &t->src[0];
    for (int i = 0; i < SOURCES; i++) {
        struct source *s = &t->src[i];
        if (s->used && memcmp(s->addr, addr, 16) == 0) {
            s->last_us = now;
            return s;
        }
        if (!s->used || (victim->used && s->last_us < victim->last_us)) victim = s;
    }
    if (!create) return NULL;
    memset(victim, 0, sizeof(*victim));
    memcpy(victim->addr, addr, 16);
    victim->used = 1;
    victim->last_us = now;
    return victim;
}

/* The slot of a name; with create, a new one replaces the oldest. */
static struct name_slot *name_get(struct source *s, const char *name, uint64_t now, int create)
{
    uint64_t h = name_hash(name);
    struct name_slot *victim = &s->names[0];
    for (int i = 0; i < NAMES; i++) {
        struct name_slot *n = &s->names[i];
        if (n->hash == h && n->last_us) {
            n->last_us = now;
            return n;
        }
        if (n->last_us < victim->last_us) victim = n;
    }
    if (!create) return NULL;
    memset(victim, 0, sizeof(*victim));
    victim->hash = h;
    victim->last_us = now;
    snprintf(victim->name, sizeof(victim->name), "%s", name);
    return victim;
}

/* Names with any of the flags, seen inside the window; a sample of them. */
static int count_names(const struct source *s, uint8_t flags, uint64_t now, uint64_t window_us,
                       char *sample, size_t sample_len, int *ntlm)
{
    int n = 0, shown = 0;
    size_t o = 0;
    if (sample_len) sample[0] = 0;
    if (ntlm) *ntlm = 0;
    for (int i = 0; i < NAMES; i++) {
        const struct name_slot *x = &s->names[i];
        if (!x->last_us || !(x->flags & flags) || now - x->last_us > window_us) continue;
        n++;
        if (ntlm && (x->flags & F_NTLM)) (*ntlm)++;
        if (shown < SAMPLE && o < sample_len) {
            int w = snprintf(sample + o, sample_len - o, "%s%s", shown ? "," : "", x->name);
            if (w > 0) o += (size_t)w;
            shown++;
        }
    }
    return n;
}

static uint64_t window_us(struct detect_ctx *ctx, const char *id, double def)
{
    return (uint64_t)(detect_param(ctx, id, "window", def) * 1e6);
}

static int threshold(struct detect_ctx *ctx, const char *id, const char *name, double def)
{
    double v = detect_param(ctx, id, name, def);
    return v > NAMES ? NAMES : v < 1 ? 1 : (int)v;
}

/* The host that sent a request (or receives a response) of this event. */
static const uint8_t *requester(const struct flow *f, const struct dissect_event *ev, int request)
{
    int client_sent = ev->to_server;
    return f->key.addr[(request ? client_sent : !client_sent) ? f->client : !f->client];
}

static struct flow_note *note_of(const struct flow *f)
{
    return &notes[f->id % NOTES];
}

static void note_set(const struct flow *f, uint8_t kind, const char *name)
{
    struct flow_note *n = note_of(f);
    n->flow_id = f->id;
    n->kind = kind;
    snprintf(n->name, sizeof(n->name), "%s", name ? name : "");
}

static const char *note_name(const struct flow *f, uint8_t kind)
{
    const struct flow_note *n = note_of(f);
    return n->flow_id == f->id && n->kind == kind && n->name[0] ? n->name : NULL;
}

/* MS-ERREF 2.3.1: NT statuses that end a logon attempt with a refusal. */
static int logon_failure(uint32_t status)
{
    static const uint32_t codes[] = {
        0xC000006D, /* STATUS_LOGON_FAILURE */
        0xC000006A, /* STATUS_WRONG_PASSWORD */
        0xC0000064, /* STATUS_NO_SUCH_USER */
        0xC0000234, /* STATUS_ACCOUNT_LOCKED_OUT */
        0xC0000072, /* STATUS_ACCOUNT_DISABLED */
        0xC000006E, /* STATUS_ACCOUNT_RESTRICTION */
        0xC000006F, /* STATUS_INVALID_LOGON_HOURS */
        0xC0000070, /* STATUS_INVALID_WORKSTATION */
        0xC0000071, /* STATUS_PASSWORD_EXPIRED */
        0xC0000193, /* STATUS_ACCOUNT_EXPIRED */
        0xC0000224, /* STATUS_PASSWORD_MUST_CHANGE */
        0xC000015B, /* STATUS_LOGON_TYPE_NOT_GRANTED */
    };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (status == codes[i]) return 1;
    return 0;
}

/* RFC 4120 7.5.9 error codes that refuse the client itself. */
static int krb_client_failure(uint32_t code)
{
    return code == 6 || code == 18 || code == 23 || code == 24;
}

static void spray_check(struct detect_ctx *ctx, struct flow *f, struct source *s)
{
    const char *id = "password_spray";
    uint64_t win = window_us(ctx, id, 300);
    int need = threshold(ctx, id, "accounts", 10), ntlm;
    char sample[SAMPLE * NAME_LEN];
    int n = count_names(s, F_OPEN | F_FAILED, ctx->now_us, win, sample, sizeof(sample), &ntlm);
    if (n < need || ctx->now_us < s->quiet_until_us) return;
    s->quiet_until_us = ctx->now_us + win;
    int by_ntlm = ntlm * 2 > n;
    char sig[160];
    snprintf(sig, sizeof(sig), "VIGIE Password spraying: %s authentication refused for %d accounts",
             by_ntlm ? "NTLM" : "Kerberos", n);
    struct alert a = {
        .det = &detector_password_spray.info,
        .variant = (uint32_t)by_ntlm,
        .signature = sig,
        .severity = detect_severity(ctx, f, 2),
    };
    alert_add_num(&a, "accounts", (uint64_t)n);
    alert_add_num(&a, "kerberos_accounts", (uint64_t)(n - ntlm));
    alert_add_num(&a, "ntlm_accounts", (uint64_t)ntlm);
    alert_add_str(&a, "sample_accounts", sample);
    alert_add_num(&a, "window_s", win / 1000000u);
    alerter_emit(ctx->alerter, &a, f, ctx->now_us);
}

/* Sets and clears flags of an account of the host. Clearing alone never
 * takes a slot: accounts that log on fine are not worth remembering. */
static void spray_mark(struct detect_ctx *ctx, struct flow *f, const uint8_t *host,
                       const char *name, uint8_t set, uint8_t clear)
{
    if (!name || !name[0]) return;
    struct source *s = source_get(&spray, host, ctx->now_us, set != 0);
    struct name_slot *n = s ? name_get(s, name, ctx->now_us, set != 0) : NULL;
    if (!n) return;
    n->flags = (uint8_t)((n->flags & ~clear) | set);
    if (set) spray_check(ctx, f, s);
}

static void spray_event(struct detect_ctx *ctx, struct flow *f, const struct dissect_event *ev)
{
    const char *name;
    switch (ev->type) {
    case EV_KRB_AS_REQ:
        note_set(f, 1, ev->u.krb.cname);
        if (ev->u.krb.preauth)
            spray_mark(ctx, f, requester(f, ev, 1), ev->u.krb.cname, 0, F_OPEN);
        else
            spray_mark(ctx, f, requester(f, ev, 1), ev->u.krb.cname, F_OPEN, 0);
        break;
    case EV_KRB_TGS_REQ:
        note_set(f, 0, NULL);
        break;
    case EV_KRB_ERROR:
        if (!krb_client_failure(ev->status)) break;
        name = ev->u.krb.cname ? ev->u.krb.cname : note_name(f, 1);
        spray_mark(ctx, f, requester(f, ev, 0), name, F_FAILED, F_NTLM);
        break;
    case EV_NTLM_AUTH:
        if (ev->u.auth.user && ev->u.auth.user[0]) note_set(f, 2, ev->u.auth.user);
        break;
    case EV_SMB_SESSION_SETUP:
    case EV_AUTH_RESULT:
        /* A result names its account (Kerberos KDC-REP) or follows the
         * flow's NTLM AUTHENTICATE. */
        if (ev->to_server) break;
        name = ev->type == EV_AUTH_RESULT && ev->u.auth.user ? ev->u.auth.user : note_name(f, 2);
        if (ev->status == 0)
            spray_mark(ctx, f, requester(f, ev, 0), name, 0, F_OPEN | F_FAILED);
        else if (logon_failure(ev->status))
            spray_mark(ctx, f, requester(f, ev, 0), name, F_FAILED | F_NTLM, 0);
        break;
    default:
        break;
    }
}

struct detector detector_password_spray = {
    .info = {.id = "password_spray",
             .sid = 9102000,
             .category = "Credential Access",
             .techniques = {"T1110.003"},
             .severity = 2},
    .on_event = spray_event,
};

static int is_rc4(int32_t e)
{
    return e == 23 || e == 24 || e == -135; /* rc4-hmac, rc4-hmac-exp, rc4-hmac-old-exp */
}

static int asks_rc4(const struct dissect_event *ev)
{
    int rc4 = 0, aes = 0;
    for (int i = 0; i < ev->u.krb.netypes; i++) {
        int32_t e = ev->u.krb.etypes[i];
        rc4 |= is_rc4(e);
        aes |= e >= 17 && e <= 20; /* RFC 3962, RFC 8009 */
    }
    return rc4 && (is_rc4(ev->u.krb.etypes[0]) || !aes);
}

/* Service classes registered on computer accounts (MS-ADTS 5.1.1.4 and the
 * default SPNs of a domain member / DC). */
static int machine_service(const char *sname)
{
    static const char *const classes[] = {
        "krbtgt",
        "host",
        "cifs",
        "ldap",
        "gc",
        "restrictedkrbhost",
        "dns",
        "rpcss",
        "wsman",
        "termsrv",
        "kadmin",
        "dfsr-12f9a27c-bf97-4787-9364-d31b6c55eb04",
        "e3514235-4b06-11d1-ab04-00c04fc2dcd2",
    };
    const char *slash = strchr(sname, '/');
    size_t n = slash ? (size_t)(slash - sname) : strlen(sname);
    if (!slash) return n > 0 && sname[n - 1] == '$'; /* a computer account by name */
    for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
        if (strlen(classes[i]) == n && strncasecmp(sname, classes[i], n) == 0) return 1;
    return 0;
}

static void roast_event(struct detect_ctx *ctx, struct flow *f, const struct dissect_event *ev)
{
    if (ev->type != EV_KRB_TGS_REQ || !ev->u.krb.sname || !asks_rc4(ev) ||
        machine_service(ev->u.krb.sname))
        return;
    const char *id = "kerberoast";
    struct source *s = source_get(&roast, requester(f, ev, 1), ctx->now_us, 1);
    name_get(s, ev->u.krb.sname, ctx->now_us, 1)->flags |= F_SEEN;
    uint64_t win = window_us(ctx, id, 300);
    char sample[SAMPLE * NAME_LEN];
    int n = count_names(s, F_SEEN, ctx->now_us, win, sample, sizeof(sample), NULL);
    if (n < threshold(ctx, id, "services", 5) || ctx->now_us < s->quiet_until_us) return;
    s->quiet_until_us = ctx->now_us + win;
    char sig[160], etypes[96];
    size_t o = 0;
    etypes[0] = 0;
    for (int i = 0; i < ev->u.krb.netypes && o < sizeof(etypes); i++) {
        int w = snprintf(etypes + o, sizeof(etypes) - o, "%s%d", i ? "," : "", ev->u.krb.etypes[i]);
        if (w > 0) o += (size_t)w;
    }
    snprintf(sig, sizeof(sig), "VIGIE Kerberoasting: RC4 service tickets for %d services", n);
    struct alert a = {
        .det = &detector_kerberoast.info,
        .signature = sig,
        .severity = detect_severity(ctx, f, 2),
    };
    alert_add_num(&a, "services", (uint64_t)n);
    alert_add_str(&a, "sample_services", sample);
    alert_add_str(&a, "etypes", etypes);
    alert_add_str(&a, "realm", ev->u.krb.realm);
    alert_add_str(&a, "user", ev->u.krb.cname);
    alert_add_num(&a, "window_s", win / 1000000u);
    alerter_emit(ctx->alerter, &a, f, ctx->now_us);
}

struct detector detector_kerberoast = {
    .info = {.id = "kerberoast",
             .sid = 9102100,
             .category = "Credential Access",
             .techniques = {"T1558.003"},
             .severity = 2},
    .on_event = roast_event,
};

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
 * kerberoast counts, per requesting host, distinct services of TGS
 * exchanges that yield an RC4-HMAC (etype 23, RFC 4757) ticket to crack:
 *  - a TGS-REP whose ticket is RC4, whatever the request offered: the KDC
 *    picks the ticket's etype for the service's account, and one without
 *    AES keys gets RC4 even when the client lists AES first (Rubeus,
 *    impacket against such accounts);
 *  - a TGS-REQ that asks for RC4: RC4 listed first (impacket) or no AES
 *    offered (Rubeus /rc4opsec, /enctype:rc4), which Windows since Vista
 *    never sends; it counts when the reply is not seen (a capture of one
 *    direction) and does not need it. A reply with an AES ticket does not
 *    take it back: the tool asked for what it could crack.
 * Services of computer accounts (host, cifs, ldap, krbtgt, gc, ..., a name
 * ending in '$') are not counted: their keys are random machine passwords,
 * not worth roasting, and they are what a logon asks for. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect.h"
#include "hosttab.h"

#define SOURCES 128
#define NAMES 64
#define NAME_LEN 32
#define NOTES 1024
#define SAMPLE 6

#define F_OPEN 1    /* AS-REQ without pre-auth, not followed by one with */
#define F_FAILED 2  /* the KDC or the server said no */
#define F_NTLM 4    /* the failure was NTLM */
#define F_SEEN 8    /* kerberoast: service requested with RC4 first or only */
#define F_TICKET 16 /* kerberoast: an RC4 ticket for the service was returned */

/* Both detectors' parameters: a count of names, then the window. */
enum { KRB_COUNT, KRB_WINDOW };

/* Per source host (a hosttab entry); its names are the entry's values. */
struct source {
    uint64_t quiet_until_us;
};

struct name_slot {
    uint8_t flags;
    char name[NAME_LEN];
};

/* What a flow's last request was, to tie a KRB-ERROR or an authentication
 * result to an account; direct-mapped by flow id, overwritten on collision. */
struct flow_note {
    uint64_t flow_id;
    uint8_t kind; /* 0 none, 1 Kerberos AS-REQ, 2 NTLM */
    char name[NAME_LEN];
};

/* One instance per detector: its hosts and their names (roast leaves the
 * notes unused). */
struct krb_state {
    struct hosttab *sources;
    struct flow_note notes[NOTES];
};

static void krb_free(void *state)
{
    struct krb_state *s = state;
    hosttab_destroy(s->sources);
    free(s);
}

/* Every source host looked at (no hash: any slot), the least recently
 * active replaced (of equals the last placed, as these tables always did:
 * a full table of hosts seen at the same instant evicts the same one);
 * NAMES names each, the oldest replaced. */
static void *krb_init(void)
{
    struct krb_state *s = calloc(1, sizeof(*s));
    struct hosttab_config c = {.slots = SOURCES,
                               .probe = SOURCES,
                               .key_len = 16,
                               .value_size = sizeof(struct source),
                               .distinct = NAMES,
                               .item_size = sizeof(struct name_slot),
                               .ties_last = 1};
    if (s && !(s->sources = hosttab_create(&c))) {
        free(s);
        return NULL;
    }
    return s;
}

static const struct detect_state_ops spray_ops = {"password_spray sources", krb_init, krb_free};
static const struct detect_state_ops roast_ops = {"kerberoast sources", krb_init, krb_free};

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
static struct source *source_get(struct hosttab *t, const uint8_t addr[16], uint64_t now,
                                 int create)
{
    int created;
    return create ? hosttab_get(t, addr, 0, now, &created) : hosttab_find(t, addr, 0, now);
}

/* The slot of a name; with create, a new one replaces the oldest. */
static struct name_slot *name_get(struct hosttab *t, struct source *s, const char *name,
                                  uint64_t now, int create)
{
    uint64_t h = name_hash(name);
    if (!create) return hosttab_value_find(t, s, h, now);
    int created;
    struct name_slot *n = hosttab_value_add(t, s, h, now, &created);
    if (created) snprintf(n->name, sizeof(n->name), "%s", name);
    return n;
}

/* Names with any of the flags, seen inside the window; a sample of them. */
static int count_names(struct hosttab *t, struct source *s, uint8_t flags, uint64_t now,
                       uint64_t window_us, char *sample, size_t sample_len, int *ntlm)
{
    int n = 0, shown = 0;
    size_t o = 0;
    if (sample_len) sample[0] = 0;
    if (ntlm) *ntlm = 0;
    for (uint32_t i = 0; i < hosttab_values(t, s); i++) {
        const struct name_slot *x = hosttab_value_data(t, s, i);
        if (!(x->flags & flags) || now - hosttab_value_seen(t, s, i) > window_us) continue;
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

static uint64_t window_us(const struct detect_ctx *ctx)
{
    return (uint64_t)detect_param(ctx, KRB_WINDOW) * 1000000u;
}

static int threshold(const struct detect_ctx *ctx)
{
    uint32_t v = detect_param(ctx, KRB_COUNT);
    return v > NAMES ? NAMES : v < 1 ? 1 : (int)v;
}

/* The host that sent a request (or receives a response) of this event. */
static const uint8_t *requester(const struct flow *f, const struct dissect_event *ev, int request)
{
    int client_sent = ev->to_server;
    return f->key.addr[(request ? client_sent : !client_sent) ? f->client : !f->client];
}

static struct flow_note *note_of(struct krb_state *s, const struct flow *f)
{
    return &s->notes[f->id % NOTES];
}

static void note_set(struct krb_state *s, const struct flow *f, uint8_t kind, const char *name)
{
    struct flow_note *n = note_of(s, f);
    n->flow_id = f->id;
    n->kind = kind;
    snprintf(n->name, sizeof(n->name), "%s", name ? name : "");
}

static const char *note_name(struct krb_state *s, const struct flow *f, uint8_t kind)
{
    const struct flow_note *n = note_of(s, f);
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
    struct krb_state *st = ctx->state;
    uint64_t win = window_us(ctx);
    int need = threshold(ctx), ntlm;
    char sample[SAMPLE * NAME_LEN];
    int n = count_names(st->sources, s, F_OPEN | F_FAILED, ctx->now_us, win, sample, sizeof(sample),
                        &ntlm);
    if (n < need || ctx->now_us < s->quiet_until_us) return;
    s->quiet_until_us = ctx->now_us + win;
    int by_ntlm = ntlm * 2 > n;
    char sig[160];
    snprintf(sig, sizeof(sig), "VIGIE Password spraying: %s authentication refused for %d accounts",
             by_ntlm ? "NTLM" : "Kerberos", n);
    struct alert a = {
        .variant = (uint32_t)by_ntlm,
        .signature = sig,
        .severity = detect_severity(ctx, f, 2),
    };
    alert_add_num(&a, "accounts", (uint64_t)n);
    alert_add_num(&a, "kerberos_accounts", (uint64_t)(n - ntlm));
    alert_add_num(&a, "ntlm_accounts", (uint64_t)ntlm);
    alert_add_str(&a, "sample_accounts", sample);
    alert_add_num(&a, "window_s", win / 1000000u);
    detect_emit(ctx, &a, f);
}

/* Sets and clears flags of an account of the host. Clearing alone never
 * takes a slot: accounts that log on fine are not worth remembering. */
static void spray_mark(struct detect_ctx *ctx, struct flow *f, const uint8_t *host,
                       const char *name, uint8_t set, uint8_t clear)
{
    if (!name || !name[0]) return;
    struct krb_state *st = ctx->state;
    struct source *s = source_get(st->sources, host, ctx->now_us, set != 0);
    struct name_slot *n = s ? name_get(st->sources, s, name, ctx->now_us, set != 0) : NULL;
    if (!n) return;
    n->flags = (uint8_t)((n->flags & ~clear) | set);
    if (set) spray_check(ctx, f, s);
}

static void spray_event(struct detect_ctx *ctx, struct flow *f, const struct dissect_event *ev)
{
    struct krb_state *st = ctx->state;
    const char *name;
    switch (ev->type) {
    case EV_KRB_AS_REQ:
        note_set(st, f, 1, ev->u.krb.cname);
        if (ev->u.krb.preauth)
            spray_mark(ctx, f, requester(f, ev, 1), ev->u.krb.cname, 0, F_OPEN);
        else
            spray_mark(ctx, f, requester(f, ev, 1), ev->u.krb.cname, F_OPEN, 0);
        break;
    case EV_KRB_TGS_REQ:
        note_set(st, f, 0, NULL);
        break;
    case EV_KRB_ERROR:
        if (!krb_client_failure(ev->status)) break;
        name = ev->u.krb.cname ? ev->u.krb.cname : note_name(st, f, 1);
        spray_mark(ctx, f, requester(f, ev, 0), name, F_FAILED, F_NTLM);
        break;
    case EV_NTLM_AUTH:
        if (ev->u.auth.user && ev->u.auth.user[0]) note_set(st, f, 2, ev->u.auth.user);
        break;
    case EV_SMB_SESSION_SETUP:
    case EV_AUTH_RESULT:
        /* A result names its account (Kerberos KDC-REP) or follows the
         * flow's NTLM AUTHENTICATE. */
        if (ev->to_server) break;
        name =
            ev->type == EV_AUTH_RESULT && ev->u.auth.user ? ev->u.auth.user : note_name(st, f, 2);
        if (ev->status == 0)
            spray_mark(ctx, f, requester(f, ev, 0), name, 0, F_OPEN | F_FAILED);
        else if (logon_failure(ev->status))
            spray_mark(ctx, f, requester(f, ev, 0), name, F_FAILED | F_NTLM, 0);
        break;
    default:
        break;
    }
}

const struct detector detector_password_spray = {
    .info = {.id = "password_spray",
             .sid = 9102000,
             .category = "Credential Access",
             .techniques = {"T1110.003"},
             .severity = 2},
    .params =
        {[KRB_COUNT] = {"accounts", 10, 1, 1000000}, [KRB_WINDOW] = {"window", 300, 1, 86400}},
    .state = &spray_ops,
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

/* The service, client host and flag of an exchange worth counting, or
 * NULL. */
static const char *roast_service(const struct flow *f, const struct dissect_event *ev,
                                 const uint8_t **host, uint8_t *flag)
{
    const char *sname = NULL;
    if (ev->type == EV_KRB_TGS_REQ && asks_rc4(ev)) {
        sname = ev->u.krb.sname;
        *host = requester(f, ev, 1);
        *flag = F_SEEN;
    } else if (ev->type == EV_KRB_TGS_REP && is_rc4(ev->u.krb_rep.ticket_etype)) {
        sname = ev->u.krb_rep.sname;
        *host = requester(f, ev, 0);
        *flag = F_TICKET;
    }
    return sname && sname[0] && !machine_service(sname) ? sname : NULL;
}

/* What the event that completed the count says: the etypes offered, or
 * the ticket's and its client. */
static void roast_evidence(struct alert *a, const struct dissect_event *ev, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = 0;
    if (ev->type == EV_KRB_TGS_REP) {
        /* 23 or 24; the negative pre-standard RC4 numbers are left out. */
        if (ev->u.krb_rep.ticket_etype > 0)
            alert_add_num(a, "ticket_etype", (uint64_t)ev->u.krb_rep.ticket_etype);
        alert_add_str(a, "realm", ev->u.krb_rep.crealm);
        alert_add_str(a, "user", ev->u.krb_rep.cname);
        return;
    }
    for (int i = 0; i < ev->u.krb.netypes && o < len; i++) {
        int w = snprintf(buf + o, len - o, "%s%d", i ? "," : "", ev->u.krb.etypes[i]);
        if (w > 0) o += (size_t)w;
    }
    alert_add_str(a, "etypes", buf);
    alert_add_str(a, "realm", ev->u.krb.realm);
    alert_add_str(a, "user", ev->u.krb.cname);
}

static void roast_event(struct detect_ctx *ctx, struct flow *f, const struct dissect_event *ev)
{
    const uint8_t *host;
    uint8_t flag;
    const char *sname = roast_service(f, ev, &host, &flag);
    if (!sname) return;
    struct krb_state *st = ctx->state;
    struct source *s = source_get(st->sources, host, ctx->now_us, 1);
    name_get(st->sources, s, sname, ctx->now_us, 1)->flags |= flag;
    uint64_t win = window_us(ctx);
    char sample[SAMPLE * NAME_LEN];
    int n = count_names(st->sources, s, F_SEEN | F_TICKET, ctx->now_us, win, sample, sizeof(sample),
                        NULL);
    if (n < threshold(ctx) || ctx->now_us < s->quiet_until_us) return;
    s->quiet_until_us = ctx->now_us + win;
    int tickets = count_names(st->sources, s, F_TICKET, ctx->now_us, win, NULL, 0, NULL);
    char sig[160], etypes[96];
    snprintf(sig, sizeof(sig), "VIGIE Kerberoasting: RC4 service tickets for %d services", n);
    struct alert a = {
        .signature = sig,
        .severity = detect_severity(ctx, f, 2),
    };
    alert_add_num(&a, "services", (uint64_t)n);
    alert_add_num(&a, "rc4_tickets", (uint64_t)tickets);
    alert_add_str(&a, "sample_services", sample);
    roast_evidence(&a, ev, etypes, sizeof(etypes));
    alert_add_num(&a, "window_s", win / 1000000u);
    detect_emit(ctx, &a, f);
}

const struct detector detector_kerberoast = {
    .info = {.id = "kerberoast",
             .sid = 9102100,
             .category = "Credential Access",
             .techniques = {"T1558.003"},
             .severity = 2},
    .params = {[KRB_COUNT] = {"services", 5, 1, 1000000}, [KRB_WINDOW] = {"window", 300, 1, 86400}},
    .state = &roast_ops,
    .on_event = roast_event,
};

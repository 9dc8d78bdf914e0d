/* Kerberos V5 (RFC 4120) KDC exchanges over UDP and TCP, any port (88 in
 * practice): AS-REQ / TGS-REQ (5.4.1) -> EV_KRB_AS_REQ / EV_KRB_TGS_REQ,
 * KRB-ERROR (5.9.1) -> EV_KRB_ERROR, AS-REP / TGS-REP (5.4.2) ->
 * EV_AUTH_RESULT success for the client, then EV_KRB_AS_REP /
 * EV_KRB_TGS_REP with the ticket's service and the etypes the KDC chose.
 * Strings in events are what the message carries: a KRB-ERROR without
 * cname has a NULL cname (the detector ties it to the request it answers). */
#include <string.h>

#include "asn1.h"
#include "dissect.h"

/* Message types = APPLICATION tags (RFC 4120 5.10). */
#define KRB_AS_REQ 10
#define KRB_AS_REP 11
#define KRB_TGS_REQ 12
#define KRB_TGS_REP 13
#define KRB_ERROR 30

/* The engine buffers at most this much of a PDU (dissectors/engine.c
 * REASM_BUF): larger TCP records are read as a prefix. */
#define KRB_WAIT_MAX 2048u
/* RFC 4120 7.2.2 puts no bound on a record; real ones are a few KiB. */
#define KRB_MAX_RECORD (1u << 20)
/* Messages dissected per flow before letting go of it. */
#define KRB_MAX_MSGS 64

struct krb_msg {
    int type;
    int preauth;
    int64_t error_code;
    int32_t etypes[16];
    int netypes;
    int32_t ticket_etype, enc_etype; /* KDC-REP; 0 (reserved) if not seen */
    char cname[128], realm[128], sname[256], srealm[128];
};

/* Per TCP direction: where the stream is. */
struct krb_dir {
    uint32_t rec_left; /* phase 1: record bytes from the req-body on */
    uint8_t phase;     /* 0: at a record boundary, 1: after the padata of a large record */
    uint8_t msg_type, preauth;
};

struct krb_state {
    struct krb_dir dir[2]; /* 0: to server, 1: to client */
    uint8_t msgs;
};

static int is_msg_tag(uint32_t tag)
{
    return tag == KRB_AS_REQ || tag == KRB_AS_REP || tag == KRB_TGS_REQ || tag == KRB_TGS_REP ||
           tag == KRB_ERROR;
}

/* PA-DATA types that prove the client knows its key (RFC 4120 5.2.7.2:
 * PA-ENC-TIMESTAMP; RFC 4556: PKINIT; RFC 6113: FAST armor, whose content
 * is hidden, and PA-ENCRYPTED-CHALLENGE). */
static int is_preauth(int64_t type)
{
    return type == 2 || type == 14 || type == 16 || type == 136 || type == 138;
}

/* PrincipalName (RFC 4120 5.2.2): name-string components joined by '/'. */
static void principal_name(const struct asn1_tlv *explicit_tag, char *out, size_t out_len)
{
    struct cursor c = asn1_contents(explicit_tag), seq, names;
    struct asn1_tlv t, el;
    size_t o = 0;
    out[0] = 0;
    if (asn1_read_partial(&c, &t) != 0 || !asn1_is(&t, ASN1_UNIVERSAL, 1, ASN1_SEQUENCE)) return;
    seq = asn1_contents(&t);
    while (seq.left && asn1_read_partial(&seq, &el) == 0) {
        if (!asn1_is(&el, ASN1_CONTEXT, 1, 1)) continue; /* [0] name-type */
        names = asn1_contents(&el);
        if (asn1_read_partial(&names, &t) != 0 || !asn1_is(&t, ASN1_UNIVERSAL, 1, ASN1_SEQUENCE))
            return;
        struct cursor s = asn1_contents(&t);
        while (s.left && asn1_read(&s, &el) == 0 && o + 1 < out_len) {
            if (el.cls != ASN1_UNIVERSAL || el.constructed) return;
            if (o) out[o++] = '/';
            o += asn1_string_copy(el.val, el.avail, out + o, out_len - o);
        }
        return;
    }
}

static void realm_string(const struct asn1_tlv *explicit_tag, char *out, size_t out_len)
{
    struct cursor c = asn1_contents(explicit_tag);
    struct asn1_tlv t;
    out[0] = 0;
    if (asn1_read(&c, &t) == 0 && t.cls == ASN1_UNIVERSAL && !t.constructed)
        asn1_string_copy(t.val, t.avail, out, out_len);
}

static int64_t explicit_int(const struct asn1_tlv *explicit_tag, int *ok)
{
    struct cursor c = asn1_contents(explicit_tag);
    struct asn1_tlv t;
    int64_t v = 0;
    *ok = asn1_read(&c, &t) == 0 && asn1_integer(&t, &v) == 0;
    return v;
}

/* padata [3] SEQUENCE OF PA-DATA; PA-DATA ::= SEQUENCE { padata-type [1],
 * padata-value [2] } (RFC 4120 5.2.7). A PA-DATA cut short still gives
 * its type, which comes first. */
static void parse_padata(const struct asn1_tlv *explicit_tag, struct krb_msg *m)
{
    struct cursor c = asn1_contents(explicit_tag), seq;
    struct asn1_tlv t, pa;
    if (asn1_read_partial(&c, &t) != 0 || !asn1_is(&t, ASN1_UNIVERSAL, 1, ASN1_SEQUENCE)) return;
    seq = asn1_contents(&t);
    while (seq.left && asn1_read_partial(&seq, &pa) == 0) {
        if (!asn1_is(&pa, ASN1_UNIVERSAL, 1, ASN1_SEQUENCE)) return;
        struct cursor in = asn1_contents(&pa);
        int64_t type;
        if (asn1_context_int(&in, 1, &type) == 0 && is_preauth(type)) m->preauth = 1;
    }
}

/* etype [8] SEQUENCE OF Int32, client's preference order (RFC 4120 5.4.1). */
static void parse_etypes(const struct asn1_tlv *explicit_tag, struct krb_msg *m)
{
    struct cursor c = asn1_contents(explicit_tag), seq;
    struct asn1_tlv t;
    if (asn1_read(&c, &t) != 0 || !asn1_is(&t, ASN1_UNIVERSAL, 1, ASN1_SEQUENCE)) return;
    seq = asn1_contents(&t);
    while (seq.left && m->netypes < 16 && asn1_read(&seq, &t) == 0) {
        int64_t v;
        if (asn1_integer(&t, &v) != 0 || v < INT32_MIN || v > INT32_MAX) return;
        m->etypes[m->netypes++] = (int32_t)v;
    }
}

/* KDC-REQ-BODY (RFC 4120 5.4.1): kdc-options [0], cname [1], realm [2],
 * sname [3], from [4], till [5], rtime [6], nonce [7], etype [8], then
 * addresses, authorization data and tickets, which we do not need. Fields
 * past the end of what is present are simply absent. */
static void parse_req_body(const struct asn1_tlv *body, struct krb_msg *m)
{
    struct cursor c = asn1_contents(body), seq;
    struct asn1_tlv t, el;
    if (asn1_read_partial(&c, &t) != 0 || !asn1_is(&t, ASN1_UNIVERSAL, 1, ASN1_SEQUENCE)) return;
    seq = asn1_contents(&t);
    while (seq.left && asn1_read(&seq, &el) == 0) {
        if (el.cls != ASN1_CONTEXT || !el.constructed) return;
        if (el.tag == 1)
            principal_name(&el, m->cname, sizeof(m->cname));
        else if (el.tag == 2)
            realm_string(&el, m->realm, sizeof(m->realm));
        else if (el.tag == 3)
            principal_name(&el, m->sname, sizeof(m->sname));
        else if (el.tag == 8)
            parse_etypes(&el, m);
        else if (el.tag > 8)
            return;
    }
}

/* EncryptedData ::= SEQUENCE { etype [0] Int32, kvno [1] OPTIONAL, cipher
 * [2] } (RFC 4120 5.2.9): the etype, which comes first, or 0. */
static int32_t encrypted_etype(const struct asn1_tlv *explicit_tag)
{
    struct cursor c = asn1_contents(explicit_tag), seq;
    struct asn1_tlv t;
    int64_t v;
    if (asn1_read_partial(&c, &t) != 0 || !asn1_is(&t, ASN1_UNIVERSAL, 1, ASN1_SEQUENCE)) return 0;
    seq = asn1_contents(&t);
    if (asn1_context_int(&seq, 0, &v) != 0 || v < INT32_MIN || v > INT32_MAX) return 0;
    return (int32_t)v;
}

/* Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0], realm [1], sname [2],
 * enc-part [3] EncryptedData } (RFC 4120 5.3). The cipher may lie beyond
 * the bytes present: what precedes it is enough. */
static void parse_ticket(const struct asn1_tlv *explicit_tag, struct krb_msg *m)
{
    struct cursor c = asn1_contents(explicit_tag), seq;
    struct asn1_tlv t, el;
    if (asn1_read_partial(&c, &t) != 0 || !asn1_is(&t, ASN1_APPLICATION, 1, 1)) return;
    c = asn1_contents(&t);
    if (asn1_read_partial(&c, &t) != 0 || !asn1_is(&t, ASN1_UNIVERSAL, 1, ASN1_SEQUENCE)) return;
    seq = asn1_contents(&t);
    while (seq.left && asn1_read_partial(&seq, &el) == 0) {
        if (el.cls != ASN1_CONTEXT || !el.constructed) return;
        if (el.tag == 1) realm_string(&el, m->srealm, sizeof(m->srealm));
        if (el.tag == 2) principal_name(&el, m->sname, sizeof(m->sname));
        if (el.tag == 3) m->ticket_etype = encrypted_etype(&el);
    }
}

/* KDC-REP (5.4.2) after pvno, msg-type and padata [2]: crealm [3], cname
 * [4], ticket [5], enc-part [6]. A large ticket leaves enc-part out of a
 * prefix. */
static void parse_rep_field(const struct asn1_tlv *el, struct krb_msg *m)
{
    if (el->tag == 3) realm_string(el, m->realm, sizeof(m->realm));
    if (el->tag == 4) principal_name(el, m->cname, sizeof(m->cname));
    if (el->tag == 5) parse_ticket(el, m);
    if (el->tag == 6) m->enc_etype = encrypted_etype(el);
}

/* pvno and msg-type, the first two fields of every KDC message: pvno is
 * [1] in KDC-REQ (5.4.1) and [0] in KDC-REP and KRB-ERROR (5.4.2, 5.9.1). */
static int check_version(struct cursor *seq, uint32_t msg_tag)
{
    uint32_t first = (msg_tag == KRB_AS_REQ || msg_tag == KRB_TGS_REQ) ? 1 : 0;
    int64_t pvno, type;
    if (asn1_context_int(seq, first, &pvno) != 0 || pvno != 5) return -1;
    if (asn1_context_int(seq, first + 1, &type) != 0 || type != msg_tag) return -1;
    return 0;
}

/* Parses what is present of one message. Returns 0, or -1 if it is not a
 * KDC message. For a KDC-REQ whose req-body lies beyond the bytes present
 * (padata larger than the buffer) or is cut short, *body_off receives the
 * offset of the req-body from buf, else 0. */
static int parse_message(const uint8_t *buf, size_t len, struct krb_msg *m, size_t *body_off)
{
    struct cursor c = cursor_make(buf, len), seq;
    struct asn1_tlv app, t, el;
    memset(m, 0, sizeof(*m));
    if (body_off) *body_off = 0;
    if (asn1_read_partial(&c, &app) != 0 || app.cls != ASN1_APPLICATION || !app.constructed ||
        !is_msg_tag(app.tag))
        return -1;
    m->type = (int)app.tag;
    c = asn1_contents(&app);
    if (asn1_read_partial(&c, &t) != 0 || !asn1_is(&t, ASN1_UNIVERSAL, 1, ASN1_SEQUENCE)) return -1;
    seq = asn1_contents(&t);
    if (check_version(&seq, app.tag) != 0) return -1;
    int ok;
    while (seq.left && asn1_read_partial(&seq, &el) == 0) {
        if (el.cls != ASN1_CONTEXT || !el.constructed) return -1;
        if (m->type == KRB_AS_REQ || m->type == KRB_TGS_REQ) {
            if (el.tag == 3) parse_padata(&el, m);
            /* Cut short: the req-body is read again once it is present. */
            if (el.tag == 3 && el.avail < el.len && body_off)
                *body_off = (size_t)(el.val - buf) + el.len;
            if (el.tag == 4 && el.avail < el.len && body_off)
                *body_off = (size_t)(el.val - buf) - el.hdr_len;
            if (el.tag == 4) parse_req_body(&el, m);
        } else if (m->type == KRB_ERROR) {
            /* error-code [6], cname [8], realm [9], sname [10] (5.9.1). */
            if (el.tag == 6) m->error_code = explicit_int(&el, &ok);
            if (el.tag == 8) principal_name(&el, m->cname, sizeof(m->cname));
            if (el.tag == 9) realm_string(&el, m->realm, sizeof(m->realm));
            if (el.tag == 10) principal_name(&el, m->sname, sizeof(m->sname));
        } else {
            /* Large padata (PKINIT certificates): what follows may be
             * cut short, to be read again once present. */
            if (el.tag == 2 && body_off) *body_off = (size_t)(el.val - buf) + el.len;
            parse_rep_field(&el, m);
        }
    }
    return 0;
}

static const char *opt(const char *s)
{
    return s[0] ? s : NULL;
}

static void emit_message(struct dissect_ctx *dc, int to_server, const struct krb_msg *m)
{
    struct dissect_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.to_server = to_server;
    if (m->type == KRB_AS_REP || m->type == KRB_TGS_REP) {
        ev.type = EV_AUTH_RESULT;
        ev.u.auth.user = opt(m->cname);
        ev.u.auth.domain = opt(m->realm);
        dc->emit(dc, &ev);
        memset(&ev.u, 0, sizeof(ev.u));
        ev.type = m->type == KRB_AS_REP ? EV_KRB_AS_REP : EV_KRB_TGS_REP;
        ev.u.krb_rep.cname = opt(m->cname);
        ev.u.krb_rep.crealm = opt(m->realm);
        ev.u.krb_rep.sname = opt(m->sname);
        ev.u.krb_rep.srealm = opt(m->srealm);
        ev.u.krb_rep.ticket_etype = m->ticket_etype;
        ev.u.krb_rep.enc_etype = m->enc_etype;
    } else {
        ev.type = m->type == KRB_AS_REQ    ? EV_KRB_AS_REQ
                  : m->type == KRB_TGS_REQ ? EV_KRB_TGS_REQ
                                           : EV_KRB_ERROR;
        ev.status = m->type == KRB_ERROR ? (uint32_t)m->error_code : 0;
        ev.u.krb.cname = opt(m->cname);
        ev.u.krb.realm = opt(m->realm);
        ev.u.krb.sname = opt(m->sname);
        memcpy(ev.u.krb.etypes, m->etypes, sizeof(m->etypes));
        ev.u.krb.netypes = m->netypes;
        ev.u.krb.preauth = m->preauth;
    }
    dc->emit(dc, &ev);
}

/* A message begins here: APPLICATION tag of a KDC message whose length
 * fits, a SEQUENCE, pvno 5 and the matching msg-type. total is the size the
 * framing announces (TCP record), or 0 for a datagram of n bytes. */
static int looks_like_krb(const uint8_t *p, size_t n, size_t total)
{
    struct cursor c = cursor_make(p, n), seq;
    struct asn1_tlv app, t;
    if (asn1_read_header(&c, &app) != 0 || app.cls != ASN1_APPLICATION || !app.constructed ||
        !is_msg_tag(app.tag))
        return 0;
    size_t whole = app.hdr_len + app.len;
    if (total ? whole != total : whole != n) return 0;
    if (asn1_read_header(&c, &t) != 0 || !asn1_is(&t, ASN1_UNIVERSAL, 1, ASN1_SEQUENCE) ||
        t.hdr_len + t.len != app.len)
        return 0;
    seq = cursor_make(c.p, c.left);
    return check_version(&seq, app.tag) == 0;
}

static int probe(const struct dissect_flow_info *f, int to_server, const uint8_t *data, size_t len)
{
    (void)f, (void)to_server;
    if (len >= 4) {
        struct cursor c = cursor_make(data, len);
        uint32_t rec = cursor_be32(&c);
        /* RFC 4120 7.2.2: 4-octet big-endian length, high bit reserved. */
        if (rec > 0 && rec < KRB_MAX_RECORD && looks_like_krb(c.p, c.left, rec)) return 1;
    }
    return looks_like_krb(data, len, 0);
}

/* A record larger than the buffer, now full (len >= KRB_WAIT_MAX): parse
 * its prefix. A KDC-REQ whose padata (ticket, PKINIT certificates) fills
 * the buffer continues at its req-body, a KDC-REP whose padata leaves its
 * ticket out of the prefix after the padata; anything else is done with. */
static long large_record(struct dissect_ctx *dc, struct krb_dir *st, int to_server,
                         const uint8_t *data, size_t len, size_t total)
{
    struct krb_msg m;
    size_t body_off;
    if (parse_message(data + 4, len - 4, &m, &body_off) != 0) return DISSECT_STOP;
    /* A KDC-REP prefix that reached the ticket's etype has all we read. */
    if ((m.type == KRB_AS_REP || m.type == KRB_TGS_REP) && m.ticket_etype != 0) body_off = 0;
    if (body_off == 0 || 4 + body_off >= total) {
        emit_message(dc, to_server, &m);
        return (long)total;
    }
    st->phase = 1;
    st->msg_type = (uint8_t)m.type;
    st->preauth = (uint8_t)m.preauth;
    st->rec_left = (uint32_t)(total - 4 - body_off);
    return (long)(4 + body_off);
}

/* Phase 1 of a large KDC-REQ: data starts at its req-body [4]. */
static long req_body(struct dissect_ctx *dc, struct krb_dir *st, int to_server, const uint8_t *data,
                     size_t len)
{
    struct cursor c = cursor_make(data, len);
    struct asn1_tlv body;
    size_t need = st->rec_left;
    if (asn1_read_header(&c, &body) != 0) return len >= 8 ? DISSECT_STOP : 0;
    if (!asn1_is(&body, ASN1_CONTEXT, 1, 4)) return DISSECT_STOP;
    if (body.hdr_len + body.len < need) need = body.hdr_len + body.len;
    if (len < need && len < KRB_WAIT_MAX) return 0;
    struct krb_msg m;
    memset(&m, 0, sizeof(m));
    m.type = st->msg_type;
    m.preauth = st->preauth;
    c = cursor_make(data, len);
    if (asn1_read_partial(&c, &body) == 0) parse_req_body(&body, &m);
    emit_message(dc, to_server, &m);
    st->phase = 0;
    return (long)st->rec_left;
}

/* Phase 1 of a large KDC-REP: data starts after its padata, at crealm. */
static long rep_rest(struct dissect_ctx *dc, struct krb_dir *st, int to_server, const uint8_t *data,
                     size_t len)
{
    size_t need = st->rec_left;
    if (len < need && len < KRB_WAIT_MAX) return 0;
    struct cursor c = cursor_make(data, len < need ? len : need);
    struct asn1_tlv el;
    struct krb_msg m;
    memset(&m, 0, sizeof(m));
    m.type = st->msg_type;
    if (asn1_read_partial(&c, &el) != 0 || !asn1_is(&el, ASN1_CONTEXT, 1, 3)) return DISSECT_STOP;
    do {
        if (el.cls != ASN1_CONTEXT || !el.constructed) break;
        parse_rep_field(&el, &m);
    } while (c.left && asn1_read_partial(&c, &el) == 0);
    emit_message(dc, to_server, &m);
    st->phase = 0;
    return (long)st->rec_left;
}

/* TCP: records of a 4-octet length and a message (RFC 4120 7.2.2). */
static long parse_tcp(struct dissect_ctx *dc, struct krb_state *st, int to_server,
                      const uint8_t *data, size_t len)
{
    struct krb_dir *d = &st->dir[!to_server];
    if (d->phase == 1 && (d->msg_type == KRB_AS_REP || d->msg_type == KRB_TGS_REP))
        return rep_rest(dc, d, to_server, data, len);
    if (d->phase == 1) return req_body(dc, d, to_server, data, len);
    if (len < 4) return 0;
    struct cursor c = cursor_make(data, len);
    uint32_t rec = cursor_be32(&c);
    if (rec == 0 || rec >= KRB_MAX_RECORD) return DISSECT_STOP; /* high bit: extensions */
    size_t total = 4 + (size_t)rec;
    if (total > len && (total <= KRB_WAIT_MAX || len < KRB_WAIT_MAX)) return 0;
    st->msgs++;
    if (total > len) return large_record(dc, d, to_server, data, len, total);
    struct krb_msg m;
    if (parse_message(data + 4, rec, &m, NULL) != 0) return DISSECT_STOP;
    emit_message(dc, to_server, &m);
    return (long)total;
}

static long parse(struct dissect_ctx *dc, void *state, int to_server, const uint8_t *data,
                  size_t len)
{
    struct krb_state *st = state;
    if (st->msgs >= KRB_MAX_MSGS) return DISSECT_STOP;
    if (dc->flow->proto == 6) return parse_tcp(dc, st, to_server, data, len);
    /* UDP: one message per datagram, possibly cut by the snap length or
     * IP fragmentation: what is present is used. */
    struct krb_msg m;
    st->msgs++;
    if (parse_message(data, len, &m, NULL) != 0) return (long)len;
    emit_message(dc, to_server, &m);
    return (long)len;
}

/* Bytes were lost: the stream restarts at what should be a record. */
static void gap(void *state, int to_server)
{
    struct krb_state *st = state;
    st->dir[!to_server].phase = 0;
}

const struct dissector dissector_kerberos = {
    .name = "kerberos",
    .transports = DISSECT_TCP | DISSECT_UDP,
    .probe = probe,
    .state_size = sizeof(struct krb_state),
    .parse = parse,
    .gap = gap,
};

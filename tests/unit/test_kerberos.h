/* What test_kerberos.c and test_kerberos_rep.c share: a small DER builder
 * of Kerberos messages (RFC 4120 5), the events the dissector emits as
 * recorded copies, and a flow through the real engine. Included by one
 * test file at a time: the helpers are static inline, so that a file using
 * only some of them compiles without unused-function warnings. */
#ifndef VIGIE_TEST_KERBEROS_H
#define VIGIE_TEST_KERBEROS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine.h"

extern const struct dissector dissector_kerberos;

/* ---- a small DER builder for hand-made messages (RFC 4120 5) ---- */

struct kbuf {
    uint8_t b[65536];
    size_t n;
};

static inline void put(struct kbuf *b, const void *p, size_t n)
{
    assert_true(b->n + n <= sizeof(b->b));
    memcpy(b->b + b->n, p, n);
    b->n += n;
}

/* Puts an identifier and length before the bytes [from, n). */
static inline void wrap(struct kbuf *b, size_t from, uint8_t id)
{
    size_t len = b->n - from, h = len < 128 ? 2 : len < 256 ? 3 : len < 65536 ? 4 : 5;
    assert_true(b->n + h <= sizeof(b->b));
    memmove(b->b + from + h, b->b + from, len);
    uint8_t *p = b->b + from;
    p[0] = id;
    if (h == 2) p[1] = (uint8_t)len;
    for (size_t i = 2; i < h; i++)
        p[i] = (uint8_t)(len >> (8 * (h - 1 - i)));
    if (h > 2) p[1] = (uint8_t)(0x80 | (h - 2));
    b->n += h;
}

static inline void put_int(struct kbuf *b, int64_t v)
{
    uint8_t t[10];
    int n = 1;
    while (n < 8 && (v < -(INT64_C(1) << (8 * n - 1)) || v >= (INT64_C(1) << (8 * n - 1))))
        n++;
    t[0] = 0x02, t[1] = (uint8_t)n;
    for (int i = 0; i < n; i++)
        t[2 + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    put(b, t, 2 + (size_t)n);
}

static inline void put_ctx_int(struct kbuf *b, uint8_t tag, int64_t v)
{
    size_t from = b->n;
    put_int(b, v);
    wrap(b, from, 0xa0 | tag);
}

static inline void put_ctx_str(struct kbuf *b, uint8_t tag, uint8_t type, const char *str)
{
    size_t from = b->n;
    put(b, str, strlen(str));
    wrap(b, from, type);
    wrap(b, from, 0xa0 | tag);
}

/* PrincipalName (5.2.2), components separated by '/'. */
static inline void put_principal(struct kbuf *b, uint8_t tag, const char *name)
{
    size_t from = b->n;
    put_ctx_int(b, 0, strchr(name, '/') ? 2 : 1);
    size_t names = b->n;
    for (const char *p = name;;) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p), s0 = b->n;
        put(b, p, len);
        wrap(b, s0, 0x1b);
        if (!e) break;
        p = e + 1;
    }
    wrap(b, names, 0x30);
    wrap(b, names, 0xa1);
    wrap(b, from, 0x30);
    wrap(b, from, 0xa0 | tag);
}

static inline void put_time(struct kbuf *b, uint8_t tag)
{
    size_t from = b->n;
    put(b, "20370913024805Z", 15);
    wrap(b, from, 0x18);
    wrap(b, from, 0xa0 | tag);
}

/* KDC-REQ (5.4.1). A PA-DATA of pad bytes stands for a ticket (PA-TGS-REQ)
 * or an encrypted timestamp; raw_cname replaces the cname encoding. */
static inline void build_req(struct kbuf *b, int type, const char *cname, const uint8_t *raw_cname,
                             size_t raw_len, const char *realm, const char *sname,
                             const int32_t *et, int net, size_t pad, int preauth)
{
    b->n = 0;
    put_ctx_int(b, 1, 5);
    put_ctx_int(b, 2, type);
    if (pad || preauth) {
        size_t pa = b->n, one = b->n;
        put_ctx_int(b, 1, preauth ? (type == 10 ? 2 : 1) : 128);
        size_t v = b->n;
        for (size_t i = 0; i < pad; i++)
            put(b, "\x5a", 1);
        wrap(b, v, 0x04);
        wrap(b, v, 0xa2);
        wrap(b, one, 0x30);
        wrap(b, pa, 0x30);
        wrap(b, pa, 0xa3);
    }
    size_t body = b->n;
    put(b, "\xa0\x07\x03\x05\x00\x40\x81\x00\x10", 9);
    if (cname) put_principal(b, 1, cname);
    if (raw_cname) {
        size_t c0 = b->n;
        put(b, raw_cname, raw_len);
        wrap(b, c0, 0xa1);
    }
    put_ctx_str(b, 2, 0x1b, realm);
    if (sname) put_principal(b, 3, sname);
    put_time(b, 5);
    put_ctx_int(b, 7, 0x2f440b72);
    size_t e0 = b->n;
    for (int i = 0; i < net; i++)
        put_int(b, et[i]);
    wrap(b, e0, 0x30);
    wrap(b, e0, 0xa8);
    wrap(b, body, 0x30);
    wrap(b, body, 0xa4);
    wrap(b, 0, 0x30);
    wrap(b, 0, (uint8_t)(0x60 | type));
}

static inline void krb_build_kdc_req(struct kbuf *b, int type, const char *cname, const char *realm,
                                     const char *sname, const int32_t *et, int net, size_t pad,
                                     int preauth)
{
    build_req(b, type, cname, NULL, 0, realm, sname, et, net, pad, preauth);
}

static inline void krb_build_kdc_req_raw_cname(struct kbuf *b, const uint8_t *raw, size_t n)
{
    static const int32_t et[] = {23};
    build_req(b, 10, NULL, raw, n, "R", "krbtgt/R", et, 1, 0, 0);
}

/* EncryptedData (5.2.9) of an etype, a kvno if non-zero and a cipher of
 * len bytes, as [tag]. */
static inline void put_encrypted(struct kbuf *b, uint8_t tag, int32_t etype, int kvno, size_t len)
{
    size_t ep = b->n;
    put_ctx_int(b, 0, etype);
    if (kvno) put_ctx_int(b, 1, kvno);
    size_t c = b->n;
    for (size_t i = 0; i < len; i++)
        put(b, "\xc3", 1);
    wrap(b, c, 0x04);
    wrap(b, c, 0xa2);
    wrap(b, ep, 0x30);
    wrap(b, ep, (uint8_t)(0xa0 | tag));
}

/* KDC-REP (5.4.2): a PA-DATA of padata bytes if any (PA-ETYPE-INFO2, or
 * PA-PK-AS-REP with PKINIT certificates when large), the ticket
 * (5.3) for sname in srealm encrypted with tkt_etype (cipher of tkt_len
 * bytes), the reply encrypted with enc_etype. */
static inline void krb_build_rep(struct kbuf *b, int type, const char *cname, const char *realm,
                                 const char *sname, const char *srealm, int32_t tkt_etype,
                                 size_t tkt_len, int32_t enc_etype, size_t padata)
{
    b->n = 0;
    put_ctx_int(b, 0, 5);
    put_ctx_int(b, 1, type);
    if (padata) {
        size_t pa = b->n;
        put_ctx_int(b, 1, padata > 100 ? 17 : 19);
        size_t v = b->n;
        for (size_t k = 0; k < padata; k++)
            put(b, "\x3c", 1);
        wrap(b, v, 0x04);
        wrap(b, v, 0xa2);
        wrap(b, pa, 0x30);
        wrap(b, pa, 0x30);
        wrap(b, pa, 0xa2);
    }
    put_ctx_str(b, 3, 0x1b, realm);
    put_principal(b, 4, cname);
    size_t t = b->n;
    put_ctx_int(b, 0, 5);
    put_ctx_str(b, 1, 0x1b, srealm);
    put_principal(b, 2, sname);
    put_encrypted(b, 3, tkt_etype, 2, tkt_len);
    wrap(b, t, 0x30);
    wrap(b, t, 0x61);
    wrap(b, t, 0xa5);
    put_encrypted(b, 6, enc_etype, 0, 2);
    wrap(b, 0, 0x30);
    wrap(b, 0, (uint8_t)(0x60 | type));
}

/* KDC-REP (5.4.2) with a minimal AES ticket. */
static inline void krb_build_kdc_rep(struct kbuf *b, int type, const char *cname, const char *realm)
{
    krb_build_rep(b, type, cname, realm, "krbtgt/CORP.LOCAL", realm, 18, 4, 18, 0);
}

/* KRB-ERROR (5.9.1). */
static inline void krb_build_error(struct kbuf *b, int code, const char *cname, const char *realm,
                                   const char *sname)
{
    b->n = 0;
    put_ctx_int(b, 0, 5);
    put_ctx_int(b, 1, 30);
    put_time(b, 4);
    put_ctx_int(b, 5, 347520);
    put_ctx_int(b, 6, code);
    if (cname) put_principal(b, 8, cname);
    put_ctx_str(b, 9, 0x1b, realm);
    put_principal(b, 10, sname);
    wrap(b, 0, 0x30);
    wrap(b, 0, 0x7e);
}

static inline size_t krb_tcp_record(const struct kbuf *b, uint8_t *out, size_t cap)
{
    assert_true(b->n + 4 <= cap);
    out[0] = (uint8_t)(b->n >> 24), out[1] = (uint8_t)(b->n >> 16);
    out[2] = (uint8_t)(b->n >> 8), out[3] = (uint8_t)b->n;
    memcpy(out + 4, b->b, b->n);
    return b->n + 4;
}

#define MAX_EVENTS 64

struct recorded {
    struct dissect_event ev;
    char cname[256], realm[256], sname[256], srealm[256];
};

static struct recorded events[MAX_EVENTS];
static int nevents;

static inline void copy_str(char *dst, const char *src, const char **field)
{
    if (!src) {
        *field = NULL;
        return;
    }
    snprintf(dst, 256, "%s", src);
    *field = dst;
}

static inline void record(void *ud, void *f, const struct dissect_event *ev)
{
    (void)ud, (void)f;
    if (nevents == MAX_EVENTS) return;
    struct recorded *r = &events[nevents++];
    r->ev = *ev;
    if (ev->type == EV_AUTH_RESULT) {
        copy_str(r->cname, ev->u.auth.user, &r->ev.u.auth.user);
        copy_str(r->realm, ev->u.auth.domain, &r->ev.u.auth.domain);
        return;
    }
    if (ev->type == EV_KRB_AS_REP || ev->type == EV_KRB_TGS_REP) {
        copy_str(r->cname, ev->u.krb_rep.cname, &r->ev.u.krb_rep.cname);
        copy_str(r->realm, ev->u.krb_rep.crealm, &r->ev.u.krb_rep.crealm);
        copy_str(r->sname, ev->u.krb_rep.sname, &r->ev.u.krb_rep.sname);
        copy_str(r->srealm, ev->u.krb_rep.srealm, &r->ev.u.krb_rep.srealm);
        return;
    }
    copy_str(r->cname, ev->u.krb.cname, &r->ev.u.krb.cname);
    copy_str(r->realm, ev->u.krb.realm, &r->ev.u.krb.realm);
    copy_str(r->sname, ev->u.krb.sname, &r->ev.u.krb.sname);
}

/* A flow through the real engine: probe, reassembly, parse contract. */
struct harness {
    struct dissect_engine *e;
    struct dissect_slot slot;
    struct dissect_flow_info f;
    uint32_t seq[2];
};

static inline void harness_init(struct harness *h, uint8_t proto)
{
    memset(h, 0, sizeof(*h));
    nevents = 0;
    h->e = dissect_create(record, NULL);
    h->f.proto = proto;
    h->seq[0] = 1000;
    h->seq[1] = 50000;
}

static inline void harness_send(struct harness *h, int to_server, const uint8_t *p, size_t n)
{
    struct dissect_segment seg = {
        .payload = p, .len = (uint32_t)n, .tcp_seq = h->seq[!to_server], .to_server = to_server};
    h->seq[!to_server] += (uint32_t)n;
    dissect_packet(h->e, &h->slot, &h->f, NULL, &seg);
}

static inline void harness_done(struct harness *h)
{
    dissect_flow_end(h->e, &h->slot, &h->f, NULL, 0);
    dissect_destroy(h->e);
}

static inline int hex_decode(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex) / 2;
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++)
        sscanf(hex + 2 * i, "%2hhx", &out[i]);
    return (int)n;
}

#endif

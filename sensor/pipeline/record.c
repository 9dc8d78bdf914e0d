/* Records of a batch in one growing buffer (record.h). */
#include <stdlib.h>
#include <string.h>

#include "record.h"

#define ALIGN8(n) (((n) + 7u) & ~(size_t)7u)

void recbuf_reset(struct recbuf *rb)
{
    rb->len = 0;
    rb->records = 0;
}

void recbuf_free(struct recbuf *rb)
{
    free(rb->buf);
    memset(rb, 0, sizeof(*rb));
}

/* Room for n more bytes at the end (the buffer doubles; once it holds the
 * largest batch it never moves again). */
static int reserve(struct recbuf *rb, size_t n)
{
    if (rb->max && rb->len + n > rb->max) {
        rb->failed = 1;
        return -1;
    }
    if (rb->len + n <= rb->cap) return 0;
    size_t cap = rb->cap ? rb->cap : 64 * 1024;
    while (cap < rb->len + n)
        cap *= 2;
    unsigned char *b = realloc(rb->buf, cap);
    if (!b) {
        rb->failed = 1;
        return -1;
    }
    rb->buf = b;
    rb->cap = cap;
    return 0;
}

/* The string fields of an event of its type (at most 4), for copying. */
static size_t strings_of(struct dissect_event *ev, const char ***s)
{
    switch (ev->type) {
    case EV_SMB_SESSION_SETUP:
    case EV_NTLM_AUTH:
    case EV_AUTH_RESULT:
        s[0] = &ev->u.auth.user, s[1] = &ev->u.auth.domain, s[2] = &ev->u.auth.workstation;
        return 3;
    case EV_SMB_TREE_CONNECT:
        s[0] = &ev->u.tree.path, s[1] = &ev->u.tree.share;
        return 2;
    case EV_SMB_CREATE:
    case EV_SMB_WRITE:
    case EV_SMB_RENAME:
    case EV_SMB_DELETE:
        s[0] = &ev->u.file.share, s[1] = &ev->u.file.name, s[2] = &ev->u.file.new_name;
        return 3;
    case EV_DCERPC_BIND:
    case EV_DCERPC_REQUEST:
        s[0] = &ev->u.rpc.pipe;
        return 1;
    case EV_KRB_AS_REQ:
    case EV_KRB_TGS_REQ:
    case EV_KRB_ERROR:
        s[0] = &ev->u.krb.cname, s[1] = &ev->u.krb.realm, s[2] = &ev->u.krb.sname;
        return 3;
    case EV_KRB_AS_REP:
    case EV_KRB_TGS_REP:
        s[0] = &ev->u.krb_rep.cname, s[1] = &ev->u.krb_rep.crealm;
        s[2] = &ev->u.krb_rep.sname, s[3] = &ev->u.krb_rep.srealm;
        return 4;
    case EV_RDP_REQUEST:
        s[0] = &ev->u.rdp.cookie;
        return 1;
    case EV_HTTP_REQUEST:
        s[0] = &ev->u.http.method, s[1] = &ev->u.http.uri;
        s[2] = &ev->u.http.host, s[3] = &ev->u.http.auth_scheme;
        return 4;
    default:
        return 0;
    }
}

static int has_stub(const struct dissect_event *ev)
{
    return ev->type == EV_DCERPC_REQUEST && ev->u.rpc.stub;
}

/* Pointers of a stored event are offsets from the record's start, plus
 * one (0 stays NULL). */
static const void *as_offset(size_t off)
{
    return (const void *)(uintptr_t)(off + 1);
}

struct record *record_put(struct recbuf *rb, enum record_type type, enum record_phase phase,
                          uint64_t seq, uint64_t ts_us, const struct flow *f,
                          const struct dissect_event *ev)
{
    size_t head = type == REC_EVENT ? sizeof(struct record) : offsetof(struct record, ev);
    size_t extra = 0;
    struct dissect_event copy;
    const char **s[4];
    size_t ns = 0;
    if (type == REC_EVENT) {
        copy = *ev;
        ns = strings_of(&copy, s);
        for (size_t i = 0; i < ns; i++)
            if (*s[i]) extra += strlen(*s[i]) + 1;
        if (has_stub(ev)) extra += ev->u.rpc.stub_len;
    }
    size_t len = ALIGN8(head + extra);
    if (reserve(rb, len) != 0) return NULL;
    unsigned char *base = rb->buf + rb->len;
    struct record *r = (struct record *)(void *)base;
    r->len = (uint32_t)len;
    r->type = (uint8_t)type;
    r->phase = (uint8_t)phase;
    r->reason = 0;
    r->seq = seq;
    r->ts_us = ts_us;
    r->flow = *f;
    r->flow.cls.ndpi = NULL;
    r->flow.dissect.state = NULL;
    if (type == REC_EVENT) {
        size_t at = head;
        for (size_t i = 0; i < ns; i++) {
            if (!*s[i]) continue;
            size_t n = strlen(*s[i]) + 1;
            memcpy(base + at, *s[i], n);
            *s[i] = as_offset(at);
            at += n;
        }
        if (has_stub(ev)) {
            memcpy(base + at, ev->u.rpc.stub, ev->u.rpc.stub_len);
            copy.u.rpc.stub = as_offset(at);
        }
        r->ev = copy;
    }
    rb->len += len;
    rb->records++;
    return r;
}

void record_event(const struct record *r, struct dissect_event *ev)
{
    const char *base = (const char *)r;
    *ev = r->ev;
    const char **s[4];
    size_t ns = strings_of(ev, s);
    for (size_t i = 0; i < ns; i++)
        if (*s[i]) *s[i] = base + ((uintptr_t)*s[i] - 1);
    if (has_stub(ev)) ev->u.rpc.stub = (const uint8_t *)base + ((uintptr_t)ev->u.rpc.stub - 1);
}

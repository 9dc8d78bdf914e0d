/* What test_smb.c and test_smb_limits.c share: events captured from the
 * SMB dissector, its parse() fed as the engine does, and builders of
 * NetBIOS-framed SMB2 / SMB1 messages (MS-SMB2 2.2, MS-SMB 2.2). Included
 * by one test file at a time: everything is static. */
#ifndef VIGIE_TEST_SMB_H
#define VIGIE_TEST_SMB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine.h"
#include "smb.h"

extern const struct dissector dissector_smb;

struct ev {
    enum dissect_event_type type;
    int to_server;
    uint32_t status;
    char a[256], b[256], c[256]; /* path/name/user, share/domain, new_name/workstation/pipe */
    uint64_t offset;
    uint32_t length, disposition;
    int pe;
    int uuid_known; /* EV_DCERPC_REQUEST: the context's interface is known */
    uint16_t dialect;
    int unanswered;
};

static struct ev evs[1024];
static int nev;

static void cp(char *dst, const char *src)
{
    snprintf(dst, 256, "%s", src ? src : "(null)");
}

static void record(const struct dissect_event *e)
{
    assert_true(nev < (int)(sizeof(evs) / sizeof(evs[0])));
    struct ev *v = &evs[nev++];
    memset(v, 0, sizeof(*v));
    v->type = e->type, v->to_server = e->to_server, v->status = e->status;
    v->unanswered = e->unanswered;
    if (e->type == EV_SMB_TREE_CONNECT) {
        cp(v->a, e->u.tree.path), cp(v->b, e->u.tree.share);
    } else if (e->type >= EV_SMB_CREATE && e->type <= EV_SMB_DELETE) {
        cp(v->a, e->u.file.name), cp(v->b, e->u.file.share), cp(v->c, e->u.file.new_name);
        v->offset = e->u.file.offset, v->length = e->u.file.length;
        v->disposition = e->u.file.disposition, v->pe = e->u.file.pe_header;
    } else if (e->type == EV_NTLM_AUTH || e->type == EV_AUTH_RESULT ||
               e->type == EV_SMB_SESSION_SETUP) {
        cp(v->a, e->u.auth.user), cp(v->b, e->u.auth.domain), cp(v->c, e->u.auth.workstation);
    } else if (e->type == EV_DCERPC_BIND || e->type == EV_DCERPC_REQUEST) {
        cp(v->c, e->u.rpc.pipe);
        v->length = e->u.rpc.opnum;
        v->uuid_known = e->u.rpc.uuid_known;
    } else if (e->type == EV_SMB_NEGOTIATE) {
        v->dialect = e->u.smb.dialect;
    }
}

static void emit(struct dissect_ctx *dc, const struct dissect_event *e)
{
    (void)dc;
    record(e);
}

static const struct ev *find(enum dissect_event_type t, int nth)
{
    for (int i = 0; i < nev; i++)
        if (evs[i].type == t && nth-- == 0) return &evs[i];
    return NULL;
}

static int count(enum dissect_event_type t)
{
    int n = 0;
    for (int i = 0; i < nev; i++)
        n += evs[i].type == t;
    return n;
}

/* ---- feeding the parser as the engine does ---- */

static void *st;
static struct dissect_ctx dc = {.emit = emit};

static int setup(void **state)
{
    (void)state;
    st = calloc(1, dissector_smb.state_size);
    nev = 0;
    return st ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    dissector_smb.release_state(st);
    free(st);
    return 0;
}

static void feed(int to_server, const uint8_t *d, size_t n)
{
    size_t off = 0;
    while (off < n) {
        long c = dissector_smb.parse(&dc, st, to_server, d + off, n - off);
        assert_true(c != DISSECT_STOP);
        if (c == 0) break;
        off += (size_t)c;
    }
}

static void finish(void)
{
    dissector_smb.end(&dc, st);
}

/* ---- message builders ---- */

struct buf {
    uint8_t b[80000];
    size_t n;
};

static struct buf B;

static void put(struct buf *b, const void *p, size_t n)
{
    assert_true(b->n + n <= sizeof(b->b));
    memcpy(b->b + b->n, p, n);
    b->n += n;
}

static void p8(struct buf *b, uint8_t v)
{
    put(b, &v, 1);
}

static void p16(struct buf *b, uint16_t v)
{
    p8(b, (uint8_t)v), p8(b, (uint8_t)(v >> 8));
}

static void p32(struct buf *b, uint32_t v)
{
    p16(b, (uint16_t)v), p16(b, (uint16_t)(v >> 16));
}

static void p64(struct buf *b, uint64_t v)
{
    p32(b, (uint32_t)v), p32(b, (uint32_t)(v >> 32));
}

static void zeros(struct buf *b, size_t n)
{
    while (n--)
        p8(b, 0);
}

static void utf16(struct buf *b, const char *s)
{
    for (; *s; s++)
        p16(b, (uint8_t)*s);
}

static size_t frame_begin(struct buf *b)
{
    size_t at = b->n;
    p32(b, 0);
    return at;
}

static void frame_end(struct buf *b, size_t at)
{
    size_t len = b->n - at - 4;
    b->b[at + 1] = (uint8_t)(len >> 16), b->b[at + 2] = (uint8_t)(len >> 8);
    b->b[at + 3] = (uint8_t)len;
}

#define FRAME(stmt)                                                                                \
    do {                                                                                           \
        size_t at_ = frame_begin(&B);                                                              \
        stmt;                                                                                      \
        frame_end(&B, at_);                                                                        \
    } while (0)

#define RSP 1u
#define RELATED 4u

/* MS-SMB2 2.2.1.2 sync header; returns its offset. */
static size_t hdr2(uint16_t cmd, uint64_t mid, uint32_t tree, uint32_t status, uint32_t flags)
{
    size_t at = B.n;
    put(&B, "\xfeSMB", 4);
    p16(&B, 64), p16(&B, 0), p32(&B, status), p16(&B, cmd), p16(&B, 1), p32(&B, flags);
    p32(&B, 0), p64(&B, mid), p32(&B, 0xfeff), p32(&B, tree), p64(&B, 0x1000000000001);
    zeros(&B, 16);
    return at;
}

static void tree_req(uint64_t mid, const char *path)
{
    hdr2(3, mid, 0, 0, 0);
    p16(&B, 9), p16(&B, 0), p16(&B, 72), p16(&B, (uint16_t)(2 * strlen(path)));
    utf16(&B, path);
}

static void tree_rsp(uint64_t mid, uint32_t tid, uint32_t status)
{
    hdr2(3, mid, tid, status, RSP);
    p16(&B, 16), p8(&B, 1), p8(&B, 0), p32(&B, 0), p32(&B, 0), p32(&B, 0x1f01ff);
}

static size_t create_req(uint64_t mid, uint32_t tid, const char *name, uint32_t disp,
                         uint32_t options, uint32_t flags)
{
    size_t at = hdr2(5, mid, tid, 0, flags);
    p16(&B, 57), p8(&B, 0), p8(&B, 0), p32(&B, 2), p64(&B, 0), p64(&B, 0);
    p32(&B, 0x12019f), p32(&B, 0x80), p32(&B, 7), p32(&B, disp), p32(&B, options);
    p16(&B, 120), p16(&B, (uint16_t)(2 * strlen(name))), p32(&B, 0), p32(&B, 0);
    utf16(&B, name);
    return at;
}

static void create_rsp(uint64_t mid, uint32_t tid, uint32_t status, uint64_t fid)
{
    hdr2(5, mid, tid, status, RSP);
    p16(&B, 89), zeros(&B, 62), p64(&B, fid), p64(&B, fid), p32(&B, 0), p32(&B, 0);
}

static size_t write_req(uint64_t mid, uint32_t tid, uint64_t fid, uint64_t off, const void *d,
                        uint32_t n, uint32_t flags)
{
    size_t at = hdr2(9, mid, tid, 0, flags);
    p16(&B, 49), p16(&B, 112), p32(&B, n), p64(&B, off), p64(&B, fid), p64(&B, fid);
    zeros(&B, 16);
    if (d) put(&B, d, n);
    return at;
}

static void rename_req(uint64_t mid, uint32_t tid, uint64_t fid, const char *new_name)
{
    hdr2(0x11, mid, tid, 0, 0);
    uint32_t len = (uint32_t)(20 + 2 * strlen(new_name));
    p16(&B, 33), p8(&B, 1), p8(&B, 10), p32(&B, len), p16(&B, 96), p16(&B, 0), p32(&B, 0);
    p64(&B, fid), p64(&B, fid);
    zeros(&B, 16), p32(&B, (uint32_t)(2 * strlen(new_name))), utf16(&B, new_name);
}

static void delete_req(uint64_t mid, uint32_t tid, uint64_t fid, uint8_t cls)
{
    hdr2(0x11, mid, tid, 0, 0);
    p16(&B, 33), p8(&B, 1), p8(&B, cls), p32(&B, 4), p16(&B, 96), p16(&B, 0), p32(&B, 0);
    p64(&B, fid), p64(&B, fid), p32(&B, 1);
}

static void ioctl_req(uint64_t mid, uint32_t tid, uint64_t fid, const void *d, uint32_t n)
{
    hdr2(0x0b, mid, tid, 0, 0);
    p16(&B, 57), p16(&B, 0), p32(&B, FSCTL_PIPE_TRANSCEIVE), p64(&B, fid), p64(&B, fid);
    p32(&B, 120), p32(&B, n), p32(&B, 0), p32(&B, 0), p32(&B, 0), p32(&B, 4280), p32(&B, 1);
    p32(&B, 0);
    put(&B, d, n);
}

static void session_req(uint64_t mid, const void *blob, uint16_t n)
{
    hdr2(1, mid, 0, 0, 0);
    p16(&B, 25), p8(&B, 0), p8(&B, 1), p32(&B, 0), p32(&B, 0), p16(&B, 88), p16(&B, n);
    p64(&B, 0);
    put(&B, blob, n);
}

/* MS-NLMP 2.2.1.3 AUTHENTICATE, Unicode, no VERSION. */
static size_t ntlm_auth(uint8_t *out, const char *user, const char *domain, const char *ws)
{
    struct buf *m = calloc(1, sizeof(*m));
    put(m, "NTLMSSP\0\3\0\0\0", 12);
    const char *s[3] = {domain, user, ws};
    uint32_t off = 64;
    zeros(m, 16); /* LM, NT responses: empty */
    for (int i = 0; i < 3; i++) {
        uint16_t n = (uint16_t)(2 * strlen(s[i]));
        p16(m, n), p16(m, n), p32(m, off);
        off += n;
    }
    zeros(m, 8), p32(m, 1); /* session key; NEGOTIATE_UNICODE */
    for (int i = 0; i < 3; i++)
        utf16(m, s[i]);
    size_t n = m->n;
    memcpy(out, m->b, n);
    free(m);
    return n;
}

/* C706 12.6.4.3: a bind to svcctl v2.0 with NDR. */
static const uint8_t rpc_bind[] = {
    5,    0,    11,   3,    0x10, 0,    0,    0,    72,   0,    0,    0,    1,    0,    0,
    0,    0xb8, 0x10, 0xb8, 0x10, 0,    0,    0,    0,    1,    0,    0,    0,    0,    0,
    1,    0,    0x81, 0xbb, 0x7a, 0x36, 0x44, 0x98, 0xf1, 0x35, 0xad, 0x32, 0x98, 0xf0, 0x38,
    0x00, 0x10, 0x03, 2,    0,    0,    0,    0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11,
    0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 2,    0,    0,    0};
/* C706 12.6.4.9: a request, context 0, opnum 12 (RCreateServiceW). */
static const uint8_t rpc_request[] = {5, 0, 0, 3, 0x10, 0, 0, 0, 28, 0, 0,    0,    2,    0,
                                      0, 0, 4, 0, 0,    0, 0, 0, 12, 0, 0xde, 0xad, 0xbe, 0xef};

/* MS-CIFS 2.2.3.1 header; returns its offset. */
static size_t hdr1(uint8_t cmd, uint32_t status, uint8_t flags, uint16_t tid, uint16_t mid)
{
    size_t at = B.n;
    put(&B, "\xffSMB", 4);
    p8(&B, cmd), p32(&B, status), p8(&B, flags), p16(&B, 0xc807), zeros(&B, 12);
    p16(&B, tid), p16(&B, 0xfeff), p16(&B, 0x800), p16(&B, mid);
    return at;
}

/* Tree 7 = "data"; file 0x42 = name. */
static void open_file(const char *share, const char *name, uint32_t disp, uint32_t options,
                      uint64_t fid)
{
    char path[128];
    snprintf(path, sizeof(path), "\\\\srv\\%s", share);
    B.n = 0;
    FRAME(tree_req(100, path));
    feed(1, B.b, B.n);
    B.n = 0;
    FRAME(tree_rsp(100, 7, 0));
    feed(0, B.b, B.n);
    B.n = 0;
    FRAME(create_req(101, 7, name, disp, options, 0));
    feed(1, B.b, B.n);
    B.n = 0;
    FRAME(create_rsp(101, 7, 0, fid));
    feed(0, B.b, B.n);
}

#endif

/* smb.c, smb1.c, smb2.c on hand-built messages: probe, SMB2 negotiate /
 * session setup (NTLMSSP) / tree connect / create / write / rename / delete
 * / compounds / named pipes to DCE-RPC / transform header; SMB1 AndX chains;
 * bounded tables; large writes and gaps through the real engine
 * (dissectors/engine.c); truncation at every length and hostile lengths. */
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

/* ---- captured events ---- */

struct ev {
    enum dissect_event_type type;
    int to_server;
    uint32_t status;
    char a[256], b[256], c[256]; /* path/name/user, share/domain, new_name/workstation/pipe */
    uint64_t offset;
    uint32_t length, disposition;
    int pe;
    uint16_t dialect;
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

static void session_rsp(uint64_t mid, uint32_t status)
{
    hdr2(1, mid, 0, status, RSP);
    p16(&B, 9), p16(&B, 0), p16(&B, 72), p16(&B, 0);
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

/* ---- tests ---- */

static void test_probe(void **state)
{
    (void)state;
    struct dissect_flow_info f = {.proto = 6};
    B.n = 0;
    FRAME(tree_req(1, "\\\\h\\s"));
    assert_true(dissector_smb.probe(&f, 1, B.b, B.n));
    B.b[4] = 0xff;
    assert_true(dissector_smb.probe(&f, 1, B.b, B.n));
    B.b[4] = 0xfd;
    assert_true(dissector_smb.probe(&f, 1, B.b, B.n));
    B.b[4] = 0xfa;
    assert_false(dissector_smb.probe(&f, 1, B.b, B.n));
    assert_false(dissector_smb.probe(&f, 1, (const uint8_t *)"GET / HTTP/1.1\r\n", 16));
    assert_false(dissector_smb.probe(&f, 1, B.b, 3));
    uint8_t req[72] = {0x81, 0, 0, 68, 32};
    memset(req + 5, 'E', 32);
    assert_true(dissector_smb.probe(&f, 1, req, sizeof(req)));
    /* Mid-stream: a boundary further on counts on the SMB ports only. */
    uint8_t mid[64] = {1, 2, 3, 0, 0, 0, 40, 0xfe, 'S', 'M', 'B'};
    assert_false(dissector_smb.probe(&f, 1, mid, sizeof(mid)));
    f.server_port = 445;
    assert_true(dissector_smb.probe(&f, 1, mid, sizeof(mid)));
}

static void test_session_and_tree(void **state)
{
    (void)state;
    uint8_t blob[512];
    size_t n = ntlm_auth(blob, "alice", "CORP", "WS01");
    B.n = 0;
    FRAME(hdr2(0, 0, 0, 0, RSP); p16(&B, 65); p16(&B, 1); p16(&B, 0x0311));
    feed(0, B.b, B.n);
    B.n = 0;
    FRAME(session_req(2, blob, (uint16_t)n));
    feed(1, B.b, B.n);
    B.n = 0;
    FRAME(session_rsp(2, STATUS_MORE_PROCESSING_REQUIRED));
    FRAME(session_rsp(2, 0));
    feed(0, B.b, B.n);
    assert_int_equal(find(EV_SMB_NEGOTIATE, 0)->dialect, 0x0311);
    assert_string_equal(find(EV_NTLM_AUTH, 0)->a, "alice");
    assert_string_equal(find(EV_NTLM_AUTH, 0)->c, "WS01");
    assert_int_equal(count(EV_AUTH_RESULT), 1);
    assert_int_equal(count(EV_SMB_SESSION_SETUP), 1);
    assert_string_equal(find(EV_AUTH_RESULT, 0)->b, "CORP");

    B.n = 0;
    FRAME(tree_req(3, "\\\\srv\\ADMIN$"));
    FRAME(tree_req(4, "\\\\srv\\C$"));
    FRAME(tree_req(5, "\\\\srv\\never"));
    feed(1, B.b, B.n);
    assert_int_equal(count(EV_SMB_TREE_CONNECT), 0); /* waits for the response */
    B.n = 0;
    FRAME(tree_rsp(3, 7, 0));
    FRAME(tree_rsp(4, 0, 0xC0000022));
    feed(0, B.b, B.n);
    const struct ev *t = find(EV_SMB_TREE_CONNECT, 0);
    assert_string_equal(t->a, "\\\\srv\\ADMIN$");
    assert_string_equal(t->b, "ADMIN$");
    assert_int_equal(find(EV_SMB_TREE_CONNECT, 1)->status, 0xC0000022);
    finish(); /* the unanswered one, as requested */
    t = find(EV_SMB_TREE_CONNECT, 2);
    assert_non_null(t);
    assert_string_equal(t->b, "never");
    assert_int_equal(t->to_server, 1);
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

static void test_create_write_rename_delete(void **state)
{
    (void)state;
    open_file("data", "tools\\nc.exe", 5, 0, 0x42);
    const struct ev *c = find(EV_SMB_CREATE, 0);
    assert_string_equal(c->a, "tools\\nc.exe");
    assert_string_equal(c->b, "data");
    assert_int_equal(c->disposition, 5);
    B.n = 0;
    FRAME(write_req(102, 7, 0x42, 0, "MZ\x90\0", 4, 0));
    FRAME(write_req(103, 7, 0x42, 4, "MZ\x90\0", 4, 0));
    FRAME(write_req(104, 7, 0x99, 0, "abcd", 4, 0));
    FRAME(rename_req(105, 7, 0x42, "tools\\nc.exe.locked"));
    FRAME(delete_req(106, 7, 0x42, 13));
    FRAME(delete_req(107, 7, 0x42, 64));
    feed(1, B.b, B.n);
    const struct ev *w = find(EV_SMB_WRITE, 0);
    assert_string_equal(w->a, "tools\\nc.exe");
    assert_int_equal(w->pe, 1);
    assert_int_equal(w->length, 4);
    assert_int_equal(find(EV_SMB_WRITE, 1)->pe, 0);          /* not at offset 0 */
    assert_string_equal(find(EV_SMB_WRITE, 2)->a, "(null)"); /* unknown FileId */
    assert_string_equal(find(EV_SMB_WRITE, 2)->b, "data");
    assert_string_equal(find(EV_SMB_RENAME, 0)->c, "tools\\nc.exe.locked");
    assert_int_equal(count(EV_SMB_DELETE), 2);
}

static void test_delete_on_close_and_failed_create(void **state)
{
    (void)state;
    open_file("data", "old.tmp", 1, FILE_DELETE_ON_CLOSE, 1);
    assert_string_equal(find(EV_SMB_DELETE, 0)->a, "old.tmp");
    B.n = 0;
    FRAME(create_req(200, 7, "missing.txt", 1, 0, 0));
    feed(1, B.b, B.n);
    B.n = 0;
    FRAME(hdr2(5, 200, 7, STATUS_PENDING, RSP | 2); p16(&B, 9); zeros(&B, 7));
    FRAME(hdr2(5, 200, 7, 0xC0000034, RSP); p16(&B, 9); zeros(&B, 7));
    feed(0, B.b, B.n);
    assert_int_equal(count(EV_SMB_CREATE), 2);
    assert_int_equal(find(EV_SMB_CREATE, 1)->status, 0xC0000034);
}

/* MS-SMB2 3.2.4.1.4: CREATE + WRITE + CLOSE, related, in one message. */
static void test_compound_related(void **state)
{
    (void)state;
    B.n = 0;
    FRAME(tree_req(1, "\\\\srv\\data"));
    feed(1, B.b, B.n);
    B.n = 0;
    FRAME(tree_rsp(1, 7, 0));
    feed(0, B.b, B.n);
    B.n = 0;
    size_t at = frame_begin(&B);
    size_t h1 = create_req(2, 7, "run.bat", 2, 0, 0);
    while ((B.n - h1) % 8)
        p8(&B, 0);
    uint32_t next = (uint32_t)(B.n - h1);
    memcpy(B.b + h1 + 20, &next, 4);
    size_t h2 = write_req(3, UINT32_MAX, UINT64_MAX, 0, "MZ", 2, RELATED);
    while ((B.n - h2) % 8)
        p8(&B, 0);
    next = (uint32_t)(B.n - h2);
    memcpy(B.b + h2 + 20, &next, 4);
    hdr2(6, 4, UINT32_MAX, 0, RELATED);
    p16(&B, 24), p16(&B, 0), p32(&B, 0), p64(&B, UINT64_MAX), p64(&B, UINT64_MAX);
    frame_end(&B, at);
    feed(1, B.b, B.n);
    const struct ev *w = find(EV_SMB_WRITE, 0);
    assert_non_null(w);
    assert_string_equal(w->a, "run.bat");
    assert_string_equal(w->b, "data");
    assert_int_equal(w->pe, 1);
}

static void test_pipe_dcerpc(void **state)
{
    (void)state;
    open_file("IPC$", "svcctl", 1, 0, 9);
    B.n = 0;
    FRAME(write_req(300, 7, 9, 0, rpc_bind, sizeof(rpc_bind), 0));
    FRAME(ioctl_req(301, 7, 9, rpc_request, sizeof(rpc_request)));
    feed(1, B.b, B.n);
    assert_int_equal(count(EV_SMB_WRITE), 0); /* a pipe write is DCE-RPC */
    const struct ev *b = find(EV_DCERPC_BIND, 0);
    assert_non_null(b);
    assert_string_equal(b->c, "svcctl");
    const struct ev *r = find(EV_DCERPC_REQUEST, 0);
    assert_non_null(r);
    assert_int_equal(r->length, 12);
    assert_string_equal(r->c, "svcctl");
}

static void test_encrypted_once(void **state)
{
    (void)state;
    B.n = 0;
    for (int i = 0; i < 3; i++)
        FRAME(put(&B, "\xfdSMB", 4); zeros(&B, 48); zeros(&B, 40));
    feed(1, B.b, B.n);
    feed(0, B.b, B.n);
    assert_int_equal(count(EV_SMB_ENCRYPTED), 1);
    assert_int_equal(nev, 1);
}

static void test_smb1(void **state)
{
    (void)state;
    uint8_t blob[512];
    size_t n = ntlm_auth(blob, "bob", "DOM", "PC");
    B.n = 0;
    FRAME(hdr1(0x72, 0, 0x98, 0, 1); p8(&B, 1); p16(&B, 0); p16(&B, 0)); /* negotiate rsp */
    feed(0, B.b, B.n);
    assert_int_equal(find(EV_SMB_NEGOTIATE, 0)->dialect, SMB_DIALECT_SMB1);
    /* SESSION_SETUP_ANDX (extended security) + TREE_CONNECT_ANDX chained. */
    B.n = 0;
    size_t at = frame_begin(&B);
    size_t h = hdr1(0x73, 0, 0x18, 0, 2);
    p8(&B, 12), p8(&B, 0x75), p8(&B, 0), p16(&B, 0); /* AndX offset patched below */
    p16(&B, 4356), p16(&B, 50), p16(&B, 0), p32(&B, 0), p16(&B, (uint16_t)n), p32(&B, 0);
    p32(&B, 0x800000d4), p16(&B, (uint16_t)n), put(&B, blob, n);
    uint16_t andx = (uint16_t)(B.n - h);
    memcpy(B.b + h + 35, &andx, 2);
    p8(&B, 4), p8(&B, 0xff), p8(&B, 0), p16(&B, 0), p16(&B, 0), p16(&B, 1);
    size_t bc = B.n;
    p16(&B, 0), p8(&B, 0);
    if ((B.n - h) % 2) p8(&B, 0);
    utf16(&B, "\\\\SRV\\D$"), p16(&B, 0), put(&B, "?????", 6);
    uint16_t bytes = (uint16_t)(B.n - bc - 2);
    memcpy(B.b + bc, &bytes, 2);
    frame_end(&B, at);
    feed(1, B.b, B.n);
    assert_string_equal(find(EV_NTLM_AUTH, 0)->a, "bob");
    B.n = 0;
    at = frame_begin(&B);
    h = hdr1(0x73, 0, 0x98, 5, 2);
    p8(&B, 4), p8(&B, 0x75), p8(&B, 0);
    size_t ao = B.n;
    p16(&B, 0), p16(&B, 0), p16(&B, 0), p16(&B, 0); /* AndXOffset, Action, blob, bytes */
    andx = (uint16_t)(B.n - h);
    memcpy(B.b + ao, &andx, 2);
    p8(&B, 3), p8(&B, 0xff), p8(&B, 0), p16(&B, 0), p16(&B, 1), p16(&B, 0);
    frame_end(&B, at);
    feed(0, B.b, B.n);
    assert_int_equal(count(EV_SMB_SESSION_SETUP), 1);
    assert_string_equal(find(EV_SMB_TREE_CONNECT, 0)->b, "D$");
    /* NT_CREATE_ANDX, its response, WRITE_ANDX with a PE header. */
    B.n = 0;
    FRAME(h = hdr1(0xa2, 0, 0x18, 5, 3); p8(&B, 24); p8(&B, 0xff); zeros(&B, 34); p32(&B, 5);
          p32(&B, 0); zeros(&B, 5); p16(&B, 22); p8(&B, 0); utf16(&B, "\\evil.dll"); p16(&B, 0));
    feed(1, B.b, B.n);
    B.n = 0;
    FRAME(hdr1(0xa2, 0, 0x98, 5, 3); p8(&B, 34); p8(&B, 0xff); zeros(&B, 4); p16(&B, 0x4001);
          zeros(&B, 61); p16(&B, 0));
    feed(0, B.b, B.n);
    assert_string_equal(find(EV_SMB_CREATE, 0)->a, "\\evil.dll");
    assert_string_equal(find(EV_SMB_CREATE, 0)->b, "D$");
    B.n = 0;
    FRAME(h = hdr1(0x2f, 0, 0x18, 5, 4); p8(&B, 14); p8(&B, 0xff); zeros(&B, 3); p16(&B, 0x4001);
          p32(&B, 0); zeros(&B, 10); p16(&B, 2); p16(&B, 64); p32(&B, 0); p16(&B, 3); p8(&B, 0);
          put(&B, "MZ", 2));
    feed(1, B.b, B.n);
    const struct ev *w = find(EV_SMB_WRITE, 0);
    assert_non_null(w);
    assert_string_equal(w->a, "\\evil.dll");
    assert_int_equal(w->pe, 1);
}

/* More opens than the table holds: the oldest names are forgotten, the
 * newest kept; pipelined creates beyond the pending table are reported. */
static void test_tables_bounded(void **state)
{
    (void)state;
    open_file("data", "f0", 1, 0, 1000);
    B.n = 0;
    for (int i = 1; i < 3 * SMB_FILES; i++) {
        char name[16];
        snprintf(name, sizeof(name), "f%d", i);
        FRAME(create_req(1000 + (uint64_t)i, 7, name, 1, 0, 0));
    }
    feed(1, B.b, B.n);
    B.n = 0;
    for (int i = 1; i < 3 * SMB_FILES; i++)
        FRAME(create_rsp(1000 + (uint64_t)i, 7, 0, 1000 + (uint64_t)i));
    feed(0, B.b, B.n);
    finish();
    assert_int_equal(count(EV_SMB_CREATE), 3 * SMB_FILES);
    B.n = 0;
    FRAME(write_req(5000, 7, 1000 + 3 * SMB_FILES - 1, 0, "x", 1, 0));
    FRAME(write_req(5001, 7, 1000, 0, "x", 1, 0));
    feed(1, B.b, B.n);
    assert_string_equal(find(EV_SMB_WRITE, 0)->a, "f47");
    assert_string_equal(find(EV_SMB_WRITE, 1)->a, "(null)");
}

/* A message larger than the engine buffers is parsed from its prefix and
 * the rest skipped; the message after it is found. */
static void test_large_write_prefix(void **state)
{
    (void)state;
    open_file("data", "big.bin", 5, 0, 5);
    static uint8_t data[70000];
    data[0] = 'M', data[1] = 'Z';
    B.n = 0;
    FRAME(write_req(10, 7, 5, 0, data, sizeof(data), 0));
    size_t total = B.n;
    FRAME(create_req(11, 7, "after.txt", 1, 0, 0));
    assert_int_equal(dissector_smb.parse(&dc, st, 1, B.b, 1000), 0);
    long c = dissector_smb.parse(&dc, st, 1, B.b, 2048);
    assert_int_equal(c, (long)total);
    assert_int_equal(find(EV_SMB_WRITE, 0)->length, sizeof(data));
    assert_int_equal(find(EV_SMB_WRITE, 0)->pe, 1);
    feed(1, B.b + total, B.n - total);
    finish();
    assert_string_equal(find(EV_SMB_CREATE, 1)->a, "after.txt");
}

/* The same through dissectors/engine.c, in 1448-byte segments with a hole. */
static void engine_event(void *ud, void *f, const struct dissect_event *e)
{
    (void)ud, (void)f;
    record(e);
}

static void test_engine_segments_and_gap(void **state)
{
    (void)state;
    static uint8_t data[30000];
    B.n = 0;
    FRAME(tree_req(1, "\\\\srv\\data"));
    FRAME(write_req(2, 7, 5, 0, data, sizeof(data), 0));
    FRAME(write_req(3, 7, 5, 0, data, sizeof(data), 0));
    FRAME(create_req(4, 7, "after-gap.txt", 1, 0, 0));
    struct dissect_engine *e = dissect_create(engine_event, NULL);
    struct dissect_slot slot = {0};
    struct dissect_flow_info f = {.proto = 6, .server_port = 445};
    struct dissect_segment p = {.to_server = 1};
    for (size_t off = 0, seg = 0; off < B.n; off += 1448, seg++) {
        p.payload = B.b + off;
        p.len = (uint32_t)(B.n - off < 1448 ? B.n - off : 1448);
        p.tcp_seq = 1 + (uint32_t)off;
        if (seg != 30) dissect_packet(e, &slot, &f, NULL, &p); /* inside the second write */
    }
    dissect_flow_end(e, &slot, &f, NULL, 0);
    struct dissect_stats s;
    dissect_get_stats(e, &s);
    dissect_destroy(e);
    assert_int_equal(s.gaps, 1);
    assert_int_equal(count(EV_SMB_WRITE), 2);
    assert_string_equal(find(EV_SMB_TREE_CONNECT, 0)->b, "data");
    assert_string_equal(find(EV_SMB_CREATE, 0)->a, "after-gap.txt");
}

static void test_resync_after_gap(void **state)
{
    (void)state;
    B.n = 0;
    put(&B, "garbage bytes \0\0\0\0\xfeSM", 20);
    FRAME(create_req(1, 7, "x.txt", 1, 0, 0));
    dissector_smb.gap(st, 1);
    feed(1, B.b, B.n);
    finish();
    assert_string_equal(find(EV_SMB_CREATE, 0)->a, "x.txt");
    /* Not SMB at all: the flow is given up after a bounded scan. */
    static uint8_t junk[4096];
    memset(junk, 'A', sizeof(junk));
    long r = 0;
    for (int i = 0; i < 1000 && r != DISSECT_STOP; i++)
        r = dissector_smb.parse(&dc, st, 0, junk, sizeof(junk));
    assert_int_equal(r, DISSECT_STOP);
}

/* Every message cut at every length, the NetBIOS length saying it is
 * complete: no read past the cut (ASan), no crash. */
static void test_truncated_every_length(void **state)
{
    (void)state;
    uint8_t blob[512];
    size_t n = ntlm_auth(blob, "alice", "CORP", "WS01");
    struct buf *all = calloc(1, sizeof(*all));
    B.n = 0;
    FRAME(session_req(2, blob, (uint16_t)n));
    FRAME(tree_req(3, "\\\\srv\\ADMIN$"));
    FRAME(tree_rsp(3, 7, 0));
    FRAME(create_req(4, 7, "a.exe", 2, 0, 0));
    FRAME(create_rsp(4, 7, 0, 9));
    FRAME(write_req(5, 7, 9, 0, "MZ..", 4, 0));
    FRAME(rename_req(6, 7, 9, "b.exe"));
    FRAME(ioctl_req(7, 7, 9, rpc_request, sizeof(rpc_request)));
    FRAME(delete_req(8, 7, 9, 13));
    memcpy(all, &B, sizeof(B));
    for (size_t m = 0; m < all->n;) {
        size_t len = 4 + ((size_t)all->b[m + 1] << 16 | (size_t)all->b[m + 2] << 8 | all->b[m + 3]);
        for (size_t cut = 4; cut < len; cut++) {
            uint8_t *msg = malloc(cut);
            memcpy(msg, all->b + m, cut);
            msg[1] = 0, msg[2] = (uint8_t)((cut - 4) >> 8), msg[3] = (uint8_t)(cut - 4);
            for (int dir = 0; dir < 2; dir++)
                feed(dir, msg, cut);
            assert_int_equal(dissector_smb.parse(&dc, st, 1, all->b + m, cut), 0);
            free(msg);
        }
        m += len;
    }
    free(all);
}

/* Offsets and lengths pointing anywhere; NextCommand and AndX loops. */
static void test_hostile_lengths(void **state)
{
    (void)state;
    uint32_t seed = 12345;
    for (int iter = 0; iter < 20000; iter++) {
        B.n = 0;
        nev = 0;
        int smb1 = iter & 1;
        FRAME(if (smb1) hdr1((uint8_t)(iter >> 1), 0, (uint8_t)(iter & 0x80), 7, 1);
              else hdr2((uint16_t)((iter >> 1) % 20), 1, 7, 0, (uint32_t)(iter & 5));
              for (int i = 0; i < 120; i++) {
                  seed = seed * 1103515245u + 12345u;
                  p8(&B, (uint8_t)(seed >> 16));
              });
        if (!smb1 && iter % 3 == 0) memcpy(B.b + 24, "\x40\0\0\0", 4); /* NextCommand 64 */
        feed(iter & 2 ? 1 : 0, B.b, B.n);
    }
    nev = 0;
    finish();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_probe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_and_tree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_write_rename_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_on_close_and_failed_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compound_related, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipe_dcerpc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_encrypted_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smb1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tables_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_write_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_engine_segments_and_gap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resync_after_gap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_every_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_lengths, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

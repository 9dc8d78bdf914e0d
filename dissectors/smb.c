/* SMB over TCP, any port (445 and 139 in practice): the 4-byte NetBIOS
 * session header (RFC 1002 4.3.1; MS-SMB2 2.1 direct TCP uses the same
 * with a 24-bit length), resynchronisation after lost bytes, and the
 * events shared by SMB1 (smb1.c) and SMB2/3 (smb2.c); the tables are in
 * smb_tables.c. An SMB3 transform header (MS-SMB2 2.2.41) hides the rest of
 * the message: EV_SMB_ENCRYPTED once per flow. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ntlmssp.h"
#include "smb.h"

#define NBSS_HDR 4u
/* The engine buffers at most this much of a message (dissectors/engine.c
 * REASM_BUF): a larger one is read as a prefix and the rest skipped. */
#define SMB_WAIT_MAX 2048u
/* Smallest SMB message: the SMB1 header (MS-CIFS 2.2.3.1) and word count. */
#define SMB_MIN_MSG 33u
/* Bytes scanned for a message boundary before giving the flow up. */
#define SMB_RESYNC_MAX (1u << 20)

/* RFC 1002 4.3.1 packet types other than a session message. */
#define NBSS_SESSION_REQUEST 0x81
#define NBSS_KEEPALIVE 0x85

/* "\0" + 24-bit length + one of the four SMB protocol ids. */
static int is_header(const uint8_t *p, size_t len)
{
    struct cursor c = cursor_make(p, len);
    uint8_t type = cursor_u8(&c);
    uint32_t nblen = (uint32_t)cursor_u8(&c) << 16;
    nblen |= cursor_be16(&c);
    uint8_t proto = cursor_u8(&c);
    uint8_t smb[3];
    cursor_copy(&c, smb, 3);
    return !c.err && type == 0 && nblen >= SMB_MIN_MSG - 1 && proto >= 0xFC &&
           memcmp(smb, "SMB", 3) == 0;
}

/* RFC 1002 4.3.2: a session request carries two first-level encoded
 * NetBIOS names (length 32, letters 'A'..'P'). */
static int is_session_request(const uint8_t *p, size_t len)
{
    struct cursor c = cursor_make(p, len);
    if (cursor_u8(&c) != NBSS_SESSION_REQUEST) return 0;
    cursor_skip(&c, 3);
    if (cursor_u8(&c) != 32) return 0;
    for (int i = 0; i < 32; i++) {
        uint8_t ch = cursor_u8(&c);
        if (ch < 'A' || ch > 'P') return 0;
    }
    return !c.err;
}

/* Offset of the first message boundary at or after from, or len: "SMB"
 * located with memmem, the header then checked around it. */
static size_t find_header(const uint8_t *data, size_t len, size_t from)
{
    size_t at = from + 5;
    while (at + 3 <= len) {
        const uint8_t *hit = memmem(data + at, len - at, "SMB", 3);
        if (!hit) break;
        size_t i = (size_t)(hit - data) - 5;
        if (is_header(data + i, len - i)) return i;
        at = (size_t)(hit - data) + 1;
    }
    return len;
}

static int probe(const struct dissect_flow_info *f, int to_server, const uint8_t *data, size_t len)
{
    (void)to_server;
    if (is_header(data, len) || is_session_request(data, len)) return 1;
    /* Capture started mid-connection, maybe inside a large write whose
     * end is many packets away: on the SMB ports, where nothing else runs,
     * any bytes; resync() finds the next message boundary, or gives the
     * flow up after SMB_RESYNC_MAX bytes without one. */
    uint16_t c = f->client_port, s = f->server_port;
    return c == 445 || c == 139 || s == 445 || s == 139;
}

/* --- strings --------------------------------------------------------- */

void smb_string(const uint8_t *in, size_t len, int unicode, char *out, size_t out_len)
{
    if (!out_len) return;
    out[0] = 0;
    if (unicode) {
        size_t n = 0;
        while (n + 1 < len && (in[n] || in[n + 1]))
            n += 2;
        dissect_utf16le_to_utf8(in, n, out, out_len);
        return;
    }
    size_t o = 0;
    for (size_t i = 0; i < len && in[i] && o + 2 < out_len; i++) {
        if (in[i] < 0x80) {
            out[o++] = (char)in[i];
        } else { /* OEM code page unknown: Latin-1 */
            out[o++] = (char)(0xC0 | in[i] >> 6);
            out[o++] = (char)(0x80 | (in[i] & 0x3F));
        }
    }
    out[o] = 0;
}

const char *smb_pipe_name(const char *name)
{
    if (strncasecmp(name, "\\PIPE\\", 6) == 0) name += 6;
    while (*name == '\\')
        name++;
    return name;
}

int smb_is_ipc(const char *share)
{
    return strcasecmp(share, "IPC$") == 0;
}

const char *smb_last_component(const char *path)
{
    const char *s = strrchr(path, '\\');
    return s ? s + 1 : path;
}

/* --- events ---------------------------------------------------------- */

void smb_emit_file(struct dissect_ctx *dc, int to_server, const struct smb_file_event *fe)
{
    struct dissect_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = fe->type;
    ev.to_server = to_server;
    ev.status = fe->status;
    ev.unanswered = fe->unanswered;
    ev.u.file.share = fe->share;
    ev.u.file.name = fe->name;
    ev.u.file.new_name = fe->new_name;
    ev.u.file.disposition = fe->disposition;
    ev.u.file.offset = fe->offset;
    ev.u.file.length = fe->length;
    ev.u.file.pe_header = fe->pe_header;
    dc->emit(dc, &ev);
}

void smb_emit_tree(struct dissect_ctx *dc, int to_server, uint32_t status, const char *path,
                   int unanswered)
{
    struct dissect_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = EV_SMB_TREE_CONNECT;
    ev.to_server = to_server;
    ev.status = status;
    ev.u.tree.path = path;
    ev.unanswered = unanswered;
    ev.u.tree.share = smb_last_component(path);
    dc->emit(dc, &ev);
}

void smb_emit_dialect(const struct smb_msg *m, uint16_t dialect)
{
    struct dissect_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = EV_SMB_NEGOTIATE;
    ev.to_server = m->to_server;
    ev.u.smb.dialect = dialect;
    m->dc->emit(m->dc, &ev);
}

static void emit_auth(const struct smb_msg *m, enum dissect_event_type type, uint32_t status)
{
    const struct smb_account *a = m->st->account;
    struct dissect_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    ev.to_server = m->to_server;
    ev.status = status;
    ev.u.auth.user = a ? a->user : "";
    ev.u.auth.domain = a ? a->domain : "";
    ev.u.auth.workstation = a ? a->workstation : "";
    m->dc->emit(m->dc, &ev);
}

/* The account an authentication names, allocated at the first one; NULL
 * out of memory (the events then name nobody). */
static struct smb_account *account(struct smb_state *st)
{
    if (!st->account) st->account = dissect_alloc(st->mem, sizeof(*st->account));
    return st->account;
}

static void set_account(const struct smb_msg *m, const char *user, const char *domain,
                        const char *workstation)
{
    struct smb_account *a = account(m->st);
    if (a) {
        snprintf(a->user, sizeof(a->user), "%s", user);
        snprintf(a->domain, sizeof(a->domain), "%s", domain);
        snprintf(a->workstation, sizeof(a->workstation), "%s", workstation);
    }
    m->st->auth_pending = 1;
    emit_auth(m, EV_NTLM_AUTH, 0);
}

void smb_account(const struct smb_msg *m, const char *user, const char *domain)
{
    set_account(m, user, domain, "");
}

void smb_security_blob(const struct smb_msg *m, const uint8_t *blob, size_t len)
{
    struct ntlmssp_info info;
    if (ntlmssp_find(blob, len, &info) != 0 || info.msg_type != NTLMSSP_AUTHENTICATE) return;
    set_account(m, info.user, info.domain, info.workstation);
}

void smb_session_result(const struct smb_msg *m, uint32_t status)
{
    if (status == STATUS_MORE_PROCESSING_REQUIRED || status == STATUS_PENDING) return;
    if (m->st->auth_pending) emit_auth(m, EV_AUTH_RESULT, status);
    m->st->auth_pending = 0;
    emit_auth(m, EV_SMB_SESSION_SETUP, status);
}

/* --- framing ----------------------------------------------------------- */

/* Looking for the next message boundary after lost bytes. */
static long resync(struct smb_dir *d, const uint8_t *data, size_t len)
{
    size_t i = find_header(data, len, 0);
    if (i < len) {
        d->lost = 0;
        d->scanned = 0;
        return (long)i;
    }
    size_t keep = len < 7 ? len : 7; /* a header may straddle */
    d->scanned += (uint32_t)(len - keep);
    if (d->scanned > SMB_RESYNC_MAX) return DISSECT_STOP;
    return (long)(len - keep);
}

static void dispatch(struct smb_msg *m)
{
    struct cursor c = cursor_make(m->p, m->avail);
    uint8_t proto = cursor_u8(&c);
    if (proto == 0xFF) {
        smb1_parse(m);
    } else if (proto == 0xFE) {
        smb2_parse(m);
    } else if (proto == 0xFD && !m->st->encrypted) {
        struct dissect_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = EV_SMB_ENCRYPTED;
        ev.to_server = m->to_server;
        m->st->encrypted = 1;
        m->dc->emit(m->dc, &ev);
    } /* 0xFC: compressed (MS-SMB2 2.2.42), not decoded */
}

/* Whether the first len bytes of a message not all present hold all the
 * parser reads of it: then it is parsed now, its rest skipped, and the
 * engine holds no buffer for it (bulk file data). */
static int enough(struct smb_state *st, const uint8_t *data, size_t len)
{
    if (len <= NBSS_HDR + 1 || data[NBSS_HDR] != 0xFE) return 0;
    return smb2_wanted(st, data + NBSS_HDR, len - NBSS_HDR) <= len - NBSS_HDR;
}

/* One NetBIOS message: consumed bytes, more than len to skip the rest of a
 * large one, 0 to wait for more, or a resync position. */
static long frame(struct dissect_ctx *dc, struct smb_state *st, int to_server, const uint8_t *data,
                  size_t len)
{
    struct smb_dir *d = &st->dir[!to_server];
    if (len < NBSS_HDR) return 0;
    struct cursor c = cursor_make(data, len);
    uint8_t type = cursor_u8(&c);
    size_t total = NBSS_HDR + ((size_t)cursor_u8(&c) << 16 | cursor_be16(&c));
    if (type != 0) {
        /* Session request, positive/negative response, retarget, keepalive. */
        if (type >= NBSS_SESSION_REQUEST && type <= NBSS_KEEPALIVE && total <= 256) {
            if (len < total) return 0;
            return (long)total;
        }
        d->lost = 1;
        return 0;
    }
    if (len < total && len < SMB_WAIT_MAX && !enough(st, data, len)) return 0;
    if (!is_header(data, len)) {
        d->lost = 1;
        return 0;
    }
    struct smb_msg m = {dc,
                        st,
                        to_server,
                        data + NBSS_HDR,
                        (len < total ? len : total) - NBSS_HDR,
                        total - NBSS_HDR};
    dispatch(&m);
    return (long)total;
}

static long parse(struct dissect_ctx *dc, void *state, int to_server, const uint8_t *data,
                  size_t len)
{
    struct smb_state *st = state;
    struct smb_dir *d = &st->dir[!to_server];
    size_t off = 0;
    smb_pending_trim(st); /* between messages: no entry is being used */
    /* Picked up midstream: the first bytes are inside a message. */
    if (!d->started) {
        d->started = 1;
        if (!is_header(data, len) && !is_session_request(data, len)) d->lost = 1;
    }
    for (;;) {
        if (d->lost) {
            long r = resync(d, data + off, len - off);
            if (r == DISSECT_STOP) return r;
            off += (size_t)r;
            if (d->lost || r > 0) return (long)off;
        }
        long r = frame(dc, st, to_server, data + off, len - off);
        if (!d->lost) return r == 0 ? (long)off : (long)off + r;
    }
}

/* Lost bytes: the next message boundary is unknown. Pending requests stay:
 * their responses may still come, else flow end reports them. */
static void gap(void *state, int to_server)
{
    struct smb_state *st = state;
    st->dir[!to_server].lost = 1;
    st->dir[!to_server].scanned = 0;
}

static void end(struct dissect_ctx *dc, void *state)
{
    struct smb_state *st = state;
    for (size_t i = 0; i < st->npending; i++)
        if (st->pending[i].used) smb_pending_report(dc, st, &st->pending[i]);
}

static void init_state(void *state, struct dissect_mem *mem)
{
    struct smb_state *st = state;
    st->mem = mem;
}

static void release_state(void *state)
{
    smb_tables_free(state);
}

const struct dissector dissector_smb = {
    .name = "smb",
    .transports = DISSECT_TCP,
    .probe = probe,
    .state_size = sizeof(struct smb_state),
    .init_state = init_state,
    .parse = parse,
    .gap = gap,
    .end = end,
    .release_state = release_state,
};

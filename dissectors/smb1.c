/* SMB1 / CIFS messages (MS-CIFS 2.2, MS-SMB 2.2): negotiate, session setup
 * AndX (NTLMSSP in the security blob, or the account of the older form),
 * tree connect AndX, NT create AndX, write/read AndX, close, transaction
 * TransactNmPipe, delete and rename, following AndX chains. */
#include <string.h>

#include "smb.h"

/* MS-CIFS 2.2.3.1 */
#define SMB1_HDR 32u
#define FLAGS_REPLY 0x80
#define FLAGS2_UNICODE 0x8000
#define FLAGS2_NT_STATUS 0x4000
#define MAX_ANDX 8

/* MS-CIFS 2.2.2.1 */
enum {
    COM_CLOSE = 0x04,
    COM_DELETE = 0x06,
    COM_RENAME = 0x07,
    COM_TRANSACTION = 0x25,
    COM_READ_ANDX = 0x2E,
    COM_WRITE_ANDX = 0x2F,
    COM_NEGOTIATE = 0x72,
    COM_SESSION_SETUP_ANDX = 0x73,
    COM_TREE_CONNECT_ANDX = 0x75,
    COM_NT_CREATE_ANDX = 0xA2,
    COM_NONE = 0xFF,
};

#define TRANS_TRANSACT_NMPIPE 0x26 /* MS-CIFS 2.2.5.6 */
#define STATUS_UNSUCCESSFUL 0xC0000001u
#define STATUS_LOGON_FAILURE 0xC000006Du

struct smb1_hdr {
    uint8_t cmd, flags;
    uint16_t flags2, tid, mid;
    uint32_t status;
    int unicode, response;
    const uint8_t *p;
    size_t len;
};

/* One command's parameter and data blocks (MS-CIFS 2.2.3.2, 2.2.3.3). */
struct block {
    uint8_t cmd;
    struct cursor words;
    size_t bytes_off, bytes_end; /* header offsets; end clipped to what is present */
};

/* MS-CIFS 2.2.3.1 Status: an NT status, or a DOS error class and code. */
static uint32_t nt_status(uint16_t flags2, uint32_t raw)
{
    if ((flags2 & FLAGS2_NT_STATUS) || raw == 0) return raw;
    /* ERRSRV/ERRbadpw is a logon failure; other DOS errors fail too. */
    return (raw & 0xFF) == 2 && (raw >> 16) == 2 ? STATUS_LOGON_FAILURE : STATUS_UNSUCCESSFUL;
}

static int read_hdr(const uint8_t *p, size_t len, struct smb1_hdr *h)
{
    struct cursor c = cursor_make(p, len);
    uint32_t proto = cursor_le32(&c);
    h->cmd = cursor_u8(&c);
    uint32_t status = cursor_le32(&c);
    h->flags = cursor_u8(&c);
    h->flags2 = cursor_le16(&c);
    cursor_skip(&c, 12); /* PIDHigh, SecurityFeatures, Reserved */
    h->tid = cursor_le16(&c);
    cursor_skip(&c, 4); /* PIDLow, UID */
    h->mid = cursor_le16(&c);
    h->status = nt_status(h->flags2, status);
    h->unicode = (h->flags2 & FLAGS2_UNICODE) != 0;
    h->response = (h->flags & FLAGS_REPLY) != 0;
    h->p = p;
    h->len = len;
    return !c.err && proto == 0x424D53FFu;
}

static int read_block(const struct smb1_hdr *h, size_t off, uint8_t cmd, struct block *b)
{
    struct cursor c = cursor_at(h->p, h->len, off, h->len - off);
    uint8_t wc = cursor_u8(&c);
    b->cmd = cmd;
    b->words = cursor_at(h->p, h->len, off + 1, (size_t)wc * 2);
    cursor_skip(&c, (size_t)wc * 2);
    uint16_t bc = cursor_le16(&c);
    if (c.err || b->words.err) return 0;
    b->bytes_off = off + 3 + (size_t)wc * 2;
    b->bytes_end = b->bytes_off + bc < h->len ? b->bytes_off + bc : h->len;
    return 1;
}

/* An SMB_STRING of the data block at *off (MS-CIFS 2.2.1.1: Unicode ones
 * are 2-byte aligned from the header); *off moves past its terminator. */
static void string_at(const struct smb1_hdr *h, const struct block *b, size_t *off, char *out,
                      size_t out_len)
{
    out[0] = 0;
    if (h->unicode && (*off & 1)) (*off)++;
    if (*off >= b->bytes_end) return;
    const uint8_t *s = h->p + *off;
    size_t left = b->bytes_end - *off, n = 0, unit = h->unicode ? 2 : 1;
    smb_string(s, left, h->unicode, out, out_len);
    while (n + unit <= left && (s[n] || (unit == 2 && s[n + 1])))
        n += unit;
    *off += n + unit <= left ? n + unit : left;
}

/* MS-CIFS 2.2.4.53 / MS-SMB 2.2.4.6 SESSION_SETUP_ANDX request: a security
 * blob (extended security, 12 words) or passwords and the account (13). */
static void session_setup(const struct smb_msg *m, const struct smb1_hdr *h, struct block *b)
{
    struct cursor w = b->words;
    size_t wc = w.left / 2;
    cursor_skip(&w, 14); /* AndX, MaxBufferSize, MaxMpxCount, VcNumber, SessionKey */
    uint16_t l1 = cursor_le16(&w), l2 = cursor_le16(&w);
    if (w.err) return;
    if (wc == 12) {
        size_t n = b->bytes_end - b->bytes_off;
        smb_security_blob(m, h->p + b->bytes_off, l1 < n ? l1 : n);
    } else if (wc == 13) {
        size_t off = b->bytes_off + l1 + l2;
        char user[SMB_ACCOUNT_LEN], domain[SMB_ACCOUNT_LEN];
        string_at(h, b, &off, user, sizeof(user));
        string_at(h, b, &off, domain, sizeof(domain));
        smb_account(m, user, domain);
    }
}

/* MS-CIFS 2.2.4.55 TREE_CONNECT_ANDX request: Password, Path, Service. */
static void tree_connect(const struct smb_msg *m, const struct smb1_hdr *h, struct block *b)
{
    struct cursor w = b->words;
    cursor_skip(&w, 6);
    uint16_t plen = cursor_le16(&w);
    if (w.err) return;
    size_t off = b->bytes_off + plen;
    struct smb_pending *p = smb_pending_add(m, h->mid, PEND_TREE);
    if (!p) return;
    string_at(h, b, &off, p->name, sizeof(p->name));
}

static void tree_connected(const struct smb_msg *m, const struct smb1_hdr *h)
{
    struct smb_pending *p = smb_pending_find(m->st, h->mid);
    if (!p || p->kind != PEND_TREE) return;
    if (h->status == 0) smb_tree_add(m->st, h->tid, p->name);
    smb_emit_tree(m->dc, m->to_server, h->status, p->name, 0);
    p->used = 0;
}

/* MS-CIFS 2.2.4.64 NT_CREATE_ANDX request: disposition, options, name. */
static void create_request(const struct smb_msg *m, const struct smb1_hdr *h, struct block *b)
{
    struct cursor w = b->words;
    cursor_skip(&w, 35); /* AndX .. ShareAccess */
    uint32_t disposition = cursor_le32(&w), options = cursor_le32(&w);
    if (w.err) return;
    struct smb_pending *p = smb_pending_add(m, h->mid, PEND_CREATE);
    if (!p) return;
    size_t off = b->bytes_off;
    string_at(h, b, &off, p->name, sizeof(p->name));
    p->tree = h->tid;
    p->disposition = disposition;
    p->options = options;
}

/* NT_CREATE_ANDX response: the FID. */
static void create_response(const struct smb_msg *m, const struct smb1_hdr *h, struct block *b)
{
    struct smb_pending *p = smb_pending_find(m->st, h->mid);
    if (!p || p->kind != PEND_CREATE) return;
    struct cursor w = b->words;
    cursor_skip(&w, 5); /* AndX, OplockLevel */
    uint16_t fid = cursor_le16(&w);
    if (h->status == 0 && !w.err) smb_file_add(m->st, 0, fid, p->tree, p->name);
    struct smb_file_event fe = {.type = EV_SMB_CREATE,
                                .status = h->status,
                                .share = smb_share_of(m->st, p->tree),
                                .name = p->name,
                                .disposition = p->disposition};
    smb_emit_file(m->dc, m->to_server, &fe);
    if (h->status == 0 && (p->options & FILE_DELETE_ON_CLOSE)) {
        fe.type = EV_SMB_DELETE;
        smb_emit_file(m->dc, m->to_server, &fe);
    }
    p->used = 0;
}

/* Data of a command at a header offset, clipped to what is present. */
static struct cursor data_at(const struct smb1_hdr *h, size_t off, size_t len)
{
    if (off < SMB1_HDR || off > h->len) return cursor_at(h->p, 0, 1, 0);
    return cursor_at(h->p, h->len, off, len < h->len - off ? len : h->len - off);
}

/* An open FID (SMB1 has no persistent part): smb_file_use. */
static struct smb_file *fid_file(const struct smb_msg *m, const struct smb1_hdr *h, uint16_t fid)
{
    return smb_file_use(m, h->tid, 0, fid);
}

/* MS-CIFS 2.2.4.43 WRITE_ANDX request (12 or 14 words). */
static void write_request(const struct smb_msg *m, const struct smb1_hdr *h, struct block *b)
{
    struct cursor w = b->words;
    cursor_skip(&w, 4);
    uint16_t fid = cursor_le16(&w);
    uint64_t offset = cursor_le32(&w);
    cursor_skip(&w, 4);
    uint16_t mode = cursor_le16(&w);
    cursor_skip(&w, 2);
    uint32_t len = (uint32_t)cursor_le16(&w) << 16;
    len |= cursor_le16(&w);
    uint16_t doff = cursor_le16(&w);
    if (w.left >= 4) offset |= (uint64_t)cursor_le32(&w) << 32;
    if (w.err) return;
    struct smb_file *f = fid_file(m, h, fid);
    struct cursor d = data_at(h, doff, len);
    if (f && (f->is_pipe || f->maybe_pipe)) {
        /* Raw mode message start: a 2-byte message length comes first. */
        struct cursor pd = d;
        if ((mode & 0x000C) == 0x000C) cursor_skip(&pd, 2);
        if (!pd.err && smb_pipe_data(m, f, pd.p, pd.left)) return;
        if (f->is_pipe) return;
    }
    struct smb_file_event fe = {.type = EV_SMB_WRITE,
                                .share = smb_share_of(m->st, f ? f->tree : h->tid),
                                .name = f && f->name[0] ? f->name : NULL,
                                .offset = offset,
                                .length = len};
    fe.pe_header = offset == 0 && !d.err && d.left >= 2 && d.p[0] == 'M' && d.p[1] == 'Z';
    smb_emit_file(m->dc, m->to_server, &fe);
}

/* A request on a pipe whose response data goes to the pipe too. */
static void pipe_pending(const struct smb_msg *m, const struct smb1_hdr *h, struct smb_file *f)
{
    if (!f || !(f->is_pipe || f->maybe_pipe)) return;
    struct smb_pending *p = smb_pending_add(m, h->mid, PEND_READ);
    if (!p) return;
    p->fid_v = f->fid_v;
}

static void pipe_response(const struct smb_msg *m, const struct smb1_hdr *h, struct cursor d)
{
    struct smb_pending *p = smb_pending_find(m->st, h->mid);
    if (!p || p->kind != PEND_READ) return;
    p->used = 0;
    if ((h->status == 0 || h->status == STATUS_BUFFER_OVERFLOW) && !d.err)
        smb_pipe_data(m, smb_file_find(m->st, 0, p->fid_v), d.p, d.left);
}

/* MS-CIFS 2.2.4.42 READ_ANDX: request FID; response DataLength/Offset. */
static void read_andx(const struct smb_msg *m, const struct smb1_hdr *h, struct block *b)
{
    struct cursor w = b->words;
    if (!h->response) {
        cursor_skip(&w, 4);
        uint16_t fid = cursor_le16(&w);
        if (!w.err) pipe_pending(m, h, fid_file(m, h, fid));
        return;
    }
    cursor_skip(&w, 10); /* AndX, Available, DataCompactionMode, Reserved1 */
    uint16_t len = cursor_le16(&w), off = cursor_le16(&w);
    if (!w.err) pipe_response(m, h, data_at(h, off, len));
}

/* MS-CIFS 2.2.4.33 TRANSACTION with 2.2.5.6 TransactNmPipe: Setup[0] is
 * the function, Setup[1] the pipe's FID, a pipe whatever its tree. */
static void transaction(const struct smb_msg *m, const struct smb1_hdr *h, struct block *b)
{
    struct cursor w = b->words;
    if (!h->response) {
        cursor_skip(&w, 22); /* TotalParameterCount .. ParameterOffset */
        uint16_t len = cursor_le16(&w), off = cursor_le16(&w);
        uint8_t nsetup = cursor_u8(&w);
        cursor_skip(&w, 1);
        uint16_t fn = cursor_le16(&w), fid = cursor_le16(&w);
        if (w.err || nsetup < 2 || fn != TRANS_TRANSACT_NMPIPE) return;
        struct smb_file *f = smb_file_pipe(m, h->tid, 0, fid);
        struct cursor d = data_at(h, off, len);
        if (!d.err) smb_pipe_data(m, f, d.p, d.left);
        pipe_pending(m, h, f);
        return;
    }
    cursor_skip(&w, 12); /* TotalParameterCount .. ParameterDisplacement */
    uint16_t len = cursor_le16(&w), off = cursor_le16(&w);
    if (!w.err) pipe_response(m, h, data_at(h, off, len));
}

/* MS-CIFS 2.2.4.7 DELETE and 2.2.4.8 RENAME: BufferFormat 0x04 names. */
static void delete_rename(const struct smb_msg *m, const struct smb1_hdr *h, struct block *b)
{
    char name[SMB_NAME_LEN], new_name[SMB_NAME_LEN];
    size_t off = b->bytes_off + 1;
    string_at(h, b, &off, name, sizeof(name));
    struct smb_file_event fe = {
        .type = EV_SMB_DELETE, .share = smb_share_of(m->st, h->tid), .name = name};
    if (b->cmd == COM_RENAME) {
        off++; /* BufferFormat2 */
        string_at(h, b, &off, new_name, sizeof(new_name));
        fe.type = EV_SMB_RENAME;
        fe.new_name = new_name;
    }
    if (name[0]) smb_emit_file(m->dc, m->to_server, &fe);
}

/* Commands that name a tree (MS-CIFS 2.2.3.1 TID): an unknown one may be
 * that of an unanswered tree connect. */
static int uses_tree(uint8_t cmd)
{
    return cmd == COM_NT_CREATE_ANDX || cmd == COM_WRITE_ANDX || cmd == COM_READ_ANDX ||
           cmd == COM_TRANSACTION || cmd == COM_CLOSE || cmd == COM_DELETE || cmd == COM_RENAME;
}

static void request(const struct smb_msg *m, const struct smb1_hdr *h, struct block *b)
{
    struct cursor w = b->words;
    if (uses_tree(b->cmd) && h->tid != 0xFFFF) smb_tree_use(m, h->tid);
    switch (b->cmd) {
    case COM_SESSION_SETUP_ANDX:
        session_setup(m, h, b);
        break;
    case COM_TREE_CONNECT_ANDX:
        tree_connect(m, h, b);
        break;
    case COM_NT_CREATE_ANDX:
        create_request(m, h, b);
        break;
    case COM_WRITE_ANDX:
        write_request(m, h, b);
        break;
    case COM_READ_ANDX:
        read_andx(m, h, b);
        break;
    case COM_TRANSACTION:
        transaction(m, h, b);
        break;
    case COM_DELETE:
    case COM_RENAME:
        delete_rename(m, h, b);
        break;
    case COM_CLOSE: {
        uint16_t fid = cursor_le16(&w);
        if (w.err) break;
        fid_file(m, h, fid); /* an unanswered create is reported */
        smb_file_del(m->st, 0, fid);
        break;
    }
    default:
        break;
    }
}

static void response(const struct smb_msg *m, const struct smb1_hdr *h, struct block *b)
{
    switch (b->cmd) {
    case COM_NEGOTIATE:
        if (h->status == 0) smb_emit_dialect(m, SMB_DIALECT_SMB1);
        break;
    case COM_SESSION_SETUP_ANDX:
        smb_session_result(m, h->status);
        break;
    case COM_TREE_CONNECT_ANDX:
        tree_connected(m, h);
        break;
    case COM_NT_CREATE_ANDX:
        create_response(m, h, b);
        break;
    case COM_READ_ANDX:
        read_andx(m, h, b);
        break;
    case COM_TRANSACTION:
        transaction(m, h, b);
        break;
    default:
        break;
    }
}

static int is_andx(uint8_t cmd)
{
    return cmd == COM_SESSION_SETUP_ANDX || cmd == COM_TREE_CONNECT_ANDX ||
           cmd == COM_NT_CREATE_ANDX || cmd == COM_WRITE_ANDX || cmd == COM_READ_ANDX;
}

void smb1_parse(const struct smb_msg *m)
{
    struct smb1_hdr h;
    if (!read_hdr(m->p, m->avail, &h)) return;
    if (h.response) m->st->responses++;
    size_t off = SMB1_HDR;
    uint8_t cmd = h.cmd;
    /* MS-CIFS 2.2.3.4: AndX commands name the next one and its offset,
     * which only moves forward. */
    for (int i = 0; i < MAX_ANDX; i++) {
        struct block b;
        if (!read_block(&h, off, cmd, &b)) return;
        if (h.response)
            response(m, &h, &b);
        else
            request(m, &h, &b);
        struct cursor w = b.words;
        uint8_t next = cursor_u8(&w);
        cursor_skip(&w, 1);
        uint16_t next_off = cursor_le16(&w);
        if (!is_andx(cmd) || w.err || next == COM_NONE || next_off <= off) return;
        off = next_off;
        cmd = next;
    }
}

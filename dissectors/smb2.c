/* SMB2/3 messages (MS-SMB2 2.2): negotiate, session setup (NTLMSSP),
 * tree connect, create, close, read, write, IOCTL pipe transceive and
 * SET_INFO rename/delete, over compounded chains (2.2.1 NextCommand).
 * Requests are remembered by MessageId until their response completes
 * them (a tree's id, a file's id, a pipe read's data). */
#include <stdint.h>
#include <string.h>

#include "smb.h"

/* MS-SMB2 2.2.1 */
#define SMB2_HDR 64u
#define SMB2_PROTO 0x424D53FEu
#define FLAG_RESPONSE 0x00000001u
#define FLAG_ASYNC 0x00000002u
#define FLAG_RELATED 0x00000004u
#define MAX_CHAIN 32

enum {
    CMD_NEGOTIATE = 0,
    CMD_SESSION_SETUP = 1,
    CMD_TREE_CONNECT = 3,
    CMD_TREE_DISCONNECT = 4,
    CMD_CREATE = 5,
    CMD_CLOSE = 6,
    CMD_FLUSH = 7,
    CMD_READ = 8,
    CMD_WRITE = 9,
    CMD_LOCK = 0x0A,
    CMD_IOCTL = 0x0B,
    CMD_QUERY_DIRECTORY = 0x0E,
    CMD_CHANGE_NOTIFY = 0x0F,
    CMD_QUERY_INFO = 0x10,
    CMD_SET_INFO = 0x11,
    CMD_OPLOCK_BREAK = 0x12,
};

/* MS-SMB2 2.2.39 InfoType / MS-FSCC 2.4 classes */
#define INFO_FILE 1
#define FILE_RENAME_INFORMATION 10
#define FILE_DISPOSITION_INFORMATION 13
#define FILE_DISPOSITION_INFORMATION_EX 64
#define FILE_DISPOSITION_DELETE 0x1u

struct smb2_hdr {
    uint32_t status, flags, next, tree;
    uint16_t cmd;
    uint64_t msg_id;
    const uint8_t *p; /* the header; len bytes of this command are present */
    size_t len;
};

/* 2.2.1 related operations: a FileId of all ones means the file of the
 * operation before it in the same compound (3.3.5.2.7.2). In a request
 * the FileId a CREATE opens is not known yet: create_msg names that
 * CREATE, whose response gives it. */
struct chain {
    uint32_t tree;
    int has_name, has_fid, has_create;
    uint64_t fid_p, fid_v;
    uint64_t create_msg;
    char name[SMB_NAME_LEN];
};

/* The FileId later related operations of the compound mean. */
static void chain_fid(struct chain *ch, uint64_t fid_p, uint64_t fid_v)
{
    ch->has_fid = 1, ch->has_create = 0;
    ch->fid_p = fid_p, ch->fid_v = fid_v;
}

static int read_hdr(const uint8_t *p, size_t len, struct smb2_hdr *h)
{
    struct cursor c = cursor_make(p, len);
    uint32_t proto = cursor_le32(&c);
    uint16_t size = cursor_le16(&c);
    cursor_skip(&c, 2); /* CreditCharge */
    h->status = cursor_le32(&c);
    h->cmd = cursor_le16(&c);
    cursor_skip(&c, 2); /* CreditRequest/Response */
    h->flags = cursor_le32(&c);
    h->next = cursor_le32(&c);
    h->msg_id = cursor_le64(&c);
    if (h->flags & FLAG_ASYNC) { /* 2.2.1.1 AsyncId instead of TreeId */
        cursor_skip(&c, 8);
        h->tree = 0;
    } else {
        cursor_skip(&c, 4);
        h->tree = cursor_le32(&c);
    }
    cursor_skip(&c, 24); /* SessionId, Signature */
    h->p = p;
    h->len = len;
    return !c.err && proto == SMB2_PROTO && size == SMB2_HDR;
}

/* The command body (after the header). */
static struct cursor body(const struct smb2_hdr *h)
{
    return cursor_at(h->p, h->len, SMB2_HDR, h->len - SMB2_HDR);
}

/* A buffer given by offset (from the header) and length; a message read
 * as a prefix yields what is present of it. */
static struct cursor buffer(const struct smb2_hdr *h, uint32_t off, uint32_t len)
{
    if (off < SMB2_HDR || off > h->len) return cursor_at(h->p, 0, 1, 0);
    size_t n = len < h->len - off ? len : h->len - off;
    return cursor_at(h->p, h->len, off, n);
}

static void name_at(const struct smb2_hdr *h, uint32_t off, uint32_t len, char *out, size_t out_len)
{
    out[0] = 0;
    struct cursor c = buffer(h, off, len);
    if (!c.err) smb_string(c.p, c.left, 1, out, out_len);
}

static int all_ones(uint64_t p, uint64_t v)
{
    return p == UINT64_MAX && v == UINT64_MAX;
}

/* The open a FileId names: a related one from the chain; an unknown one
 * that of an unanswered create, or one opened before the capture started
 * (smb_file_use). */
static struct smb_file *resolve(const struct smb_msg *m, const struct smb2_hdr *h, struct chain *ch,
                                uint64_t fid_p, uint64_t fid_v)
{
    if (all_ones(fid_p, fid_v)) {
        if (!ch->has_fid) return NULL;
        fid_p = ch->fid_p, fid_v = ch->fid_v;
    } else {
        chain_fid(ch, fid_p, fid_v);
    }
    return smb_file_use(m, h->tree == UINT32_MAX ? ch->tree : h->tree, fid_p, fid_v);
}

/* Name and tree of the file a request names, for its event: the open's,
 * or for a related request the name its compound's create gave. */
static struct smb_file *target(const struct smb_msg *m, const struct smb2_hdr *h, struct chain *ch,
                               uint64_t fid_p, uint64_t fid_v, struct smb_file_event *fe)
{
    struct smb_file *f = resolve(m, h, ch, fid_p, fid_v);
    int related = all_ones(fid_p, fid_v);
    fe->name = f && f->name[0] ? f->name : related && ch->has_name ? ch->name : NULL;
    fe->share = smb_share_of(m->st, f ? f->tree : related ? ch->tree : h->tree);
    return f;
}

/* 2.2.4 NEGOTIATE response: the dialect the server chose. */
static void negotiate(const struct smb_msg *m, const struct smb2_hdr *h)
{
    struct cursor c = body(h);
    cursor_skip(&c, 4); /* StructureSize, SecurityMode */
    uint16_t dialect = cursor_le16(&c);
    if (!c.err && h->status == 0) smb_emit_dialect(m, dialect);
}

/* 2.2.5 SESSION_SETUP request: the security buffer; 2.2.6 response: the
 * outcome. */
static void session_setup(const struct smb_msg *m, const struct smb2_hdr *h, int response)
{
    if (response) {
        smb_session_result(m, h->status);
        return;
    }
    struct cursor c = body(h);
    cursor_skip(&c, 12); /* StructureSize .. Channel */
    uint16_t off = cursor_le16(&c), len = cursor_le16(&c);
    struct cursor b = buffer(h, off, len);
    if (!c.err && !b.err) smb_security_blob(m, b.p, b.left);
}

/* 2.2.9 TREE_CONNECT request: "\\host\share"; 2.2.10 response: TreeId. */
static void tree_connect(const struct smb_msg *m, const struct smb2_hdr *h, int response)
{
    if (!response) {
        struct cursor c = body(h);
        cursor_skip(&c, 4); /* StructureSize, Flags */
        uint16_t off = cursor_le16(&c), len = cursor_le16(&c);
        if (c.err) return;
        struct smb_pending *p = smb_pending_add(m, h->msg_id, PEND_TREE);
        if (!p) return;
        name_at(h, off, len, p->name, sizeof(p->name));
        return;
    }
    struct smb_pending *p = smb_pending_find(m->st, h->msg_id);
    if (!p || p->kind != PEND_TREE || h->status == STATUS_PENDING) return;
    if (h->status == 0) smb_tree_add(m->st, h->tree, p->name);
    smb_emit_tree(m->dc, m->to_server, h->status, p->name, 0);
    p->used = 0;
}

/* 2.2.13 CREATE request: name (relative to the share), disposition. */
static void create_request(const struct smb_msg *m, const struct smb2_hdr *h, struct chain *ch)
{
    struct cursor c = body(h);
    cursor_skip(&c, 36); /* StructureSize .. ShareAccess */
    uint32_t disposition = cursor_le32(&c), options = cursor_le32(&c);
    uint16_t off = cursor_le16(&c), len = cursor_le16(&c);
    if (c.err) return;
    uint32_t tree = (h->flags & FLAG_RELATED) && h->tree == UINT32_MAX ? ch->tree : h->tree;
    struct smb_pending *p = smb_pending_add(m, h->msg_id, PEND_CREATE);
    if (!p) return;
    name_at(h, off, len, p->name, sizeof(p->name));
    p->tree = tree;
    p->disposition = disposition;
    p->options = options;
    ch->tree = tree;
    ch->has_name = 1;
    memcpy(ch->name, p->name, sizeof(ch->name));
    ch->has_fid = 0, ch->has_create = 1;
    ch->create_msg = h->msg_id;
}

/* 2.2.14 CREATE response: the FileId of the name the request gave. */
static void create_response(const struct smb_msg *m, const struct smb2_hdr *h, struct chain *ch)
{
    struct smb_pending *p = smb_pending_find(m->st, h->msg_id);
    if (!p || p->kind != PEND_CREATE || h->status == STATUS_PENDING) return;
    struct cursor c = body(h);
    cursor_skip(&c, 64); /* StructureSize .. Reserved2 */
    uint64_t fid_p = cursor_le64(&c), fid_v = cursor_le64(&c);
    const char *share = smb_share_of(m->st, p->tree);
    /* Closed in its own compound: the open is gone once the compound
     * completes, and would otherwise hold a slot for good. */
    ch->has_fid = 0;
    if (h->status == 0 && !c.err && !p->closed) {
        smb_file_add(m->st, fid_p, fid_v, p->tree, p->name);
        chain_fid(ch, fid_p, fid_v);
    }
    struct smb_file_event fe = {.type = EV_SMB_CREATE,
                                .status = h->status,
                                .share = share,
                                .name = p->name,
                                .disposition = p->disposition};
    smb_emit_file(m->dc, m->to_server, &fe);
    if (h->status == 0 && (p->options & FILE_DELETE_ON_CLOSE)) {
        fe.type = EV_SMB_DELETE;
        smb_emit_file(m->dc, m->to_server, &fe);
    }
    p->used = 0;
}

/* 2.2.15 CLOSE request. A related one (3.2.4.1.4) closes the file of the
 * operation before it; after a CREATE of the same compound, that file is
 * known only from the CREATE response, which then does not keep it. */
static void close_request(const struct smb_msg *m, const struct smb2_hdr *h, struct chain *ch)
{
    struct cursor c = body(h);
    cursor_skip(&c, 8); /* StructureSize, Flags, Reserved */
    uint64_t fid_p = cursor_le64(&c), fid_v = cursor_le64(&c);
    if (c.err) return;
    if (!all_ones(fid_p, fid_v)) {
        smb_file_use(m, h->tree, fid_p, fid_v); /* an unanswered create is reported */
        smb_file_del(m->st, fid_p, fid_v);
    } else if (h->flags & FLAG_RELATED) {
        struct smb_pending *p = ch->has_create ? smb_pending_find(m->st, ch->create_msg) : NULL;
        if (p && p->kind == PEND_CREATE)
            p->closed = 1;
        else if (ch->has_fid)
            smb_file_del(m->st, ch->fid_p, ch->fid_v);
    }
    ch->has_fid = ch->has_create = 0;
}

/* 2.2.19 READ request: only reads of pipes (or of opens that may be
 * pipes) are followed, for their data. */
static void read_request(const struct smb_msg *m, const struct smb2_hdr *h, struct chain *ch)
{
    struct cursor c = body(h);
    cursor_skip(&c, 16); /* StructureSize .. Offset */
    uint64_t fid_p = cursor_le64(&c), fid_v = cursor_le64(&c);
    if (c.err) return;
    struct smb_file *f = resolve(m, h, ch, fid_p, fid_v);
    if (!f || !(f->is_pipe || f->maybe_pipe)) return;
    struct smb_pending *p = smb_pending_add(m, h->msg_id, PEND_READ);
    if (!p) return;
    p->fid_p = f->fid_p, p->fid_v = f->fid_v;
}

/* 2.2.20 READ response: DataOffset, DataLength. A pipe message longer
 * than the read comes with STATUS_BUFFER_OVERFLOW and its first part. */
static void read_response(const struct smb_msg *m, const struct smb2_hdr *h)
{
    struct smb_pending *p = smb_pending_find(m->st, h->msg_id);
    if (!p || p->kind != PEND_READ || h->status == STATUS_PENDING) return;
    p->used = 0;
    if (h->status != 0 && h->status != STATUS_BUFFER_OVERFLOW) return;
    struct cursor c = body(h);
    cursor_skip(&c, 2);
    uint8_t off = cursor_u8(&c);
    cursor_skip(&c, 1);
    uint32_t len = cursor_le32(&c);
    struct cursor d = buffer(h, off, len);
    if (!c.err && !d.err) smb_pipe_data(m, smb_file_find(m->st, p->fid_p, p->fid_v), d.p, d.left);
}

/* 2.2.21 WRITE request: to a pipe, DCE-RPC; to a file, EV_SMB_WRITE. */
static void write_request(const struct smb_msg *m, const struct smb2_hdr *h, struct chain *ch)
{
    struct cursor c = body(h);
    cursor_skip(&c, 2);
    uint16_t off = cursor_le16(&c);
    uint32_t len = cursor_le32(&c);
    uint64_t offset = cursor_le64(&c);
    uint64_t fid_p = cursor_le64(&c), fid_v = cursor_le64(&c);
    if (c.err) return;
    struct smb_file_event fe = {.type = EV_SMB_WRITE, .offset = offset, .length = len};
    struct smb_file *f = target(m, h, ch, fid_p, fid_v, &fe);
    struct cursor d = buffer(h, off, len);
    if (f && !d.err && smb_pipe_data(m, f, d.p, d.left)) return;
    if (f && f->is_pipe) return;
    fe.pe_header = offset == 0 && !d.err && d.left >= 2 && d.p[0] == 'M' && d.p[1] == 'Z';
    smb_emit_file(m->dc, m->to_server, &fe);
}

/* 2.2.31 IOCTL request / 2.2.32 response: FSCTL_PIPE_TRANSCEIVE carries a
 * DCE-RPC request in its input and the response in its output. The
 * response goes to the pipe of its request, found by MessageId as the
 * client does (3.2.5.1): its own FileId may differ (a macOS server zeroes
 * the persistent part), and would open a second DCE-RPC state there.
 * Only a pipe is transceived: an open not known as one is one. */
static void ioctl(const struct smb_msg *m, const struct smb2_hdr *h, struct chain *ch, int response)
{
    struct smb_pending *p = NULL;
    if (response) {
        if (h->status == STATUS_PENDING) return; /* interim: the final response follows */
        p = smb_pending_find(m->st, h->msg_id);
        if (p && p->kind != PEND_IOCTL) p = NULL;
        if (p) p->used = 0;
    }
    struct cursor c = body(h);
    cursor_skip(&c, 4);
    uint32_t code = cursor_le32(&c);
    uint64_t fid_p = cursor_le64(&c), fid_v = cursor_le64(&c);
    uint32_t off = cursor_le32(&c), len = cursor_le32(&c); /* InputOffset, InputCount */
    if (response) {
        off = cursor_le32(&c); /* OutputOffset, OutputCount */
        len = cursor_le32(&c);
    }
    if (c.err || code != FSCTL_PIPE_TRANSCEIVE) return;
    if (response && h->status != 0 && h->status != STATUS_BUFFER_OVERFLOW) return;
    struct cursor d = buffer(h, off, len);
    if (d.err) return;
    struct smb_file *f;
    if (p) {
        f = smb_file_find(m->st, p->fid_p, p->fid_v);
    } else {
        f = resolve(m, h, ch, fid_p, fid_v);
        if (!f && !all_ones(fid_p, fid_v)) f = smb_file_pipe(m, h->tree, fid_p, fid_v);
        if (f) f->is_pipe = 1;
    }
    smb_pipe_data(m, f, d.p, d.left);
    if (!response && f && f->is_pipe) {
        struct smb_pending *q = smb_pending_add(m, h->msg_id, PEND_IOCTL);
        if (!q) return;
        q->fid_p = f->fid_p, q->fid_v = f->fid_v;
    }
}

/* 2.2.39 SET_INFO request: MS-FSCC 2.4.37.2 FileRenameInformation (type 2
 * for SMB2) and 2.4.11 FileDispositionInformation(Ex). */
static void set_info(const struct smb_msg *m, const struct smb2_hdr *h, struct chain *ch)
{
    struct cursor c = body(h);
    cursor_skip(&c, 2);
    uint8_t type = cursor_u8(&c), cls = cursor_u8(&c);
    uint32_t len = cursor_le32(&c);
    uint16_t off = cursor_le16(&c);
    cursor_skip(&c, 6);
    uint64_t fid_p = cursor_le64(&c), fid_v = cursor_le64(&c);
    struct cursor b = buffer(h, off, len);
    if (c.err || b.err || type != INFO_FILE) return;
    struct smb_file_event fe;
    memset(&fe, 0, sizeof(fe));
    target(m, h, ch, fid_p, fid_v, &fe);
    char new_name[SMB_NAME_LEN];
    if (cls == FILE_RENAME_INFORMATION) {
        cursor_skip(&b, 16); /* ReplaceIfExists, Reserved, RootDirectory */
        uint32_t nlen = cursor_le32(&b);
        if (b.err) return;
        smb_string(b.p, nlen < b.left ? nlen : b.left, 1, new_name, sizeof(new_name));
        fe.type = EV_SMB_RENAME;
        fe.new_name = new_name;
    } else if (cls == FILE_DISPOSITION_INFORMATION) {
        if (!cursor_u8(&b) || b.err) return;
        fe.type = EV_SMB_DELETE;
    } else if (cls == FILE_DISPOSITION_INFORMATION_EX) {
        if (!(cursor_le32(&b) & FILE_DISPOSITION_DELETE) || b.err) return;
        fe.type = EV_SMB_DELETE;
    } else {
        return;
    }
    smb_emit_file(m->dc, m->to_server, &fe);
}

/* A request that names an open and carries nothing followed (2.2.17
 * FLUSH, 2.2.26 LOCK, 2.2.33 QUERY_DIRECTORY, 2.2.35 CHANGE_NOTIFY, 2.2.24
 * OPLOCK_BREAK acknowledgment: FileId at 8; 2.2.37 QUERY_INFO: at 24). Of
 * an open no response gave, the first request naming it learns its name
 * (smb_file_use): the open of a directory listed, of a file whose
 * attributes are read before its data. */
static void use_open(const struct smb_msg *m, const struct smb2_hdr *h, struct chain *ch)
{
    struct cursor c = body(h);
    cursor_skip(&c, h->cmd == CMD_QUERY_INFO ? 24 : 8);
    uint64_t fid_p = cursor_le64(&c), fid_v = cursor_le64(&c);
    if (!c.err) resolve(m, h, ch, fid_p, fid_v);
}

/* A response: counted; an interim one (2.2.1.1 STATUS_PENDING) marks its
 * request as answered late; a final one raises answered_max. */
static void response_seen(struct smb_state *st, const struct smb2_hdr *h)
{
    st->responses++;
    if (h->status == STATUS_PENDING) {
        struct smb_pending *p = smb_pending_find(st, h->msg_id);
        if (p) p->interim = 1;
    } else if (!(h->flags & FLAG_ASYNC) && h->msg_id > st->answered_max) {
        st->answered_max = h->msg_id;
    }
}

static void command(const struct smb_msg *m, const struct smb2_hdr *h, struct chain *ch)
{
    int response = (h->flags & FLAG_RESPONSE) != 0;
    if (response)
        response_seen(m->st, h);
    else if (h->cmd > CMD_TREE_CONNECT && !(h->flags & FLAG_ASYNC))
        smb_tree_use(m, h->tree);
    switch (h->cmd) {
    case CMD_NEGOTIATE:
        if (response) negotiate(m, h);
        break;
    case CMD_SESSION_SETUP:
        session_setup(m, h, response);
        break;
    case CMD_TREE_CONNECT:
        tree_connect(m, h, response);
        break;
    case CMD_TREE_DISCONNECT:
        if (!response) smb_tree_del(m->st, h->tree);
        break;
    case CMD_CREATE:
        if (response)
            create_response(m, h, ch);
        else
            create_request(m, h, ch);
        break;
    case CMD_CLOSE:
        if (!response) close_request(m, h, ch);
        break;
    case CMD_READ:
        if (response)
            read_response(m, h);
        else
            read_request(m, h, ch);
        break;
    case CMD_WRITE:
        if (!response) write_request(m, h, ch);
        break;
    case CMD_IOCTL:
        ioctl(m, h, ch, response);
        break;
    case CMD_SET_INFO:
        if (!response) set_info(m, h, ch);
        break;
    case CMD_FLUSH:
    case CMD_LOCK:
    case CMD_QUERY_DIRECTORY:
    case CMD_CHANGE_NOTIFY:
    case CMD_QUERY_INFO:
    case CMD_OPLOCK_BREAK:
        if (!response) use_open(m, h, ch);
        break;
    default:
        break;
    }
}

size_t smb2_wanted(struct smb_state *st, const uint8_t *p, size_t avail)
{
    struct smb2_hdr h;
    if (!read_hdr(p, avail, &h) || h.next != 0) return SIZE_MAX;
    struct cursor c = body(&h);
    int response = (h.flags & FLAG_RESPONSE) != 0;
    if (h.cmd == CMD_READ && response) {
        /* 2.2.20: only a read of a pipe has its data parsed. */
        const struct smb_pending *q = smb_pending_find(st, h.msg_id);
        return q && q->kind == PEND_READ ? SIZE_MAX : SMB2_HDR + 16;
    }
    if (h.cmd != CMD_WRITE || response) return SIZE_MAX;
    /* 2.2.21: of a write to a file known as no pipe, the fixed part and
     * the first two bytes of data (an "MZ" PE header). */
    cursor_skip(&c, 2);
    uint16_t off = cursor_le16(&c);
    cursor_skip(&c, 12); /* Length, Offset */
    uint64_t fid_p = cursor_le64(&c), fid_v = cursor_le64(&c);
    if (c.err || all_ones(fid_p, fid_v)) return SIZE_MAX;
    const struct smb_file *f = smb_file_peek(st, fid_p, fid_v);
    if (!f || f->is_pipe || f->maybe_pipe) return SIZE_MAX;
    return off < SMB2_HDR + 48 ? SMB2_HDR + 48 : (size_t)off + 2;
}

void smb2_parse(const struct smb_msg *m)
{
    struct chain ch;
    memset(&ch, 0, sizeof(ch));
    size_t off = 0;
    for (int i = 0; i < MAX_CHAIN && off < m->avail; i++) {
        struct smb2_hdr h;
        if (!read_hdr(m->p + off, m->avail - off, &h)) return;
        /* 2.2.1: NextCommand is the offset of the next header from this
         * one; this command ends there. */
        if (h.next && h.next < h.len) h.len = h.next;
        command(m, &h, &ch);
        if (h.next < SMB2_HDR || h.next >= m->avail - off) return;
        off += h.next;
    }
}

/* Connection-oriented DCE-RPC (C706 chapter 12, MS-RPCE 2.2.2). Over TCP
 * the engine hands in-order bytes and this parser takes one PDU at a time,
 * reading only what it needs (a request's first 24-40 bytes, a bind's
 * context list) and skipping the rest of large PDUs. Over SMB named pipes
 * smb.c hands each write/read payload, which is all there is: PDUs cut
 * short are parsed as far as they go. */
#include <string.h>

#include "cursor.h"
#include "dcerpc.h"
#include "ntlmssp.h"

/* C706 12.6.3.1 (packet types), MS-RPCE 2.2.2.1 (auth3 and later). */
enum {
    PT_REQUEST = 0,
    PT_RESPONSE = 2,
    PT_FAULT = 3,
    PT_BIND = 11,
    PT_BIND_ACK = 12,
    PT_BIND_NAK = 13,
    PT_ALTER_CONTEXT = 14,
    PT_ALTER_CONTEXT_RESP = 15,
    PT_AUTH3 = 16,
    PT_ORPHANED = 19,
};

/* C706 12.6.3.1 pfc_flags. */
#define PFC_FIRST_FRAG 0x01
#define PFC_OBJECT_UUID 0x80

#define HDR_LEN 16
#define REQUEST_HDR_LEN 24
#define FAULT_STATUS_END 28
#define SEC_TRAILER_LEN 8   /* MS-RPCE 2.2.2.11 */
#define CONTEXT_ELEM_LEN 44 /* id, count, pad, abstract syntax (20) + one transfer syntax (20) */
#define SYNTAX_LEN 20
/* A bind longer than the engine's buffer (Kerberos tickets in the auth
 * verifier) is parsed from its first bytes: the context list comes first. */
#define PARTIAL_MIN 1024
/* Over TCP a request up to this size is waited for whole, so that its
 * stub reaches the detectors; a larger one is read from its first bytes. */
#define REQUEST_WHOLE_MAX PARTIAL_MIN
/* PDUs in a row that do not parse before a TCP flow is given up. */
#define MAX_BAD 4

/* MS-RPCE 2.2.2.11 auth_type values that may carry NTLMSSP. */
#define AUTHN_GSS_NEGOTIATE 9
#define AUTHN_WINNT 10
/* C706 appendix E / MS-RPCE 2.2.2.8: fault status for access denied. */
#define NCA_FAULT_ACCESS_DENIED 0x00000005u
#define STATUS_LOGON_FAILURE 0xC000006Du
/* MS-RPCE 2.2.1.1.8: the stub is encrypted from this level on. */
#define AUTH_LEVEL_PKT_PRIVACY 6

/* MS-RPCE 2.2.5: the NDR64 transfer syntax 71710533-beba-4937-8319-
 * b5dbef9ccc36, in wire form. */
static const uint8_t NDR64_SYNTAX[16] = {0x33, 0x05, 0x71, 0x71, 0xba, 0xbe, 0x37, 0x49,
                                         0x83, 0x19, 0xb5, 0xdb, 0xef, 0x9c, 0xcc, 0x36};

struct hdr {
    uint8_t ptype, flags;
    int be; /* drep: big-endian integers */
    uint16_t frag_len, auth_len;
};

static uint16_t rd16(struct cursor *c, int be)
{
    return be ? cursor_be16(c) : cursor_le16(c);
}

static uint32_t rd32(struct cursor *c, int be)
{
    return be ? cursor_be32(c) : cursor_le32(c);
}

static int co_ptype(uint8_t t)
{
    return t == PT_REQUEST || t == PT_RESPONSE || t == PT_FAULT ||
           (t >= PT_BIND && t <= PT_ORPHANED);
}

/* The first bytes of a header could still be one (C706 12.6.3.1). */
static int prefix_ok(const uint8_t *d, size_t len)
{
    struct cursor c = cursor_make(d, len);
    if (len > 0 && cursor_u8(&c) != 5) return 0;
    if (len > 1 && cursor_u8(&c) > 1) return 0;
    if (len > 2 && !co_ptype(cursor_u8(&c))) return 0;
    return 1;
}

/* C706 12.6.3.1 common header: version 5.0 or 5.1, a connection-oriented
 * type, a valid data representation, lengths that fit together. */
static int read_header(const uint8_t *d, size_t len, struct hdr *h)
{
    struct cursor c = cursor_make(d, len);
    uint8_t ver = cursor_u8(&c), minor = cursor_u8(&c);
    h->ptype = cursor_u8(&c);
    h->flags = cursor_u8(&c);
    uint8_t drep[4];
    cursor_copy(&c, drep, sizeof(drep));
    if (c.err || ver != 5 || minor > 1 || !co_ptype(h->ptype)) return 0;
    /* C706 14.1: integer and character representation nibbles, float
     * format 0-3, two reserved bytes. */
    if ((drep[0] & 0xee) != 0 || drep[1] > 3 || drep[2] || drep[3]) return 0;
    h->be = !(drep[0] & 0x10);
    h->frag_len = rd16(&c, h->be);
    h->auth_len = rd16(&c, h->be);
    if (c.err || h->frag_len < HDR_LEN) return 0;
    if (h->auth_len && (size_t)h->auth_len + SEC_TRAILER_LEN + HDR_LEN > h->frag_len) return 0;
    return 1;
}

/* An NDR uuid in the PDU's byte order, stored in wire form (first three
 * fields little-endian). */
static void read_uuid(struct cursor *c, int be, uint8_t out[16])
{
    uint32_t a = rd32(c, be);
    uint16_t b = rd16(c, be), d = rd16(c, be);
    out[0] = (uint8_t)a, out[1] = (uint8_t)(a >> 8), out[2] = (uint8_t)(a >> 16);
    out[3] = (uint8_t)(a >> 24), out[4] = (uint8_t)b, out[5] = (uint8_t)(b >> 8);
    out[6] = (uint8_t)d, out[7] = (uint8_t)(d >> 8);
    cursor_copy(c, out + 8, 8);
}

static struct dcerpc_context *ctx_find(struct dcerpc_conn *c, uint16_t id)
{
    for (unsigned i = 0; i < DCERPC_MAX_CONTEXTS; i++)
        if (c->ctx[i].used && c->ctx[i].id == id) return &c->ctx[i];
    return NULL;
}

/* The slot of context id: its own, a free one, or (table full) the next in
 * turn, preferring one the server did not accept. */
static struct dcerpc_context *ctx_slot(struct dcerpc_conn *c, uint16_t id)
{
    struct dcerpc_context *x = ctx_find(c, id);
    if (x) return x;
    for (unsigned i = 0; i < DCERPC_MAX_CONTEXTS; i++)
        if (!c->ctx[i].used) {
            c->nctx++;
            return &c->ctx[i];
        }
    for (unsigned i = 0; i < DCERPC_MAX_CONTEXTS; i++)
        if (!c->ctx[i].accepted) return &c->ctx[i];
    c->next_evict = (uint8_t)((c->next_evict + 1) % DCERPC_MAX_CONTEXTS);
    return &c->ctx[c->next_evict];
}

/* A request's stub as held: NULL when not clear or not held. */
struct stub {
    const uint8_t *p;
    size_t len;
    int be;
};

static void emit_rpc(struct dissect_ctx *dc, enum dissect_event_type type, int to_server,
                     const struct dcerpc_context *x, uint16_t ctx_id, uint16_t opnum,
                     const char *pipe, const struct stub *stub)
{
    struct dissect_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    ev.to_server = to_server;
    ev.u.rpc.ctx_id = ctx_id;
    ev.u.rpc.opnum = opnum;
    ev.u.rpc.pipe = pipe;
    if (x) {
        memcpy(ev.u.rpc.uuid, x->uuid, 16);
        ev.u.rpc.uuid_known = 1;
        ev.u.rpc.ver_major = x->ver_major;
        ev.u.rpc.ver_minor = x->ver_minor;
        ev.u.rpc.ndr64 = x->ndr64;
    }
    if (stub && stub->p) {
        ev.u.rpc.stub = stub->p;
        ev.u.rpc.stub_len = (uint32_t)stub->len;
        ev.u.rpc.big_endian = (uint8_t)stub->be;
    }
    dc->emit(dc, &ev);
}

static void emit_auth_result(struct dissect_ctx *dc, struct dcerpc_conn *c, int to_server,
                             uint32_t status)
{
    struct dissect_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = EV_AUTH_RESULT;
    ev.to_server = to_server;
    ev.status = status;
    c->auth_pending = 0;
    dc->emit(dc, &ev);
}

/* C706 12.6.4.3 bind / 12.6.4.1 alter_context: p_cont_list_t after
 * max_xmit_frag, max_recv_frag and assoc_group_id. One event per complete
 * context element within the body. */
static void parse_bind(struct dissect_ctx *dc, struct dcerpc_conn *c, int to_server,
                       const uint8_t *d, size_t body, const struct hdr *h, const char *pipe)
{
    struct cursor cur = cursor_at(d, body, HDR_LEN, body > HDR_LEN ? body - HDR_LEN : 0);
    cursor_skip(&cur, 8);
    unsigned n = cursor_u8(&cur);
    cursor_skip(&cur, 3);
    c->npending = 0;
    for (unsigned i = 0; i < n && !cur.err; i++) {
        uint8_t uuid[16];
        uint16_t id = rd16(&cur, h->be);
        unsigned nts = cursor_u8(&cur);
        cursor_skip(&cur, 1);
        read_uuid(&cur, h->be, uuid);
        uint16_t vmaj = rd16(&cur, h->be), vmin = rd16(&cur, h->be);
        /* The first transfer syntax offered: the one a Windows client
         * offers alone in each element. */
        uint8_t syntax[16] = {0};
        if (nts > 0) {
            read_uuid(&cur, h->be, syntax);
            cursor_skip(&cur, 4 + (size_t)(nts - 1) * SYNTAX_LEN);
        }
        if (cur.err) break;
        struct dcerpc_context *x = ctx_slot(c, id);
        x->id = id;
        x->ver_major = vmaj;
        x->ver_minor = vmin;
        memcpy(x->uuid, uuid, 16);
        x->used = 1;
        x->accepted = 0;
        x->ndr64 = memcmp(syntax, NDR64_SYNTAX, 16) == 0;
        if (c->npending < DCERPC_MAX_CONTEXTS) c->pending[c->npending++] = id;
        emit_rpc(dc, EV_DCERPC_BIND, to_server, x, id, 0, pipe, NULL);
    }
}

/* C706 12.6.4.4 bind_ack / alter_context_resp: the results, in the order
 * of the contexts of the bind they answer; 0 is acceptance, with the
 * transfer syntax the server chose. */
static void parse_bind_ack(struct dcerpc_conn *c, const uint8_t *d, size_t body,
                           const struct hdr *h)
{
    struct cursor cur = cursor_at(d, body, HDR_LEN, body > HDR_LEN ? body - HDR_LEN : 0);
    cursor_skip(&cur, 8);
    uint16_t addr_len = rd16(&cur, h->be);
    cursor_skip(&cur, addr_len);
    /* The result list is 4-byte aligned from the start of the PDU. */
    size_t off = HDR_LEN + 10 + (size_t)addr_len;
    cursor_skip(&cur, (4 - off % 4) % 4);
    unsigned n = cursor_u8(&cur);
    cursor_skip(&cur, 3);
    for (unsigned i = 0; i < n && i < c->npending && !cur.err; i++) {
        uint16_t result = rd16(&cur, h->be);
        uint8_t syntax[16];
        cursor_skip(&cur, 2);
        read_uuid(&cur, h->be, syntax);
        cursor_skip(&cur, 4);
        struct dcerpc_context *x = ctx_find(c, c->pending[i]);
        if (cur.err || !x) continue;
        x->accepted = result == 0;
        if (x->accepted) x->ndr64 = memcmp(syntax, NDR64_SYNTAX, 16) == 0;
    }
    c->npending = 0;
}

/* MS-RPCE 2.2.2.11: the sec_trailer and auth value end the PDU. An NTLM
 * AUTHENTICATE from the client becomes an event; the server's next PDU
 * tells whether it was accepted. */
static void parse_auth(struct dissect_ctx *dc, struct dcerpc_conn *c, int to_server,
                       const uint8_t *d, const struct hdr *h)
{
    size_t off = (size_t)h->frag_len - h->auth_len - SEC_TRAILER_LEN;
    struct cursor cur = cursor_at(d, h->frag_len, off, SEC_TRAILER_LEN);
    uint8_t type = cursor_u8(&cur);
    if (cur.err || (type != AUTHN_WINNT && type != AUTHN_GSS_NEGOTIATE)) return;
    struct ntlmssp_info info;
    memset(&info, 0, sizeof(info));
    if (ntlmssp_find(d + off + SEC_TRAILER_LEN, h->auth_len, &info) != 0 ||
        info.msg_type != NTLMSSP_AUTHENTICATE)
        return;
    struct dissect_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = EV_NTLM_AUTH;
    ev.to_server = to_server;
    ev.u.auth.user = info.user;
    ev.u.auth.domain = info.domain;
    ev.u.auth.workstation = info.workstation;
    dc->emit(dc, &ev);
    c->auth_pending = 1;
}

/* The outcome of a pending NTLM authentication, from the server's PDU. */
static void auth_outcome(struct dissect_ctx *dc, struct dcerpc_conn *c, int to_server,
                         const uint8_t *d, size_t avail, const struct hdr *h)
{
    if (!c->auth_pending) return;
    if (h->ptype == PT_BIND_ACK || h->ptype == PT_ALTER_CONTEXT_RESP || h->ptype == PT_RESPONSE) {
        emit_auth_result(dc, c, to_server, 0);
    } else if (h->ptype == PT_BIND_NAK) {
        emit_auth_result(dc, c, to_server, STATUS_LOGON_FAILURE);
    } else if (h->ptype == PT_FAULT) {
        struct cursor cur = cursor_at(d, avail, REQUEST_HDR_LEN, 4);
        uint32_t status = rd32(&cur, h->be);
        if (!cur.err && status == NCA_FAULT_ACCESS_DENIED)
            emit_auth_result(dc, c, to_server, STATUS_LOGON_FAILURE);
        else
            c->auth_pending = 0;
    }
}

/* The stub of a request: from the end of its header to the auth
 * verifier, less the verifier's padding (MS-RPCE 2.2.2.11). With an auth
 * verifier the sec_trailer ends the PDU: a PDU not held whole, or sealed
 * (packet privacy), has no stub to give. */
static struct stub request_stub(const uint8_t *d, size_t avail, const struct hdr *h, size_t off)
{
    struct stub s = {NULL, 0, h->be};
    size_t end = h->frag_len;
    if (h->auth_len) {
        if (avail < h->frag_len) return s;
        size_t trailer = (size_t)h->frag_len - h->auth_len - SEC_TRAILER_LEN;
        struct cursor cur = cursor_at(d, avail, trailer, SEC_TRAILER_LEN);
        cursor_skip(&cur, 1);
        uint8_t level = cursor_u8(&cur), pad = cursor_u8(&cur);
        if (cur.err || level >= AUTH_LEVEL_PKT_PRIVACY || pad > trailer) return s;
        end = trailer - pad;
    }
    if (end > avail) end = avail;
    if (end > off) s.p = d + off, s.len = end - off;
    return s;
}

/* C706 12.6.4.9: alloc_hint, p_cont_id, opnum, then the object UUID when
 * PFC_OBJECT_UUID is set. With packet privacy the stub is encrypted but
 * this header is clear. Only a request's first fragment is an event. */
static void parse_request(struct dissect_ctx *dc, struct dcerpc_conn *c, int to_server,
                          const uint8_t *d, size_t avail, const struct hdr *h, const char *pipe)
{
    struct cursor cur = cursor_at(d, avail, HDR_LEN, avail > HDR_LEN ? avail - HDR_LEN : 0);
    cursor_skip(&cur, 4);
    uint16_t ctx_id = rd16(&cur, h->be), opnum = rd16(&cur, h->be);
    if (cur.err || !(h->flags & PFC_FIRST_FRAG)) return;
    struct stub stub =
        request_stub(d, avail, h, REQUEST_HDR_LEN + (h->flags & PFC_OBJECT_UUID ? 16 : 0));
    /* Midstream (no bind seen): the interface stays unknown. */
    emit_rpc(dc, EV_DCERPC_REQUEST, to_server, ctx_find(c, ctx_id), ctx_id, opnum, pipe, &stub);
}

static void handle_pdu(struct dissect_ctx *dc, struct dcerpc_conn *c, int to_server,
                       const uint8_t *d, size_t avail, const struct hdr *h, const char *pipe)
{
    int whole = avail >= h->frag_len;
    /* The body ends where the auth verifier starts. */
    size_t body = h->auth_len ? (size_t)h->frag_len - h->auth_len - SEC_TRAILER_LEN : h->frag_len;
    if (body > avail) body = avail;
    switch (h->ptype) {
    case PT_BIND:
    case PT_ALTER_CONTEXT:
        parse_bind(dc, c, to_server, d, body, h, pipe);
        break;
    case PT_BIND_ACK:
    case PT_ALTER_CONTEXT_RESP:
        parse_bind_ack(c, d, body, h);
        break;
    case PT_REQUEST:
        parse_request(dc, c, to_server, d, avail, h, pipe);
        break;
    default:
        break;
    }
    if (h->ptype == PT_BIND || h->ptype == PT_ALTER_CONTEXT || h->ptype == PT_AUTH3) {
        if (whole && h->auth_len) parse_auth(dc, c, to_server, d, h);
    } else {
        auth_outcome(dc, c, to_server, d, avail, h);
    }
}

/* Bytes of a PDU needed before it is worth parsing. */
static size_t needed(const struct hdr *h)
{
    size_t n;
    switch (h->ptype) {
    case PT_REQUEST:
        n = h->frag_len <= REQUEST_WHOLE_MAX
                ? h->frag_len
                : REQUEST_HDR_LEN + (h->flags & PFC_OBJECT_UUID ? 16 : 0);
        break;
    case PT_FAULT:
        n = FAULT_STATUS_END;
        break;
    case PT_RESPONSE:
        n = HDR_LEN;
        break;
    default:
        n = h->frag_len < PARTIAL_MIN ? h->frag_len : PARTIAL_MIN;
        break;
    }
    return n < h->frag_len ? n : h->frag_len;
}

/* Bytes that are not a PDU: dropped; a TCP flow that keeps sending them
 * is not DCE-RPC (or lost for good). */
static long garbage(struct dcerpc_conn *c, size_t len, int pipe_mode)
{
    if (c->bad < 255) c->bad++;
    if (!pipe_mode && c->bad > MAX_BAD) return DISSECT_STOP;
    return (long)len;
}

void dcerpc_conn_init(struct dcerpc_conn *c)
{
    memset(c, 0, sizeof(*c));
}

/* One PDU from a TCP stream: the engine's parse() contract. */
static long parse_stream(struct dissect_ctx *dc, struct dcerpc_conn *c, int to_server,
                         const uint8_t *data, size_t len)
{
    struct hdr h;
    if (len < HDR_LEN) return prefix_ok(data, len) ? 0 : garbage(c, len, 0);
    if (!read_header(data, len, &h)) return garbage(c, len, 0);
    c->bad = 0;
    if (len < needed(&h)) return 0;
    handle_pdu(dc, c, to_server, data, len < h.frag_len ? len : h.frag_len, &h, NULL);
    return h.frag_len;
}

long dcerpc_parse(struct dissect_ctx *dc, struct dcerpc_conn *c, int to_server, const uint8_t *data,
                  size_t len, const char *pipe)
{
    if (!pipe) return parse_stream(dc, c, to_server, data, len);
    /* A pipe payload: every PDU in it, the last one possibly cut short. A
     * payload that does not start with a header continues a PDU split
     * over several SMB writes, whose start was already seen. */
    size_t off = 0;
    while (off < len) {
        struct hdr h;
        if (!read_header(data + off, len - off, &h)) {
            if (off == 0) garbage(c, len, 1);
            break;
        }
        c->bad = 0;
        size_t avail = len - off < h.frag_len ? len - off : h.frag_len;
        handle_pdu(dc, c, to_server, data + off, avail, &h, pipe);
        off += avail;
    }
    return (long)len;
}

void dcerpc_uuid_format(const uint8_t uuid[16], char *out)
{
    static const char hex[] = "0123456789abcdef";
    /* Wire order of the bytes as printed: three little-endian fields, then
     * eight bytes as they are. */
    static const uint8_t order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    size_t o = 0;
    for (unsigned i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
        out[o++] = hex[uuid[order[i]] >> 4];
        out[o++] = hex[uuid[order[i]] & 15];
    }
    out[o] = 0;
}

/* --- the TCP dissector --------------------------------------------------- */

/* A plausible first PDU of a connection, or of its middle: bind,
 * alter_context, request, or the server's response or bind_ack. Any port:
 * the endpoint mapper hands out dynamic ones. */
/* A PDU as every implementation sends it, its type's fixed part included:
 * what a stream of unknown content must start with to be DCE-RPC. */
int dcerpc_pdu_plausible(const uint8_t *data, size_t len)
{
    struct hdr h;
    if (len < HDR_LEN || !read_header(data, len, &h)) return 0;
    /* Stricter than C706 allows, as every implementation on the wire is:
     * ASCII characters and IEEE floats. */
    if ((data[4] & 0x0f) != 0 || data[5] != 0) return 0;
    size_t fixed;
    switch (h.ptype) {
    case PT_REQUEST:
    case PT_RESPONSE:
        fixed = REQUEST_HDR_LEN;
        break;
    case PT_FAULT:
        fixed = 32;
        break;
    case PT_BIND:
    case PT_ALTER_CONTEXT:
    case PT_BIND_ACK:
    case PT_ALTER_CONTEXT_RESP:
        fixed = HDR_LEN + 10;
        break;
    case PT_BIND_NAK:
        fixed = HDR_LEN + 2;
        break;
    case PT_AUTH3:
        fixed = HDR_LEN + 4;
        break;
    default:
        return 0;
    }
    return h.frag_len >= fixed;
}

static int probe(const struct dissect_flow_info *f, int to_server, const uint8_t *data, size_t len)
{
    (void)f, (void)to_server;
    struct hdr h;
    if (len < HDR_LEN || !read_header(data, len, &h)) return 0;
    /* Stricter than C706 allows, as every implementation on the wire is:
     * ASCII characters and IEEE floats (a Cassandra v5 frame otherwise
     * passes), and at least the fixed part of the PDU type. */
    if ((data[4] & 0x0f) != 0 || data[5] != 0) return 0;
    switch (h.ptype) {
    case PT_REQUEST:
    case PT_RESPONSE:
        return h.frag_len >= REQUEST_HDR_LEN;
    case PT_BIND:
    case PT_ALTER_CONTEXT:
    case PT_BIND_ACK:
        return h.frag_len >= HDR_LEN + 12;
    default:
        return 0;
    }
}

static long parse(struct dissect_ctx *dc, void *state, int to_server, const uint8_t *data,
                  size_t len)
{
    return dcerpc_parse(dc, state, to_server, data, len, NULL);
}

/* Bytes were lost: whatever bind or authentication was in flight is
 * unknowable; the next header resynchronises. */
static void gap(void *state, int to_server)
{
    struct dcerpc_conn *c = state;
    (void)to_server;
    c->npending = 0;
    c->auth_pending = 0;
}

const struct dissector dissector_dcerpc = {
    .name = "dcerpc",
    .transports = DISSECT_TCP,
    .probe = probe,
    .state_size = sizeof(struct dcerpc_conn),
    .parse = parse,
    .gap = gap,
};

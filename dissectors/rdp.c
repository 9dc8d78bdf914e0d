/* RDP connection request (MS-RDPBCGR 2.2.1.1): TPKT (RFC 1006) + X.224
 * Connection Request (ITU-T X.224 13.3), then an optional routing token
 * or "Cookie: mstshash=USER\r\n" and an optional RDP_NEG_REQ with the
 * security protocols the client asks for. One event, then the flow is let
 * go: what follows is TLS/CredSSP or RDP-encrypted. */
#include <string.h>

#include "dissect.h"
#include "cursor.h"

#define TPKT_HDR 4
#define X224_CR_HDR 7 /* LI, CR-CDT, DST-REF, SRC-REF, CLASS OPTION */
#define X224_CR 0xe0
#define RDP_NEG_REQ 0x01
#define COOKIE "Cookie: "
#define MSTSHASH "Cookie: mstshash="

struct rdp_state {
    uint8_t done;
};

/* TPKT version 3 (RFC 1006 6), a length that covers the X.224 header, and
 * a Connection Request whose length indicator is the rest of the PDU. */
static int tpkt_cr(struct cursor *c, size_t *pdu_len)
{
    if (cursor_u8(c) != 3 || cursor_u8(c) != 0) return 0;
    uint16_t len = cursor_be16(c);
    uint8_t li = cursor_u8(c), code = cursor_u8(c);
    if (c->err || len < TPKT_HDR + X224_CR_HDR || li != len - TPKT_HDR - 1) return 0;
    if ((code & 0xf0) != X224_CR) return 0;
    *pdu_len = len;
    return 1;
}

/* What may follow the X.224 header in an RDP request (2.2.1.1): nothing
 * (old clients), a cookie or routing token line, or an RDP_NEG_REQ. This
 * tells RDP from other TPKT users such as ISO-TSAP (S7, parameters 0xc0..). */
static int rdp_variable_part(const uint8_t *p, size_t n)
{
    /* n may be cut by the end of the first segment: a prefix will do. */
    size_t k = n < strlen(COOKIE) ? n : strlen(COOKIE);
    if (n == 0 || memcmp(p, COOKIE, k) == 0) return 1;
    return p[0] == RDP_NEG_REQ && (n < 4 || (p[2] == 8 && p[3] == 0));
}

static int probe(const struct dissect_flow_info *f, int to_server, const uint8_t *data, size_t len)
{
    (void)f;
    struct cursor c = cursor_make(data, len);
    size_t pdu_len;
    if (!to_server || !tpkt_cr(&c, &pdu_len)) return 0;
    cursor_skip(&c, X224_CR_HDR - 2);
    if (c.err) return 0;
    size_t rest = pdu_len - TPKT_HDR - X224_CR_HDR;
    return rdp_variable_part(c.p, rest < c.left ? rest : c.left);
}

static long parse(struct dissect_ctx *dc, void *state, int to_server, const uint8_t *data,
                  size_t len)
{
    struct rdp_state *st = state;
    struct cursor c = cursor_make(data, len);
    size_t pdu_len;
    if (st->done || !to_server) return DISSECT_STOP;
    if (len < TPKT_HDR + X224_CR_HDR) return 0;
    if (!tpkt_cr(&c, &pdu_len)) return DISSECT_STOP;
    if (len < pdu_len) return 0;
    c = cursor_at(data, len, TPKT_HDR + X224_CR_HDR, pdu_len - TPKT_HDR - X224_CR_HDR);

    char user[128];
    int have_user = 0;
    uint32_t protocols = 0;
    /* routingToken or cookie: one line ending in CR LF (2.2.1.1). */
    if (c.left >= strlen(COOKIE) && memcmp(c.p, COOKIE, strlen(COOKIE)) == 0) {
        const uint8_t *eol = memmem(c.p, c.left, "\r\n", 2);
        size_t line = eol ? (size_t)(eol - c.p) : c.left;
        if (line >= strlen(MSTSHASH) && memcmp(c.p, MSTSHASH, strlen(MSTSHASH)) == 0) {
            /* The cookie's user (mstsc truncates it to 9 characters). */
            dissect_copy_printable(c.p + strlen(MSTSHASH), line - strlen(MSTSHASH), user,
                                   sizeof(user));
            have_user = 1;
        }
        cursor_skip(&c, eol ? line + 2 : line);
    }
    /* RDP_NEG_REQ (2.2.1.1.1): type, flags, length 8, requestedProtocols. */
    if (c.left >= 8 && c.p[0] == RDP_NEG_REQ) {
        cursor_skip(&c, 2);
        if (cursor_le16(&c) == 8) protocols = cursor_le32(&c);
    }
    struct dissect_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = EV_RDP_REQUEST;
    ev.to_server = to_server;
    ev.u.rdp.cookie = have_user ? user : NULL;
    ev.u.rdp.protocols = protocols;
    dc->emit(dc, &ev);
    st->done = 1;
    return DISSECT_STOP;
}

const struct dissector dissector_rdp = {
    .name = "rdp",
    .transports = DISSECT_TCP,
    .probe = probe,
    .state_size = sizeof(struct rdp_state),
    .parse = parse,
};

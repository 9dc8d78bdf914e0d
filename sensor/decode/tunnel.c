/* Decapsulation of tunnels over GRE and UDP, from their specifications.
 * A header is only taken for a tunnel when the lengths the packet
 * announces hold it; reads go through the cursor, so a capture cut inside
 * it is TRUNCATED, never read past. */
#include "tunnel.h"

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86DD
#define ETH_TEB 0x6558              /* transparent Ethernet bridging, RFC 1701 */
#define ETH_ERSPAN2 0x88BE          /* ERSPAN type I (no sequence) and II */
#define ETH_ERSPAN3 0x22EB          /* ERSPAN type III */
#define PORT_VXLAN 4789             /* RFC 7348 5 */
#define PORT_GTPU 2152              /* 3GPP TS 29.281 4.4.2 */
#define PORT_TEREDO 3544            /* RFC 4380 4 */
#define TUNNEL_NO DECODE_RESULT_MAX /* not a tunnel: the packet is its own flow */

/* Whether the payload holds n more bytes: TUNNEL_NO when the announced
 * length does not (*wire counts down with c), TRUNCATED when only the
 * capture does not. */
static enum decode_result want(struct cursor *c, uint32_t *wire, uint32_t n)
{
    if (*wire < n) return TUNNEL_NO;
    if (!cursor_need(c, n)) return DECODE_TRUNCATED;
    return DECODE_OK;
}

static enum decode_result skip(struct cursor *c, uint32_t *wire, uint32_t n)
{
    enum decode_result r = want(c, wire, n);
    if (r != DECODE_OK) return r;
    cursor_skip(c, n);
    *wire -= n;
    return DECODE_OK;
}

#define TRY(x)                                                                                     \
    do {                                                                                           \
        enum decode_result r_ = (x);                                                               \
        if (r_ != DECODE_OK) return r_;                                                            \
    } while (0)

/* RFC 2784 2 with RFC 2890 2 (key, sequence number); version 0 only: the
 * routing present bit of RFC 1701 and version 1 (PPTP) stay outer flows. */
static enum decode_result gre(struct cursor *c, uint32_t wire, uint16_t *type)
{
    TRY(want(c, &wire, 4));
    uint16_t flags = cursor_peek_be16(c, 0), proto = cursor_peek_be16(c, 2);
    if ((flags & 0x7) != 0 || (flags & 0x4000)) return TUNNEL_NO;
    uint32_t hlen = 4u + ((flags & 0x8000) ? 4u : 0u) + ((flags & 0x2000) ? 4u : 0u) +
                    ((flags & 0x1000) ? 4u : 0u);
    switch (proto) {
    case ETH_IPV4:
    case ETH_IPV6:
        TRY(skip(c, &wire, hlen));
        *type = proto;
        return DECODE_OK;
    case ETH_TEB:
        TRY(skip(c, &wire, hlen));
        break;
    case ETH_ERSPAN2: /* type II: 8-byte header when sequenced; type I: none */
        TRY(skip(c, &wire, hlen + ((flags & 0x1000) ? 8u : 0u)));
        break;
    case ETH_ERSPAN3: { /* 12-byte header, 8 more when the O bit says so */
        TRY(skip(c, &wire, hlen));
        TRY(want(c, &wire, 12));
        uint32_t elen = (cursor_peek_u8(c, 11) & 0x1) ? 20u : 12u;
        TRY(skip(c, &wire, elen));
        break;
    }
    default:
        return TUNNEL_NO;
    }
    *type = 0;
    return DECODE_OK; /* an Ethernet frame follows */
}

/* RFC 7348 5: flags with the I bit, reserved, VNI, reserved; then Ethernet. */
static enum decode_result vxlan(struct cursor *c, uint32_t wire)
{
    TRY(want(c, &wire, 8));
    if (!(cursor_peek_u8(c, 0) & 0x08)) return TUNNEL_NO;
    return skip(c, &wire, 8);
}

/* 3GPP TS 29.281 5.1-5.2: version 1, PT 1, message type 255 (G-PDU); the
 * sequence, N-PDU and next extension fields when any of E, S, PN is set;
 * the extension headers (length in 4-octet units, next type last). */
static enum decode_result gtpu(struct cursor *c, uint32_t wire, uint16_t *type)
{
    TRY(want(c, &wire, 8));
    uint8_t flags = cursor_peek_u8(c, 0), msg = cursor_peek_u8(c, 1);
    if ((flags >> 5) != 1 || !(flags & 0x10) || msg != 255) return TUNNEL_NO;
    if (!(flags & 0x07)) {
        TRY(skip(c, &wire, 8));
    } else {
        TRY(want(c, &wire, 12));
        uint8_t next = (flags & 0x04) ? cursor_peek_u8(c, 11) : 0;
        TRY(skip(c, &wire, 12));
        for (int n = 0; next; n++) {
            if (n == 16) return DECODE_MALFORMED;
            TRY(want(c, &wire, 1));
            uint32_t len = 4u * cursor_peek_u8(c, 0);
            if (len == 0) return DECODE_MALFORMED;
            TRY(want(c, &wire, len));
            next = cursor_peek_u8(c, len - 1);
            TRY(skip(c, &wire, len));
        }
    }
    TRY(want(c, &wire, 1));
    uint8_t v = cursor_peek_u8(c, 0) >> 4;
    if (v != 4 && v != 6) return TUNNEL_NO; /* empty, or not IP (PDU type) */
    *type = v == 4 ? ETH_IPV4 : ETH_IPV6;
    return DECODE_OK;
}

/* RFC 4380 5.1.1: an optional authentication indicator (0x0001, ID and
 * authentication lengths, client ID, value, 8-byte nonce, confirmation
 * byte) then an optional origin indication (0x0000, 8 bytes), then an
 * IPv6 packet that fills the datagram exactly. */
static enum decode_result teredo(struct cursor *c, uint32_t wire, uint16_t *type)
{
    TRY(want(c, &wire, 2));
    if (cursor_peek_be16(c, 0) == 0x0001) {
        TRY(want(c, &wire, 4));
        uint32_t alen = 4u + cursor_peek_u8(c, 2) + cursor_peek_u8(c, 3) + 9u;
        TRY(skip(c, &wire, alen));
        TRY(want(c, &wire, 2));
    }
    if (cursor_peek_be16(c, 0) == 0x0000) TRY(skip(c, &wire, 8));
    TRY(want(c, &wire, 6));
    if ((cursor_peek_u8(c, 0) >> 4) != 6 || 40u + cursor_peek_be16(c, 4) != wire) return TUNNEL_NO;
    *type = ETH_IPV6;
    return DECODE_OK;
}

enum decode_result tunnel_decap(struct packet *pkt, struct cursor *c, uint32_t wire, uint16_t *type)
{
    struct cursor t = *c;
    enum decode_result r = TUNNEL_NO;
    uint16_t inner = 0;
    int ether = 0;
    if (pkt->key.proto == 47) {
        r = gre(&t, wire, &inner);
        ether = r == DECODE_OK && inner == 0;
    } else if (pkt->key.proto == 17) {
        uint16_t sp = pkt->key.port[0], dp = pkt->key.port[1];
        if (dp == PORT_VXLAN) {
            r = vxlan(&t, wire);
            ether = 1;
        } else if (sp == PORT_GTPU || dp == PORT_GTPU) {
            r = gtpu(&t, wire, &inner);
        } else if (sp == PORT_TEREDO || dp == PORT_TEREDO) {
            r = teredo(&t, wire, &inner);
        }
    }
    *type = 0;
    if (r == TUNNEL_NO) return DECODE_OK;
    if (r != DECODE_OK) return r;
    *c = t;
    if (!ether) {
        *type = inner;
        return DECODE_OK;
    }
    return decode_ethernet(c, type, pkt);
}

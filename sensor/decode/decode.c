/* Link layer, IP and transport decoding.
 *
 * The layering follows what ndpiReader 4.2 does (so classification agrees
 * with it flow by flow): the innermost IP header after IP-in-IP / IPv6-in-IP
 * decapsulation is the one handed to nDPI, non-first IPv4 fragments are
 * not followed, the innermost VLAN id is part of the flow key. Unlike it,
 * every length is checked before it is used. */
#include <endian.h>
#include <string.h>
#include <pcap/dlt.h>

#include "cursor.h"
#include "decode.h"
#include "tunnel.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86DD
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88A8
#define ETH_QINQ_OLD 0x9100
#define ETH_MPLS_UC 0x8847
#define ETH_MPLS_MC 0x8848
#define ETH_PPPOE_SES 0x8864
#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057

#define IPPROTO_IPIP_ 4
#define IPPROTO_IPV6_ 41
#define IPPROTO_NONE_ 59 /* IPv6 No Next Header, RFC 8200 4.7 */
#define MAX_TUNNEL_DEPTH 4

/* Every layer reads the frame through one cursor (cursor.h), from the link
 * header inwards. A layer checks the length of what it reads before storing
 * any of it in the packet: cursor_need where a short frame is TRUNCATED,
 * cursor_has where running out is another answer (802.3 without SNAP). */

int decode_linktype_supported(int dlt)
{
    switch (dlt) {
    case DLT_EN10MB:
    case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2:
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
    case DLT_NULL:
    case DLT_LOOP:
    case DLT_PPP:
    case DLT_PPP_SERIAL:
    case DLT_C_HDLC:
    case DLT_IEEE802_11_RADIO:
        return 1;
    default:
        return 0;
    }
}

const char *decode_result_name(enum decode_result r)
{
    static const char *names[DECODE_RESULT_MAX] = {
        "ok", "not_ip", "fragment", "truncated", "malformed", "unsupported",
    };
    return r < DECODE_RESULT_MAX ? names[r] : "?";
}

/* Maps a PPP protocol number to an ethertype (RFC 1661 / RFC 5072). */
static uint16_t ppp_to_ethertype(uint16_t proto)
{
    if (proto == PPP_IPV4) return ETH_IPV4;
    if (proto == PPP_IPV6) return ETH_IPV6;
    return 0;
}

/* Ethertype-level shims between the link header and IP: VLAN tags (802.1Q,
 * 802.1ad QinQ), MPLS label stacks, PPPoE sessions. */
static enum decode_result decode_shims(struct cursor *c, uint16_t *type, struct packet *pkt)
{
    for (int depth = 0; depth < 8; depth++) {
        switch (*type) {
        case ETH_VLAN:
        case ETH_QINQ:
        case ETH_QINQ_OLD:
            if (!cursor_need(c, 4)) return DECODE_TRUNCATED;
            pkt->key.vlan = cursor_be16(c) & 0x0FFF;
            *type = cursor_be16(c);
            break;
        case ETH_MPLS_UC:
        case ETH_MPLS_MC:
            /* RFC 3032: pop labels to the bottom of stack, then guess IP
             * from the version nibble as routers do. */
            for (;;) {
                if (!cursor_need(c, 4)) return DECODE_TRUNCATED;
                if (cursor_be32(c) & 0x100) break;
            }
            if (!cursor_need(c, 1)) return DECODE_TRUNCATED;
            *type = (cursor_peek_u8(c, 0) >> 4) == 6 ? ETH_IPV6 : ETH_IPV4;
            return DECODE_OK;
        case ETH_PPPOE_SES:
            /* RFC 2516: 6-byte PPPoE header then the PPP protocol field. */
            if (!cursor_need(c, 8)) return DECODE_TRUNCATED;
            cursor_skip(c, 6);
            *type = ppp_to_ethertype(cursor_be16(c));
            break;
        default:
            return DECODE_OK;
        }
    }
    return DECODE_MALFORMED;
}

enum decode_result decode_ethernet(struct cursor *c, uint16_t *type, struct packet *pkt)
{
    if (!cursor_need(c, 14)) return DECODE_TRUNCATED;
    cursor_skip(c, 12); /* addresses */
    uint16_t t = cursor_be16(c);
    if (t <= 1500) {
        /* 802.3 length field: only LLC/SNAP carries IP. */
        if (!cursor_has(c, 8)) return DECODE_NOT_IP;
        if (cursor_u8(c) != 0xAA || cursor_u8(c) != 0xAA) return DECODE_NOT_IP;
        cursor_skip(c, 4); /* control, OUI */
        t = cursor_be16(c);
    }
    *type = t;
    return decode_shims(c, type, pkt);
}

/* IEEE 802.11 data frame behind a radiotap header. */
static enum decode_result decode_radiotap(struct cursor *c, uint16_t *type)
{
    struct cursor rt = *c; /* the radiotap header, for the flags field */
    if (!cursor_need(c, 8)) return DECODE_TRUNCATED;
    cursor_skip(c, 2); /* version, pad */
    uint16_t rt_len = cursor_le16(c);
    uint32_t present = cursor_le32(c);
    if (rt_len < 8) return DECODE_MALFORMED;
    /* Flags field (present bit 1) directly after TSFT (bit 0, 8 bytes,
     * 8-aligned); bit 0x40 = bad FCS: drop such frames. A flags byte past
     * the capture reads as zero: the frame is then judged below. */
    if ((present & 0x2) && !(present & 0x80000000u)) {
        uint32_t flags_off = (present & 0x1) ? 16 : 8;
        if (flags_off < rt_len && (cursor_peek_u8(&rt, flags_off) & 0x40)) return DECODE_MALFORMED;
    }
    cursor_skip(c, rt_len - 8u);
    if (!cursor_need(c, 24)) return DECODE_TRUNCATED;
    uint16_t fc = cursor_le16(c);
    if (((fc >> 2) & 0x3) != 2) return DECODE_NOT_IP; /* not a data frame */
    uint32_t hlen = 24;
    if ((fc & 0x0300) == 0x0300) hlen += 6; /* four-address frame */
    if ((fc >> 4) & 0x8) hlen += 2;         /* QoS data subtypes */
    cursor_skip(c, hlen - 2);
    if (!cursor_need(c, 8)) return DECODE_TRUNCATED;
    if (cursor_u8(c) != 0xAA) return DECODE_NOT_IP;
    cursor_skip(c, 5); /* LLC rest, OUI */
    *type = cursor_be16(c);
    return DECODE_OK;
}

/* Null/loopback and raw links carry IP directly; the version nibble says
 * which (the NULL family value differs between BSDs). */
static enum decode_result ip_by_version(struct cursor *c, uint16_t *type)
{
    if (!cursor_need(c, 1)) return DECODE_TRUNCATED;
    uint8_t v = cursor_peek_u8(c, 0) >> 4;
    if (v == 4)
        *type = ETH_IPV4;
    else if (v == 6)
        *type = ETH_IPV6;
    else
        return DECODE_NOT_IP;
    return DECODE_OK;
}

static enum decode_result decode_link(int dlt, struct cursor *c, uint16_t *type, struct packet *pkt)
{
    switch (dlt) {
    case DLT_EN10MB:
        return decode_ethernet(c, type, pkt);
    case DLT_LINUX_SLL: /* 16-byte cooked header, protocol at 14 */
        if (!cursor_need(c, 16)) return DECODE_TRUNCATED;
        cursor_skip(c, 14);
        *type = cursor_be16(c);
        return decode_shims(c, type, pkt);
    case DLT_LINUX_SLL2: /* 20-byte cooked v2 header, protocol at 0 */
        if (!cursor_need(c, 20)) return DECODE_TRUNCATED;
        *type = cursor_be16(c);
        cursor_skip(c, 18);
        return decode_shims(c, type, pkt);
    case DLT_NULL:
    case DLT_LOOP:
        if (!cursor_need(c, 4)) return DECODE_TRUNCATED;
        cursor_skip(c, 4); /* address family */
        return ip_by_version(c, type);
    case DLT_PPP:
    case DLT_PPP_SERIAL:
    case DLT_C_HDLC: {
        if (!cursor_need(c, 4)) return DECODE_TRUNCATED;
        uint8_t addr = cursor_peek_u8(c, 0);
        if (addr == 0xFF || addr == 0x0F || addr == 0x8F) {
            /* HDLC-like framing: address, control, then protocol. Cisco
             * HDLC carries an ethertype, PPP a PPP protocol number. */
            cursor_skip(c, 2);
            uint16_t proto = cursor_be16(c);
            *type = addr == 0xFF ? ppp_to_ethertype(proto) : proto;
        } else {
            *type = ppp_to_ethertype(cursor_be16(c));
        }
        return decode_shims(c, type, pkt);
    }
    case DLT_IEEE802_11_RADIO:
        return decode_radiotap(c, type);
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
        return ip_by_version(c, type);
    default:
        return DECODE_UNSUPPORTED;
    }
}

/* Source then destination address of an IPv4 header, as IPv4-mapped IPv6. */
static void set_key_addr4(struct packet *pkt, struct cursor *addrs)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    memcpy(pkt->key.addr[0], mapped, 12);
    cursor_copy(addrs, pkt->key.addr[0] + 12, 4);
    memcpy(pkt->key.addr[1], mapped, 12);
    cursor_copy(addrs, pkt->key.addr[1] + 12, 4);
}

/* RFC 8200 4.1: walk hop-by-hop, routing, fragment and destination options
 * headers (and AH, RFC 4302) to the upper-layer header. c starts after the
 * fixed header; *len is what is left of the payload length. */
static enum decode_result ipv6_skip_extensions(struct cursor *c, uint8_t *next, uint32_t *len,
                                               struct packet *pkt)
{
    for (int n = 0; n < 16; n++) {
        uint32_t hlen;
        switch (*next) {
        case 0:   /* hop-by-hop */
        case 43:  /* routing */
        case 60:  /* destination options */
        case 135: /* mobility */
            if (!cursor_need(c, 2)) return DECODE_TRUNCATED;
            hlen = 8u + 8u * cursor_peek_u8(c, 1);
            break;
        case 51: /* AH: length in 4-octet units minus 2 */
            if (!cursor_need(c, 2)) return DECODE_TRUNCATED;
            hlen = 4u * (cursor_peek_u8(c, 1) + 2u);
            break;
        case 44: { /* fragment */
            if (!cursor_need(c, 8)) return DECODE_TRUNCATED;
            hlen = 8;
            uint16_t frag = cursor_peek_be16(c, 2);
            if (frag & 0xFFF8) return DECODE_FRAGMENT;
            if (frag & 1) pkt->first_fragment = 1;
            break;
        }
        default:
            return DECODE_OK;
        }
        if (*len < hlen || !cursor_need(c, hlen)) return DECODE_TRUNCATED;
        *next = cursor_peek_u8(c, 0);
        cursor_skip(c, hlen);
        *len -= hlen;
    }
    return DECODE_MALFORMED;
}

/* RFC 2675 2: a hop-by-hop header first, holding option type 0xC2. */
static int ipv6_has_jumbo(struct cursor h, uint8_t next)
{
    if (next != 0 || !cursor_has(&h, 2)) return 0;
    size_t hlen = 8u + 8u * cursor_peek_u8(&h, 1), off = 2;
    while (off + 2 <= hlen && cursor_has(&h, off + 2)) {
        uint8_t type = cursor_peek_u8(&h, off);
        if (type == 0xC2) return 1;
        off += type == 0 ? 1 : 2u + cursor_peek_u8(&h, off + 1); /* Pad1 has no length */
    }
    return 0;
}

/* Transport header: ports, flags, payload. c holds the captured part of
 * the l4_len bytes the IP header announces; only that part is exposed as
 * payload, none of it when the capture ends inside the header. */
static enum decode_result decode_l4(struct packet *pkt, struct cursor *c, uint32_t l4_len,
                                    int len_captured, uint32_t *wire)
{
    struct cursor h = *c; /* the header's fields, read in order */
    uint32_t hlen;
    /* A length taken from the capture (offloaded, jumbogram): too short
     * for the transport header means cut, not impossible. */
    const enum decode_result short_l4 = len_captured ? DECODE_TRUNCATED : DECODE_MALFORMED;
    switch (pkt->key.proto) {
    case 6: /* TCP, RFC 9293 3.1 */
        if (l4_len < 20) return short_l4;
        if (!cursor_need(c, 20)) return DECODE_TRUNCATED;
        hlen = (uint32_t)(cursor_peek_u8(c, 12) >> 4) * 4;
        if (hlen < 20 || hlen > l4_len) return short_l4;
        pkt->key.port[0] = cursor_be16(&h);
        pkt->key.port[1] = cursor_be16(&h);
        pkt->tcp_seq = cursor_be32(&h);
        pkt->tcp_ack = cursor_be32(&h);
        cursor_skip(&h, 1); /* data offset */
        pkt->tcp_flags = cursor_u8(&h);
        break;
    case 17: /* UDP, RFC 768 */
        if (l4_len < 8) return short_l4;
        if (!cursor_need(c, 8)) return DECODE_TRUNCATED;
        pkt->key.port[0] = cursor_be16(&h);
        pkt->key.port[1] = cursor_be16(&h);
        hlen = 8;
        break;
    case 132: /* SCTP, RFC 9260 3.1: ports lead the 12-byte common header */
        if (l4_len < 12) return short_l4;
        if (!cursor_need(c, 12)) return DECODE_TRUNCATED;
        pkt->key.port[0] = cursor_be16(&h);
        pkt->key.port[1] = cursor_be16(&h);
        hlen = 12;
        break;
    case 1:  /* ICMP: flows keyed without ports, as ndpiReader does */
    case 58: /* ICMPv6; type and code (RFC 792, RFC 4443 2.1) are kept for EVE */
        if (l4_len < 8) return short_l4;
        if (cursor_has(c, 2)) {
            pkt->icmp_type = cursor_u8(&h);
            pkt->icmp_code = cursor_u8(&h);
        }
        hlen = 8;
        break;
    default:
        hlen = 0;
        break;
    }
    cursor_skip(c, hlen < c->left ? hlen : c->left);
    *wire = l4_len - hlen; /* the payload's announced length */
    pkt->payload = c->p;
    pkt->payload_len = (uint32_t)c->left;
    pkt->payload_cut = *wire > c->left ? *wire - (uint32_t)c->left : 0;
    return DECODE_OK;
}

/* RFC 791 3.1. On a tunnel (IP-in-IP, IPv6-in-IP) *tunnel is set and c is
 * left on the inner header; otherwise c is left on the transport payload,
 * whose announced length is *wire. */
static enum decode_result decode_ipv4(struct packet *pkt, struct cursor *c, int *tunnel,
                                      uint32_t *wire)
{
    struct cursor h = *c; /* the fixed 20 bytes, read in order */
    if (!cursor_need(&h, 20)) return DECODE_TRUNCATED;
    uint8_t vihl = cursor_u8(&h);
    cursor_skip(&h, 1); /* type of service */
    uint32_t tot = cursor_be16(&h);
    cursor_skip(&h, 2); /* identification */
    uint16_t frag = cursor_be16(&h);
    cursor_skip(&h, 1); /* TTL */
    uint8_t proto = cursor_u8(&h);
    cursor_skip(&h, 2); /* checksum; the addresses follow */
    if ((vihl >> 4) != 4) return DECODE_MALFORMED;
    uint32_t ihl = (uint32_t)(vihl & 0x0F) * 4;
    if (tot == 0 && ihl >= 20 && c->left < ihl) return DECODE_TRUNCATED;
    if (tot == 0 && ihl >= 20 && c->left >= ihl) {
        /* Segmentation offload (TSO/GSO): the host captured the segment
         * before the NIC split it and wrote no total length. The captured
         * length is the datagram's, as Zeek takes it. */
        tot = c->left > 0xFFFF ? 0xFFFF : (uint32_t)c->left;
        pkt->offloaded = 1;
    }
    if (ihl < 20 || tot < ihl) return DECODE_MALFORMED;
    if (!cursor_need(c, ihl)) return DECODE_TRUNCATED;
    if (frag & 0x1FFF) return DECODE_FRAGMENT;
    pkt->first_fragment = (frag & 0x2000) ? 1 : pkt->first_fragment;
    pkt->key.proto = proto;
    cursor_skip(c, ihl);
    if (proto == IPPROTO_IPIP_ || proto == IPPROTO_IPV6_) {
        *tunnel = 1;
        return DECODE_OK;
    }
    pkt->key.family = 4;
    pkt->ip_version = 4;
    set_key_addr4(pkt, &h);
    /* Frames cut by the snap length still count in their flow. */
    cursor_limit(c, tot - ihl);
    return decode_l4(pkt, c, tot - ihl, pkt->offloaded, wire);
}

/* RFC 8200 3; tunnels as for IPv4. */
static enum decode_result decode_ipv6(struct packet *pkt, struct cursor *c, int *tunnel,
                                      uint32_t *wire)
{
    struct cursor h = *c; /* the fixed 40 bytes, read in order */
    if (!cursor_need(&h, 40)) return DECODE_TRUNCATED;
    if ((cursor_u8(&h) >> 4) != 6) return DECODE_MALFORMED;
    cursor_skip(&h, 3); /* traffic class, flow label */
    uint32_t plen = cursor_be16(&h);
    uint8_t next = cursor_u8(&h);
    cursor_skip(&h, 1); /* hop limit; the addresses follow */
    cursor_skip(c, 40);
    int len_captured = plen == 0 && next != IPPROTO_NONE_;
    if (len_captured) {
        /* RFC 2675 jumbograms say 0 too, with a Jumbo Payload option in a
         * hop-by-hop header; any other 0 before a next header is an
         * offloaded segment (see decode_ipv4). Either way the capture
         * holds the payload. */
        plen = c->left > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)c->left;
        pkt->offloaded = !ipv6_has_jumbo(*c, next);
    }
    enum decode_result r = ipv6_skip_extensions(c, &next, &plen, pkt);
    if (r != DECODE_OK) return r;
    pkt->key.proto = next;
    if (next == IPPROTO_IPIP_ || next == IPPROTO_IPV6_) {
        *tunnel = 1;
        return DECODE_OK;
    }
    pkt->key.family = 6;
    pkt->ip_version = 6;
    cursor_copy(&h, pkt->key.addr[0], 16);
    cursor_copy(&h, pkt->key.addr[1], 16);
    cursor_limit(c, plen);
    return decode_l4(pkt, c, plen, len_captured, wire);
}

/* memcmp's order of two addresses, from two big-endian words each: an
 * inlined compare instead of a call per packet. */
static int addr_cmp(const uint8_t *a, const uint8_t *b)
{
    uint64_t x[2], y[2];
    memcpy(x, a, 16);
    memcpy(y, b, 16);
    for (int i = 0; i < 2; i++) {
        uint64_t u = be64toh(x[i]), v = be64toh(y[i]);
        if (u != v) return u < v ? -1 : 1;
    }
    return 0;
}

void flow_key_canonicalize(struct flow_key *key, uint8_t *dir)
{
    int c = addr_cmp(key->addr[0], key->addr[1]);
    *dir = 0;
    if (c > 0 || (c == 0 && key->port[0] > key->port[1])) {
        uint8_t a[16];
        memcpy(a, key->addr[0], 16);
        memcpy(key->addr[0], key->addr[1], 16);
        memcpy(key->addr[1], a, 16);
        uint16_t p = key->port[0];
        key->port[0] = key->port[1];
        key->port[1] = p;
        *dir = 1;
    }
}

enum decode_result decode_packet(int dlt, const uint8_t *frame, uint32_t caplen, struct packet *pkt)
{
    struct cursor c = cursor_make(frame, caplen);
    uint16_t type = 0;

    pkt->key.vlan = 0;
    pkt->key.port[0] = pkt->key.port[1] = 0;
    pkt->tcp_flags = 0;
    pkt->icmp_type = pkt->icmp_code = 0;
    pkt->first_fragment = 0;
    pkt->offloaded = 0;
    pkt->decapsulated = 0;
    pkt->payload = NULL;
    pkt->payload_len = 0;
    pkt->payload_cut = 0;

    enum decode_result r = decode_link(dlt, &c, &type, pkt);
    if (r != DECODE_OK) return r;
    if (type != ETH_IPV4 && type != ETH_IPV6) return DECODE_NOT_IP;

    /* Decapsulate IP-in-IP, IPv6-in-IP and the GRE and UDP tunnels of
     * tunnel.c: the inner header is the flow. An IP-in-IP chain deeper than
     * MAX_TUNNEL_DEPTH is refused; a GRE or UDP tunnel there is decoded as
     * the outer flow it is. */
    for (int depth = 0;; depth++) {
        if (!cursor_need(&c, 1)) return DECODE_TRUNCATED;
        struct cursor ip = c; /* this header to the end of the frame */
        int tunnel = 0;
        uint32_t wire = 0;
        uint8_t v = cursor_peek_u8(&c, 0) >> 4;
        if (depth && v != (type == ETH_IPV6 ? 6 : 4)) return DECODE_MALFORMED;
        if (v == 4)
            r = decode_ipv4(pkt, &c, &tunnel, &wire);
        else if (v == 6)
            r = decode_ipv6(pkt, &c, &tunnel, &wire);
        else
            return DECODE_NOT_IP;
        if (r != DECODE_OK) return r;
        if (depth + 1 >= MAX_TUNNEL_DEPTH && tunnel) return DECODE_UNSUPPORTED;
        if (tunnel) {
            type = pkt->key.proto == IPPROTO_IPV6_ ? ETH_IPV6 : ETH_IPV4;
            pkt->decapsulated++;
            continue;
        }
        uint16_t inner = 0;
        if (depth + 1 < MAX_TUNNEL_DEPTH) {
            struct cursor t = c;
            r = tunnel_decap(pkt, &t, wire, &inner);
            if (r != DECODE_OK) return r;
            if (inner) {
                if (inner != ETH_IPV4 && inner != ETH_IPV6) return DECODE_NOT_IP;
                /* The inner packet's transport fields, not the outer's. */
                pkt->key.port[0] = pkt->key.port[1] = 0;
                pkt->tcp_flags = pkt->icmp_type = pkt->icmp_code = 0;
                pkt->first_fragment = pkt->offloaded = 0;
                pkt->decapsulated++;
                type = inner;
                c = t;
                continue;
            }
        }
        pkt->l3 = ip.p;
        pkt->l3_len = (uint32_t)(frame + caplen - ip.p); /* past a tunnel's end too */
        flow_key_canonicalize(&pkt->key, &pkt->dir);
        return DECODE_OK;
    }
}

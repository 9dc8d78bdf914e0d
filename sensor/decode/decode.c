/* Link layer, IP and transport decoding.
 *
 * The layering follows what ndpiReader 4.2 does (so classification agrees
 * with it flow by flow): the innermost IP header after IP-in-IP / IPv6-in-IP
 * decapsulation is the one handed to nDPI, non-first IPv4 fragments are
 * not followed, the innermost VLAN id is part of the flow key. Unlike it,
 * every length is checked before it is used. */
#include <string.h>
#include <pcap/dlt.h>

#include "decode.h"

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
#define MAX_TUNNEL_DEPTH 4

static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A position in the frame: everything from off to caplen is readable. */
struct cursor {
    const uint8_t *frame;
    uint32_t off, caplen;
};

static inline int have(const struct cursor *c, uint32_t n)
{
    return c->caplen >= c->off && c->caplen - c->off >= n;
}

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
            if (!have(c, 4)) return DECODE_TRUNCATED;
            pkt->key.vlan = rd16(c->frame + c->off) & 0x0FFF;
            *type = rd16(c->frame + c->off + 2);
            c->off += 4;
            break;
        case ETH_MPLS_UC:
        case ETH_MPLS_MC:
            /* RFC 3032: pop labels to the bottom of stack, then guess IP
             * from the version nibble as routers do. */
            for (;;) {
                if (!have(c, 4)) return DECODE_TRUNCATED;
                uint32_t label = rd32(c->frame + c->off);
                c->off += 4;
                if (label & 0x100) break;
            }
            if (!have(c, 1)) return DECODE_TRUNCATED;
            *type = (c->frame[c->off] >> 4) == 6 ? ETH_IPV6 : ETH_IPV4;
            return DECODE_OK;
        case ETH_PPPOE_SES:
            /* RFC 2516: 6-byte PPPoE header then the PPP protocol field. */
            if (!have(c, 8)) return DECODE_TRUNCATED;
            *type = ppp_to_ethertype(rd16(c->frame + c->off + 6));
            c->off += 8;
            break;
        default:
            return DECODE_OK;
        }
    }
    return DECODE_MALFORMED;
}

static enum decode_result decode_ethernet(struct cursor *c, uint16_t *type, struct packet *pkt)
{
    if (!have(c, 14)) return DECODE_TRUNCATED;
    uint16_t t = rd16(c->frame + c->off + 12);
    c->off += 14;
    if (t <= 1500) {
        /* 802.3 length field: only LLC/SNAP carries IP. */
        if (!have(c, 8)) return DECODE_NOT_IP;
        const uint8_t *llc = c->frame + c->off;
        if (llc[0] != 0xAA || llc[1] != 0xAA) return DECODE_NOT_IP;
        t = rd16(llc + 6);
        c->off += 8;
    }
    *type = t;
    return decode_shims(c, type, pkt);
}

/* IEEE 802.11 data frame behind a radiotap header. */
static enum decode_result decode_radiotap(struct cursor *c, uint16_t *type)
{
    if (!have(c, 8)) return DECODE_TRUNCATED;
    const uint8_t *rt = c->frame + c->off;
    uint16_t rt_len = (uint16_t)(rt[2] | rt[3] << 8); /* little endian */
    uint32_t present =
        (uint32_t)rt[4] | (uint32_t)rt[5] << 8 | (uint32_t)rt[6] << 16 | (uint32_t)rt[7] << 24;
    if (rt_len < 8) return DECODE_MALFORMED;
    /* Flags field (present bit 1) directly after TSFT (bit 0, 8 bytes,
     * 8-aligned); bit 0x40 = bad FCS: drop such frames. */
    if ((present & 0x2) && !(present & 0x80000000u)) {
        uint32_t flags_off = (present & 0x1) ? 16 : 8;
        if (flags_off < rt_len && have(c, flags_off + 1) && (rt[flags_off] & 0x40))
            return DECODE_MALFORMED;
    }
    c->off += rt_len;
    if (!have(c, 24)) return DECODE_TRUNCATED;
    const uint8_t *wh = c->frame + c->off;
    uint16_t fc = (uint16_t)(wh[0] | wh[1] << 8);
    if (((fc >> 2) & 0x3) != 2) return DECODE_NOT_IP; /* not a data frame */
    uint32_t hlen = 24;
    if ((fc & 0x0300) == 0x0300) hlen += 6; /* four-address frame */
    if ((fc >> 4) & 0x8) hlen += 2;         /* QoS data subtypes */
    c->off += hlen;
    if (!have(c, 8)) return DECODE_TRUNCATED;
    const uint8_t *llc = c->frame + c->off;
    if (llc[0] != 0xAA) return DECODE_NOT_IP;
    *type = rd16(llc + 6);
    c->off += 8;
    return DECODE_OK;
}

/* Null/loopback and raw links carry IP directly; the version nibble says
 * which (the NULL family value differs between BSDs). */
static enum decode_result ip_by_version(struct cursor *c, uint16_t *type)
{
    if (!have(c, 1)) return DECODE_TRUNCATED;
    uint8_t v = c->frame[c->off] >> 4;
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
        if (!have(c, 16)) return DECODE_TRUNCATED;
        *type = rd16(c->frame + 14);
        c->off = 16;
        return decode_shims(c, type, pkt);
    case DLT_LINUX_SLL2: /* 20-byte cooked v2 header, protocol at 0 */
        if (!have(c, 20)) return DECODE_TRUNCATED;
        *type = rd16(c->frame);
        c->off = 20;
        return decode_shims(c, type, pkt);
    case DLT_NULL:
    case DLT_LOOP:
        if (!have(c, 4)) return DECODE_TRUNCATED;
        c->off = 4;
        return ip_by_version(c, type);
    case DLT_PPP:
    case DLT_PPP_SERIAL:
    case DLT_C_HDLC:
        if (!have(c, 4)) return DECODE_TRUNCATED;
        if (c->frame[0] == 0xFF || c->frame[0] == 0x0F || c->frame[0] == 0x8F) {
            /* HDLC-like framing: address, control, then protocol. Cisco
             * HDLC carries an ethertype, PPP a PPP protocol number. */
            uint16_t proto = rd16(c->frame + 2);
            *type = c->frame[0] == 0xFF ? ppp_to_ethertype(proto) : proto;
            c->off = 4;
        } else {
            *type = ppp_to_ethertype(rd16(c->frame));
            c->off = 2;
        }
        return decode_shims(c, type, pkt);
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

static void set_key_addr4(struct packet *pkt, const uint8_t *src, const uint8_t *dst)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    memcpy(pkt->key.addr[0], mapped, 12);
    memcpy(pkt->key.addr[0] + 12, src, 4);
    memcpy(pkt->key.addr[1], mapped, 12);
    memcpy(pkt->key.addr[1] + 12, dst, 4);
}

/* RFC 8200 4.1: walk hop-by-hop, routing, fragment and destination options
 * headers (and AH, RFC 4302) to the upper-layer header. */
static enum decode_result ipv6_skip_extensions(const uint8_t *l3, uint32_t avail, uint8_t *next,
                                               uint32_t *off, uint32_t *len, struct packet *pkt)
{
    for (int n = 0; n < 16; n++) {
        uint32_t hlen;
        switch (*next) {
        case 0:   /* hop-by-hop */
        case 43:  /* routing */
        case 60:  /* destination options */
        case 135: /* mobility */
            if (avail < *off + 2) return DECODE_TRUNCATED;
            hlen = 8u + 8u * l3[*off + 1];
            break;
        case 51: /* AH: length in 4-octet units minus 2 */
            if (avail < *off + 2) return DECODE_TRUNCATED;
            hlen = 4u * (l3[*off + 1] + 2u);
            break;
        case 44: /* fragment */
            if (avail < *off + 8) return DECODE_TRUNCATED;
            hlen = 8;
            if (rd16(l3 + *off + 2) & 0xFFF8) return DECODE_FRAGMENT;
            if (rd16(l3 + *off + 2) & 1) pkt->first_fragment = 1;
            break;
        default:
            return DECODE_OK;
        }
        if (*len < hlen || avail < *off + hlen) return DECODE_TRUNCATED;
        *next = l3[*off];
        *off += hlen;
        *len -= hlen;
    }
    return DECODE_MALFORMED;
}

/* Transport header: ports, flags, payload. l4_len is what the IP header
 * says; only the captured part of the payload is exposed. */
static enum decode_result decode_l4(struct packet *pkt, const uint8_t *l4, uint32_t l4_len,
                                    uint32_t captured)
{
    uint32_t hlen;
    switch (pkt->key.proto) {
    case 6: /* TCP, RFC 9293 3.1 */
        if (l4_len < 20) return DECODE_MALFORMED;
        if (captured < 20) return DECODE_TRUNCATED;
        hlen = (uint32_t)(l4[12] >> 4) * 4;
        if (hlen < 20 || hlen > l4_len) return DECODE_MALFORMED;
        pkt->key.port[0] = rd16(l4);
        pkt->key.port[1] = rd16(l4 + 2);
        pkt->tcp_seq = rd32(l4 + 4);
        pkt->tcp_flags = l4[13];
        break;
    case 17: /* UDP, RFC 768 */
        if (l4_len < 8) return DECODE_MALFORMED;
        if (captured < 8) return DECODE_TRUNCATED;
        pkt->key.port[0] = rd16(l4);
        pkt->key.port[1] = rd16(l4 + 2);
        hlen = 8;
        break;
    case 132: /* SCTP, RFC 9260 3.1: ports lead the 12-byte common header */
        if (l4_len < 12) return DECODE_MALFORMED;
        if (captured < 12) return DECODE_TRUNCATED;
        pkt->key.port[0] = rd16(l4);
        pkt->key.port[1] = rd16(l4 + 2);
        hlen = 12;
        break;
    case 1:  /* ICMP: flows keyed without ports, as ndpiReader does */
    case 58: /* ICMPv6 */
        if (l4_len < 8) return DECODE_MALFORMED;
        hlen = 8;
        break;
    default:
        hlen = 0;
        break;
    }
    pkt->payload = l4 + hlen;
    pkt->payload_len = l4_len - hlen;
    if (captured < l4_len) pkt->payload_len = captured > hlen ? captured - hlen : 0;
    return DECODE_OK;
}

static enum decode_result decode_ipv4(struct packet *pkt, const uint8_t *ip, uint32_t avail,
                                      int *tunnel_next)
{
    if (avail < 20) return DECODE_TRUNCATED;
    if ((ip[0] >> 4) != 4) return DECODE_MALFORMED;
    uint32_t ihl = (uint32_t)(ip[0] & 0x0F) * 4;
    uint32_t tot = rd16(ip + 2);
    if (ihl < 20 || tot < ihl) return DECODE_MALFORMED;
    if (avail < ihl) return DECODE_TRUNCATED;
    uint16_t frag = rd16(ip + 6);
    if (frag & 0x1FFF) return DECODE_FRAGMENT;
    pkt->first_fragment = (frag & 0x2000) ? 1 : pkt->first_fragment;
    pkt->key.proto = ip[9];
    if (pkt->key.proto == IPPROTO_IPIP_ || pkt->key.proto == IPPROTO_IPV6_) {
        *tunnel_next = (int)ihl;
        return DECODE_OK;
    }
    pkt->key.family = 4;
    pkt->ip_version = 4;
    set_key_addr4(pkt, ip + 12, ip + 16);
    uint32_t captured = avail - ihl;
    /* Frames cut by the snap length still count in their flow. */
    return decode_l4(pkt, ip + ihl, tot - ihl, captured < tot - ihl ? captured : tot - ihl);
}

static enum decode_result decode_ipv6(struct packet *pkt, const uint8_t *ip, uint32_t avail,
                                      int *tunnel_next)
{
    if (avail < 40) return DECODE_TRUNCATED;
    if ((ip[0] >> 4) != 6) return DECODE_MALFORMED;
    uint32_t plen = rd16(ip + 4);
    uint8_t next = ip[6];
    uint32_t off = 40;
    enum decode_result r = ipv6_skip_extensions(ip, avail, &next, &off, &plen, pkt);
    if (r != DECODE_OK) return r;
    pkt->key.proto = next;
    if (next == IPPROTO_IPIP_ || next == IPPROTO_IPV6_) {
        *tunnel_next = (int)off;
        return DECODE_OK;
    }
    pkt->key.family = 6;
    pkt->ip_version = 6;
    memcpy(pkt->key.addr[0], ip + 8, 16);
    memcpy(pkt->key.addr[1], ip + 24, 16);
    uint32_t captured = avail - off;
    return decode_l4(pkt, ip + off, plen, captured < plen ? captured : plen);
}

void flow_key_canonicalize(struct flow_key *key, uint8_t *dir)
{
    int c = memcmp(key->addr[0], key->addr[1], 16);
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
    struct cursor c = {frame, 0, caplen};
    uint16_t type = 0;

    pkt->key.vlan = 0;
    pkt->key.port[0] = pkt->key.port[1] = 0;
    pkt->tcp_flags = 0;
    pkt->first_fragment = 0;
    pkt->payload = NULL;
    pkt->payload_len = 0;

    enum decode_result r = decode_link(dlt, &c, &type, pkt);
    if (r != DECODE_OK) return r;
    if (type != ETH_IPV4 && type != ETH_IPV6) return DECODE_NOT_IP;

    /* Decapsulate IP-in-IP and IPv6-in-IP: the inner header is the flow. */
    for (int depth = 0; depth < MAX_TUNNEL_DEPTH; depth++) {
        if (!have(&c, 1)) return DECODE_TRUNCATED;
        const uint8_t *ip = frame + c.off;
        uint32_t avail = caplen - c.off;
        int tunnel_next = 0;
        uint8_t v = ip[0] >> 4;
        if (v == 4)
            r = decode_ipv4(pkt, ip, avail, &tunnel_next);
        else if (v == 6)
            r = decode_ipv6(pkt, ip, avail, &tunnel_next);
        else
            return depth ? DECODE_MALFORMED : DECODE_NOT_IP;
        if (r != DECODE_OK) return r;
        if (!tunnel_next) {
            pkt->l3 = ip;
            pkt->l3_len = avail;
            flow_key_canonicalize(&pkt->key, &pkt->dir);
            return DECODE_OK;
        }
        c.off += (uint32_t)tunnel_next;
    }
    return DECODE_UNSUPPORTED;
}

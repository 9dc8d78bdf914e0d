#include <stdio.h>
#include <string.h>
#include <ndpi_api.h>

#include "community_id.h"

/* The spec hashes ports (or their ICMP equivalents) for these only. */
static int has_ports(uint8_t proto)
{
    return proto == 6 || proto == 17 || proto == 132 || proto == 1 || proto == 58;
}

static int hash_tuple(uint16_t seed, uint8_t family, const uint8_t a[16], uint16_t pa,
                      const uint8_t b[16], uint16_t pb, uint8_t proto, int one_way, char *out,
                      size_t len)
{
    size_t alen = family == 4 ? 4 : 16;
    const uint8_t *aa = family == 4 ? a + 12 : a, *bb = family == 4 ? b + 12 : b;
    if (!has_ports(proto)) pa = pb = 0;

    /* Order endpoints so that the smaller address (then port) comes first;
     * one-way ICMP messages keep the sender first. */
    int c = memcmp(aa, bb, alen);
    if (!one_way && (c > 0 || (c == 0 && pa > pb))) {
        const uint8_t *t = aa;
        aa = bb;
        bb = t;
        uint16_t tp = pa;
        pa = pb;
        pb = tp;
    }
    uint8_t buf[2 + 16 + 16 + 2 + 4], *p = buf;
    *p++ = (uint8_t)(seed >> 8);
    *p++ = (uint8_t)seed;
    memcpy(p, aa, alen), p += alen;
    memcpy(p, bb, alen), p += alen;
    *p++ = proto;
    *p++ = 0;
    if (has_ports(proto)) {
        *p++ = (uint8_t)(pa >> 8), *p++ = (uint8_t)pa;
        *p++ = (uint8_t)(pb >> 8), *p++ = (uint8_t)pb;
    }
    u_char hash[20];
    ndpi_string_sha1_hash(buf, (size_t)(p - buf), hash);
    char *b64 = ndpi_base64_encode(hash, sizeof(hash));
    if (!b64) return -1;
    int n = snprintf(out, len, "1:%s", b64);
    ndpi_free(b64);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

int community_id_v1(uint16_t seed, uint8_t family, const uint8_t a[16], uint16_t pa,
                    const uint8_t b[16], uint16_t pb, uint8_t proto, char *out, size_t len)
{
    return hash_tuple(seed, family, a, pa, b, pb, proto, 0, out, len);
}

/* The spec's counterpart tables (after Zeek's ICMP4_counterpart and
 * ICMP6_counterpart). ICMP: echo, router advert/solicit, timestamp,
 * information, address mask (RFC 792, 1256, 950). ICMPv6: echo, MLD
 * query/report, router, neighbor (RFC 4443, 2710, 4861), who-are-you,
 * home agent address discovery (RFC 6275). */
static const uint8_t icmp4_pairs[][2] = {{8, 0}, {9, 10}, {13, 14}, {15, 16}, {17, 18}};
static const uint8_t icmp6_pairs[][2] = {{128, 129}, {130, 131}, {133, 134},
                                         {135, 136}, {139, 140}, {144, 145}};

int community_id_icmp_ports(uint8_t proto, uint8_t type, uint8_t code, uint16_t *sp, uint16_t *dp)
{
    const uint8_t(*pairs)[2] = proto == 1 ? icmp4_pairs : icmp6_pairs;
    size_t n = proto == 1 ? sizeof(icmp4_pairs) / 2 : sizeof(icmp6_pairs) / 2;
    *sp = type;
    for (size_t i = 0; i < n; i++) {
        if (pairs[i][0] == type || pairs[i][1] == type) {
            *dp = pairs[i][0] == type ? pairs[i][1] : pairs[i][0];
            return 0;
        }
    }
    *dp = code;
    return 1;
}

int community_id_flow(uint16_t seed, const struct flow *f, char *out, size_t len)
{
    int c = f->client, one_way = 0;
    uint16_t sp = f->key.port[c], dp = f->key.port[!c];
    if (f->key.proto == 1 || f->key.proto == 58)
        one_way = community_id_icmp_ports(f->key.proto, f->icmp_type[c], f->icmp_code[c], &sp, &dp);
    return hash_tuple(seed, f->key.family, f->key.addr[c], sp, f->key.addr[!c], dp, f->key.proto,
                      one_way, out, len);
}

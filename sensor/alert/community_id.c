#include <stdio.h>
#include <string.h>
#include <ndpi_api.h>

#include "community_id.h"

/* Ports only mean something for these; ICMP type/code mapping is left
 * out since flows here key ICMP without ports (as ndpiReader does). */
static int has_ports(uint8_t proto)
{
    return proto == 6 || proto == 17 || proto == 132;
}

int community_id_v1(uint16_t seed, uint8_t family, const uint8_t a[16], uint16_t pa,
                    const uint8_t b[16], uint16_t pb, uint8_t proto, char *out, size_t len)
{
    size_t alen = family == 4 ? 4 : 16;
    const uint8_t *aa = family == 4 ? a + 12 : a, *bb = family == 4 ? b + 12 : b;
    if (!has_ports(proto)) pa = pb = 0;

    /* Order endpoints so that the smaller address (then port) comes first. */
    int c = memcmp(aa, bb, alen);
    if (c > 0 || (c == 0 && pa > pb)) {
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

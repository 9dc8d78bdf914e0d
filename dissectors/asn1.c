#include "asn1.h"

/* Identifier octets (X.690 8.1.2) and length octets (8.1.3). */
int asn1_read_header(struct cursor *c, struct asn1_tlv *t)
{
    size_t start_left = c->left;
    uint8_t id = cursor_u8(c);
    t->cls = id >> 6;
    t->constructed = (id >> 5) & 1;
    t->tag = id & 0x1f;
    if (t->tag == 0x1f) {
        /* High tag number form: base-128, at most 4 octets here. */
        uint32_t tag = 0;
        int i;
        for (i = 0; i < 4; i++) {
            uint8_t b = cursor_u8(c);
            tag = tag << 7 | (b & 0x7f);
            if (!(b & 0x80)) break;
        }
        if (i == 4) c->err = 1;
        t->tag = tag;
    }
    uint8_t l = cursor_u8(c);
    size_t len = l;
    if (l == 0x80 || l == 0xff) {
        c->err = 1; /* indefinite form (8.1.3.6) or reserved (8.1.3.5 c) */
    } else if (l & 0x80) {
        unsigned n = l & 0x7f;
        if (n > 4) c->err = 1;
        len = 0;
        for (unsigned i = 0; i < n && !c->err; i++)
            len = len << 8 | cursor_u8(c);
    }
    if (c->err) return -1;
    t->len = len;
    t->hdr_len = start_left - c->left;
    t->val = c->p;
    t->avail = 0;
    return 0;
}

int asn1_read(struct cursor *c, struct asn1_tlv *t)
{
    if (asn1_read_header(c, t) != 0) return -1;
    if (!cursor_need(c, t->len)) return -1;
    t->avail = t->len;
    cursor_skip(c, t->len);
    return 0;
}

int asn1_read_partial(struct cursor *c, struct asn1_tlv *t)
{
    if (asn1_read_header(c, t) != 0) return -1;
    t->avail = t->len <= c->left ? t->len : c->left;
    cursor_skip(c, t->avail);
    return 0;
}

int asn1_integer(const struct asn1_tlv *t, int64_t *out)
{
    /* X.690 8.3: two's complement, big-endian, at least one octet. */
    if (!asn1_is(t, ASN1_UNIVERSAL, 0, ASN1_INTEGER) || t->avail != t->len || t->len == 0 ||
        t->len > 8)
        return -1;
    struct cursor c = asn1_contents(t);
    uint8_t first = cursor_u8(&c);
    uint64_t v = (first & 0x80) ? ~(uint64_t)0xff | first : first;
    for (size_t i = 1; i < t->len; i++)
        v = v << 8 | cursor_u8(&c);
    *out = (int64_t)v;
    return 0;
}

int asn1_context_int(struct cursor *c, uint32_t tag, int64_t *out)
{
    struct asn1_tlv outer, inner;
    if (asn1_read(c, &outer) != 0 || !asn1_is(&outer, ASN1_CONTEXT, 1, tag)) return -1;
    struct cursor in = asn1_contents(&outer);
    if (asn1_read(&in, &inner) != 0) return -1;
    return asn1_integer(&inner, out);
}

/* Length of the valid UTF-8 sequence at s (RFC 3629 4), 0 if invalid. */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
    uint8_t b = s[0];
    size_t len;
    uint32_t min;
    if (b < 0x80) return 1;
    if ((b & 0xe0) == 0xc0)
        len = 2, min = 0x80;
    else if ((b & 0xf0) == 0xe0)
        len = 3, min = 0x800;
    else if ((b & 0xf8) == 0xf0)
        len = 4, min = 0x10000;
    else
        return 0;
    if (len > n) return 0;
    uint32_t cp = b & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

size_t asn1_string_copy(const uint8_t *s, size_t n, char *out, size_t out_len)
{
    size_t o = 0;
    if (!out_len) return 0;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(s + i, n - i);
        if (k == 0 || (k == 1 && (s[i] < 0x20 || s[i] == 0x7f))) {
            if (o + 1 >= out_len) break;
            out[o++] = '?';
            i += k ? k : 1;
            continue;
        }
        if (o + k >= out_len) break;
        for (size_t j = 0; j < k; j++)
            out[o++] = (char)s[i + j];
        i += k;
    }
    out[o] = 0;
    return o;
}

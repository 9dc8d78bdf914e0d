#include <string.h>

#include "cursor.h"
#include "dissect.h"

/* Appends code point cp as UTF-8 if it fits whole (with the final NUL). */
static int put_utf8(uint32_t cp, char *out, size_t out_len, size_t *o)
{
    uint8_t b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (uint8_t)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (uint8_t)(0xC0 | cp >> 6), b[1] = (uint8_t)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        b[0] = (uint8_t)(0xE0 | cp >> 12), b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (uint8_t)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        b[0] = (uint8_t)(0xF0 | cp >> 18), b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)), b[3] = (uint8_t)(0x80 | (cp & 0x3F)), n = 4;
    }
    if (*o + n >= out_len) return 0;
    memcpy(out + *o, b, n);
    *o += n;
    return 1;
}

/* RFC 2781 2.2: a high surrogate followed by a low one is one code point;
 * a lone surrogate, an odd last byte or a NUL is not a character and
 * becomes U+FFFD (as Windows' own conversions do), so the rest of the name
 * is kept and nothing can hide behind it. Stops only when out is full,
 * between characters. */
size_t dissect_utf16le_to_utf8(const uint8_t *in, size_t in_len, char *out, size_t out_len)
{
    if (!out_len) return 0;
    struct cursor c = cursor_make(in, in_len);
    size_t o = 0;
    while (c.left) {
        uint32_t cp = 0xFFFD;
        if (c.left >= 2) {
            uint32_t u = cursor_le16(&c);
            if (u >= 0xD800 && u <= 0xDBFF && c.left >= 2) {
                struct cursor next = c;
                uint32_t lo = cursor_le16(&next);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    c = next;
                    u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                }
            }
            if (u != 0 && (u < 0xD800 || u > 0xDFFF)) cp = u;
        } else {
            cursor_skip(&c, 1);
        }
        if (!put_utf8(cp, out, out_len, &o)) break;
    }
    out[o] = 0;
    return o;
}

void dissect_copy_printable(const uint8_t *p, size_t n, char *out, size_t out_len)
{
    size_t o = 0;
    struct cursor c = cursor_make(p, n);
    while (c.left && o + 1 < out_len) {
        uint8_t b = cursor_u8(&c);
        out[o++] = (b >= 0x20 && b < 0x7f) ? (char)b : '?';
    }
    out[o] = 0;
}

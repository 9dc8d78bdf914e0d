#include <iconv.h>
#include <string.h>

#include "cursor.h"
#include "dissect.h"

size_t dissect_utf16le_to_utf8(const uint8_t *in, size_t in_len, char *out, size_t out_len)
{
    /* One converter for the process: the capture thread is the only user. */
    static iconv_t cd = (iconv_t)-1;
    if (!out_len) return 0;
    out[0] = 0;
    if (cd == (iconv_t)-1 && (cd = iconv_open("UTF-8", "UTF-16LE")) == (iconv_t)-1) return 0;
    iconv(cd, NULL, NULL, NULL, NULL);
    char *ip = (char *)in, *op = out;
    size_t il = in_len & ~(size_t)1, ol = out_len - 1;
    /* Stops at the first invalid sequence or when out is full: what was
     * converted so far is kept. */
    iconv(cd, &ip, &il, &op, &ol);
    *op = 0;
    return (size_t)(op - out);
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

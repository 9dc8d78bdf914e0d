/* snprintf and glibc's fortified entry points __snprintf_chk and
 * __sprintf_chk (every snprintf and sprintf of a library built with
 * _FORTIFY_SOURCE, as Debian builds nDPI), with a short path for the
 * formats nDPI 4.2 writes per flow.
 *
 * Why: nDPI builds each TLS hello's JA3 string one number at a time,
 * snprintf(s, n, "%s%u", i ? "-" : "", v), then its MD5 digest one "%02x"
 * at a time: a million calls on the real-traffic bench, 10% of all of
 * vigie's instructions (callgrind), some 800 each in glibc's vfprintf.
 * An executable's definitions come first in the dynamic linker's search,
 * so libndpi's calls land here. Anything but literal text, %%, %s, %c and
 * %d %i %u %x %X with a 0 flag and a width of up to 3 digits goes on to
 * glibc: the result is glibc's to the byte (tests/unit/test_format_chk.c).
 * Sanitizer builds link their runtime's interceptors of these names
 * first, and keep those. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include "format_chk.h"

int __vsnprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *format, va_list ap);
int __vsprintf_chk(char *s, int flag, size_t slen, const char *format, va_list ap);
void __chk_fail(void) __attribute__((noreturn));

/* The output so far: what fits in the buffer, and the whole length. */
struct out {
    char *s;
    size_t cap, len;
};

static inline void put(struct out *o, char c)
{
    if (o->len < o->cap) o->s[o->len] = c;
    o->len++;
}

static void put_number(struct out *o, unsigned v, int neg, char conv, char pad, unsigned width)
{
    char buf[16];
    unsigned n = 0;
    if (conv == 'x' || conv == 'X') {
        const char *digits = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
        do {
            buf[n++] = digits[v & 15];
            v >>= 4;
        } while (v);
    } else {
        do {
            buf[n++] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
    }
    unsigned total = n + (unsigned)neg;
    for (; pad == ' ' && width > total; width--)
        put(o, ' ');
    if (neg) put(o, '-');
    for (; pad == '0' && width > total; width--)
        put(o, '0');
    while (n)
        put(o, buf[--n]);
}

/* What snprintf(s, maxlen, fmt, ap...) returns, written as it would be;
 * -2 (nothing to trust in s) at a conversion the short path leaves to
 * glibc: flags but 0, a width of more than 3 digits or on %s %c %%, a
 * precision, a length modifier, any other conversion. */
static int format(char *s, size_t maxlen, const char *fmt, va_list ap)
{
    struct out o = {s, maxlen ? maxlen - 1 : 0, 0};
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            put(&o, *p);
            continue;
        }
        char pad = ' ';
        if (*++p == '0') pad = '0', p++;
        unsigned width = 0, ndigits = 0;
        for (; *p >= '0' && *p <= '9' && ndigits < 4; p++, ndigits++)
            width = width * 10 + (unsigned)(*p - '0');
        int bare = pad == ' ' && !ndigits;
        switch (ndigits < 4 ? *p : 0) {
        case '%':
            if (!bare) return -2;
            put(&o, '%');
            break;
        case 's': {
            if (!bare) return -2;
            const char *str = va_arg(ap, const char *);
            for (str = str ? str : "(null)"; *str; str++)
                put(&o, *str);
            break;
        }
        case 'c':
            if (!bare) return -2;
            put(&o, (char)va_arg(ap, int));
            break;
        case 'd':
        case 'i': {
            int v = va_arg(ap, int);
            put_number(&o, v < 0 ? 0u - (unsigned)v : (unsigned)v, v < 0, 'u', pad, width);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
            put_number(&o, va_arg(ap, unsigned), 0, *p, pad, width);
            break;
        default:
            return -2;
        }
    }
    if (maxlen) s[o.len < o.cap ? o.len : o.cap] = '\0';
    if (o.len > INT_MAX) {
        errno = EOVERFLOW;
        return -1;
    }
    return (int)o.len;
}

int format_snprintf(char *s, size_t maxlen, const char *fmt, ...)
{
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = format(s, maxlen, fmt, ap);
    if (n == -2) n = vsnprintf(s, maxlen, fmt, again);
    va_end(again);
    va_end(ap);
    return n;
}

int format_sprintf_chk(char *s, int flag, size_t slen, const char *fmt, ...)
{
    if (slen == 0) __chk_fail();
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = format(s, slen, fmt, ap);
    if (n >= 0 && (size_t)n >= slen) __chk_fail(); /* sprintf past the object */
    if (n == -2) n = __vsprintf_chk(s, flag, slen, fmt, again);
    va_end(again);
    va_end(ap);
    return n;
}

int format_snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, ...)
{
    if (slen < maxlen) __chk_fail();
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = format(s, maxlen, fmt, ap);
    if (n == -2) n = __vsnprintf_chk(s, maxlen, flag, slen, fmt, again);
    va_end(again);
    va_end(ap);
    return n;
}

int snprintf(char *s, size_t maxlen, const char *fmt, ...)
    __attribute__((alias("format_snprintf")));
int __sprintf_chk(char *s, int flag, size_t slen, const char *fmt, ...)
    __attribute__((alias("format_sprintf_chk")));
int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, ...)
    __attribute__((alias("format_snprintf_chk")));

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
 * GCC's sanitizer builds link their runtime's interceptors of these names
 * first (libasan.so) and keep those; clang's runtime, linked statically,
 * defines them weak, and vigie's take their place. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include "format_chk.h"

int __vsnprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *format, va_list ap);
int __vsprintf_chk(char *s, int flag, size_t slen, const char *format, va_list ap);
void __chk_fail(void) __attribute__((noreturn));

/* The output so far: what fits in the buffer (cap bytes, the NUL apart),
 * and the whole length. A local of format(), kept in registers. */
struct out {
    char *s;
    size_t cap, len;
    int nul; /* room for the NUL: maxlen > 0 */
};

static inline void put(struct out *o, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++, o->len++)
        if (o->len < o->cap) o->s[o->len] = p[i];
}

static inline void pad_to(struct out *o, char c, size_t n)
{
    for (; n; n--, o->len++)
        if (o->len < o->cap) o->s[o->len] = c;
}

static inline void put_str(struct out *o, const char *str)
{
    for (str = str ? str : "(null)"; *str; str++) /* glibc's word for NULL */
        put(o, str, 1);
}

/* v's digits, ending at end: their start. Decimal two at a time. */
static inline char *digits(char *end, unsigned v, char conv)
{
    static const char pairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233"
        "34353637383940414243444546474849505152535455565758596061626364656667"
        "6869707172737475767778798081828384858687888990919293949596979899";
    if (conv == 'x' || conv == 'X') {
        const char *hex = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
        do {
            *--end = hex[v & 15];
            v >>= 4;
        } while (v);
        return end;
    }
    while (v >= 100) {
        unsigned r = v % 100;
        v /= 100;
        *--end = pairs[2 * r + 1];
        *--end = pairs[2 * r];
    }
    if (v >= 10) {
        *--end = pairs[2 * v + 1];
        *--end = pairs[2 * v];
    } else {
        *--end = (char)('0' + v);
    }
    return end;
}

/* The NUL after what fit (if anything may), and snprintf's result. */
static inline int finish(struct out *o)
{
    if (o->nul) o->s[o->len < o->cap ? o->len : o->cap] = '\0';
    if (o->len > INT_MAX) {
        errno = EOVERFLOW;
        return -1;
    }
    return (int)o->len;
}

/* What snprintf(s, maxlen, fmt, ap...) returns, written as it would be;
 * -2 (nothing to trust in s) at a conversion the short path leaves to
 * glibc: flags but 0, a width of more than 3 digits or on %s %c %%, a
 * precision, a length modifier, any other conversion. */
static int format(char *s, size_t maxlen, const char *fmt, va_list ap)
{
    struct out o = {s, maxlen ? maxlen - 1 : 0, 0, maxlen != 0};
    char num[16], *const num_end = num + sizeof(num);
    /* nDPI's JA3 step, "-" or "" then a number: without the loop */
    if (fmt[0] == '%' && fmt[1] == 's' && fmt[2] == '%' && fmt[3] == 'u' && !fmt[4]) {
        put_str(&o, va_arg(ap, const char *));
        const char *d = digits(num_end, va_arg(ap, unsigned), 'u');
        put(&o, d, (size_t)(num_end - d));
        return finish(&o);
    }
    /* and its digests' bytes */
    if (fmt[0] == '%' && fmt[1] == '0' && fmt[2] == '2' && (fmt[3] == 'x' || fmt[3] == 'X') &&
        !fmt[4]) {
        const char *d = digits(num_end, va_arg(ap, unsigned), fmt[3]);
        if (num_end - d < 2) put(&o, "0", 1);
        put(&o, d, (size_t)(num_end - d));
        return finish(&o);
    }
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            put(&o, p, 1);
            continue;
        }
        char pad = ' ';
        if (*++p == '0') pad = '0', p++;
        unsigned width = 0, ndigits = 0;
        for (; *p >= '0' && *p <= '9' && ndigits < 4; p++, ndigits++)
            width = width * 10 + (unsigned)(*p - '0');
        char conv = ndigits < 4 ? *p : 0;
        if ((conv == '%' || conv == 'c' || conv == 's') && (pad != ' ' || ndigits)) return -2;
        int neg = 0;
        const char *str;
        switch (conv) {
        case '%':
            put(&o, "%", 1);
            continue;
        case 'c': {
            char c = (char)va_arg(ap, int);
            put(&o, &c, 1);
            continue;
        }
        case 's':
            put_str(&o, va_arg(ap, const char *));
            continue;
        case 'd':
        case 'i': {
            int v = va_arg(ap, int);
            neg = v < 0;
            str = digits(num_end, neg ? 0u - (unsigned)v : (unsigned)v, 'u');
            break;
        }
        case 'u':
        case 'x':
        case 'X':
            str = digits(num_end, va_arg(ap, unsigned), conv);
            break;
        default:
            return -2;
        }
        size_t n = (size_t)(num_end - str);
        size_t fill = width > n + (size_t)neg ? width - n - (size_t)neg : 0;
        if (pad == ' ') pad_to(&o, ' ', fill);
        if (neg) put(&o, "-", 1);
        if (pad == '0') pad_to(&o, '0', fill);
        put(&o, str, n);
    }
    return finish(&o);
}

/* Which of glibc's takes the formats the short path leaves. */
enum glibc_fn { GLIBC_SNPRINTF, GLIBC_SNPRINTF_CHK, GLIBC_SPRINTF_CHK };

static int short_or_glibc(enum glibc_fn g, char *s, size_t maxlen, int flag, size_t slen,
                          const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = format(s, maxlen, fmt, ap);
    if (n == -2)
        n = g == GLIBC_SNPRINTF       ? vsnprintf(s, maxlen, fmt, again)
            : g == GLIBC_SNPRINTF_CHK ? __vsnprintf_chk(s, maxlen, flag, slen, fmt, again)
                                      : __vsprintf_chk(s, flag, slen, fmt, again);
    else if (g == GLIBC_SPRINTF_CHK && n >= 0 && (size_t)n >= slen)
        __chk_fail(); /* sprintf past the object */
    va_end(again);
    return n;
}

int format_snprintf(char *s, size_t maxlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = short_or_glibc(GLIBC_SNPRINTF, s, maxlen, 0, 0, fmt, ap);
    va_end(ap);
    return n;
}

int format_sprintf_chk(char *s, int flag, size_t slen, const char *fmt, ...)
{
    if (slen == 0) __chk_fail();
    va_list ap;
    va_start(ap, fmt);
    int n = short_or_glibc(GLIBC_SPRINTF_CHK, s, slen, flag, slen, fmt, ap);
    va_end(ap);
    return n;
}

int format_snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, ...)
{
    if (slen < maxlen) __chk_fail();
    va_list ap;
    va_start(ap, fmt);
    int n = short_or_glibc(GLIBC_SNPRINTF_CHK, s, maxlen, flag, slen, fmt, ap);
    va_end(ap);
    return n;
}

int snprintf(char *s, size_t maxlen, const char *fmt, ...)
    __attribute__((alias("format_snprintf")));
int __sprintf_chk(char *s, int flag, size_t slen, const char *fmt, ...)
    __attribute__((alias("format_sprintf_chk")));
int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, ...)
    __attribute__((alias("format_snprintf_chk")));

/* vigie's snprintf, __snprintf_chk and __sprintf_chk (format_chk.c, by
 * their names in every build: format_*) give
 * glibc's result to the byte: same return value, same buffer, for every
 * format of its short path and those it leaves to glibc, at every buffer
 * size around the output's length. glibc's own is reached through
 * vsnprintf, which vigie does not define. */
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "classify/format_chk.h"

/* Formats glibc takes but the compiler frowns on (a 0 flag on %s, a null
 * %s, truncation) are the point of some cases. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wformat-overflow"
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define BUF 1200
#define CANARY 'Z'

static int ref(char *s, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(s, n, fmt, ap);
    va_end(ap);
    return r;
}

/* The three entry points against glibc at sizes 0 .. the length + 2, and
 * one larger than needed. */
#define CHECK(fmt, ...)                                                                            \
    do {                                                                                           \
        char want[BUF], got[BUF];                                                                  \
        int len = ref(NULL, 0, fmt, __VA_ARGS__);                                                  \
        assert_true(len >= 0 && len < BUF - 4);                                                    \
        for (size_t n = 0; n <= (size_t)len + 2 || n == (size_t)len + 3; n++) {                    \
            size_t size = n == (size_t)len + 3 ? BUF - 1 : n;                                      \
            memset(want, CANARY, BUF);                                                             \
            memset(got, CANARY, BUF);                                                              \
            int w = ref(want, size, fmt, __VA_ARGS__);                                             \
            assert_int_equal(format_snprintf(got, size, fmt, __VA_ARGS__), w);                     \
            assert_memory_equal(got, want, BUF);                                                   \
            memset(got, CANARY, BUF);                                                              \
            assert_int_equal(format_snprintf_chk(got, size, 1, BUF, fmt, __VA_ARGS__), w);         \
            assert_memory_equal(got, want, BUF);                                                   \
        }                                                                                          \
        memset(want, CANARY, BUF);                                                                 \
        memset(got, CANARY, BUF);                                                                  \
        ref(want, BUF, fmt, __VA_ARGS__);                                                          \
        assert_int_equal(format_sprintf_chk(got, 1, (size_t)len + 1, fmt, __VA_ARGS__), len);      \
        assert_memory_equal(got, want, BUF);                                                       \
    } while (0)

static const int ints[] = {0, 1, 9, 10, 99, 255, 4096, 65535, INT_MAX, INT_MIN, -1, -10, -255};

/* nDPI 4.2's own: JA3 numbers, digests, addresses (tls.c). */
static void test_ndpi_formats(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        unsigned u = (unsigned)ints[i];
        CHECK("%s%u", "-", u);
        CHECK("%s%u", "", u);
        CHECK("%u,", u);
        CHECK("%02x", u & 0xff);
        CHECK("%02X", u);
        CHECK("%u.%u.%u.%u", u & 0xff, u >> 8 & 0xff, u >> 16 & 0xff, u >> 24);
        CHECK(",%s", "h2");
        CHECK("%s", "");
    }
}

static void test_short_path_conversions(void **state)
{
    (void)state;
    static const char *const one_int[] = {"%d",   "%i",    "%u",   "%x",   "%X",   "%5d",
                                          "%05d", "%012d", "%3u",  "%03u", "%8x",  "%08X",
                                          "%0u",  "%1d",   "a%db", "%d%%", "%%%d", "x%10iy"};
    for (size_t f = 0; f < sizeof(one_int) / sizeof(one_int[0]); f++)
        for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
            CHECK(one_int[f], ints[i]);
    CHECK("%c%c", 'a', 0);
    CHECK("[%s]", (const char *)NULL);
    CHECK("%s=%s", "key", "a longer value");
    CHECK("plain text, no conversion%s", "");
}

/* What the short path hands to glibc: flags, precision, length
 * modifiers, widths it does not take, other conversions. */
static void test_left_to_glibc(void **state)
{
    (void)state;
    CHECK("%-5d|", 42);
    CHECK("%+d", 42);
    CHECK("% d", 42);
    CHECK("%#x", 255u);
    CHECK("%.3d", 7);
    CHECK("%5s|", "ab");
    CHECK("%.2s", "abcdef");
    CHECK("%05s|", "ab");
    CHECK("%3c|", 'x');
    CHECK("%lu", 1234567890123ul);
    CHECK("%lld", -5ll);
    CHECK("%zu", (size_t)77);
    CHECK("%hhu", 300);
    CHECK("%p", (void *)0x1234);
    CHECK("%f", 2.5);
    CHECK("%g", 0.001);
    CHECK("%1000d", 1);
    CHECK("%100d", -1);
    CHECK("%5%%d", 3);
    CHECK("%d and %.1f", 3, 1.5);
}

static int aborts(void (*fn)(void))
{
    pid_t pid = fork();
    if (pid == 0) {
        /* glibc's report goes to the terminal: not this test's output */
        freopen("/dev/null", "w", stderr);
        fn();
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void snprintf_past_object(void)
{
    char buf[8];
    volatile size_t n = sizeof(buf) + 1;
    format_snprintf_chk(buf, n, 1, sizeof(buf), "%u", 1u);
}

static void sprintf_past_object(void)
{
    char buf[8];
    format_sprintf_chk(buf, 1, sizeof(buf), "%s%u", "0123456", 7u);
}

static void sprintf_fits(void)
{
    char buf[8];
    format_sprintf_chk(buf, 1, sizeof(buf), "%s%u", "012345", 6u);
}

/* As glibc's: a size larger than the object, or a sprintf past it, ends
 * the process. */
static void test_checks_abort(void **state)
{
    (void)state;
    assert_true(aborts(snprintf_past_object));
    assert_true(aborts(sprintf_past_object));
    assert_false(aborts(sprintf_fits));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ndpi_formats),
        cmocka_unit_test(test_short_path_conversions),
        cmocka_unit_test(test_left_to_glibc),
        cmocka_unit_test(test_checks_abort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

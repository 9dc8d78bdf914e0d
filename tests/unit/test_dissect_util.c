/* dissect_util.c: UTF-16LE names to UTF-8 (French accents, CJK, emoji,
 * lone surrogates, odd lengths, full buffers) and the printable copy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dissect.h"

/* UTF-16LE of the code units u[0..n-1]. */
static size_t le16(const uint16_t *u, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++)
        out[2 * i] = (uint8_t)u[i], out[2 * i + 1] = (uint8_t)(u[i] >> 8);
    return 2 * n;
}

static const char *conv(const uint16_t *u, size_t n, char *out, size_t out_len)
{
    uint8_t in[128];
    size_t len = le16(u, n, in);
    size_t o = dissect_utf16le_to_utf8(in, len, out, out_len);
    assert_int_equal(o, strlen(out));
    return out;
}

static void test_characters_kept(void **state)
{
    (void)state;
    char out[64];
    /* "Délibérations.docx" */
    const uint16_t fr[] = {'D', 0xE9, 'l', 'i', 'b', 0xE9, 'r', 'a', 't',
                           'i', 'o',  'n', 's', '.', 'd',  'o', 'c', 'x'};
    assert_string_equal(conv(fr, 18, out, sizeof(out)), "D\xC3\xA9lib\xC3\xA9rations.docx");
    const uint16_t cjk[] = {0x65E5, 0x672C, '.', 't', 'x', 't'}; /* 日本.txt */
    assert_string_equal(conv(cjk, 6, out, sizeof(out)), "\xE6\x97\xA5\xE6\x9C\xAC.txt");
    const uint16_t emoji[] = {'a', 0xD83D, 0xDE00, 'b'}; /* U+1F600 as a surrogate pair */
    assert_string_equal(conv(emoji, 4, out, sizeof(out)), "a\xF0\x9F\x98\x80"
                                                          "b");
}

static void test_invalid_becomes_replacement(void **state)
{
    (void)state;
    char out[64];
    const uint16_t lone_hi[] = {'l', 'o', 'n', 'e', 0xD800, 'x', '.', 'e', 'x', 'e'};
    assert_string_equal(conv(lone_hi, 10, out, sizeof(out)), "lone\xEF\xBF\xBDx.exe");
    const uint16_t lone_lo[] = {0xDC00, 'a'};
    assert_string_equal(conv(lone_lo, 2, out, sizeof(out)), "\xEF\xBF\xBD"
                                                            "a");
    const uint16_t hi_at_end[] = {'a', 0xDBFF};
    assert_string_equal(conv(hi_at_end, 2, out, sizeof(out)), "a\xEF\xBF\xBD");
    const uint16_t two_hi[] = {0xD800, 0xD800, 0xDC00};
    assert_string_equal(conv(two_hi, 3, out, sizeof(out)), "\xEF\xBF\xBD\xF0\x90\x80\x80");
    const uint16_t nul[] = {'a', 0, 'b'};
    assert_string_equal(conv(nul, 3, out, sizeof(out)), "a\xEF\xBF\xBD"
                                                        "b");
    /* An odd last byte is half a code unit. */
    const uint8_t odd[] = {'a', 0, 'b'};
    assert_int_equal(dissect_utf16le_to_utf8(odd, 3, out, sizeof(out)), 4);
    assert_string_equal(out, "a\xEF\xBF\xBD");
}

static void test_full_buffer_cuts_between_characters(void **state)
{
    (void)state;
    const uint16_t u[] = {'a', 0xE9, 0x65E5, 0xD83D, 0xDE00};
    /* Bytes: a(1) é(2) 日(3) 😀(4): what fits whole, and always a NUL. */
    static const size_t fits[] = {0, 0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10};
    for (size_t len = 1; len < sizeof(fits) / sizeof(fits[0]); len++) {
        char out[16];
        memset(out, 'X', sizeof(out));
        assert_int_equal(strlen(conv(u, 5, out, len)), fits[len]);
    }
    char none[1] = {'X'};
    assert_int_equal(dissect_utf16le_to_utf8(NULL, 0, none, 1), 0);
    assert_int_equal(none[0], 0);
    assert_int_equal(dissect_utf16le_to_utf8(NULL, 0, none, 0), 0);
}

static void test_copy_printable(void **state)
{
    (void)state;
    char out[8];
    dissect_copy_printable((const uint8_t *)"ab\x01\xC3z", 5, out, sizeof(out));
    assert_string_equal(out, "ab??z");
    dissect_copy_printable((const uint8_t *)"abcdefghij", 10, out, sizeof(out));
    assert_string_equal(out, "abcdefg");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_characters_kept),
        cmocka_unit_test(test_invalid_becomes_replacement),
        cmocka_unit_test(test_full_buffer_cuts_between_characters),
        cmocka_unit_test(test_copy_printable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

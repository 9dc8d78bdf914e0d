/* asn1.c: DER identifier and length octets (X.690 8.1.2, 8.1.3), values
 * cut short, children claiming more than their parent, integers, string
 * copies, and deep nesting walked without recursion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "asn1.h"

static int read_hdr(const uint8_t *p, size_t n, struct asn1_tlv *t)
{
    struct cursor c = cursor_make(p, n);
    return asn1_read_header(&c, t);
}

static void test_header_forms(void **st)
{
    (void)st;
    struct asn1_tlv t;
    const uint8_t short_form[] = {0x30, 0x05};
    assert_int_equal(read_hdr(short_form, 2, &t), 0);
    assert_int_equal(t.cls, ASN1_UNIVERSAL);
    assert_true(t.constructed);
    assert_int_equal(t.tag, ASN1_SEQUENCE);
    assert_int_equal(t.len, 5);
    assert_int_equal(t.hdr_len, 2);

    const uint8_t long_form[] = {0x7e, 0x82, 0x01, 0x00};
    assert_int_equal(read_hdr(long_form, 4, &t), 0);
    assert_int_equal(t.cls, ASN1_APPLICATION);
    assert_int_equal(t.tag, 30);
    assert_int_equal(t.len, 256);
    assert_int_equal(t.hdr_len, 4);

    const uint8_t high_tag[] = {0xbf, 0x81, 0x00, 0x01};
    assert_int_equal(read_hdr(high_tag, 4, &t), 0);
    assert_int_equal(t.cls, ASN1_CONTEXT);
    assert_int_equal(t.tag, 128);
    assert_int_equal(t.len, 1);

    const uint8_t indefinite[] = {0x30, 0x80, 0x00, 0x00};
    assert_int_equal(read_hdr(indefinite, 4, &t), -1);
    const uint8_t reserved[] = {0x30, 0xff};
    assert_int_equal(read_hdr(reserved, 2, &t), -1);
    const uint8_t too_long[] = {0x30, 0x85, 1, 0, 0, 0, 0};
    assert_int_equal(read_hdr(too_long, 7, &t), -1);
    const uint8_t endless_tag[] = {0x1f, 0x81, 0x81, 0x81, 0x81, 0x01, 0x00};
    assert_int_equal(read_hdr(endless_tag, 7, &t), -1);
}

static void test_truncated_headers(void **st)
{
    (void)st;
    const uint8_t full[] = {0x30, 0x84, 0x00, 0x00, 0x00, 0x02, 0x05, 0x00};
    struct asn1_tlv t;
    for (size_t n = 0; n < 6; n++)
        assert_int_equal(read_hdr(full, n, &t), -1);
    assert_int_equal(read_hdr(full, 6, &t), 0);
    struct cursor c = cursor_make(full, 7);
    assert_int_equal(asn1_read(&c, &t), -1); /* value cut short */
    c = cursor_make(full, 7);
    assert_int_equal(asn1_read_partial(&c, &t), 0);
    assert_int_equal(t.len, 2);
    assert_int_equal(t.avail, 1);
    assert_int_equal(c.left, 0);
    c = cursor_make(full, 8);
    assert_int_equal(asn1_read(&c, &t), 0);
    assert_int_equal(t.avail, 2);
}

/* A child is read from its parent's contents: it cannot reach past them
 * even when the buffer goes on. */
static void test_child_bounded_by_parent(void **st)
{
    (void)st;
    const uint8_t m[] = {0x30, 0x03, 0x04, 0x05, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
    struct cursor c = cursor_make(m, sizeof(m));
    struct asn1_tlv parent, child;
    assert_int_equal(asn1_read(&c, &parent), 0);
    struct cursor in = asn1_contents(&parent);
    assert_int_equal(asn1_read(&in, &child), -1);
}

static void test_integers(void **st)
{
    (void)st;
    struct {
        uint8_t der[12];
        size_t n;
        int ok;
        int64_t v;
    } cases[] = {
        {{0x02, 0x01, 0x05}, 3, 0, 5},
        {{0x02, 0x01, 0xe9}, 3, 0, -23},
        {{0x02, 0x02, 0xff, 0x79}, 4, 0, -135},
        {{0x02, 0x02, 0x00, 0x80}, 4, 0, 128},
        {{0x02, 0x04, 0x2f, 0x44, 0x0b, 0x72}, 6, 0, 0x2f440b72},
        {{0x02, 0x08, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 10, 0, INT64_MAX},
        {{0x02, 0x09, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 11, -1, 0},
        {{0x02, 0x00}, 2, -1, 0},
        {{0x04, 0x01, 0x05}, 3, -1, 0}, /* an OCTET STRING */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cursor c = cursor_make(cases[i].der, cases[i].n);
        struct asn1_tlv t;
        int64_t v = 0;
        assert_int_equal(asn1_read(&c, &t), 0);
        assert_int_equal(asn1_integer(&t, &v), cases[i].ok);
        if (cases[i].ok == 0) assert_true(v == cases[i].v);
    }
    const uint8_t explicit_int[] = {0xa6, 0x03, 0x02, 0x01, 0x18};
    struct cursor c = cursor_make(explicit_int, sizeof(explicit_int));
    int64_t v;
    assert_int_equal(asn1_context_int(&c, 6, &v), 0);
    assert_int_equal(v, 24);
    c = cursor_make(explicit_int, sizeof(explicit_int));
    assert_int_equal(asn1_context_int(&c, 5, &v), -1);
}

static void test_string_copy(void **st)
{
    (void)st;
    char out[16];
    assert_int_equal(asn1_string_copy((const uint8_t *)"admin", 5, out, sizeof(out)), 5);
    assert_string_equal(out, "admin");
    /* Valid UTF-8 passes (e with acute accent). */
    const uint8_t utf8[] = {'r', 0xc3, 0xa9, 'a'};
    asn1_string_copy(utf8, sizeof(utf8), out, sizeof(out));
    assert_string_equal(out, "r\xc3\xa9"
                             "a");
    /* Control characters, a stray continuation byte, an overlong '/', a
     * surrogate, a NUL: all '?'. */
    const uint8_t bad[] = {'a', 0x01, 0x80, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0x00, 'z'};
    asn1_string_copy(bad, sizeof(bad), out, sizeof(out));
    assert_string_equal(out, "a????????z");
    /* Truncation on a character boundary. */
    const uint8_t two_byte[] = {'a', 'b', 0xc3, 0xa9};
    assert_int_equal(asn1_string_copy(two_byte, sizeof(two_byte), out, 4), 2);
    assert_string_equal(out, "ab");
    assert_int_equal(asn1_string_copy(two_byte, sizeof(two_byte), out, 1), 0);
    assert_string_equal(out, "");
}

/* 100000 nested SEQUENCEs walked with one cursor per level kept by the
 * caller: the reader itself never recurses, and a bad length deep down
 * is caught. */
static void test_deep_nesting(void **st)
{
    (void)st;
    enum { LEVELS = 100000 };
    static uint8_t m[LEVELS * 6 + 2];
    size_t n = 0;
    for (size_t i = 0; i < LEVELS; i++) {
        size_t inner = (LEVELS - i - 1) * 6 + 2;
        m[n++] = 0x30, m[n++] = 0x84;
        m[n++] = (uint8_t)(inner >> 24), m[n++] = (uint8_t)(inner >> 16);
        m[n++] = (uint8_t)(inner >> 8), m[n++] = (uint8_t)inner;
    }
    m[n++] = 0x05, m[n++] = 0x00;
    struct cursor c = cursor_make(m, n);
    struct asn1_tlv t;
    size_t depth = 0;
    while (asn1_read(&c, &t) == 0 && t.constructed) {
        c = asn1_contents(&t);
        depth++;
    }
    assert_int_equal(depth, LEVELS);
    assert_int_equal(t.tag, 5); /* NULL at the bottom */

    m[6 * (LEVELS / 2) + 5]++; /* one length, halfway, now too long */
    c = cursor_make(m, n);
    depth = 0;
    while (asn1_read(&c, &t) == 0 && t.constructed) {
        c = asn1_contents(&t);
        depth++;
    }
    assert_int_equal(depth, LEVELS / 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_forms),
        cmocka_unit_test(test_truncated_headers),
        cmocka_unit_test(test_child_bounded_by_parent),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_string_copy),
        cmocka_unit_test(test_deep_nesting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

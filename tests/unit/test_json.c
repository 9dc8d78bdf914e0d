/* The JSON writer: RFC 8259 escaping, UTF-8 kept or replaced by U+FFFD,
 * commas and nesting; every document is checked by a strict parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alert/json.h"

#define FFFD "\xEF\xBF\xBD"

/* ---- a strict RFC 8259 parser, written apart from the writer ---- */

/* One code point of well-formed UTF-8 at s, by value: minimal length, no
 * surrogates, at most U+10FFFF. Returns its length or 0. */
static int utf8_ok(const unsigned char *s, const unsigned char *end)
{
    int n = s[0] < 0x80         ? 1
            : (s[0] >> 5) == 6  ? 2
            : (s[0] >> 4) == 14 ? 3
            : (s[0] >> 3) == 30 ? 4
                                : 0;
    if (!n || end - s < n) return 0;
    uint32_t cp = n == 1 ? s[0] : s[0] & (0x7F >> n);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

static void put_utf8(char **o, uint32_t cp)
{
    unsigned char *u = (unsigned char *)*o;
    if (cp < 0x80) {
        *u++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *u++ = (unsigned char)(0xC0 | cp >> 6);
        *u++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        *u++ = (unsigned char)(0xE0 | cp >> 12);
        *u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *u++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    *o = (char *)u;
}

static int hex4(const unsigned char *s, uint32_t *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        int c = s[i], d = c >= '0' && c <= '9'   ? c - '0'
                          : c >= 'a' && c <= 'f' ? c - 'a' + 10
                          : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                 : -1;
        if (d < 0) return -1;
        *v = *v << 4 | (uint32_t)d;
    }
    return 0;
}

/* A string at s; its decoded bytes go to out (if not NULL). Only BMP
 * escapes: the writer never needs surrogate pairs. */
static const unsigned char *p_string(const unsigned char *s, const unsigned char *end, char *out,
                                     size_t *outlen)
{
    char *o = out;
    if (s >= end || *s++ != '"') return NULL;
    while (s < end && *s != '"') {
        if (*s < 0x20) return NULL;
        if (*s == '\\') {
            if (end - s < 2) return NULL;
            const char *e = strchr("\"\\/bfnrt", s[1]);
            uint32_t cp;
            if (s[1] && e) {
                cp = (uint32_t) "\"\\/\b\f\n\r\t"[e - "\"\\/bfnrt"];
                s += 2;
            } else if (s[1] == 'u' && end - s >= 6 && hex4(s + 2, &cp) == 0 &&
                       (cp < 0xD800 || cp > 0xDFFF)) {
                s += 6;
            } else {
                return NULL;
            }
            if (o) put_utf8(&o, cp);
            continue;
        }
        int n = utf8_ok(s, end);
        if (!n) return NULL;
        if (o) memcpy(o, s, (size_t)n), o += n;
        s += n;
    }
    if (s >= end) return NULL;
    if (outlen) *outlen = (size_t)(o - out);
    return s + 1;
}

static const unsigned char *p_value(const unsigned char *s, const unsigned char *end, int depth);

static const unsigned char *p_number(const unsigned char *s, const unsigned char *end)
{
    if (s < end && *s == '-') s++;
    if (s >= end || *s < '0' || *s > '9') return NULL;
    if (*s == '0') return s + 1 < end && s[1] >= '0' && s[1] <= '9' ? NULL : s + 1;
    while (s < end && *s >= '0' && *s <= '9')
        s++;
    return s; /* the writer writes integers only */
}

static const unsigned char *p_members(const unsigned char *s, const unsigned char *end, int obj,
                                      int depth)
{
    char close = obj ? '}' : ']';
    if (s < end && *s == close) return s + 1;
    for (;;) {
        if (obj) {
            if (!(s = p_string(s, end, NULL, NULL)) || s >= end || *s++ != ':') return NULL;
        }
        if (!(s = p_value(s, end, depth + 1)) || s >= end) return NULL;
        if (*s == close) return s + 1;
        if (*s++ != ',') return NULL;
    }
}

static const unsigned char *p_value(const unsigned char *s, const unsigned char *end, int depth)
{
    if (s >= end || depth > 64) return NULL;
    if (*s == '{') return p_members(s + 1, end, 1, depth);
    if (*s == '[') return p_members(s + 1, end, 0, depth);
    if (*s == '"') return p_string(s, end, NULL, NULL);
    return p_number(s, end);
}

/* The whole buffer is exactly one JSON value. */
static int valid_json(const char *doc, size_t len)
{
    const unsigned char *s = (const unsigned char *)doc;
    return s && p_value(s, s + len, 0) == s + len && strlen(doc) == len;
}

/* The parser itself refuses what it must, or the checks below prove little. */
static void test_parser_strict(void **state)
{
    (void)state;
    static const char *const bad[] = {"{\"a\":1,}",
                                      "{\"a\" 1}",
                                      "[1,]",
                                      "[,1]",
                                      "{\"a\":01}",
                                      "{\"a\":-}",
                                      "\"a\nb\"",
                                      "\"\\x\"",
                                      "\"\\u12\"",
                                      "\"\\ud800\"",
                                      "\"\x80\"",
                                      "\"\xc0\xaf\"",
                                      "\"\xed\xa0\x80\"",
                                      "\"\xf4\x90\x80\x80\"",
                                      "\"\xe6\x97\"",
                                      "{\"a\":1}x",
                                      "{\"a\":1",
                                      "\"abc",
                                      "",
                                      "{}{}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(valid_json(bad[i], strlen(bad[i])));
    static const char *const good[] = {"{}", "[]", "{\"a\":[1,{\"b\":\"\\u00e9\\/\"}],\"c\":-0}",
                                       "\"\xf0\x9f\x98\x80\""};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(valid_json(good[i], strlen(good[i])));
}

/* ---- helpers ---- */

/* {"k":<value>} as the writer writes it; the document must be valid. */
static const char *doc_of(struct json_writer *w, const char *value, size_t n)
{
    json_reset(w);
    json_begin_object(w);
    json_key_strn(w, "k", value, n);
    json_end_object(w);
    size_t len;
    const char *doc = json_buffer(w, &len);
    assert_non_null(doc);
    assert_true(valid_json(doc, len));
    return doc;
}

static void check_str(const char *in, size_t n, const char *want_escaped)
{
    struct json_writer w = {0};
    char want[512];
    snprintf(want, sizeof(want), "{\"k\":\"%s\"}", want_escaped);
    assert_string_equal(doc_of(&w, in, n), want);
    json_free(&w);
}

#define CHECK(in, want) check_str(in, sizeof(in) - 1, want)

/* ---- escaping ---- */

static void test_control_characters(void **state)
{
    (void)state;
    static const char *const want[32] = {
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
        "\\b",     "\\t",     "\\n",     "\\u000b", "\\f",     "\\r",     "\\u000e", "\\u000f",
        "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
        "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f"};
    for (int c = 0; c < 32; c++) {
        char in[3] = {'a', (char)c, 'b'}, esc[16];
        snprintf(esc, sizeof(esc), "a%sb", want[c]);
        check_str(in, 3, esc);
    }
    /* DEL and the rest of ASCII need no escape (RFC 8259 section 7). */
    CHECK("\x7f ~", "\x7f ~");
}

static void test_quote_backslash_slash(void **state)
{
    (void)state;
    CHECK("say \"hi\"", "say \\\"hi\\\"");
    CHECK("C:\\Windows\\", "C:\\\\Windows\\\\");
    CHECK("1:nHPZ/833JKciAxsupQ=", "1:nHPZ/833JKciAxsupQ=");
    CHECK("</script>", "</script>");
    CHECK("", "");
}

static void test_utf8_kept(void **state)
{
    (void)state;
    CHECK("D\xc3\xa9lib\xc3\xa9rations.docx", "D\xc3\xa9lib\xc3\xa9rations.docx");
    CHECK("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac");
    CHECK("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");
    CHECK("D\xc3\xa9lib/\xe6\x97\xa5.docx", "D\xc3\xa9lib/\xe6\x97\xa5.docx");
    /* The edges of each length and around the surrogates. */
    CHECK("\xc2\x80\xdf\xbf", "\xc2\x80\xdf\xbf");                 /* U+0080 U+07FF */
    CHECK("\xe0\xa0\x80\xef\xbf\xbf", "\xe0\xa0\x80\xef\xbf\xbf"); /* U+0800 U+FFFF */
    CHECK("\xed\x9f\xbf\xee\x80\x80", "\xed\x9f\xbf\xee\x80\x80"); /* U+D7FF U+E000 */
    CHECK("\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf");
    CHECK(FFFD, FFFD); /* a U+FFFD in the input is a character like any other */
}

static void test_invalid_utf8_replaced(void **state)
{
    (void)state;
    CHECK("a\x80z", "a" FFFD "z");                            /* lone continuation */
    CHECK("a\xbf\x80z", "a" FFFD FFFD "z");                   /* two of them */
    CHECK("a\xffz\xfe", "a" FFFD "z" FFFD);                   /* never a lead byte */
    CHECK("a\xf5\x80\x80\x80z", "a" FFFD FFFD FFFD FFFD "z"); /* F5: above U+10FFFF */
    CHECK("a\xc3(z", "a" FFFD "(z");                          /* bad continuation */
    CHECK("a\xc3\xc3\xa9z", "a" FFFD "\xc3\xa9z");            /* lead after lead */
    CHECK("a\xc0\xafz", "a" FFFD FFFD "z");                   /* overlong '/' */
    CHECK("a\xc1\xbfz", "a" FFFD FFFD "z");                   /* overlong 2-byte */
    CHECK("a\xe0\x80\xafz", "a" FFFD FFFD FFFD "z");          /* overlong 3-byte */
    CHECK("a\xf0\x80\x80\xafz", "a" FFFD FFFD FFFD FFFD "z"); /* overlong 4-byte */
    CHECK("a\xed\xa0\x80z", "a" FFFD FFFD FFFD "z");          /* U+D800 */
    CHECK("a\xed\xbf\xbfz", "a" FFFD FFFD FFFD "z");          /* U+DFFF */
    CHECK("a\xf4\x90\x80\x80z", "a" FFFD FFFD FFFD FFFD "z"); /* U+110000 */
    CHECK("a\xe6\x97z", "a" FFFD "z");                        /* cut, then more */
    CHECK("a\xf0\x9f\x98", "a" FFFD);                         /* cut at the end */
    CHECK("a\xe6", "a" FFFD);                                 /* lead at the end */
    /* Unicode 15 section 3.9, table 3-8: one U+FFFD per maximal subpart. */
    CHECK("\x61\xf1\x80\x80\xe1\x80\xc2\x62\x80\x63\x80\xbf\x64",
          "a" FFFD FFFD FFFD "b" FFFD "c" FFFD FFFD "d");
}

static void test_embedded_nul_and_null(void **state)
{
    (void)state;
    check_str("a\0b", 3, "a\\u0000b");
    struct json_writer w = {0};
    json_reset(&w);
    json_begin_object(&w);
    json_key_str(&w, "n", NULL);
    json_end_object(&w);
    assert_string_equal(json_buffer(&w, NULL), "{\"n\":\"\"}");
    json_free(&w);
}

/* Keys are escaped as values are. */
static void test_keys_escaped(void **state)
{
    (void)state;
    struct json_writer w = {0};
    json_reset(&w);
    json_begin_object(&w);
    json_key_u64(&w, "a\"/\xc3\xa9\x80\n", 1);
    json_end_object(&w);
    size_t len;
    const char *doc = json_buffer(&w, &len);
    assert_string_equal(doc, "{\"a\\\"/\xc3\xa9" FFFD "\\n\":1}");
    assert_true(valid_json(doc, len));
    json_free(&w);
}

/* ---- structure ---- */

static void test_nesting_and_commas(void **state)
{
    (void)state;
    struct json_writer w = {0};
    json_reset(&w);
    json_begin_object(&w);
    json_key_str(&w, "s", "x");
    json_key_u64(&w, "max", UINT64_MAX);
    json_key_i64(&w, "min", INT64_MIN);
    json_key_int(&w, "neg", -3);
    json_key_int(&w, "zero", 0);
    json_key_array(&w, "empty_a");
    json_end_array(&w);
    json_key_object(&w, "empty_o");
    json_end_object(&w);
    json_key_object(&w, "o");
    json_key_object(&w, "p");
    json_key_array(&w, "l");
    json_array_str(&w, "a");
    json_array_u64(&w, 7);
    json_begin_object(&w);
    json_key_u64(&w, "in", 1);
    json_end_object(&w);
    json_begin_array(&w);
    json_end_array(&w);
    json_begin_array(&w);
    json_array_u64(&w, 0);
    json_end_array(&w);
    json_end_array(&w);
    json_end_object(&w);
    json_key_u64(&w, "after", 2);
    json_end_object(&w);
    json_key_array(&w, "one");
    json_array_str(&w, "\xe6\x97\xa5");
    json_end_array(&w);
    json_end_object(&w);
    size_t len;
    const char *doc = json_buffer(&w, &len);
    assert_string_equal(doc, "{\"s\":\"x\",\"max\":18446744073709551615,"
                             "\"min\":-9223372036854775808,\"neg\":-3,\"zero\":0,"
                             "\"empty_a\":[],\"empty_o\":{},"
                             "\"o\":{\"p\":{\"l\":[\"a\",7,{\"in\":1},[],[0]]},\"after\":2},"
                             "\"one\":[\"\xe6\x97\xa5\"]}");
    assert_int_equal(len, strlen(doc));
    assert_true(valid_json(doc, len));

    json_reset(&w);
    json_begin_object(&w);
    json_end_object(&w);
    assert_string_equal(json_buffer(&w, &len), "{}");
    json_reset(&w);
    json_begin_array(&w);
    json_end_array(&w);
    assert_string_equal(json_buffer(&w, &len), "[]");
    json_free(&w);
}

static void assert_rejected(struct json_writer *w)
{
    size_t len = 99;
    assert_null(json_buffer(w, &len));
    assert_int_equal(len, 0);
}

/* A misuse never yields broken JSON: the document is refused. */
static void test_misuse_refused(void **state)
{
    (void)state;
    struct json_writer w = {0};
    assert_rejected(&w); /* nothing written */

    json_reset(&w);
    json_begin_object(&w);
    json_key_u64(&w, "open", 1);
    assert_rejected(&w); /* still open */

    json_reset(&w);
    json_begin_array(&w);
    json_key_str(&w, "k", "v"); /* a key in an array */
    json_end_array(&w);
    assert_rejected(&w);

    json_reset(&w);
    json_begin_object(&w);
    json_array_str(&w, "v"); /* no key in an object */
    json_end_object(&w);
    assert_rejected(&w);

    json_reset(&w);
    json_begin_object(&w);
    json_end_array(&w); /* wrong closer */
    assert_rejected(&w);

    json_reset(&w);
    json_end_object(&w); /* nothing open */
    assert_rejected(&w);

    json_reset(&w);
    json_begin_object(&w);
    json_end_object(&w);
    json_begin_object(&w); /* a second document */
    json_end_object(&w);
    assert_rejected(&w);

    json_reset(&w);
    json_begin_array(&w);
    for (int i = 0; i < JSON_MAX_DEPTH; i++)
        json_begin_array(&w);
    for (int i = 0; i <= JSON_MAX_DEPTH; i++)
        json_end_array(&w);
    assert_rejected(&w); /* too deep */

    /* The deepest allowed is fine, and reset recovers from errors. */
    json_reset(&w);
    for (int i = 0; i < JSON_MAX_DEPTH; i++)
        json_begin_array(&w);
    for (int i = 0; i < JSON_MAX_DEPTH; i++)
        json_end_array(&w);
    size_t len;
    const char *doc = json_buffer(&w, &len);
    assert_non_null(doc);
    assert_int_equal(len, 2 * JSON_MAX_DEPTH);
    assert_true(valid_json(doc, len));
    json_free(&w);
}

/* ---- buffer ---- */

/* Past its largest document, a reused writer does not allocate. */
static void test_buffer_reused(void **state)
{
    (void)state;
    struct json_writer w = {0};
    size_t n = 100000;
    char *big = malloc(n);
    assert_non_null(big);
    for (size_t i = 0; i < n; i++)
        big[i] = "a\"\x01\xc3\xa9\x80/"[i % 7];
    const char *doc = doc_of(&w, big, n);
    assert_true(strlen(doc) > n);
    char *buf = w.buf;
    size_t cap = w.cap;
    for (int i = 0; i < 100; i++)
        doc_of(&w, big, n - (size_t)i);
    assert_ptr_equal(w.buf, buf);
    assert_int_equal(w.cap, cap);
    free(big);
    json_free(&w);
    assert_null(w.buf);
}

/* ---- properties over random input ---- */

static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Random bytes always give valid JSON. */
static void test_random_bytes_valid(void **state)
{
    (void)state;
    struct json_writer w = {0};
    uint32_t seed = 12345;
    unsigned char in[64];
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = rnd(&seed) % sizeof(in);
        for (size_t i = 0; i < n; i++)
            in[i] = (unsigned char)rnd(&seed);
        doc_of(&w, (const char *)in, n);
    }
    json_free(&w);
}

/* Random well-formed text (controls, quotes, every plane) decodes back to
 * exactly itself: nothing dropped, nothing changed. */
static void test_valid_text_round_trips(void **state)
{
    (void)state;
    struct json_writer w = {0};
    uint32_t seed = 777;
    char in[256], out[512];
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = 0;
        for (int k = rnd(&seed) % 40; k > 0; k--) {
            uint32_t cp, r = rnd(&seed) % 4;
            cp = r == 0 ? rnd(&seed) % 0x80 : r == 1 ? rnd(&seed) % 0x800 : rnd(&seed) % 0x110000;
            if (cp >= 0xD800 && cp <= 0xDFFF) continue;
            unsigned char *u = (unsigned char *)in + n;
            if (cp < 0x80) {
                u[0] = (unsigned char)cp, n += 1;
            } else if (cp < 0x800) {
                u[0] = (unsigned char)(0xC0 | cp >> 6), u[1] = (unsigned char)(0x80 | (cp & 63));
                n += 2;
            } else if (cp < 0x10000) {
                u[0] = (unsigned char)(0xE0 | cp >> 12);
                u[1] = (unsigned char)(0x80 | ((cp >> 6) & 63));
                u[2] = (unsigned char)(0x80 | (cp & 63)), n += 3;
            } else {
                u[0] = (unsigned char)(0xF0 | cp >> 18);
                u[1] = (unsigned char)(0x80 | ((cp >> 12) & 63));
                u[2] = (unsigned char)(0x80 | ((cp >> 6) & 63));
                u[3] = (unsigned char)(0x80 | (cp & 63)), n += 4;
            }
        }
        const char *doc = doc_of(&w, in, n);
        size_t outlen;
        const unsigned char *v = (const unsigned char *)doc + strlen("{\"k\":");
        assert_non_null(p_string(v, v + strlen((const char *)v), out, &outlen));
        assert_int_equal(outlen, n);
        assert_memory_equal(out, in, n);
    }
    json_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parser_strict),         cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_quote_backslash_slash), cmocka_unit_test(test_utf8_kept),
        cmocka_unit_test(test_invalid_utf8_replaced), cmocka_unit_test(test_embedded_nul_and_null),
        cmocka_unit_test(test_keys_escaped),          cmocka_unit_test(test_nesting_and_commas),
        cmocka_unit_test(test_misuse_refused),        cmocka_unit_test(test_buffer_reused),
        cmocka_unit_test(test_random_bytes_valid),    cmocka_unit_test(test_valid_text_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* ntlmssp.c: the three message types (MS-NLMP 2.2.1.1-2.2.1.3), Unicode and
 * OEM strings, VERSION, anonymous AUTHENTICATE, the signature search in a
 * security blob, truncation at every length and hostile offsets/lengths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ntlmssp.h"

#define F_UNICODE 0x00000001u
#define F_OEM 0x00000002u
#define F_ANONYMOUS 0x00000800u
#define F_VERSION 0x02000000u

struct msg {
    uint8_t b[4096];
    size_t n;
};

static void put(struct msg *m, const void *p, size_t n)
{
    assert_true(m->n + n <= sizeof(m->b));
    memcpy(m->b + m->n, p, n);
    m->n += n;
}

static void set16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}

static void set32(uint8_t *p, uint32_t v)
{
    set16(p, (uint16_t)v), set16(p + 2, (uint16_t)(v >> 16));
}

/* A field (Len, MaxLen, BufferOffset) at fo pointing at bytes appended now. */
static void payload(struct msg *m, size_t fo, const void *p, size_t n)
{
    set16(m->b + fo, (uint16_t)n);
    set16(m->b + fo + 2, (uint16_t)n);
    set32(m->b + fo + 4, (uint32_t)m->n);
    put(m, p, n);
}

static void string(struct msg *m, size_t fo, const char *s, int unicode)
{
    uint8_t t[1024];
    size_t n = 0;
    for (; *s; s++) {
        t[n++] = (uint8_t)*s;
        if (unicode) t[n++] = 0;
    }
    payload(m, fo, t, n);
}

/* MS-NLMP 2.2.1.3: 64 fixed bytes, VERSION (8) and MIC (16) if version. */
static void authenticate(struct msg *m, const char *user, const char *domain, const char *ws,
                         uint32_t flags)
{
    memset(m, 0, sizeof(*m));
    put(m, "NTLMSSP\0\3\0\0\0", 12);
    uint8_t zero[52] = {0};
    put(m, zero, 52);
    set32(m->b + 60, flags);
    if (flags & F_VERSION) {
        static const uint8_t v[8] = {10, 0, 0x61, 0x4a, 0, 0, 0, 15};
        put(m, v, 8);
        put(m, zero, 16); /* MIC */
    }
    int uni = (flags & F_UNICODE) != 0;
    string(m, 28, domain, uni);
    string(m, 36, user, uni);
    string(m, 44, ws, uni);
    static const uint8_t nt[24] = {1, 2, 3};
    payload(m, 12, nt, 24);
    payload(m, 20, nt, 24);
}

static void test_authenticate_unicode(void **state)
{
    (void)state;
    struct msg m;
    authenticate(&m, "alice", "CORP", "WS01", F_UNICODE | F_VERSION);
    struct ntlmssp_info info;
    assert_int_equal(ntlmssp_parse(m.b, m.n, &info), 0);
    assert_int_equal(info.msg_type, NTLMSSP_AUTHENTICATE);
    assert_int_equal(info.flags, F_UNICODE | F_VERSION);
    assert_string_equal(info.user, "alice");
    assert_string_equal(info.domain, "CORP");
    assert_string_equal(info.workstation, "WS01");
    assert_true(info.has_version);
    assert_int_equal(info.major, 10);
    assert_int_equal(info.minor, 0);
    assert_int_equal(info.build, 0x4a61);
    assert_false(info.anonymous);
}

static void test_authenticate_oem(void **state)
{
    (void)state;
    struct msg m;
    authenticate(&m, "bob", "CORP", "W\xe9", F_OEM);
    struct ntlmssp_info info;
    assert_int_equal(ntlmssp_parse(m.b, m.n, &info), 0);
    assert_string_equal(info.user, "bob");
    assert_string_equal(info.workstation, "W\xc3\xa9"); /* Latin-1 e-acute */
    assert_false(info.has_version);
}

static void test_anonymous(void **state)
{
    (void)state;
    struct msg m;
    authenticate(&m, "", "", "", F_UNICODE | F_ANONYMOUS);
    struct ntlmssp_info info;
    assert_int_equal(ntlmssp_parse(m.b, m.n, &info), 0);
    assert_true(info.anonymous);
    assert_string_equal(info.user, "");
}

static void test_negotiate_challenge(void **state)
{
    (void)state;
    uint8_t neg[40] = "NTLMSSP";
    neg[8] = 1;
    set32(neg + 12, F_UNICODE | F_VERSION);
    neg[32] = 6, neg[33] = 1;
    struct ntlmssp_info info;
    assert_int_equal(ntlmssp_parse(neg, sizeof(neg), &info), 0);
    assert_int_equal(info.msg_type, NTLMSSP_NEGOTIATE);
    assert_true(info.has_version);
    assert_int_equal(info.major, 6);
    /* Without room for VERSION, none is read even if flagged. */
    assert_int_equal(ntlmssp_parse(neg, 32, &info), 0);
    assert_false(info.has_version);

    uint8_t ch[56] = "NTLMSSP";
    ch[8] = 2;
    set32(ch + 20, F_UNICODE);
    assert_int_equal(ntlmssp_parse(ch, sizeof(ch), &info), 0);
    assert_int_equal(info.msg_type, NTLMSSP_CHALLENGE);
    assert_int_equal(info.flags, F_UNICODE);
    set32(ch + 16, 1000); /* TargetName outside the message */
    set16(ch + 12, 4);
    assert_int_equal(ntlmssp_parse(ch, sizeof(ch), &info), -1);
}

static void test_bad_signature_and_type(void **state)
{
    (void)state;
    struct msg m;
    authenticate(&m, "alice", "CORP", "WS01", F_UNICODE);
    struct ntlmssp_info info;
    m.b[8] = 4;
    assert_int_equal(ntlmssp_parse(m.b, m.n, &info), -1);
    m.b[8] = 3;
    m.b[0] = 'X';
    assert_int_equal(ntlmssp_parse(m.b, m.n, &info), -1);
    assert_int_equal(ntlmssp_parse(m.b, 0, &info), -1);
}

/* Every prefix of a message: no read past it (ASan), and a prefix that
 * cuts a field's bytes is malformed. */
static void test_truncated_every_length(void **state)
{
    (void)state;
    struct msg m;
    authenticate(&m, "administrator", "CONTOSO", "WORKSTATION", F_UNICODE | F_VERSION);
    for (size_t len = 0; len < m.n; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, m.b, len);
        struct ntlmssp_info info;
        assert_int_equal(ntlmssp_parse(copy, len, &info), -1);
        free(copy);
    }
}

static void test_hostile_fields(void **state)
{
    (void)state;
    static const size_t fields[] = {12, 20, 28, 36, 44, 52};
    struct msg m;
    struct ntlmssp_info info;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        authenticate(&m, "alice", "CORP", "WS01", F_UNICODE);
        set32(m.b + fields[i] + 4, 0xFFFFFFF0u); /* offset + length wraps */
        set16(m.b + fields[i], 0x20);
        assert_int_equal(ntlmssp_parse(m.b, m.n, &info), -1);
        authenticate(&m, "alice", "CORP", "WS01", F_UNICODE);
        set16(m.b + fields[i], 0xFFFF); /* length past the end */
        assert_int_equal(ntlmssp_parse(m.b, m.n, &info), -1);
    }
    /* An odd Unicode length leaves half a code unit: shown as U+FFFD, not
     * dropped. */
    authenticate(&m, "alice", "CORP", "WS01", F_UNICODE);
    set16(m.b + 36, 9);
    assert_int_equal(ntlmssp_parse(m.b, m.n, &info), 0);
    assert_string_equal(info.user, "alic\xEF\xBF\xBD");
}

static void test_long_strings_truncated(void **state)
{
    (void)state;
    char user[301];
    memset(user, 'u', 300);
    user[300] = 0;
    struct msg m;
    authenticate(&m, user, "CORP", "WS01", F_UNICODE);
    struct ntlmssp_info info;
    assert_int_equal(ntlmssp_parse(m.b, m.n, &info), 0);
    assert_int_equal(strlen(info.user), sizeof(info.user) - 1);
    authenticate(&m, user, "CORP", "WS01", F_OEM);
    assert_int_equal(ntlmssp_parse(m.b, m.n, &info), 0);
    assert_int_equal(strlen(info.user), sizeof(info.user) - 1);
}

static void test_find_in_blob(void **state)
{
    (void)state;
    struct msg auth, blob = {{0}, 0};
    authenticate(&auth, "alice", "CORP", "WS01", F_UNICODE);
    /* SPNEGO-ish wrapper, a false signature (bad type), then the message. */
    put(&blob, "\xa1\x82\x01\x00\x30\x82", 6);
    put(&blob, "NTLMSSP\0\x09\0\0\0", 12);
    put(&blob, auth.b, auth.n);
    struct ntlmssp_info info;
    assert_int_equal(ntlmssp_find(blob.b, blob.n, &info), 0);
    assert_string_equal(info.user, "alice");
    assert_int_equal(ntlmssp_find(blob.b, 10, &info), -1);
    assert_int_equal(ntlmssp_find((const uint8_t *)"NTLMSSP", 7, &info), -1);
    assert_int_equal(ntlmssp_find(blob.b, 0, &info), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_authenticate_unicode),
        cmocka_unit_test(test_authenticate_oem),
        cmocka_unit_test(test_anonymous),
        cmocka_unit_test(test_negotiate_challenge),
        cmocka_unit_test(test_bad_signature_and_type),
        cmocka_unit_test(test_truncated_every_length),
        cmocka_unit_test(test_hostile_fields),
        cmocka_unit_test(test_long_strings_truncated),
        cmocka_unit_test(test_find_in_blob),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

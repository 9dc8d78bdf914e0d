/* samr_args.c: SAMR request stubs built by hand, in NDR and NDR64 (MS-RPCE
 * 2.2.5), in both byte orders: SamrOpenGroup / SamrOpenAlias RIDs and
 * SamrLookupNamesInDomain names, case-insensitive; every truncation of each
 * stub (an exact-size heap copy, so ASan sees any read past it) and
 * hostile counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "detect/samr_args.h"

/* --- NDR builder ------------------------------------------------------------ */

struct ndr_out {
    uint8_t b[2048];
    size_t n;
    int ndr64, be;
};

static void pad(struct ndr_out *o, size_t a)
{
    while (o->n % a)
        o->b[o->n++] = 0;
}

static void put_uint(struct ndr_out *o, uint64_t v, size_t size)
{
    pad(o, size);
    for (size_t i = 0; i < size; i++)
        o->b[o->n++] = (uint8_t)(v >> (8 * (o->be ? size - 1 - i : i)));
}

static void u16(struct ndr_out *o, unsigned v)
{
    put_uint(o, v, 2);
}

static void u32(struct ndr_out *o, uint32_t v)
{
    put_uint(o, v, 4);
}

/* A size or referent id: 4 bytes, 8 in NDR64. */
static void size(struct ndr_out *o, uint64_t v)
{
    put_uint(o, v, o->ndr64 ? 8 : 4);
}

static void start(struct ndr_out *o, int ndr64, int be)
{
    memset(o, 0, sizeof(*o));
    o->ndr64 = ndr64, o->be = be;
    for (int i = 0; i < 20; i++) /* the domain handle */
        o->b[o->n++] = (uint8_t)(0xa0 + i);
}

/* SamrOpenGroup / SamrOpenAlias (MS-SAMR 3.1.5.1.7-8). */
static void open_stub(struct ndr_out *o, int ndr64, int be, uint32_t rid)
{
    start(o, ndr64, be);
    u32(o, 0x0002001f);
    u32(o, rid);
}

/* SamrLookupNamesInDomain (3.1.5.11.2) with names (NULL: a null Buffer). */
static void lookup_stub(struct ndr_out *o, int ndr64, int be, const char *const *names, unsigned n)
{
    start(o, ndr64, be);
    u32(o, n);
    size(o, 1000), size(o, 0), size(o, n);
    for (unsigned i = 0; i < n; i++) {
        size_t len = names[i] ? strlen(names[i]) : 0;
        pad(o, ndr64 ? 8 : 4);
        u16(o, (unsigned)(2 * len)), u16(o, (unsigned)(2 * len + 2));
        size(o, names[i] ? 0x20000 + 4 * i : 0);
    }
    for (unsigned i = 0; i < n; i++) {
        if (!names[i]) continue;
        size_t len = strlen(names[i]);
        size(o, len + 1), size(o, 0), size(o, len);
        for (size_t k = 0; k < len; k++)
            u16(o, (unsigned char)names[i][k]);
    }
}

/* An exact-size copy, as the dissector hands a stub held to its end. */
static struct samr_stub copy(const struct ndr_out *o, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    memcpy(p, o->b, len);
    struct samr_stub s = {p, len, o->ndr64, o->be};
    return s;
}

static void release(struct samr_stub *s)
{
    free((void *)s->p);
}

static const struct samr_group *lookup(const struct ndr_out *o, size_t len)
{
    struct samr_stub s = copy(o, len);
    const struct samr_group *g = samr_lookup_privileged(&s);
    release(&s);
    return g;
}

/* --- tests ------------------------------------------------------------------ */

static void test_privileged_rids(void **state)
{
    (void)state;
    static const uint32_t rids[] = {512, 518, 519, 544, 548, 549, 550, 551};
    for (size_t i = 0; i < sizeof(rids) / sizeof(rids[0]); i++)
        assert_non_null(samr_privileged_rid(rids[i]));
    assert_string_equal(samr_privileged_rid(512)->name, "Domain Admins");
    assert_string_equal(samr_privileged_rid(544)->name, "Administrators");
    /* Domain Users, Domain Guests, Domain Computers, Users, a user. */
    static const uint32_t plain[] = {0, 500, 513, 514, 515, 545, 1104};
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        assert_null(samr_privileged_rid(plain[i]));
}

static void test_open_rid(void **state)
{
    (void)state;
    for (int v = 0; v < 4; v++) {
        struct ndr_out o;
        open_stub(&o, v & 1, v >> 1, 519);
        assert_int_equal(o.n, 28);
        for (size_t len = 0; len <= o.n; len++) {
            struct samr_stub s = copy(&o, len);
            uint32_t rid = 1;
            int r = samr_open_rid(&s, &rid);
            release(&s);
            assert_int_equal(r, len == o.n ? 0 : -1);
            if (r == 0) assert_int_equal(rid, 519);
        }
    }
    struct samr_stub none = {NULL, 28, 0, 0};
    uint32_t rid;
    assert_int_equal(samr_open_rid(&none, &rid), -1);
}

/* The names of `net group "domain admins" /domain` and of an ordinary
 * lookup, in each encoding; found only once the whole name is there. */
static void test_lookup_names(void **state)
{
    (void)state;
    static const char *const admins[] = {"domain ADMINS"};
    static const char *const mixed[] = {"jdoe", NULL, "Administrator", "Backup Operators"};
    static const char *const plain[] = {"Domain Users", "Administrator", "dschrute"};
    for (int v = 0; v < 4; v++) {
        int ndr64 = v & 1, be = v >> 1;
        struct ndr_out o;
        lookup_stub(&o, ndr64, be, admins, 1);
        const struct samr_group *g = lookup(&o, o.n);
        assert_non_null(g);
        assert_int_equal(g->rid, 512);
        for (size_t len = 0; len < o.n; len++)
            assert_null(lookup(&o, len));
        lookup_stub(&o, ndr64, be, mixed, 4);
        g = lookup(&o, o.n);
        assert_non_null(g);
        assert_int_equal(g->rid, 551);
        for (size_t len = 0; len < o.n; len++)
            assert_null(lookup(&o, len));
        lookup_stub(&o, ndr64, be, plain, 3);
        for (size_t len = 0; len <= o.n; len++)
            assert_null(lookup(&o, len));
    }
}

/* The layout Windows sends (NDR64): the bytes of a LookupNames request
 * for "Domain Admins", as net.exe marshals it. */
static void test_lookup_windows_layout(void **state)
{
    (void)state;
    static const uint8_t stub[] = {
        0x00, 0x00, 0x00, 0x00, 0x79, 0xe2, 0x21, 0x64, 0x40, 0xb6, 0x74, 0x41, 0xb9, 0x2b, 0x0c,
        0xb5, 0xa0, 0x2a, 0x4c, 0xd5, 0x01, 0x00, 0x00, 0x00, 0xe8, 0x03, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x1a, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 'D',  0,
        'o',  0,    'm',  0,    'a',  0,    'i',  0,    'n',  0,    ' ',  0,    'A',  0,    'd',
        0,    'm',  0,    'i',  0,    'n',  0,    's',  0};
    struct samr_stub s = {stub, sizeof(stub), 1, 0};
    const struct samr_group *g = samr_lookup_privileged(&s);
    assert_non_null(g);
    assert_string_equal(g->name, "Domain Admins");
    /* Read as NDR it is not a valid request. */
    s.ndr64 = 0;
    assert_null(samr_lookup_privileged(&s));
}

static void test_hostile_counts(void **state)
{
    (void)state;
    static const char *const admins[] = {"Domain Admins"};
    for (int ndr64 = 0; ndr64 < 2; ndr64++) {
        size_t count_at = 20, actual_at = ndr64 ? 40 : 32;
        struct ndr_out o;
        /* Count above the range MS-SAMR allows. */
        lookup_stub(&o, ndr64, 0, admins, 1);
        o.b[count_at] = 0xe9, o.b[count_at + 1] = 0x03;
        assert_null(lookup(&o, o.n));
        /* Actual count unlike Count. */
        lookup_stub(&o, ndr64, 0, admins, 1);
        o.b[actual_at] = 2;
        assert_null(lookup(&o, o.n));
        /* A name claiming 2^31 characters (maximum and actual count). */
        size_t w = ndr64 ? 8 : 4;
        lookup_stub(&o, ndr64, 0, admins, 1);
        size_t act_at = o.n - 26 - w, max_at = act_at - 2 * w;
        o.b[max_at + 3] = 0x80, o.b[act_at + 3] = 0x80;
        assert_null(lookup(&o, o.n));
        /* Its actual count above its maximum. */
        lookup_stub(&o, ndr64, 0, admins, 1);
        assert_int_equal(o.b[max_at], 14);
        o.b[act_at] = 15;
        assert_null(lookup(&o, o.n));
    }
    struct samr_stub none = {NULL, 100, 0, 0};
    assert_null(samr_lookup_privileged(&none));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_privileged_rids), cmocka_unit_test(test_open_rid),
        cmocka_unit_test(test_lookup_names),    cmocka_unit_test(test_lookup_windows_layout),
        cmocka_unit_test(test_hostile_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

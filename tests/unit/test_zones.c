/* zones.c built-in defaults: RFC 1918, IPv4 link-local, RFC 4193 and IPv6
 * link-local space is "internal", everything else "external". Each prefix
 * is checked at both of its edges and just outside them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "enrich/zones.h"

struct zones_case {
    const char *addr; /* IPv4 is looked up as ::ffff:a.b.c.d */
    int internal;
};

static const struct zones_case cases[] = {
    /* 10.0.0.0/8 */
    {"10.0.0.0", 1},
    {"10.1.2.3", 1},
    {"10.255.255.255", 1},
    {"9.255.255.255", 0},
    {"11.0.0.0", 0},
    /* 172.16.0.0/12: 172.16.0.0 - 172.31.255.255 */
    {"172.15.255.255", 0},
    {"172.16.0.0", 1},
    {"172.20.1.1", 1},
    {"172.31.255.255", 1},
    {"172.32.0.0", 0},
    /* 192.168.0.0/16 */
    {"192.167.255.255", 0},
    {"192.168.0.1", 1},
    {"192.168.255.255", 1},
    {"192.169.0.0", 0},
    /* 169.254.0.0/16 */
    {"169.253.255.255", 0},
    {"169.254.10.20", 1},
    {"169.255.0.0", 0},
    /* fc00::/7: fc00:: - fdff:ffff:... */
    {"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0},
    {"fc00::", 1},
    {"fd12:3456:789a::1", 1},
    {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1},
    {"fe00::", 0},
    /* fe80::/10: fe80:: - febf:ffff:... */
    {"fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0},
    {"fe80::1", 1},
    {"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1},
    {"fec0::", 0},
    /* public space */
    {"8.8.8.8", 0},
    {"1.1.1.1", 0},
    {"2001:db8::1", 0},
    {"2606:4700::1111", 0},
    /* IPv4 private space outside the mapped range is not IPv4 */
    {"::10.0.0.1", 0},
    {"::ffff:0:0", 0},
    {"::", 0},
    /* 252.0.0.1 and 254.128.0.1 have fc / fe80 as their first bits, but
     * mapped they start with ::ffff */
    {"252.0.0.1", 0},
    {"254.128.0.1", 0},
};

/* Parses an address into the 16-byte form the sensor uses. */
static void parse(const char *s, uint8_t out[16])
{
    struct in_addr v4;
    memset(out, 0, 16);
    if (inet_pton(AF_INET, s, &v4) == 1) {
        out[10] = out[11] = 0xFF;
        memcpy(out + 12, &v4, 4);
        return;
    }
    assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

static int setup(void **state)
{
    *state = zones_create_default();
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    zones_destroy(*state);
    return 0;
}

static void test_defaults(void **state)
{
    const struct zones *z = *state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t addr[16];
        parse(cases[i].addr, addr);
        uint16_t id = zones_lookup(z, addr);
        const char *name = zones_name(z, id);
        if (strcmp(name, cases[i].internal ? "internal" : "external") != 0)
            fail_msg("%s: zone %u (%s), expected %s", cases[i].addr, id, name,
                     cases[i].internal ? "internal" : "external");
        if (cases[i].internal)
            assert_int_not_equal(id, ZONE_EXTERNAL);
        else
            assert_int_equal(id, ZONE_EXTERNAL);
    }
}

/* Every internal range maps to one and the same zone. */
static void test_one_internal_zone(void **state)
{
    const struct zones *z = *state;
    uint8_t a[16], b[16];
    parse("10.0.0.1", a);
    parse("fe80::1", b);
    uint16_t id = zones_lookup(z, a);
    assert_int_not_equal(id, ZONE_EXTERNAL);
    assert_int_equal(zones_lookup(z, b), id);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        parse(cases[i].addr, a);
        assert_int_equal(zones_lookup(z, a), cases[i].internal ? id : ZONE_EXTERNAL);
    }
}

static void test_names(void **state)
{
    const struct zones *z = *state;
    uint8_t a[16];
    parse("192.168.1.1", a);
    assert_string_equal(zones_name(z, zones_lookup(z, a)), "internal");
    assert_string_equal(zones_name(z, ZONE_EXTERNAL), "external");
    /* Ids the table never handed out read as external, not as garbage. */
    assert_string_equal(zones_name(z, 999), "external");
    assert_string_equal(zones_name(z, UINT16_MAX), "external");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_internal_zone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Zones built from a config: longest-prefix match (nested v4/v6 prefixes,
 * /0, /32, /128, and 1000 random prefixes against a brute-force
 * reference), roles, accessors, and MMDB zones from a database written by
 * tests/config/make_zones_mmdb.pl. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "enrich/cidr.h"
#include "config/config.h"
#include "enrich/zones.h"

static char tmpdir[256];
static char srcdir[1024];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/vigie-test-zones-XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    snprintf(srcdir, sizeof(srcdir), "%s", __FILE__);
    char *p = strstr(srcdir, "/tests/unit/");
    if (p) *p = '\0';
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Loads YAML text as a config (must be valid) and builds its zones. */
static struct zones *zones_from(const char *yaml, struct config *cfg)
{
    char path[512], err[4096];
    snprintf(path, sizeof(path), "%s/zones.yaml", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(yaml, f);
    fclose(f);
    int n = config_load(cfg, path, err, sizeof(err));
    if (n) fail_msg("config: %s", err);
    struct zones *z = zones_create(cfg, err, sizeof(err));
    if (!z) fail_msg("zones: %s", err);
    return z;
}

static const uint8_t *ip(const char *s)
{
    static uint8_t a[16];
    memset(a, 0, sizeof(a));
    if (strchr(s, ':')) {
        assert_int_equal(inet_pton(AF_INET6, s, a), 1);
    } else {
        a[10] = a[11] = 0xFF;
        assert_int_equal(inet_pton(AF_INET, s, a + 12), 1);
    }
    return a;
}

static const char *zone_of(const struct zones *z, const char *addr)
{
    return zones_name(z, zones_lookup(z, ip(addr)));
}

static void test_default_zones(void **state)
{
    (void)state;
    struct zones *z = zones_create_default();
    assert_non_null(z);
    assert_string_equal(zone_of(z, "10.1.2.3"), "internal");
    assert_string_equal(zone_of(z, "172.31.255.255"), "internal");
    assert_string_equal(zone_of(z, "172.32.0.1"), "external");
    assert_string_equal(zone_of(z, "192.168.0.1"), "internal");
    assert_string_equal(zone_of(z, "169.254.1.1"), "internal");
    assert_string_equal(zone_of(z, "fd12::1"), "internal");
    assert_string_equal(zone_of(z, "fe80::1"), "internal");
    assert_string_equal(zone_of(z, "2001:db8::1"), "external");
    assert_string_equal(zone_of(z, "8.8.8.8"), "external");
    assert_int_equal(zones_lookup(z, ip("8.8.8.8")), ZONE_EXTERNAL);
    assert_int_equal(zones_count(z), 2);
    zones_destroy(z);
}

static void test_nested_prefixes(void **state)
{
    (void)state;
    struct config cfg;
    struct zones *z =
        zones_from("zones:\n"
                   "  - {name: v4-all, cidrs: [0.0.0.0/0]}\n"
                   "  - {name: ten, cidrs: [10.0.0.0/8]}\n"
                   "  - {name: ten-one, cidrs: [10.1.0.0/16]}\n"
                   "  - {name: ten-one-two, cidrs: [10.1.2.0/24]}\n"
                   "  - {name: host, cidrs: [10.1.2.3/32]}\n"
                   "  - {name: everything, cidrs: [\"::/0\"]}\n"
                   "  - {name: ula, cidrs: [\"fd00::/8\"]}\n"
                   "  - {name: ula-1, cidrs: [\"fd00:1::/32\"]}\n"
                   "  - {name: ula-host, cidrs: [\"fd00:1::1/128\", \"fd00:1::3\"]}\n",
                   &cfg);
    assert_string_equal(zone_of(z, "10.1.2.3"), "host");
    assert_string_equal(zone_of(z, "10.1.2.4"), "ten-one-two");
    assert_string_equal(zone_of(z, "10.1.3.4"), "ten-one");
    assert_string_equal(zone_of(z, "10.2.0.0"), "ten");
    assert_string_equal(zone_of(z, "11.0.0.0"), "v4-all");
    assert_string_equal(zone_of(z, "255.255.255.255"), "v4-all");
    assert_string_equal(zone_of(z, "fd00:1::1"), "ula-host");
    assert_string_equal(zone_of(z, "fd00:1::3"), "ula-host");
    assert_string_equal(zone_of(z, "fd00:1::2"), "ula-1");
    assert_string_equal(zone_of(z, "fd00:2::1"), "ula");
    assert_string_equal(zone_of(z, "2001:db8::1"), "everything");
    assert_string_equal(zone_of(z, "::"), "everything");
    assert_int_equal(zones_lookup(z, ip("10.1.2.3")), 5); /* config index + 1 */
    zones_destroy(z);
    config_free(&cfg);

    /* Without a /0, unmatched addresses are external. */
    z = zones_from("zones: [{name: a, cidrs: [\"10.0.0.0/8\", \"fd00::/8\"]}]\n", &cfg);
    assert_string_equal(zone_of(z, "11.0.0.1"), "external");
    assert_string_equal(zone_of(z, "fe00::1"), "external");
    assert_string_equal(zone_of(z, "9.255.255.255"), "external");
    zones_destroy(z);
    config_free(&cfg);
}

/* --- random prefixes vs brute force ------------------------------------ */

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17; /* xorshift64 */
    return (uint32_t)(rng >> 16);
}

/* A random prefix drawn from a small address pool, so that prefixes nest
 * and overlap often; half IPv4-mapped, half IPv6. */
static void random_cidr(struct cidr *c)
{
    memset(c, 0, sizeof(*c));
    if (rnd() & 1) {
        c->addr[10] = c->addr[11] = 0xFF;
        c->addr[12] = (uint8_t)(10 + rnd() % 3);
        c->addr[13] = (uint8_t)(rnd() % 4);
        c->addr[14] = (uint8_t)rnd();
        c->addr[15] = (uint8_t)rnd();
        c->len = (uint8_t)(96 + rnd() % 33);
    } else {
        c->addr[0] = 0xFD;
        c->addr[1] = (uint8_t)(rnd() % 3);
        for (int i = 2; i < 16; i++)
            c->addr[i] = (uint8_t)(rnd() % 4 == 0 ? rnd() : 0);
        c->len = (uint8_t)(rnd() % 129);
    }
    for (unsigned i = 0; i < 16; i++) { /* clear host bits */
        unsigned keep = c->len >= 8 * (i + 1) ? 8 : c->len > 8 * i ? c->len - 8 * i : 0;
        c->addr[i] &= keep ? (uint8_t)(0xFF << (8 - keep)) : 0;
    }
}

static void random_addr_near(const struct cidr *c, uint8_t a[16])
{
    memcpy(a, c->addr, 16);
    for (int i = 15; i >= 0 && rnd() % 3; i--)
        a[i] = (uint8_t)rnd(); /* perturb the tail */
}

static uint16_t brute_force(const struct config *cfg, const uint8_t a[16])
{
    int best = -1, best_len = -1;
    for (size_t i = 0; i < cfg->n_zones; i++)
        if (cidr_contains(&cfg->zones[i].cidrs[0], a) && cfg->zones[i].cidrs[0].len > best_len)
            best = (int)i, best_len = cfg->zones[i].cidrs[0].len;
    return (uint16_t)(best + 1);
}

static void test_random_prefixes(void **state)
{
    (void)state;
    enum { N = 1000, LOOKUPS = 20000 };
    struct config cfg;
    config_defaults(&cfg);
    cfg.zones = calloc(N, sizeof(*cfg.zones));
    struct cidr_trie *seen = cidr_trie_create();
    while (cfg.n_zones < N) { /* distinct prefixes, as config_load ensures */
        struct cidr c;
        random_cidr(&c);
        if (cidr_trie_insert(seen, &c, 0, NULL) != 0) continue;
        struct config_zone *zc = &cfg.zones[cfg.n_zones];
        snprintf(zc->name, sizeof(zc->name), "z%zu", cfg.n_zones);
        zc->cidrs = malloc(sizeof(*zc->cidrs));
        zc->cidrs[0] = c;
        zc->n_cidrs = 1;
        cfg.n_zones++;
    }
    cidr_trie_destroy(seen);
    char err[256];
    struct zones *z = zones_create(&cfg, err, sizeof(err));
    assert_non_null(z);
    for (int i = 0; i < LOOKUPS; i++) {
        uint8_t a[16];
        random_addr_near(&cfg.zones[rnd() % N].cidrs[0], a);
        uint16_t want = brute_force(&cfg, a), got = zones_lookup(z, a);
        if (want != got) {
            char w[64] = "external", g[64] = "external";
            if (want) cidr_format(&cfg.zones[want - 1].cidrs[0], w, sizeof(w));
            if (got) cidr_format(&cfg.zones[got - 1].cidrs[0], g, sizeof(g));
            fail_msg("lookup %d: want %s, got %s", i, w, g);
        }
    }
    zones_destroy(z);
    config_free(&cfg);
}

static void test_trie_direct(void **state)
{
    (void)state;
    struct cidr_trie *t = cidr_trie_create();
    struct cidr c;
    uint32_t old = 0, v = 0;
    unsigned len = 0;
    assert_int_equal(cidr_parse("10.0.0.0/8", &c, NULL, 0), 0);
    assert_int_equal(cidr_trie_insert(t, &c, 7, NULL), 0);
    assert_int_equal(cidr_trie_insert(t, &c, 8, &old), 1);
    assert_int_equal(old, 7);
    assert_int_equal(cidr_parse("10.0.0.0/16", &c, NULL, 0), 0);
    assert_int_equal(cidr_trie_insert(t, &c, 9, NULL), 0);
    assert_int_equal(cidr_trie_count(t), 2);
    assert_true(cidr_trie_lookup(t, ip("10.0.200.1"), &v, &len));
    assert_int_equal(v, 9);
    assert_int_equal(len, 112);
    assert_true(cidr_trie_lookup(t, ip("10.1.0.1"), &v, &len));
    assert_int_equal(v, 7);
    assert_false(cidr_trie_lookup(t, ip("11.0.0.1"), &v, &len));
    cidr_trie_destroy(t);
}

/* --- roles and accessors ---------------------------------------------------- */

static void test_roles_and_accessors(void **state)
{
    (void)state;
    struct config cfg;
    struct zones *z =
        zones_from("zones:\n"
                   "  - {name: servers, cidrs: [10.0.0.0/24], site: HQ, criticality: high}\n"
                   "  - {name: admins, cidrs: [10.0.5.0/28, \"fd00:5::/64\"]}\n"
                   "  - {name: dcs, cidrs: [10.0.0.10/31]}\n"
                   "roles:\n"
                   "  domain_controllers: [dcs, \"fd00::10\"]\n"
                   "  admin_hosts: [admins, 10.9.9.9, 192.168.0.0/16]\n",
                   &cfg);
    assert_true(zones_is_domain_controller(z, ip("10.0.0.10")));
    assert_true(zones_is_domain_controller(z, ip("10.0.0.11")));
    assert_false(zones_is_domain_controller(z, ip("10.0.0.12")));
    assert_true(zones_is_domain_controller(z, ip("fd00::10")));
    assert_false(zones_is_domain_controller(z, ip("fd00::11")));
    assert_true(zones_is_admin_host(z, ip("10.0.5.15")));
    assert_false(zones_is_admin_host(z, ip("10.0.5.16")));
    assert_true(zones_is_admin_host(z, ip("fd00:5::99")));
    assert_true(zones_is_admin_host(z, ip("10.9.9.9")));
    assert_true(zones_is_admin_host(z, ip("192.168.44.1")));
    assert_false(zones_is_admin_host(z, ip("10.0.0.10")));
    assert_false(zones_is_domain_controller(z, ip("10.0.5.1")));

    int id = zones_id(z, "servers");
    assert_int_equal(id, 1);
    assert_string_equal(zones_site(z, (uint16_t)id), "HQ");
    assert_int_equal(zones_criticality(z, (uint16_t)id), ZONE_CRIT_HIGH);
    assert_int_equal(zones_criticality(z, (uint16_t)zones_id(z, "admins")), ZONE_CRIT_MEDIUM);
    assert_int_equal(zones_criticality(z, ZONE_EXTERNAL), ZONE_CRIT_LOW);
    assert_string_equal(zones_site(z, ZONE_EXTERNAL), "");
    assert_int_equal(zones_id(z, "external"), ZONE_EXTERNAL);
    assert_int_equal(zones_id(z, "nope"), -1);
    assert_int_equal(zones_count(z), 4);
    assert_string_equal(zones_name(z, 999), "external");
    assert_string_equal(config_criticality_name(ZONE_CRIT_CRITICAL), "critical");
    zones_destroy(z);
    config_free(&cfg);
}

/* --- MMDB ----------------------------------------------------------------- */

/* 0 when the database was written, 1 to skip (Perl module missing). */
static int make_mmdb(const char *out)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "perl '%s/tests/config/make_zones_mmdb.pl' '%s'", srcdir, out);
    int rc = system(cmd);
    if (rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 2) return 1;
    assert_int_equal(rc, 0);
    return 0;
}

static void test_mmdb_zones(void **state)
{
    (void)state;
    char db[512];
    snprintf(db, sizeof(db), "%s/zones.mmdb", tmpdir);
    if (make_mmdb(db)) {
        skip();
        return;
    }
    struct config cfg;
    /* zones.mmdb is relative to the config file, which is in tmpdir. */
    struct zones *z = zones_from("zones_mmdb: {file: zones.mmdb}\n"
                                 "zones:\n"
                                 "  - {name: lab-cidr, cidrs: [10.11.0.0/24]}\n"
                                 "  - {name: agglo-servers, cidrs: [10.20.0.0/16]}\n"
                                 "  - {name: mmdb-campus, site: Campus, criticality: high}\n"
                                 "  - {name: tie-cidr, cidrs: [10.40.0.0/16]}\n"
                                 "  - {name: in-campus, cidrs: [10.10.8.0/24]}\n"
                                 "policy: {allow: [{from: mmdb-campus, to: lab-cidr}]}\n",
                                 &cfg);
    /* Not in the MMDB: the CIDR zone. */
    assert_string_equal(zone_of(z, "10.11.0.5"), "lab-cidr");
    /* The MMDB's /25 beats the CIDR /24: a new zone, allocated now. */
    assert_int_equal(zones_id(z, "mmdb-lab"), -1);
    uint16_t lab = zones_lookup(z, ip("10.11.0.200"));
    assert_string_equal(zones_name(z, lab), "mmdb-lab");
    assert_int_equal(lab, 6);
    assert_int_equal(zones_lookup(z, ip("10.11.0.201")), lab); /* same id again */
    assert_int_equal(zones_id(z, "mmdb-lab"), lab);
    assert_int_equal(zones_criticality(z, lab), ZONE_CRIT_MEDIUM);
    /* A CIDR /24 inside the MMDB's /16: the CIDR is more specific. */
    assert_string_equal(zone_of(z, "10.10.8.5"), "in-campus");
    /* Only the MMDB places it, in a zone the config declares. */
    uint16_t campus = zones_lookup(z, ip("10.10.7.7"));
    assert_int_equal(campus, 3);
    assert_string_equal(zones_site(z, campus), "Campus");
    assert_int_equal(zones_criticality(z, campus), ZONE_CRIT_HIGH);
    /* Same name from both: the configured zone. */
    assert_string_equal(zone_of(z, "10.20.0.7"), "agglo-servers");
    assert_int_equal(zones_lookup(z, ip("10.20.0.7")), 2);
    /* Equal prefix lengths: the CIDR list wins ties. */
    assert_string_equal(zone_of(z, "10.40.3.3"), "tie-cidr");
    /* A field that is not a string, or no MMDB entry: CIDR or external. */
    assert_string_equal(zone_of(z, "10.30.1.1"), "external");
    assert_string_equal(zone_of(z, "8.8.8.8"), "external");
    assert_string_equal(zone_of(z, "fd00:99::1"), "mmdb-v6");
    assert_string_equal(zone_of(z, "fd00:98::1"), "external");

    /* At most ZONES_MAX_DYNAMIC new names; past that, the CIDR zone or
     * external. */
    uint16_t before = zones_count(z);
    int fresh = 0, fallback = 0;
    for (int i = 0; i < 300; i++) {
        char a[32];
        snprintf(a, sizeof(a), "10.%d.%d.1", 100 + i / 256, i % 256);
        uint16_t id = zones_lookup(z, ip(a));
        if (id == ZONE_EXTERNAL)
            fallback++;
        else
            fresh++;
    }
    assert_int_equal(zones_count(z), 6 + ZONES_MAX_DYNAMIC);
    assert_int_equal(fresh, ZONES_MAX_DYNAMIC - (before - 6));
    assert_int_equal(fallback, 300 - fresh);
    zones_destroy(z);
    config_free(&cfg);

    /* A dotted field path. */
    z = zones_from("zones_mmdb: {file: zones.mmdb, field: info.zone}\n", &cfg);
    assert_string_equal(zone_of(z, "10.10.7.7"), "nested-name");
    assert_string_equal(zone_of(z, "10.11.0.200"), "external"); /* that network has no info */
    zones_destroy(z);
    config_free(&cfg);
}

static void test_mmdb_errors(void **state)
{
    (void)state;
    char path[512], err[4096];
    snprintf(path, sizeof(path), "%s/bad-mmdb.yaml", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("zones_mmdb:\n  file: bad-mmdb.yaml\n  field: \"a..b\"\n", f); /* not an MMDB */
    fclose(f);
    struct config cfg;
    assert_int_equal(config_load(&cfg, path, err, sizeof(err)), 2);
    char expect[1024];
    snprintf(expect, sizeof(expect), "%s:2: zones_mmdb.file: cannot open MMDB", path);
    assert_non_null(strstr(err, expect));
    snprintf(expect, sizeof(expect), "%s:3: zones_mmdb.field: 'a..b' must be", path);
    assert_non_null(strstr(err, expect));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_zones),       cmocka_unit_test(test_nested_prefixes),
        cmocka_unit_test(test_random_prefixes),     cmocka_unit_test(test_trie_direct),
        cmocka_unit_test(test_roles_and_accessors), cmocka_unit_test(test_mmdb_zones),
        cmocka_unit_test(test_mmdb_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* Config loader: defaults, the shipped configs, one test per error kind
 * (each checks the "FILE:LINE: KEY: " prefix), error collection, policy
 * include and the Redis URL parser. Fixtures are written into a temp dir
 * next to the message they must produce. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "detect/detect.h"
#include "enrich/zones.h"

static char tmpdir[256];
static char srcdir[1024];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/vigie-test-config-XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    /* CMake compiles with absolute paths: the source tree is __FILE__ less
     * tests/unit/test_config.c. */
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

static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    for (char *slash = path + strlen(tmpdir) + 1; (slash = strchr(slash, '/')); slash++) {
        *slash = '\0';
        mkdir(path, 0755);
        *slash = '/';
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_defaults(void **state)
{
    (void)state;
    struct config cfg;
    config_defaults(&cfg);
    assert_int_equal(cfg.capture.snaplen, 1600);
    assert_int_equal(cfg.flows.timeout_s[FLOW_TCP_CLOSED], 10);
    assert_true(cfg.flows.track_vlan);
    assert_int_equal(cfg.n_zones, 0);
    assert_int_equal(cfg.policy.mode, CONFIG_POLICY_NONE);
    assert_string_equal(cfg.outputs.redis.url, "redis://127.0.0.1:6379");
    assert_string_equal(cfg.outputs.redis.prefix, "vigie");
    assert_int_equal(cfg.outputs.redis.maxlen, 100000);
    assert_int_equal(cfg.outputs.redis.mode, 0); /* stream */
    assert_string_equal(cfg.outputs.redis.stream_field, "");
    assert_string_equal(cfg.outputs.redis.key, "");
    assert_int_equal(cfg.outputs.redis.spool_max_bytes, 256u << 20);
    assert_int_equal(cfg.detect.dedup_window_s, 60);
    assert_true(cfg.incidents.enabled);
    assert_int_equal(cfg.incidents.timeout_s, 86400);
    assert_int_equal(cfg.incidents.max_open, 1024);
    for (size_t i = 0; i < detect_count(); i++)
        assert_true(cfg.detect.detectors[i].enabled);
    const struct detector_settings *d = config_detector(&cfg, "internal_scan");
    assert_non_null(d);
    assert_int_equal(config_threshold(d, "hosts"), 20);
    assert_int_equal(config_threshold(d, "ports"), 30);
    assert_int_equal(config_threshold(d, "window"), 60);
    assert_int_equal(config_threshold(config_detector(&cfg, "zerologon"), "attempts"), 20);
    assert_int_equal(config_threshold(config_detector(&cfg, "password_spray"), "accounts"), 10);
    assert_int_equal(config_threshold(d, "nope"), 0);
    assert_non_null(config_detector(&cfg, "new_edge"));
    assert_null(config_detector(&cfg, "no_such_detector"));
    config_free(&cfg); /* harmless on defaults */
}

/* Every declared detector has its settings, found by id, in registry
 * order. (test_detectors.c checks the declarations against SPEC section 7,
 * the README and config/vigie.yaml.) */
static void test_detector_ids(void **state)
{
    (void)state;
    struct config cfg;
    config_defaults(&cfg);
    assert_true(detect_count() > 0);
    for (size_t i = 0; i < detect_count(); i++) {
        const struct detector *d = detect_get(i);
        assert_ptr_equal(config_detector(&cfg, d->info.id), &cfg.detect.detectors[i]);
        assert_string_equal(cfg.detect.detectors[i].id, d->info.id);
        assert_int_equal(cfg.detect.detectors[i].enabled, !d->off_by_default);
        for (size_t j = 0; j < DETECT_MAX_PARAMS && d->params[j].name; j++)
            assert_int_equal(config_threshold(&cfg.detect.detectors[i], d->params[j].name),
                             d->params[j].def);
    }
}

static const uint8_t *v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    static uint8_t addr[16];
    memset(addr, 0, 10);
    addr[10] = addr[11] = 0xFF;
    addr[12] = a, addr[13] = b, addr[14] = c, addr[15] = d;
    return addr;
}

static void test_shipped_config(void **state)
{
    (void)state;
    char path[1200], err[8192] = "";
    struct config cfg;
    snprintf(path, sizeof(path), "%s/config/vigie.yaml", srcdir);
    int n = config_load(&cfg, path, err, sizeof(err));
    if (n) fprintf(stderr, "%s\n", err);
    assert_int_equal(n, 0);
    assert_string_equal(cfg.sensor_name, "span-agglo-01");
    assert_int_equal(cfg.policy.mode, CONFIG_POLICY_DENY);
    assert_true(cfg.n_zones >= 8);
    assert_true(cfg.policy.n_allow >= 10);
    assert_string_equal(cfg.policy.allow[0].apps[1], "Kerberos");
    assert_non_null(strstr(cfg.policy.allow[0].source, "vigie.yaml:"));
    assert_string_equal(cfg.outputs.redis.url, "redis://127.0.0.1:6379/0");
    assert_true(cfg.incidents.enabled);
    assert_int_equal(cfg.incidents.timeout_s, 86400);
    assert_int_equal(cfg.incidents.max_open, 1024);

    struct zones *z = zones_create(&cfg, err, sizeof(err));
    assert_non_null(z);
    assert_string_equal(zones_name(z, zones_lookup(z, v4(10, 10, 0, 10))), "agglo-dc");
    assert_string_equal(zones_name(z, zones_lookup(z, v4(10, 10, 0, 20))), "agglo-servers");
    assert_string_equal(zones_name(z, zones_lookup(z, v4(10, 30, 200, 1))),
                        "mediatheque-wifi-public");
    assert_string_equal(zones_name(z, zones_lookup(z, v4(8, 8, 8, 8))), "external");
    assert_int_equal(zones_criticality(z, zones_lookup(z, v4(10, 10, 0, 10))), ZONE_CRIT_CRITICAL);
    assert_string_equal(zones_site(z, zones_lookup(z, v4(10, 40, 1, 1))), "Conservatoire");
    assert_true(zones_is_domain_controller(z, v4(10, 10, 0, 11)));
    assert_false(zones_is_domain_controller(z, v4(10, 10, 0, 12)));
    assert_true(zones_is_admin_host(z, v4(10, 10, 5, 3)));    /* by zone */
    assert_true(zones_is_admin_host(z, v4(10, 20, 16, 250))); /* by address */
    assert_false(zones_is_admin_host(z, v4(10, 20, 16, 251)));
    zones_destroy(z);
    config_free(&cfg);
}

static void test_examples(void **state)
{
    (void)state;
    char pattern[1200], err[8192];
    glob_t g;
    snprintf(pattern, sizeof(pattern), "%s/config/examples/*.yaml", srcdir);
    assert_int_equal(glob(pattern, 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 2);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct config cfg;
        int n = config_load(&cfg, g.gl_pathv[i], err, sizeof(err));
        if (n) fprintf(stderr, "%s\n", err);
        assert_int_equal(n, 0);
        config_free(&cfg);
    }
    globfree(&g);
}

/* One error kind per case: the YAML, and the message's expected start
 * after the file name ("LINE: KEY: what"). */
struct bad_case {
    const char *yaml;
    const char *expect;
};

static const struct bad_case bad_cases[] = {
    /* unknown keys, with a suggestion or the list */
    {"capture:\n  snaplenn: 100\n", "2: capture.snaplenn: unknown key (did you mean 'snaplen'?)"},
    {"bogus: 1\n", "1: bogus: unknown key (expected one of: sensor, capture"},
    {"zones:\n  - {name: a, cidrs: [10.0.0.0/8], colour: red}\n",
     "2: zones[0].colour: unknown key"},
    /* wrong types */
    {"flows:\n  max: [1]\n", "2: flows.max: expected an integer in 1000..100000000, got a list"},
    {"capture:\n  snaplen: big\n",
     "2: capture.snaplen: expected an integer in 64..262144, got 'big'"},
    {"outputs:\n  redis: {flows: yes}\n",
     "2: outputs.redis.flows: expected true or false, got 'yes'"},
    {"outputs:\n  alerts_file: {a: 1}\n",
     "2: outputs.alerts_file: expected a string, got a mapping"},
    {"zones: {name: a}\n", "1: zones: expected a list, got a mapping"},
    {"- a\n", "1: config: expected a mapping of sections"},
    /* ranges */
    {"capture:\n  snaplen: 63\n", "2: capture.snaplen: 63 is out of range 64..262144"},
    {"capture:\n  snaplen: 262145\n", "2: capture.snaplen: 262145 is out of range"},
    {"flows:\n  memcap_mb: 15\n", "2: flows.memcap_mb: 15 is out of range 16..1048576"},
    {"flows:\n  timeouts:\n    udp: 0\n", "3: flows.timeouts.udp: 0 is out of range 1..86400"},
    {"flows:\n  timeouts: {other: 86401}\n", "2: flows.timeouts.other: 86401 is out of range"},
    {"zones: [{name: a, cidrs: [10.0.0.0/8]}]\npolicy:\n  allow:\n    - {from: a, to: external, "
     "ports: [80, 65536]}\n",
     "4: policy.allow[0].ports[1]: 65536 is out of range 1..65535"},
    {"zones: [{name: a, cidrs: [10.0.0.0/8]}]\npolicy: {allow: [{from: a, to: external, ports: "
     "[0]}]}\n",
     "2: policy.allow[0].ports[0]: 0 is out of range 1..65535"},
    /* CIDRs */
    {"zones:\n  - name: a\n    cidrs: [10.0.0.1/8]\n",
     "3: zones[0].cidrs[0]: '10.0.0.1/8' has host bits set (the network is 10.0.0.0/8)"},
    {"zones:\n  - name: a\n    cidrs: [\"fd00::1/64\"]\n",
     "3: zones[0].cidrs[0]: 'fd00::1/64' has host bits set (the network is fd00::/64)"},
    {"zones:\n  - {name: a, cidrs: [10.0.0.0/33]}\n",
     "2: zones[0].cidrs[0]: '10.0.0.0/33': prefix length must be 0..32"},
    {"zones:\n  - {name: a, cidrs: [\"fd00::/129\"]}\n",
     "2: zones[0].cidrs[0]: 'fd00::/129': prefix length must be 0..128"},
    {"zones:\n  - {name: a, cidrs: [10.0.0.256]}\n",
     "2: zones[0].cidrs[0]: '10.0.0.256' is not a valid IPv4 address"},
    {"zones:\n  - {name: a, cidrs: [\"fd00:::1\"]}\n",
     "2: zones[0].cidrs[0]: 'fd00:::1' is not a valid IPv6 address"},
    {"zones:\n  - {name: a, cidrs: [10.0.0.0/]}\n",
     "2: zones[0].cidrs[0]: '10.0.0.0/': prefix length"},
    /* zones */
    {"zones:\n  - {name: a, cidrs: [10.0.0.0/8]}\n  - {name: b, cidrs: [10.1.0.0/16]}\n  - {name: "
     "a, cidrs: [10.2.0.0/16]}\n",
     "4: zones[2].name: zone 'a' is already declared (zones[0])"},
    {"zones:\n  - {name: a, cidrs: [10.0.0.0/8]}\n  - {name: b, cidrs: [\"10.0.0.0/8\"]}\n",
     "3: zones[1].cidrs[0]: 10.0.0.0/8 is already in zone 'a' (zones[0])"},
    {"zones:\n  - {name: a, cidrs: [\"fd00::/16\", \"fd00:0::/16\"]}\n",
     "2: zones[0].cidrs[1]: fd00::/16 is listed twice in this zone"},
    {"zones:\n  - {name: external, cidrs: [1.0.0.0/8]}\n",
     "2: zones[0].name: 'external' is reserved"},
    {"zones:\n  - {cidrs: [1.0.0.0/8]}\n", "2: zones[0]: missing key 'name'"},
    {"zones:\n  - {name: a}\n", "2: zones[0]: no cidrs, and no zones_mmdb"},
    {"zones:\n  - {name: 1a, cidrs: [1.0.0.0/8]}\n",
     "2: zones[0].name: '1a' must start with a letter"},
    {"zones:\n  - {name: a, cidrs: [1.0.0.0/8], criticality: extreme}\n",
     "2: zones[0].criticality: 'extreme' is not one of: low, medium, high, critical"},
    /* zone references */
    {"zones: [{name: servers, cidrs: [10.0.0.0/8]}]\npolicy:\n  allow:\n    - {from: servers, to: "
     "servres}\n",
     "4: policy.allow[0].to: unknown zone 'servres' (did you mean 'servers'?)"},
    {"zones: [{name: a, cidrs: [10.0.0.0/8]}]\nroles:\n  admin_hosts: [10.0.0.1, nowhere]\n",
     "3: roles.admin_hosts[1]: unknown zone 'nowhere'"},
    {"roles:\n  domain_controllers: [10.0.0.1/8]\n",
     "2: roles.domain_controllers[0]: '10.0.0.1/8' has host bits set"},
    {"policy:\n  allow: [{from: internal, to: dmz}]\n",
     "2: policy.allow[0].to: unknown zone 'dmz' (no zones are declared"},
    /* policy */
    {"policy: {default: maybe}\n", "1: policy.default: expected allow or deny, got 'maybe'"},
    {"policy: {allow: [{to: external}]}\n", "1: policy.allow[0]: missing key 'from'"},
    {"policy: {allow: [{from: internal, to: internal}]}\n",
     "1: policy.allow[0]: from and to are both 'internal'"},
    {"policy: {allow: [{from: internal, to: external, apps: [Kerberso]}]}\n",
     "1: policy.allow[0].apps[0]: unknown nDPI application 'Kerberso' (did you mean 'Kerberos'?)"},
    {"policy:\n  include: nothere.yaml\n", "2: policy.include: cannot read"},
    /* detect */
    {"detect:\n  internal_scann: {enabled: true}\n",
     "2: detect.internal_scann: unknown detector id (did you mean 'internal_scan'?)"},
    {"detect:\n  lateral_everything: true\n", "2: detect.lateral_everything: unknown detector id "
                                              "(expected dedup_window or one of: policy_violation"},
    {"detect:\n  kerberoast: {services: 0}\n",
     "2: detect.kerberoast.services: 0 is out of range 1..1000000"},
    {"detect:\n  kerberoast: {window: 86401}\n",
     "2: detect.kerberoast.window: 86401 is out of range 1..86400"},
    {"detect:\n  kerberoast: {hosts: 3}\n",
     "2: detect.kerberoast.hosts: unknown setting for kerberoast (expected one of: enabled, "
     "services, window)"},
    {"detect:\n  dcsync: maybe\n", "2: detect.dcsync: expected true or false, got 'maybe'"},
    /* incidents */
    {"incidents:\n  timeout: 59\n", "2: incidents.timeout: 59 is out of range 60..2592000"},
    {"incidents: {timeout: 2592001}\n", "1: incidents.timeout: 2592001 is out of range"},
    {"incidents:\n  max_open: 15\n", "2: incidents.max_open: 15 is out of range 16..65536"},
    {"incidents: {max_open: 65537}\n", "1: incidents.max_open: 65537 is out of range"},
    {"incidents:\n  enabled: maybe\n", "2: incidents.enabled: expected true or false, got 'maybe'"},
    {"incidents:\n  timout: 600\n", "2: incidents.timout: unknown key (did you mean 'timeout'?)"},
    {"incidents: [1]\n", "1: incidents: expected a mapping"},
    /* outputs */
    {"outputs:\n  redis: {url: \"http://x\"}\n",
     "2: outputs.redis.url: redis URL \"http://x\": expected redis://"},
    {"outputs:\n  redis: {url: \"redis://h:0\"}\n",
     "2: outputs.redis.url: 'redis://h:0': port must be 1-65535"},
    {"outputs:\n  redis: {url: \"redis://h/x\"}\n",
     "2: outputs.redis.url: 'redis://h/x': database must be a number"},
    {"outputs:\n  redis: {url: \"unix://relative.sock\"}\n",
     "2: outputs.redis.url: 'unix://relative.sock': unix socket needs an absolute path"},
    {"outputs:\n  redis: {url: \"rediss://h\"}\n",
     "2: outputs.redis.url: 'rediss://h': TLS (rediss://) is not supported"},
    {"outputs:\n  redis: {url: \"redis://user@h\"}\n",
     "2: outputs.redis.url: 'redis://user@h': credentials must be"},
    {"outputs:\n  redis: {prefix: \"a b\"}\n",
     "2: outputs.redis.prefix: 'a b' must start with a letter"},
    {"outputs:\n  redis: {maxlen: 99}\n",
     "2: outputs.redis.maxlen: 99 is out of range 100..1000000000"},
    {"outputs:\n  redis: {mode: lpush}\n",
     "2: outputs.redis.mode: 'lpush' is not one of: stream, list, channel"},
    {"outputs:\n  redis: {stream_field: \"a:b\"}\n",
     "2: outputs.redis.stream_field: 'a:b' must start with a letter"},
    {"outputs:\n  redis: {key: \"9x\"}\n", "2: outputs.redis.key: '9x' must start with a letter"},
    {"outputs:\n  redis: {spool_max_bytes: 100}\n",
     "2: outputs.redis.spool_max_bytes: 100 is out of range 4096..4294967295"},
    /* misc */
    {"capture:\n  bpf: \"tcp port 99999\"\n", "2: capture.bpf: invalid BPF filter: "},
    {"sensor: {name: \"my sensor\"}\n", "1: sensor.name: 'my sensor' must start with a letter"},
    {"zones_mmdb: {field: zone}\n", "1: zones_mmdb: missing key 'file'"},
    {"zones_mmdb: {file: nothere.mmdb}\n", "1: zones_mmdb.file: cannot open MMDB"},
    {"geoip: {asn: nothere.mmdb}\n", "1: geoip.asn: cannot open MMDB"},
    {"capture: {snaplen: 100}\ncapture: {snaplen: 200}\n", "2: capture: duplicate key"},
    {"zones: []\n---\nzones: []\n", "2: config: a second YAML document"},
    {"zones:\n  - name: a\n    cidrs: [10.0.0.0/8\n  - name: b\n",
     "4: syntax error: did not find expected ',' or ']'"},
    {"capture:\n\tsnaplen: 5\n", "2: syntax error: "},
    {"zones: [{name: \"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234\", cidrs: "
     "[1.0.0.0/8]}]\n",
     "1: zones[0].name: longer than 63 characters"},
};

static void test_error_kinds(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(*bad_cases); i++) {
        char name[32], err[4096] = "", expect[1024];
        snprintf(name, sizeof(name), "bad%02zu.yaml", i);
        const char *path = write_file(name, bad_cases[i].yaml);
        snprintf(expect, sizeof(expect), "%s:%s", path, bad_cases[i].expect);
        struct config cfg;
        int n = config_load(&cfg, path, err, sizeof(err));
        if (n < 1 || strncmp(err, expect, strlen(expect)) != 0)
            fail_msg("case %zu: %d errors\n  got:      %s\n  expected: %s", i, n, err, expect);
        /* A failed load leaves the defaults, nothing to leak. */
        assert_int_equal(cfg.n_zones, 0);
        assert_null(cfg.policy.allow);
        config_free(&cfg);
    }
}

/* Every error of a file is reported, in line order, not just the first. */
static void test_all_errors(void **state)
{
    (void)state;
    const char *path = write_file("many.yaml", "detect:\n"
                                               "  nope: true\n"
                                               "capture:\n"
                                               "  snaplen: 1\n"
                                               "  buffer_mb: 0\n"
                                               "zones:\n"
                                               "  - {name: a, cidrs: [10.0.0.1/8]}\n"
                                               "policy: {allow: [{from: a, to: b}]}\n");
    char err[4096];
    struct config cfg;
    assert_int_equal(config_load(&cfg, path, err, sizeof(err)), 5);
    const char *want[] = {":2: detect.nope:", ":4: capture.snaplen:", ":5: capture.buffer_mb:",
                          ":7: zones[0].cidrs[0]:", ":8: policy.allow[0].to:"};
    const char *line = err;
    for (size_t i = 0; i < 5; i++) {
        assert_non_null(line);
        const char *found = strstr(line, want[i]);
        assert_non_null(found);
        const char *eol = strchr(line, '\n');
        assert_true(!eol || found < eol); /* on its own line, in order */
        line = eol ? eol + 1 : NULL;
    }
    /* A short buffer keeps whole lines and counts the rest. */
    char small[200];
    assert_int_equal(config_load(&cfg, path, small, sizeof(small)), 5);
    assert_non_null(strstr(small, "more errors)"));
    assert_true(strlen(small) < sizeof(small));
}

static void test_missing_file(void **state)
{
    (void)state;
    char err[512];
    struct config cfg;
    assert_int_equal(config_load(&cfg, "/nonexistent/vigie.yaml", err, sizeof(err)), 1);
    assert_string_equal(err, "/nonexistent/vigie.yaml: cannot read: No such file or directory");
}

static void test_values_applied(void **state)
{
    (void)state;
    const char *path = write_file(
        "values.yaml",
        "sensor: {name: s1}\n"
        "capture: {interface: eth9, snaplen: 9000, bpf: \"tcp\", workers: 4}\n"
        "flows: {max: 5000, memcap_mb: 64, timeouts: {tcp: 600}, track_vlan: false}\n"
        "zones:\n"
        "  - {name: a, cidrs: [10.0.0.0/8], site: Here, criticality: critical}\n"
        "  - {name: b, cidrs: [\"fd00::/8\", 192.168.1.1]}\n"
        "roles: {domain_controllers: [10.0.0.1, b], admin_hosts: []}\n"
        "policy: {allow: [{from: a, to: b, apps: [smbv23, dns], ports: [445]}]}\n"
        "detect:\n"
        "  kerberoast: false\n"
        "  internal_scan: {hosts: 50}\n"
        "  dedup_window: 120\n"
        "incidents: {enabled: false, timeout: 3600, max_open: 16}\n"
        "outputs:\n"
        "  redis: {url: \"redis://u:p%40ss@[::1]:7000/3\", prefix: \"v:1\", flows: true,\n"
        "          mode: list, stream_field: eve, key: \"soc:eve\", spool_max_bytes: 65536}\n"
        "  alerts_file: /tmp/a.json\n");
    char err[4096];
    struct config cfg;
    int n = config_load(&cfg, path, err, sizeof(err));
    if (n) fprintf(stderr, "%s\n", err);
    assert_int_equal(n, 0);
    assert_string_equal(cfg.sensor_name, "s1");
    assert_string_equal(cfg.capture.interface, "eth9");
    assert_int_equal(cfg.capture.snaplen, 9000);
    assert_int_equal(cfg.capture.workers, 4);
    assert_int_equal(cfg.flows.timeout_s[FLOW_TCP], 600);
    assert_int_equal(cfg.flows.timeout_s[FLOW_UDP], 60); /* untouched default */
    assert_int_equal(cfg.flows.track_vlan, 0);
    assert_int_equal(cfg.n_zones, 2);
    assert_string_equal(cfg.zones[0].site, "Here");
    assert_int_equal(cfg.zones[0].criticality, ZONE_CRIT_CRITICAL);
    assert_int_equal(cfg.zones[1].criticality, ZONE_CRIT_MEDIUM);
    assert_int_equal(cfg.zones[1].n_cidrs, 2);
    assert_int_equal(cfg.zones[1].cidrs[1].len, 128);
    assert_int_equal(cfg.roles.domain_controllers.n_cidrs, 1);
    assert_string_equal(cfg.roles.domain_controllers.zones[0], "b");
    assert_int_equal(cfg.policy.mode, CONFIG_POLICY_DENY); /* a policy section denies by default */
    assert_string_equal(cfg.policy.allow[0].apps[0], "SMBv23"); /* nDPI's spelling */
    assert_string_equal(cfg.policy.allow[0].apps[1], "DNS");
    assert_int_equal(cfg.policy.allow[0].ports[0], 445);
    assert_false(config_detector(&cfg, "kerberoast")->enabled);
    assert_int_equal(config_threshold(config_detector(&cfg, "internal_scan"), "hosts"), 50);
    assert_true(config_detector(&cfg, "internal_scan")->enabled);
    assert_int_equal(cfg.detect.dedup_window_s, 120);
    assert_false(cfg.incidents.enabled);
    assert_int_equal(cfg.incidents.timeout_s, 3600);
    assert_int_equal(cfg.incidents.max_open, 16);
    assert_string_equal(cfg.outputs.redis.url, "redis://u:p%40ss@[::1]:7000/3");
    assert_string_equal(cfg.outputs.redis.prefix, "v:1");
    assert_true(cfg.outputs.redis.flows);
    assert_int_equal(cfg.outputs.redis.mode, 1); /* list */
    assert_string_equal(cfg.outputs.redis.stream_field, "eve");
    assert_string_equal(cfg.outputs.redis.key, "soc:eve");
    assert_int_equal(cfg.outputs.redis.spool_max_bytes, 65536);
    assert_string_equal(cfg.outputs.alerts_file, "/tmp/a.json");
    assert_string_equal(cfg.path, path);
    config_free(&cfg);
}

static void test_empty_file(void **state)
{
    (void)state;
    char err[256];
    struct config cfg;
    assert_int_equal(config_load(&cfg, write_file("empty.yaml", "# nothing\n"), err, sizeof(err)),
                     0);
    assert_int_equal(cfg.capture.snaplen, 1600);
    config_free(&cfg);
}

static void test_policy_include(void **state)
{
    (void)state;
    write_file("inc/learned/policy.yaml", "policy:\n"
                                          "  allow:\n"
                                          "    - {from: users, to: servers, apps: [LDAP]}\n"
                                          "    - {from: servers, to: external, ports: [123]}\n");
    const char *path = write_file("inc/main.yaml", "zones:\n"
                                                   "  - {name: users, cidrs: [10.1.0.0/16]}\n"
                                                   "  - {name: servers, cidrs: [10.2.0.0/16]}\n"
                                                   "policy:\n"
                                                   "  default: allow\n"
                                                   "  allow: [{from: users, to: external}]\n"
                                                   "  include: learned/policy.yaml\n");
    char err[4096], main_path[512];
    snprintf(main_path, sizeof(main_path), "%s", path);
    struct config cfg;
    int n = config_load(&cfg, main_path, err, sizeof(err));
    if (n) fprintf(stderr, "%s\n", err);
    assert_int_equal(n, 0);
    assert_int_equal(cfg.policy.mode, CONFIG_POLICY_ALLOW);
    assert_int_equal(cfg.policy.n_allow, 3);
    assert_string_equal(cfg.policy.allow[1].from, "users");
    assert_string_equal(cfg.policy.allow[1].apps[0], "LDAP");
    assert_int_equal(cfg.policy.allow[2].ports[0], 123);
    assert_non_null(strstr(cfg.policy.allow[2].source, "inc/learned/policy.yaml:4"));
    config_free(&cfg);

    /* Errors inside the included file name it and its lines; it may only
     * hold policy.allow. */
    write_file("inc/learned/policy.yaml", "policy:\n"
                                          "  default: deny\n"
                                          "  allow:\n"
                                          "    - {from: users, to: printers}\n");
    assert_int_equal(config_load(&cfg, main_path, err, sizeof(err)), 2);
    char expect[1024];
    snprintf(expect, sizeof(expect), "%s/inc/learned/policy.yaml:2: policy.default: unknown key",
             tmpdir);
    assert_non_null(strstr(err, expect));
    snprintf(expect, sizeof(expect),
             "%s/inc/learned/policy.yaml:4: policy.allow[0].to: unknown zone 'printers'", tmpdir);
    assert_non_null(strstr(err, expect));

    /* A list of files; a missing one is reported where it is named. */
    path = write_file("inc/two.yaml", "zones:\n"
                                      "  - {name: users, cidrs: [10.1.0.0/16]}\n"
                                      "  - {name: servers, cidrs: [10.2.0.0/16]}\n"
                                      "  - {name: printers, cidrs: [10.3.0.0/16]}\n"
                                      "policy:\n"
                                      "  include: [learned/policy.yaml, missing.yaml]\n");
    snprintf(main_path, sizeof(main_path), "%s", path);
    assert_int_equal(config_load(&cfg, main_path, err, sizeof(err)), 2);
    snprintf(expect, sizeof(expect), "%s:6: policy.include[1]: cannot read '%s/inc/missing.yaml'",
             main_path, tmpdir);
    assert_non_null(strstr(err, expect));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),       cmocka_unit_test(test_detector_ids),
        cmocka_unit_test(test_shipped_config), cmocka_unit_test(test_examples),
        cmocka_unit_test(test_error_kinds),    cmocka_unit_test(test_all_errors),
        cmocka_unit_test(test_missing_file),   cmocka_unit_test(test_values_applied),
        cmocka_unit_test(test_empty_file),     cmocka_unit_test(test_policy_include),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

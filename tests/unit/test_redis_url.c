#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "output/redis_url.h"

static struct redis_url parse_ok(const char *s)
{
    struct redis_url u;
    char err[256] = "";
    int rc = redis_url_parse(s, &u, err, sizeof(err));
    if (rc != 0) fail_msg("%s: %s", s, err);
    return u;
}

static void parse_bad(const char *s, const char *want_in_err)
{
    struct redis_url u;
    char err[256] = "";
    assert_int_equal(redis_url_parse(s, &u, err, sizeof(err)), -1);
    if (!strstr(err, want_in_err)) fail_msg("%s: error \"%s\" lacks \"%s\"", s, err, want_in_err);
}

static void test_defaults(void **state)
{
    (void)state;
    struct redis_url u = parse_ok("redis://127.0.0.1");
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 6379);
    assert_int_equal(u.db, 0);
    assert_string_equal(u.path, "");
    assert_string_equal(u.user, "");
    assert_string_equal(u.pass, "");
    u = parse_ok("redis://");
    assert_string_equal(u.host, "127.0.0.1");
    u = parse_ok("redis://localhost/");
    assert_string_equal(u.host, "localhost");
    assert_int_equal(u.db, 0);
}

static void test_full_tcp(void **state)
{
    (void)state;
    struct redis_url u = parse_ok("redis://vigie:s3cret@redis.example:6380/2");
    assert_string_equal(u.host, "redis.example");
    assert_int_equal(u.port, 6380);
    assert_int_equal(u.db, 2);
    assert_string_equal(u.user, "vigie");
    assert_string_equal(u.pass, "s3cret");

    u = parse_ok("redis://:onlypass@10.0.0.1:7000");
    assert_string_equal(u.user, "");
    assert_string_equal(u.pass, "onlypass");
    assert_int_equal(u.port, 7000);
}

static void test_password_encoding(void **state)
{
    (void)state;
    struct redis_url u = parse_ok("redis://u:p%40ss%3Aw%2Fd@h:1/0");
    assert_string_equal(u.pass, "p@ss:w/d");
    /* An unencoded '@' in the password: the last '@' ends the credentials. */
    u = parse_ok("redis://u:p@ss@h");
    assert_string_equal(u.pass, "p@ss");
    assert_string_equal(u.host, "h");
    parse_bad("redis://u:bad%4@h", "encoding");
    parse_bad("redis://u:bad%zz@h", "encoding");
    parse_bad("redis://u:nul%00@h", "encoding");
}

static void test_ipv6(void **state)
{
    (void)state;
    struct redis_url u = parse_ok("redis://[::1]:6390/3");
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 6390);
    assert_int_equal(u.db, 3);
    u = parse_ok("redis://[fd00::5]");
    assert_string_equal(u.host, "fd00::5");
    assert_int_equal(u.port, 6379);
    parse_bad("redis://[::1", "']'");
    parse_bad("redis://[::1]x", "IPv6");
}

static void test_unix(void **state)
{
    (void)state;
    struct redis_url u = parse_ok("unix:///run/redis/redis.sock");
    assert_string_equal(u.path, "/run/redis/redis.sock");
    assert_string_equal(u.host, "");
    u = parse_ok("unix://vigie:pw@/tmp/r.sock?db=4");
    assert_string_equal(u.path, "/tmp/r.sock");
    assert_string_equal(u.user, "vigie");
    assert_string_equal(u.pass, "pw");
    assert_int_equal(u.db, 4);
    u = parse_ok("unix://:pw@/tmp/r.sock");
    assert_string_equal(u.pass, "pw");
    parse_bad("unix://relative.sock", "absolute");
    parse_bad("unix:///tmp/r.sock?foo=1", "db=N");
    char longpath[300] = "unix:///";
    memset(longpath + 8, 'a', 200);
    parse_bad(longpath, "too long");
}

static void test_errors(void **state)
{
    (void)state;
    parse_bad("", "empty");
    parse_bad("http://host", "expected redis://");
    parse_bad("127.0.0.1:6379", "expected redis://");
    parse_bad("rediss://host", "TLS");
    parse_bad("redis://host:0", "port");
    parse_bad("redis://host:65536", "port");
    parse_bad("redis://host:12ab", "port");
    parse_bad("redis://host:", "port");
    parse_bad("redis://host/x", "database");
    parse_bad("redis://host/-1", "database");
    parse_bad("redis://host?x=1", "unexpected");
    parse_bad("redis://user@host", "user:password");
    parse_bad("redis://user:@host", "empty password");
    char longhost[400] = "redis://";
    memset(longhost + 8, 'h', 300);
    parse_bad(longhost, "too long");
    struct redis_url u;
    char err[256];
    assert_int_equal(redis_url_parse(NULL, &u, err, sizeof(err)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_full_tcp),
        cmocka_unit_test(test_password_encoding),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_unix),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Policy verdicts of the zone-pair matrix (SPEC section 3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "enrich/policy.h"

#define SMB 41
#define DNS 5
#define NETBIOS 10

static void test_no_matrix_means_no_verdict(void **state)
{
    (void)state;
    const char *rule;
    struct policy *p = policy_create(0, 0);
    assert_int_equal(policy_check(p, 1, 2, 0, SMB, 445, &rule), POLICY_NONE);
    policy_destroy(p);
}

static void test_default_deny_and_rules(void **state)
{
    (void)state;
    const char *rule;
    struct policy *p = policy_create(1, 0);
    struct policy_rule by_app = {
        .from = 1, .to = 2, .apps = {DNS}, .napps = 1, .source = "v.yaml:10"};
    struct policy_rule by_port = {
        .from = 1, .to = 3, .ports = {445}, .nports = 1, .source = "v.yaml:11"};
    struct policy_rule any = {.from = 4, .to = 2, .source = "v.yaml:12"};
    assert_int_equal(policy_add_rule(p, &by_app), 0);
    assert_int_equal(policy_add_rule(p, &by_port), 0);
    assert_int_equal(policy_add_rule(p, &any), 0);

    /* Same zone: the matrix does not apply. */
    assert_int_equal(policy_check(p, 2, 2, 0, SMB, 445, &rule), POLICY_NONE);
    /* By application, master or app. */
    assert_int_equal(policy_check(p, 1, 2, 0, DNS, 53, &rule), POLICY_ALLOW);
    assert_string_equal(rule, "v.yaml:10");
    assert_int_equal(policy_check(p, 1, 2, DNS, 300, 53, &rule), POLICY_ALLOW);
    assert_int_equal(policy_check(p, 1, 2, NETBIOS, SMB, 445, &rule), POLICY_DENY);
    assert_null(rule);
    /* Direction matters. */
    assert_int_equal(policy_check(p, 2, 1, 0, DNS, 53, &rule), POLICY_DENY);
    /* By server port. */
    assert_int_equal(policy_check(p, 1, 3, NETBIOS, SMB, 445, &rule), POLICY_ALLOW);
    assert_int_equal(policy_check(p, 1, 3, NETBIOS, SMB, 139, &rule), POLICY_DENY);
    /* A rule with neither list allows everything between its zones. */
    assert_int_equal(policy_check(p, 4, 2, 0, 7, 8080, &rule), POLICY_ALLOW);
    policy_destroy(p);
}

static void test_default_allow(void **state)
{
    (void)state;
    const char *rule;
    struct policy *p = policy_create(1, 1);
    assert_int_equal(policy_check(p, 1, 2, 0, SMB, 445, &rule), POLICY_ALLOW);
    assert_null(rule);
    policy_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_matrix_means_no_verdict),
        cmocka_unit_test(test_default_deny_and_rules),
        cmocka_unit_test(test_default_allow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* flow_table.c: the per-packet facts a flow record keeps beyond counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "decode/decode.h"
#include "flow/flow_table.h"
#include "test_flow_table.h"

/* Which sides sent payload: TCP and UDP data count, a ping's does not. */
static void test_payload_sides(void **state)
{
    (void)state;
    struct recorder rec = {0};
    struct flow_table *ft = make_table(64, 1u << 30, &rec, NULL);
    static const uint8_t data[4] = {1, 2, 3, 4};
    int created;

    struct packet syn = mkpkt2(6, 7, 40000, 0xFF01, 445, T0);
    struct flow *f = get_new(ft, &syn);
    assert_int_equal(f->payload, 0); /* a probe so far */
    struct packet req = mkpkt2(6, 7, 40000, 0xFF01, 445, T0 + 1);
    req.payload = data, req.payload_len = sizeof(data);
    flow_table_get(ft, &req, &created);
    assert_int_equal(f->payload, 1u << req.dir);
    struct packet rep = mkpkt2(6, 0xFF01, 445, 7, 40000, T0 + 2);
    rep.payload = data, rep.payload_len = sizeof(data);
    flow_table_get(ft, &rep, &created);
    assert_int_equal(f->payload, 3);

    struct packet ping = mkpkt2(1, 7, 0, 0xFF01, 0, T0 + 3);
    ping.payload = data, ping.payload_len = sizeof(data);
    ping.icmp_type = 8;
    struct flow *icmp = get_new(ft, &ping);
    assert_int_equal(icmp->payload, 0);
    assert_int_equal(icmp->icmp_type[ping.dir], 8);
    flow_table_destroy(ft);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_payload_sides),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

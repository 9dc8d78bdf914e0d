/* flow_table.c's emergency mode: entered near the memcap, the flows least
 * likely to matter evicted first, shortened timeouts, left under the low
 * mark; and the dpi / dissector memory counted apart. */
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

#define MEMCAP (1u << 20)

static struct flow_table_stats stats(const struct flow_table *ft)
{
    struct flow_table_stats st;
    flow_table_get_stats(ft, &st);
    return st;
}

/* A dissector's state: any address that is not one of the engine's marks. */
static char dissector_state;

/* A UDP flow from client host at time ts that carried payload; classified
 * or not, with a dissector or not. */
static struct flow *udp_flow(struct flow_table *ft, uint16_t host, uint64_t ts, int classified,
                             int dissector)
{
    struct packet p = mkpkt(17, host, 1000, 2000, ts);
    p.payload_len = 10;
    struct flow *f = get_new(ft, &p);
    assert_int_equal(f->payload, 1u << p.dir);
    f->cls.done = (uint8_t)classified;
    f->dissect.state = dissector ? &dissector_state : NULL;
    return f;
}

/* Sets the other memory so that the table counts mem bytes in all. */
static void set_mem(struct flow_table *ft, size_t *extra, uint64_t mem)
{
    uint64_t now = stats(ft).mem_bytes - *extra;
    *extra = (size_t)(mem - now);
}

static void test_emergency_evicts_least_needed(void **state)
{
    (void)state;
    size_t extra = 0;
    struct recorder rec = {0};
    struct flow_table *ft = make_table(1000, MEMCAP, &rec, &extra);
    /* Oldest first: still being classified; classified but followed by a
     * dissector; then two classified flows no dissector follows. */
    struct flow *pending = udp_flow(ft, 1, T0 + SEC(1), 0, 0);
    struct flow *dissected = udp_flow(ft, 2, T0 + SEC(2), 1, 1);
    struct flow *plain = udp_flow(ft, 3, T0 + SEC(3), 1, 0);
    struct flow *plain2 = udp_flow(ft, 4, T0 + SEC(4), 1, 0);
    uint64_t ids[4] = {pending->id, dissected->id, plain->id, plain2->id};
    assert_int_equal(stats(ft).emergency, 0);

    /* 96% of the memcap: the next new flow starts emergency mode, evicting
     * nothing yet (there is room). */
    set_mem(ft, &extra, (uint64_t)MEMCAP * 96 / 100);
    udp_flow(ft, 5, T0 + SEC(5), 0, 0);
    struct flow_table_stats st = stats(ft);
    assert_int_equal(st.emergency, 1);
    assert_int_equal(st.emergencies, 1);
    assert_int_equal(rec.n, 0);

    /* At the memcap: a new flow evicts the oldest flow least needed, not
     * the oldest flow. */
    set_mem(ft, &extra, MEMCAP);
    udp_flow(ft, 6, T0 + SEC(6), 0, 0);
    assert_int_equal(rec.n, 1);
    assert_int_equal(rec.r[0].id, ids[2]);
    assert_int_equal(rec.r[0].reason, FLOW_END_FORCED);
    set_mem(ft, &extra, MEMCAP);
    udp_flow(ft, 7, T0 + SEC(7), 0, 0);
    assert_int_equal(rec.n, 2);
    assert_int_equal(rec.r[1].id, ids[3]);
    /* None left near the old end: then the oldest, whatever it holds. */
    set_mem(ft, &extra, MEMCAP);
    udp_flow(ft, 8, T0 + SEC(8), 0, 0);
    assert_int_equal(rec.n, 3);
    assert_int_equal(rec.r[2].id, ids[0]);
    st = stats(ft);
    assert_int_equal(st.evicted, 3);
    assert_int_equal(st.emergency_evicted, 3);
    assert_int_equal(st.emergencies, 1);
    flow_table_destroy(ft);
}

/* A flow that never carried payload (a probe) goes before one that did. */
static void test_emergency_probe_first(void **state)
{
    (void)state;
    size_t extra = 0;
    struct recorder rec = {0};
    struct flow_table *ft = make_table(1000, MEMCAP, &rec, &extra);
    udp_flow(ft, 1, T0 + SEC(1), 0, 1);
    struct packet probe = mkpkt(17, 2, 1000, 2000, T0 + SEC(2));
    uint64_t probe_id = get_new(ft, &probe)->id;
    set_mem(ft, &extra, MEMCAP);
    udp_flow(ft, 3, T0 + SEC(3), 0, 0);
    assert_int_equal(rec.n, 1);
    assert_int_equal(rec.r[0].id, probe_id);
    flow_table_destroy(ft);
}

static void test_emergency_timeouts_and_recovery(void **state)
{
    (void)state;
    size_t extra = 0;
    struct recorder rec = {0};
    struct flow_table *ft = make_table(1000, MEMCAP, &rec, &extra);
    /* UDP times out after 20 s, 2 s in emergency (a tenth). */
    udp_flow(ft, 1, T0, 1, 1);
    udp_flow(ft, 2, T0 + SEC(4), 1, 1);
    set_mem(ft, &extra, (uint64_t)MEMCAP * 96 / 100);
    udp_flow(ft, 3, T0 + SEC(5), 1, 1);
    assert_int_equal(stats(ft).emergency, 1);

    /* At 5.5 s, the flow idle for 5.5 s is over its emergency timeout, the
     * one idle for 1.5 s is not; neither is over its normal one. */
    flow_table_expire(ft, T0 + SEC(5) + 500000);
    assert_int_equal(rec.n, 1);
    assert_int_equal(rec.r[0].last_us, T0);
    assert_int_equal(rec.r[0].reason, FLOW_END_TIMEOUT);
    struct flow_table_stats st = stats(ft);
    assert_int_equal(st.emergency_expired, 1);
    assert_int_equal(st.evicted, 0);

    /* Still above the low mark (80%): emergency goes on. */
    set_mem(ft, &extra, (uint64_t)MEMCAP * 85 / 100);
    flow_table_expire(ft, T0 + SEC(5) + 600000);
    assert_int_equal(stats(ft).emergency, 1);
    /* Under it: back to normal, and normal timeouts. */
    set_mem(ft, &extra, (uint64_t)MEMCAP * 70 / 100);
    flow_table_expire(ft, T0 + SEC(9));
    st = stats(ft);
    assert_int_equal(st.emergency, 0);
    assert_int_equal(rec.n, 1);
    assert_int_equal(st.active, 2);
    flow_table_expire(ft, T0 + SEC(24));
    assert_int_equal(rec.n, 2);
    assert_int_equal(rec.r[1].last_us, T0 + SEC(4));
    assert_int_equal(stats(ft).emergency_expired, 1);

    /* A second time near the cap counts a second emergency. */
    set_mem(ft, &extra, (uint64_t)MEMCAP * 99 / 100);
    udp_flow(ft, 4, T0 + SEC(24), 1, 1);
    assert_int_equal(stats(ft).emergencies, 2);
    flow_table_destroy(ft);
}

/* Configured marks and emergency timeouts. */
static void test_emergency_config(void **state)
{
    (void)state;
    size_t extra = 0;
    struct recorder rec = {0};
    struct flow_table_config cfg = {.max_flows = 1000,
                                    .memcap_bytes = MEMCAP,
                                    .on_end = record_end,
                                    .ud = &rec,
                                    .dissector_mem = &extra,
                                    .emergency_high_pct = 50,
                                    .emergency_low_pct = 30,
                                    .emergency_timeout_s = {0, 0, 7, 0}};
    memcpy(cfg.timeout_s, timeouts, sizeof(timeouts));
    char err[128] = "";
    struct flow_table *ft = flow_table_create(&cfg, err, sizeof(err));
    assert_non_null(ft);
    udp_flow(ft, 1, T0, 1, 1);
    set_mem(ft, &extra, (uint64_t)MEMCAP * 49 / 100);
    udp_flow(ft, 2, T0 + SEC(1), 1, 1);
    assert_int_equal(stats(ft).emergency, 0);
    set_mem(ft, &extra, (uint64_t)MEMCAP * 51 / 100);
    udp_flow(ft, 3, T0 + SEC(2), 1, 1);
    assert_int_equal(stats(ft).emergency, 1);
    flow_table_expire(ft, T0 + SEC(6)); /* idle 6 s < 7 s */
    assert_int_equal(rec.n, 0);
    assert_int_equal(stats(ft).emergency, 1); /* 51% > 30% */
    flow_table_expire(ft, T0 + SEC(7));
    assert_int_equal(rec.n, 1);
    set_mem(ft, &extra, (uint64_t)MEMCAP * 29 / 100);
    flow_table_expire(ft, T0 + SEC(7));
    assert_int_equal(stats(ft).emergency, 0);
    flow_table_destroy(ft);
}

/* nDPI and dissector memory: counted against the memcap with the rest,
 * and reported apart. */
static void test_dpi_and_dissector_bytes(void **state)
{
    (void)state;
    size_t dpi = 1000, dissector = 300;
    struct recorder rec = {0};
    struct flow_table_config cfg = {.max_flows = 1000,
                                    .memcap_bytes = MEMCAP,
                                    .on_end = record_end,
                                    .ud = &rec,
                                    .dpi_mem = &dpi,
                                    .dissector_mem = &dissector};
    memcpy(cfg.timeout_s, timeouts, sizeof(timeouts));
    char err[128] = "";
    struct flow_table *ft = flow_table_create(&cfg, err, sizeof(err));
    assert_non_null(ft);
    struct flow_table_stats st = stats(ft);
    assert_int_equal(st.dpi_bytes, 1000);
    assert_int_equal(st.dissector_bytes, 300);
    uint64_t base = st.mem_bytes;
    dissector = 5300;
    assert_int_equal(stats(ft).mem_bytes, base + 5000);
    /* Over the memcap through the dissectors' share: flows go, and when
     * none is left to go, the new one is dropped. */
    udp_flow(ft, 1, T0, 1, 1);
    dissector = MEMCAP;
    int created = -1;
    struct packet p = mkpkt(17, 2, 1000, 2000, T0 + 1);
    assert_null(flow_table_get(ft, &p, &created));
    assert_int_equal(rec.n, 1);
    assert_int_equal(stats(ft).dropped, 1);
    flow_table_destroy(ft);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emergency_evicts_least_needed),
        cmocka_unit_test(test_emergency_probe_first),
        cmocka_unit_test(test_emergency_timeouts_and_recovery),
        cmocka_unit_test(test_emergency_config),
        cmocka_unit_test(test_dpi_and_dissector_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

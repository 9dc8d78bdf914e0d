/* flow_index.c: the flow table's index under loads and probe distances the
 * table never lets it reach (nine tenths full, entries with 4 bits of
 * distance), checked against the slots after every insertion and removal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "flow/flow_index_internal.h"

#define N 3000

static struct flow slots[N];
static int live[N];

static void key_of(struct flow_key *k, uint32_t i)
{
    memset(k, 0, sizeof(*k));
    k->family = 4;
    k->proto = 6;
    memcpy(&k->addr[0][12], &i, sizeof(i));
    k->port[0] = (uint16_t)(i * 7919);
    k->port[1] = 80;
}

static uint32_t find(const struct flow_index *ix, uint32_t i, int *found, uint32_t *dist)
{
    struct flow_key k;
    key_of(&k, i);
    return flow_index_find(ix, slots, &k, flow_key_hash(&k), found, dist);
}

/* Every live flow is found at its own slot; no other is found. */
static void verify(const struct flow_index *ix, uint32_t upto)
{
    for (uint32_t i = 0; i < upto; i++) {
        int found;
        uint32_t dist;
        uint32_t pos = find(ix, i, &found, &dist);
        assert_int_equal(found, live[i]);
        if (found) assert_int_equal(flow_index_slot(ix, pos), i);
    }
}

static void test_index_full_and_short_distances(void **state)
{
    (void)state;
    struct flow_index ix;
    /* Slot numbers up to FLOW_INDEX_SLOTS_MAX: 28 bits, distances up to 15. */
    assert_int_equal(flow_index_init(&ix, 64, FLOW_INDEX_SLOTS_MAX), 0);
    assert_int_equal(ix.dist_max, 15);
    memset(live, 0, sizeof(live));
    uint32_t grown_for_distance = 0, n = 0;
    for (uint32_t i = 0; i < N; i++) {
        key_of(&slots[i].key, i);
        int found;
        uint32_t dist;
        if (10 * (n + 1) > 9 * (ix.mask + 1)) assert_int_equal(flow_index_grow(&ix, slots), 0);
        uint32_t pos = find(&ix, i, &found, &dist);
        assert_int_equal(found, 0);
        while (dist > ix.dist_max) {
            grown_for_distance++;
            assert_int_equal(flow_index_grow(&ix, slots), 0);
            pos = find(&ix, i, &found, &dist);
        }
        flow_index_set(&ix, pos, i, dist);
        live[i] = 1;
        n++;
        if (i % 97 == 0) verify(&ix, i + 1);
        /* Every third flow ends a little later. */
        if (i % 3 == 2) {
            uint32_t j = i - 2;
            pos = find(&ix, j, &found, &dist);
            assert_int_equal(found, 1);
            flow_index_remove(&ix, pos);
            live[j] = 0;
            n--;
        }
    }
    verify(&ix, N);
    /* At nine tenths full, chains pass 15 entries: the index grew for them. */
    assert_true(grown_for_distance > 0);
    for (uint32_t i = 0; i < N; i++) {
        if (!live[i]) continue;
        int found;
        uint32_t dist;
        uint32_t pos = find(&ix, i, &found, &dist);
        flow_index_remove(&ix, pos);
        live[i] = 0;
        if (i % 101 == 0) verify(&ix, N);
    }
    for (uint32_t i = 0; i <= ix.mask; i++)
        assert_int_equal(ix.e[i], 0);
    flow_index_free(&ix);
}

/* A table of few slots: 12 bits of slot, 20 of distance. */
static void test_index_bits(void **state)
{
    (void)state;
    struct flow_index ix;
    assert_int_equal(flow_index_init(&ix, 32, 4000), 0);
    assert_int_equal(ix.slot_bits, 12);
    assert_int_equal(ix.dist_max, (1u << 20) - 1);
    flow_index_set(&ix, 5, 3999, 7);
    assert_int_equal(flow_index_slot(&ix, 5), 3999);
    assert_int_equal(ix.e[5] >> ix.slot_bits, 7);
    flow_index_clear(&ix);
    assert_int_equal(ix.e[5], 0);
    flow_index_free(&ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_full_and_short_distances),
        cmocka_unit_test(test_index_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

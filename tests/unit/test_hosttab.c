/* hosttab: the detectors' per-host tables. Insert and find, a probe
 * window's least recently used entry replaced when full, distinct values
 * counted within a window (and the oldest replaced), the tumbling window
 * and the two-bucket sliding count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "detect/hosttab.h"

struct data {
    uint32_t hits;
};

static void key_of(uint8_t key[16], uint8_t host)
{
    memset(key, 0, 16);
    key[15] = host;
}

static void test_insert_find(void **state)
{
    (void)state;
    struct hosttab_config c = {
        .slots = 16, .probe = 4, .key_len = 16, .value_size = sizeof(struct data)};
    struct hosttab *t = hosttab_create(&c);
    assert_non_null(t);
    uint8_t k1[16], k2[16];
    key_of(k1, 1);
    key_of(k2, 2);
    assert_null(hosttab_find(t, k1, 5, 100));
    int created;
    struct data *d = hosttab_get(t, k1, 5, 100, &created);
    assert_non_null(d);
    assert_true(created);
    assert_int_equal(d->hits, 0);
    d->hits = 7;
    assert_ptr_equal(hosttab_get(t, k1, 5, 200, &created), d);
    assert_false(created);
    assert_ptr_equal(hosttab_find(t, k1, 5, 300), d);
    /* Same hash, other key: its own entry, next in the window. */
    struct data *e = hosttab_get(t, k2, 5, 300, &created);
    assert_true(created);
    assert_ptr_not_equal(e, d);
    assert_int_equal(((struct data *)hosttab_find(t, k1, 5, 400))->hits, 7);
    hosttab_destroy(t);
    /* Bad configs. */
    struct hosttab_config bad = c;
    bad.slots = 0;
    assert_null(hosttab_create(&bad));
    bad = c;
    bad.key_len = HOSTTAB_KEY_MAX + 1;
    assert_null(hosttab_create(&bad));
}

/* A full window: the entry used least recently goes, the first of equals. */
static void test_eviction_when_full(void **state)
{
    (void)state;
    struct hosttab_config c = {
        .slots = 8, .probe = 3, .key_len = 16, .value_size = sizeof(struct data)};
    struct hosttab *t = hosttab_create(&c);
    uint8_t k[6][16];
    int created;
    for (int i = 0; i < 6; i++)
        key_of(k[i], (uint8_t)(i + 1));
    /* Hash 6: slots 6, 7 and 0 (the window wraps). */
    for (int i = 0; i < 3; i++)
        ((struct data *)hosttab_get(t, k[i], 6, 100 + (uint64_t)i, &created))->hits = 1;
    hosttab_find(t, k[0], 6, 200); /* k[0] used again: k[1] is now the least recent */
    struct data *d = hosttab_get(t, k[3], 6, 300, &created);
    assert_true(created);
    assert_int_equal(d->hits, 0); /* a new entry's data is zero */
    assert_null(hosttab_find(t, k[1], 6, 301));
    assert_non_null(hosttab_find(t, k[0], 6, 302));
    assert_non_null(hosttab_find(t, k[2], 6, 303));
    assert_non_null(hosttab_find(t, k[3], 6, 304));
    /* Another window is not touched by this one filling up. */
    assert_non_null(hosttab_get(t, k[4], 2, 305, &created));
    assert_true(created);
    assert_non_null(hosttab_find(t, k[4], 2, 306));
    /* Time never goes back: a late lookup does not make an entry older. */
    hosttab_find(t, k[3], 6, 400);
    hosttab_find(t, k[3], 6, 50);
    hosttab_get(t, k[5], 6, 500, &created); /* k[0] (302) is the least recent */
    assert_true(created);
    assert_null(hosttab_find(t, k[0], 6, 501));
    assert_non_null(hosttab_find(t, k[3], 6, 502));
    assert_non_null(hosttab_find(t, k[2], 6, 503));
    hosttab_destroy(t);
}

/* probe = slots: any slot, whatever the hash (a table scanned whole). */
static void test_whole_table(void **state)
{
    (void)state;
    struct hosttab_config c = {.slots = 4, .probe = 4, .key_len = 16, .value_size = 4};
    struct hosttab *t = hosttab_create(&c);
    uint8_t k[5][16];
    int created;
    for (int i = 0; i < 5; i++) {
        key_of(k[i], (uint8_t)(i + 1));
        assert_non_null(hosttab_get(t, k[i], 0, 10 + (uint64_t)i, &created));
        assert_true(created);
    }
    assert_null(hosttab_find(t, k[0], 0, 20)); /* the oldest of four went */
    for (int i = 1; i < 5; i++)
        assert_non_null(hosttab_find(t, k[i], 0, 20));
    hosttab_destroy(t);
    /* Equally old: the first of them goes, or with ties_last the last. */
    for (int last = 0; last < 2; last++) {
        c.ties_last = (uint8_t)last;
        t = hosttab_create(&c);
        for (int i = 0; i < 4; i++)
            hosttab_get(t, k[i], 0, 30, &created);
        hosttab_get(t, k[4], 0, 31, &created);
        assert_null(hosttab_find(t, k[last ? 3 : 0], 0, 32));
        assert_non_null(hosttab_find(t, k[last ? 0 : 3], 0, 32));
        hosttab_destroy(t);
    }
}

struct name {
    char text[8];
};

static void test_distinct_values(void **state)
{
    (void)state;
    struct hosttab_config c = {.slots = 4,
                               .probe = 4,
                               .key_len = 16,
                               .value_size = sizeof(struct data),
                               .distinct = 3,
                               .item_size = sizeof(struct name)};
    struct hosttab *t = hosttab_create(&c);
    uint8_t k[16];
    key_of(k, 1);
    int created;
    void *e = hosttab_get(t, k, 0, 1, &created);
    /* Times in seconds here: 10, 20, 30. */
    struct name *n = hosttab_value_add(t, e, 0xA, 10, &created);
    assert_true(created);
    assert_string_equal(n->text, "");
    strcpy(n->text, "a");
    hosttab_value_add(t, e, 0xB, 20, &created);
    hosttab_value_add(t, e, 0xC, 30, &created);
    assert_int_equal(hosttab_values(t, e), 3);
    /* Seen less than the window ago: 40 - 10 = 30 is not < 30. */
    assert_int_equal(hosttab_value_count(t, e, 40, 30), 2);
    assert_int_equal(hosttab_value_count(t, e, 40, 31), 3);
    /* Seen again: counted once, its data kept, its time moved on. */
    n = hosttab_value_add(t, e, 0xA, 40, &created);
    assert_false(created);
    assert_string_equal(n->text, "a");
    assert_int_equal(hosttab_value_count(t, e, 40, 15), 2); /* A at 40, C at 30 */
    /* Full: a new value replaces the least recently seen (B, at 20). */
    n = hosttab_value_add(t, e, 0xD, 50, &created);
    assert_true(created);
    assert_string_equal(n->text, "");
    assert_null(hosttab_value_find(t, e, 0xB, 50));
    assert_non_null(hosttab_value_find(t, e, 0xC, 50));
    assert_int_equal(hosttab_values(t, e), 3);
    for (uint32_t i = 0; i < hosttab_values(t, e); i++)
        assert_true(hosttab_value_seen(t, e, i) >= 40);
    assert_string_equal(((struct name *)hosttab_value_data(t, e, 0))->text, "a");
    /* Cleared: a new burst counts from none. */
    hosttab_value_clear(t, e);
    assert_int_equal(hosttab_values(t, e), 0);
    assert_int_equal(hosttab_value_count(t, e, 50, 100), 0);
    assert_null(hosttab_value_find(t, e, 0xA, 50));
    /* A new entry for the key's slot starts with no values either. */
    hosttab_value_add(t, e, 0xE, 60, &created);
    uint8_t others[4][16];
    for (int i = 0; i < 4; i++) {
        key_of(others[i], (uint8_t)(10 + i));
        void *o = hosttab_get(t, others[i], 0, 100 + (uint64_t)i, &created);
        assert_true(created);
        assert_int_equal(hosttab_values(t, o), 0);
    }
    hosttab_destroy(t);
}

static void test_tumbling_window(void **state)
{
    (void)state;
    struct hosttab_window w;
    hosttab_window_open(&w, 1000);
    assert_false(hosttab_window_roll(&w, 1000, 60));
    assert_false(hosttab_window_roll(&w, 1060, 60)); /* the end is still inside */
    assert_true(hosttab_window_roll(&w, 1061, 60));
    assert_int_equal(w.start_us, 1061);
    assert_false(hosttab_window_roll(&w, 1100, 60));
}

static void test_sliding_rate(void **state)
{
    (void)state;
    struct hosttab_rate r;
    hosttab_rate_open(&r, 0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(hosttab_rate_add(&r, (uint64_t)i * 10, 100, 1), (uint32_t)i + 1);
    /* Next bucket, a quarter in: 1 + 10 * 3/4. */
    assert_int_equal(hosttab_rate_add(&r, 125, 100, 1), 8);
    /* Two windows of silence: everything forgotten. */
    assert_int_equal(hosttab_rate_add(&r, 400, 100, 1), 1);
    /* Time going back counts at the bucket start. */
    assert_int_equal(hosttab_rate_add(&r, 300, 100, 1), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insert_find),     cmocka_unit_test(test_eviction_when_full),
        cmocka_unit_test(test_whole_table),     cmocka_unit_test(test_distinct_values),
        cmocka_unit_test(test_tumbling_window), cmocka_unit_test(test_sliding_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

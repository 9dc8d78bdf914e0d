/* The correlator's host index (corr_index.c) against a brute-force model:
 * random memberships added and removed, some on their address's chain,
 * through growth and backward-shift deletions; every lookup and every
 * chain checked after each step. Then settings changed at run time. */
#include "test_correlate.h"
#include "correlate/correlate_internal.h"

#define N_ADDR 300
#define N_INC 40
#define STEPS 20000

struct model {
    uint8_t in[N_ADDR][N_INC];     /* membership present */
    uint32_t host[N_ADDR][N_INC];  /* its value */
    uint32_t link[N_ADDR][N_INC];  /* CORR_NONE: not on the chain */
    uint8_t origin[N_ADDR][N_INC]; /* on the chain as an origin */
};

static void addr_of(int a, uint8_t *family, uint8_t addr[16])
{
    memset(addr, 0, 16);
    /* Half IPv4-mapped, half IPv6 with the same low bytes: the family is
     * part of the key. */
    *family = a % 2 ? 6 : 4;
    if (*family == 4)
        addr[10] = addr[11] = 0xFF;
    else
        addr[0] = 0xfd;
    addr[14] = (uint8_t)(a >> 8);
    addr[15] = (uint8_t)a;
}

static void check_all(const struct corr_index *ix, const struct model *m)
{
    for (int a = 0; a < N_ADDR; a++) {
        uint8_t family, addr[16];
        addr_of(a, &family, addr);
        size_t on_chain = 0;
        for (int i = 0; i < N_INC; i++) {
            uint32_t h = corr_index_find(ix, family, addr, (uint32_t)i);
            assert_int_equal(h, m->in[a][i] ? m->host[a][i] : CORR_NONE);
            on_chain += m->link[a][i] != CORR_NONE;
        }
        /* The chain holds exactly the model's links, origins first. */
        size_t n = 0;
        int seen_other = 0;
        for (uint32_t k = corr_index_first(ix, family, addr); k != CORR_NONE;
             k = ix->members[k].next) {
            uint32_t inc = ix->members[k].inc;
            assert_true(inc < N_INC);
            assert_int_equal(m->link[a][inc], k);
            assert_int_equal(ix->members[k].host, m->host[a][inc]);
            if (m->origin[a][inc])
                assert_false(seen_other);
            else
                seen_other = 1;
            n++;
        }
        assert_int_equal(n, on_chain);
    }
}

static void test_index_model(void **state)
{
    (void)state;
    struct corr_index ix;
    struct model *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    assert_int_equal(corr_index_init(&ix), 0);
    for (int a = 0; a < N_ADDR; a++)
        for (int i = 0; i < N_INC; i++)
            m->link[a][i] = CORR_NONE;
    uint32_t s = 7;
    for (int step = 0; step < STEPS; step++) {
        s = s * 1103515245u + 12345u;
        int a = (int)((s >> 8) % N_ADDR), i = (int)((s >> 20) % N_INC);
        uint8_t family, addr[16];
        addr_of(a, &family, addr);
        /* Grow for the first half, then mostly shrink. */
        int add = step < STEPS / 2 ? (s & 3) != 0 : (s & 3) == 0;
        if (add && !m->in[a][i]) {
            uint32_t host = s % 128;
            assert_int_equal(corr_index_add(&ix, family, addr, (uint32_t)i, host), 0);
            m->in[a][i] = 1;
            m->host[a][i] = host;
            if (s & 16) {
                int origin = (s & 32) != 0;
                uint32_t k = corr_index_activate(&ix, family, addr, (uint32_t)i, host, origin);
                assert_int_not_equal(k, CORR_NONE);
                m->link[a][i] = k;
                m->origin[a][i] = (uint8_t)origin;
            }
        } else if (!add && m->in[a][i]) {
            corr_index_remove(&ix, family, addr, (uint32_t)i, m->link[a][i]);
            m->in[a][i] = 0;
            m->link[a][i] = CORR_NONE;
        }
        if (step % 500 == 0 || step == STEPS - 1) check_all(&ix, m);
    }
    assert_true(ix.cap_mem > 256); /* it grew */
    for (int a = 0; a < N_ADDR; a++)
        for (int i = 0; i < N_INC; i++)
            if (m->in[a][i]) {
                uint8_t family, addr[16];
                addr_of(a, &family, addr);
                corr_index_remove(&ix, family, addr, (uint32_t)i, m->link[a][i]);
            }
    assert_int_equal(ix.used_mem, 0);
    assert_int_equal(ix.used, 0);
    corr_index_free(&ix);
    free(m);
}

/* max_open lowered at run time: the oldest incidents close at once. */
static void test_configure_shrinks(void **state)
{
    (void)state;
    struct harness h;
    harness_open(&h, 3600, 32);
    for (int i = 0; i < 20; i++) {
        char src[32];
        snprintf(src, sizeof(src), "10.1.0.%d", 1 + i);
        struct corr_event e =
            event(h.z, CORR_ALERT, T0 + (uint64_t)i * SEC, src, "10.2.0.1", "kerb", KERB);
        assert_int_equal(feed(&h, &e, NULL), 1);
    }
    struct corr_settings set = {.enabled = 1, .timeout_s = 3600, .max_open = 16};
    correlate_configure(h.c, &set, h.z, "span-test");
    correlate_publish(h.c);
    assert_int_equal(h.r.n, 24);
    for (int i = 0; i < 4; i++) {
        struct jv *v = rec(&h.r, 20 + (size_t)i);
        char ip[32];
        snprintf(ip, sizeof(ip), "10.1.0.%d", 1 + i);
        assert_string_equal(jstr(v, "incident.origin"), ip);
        assert_string_equal(jstr(v, "incident.state"), "closed");
        jfree(v);
    }
    struct correlate_stats st;
    correlate_get_stats(h.c, &st);
    assert_int_equal(st.open, 16);
    assert_int_equal(st.evicted, 4);
    /* A longer window applies to the incidents already open. */
    set.timeout_s = 7200;
    correlate_configure(h.c, &set, h.z, "span-test");
    correlate_tick(h.c, T0 + 5000 * SEC);
    correlate_get_stats(h.c, &st);
    assert_int_equal(st.open, 16);
    correlate_tick(h.c, T0 + 7300 * SEC);
    correlate_get_stats(h.c, &st);
    assert_int_equal(st.open, 0);
    assert_int_equal(st.closed, 20);
    harness_close(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_model),
        cmocka_unit_test(test_configure_shrinks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

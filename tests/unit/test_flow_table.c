/* flow_table.c: lookup in both directions, expiry per timeout class,
 * eviction at capacity and at the memcap, flush order, and a randomized
 * stress run checking the open-addressing index against a model. */
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

static struct flow_table_stats stats(const struct flow_table *ft)
{
    struct flow_table_stats st;
    flow_table_get_stats(ft, &st);
    return st;
}

static void test_create_errors(void **state)
{
    (void)state;
    struct flow_table_config cfg = {.max_flows = 1000, .memcap_bytes = 100};
    char err[128] = "";
    assert_null(flow_table_create(&cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "memcap"));
    cfg.max_flows = 0;
    cfg.memcap_bytes = 1u << 30;
    assert_null(flow_table_create(&cfg, err, sizeof(err)));
}

static void test_both_directions(void **state)
{
    (void)state;
    struct recorder rec = {0};
    struct flow_table *ft = make_table(64, 1u << 30, &rec, NULL);
    struct packet syn = mkpkt2(6, 7, 40000, 0xFF01, 443, T0);
    struct packet ack = mkpkt2(6, 0xFF01, 443, 7, 40000, T0 + 10);
    assert_int_not_equal(syn.dir, ack.dir);

    struct flow *f = get_new(ft, &syn);
    int created = -1;
    assert_ptr_equal(flow_table_get(ft, &ack, &created), f);
    assert_int_equal(created, 0);
    assert_int_equal(f->first_us, T0);
    assert_int_equal(f->last_us, T0 + 10);
    assert_int_equal(f->fclass, FLOW_TCP);
    assert_memory_equal(&f->key, &syn.key, sizeof(f->key));
    assert_ptr_equal(flow_table_lookup(ft, &syn.key), f);

    struct packet other = mkpkt(6, 7, 40001, 443, T0);
    assert_null(flow_table_lookup(ft, &other.key));
    struct packet udp = mkpkt(17, 7, 40000, 443, T0); /* same addresses and ports */
    assert_null(flow_table_lookup(ft, &udp.key));
    assert_int_equal(get_new(ft, &udp)->fclass, FLOW_UDP);
    struct packet gre = mkpkt(47, 7, 0, 0, T0);
    assert_int_equal(get_new(ft, &gre)->fclass, FLOW_OTHER);

    struct flow_table_stats st = stats(ft);
    assert_int_equal(st.created, 3);
    assert_int_equal(st.active, 3);
    assert_int_equal(st.ended, 0);
    assert_int_equal(st.capacity, 64);
    assert_int_equal(rec.n, 0);
    flow_table_destroy(ft);
}

/* Expires at now_us and checks that exactly the flow with id ended. */
static void expire_expect(struct flow_table *ft, struct recorder *rec, uint64_t now_us,
                          const struct flow *gone)
{
    int before = rec->n;
    uint64_t id = gone ? gone->id : 0;
    flow_table_expire(ft, now_us);
    assert_int_equal(rec->n, before + (gone ? 1 : 0));
    if (!gone) return;
    assert_int_equal(rec->r[before].id, id);
    assert_int_equal(rec->r[before].reason, FLOW_END_TIMEOUT);
}

static void test_expire_per_class(void **state)
{
    (void)state;
    struct recorder rec = {0};
    struct flow_table *ft = make_table(64, 1u << 30, &rec, NULL);
    struct packet p[4] = {mkpkt(6, 1, 1000, 80, T0), mkpkt(6, 2, 1000, 80, T0),
                          mkpkt(17, 3, 1000, 53, T0), mkpkt(47, 4, 0, 0, T0)};
    struct flow *tcp = get_new(ft, &p[0]), *closed = get_new(ft, &p[1]);
    struct flow *udp = get_new(ft, &p[2]), *other = get_new(ft, &p[3]);
    flow_table_set_class(ft, closed, FLOW_TCP_CLOSED);

    expire_expect(ft, &rec, T0 + SEC(5) - 1, NULL);
    expire_expect(ft, &rec, T0 + SEC(5) + 1, closed);
    assert_null(flow_table_lookup(ft, &p[1].key));
    assert_ptr_equal(flow_table_lookup(ft, &p[0].key), tcp);
    expire_expect(ft, &rec, T0 + SEC(10) - 1, NULL);
    expire_expect(ft, &rec, T0 + SEC(10) + 1, other);
    /* A packet on the UDP flow restarts its idle time. */
    int created;
    assert_ptr_equal(flow_table_get(ft, &p[2], &created), udp);
    p[2].ts_us = T0 + SEC(15);
    flow_table_get(ft, &p[2], &created);
    expire_expect(ft, &rec, T0 + SEC(20) + 1, NULL);
    expire_expect(ft, &rec, T0 + SEC(35) + 1, udp);
    expire_expect(ft, &rec, T0 + SEC(40) - 1, NULL);
    assert_ptr_equal(flow_table_lookup(ft, &p[0].key), tcp);
    expire_expect(ft, &rec, T0 + SEC(40) + 1, tcp);

    struct flow_table_stats st = stats(ft);
    assert_int_equal(st.active, 0);
    assert_int_equal(st.ended, 4);
    assert_int_equal(st.evicted, 0);
    flow_table_destroy(ft);
}

static void test_set_class_shortens_timeout(void **state)
{
    (void)state;
    struct recorder rec = {0};
    struct flow_table *ft = make_table(64, 1u << 30, &rec, NULL);
    struct packet a = mkpkt(6, 1, 1000, 80, T0), b = mkpkt(6, 2, 1000, 80, T0 + 1);
    struct flow *fa = get_new(ft, &a), *fb = get_new(ft, &b);
    flow_table_set_class(ft, fb, FLOW_TCP);        /* same class: no change */
    flow_table_set_class(ft, fb, FLOW_TCP_CLOSED); /* after a FIN from each side */
    flow_table_set_class(ft, fb, FLOW_TCP_CLOSED);
    assert_int_equal(fb->fclass, FLOW_TCP_CLOSED);
    expire_expect(ft, &rec, T0 + SEC(6), fb);
    assert_ptr_equal(flow_table_lookup(ft, &a.key), fa);
    /* A closed flow can be reopened on the same key as a new flow. */
    b.ts_us = T0 + SEC(7);
    assert_ptr_not_equal(get_new(ft, &b), NULL);
    assert_int_equal(stats(ft).created, 3);
    flow_table_destroy(ft);
}

static void test_evict_at_capacity(void **state)
{
    (void)state;
    struct recorder rec = {0};
    struct flow_table *ft = make_table(16, 1u << 30, &rec, NULL);
    struct packet p[18];
    struct flow *f[18];
    /* 15 UDP flows at 0..14 s (deadlines 20..34 s) and one other-protocol
     * flow at 8 s (deadline 18 s): that one is nearest its timeout. */
    for (int i = 0; i < 18; i++)
        p[i] = i < 15 ? mkpkt(17, (uint16_t)i, 5000, 53, T0 + SEC(i))
                      : mkpkt(i == 15 ? 47 : 6, (uint16_t)i, 1, 2, T0 + SEC(i == 15 ? 8 : i - 1));
    for (int i = 0; i < 16; i++)
        f[i] = get_new(ft, &p[i]);
    assert_int_equal(stats(ft).active, 16);
    assert_int_equal(rec.n, 0);

    uint64_t other_id = f[15]->id, oldest_udp_id = f[0]->id;
    f[16] = get_new(ft, &p[16]);
    assert_int_equal(rec.n, 1);
    assert_int_equal(rec.r[0].id, other_id);
    assert_int_equal(rec.r[0].reason, FLOW_END_FORCED);
    assert_null(flow_table_lookup(ft, &p[15].key));

    get_new(ft, &p[17]);
    assert_int_equal(rec.n, 2);
    assert_int_equal(rec.r[1].id, oldest_udp_id);
    assert_int_equal(rec.r[1].reason, FLOW_END_FORCED);
    assert_null(flow_table_lookup(ft, &p[0].key));
    for (int i = 1; i < 15; i++)
        assert_ptr_equal(flow_table_lookup(ft, &p[i].key), f[i]);
    assert_ptr_equal(flow_table_lookup(ft, &p[16].key), f[16]);

    struct flow_table_stats st = stats(ft);
    assert_int_equal(st.evicted, 2);
    assert_int_equal(st.ended, 2);
    assert_int_equal(st.created, 18);
    assert_int_equal(st.active, 16);
    flow_table_destroy(ft);
}

static void test_memcap(void **state)
{
    (void)state;
    const uint64_t memcap = 1u << 20;
    size_t extra = 0;
    struct recorder rec = {0};
    struct flow_table *ft = make_table(1000, memcap, &rec, &extra);
    assert_int_equal(stats(ft).capacity, 1000);
    /* What the table counts: its index, then each flow's slot. */
    const uint64_t base = stats(ft).mem_bytes;
    new_udp(ft, 0);
    const uint64_t slot = stats(ft).mem_bytes - base;
    assert_true(slot >= sizeof(struct flow));
    flow_table_flush(ft, FLOW_END_EOF);
    rec.n = 0;

    /* Other per-flow memory (nDPI state) leaves room for exactly 10 flows. */
    extra = (size_t)(memcap - base - 10 * slot);
    for (uint16_t host = 1; host <= 10; host++)
        new_udp(ft, host);
    assert_int_equal(rec.n, 0);
    assert_int_equal(stats(ft).mem_bytes, memcap);
    new_udp(ft, 11);
    assert_int_equal(rec.n, 1);
    assert_int_equal(rec.r[0].reason, FLOW_END_FORCED);
    assert_int_equal(rec.r[0].last_us, T0 + 1); /* the oldest */
    assert_int_equal(stats(ft).mem_bytes, memcap);

    /* The other memory grows by three slots' worth: the next creation
     * evicts enough for it and for the new flow. */
    extra += (size_t)(3 * slot);
    new_udp(ft, 12);
    struct flow_table_stats st = stats(ft);
    assert_int_equal(rec.n, 1 + 4);
    assert_int_equal(st.active, 7);
    assert_int_equal(st.evicted, 5);
    assert_true(st.mem_bytes <= memcap);
    for (int i = 1; i < rec.n; i++)
        assert_int_equal(rec.r[i].last_us, T0 + 1 + (uint64_t)i); /* oldest first */

    /* Nothing left to evict that would make room: the packet is dropped. */
    extra = (size_t)memcap;
    int created = -1;
    struct packet last = mkpkt(17, 13, 1, 2, T0 + 13);
    assert_null(flow_table_get(ft, &last, &created));
    st = stats(ft);
    assert_int_equal(st.active, 0);
    assert_int_equal(st.dropped, 1);
    assert_int_equal(st.ended, st.created);
    flow_table_destroy(ft);
}

/* Per-flow state that grows after creation (dissector tables) and is
 * freed when the flow ends, as the pipeline keeps dissector_mem current. */
struct grower {
    size_t extra;
    size_t per_flow[64]; /* by client host */
    int ended[64];
    int n_ended;
};

static void grower_end(struct flow *f, enum flow_end_reason reason, void *ud)
{
    (void)reason;
    struct grower *g = ud;
    uint16_t host = f->key.addr[0][15];
    g->extra -= g->per_flow[host];
    g->per_flow[host] = 0;
    g->ended[g->n_ended++] = host;
}

/* Live flows growing past the memcap: a packet of one of them evicts the
 * least recently used others, never itself, and no more than needed (the
 * freed state is counted as it goes). */
static void test_memcap_live_growth(void **state)
{
    (void)state;
    struct grower g = {0};
    struct flow_table_config cfg = {
        .max_flows = 64, .memcap_bytes = 1u << 20, .on_end = grower_end, .ud = &g};
    cfg.dissector_mem = &g.extra;
    memcpy(cfg.timeout_s, timeouts, sizeof(timeouts));
    char err[128];
    struct flow_table *ft = flow_table_create(&cfg, err, sizeof(err));
    assert_non_null(ft);
    for (uint16_t host = 1; host <= 10; host++)
        new_udp(ft, host);
    const uint64_t base = stats(ft).mem_bytes;
    /* Each flow's state grows by 110 KiB: flows 1..10 would hold 1100 KiB. */
    for (uint16_t host = 1; host <= 10; host++) {
        g.per_flow[host] = 110u << 10;
        g.extra += 110u << 10;
    }
    assert_true(base + g.extra > cfg.memcap_bytes);
    /* A packet of the oldest flow: the next oldest ones go until under. */
    int created = -1;
    struct packet p = mkpkt(17, 1, 1, 2, T0 + 100);
    struct flow *f = flow_table_get(ft, &p, &created);
    assert_non_null(f);
    assert_int_equal(created, 0);
    struct flow_table_stats st = stats(ft);
    assert_true(st.mem_bytes <= cfg.memcap_bytes);
    assert_int_equal(g.n_ended, 1);
    assert_int_equal(g.ended[0], 2);
    assert_int_equal(st.evicted, 1);
    assert_int_equal(st.active, 9);
    /* The packet's flow alone over the memcap: it stays, others go. */
    g.per_flow[1] += 2u << 20;
    g.extra += 2u << 20;
    f = flow_table_get(ft, &p, &created);
    assert_non_null(f);
    assert_int_equal(stats(ft).active, 1);
    assert_int_equal(g.n_ended, 9);
    flow_table_flush(ft, FLOW_END_EOF);
    assert_int_equal(g.extra, 0);
    flow_table_destroy(ft);
}

static void test_flush_oldest_first(void **state)
{
    (void)state;
    struct recorder rec = {0};
    struct flow_table *ft = make_table(64, 1u << 30, &rec, NULL);
    static const uint8_t protos[] = {6, 17, 47, 6, 17, 47, 6, 6, 17, 1};
    struct packet p[10];
    for (int i = 0; i < 10; i++) {
        p[i] = mkpkt(protos[i], (uint16_t)i, 1, 2, T0 + SEC(i));
        struct flow *f = get_new(ft, &p[i]);
        if (i == 3) flow_table_set_class(ft, f, FLOW_TCP_CLOSED);
    }
    /* Later packets on flows 0 and 4 make them the newest. */
    int created;
    p[0].ts_us = T0 + SEC(10);
    flow_table_get(ft, &p[0], &created);
    p[4].ts_us = T0 + SEC(11);
    flow_table_get(ft, &p[4], &created);

    flow_table_flush(ft, FLOW_END_EOF);
    assert_int_equal(rec.n, 10);
    for (int i = 0; i < rec.n; i++) {
        assert_int_equal(rec.r[i].reason, FLOW_END_EOF);
        if (i && rec.r[i - 1].last_us >= rec.r[i].last_us)
            fail_msg("flush #%d (last packet at %llu s) came after a flow last seen at %llu s", i,
                     (unsigned long long)((rec.r[i].last_us - T0) / 1000000u),
                     (unsigned long long)((rec.r[i - 1].last_us - T0) / 1000000u));
    }
    assert_int_equal(rec.r[9].last_us, T0 + SEC(11));
    struct flow_table_stats st = stats(ft);
    assert_int_equal(st.active, 0);
    assert_int_equal(st.ended, 10);
    for (int i = 0; i < 10; i++)
        assert_null(flow_table_lookup(ft, &p[i].key));
    flow_table_destroy(ft);
}

/* Flush: within a second, the LRU lists are not in last-packet order; the
 * flush is, also with more flows in one second than its first buffer. */
struct order_check {
    uint64_t last_us, id;
    int n, out_of_order;
};

static void check_order(struct flow *f, enum flow_end_reason reason, void *ud)
{
    struct order_check *oc = ud;
    (void)reason;
    if (oc->n && (f->last_us < oc->last_us || (f->last_us == oc->last_us && f->id < oc->id)))
        oc->out_of_order++;
    oc->last_us = f->last_us;
    oc->id = f->id;
    oc->n++;
}

/* A table of max_flows flows whose ends check_order checks. */
static struct flow_table *order_table(struct order_check *oc, uint32_t max_flows)
{
    struct flow_table_config cfg = {
        .max_flows = max_flows, .memcap_bytes = 1u << 30, .on_end = check_order, .ud = oc};
    memcpy(cfg.timeout_s, timeouts, sizeof(timeouts));
    char err[128];
    struct flow_table *ft = flow_table_create(&cfg, err, sizeof(err));
    assert_non_null(ft);
    return ft;
}

static void test_flush_exact_within_a_second(void **state)
{
    (void)state;
    struct order_check oc = {0};
    struct flow_table *ft = order_table(&oc, 10000);
    enum { N = 6000 };
    int created;
    for (int i = 0; i < N; i++) {
        struct packet p = mkpkt((i & 1) ? 6 : 17, (uint16_t)i, 1, 2, T0 + (uint64_t)i);
        get_new(ft, &p);
    }
    /* Packets in the same second, newest flow first: last-packet order is
     * the reverse of the lists'. */
    for (int i = N - 1; i >= 0; i--) {
        struct packet p = mkpkt((i & 1) ? 6 : 17, (uint16_t)i, 1, 2, T0 + 10000 + (N - 1 - i));
        flow_table_get(ft, &p, &created);
    }
    /* And a few flows of the next second. */
    for (int i = 0; i < 3; i++) {
        struct packet p = mkpkt(17, (uint16_t)(N + i), 1, 2, T0 + SEC(1) + 10 - (uint64_t)i);
        get_new(ft, &p);
    }
    flow_table_flush(ft, FLOW_END_EOF);
    assert_int_equal(oc.n, N + 3);
    assert_int_equal(oc.out_of_order, 0);
    assert_int_equal(stats(ft).active, 0);
    flow_table_destroy(ft);
}

/* Last packets scattered over a second, two flows at each time: by time,
 * then flow id (the sort's runs, merges and ties). */
/* Ties on the last packet, scattered: n flows in one second. */
static void flush_scattered_ties(int n)
{
    struct order_check oc = {0};
    struct flow_table *ft = order_table(&oc, (uint32_t)n + 1);
    int created;
    for (int i = 0; i < n; i++) {
        struct packet p = mkpkt(17, (uint16_t)i, 1, 2, T0 + (uint64_t)i);
        get_new(ft, &p);
    }
    for (int i = 0; i < n; i++) {
        uint64_t t = T0 + 100000 + (uint64_t)(((uint64_t)i * 7919) % (uint64_t)(n / 2));
        struct packet p = mkpkt(17, (uint16_t)i, 1, 2, t);
        flow_table_get(ft, &p, &created);
    }
    flow_table_flush(ft, FLOW_END_EOF);
    assert_int_equal(oc.n, n);
    assert_int_equal(oc.out_of_order, 0);
    flow_table_destroy(ft);
}

/* Also more flows in a second than the sort takes at once (16384): sorted
 * chunks, merged. */
static void test_flush_scattered_ties(void **state)
{
    (void)state;
    flush_scattered_ties(5001);
    flush_scattered_ties(40001);
}

static void test_end_reason_names(void **state)
{
    (void)state;
    assert_string_equal(flow_end_reason_name(FLOW_END_TIMEOUT), "timeout");
    assert_string_equal(flow_end_reason_name(FLOW_END_EOF), "eof");
    assert_string_equal(flow_end_reason_name(FLOW_END_FORCED), "forced");
}

/* ---- stress: the table against a model ----------------------------------- */

#define STRESS_FLOWS 200000
#define STRESS_CAP 100000

static struct stress {
    uint8_t state[STRESS_FLOWS]; /* 0 not created yet, 1 live, 2 ended */
    uint8_t fclass[STRESS_FLOWS];
    uint64_t last_us[STRESS_FLOWS];
    uint64_t now_us, ends[3];
    uint32_t live;
} S;

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

/* Flow i's key: random-looking but reproducible, unique per i, and already
 * in canonical order (endpoint 0 starts with 0x10, endpoint 1 with 0x20). */
static struct packet stress_pkt(uint32_t i, uint64_t ts_us)
{
    struct packet p;
    uint64_t h = (i + 1) * 0xD6E8FEB86659FD93ull;
    memset(&p, 0, sizeof(p));
    p.key.family = 6;
    p.key.proto = i % 3 == 0 ? 6 : i % 3 == 1 ? 17 : 47;
    p.key.addr[0][0] = 0x10;
    memcpy(p.key.addr[0] + 8, &h, 8);
    p.key.addr[1][0] = 0x20;
    memcpy(p.key.addr[1] + 12, &i, 4);
    p.key.port[0] = (uint16_t)(h >> 48);
    p.key.port[1] = (uint16_t)(h >> 32);
    p.ts_us = ts_us;
    return p;
}

static void stress_end(struct flow *f, enum flow_end_reason reason, void *ud)
{
    (void)ud;
    uint32_t i = (uint32_t)((uintptr_t)f->dissect.state - 1);
    assert_true(i < STRESS_FLOWS);
    assert_int_equal(S.state[i], 1);
    assert_int_equal(f->last_us, S.last_us[i]);
    assert_int_equal(f->fclass, S.fclass[i]);
    /* A timed-out flow was idle for at least its class timeout. */
    if (reason == FLOW_END_TIMEOUT)
        assert_true(S.last_us[i] + SEC(timeouts[S.fclass[i]]) <= S.now_us);
    S.state[i] = 2;
    S.ends[reason]++;
    S.live--;
}

static void stress_verify(struct flow_table *ft, uint32_t created)
{
    for (uint32_t i = 0; i < created; i++) {
        struct packet p = stress_pkt(i, 0);
        struct flow *f = flow_table_lookup(ft, &p.key);
        if (S.state[i] == 2) {
            assert_null(f);
            continue;
        }
        assert_non_null(f);
        assert_int_equal((uintptr_t)f->dissect.state, i + 1);
        assert_int_equal(f->last_us, S.last_us[i]);
        /* Expiry leaves no flow behind that is overdue by a second or more
         * (the LRU lists need only be ordered to the second). */
        uint64_t idle = S.now_us - S.last_us[i];
        if (idle >= SEC(timeouts[S.fclass[i]] + 1))
            fail_msg("flow %u (class %u, timeout %u s) still live after %.3f s idle", i,
                     S.fclass[i], timeouts[S.fclass[i]], (double)idle / 1e6);
    }
    struct flow_table_stats st = stats(ft);
    assert_int_equal(st.active, S.live);
    assert_int_equal(st.created, created);
}

static void test_stress(void **state)
{
    (void)state;
    struct flow_table_config cfg = {
        .max_flows = STRESS_CAP, .memcap_bytes = 1ull << 34, .on_end = stress_end};
    memcpy(cfg.timeout_s, timeouts, sizeof(timeouts));
    char err[128];
    struct flow_table *ft = flow_table_create(&cfg, err, sizeof(err));
    assert_non_null(ft);
    memset(&S, 0, sizeof(S));
    S.now_us = T0;
    uint32_t created = 0;
    for (uint32_t op = 0; created < STRESS_FLOWS; op++) {
        S.now_us += rnd() % 200;
        uint32_t r = rnd() % 100, i = created ? rnd() % created : 0;
        struct packet p = stress_pkt(r < 60 ? created : i, S.now_us);
        int was_created = -1;
        if (r < 60) { /* a new flow */
            struct flow *f = flow_table_get(ft, &p, &was_created);
            assert_non_null(f);
            assert_int_equal(was_created, 1);
            f->dissect.state = (void *)(uintptr_t)(created + 1);
            S.state[created] = 1;
            S.fclass[created] = f->fclass;
            S.last_us[created] = S.now_us;
            S.live++;
            created++;
        } else if (S.state[i] != 1) { /* ended: gone for good */
            assert_null(flow_table_lookup(ft, &p.key));
        } else if (r < 85) { /* a packet on a live flow */
            struct flow *f = flow_table_get(ft, &p, &was_created);
            assert_int_equal(was_created, 0);
            assert_int_equal((uintptr_t)f->dissect.state, i + 1);
            S.last_us[i] = S.now_us;
        } else if (r < 95) { /* ended by the caller */
            flow_table_end(ft, flow_table_lookup(ft, &p.key), FLOW_END_EOF);
        } else if (p.key.proto == 6) { /* a FIN or RST closes a TCP flow */
            flow_table_set_class(ft, flow_table_get(ft, &p, &was_created), FLOW_TCP_CLOSED);
            S.last_us[i] = S.now_us;
            S.fclass[i] = FLOW_TCP_CLOSED;
        }
        if (op % 1000 == 999) flow_table_expire(ft, S.now_us);
        if (op % 50000 == 49999) {
            flow_table_expire(ft, S.now_us);
            stress_verify(ft, created);
        }
    }
    flow_table_expire(ft, S.now_us);
    stress_verify(ft, created);
    /* Every way out was taken: timeouts, caller ends, evictions. */
    struct flow_table_stats st = stats(ft);
    assert_true(S.ends[FLOW_END_TIMEOUT] > 1000);
    assert_true(S.ends[FLOW_END_EOF] > 1000);
    assert_true(S.ends[FLOW_END_FORCED] > 1000);
    assert_int_equal(st.evicted, S.ends[FLOW_END_FORCED]);
    assert_int_equal(st.ended, S.ends[0] + S.ends[1] + S.ends[2]);
    flow_table_flush(ft, FLOW_END_EOF);
    assert_int_equal(S.live, 0);
    stress_verify(ft, created);
    flow_table_destroy(ft);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_both_directions),
        cmocka_unit_test(test_expire_per_class),
        cmocka_unit_test(test_set_class_shortens_timeout),
        cmocka_unit_test(test_evict_at_capacity),
        cmocka_unit_test(test_memcap),
        cmocka_unit_test(test_memcap_live_growth),
        cmocka_unit_test(test_flush_oldest_first),
        cmocka_unit_test(test_flush_exact_within_a_second),
        cmocka_unit_test(test_flush_scattered_ties),
        cmocka_unit_test(test_end_reason_names),
        cmocka_unit_test(test_stress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

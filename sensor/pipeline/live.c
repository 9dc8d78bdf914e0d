/* Live capture with a handle per worker (docs/workers.md "Live capture"):
 * each worker thread reads its own handle of one fanout group, decodes and
 * runs its flows, and hands its records over in blocks; this thread runs
 * the correlation stage on them as they come (there is no packet number
 * across handles) and the caller's periodic work. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/capture.h"
#include "pipeline_internal.h"

#define HANDOFF_US 20000u       /* a worker hands its records over this often */
#define RECORDS_MAX (64u << 20) /* a worker's block of records, if the stage falls behind */
#define STAGE_SLEEP_NS 5000000L /* the stage looks for blocks this often */
#define CALLER_TICK_US 100000u

struct live_worker {
    struct pipeline *p;
    unsigned index;
    struct capture *cap;
    pthread_t thread;
    int started;
    struct worker *w;
    /* Two blocks: the worker writes one while the stage reads the other
     * (handed: 1 while the stage holds it). */
    struct recbuf rb[2];
    unsigned cur;
    _Atomic uint32_t handed;
    _Atomic uint32_t exited;
    uint32_t zones_gen; /* the reload whose zones this worker uses */
    _Atomic uint32_t zones_taken;
    uint64_t seq, last_handoff_us;
    struct packet_clock clock;
    /* Its decode counters and its worker's, as of the last block handed. */
    struct pipeline_stats st, st_handed;
    struct worker_stats ws_handed;
    int rc;
    char err[256];
};

struct live {
    struct live_worker lw[MAX_WORKERS];
    unsigned n;
};

static uint64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* --- worker side ---------------------------------------------------------- */

static void handoff(struct live_worker *lw, uint64_t now)
{
    lw->last_handoff_us = now;
    if (atomic_load_explicit(&lw->handed, memory_order_acquire)) return; /* the stage is busy */
    if (!lw->rb[lw->cur].len) return;
    lw->st_handed = lw->st;
    worker_get_stats(lw->w, &lw->ws_handed);
    lw->cur ^= 1u;
    recbuf_reset(&lw->rb[lw->cur]);
    worker_set_records(lw->w, &lw->rb[lw->cur]);
    atomic_store_explicit(&lw->handed, 1, memory_order_release);
}

static void live_packet(void *ud, int dlt, uint64_t ts_us, uint32_t caplen, uint32_t wire_len,
                        const uint8_t *data)
{
    struct live_worker *lw = ud;
    lw->seq++;
    if (packet_clock_advance(&lw->clock, &ts_us)) worker_tick(lw->w, lw->seq, ts_us);
    struct packet pkt;
    if (!decode_counted(&lw->st, lw->p->vlan_mask, dlt, ts_us, caplen, wire_len, data, &pkt))
        return;
    worker_packet(lw->w, &pkt, lw->seq);
}

static void live_tick(void *ud)
{
    struct live_worker *lw = ud;
    struct pipeline *p = lw->p;
    uint64_t now = wall_us();
    uint32_t gen = atomic_load_explicit(&p->zones_gen, memory_order_acquire);
    if (gen != lw->zones_gen) {
        /* A reload: the stage's new zones, published before gen. */
        worker_set_zones(lw->w, stage_zones(p->stage));
        lw->zones_gen = gen;
        atomic_store_explicit(&lw->zones_taken, gen, memory_order_release);
    }
    /* No packet moved time forward: the wall clock does. */
    if (packet_clock_wall(&lw->clock, now)) worker_tick(lw->w, lw->seq, now);
    if (now - lw->last_handoff_us >= HANDOFF_US || now < lw->last_handoff_us) handoff(lw, now);
}

static void *live_main(void *arg)
{
    struct live_worker *lw = arg;
    lw->rc = capture_run(lw->cap, live_packet, lw, live_tick, lw, lw->err, sizeof(lw->err));
    atomic_store_explicit(&lw->exited, 1, memory_order_release);
    return NULL;
}

/* --- stage side ------------------------------------------------------------- */

static void take_block(struct pipeline *p, struct live_worker *lw)
{
    if (!atomic_load_explicit(&lw->handed, memory_order_acquire)) return;
    const struct recbuf *rb = &lw->rb[lw->cur ^ 1u];
    const struct record *r;
    for (size_t off = 0; (r = recbuf_at(rb, off)); off += r->len)
        stage_record(p->stage, r);
    p->ws[lw->index] = lw->ws_handed;
    p->live_st[lw->index] = lw->st_handed;
    atomic_store_explicit(&lw->handed, 0, memory_order_release);
}

static void stage_second(struct pipeline *p, uint64_t now)
{
    if (now < p->clock.now_us + EXPIRE_EVERY_US) return;
    p->clock.now_us = now;
    stage_tick(p->stage, now);
}

int pipeline_run_live(struct pipeline *p, struct capture *const *caps, unsigned n,
                      void (*tick)(void *), void *tick_ud, char *err, size_t errlen)
{
    if (n != p->nworkers || n > MAX_WORKERS) {
        snprintf(err, errlen, "%u capture handles for %u workers", n, p->nworkers);
        return -1;
    }
    /* The run's, until live_finish (or pipeline_destroy) frees it. */
    struct live *run = calloc(1, sizeof(*run));
    if (!run) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    run->n = n;
    p->live_run = run;
    for (unsigned i = 0; i < n; i++) {
        struct live_worker *lw = &run->lw[i];
        *lw = (struct live_worker){.p = p, .index = i, .cap = caps[i], .w = p->w[i]};
        lw->rb[0].max = lw->rb[1].max = RECORDS_MAX;
        worker_set_records(lw->w, &lw->rb[0]);
        if (pthread_create(&lw->thread, NULL, live_main, lw) != 0) {
            snprintf(err, errlen, "cannot start worker thread %u", i);
            for (unsigned j = 0; j < i; j++)
                capture_stop(caps[j]);
            n = i;
            break;
        }
        lw->started = 1;
    }
    uint64_t next_caller = 0;
    unsigned running = n;
    while (running) {
        running = 0;
        for (unsigned i = 0; i < n; i++) {
            struct live_worker *lw = &run->lw[i];
            take_block(p, lw);
            running += !atomic_load_explicit(&lw->exited, memory_order_acquire);
        }
        uint64_t now = wall_us();
        stage_second(p, now);
        if (now >= next_caller) {
            tick(tick_ud);
            next_caller = now + CALLER_TICK_US;
        }
        if (running) nanosleep(&(struct timespec){0, STAGE_SLEEP_NS}, NULL);
    }
    int rc = 0;
    for (unsigned i = 0; i < run->n; i++) {
        struct live_worker *lw = &run->lw[i];
        if (!lw->started) {
            rc = -1;
            continue;
        }
        pthread_join(lw->thread, NULL);
        take_block(p, lw);
        /* What the worker wrote since its last block. */
        const struct recbuf *rb = &lw->rb[lw->cur];
        const struct record *r;
        for (size_t off = 0; (r = recbuf_at(rb, off)); off += r->len)
            stage_record(p->stage, r);
        recbuf_reset(&lw->rb[lw->cur]);
        p->live_st[i] = lw->st;
        worker_get_stats(lw->w, &p->ws[i]);
        if (lw->rc != 0 && rc == 0) {
            snprintf(err, errlen, "%s", lw->err);
            rc = -1;
        }
    }
    return rc;
}

/* Whether every worker took the zones of the last reload. */
static int zones_taken(const struct live *run, uint32_t gen)
{
    for (unsigned i = 0; i < run->n; i++)
        if (!atomic_load_explicit(&run->lw[i].exited, memory_order_acquire) &&
            atomic_load_explicit(&run->lw[i].zones_taken, memory_order_acquire) != gen)
            return 0;
    return 1;
}

int live_reload(struct pipeline *p, const struct config *cfg, char *err, size_t errlen)
{
    uint32_t gen = atomic_load_explicit(&p->zones_gen, memory_order_relaxed);
    if (!zones_taken(p->live_run, gen)) {
        snprintf(err, errlen, "the previous reload is still being applied; try again");
        return -1;
    }
    /* The zones of two reloads ago are no worker's any more. */
    stage_release_old_zones(p->stage);
    if (stage_reload(p->stage, cfg, err, errlen) != 0) return -1;
    atomic_store_explicit(&p->zones_gen, gen + 1, memory_order_release);
    return 0;
}

/* The end of a live run: every worker's flows end (its thread is gone). */
void live_finish(struct pipeline *p, enum flow_end_reason reason)
{
    struct live *run = p->live_run;
    uint64_t now = 0;
    for (unsigned i = 0; i < run->n; i++)
        if (run->lw[i].clock.now_us > now) now = run->lw[i].clock.now_us;
    pipeline_end_all(p, reason, now);
    stage_finish(p->stage);
    live_free(p);
}

void live_free(struct pipeline *p)
{
    struct live *run = p->live_run;
    if (!run) return;
    for (unsigned i = 0; i < run->n; i++) {
        recbuf_free(&run->lw[i].rb[0]);
        recbuf_free(&run->lw[i].rb[1]);
    }
    free(run);
    p->live_run = NULL;
}

/* The data path, reader side (docs/workers.md): packets are decoded here,
 * handed in batches to the workers their flows hash to, and the workers'
 * records go through the correlation stage merged in packet order. One
 * worker runs in this thread; more run in their own threads. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include "batch.h"
#include "pipeline.h"
#include "pipeline_internal.h"
#include "stage.h"
#include "worker.h"

#define BATCH_WAIT_US 100000u
#define HEAP_WHOLE (64 << 20)     /* glibc's largest heap of a thread's arena */
#define GLIBC_TOP_PAD (128 << 10) /* glibc's default M_TOP_PAD */
/* Packets ahead whose flow lookup is readied (worker_prefetch). */
#define PREFETCH_FAR 8
#define PREFETCH_NEAR 4

/* --- the batch being filled --------------------------------------------- */

static void batch_clear(struct pipeline *p, struct batch *b)
{
    b->arena_len = 0;
    b->packets = 0;
    b->nitems = 0;
    b->nticks = 0;
    for (unsigned i = 0; i < p->nworkers; i++) {
        b->list[i].n = 0;
        recbuf_reset(&b->rec[i]);
    }
}

static void add_tick(struct pipeline *p, uint64_t ts_us)
{
    struct batch *b = p->cur;
    struct batch_item *it = &b->items[b->nitems];
    *it = (struct batch_item){.seq = p->seq, .tick = 1};
    it->pkt.ts_us = ts_us;
    for (unsigned i = 0; i < p->nworkers; i++)
        b->list[i].at[b->list[i].n++] = b->nitems;
    b->nitems++;
    b->ticks[b->nticks++] = (struct batch_tick){p->seq, ts_us};
}

/* The worker a flow key goes to: a hash of the canonical key's two
 * addresses (and VLAN), so both directions agree and every flow between
 * two hosts is on one worker, with the nDPI caches that name one such flow
 * from another (docs/workers.md). */
static unsigned worker_of(const struct pipeline *p, const struct flow_key *k)
{
    if (p->nworkers == 1) return 0;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ k->vlan;
    const uint64_t *w = (const uint64_t *)(const void *)k->addr;
    for (size_t i = 0; i < sizeof(k->addr) / 8; i++) {
        h ^= w[i];
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
    }
    return (unsigned)(((h >> 32) * p->nworkers) >> 32);
}
_Static_assert(sizeof(((struct flow_key *)0)->addr) % 8 == 0, "addresses hash as words");

/* --- merge: the stage takes the records of a batch in packet order -------- */

static int cmp_tick_end(const void *a, const void *b)
{
    const struct record *x = *(const struct record *const *)a,
                        *y = *(const struct record *const *)b;
    if (x->flow.first_us != y->flow.first_us) return x->flow.first_us < y->flow.first_us ? -1 : 1;
    if (x->flow.id != y->flow.id) return x->flow.id < y->flow.id ? -1 : 1;
    /* One worker's records of one flow keep their order. */
    return (uintptr_t)x < (uintptr_t)y ? -1 : (uintptr_t)x > (uintptr_t)y;
}

struct cursor {
    const struct recbuf *rb;
    size_t off;
};

static const struct record *head(const struct cursor *c)
{
    return recbuf_at(c->rb, c->off);
}

/* Packet records before packet number limit, in packet order. */
static void merge_packets(struct pipeline *p, struct cursor *c, uint64_t limit)
{
    for (;;) {
        unsigned best = p->nworkers;
        uint64_t best_seq = limit;
        for (unsigned i = 0; i < p->nworkers; i++) {
            const struct record *r = head(&c[i]);
            if (r && r->phase == PHASE_PACKET && r->seq < best_seq) best = i, best_seq = r->seq;
        }
        if (best == p->nworkers) return;
        /* One worker made every record of a packet: take them all. */
        const struct record *r;
        while ((r = head(&c[best])) && r->phase == PHASE_PACKET && r->seq == best_seq) {
            stage_record(p->stage, r);
            c[best].off += r->len;
        }
    }
}

static int grow_sorted(struct pipeline *p, size_t n)
{
    if (n <= p->sorted_cap) return 0;
    size_t cap = p->sorted_cap ? p->sorted_cap : 1024;
    while (cap < n)
        cap *= 2;
    const struct record **s = realloc(p->sorted, cap * sizeof(*s));
    if (!s) return -1;
    p->sorted = s;
    p->sorted_cap = cap;
    return 0;
}

/* The flow ends of the tick (or end) at packet number seq, from every
 * worker, by (first seen, flow id): as many tables as workers, one order. */
static void merge_tick_ends(struct pipeline *p, struct cursor *c, uint64_t seq)
{
    size_t n = 0;
    for (unsigned i = 0; i < p->nworkers; i++) {
        const struct record *r;
        for (size_t off = c[i].off;
             (r = recbuf_at(c[i].rb, off)) && r->phase == PHASE_TICK_END && r->seq == seq;
             off += r->len)
            n++;
    }
    if (!n) return;
    int sort = grow_sorted(p, n) == 0;
    size_t k = 0;
    for (unsigned i = 0; i < p->nworkers; i++) {
        const struct record *r;
        while ((r = head(&c[i])) && r->phase == PHASE_TICK_END && r->seq == seq) {
            if (sort)
                p->sorted[k++] = r;
            else
                stage_record(p->stage, r); /* out of memory: in worker order */
            c[i].off += r->len;
        }
    }
    if (!sort) return;
    qsort(p->sorted, k, sizeof(*p->sorted), cmp_tick_end);
    for (size_t i = 0; i < k; i++)
        stage_record(p->stage, p->sorted[i]);
}

static void merge(struct pipeline *p, struct batch *b)
{
    struct cursor c[MAX_WORKERS];
    for (unsigned i = 0; i < p->nworkers; i++) {
        c[i] = (struct cursor){&b->rec[i], 0};
        p->ws[i] = b->wstats[i];
    }
    for (uint32_t t = 0; t < b->nticks; t++) {
        merge_packets(p, c, b->ticks[t].seq);
        merge_tick_ends(p, c, b->ticks[t].seq);
        stage_tick(p->stage, b->ticks[t].ts_us);
    }
    merge_packets(p, c, FINAL_SEQ);
}

/* --- running a batch ------------------------------------------------------ */

static void run_list(struct worker *w, struct batch *b, unsigned i)
{
    worker_set_records(w, &b->rec[i]);
    const struct batch_list *l = &b->list[i];
    for (uint32_t k = 0; k < l->n; k++) {
        const struct batch_item *it = &b->items[l->at[k]];
        const struct batch_item *far =
            k + PREFETCH_FAR < l->n ? &b->items[l->at[k + PREFETCH_FAR]] : NULL;
        const struct batch_item *near =
            k + PREFETCH_NEAR < l->n ? &b->items[l->at[k + PREFETCH_NEAR]] : NULL;
        worker_prefetch(w, far && !far->tick ? &far->pkt : NULL,
                        near && !near->tick ? &near->pkt : NULL);
        if (it->tick)
            worker_tick(w, it->seq, it->pkt.ts_us);
        else
            worker_packet(w, &it->pkt, it->seq);
    }
    worker_get_stats(w, &b->wstats[i]);
}

static void *worker_main(void *arg)
{
    struct worker_thread *t = arg;
    struct pipeline *p = t->p;
    /* This thread's heap, made while M_TOP_PAD is HEAP_WHOLE (volatile: a
     * malloc freed unused is no call at all to the compiler). */
    void *volatile first = malloc(1);
    free(first);
    atomic_fetch_add_explicit(&p->heaps, 1, memory_order_release);
    batch_wake(&p->heaps);
    for (uint32_t n = 0;; n++) {
        batch_wait(&p->published, n + 1, p->spins);
        if (atomic_load_explicit(&p->quit, memory_order_acquire)) return NULL;
        run_list(p->w[t->index], &p->slots[n % BATCH_SLOTS], t->index);
        atomic_store_explicit(&p->done[t->index], n + 1, memory_order_release);
        batch_wake(&p->done[t->index]);
    }
}

/* Merges the oldest batch not merged yet, once every worker is done. */
static void merge_next(struct pipeline *p)
{
    uint32_t n = p->merged;
    if (p->threaded)
        for (unsigned i = 0; i < p->nworkers; i++)
            batch_wait(&p->done[i], n + 1, p->spins);
    merge(p, &p->slots[n % BATCH_SLOTS]);
    p->merged = n + 1;
}

static int start_threads(struct pipeline *p);

/* Hands the batch being filled to the workers and starts the next one.
 * Worker threads start with the first batch; without them (one worker, or
 * threads refused) the batch runs here, worker after worker. */
static void submit(struct pipeline *p)
{
    struct batch *b = p->cur;
    if (p->threaded && !p->threads[0].started && start_threads(p) != 0) p->threaded = 0;
    if (!p->threaded) {
        for (unsigned i = 0; i < p->nworkers; i++)
            run_list(p->w[i], b, i);
        p->filling++;
        merge_next(p);
    } else {
        p->filling++;
        atomic_store_explicit(&p->published, p->filling, memory_order_release);
        batch_wake(&p->published);
        /* The older batch is merged while the workers process this one. */
        while (p->filling - p->merged >= BATCH_SLOTS)
            merge_next(p);
    }
    p->cur = &p->slots[p->filling % BATCH_SLOTS];
    batch_clear(p, p->cur);
    p->pending_since_us = 0; /* the age of the batch being filled */
}

/* Every batch submitted is merged: the workers are idle. */
static void drain(struct pipeline *p)
{
    if (p->cur->packets || p->cur->nticks) submit(p);
    while (p->merged != p->filling)
        merge_next(p);
}

/* --- the reader ------------------------------------------------------------- */

int decode_counted(struct pipeline_stats *st, uint16_t vlan_mask, int dlt, uint64_t ts_us,
                   uint32_t caplen, uint32_t wire_len, const uint8_t *data, struct packet *pkt)
{
    st->packets++;
    st->bytes += wire_len;
    enum decode_result r = decode_packet(dlt, data, caplen, pkt);
    if (r != DECODE_OK) {
        st->decode[r]++;
        return 0;
    }
    pkt->key.vlan &= vlan_mask;
    pkt->ts_us = ts_us;
    pkt->wire_len = wire_len;
    st->offloaded += pkt->offloaded;
    st->decapsulated += pkt->decapsulated != 0;
    return 1;
}

/* One worker: it runs in this thread on each packet as it comes, decoded
 * in the capture's buffer (no copy, no batch), and the stage takes its
 * records at once, a tick's flow ends sorted as with several workers. */
static void take_inline(struct pipeline *p, uint64_t seq)
{
    if (!p->inline_rb.len) return;
    struct cursor c = {&p->inline_rb, 0};
    merge_tick_ends(p, &c, seq);
    merge_packets(p, &c, FINAL_SEQ);
    recbuf_reset(&p->inline_rb);
}

static void tick_inline(struct pipeline *p, uint64_t ts_us)
{
    worker_tick(p->w[0], p->seq, ts_us);
    take_inline(p, p->seq);
    stage_tick(p->stage, ts_us);
    worker_get_stats(p->w[0], &p->ws[0]);
}

static void packet_inline(struct pipeline *p, int dlt, uint64_t ts_us, uint32_t caplen,
                          uint32_t wire_len, const uint8_t *data)
{
    p->seq++;
    if (packet_clock_advance(&p->clock, &ts_us)) tick_inline(p, ts_us);
    struct packet pkt;
    if (!decode_counted(&p->st, p->vlan_mask, dlt, ts_us, caplen, wire_len, data, &pkt)) return;
    worker_packet(p->w[0], &pkt, p->seq);
    take_inline(p, p->seq);
}

void pipeline_packet(void *ud, int dlt, uint64_t ts_us, uint32_t caplen, uint32_t wire_len,
                     const uint8_t *data)
{
    struct pipeline *p = ud;
    if (p->nworkers == 1) {
        packet_inline(p, dlt, ts_us, caplen, wire_len, data);
        return;
    }
    struct batch *b = p->cur;
    if (b->packets + b->nticks >= BATCH_PACKETS || b->arena_len + caplen > BATCH_ARENA) {
        submit(p);
        b = p->cur;
    }
    p->seq++;
    if (packet_clock_advance(&p->clock, &ts_us)) add_tick(p, ts_us);
    if (caplen > BATCH_ARENA) caplen = BATCH_ARENA; /* never: snaplen is smaller */
    unsigned char *frame = b->arena + b->arena_len;
    memcpy(frame, data, caplen);
    /* Decoded where the worker reads it: a copy of a packet just written
     * field by field stalls on every load. */
    struct batch_item *it = &b->items[b->nitems];
    if (!decode_counted(&p->st, p->vlan_mask, dlt, ts_us, caplen, wire_len, frame, &it->pkt))
        return;
    it->seq = p->seq;
    it->tick = 0;
    b->arena_len += (caplen + 7u) & ~7u;
    b->packets++;
    struct batch_list *l = &b->list[worker_of(p, &it->pkt.key)];
    l->at[l->n++] = b->nitems++;
}

void pipeline_tick(struct pipeline *p, uint64_t wall_us)
{
    if (p->live_run) return; /* its workers tick themselves (live.c) */
    /* No packet moved time forward: the wall clock does. */
    if (p->live && packet_clock_wall(&p->clock, wall_us)) {
        if (p->nworkers == 1)
            tick_inline(p, wall_us);
        else
            add_tick(p, wall_us);
    }
    if (p->nworkers == 1) {
        worker_get_stats(p->w[0], &p->ws[0]);
        return;
    }
    /* Packets (live, or a paced replay) do not wait long for a full batch:
     * what they cause reaches the outputs within BATCH_WAIT_US. */
    if (!p->cur->packets && !p->cur->nticks) {
        p->pending_since_us = 0;
    } else if (!p->pending_since_us) {
        p->pending_since_us = wall_us;
    } else if (wall_us - p->pending_since_us >= BATCH_WAIT_US || wall_us < p->pending_since_us) {
        drain(p);
        p->pending_since_us = 0;
    }
}

int pipeline_finish(struct pipeline *p, enum flow_end_reason reason)
{
    if (p->live_run) {
        live_finish(p, reason);
        return p->out ? outputs_flush(p->out) : 0;
    }
    /* Every batch merged: the workers are idle, their tables ours. */
    drain(p);
    pipeline_end_all(p, reason, p->clock.now_us);
    stage_finish(p->stage);
    return p->out ? outputs_flush(p->out) : 0;
}

/* --- life cycle --------------------------------------------------------------- */

static void stop_threads(struct pipeline *p)
{
    atomic_store_explicit(&p->quit, 1, memory_order_release);
    atomic_fetch_add_explicit(&p->published, 1, memory_order_release);
    batch_wake(&p->published);
    for (unsigned i = 0; i < p->nworkers; i++)
        if (p->threads[i].started) {
            pthread_join(p->threads[i].thread, NULL);
            p->threads[i].started = 0;
        }
}

static int start_threads(struct pipeline *p)
{
    /* The workers, the reader (with the stage) and the file's read-ahead:
     * on fewer CPUs a spinning thread takes the time of the one it waits
     * for (on 2 CPUs, 2 workers ran 8% faster without spinning). */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    p->spins = cpus > (long)p->nworkers + 2 ? BATCH_SPINS : 0;
    /* A worker thread's malloc heap is made writable whole when it is
     * created (64 MiB of address space, resident only as it is used), not
     * a page at a time as its flows' states accumulate: each growth is an
     * mprotect that takes the address space's lock for writing and waits
     * for the file's read-ahead, which holds it while it maps a window
     * (2,555 calls and 42 ms of workers blocked on the short-flow mix).
     * The padding is glibc's default again once every heap is made, so
     * that heaps are trimmed as before. */
    mallopt(M_TOP_PAD, HEAP_WHOLE);
    unsigned started = 0;
    for (unsigned i = 0; i < p->nworkers; i++) {
        struct worker_thread *t = &p->threads[i];
        *t = (struct worker_thread){.p = p, .index = i};
        int rc = pthread_create(&t->thread, NULL, worker_main, t);
        if (rc != 0) {
            fprintf(stderr, "vigie: cannot start worker thread %u (%s): workers run in turn\n", i,
                    strerror(rc));
            break;
        }
        t->started = 1;
        started++;
    }
    batch_wait(&p->heaps, started, 0);
    mallopt(M_TOP_PAD, GLIBC_TOP_PAD);
    if (started < p->nworkers) {
        stop_threads(p);
        return -1;
    }
    return 0;
}

static int alloc_slots(struct pipeline *p)
{
    for (int s = 0; s < BATCH_SLOTS; s++) {
        struct batch *b = &p->slots[s];
        /* A tick may come before the last packet. */
        if (!(b->arena = malloc(BATCH_ARENA)) ||
            !(b->items = malloc((BATCH_PACKETS + 2) * sizeof(*b->items))))
            return -1;
        for (unsigned i = 0; i < p->nworkers; i++)
            if (!(b->list[i].at = malloc((BATCH_PACKETS + 2) * sizeof(*b->list[i].at)))) return -1;
    }
    return 0;
}

struct pipeline *pipeline_create(const struct config *cfg, const struct pipeline_options *opt,
                                 char *err, size_t errlen)
{
    struct pipeline *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->live = opt->live;
    p->vlan_mask = cfg->flows.track_vlan ? 0x0FFF : 0;
    p->nworkers = opt->workers ? opt->workers : 1;
    if (p->nworkers > MAX_WORKERS) p->nworkers = MAX_WORKERS;
    p->threaded = p->nworkers > 1;
    /* The stage's zones are the workers'; its protocol names worker 0's. */
    struct worker *w0 = worker_create(cfg, p->nworkers, NULL, err, errlen);
    if (!w0) goto fail;
    p->w[0] = w0;
    if (!(p->stage = stage_create(cfg, opt->learn, worker_classifier(w0), err, errlen))) goto fail;
    worker_set_zones(w0, stage_zones(p->stage));
    for (unsigned i = 1; i < p->nworkers; i++)
        if (!(p->w[i] = worker_create(cfg, p->nworkers, stage_zones(p->stage), err, errlen)))
            goto fail;
    if (p->nworkers > 1 && alloc_slots(p) != 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    p->cur = &p->slots[0];
    worker_set_records(p->w[0], &p->inline_rb);
    return p;
fail:
    pipeline_destroy(p);
    return NULL;
}

void pipeline_stop(struct pipeline *p)
{
    if (p->threads[0].started) stop_threads(p);
}

void pipeline_destroy(struct pipeline *p)
{
    if (!p) return;
    pipeline_stop(p);
    live_free(p);
    for (unsigned i = 0; i < p->nworkers; i++)
        worker_destroy(p->w[i]);
    stage_destroy(p->stage);
    for (int s = 0; s < BATCH_SLOTS; s++) {
        free(p->slots[s].arena);
        free(p->slots[s].items);
        for (unsigned i = 0; i < MAX_WORKERS; i++) {
            free(p->slots[s].list[i].at);
            recbuf_free(&p->slots[s].rec[i]);
        }
    }
    recbuf_free(&p->inline_rb);
    free(p->sorted);
    free(p);
}

void pipeline_set_datalink(struct pipeline *p, int dlt)
{
    p->dlt = dlt;
}

void pipeline_set_outputs(struct pipeline *p, struct outputs *out)
{
    p->out = out;
    stage_set_outputs(p->stage, out);
}

int pipeline_reload(struct pipeline *p, const struct config *cfg, char *err, size_t errlen)
{
    if (p->live_run) return live_reload(p, cfg, err, errlen);
    /* The workers are idle once every batch is merged. */
    drain(p);
    if (stage_reload(p->stage, cfg, err, errlen) != 0) return -1;
    for (unsigned i = 0; i < p->nworkers; i++)
        worker_set_zones(p->w[i], stage_zones(p->stage));
    stage_release_old_zones(p->stage);
    return 0;
}

int pipeline_write_learned(struct pipeline *p, const char *path, const char *source, char *err,
                           size_t errlen)
{
    return stage_write_learned(p->stage, path, source, err, errlen);
}

unsigned pipeline_workers(const struct pipeline *p)
{
    return p->nworkers;
}

void pipeline_get_stats(const struct pipeline *p, struct pipeline_stats *st)
{
    *st = p->st;
    for (unsigned i = 0; i < p->nworkers; i++) {
        const struct pipeline_stats *l = &p->live_st[i];
        st->packets += l->packets;
        st->bytes += l->bytes;
        for (int k = 0; k < DECODE_RESULT_MAX; k++)
            st->decode[k] += l->decode[k];
        st->offloaded += l->offloaded;
        st->decapsulated += l->decapsulated;
        const struct worker_stats *w = &p->ws[i];
        st->flows_created += w->flows.created;
        st->flows_ended += w->flows.ended;
        st->flows_evicted += w->flows.evicted;
        st->flows_dropped += w->flows.dropped;
        st->flows_active += w->flows.active;
        st->mem_bytes += w->flows.mem_bytes;
        st->classifying += w->cls.active_states;
        st->dpi_bytes += w->dpi_bytes;
        st->dissector_bytes += w->dissector_bytes;
        st->records_lost += w->records_lost;
        st->emergencies += w->flows.emergencies;
        st->emergency_evicted += w->flows.emergency_evicted;
        st->emergency_expired += w->flows.emergency_expired;
        st->emergency += w->flows.emergency;
        st->dpi_shed += w->cls.shed;
    }
    struct stage_stats ss;
    stage_get_stats(p->stage, &ss);
    st->alerts = ss.alerts;
    st->allowed_flows = ss.allowed_flows;
    st->incidents = ss.incidents;
    st->incidents_open = ss.incidents_open;
    st->incident_records = ss.incident_records;
    st->output_errors += ss.output_errors;
}

/* The pipeline's parts, for its two drivers: pipeline.c (files, stdin and
 * one live handle: this thread reads and decodes) and live.c (live
 * capture with a fanout handle per worker: each worker reads its own). */
#ifndef VIGIE_PIPELINE_INTERNAL_H
#define VIGIE_PIPELINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "batch.h"
#include "pipeline.h"
#include "stage.h"
#include "worker.h"

#define EXPIRE_EVERY_US 1000000u

struct live;

/* Packet time of one reader (this thread's, or a live worker's): it never
 * goes back, and a tick is due once a second of it. */
struct packet_clock {
    uint64_t now_us, next_expire_us;
};

/* Clamps *ts_us to the clock; 1 when a second passed (not at the first packet). */
static inline int packet_clock_advance(struct packet_clock *c, uint64_t *ts_us)
{
    if (*ts_us < c->now_us) *ts_us = c->now_us;
    c->now_us = *ts_us;
    if (*ts_us < c->next_expire_us) return 0;
    int due = c->next_expire_us != 0;
    c->next_expire_us = *ts_us + EXPIRE_EVERY_US;
    return due;
}

/* Live, when no packet moved time forward for a second: the wall clock
 * does; 1 when it did (a tick is due). */
static inline int packet_clock_wall(struct packet_clock *c, uint64_t wall_us)
{
    if (wall_us <= c->now_us + EXPIRE_EVERY_US) return 0;
    c->now_us = wall_us;
    c->next_expire_us = wall_us + EXPIRE_EVERY_US;
    return 1;
}

/* Decodes a frame into pkt, counted in st (packets, bytes, decode
 * results, offloaded, decapsulated), its key's VLAN id masked with
 * vlan_mask; 1 if it goes on to a worker. */
int decode_counted(struct pipeline_stats *st, uint16_t vlan_mask, int dlt, uint64_t ts_us,
                   uint32_t caplen, uint32_t wire_len, const uint8_t *data, struct packet *pkt);

struct worker_thread {
    struct pipeline *p;
    unsigned index;
    pthread_t thread;
    int started;
};

struct pipeline {
    struct stage *stage;
    struct outputs *out; /* main's; records are handed to it */
    struct worker *w[MAX_WORKERS];
    unsigned nworkers;
    int threaded;
    struct worker_thread threads[MAX_WORKERS];
    struct batch slots[BATCH_SLOTS];
    /* Batches published to the workers, and done by each (counters). */
    _Atomic uint32_t published;
    _Atomic uint32_t done[MAX_WORKERS];
    _Atomic int quit;
    _Atomic uint32_t heaps;       /* worker threads whose malloc heap is made */
    unsigned spins;               /* before a wait sleeps: none when threads outnumber CPUs */
    uint32_t filling;             /* the batch being filled */
    uint32_t merged;              /* batches merged */
    struct batch *cur;            /* slots[filling % BATCH_SLOTS] */
    struct recbuf inline_rb;      /* one worker: its records, taken at once */
    const struct record **sorted; /* a tick's flow ends, to sort */
    size_t sorted_cap;
    int dlt;
    int live;
    uint16_t vlan_mask; /* of the flow key's VLAN id: 0 when flows.track_vlan is off */
    uint64_t seq;       /* packets read */
    struct packet_clock clock;
    uint64_t pending_since_us; /* wall time the batch being filled was first seen */
    struct pipeline_stats st;
    struct worker_stats ws[MAX_WORKERS];        /* as of the last batch merged */
    struct live *live_run;                      /* live.c's, while it runs */
    struct pipeline_stats live_st[MAX_WORKERS]; /* each live worker's decode counters */
    /* A reload whose zones the live workers have not all taken yet. */
    _Atomic uint32_t zones_gen;
};

/* The sequence number of what happens after the last packet. */
#define FINAL_SEQ UINT64_MAX

/* Ends every flow of every (idle) worker, oldest first across them (last
 * packet, then flow id), the stage taking each flow's records at once. */
void pipeline_end_all(struct pipeline *p, enum flow_end_reason reason, uint64_t ts_us);
/* live.c: the flows of every live worker end, then aggregates and incidents. */
void live_finish(struct pipeline *p, enum flow_end_reason reason);
/* The run's memory, if live_finish did not free it (pipeline_destroy). */
void live_free(struct pipeline *p);
/* live.c: SIGHUP while the live workers run; each takes the new zones at
 * its next tick. */
int live_reload(struct pipeline *p, const struct config *cfg, char *err, size_t errlen);

#endif

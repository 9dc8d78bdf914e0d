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
    uint32_t filling;             /* the batch being filled */
    uint32_t merged;              /* batches merged */
    struct batch *cur;            /* slots[filling % BATCH_SLOTS] */
    const struct record **sorted; /* a tick's flow ends, to sort */
    size_t sorted_cap;
    int dlt;
    int live;
    uint64_t seq; /* packets read */
    uint64_t now_us, next_expire_us;
    uint64_t pending_since_us; /* wall time the batch being filled was first seen */
    struct pipeline_stats st;
    struct worker_stats ws[MAX_WORKERS];        /* as of the last batch merged */
    struct live *live_run;                      /* live.c's, while it runs */
    struct pipeline_stats live_st[MAX_WORKERS]; /* each live worker's decode counters */
    /* A reload whose zones the live workers have not all taken yet. */
    _Atomic uint32_t zones_gen;
};

/* live.c: the flows of every live worker end, then aggregates and incidents. */
void live_finish(struct pipeline *p, enum flow_end_reason reason);
/* live.c: SIGHUP while the live workers run; each takes the new zones at
 * its next tick. */
int live_reload(struct pipeline *p, const struct config *cfg, char *err, size_t errlen);

#endif

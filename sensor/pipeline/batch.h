/* Batches: how the reader hands packets to the workers and the workers
 * their records to the correlation stage (docs/workers.md). A batch holds
 * the frames it was filled with (copied once into its arena, which never
 * moves, so decoded packets point into it), its packets and ticks in
 * order with one list of their places per worker, one record buffer per
 * worker, and the ticks in order. */
#ifndef VIGIE_BATCH_H
#define VIGIE_BATCH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/packet.h"
#include "flow/flow_table.h"
#include "record.h"
#include "worker.h"

#define BATCH_PACKETS 2048u
#define BATCH_ARENA (8u << 20) /* frames of a batch; more than the largest snaplen */
#define BATCH_SLOTS 6          /* filled and merged, and up to five processed meanwhile */
#define MAX_WORKERS 64

struct batch_item {
    struct packet pkt; /* a tick: its time only */
    uint64_t seq;
    uint8_t tick;
};

struct batch_tick {
    uint64_t seq, ts_us;
};

/* A worker's part of a batch: its packets' and the ticks' places in items. */
struct batch_list {
    uint32_t *at;
    uint32_t n;
};

struct batch {
    unsigned char *arena;
    size_t arena_len;
    uint32_t packets;
    /* Packets (decoded in place: no copy) and ticks in capture order. */
    struct batch_item *items;
    uint32_t nitems;
    struct batch_list list[MAX_WORKERS];
    struct recbuf rec[MAX_WORKERS];
    struct worker_stats wstats[MAX_WORKERS]; /* as each worker left the batch */
    struct batch_tick ticks[BATCH_PACKETS + 1];
    uint32_t nticks;
};

/* Wait for *word to reach target (spinning up to spins pauses, then on a
 * futex) and wake those waiting for it. Counters wrap: reached when
 * (int32)(v - t) >= 0. */
#define BATCH_SPINS 4000
void batch_wait(_Atomic uint32_t *word, uint32_t target, unsigned spins);
void batch_wake(_Atomic uint32_t *word);

#endif

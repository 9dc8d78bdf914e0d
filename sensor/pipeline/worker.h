/* A worker: the per-flow part of the data path, flow -> classify ->
 * dissect, on the packets whose flows hash to it (docs/workers.md). It
 * owns a flow table, an nDPI module and a dissection engine, and writes
 * what the detectors need as records (record.h) into the buffer it is
 * given; it never alerts and shares nothing with other workers but the
 * read-only zones. */
#ifndef VIGIE_WORKER_H
#define VIGIE_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "classify/classify.h"
#include "config/config.h"
#include "decode/decode.h"
#include "enrich/zones.h"
#include "flow/flow_table.h"
#include "record.h"

struct worker;

struct worker_stats {
    struct flow_table_stats flows;
    struct classify_stats cls;
    uint64_t dpi_bytes, dissector_bytes;
    uint64_t records_lost; /* record buffer out of memory */
};

/* share: how many workers split cfg's flows.max and flows.memcap_mb. */
struct worker *worker_create(const struct config *cfg, unsigned share, const struct zones *z,
                             char *err, size_t errlen);
void worker_destroy(struct worker *w);

/* Where the next records go (a batch's buffer); set before any call below. */
void worker_set_records(struct worker *w, struct recbuf *rb);

/* One decoded packet (its time already clamped by the reader); seq: its
 * number in the capture. */
void worker_packet(struct worker *w, const struct packet *pkt, uint64_t seq);
/* A packet worker_packet takes soon: its flow's lookup readied, in two
 * steps (flow_table_prefetch_entry, _slot), far then near. */
void worker_prefetch(struct worker *w, const struct packet *far, const struct packet *near);
/* Packet time passed a second at packet seq: idle flows end. */
void worker_tick(struct worker *w, uint64_t seq, uint64_t ts_us);
/* Ends every flow (end of capture, at packet time ts_us). */
void worker_finish(struct worker *w, enum flow_end_reason reason, uint64_t seq, uint64_t ts_us);

/* The end of the capture, flow by flow in an order across workers (the
 * caller's, docs/workers.md): between worker_closing and worker_closed,
 * worker_oldest gives the live flows of the oldest second (as
 * flow_table_oldest), each ended by worker_end_flow before the next call. */
void worker_closing(struct worker *w, uint64_t seq, uint64_t ts_us);
long worker_oldest(struct worker *w, uint32_t **buf, size_t *cap);
struct flow *worker_slot(struct worker *w, uint32_t i);
void worker_end_flow(struct worker *w, struct flow *f, enum flow_end_reason reason);
void worker_closed(struct worker *w);

/* SIGHUP: flows are looked up again in new zones (the worker is idle). */
void worker_set_zones(struct worker *w, const struct zones *z);

/* Its nDPI module, for protocol names (read-only use from another thread). */
const struct classifier *worker_classifier(const struct worker *w);
void worker_get_stats(const struct worker *w, struct worker_stats *st);

#endif

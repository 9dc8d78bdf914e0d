/* The data path: capture -> decode -> flow -> classify -> dissect ->
 * detect -> correlate -> output. One pipeline per capture: it decodes the
 * packets, hands them to its workers (flow, classify, dissect: worker.h)
 * and their findings to the correlation stage (detect, correlate: stage.h),
 * which hands alerts, incident records and flow records to the outputs its
 * caller opened. docs/workers.md. */
#ifndef VIGIE_PIPELINE_H
#define VIGIE_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "decode/decode.h"
#include "flow/flow_table.h"
#include "output/output.h"

struct pipeline;

struct pipeline_stats {
    uint64_t packets, bytes;
    uint64_t decode[DECODE_RESULT_MAX];
    uint64_t offloaded;    /* TSO/GSO frames (IP length 0), decoded whole */
    uint64_t decapsulated; /* tunnelled packets, decoded as their inner packet */
    uint64_t flows_created, flows_ended, flows_evicted, flows_dropped;
    uint32_t flows_active;
    uint32_t classifying; /* flows still holding nDPI state */
    uint64_t dpi_bytes;   /* memory nDPI holds for them */
    uint64_t alerts;
    uint64_t allowed_flows; /* allowed by policy: facts for incidents, not alerts */
    uint64_t incidents, incidents_open, incident_records;
    uint64_t output_errors;
    uint64_t mem_bytes;
    uint64_t dissector_bytes; /* per-flow dissector state, inside mem_bytes' memcap */
    uint64_t records_lost;    /* worker records lost (out of memory) */
    /* Emergency mode near the memcap (flow_table.h), over the workers:
     * times entered, evictions and expiries while in it, workers in it. */
    uint64_t emergencies, emergency_evicted, emergency_expired;
    uint32_t emergency;
    uint64_t dpi_shed; /* flows whose nDPI state went back over budget (classify.h) */
};

struct pipeline_options {
    int learn; /* collect cross-zone edges for --learn */
    int live;
    unsigned workers; /* threads of per-flow work (docs/workers.md); 0: 1 */
};

struct pipeline *pipeline_create(const struct config *cfg, const struct pipeline_options *opt,
                                 char *err, size_t errlen);
void pipeline_destroy(struct pipeline *p);
/* Its threads stopped and joined, nothing freed: for a process about to
 * exit. pipeline_destroy may follow. */
void pipeline_stop(struct pipeline *p);

void pipeline_set_datalink(struct pipeline *p, int dlt);
/* Every alert and flow record goes to out, which outlives the pipeline's
 * last record (pipeline_finish). Once. */
void pipeline_set_outputs(struct pipeline *p, struct outputs *out);
/* capture_fn-compatible: processes one frame. */
void pipeline_packet(void *p, int dlt, uint64_t ts_us, uint32_t caplen, uint32_t wire_len,
                     const uint8_t *data);
struct capture;
/* Live capture with one handle per worker, all in one fanout group
 * (capture.h): each worker thread reads its own handle (n: the workers);
 * this thread runs the correlation stage and calls tick about every
 * 100 ms, until every handle is stopped. Then pipeline_finish. Returns 0,
 * or -1 with a message (a handle that broke). */
int pipeline_run_live(struct pipeline *p, struct capture *const *caps, unsigned n,
                      void (*tick)(void *), void *tick_ud, char *err, size_t errlen);

/* Periodic work between batches: on a live capture, expires idle flows by
 * the wall clock when no packet moves time forward. */
void pipeline_tick(struct pipeline *p, uint64_t wall_us);
/* Ends every flow with the given reason and flushes the outputs; -1 if a
 * write to them failed. */
int pipeline_finish(struct pipeline *p, enum flow_end_reason reason);

/* SIGHUP: new zones, roles, policy and detector settings; flows are kept.
 * cfg must outlive the pipeline (or the next reload). */
int pipeline_reload(struct pipeline *p, const struct config *cfg, char *err, size_t errlen);

/* --learn: writes the cross-zone edges seen as an includable policy. */
int pipeline_write_learned(struct pipeline *p, const char *path, const char *source, char *err,
                           size_t errlen);

/* Counters; the workers' as of the last batch merged. */
void pipeline_get_stats(const struct pipeline *p, struct pipeline_stats *st);
unsigned pipeline_workers(const struct pipeline *p);

#endif

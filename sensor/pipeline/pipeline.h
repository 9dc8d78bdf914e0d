/* The data path: capture -> decode -> flow -> classify -> output. One
 * pipeline per capture; it owns the flow table, classifier and outputs. */
#ifndef VIGIE_PIPELINE_H
#define VIGIE_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "decode/decode.h"
#include "flow/flow_table.h"

struct pipeline;

struct pipeline_stats {
    uint64_t packets, bytes;
    uint64_t decode[DECODE_RESULT_MAX];
    uint64_t flows_created, flows_ended, flows_evicted, flows_dropped;
    uint32_t flows_active;
    uint32_t classifying; /* flows still holding nDPI state */
    uint64_t dpi_bytes;   /* memory nDPI holds for them */
    uint64_t alerts;
    uint64_t output_errors;
    uint64_t mem_bytes;
};

struct pipeline_options {
    const char *flows_path;  /* NULL = no flow records */
    const char *alerts_path; /* NULL = no alerts file */
    int learn;               /* collect cross-zone edges for --learn */
    int live;
};

typedef void (*pipeline_sink_fn)(void *ud, const char *json, size_t len);
/* Adds an alert output (Redis, stdout...), besides the alerts file. */
int pipeline_add_alert_sink(struct pipeline *p, pipeline_sink_fn fn, void *ud);
/* Adds a flow-record output (the Redis flow stream), besides --flows. */
int pipeline_add_flow_sink(struct pipeline *p, pipeline_sink_fn fn, void *ud);

struct pipeline *pipeline_create(const struct config *cfg, const struct pipeline_options *opt,
                                 char *err, size_t errlen);
void pipeline_destroy(struct pipeline *p);

void pipeline_set_datalink(struct pipeline *p, int dlt);
/* capture_fn-compatible: processes one frame. */
void pipeline_packet(void *p, uint64_t ts_us, uint32_t caplen, uint32_t wire_len,
                     const uint8_t *data);
/* Periodic work between batches: on a live capture, expires idle flows by
 * the wall clock when no packet moves time forward. */
void pipeline_tick(struct pipeline *p, uint64_t wall_us);
/* Ends every flow with the given reason and flushes outputs. */
int pipeline_finish(struct pipeline *p, enum flow_end_reason reason);

/* SIGHUP: new zones, roles, policy and detector settings; flows are kept.
 * cfg must outlive the pipeline (or the next reload). */
int pipeline_reload(struct pipeline *p, const struct config *cfg, char *err, size_t errlen);

/* --learn: writes the cross-zone edges seen as an includable policy. */
int pipeline_write_learned(struct pipeline *p, const char *path, const char *source, char *err,
                           size_t errlen);

void pipeline_get_stats(const struct pipeline *p, struct pipeline_stats *st);

#endif

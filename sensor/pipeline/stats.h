/* Human-readable counters: the end-of-run summary and periodic lines. */
#ifndef VIGIE_STATS_H
#define VIGIE_STATS_H

#include <stdio.h>
#include "capture/capture.h"
#include "pipeline.h"

/* Packets lost before or at the flow table: kernel drops + table full. */
uint64_t stats_drops(const struct pipeline_stats *st, const struct capture_stats *cs);
void stats_print_summary(FILE *out, const struct pipeline_stats *st, const struct capture_stats *cs,
                         double seconds);
void stats_print_line(FILE *out, const struct pipeline_stats *st, const struct capture_stats *cs);

#endif

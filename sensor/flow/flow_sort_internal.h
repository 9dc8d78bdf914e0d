/* The order flows end in at the end of a capture (flow_sort.c), private to
 * sensor/flow/: by last packet, then by flow id. */
#ifndef VIGIE_FLOW_SORT_INTERNAL_H
#define VIGIE_FLOW_SORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "flow_table.h"

/* Sorts the slot numbers buf[0..n) of slots by last packet, then flow id,
 * in memory bounded whatever n (qsort_r when out of memory). */
void flow_sort_by_last_seen(const struct flow *slots, uint32_t *buf, size_t n);

#endif

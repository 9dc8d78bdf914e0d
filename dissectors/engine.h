/* Dissection stage: picks a dissector for a flow by probing its first
 * payload, reassembles in-order TCP bytes per direction into a small bounded
 * buffer, and delivers the dissectors' events to a callback. Flows no
 * dissector wants cost no memory here. */
#ifndef VIGIE_DISSECT_ENGINE_H
#define VIGIE_DISSECT_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "dissect.h"
#include "flow/flow_table.h"
#include "decode/packet.h"

typedef void (*dissect_event_fn)(void *ud, struct flow *f, const struct dissect_event *ev);

struct dissect_engine;

struct dissect_stats {
    uint64_t attached, events, gaps, stopped;
    uint32_t active;
};

struct dissect_engine *dissect_create(dissect_event_fn fn, void *ud);
void dissect_destroy(struct dissect_engine *e);

void dissect_packet(struct dissect_engine *e, struct flow *f, const struct packet *pkt);
/* Releases the flow's dissector state (end of flow). */
void dissect_flow_end(struct dissect_engine *e, struct flow *f);

const size_t *dissect_memory(const struct dissect_engine *e);
void dissect_get_stats(const struct dissect_engine *e, struct dissect_stats *st);

#endif

/* Dissection stage: picks a dissector for a flow by probing its first
 * payload, reassembles in-order TCP bytes per direction (a small bounded
 * buffer, held only while a record is incomplete), and delivers the dissectors' events to a
 * callback. Flows no dissector wants cost no memory here.
 *
 * The engine knows nothing of the caller's flow record: it is told the
 * flow's transport and ports (struct dissect_flow_info), keeps its state in
 * a slot the caller embeds in that record, and hands the record back, as an
 * opaque pointer, with each event. */
#ifndef VIGIE_DISSECT_ENGINE_H
#define VIGIE_DISSECT_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "dissect.h"

/* The engine's part of a flow record, zeroed with it. One pointer, so the
 * record stays small: it points at the flow's dissector state once a
 * dissector took the flow, and before that at an engine mark saying how
 * many payload packets were probed, or that the flow was given up. Only
 * the engine and dissect_slot_done() read it. */
struct dissect_slot {
    void *state;
};

/* The mark of a slot whose flow the engine is done with (only its address
 * matters). */
extern const char dissect_slot_done_mark;

/* Nothing left to dissect in this flow (no dissector wanted it, or its
 * dissector stopped): dissect_packet() would return at once, so a caller
 * may skip filling its arguments. */
static inline int dissect_slot_done(const struct dissect_slot *slot)
{
    return slot->state == &dissect_slot_done_mark;
}

/* One packet of a flow, as the caller decoded it. */
struct dissect_segment {
    const uint8_t *payload; /* transport payload, never copied */
    uint32_t len;
    uint32_t tcp_seq;
    uint32_t tcp_ack;  /* with has_ack: the peer's bytes before it were received */
    uint8_t syn;       /* TCP SYN: data (Fast Open) starts after its sequence number */
    uint8_t has_ack;   /* TCP ACK flag */
    uint8_t to_server; /* sent by the endpoint that opened the flow */
    uint64_t ts_us;
    uint32_t cut; /* bytes of the segment after len that the capture did not keep */
};

/* flow: the caller's flow record, as passed to dissect_packet(). */
typedef void (*dissect_event_fn)(void *ud, void *flow, const struct dissect_event *ev);

struct dissect_engine;

struct dissect_stats {
    uint64_t attached, events, gaps, stopped;
    uint32_t active;
    uint32_t buffers;   /* reassembly buffers held (records incomplete) */
    uint64_t held;      /* records that did not end in their packet */
    uint64_t reordered; /* segments held: before peer bytes they acknowledge, or after a hole */
    /* The pool (struct dissect_mem): bytes of per-flow state handed out
     * (counted against the flow memcap), bytes kept on its free lists,
     * requests, of which served from a free list, and refused. */
    uint64_t mem_bytes, pool_bytes;
    uint64_t allocs, reused, alloc_failed;
};

struct dissect_engine *dissect_create(dissect_event_fn fn, void *ud);
void dissect_destroy(struct dissect_engine *e);

/* slot and fi describe the flow the segment belongs to; flow is handed back
 * with the events it causes. */
void dissect_packet(struct dissect_engine *e, struct dissect_slot *slot,
                    const struct dissect_flow_info *fi, void *flow,
                    const struct dissect_segment *seg);
/* Releases the flow's dissector state (end of flow, at packet time ts_us);
 * its dissector may still report what it was waiting for. */
void dissect_flow_end(struct dissect_engine *e, struct dissect_slot *slot,
                      const struct dissect_flow_info *fi, void *flow, uint64_t ts_us);

/* Bytes of per-flow dissector state held (flow records, tables, held
 * records), kept current: what the flow memcap counts. */
const size_t *dissect_memory(const struct dissect_engine *e);
void dissect_get_stats(const struct dissect_engine *e, struct dissect_stats *st);

#endif

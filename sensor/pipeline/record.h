/* Records: what a worker tells the correlation stage (docs/workers.md). A
 * record holds a copy of its flow, the packet's sequence number and time,
 * and for a dissector event the event with its strings and stub copied
 * after it. Records of a batch go one after the other into a buffer that
 * grows to the largest batch and is reused; nothing is allocated per
 * record once it has. */
#ifndef VIGIE_RECORD_H
#define VIGIE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "dissect.h"
#include "flow/flow_table.h"

enum record_type {
    REC_FLOW_START, /* a new flow: first packet, client and zones known */
    REC_CLASSIFIED, /* its application is final */
    REC_EVENT,      /* a dissector event */
    REC_FLOW_END,   /* it ended (reason) */
};

/* A record's place in the merge: a tick's (or the end's) flow ends come
 * before the tick itself, which comes before the packet it precedes. */
enum record_phase { PHASE_TICK_END, PHASE_PACKET };

struct record {
    uint32_t len; /* of the whole record, a multiple of 8 */
    uint8_t type, phase, reason;
    uint64_t seq, ts_us;
    struct flow flow;        /* nDPI and dissector pointers cleared */
    struct dissect_event ev; /* REC_EVENT only: its pointers are offsets, see record_event() */
};

struct recbuf {
    unsigned char *buf;
    size_t len, cap;
    size_t max; /* bytes it may grow to; 0: no limit */
    uint64_t records;
    int failed; /* out of memory: records were lost (counted by the owner) */
};

void recbuf_reset(struct recbuf *rb);
void recbuf_free(struct recbuf *rb);

/* Appends a record of f (NULL when out of memory). ev: REC_EVENT only. */
struct record *record_put(struct recbuf *rb, enum record_type type, enum record_phase phase,
                          uint64_t seq, uint64_t ts_us, const struct flow *f,
                          const struct dissect_event *ev);

/* The record at offset off of the buffer, NULL past the end. */
static inline const struct record *recbuf_at(const struct recbuf *rb, size_t off)
{
    return off < rb->len ? (const struct record *)(const void *)(rb->buf + off) : NULL;
}

/* The event of a REC_EVENT record, its pointers into the record (valid as
 * long as the buffer is not written). */
void record_event(const struct record *r, struct dissect_event *ev);

#endif

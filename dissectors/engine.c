#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* Registry: every dissector, probed in this order. */
extern const struct dissector dissector_smb;
extern const struct dissector dissector_dcerpc;
extern const struct dissector dissector_kerberos;
extern const struct dissector dissector_rdp;
extern const struct dissector dissector_http;

static const struct dissector *const registry[] = {
    &dissector_smb, &dissector_dcerpc, &dissector_kerberos, &dissector_rdp, &dissector_http,
};
#define NDISSECTORS (sizeof(registry) / sizeof(registry[0]))

/* Enough for any header we read (SMB2 header + create request with its
 * name, DCE-RPC header + the start of a stub); larger PDUs are skipped. */
#define REASM_BUF 2048u
/* First size of a reassembly buffer; it doubles up to REASM_BUF. */
#define REASM_MIN 256u
/* Payload packets per direction a flow is probed for before giving up. */
#define MAX_PROBES 3
/* A segment that comes before the peer's bytes it acknowledges (a SPAN
 * port that delivers one direction late: responses before their requests)
 * or after a hole in its own side's bytes (reordered) is held, copied,
 * with the segments after it, until what it waits for has been parsed: at
 * most HOLD_SEGS segments of HOLD_BYTES in all per flow (an offloaded
 * segment is up to 64 KiB), the first for at most HOLD_PACKETS packets;
 * then the oldest goes as it is (a gap). Held bytes come from the pool,
 * inside the memcap. */
#define HOLD_BYTES (256u * 1024)
#define HOLD_SEGS 16
#define HOLD_PACKETS 8

/* Per direction. buf is held only while a record is incomplete: the bytes
 * of it seen so far (len), in a pool block of cap bytes; a record that
 * ends in its packet is parsed there and never copied. */
struct reasm {
    uint32_t next_seq;
    uint32_t skip;
    uint16_t len, cap;
    uint8_t seq_valid;
    uint8_t midstream; /* picked up midstream (no SYN seen), not anchored yet */
    uint8_t *buf;
};

/* A segment held, in arrival order: as it came, its payload copied. */
struct held {
    struct held *next;
    struct dissect_segment seg; /* seg.payload is data */
    uint8_t waited;
    uint8_t data[];
};

struct dissect_flow {
    const struct dissector *d;
    struct reasm dir[2]; /* 0: to server, 1: to client */
    struct held *held;   /* segments held, oldest first (a few at most) */
    _Alignas(16) uint8_t state[];
};

struct dissect_engine {
    dissect_event_fn fn;
    void *ud;
    struct dissect_mem pool; /* every byte of per-flow state comes from here */
    struct dissect_stats st;
};

/* Until a dissector takes a flow, its slot points at one of these marks
 * (only their addresses matter), so a flow no dissector wants costs no
 * memory: NULL, then probed[i] after i + 1 payload packets no dissector
 * recognised; dissect_slot_done_mark (engine.h) once the flow is done with
 * (every probe refused, its dissector stopped, or the flow ended). */
static const char probed[MAX_PROBES - 1];
const char dissect_slot_done_mark;

/* Payload packets refused so far by a slot that holds no dissector state. */
static int probes_spent(const void *state)
{
    for (int i = 0; i < MAX_PROBES - 1; i++)
        if (state == &probed[i]) return i + 1;
    return 0;
}

/* The flow's dissector state, or NULL while the slot holds a mark. */
static struct dissect_flow *attached(const struct dissect_slot *slot)
{
    if (!slot->state || dissect_slot_done(slot) || probes_spent(slot->state)) return NULL;
    return slot->state;
}

/* No dissector recognised this payload packet: one more probe spent. */
static void refused(struct dissect_slot *slot)
{
    int spent = probes_spent(slot->state) + 1;
    slot->state =
        spent == MAX_PROBES ? (void *)&dissect_slot_done_mark : (void *)&probed[spent - 1];
}

/* The engine and the caller's flow record, for emit(). */
struct call {
    struct dissect_engine *e;
    void *flow;
};

static void emit(struct dissect_ctx *dc, const struct dissect_event *ev)
{
    struct call *c = dc->ud;
    c->e->st.events++;
    c->e->fn(c->e->ud, c->flow, ev);
}

struct dissect_engine *dissect_create(dissect_event_fn fn, void *ud)
{
    struct dissect_engine *e = calloc(1, sizeof(*e));
    if (!e) return NULL;
    e->fn = fn;
    e->ud = ud;
    dissect_mem_init(&e->pool, DISSECT_MEM_CACHE_MAX);
    return e;
}

void dissect_destroy(struct dissect_engine *e)
{
    if (!e) return;
    dissect_mem_drain(&e->pool);
    free(e);
}

static size_t flow_state_size(const struct dissector *d)
{
    return sizeof(struct dissect_flow) + d->state_size;
}

/* The record being held is done with (parsed, or lost): its buffer goes
 * back to the pool. */
static void drop_held(struct dissect_engine *e, struct reasm *r)
{
    if (r->buf) e->st.buffers--;
    dissect_free(&e->pool, r->buf, r->cap);
    r->buf = NULL;
    r->len = r->cap = 0;
}

/* Room for n bytes of an incomplete record (n <= REASM_BUF). */
static int hold(struct dissect_engine *e, struct reasm *r, size_t n)
{
    if (n <= r->cap) return 0;
    size_t cap = r->cap ? r->cap : REASM_MIN;
    while (cap < n)
        cap *= 2;
    if (cap > REASM_BUF) cap = REASM_BUF;
    uint8_t *b = dissect_realloc(&e->pool, r->buf, r->cap, cap);
    if (!b) return -1;
    if (!r->buf) e->st.buffers++;
    r->buf = b;
    r->cap = (uint16_t)cap;
    return 0;
}

static void release(struct dissect_engine *e, struct dissect_slot *slot, struct dissect_ctx *dc)
{
    struct dissect_flow *df = attached(slot);
    if (!df) return;
    if (df->d->end && dc) df->d->end(dc, df->state);
    if (df->d->release_state) df->d->release_state(df->state);
    for (int i = 0; i < 2; i++)
        drop_held(e, &df->dir[i]);
    while (df->held) {
        struct held *h = df->held;
        df->held = h->next;
        dissect_free(&e->pool, h, sizeof(*h) + h->seg.len);
    }
    e->st.active--;
    dissect_free(&e->pool, df, flow_state_size(df->d));
    slot->state = (void *)&dissect_slot_done_mark;
}

static struct dissect_flow *attach(struct dissect_engine *e, struct dissect_slot *slot,
                                   const struct dissect_flow_info *fi,
                                   const struct dissect_segment *seg)
{
    for (size_t i = 0; i < NDISSECTORS; i++) {
        const struct dissector *d = registry[i];
        if (!(d->transports & (fi->proto == 17 ? DISSECT_UDP : DISSECT_TCP))) continue;
        if (!d->probe(fi, seg->to_server, seg->payload, seg->len)) continue;
        struct dissect_flow *df = dissect_alloc(&e->pool, flow_state_size(d));
        if (!df) return NULL;
        df->d = d;
        df->dir[0].midstream = df->dir[1].midstream = fi->proto == 6 && fi->midstream;
        if (d->init_state) d->init_state(df->state, &e->pool);
        slot->state = df;
        e->st.attached++;
        e->st.active++;
        return df;
    }
    return NULL;
}

static void lost_sync(struct dissect_engine *e, struct dissect_flow *df, struct reasm *r,
                      int to_server)
{
    e->st.gaps++;
    drop_held(e, r);
    r->skip = 0;
    if (df->d->gap) df->d->gap(df->state, to_server);
}

/* Hands in-order bytes to the parser: straight from the packet when
 * nothing is pending; when a record spans segments, its start is held
 * (at most REASM_BUF bytes) and the next bytes appended until it parses,
 * then what follows it in the packet is parsed in place again. Returns -1
 * when the parser stopped. */
static int feed(struct dissect_engine *e, struct dissect_ctx *dc, struct dissect_flow *df,
                int to_server, const uint8_t *data, size_t len)
{
    struct reasm *r = &df->dir[!to_server];
    while (len > 0) {
        if (r->skip) {
            size_t n = len < r->skip ? len : r->skip;
            r->skip -= (uint32_t)n;
            data += n;
            len -= n;
            continue;
        }
        if (r->len == 0) {
            long c = df->d->parse(dc, df->state, to_server, data, len);
            if (c == DISSECT_STOP) return -1;
            if (c == 0) {
                if (len > REASM_BUF || hold(e, r, len) != 0) {
                    lost_sync(e, df, r, to_server);
                    return 0;
                }
                memcpy(r->buf, data, len);
                r->len = (uint16_t)len;
                e->st.held++;
                return 0;
            }
            if ((size_t)c >= len) {
                r->skip = (uint32_t)((size_t)c - len);
                return 0;
            }
            data += c;
            len -= (size_t)c;
            continue;
        }
        size_t old = r->len, room = REASM_BUF - old;
        size_t n = room < len ? room : len;
        if (hold(e, r, old + n) != 0) {
            lost_sync(e, df, r, to_server);
            continue;
        }
        memcpy(r->buf + old, data, n);
        r->len = (uint16_t)(old + n);
        data += n;
        len -= n;
        for (;;) {
            long c = df->d->parse(dc, df->state, to_server, r->buf, r->len);
            if (c == DISSECT_STOP) return -1;
            if (c == 0) {
                if (r->len == REASM_BUF) lost_sync(e, df, r, to_server);
                break;
            }
            if ((size_t)c >= r->len) {
                r->skip = (uint32_t)((size_t)c - r->len);
                drop_held(e, r);
                break;
            }
            if ((size_t)c >= old) {
                /* What is left was appended from this packet: parsed there. */
                size_t back = r->len - (size_t)c;
                data -= back;
                len += back;
                drop_held(e, r);
                break;
            }
            memmove(r->buf, r->buf + c, r->len - (size_t)c);
            r->len = (uint16_t)(r->len - (size_t)c);
            old -= (size_t)c;
        }
    }
    return 0;
}

/* TCP sequence tracking: retransmitted bytes are trimmed, a hole makes
 * the parser resynchronise. A segment's bytes the capture cut (seg->cut)
 * count in the sequence. */
static int in_order(struct dissect_engine *e, struct dissect_flow *df, int to_server,
                    const struct dissect_segment *seg, const uint8_t **data, size_t *len)
{
    struct reasm *r = &df->dir[!to_server];
    uint32_t seq = seg->tcp_seq;
    if (seg->syn) {
        /* Data on a SYN (TCP Fast Open) starts after the SYN's sequence. */
        r->next_seq = seq + 1 + (uint32_t)*len + seg->cut;
        r->seq_valid = 1;
        return *len > 0 || seg->cut;
    }
    if (!r->seq_valid) {
        r->next_seq = seq;
        r->seq_valid = 1;
    }
    uint32_t end = seq + (uint32_t)*len + seg->cut;
    int32_t diff = (int32_t)(seq - r->next_seq);
    if (diff < 0) {
        if ((size_t)(-(int64_t)diff) >= *len) {
            /* All captured bytes seen before; cut ones past them are lost. */
            if ((int32_t)(end - r->next_seq) > 0) {
                lost_sync(e, df, r, to_server);
                r->next_seq = end;
            }
            return 0;
        }
        *data += -diff;
        *len -= (size_t)-diff;
        r->next_seq = end;
        return 1;
    }
    if (diff > 0) lost_sync(e, df, r, to_server);
    r->next_seq = end;
    return 1;
}

/* The capture kept cut bytes fewer than the segment had: the record
 * being skipped may take them, else the parser lost its place. */
static void cut_tail(struct dissect_engine *e, struct dissect_flow *df, int to_server, uint32_t cut)
{
    struct reasm *r = &df->dir[!to_server];
    if (r->len == 0 && r->skip >= cut) {
        r->skip -= cut;
        return;
    }
    lost_sync(e, df, r, to_server);
}

/* A TCP segment to its flow's parser, in order. */
static void deliver(struct dissect_engine *e, struct dissect_slot *slot, struct dissect_flow *df,
                    struct dissect_ctx *dc, const struct dissect_segment *seg)
{
    const uint8_t *data = seg->payload;
    size_t len = seg->len;
    int to_server = seg->to_server;
    if (!in_order(e, df, to_server, seg, &data, &len)) return;
    if (len && feed(e, dc, df, to_server, data, len) != 0) {
        e->st.stopped++;
        release(e, slot, dc);
        return;
    }
    if (seg->cut) cut_tail(e, df, to_server, seg->cut);
}

static int seq_before(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

/* Whether a segment comes before peer bytes it acknowledges: the peer's
 * parsed bytes end before its acknowledgment number, or (a server's
 * payload) the client has sent none the parser saw. */
static int early(const struct dissect_flow *df, const struct dissect_segment *seg)
{
    if (!seg->has_ack || seg->syn || seg->len == 0) return 0;
    const struct reasm *peer = &df->dir[seg->to_server];
    if (peer->seq_valid) return seq_before(peer->next_seq, seg->tcp_ack);
    return !seg->to_server;
}

/* Whether a segment comes after a hole in its own side's bytes (a
 * segment delivered out of order, or one lost). */
static int after_hole(const struct dissect_flow *df, const struct dissect_segment *seg)
{
    const struct reasm *own = &df->dir[!seg->to_server];
    return seg->len > 0 && !seg->syn && own->seq_valid && seq_before(own->next_seq, seg->tcp_seq);
}

/* A side of a flow picked up midstream of which no byte was parsed yet:
 * the first segment seen of it need not be the first sent (reordered), so
 * its segments wait until the side is anchored: at the peer's next packet
 * (what was sent before it came by then, or was lost), after HOLD_PACKETS
 * packets of the flow, or at its end. */
static int unanchored(const struct dissect_flow *df, int to_server)
{
    const struct reasm *r = &df->dir[!to_server];
    return r->midstream && !r->seq_valid;
}

/* The side starts at the lowest sequence number held of it, if any, so
 * what was held goes in order from there; later segments are taken as
 * they come. */
static void anchor_side(struct dissect_flow *df, int to_server)
{
    struct reasm *r = &df->dir[!to_server];
    for (const struct held *h = df->held; h; h = h->next)
        if (h->seg.to_server == to_server &&
            (!r->seq_valid || seq_before(h->seg.tcp_seq, r->next_seq))) {
            r->next_seq = h->seg.tcp_seq;
            r->seq_valid = 1;
            r->midstream = 0;
        }
}

/* Both sides, held segments or not. */
static void anchor(struct dissect_flow *df)
{
    for (int to_server = 0; to_server < 2; to_server++) {
        if (unanchored(df, to_server)) anchor_side(df, to_server);
        df->dir[!to_server].midstream = 0;
    }
}

/* Whether a side still waits to be anchored. */
static int anchoring(const struct dissect_flow *df)
{
    return df->dir[0].midstream || df->dir[1].midstream;
}

/* A held segment that waits for nothing: no hole before it in its side,
 * no peer bytes it acknowledges still to come. */
static struct held *ready(const struct dissect_flow *df)
{
    for (struct held *h = df->held; h; h = h->next)
        if (!unanchored(df, h->seg.to_server) && !after_hole(df, &h->seg) && !early(df, &h->seg))
            return h;
    return NULL;
}

/* Takes h out of the queue and hands it to the parser at its own time;
 * 0 when the flow's parser stopped. */
static int deliver_held(struct dissect_engine *e, struct dissect_slot *slot,
                        struct dissect_flow *df, const struct dissect_ctx *dc, struct held *h)
{
    struct held **pp = &df->held;
    while (*pp != h)
        pp = &(*pp)->next;
    *pp = h->next;
    struct dissect_ctx at = *dc;
    at.ts_us = h->seg.ts_us;
    deliver(e, slot, df, &at, &h->seg);
    dissect_free(&e->pool, h, sizeof(*h) + h->seg.len);
    return attached(slot) != NULL;
}

/* Hands over what no longer waits, oldest first (or when forced: the
 * oldest held). 0 when the flow's parser stopped. */
static int drain(struct dissect_engine *e, struct dissect_slot *slot, struct dissect_flow *df,
                 const struct dissect_ctx *dc, int force)
{
    if (force && anchoring(df)) anchor(df);
    while (df->held) {
        struct held *h = ready(df);
        if (!h && !force) return 1;
        if (!deliver_held(e, slot, df, dc, h ? h : df->held)) return 0;
    }
    return 1;
}

/* Appends a copy of seg to the queue; -1 when it cannot be held. */
static int hold_segment(struct dissect_engine *e, struct dissect_flow *df,
                        const struct dissect_segment *seg)
{
    struct held **tail = &df->held;
    int n = 0;
    size_t bytes = seg->len;
    for (; *tail; tail = &(*tail)->next, n++)
        bytes += (*tail)->seg.len;
    if (bytes > HOLD_BYTES || n >= HOLD_SEGS) return -1;
    struct held *h = dissect_alloc(&e->pool, sizeof(*h) + seg->len);
    if (!h) return -1;
    *h = (struct held){.seg = *seg};
    h->seg.payload = h->data;
    memcpy(h->data, seg->payload, seg->len);
    *tail = h;
    e->st.reordered++;
    return 0;
}

/* A TCP segment of a flow with a parser: straight to it, unless it waits
 * (before peer bytes it acknowledges, or after a hole in its own side);
 * then it is held, and what no longer waits goes. */
static void tcp_segment(struct dissect_engine *e, struct dissect_slot *slot,
                        struct dissect_flow *df, struct dissect_ctx *dc,
                        const struct dissect_segment *seg)
{
    if (df->held && unanchored(df, !seg->to_server)) anchor_side(df, !seg->to_server);
    int waits =
        early(df, seg) || after_hole(df, seg) || (seg->len > 0 && unanchored(df, seg->to_server));
    if (seg->len == 0 && !seg->syn) {
        /* A bare ACK carries no bytes, and its sequence number, taken as
         * the next, would make the bytes before it (reordered, or still
         * held) look seen: it only counts as a packet waited. */
    } else if (!df->held && !waits) {
        deliver(e, slot, df, dc, seg);
        return;
    } else if (!waits || hold_segment(e, df, seg) != 0) {
        /* In order (what is held waits for it, or comes after it), or
         * too large to hold: what waited goes first. */
        if (waits && (!drain(e, slot, df, dc, 1) || !(df = attached(slot)))) return;
        deliver(e, slot, df, dc, seg);
    }
    if (!(df = attached(slot)) || !drain(e, slot, df, dc, 0) || !df->held) return;
    if (++df->held->waited < HOLD_PACKETS) return;
    if (anchoring(df)) {
        /* Long enough for segments sent before the first seen. */
        anchor(df);
        drain(e, slot, df, dc, 0);
    } else if (deliver_held(e, slot, df, dc, df->held)) {
        drain(e, slot, df, dc, 0);
    }
}

void dissect_packet(struct dissect_engine *e, struct dissect_slot *slot,
                    const struct dissect_flow_info *fi, void *flow,
                    const struct dissect_segment *seg)
{
    if (dissect_slot_done(slot) || (fi->proto != 6 && fi->proto != 17)) return;
    int to_server = seg->to_server;
    struct dissect_flow *df = attached(slot);
    if (!df) {
        if (seg->len == 0) return;
        if (!(df = attach(e, slot, fi, seg))) {
            /* Probe the first few payload packets only. */
            refused(slot);
            return;
        }
    }
    const uint8_t *data = seg->payload;
    size_t len = seg->len;
    struct call call = {e, flow};
    struct dissect_ctx dc = {fi, seg->ts_us, emit, &call};
    if (fi->proto == 17) {
        if (len && df->d->parse(&dc, df->state, to_server, data, len) == DISSECT_STOP) {
            e->st.stopped++;
            release(e, slot, &dc);
        }
        return;
    }
    tcp_segment(e, slot, df, &dc, seg);
}

void dissect_flow_end(struct dissect_engine *e, struct dissect_slot *slot,
                      const struct dissect_flow_info *fi, void *flow, uint64_t ts_us)
{
    struct call call = {e, flow};
    struct dissect_ctx dc = {fi, ts_us, emit, &call};
    struct dissect_flow *df = attached(slot);
    if (df && df->held) drain(e, slot, df, &dc, 1);
    release(e, slot, &dc);
}

const size_t *dissect_memory(const struct dissect_engine *e)
{
    return &e->pool.in_use;
}

void dissect_get_stats(const struct dissect_engine *e, struct dissect_stats *st)
{
    *st = e->st;
    st->mem_bytes = e->pool.in_use;
    st->pool_bytes = e->pool.cached;
    st->allocs = e->pool.allocs;
    st->reused = e->pool.reused;
    st->alloc_failed = e->pool.failed;
}

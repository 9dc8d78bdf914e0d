/* The per-flow stages of one worker (worker.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "flow/orient.h"
#include "worker.h"

struct worker {
    struct flow_table *ft;
    struct classifier *cls;
    struct dissect_engine *dissect;
    const struct zones *zones;
    struct recbuf *out;
    /* The packet (or tick) being processed: its records' place. */
    uint64_t seq, ts_us;
    enum record_phase phase;
    uint64_t records_lost;
};

static void emit(struct worker *w, enum record_type type, const struct flow *f,
                 const struct dissect_event *ev, enum flow_end_reason reason)
{
    struct record *r = record_put(w->out, type, w->phase, w->seq, w->ts_us, f, ev);
    if (!r) {
        w->records_lost++;
        return;
    }
    r->reason = (uint8_t)reason;
}

static void on_dissect_event(void *ud, void *flow, const struct dissect_event *ev)
{
    emit(ud, REC_EVENT, flow, ev, 0);
}

static void on_flow_end(struct flow *f, enum flow_end_reason reason, void *ud)
{
    struct worker *w = ud;
    if (!f->cls.done) {
        classify_finish(w->cls, f);
        emit(w, REC_CLASSIFIED, f, NULL, 0);
    }
    struct dissect_flow_info fi = flow_dissect_info(f);
    /* Its events are stamped with the flow's last packet time, as the
     * dissector reports them. */
    dissect_flow_end(w->dissect, &f->dissect, &fi, f, f->last_us);
    emit(w, REC_FLOW_END, f, NULL, reason);
}

struct worker *worker_create(const struct config *cfg, unsigned share, const struct zones *z,
                             char *err, size_t errlen)
{
    struct worker *w = calloc(1, sizeof(*w));
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (share == 0) share = 1;
    w->zones = z;
    w->phase = PHASE_PACKET;
    if (!(w->cls = classify_create(err, errlen))) goto fail;
    if (!(w->dissect = dissect_create(on_dissect_event, w))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    uint64_t memcap = ((uint64_t)cfg->flows.memcap_mb << 20) / share;
    /* nDPI states of flows it named but still dissects: a sixty-fourth of
     * the memcap (classify_set_budget). */
    classify_set_budget(w->cls, (size_t)(memcap / 64));
    /* Flows hash to workers unevenly by a few per mille at most: each
     * worker's table has an eighth more than its share of flows.max. */
    uint32_t max = cfg->flows.max / share ? cfg->flows.max / share : 1;
    if (share > 1) max += max / 8;
    struct flow_table_config fc = {
        .max_flows = max,
        .memcap_bytes = memcap,
        .on_end = on_flow_end,
        .ud = w,
        /* Live counters: the table reads them as it evicts. */
        .dpi_mem = classify_memory(w->cls),
        .dissector_mem = dissect_memory(w->dissect),
    };
    memcpy(fc.timeout_s, cfg->flows.timeout_s, sizeof(fc.timeout_s));
    if (!(w->ft = flow_table_create(&fc, err, errlen))) goto fail;
    return w;
fail:
    worker_destroy(w);
    return NULL;
}

void worker_destroy(struct worker *w)
{
    if (!w) return;
    flow_table_destroy(w->ft);
    classify_destroy(w->cls);
    dissect_destroy(w->dissect);
    free(w);
}

void worker_set_records(struct worker *w, struct recbuf *rb)
{
    w->out = rb;
}

static void init_flow(struct worker *w, struct flow *f, const struct packet *pkt)
{
    f->client = orient_first_is_server(pkt) ? !pkt->dir : pkt->dir;
    f->zone[0] = zones_lookup(w->zones, f->key.addr[0]);
    f->zone[1] = zones_lookup(w->zones, f->key.addr[1]);
}

static void track_tcp(struct worker *w, struct flow *f, const struct packet *pkt)
{
    if (pkt->tcp_flags & TCP_FIN) f->tcp_fin |= (uint8_t)(1u << pkt->dir);
    if ((pkt->tcp_flags & TCP_RST) || f->tcp_fin == 3)
        flow_table_set_class(w->ft, f, FLOW_TCP_CLOSED);
}

/* The packet as the dissection engine takes it. */
static void feed_dissectors(struct worker *w, struct flow *f, const struct packet *pkt)
{
    struct dissect_flow_info fi = flow_dissect_info(f);
    struct dissect_segment seg = {.payload = pkt->payload,
                                  .len = pkt->payload_len,
                                  .cut = pkt->payload_cut,
                                  .tcp_seq = pkt->tcp_seq,
                                  .tcp_ack = pkt->tcp_ack,
                                  .syn = (pkt->tcp_flags & TCP_SYN) != 0,
                                  .has_ack = (pkt->tcp_flags & TCP_ACK) != 0,
                                  .to_server = pkt->dir == f->client,
                                  .ts_us = pkt->ts_us};
    dissect_packet(w->dissect, &f->dissect, &fi, f, &seg);
}

void worker_packet(struct worker *w, const struct packet *pkt, uint64_t seq)
{
    w->seq = seq;
    w->ts_us = pkt->ts_us;
    w->phase = PHASE_PACKET;
    int created;
    struct flow *f = flow_table_get(w->ft, pkt, &created);
    if (f && !created && f->fclass == FLOW_TCP_CLOSED &&
        (pkt->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
        /* A new connection reusing the ports of a closed one. */
        flow_table_end(w->ft, f, FLOW_END_TCP_REUSE);
        f = flow_table_get(w->ft, pkt, &created);
    }
    if (!f) return; /* table full and nothing evictable: counted there */
    if (created) {
        init_flow(w, f, pkt);
        emit(w, REC_FLOW_START, f, NULL, 0);
    }
    f->pkts[pkt->dir]++;
    f->bytes[pkt->dir] += pkt->wire_len;
    if (pkt->key.proto == 6) track_tcp(w, f, pkt);
    if (!f->cls.done && classify_packet(w->cls, f, pkt)) emit(w, REC_CLASSIFIED, f, NULL, 0);
    if (!dissect_slot_done(&f->dissect)) feed_dissectors(w, f, pkt);
}

void worker_prefetch(struct worker *w, const struct packet *far, const struct packet *near)
{
    if (far) flow_table_prefetch_entry(w->ft, &far->key);
    if (near) flow_table_prefetch_slot(w->ft, &near->key);
}

void worker_tick(struct worker *w, uint64_t seq, uint64_t ts_us)
{
    w->seq = seq;
    w->ts_us = ts_us;
    w->phase = PHASE_TICK_END;
    flow_table_expire(w->ft, ts_us);
    w->phase = PHASE_PACKET;
}

void worker_finish(struct worker *w, enum flow_end_reason reason, uint64_t seq, uint64_t ts_us)
{
    w->seq = seq;
    w->ts_us = ts_us;
    w->phase = PHASE_TICK_END;
    flow_table_flush(w->ft, reason);
    w->phase = PHASE_PACKET;
}

long worker_oldest(struct worker *w, uint32_t **buf, size_t *cap)
{
    return flow_table_oldest(w->ft, buf, cap);
}

struct flow *worker_slot(struct worker *w, uint32_t i)
{
    return flow_table_slot(w->ft, i);
}

void worker_closing(struct worker *w, uint64_t seq, uint64_t ts_us)
{
    w->seq = seq;
    w->ts_us = ts_us;
    w->phase = PHASE_TICK_END;
    flow_table_closing(w->ft);
}

void worker_end_flow(struct worker *w, struct flow *f, enum flow_end_reason reason)
{
    flow_table_end(w->ft, f, reason);
}

void worker_closed(struct worker *w)
{
    flow_table_closed(w->ft);
    w->phase = PHASE_PACKET;
}

static void rezone(struct flow *f, void *ud)
{
    const struct zones *z = ud;
    f->zone[0] = zones_lookup(z, f->key.addr[0]);
    f->zone[1] = zones_lookup(z, f->key.addr[1]);
}

void worker_set_zones(struct worker *w, const struct zones *z)
{
    w->zones = z;
    flow_table_foreach(w->ft, rezone, (void *)z);
}

const struct classifier *worker_classifier(const struct worker *w)
{
    return w->cls;
}

void worker_get_stats(const struct worker *w, struct worker_stats *st)
{
    memset(st, 0, sizeof(*st));
    flow_table_get_stats(w->ft, &st->flows);
    classify_get_stats(w->cls, &st->cls);
    st->dpi_bytes = *classify_memory(w->cls);
    st->dissector_bytes = *dissect_memory(w->dissect);
    st->records_lost = w->records_lost;
}

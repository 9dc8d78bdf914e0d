/* The end of a capture (pipeline_internal.h): every flow the workers
 * still hold ends, oldest first across them, the stage taking each flow's
 * records at once. */
#include <stdlib.h>

#include "pipeline_internal.h"
#include "stage.h"
#include "worker.h"

/* The order flows end in at the end: last packet, then flow id (each
 * worker gives its flows in it, a second at a time). */
static int ends_before(const struct flow *x, const struct flow *y)
{
    if (x->last_us != y->last_us) return x->last_us < y->last_us;
    return x->id < y->id;
}

struct ending {
    uint32_t *slots;
    size_t cap;
    long n, at; /* n < 0: out of memory */
};

/* Worker i's next flow to end, its next second's flows fetched when its
 * last ones have ended; NULL when it has none left. */
static struct flow *next_ending(struct pipeline *p, struct ending *e, unsigned i)
{
    if (e->n >= 0 && e->at == e->n) {
        e->n = worker_oldest(p->w[i], &e->slots, &e->cap);
        e->at = 0;
    }
    return e->n > 0 ? worker_slot(p->w[i], e->slots[e->at]) : NULL;
}

static void take_records(struct pipeline *p, struct recbuf *rb)
{
    const struct record *r;
    for (size_t off = 0; (r = recbuf_at(rb, off)); off += r->len)
        stage_record(p->stage, r);
    recbuf_reset(rb);
}

void pipeline_end_all(struct pipeline *p, enum flow_end_reason reason, uint64_t ts_us)
{
    struct ending e[MAX_WORKERS];
    struct recbuf rb = {0};
    for (unsigned i = 0; i < p->nworkers; i++) {
        e[i] = (struct ending){.cap = 1024};
        e[i].slots = malloc(e[i].cap * sizeof(*e[i].slots));
        if (!e[i].slots) e[i].n = -1;
        worker_set_records(p->w[i], &rb);
        worker_closing(p->w[i], FINAL_SEQ, ts_us);
    }
    /* Oldest first across the workers, one flow's records at a time: as
     * many tables as workers, one order, and no more held than a second's
     * flows of each worker. */
    for (;;) {
        unsigned best = p->nworkers;
        struct flow *bf = NULL;
        for (unsigned i = 0; i < p->nworkers; i++) {
            struct flow *f = next_ending(p, &e[i], i);
            if (f && (!bf || ends_before(f, bf))) best = i, bf = f;
        }
        if (!bf) break;
        e[best].at++;
        worker_end_flow(p->w[best], bf, reason);
        take_records(p, &rb);
    }
    for (unsigned i = 0; i < p->nworkers; i++) {
        worker_closed(p->w[i]);
        /* Out of memory for the order: the rest as the table lists them. */
        if (e[i].n < 0) worker_finish(p->w[i], reason, FINAL_SEQ, ts_us);
        take_records(p, &rb);
        free(e[i].slots);
        worker_get_stats(p->w[i], &p->ws[i]);
        worker_set_records(p->w[i], &p->inline_rb);
    }
    recbuf_free(&rb);
}

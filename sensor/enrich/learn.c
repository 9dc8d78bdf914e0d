#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/eve.h"
#include "learn.h"

#define MAX_PORTS 8     /* more distinct server ports: the edge is by app only */
#define MAX_EDGES 65536 /* a municipal network has hundreds; bound it anyway */

struct edge {
    uint16_t from, to, app;
    uint16_t ports[MAX_PORTS];
    uint8_t nports, many_ports;
    uint64_t flows, first_us, last_us;
};

struct learner {
    struct edge *edges;
    size_t n, cap;
    uint64_t dropped;
};

struct learner *learner_create(void)
{
    return calloc(1, sizeof(struct learner));
}

void learner_destroy(struct learner *l)
{
    if (!l) return;
    free(l->edges);
    free(l);
}

size_t learner_count(const struct learner *l)
{
    return l->n;
}

/* Learning runs once per flow, off the packet path: a linear search over
 * a few hundred edges is cheaper than it sounds and keeps this simple. */
static struct edge *find_or_add(struct learner *l, uint16_t from, uint16_t to, uint16_t app)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->edges[i].from == from && l->edges[i].to == to && l->edges[i].app == app)
            return &l->edges[i];
    if (l->n == MAX_EDGES) return NULL;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        struct edge *e = realloc(l->edges, cap * sizeof(*e));
        if (!e) return NULL;
        l->edges = e;
        l->cap = cap;
    }
    struct edge *e = &l->edges[l->n++];
    memset(e, 0, sizeof(*e));
    e->from = from, e->to = to, e->app = app;
    return e;
}

void learner_add(struct learner *l, const struct flow *f)
{
    uint16_t from = f->zone[f->client], to = f->zone[!f->client];
    if (from == to) return;
    struct edge *e = find_or_add(l, from, to, classify_app_id(f));
    if (!e) {
        l->dropped++;
        return;
    }
    uint16_t port = f->key.port[!f->client];
    int seen = 0;
    for (int i = 0; i < e->nports; i++)
        seen |= e->ports[i] == port;
    if (!seen && port && !e->many_ports) {
        if (e->nports == MAX_PORTS)
            e->many_ports = 1;
        else
            e->ports[e->nports++] = port;
    }
    if (!e->flows || f->first_us < e->first_us) e->first_us = f->first_us;
    if (f->last_us > e->last_us) e->last_us = f->last_us;
    e->flows++;
}

struct sort_ctx {
    const struct zones *z;
    const struct classifier *cls;
};
static struct sort_ctx sort_ctx;

static int cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static int cmp_edge(const void *a, const void *b)
{
    const struct edge *x = a, *y = b;
    int c = strcmp(zones_name(sort_ctx.z, x->from), zones_name(sort_ctx.z, y->from));
    if (!c) c = strcmp(zones_name(sort_ctx.z, x->to), zones_name(sort_ctx.z, y->to));
    if (!c) c = (int)x->app - (int)y->app;
    return c;
}

/* A rule allows by application OR by port, so ports go in the rule only
 * when the application is unknown; otherwise they are listed in the
 * comment, and the rule allows that application and nothing more. */
static void write_edge(FILE *fp, const struct edge *e, const struct zones *z,
                       const struct classifier *cls)
{
    char first[40], last[40], app[64], ports[64] = "";
    uint16_t sorted[MAX_PORTS];
    size_t used = 0;
    memcpy(sorted, e->ports, e->nports * sizeof(uint16_t));
    qsort(sorted, e->nports, sizeof(uint16_t), cmp_u16);
    for (int i = 0; i < e->nports && used < sizeof(ports); i++)
        used +=
            (size_t)snprintf(ports + used, sizeof(ports) - used, "%s%u", i ? ", " : "", sorted[i]);
    fprintf(fp, "    - {from: %s, to: %s", zones_name(z, e->from), zones_name(z, e->to));
    if (e->app)
        fprintf(fp, ", apps: [%s]", classify_id_name(cls, e->app, app, sizeof(app)));
    else if (e->nports && !e->many_ports)
        fprintf(fp, ", ports: [%s]", ports);
    eve_format_time(e->first_us, first, sizeof(first));
    eve_format_time(e->last_us, last, sizeof(last));
    fprintf(fp, "}  # %llu flow%s, %s .. %s", (unsigned long long)e->flows,
            e->flows == 1 ? "" : "s", first, last);
    if (e->app && e->nports) fprintf(fp, ", ports %s%s", ports, e->many_ports ? ", ..." : "");
    fputc('\n', fp);
}

int learner_write(const struct learner *l, const char *path, const char *source,
                  const struct zones *z, const struct classifier *cls, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "w");
    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    sort_ctx = (struct sort_ctx){z, cls};
    qsort(l->edges, l->n, sizeof(*l->edges), cmp_edge);
    fprintf(fp,
            "# Learned by vigie from %s: the cross-zone edges seen, one allow rule\n"
            "# per zone pair and application (ports only where the application is\n"
            "# unknown). Review it, then include this file from a config:\n"
            "#   policy: {default: deny, include: FILE}\n",
            source);
    if (l->dropped)
        fprintf(fp, "# %llu flows were not learned: more than %d edges\n",
                (unsigned long long)l->dropped, MAX_EDGES);
    fprintf(fp, "policy:\n  allow:%s\n", l->n ? "" : " []");
    for (size_t i = 0; i < l->n; i++)
        write_edge(fp, &l->edges[i], z, cls);
    if (fclose(fp) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

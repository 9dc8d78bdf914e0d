/* The registry of output modules and the set that fans records out. */
#include <stdio.h>
#include <stdlib.h>

#include "output_internal.h"

/* Order matters: records reach the modules in this order, and the redis
 * module decides whether the stdout module takes the alerts. */
static const struct output_module *const registry[] = {
    &output_file_module,
    &output_redis_module,
    &output_stdout_module,
};

#define N_MODULES (sizeof(registry) / sizeof(registry[0]))

struct output_instance {
    const struct output_module *m;
    void *st;
    int takes;
};

struct outputs {
    struct output_instance inst[N_MODULES];
    size_t n;
    int takes;
};

struct outputs *outputs_open(struct output_options *o, char *err, size_t errlen)
{
    struct outputs *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < N_MODULES; i++) {
        struct output_instance *in = &s->inst[s->n];
        in->m = registry[i];
        in->takes = in->m->open(&in->st, o, err, errlen);
        if (in->takes < 0) {
            outputs_close(s, 0);
            return NULL;
        }
        if (in->takes == 0) continue;
        s->takes |= in->takes;
        s->n++;
    }
    return s;
}

int outputs_alert(struct outputs *s, const char *json, size_t len)
{
    int rc = 0;
    for (size_t i = 0; i < s->n; i++)
        if ((s->inst[i].takes & OUTPUT_ALERTS) &&
            s->inst[i].m->write_alert(s->inst[i].st, json, len) != 0)
            rc = -1;
    return rc;
}

int outputs_incident(struct outputs *s, const char *json, size_t len)
{
    int rc = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct output_module *m = s->inst[i].m;
        if (!(s->inst[i].takes & OUTPUT_ALERTS)) continue;
        int (*write)(void *, const char *, size_t) =
            m->write_incident ? m->write_incident : m->write_alert;
        if (write(s->inst[i].st, json, len) != 0) rc = -1;
    }
    return rc;
}

int outputs_flow(struct outputs *s, const char *json, size_t len)
{
    int rc = 0;
    for (size_t i = 0; i < s->n; i++)
        if ((s->inst[i].takes & OUTPUT_FLOWS) &&
            s->inst[i].m->write_flow(s->inst[i].st, json, len) != 0)
            rc = -1;
    return rc;
}

void outputs_stats(struct outputs *s, const struct output_counters *c)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->inst[i].takes & OUTPUT_STATS) s->inst[i].m->write_stats(s->inst[i].st, c);
}

int outputs_takes(const struct outputs *s)
{
    return s ? s->takes : 0;
}

int outputs_flush(struct outputs *s)
{
    int rc = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->inst[i].m->flush && s->inst[i].m->flush(s->inst[i].st) != 0) rc = -1;
    return rc;
}

int outputs_reopen(struct outputs *s, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->inst[i].m->reopen && s->inst[i].m->reopen(s->inst[i].st, err, errlen) != 0)
            return -1;
    return 0;
}

const char *outputs_name(const struct outputs *s, size_t i)
{
    return i < s->n ? s->inst[i].m->name : NULL;
}

void outputs_close(struct outputs *s, int drain)
{
    if (!s) return;
    for (size_t i = 0; i < s->n; i++)
        s->inst[i].m->close(s->inst[i].st, drain);
    free(s);
}

/* The incident record (docs/incidents.md, "The record"): one EVE event per
 * version, fields in the order of the doc's example. Records are rendered
 * when the change happens, into a buffer of pending lines, and given to
 * the sink by corr_emit() (correlate_publish), so a record always shows
 * the incident as it was at that change. */
#include <stdlib.h>
#include <string.h>

#include "alert/eve.h"
#include "correlate_internal.h"

static const char *const change_names[] = {
    "new_incident", "new_host", "new_hop", "new_technique", "new_zone",
    "new_tactic",   "pivot",    "merged",  "closed",        "update",
};

static const char *const role_names[] = {"target", "pivot", "origin"};

static const char *state_name(int state)
{
    return state == ST_CLOSED ? "closed" : state == ST_MERGED ? "merged" : "open";
}

/* 10 per tactic, 5 per zone crossed, 10 per pivot, 5 per high or critical
 * zone reached; at most 100. */
uint32_t corr_score(const struct correlator *c, const struct incident *inc)
{
    uint32_t s = 10 * inc->ntactics + 10 * inc->pivots;
    if (inc->nzones > 1) s += 5 * (inc->nzones - 1);
    for (uint32_t i = 0; i < inc->nzones; i++) {
        enum zone_criticality k = zones_criticality(c->zones, inc->zones[i]);
        if (k == ZONE_CRIT_HIGH || k == ZONE_CRIT_CRITICAL) s += 5;
    }
    return s > 100 ? 100 : s;
}

static void key_time(struct json_writer *w, const char *key, uint64_t ts)
{
    char buf[64];
    eve_format_time(ts, buf, sizeof(buf));
    json_key_str(w, key, buf);
}

static void key_addr(struct json_writer *w, const char *key, const struct inc_host *h)
{
    char buf[64];
    eve_format_addr(h->addr, h->family, buf, sizeof(buf));
    json_key_str(w, key, buf);
}

static void write_hosts(struct correlator *c, const struct incident *inc)
{
    struct json_writer *w = &c->w;
    json_key_array(w, "hosts");
    for (uint32_t i = 0; i < inc->nhosts; i++) {
        const struct inc_host *h = &inc->hosts[i];
        json_begin_object(w);
        key_addr(w, "ip", h);
        json_key_str(w, "zone", zones_name(c->zones, h->zone));
        json_key_str(w, "role", role_names[h->role]);
        key_time(w, "first_seen", h->first_seen);
        json_end_object(w);
    }
    json_end_array(w);
}

static void write_names(struct correlator *c, const char *key, const uint16_t *ids, uint32_t n)
{
    json_key_array(&c->w, key);
    for (uint32_t i = 0; i < n; i++)
        json_array_str(&c->w, c->names[ids[i]]);
    json_end_array(&c->w);
}

static void write_hops(struct correlator *c, const struct incident *inc)
{
    struct json_writer *w = &c->w;
    json_key_array(w, "hops");
    for (uint32_t i = 0; i < inc->nhops; i++) {
        const struct inc_hop *p = &inc->hops[i];
        const struct inc_host *s = &inc->hosts[p->src], *d = &inc->hosts[p->dst];
        json_begin_object(w);
        key_addr(w, "src_ip", s);
        key_addr(w, "dest_ip", d);
        json_key_str(w, "src_zone", zones_name(c->zones, s->zone));
        json_key_str(w, "dest_zone", zones_name(c->zones, d->zone));
        key_time(w, "first_seen", p->first_seen);
        key_time(w, "last_seen", p->last_seen);
        write_names(c, "techniques", p->tech, p->ntech);
        write_names(c, "detectors", p->det, p->ndet);
        json_key_u64(w, "alerts", p->alerts);
        json_key_u64(w, "allowed_flows", p->allowed_flows);
        json_end_object(w);
    }
    json_end_array(w);
}

static void write_incident(struct correlator *c, const struct incident *inc)
{
    struct json_writer *w = &c->w;
    json_key_object(w, "incident");
    json_key_str(w, "id", inc->id);
    json_key_u64(w, "version", inc->version);
    json_key_str(w, "state", state_name(inc->state));
    if (inc->state == ST_MERGED) json_key_str(w, "merged_into", inc->merged_into);
    json_key_array(w, "change");
    for (size_t b = 0; b < sizeof(change_names) / sizeof(change_names[0]); b++)
        if (inc->change & (1u << b)) json_array_str(w, change_names[b]);
    json_end_array(w);
    key_time(w, "first_seen", inc->first_seen);
    key_time(w, "last_seen", inc->last_seen);
    json_key_int(w, "severity", inc->severity);
    json_key_u64(w, "score", corr_score(c, inc));
    json_key_u64(w, "alerts", inc->alerts);
    json_key_u64(w, "probes", inc->probes);
    if (inc->nhosts) key_addr(w, "origin", &inc->hosts[0]);
    write_hosts(c, inc);
    write_hops(c, inc);
    json_key_array(w, "zones");
    for (uint32_t i = 0; i < inc->nzones; i++)
        json_array_str(w, zones_name(c->zones, inc->zones[i]));
    json_end_array(w);
    write_names(c, "tactics", inc->tactics, inc->ntactics);
    json_key_u64(w, "pivots", inc->pivots);
    json_key_u64(w, "hosts_dropped", inc->hosts_dropped);
    json_key_u64(w, "hops_dropped", inc->hops_dropped);
    json_end_object(w);
}

/* Each record is kept NUL-terminated, as json_buffer() gives a document;
 * out_ends[i] is the offset of record i's NUL. */
static int out_append(struct correlator *c, const char *s, size_t n)
{
    if (c->out_len + n + 1 > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + n + 1)
            cap *= 2;
        char *o = realloc(c->out, cap);
        if (!o) return -1;
        c->out = o;
        c->out_cap = cap;
    }
    if (c->nout == c->cap_out) {
        size_t cap = c->cap_out ? c->cap_out * 2 : 16;
        size_t *e = realloc(c->out_ends, cap * sizeof(*e));
        if (!e) return -1;
        c->out_ends = e;
        c->cap_out = cap;
    }
    memcpy(c->out + c->out_len, s, n);
    c->out_len += n;
    c->out[c->out_len] = '\0';
    c->out_ends[c->nout++] = c->out_len++;
    return 0;
}

/* The next version of inc, with its accumulated changes, stamped ts. */
void corr_render(struct correlator *c, struct incident *inc, uint64_t ts)
{
    struct json_writer *w = &c->w;
    if (!inc->change) inc->change = CH_UPDATE;
    inc->version++;
    json_reset(w);
    json_begin_object(w);
    key_time(w, "timestamp", ts);
    json_key_str(w, "event_type", "incident");
    if (c->sensor && *c->sensor) json_key_str(w, "host", c->sensor);
    write_incident(c, inc);
    json_end_object(w);
    size_t len;
    const char *doc = json_buffer(w, &len);
    if (!doc || out_append(c, doc, len) < 0)
        c->oom++;
    else
        c->st.records++;
    inc->change = 0;
    inc->last_record = ts;
}

void corr_emit(struct correlator *c)
{
    size_t start = 0;
    for (size_t i = 0; i < c->nout; i++) {
        if (c->sink) c->sink(c->ud, c->out + start, c->out_ends[i] - start);
        start = c->out_ends[i] + 1;
    }
    c->nout = 0;
    c->out_len = 0;
}

/* Private to sensor/correlate/: the incident pool, the host index and the
 * record writer that correlate.c, corr_index.c and incident_json.c share. */
#ifndef VIGIE_CORRELATE_INTERNAL_H
#define VIGIE_CORRELATE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "alert/json.h"
#include "correlate.h"

/* docs/incidents.md rule 10. */
#define CORR_MAX_HOSTS 128
#define CORR_MAX_HOPS 256
/* A zone is listed when a host of it joins, so an incident reaches at most
 * as many zones as it has hosts. */
#define CORR_MAX_ZONES CORR_MAX_HOSTS
/* ATT&CK defines 14 enterprise tactics. */
#define CORR_MAX_TACTICS 32
/* Distinct techniques and detectors one hop lists. */
#define CORR_HOP_TECHNIQUES 16
#define CORR_HOP_DETECTORS 16
/* Distinct ATT&CK and detector ids the correlator knows (interned). */
#define CORR_MAX_NAMES 1024
/* Minor changes wait this long after the last record (packet time). */
#define CORR_UPDATE_US 60000000ull

#define CORR_NONE UINT32_MAX

enum corr_role { ROLE_TARGET, ROLE_PIVOT, ROLE_ORIGIN };

/* Bits of incident.change, in the order the record lists them. */
enum {
    CH_NEW_INCIDENT = 1 << 0,
    CH_NEW_HOST = 1 << 1,
    CH_NEW_HOP = 1 << 2,
    CH_NEW_TECHNIQUE = 1 << 3,
    CH_NEW_ZONE = 1 << 4,
    CH_NEW_TACTIC = 1 << 5,
    CH_PIVOT = 1 << 6,
    CH_MERGED = 1 << 7,
    CH_CLOSED = 1 << 8,
    CH_UPDATE = 1 << 9,
};
#define CH_STRUCTURAL 0xFF

enum corr_state { ST_FREE, ST_OPEN, ST_CLOSED, ST_MERGED };

struct inc_host {
    uint8_t family, role;
    uint8_t lateral; /* destination of a lateral-movement technique here */
    uint8_t acted;   /* source of an alert with an ATT&CK technique here */
    uint8_t active;  /* on its address's chain, at link */
    uint8_t addr[16];
    uint16_t zone;
    uint32_t link;
    uint64_t first_seen;
};

struct inc_hop {
    uint8_t src, dst; /* indices in hosts[] */
    uint8_t ntech, ndet;
    uint16_t tech[CORR_HOP_TECHNIQUES]; /* interned names */
    uint16_t det[CORR_HOP_DETECTORS];
    uint64_t first_seen, last_seen;
    uint64_t alerts, allowed_flows;
};

/* A doubly linked list of incident slots; links are slot indices. */
struct corr_list {
    uint32_t head, tail;
};
struct corr_link {
    uint32_t prev, next;
};

struct incident {
    int state;
    uint64_t seq; /* creation order: ties between equal times */
    char id[CORR_ID_LEN];
    uint32_t version;
    uint32_t change;      /* changes since the last record */
    int dirty;            /* on the dirty list: a record due at publish */
    int pending;          /* on the due list: minor changes not written */
    uint64_t change_ts;   /* packet time of the last change */
    uint64_t last_record; /* timestamp of the last record written */
    uint64_t first_seen, last_seen;
    uint64_t alerts;
    uint64_t probes; /* alerts that were probes, counted in alerts too */
    int severity;
    struct inc_host *hosts;
    uint32_t nhosts, cap_hosts;
    struct inc_hop *hops;
    uint32_t nhops, cap_hops;
    uint16_t zones[CORR_MAX_ZONES];
    uint32_t nzones;
    uint16_t tactics[CORR_MAX_TACTICS];
    uint32_t ntactics;
    uint32_t pivots;
    uint64_t hosts_dropped, hops_dropped;
    char merged_into[CORR_ID_LEN];
    struct corr_link by_last; /* open incidents by (last_seen, seq) */
    struct corr_link by_due;  /* pending minor changes by (due, seq) */
    struct corr_link by_dirty;
    uint32_t next_free;
};

/* One (address, incident) membership. */
struct corr_mslot {
    uint8_t used, family;
    uint8_t addr[16];
    uint32_t inc, host;
};

/* A link of an address's chain of incidents where it acts. */
struct corr_member {
    uint32_t next, prev;
    uint32_t inc;
    uint32_t host;
};

struct corr_addr {
    uint8_t used, family;
    uint8_t addr[16];
    uint32_t head, tail; /* an address with no link has no slot */
};

struct corr_index {
    struct corr_mslot *mem;
    size_t cap_mem, used_mem; /* a power of two, at most half full */
    struct corr_addr *slots;
    size_t cap, used;
    struct corr_member *members;
    uint32_t nmembers, cap_members, free_member;
};

struct correlator {
    struct corr_settings set;
    const struct zones *zones;
    const char *sensor;
    incident_sink_fn sink;
    void *ud;

    struct incident *incs;
    uint32_t cap_incs, free_inc;
    uint64_t next_seq;
    uint64_t clock; /* latest packet time seen */
    struct corr_list by_last, by_due, dirty;

    struct corr_index index;

    const char *names[CORR_MAX_NAMES];       /* interned ids, by number */
    uint16_t name_slots[2 * CORR_MAX_NAMES]; /* hash -> number + 1 */
    uint32_t nnames;

    /* Records rendered and not yet given to the sink: several lines. */
    char *out;
    size_t out_len, out_cap;
    size_t *out_ends;
    size_t nout, cap_out;
    struct json_writer w;
    int oom;

    struct correlate_stats st;
    uint64_t names_dropped;
};

/* correlate.c: the pool, the lists and the versions. */
enum { CORR_L_LAST, CORR_L_DUE, CORR_L_DIRTY };
void corr_list_remove(struct correlator *c, int which, uint32_t i);
void corr_list_insert(struct correlator *c, int which, uint32_t i);
void corr_write_version(struct correlator *c, struct incident *inc, uint64_t ts);
void corr_changed(struct correlator *c, struct incident *inc);
void corr_touch(struct correlator *c, struct incident *inc, uint64_t ts);
/* A new open incident (evicting the oldest at max_open), or NULL. */
struct incident *corr_alloc(struct correlator *c, uint64_t ts);
/* Last version (ST_CLOSED or ST_MERGED) and the slot is freed. */
void corr_end(struct correlator *c, struct incident *inc, int state, uint64_t ts);
/* Renders what earlier events owe, then does what fell due by now. */
void corr_advance(struct correlator *c, uint64_t now);

/* corr_index.c: (address, incident) -> host, and address -> the chain
 * of incidents where it acts. */
int corr_index_init(struct corr_index *ix);
void corr_index_free(struct corr_index *ix);
/* Host index of addr in incident inc, or CORR_NONE. */
uint32_t corr_index_find(const struct corr_index *ix, uint8_t family, const uint8_t addr[16],
                         uint32_t inc);
/* 0, or -1 when out of memory. */
int corr_index_add(struct corr_index *ix, uint8_t family, const uint8_t addr[16], uint32_t inc,
                   uint32_t host);
/* Puts the membership on the address's chain (once per membership),
 * origins first; returns the link, CORR_NONE when out of memory. */
uint32_t corr_index_activate(struct corr_index *ix, uint8_t family, const uint8_t addr[16],
                             uint32_t inc, uint32_t host, int origin);
/* First link of addr's chain, CORR_NONE if none. */
uint32_t corr_index_first(const struct corr_index *ix, uint8_t family, const uint8_t addr[16]);
/* link: the membership's link on the chain, or CORR_NONE. */
void corr_index_remove(struct corr_index *ix, uint8_t family, const uint8_t addr[16], uint32_t inc,
                       uint32_t link);

/* corr_index.c: interned names (static strings) -> small numbers. */
int corr_name(struct correlator *c, const char *s); /* -1 if the table is full */

/* incident_json.c: renders inc's next version into the pending output. */
void corr_render(struct correlator *c, struct incident *inc, uint64_t ts);
void corr_emit(struct correlator *c);
uint32_t corr_score(const struct correlator *c, const struct incident *inc);

#endif

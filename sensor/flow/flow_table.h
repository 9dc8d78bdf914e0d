/* Flow table: a fixed pool of flow slots, an open-addressing index, and one
 * LRU list per timeout class. Nothing is allocated per packet; memory is
 * bounded by flows.max and flows.memcap_mb (slots, index and the flows'
 * nDPI and dissector state), the least recently used flow being evicted
 * when either is reached; near them, emergency mode (see
 * flow_table_config). */
#ifndef VIGIE_FLOW_TABLE_H
#define VIGIE_FLOW_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include "decode/packet.h"
#include "engine.h"

struct ndpi_flow_struct;

enum flow_class { FLOW_TCP, FLOW_TCP_CLOSED, FLOW_UDP, FLOW_OTHER, FLOW_CLASS_MAX };

/* EVE flow.reason: timeout, shutdown (end of file), forced (evicted or
 * live stop), tcp_reuse (a SYN on the ports of a closed connection). */
enum flow_end_reason { FLOW_END_TIMEOUT, FLOW_END_EOF, FLOW_END_FORCED, FLOW_END_TCP_REUSE };

/* Classification state, owned by classify.c. The nDPI state is only
 * attached while nDPI still needs packets. */
struct flow_classification {
    struct ndpi_flow_struct *ndpi;
    uint64_t risk;
    uint16_t master, app, category;
    uint16_t dpi_packets;
    uint8_t done;
    /* Named by its ports or addresses when nDPI gave up, not by its
     * payload (ndpi_detection_giveup's protocol_was_guessed). */
    uint8_t guessed;
    /* Named by nDPI, its state given back over budget before nDPI was
     * done: final at the next packet or the end (classify.c). */
    uint8_t shed;
};

/* Field order matters: a packet of a classified flow touches the first
 * two cache lines only (key and counters, then bytes and classification);
 * ids and list links are cold. */
struct flow {
    /* line 1: lookup and per-packet counters */
    struct flow_key key;
    uint64_t last_us;
    uint32_t pkts[2];    /* sent by key endpoint 0 / 1 */
    uint32_t lru_s;      /* packet time (s) when placed at its LRU head */
    unsigned client : 1; /* key endpoint that opened the flow */
    unsigned fclass : 3; /* enum flow_class */
    /* A policy rule allowed what a detector saw on it (docs/incidents.md
     * rule 9): a fact of its flow record, not an alert. */
    unsigned policy_allowed : 1;
    /* Bit per key endpoint that sent application payload: a flow with none
     * reached no service (a scan probe, a refused connection). */
    unsigned payload : 2;
    uint8_t tcp_fin;      /* bit per endpoint that sent a FIN */
    uint8_t tcp_flags[2]; /* OR of the TCP flags sent by key endpoint 0 / 1 */
    /* line 2 */
    uint64_t bytes[2]; /* sent by key endpoint 0 / 1 */
    struct flow_classification cls;
    struct dissect_slot dissect; /* the dissection engine's, one pointer */
    uint64_t first_us;
    /* cold */
    uint64_t id;
    uint32_t lru_prev, lru_next;
    /* Type and code of the first ICMP / ICMPv6 message each key endpoint
     * sent (valid once pkts[i] > 0): EVE icmp_type, Community ID ports. */
    uint8_t icmp_type[2], icmp_code[2];
    uint16_t zone[2]; /* zone id per key endpoint */
    uint64_t alerted; /* bit per detector that alerted on this flow */
};

/* What the dissection engine is told of a flow. */
static inline struct dissect_flow_info flow_dissect_info(const struct flow *f)
{
    struct dissect_flow_info fi = {f->key.proto, f->key.port[f->client], f->key.port[!f->client],
                                   !((f->tcp_flags[0] | f->tcp_flags[1]) & TCP_SYN)};
    return fi;
}

typedef void (*flow_end_fn)(struct flow *f, enum flow_end_reason reason, void *ud);

struct flow_table_config {
    uint32_t max_flows;
    uint64_t memcap_bytes;
    uint32_t timeout_s[FLOW_CLASS_MAX];
    flow_end_fn on_end; /* called before a flow's slot is reused */
    void *ud;
    /* Other per-flow memory to count against the memcap, kept current by
     * its owner, also from on_end (an eviction loop reads it after each
     * flow it ends): the flows' nDPI state (classify_memory()) and their
     * dissector state (dissect_memory()), apart so stats can tell them
     * (either may be NULL). Over the memcap, flows are evicted, the least
     * recently used first, when one is created or when live ones grew
     * past it. */
    const size_t *dpi_mem, *dissector_mem;
    /* Emergency mode, as Suricata's flow emergency: entered when the
     * memory in use reaches emergency_high_pct % of the memcap, left when
     * it is back under emergency_low_pct % (0: 95 and 80).
     * Meanwhile flows time out after emergency_timeout_s (0: a tenth of
     * timeout_s, at least 1 s), and an eviction takes first, among the
     * oldest flows of each class, one least likely to matter: classified
     * with no dissector attached, or that never carried payload. */
    uint8_t emergency_high_pct, emergency_low_pct;
    uint32_t emergency_timeout_s[FLOW_CLASS_MAX];
};

struct flow_table_stats {
    uint64_t created, ended, evicted, dropped;
    uint32_t active, capacity;
    uint64_t mem_bytes;                  /* slots, index and all the flows' other state */
    uint64_t dpi_bytes, dissector_bytes; /* of which *dpi_mem, *dissector_mem */
    uint64_t emergencies;                /* times emergency mode was entered */
    uint64_t emergency_evicted;          /* evictions while in it (also in evicted) */
    uint64_t emergency_expired;          /* ended by an emergency timeout */
    uint32_t emergency;                  /* 1 while in emergency mode */
};

struct flow_table;

struct flow_table *flow_table_create(const struct flow_table_config *cfg, char *err, size_t errlen);
void flow_table_destroy(struct flow_table *ft);

/* Finds the packet's flow or creates it (evicting if full); NULL only when
 * nothing can be evicted. *created is set for a new flow. */
struct flow *flow_table_get(struct flow_table *ft, const struct packet *pkt, int *created);
struct flow *flow_table_lookup(struct flow_table *ft, const struct flow_key *key);
/* For a packet looked up soon: its index entry into the cache, then (once
 * that is there, a few packets later) the slot the entry names. They only
 * read: a lookup between them and the packet's does no harm. */
void flow_table_prefetch_entry(const struct flow_table *ft, const struct flow_key *key);
void flow_table_prefetch_slot(const struct flow_table *ft, const struct flow_key *key);

/* Moves a flow to another timeout class (e.g. TCP closed). */
void flow_table_set_class(struct flow_table *ft, struct flow *f, enum flow_class c);

/* Ends flows idle longer than their class timeout at packet time now_us. */
void flow_table_expire(struct flow_table *ft, uint64_t now_us);
/* Ends every flow (end of file or shutdown). */
void flow_table_flush(struct flow_table *ft, enum flow_end_reason reason);
/* The live flows whose last packet is in the oldest second, as slots
 * (flow_table_slot) sorted by last packet then flow id, into *buf (cap
 * entries, grown as needed: *cap > 0 on entry); returns how many, 0 when
 * none is left, -1 when out of memory. End them all before the next call:
 * call after call, every flow comes out in that order. */
long flow_table_oldest(struct flow_table *ft, uint32_t **buf, size_t *cap);
struct flow *flow_table_slot(struct flow_table *ft, uint32_t i);
/* A caller ending every flow itself, in its own order (flow_table_end on
 * each): between these two no lookup may happen, and the index is cleared
 * once at the end rather than entry by entry. */
void flow_table_closing(struct flow_table *ft);
void flow_table_closed(struct flow_table *ft);
/* Ends one flow now. */
void flow_table_end(struct flow_table *ft, struct flow *f, enum flow_end_reason reason);

/* Calls fn on every live flow (configuration reload). */
void flow_table_foreach(struct flow_table *ft, void (*fn)(struct flow *f, void *ud), void *ud);

void flow_table_get_stats(const struct flow_table *ft, struct flow_table_stats *st);
const char *flow_end_reason_name(enum flow_end_reason r);

#endif

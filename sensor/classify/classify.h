/* Classification with nDPI 4.2, reproducing ndpiReader's decisions: feed
 * every packet until nDPI names the application and has no extra dissection
 * to do, or until 80 TCP / 24 UDP packets; then give up with guessing. The
 * nDPI state is returned to a pool as soon as the decision is final. */
#ifndef VIGIE_CLASSIFY_H
#define VIGIE_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>
#include "flow/flow_table.h"
#include "decode/packet.h"

struct classifier;

struct classify_stats {
    uint64_t dpi_packets, classified, given_up, pool_exhausted;
    /* Flows named by nDPI whose state was given back over budget before
     * nDPI's extra dissection ended (see classify_set_budget). */
    uint64_t shed;
    uint32_t active_states;
    uint32_t waiting;   /* of which named, nDPI still dissecting */
    uint64_t mem_bytes; /* = *classify_memory() */
};

/* Default budget of per-flow nDPI memory: 8 MiB, some 10,000 flows named
 * and waiting at once (see classify_set_budget). */
#define CLASSIFY_BUDGET_DEFAULT ((size_t)8 << 20)

struct classifier *classify_create(char *err, size_t errlen);
void classify_destroy(struct classifier *c);

/* Bytes of per-flow nDPI state (the states and what nDPI allocated in
 * them) above which flows nDPI has already named, but would still feed
 * for details (an HTTP response, a certificate), give their state back,
 * the one named longest ago first: their classification becomes final
 * with what nDPI named (counted in shed). A flow nDPI has not named keeps
 * its state whatever the budget (the flow table's memcap bounds those). An
 * nDPI state costs about 700 bytes plus what nDPI allocates in it, a flow
 * slot 160: without a budget, a million flows waiting for their answers
 * would hold 0.9 GB. */
void classify_set_budget(struct classifier *c, size_t bytes);

/* Feeds one packet of a flow whose classification is not final. Returns 1
 * when this packet made it final. */
int classify_packet(struct classifier *c, struct flow *f, const struct packet *pkt);
/* Makes the decision final (end of flow): gives up with guessing. */
void classify_finish(struct classifier *c, struct flow *f);

/* Bytes held by nDPI for flows under classification (for the memcap). */
const size_t *classify_memory(const struct classifier *c);
void classify_get_stats(const struct classifier *c, struct classify_stats *st);

/* "Master.App" exactly as nDPI names it (ndpi_protocol2name). */
const char *classify_proto_name(const struct classifier *c, const struct flow *f, char *buf,
                                size_t len);
const char *classify_category_name(const struct classifier *c, const struct flow *f);
/* Suricata-style app_proto ("smb", "dcerpc", "tls"...), "failed" if unknown. */
const char *classify_app_proto(const struct classifier *c, const struct flow *f, char *buf,
                               size_t len);
/* Iterates over the flow's nDPI risks: returns the name of the next set
 * risk at or after *pos, NULL at the end. */
const char *classify_next_risk(const struct flow *f, int *pos);
/* nDPI protocol id of an application name such as "SMBv23" (0 if none). */
uint16_t classify_proto_id(const struct classifier *c, const char *name);
/* nDPI's name of one protocol id ("SMBv23"). */
const char *classify_id_name(const struct classifier *c, uint16_t id, char *buf, size_t len);
/* nDPI master or app id, whichever names the application. */
static inline uint16_t classify_app_id(const struct flow *f)
{
    return f->cls.app ? f->cls.app : f->cls.master;
}

#endif

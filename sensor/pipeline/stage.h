/* The correlation stage: detect -> alert -> correlate -> output, on the
 * records every worker produced, in the order one thread would have
 * produced them (docs/workers.md). It owns everything that spans flows:
 * the detectors and their per-source tables, the alerter's dedup and
 * aggregates, the incidents, the learner; and the zones, policy and GeoIP
 * the workers read. */
#ifndef VIGIE_STAGE_H
#define VIGIE_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "classify/classify.h"
#include "config/config.h"
#include "enrich/zones.h"
#include "output/output.h"
#include "record.h"

struct stage;

struct stage_stats {
    uint64_t alerts, allowed_flows;
    uint64_t incidents, incidents_open, incident_records;
    uint64_t output_errors;
    uint64_t marks_full; /* flows whose alerted bits had no room (may alert twice) */
};

/* names: a classifier for protocol names only (a worker's; its name
 * tables are not written once made). */
struct stage *stage_create(const struct config *cfg, int learn, const struct classifier *names,
                           char *err, size_t errlen);
void stage_destroy(struct stage *s);
void stage_set_outputs(struct stage *s, struct outputs *out);

/* The zones the workers look flows up in (until the next reload). */
const struct zones *stage_zones(const struct stage *s);

void stage_record(struct stage *s, const struct record *r);
/* A second of packet time passed (after that tick's flow ends). */
void stage_tick(struct stage *s, uint64_t now_us);
/* End of capture, after the last flow ends: aggregates and incidents. */
void stage_finish(struct stage *s);

/* SIGHUP: new zones, roles, policy, GeoIP and detector settings. The old
 * zones stay valid until stage_release_old_zones() (workers still hold
 * them until they are told the new ones). */
int stage_reload(struct stage *s, const struct config *cfg, char *err, size_t errlen);
void stage_release_old_zones(struct stage *s);

int stage_write_learned(struct stage *s, const char *path, const char *source, char *err,
                        size_t errlen);
void stage_get_stats(const struct stage *s, struct stage_stats *st);

#endif

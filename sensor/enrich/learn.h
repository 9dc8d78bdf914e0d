/* Learn mode (--learn FILE): the cross-zone edges seen (zone pair,
 * application, server ports, flow count, first/last seen) written as a
 * policy YAML a config can include (`policy: {include: FILE}`). Edges are
 * sorted, and times are packet times, so learning twice over the same
 * capture writes the same file. */
#ifndef VIGIE_LEARN_H
#define VIGIE_LEARN_H

#include <stddef.h>

#include "classify/classify.h"
#include "flow/flow_table.h"
#include "zones.h"

struct learner;

struct learner *learner_create(void);
void learner_destroy(struct learner *l);
/* A flow whose application is final. Same-zone flows are ignored. */
void learner_add(struct learner *l, const struct flow *f);
/* Writes the policy file; source names what was learned from. */
int learner_write(const struct learner *l, const char *path, const char *source,
                  const struct zones *z, const struct classifier *cls, char *err, size_t errlen);
size_t learner_count(const struct learner *l);

#endif

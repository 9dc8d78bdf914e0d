/* Segmentation policy: the zone-pair matrix of SPEC section 3. A flow
 * between two different zones is allowed when a rule from its source zone
 * to its destination zone names its nDPI application (master or app) or its
 * server port; otherwise the default applies. */
#ifndef VIGIE_POLICY_H
#define VIGIE_POLICY_H

#include <stddef.h>
#include <stdint.h>

enum policy_verdict { POLICY_NONE, POLICY_ALLOW, POLICY_DENY };

struct policy_rule {
    uint16_t from, to; /* zone ids */
    uint16_t apps[32]; /* nDPI protocol ids; napps 0 = any app (if ports given) */
    size_t napps;
    uint16_t ports[64];
    size_t nports;
    char source[256]; /* "file:line" of the rule, for evidence */
    int baseline;     /* from an included (learned) file */
};

struct policy;

/* has_matrix 0: no policy configured, every verdict is POLICY_NONE. */
struct policy *policy_create(int has_matrix, int default_allow);
void policy_destroy(struct policy *p);
int policy_add_rule(struct policy *p, const struct policy_rule *r);

/* rule receives the allowing rule's source, or NULL. */
enum policy_verdict policy_check(const struct policy *p, uint16_t src_zone, uint16_t dst_zone,
                                 uint16_t master, uint16_t app, uint16_t server_port,
                                 const char **rule);
const char *policy_verdict_name(enum policy_verdict v);
/* Allow rules from included (learned) files: the baseline of new_edge. */
size_t policy_baseline_count(const struct policy *p);
/* Does a baseline rule cover this edge, whatever the default? */
int policy_edge_known(const struct policy *p, uint16_t src_zone, uint16_t dst_zone, uint16_t master,
                      uint16_t app, uint16_t server_port);

#endif

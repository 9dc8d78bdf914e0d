#include <stdlib.h>
#include <string.h>

#include "policy.h"

struct policy {
    int has_matrix, default_allow;
    struct policy_rule *rules;
    size_t n, cap;
};

struct policy *policy_create(int has_matrix, int default_allow)
{
    struct policy *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    p->has_matrix = has_matrix;
    p->default_allow = default_allow;
    return p;
}

void policy_destroy(struct policy *p)
{
    if (!p) return;
    free(p->rules);
    free(p);
}

int policy_add_rule(struct policy *p, const struct policy_rule *r)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 16;
        struct policy_rule *rules = realloc(p->rules, cap * sizeof(*rules));
        if (!rules) return -1;
        p->rules = rules;
        p->cap = cap;
    }
    p->rules[p->n++] = *r;
    return 0;
}

static int rule_matches(const struct policy_rule *r, uint16_t master, uint16_t app, uint16_t port)
{
    for (size_t i = 0; i < r->napps; i++)
        if ((master && r->apps[i] == master) || (app && r->apps[i] == app)) return 1;
    for (size_t i = 0; i < r->nports; i++)
        if (r->ports[i] == port) return 1;
    /* A rule with neither list allows everything between the two zones. */
    return r->napps == 0 && r->nports == 0;
}

size_t policy_baseline_count(const struct policy *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n; i++)
        n += p->rules[i].baseline != 0;
    return n;
}

int policy_edge_known(const struct policy *p, uint16_t src_zone, uint16_t dst_zone, uint16_t master,
                      uint16_t app, uint16_t server_port)
{
    for (size_t i = 0; i < p->n; i++) {
        const struct policy_rule *r = &p->rules[i];
        if (r->baseline && r->from == src_zone && r->to == dst_zone &&
            rule_matches(r, master, app, server_port))
            return 1;
    }
    return 0;
}

enum policy_verdict policy_check(const struct policy *p, uint16_t src_zone, uint16_t dst_zone,
                                 uint16_t master, uint16_t app, uint16_t server_port,
                                 const char **rule)
{
    *rule = NULL;
    if (!p->has_matrix || src_zone == dst_zone) return POLICY_NONE;
    for (size_t i = 0; i < p->n; i++) {
        const struct policy_rule *r = &p->rules[i];
        if (r->from == src_zone && r->to == dst_zone && rule_matches(r, master, app, server_port)) {
            *rule = r->source;
            return POLICY_ALLOW;
        }
    }
    return p->default_allow ? POLICY_ALLOW : POLICY_DENY;
}

const char *policy_verdict_name(enum policy_verdict v)
{
    static const char *names[] = {"none", "allow", "deny"};
    return names[v];
}

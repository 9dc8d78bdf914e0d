/* The parts of the config that name zones: roles and the policy matrix
 * (SPEC section 3), including `policy: {include: FILE}` of a learned
 * policy. Zones are read first (see config_top_fields), so every zone
 * name is checked where it is written. */
#include <ndpi_api.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

#define RULE(m) offsetof(struct config_rule, m)

/* Without zones nor zones_mmdb the built-in zones apply (SPEC section 2),
 * so "internal" is then a zone a policy may name. */
static int zone_known(const struct config *cfg, const char *name)
{
    if (!strcmp(name, "external")) return 1;
    if (!cfg->n_zones && !cfg->zones_mmdb.file[0]) return !strcmp(name, "internal");
    for (size_t i = 0; i < cfg->n_zones; i++)
        if (!strcmp(cfg->zones[i].name, name)) return 1;
    return 0;
}

static int zone_ref(struct loader *ld, yaml_node_t *v, const char *name)
{
    const struct config *cfg = ld->cfg;
    if (zone_known(cfg, name)) return 0;
    const char **names = calloc(cfg->n_zones + 3, sizeof(*names));
    const char *near = NULL;
    if (names) {
        size_t n = 0;
        names[n++] = "external";
        if (!cfg->n_zones) names[n++] = "internal";
        for (size_t i = 0; i < cfg->n_zones; i++)
            names[n++] = cfg->zones[i].name;
        near = ld_closest(name, names);
        free(names);
    }
    if (near)
        ld_error(ld, v, "unknown zone '%s' (did you mean '%s'?)", name, near);
    else if (!cfg->n_zones)
        ld_error(ld, v,
                 "unknown zone '%s' (no zones are declared: only 'internal' and "
                 "'external' exist)",
                 name);
    else
        ld_error(ld, v, "unknown zone '%s' (not in zones, nor 'external')", name);
    return -1;
}

/* --- roles --------------------------------------------------------------- */

/* Decides whether a role entry that does not parse meant an address (then
 * the parse error is the useful message) or a zone name. */
static int looks_like_address(const char *s)
{
    if (strchr(s, '/') || strchr(s, ':')) return 1;
    return strspn(s, "0123456789.") == strlen(s);
}

static void role_entry(struct loader *ld, yaml_node_t *v, struct config_role *r)
{
    const char *s = ld_scalar(ld, v, "an address, CIDR or zone name");
    struct cidr c;
    char why[160];
    if (!s) return;
    if (cidr_parse(s, &c, why, sizeof(why)) == 0)
        r->cidrs[r->n_cidrs++] = c;
    else if (looks_like_address(s))
        ld_error(ld, v, "%s", why);
    else if (zone_ref(ld, v, s) == 0)
        snprintf(r->zones[r->n_zones++], CONFIG_NAME, "%s", s);
}

void ld_f_role(struct loader *ld, yaml_node_t *v, void *base, const struct field *f)
{
    struct config_role *r = (struct config_role *)((char *)base + f->offset);
    yaml_node_t **items;
    int n = ld_seq(ld, v, &items);
    if (n <= 0) return;
    r->cidrs = calloc((size_t)n, sizeof(*r->cidrs));
    r->zones = calloc((size_t)n, sizeof(*r->zones));
    for (int i = 0; r->cidrs && r->zones && i < n; i++) {
        size_t mark = ld_push_index(ld, (size_t)i);
        role_entry(ld, items[i], r);
        ld_pop(ld, mark);
    }
    free(items);
}

static void role_free(struct config_role *r)
{
    free(r->cidrs);
    free(r->zones);
    memset(r, 0, sizeof(*r));
}

/* --- rules ---------------------------------------------------------------- */

static void f_rule_zone(struct loader *ld, yaml_node_t *v, void *base, const struct field *f)
{
    char *dst = (char *)base + f->offset;
    if (ld_string(ld, v, dst, f->size) == 0 && zone_ref(ld, v, dst) != 0) dst[0] = '\0';
}

static void f_ports(struct loader *ld, yaml_node_t *v, void *base, const struct field *f)
{
    struct config_rule *r = base;
    yaml_node_t **items;
    (void)f;
    int n = ld_seq(ld, v, &items);
    if (n <= 0) return;
    if ((r->ports = calloc((size_t)n, sizeof(*r->ports)))) {
        for (int i = 0; i < n; i++) {
            size_t mark = ld_push_index(ld, (size_t)i);
            long long port;
            if (ld_int(ld, items[i], 1, 65535, &port) == 0) r->ports[r->n_ports++] = (uint16_t)port;
            ld_pop(ld, mark);
        }
    }
    free(items);
}

/* nDPI is the authority on application names: a misspelt one would make a
 * rule that never matches, so it is an error, with nDPI's spelling
 * suggested. The module lives for one load only. */
static struct ndpi_detection_module_struct *ndpi_for(struct loader *ld, yaml_node_t *v)
{
    if (!ld->ndpi && !ld->ndpi_failed) {
        ld->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
        if (ld->ndpi)
            ndpi_finalize_initialization(ld->ndpi);
        else
            ld->ndpi_failed = 1;
        if (!ld->ndpi) ld_error(ld, v, "cannot check application names: nDPI failed to start");
    }
    return ld->ndpi;
}

static void unknown_app(struct loader *ld, yaml_node_t *v, const char *name)
{
    unsigned n = ndpi_get_num_supported_protocols(ld->ndpi);
    const char **names = calloc(n + 1, sizeof(*names));
    const char *near = NULL;
    if (names) {
        for (unsigned i = 0; i < n; i++)
            names[i] = ndpi_get_proto_name(ld->ndpi, (uint16_t)i);
        near = ld_closest(name, names);
    }
    if (near)
        ld_error(ld, v, "unknown nDPI application '%s' (did you mean '%s'?)", name, near);
    else
        ld_error(ld, v, "unknown nDPI application '%s' (names as ndpiReader prints them)", name);
    free(names);
}

static void app_entry(struct loader *ld, yaml_node_t *v, struct config_rule *r)
{
    char name[CONFIG_NAME];
    if (ld_string(ld, v, name, sizeof(name)) != 0 || !ndpi_for(ld, v)) return;
    int id = ndpi_get_protocol_id(ld->ndpi, name);
    if (id < 0) {
        unknown_app(ld, v, name);
        return;
    }
    char *canon = strdup(ndpi_get_proto_name(ld->ndpi, (uint16_t)id));
    if (!canon) return;
    r->apps[r->n_apps] = canon;
    r->app_ids[r->n_apps++] = (uint16_t)id;
}

static void f_apps(struct loader *ld, yaml_node_t *v, void *base, const struct field *f)
{
    struct config_rule *r = base;
    yaml_node_t **items;
    (void)f;
    int n = ld_seq(ld, v, &items);
    if (n <= 0) return;
    r->apps = calloc((size_t)n, sizeof(*r->apps));
    r->app_ids = calloc((size_t)n, sizeof(*r->app_ids));
    for (int i = 0; r->apps && r->app_ids && i < n; i++) {
        size_t mark = ld_push_index(ld, (size_t)i);
        app_entry(ld, items[i], r);
        ld_pop(ld, mark);
    }
    free(items);
}

static const struct field rule_fields[] = {
    {"from", f_rule_zone, RULE(from), CONFIG_NAME, 0, 0, NULL},
    {"to", f_rule_zone, RULE(to), CONFIG_NAME, 0, 0, NULL},
    {"apps", f_apps, 0, 0, 0, 0, NULL},
    {"ports", f_ports, 0, 0, 0, 0, NULL},
    {0},
};

static void read_rule(struct loader *ld, yaml_node_t *item, struct config_rule *r)
{
    snprintf(r->source, sizeof(r->source), "%s:%u", ld->file, ld_line(item));
    if (item->type != YAML_MAPPING_NODE) {
        ld_error(ld, item, "expected a mapping {from, to, apps, ports}");
        return;
    }
    ld_map(ld, item, rule_fields, r);
    if (!ld_has_key(ld, item, "from")) ld_error(ld, item, "missing key 'from'");
    if (!ld_has_key(ld, item, "to")) ld_error(ld, item, "missing key 'to'");
    if (r->from[0] && !strcmp(r->from, r->to))
        ld_error(ld, item, "from and to are both '%s'; policy only applies between two zones",
                 r->from);
}

static void f_allow(struct loader *ld, yaml_node_t *v, void *base, const struct field *f)
{
    struct config *cfg = base;
    yaml_node_t **items;
    (void)f;
    int n = ld_seq(ld, v, &items);
    if (n <= 0) return;
    struct config_rule *rules =
        realloc(cfg->policy.allow, (cfg->policy.n_allow + (size_t)n) * sizeof(*rules));
    if (rules) {
        cfg->policy.allow = rules;
        memset(rules + cfg->policy.n_allow, 0, (size_t)n * sizeof(*rules));
        for (int i = 0; i < n; i++) {
            size_t mark = ld_push_index(ld, (size_t)i);
            read_rule(ld, items[i], &rules[cfg->policy.n_allow++]);
            ld_pop(ld, mark);
        }
    }
    free(items);
}

/* --- policy ------------------------------------------------------------------ */

static const struct field included_policy_fields[] = {
    {"allow", f_allow, 0, 0, 0, 0, NULL},
    {0},
};

/* What `--learn` writes: {policy: {allow: [...]}} and nothing else. */
static const struct field included_top_fields[] = {
    {"policy", ld_f_map, 0, 0, 0, 0, included_policy_fields},
    {0},
};

/* Reads one included file with the loader pointed at it, so its messages
 * carry its own name and lines, then points the loader back. */
static void include_file(struct loader *ld, yaml_node_t *v)
{
    char raw[CONFIG_STR], path[CONFIG_STR];
    if (ld_string(ld, v, raw, sizeof(raw)) != 0) return;
    if (!raw[0]) {
        ld_error(ld, v, "empty file name");
        return;
    }
    ld_resolve(ld, raw, path, sizeof(path));
    yaml_document_t doc;
    if (ld_read_file(ld, path, v, &doc) != 0) return;
    struct loader saved = *ld;
    ld->doc = &doc;
    ld->file = path;
    ld->file_no = ++ld->n_files;
    ld_dirname(path, ld->dir, sizeof(ld->dir));
    ld_pop(ld, 0);
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root) ld_map(ld, root, included_top_fields, ld->cfg);
    yaml_document_delete(&doc);
    ld->doc = saved.doc;
    ld->file = saved.file;
    ld->file_no = saved.file_no;
    memcpy(ld->dir, saved.dir, sizeof(ld->dir));
    memcpy(ld->key, saved.key, sizeof(ld->key));
    ld->keylen = saved.keylen;
}

static void f_include(struct loader *ld, yaml_node_t *v, void *base, const struct field *f)
{
    (void)base, (void)f;
    if (v->type != YAML_SEQUENCE_NODE) {
        include_file(ld, v);
        return;
    }
    yaml_node_t **items;
    int n = ld_seq(ld, v, &items);
    for (int i = 0; i < n; i++) {
        size_t mark = ld_push_index(ld, (size_t)i);
        include_file(ld, items[i]);
        ld_pop(ld, mark);
    }
    free(items);
}

static void f_default(struct loader *ld, yaml_node_t *v, void *base, const struct field *f)
{
    struct config *cfg = base;
    const char *s = ld_scalar(ld, v, "allow or deny");
    (void)f;
    if (!s) return;
    if (!strcmp(s, "allow"))
        cfg->policy.mode = CONFIG_POLICY_ALLOW;
    else if (!strcmp(s, "deny"))
        cfg->policy.mode = CONFIG_POLICY_DENY;
    else
        ld_error(ld, v, "expected allow or deny, got '%s'", s);
}

static const struct field policy_fields[] = {
    {"default", f_default, 0, 0, 0, 0, NULL},
    {"allow", f_allow, 0, 0, 0, 0, NULL},
    {"include", f_include, 0, 0, 0, 0, NULL},
    {0},
};

/* A policy section means a policy matrix; what is not allowed is denied
 * unless it says otherwise. */
void ld_f_policy(struct loader *ld, yaml_node_t *v, void *base, const struct field *f)
{
    struct config *cfg = base;
    (void)f;
    if (ld_is_null(v)) return;
    if (v->type == YAML_MAPPING_NODE) cfg->policy.mode = CONFIG_POLICY_DENY;
    ld_map(ld, v, policy_fields, base);
}

void config_policy_free(struct config *cfg)
{
    for (size_t i = 0; i < cfg->policy.n_allow; i++) {
        struct config_rule *r = &cfg->policy.allow[i];
        for (size_t j = 0; j < r->n_apps; j++)
            free(r->apps[j]);
        free(r->apps);
        free(r->app_ids);
        free(r->ports);
    }
    free(cfg->policy.allow);
    cfg->policy.allow = NULL;
    cfg->policy.n_allow = 0;
    role_free(&cfg->roles.domain_controllers);
    role_free(&cfg->roles.admin_hosts);
}

void config_loader_done(struct loader *ld)
{
    if (ld->ndpi) ndpi_exit_detection_module(ld->ndpi);
    ld->ndpi = NULL;
}

/* The sections of SPEC section 3, as field tables, and the parsers of the
 * values that need more than a type check: zones, roles, detectors, the
 * BPF filter, MMDB files and the Redis URL. Policy is in config_policy.c. */
#include <ctype.h>
#include <maxminddb.h>
#include <pcap/pcap.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "detect/detect.h"
#include "output/redis_url.h"

#define CFG(m) offsetof(struct config, m)
#define ZONE(m) offsetof(struct config_zone, m)

/* Names go into JSON, Redis keys and log lines: keep them to characters
 * that need no quoting anywhere, starting with a letter. */
static int valid_name(const char *s, const char *extra)
{
    if (!isalpha((unsigned char)s[0])) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("._-", *s) && !(extra && strchr(extra, *s)))
            return 0;
    return 1;
}

static void f_name(struct loader *ld, yaml_node_t *v, void *base, const struct field *f)
{
    char *dst = (char *)base + f->offset;
    if (ld_string(ld, v, dst, f->size) != 0) return;
    if (!valid_name(dst, f->aux))
        ld_error(ld, v,
                 "'%s' must start with a letter and use only letters, digits, '.', '_', '-'%s", dst,
                 f->aux ? " or ':'" : "");
}

/* --- capture ----------------------------------------------------------- */

/* Compiled against Ethernet, the common case, so -T catches a typo in the
 * filter before the capture is opened. */
static void f_bpf(struct loader *ld, yaml_node_t *v, void *base, const struct field *f)
{
    struct config *cfg = base;
    if (ld_string(ld, v, cfg->capture.bpf, f->size) != 0 || !cfg->capture.bpf[0]) return;
    pcap_t *p = pcap_open_dead(DLT_EN10MB, cfg->capture.snaplen);
    if (!p) return;
    struct bpf_program prog;
    if (pcap_compile(p, &prog, cfg->capture.bpf, 1, PCAP_NETMASK_UNKNOWN) != 0)
        ld_error(ld, v, "invalid BPF filter: %s", pcap_geterr(p));
    else
        pcap_freecode(&prog);
    pcap_close(p);
}

static const struct field sensor_fields[] = {
    {"name", f_name, CFG(sensor_name), CONFIG_STR, 0, 0, NULL},
    {0},
};

static const struct field capture_fields[] = {
    {"interface", ld_f_str, CFG(capture.interface), CONFIG_STR, 0, 0, NULL},
    {"snaplen", ld_f_int, CFG(capture.snaplen), 0, 64, 262144, NULL},
    {"buffer_mb", ld_f_int, CFG(capture.buffer_mb), 0, 1, 65536, NULL},
    {"workers", ld_f_int, CFG(capture.workers), 0, 0, 64, NULL},
    {"bpf", f_bpf, CFG(capture.bpf), sizeof(((struct config *)0)->capture.bpf), 0, 0, NULL},
    {0},
};

static const struct field timeout_fields[] = {
    {"tcp", ld_f_u32, CFG(flows.timeout_s[FLOW_TCP]), 0, 1, 86400, NULL},
    {"tcp_closed", ld_f_u32, CFG(flows.timeout_s[FLOW_TCP_CLOSED]), 0, 1, 86400, NULL},
    {"udp", ld_f_u32, CFG(flows.timeout_s[FLOW_UDP]), 0, 1, 86400, NULL},
    {"other", ld_f_u32, CFG(flows.timeout_s[FLOW_OTHER]), 0, 1, 86400, NULL},
    {0},
};

static const struct field flows_fields[] = {
    {"max", ld_f_u32, CFG(flows.max), 0, 1000, 100000000, NULL},
    {"memcap_mb", ld_f_u32, CFG(flows.memcap_mb), 0, 16, 1048576, NULL},
    {"timeouts", ld_f_map, 0, 0, 0, 0, timeout_fields},
    {"track_vlan", ld_f_bool, CFG(flows.track_vlan), 0, 0, 0, NULL},
    {0},
};

/* --- MMDB files --------------------------------------------------------- */

static void check_mmdb(struct loader *ld, yaml_node_t *v, const char *path)
{
    MMDB_s db;
    int status = MMDB_open(path, MMDB_MODE_MMAP, &db);
    if (status != MMDB_SUCCESS) {
        ld_error(ld, v, "cannot open MMDB '%s': %s", path, MMDB_strerror(status));
        return;
    }
    MMDB_close(&db);
}

static void f_mmdb_file(struct loader *ld, yaml_node_t *v, void *base, const struct field *f)
{
    size_t before = ld->n_errors;
    ld_f_path(ld, v, base, f);
    const char *path = (const char *)base + f->offset;
    if (ld->n_errors == before && path[0]) check_mmdb(ld, v, path);
}

static void f_mmdb_field(struct loader *ld, yaml_node_t *v, void *base, const struct field *f)
{
    char *dst = (char *)base + f->offset;
    if (ld_string(ld, v, dst, f->size) != 0) return;
    size_t n = strlen(dst);
    if (!n || dst[0] == '.' || dst[n - 1] == '.' || strstr(dst, ".."))
        ld_error(ld, v, "'%s' must be a key or a dotted path of keys", dst);
}

static const struct field mmdb_fields[] = {
    {"file", f_mmdb_file, CFG(zones_mmdb.file), CONFIG_STR, 0, 0, NULL},
    {"field", f_mmdb_field, CFG(zones_mmdb.field), CONFIG_STR, 0, 0, NULL},
    {0},
};

static void f_zones_mmdb(struct loader *ld, yaml_node_t *v, void *base, const struct field *f)
{
    struct config *cfg = base;
    (void)f;
    ld_map(ld, v, mmdb_fields, base);
    if (v->type == YAML_MAPPING_NODE && !cfg->zones_mmdb.file[0])
        ld_error(ld, v, "missing key 'file'");
}

static const struct field geoip_fields[] = {
    {"country", f_mmdb_file, CFG(geoip.country), CONFIG_STR, 0, 0, NULL},
    {"asn", f_mmdb_file, CFG(geoip.asn), CONFIG_STR, 0, 0, NULL},
    {0},
};

/* --- zones --------------------------------------------------------------- */

static size_t zone_index(const struct config *cfg, const void *zone)
{
    return (size_t)((const struct config_zone *)zone - cfg->zones);
}

static void f_zone_name(struct loader *ld, yaml_node_t *v, void *base, const struct field *f)
{
    struct config_zone *z = base;
    size_t before = ld->n_errors;
    f_name(ld, v, base, f);
    if (ld->n_errors != before) return;
    if (!strcmp(z->name, "external")) {
        ld_error(ld, v,
                 "'external' is reserved for addresses no zone matches; "
                 "use it in policy and roles without declaring it");
        return;
    }
    for (size_t i = 0; i < zone_index(ld->cfg, z); i++)
        if (!strcmp(ld->cfg->zones[i].name, z->name))
            ld_error(ld, v, "zone '%s' is already declared (zones[%zu])", z->name, i);
}

/* A CIDR may belong to one zone only (which one would win?); nested
 * prefixes are fine, the longest one wins. */
static void add_zone_cidr(struct loader *ld, yaml_node_t *v, struct config_zone *z,
                          const struct cidr *c)
{
    uint32_t owner;
    size_t self = zone_index(ld->cfg, z);
    int r = cidr_trie_insert(ld->zone_cidrs, c, (uint32_t)self, &owner);
    if (r == 1) {
        char text[64];
        cidr_format(c, text, sizeof(text));
        if (owner == self)
            ld_error(ld, v, "%s is listed twice in this zone", text);
        else
            ld_error(ld, v, "%s is already in zone '%s' (zones[%u])", text,
                     ld->cfg->zones[owner].name, owner);
        return;
    }
    if (r < 0) return;
    z->cidrs[z->n_cidrs++] = *c;
}

static void f_zone_cidrs(struct loader *ld, yaml_node_t *v, void *base, const struct field *f)
{
    struct config_zone *z = base;
    yaml_node_t **items;
    (void)f;
    int n = ld_seq(ld, v, &items);
    if (n <= 0) return;
    if ((z->cidrs = calloc((size_t)n, sizeof(*z->cidrs)))) {
        for (int i = 0; i < n; i++) {
            size_t mark = ld_push_index(ld, (size_t)i);
            const char *s = ld_scalar(ld, items[i], "an address or CIDR");
            struct cidr c;
            char why[160];
            if (s && cidr_parse(s, &c, why, sizeof(why)) != 0)
                ld_error(ld, items[i], "%s", why);
            else if (s)
                add_zone_cidr(ld, items[i], z, &c);
            ld_pop(ld, mark);
        }
    }
    free(items);
}

static const char *const criticality_names[] = {"low", "medium", "high", "critical", NULL};

static const struct field zone_fields[] = {
    {"name", f_zone_name, ZONE(name), CONFIG_NAME, 0, 0, NULL},
    {"site", ld_f_str, ZONE(site), CONFIG_STR, 0, 0, NULL},
    {"criticality", ld_f_enum, ZONE(criticality), 0, 0, 0, criticality_names},
    {"cidrs", f_zone_cidrs, 0, 0, 0, 0, NULL},
    {0},
};

static void read_zone(struct loader *ld, yaml_node_t *item, struct config_zone *z)
{
    z->criticality = ZONE_CRIT_MEDIUM;
    if (item->type != YAML_MAPPING_NODE) {
        ld_error(ld, item, "expected a mapping {name, cidrs, site, criticality}");
        return;
    }
    size_t before = ld->n_errors;
    ld_map(ld, item, zone_fields, z);
    if (!ld_has_key(ld, item, "name")) ld_error(ld, item, "missing key 'name'");
    /* Unless its CIDRs were all wrong, which is already said. */
    if (!z->n_cidrs && !ld->cfg->zones_mmdb.file[0] && ld->n_errors == before)
        ld_error(ld, item, "no cidrs, and no zones_mmdb to place addresses in this zone");
}

static void f_zones(struct loader *ld, yaml_node_t *v, void *base, const struct field *f)
{
    struct config *cfg = base;
    yaml_node_t **items;
    (void)f;
    int n = ld_seq(ld, v, &items);
    if (n <= 0) return;
    /* Zone ids are indices (+1) into this list and travel in 16 bits. */
    if (n > 30000)
        ld_error(ld, v, "%d zones: at most 30000", n);
    else if ((cfg->zones = calloc((size_t)n, sizeof(*cfg->zones)))) {
        for (int i = 0; i < n; i++) {
            size_t mark = ld_push_index(ld, (size_t)i);
            cfg->n_zones++;
            read_zone(ld, items[i], &cfg->zones[i]);
            ld_pop(ld, mark);
        }
    }
    free(items);
}

void config_zones_free(struct config *cfg)
{
    for (size_t i = 0; i < cfg->n_zones; i++)
        free(cfg->zones[i].cidrs);
    free(cfg->zones);
    cfg->zones = NULL;
    cfg->n_zones = 0;
}

/* --- detect -------------------------------------------------------------- */

/* A setting of one detector: its declaration has the names and bounds. */
static void threshold_pair(struct loader *ld, yaml_node_t *k, yaml_node_t *v, void *ud)
{
    struct detector_settings *d = ud;
    const struct detect_param *params = detect_get((size_t)(d - ld->cfg->detect.detectors))->params;
    const char *key = (const char *)k->data.scalar.value;
    if (!strcmp(key, "enabled")) {
        ld_bool(ld, v, &d->enabled);
        return;
    }
    const char *names[DETECT_MAX_PARAMS + 2] = {"enabled"};
    for (size_t i = 0; i < d->n_thresholds; i++) {
        names[i + 1] = d->thresholds[i].name;
        if (strcmp(key, d->thresholds[i].name)) continue;
        long long x;
        if (ld_int(ld, v, params[i].min, params[i].max, &x) == 0)
            d->thresholds[i].value = (uint32_t)x;
        return;
    }
    names[d->n_thresholds + 1] = NULL;
    char list[160] = "";
    for (size_t i = 0; names[i]; i++) {
        size_t len = strlen(list);
        snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", names[i]);
    }
    ld_error(ld, k, "unknown setting for %s (expected one of: %s)", d->id, list);
}

static void unknown_detector(struct loader *ld, yaml_node_t *k)
{
    const char *names[DETECT_MAX + 2];
    char list[2048] = "";
    size_t n = detect_count();
    for (size_t i = 0; i < n; i++) {
        names[i] = detect_get(i)->info.id;
        size_t len = strlen(list);
        snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", names[i]);
    }
    names[n] = "dedup_window";
    names[n + 1] = NULL;
    const char *near = ld_closest((const char *)k->data.scalar.value, names);
    if (near)
        ld_error(ld, k, "unknown detector id (did you mean '%s'?)", near);
    else
        ld_error(ld, k, "unknown detector id (expected dedup_window or one of: %s)", list);
}

static void detect_pair(struct loader *ld, yaml_node_t *k, yaml_node_t *v, void *ud)
{
    struct config *cfg = ud;
    const char *key = (const char *)k->data.scalar.value;
    if (!strcmp(key, "dedup_window")) {
        long long x;
        /* 0 turns aggregation off: every alert is sent. */
        if (ld_int(ld, v, 0, 86400, &x) == 0) cfg->detect.dedup_window_s = (uint32_t)x;
        return;
    }
    int i = detect_index(key);
    if (i < 0) {
        unknown_detector(ld, k);
        return;
    }
    struct detector_settings *d = &cfg->detect.detectors[i];
    /* "id: false" is short for "id: {enabled: false}". */
    if (v->type == YAML_SCALAR_NODE && !ld_is_null(v))
        ld_bool(ld, v, &d->enabled);
    else
        ld_each_pair(ld, v, threshold_pair, d);
}

static void f_detect(struct loader *ld, yaml_node_t *v, void *base, const struct field *f)
{
    (void)f;
    ld_each_pair(ld, v, detect_pair, base);
}

/* --- roles, incidents and outputs ------------------------------------------- */

/* The very parser output_redis uses, so -T accepts what the output will. */
static void f_redis_url(struct loader *ld, yaml_node_t *v, void *base, const struct field *f)
{
    struct config *cfg = base;
    struct redis_url u;
    char why[256];
    const char *url = cfg->outputs.redis.url;
    if (ld_string(ld, v, cfg->outputs.redis.url, f->size) != 0 || !url[0]) return;
    if (redis_url_parse(url, &u, why, sizeof(why)) == 0) return;
    const char *reason = why;
    if (!strncmp(reason, "redis URL: ", 11)) reason += 11;
    if (strstr(reason, url))
        ld_error(ld, v, "%s", reason);
    else
        ld_error(ld, v, "'%s': %s", url, reason);
}

/* In the order of enum redis_mode (output_redis.h). */
static const char *const redis_mode_names[] = {"stream", "list", "channel", NULL};

static const struct field redis_fields[] = {
    {"url", f_redis_url, CFG(outputs.redis.url), CONFIG_STR, 0, 0, NULL},
    {"prefix", f_name, CFG(outputs.redis.prefix), CONFIG_NAME, 0, 0, ":"},
    {"maxlen", ld_f_u32, CFG(outputs.redis.maxlen), 0, 100, 1000000000, NULL},
    {"flows", ld_f_bool, CFG(outputs.redis.flows), 0, 0, 0, NULL},
    {"spool_dir", ld_f_str, CFG(outputs.redis.spool_dir), CONFIG_STR, 0, 0, NULL},
    {"mode", ld_f_enum, CFG(outputs.redis.mode), 0, 0, 0, redis_mode_names},
    {"stream_field", f_name, CFG(outputs.redis.stream_field), CONFIG_NAME, 0, 0, NULL},
    {"key", f_name, CFG(outputs.redis.key), CONFIG_NAME, 0, 0, ":"},
    {"spool_max_bytes", ld_f_u32, CFG(outputs.redis.spool_max_bytes), 0, 4096, 4294967295u, NULL},
    {0},
};

static const struct field outputs_fields[] = {
    {"redis", ld_f_map, 0, 0, 0, 0, redis_fields},
    {"alerts_file", ld_f_str, CFG(outputs.alerts_file), CONFIG_STR, 0, 0, NULL},
    {"flows_file", ld_f_str, CFG(outputs.flows_file), CONFIG_STR, 0, 0, NULL},
    {0},
};

/* docs/incidents.md: a window from a minute to 30 days. */
static const struct field incidents_fields[] = {
    {"enabled", ld_f_bool, CFG(incidents.enabled), 0, 0, 0, NULL},
    {"timeout", ld_f_u32, CFG(incidents.timeout_s), 0, 60, 2592000, NULL},
    {"max_open", ld_f_u32, CFG(incidents.max_open), 0, 16, 65536, NULL},
    {0},
};

static const struct field roles_fields[] = {
    {"domain_controllers", ld_f_role, CFG(roles.domain_controllers), 0, 0, 0, NULL},
    {"admin_hosts", ld_f_role, CFG(roles.admin_hosts), 0, 0, 0, NULL},
    {0},
};

/* Table order is reading order: zones_mmdb before zones (a zone without
 * CIDRs needs it), zones before roles and policy (they name zones). */
const struct field config_top_fields[] = {
    {"sensor", ld_f_map, 0, 0, 0, 0, sensor_fields},
    {"capture", ld_f_map, 0, 0, 0, 0, capture_fields},
    {"flows", ld_f_map, 0, 0, 0, 0, flows_fields},
    {"zones_mmdb", f_zones_mmdb, 0, 0, 0, 0, NULL},
    {"zones", f_zones, 0, 0, 0, 0, NULL},
    {"roles", ld_f_map, 0, 0, 0, 0, roles_fields},
    {"geoip", ld_f_map, 0, 0, 0, 0, geoip_fields},
    {"policy", ld_f_policy, 0, 0, 0, 0, NULL},
    {"detect", f_detect, 0, 0, 0, 0, NULL},
    {"incidents", ld_f_map, 0, 0, 0, 0, incidents_fields},
    {"outputs", ld_f_map, 0, 0, 0, 0, outputs_fields},
    {0},
};

/* Configuration: built-in defaults, the detector table, and the driver of
 * a YAML load (reading itself is in config_yaml.c, the schema in
 * config_schema.c and config_policy.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_internal.h"

/* Every detector of SPEC section 7, its thresholds and their defaults: the
 * one place a detector's settings are declared. Thresholds named "window"
 * are seconds (1..86400); the others are counts (1..1000000). */
static const struct detector_settings detector_table[CONFIG_DETECTORS] = {
    {"policy_violation", 1, 0, {{0}}},
    {"admin_protocol_cross_zone", 1, 0, {{0}}},
    {"smb_admin_share", 1, 0, {{0}}},
    {"remote_service", 1, 0, {{0}}},
    {"remote_task", 1, 0, {{0}}},
    {"remote_wmi", 1, 0, {{0}}},
    {"remote_dcom", 1, 0, {{0}}},
    {"remote_registry", 1, 0, {{0}}},
    {"lateral_tool_transfer", 1, 0, {{0}}},
    {"remote_log_clear", 1, 0, {{0}}},
    {"remote_shutdown", 1, 0, {{0}}},
    {"remote_persistence", 1, 0, {{0}}},
    {"rpc_discovery", 1, 2, {{"calls", 5}, {"window", 300}}},
    {"dcsync", 1, 0, {{0}}},
    {"zerologon", 1, 2, {{"attempts", 20}, {"window", 10}}},
    {"auth_coercion", 1, 0, {{0}}},
    {"share_discovery", 1, 2, {{"hosts", 5}, {"window", 300}}},
    {"account_discovery", 1, 2, {{"calls", 5}, {"window", 300}}},
    {"password_spray", 1, 2, {{"accounts", 10}, {"window", 300}}},
    {"kerberoast", 1, 2, {{"services", 5}, {"window", 300}}},
    {"internal_scan", 1, 3, {{"hosts", 20}, {"ports", 30}, {"window", 60}}},
    {"smb_ransomware", 1, 2, {{"files", 50}, {"window", 60}}},
    {"new_edge", 1, 0, {{0}}},
    {"ndpi_risk", 1, 0, {{0}}},
};

void config_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    if (gethostname(cfg->sensor_name, sizeof(cfg->sensor_name) - 1) != 0 || !cfg->sensor_name[0])
        snprintf(cfg->sensor_name, sizeof(cfg->sensor_name), "vigie");
    cfg->capture.snaplen = 1600;
    cfg->capture.buffer_mb = 64;
    cfg->capture.workers = 1;
    cfg->flows.max = 1000000;
    cfg->flows.memcap_mb = 512;
    /* Suricata-like defaults: established TCP 300 s, closed TCP 10 s,
     * UDP 60 s, anything else 30 s. */
    cfg->flows.timeout_s[FLOW_TCP] = 300;
    cfg->flows.timeout_s[FLOW_TCP_CLOSED] = 10;
    cfg->flows.timeout_s[FLOW_UDP] = 60;
    cfg->flows.timeout_s[FLOW_OTHER] = 30;
    snprintf(cfg->zones_mmdb.field, sizeof(cfg->zones_mmdb.field), "zone");
    cfg->policy.mode = CONFIG_POLICY_NONE;
    cfg->detect.dedup_window_s = 60;
    memcpy(cfg->detect.detectors, detector_table, sizeof(detector_table));
    snprintf(cfg->outputs.redis.url, sizeof(cfg->outputs.redis.url), "redis://127.0.0.1:6379");
    snprintf(cfg->outputs.redis.prefix, sizeof(cfg->outputs.redis.prefix), "vigie");
    cfg->outputs.redis.maxlen = 100000;
    snprintf(cfg->outputs.redis.spool_dir, sizeof(cfg->outputs.redis.spool_dir),
             "/var/lib/vigie/spool");
}

void config_free(struct config *cfg)
{
    config_zones_free(cfg);
    config_policy_free(cfg);
}

const struct detector_settings *config_detector(const struct config *cfg, const char *id)
{
    for (size_t i = 0; i < CONFIG_DETECTORS; i++)
        if (!strcmp(cfg->detect.detectors[i].id, id)) return &cfg->detect.detectors[i];
    return NULL;
}

uint32_t config_threshold(const struct detector_settings *d, const char *name)
{
    for (size_t i = 0; d && i < d->n_thresholds; i++)
        if (!strcmp(d->thresholds[i].name, name)) return d->thresholds[i].value;
    return 0;
}

const char *config_criticality_name(enum zone_criticality c)
{
    static const char *const names[] = {"low", "medium", "high", "critical"};
    return (unsigned)c < 4 ? names[c] : "medium";
}

/* --- loading ------------------------------------------------------------ */

static int msg_order(const void *a, const void *b)
{
    const struct loader_msg *x = a, *y = b;
    if (x->file_no != y->file_no) return x->file_no < y->file_no ? -1 : 1;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Messages in file order then line order (sections are read in schema
 * order, not file order), as many as fit, then how many did not. */
static void format_messages(struct loader *ld, char *err, size_t errlen)
{
    if (!errlen) return;
    err[0] = '\0';
    if (ld->n_msgs) qsort(ld->msgs, ld->n_msgs, sizeof(*ld->msgs), msg_order);
    size_t used = 0, shown = 0;
    for (; shown < ld->n_msgs; shown++) {
        size_t len = strlen(ld->msgs[shown].text) + (used ? 1 : 0);
        if (used + len + 40 >= errlen) break;
        used += (size_t)snprintf(err + used, errlen - used, "%s%s", used ? "\n" : "",
                                 ld->msgs[shown].text);
    }
    if (shown < ld->n_errors)
        snprintf(err + used, errlen - used, "%s(%zu more errors)", used ? "\n" : "",
                 ld->n_errors - shown);
}

static void read_root(struct loader *ld, yaml_document_t *doc)
{
    yaml_node_t *root = yaml_document_get_root_node(doc);
    if (!root || ld_is_null(root)) return; /* an empty file: the defaults */
    if (root->type != YAML_MAPPING_NODE) {
        ld_error(ld, root, "expected a mapping of sections (sensor, capture, zones, ...)");
        return;
    }
    ld_map(ld, root, config_top_fields, ld->cfg);
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
    struct loader ld;
    memset(&ld, 0, sizeof(ld));
    config_defaults(cfg);
    ld.cfg = cfg;
    ld.file = path;
    ld_dirname(path, ld.dir, sizeof(ld.dir));
    ld.zone_cidrs = cidr_trie_create();
    yaml_document_t doc;
    if (!ld.zone_cidrs) {
        ld_error_line(&ld, 0, "out of memory");
    } else if (ld_read_file(&ld, path, NULL, &doc) == 0) {
        ld.doc = &doc;
        read_root(&ld, &doc);
        yaml_document_delete(&doc);
    }
    config_loader_done(&ld);
    cidr_trie_destroy(ld.zone_cidrs);
    format_messages(&ld, err, errlen);
    for (size_t i = 0; i < ld.n_msgs; i++)
        free(ld.msgs[i].text);
    free(ld.msgs);
    if (ld.n_errors) {
        config_free(cfg);
        config_defaults(cfg);
    } else {
        snprintf(cfg->path, sizeof(cfg->path), "%s", path);
    }
    return (int)ld.n_errors;
}

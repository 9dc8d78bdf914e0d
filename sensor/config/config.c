/* Configuration: built-in defaults (detectors' from their declarations),
 * and the driver of a YAML load (reading itself is in config_yaml.c, the schema in
 * config_schema.c and config_policy.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_internal.h"
#include "detect/detect.h"

/* Every detector of the registry as it declares itself. */
static void detector_defaults(struct config *cfg)
{
    for (size_t i = 0; i < detect_count(); i++) {
        const struct detector *d = detect_get(i);
        struct detector_settings *s = &cfg->detect.detectors[i];
        s->id = d->info.id;
        s->enabled = !d->off_by_default;
        for (size_t j = 0; j < DETECT_MAX_PARAMS && d->params[j].name; j++) {
            s->thresholds[j].name = d->params[j].name;
            s->thresholds[j].value = d->params[j].def;
            s->n_thresholds = j + 1;
        }
    }
}

void config_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    if (gethostname(cfg->sensor_name, sizeof(cfg->sensor_name) - 1) != 0 || !cfg->sensor_name[0])
        snprintf(cfg->sensor_name, sizeof(cfg->sensor_name), "vigie");
    cfg->capture.snaplen = 1600;
    cfg->capture.buffer_mb = 64;
    cfg->capture.workers = 0; /* one per online CPU */
    cfg->flows.max = 1000000;
    cfg->flows.memcap_mb = 512;
    cfg->flows.track_vlan = 1;
    /* Suricata-like defaults: established TCP 300 s, closed TCP 10 s,
     * UDP 60 s, anything else 30 s. */
    cfg->flows.timeout_s[FLOW_TCP] = 300;
    cfg->flows.timeout_s[FLOW_TCP_CLOSED] = 10;
    cfg->flows.timeout_s[FLOW_UDP] = 60;
    cfg->flows.timeout_s[FLOW_OTHER] = 30;
    snprintf(cfg->zones_mmdb.field, sizeof(cfg->zones_mmdb.field), "zone");
    cfg->policy.mode = CONFIG_POLICY_NONE;
    cfg->detect.dedup_window_s = 60;
    detector_defaults(cfg);
    /* docs/incidents.md: open 24 h after the last alert, 1024 at once. */
    cfg->incidents.enabled = 1;
    cfg->incidents.timeout_s = 86400;
    cfg->incidents.max_open = 1024;
    snprintf(cfg->outputs.redis.url, sizeof(cfg->outputs.redis.url), "redis://127.0.0.1:6379");
    snprintf(cfg->outputs.redis.prefix, sizeof(cfg->outputs.redis.prefix), "vigie");
    cfg->outputs.redis.maxlen = 100000;
    cfg->outputs.redis.spool_max_bytes = 256u << 20;
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
    int i = detect_index(id);
    return i < 0 ? NULL : &cfg->detect.detectors[i];
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

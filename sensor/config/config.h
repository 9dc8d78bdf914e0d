/* Sensor configuration: built-in defaults (SPEC section 2) and the YAML
 * file (SPEC section 3).
 *
 * A struct config is plain data: the zone, role, rule and detector lists
 * are owned by it and released by config_free(). To reload on SIGHUP,
 * load into a second struct config and swap pointers once it loaded
 * without error; never copy one by value (the copies would share lists). */
#ifndef VIGIE_CONFIG_H
#define VIGIE_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "detect/registry.h"
#include "enrich/cidr.h"
#include "flow/flow_table.h"

#define CONFIG_STR 256
#define CONFIG_NAME 64 /* zone names, Redis prefix: 63 characters */

enum zone_criticality { ZONE_CRIT_LOW, ZONE_CRIT_MEDIUM, ZONE_CRIT_HIGH, ZONE_CRIT_CRITICAL };

struct config_zone {
    char name[CONFIG_NAME];
    char site[CONFIG_STR];             /* "" when not given */
    enum zone_criticality criticality; /* medium when not given */
    struct cidr *cidrs;
    size_t n_cidrs; /* 0 only with zones_mmdb */
};

/* A role holder list: addresses/CIDRs, and zone names meaning "every
 * address of that zone". */
struct config_role {
    struct cidr *cidrs;
    size_t n_cidrs;
    char (*zones)[CONFIG_NAME];
    size_t n_zones;
};

/* SPEC section 3: a rule matches a flow from zone `from` (client) to zone
 * `to` (server) when its nDPI master or app id is in app_ids OR its server
 * port is in ports; a rule with neither list matches any flow. */
struct config_rule {
    char from[CONFIG_NAME], to[CONFIG_NAME]; /* declared zones, "external" (or "internal") */
    char **apps;                             /* nDPI protocol names, spelt as nDPI spells them */
    uint16_t *app_ids;                       /* the same, as nDPI protocol ids */
    size_t n_apps;
    uint16_t *ports; /* server ports */
    size_t n_ports;
    char source[CONFIG_STR]; /* "file:line" where the rule is written */
};

/* none: no policy section, so no policy_violation and "policy":"none". */
enum config_policy { CONFIG_POLICY_NONE, CONFIG_POLICY_ALLOW, CONFIG_POLICY_DENY };

/* A detector's settings: its id, names and defaults come from its
 * declaration (detect/registry.h); thresholds are in declaration order. */
struct detector_threshold {
    const char *name; /* static string of the declaration */
    uint32_t value;
};

struct detector_settings {
    const char *id; /* SPEC section 7 detector id, static string */
    int enabled;
    size_t n_thresholds;
    struct detector_threshold thresholds[DETECT_MAX_PARAMS];
};

struct config {
    char sensor_name[CONFIG_STR];
    struct {
        char interface[CONFIG_STR];
        char bpf[1024];
        int snaplen;
        int buffer_mb;
        int workers;
    } capture;
    struct {
        uint32_t max;
        uint32_t memcap_mb;
        uint32_t timeout_s[FLOW_CLASS_MAX];
        int track_vlan; /* 0: a flow's two directions may carry different VLAN ids */
    } flows;
    /* No zones and no zones_mmdb: the built-in "internal" zone applies. */
    struct config_zone *zones;
    size_t n_zones;
    struct {
        char file[CONFIG_STR];  /* "" = off; resolved against the config's directory */
        char field[CONFIG_STR]; /* top-level key or dotted path, default "zone" */
    } zones_mmdb;
    struct {
        struct config_role domain_controllers;
        struct config_role admin_hosts;
    } roles;
    struct {
        char country[CONFIG_STR]; /* "" = off; resolved against the config's directory */
        char asn[CONFIG_STR];
    } geoip;
    struct {
        enum config_policy mode; /* default for a pair of zones no rule allows */
        struct config_rule *allow;
        size_t n_allow;
    } policy;
    struct {
        uint32_t dedup_window_s; /* repeats of an alert within it are aggregated */
        /* By registry position: detect_count() of them. */
        struct detector_settings detectors[DETECT_MAX];
    } detect;
    /* The correlation stage (docs/incidents.md). */
    struct {
        int enabled;        /* 0: no incidents, alerts carry no vigie.incident */
        uint32_t timeout_s; /* an incident stays open this long after its last alert */
        uint32_t max_open;  /* incidents open at once */
    } incidents;
    struct {
        struct {
            /* "" = no Redis; checked with redis_url_parse (redis_url.h),
             * the parser output_redis uses. */
            char url[CONFIG_STR];
            char prefix[CONFIG_NAME];
            uint32_t maxlen;
            int flows; /* also XADD finished flows */
            char spool_dir[CONFIG_STR];
            int mode;                       /* enum redis_mode: stream, list, channel */
            char stream_field[CONFIG_NAME]; /* "" = alert, flow, stats per kind */
            char key[CONFIG_NAME];          /* "" = one key per kind */
            uint32_t spool_max_bytes;       /* the spool's cap */
        } redis;
        char flows_file[CONFIG_STR];
        char alerts_file[CONFIG_STR];
    } outputs;
    char path[CONFIG_STR]; /* file loaded, "" for built-in defaults */
};

/* Built-in defaults (SPEC section 2). Allocates nothing, so a struct
 * config that only ever saw config_defaults needs no config_free. */
void config_defaults(struct config *cfg);

/* Starts from config_defaults and applies the YAML file at path, checking
 * the whole schema. Returns the number of errors: 0 on success, and then
 * the caller owns cfg (config_free). Otherwise err holds every message,
 * one per line, each "FILE:LINE: KEY: what is wrong" ("FILE: cannot
 * read: ..." for an unreadable file), in file then line order, truncated
 * with "(N more errors)" if errlen is short; cfg is back to the defaults.
 * cfg must not hold a loaded configuration (it would leak). Creates a
 * short-lived nDPI module when rules name applications (to check and
 * canonicalise them): call it from the thread that runs nDPI. */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);

void config_free(struct config *cfg);

/* The settings of detector id, or NULL if no detector is declared so. */
const struct detector_settings *config_detector(const struct config *cfg, const char *id);

/* The value of threshold name of d; 0 if d has no such threshold. */
uint32_t config_threshold(const struct detector_settings *d, const char *name);

const char *config_criticality_name(enum zone_criticality c);

#endif

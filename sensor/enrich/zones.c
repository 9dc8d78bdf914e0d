/* Zones and roles (SPEC sections 2 and 3): a longest-prefix-match trie
 * over 128-bit keys gives an address its zone; an optional MMDB can name
 * zones for the addresses the CIDR lists do not place precisely. */
#include <arpa/inet.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zones.h"

#define ROLE_DC 1u
#define ROLE_ADMIN 2u

struct zone_info {
    char name[CONFIG_NAME];
    char site[CONFIG_STR];
    enum zone_criticality crit;
    uint8_t roles; /* held by every address of the zone */
};

/* Name -> id, an open-addressing table sized for every id there can be.
 * MMDB zones are added at lookup time, hence the lock; ids are published
 * through n with release order so zones_name() can read without it. */
struct zone_names {
    pthread_mutex_t lock;
    uint16_t *slots; /* id + 1, 0 = empty */
    size_t mask;
    _Atomic uint16_t n; /* ids in use */
    uint16_t cap;       /* ids info[] can hold */
};

struct zones {
    struct cidr_trie *trie; /* value: zone id */
    struct cidr_trie *dc, *admin;
    struct zone_info *info;   /* indexed by id */
    uint8_t zone_roles;       /* roles some zone holds: else skip the zone lookup */
    struct zone_names *names; /* mutable behind a const struct zones */
    int has_mmdb;
    MMDB_s mmdb;
    const char **mmdb_path; /* field split on '.', NULL-terminated */
    char *mmdb_path_buf;
};

/* RFC 1918, link-local, RFC 4193 (fc00::/7) and IPv6 link-local. */
static const char *const default_internal[] = {
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "fc00::/7", "fe80::/10",
};

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

/* Slot of name, or of the empty slot where it would go. Caller holds the
 * lock or no insert can happen any more. */
static size_t name_slot(const struct zones *z, const char *name)
{
    size_t i = name_hash(name) & z->names->mask;
    while (z->names->slots[i] && strcmp(z->info[z->names->slots[i] - 1].name, name))
        i = (i + 1) & z->names->mask;
    return i;
}

/* Adds a zone (lock held or single-threaded); returns its id, or -1 when
 * the table is full. */
static int add_zone(const struct zones *z, const char *name, const char *site,
                    enum zone_criticality c)
{
    uint16_t id = atomic_load_explicit(&z->names->n, memory_order_relaxed);
    if (id >= z->names->cap) return -1;
    struct zone_info *zi = &z->info[id];
    snprintf(zi->name, sizeof(zi->name), "%s", name);
    snprintf(zi->site, sizeof(zi->site), "%s", site);
    zi->crit = c;
    z->names->slots[name_slot(z, name)] = (uint16_t)(id + 1);
    atomic_store_explicit(&z->names->n, (uint16_t)(id + 1), memory_order_release);
    return id;
}

static int alloc_tables(struct zones *z, size_t n_static, int mmdb)
{
    size_t cap = n_static + (mmdb ? ZONES_MAX_DYNAMIC : 0), slots = 16;
    while (slots < 2 * cap)
        slots *= 2;
    if (!(z->names = calloc(1, sizeof(*z->names)))) return -1;
    pthread_mutex_init(&z->names->lock, NULL);
    z->names->cap = (uint16_t)cap;
    z->names->mask = slots - 1;
    z->names->slots = calloc(slots, sizeof(*z->names->slots));
    z->info = calloc(cap, sizeof(*z->info));
    z->trie = cidr_trie_create();
    z->dc = cidr_trie_create();
    z->admin = cidr_trie_create();
    return z->names->slots && z->info && z->trie && z->dc && z->admin ? 0 : -1;
}

static int insert_zone_cidrs(struct zones *z, uint16_t id, const struct cidr *c, size_t n,
                             char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t owner;
        int r = cidr_trie_insert(z->trie, &c[i], id, &owner);
        if (r == 0) continue;
        char text[64];
        cidr_format(&c[i], text, sizeof(text));
        if (r < 0)
            snprintf(err, errlen, "zones: out of memory");
        else
            snprintf(err, errlen, "zones: %s is in zones '%s' and '%s'", text, z->info[owner].name,
                     z->info[id].name);
        return -1;
    }
    return 0;
}

static int add_static_zones(struct zones *z, const struct config *cfg, char *err, size_t errlen)
{
    add_zone(z, "external", "", ZONE_CRIT_LOW);
    if (!cfg->n_zones && !cfg->zones_mmdb.file[0]) {
        uint16_t id = (uint16_t)add_zone(z, "internal", "", ZONE_CRIT_MEDIUM);
        for (size_t i = 0; i < sizeof(default_internal) / sizeof(*default_internal); i++) {
            struct cidr c;
            cidr_parse(default_internal[i], &c, NULL, 0);
            if (insert_zone_cidrs(z, id, &c, 1, err, errlen) != 0) return -1;
        }
        return 0;
    }
    for (size_t i = 0; i < cfg->n_zones; i++) {
        const struct config_zone *cz = &cfg->zones[i];
        uint16_t id = (uint16_t)(i + 1);
        if (zones_id(z, cz->name) >= 0) {
            snprintf(err, errlen, "zones: zone '%s' is declared twice", cz->name);
            return -1;
        }
        add_zone(z, cz->name, cz->site, cz->criticality);
        if (insert_zone_cidrs(z, id, cz->cidrs, cz->n_cidrs, err, errlen) != 0) return -1;
    }
    return 0;
}

static int add_role(struct zones *z, const struct config_role *r, struct cidr_trie *t, uint8_t bit,
                    char *err, size_t errlen)
{
    for (size_t i = 0; i < r->n_cidrs; i++)
        if (cidr_trie_insert(t, &r->cidrs[i], 1, NULL) < 0) {
            snprintf(err, errlen, "zones: out of memory");
            return -1;
        }
    for (size_t i = 0; i < r->n_zones; i++) {
        int id = zones_id(z, r->zones[i]);
        if (id < 0) {
            snprintf(err, errlen, "roles: unknown zone '%s'", r->zones[i]);
            return -1;
        }
        z->info[id].roles |= bit;
        z->zone_roles |= bit;
    }
    return 0;
}

/* --- MMDB ----------------------------------------------------------------- */

static int open_mmdb(struct zones *z, const struct config *cfg, char *err, size_t errlen)
{
    int status = MMDB_open(cfg->zones_mmdb.file, MMDB_MODE_MMAP, &z->mmdb);
    if (status != MMDB_SUCCESS) {
        snprintf(err, errlen, "zones_mmdb.file: cannot open MMDB '%s': %s", cfg->zones_mmdb.file,
                 MMDB_strerror(status));
        return -1;
    }
    z->has_mmdb = 1;
    size_t parts = 2;
    for (const char *p = cfg->zones_mmdb.field; *p; p++)
        parts += *p == '.';
    z->mmdb_path_buf = strdup(cfg->zones_mmdb.field);
    z->mmdb_path = calloc(parts, sizeof(*z->mmdb_path));
    if (!z->mmdb_path_buf || !z->mmdb_path) {
        snprintf(err, errlen, "zones: out of memory");
        return -1;
    }
    size_t n = 0;
    for (char *save, *tok = strtok_r(z->mmdb_path_buf, ".", &save); tok;
         tok = strtok_r(NULL, ".", &save))
        z->mmdb_path[n++] = tok;
    return 0;
}

/* The MMDB's zone name for addr and the prefix length of its network over
 * the 128-bit key; 0 if it has none. */
static int mmdb_zone(const struct zones *z, const uint8_t addr[16], char *name, size_t len,
                     unsigned *netlen)
{
    struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
    struct sockaddr_in s4 = {.sin_family = AF_INET};
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    int v4 = !memcmp(addr, mapped, sizeof(mapped));
    if (v4)
        memcpy(&s4.sin_addr, addr + 12, 4);
    else
        memcpy(&s6.sin6_addr, addr, 16);
    if (!v4 && z->mmdb.metadata.ip_version == 4) return 0;
    int mmerr;
    MMDB_lookup_result_s r = MMDB_lookup_sockaddr(
        &z->mmdb, v4 ? (const struct sockaddr *)&s4 : (const struct sockaddr *)&s6, &mmerr);
    if (mmerr != MMDB_SUCCESS || !r.found_entry) return 0;
    MMDB_entry_data_s d;
    if (MMDB_aget_value(&r.entry, &d, z->mmdb_path) != MMDB_SUCCESS || !d.has_data ||
        d.type != MMDB_DATA_TYPE_UTF8_STRING || !d.data_size || d.data_size >= len)
        return 0;
    memcpy(name, d.utf8_string, d.data_size);
    name[d.data_size] = '\0';
    /* An IPv4 database counts in 32 bits; an IPv6 one already counts an
     * IPv4 address's network from the root of its 128-bit tree. */
    *netlen = r.netmask + (z->mmdb.metadata.ip_version == 4 ? 96u : 0u);
    return 1;
}

/* The id for an MMDB zone name, allocating one the first time. -1 when
 * the bounded table is full. */
static int mmdb_zone_id(const struct zones *z, const char *name)
{
    pthread_mutex_lock(&z->names->lock);
    uint16_t id = z->names->slots[name_slot(z, name)];
    int r = id ? id - 1 : add_zone(z, name, "", ZONE_CRIT_MEDIUM);
    pthread_mutex_unlock(&z->names->lock);
    return r;
}

/* --- public ------------------------------------------------------------------ */

struct zones *zones_create(const struct config *cfg, char *err, size_t errlen)
{
    struct zones *z = calloc(1, sizeof(*z));
    if (!z) {
        snprintf(err, errlen, "zones: out of memory");
        return NULL;
    }
    int mmdb = cfg->zones_mmdb.file[0] != '\0';
    /* external + configured (or the built-in internal zone) */
    size_t n_static = 1 + (cfg->n_zones ? cfg->n_zones : 1);
    if (n_static + ZONES_MAX_DYNAMIC > UINT16_MAX) {
        snprintf(err, errlen, "zones: too many zones (%zu)", cfg->n_zones);
        free(z);
        return NULL;
    }
    if (alloc_tables(z, n_static, mmdb) != 0) {
        snprintf(err, errlen, "zones: out of memory");
        zones_destroy(z);
        return NULL;
    }
    if (add_static_zones(z, cfg, err, errlen) != 0 ||
        add_role(z, &cfg->roles.domain_controllers, z->dc, ROLE_DC, err, errlen) != 0 ||
        add_role(z, &cfg->roles.admin_hosts, z->admin, ROLE_ADMIN, err, errlen) != 0 ||
        (mmdb && open_mmdb(z, cfg, err, errlen) != 0)) {
        zones_destroy(z);
        return NULL;
    }
    return z;
}

struct zones *zones_create_default(void)
{
    struct config cfg;
    char err[256];
    config_defaults(&cfg);
    return zones_create(&cfg, err, sizeof(err));
}

void zones_destroy(struct zones *z)
{
    if (!z) return;
    if (z->has_mmdb) MMDB_close(&z->mmdb);
    free(z->mmdb_path);
    free(z->mmdb_path_buf);
    cidr_trie_destroy(z->trie);
    cidr_trie_destroy(z->dc);
    cidr_trie_destroy(z->admin);
    if (z->names) {
        pthread_mutex_destroy(&z->names->lock);
        free(z->names->slots);
        free(z->names);
    }
    free(z->info);
    free(z);
}

uint16_t zones_lookup(const struct zones *z, const uint8_t addr[16])
{
    uint32_t id = ZONE_EXTERNAL;
    unsigned len = 0;
    int found = cidr_trie_lookup(z->trie, addr, &id, &len);
    if (!z->has_mmdb) return (uint16_t)id;
    char name[CONFIG_NAME];
    unsigned netlen;
    /* CIDR lists are the operator's word: they win unless the MMDB knows
     * a strictly more specific network. */
    if (!mmdb_zone(z, addr, name, sizeof(name), &netlen) || (found && len >= netlen))
        return (uint16_t)id;
    int mid = mmdb_zone_id(z, name);
    return mid >= 0 ? (uint16_t)mid : (uint16_t)id;
}

const char *zones_name(const struct zones *z, uint16_t id)
{
    uint16_t n = atomic_load_explicit(&z->names->n, memory_order_acquire);
    return id < n ? z->info[id].name : "external";
}

const char *zones_site(const struct zones *z, uint16_t id)
{
    uint16_t n = atomic_load_explicit(&z->names->n, memory_order_acquire);
    return id < n ? z->info[id].site : "";
}

enum zone_criticality zones_criticality(const struct zones *z, uint16_t id)
{
    uint16_t n = atomic_load_explicit(&z->names->n, memory_order_acquire);
    return id < n ? z->info[id].crit : ZONE_CRIT_LOW;
}

int zones_id(const struct zones *z, const char *name)
{
    pthread_mutex_lock(&z->names->lock);
    uint16_t id = z->names->slots[name_slot(z, name)];
    pthread_mutex_unlock(&z->names->lock);
    return id ? id - 1 : -1;
}

uint16_t zones_count(const struct zones *z)
{
    return atomic_load_explicit(&z->names->n, memory_order_acquire);
}

static int has_role(const struct zones *z, const struct cidr_trie *t, uint8_t bit,
                    const uint8_t addr[16])
{
    if (cidr_trie_lookup(t, addr, NULL, NULL)) return 1;
    return (z->zone_roles & bit) && (z->info[zones_lookup(z, addr)].roles & bit);
}

int zones_is_domain_controller(const struct zones *z, const uint8_t addr[16])
{
    return has_role(z, z->dc, ROLE_DC, addr);
}

int zones_is_admin_host(const struct zones *z, const uint8_t addr[16])
{
    return has_role(z, z->admin, ROLE_ADMIN, addr);
}

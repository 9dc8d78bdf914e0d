/* Zones: which part of the network an address belongs to, and which role
 * its host holds. Looked up once per flow, when the flow is created.
 *
 * Zone ids: 0 is "external" (no zone matches), 1..N are the config's zones
 * in order (config.zones[id - 1]), and ids above N are zones an MMDB named
 * that the config does not list, allocated as they are first seen. */
#ifndef VIGIE_ZONES_H
#define VIGIE_ZONES_H

#include <stddef.h>
#include <stdint.h>
#include "config/config.h"

#define ZONE_EXTERNAL 0
/* MMDB zone names not in the config that get their own id; past that,
 * such addresses fall back to their CIDR zone, or external. */
#define ZONES_MAX_DYNAMIC 256

struct zones;

/* Built-in defaults: RFC 1918, RFC 4193 and link-local space form zone
 * "internal", everything else is "external". */
struct zones *zones_create_default(void);

/* Zones, roles and the optional zones_mmdb of cfg, which may be freed
 * afterwards. A config with no zones and no zones_mmdb gets the built-in
 * zones. Returns NULL with a message in err on failure. */
struct zones *zones_create(const struct config *cfg, char *err, size_t errlen);
void zones_destroy(struct zones *z);

/* addr is 16 bytes, IPv4 as ::ffff:a.b.c.d. Longest prefix wins; with
 * zones_mmdb, the MMDB's zone wins only where its network is more
 * specific than the longest matching CIDR. Thread-safe. */
uint16_t zones_lookup(const struct zones *z, const uint8_t addr[16]);

/* "external" for id 0 and for unknown ids. */
const char *zones_name(const struct zones *z, uint16_t id);
/* "" when the zone has no site. */
const char *zones_site(const struct zones *z, uint16_t id);
/* low for external, medium for zones that do not say. */
enum zone_criticality zones_criticality(const struct zones *z, uint16_t id);
/* The id of a zone name, or -1: what a policy matrix is built from. */
int zones_id(const struct zones *z, const char *name);
/* Ids in use now (configured + external + MMDB-allocated so far). */
uint16_t zones_count(const struct zones *z);

/* roles.domain_controllers / roles.admin_hosts: by address or CIDR, or by
 * zone. 1 if addr holds the role. */
int zones_is_domain_controller(const struct zones *z, const uint8_t addr[16]);
int zones_is_admin_host(const struct zones *z, const uint8_t addr[16]);

#endif

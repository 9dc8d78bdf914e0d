/* Zones: which part of the network an address belongs to. Looked up once
 * per flow, when the flow is created. */
#ifndef VIGIE_ZONES_H
#define VIGIE_ZONES_H

#include <stdint.h>

#define ZONE_EXTERNAL 0

struct zones;

/* Built-in defaults: RFC 1918, RFC 4193 and link-local space form zone
 * "internal", everything else is "external". */
struct zones *zones_create_default(void);
void zones_destroy(struct zones *z);

/* addr is 16 bytes, IPv4 as ::ffff:a.b.c.d */
uint16_t zones_lookup(const struct zones *z, const uint8_t addr[16]);
const char *zones_name(const struct zones *z, uint16_t id);

#endif

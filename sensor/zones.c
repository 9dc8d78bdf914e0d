#include <stdlib.h>
#include <string.h>

#include "zones.h"

struct prefix {
    uint8_t addr[16];
    uint8_t len; /* bits, over the 128-bit (mapped) address */
    uint16_t zone;
};

struct zones {
    struct prefix *prefixes;
    size_t n;
    const char *names[2];
};

#define V4(a, b, c, d) {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, a, b, c, d}

static const struct prefix default_prefixes[] = {
    {V4(10, 0, 0, 0), 96 + 8, 1},     {V4(172, 16, 0, 0), 96 + 12, 1},
    {V4(192, 168, 0, 0), 96 + 16, 1}, {V4(169, 254, 0, 0), 96 + 16, 1},
    {{0xFC}, 7, 1},                   {{0xFE, 0x80}, 10, 1},
};

struct zones *zones_create_default(void)
{
    struct zones *z = calloc(1, sizeof(*z));
    if (!z) return NULL;
    z->prefixes = (struct prefix *)default_prefixes;
    z->n = sizeof(default_prefixes) / sizeof(default_prefixes[0]);
    z->names[0] = "external";
    z->names[1] = "internal";
    return z;
}

void zones_destroy(struct zones *z)
{
    free(z);
}

static int prefix_match(const struct prefix *p, const uint8_t addr[16])
{
    unsigned full = p->len / 8, rest = p->len % 8;
    if (memcmp(p->addr, addr, full) != 0) return 0;
    if (!rest) return 1;
    uint8_t mask = (uint8_t)(0xFF << (8 - rest));
    return (p->addr[full] & mask) == (addr[full] & mask);
}

uint16_t zones_lookup(const struct zones *z, const uint8_t addr[16])
{
    const struct prefix *best = NULL;
    for (size_t i = 0; i < z->n; i++)
        if (prefix_match(&z->prefixes[i], addr) && (!best || z->prefixes[i].len > best->len))
            best = &z->prefixes[i];
    return best ? best->zone : ZONE_EXTERNAL;
}

const char *zones_name(const struct zones *z, uint16_t id)
{
    return id < 2 ? z->names[id] : "external";
}

/* GeoIP/ASN enrichment of external endpoints (SPEC section 4: src_geo,
 * dest_geo) from MaxMind-format databases, through libmaxminddb. Looked up
 * when an alert is written, never per packet. */
#ifndef VIGIE_GEOIP_H
#define VIGIE_GEOIP_H

#include <stddef.h>
#include <stdint.h>

struct geoip;

struct geo_info {
    char country[8]; /* ISO 3166-1 alpha-2, "" if unknown */
    char country_name[64];
    uint32_t asn; /* 0 if unknown */
    char as_org[128];
};

/* Either path may be NULL or "" (that database is not used). NULL with a
 * message in err if a given file cannot be opened. */
struct geoip *geoip_open(const char *country_path, const char *asn_path, char *err, size_t errlen);
void geoip_close(struct geoip *g);
/* addr: 16 bytes, IPv4 as ::ffff:a.b.c.d. Returns 1 if anything was found. */
int geoip_lookup(const struct geoip *g, const uint8_t addr[16], uint8_t family,
                 struct geo_info *out);

#endif

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <maxminddb.h>

#include "geoip.h"

struct geoip {
    MMDB_s country, asn;
    int has_country, has_asn;
};

static int open_db(const char *path, MMDB_s *db, char *err, size_t errlen)
{
    int rc = MMDB_open(path, MMDB_MODE_MMAP, db);
    if (rc != MMDB_SUCCESS) {
        snprintf(err, errlen, "%s: %s", path, MMDB_strerror(rc));
        return -1;
    }
    return 0;
}

struct geoip *geoip_open(const char *country_path, const char *asn_path, char *err, size_t errlen)
{
    struct geoip *g = calloc(1, sizeof(*g));
    if (!g) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (country_path && *country_path) {
        if (open_db(country_path, &g->country, err, errlen) != 0) goto fail;
        g->has_country = 1;
    }
    if (asn_path && *asn_path) {
        if (open_db(asn_path, &g->asn, err, errlen) != 0) goto fail;
        g->has_asn = 1;
    }
    return g;
fail:
    geoip_close(g);
    return NULL;
}

void geoip_close(struct geoip *g)
{
    if (!g) return;
    if (g->has_country) MMDB_close(&g->country);
    if (g->has_asn) MMDB_close(&g->asn);
    free(g);
}

static int lookup(const MMDB_s *db, const uint8_t addr[16], uint8_t family,
                  MMDB_lookup_result_s *res)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    if (family == 4) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        sin->sin_family = AF_INET;
        memcpy(&sin->sin_addr, addr + 12, 4);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        sin6->sin6_family = AF_INET6;
        memcpy(&sin6->sin6_addr, addr, 16);
    }
    int mmdb_err;
    *res = MMDB_lookup_sockaddr(db, (struct sockaddr *)&ss, &mmdb_err);
    return mmdb_err == MMDB_SUCCESS && res->found_entry;
}

/* A string at a path of the entry, copied into out. */
static void get_string(MMDB_entry_s *e, char *out, size_t len, const char *const *path)
{
    MMDB_entry_data_s d;
    if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data ||
        d.type != MMDB_DATA_TYPE_UTF8_STRING)
        return;
    size_t n = d.data_size < len - 1 ? d.data_size : len - 1;
    memcpy(out, d.utf8_string, n);
    out[n] = 0;
}

int geoip_lookup(const struct geoip *g, const uint8_t addr[16], uint8_t family,
                 struct geo_info *out)
{
    MMDB_lookup_result_s res;
    int found = 0;
    memset(out, 0, sizeof(*out));
    /* GeoLite2-Country layout; the free ip-location-db databases use
     * country_code at the top level instead. */
    if (g->has_country && lookup(&g->country, addr, family, &res)) {
        static const char *const iso[] = {"country", "iso_code", NULL};
        static const char *const flat[] = {"country_code", NULL};
        static const char *const name[] = {"country", "names", "en", NULL};
        get_string(&res.entry, out->country, sizeof(out->country), iso);
        if (!out->country[0]) get_string(&res.entry, out->country, sizeof(out->country), flat);
        get_string(&res.entry, out->country_name, sizeof(out->country_name), name);
        found = out->country[0] != 0;
    }
    if (g->has_asn && lookup(&g->asn, addr, family, &res)) {
        static const char *const asn[] = {"autonomous_system_number", NULL};
        static const char *const org[] = {"autonomous_system_organization", NULL};
        MMDB_entry_data_s d;
        if (MMDB_aget_value(&res.entry, &d, asn) == MMDB_SUCCESS && d.has_data &&
            d.type == MMDB_DATA_TYPE_UINT32)
            out->asn = d.uint32;
        get_string(&res.entry, out->as_org, sizeof(out->as_org), org);
        found |= out->asn != 0;
    }
    return found;
}

/* The arguments of a few SAMR requests (MS-SAMR 3.1.5), read from the stub
 * a DCE-RPC request event carries: the ones that say which group a caller
 * is after. NDR (C706 chapter 14) or NDR64 (MS-RPCE 2.2.5), in either byte
 * order; every read is bounds-checked, a stub cut short reads as far as it
 * goes. */
#ifndef VIGIE_SAMR_ARGS_H
#define VIGIE_SAMR_ARGS_H

#include <stddef.h>
#include <stdint.h>

/* MS-SAMR 3.1.5 opnums whose arguments are read here. */
#define SAMR_LOOKUP_NAMES_IN_DOMAIN 17
#define SAMR_OPEN_GROUP 19
#define SAMR_OPEN_ALIAS 27

struct samr_stub {
    const uint8_t *p;
    size_t len;
    int ndr64;      /* transfer syntax NDR64 */
    int big_endian; /* drep: big-endian integers and characters */
};

/* A privileged group or alias: a well-known RID (MS-DTYP 2.4.2.4) and its
 * name in an English-language domain. */
struct samr_group {
    uint32_t rid;
    const char *name;
};

/* The privileged group of a RID, or NULL. */
const struct samr_group *samr_privileged_rid(uint32_t rid);

/* SamrOpenGroup (3.1.5.1.7) and SamrOpenAlias (3.1.5.1.8): DomainHandle,
 * DesiredAccess, then the RID. Returns 0 with *rid set, -1 when the stub
 * is too short. */
int samr_open_rid(const struct samr_stub *s, uint32_t *rid);

/* SamrLookupNamesInDomain (3.1.5.11.2): the first of the names that is a
 * privileged group's (compared without regard to ASCII case), or NULL:
 * none is, or the stub ends (or is malformed) before one does. */
const struct samr_group *samr_lookup_privileged(const struct samr_stub *s);

#endif

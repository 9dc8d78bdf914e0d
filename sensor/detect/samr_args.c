/* SAMR request arguments (see samr_args.h). NDR marshals each primitive
 * at its natural alignment from the start of the stub (C706 14.2.2);
 * NDR64 widens pointers (referent ids) and array sizes to 8 bytes, aligned
 * to 8 (MS-RPCE 2.2.5.3). A context handle is 20 bytes either way. */
#include <string.h>

#include "cursor.h"
#include "samr_args.h"

#define CONTEXT_HANDLE_LEN 20
/* MS-SAMR 3.1.5.11.2: [range(0,1000)] Count. */
#define LOOKUP_MAX_NAMES 1000u

/* MS-DTYP 2.4.2.4: the groups that administer a domain or its
 * controllers (Microsoft's "privileged accounts and groups in Active
 * Directory"). */
static const struct samr_group privileged[] = {
    {512, "Domain Admins"},   {518, "Schema Admins"},     {519, "Enterprise Admins"},
    {544, "Administrators"},  {548, "Account Operators"}, {549, "Server Operators"},
    {550, "Print Operators"}, {551, "Backup Operators"},
};

#define N_PRIVILEGED (sizeof(privileged) / sizeof(privileged[0]))

const struct samr_group *samr_privileged_rid(uint32_t rid)
{
    for (size_t i = 0; i < N_PRIVILEGED; i++)
        if (privileged[i].rid == rid) return &privileged[i];
    return NULL;
}

/* --- NDR reading ------------------------------------------------------------ */

struct ndr {
    struct cursor c;
    const uint8_t *base;
    int ndr64, be;
};

static struct ndr ndr_make(const struct samr_stub *s)
{
    struct ndr n = {cursor_make(s->p, s->p ? s->len : 0), s->p, s->ndr64, s->big_endian};
    if (!s->p) n.c.err = 1;
    return n;
}

/* Alignment counts from the start of the stub. */
static void ndr_align(struct ndr *n, size_t a)
{
    size_t off = (size_t)(n->c.p - n->base);
    cursor_skip(&n->c, (a - off % a) % a);
}

static uint16_t ndr_u16(struct ndr *n)
{
    ndr_align(n, 2);
    return n->be ? cursor_be16(&n->c) : cursor_le16(&n->c);
}

static uint32_t ndr_u32(struct ndr *n)
{
    ndr_align(n, 4);
    return n->be ? cursor_be32(&n->c) : cursor_le32(&n->c);
}

/* An array size (conformance, offset, count) or a pointer's referent id:
 * 4 bytes in NDR, 8 in NDR64. */
static uint64_t ndr_size(struct ndr *n)
{
    if (!n->ndr64) return ndr_u32(n);
    ndr_align(n, 8);
    uint64_t a = n->be ? cursor_be32(&n->c) : cursor_le32(&n->c);
    uint64_t b = n->be ? cursor_be32(&n->c) : cursor_le32(&n->c);
    return n->be ? a << 32 | b : b << 32 | a;
}

int samr_open_rid(const struct samr_stub *s, uint32_t *rid)
{
    struct ndr n = ndr_make(s);
    cursor_skip(&n.c, CONTEXT_HANDLE_LEN);
    ndr_u32(&n); /* DesiredAccess */
    *rid = ndr_u32(&n);
    return n.c.err ? -1 : 0;
}

/* --- names -------------------------------------------------------------------- */

static uint16_t ascii_lower(uint16_t ch)
{
    return ch >= 'A' && ch <= 'Z' ? (uint16_t)(ch - 'A' + 'a') : ch;
}

/* Whether the units WCHARs at c spell name, without regard to ASCII case. */
static int same_name(struct cursor c, uint64_t units, int be, const char *name)
{
    if (strlen(name) != units) return 0;
    for (size_t k = 0; k < units; k++) {
        uint16_t ch = be ? cursor_be16(&c) : cursor_le16(&c);
        if (ascii_lower(ch) != ascii_lower((unsigned char)name[k])) return 0;
    }
    return !c.err;
}

/* A string of units WCHARs at the cursor: the privileged group it names,
 * if any. The cursor moves past it. */
static const struct samr_group *match_name(struct ndr *n, uint64_t units)
{
    if (units > n->c.left / 2) {
        n->c.err = 1;
        return NULL;
    }
    const struct samr_group *hit = NULL;
    for (size_t i = 0; i < N_PRIVILEGED && !hit; i++)
        if (same_name(n->c, units, n->be, privileged[i].name)) hit = &privileged[i];
    cursor_skip(&n->c, (size_t)units * 2);
    return hit;
}

/* RPC_UNICODE_STRING (MS-DTYP 2.3.10): Length, MaximumLength, Buffer;
 * NDR64 aligns the Buffer pointer, so an element is 8 or 16 bytes. */
static size_t ustr_len(const struct ndr *n)
{
    return n->ndr64 ? 16 : 8;
}

/* The Names array: [size_is(1000), length_is(Count)] RPC_UNICODE_STRING
 * Names[*], a conformant varying array (maximum, offset, actual count),
 * its elements, then the Buffer of each non-null pointer in order (each
 * a conformant varying WCHAR array). */
const struct samr_group *samr_lookup_privileged(const struct samr_stub *s)
{
    struct ndr n = ndr_make(s);
    cursor_skip(&n.c, CONTEXT_HANDLE_LEN);
    uint32_t count = ndr_u32(&n);
    uint64_t max = ndr_size(&n), offset = ndr_size(&n), actual = ndr_size(&n);
    if (n.c.err || count > LOOKUP_MAX_NAMES || actual != count || offset != 0 || max < actual)
        return NULL;
    ndr_align(&n, n.ndr64 ? 8 : 4);
    /* Two cursors: the elements, and the buffers after them. */
    struct ndr elems = n;
    cursor_skip(&n.c, (size_t)actual * ustr_len(&n));
    for (uint64_t i = 0; i < actual && !n.c.err && !elems.c.err; i++) {
        ndr_u16(&elems); /* Length */
        ndr_u16(&elems); /* MaximumLength */
        uint64_t ptr = ndr_size(&elems);
        if (elems.c.err) break;
        if (!ptr) continue;
        uint64_t bmax = ndr_size(&n), boff = ndr_size(&n), bact = ndr_size(&n);
        if (n.c.err || boff != 0 || bact > bmax) break;
        const struct samr_group *g = match_name(&n, bact);
        if (g) return g;
    }
    return NULL;
}

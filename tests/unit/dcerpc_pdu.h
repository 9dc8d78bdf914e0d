/* A DCE-RPC PDU builder for the unit tests (C706 12.6, MS-RPCE 2.2.2):
 * headers in either byte order, binds and bind_acks with a transfer
 * syntax, requests. Include after cmocka.h. */
#ifndef VIGIE_TEST_DCERPC_PDU_H
#define VIGIE_TEST_DCERPC_PDU_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcerpc.h"

/* dcerpc_parse over an exact-size heap copy of data, so that ASan sees any
 * read past what the dissector was handed. */
static inline long parse_copy(struct dissect_ctx *dc, struct dcerpc_conn *c, int to_server,
                              const uint8_t *data, size_t len, const char *pipe)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (len) memcpy(copy, data, len);
    long r = dcerpc_parse(dc, c, to_server, copy, len, pipe);
    free(copy);
    return r;
}

struct pdu {
    uint8_t b[4096];
    size_t n;
    int be;
};

static inline void put8(struct pdu *p, unsigned v)
{
    p->b[p->n++] = (uint8_t)v;
}

static inline void put16(struct pdu *p, unsigned v)
{
    if (p->be)
        put8(p, v >> 8), put8(p, v);
    else
        put8(p, v), put8(p, v >> 8);
}

static inline void put32(struct pdu *p, uint32_t v)
{
    if (p->be)
        put16(p, v >> 16), put16(p, v & 0xffff);
    else
        put16(p, v & 0xffff), put16(p, v >> 16);
}

/* "367abb81-9844-35f1-ad32-98f038001003" in the PDU's byte order. */
static inline void put_uuid(struct pdu *p, const char *s)
{
    unsigned a, b, c, d[8];
    assert_int_equal(sscanf(s, "%8x-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x", &a, &b, &c, &d[0], &d[1],
                            &d[2], &d[3], &d[4], &d[5], &d[6], &d[7]),
                     11);
    put32(p, a), put16(p, b), put16(p, c);
    for (int i = 0; i < 8; i++)
        put8(p, d[i]);
}

static inline void header(struct pdu *p, int be, unsigned ptype, unsigned flags)
{
    memset(p, 0, sizeof(*p));
    p->be = be;
    put8(p, 5), put8(p, 0), put8(p, ptype), put8(p, flags);
    put8(p, be ? 0x00 : 0x10), put8(p, 0), put8(p, 0), put8(p, 0);
    put16(p, 0), put16(p, 0), put32(p, 1); /* lengths set by finish() */
}

static inline void finish(struct pdu *p, unsigned auth_len)
{
    size_t n = p->n;
    p->n = 8;
    put16(p, (unsigned)n), put16(p, auth_len);
    p->n = n;
}

/* C706 14 and MS-RPCE 2.2.5 transfer syntaxes. */
#define PDU_NDR "8a885d04-1ceb-11c9-9fe8-08002b104860"
#define PDU_NDR64 "71710533-beba-4937-8319-b5dbef9ccc36"

/* C706 12.6.4.3: n contexts ids first_id.., all of uuid, one transfer syntax. */
static inline void bind_pdu_syntax(struct pdu *p, int be, unsigned ptype, const char *uuid,
                                   unsigned n, unsigned first_id, const char *syntax)
{
    header(p, be, ptype, 0x03);
    put16(p, 4280), put16(p, 4280), put32(p, 0);
    put8(p, n), put8(p, 0), put16(p, 0);
    for (unsigned i = 0; i < n; i++) {
        put16(p, first_id + i), put8(p, 1), put8(p, 0);
        put_uuid(p, uuid), put16(p, 2), put16(p, 0);
        put_uuid(p, syntax), put32(p, 2);
    }
    finish(p, 0);
}

/* C706 12.6.4.4: sec_addr "\PIPE\ntsvcs" (13 bytes with NUL), results. */
static inline void bind_ack_pdu_syntax(struct pdu *p, unsigned n, const unsigned *results,
                                       const char *syntax)
{
    header(p, 0, 12, 0x03);
    put16(p, 4280), put16(p, 4280), put32(p, 0x1234);
    put16(p, 13);
    memcpy(p->b + p->n, "\\PIPE\\ntsvcs", 13);
    p->n += 13;
    while (p->n % 4)
        put8(p, 0);
    put8(p, n), put8(p, 0), put16(p, 0);
    for (unsigned i = 0; i < n; i++) {
        put16(p, results[i]), put16(p, 0);
        put_uuid(p, syntax), put32(p, 2);
    }
    finish(p, 0);
}

static inline void bind_pdu(struct pdu *p, int be, unsigned ptype, const char *uuid, unsigned n,
                            unsigned first_id)
{
    bind_pdu_syntax(p, be, ptype, uuid, n, first_id, PDU_NDR);
}

static inline void bind_ack_pdu(struct pdu *p, unsigned n, const unsigned *results)
{
    bind_ack_pdu_syntax(p, n, results, PDU_NDR);
}

/* C706 12.6.4.9, with stub_len bytes of stub. */
static inline void request_pdu(struct pdu *p, int be, unsigned flags, unsigned ctx, unsigned opnum,
                               size_t stub_len)
{
    header(p, be, 0, flags);
    put32(p, (uint32_t)stub_len), put16(p, ctx), put16(p, opnum);
    if (flags & 0x80) put_uuid(p, "9940ca8e-512f-4c58-88a9-61098d6896bd");
    for (size_t i = 0; i < stub_len; i++)
        put8(p, (unsigned)i);
    finish(p, 0);
}

/* A request with an auth verifier (MS-RPCE 2.2.2.11): stub_len bytes of
 * stub, pad bytes of auth padding, the sec_trailer at level, auth_len
 * bytes of verifier. */
static inline void auth_request_pdu(struct pdu *p, unsigned ctx, unsigned opnum, size_t stub_len,
                                    unsigned pad, unsigned level, unsigned auth_len)
{
    header(p, 0, 0, 0x03);
    put32(p, (uint32_t)stub_len), put16(p, ctx), put16(p, opnum);
    for (size_t i = 0; i < stub_len; i++)
        put8(p, (unsigned)i);
    for (unsigned i = 0; i < pad; i++)
        put8(p, 0xee);
    put8(p, 10), put8(p, level), put8(p, pad), put8(p, 0), put32(p, 0);
    for (unsigned i = 0; i < auth_len; i++)
        put8(p, 0xaa);
    finish(p, auth_len);
}

static inline void uuid_bytes(const char *s, uint8_t out[16])
{
    struct pdu p;
    memset(&p, 0, sizeof(p));
    put_uuid(&p, s);
    memcpy(out, p.b, 16);
}

#endif

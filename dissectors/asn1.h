/* A small bounds-checked DER reader (ITU-T X.690 8.1) for the Kerberos
 * dissector. Reads one TLV at a time from a cursor; a constructed value is
 * descended into by reading its contents with a sub-cursor, so a child can
 * never claim bytes beyond its parent. There is no recursion: parsers
 * descend by explicit calls, so nesting depth is bounded by the schema.
 * Indefinite lengths (X.690 8.1.3.6, forbidden in DER) are rejected. */
#ifndef VIGIE_ASN1_H
#define VIGIE_ASN1_H

#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

#define ASN1_UNIVERSAL 0
#define ASN1_APPLICATION 1
#define ASN1_CONTEXT 2
#define ASN1_PRIVATE 3

/* Universal tag numbers used by Kerberos (RFC 4120 5.2). */
#define ASN1_INTEGER 2
#define ASN1_BIT_STRING 3
#define ASN1_OCTET_STRING 4
#define ASN1_SEQUENCE 16
#define ASN1_GENERAL_STRING 27
#define ASN1_GENERALIZED_TIME 24

struct asn1_tlv {
    uint8_t cls; /* ASN1_UNIVERSAL .. ASN1_PRIVATE */
    uint8_t constructed;
    uint32_t tag;
    size_t len;         /* declared length of the value */
    size_t hdr_len;     /* identifier + length octets */
    const uint8_t *val; /* value bytes (len of them, or avail if partial) */
    size_t avail;       /* value bytes present: len unless read partially */
};

/* Reads the identifier and length octets only. Returns 0, or -1 (and sets
 * c->err) when they are truncated, use the indefinite form, or do not fit
 * in 32 bits. */
int asn1_read_header(struct cursor *c, struct asn1_tlv *t);

/* Reads a whole TLV; -1 if the value is not entirely inside the cursor. */
int asn1_read(struct cursor *c, struct asn1_tlv *t);

/* Like asn1_read, but a value running past the end of the cursor is
 * accepted: t->avail says how much of it is present, and the cursor is left
 * empty. For the prefix of a message cut by the reassembly buffer. */
int asn1_read_partial(struct cursor *c, struct asn1_tlv *t);

/* A cursor over the value bytes present. */
static inline struct cursor asn1_contents(const struct asn1_tlv *t)
{
    return cursor_make(t->val, t->avail);
}

static inline int asn1_is(const struct asn1_tlv *t, uint8_t cls, int constructed, uint32_t tag)
{
    return t->cls == cls && t->constructed == !!constructed && t->tag == tag;
}

/* A complete INTEGER that fits in int64 (X.690 8.3); -1 otherwise. */
int asn1_integer(const struct asn1_tlv *t, int64_t *out);

/* Reads [tag] EXPLICIT INTEGER, the form every Kerberos integer field has
 * (RFC 4120 5.2.4). -1 unless the next TLV is exactly that. */
int asn1_context_int(struct cursor *c, uint32_t tag, int64_t *out);

/* Copies a string value (KerberosString, RFC 4120 5.2.1) as NUL-terminated
 * UTF-8: valid UTF-8 passes, control characters and invalid bytes become
 * '?', and the copy is truncated on a character boundary. Returns the
 * output length. */
size_t asn1_string_copy(const uint8_t *s, size_t n, char *out, size_t out_len);

#endif

/* CIDR prefixes over 128-bit keys and a longest-prefix-match trie.
 * IPv4 lives in the IPv4-mapped space (::ffff:a.b.c.d), so a.b.c.d/n is
 * the 128-bit prefix of length 96 + n and one trie serves both families. */
#ifndef VIGIE_CIDR_H
#define VIGIE_CIDR_H

#include <stddef.h>
#include <stdint.h>

struct cidr {
    uint8_t addr[16]; /* host bits are always zero */
    uint8_t len;      /* prefix length in bits over the 128-bit key */
};

/* Parses "a.b.c.d/n", "x::y/n", or a bare address (a host prefix: /32 or
 * /128). Host bits set ("10.0.0.1/8") are an error: the writer meant either
 * the host or the network, and guessing wrong silently misplaces a zone.
 * Returns 0, or -1 with a reason in why. */
int cidr_parse(const char *s, struct cidr *out, char *why, size_t whylen);

/* "10.0.0.0/8" for IPv4-mapped prefixes of length >= 96, else IPv6 form. */
void cidr_format(const struct cidr *c, char *buf, size_t buflen);

/* 1 if addr (16 bytes) lies inside c. */
int cidr_contains(const struct cidr *c, const uint8_t addr[16]);

/* Path-compressed binary trie: a lookup visits at most one node per
 * prefix length present on the path and compares each node in O(1), so it
 * costs O(prefix length) whatever the number of prefixes. */
struct cidr_trie;

struct cidr_trie *cidr_trie_create(void);
void cidr_trie_destroy(struct cidr_trie *t);

/* Inserts c with value unless c is already present. Returns 0 when
 * inserted, 1 when present (*old, if not NULL, receives its value; the
 * stored value is unchanged), -1 when out of memory. */
int cidr_trie_insert(struct cidr_trie *t, const struct cidr *c, uint32_t value, uint32_t *old);

/* Longest prefix containing addr: returns 1 and its value and length
 * (either pointer may be NULL), or 0 when no prefix matches. */
int cidr_trie_lookup(const struct cidr_trie *t, const uint8_t addr[16], uint32_t *value,
                     unsigned *len);

size_t cidr_trie_count(const struct cidr_trie *t);

#endif

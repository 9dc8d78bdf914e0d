#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"

static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};

static int is_v4_mapped(const uint8_t addr[16])
{
    return memcmp(addr, v4_mapped, sizeof(v4_mapped)) == 0;
}

/* Zeroes the bits after len; returns 1 if any was set. */
static int clear_host_bits(uint8_t addr[16], unsigned len)
{
    int had = 0;
    for (unsigned i = 0; i < 16; i++) {
        unsigned keep = len >= 8 * (i + 1) ? 8 : len > 8 * i ? len - 8 * i : 0;
        uint8_t mask = keep ? (uint8_t)(0xFF << (8 - keep)) : 0;
        if (addr[i] & ~mask) had = 1;
        addr[i] &= mask;
    }
    return had;
}

/* Decimal prefix length with no sign, blanks or leading zeros to misread. */
static int parse_len(const char *s, unsigned max, unsigned *out)
{
    if (!*s || strlen(s) > 3) return -1;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p)) return -1;
    if (s[0] == '0' && s[1]) return -1;
    unsigned v = (unsigned)atoi(s);
    if (v > max) return -1;
    *out = v;
    return 0;
}

int cidr_parse(const char *s, struct cidr *out, char *why, size_t whylen)
{
    char buf[INET6_ADDRSTRLEN + 8];
    if (strlen(s) >= sizeof(buf)) {
        snprintf(why, whylen, "'%.60s...' is not an address or CIDR", s);
        return -1;
    }
    snprintf(buf, sizeof(buf), "%s", s);
    char *slash = strchr(buf, '/');
    if (slash) *slash = '\0';
    int v6 = strchr(buf, ':') != NULL;
    memset(out, 0, sizeof(*out));
    if (v6 ? inet_pton(AF_INET6, buf, out->addr) != 1
           : inet_pton(AF_INET, buf, out->addr + 12) != 1) {
        snprintf(why, whylen, "'%s' is not a valid IPv%c address", buf, v6 ? '6' : '4');
        return -1;
    }
    if (!v6) memcpy(out->addr, v4_mapped, sizeof(v4_mapped));
    unsigned max = v6 ? 128 : 32, len = max;
    if (slash && parse_len(slash + 1, max, &len) != 0) {
        snprintf(why, whylen, "'%s': prefix length must be 0..%u", s, max);
        return -1;
    }
    out->len = (uint8_t)(v6 ? len : 96 + len);
    if (clear_host_bits(out->addr, out->len)) {
        char net[64];
        cidr_format(out, net, sizeof(net));
        snprintf(why, whylen, "'%s' has host bits set (the network is %s)", s, net);
        return -1;
    }
    return 0;
}

void cidr_format(const struct cidr *c, char *buf, size_t buflen)
{
    char a[INET6_ADDRSTRLEN];
    if (c->len >= 96 && is_v4_mapped(c->addr)) {
        inet_ntop(AF_INET, c->addr + 12, a, sizeof(a));
        snprintf(buf, buflen, "%s/%u", a, c->len - 96u);
    } else {
        inet_ntop(AF_INET6, c->addr, a, sizeof(a));
        snprintf(buf, buflen, "%s/%u", a, c->len);
    }
}

/* --- the trie ------------------------------------------------------- */

/* Keys are two host-order 64-bit words so that masking and comparing a
 * whole prefix is two XOR/AND operations. */
struct key {
    uint64_t w[2];
};

struct node {
    struct key key;    /* bits past len are zero */
    uint32_t child[2]; /* indices into nodes[], 0 = none */
    uint32_t value;
    uint8_t len;
    uint8_t has_value; /* 0 for the branching nodes a split creates */
};

struct cidr_trie {
    struct node *nodes; /* nodes[0] is unused so that index 0 means none */
    uint32_t n, cap;
    uint32_t root;
    size_t count;
};

static struct key key_of(const uint8_t a[16])
{
    struct key k = {{0, 0}};
    for (int i = 0; i < 8; i++) {
        k.w[0] = k.w[0] << 8 | a[i];
        k.w[1] = k.w[1] << 8 | a[8 + i];
    }
    return k;
}

static uint64_t word_mask(unsigned len, unsigned word)
{
    unsigned bits = len > 64 * word ? len - 64 * word : 0;
    if (bits >= 64) return ~0ULL;
    return bits ? ~0ULL << (64 - bits) : 0;
}

static int key_match(const struct key *p, unsigned len, const struct key *k)
{
    return ((p->w[0] ^ k->w[0]) & word_mask(len, 0)) == 0 &&
           ((p->w[1] ^ k->w[1]) & word_mask(len, 1)) == 0;
}

static unsigned key_bit(const struct key *k, unsigned i)
{
    return (unsigned)(k->w[i / 64] >> (63 - i % 64)) & 1u;
}

/* Number of leading bits a and b share, at most limit. */
static unsigned common_len(const struct key *a, const struct key *b, unsigned limit)
{
    uint64_t x = a->w[0] ^ b->w[0];
    unsigned n = x ? (unsigned)__builtin_clzll(x) : 64;
    if (!x) {
        x = a->w[1] ^ b->w[1];
        n += x ? (unsigned)__builtin_clzll(x) : 64;
    }
    return n < limit ? n : limit;
}

static uint32_t new_node(struct cidr_trie *t, const struct key *k, unsigned len)
{
    if (t->n >= t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : 64;
        struct node *nodes = realloc(t->nodes, cap * sizeof(*nodes));
        if (!nodes) return 0;
        t->nodes = nodes;
        t->cap = cap;
    }
    struct node *n = &t->nodes[t->n];
    memset(n, 0, sizeof(*n));
    n->key.w[0] = k->w[0] & word_mask(len, 0);
    n->key.w[1] = k->w[1] & word_mask(len, 1);
    n->len = (uint8_t)len;
    return t->n++;
}

struct cidr_trie *cidr_trie_create(void)
{
    struct cidr_trie *t = calloc(1, sizeof(*t));
    if (t) t->n = 1;
    return t;
}

void cidr_trie_destroy(struct cidr_trie *t)
{
    if (!t) return;
    free(t->nodes);
    free(t);
}

static void set_value(struct cidr_trie *t, uint32_t i, uint32_t value)
{
    t->nodes[i].value = value;
    t->nodes[i].has_value = 1;
    t->count++;
}

/* The link to a node is named by its parent's index and side (parent 0 =
 * the root), never by a pointer: new_node may move nodes[]. */
static uint32_t *link_at(struct cidr_trie *t, uint32_t parent, unsigned side)
{
    return parent ? &t->nodes[parent].child[side] : &t->root;
}

/* The node at (parent, side) diverges from k within its length: put k
 * either above it, or beside it under a new branching node. */
static int split(struct cidr_trie *t, uint32_t parent, unsigned side, const struct key *k,
                 unsigned len, unsigned common, uint32_t value)
{
    uint32_t old = *link_at(t, parent, side), leaf = new_node(t, k, len);
    if (!leaf) return -1;
    if (common == len) { /* k is a prefix of the old node */
        t->nodes[leaf].child[key_bit(&t->nodes[old].key, len)] = old;
        *link_at(t, parent, side) = leaf;
        set_value(t, leaf, value);
        return 0;
    }
    uint32_t fork = new_node(t, k, common);
    if (!fork) return -1;
    t->nodes[fork].child[key_bit(&t->nodes[old].key, common)] = old;
    t->nodes[fork].child[key_bit(k, common)] = leaf;
    *link_at(t, parent, side) = fork;
    set_value(t, leaf, value);
    return 0;
}

int cidr_trie_insert(struct cidr_trie *t, const struct cidr *c, uint32_t value, uint32_t *old)
{
    struct key k = key_of(c->addr);
    unsigned len = c->len, side = 0;
    uint32_t parent = 0;
    for (uint32_t i = t->root; i; i = *link_at(t, parent, side)) {
        unsigned nlen = t->nodes[i].len;
        unsigned common = common_len(&t->nodes[i].key, &k, nlen < len ? nlen : len);
        if (common < nlen) return split(t, parent, side, &k, len, common, value);
        if (nlen == len) {
            if (t->nodes[i].has_value) {
                if (old) *old = t->nodes[i].value;
                return 1;
            }
            set_value(t, i, value);
            return 0;
        }
        parent = i;
        side = key_bit(&k, nlen);
    }
    uint32_t leaf = new_node(t, &k, len);
    if (!leaf) return -1;
    *link_at(t, parent, side) = leaf;
    set_value(t, leaf, value);
    return 0;
}

int cidr_trie_lookup(const struct cidr_trie *t, const uint8_t addr[16], uint32_t *value,
                     unsigned *len)
{
    struct key k = key_of(addr);
    const struct node *best = NULL;
    uint32_t i = t->root;
    while (i) {
        const struct node *n = &t->nodes[i];
        if (!key_match(&n->key, n->len, &k)) break;
        if (n->has_value) best = n;
        if (n->len == 128) break;
        i = n->child[key_bit(&k, n->len)];
    }
    if (!best) return 0;
    if (value) *value = best->value;
    if (len) *len = best->len;
    return 1;
}

size_t cidr_trie_count(const struct cidr_trie *t)
{
    return t->count;
}

int cidr_contains(const struct cidr *c, const uint8_t addr[16])
{
    struct key p = key_of(c->addr), k = key_of(addr);
    return key_match(&p, c->len, &k);
}

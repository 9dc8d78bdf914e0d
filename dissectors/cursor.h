/* Bounds-checked reading of packet bytes: every read of payload goes
 * through a cursor (pointer + remaining length); a short read sets the
 * error flag and yields zeros, so parsers check once at the end. */
#ifndef VIGIE_CURSOR_H
#define VIGIE_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cursor {
    const uint8_t *p;
    size_t left;
    int err;
};

static inline struct cursor cursor_make(const uint8_t *p, size_t len)
{
    struct cursor c = {p, len, 0};
    return c;
}

static inline int cursor_need(struct cursor *c, size_t n)
{
    if (c->err || c->left < n) {
        c->err = 1;
        return 0;
    }
    return 1;
}

/* Whether n more bytes can be read, without touching the error flag: for
 * a layer that is optional, where running out is an answer, not an error. */
static inline int cursor_has(const struct cursor *c, size_t n)
{
    return !c->err && c->left >= n;
}

static inline void cursor_skip(struct cursor *c, size_t n)
{
    if (cursor_need(c, n)) c->p += n, c->left -= n;
}

static inline uint8_t cursor_u8(struct cursor *c)
{
    if (!cursor_need(c, 1)) return 0;
    uint8_t v = c->p[0];
    c->p++, c->left--;
    return v;
}

static inline uint16_t cursor_le16(struct cursor *c)
{
    if (!cursor_need(c, 2)) return 0;
    uint16_t v = (uint16_t)(c->p[0] | c->p[1] << 8);
    c->p += 2, c->left -= 2;
    return v;
}

static inline uint32_t cursor_le32(struct cursor *c)
{
    if (!cursor_need(c, 4)) return 0;
    uint32_t v = (uint32_t)c->p[0] | (uint32_t)c->p[1] << 8 | (uint32_t)c->p[2] << 16 |
                 (uint32_t)c->p[3] << 24;
    c->p += 4, c->left -= 4;
    return v;
}

static inline uint64_t cursor_le64(struct cursor *c)
{
    uint64_t lo = cursor_le32(c);
    return lo | (uint64_t)cursor_le32(c) << 32;
}

static inline uint16_t cursor_be16(struct cursor *c)
{
    if (!cursor_need(c, 2)) return 0;
    uint16_t v = (uint16_t)(c->p[0] << 8 | c->p[1]);
    c->p += 2, c->left -= 2;
    return v;
}

static inline uint32_t cursor_be32(struct cursor *c)
{
    if (!cursor_need(c, 4)) return 0;
    uint32_t v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 |
                 (uint32_t)c->p[3];
    c->p += 4, c->left -= 4;
    return v;
}

/* Reads at off bytes past the position without moving it, for a field
 * that decides how the header around it is read (a version nibble, a
 * header length). Short: error flag and zero, as the reads above. */
static inline uint8_t cursor_peek_u8(struct cursor *c, size_t off)
{
    if (c->err || c->left <= off) {
        c->err = 1;
        return 0;
    }
    return c->p[off];
}

static inline uint16_t cursor_peek_be16(struct cursor *c, size_t off)
{
    if (c->err || c->left < 2 || c->left - 2 < off) {
        c->err = 1;
        return 0;
    }
    return (uint16_t)(c->p[off] << 8 | c->p[off + 1]);
}

static inline void cursor_copy(struct cursor *c, void *out, size_t n)
{
    if (cursor_need(c, n)) {
        memcpy(out, c->p, n);
        c->p += n, c->left -= n;
    } else {
        memset(out, 0, n);
    }
}

/* A sub-cursor over [off, off+len) of a buffer; error if out of range. */
static inline struct cursor cursor_at(const uint8_t *base, size_t base_len, size_t off, size_t len)
{
    struct cursor c = {base, 0, 1};
    if (off <= base_len && len <= base_len - off) c = cursor_make(base + off, len);
    return c;
}

/* Cuts the cursor to at most n bytes: a length field bounds what follows,
 * while the capture may hold less (snap length) or more (link padding). */
static inline void cursor_limit(struct cursor *c, size_t n)
{
    if (c->left > n) c->left = n;
}

#endif

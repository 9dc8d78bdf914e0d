#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng.h"

/* pcapng block types (draft-ietf-opsawg-pcapng section 11.1). */
#define BT_PB 0x00000002u /* obsolete Packet Block */
#define BT_IDB 0x00000001u
#define BT_SPB 0x00000003u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define OPT_IF_TSRESOL 9
#define OPT_IF_TSOFFSET 14

#define BUFFER_START (64u << 10) /* grows by doubling up to BUFFER_MAX */
#define BUFFER_MAX (16u << 20)   /* a bigger block is taken for corruption */
#define MAX_IFACES 256

struct iface {
    int dlt;
    uint32_t snaplen;
    int pow2;     /* if_tsresol: units are 2^-exp seconds, else 10^-exp */
    unsigned exp; /* default 6: microseconds */
    int64_t offset_s;
};

struct pcapng {
    FILE *fp;
    uint8_t *buf;
    size_t cap, pos, end; /* buf[pos, end) read but not consumed */
    uint64_t offset;      /* file offset of buf[pos] */
    int eof;
    int swap;
    int first_dlt;
    uint64_t packets;
    struct iface *ifaces;
    uint32_t n_ifaces;
};

static uint32_t swap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

/* Reads in the section's byte order; the caller has checked the bounds. */
static uint32_t get32(const struct pcapng *r, const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return r->swap ? swap32(v) : v;
}

static uint16_t get16(const struct pcapng *r, const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return r->swap ? (uint16_t)((v >> 8) | (v << 8)) : v;
}

/* Makes n bytes available at buf[pos]: 1, or 0 at end of file or if n is
 * beyond BUFFER_MAX (then `avail` says how many there are). */
static int ensure(struct pcapng *r, size_t n)
{
    if (r->end - r->pos >= n) return 1;
    if (n > BUFFER_MAX) return 0;
    if (n > r->cap) {
        size_t cap = r->cap;
        while (cap < n)
            cap *= 2;
        if (cap > BUFFER_MAX) cap = BUFFER_MAX;
        uint8_t *nb = realloc(r->buf, cap);
        if (!nb) return 0;
        r->buf = nb;
        r->cap = cap;
    }
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->end - r->pos);
        r->end -= r->pos;
        r->pos = 0;
    }
    while (!r->eof && r->end < n) {
        size_t got = fread(r->buf + r->end, 1, r->cap - r->end, r->fp);
        if (got == 0) r->eof = 1;
        r->end += got;
    }
    return r->end - r->pos >= n;
}

static int fail(const struct pcapng *r, char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "corrupt capture after packet %llu (file offset %llu): pcapng: %s",
             (unsigned long long)r->packets, (unsigned long long)r->offset, what);
    return -1;
}

/* Converts a timestamp in the interface's units to microseconds. */
static uint64_t to_us(const struct iface *i, uint64_t ts)
{
    uint64_t us;
    if (i->pow2) {
        uint64_t frac = i->exp ? ts & ((1ull << i->exp) - 1) : 0;
        us = (ts >> i->exp) * 1000000u + (uint64_t)((double)frac / (double)(1ull << i->exp) * 1e6);
    } else {
        uint64_t p = 1;
        unsigned e = i->exp > 6 ? i->exp - 6 : 6 - i->exp;
        for (unsigned k = 0; k < e; k++)
            p *= 10;
        us = i->exp > 6 ? ts / p : ts * p;
    }
    return us + (uint64_t)(i->offset_s * 1000000);
}

/* A file holds LINKTYPE_ values; the few that differ from the platform's
 * DLT_ values are mapped, as libpcap's linktype_to_dlt does for pcap. */
static int linktype_to_dlt(int lt)
{
    switch (lt) {
    case 50:
        return DLT_PPP_SERIAL;
    case 51:
        return DLT_PPP_ETHER;
    case 100:
        return DLT_ATM_RFC1483;
    case 101:
        return DLT_RAW;
    case 104:
        return DLT_C_HDLC;
    case 108:
        return DLT_LOOP;
    default:
        return lt;
    }
}

/* Interface Description Block: link type, snaplen, then options. */
static int read_idb(struct pcapng *r, const uint8_t *b, size_t len, char *err, size_t errlen)
{
    if (len < 8) return fail(r, err, errlen, "interface description too short");
    if (r->n_ifaces >= MAX_IFACES) return fail(r, err, errlen, "too many interfaces");
    struct iface *i = &r->ifaces[r->n_ifaces];
    memset(i, 0, sizeof(*i));
    i->dlt = linktype_to_dlt(get16(r, b));
    i->snaplen = get32(r, b + 4);
    i->exp = 6;
    size_t off = 8;
    while (off + 4 <= len) {
        uint16_t code = get16(r, b + off), olen = get16(r, b + off + 2);
        off += 4;
        if (code == 0) break;
        if (olen > len - off) return fail(r, err, errlen, "interface option overruns its block");
        if (code == OPT_IF_TSRESOL && olen >= 1) {
            i->pow2 = (b[off] & 0x80) != 0;
            i->exp = b[off] & 0x7f;
            if ((i->pow2 && i->exp > 63) || (!i->pow2 && i->exp > 19))
                return fail(r, err, errlen, "if_tsresol out of range");
        } else if (code == OPT_IF_TSOFFSET && olen >= 8) {
            uint64_t v = (uint64_t)get32(r, b + off) | (uint64_t)get32(r, b + off + 4) << 32;
            if (r->swap) v = (uint64_t)get32(r, b + off + 4) | (uint64_t)get32(r, b + off) << 32;
            i->offset_s = (int64_t)v;
        }
        off += ((size_t)olen + 3) & ~(size_t)3;
    }
    if (r->first_dlt < 0) r->first_dlt = i->dlt;
    r->n_ifaces++;
    return 0;
}

static int iface_for(struct pcapng *r, uint32_t id, const struct iface **out, char *err,
                     size_t errlen)
{
    if (id >= r->n_ifaces) return fail(r, err, errlen, "packet of an undeclared interface");
    *out = &r->ifaces[id];
    return 0;
}

/* Enhanced, simple and obsolete packet blocks: fills pkt. */
static int read_packet(struct pcapng *r, uint32_t type, const uint8_t *b, size_t len,
                       struct pcapng_packet *pkt, char *err, size_t errlen)
{
    const struct iface *i;
    size_t hdr = type == BT_SPB ? 4 : 20;
    if (len < hdr) return fail(r, err, errlen, "packet block too short");
    if (type == BT_SPB) {
        if (iface_for(r, 0, &i, err, errlen) != 0) return -1;
        pkt->iface = 0;
        pkt->wire_len = get32(r, b);
        pkt->caplen = pkt->wire_len;
        if (pkt->caplen > len - 4) pkt->caplen = (uint32_t)(len - 4);
        if (i->snaplen && pkt->caplen > i->snaplen) pkt->caplen = i->snaplen;
        pkt->ts_us = 0;
    } else {
        pkt->iface = type == BT_PB ? get16(r, b) : get32(r, b);
        if (iface_for(r, pkt->iface, &i, err, errlen) != 0) return -1;
        uint64_t ts = (uint64_t)get32(r, b + 4) << 32 | get32(r, b + 8);
        pkt->caplen = get32(r, b + 12);
        pkt->wire_len = get32(r, b + 16);
        if (pkt->caplen > len - 20) return fail(r, err, errlen, "packet data overruns its block");
        pkt->ts_us = to_us(i, ts);
    }
    pkt->dlt = i->dlt;
    pkt->data = b + hdr;
    return 0;
}

/* The next block, validated: its type, body and body length. 1, 0 at a
 * clean end of file, -1 on corruption. The block stays in the buffer until
 * the next call. */
static int next_block(struct pcapng *r, uint32_t *type, const uint8_t **body, size_t *len,
                      char *err, size_t errlen)
{
    if (!ensure(r, 1)) return 0;
    if (!ensure(r, 12)) return fail(r, err, errlen, "truncated block header");
    const uint8_t *p = r->buf + r->pos;
    uint32_t t;
    memcpy(&t, p, 4); /* the SHB type reads the same in both byte orders */
    if (t == PCAPNG_SHB_TYPE) {
        uint32_t magic;
        memcpy(&magic, p + 8, 4);
        if (magic == BYTE_ORDER_MAGIC)
            r->swap = 0;
        else if (magic == swap32(BYTE_ORDER_MAGIC))
            r->swap = 1;
        else
            return fail(r, err, errlen, "bad byte-order magic");
    }
    t = get32(r, p);
    uint32_t blen = get32(r, p + 4);
    if (blen < 12 || blen % 4 != 0) return fail(r, err, errlen, "bad block length");
    if (blen > BUFFER_MAX) return fail(r, err, errlen, "block too large");
    if (!ensure(r, blen)) return fail(r, err, errlen, "truncated block");
    p = r->buf + r->pos;
    if (get32(r, p + blen - 4) != blen)
        return fail(r, err, errlen, "trailing block length differs");
    *type = t;
    *body = p + 8;
    *len = blen - 12;
    r->pos += blen;
    r->offset += blen;
    return 1;
}

int pcapng_next(struct pcapng *r, struct pcapng_packet *pkt, char *err, size_t errlen)
{
    for (;;) {
        uint32_t type;
        const uint8_t *b;
        size_t len;
        uint64_t at = r->offset;
        int rc = next_block(r, &type, &b, &len, err, errlen);
        if (rc <= 0) return rc;
        /* Errors inside a block name the block's offset. */
        uint64_t after = r->offset;
        r->offset = at;
        if (type == PCAPNG_SHB_TYPE) {
            if (len < 4) return fail(r, err, errlen, "section header too short");
            r->n_ifaces = 0; /* a new section declares its interfaces anew */
        } else if (type == BT_IDB) {
            rc = read_idb(r, b, len, err, errlen);
        } else if (type == BT_EPB || type == BT_SPB || type == BT_PB) {
            rc = read_packet(r, type, b, len, pkt, err, errlen);
            if (rc == 0) {
                r->offset = after;
                r->packets++;
                return 1;
            }
        }
        if (rc < 0) return -1;
        r->offset = after; /* any other block (NRB, ISB, DSB, custom) is skipped */
    }
}

struct pcapng *pcapng_open(FILE *fp, const uint8_t *head, size_t head_len, char *err, size_t errlen)
{
    struct pcapng *r = calloc(1, sizeof(*r));
    if (r) {
        r->buf = malloc(BUFFER_START);
        r->ifaces = calloc(MAX_IFACES, sizeof(*r->ifaces));
    }
    if (!r || !r->buf || !r->ifaces || head_len > BUFFER_START) {
        snprintf(err, errlen, "out of memory");
        pcapng_close(r);
        return NULL;
    }
    r->fp = fp;
    r->cap = BUFFER_START;
    r->first_dlt = -1;
    memcpy(r->buf, head, head_len);
    r->end = head_len;
    /* Read the headers up to the first packet, to know the link types. */
    for (;;) {
        uint32_t type;
        const uint8_t *b;
        size_t len;
        if (!ensure(r, 8)) break;
        uint32_t t = get32(r, r->buf + r->pos);
        if (t == BT_EPB || t == BT_SPB || t == BT_PB) break;
        if (t == PCAPNG_SHB_TYPE && r->offset > 0) break; /* pcapng_next resets */
        uint64_t at = r->offset;
        int rc = next_block(r, &type, &b, &len, err, errlen);
        if (rc <= 0) {
            if (rc < 0) {
                pcapng_close(r);
                return NULL;
            }
            break;
        }
        uint64_t after = r->offset;
        r->offset = at;
        if (type == BT_IDB && read_idb(r, b, len, err, errlen) != 0) {
            pcapng_close(r);
            return NULL;
        }
        r->offset = after;
    }
    return r;
}

void pcapng_close(struct pcapng *r)
{
    if (!r) return;
    free(r->buf);
    free(r->ifaces);
    free(r);
}

int pcapng_first_dlt(const struct pcapng *r)
{
    return r->first_dlt;
}

uint32_t pcapng_ifaces(const struct pcapng *r)
{
    return r->n_ifaces;
}

int pcapng_iface_dlt(const struct pcapng *r, uint32_t i)
{
    return i < r->n_ifaces ? r->ifaces[i].dlt : -1;
}

uint64_t pcapng_offset(const struct pcapng *r)
{
    return r->offset;
}

uint64_t pcapng_packets(const struct pcapng *r)
{
    return r->packets;
}

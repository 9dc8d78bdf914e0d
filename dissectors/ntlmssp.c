/* NTLMSSP messages (MS-NLMP 2.2.1): the type and flags of any message, and
 * from AUTHENTICATE the user, domain and workstation the client claims.
 * Every offset and length read from a message is checked against it before
 * use; a field pointing outside the message makes the message malformed. */
#include <string.h>

#include "cursor.h"
#include "dissect.h"
#include "ntlmssp.h"

/* MS-NLMP 2.2.2.5 NEGOTIATE flags used here. */
#define NEGOTIATE_UNICODE 0x00000001u
#define NEGOTIATE_ANONYMOUS 0x00000800u
#define NEGOTIATE_VERSION 0x02000000u

static const uint8_t signature[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};

/* MS-NLMP 2.2.1: the fixed part of each message, before the payload. A
 * VERSION structure (2.2.2.10) follows it when the flag says so and the
 * payload leaves room for it. */
#define NEGOTIATE_FIXED 32u
#define CHALLENGE_FIXED 48u
#define AUTHENTICATE_FIXED 64u

/* MS-NLMP 2.2.1: a payload field (Len, MaxLen, BufferOffset). */
struct field {
    uint16_t len;
    uint32_t off;
};

static struct field read_field(struct cursor *c)
{
    struct field f;
    f.len = cursor_le16(c);
    cursor_skip(c, 2);
    f.off = cursor_le32(c);
    return f;
}

/* OEM strings: ASCII as is, other bytes taken as Latin-1 (the OEM code
 * page is not on the wire). */
static void oem_to_utf8(const uint8_t *in, size_t in_len, char *out, size_t out_len)
{
    size_t o = 0;
    for (size_t i = 0; i < in_len && in[i]; i++) {
        if (in[i] < 0x80) {
            if (o + 1 >= out_len) break;
            out[o++] = (char)in[i];
        } else {
            if (o + 2 >= out_len) break;
            out[o++] = (char)(0xC0 | in[i] >> 6);
            out[o++] = (char)(0x80 | (in[i] & 0x3F));
        }
    }
    out[o] = 0;
}

/* A string field of the message into out; -1 if it points outside. */
static int read_string(const uint8_t *msg, size_t len, struct field f, int unicode, char *out,
                       size_t out_len)
{
    out[0] = 0;
    if (f.len == 0) return 0;
    struct cursor c = cursor_at(msg, len, f.off, f.len);
    if (c.err) return -1;
    if (unicode)
        dissect_utf16le_to_utf8(c.p, c.left, out, out_len);
    else
        oem_to_utf8(c.p, c.left, out, out_len);
    return 0;
}

/* The lowest payload offset among the fields: what precedes it is the
 * fixed part, VERSION and MIC included. */
static uint32_t payload_start(const struct field *f, size_t n, uint32_t msg_len)
{
    uint32_t lo = msg_len;
    for (size_t i = 0; i < n; i++)
        if (f[i].len && f[i].off < lo) lo = f[i].off;
    return lo;
}

/* MS-NLMP 2.2.2.10 VERSION, at the end of the fixed part. */
static void read_version(const uint8_t *msg, size_t len, size_t at, uint32_t payload,
                         struct ntlmssp_info *out)
{
    if (!(out->flags & NEGOTIATE_VERSION) || payload < at + 8) return;
    struct cursor c = cursor_at(msg, len, at, 8);
    out->major = cursor_u8(&c);
    out->minor = cursor_u8(&c);
    out->build = cursor_le16(&c);
    out->has_version = !c.err;
}

/* MS-NLMP 2.2.1.1 NEGOTIATE_MESSAGE. */
static int parse_negotiate(const uint8_t *msg, size_t len, struct cursor *c,
                           struct ntlmssp_info *out)
{
    out->flags = cursor_le32(c);
    struct field f[2];
    f[0] = read_field(c); /* DomainNameFields */
    f[1] = read_field(c); /* WorkstationFields */
    if (c->err) return -1;
    read_version(msg, len, NEGOTIATE_FIXED, payload_start(f, 2, (uint32_t)len), out);
    return 0;
}

/* MS-NLMP 2.2.1.2 CHALLENGE_MESSAGE. */
static int parse_challenge(const uint8_t *msg, size_t len, struct cursor *c,
                           struct ntlmssp_info *out)
{
    struct field f[2];
    f[0] = read_field(c); /* TargetNameFields */
    out->flags = cursor_le32(c);
    cursor_skip(c, 16);   /* ServerChallenge, Reserved */
    f[1] = read_field(c); /* TargetInfoFields */
    if (c->err) return -1;
    if (cursor_at(msg, len, f[0].off, f[0].len).err || cursor_at(msg, len, f[1].off, f[1].len).err)
        return -1;
    read_version(msg, len, CHALLENGE_FIXED, payload_start(f, 2, (uint32_t)len), out);
    return 0;
}

/* MS-NLMP 2.2.1.3 AUTHENTICATE_MESSAGE. */
static int parse_authenticate(const uint8_t *msg, size_t len, struct cursor *c,
                              struct ntlmssp_info *out)
{
    struct field f[6]; /* LM, NT, domain, user, workstation, session key */
    for (int i = 0; i < 6; i++)
        f[i] = read_field(c);
    out->flags = cursor_le32(c);
    if (c->err) return -1;
    for (int i = 0; i < 6; i++)
        if (cursor_at(msg, len, f[i].off, f[i].len).err) return -1;
    int uni = (out->flags & NEGOTIATE_UNICODE) != 0;
    if (read_string(msg, len, f[2], uni, out->domain, sizeof(out->domain)) ||
        read_string(msg, len, f[3], uni, out->user, sizeof(out->user)) ||
        read_string(msg, len, f[4], uni, out->workstation, sizeof(out->workstation)))
        return -1;
    read_version(msg, len, AUTHENTICATE_FIXED, payload_start(f, 6, (uint32_t)len), out);
    /* MS-NLMP 3.3.1/3.2.5.1.2: an empty user name is anonymous. */
    out->anonymous = f[3].len == 0 || (out->flags & NEGOTIATE_ANONYMOUS) != 0;
    return 0;
}

int ntlmssp_parse(const uint8_t *data, size_t len, struct ntlmssp_info *out)
{
    memset(out, 0, sizeof(*out));
    if (len > UINT32_MAX) len = UINT32_MAX;
    struct cursor c = cursor_make(data, len);
    uint8_t sig[8];
    cursor_copy(&c, sig, sizeof(sig));
    uint32_t type = cursor_le32(&c);
    if (c.err || memcmp(sig, signature, sizeof(sig)) != 0) return -1;
    out->msg_type = (int)type;
    switch (type) {
    case NTLMSSP_NEGOTIATE:
        return parse_negotiate(data, len, &c, out);
    case NTLMSSP_CHALLENGE:
        return parse_challenge(data, len, &c, out);
    case NTLMSSP_AUTHENTICATE:
        return parse_authenticate(data, len, &c, out);
    default:
        return -1;
    }
}

int ntlmssp_find(const uint8_t *blob, size_t len, struct ntlmssp_info *out)
{
    /* SPNEGO (RFC 4178) wraps the message in DER; rather than decode it,
     * look for the signature, which opens every NTLMSSP message. */
    const uint8_t *p = blob;
    size_t left = len;
    const uint8_t *hit;
    while (left >= sizeof(signature) && (hit = memmem(p, left, signature, sizeof(signature)))) {
        size_t skip = (size_t)(hit - p);
        if (ntlmssp_parse(hit, left - skip, out) == 0) return 0;
        p = hit + 1;
        left -= skip + 1;
    }
    memset(out, 0, sizeof(*out));
    return -1;
}

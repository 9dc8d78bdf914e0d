/* libFuzzer target for the DCE-RPC dissector (dissectors/dcerpc.c).
 * Byte 0: bit 0 picks pipe mode (each slice is one SMB payload, as smb.c
 * hands them) or TCP mode (slices go through a copy of the engine's bounded
 * reassembly, honouring "need more" and skips); bit 1 the direction; bit 2
 * a gap before the second half. Byte 1 sets the slice size. Every parse
 * sees an exact-size heap copy, so ASan flags any read past it; events and
 * the connection state are checked for consistency; request stubs are
 * read whole and through the SAMR argument readers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dcerpc.h"
#include "detect/rpc_table.h"
#include "detect/samr_args.h"

extern const struct dissector dissector_dcerpc;

#define REASM 2048u /* dissectors/engine.c REASM_BUF */

static void check_event(struct dissect_ctx *dc, const struct dissect_event *ev)
{
    (void)dc;
    volatile size_t sink = 0;
    switch (ev->type) {
    case EV_DCERPC_BIND:
    case EV_DCERPC_REQUEST:
        if (ev->u.rpc.uuid_known > 1) __builtin_trap();
        if (ev->u.rpc.pipe) sink += strlen(ev->u.rpc.pipe);
        if (ev->type == EV_DCERPC_REQUEST && ev->u.rpc.stub) {
            /* The stub lies within the bytes held (ASan): read it whole,
             * and as the SAMR argument readers do. */
            for (uint32_t i = 0; i < ev->u.rpc.stub_len; i++)
                sink += ev->u.rpc.stub[i];
            struct samr_stub st = {ev->u.rpc.stub, ev->u.rpc.stub_len, ev->u.rpc.ndr64,
                                   ev->u.rpc.big_endian};
            uint32_t rid;
            if (samr_open_rid(&st, &rid) == 0 && samr_privileged_rid(rid)) sink++;
            if (samr_lookup_privileged(&st)) sink++;
        }
        if (ev->u.rpc.uuid_known) {
            char s[37];
            dcerpc_uuid_format(ev->u.rpc.uuid, s);
            if (strlen(s) != 36) __builtin_trap();
            const struct rpc_interface *i = rpc_table_interface(ev->u.rpc.uuid);
            if (i) sink += strlen(i->name);
        }
        break;
    case EV_NTLM_AUTH:
        sink +=
            strlen(ev->u.auth.user) + strlen(ev->u.auth.domain) + strlen(ev->u.auth.workstation);
        break;
    case EV_AUTH_RESULT:
        break;
    default:
        __builtin_trap(); /* nothing else comes from this dissector */
    }
    (void)sink;
}

static struct dissect_ctx dctx = {NULL, 0, check_event, NULL};

static long parse_copy(struct dcerpc_conn *c, int to_server, const uint8_t *d, size_t len,
                       const char *pipe)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) return 0;
    memcpy(copy, d, len);
    long r = dcerpc_parse(&dctx, c, to_server, copy, len, pipe);
    free(copy);
    if (pipe && r != (long)len) __builtin_trap();
    if (!pipe && r != DISSECT_STOP && (r < 0 || r > 65535)) __builtin_trap();
    if (c->nctx > DCERPC_MAX_CONTEXTS || c->npending > DCERPC_MAX_CONTEXTS) __builtin_trap();
    return r;
}

struct stream {
    uint8_t buf[REASM];
    size_t len, skip;
};

/* dissectors/engine.c feed(), reduced: returns -1 when the parser stopped. */
static int feed(struct dcerpc_conn *c, struct stream *s, int to_server, const uint8_t *d,
                size_t len)
{
    while (len > 0) {
        if (s->skip) {
            size_t n = len < s->skip ? len : s->skip;
            s->skip -= n, d += n, len -= n;
            continue;
        }
        size_t n = REASM - s->len < len ? REASM - s->len : len;
        memcpy(s->buf + s->len, d, n);
        s->len += n, d += n, len -= n;
        while (s->len > 0) {
            long r = parse_copy(c, to_server, s->buf, s->len, NULL);
            if (r == DISSECT_STOP) return -1;
            if (r == 0) {
                if (s->len == REASM) {
                    s->len = 0;
                    dissector_dcerpc.gap(c, to_server);
                }
                break;
            }
            if ((size_t)r >= s->len) {
                s->skip = (size_t)r - s->len;
                s->len = 0;
                break;
            }
            memmove(s->buf, s->buf + r, s->len - (size_t)r);
            s->len -= (size_t)r;
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    int pipe_mode = data[0] & 1, to_server = !(data[0] & 2), gap = data[0] & 4;
    size_t slice = (size_t)data[1] * 8 + 1;
    data += 2, size -= 2;
    struct dcerpc_conn c;
    dcerpc_conn_init(&c);
    (void)dissector_dcerpc.probe(NULL, to_server, data, size);
    static struct stream s;
    memset(&s, 0, sizeof(s));
    for (size_t off = 0; off < size; off += slice) {
        size_t n = size - off < slice ? size - off : slice;
        if (gap && off >= size / 2 && off < size / 2 + slice) {
            dissector_dcerpc.gap(&c, to_server);
            s.len = s.skip = 0;
        }
        if (pipe_mode)
            parse_copy(&c, to_server, data + off, n, "svcctl");
        else if (feed(&c, &s, to_server, data + off, n) != 0)
            break;
    }
    return 0;
}

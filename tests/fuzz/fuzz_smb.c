/* libFuzzer target for the SMB dissector (smb.c, smb1.c, smb2.c, and the
 * DCE-RPC and NTLMSSP parsers it hands pipe data and security blobs to).
 * The input is a list of segments: a control byte (bit 0: direction, 1 to
 * server; bit 1: a hole in the sequence before it; bits 2..7 + the next
 * byte: its length) then the bytes. Segments go through the real engine
 * (dissectors/engine.c: probe, reassembly, skips, gaps), each copied into an
 * exact-size heap buffer so ASan flags any read past it; the whole input
 * also goes straight into parse() in both directions with a fresh state,
 * so inputs the probe refuses still reach the parser (libFuzzer's buffer
 * is exact-size, so a read past the end of the input is flagged there too). Every string of
 * every event is read to its NUL. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

extern const struct dissector dissector_smb;

static void touch(const char *s)
{
    volatile size_t n = s ? strlen(s) : 0;
    (void)n;
}

static void check(const struct dissect_event *ev)
{
    if ((unsigned)ev->type >= EV_MAX) __builtin_trap();
    switch (ev->type) {
    case EV_SMB_TREE_CONNECT:
        touch(ev->u.tree.path), touch(ev->u.tree.share);
        break;
    case EV_SMB_CREATE:
    case EV_SMB_WRITE:
    case EV_SMB_RENAME:
    case EV_SMB_DELETE:
        touch(ev->u.file.share), touch(ev->u.file.name), touch(ev->u.file.new_name);
        break;
    case EV_NTLM_AUTH:
    case EV_AUTH_RESULT:
    case EV_SMB_SESSION_SETUP:
        touch(ev->u.auth.user), touch(ev->u.auth.domain), touch(ev->u.auth.workstation);
        break;
    case EV_DCERPC_BIND:
    case EV_DCERPC_REQUEST:
        touch(ev->u.rpc.pipe);
        break;
    default:
        break;
    }
}

static void on_event(void *ud, void *f, const struct dissect_event *ev)
{
    (void)ud, (void)f;
    check(ev);
}

static void on_emit(struct dissect_ctx *dc, const struct dissect_event *ev)
{
    (void)dc;
    check(ev);
}

/* parse() as the engine calls it, without the engine's buffer limit. */
static void direct(const uint8_t *data, size_t size)
{
    void *st = calloc(1, dissector_smb.state_size);
    if (!st) return;
    struct dissect_ctx dc = {.emit = on_emit};
    for (int dir = 0; dir < 2; dir++) {
        size_t off = 0;
        while (off < size) {
            long c = dissector_smb.parse(&dc, st, dir, data + off, size - off);
            if (c <= 0) break;
            off += (size_t)c;
        }
        dissector_smb.gap(st, dir);
    }
    dissector_smb.end(&dc, st);
    dissector_smb.release_state(st);
    free(st);
}

static void through_engine(const uint8_t *data, size_t size)
{
    struct dissect_engine *e = dissect_create(on_event, NULL);
    if (!e) return;
    struct dissect_slot slot = {0};
    struct dissect_flow_info f = {.proto = 6, .server_port = 445};
    uint32_t seq[2] = {1000, 90000};
    for (size_t off = 0; off + 2 <= size;) {
        uint8_t ctl = data[off];
        size_t len = (size_t)(ctl >> 2) << 8 | data[off + 1];
        off += 2;
        if (len > size - off) len = size - off;
        int to_server = ctl & 1;
        if (ctl & 2) seq[to_server] += 100;
        /* Each segment acknowledges what the peer sent; with the gap bit,
         * 64 bytes more: it came before them and is held (engine.c). */
        struct dissect_segment p = {.tcp_seq = seq[to_server],
                                    .tcp_ack = seq[!to_server] + ((ctl & 2) ? 64 : 0),
                                    .has_ack = 1,
                                    .to_server = (uint8_t)to_server};
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, data + off, len);
        p.payload = copy, p.len = (uint32_t)len;
        dissect_packet(e, &slot, &f, NULL, &p);
        free(copy);
        seq[to_server] += (uint32_t)len;
        off += len;
    }
    dissect_flow_end(e, &slot, &f, NULL, 0);
    dissect_destroy(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1u << 16) return 0;
    through_engine(data, size);
    direct(data, size);
    return 0;
}

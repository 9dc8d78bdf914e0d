/* Shared libFuzzer harness for a dissector: a target file defines
 * FUZZ_DISSECTOR (e.g. dissector_rdp) and includes this. Byte 0 picks the
 * transport (bit 0: UDP, when the dissector takes it) and byte 1 the TCP
 * segment size; the rest is the payload stream of the client, then (after
 * the first half) of the server. Each segment is copied into an exact-size
 * heap buffer so ASan flags any read past it. The bytes go through the real
 * engine (probe, reassembly, the parse() contract) and once straight into
 * parse() with a fresh state, so that inputs the probe refuses still reach
 * the parser. Every string of every event is read to its NUL. */
#ifndef VIGIE_FUZZ_DISSECTOR_H
#define VIGIE_FUZZ_DISSECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static void touch(const char *s)
{
    volatile size_t n = s ? strlen(s) : 0;
    (void)n;
}

static void on_event(void *ud, void *f, const struct dissect_event *ev)
{
    (void)ud, (void)f;
    if ((unsigned)ev->type >= EV_MAX) __builtin_trap();
    switch (ev->type) {
    case EV_KRB_AS_REQ:
    case EV_KRB_TGS_REQ:
    case EV_KRB_ERROR:
        touch(ev->u.krb.cname), touch(ev->u.krb.realm), touch(ev->u.krb.sname);
        if (ev->u.krb.netypes < 0 || ev->u.krb.netypes > 16) __builtin_trap();
        break;
    case EV_RDP_REQUEST:
        touch(ev->u.rdp.cookie);
        break;
    case EV_HTTP_REQUEST:
        touch(ev->u.http.method), touch(ev->u.http.uri), touch(ev->u.http.host);
        touch(ev->u.http.auth_scheme);
        break;
    case EV_NTLM_AUTH:
    case EV_AUTH_RESULT:
        touch(ev->u.auth.user), touch(ev->u.auth.domain), touch(ev->u.auth.workstation);
        break;
    case EV_DCERPC_BIND:
    case EV_DCERPC_REQUEST:
        touch(ev->u.rpc.pipe);
        break;
    case EV_SMB_TREE_CONNECT:
        touch(ev->u.tree.path), touch(ev->u.tree.share);
        break;
    case EV_SMB_CREATE:
    case EV_SMB_WRITE:
    case EV_SMB_RENAME:
    case EV_SMB_DELETE:
        touch(ev->u.file.share), touch(ev->u.file.name), touch(ev->u.file.new_name);
        break;
    default:
        break;
    }
}

static void direct_emit(struct dissect_ctx *dc, const struct dissect_event *ev)
{
    on_event(dc->ud, NULL, ev);
}

static void segment(struct dissect_engine *e, struct dissect_slot *slot,
                    const struct dissect_flow_info *f, int to_server, uint32_t *seq,
                    const uint8_t *p, size_t n)
{
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy) return;
    memcpy(copy, p, n);
    struct dissect_segment seg = {
        .payload = copy, .len = (uint32_t)n, .tcp_seq = *seq, .to_server = to_server};
    *seq += (uint32_t)n;
    dissect_packet(e, slot, f, NULL, &seg);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    const struct dissector *d = &FUZZ_DISSECTOR;
    int udp = (data[0] & 1) && (d->transports & DISSECT_UDP);
    size_t seg = (size_t)data[1] * 16 + 1;
    data += 2, size -= 2;

    struct dissect_slot slot = {0};
    struct dissect_flow_info f = {.proto = udp ? 17 : 6};

    /* Straight into parse(), as one datagram or one in-order chunk. */
    void *state = calloc(1, d->state_size ? d->state_size : 1);
    struct dissect_ctx dc = {&f, 0, direct_emit, NULL};
    if (state && size) {
        uint8_t *copy = malloc(size);
        if (copy) {
            memcpy(copy, data, size);
            long r = d->parse(&dc, state, 1, copy, size);
            if (r < DISSECT_STOP) __builtin_trap();
            free(copy);
        }
    }
    if (state && d->release_state) d->release_state(state);
    free(state);

    /* Through the engine: client half, then server half. */
    struct dissect_engine *e = dissect_create(on_event, NULL);
    if (!e) return 0;
    uint32_t seq[2] = {1, 1};
    size_t half = size / 2;
    for (int dir = 0; dir < 2; dir++) {
        const uint8_t *p = dir ? data + half : data;
        size_t n = dir ? size - half : half;
        for (size_t off = 0; off < n; off += seg)
            segment(e, &slot, &f, !dir, &seq[dir], p + off, n - off < seg ? n - off : seg);
    }
    dissect_flow_end(e, &slot, &f, NULL, 0);
    dissect_destroy(e);
    return 0;
}

#endif

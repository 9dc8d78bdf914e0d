/* Connection-oriented DCE-RPC (C706 chapter 12, MS-RPCE 2.2.2): bind /
 * alter-context (interface UUID + version per context id), requests
 * (opnum, context id), fragments, auth verifiers. Used over TCP (port 135
 * and dynamic ports) and over SMB named pipes, where smb.c hands each pipe
 * write/read/IOCTL payload to dcerpc_parse() with the pipe name. */
#ifndef VIGIE_DCERPC_H
#define VIGIE_DCERPC_H

#include <stddef.h>
#include <stdint.h>

#include "dissect.h"

#define DCERPC_MAX_CONTEXTS 8

struct dcerpc_context {
    uint16_t id;
    uint16_t ver_major, ver_minor;
    uint8_t uuid[16];
    uint8_t used, accepted;
    uint8_t ndr64; /* transfer syntax: NDR64 (MS-RPCE 2.2.5), else NDR */
};

/* Per connection (or per SMB pipe handle) state; small and fixed-size so
 * smb.c can embed one per open pipe. */
struct dcerpc_conn {
    struct dcerpc_context ctx[DCERPC_MAX_CONTEXTS];
    uint16_t pending[DCERPC_MAX_CONTEXTS]; /* ids of the last bind, for its ack */
    uint8_t nctx;
    uint8_t npending;
    uint8_t next_evict;   /* round robin when every slot is taken */
    uint8_t bad;          /* PDUs in a row that did not parse */
    uint8_t auth_pending; /* NTLM AUTHENTICATE sent, outcome not seen yet */
};

void dcerpc_conn_init(struct dcerpc_conn *c);
/* Parses PDUs from in-order bytes of one direction. pipe: SMB named pipe
 * name ("svcctl"), NULL over TCP.
 * Over TCP (pipe NULL): struct dissector's parse() contract, one PDU per
 * call: bytes consumed (more than len: skip the rest of a large PDU), 0 =
 * need more, DISSECT_STOP when the stream is not DCE-RPC.
 * Over a pipe: data is one SMB write/read/IOCTL payload, taken as all there
 * is; every PDU in it is parsed, a truncated last one as far as it goes,
 * and len is returned (never 0, never DISSECT_STOP). Emits EV_DCERPC_BIND
 * per context, EV_DCERPC_REQUEST per request (first fragment, with its
 * stub when clear: over TCP a request up to 1024 bytes is waited for
 * whole), EV_NTLM_AUTH / EV_AUTH_RESULT for NTLM in auth verifiers. */
long dcerpc_parse(struct dissect_ctx *dc, struct dcerpc_conn *c, int to_server, const uint8_t *data,
                  size_t len, const char *pipe);
/* "12345778-1234-abcd-ef00-0123456789ac" form of a UUID as on the wire
 * (first three fields little-endian). out must hold 37 bytes. */
void dcerpc_uuid_format(const uint8_t uuid[16], char *out);
/* Whether data starts with a plausible connection-oriented PDU (C706
 * 12.6.3.1 header, ASCII/IEEE representation, the type's fixed part): how
 * an SMB file never seen opened is known to be a pipe. */
int dcerpc_pdu_plausible(const uint8_t *data, size_t len);

#endif

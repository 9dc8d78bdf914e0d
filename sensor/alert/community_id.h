/* Community ID flow hashing, version 1 (https://github.com/corelight/community-id-spec). */
#ifndef VIGIE_COMMUNITY_ID_H
#define VIGIE_COMMUNITY_ID_H

#include <stddef.h>
#include <stdint.h>
#include "decode/packet.h"
#include "flow/flow_table.h"

/* Writes "1:<base64 sha1>" for the flow between (a, pa) and (b, pb),
 * endpoints ordered as the spec says (either direction gives one id). */
int community_id_v1(uint16_t seed, uint8_t family, const uint8_t a[16], uint16_t pa,
                    const uint8_t b[16], uint16_t pb, uint8_t proto, char *out, size_t len);

/* The spec's port equivalents of an ICMP (proto 1) or ICMPv6 (58) message:
 * type and the counterpart type for request/response pairs, else type and
 * code; returns 1 for those one-way messages, hashed in their own order. */
int community_id_icmp_ports(uint8_t proto, uint8_t type, uint8_t code, uint16_t *sp, uint16_t *dp);

/* The id of a flow: its tuple as the client's first packet shows it (ICMP
 * and ICMPv6 by that message's type and code). */
int community_id_flow(uint16_t seed, const struct flow *f, char *out, size_t len);

#endif

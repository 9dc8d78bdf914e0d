/* Tunnels carried over GRE or UDP (GRE, ERSPAN, VXLAN, GTP-U, Teredo):
 * internal to the decoder, which loops over the IP headers they hold. */
#ifndef VIGIE_TUNNEL_H
#define VIGIE_TUNNEL_H

#include <stdint.h>
#include "cursor.h"
#include "packet.h"
#include "decode.h"

/* decode.c's Ethernet layer (with VLAN, MPLS, PPPoE shims), for tunnels
 * that carry whole frames. */
enum decode_result decode_ethernet(struct cursor *c, uint16_t *type, struct packet *pkt);

/* c holds the captured part of the transport payload of pkt (its key not
 * canonicalized yet: port 0 is the source), wire the length its headers
 * announce. When that payload is a tunnel whose header holds, *type is
 * set to the ethertype of what it carries (IPv4 or IPv6, or anything an
 * inner Ethernet frame says) and c is left on it; otherwise *type is 0
 * and the packet is its own flow. A header announced but cut by the
 * capture is TRUNCATED, an impossible one MALFORMED. */
enum decode_result tunnel_decap(struct packet *pkt, struct cursor *c, uint32_t wire,
                                uint16_t *type);

#endif

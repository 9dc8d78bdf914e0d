/* Decode: link layer -> IP -> transport, filling a struct packet that points
 * into the capture buffer. Every rejected frame is counted by kind. */
#ifndef VIGIE_DECODE_H
#define VIGIE_DECODE_H

#include <stdint.h>
#include "packet.h"

enum decode_result {
    DECODE_OK = 0,
    DECODE_NOT_IP,      /* ARP, STP, LLDP...: not an error */
    DECODE_FRAGMENT,    /* IPv4 non-first fragment: counted, not followed */
    DECODE_TRUNCATED,   /* capture shorter than a header says */
    DECODE_MALFORMED,   /* a header field is impossible */
    DECODE_UNSUPPORTED, /* a layer we do not decode (e.g. unknown encapsulation) */
    DECODE_RESULT_MAX
};

/* Link types handled; anything else is refused at open time. */
int decode_linktype_supported(int dlt);
const char *decode_result_name(enum decode_result r);

/* Orders the endpoints (lower address, then lower port first); *dir is 1
 * when they were swapped, i.e. the sender is endpoint 1. */
void flow_key_canonicalize(struct flow_key *key, uint8_t *dir);

enum decode_result decode_packet(int dlt, const uint8_t *frame, uint32_t caplen,
                                 struct packet *pkt);

#endif

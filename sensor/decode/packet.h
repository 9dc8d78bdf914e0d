/* A decoded packet: pointers into the capture buffer, never a copy. */
#ifndef VIGIE_PACKET_H
#define VIGIE_PACKET_H

#include <stdint.h>

/* Bidirectional flow key. Endpoints are stored in canonical order (lower
 * address/port first) so both directions of a flow hash and compare equal.
 * IPv4 addresses are stored as IPv4-mapped IPv6 (::ffff:a.b.c.d). */
struct flow_key {
    uint8_t addr[2][16];
    uint16_t port[2];
    uint16_t vlan;  /* innermost 802.1Q id, 0 if untagged */
    uint8_t proto;  /* IP protocol of the transport header */
    uint8_t family; /* 4 or 6 */
};

struct packet {
    struct flow_key key;
    uint8_t dir;            /* 0: sender is key endpoint 0, 1: endpoint 1 */
    uint8_t tcp_flags;      /* TCP flags, 0 for other protocols */
    uint8_t ip_version;     /* version of the IP header handed to nDPI */
    uint8_t first_fragment; /* IPv4 first fragment of a fragmented datagram */
    uint8_t offloaded;      /* IP length 0 (TSO/GSO): length taken from the capture */
    uint8_t icmp_type;      /* ICMP / ICMPv6 type and code, 0 for other protocols */
    uint8_t icmp_code;
    uint8_t decapsulated;   /* tunnel headers removed (IP-in-IP, GRE, VXLAN, GTP-U, Teredo) */
    const uint8_t *l3;      /* IP header (innermost, after tunnel decapsulation) */
    uint32_t l3_len;        /* captured bytes from l3 to the end of the frame */
    const uint8_t *payload; /* transport payload (TCP/UDP), else after L4 header */
    uint32_t payload_len;
    uint32_t tcp_seq;
    uint64_t ts_us;       /* capture time, microseconds since the epoch */
    uint32_t wire_len;    /* original frame length */
    uint32_t tcp_ack;     /* TCP acknowledgment number (meant with TCP_ACK) */
    uint32_t payload_cut; /* payload bytes announced, not captured (snap length) */
};

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20

#endif

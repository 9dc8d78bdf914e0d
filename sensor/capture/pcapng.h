/* A small pcapng block reader (draft-ietf-opsawg-pcapng): several sections,
 * several interfaces of different link types and timestamp resolutions,
 * which libpcap's own reader refuses. Packets point into the read buffer;
 * nothing is copied per packet. */
#ifndef VIGIE_PCAPNG_H
#define VIGIE_PCAPNG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Block type of a Section Header Block: the first 4 bytes of any pcapng. */
#define PCAPNG_SHB_TYPE 0x0A0D0D0Au

struct pcapng;

struct pcapng_packet {
    uint64_t ts_us;
    uint32_t caplen, wire_len;
    uint32_t iface; /* interface id in the current section */
    int dlt;
    const uint8_t *data; /* valid until the next pcapng_next */
};

/* Reads fp from its start; `head` holds the `head_len` (<= 8) bytes of it
 * already read (to peek at the magic). Errors: message in err, NULL. */
struct pcapng *pcapng_open(FILE *fp, const uint8_t *head, size_t head_len, char *err,
                           size_t errlen);
/* Does not close fp. */
void pcapng_close(struct pcapng *r);

/* 1: a packet; 0: end of file; -1: corrupt or truncated, message in err
 * (with the packet number and the byte offset of the bad block). */
int pcapng_next(struct pcapng *r, struct pcapng_packet *pkt, char *err, size_t errlen);

/* Link type of the first interface of the file (-1 if none seen yet);
 * pcapng_open reads the blocks before the first packet. */
int pcapng_first_dlt(const struct pcapng *r);
/* Interfaces declared so far in the current section, and their link types. */
uint32_t pcapng_ifaces(const struct pcapng *r);
int pcapng_iface_dlt(const struct pcapng *r, uint32_t i);
/* Bytes consumed so far. */
uint64_t pcapng_offset(const struct pcapng *r);
uint64_t pcapng_packets(const struct pcapng *r);

#endif

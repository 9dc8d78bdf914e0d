/* Classic pcap records read straight out of a memory mapping of the file:
 * a packet is a pointer into the page cache, with no read() copy into a
 * stdio buffer and no second copy into libpcap's. Only regular records are
 * read here; at the first record that is not (truncated, longer than the
 * snapshot length) the caller hands the rest of the file to libpcap, whose
 * checks and messages then apply as before. */
#ifndef VIGIE_PCAPMAP_H
#define VIGIE_PCAPMAP_H

#include <stdint.h>
#include <sys/types.h>

struct pcapmap;

struct pcapmap_packet {
    uint64_t ts_us;
    uint32_t caplen, wire_len;
    const uint8_t *data; /* valid until pcapmap_close */
};

/* fd: a regular file of `size` bytes whose header libpcap has read and
 * accepted; snaplen: pcap_snapshot() of that handle. NULL when the file
 * is not one this reader takes (a modified pcap format, no mapping):
 * libpcap then reads all of it. */
struct pcapmap *pcapmap_open(int fd, off_t size, uint32_t snaplen);
void pcapmap_close(struct pcapmap *m);

/* 1: a packet; 0: end of file, the last record complete; -1: the record
 * at pcapmap_offset() is for libpcap to read (or to report corrupt). */
int pcapmap_next(struct pcapmap *m, struct pcapmap_packet *pk);
/* File offset of the next record. */
uint64_t pcapmap_offset(const struct pcapmap *m);

#endif

/* Classic pcap records handed out in place from a mapping of the file: a
 * packet costs no copy out of the page cache and no call into stdio. Only
 * regular records are read here; at the first record that is not
 * (truncated, longer than the snapshot length) the caller hands the rest
 * of the file to libpcap, whose checks and messages then apply as before.
 * A file truncated by another process while it is mapped ends where it
 * was cut: the SIGBUS of its vanished pages is caught (pcapread.c), and
 * pcapread_next returns -1 from then on. */
#ifndef VIGIE_PCAPREAD_H
#define VIGIE_PCAPREAD_H

#include <stdint.h>

struct pcapread;

struct pcapread_packet {
    uint64_t ts_us;
    uint32_t caplen, wire_len;
    const uint8_t *data; /* valid until the next pcapread_next */
};

/* fd: a regular file whose header libpcap has read and accepted (it is
 * mapped, so the FILE libpcap holds keeps its position); snaplen:
 * pcap_snapshot() of that handle. Records are read up to the file's size
 * at this call; a mapping that fails ends them there. NULL when the file
 * is not one this reader takes (a modified pcap format) or out of memory:
 * libpcap then reads all of it. */
struct pcapread *pcapread_open(int fd, uint32_t snaplen);
void pcapread_close(struct pcapread *r);

/* 1: a packet; 0: end of file after a complete record; -1: the record at
 * pcapread_offset() is for libpcap to read (or to report corrupt). */
int pcapread_next(struct pcapread *r, struct pcapread_packet *pk);
/* File offset of the next record. */
uint64_t pcapread_offset(const struct pcapread *r);

#endif

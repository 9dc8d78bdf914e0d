/* fanout.c: Linux PACKET_FANOUT and ring version on the packet socket of a
 * libpcap live handle (capture.c's; capture.h documents the behaviour). */
#ifndef VIGIE_FANOUT_INTERNAL_H
#define VIGIE_FANOUT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Joins group id (HASH, DEFRAG); with new_group, a group of an id the
 * kernel picks, id ignored. *joined: the group's id. 0, or -1 and a message
 * naming iface. */
int fanout_join_socket(int fd, const char *iface, uint16_t id, int new_group, uint16_t *joined,
                       char *err, size_t errlen);
/* 2 or 3 (TPACKET_V2, TPACKET_V3), or -1. */
int fanout_ring_version(int fd);

#endif

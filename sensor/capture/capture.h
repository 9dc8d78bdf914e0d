/* Capture: libpcap file, stdin or live interface; pcapng files are read by
 * pcapng.c (several interfaces and link types). Packets are handed to the
 * callback in the reader's own buffer; nothing is copied. */
#ifndef VIGIE_CAPTURE_H
#define VIGIE_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

struct capture;

/* Kernel counters, live only. received and dropped are the handle's own
 * socket's (with a fanout group: only the packets the kernel gave that
 * handle), so the caller sums them over the handles; if_dropped is the
 * interface's (since the handle opened), the same for every handle on it:
 * take it once, never sum it. capture_stats_sum does both. */
struct capture_stats {
    uint64_t received, dropped, if_dropped;
};

/* dlt: the packet's own link type (a pcapng has one per interface). */
typedef void (*capture_fn)(void *ud, int dlt, uint64_t ts_us, uint32_t caplen, uint32_t wire_len,
                           const uint8_t *data);
/* Called between packet batches and at least every ~250 ms on a live
 * capture: periodic work (stats, expiry of idle flows) goes here. */
typedef void (*capture_tick_fn)(void *ud);

/* path "-" reads standard input. Errors: message in err, NULL returned. */
struct capture *capture_open_file(const char *path, const char *bpf, char *err, size_t errlen);
struct capture *capture_open_live(const char *iface, int snaplen, int buffer_mb, const char *bpf,
                                  char *err, size_t errlen);
/* Live options; a zeroed struct is valid (libpcap's snapshot length and
 * buffer, TPACKET_V3 blocks, no filter). */
struct capture_live_opts {
    int snaplen;
    int buffer_mb; /* kernel ring, per handle */
    const char *bpf;
    /* 1: TPACKET_V2, each packet handed over as it comes (what
     * capture_open_live does); 0: TPACKET_V3, packets handed over by
     * blocks, a block when full or after the 250 ms timeout: fewer wakeups
     * at high rates, up to 250 ms of delay at low ones. */
    int immediate;
};
struct capture *capture_open_live_opts(const char *iface, const struct capture_live_opts *o,
                                       char *err, size_t errlen);
void capture_close(struct capture *c);

/* Fanout (Linux PACKET_FANOUT): several live handles on one interface join
 * one group and the kernel gives each packet to one of them, by a
 * symmetric hash of its addresses and ports (PACKET_FANOUT_HASH, both
 * directions of a flow to the same handle) computed on the reassembled
 * datagram (PACKET_FANOUT_FLAG_DEFRAG): the fragments of an IPv4 datagram
 * then reach the handle as that one reassembled datagram, so a flow's
 * packet count may be lower than on the wire (IPv6 is not reassembled).
 * All the handles of a group must be on the same interface, opened the same
 * way. Join right after opening, before capture_run (refused after): a
 * packet that reaches a handle between its activation and its join is that
 * handle's own copy, so open and join every handle before the traffic that
 * must be split. Groups are per network namespace; a group is gone when its
 * last handle closes. Each handle has its own kernel ring (buffer_mb each)
 * and its own drop counters (capture_get_stats); no rollover: a packet that
 * finds its handle's ring full is dropped and counted there, never given to
 * another handle, so a flow stays on one handle. Errors: -1 and a message
 * (not a live capture, not a Linux packet socket, the group exists with
 * other settings or on another interface, the kernel has no fanout). */

/* A group id for this process: getpid() & 0xffff. Another process whose
 * pid has the same low 16 bits, on the same interface with the same
 * settings, would share the group: capture_new_fanout avoids that. */
uint16_t capture_fanout_id(void);
/* Joins group_id with mode PACKET_FANOUT_HASH and flag DEFRAG. */
int capture_join_fanout(struct capture *c, uint16_t group_id, char *err, size_t errlen);
/* Joins a new group whose id the kernel picks among those unused in the
 * namespace (PACKET_FANOUT_FLAG_UNIQUEID, Linux 4.2; on an older kernel
 * capture_fanout_id's); *group_id gets it, for capture_join_fanout of the
 * other handles. */
int capture_new_fanout(struct capture *c, uint16_t *group_id, char *err, size_t errlen);
/* n handles on iface in one new fanout group (TPACKET_V3 blocks: no drop
 * at rates where per-packet wakeups drop), into caps. Errors: -1 and a
 * message, nothing left open. */
int capture_open_fanout(const char *iface, const struct capture_live_opts *o, unsigned n,
                        struct capture **caps, char *err, size_t errlen);
/* The group the handle is in, or -1. */
int capture_fanout_group(const struct capture *c);
/* The TPACKET version of a live handle's ring (2 or 3), or -1. */
int capture_ring_version(const struct capture *c);

/* The link type of the capture (of a pcapng: its first supported interface). */
int capture_datalink(const struct capture *c);
const char *capture_datalink_name(const struct capture *c);
int capture_is_live(const struct capture *c);

/* Paces packets by their timestamps (1.0 = real time); 0 = as fast as possible. */
void capture_set_replay(struct capture *c, double speed);

/* Runs until end of file or capture_stop(). Returns 0, or -1 with a message
 * saying where a corrupt file broke. Captures share no state: several
 * live handles can each run in a thread of their own, each stopped by
 * capture_stop from any thread or a signal handler. */
int capture_run(struct capture *c, capture_fn fn, void *fn_ud, capture_tick_fn tick, void *tick_ud,
                char *err, size_t errlen);
/* Async-signal-safe, callable from any thread. */
void capture_stop(struct capture *c);

/* The handle's own counters; callable from any thread, also while another
 * runs capture_run on it. -1 on a file. */
int capture_get_stats(struct capture *c, struct capture_stats *st);
/* The counters of n handles of one interface (a fanout group): received
 * and dropped summed, if_dropped taken once (the largest: the first handle
 * opened has counted longest). -1 if none of them is live. */
int capture_stats_sum(struct capture *const *caps, int n, struct capture_stats *sum);
/* Fraction of a regular file read so far, or -1. */
double capture_progress(struct capture *c);

#endif

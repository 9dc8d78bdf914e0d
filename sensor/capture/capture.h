/* Capture: libpcap file, stdin or live interface; pcapng files are read by
 * pcapng.c (several interfaces and link types). Packets are handed to the
 * callback in the reader's own buffer; nothing is copied. */
#ifndef VIGIE_CAPTURE_H
#define VIGIE_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

struct capture;

struct capture_stats {
    uint64_t received, dropped, if_dropped; /* kernel counters, live only */
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
void capture_close(struct capture *c);

/* The link type of the capture (of a pcapng: its first supported interface). */
int capture_datalink(const struct capture *c);
const char *capture_datalink_name(const struct capture *c);
int capture_is_live(const struct capture *c);

/* Paces packets by their timestamps (1.0 = real time); 0 = as fast as possible. */
void capture_set_replay(struct capture *c, double speed);

/* Runs until end of file or capture_stop(). Returns 0, or -1 with a message
 * saying where a corrupt file broke. */
int capture_run(struct capture *c, capture_fn fn, void *fn_ud, capture_tick_fn tick, void *tick_ud,
                char *err, size_t errlen);
/* Async-signal-safe. */
void capture_stop(struct capture *c);

int capture_get_stats(struct capture *c, struct capture_stats *st);
/* Fraction of a regular file read so far, or -1. */
double capture_progress(struct capture *c);

#endif

/* Fixed tables of per-host state, for the detectors that count per source
 * host (or per source and target): internal_scan, password_spray,
 * kerberoast, the counted DCE-RPC detectors and smb_ransomware.
 *
 * A key (an address, or two) lives in one of `probe` slots from its hash
 * (the caller's hash: it decides which keys compete for a slot); a new key
 * takes the first free slot there, or replaces the least recently used
 * entry there. Entries are never removed: memory is fixed when the table
 * is created and a lookup never allocates.
 *
 * Each entry holds the detector's data (value_size bytes, zeroed when the
 * entry is placed) and, if asked for, a set of up to `distinct` values
 * (hosts called, files written, accounts tried: a hash of each) with when
 * each was last seen, so a detector counts the distinct values of a
 * window. Windowed counters for that data are at the end. */
#ifndef VIGIE_HOSTTAB_H
#define VIGIE_HOSTTAB_H

#include <stddef.h>
#include <stdint.h>

#define HOSTTAB_KEY_MAX 32 /* a (source, target) pair of addresses */

struct hosttab_config {
    uint32_t slots;      /* entries, at least 1 */
    uint32_t probe;      /* slots a key may use, from its hash on; slots: any */
    uint32_t key_len;    /* bytes compared, at most HOSTTAB_KEY_MAX */
    uint32_t value_size; /* the detector's data per entry */
    uint32_t distinct;   /* values remembered per entry; 0: none */
    uint32_t item_size;  /* the detector's data per remembered value */
    /* Of entries last used at the same time, replace the window's last
     * rather than its first. */
    uint8_t ties_last;
};

struct hosttab;

/* NULL: out of memory or a bad config. */
struct hosttab *hosttab_create(const struct hosttab_config *cfg);
void hosttab_destroy(struct hosttab *t);

/* The data of key's entry, its last use moved to now_us (never back);
 * NULL when the key has no entry. */
void *hosttab_find(struct hosttab *t, const void *key, uint64_t hash, uint64_t now_us);
/* The same, placing the key when it has no entry (then *created is 1 and
 * the data, and values, are zero). */
void *hosttab_get(struct hosttab *t, const void *key, uint64_t hash, uint64_t now_us, int *created);

/* Distinct values of an entry (entry: what find/get returned). Times are
 * in the caller's unit (seconds or microseconds), windows in the same. */

/* The data of value v, its last sight moved to now; NULL when absent. */
void *hosttab_value_find(struct hosttab *t, void *entry, uint64_t v, uint64_t now);
/* The same, adding v when absent (then *created is 1 and its data zero):
 * in a free place, or over the least recently seen value. */
void *hosttab_value_add(struct hosttab *t, void *entry, uint64_t v, uint64_t now, int *created);
/* Values seen less than window before now. */
uint32_t hosttab_value_count(const struct hosttab *t, const void *entry, uint64_t now,
                             uint64_t window);
/* Forgets the entry's values: the next burst starts from none. */
void hosttab_value_clear(struct hosttab *t, void *entry);
/* For counts a detector filters itself: values 0 .. n-1, when each was
 * last seen, and its data. */
uint32_t hosttab_values(const struct hosttab *t, const void *entry);
uint64_t hosttab_value_seen(const struct hosttab *t, const void *entry, uint32_t i);
void *hosttab_value_data(struct hosttab *t, void *entry, uint32_t i);

/* --- windowed counters, kept in an entry's data ------------------------- */

/* A tumbling window: opened by the first event, reopened by the first
 * event past its end. */
struct hosttab_window {
    uint64_t start_us;
};
void hosttab_window_open(struct hosttab_window *w, uint64_t now_us);
/* 1 when now_us is past the window, which then reopens at now_us. */
int hosttab_window_roll(struct hosttab_window *w, uint64_t now_us, uint64_t window_us);

/* Events over a sliding window, estimated from two buckets of one window
 * each: the current count plus the overlapping share of the previous. */
struct hosttab_rate {
    uint64_t bucket_us; /* start of the current bucket */
    uint32_t cur, prev;
};
void hosttab_rate_open(struct hosttab_rate *r, uint64_t now_us);
/* Adds events; returns the estimate over the window ending at now_us. */
uint32_t hosttab_rate_add(struct hosttab_rate *r, uint64_t now_us, uint64_t window_us,
                          uint32_t add);

#endif

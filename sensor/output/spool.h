/* Durable spool of alerts and incident records: an append-only file
 * <dir>/<name>.spool with one record per line, in the order they were
 * added: "seq<TAB>json" for an alert (the only format before incidents, so
 * an older spool still delivers), "seq<TAB>i<TAB>json" for an incident
 * record (docs/incidents.md); a line with another tag is skipped as
 * malformed. One file and one sequence for both kinds, so an incident
 * version never overtakes the alert that caused it. Every record goes
 * through it before Redis, so an outage or a restart loses nothing (SPEC
 * section 6).
 *
 * Sequence numbers are max(wall-clock microseconds, last + 1) and never go
 * backwards across restarts: the last one is recovered from the file, and
 * when the file is emptied or compacted it keeps a "#seq N" checkpoint line.
 * A delivery cursor walks the records; records at or below the "delivered"
 * mark given to spool_rewind() are skipped.
 *
 * Not thread-safe: the caller serialises every call with one mutex.
 * Survives a crash of the process (a torn last line is dropped at open);
 * spool_sync() bounds what a power loss can take. */
#ifndef VIGIE_SPOOL_H
#define VIGIE_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SPOOL_DEFAULT_MAX_BYTES (256ull << 20)

struct spool;

/* What a record is; the line's tag ("" or "i"). */
enum spool_kind { SPOOL_ALERT, SPOOL_INCIDENT, SPOOL_KINDS };

struct spool_record {
    uint64_t seq;
    enum spool_kind kind;
    const char *json; /* valid until the next spool call */
    size_t len;
    uint64_t end; /* position just past this record, for spool_consume() */
};

/* Creates dir if missing, takes an exclusive lock (one process per spool),
 * recovers the last sequence number and the records still in the file.
 * max_bytes 0 = SPOOL_DEFAULT_MAX_BYTES. NULL with a message on error. */
struct spool *spool_open(const char *dir, const char *name, uint64_t max_bytes, char *err,
                         size_t errlen);
/* Flushes, syncs and closes; the file stays for the next start. */
void spool_close(struct spool *s);

/* Buffers one record and returns its sequence number; 0 if the spool is
 * full (the record is counted as lost and stderr says so once). A newline
 * inside the JSON (only possible as insignificant whitespace) becomes a
 * space. May write() when the buffer is large. */
uint64_t spool_add(struct spool *s, enum spool_kind kind, const char *json, size_t len);
/* Writes the buffered records with one write(). -1 on an I/O error: those
 * records are lost (counted) and the file is cut back to its last good line. */
int spool_flush(struct spool *s);
/* fdatasync() the file. */
void spool_sync(struct spool *s);

/* Moves the delivery cursor back to the first record with seq > delivered
 * (the mark read from Redis at each connection) and recounts the pending
 * records. Also keeps future sequence numbers above delivered. */
int spool_rewind(struct spool *s, uint64_t delivered);
/* Reads up to max pending records at the cursor without consuming them.
 * Returns how many (0 = none), -1 on a read error. */
int spool_peek(struct spool *s, struct spool_record *recs, size_t max);
/* The first n records of the last peek were delivered. */
void spool_consume(struct spool *s, const struct spool_record *recs, size_t n);
/* Keeps the file bounded, atomically (rename) and keeping a sequence
 * checkpoint: when nothing is pending, empties it; when the delivered head
 * outweighs the pending tail twice (a steady backlog never drains), copies
 * the tail to a new file. Returns 1 if it rewrote, 0 if not, -1 on error. */
int spool_trim(struct spool *s);

uint64_t spool_pending(const struct spool *s); /* records not delivered */
uint64_t spool_pending_kind(const struct spool *s, enum spool_kind kind);
uint64_t spool_bytes(const struct spool *s); /* file size incl. buffer */
uint64_t spool_last_seq(const struct spool *s);
uint64_t spool_lost(const struct spool *s); /* records dropped: full or I/O error */
uint64_t spool_lost_kind(const struct spool *s, enum spool_kind kind);
/* Failed writes and compactions (each logged once a spell). */
uint64_t spool_errors(const struct spool *s);
/* What is wrong right now (full and dropping, the last write failed, the
 * last compaction failed), NULL when nothing: the output's health. */
const char *spool_trouble(const struct spool *s);
/* The directory, file and lock to uid:gid (before a privilege drop). */
int spool_chown(struct spool *s, uid_t uid, gid_t gid, char *err, size_t errlen);
const char *spool_path(const struct spool *s);

#endif

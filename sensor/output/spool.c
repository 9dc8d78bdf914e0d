#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"

#define WBUF_FLUSH (1u << 20)   /* write() once this much is buffered */
#define RBUF_INIT (1u << 20)    /* read window; grows for a longer line */
#define RBUF_MAX (64u << 20)    /* a longer line can only be corruption */
#define SEQ_DIGITS 20           /* UINT64_MAX */
#define COMPACT_MIN (32u << 20) /* delivered bytes worth rewriting the file */

struct spool {
    int fd, lockfd;
    char path[PATH_MAX], tmppath[PATH_MAX];
    uint64_t max_bytes;
    uint64_t size;      /* bytes in the file */
    uint64_t last_seq;  /* highest sequence number handed out or seen */
    uint64_t cursor;    /* offset of the first line not yet delivered */
    uint64_t base;      /* record.end = file offset + base, stable across rewrites */
    uint64_t delivered; /* records with seq <= this are skipped */
    /* Per kind: records in the file after cursor with seq > delivered;
     * records dropped. */
    uint64_t pending[SPOOL_KINDS], lost[SPOOL_KINDS];
    int full_reported, io_reported, corrupt_reported, compact_reported;
    uint64_t errors; /* failed writes and compactions */
    char *wbuf;
    size_t wlen, wcap, wcount[SPOOL_KINDS];
    char *rbuf;
    size_t rcap;
};

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The tag of each kind, between the sequence number and the JSON. An
 * alert has none: the format of spools written before incidents. */
static const char *const kind_tag[SPOOL_KINDS] = {"", "i\t"};
#define TAG_MAX 2

/* After "seq\t": a known tag -> its kind and length; no tag (JSON starts
 * with '{', never with a letter and a tab) -> alert; an unknown tag -> -1. */
static int parse_tag(const char *p, size_t n, enum spool_kind *kind)
{
    if (n < 2 || p[1] != '\t' || p[0] < 'a' || p[0] > 'z') {
        *kind = SPOOL_ALERT;
        return 0;
    }
    for (int k = 0; k < SPOOL_KINDS; k++)
        if (kind_tag[k][0] == p[0]) {
            *kind = (enum spool_kind)k;
            return 2;
        }
    return -1;
}

/* "seq\t[tag\t]json" -> 1, "#seq N" checkpoint -> 0, anything else -> -1. */
static int parse_line(const char *p, size_t n, uint64_t *seq, enum spool_kind *kind,
                      const char **json, size_t *jlen)
{
    int checkpoint = 0;
    size_t i = 0;
    if (n > 5 && memcmp(p, "#seq ", 5) == 0) {
        checkpoint = 1;
        i = 5;
    }
    uint64_t v = 0;
    size_t start = i;
    for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
        if (v > (UINT64_MAX - 9) / 10) return -1;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    if (i == start || v == 0) return -1;
    *seq = v;
    if (checkpoint) return i == n ? 0 : -1;
    if (i >= n || p[i] != '\t') return -1;
    i++;
    int tag = parse_tag(p + i, n - i, kind);
    if (tag < 0 || i + (size_t)tag == n) return -1;
    *json = p + i + tag;
    *jlen = n - i - (size_t)tag;
    return 1;
}

static void report_corrupt(struct spool *s)
{
    if (s->corrupt_reported) return;
    s->corrupt_reported = 1;
    fprintf(stderr, "vigie: spool %s: skipping malformed line(s)\n", s->path);
}

/* Reads [off, off+len) into the read window, growing it when a single line
 * does not fit. Returns bytes read, -1 on error. */
static ssize_t read_window(struct spool *s, uint64_t off, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(s->fd, s->rbuf + got, len - got, (off_t)(off + got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

static int grow_rbuf(struct spool *s)
{
    if (s->rcap >= RBUF_MAX) return -1;
    char *nb = realloc(s->rbuf, s->rcap * 2);
    if (!nb) return -1;
    s->rbuf = nb;
    s->rcap *= 2;
    return 0;
}

struct scan {
    uint64_t delivered, last_seq, count[SPOOL_KINDS], valid_end;
};

/* Walks every complete line of the file: the last sequence number, how
 * many records are above delivered, and where the last complete line ends
 * (a crash mid-write leaves a torn line after it). */
static int scan_file(struct spool *s, struct scan *sc)
{
    uint64_t off = 0;
    while (off < s->size) {
        size_t want = s->size - off < s->rcap ? (size_t)(s->size - off) : s->rcap;
        ssize_t n = read_window(s, off, want);
        if (n < 0) return -1;
        if (n == 0) break;
        size_t pos = 0;
        const char *nl;
        while ((nl = memchr(s->rbuf + pos, '\n', (size_t)n - pos))) {
            size_t len = (size_t)(nl - (s->rbuf + pos)), jlen;
            uint64_t seq;
            enum spool_kind kind;
            const char *json;
            int what = parse_line(s->rbuf + pos, len, &seq, &kind, &json, &jlen);
            if (what < 0) report_corrupt(s);
            if (what >= 0 && seq > sc->last_seq) sc->last_seq = seq;
            if (what == 1 && seq > sc->delivered) sc->count[kind]++;
            pos += len + 1;
        }
        if (pos == 0) {
            if (off + (uint64_t)n >= s->size) break; /* torn last line */
            if (grow_rbuf(s) < 0) return -1;
            continue;
        }
        off += pos;
    }
    sc->valid_end = off;
    return 0;
}

static int mkdir_p(const char *dir)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp)) return -1;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        /* Parents stay traversable for the user the sensor drops to; the
         * spool directory itself is 0750 and that user's (spool_chown). */
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0750) < 0 && errno != EEXIST) return -1;
    return 0;
}

static int open_files(struct spool *s, const char *dir, const char *name, char *err, size_t errlen)
{
    char lockpath[PATH_MAX], safe[128];
    size_t i = 0;
    for (; name[i] && i + 1 < sizeof(safe); i++)
        safe[i] = name[i] == '/' || (name[i] == '.' && i == 0) ? '_' : name[i];
    safe[i] = '\0';
    if (!safe[0] || mkdir_p(dir) < 0 || access(dir, W_OK | X_OK) < 0) {
        snprintf(err, errlen, "spool_dir %s: %s", dir,
                 safe[0] ? strerror(errno) : "empty sensor name");
        return -1;
    }
    if (snprintf(s->path, sizeof(s->path), "%s/%s.spool", dir, safe) >= (int)sizeof(s->path) ||
        snprintf(s->tmppath, sizeof(s->tmppath), "%s.tmp", s->path) >= (int)sizeof(s->tmppath) ||
        snprintf(lockpath, sizeof(lockpath), "%s.lock", s->path) >= (int)sizeof(lockpath)) {
        snprintf(err, errlen, "spool_dir %s: path too long", dir);
        return -1;
    }
    s->lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (s->lockfd < 0) {
        snprintf(err, errlen, "spool %s: %s", lockpath, strerror(errno));
        return -1;
    }
    if (flock(s->lockfd, LOCK_EX | LOCK_NB) < 0) {
        snprintf(err, errlen, "spool %s is in use by another process (sensor name not unique?)",
                 s->path);
        return -1;
    }
    s->fd = open(s->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (s->fd < 0) {
        snprintf(err, errlen, "spool %s: %s", s->path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Reads back what a previous run left: the sequence to continue from and
 * the records Redis may not have. */
static int recover(struct spool *s, char *err, size_t errlen)
{
    struct stat st;
    struct scan sc = {0};
    if (fstat(s->fd, &st) < 0 || (s->size = (uint64_t)st.st_size, scan_file(s, &sc) < 0)) {
        snprintf(err, errlen, "spool %s: %s", s->path, strerror(errno));
        return -1;
    }
    if (sc.valid_end < s->size) {
        fprintf(stderr, "vigie: spool %s: dropping a torn last record (%llu bytes)\n", s->path,
                (unsigned long long)(s->size - sc.valid_end));
        if (ftruncate(s->fd, (off_t)sc.valid_end) < 0) {
            snprintf(err, errlen, "spool %s: truncate: %s", s->path, strerror(errno));
            return -1;
        }
        s->size = sc.valid_end;
    }
    s->last_seq = sc.last_seq;
    memcpy(s->pending, sc.count, sizeof(s->pending));
    return 0;
}

struct spool *spool_open(const char *dir, const char *name, uint64_t max_bytes, char *err,
                         size_t errlen)
{
    struct spool *s = calloc(1, sizeof(*s));
    if (!s || !(s->wbuf = malloc(WBUF_FLUSH * 2)) || !(s->rbuf = malloc(RBUF_INIT))) {
        snprintf(err, errlen, "spool: out of memory");
        goto fail;
    }
    s->fd = s->lockfd = -1;
    s->wcap = WBUF_FLUSH * 2;
    s->rcap = RBUF_INIT;
    s->max_bytes = max_bytes ? max_bytes : SPOOL_DEFAULT_MAX_BYTES;
    if (open_files(s, dir, name, err, errlen) < 0 || recover(s, err, errlen) < 0) goto fail;
    return s;
fail:
    if (s) {
        if (s->fd >= 0) close(s->fd);
        if (s->lockfd >= 0) close(s->lockfd);
        free(s->wbuf);
        free(s->rbuf);
        free(s);
    }
    return NULL;
}

void spool_close(struct spool *s)
{
    if (!s) return;
    spool_flush(s);
    spool_sync(s);
    close(s->fd);
    close(s->lockfd); /* releases the flock */
    free(s->wbuf);
    free(s->rbuf);
    free(s);
}

/* Copies [from, size) of the file to fd at its current end. */
static int copy_tail(struct spool *s, int fd, uint64_t from)
{
    loff_t in = (loff_t)from;
    while ((uint64_t)in < s->size) {
        ssize_t n = copy_file_range(s->fd, &in, fd, NULL, (size_t)(s->size - (uint64_t)in), 0);
        if (n > 0) continue;
        if (n == 0) return -1;
        if (errno != EXDEV && errno != ENOSYS && errno != EOPNOTSUPP && errno != EINVAL) return -1;
        /* No in-kernel copy here: through the read window. */
        ssize_t got = read_window(s, (uint64_t)in,
                                  (size_t)(s->size - (uint64_t)in) < s->rcap
                                      ? (size_t)(s->size - (uint64_t)in)
                                      : s->rcap);
        if (got <= 0 || write(fd, s->rbuf, (size_t)got) != got) return -1;
        in += got;
    }
    return 0;
}

/* Said once per failing spell, counted every time: the spool keeps what it
 * holds and grows until a compaction succeeds (a spool directory the
 * sensor cannot write after dropping privileges, a full disk). */
static void compact_failed(struct spool *s)
{
    s->errors++;
    if (s->compact_reported) return;
    s->compact_reported = 1;
    fprintf(stderr, "vigie: spool %s: cannot compact (%s): it grows until it can\n", s->path,
            strerror(errno));
}

/* Replaces the file by a "#seq N" checkpoint followed by what is at and
 * after offset from. Replace rather than truncate so a crash leaves either
 * the old file or the new one, never one that forgot the sequence. */
static int rewrite_from(struct spool *s, uint64_t from)
{
    char line[SEQ_DIGITS + 8];
    int len = snprintf(line, sizeof(line), "#seq %llu\n", (unsigned long long)s->last_seq);
    int fd = open(s->tmppath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0 || write(fd, line, (size_t)len) != len || copy_tail(s, fd, from) < 0 ||
        fcntl(fd, F_SETFL, O_APPEND) < 0 || rename(s->tmppath, s->path) < 0) {
        compact_failed(s);
        if (fd >= 0) close(fd);
        unlink(s->tmppath);
        return -1;
    }
    s->compact_reported = 0;
    /* The new descriptor follows the inode, now at path. */
    close(s->fd);
    s->fd = fd;
    /* Records peeked before the rewrite (a transaction in flight) keep
     * valid end offsets: they all lie after from. */
    s->base += from - (uint64_t)len;
    s->size = (uint64_t)len + (s->size - from);
    s->cursor = (uint64_t)len;
    s->full_reported = 0;
    return 1;
}

static void report_full(struct spool *s)
{
    if (s->full_reported) return;
    s->full_reported = 1;
    fprintf(stderr,
            "vigie: spool %s is full (%llu bytes): alerts and incidents are being lost until "
            "Redis takes the backlog\n",
            s->path, (unsigned long long)s->max_bytes);
}

uint64_t spool_add(struct spool *s, enum spool_kind kind, const char *json, size_t len)
{
    size_t need = SEQ_DIGITS + 2 + TAG_MAX + len;
    if (len == 0) { /* would read back as a malformed line */
        s->lost[kind]++;
        return 0;
    }
    /* Full, but a good part is a delivered head: drop it. */
    if (s->size + s->wlen + need > s->max_bytes && s->cursor >= s->max_bytes / 8 &&
        spool_flush(s) == 0)
        rewrite_from(s, s->cursor);
    if (s->size + s->wlen + need > s->max_bytes) {
        s->lost[kind]++;
        report_full(s);
        return 0;
    }
    if (s->wlen + need > s->wcap) {
        spool_flush(s);
        if (need > s->wcap) {
            char *nb = realloc(s->wbuf, need);
            if (!nb) {
                s->lost[kind]++;
                return 0;
            }
            s->wbuf = nb;
            s->wcap = need;
        }
    }
    uint64_t seq = now_us();
    if (seq <= s->last_seq) seq = s->last_seq + 1;
    s->last_seq = seq;
    char *w = s->wbuf + s->wlen;
    char digits[SEQ_DIGITS];
    int nd = 0;
    for (uint64_t v = seq; v; v /= 10)
        digits[nd++] = (char)('0' + v % 10);
    while (nd)
        *w++ = digits[--nd];
    *w++ = '\t';
    size_t tl = strlen(kind_tag[kind]);
    memcpy(w, kind_tag[kind], tl);
    w += tl;
    memcpy(w, json, len);
    /* A raw newline can only be JSON whitespace; it would split the record. */
    for (char *p = w; (p = memchr(p, '\n', (size_t)(w + len - p)));)
        *p = ' ';
    w[len] = '\n';
    s->wlen = (size_t)(w + len + 1 - s->wbuf);
    s->wcount[kind]++;
    if (s->wlen >= WBUF_FLUSH) spool_flush(s);
    return seq;
}

int spool_flush(struct spool *s)
{
    size_t done = 0;
    while (done < s->wlen) {
        ssize_t n = write(s->fd, s->wbuf + done, s->wlen - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            s->errors++;
            if (!s->io_reported)
                fprintf(stderr, "vigie: spool %s: write: %s: records lost\n", s->path,
                        n < 0 ? strerror(errno) : "short write");
            s->io_reported = 1;
            /* Cut a partial record so the next append starts on a line. */
            if (ftruncate(s->fd, (off_t)s->size) < 0) s->size += done;
            for (int k = 0; k < SPOOL_KINDS; k++)
                s->lost[k] += s->wcount[k];
            s->wlen = 0;
            memset(s->wcount, 0, sizeof(s->wcount));
            return -1;
        }
        done += (size_t)n;
    }
    if (s->wlen) s->io_reported = 0;
    s->size += s->wlen;
    for (int k = 0; k < SPOOL_KINDS; k++)
        s->pending[k] += s->wcount[k];
    s->wlen = 0;
    memset(s->wcount, 0, sizeof(s->wcount));
    return 0;
}

void spool_sync(struct spool *s)
{
    fdatasync(s->fd);
}

int spool_rewind(struct spool *s, uint64_t delivered)
{
    struct scan sc = {.delivered = delivered};
    if (spool_flush(s) < 0 || scan_file(s, &sc) < 0) return -1;
    s->cursor = 0;
    s->delivered = delivered;
    memcpy(s->pending, sc.count, sizeof(s->pending));
    if (delivered > s->last_seq) s->last_seq = delivered;
    return 0;
}

int spool_peek(struct spool *s, struct spool_record *recs, size_t max)
{
    size_t k = 0;
    while (k == 0 && s->cursor < s->size && spool_pending(s) > 0) {
        uint64_t woff = s->cursor, avail = s->size - woff;
        ssize_t n = read_window(s, woff, avail < s->rcap ? (size_t)avail : s->rcap);
        if (n <= 0) return -1;
        size_t pos = 0;
        const char *nl;
        while (k < max && (nl = memchr(s->rbuf + pos, '\n', (size_t)n - pos))) {
            size_t len = (size_t)(nl - (s->rbuf + pos));
            struct spool_record *r = &recs[k];
            int what = parse_line(s->rbuf + pos, len, &r->seq, &r->kind, &r->json, &r->len);
            pos += len + 1;
            if (what == 1 && r->seq > s->delivered) {
                r->end = woff + pos + s->base;
                k++;
            } else if (k == 0) {
                if (what < 0) report_corrupt(s);
                s->cursor = woff + pos; /* nothing to deliver before this point */
            }
        }
        if (k > 0 || pos > 0) continue;
        if ((uint64_t)n == avail) return 0; /* only a torn tail is left */
        if (grow_rbuf(s) < 0) return -1;
    }
    return (int)k;
}

void spool_consume(struct spool *s, const struct spool_record *recs, size_t n)
{
    if (n == 0) return;
    s->cursor = recs[n - 1].end - s->base;
    for (size_t i = 0; i < n; i++)
        if (s->pending[recs[i].kind] > 0) s->pending[recs[i].kind]--;
    s->delivered = recs[n - 1].seq;
}

int spool_trim(struct spool *s)
{
    if (spool_pending(s) == 0 && s->wlen == 0) return s->size == 0 ? 0 : rewrite_from(s, s->size);
    /* Under a steady backlog the file never drains: drop the delivered
     * head once it outweighs the rest twice, so copying costs at most half
     * of what was written. */
    if (s->cursor >= COMPACT_MIN && s->cursor >= 2 * (s->size - s->cursor))
        return rewrite_from(s, s->cursor);
    return 0;
}

static uint64_t sum(const uint64_t *per_kind)
{
    uint64_t n = 0;
    for (int k = 0; k < SPOOL_KINDS; k++)
        n += per_kind[k];
    return n;
}

uint64_t spool_pending(const struct spool *s)
{
    return sum(s->pending);
}

uint64_t spool_pending_kind(const struct spool *s, enum spool_kind kind)
{
    return s->pending[kind];
}

uint64_t spool_bytes(const struct spool *s)
{
    return s->size + s->wlen;
}

uint64_t spool_last_seq(const struct spool *s)
{
    return s->last_seq;
}

uint64_t spool_lost(const struct spool *s)
{
    return sum(s->lost);
}

uint64_t spool_lost_kind(const struct spool *s, enum spool_kind kind)
{
    return s->lost[kind];
}

const char *spool_trouble(const struct spool *s)
{
    if (s->full_reported) return "spool full, records dropped";
    if (s->io_reported) return "spool write failed, records dropped";
    if (s->compact_reported) return "spool cannot be compacted";
    return NULL;
}

uint64_t spool_errors(const struct spool *s)
{
    return s->errors;
}

/* Before dropping privileges: the directory, the file and its lock
 * belong to the user the sensor goes on as, so it can still compact
 * (a rename in the directory) and reopen them at the next start. */
int spool_chown(struct spool *s, uid_t uid, gid_t gid, char *err, size_t errlen)
{
    char dir[PATH_MAX], lock[PATH_MAX + 8];
    snprintf(dir, sizeof(dir), "%s", s->path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    snprintf(lock, sizeof(lock), "%s.lock", s->path);
    const char *paths[] = {slash ? dir : ".", s->path, lock};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        if (chown(paths[i], uid, gid) != 0) {
            snprintf(err, errlen, "spool %s: cannot hand it to uid %u: %s", paths[i], (unsigned)uid,
                     strerror(errno));
            return -1;
        }
    }
    return 0;
}

const char *spool_path(const struct spool *s)
{
    return s->path;
}

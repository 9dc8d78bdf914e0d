/* The file module: alerts (-A, outputs.alerts_file) and flow records
 * (--flows, outputs.flows_file) as JSON lines, appended; "-" is standard
 * output. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "output_internal.h"

/* Records are whole lines: a line goes to the kernel in one write(2)
 * with those before it, never split across two, so a sensor killed with
 * -9 leaves no torn line. Alerts are written at once (a SOC reading the
 * file sees what Redis got); flow records wait in the buffer for the
 * next flush, once a second (outputs_flush from the tick). */
struct jsonl_file {
    char *path;
    int fd;
    int is_stdout;
    int immediate; /* write each line at once: alerts, a terminal */
    int failed;    /* sticky: a lost line is reported at the next flush */
    size_t used;
    char buf[1 << 16];
};

struct file_output {
    struct jsonl_file *flows, *alerts;
};

static int open_fd(const struct jsonl_file *o, char *err, size_t errlen)
{
    if (o->is_stdout) return STDOUT_FILENO;
    int fd = open(o->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) snprintf(err, errlen, "%s: %s", o->path, strerror(errno));
    return fd;
}

/* Everything buffered, in as many write(2) calls as the kernel needs. */
static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int jsonl_flush(struct jsonl_file *o)
{
    if (!o) return 0;
    if (o->used && write_all(o->fd, o->buf, o->used) != 0) o->failed = 1;
    o->used = 0;
    return o->failed ? -1 : 0;
}

static struct jsonl_file *jsonl_open(const char *path, int immediate, char *err, size_t errlen)
{
    struct jsonl_file *o = calloc(1, sizeof(*o));
    if (!o || !(o->path = strdup(path))) {
        free(o);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    o->is_stdout = strcmp(path, "-") == 0;
    /* A person watching a terminal sees records as they come. */
    o->immediate = immediate || (o->is_stdout && isatty(STDOUT_FILENO));
    if ((o->fd = open_fd(o, err, errlen)) < 0) {
        free(o->path);
        free(o);
        return NULL;
    }
    return o;
}

static int jsonl_write(struct jsonl_file *o, const char *line, size_t len)
{
    if (o->used + len + 1 > sizeof(o->buf) && jsonl_flush(o) != 0) return -1;
    if (len + 1 > sizeof(o->buf)) { /* a line larger than the buffer: alone */
        if (write_all(o->fd, line, len) != 0 || write_all(o->fd, "\n", 1) != 0) o->failed = 1;
        return o->failed ? -1 : 0;
    }
    memcpy(o->buf + o->used, line, len);
    o->buf[o->used + len] = '\n';
    o->used += len + 1;
    return o->immediate ? jsonl_flush(o) : 0;
}

/* After a rotation (the file moved away): a new file at the same path.
 * The new one is opened first, so a failure keeps the old one writing. */
static int jsonl_reopen(struct jsonl_file *o, char *err, size_t errlen)
{
    if (!o || o->is_stdout) return 0;
    int fd = open_fd(o, err, errlen);
    if (fd < 0) return -1;
    jsonl_flush(o); /* what came before the rotation goes to the old file */
    close(o->fd);
    o->fd = fd;
    return 0;
}

static void jsonl_close(struct jsonl_file *o)
{
    if (!o) return;
    jsonl_flush(o);
    if (!o->is_stdout) close(o->fd);
    free(o->path);
    free(o);
}

/* A command-line path wins, even "", over the config's; "" in the config
 * means none. */
static const char *chosen(const char *arg, const char *cfg)
{
    return arg ? arg : (*cfg ? cfg : NULL);
}

static void file_close(void *st, int drain)
{
    struct file_output *f = st;
    (void)drain;
    jsonl_close(f->flows);
    jsonl_close(f->alerts);
    free(f);
}

static int file_open(void **st, struct output_options *o, char *err, size_t errlen)
{
    const char *flows = chosen(o->flows_path, o->cfg->outputs.flows_file);
    const char *alerts = chosen(o->alerts_path, o->cfg->outputs.alerts_file);
    if (!flows && !alerts) return 0;
    struct file_output *f = calloc(1, sizeof(*f));
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* Flows first: when both fail, the flows file is the one told. */
    if ((flows && !(f->flows = jsonl_open(flows, 0, err, errlen))) ||
        (alerts && !(f->alerts = jsonl_open(alerts, 1, err, errlen)))) {
        file_close(f, 0);
        return -1;
    }
    *st = f;
    return (alerts ? OUTPUT_ALERTS : 0) | (flows ? OUTPUT_FLOWS : 0);
}

static int file_write_alert(void *st, const char *json, size_t len)
{
    return jsonl_write(((struct file_output *)st)->alerts, json, len);
}

static int file_write_flow(void *st, const char *json, size_t len)
{
    return jsonl_write(((struct file_output *)st)->flows, json, len);
}

static int file_flush(void *st)
{
    struct file_output *f = st;
    int rc = jsonl_flush(f->flows);
    return jsonl_flush(f->alerts) != 0 ? -1 : rc;
}

static int file_reopen(void *st, char *err, size_t errlen)
{
    struct file_output *f = st;
    if (jsonl_reopen(f->flows, err, errlen) != 0) return -1;
    return jsonl_reopen(f->alerts, err, errlen);
}

const struct output_module output_file_module = {
    .name = "file",
    .open = file_open,
    .write_alert = file_write_alert,
    .write_flow = file_write_flow,
    .flush = file_flush,
    .reopen = file_reopen,
    .close = file_close,
};

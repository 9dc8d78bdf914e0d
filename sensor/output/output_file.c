/* The file module: alerts (-A, outputs.alerts_file) and flow records
 * (--flows, outputs.flows_file) as JSON lines, appended; "-" is standard
 * output. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "output_internal.h"

struct jsonl_file {
    char *path;
    FILE *fp;
    int is_stdout;
    int failed; /* sticky: a lost line is reported at the next flush */
    char buf[1 << 16];
};

struct file_output {
    struct jsonl_file *flows, *alerts;
};

static FILE *open_stream(const struct jsonl_file *o, char *err, size_t errlen)
{
    FILE *fp = o->is_stdout ? stdout : fopen(o->path, "a");
    if (!fp) snprintf(err, errlen, "%s: %s", o->path, strerror(errno));
    return fp;
}

/* Before the first write on o->fp. Line-buffer a terminal so a person
 * sees events as they come. */
static void set_buffer(struct jsonl_file *o)
{
    if (o->is_stdout)
        setvbuf(stdout, NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, 1 << 16);
    else
        setvbuf(o->fp, o->buf, _IOFBF, sizeof(o->buf));
}

static struct jsonl_file *jsonl_open(const char *path, char *err, size_t errlen)
{
    struct jsonl_file *o = calloc(1, sizeof(*o));
    if (!o || !(o->path = strdup(path))) {
        free(o);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    o->is_stdout = strcmp(path, "-") == 0;
    if (!(o->fp = open_stream(o, err, errlen))) {
        free(o->path);
        free(o);
        return NULL;
    }
    set_buffer(o);
    return o;
}

static int jsonl_write(struct jsonl_file *o, const char *line, size_t len)
{
    if (fwrite(line, 1, len, o->fp) != len || putc('\n', o->fp) == EOF) {
        o->failed = 1;
        return -1;
    }
    return 0;
}

static int jsonl_flush(struct jsonl_file *o)
{
    if (!o) return 0;
    if (fflush(o->fp) != 0) o->failed = 1;
    return o->failed ? -1 : 0;
}

/* After a rotation (the file moved away): a new file at the same path.
 * The new one is opened first, so a failure keeps the old one writing. */
static int jsonl_reopen(struct jsonl_file *o, char *err, size_t errlen)
{
    if (!o || o->is_stdout) return 0;
    FILE *fp = open_stream(o, err, errlen);
    if (!fp) return -1;
    if (fclose(o->fp) != 0) o->failed = 1; /* flushes into the old file */
    o->fp = fp;
    set_buffer(o);
    return 0;
}

static void jsonl_close(struct jsonl_file *o)
{
    if (!o) return;
    jsonl_flush(o);
    if (!o->is_stdout && o->fp) fclose(o->fp);
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
    if ((flows && !(f->flows = jsonl_open(flows, err, errlen))) ||
        (alerts && !(f->alerts = jsonl_open(alerts, err, errlen)))) {
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

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "output_file.h"

static int isatty_stdout(void)
{
    return isatty(STDOUT_FILENO);
}

struct output_file {
    FILE *fp;
    int is_stdout;
    int failed;
    char buf[1 << 16];
};

struct output_file *output_file_open(const char *path, char *err, size_t errlen)
{
    struct output_file *o = calloc(1, sizeof(*o));
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    o->is_stdout = strcmp(path, "-") == 0;
    o->fp = o->is_stdout ? stdout : fopen(path, "a");
    if (!o->fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        free(o);
        return NULL;
    }
    /* Line-buffer a terminal so a person sees events as they come. */
    if (o->is_stdout)
        setvbuf(stdout, NULL, isatty_stdout() ? _IOLBF : _IOFBF, 1 << 16);
    else
        setvbuf(o->fp, o->buf, _IOFBF, sizeof(o->buf));
    return o;
}

int output_file_write(struct output_file *o, const char *line, size_t len)
{
    if (fwrite(line, 1, len, o->fp) != len || putc('\n', o->fp) == EOF) {
        o->failed = 1;
        return -1;
    }
    return 0;
}

int output_file_flush(struct output_file *o)
{
    if (fflush(o->fp) != 0) o->failed = 1;
    return o->failed ? -1 : 0;
}

int output_file_close(struct output_file *o)
{
    if (!o) return 0;
    int rc = output_file_flush(o);
    if (!o->is_stdout && fclose(o->fp) != 0) rc = -1;
    free(o);
    return rc;
}

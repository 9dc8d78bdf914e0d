/* The stdout module: alerts as JSON lines on standard output, where they
 * go without a config when the local Redis is not there (SPEC section 2).
 * It keeps stdio's default buffering and leaves flushing to exit, so the
 * lines come out as they always have (after the stderr summary on a pipe). */
#include <stdio.h>

#include "output_internal.h"

static int stdout_open(void **st, struct output_options *o, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    *st = NULL;
    return o->stdout_alerts ? OUTPUT_ALERTS : 0;
}

static int stdout_write_alert(void *st, const char *json, size_t len)
{
    (void)st;
    fwrite(json, 1, len, stdout);
    putchar('\n');
    return 0;
}

static void stdout_close(void *st, int drain)
{
    (void)st;
    (void)drain;
}

const struct output_module output_stdout_module = {
    .name = "stdout",
    .open = stdout_open,
    .write_alert = stdout_write_alert,
    .close = stdout_close,
};

/* JSON-lines file output ("-" is standard output). */
#ifndef VIGIE_OUTPUT_FILE_H
#define VIGIE_OUTPUT_FILE_H

#include <stddef.h>

struct output_file;

struct output_file *output_file_open(const char *path, char *err, size_t errlen);
/* Writes one line (a newline is added). Returns -1 on a write error. */
int output_file_write(struct output_file *o, const char *line, size_t len);
int output_file_flush(struct output_file *o);
/* Closes; returns -1 if any write failed along the way. */
int output_file_close(struct output_file *o);

#endif

/* The modules the registry (output.c) lists; each is defined in its own
 * file. Not a public surface: callers go through output.h. */
#ifndef VIGIE_OUTPUT_INTERNAL_H
#define VIGIE_OUTPUT_INTERNAL_H

#include "output.h"

extern const struct output_module output_file_module;   /* output_file.c */
extern const struct output_module output_redis_module;  /* output_redis_module.c */
extern const struct output_module output_stdout_module; /* output_stdout.c */

#endif

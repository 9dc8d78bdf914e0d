/* The detector registry: every detector, in a fixed order, each declared
 * once by its struct detector (detect.h): id, ATT&CK ids, enabled by
 * default or not, parameters with defaults and bounds. The config loader,
 * `vigie -T`, the engine and the tests all read the declarations from here.
 *
 * This header needs nothing else, so plain-data modules (config.h) can size
 * their tables from it; the declarations themselves are in detect.h. */
#ifndef VIGIE_DETECT_REGISTRY_H
#define VIGIE_DETECT_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#define DETECT_MAX 64       /* detectors: one bit each in struct flow's alerted mask */
#define DETECT_MAX_PARAMS 4 /* parameters of one detector */

/* A threshold of a detector, set in its entry of the config's detect:
 * section. Values are whole numbers (counts, or seconds for a window). */
struct detect_param {
    const char *name; /* NULL: no more parameters */
    uint32_t def, min, max;
};

struct detector;

size_t detect_count(void);
/* Registry position i (0 .. detect_count()-1), or NULL. */
const struct detector *detect_get(size_t i);
/* The position of the detector named id, or -1. */
int detect_index(const char *id);
const struct detector *detect_find(const char *id);

#endif

/* A small JSON writer for EVE events: one reusable, growing buffer and a
 * nesting stack that places the commas. Output is compact ({"k":"v","n":1}).
 *
 * Strings (values and keys) are escaped per RFC 8259 section 7: '"' and '\'
 * are escaped, control characters below 0x20 become \b \f \n \r \t or \u00XX,
 * '/' is left as is, and well-formed UTF-8 passes through unchanged. Each
 * ill-formed UTF-8 subsequence (bad lead byte, bad continuation, overlong,
 * surrogate, above U+10FFFF, truncated) becomes one U+FFFD, "maximal subpart"
 * substitution as Unicode 15 section 3.9 recommends; the rest of the string
 * is kept. NULL strings are written as "".
 *
 * Errors are sticky: after an allocation failure or a nesting mistake every
 * call is a no-op and json_buffer() returns NULL until json_reset(). */
#ifndef VIGIE_JSON_H
#define VIGIE_JSON_H

#include <stddef.h>
#include <stdint.h>

/* Deeper nesting than this is an error (EVE events use 4). */
#define JSON_MAX_DEPTH 31

struct json_writer {
    char *buf;
    size_t len, cap;
    int depth; /* open objects and arrays */
    /* Bit d of nonempty: something was written at depth d, so the next
     * value there needs a comma. Bit d of arrays: depth d is an array. */
    uint32_t nonempty, arrays;
    int err;
};

/* A zeroed struct is ready to use; json_reset starts a new document and
 * keeps the buffer. */
void json_reset(struct json_writer *w);
void json_free(struct json_writer *w);

/* Objects and arrays as values: the document itself, or an array element. */
void json_begin_object(struct json_writer *w);
void json_end_object(struct json_writer *w);
void json_begin_array(struct json_writer *w);
void json_end_array(struct json_writer *w);

/* Members of the current object. */
void json_key_object(struct json_writer *w, const char *key);
void json_key_array(struct json_writer *w, const char *key);
void json_key_str(struct json_writer *w, const char *key, const char *value);
void json_key_strn(struct json_writer *w, const char *key, const char *value, size_t len);
void json_key_u64(struct json_writer *w, const char *key, uint64_t value);
void json_key_i64(struct json_writer *w, const char *key, int64_t value);
void json_key_int(struct json_writer *w, const char *key, int value);
void json_key_bool(struct json_writer *w, const char *key, int value);

/* Elements of the current array. */
void json_array_str(struct json_writer *w, const char *value);
void json_array_u64(struct json_writer *w, uint64_t value);

/* The document (NUL-terminated, *len without the NUL), or NULL if an error
 * occurred or an object or array is still open. Valid until the next call
 * that writes. */
const char *json_buffer(const struct json_writer *w, size_t *len);

#endif

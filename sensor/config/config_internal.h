/* Shared by config*.c only: the YAML loader's state and primitives.
 * config.c drives a load, config_yaml.c reads typed values and mappings
 * with their file:line:key diagnostics, config_schema.c and
 * config_policy.c describe the sections of SPEC section 3. */
#ifndef VIGIE_CONFIG_INTERNAL_H
#define VIGIE_CONFIG_INTERNAL_H

#include <yaml.h>
#include "config.h"

struct ndpi_detection_module_struct;

struct loader_msg {
    unsigned file_no, line, seq; /* sort keys: file order, line, emission */
    char *text;
};

struct loader {
    struct config *cfg;
    yaml_document_t *doc; /* the document being read */
    const char *file;     /* as named in messages */
    unsigned file_no;
    char dir[CONFIG_STR]; /* file's directory, for relative paths; "" = cwd */
    char key[512];        /* dotted path of the value being read */
    size_t keylen;
    struct loader_msg *msgs;
    size_t n_msgs, cap_msgs;
    size_t n_errors; /* counts even a message memory could not hold */
    unsigned n_files;
    struct cidr_trie *zone_cidrs;              /* every zone CIDR so far, value = zone index */
    struct ndpi_detection_module_struct *ndpi; /* created on the first app name */
    int ndpi_failed;
};

struct field;
typedef void (*field_fn)(struct loader *ld, yaml_node_t *value, void *base, const struct field *f);

/* One key of a mapping: its parser, where it goes (offset from the base
 * the mapping is read into), and the parser's parameters. */
struct field {
    const char *key;
    field_fn parse;
    size_t offset;
    size_t size;        /* ld_f_str, ld_f_path: buffer size */
    long long min, max; /* ld_f_int, ld_f_u32 */
    const void *aux;    /* ld_f_map: const struct field[] ending in {0}; ld_f_enum: names */
};

/* Diagnostics: "FILE:LINE: KEY: message", KEY being ld->key. */
void ld_error(struct loader *ld, const yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ld_error_line(struct loader *ld, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
unsigned ld_line(const yaml_node_t *node);

/* Key path: push returns the length to pop back to. */
size_t ld_push(struct loader *ld, const char *key);
size_t ld_push_index(struct loader *ld, size_t i);
void ld_pop(struct loader *ld, size_t len);

/* Typed reads; each reports its own error and returns -1 on one. */
int ld_is_null(const yaml_node_t *n);
const char *ld_scalar(struct loader *ld, yaml_node_t *n, const char *expected);
int ld_int(struct loader *ld, yaml_node_t *n, long long min, long long max, long long *out);
int ld_bool(struct loader *ld, yaml_node_t *n, int *out);
int ld_string(struct loader *ld, yaml_node_t *n, char *dst, size_t size);
/* A list (a null value is an empty list); returns its length or -1. */
int ld_seq(struct loader *ld, yaml_node_t *n, yaml_node_t ***items);
yaml_node_t *ld_node(struct loader *ld, int index);
/* 1 if mapping n has key. */
int ld_has_key(struct loader *ld, yaml_node_t *n, const char *key);

/* Reads mapping n into base with fields; unknown and duplicate keys are
 * errors. Fields are read in table order, whatever the file's order, so a
 * parser can rely on the fields before it (zones before policy). */
void ld_map(struct loader *ld, yaml_node_t *n, const struct field *fields, void *base);
typedef void (*pair_fn)(struct loader *ld, yaml_node_t *key, yaml_node_t *value, void *ud);
/* Calls fn for every pair of mapping n with a scalar, first-seen key. */
void ld_each_pair(struct loader *ld, yaml_node_t *n, pair_fn fn, void *ud);
/* Suggests the closest of names (NULL-terminated) to word, or NULL. */
const char *ld_closest(const char *word, const char *const *names);

/* Loads path into doc (syntax errors reported); 0 or -1. */
int ld_read_file(struct loader *ld, const char *path, const yaml_node_t *from,
                 yaml_document_t *doc);
void ld_dirname(const char *path, char *out, size_t outlen);
/* path joined to ld->dir unless absolute. */
void ld_resolve(const struct loader *ld, const char *path, char *out, size_t outlen);

/* Generic field parsers. */
void ld_f_str(struct loader *ld, yaml_node_t *v, void *base, const struct field *f);
void ld_f_path(struct loader *ld, yaml_node_t *v, void *base, const struct field *f);
void ld_f_int(struct loader *ld, yaml_node_t *v, void *base, const struct field *f);
void ld_f_u32(struct loader *ld, yaml_node_t *v, void *base, const struct field *f);
void ld_f_bool(struct loader *ld, yaml_node_t *v, void *base, const struct field *f);
void ld_f_enum(struct loader *ld, yaml_node_t *v, void *base, const struct field *f);
void ld_f_map(struct loader *ld, yaml_node_t *v, void *base, const struct field *f);

/* config_schema.c: the top-level sections. */
extern const struct field config_top_fields[];
/* config_policy.c */
void ld_f_policy(struct loader *ld, yaml_node_t *v, void *base, const struct field *f);
void ld_f_role(struct loader *ld, yaml_node_t *v, void *base, const struct field *f);
void config_policy_free(struct config *cfg);
void config_loader_done(struct loader *ld);
/* config_schema.c */
void config_zones_free(struct config *cfg);

#endif

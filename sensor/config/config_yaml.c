/* YAML reading primitives for the config loader: typed scalars, mappings
 * checked against a field table, and file:line:key diagnostics. libyaml
 * only gives strings; every type decision is made here, strictly, so that
 * a typo is an error rather than a silently ignored setting. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

unsigned ld_line(const yaml_node_t *node)
{
    return node ? (unsigned)node->start_mark.line + 1 : 1;
}

static void ld_verror(struct loader *ld, unsigned line, const char *fmt, va_list ap)
{
    char msg[1024];
    ld->n_errors++;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (ld->n_msgs == ld->cap_msgs) {
        size_t cap = ld->cap_msgs ? ld->cap_msgs * 2 : 16;
        struct loader_msg *m = realloc(ld->msgs, cap * sizeof(*m));
        if (!m) return; /* n_errors still counts it */
        ld->msgs = m;
        ld->cap_msgs = cap;
    }
    size_t len = strlen(ld->file) + strlen(ld->key) + strlen(msg) + 32;
    char *text = malloc(len);
    if (!text) return;
    if (line)
        snprintf(text, len, "%s:%u: %s: %s", ld->file, line, ld->keylen ? ld->key : "config", msg);
    else /* the file itself, no line to name */
        snprintf(text, len, "%s: %s", ld->file, msg);
    ld->msgs[ld->n_msgs] = (struct loader_msg){ld->file_no, line, (unsigned)ld->n_msgs, text};
    ld->n_msgs++;
}

void ld_error_line(struct loader *ld, unsigned line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ld_verror(ld, line, fmt, ap);
    va_end(ap);
}

void ld_error(struct loader *ld, const yaml_node_t *node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ld_verror(ld, ld_line(node), fmt, ap);
    va_end(ap);
}

static size_t push_text(struct loader *ld, const char *text)
{
    size_t old = ld->keylen;
    int n = snprintf(ld->key + old, sizeof(ld->key) - old, "%s", text);
    ld->keylen =
        n < 0 || old + (size_t)n >= sizeof(ld->key) ? sizeof(ld->key) - 1 : old + (size_t)n;
    return old;
}

size_t ld_push(struct loader *ld, const char *key)
{
    size_t old = ld->keylen;
    if (old) push_text(ld, ".");
    push_text(ld, key);
    return old;
}

size_t ld_push_index(struct loader *ld, size_t i)
{
    char idx[32];
    snprintf(idx, sizeof(idx), "[%zu]", i);
    return push_text(ld, idx);
}

void ld_pop(struct loader *ld, size_t len)
{
    ld->keylen = len;
    ld->key[len] = '\0';
}

yaml_node_t *ld_node(struct loader *ld, int index)
{
    return yaml_document_get_node(ld->doc, index);
}

static const char *kind(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_MAPPING_NODE:
        return "a mapping";
    case YAML_SEQUENCE_NODE:
        return "a list";
    default:
        return ld_is_null(n) ? "nothing" : "a scalar";
    }
}

/* YAML 1.2 core schema nulls; only unquoted ones are null. */
int ld_is_null(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return 0;
    const char *s = (const char *)n->data.scalar.value;
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

const char *ld_scalar(struct loader *ld, yaml_node_t *n, const char *expected)
{
    if (n->type != YAML_SCALAR_NODE) {
        ld_error(ld, n, "expected %s, got %s", expected, kind(n));
        return NULL;
    }
    return (const char *)n->data.scalar.value;
}

int ld_int(struct loader *ld, yaml_node_t *n, long long min, long long max, long long *out)
{
    char expected[96];
    snprintf(expected, sizeof(expected), "an integer in %lld..%lld", min, max);
    const char *s = ld_scalar(ld, n, expected);
    if (!s) return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno || s[0] == '+' || s[0] == ' ') {
        ld_error(ld, n, "expected %s, got '%s'", expected, s);
        return -1;
    }
    if (v < min || v > max) {
        ld_error(ld, n, "%lld is out of range %lld..%lld", v, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int ld_bool(struct loader *ld, yaml_node_t *n, int *out)
{
    const char *s = ld_scalar(ld, n, "true or false");
    if (!s) return -1;
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
        *out = 1;
    else if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
        *out = 0;
    else {
        ld_error(ld, n, "expected true or false, got '%s'", s);
        return -1;
    }
    return 0;
}

int ld_string(struct loader *ld, yaml_node_t *n, char *dst, size_t size)
{
    const char *s = ld_scalar(ld, n, "a string");
    if (!s) return -1;
    if (ld_is_null(n)) s = "";
    if (strlen(s) >= size) {
        ld_error(ld, n, "longer than %zu characters", size - 1);
        return -1;
    }
    memcpy(dst, s, strlen(s) + 1);
    return 0;
}

int ld_seq(struct loader *ld, yaml_node_t *n, yaml_node_t ***items)
{
    *items = NULL;
    if (ld_is_null(n)) return 0;
    if (n->type != YAML_SEQUENCE_NODE) {
        ld_error(ld, n, "expected a list, got %s", kind(n));
        return -1;
    }
    yaml_node_item_t *it = n->data.sequence.items.start;
    int count = (int)(n->data.sequence.items.top - it);
    if (!count) return 0;
    if (!(*items = calloc((size_t)count, sizeof(**items)))) return -1;
    for (int i = 0; i < count; i++)
        (*items)[i] = ld_node(ld, it[i]);
    return count;
}

int ld_has_key(struct loader *ld, yaml_node_t *n, const char *key)
{
    if (n->type != YAML_MAPPING_NODE) return 0;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = ld_node(ld, p->key);
        if (k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key))
            return 1;
    }
    return 0;
}

/* --- mappings -------------------------------------------------------- */

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[64];
    if (la >= 63 || lb >= 63) return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *ld_closest(const char *word, const char *const *names)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (; *names; names++) {
        size_t d = edit_distance(word, *names);
        if (d < best_d) best_d = d, best = *names;
    }
    /* A suggestion is only worth it for a plausible typo. */
    return best && best_d * 3 <= strlen(word) ? best : NULL;
}

/* key of pair i, or NULL (reported) if it is not a usable scalar. */
static const char *pair_key(struct loader *ld, yaml_node_pair_t *p)
{
    yaml_node_t *k = ld_node(ld, p->key);
    if (k->type != YAML_SCALAR_NODE || ld_is_null(k)) {
        ld_error(ld, k, "a key must be a non-empty string, got %s", kind(k));
        return NULL;
    }
    return (const char *)k->data.scalar.value;
}

static int seen_before(struct loader *ld, yaml_node_t *n, yaml_node_pair_t *p)
{
    const char *key = (const char *)ld_node(ld, p->key)->data.scalar.value;
    for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++) {
        yaml_node_t *k = ld_node(ld, q->key);
        if (k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key))
            return 1;
    }
    return 0;
}

void ld_each_pair(struct loader *ld, yaml_node_t *n, pair_fn fn, void *ud)
{
    if (ld_is_null(n)) return;
    if (n->type != YAML_MAPPING_NODE) {
        ld_error(ld, n, "expected a mapping, got %s", kind(n));
        return;
    }
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const char *key = pair_key(ld, p);
        if (!key) continue;
        size_t mark = ld_push(ld, key);
        if (seen_before(ld, n, p))
            ld_error(ld, ld_node(ld, p->key), "duplicate key");
        else
            fn(ld, ld_node(ld, p->key), ld_node(ld, p->value), ud);
        ld_pop(ld, mark);
    }
}

static const struct field *find_field(const struct field *fields, const char *key)
{
    for (; fields->key; fields++)
        if (!strcmp(fields->key, key)) return fields;
    return NULL;
}

static void unknown_key(struct loader *ld, yaml_node_t *k, const struct field *fields)
{
    const char *names[64], *key = (const char *)k->data.scalar.value;
    size_t n = 0;
    char list[512] = "";
    for (const struct field *f = fields; f->key && n < 63; f++) {
        names[n++] = f->key;
        size_t len = strlen(list);
        snprintf(list + len, sizeof(list) - len, "%s%s", len ? ", " : "", f->key);
    }
    names[n] = NULL;
    const char *near = ld_closest(key, names);
    if (near)
        ld_error(ld, k, "unknown key (did you mean '%s'?)", near);
    else
        ld_error(ld, k, "unknown key (expected one of: %s)", list);
}

static void check_key(struct loader *ld, yaml_node_t *k, yaml_node_t *v, void *ud)
{
    (void)v;
    const struct field *fields = ud;
    if (!find_field(fields, (const char *)k->data.scalar.value)) unknown_key(ld, k, fields);
}

void ld_map(struct loader *ld, yaml_node_t *n, const struct field *fields, void *base)
{
    ld_each_pair(ld, n, check_key, (void *)fields);
    if (n->type != YAML_MAPPING_NODE) return;
    for (const struct field *f = fields; f->key; f++) {
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
            yaml_node_t *k = ld_node(ld, p->key);
            if (k->type != YAML_SCALAR_NODE || strcmp((const char *)k->data.scalar.value, f->key))
                continue;
            size_t mark = ld_push(ld, f->key);
            f->parse(ld, ld_node(ld, p->value), base, f);
            ld_pop(ld, mark);
            break; /* duplicates were reported by check_key's pass */
        }
    }
}

/* --- files ----------------------------------------------------------- */

void ld_dirname(const char *path, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s", path);
    char *slash = strrchr(out, '/');
    if (!slash)
        out[0] = '\0';
    else if (slash == out)
        out[1] = '\0'; /* "/x.yaml": the root */
    else
        *slash = '\0';
}

void ld_resolve(const struct loader *ld, const char *path, char *out, size_t outlen)
{
    if (path[0] == '/' || !ld->dir[0] || !path[0])
        snprintf(out, outlen, "%s", path);
    else
        snprintf(out, outlen, "%s/%s", ld->dir, path);
}

/* libyaml stops at the first syntax error, so there is only ever one. */
static void syntax_error(struct loader *ld, yaml_parser_t *p)
{
    const yaml_mark_t *m = p->problem ? &p->problem_mark : &p->context_mark;
    char where[160] = "", saved[sizeof(ld->key)];
    if (p->context)
        snprintf(where, sizeof(where), " (%s at line %zu)", p->context, p->context_mark.line + 1);
    size_t mark = ld->keylen;
    memcpy(saved, ld->key, sizeof(saved));
    ld_pop(ld, 0);
    ld_push(ld, "syntax error");
    ld_error_line(ld, (unsigned)m->line + 1, "%s%s", p->problem ? p->problem : "invalid YAML",
                  where);
    memcpy(ld->key, saved, sizeof(saved));
    ld->keylen = mark;
}

int ld_read_file(struct loader *ld, const char *path, const yaml_node_t *from, yaml_document_t *doc)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        if (from)
            ld_error(ld, from, "cannot read '%s': %s", path, strerror(errno));
        else
            ld_error_line(ld, 0, "cannot read: %s", strerror(errno));
        return -1;
    }
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, fp);
    int ok = yaml_parser_load(&parser, doc);
    if (!ok)
        syntax_error(ld, &parser);
    else if (yaml_document_get_root_node(doc)) {
        /* A second document would be silently ignored: say so instead. */
        yaml_document_t next;
        if (!yaml_parser_load(&parser, &next)) {
            syntax_error(ld, &parser);
        } else {
            if (yaml_document_get_root_node(&next))
                ld_error_line(ld, (unsigned)next.start_mark.line + 1,
                              "a second YAML document; a config is one document");
            yaml_document_delete(&next);
        }
    }
    yaml_parser_delete(&parser);
    fclose(fp);
    return ok ? 0 : -1;
}

/* --- generic field parsers -------------------------------------------- */

void ld_f_str(struct loader *ld, yaml_node_t *v, void *base, const struct field *f)
{
    ld_string(ld, v, (char *)base + f->offset, f->size);
}

/* An input file named in the config: relative to the config's directory,
 * so a config and its databases can move together. */
void ld_f_path(struct loader *ld, yaml_node_t *v, void *base, const struct field *f)
{
    char raw[CONFIG_STR];
    if (ld_string(ld, v, raw, sizeof(raw)) != 0) return;
    char *dst = (char *)base + f->offset;
    ld_resolve(ld, raw, dst, f->size);
    if (strlen(ld->dir) + strlen(raw) + 1 >= f->size && raw[0] != '/' && raw[0])
        ld_error(ld, v, "path too long once joined to '%s'", ld->dir);
}

void ld_f_int(struct loader *ld, yaml_node_t *v, void *base, const struct field *f)
{
    long long x;
    if (ld_int(ld, v, f->min, f->max, &x) == 0) *(int *)((char *)base + f->offset) = (int)x;
}

void ld_f_u32(struct loader *ld, yaml_node_t *v, void *base, const struct field *f)
{
    long long x;
    if (ld_int(ld, v, f->min, f->max, &x) == 0)
        *(uint32_t *)((char *)base + f->offset) = (uint32_t)x;
}

void ld_f_bool(struct loader *ld, yaml_node_t *v, void *base, const struct field *f)
{
    ld_bool(ld, v, (int *)((char *)base + f->offset));
}

/* aux: NULL-terminated names; the value stored is the name's index. */
void ld_f_enum(struct loader *ld, yaml_node_t *v, void *base, const struct field *f)
{
    const char *const *names = f->aux;
    const char *s = ld_scalar(ld, v, "a string");
    if (!s) return;
    for (int i = 0; names[i]; i++)
        if (!strcmp(s, names[i])) {
            *(int *)((char *)base + f->offset) = i;
            return;
        }
    char list[256] = "";
    for (int i = 0; names[i]; i++) {
        size_t len = strlen(list);
        snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", names[i]);
    }
    ld_error(ld, v, "'%s' is not one of: %s", s, list);
}

/* A nested mapping whose fields are offsets from the same base. */
void ld_f_map(struct loader *ld, yaml_node_t *v, void *base, const struct field *f)
{
    ld_map(ld, v, f->aux, base);
}

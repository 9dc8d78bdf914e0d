/* Shared by the correlation tests: a small JSON reader for the records the
 * correlator writes (values by path, "incident.hosts.1.role"), zones from
 * a config, events built by address, and a sink that keeps every record. */
#ifndef TEST_CORRELATE_H
#define TEST_CORRELATE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "correlate/correlate.h"
#include "enrich/zones.h"

/* ---- JSON: parsed into a tree; every record must parse whole ---- */

struct jv {
    char type; /* o a s n t f z */
    char *str;
    double num;
    size_t n;
    char **keys;
    struct jv **items;
};

static inline struct jv *j_value(const char **p, const char *end);

static inline void j_ws(const char **p, const char *end)
{
    while (*p < end && (**p == ' ' || **p == '\n' || **p == '\t' || **p == '\r'))
        (*p)++;
}

/* Strings of the records are ASCII; \uXXXX below 0x80 and the short
 * escapes are decoded, anything else fails the test. */
static inline char *j_string(const char **p, const char *end)
{
    assert_true(*p < end && **p == '"');
    (*p)++;
    char *out = malloc((size_t)(end - *p) + 1), *o = out;
    assert_non_null(out);
    while (*p < end && **p != '"') {
        char ch = *(*p)++;
        assert_true((unsigned char)ch >= 0x20);
        if (ch == '\\') {
            assert_true(*p < end);
            char e = *(*p)++;
            const char *m = strchr("\"\\/bfnrt", e);
            if (m) {
                *o++ = "\"\\/\b\f\n\r\t"[m - "\"\\/bfnrt"];
                continue;
            }
            assert_true(e == 'u' && end - *p >= 4);
            unsigned v;
            assert_int_equal(sscanf(*p, "%4x", &v), 1);
            assert_true(v < 0x80);
            *o++ = (char)v;
            *p += 4;
            continue;
        }
        *o++ = ch;
    }
    assert_true(*p < end);
    (*p)++;
    *o = '\0';
    return out;
}

static inline void j_push(struct jv *v, char *key, struct jv *item)
{
    v->keys = realloc(v->keys, (v->n + 1) * sizeof(*v->keys));
    v->items = realloc(v->items, (v->n + 1) * sizeof(*v->items));
    assert_true(v->keys && v->items);
    v->keys[v->n] = key;
    v->items[v->n++] = item;
}

static inline struct jv *j_value(const char **p, const char *end)
{
    struct jv *v = calloc(1, sizeof(*v));
    assert_non_null(v);
    j_ws(p, end);
    assert_true(*p < end);
    char ch = **p;
    if (ch == '{' || ch == '[') {
        v->type = ch == '{' ? 'o' : 'a';
        (*p)++;
        j_ws(p, end);
        if (*p < end && **p == (ch == '{' ? '}' : ']')) {
            (*p)++;
            return v;
        }
        for (;;) {
            char *key = NULL;
            if (v->type == 'o') {
                j_ws(p, end);
                key = j_string(p, end);
                j_ws(p, end);
                assert_true(*p < end && **p == ':');
                (*p)++;
            }
            j_push(v, key, j_value(p, end));
            j_ws(p, end);
            assert_true(*p < end);
            if (**p == ',') {
                (*p)++;
                continue;
            }
            assert_true(**p == (v->type == 'o' ? '}' : ']'));
            (*p)++;
            return v;
        }
    }
    if (ch == '"') {
        v->type = 's';
        v->str = j_string(p, end);
    } else if (end - *p >= 4 && !strncmp(*p, "true", 4)) {
        v->type = 't';
        *p += 4;
    } else if (end - *p >= 5 && !strncmp(*p, "false", 5)) {
        v->type = 'f';
        *p += 5;
    } else if (end - *p >= 4 && !strncmp(*p, "null", 4)) {
        v->type = 'z';
        *p += 4;
    } else {
        char *e;
        v->type = 'n';
        v->num = strtod(*p, &e);
        assert_true(e > *p && e <= end);
        *p = e;
    }
    return v;
}

static inline struct jv *jparse(const char *s)
{
    const char *p = s, *end = s + strlen(s);
    struct jv *v = j_value(&p, end);
    j_ws(&p, end);
    assert_true(p == end);
    return v;
}

static inline void jfree(struct jv *v)
{
    if (!v) return;
    for (size_t i = 0; i < v->n; i++) {
        free(v->keys[i]);
        jfree(v->items[i]);
    }
    free(v->keys);
    free(v->items);
    free(v->str);
    free(v);
}

/* "a.b.2.c": members by name, array elements by number; NULL if absent. */
static inline const struct jv *jpath(const struct jv *v, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *save, *t = strtok_r(buf, ".", &save); t && v; t = strtok_r(NULL, ".", &save)) {
        const struct jv *next = NULL;
        if (v->type == 'o') {
            for (size_t i = 0; i < v->n; i++)
                if (!strcmp(v->keys[i], t)) next = v->items[i];
        } else if (v->type == 'a') {
            size_t i = strtoul(t, NULL, 10);
            if (i < v->n) next = v->items[i];
        }
        v = next;
    }
    return v;
}

static inline const char *jstr(const struct jv *v, const char *path)
{
    const struct jv *x = jpath(v, path);
    if (!x || x->type != 's') fail_msg("%s: not a string", path);
    return x->str;
}

static inline long long jnum(const struct jv *v, const char *path)
{
    const struct jv *x = jpath(v, path);
    if (!x || x->type != 'n') fail_msg("%s: not a number", path);
    return (long long)x->num;
}

static inline size_t jlen(const struct jv *v, const char *path)
{
    const struct jv *x = jpath(v, path);
    if (!x || (x->type != 'a' && x->type != 'o')) fail_msg("%s: not an array", path);
    return x->n;
}

/* The strings of an array joined with ',': "TA0008,TA0002". */
static inline const char *jlist(const struct jv *v, const char *path)
{
    static char buf[4096];
    const struct jv *x = jpath(v, path);
    if (!x || x->type != 'a') fail_msg("%s: not an array", path);
    buf[0] = '\0';
    for (size_t i = 0; i < x->n; i++) {
        assert_int_equal(x->items[i]->type, 's');
        if (i) strcat(buf, ",");
        strcat(buf, x->items[i]->str);
    }
    return buf;
}

/* ---- the records a correlator writes ---- */

struct records {
    char **line;
    size_t n;
};

static inline void rec_sink(void *ud, const char *json, size_t len)
{
    struct records *r = ud;
    assert_int_equal(strlen(json), len); /* NUL-terminated, no newline */
    r->line = realloc(r->line, (r->n + 1) * sizeof(*r->line));
    assert_non_null(r->line);
    r->line[r->n] = malloc(len + 1);
    assert_non_null(r->line[r->n]);
    memcpy(r->line[r->n], json, len);
    r->line[r->n][len] = '\0';
    r->n++;
}

static inline void rec_clear(struct records *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->line[i]);
    free(r->line);
    r->line = NULL;
    r->n = 0;
}

/* Record i, parsed (free with jfree). */
static inline struct jv *rec(const struct records *r, size_t i)
{
    assert_true(i < r->n);
    struct jv *v = jparse(r->line[i]);
    assert_string_equal(jstr(v, "event_type"), "incident");
    return v;
}

/* ---- zones and events ---- */

static const char zones_yaml[] = "zones:\n"
                                 "  - name: users\n"
                                 "    cidrs: [10.1.0.0/16, \"fd00:1::/64\"]\n"
                                 "    criticality: low\n"
                                 "  - name: servers\n"
                                 "    cidrs: [10.2.0.0/16]\n"
                                 "    criticality: high\n"
                                 "  - name: dc\n"
                                 "    cidrs: [10.3.0.0/16]\n"
                                 "    criticality: critical\n"
                                 "  - name: staff\n"
                                 "    cidrs: [10.4.0.0/16]\n";

static inline struct zones *test_zones(void)
{
    char path[] = "/tmp/vigie-test-corr-XXXXXX", err[4096];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, zones_yaml, sizeof(zones_yaml) - 1),
                     (ssize_t)sizeof(zones_yaml) - 1);
    close(fd);
    struct config cfg;
    int n = config_load(&cfg, path, err, sizeof(err));
    unlink(path);
    if (n) fail_msg("config: %s", err);
    struct zones *z = zones_create(&cfg, err, sizeof(err));
    if (!z) fail_msg("zones: %s", err);
    config_free(&cfg);
    return z;
}

static inline struct corr_host host(const struct zones *z, const char *s)
{
    struct corr_host h = {0};
    if (strchr(s, ':')) {
        h.family = 6;
        assert_int_equal(inet_pton(AF_INET6, s, h.addr), 1);
    } else {
        h.family = 4;
        h.addr[10] = h.addr[11] = 0xFF;
        assert_int_equal(inet_pton(AF_INET, s, h.addr + 12), 1);
    }
    h.zone = zones_lookup(z, h.addr);
    return h;
}

#define SEC 1000000ull
#define T0 (1689093696ull * SEC) /* 2023-07-11T16:41:36 */

/* An event: techniques is a NULL-terminated list (NULL for none). */
static inline struct corr_event event(const struct zones *z, enum corr_kind kind, uint64_t ts,
                                      const char *src, const char *dst, const char *detector,
                                      const char *const *techniques)
{
    struct corr_event ev = {.kind = kind, .ts_us = ts, .detector = detector, .severity = 2};
    ev.src = host(z, src);
    ev.dst = host(z, dst);
    for (size_t i = 0; techniques && techniques[i] && i < CORR_MAX_TECHNIQUES; i++)
        ev.techniques[ev.ntechniques++] = techniques[i];
    return ev;
}

static const char *const SMB[] = {"T1021.002", NULL};  /* lateral movement */
static const char *const WMI[] = {"T1047", NULL};      /* execution */
static const char *const SCAN[] = {"T1046", NULL};     /* discovery: no pivot */
static const char *const RDP[] = {"T1021.001", NULL};  /* an allowed admin flow */
static const char *const POLICY[] = {"TA0008", NULL};  /* a bare tactic */
static const char *const KERB[] = {"T1558.003", NULL}; /* credential access */

struct harness {
    struct zones *z;
    struct correlator *c;
    struct records r;
};

static inline void harness_open(struct harness *h, uint32_t timeout_s, uint32_t max_open)
{
    memset(h, 0, sizeof(*h));
    h->z = test_zones();
    struct corr_settings set = {.enabled = 1, .timeout_s = timeout_s, .max_open = max_open};
    h->c = correlate_create(&set, h->z, "span-test", rec_sink, &h->r);
    assert_non_null(h->c);
}

static inline void harness_close(struct harness *h)
{
    correlate_destroy(h->c);
    zones_destroy(h->z);
    rec_clear(&h->r);
}

/* Feeds an event and publishes, as the alert stage does; returns 1 if it
 * joined an incident (id filled). */
static inline int feed(struct harness *h, const struct corr_event *ev, char id[CORR_ID_LEN])
{
    char tmp[CORR_ID_LEN];
    int r = correlate_event(h->c, ev, id ? id : tmp);
    correlate_publish(h->c);
    return r;
}

#endif

/* The detector declarations (detect/registry.h) against what documents
 * them: well-formed declarations; the README's "## Detectors" table and
 * the shipped config/vigie.yaml's detect: section name the same detectors
 * (both ways), the README row the same ATT&CK ids, vigie.yaml only declared
 * thresholds within their bounds; and, when ../shared is there, SPEC
 * section 7's table the same ids and ATT&CK ids. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <yaml.h>

#include "detect/attack.h"
#include "detect/detect.h"

static char srcdir[1024];

static int setup(void **state)
{
    (void)state;
    /* CMake compiles with absolute paths: the source tree is __FILE__ less
     * tests/unit/test_detectors.c. */
    snprintf(srcdir, sizeof(srcdir), "%s", __FILE__);
    char *p = strstr(srcdir, "/tests/unit/");
    if (p) *p = '\0';
    return 0;
}

/* --- reading the documents --------------------------------------------------- */

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

#define MAX_ROWS 64
#define MAX_CELL 512

struct table {
    size_t rows;
    char id[MAX_ROWS][MAX_CELL], attack[MAX_ROWS][MAX_CELL];
};

static void trim_into(char *dst, const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    assert_true(n < MAX_CELL);
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* Cell k (from 0) of a "| a | b |" line, trimmed. */
static int cell(const char *line, size_t k, char *out)
{
    const char *p = strchr(line, '|'), *end = strchr(line, '\n');
    if (!end) end = line + strlen(line);
    for (size_t i = 0; p && p < end; i++) {
        const char *q = memchr(p + 1, '|', (size_t)(end - p - 1));
        if (!q) return 0;
        if (i == k) {
            trim_into(out, p + 1, (size_t)(q - p - 1));
            return 1;
        }
        p = q;
    }
    return 0;
}

/* The first table of the section whose heading starts with heading: the
 * "detector" and "ATT&CK" columns of each row. */
static void read_table(const char *text, const char *heading, struct table *t)
{
    memset(t, 0, sizeof(*t));
    const char *p = strstr(text, heading);
    assert_non_null(p);
    p = strchr(p + 1, '\n'); /* the end of the heading line */
    long id_col = -1, attack_col = -1;
    for (; p && *++p && strncmp(p, "## ", 3) != 0; p = strchr(p, '\n')) {
        if (*p != '|') {
            if (id_col >= 0) break; /* the table ended */
            continue;
        }
        char c[MAX_CELL];
        if (id_col < 0) { /* the header */
            for (size_t k = 0; cell(p, k, c); k++) {
                if (!strcmp(c, "detector")) id_col = (long)k;
                if (!strcmp(c, "ATT&CK")) attack_col = (long)k;
            }
            assert_true(id_col >= 0 && attack_col >= 0);
            continue;
        }
        if (cell(p, 0, c) && c[0] == '-') continue; /* |---|---| */
        assert_true(t->rows < MAX_ROWS);
        assert_true(cell(p, (size_t)id_col, t->id[t->rows]));
        assert_true(cell(p, (size_t)attack_col, t->attack[t->rows]));
        t->rows++;
    }
    assert_true(t->rows > 0);
}

/* Splits s at " / " in place. */
static size_t split_slash(char *s, char **parts, size_t max)
{
    size_t n = 0;
    for (char *p = s; p && n < max;) {
        parts[n++] = p;
        if ((p = strstr(p, " / "))) {
            *p = '\0';
            p += 3;
        }
    }
    return n;
}

/* The ATT&CK ids written in s: T1234, T1234.001, TA0008; "T1021.x" (the
 * technique, a sub-technique per variant) is T1021; "—" is none. */
static size_t technique_ids(const char *s, char ids[][16], size_t max)
{
    size_t n = 0;
    for (const char *p = s; *p; p++) {
        if (*p != 'T' || (p > s && isalnum((unsigned char)p[-1]))) continue;
        size_t len = p[1] == 'A' ? 2 : 1;
        size_t digits = 0;
        while (isdigit((unsigned char)p[len + digits]))
            digits++;
        if (digits != 4) continue;
        len += 4;
        if (p[len] == '.' && isdigit((unsigned char)p[len + 1]) &&
            isdigit((unsigned char)p[len + 2]) && isdigit((unsigned char)p[len + 3]))
            len += 4;
        assert_true(n < max && len < 16);
        memcpy(ids[n], p, len);
        ids[n++][len] = '\0';
        p += len - 1;
    }
    return n;
}

/* The row's ATT&CK ids (cell part) are exactly d's techniques. */
static void check_techniques(const char *doc, const struct detector *d, const char *part)
{
    char ids[16][16];
    size_t n = technique_ids(part, ids, 16), declared = 0;
    while (declared < 8 && d->info.techniques[declared])
        declared++;
    for (size_t i = 0; i < n; i++) {
        int found = 0;
        for (size_t j = 0; j < declared; j++)
            found |= !strcmp(ids[i], d->info.techniques[j]);
        if (!found) fail_msg("%s: %s lists %s, not declared", doc, d->info.id, ids[i]);
    }
    for (size_t j = 0; j < declared; j++) {
        int found = 0;
        for (size_t i = 0; i < n; i++)
            found |= !strcmp(ids[i], d->info.techniques[j]);
        if (!found)
            fail_msg("%s: %s declares %s, not listed", doc, d->info.id, d->info.techniques[j]);
    }
}

/* Every row's ids declared, with their ATT&CK ids; every declared id in
 * exactly one row. Ids joined with " / " share a row, their ATT&CK ids
 * too, in the same order. */
static void check_table(const char *doc, struct table *t)
{
    int seen[DETECT_MAX] = {0};
    for (size_t r = 0; r < t->rows; r++) {
        char *ids[8], *attack[8];
        size_t n = split_slash(t->id[r], ids, 8);
        size_t na = split_slash(t->attack[r], attack, 8);
        if (na != n) fail_msg("%s: row '%s': %zu ids, %zu ATT&CK parts", doc, ids[0], n, na);
        for (size_t i = 0; i < n; i++) {
            int k = detect_index(ids[i]);
            if (k < 0) fail_msg("%s: '%s' is not a declared detector", doc, ids[i]);
            if (seen[k]++) fail_msg("%s: '%s' listed twice", doc, ids[i]);
            check_techniques(doc, detect_get((size_t)k), attack[i]);
        }
    }
    for (size_t i = 0; i < detect_count(); i++)
        if (!seen[i]) fail_msg("%s: detector '%s' is missing", doc, detect_get(i)->info.id);
}

/* --- the tests ----------------------------------------------------------------- */

static void test_declarations(void **state)
{
    (void)state;
    assert_true(detect_count() > 0 && detect_count() <= DETECT_MAX);
    assert_null(detect_get(detect_count()));
    assert_int_equal(detect_index("no_such_detector"), -1);
    for (size_t i = 0; i < detect_count(); i++) {
        const struct detector *d = detect_get(i);
        assert_ptr_equal(detect_find(d->info.id), d);
        assert_int_equal(detect_index(d->info.id), (int)i);
        assert_true(d->info.sid > 0 && d->info.category && d->info.severity >= 1 &&
                    d->info.severity <= 3);
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(detect_get(j)->info.sid, d->info.sid);
        for (size_t t = 0; t < 8 && d->info.techniques[t]; t++)
            assert_string_not_equal(attack_name(d->info.techniques[t]), d->info.techniques[t]);
        assert_true(d->on_start || d->on_classified || d->on_event || d->on_end || d->tick);
        if (d->state) assert_true(d->state->name && d->state->init && d->state->free);
        for (size_t p = 0; p < DETECT_MAX_PARAMS && d->params[p].name; p++) {
            const struct detect_param *x = &d->params[p];
            assert_true(x->min >= 1 && x->min <= x->def && x->def <= x->max);
            assert_string_not_equal(x->name, "enabled");
            for (size_t q = 0; q < p; q++)
                assert_string_not_equal(d->params[q].name, x->name);
        }
    }
}

static void test_readme_table(void **state)
{
    (void)state;
    char path[1200];
    snprintf(path, sizeof(path), "%s/README.md", srcdir);
    char *text = read_text(path);
    assert_non_null(text);
    static struct table t;
    read_table(text, "\n## Detectors", &t);
    check_table("README.md", &t);
    free(text);
}

/* SPEC section 7 is the contract; ../shared holds it next to the repo. */
static void test_spec_table(void **state)
{
    (void)state;
    char path[1200];
    snprintf(path, sizeof(path), "%s/../shared/SPEC.md", srcdir);
    char *text = read_text(path);
    if (!text) skip();
    static struct table t;
    read_table(text, "\n## 7. Detectors", &t);
    check_table("SPEC.md", &t);
    free(text);
}

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    assert_int_equal(map->type, YAML_MAPPING_NODE);
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key))
            return yaml_document_get_node(doc, p->value);
    }
    return NULL;
}

/* One detector's entry: "id: bool" or a mapping of enabled and declared
 * thresholds, each within its bounds; every threshold documented. */
static void check_yaml_detector(yaml_document_t *doc, const struct detector *d, yaml_node_t *v)
{
    if (v->type == YAML_SCALAR_NODE) return;
    assert_int_equal(v->type, YAML_MAPPING_NODE);
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const char *key = (const char *)yaml_document_get_node(doc, p->key)->data.scalar.value;
        yaml_node_t *val = yaml_document_get_node(doc, p->value);
        if (!strcmp(key, "enabled")) continue;
        size_t j = 0;
        while (j < DETECT_MAX_PARAMS && d->params[j].name && strcmp(d->params[j].name, key))
            j++;
        if (j == DETECT_MAX_PARAMS || !d->params[j].name)
            fail_msg("vigie.yaml: detect.%s.%s is not a declared threshold", d->info.id, key);
        assert_int_equal(val->type, YAML_SCALAR_NODE);
        char *end;
        long x = strtol((const char *)val->data.scalar.value, &end, 10);
        if (*end || x < (long)d->params[j].min || x > (long)d->params[j].max)
            fail_msg("vigie.yaml: detect.%s.%s: %s is not in %u..%u", d->info.id, key,
                     (const char *)val->data.scalar.value, d->params[j].min, d->params[j].max);
    }
    for (size_t j = 0; j < DETECT_MAX_PARAMS && d->params[j].name; j++)
        if (!map_get(doc, v, d->params[j].name))
            fail_msg("vigie.yaml: detect.%s does not document '%s'", d->info.id, d->params[j].name);
}

static void test_shipped_config_detect(void **state)
{
    (void)state;
    char path[1200];
    snprintf(path, sizeof(path), "%s/config/vigie.yaml", srcdir);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    yaml_parser_t parser;
    yaml_document_t doc;
    assert_true(yaml_parser_initialize(&parser));
    yaml_parser_set_input_file(&parser, f);
    assert_true(yaml_parser_load(&parser, &doc));
    yaml_node_t *detect = map_get(&doc, yaml_document_get_root_node(&doc), "detect");
    assert_non_null(detect);
    assert_int_equal(detect->type, YAML_MAPPING_NODE);
    int seen[DETECT_MAX] = {0};
    for (yaml_node_pair_t *p = detect->data.mapping.pairs.start; p < detect->data.mapping.pairs.top;
         p++) {
        const char *key = (const char *)yaml_document_get_node(&doc, p->key)->data.scalar.value;
        if (!strcmp(key, "dedup_window")) continue;
        int k = detect_index(key);
        if (k < 0) fail_msg("vigie.yaml: detect.%s is not a declared detector", key);
        seen[k]++;
        check_yaml_detector(&doc, detect_get((size_t)k), yaml_document_get_node(&doc, p->value));
    }
    for (size_t i = 0; i < detect_count(); i++)
        if (seen[i] != 1)
            fail_msg("vigie.yaml: detect.%s appears %d times", detect_get(i)->info.id, seen[i]);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_declarations),
        cmocka_unit_test(test_readme_table),
        cmocka_unit_test(test_spec_table),
        cmocka_unit_test(test_shipped_config_detect),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

/* ransom_pattern: smb_ransomware's re-extension pattern. Originals read
 * and replaced by a new extension (new file + delete, or in-place rewrite
 * + rename) count, whatever the order of the steps; files the client made,
 * copies that keep their original, renames that keep the extension or
 * write nothing, and originals whose name comes back do not. Per client,
 * within the window, with the burst forgotten after a hit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "detect/ransom_pattern.h"

#define NEED 10
#define WINDOW 3600

enum { OPEN = 1, CREATE = 2, OVERWRITE_IF = 5 };

struct run {
    struct ransom_pattern *p;
    uint8_t client[16];
    uint64_t now_us;
    uint32_t need, window;
    int hits;
    struct ransom_pattern_hit hit;
};

static int setup(void **state)
{
    static struct run r;
    memset(&r, 0, sizeof(r));
    r.p = ransom_pattern_create();
    r.client[15] = 5;
    r.now_us = 1700000000ull * 1000000u;
    r.need = NEED, r.window = WINDOW;
    *state = &r;
    return r.p ? 0 : -1;
}

static int teardown(void **state)
{
    ransom_pattern_destroy(((struct run *)*state)->p);
    return 0;
}

/* One event, a tenth of a second after the previous one. */
static void ev(struct run *r, enum dissect_event_type type, const char *name, const char *new_name,
               uint32_t disposition, uint32_t status)
{
    struct dissect_event e;
    memset(&e, 0, sizeof(e));
    e.type = type;
    e.status = status;
    e.u.file.share = "data";
    e.u.file.name = name;
    e.u.file.new_name = new_name;
    e.u.file.disposition = disposition;
    r->now_us += 100000;
    struct ransom_pattern_hit h;
    if (ransom_pattern_event(r->p, r->client, &e, r->now_us, r->need, r->window, &h)) {
        r->hits++;
        r->hit = h;
    }
}

static void open_(struct run *r, const char *name)
{
    ev(r, EV_SMB_CREATE, name, NULL, OPEN, 0);
}
static void make(struct run *r, const char *name)
{
    ev(r, EV_SMB_CREATE, name, NULL, CREATE, 0);
    ev(r, EV_SMB_WRITE, name, NULL, 0, 0);
}

/* The Zeek trace's way: read a.docx, write a.enc, delete a.docx. */
static void encrypt_delete(struct run *r, int i, const char *ext, const char *new_ext)
{
    char orig[64], new_name[64];
    snprintf(orig, sizeof(orig), "docs\\file%02d%s", i, ext);
    snprintf(new_name, sizeof(new_name), "docs\\file%02d%s", i, new_ext);
    open_(r, orig);
    make(r, new_name);
    open_(r, orig);
    ev(r, EV_SMB_DELETE, orig, NULL, 0, 0);
}

static void test_reext_delete(void **state)
{
    struct run *r = *state;
    for (int i = 0; i < 9; i++)
        encrypt_delete(r, i, ".docx", ".enc");
    assert_int_equal(r->hits, 0);
    encrypt_delete(r, 9, ".docx", ".enc");
    assert_int_equal(r->hits, 1);
    assert_int_equal(r->hit.files, 10);
    assert_int_equal(r->hit.deleted, 10);
    assert_int_equal(r->hit.renamed, 0);
    assert_string_equal(r->hit.first_original, "docs\\file00.docx");
    assert_string_equal(r->hit.first_new, "docs\\file00.enc");
    assert_string_equal(r->hit.last_original, "docs\\file09.docx");
    assert_string_equal(r->hit.last_new, "docs\\file09.enc");
    /* The burst is forgotten: ten more for the next hit. */
    for (int i = 10; i < 19; i++)
        encrypt_delete(r, i, ".pdf", ".pdf.crypt");
    assert_int_equal(r->hits, 1);
    encrypt_delete(r, 19, ".pdf", ".pdf.crypt");
    assert_int_equal(r->hits, 2);
    assert_string_equal(r->hit.last_new, "docs\\file19.pdf.crypt");
}

/* Delete first, then the new name; case and separators do not matter. */
static void test_any_order(void **state)
{
    struct run *r = *state;
    for (int i = 0; i < 10; i++) {
        char orig[64], new_name[64];
        snprintf(orig, sizeof(orig), "\\Docs\\File%02d.XLSX", i);
        snprintf(new_name, sizeof(new_name), "docs/file%02d.xlsx.locked", i);
        open_(r, orig);
        ev(r, EV_SMB_DELETE, orig, NULL, 0, 0);
        ev(r, EV_SMB_CREATE, new_name, NULL, OVERWRITE_IF, 0);
    }
    assert_int_equal(r->hits, 1);
    assert_int_equal(r->hit.files, 10);
}

/* Read, rewrite in place, rename to a new extension (the scenario), and
 * rename first then write through the same handle. */
static void test_rewrite_rename(void **state)
{
    struct run *r = *state;
    for (int i = 0; i < 10; i++) {
        char orig[64], new_name[64];
        snprintf(orig, sizeof(orig), "rh\\d%02d.pdf", i);
        snprintf(new_name, sizeof(new_name), "rh\\d%02d.pdf.locked", i);
        open_(r, orig);
        if (i % 2) ev(r, EV_SMB_WRITE, orig, NULL, 0, 0);
        ev(r, EV_SMB_RENAME, orig, new_name, 0, 0);
        if (!(i % 2)) ev(r, EV_SMB_WRITE, orig, NULL, 0, 0);
    }
    assert_int_equal(r->hits, 1);
    assert_int_equal(r->hit.renamed, 10);
    assert_string_equal(r->hit.first_new, "rh\\d00.pdf.locked");
}

/* Renames alone: the extension kept, or changed without a write. */
static void test_renames_only(void **state)
{
    struct run *r = *state;
    for (int i = 0; i < 20; i++) {
        char orig[64], new_name[64];
        snprintf(orig, sizeof(orig), "photos\\IMG_%04d.jpeg", i);
        snprintf(new_name, sizeof(new_name),
                 i % 2 ? "photos\\trip%02d.jpeg" : "photos\\IMG_%04d.jpg", i);
        open_(r, orig);
        ev(r, EV_SMB_RENAME, orig, new_name, 0, 0);
    }
    assert_int_equal(r->hits, 0);
}

/* name.tmp written, name.docx written, name.tmp deleted: the client made
 * the "original". Copies beside originals that stay. */
static void test_made_and_copies(void **state)
{
    struct run *r = *state;
    for (int i = 0; i < 20; i++) {
        char tmp[64], doc[64];
        snprintf(tmp, sizeof(tmp), "memo%02d.tmp", i);
        snprintf(doc, sizeof(doc), "memo%02d.docx", i);
        make(r, tmp);
        if (i % 2) open_(r, tmp); /* reopened before the document is written */
        make(r, doc);
        open_(r, tmp);
        ev(r, EV_SMB_DELETE, tmp, NULL, 0, 0);
        snprintf(doc, sizeof(doc), "data%02d.csv", i);
        snprintf(tmp, sizeof(tmp), "data%02d.csv.bak", i);
        open_(r, doc);
        make(r, tmp);
    }
    assert_int_equal(r->hits, 0);
}

/* Replaced through a temporary name (sync tools), or Word's swap: the
 * original's name comes back, its count is withdrawn. */
static void test_restored(void **state)
{
    struct run *r = *state;
    for (int i = 0; i < 20; i++) {
        char orig[64], tmp[64], wrl[64];
        snprintf(orig, sizeof(orig), "plan%02d.xlsx", i);
        snprintf(tmp, sizeof(tmp), "plan%02d.xlsx.tmp", i);
        snprintf(wrl, sizeof(wrl), "~WRL%04d.tmp", i);
        open_(r, orig);
        make(r, tmp);
        if (i % 2) {
            ev(r, EV_SMB_DELETE, orig, NULL, 0, 0);
        } else {
            ev(r, EV_SMB_RENAME, orig, wrl, 0, 0);
            ev(r, EV_SMB_DELETE, wrl, NULL, 0, 0);
        }
        ev(r, EV_SMB_RENAME, tmp, orig, 0, 0);
    }
    assert_int_equal(r->hits, 0);
    /* All deferred: nine pending, then restored, then ten more are needed. */
    for (int i = 0; i < 9; i++)
        encrypt_delete(r, 40 + i, ".odt", ".enc");
    for (int i = 0; i < 9; i++) {
        char orig[64];
        snprintf(orig, sizeof(orig), "docs\\file%02d.odt", 40 + i);
        make(r, orig);
    }
    encrypt_delete(r, 49, ".odt", ".enc");
    assert_int_equal(r->hits, 0);
}

/* Failed opens, streams, empty names and other events change nothing. */
static void test_ignored(void **state)
{
    struct run *r = *state;
    for (int i = 0; i < 20; i++) {
        char orig[64], new_name[64];
        snprintf(orig, sizeof(orig), "f%02d.doc", i);
        snprintf(new_name, sizeof(new_name), "f%02d.enc", i);
        ev(r, EV_SMB_CREATE, orig, NULL, OPEN, 0xc0000034);
        make(r, new_name);
        ev(r, EV_SMB_DELETE, orig, NULL, 0, 0);
        snprintf(orig, sizeof(orig), "g%02d.doc:Zone.Identifier", i);
        snprintf(new_name, sizeof(new_name), "g%02d.enc:Zone.Identifier", i);
        open_(r, orig);
        make(r, new_name);
        ev(r, EV_SMB_DELETE, orig, NULL, 0, 0);
        ev(r, EV_SMB_CREATE, "", NULL, OPEN, 0);
        ev(r, EV_SMB_TREE_CONNECT, NULL, NULL, 0, 0);
    }
    assert_int_equal(r->hits, 0);
}

/* One file every 10 minutes: counted over a long window, not a short one. */
static void test_window(void **state)
{
    struct run *r = *state;
    r->window = 3600;
    for (int i = 0; i < 12; i++) {
        encrypt_delete(r, i, ".docx", ".enc");
        r->now_us += 600ull * 1000000u;
    }
    assert_int_equal(r->hits, 0);
    /* The same files over a day: the next one makes 13. */
    r->window = 86400;
    encrypt_delete(r, 12, ".docx", ".enc");
    assert_int_equal(r->hits, 1);
    assert_int_equal(r->hit.files, 13);
}

/* Per client: two clients of five files each are no burst; a threshold
 * beyond the table is the table's size. */
static void test_clients_and_bounds(void **state)
{
    struct run *r = *state;
    for (int i = 0; i < 10; i++) {
        r->client[15] = (uint8_t)(5 + i % 2);
        encrypt_delete(r, i, ".docx", ".enc");
    }
    assert_int_equal(r->hits, 0);
    r->client[15] = 7;
    r->need = 100000;
    for (int i = 0; i < (int)RANSOM_PATTERN_MAX; i++)
        encrypt_delete(r, i, ".docx", ".enc");
    assert_int_equal(r->hits, 1);
    assert_int_equal(r->hit.files, RANSOM_PATTERN_MAX);
    /* Many clients: the table stays fixed, the oldest are replaced. */
    r->need = NEED;
    for (int c = 0; c < 2000; c++) {
        r->client[14] = (uint8_t)(c >> 8), r->client[15] = (uint8_t)c;
        encrypt_delete(r, c, ".docx", ".enc");
    }
    assert_int_equal(r->hits, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reext_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_any_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rewrite_rename, setup, teardown),
        cmocka_unit_test_setup_teardown(test_renames_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_made_and_copies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clients_and_bounds, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

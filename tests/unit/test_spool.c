#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/spool.h"

struct fixture {
    char dir[64];
    char path[128];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/vigie-spool-XXXXXX");
    if (!f || !mkdtemp(f->dir)) return -1;
    snprintf(f->path, sizeof(f->path), "%s/s1.spool", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) return -1;
    free(f);
    return 0;
}

static struct spool *open_ok(struct fixture *f, uint64_t max)
{
    char err[256] = "";
    struct spool *s = spool_open(f->dir, "s1", max, err, sizeof(err));
    if (!s) fail_msg("spool_open: %s", err);
    return s;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static char *read_file(const char *path)
{
    static char buf[4096];
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

/* Reads every pending record, checks "{"n":i}" for i in [first, first+count). */
static void drain_expect(struct spool *s, int first, int count)
{
    struct spool_record recs[64];
    int seen = 0, n;
    uint64_t prev = 0;
    while ((n = spool_peek(s, recs, 64)) > 0) {
        for (int i = 0; i < n; i++) {
            char want[32];
            snprintf(want, sizeof(want), "{\"n\":%d}", first + seen + i);
            assert_int_equal(recs[i].len, strlen(want));
            assert_memory_equal(recs[i].json, want, recs[i].len);
            assert_true(recs[i].seq > prev);
            prev = recs[i].seq;
        }
        spool_consume(s, recs, (size_t)n);
        seen += n;
    }
    assert_int_equal(n, 0);
    assert_int_equal(seen, count);
    assert_int_equal(spool_pending(s), 0);
}

static void add_range(struct spool *s, int first, int count)
{
    for (int i = first; i < first + count; i++) {
        char json[32];
        int len = snprintf(json, sizeof(json), "{\"n\":%d}", i);
        assert_true(spool_add(s, SPOOL_ALERT, json, (size_t)len) > 0);
    }
    assert_int_equal(spool_flush(s), 0);
}

static void test_append_read_reset(void **state)
{
    struct fixture *f = *state;
    struct spool *s = open_ok(f, 0);
    assert_int_equal(spool_pending(s), 0);
    add_range(s, 0, 1000);
    assert_int_equal(spool_pending(s), 1000);
    /* Not drained yet: nothing is emptied. */
    assert_int_equal(spool_trim(s), 0);
    drain_expect(s, 0, 1000);
    uint64_t last = spool_last_seq(s);
    assert_int_equal(spool_trim(s), 1);
    char want[64];
    snprintf(want, sizeof(want), "#seq %llu\n", (unsigned long long)last);
    assert_string_equal(read_file(f->path), want);
    /* Appends after a reset go to the new file. */
    add_range(s, 1000, 5);
    drain_expect(s, 1000, 5);
    spool_close(s);
}

static void test_restart_keeps_undelivered(void **state)
{
    struct fixture *f = *state;
    struct spool *s = open_ok(f, 0);
    add_range(s, 0, 100);
    struct spool_record recs[40];
    assert_int_equal(spool_peek(s, recs, 40), 40);
    uint64_t delivered = recs[39].seq;
    spool_consume(s, recs, 40);
    spool_close(s);

    /* A restart knows nothing until Redis tells it the delivered mark. */
    s = open_ok(f, 0);
    assert_int_equal(spool_pending(s), 100);
    assert_int_equal(spool_rewind(s, delivered), 0);
    assert_int_equal(spool_pending(s), 60);
    drain_expect(s, 40, 60);
    /* Rewinding to an older mark (Redis restored from an old snapshot)
     * resends what the file still has. */
    assert_int_equal(spool_rewind(s, 0), 0);
    assert_int_equal(spool_pending(s), 100);
    drain_expect(s, 0, 100);
    spool_close(s);
}

static void test_torn_last_line(void **state)
{
    struct fixture *f = *state;
    mkdir(f->dir, 0700);
    write_file(f->path, "100\t{\"n\":0}\n101\t{\"n\":1}\n102\t{\"n\":2}\n103\t{\"n\":3");
    struct spool *s = open_ok(f, 0);
    assert_int_equal(spool_pending(s), 3);
    /* The torn record is gone from the file, so appends start on a line. */
    assert_string_equal(read_file(f->path), "100\t{\"n\":0}\n101\t{\"n\":1}\n102\t{\"n\":2}\n");
    add_range(s, 3, 2);
    drain_expect(s, 0, 5);
    spool_close(s);

    /* A crash in the middle of the sequence number itself. */
    write_file(f->path, "100\t{\"n\":0}\n10");
    s = open_ok(f, 0);
    assert_int_equal(spool_pending(s), 1);
    drain_expect(s, 0, 1);
    spool_close(s);
}

static void test_malformed_lines_skipped(void **state)
{
    struct fixture *f = *state;
    write_file(f->path, "garbage\n100\t{\"n\":0}\n\n#seq x\n101 no tab\n0\t{}\n"
                        "101\t{\"n\":1}\n102\t\n");
    struct spool *s = open_ok(f, 0);
    assert_int_equal(spool_pending(s), 2);
    drain_expect(s, 0, 2);
    spool_close(s);
}

static void test_sequence_continuity(void **state)
{
    struct fixture *f = *state;
    /* A previous run whose clock was far ahead: seq must not go back. */
    uint64_t future = (uint64_t)time(NULL) * 1000000u + 86400ull * 1000000u * 365;
    char text[128];
    snprintf(text, sizeof(text), "%llu\t{\"n\":0}\n", (unsigned long long)future);
    write_file(f->path, text);
    struct spool *s = open_ok(f, 0);
    assert_int_equal(spool_last_seq(s), future);
    assert_int_equal(spool_add(s, SPOOL_ALERT, "{}", 2), future + 1);
    assert_int_equal(spool_add(s, SPOOL_ALERT, "{}", 2), future + 2);
    spool_flush(s);
    assert_int_equal(spool_rewind(s, future + 2), 0);
    assert_int_equal(spool_pending(s), 0);
    assert_int_equal(spool_trim(s), 1);
    spool_close(s);
    /* Only the checkpoint is left, and it carries the sequence on. */
    s = open_ok(f, 0);
    assert_int_equal(spool_pending(s), 0);
    assert_int_equal(spool_last_seq(s), future + 2);
    assert_int_equal(spool_add(s, SPOOL_ALERT, "{}", 2), future + 3);
    /* A delivered mark above everything (another spool file was lost). */
    spool_flush(s);
    assert_int_equal(spool_rewind(s, future + 100), 0);
    assert_int_equal(spool_add(s, SPOOL_ALERT, "{}", 2), future + 101);
    spool_close(s);
}

static void test_full_counts_lost(void **state)
{
    struct fixture *f = *state;
    struct spool *s = open_ok(f, 4096);
    int added = 0;
    for (int i = 0; i < 200; i++) {
        char json[32];
        int len = snprintf(json, sizeof(json), "{\"n\":%d}", i);
        if (spool_add(s, SPOOL_ALERT, json, (size_t)len)) added++;
    }
    spool_flush(s);
    assert_true(added > 50 && added < 200);
    assert_int_equal(spool_lost(s), 200 - added);
    assert_true(spool_bytes(s) <= 4096);
    drain_expect(s, 0, added);
    /* Emptied, it takes records again. */
    assert_int_equal(spool_trim(s), 1);
    assert_true(spool_add(s, SPOOL_ALERT, "{}", 2) > 0);
    spool_close(s);
}

static void add_big(struct spool *s, int first, int count)
{
    char json[1000];
    for (int i = first; i < first + count; i++) {
        int len = snprintf(json, sizeof(json), "{\"n\":%d,\"pad\":\"", i);
        while (len < 990)
            json[len++] = 'x';
        json[len++] = '"';
        json[len++] = '}';
        assert_true(spool_add(s, SPOOL_ALERT, json, (size_t)len) > 0);
    }
    assert_int_equal(spool_flush(s), 0);
}

static int big_n(const struct spool_record *r)
{
    return atoi(r->json + 5);
}

static void consume_big(struct spool *s, int first, int count)
{
    struct spool_record recs[64];
    for (int done = 0; done < count;) {
        size_t want = (size_t)(count - done) < 64 ? (size_t)(count - done) : 64;
        int n = spool_peek(s, recs, want);
        assert_true(n > 0);
        for (int i = 0; i < n; i++)
            assert_int_equal(big_n(&recs[i]), first + done + i);
        spool_consume(s, recs, (size_t)n);
        done += n;
    }
}

/* A backlog that never drains: the delivered head is cut off. */
static void test_compaction(void **state)
{
    struct fixture *f = *state;
    struct spool *s = open_ok(f, 0);
    add_big(s, 0, 50000);
    consume_big(s, 0, 20000);
    assert_int_equal(spool_trim(s), 0); /* head smaller than twice the tail */
    consume_big(s, 20000, 20000);
    uint64_t last = spool_last_seq(s);
    assert_int_equal(spool_trim(s), 1);
    assert_true(spool_bytes(s) < 11u << 20);
    assert_int_equal(spool_pending(s), 10000);
    consume_big(s, 40000, 10);
    spool_close(s);
    /* The new file starts with the checkpoint, then the pending tail. */
    s = open_ok(f, 0);
    assert_int_equal(spool_last_seq(s), last);
    assert_int_equal(spool_pending(s), 10000);
    consume_big(s, 40000, 10000);
    spool_close(s);

    /* Full: the delivered head makes room for new records. */
    unlink(f->path);
    s = open_ok(f, 1u << 20);
    add_big(s, 0, 1000);
    assert_int_equal(spool_lost(s), 0);
    consume_big(s, 0, 500);
    /* A transaction in flight across the rewrite still consumes right. */
    struct spool_record held[10];
    assert_int_equal(spool_peek(s, held, 10), 10);
    assert_int_equal(big_n(&held[0]), 500);
    add_big(s, 1000, 400);
    assert_int_equal(spool_lost(s), 0);
    assert_true(spool_bytes(s) < 1u << 20);
    spool_consume(s, held, 10);
    consume_big(s, 510, 490);
    consume_big(s, 1000, 400);
    assert_int_equal(spool_pending(s), 0);
    spool_close(s);
}

/* A compaction that cannot write (here the temporary file's name is taken
 * by a directory; as root, permissions would not stop it) is counted and
 * keeps everything; the next one that can, succeeds. */
static void test_compaction_failure_counted(void **state)
{
    struct fixture *f = *state;
    struct spool *s = open_ok(f, 0);
    char blocker[160], inside[192];
    snprintf(blocker, sizeof(blocker), "%s.tmp", f->path);
    snprintf(inside, sizeof(inside), "%s/x", blocker);
    assert_int_equal(mkdir(blocker, 0700), 0);
    write_file(inside, "x");
    add_range(s, 0, 10);
    drain_expect(s, 0, 10);
    assert_int_equal(spool_errors(s), 0);
    assert_int_equal(spool_trim(s), -1);
    assert_int_equal(spool_errors(s), 1);
    assert_int_equal(spool_trim(s), -1);
    assert_int_equal(spool_errors(s), 2);
    assert_int_equal(unlink(inside), 0);
    assert_int_equal(rmdir(blocker), 0);
    assert_int_equal(spool_trim(s), 1);
    assert_int_equal(spool_errors(s), 2);
    add_range(s, 10, 3);
    drain_expect(s, 10, 3);
    spool_close(s);
}

static void test_newline_and_long_records(void **state)
{
    struct fixture *f = *state;
    struct spool *s = open_ok(f, 0);
    assert_true(spool_add(s, SPOOL_ALERT, "{\"a\":\n1}", 8) > 0);
    size_t big = 3u << 20; /* longer than the read window */
    char *json = malloc(big);
    memset(json, 'x', big);
    json[0] = '"';
    json[big - 1] = '"';
    assert_true(spool_add(s, SPOOL_ALERT, json, big) > 0);
    assert_int_equal(spool_flush(s), 0);
    spool_close(s);
    s = open_ok(f, 0);
    assert_int_equal(spool_pending(s), 2);
    struct spool_record recs[4];
    int n = spool_peek(s, recs, 4);
    assert_true(n >= 1);
    assert_memory_equal(recs[0].json, "{\"a\": 1}", 8);
    spool_consume(s, recs, 1);
    assert_int_equal(spool_peek(s, recs, 4), 1);
    assert_int_equal(recs[0].len, big);
    assert_memory_equal(recs[0].json, json, big);
    free(json);
    spool_close(s);
}

static void test_lock_and_bad_dir(void **state)
{
    struct fixture *f = *state;
    char err[256] = "";
    struct spool *s = open_ok(f, 0);
    assert_null(spool_open(f->dir, "s1", 0, err, sizeof(err)));
    assert_non_null(strstr(err, "in use"));
    spool_close(s);
    s = open_ok(f, 0); /* the lock went with the close */
    spool_close(s);

    char bad[160];
    snprintf(bad, sizeof(bad), "%s/s1.spool/sub", f->dir); /* under a regular file */
    err[0] = '\0';
    assert_null(spool_open(bad, "s1", 0, err, sizeof(err)));
    assert_non_null(strstr(err, "spool_dir"));
    assert_non_null(strstr(err, bad));
}

/* Alerts and incident records in one file and one sequence: an alert's
 * line is untagged (the format spools had before incidents), an
 * incident's carries "i"; kinds and counts survive a restart. */
static void test_kinds_in_one_sequence(void **state)
{
    struct fixture *f = *state;
    struct spool *s = open_ok(f, 0);
    uint64_t a = spool_add(s, SPOOL_ALERT, "{\"n\":0}", 7);
    uint64_t i = spool_add(s, SPOOL_INCIDENT, "{\"n\":1}", 7);
    uint64_t b = spool_add(s, SPOOL_ALERT, "{\"n\":2}", 7);
    assert_true(a < i && i < b);
    assert_int_equal(spool_flush(s), 0);
    char want[160];
    snprintf(want, sizeof(want), "%llu\t{\"n\":0}\n%llu\ti\t{\"n\":1}\n%llu\t{\"n\":2}\n",
             (unsigned long long)a, (unsigned long long)i, (unsigned long long)b);
    assert_string_equal(read_file(f->path), want);
    assert_int_equal(spool_pending(s), 3);
    assert_int_equal(spool_pending_kind(s, SPOOL_ALERT), 2);
    assert_int_equal(spool_pending_kind(s, SPOOL_INCIDENT), 1);
    spool_close(s);

    s = open_ok(f, 0);
    assert_int_equal(spool_pending_kind(s, SPOOL_ALERT), 2);
    assert_int_equal(spool_pending_kind(s, SPOOL_INCIDENT), 1);
    struct spool_record recs[4];
    assert_int_equal(spool_peek(s, recs, 4), 3);
    const enum spool_kind kinds[] = {SPOOL_ALERT, SPOOL_INCIDENT, SPOOL_ALERT};
    for (int k = 0; k < 3; k++) {
        snprintf(want, sizeof(want), "{\"n\":%d}", k);
        assert_int_equal(recs[k].kind, kinds[k]);
        assert_int_equal(recs[k].len, strlen(want));
        assert_memory_equal(recs[k].json, want, recs[k].len);
    }
    spool_consume(s, recs, 2);
    assert_int_equal(spool_pending_kind(s, SPOOL_ALERT), 1);
    assert_int_equal(spool_pending_kind(s, SPOOL_INCIDENT), 0);
    /* The delivered mark splits the kinds the same way. */
    assert_int_equal(spool_rewind(s, a), 0);
    assert_int_equal(spool_pending_kind(s, SPOOL_ALERT), 1);
    assert_int_equal(spool_pending_kind(s, SPOOL_INCIDENT), 1);
    assert_int_equal(spool_peek(s, recs, 4), 2);
    assert_int_equal(recs[0].seq, i);
    assert_int_equal(recs[0].kind, SPOOL_INCIDENT);
    spool_close(s);
}

/* A spool the previous version wrote delivers as alerts; a tag this
 * version does not know is skipped as malformed, not taken for JSON. */
static void test_old_format_and_unknown_tags(void **state)
{
    struct fixture *f = *state;
    write_file(f->path, "#seq 99\n100\t{\"n\":0}\n101\ti\t{\"n\":1}\n102\tx\t{\"n\":9}\n"
                        "103\ti\t\n104\t{\"n\":2}\n");
    struct spool *s = open_ok(f, 0);
    assert_int_equal(spool_pending_kind(s, SPOOL_ALERT), 2);
    assert_int_equal(spool_pending_kind(s, SPOOL_INCIDENT), 1);
    assert_int_equal(spool_last_seq(s), 104);
    struct spool_record recs[8];
    assert_int_equal(spool_peek(s, recs, 8), 3);
    assert_int_equal(recs[0].kind, SPOOL_ALERT);
    assert_int_equal(recs[1].kind, SPOOL_INCIDENT);
    assert_int_equal(recs[2].kind, SPOOL_ALERT);
    assert_int_equal(recs[2].seq, 104);
    assert_memory_equal(recs[1].json, "{\"n\":1}", 7);
    spool_close(s);
    /* Only alerts, as before incidents: the same records as ever. */
    write_file(f->path, "100\t{\"n\":0}\n101\t{\"n\":1}\n");
    s = open_ok(f, 0);
    assert_int_equal(spool_pending_kind(s, SPOOL_INCIDENT), 0);
    drain_expect(s, 0, 2);
    spool_close(s);
}

/* Losses are counted by kind. */
static void test_full_counts_lost_by_kind(void **state)
{
    struct fixture *f = *state;
    struct spool *s = open_ok(f, 1024);
    const char *rec = "{\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxx\"}";
    while (spool_add(s, SPOOL_ALERT, rec, 35))
        ;
    assert_int_equal(spool_lost_kind(s, SPOOL_ALERT), 1);
    assert_int_equal(spool_add(s, SPOOL_INCIDENT, rec, 35), 0);
    assert_int_equal(spool_add(s, SPOOL_INCIDENT, "", 0), 0);
    assert_int_equal(spool_lost_kind(s, SPOOL_INCIDENT), 2);
    assert_int_equal(spool_lost(s), 3);
    spool_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_append_read_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_keeps_undelivered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_last_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_lines_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sequence_continuity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_counts_lost, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compaction_failure_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newline_and_long_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_and_bad_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kinds_in_one_sequence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_format_and_unknown_tags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_counts_lost_by_kind, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

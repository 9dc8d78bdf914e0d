/* smb.c, smb1.c, smb2.c at their limits: bounded tables, large writes
 * parsed from their prefix and gaps, also through the real engine
 * (dissectors/engine.c); resynchronisation; truncation at every length and
 * hostile lengths. */
#include "test_smb.h"

static void test_tables_bounded(void **state)
{
    (void)state;
    open_file("data", "f0", 1, 0, 1000);
    B.n = 0;
    for (int i = 1; i < 3 * SMB_FILES; i++) {
        char name[16];
        snprintf(name, sizeof(name), "f%d", i);
        FRAME(create_req(1000 + (uint64_t)i, 7, name, 1, 0, 0));
    }
    feed(1, B.b, B.n);
    B.n = 0;
    for (int i = 1; i < 3 * SMB_FILES; i++)
        FRAME(create_rsp(1000 + (uint64_t)i, 7, 0, 1000 + (uint64_t)i));
    feed(0, B.b, B.n);
    finish();
    assert_int_equal(count(EV_SMB_CREATE), 3 * SMB_FILES);
    B.n = 0;
    FRAME(write_req(5000, 7, 1000 + 3 * SMB_FILES - 1, 0, "x", 1, 0));
    FRAME(write_req(5001, 7, 1000, 0, "x", 1, 0));
    feed(1, B.b, B.n);
    assert_string_equal(find(EV_SMB_WRITE, 0)->a, "f47");
    assert_string_equal(find(EV_SMB_WRITE, 1)->a, "(null)");
}

/* Pipe fid 9 on tree 7 (IPC$) opened and bound, then tree 8 on share. */
static void pipe_and_share(const char *pipe, const char *share)
{
    char path[64];
    snprintf(path, sizeof(path), "\\\\srv\\%s", share);
    open_file("IPC$", pipe, 1, 0, 9);
    B.n = 0;
    FRAME(write_req(200, 7, 9, 0, rpc_bind, sizeof(rpc_bind), 0));
    FRAME(tree_req(201, path));
    feed(1, B.b, B.n);
    B.n = 0;
    FRAME(tree_rsp(201, 8, 0));
    feed(0, B.b, B.n);
}

/* A request on pipe fid 9 names the pipe and its bound interface. */
static void pipe_still_bound(const char *pipe)
{
    B.n = 0;
    FRAME(ioctl_req(400, 7, 9, rpc_request, sizeof(rpc_request)));
    feed(1, B.b, B.n);
    const struct ev *r = find(EV_DCERPC_REQUEST, 0);
    assert_non_null(r);
    assert_string_equal(r->c, pipe);
    assert_int_equal(r->uuid_known, 1);
}

/* A pipe outlives a burst of file opens that fills the table: its
 * DCE-RPC still names it and its interface. */
static void test_pipe_outlives_file_burst(void **state)
{
    (void)state;
    pipe_and_share("svcctl", "C$");
    for (uint64_t i = 0; i < 3 * SMB_FILES; i++) {
        char name[16];
        snprintf(name, sizeof(name), "doc%llu", (unsigned long long)i);
        B.n = 0;
        FRAME(create_req(300 + i, 8, name, 1, 0, 0));
        feed(1, B.b, B.n);
        B.n = 0;
        FRAME(create_rsp(300 + i, 8, 0, 1000 + i));
        feed(0, B.b, B.n);
    }
    pipe_still_bound("svcctl");
    /* the most recent file is still known, the oldest made room */
    B.n = 0;
    FRAME(write_req(401, 8, 1000 + 3 * SMB_FILES - 1, 0, "x", 1, 0));
    FRAME(write_req(402, 8, 1000, 0, "x", 1, 0));
    feed(1, B.b, B.n);
    assert_string_equal(find(EV_SMB_WRITE, 0)->a, "doc47");
    assert_string_equal(find(EV_SMB_WRITE, 1)->a, "(null)");
}

/* Ends a compounded command started at h: padded to 8 bytes, its
 * NextCommand (MS-SMB2 2.2.1) pointing after it. */
static void chain_next(size_t h)
{
    while ((B.n - h) % 8)
        p8(&B, 0);
    uint32_t next = (uint32_t)(B.n - h);
    memcpy(B.b + h + 20, &next, 4);
}

static void close_req(uint64_t mid, uint32_t tid, uint64_t fid, uint32_t flags)
{
    hdr2(6, mid, tid, 0, flags);
    p16(&B, 24), p16(&B, 0), p32(&B, 0), p64(&B, fid), p64(&B, fid);
}

static void close_rsp(uint64_t mid, uint32_t tid, uint32_t flags)
{
    hdr2(6, mid, tid, 0, RSP | flags);
    p16(&B, 60), zeros(&B, 58);
}

/* MS-SMB2 3.2.4.1.4: CREATE + CLOSE in one compound, the CLOSE naming the
 * file by the related FileId (all ones) before the CREATE response gives
 * it. Many of those (as a macOS client browsing a share) must not take
 * the slots of open files: the bound pipe keeps its name and interface. */
static void test_compound_close_frees_file(void **state)
{
    (void)state;
    pipe_and_share("mdssvc", "data");
    const uint64_t n = 3 * SMB_FILES;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t mid = 300 + 2 * i;
        size_t h;
        B.n = 0;
        FRAME(h = create_req(mid, 8, "dir", 1, 0, 0); chain_next(h);
              close_req(mid + 1, UINT32_MAX, UINT64_MAX, RELATED));
        feed(1, B.b, B.n);
        B.n = 0;
        FRAME(h = B.n; create_rsp(mid, 8, 0, 1000 + i); chain_next(h);
              close_rsp(mid + 1, 8, RELATED));
        feed(0, B.b, B.n);
    }
    assert_int_equal(count(EV_SMB_CREATE), 1 + n);
    pipe_still_bound("mdssvc");
    /* The file a compound closed is gone: a write to its id has no name. */
    B.n = 0;
    FRAME(write_req(401, 8, 1000 + n - 1, 0, "x", 1, 0));
    feed(1, B.b, B.n);
    assert_string_equal(find(EV_SMB_WRITE, 0)->a, "(null)");
}

/* A related CLOSE after an operation naming an open closes that open. */
static void test_related_close_after_fid(void **state)
{
    (void)state;
    open_file("data", "a.txt", 1, 0, 5);
    size_t h;
    B.n = 0;
    FRAME(h = write_req(10, 7, 5, 0, "x", 1, 0); chain_next(h);
          close_req(11, UINT32_MAX, UINT64_MAX, RELATED));
    FRAME(write_req(12, 7, 5, 0, "y", 1, 0));
    feed(1, B.b, B.n);
    assert_string_equal(find(EV_SMB_WRITE, 0)->a, "a.txt");
    assert_string_equal(find(EV_SMB_WRITE, 1)->a, "(null)");
}

/* A message larger than the engine buffers is parsed from its prefix and
 * the rest skipped; the message after it is found. A write to an open
 * that may be a pipe waits for SMB_WAIT_MAX bytes (DCE-RPC to read); one
 * to a file known as such is parsed from its fixed part, nothing held. */
static void test_large_write_prefix(void **state)
{
    (void)state;
    open_file("data", "big.bin", 5, 0, 5);
    static uint8_t data[30000];
    data[0] = 'M', data[1] = 'Z';
    B.n = 0;
    FRAME(write_req(10, 7, 9, 0, data, sizeof(data), 0)); /* FileId 9: never seen */
    size_t first = B.n;
    FRAME(write_req(11, 7, 5, 0, data, sizeof(data), 0));
    size_t total = B.n - first;
    FRAME(create_req(12, 7, "after.txt", 1, 0, 0));
    assert_int_equal(dissector_smb.parse(&dc, st, 1, B.b, 1000), 0);
    assert_int_equal(dissector_smb.parse(&dc, st, 1, B.b, 2048), (long)first);
    assert_int_equal(find(EV_SMB_WRITE, 0)->length, sizeof(data));
    assert_int_equal(find(EV_SMB_WRITE, 0)->pe, 1);
    assert_int_equal(dissector_smb.parse(&dc, st, 1, B.b + first, 4 + 64 + 48 + 1), 0);
    assert_int_equal(dissector_smb.parse(&dc, st, 1, B.b + first, 4 + 64 + 48 + 2), (long)total);
    assert_string_equal(find(EV_SMB_WRITE, 1)->a, "big.bin");
    assert_int_equal(find(EV_SMB_WRITE, 1)->pe, 1);
    feed(1, B.b + first + total, B.n - first - total);
    finish();
    assert_string_equal(find(EV_SMB_CREATE, 1)->a, "after.txt");
}

/* The same through dissectors/engine.c, in 1448-byte segments with a hole. */
static void engine_event(void *ud, void *f, const struct dissect_event *e)
{
    (void)ud, (void)f;
    record(e);
}

static void test_engine_segments_and_gap(void **state)
{
    (void)state;
    static uint8_t data[30000];
    B.n = 0;
    FRAME(tree_req(1, "\\\\srv\\data"));
    FRAME(write_req(2, 7, 5, 0, data, sizeof(data), 0));
    FRAME(write_req(3, 7, 5, 0, data, sizeof(data), 0));
    FRAME(create_req(4, 7, "after-gap.txt", 1, 0, 0));
    struct dissect_engine *e = dissect_create(engine_event, NULL);
    struct dissect_slot slot = {0};
    struct dissect_flow_info f = {.proto = 6, .server_port = 445};
    struct dissect_segment p = {.to_server = 1};
    for (size_t off = 0, seg = 0; off < B.n; off += 1448, seg++) {
        p.payload = B.b + off;
        p.len = (uint32_t)(B.n - off < 1448 ? B.n - off : 1448);
        p.tcp_seq = 1 + (uint32_t)off;
        if (seg != 30) dissect_packet(e, &slot, &f, NULL, &p); /* inside the second write */
    }
    dissect_flow_end(e, &slot, &f, NULL, 0);
    struct dissect_stats s;
    dissect_get_stats(e, &s);
    dissect_destroy(e);
    assert_int_equal(s.gaps, 1);
    assert_int_equal(count(EV_SMB_WRITE), 2);
    assert_string_equal(find(EV_SMB_TREE_CONNECT, 0)->b, "data");
    assert_string_equal(find(EV_SMB_CREATE, 0)->a, "after-gap.txt");
}

static void test_resync_after_gap(void **state)
{
    (void)state;
    B.n = 0;
    put(&B, "garbage bytes \0\0\0\0\xfeSM", 20);
    FRAME(create_req(1, 7, "x.txt", 1, 0, 0));
    dissector_smb.gap(st, 1);
    feed(1, B.b, B.n);
    finish();
    assert_string_equal(find(EV_SMB_CREATE, 0)->a, "x.txt");
    /* Not SMB at all: the flow is given up after a bounded scan. */
    static uint8_t junk[4096];
    memset(junk, 'A', sizeof(junk));
    long r = 0;
    for (int i = 0; i < 1000 && r != DISSECT_STOP; i++)
        r = dissector_smb.parse(&dc, st, 0, junk, sizeof(junk));
    assert_int_equal(r, DISSECT_STOP);
}

/* Every message cut at every length, the NetBIOS length saying it is
 * complete: no read past the cut (ASan), no crash. */
static void test_truncated_every_length(void **state)
{
    (void)state;
    uint8_t blob[512];
    size_t n = ntlm_auth(blob, "alice", "CORP", "WS01");
    struct buf *all = calloc(1, sizeof(*all));
    B.n = 0;
    FRAME(session_req(2, blob, (uint16_t)n));
    FRAME(tree_req(3, "\\\\srv\\ADMIN$"));
    FRAME(tree_rsp(3, 7, 0));
    FRAME(create_req(4, 7, "a.exe", 2, 0, 0));
    FRAME(create_rsp(4, 7, 0, 9));
    FRAME(write_req(5, 7, 9, 0, "MZ..", 4, 0));
    FRAME(rename_req(6, 7, 9, "b.exe"));
    FRAME(ioctl_req(7, 7, 9, rpc_request, sizeof(rpc_request)));
    FRAME(delete_req(8, 7, 9, 13));
    memcpy(all, &B, sizeof(B));
    for (size_t m = 0; m < all->n;) {
        size_t len = 4 + ((size_t)all->b[m + 1] << 16 | (size_t)all->b[m + 2] << 8 | all->b[m + 3]);
        for (size_t cut = 4; cut < len; cut++) {
            uint8_t *msg = malloc(cut);
            memcpy(msg, all->b + m, cut);
            msg[1] = 0, msg[2] = (uint8_t)((cut - 4) >> 8), msg[3] = (uint8_t)(cut - 4);
            for (int dir = 0; dir < 2; dir++)
                feed(dir, msg, cut);
            assert_int_equal(dissector_smb.parse(&dc, st, 1, all->b + m, cut), 0);
            free(msg);
        }
        m += len;
    }
    free(all);
}

/* Offsets and lengths pointing anywhere; NextCommand and AndX loops. */
static void test_hostile_lengths(void **state)
{
    (void)state;
    uint32_t seed = 12345;
    for (int iter = 0; iter < 20000; iter++) {
        B.n = 0;
        nev = 0;
        int smb1 = iter & 1;
        FRAME(if (smb1) hdr1((uint8_t)(iter >> 1), 0, (uint8_t)(iter & 0x80), 7, 1);
              else hdr2((uint16_t)((iter >> 1) % 20), 1, 7, 0, (uint32_t)(iter & 5));
              for (int i = 0; i < 120; i++) {
                  seed = seed * 1103515245u + 12345u;
                  p8(&B, (uint8_t)(seed >> 16));
              });
        if (!smb1 && iter % 3 == 0) memcpy(B.b + 24, "\x40\0\0\0", 4); /* NextCommand 64 */
        feed(iter & 2 ? 1 : 0, B.b, B.n);
    }
    nev = 0;
    finish();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tables_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compound_close_frees_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipe_outlives_file_burst, setup, teardown),
        cmocka_unit_test_setup_teardown(test_related_close_after_fid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_write_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_engine_segments_and_gap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resync_after_gap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_every_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_lengths, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

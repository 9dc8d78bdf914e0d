/* Per-flow dissector memory (dissectors/dissect_mem.c, engine.c, the SMB
 * tables): the pool's free lists, SMB state small until the session opens
 * things and grown to its limits only, reassembly buffers held only while
 * a record is incomplete, HTTP request strings only while a request's
 * headers are read, every byte counted and given back at flow end,
 * and no libc allocation for a flow like one seen before. */
/* The SMB message builders; not every one is used here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "test_smb.h"
#pragma GCC diagnostic pop

static void engine_event(void *ud, void *f, const struct dissect_event *e)
{
    (void)ud, (void)f;
    record(e);
}

static struct dissect_engine *E;
static struct dissect_slot slot;
static const struct dissect_flow_info fi = {.proto = 6, .client_port = 50000, .server_port = 445};
static uint32_t seq[2];

static int eng_setup(void **state)
{
    (void)state;
    nev = 0;
    B.n = 0;
    memset(&slot, 0, sizeof(slot));
    seq[0] = 1000, seq[1] = 90000;
    E = dissect_create(engine_event, NULL);
    return E ? 0 : -1;
}

static int eng_teardown(void **state)
{
    (void)state;
    dissect_destroy(E);
    return 0;
}

static struct dissect_stats stats(void)
{
    struct dissect_stats s;
    dissect_get_stats(E, &s);
    return s;
}

/* B's bytes as one segment of the flow (to_server: 1 client, 0 server),
 * then B emptied. */
static void send_part(int to_server, size_t from, size_t n)
{
    struct dissect_segment seg = {.payload = B.b + from,
                                  .len = (uint32_t)n,
                                  .tcp_seq = seq[!to_server],
                                  .to_server = (uint8_t)to_server};
    seq[!to_server] += (uint32_t)n;
    dissect_packet(E, &slot, &fi, NULL, &seg);
}

static void send(int to_server)
{
    send_part(to_server, 0, B.n);
    B.n = 0;
}

#define BEGIN size_t at_ = frame_begin(&B)
#define END frame_end(&B, at_)

static void negotiate(void)
{
    {
        BEGIN;
        hdr2(0, 0, 0, 0, 0);
        p16(&B, 36), p16(&B, 1), p16(&B, 1), p16(&B, 0), p32(&B, 0);
        zeros(&B, 24), p16(&B, 0x0302);
        END;
    }
    send(1);
    {
        BEGIN;
        hdr2(0, 0, 0, 0, RSP);
        p16(&B, 65), p16(&B, 1), p16(&B, 0x0302), zeros(&B, 58);
        END;
    }
    send(0);
}

static void login(void)
{
    uint8_t blob[512];
    size_t n = ntlm_auth(blob, "alice", "CORP", "WS1");
    FRAME(session_req(1, blob, (uint16_t)n));
    send(1);
    BEGIN;
    hdr2(1, 1, 0, 0, RSP);
    p16(&B, 9), p16(&B, 0), p16(&B, 72), p16(&B, 0);
    END;
    send(0);
}

static void tree(uint64_t mid, uint32_t tid, const char *path)
{
    FRAME(tree_req(mid, path));
    send(1);
    FRAME(tree_rsp(mid, tid, 0));
    send(0);
}

static void open_fid(uint64_t mid, uint32_t tid, const char *name, uint64_t fid)
{
    FRAME(create_req(mid, tid, name, 1, 0, 0));
    send(1);
    FRAME(create_rsp(mid, tid, 0, fid));
    send(0);
}

static void close_fid(uint64_t mid, uint32_t tid, uint64_t fid)
{
    BEGIN;
    hdr2(6, mid, tid, 0, 0);
    p16(&B, 24), p16(&B, 0), p32(&B, 0), p64(&B, fid), p64(&B, fid);
    END;
    send(1);
}

static void disconnect(uint64_t mid, uint32_t tid)
{
    BEGIN;
    hdr2(4, mid, tid, 0, 0);
    p16(&B, 4), p16(&B, 0);
    END;
    send(1);
}

/* A session that opens a share and a file, then closes both. */
static void session(void)
{
    negotiate();
    login();
    tree(2, 7, "\\\\srv\\data");
    open_fid(3, 7, "report.docx", 0x42);
    close_fid(4, 7, 0x42);
    disconnect(5, 7);
}

static void test_pool_reuse_and_bound(void **state)
{
    (void)state;
    struct dissect_mem m;
    dissect_mem_init(&m, 1024);
    uint8_t *a = dissect_alloc(&m, 100);
    assert_non_null(a);
    assert_int_equal(m.in_use, 128); /* its class, 120, as glibc's chunk */
    memset(a, 0xAB, 100);
    dissect_free(&m, a, 100);
    assert_int_equal(m.in_use, 0);
    assert_int_equal(m.cached, 128);
    uint8_t *b = dissect_alloc(&m, 110); /* same class: the same block, zeroed */
    assert_ptr_equal(a, b);
    assert_int_equal(m.reused, 1);
    for (int i = 0; i < 120; i++)
        assert_int_equal(b[i], 0);
    /* Grown within its class: kept; past it: moved, contents kept. */
    b[0] = 7;
    assert_ptr_equal(dissect_realloc(&m, b, 110, 120), b);
    uint8_t *c = dissect_realloc(&m, b, 120, 1000);
    assert_non_null(c);
    assert_int_equal(c[0], 7);
    assert_int_equal(c[999], 0);
    assert_int_equal(m.in_use, 1024);
    dissect_free(&m, c, 1000);
    /* Beyond the largest class: exact, never cached. */
    void *big = dissect_alloc(&m, 10000);
    assert_int_equal(m.in_use, 10016); /* and glibc's header, rounded to 16 */
    dissect_free(&m, big, 10000);
    /* The free lists keep at most cache_max bytes. */
    void *blocks[40];
    for (int i = 0; i < 40; i++)
        blocks[i] = dissect_alloc(&m, 128);
    for (int i = 0; i < 40; i++)
        dissect_free(&m, blocks[i], 128);
    assert_int_equal(m.in_use, 0);
    assert_true(m.cached <= 1024);
    dissect_mem_drain(&m);
    assert_int_equal(m.cached, 0);
    /* No pool: libc. */
    void *p = dissect_alloc(NULL, 10);
    assert_non_null(p);
    dissect_free(NULL, p, 10);
}

/* MS-SMB2 sessions: small until a tree and a file are opened, grown then,
 * back to small when they close, nothing left after the flow. */
static void test_smb_small_then_grown(void **state)
{
    (void)state;
    negotiate();
    const uint64_t small = stats().mem_bytes;
    assert_true(small > 0);
    assert_true(small < 1024);
    login();
    const uint64_t logged = stats().mem_bytes; /* + the account */
    assert_true(logged > small);
    assert_true(logged < 1024 + 512);
    tree(2, 7, "\\\\srv\\data");
    open_fid(3, 7, "report.docx", 0x42);
    assert_string_equal(find(EV_SMB_CREATE, 0)->b, "data");
    const uint64_t open = stats().mem_bytes;
    assert_true(open > logged);
    close_fid(4, 7, 0x42);
    disconnect(5, 7);
    /* The pending table goes at the next message. */
    negotiate();
    assert_int_equal(stats().mem_bytes, logged);
    assert_int_equal(stats().buffers, 0);
    dissect_flow_end(E, &slot, &fi, NULL, 0);
    struct dissect_stats s = stats();
    assert_int_equal(s.mem_bytes, 0);
    assert_int_equal(s.active, 0);
    assert_true(s.pool_bytes >= logged); /* back on the free lists */
}

/* A record split over two segments is held, then the buffer goes back; a
 * record whole in its segment is parsed in place, never held. */
static void test_buffer_only_while_incomplete(void **state)
{
    (void)state;
    negotiate();
    tree(2, 7, "\\\\srv\\data");
    assert_int_equal(stats().held, 0);
    const uint64_t before = stats().mem_bytes;
    FRAME(create_req(3, 7, "split-in-two.txt", 1, 0, 0));
    size_t n = B.n;
    send_part(1, 0, 70);
    assert_int_equal(stats().buffers, 1);
    assert_int_equal(stats().held, 1);
    assert_true(stats().mem_bytes > before);
    send_part(1, 70, n - 70);
    B.n = 0;
    assert_int_equal(stats().buffers, 0);
    /* Whole records after it: parsed where they are. */
    FRAME(create_rsp(3, 7, 0, 0x42));
    FRAME(create_req(4, 7, "b.txt", 1, 0, 0));
    send(0);
    assert_int_equal(stats().held, 1);
    assert_string_equal(find(EV_SMB_CREATE, 0)->a, "split-in-two.txt");
    /* The segment that ends a held record also holds the next, whole: that
     * one is parsed in the packet, after the held bytes are done with. */
    FRAME(create_req(5, 7, "held-again.txt", 1, 0, 0));
    size_t first = B.n;
    FRAME(create_req(6, 7, "next-in-place.txt", 1, 0, 0));
    send_part(1, 0, 50);
    assert_int_equal(stats().buffers, 1);
    send_part(1, 50, B.n - 50);
    B.n = 0;
    assert_int_equal(stats().buffers, 0);
    assert_int_equal(stats().held, 2);
    FRAME(create_rsp(5, 7, 0, 0x43));
    FRAME(create_rsp(6, 7, 0, 0x44));
    send(0);
    assert_true(first > 50);
    assert_string_equal(find(EV_SMB_CREATE, 1)->a, "held-again.txt");
    assert_string_equal(find(EV_SMB_CREATE, 2)->a, "next-in-place.txt");
    dissect_flow_end(E, &slot, &fi, NULL, 0);
    assert_int_equal(stats().mem_bytes, 0);
}

/* Flows like ones seen before take every block from the free lists. */
static void test_steady_state_no_malloc(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++) {
        memset(&slot, 0, sizeof(slot));
        session();
        dissect_flow_end(E, &slot, &fi, NULL, 0);
    }
    const struct dissect_stats first = stats();
    memset(&slot, 0, sizeof(slot));
    session();
    dissect_flow_end(E, &slot, &fi, NULL, 0);
    const struct dissect_stats second = stats();
    assert_true(second.allocs > first.allocs);
    assert_int_equal(second.allocs - first.allocs, second.reused - first.reused);
    assert_int_equal(second.mem_bytes, 0);
    assert_int_equal(count(EV_SMB_CREATE), 3);
}

/* Tables stop at their limits (smb.h SMB_TREES, SMB_FILES): opening more
 * replaces entries instead of growing. */
static void test_tables_stop_at_limits(void **state)
{
    (void)state;
    negotiate();
    uint64_t mid = 10;
    char name[32];
    for (uint32_t t = 1; t <= 3 * SMB_TREES; t++) {
        snprintf(name, sizeof(name), "\\\\srv\\s%u", (unsigned)t);
        tree(mid++, t, name);
    }
    for (uint64_t f = 1; f <= 3 * SMB_FILES; f++) {
        snprintf(name, sizeof(name), "f%u", (unsigned)f);
        open_fid(mid++, 1, name, f);
    }
    const uint64_t at_limit = stats().mem_bytes;
    for (uint32_t t = 100; t < 100 + 3 * SMB_TREES; t++)
        tree(mid++, t, "\\\\srv\\more");
    for (uint64_t f = 100; f < 100 + 3 * SMB_FILES; f++)
        open_fid(mid++, 100, "more", f);
    assert_int_equal(stats().mem_bytes, at_limit);
    assert_true(at_limit < 16384);
    assert_int_equal(count(EV_SMB_CREATE), 6 * SMB_FILES);
    dissect_flow_end(E, &slot, &fi, NULL, 0);
    assert_int_equal(stats().mem_bytes, 0);
}

/* HTTP: a request's strings are held from its request line to the end of
 * its headers only. */
static void test_http_strings_while_headers(void **state)
{
    (void)state;
    static const struct dissect_flow_info web = {
        .proto = 6, .client_port = 50001, .server_port = 80};
    static const char req[] = "GET /wsman HTTP/1.1\r\nHost: dc1\r\n\r\n";
    static const char part[] = "POST /wsman HTTP/1.1\r\nHost: dc1\r\n";
    struct dissect_slot s = {0};
    struct dissect_segment seg = {
        .payload = (const uint8_t *)req, .len = sizeof(req) - 1, .tcp_seq = 1, .to_server = 1};
    dissect_packet(E, &s, &web, NULL, &seg);
    assert_int_equal(count(EV_HTTP_REQUEST), 1);
    const uint64_t idle = stats().mem_bytes;
    assert_true(idle > 0);
    assert_true(idle <= 128);
    seg.tcp_seq += seg.len;
    seg.payload = (const uint8_t *)part, seg.len = sizeof(part) - 1;
    dissect_packet(E, &s, &web, NULL, &seg);
    assert_true(stats().mem_bytes > idle + 400); /* method, URI, host, scheme */
    seg.tcp_seq += seg.len;
    seg.payload = (const uint8_t *)"\r\n", seg.len = 2;
    dissect_packet(E, &s, &web, NULL, &seg);
    assert_int_equal(count(EV_HTTP_REQUEST), 2);
    assert_int_equal(stats().mem_bytes, idle);
    dissect_flow_end(E, &s, &web, NULL, 0);
    assert_int_equal(stats().mem_bytes, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_reuse_and_bound),
        cmocka_unit_test_setup_teardown(test_smb_small_then_grown, eng_setup, eng_teardown),
        cmocka_unit_test_setup_teardown(test_buffer_only_while_incomplete, eng_setup, eng_teardown),
        cmocka_unit_test_setup_teardown(test_steady_state_no_malloc, eng_setup, eng_teardown),
        cmocka_unit_test_setup_teardown(test_tables_stop_at_limits, eng_setup, eng_teardown),
        cmocka_unit_test_setup_teardown(test_http_strings_while_headers, eng_setup, eng_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

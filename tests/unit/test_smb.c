/* smb.c, smb1.c, smb2.c on hand-built messages: probe, SMB2 negotiate /
 * session setup (NTLMSSP) / tree connect / create / write / rename / delete
 * / compounds / named pipes to DCE-RPC / transform header; SMB1 AndX
 * chains. Bounds, gaps and hostile input are in test_smb_limits.c. */
#include "test_smb.h"

/* MS-SMB2 2.2.6 SESSION_SETUP response. */
static void session_rsp(uint64_t mid, uint32_t status)
{
    hdr2(1, mid, 0, status, RSP);
    p16(&B, 9), p16(&B, 0), p16(&B, 72), p16(&B, 0);
}

static void test_probe(void **state)
{
    (void)state;
    struct dissect_flow_info f = {.proto = 6};
    B.n = 0;
    FRAME(tree_req(1, "\\\\h\\s"));
    assert_true(dissector_smb.probe(&f, 1, B.b, B.n));
    B.b[4] = 0xff;
    assert_true(dissector_smb.probe(&f, 1, B.b, B.n));
    B.b[4] = 0xfd;
    assert_true(dissector_smb.probe(&f, 1, B.b, B.n));
    B.b[4] = 0xfa;
    assert_false(dissector_smb.probe(&f, 1, B.b, B.n));
    assert_false(dissector_smb.probe(&f, 1, (const uint8_t *)"GET / HTTP/1.1\r\n", 16));
    assert_false(dissector_smb.probe(&f, 1, B.b, 3));
    uint8_t req[72] = {0x81, 0, 0, 68, 32};
    memset(req + 5, 'E', 32);
    assert_true(dissector_smb.probe(&f, 1, req, sizeof(req)));
    /* Mid-stream: a boundary further on counts on the SMB ports only. */
    uint8_t mid[64] = {1, 2, 3, 0, 0, 0, 40, 0xfe, 'S', 'M', 'B'};
    assert_false(dissector_smb.probe(&f, 1, mid, sizeof(mid)));
    f.server_port = 445;
    assert_true(dissector_smb.probe(&f, 1, mid, sizeof(mid)));
}

static void test_session_and_tree(void **state)
{
    (void)state;
    uint8_t blob[512];
    size_t n = ntlm_auth(blob, "alice", "CORP", "WS01");
    B.n = 0;
    FRAME(hdr2(0, 0, 0, 0, RSP); p16(&B, 65); p16(&B, 1); p16(&B, 0x0311));
    feed(0, B.b, B.n);
    B.n = 0;
    FRAME(session_req(2, blob, (uint16_t)n));
    feed(1, B.b, B.n);
    B.n = 0;
    FRAME(session_rsp(2, STATUS_MORE_PROCESSING_REQUIRED));
    FRAME(session_rsp(2, 0));
    feed(0, B.b, B.n);
    assert_int_equal(find(EV_SMB_NEGOTIATE, 0)->dialect, 0x0311);
    assert_string_equal(find(EV_NTLM_AUTH, 0)->a, "alice");
    assert_string_equal(find(EV_NTLM_AUTH, 0)->c, "WS01");
    assert_int_equal(count(EV_AUTH_RESULT), 1);
    assert_int_equal(count(EV_SMB_SESSION_SETUP), 1);
    assert_string_equal(find(EV_AUTH_RESULT, 0)->b, "CORP");

    B.n = 0;
    FRAME(tree_req(3, "\\\\srv\\ADMIN$"));
    FRAME(tree_req(4, "\\\\srv\\C$"));
    FRAME(tree_req(5, "\\\\srv\\never"));
    feed(1, B.b, B.n);
    assert_int_equal(count(EV_SMB_TREE_CONNECT), 0); /* waits for the response */
    B.n = 0;
    FRAME(tree_rsp(3, 7, 0));
    FRAME(tree_rsp(4, 0, 0xC0000022));
    feed(0, B.b, B.n);
    const struct ev *t = find(EV_SMB_TREE_CONNECT, 0);
    assert_string_equal(t->a, "\\\\srv\\ADMIN$");
    assert_string_equal(t->b, "ADMIN$");
    assert_int_equal(find(EV_SMB_TREE_CONNECT, 1)->status, 0xC0000022);
    finish(); /* the unanswered one, as requested */
    t = find(EV_SMB_TREE_CONNECT, 2);
    assert_non_null(t);
    assert_string_equal(t->b, "never");
    assert_int_equal(t->to_server, 1);
}

static void test_create_write_rename_delete(void **state)
{
    (void)state;
    open_file("data", "tools\\nc.exe", 5, 0, 0x42);
    const struct ev *c = find(EV_SMB_CREATE, 0);
    assert_string_equal(c->a, "tools\\nc.exe");
    assert_string_equal(c->b, "data");
    assert_int_equal(c->disposition, 5);
    B.n = 0;
    FRAME(write_req(102, 7, 0x42, 0, "MZ\x90\0", 4, 0));
    FRAME(write_req(103, 7, 0x42, 4, "MZ\x90\0", 4, 0));
    FRAME(write_req(104, 7, 0x99, 0, "abcd", 4, 0));
    FRAME(rename_req(105, 7, 0x42, "tools\\nc.exe.locked"));
    FRAME(delete_req(106, 7, 0x42, 13));
    FRAME(delete_req(107, 7, 0x42, 64));
    feed(1, B.b, B.n);
    const struct ev *w = find(EV_SMB_WRITE, 0);
    assert_string_equal(w->a, "tools\\nc.exe");
    assert_int_equal(w->pe, 1);
    assert_int_equal(w->length, 4);
    assert_int_equal(find(EV_SMB_WRITE, 1)->pe, 0);          /* not at offset 0 */
    assert_string_equal(find(EV_SMB_WRITE, 2)->a, "(null)"); /* unknown FileId */
    assert_string_equal(find(EV_SMB_WRITE, 2)->b, "data");
    assert_string_equal(find(EV_SMB_RENAME, 0)->c, "tools\\nc.exe.locked");
    assert_int_equal(count(EV_SMB_DELETE), 2);
}

static void test_delete_on_close_and_failed_create(void **state)
{
    (void)state;
    open_file("data", "old.tmp", 1, FILE_DELETE_ON_CLOSE, 1);
    assert_string_equal(find(EV_SMB_DELETE, 0)->a, "old.tmp");
    B.n = 0;
    FRAME(create_req(200, 7, "missing.txt", 1, 0, 0));
    feed(1, B.b, B.n);
    B.n = 0;
    FRAME(hdr2(5, 200, 7, STATUS_PENDING, RSP | 2); p16(&B, 9); zeros(&B, 7));
    FRAME(hdr2(5, 200, 7, 0xC0000034, RSP); p16(&B, 9); zeros(&B, 7));
    feed(0, B.b, B.n);
    assert_int_equal(count(EV_SMB_CREATE), 2);
    assert_int_equal(find(EV_SMB_CREATE, 1)->status, 0xC0000034);
}

/* MS-SMB2 3.2.4.1.4: CREATE + WRITE + CLOSE, related, in one message. */
static void test_compound_related(void **state)
{
    (void)state;
    B.n = 0;
    FRAME(tree_req(1, "\\\\srv\\data"));
    feed(1, B.b, B.n);
    B.n = 0;
    FRAME(tree_rsp(1, 7, 0));
    feed(0, B.b, B.n);
    B.n = 0;
    size_t at = frame_begin(&B);
    size_t h1 = create_req(2, 7, "run.bat", 2, 0, 0);
    while ((B.n - h1) % 8)
        p8(&B, 0);
    uint32_t next = (uint32_t)(B.n - h1);
    memcpy(B.b + h1 + 20, &next, 4);
    size_t h2 = write_req(3, UINT32_MAX, UINT64_MAX, 0, "MZ", 2, RELATED);
    while ((B.n - h2) % 8)
        p8(&B, 0);
    next = (uint32_t)(B.n - h2);
    memcpy(B.b + h2 + 20, &next, 4);
    hdr2(6, 4, UINT32_MAX, 0, RELATED);
    p16(&B, 24), p16(&B, 0), p32(&B, 0), p64(&B, UINT64_MAX), p64(&B, UINT64_MAX);
    frame_end(&B, at);
    feed(1, B.b, B.n);
    const struct ev *w = find(EV_SMB_WRITE, 0);
    assert_non_null(w);
    assert_string_equal(w->a, "run.bat");
    assert_string_equal(w->b, "data");
    assert_int_equal(w->pe, 1);
}

static void test_pipe_dcerpc(void **state)
{
    (void)state;
    open_file("IPC$", "svcctl", 1, 0, 9);
    B.n = 0;
    FRAME(write_req(300, 7, 9, 0, rpc_bind, sizeof(rpc_bind), 0));
    FRAME(ioctl_req(301, 7, 9, rpc_request, sizeof(rpc_request)));
    feed(1, B.b, B.n);
    assert_int_equal(count(EV_SMB_WRITE), 0); /* a pipe write is DCE-RPC */
    const struct ev *b = find(EV_DCERPC_BIND, 0);
    assert_non_null(b);
    assert_string_equal(b->c, "svcctl");
    const struct ev *r = find(EV_DCERPC_REQUEST, 0);
    assert_non_null(r);
    assert_int_equal(r->length, 12);
    assert_string_equal(r->c, "svcctl");
}

static void ioctl_rsp(uint64_t mid, uint32_t tid, uint64_t fid_p, uint64_t fid_v, const void *d,
                      uint32_t n)
{
    hdr2(0x0b, mid, tid, 0, RSP);
    p16(&B, 49), p16(&B, 0), p32(&B, FSCTL_PIPE_TRANSCEIVE), p64(&B, fid_p), p64(&B, fid_v);
    p32(&B, 112), p32(&B, 0), p32(&B, 112), p32(&B, n), p32(&B, 0), p32(&B, 0);
    put(&B, d, n);
}

/* The transceive response goes to its request's pipe (by MessageId) even
 * under another FileId, as a macOS server sends: the outcome of the NTLM
 * authentication of the pipe's DCE-RPC (MS-RPCE 2.2.2.11) is seen. */
static void test_pipe_response_by_message_id(void **state)
{
    (void)state;
    open_file("IPC$", "lsarpc", 1, 0, 9);
    uint8_t blob[512];
    uint16_t n = (uint16_t)ntlm_auth(blob, "alice", "CORP", "WS01");
    struct buf *auth3 = calloc(1, sizeof(*auth3));
    put(auth3, "\5\0\x10\3\x10\0\0\0", 8), p16(auth3, (uint16_t)(28 + n)), p16(auth3, n);
    p32(auth3, 1), zeros(auth3, 4);               /* call id; rpc_auth_3 pad */
    p8(auth3, 10), p8(auth3, 2), zeros(auth3, 6); /* sec_trailer: NTLM, connect */
    put(auth3, blob, n);
    static const uint8_t rpc_response[] = {5, 0, 2, 3, 0x10, 0, 0, 0, 24, 0, 0, 0,
                                           2, 0, 0, 0, 0,    0, 0, 0, 0,  0, 0, 0};
    B.n = 0;
    FRAME(write_req(300, 7, 9, 0, rpc_bind, sizeof(rpc_bind), 0));
    FRAME(write_req(301, 7, 9, 0, auth3->b, (uint32_t)auth3->n, 0));
    FRAME(ioctl_req(302, 7, 9, rpc_request, sizeof(rpc_request)));
    feed(1, B.b, B.n);
    free(auth3);
    assert_int_equal(count(EV_NTLM_AUTH), 1);
    B.n = 0;
    FRAME(ioctl_rsp(302, 7, 0, 9, rpc_response, sizeof(rpc_response)));
    feed(0, B.b, B.n);
    const struct ev *a = find(EV_AUTH_RESULT, 0);
    assert_non_null(a);
    assert_int_equal(a->status, 0);
    assert_int_equal(a->to_server, 0);
}

static void test_encrypted_once(void **state)
{
    (void)state;
    B.n = 0;
    for (int i = 0; i < 3; i++)
        FRAME(put(&B, "\xfdSMB", 4); zeros(&B, 48); zeros(&B, 40));
    feed(1, B.b, B.n);
    feed(0, B.b, B.n);
    assert_int_equal(count(EV_SMB_ENCRYPTED), 1);
    assert_int_equal(nev, 1);
}

static void test_smb1(void **state)
{
    (void)state;
    uint8_t blob[512];
    size_t n = ntlm_auth(blob, "bob", "DOM", "PC");
    B.n = 0;
    FRAME(hdr1(0x72, 0, 0x98, 0, 1); p8(&B, 1); p16(&B, 0); p16(&B, 0)); /* negotiate rsp */
    feed(0, B.b, B.n);
    assert_int_equal(find(EV_SMB_NEGOTIATE, 0)->dialect, SMB_DIALECT_SMB1);
    /* SESSION_SETUP_ANDX (extended security) + TREE_CONNECT_ANDX chained. */
    B.n = 0;
    size_t at = frame_begin(&B);
    size_t h = hdr1(0x73, 0, 0x18, 0, 2);
    p8(&B, 12), p8(&B, 0x75), p8(&B, 0), p16(&B, 0); /* AndX offset patched below */
    p16(&B, 4356), p16(&B, 50), p16(&B, 0), p32(&B, 0), p16(&B, (uint16_t)n), p32(&B, 0);
    p32(&B, 0x800000d4), p16(&B, (uint16_t)n), put(&B, blob, n);
    uint16_t andx = (uint16_t)(B.n - h);
    memcpy(B.b + h + 35, &andx, 2);
    p8(&B, 4), p8(&B, 0xff), p8(&B, 0), p16(&B, 0), p16(&B, 0), p16(&B, 1);
    size_t bc = B.n;
    p16(&B, 0), p8(&B, 0);
    if ((B.n - h) % 2) p8(&B, 0);
    utf16(&B, "\\\\SRV\\D$"), p16(&B, 0), put(&B, "?????", 6);
    uint16_t bytes = (uint16_t)(B.n - bc - 2);
    memcpy(B.b + bc, &bytes, 2);
    frame_end(&B, at);
    feed(1, B.b, B.n);
    assert_string_equal(find(EV_NTLM_AUTH, 0)->a, "bob");
    B.n = 0;
    at = frame_begin(&B);
    h = hdr1(0x73, 0, 0x98, 5, 2);
    p8(&B, 4), p8(&B, 0x75), p8(&B, 0);
    size_t ao = B.n;
    p16(&B, 0), p16(&B, 0), p16(&B, 0), p16(&B, 0); /* AndXOffset, Action, blob, bytes */
    andx = (uint16_t)(B.n - h);
    memcpy(B.b + ao, &andx, 2);
    p8(&B, 3), p8(&B, 0xff), p8(&B, 0), p16(&B, 0), p16(&B, 1), p16(&B, 0);
    frame_end(&B, at);
    feed(0, B.b, B.n);
    assert_int_equal(count(EV_SMB_SESSION_SETUP), 1);
    assert_string_equal(find(EV_SMB_TREE_CONNECT, 0)->b, "D$");
    /* NT_CREATE_ANDX, its response, WRITE_ANDX with a PE header. */
    B.n = 0;
    FRAME(h = hdr1(0xa2, 0, 0x18, 5, 3); p8(&B, 24); p8(&B, 0xff); zeros(&B, 34); p32(&B, 5);
          p32(&B, 0); zeros(&B, 5); p16(&B, 22); p8(&B, 0); utf16(&B, "\\evil.dll"); p16(&B, 0));
    feed(1, B.b, B.n);
    B.n = 0;
    FRAME(hdr1(0xa2, 0, 0x98, 5, 3); p8(&B, 34); p8(&B, 0xff); zeros(&B, 4); p16(&B, 0x4001);
          zeros(&B, 61); p16(&B, 0));
    feed(0, B.b, B.n);
    assert_string_equal(find(EV_SMB_CREATE, 0)->a, "\\evil.dll");
    assert_string_equal(find(EV_SMB_CREATE, 0)->b, "D$");
    B.n = 0;
    FRAME(h = hdr1(0x2f, 0, 0x18, 5, 4); p8(&B, 14); p8(&B, 0xff); zeros(&B, 3); p16(&B, 0x4001);
          p32(&B, 0); zeros(&B, 10); p16(&B, 2); p16(&B, 64); p32(&B, 0); p16(&B, 3); p8(&B, 0);
          put(&B, "MZ", 2));
    feed(1, B.b, B.n);
    const struct ev *w = find(EV_SMB_WRITE, 0);
    assert_non_null(w);
    assert_string_equal(w->a, "\\evil.dll");
    assert_int_equal(w->pe, 1);
}

/* More opens than the table holds: the oldest names are forgotten, the
 * newest kept; pipelined creates beyond the pending table are reported. */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_probe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_and_tree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_write_rename_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_on_close_and_failed_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compound_related, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipe_dcerpc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipe_response_by_message_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_encrypted_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smb1, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

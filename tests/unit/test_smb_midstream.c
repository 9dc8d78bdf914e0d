/* smb.c, smb1.c, smb2.c, smb_tables.c on captures seen only in part, as a
 * SPAN port delivers them: picked up after the tree connect and create of
 * a pipe (the pipe known by its DCE-RPC data), and with the client's
 * packets only (ids learnt from the requests, events reported unanswered). */
#include "test_smb.h"

static void send_req(void)
{
    feed(1, B.b, B.n);
    B.n = 0;
}

static void send_rsp(void)
{
    feed(0, B.b, B.n);
    B.n = 0;
}

static void read_req(uint64_t mid, uint32_t tid, uint64_t fid)
{
    hdr2(8, mid, tid, 0, 0);
    p16(&B, 49), p8(&B, 0), p8(&B, 0), p32(&B, 1024), p64(&B, 0), p64(&B, fid), p64(&B, fid);
    p32(&B, 0), p32(&B, 0), p32(&B, 0), p16(&B, 0), p16(&B, 0), p8(&B, 0);
}

static void read_rsp(uint64_t mid, uint32_t tid, const void *d, uint32_t n)
{
    hdr2(8, mid, tid, 0, RSP);
    p16(&B, 17), p8(&B, 80), p8(&B, 0), p32(&B, n), p32(&B, 0), p32(&B, 0);
    put(&B, d, n);
}

/* C706 12.6.4.4 bind_ack, one result (accepted). */
static const uint8_t rpc_bind_ack[] = {
    5,    0,    12,   3,    0x10, 0,    0,    0,    60,   0,    0,    0,    1,    0,    0,
    0,    0xb8, 0x10, 0xb8, 0x10, 0,    0,    0,    0,    0,    0,    0,    0,    1,    0,
    0,    0,    0,    0,    0,    0,    0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f,
    0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 2,    0,    0,    0,    0,    0,    0,    0};

/* Picked up after the tree connect: the create of "svcctl" is seen, its
 * tree (IPC$) is not; the bind makes it a pipe, named by the create. */
static void test_pipe_known_by_its_bind(void **state)
{
    (void)state;
    B.n = 0;
    FRAME(create_req(10, 5, "svcctl", 1, 0, 0));
    send_req();
    FRAME(create_rsp(10, 5, 0, 9));
    send_rsp();
    FRAME(write_req(11, 5, 9, 0, rpc_bind, sizeof(rpc_bind), 0));
    FRAME(write_req(12, 5, 9, 0, rpc_request, sizeof(rpc_request), 0));
    send_req();
    assert_int_equal(count(EV_SMB_WRITE), 0);
    assert_string_equal(find(EV_DCERPC_BIND, 0)->c, "svcctl");
    const struct ev *r = find(EV_DCERPC_REQUEST, 0);
    assert_non_null(r);
    assert_int_equal(r->length, 12);
    assert_int_equal(r->uuid_known, 1);
    assert_string_equal(find(EV_SMB_CREATE, 0)->b, "(null)"); /* the share is unknown */
}

/* Picked up after the create too: an unknown FileId on an unknown tree;
 * its transceive is a pipe's; its pipe name is unknown (""). */
static void test_unknown_open_transceive(void **state)
{
    (void)state;
    B.n = 0;
    FRAME(ioctl_req(20, 5, 0x77, rpc_bind, sizeof(rpc_bind)));
    FRAME(ioctl_req(21, 5, 0x77, rpc_request, sizeof(rpc_request)));
    send_req();
    assert_int_equal(count(EV_DCERPC_BIND), 1);
    const struct ev *r = find(EV_DCERPC_REQUEST, 0);
    assert_non_null(r);
    assert_string_equal(r->c, "");
    assert_int_equal(r->uuid_known, 1);
    /* Even on a share known not to be IPC$: only a pipe is transceived. */
    open_file("data", "x", 1, 0, 0x42);
    B.n = 0;
    FRAME(ioctl_req(22, 7, 0x43, rpc_request, sizeof(rpc_request)));
    send_req();
    assert_int_equal(count(EV_DCERPC_REQUEST), 2);
}

/* The bind came as a read response (the server's bind_ack first): the
 * open is a pipe from then on, the request that follows is parsed. */
static void test_pipe_known_by_a_read(void **state)
{
    (void)state;
    B.n = 0;
    FRAME(read_req(30, 5, 0x55));
    send_req();
    FRAME(read_rsp(30, 5, rpc_bind_ack, sizeof(rpc_bind_ack)));
    send_rsp();
    FRAME(write_req(31, 5, 0x55, 0, rpc_request, sizeof(rpc_request), 0));
    send_req();
    assert_int_equal(count(EV_SMB_WRITE), 0);
    assert_int_equal(count(EV_DCERPC_REQUEST), 1);
    assert_int_equal(find(EV_DCERPC_REQUEST, 0)->uuid_known, 0); /* no bind seen */
}

/* An unknown open whose data is no DCE-RPC is a file: every write is an
 * event, and after SMB_SNIFF_MAX of them a header no longer makes it a
 * pipe. */
static void test_unknown_open_is_a_file(void **state)
{
    (void)state;
    B.n = 0;
    FRAME(write_req(40, 5, 0x66, 0, "MZ\x90\0", 4, 0));
    FRAME(write_req(41, 5, 0x66, 4, "abcd", 4, 0));
    FRAME(write_req(42, 5, 0x66, 8, rpc_bind, sizeof(rpc_bind), 0));
    send_req();
    assert_int_equal(count(EV_SMB_WRITE), 3);
    assert_int_equal(count(EV_DCERPC_BIND), 0);
    const struct ev *w = find(EV_SMB_WRITE, 0);
    assert_int_equal(w->pe, 1);
    assert_string_equal(w->a, "(null)");
    /* On a known share an unknown open is not followed as a pipe. */
    open_file("data", "y", 1, 0, 0x42);
    B.n = 0;
    FRAME(write_req(43, 7, 0x44, 0, rpc_bind, sizeof(rpc_bind), 0));
    send_req();
    assert_int_equal(count(EV_SMB_WRITE), 4);
    assert_int_equal(count(EV_DCERPC_BIND), 0);
}

/* Opens from before the capture, known to be no pipe and of no name, make
 * room before the opens whose names the events need. */
static void test_nameless_opens_make_room(void **state)
{
    (void)state;
    B.n = 0;
    for (uint64_t i = 0; i < 10; i++) {
        char name[32];
        snprintf(name, sizeof(name), "f%d.txt", (int)i);
        FRAME(create_req(100 + i, 5, name, 1, 0, 0));
        send_req();
        FRAME(create_rsp(100 + i, 5, 0, 0x100 + i));
        send_rsp();
    }
    for (uint64_t i = 0; i < 40; i++)
        for (int k = 0; k < SMB_SNIFF_MAX; k++)
            FRAME(write_req(200 + i, 5, 0x900 + i, 4096 * (uint64_t)k, "data", 4, 0));
    send_req();
    for (uint64_t i = 0; i < 10; i++)
        FRAME(write_req(300 + i, 5, 0x100 + i, 0, "MZ", 2, 0));
    send_req();
    int n = count(EV_SMB_WRITE);
    assert_int_equal(n, 40 * SMB_SNIFF_MAX + 10);
    for (int i = 0; i < 10; i++) {
        char name[32];
        snprintf(name, sizeof(name), "f%d.txt", i);
        assert_string_equal(find(EV_SMB_WRITE, n - 10 + i)->a, name);
    }
}

/* Client packets only: TreeId and FileId come in no response; the next
 * unknown ones the client uses are those of its unanswered requests. */
static void test_one_direction_file(void **state)
{
    (void)state;
    B.n = 0;
    FRAME(tree_req(1, "\\\\srv\\ADMIN$"));
    FRAME(create_req(2, 3, "PSEXESVC.exe", 5, 0, 0));
    FRAME(write_req(3, 3, 0x21, 0, "MZ\x90\0", 4, 0));
    FRAME(write_req(4, 3, 0x21, 4, "more", 4, 0));
    send_req();
    assert_int_equal(nev, 4);
    const struct ev *t = &evs[0], *c = &evs[1], *w = &evs[2];
    assert_int_equal(t->type, EV_SMB_TREE_CONNECT);
    assert_string_equal(t->b, "ADMIN$");
    assert_int_equal(t->unanswered, 1);
    assert_int_equal(t->status, 0);
    assert_int_equal(c->type, EV_SMB_CREATE);
    assert_string_equal(c->a, "PSEXESVC.exe");
    assert_string_equal(c->b, "ADMIN$");
    assert_int_equal(c->unanswered, 1);
    assert_int_equal(w->type, EV_SMB_WRITE);
    assert_string_equal(w->a, "PSEXESVC.exe");
    assert_string_equal(w->b, "ADMIN$");
    assert_int_equal(w->pe, 1);
    assert_int_equal(w->unanswered, 0);
    assert_string_equal(evs[3].a, "PSEXESVC.exe");
    finish(); /* nothing left to report: each was reported once */
    assert_int_equal(nev, 4);
}

/* Client packets only, a pipe: IPC$, the create of winreg, the bind and a
 * request; a create closed unused is reported by its close. */
static void test_one_direction_pipe(void **state)
{
    (void)state;
    B.n = 0;
    FRAME(tree_req(1, "\\\\srv\\IPC$"));
    FRAME(create_req(2, 4, "winreg", 1, 0, 0));
    FRAME(write_req(3, 4, 0x31, 0, rpc_bind, sizeof(rpc_bind), 0));
    FRAME(read_req(4, 4, 0x31));
    FRAME(ioctl_req(5, 4, 0x31, rpc_request, sizeof(rpc_request)));
    FRAME(create_req(6, 4, "srvsvc", 1, 0, 0));
    FRAME(hdr2(6, 7, 4, 0, 0); p16(&B, 24); p16(&B, 0); p32(&B, 0); p64(&B, 0x32); p64(&B, 0x32));
    send_req();
    assert_string_equal(find(EV_SMB_TREE_CONNECT, 0)->b, "IPC$");
    assert_string_equal(find(EV_DCERPC_BIND, 0)->c, "winreg");
    const struct ev *r = find(EV_DCERPC_REQUEST, 0);
    assert_non_null(r);
    assert_string_equal(r->c, "winreg");
    assert_int_equal(r->uuid_known, 1);
    assert_int_equal(count(EV_SMB_WRITE), 0);
    const struct ev *c = find(EV_SMB_CREATE, 1);
    assert_non_null(c);
    assert_string_equal(c->a, "srvsvc");
    int n = nev;
    finish();
    assert_int_equal(nev, n);
}

/* Both directions: the tree connect of \\srv\data (MessageId 10) and its
 * response (TreeId 7). */
static void data_tree_answered(void)
{
    B.n = 0;
    FRAME(tree_req(10, "\\\\srv\\data"));
    send_req();
    FRAME(tree_rsp(10, 7, 0));
    send_rsp();
}

/* Both directions midstream: a FileId from before the capture used after a
 * response to an older request came is not that of a create in flight
 * (its response is late, not missing), and the create's own response
 * still completes it. */
static void test_no_guess_while_answered(void **state)
{
    (void)state;
    data_tree_answered();
    FRAME(create_req(20, 7, "new.exe", 2, 0, 0));
    send_req();
    FRAME(hdr2(9, 15, 7, 0, RSP); p16(&B, 17); zeros(&B, 14)); /* an older write's */
    send_rsp();
    FRAME(write_req(21, 7, 0x99, 0, "abcd", 4, 0));
    send_req();
    assert_string_equal(find(EV_SMB_WRITE, 0)->a, "(null)");
    assert_int_equal(count(EV_SMB_CREATE), 0);
    FRAME(create_rsp(20, 7, 0, 0x21));
    send_rsp();
    const struct ev *c = find(EV_SMB_CREATE, 0);
    assert_non_null(c);
    assert_int_equal(c->unanswered, 0);
    FRAME(write_req(22, 7, 0x21, 0, "MZ", 2, 0));
    send_req();
    assert_string_equal(find(EV_SMB_WRITE, 1)->a, "new.exe");
    /* A tree id unknown while responses to older requests come is not
     * guessed either. */
    FRAME(tree_req(30, "\\\\srv\\C$"));
    send_req();
    FRAME(create_rsp(25, 7, 0, 0x50)); /* an older request's */
    send_rsp();
    FRAME(create_req(31, 8, "a.txt", 1, 0, 0));
    send_req();
    assert_int_equal(count(EV_SMB_TREE_CONNECT), 1);
    finish();
    assert_int_equal(count(EV_SMB_TREE_CONNECT), 2); /* C$, at flow end */
    assert_int_equal(find(EV_SMB_TREE_CONNECT, 1)->unanswered, 1);
}

/* Both directions, a response lost (a SPAN port dropped it): the server
 * answered a later request, so the create's response came and was not
 * seen; the FileId the client then uses is that create's. A create that
 * went async (an interim STATUS_PENDING) is answered late, not lost. */
static void test_lost_response(void **state)
{
    (void)state;
    data_tree_answered();
    FRAME(create_req(40, 7, "a.docx", 1, 0, 0)); /* its response is lost */
    FRAME(create_req(41, 7, "b.txt", 1, 0, 0));
    send_req();
    FRAME(create_rsp(41, 7, 0, 0x51));
    send_rsp();
    FRAME(delete_req(42, 7, 0x50, 13));
    send_req();
    const struct ev *d = find(EV_SMB_DELETE, 0);
    assert_non_null(d);
    assert_string_equal(d->a, "a.docx");
    FRAME(create_req(50, 7, "c.txt", 1, 0, 0));
    send_req();
    FRAME(hdr2(5, 50, 0, STATUS_PENDING, RSP | 2u); p16(&B, 9); zeros(&B, 7)); /* interim */
    FRAME(create_rsp(51, 7, 0, 0x70));
    send_rsp();
    FRAME(delete_req(52, 7, 0x60, 13)); /* an open from before the capture */
    send_req();
    d = find(EV_SMB_DELETE, 1);
    assert_non_null(d);
    assert_string_equal(d->a, "(null)");
}

/* Client packets only: the account comes from the session setup request;
 * renames and deletes of an open whose create was unanswered name it. */
static void test_one_direction_account_rename_delete(void **state)
{
    (void)state;
    uint8_t blob[512];
    size_t n = ntlm_auth(blob, "alice", "CORP", "WS01");
    B.n = 0;
    FRAME(session_req(1, blob, (uint16_t)n));
    FRAME(tree_req(2, "\\\\srv\\data"));
    FRAME(create_req(3, 6, "doc.txt", 1, 0, 0));
    FRAME(rename_req(4, 6, 0x61, "doc.txt.locked"));
    FRAME(delete_req(5, 6, 0x61, 13));
    send_req();
    assert_string_equal(find(EV_NTLM_AUTH, 0)->a, "alice");
    assert_int_equal(count(EV_SMB_SESSION_SETUP), 0); /* its outcome is unseen */
    const struct ev *r = find(EV_SMB_RENAME, 0);
    assert_non_null(r);
    assert_string_equal(r->a, "doc.txt");
    assert_string_equal(r->b, "data");
    assert_string_equal(r->c, "doc.txt.locked");
    assert_string_equal(find(EV_SMB_DELETE, 0)->a, "doc.txt");
}

/* MS-SMB2 2.2.37 QUERY_INFO request (FileId at 24), 2.2.33 QUERY_DIRECTORY
 * request (at 8): they name an open and carry nothing followed. */
static void query_info_req(uint64_t mid, uint32_t tid, uint64_t fid)
{
    hdr2(0x10, mid, tid, 0, 0);
    p16(&B, 41), p8(&B, 1), p8(&B, 22), p32(&B, 4096), p16(&B, 0), p16(&B, 0), p32(&B, 0);
    p32(&B, 0), p32(&B, 0), p64(&B, fid), p64(&B, fid), p8(&B, 0);
}

static void query_dir_req(uint64_t mid, uint32_t tid, uint64_t fid)
{
    hdr2(0x0E, mid, tid, 0, 0);
    p16(&B, 33), p8(&B, 37), p8(&B, 0), p32(&B, 0), p64(&B, fid), p64(&B, fid);
    p16(&B, 96), p16(&B, 2), p32(&B, 65536), utf16(&B, "*");
}

/* Client packets only, as a ransomware re-extends files: the open of a
 * directory listed, a probe for a name that does not exist (no id ever
 * comes for it), the original read after its attributes, the new name
 * written. Each id is that of the newest unanswered create before its
 * first use, whatever request names it first: none takes the name of the
 * create before its own. */
static void test_one_direction_failed_probe(void **state)
{
    (void)state;
    B.n = 0;
    FRAME(tree_req(1, "\\\\srv\\share2"));
    FRAME(create_req(2, 3, "", 1, 0, 0));
    FRAME(query_dir_req(3, 3, 0x40));
    FRAME(create_req(4, 3, "report.enc", 1, 0, 0)); /* not found: no id */
    FRAME(create_req(5, 3, "report.docx", 1, 0, 0));
    FRAME(query_info_req(6, 3, 0x41));
    FRAME(create_req(7, 3, "report.enc", 5, 0, 0));
    FRAME(write_req(8, 3, 0x42, 0, "enc!", 4, 0));
    FRAME(delete_req(9, 3, 0x41, 13));
    send_req();
    const struct ev *w = find(EV_SMB_WRITE, 0);
    assert_non_null(w);
    assert_string_equal(w->a, "report.enc");
    const struct ev *d = find(EV_SMB_DELETE, 0);
    assert_non_null(d);
    assert_string_equal(d->a, "report.docx");
    /* The probe is reported at the flow's end, unanswered. */
    int creates = count(EV_SMB_CREATE);
    finish();
    assert_int_equal(count(EV_SMB_CREATE), creates + 1);
    assert_string_equal(find(EV_SMB_CREATE, creates)->a, "report.enc");
    assert_int_equal(find(EV_SMB_CREATE, creates)->unanswered, 1);
}

/* Picked up inside a large write (MS-SMB2 2.2.21, up to 8 MiB): the
 * flow is taken on the SMB ports whatever its first bytes, which are
 * skipped up to the next message. */
static void test_inside_a_large_write(void **state)
{
    (void)state;
    static uint8_t junk[6000];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)(i * 7);
    junk[0] = 0; /* looks like a NetBIOS session message of some length */
    struct dissect_flow_info f = {.proto = 6, .client_port = 50000, .server_port = 445};
    assert_true(dissector_smb.probe(&f, 1, junk, sizeof(junk)));
    f.server_port = 8445;
    assert_false(dissector_smb.probe(&f, 1, junk, sizeof(junk)));
    B.n = 0;
    put(&B, junk, sizeof(junk));
    FRAME(tree_req(1, "\\\\srv\\C$"));
    send_req();
    finish();
    assert_int_equal(nev, 1);
    assert_string_equal(find(EV_SMB_TREE_CONNECT, 0)->b, "C$");
}

/* ---- SMB1 ---- */

static void smb1_tree_req(uint16_t mid, const char *path)
{
    size_t h = hdr1(0x75, 0, 0x18, 0, mid);
    p8(&B, 4), p8(&B, 0xff), p8(&B, 0), p16(&B, 0), p16(&B, 0), p16(&B, 1);
    size_t bc = B.n;
    p16(&B, 0), p8(&B, 0);
    if ((B.n - h) % 2) p8(&B, 0);
    utf16(&B, path), p16(&B, 0), put(&B, "?????", 6);
    uint16_t bytes = (uint16_t)(B.n - bc - 2);
    memcpy(B.b + bc, &bytes, 2);
}

static void smb1_create_req(uint16_t mid, uint16_t tid, const char *name)
{
    hdr1(0xa2, 0, 0x18, tid, mid);
    p8(&B, 24), p8(&B, 0xff), zeros(&B, 34), p32(&B, 5), p32(&B, 0), zeros(&B, 5);
    p16(&B, (uint16_t)(3 + 2 * strlen(name))), p8(&B, 0), utf16(&B, name), p16(&B, 0);
}

/* MS-CIFS 2.2.4.43.1: 14 words, the data 2-byte aligned at offset 64. */
static void smb1_write_req(uint16_t mid, uint16_t tid, uint16_t fid, const void *d, uint16_t n)
{
    hdr1(0x2f, 0, 0x18, tid, mid);
    p8(&B, 14), p8(&B, 0xff), zeros(&B, 3), p16(&B, fid), p32(&B, 0), zeros(&B, 10);
    p16(&B, n), p16(&B, 64), p32(&B, 0), p16(&B, (uint16_t)(n + 1)), p8(&B, 0), put(&B, d, n);
}

/* MS-CIFS 2.2.4.33.1 TRANSACTION, 2.2.5.6 TransactNmPipe on fid. */
static void smb1_transact_req(uint16_t mid, uint16_t tid, uint16_t fid, const void *d, uint16_t n)
{
    hdr1(0x25, 0, 0x18, tid, mid);
    p8(&B, 16), p16(&B, 0), p16(&B, n), p16(&B, 0), p16(&B, 1024), p8(&B, 0), p8(&B, 0);
    p16(&B, 0), p32(&B, 0), p16(&B, 0), p16(&B, 0), p16(&B, 84), p16(&B, n), p16(&B, 84);
    p8(&B, 2), p8(&B, 0), p16(&B, 0x26), p16(&B, fid);
    p16(&B, (uint16_t)(17 + n)), p8(&B, 0), utf16(&B, "\\PIPE\\"), p16(&B, 0);
    p16(&B, 0), put(&B, d, n); /* the data 4-byte aligned at 84 */
}

static void test_smb1_one_direction(void **state)
{
    (void)state;
    B.n = 0;
    FRAME(smb1_tree_req(1, "\\\\SRV\\C$"));
    FRAME(smb1_create_req(2, 0x800, "\\WINDOWS\\x.exe"));
    FRAME(smb1_write_req(3, 0x800, 0x4001, "MZ", 2));
    send_req();
    assert_string_equal(find(EV_SMB_TREE_CONNECT, 0)->b, "C$");
    assert_int_equal(find(EV_SMB_TREE_CONNECT, 0)->unanswered, 1);
    assert_int_equal(find(EV_SMB_CREATE, 0)->unanswered, 1);
    const struct ev *w = find(EV_SMB_WRITE, 0);
    assert_non_null(w);
    assert_string_equal(w->a, "\\WINDOWS\\x.exe");
    assert_string_equal(w->b, "C$");
    assert_int_equal(w->pe, 1);
    /* A pipe: IPC$, svcctl, the bind written, a request transacted. */
    FRAME(smb1_tree_req(4, "\\\\SRV\\IPC$"));
    FRAME(smb1_create_req(5, 0x801, "\\svcctl"));
    FRAME(smb1_write_req(6, 0x801, 0x4002, rpc_bind, sizeof(rpc_bind)));
    FRAME(smb1_transact_req(7, 0x801, 0x4002, rpc_request, sizeof(rpc_request)));
    send_req();
    assert_string_equal(find(EV_DCERPC_BIND, 0)->c, "svcctl");
    assert_int_equal(find(EV_DCERPC_REQUEST, 0)->length, 12);
    assert_int_equal(count(EV_SMB_WRITE), 1);
}

/* SMB1 picked up midstream: an unknown FID on an unknown tree. */
static void test_smb1_midstream_pipe(void **state)
{
    (void)state;
    B.n = 0;
    FRAME(smb1_write_req(1, 0x900, 0x4003, rpc_bind, sizeof(rpc_bind)));
    FRAME(smb1_transact_req(2, 0x900, 0x4003, rpc_request, sizeof(rpc_request)));
    FRAME(smb1_transact_req(3, 0x900, 0x4004, rpc_request, sizeof(rpc_request)));
    send_req();
    assert_int_equal(count(EV_SMB_WRITE), 0);
    assert_int_equal(count(EV_DCERPC_BIND), 1);
    assert_int_equal(count(EV_DCERPC_REQUEST), 2);
    assert_int_equal(find(EV_DCERPC_REQUEST, 0)->uuid_known, 1);
    assert_int_equal(find(EV_DCERPC_REQUEST, 1)->uuid_known, 0); /* another pipe */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pipe_known_by_its_bind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_open_transceive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipe_known_by_a_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_open_is_a_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nameless_opens_make_room, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_direction_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_direction_pipe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_guess_while_answered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_response, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_direction_account_rename_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_direction_failed_probe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inside_a_large_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smb1_one_direction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smb1_midstream_pipe, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* kerberos.c: AS-REQ, TGS-REQ, KRB-ERROR and KDC-REP from corpus bytes and
 * hand-built messages, over UDP and TCP (split at every offset, records
 * larger than the reassembly buffer), truncation at every length, deep
 * nesting, indefinite lengths, probe negatives. */
#include "test_kerberos.h"

/* Corpus bytes: CA_kerbrute_passwordspray_kerberos_AS-REQ.pcapng, UDP
 * payloads of frames 5 (AS-REQ, no pre-auth), 10 (KRB-ERROR 6), 25
 * (AS-REQ with PA-ENC-TIMESTAMP). */
static const char AS_REQ_NOPA[] =
    "6a8194308191a103020105a20302010aa3023000a48180307ea00703050000000010a1123010a0030201"
    "01a10930071b0561646d696ea2111b0f544852454542454553434f2e434f4da3243022a003020102a11b"
    "30191b066b72627467741b0f544852454542454553434f2e434f4da511180f3230323030373233313931"
    "363335 5aa70602042f440b72a80b3009020112020111020117";
static const char KRB_ERR_6[] =
    "7e643062a003020105a10302011ea411180f32303230303732323139313633355aa5050203054d80a603"
    "020106a9111b0f544852454542454553434f2e434f4daa243022a003020102a11b30191b066b72627467"
    "741b0f544852454542454553434f2e434f4d";
static const char AS_REQ_PA[] =
    "6a81f03081eda103020105a20302010aa35530533051a103020102a24a04483046a003020112a1030201"
    "01a23a04384eb0f9cf020cd31b10d5a3d8de5aa965a75b136ce9e9267faed72390ae80d22c17499b90e1"
    "3bcf1c9808572859b6a916464ff0f4e73a620ca48189308186a00703050000000010a11a3018a0030201"
    "01a111300f1b0d61646d696e6973747261746f72a2111b0f544852454542454553434f2e434f4da32430"
    "22a003020102a11b30191b066b72627467741b0f544852454542454553434f2e434f4da511180f323032"
    "30303732333139313633355aa70602045b6ec795a80b3009020112020111020117";

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    char clean[2048];
    size_t n = 0;
    for (const char *p = hex; *p && n + 1 < sizeof(clean); p++)
        if (*p != ' ') clean[n++] = *p;
    clean[n] = 0;
    return (size_t)hex_decode(clean, out, cap);
}

static void test_udp_corpus_as_req(void **st)
{
    (void)st;
    uint8_t m[512];
    size_t n = unhex(AS_REQ_NOPA, m, sizeof(m));
    struct harness h;
    harness_init(&h, 17);
    assert_true(dissector_kerberos.probe(&h.f, 1, m, n));
    harness_send(&h, 1, m, n);
    assert_int_equal(nevents, 1);
    const struct dissect_event *ev = &events[0].ev;
    assert_int_equal(ev->type, EV_KRB_AS_REQ);
    assert_true(ev->to_server);
    assert_string_equal(ev->u.krb.cname, "admin");
    assert_string_equal(ev->u.krb.realm, "THREEBEESCO.COM");
    assert_string_equal(ev->u.krb.sname, "krbtgt/THREEBEESCO.COM");
    assert_int_equal(ev->u.krb.preauth, 0);
    assert_int_equal(ev->u.krb.netypes, 3);
    assert_int_equal(ev->u.krb.etypes[0], 18);
    assert_int_equal(ev->u.krb.etypes[2], 23);

    n = unhex(KRB_ERR_6, m, sizeof(m));
    harness_send(&h, 0, m, n);
    assert_int_equal(nevents, 2);
    ev = &events[1].ev;
    assert_int_equal(ev->type, EV_KRB_ERROR);
    assert_int_equal(ev->status, 6);
    assert_null(ev->u.krb.cname);
    assert_string_equal(ev->u.krb.realm, "THREEBEESCO.COM");
    assert_string_equal(ev->u.krb.sname, "krbtgt/THREEBEESCO.COM");
    harness_done(&h);

    n = unhex(AS_REQ_PA, m, sizeof(m));
    harness_init(&h, 17);
    harness_send(&h, 1, m, n);
    assert_int_equal(nevents, 1);
    assert_int_equal(events[0].ev.u.krb.preauth, 1);
    assert_string_equal(events[0].ev.u.krb.cname, "administrator");
    harness_done(&h);
}

/* TCP framing (RFC 4120 7.2.2), every split point of one record. */
static void test_tcp_every_split(void **st)
{
    (void)st;
    struct kbuf b;
    static const int32_t et[] = {23};
    krb_build_kdc_req(&b, 12, "alice", "CORP.LOCAL", "MSSQLSvc/sql01.corp.local:1433", et, 1, 300,
                      1);
    uint8_t rec[4096];
    size_t n = krb_tcp_record(&b, rec, sizeof(rec));
    /* The probe needs the message header in the first segment (32 bytes:
     * record length, tags, pvno, msg-type), as real stacks always send. */
    for (size_t cut = 32; cut <= n; cut++) {
        struct harness h;
        harness_init(&h, 6);
        harness_send(&h, 1, rec, cut);
        if (cut < n) harness_send(&h, 1, rec + cut, n - cut);
        if (nevents != 1) fail_msg("cut at %zu of %zu: %d events", cut, n, nevents);
        assert_int_equal(events[0].ev.type, EV_KRB_TGS_REQ);
        assert_string_equal(events[0].ev.u.krb.sname, "MSSQLSvc/sql01.corp.local:1433");
        assert_string_equal(events[0].ev.u.krb.cname, "alice");
        assert_int_equal(events[0].ev.u.krb.netypes, 1);
        assert_int_equal(events[0].ev.u.krb.etypes[0], 23);
        harness_done(&h);
    }
}

/* A TGS-REQ whose ticket makes it larger than the reassembly buffer (a
 * PAC with many groups): the req-body after it is still read. */
static void test_tcp_large_record(void **st)
{
    (void)st;
    static const int32_t et[] = {23, 16, 3, 18};
    size_t pads[] = {1900, 2100, 3000, 9000, 40000};
    for (size_t k = 0; k < sizeof(pads) / sizeof(pads[0]); k++) {
        struct kbuf b;
        krb_build_kdc_req(&b, 12, NULL, "CORP.LOCAL", "HTTP/web01.corp.local", et, 4, pads[k], 1);
        static uint8_t rec[sizeof(b.b) + 4];
        size_t n = krb_tcp_record(&b, rec, sizeof(rec));
        for (size_t seg = 536; seg <= 1460; seg += 462) {
            struct harness h;
            harness_init(&h, 6);
            for (size_t off = 0; off < n; off += seg)
                harness_send(&h, 1, rec + off, n - off < seg ? n - off : seg);
            /* Then a second, small record on the same connection. */
            struct kbuf b2;
            krb_build_kdc_req(&b2, 10, "bob", "CORP.LOCAL", "krbtgt/CORP.LOCAL", et, 1, 0, 0);
            uint8_t rec2[1024];
            size_t n2 = krb_tcp_record(&b2, rec2, sizeof(rec2));
            harness_send(&h, 1, rec2, n2);
            if (nevents != 2) fail_msg("pad %zu seg %zu: %d events", pads[k], seg, nevents);
            assert_int_equal(events[0].ev.type, EV_KRB_TGS_REQ);
            assert_null(events[0].ev.u.krb.cname);
            assert_string_equal(events[0].ev.u.krb.realm, "CORP.LOCAL");
            assert_string_equal(events[0].ev.u.krb.sname, "HTTP/web01.corp.local");
            if (events[0].ev.u.krb.netypes != 4)
                fail_msg("pad %zu seg %zu: %d etypes", pads[k], seg, events[0].ev.u.krb.netypes);
            assert_int_equal(events[1].ev.type, EV_KRB_AS_REQ);
            assert_string_equal(events[1].ev.u.krb.cname, "bob");
            harness_done(&h);
        }
    }
}

static void test_kdc_rep_and_error(void **st)
{
    (void)st;
    struct kbuf b;
    uint8_t rec[4096];
    struct harness h;
    harness_init(&h, 6);
    krb_build_kdc_rep(&b, 11, "carol", "CORP.LOCAL");
    size_t n = krb_tcp_record(&b, rec, sizeof(rec));
    harness_send(&h, 0, rec, n);
    krb_build_error(&b, 24, "carol", "CORP.LOCAL", "krbtgt/CORP.LOCAL");
    n = krb_tcp_record(&b, rec, sizeof(rec));
    harness_send(&h, 0, rec, n);
    assert_int_equal(nevents, 3);
    assert_int_equal(events[0].ev.type, EV_AUTH_RESULT);
    assert_int_equal(events[0].ev.status, 0);
    assert_string_equal(events[0].ev.u.auth.user, "carol");
    assert_string_equal(events[0].ev.u.auth.domain, "CORP.LOCAL");
    assert_int_equal(events[1].ev.type, EV_KRB_AS_REP);
    assert_string_equal(events[1].ev.u.krb_rep.cname, "carol");
    assert_string_equal(events[1].ev.u.krb_rep.sname, "krbtgt/CORP.LOCAL");
    assert_int_equal(events[2].ev.type, EV_KRB_ERROR);
    assert_int_equal(events[2].ev.status, 24);
    assert_string_equal(events[2].ev.u.krb.cname, "carol");
    harness_done(&h);
}

/* Every prefix of every message, as a datagram and as a TCP record whose
 * length field still claims the whole: no crash, no read out of bounds
 * (ASan), at most one event (two for a KDC-REP: result and ticket). */
static void test_truncation(void **st)
{
    (void)st;
    static const int32_t et[] = {18, 17, 23};
    struct kbuf msgs[4];
    krb_build_kdc_req(&msgs[0], 10, "dave", "CORP.LOCAL", "krbtgt/CORP.LOCAL", et, 3, 60, 1);
    krb_build_kdc_req(&msgs[1], 12, NULL, "CORP.LOCAL", "cifs/fs01", et, 3, 400, 1);
    krb_build_error(&msgs[2], 6, NULL, "CORP.LOCAL", "krbtgt/CORP.LOCAL");
    krb_build_kdc_rep(&msgs[3], 13, "dave", "CORP.LOCAL");
    for (int k = 0; k < 4; k++) {
        int whole = k == 3 ? 2 : 1;
        for (size_t cut = 0; cut <= msgs[k].n; cut++) {
            uint8_t *copy = malloc(cut ? cut : 1);
            memcpy(copy, msgs[k].b, cut);
            struct harness h;
            harness_init(&h, 17);
            if (cut) harness_send(&h, 1, copy, cut);
            assert_true(nevents <= whole);
            harness_done(&h);

            uint8_t *rec = malloc(cut + 4);
            rec[0] = (uint8_t)(msgs[k].n >> 24), rec[1] = (uint8_t)(msgs[k].n >> 16);
            rec[2] = (uint8_t)(msgs[k].n >> 8), rec[3] = (uint8_t)msgs[k].n;
            memcpy(rec + 4, copy, cut);
            harness_init(&h, 6);
            harness_send(&h, 1, rec, cut + 4);
            assert_int_equal(nevents, cut == msgs[k].n ? whole : 0);
            harness_done(&h);
            free(rec);
            free(copy);
        }
    }
}

/* A cname made of thousands of nested SEQUENCEs, and indefinite lengths:
 * rejected or ignored without recursion. */
static void test_hostile(void **st)
{
    (void)st;
    static uint8_t m[65536];
    size_t depth = 5000, n = 0;
    /* [APPLICATION 10] { SEQUENCE { pvno, msg-type, [4] { SEQUENCE { [1] deep } } } } */
    struct kbuf b;
    krb_build_kdc_req(&b, 10, "x", "R", "krbtgt/R", NULL, 0, 0, 0);
    memcpy(m, b.b, b.n);
    n = b.n;
    struct harness h;
    harness_init(&h, 17);
    for (size_t i = 0; i < depth; i++)
        m[n++] = 0x30, m[n++] = 0x80; /* indefinite */
    harness_send(&h, 1, m, n);
    harness_done(&h);

    /* Deep definite nesting inside the cname. */
    uint8_t deep[20000];
    size_t dn = 0, levels = 4000;
    for (size_t i = 0; i < levels; i++) {
        size_t inner = (levels - i - 1) * 4 + 2;
        deep[dn++] = 0x30, deep[dn++] = 0x82;
        deep[dn++] = (uint8_t)(inner >> 8), deep[dn++] = (uint8_t)inner;
    }
    deep[dn++] = 0x05, deep[dn++] = 0x00;
    struct kbuf bd;
    krb_build_kdc_req_raw_cname(&bd, deep, dn);
    harness_init(&h, 17);
    harness_send(&h, 1, bd.b, bd.n);
    assert_true(nevents <= 1);
    if (nevents) assert_null(events[0].ev.u.krb.cname);
    harness_done(&h);

    /* Indefinite length at the top: not Kerberos. */
    uint8_t indef[] = {0x6a, 0x80, 0x30, 0x80, 0xa1, 0x03, 0x02, 0x01, 0x05, 0, 0, 0, 0};
    assert_false(dissector_kerberos.probe(&h.f, 1, indef, sizeof(indef)));
}

static void test_probe_negatives(void **st)
{
    (void)st;
    struct dissect_flow_info f = {0};
    const char *http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_false(dissector_kerberos.probe(&f, 1, (const uint8_t *)http, strlen(http)));
    uint8_t tls[] = {0x16, 0x03, 0x01, 0x00, 0x30, 0x01, 0x00, 0x00, 0x2c, 0x03, 0x03};
    assert_false(dissector_kerberos.probe(&f, 1, tls, sizeof(tls)));
    /* Right tag, wrong pvno. */
    uint8_t bad[] = {0x6a, 0x0a, 0x30, 0x08, 0xa1, 0x03, 0x02, 0x01, 0x04, 0xa2, 0x01, 0x0a};
    assert_false(dissector_kerberos.probe(&f, 1, bad, sizeof(bad)));
    /* Wrong msg-type for the tag. */
    uint8_t bad2[] = {0x6a, 0x0e, 0x30, 0x0c, 0xa1, 0x03, 0x02, 0x01,
                      0x05, 0xa2, 0x03, 0x02, 0x01, 0x0c, 0x00, 0x00};
    assert_false(dissector_kerberos.probe(&f, 1, bad2, sizeof(bad2)));
    struct kbuf b;
    krb_build_kdc_req(&b, 10, "u", "R", "krbtgt/R", NULL, 0, 0, 0);
    assert_true(dissector_kerberos.probe(&f, 1, b.b, b.n));
    assert_false(dissector_kerberos.probe(&f, 1, b.b, b.n - 1)); /* length must match */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_udp_corpus_as_req), cmocka_unit_test(test_tcp_every_split),
        cmocka_unit_test(test_tcp_large_record),  cmocka_unit_test(test_kdc_rep_and_error),
        cmocka_unit_test(test_truncation),        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_probe_negatives),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

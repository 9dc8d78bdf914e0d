/* kerberos.c: AS-REP and TGS-REP (RFC 4120 5.4.2) -> EV_AUTH_RESULT then
 * EV_KRB_AS_REP / EV_KRB_TGS_REP with the ticket's service and etypes:
 * hand-built replies over UDP and TCP (split at every offset, tickets
 * larger than the reassembly buffer), truncation at every length, malformed
 * tickets. */
#include "test_kerberos.h"

static const struct dissect_event *rep_event(void)
{
    assert_int_equal(nevents, 2);
    assert_int_equal(events[0].ev.type, EV_AUTH_RESULT);
    assert_false(events[0].ev.to_server);
    return &events[1].ev;
}

/* The roastable case: an RC4 ticket for a user account's SPN, the reply
 * itself under the AES session key of the TGT. */
static void test_tgs_rep_udp(void **st)
{
    (void)st;
    struct kbuf b;
    krb_build_rep(&b, 13, "alice", "CORP.LOCAL", "MSSQLSvc/sql01.corp.local:1433", "CORP.LOCAL", 23,
                  900, 18, 0);
    struct harness h;
    harness_init(&h, 17);
    assert_true(dissector_kerberos.probe(&h.f, 0, b.b, b.n));
    harness_send(&h, 0, b.b, b.n);
    assert_string_equal(events[0].ev.u.auth.user, "alice");
    const struct dissect_event *ev = rep_event();
    assert_int_equal(ev->type, EV_KRB_TGS_REP);
    assert_false(ev->to_server);
    assert_string_equal(ev->u.krb_rep.cname, "alice");
    assert_string_equal(ev->u.krb_rep.crealm, "CORP.LOCAL");
    assert_string_equal(ev->u.krb_rep.sname, "MSSQLSvc/sql01.corp.local:1433");
    assert_string_equal(ev->u.krb_rep.srealm, "CORP.LOCAL");
    assert_int_equal(ev->u.krb_rep.ticket_etype, 23);
    assert_int_equal(ev->u.krb_rep.enc_etype, 18);
    harness_done(&h);
}

/* AS-REP with PA-ETYPE-INFO2 padata: the TGT's etype, and the reply's,
 * which is under the client's own key. */
static void test_as_rep_padata(void **st)
{
    (void)st;
    struct kbuf b;
    krb_build_rep(&b, 11, "svc_backup", "CORP.LOCAL", "krbtgt/CORP.LOCAL", "CORP.LOCAL", 18, 1000,
                  23, 40);
    struct harness h;
    harness_init(&h, 17);
    harness_send(&h, 0, b.b, b.n);
    const struct dissect_event *ev = rep_event();
    assert_int_equal(ev->type, EV_KRB_AS_REP);
    assert_string_equal(ev->u.krb_rep.cname, "svc_backup");
    assert_string_equal(ev->u.krb_rep.sname, "krbtgt/CORP.LOCAL");
    assert_int_equal(ev->u.krb_rep.ticket_etype, 18);
    assert_int_equal(ev->u.krb_rep.enc_etype, 23);
    harness_done(&h);
}

/* A PKINIT AS-REP whose padata (the KDC's certificate chain) fills the
 * reassembly buffer: the fields after it are read once present, whatever
 * the segmentation; the next record follows. */
static void test_as_rep_large_padata(void **st)
{
    (void)st;
    size_t pads[] = {1800, 1900, 1950, 2000, 2030, 2100, 5000, 30000};
    for (size_t k = 0; k < sizeof(pads) / sizeof(pads[0]); k++) {
        struct kbuf b;
        krb_build_rep(&b, 11, "test_pkinit", "VLADG.NET", "krbtgt/VLADG.NET", "VLADG.NET", 18, 900,
                      18, pads[k]);
        static uint8_t rec[sizeof(b.b) + 4];
        size_t n = krb_tcp_record(&b, rec, sizeof(rec));
        for (size_t seg = 536; seg <= 1460; seg += 462) {
            struct harness h;
            harness_init(&h, 6);
            for (size_t off = 0; off < n; off += seg)
                harness_send(&h, 0, rec + off, n - off < seg ? n - off : seg);
            struct kbuf b2;
            krb_build_kdc_rep(&b2, 13, "bob", "VLADG.NET");
            uint8_t rec2[1024];
            size_t n2 = krb_tcp_record(&b2, rec2, sizeof(rec2));
            harness_send(&h, 0, rec2, n2);
            if (nevents != 4) fail_msg("pad %zu seg %zu: %d events", pads[k], seg, nevents);
            assert_string_equal(events[0].ev.u.auth.user, "test_pkinit");
            const struct dissect_event *ev = &events[1].ev;
            assert_int_equal(ev->type, EV_KRB_AS_REP);
            assert_string_equal(ev->u.krb_rep.cname, "test_pkinit");
            assert_string_equal(ev->u.krb_rep.crealm, "VLADG.NET");
            assert_string_equal(ev->u.krb_rep.sname, "krbtgt/VLADG.NET");
            assert_int_equal(ev->u.krb_rep.ticket_etype, 18);
            assert_int_equal(events[3].ev.type, EV_KRB_TGS_REP);
            assert_string_equal(events[3].ev.u.krb_rep.cname, "bob");
            harness_done(&h);
        }
    }
}

/* TCP framing (RFC 4120 7.2.2), every split point of one reply. */
static void test_tgs_rep_tcp_every_split(void **st)
{
    (void)st;
    struct kbuf b;
    krb_build_rep(&b, 13, "bob", "CORP.LOCAL", "HTTP/intranet.corp.local", "CORP.LOCAL", 23, 1200,
                  18, 0);
    uint8_t rec[4096];
    size_t n = krb_tcp_record(&b, rec, sizeof(rec));
    for (size_t cut = 32; cut <= n; cut++) {
        struct harness h;
        harness_init(&h, 6);
        harness_send(&h, 0, rec, cut);
        if (cut < n) harness_send(&h, 0, rec + cut, n - cut);
        if (nevents != 2) fail_msg("cut at %zu of %zu: %d events", cut, n, nevents);
        const struct dissect_event *ev = rep_event();
        assert_int_equal(ev->type, EV_KRB_TGS_REP);
        assert_string_equal(ev->u.krb_rep.sname, "HTTP/intranet.corp.local");
        assert_int_equal(ev->u.krb_rep.ticket_etype, 23);
        assert_int_equal(ev->u.krb_rep.enc_etype, 18);
        harness_done(&h);
    }
}

/* A ticket larger than the reassembly buffer (a PAC with many groups): the
 * ticket's name and etype come before its cipher and are read from the
 * prefix; the reply's etype, after it, is then not seen (0). The next
 * record on the connection is read. */
static void test_tgs_rep_tcp_large(void **st)
{
    (void)st;
    size_t lens[] = {1500, 2100, 3000, 9000, 40000};
    for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
        struct kbuf b;
        krb_build_rep(&b, 13, "alice", "CORP.LOCAL", "kafka/bus01.corp.local", "CORP.LOCAL", 23,
                      lens[k], 18, 0);
        static uint8_t rec[sizeof(b.b) + 4];
        size_t n = krb_tcp_record(&b, rec, sizeof(rec));
        for (size_t seg = 536; seg <= 1460; seg += 462) {
            struct harness h;
            harness_init(&h, 6);
            for (size_t off = 0; off < n; off += seg)
                harness_send(&h, 0, rec + off, n - off < seg ? n - off : seg);
            struct kbuf b2;
            krb_build_error(&b2, 7, NULL, "CORP.LOCAL", "nosuch/svc");
            uint8_t rec2[1024];
            size_t n2 = krb_tcp_record(&b2, rec2, sizeof(rec2));
            harness_send(&h, 0, rec2, n2);
            if (nevents != 3) fail_msg("len %zu seg %zu: %d events", lens[k], seg, nevents);
            const struct dissect_event *ev = &events[1].ev;
            assert_int_equal(ev->type, EV_KRB_TGS_REP);
            assert_string_equal(ev->u.krb_rep.cname, "alice");
            assert_string_equal(ev->u.krb_rep.sname, "kafka/bus01.corp.local");
            assert_int_equal(ev->u.krb_rep.ticket_etype, 23);
            assert_int_equal(ev->u.krb_rep.enc_etype, n <= 2048 ? 18 : 0);
            assert_int_equal(events[2].ev.type, EV_KRB_ERROR);
            assert_int_equal(events[2].ev.status, 7);
            harness_done(&h);
        }
    }
}

/* Every prefix of a reply, as a datagram (a snap length, a lost fragment):
 * no read out of bounds (ASan), and what is reported is right or absent. */
static void test_rep_truncation(void **st)
{
    (void)st;
    struct kbuf b;
    krb_build_rep(&b, 13, "dave", "CORP.LOCAL", "exchangeAB/mail01.corp.local", "CORP.LOCAL", 23,
                  300, 17, 0);
    int etype_seen = 0;
    for (size_t cut = 1; cut <= b.n; cut++) {
        uint8_t *copy = malloc(cut);
        memcpy(copy, b.b, cut);
        struct harness h;
        harness_init(&h, 17);
        harness_send(&h, 0, copy, cut);
        assert_true(nevents == 0 || nevents == 2);
        if (nevents == 2) {
            const struct dissect_event *ev = &events[1].ev;
            int32_t te = ev->u.krb_rep.ticket_etype, ee = ev->u.krb_rep.enc_etype;
            assert_true(te == 0 || te == 23);
            assert_true(ee == 0 || ee == 17);
            if (te) assert_string_equal(ev->u.krb_rep.sname, "exchangeAB/mail01.corp.local");
            if (ev->u.krb_rep.cname) assert_string_equal(ev->u.krb_rep.cname, "dave");
            etype_seen |= te == 23;
            if (cut == b.n) assert_int_equal(ee, 17);
        }
        harness_done(&h);
        free(copy);
    }
    assert_true(etype_seen);
}

/* A ticket that is not [APPLICATION 1] (no service, no etype), an
 * EncryptedData that is not a SEQUENCE (no etype), an etype that is not an
 * Int32 (ignored). */
static void test_rep_malformed_ticket(void **st)
{
    (void)st;
    static const uint8_t enc_part[] = {0x30, 0xff, 0xa0, 0x03, 0x02, 0x01, 0x17};
    for (int k = 0; k < 3; k++) {
        struct kbuf b;
        krb_build_rep(&b, 13, "eve", "R", "HTTP/x", "R", 23, 40, 18, 0);
        size_t t = 0, e = 0;
        for (size_t i = 0; i + 2 < b.n; i++)
            if (!t && b.b[i] == 0xa5 && b.b[i + 2] == 0x61) t = i;
        /* The ticket's enc-part [3]: SEQUENCE { [0] INTEGER 23 ... */
        for (size_t i = t; t && i + 9 < b.n && !e; i++)
            if (b.b[i] == 0xa3 && b.b[i + 2] == 0x30 && memcmp(b.b + i + 4, enc_part + 2, 5) == 0)
                e = i + 2;
        assert_true(t > 0 && e > 0);
        if (k == 0) b.b[t + 2] = 0x62; /* [APPLICATION 2] */
        if (k == 1) b.b[t + 2] = 0x30;
        if (k == 2) b.b[e] = 0x31; /* SET */
        struct harness h;
        harness_init(&h, 17);
        harness_send(&h, 0, b.b, b.n);
        const struct dissect_event *ev = rep_event();
        if (k < 2)
            assert_null(ev->u.krb_rep.sname);
        else
            assert_string_equal(ev->u.krb_rep.sname, "HTTP/x");
        assert_int_equal(ev->u.krb_rep.ticket_etype, 0);
        assert_int_equal(ev->u.krb_rep.enc_etype, 18);
        harness_done(&h);
    }

    /* etype of 5 octets (beyond Int32): ignored. */
    struct kbuf b;
    b.n = 0;
    put_ctx_int(&b, 0, 5);
    put_ctx_int(&b, 1, 13);
    put_ctx_str(&b, 3, 0x1b, "R");
    put_principal(&b, 4, "eve");
    size_t t = b.n;
    put_ctx_int(&b, 0, 5);
    put_ctx_str(&b, 1, 0x1b, "R");
    put_principal(&b, 2, "HTTP/x");
    size_t ep = b.n;
    put_ctx_int(&b, 0, INT64_C(0x100000017));
    wrap(&b, ep, 0x30);
    wrap(&b, ep, 0xa3);
    wrap(&b, t, 0x30);
    wrap(&b, t, 0x61);
    wrap(&b, t, 0xa5);
    wrap(&b, 0, 0x30);
    wrap(&b, 0, 0x6d);
    struct harness h;
    harness_init(&h, 17);
    harness_send(&h, 0, b.b, b.n);
    const struct dissect_event *ev = rep_event();
    assert_string_equal(ev->u.krb_rep.sname, "HTTP/x");
    assert_int_equal(ev->u.krb_rep.ticket_etype, 0);
    assert_int_equal(ev->u.krb_rep.enc_etype, 0);
    harness_done(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tgs_rep_udp),          cmocka_unit_test(test_as_rep_padata),
        cmocka_unit_test(test_as_rep_large_padata),  cmocka_unit_test(test_tgs_rep_tcp_every_split),
        cmocka_unit_test(test_tgs_rep_tcp_large),    cmocka_unit_test(test_rep_truncation),
        cmocka_unit_test(test_rep_malformed_ticket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* rdp.c and http.c through the real dissection engine: RDP connection
 * requests (MS-RDPBCGR 2.2.1.1) with and without cookie, routing tokens,
 * ISO-TSAP look-alikes; HTTP requests split at every offset, bodies skipped
 * by length and chunks, over-long lines, NTLM over HTTP and the 401 that
 * refuses it, the request limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <ndpi_api.h>

#include "engine.h"
#include "ntlmssp.h"

extern const struct dissector dissector_rdp;
extern const struct dissector dissector_http;

#define MAX_EVENTS 32

struct recorded {
    struct dissect_event ev;
    char s[4][256];
};

static struct recorded events[MAX_EVENTS];
static int nevents;

static const char *keep(struct recorded *r, int i, const char *v)
{
    if (!v) return NULL;
    snprintf(r->s[i], sizeof(r->s[i]), "%s", v);
    return r->s[i];
}

static void record(void *ud, void *f, const struct dissect_event *ev)
{
    (void)ud, (void)f;
    if (nevents == MAX_EVENTS) return;
    struct recorded *r = &events[nevents++];
    r->ev = *ev;
    if (ev->type == EV_RDP_REQUEST) {
        r->ev.u.rdp.cookie = keep(r, 0, ev->u.rdp.cookie);
    } else if (ev->type == EV_HTTP_REQUEST) {
        r->ev.u.http.method = keep(r, 0, ev->u.http.method);
        r->ev.u.http.uri = keep(r, 1, ev->u.http.uri);
        r->ev.u.http.host = keep(r, 2, ev->u.http.host);
        r->ev.u.http.auth_scheme = keep(r, 3, ev->u.http.auth_scheme);
    } else {
        r->ev.u.auth.user = keep(r, 0, ev->u.auth.user);
        r->ev.u.auth.domain = keep(r, 1, ev->u.auth.domain);
        r->ev.u.auth.workstation = keep(r, 2, ev->u.auth.workstation);
    }
}

struct harness {
    struct dissect_engine *e;
    struct dissect_slot slot;
    struct dissect_flow_info f;
    uint32_t seq[2];
};

static void start(struct harness *h)
{
    memset(h, 0, sizeof(*h));
    nevents = 0;
    h->e = dissect_create(record, NULL);
    h->f.proto = 6;
    h->seq[0] = 100, h->seq[1] = 9000;
}

static void feed_bytes(struct harness *h, int to_server, const void *p, size_t n)
{
    struct dissect_segment seg = {
        .payload = p, .len = (uint32_t)n, .tcp_seq = h->seq[!to_server], .to_server = to_server};
    h->seq[!to_server] += (uint32_t)n;
    dissect_packet(h->e, &h->slot, &h->f, NULL, &seg);
}

static void send_str(struct harness *h, int to_server, const char *s)
{
    feed_bytes(h, to_server, s, strlen(s));
}

static void finish(struct harness *h)
{
    dissect_flow_end(h->e, &h->slot, &h->f, NULL, 0);
    dissect_destroy(h->e);
}

/* LM_rdp_sharprdp.pcapng frame 4: cookie IEUser, PROTOCOL_SSL|HYBRID|HYBRID_EX. */
static const uint8_t RDP_CR[] = {0x03, 0x00, 0x00, 0x2c, 0x27, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00,
                                 'C',  'o',  'o',  'k',  'i',  'e',  ':',  ' ',  'm',  's',  't',
                                 's',  'h',  'a',  's',  'h',  '=',  'I',  'E',  'U',  's',  'e',
                                 'r',  0x0d, 0x0a, 0x01, 0x00, 0x08, 0x00, 0x0b, 0x00, 0x00, 0x00};

static void test_rdp_request_every_split(void **st)
{
    (void)st;
    struct dissect_flow_info f = {0};
    assert_true(dissector_rdp.probe(&f, 1, RDP_CR, sizeof(RDP_CR)));
    assert_false(dissector_rdp.probe(&f, 0, RDP_CR, sizeof(RDP_CR)));
    for (size_t cut = 12; cut <= sizeof(RDP_CR); cut++) {
        struct harness h;
        start(&h);
        feed_bytes(&h, 1, RDP_CR, cut);
        if (cut < sizeof(RDP_CR)) feed_bytes(&h, 1, RDP_CR + cut, sizeof(RDP_CR) - cut);
        assert_int_equal(nevents, 1);
        assert_int_equal(events[0].ev.type, EV_RDP_REQUEST);
        assert_string_equal(events[0].ev.u.rdp.cookie, "IEUser");
        assert_int_equal(events[0].ev.u.rdp.protocols, 0x0b);
        finish(&h);
    }
}

static void test_rdp_variants(void **st)
{
    (void)st;
    struct dissect_flow_info f = {0};
    /* No cookie, only RDP_NEG_REQ (zeek rdp-no-cookie-mstshash). */
    const uint8_t neg_only[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xe0, 0x00, 0x00, 0x00, 0x00,
                                0x00, 0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00};
    struct harness h;
    start(&h);
    assert_true(dissector_rdp.probe(&f, 1, neg_only, sizeof(neg_only)));
    feed_bytes(&h, 1, neg_only, sizeof(neg_only));
    assert_int_equal(nevents, 1);
    assert_null(events[0].ev.u.rdp.cookie);
    assert_int_equal(events[0].ev.u.rdp.protocols, 3);
    finish(&h);

    /* A load balancer routing token is not a user. */
    static const char token[] = "\x03\x00\x00\x2a\x25\xe0\x00\x00\x00\x00\x00"
                                "Cookie: msts=3640205228.15629.0000\r\n";
    start(&h);
    feed_bytes(&h, 1, token, sizeof(token) - 1);
    assert_int_equal(nevents, 1);
    assert_null(events[0].ev.u.rdp.cookie);
    finish(&h);

    /* ISO-TSAP (S7comm) connection request: TPKT + COTP CR with parameters. */
    const uint8_t s7[] = {0x03, 0x00, 0x00, 0x16, 0x11, 0xe0, 0x00, 0x00, 0x00, 0x01, 0x00,
                          0xc1, 0x02, 0x01, 0x00, 0xc2, 0x02, 0x01, 0x02, 0xc0, 0x01, 0x0a};
    assert_false(dissector_rdp.probe(&f, 1, s7, sizeof(s7)));
    /* Length indicator that disagrees with the TPKT length. */
    uint8_t bad[sizeof(RDP_CR)];
    memcpy(bad, RDP_CR, sizeof(bad));
    bad[4]++;
    assert_false(dissector_rdp.probe(&f, 1, bad, sizeof(bad)));
    /* Every truncation: no event, no read past the end. */
    for (size_t cut = 0; cut < sizeof(RDP_CR); cut++) {
        uint8_t *p = malloc(cut ? cut : 1);
        memcpy(p, RDP_CR, cut);
        (void)dissector_rdp.probe(&f, 1, p, cut);
        start(&h);
        feed_bytes(&h, 1, p, cut);
        assert_int_equal(nevents, 0);
        finish(&h);
        free(p);
    }
}

static const char WSMAN_REQ[] =
    "POST /wsman?PSVersion=5.1.19041.1 HTTP/1.1\r\n"
    "Connection: Keep-Alive\r\n"
    "Content-Type: application/soap+xml;charset=UTF-8\r\n"
    "Authorization: Kerberos YIIHBgYJKoZIhvcSAQICAQBuggb1MIIG8aADAgEFoQMCAQ6i\r\n"
    "User-Agent: Microsoft WinRM Client\r\n"
    "Content-Length: 5\r\n"
    "Host: srv01.corp.local:5985\r\n\r\n"
    "hello";

static void test_http_request_every_split(void **st)
{
    (void)st;
    size_t n = strlen(WSMAN_REQ);
    for (size_t cut = 8; cut <= n; cut++) {
        struct harness h;
        start(&h);
        feed_bytes(&h, 1, WSMAN_REQ, cut);
        if (cut < n) feed_bytes(&h, 1, WSMAN_REQ + cut, n - cut);
        send_str(&h, 1, "GET /second HTTP/1.1\r\nHost: b\r\n\r\n");
        assert_int_equal(nevents, 2);
        assert_int_equal(events[0].ev.type, EV_HTTP_REQUEST);
        assert_string_equal(events[0].ev.u.http.method, "POST");
        assert_string_equal(events[0].ev.u.http.uri, "/wsman?PSVersion=5.1.19041.1");
        assert_string_equal(events[0].ev.u.http.host, "srv01.corp.local:5985");
        assert_string_equal(events[0].ev.u.http.auth_scheme, "Kerberos");
        assert_string_equal(events[1].ev.u.http.uri, "/second");
        assert_null(events[1].ev.u.http.auth_scheme);
        finish(&h);
    }
}

static void test_http_bodies(void **st)
{
    (void)st;
    struct harness h;
    start(&h);
    /* A chunked request, then a large body over many segments. */
    send_str(&h, 1,
             "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
             "5\r\nGET /\r\n1a;ext=1\r\nHTTP/1.1 200 OK\r\nHost: x\r\n\r\n0\r\nX-T: 1\r\n\r\n");
    send_str(&h, 1, "PUT /b HTTP/1.1\r\nContent-Length: 100000\r\n\r\n");
    static char body[100000];
    memset(body, 'G', sizeof(body));
    for (size_t off = 0; off < sizeof(body); off += 1400)
        feed_bytes(&h, 1, body + off, sizeof(body) - off < 1400 ? sizeof(body) - off : 1400);
    send_str(&h, 1, "GET /c HTTP/1.1\r\n\r\n");
    assert_int_equal(nevents, 3);
    assert_string_equal(events[0].ev.u.http.uri, "/a");
    assert_string_equal(events[1].ev.u.http.uri, "/b");
    assert_string_equal(events[2].ev.u.http.uri, "/c");
    finish(&h);

    /* An over-long header line is skipped; the request still counts. */
    start(&h);
    static char req[8000];
    int n = snprintf(req, sizeof(req), "GET /long HTTP/1.1\r\nCookie: ");
    memset(req + n, 'c', 6000);
    snprintf(req + n + 6000, sizeof(req) - (size_t)n - 6000, "\r\nHost: h\r\n\r\n");
    for (size_t off = 0; off < strlen(req); off += 1000)
        feed_bytes(&h, 1, req + off, strlen(req) - off < 1000 ? strlen(req) - off : 1000);
    assert_int_equal(nevents, 1);
    assert_string_equal(events[0].ev.u.http.host, "h");
    finish(&h);
}

static void test_http_limits_and_probe(void **st)
{
    (void)st;
    struct harness h;
    start(&h);
    for (int i = 0; i < 6; i++)
        send_str(&h, 1, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_int_equal(nevents, 4); /* MAX_REQUESTS, then the flow is let go */
    finish(&h);

    struct dissect_flow_info f = {0};
    const char *yes[] = {"GET / HTTP/1.1\r\n", "OPTIONS * HTTP/1.1\r\n", "POST /wsman HTTP/1.1"};
    const char *no[] = {"GET", "GETX / HTTP/1.1", "HTTP/1.1 200 OK\r\n", "\x16\x03\x01", "get / "};
    for (size_t i = 0; i < 3; i++)
        assert_true(dissector_http.probe(&f, 1, (const uint8_t *)yes[i], strlen(yes[i])));
    for (size_t i = 0; i < 5; i++)
        assert_false(dissector_http.probe(&f, 1, (const uint8_t *)no[i], strlen(no[i])));
    assert_false(dissector_http.probe(&f, 0, (const uint8_t *)yes[0], strlen(yes[0])));

    /* Garbage after a request: the flow is let go, nothing crashes. */
    start(&h);
    send_str(&h, 1, "GET / HTTP/1.1\r\n\r\n\x01\x02\r\n");
    send_str(&h, 0, "HTTP/1.1 2x0 OK\r\n\r\n");
    assert_int_equal(nevents, 1);
    finish(&h);
}

/* MS-NLMP 2.2.1.3 AUTHENTICATE, Unicode, no version or MIC. */
static size_t ntlm_authenticate(const char *user, uint8_t *out)
{
    uint8_t u16[64];
    size_t un = strlen(user);
    for (size_t i = 0; i < un; i++)
        u16[2 * i] = (uint8_t)user[i], u16[2 * i + 1] = 0;
    const uint8_t *fields[6] = {(const uint8_t *)"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
                                (const uint8_t *)"\x11\x11\x11\x11\x11\x11\x11\x11\x11\x11\x11\x11"
                                                 "\x11\x11\x11\x11\x11\x11\x11\x11\x11\x11\x11\x11",
                                (const uint8_t *)"C\0O\0R\0P\0",
                                u16,
                                (const uint8_t *)"W\0S\0",
                                (const uint8_t *)""};
    size_t lens[6] = {24, 24, 8, 2 * un, 4, 0}, off = 64, o = 12;
    memcpy(out, "NTLMSSP\0\3\0\0\0", 12);
    for (int i = 0; i < 6; i++) {
        out[o] = (uint8_t)lens[i], out[o + 1] = 0, out[o + 2] = (uint8_t)lens[i], out[o + 3] = 0;
        out[o + 4] = (uint8_t)off, out[o + 5] = (uint8_t)(off >> 8), out[o + 6] = 0, out[o + 7] = 0;
        memcpy(out + off, fields[i], lens[i]);
        off += lens[i], o += 8;
    }
    memcpy(out + 60, "\x15\x82\x88\xe2", 4);
    return off;
}

static void test_http_ntlm_refused(void **st)
{
    (void)st;
    uint8_t msg[256];
    size_t n = ntlm_authenticate("bob", msg);
    struct ntlmssp_info info;
    if (ntlmssp_parse(msg, n, &info) != 0) skip(); /* NTLMSSP parser not there yet */
    char *b64 = ndpi_base64_encode(msg, n), req[1024];
    snprintf(req, sizeof(req),
             "POST /wsman HTTP/1.1\r\nAuthorization: NTLM %s\r\nHost: srv\r\n"
             "Content-Length: 0\r\n\r\n",
             b64);
    ndpi_free(b64);
    struct harness h;
    start(&h);
    send_str(&h, 1, req);
    send_str(&h, 0, "HTTP/1.1 401 \r\nWWW-Authenticate: Negotiate\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(nevents, 3);
    assert_int_equal(events[0].ev.type, EV_NTLM_AUTH);
    assert_string_equal(events[0].ev.u.auth.user, "bob");
    assert_string_equal(events[0].ev.u.auth.domain, "CORP");
    assert_int_equal(events[1].ev.type, EV_HTTP_REQUEST);
    assert_string_equal(events[1].ev.u.http.auth_scheme, "NTLM");
    assert_int_equal(events[2].ev.type, EV_AUTH_RESULT);
    assert_int_equal(events[2].ev.status, 0xC000006D);
    finish(&h);
}

static void send_at(struct harness *h, uint32_t seq, const char *s)
{
    struct dissect_segment seg = {
        .payload = (const uint8_t *)s, .len = (uint32_t)strlen(s), .tcp_seq = seq, .to_server = 1};
    dissect_packet(h->e, &h->slot, &h->f, NULL, &seg);
}

/* A flow picked up midstream whose first segment seen is not its first
 * sent (a SPAN port reordering): the segments before it are parsed first,
 * once enough packets went by, or at the flow's end. */
static void test_http_midstream_reordered(void **st)
{
    (void)st;
    static const char a[] = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
    static const char b[] = "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
    const uint32_t la = sizeof(a) - 1, lb = sizeof(b) - 1;
    struct harness h;
    /* Anchored at the flow's end, after HOLD_PACKETS (8) packets, or at
     * the server's next packet. */
    for (int how = 0; how < 3; how++) {
        start(&h);
        h.f.midstream = 1;
        send_at(&h, 100 + la, b);
        send_at(&h, 100, a);
        assert_int_equal(nevents, 0);
        for (int i = 0; how == 1 && i < 6; i++)
            send_at(&h, 100 + la + lb, ""); /* bare ACKs */
        if (how == 2) send_str(&h, 0, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        if (how == 0) finish(&h);
        assert_true(nevents >= 2);
        assert_string_equal(events[0].ev.u.http.uri, "/a");
        assert_string_equal(events[1].ev.u.http.uri, "/b");
        if (how != 0) finish(&h);
    }
    /* With its handshake seen, a flow's first segment is its first. */
    start(&h);
    send_at(&h, 100 + la, b);
    send_at(&h, 100, a);
    assert_int_equal(nevents, 1);
    assert_string_equal(events[0].ev.u.http.uri, "/b");
    finish(&h);
}

/* An offloaded segment (tens of KiB) after a hole is held too. */
static void test_http_large_segment_held(void **st)
{
    (void)st;
    static const char x[] = "GET /x HTTP/1.1\r\nHost: x\r\n\r\n";
    static const char a[] = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
    static char b[20100];
    int n = snprintf(b, sizeof(b), "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 20000\r\n\r\n");
    memset(b + n, 'z', 20000);
    b[n + 20000] = 0;
    const uint32_t lx = sizeof(x) - 1, la = sizeof(a) - 1;
    struct harness h;
    start(&h);
    send_at(&h, 100, x);
    send_at(&h, 100 + lx + la, b);
    send_at(&h, 100 + lx, a);
    assert_int_equal(nevents, 3);
    assert_string_equal(events[1].ev.u.http.uri, "/a");
    assert_string_equal(events[2].ev.u.http.uri, "/b");
    finish(&h);
}

/* A capture's snap length cut a request's body: the cut bytes count in
 * the sequence, the body's length skips them, the next request is parsed
 * at once, in sync (no gap). A cut inside the headers is a gap. */
static void test_http_snaplen_cut(void **st)
{
    (void)st;
    static const char p[] = "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n";
    static const char n[] = "GET /n HTTP/1.1\r\nHost: x\r\n\r\n";
    char seg1[sizeof(p) + 100];
    memcpy(seg1, p, sizeof(p) - 1);
    memset(seg1 + sizeof(p) - 1, 'b', 100);
    const uint32_t l1 = sizeof(p) - 1 + 100;
    for (int in_headers = 0; in_headers < 2; in_headers++) {
        struct harness h;
        start(&h);
        struct dissect_segment seg = {.payload = (const uint8_t *)seg1,
                                      .len = in_headers ? 20 : l1,
                                      .cut = in_headers ? l1 - 20 + 900 : 900,
                                      .tcp_seq = 100,
                                      .to_server = 1};
        dissect_packet(h.e, &h.slot, &h.f, NULL, &seg);
        send_at(&h, 100 + l1 + 900, n);
        struct dissect_stats ds;
        dissect_get_stats(h.e, &ds);
        assert_int_equal(ds.reordered, 0);
        assert_int_equal(ds.gaps, (uint64_t)in_headers);
        assert_int_equal(nevents, in_headers ? 0 : 2); /* HTTP lets a flow go at a gap */
        if (!in_headers) assert_string_equal(events[1].ev.u.http.uri, "/n");
        finish(&h);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rdp_request_every_split),
        cmocka_unit_test(test_rdp_variants),
        cmocka_unit_test(test_http_request_every_split),
        cmocka_unit_test(test_http_bodies),
        cmocka_unit_test(test_http_limits_and_probe),
        cmocka_unit_test(test_http_ntlm_refused),
        cmocka_unit_test(test_http_midstream_reordered),
        cmocka_unit_test(test_http_large_segment_held),
        cmocka_unit_test(test_http_snaplen_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* HTTP/1.x requests (RFC 9112), enough for WinRM (MS-WSMV over HTTP,
 * /wsman on 5985/5986): method, URI, Host and the Authorization scheme
 * (RFC 9110 11.6.2) -> EV_HTTP_REQUEST. An NTLMSSP AUTHENTICATE carried in
 * "Authorization: NTLM|Negotiate <base64>" (MS-NTHT 2) -> EV_NTLM_AUTH; the
 * status of the response that follows -> EV_AUTH_RESULT (401: refused,
 * reported as STATUS_LOGON_FAILURE). Lines are read one at a time, bodies
 * skipped by Content-Length or chunk sizes. Only the first MAX_REQUESTS
 * requests of a connection are read; then the flow is let go. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ndpi_api.h>

#include "cursor.h"
#include "dissect.h"
#include "ntlmssp.h"

#define MAX_REQUESTS 4
/* The engine buffers 2048 bytes (dissectors/engine.c REASM_BUF): a longer
 * line is read from its first 2048 bytes and the rest skipped. */
#define LINE_MAX_LEN 2048u
#define STATUS_LOGON_FAILURE 0xC000006Du

enum http_phase { PH_START, PH_HEADERS, PH_CHUNK_SIZE, PH_TRAILER };

struct http_dir {
    uint8_t phase;
    uint8_t skip_line; /* inside the tail of an over-long line */
    uint8_t chunked;
    uint64_t content_length;
};

/* What a request's event reports, held from its request line to the end
 * of its headers only (most often within one packet). */
struct http_req {
    char method[16], uri[256], host[128], scheme[16];
};

struct http_state {
    struct dissect_mem *mem; /* the engine's pool (NULL: libc) */
    struct http_dir dir[2];  /* 0: requests, 1: responses */
    uint8_t requests, auth_pending, head;
    uint8_t lost; /* bytes were lost: no way back into the stream */
    uint16_t status;
    struct http_req *req; /* a request's headers are being read */
};

static const char *const methods[] = {"GET",     "POST",  "PUT",   "HEAD",   "DELETE",
                                      "OPTIONS", "PATCH", "TRACE", "CONNECT"};

/* A request line "METHOD SP request-target ..." (RFC 9112 3) with a
 * known method; returns the method length. */
static size_t request_method(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        size_t m = strlen(methods[i]);
        if (n > m + 1 && memcmp(p, methods[i], m) == 0 && p[m] == ' ' &&
            (p[m + 1] == '/' || p[m + 1] == '*' || p[m + 1] == 'h' || isalnum(p[m + 1])))
            return m;
    }
    return 0;
}

static int probe(const struct dissect_flow_info *f, int to_server, const uint8_t *data, size_t len)
{
    (void)f;
    return to_server && request_method(data, len) > 0;
}

static int header_is(const uint8_t *line, size_t n, const char *name, struct cursor *value)
{
    size_t k = strlen(name);
    if (n <= k || line[k] != ':' || strncasecmp((const char *)line, name, k) != 0) return 0;
    *value = cursor_make(line + k + 1, n - k - 1);
    while (value->left && (value->p[0] == ' ' || value->p[0] == '\t'))
        cursor_skip(value, 1);
    return 1;
}

/* "Authorization: <scheme> <token>": NTLM directly, or inside SPNEGO for
 * Negotiate (MS-NTHT 2.2.1). Kerberos tokens have no NTLMSSP in them. */
static void authorization(struct dissect_ctx *dc, struct http_state *st, struct cursor v,
                          int complete)
{
    const uint8_t *sp = memchr(v.p, ' ', v.left);
    size_t scheme_len = sp ? (size_t)(sp - v.p) : v.left;
    char *scheme = st->req->scheme;
    dissect_copy_printable(v.p, scheme_len, scheme, sizeof(st->req->scheme));
    if (!sp || !complete) return;
    if (strcasecmp(scheme, "NTLM") != 0 && strcasecmp(scheme, "Negotiate") != 0) return;
    cursor_skip(&v, scheme_len + 1);
    size_t tok_len = 0;
    while (tok_len < v.left && v.p[tok_len] > ' ')
        tok_len++;
    size_t blob_len = 0;
    u_char *blob = tok_len ? ndpi_base64_decode(v.p, tok_len, &blob_len) : NULL;
    if (!blob) return;
    struct ntlmssp_info info;
    memset(&info, 0, sizeof(info));
    if (ntlmssp_find(blob, blob_len, &info) == 0 && info.msg_type == NTLMSSP_AUTHENTICATE) {
        struct dissect_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = EV_NTLM_AUTH;
        ev.to_server = 1;
        ev.u.auth.user = info.user;
        ev.u.auth.domain = info.domain;
        ev.u.auth.workstation = info.workstation;
        dc->emit(dc, &ev);
        st->auth_pending = !info.anonymous;
    }
    ndpi_free(blob);
}

static void header(struct dissect_ctx *dc, struct http_state *st, struct http_dir *d, int to_server,
                   const uint8_t *line, size_t n, int complete)
{
    struct cursor v;
    if (header_is(line, n, "Content-Length", &v)) {
        uint64_t cl = 0;
        while (v.left && v.p[0] >= '0' && v.p[0] <= '9' && cl < (1ull << 40))
            cl = cl * 10 + (uint64_t)(cursor_u8(&v) - '0');
        d->content_length = cl;
    } else if (header_is(line, n, "Transfer-Encoding", &v)) {
        d->chunked = memmem(v.p, v.left, "chunked", 7) != NULL;
    } else if (!to_server || !st->req) {
        return;
    } else if (header_is(line, n, "Host", &v)) {
        dissect_copy_printable(v.p, v.left, st->req->host, sizeof(st->req->host));
    } else if (header_is(line, n, "Authorization", &v)) {
        authorization(dc, st, v, complete);
    }
}

/* The end of a request's headers: its event, and its strings let go. */
static void emit_request(struct dissect_ctx *dc, struct http_state *st)
{
    struct http_req *r = st->req;
    if (!r) return;
    struct dissect_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = EV_HTTP_REQUEST;
    ev.to_server = 1;
    ev.u.http.method = r->method;
    ev.u.http.uri = r->uri;
    ev.u.http.host = r->host[0] ? r->host : NULL;
    ev.u.http.auth_scheme = r->scheme[0] ? r->scheme : NULL;
    dc->emit(dc, &ev);
    dissect_free(st->mem, r, sizeof(*r));
    st->req = NULL;
}

/* Request line: method, URI. Status line: the result of a pending
 * NTLM authentication. Returns -1 if the line is not HTTP. */
static int start_line(struct dissect_ctx *dc, struct http_state *st, int to_server,
                      const uint8_t *line, size_t n)
{
    if (to_server) {
        size_t m = request_method(line, n);
        if (!m || ++st->requests > MAX_REQUESTS) return -1;
        struct http_req *r = st->req ? st->req : dissect_alloc(st->mem, sizeof(*r));
        if (!r) return -1;
        st->req = r;
        dissect_copy_printable(line, m, r->method, sizeof(r->method));
        const uint8_t *uri = line + m + 1, *end = memchr(uri, ' ', n - m - 1);
        dissect_copy_printable(uri, end ? (size_t)(end - uri) : n - m - 1, r->uri, sizeof(r->uri));
        r->host[0] = r->scheme[0] = 0;
        st->head = m == 4 && memcmp(line, "HEAD", 4) == 0;
        return 0;
    }
    /* RFC 9112 4: HTTP-version SP 3DIGIT SP reason */
    if (n < 12 || memcmp(line, "HTTP/1.", 7) != 0 || line[8] != ' ') return -1;
    struct cursor c = cursor_at(line, n, 9, 3);
    uint16_t status = 0;
    while (c.left) {
        uint8_t b = cursor_u8(&c);
        if (b < '0' || b > '9') return -1;
        status = (uint16_t)(status * 10 + (b - '0'));
    }
    st->status = status;
    if (st->auth_pending && status >= 200) {
        struct dissect_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = EV_AUTH_RESULT;
        ev.status = status == 401 ? STATUS_LOGON_FAILURE : 0;
        dc->emit(dc, &ev);
        st->auth_pending = 0;
    }
    return 0;
}

/* End of a message's headers: how much body to skip. */
static long end_of_headers(struct http_state *st, struct http_dir *d, int to_server,
                           size_t line_len)
{
    uint64_t body = d->content_length;
    d->phase = PH_START;
    d->content_length = 0;
    /* RFC 9112 6.3: no body for HEAD responses, 1xx, 204, 304. */
    if (!to_server && (st->head || st->status < 200 || st->status == 204 || st->status == 304))
        return (long)line_len;
    if (d->chunked) {
        d->chunked = 0;
        d->phase = PH_CHUNK_SIZE;
        return (long)line_len;
    }
    /* A response delimited by the end of the connection: nothing follows. */
    if (!to_server && body == 0 && st->status >= 200) return (long)line_len;
    if (body > (uint64_t)1 << 40) return DISSECT_STOP;
    return (long)(line_len + body);
}

static int hex_digit(uint8_t b)
{
    if (b >= '0' && b <= '9') return b - '0';
    if (b >= 'a' && b <= 'f') return b - 'a' + 10;
    if (b >= 'A' && b <= 'F') return b - 'A' + 10;
    return -1;
}

static long parse(struct dissect_ctx *dc, void *state, int to_server, const uint8_t *data,
                  size_t len)
{
    struct http_state *st = state;
    struct http_dir *d = &st->dir[!to_server];
    if (st->lost) return DISSECT_STOP;
    const uint8_t *eol = memchr(data, '\n', len);
    int complete = eol != NULL;
    size_t line_len = eol ? (size_t)(eol - data) + 1 : len;
    if (!eol && len < LINE_MAX_LEN) return 0;
    if (d->skip_line) {
        d->skip_line = !complete;
        return (long)line_len;
    }
    d->skip_line = !complete;
    size_t n = eol ? line_len - 1 : len;
    if (n && data[n - 1] == '\r') n--;

    switch (d->phase) {
    case PH_START:
        if (n == 0) return (long)line_len; /* CRLF between messages */
        if (!complete || start_line(dc, st, to_server, data, n) != 0) return DISSECT_STOP;
        d->phase = PH_HEADERS;
        return (long)line_len;
    case PH_HEADERS:
        if (n == 0) {
            if (to_server) emit_request(dc, st);
            long skip = end_of_headers(st, d, to_server, line_len);
            /* Done when enough requests were seen and no result is awaited. */
            if (st->requests >= MAX_REQUESTS && !st->auth_pending && d->phase == PH_START)
                return DISSECT_STOP;
            return skip;
        }
        header(dc, st, d, to_server, data, n, complete);
        return (long)line_len;
    case PH_CHUNK_SIZE: {
        /* RFC 9112 7.1: chunk-size [ chunk-ext ] CRLF chunk-data CRLF */
        uint64_t size = 0;
        size_t i = 0;
        struct cursor c = cursor_make(data, n);
        for (; c.left && i < 12; i++) {
            int v = hex_digit(c.p[0]);
            if (v < 0) break;
            size = size * 16 + (uint64_t)v;
            cursor_skip(&c, 1);
        }
        if (i == 0 || i == 12) return DISSECT_STOP;
        if (size == 0) d->phase = PH_TRAILER;
        return (long)(line_len + (size ? size + 2 : 0));
    }
    default: /* PH_TRAILER: trailer fields until an empty line */
        if (n == 0) d->phase = PH_START;
        return (long)line_len;
    }
}

static void gap(void *state, int to_server)
{
    struct http_state *st = state;
    (void)to_server;
    st->lost = 1;
}

static void init_state(void *state, struct dissect_mem *mem)
{
    struct http_state *st = state;
    st->mem = mem;
}

static void release_state(void *state)
{
    struct http_state *st = state;
    dissect_free(st->mem, st->req, sizeof(*st->req));
    st->req = NULL;
}

const struct dissector dissector_http = {
    .name = "http",
    .transports = DISSECT_TCP,
    .probe = probe,
    .state_size = sizeof(struct http_state),
    .init_state = init_state,
    .parse = parse,
    .gap = gap,
    .release_state = release_state,
};

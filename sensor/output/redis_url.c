#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_url.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Copies [s, s+n) into dst, decoding %XX (RFC 3986 2.1) so a password can
 * hold '@', ':' or '/'. */
static int pct_decode(char *dst, size_t dstlen, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= n) return -1;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0) return -1;
            c = (char)(hi << 4 | lo);
            i += 2;
        }
        if (c == '\0' || o + 1 >= dstlen) return -1;
        dst[o++] = c;
    }
    dst[o] = '\0';
    return 0;
}

/* Parses a decimal integer in [lo, hi] that spans exactly [s, s+n). */
static int parse_int(const char *s, size_t n, long lo, long hi, int *out)
{
    if (n == 0 || n > 10) return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

/* "[user]:pass@" before the host or path; the last '@' ends it so an
 * unencoded '@' in a password still works. */
static int parse_userinfo(const char *auth, size_t n, struct redis_url *u, char *err, size_t errlen)
{
    const char *at = NULL;
    for (size_t i = 0; i < n; i++)
        if (auth[i] == '@') at = auth + i;
    if (!at) return 0;
    const char *colon = memchr(auth, ':', (size_t)(at - auth));
    if (!colon) {
        snprintf(err, errlen, "redis URL: credentials must be user:password@ or :password@");
        return -1;
    }
    if (pct_decode(u->user, sizeof(u->user), auth, (size_t)(colon - auth)) < 0 ||
        pct_decode(u->pass, sizeof(u->pass), colon + 1, (size_t)(at - colon - 1)) < 0) {
        snprintf(err, errlen, "redis URL: bad or too long user/password encoding");
        return -1;
    }
    if (u->pass[0] == '\0') {
        snprintf(err, errlen, "redis URL: empty password");
        return -1;
    }
    return (int)(at - auth) + 1;
}

static int parse_hostport(const char *s, size_t n, struct redis_url *u, char *err, size_t errlen)
{
    const char *host = s, *port = NULL;
    size_t hostlen = n;
    if (n > 0 && s[0] == '[') { /* RFC 3986 IPv6 literal */
        const char *rb = memchr(s, ']', n);
        if (!rb) {
            snprintf(err, errlen, "redis URL: missing ']' after IPv6 address");
            return -1;
        }
        host = s + 1;
        hostlen = (size_t)(rb - host);
        if (rb + 1 < s + n) {
            if (rb[1] != ':') {
                snprintf(err, errlen, "redis URL: junk after IPv6 address");
                return -1;
            }
            port = rb + 2;
        }
    } else {
        const char *colon = memchr(s, ':', n);
        if (colon) {
            hostlen = (size_t)(colon - s);
            port = colon + 1;
        }
    }
    if (hostlen >= sizeof(u->host)) {
        snprintf(err, errlen, "redis URL: host name too long");
        return -1;
    }
    if (hostlen == 0)
        snprintf(u->host, sizeof(u->host), "127.0.0.1");
    else {
        memcpy(u->host, host, hostlen);
        u->host[hostlen] = '\0';
    }
    if (port && parse_int(port, (size_t)(s + n - port), 1, 65535, &u->port) < 0) {
        snprintf(err, errlen, "redis URL: port must be 1-65535");
        return -1;
    }
    return 0;
}

static int parse_tcp(const char *rest, struct redis_url *u, char *err, size_t errlen)
{
    size_t authlen = strcspn(rest, "/?#");
    int skip = parse_userinfo(rest, authlen, u, err, errlen);
    if (skip < 0) return -1;
    if (parse_hostport(rest + skip, authlen - (size_t)skip, u, err, errlen) < 0) return -1;
    const char *p = rest + authlen;
    if (*p == '/' && p[1] != '\0') {
        if (parse_int(p + 1, strlen(p + 1), 0, 1000000, &u->db) < 0) {
            snprintf(err, errlen, "redis URL: database must be a number after '/'");
            return -1;
        }
    } else if (*p != '\0' && strcmp(p, "/") != 0) {
        snprintf(err, errlen, "redis URL: unexpected \"%s\" after host", p);
        return -1;
    }
    return 0;
}

static int parse_unix(const char *rest, struct redis_url *u, char *err, size_t errlen)
{
    size_t authlen = strcspn(rest, "/");
    int skip = parse_userinfo(rest, authlen, u, err, errlen);
    if (skip < 0) return -1;
    if ((size_t)skip != authlen || rest[authlen] != '/') {
        snprintf(err, errlen, "redis URL: unix socket needs an absolute path (unix:///path)");
        return -1;
    }
    const char *path = rest + authlen;
    size_t pathlen = strcspn(path, "?");
    if (pathlen >= sizeof(u->path) || pathlen >= 108 /* sun_path */) {
        snprintf(err, errlen, "redis URL: unix socket path too long");
        return -1;
    }
    memcpy(u->path, path, pathlen);
    u->path[pathlen] = '\0';
    if (path[pathlen] == '?') {
        const char *q = path + pathlen + 1;
        if (strncmp(q, "db=", 3) != 0 || parse_int(q + 3, strlen(q + 3), 0, 1000000, &u->db) < 0) {
            snprintf(err, errlen, "redis URL: only ?db=N is understood after a socket path");
            return -1;
        }
    }
    return 0;
}

int redis_url_parse(const char *url, struct redis_url *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->port = 6379;
    if (!url || !*url) {
        snprintf(err, errlen, "redis URL: empty");
        return -1;
    }
    if (strncmp(url, "redis://", 8) == 0) return parse_tcp(url + 8, out, err, errlen);
    if (strncmp(url, "unix://", 7) == 0) return parse_unix(url + 7, out, err, errlen);
    if (strncmp(url, "rediss://", 9) == 0) {
        snprintf(err, errlen, "redis URL: TLS (rediss://) is not supported");
        return -1;
    }
    snprintf(err, errlen, "redis URL \"%s\": expected redis://host[:port][/db] or unix:///path",
             url);
    return -1;
}

/* Flow detectors that need no dissector: internal_scan (T1046), counted
 * when a flow starts, so unanswered SYNs and refused connections count as
 * soon as they are seen; ndpi_risk, decided when a flow's application is
 * final (which every flow reaches once). */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ndpi_api.h>

#include "detect.h"
#include "hosttab.h"

/* internal_scan: per source host, the distinct destination hosts; per
 * (source, destination) pair, the distinct destination ports, both inside
 * or between internal zones (neither end external), in a tumbling window
 * that starts at the first flow counted. Distinct values are counted with
 * a 1024-bit linear-counting sketch (Whang et al., 1990): exact in practice
 * up to a few dozen, within a few percent up to ~2000, 128 bytes whatever
 * the scan size. Tables are fixed: a slot is found among 8 probed from the
 * address hash and the least recently used of them is replaced. */
#define SKETCH_BITS 1024
#define SCAN_SOURCES 1024
#define SCAN_PAIRS 2048
#define SCAN_PROBE 8
#define FNV64_BASIS 1469598103934665603ull

enum { SCAN_HOSTS, SCAN_PORTS, SCAN_WINDOW };

struct sketch {
    uint64_t bits[SKETCH_BITS / 64];
    uint16_t set;
};

struct scan_entry {
    struct hosttab_window w;
    uint8_t fired;
    struct sketch sk;
};

struct scan_state {
    struct hosttab *sources, *pairs;
};

static void scan_free(void *state)
{
    struct scan_state *s = state;
    hosttab_destroy(s->sources);
    hosttab_destroy(s->pairs);
    free(s);
}

static void *scan_init(void)
{
    struct scan_state *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    struct hosttab_config c = {.slots = SCAN_SOURCES,
                               .probe = SCAN_PROBE,
                               .key_len = 16,
                               .value_size = sizeof(struct scan_entry)};
    s->sources = hosttab_create(&c);
    c.slots = SCAN_PAIRS;
    c.key_len = 32;
    s->pairs = hosttab_create(&c);
    if (!s->sources || !s->pairs) {
        scan_free(s);
        return NULL;
    }
    return s;
}

static const struct detect_state_ops scan_ops = {"internal_scan sources and pairs", scan_init,
                                                 scan_free};

static uint64_t hash_bytes(const uint8_t *p, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

/* Returns 1 when the value was not in the sketch yet. */
static int sketch_add(struct sketch *s, uint64_t h)
{
    unsigned b = (unsigned)(h % SKETCH_BITS);
    uint64_t m = 1ull << (b % 64);
    if (s->bits[b / 64] & m) return 0;
    s->bits[b / 64] |= m;
    s->set++;
    return 1;
}

static double sketch_estimate(const struct sketch *s)
{
    if (s->set >= SKETCH_BITS) return 1e9;
    return -(double)SKETCH_BITS * log((double)(SKETCH_BITS - s->set) / SKETCH_BITS);
}

/* The entry of a source (dst NULL) or pair at time t, its window current. */
static struct scan_entry *scan_entry(struct hosttab *tab, const uint8_t *src, const uint8_t *dst,
                                     uint64_t t, uint64_t window_us)
{
    size_t key_len = dst ? 32 : 16;
    uint8_t key[32];
    memcpy(key, src, 16);
    if (dst) memcpy(key + 16, dst, 16);
    int created;
    struct scan_entry *s =
        hosttab_get(tab, key, hash_bytes(key, key_len, FNV64_BASIS), t, &created);
    if (created) hosttab_window_open(&s->w, t);
    if (hosttab_window_roll(&s->w, t, window_us)) {
        memset(&s->sk, 0, sizeof(s->sk));
        s->fired = 0;
    }
    return s;
}

/* Multicast, broadcast and unspecified addresses are not hosts one scans. */
static int is_host(const uint8_t a[16])
{
    static const uint8_t v4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(a, v4, 12) == 0) {
        if (a[12] >= 224 || a[12] == 0) return 0; /* 224/4 multicast, 240/4, 0/8 */
        return a[15] != 255;                      /* a subnet broadcast, most often */
    }
    static const uint8_t zero[16];
    return a[0] != 0xff && memcmp(a, zero, 16) != 0; /* ff00::/8 multicast, :: */
}

static void scan_alert(struct detect_ctx *ctx, struct flow *f, int ports, double est, uint64_t win)
{
    char sig[160], dst[INET6_ADDRSTRLEN];
    const uint8_t *d = f->key.addr[!f->client];
    if (f->key.family == 4)
        inet_ntop(AF_INET, d + 12, dst, sizeof(dst));
    else
        inet_ntop(AF_INET6, d, dst, sizeof(dst));
    if (ports)
        snprintf(sig, sizeof(sig), "VIGIE Internal port scan: %.0f ports of %s in %us", est, dst,
                 (unsigned)(win / 1000000u));
    else
        snprintf(sig, sizeof(sig), "VIGIE Internal host scan: %.0f hosts in %us", est,
                 (unsigned)(win / 1000000u));
    struct alert a = {
        .variant = (uint32_t)ports,
        .signature = sig,
        .severity = detect_severity(ctx, f, 2),
    };
    alert_add_num(&a, ports ? "ports" : "hosts", (uint64_t)(est + 0.5));
    if (ports) alert_add_str(&a, "target", dst);
    alert_add_num(&a, "last_port", detect_server_port(f));
    alert_add_num(&a, "window_s", win / 1000000u);
    detect_emit(ctx, &a, f);
}

static void internal_scan(struct detect_ctx *ctx, struct flow *f)
{
    const uint8_t *src = f->key.addr[f->client], *dst = f->key.addr[!f->client];
    if (f->zone[f->client] == ZONE_EXTERNAL || f->zone[!f->client] == ZONE_EXTERNAL) return;
    if (!is_host(dst) || !is_host(src)) return;
    struct scan_state *st = ctx->state;
    uint64_t win = (uint64_t)detect_param(ctx, SCAN_WINDOW) * 1000000u;
    /* Counted when the connection attempt starts, as Zeek's scan detection
     * does: unanswered probes are only classified when they time out. */
    uint64_t t = f->first_us;

    struct scan_entry *s = scan_entry(st->sources, src, NULL, t, win);
    if (sketch_add(&s->sk, hash_bytes(dst, 16, 7))) {
        double est = sketch_estimate(&s->sk);
        if (!s->fired && est >= detect_param(ctx, SCAN_HOSTS)) {
            s->fired = 1;
            scan_alert(ctx, f, 0, est, win);
        }
    }
    if (f->key.proto != 6 && f->key.proto != 17) return;
    struct scan_entry *p = scan_entry(st->pairs, src, dst, t, win);
    uint16_t port = detect_server_port(f);
    if (sketch_add(&p->sk, hash_bytes((const uint8_t *)&port, 2, f->key.proto))) {
        double est = sketch_estimate(&p->sk);
        if (!p->fired && est >= detect_param(ctx, SCAN_PORTS)) {
            p->fired = 1;
            scan_alert(ctx, f, 1, est, win);
        }
    }
}

const struct detector detector_internal_scan = {
    .info = {.id = "internal_scan",
             .sid = 9102200,
             .category = "Discovery",
             .techniques = {"T1046"},
             .severity = 2},
    .params = {[SCAN_HOSTS] = {"hosts", 20, 1, 1000000},
               [SCAN_PORTS] = {"ports", 30, 1, 1000000},
               [SCAN_WINDOW] = {"window", 60, 1, 86400}},
    .state = &scan_ops,
    .on_start = internal_scan,
};

/* ndpi_risk: the nDPI 4.2 flow risks (ndpi_typedefs.h ndpi_risk_enum) a SOC
 * acts on, in priority order; the first one present names the variant.
 * Left out on purpose: TLS certificate and cipher findings (self-signed
 * certificates are the norm for RDP and WinRM inside a network), obsolete
 * SSH versions, HTTP header oddities, DNS size findings, entropy, malformed
 * packets: frequent, rarely actionable. */
static const struct {
    ndpi_risk_enum risk;
    uint32_t variant;
    int severity;
    const char *what;
} risks[] = {
    {NDPI_POSSIBLE_EXPLOIT, 1, 1, "exploit attempt"},
    {NDPI_URL_POSSIBLE_RCE_INJECTION, 1, 1, "exploit attempt"},
    {NDPI_URL_POSSIBLE_SQL_INJECTION, 1, 1, "exploit attempt"},
    {NDPI_URL_POSSIBLE_XSS, 1, 1, "exploit attempt"},
    {NDPI_SUSPICIOUS_DGA_DOMAIN, 2, 2, "DGA-like domain"},
    {NDPI_CLEAR_TEXT_CREDENTIALS, 3, 2, "clear-text credentials"},
    {NDPI_SMB_INSECURE_VERSION, 4, 2, "SMBv1"},
    {NDPI_BINARY_APPLICATION_TRANSFER, 5, 2, "executable transferred over HTTP"},
    {NDPI_KNOWN_PROTOCOL_ON_NON_STANDARD_PORT, 6, 2, "admin protocol on a non-standard port"},
    {NDPI_UNSAFE_PROTOCOL, 7, 3, "unsafe protocol"},
    {NDPI_DESKTOP_OR_FILE_SHARING_SESSION, 8, 3, "remote desktop or file sharing tool"},
};
#define NRISKS (sizeof(risks) / sizeof(risks[0]))

/* A known protocol on an unusual port matters for remote administration
 * (a hidden SSH or RDP service); for web and DCE-RPC it is routine. */
static int admin_protocol(const struct flow *f)
{
    static const uint16_t ids[] = {NDPI_PROTOCOL_SSH, NDPI_PROTOCOL_RDP,   NDPI_PROTOCOL_TELNET,
                                   NDPI_PROTOCOL_VNC, NDPI_PROTOCOL_SMBV1, NDPI_PROTOCOL_SMBV23};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        if (f->cls.master == ids[i] || f->cls.app == ids[i]) return 1;
    return 0;
}

static uint64_t risk_bit(ndpi_risk_enum r)
{
    return 1ull << (unsigned)r;
}

static void risk_alert(struct detect_ctx *ctx, struct flow *f, size_t which, const char *names,
                       uint64_t other)
{
    char app[64], sig[192];
    classify_proto_name(ctx->cls, f, app, sizeof(app));
    snprintf(sig, sizeof(sig), "VIGIE nDPI risk: %s (%s) %s -> %s", risks[which].what, app,
             zones_name(ctx->zones, f->zone[f->client]),
             zones_name(ctx->zones, f->zone[!f->client]));
    struct alert a = {
        .variant = risks[which].variant,
        .signature = sig,
        .severity = detect_severity(ctx, f, risks[which].severity),
    };
    alert_add_str(&a, "risks", names);
    alert_add_str(&a, "app", app);
    alert_add_num(&a, "server_port", detect_server_port(f));
    alert_add_num(&a, "other_risks", other);
    detect_emit(ctx, &a, f);
}

static int is_http(const struct flow *f)
{
    return f->cls.master == NDPI_PROTOCOL_HTTP || f->cls.app == NDPI_PROTOCOL_HTTP;
}

static void risk_found(struct detect_ctx *ctx, struct flow *f)
{
    uint64_t wanted = 0;
    for (size_t i = 0; i < NRISKS; i++)
        wanted |= risk_bit(risks[i].risk);
    /* RDP and VNC are desktop sharing to nDPI too: admin_protocol_cross_zone
     * reports them; here the tools (AnyDesk, TeamViewer...) remain. */
    if (!admin_protocol(f))
        wanted &= ~risk_bit(NDPI_KNOWN_PROTOCOL_ON_NON_STANDARD_PORT);
    else
        wanted &= ~risk_bit(NDPI_DESKTOP_OR_FILE_SHARING_SESSION);
    /* nDPI calls every NetBIOS browser announcement (SMBv1 mailslots to a
     * broadcast address) unsafe: only protocols spoken to a host count. */
    if (!is_host(f->key.addr[!f->client])) wanted &= ~risk_bit(NDPI_UNSAFE_PROTOCOL);
    /* nDPI 4.2 says clear-text credentials for any HTTP Authorization
     * header, NTLM and Negotiate (WinRM) included: the http dissector's
     * scheme decides instead (basic_auth below). */
    if (is_http(f)) wanted &= ~risk_bit(NDPI_CLEAR_TEXT_CREDENTIALS);
    uint64_t found = f->cls.risk & wanted;
    /* A TCP flow nDPI named by its port alone, that never got past the
     * handshake, is no use of the protocol (a scan of port 23 is not
     * Telnet). One named by its payload is, however early: an SMBv1
     * negotiation is named at the client's first segment. */
    if (!found || (f->key.proto == 6 && f->cls.guessed &&
                   (f->pkts[0] < 2 || f->pkts[1] < 2 || f->pkts[0] + f->pkts[1] < 4)))
        return;
    size_t first = 0;
    while (!(found & risk_bit(risks[first].risk)))
        first++;

    /* Evidence: the names nDPI gives the selected risks. */
    char names[256] = "";
    size_t o = 0;
    int pos = 0;
    const char *name;
    struct flow only = *f;
    only.cls.risk = found;
    while ((name = classify_next_risk(&only, &pos)) && o < sizeof(names)) {
        int w = snprintf(names + o, sizeof(names) - o, "%s%s", o ? "," : "", name);
        if (w > 0) o += (size_t)w;
    }
    risk_alert(ctx, f, first, names, (uint64_t)__builtin_popcountll(f->cls.risk & ~found));
}

/* HTTP Basic authentication (RFC 7617): the password in base64. */
static void basic_auth(struct detect_ctx *ctx, struct flow *f, const struct dissect_event *ev)
{
    if (ev->type != EV_HTTP_REQUEST || !ev->u.http.auth_scheme ||
        strcasecmp(ev->u.http.auth_scheme, "Basic") != 0)
        return;
    size_t i = 0;
    while (risks[i].risk != NDPI_CLEAR_TEXT_CREDENTIALS)
        i++;
    risk_alert(ctx, f, i, "Clear-Text Credentials (HTTP Basic)", 0);
}

/* SPEC section 7 maps ndpi_risk to no ATT&CK technique. */
const struct detector detector_ndpi_risk = {
    .info = {.id = "ndpi_risk",
             .sid = 9102300,
             .category = "Potentially Bad Traffic",
             .techniques = {NULL},
             .severity = 3},
    .on_classified = risk_found,
    .on_event = basic_auth,
};

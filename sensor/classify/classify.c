/* nDPI classification. See classify.h for the decision rule; it is the one
 * of ndpiReader 4.2's packet_processing(), so that the protocol named for a
 * flow is the one ndpiReader names on the same capture. */
#include <ctype.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ndpi_api.h>

#include "classify.h"
#include "ndpi_override.h"

#define MAX_TCP_DPI_PACKETS 80 /* ndpiReader -T default */
#define MAX_UDP_DPI_PACKETS 24 /* ndpiReader -U default */
/* ndpiReader has no limit for other protocols; nDPI decides those from
 * the IP protocol alone, so a limit only bounds memory. */
#define MAX_OTHER_DPI_PACKETS 24
#define POOL_CHUNK 1024

/* nDPI's own allocations are counted so flows under classification count
 * against the memcap, at what they really take from libc: the block
 * malloc_usable_size() reports plus its chunk header, with our size header
 * inside. The header keeps that figure for ndpi_free. nDPI 4.2 takes its
 * allocator globally, hence one counter per thread (a worker's classifier
 * is fed by its one thread); each classifier reads its share as the
 * difference over its own calls into nDPI. */
#define HEADER 16
static _Thread_local size_t ndpi_bytes;

static void *counting_malloc(size_t size)
{
    size_t *p = malloc(size + HEADER);
    if (!p) return NULL;
    *p = malloc_usable_size(p) + sizeof(size_t);
    ndpi_bytes += *p;
    return (char *)p + HEADER;
}

static void counting_free(void *ptr)
{
    if (!ptr) return;
    size_t *p = (size_t *)((char *)ptr - HEADER);
    ndpi_bytes -= *p;
    free(p);
}

/* Freed nDPI flow states are recycled, so a steady stream of new flows
 * costs no malloc or page fault. A state in use knows its flow and, while
 * nDPI has named the flow's application but still wants packets (a
 * response, a certificate), sits in the waiting list, oldest at the tail:
 * the states given up first when over budget. */
struct pool_item {
    struct ndpi_flow_struct flow; /* first: the pointer nDPI and the flow hold */
    struct flow *owner;
    struct pool_item *prev, *next; /* waiting list; next: free list too */
    int waiting;
};

struct classifier {
    struct ndpi_detection_module_struct *mod;
    size_t mem;   /* bytes of per-flow nDPI memory, for the memcap */
    size_t inner; /* of which allocated by nDPI inside flow states */
    size_t budget;
    struct pool_item *free_list;
    struct pool_item *wait_head, *wait_tail;
    size_t pool_items;
    void **chunks;
    size_t nchunks;
    uint64_t last_ms;
    struct classify_stats st;
    /* An offloaded frame's IP header with its length written in (nDPI
     * drops a datagram whose length field is 0). */
    uint8_t offload_copy[65535];
};

/* Once: nDPI's allocator is a global other threads' modules call. */
static pthread_once_t allocator_once = PTHREAD_ONCE_INIT;
static void set_allocator(void)
{
    set_ndpi_malloc(counting_malloc);
    set_ndpi_free(counting_free);
}

struct classifier *classify_create(char *err, size_t errlen)
{
    struct classifier *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errlen, "classify: out of memory");
        return NULL;
    }
    pthread_once(&allocator_once, set_allocator);
    /* vigie's copies of nDPI's costliest steps, or nDPI's own */
    c->mod = ndpi_override_module_new();
    if (!c->mod) {
        snprintf(err, errlen, "classify: nDPI initialisation failed");
        free(c);
        return NULL;
    }
    c->budget = CLASSIFY_BUDGET_DEFAULT;
    return c;
}

void classify_set_budget(struct classifier *c, size_t bytes)
{
    c->budget = bytes;
}

void classify_destroy(struct classifier *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->nchunks; i++)
        free(c->chunks[i]);
    free(c->chunks);
    ndpi_override_module_free(c->mod);
    free(c);
}

static struct pool_item *item_of(struct ndpi_flow_struct *f)
{
    return (struct pool_item *)(void *)f;
}

static struct ndpi_flow_struct *pool_get(struct classifier *c, struct flow *owner)
{
    if (!c->free_list) {
        void **chunks = realloc(c->chunks, (c->nchunks + 1) * sizeof(*chunks));
        if (!chunks) return NULL;
        c->chunks = chunks;
        struct pool_item *items = malloc(POOL_CHUNK * sizeof(*items));
        if (!items) return NULL;
        c->chunks[c->nchunks++] = items;
        for (size_t i = 0; i < POOL_CHUNK; i++) {
            items[i].next = c->free_list;
            c->free_list = &items[i];
        }
        c->pool_items += POOL_CHUNK;
    }
    struct pool_item *it = c->free_list;
    c->free_list = it->next;
    memset(it, 0, sizeof(*it));
    it->owner = owner;
    return &it->flow;
}

static void wait_unlink(struct classifier *c, struct pool_item *it)
{
    if (!it->waiting) return;
    if (it->prev)
        it->prev->next = it->next;
    else
        c->wait_head = it->next;
    if (it->next)
        it->next->prev = it->prev;
    else
        c->wait_tail = it->prev;
    it->prev = it->next = NULL;
    it->waiting = 0;
}

static void wait_push_head(struct classifier *c, struct pool_item *it)
{
    it->prev = NULL;
    it->next = c->wait_head;
    if (c->wait_head) c->wait_head->prev = it;
    c->wait_head = it;
    if (!c->wait_tail) c->wait_tail = it;
    it->waiting = 1;
}

static void update_mem(struct classifier *c)
{
    c->mem = (size_t)c->st.active_states * sizeof(struct pool_item) + c->inner;
    c->st.mem_bytes = c->mem;
}

static void pool_put(struct classifier *c, struct ndpi_flow_struct *f)
{
    struct pool_item *it = item_of(f);
    if (it->waiting) c->st.waiting--;
    wait_unlink(c, it);
    size_t before = ndpi_bytes;
    ndpi_free_flow_data(f); /* what nDPI allocated inside the flow */
    c->inner += ndpi_bytes - before;
    it->owner = NULL;
    it->next = c->free_list;
    c->free_list = it;
    c->st.active_states--;
    update_mem(c);
}

/* The decision is final: keep what the flow record needs, recycle the
 * nDPI state. */
static void settle(struct classifier *c, struct flow *f, ndpi_protocol p)
{
    struct flow_classification *k = &f->cls;
    k->master = p.master_protocol;
    k->app = p.app_protocol;
    k->category = (uint16_t)p.category;
    k->risk = k->ndpi->risk;
    k->done = 1;
    pool_put(c, k->ndpi);
    k->ndpi = NULL;
}

/* Over budget: the flows nDPI named longest ago and still feeds (for a
 * response, a certificate) keep what nDPI named and give their state back.
 * Their decision becomes final at their next packet or their end, where
 * the caller learns of it as of any other (classify_packet returns 1,
 * classify_finish). Flows nDPI has not named yet keep their state: the
 * flow table's memcap bounds them. */
static void shed(struct classifier *c, const struct flow *keep)
{
    while (c->mem > c->budget && c->wait_tail) {
        struct pool_item *it = c->wait_tail;
        if (it->owner == keep) {
            if (!it->prev) return;
            it = it->prev;
        }
        struct flow_classification *k = &it->owner->cls;
        k->risk = it->flow.risk;
        k->shed = 1;
        k->ndpi = NULL;
        c->st.shed++;
        pool_put(c, &it->flow);
    }
}

static ndpi_protocol give_up(struct classifier *c, struct flow *f)
{
    uint8_t guessed = 0;
    c->st.given_up++;
    size_t before = ndpi_bytes;
    ndpi_protocol p = ndpi_detection_giveup(c->mod, f->cls.ndpi, 1, &guessed);
    c->inner += ndpi_bytes - before;
    f->cls.guessed = guessed != 0;
    return p;
}

/* A copy of an offloaded (TSO/GSO) datagram whose length field says what
 * was captured: the one copy on this path, and only for such frames. */
static const uint8_t *offload_fixed(struct classifier *c, const struct packet *pkt,
                                    unsigned short len)
{
    memcpy(c->offload_copy, pkt->l3, len);
    if (pkt->ip_version == 4 && len >= 20) {
        c->offload_copy[2] = (uint8_t)(len >> 8);
        c->offload_copy[3] = (uint8_t)len;
    } else if (pkt->ip_version == 6 && len >= 40) {
        c->offload_copy[4] = (uint8_t)((len - 40) >> 8);
        c->offload_copy[5] = (uint8_t)(len - 40);
    }
    return c->offload_copy;
}

/* A flow whose state was shed: what nDPI named is final now. */
static int settle_shed(struct classifier *c, struct flow *f)
{
    f->cls.done = 1;
    c->st.classified++;
    return 1;
}

int classify_packet(struct classifier *c, struct flow *f, const struct packet *pkt)
{
    struct flow_classification *k = &f->cls;
    if (k->done) return 0;
    if (k->shed) return settle_shed(c, f);
    if (!k->ndpi) {
        k->ndpi = pool_get(c, f);
        if (!k->ndpi) {
            c->st.pool_exhausted++;
            k->done = 1;
            return 1;
        }
        c->st.active_states++;
    }
    /* nDPI wants monotonic milliseconds, as ndpiReader feeds it. */
    uint64_t ms = pkt->ts_us / 1000;
    if (ms < c->last_ms) ms = c->last_ms;
    c->last_ms = ms;

    unsigned short len = pkt->l3_len > 65535 ? 65535 : (unsigned short)pkt->l3_len;
    const uint8_t *l3 = pkt->offloaded ? offload_fixed(c, pkt, len) : pkt->l3;
    size_t before = ndpi_bytes;
    ndpi_protocol p = ndpi_detection_process_packet(c->mod, k->ndpi, l3, len, ms);
    c->inner += ndpi_bytes - before;
    c->st.dpi_packets++;
    k->dpi_packets++;

    unsigned limit = f->key.proto == 6    ? MAX_TCP_DPI_PACKETS
                     : f->key.proto == 17 ? MAX_UDP_DPI_PACKETS
                                          : MAX_OTHER_DPI_PACKETS;
    int enough = f->pkts[0] + f->pkts[1] > limit;
    if (!enough && p.app_protocol == NDPI_PROTOCOL_UNKNOWN) {
        update_mem(c);
        shed(c, f);
        return 0;
    }
    if (!enough && ndpi_extra_dissection_possible(c->mod, k->ndpi)) {
        /* Named, but nDPI wants more (certificate, DNS answer...). */
        k->master = p.master_protocol;
        k->app = p.app_protocol;
        k->category = (uint16_t)p.category;
        struct pool_item *it = item_of(k->ndpi);
        if (!it->waiting) c->st.waiting++;
        wait_unlink(c, it);
        wait_push_head(c, it);
        update_mem(c);
        shed(c, f);
        return 0;
    }
    if (p.app_protocol == NDPI_PROTOCOL_UNKNOWN)
        p = give_up(c, f);
    else
        c->st.classified++;
    settle(c, f, p);
    return 1;
}

void classify_finish(struct classifier *c, struct flow *f)
{
    if (f->cls.done) return;
    if (f->cls.shed) {
        settle_shed(c, f);
        return;
    }
    if (!f->cls.ndpi) {
        f->cls.done = 1;
        return;
    }
    /* As ndpiReader at the end of a capture: give up, with guessing. */
    settle(c, f, give_up(c, f));
}

const size_t *classify_memory(const struct classifier *c)
{
    return &c->mem;
}

void classify_get_stats(const struct classifier *c, struct classify_stats *st)
{
    *st = c->st;
}

static ndpi_protocol proto_of(const struct flow *f)
{
    ndpi_protocol p = {f->cls.master, f->cls.app, (ndpi_protocol_category_t)f->cls.category};
    return p;
}

const char *classify_proto_name(const struct classifier *c, const struct flow *f, char *buf,
                                size_t len)
{
    return ndpi_protocol2name(c->mod, proto_of(f), buf, (u_int)len);
}

const char *classify_category_name(const struct classifier *c, const struct flow *f)
{
    return ndpi_category_get_name(c->mod, (ndpi_protocol_category_t)f->cls.category);
}

/* Suricata's app-layer names for the protocols both know. */
static const struct {
    uint16_t id;
    const char *name;
} eve_names[] = {
    {NDPI_PROTOCOL_HTTP, "http"},         {NDPI_PROTOCOL_TLS, "tls"},
    {NDPI_PROTOCOL_DNS, "dns"},           {NDPI_PROTOCOL_SMBV1, "smb"},
    {NDPI_PROTOCOL_SMBV23, "smb"},        {NDPI_PROTOCOL_DCERPC, "dcerpc"},
    {NDPI_PROTOCOL_KERBEROS, "krb5"},     {NDPI_PROTOCOL_SSH, "ssh"},
    {NDPI_PROTOCOL_RDP, "rdp"},           {NDPI_PROTOCOL_LDAP, "ldap"},
    {NDPI_PROTOCOL_NTP, "ntp"},           {NDPI_PROTOCOL_DHCP, "dhcp"},
    {NDPI_PROTOCOL_MAIL_SMTP, "smtp"},    {NDPI_PROTOCOL_FTP_CONTROL, "ftp"},
    {NDPI_PROTOCOL_FTP_DATA, "ftp-data"}, {NDPI_PROTOCOL_SNMP, "snmp"},
    {NDPI_PROTOCOL_SIP, "sip"},           {NDPI_PROTOCOL_VNC, "rfb"},
    {NDPI_PROTOCOL_TELNET, "telnet"},     {NDPI_PROTOCOL_MQTT, "mqtt"},
    {NDPI_PROTOCOL_MAIL_IMAP, "imap"},    {NDPI_PROTOCOL_MAIL_POP, "pop3"},
    {NDPI_PROTOCOL_QUIC, "quic"},         {NDPI_PROTOCOL_NFS, "nfs"},
    {NDPI_PROTOCOL_TFTP, "tftp"},         {NDPI_PROTOCOL_MODBUS, "modbus"},
    {NDPI_PROTOCOL_DNP3, "dnp3"},         {NDPI_PROTOCOL_NETBIOS, "nbss"},
    {NDPI_PROTOCOL_IEC60870, "iec104"},   {NDPI_PROTOCOL_BITTORRENT, "bittorrent-dht"},
};

const char *classify_app_proto(const struct classifier *c, const struct flow *f, char *buf,
                               size_t len)
{
    uint16_t ids[2] = {f->cls.app, f->cls.master};
    for (int i = 0; i < 2; i++)
        for (size_t j = 0; j < sizeof(eve_names) / sizeof(eve_names[0]); j++)
            if (ids[i] && ids[i] == eve_names[j].id) return eve_names[j].name;
    uint16_t id = f->cls.master ? f->cls.master : f->cls.app;
    if (!id) return "failed";
    const char *n = ndpi_get_proto_name(c->mod, id);
    size_t i = 0;
    for (; n && n[i] && i + 1 < len; i++)
        buf[i] = (char)tolower((unsigned char)n[i]);
    buf[i] = 0;
    return buf;
}

const char *classify_next_risk(const struct flow *f, int *pos)
{
    for (int i = *pos > 0 ? *pos : 1; i < NDPI_MAX_RISK; i++) {
        if (f->cls.risk & (1ull << i)) {
            *pos = i + 1;
            return ndpi_risk2str((ndpi_risk_enum)i);
        }
    }
    *pos = NDPI_MAX_RISK;
    return NULL;
}

uint16_t classify_proto_id(const struct classifier *c, const char *name)
{
    return (uint16_t)ndpi_get_protocol_id(c->mod, (char *)name);
}

const char *classify_id_name(const struct classifier *c, uint16_t id, char *buf, size_t len)
{
    const char *n = ndpi_get_proto_name(c->mod, id);
    snprintf(buf, len, "%s", n ? n : "Unknown");
    return buf;
}

/* fanout_check: opens N live handles on one interface in one fanout group
 * (capture_new_fanout / capture_join_fanout), runs each in a thread of
 * its own (capture_run) and records which handle saw which flow, so a test
 * can check that the kernel gives every flow, both directions, to one
 * handle only:
 *
 *   fanout_check [-n HANDLES] [-t SECONDS] [-g GROUP] [-b] [-B MB] IFACE
 *
 * -n handles (default 2, at most 64); -t stop after that many seconds
 * (default: at SIGTERM or SIGINT only); -g join group GROUP (default: a new
 * group whose id the kernel picks); -b TPACKET_V3 blocks instead of
 * immediate mode (TPACKET_V2); -B kernel ring per handle in MiB (default
 * 16). Prints "fanout_check: ready" on stderr once every handle is in the
 * group and running, and at the end one JSON object on stdout: per handle
 * (arrays indexed by handle) the packets read, those that are no IP flow
 * (not IP, later fragments, malformed), the flows seen, the kernel's
 * received and dropped counters; the flows seen by more than one handle
 * (must be 0) with a few examples; the interface's drops (once). A flow is
 * decode_packet's canonical key (addresses, ports, VLAN, protocol), so both
 * directions are one flow. The kernel counts every packet of a loopback
 * interface twice (sent and received; libpcap skips the sent copy), so
 * there received is twice what was read. Exit 1 on a capture error, 2 on
 * bad usage. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture/capture.h"
#include "decode/decode.h"

#define MAX_HANDLES 64
#define MAX_EXAMPLES 5

struct entry {
    struct flow_key key;
    uint64_t handles; /* bit i: handle i saw the flow */
    uint64_t packets;
    int used;
};

/* Open addressing, grown at half full; only the handle's own thread
 * writes it while the capture runs. */
struct flowtab {
    struct entry *slots;
    size_t cap, used;
};

struct worker {
    int idx;
    struct capture *cap;
    pthread_t thread;
    uint64_t packets, not_flow;
    struct flowtab flows;
    int rc, done, oom;
    char err[256];
};

static uint64_t key_hash(const struct flow_key *k)
{
    const uint8_t *p = (const uint8_t *)k;
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < sizeof(*k); i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static struct entry *slot_for(struct entry *slots, size_t cap, const struct flow_key *k)
{
    size_t i = key_hash(k) & (cap - 1);
    while (slots[i].used && memcmp(&slots[i].key, k, sizeof(*k)) != 0)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static int tab_grow(struct flowtab *t)
{
    size_t cap = t->cap ? t->cap * 2 : 4096;
    struct entry *slots = calloc(cap, sizeof(*slots));
    if (!slots) return -1;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].used) *slot_for(slots, cap, &t->slots[i].key) = t->slots[i];
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return 0;
}

static struct entry *tab_get(struct flowtab *t, const struct flow_key *k)
{
    if ((t->used + 1) * 2 > t->cap && tab_grow(t) != 0) return NULL;
    struct entry *e = slot_for(t->slots, t->cap, k);
    if (!e->used) {
        e->used = 1;
        e->key = *k;
        t->used++;
    }
    return e;
}

static void on_packet(void *ud, int dlt, uint64_t ts_us, uint32_t caplen, uint32_t wire_len,
                      const uint8_t *data)
{
    struct worker *w = ud;
    struct packet pkt;
    (void)ts_us;
    (void)wire_len;
    w->packets++;
    memset(&pkt.key, 0, sizeof(pkt.key));
    if (decode_packet(dlt, data, caplen, &pkt) != DECODE_OK) {
        w->not_flow++;
        return;
    }
    struct entry *e = tab_get(&w->flows, &pkt.key);
    if (!e) {
        w->oom = 1;
        return;
    }
    e->handles |= 1ull << w->idx;
    e->packets++;
}

static void *run(void *arg)
{
    struct worker *w = arg;
    w->rc = capture_run(w->cap, on_packet, w, NULL, NULL, w->err, sizeof(w->err));
    __atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void print_addr(const struct flow_key *k, int i)
{
    char buf[INET6_ADDRSTRLEN];
    if (k->family == 4)
        inet_ntop(AF_INET, k->addr[i] + 12, buf, sizeof(buf));
    else
        inet_ntop(AF_INET6, k->addr[i], buf, sizeof(buf));
    printf(k->family == 4 ? "%s:%u" : "[%s]:%u", buf, k->port[i]);
}

static void print_array(const char *name, const uint64_t *v, int n)
{
    printf("\"%s\": [", name);
    for (int i = 0; i < n; i++)
        printf("%s%llu", i ? ", " : "", (unsigned long long)v[i]);
    printf("], ");
}

static uint64_t sum(const uint64_t *v, int n)
{
    uint64_t s = 0;
    for (int i = 0; i < n; i++)
        s += v[i];
    return s;
}

/* Merges the handles' tables; prints the flows seen by several handles. */
static int report_shared(struct worker *w, int n, uint64_t *total)
{
    struct flowtab all = {0};
    for (int i = 0; i < n; i++)
        for (size_t j = 0; j < w[i].flows.cap; j++) {
            struct entry *s = &w[i].flows.slots[j];
            if (!s->used) continue;
            struct entry *e = tab_get(&all, &s->key);
            if (!e) return -1;
            e->handles |= s->handles;
            e->packets += s->packets;
        }
    uint64_t shared = 0;
    printf("\"shared_examples\": [");
    for (size_t j = 0; j < all.cap; j++) {
        struct entry *e = &all.slots[j];
        if (!e->used || !(e->handles & (e->handles - 1))) continue;
        if (shared < MAX_EXAMPLES) {
            printf("%s\"proto %u ", shared ? ", " : "", e->key.proto);
            print_addr(&e->key, 0);
            printf(" ");
            print_addr(&e->key, 1);
            printf(" vlan %u handles 0x%llx\"", e->key.vlan, (unsigned long long)e->handles);
        }
        shared++;
    }
    printf("], \"flows_total\": %zu, \"flows_shared\": %llu", all.used, (unsigned long long)shared);
    *total = all.used;
    free(all.slots);
    return 0;
}

static void report(const char *iface, struct worker *w, int n, int group)
{
    uint64_t packets[MAX_HANDLES] = {0}, not_flow[MAX_HANDLES] = {0}, flows[MAX_HANDLES] = {0};
    uint64_t received[MAX_HANDLES] = {0}, drops[MAX_HANDLES] = {0};
    struct capture *caps[MAX_HANDLES] = {0};
    for (int i = 0; i < n; i++) {
        struct capture_stats st = {0};
        capture_get_stats(w[i].cap, &st);
        packets[i] = w[i].packets;
        not_flow[i] = w[i].not_flow;
        flows[i] = w[i].flows.used;
        received[i] = st.received;
        drops[i] = st.dropped;
        caps[i] = w[i].cap;
    }
    struct capture_stats all = {0};
    capture_stats_sum(caps, n, &all);
    printf("{\"interface\": \"%s\", \"handles\": %d, \"group\": %d, \"ring\": \"TPACKET_V%d\", ",
           iface, n, group, capture_ring_version(w[0].cap));
    print_array("packets", packets, n);
    printf("\"packets_total\": %llu, ", (unsigned long long)sum(packets, n));
    print_array("not_flow", not_flow, n);
    print_array("flows", flows, n);
    print_array("received", received, n);
    print_array("drops", drops, n);
    printf("\"drops_total\": %llu, \"received_total\": %llu, \"if_drops\": %llu, ",
           (unsigned long long)all.dropped, (unsigned long long)all.received,
           (unsigned long long)all.if_dropped);
    uint64_t total = 0;
    if (report_shared(w, n, &total) != 0) printf("\"error\": \"out of memory\"");
    printf("}\n");
}

static int open_all(const char *iface, struct worker *w, int n, int group, int blocks,
                    int buffer_mb, int *joined)
{
    struct capture_live_opts o = {.snaplen = 65535, .buffer_mb = buffer_mb, .immediate = !blocks};
    char err[256];
    uint16_t id = (uint16_t)group;
    for (int i = 0; i < n; i++) {
        w[i].idx = i;
        w[i].cap = capture_open_live_opts(iface, &o, err, sizeof(err));
        int rc = !w[i].cap             ? -1
                 : i == 0 && group < 0 ? capture_new_fanout(w[i].cap, &id, err, sizeof(err))
                                       : capture_join_fanout(w[i].cap, id, err, sizeof(err));
        if (rc != 0) {
            fprintf(stderr, "fanout_check: handle %d: %s\n", i, err);
            return -1;
        }
    }
    *joined = capture_fanout_group(w[0].cap);
    return 0;
}

/* Waits for a signal or the deadline; reads every handle's counters
 * meanwhile, as a sensor's stats line does from its main thread. */
static void wait_end(struct worker *w, int n, int seconds)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    struct timespec start, now, step = {0, 200 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (sigtimedwait(&set, NULL, &step) >= 0) return;
        int ended = 0;
        for (int i = 0; i < n; i++) {
            struct capture_stats st;
            capture_get_stats(w[i].cap, &st);
            ended |= __atomic_load_n(&w[i].done, __ATOMIC_ACQUIRE);
        }
        if (ended) return; /* a handle failed: stop the others */
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (seconds > 0 && now.tv_sec - start.tv_sec >= seconds) return;
    }
}

static int usage(void)
{
    fprintf(stderr,
            "usage: fanout_check [-n HANDLES] [-t SECONDS] [-g GROUP] [-b] [-B MB] IFACE\n");
    return 2;
}

int main(int argc, char **argv)
{
    int n = 2, seconds = 0, group = -1, blocks = 0, buffer_mb = 16, opt;
    while ((opt = getopt(argc, argv, "n:t:g:bB:")) != -1) {
        switch (opt) {
        case 'n':
            n = atoi(optarg);
            break;
        case 't':
            seconds = atoi(optarg);
            break;
        case 'g':
            group = atoi(optarg);
            break;
        case 'b':
            blocks = 1;
            break;
        case 'B':
            buffer_mb = atoi(optarg);
            break;
        default:
            return usage();
        }
    }
    if (optind != argc - 1 || n < 1 || n > MAX_HANDLES || group > 0xffff) return usage();
    const char *iface = argv[optind];

    /* Blocked in every thread: the main thread takes them with sigtimedwait. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    struct worker *w = calloc((size_t)n, sizeof(*w));
    int joined = -1, failed = 0, started = 0;
    if (!w) return 1;
    if (open_all(iface, w, n, group, blocks, buffer_mb, &joined) != 0) failed = 1;
    for (int i = 0; i < n && !failed; i++, started++)
        if (pthread_create(&w[i].thread, NULL, run, &w[i]) != 0) {
            fprintf(stderr, "fanout_check: cannot start thread %d: %s\n", i, strerror(errno));
            failed = 1;
            break;
        }
    if (!failed) {
        fprintf(stderr, "fanout_check: ready: %d handles on %s, fanout group %d\n", n, iface,
                joined);
        wait_end(w, n, seconds);
    }
    for (int i = 0; i < started; i++)
        capture_stop(w[i].cap);
    for (int i = 0; i < started; i++) {
        pthread_join(w[i].thread, NULL);
        if (w[i].rc != 0) {
            fprintf(stderr, "fanout_check: handle %d: %s\n", i, w[i].err);
            failed = 1;
        }
        if (w[i].oom) fprintf(stderr, "fanout_check: handle %d: out of memory\n", i), failed = 1;
    }
    if (!failed) report(iface, w, n, joined);
    for (int i = 0; i < n; i++) {
        capture_close(w[i].cap);
        free(w[i].flows.slots);
    }
    free(w);
    return failed;
}

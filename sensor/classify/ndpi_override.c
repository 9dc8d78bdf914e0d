/* Two functions of nDPI 4.2 (ndpi_api.h) defined again here, for what
 * they cost vigie on real traffic (callgrind, perf):
 *
 * - ndpi_check_flow_func: for a packet of a flow not named yet, the call
 *   of every protocol dissector that suits the packet and that the flow
 *   has not excluded. nDPI's loop (check_ndpi_detection_func, ndpi_main.c)
 *   asks two questions of each of some 200 dissectors per packet, each by
 *   a call of NDPI_BITMASK_COMPARE with both 64-byte bitmasks passed by
 *   value, so pushed on the stack: a quarter of all of vigie's
 *   instructions, the largest single cost. Here the logic is nDPI's, step
 *   for step and in the same order (the guessed protocol's dissector
 *   first, then every other, stopping at the first that names the flow,
 *   then the subprotocols), with the same answer to each question:
 *   "excluded" as a bitwise AND of the masks in place, "detection bitmask
 *   holds the flow's protocol" as the test of that one bit (nDPI compares
 *   the mask with one holding just it).
 * - ndpi_network_port_ptree_match: the protocol an IPv4 address (and
 *   port) belongs to in nDPI's IP lists, asked for both ends of every new
 *   flow, a walk of a Patricia tree of thousands of networks that misses
 *   the cache at every level (6% of the time). The tree does not change
 *   once the module is made, and addresses repeat from flow to flow (45k
 *   distinct in 315k asks on the real traffic), so each thread remembers
 *   the last answers, by address.
 *
 * libndpi calls both through its PLT, and an executable's definitions come
 * first in the dynamic linker's search, so its calls land here. They read
 * the detection module's fields, whose layout nDPI keeps to itself
 * (ndpi_typedefs.h shows it under NDPI_LIB_COMPILATION): so they run only
 * when the library is the very release whose headers vigie was built
 * with, checked at each module (ndpi_override_check); else libndpi's own
 * run, found past these (RTLD_NEXT). Built against another nDPI than 4.2,
 * vigie defines nothing here. tests/unit/test_ndpi_override.c runs vigie's
 * and libndpi's side by side; the pcap tests compare every flow's protocol
 * on the shared corpus with the records of before (corpus_same) and with
 * ndpiReader (agreement).
 *
 * The tree itself is built once: every module of vigie's classifier but
 * the first is made without inserting the IP lists into its own
 * (ndpi_patricia_lookup, through the PLT too, answers each insertion with
 * a node thrown away) and reads the first module's, which no search
 * changes (ndpi_override_module_new). Inserting the lists was most of
 * the time a module takes to make (about 8 ms of 10 on the Intel VM), and
 * modules are made one after the other before the first packet. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#define NDPI_LIB_COMPILATION
#include <ndpi_api.h>

#include "ndpi_override.h"

/* Every protocol on, finalized: a module as vigie's classifier runs it. */
static struct ndpi_detection_module_struct *ready(struct ndpi_detection_module_struct *mod)
{
    if (!mod) return NULL;
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(mod, &all);
    ndpi_finalize_initialization(mod);
    return mod;
}

#if NDPI_MAJOR == 4 && NDPI_MINOR == 2

typedef u_int32_t (*check_fn)(struct ndpi_detection_module_struct *, struct ndpi_flow_struct *,
                              NDPI_SELECTION_BITMASK_PROTOCOL_SIZE *);
typedef u_int16_t (*port_match_fn)(struct ndpi_detection_module_struct *, struct in_addr *,
                                   u_int16_t);
typedef ndpi_patricia_node_t *(*lookup_fn)(ndpi_patricia_tree_t *, ndpi_prefix_t *);

/* Facts of the process, not of a module: which library it linked, and
 * libndpi's own functions. */
static _Atomic int ours = 1;
static _Atomic(check_fn) own_check;
static _Atomic(port_match_fn) own_port_match;
static _Atomic(lookup_fn) own_lookup;
/* Bumped by each module checked: the remembered addresses of a tree freed
 * since (whose memory a new one may take) are forgotten. */
static _Atomic uint32_t generation = 1;

/* --- the dissector loop --------------------------------------------------- */

static int shares_bit(const NDPI_PROTOCOL_BITMASK *a, const NDPI_PROTOCOL_BITMASK *b)
{
    ndpi_ndpi_mask any = 0;
    for (unsigned i = 0; i < NDPI_NUM_FDS_BITS; i++)
        any |= a->fds_bits[i] & b->fds_bits[i];
    return any != 0;
}

/* Whether a dissector may run on the flow: the packet has what it needs,
 * it handles the flow's protocol so far, the flow did not exclude it (the
 * two masks share no bit). nDPI makes a dissector's excluded mask its own
 * protocol's bit: when the flow holds it too, that answers at once. */
static inline int suits(const struct ndpi_call_function_struct *cb,
                        const struct ndpi_flow_struct *flow, unsigned detected_bit,
                        NDPI_SELECTION_BITMASK_PROTOCOL_SIZE packet)
{
    unsigned id_bit = cb->ndpi_protocol_id & NDPI_NUM_BITS_MASK;
    if ((cb->ndpi_selection_bitmask & packet) != cb->ndpi_selection_bitmask ||
        !NDPI_ISSET(&cb->detection_bitmask, detected_bit))
        return 0;
    if (NDPI_ISSET(&flow->excluded_protocol_bitmask, id_bit) &&
        NDPI_ISSET(&cb->excluded_protocol_bitmask, id_bit))
        return 0;
    return !shares_bit(&flow->excluded_protocol_bitmask, &cb->excluded_protocol_bitmask);
}

typedef void (*dissector_fn)(struct ndpi_detection_module_struct *, struct ndpi_flow_struct *);

static u_int32_t detect(struct ndpi_detection_module_struct *ndpi, struct ndpi_flow_struct *flow,
                        NDPI_SELECTION_BITMASK_PROTOCOL_SIZE packet,
                        const struct ndpi_call_function_struct *buffer, u_int32_t n)
{
    int without_payload = buffer == ndpi->callback_buffer_tcp_no_payload;
    u_int32_t calls = without_payload ? 1 : 0;
    const ndpi_proto_defaults_t *guess = &ndpi->proto_defaults[flow->guessed_protocol_id];
    const struct ndpi_call_function_struct *guess_cb = &ndpi->callback_buffer[guess->protoIdx];
    /* nDPI's mask of the flow's protocol as it was on entry, kept for the
     * subprotocols below even once a dissector named it */
    unsigned detected_bit = flow->detected_protocol_stack[0] & NDPI_NUM_BITS_MASK;
    dissector_fn done = NULL;

    /* As nDPI: without payload, the entry looked at is the one the
     * protocol id indexes, not the guessed protocol's own (protoIdx). */
    if (guess->protoId != NDPI_PROTOCOL_UNKNOWN && suits(guess_cb, flow, detected_bit, packet) &&
        flow->guessed_protocol_id != NDPI_PROTOCOL_UNKNOWN && guess->func &&
        (!without_payload ||
         !(ndpi->callback_buffer[flow->guessed_protocol_id].ndpi_selection_bitmask &
           NDPI_SELECTION_BITMASK_PROTOCOL_HAS_PAYLOAD))) {
        guess->func(ndpi, flow);
        done = guess->func;
        calls++;
    }

    if (flow->detected_protocol_stack[0] == NDPI_PROTOCOL_UNKNOWN)
        for (u_int32_t a = 0; a < n; a++) {
            if (buffer[a].func == done || !suits(&buffer[a], flow, detected_bit, packet)) continue;
            buffer[a].func(ndpi, flow);
            calls++;
            if (flow->detected_protocol_stack[0] != NDPI_PROTOCOL_UNKNOWN) break;
        }

    /* Subprotocols of what the flow is now (read again after each). */
    for (u_int32_t a = 0;
         a < ndpi->proto_defaults[flow->detected_protocol_stack[0]].subprotocol_count; a++) {
        u_int16_t sub = ndpi->proto_defaults[flow->detected_protocol_stack[0]].subprotocols[a];
        if (sub == (u_int16_t)NDPI_PROTOCOL_MATCHED_BY_CONTENT) continue;
        const struct ndpi_call_function_struct *cb =
            &ndpi->callback_buffer[ndpi->proto_defaults[sub].protoIdx];
        if (ndpi->proto_defaults[sub].func != done && suits(cb, flow, detected_bit, packet)) {
            cb->func(ndpi, flow);
            calls++;
        }
        if (flow->detected_protocol_stack[1] != NDPI_PROTOCOL_UNKNOWN) break;
    }
    return calls;
}

u_int32_t ndpi_check_flow_func(struct ndpi_detection_module_struct *ndpi,
                               struct ndpi_flow_struct *flow,
                               NDPI_SELECTION_BITMASK_PROTOCOL_SIZE *packet)
{
    if (!atomic_load_explicit(&ours, memory_order_relaxed))
        return atomic_load_explicit(&own_check, memory_order_relaxed)(ndpi, flow, packet);
    if (!flow) return 0;
    if (ndpi->packet.tcp) {
        if (ndpi->packet.payload_packet_len)
            return detect(ndpi, flow, *packet, ndpi->callback_buffer_tcp_payload,
                          ndpi->callback_buffer_size_tcp_payload);
        return detect(ndpi, flow, *packet, ndpi->callback_buffer_tcp_no_payload,
                      ndpi->callback_buffer_size_tcp_no_payload);
    }
    if (ndpi->packet.udp)
        return detect(ndpi, flow, *packet, ndpi->callback_buffer_udp,
                      ndpi->callback_buffer_size_udp);
    return detect(ndpi, flow, *packet, ndpi->callback_buffer_non_tcp_udp,
                  ndpi->callback_buffer_size_non_tcp_udp);
}

/* --- the IP lists ---------------------------------------------------------- */

#define MEMO_SLOTS 2048 /* per thread, 48 KiB */

/* What the tree said of one address. */
struct ip_memo {
    const void *tree;
    uint32_t generation;
    uint32_t addr;             /* network byte order */
    uint32_t user, additional; /* the best node's protocol and port (0: any) */
    uint8_t found;
};

static _Thread_local struct ip_memo memo[MEMO_SLOTS];

u_int16_t ndpi_network_port_ptree_match(struct ndpi_detection_module_struct *ndpi,
                                        struct in_addr *pin, u_int16_t port)
{
    if (!atomic_load_explicit(&ours, memory_order_relaxed))
        return atomic_load_explicit(&own_port_match, memory_order_relaxed)(ndpi, pin, port);
    ndpi_patricia_tree_t *tree = ndpi->protocols_ptree;
    uint32_t gen = atomic_load_explicit(&generation, memory_order_relaxed);
    struct ip_memo *m = &memo[(pin->s_addr * 0x9E3779B1u) >> 21];
    if (m->tree != tree || m->generation != gen || m->addr != pin->s_addr) {
        ndpi_prefix_t prefix;
        ndpi_fill_prefix_v4(&prefix, pin, 32, tree->maxbits);
        const ndpi_patricia_node_t *node = ndpi_patricia_search_best(tree, &prefix);
        *m = (struct ip_memo){.tree = tree, .generation = gen, .addr = pin->s_addr};
        if (node) {
            m->found = 1;
            m->user = node->value.u.uv32.user_value;
            m->additional = node->value.u.uv32.additional_user_value;
        }
    }
    if (m->found && (m->additional == 0 || m->additional == port)) return (u_int16_t)m->user;
    return NDPI_PROTOCOL_UNKNOWN;
}
_Static_assert(MEMO_SLOTS == 1u << (32 - 21), "the memo's hash takes the top 11 bits");

/* --- one tree of the IP lists --------------------------------------------- */

/* The first module's tree, which the others read, and how many modules
 * read it (the first included); under share_lock. */
static pthread_mutex_t share_lock = PTHREAD_MUTEX_INITIALIZER;
static ndpi_patricia_tree_t *shared_tree;
static unsigned shared_refs;
/* Set while this thread makes a module that will read the shared tree;
 * skip_tree is the tree whose insertions are thrown away: the first one
 * inserted into, which nDPI 4.2 makes the IP lists' (protocols_ptree).
 * Its other trees (the IP addresses of its categories) are its own, filled
 * as always; make_module checks which tree was skipped. */
static _Thread_local int skip_inserts;
static _Thread_local ndpi_patricia_tree_t *skip_tree;
static _Thread_local ndpi_patricia_node_t skipped;

static int find_own(void);

/* nDPI's insertion into a tree (and its search for the node to add). */
ndpi_patricia_node_t *ndpi_patricia_lookup(ndpi_patricia_tree_t *patricia, ndpi_prefix_t *prefix)
{
    if (skip_inserts) {
        if (!skip_tree) skip_tree = patricia;
        if (patricia == skip_tree) {
            memset(&skipped, 0, sizeof(skipped));
            return &skipped;
        }
    }
    lookup_fn own = atomic_load_explicit(&own_lookup, memory_order_relaxed);
    if (!own && find_own()) own = atomic_load_explicit(&own_lookup, memory_order_relaxed);
    return own ? own(patricia, prefix) : NULL;
}

/* A module made (its IP lists left out: *skip) and ready; NULL if nDPI
 * fails. When what was left out is not the tree of the IP lists, the
 * module is made again whole and *skip cleared. */
static struct ndpi_detection_module_struct *make_module(int *skip)
{
    skip_inserts = *skip;
    skip_tree = NULL;
    struct ndpi_detection_module_struct *mod = ndpi_init_detection_module(ndpi_no_prefs);
    skip_inserts = 0;
    if (mod && *skip && mod->protocols_ptree != skip_tree) {
        ndpi_exit_detection_module(mod);
        *skip = 0;
        mod = ndpi_init_detection_module(ndpi_no_prefs);
    }
    return ready(mod);
}

struct ndpi_detection_module_struct *ndpi_override_module_new(void)
{
    pthread_mutex_lock(&share_lock);
    int share = shared_tree != NULL && atomic_load_explicit(&ours, memory_order_relaxed);
    struct ndpi_detection_module_struct *mod = make_module(&share);
    if (mod && share) {
        /* Its own tree is empty: the shared one takes its place. */
        ndpi_patricia_tree_t *own = mod->protocols_ptree;
        if (own) ndpi_patricia_destroy(own, NULL);
        mod->protocols_ptree = shared_tree;
        shared_refs++;
    }
    if (mod && ndpi_override_check(mod) && !share && !shared_tree) {
        shared_tree = mod->protocols_ptree;
        shared_refs = 1;
    }
    pthread_mutex_unlock(&share_lock);
    return mod;
}

void ndpi_override_module_free(struct ndpi_detection_module_struct *mod)
{
    if (!mod) return;
    pthread_mutex_lock(&share_lock);
    if (shared_tree && mod->protocols_ptree == shared_tree) {
        mod->protocols_ptree = NULL; /* nDPI frees what is not NULL */
        if (--shared_refs == 0) {
            ndpi_patricia_destroy(shared_tree, NULL);
            shared_tree = NULL;
        }
    }
    pthread_mutex_unlock(&share_lock);
    ndpi_exit_detection_module(mod);
}

/* --- which runs ----------------------------------------------------------- */

/* libndpi's own functions, past vigie's; 0 when one is missing. */
static int find_own(void)
{
    if (!atomic_load_explicit(&own_check, memory_order_relaxed)) {
        /* POSIX lets a data pointer from dlsym be a function's */
        void *a = dlsym(RTLD_NEXT, "ndpi_check_flow_func");
        void *b = dlsym(RTLD_NEXT, "ndpi_network_port_ptree_match");
        void *c = dlsym(RTLD_NEXT, "ndpi_patricia_lookup");
        if (!a || !b || !c) return 0;
        check_fn f;
        port_match_fn g;
        lookup_fn h;
        memcpy(&f, &a, sizeof(f));
        memcpy(&g, &b, sizeof(g));
        memcpy(&h, &c, sizeof(h));
        atomic_store_explicit(&own_lookup, h, memory_order_relaxed);
        atomic_store_explicit(&own_port_match, g, memory_order_relaxed);
        atomic_store_explicit(&own_check, f, memory_order_relaxed);
    }
    return 1;
}

int ndpi_override_check(struct ndpi_detection_module_struct *mod)
{
    int same = strcmp(ndpi_revision(), NDPI_GIT_RELEASE) == 0 &&
               ndpi_get_api_version() == NDPI_API_VERSION &&
               ndpi_get_proto_defaults(mod) == mod->proto_defaults &&
               ndpi_get_ndpi_num_supported_protocols(mod) == mod->ndpi_num_supported_protocols &&
               mod->callback_buffer_size_tcp_payload <= NDPI_MAX_SUPPORTED_PROTOCOLS + 1 &&
               mod->callback_buffer_size_udp <= NDPI_MAX_SUPPORTED_PROTOCOLS + 1 &&
               mod->protocols_ptree &&
               ((ndpi_patricia_tree_t *)mod->protocols_ptree)->maxbits == 32;
    atomic_fetch_add_explicit(&generation, 1, memory_order_relaxed);
    /* libndpi's own are needed when the layout differs, and by tests */
    if (!find_own()) return atomic_load_explicit(&ours, memory_order_relaxed);
    if (!same) atomic_store_explicit(&ours, 0, memory_order_relaxed);
    return same;
}

void ndpi_override_use(int vigie_copy)
{
    if (!vigie_copy && !find_own()) return;
    atomic_store_explicit(&ours, vigie_copy != 0, memory_order_relaxed);
}

#else

struct ndpi_detection_module_struct *ndpi_override_module_new(void)
{
    return ready(ndpi_init_detection_module(ndpi_no_prefs));
}

void ndpi_override_module_free(struct ndpi_detection_module_struct *mod)
{
    if (mod) ndpi_exit_detection_module(mod);
}

int ndpi_override_check(struct ndpi_detection_module_struct *mod)
{
    (void)mod;
    return 0;
}

void ndpi_override_use(int vigie_copy)
{
    (void)vigie_copy;
}

#endif

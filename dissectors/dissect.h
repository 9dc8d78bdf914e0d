/* Dissectors: one file per protocol, all behind this interface. A dissector
 * turns in-order payload bytes into typed events (share opened, RPC
 * interface bound, opnum called, ticket requested); detectors turn events
 * into alerts. A dissector never emits an alert. */
#ifndef VIGIE_DISSECT_H
#define VIGIE_DISSECT_H

#include <stddef.h>
#include <stdint.h>

/* What a dissector is told of its flow: the transport and the ports, no
 * more (the sensor's flow record is not the dissectors' business). */
struct dissect_flow_info {
    uint8_t proto;        /* IP protocol: 6 TCP, 17 UDP */
    uint16_t client_port; /* of the endpoint that opened the flow */
    uint16_t server_port;
    uint8_t midstream; /* TCP: no SYN seen, the flow was picked up midstream */
};

enum dissect_event_type {
    EV_SMB_NEGOTIATE,     /* dialect */
    EV_SMB_SESSION_SETUP, /* status (failure = auth failed) */
    EV_SMB_TREE_CONNECT,  /* path "\\host\share" (request; status on response) */
    EV_SMB_CREATE,        /* file name, disposition, share */
    EV_SMB_WRITE,         /* file name, offset, length, PE header seen */
    EV_SMB_RENAME,        /* file name -> new name */
    EV_SMB_DELETE,        /* file name */
    EV_SMB_ENCRYPTED,     /* SMB3 transform header: content not visible */
    EV_NTLM_AUTH,         /* user, domain, workstation (AUTHENTICATE message) */
    EV_AUTH_RESULT,       /* status of the authentication that preceded */
    EV_DCERPC_BIND,       /* interface uuid + version, context id */
    EV_DCERPC_REQUEST,    /* interface (if bound), opnum, context id, pipe, stub */
    EV_KRB_AS_REQ,        /* client, realm, etypes, pre-auth present */
    EV_KRB_TGS_REQ,       /* client, realm, service, etypes */
    EV_KRB_ERROR,         /* error code, client, realm, service */
    EV_KRB_AS_REP,        /* client, realm, ticket's service and etype, reply etype */
    EV_KRB_TGS_REP,       /* the same for a service ticket */
    EV_RDP_REQUEST,       /* cookie user, requested protocols */
    EV_HTTP_REQUEST,      /* method, uri, host, auth scheme */
    EV_MAX
};

/* Strings are NUL-terminated UTF-8, valid only during the callback. */
struct dissect_event {
    enum dissect_event_type type;
    int to_server;
    uint32_t status; /* NT status / Kerberos error code, 0 = success or n/a */
    /* Reported from its request alone: the response was not seen (one
     * direction captured, or lost), so status 0 means "unknown". */
    int unanswered;
    union {
        struct {
            const char *path, *share; /* share: last path component */
        } tree;
        struct {
            const char *share, *name, *new_name;
            uint32_t disposition;
            uint64_t offset;
            uint32_t length;
            int pe_header; /* "MZ" at offset 0 of a write */
        } file;
        struct {
            const char *user, *domain, *workstation;
        } auth;
        struct {
            uint8_t uuid[16];
            int uuid_known;
            uint16_t ver_major, ver_minor;
            uint16_t ctx_id;
            uint16_t opnum;
            const char *pipe; /* SMB named pipe, NULL over TCP */
            /* EV_DCERPC_REQUEST: the stub (the call's NDR-encoded
             * arguments) of the first fragment, as far as the dissector
             * holds it; NULL when encrypted (packet privacy) or not held.
             * Valid only during the callback. */
            const uint8_t *stub;
            uint32_t stub_len;
            uint8_t ndr64;      /* the context's transfer syntax is NDR64 */
            uint8_t big_endian; /* drep: big-endian integers and characters */
        } rpc;
        struct {
            const char *cname, *realm, *sname;
            int32_t etypes[16];
            int netypes;
            int preauth;
        } krb;
        struct {
            const char *cname, *crealm; /* the client (KDC-REP crealm, cname) */
            const char *sname, *srealm; /* the ticket's service (Ticket realm, sname) */
            /* EncryptedData etypes (RFC 3961 8), 0 (reserved) if not seen:
             * the ticket's, chosen for the service's key, and the reply's,
             * for the client's key (or session key of its TGT). */
            int32_t ticket_etype, enc_etype;
        } krb_rep;
        struct {
            const char *cookie;
            uint32_t protocols;
        } rdp;
        struct {
            const char *method, *uri, *host, *auth_scheme;
        } http;
        struct {
            uint16_t dialect;
        } smb;
    } u;
};

/* Where dissector state comes from: blocks in size classes (24 bytes to
 * 4 KiB, most of them 16k - 8 bytes, which glibc's chunks hold without
 * waste; see dissect_mem.c), a freed block kept on its class's free list
 * for the next request of that class, so that flows coming and going cost
 * no malloc once the lists hold a working set. The lists keep at most
 * cache_max bytes; beyond, blocks go back to libc. in_use counts the bytes
 * handed out as glibc takes them (chunk headers included), which the flow
 * memcap covers; cached the bytes on the lists, a bounded overhead. A NULL pool is plain
 * calloc/free (parsers driven directly, as by tests). */
#define DISSECT_MEM_CLASSES 17
#define DISSECT_MEM_CACHE_MAX (4u << 20)

struct dissect_mem {
    void *free_list[DISSECT_MEM_CLASSES];
    size_t in_use, cached, cache_max;
    uint64_t allocs, reused, failed; /* requests, of which from a free list; NULLs */
};

void dissect_mem_init(struct dissect_mem *m, size_t cache_max);
/* Returns the free lists to libc (in_use is what is still handed out). */
void dissect_mem_drain(struct dissect_mem *m);
/* n zeroed bytes, NULL when out of memory. */
void *dissect_alloc(struct dissect_mem *m, size_t n);
/* p (of old_n bytes, NULL if 0) resized to new_n: its first bytes kept, the
 * rest zeroed. NULL when out of memory, p then untouched. */
void *dissect_realloc(struct dissect_mem *m, void *p, size_t old_n, size_t new_n);
/* p of n bytes, as allocated (NULL or n 0: nothing). */
void dissect_free(struct dissect_mem *m, void *p, size_t n);

struct dissect_ctx {
    const struct dissect_flow_info *flow;
    uint64_t ts_us;
    void (*emit)(struct dissect_ctx *dc, const struct dissect_event *ev);
    void *ud;
};

/* parse() result: bytes consumed. More than len means "skip that many
 * bytes in total" (the rest of a large PDU not worth buffering); 0 means
 * "need more data"; DISSECT_STOP ends dissection of this flow. */
#define DISSECT_STOP (-1L)

#define DISSECT_TCP 1u
#define DISSECT_UDP 2u

struct dissector {
    const char *name;
    unsigned transports; /* DISSECT_TCP | DISSECT_UDP; UDP datagrams are parsed
                          * one by one, TCP bytes in order through reassembly */
    /* Does this payload (first of the flow in this direction) look like
     * the protocol? Ports may help but must not be required. */
    int (*probe)(const struct dissect_flow_info *f, int to_server, const uint8_t *data, size_t len);
    /* Fixed part of the per-flow state, zeroed before the first parse().
     * A dissector whose state grows (tables filled as the session opens
     * things) is told the pool in init_state() (not called: NULL, libc),
     * allocates the rest from it and frees it all in release_state(). */
    size_t state_size;
    void (*init_state)(void *state, struct dissect_mem *mem);
    long (*parse)(struct dissect_ctx *dc, void *state, int to_server, const uint8_t *data,
                  size_t len);
    /* Bytes were lost in this direction: resynchronise or give up. */
    void (*gap)(void *state, int to_server);
    void (*end)(struct dissect_ctx *dc, void *state);
    /* Frees what the state allocated (after end(), or without it when the
     * flow is let go); NULL when the state is all in state_size. */
    void (*release_state)(void *state);
};

/* Printable ASCII copy of a header field (HTTP line, RDP cookie): any
 * other byte becomes '?', out is NUL-terminated and truncated to fit. */
void dissect_copy_printable(const uint8_t *p, size_t n, char *out, size_t out_len);

/* UTF-16LE -> UTF-8 into out (NUL-terminated; cut between characters only
 * when out is full). A lone surrogate, an odd last byte or a NUL becomes
 * U+FFFD and the rest is kept. Used by SMB, NTLMSSP and DCE-RPC string
 * fields. Returns the output length. */
size_t dissect_utf16le_to_utf8(const uint8_t *in, size_t in_len, char *out, size_t out_len);

#endif

/* The one DCE-RPC data table: interface UUID -> name, and (interface,
 * opnum) -> function name, the detector (its declaration) and ATT&CK
 * technique(s). The dissector reports (UUID, opnum) only; the detectors of
 * detect_rpc.c decide from it. Coverage is at least that of MITRE's BZAR
 * (scripts/bzar_dce-rpc_consts.zeek); UUIDs and opnums are those of
 * Microsoft's open specifications, cited per interface in rpc_table.c. */
#ifndef VIGIE_RPC_TABLE_H
#define VIGIE_RPC_TABLE_H

#include <stddef.h>
#include <stdint.h>

/* An op row with this opnum covers every opnum of its interface that has
 * no row of its own (winreg: every call is remote registry access). */
#define RPC_OPNUM_ANY 0xffffu
#define RPC_MAX_TECHNIQUES 3

struct detector;

/* How a detector uses a row. */
enum rpc_kind {
    RPC_ACT,     /* the call is the finding: alert on it */
    RPC_COUNT,   /* counts toward the detector's per-source threshold */
    RPC_CONTEXT, /* not enough alone: weak signal, or context for another row */
    RPC_ZONE,    /* counted, and the finding alone when the client's zone is
                  * not the server's */
};

/* Arguments of the request that can make the call the finding, whatever
 * its kind (read by samr_args.c from the stub, when it is clear). */
enum rpc_args {
    RPC_ARGS_NONE,
    RPC_ARGS_SAMR_RID,   /* the RID of a privileged group (SamrOpenGroup/Alias) */
    RPC_ARGS_SAMR_NAMES, /* the name of one (SamrLookupNamesInDomain) */
};

struct rpc_interface {
    const char *uuid; /* "367abb81-9844-35f1-ad32-98f038001003", lower case */
    const char *name; /* two UUIDs may share a name (and so their op rows) */
    const char *spec; /* where its opnums come from */
};

struct rpc_op {
    const char *iface; /* an rpc_interface name */
    uint16_t opnum;    /* or RPC_OPNUM_ANY */
    const char *function;
    const struct detector *detector; /* its declaration; NULL: named, not detected */
    enum rpc_kind kind;
    const char *techniques[RPC_MAX_TECHNIQUES]; /* NULL-terminated when fewer */
    enum rpc_args args;
};

struct rpc_match {
    const struct rpc_interface *iface; /* NULL: unknown interface */
    const struct rpc_op *op;           /* NULL: no row for this opnum */
};

/* The interface of a UUID in wire form (first three fields little-endian,
 * as in struct dissect_event), or NULL. */
const struct rpc_interface *rpc_table_interface(const uint8_t uuid[16]);
/* Fills m; returns 1 when an op row matched (exact opnum first, then
 * RPC_OPNUM_ANY), 0 otherwise (m->iface may still be set). */
int rpc_table_lookup(const uint8_t uuid[16], uint16_t opnum, struct rpc_match *m);

/* The whole table, for tests and documentation. */
size_t rpc_table_interfaces(const struct rpc_interface **out);
size_t rpc_table_ops(const struct rpc_op **out);

#endif

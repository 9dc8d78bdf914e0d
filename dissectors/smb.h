/* SMB dissector internals shared by smb.c (NetBIOS framing, resync, the
 * per-connection tables, events), smb1.c (MS-CIFS) and smb2.c (MS-SMB2).
 * The public surface is `const struct dissector dissector_smb` only.
 *
 * State is small until the session opens things: its tables of trees
 * (TreeId -> share), open files (FileId -> name), named pipes (one DCE-RPC
 * connection each) and requests awaiting their response (MessageId -> what
 * the response completes) start empty and double when full, from the
 * engine's pool, up to a fixed number of entries each; then the least
 * recently used entry is replaced (smb_tables.c). A table whose entries are
 * all closed is freed. Strings are truncated to fit.
 *
 * A capture may start midstream or hold one direction only (a SPAN port):
 * an id no response gave is then learnt from the request that uses it (the
 * unanswered tree connect or create before it), and an open of an unknown
 * tree whose data is a DCE-RPC PDU is a named pipe. */
#ifndef VIGIE_SMB_H
#define VIGIE_SMB_H

#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "dcerpc.h"
#include "dissect.h"

/* EV_SMB_NEGOTIATE dialect of an SMB1 (NT LM 0.12 and older) connection;
 * SMB2/3 report MS-SMB2 2.2.4 DialectRevision (0x0202 .. 0x0311). */
#define SMB_DIALECT_SMB1 0x0100

#define SMB_NAME_LEN 128    /* file name or tree path, UTF-8 */
#define SMB_SHARE_LEN 64    /* share name, UTF-8 */
#define SMB_ACCOUNT_LEN 128 /* as struct ntlmssp_info */
#define SMB_TREES 8
#define SMB_FILES 16
#define SMB_PIPES 6
#define SMB_PENDING 16

/* MS-ERREF 2.3.1 */
#define STATUS_PENDING 0x00000103u
#define STATUS_MORE_PROCESSING_REQUIRED 0xC0000016u
#define STATUS_BUFFER_OVERFLOW 0x80000005u

/* MS-FSCC 2.3: FSCTL_PIPE_TRANSCEIVE */
#define FSCTL_PIPE_TRANSCEIVE 0x0011C017u
/* MS-SMB2 2.2.13 / MS-CIFS 2.2.4.64.1 CreateOptions */
#define FILE_DELETE_ON_CLOSE 0x00001000u

struct smb_tree {
    uint32_t id;
    uint32_t lru;
    uint8_t used, is_ipc;
    char share[SMB_SHARE_LEN];
};

struct smb_file {
    uint64_t fid_p, fid_v; /* SMB2 FileId; SMB1: fid_v = FID */
    uint32_t tree;
    uint32_t lru;
    uint32_t gen; /* install serial: a pipe belongs to this open */
    uint8_t used, is_pipe;
    /* Tree unknown (its connect not seen): a pipe if its data is DCE-RPC;
     * cleared after SMB_SNIFF_MAX payloads that are not. */
    uint8_t maybe_pipe, sniffed;
    uint8_t pipe; /* index + 1 in pipes[], 0: none */
    char name[SMB_NAME_LEN];
};

struct smb_pipe {
    uint32_t gen; /* of the owning file */
    uint32_t lru;
    uint8_t used;
    struct dcerpc_conn rpc;
};

enum smb_pending_kind { PEND_TREE = 1, PEND_CREATE, PEND_READ, PEND_IOCTL };

/* A request whose response completes it. */
struct smb_pending {
    uint64_t msg_id;
    uint64_t fid_p, fid_v; /* PEND_READ / PEND_IOCTL: the file */
    uint32_t tree;
    uint32_t disposition, options;
    uint32_t lru;
    uint32_t answers; /* responses of the connection seen before this request */
    uint8_t used, kind;
    uint8_t closed;          /* PEND_CREATE: a related CLOSE in its compound */
    uint8_t interim;         /* SMB2: went async (STATUS_PENDING): its response is late */
    char name[SMB_NAME_LEN]; /* PEND_TREE: path; PEND_CREATE: file name */
};

struct smb_dir {
    uint8_t started;  /* bytes seen in this direction */
    uint8_t lost;     /* next PDU boundary unknown: scanning for one */
    uint32_t scanned; /* bytes scanned while lost */
};

/* The account of the last NTLM authentication, allocated when one is seen. */
struct smb_account {
    char user[SMB_ACCOUNT_LEN], domain[SMB_ACCOUNT_LEN], workstation[SMB_ACCOUNT_LEN];
};

struct smb_state {
    struct dissect_mem *mem; /* the engine's pool (NULL: libc) */
    struct smb_dir dir[2];   /* 0: to server */
    uint32_t clock, gen;
    uint32_t responses; /* SMB responses seen: none since a request, it is unanswered */
    /* SMB2: the highest MessageId a final response had. MessageIds grow
     * with each request (MS-SMB2 3.2.4.1.3), and a server answers a
     * create before the requests after it: a request below it whose
     * response never came lost it (a SPAN port dropped it). SMB1's MIDs
     * are not ordered: 0. */
    uint64_t answered_max;
    uint8_t encrypted;    /* EV_SMB_ENCRYPTED sent */
    uint8_t auth_pending; /* NTLM AUTHENTICATE seen, outcome not yet */
    /* Entries allocated in each table (at most SMB_TREES, ...). A pointer
     * to an entry is valid until the next add to its table. */
    uint8_t ntrees, nfiles, npipes, npending;
    struct smb_account *account;
    struct smb_tree *trees;
    struct smb_file *files;
    struct smb_pipe *pipes;
    struct smb_pending *pending;
};

/* One SMB message (after the 4-byte NetBIOS header): avail bytes present,
 * total declared; avail < total when a large message is read as a prefix. */
struct smb_msg {
    struct dissect_ctx *dc;
    struct smb_state *st;
    int to_server;
    const uint8_t *p;
    size_t avail, total;
};

void smb1_parse(const struct smb_msg *m);
void smb2_parse(const struct smb_msg *m);
/* Of an SMB2 message not all present (avail bytes of it), how many the
 * parser reads: a read response or a write request of bulk file data
 * needs its fixed part only, and is parsed without being held; SIZE_MAX
 * for anything else (waited for up to SMB_WAIT_MAX bytes). */
size_t smb2_wanted(struct smb_state *st, const uint8_t *p, size_t avail);

/* Payloads of an open of unknown tree that are not DCE-RPC before it is
 * taken for a file: a PDU split over writes continues without a header. */
#define SMB_SNIFF_MAX 2

/* --- tables (smb_tables.c) --- */
/* Frees every table (the flow is done with). */
void smb_tables_free(struct smb_state *st);
/* Frees the pending table if no request awaits a response. */
void smb_pending_trim(struct smb_state *st);
struct smb_tree *smb_tree_find(struct smb_state *st, uint32_t id);
struct smb_tree *smb_tree_add(struct smb_state *st, uint32_t id, const char *path);
void smb_tree_del(struct smb_state *st, uint32_t id);
struct smb_file *smb_file_find(struct smb_state *st, uint64_t fid_p, uint64_t fid_v);
/* smb_file_find without touching the entry's recency. */
const struct smb_file *smb_file_peek(const struct smb_state *st, uint64_t fid_p, uint64_t fid_v);
struct smb_file *smb_file_add(struct smb_state *st, uint64_t fid_p, uint64_t fid_v, uint32_t tree,
                              const char *name);
void smb_file_del(struct smb_state *st, uint64_t fid_p, uint64_t fid_v);
/* A request names a tree: an unknown id is that of the unanswered tree
 * connect before it (its event is reported then, unanswered). */
void smb_tree_use(const struct smb_msg *m, uint32_t tree);
/* The open a request names: known; else that of the unanswered create on
 * its tree before it; else, on IPC$ or an unknown tree, one opened before
 * the capture (a name of ""). NULL: an unknown open of a known share. */
struct smb_file *smb_file_use(const struct smb_msg *m, uint32_t tree, uint64_t fid_p,
                              uint64_t fid_v);
/* The open of a pipe-only operation (FSCTL_PIPE_TRANSCEIVE, TransactNmPipe):
 * a named pipe whatever its tree. */
struct smb_file *smb_file_pipe(const struct smb_msg *m, uint32_t tree, uint64_t fid_p,
                               uint64_t fid_v);
/* A new pending request; an evicted unanswered one is reported first.
 * NULL (out of memory) is not recorded. Add functions may return NULL. */
struct smb_pending *smb_pending_add(const struct smb_msg *m, uint64_t msg_id,
                                    enum smb_pending_kind kind);
struct smb_pending *smb_pending_find(struct smb_state *st, uint64_t msg_id);
/* Reports an unanswered tree connect / create as seen at its request
 * (status 0, unanswered). */
void smb_pending_report(struct dissect_ctx *dc, struct smb_state *st, struct smb_pending *p);
const char *smb_share_of(struct smb_state *st, uint32_t tree);

/* --- events (smb.c) --- */
struct smb_file_event {
    enum dissect_event_type type;
    uint32_t status;
    const char *share, *name, *new_name;
    uint32_t disposition;
    uint64_t offset;
    uint32_t length;
    int pe_header;
    int unanswered;
};
void smb_emit_file(struct dissect_ctx *dc, int to_server, const struct smb_file_event *fe);
void smb_emit_tree(struct dissect_ctx *dc, int to_server, uint32_t status, const char *path,
                   int unanswered);
void smb_emit_dialect(const struct smb_msg *m, uint16_t dialect);
/* NTLMSSP in a security blob: AUTHENTICATE -> EV_NTLM_AUTH. */
void smb_security_blob(const struct smb_msg *m, const uint8_t *blob, size_t len);
void smb_account(const struct smb_msg *m, const char *user, const char *domain);
/* Final session setup status: EV_AUTH_RESULT if NTLM preceded, and
 * EV_SMB_SESSION_SETUP. MORE_PROCESSING_REQUIRED is not final. */
void smb_session_result(const struct smb_msg *m, uint32_t status);
/* Pipe payload (write, read response, transceive) to its DCE-RPC state.
 * Returns whether f is a pipe: an open that may be one is one when data
 * starts with a DCE-RPC header (C706 12.6.3.1). */
int smb_pipe_data(const struct smb_msg *m, struct smb_file *f, const uint8_t *data, size_t len);

/* --- strings (smb.c) --- */
/* UTF-16LE or OEM bytes (up to a NUL) into UTF-8. */
void smb_string(const uint8_t *in, size_t len, int unicode, char *out, size_t out_len);
/* Pipe name of an IPC$ create: "\PIPE\svcctl" or "\svcctl" -> "svcctl". */
const char *smb_pipe_name(const char *name);
/* Whether a share is IPC$, where opens are named pipes. */
int smb_is_ipc(const char *share);
/* The last component of a path: "\\host\share" -> "share". */
const char *smb_last_component(const char *path);

#endif

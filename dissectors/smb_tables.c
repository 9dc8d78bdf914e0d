/* The per-connection tables of the SMB dissector (smb.h): trees, opens,
 * named pipes and requests awaiting their response, fixed-size with
 * least-recently-used replacement; and what is learnt of them when a
 * capture starts midstream or holds one direction only.
 *
 * A response gives the ids (MS-SMB2 2.2.10 TreeId, 2.2.14 FileId; MS-CIFS
 * 2.2.4.55.2 TID, 2.2.4.64.2 FID). Without it, the client's next use of an
 * id it never had is that of its unanswered request: a client uses an id
 * only once the response gave it (MS-SMB2 3.2.5.1), so while no response
 * at all was seen since the request, the response is missing, not late.
 * A pipe opened before the capture shows itself by its data: a DCE-RPC
 * PDU, or a pipe-only operation. */
#include <string.h>

#include "smb.h"

static uint32_t tick(struct smb_state *st)
{
    return ++st->clock;
}

/* Among n entries of size sz: a free one, else the least recently used
 * (the uint32_t at lru_off of each, used flag at used_off); NULL if n 0. */
static void *victim(void *base, size_t n, size_t sz, size_t lru_off, size_t used_off)
{
    uint8_t *best = n ? base : NULL;
    for (size_t i = 0; i < n; i++) {
        uint8_t *e = (uint8_t *)base + i * sz;
        if (!e[used_off]) return e;
        uint32_t lru, best_lru;
        memcpy(&lru, e + lru_off, sizeof(lru));
        memcpy(&best_lru, best + lru_off, sizeof(best_lru));
        if (lru < best_lru) best = e;
    }
    return best;
}

/* A table: where its pointer is (struct smb_state), its entry count. */
struct table {
    void *ptr_at; /* the address of the table's pointer */
    uint8_t *n;
    size_t sz, max;
};

static void *table_base(const struct table *t)
{
    void *base;
    memcpy(&base, t->ptr_at, sizeof(base));
    return base;
}

/* Doubles a full table (1, 2, 4 ... entries, at most t->max): the first
 * new entry, zeroed; NULL at its maximum or out of memory. */
static void *grow(struct smb_state *st, const struct table *t)
{
    if (*t->n >= t->max) return NULL;
    size_t n = *t->n ? 2 * (size_t)*t->n : 1;
    if (n > t->max) n = t->max;
    uint8_t *base = dissect_realloc(st->mem, table_base(t), *t->n * t->sz, n * t->sz);
    if (!base) return NULL;
    memcpy(t->ptr_at, &base, sizeof(base));
    void *e = base + *t->n * t->sz;
    *t->n = (uint8_t)n;
    return e;
}

static void table_free(struct smb_state *st, const struct table *t)
{
    void *base = table_base(t), *none = NULL;
    dissect_free(st->mem, base, *t->n * t->sz);
    memcpy(t->ptr_at, &none, sizeof(none));
    *t->n = 0;
}

/* Frees a table none of whose entries is used (used flag at used_off). */
static void table_trim(struct smb_state *st, const struct table *t, size_t used_off)
{
    const uint8_t *base = table_base(t);
    for (size_t i = 0; i < *t->n; i++)
        if (base[i * t->sz + used_off]) return;
    table_free(st, t);
}

/* The entry to fill: a free one, a new one, else the least recently used. */
static void *slot(struct smb_state *st, const struct table *t, size_t lru_off, size_t used_off)
{
    uint8_t *base = table_base(t);
    for (size_t i = 0; i < *t->n; i++)
        if (!base[i * t->sz + used_off]) return base + i * t->sz;
    void *e = grow(st, t);
    return e ? e : victim(table_base(t), *t->n, t->sz, lru_off, used_off);
}

#define TABLE(st, field, count, type, max)                                                         \
    ((struct table){&(st)->field, &(st)->count, sizeof(type), max})
#define TREES(st) TABLE(st, trees, ntrees, struct smb_tree, SMB_TREES)
#define FILES(st) TABLE(st, files, nfiles, struct smb_file, SMB_FILES)
#define PIPES(st) TABLE(st, pipes, npipes, struct smb_pipe, SMB_PIPES)
#define PENDING(st) TABLE(st, pending, npending, struct smb_pending, SMB_PENDING)
#define SLOT(st, tab, type)                                                                        \
    ((type *)slot(st, (const struct table[]){tab}, offsetof(type, lru), offsetof(type, used)))
#define TRIM(st, tab, type) table_trim(st, (const struct table[]){tab}, offsetof(type, used))

void smb_tables_free(struct smb_state *st)
{
    table_free(st, (const struct table[]){TREES(st)});
    table_free(st, (const struct table[]){FILES(st)});
    table_free(st, (const struct table[]){PIPES(st)});
    table_free(st, (const struct table[]){PENDING(st)});
    dissect_free(st->mem, st->account, sizeof(*st->account));
    st->account = NULL;
}

void smb_pending_trim(struct smb_state *st)
{
    if (st->npending) TRIM(st, PENDING(st), struct smb_pending);
}

/* --- trees ----------------------------------------------------------- */

struct smb_tree *smb_tree_find(struct smb_state *st, uint32_t id)
{
    for (size_t i = 0; i < st->ntrees; i++) {
        struct smb_tree *t = &st->trees[i];
        if (t->used && t->id == id) {
            t->lru = tick(st);
            return t;
        }
    }
    return NULL;
}

struct smb_tree *smb_tree_add(struct smb_state *st, uint32_t id, const char *path)
{
    struct smb_tree *t = smb_tree_find(st, id);
    if (!t) t = SLOT(st, TREES(st), struct smb_tree);
    if (!t) return NULL;
    memset(t, 0, sizeof(*t));
    t->used = 1;
    t->id = id;
    t->lru = tick(st);
    strncpy(t->share, smb_last_component(path), sizeof(t->share) - 1);
    t->is_ipc = smb_is_ipc(t->share) != 0;
    return t;
}

void smb_tree_del(struct smb_state *st, uint32_t id)
{
    struct smb_tree *t = smb_tree_find(st, id);
    if (!t) return;
    t->used = 0;
    TRIM(st, TREES(st), struct smb_tree);
}

const char *smb_share_of(struct smb_state *st, uint32_t tree)
{
    struct smb_tree *t = smb_tree_find(st, tree);
    return t ? t->share : NULL;
}

/* --- pending requests ------------------------------------------------ */

struct smb_pending *smb_pending_find(struct smb_state *st, uint64_t msg_id)
{
    for (size_t i = 0; i < st->npending; i++)
        if (st->pending[i].used && st->pending[i].msg_id == msg_id) return &st->pending[i];
    return NULL;
}

struct smb_pending *smb_pending_add(const struct smb_msg *m, uint64_t msg_id,
                                    enum smb_pending_kind kind)
{
    struct smb_state *st = m->st;
    struct smb_pending *p = smb_pending_find(st, msg_id);
    if (!p) p = SLOT(st, PENDING(st), struct smb_pending);
    if (!p) return NULL;
    if (p->used) smb_pending_report(m->dc, st, p);
    memset(p, 0, sizeof(*p));
    p->used = 1;
    p->msg_id = msg_id;
    p->kind = (uint8_t)kind;
    p->lru = tick(st);
    p->answers = st->responses;
    return p;
}

void smb_pending_report(struct dissect_ctx *dc, struct smb_state *st, struct smb_pending *p)
{
    if (p->kind == PEND_TREE) {
        smb_emit_tree(dc, 1, 0, p->name, 1);
    } else if (p->kind == PEND_CREATE) {
        struct smb_file_event fe = {.type = EV_SMB_CREATE,
                                    .share = smb_share_of(st, p->tree),
                                    .name = p->name,
                                    .disposition = p->disposition,
                                    .unanswered = 1};
        smb_emit_file(dc, 1, &fe);
    }
    p->used = 0;
}

/* The newest request of this kind (and tree, for a create) left without a
 * response, none having come since, or its own lost (struct smb_state
 * answered_max): the one an unknown id belongs to. A client
 * uses what it opened last; an older request left so may have failed (a
 * probe for a name that does not exist, as a ransomware's for its target
 * before it writes it) and then no id ever comes for it: taking the oldest
 * would give every later id the name of the request before its own. */
static struct smb_pending *awaiting_id(struct smb_state *st, enum smb_pending_kind kind,
                                       uint32_t tree)
{
    struct smb_pending *best = NULL;
    for (size_t i = 0; i < st->npending; i++) {
        struct smb_pending *p = &st->pending[i];
        if (!p->used || p->kind != kind) continue;
        if (p->answers != st->responses && !(st->answered_max > p->msg_id && !p->interim)) continue;
        if (kind == PEND_CREATE && (p->tree != tree || p->closed)) continue;
        if (!best || p->lru > best->lru) best = p;
    }
    return best;
}

void smb_tree_use(const struct smb_msg *m, uint32_t tree)
{
    struct smb_state *st = m->st;
    if (tree == 0 || tree == UINT32_MAX || smb_tree_find(st, tree)) return;
    struct smb_pending *p = awaiting_id(st, PEND_TREE, 0);
    if (!p) return;
    smb_tree_add(st, tree, p->name);
    smb_pending_report(m->dc, st, p); /* p survives: trees are another table */
}

/* --- opens ----------------------------------------------------------- */

struct smb_file *smb_file_find(struct smb_state *st, uint64_t fid_p, uint64_t fid_v)
{
    for (size_t i = 0; i < st->nfiles; i++) {
        struct smb_file *f = &st->files[i];
        if (f->used && f->fid_v == fid_v && f->fid_p == fid_p) {
            f->lru = tick(st);
            return f;
        }
    }
    return NULL;
}

const struct smb_file *smb_file_peek(const struct smb_state *st, uint64_t fid_p, uint64_t fid_v)
{
    for (size_t i = 0; i < st->nfiles; i++) {
        const struct smb_file *f = &st->files[i];
        if (f->used && f->fid_v == fid_v && f->fid_p == fid_p) return f;
    }
    return NULL;
}

/* An open known only to be no pipe, name unknown: kept so that its data
 * is not sniffed again, but the first to make room (before an open whose
 * name events need). */
static int spare(const struct smb_file *f)
{
    return !f->is_pipe && !f->maybe_pipe && !f->name[0];
}

/* A free open, else a new one, else the least recently used of the spare
 * opens, then of the files; a pipe only when every open is one: a burst of
 * file opens (ransomware, a copy) must not take the pipe whose DCE-RPC
 * creates a service or a task. */
static struct smb_file *file_slot(struct smb_state *st)
{
    struct smb_file *spare_lru = NULL, *file_lru = NULL;
    for (size_t i = 0; i < st->nfiles; i++) {
        struct smb_file *f = &st->files[i];
        if (!f->used) return f;
        if (spare(f) && (!spare_lru || f->lru < spare_lru->lru)) spare_lru = f;
        if (!f->is_pipe && !f->maybe_pipe && (!file_lru || f->lru < file_lru->lru)) file_lru = f;
    }
    struct smb_file *best = spare_lru ? spare_lru : file_lru;
    if (best) {
        struct smb_file *n = grow(st, (const struct table[]){FILES(st)});
        return n ? n : best; /* not grown: best has not moved */
    }
    return SLOT(st, FILES(st), struct smb_file);
}

struct smb_file *smb_file_add(struct smb_state *st, uint64_t fid_p, uint64_t fid_v, uint32_t tree,
                              const char *name)
{
    struct smb_file *f = smb_file_find(st, fid_p, fid_v);
    if (!f) f = file_slot(st);
    if (!f) return NULL;
    memset(f, 0, sizeof(*f));
    f->used = 1;
    f->fid_p = fid_p;
    f->fid_v = fid_v;
    f->tree = tree;
    f->lru = tick(st);
    f->gen = ++st->gen;
    struct smb_tree *t = smb_tree_find(st, tree);
    f->is_pipe = t && t->is_ipc;
    f->maybe_pipe = !t;
    strncpy(f->name, name, sizeof(f->name) - 1);
    return f;
}

void smb_file_del(struct smb_state *st, uint64_t fid_p, uint64_t fid_v)
{
    struct smb_file *f = smb_file_find(st, fid_p, fid_v);
    if (!f) return;
    if (f->pipe && f->pipe <= st->npipes && st->pipes[f->pipe - 1].gen == f->gen) {
        st->pipes[f->pipe - 1].used = 0;
        TRIM(st, PIPES(st), struct smb_pipe);
    }
    f->used = 0;
    TRIM(st, FILES(st), struct smb_file);
}

struct smb_file *smb_file_use(const struct smb_msg *m, uint32_t tree, uint64_t fid_p,
                              uint64_t fid_v)
{
    struct smb_state *st = m->st;
    struct smb_file *f = smb_file_find(st, fid_p, fid_v);
    if (f) return f;
    struct smb_pending *p = awaiting_id(st, PEND_CREATE, tree);
    if (p) {
        f = smb_file_add(st, fid_p, fid_v, p->tree, p->name);
        smb_pending_report(m->dc, st, p);
        return f;
    }
    struct smb_tree *t = smb_tree_find(st, tree);
    return !t || t->is_ipc ? smb_file_add(st, fid_p, fid_v, tree, "") : NULL;
}

struct smb_file *smb_file_pipe(const struct smb_msg *m, uint32_t tree, uint64_t fid_p,
                               uint64_t fid_v)
{
    struct smb_file *f = smb_file_use(m, tree, fid_p, fid_v);
    if (!f) f = smb_file_add(m->st, fid_p, fid_v, tree, "");
    if (f) f->is_pipe = 1;
    return f;
}

/* --- pipes ----------------------------------------------------------- */

static struct smb_pipe *pipe_of(struct smb_state *st, struct smb_file *f)
{
    if (f->pipe && f->pipe <= st->npipes) {
        struct smb_pipe *p = &st->pipes[f->pipe - 1];
        if (p->used && p->gen == f->gen) {
            p->lru = tick(st);
            return p;
        }
    }
    struct smb_pipe *p = SLOT(st, PIPES(st), struct smb_pipe);
    if (!p) return NULL;
    p->used = 1;
    p->gen = f->gen;
    p->lru = tick(st);
    dcerpc_conn_init(&p->rpc);
    f->pipe = (uint8_t)(p - st->pipes + 1);
    return p;
}

int smb_pipe_data(const struct smb_msg *m, struct smb_file *f, const uint8_t *data, size_t len)
{
    if (!f || len == 0) return f && f->is_pipe;
    if (!f->is_pipe && f->maybe_pipe) {
        if (dcerpc_pdu_plausible(data, len))
            f->is_pipe = 1;
        else if (++f->sniffed >= SMB_SNIFF_MAX)
            f->maybe_pipe = 0;
    }
    if (!f->is_pipe) return 0;
    struct smb_pipe *p = pipe_of(m->st, f);
    if (!p) return 1;
    dcerpc_parse(m->dc, &p->rpc, m->to_server, data, len, smb_pipe_name(f->name));
    return 1;
}

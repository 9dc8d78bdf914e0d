#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hosttab.h"
#include "ransom_pattern.h"

#define CLIENTS 256u /* power of two */
#define PROBE 8u
#define NAMES 128u /* names remembered per client */

/* MS-SMB2 2.2.13 CreateDisposition (the same values as SMB1's). */
#define FILE_SUPERSEDE 0u
#define FILE_OPEN 1u
#define FILE_CREATE 2u
#define FILE_OVERWRITE 4u
#define FILE_OVERWRITE_IF 5u

/* What the client did with a name. */
enum {
    F_OPENED = 1u << 0,    /* an existing file opened: a candidate original */
    F_MADE = 1u << 1,      /* made by the client (created, written, renamed to) */
    F_REWRITTEN = 1u << 2, /* the original written over in place */
    F_NEW = 1u << 3,       /* its name written under a new extension */
    F_RENAMED = 1u << 4,   /* renamed to a new extension */
    F_GONE = 1u << 5,      /* deleted or renamed away */
    F_DONE = 1u << 6,      /* counted as transformed */
};

/* A name the client used: its hash is the value, and is kept again here
 * for a scan of the values. */
struct file {
    uint64_t name;
    uint32_t stem; /* of the hash of the name without its extension; 0: none */
    uint32_t flags;
};

/* A transformed file: its original's name hash, when, how it went. */
enum { GONE_NONE, GONE_DELETED, GONE_RENAMED };
struct done {
    uint64_t name;
    uint32_t at_s;
    uint8_t how; /* GONE_NONE: a free or withdrawn record */
};

/* A client's transformed files, and the last names seen for evidence: an
 * event names either the original or its new name, not both. */
struct client {
    struct done done[RANSOM_PATTERN_MAX];
    uint32_t next; /* the ring's next record */
    uint64_t orig_hash, new_of;
    char orig[RANSOM_PATTERN_NAME], new_name[RANSOM_PATTERN_NAME];
    char first_original[RANSOM_PATTERN_NAME], first_new[RANSOM_PATTERN_NAME];
};

struct ransom_pattern {
    struct hosttab *clients;
};

/* The hashes of a name, case folded, '/' read as '\', leading separators
 * dropped: the whole name and the name without the extension of its last
 * component (none for "a", ".profile" or "a."). */
struct name_hash {
    uint64_t full, stem;
};

#define FNV64_OFFSET 0xcbf29ce484222325ull
#define FNV64_PRIME 0x100000001b3ull

/* 0 for no name, or a stream ("a.docx:Zone.Identifier"): not a file. */
static int hash_name(const char *s, struct name_hash *n)
{
    if (!s) return 0;
    while (*s == '\\' || *s == '/')
        s++;
    if (!*s) return 0;
    uint64_t h = FNV64_OFFSET, at_dot = 0;
    int first = 1, ext_len = -1; /* -1: no dot in the last component yet */
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == ':') return 0;
        if (c == '/') c = '\\';
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
        if (c == '\\') {
            ext_len = -1;
        } else if (c == '.' && !first) {
            at_dot = h, ext_len = 0;
        } else if (ext_len >= 0) {
            ext_len++;
        }
        first = c == '\\';
        h = (h ^ c) * FNV64_PRIME;
    }
    n->full = h;
    n->stem = ext_len > 0 ? at_dot : 0;
    return 1;
}

static uint32_t hash_addr(const uint8_t addr[16])
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < 16; i++)
        h = (h ^ addr[i]) * 16777619u;
    return h;
}

struct ransom_pattern *ransom_pattern_create(void)
{
    struct ransom_pattern *p = calloc(1, sizeof(*p));
    struct hosttab_config c = {.slots = CLIENTS,
                               .probe = PROBE,
                               .key_len = 16,
                               .value_size = sizeof(struct client),
                               .distinct = NAMES,
                               .item_size = sizeof(struct file)};
    if (p && !(p->clients = hosttab_create(&c))) {
        free(p);
        return NULL;
    }
    return p;
}

void ransom_pattern_destroy(struct ransom_pattern *p)
{
    if (!p) return;
    hosttab_destroy(p->clients);
    free(p);
}

/* --- one event ------------------------------------------------------------ */

/* What an event works with: the table, the client, now, the thresholds,
 * and where a hit goes. */
struct op {
    struct hosttab *t;
    void *entry; /* the client's hosttab entry */
    struct client *c;
    uint32_t now_s, need, window_s;
    struct ransom_pattern_hit *hit;
    int fired;
};

static void keep(char *dst, const char *src)
{
    snprintf(dst, RANSOM_PATTERN_NAME, "%s", src && src[0] ? src : "?");
}

static uint32_t live(const struct op *o, uint32_t *deleted, uint32_t *renamed)
{
    uint32_t n = 0;
    *deleted = *renamed = 0;
    for (uint32_t i = 0; i < RANSOM_PATTERN_MAX; i++) {
        const struct done *d = &o->c->done[i];
        if (d->how == GONE_NONE || o->now_s - d->at_s >= o->window_s) continue;
        n++;
        *deleted += d->how == GONE_DELETED;
        *renamed += d->how == GONE_RENAMED;
    }
    return n;
}

/* Counts a transformed file (original and new name as known, else the
 * last ones seen for it) and fires when the burst is large enough. */
static void count(struct op *o, const struct file *f, const char *orig, const char *new_name)
{
    struct client *c = o->c;
    if (!orig && c->orig_hash == f->name) orig = c->orig;
    if (!new_name && c->new_of == f->name) new_name = c->new_name;
    uint32_t deleted, renamed;
    if (live(o, &deleted, &renamed) == 0) {
        keep(c->first_original, orig);
        keep(c->first_new, new_name);
    }
    struct done *d = &c->done[c->next++ % RANSOM_PATTERN_MAX];
    d->name = f->name;
    d->at_s = o->now_s;
    d->how = (f->flags & F_RENAMED) ? GONE_RENAMED : GONE_DELETED;
    uint32_t n = live(o, &deleted, &renamed);
    if (n < o->need) return;
    struct ransom_pattern_hit *h = o->hit;
    h->files = n, h->deleted = deleted, h->renamed = renamed;
    memcpy(h->first_original, c->first_original, sizeof(h->first_original));
    memcpy(h->first_new, c->first_new, sizeof(h->first_new));
    keep(h->last_original, orig);
    keep(h->last_new, new_name);
    memset(c->done, 0, sizeof(c->done));
    o->fired = 1;
}

/* A transformed file: an original, gone, its content under a new
 * extension (a new file, or the original rewritten and renamed). */
static void check(struct op *o, struct file *f, const char *orig, const char *new_name)
{
    uint32_t fl = f->flags;
    if ((fl & (F_DONE | F_MADE)) || !(fl & F_OPENED) || !(fl & F_GONE)) return;
    if (!(fl & F_NEW) && !((fl & F_RENAMED) && (fl & F_REWRITTEN))) return;
    f->flags |= F_DONE;
    count(o, f, orig, new_name);
}

/* The original's name holds a file again: a replace, not a removal. */
static void restore(struct op *o, struct file *f)
{
    if (f->flags & F_DONE)
        for (uint32_t i = 0; i < RANSOM_PATTERN_MAX; i++)
            if (o->c->done[i].name == f->name) o->c->done[i].how = GONE_NONE;
    f->flags = F_MADE;
}

static uint32_t stem32(uint64_t stem)
{
    return stem ? (uint32_t)stem | 1u : 0;
}

/* "a.docx.enc" or "a.enc" for the original "a.docx". */
static int new_extension(const struct file *orig, const struct name_hash *n)
{
    if (!n->stem || n->full == orig->name) return 0;
    return n->stem == orig->name || (orig->stem && stem32(n->stem) == orig->stem);
}

/* A name written: the first original it gives a new extension to, other
 * than skip, gets it. */
static void sibling(struct op *o, const struct name_hash *n, const char *name, const void *skip)
{
    if (!n->stem) return;
    uint32_t k = hosttab_values(o->t, o->entry);
    for (uint32_t i = 0; i < k; i++) {
        struct file *f = hosttab_value_data(o->t, o->entry, i);
        if (f == skip || (f->flags & (F_MADE | F_DONE)) || !(f->flags & F_OPENED)) continue;
        if (!new_extension(f, n)) continue;
        f->flags |= F_NEW;
        o->c->new_of = f->name;
        keep(o->c->new_name, name);
        check(o, f, NULL, name);
        return;
    }
}

static struct file *find(struct op *o, const struct name_hash *n)
{
    return hosttab_value_find(o->t, o->entry, n->full, o->now_s);
}

static struct file *add(struct op *o, const struct name_hash *n)
{
    int created;
    struct file *f = hosttab_value_add(o->t, o->entry, n->full, o->now_s, &created);
    if (f && created) {
        f->name = n->full;
        f->stem = stem32(n->stem);
    }
    return f;
}

static void note_original(struct op *o, const struct file *f, const char *name)
{
    o->c->orig_hash = f->name;
    keep(o->c->orig, name);
}

/* A CREATE that opens an existing file: a candidate original, unless the
 * client made it. */
static void opened(struct op *o, const struct name_hash *n, const char *name)
{
    struct file *f = add(o, n);
    if (!f || (f->flags & F_MADE)) return;
    if (f->flags & F_GONE) {
        restore(o, f); /* there again */
        f->flags = 0;
    }
    f->flags |= F_OPENED;
    note_original(o, f, name);
}

/* A file made under a name (created, written, renamed to), skip aside: the
 * original rewritten in place, an original's name back, or a new file
 * that may be an original's new name. */
static void made(struct op *o, const struct name_hash *n, const char *name, const void *skip)
{
    struct file *f = find(o, n);
    if (f && (f->flags & F_OPENED) && !(f->flags & F_MADE)) {
        if (f->flags & F_GONE) {
            restore(o, f);
        } else {
            f->flags |= F_REWRITTEN;
            check(o, f, name, NULL);
        }
        return;
    }
    sibling(o, n, name, skip);
    if (!f) f = add(o, n);
    if (f) f->flags |= F_MADE;
}

/* A write names the file of its handle as it was opened: after a rename
 * through that handle, still the original. */
static void written(struct op *o, const struct name_hash *n, const char *name)
{
    struct file *f = find(o, n);
    if (f && (f->flags & F_OPENED) && !(f->flags & F_MADE)) {
        f->flags |= F_REWRITTEN;
        check(o, f, name, NULL);
        return;
    }
    made(o, n, name, NULL);
}

static void renamed(struct op *o, const struct name_hash *n, const char *name, const char *to)
{
    struct name_hash t;
    if (!hash_name(to, &t)) return;
    struct file *f = find(o, n);
    if (f && (f->flags & F_OPENED) && !(f->flags & (F_MADE | F_GONE))) {
        f->flags |= F_GONE;
        if (new_extension(f, &t)) {
            f->flags |= F_RENAMED;
            o->c->new_of = f->name;
            keep(o->c->new_name, to);
        }
        note_original(o, f, name);
        check(o, f, name, (f->flags & F_RENAMED) ? to : NULL);
    } else {
        f = NULL;
    }
    /* A rename is no write: the original renamed is not its own new name. */
    made(o, &t, to, f);
}

static void deleted(struct op *o, const struct name_hash *n, const char *name)
{
    struct file *f = find(o, n);
    if (!f || !(f->flags & F_OPENED) || (f->flags & (F_MADE | F_GONE))) return;
    f->flags |= F_GONE;
    note_original(o, f, name);
    check(o, f, name, NULL);
}

int ransom_pattern_event(struct ransom_pattern *p, const uint8_t client[16],
                         const struct dissect_event *ev, uint64_t now_us, uint32_t need,
                         uint32_t window_s, struct ransom_pattern_hit *hit)
{
    if (ev->type != EV_SMB_CREATE && ev->type != EV_SMB_WRITE && ev->type != EV_SMB_RENAME &&
        ev->type != EV_SMB_DELETE)
        return 0;
    const char *name = ev->u.file.name;
    struct name_hash n;
    if (!hash_name(name, &n)) return 0;
    uint32_t d = ev->u.file.disposition;
    if (ev->type == EV_SMB_CREATE &&
        (ev->status != 0 || (d != FILE_OPEN && d != FILE_SUPERSEDE && d != FILE_CREATE &&
                             d != FILE_OVERWRITE && d != FILE_OVERWRITE_IF)))
        return 0; /* failed, or FILE_OPEN_IF: opened or made, we cannot tell */
    int created;
    struct op o = {.t = p->clients, .hit = hit};
    o.entry = hosttab_get(p->clients, client, hash_addr(client), now_us, &created);
    o.c = o.entry;
    o.now_s = (uint32_t)(now_us / 1000000u);
    o.need = need < 1 ? 1 : need > RANSOM_PATTERN_MAX ? RANSOM_PATTERN_MAX : need;
    o.window_s = window_s < 1 ? 1 : window_s;
    switch (ev->type) {
    case EV_SMB_CREATE:
        if (d == FILE_OPEN)
            opened(&o, &n, name);
        else
            made(&o, &n, name, NULL);
        break;
    case EV_SMB_WRITE:
        written(&o, &n, name);
        break;
    case EV_SMB_RENAME:
        renamed(&o, &n, name, ev->u.file.new_name);
        break;
    default:
        deleted(&o, &n, name);
        break;
    }
    return o.fired;
}

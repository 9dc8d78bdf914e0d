/* RESP encoding of the output thread's commands into r->cmd, in the
 * output's mode (output_redis.h): records, flows, the transaction that
 * moves the delivered mark. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output_redis_int.h"

int or_cmd_reserve(struct output_redis *r, size_t need)
{
    if (r->cmd_len + need <= r->cmd_cap) return 0;
    size_t cap = r->cmd_cap ? r->cmd_cap : 1 << 20;
    while (cap < r->cmd_len + need)
        cap *= 2;
    char *nb = realloc(r->cmd, cap);
    if (!nb) return -1;
    r->cmd = nb;
    r->cmd_cap = cap;
    return 0;
}

/* Decimal digits at w, returns the end; printf is a visible cost at
 * 100,000 alerts/s. */
char *or_put_u64(char *w, uint64_t v)
{
    char tmp[20];
    int i = 0;
    do
        tmp[i++] = (char)('0' + v % 10);
    while ((v /= 10));
    while (i)
        *w++ = tmp[--i];
    return w;
}

/* RESP framing of one argument; the caller reserved the room. */
void or_put_arg(struct output_redis *r, const char *s, size_t n)
{
    char *w = r->cmd + r->cmd_len;
    *w++ = '$';
    w = or_put_u64(w, n);
    *w++ = '\r';
    *w++ = '\n';
    memcpy(w, s, n);
    memcpy(w + n, "\r\n", 2);
    r->cmd_len = (size_t)(w + n + 2 - r->cmd);
}

void or_put_str(struct output_redis *r, const char *s)
{
    or_put_arg(r, s, strlen(s));
}

void or_put_count(struct output_redis *r, int n)
{
    char *w = r->cmd + r->cmd_len;
    *w++ = '*';
    w = or_put_u64(w, (uint64_t)n);
    *w++ = '\r';
    *w++ = '\n';
    r->cmd_len = (size_t)(w - r->cmd);
}

/* XADD <key> [MAXLEN ~ n] * <field> <json> */
void or_put_xadd(struct output_redis *r, const char *key, const char *field, const char *json,
                 size_t len)
{
    or_put_count(r, r->maxlen[0] ? 8 : 5);
    or_put_str(r, "XADD");
    or_put_str(r, key);
    if (r->maxlen[0]) {
        or_put_str(r, "MAXLEN");
        or_put_str(r, "~");
        or_put_str(r, r->maxlen);
    }
    or_put_str(r, "*");
    or_put_str(r, field);
    or_put_arg(r, json, len);
}

/* Appends one record's commands in the output's mode; returns how many.
 * The first carries the record (its reply says whether it was kept). */
int or_put_record(struct output_redis *r, const char *key, const char *field, const char *json,
                  size_t len, int publish_too)
{
    if (r->mode == REDIS_MODE_STREAM) {
        or_put_xadd(r, key, field, json, len);
        if (!publish_too) return 1;
    }
    or_put_count(r, 3);
    or_put_str(r, r->mode == REDIS_MODE_LIST ? "RPUSH" : "PUBLISH");
    or_put_str(r, key);
    or_put_arg(r, json, len);
    return r->mode == REDIS_MODE_STREAM ? 2 : 1;
}

/* List mode: LTRIM <key> -maxlen -1, once per key and batch. */
int or_put_ltrim(struct output_redis *r, const char *key)
{
    if (r->mode != REDIS_MODE_LIST || !r->trim_from[0]) return 0;
    or_put_count(r, 4);
    or_put_str(r, "LTRIM");
    or_put_str(r, key);
    or_put_str(r, r->trim_from);
    or_put_str(r, "-1");
    return 1;
}

/* MULTI, the commands of each record (each to the key of its kind), the
 * list trims, SET delivered, EXEC: one round trip, and the mark moves with
 * every record before it, whatever its kind. Returns the commands between
 * MULTI and EXEC, -1 if out of memory; r->txn_rec maps each to its record. */
int or_build_record_txn(struct output_redis *r, const struct spool_record *recs, int n)
{
    size_t keys = 0, need = 256 + strlen(r->key_delivered);
    for (int k = 0; k < SPOOL_KINDS; k++) {
        if (strlen(r->key_kind[k]) > keys) keys = strlen(r->key_kind[k]);
        need += strlen(r->key_kind[k]) + 64;
    }
    for (int i = 0; i < n; i++)
        need += 2 * recs[i].len + 2 * keys + strlen(r->field_kind[recs[i].kind]) + 160;
    r->cmd_len = 0;
    if (or_cmd_reserve(r, need) < 0) return -1;
    char seq[24];
    int ncmds = 0, used[SPOOL_KINDS] = {0};
    or_put_count(r, 1);
    or_put_str(r, "MULTI");
    for (int i = 0; i < n; i++) {
        enum spool_kind k = recs[i].kind;
        int c = or_put_record(r, r->key_kind[k], r->field_kind[k], recs[i].json, recs[i].len, 1);
        r->txn_rec[ncmds] = i;
        for (int j = 1; j < c; j++)
            r->txn_rec[ncmds + j] = -1;
        ncmds += c;
        used[k] = 1;
    }
    for (int k = 0; k < SPOOL_KINDS; k++) {
        int dup = 0; /* one key for every kind: trim it once */
        for (int j = 0; j < k; j++)
            dup |= used[j] && !strcmp(r->key_kind[j], r->key_kind[k]);
        if (used[k] && !dup && or_put_ltrim(r, r->key_kind[k])) r->txn_rec[ncmds++] = -1;
    }
    or_put_count(r, 3);
    or_put_str(r, "SET");
    or_put_str(r, r->key_delivered);
    or_put_arg(r, seq, (size_t)(or_put_u64(seq, recs[n - 1].seq) - seq));
    r->txn_rec[ncmds++] = -1;
    or_put_count(r, 1);
    or_put_str(r, "EXEC");
    return ncmds;
}

const char *or_record_cmd(const struct output_redis *r)
{
    return r->mode == REDIS_MODE_STREAM ? "XADD" : r->mode == REDIS_MODE_LIST ? "RPUSH" : "PUBLISH";
}

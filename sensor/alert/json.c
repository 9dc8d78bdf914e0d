#include <stdlib.h>
#include <string.h>

#include "json.h"

/* Worst case for one input byte: a control character as \u00XX. */
#define ESC_MAX 6

void json_reset(struct json_writer *w)
{
    w->len = 0;
    w->depth = 0;
    w->nonempty = 0;
    w->arrays = 0;
    w->err = 0;
}

void json_free(struct json_writer *w)
{
    free(w->buf);
    *w = (struct json_writer){0};
}

/* Room for n more bytes plus the NUL json_buffer() adds. Grows by doubling,
 * so a reused writer stops allocating once it has seen its largest event. */
static int reserve(struct json_writer *w, size_t n)
{
    if (w->err) return -1;
    if (n > SIZE_MAX / 2 - w->len) goto fail;
    size_t need = w->len + n + 1;
    if (need <= w->cap) return 0;
    size_t cap = w->cap ? w->cap : 1024;
    while (cap < need)
        cap *= 2;
    char *b = realloc(w->buf, cap);
    if (!b) goto fail;
    w->buf = b;
    w->cap = cap;
    return 0;
fail:
    w->err = 1;
    return -1;
}

/* Bytes a string may take escaped, or SIZE_MAX if that overflows. */
static size_t escaped_max(size_t n)
{
    return n > (SIZE_MAX - 2) / ESC_MAX ? SIZE_MAX : n * ESC_MAX + 2;
}

/* Length of the well-formed UTF-8 sequence at s (Unicode 3.9, table 3-7),
 * or minus the length of its maximal ill-formed subpart: the bytes up to the
 * first one that cannot continue it, replaced by a single U+FFFD. */
static int utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    int more;
    if (c >= 0xC2 && c <= 0xDF)
        more = 1;
    else if (c == 0xE0)
        more = 2, lo = 0xA0; /* below: overlong */
    else if (c == 0xED)
        more = 2, hi = 0x9F; /* above: surrogates U+D800-DFFF */
    else if (c >= 0xE1 && c <= 0xEF)
        more = 2;
    else if (c == 0xF0)
        more = 3, lo = 0x90; /* below: overlong */
    else if (c == 0xF4)
        more = 3, hi = 0x8F; /* above: beyond U+10FFFF */
    else if (c >= 0xF1 && c <= 0xF3)
        more = 3;
    else
        return -1; /* continuation byte, C0/C1 (overlong) or F5-FF */
    for (int i = 1; i <= more; i++) {
        if ((size_t)i >= n || s[i] < lo || s[i] > hi) return -i;
        lo = 0x80;
        hi = 0xBF;
    }
    return more + 1;
}

/* Writes s as a quoted JSON string; room was reserved by the caller. */
static char *put_string(char *o, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str, *end = s + n;
    *o++ = '"';
    while (s < end) {
        /* Runs of plain ASCII are the common case: copy them at once. */
        const unsigned char *run = s;
        while (s < end && *s >= 0x20 && *s < 0x80 && *s != '"' && *s != '\\')
            s++;
        memcpy(o, run, (size_t)(s - run));
        o += s - run;
        if (s == end) break;
        unsigned char c = *s;
        if (c >= 0x80) {
            int k = utf8_seq(s, (size_t)(end - s));
            if (k > 0) {
                memcpy(o, s, (size_t)k);
                o += k;
                s += k;
            } else {
                memcpy(o, "\xEF\xBF\xBD", 3);
                o += 3;
                s += -k;
            }
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"':
        case '\\':
            *o++ = (char)c;
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\f':
            *o++ = 'f';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        default:
            memcpy(o, "u00", 3);
            o[3] = hex[c >> 4];
            o[4] = hex[c & 15];
            o += 5;
        }
        s++;
    }
    *o++ = '"';
    return o;
}

static char *put_u64(char *o, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *o++ = tmp[--n];
    return o;
}

/* Starts a value at the current depth: checks it belongs there (a key
 * inside an object, none in an array, one value at the top), reserves room
 * for the separator, the key and extra bytes, writes the separator and the
 * key. Returns where the value goes, or NULL on error. */
static char *begin_value(struct json_writer *w, const char *key, size_t extra)
{
    uint32_t bit = 1u << w->depth;
    int in_array = (w->arrays & bit) != 0;
    if (w->err) return NULL;
    if ((key != NULL) != (w->depth > 0 && !in_array) || (w->depth == 0 && (w->nonempty & 1))) {
        w->err = 1;
        return NULL;
    }
    size_t klen = key ? strlen(key) : 0;
    size_t need = escaped_max(klen);
    if (need == SIZE_MAX || extra > SIZE_MAX - need - 2 || reserve(w, need + extra + 2) != 0) {
        w->err = 1;
        return NULL;
    }
    char *o = w->buf + w->len;
    if (w->nonempty & bit) *o++ = ',';
    w->nonempty |= bit;
    if (key) {
        o = put_string(o, key, klen);
        *o++ = ':';
    }
    return o;
}

static void end_value(struct json_writer *w, char *o)
{
    if (o) w->len = (size_t)(o - w->buf);
}

static void open_nested(struct json_writer *w, const char *key, int array)
{
    if (w->depth >= JSON_MAX_DEPTH) w->err = 1;
    char *o = begin_value(w, key, 1);
    if (!o) return;
    *o++ = array ? '[' : '{';
    end_value(w, o);
    w->depth++;
    uint32_t bit = 1u << w->depth;
    w->nonempty &= ~bit;
    w->arrays = array ? w->arrays | bit : w->arrays & ~bit;
}

static void close_nested(struct json_writer *w, int array)
{
    uint32_t bit = 1u << w->depth;
    if (w->err) return;
    if (w->depth == 0 || ((w->arrays & bit) != 0) != array || reserve(w, 1) != 0) {
        w->err = 1;
        return;
    }
    w->buf[w->len++] = array ? ']' : '}';
    w->depth--;
}

void json_begin_object(struct json_writer *w)
{
    open_nested(w, NULL, 0);
}

void json_end_object(struct json_writer *w)
{
    close_nested(w, 0);
}

void json_begin_array(struct json_writer *w)
{
    open_nested(w, NULL, 1);
}

void json_end_array(struct json_writer *w)
{
    close_nested(w, 1);
}

void json_key_object(struct json_writer *w, const char *key)
{
    open_nested(w, key ? key : "", 0);
}

void json_key_array(struct json_writer *w, const char *key)
{
    open_nested(w, key ? key : "", 1);
}

static void put_str_value(struct json_writer *w, const char *key, const char *value, size_t len)
{
    if (!value) len = 0;
    size_t need = escaped_max(len);
    if (need == SIZE_MAX) {
        w->err = 1;
        return;
    }
    char *o = begin_value(w, key, need);
    if (o) end_value(w, put_string(o, value, len));
}

void json_key_strn(struct json_writer *w, const char *key, const char *value, size_t len)
{
    put_str_value(w, key ? key : "", value, len);
}

void json_key_str(struct json_writer *w, const char *key, const char *value)
{
    put_str_value(w, key ? key : "", value, value ? strlen(value) : 0);
}

void json_key_u64(struct json_writer *w, const char *key, uint64_t value)
{
    char *o = begin_value(w, key ? key : "", 20);
    if (o) end_value(w, put_u64(o, value));
}

void json_key_bool(struct json_writer *w, const char *key, int value)
{
    char *o = begin_value(w, key ? key : "", 5);
    if (!o) return;
    size_t n = value ? 4 : 5;
    memcpy(o, value ? "true" : "false", n);
    end_value(w, o + n);
}

void json_key_i64(struct json_writer *w, const char *key, int64_t value)
{
    char *o = begin_value(w, key ? key : "", 21);
    if (!o) return;
    /* Negated as unsigned, so INT64_MIN is exact. */
    uint64_t mag = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;
    if (value < 0) *o++ = '-';
    end_value(w, put_u64(o, mag));
}

void json_key_int(struct json_writer *w, const char *key, int value)
{
    json_key_i64(w, key, value);
}

void json_array_str(struct json_writer *w, const char *value)
{
    put_str_value(w, NULL, value, value ? strlen(value) : 0);
}

void json_array_u64(struct json_writer *w, uint64_t value)
{
    char *o = begin_value(w, NULL, 20);
    if (o) end_value(w, put_u64(o, value));
}

const char *json_buffer(const struct json_writer *w, size_t *len)
{
    if (w->err || w->depth != 0 || !w->buf) {
        if (len) *len = 0;
        return NULL;
    }
    /* reserve() always kept a byte for this NUL. */
    w->buf[w->len] = '\0';
    if (len) *len = w->len;
    return w->buf;
}

/* SPDX-License-Identifier: MIT */
/* Raw JSON text: member spans (to carry values byte for byte) and type signatures, both walked
 * with jscan's walkers; and the checks cJSON does not make. */
#include "jsonraw_int.h"
#include "jscan_int.h"
#include "util_int.h"

#include <stdlib.h>
#include <string.h>

long cai_json__members(const char *text, size_t len, cai_jspan *out, size_t max)
{
    cai_jval root, k, v;
    cai_jiter it = {0};
    size_t n = 0;

    if (!cai_jscan__span(text, len, &root) || !cai_jscan__is_object(&root))
        return -1;
    while (n < max && cai_jscan__next(&root, &it, &k, &v)) {
        out[n].key = (size_t)(k.p - text);
        out[n].key_len = k.n;
        out[n].val = (size_t)(v.p - text);
        out[n].val_len = v.n;
        n++;
    }
    return (long)n;
}

/* ---- signatures ------------------------------------------------------------------------- */

/* Appends "path=type" and its NUL to this record's entries. */
static void sig_add(cai_jsig *s, size_t plen, char type)
{
    char t[3] = {'=', type, '\0'};

    cai_buf__put(&s->ent[s->cur], s->path.data, plen);
    cai_buf__put(&s->ent[s->cur], t, 3);
    s->n++;
}

/* Appends "." and the key as written (escapes kept: the same key, the same text) or "[]" to
 * the path of plen bytes: its new length (the path buffer's oom flag set on failure). */
static size_t path_push(cai_jsig *s, size_t plen, const cai_jval *key)
{
    s->path.len = plen;
    if (key) {
        cai_buf__put(&s->path, ".", 1);
        cai_buf__put(&s->path, key->p + 1, key->n - 2);
    } else {
        cai_buf__put(&s->path, "[]", 2);
    }
    return s->path.len;
}

static int sig_oom(const cai_jsig *s)
{
    return s->path.oom || s->ent[s->cur].oom;
}

static void walk(cai_jsig *s, const cai_jval *v, size_t plen)
{
    char c = v->p[0], type = 'i';
    size_t k;

    if (c == '{' || c == '[') {
        cai_jiter it = {0};
        cai_jval key, val;
        size_t items = 0;

        while (!sig_oom(s) && cai_jscan__next(v, &it, c == '{' ? &key : NULL, &val)) {
            size_t sub = path_push(s, plen, c == '{' ? &key : NULL);
            if (!sig_oom(s))
                walk(s, &val, sub);
            items++;
        }
        if (!items)
            sig_add(s, plen, c == '{' ? 'o' : 'l');
        return;
    }
    if (c == '"')
        type = 's';
    else if (c == 't' || c == 'f')
        type = 'b';
    else if (c == 'n')
        type = 'n';
    else
        for (k = 0; k < v->n; k++)
            if (v->p[k] == '.' || v->p[k] == 'e' || v->p[k] == 'E')
                type = 'f';
    sig_add(s, plen, type);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts this record's entries into s->out, one per line, without duplicates. */
static int sig_sort(cai_jsig *s)
{
    cai_buf *e = &s->ent[s->cur];
    char **ne = cai__grow(s->sorted, &s->cap, s->n ? s->n : 1, sizeof(*ne), 16);
    size_t i, at = 0;

    if (!ne)
        return -1;
    s->sorted = ne;
    for (i = 0; i < s->n; i++) {
        ne[i] = e->data + at;
        at += strlen(ne[i]) + 1;
    }
    qsort(ne, s->n, sizeof(*ne), cmp_str);
    s->out.len = 0;
    if (cai_buf__reserve(&s->out, 0) != 0) /* "" when there is no entry */
        return -1;
    s->out.data[0] = '\0';
    for (i = 0; i < s->n; i++) {
        if (i > 0 && strcmp(ne[i], ne[i - 1]) == 0)
            continue;
        cai_buf__puts(&s->out, ne[i]);
        cai_buf__put(&s->out, "\n", 1);
    }
    return s->out.oom ? -1 : 0;
}

const char *cai_jsig__of(cai_jsig *s, const char *text, size_t len)
{
    cai_buf *e = &s->ent[s->cur], *last = &s->ent[!s->cur];
    cai_jval root;

    e->len = 0;
    s->path.len = 0;
    s->n = 0;
    if (cai_jscan__span(text, len, &root))
        walk(s, &root, 0);
    if (sig_oom(s)) {
        s->have = 0;
        e->oom = s->path.oom = 0; /* the next record starts afresh */
        return NULL;
    }
    /* Records of one file are mostly written alike: the same entries in the same order give
     * the same signature, without sorting them again. */
    if (s->have && e->len == last->len && (e->len == 0 || memcmp(e->data, last->data, e->len) == 0))
        return s->out.data;
    s->have = 0;
    if (sig_sort(s) != 0) {
        s->out.oom = 0;
        return NULL;
    }
    s->have = 1;
    s->cur = !s->cur; /* these entries are now the last record's */
    return s->out.data;
}

void cai_jsig__dispose(cai_jsig *s)
{
    cai_buf__dispose(&s->ent[0]);
    cai_buf__dispose(&s->ent[1]);
    cai_buf__dispose(&s->path);
    cai_buf__dispose(&s->out);
    free(s->sorted);
    memset(s, 0, sizeof(*s));
}

char *cai_json__signature(const char *text, size_t len)
{
    cai_jsig s = {0};
    const char *sig = cai_jsig__of(&s, text, len);
    char *out = sig ? strdup(sig) : NULL;

    cai_jsig__dispose(&s);
    return out;
}

/* ---- checks before parsing ---------------------------------------------------------------- */

static int hex4(const char *s, size_t n, size_t i, unsigned *v)
{
    size_t k;

    *v = 0;
    if (i + 4 > n)
        return 0;
    for (k = 0; k < 4; k++) {
        char c = s[i + k];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return 0;
        *v = *v << 4 | d;
    }
    return 1;
}

cai_jcheck cai_json__check(const char *s, size_t n, size_t *byte)
{
    size_t i, depth = 0, quote = 0; /* quote: the next '"' in a string, valid while >= i */
    int in_str = 0;

    *byte = 0;
    for (i = 0; i < n; i++) {
        char c = s[i];
        unsigned v, lo;
        if (!in_str) {
            if (c == '"')
                in_str = 1;
            else if ((c == '[' || c == '{') && ++depth > CAI_JSON_MAX_DEPTH) {
                *byte = i + 1;
                return CAI_JCHECK_DEEP;
            } else if ((c == ']' || c == '}') && depth > 0)
                depth--;
            continue;
        }
        if (c != '\\') {
            /* inside a string: jump to its closing quote or the next escape (memchr is the
             * fast part of the scan, strings being most of a record's bytes); the quote found
             * stays valid until an escape steps over it, so escapes do not rescan the text */
            const char *e;
            size_t end;

            if (quote < i) {
                const char *q = memchr(s + i, '"', n - i);
                quote = q ? (size_t)(q - s) : n;
            }
            end = quote;
            e = memchr(s + i, '\\', end - i);
            if (e) {
                i = (size_t)(e - s) - 1; /* the loop's i++ lands on the backslash */
                continue;
            }
            i = end;
            in_str = 0;
            continue;
        }
        if (i + 1 >= n || s[i + 1] != 'u' || !hex4(s, n, i + 2, &v)) {
            i++; /* skip the escaped character; cJSON judges bad escapes */
            continue;
        }
        *byte = i + 1;
        if (v == 0)
            return CAI_JCHECK_NUL;
        if (v >= 0xd800 && v <= 0xdbff && i + 12 <= n && s[i + 6] == '\\' && s[i + 7] == 'u' &&
            hex4(s, n, i + 8, &lo) && lo >= 0xdc00 && lo <= 0xdfff) {
            i += 11; /* a valid surrogate pair */
            continue;
        }
        if (v >= 0xd800 && v <= 0xdfff)
            return CAI_JCHECK_SURROGATE;
        i += 5;
    }
    *byte = 0;
    return CAI_JCHECK_OK;
}

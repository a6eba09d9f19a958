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

typedef struct sig {
    char **e;
    size_t n, cap;
    char *path; /* the path so far (grown as needed) */
    size_t pcap;
    int oom;
} sig;

static void sig_add(sig *s, size_t plen, char type)
{
    char **ne = cai__grow(s->e, &s->cap, s->n + 1, sizeof(*ne), 16);
    char *x;

    if (!ne) {
        s->oom = 1;
        return;
    }
    s->e = ne;
    if (!(x = malloc(plen + 3))) {
        s->oom = 1;
        return;
    }
    if (plen) /* the root's path is empty (and may not be allocated yet) */
        memcpy(x, s->path, plen);
    x[plen] = '=';
    x[plen + 1] = type;
    x[plen + 2] = '\0';
    s->e[s->n++] = x;
}

/* Appends "." and the key as written (escapes kept: the same key, the same text) or "[]" to
 * the path of plen bytes: its new length, or 0 when out of memory. */
static size_t path_push(sig *s, size_t plen, const cai_jval *key)
{
    size_t add = key ? key->n - 1 : 2; /* "." + the key without its quotes */
    char *np = cai__grow(s->path, &s->pcap, plen + add + 1, 1, 64);

    if (!np) {
        s->oom = 1;
        return 0;
    }
    s->path = np;
    if (key) {
        np[plen] = '.';
        memcpy(np + plen + 1, key->p + 1, key->n - 2);
    } else {
        memcpy(np + plen, "[]", 2);
    }
    return plen + add;
}

static void walk(sig *s, const cai_jval *v, size_t plen)
{
    char c = v->p[0], type = 'i';
    size_t k;

    if (c == '{' || c == '[') {
        cai_jiter it = {0};
        cai_jval key, val;
        size_t items = 0, sub;

        while (!s->oom && cai_jscan__next(v, &it, c == '{' ? &key : NULL, &val)) {
            if ((sub = path_push(s, plen, c == '{' ? &key : NULL)) != 0)
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

char *cai_json__signature(const char *text, size_t len)
{
    sig s = {NULL, 0, 0, NULL, 0, 0};
    char *out = NULL;
    size_t i;
    cai_buf b = {0};
    cai_jval root;

    if (cai_jscan__span(text, len, &root))
        walk(&s, &root, 0);
    if (!s.oom) {
        qsort(s.e, s.n, sizeof(*s.e), cmp_str);
        for (i = 0; i < s.n; i++) {
            if (i > 0 && strcmp(s.e[i], s.e[i - 1]) == 0)
                continue;
            cai_buf__puts(&b, s.e[i]);
            cai_buf__puts(&b, "\n");
        }
        out = cai_buf__take(&b);
    } else {
        free(b.data);
    }
    for (i = 0; i < s.n; i++)
        free(s.e[i]);
    free(s.e);
    free(s.path);
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

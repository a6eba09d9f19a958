/* SPDX-License-Identifier: MIT */
/* Raw JSON text scanning: member spans (to carry values byte for byte) and type signatures. */
#include "jsonraw_int.h"
#include "util_int.h"

#include <stdlib.h>
#include <string.h>

/* White space as cJSON reads it (the texts here are ones cJSON accepted): any byte from 1 to 32,
 * not only RFC 8259's four, so that a line with a form feed between members is not read as
 * having fewer members than cJSON found. */
static int is_ws(char c)
{
    return (unsigned char)c - 1u < 32u;
}

static size_t skip_ws(const char *t, size_t i, size_t n)
{
    while (i < n && is_ws(t[i]))
        i++;
    return i;
}

/* Index just past the string that starts at t[i] == '"'. */
static size_t skip_string(const char *t, size_t i, size_t n)
{
    for (i++; i < n; i++) {
        if (t[i] == '\\')
            i++;
        else if (t[i] == '"')
            return i + 1;
    }
    return n;
}

/* Index just past the value that starts at t[i] (valid JSON assumed). */
static size_t skip_value(const char *t, size_t i, size_t n)
{
    int depth = 0;

    do {
        if (i >= n)
            return n;
        if (t[i] == '"') {
            i = skip_string(t, i, n);
            continue;
        }
        if (t[i] == '{' || t[i] == '[')
            depth++;
        else if (t[i] == '}' || t[i] == ']')
            depth--;
        else if (depth == 0) {
            /* a scalar: up to the next delimiter */
            while (i < n && !is_ws(t[i]) && t[i] != ',' && t[i] != '}' && t[i] != ']')
                i++;
            return i;
        }
        i++;
    } while (depth > 0);
    return i;
}

long cai_json__members(const char *text, size_t len, cai_jspan *out, size_t max)
{
    size_t i = skip_ws(text, 0, len), k = 0;

    if (i >= len || text[i] != '{')
        return -1;
    i = skip_ws(text, i + 1, len);
    while (i < len && text[i] == '"' && k < max) {
        out[k].key = i;
        i = skip_string(text, i, len);
        out[k].key_len = i - out[k].key;
        i = skip_ws(text, i, len);
        if (i >= len || text[i] != ':')
            return -1;
        i = skip_ws(text, i + 1, len);
        out[k].val = i;
        i = skip_value(text, i, len);
        out[k].val_len = i - out[k].val;
        k++;
        i = skip_ws(text, i, len);
        if (i < len && text[i] == ',')
            i = skip_ws(text, i + 1, len);
    }
    return (long)k;
}

/* ---- signatures ------------------------------------------------------------------------- */

typedef struct sig {
    char **e;
    size_t n, cap;
    int oom;
} sig;

static void sig_add(sig *s, const char *path, size_t plen, char type)
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
    memcpy(x, path, plen);
    x[plen] = '=';
    x[plen + 1] = type;
    x[plen + 2] = '\0';
    s->e[s->n++] = x;
}

/* Walks the value at t[i]; path holds plen bytes (grown as needed). Returns the index after it. */
static size_t
walk(sig *s, const char *t, size_t i, size_t n, char **path, size_t *pcap, size_t plen)
{
    char c;

    i = skip_ws(t, i, n);
    if (i >= n)
        return n;
    c = t[i];
    if (c == '{' || c == '[') {
        size_t items = 0;
        i = skip_ws(t, i + 1, n);
        while (i < n && t[i] != (c == '{' ? '}' : ']')) {
            size_t add = 2, klen = 0, k0 = 0;
            if (c == '{') {
                k0 = i + 1;
                i = skip_string(t, i, n);
                klen = i - 1 - k0; /* the key as written (escapes kept: same key, same text) */
                add = klen + 1;
                i = skip_ws(t, i, n) + 1; /* ':' */
            }
            {
                char *np = cai__grow(*path, pcap, plen + add + 1, 1, 64);
                if (!np) {
                    s->oom = 1;
                    return n;
                }
                *path = np;
            }
            if (c == '{') {
                (*path)[plen] = '.';
                memcpy(*path + plen + 1, t + k0, klen);
            } else {
                memcpy(*path + plen, "[]", 2);
            }
            i = walk(s, t, i, n, path, pcap, plen + add);
            items++;
            i = skip_ws(t, i, n);
            if (i < n && t[i] == ',')
                i = skip_ws(t, i + 1, n);
        }
        if (!items)
            sig_add(s, *path, plen, c == '{' ? 'o' : 'l');
        return i + 1;
    }
    if (c == '"') {
        sig_add(s, *path, plen, 's');
        return skip_string(t, i, n);
    }
    {
        size_t end = skip_value(t, i, n), k;
        char type = 'i';
        if (c == 't' || c == 'f')
            type = 'b';
        else if (c == 'n')
            type = 'n';
        else
            for (k = i; k < end; k++)
                if (t[k] == '.' || t[k] == 'e' || t[k] == 'E')
                    type = 'f';
        sig_add(s, *path, plen, type);
        return end;
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *cai_json__signature(const char *text, size_t len)
{
    sig s = {NULL, 0, 0, 0};
    char *path = NULL, *out = NULL;
    size_t pcap = 0, i;
    cai_buf b = {0};

    walk(&s, text, 0, len, &path, &pcap, 0);
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
    free(path);
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
    size_t i, depth = 0;
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
             * fast part of the scan, strings being most of a record's bytes) */
            const char *q = memchr(s + i, '"', n - i), *e;
            size_t end = q ? (size_t)(q - s) : n;
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

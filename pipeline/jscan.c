/* SPDX-License-Identifier: MIT */
/* In-place JSON reading: a validating pass, then member lookups over the checked text. */
#include "jscan_int.h"
#include "jsonraw_int.h"

#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#define MAX_DEPTH 1000

static const char *ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* White space when walking: any byte from 1 to 32, as cJSON reads it, so that the walkers also
 * take a text cJSON accepted beyond RFC 8259 (a form feed between members). On checked text it
 * is the same as ws(): no other such byte is outside a string there. */
static const char *wsw(const char *p, const char *end)
{
    while (p < end && (unsigned char)*p - 1u < 32u)
        p++;
    return p;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ---- the validating pass ------------------------------------------------------------------- */

/* How deep containers may nest; clean: also refuse what cJSON reads its own way (\u0000 and
 * lone surrogate escapes), as cai_jscan__check_clean does. */
typedef struct limits {
    int max_depth;
    int clean;
    cai_jdoc *doc; /* records where containers end, or NULL */
} limits;

/* Each returns the end of the value that starts at p, or NULL when it is not valid. */
static const char *check_value(const char *p, const char *end, int depth, const limits *lim);

/* The value of four hex digits (checked before). */
static unsigned long hex4(const char *p)
{
    return (unsigned long)(hexval(p[0]) << 12 | hexval(p[1]) << 8 | hexval(p[2]) << 4 |
                           hexval(p[3]));
}

/* After "\u" and its four checked hex digits at p: the end of the escape (a surrogate pair is
 * one), or NULL for \u0000 or a lone surrogate (the rules of cai_json__check). */
static const char *clean_escape(const char *p, const char *end)
{
    unsigned long v = hex4(p);
    int k;

    if (v == 0)
        return NULL;
    if (v < 0xd800 || v > 0xdfff)
        return p + 4;
    if (v > 0xdbff || end - (p + 4) < 6 || p[4] != '\\' || p[5] != 'u')
        return NULL;
    for (k = 6; k < 10; k++)
        if (hexval(p[k]) < 0)
            return NULL;
    v = hex4(p + 6);
    return v >= 0xdc00 && v <= 0xdfff ? p + 10 : NULL;
}

static const char *check_string(const char *p, const char *end, int clean)
{
    const char *q = NULL; /* the first quote at or after p, once found */

    p++; /* the opening quote */
    for (;;) {
        const char *b;
        char c;

        /* The text up to the next quote at once, when it holds no escape (the usual case). A
         * quote found before stays the next one until an escape steps over it: searching again
         * from every escape would scan a long text once per escape it holds. */
        if ((!q || q < p) && !(q = memchr(p, '"', (size_t)(end - p))))
            return NULL;
        if (!(b = memchr(p, '\\', (size_t)(q - p))))
            return q + 1;
        p = b + 1;
        if (p >= end)
            return NULL;
        c = *p++;
        if (c == 'u') {
            int k;
            if (end - p < 4)
                return NULL;
            for (k = 0; k < 4; k++) {
                if (hexval(p[k]) < 0)
                    return NULL;
            }
            if (clean) {
                if (!(p = clean_escape(p, end)))
                    return NULL;
            } else {
                p += 4;
            }
        } else if (!strchr("\"\\/bfnrt", c) || c == '\0') {
            return NULL;
        }
    }
}

static const char *check_number(const char *p, const char *end)
{
    if (p < end && *p == '-')
        p++;
    if (p >= end || !is_digit(*p))
        return NULL;
    if (*p == '0')
        p++;
    else {
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && *p == '.') {
        p++;
        if (p >= end || !is_digit(*p))
            return NULL;
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || !is_digit(*p))
            return NULL;
        while (p < end && is_digit(*p))
            p++;
    }
    return p;
}

static const char *check_literal(const char *p, const char *end, const char *lit)
{
    size_t n = strlen(lit);

    return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0 ? p + n : NULL;
}

static const char *check_members(const char *p, const char *end, int depth, const limits *lim);

static const char *check_container(const char *p, const char *end, int depth, const limits *lim)
{
    cai_jdoc *doc = lim->doc;
    const char *q;
    size_t k;

    if (depth >= lim->max_depth)
        return NULL;
    if (!doc || doc->n >= CAI_JDOC_MAX)
        return check_members(p, end, depth, lim);
    k = doc->n++; /* in document order: the starts come out sorted */
    doc->start[k] = (size_t)(p - doc->base);
    if ((q = check_members(p, end, depth, lim)) != NULL)
        doc->end[k] = (size_t)(q - doc->base);
    return q;
}

static const char *check_members(const char *p, const char *end, int depth, const limits *lim)
{
    char close = *p == '{' ? '}' : ']';
    int object = *p == '{';

    p = ws(p + 1, end);
    if (p < end && *p == close)
        return p + 1;
    for (;;) {
        if (object) {
            if (p >= end || *p != '"' || !(p = check_string(p, end, lim->clean)))
                return NULL;
            p = ws(p, end);
            if (p >= end || *p != ':')
                return NULL;
            p = ws(p + 1, end);
        }
        if (!(p = check_value(p, end, depth + 1, lim)))
            return NULL;
        p = ws(p, end);
        if (p >= end)
            return NULL;
        if (*p == close)
            return p + 1;
        if (*p != ',')
            return NULL;
        p = ws(p + 1, end);
    }
}

static const char *check_value(const char *p, const char *end, int depth, const limits *lim)
{
    if (p >= end)
        return NULL;
    switch (*p) {
    case '{':
    case '[':
        return check_container(p, end, depth, lim);
    case '"':
        return check_string(p, end, lim->clean);
    case 't':
        return check_literal(p, end, "true");
    case 'f':
        return check_literal(p, end, "false");
    case 'n':
        return check_literal(p, end, "null");
    default:
        return check_number(p, end);
    }
}

static int check(const char *text, size_t len, cai_jval *root, const limits *lim)
{
    const char *end = text + len, *p = ws(text, end), *q;

    if (lim->doc) {
        lim->doc->base = text;
        lim->doc->len = len;
        lim->doc->n = 0;
    }
    q = check_value(p, end, 0, lim);
    if (!q || ws(q, end) != end)
        return -1;
    root->p = p;
    root->n = (size_t)(q - p);
    root->doc = lim->doc;
    return 0;
}

int cai_jscan__check(const char *text, size_t len, cai_jval *root)
{
    static const limits lim = {MAX_DEPTH, 0, NULL};

    return check(text, len, root, &lim);
}

int cai_jscan__check_doc(const char *text, size_t len, cai_jval *root, cai_jdoc *doc)
{
    const limits lim = {MAX_DEPTH, 0, doc};

    return check(text, len, root, &lim);
}

int cai_jscan__check_clean(const char *text, size_t len, cai_jval *root)
{
    static const limits lim = {CAI_JSON_MAX_DEPTH, 1, NULL};

    return check(text, len, root, &lim);
}

/* ---- walking checked text ------------------------------------------------------------------ */

/* The end of the (valid) string at p (its opening quote). */
static const char *skip_string(const char *p, const char *end)
{
    for (p++;;) {
        const char *q = p, *b, *stop = end - p > 32 ? p + 32 : end;

        /* reply strings are short: a loop beats memchr's set-up; record texts are long */
        while (q < stop && *q != '"')
            q++;
        if (q == stop && q < end && !(q = memchr(q, '"', (size_t)(end - q))))
            q = end;
        b = q;

        /* the quote is escaped when an odd run of backslashes precedes it (a run cannot reach
         * back past p, which follows a quote) */
        while (b > p && b[-1] == '\\')
            b--;
        if (((q - b) & 1) == 0)
            return q + 1;
        p = q + 1;
    }
}

/* The end of the container at p when doc holds it, else NULL. */
static const char *doc_end(const cai_jdoc *doc, const char *p)
{
    size_t off, lo = 0, hi;

    /* values carry the index of the text they come from; the range is checked as integers
     * all the same (comparing pointers into different objects is undefined) */
    if (!doc || (uintptr_t)p - (uintptr_t)doc->base >= doc->len)
        return NULL;
    off = (size_t)((uintptr_t)p - (uintptr_t)doc->base);
    hi = doc->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (doc->start[mid] < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < doc->n && doc->start[lo] == off ? doc->base + doc->end[lo] : NULL;
}

/* The end of the (valid) value at p, which ends before end; doc (or NULL) knows where some
 * containers end. */
static const char *skip(const char *p, const char *end, const cai_jdoc *doc)
{
    const char *q;
    int depth = 0;

    switch (*p) {
    case '"':
        return skip_string(p, end);
    case 't':
    case 'n':
        return p + 4;
    case 'f':
        return p + 5;
    case '{':
    case '[':
        if ((q = doc_end(doc, p)) != NULL)
            return q;
        break;
    default: /* a number */
        while (p < end &&
               (is_digit(*p) || *p == '-' || *p == '+' || *p == '.' || *p == 'e' || *p == 'E'))
            p++;
        return p;
    }
    for (;;) {
        char c = *p;
        if (c == '"') {
            p = skip_string(p, end);
            continue;
        }
        p++;
        if (c == '{' || c == '[')
            depth++;
        else if ((c == '}' || c == ']') && --depth == 0)
            return p;
    }
}

int cai_jscan__span(const char *text, size_t len, cai_jval *out)
{
    const char *end = text + len, *p = wsw(text, end);

    if (p >= end)
        return 0;
    out->p = p;
    out->n = (size_t)(skip(p, end, NULL) - p);
    out->doc = NULL;
    return 1;
}

int cai_jscan__is_object(const cai_jval *v)
{
    return v && v->n > 0 && v->p[0] == '{';
}

int cai_jscan__is_array(const cai_jval *v)
{
    return v && v->n > 0 && v->p[0] == '[';
}

int cai_jscan__is_string(const cai_jval *v)
{
    return v && v->n > 0 && v->p[0] == '"';
}

int cai_jscan__is_number(const cai_jval *v)
{
    return v && v->n > 0 && (v->p[0] == '-' || is_digit(v->p[0]));
}

int cai_jscan__next(const cai_jval *v, cai_jiter *it, cai_jval *key, cai_jval *val)
{
    const char *end, *p, *q;
    int object;

    if (!cai_jscan__is_object(v) && !cai_jscan__is_array(v))
        return 0;
    object = v->p[0] == '{';
    end = v->p + v->n;
    p = it->started ? it->p : v->p + 1;
    p = wsw(p, end);
    if (*p == ',')
        p = wsw(p + 1, end);
    if (*p == '}' || *p == ']')
        return 0;
    if (object) {
        q = skip_string(p, end);
        if (key) {
            key->p = p;
            key->n = (size_t)(q - p);
            key->doc = v->doc;
        }
        p = wsw(q, end);
        p = wsw(p + 1, end); /* the colon */
    }
    q = skip(p, end, v->doc);
    val->p = p;
    val->n = (size_t)(q - p);
    val->doc = v->doc;
    it->p = q;
    it->started = 1;
    return 1;
}

int cai_jscan__get(const cai_jval *obj, const char *key, cai_jval *out)
{
    cai_jiter it = {0};
    cai_jval k, v;

    if (!cai_jscan__is_object(obj))
        return 0;
    while (cai_jscan__next(obj, &it, &k, &v)) {
        if (cai_jscan__string_eq(&k, key)) {
            *out = v;
            return 1;
        }
    }
    return 0;
}

size_t cai_jscan__get_many(const cai_jval *obj, const char *const *keys, cai_jval *vals, size_t n)
{
    cai_jiter it = {0};
    cai_jval k, v;
    size_t i, found = 0;

    for (i = 0; i < n; i++) {
        vals[i].n = 0;
        vals[i].doc = NULL;
    }
    if (!cai_jscan__is_object(obj))
        return 0;
    while (found < n && cai_jscan__next(obj, &it, &k, &v)) {
        for (i = 0; i < n; i++) {
            if (vals[i].n == 0 && cai_jscan__string_eq(&k, keys[i])) {
                vals[i] = v;
                found++;
                break;
            }
        }
    }
    return found;
}

int cai_jscan__index(const cai_jval *arr, size_t i, cai_jval *out)
{
    cai_jiter it = {0};
    cai_jval v;

    if (!cai_jscan__is_array(arr))
        return 0;
    while (cai_jscan__next(arr, &it, NULL, &v)) {
        if (i-- == 0) {
            *out = v;
            return 1;
        }
    }
    return 0;
}

size_t cai_jscan__count(const cai_jval *arr)
{
    cai_jiter it = {0};
    cai_jval v;
    size_t n = 0;

    if (!cai_jscan__is_array(arr))
        return 0;
    while (cai_jscan__next(arr, &it, NULL, &v))
        n++;
    return n;
}

double cai_jscan__number(const cai_jval *v)
{
    char buf[64], *copy;
    double d;

    if (!cai_jscan__is_number(v))
        return NAN;
    if (v->n < sizeof(buf)) {
        memcpy(buf, v->p, v->n);
        buf[v->n] = '\0';
        return strtod(buf, NULL);
    }
    if (!(copy = malloc(v->n + 1))) /* a number of 64 digits or more: rare */
        return NAN;
    memcpy(copy, v->p, v->n);
    copy[v->n] = '\0';
    d = strtod(copy, NULL);
    free(copy);
    return d;
}

static size_t put_utf8(char *d, unsigned long c)
{
    if (c < 0x80) {
        d[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        d[0] = (char)(0xC0 | (c >> 6));
        d[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        d[0] = (char)(0xE0 | (c >> 12));
        d[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        d[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | (c >> 18));
    d[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    d[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

size_t cai_jscan__string(const cai_jval *s, char *dst)
{
    const char *p = s->p + 1, *end = s->p + s->n - 1; /* inside the quotes */
    size_t n = 0;

    while (p < end) {
        /* the bytes up to the next escape at once: texts are long and escapes few */
        const char *bs = memchr(p, '\\', (size_t)(end - p));
        size_t run = (size_t)((bs ? bs : end) - p);
        char c;

        memcpy(dst + n, p, run);
        n += run;
        if (!bs)
            break;
        p = bs + 1;
        c = *p++;
        switch (c) {
        case 'b':
            dst[n++] = '\b';
            break;
        case 'f':
            dst[n++] = '\f';
            break;
        case 'n':
            dst[n++] = '\n';
            break;
        case 'r':
            dst[n++] = '\r';
            break;
        case 't':
            dst[n++] = '\t';
            break;
        case 'u': {
            unsigned long u = hex4(p);
            p += 4;
            if (u >= 0xD800 && u < 0xDC00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                unsigned long lo = hex4(p + 2);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            }
            if (u >= 0xD800 && u < 0xE000)
                u = 0xFFFD; /* unpaired */
            n += put_utf8(dst + n, u);
            break;
        }
        default: /* " \ / */
            dst[n++] = c;
        }
    }
    dst[n] = '\0';
    return n;
}

int cai_jscan__string_eq(const cai_jval *s, const char *lit)
{
    size_t ln = strlen(lit);
    char buf[256];

    if (!cai_jscan__is_string(s))
        return 0;
    /* Escapes only shorten: text no longer than lit decodes to lit only when it is lit. */
    if (s->n - 2 <= ln)
        return s->n - 2 == ln && memcmp(s->p + 1, lit, ln) == 0;
    /* longer text matches only through escapes, at most 6 text bytes per decoded byte */
    if (s->n - 1 > sizeof(buf) || s->n > 6 * ln + 2 || !memchr(s->p, '\\', s->n))
        return 0;
    return cai_jscan__string(s, buf) == ln && memcmp(buf, lit, ln) == 0;
}

/* SPDX-License-Identifier: MIT */
/* Reading JSON in place: one validating pass, then lookups over the text, with no allocation. */
#ifndef CAI_JSCAN_INT_H
#define CAI_JSCAN_INT_H

#include <stddef.h>

/*
 * A judge's reply is read for a handful of members. Building a cJSON tree for it costs an
 * allocation per value and per key (about 70 for an OpenAI reply with five top log-probs, whose
 * "bytes" lists alone are 20 nodes); these functions check the text once and then walk it.
 *
 * A value is a span of the text: p[0] tells its kind ('{', '[', '"', 't', 'f', 'n' for null,
 * anything else a number). Lookups take spans from a text that cai_jscan__check accepted; they
 * never read outside it.
 */
typedef struct cai_jdoc cai_jdoc;

typedef struct cai_jval {
    const char *p;
    size_t n;
    const cai_jdoc *doc; /* where the text's containers end (cai_jscan__check_doc), or NULL */
} cai_jval;

/*
 * Where the first CAI_JDOC_MAX containers of a checked text end, in document order. A lookup
 * walks down level by level (root, then choices, then choices[0], ...), and each level skips
 * its members to find the next: without this, the innermost bytes of a reply are scanned once
 * per level above them. Values taken from a root that cai_jscan__check_doc gave carry the
 * index, and skipping a container it holds costs a binary search. Containers past the first
 * CAI_JDOC_MAX are scanned as before. The index must outlive every value that carries it.
 */
#define CAI_JDOC_MAX 64
struct cai_jdoc {
    const char *base;
    size_t len, n;
    size_t start[CAI_JDOC_MAX], end[CAI_JDOC_MAX]; /* offsets from base; end: one past */
};

/* Checks that text[0, len) is one JSON value (RFC 8259; strings may hold any bytes, as cJSON
 * accepts them) with only white space around it, nested at most 1000 deep. 0 and *root, or
 * -1. */
int cai_jscan__check(const char *text, size_t len, cai_jval *root);

/* cai_jscan__check that also fills *doc (see cai_jdoc) in the same pass; *root carries it. */
int cai_jscan__check_doc(const char *text, size_t len, cai_jval *root, cai_jdoc *doc);

/* The walkers below (and cai_jscan__span) also take a text that cJSON accepted beyond RFC 8259:
 * white space of any byte from 1 to 32, numbers as strtod reads them. */

/* The value text[0, len) holds, white space around it left out: 1 and *out, or 0 when there
 * is none. text must be one that cai_jscan__check (or cJSON) accepted. */
int cai_jscan__span(const char *text, size_t len, cai_jval *out);

/* cai_jscan__check for a record line, refusing in the same pass what cai_json__check finds
 * (nesting deeper than CAI_JSON_MAX_DEPTH, a \u0000 escape, a lone surrogate escape): 0 and
 * *root when the line passes both checks, -1 otherwise, when the caller checks the slow way
 * (cai_json__check, then cai_jscan__check or cJSON) to say what is wrong. One pass over a good
 * line instead of two. */
int cai_jscan__check_clean(const char *text, size_t len, cai_jval *root);

/* Kinds. A NULL or empty value is none of them. */
int cai_jscan__is_object(const cai_jval *v);
int cai_jscan__is_array(const cai_jval *v);
int cai_jscan__is_string(const cai_jval *v);
int cai_jscan__is_number(const cai_jval *v);

/* The first member of object obj named key (escapes in the text's key decoded): 1 and *out,
 * else 0 (also when obj is not an object). */
int cai_jscan__get(const cai_jval *obj, const char *key, cai_jval *out);

/* The first members named keys[0..n) of obj in one pass: vals[i] is the member, or has n == 0
 * (no kind) when absent. Returns how many were found. */
size_t cai_jscan__get_many(const cai_jval *obj, const char *const *keys, cai_jval *vals, size_t n);

/* Iterates an object's members or an array's items: *it starts as {0}; each call gives the
 * next (key is the member's name as a string value, left alone for arrays; key may be NULL).
 * Returns 0 at the end or when v is not a container. */
typedef struct cai_jiter {
    const char *p;
    int started;
} cai_jiter;
int cai_jscan__next(const cai_jval *v, cai_jiter *it, cai_jval *key, cai_jval *val);

/* Item i of an array (1 and *out), else 0; the number of items (0 for a non-array). */
int cai_jscan__index(const cai_jval *arr, size_t i, cai_jval *out);
size_t cai_jscan__count(const cai_jval *arr);

/* A number's value (as strtod reads it); NaN for a non-number. */
double cai_jscan__number(const cai_jval *v);

/* Decodes string s into dst, which holds at least s->n - 1 bytes, and NUL-terminates it; the
 * decoded length. Unpaired surrogates become U+FFFD. */
size_t cai_jscan__string(const cai_jval *s, char *dst);

/* 1 when string s decodes to exactly lit. */
int cai_jscan__string_eq(const cai_jval *s, const char *lit);

#endif

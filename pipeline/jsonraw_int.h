/* SPDX-License-Identifier: MIT */
/* Spans of raw JSON text, for carrying values byte for byte (numbers keep their original text). */
#ifndef CAI_JSONRAW_INT_H
#define CAI_JSONRAW_INT_H

#include "util_int.h"

#include <stddef.h>

/* One member of a top-level object: the key with its quotes, and the value, as in the text. */
typedef struct cai_jspan {
    size_t key, key_len;
    size_t val, val_len;
} cai_jspan;

/*
 * Finds the members of the JSON object in text[0, len) in their order. The text must be valid
 * JSON (parse it first); returns the number of members found, at most max, or -1 when the text
 * does not hold an object. Only the positions are computed: nothing is decoded or copied.
 */
long cai_json__members(const char *text, size_t len, cai_jspan *out, size_t max);

/*
 * A signature of the JSON value at text[0, len) that Arrow's type inference would see: one
 * "path=type" entry per line, sorted, without duplicates, where type is s (string), i (integer),
 * f (number with a fraction or exponent), b (boolean), n (null), o (empty object) or l (empty
 * list); object members extend the path with ".key" and list items with "[]". The text must
 * be valid JSON (one that holds no value gives ""). Caller frees; NULL when out of memory.
 */
char *cai_json__signature(const char *text, size_t len);

/*
 * The same signatures for record after record, without an allocation each: the text stays
 * in the struct until the next call or cai_jsig__dispose, and a record whose entries come in
 * the same order as the last one's is not sorted again. Zero-initialise before the first use.
 */
typedef struct cai_jsig {
    cai_buf ent[2]; /* "path=type" entries, each ended by a NUL, in document order: this
                       record's (ent[cur]) and the last one's */
    int cur;
    size_t n;      /* entries in ent[cur] */
    char **sorted; /* pointers into ent[cur], sorted */
    size_t cap;
    cai_buf path; /* the path so far */
    cai_buf out;  /* the signature of ent[!cur], when have */
    int have;
} cai_jsig;

/* The signature of text[0, len) (as cai_json__signature's), or NULL when out of memory. */
const char *cai_jsig__of(cai_jsig *s, const char *text, size_t len);
void cai_jsig__dispose(cai_jsig *s);

/* What cai_json__check found; the byte is 1-based. */
typedef enum cai_jcheck {
    CAI_JCHECK_OK = 0,
    CAI_JCHECK_DEEP,      /* nested deeper than CAI_JSON_MAX_DEPTH ('[' or '{' at the byte) */
    CAI_JCHECK_NUL,       /* a \u0000 escape, which would cut a C string short */
    CAI_JCHECK_SURROGATE, /* a \u escape of a lone surrogate (cJSON would emit invalid UTF-8) */
} cai_jcheck;

#define CAI_JSON_MAX_DEPTH 64

/*
 * The checks cJSON does not make, in one pass before it parses (so before it recurses): the
 * first problem found, with *byte set to where it starts. Malformed JSON is left to cJSON. The
 * reader (cai run) and the dataset scanner (cai validate) both refuse what this finds.
 */
cai_jcheck cai_json__check(const char *s, size_t n, size_t *byte);

#endif

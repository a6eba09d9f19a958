/* SPDX-License-Identifier: MIT */
/* Spans of raw JSON text, for carrying values byte for byte (numbers keep their original text). */
#ifndef CAI_JSONRAW_INT_H
#define CAI_JSONRAW_INT_H

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
 * list); object members extend the path with ".key" and list items with "[]". Caller frees;
 * NULL when out of memory or when the text is not valid JSON.
 */
char *cai_json__signature(const char *text, size_t len);

#endif

/* SPDX-License-Identifier: MIT */
/* Constitutions: principle sets loaded from JSON, layered with "extends", hashed canonically. */
#ifndef CAI_CONSTITUTION_H
#define CAI_CONSTITUTION_H

#include "cai/common.h"

typedef struct cai_principle {
    const char *id;
    const char *text; /* the comparison question put to the judge */
    double weight;    /* > 0; sampling weight */
    const char *const *tags;
    size_t n_tags;
    const char *critique; /* NULL when absent */
    const char *revision; /* NULL when absent */
    const char *origin;   /* path of the file that defined it (after extends) */
} cai_principle;

/* A few-shot example: the judge is shown it before the real comparison. */
typedef struct cai_example {
    const char *conversation;
    const char *response_a;
    const char *response_b;
    char answer;           /* 'A' or 'B' */
    const char *rationale; /* NULL when absent */
} cai_example;

typedef struct cai_constitution cai_constitution;

/*
 * Loads path and, recursively, the files it "extends" (paths relative to the extending
 * file). A child's principles come after its parent's; a child principle whose id equals a
 * parent's replaces it in place. name/description/template come from the nearest file that
 * sets them; examples accumulate. Errors: CAI_EIO (unreadable file), CAI_EPARSE (bad JSON:
 * "FILE: offset N: ..."), CAI_ESCHEMA ("FILE: principles[3].weight: must be > 0"; duplicate
 * ids, empty text, unknown or missing template placeholders, extends cycles or missing parents).
 */
CAI_EXTERN cai_status cai_constitution_load(cai_constitution **out,
                                            const char *path,
                                            cai_error *err);

CAI_EXTERN void cai_constitution_free(cai_constitution *c);

CAI_EXTERN const char *cai_constitution_name(const cai_constitution *c);
CAI_EXTERN const char *cai_constitution_version(const cai_constitution *c);
CAI_EXTERN const char *cai_constitution_description(const cai_constitution *c);
/* SHA-256 hex of the resolved, canonical JSON (see cai_constitution_canonical_json). */
CAI_EXTERN const char *cai_constitution_hash(const cai_constitution *c);
/* The judge prompt template, or NULL for the built-in one. */
CAI_EXTERN const char *cai_constitution_template(const cai_constitution *c);

CAI_EXTERN size_t cai_constitution_count(const cai_constitution *c);
CAI_EXTERN const cai_principle *cai_constitution_principle(const cai_constitution *c, size_t i);
/* Index of the principle with that id, or -1. */
CAI_EXTERN long cai_constitution_find(const cai_constitution *c, const char *id);

CAI_EXTERN size_t cai_constitution_nexamples(const cai_constitution *c);
CAI_EXTERN const cai_example *cai_constitution_example(const cai_constitution *c, size_t i);

/*
 * The resolved constitution as canonical JSON (keys in fixed order, no extends, compact),
 * the bytes that the hash covers. Caller frees with free().
 */
CAI_EXTERN char *cai_constitution_canonical_json(const cai_constitution *c);

/*
 * Samples k distinct principle indices by weight, without replacement, deterministically
 * from seed. Writes min(k, count) indices to out (in sampling order) and returns that count.
 */
CAI_EXTERN size_t cai_constitution_sample(const cai_constitution *c,
                                          uint64_t seed,
                                          size_t k,
                                          size_t *out);

/*
 * Lint: loads and checks further (warnings such as very short principle texts, critique
 * without revision). Writes one line per finding to the callback; returns the load status.
 */
typedef void (*cai_lint_fn)(const char *line, void *payload);
CAI_EXTERN cai_status cai_constitution_lint(const char *path,
                                            cai_lint_fn warn,
                                            void *payload,
                                            cai_error *err);

#endif

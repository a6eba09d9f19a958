/* SPDX-License-Identifier: MIT */
/* Constitutions: principle sets loaded from JSON, layered with "extends", hashed canonically. */
#ifndef CAI_CONSTITUTION_H
#define CAI_CONSTITUTION_H

#include "cai/common.h"

CAI_BEGIN_DECL

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

/* A critique-revision example (SL-CAI few-shot): a response to a conversation, a critique of
 * it and the revised response ("revision_examples" in the file). principle: the id of the
 * principle it illustrates, NULL for a general one. */
typedef struct cai_revision_example {
    const char *conversation;
    const char *response;
    const char *critique;
    const char *revision;
    const char *principle;
} cai_revision_example;

/*
 * A resolved constitution. Immutable once loaded, so one handle may be read from several
 * threads. Every pointer it hands out (strings, principles, examples) is borrowed and stays
 * valid until cai_constitution_free.
 */
typedef struct cai_constitution cai_constitution;

/*
 * Loads path and, recursively, the files it "extends" (paths relative to the extending
 * file). A child's principles come after its parent's; a child principle whose id equals a
 * parent's replaces it in place. name/description/template come from the nearest file that
 * sets them; examples accumulate. Errors: CAI_EIO (unreadable file), CAI_EPARSE (bad JSON:
 * "FILE: offset N: ..."), CAI_ESCHEMA ("FILE: principles[3].weight: must be > 0"; duplicate
 * ids, empty text, unknown or missing template placeholders, extends cycles or missing parents).
 *
 * Resolution in full (constitution/README.md documents the file format):
 * - "extends" is a path or a list of paths. Parents are resolved depth first, in list order,
 *   each completely (its own parents first), then the file itself is applied on top.
 * - Applying a file appends its principles in file order; a principle whose id already exists
 *   replaces that one in place (keeping its position) and takes this file as its origin.
 * - name, version, description and template: the last file applied that sets them wins, so
 *   the child beats its parents and a later parent beats an earlier one.
 * - examples accumulate in the order the files are applied.
 * - A file reached twice through different parents (a diamond) is applied once, the first
 *   time. A file that reaches itself is a cycle: "B: extends: cycle A -> B -> A".
 * - A file with "extends" may omit principles; one without must have at least one.
 * - The short form, a JSON list of principle texts, gives ids p1..pN and weight 1.
 * Missing name/version/description resolve to "". Files over 4 MiB give CAI_ELIMIT, as do
 * extends chains more than 16 levels deep.
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

/*
 * Expands a judge prompt template: {conversation}, {principle}, {response_a} and {response_b}
 * become the given texts (inserted verbatim, never re-scanned), "{{" and "}}" become literal
 * braces. On CAI_OK the caller frees *out with free(). CAI_ESCHEMA for an invalid template
 * ("template: unknown placeholder {foo}", "template: missing placeholder {response_b}",
 * "template: unmatched '{' at offset N").
 */
CAI_EXTERN cai_status cai_constitution_render_template(char **out,
                                                       const char *tmpl,
                                                       const char *conversation,
                                                       const char *principle,
                                                       const char *response_a,
                                                       const char *response_b,
                                                       cai_error *err);

CAI_EXTERN size_t cai_constitution_count(const cai_constitution *c);
CAI_EXTERN const cai_principle *cai_constitution_principle(const cai_constitution *c, size_t i);
/* Index of the principle with that id, or -1. */
CAI_EXTERN long cai_constitution_find(const cai_constitution *c, const char *id);

CAI_EXTERN size_t cai_constitution_nexamples(const cai_constitution *c);
CAI_EXTERN const cai_example *cai_constitution_example(const cai_constitution *c, size_t i);

/* Critique-revision examples, accumulated over extends like examples; a "principle" that names
 * no principle of the resolved constitution is CAI_ESCHEMA at load. */
CAI_EXTERN size_t cai_constitution_nrevision_examples(const cai_constitution *c);
CAI_EXTERN const cai_revision_example *cai_constitution_revision_example(const cai_constitution *c,
                                                                         size_t i);

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
 * Warnings: name or version not set, text under 20 characters, text not a question, critique
 * without revision (or the reverse), two principles with the same text, a revision example
 * whose revision repeats its response, revision examples when no principle has both a
 * critique and a revision request. Lines read
 * "FILE: principle \"ID\": reason", FILE being the file that defined the principle.
 */
typedef void (*cai_lint_fn)(const char *line, void *payload);
CAI_EXTERN cai_status cai_constitution_lint(const char *path,
                                            cai_lint_fn warn,
                                            void *payload,
                                            cai_error *err);

CAI_END_DECL

#endif

/* SPDX-License-Identifier: MIT */
/* `cai compare`: what changes between two runs over the same pairs. */
#ifndef CAI_COMPARE_H
#define CAI_COMPARE_H

#include "cai/common.h"
#include "cai/agree.h"

CAI_BEGIN_DECL

/*
 * Pairs are matched by id. Each run's label is compared through P(response_a), recovered from
 * a record as p_chosen when cai.chosen_position is "a" and 1 − p_chosen when "b": p_chosen alone
 * says how sure a run is of its own choice, not which side, so it cannot be compared across
 * runs whose choices differ. A label flips when the chosen positions differ.
 *
 * Memory: run A's pairs are held in a hash table of 40-byte slots (a 128-bit hash of the id,
 * P(A), its chosen position and human label, an index of its principle set) at a load of 3/8
 * to 3/4; run B streams. The ids of
 * the top_n largest changes are kept; flipped ids go straight to opts.flipped_path.
 */
typedef struct cai_compare_opts {
    unsigned version;
    size_t top_n;             /* pairs with the largest |ΔP(A)| to list; 0 = 10 */
    const char *flipped_path; /* write the flipped pair ids here, one per line; NULL: don't */
} cai_compare_opts;

#define CAI_COMPARE_OPTS_VERSION 1

/* Fills *o with the defaults of that version; CAI_EINVAL for an unknown version or NULL o. */
CAI_EXTERN cai_status cai_compare_opts_init(cai_compare_opts *o, unsigned version);

#ifndef __cplusplus
/* C only (a compound literal): the same defaults as cai_compare_opts_init. */
#define CAI_COMPARE_OPTS_INIT ((cai_compare_opts){CAI_COMPARE_OPTS_VERSION, 0, NULL})
#endif

typedef struct cai_compare cai_compare;

/*
 * CAI_ESCHEMA "FILE:LINE: reason" for an invalid record, a record without an id, or an id twice
 * in one run, or no id in common; CAI_EIO when unreadable or the flipped file cannot be written.
 */
CAI_EXTERN cai_status cai_compare_runs(cai_compare **out,
                                       const char *run_a,
                                       const char *run_b,
                                       const cai_compare_opts *opts,
                                       cai_error *err);

/* Pairs in both runs, in only one, and the labels that flipped. */
CAI_EXTERN void cai_compare_counts(
    const cai_compare *c, uint64_t *both, uint64_t *only_a, uint64_t *only_b, uint64_t *flipped);

CAI_EXTERN char *cai_compare_text(const cai_compare *c);
CAI_EXTERN char *cai_compare_json(const cai_compare *c);
CAI_EXTERN void cai_compare_free(cai_compare *c); /* NULL is a no-op */

CAI_END_DECL

#endif

/* SPDX-License-Identifier: MIT */
/* `cai agree`: how often the AI label agrees with the human label, overall and broken down. */
#ifndef CAI_AGREEMENT_H
#define CAI_AGREEMENT_H

#include "cai/common.h"
#include "cai/agree.h"

CAI_BEGIN_DECL

/*
 * The RLAIF paper's "AI labeller alignment": over the pairs of a `cai run` dataset that have a
 * human label, the share whose AI label (cai.chosen_position) equals it, with a Wilson
 * interval (cai_agree_summarize), broken down by principle, by shown position (which
 * presentation slot won more of the pair's judgments), by length (chosen longer or shorter
 * than rejected, in characters), by data file (records do not carry their input file, so the
 * shard files stand in), and by confidence |p_chosen − 0.5| in bins of 0.05; a confusion table
 * (AI a/b × human a/b). One streaming pass; memory is flat in the dataset size (per-principle
 * and per-file counters only), except with opts.human, whose labels are held by id.
 */
typedef struct cai_agreement_opts {
    unsigned version;
    /* Human labels from elsewhere (JSONL {"id","chosen":"a"|"b"} or a human-labelled dataset
     * directory); they replace the dataset's own labels. NULL: the dataset's own. */
    const char *human;
    double z; /* normal quantile of the intervals; 0 = 1.96 (95%) */
} cai_agreement_opts;

#define CAI_AGREEMENT_OPTS_VERSION 1

/* Fills *o with the defaults of that version; CAI_EINVAL for an unknown version or NULL o. */
CAI_EXTERN cai_status cai_agreement_opts_init(cai_agreement_opts *o, unsigned version);

#ifndef __cplusplus
/* C only (a compound literal): the same defaults as cai_agreement_opts_init. */
#define CAI_AGREEMENT_OPTS_INIT ((cai_agreement_opts){CAI_AGREEMENT_OPTS_VERSION, NULL, 0})
#endif

typedef struct cai_agreement cai_agreement;

/*
 * Reads the dataset once. CAI_ESCHEMA "DATASET: no record has a human label ..." when no pair
 * has one; CAI_EINVAL for an options version it does not know; CAI_ESCHEMA "FILE:LINE: reason" for
 * an invalid record or label (unknown ids in opts.human included); CAI_EIO when a path cannot be
 * read. On CAI_OK the caller owns *out.
 */
CAI_EXTERN cai_status cai_agreement_collect(cai_agreement **out,
                                            const char *dataset,
                                            const cai_agreement_opts *opts,
                                            cai_error *err);

/* The overall agreement. */
CAI_EXTERN void cai_agreement_overall(const cai_agreement *a, cai_agree_summary *out);

/* Renderings (caller frees; NULL on out-of-memory): text, one JSON object, and an SVG plot of
 * agreement against confidence. */
CAI_EXTERN char *cai_agreement_text(const cai_agreement *a);
CAI_EXTERN char *cai_agreement_json(const cai_agreement *a);
CAI_EXTERN char *cai_agreement_svg(const cai_agreement *a);

CAI_EXTERN void cai_agreement_free(cai_agreement *a); /* NULL is a no-op */

CAI_END_DECL

#endif

/* SPDX-License-Identifier: MIT */
/* Judge health: counts gathered while labelling (or read back from a dataset) and the verdict on
 * them, so that a judge that answers noise is caught instead of handed over as a dataset. */
#ifndef CAI_HEALTH_H
#define CAI_HEALTH_H

#include "cai/common.h"

CAI_BEGIN_DECL

#define CAI_HEALTH_BINS 10 /* |P - 0.5| histogram: bins of 0.05 from 0 to 0.5 */

/*
 * What the checks look at. Every field is a count, so counts from several sources (shards,
 * principles, inputs) add up. A count that a source does not know stays 0 and the checks that
 * need it are skipped (a dataset's records say nothing of failed judgments or dropped ties).
 */
typedef struct cai_health_counts {
    uint64_t judgments;     /* judgments finished: from_logprobs + from_text + failed */
    uint64_t from_logprobs; /* probability read from log-probabilities */
    uint64_t from_text;     /* probability from a text verdict (no usable log-probs) */
    uint64_t failed;        /* failed for good (no probability) */
    uint64_t first_wins;    /* judgments with P(first shown) > 0.5 */
    uint64_t second_wins;   /* judgments with P(first shown) < 0.5 */
    uint64_t order_n;       /* judgments asked in both orders, compared */
    uint64_t order_agree;   /* ... whose two orders preferred the same response */
    uint64_t pairs;         /* pairs whose judgments all succeeded */
    uint64_t ties;          /* ... whose P(A) was within the tie margin of 0.5 */
    uint64_t kept;          /* records written to the dataset */
    uint64_t human_n;       /* decided pairs with a human label */
    uint64_t human_agree;   /* ... where the judge chose the human's response */
    uint64_t longer_n;      /* decided pairs whose responses differ in length */
    uint64_t longer;        /* ... where the chosen response is the longer one */
    uint64_t margin_hist[CAI_HEALTH_BINS]; /* judged pairs by |P(A) - 0.5| */
} cai_health_counts;

/* Adds b into a, field by field. */
CAI_EXTERN void cai_health_counts_add(cai_health_counts *a, const cai_health_counts *b);

/* Thresholds (docs/judges.md). 0 means the default, given after each field. */
typedef struct cai_health_opts {
    unsigned version;
    int swap;               /* both orders were asked: the position checks apply */
    int logprobs_requested; /* the judge was asked for log-probs: the text-share check applies */
    double position_max;    /* error when first-shown win rate >= this or <= 1 - this: 0.9 */
    double bias_alpha;      /* significance of the position and length tests: 0.001 */
    double min_consistency; /* error when order consistency < this: 0.2 */
    double max_text_share;  /* error when text verdicts / judgments > this: 0.5 */
    double above_alpha;     /* one-sided "significantly above 0.5" tests: 0.05 */
    uint64_t human_min_n;   /* human-disagreement error needs this many labels: 200 */
    int no_records_ok;      /* 1: do not report 0 records (a source that cannot know) */
} cai_health_opts;

#define CAI_HEALTH_OPTS_VERSION 1

/* Fills *o with the defaults of that version; CAI_EINVAL for an unknown version (or NULL o).
 * Pass CAI_HEALTH_OPTS_VERSION. */
CAI_EXTERN cai_status cai_health_opts_init(cai_health_opts *o, unsigned version);

#ifndef __cplusplus
/* C only (a compound literal): the same defaults as cai_health_opts_init. */
#define CAI_HEALTH_OPTS_INIT ((cai_health_opts){.version = CAI_HEALTH_OPTS_VERSION})
#endif

typedef enum cai_health_severity {
    CAI_HEALTH_WARNING = 1,
    CAI_HEALTH_ERROR = 2
} cai_health_severity;

/* One finding: code is a stable identifier (docs/judges.md lists them, e.g.
 * "judge_position_bias"); message says what it means for the labels, hint what to try. */
typedef struct cai_health_finding {
    cai_health_severity severity;
    const char *code; /* static text */
    char message[384];
    char hint[256];
} cai_health_finding;

#define CAI_HEALTH_MAX_FINDINGS 12

/* A caller-owned report: the findings, errors first. */
typedef struct cai_health_report {
    size_t n;
    unsigned errors, warnings;
    cai_health_finding f[CAI_HEALTH_MAX_FINDINGS];
} cai_health_report;

/* Runs every check on c; fills *out (nothing to free). opts may be NULL (defaults). CAI_EINVAL
 * (and an empty report) for an opts struct of an unknown version. */
CAI_EXTERN cai_status cai_health_check(cai_health_report *out,
                                       const cai_health_counts *c,
                                       const cai_health_opts *opts,
                                       cai_error *err);

/* Share of judgments won by the first-shown response, over decided judgments; NaN when none. */
CAI_EXTERN double cai_health_first_shown_rate(const cai_health_counts *c);

/* The value below which a share q of the judged pairs' |P(A) - 0.5| lies, read from the
 * histogram (the upper edge of the bin that holds it); NaN when no pair was judged. */
CAI_EXTERN double cai_health_margin_quantile(const cai_health_counts *c, double q);

CAI_END_DECL

#endif

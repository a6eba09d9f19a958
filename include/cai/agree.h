/* SPDX-License-Identifier: MIT */
/* Agreement counts (judge vs human labels, order vs order): rate, Wilson interval, binomial tests.
 */
#ifndef CAI_AGREE_H
#define CAI_AGREE_H

#include "cai/common.h"

CAI_BEGIN_DECL

/*
 * k agreements out of n comparisons. Every statistic that asks "how often do two labels agree"
 * (the judge and a human label, the two presentation orders, a calibration set) is one of these,
 * so its rate, interval and significance are computed in one place.
 */
typedef struct cai_agree {
    uint64_t n; /* comparisons */
    uint64_t k; /* agreements */
} cai_agree;

/* What a cai_agree says, at a confidence level and significance threshold. */
typedef struct cai_agree_summary {
    uint64_t n, k;
    double rate;     /* k / n; NaN when n = 0 */
    double lo, hi;   /* Wilson score interval; NaN when n = 0 */
    double p_above;  /* one-sided exact binomial P(X >= k | n, 1/2): is agreement above chance? */
    int above;       /* 1 when p_above < alpha (significantly above 0.5) */
    int at_or_below; /* 1 when the whole interval lies at or below 0.5 */
} cai_agree_summary;

/* Adds one comparison. */
CAI_EXTERN void cai_agree_add(cai_agree *a, int agrees);

/* z: normal quantile of the interval (0 = 1.959964, 95%); alpha: 0 = 0.05. */
CAI_EXTERN void
cai_agree_summarize(cai_agree_summary *out, const cai_agree *a, double z, double alpha);

/* The Wilson score interval for k of n at normal quantile z; [NaN, NaN] when n = 0. */
CAI_EXTERN void cai_agree_wilson(uint64_t k, uint64_t n, double z, double *lo, double *hi);

/* Two-sided exact binomial test of k successes in n trials against p = 1/2 (1.0 when n = 0). */
CAI_EXTERN double cai_agree_binom_p(uint64_t k, uint64_t n);

/* One-sided exact binomial tail P(X >= k) for X ~ Bin(n, 1/2) (1.0 when n = 0 or k = 0). */
CAI_EXTERN double cai_agree_binom_p_above(uint64_t k, uint64_t n);

CAI_END_DECL

#endif

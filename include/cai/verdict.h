/* SPDX-License-Identifier: MIT */
/* Turning a judge's reply (text or log-probabilities) into a verdict and P(first is better). */
#ifndef CAI_VERDICT_H
#define CAI_VERDICT_H

#include "cai/common.h"

CAI_BEGIN_DECL

typedef enum cai_verdict {
    CAI_VERDICT_NONE = 0, /* no verdict: refusal or unparseable (a failure, never a tie) */
    CAI_VERDICT_A,
    CAI_VERDICT_B,
    CAI_VERDICT_TIE
} cai_verdict;

/*
 * Parses a text verdict: "A", "(A)", "[[A]]", "**A**", "Response A", "Answer: B", lower case,
 * text around it; "C", "tie", "both equally" are a tie. In CoT mode the last verdict line
 * ("Verdict: (A)") wins. Returns CAI_VERDICT_NONE when there is no clear verdict: refusals,
 * replies naming both A and B, and the English article "a" are never read as a verdict
 * (docs/prompts.md lists the rules). Reads len bytes; text need not be NUL-terminated.
 */
CAI_EXTERN cai_verdict cai_verdict_parse(const char *text, size_t len);

/* One candidate token and its log-probability, as servers list them. */
typedef struct cai_token_logprob {
    const char *token;
    size_t len;
    double logprob; /* -9999 or less means "absent" */
} cai_token_logprob;

/*
 * P(A) from the top log-probs of one position: tokens normalised ("A", " A", "(A", "A)", lower
 * case) and the two options' probabilities renormalised. Returns 0 and sets *p_a when at least
 * one of A/B appears; -1 otherwise.
 */
CAI_EXTERN int cai_verdict_from_logprobs(const cai_token_logprob *top, size_t n, double *p_a);

/*
 * Rating mode: expected score over digits 1..7 from log-probs (returns 0 and *score), -1 when
 * none of the digits appears. cai_verdict_parse_rating reads "Rating: 5" / "5/7" / "5"
 * (returns 0 and *score in 1..7, or -1).
 */
CAI_EXTERN int
cai_verdict_rating_from_logprobs(const cai_token_logprob *top, size_t n, double *score);
CAI_EXTERN int cai_verdict_parse_rating(const char *text, size_t len, double *score);

CAI_END_DECL

#endif

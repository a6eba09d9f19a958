/* SPDX-License-Identifier: MIT */
/* Judge prompts: a comparison (context, principle, two responses) rendered from a constitution. */
#ifndef CAI_PROMPT_H
#define CAI_PROMPT_H

#include "cai/common.h"
#include "cai/constitution.h"
#include "cai/record.h"

CAI_BEGIN_DECL

typedef enum cai_judge_mode {
    CAI_MODE_CHOICE = 0, /* multiple choice: answer with one letter */
    CAI_MODE_COT,        /* reason first, then a fixed verdict line */
    CAI_MODE_RATING      /* score one response 1..7 against the principle */
} cai_judge_mode;

CAI_EXTERN int cai_judge_mode_parse(const char *name); /* "choice", "cot", "rating"; -1 */
CAI_EXTERN const char *cai_judge_mode_name(cai_judge_mode m);

/* One question for the judge. Strings are borrowed. */
typedef struct cai_comparison {
    const cai_message *context;
    size_t n_context;
    const cai_principle *principle;
    const char *first;  /* shown as (A) */
    const char *second; /* shown as (B); NULL in rating mode */
} cai_comparison;

/*
 * A rendered prompt. For chat backends: system (may be NULL), user, and prefill (the start of
 * the assistant turn, ending where the answer letter goes; may be NULL). For completion
 * backends: raw, one text that ends where the answer letter goes. All owned; free with
 * cai_prompt_dispose().
 */
typedef struct cai_prompt {
    char *system;
    char *user;
    char *prefill;
    char *raw;
} cai_prompt;

/*
 * Renders cmp with the constitution's template (or the built-in one) and its few-shot
 * examples. Responses are fenced with a marker that does not occur in them, so a response
 * cannot forge the prompt's structure. c may be NULL (built-in template, no examples).
 * The same inputs always give the same bytes (docs/prompts.md describes every shape):
 * - CHOICE: user asks for one letter; prefill "The answer is ("; raw ends "The answer is: (".
 * - COT: user asks for reasoning and a last line "Verdict: (A)" / "Verdict: (B)"; no prefill;
 *   raw ends "Reasoning:".
 * - RATING (cmp->second NULL): a 1..7 score for cmp->first; prefill and raw end "Rating: ".
 *   Always the built-in rating template, without examples (both are written for pairs).
 * With a constitution template, {response_a}/{response_b} receive the raw response texts
 * (the template's author controls the structure: nothing is fenced), and without examples
 * the CHOICE user text is exactly the expanded template. system is always NULL.
 * Errors: CAI_EINVAL (missing principle or response, second given or missing for the mode),
 * CAI_ESCHEMA (invalid template), CAI_ENOMEM. On error *out is all NULL.
 */
CAI_EXTERN cai_status cai_prompt_build(cai_prompt *out,
                                       const cai_constitution *c,
                                       const cai_comparison *cmp,
                                       cai_judge_mode mode,
                                       cai_error *err);

CAI_EXTERN void cai_prompt_dispose(cai_prompt *p);

/*
 * Renders a context as a transcript: each turn is "\n\nHuman: ", "\n\nAssistant: " or
 * "\n\nSystem: " followed by its content, concatenated, so an HH-RLHF prompt split into turns
 * renders back byte for byte. No turns give "". Caller frees; NULL when out of memory.
 */
CAI_EXTERN char *cai_prompt_render_context(const cai_message *context, size_t n_context);

/* 12 lowercase hex digits and a NUL. */
#define CAI_PROMPT_NONCE_SIZE 13

/*
 * The fence nonce: the first SplitMix64 output from seed (as 12 hex digits) that occurs in
 * none of the n texts (NULL entries are skipped). cai_prompt_build seeds it with a hash of
 * every text the prompt shows, so a fence line "<<<END_nonce>>>" never occurs inside them.
 */
CAI_EXTERN void cai_prompt_fence_nonce(uint64_t seed,
                                       const char *const *texts,
                                       size_t n,
                                       char out[CAI_PROMPT_NONCE_SIZE]);

/*
 * The version of the bytes cai_prompt_build renders. Bump it with any change to the templates,
 * the examples' framing or the parts' joins: it is part of a run's fingerprint, so a journal
 * judged under other prompt bytes is refused on resume instead of being mixed in.
 */
#define CAI_PROMPT_TEMPLATE_VERSION 1

CAI_END_DECL

#endif

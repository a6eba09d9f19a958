/* SPDX-License-Identifier: MIT */
/* Judge prompts: a comparison (context, principle, two responses) rendered from a constitution. */
#ifndef CAI_PROMPT_H
#define CAI_PROMPT_H

#include "cai/common.h"
#include "cai/constitution.h"
#include "cai/record.h"

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
 * cannot forge the prompt's structure.
 */
CAI_EXTERN cai_status cai_prompt_build(cai_prompt *out,
                                       const cai_constitution *c,
                                       const cai_comparison *cmp,
                                       cai_judge_mode mode,
                                       cai_error *err);

CAI_EXTERN void cai_prompt_dispose(cai_prompt *p);

/* Renders a context as a transcript ("Human: ...\n\nAssistant: ..."). Caller frees. */
CAI_EXTERN char *cai_prompt_render_context(const cai_message *context, size_t n_context);

#endif

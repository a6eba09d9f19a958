/* SPDX-License-Identifier: MIT */
/* SL-CAI prompts: the critique request and the revision request, with few-shot examples. */
#ifndef CAI_REVISE_PROMPT_INT_H
#define CAI_REVISE_PROMPT_INT_H

#include "cai/constitution.h"

/*
 * The bytes of both prompts are a pure function of (constitution, principle, conversation,
 * response[, critique]); bump CAI_REVISE_PROMPT_VERSION with any change to them (a revise run
 * will fingerprint it, as runs fingerprint CAI_PROMPT_TEMPLATE_VERSION).
 *
 * Shape of the critique prompt (one user turn; docs/pipeline.md shows an example):
 *   the examples, in constitution order, in the Constitutional AI paper's format
 *     "Human: ...\n\nAssistant: <response>\n\nCritique Request: <request>\n\nCritique: ..."
 *     "\n\nRevision Request: <request>\n\nRevision: ..." (the request is the example's own
 *     principle's when it names one that has them, else the principle asked about now);
 *   then the conversation and the response to critique, each between "<<<NAME_nonce>>>" and
 *   "<<<END_nonce>>>" lines (CONVERSATION, REPLY; the nonce occurs in neither), so a response
 *   cannot pose as instructions;
 *   then "Critique Request: <principle's critique>" and an instruction to write the critique
 *   only.
 * The revision prompt is the same up to the critique request, then "Critique:" with the
 * critique (fenced too: it is model output), "Revision Request: <principle's revision>" and an
 * instruction to write only the revised response, with no preface.
 * The examples come first and do not depend on the pair, so requests share a long prefix.
 */
#define CAI_REVISE_PROMPT_VERSION 1

/* 1 when p has both a critique and a revision request (only those can be sampled). */
int cai_revise__eligible(const cai_principle *p);

/* conversation: the transcript before the response ("\n\nHuman: ..."); response, critique:
 * texts. On CAI_OK *out is the user text (caller frees). CAI_EINVAL when p is not eligible or
 * a text is NULL; CAI_ENOMEM. */
cai_status cai_revise__critique_prompt(char **out,
                                       const cai_constitution *c,
                                       const cai_principle *p,
                                       const char *conversation,
                                       const char *response,
                                       cai_error *err);
cai_status cai_revise__revision_prompt(char **out,
                                       const cai_constitution *c,
                                       const cai_principle *p,
                                       const char *conversation,
                                       const char *response,
                                       const char *critique,
                                       cai_error *err);

#endif

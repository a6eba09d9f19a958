/* SPDX-License-Identifier: MIT */
/* The offline built-in judge: documented heuristics, no network (see docs/builtin-judge.md). */
#ifndef CAI_BUILTIN_INT_H
#define CAI_BUILTIN_INT_H

#include "cai/judge.h"

/*
 * Judges cmp deterministically from its texts alone. Fills res (p_first or score, verdict,
 * from_logprobs = 0, token estimates, attempts = 1). Swapping first and second gives exactly
 * 1 - p_first; identical responses give 0.5 and CAI_VERDICT_TIE. Rating mode (second NULL):
 * score in (1, 7), p_first NaN, verdict CAI_VERDICT_NONE. Errors: CAI_EINVAL (arguments as for
 * cai_prompt_build), CAI_ENOMEM; never fails otherwise. Thread-safe: no shared state.
 */
cai_status cai_builtin__judge(const cai_comparison *cmp,
                              cai_judge_mode mode,
                              cai_judgment *res,
                              cai_error *err);

#endif

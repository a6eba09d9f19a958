/* SPDX-License-Identifier: MIT */
/* The offline built-in judge: documented heuristics, no network (see docs/builtin-judge.md). */
#ifndef CAI_BUILTIN_INT_H
#define CAI_BUILTIN_INT_H

#include "cai/judge.h"

/*
 * Judges cmp deterministically from its texts alone. Fills res (p_first or score, verdict,
 * from_logprobs = 0, token estimates, attempts = 1). Never fails on valid input.
 */
cai_status cai_builtin__judge(const cai_comparison *cmp,
                              cai_judge_mode mode,
                              cai_judgment *res,
                              cai_error *err);

#endif

/* SPDX-License-Identifier: MIT */
/* Internal helpers for filling a cai_error and checking arguments. */
#ifndef CAI_ERROR_INT_H
#define CAI_ERROR_INT_H

#include "cai/common.h"

/*
 * Formats msg into err (which may be NULL) and returns code. A message already there for the same
 * code is kept: that is the lower-level report of the failure being propagated. A message for
 * another code is replaced, so err->msg always describes err->code. Public functions clear err on
 * entry, so a reused cai_error never reports an earlier call's failure.
 */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
cai_status
cai_error__set(cai_error *err, cai_status code, const char *fmt, ...);

/* Clears err so that a new message can be set (used when an error is handled and retried). */
void cai_error__clear(cai_error *err);

#define CAI_ASSERT_ARG(err, cond)                                                                  \
    do {                                                                                           \
        if (!(cond))                                                                               \
            return cai_error__set((err), CAI_EINVAL, "invalid argument: %s", #cond);               \
    } while (0)

#endif

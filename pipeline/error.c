/* SPDX-License-Identifier: MIT */
/* Status texts and the error-buffer helper that every module reports through. */
#include "error_int.h"

#include <stdarg.h>
#include <stdio.h>

const char *cai_strerror(cai_status st)
{
    /* No default: -Wswitch flags a new code that has no text here. */
    switch (st) {
    case CAI_OK:
        return "success";
    case CAI_ENOMEM:
        return "out of memory";
    case CAI_EINVAL:
        return "invalid argument";
    case CAI_EIO:
        return "input/output error";
    case CAI_EPARSE:
        return "malformed input";
    case CAI_ESCHEMA:
        return "missing or mistyped field";
    case CAI_ELIMIT:
        return "size limit exceeded";
    case CAI_EHTTP:
        return "HTTP error";
    case CAI_ETRANSPORT:
        return "transport error";
    case CAI_ETIMEOUT:
        return "timed out";
    case CAI_ERATELIMIT:
        return "rate limited";
    case CAI_EVERDICT:
        return "no verdict in reply";
    case CAI_EMISMATCH:
        return "settings or contents mismatch";
    case CAI_EINTERRUPTED:
        return "interrupted";
    case CAI_ITEROVER:
        return "iteration over";
    case CAI_ELOCKED:
        return "in use by another process";
    case CAI_EBUDGET:
        return "spending cap reached";
    case CAI_EPENDING:
        return "batches still running";
    }
    return "unknown status";
}

const char *cai_version(void)
{
    return CAI_VERSION;
}

cai_status cai_error__set(cai_error *err, cai_status code, const char *fmt, ...)
{
    va_list ap;

    /* The same code again is the same failure on its way up: keep the lower-level message,
     * which has the facts. Another code is another failure (or the caller's own verdict on
     * it): the message must describe the code that is returned, so it is replaced. */
    if (!err || err->code == code)
        return code;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

void cai_error__clear(cai_error *err)
{
    if (err) {
        err->code = CAI_OK;
        err->msg[0] = '\0';
    }
}

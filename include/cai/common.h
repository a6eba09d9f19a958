/* SPDX-License-Identifier: MIT */
/* Status codes, the error buffer and the export macro shared by every cai module. */
#ifndef CAI_COMMON_H
#define CAI_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define CAI_EXTERN __attribute__((visibility("default")))
#else
#define CAI_EXTERN
#endif

/* Stable codes: never renumbered once released. */
typedef enum cai_status {
    CAI_OK = 0,
    CAI_ENOMEM,       /* allocation failed */
    CAI_EINVAL,       /* invalid argument or option */
    CAI_EIO,          /* read, write, rename or fsync failed */
    CAI_EPARSE,       /* malformed input: JSON, UTF-8, gzip, transcript */
    CAI_ESCHEMA,      /* well-formed input with missing or mistyped fields */
    CAI_ELIMIT,       /* a hard cap was exceeded (line size, body size, nesting) */
    CAI_EHTTP,        /* the server answered with a non-retryable HTTP error */
    CAI_ETRANSPORT,   /* connection failed or reset */
    CAI_ETIMEOUT,     /* request took longer than its deadline */
    CAI_ERATELIMIT,   /* rate-limited and out of retries */
    CAI_EVERDICT,     /* the judge's reply held no parseable verdict */
    CAI_EMISMATCH,    /* a resume or check found different settings or contents */
    CAI_EINTERRUPTED, /* stopped on request (SIGINT/SIGTERM); resumable */
    CAI_ITEROVER,     /* iteration finished; not a failure */
    CAI_ELOCKED,      /* another process holds the lock (e.g. a run on the same output) */
    CAI_EBUDGET       /* the spending cap would be passed; resumable with a higher cap */
} cai_status;

/*
 * Filled by the function that fails, where the facts are; callers propagate it unchanged. Every
 * public function clears it on entry, so after a failed call msg describes that call's failure
 * (and code is the status it returned), even when the same cai_error is reused.
 */
typedef struct cai_error {
    cai_status code;
    char msg[512]; /* one line, e.g. "in.jsonl:17: missing \"prompt\"" */
} cai_error;

/* Static text for a status; never NULL. */
CAI_EXTERN const char *cai_strerror(cai_status st);

/* The library version, "MAJOR.MINOR.PATCH". */
CAI_EXTERN const char *cai_version(void);

#endif

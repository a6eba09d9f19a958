/* SPDX-License-Identifier: MIT */
/* Status codes, the error buffer and the export macro shared by every cai module. */
#ifndef CAI_COMMON_H
#define CAI_COMMON_H

#include "cai/version.h"

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define CAI_EXTERN __attribute__((visibility("default")))
#else
#define CAI_EXTERN
#endif

/* C linkage for C++ callers (libgit2's GIT_BEGIN_DECL): every public header wraps its
 * declarations in these, so clang-format does not indent them as it would an extern block. */
#ifdef __cplusplus
#define CAI_BEGIN_DECL extern "C" {
#define CAI_END_DECL   }
#else
#define CAI_BEGIN_DECL
#define CAI_END_DECL
#endif

CAI_BEGIN_DECL

/*
 * Initialisation and threads
 *
 * - Call cai_global_init() once at the start of main(), before any other thread exists and
 *   before any other cai function; call cai_global_cleanup() once at the end. They set up and
 *   tear down the libraries cai is built on (libcurl's curl_global_init), so a program never
 *   calls those itself for cai's sake. A program that already calls curl_global_init() may
 *   call both anyway: the pairs nest.
 * - libcai keeps no global state: every handle (cai_run, cai_judge, cai_reader, ...) is
 *   independent. One handle is used by one thread at a time; different handles may be used by
 *   different threads at once. The only calls safe on a handle from another thread or from a
 *   signal handler are the cai_*_stop() functions.
 * - A gzip cai_writer (so also a run) compresses on a helper thread of its own, started at its
 *   first 64 KiB of output and joined before a shard ends and by close/free; it runs no callback
 *   and its output is byte for byte what one-threaded zlib writes at that level.
 * - Callbacks (progress, skip, upgrade) run on the thread that called the function they were
 *   given to, and must not call back into the handle that runs them.
 *
 * Options structs and the ABI
 *
 * Every options struct starts with "unsigned version" and has a CAI_<X>_OPTS_VERSION
 * constant. Fill one with cai_<x>_opts_init(&opts, CAI_<X>_OPTS_VERSION) (from C, the
 * CAI_<X>_OPTS_INIT initialisers do the same), then set fields. Every function that takes the
 * struct refuses a version it does not know with CAI_EINVAL naming the struct. Rules that keep
 * old binaries working against a newer shared library:
 * - fields are only ever appended, never reordered or removed;
 * - appending a field bumps that struct's VERSION, and the VERSION of every struct that
 *   embeds it by value (cai_run_opts embeds cai_judge_opts, so a new judge field bumps both);
 * - the library keeps reading every version it once accepted, reading only the fields that
 *   version had.
 * While CAI_VERSION_MAJOR is 0 a MINOR release may still break the ABI (the soname says so).
 */

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
    CAI_EBUDGET,      /* the spending cap would be passed; resumable with a higher cap */
    CAI_EPENDING      /* provider batches submitted and still running; run again to collect */
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

/* The version of the library linked at run time, "MAJOR.MINOR.PATCH" (see cai/version.h). */
CAI_EXTERN const char *cai_version(void);

/*
 * Process-wide set-up of the libraries cai uses (libcurl). Not thread-safe: call it from
 * main() before other threads start. CAI_OK, or CAI_ENOMEM / CAI_ETRANSPORT when libcurl
 * cannot initialise (message in err). Each successful call needs one cai_global_cleanup().
 */
CAI_EXTERN cai_status cai_global_init(cai_error *err);
CAI_EXTERN void cai_global_cleanup(void);

CAI_END_DECL

#endif

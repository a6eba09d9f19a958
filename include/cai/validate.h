/* SPDX-License-Identifier: MIT */
/* Dataset validation (`cai validate`) and dataset statistics (`cai stats`). */
#ifndef CAI_VALIDATE_H
#define CAI_VALIDATE_H

#include "cai/common.h"
#include "cai/record.h"

CAI_BEGIN_DECL

/*
 * A PATH is a dataset directory or a JSONL file (plain or gzip). A directory with a
 * manifest.json (written by `cai run`) is checked against it: every file it lists (sha256,
 * records, bytes) and no *.jsonl[.gz] file beside them that it does not list. A directory
 * without one is searched recursively for *.jsonl and *.jsonl.gz files. A file's split comes
 * from the manifest, else from its name ("train-00000-of-00001.jsonl.gz", "test.jsonl",
 * "validation_prefs.jsonl", or a parent folder so named).
 *
 * One streaming pass per file; duplicates and train/test leakage are found through
 * fingerprints (107 to 213 bytes per record), never by keeping texts.
 */

/* ---- validation ------------------------------------------------------------------------- */

typedef struct cai_validate_opts {
    unsigned version;
    cai_format format;         /* AUTO (default): per file, from its first record's fields */
    int strict;                /* 1: warnings fail the verdict too (cai_report_failed) */
    size_t max_examples;       /* findings kept per kind; 0 = 5 (the rest are counted) */
    double alpha;              /* significance of the bias tests; 0 = 0.001 */
    size_t max_prompt_chars;   /* longer prompts are "long"; 0 = 32768 */
    size_t max_response_chars; /* longer responses are "long"; 0 = 16384 */
    double min_consistency;    /* order-swap agreement below this is "low_consistency"; 0 = 0.6 */
} cai_validate_opts;

#define CAI_VALIDATE_OPTS_VERSION 1

/* Fills *o with the defaults of that version of the struct; CAI_EINVAL for an unknown
 * version (or NULL o). Pass CAI_VALIDATE_OPTS_VERSION. */
CAI_EXTERN cai_status cai_validate_opts_init(cai_validate_opts *o, unsigned version);

#ifndef __cplusplus
/* C only (a compound literal): the same defaults as cai_validate_opts_init. */
#define CAI_VALIDATE_OPTS_INIT                                                                     \
    ((cai_validate_opts){CAI_VALIDATE_OPTS_VERSION, CAI_FORMAT_AUTO, 0, 0, 0, 0, 0, 0})
#endif

/*
 * One finding. kind is a stable identifier (docs/validate.md lists them all), e.g.
 * "empty_chosen", "gzip", "leak", "length_bias". file is the path as found from the given
 * PATHs; line is 1-based, or 0 when the finding is about a whole file or split.
 */
typedef struct cai_finding {
    const char *kind;
    int warning; /* 0: error; 1: warning */
    const char *file;
    uint64_t line;
    const char *message; /* one line, without the FILE:LINE prefix */
} cai_finding;

typedef struct cai_report cai_report;

/*
 * Validates the datasets or files in paths[0..n). Returns CAI_OK when the report was produced,
 * even with findings: inspect it with the accessors below. Returns CAI_EIO (a PATH or a file
 * inside it cannot be opened or listed), CAI_EINVAL (bad options) or CAI_ENOMEM otherwise,
 * with *out NULL. On CAI_OK the caller owns *out (cai_report_free).
 */
CAI_EXTERN cai_status cai_validate(cai_report **out,
                                   const char *const *paths,
                                   size_t n,
                                   const cai_validate_opts *opts,
                                   cai_error *err);

/* Totals, counting every finding (not only the kept examples). */
CAI_EXTERN uint64_t cai_report_errors(const cai_report *r);
CAI_EXTERN uint64_t cai_report_warnings(const cai_report *r);
/* Findings of one kind (0 for an unknown kind). */
CAI_EXTERN uint64_t cai_report_count(const cai_report *r, const char *kind);
/* Non-blank lines read from the data files (valid or not). */
CAI_EXTERN uint64_t cai_report_records(const cai_report *r);
/* 1 when the verdict is a failure: errors, or warnings under opts.strict. */
CAI_EXTERN int cai_report_failed(const cai_report *r);

/* The kept findings (the first max_examples of each kind), errors first, then by file and line.
 * Borrowed until cai_report_free(); NULL past the end. */
CAI_EXTERN size_t cai_report_nfindings(const cai_report *r);
CAI_EXTERN const cai_finding *cai_report_finding(const cai_report *r, size_t i);

/* The human report: one "FILE:LINE: error [kind] message" line per kept finding, a count of
 * the rest per kind, a summary, and a last line "verdict: ...". Caller frees (free); NULL on
 * out-of-memory. */
CAI_EXTERN char *cai_report_text(const cai_report *r);
/* The same as one JSON object (see docs/validate.md). Caller frees (free). */
CAI_EXTERN char *cai_report_json(const cai_report *r);

CAI_EXTERN void cai_report_free(cai_report *r); /* NULL is a no-op */

/* ---- statistics ------------------------------------------------------------------------- */

typedef struct cai_stats_opts {
    unsigned version;
    cai_format format; /* AUTO (default) or forced */
} cai_stats_opts;

#define CAI_STATS_OPTS_VERSION 1

/* Fills *o with the defaults of that version of the struct; CAI_EINVAL for an unknown
 * version (or NULL o). Pass CAI_STATS_OPTS_VERSION. */
CAI_EXTERN cai_status cai_stats_opts_init(cai_stats_opts *o, unsigned version);

#ifndef __cplusplus
/* C only (a compound literal): the same defaults as cai_stats_opts_init. */
#define CAI_STATS_OPTS_INIT ((cai_stats_opts){CAI_STATS_OPTS_VERSION, CAI_FORMAT_AUTO})
#endif

typedef struct cai_stats cai_stats;

/*
 * Reads the datasets or files in paths[0..n) once and collects, per split: record counts,
 * length distributions (min/median/p90/max characters) of prompt, chosen and rejected, the
 * p_chosen histogram, position and length bias (share and binomial p-value), and per-principle
 * win rates and order consistency. Lines that are not valid records are counted, not reported:
 * use cai_validate for that. Errors and ownership as for cai_validate.
 */
CAI_EXTERN cai_status cai_stats_collect(cai_stats **out,
                                        const char *const *paths,
                                        size_t n,
                                        const cai_stats_opts *opts,
                                        cai_error *err);

/* Renderings; each is a new string the caller frees (free), NULL on out-of-memory. */
CAI_EXTERN char *cai_stats_text(const cai_stats *s);
CAI_EXTERN char *cai_stats_json(const cai_stats *s);
/* A standalone SVG document with the histograms, for a browser. */
CAI_EXTERN char *cai_stats_svg(const cai_stats *s);

CAI_EXTERN void cai_stats_free(cai_stats *s); /* NULL is a no-op */

CAI_END_DECL

#endif

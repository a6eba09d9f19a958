/* SPDX-License-Identifier: MIT */
/* What the run shares with its manifest, dataset-card and self-validation writers. */
#ifndef CAI_RUN_INT_H
#define CAI_RUN_INT_H

#include "cai/constitution.h"
#include "cai/run.h"
#include "cai/writer.h"
#include "util_int.h"

struct cJSON;

/* Soft labels in bins of 1e-4 over [0.5, 1]: quantiles to four decimals in flat memory. */
#define CAI_TALLY_BINS 5001

/* What the manifest reports per label, principle and input (run.c fills it as pairs finish). */
typedef struct cai_run_tally {
    uint64_t *p_bins; /* CAI_TALLY_BINS counts of kept p_chosen */
    double p_min, p_max;
    uint64_t *principle_kept; /* per constitution principle: kept pairs that used it */
    uint64_t *input_pairs, *input_kept, *input_ties, *input_failed; /* per input file */
} cai_run_tally;

typedef struct cai_run_info {
    const cai_run_opts *opts;
    const cai_judge_opts *judge; /* the options in effect (defaults resolved); NULL: opts->judge */
    const cai_constitution *constitution;
    const cai_run_summary *summary;
    const struct cJSON *inputs; /* [{"path","sha256","bytes"}] */
    const char *fingerprint;
    double first_position_win_rate; /* share of judgments won by the response shown first */
    const cai_writer *train, *test, *failed, *ties;
    const cai_run_tally *tally;
    const char *validation;             /* "pass", "fail" or "not run"; NULL before validation */
    cai_health_opts health_opts;        /* which health checks applied (the summary has the rest) */
    const cai_health_counts *health_pr; /* per principle, in constitution order */
    const cai_health_counts *health_in; /* per input file, in opts->inputs order */
} cai_run_info;

/* DIR/manifest.json, written under a temporary name and renamed. */
cai_status cai_run__write_manifest(const cai_run_info *info, cai_error *err);

/* Appends one manifest "files" entry per file w wrote ({path relative to dir, split, sha256,
 * records, bytes}), as the run's manifest lists its shards. */
void cai_manifest__add_files(struct cJSON *arr,
                             const char *dir,
                             const cai_writer *w,
                             const char *split);

/* DIR/README.md: a dataset card whose YAML front matter (card.c) declares the splits and the
 * features. */
cai_status cai_run__write_card(const cai_run_info *info, cai_error *err);

/* Appends s to b as a YAML double-quoted scalar (card.c). */
void cai_card__yaml_str(cai_buf *b, const char *s);

/* Validates the finished dataset as `cai validate DIR` would; *errors and *warnings count its
 * findings, leaving out the judge-health ones (the run reports those from its own counts). */
cai_status cai_run__validate_output(const char *dir, int *errors, int *warnings, cai_error *err);

/* Writes text to dir/name atomically (temporary name, fsync, rename). */
cai_status
cai_run__write_atomic(const char *dir, const char *name, const char *text, cai_error *err);

#endif

/* SPDX-License-Identifier: MIT */
/* What the run shares with its manifest, dataset-card and self-validation writers. */
#ifndef CAI_RUN_INT_H
#define CAI_RUN_INT_H

#include "cai/constitution.h"
#include "cai/run.h"
#include "cai/writer.h"

struct cJSON;

typedef struct cai_run_info {
    const cai_run_opts *opts;
    const cai_constitution *constitution;
    const cai_run_summary *summary;
    const struct cJSON *inputs; /* [{"path","sha256","bytes"}] */
    const char *fingerprint;
    double first_position_win_rate; /* share of judgments won by the response shown first */
    const cai_writer *train, *test, *failed;
    cai_health_opts health_opts;        /* which health checks applied (the summary has the rest) */
    const cai_health_counts *health_pr; /* per principle, in constitution order */
    const cai_health_counts *health_in; /* per input file, in opts->inputs order */
} cai_run_info;

/* DIR/manifest.json, written under a temporary name and renamed. */
cai_status cai_run__write_manifest(const cai_run_info *info, cai_error *err);

/* DIR/README.md: a dataset card whose YAML front matter declares the splits. */
cai_status cai_run__write_card(const cai_run_info *info, cai_error *err);

/* Validates the finished dataset as `cai validate DIR` would; *errors and *warnings count its
 * findings, leaving out the judge-health ones (the run reports those from its own counts). */
cai_status cai_run__validate_output(const char *dir, int *errors, int *warnings, cai_error *err);

/* Writes text to dir/name atomically (temporary name, fsync, rename). */
cai_status
cai_run__write_atomic(const char *dir, const char *name, const char *text, cai_error *err);

#endif

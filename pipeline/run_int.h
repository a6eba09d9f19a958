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
    const struct cai_calibrate *calibration; /* --calibration, or NULL */
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

/* ---- cai merge (run_merge.c) ---- */

/* The shard spec a finished shard directory's manifest.json records. CAI_EINVAL when the
 * directory holds no manifest (the shard has not finished) or is not a sharded run. */
/* tokens: the shard's statistics prompt_tokens, completion_tokens and cached_prompt_tokens
 * (what its requests used, failed attempts included: the journal keeps only answers). */
cai_status cai_run__shard_spec(const char *dir, cai_shard *out, uint64_t tokens[3], cai_error *err);

/* One complete, disjoint set: the same count, every index once. CAI_EINVAL names the missing
 * and the repeated indices. */
cai_status
cai_run__check_shards(const cai_shard *specs, const char *const *dirs, size_t n, cai_error *err);

/* Pair id -> the reason its shard wrote in failed.jsonl.gz. */
typedef struct cai_merge_reasons cai_merge_reasons;
/* Adds dir/failed.jsonl.gz to *io (created on first use). */
cai_status cai_run__load_reasons(cai_merge_reasons **io, const char *dir, cai_error *err);
const char *cai_run__reason(const cai_merge_reasons *m, const char *id); /* NULL: not listed */
void cai_run__reasons_free(cai_merge_reasons *m);

/* Tests: how many id fingerprints the survey keeps in memory before it spills them to a
 * temporary file (CAI_IDSET_MEM_CAP by default; at least 16), so that a small input exercises
 * the spill and the merge. Before cai_run_execute. */
void cai_run__set_idset_cap(cai_run *r, size_t cap);

#endif

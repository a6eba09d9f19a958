/* SPDX-License-Identifier: MIT */
/* Mixing: human answers replace AI labels on their pairs; a new dataset says whose label is whose.
 */
#ifndef CAI_MIX_H
#define CAI_MIX_H

#include "cai/agree.h"
#include "cai/common.h"

CAI_BEGIN_DECL

typedef struct cai_mix_opts {
    unsigned version;
    const char *const *answers; /* answer files (Label Studio JSON, Argilla JSONL, plain JSONL) */
    size_t n_answers;
    double human_p;         /* p_chosen of a human label; 0 = 0.95 */
    int keep_human_ties;    /* 1: a human tie keeps the pair with p_chosen 0.5; 0: dropped */
    int weights;            /* 1: add a "weight" column to every record */
    double weight_human;    /* weight of records labelled by a human ("human" and "both") */
    double weight_ai;       /* weight of records labelled by the AI alone */
    uint64_t seed;          /* the --seed cai route used: it decides which slot showed what */
    const char *question;   /* Argilla question name; NULL = "preference" */
    uint64_t shard_records; /* records per shard; 0 = 100000 */
} cai_mix_opts;

#define CAI_MIX_OPTS_VERSION 1

/* Fills *o with the defaults of that version of the struct; CAI_EINVAL for an unknown
 * version (or NULL o). Pass CAI_MIX_OPTS_VERSION. */
CAI_EXTERN cai_status cai_mix_opts_init(cai_mix_opts *o, unsigned version);

#ifndef __cplusplus
/* C only (a compound literal): the same defaults as cai_mix_opts_init. */
#define CAI_MIX_OPTS_INIT                                                                          \
    ((cai_mix_opts){CAI_MIX_OPTS_VERSION, NULL, 0, 0, 0, 0, 1.0, 1.0, 0, NULL, 0})
#endif

typedef struct cai_mix_report {
    uint64_t records;         /* records written */
    uint64_t ai, human, both; /* records per label_source */
    uint64_t human_ties_dropped, human_ties_kept;
    uint64_t answers;            /* answers read (each names one pair of the dataset) */
    uint64_t unanswered_tasks;   /* Label Studio tasks with no (or only cancelled) annotations */
    cai_agree_summary agreement; /* human vs AI side where both exist (ties left out) */
    int validation_errors, validation_warnings;
} cai_mix_report;

/*
 * Reads the answers, checks every one names a pair of the dataset (a cai output directory), then
 * writes out_dir (new or empty): data/<split>-*.jsonl.gz with every record of the dataset in
 * its split and order, each with "label_source" ("ai", "human": the human's side differs from
 * the AI's, or a human tie; "both": they agree) and, with opts->weights, "weight"; answered
 * pairs get the human's side with p_chosen = human_p and the margin that implies (the
 * dataset's margin mode and cap). Then manifest.json (the source manifest with the new files,
 * the schema additions and a "mix" block: counts per source, the agreement, the answers'
 * SHA-256), README.md (the source card with the new columns) and validation as `cai run`
 * does it. Bad answers (unknown or duplicate ids, a value not a/b/tie, malformed JSON) give
 * CAI_EPARSE naming FILE:LINE or the task, before anything is created.
 */
CAI_EXTERN cai_status cai_mix_run(cai_mix_report *rep,
                                  const char *dataset,
                                  const char *out_dir,
                                  const cai_mix_opts *opts,
                                  cai_error *err);

/* The report as a JSON object text (caller frees); NULL when out of memory. */
CAI_EXTERN char *cai_mix_report_json(const cai_mix_report *rep);

CAI_END_DECL

#endif

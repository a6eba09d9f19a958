/* SPDX-License-Identifier: MIT */
/* `cai sample`: N responses per prompt from a policy, as candidates records (docs/pipeline.md). */
#ifndef CAI_SAMPLE_H
#define CAI_SAMPLE_H

#include "cai/common.h"
#include "cai/judge.h"

CAI_BEGIN_DECL

/* Progress, reported after each batch of completions and once at the end. */
typedef struct cai_sample_progress {
    uint64_t prompts_done; /* prompts written (in input order) */
    uint64_t requests;     /* HTTP requests sent by this process */
    uint64_t retries;
    uint64_t failed;  /* prompts whose requests failed for good */
    uint64_t resumed; /* requests answered from the journal */
    double cost;      /* USD (prices given), this process */
} cai_sample_progress;

typedef void (*cai_sample_progress_fn)(const cai_sample_progress *p, void *payload);

typedef struct cai_sample_opts {
    unsigned version;
    const char *input;      /* prompts JSONL (.gz accepted) */
    const char *output_dir; /* created; resumed when it holds this stage's journal */
    cai_judge_opts judge;   /* the policy endpoint: backend, model, base_url, key, limits */
    unsigned n;             /* responses per prompt (INIT: 2) */
    double temperature;     /* < 0: the server's default (INIT: 1.0) */
    double top_p;           /* < 0: the server's default (INIT: -1) */
    unsigned max_tokens;    /* 0: the server's default */
    const char *const *stop;
    size_t n_stop;
    const char *system;              /* a system prompt, NULL: none */
    long long seed;                  /* < 0: none (INIT: -1) */
    int skip_flagged;                /* flagged responses go to skipped.jsonl.gz, not "responses" */
    int force;                       /* accept a non-empty output directory without a journal */
    int dry_run;                     /* read and count, send nothing, write nothing */
    uint64_t shard_records;          /* records per output shard; 0 = one file */
    double price_in, price_out;      /* USD per million tokens (cost, --max-cost) */
    double max_cost;                 /* 0: no cap */
    cai_sample_progress_fn progress; /* may be NULL */
    void *progress_payload;
} cai_sample_opts;

#define CAI_SAMPLE_OPTS_VERSION 1

/* Fills *o with the defaults of that version; CAI_EINVAL for an unknown version or NULL o. */
CAI_EXTERN cai_status cai_sample_opts_init(cai_sample_opts *o, unsigned version);

typedef struct cai_sample_summary {
    uint64_t prompts;       /* prompts read */
    uint64_t records;       /* candidates records (two or more responses kept) */
    uint64_t short_records; /* prompts left with fewer than two (short.jsonl.gz) */
    uint64_t failed;        /* prompts whose requests failed for good (failed.jsonl.gz) */
    uint64_t responses;     /* responses received */
    uint64_t flagged;       /* of them, flagged (empty, truncated, duplicate, refused) */
    uint64_t skipped;       /* skip_flagged: the flagged kept from the judge (skipped.jsonl.gz) */
    uint64_t requests_planned; /* requests the prompts need (dry run: what would be sent) */
    uint64_t resumed;          /* requests answered from the journal */
    uint64_t prompt_tokens, completion_tokens; /* of every response kept in the journal */
    double cost;
    char *first_body; /* dry run: the first request body (owned by the handle); else NULL */
} cai_sample_summary;

typedef struct cai_sample cai_sample;

CAI_EXTERN cai_status cai_sample_create(cai_sample **out, const cai_sample_opts *o, cai_error *err);
/*
 * Runs the stage. Errors: CAI_EINVAL/CAI_EPARSE/CAI_ESCHEMA (input, naming file:line), CAI_EIO,
 * CAI_EMISMATCH (the journal was written with other settings), CAI_EINTERRUPTED (stopped:
 * rerun to resume), the judge's health (CAI_ETRANSPORT, CAI_EHTTP), CAI_EBUDGET; a prompt whose
 * requests fail for good is written to failed.jsonl.gz and counted, not an error.
 */
CAI_EXTERN cai_status cai_sample_execute(cai_sample *s, cai_sample_summary *sum, cai_error *err);
CAI_EXTERN void cai_sample_stop(cai_sample *s); /* async-signal-safe */
CAI_EXTERN void cai_sample_free(cai_sample *s);

CAI_END_DECL

#endif

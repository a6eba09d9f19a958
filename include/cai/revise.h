/* SPDX-License-Identifier: MIT */
/* `cai revise`: the SL-CAI critique -> revision loop, SFT data and revision pairs out
 * (docs/pipeline.md). */
#ifndef CAI_REVISE_H
#define CAI_REVISE_H

#include "cai/common.h"
#include "cai/judge.h"

CAI_BEGIN_DECL

/* Progress, reported after each batch of completions and once at the end. */
typedef struct cai_revise_progress {
    uint64_t items_done; /* (prompt, response) items written, in input order */
    uint64_t requests;   /* HTTP requests sent by this process */
    uint64_t retries;
    uint64_t failed;  /* items whose requests failed for good */
    uint64_t resumed; /* requests answered from the journal */
    double cost;      /* USD (prices given), this process */
} cai_revise_progress;

typedef void (*cai_revise_progress_fn)(const cai_revise_progress *p, void *payload);

typedef struct cai_revise_opts {
    unsigned version;
    /* a `cai sample` directory (each response of each candidates record is revised) or JSONL
     * (.gz accepted) with a prompt and a response: {"prompt","response"}, TRL prompt/completion,
     * TRL or HH "chosen", {"messages"} ending on the assistant's turn, candidates records */
    const char *input;
    const char *output_dir;     /* created; resumed when it holds this stage's journal */
    const char *constitution;   /* path; its principles with critique and revision requests */
    cai_judge_opts judge;       /* the model that critiques and revises */
    unsigned rounds;            /* critique-revision rounds, each with a new principle (INIT: 1) */
    double temperature;         /* < 0: the server's default (INIT: -1) */
    unsigned max_tokens;        /* per critique or revision; 0: the server's default */
    uint64_t seed;              /* principle sampling, with each item's id (INIT: 0) */
    int force;                  /* accept a non-empty output directory without a journal */
    int dry_run;                /* read and count, send nothing, write nothing */
    uint64_t shard_records;     /* records per output shard; 0 = one file */
    double price_in, price_out; /* USD per million tokens (cost, --max-cost) */
    double max_cost;            /* 0: no cap */
    cai_revise_progress_fn progress; /* may be NULL */
    void *progress_payload;
} cai_revise_opts;

#define CAI_REVISE_OPTS_VERSION 1

/* Fills *o with the defaults of that version; CAI_EINVAL for an unknown version or NULL o. */
CAI_EXTERN cai_status cai_revise_opts_init(cai_revise_opts *o, unsigned version);

typedef struct cai_revise_summary {
    uint64_t inputs;           /* input records read */
    uint64_t items;            /* (prompt, response) items */
    uint64_t records;          /* SFT records written (one per item not failed) */
    uint64_t flagged;          /* of them, with a flagged final revision */
    uint64_t failed;           /* items whose requests failed for good (failed.jsonl.gz) */
    uint64_t requests_planned; /* critique and revision requests the items need */
    uint64_t resumed;          /* requests answered from the journal */
    uint64_t prompt_tokens, completion_tokens; /* this process */
    double cost;
    char *first_body; /* dry run: the first critique request body (owned by the handle) */
} cai_revise_summary;

typedef struct cai_revise cai_revise;

CAI_EXTERN cai_status cai_revise_create(cai_revise **out, const cai_revise_opts *o, cai_error *err);
/*
 * Runs the stage. Errors: CAI_EINVAL/CAI_EPARSE/CAI_ESCHEMA (input, naming file:line; a
 * constitution without a principle that has critique and revision requests), CAI_EIO,
 * CAI_EMISMATCH (the journal was written with other settings), CAI_EINTERRUPTED (stopped:
 * rerun to resume), the endpoint's health (CAI_ETRANSPORT, CAI_EHTTP), CAI_EBUDGET; an item
 * whose requests fail for good is written to failed.jsonl.gz and counted, not an error.
 */
CAI_EXTERN cai_status cai_revise_execute(cai_revise *r, cai_revise_summary *sum, cai_error *err);
CAI_EXTERN void cai_revise_stop(cai_revise *r); /* async-signal-safe */
CAI_EXTERN void cai_revise_free(cai_revise *r);

CAI_END_DECL

#endif

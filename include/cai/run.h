/* SPDX-License-Identifier: MIT */
/* The batch labelling job: input pairs + constitution + judge -> a resumable preference dataset. */
#ifndef CAI_RUN_H
#define CAI_RUN_H

#include "cai/common.h"
#include "cai/health.h"
#include "cai/judge.h"
#include "cai/record.h"
#include "cai/shard.h"

CAI_BEGIN_DECL

/* Output record shapes. */
typedef enum cai_out_format {
    CAI_OUT_TRL = 0,        /* {"prompt","chosen","rejected"} strings (TRL standard) */
    CAI_OUT_CONVERSATIONAL, /* prompt/chosen/rejected as message lists (TRL conversational) */
    CAI_OUT_HH,             /* {"chosen","rejected"} HH-RLHF transcripts */
    /* The default: CONVERSATIONAL when any input pair has a message-list prompt, else TRL. One
     * dataset never mixes the two, so every record has the same JSON types (see the README). */
    CAI_OUT_AUTO
} cai_out_format;

/* "trl", "conversational", "hh", "auto"; -1 */
CAI_EXTERN int cai_out_format_parse(const char *name);
CAI_EXTERN const char *cai_out_format_name(cai_out_format f);

/*
 * What the `margin` column holds. TRL's RewardTrainer and OpenRLHF (--margin_loss) subtract it
 * inside -log sigmoid(r_chosen - r_rejected - margin), which demands a reward gap of at least the
 * margin, so a large margin on confident labels pushes gaps far apart:
 *   LOGIT  ln(p / (1 - p)), the gap the soft label implies (up to 13.8 at p = 1 - 1e-6);
 *   CAPPED min(LOGIT, margin_cap): the default, cap 3 (the scale of Llama 2's margins);
 *   NONE   no margin column (the plain Bradley-Terry loss in both trainers).
 */
typedef enum cai_margin_mode {
    CAI_MARGIN_CAPPED = 0,
    CAI_MARGIN_LOGIT,
    CAI_MARGIN_NONE
} cai_margin_mode;

CAI_EXTERN int cai_margin_mode_parse(const char *name); /* "capped", "logit", "none"; -1 */
CAI_EXTERN const char *cai_margin_mode_name(cai_margin_mode m);

/* Progress, reported every progress_interval_s and once at the end. */
typedef struct cai_run_progress {
    uint64_t pairs_total; /* pairs planned (after --limit) */
    uint64_t pairs_done;  /* pairs finished (kept, tie or failed) */
    uint64_t judgments_total;
    uint64_t judgments_done; /* including those replayed from the journal */
    uint64_t judgments_replayed;
    uint64_t retries;
    uint64_t failures; /* failed judgments */
    uint64_t prompt_tokens;
    uint64_t completion_tokens;
    double cost; /* estimated from prices; 0 without prices */
    double elapsed_s;
    double rate; /* judgments per second sent this run */
    int final;   /* 1 for the last report */
    /* --batch, while waiting for the provider's batches (one report per round of status
     * requests; the fields above other than the totals and elapsed_s are 0 then): */
    int batch_waiting;
    unsigned batches_in_flight;
    uint64_t batch_requests;        /* in the batches polled (the providers' request_counts) */
    uint64_t batch_requests_done;   /* answered so far */
    uint64_t batch_requests_failed; /* errored or expired so far (they go again) */
} cai_run_progress;

typedef void (*cai_run_progress_fn)(const cai_run_progress *p, void *payload);

typedef struct cai_run_opts {
    unsigned version;
    /* files (plain or gzip), or cai output directories: the data shards their manifest.json
     * lists, in its order, each checked against the manifest's SHA-256 and size before use
     * (CAI_EMISMATCH naming the shard; a missing one CAI_EIO); at least one */
    const char *const *inputs;
    size_t n_inputs;
    cai_format input_format;  /* AUTO */
    int skip_invalid;         /* skip bad input lines (counted and listed) instead of stopping */
    const char *constitution; /* path */
    const char *output_dir;
    int force;   /* use a non-empty output_dir that holds no cai journal (cai's names replaced) */
    int no_lock; /* do not lock output_dir (file systems without locks); dangerous */
    cai_judge_opts judge;
    uint64_t seed;
    unsigned principles_per_pair; /* 0 = 1 */
    int no_swap;                  /* 1: judge each (pair, principle) in one order only */
    unsigned samples;             /* self-consistency samples per order; 0 = 1 */
    cai_out_format format;
    double test_fraction;        /* share of prompts in the test split */
    double min_margin;           /* |P(A) - 0.5| <= min_margin is a tie */
    int keep_ties;               /* write ties (p_chosen 0.5) instead of dropping them */
    double max_failure_rate;     /* exit 1 when failed pairs / pairs exceed it */
    uint64_t limit;              /* 0 = all pairs */
    uint64_t shard_records;      /* records per shard; 0 = 100000 */
    int gzip_level;              /* zlib level of the output files, 1-9; 0 = 6 */
    int dry_run;                 /* plan and estimate; send and write nothing */
    double price_input_per_mtok; /* USD per million prompt tokens; 0 = unknown */
    double price_output_per_mtok;
    double max_cost; /* USD cap on the spend recorded in the journal plus this run's; needs a
                        price; 0 = none. Reached: CAI_EBUDGET, resumable with a higher cap */
    int no_validate; /* skip validating the output at the end */
    double progress_interval_s; /* 0 = 1 s */
    cai_run_progress_fn progress;
    void *progress_payload;
    int repair_journal;     /* a journal whose header is damaged gets a header from these settings;
                               its entries with intact CRCs are kept (see docs/judges.md) */
    cai_margin_mode margin; /* the `margin` column: CAI_MARGIN_CAPPED (default) */
    double margin_cap;      /* CAI_MARGIN_CAPPED: the largest margin; 0 = 3.0 */
    const char *license;    /* dataset card `license`; NULL = "other" */
    const char *language;   /* dataset card `language`; NULL = "en" */
    const char *command_line; /* recorded in the manifest as given; NULL = not known */
    /* USD per million prompt tokens the server read from its prefix cache (usage's cached
     * tokens); 0 = billed at price_input_per_mtok */
    double price_cached_input_per_mtok;
    /* Judge and write only this shard's pairs (count 0: all). The input is still read and
     * validated whole; the spec is part of the journal's fingerprint. See docs/scale.md. */
    cai_shard shard;
    /* cai merge: the finished shard directories of one run. The unsharded plan is replayed
     * with every judgment taken from the shard that owns its pair; nothing is sent. */
    const char *const *merge_dirs;
    size_t n_merge_dirs;
    /* judge.mode CAI_MODE_RATING: each response is rated 1..7 alone against each principle and
     * a pair's P(A) = 1 / (1 + exp(-(mean score A - mean score B) / rating_scale)); 0 = 1 */
    double rating_scale;
    /* A calibration saved by `cai calibrate --save` (a path), applied to each record's P(A) as
     * it is written (recorded in the manifest and card); the journal keeps the judge's own
     * numbers. NULL = none. */
    const char *calibration;
    /* The providers' batch APIs (docs/scale.md, "Batch APIs"): every judgment the journal lacks
     * goes to the OpenAI Batch API or Anthropic Message Batches at the batch price; the replies
     * are written to the journal, and the dataset is then written from it, as a resume would.
     * What failed in batch_max_rounds submissions is asked online. Needs an HTTP backend. */
    int batch;
    double batch_wait_s;       /* -1 (INIT): until every batch has ended; else at most this
                                  long, then CAI_EPENDING (the batches stay recorded) */
    double batch_poll_s;       /* between status requests; 0 = 30 */
    double batch_discount;     /* batch price / the price_* options; 0 = 0.5 (both providers) */
    size_t batch_max_requests; /* per batch; 0 = the provider's (OpenAI 50,000, Anthropic
                                  100,000) */
    size_t batch_max_bytes;    /* per batch; 0 = the provider's (200 MB, 256 MB) */
    unsigned batch_max_rounds; /* submissions of one request before it is asked online; 0 = 3 */
} cai_run_opts;

#define CAI_RUN_OPTS_VERSION 2

/*
 * Fills *o with the defaults of that version (judge: cai_judge_opts_init's); CAI_EINVAL for an
 * unknown version. Pass CAI_RUN_OPTS_VERSION. cai_run_opts embeds cai_judge_opts by value: a
 * new judge field bumps both versions (see cai/common.h), and cai_run_create checks both.
 */
CAI_EXTERN cai_status cai_run_opts_init(cai_run_opts *o, unsigned version);

/* What a finished (or dry) run did. */
typedef struct cai_run_summary {
    uint64_t pairs_read;
    uint64_t pairs_judged;       /* all judgments finished OK */
    uint64_t pairs_kept;         /* written to the dataset */
    uint64_t ties;               /* dropped (or kept with keep_ties) as ties */
    uint64_t failed;             /* judgments failed for good; in failed.jsonl.gz */
    uint64_t unjudgeable;        /* empty or identical responses; in failed.jsonl.gz, unjudged */
    uint64_t skipped_input;      /* invalid input lines skipped (skip_invalid) */
    uint64_t train, test;        /* records per split */
    uint64_t judgments;          /* judgments in the plan */
    uint64_t judgments_sent;     /* judgments asked of the judge this run */
    uint64_t judgments_replayed; /* judgments taken from the journal */
    uint64_t prompt_tokens, completion_tokens;
    double cost;
    double position_consistency; /* share of (pair, principle) whose two orders agree; NaN */
    double position_a_rate;      /* share of kept pairs whose chosen response was response_a */
    double longer_rate;          /* share of kept pairs whose chosen response is the longer */
    double mean_p_chosen;
    int failure_rate_exceeded;
    int validation_findings; /* errors found validating the output; -1 = not run */
    /* decided (not tie) pairs whose input carried a human label (hh, trl), and those whose
     * chosen response is the human-preferred one: health.human_n and health.human_agree, the
     * one count of them, copied here */
    uint64_t human_labelled;
    uint64_t human_agree;
    double elapsed_s;
    /* Judgments by where their probability came from, over the whole journal (replayed ones
     * included): pairs_read = pairs_kept + ties (when not kept) + failed + unjudgeable. */
    int logprobs_requested; /* 1: a text verdict is a fallback (cai_judge_asks_logprobs) */
    uint64_t judgments_from_logprobs;
    uint64_t judgments_from_text; /* text verdicts: fallbacks when logprobs_requested */
    uint64_t judgments_failed;    /* judgments failed for good this run */
    uint64_t judgments_truncated; /* the server counted < half the prompt's estimated tokens */
    uint64_t reasoning_tokens;    /* part of completion_tokens */
    /* Judge health, measured on every run (docs/judges.md): the counts and the verdict on them.
     * The library only reports; `cai run` exits 1 on errors unless told to accept them. */
    int validation_warnings; /* warnings found validating the output (judge health aside) */
    cai_health_counts health;
    cai_health_report health_report;
    uint64_t requests;           /* HTTP requests sent this run (re-sends and probes included) */
    uint64_t judgments_answered; /* judgments answered this run and written to the journal */
    uint64_t timeouts;           /* requests that ran past --timeout (each re-sent or failed) */
    double spent;                /* estimated USD over the whole journal (needs prices) */
    /* Part of prompt_tokens the server read from its prefix cache, as its usage reports them;
     * this run's requests only (the journal does not keep them). */
    uint64_t cached_prompt_tokens;
    /* Per judge endpoint, this run's requests (cai_judge_get_endpoint_stats); borrowed from the
     * run until cai_run_free. n_endpoints 0: builtin backend or a dry run. */
    const cai_judge_endpoint_stats *endpoints;
    size_t n_endpoints;
    /* --batch (docs/scale.md): what this run's batch client did. The judgments the batches
     * answered (succeeded) are counted here, not in judgments_replayed; cost uses the batch
     * price (the --price-* options times discount). All 0 without --batch. */
    struct cai_run_batch_summary {
        int used;            /* 1: the run had --batch */
        uint64_t batches;    /* batches created this run */
        uint64_t submitted;  /* requests in them (retries included) */
        uint64_t reattached; /* judgments held by batches an earlier run left in flight */
        uint64_t succeeded;  /* judgments the batches answered this run (into the journal) */
        uint64_t retried;    /* requests submitted again (expired, errored, no verdict) */
        uint64_t failed;     /* failed for good after --batch-rounds (asked online after) */
        double discount;     /* the batch price as a share of the online one */
    } batch;
} cai_run_summary;

typedef struct cai_run cai_run;

CAI_EXTERN cai_status cai_run_create(cai_run **out, const cai_run_opts *opts, cai_error *err);

/*
 * Runs the job. CAI_OK when the dataset was written (check summary->failure_rate_exceeded and
 * validation_findings); CAI_EINTERRUPTED after cai_run_stop() (the journal is flushed, nothing is
 * written under a final name; the same call resumes); CAI_EBUDGET at the max_cost cap (in-flight
 * requests finished and journaled; the same call with a higher cap resumes); CAI_EMISMATCH when
 * the output directory holds a journal of different settings; CAI_ELOCKED when another run holds
 * the output directory (the message names its pid and host); CAI_ETRANSPORT or CAI_EHTTP when
 * the judge is unreachable or refuses (cai_judge_perform; the journal keeps what was answered);
 * CAI_EINVAL for an empty output path, a non-empty directory that is not cai's (without force)
 * or a public endpoint without a key (before anything is created); input errors otherwise.
 */
CAI_EXTERN cai_status cai_run_execute(cai_run *r, cai_run_summary *summary, cai_error *err);

/* Async-signal-safe: stop sending, let in-flight requests finish briefly, flush the journal and
 * return CAI_EINTERRUPTED. A second call abandons in-flight requests at once (they were not
 * journaled, so nothing answered is lost). */
CAI_EXTERN void cai_run_stop(cai_run *r);

/*
 * After cai_run_execute: the i-th input line skipped with skip_invalid ("FILE:LINE: reason"), or
 * NULL past the end. The first CAI_RUN_SKIPPED_KEPT are kept; summary.skipped_input counts them
 * all, and failed.jsonl.gz lists every one (id null, file, line, reason). Borrowed until
 * cai_run_free.
 */
#define CAI_RUN_SKIPPED_KEPT 20
CAI_EXTERN const char *cai_run_skipped_msg(const cai_run *r, size_t i);

CAI_EXTERN void cai_run_free(cai_run *r);

CAI_END_DECL

#endif

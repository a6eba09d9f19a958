/* SPDX-License-Identifier: MIT */
/* Providers' batch APIs (OpenAI Batch, Anthropic Message Batches): the client, internal API. */
#ifndef CAI_BATCH_INT_H
#define CAI_BATCH_INT_H

#include "cai/judge.h"
#include "journal_int.h"

#include <stdint.h>

/*
 * How it fits a run (see docs/scale.md, "Batch APIs"):
 *   cai_batch__open    reads the state from the journal ("b" records) and the parts' meta
 *                      files: which batches are in flight and which judgments each holds, so
 *                      a killed run reattaches to them;
 *   cai_batch__add     for every planned judgment not in the journal: skipped when a batch in
 *                      flight holds it, else its request body (cai_judge_request_body, the
 *                      online engine's own builder) is spooled under custom_id "cai-<key hex>";
 *   cai_batch__submit  seals the spool into parts of at most max_requests / max_bytes, uploads
 *                      and creates one batch per part, and records each batch id durably;
 *   cai_batch__collect polls every batch in flight; an ended batch's replies go through the
 *                      online reply parser (cai_judge__batch_reply) to the result callback
 *                      (the run writes its journal there); failed, errored and expired requests
 *                      are submitted again in a new batch, up to max_rounds submissions.
 * A judgment is never in two batches in flight, and one the journal holds is never added, so
 * nothing is paid twice across kills.
 */

typedef struct cai_batch cai_batch;

/* What one round of status requests found (request_counts summed over the batches polled). */
typedef struct cai_batch_progress {
    unsigned polled;    /* batches polled this round */
    unsigned in_flight; /* of them, not ended */
    uint64_t requests;  /* their requests */
    uint64_t done;      /* answered so far */
    uint64_t failed;    /* errored, expired or cancelled so far */
} cai_batch_progress;

typedef void (*cai_batch_progress_fn)(const cai_batch_progress *p, void *payload);

typedef struct cai_batch_opts {
    cai_journal *journal; /* the state: "b" records (borrowed, outlives the client) */
    const char *dir;      /* where the parts are spooled (created) */
    const char *api_key;  /* borrowed; never written anywhere */
    size_t max_requests;  /* per batch; 0 = the provider's (OpenAI 50,000, Anthropic 100,000) */
    size_t max_bytes;     /* per batch file / body; 0 = the provider's (200 MB / 256 MB) */
    double poll_s;        /* between polls; 0 = 30 */
    double wait_s;        /* collect: how long to wait for batches to end; < 0 = no limit */
    unsigned max_rounds;  /* submissions of one request before it fails for good; 0 = 3 */
    double timeout_s;     /* per HTTP call; 0 = 300 */
    cai_batch_progress_fn progress; /* after each round of polls; may be NULL */
    void *progress_payload;
} cai_batch_opts;

/* One judgment's identity, as the journal keys it. Strings are borrowed during the call. */
typedef struct cai_batch_item {
    uint64_t key; /* cai_journal__key(pair_id, principle_id, order, sample) */
    const char *pair_id;
    const char *principle_id;
    unsigned order, sample;
} cai_batch_item;

/* A finished judgment: st CAI_OK with res, or its failure after max_rounds with errmsg.
 * Returning non-OK stops the collection with that status. */
/* A non-OK return stops the collection; the callback describes its failure in err. */
typedef cai_status (*cai_batch_result_fn)(const cai_batch_item *it,
                                          cai_status st,
                                          const cai_judgment *res,
                                          const char *errmsg,
                                          void *payload,
                                          cai_error *err);

typedef struct cai_batch_stats {
    uint64_t added;      /* judgments spooled this process */
    uint64_t reattached; /* judgments skipped: a batch in flight holds them */
    uint64_t batches;    /* batches created this process */
    uint64_t submitted;  /* requests in them */
    uint64_t succeeded;  /* replies with a verdict handed to the callback */
    uint64_t retried;    /* requests submitted again (errored, expired, no verdict) */
    uint64_t failed;     /* requests failed for good */
    uint64_t polls;      /* status requests */
    unsigned in_flight;  /* batches not yet collected */
} cai_batch_stats;

/* The judge j (an openai, completions or anthropic backend) renders bodies and parses replies;
 * it is borrowed and must outlive b. CAI_EINVAL for the builtin backend. */
cai_status cai_batch__open(cai_batch **out, cai_judge *j, const cai_batch_opts *o, cai_error *err);
cai_status
cai_batch__add(cai_batch *b, const cai_batch_item *it, const cai_judge_task *t, cai_error *err);
cai_status cai_batch__submit(cai_batch *b, cai_error *err);
/* CAI_OK: nothing is in flight any more. CAI_ETIMEOUT: wait_s passed with batches in flight
 * (the journal keeps them: a later call collects). */
cai_status cai_batch__collect(cai_batch *b, cai_batch_result_fn fn, void *payload, cai_error *err);
void cai_batch__get_stats(const cai_batch *b, cai_batch_stats *out);
/* Batches the journal's "b" records leave in flight (a batch made, or a file uploaded). */
cai_status cai_batch__pending(const cai_journal *jn, unsigned *n, cai_error *err);
/* Moves the state log of an older cai (DIR/batches.cai) into the journal as "b" records and
 * removes it; *n: records moved (0 when the file does not exist). */
cai_status cai_batch__migrate(cai_journal *jn, const char *old_path, unsigned *n, cai_error *err);
/* Async-signal-safe: collect returns CAI_EINTERRUPTED at its next poll. */
void cai_batch__stop(cai_batch *b);
void cai_batch__free(cai_batch *b);

/*
 * One line of a result file (pure; tested on fixtures): *key from its custom_id, and either
 * *reply (cJSON_free it: the reply body, a chat completion or a message) or, for a request that
 * did not succeed, why it did not in why. CAI_ESCHEMA: not a result line of cai's.
 */
cai_status cai_batch__parse_result(cai_backend backend,
                                   const char *line,
                                   size_t len,
                                   uint64_t *key,
                                   char **reply,
                                   char *why,
                                   size_t why_cap);

/* "cai-" and the key in 16 hex digits: matches ^[a-zA-Z0-9_-]{1,64}$. */
void cai_batch__custom_id(uint64_t key, char out[24]);

/*
 * In judge.c: the judgment of one batch reply body (a chat completion / message), by the
 * online engine's parser and rules (interpret, source, truncation); prompt_est is
 * cai_judge_estimate_tokens of the task. The judge's stats are not touched. CAI_EVERDICT
 * (errmsg set) when it holds no verdict, CAI_EPARSE / CAI_ESCHEMA when it is no reply.
 */
cai_status cai_judge__batch_reply(cai_judge *j,
                                  unsigned prompt_est,
                                  const char *body,
                                  size_t len,
                                  cai_judgment *res,
                                  cai_error *err);

/* ---- the HTTP side (batch_http.c) ---------------------------------------------------------- */

typedef struct cai_bhttp cai_bhttp;

typedef struct cai_bhttp_opts {
    cai_backend backend;
    const char *base_url; /* as the judge resolved it */
    const char *api_key;
    const char *anthropic_version;
    const char *ca_bundle;
    double timeout_s;
} cai_bhttp_opts;

typedef struct cai_bhttp_status {
    char status[32];   /* the provider's word: validating, in_progress, ended, ... */
    int ended;         /* no more progress: collect it */
    int failed;        /* OpenAI "failed": nothing ran, every request goes again */
    uint64_t total;    /* request_counts */
    uint64_t done;     /* completed / succeeded so far */
    uint64_t bad;      /* failed / errored + expired + canceled */
    char out_ref[512]; /* OpenAI output_file_id; Anthropic results_url */
    char err_ref[512]; /* OpenAI error_file_id */
    char message[256]; /* OpenAI errors.data[0].message when failed */
} cai_bhttp_status;

typedef cai_status (*cai_bhttp_line_fn)(const char *line, size_t len, void *payload);

cai_status cai_bhttp__create(cai_bhttp **out, const cai_bhttp_opts *o, cai_error *err);
void cai_bhttp__free(cai_bhttp *h);
/* The "url" of an OpenAI input line for this backend ("/v1/chat/completions", ...). */
const char *cai_bhttp__endpoint(const cai_bhttp *h);
/* OpenAI: uploads the spooled JSONL at path (purpose "batch"); file_id gets its id. */
cai_status cai_bhttp__upload(cai_bhttp *h, const char *path, char file_id[128], cai_error *err);
/* Creates a batch (OpenAI: from file_id; Anthropic: from the JSONL at path); id gets its id.
 * Not sent again when the reply is lost: that could make a second batch. */
cai_status
cai_bhttp__make(cai_bhttp *h, const char *path, const char *file_id, char id[128], cai_error *err);
/* OpenAI: the id of a batch made from file_id (a creation whose reply was lost), looked for
 * among the latest 1,000 batches of the account; "" when there is none. */
cai_status cai_bhttp__find(cai_bhttp *h, const char *file_id, char id[128], cai_error *err);
cai_status cai_bhttp__poll(cai_bhttp *h, const char *id, cai_bhttp_status *st, cai_error *err);
/* What a status reply of backend says (pure: cai_bhttp__poll's parser, tested on fixtures). */
cai_status cai_bhttp__parse_status(
    cai_backend backend, const char *body, size_t len, cai_bhttp_status *s, cai_error *err);
/* Streams a result file (OpenAI file id, Anthropic results_url) line by line. */
cai_status cai_bhttp__download(
    cai_bhttp *h, const char *ref, cai_bhttp_line_fn fn, void *payload, cai_error *err);

#endif

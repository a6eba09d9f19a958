/* SPDX-License-Identifier: MIT */
/* The judge engine: many comparisons in flight over HTTP (or offline), retries, rate limits. */
#ifndef CAI_JUDGE_H
#define CAI_JUDGE_H

#include "cai/common.h"
#include "cai/constitution.h"
#include "cai/prompt.h"
#include "cai/verdict.h"

CAI_BEGIN_DECL

typedef enum cai_backend {
    CAI_BACKEND_BUILTIN = 0, /* offline heuristics; no network */
    CAI_BACKEND_OPENAI,      /* POST {base}/chat/completions */
    CAI_BACKEND_COMPLETIONS, /* POST {base}/completions */
    CAI_BACKEND_ANTHROPIC    /* POST {base}/v1/messages */
} cai_backend;

CAI_EXTERN int cai_backend_parse(const char *name); /* -1 if unknown */
CAI_EXTERN const char *cai_backend_name(cai_backend b);

typedef struct cai_judge_opts {
    unsigned version;
    cai_backend backend;
    const char *base_url;   /* default per backend (OpenAI / Anthropic public endpoints) */
    const char *model;      /* required for HTTP backends */
    const char *api_key;    /* copied; never printed, logged or written */
    const char *ca_bundle;  /* NULL = system store; TLS verification is always on */
    cai_judge_mode mode;    /* choice (default), cot, rating */
    unsigned concurrency;   /* most requests in flight (the limiter may keep fewer); 0 = 64 */
    double timeout_s;       /* per request; 0 = 60 */
    unsigned max_retries;   /* per request, transport/HTTP; 0 = none (INIT: 8) */
    unsigned parse_retries; /* extra attempts when a reply has no verdict (INIT: 2) */
    double backoff_base_s;  /* first backoff; 0 = 0.5 (tests use tiny values) */
    double backoff_max_s;   /* backoff cap; 0 = 30 */
    double rpm;             /* client-side requests per minute; 0 = unlimited */
    double tpm;             /* client-side tokens per minute; 0 = unlimited */
    unsigned top_logprobs;  /* 0 = 10 (openai), 5 (completions) */
    unsigned max_tokens;    /* 0 = 1 for choice/rating, 512 for cot */
    double temperature;     /* default 0 */
    double cot_clamp_lo;    /* CoT probabilities clamped to [lo, hi]; 0/0 = 0.4/0.6 */
    double cot_clamp_hi;
    const char *anthropic_version; /* NULL = "2023-06-01" */
    const char *cache_dir;         /* NULL = no on-disk cache of answered bodies */
    uint64_t rng_seed;             /* jitter RNG seed */
    double down_timeout_s;         /* breaker: how long the judge may stay unreachable; 0 = 60 */
    double stop_grace_s; /* after a first stop, how long in-flight requests may finish; 0 = 5 */
    /* version 2: several endpoints serving one model (self-hosted replicas behind no load
     * balancer). n_base_urls > 1: base_urls replace base_url (borrowed until create returns);
     * each endpoint gets `concurrency` requests in flight, its own breaker, limiter and rpm/tpm
     * pacing, and the engine sends each request to the one with the fewest in flight (see
     * docs/scale.md). 0 or 1: base_url (or base_urls[0]) alone, as in version 1. */
    const char *const *base_urls;
    size_t n_base_urls;
} cai_judge_opts;

/* Everything not named is 0/NULL: the builtin backend, choice mode, and the defaults above. */
/* Zero means "default" for every field except the retry counts, where 0 means none. */
#define CAI_JUDGE_OPTS_VERSION 2

/* Fills *o with the defaults of that version of the struct; CAI_EINVAL for an unknown
 * version (or NULL o). Pass CAI_JUDGE_OPTS_VERSION. */
CAI_EXTERN cai_status cai_judge_opts_init(cai_judge_opts *o, unsigned version);

#ifndef __cplusplus
/* C only (a compound literal): the same defaults as cai_judge_opts_init. */
#define CAI_JUDGE_OPTS_INIT                                                                        \
    ((cai_judge_opts){.version = CAI_JUDGE_OPTS_VERSION, .max_retries = 8, .parse_retries = 2})
#endif

/*
 * What a request asks for. Each kind has its inputs in cai_judge_task and its parsed result in
 * cai_judge_completion.result. Only judgments exist today; the later stages (issue 14: sample,
 * critique, revision) extend the engine by adding, for a kind:
 *   1. a value here (appended: values are never renumbered),
 *   2. its inputs as new fields at the end of cai_judge_task (zero = unused by other kinds),
 *   3. its parsed result as a member of the union cai_judge_completion.result,
 *   4. in the library: its body renderer (pipeline/engine.c, build_body) and its reply
 *      interpreter (pipeline/judge_reply.c, next to cai_judge__interpret), switched on the kind.
 * Everything else (slots, retries, the health gate, caches, completions) is shared by all kinds.
 */
typedef enum cai_request_kind {
    CAI_REQUEST_JUDGMENT = 0, /* cmp + sample -> result.judgment */
    CAI_REQUEST_SAMPLE,       /* gen -> result.generation: responses of a policy */
    CAI_REQUEST_CRITIQUE,     /* gen (the critique prompt as one user turn) -> result.generation */
    CAI_REQUEST_REVISION      /* gen (the revision prompt as one user turn) -> result.generation */
} cai_request_kind;

/* The name of a kind ("judgment", "sample", "critique", "revision"); NULL if unknown. */
CAI_EXTERN const char *cai_request_kind_name(cai_request_kind k);

/*
 * The inputs of a generation request (SAMPLE, CRITIQUE, REVISION): a conversation ending on a
 * user turn, sent to the judge's backend and model with these sampling settings (the judge's
 * own temperature and max_tokens are not used). Strings stay borrowed like the task's.
 */
typedef struct cai_gen_request {
    const cai_message *messages; /* roles system/user/assistant; the last one the user's */
    size_t n_messages;
    unsigned n;              /* responses wanted (>= 1); n > 1 only where the backend takes "n" */
    long long seed;          /* < 0: none; else sent where honoured, seed + k for a re-ask */
    double temperature;      /* < 0: the server's default */
    double top_p;            /* < 0: the server's default */
    unsigned max_tokens;     /* 0: the server's default (Anthropic: 1024) */
    const char *const *stop; /* may be NULL */
    size_t n_stop;
    const char *system; /* NULL: none */
} cai_gen_request;

/* One request. Strings stay borrowed until its completion has been read (cai_judge_read) and
 * the next cai_judge_read or cai_judge_perform call. */
typedef struct cai_judge_task {
    cai_comparison cmp;
    unsigned sample;       /* self-consistency sample index; part of nothing sent unless temp > 0 */
    void *payload;         /* the caller's key: given back, untouched, in the completion */
    cai_request_kind kind; /* 0 = CAI_REQUEST_JUDGMENT */
    const cai_gen_request *gen; /* generation kinds: the request (borrowed like the strings) */
} cai_judge_task;

/* Where a judgment's probability came from. */
typedef enum cai_judgment_source {
    CAI_SOURCE_NONE = 0,     /* no judgment (failed) */
    CAI_SOURCE_LOGPROBS,     /* the answer position's log-probabilities */
    CAI_SOURCE_TEXT,         /* a text verdict, and no log-probs were asked (cot, anthropic,
                                builtin, --top-logprobs 0) */
    CAI_SOURCE_TEXT_FALLBACK /* log-probs were asked but could not be read: a text verdict */
} cai_judgment_source;

/* A reply is taken as truncated when the server counts fewer prompt tokens than this share of
 * cai's estimate (characters / 4) for a prompt of at least CAI_TRUNCATION_MIN_TOKENS. */
#define CAI_TRUNCATION_RATIO      0.5
#define CAI_TRUNCATION_MIN_TOKENS 64

/* The parsed result of one judgment. */
typedef struct cai_judgment {
    double p_first;         /* P(first shown is better) in [0, 1]; rating mode: NaN */
    double score;           /* rating mode: expected score 1..7; else NaN */
    cai_verdict verdict;    /* choice/cot: A, B or TIE (never NONE on success); rating: NONE */
    int from_logprobs;      /* 1 when p_first came from log-probabilities */
    unsigned prompt_tokens; /* usage summed over the attempts (cached: the original's) */
    unsigned completion_tokens;
    unsigned attempts; /* HTTP attempts it took (1 = first try; 0 when cached) */
    int cached;        /* 1 when answered from the run's or the disk cache */
    cai_judgment_source source;
    unsigned reasoning_tokens;       /* part of completion_tokens (reasoning models), last reply */
    unsigned prompt_tokens_estimate; /* cai's estimate of the prompt (0 for builtin) */
    unsigned prompt_tokens_reported; /* usage.prompt_tokens of the last reply (0: not reported) */
    int truncated; /* the server reported far fewer prompt tokens than the prompt has */
} cai_judgment;

/* One generated response. finish: 0 stop, 1 length (cut by max_tokens), 2 other (content
 * filter, refusal, tool call, absent). */
typedef struct cai_gen_text {
    const char *text; /* NUL-terminated; "" for an empty or null content */
    size_t len;
    int finish;
    const char *finish_raw; /* the server's word, NULL when absent */
    long completion_tokens; /* -1 when several choices shared one reply's usage */
} cai_gen_text;

/*
 * The parsed result of a generation request: exactly n choices on success. A server that
 * answers with fewer choices than asked (one that ignores "n") is asked again for the rest,
 * with seed + (choices so far) when a seed is set; the choices keep the order they came in.
 */
typedef struct cai_generation {
    const cai_gen_text *choices;
    size_t n_choices;
    unsigned prompt_tokens; /* usage summed over the replies */
    unsigned completion_tokens;
    unsigned attempts; /* HTTP requests it took */
    unsigned replies;  /* 2xx replies that made up the choices (1 unless re-asked) */
} cai_generation;

/*
 * One finished request, read with cai_judge_read. Borrowed from the judge until the next
 * cai_judge_read, cai_judge_perform or cai_judge_free.
 */
typedef struct cai_judge_completion {
    cai_request_kind kind;
    const cai_judge_task *task; /* a copy of the task as added (task->payload is the key) */
    cai_status status;          /* CAI_OK, or the request's own final failure after retries */
    const char *message;        /* "" on success; else a one-line reason, never the API key */
    union {
        cai_judgment judgment;     /* CAI_REQUEST_JUDGMENT; on failure p_first and score are NaN */
        cai_generation generation; /* SAMPLE, CRITIQUE, REVISION; no choices on failure */
    } result;
} cai_judge_completion;

/* Running totals. */
typedef struct cai_judge_stats {
    uint64_t requests;       /* HTTP requests sent (attempts) */
    uint64_t succeeded;      /* judgments completed OK */
    uint64_t failed;         /* judgments failed for good */
    uint64_t retries;        /* re-sends after errors and after replies without a verdict */
    uint64_t parse_failures; /* replies without a verdict */
    uint64_t cache_hits;
    uint64_t prompt_tokens;
    uint64_t completion_tokens;
    unsigned in_flight;
    uint64_t truncated; /* answered replies whose prompt the server seems to have cut */
    uint64_t reasoning_tokens;
    uint64_t answered;      /* HTTP replies received (any status); requests - answered were lost */
    uint64_t conn_failures; /* attempts that got no connection or lost it */
    uint64_t timeouts;      /* attempts that ran past the timeout (re-sent or failed) */
    uint64_t probes;        /* requests sent alone while the breaker was open */
    unsigned limit;         /* the limiter's current cap on requests in flight */
    uint64_t cached_tokens; /* part of prompt_tokens the server read from its prefix cache */
} cai_judge_stats;

/* One endpoint's share of the work (cai_judge_endpoint_stats). */
typedef struct cai_judge_endpoint_stats {
    const char *url;        /* the request URL, user:password removed; borrowed from the judge */
    uint64_t requests;      /* HTTP requests sent to it (attempts and probes) */
    uint64_t answered;      /* HTTP replies of any status */
    uint64_t served;        /* requests completed OK from its replies */
    uint64_t conn_failures; /* attempts that got no connection or lost it (re-sent elsewhere) */
    uint64_t timeouts;      /* attempts that ran past the timeout */
    uint64_t probes;        /* requests sent alone while it was ejected */
    uint64_t ejections;     /* times its breaker opened: it got nothing but probes */
    uint64_t returns;       /* times a probe's reply brought it back */
    unsigned in_flight;
    unsigned limit; /* its limiter's cap on requests in flight */
    int ejected;    /* its breaker is open now */
} cai_judge_endpoint_stats;

typedef struct cai_judge cai_judge;

/*
 * c is borrowed and must outlive the judge (NULL: the built-in template, no examples).
 * Errors: CAI_EINVAL (bad options, e.g. no model for an HTTP backend), CAI_EIO (cache_dir),
 * CAI_ENOMEM. Nothing is sent here. See docs/judges.md for the wire formats and retry rules.
 */
CAI_EXTERN cai_status cai_judge_create(cai_judge **out,
                                       const cai_judge_opts *opts,
                                       const cai_constitution *c,
                                       cai_error *err);

/*
 * The engine is a submit/complete queue in the style of curl_multi: the caller owns the loop.
 * It adds requests while there is room, calls perform to move them, reads completions one by
 * one, does its own work (journal, output, progress) and waits. Retries, the 429 pool pause,
 * rpm/tpm pacing, the breaker, the adaptive limiter and the budget stay inside the engine.
 *
 *     const cai_judge_completion *c;
 *     cai_status st;
 *     for (;;) {
 *         while (cai_judge_room(j) > 0 && have_more())        // 1. submit
 *             if ((st = cai_judge_add(j, next_task(), err)) != CAI_OK)
 *                 return st;
 *         st = cai_judge_perform(j, NULL, err);              // 2. move transfers
 *         while ((c = cai_judge_read(j)) != NULL)            // 3. completions, one by one
 *             journal(c->task->payload, c->status, &c->result.judgment, c->message);
 *         if (st != CAI_OK)                                  // stopped, judge down, budget
 *             return st;
 *         if (cai_judge_pending(j) == 0 && !have_more())
 *             return CAI_OK;                                 // everything answered
 *         write_output();                                    // 4. overlaps the requests
 *         if ((st = cai_judge_wait(j, 200, err)) != CAI_OK)  // 5. until something happens
 *             return st;
 *     }
 *
 * The durability rule: perform sends nothing new while a completion is unread, so what the
 * caller does with a completion before its next perform (journal it) happens before that
 * request's capacity is reused; a SIGKILL loses at most the requests in flight.
 * One thread per judge; nothing here blocks except cai_judge_wait and cai_judge_one.
 */

/*
 * Queues t (copied; its strings stay borrowed, see cai_judge_task). Nothing is sent until the
 * next cai_judge_perform. A task answered from the cache, or whose prompt cannot be built,
 * completes at once. Errors: CAI_ELIMIT (no room: see cai_judge_room), CAI_EINVAL (an unknown
 * kind, or a public endpoint without a key: cai_judge_check).
 */
CAI_EXTERN cai_status cai_judge_add(cai_judge *j, const cai_judge_task *t, cai_error *err);

/*
 * How many more tasks may be added now: 0 once the engine is stopping (cai_judge_stop, the
 * judge's health, the budget). It follows the limiter: requests in flight plus as many built
 * to follow, so a judge that slows down is not handed work it cannot take.
 */
CAI_EXTERN size_t cai_judge_room(const cai_judge *j);

/* Tasks added whose completion has not been read yet (queued, in flight, retrying, unread). */
CAI_EXTERN size_t cai_judge_pending(const cai_judge *j);

/*
 * Sends what may go out (due retries, then queued tasks, within the concurrency, the limiter,
 * the pool pause and the rate limits; nothing while a completion is unread), moves the
 * transfers and turns finished ones into completions (a failed request is a completion, not an
 * error here). *running (may be NULL): tasks not yet completed.
 * CAI_OK: go on. Otherwise the engine has ended, and completions already made may still be
 * read: CAI_EINTERRUPTED (cai_judge_stop: nothing new is sent; in-flight requests got
 * stop_grace_s to finish, a second stop abandons them at once), CAI_ETRANSPORT or CAI_EHTTP
 * (the judge's health: before the first reply a refused connection or HTTP 401/403/404; after
 * it, the judge unreachable for down_timeout_s), CAI_EBUDGET (the cap reached, after in-flight
 * requests finished), CAI_ENOMEM or CAI_ETRANSPORT from curl itself. Requests abandoned in
 * these cases produce no completion (a resumed run asks again).
 */
CAI_EXTERN cai_status cai_judge_perform(cai_judge *j, unsigned *running, cai_error *err);

/* The next completion (oldest first; see cai_judge_completion for how long it lives), or NULL
 * when there is none. Reading a completion gives its slot back (cai_judge_room). */
CAI_EXTERN const cai_judge_completion *cai_judge_read(cai_judge *j);

/*
 * Waits up to timeout_ms (and at most 200 ms, so that cai_judge_stop is noticed) for network
 * activity or the engine's next timer (a retry, a probe, the pool pause). Returns at once when
 * a completion is unread or the backend is builtin. CAI_ETRANSPORT when poll(2) fails.
 */
CAI_EXTERN cai_status cai_judge_wait(cai_judge *j, int timeout_ms, cai_error *err);

/*
 * Judges one task synchronously (for `cai judge`): add, perform, wait and read in one call, on
 * a judge with nothing pending (CAI_EINVAL otherwise). Optional raw copies (caller frees): the
 * request body as sent (NULL for builtin) and the last raw reply, scrubbed of the key (NULL for
 * builtin or a cache hit). Returns the judgment's own failure status (CAI_EHTTP, CAI_ETIMEOUT,
 * CAI_ETRANSPORT, CAI_ERATELIMIT, CAI_EVERDICT, CAI_ELIMIT) with the reason in err.
 */
CAI_EXTERN cai_status cai_judge_one(cai_judge *j,
                                    const cai_judge_task *t,
                                    cai_judgment *res,
                                    char **request_body,
                                    char **reply_body,
                                    cai_error *err);

/* The exact request body that would be sent for t (for --dry-run). Caller frees; *body is
 * NULL for the builtin backend, which sends nothing. */
CAI_EXTERN cai_status cai_judge_request_body(cai_judge *j,
                                             const cai_judge_task *t,
                                             char **body,
                                             cai_error *err);

/*
 * Async-signal-safe: the first call asks the engine to stop sending; cai_judge_perform returns
 * CAI_EINTERRUPTED once in-flight requests finish (or stop_grace_s passes); a second call
 * abandons them at once.
 */
CAI_EXTERN void cai_judge_stop(cai_judge *j);

/*
 * What can be checked without sending: an HTTP judge aimed at a public provider endpoint
 * (api.openai.com, api.anthropic.com) with no API key is refused with CAI_EINVAL.
 * cai_judge_add checks it too.
 */
CAI_EXTERN cai_status cai_judge_check(const cai_judge *j, cai_error *err);

/*
 * Spending cap: USD per million prompt and completion tokens, the cap (0 = none) and what was
 * spent before this judge (e.g. by the runs recorded in a journal). A request is sent only when
 * spent + answered requests + requests in flight (estimated from the body size and max_tokens)
 * + its own estimate stay within the cap; otherwise nothing more is sent and cai_judge_perform
 * returns CAI_EBUDGET once in-flight requests have finished.
 */
CAI_EXTERN void cai_judge_set_budget(cai_judge *j,
                                     double price_in_per_mtok,
                                     double price_out_per_mtok,
                                     double max_cost,
                                     double spent);

/* USD spent by this judge's answered requests (tokens from usage, else the estimate). */
CAI_EXTERN double cai_judge_spent(const cai_judge *j);

CAI_EXTERN void cai_judge_get_stats(const cai_judge *j, cai_judge_stats *out);

/* How many endpoints the judge sends to (1 for one base_url; 0 for the builtin backend). */
CAI_EXTERN size_t cai_judge_endpoint_count(const cai_judge *j);
/* Endpoint i's counts (i < cai_judge_endpoint_count; zeroed otherwise). */
CAI_EXTERN void
cai_judge_get_endpoint_stats(const cai_judge *j, size_t i, cai_judge_endpoint_stats *out);

/*
 * With several endpoints: asks each for its models (GET {base}/models; Anthropic:
 * {base}/v1/models) and refuses a mix, since which endpoint answers must never change a label.
 * Every endpoint must list the judge's model: CAI_EINVAL names each endpoint with what it
 * serves. An endpoint that does not serve the list (HTTP 404) is not compared. An endpoint
 * that cannot be reached, or answers another error: CAI_ETRANSPORT / CAI_EHTTP naming it.
 * One endpoint, or the builtin backend: CAI_OK without sending anything. Blocks (each GET
 * within the judge's timeout, at most 10 s).
 */
CAI_EXTERN cai_status cai_judge_check_endpoints(cai_judge *j, cai_error *err);

/* The options in effect: every "0 = default" resolved (top_logprobs 10 or 5, max_tokens 1 or
 * 512, timeout_s 60, ...). Strings are borrowed from j; api_key is always NULL here. */
CAI_EXTERN void cai_judge_get_opts(const cai_judge *j, cai_judge_opts *out);

/* 1 when log-probabilities are asked for (choice or rating mode, an OpenAI-shaped backend and
 * top_logprobs > 0): a text verdict is then a fallback. */
CAI_EXTERN int cai_judge_asks_logprobs(const cai_judge *j);

/* Estimated tokens of a task's prompt (for --dry-run and the token bucket). */
CAI_EXTERN unsigned cai_judge_estimate_tokens(cai_judge *j, const cai_judge_task *t);

CAI_EXTERN void cai_judge_free(cai_judge *j);

/* A URL with any user:password removed, for printing and manifests. Caller frees. */
CAI_EXTERN char *cai_url_redact(const char *url);

CAI_END_DECL

#endif

/* SPDX-License-Identifier: MIT */
/* A fake LLM judge server for tests: HTTP/1.1 on 127.0.0.1 in its own thread, with faults. */
#ifndef CAI_FAKE_LLM_H
#define CAI_FAKE_LLM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The server speaks three wire formats:
 *   POST /v1/chat/completions  (OpenAI chat; logprobs/top_logprobs honoured)
 *   POST /v1/completions       (OpenAI legacy; "logprobs": N gives top-N maps)
 *   POST /v1/messages          (Anthropic; x-api-key and anthropic-version required, else 400)
 *
 * Verdicts are deterministic: h = FNV-1a 64 (cai_hash64) of the decoded prompt text (message
 * contents / system / prompt string, concatenated, so JSON escaping does not matter) seeded with
 * opts.seed; p = 0.02 + 0.96 * (h % 10000) / 9999 is P(A) (the HASH rule; opts.judge chooses
 * another, see fake_judge_kind); the top token is "A" when p >= 0.5.
 * Scripted labels: a response holding "[[p=0.NN]]" against one holding "[[other]]" gets
 * P(A) = 0.NN when shown first and 1 - 0.NN when shown second.
 * Modes, decided from the request:
 *   - rating: the prompt contains "1 to 7", "Rating" or "rating" and does NOT contain "(B)" (so a
 *     response that merely mentions a rating cannot turn a two-response prompt into one);
 *     the reply is a digit 1..7 with digit log-probs;
 *   - chain of thought: max_tokens > 16 (or no max_tokens and the prompt contains "Verdict:");
 *     the reply is a short reasoning text and a final line "Verdict: (A)" / "Rating: 5";
 *   - otherwise a single letter.
 *
 * Every request is answered by exactly one fault kind (FAKE_OK for a normal answer). Order of
 * decision: malformed request (400/404/405, no fault consumed) > set_always > the FIFO of pushed
 * faults > random injection (fault_rate over fault_mask, decided by a hash of (seed, body, how many
 * times this exact body was received before)).
 *
 * Recorded statuses: the HTTP status sent; FAKE_HANG and FAKE_RESET are recorded as status 0 (no
 * complete answer). "Successes" are 200 replies that carry a verdict (FAKE_OK, FAKE_NO_LOGPROBS),
 * counted when the request is decided (a client that gives up during latency_ms still "paid").
 *
 * Thread safety: every function may be called from any thread while the server runs.
 */

typedef struct fake_llm fake_llm;

typedef enum fake_fault {
    FAKE_OK = 0,
    FAKE_429,         /* 429 + Retry-After: retry_after_s, error body in the path's dialect */
    FAKE_500,         /* 500 + error body */
    FAKE_503,         /* 503 + error body */
    FAKE_HANG,        /* reads the request, never answers until the client closes */
    FAKE_RESET,       /* status line, headers and half the body, then RST (SO_LINGER 0) */
    FAKE_BAD_JSON,    /* 200 with truncated, invalid JSON */
    FAKE_NO_LOGPROBS, /* 200, valid reply with "logprobs": null */
    FAKE_NO_VERDICT,  /* 200 with "I'm not able to decide." and no A/B (or digit) log-probs */
    FAKE_401_ECHO,    /* 401 whose message echoes the Authorization / x-api-key value */
    FAKE_NFAULTS
} fake_fault;

typedef struct fake_llm_opts {
    unsigned latency_ms;  /* delay before each answer (timer based, not sleeping the thread) */
    double fault_rate;    /* probability of a random fault per request, 0..1 */
    unsigned fault_mask;  /* bit (1u << fault) for faults eligible for random injection; 0 = all
                             but FAKE_OK and FAKE_401_ECHO */
    uint64_t seed;        /* verdict hash seed and fault RNG seed (faults decided by a hash of
                             (seed, request body, attempt count for this body) so a retry of a
                             faulted request can succeed and runs are reproducible) */
    int retry_after_s;    /* value of Retry-After on 429 (default 0) */
    const char *log_path; /* if set, append one line per request: "<status> <fnv64-hex of body>
                             <path>\n" (flushed per line); fnv64 = cai_hash64(body, len, 0) */
    unsigned port;        /* 0 = kernel-chosen (the default) */
    int judge;            /* fake_judge_kind: how P(A) is decided (default FAKE_JUDGE_CONSISTENT) */
} fake_llm_opts;

/*
 * How the judge decides P(first shown is better), for judge-health tests:
 *   CONSISTENT (default) a function of the unordered pair and the principle, mirrored when the
 *              order is swapped, like a real judge: each response gets a quality
 *              q = hash(principle, response) in [0, 1) and P = 1 / (1 + e^(-6 (q_first -
 *              q_second))) plus noise of +-0.05 from the prompt hash (clamped to [0.02, 0.98]);
 *              prompts without cai's RESPONSE_A / RESPONSE_B blocks get the HASH rule;
 *   HASH       the hash rule above, of the whole prompt: the two presentation orders of a pair
 *              are independent draws, so order consistency is ~50% (the default before judge
 *              health existed; every suite passes with either);
 *   COIN       a confident coin flip per request: P = 0.95 or 0.05 by the prompt hash;
 *   FIRST      always prefers the first-shown response: P = 0.97.
 */
typedef enum fake_judge_kind {
    FAKE_JUDGE_CONSISTENT = 0,
    FAKE_JUDGE_HASH,
    FAKE_JUDGE_COIN,
    FAKE_JUDGE_FIRST
} fake_judge_kind;

/* "consistent", "hash", "coin", "first" -> kind; -1 when unknown. */
int fake_judge_kind_parse(const char *name);

#define FAKE_LLM_OPTS_INIT ((fake_llm_opts){0, 0.0, 0, 0, 0, NULL, 0, FAKE_JUDGE_CONSISTENT})

/* Starts the server thread (opts may be NULL for defaults). NULL on failure. */
fake_llm *fake_llm_start(const fake_llm_opts *opts);
/* Stops the thread, closes every connection (hung ones included) and frees s. NULL is a no-op. */
void fake_llm_stop(fake_llm *s);
/* "http://127.0.0.1:PORT/v1": base URL for the openai and completions backends. Valid until stop.
 */
const char *fake_llm_url(const fake_llm *s);
/* "http://127.0.0.1:PORT": base URL for Anthropic clients (they append /v1/messages). */
const char *fake_llm_root_url(const fake_llm *s);
/* fork() made safe for a child that runs library code without exec: the server thread is parked
 * (holding no lock, the allocator's included) while the process forks, then resumes in the
 * parent; the child has no server thread and talks to the parent's over TCP. Forking while the
 * thread runs can leave the child blocked on a lock that thread held (seen as a CI timeout). */
pid_t fake_llm_fork(fake_llm *s);
/* The TCP port the server listens on. */
unsigned fake_llm_port(const fake_llm *s);

/* The next `count` requests get f (FIFO queue of scripted faults, before random ones). */
void fake_llm_push_fault(fake_llm *s, fake_fault f, unsigned count);
void fake_llm_set_fault_rate(fake_llm *s, double rate);
/* Every request gets f until set back to FAKE_OK (overrides the queue and random faults). */
void fake_llm_set_always(fake_llm *s, fake_fault f);
/* Crash at a known point: SIGKILLs process pid when the server receives its m-th request from
 * now (m >= 1; the first well-formed one at or after it), before that request is decided; it is
 * recorded as a hang (status 0) and never answered. Fires once; pid <= 0 disarms. */
void fake_llm_kill_on_request(fake_llm *s, pid_t pid, size_t m);
/* Returns once the server has read everything a client that has exited left behind (requests in
 * its sockets, connections in the listen backlog) and holds no connection: call it after reaping
 * a killed client and before arming fake_llm_kill_on_request for the next one, so that the dead
 * client's last requests are not counted towards the next one's m. No client may be running. */
void fake_llm_quiesce(fake_llm *s);

size_t fake_llm_requests(fake_llm *s);  /* all requests received (malformed ones included) */
size_t fake_llm_successes(fake_llm *s); /* 200 answers with a verdict, ie "billed" */
size_t fake_llm_count_status(fake_llm *s, int status); /* 0 counts hangs and resets */
/* Requests whose exact body was answered 200 more than once (paid twice): must stay 0. Counts
 * each extra success, so a body answered three times adds 2. */
size_t fake_llm_duplicate_successes(fake_llm *s);
/* The most requests the server held at once: received, not yet answered (the client's
 * concurrency as the server sees it). */
size_t fake_llm_max_open(fake_llm *s);
/* Copy of the i-th received request (body and the raw header block, request line included),
 * caller frees; NULL past end or past the first 1,000 requests (only those are kept). */
char *fake_llm_request_body(fake_llm *s, size_t i);
char *fake_llm_request_headers(fake_llm *s, size_t i);

/* Silent truncation: usage.prompt_tokens / input_tokens report at most tokens (the server's
 * context), as a server that cuts long prompts does; 0 (the default) reports the whole prompt. */
void fake_llm_set_context(fake_llm *s, unsigned tokens);

/* A reasoning model on chat: a body with max_tokens, logprobs/top_logprobs or a temperature
 * other than 1 gets OpenAI's 400 "Unsupported parameter" error; answers carry no log-probs and
 * 100 reasoning tokens (usage.completion_tokens_details.reasoning_tokens, inside
 * completion_tokens). */
void fake_llm_set_reasoning(fake_llm *s, int on);
/* The model id GET /v1/models lists (default "fake-judge"; the only GET served, and not
 * counted in the request counters). */
void fake_llm_set_model(fake_llm *s, const char *id);
/* Prefix caching: usage reports min(tokens, prompt) prompt tokens as cached
 * (prompt_tokens_details.cached_tokens; Anthropic: cache_read_input_tokens); 0 = none. */
void fake_llm_set_cached(fake_llm *s, unsigned tokens);

/*
 * A judge that goes away mid-run: the request that arrives when k have been received is not
 * answered; the server then closes every connection and its listening socket, so later
 * connections are refused (the port stays reserved for it). fake_llm_revive listens again on
 * the same port (0, or -1 when it cannot bind). Counters keep counting across both.
 */
void fake_llm_die_after(fake_llm *s, size_t k);
int fake_llm_is_dead(fake_llm *s);
int fake_llm_revive(fake_llm *s);

/*
 * A slow queue with few slots (llama.cpp's --parallel): only `slots` requests are processed at a
 * time, each for service_ms, in arrival order; the others wait in the queue, and a request the
 * client gave up on keeps its slot. 0 slots: back to answering at once. -1 on OOM.
 */
int fake_llm_set_slots(fake_llm *s, unsigned slots, unsigned service_ms);

/*
 * Generation mode, for the stages that sample, critique and revise (a policy, not a judge):
 *   FAKE_GEN_OFF  (default) every request is judged as above;
 *   FAKE_GEN_ALL  every well-formed request gets generated text;
 *   FAKE_GEN_AUTO requests whose prompt holds a judge template ("<<<RESPONSE_", "Verdict:",
 *                 "1 to 7") are judged, all others generate (one server for a whole round).
 * A generated text is a sequence of words from a fixed vocabulary drawn from h = hash of (server
 * seed, prompt text, the request's "seed", choice index); its length is min_words..max_words
 * (defaults 8..24) by h. One word counts as one completion token: with max_tokens < length the
 * text is cut to max_tokens words and finish_reason is "length" (Anthropic stop_reason
 * "max_tokens"). A "stop" / "stop_sequences" string found in the text cuts it there
 * (Anthropic: stop_reason "stop_sequence"). temperature 0 gives every choice the same text.
 * "n" (chat, completions; 1..128) gives n choices with index 0..n-1; Anthropic has no n (a body
 * with "n" gets its 400 "Extra inputs are not permitted") and, having no seed either, makes
 * identical bodies differ by how many 200 answers that body got before (so N requests give N
 * texts; documented nondeterminism of a sampling API, not used for byte comparisons).
 * Markers in the prompt text, on demand:
 *   "[[gen:empty]]"   every choice is empty ("" content; Anthropic: an empty content array);
 *   "[[gen:dup]]"     every choice repeats choice 0;
 *   "[[gen:leak]]"    texts start with "Here is the revised response: ";
 *   "[[gen:words=N]]" exactly N words (before max_tokens cuts).
 * Generated answers count as successes like verdicts.
 */
typedef enum fake_gen_mode { FAKE_GEN_OFF = 0, FAKE_GEN_ALL, FAKE_GEN_AUTO } fake_gen_mode;

void fake_llm_set_generate(fake_llm *s, fake_gen_mode mode, unsigned min_words, unsigned max_words);
/* Generated replies hold at most max_n choices whatever "n" asks (a server that ignores "n",
 * as Ollama, TGI and some llama.cpp builds do); 0 (default): "n" is honoured. */
void fake_llm_set_gen_max_n(fake_llm *s, unsigned max_n);

/*
 * The providers' batch APIs, answered from the same fake judge (fake_batch.c):
 *   OpenAI  POST /v1/files (multipart, purpose=batch), GET /v1/files/{id}/content,
 *           POST /v1/batches, GET /v1/batches (list, newest first; limit, after),
 *           GET /v1/batches/{id}, POST /v1/batches/{id}/cancel
 *   Anthropic POST /v1/messages/batches, GET /v1/messages/batches/{id},
 *           GET /v1/messages/batches/{id}/results (JSONL), POST .../{id}/cancel
 * A batch ends after `polls` GETs of it (default 3): OpenAI goes validating -> in_progress ->
 * finalizing -> completed, Anthropic in_progress -> ended, and request_counts grow on the way.
 * Each item is answered as the online endpoint answers the same body (counted in successes and
 * duplicate_successes). Results come out of order (OpenAI reversed, Anthropic odd then even).
 */
typedef struct fake_batch_stats {
    size_t uploads;   /* files uploaded */
    size_t creates;   /* batches created (submissions) */
    size_t items;     /* requests submitted over all batches */
    size_t polls;     /* GETs of a batch */
    size_t downloads; /* output, error and results downloads */
    size_t expired;   /* items that expired */
    size_t errored;   /* items that failed */
} fake_batch_stats;

void fake_llm_batch_stats(fake_llm *s, fake_batch_stats *out);
/* GETs of a batch before it ends (>= 1; default 3). */
void fake_llm_batch_set_polls(fake_llm *s, unsigned polls);
/* The next n batches created expire: their first half is answered, the rest expire. */
void fake_llm_batch_expire_next(fake_llm *s, unsigned n);
/* Partial failure: an item whose custom_id hashes to 0 mod `mod` fails (500 / api_error) the
 * first time it is seen, and is answered when submitted again. 0 = none (the default). */
void fake_llm_batch_fail_every(fake_llm *s, unsigned mod);
/* The next n batch creations take effect but their replies are lost (half a reply, then a
 * connection reset): the client does not learn the id. GET /v1/batches lists them. */
void fake_llm_batch_lose_next_create(fake_llm *s, unsigned n);

/* Name of a fault ("ok", "429", "500", "503", "hang", "reset", "bad_json", "no_logprobs",
 * "no_verdict", "401_echo") and the reverse (-1 when unknown). */
const char *fake_fault_name(fake_fault f);
int fake_fault_parse(const char *name);

#endif

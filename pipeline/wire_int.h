/* SPDX-License-Identifier: MIT */
/* The judge backends' wire formats: request bodies, reply shapes, error bodies and headers. */
#ifndef CAI_WIRE_INT_H
#define CAI_WIRE_INT_H

#include "cai/judge.h"
#include "util_int.h"

/*
 * Everything here is pure: no curl, no I/O, no clock. The engine (engine.c) owns transfers and
 * time; this file only turns prompts into bytes and bytes into facts.
 */

/* Request and reply bodies are the util layer's byte buffer (cai_buf, util_int.h). */

/* Appends s as a quoted JSON string: ", \ and control characters escaped, valid UTF-8 copied
 * as is, each byte of an invalid UTF-8 sequence replaced by \ufffd. 0, or -1 when out of
 * memory. */
int cai_wire__put_json_str(cai_buf *b, const char *s, size_t n);
/* Appends s as cJSON_PrintUnformatted writes a string, for files that were once printed by
 * cJSON and must keep their bytes (records, the journal): ", \ and bytes below 0x20 escaped
 * (\b \f \n \r \t, else \u00xx in lower case), every other byte copied as is. Failure
 * is sticky (b->oom), as with cai_buf__put. */
void cai_wire__put_cjson_str(cai_buf *b, const char *s);
/* Length of the longest prefix of p[0, n) that a JSON string holds as is: no ", \ or byte below
 * 0x20, and with ascii set no byte >= 0x80 either. Eight bytes at a time: the texts of a
 * request or a record are long runs of such bytes. */
size_t cai_wire__plain_run(const unsigned char *p, size_t n, int ascii);

/* Resolved request settings (the engine applies the defaults of cai_judge_opts first). */
typedef struct cai_wire_params {
    cai_backend backend;
    cai_judge_mode mode;
    const char *model;
    unsigned max_tokens;
    double temperature;
    unsigned top_logprobs; /* 0 = do not ask for log-probabilities */
    int reasoning; /* openai: a reasoning model: "max_completion_tokens", no temperature and no
                      log-probs (they refuse all three) */
} cai_wire_params;

/* The reply budget of a reasoning model when max_tokens is smaller: its hidden reasoning
 * counts against it (billed only as used). */
#define CAI_REASONING_MIN_TOKENS 4096

/* 1 when an OpenAI model name is a reasoning model that refuses max_tokens, temperature and
 * log-probs (o1, o3, o4-mini, gpt-5 ..., with or without a "provider/" prefix). */
int cai_wire__is_reasoning_model(const char *model);

/* 1 when a 400 error body says the model wants max_completion_tokens (or refuses the
 * parameters a reasoning model refuses): the engine then switches to cai_wire_params.reasoning. */
int cai_wire__wants_reasoning_params(const char *body, size_t len);

/* The parts of every body that do not depend on the prompt, rendered once. */
typedef struct cai_wire {
    cai_wire_params p;
    char *head; /* owned */
    char *tail; /* owned */
} cai_wire;

cai_status cai_wire__init(cai_wire *w, const cai_wire_params *p, cai_error *err);
void cai_wire__dispose(cai_wire *w);

/*
 * Renders the request body for pr into b (replacing its contents). With temperature > 0,
 * openai and completions bodies carry "seed": sample so that self-consistency samples differ;
 * pass sample < 0 to leave it out. Anthropic prefills lose trailing white space (the API
 * rejects a final assistant turn that ends with it). Errors: CAI_ENOMEM, CAI_EINVAL (the prompt
 * lacks the text this backend needs).
 */
cai_status
cai_wire__build(const cai_wire *w, cai_buf *b, const cai_prompt *pr, long sample, cai_error *err);

#define CAI_WIRE_MAX_TOP 32

/* What a 2xx reply says. Strings are NUL-terminated copies in the reply's own buffer (alive
 * until dispose). */
typedef struct cai_wire_reply {
    char *strings; /* the decoded strings below; owned; NULL when none was kept */
    size_t strings_used, strings_cap;
    const char *text; /* message content / completion text; NULL when absent or null */
    size_t text_len;
    cai_token_logprob top[CAI_WIRE_MAX_TOP]; /* the answer position's top log-probs */
    size_t n_top;
    int has_logprobs; /* 1 when a top list was found (it may still be empty) */
    unsigned prompt_tokens;
    unsigned completion_tokens; /* reasoning tokens included, as servers bill them */
    unsigned reasoning_tokens;  /* usage.completion_tokens_details.reasoning_tokens, or 0 */
    unsigned cached_tokens; /* part of prompt_tokens read from the server's prefix cache, or 0 */
    int has_usage;
    int has_prompt_tokens; /* the server reported the prompt's tokens (truncation check) */
} cai_wire_reply;

/*
 * Parses a 2xx body of backend b. Log-probs come in the chat shape (logprobs.content[]) or the
 * legacy completions maps (logprobs.tokens / top_logprobs); completions replies may carry either
 * (llama.cpp sends the chat shape). When the first generated tokens only open the answer ("(",
 * "**", a quote) the letter's position (at most the third) is used. Errors: CAI_EPARSE (not
 * JSON), CAI_ESCHEMA (no choices[0] / content). On error out holds nothing to dispose.
 */
cai_status cai_wire__parse_reply(
    cai_wire_reply *out, cai_backend b, const char *body, size_t len, cai_error *err);
void cai_wire__reply_dispose(cai_wire_reply *r);

/*
 * The server's own message from an error body: OpenAI {"error":{"message","type","code"}},
 * Anthropic {"type":"error","error":{"type","message"}}, {"error":"text"}, {"message":"text"},
 * else the body itself; made one line of printable text, at most about 300 bytes, and with
 * every occurrence of secret (when non-empty) replaced by "[REDACTED]" before cutting, so no
 * prefix of the secret survives. Caller frees; NULL when out of memory.
 */
char *cai_wire__error_message(const char *body, size_t len, const char *secret);

/* A copy of s (n bytes) with every occurrence of secret replaced by "[REDACTED]". */
char *cai_wire__redact(const char *s, size_t n, const char *secret);

/* Rate-limit kinds a server reports on. */
enum { CAI_RL_REQUESTS, CAI_RL_TOKENS, CAI_RL_INPUT_TOKENS, CAI_RL_OUTPUT_TOKENS, CAI_RL_KINDS };

/* The headers of one reply that steer retries and the pool's pause. */
typedef struct cai_wire_hdrs {
    double retry_after_s;         /* retry-after-ms or numeric Retry-After; < 0 when absent */
    char retry_after_date[48];    /* a Retry-After that is an HTTP date (for curl_getdate) */
    int have_ms;                  /* retry-after-ms was seen (it wins over Retry-After) */
    int should_retry;             /* x-should-retry: -1 absent, 0 false, 1 true */
    int exhausted[CAI_RL_KINDS];  /* a *-remaining-<kind> header said 0 */
    double reset_s[CAI_RL_KINDS]; /* seconds until <kind> resets; < 0 when absent */
} cai_wire_hdrs;

void cai_wire__hdrs_reset(cai_wire_hdrs *h);
/* Feeds one header line ("Name: value\r\n"); now_epoch is the wall clock for absolute resets. */
void cai_wire__header(cai_wire_hdrs *h, const char *line, size_t len, double now_epoch);
/* Seconds the whole pool should wait because a limit is used up (0 when none is). A limit at
 * zero without a reset time counts as 1 s. */
double cai_wire__hdrs_pause(const cai_wire_hdrs *h);

/* "1s", "6m0s", "20ms", "1h2m3.5s", "0.5" (seconds) → seconds. 0 on success, -1 otherwise. */
int cai_wire__parse_duration(const char *s, size_t n, double *secs);
/* RFC 3339 "2024-06-01T12:00:30Z" / "...+02:00" / fractional seconds → Unix time. 0 or -1. */
int cai_wire__parse_rfc3339(const char *s, size_t n, double *epoch);

#endif

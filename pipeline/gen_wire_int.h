/* SPDX-License-Identifier: MIT */
/* Generation wire formats: request bodies that ask a policy for responses, and their replies. */
#ifndef CAI_GEN_WIRE_INT_H
#define CAI_GEN_WIRE_INT_H

#include "wire_int.h"
#include "cai/record.h"

#include <stdint.h>

/*
 * Pure like wire_int.h: no curl, no I/O. Used by the sample, critique and revision requests;
 * the engine sends the bytes and hands the reply body back here.
 */

/* Sampling settings of one generation request. Strings are borrowed. */
typedef struct cai_gen_params {
    cai_backend backend; /* OPENAI (chat), COMPLETIONS or ANTHROPIC */
    const char *model;
    double temperature;      /* < 0: left out (the server's default) */
    double top_p;            /* < 0: left out */
    unsigned max_tokens;     /* 0: left out (Anthropic requires it: 1024 is sent) */
    const char *const *stop; /* "stop" (OpenAI) / "stop_sequences" (Anthropic); may be NULL */
    size_t n_stop;
    const char *system; /* chat: a system turn; Anthropic: "system"; completions: prefixed; NULL */
} cai_gen_params;

/* 1 when backend b takes "n" (several choices per request): chat and completions. */
int cai_gen_wire__has_n(cai_backend b);
/* 1 when backend b takes "seed": chat and completions (OpenAI, vLLM, llama.cpp, Ollama, TGI);
 * Anthropic has none. */
int cai_gen_wire__has_seed(cai_backend b);

/*
 * Renders one request into b (replacing its contents): the conversation ctx (it must end with
 * a user turn; roles system/user/assistant), asking for n choices (n > 1 only where
 * cai_gen_wire__has_n) and, when seed >= 0 and the backend honours it, "seed". Completions
 * get the conversation as an HH transcript ending "\n\nAssistant:". Reasoning models (see
 * cai_wire__is_reasoning_model) get max_completion_tokens and no temperature / top_p.
 * Errors: CAI_EINVAL (empty conversation, last turn not the user's, n > 1 where the backend has
 * no n, builtin backend), CAI_ENOMEM.
 */
cai_status cai_gen_wire__build(cai_buf *b,
                               const cai_gen_params *p,
                               const cai_message *ctx,
                               size_t n_ctx,
                               unsigned n,
                               long long seed,
                               cai_error *err);

/* Why a response ended, normalised over the servers' names. */
typedef enum cai_finish {
    CAI_FINISH_STOP = 0, /* stop, end_turn, stop_sequence, eos_token, eos */
    CAI_FINISH_LENGTH,   /* length, max_tokens, model_context_window_exceeded: cut, truncated */
    CAI_FINISH_OTHER     /* content_filter, refusal, tool calls, absent or unknown */
} cai_finish;

cai_finish cai_gen_wire__finish_parse(const char *reason); /* NULL -> OTHER */
const char *cai_gen_wire__finish_name(cai_finish f);       /* "stop", "length", "other" */

typedef struct cai_gen_choice {
    const char *text; /* into the parsed tree; "" when absent, null or empty content */
    size_t text_len;
    cai_finish finish;
    const char *finish_raw; /* the server's own word (NULL when absent) */
    unsigned index;         /* the server's index (chat/completions), else 0 */
} cai_gen_choice;

#define CAI_GEN_MAX_CHOICES 128

/* A parsed 2xx reply. Choices are in index order; pointers live until dispose. */
typedef struct cai_gen_reply {
    void *root;              /* owned cJSON tree */
    cai_gen_choice *choices; /* owned */
    size_t n_choices;
    unsigned prompt_tokens;
    unsigned completion_tokens; /* for all choices together, as servers bill them */
    int has_usage;
} cai_gen_reply;

/*
 * Parses a 2xx body of backend b. A server that ignores "n" sends fewer choices than asked
 * (Ollama, TGI, llama.cpp builds without it): n_choices says how many came, and the caller asks
 * again for the rest. Errors: CAI_EPARSE (not JSON), CAI_ESCHEMA (no choices / content list, a
 * choice without text, a repeated or out-of-range index, more than CAI_GEN_MAX_CHOICES),
 * CAI_ENOMEM. On error out holds nothing to dispose.
 */
cai_status cai_gen_wire__parse_reply(
    cai_gen_reply *out, cai_backend b, const char *body, size_t len, cai_error *err);
void cai_gen_wire__reply_dispose(cai_gen_reply *r);

#endif

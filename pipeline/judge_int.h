/* SPDX-License-Identifier: MIT */
/* The judge handle shared by its files: engine.c, judge_opts.c, judge_cache.c, judge_reply.c. */
#ifndef CAI_JUDGE_INT_H
#define CAI_JUDGE_INT_H

#include "cai/judge.h"
#include "endpoint_int.h"
#include "pool_int.h"
#include "sockset_int.h"
#include "hash_int.h"
#include "htab_int.h"
#include "wire_int.h"

#include <curl/curl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

typedef enum slot_state {
    SLOT_FREE,
    SLOT_READY,
    SLOT_ACTIVE,
    SLOT_REAPED,
    SLOT_DELAYED,
    SLOT_WAITING,
    SLOT_DONE
} slot_state;

#define NO_SLOT ((size_t)-1)

typedef struct slot {
    struct cai_judge *j;
    CURL *easy; /* created on first use, reused for every later request of this slot */
    slot_state state;
    cai_judge_task task;
    cai_buf body;
    cai_buf resp;
    cai_wire_hdrs hdrs;
    uint64_t k1, k2;     /* 128 bits of the body's SHA-256 */
    char sha[65];        /* the whole digest, for the disk cache */
    unsigned attempts;   /* HTTP attempts of this judgment */
    unsigned retries;    /* transport/HTTP re-sends */
    unsigned parse_fail; /* replies without a verdict */
    unsigned prompt_est; /* cai's estimate of the prompt's tokens (truncation check) */
    unsigned wire_gen;   /* j->wire_gen when body was rendered */
    unsigned prompt_tokens, completion_tokens;
    size_t leader;      /* WAITING: the slot whose identical body is in flight */
    size_t next_waiter; /* WAITING: the next slot waiting on the same leader (NO_SLOT: none) */
    size_t waiters_head, waiters_tail; /* as a leader: the slots waiting on it, in add order */
    double due;                        /* DELAYED: monotonic time it may start */
    cai_endpoint_req ep; /* ACTIVE: what its endpoint knows of it (sent_at, probe, ...) */
    int epi;             /* ACTIVE, REAPED: the pool member it went to */
    int avoid;           /* the member it last lost its connection or timed out on (-1) */
    unsigned failovers;  /* re-sends to another member that spent no retry */
    double epoch;        /* wall clock at the reply's status line */
    int too_big;
    CURLcode rc; /* REAPED: the transfer's result */
    long code;   /* REAPED: its HTTP status (0 when none came) */
    char errbuf[CURL_ERROR_SIZE];
    /* DONE: the completion, until cai_judge_read hands it out */
    cai_status cst;
    cai_judgment cres;
    char cmsg[512];
    /* generation kinds: the choices gathered so far (owned texts) and the replies' usage */
    cai_gen_text *gch;
    size_t gn, gcap;
    unsigned greplies;
} slot;

/* One answer of the cache, or (pending) a body not answered yet, with the slot that sends it. */
typedef struct centry {
    uint64_t k1, k2;
    double value; /* p_first, or the score in rating mode */
    uint32_t prompt_tokens, completion_tokens;
    uint8_t verdict, from_logprobs;
    uint8_t pending; /* no answer yet: value and verdict mean nothing */
    uint32_t leader; /* pending: 1 + the slot sending this body (0: none); checked before use */
} centry;

struct cai_judge {
    cai_judge_opts o; /* defaults resolved; its strings point at the copies below */
    char **base_urls; /* opts' base_urls, copied (n_base_urls of them) */
    char *base_url, *model, *api_key, *ca_bundle, *anthropic_version, *cache_dir;
    char *url, *url_shown;
    const cai_constitution *c;
    cai_wire wire;
    unsigned wire_gen; /* bumped when the wire switches to a reasoning model's parameters */
    struct curl_slist *headers;
    CURLM *multi;
    cai_sockset socks; /* the sockets libcurl waits on (its socket callback keeps them) */
    double curl_due;   /* monotonic: when libcurl's timer fires (< 0: no timer) */
    int socks_failed;  /* the set could not grow: the transfers are aborted, perform fails */
    CURLU **uh;        /* each endpoint's URL, parsed once (pool.n of them) */
    slot *slots;
    size_t nslots;
    size_t *free_list;
    size_t nfree;
    size_t *ready; /* FIFO ring of READY slots, in the order they were added */
    size_t ready_head, nready;
    size_t *reaped; /* REAPED slots, in the order curl finished them */
    size_t nreaped;
    cai_pool pool;    /* the judge's endpoints, each with its breaker, limiter and pacing */
    cai_status fatal; /* the judge's health ended the run (CAI_OK = not) */
    char fatal_msg[512];
    int stop_seen;        /* the loop has noticed the first stop */
    double stop_deadline; /* monotonic: in-flight requests are abandoned after this */
    unsigned active, delayed, waiting;
    uint64_t rng;
    volatile sig_atomic_t stop;
    cai_judge_stats stats;
    double wake_at; /* monotonic: when fill_slots wants to run again */
    cai_htab cache; /* centry by (k1, k2) */
    int cache_fd;
    cai_sha256 *sha;
    size_t * compl ; /* FIFO ring of DONE slots, in the order they finished */
    size_t compl_head, ncompl;
    cai_judge_completion cur; /* the completion handed out last, and its copies */
    cai_judge_task cur_task;
    char cur_msg[512];
    cai_gen_text *cur_gch; /* the generation handed out last (owned) */
    size_t cur_gn;
    int checked; /* cai_judge_check passed */
    /* cai_judge_one's raw copies */
    int capture;
    char *cap_request, *cap_reply;
};

/* judge_gen.c: the generation kinds (sample, critique, revision) */
int cai_judge__is_gen(cai_request_kind k);
/* Renders s's generation body for what it still lacks (n - choices so far). */
cai_status cai_judge__gen_body(
    const cai_judge *j, const cai_judge_task *t, size_t have, cai_buf *b, cai_error *err);
/* Takes a 2xx reply's choices into s. 1: s has all it asked for; 0: ask again for the rest;
 * < 0: the reply did not parse (err says why). Usage goes to *pt, *ct. */
int cai_judge__gen_take(cai_judge *j,
                        slot *s,
                        const char *body,
                        size_t len,
                        unsigned *pt,
                        unsigned *ct,
                        int *has_usage,
                        cai_error *err);
void cai_judge__gen_clear(cai_gen_text **ch, size_t *n, size_t *cap);
unsigned cai_judge__gen_estimate(const cai_judge_task *t);

/* judge_opts.c: options and their defaults */
cai_status cai_judge__resolve_opts(cai_judge *j, const cai_judge_opts *in, cai_error *err);
void cai_judge__wipe(char *s); /* zeroes a secret in place */

/* judge_cache.c: the in-run and on-disk answer cache */
centry *cai_judge__cache_find(cai_judge *j, uint64_t k1, uint64_t k2);
void cai_judge__cache_put(cai_judge *j, const centry *in);
cai_status cai_judge__cache_open(cai_judge *j, cai_error *err);
void cai_judge__cache_append(cai_judge *j, const char *sha, const centry *e);
int cai_judge__hex_u64(const char *h, uint64_t *out); /* 16 hex digits; -1 if not */

/* judge_reply.c: wire replies and cache entries into cai_judgment */
int cai_judge__interpret(const cai_judge *j, const cai_wire_reply *r, cai_judgment *res);
/* What a reply with a verdict says beside it: the verdict's source, reasoning tokens, the prompt
 * estimate and what the server reported, and whether the prompt looks truncated. One rule for
 * online replies (engine.c) and batch results (cai_judge__batch_reply). */
void cai_judge__reply_facts(const cai_judge *j,
                            const cai_wire_reply *r,
                            unsigned prompt_est,
                            cai_judgment *res);
cai_judgment_source cai_judge__source_of(const cai_judge *j, int from_logprobs);
unsigned cai_judge__prompt_estimate(const cai_judge *j, const cai_prompt *pr);
void cai_judge__from_cache(const cai_judge *j, const centry *e, cai_judgment *res);

#endif

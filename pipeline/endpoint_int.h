/* SPDX-License-Identifier: MIT */
/* One endpoint's health: the breaker, the adaptive limiter, pacing (pool pause, rpm/tpm) and the
 * budget, and every rule that decides from them whether a request may go out now. */
#ifndef CAI_ENDPOINT_INT_H
#define CAI_ENDPOINT_INT_H

#include "ratelimit_int.h"

#include <stddef.h>
#include <stdint.h>

/*
 * The rules (docs/judges.md, "The health gate"):
 * - The breaker. CAI_BREAKER_AFTER consecutive connection failures (or as many as the
 *   concurrency when that is smaller: every request in flight failed) open it. While it is
 *   open, one probe at a time goes out, with a doubling wait; the first HTTP reply of any kind
 *   closes it. Requests that fail while it is open wait for it without spending a retry. Open
 *   for down_timeout_s, the endpoint is down for good. Before the first 2xx reply, a refused
 *   connection is fatal at once (cai_endpoint__conn_failure says so).
 * - The limiter. Requests in flight are capped at `limit`, which starts at CAI_LIMIT_START and
 *   grows by one per healthy reply (within LIMIT_HEALTHY of the timeout) up to the
 *   concurrency. A slower reply sets it by Little's law to what the server got through
 *   (requests in flight when it was sent / its latency) times LIMIT_TARGET of the timeout; a
 *   timeout halves it. One cut per round trip: replies to requests sent before the last cut do
 *   not cut again.
 * - Pacing. A pool-wide pause (a 429, rate-limit headers at zero) and the rpm/tpm buckets.
 * - The budget: the estimated cost of what was answered and of what is in flight, plus the
 *   next request's, must stay within the cap.
 * A pool of endpoints (pool_int.h) keeps one per member.
 */
#define CAI_BREAKER_AFTER 5  /* consecutive connection failures that open the breaker */
#define CAI_LIMIT_START   16 /* the limiter starts here (never above the concurrency) */

typedef struct cai_endpoint_cfg {
    unsigned concurrency; /* the most requests in flight; the limiter never goes above it */
    double timeout_s;     /* per request: the limiter's yardstick */
    double backoff_base_s;
    double down_timeout_s; /* how long the breaker may stay open */
    double rpm, tpm;       /* 0 = unlimited */
} cai_endpoint_cfg;

/* One request as its endpoint sees it (kept in the engine's slot). */
typedef struct cai_endpoint_req {
    double sent_at;      /* monotonic time it went out */
    unsigned n_at_send;  /* requests in flight when it went out, itself included */
    double est_cost;     /* estimated USD while in flight, counted in out_cost */
    unsigned est_tokens; /* charged to the token bucket at launch */
    int probe;           /* sent alone to see whether the endpoint is back */
} cai_endpoint_req;

typedef struct cai_endpoint {
    cai_endpoint_cfg cfg;
    /* the breaker */
    int ok_seen;         /* a 2xx reply has come: refusals are no longer taken as fatal */
    unsigned conn_fails; /* consecutive connection failures */
    int open;            /* breaker open: one probe at a time, nothing else */
    double open_since;   /* monotonic */
    double probe_at;     /* monotonic: the next probe may go */
    unsigned probe_n;    /* probes failed since the breaker opened */
    int probe_out;       /* a probe is in flight */
    char last_err[256];  /* the last connection failure, for the final message */
    /* the limiter */
    double limit;  /* requests in flight allowed now, 1..concurrency */
    double cut_at; /* monotonic: the last cut; replies to requests sent before it don't cut */
    /* pacing */
    double not_before; /* monotonic: the pool starts nothing before this */
    cai_bucket rpm, tpm;
    /* the budget (max_cost 0 = none) */
    double price_in, price_out, max_cost, spent_before;
    double spent;    /* answered requests: usage, else the estimate */
    double out_cost; /* requests in flight, estimated */
    int over_budget; /* the next request would pass the cap: nothing more is sent */
    /* counts */
    uint64_t answered;      /* HTTP replies of any status */
    uint64_t conn_failures; /* attempts that got no connection or lost it */
    uint64_t timeouts;      /* attempts that ran past the timeout */
    uint64_t probes;        /* requests sent alone while the breaker was open */
} cai_endpoint;

void cai_endpoint__init(cai_endpoint *e, const cai_endpoint_cfg *cfg, double now);
/* USD for so many prompt and completion tokens at the endpoint's prices. */
double cai_endpoint__cost(const cai_endpoint *e, double prompt_tokens, double completion_tokens);
/* Whether a request estimated at est_cost may go out now with `active` in flight (breaker,
 * limiter, budget; pacing is not_before and cai_endpoint__pace_wait). When the breaker holds
 * it, *wake (if it is later) is lowered to when the next probe may go. */
int cai_endpoint__may_send(
    cai_endpoint *e, unsigned active, double est_cost, double now, double *wake);
/* Seconds until both rate buckets let q go (0 = now); the pool pause is e->not_before. */
double cai_endpoint__pace_wait(cai_endpoint *e, const cai_endpoint_req *q, double now);
/* q has just gone out, `active` in flight counting it. */
void cai_endpoint__sent(
    cai_endpoint *e, cai_endpoint_req *q, unsigned active, double est_cost, double now);
/* q is back, answered or not: its estimate leaves out_cost, a probe is no longer out. */
void cai_endpoint__back(cai_endpoint *e, cai_endpoint_req *q);
/* An HTTP reply came for q: the endpoint is there; the limiter learns from its latency. */
void cai_endpoint__reply(cai_endpoint *e, const cai_endpoint_req *q, long code, double now);
/* q timed out: the limiter halves (once per round trip). */
void cai_endpoint__timeout(cai_endpoint *e, const cai_endpoint_req *q, double now);
/* What a reply cost: usage when has_usage, else q's estimate; the tpm bucket is corrected. */
void cai_endpoint__charge(cai_endpoint *e,
                          const cai_endpoint_req *q,
                          int has_usage,
                          unsigned prompt_tokens,
                          unsigned completion_tokens,
                          double est_cost);
/* The pool starts nothing before monotonic time `until`. */
void cai_endpoint__pause(cai_endpoint *e, double until);
/*
 * q got no connection (refused: nobody was there at all). Returns -1 when that ends the
 * endpoint (a refusal before any 2xx reply), 1 when the breaker is open (q waits for it
 * without spending a retry), 0 otherwise (retry as usual).
 */
int cai_endpoint__conn_failure(
    cai_endpoint *e, cai_endpoint_req *q, int refused, const char *msg, double now);
/* Opens the breaker now (a pool ejects a member that refused a connection): probes only. */
void cai_endpoint__eject(cai_endpoint *e, double now);
/* 1 when the breaker has been open for down_timeout_s (msg says so); otherwise lowers *wake
 * to that deadline while it is open, and returns 0. */
int cai_endpoint__down(cai_endpoint *e, double now, double *wake, char *msg, size_t cap);

#endif

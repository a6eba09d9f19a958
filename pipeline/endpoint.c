/* SPDX-License-Identifier: MIT */
/* One endpoint's health state machine: breaker, adaptive limiter, pacing and budget. */
#include "endpoint_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define LIMIT_HEALTHY 0.25 /* a reply within this share of the timeout is healthy */
#define LIMIT_TARGET  0.33 /* under load, the limiter aims at latencies of this share */
#define PROBE_MAX_S   5.0  /* the longest wait between two probes of an endpoint that is down */

void cai_endpoint__init(cai_endpoint *e, const cai_endpoint_cfg *cfg, double now)
{
    memset(e, 0, sizeof(*e));
    e->cfg = *cfg;
    e->limit = cfg->concurrency < CAI_LIMIT_START ? cfg->concurrency : CAI_LIMIT_START;
    cai_bucket__init(&e->rpm, cfg->rpm, now);
    cai_bucket__init(&e->tpm, cfg->tpm, now);
}

double cai_endpoint__cost(const cai_endpoint *e, double prompt_tokens, double completion_tokens)
{
    return (prompt_tokens * e->price_in + completion_tokens * e->price_out) / 1e6;
}

int cai_endpoint__may_send(
    cai_endpoint *e, unsigned active, double est_cost, double now, double *wake)
{
    if (active >= (unsigned)e->limit)
        return 0;
    if (e->open && (e->probe_out || now < e->probe_at)) {
        if (!e->probe_out && e->probe_at < *wake)
            *wake = e->probe_at;
        return 0;
    }
    if (e->max_cost > 0 && e->spent_before + e->spent + e->out_cost + est_cost > e->max_cost) {
        e->over_budget = 1;
        return 0;
    }
    return 1;
}

double cai_endpoint__pace_wait(cai_endpoint *e, const cai_endpoint_req *q, double now)
{
    double a = cai_bucket__wait(&e->rpm, 1, now), b = cai_bucket__wait(&e->tpm, q->est_tokens, now);

    return a > b ? a : b;
}

void cai_endpoint__sent(
    cai_endpoint *e, cai_endpoint_req *q, unsigned active, double est_cost, double now)
{
    q->sent_at = now;
    q->n_at_send = active;
    q->est_cost = est_cost;
    e->out_cost += est_cost;
    q->probe = e->open;
    if (q->probe) {
        e->probe_out = 1;
        e->probes++;
    }
    cai_bucket__take(&e->rpm, 1, now);
    cai_bucket__take(&e->tpm, q->est_tokens, now);
}

void cai_endpoint__back(cai_endpoint *e, cai_endpoint_req *q)
{
    e->out_cost = fmax(0, e->out_cost - q->est_cost);
    q->est_cost = 0;
    if (q->probe)
        e->probe_out = 0;
}

void cai_endpoint__reply(cai_endpoint *e, const cai_endpoint_req *q, long code, double now)
{
    double rtt = now - q->sent_at, target;

    e->answered++;
    e->conn_fails = 0;
    e->open = 0;
    e->probe_n = 0;
    if (code >= 200 && code < 300)
        e->ok_seen = 1;
    if (rtt <= LIMIT_HEALTHY * e->cfg.timeout_s) {
        if (e->limit < e->cfg.concurrency)
            e->limit += 1;
        return;
    }
    if (q->sent_at < e->cut_at)
        return;
    target = (double)q->n_at_send / rtt * LIMIT_TARGET * e->cfg.timeout_s;
    if (target < e->limit) {
        e->limit = fmax(1, floor(target));
        e->cut_at = now;
    }
}

void cai_endpoint__timeout(cai_endpoint *e, const cai_endpoint_req *q, double now)
{
    e->timeouts++;
    if (q->sent_at < e->cut_at)
        return;
    e->limit = fmax(1, floor(e->limit / 2));
    e->cut_at = now;
}

void cai_endpoint__charge(cai_endpoint *e,
                          const cai_endpoint_req *q,
                          int has_usage,
                          unsigned prompt_tokens,
                          unsigned completion_tokens,
                          double est_cost)
{
    if (has_usage) {
        cai_bucket__adjust(&e->tpm,
                           (double)q->est_tokens - (double)prompt_tokens - completion_tokens);
        e->spent += cai_endpoint__cost(e, prompt_tokens, completion_tokens);
    } else {
        e->spent += est_cost; /* no usage: the estimate is all there is */
    }
}

void cai_endpoint__pause(cai_endpoint *e, double until)
{
    if (until > e->not_before)
        e->not_before = until;
}

int cai_endpoint__conn_failure(
    cai_endpoint *e, cai_endpoint_req *q, int refused, const char *msg, double now)
{
    int was_probe = q->probe;

    e->conn_failures++;
    q->probe = 0;
    snprintf(e->last_err, sizeof(e->last_err), "%s", msg);
    if (!e->ok_seen && refused)
        return -1;
    e->conn_fails++;
    if (was_probe) {
        double wait = fmax(e->cfg.backoff_base_s, 0.001) * ldexp(1.0, (int)fmin(e->probe_n, 20));

        e->probe_n++;
        e->probe_at = now + fmin(wait, PROBE_MAX_S);
    } else if (!e->open &&
               e->conn_fails >= (e->cfg.concurrency < CAI_BREAKER_AFTER ? e->cfg.concurrency
                                                                        : CAI_BREAKER_AFTER)) {
        e->open = 1;
        e->open_since = now;
        e->probe_n = 0;
        e->probe_at = now + fmin(fmax(e->cfg.backoff_base_s, 0.001), PROBE_MAX_S);
    }
    return e->open ? 1 : 0;
}

void cai_endpoint__eject(cai_endpoint *e, double now)
{
    if (e->open)
        return;
    e->open = 1;
    e->open_since = now;
    e->probe_n = 0;
    e->probe_at = now + fmin(fmax(e->cfg.backoff_base_s, 0.001), PROBE_MAX_S);
}

int cai_endpoint__down(cai_endpoint *e, double now, double *wake, char *msg, size_t cap)
{
    double end = e->open_since + e->cfg.down_timeout_s;

    if (!e->open)
        return 0;
    if (now < end) {
        if (end < *wake)
            *wake = end;
        return 0;
    }
    snprintf(msg, cap,
             "judge: no connection for %.1f s (%llu probes; %llu replies before it went away): "
             "%.300s",
             now - e->open_since, (unsigned long long)e->probes, (unsigned long long)e->answered,
             e->last_err);
    return 1;
}

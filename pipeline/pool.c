/* SPDX-License-Identifier: MIT */
/* Several endpoints of one judge: least-outstanding balancing, ejection, failover, the budget. */
#include "pool_int.h"

#include "cai/judge.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cai_status cai_pool__init(cai_pool *p,
                          const char *const *bases,
                          size_t n,
                          const char *path,
                          const cai_endpoint_cfg *cfg,
                          double now)
{
    size_t i;

    memset(p, 0, sizeof(*p));
    p->m = calloc(n, sizeof(*p->m));
    if (!p->m)
        return CAI_ENOMEM;
    p->n = n;
    for (i = 0; i < n; i++) {
        cai_pool_member *m = &p->m[i];
        size_t blen = strlen(bases[i]), len;

        while (blen > 0 && bases[i][blen - 1] == '/')
            blen--;
        len = blen + strlen(path) + 1;
        m->url = malloc(len);
        if (!m->url)
            return CAI_ENOMEM;
        snprintf(m->url, len, "%.*s%s", (int)blen, bases[i], path);
        m->url_shown = cai_url_redact(m->url);
        if (!m->url_shown)
            return CAI_ENOMEM;
        cai_endpoint__init(&m->h, cfg, now);
    }
    return CAI_OK;
}

void cai_pool__dispose(cai_pool *p)
{
    size_t i;

    for (i = 0; p->m && i < p->n; i++) {
        free(p->m[i].url);
        free(p->m[i].url_shown);
    }
    free(p->m);
    memset(p, 0, sizeof(*p));
}

void cai_pool__set_budget(
    cai_pool *p, double price_in, double price_out, double max_cost, double spent_before)
{
    size_t i;

    for (i = 0; i < p->n; i++) {
        p->m[i].h.price_in = price_in;
        p->m[i].h.price_out = price_out;
        p->m[i].h.max_cost = 0; /* the pool's cap, checked in cai_pool__pick */
    }
    p->max_cost = max_cost;
    p->spent_before = spent_before;
}

double cai_pool__spent(const cai_pool *p)
{
    double s = 0;
    size_t i;

    for (i = 0; i < p->n; i++)
        s += p->m[i].h.spent;
    return s;
}

static double out_cost(const cai_pool *p)
{
    double s = 0;
    size_t i;

    for (i = 0; i < p->n; i++)
        s += p->m[i].h.out_cost;
    return s;
}

/* Counts the breaker's edges: an ejection when it opened, a return when a reply closed it. */
static void note(cai_pool_member *m)
{
    if (m->h.open && !m->was_open)
        m->ejections++;
    else if (!m->h.open && m->was_open)
        m->returns++;
    m->was_open = m->h.open;
}

int cai_pool__pick(
    cai_pool *p, const cai_endpoint_req *q, double est_cost, int avoid, double now, double *wake)
{
    int best = -1, fallback = -1, others_up = 0;
    size_t k;

    if (p->max_cost > 0 &&
        p->spent_before + cai_pool__spent(p) + out_cost(p) + est_cost > p->max_cost) {
        p->over_budget = 1;
        return -1;
    }
    for (k = 0; k < p->n; k++) {
        size_t i = (p->next + k) % p->n;
        cai_pool_member *m = &p->m[i];
        double w;

        if ((int)i != avoid && !m->h.open)
            others_up = 1;
        if (!cai_endpoint__may_send(&m->h, m->active, 0, now, wake))
            continue;
        if (now < m->h.not_before) {
            if (m->h.not_before < *wake)
                *wake = m->h.not_before;
            continue;
        }
        w = cai_endpoint__pace_wait(&m->h, q, now);
        if (w > 0) {
            if (now + w < *wake)
                *wake = now + w;
            continue;
        }
        if ((int)i == avoid && p->n > 1) {
            fallback = (int)i;
            continue;
        }
        if (best < 0 || m->active < p->m[best].active)
            best = (int)i;
    }
    if (best < 0 && fallback >= 0 && !others_up)
        best = fallback; /* the only member not ejected is the one it failed on */
    if (best >= 0)
        p->next = ((size_t)best + 1) % p->n;
    return best;
}

void cai_pool__sent(cai_pool *p, size_t i, cai_endpoint_req *q, double est_cost, double now)
{
    cai_pool_member *m = &p->m[i];

    m->active++;
    m->requests++;
    cai_endpoint__sent(&m->h, q, m->active, est_cost, now);
}

void cai_pool__back(cai_pool *p, size_t i, cai_endpoint_req *q)
{
    cai_pool_member *m = &p->m[i];

    if (m->active > 0)
        m->active--;
    cai_endpoint__back(&m->h, q);
}

void cai_pool__reply(cai_pool *p, size_t i, const cai_endpoint_req *q, long code, double now)
{
    cai_endpoint__reply(&p->m[i].h, q, code, now);
    note(&p->m[i]);
}

int cai_pool__ok_seen(const cai_pool *p)
{
    size_t i;

    for (i = 0; i < p->n; i++)
        if (p->m[i].h.ok_seen)
            return 1;
    return 0;
}

int cai_pool__conn_failure(
    cai_pool *p, size_t i, cai_endpoint_req *q, int refused, const char *msg, double now)
{
    cai_pool_member *m = &p->m[i];
    int r, all_open = 1;
    size_t k;

    if (p->n == 1) {
        r = cai_endpoint__conn_failure(&m->h, q, refused, msg, now);
        note(m);
        return r;
    }
    /* In a pool one refusal ends nothing: it ejects that member. */
    r = cai_endpoint__conn_failure(&m->h, q, 0, msg, now);
    if (refused)
        cai_endpoint__eject(&m->h, now);
    note(m);
    for (k = 0; k < p->n; k++)
        all_open &= p->m[k].h.open;
    if (all_open && refused && !cai_pool__ok_seen(p))
        return -1; /* nobody is there at all */
    if (!all_open)
        return 2;
    return 1;
}

int cai_pool__down(cai_pool *p, double now, double *wake, char *msg, size_t cap)
{
    double since = 0, end;
    size_t i, off;

    if (p->n == 1)
        return cai_endpoint__down(&p->m[0].h, now, wake, msg, cap);
    for (i = 0; i < p->n; i++) {
        if (!p->m[i].h.open)
            return 0;
        since = fmax(since, p->m[i].h.open_since);
    }
    end = since + p->m[0].h.cfg.down_timeout_s;
    if (now < end) {
        if (end < *wake)
            *wake = end;
        return 0;
    }
    off = (size_t)snprintf(msg, cap, "judge: no endpoint reachable for %.1f s (all %zu ejected)",
                           now - since, p->n);
    for (i = 0; i < p->n && off < cap; i++)
        off += (size_t)snprintf(msg + off, cap - off, "; %s: %.120s", p->m[i].url_shown,
                                p->m[i].h.last_err);
    return 1;
}

double cai_pool__limit(const cai_pool *p)
{
    double s = 0;
    size_t i;

    for (i = 0; i < p->n; i++)
        s += p->m[i].h.open ? 1 : p->m[i].h.limit;
    return s;
}

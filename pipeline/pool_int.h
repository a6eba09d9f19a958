/* SPDX-License-Identifier: MIT */
/* Several endpoints of one judge: which one a request goes to, and the pool-wide rules (the
 * budget, when the whole judge is down). Each member owns a cai_endpoint (its health). */
#ifndef CAI_POOL_INT_H
#define CAI_POOL_INT_H

#include "cai/common.h"
#include "endpoint_int.h"

#include <stddef.h>
#include <stdint.h>

/*
 * The rules (docs/scale.md, "Several endpoints"):
 * - Balancing: a request goes to the member with the fewest requests in flight among those
 *   whose breaker, limiter, pause and rate buckets let it go now; ties go round the pool.
 * - Ejection: a member's breaker is its ejection. In a pool of two or more, a refused
 *   connection ejects a member at once (nobody is listening there); other connection failures
 *   count towards CAI_BREAKER_AFTER as for one endpoint. An ejected member gets one probe at a
 *   time (a real request); the first HTTP reply brings it back.
 * - Failover: a request that lost its connection on a member is re-sent to another member
 *   (not the one it failed on, while any other is not ejected) without spending a retry.
 * - Down: the judge is down when every member has been ejected for down_timeout_s.
 * - The budget is the pool's: what every member spent and has in flight.
 * With one member everything is as for a single endpoint (endpoint_int.h).
 */
typedef struct cai_pool_member {
    cai_endpoint h;
    char *url;       /* the request URL (base + the backend's path) */
    char *url_shown; /* the same, user:password removed */
    unsigned active; /* requests in flight here */
    uint64_t requests;
    uint64_t served;
    uint64_t ejections, returns;
    int was_open; /* h.open when last looked at (ejections/returns count its edges) */
} cai_pool_member;

typedef struct cai_pool {
    cai_pool_member *m;
    size_t n;
    size_t next; /* where the round of ties starts */
    double max_cost, spent_before;
    int over_budget;
} cai_pool;

/* n members with request URLs base_i + path. CAI_ENOMEM. */
cai_status cai_pool__init(cai_pool *p,
                          const char *const *bases,
                          size_t n,
                          const char *path,
                          const cai_endpoint_cfg *cfg,
                          double now);
void cai_pool__dispose(cai_pool *p);
/* Prices on every member; the cap and what was spent before are the pool's. */
void cai_pool__set_budget(
    cai_pool *p, double price_in, double price_out, double max_cost, double spent_before);
double cai_pool__spent(const cai_pool *p);
/* The member a request q (estimated at est_cost) goes to now, or -1 (then *wake is lowered to
 * when one may be free: a probe, the pause, the buckets). avoid: the member it last failed on
 * (-1: none), used only when every other member is ejected. Sets over_budget at the cap. */
int cai_pool__pick(
    cai_pool *p, const cai_endpoint_req *q, double est_cost, int avoid, double now, double *wake);
/* q went out to member i with the member's `active` already counting it. */
void cai_pool__sent(cai_pool *p, size_t i, cai_endpoint_req *q, double est_cost, double now);
/* q came back from member i (answered or not). */
void cai_pool__back(cai_pool *p, size_t i, cai_endpoint_req *q);
/* An HTTP reply came for q from member i. */
void cai_pool__reply(cai_pool *p, size_t i, const cai_endpoint_req *q, long code, double now);
/*
 * q lost its connection on member i. -1: fatal (one endpoint, refused before any 2xx reply;
 * or every member refused before any reply anywhere); 2: re-send it to another member now,
 * without spending a retry; 1: wait for a breaker (no retry spent); 0: retry as usual.
 */
int cai_pool__conn_failure(
    cai_pool *p, size_t i, cai_endpoint_req *q, int refused, const char *msg, double now);
/* 1 when the judge is down for good (msg says why); else lowers *wake to that deadline. */
int cai_pool__down(cai_pool *p, double now, double *wake, char *msg, size_t cap);
/* The cap on requests in flight over the pool: each member's limit (1 while ejected). */
double cai_pool__limit(const cai_pool *p);
/* Whether any member has had a 2xx reply. */
int cai_pool__ok_seen(const cai_pool *p);

#endif

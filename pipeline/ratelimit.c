/* SPDX-License-Identifier: MIT */
/* Token buckets and backoff delays whose state lives entirely in caller-owned structs. */
#include "ratelimit_int.h"

#include "hash_int.h"

#include <math.h>

static void refill(cai_bucket *b, double now)
{
    if (now > b->last) {
        b->level += (now - b->last) * b->rate;
        if (b->level > b->capacity)
            b->level = b->capacity;
        b->last = now;
    }
}

void cai_bucket__init(cai_bucket *b, double per_minute, double now)
{
    b->rate = per_minute > 0 ? per_minute / 60.0 : 0;
    b->capacity = b->rate > 1 ? b->rate : 1;
    b->level = b->capacity;
    b->last = now;
}

double cai_bucket__wait(cai_bucket *b, double n, double now)
{
    double need;

    if (b->rate <= 0)
        return 0;
    refill(b, now);
    /* A cost above the capacity can never be saved up: a full bucket lets it through. */
    need = n < b->capacity ? n : b->capacity;
    if (b->level >= need)
        return 0;
    return (need - b->level) / b->rate;
}

void cai_bucket__take(cai_bucket *b, double n, double now)
{
    if (b->rate <= 0)
        return;
    refill(b, now);
    b->level -= n;
}

void cai_bucket__adjust(cai_bucket *b, double delta)
{
    if (b->rate <= 0)
        return;
    b->level += delta;
    if (b->level > b->capacity)
        b->level = b->capacity;
}

double cai_backoff__delay(uint64_t *rng, unsigned attempt, double base, double cap)
{
    double ceiling = base * ldexp(1.0, attempt > 60 ? 60 : (int)attempt - 1);
    double u = (double)(cai_splitmix64(rng) >> 11) / 9007199254740992.0; /* [0, 1) */

    if (ceiling > cap)
        ceiling = cap;
    return u * ceiling;
}

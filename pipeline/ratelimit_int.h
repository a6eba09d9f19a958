/* SPDX-License-Identifier: MIT */
/* Client-side pacing: token buckets for --rpm/--tpm and jittered exponential backoff. */
#ifndef CAI_RATELIMIT_INT_H
#define CAI_RATELIMIT_INT_H

#include <stdint.h>

/*
 * A token bucket refilled continuously at per_minute / 60 per second, holding at most one
 * second's worth (never less than 1). A take larger than the capacity is allowed once the
 * bucket is full and drives the level negative, so the long-run rate still holds. Times are
 * seconds on any monotonic clock. rate 0 = unlimited.
 */
typedef struct cai_bucket {
    double rate; /* per second; 0 = unlimited */
    double capacity;
    double level;
    double last;
} cai_bucket;

void cai_bucket__init(cai_bucket *b, double per_minute, double now);
/* Seconds until n can be taken (0 = now). */
double cai_bucket__wait(cai_bucket *b, double n, double now);
/* Takes n (call only when wait returned 0). */
void cai_bucket__take(cai_bucket *b, double n, double now);
/* Gives back (delta > 0) or takes more (delta < 0) after the true cost is known. */
void cai_bucket__adjust(cai_bucket *b, double delta);

/*
 * "Full jitter" backoff: uniform in [0, min(cap, base * 2^(attempt-1))), drawn from the
 * caller's SplitMix64 state. attempt counts from 1.
 */
double cai_backoff__delay(uint64_t *rng, unsigned attempt, double base, double cap);

#endif

/* SPDX-License-Identifier: MIT */
/* Judge-health counts and reports as JSON, for the manifest (written) and validate (read back). */
#ifndef CAI_HEALTH_INT_H
#define CAI_HEALTH_INT_H

#include "cai/health.h"

#include <cjson/cJSON.h>

/* Every finding code cai_health_check can give, with its severity (validate maps them to its
 * finding kinds; a run's self-validation leaves them out, as the run reports them itself). */
typedef struct cai_health_code {
    const char *code;
    cai_health_severity severity;
} cai_health_code;

#define CAI_HEALTH_NCODES 9
extern const cai_health_code cai_health__codes[CAI_HEALTH_NCODES];

/* {"judgments":…, "from_logprobs":…, …, "margin_hist":[…]}: every field of c. */
cJSON *cai_health__counts_json(const cai_health_counts *c);

/* The derived rates of c (shares, p-values, the Wilson interval, |P - 0.5| quantiles). */
cJSON *cai_health__rates_json(const cai_health_counts *c);

/* {"swap", "logprobs_requested", "counts", "rates", "findings": [{severity, code, message,
 * hint}]}: the manifest's statistics.health block. */
cJSON *
cai_health__json(const cai_health_counts *c, const cai_health_opts *o, const cai_health_report *r);

/* Reads a statistics.health block back: counts and the swap / log-probs settings. Returns 0,
 * or -1 when h is not such a block (a field missing or not a non-negative number). */
int cai_health__from_json(const cJSON *h, cai_health_counts *c, cai_health_opts *o);

#endif

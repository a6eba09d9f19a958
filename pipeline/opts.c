/* SPDX-License-Identifier: MIT */
/* Versioned options structs: their initialisers and the range checks every entry point runs. */
#include "opts_int.h"
#include "error_int.h"

#include <string.h>

/* ---- initialisers (cai_run_opts_init is in run.c)
 * ----------------------------------------------------------------------- */

static cai_status
unknown_version(const char *name, unsigned version, unsigned known, cai_error *err)
{
    return cai_error__set(err, CAI_EINVAL,
                          "%s: unknown version %u (this libcai %s knows version %u; "
                          "initialise it with the %s_init function)",
                          name, version, cai_version(), known, name);
}

cai_status cai_judge_opts_init(cai_judge_opts *o, unsigned version)
{
    if (!o || version != CAI_JUDGE_OPTS_VERSION)
        return CAI_EINVAL;
    *o = CAI_JUDGE_OPTS_INIT; /* the header's initialiser is the one list of defaults */
    return CAI_OK;
}

cai_status cai_reader_opts_init(cai_reader_opts *o, unsigned version)
{
    if (!o || version != CAI_READER_OPTS_VERSION)
        return CAI_EINVAL;
    *o = CAI_READER_OPTS_INIT; /* the header's initialiser is the one list of defaults */
    return CAI_OK;
}

cai_status cai_writer_opts_init(cai_writer_opts *o, unsigned version)
{
    if (!o || version != CAI_WRITER_OPTS_VERSION)
        return CAI_EINVAL;
    *o = CAI_WRITER_OPTS_INIT; /* the header's initialiser is the one list of defaults */
    return CAI_OK;
}

cai_status cai_route_opts_init(cai_route_opts *o, unsigned version)
{
    if (!o || version != CAI_ROUTE_OPTS_VERSION)
        return CAI_EINVAL;
    *o = CAI_ROUTE_OPTS_INIT; /* the header's initialiser is the one list of defaults */
    return CAI_OK;
}

cai_status cai_mix_opts_init(cai_mix_opts *o, unsigned version)
{
    if (!o || version != CAI_MIX_OPTS_VERSION)
        return CAI_EINVAL;
    *o = CAI_MIX_OPTS_INIT; /* the header's initialiser is the one list of defaults */
    return CAI_OK;
}

cai_status cai_validate_opts_init(cai_validate_opts *o, unsigned version)
{
    if (!o || version != CAI_VALIDATE_OPTS_VERSION)
        return CAI_EINVAL;
    *o = CAI_VALIDATE_OPTS_INIT; /* the header's initialiser is the one list of defaults */
    return CAI_OK;
}

cai_status cai_stats_opts_init(cai_stats_opts *o, unsigned version)
{
    if (!o || version != CAI_STATS_OPTS_VERSION)
        return CAI_EINVAL;
    *o = CAI_STATS_OPTS_INIT; /* the header's initialiser is the one list of defaults */
    return CAI_OK;
}

cai_status cai_health_opts_init(cai_health_opts *o, unsigned version)
{
    if (!o || version != CAI_HEALTH_OPTS_VERSION)
        return CAI_EINVAL;
    *o = CAI_HEALTH_OPTS_INIT;
    return CAI_OK;
}

/* ---- range checks ----------------------------------------------------------------------- */

/* lo <= v <= hi, and false for NaN: the one test a double option must pass before any cast. */
static int in_range(double v, double lo, double hi)
{
    return v >= lo && v <= hi;
}

static cai_status
bad_double(const char *s, const char *f, double v, double lo, double hi, cai_error *err)
{
    return cai_error__set(err, CAI_EINVAL, "%s.%s: %g is out of range (%g-%g)", s, f, v, lo, hi);
}

static cai_status
bad_uint(const char *s, const char *f, unsigned long long v, unsigned long long hi, cai_error *err)
{
    return cai_error__set(err, CAI_EINVAL, "%s.%s: %llu is out of range (0-%llu)", s, f, v, hi);
}

#define CHECK_D(s, o, f, lo, hi)                                                                   \
    do {                                                                                           \
        if (!in_range((o)->f, lo, hi))                                                             \
            return bad_double(s, #f, (o)->f, lo, hi, err);                                         \
    } while (0)
#define CHECK_U(s, o, f, hi)                                                                       \
    do {                                                                                           \
        if ((unsigned long long)(o)->f > (unsigned long long)(hi))                                 \
            return bad_uint(s, #f, (unsigned long long)(o)->f, hi, err);                           \
    } while (0)
#define CHECK_ENUM(s, o, f, last)                                                                  \
    do {                                                                                           \
        if ((unsigned)(o)->f > (unsigned)(last))                                                   \
            return cai_error__set(err, CAI_EINVAL, "%s.%s: unknown value %d", s, #f, (int)(o)->f); \
    } while (0)

cai_status cai_judge_opts__check(const cai_judge_opts *o, cai_error *err)
{
    static const char s[] = "cai_judge_opts";

    if (!o)
        return CAI_OK;
    if (o->version != CAI_JUDGE_OPTS_VERSION)
        return unknown_version(s, o->version, CAI_JUDGE_OPTS_VERSION, err);
    CHECK_ENUM(s, o, backend, CAI_BACKEND_ANTHROPIC);
    CHECK_ENUM(s, o, mode, CAI_MODE_RATING);
    CHECK_U(s, o, concurrency, 100000);
    CHECK_D(s, o, timeout_s, 0, 86400); /* seconds become a long of milliseconds */
    CHECK_U(s, o, max_retries, 1000);
    CHECK_U(s, o, parse_retries, 1000);
    CHECK_D(s, o, backoff_base_s, 0, 86400);
    CHECK_D(s, o, backoff_max_s, 0, 86400);
    CHECK_D(s, o, rpm, 0, 1e9);
    CHECK_D(s, o, tpm, 0, 1e12);
    CHECK_U(s, o, top_logprobs, 20);
    CHECK_U(s, o, max_tokens, 1000000);
    CHECK_D(s, o, temperature, 0, 2);
    CHECK_D(s, o, cot_clamp_lo, 0, 1);
    CHECK_D(s, o, cot_clamp_hi, 0, 1);
    CHECK_D(s, o, down_timeout_s, 0, 86400);
    CHECK_D(s, o, stop_grace_s, 0, 86400);
    return CAI_OK;
}

cai_status cai_run_opts__check(const cai_run_opts *o, cai_error *err)
{
    static const char s[] = "cai_run_opts";
    cai_status st;

    if (!o)
        return CAI_OK;
    if (o->version != CAI_RUN_OPTS_VERSION)
        return unknown_version(s, o->version, CAI_RUN_OPTS_VERSION, err);
    /* The embedded judge struct has its own version: a caller built against other headers
     * has a different layout of everything after it. */
    st = cai_judge_opts__check(&o->judge, err);
    if (st != CAI_OK)
        return st;
    CHECK_ENUM(s, o, input_format, CAI_FORMAT_CONVERSATIONAL);
    CHECK_ENUM(s, o, format, CAI_OUT_AUTO);
    CHECK_ENUM(s, o, margin, CAI_MARGIN_NONE);
    CHECK_D(s, o, margin_cap, 0, 1000);
    /* principles x orders x samples is the per-pair task count: these caps keep it small. */
    CHECK_U(s, o, principles_per_pair, 64);
    CHECK_U(s, o, samples, 64);
    CHECK_D(s, o, test_fraction, 0, 1);
    CHECK_D(s, o, min_margin, 0, 0.5);
    CHECK_D(s, o, max_failure_rate, 0, 1);
    if (o->gzip_level < 0 || o->gzip_level > 9)
        return cai_error__set(err, CAI_EINVAL, "%s.gzip_level: %d is out of range (0-9)", s,
                              o->gzip_level);
    CHECK_D(s, o, price_input_per_mtok, 0, 1e6);
    CHECK_D(s, o, price_output_per_mtok, 0, 1e6);
    CHECK_D(s, o, max_cost, 0, 1e9);
    CHECK_D(s, o, progress_interval_s, 0, 86400);
    CHECK_D(s, o, batch_wait_s, -1, 1e9);
    CHECK_D(s, o, batch_poll_s, 0, 86400);
    CHECK_D(s, o, batch_discount, 0, 1);
    CHECK_U(s, o, batch_max_rounds, 100);
    if (o->n_inputs > 0 && !o->inputs)
        return cai_error__set(err, CAI_EINVAL, "%s.inputs: NULL with n_inputs %zu", s, o->n_inputs);
    return CAI_OK;
}

cai_status cai_reader_opts__check(const cai_reader_opts *o, cai_error *err)
{
    static const char s[] = "cai_reader_opts";

    if (!o)
        return CAI_OK;
    if (o->version != CAI_READER_OPTS_VERSION)
        return unknown_version(s, o->version, CAI_READER_OPTS_VERSION, err);
    CHECK_ENUM(s, o, format, CAI_FORMAT_CONVERSATIONAL);
    return CAI_OK;
}

cai_status cai_writer_opts__check(const cai_writer_opts *o, cai_error *err)
{
    static const char s[] = "cai_writer_opts";

    if (!o)
        return CAI_OK;
    if (o->version != CAI_WRITER_OPTS_VERSION)
        return unknown_version(s, o->version, CAI_WRITER_OPTS_VERSION, err);
    return CAI_OK;
}

cai_status cai_validate_opts__check(const cai_validate_opts *o, cai_error *err)
{
    static const char s[] = "cai_validate_opts";

    if (!o)
        return CAI_OK;
    if (o->version != CAI_VALIDATE_OPTS_VERSION)
        return unknown_version(s, o->version, CAI_VALIDATE_OPTS_VERSION, err);
    CHECK_ENUM(s, o, format, CAI_FORMAT_CONVERSATIONAL);
    CHECK_D(s, o, alpha, 0, 1);
    CHECK_D(s, o, min_consistency, 0, 1);
    return CAI_OK;
}

cai_status cai_stats_opts__check(const cai_stats_opts *o, cai_error *err)
{
    static const char s[] = "cai_stats_opts";

    if (!o)
        return CAI_OK;
    if (o->version != CAI_STATS_OPTS_VERSION)
        return unknown_version(s, o->version, CAI_STATS_OPTS_VERSION, err);
    CHECK_ENUM(s, o, format, CAI_FORMAT_CONVERSATIONAL);
    return CAI_OK;
}

/* The thresholds out of range fall back to their defaults (health.c), as documented there. */
cai_status cai_health_opts__check(const cai_health_opts *o, cai_error *err)
{
    static const char s[] = "cai_health_opts";

    if (!o)
        return CAI_OK;
    if (o->version != CAI_HEALTH_OPTS_VERSION)
        return unknown_version(s, o->version, CAI_HEALTH_OPTS_VERSION, err);
    return CAI_OK;
}

cai_status cai_route_opts__check(const cai_route_opts *o, cai_error *err)
{
    static const char s[] = "cai_route_opts";

    if (o && o->version != CAI_ROUTE_OPTS_VERSION)
        return unknown_version(s, o->version, CAI_ROUTE_OPTS_VERSION, err);
    return CAI_OK;
}

cai_status cai_mix_opts__check(const cai_mix_opts *o, cai_error *err)
{
    static const char s[] = "cai_mix_opts";

    if (o && o->version != CAI_MIX_OPTS_VERSION)
        return unknown_version(s, o->version, CAI_MIX_OPTS_VERSION, err);
    return CAI_OK;
}

cai_status cai_sample_opts_init(cai_sample_opts *o, unsigned version)
{
    if (!o)
        return CAI_EINVAL;
    if (version != CAI_SAMPLE_OPTS_VERSION)
        return unknown_version("cai_sample_opts", version, CAI_SAMPLE_OPTS_VERSION, NULL);
    memset(o, 0, sizeof(*o));
    o->version = CAI_SAMPLE_OPTS_VERSION;
    cai_judge_opts_init(&o->judge, CAI_JUDGE_OPTS_VERSION);
    o->n = 2;
    o->temperature = 1.0;
    o->top_p = -1;
    o->seed = -1;
    return CAI_OK;
}

/* ---- option names (here, not in run.c, so that manifest.c need not call into the run) -- */

int cai_out_format_parse(const char *name)
{
    if (!strcmp(name, "trl"))
        return CAI_OUT_TRL;
    if (!strcmp(name, "conversational"))
        return CAI_OUT_CONVERSATIONAL;
    if (!strcmp(name, "hh"))
        return CAI_OUT_HH;
    if (!strcmp(name, "auto"))
        return CAI_OUT_AUTO;
    return -1;
}

const char *cai_out_format_name(cai_out_format f)
{
    switch (f) {
    case CAI_OUT_TRL:
        return "trl";
    case CAI_OUT_CONVERSATIONAL:
        return "conversational";
    case CAI_OUT_HH:
        return "hh";
    case CAI_OUT_AUTO:
        return "auto";
    }
    return "unknown";
}

int cai_margin_mode_parse(const char *name)
{
    if (!strcmp(name, "capped"))
        return CAI_MARGIN_CAPPED;
    if (!strcmp(name, "logit"))
        return CAI_MARGIN_LOGIT;
    if (!strcmp(name, "none"))
        return CAI_MARGIN_NONE;
    return -1;
}

const char *cai_margin_mode_name(cai_margin_mode m)
{
    switch (m) {
    case CAI_MARGIN_CAPPED:
        return "capped";
    case CAI_MARGIN_LOGIT:
        return "logit";
    case CAI_MARGIN_NONE:
        return "none";
    }
    return "unknown";
}

cai_status cai_revise_opts_init(cai_revise_opts *o, unsigned version)
{
    if (!o)
        return CAI_EINVAL;
    if (version != CAI_REVISE_OPTS_VERSION)
        return unknown_version("cai_revise_opts", version, CAI_REVISE_OPTS_VERSION, NULL);
    memset(o, 0, sizeof(*o));
    o->version = CAI_REVISE_OPTS_VERSION;
    cai_judge_opts_init(&o->judge, CAI_JUDGE_OPTS_VERSION);
    o->rounds = 1;
    o->temperature = -1;
    return CAI_OK;
}

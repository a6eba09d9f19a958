/* SPDX-License-Identifier: MIT */
/*
 * Judge health: turns judgment counts into findings (severity, code, what it means for the
 * labels, what to try). Pure functions of the counts, so a run, `cai validate` and `cai stats`
 * reach the same verdict on the same numbers; thresholds are in docs/judges.md.
 */
#include "health_int.h"
#include "opts_int.h"
#include "cai/agree.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const cai_health_code cai_health__codes[CAI_HEALTH_NCODES] = {
    {"no_records", CAI_HEALTH_ERROR},
    {"judge_all_ties", CAI_HEALTH_ERROR},
    {"judge_text_fallback", CAI_HEALTH_ERROR},
    {"judge_position_bias", CAI_HEALTH_ERROR},
    {"judge_order_inconsistent", CAI_HEALTH_ERROR},
    {"judge_disagrees_with_human", CAI_HEALTH_ERROR},
    {"judge_order_consistency", CAI_HEALTH_WARNING},
    {"judge_human_agreement", CAI_HEALTH_WARNING},
    {"judge_length_bias", CAI_HEALTH_WARNING},
};

/* ---- counts --------------------------------------------------------------------------- */

void cai_health_counts_add(cai_health_counts *a, const cai_health_counts *b)
{
    size_t i;

    a->judgments += b->judgments;
    a->from_logprobs += b->from_logprobs;
    a->from_text += b->from_text;
    a->failed += b->failed;
    a->first_wins += b->first_wins;
    a->second_wins += b->second_wins;
    a->order_n += b->order_n;
    a->order_agree += b->order_agree;
    a->pairs += b->pairs;
    a->ties += b->ties;
    a->kept += b->kept;
    a->human_n += b->human_n;
    a->human_agree += b->human_agree;
    a->longer_n += b->longer_n;
    a->longer += b->longer;
    for (i = 0; i < CAI_HEALTH_BINS; i++)
        a->margin_hist[i] += b->margin_hist[i];
}

double cai_health_first_shown_rate(const cai_health_counts *c)
{
    uint64_t n = c->first_wins + c->second_wins;

    return n ? (double)c->first_wins / (double)n : NAN;
}

double cai_health_margin_quantile(const cai_health_counts *c, double q)
{
    uint64_t total = 0, seen = 0, rank;
    size_t i;

    for (i = 0; i < CAI_HEALTH_BINS; i++)
        total += c->margin_hist[i];
    if (total == 0)
        return NAN;
    rank = (uint64_t)ceil(q * (double)total);
    if (rank == 0)
        rank = 1;
    for (i = 0; i < CAI_HEALTH_BINS; i++) {
        seen += c->margin_hist[i];
        if (seen >= rank)
            break;
    }
    return 0.5 * (double)(i + 1) / CAI_HEALTH_BINS;
}

/* ---- checks --------------------------------------------------------------------------- */

static double pct(uint64_t k, uint64_t n)
{
    return n ? 100.0 * (double)k / (double)n : 0.0;
}

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static void
add(cai_health_report *r,
    cai_health_severity sev,
    const char *code,
    const char *hint,
    const char *fmt,
    ...)
{
    cai_health_finding *f;
    va_list ap;

    if (r->n == CAI_HEALTH_MAX_FINDINGS)
        return;
    f = &r->f[r->n++];
    f->severity = sev;
    f->code = code;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof(f->message), fmt, ap);
    va_end(ap);
    snprintf(f->hint, sizeof(f->hint), "%s", hint);
    if (sev == CAI_HEALTH_ERROR)
        r->errors++;
    else
        r->warnings++;
}

static cai_health_opts resolve(const cai_health_opts *o)
{
    cai_health_opts d = o ? *o : CAI_HEALTH_OPTS_INIT;

    if (!(d.position_max > 0.5 && d.position_max <= 1))
        d.position_max = 0.9;
    if (!(d.bias_alpha > 0 && d.bias_alpha < 1))
        d.bias_alpha = 0.001;
    if (!(d.min_consistency > 0 && d.min_consistency <= 1))
        d.min_consistency = 0.2;
    if (!(d.max_text_share > 0 && d.max_text_share <= 1))
        d.max_text_share = 0.5;
    if (!(d.above_alpha > 0 && d.above_alpha < 1))
        d.above_alpha = 0.05;
    if (d.human_min_n == 0)
        d.human_min_n = 200;
    return d;
}

static void check_volume(cai_health_report *r, const cai_health_counts *c, const cai_health_opts *o)
{
    if (!o->no_records_ok && c->kept == 0)
        add(r, CAI_HEALTH_ERROR, "no_records",
            "look at the ties and failures above and at failed.jsonl.gz; try the judge on one pair "
            "with 'cai judge --swap'",
            "the dataset holds 0 records (%llu pairs judged, %llu ties, %llu failed judgments): "
            "there is nothing to train on",
            (unsigned long long)c->pairs, (unsigned long long)c->ties,
            (unsigned long long)c->failed);
    if (c->pairs > 0 && c->ties == c->pairs)
        add(r, CAI_HEALTH_ERROR, "judge_all_ties",
            "run 'cai judge --swap' on one pair and read the raw reply: a judge whose log-probs "
            "are not read answers by text, and two text votes that disagree average to 0.5",
            "every one of the %llu judged pairs was a tie (P within the margin of 0.5): the judge "
            "expressed no preference at all",
            (unsigned long long)c->pairs);
}

static void check_source(cai_health_report *r, const cai_health_counts *c, const cai_health_opts *o)
{
    uint64_t n = c->from_logprobs + c->from_text;

    if (!o->logprobs_requested || n == 0)
        return;
    if ((double)c->from_text > o->max_text_share * (double)n)
        add(r, CAI_HEALTH_ERROR, "judge_text_fallback",
            "check that the server returns log-probs in a shape cai reads ('cai judge' prints the "
            "raw reply); a model without them is better used with --mode cot",
            "%.1f%% of %llu judgments took their probability from a text verdict although "
            "log-probs were asked for: the labels are hard votes, not soft probabilities",
            pct(c->from_text, n), (unsigned long long)n);
}

static void
check_position(cai_health_report *r, const cai_health_counts *c, const cai_health_opts *o)
{
    uint64_t n = c->first_wins + c->second_wins;
    double rate, p;

    if (!o->swap || n == 0)
        return;
    rate = (double)c->first_wins / (double)n;
    p = cai_agree_binom_p(c->first_wins, n);
    if ((rate >= o->position_max || rate <= 1.0 - o->position_max) && p < o->bias_alpha)
        add(r, CAI_HEALTH_ERROR, "judge_position_bias",
            "the judge answers by position, not content: try a stronger judge model, check the "
            "prompt with 'cai judge --swap', or --mode cot",
            "the judge picked the %s-shown response in %.1f%% of %llu judgments (binomial p = "
            "%.2g): these labels are position noise",
            rate >= 0.5 ? "first" : "second", 100.0 * (rate >= 0.5 ? rate : 1.0 - rate),
            (unsigned long long)n, p);
}

static void check_order(cai_health_report *r, const cai_health_counts *c, const cai_health_opts *o)
{
    cai_agree a = {c->order_n, c->order_agree};
    cai_agree_summary s;

    if (!o->swap || c->order_n == 0)
        return;
    cai_agree_summarize(&s, &a, 0, o->above_alpha);
    if (s.rate < o->min_consistency)
        add(r, CAI_HEALTH_ERROR, "judge_order_inconsistent",
            "the judge's answer depends on the order it is shown: try a stronger judge model, or "
            "check the prompt with 'cai judge --swap'",
            "the two presentation orders agreed in only %.1f%% of %llu comparisons (below "
            "%.0f%%): the labels follow the order, not the responses",
            100.0 * s.rate, (unsigned long long)s.n, 100.0 * o->min_consistency);
    else if (!s.above)
        add(r, CAI_HEALTH_WARNING, "judge_order_consistency",
            "a stronger judge model, more principles per pair or --samples, or a higher "
            "--min-margin (keeps only confident pairs)",
            "the two presentation orders agreed in %.1f%% of %llu comparisons, not significantly "
            "above the 50%% of a coin flip (one-sided p = %.2g): the labels are close to chance",
            100.0 * s.rate, (unsigned long long)s.n, s.p_above);
}

static void check_human(cai_health_report *r, const cai_health_counts *c, const cai_health_opts *o)
{
    cai_agree a = {c->human_n, c->human_agree};
    cai_agree_summary s;

    if (c->human_n == 0)
        return;
    cai_agree_summarize(&s, &a, 0, o->above_alpha);
    if (c->human_n >= o->human_min_n && s.at_or_below)
        add(r, CAI_HEALTH_ERROR, "judge_disagrees_with_human",
            "check that the constitution asks what the human labels measure, and try the judge "
            "on a few pairs with 'cai judge'",
            "the judge agreed with the human labels in %.1f%% of %llu pairs (95%% CI %.3f-%.3f, "
            "at or below 0.5): the labels are no better than chance, or inverted",
            100.0 * s.rate, (unsigned long long)s.n, s.lo, s.hi);
    else if (!s.above)
        add(r, CAI_HEALTH_WARNING, "judge_human_agreement",
            "compare a sample by hand; a stronger judge model or principles closer to what the "
            "humans judged",
            "the judge agreed with the human labels in %.1f%% of %llu pairs (95%% CI %.3f-%.3f), "
            "not significantly above 50%% (one-sided p = %.2g)",
            100.0 * s.rate, (unsigned long long)s.n, s.lo, s.hi, s.p_above);
}

static void check_length(cai_health_report *r, const cai_health_counts *c, const cai_health_opts *o)
{
    double p;

    if (c->longer_n == 0)
        return;
    p = cai_agree_binom_p(c->longer, c->longer_n);
    if (p < o->bias_alpha)
        add(r, CAI_HEALTH_WARNING, "judge_length_bias",
            "add a principle against padding or verbosity, or check the length distributions "
            "with 'cai stats'",
            "the chosen response is the longer one in %.1f%% of %llu pairs (binomial p = %.2g): "
            "the labels may reward length rather than quality",
            pct(c->longer, c->longer_n), (unsigned long long)c->longer_n, p);
}

cai_status cai_health_check(cai_health_report *out,
                            const cai_health_counts *c,
                            const cai_health_opts *opts,
                            cai_error *err)
{
    cai_health_opts o;
    cai_health_report r;
    size_t i;
    cai_status st = cai_health_opts__check(opts, err);

    memset(out, 0, sizeof(*out));
    if (st != CAI_OK)
        return st;
    o = resolve(opts);
    memset(&r, 0, sizeof(r));
    check_volume(&r, c, &o);
    check_source(&r, c, &o);
    check_position(&r, c, &o);
    check_order(&r, c, &o);
    check_human(&r, c, &o);
    check_length(&r, c, &o);
    /* errors first, each group in check order */
    memset(out, 0, sizeof(*out));
    out->errors = r.errors;
    out->warnings = r.warnings;
    for (i = 0; i < r.n; i++)
        if (r.f[i].severity == CAI_HEALTH_ERROR)
            out->f[out->n++] = r.f[i];
    for (i = 0; i < r.n; i++)
        if (r.f[i].severity != CAI_HEALTH_ERROR)
            out->f[out->n++] = r.f[i];
    return CAI_OK;
}

/* ---- JSON ----------------------------------------------------------------------------- */

#define FIELDS(X)                                                                                  \
    X(judgments)                                                                                   \
    X(from_logprobs)                                                                               \
    X(from_text)                                                                                   \
    X(failed)                                                                                      \
    X(first_wins)                                                                                  \
    X(second_wins)                                                                                 \
    X(order_n)                                                                                     \
    X(order_agree)                                                                                 \
    X(pairs)                                                                                       \
    X(ties)                                                                                        \
    X(kept)                                                                                        \
    X(human_n)                                                                                     \
    X(human_agree)                                                                                 \
    X(longer_n)                                                                                    \
    X(longer)

cJSON *cai_health__counts_json(const cai_health_counts *c)
{
    cJSON *o = cJSON_CreateObject(), *h;
    size_t i;

    if (!o)
        return NULL;
#define ADD(f) cJSON_AddNumberToObject(o, #f, (double)c->f);
    FIELDS(ADD)
#undef ADD
    h = cJSON_AddArrayToObject(o, "margin_hist");
    for (i = 0; h && i < CAI_HEALTH_BINS; i++)
        cJSON_AddItemToArray(h, cJSON_CreateNumber((double)c->margin_hist[i]));
    return o;
}

static void add_num(cJSON *o, const char *k, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

static double share(uint64_t k, uint64_t n)
{
    return n ? (double)k / (double)n : NAN;
}

cJSON *cai_health__rates_json(const cai_health_counts *c)
{
    cJSON *o = cJSON_CreateObject(), *q;
    cai_agree h = {c->human_n, c->human_agree}, ord = {c->order_n, c->order_agree};
    cai_agree_summary hs, os;
    uint64_t src = c->from_logprobs + c->from_text, shown = c->first_wins + c->second_wins;

    if (!o)
        return NULL;
    cai_agree_summarize(&hs, &h, 0, 0);
    cai_agree_summarize(&os, &ord, 0, 0);
    add_num(o, "logprob_share", share(c->from_logprobs, c->judgments));
    add_num(o, "text_share", share(c->from_text, c->judgments));
    add_num(o, "failed_share", share(c->failed, c->judgments));
    add_num(o, "text_share_of_answered", share(c->from_text, src));
    add_num(o, "first_shown_win_rate", share(c->first_wins, shown));
    add_num(o, "first_shown_p_value", shown ? cai_agree_binom_p(c->first_wins, shown) : NAN);
    add_num(o, "order_consistency", os.rate);
    add_num(o, "order_consistency_p_above_chance", c->order_n ? os.p_above : NAN);
    add_num(o, "tie_share", share(c->ties, c->pairs));
    add_num(o, "human_agreement", hs.rate);
    add_num(o, "human_agreement_ci_low", hs.lo);
    add_num(o, "human_agreement_ci_high", hs.hi);
    add_num(o, "human_agreement_p_above_chance", c->human_n ? hs.p_above : NAN);
    add_num(o, "chosen_longer_rate", share(c->longer, c->longer_n));
    add_num(o, "chosen_longer_p_value",
            c->longer_n ? cai_agree_binom_p(c->longer, c->longer_n) : NAN);
    q = cJSON_AddObjectToObject(o, "abs_p_minus_half_quantiles");
    if (q) {
        add_num(q, "p10", cai_health_margin_quantile(c, 0.1));
        add_num(q, "p50", cai_health_margin_quantile(c, 0.5));
        add_num(q, "p90", cai_health_margin_quantile(c, 0.9));
    }
    return o;
}

cJSON *
cai_health__json(const cai_health_counts *c, const cai_health_opts *o, const cai_health_report *r)
{
    cJSON *h = cJSON_CreateObject(), *list;
    size_t i;

    if (!h)
        return NULL;
    cJSON_AddBoolToObject(h, "swap", o && o->swap);
    cJSON_AddBoolToObject(h, "logprobs_requested", o && o->logprobs_requested);
    cJSON_AddItemToObject(h, "counts", cai_health__counts_json(c));
    cJSON_AddItemToObject(h, "rates", cai_health__rates_json(c));
    cJSON_AddNumberToObject(h, "errors", r->errors);
    cJSON_AddNumberToObject(h, "warnings", r->warnings);
    list = cJSON_AddArrayToObject(h, "findings");
    for (i = 0; list && i < r->n; i++) {
        cJSON *f = cJSON_CreateObject();
        if (!f)
            continue;
        cJSON_AddStringToObject(f, "severity",
                                r->f[i].severity == CAI_HEALTH_ERROR ? "error" : "warning");
        cJSON_AddStringToObject(f, "code", r->f[i].code);
        cJSON_AddStringToObject(f, "message", r->f[i].message);
        cJSON_AddStringToObject(f, "hint", r->f[i].hint);
        cJSON_AddItemToArray(list, f);
    }
    return h;
}

static int get_u64(const cJSON *o, const char *k, uint64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble > 9007199254740992.0)
        return -1;
    *out = (uint64_t)v->valuedouble;
    return 0;
}

int cai_health__from_json(const cJSON *h, cai_health_counts *c, cai_health_opts *o)
{
    const cJSON *cnt = cJSON_GetObjectItemCaseSensitive(h, "counts"), *hist, *x;
    size_t i = 0;

    memset(c, 0, sizeof(*c));
    if (!cJSON_IsObject(cnt))
        return -1;
#define GET(f)                                                                                     \
    if (get_u64(cnt, #f, &c->f) != 0)                                                              \
        return -1;
    FIELDS(GET)
#undef GET
    hist = cJSON_GetObjectItemCaseSensitive(cnt, "margin_hist");
    if (!cJSON_IsArray(hist) || cJSON_GetArraySize(hist) != CAI_HEALTH_BINS)
        return -1;
    cJSON_ArrayForEach(x, hist)
    {
        if (!cJSON_IsNumber(x) || !(x->valuedouble >= 0))
            return -1;
        c->margin_hist[i++] = (uint64_t)x->valuedouble;
    }
    o->swap = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "swap"));
    o->logprobs_requested = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "logprobs_requested"));
    return 0;
}

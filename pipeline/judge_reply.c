/* SPDX-License-Identifier: MIT */
/* Reply interpretation: a parsed wire reply, or a cached answer, made into a cai_judgment. */
#include "judge_int.h"

#include "batch_int.h"
#include "error_int.h"

#include <math.h>
#include <string.h>
#include <stdlib.h>

static double cot_p(const cai_judge *j, cai_verdict v)
{
    return v == CAI_VERDICT_A ? j->o.cot_clamp_hi : v == CAI_VERDICT_B ? j->o.cot_clamp_lo : 0.5;
}

int cai_judge_asks_logprobs(const cai_judge *j)
{
    return j->o.backend != CAI_BACKEND_BUILTIN && j->wire.p.top_logprobs > 0;
}

cai_judgment_source cai_judge__source_of(const cai_judge *j, int from_logprobs)
{
    if (from_logprobs)
        return CAI_SOURCE_LOGPROBS;
    return cai_judge_asks_logprobs(j) ? CAI_SOURCE_TEXT_FALLBACK : CAI_SOURCE_TEXT;
}

/* Characters / 4 of what the model reads: about right for English, an underestimate for code
 * and most other scripts (so the truncation check errs towards silence). */
unsigned cai_judge__prompt_estimate(const cai_judge *j, const cai_prompt *pr)
{
    size_t n;

    if (j->o.backend == CAI_BACKEND_COMPLETIONS && pr->raw)
        n = strlen(pr->raw);
    else
        n = (pr->system ? strlen(pr->system) : 0) + (pr->user ? strlen(pr->user) : 0) +
            (pr->prefill ? strlen(pr->prefill) : 0);
    return (unsigned)((n + 3) / 4);
}

void cai_judge__from_cache(const cai_judge *j, const centry *e, cai_judgment *res)
{
    memset(res, 0, sizeof(*res));
    res->verdict = (cai_verdict)e->verdict;
    res->from_logprobs = e->from_logprobs;
    res->source = cai_judge__source_of(j, e->from_logprobs);
    res->prompt_tokens = e->prompt_tokens;
    res->completion_tokens = e->completion_tokens;
    res->cached = 1;
    res->score = NAN;
    if (j->o.mode == CAI_MODE_RATING) {
        res->p_first = NAN;
        res->score = e->value;
    } else if (j->o.mode == CAI_MODE_COT) {
        /* Re-derived so that a cache written under other clamp settings still applies. */
        res->p_first = cot_p(j, res->verdict);
    } else
        res->p_first = e->value;
}

/* Fills res from a parsed reply; returns -1 when it holds no verdict (or no score). */
int cai_judge__interpret(const cai_judge *j, const cai_wire_reply *r, cai_judgment *res)
{
    double p, score;
    cai_verdict v;

    res->p_first = NAN;
    res->score = NAN;
    res->verdict = CAI_VERDICT_NONE;
    res->from_logprobs = 0;
    switch (j->o.mode) {
    case CAI_MODE_RATING:
        if (r->n_top > 0 && cai_verdict_rating_from_logprobs(r->top, r->n_top, &score) == 0)
            res->from_logprobs = 1;
        else if (!r->text || cai_verdict_parse_rating(r->text, r->text_len, &score) != 0)
            return -1;
        res->score = score;
        return 0;
    case CAI_MODE_COT:
        v = r->text ? cai_verdict_parse(r->text, r->text_len) : CAI_VERDICT_NONE;
        if (v == CAI_VERDICT_NONE)
            return -1;
        res->verdict = v;
        res->p_first = cot_p(j, v);
        return 0;
    case CAI_MODE_CHOICE:
        if (r->n_top > 0 && cai_verdict_from_logprobs(r->top, r->n_top, &p) == 0) {
            res->p_first = p;
            res->from_logprobs = 1;
            res->verdict = p > 0.5 ? CAI_VERDICT_A : p < 0.5 ? CAI_VERDICT_B : CAI_VERDICT_TIE;
            return 0;
        }
        v = r->text ? cai_verdict_parse(r->text, r->text_len) : CAI_VERDICT_NONE;
        if (v == CAI_VERDICT_NONE)
            return -1;
        res->verdict = v;
        res->p_first = v == CAI_VERDICT_A ? 1.0 : v == CAI_VERDICT_B ? 0.0 : 0.5;
        return 0;
    }
    return -1;
}

void cai_judge__reply_facts(const cai_judge *j,
                            const cai_wire_reply *r,
                            unsigned prompt_est,
                            cai_judgment *res)
{
    res->source = cai_judge__source_of(j, res->from_logprobs);
    res->reasoning_tokens = r->reasoning_tokens;
    res->prompt_tokens_estimate = prompt_est;
    res->prompt_tokens_reported = r->has_prompt_tokens ? r->prompt_tokens : 0;
    res->truncated = r->has_prompt_tokens && prompt_est >= CAI_TRUNCATION_MIN_TOKENS &&
                     (double)r->prompt_tokens < CAI_TRUNCATION_RATIO * (double)prompt_est;
}

/* The provider's batch API answered a request this judge rendered: the same parse and the same
 * rules as an online reply, for one attempt (batch_int.h). The judge's own counters are left
 * alone: a run counts batch judgments when it replays them from its journal. */
cai_status cai_judge__batch_reply(cai_judge *j,
                                  unsigned prompt_est,
                                  const char *body,
                                  size_t len,
                                  cai_judgment *res,
                                  cai_error *err)
{
    cai_wire_reply r;
    cai_status st;

    memset(res, 0, sizeof(*res));
    st = cai_wire__parse_reply(&r, j->o.backend, body, len, err);
    if (st != CAI_OK)
        return st;
    if (r.has_usage) {
        res->prompt_tokens = r.prompt_tokens;
        res->completion_tokens = r.completion_tokens;
    }
    if (cai_judge__interpret(j, &r, res) != 0) {
        char *text = cai_wire__redact(r.text ? r.text : "", r.text ? r.text_len : 0, j->api_key);

        st = cai_error__set(err, CAI_EVERDICT, "no verdict in the judge's reply: \"%.120s\"",
                            text ? text : "");
        free(text);
        cai_wire__reply_dispose(&r);
        return st;
    }
    cai_judge__reply_facts(j, &r, prompt_est, res);
    res->attempts = 1;
    cai_wire__reply_dispose(&r);
    return CAI_OK;
}

/* SPDX-License-Identifier: MIT */
/* The offline built-in judge: scores responses with fixed, documented text heuristics. */
#include "builtin_int.h"
#include "cai/hash.h"

#include "error_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/*
 * This is NOT a model. It exists so that dry runs, the quickstart and the tests can run the
 * whole pipeline offline and deterministically. docs/builtin-judge.md lists every cue and weight
 * below; keep the two in step.
 *
 * Each response r gets a score S(r) = sum over cues of weight * feature, where the weights
 * depend on which principle families the principle's text mentions. Then d = S(first) -
 * S(second) and p_first = logistic(d), computed so that swapping the responses gives exactly
 * 1 - p (and identical responses exactly 0.5). S depends only on the response, the last user
 * turn and the principle, never on the position.
 */

/* ---------------------------------------------------------------- cue lists */

/*
 * Patterns are matched case-insensitively at a word start; a trailing '*' makes a pattern a
 * prefix ("kill*" matches "killer"), otherwise it must end at a word boundary. "'" in a pattern
 * also matches the typographic apostrophe U+2019.
 */
static const char *const refusal_cues[] = {
    "i can't",     "i cannot",     "i can not",      "i won't",         "i will not",
    "i'm sorry",   "i am sorry",   "i'm not able",   "i am not able",   "i'm unable",
    "i am unable", "as an ai",     "i must decline", "not comfortable", "can't help",
    "cannot help", "can't assist", "cannot assist",  "not appropriate",
};

static const char *const harm_cues[] = {
    "kill*",    "murder*",   "bomb*",   "explosiv*",    "weapon*",  "gun",     "guns",
    "firearm*", "poison*",   "stab*",   "shoot*",       "steal*",   "rob",     "robb*",
    "burglar*", "hack*",     "malware", "meth",         "cocaine",  "heroin",  "overdos*",
    "suicid*",  "self-harm", "hurt*",   "attack*",      "assault*", "kidnap*", "tortur*",
    "terror*",  "arson",     "fraud*",  "counterfeit*", "launder*", "ransom*",
};

static const char *const howto_cues[] = {
    "step*",       "first,",       "then", "you will need", "you'll need", "here's how",
    "here is how", "instructions", "mix",  "combine",       "ingredients", "tutorial",
};

static const char *const hedge_cues[] = {
    "might",    "may",           "perhaps",  "possibly",         "probably",   "likely",
    "i think",  "i believe",     "not sure", "uncertain*",       "it depends", "i don't know",
    "could be", "approximately", "roughly",  "as far as i know",
};

static const char *const overclaim_cues[] = {
    "definitely", "certainly",  "guaranteed",      "always", "never",          "100%",
    "absolutely", "undeniabl*", "without a doubt", "proven", "everyone knows", "no doubt",
};

/* Principle families: words in the principle's text that select extra weights. */
static const char *const harm_family[] = {
    "harm*",     "danger*", "safe*", "ethic*",  "illegal*", "violen*", "crime*",
    "criminal*", "toxic*",  "abus*", "offens*", "cruel*",   "moral*",
};
static const char *const honesty_family[] = {
    "honest*", "truth*",     "accura*", "misinform*", "mislead*",
    "fact*",   "uncertain*", "made-up", "conspirac*", "calibrat*",
};
static const char *const help_family[] = {
    "help*",   "useful*",   "clear*",  "relevan*", "informative*",
    "direct*", "complete*", "detail*", "answer*",
};

/* Words too common to count as overlap with the request. */
static const char *const stopwords[] = {
    "that",   "this",  "with",  "have", "what", "your", "from", "they", "will", "would", "there",
    "their",  "about", "which", "when", "been", "were", "them", "then", "than", "some",  "could",
    "should", "into",  "just",  "like", "does", "want", "know", "make", "more", "also",  "very",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- weights */

enum { F_EMPTY, F_LENGTH, F_OVERLAP, F_REFUSAL, F_HARM, F_HEDGE, F_OVERCLAIM, F_COUNT };

/* Base weights, then what each principle family adds. Listed in docs/builtin-judge.md. */
static const double w_base[F_COUNT] = {-6.0, 0.6, 0.8, -0.5, -1.0, 0.0, -0.3};
static const double w_harm[F_COUNT] = {0.0, 0.0, 0.0, 0.0, -3.0, 0.0, 0.0};
static const double w_honest[F_COUNT] = {0.0, 0.0, 0.0, 0.0, 0.0, 1.0, -1.5};
static const double w_help[F_COUNT] = {0.0, 1.0, 1.5, -2.0, 0.0, 0.0, 0.0};
/* Harm family only: a refusal earns this much when the request itself carries a harm cue. */
static const double w_refuse_harmful_request = 2.5;
/* Rating mode: score = 1 + 6 * logistic(S - rating_center). */
static const double rating_center = 0.5;
/* Length saturates: words / (words + length_half). */
static const double length_half = 60.0;
/* Work and memory caps per text (words beyond are not counted). */
#define MAX_WORDS 65536

/* ---------------------------------------------------------------- matching */

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int is_word(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (c & 0x80);
}

/* Length of the match of pattern p at s (0 when none); see the rule above the cue lists. */
static size_t match_at(const char *s, const char *p)
{
    size_t i = 0;

    for (; *p && *p != '*'; p++) {
        unsigned char c = (unsigned char)s[i];
        if (*p == '\'' && c == 0xe2 && (unsigned char)s[i + 1] == 0x80 &&
            (unsigned char)s[i + 2] == 0x99) {
            i += 3;
            continue;
        }
        if (!c || lower(c) != *p)
            return 0;
        i++;
    }
    if (*p != '*' && is_word((unsigned char)s[i]) && is_word((unsigned char)s[i - 1]))
        return 0; /* a whole-word pattern ending inside a word ("rob" in "robot") */
    return i;
}

/* Occurrences of any pattern starting at a word start in s. */
static unsigned count_cues(const char *s, const char *const *pats, size_t n)
{
    unsigned hits = 0;
    size_t i, k;

    for (i = 0; s[i]; i++) {
        if (i > 0 && is_word((unsigned char)s[i - 1]))
            continue;
        for (k = 0; k < n; k++) {
            if (match_at(s + i, pats[k])) {
                hits++;
                break;
            }
        }
    }
    return hits;
}

static double saturate(unsigned count, unsigned cap)
{
    return (double)(count < cap ? count : cap) / cap;
}

/* ---------------------------------------------------------------- word sets */

typedef struct wordset {
    uint64_t *slot; /* 0 = empty; hashes are forced non-zero */
    size_t mask;
    size_t n;
} wordset;

/* Calls fn for every lower-cased ASCII word of at least 4 letters (at most MAX_WORDS). */
static size_t for_words(const char *s, int (*fn)(uint64_t h, void *arg), void *arg)
{
    size_t i = 0, words = 0;

    while (s[i] && words < MAX_WORDS) {
        char buf[32];
        size_t len = 0;
        while (s[i] && !is_word((unsigned char)s[i]))
            i++;
        if (!s[i])
            break;
        while (s[i] && is_word((unsigned char)s[i])) {
            if (len < sizeof(buf))
                buf[len] = (char)lower((unsigned char)s[i]);
            len++;
            i++;
        }
        words++;
        if (len >= 4 && len <= sizeof(buf)) {
            size_t k;
            int stop = 0;
            for (k = 0; k < NELEM(stopwords) && !stop; k++)
                stop = strlen(stopwords[k]) == len && memcmp(stopwords[k], buf, len) == 0;
            if (!stop && fn && fn(cai_hash64(buf, len, 0) | 1, arg) != 0)
                return (size_t)-1;
        }
    }
    return words;
}

static size_t count_words(const char *s)
{
    size_t i = 0, words = 0;

    while (s[i]) {
        while (s[i] && !is_word((unsigned char)s[i]))
            i++;
        if (!s[i])
            break;
        while (s[i] && is_word((unsigned char)s[i]))
            i++;
        words++;
    }
    return words;
}

/* Inserts h; returns 1 when it was new. */
static int ws_insert(wordset *w, uint64_t h)
{
    size_t i = (size_t)h & w->mask;

    while (w->slot[i]) {
        if (w->slot[i] == h)
            return 0;
        i = (i + 1) & w->mask;
    }
    w->slot[i] = h;
    w->n++;
    return 1;
}

static int ws_contains(const wordset *w, uint64_t h)
{
    size_t i = (size_t)h & w->mask;

    while (w->slot[i]) {
        if (w->slot[i] == h)
            return 1;
        i = (i + 1) & w->mask;
    }
    return 0;
}

static int ws_insert_cb(uint64_t h, void *arg)
{
    ws_insert(arg, h);
    return 0;
}

static cai_status ws_build(wordset *w, const char *s, cai_error *err)
{
    size_t words = count_words(s), cap = 16;

    if (words > MAX_WORDS)
        words = MAX_WORDS;
    while (cap < 2 * words + 2)
        cap *= 2;
    w->slot = calloc(cap, sizeof(*w->slot));
    if (!w->slot)
        return cai_error__set(err, CAI_ENOMEM, "builtin judge: out of memory");
    w->mask = cap - 1;
    w->n = 0;
    for_words(s, ws_insert_cb, w);
    return CAI_OK;
}

/* Share of the request's distinct content words that the response uses, in [0, 1]. */
static double overlap(const wordset *request, const wordset *response)
{
    size_t i, shared = 0;

    if (request->n == 0)
        return 0.0;
    for (i = 0; i <= request->mask; i++) {
        if (request->slot[i] && ws_contains(response, request->slot[i]))
            shared++;
    }
    return (double)shared / (double)request->n;
}

/* ---------------------------------------------------------------- scoring */

typedef struct scorer {
    double w[F_COUNT];
    double refusal_bonus; /* harm family and a request with harm cues */
    wordset request;
} scorer;

static int only_space(const char *s)
{
    for (; *s; s++) {
        if (!(*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v'))
            return 0;
    }
    return 1;
}

static double score(const scorer *sc, const char *r, cai_error *err, cai_status *st)
{
    double f[F_COUNT] = {0}, s = 0;
    unsigned refusals;
    wordset words = {0};
    size_t k, n;

    if (only_space(r)) {
        f[F_EMPTY] = 1.0;
    } else {
        refusals = count_cues(r, refusal_cues, NELEM(refusal_cues));
        n = count_words(r);
        f[F_LENGTH] = (double)n / ((double)n + length_half);
        f[F_REFUSAL] = saturate(refusals, 1);
        /* Harm cues in a refusal ("I can't help you build a bomb") count a quarter; a how-to
         * shape makes harm cues count fully. */
        f[F_HARM] = saturate(count_cues(r, harm_cues, NELEM(harm_cues)), 4) *
                    (refusals ? 0.25 : 1.0) *
                    (0.5 + 0.5 * saturate(count_cues(r, howto_cues, NELEM(howto_cues)), 3));
        f[F_HEDGE] = saturate(count_cues(r, hedge_cues, NELEM(hedge_cues)), 3);
        f[F_OVERCLAIM] = saturate(count_cues(r, overclaim_cues, NELEM(overclaim_cues)), 3);
        if ((*st = ws_build(&words, r, err)) != CAI_OK)
            return 0;
        f[F_OVERLAP] = overlap(&sc->request, &words);
        free(words.slot);
    }
    /* A fixed summation order keeps the score bit-identical wherever the response stands. */
    for (k = 0; k < F_COUNT; k++)
        s += sc->w[k] * f[k];
    s += sc->refusal_bonus * f[F_REFUSAL];
    return s;
}

static void add_weights(double *w, const double *add)
{
    size_t k;

    for (k = 0; k < F_COUNT; k++)
        w[k] += add[k];
}

static cai_status scorer_init(scorer *sc, const cai_comparison *cmp, cai_error *err)
{
    const char *ptext = cmp->principle->text;
    const char *request = "";
    size_t i;

    memcpy(sc->w, w_base, sizeof(sc->w));
    sc->refusal_bonus = 0;
    for (i = cmp->n_context; i > 0; i--) {
        if (cmp->context[i - 1].role == CAI_ROLE_USER && cmp->context[i - 1].content) {
            request = cmp->context[i - 1].content;
            break;
        }
    }
    if (count_cues(ptext, harm_family, NELEM(harm_family))) {
        add_weights(sc->w, w_harm);
        if (count_cues(request, harm_cues, NELEM(harm_cues)))
            sc->refusal_bonus = w_refuse_harmful_request;
    }
    if (count_cues(ptext, honesty_family, NELEM(honesty_family)))
        add_weights(sc->w, w_honest);
    if (count_cues(ptext, help_family, NELEM(help_family)))
        add_weights(sc->w, w_help);
    return ws_build(&sc->request, request, err);
}

/* logistic(d) for d >= 0, and 1 - logistic(-d) below, so that p(-d) == 1 - p(d) exactly. */
static double p_from_diff(double d)
{
    if (d >= 0)
        return 1.0 / (1.0 + exp(-d));
    return 1.0 - 1.0 / (1.0 + exp(d));
}

/* ---------------------------------------------------------------- the judge */

cai_status cai_builtin__judge(const cai_comparison *cmp,
                              cai_judge_mode mode,
                              cai_judgment *res,
                              cai_error *err)
{
    scorer sc = {{0}, 0, {0}};
    cai_prompt pr = {0};
    cai_status st = CAI_OK;
    double s1, s2 = 0;
    size_t bytes;

    CAI_ASSERT_ARG(err, res);
    memset(res, 0, sizeof(*res));
    /* The prompt the model would read: validates the arguments and sizes the token estimate. */
    if ((st = cai_prompt_build(&pr, NULL, cmp, mode, err)) != CAI_OK)
        return st;
    bytes = strlen(pr.user) + (pr.prefill ? strlen(pr.prefill) : 0);
    cai_prompt_dispose(&pr);

    if ((st = scorer_init(&sc, cmp, err)) != CAI_OK)
        goto done;
    s1 = score(&sc, cmp->first, err, &st);
    if (st == CAI_OK && mode != CAI_MODE_RATING)
        s2 = score(&sc, cmp->second, err, &st);
    if (st != CAI_OK)
        goto done;

    res->prompt_tokens = (unsigned)((bytes + 3) / 4);
    res->from_logprobs = 0;
    res->attempts = 1;
    res->cached = 0;
    if (mode == CAI_MODE_RATING) {
        res->p_first = NAN;
        res->score = 1.0 + 6.0 * p_from_diff(s1 - rating_center);
        res->verdict = CAI_VERDICT_NONE; /* a rating names no winner */
        res->completion_tokens = 1;
    } else {
        res->p_first = p_from_diff(s1 - s2);
        res->score = NAN;
        res->verdict = res->p_first > 0.5   ? CAI_VERDICT_A
                       : res->p_first < 0.5 ? CAI_VERDICT_B
                                            : CAI_VERDICT_TIE;
        /* "(A)" or "Verdict: (A)": what a model's reply would have cost. */
        res->completion_tokens = mode == CAI_MODE_COT ? 4 : 1;
    }
done:
    free(sc.request.slot);
    return st;
}

/* SPDX-License-Identifier: MIT */
/* Dataset statistics: per-split counters in bounded memory, the bias tests built on them, and
 * their text, JSON and SVG renderings for `cai stats`. */
#include "validate_int.h"
#include "cai/agree.h"
#include "error_int.h"
#include "util_int.h"
#include "opts_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the binomial test ------------------------------------------------------------------ */

double cai_stats__binom_p(uint64_t k, uint64_t n)
{
    return cai_agree_binom_p(k, n); /* one implementation, in agree.c */
}

/* ---- length distributions: exact below 64 Ki characters, log buckets above ---------------- */

#define LEN_EXACT 65536
#define LEN_SUB   8 /* sub-buckets per power of two above LEN_EXACT */
#define LEN_BIG   (48 * LEN_SUB)

typedef struct lenhist {
    uint32_t *exact; /* LEN_EXACT counters, allocated on first use */
    uint64_t big[LEN_BIG];
    uint64_t n, min, max;
    double sum;
} lenhist;

static int log2u(uint64_t v)
{
    int b = 0;

    while (v >>= 1)
        b++;
    return b;
}

static size_t big_index(uint64_t v)
{
    int b = log2u(v); /* >= 16 */
    size_t i = (size_t)(b - 16) * LEN_SUB + (size_t)((v >> (b - 3)) & (LEN_SUB - 1));

    return i < LEN_BIG ? i : LEN_BIG - 1;
}

static uint64_t big_value(size_t i)
{
    int b = (int)(i / LEN_SUB) + 16;

    return ((uint64_t)1 << b) + (uint64_t)(i % LEN_SUB) * ((uint64_t)1 << (b - 3));
}

static int lenhist_add(lenhist *h, uint64_t v)
{
    if (v < LEN_EXACT) {
        if (!h->exact && !(h->exact = calloc(LEN_EXACT, sizeof(*h->exact))))
            return -1;
        if (h->exact[v] != UINT32_MAX)
            h->exact[v]++;
    } else {
        h->big[big_index(v)]++;
    }
    if (h->n == 0 || v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
    h->n++;
    h->sum += (double)v;
    return 0;
}

/* The value of rank ceil(q * n) (1-based); exact below LEN_EXACT. */
static uint64_t lenhist_quantile(const lenhist *h, double q)
{
    uint64_t rank = (uint64_t)ceil(q * (double)h->n), seen = 0;
    size_t i;

    if (rank == 0)
        rank = 1;
    for (i = 0; h->exact && i < LEN_EXACT; i++) {
        seen += h->exact[i];
        if (seen >= rank)
            return i;
    }
    for (i = 0; i < LEN_BIG; i++) {
        seen += h->big[i];
        if (seen >= rank)
            return big_value(i) > h->max ? h->max : big_value(i);
    }
    return h->max;
}

/* Counts per power-of-two bucket [2^i, 2^(i+1)) (bucket 0 holds 0 and 1), for the SVG. */
static void lenhist_log2(const lenhist *h, uint64_t out[24])
{
    size_t i;

    memset(out, 0, 24 * sizeof(*out));
    for (i = 0; h->exact && i < LEN_EXACT; i++)
        if (h->exact[i])
            out[i < 2 ? 0 : log2u(i)] += h->exact[i];
    for (i = 0; i < LEN_BIG; i++) {
        int b = log2u(big_value(i));
        out[b < 23 ? b : 23] += h->big[i];
    }
}

/* ---- the accumulator -------------------------------------------------------------------- */

#define P_BINS         20
#define MAX_PRINCIPLES 1024

enum { L_PROMPT, L_CHOSEN, L_REJECTED, L_RESPONSE, L__COUNT };
static const char *const len_names[L__COUNT] = {"prompt", "chosen", "rejected", "response"};

typedef struct pracc {
    char *id;
    uint64_t n, a, agree_n, agree;
} pracc;

typedef struct group {
    uint64_t records, files, lines, bad_lines;
    char *first_file;
    unsigned formats; /* bit per cai_format */
    lenhist len[L__COUNT];
    uint64_t p_n, p_hist[P_BINS];
    double p_sum;
    uint64_t pos_n, pos_a;
    uint64_t len_n, len_longer, len_ties;
    uint64_t cons_n, cons_agree;
    uint64_t human_n, human_agree;
    uint64_t shown_first, shown_second; /* judgments won by the first- / second-shown response */
    uint64_t text_judgments;
    pracc *pr;
    size_t n_pr, cap_pr;
} group;

typedef struct sfile {
    char *path;
    cai_split split;
    cai_format format;
    uint64_t records, bad_lines;
} sfile;

struct cai_sacc {
    int lengths;
    group g[CAI_SPLIT__COUNT];
    group total;
    sfile *files;
    size_t n_files, cap_files;
};

cai_status cai_sacc__create(cai_sacc **out, int lengths, cai_error *err)
{
    cai_sacc *a = calloc(1, sizeof(*a));

    *out = NULL;
    if (!a)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    a->lengths = lengths;
    *out = a;
    return CAI_OK;
}

static void group_dispose(group *g)
{
    size_t i;

    for (i = 0; i < L__COUNT; i++)
        free(g->len[i].exact);
    for (i = 0; i < g->n_pr; i++)
        free(g->pr[i].id);
    free(g->pr);
    free(g->first_file);
}

void cai_sacc__free(cai_sacc *a)
{
    size_t i;

    if (!a)
        return;
    for (i = 0; i < CAI_SPLIT__COUNT; i++)
        group_dispose(&a->g[i]);
    group_dispose(&a->total);
    for (i = 0; i < a->n_files; i++)
        free(a->files[i].path);
    free(a->files);
    free(a);
}

static pracc *principle(group *g, const char *id)
{
    pracc *np;
    size_t i;

    for (i = 0; i < g->n_pr; i++)
        if (strcmp(g->pr[i].id, id) == 0)
            return &g->pr[i];
    if (g->n_pr == MAX_PRINCIPLES)
        return NULL; /* bounded: further ids are not tracked */
    np = cai__grow(g->pr, &g->cap_pr, g->n_pr + 1, sizeof(*np), 16);
    if (!np)
        return NULL;
    g->pr = np;
    memset(&g->pr[g->n_pr], 0, sizeof(g->pr[0]));
    g->pr[g->n_pr].id = strdup(id);
    if (!g->pr[g->n_pr].id)
        return NULL;
    return &g->pr[g->n_pr++];
}

/* The judge-health fields of a record (cai.first_shown_wins, ...; absent in other datasets). */
static void group_add_health(group *g, const cai_vrec *r)
{
    if (r->first_wins >= 0 && r->second_wins >= 0) {
        g->shown_first += (uint64_t)r->first_wins;
        g->shown_second += (uint64_t)r->second_wins;
    }
    if (r->text_judgments >= 0)
        g->text_judgments += (uint64_t)r->text_judgments;
    if (r->human_agree >= 0) {
        g->human_n++;
        g->human_agree += (uint64_t)r->human_agree;
    }
}

void cai_sacc__health(const cai_sacc *a, cai_health_counts *out, int *swap)
{
    const group *g = &a->total;

    memset(out, 0, sizeof(*out));
    out->kept = g->records;
    out->pairs = g->records;
    out->first_wins = g->shown_first;
    out->second_wins = g->shown_second;
    out->order_n = g->cons_n;
    out->order_agree = g->cons_agree;
    out->human_n = g->human_n;
    out->human_agree = g->human_agree;
    *swap = g->cons_n > 0; /* orders_agree is null (absent) when one order was asked */
}

static int group_add(group *g, const cai_vrec *r, const uint64_t *lens, int lengths)
{
    size_t i;

    g->records++;
    g->formats |= 1u << r->format;
    if (lengths) {
        if (lenhist_add(&g->len[L_PROMPT], lens[0]) != 0)
            return -1;
        for (i = 0; i < r->n_resp; i++)
            if (lenhist_add(&g->len[r->labelled ? (i == 0 ? L_CHOSEN : L_REJECTED) : L_RESPONSE],
                            lens[i + 1]) != 0)
                return -1;
    }
    if (!r->labelled)
        return 0;
    if (lens[1] == lens[2])
        g->len_ties++;
    else {
        g->len_n++;
        g->len_longer += lens[1] > lens[2];
    }
    if (r->has_p && r->p_chosen >= 0 && r->p_chosen <= 1) {
        int bin = (int)(r->p_chosen * P_BINS);
        g->p_hist[bin < P_BINS ? bin : P_BINS - 1]++;
        g->p_n++;
        g->p_sum += r->p_chosen;
    }
    if (r->position >= 0) {
        g->pos_n++;
        g->pos_a += r->position == 0;
    }
    if (r->agree >= 0) {
        g->cons_n++;
        g->cons_agree += (uint64_t)r->agree;
    }
    group_add_health(g, r);
    if (r->principles) {
        const cJSON *id;
        cJSON_ArrayForEach(id, r->principles)
        {
            pracc *p = principle(g, id->valuestring);
            if (!p)
                continue;
            if (r->position >= 0) {
                p->n++;
                p->a += r->position == 0;
            }
            if (r->agree >= 0) {
                p->agree_n++;
                p->agree += (uint64_t)r->agree;
            }
        }
    }
    return 0;
}

cai_status cai_sacc__add(cai_sacc *a, const cai_vrec *r, const uint64_t *chars, cai_error *err)
{
    if (group_add(&a->g[r->file->split], r, chars, a->lengths) != 0 ||
        group_add(&a->total, r, chars, a->lengths) != 0)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    return CAI_OK;
}

cai_status cai_sacc__file(cai_sacc *a, const cai_vfile *f, cai_error *err)
{
    group *gs[2] = {&a->g[f->split], &a->total};
    sfile *sf;
    size_t i;

    for (i = 0; i < 2; i++) {
        gs[i]->files++;
        gs[i]->lines += f->records;
        gs[i]->bad_lines += f->bad_lines;
        if (!gs[i]->first_file && !(gs[i]->first_file = strdup(f->path)))
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    sf = cai__grow(a->files, &a->cap_files, a->n_files + 1, sizeof(*sf), 16);
    if (!sf)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    a->files = sf;
    sf = &a->files[a->n_files];
    sf->path = strdup(f->path);
    if (!sf->path)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    sf->split = f->split;
    sf->format = f->format;
    sf->records = f->records;
    sf->bad_lines = f->bad_lines;
    a->n_files++;
    return CAI_OK;
}

/* The groups worth showing: each split that has files. */
static size_t used_groups(const cai_sacc *a, cai_split out[CAI_SPLIT__COUNT])
{
    size_t n = 0;
    int i;

    for (i = 0; i < CAI_SPLIT__COUNT; i++)
        if (a->g[i].files > 0)
            out[n++] = (cai_split)i;
    return n;
}

static void group_where(const group *g, cai_split s, char *out, size_t cap)
{
    if (g->files == 1)
        snprintf(out, cap, "%s", g->first_file);
    else if (s == CAI_SPLIT_NONE)
        snprintf(out, cap, "%llu files", (unsigned long long)g->files);
    else
        snprintf(out, cap, "%s split (%llu files)", cai_split__name(s),
                 (unsigned long long)g->files);
}

static double pct(uint64_t k, uint64_t n)
{
    return n ? 100.0 * (double)k / (double)n : 0.0;
}

cai_status cai_sacc__biases(const cai_sacc *a,
                            double alpha,
                            double min_consistency,
                            cai_status (*fn)(void *payload, const cai_bias *b, cai_error *err),
                            void *payload,
                            cai_error *err)
{
    cai_split splits[CAI_SPLIT__COUNT];
    size_t ns = used_groups(a, splits), i, j;
    cai_status st = CAI_OK;

    for (i = 0; st == CAI_OK && i < ns; i++) {
        const group *g = &a->g[splits[i]];
        cai_bias b;
        double p;
        uint64_t tot_n = 0, tot_a = 0, tested = 0;

        group_where(g, splits[i], b.where, sizeof(b.where));
        p = cai_stats__binom_p(g->pos_a, g->pos_n);
        if (g->pos_n > 0 && p < alpha) {
            b.kind = CAI_VK_POSITION_BIAS;
            snprintf(b.msg, sizeof(b.msg),
                     "chosen is response A in %.1f%% of %llu pairs (binomial p = %.2g < %g)",
                     pct(g->pos_a, g->pos_n), (unsigned long long)g->pos_n, p, alpha);
            st = fn(payload, &b, err);
        }
        p = cai_stats__binom_p(g->len_longer, g->len_n);
        if (st == CAI_OK && g->len_n > 0 && p < alpha) {
            b.kind = CAI_VK_LENGTH_BIAS;
            snprintf(b.msg, sizeof(b.msg),
                     "chosen is the longer response in %.1f%% of %llu pairs (%llu ties left "
                     "out; binomial p = %.2g < %g)",
                     pct(g->len_longer, g->len_n), (unsigned long long)g->len_n,
                     (unsigned long long)g->len_ties, p, alpha);
            st = fn(payload, &b, err);
        }
        if (st == CAI_OK && g->cons_n > 0 &&
            (double)g->cons_agree < min_consistency * (double)g->cons_n) {
            b.kind = CAI_VK_CONSISTENCY;
            snprintf(b.msg, sizeof(b.msg),
                     "the two orders agree in only %.1f%% of %llu pairs (below %.0f%%)",
                     pct(g->cons_agree, g->cons_n), (unsigned long long)g->cons_n,
                     100.0 * min_consistency);
            st = fn(payload, &b, err);
        }
        for (j = 0; j < g->n_pr; j++) {
            tot_n += g->pr[j].n;
            tot_a += g->pr[j].a;
            tested += g->pr[j].n > 0;
        }
        /* Each principle against all the others: two-proportion z-test, Bonferroni-corrected. */
        for (j = 0; st == CAI_OK && tested > 1 && j < g->n_pr; j++) {
            const pracc *pr = &g->pr[j];
            double rn = (double)(tot_n - pr->n), ra = (double)(tot_a - pr->a);
            double pool = (double)tot_a / (double)tot_n, se, z, pv;

            if (pr->n == 0 || rn == 0 || pool <= 0 || pool >= 1)
                continue;
            se = sqrt(pool * (1 - pool) * (1.0 / (double)pr->n + 1.0 / rn));
            z = ((double)pr->a / (double)pr->n - ra / rn) / se;
            pv = erfc(fabs(z) / sqrt(2.0));
            if (pv >= alpha / (double)tested)
                continue;
            b.kind = CAI_VK_PRINCIPLE_BIAS;
            snprintf(b.msg, sizeof(b.msg),
                     "principle \"%.80s\": response A wins %.1f%% of its %llu pairs, against "
                     "%.1f%% for the other principles (p = %.2g)",
                     pr->id, pct(pr->a, pr->n), (unsigned long long)pr->n, 100.0 * ra / rn, pv);
            st = fn(payload, &b, err);
        }
    }
    return st;
}

/* ---- cai_stats -------------------------------------------------------------------------- */

struct cai_stats {
    cai_sacc *acc;
};

static cai_status on_finding(
    void *payload, cai_vkind kind, const char *file, uint64_t line, const char *msg, cai_error *err)
{
    (void)payload;
    (void)kind;
    (void)file;
    (void)line;
    (void)msg;
    (void)err;
    return CAI_OK; /* counted per file as bad lines; cai validate reports them */
}

static cai_status on_record(void *payload, const cai_vrec *rec, cai_error *err)
{
    uint64_t chars[1 + CAI_VREC_MAX_RESP];

    cai_vrec__chars(rec, chars);
    return cai_sacc__add(payload, rec, chars, err);
}

static cai_status on_file(void *payload, const cai_vfile *f, cai_error *err)
{
    return cai_sacc__file(payload, f, err);
}

cai_status cai_stats_collect(
    cai_stats **out, const char *const *paths, size_t n, const cai_stats_opts *opts, cai_error *err)
{
    cai_stats_opts o = opts ? *opts : CAI_STATS_OPTS_INIT;
    cai_vscan_opts so = {o.format, 0};
    cai_vsink sink = {on_finding, on_record, on_file, NULL};
    cai_stats *s;
    cai_status st;

    CAI_ASSERT_ARG(err, out != NULL);
    *out = NULL;
    CAI_ASSERT_ARG(err, paths != NULL && n > 0);
    st = cai_stats_opts__check(opts, err);
    if (st != CAI_OK)
        return st;
    s = calloc(1, sizeof(*s));
    if (!s)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    st = cai_sacc__create(&s->acc, 1, err);
    if (st == CAI_OK) {
        sink.payload = s->acc;
        st = cai_vscan__run(paths, n, &so, &sink, err);
    }
    if (st != CAI_OK) {
        cai_stats_free(s);
        return st;
    }
    *out = s;
    return CAI_OK;
}

void cai_stats_free(cai_stats *s)
{
    if (!s)
        return;
    cai_sacc__free(s->acc);
    free(s);
}

/* Groups to render: each split, then the total when there is more than one split. */
static size_t render_groups(const cai_sacc *a,
                            const group *out[CAI_SPLIT__COUNT + 1],
                            const char *names[CAI_SPLIT__COUNT + 1])
{
    cai_split splits[CAI_SPLIT__COUNT];
    size_t ns = used_groups(a, splits), i;

    for (i = 0; i < ns; i++) {
        out[i] = &a->g[splits[i]];
        names[i] = splits[i] == CAI_SPLIT_NONE ? "all" : cai_split__name(splits[i]);
    }
    if (ns > 1) {
        out[ns] = &a->total;
        names[ns] = "total";
        ns++;
    }
    return ns;
}

static void json_add_u64(cJSON *o, const char *name, uint64_t v)
{
    cJSON_AddNumberToObject(o, name, (double)v);
}

static cJSON *share_json(uint64_t k, uint64_t n, const char *kname, int with_p)
{
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return NULL;
    json_add_u64(o, "n", n);
    json_add_u64(o, kname, k);
    if (n)
        cJSON_AddNumberToObject(o, "share", (double)k / (double)n);
    else
        cJSON_AddNullToObject(o, "share");
    if (with_p) {
        if (n)
            cJSON_AddNumberToObject(o, "p_value", cai_stats__binom_p(k, n));
        else
            cJSON_AddNullToObject(o, "p_value");
    }
    return o;
}

/* Shown position (the order the judge saw, from cai.first_shown_wins) and human agreement. */
static void group_health_json(cJSON *o, const group *g)
{
    cJSON *x = share_json(g->shown_first, g->shown_first + g->shown_second, "first_shown_wins", 1);
    cai_agree h = {g->human_n, g->human_agree};
    cai_agree_summary hs;

    if (x)
        json_add_u64(x, "text_judgments", g->text_judgments);
    cJSON_AddItemToObject(o, "shown_position", x);
    cai_agree_summarize(&hs, &h, 0, 0);
    x = share_json(g->human_agree, g->human_n, "agree", 0);
    if (x && g->human_n) {
        cJSON_AddNumberToObject(x, "ci_low", hs.lo);
        cJSON_AddNumberToObject(x, "ci_high", hs.hi);
        cJSON_AddNumberToObject(x, "p_above_chance", hs.p_above);
    }
    cJSON_AddItemToObject(o, "human_agreement", x);
}

static cJSON *group_json(const group *g, const char *name)
{
    cJSON *o = cJSON_CreateObject(), *lens, *p, *hist, *prs, *x;
    size_t i;

    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "split", name);
    json_add_u64(o, "files", g->files);
    json_add_u64(o, "lines", g->lines);
    json_add_u64(o, "records", g->records);
    json_add_u64(o, "invalid_lines", g->bad_lines);
    lens = cJSON_AddObjectToObject(o, "lengths");
    for (i = 0; lens && i < L__COUNT; i++) {
        const lenhist *h = &g->len[i];
        if (h->n == 0)
            continue;
        x = cJSON_AddObjectToObject(lens, len_names[i]);
        if (!x)
            continue;
        json_add_u64(x, "n", h->n);
        json_add_u64(x, "min", h->min);
        json_add_u64(x, "median", lenhist_quantile(h, 0.5));
        json_add_u64(x, "p90", lenhist_quantile(h, 0.9));
        json_add_u64(x, "max", h->max);
        cJSON_AddNumberToObject(x, "mean", h->sum / (double)h->n);
    }
    p = cJSON_AddObjectToObject(o, "p_chosen");
    if (p) {
        json_add_u64(p, "n", g->p_n);
        if (g->p_n)
            cJSON_AddNumberToObject(p, "mean", g->p_sum / (double)g->p_n);
        else
            cJSON_AddNullToObject(p, "mean");
        cJSON_AddNumberToObject(p, "bin_width", 1.0 / P_BINS);
        hist = cJSON_AddArrayToObject(p, "histogram");
        for (i = 0; hist && i < P_BINS; i++)
            cJSON_AddItemToArray(hist, cJSON_CreateNumber((double)g->p_hist[i]));
    }
    cJSON_AddItemToObject(o, "position_a", share_json(g->pos_a, g->pos_n, "chosen_a", 1));
    x = share_json(g->len_longer, g->len_n, "chosen_longer", 1);
    if (x)
        json_add_u64(x, "ties", g->len_ties);
    cJSON_AddItemToObject(o, "length", x);
    cJSON_AddItemToObject(o, "consistency", share_json(g->cons_agree, g->cons_n, "agree", 0));
    group_health_json(o, g);
    prs = cJSON_AddArrayToObject(o, "principles");
    for (i = 0; prs && i < g->n_pr; i++) {
        const pracc *pr = &g->pr[i];
        x = cJSON_CreateObject();
        if (!x)
            continue;
        cJSON_AddStringToObject(x, "id", pr->id);
        json_add_u64(x, "pairs", pr->n);
        json_add_u64(x, "a_wins", pr->a);
        if (pr->n)
            cJSON_AddNumberToObject(x, "a_win_rate", (double)pr->a / (double)pr->n);
        else
            cJSON_AddNullToObject(x, "a_win_rate");
        json_add_u64(x, "consistency_n", pr->agree_n);
        if (pr->agree_n)
            cJSON_AddNumberToObject(x, "consistency", (double)pr->agree / (double)pr->agree_n);
        else
            cJSON_AddNullToObject(x, "consistency");
        cJSON_AddItemToArray(prs, x);
    }
    return o;
}

static char *dup_cjson_text(char *t)
{
    char *s;

    if (!t)
        return NULL;
    s = strdup(t);
    cJSON_free(t);
    return s;
}

char *cai_stats_json(const cai_stats *s)
{
    const group *gs[CAI_SPLIT__COUNT + 1];
    const char *names[CAI_SPLIT__COUNT + 1];
    size_t n = render_groups(s->acc, gs, names), i;
    cJSON *o = cJSON_CreateObject(), *files, *splits;
    char *text;

    if (!o)
        return NULL;
    files = cJSON_AddArrayToObject(o, "files");
    for (i = 0; files && i < s->acc->n_files; i++) {
        const sfile *f = &s->acc->files[i];
        cJSON *x = cJSON_CreateObject();
        if (!x)
            continue;
        cJSON_AddStringToObject(x, "path", f->path);
        if (f->split == CAI_SPLIT_NONE)
            cJSON_AddNullToObject(x, "split");
        else
            cJSON_AddStringToObject(x, "split", cai_split__name(f->split));
        cJSON_AddStringToObject(
            x, "format", f->format == CAI_FORMAT_AUTO ? "unknown" : cai_format_name(f->format));
        json_add_u64(x, "lines", f->records);
        json_add_u64(x, "invalid_lines", f->bad_lines);
        cJSON_AddItemToArray(files, x);
    }
    splits = cJSON_AddArrayToObject(o, "splits");
    for (i = 0; splits && i < n; i++)
        cJSON_AddItemToArray(splits, group_json(gs[i], names[i]));
    text = dup_cjson_text(cJSON_PrintUnformatted(o));
    cJSON_Delete(o);
    return text;
}

static void
text_share(cai_buf *b, const char *label, uint64_t k, uint64_t n, const char *what, int with_p)
{
    if (n == 0)
        return;
    cai_buf__printf(b, "  %-12s %s in %.1f%% of %llu pairs", label, what, pct(k, n),
                    (unsigned long long)n);
    if (with_p)
        cai_buf__printf(b, " (binomial p = %.2g)", cai_stats__binom_p(k, n));
    cai_buf__printf(b, "\n");
}

static void text_health(cai_buf *b, const group *g)
{
    uint64_t n = g->shown_first + g->shown_second;

    if (n)
        cai_buf__printf(b,
                        "  %-12s first-shown response wins %.1f%% of %llu judgments, second-shown "
                        "%.1f%% (binomial p = %.2g)\n",
                        "shown", pct(g->shown_first, n), (unsigned long long)n,
                        pct(g->shown_second, n), cai_stats__binom_p(g->shown_first, n));
    if (g->human_n) {
        double lo, hi;
        cai_agree_wilson(g->human_agree, g->human_n, 1.959963984540054, &lo, &hi);
        cai_buf__printf(b,
                        "  %-12s agrees with the human label in %.1f%% of %llu pairs (95%% CI "
                        "%.3f-%.3f)\n",
                        "human", pct(g->human_agree, g->human_n), (unsigned long long)g->human_n,
                        lo, hi);
    }
}

char *cai_stats_text(const cai_stats *s)
{
    const group *gs[CAI_SPLIT__COUNT + 1];
    const char *names[CAI_SPLIT__COUNT + 1];
    size_t n = render_groups(s->acc, gs, names), i, j;
    cai_buf b = {0};

    cai_buf__printf(&b, "files:\n");
    for (i = 0; i < s->acc->n_files; i++) {
        const sfile *f = &s->acc->files[i];
        cai_buf__printf(&b, "  %s  [%s, %s] %llu lines, %llu invalid\n", f->path,
                        f->split == CAI_SPLIT_NONE ? "no split" : cai_split__name(f->split),
                        f->format == CAI_FORMAT_AUTO ? "unknown" : cai_format_name(f->format),
                        (unsigned long long)f->records, (unsigned long long)f->bad_lines);
    }
    for (i = 0; i < n; i++) {
        const group *g = gs[i];

        cai_buf__printf(&b, "\nsplit %s: %llu records (%llu lines, %llu invalid) in %llu file%s\n",
                        names[i], (unsigned long long)g->records, (unsigned long long)g->lines,
                        (unsigned long long)g->bad_lines, (unsigned long long)g->files,
                        g->files == 1 ? "" : "s");
        cai_buf__printf(&b, "  %-12s %10s %8s %8s %8s %8s %10s\n", "chars", "n", "min", "median",
                        "p90", "max", "mean");
        for (j = 0; j < L__COUNT; j++) {
            const lenhist *h = &g->len[j];
            if (h->n == 0)
                continue;
            cai_buf__printf(&b, "  %-12s %10llu %8llu %8llu %8llu %8llu %10.1f\n", len_names[j],
                            (unsigned long long)h->n, (unsigned long long)h->min,
                            (unsigned long long)lenhist_quantile(h, 0.5),
                            (unsigned long long)lenhist_quantile(h, 0.9),
                            (unsigned long long)h->max, h->sum / (double)h->n);
        }
        if (g->p_n) {
            uint64_t peak = 0;
            for (j = 0; j < P_BINS; j++)
                peak = g->p_hist[j] > peak ? g->p_hist[j] : peak;
            cai_buf__printf(&b, "  p_chosen     n = %llu, mean = %.3f\n",
                            (unsigned long long)g->p_n, g->p_sum / (double)g->p_n);
            for (j = 0; j < P_BINS; j++) {
                int bar = peak ? (int)(40.0 * (double)g->p_hist[j] / (double)peak + 0.5) : 0;
                if (g->p_hist[j] == 0 && j < P_BINS / 2)
                    continue;
                cai_buf__printf(&b, "    [%.2f,%.2f%c %8llu %.*s\n", (double)j / P_BINS,
                                (double)(j + 1) / P_BINS, j + 1 == P_BINS ? ']' : ')',
                                (unsigned long long)g->p_hist[j], bar,
                                "########################################");
            }
        }
        text_share(&b, "position", g->pos_a, g->pos_n, "chosen is response A", 1);
        if (g->len_n + g->len_ties) {
            text_share(&b, "length", g->len_longer, g->len_n, "chosen is the longer response", 1);
            if (g->len_ties)
                cai_buf__printf(&b, "  %-12s %llu pairs of equal length left out\n", "",
                                (unsigned long long)g->len_ties);
        }
        text_share(&b, "consistency", g->cons_agree, g->cons_n, "the two orders agree", 0);
        text_health(&b, g);
        if (g->n_pr) {
            cai_buf__printf(&b, "  %-24s %8s %8s %12s\n", "principle", "pairs", "A wins",
                            "consistency");
            for (j = 0; j < g->n_pr; j++) {
                const pracc *pr = &g->pr[j];
                cai_buf__printf(&b, "  %-24.24s %8llu %7.1f%%", pr->id, (unsigned long long)pr->n,
                                pct(pr->a, pr->n));
                if (pr->agree_n)
                    cai_buf__printf(&b, " %11.1f%%\n", pct(pr->agree, pr->agree_n));
                else
                    cai_buf__printf(&b, " %12s\n", "-");
            }
        }
    }
    return cai_buf__take(&b);
}

/* ---- SVG -------------------------------------------------------------------------------- */

#define PANEL_W 360
#define PANEL_H 220
#define PLOT_X  48
#define PLOT_Y  34
#define PLOT_W  296
#define PLOT_H  140

static void svg_text_escaped(cai_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            cai_buf__printf(b, "&lt;");
        else if (*s == '>')
            cai_buf__printf(b, "&gt;");
        else if (*s == '&')
            cai_buf__printf(b, "&amp;");
        else if (*s == '"')
            cai_buf__printf(b, "&quot;");
        else
            cai_buf__printf(b, "%c", *s);
    }
}

/* One bar chart: counts[0..n) with labels under the first, middle and last bar. */
static void svg_panel(cai_buf *b,
                      double x0,
                      double y0,
                      const char *title,
                      const uint64_t *counts,
                      size_t n,
                      const char *const *ticks,
                      const char *color)
{
    uint64_t peak = 0, total = 0;
    size_t i;
    double bw = (double)PLOT_W / (double)n;

    for (i = 0; i < n; i++) {
        peak = counts[i] > peak ? counts[i] : peak;
        total += counts[i];
    }
    cai_buf__printf(b, "<g transform=\"translate(%.0f,%.0f)\">\n", x0, y0);
    cai_buf__printf(b,
                    "<rect x=\"0.5\" y=\"0.5\" width=\"%d\" height=\"%d\" fill=\"#fff\" "
                    "stroke=\"#ccc\"/>\n",
                    PANEL_W - 10, PANEL_H - 10);
    cai_buf__printf(b, "<text x=\"12\" y=\"20\" font-size=\"13\" font-weight=\"bold\">");
    svg_text_escaped(b, title);
    cai_buf__printf(b, " (n = %llu)</text>\n", (unsigned long long)total);
    cai_buf__printf(b,
                    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n"
                    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n",
                    PLOT_X, PLOT_Y + PLOT_H, PLOT_X + PLOT_W, PLOT_Y + PLOT_H, PLOT_X, PLOT_Y,
                    PLOT_X, PLOT_Y + PLOT_H);
    cai_buf__printf(b,
                    "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">%llu</text>\n"
                    "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">0</text>\n",
                    PLOT_X - 4, PLOT_Y + 4, (unsigned long long)peak, PLOT_X - 4, PLOT_Y + PLOT_H);
    for (i = 0; i < n; i++) {
        double h = peak ? (double)PLOT_H * (double)counts[i] / (double)peak : 0;
        if (counts[i] == 0)
            continue;
        cai_buf__printf(b,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                        "fill=\"%s\"><title>%s: %llu</title></rect>\n",
                        PLOT_X + bw * (double)i + 1, PLOT_Y + PLOT_H - h, bw - 2 > 1 ? bw - 2 : 1,
                        h, color, ticks[i], (unsigned long long)counts[i]);
    }
    /* Each tick names the lower bound of its bin, at the bin's left edge. */
    for (i = 0; i<n; i += n> 12 ? 4 : 1)
        cai_buf__printf(b,
                        "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\"/>"
                        "<text x=\"%.1f\" y=\"%d\" font-size=\"9\" "
                        "text-anchor=\"middle\">%s</text>\n",
                        PLOT_X + bw * (double)i, PLOT_Y + PLOT_H, PLOT_X + bw * (double)i,
                        PLOT_Y + PLOT_H + 4, PLOT_X + bw * (double)i, PLOT_Y + PLOT_H + 14,
                        ticks[i]);
    cai_buf__printf(b, "</g>\n");
}

char *cai_stats_svg(const cai_stats *s)
{
    static const char *const colors[L__COUNT] = {"#4e79a7", "#59a14f", "#e15759", "#b07aa1"};
    const group *gs[CAI_SPLIT__COUNT + 1];
    const char *names[CAI_SPLIT__COUNT + 1];
    size_t n = render_groups(s->acc, gs, names), i, j, k;
    char pticks[P_BINS][16], lticks[24][16];
    const char *pt[P_BINS], *lt[24];
    cai_buf b = {0};
    size_t panels = 1;
    int width, height = (int)n * (PANEL_H + 30) + 50;

    for (i = 0; i < n; i++) {
        size_t c = gs[i]->p_n > 0;
        for (j = 0; j < L__COUNT; j++)
            c += gs[i]->len[j].n > 0;
        panels = c > panels ? c : panels;
    }
    width = (int)panels * PANEL_W + 20;

    for (i = 0; i < P_BINS; i++) {
        snprintf(pticks[i], sizeof(pticks[i]), "%.2f", (double)i / P_BINS);
        pt[i] = pticks[i];
    }
    for (i = 0; i < 24; i++) {
        if (i < 10)
            snprintf(lticks[i], sizeof(lticks[i]), "%u", 1u << i);
        else if (i < 20)
            snprintf(lticks[i], sizeof(lticks[i]), "%uK", 1u << (i - 10));
        else
            snprintf(lticks[i], sizeof(lticks[i]), "%uM", 1u << (i - 20));
        lt[i] = lticks[i];
    }
    cai_buf__printf(&b,
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                    "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
                    "<rect width=\"100%%\" height=\"100%%\" fill=\"#f7f7f7\"/>\n"
                    "<text x=\"10\" y=\"28\" font-size=\"18\" font-weight=\"bold\">cai stats: "
                    "p_chosen and length (characters, log2 bins) histograms</text>\n",
                    width, height, width, height);
    for (i = 0; i < n; i++) {
        const group *g = gs[i];
        double y = 50 + (double)i * (PANEL_H + 30);
        char title[128];
        uint64_t lbins[24];

        cai_buf__printf(&b, "<text x=\"10\" y=\"%.0f\" font-size=\"14\">split ", y + 14);
        svg_text_escaped(&b, names[i]);
        cai_buf__printf(&b, ": %llu records", (unsigned long long)g->records);
        if (g->len_n)
            cai_buf__printf(&b, "; chosen longer %.1f%% (p = %.2g)", pct(g->len_longer, g->len_n),
                            cai_stats__binom_p(g->len_longer, g->len_n));
        if (g->pos_n)
            cai_buf__printf(&b, "; chosen is A %.1f%% (p = %.2g)", pct(g->pos_a, g->pos_n),
                            cai_stats__binom_p(g->pos_a, g->pos_n));
        cai_buf__printf(&b, "</text>\n");
        k = 0;
        if (g->p_n > 0)
            svg_panel(&b, 10 + (double)k++ * PANEL_W, y + 22, "p_chosen", g->p_hist, P_BINS, pt,
                      "#f28e2b");
        for (j = 0; j < L__COUNT; j++) {
            if (g->len[j].n == 0)
                continue;
            lenhist_log2(&g->len[j], lbins);
            snprintf(title, sizeof(title), "%s length", len_names[j]);
            svg_panel(&b, 10 + (double)k * PANEL_W, y + 22, title, lbins, 24, lt, colors[j]);
            k++;
        }
    }
    cai_buf__printf(&b, "</svg>\n");
    return cai_buf__take(&b);
}

/* SPDX-License-Identifier: MIT */
/* `cai compare`: label flips, agreement and changes in P(A) between two runs, matched by id. */
#include "cai/compare.h"
#include "human_int.h"
#include "util_int.h"
#include "error_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_NAMED 1024
#define F_POS_B   1 /* run A chose b */
#define F_HUMAN   2 /* run A's record has a human label */
#define F_HUMAN_B 4 /* ... and it is b */

typedef struct prstat {
    char *id;
    int run; /* 0: principle of run A, 1: of run B */
    uint64_t pairs, flips;
    double abs_delta; /* sum of |ΔP(A)| */
} prstat;

typedef struct change {
    char *id;
    double pa, pb; /* P(A) in run A and B */
} change;

struct cai_compare {
    char *a, *b;
    size_t top_n;
    cai_idmap *map;
    uint64_t both, only_a, only_b, flipped, b_records;
    cai_agree runs;     /* the two runs' labels agree */
    cai_agree human[2]; /* each run against the human label, on pairs in both */
    double sum_delta, sum_abs_delta;
    prstat *pr;
    size_t n_pr, cap_pr;
    cJSON **sets; /* principle sets of run A, by index (aux) */
    size_t n_sets, cap_sets;
    change *top; /* the top_n largest |ΔP(A)|, unsorted */
    size_t n_top;
    FILE *flipped_f;
    char *flipped_tmp;
};

static prstat *principle(cai_compare *c, const char *id, int run)
{
    prstat *np;
    size_t i;

    for (i = 0; i < c->n_pr; i++)
        if (c->pr[i].run == run && strcmp(c->pr[i].id, id) == 0)
            return &c->pr[i];
    if (c->n_pr >= MAX_NAMED)
        return NULL;
    np = cai__grow(c->pr, &c->cap_pr, c->n_pr + 1, sizeof(*np), 16);
    if (!np)
        return NULL;
    c->pr = np;
    memset(&c->pr[c->n_pr], 0, sizeof(*np));
    c->pr[c->n_pr].run = run;
    if (!(c->pr[c->n_pr].id = strdup(id)))
        return NULL;
    return &c->pr[c->n_pr++];
}

/* The index of run A's principle set (interned; 65535 = not tracked). */
static uint16_t set_index(cai_compare *c, const cJSON *principles)
{
    cJSON **ns;
    size_t i;

    if (!principles)
        return UINT16_MAX;
    for (i = 0; i < c->n_sets; i++)
        if (cJSON_Compare(c->sets[i], principles, 1))
            return (uint16_t)i;
    if (c->n_sets >= UINT16_MAX)
        return UINT16_MAX;
    ns = cai__grow(c->sets, &c->cap_sets, c->n_sets + 1, sizeof(*ns), 16);
    if (!ns)
        return UINT16_MAX;
    c->sets = ns;
    if (!(c->sets[c->n_sets] = cJSON_Duplicate(principles, 1)))
        return UINT16_MAX;
    return (uint16_t)c->n_sets++;
}

static cai_status need_id(const cai_dsrec *r, cai_error *err)
{
    if (r->id)
        return CAI_OK;
    return cai_error__set(err, CAI_ESCHEMA,
                          "%s:%llu: a record without \"id\": runs are matched "
                          "by pair id",
                          r->file, (unsigned long long)r->line);
}

static cai_status on_a(void *payload, const cai_dsrec *r, cai_error *err)
{
    cai_compare *c = payload;
    cai_idslot *s;
    int found;
    cai_status st = need_id(r, err);

    if (st == CAI_OK)
        st = cai_idmap__upsert(c->map, r->id, &s, &found, err);
    if (st != CAI_OK)
        return st;
    if (found)
        return cai_error__set(err, CAI_ESCHEMA,
                              "%s:%llu: duplicate id \"%.80s\" in run A "
                              "(first at line %lu)",
                              r->file, (unsigned long long)r->line, r->id, (unsigned long)s->line);
    s->v = r->p_a;
    s->line = r->line > UINT32_MAX ? UINT32_MAX : (uint32_t)r->line;
    s->flags = (uint8_t)((r->position ? F_POS_B : 0) | (r->human >= 0 ? F_HUMAN : 0) |
                         (r->human == 1 ? F_HUMAN_B : 0));
    s->aux = set_index(c, r->principles);
    return CAI_OK;
}

static cai_status keep_top(cai_compare *c, const char *id, double pa, double pb)
{
    double d = fabs(pb - pa);
    size_t i, min = 0;
    char *copy;

    if (c->n_top == c->top_n) {
        for (i = 1; i < c->n_top; i++)
            if (fabs(c->top[i].pb - c->top[i].pa) < fabs(c->top[min].pb - c->top[min].pa))
                min = i;
        if (c->n_top == 0 || d <= fabs(c->top[min].pb - c->top[min].pa))
            return CAI_OK;
        free(c->top[min].id);
    } else {
        min = c->n_top++;
    }
    copy = strdup(id);
    c->top[min].id = copy;
    c->top[min].pa = pa;
    c->top[min].pb = pb;
    return copy ? CAI_OK : CAI_ENOMEM;
}

static void add_principles(cai_compare *c, const cJSON *set, int run, int flip, double ad)
{
    const cJSON *p;

    cJSON_ArrayForEach(p, set)
    {
        prstat *ps = cJSON_IsString(p) ? principle(c, p->valuestring, run) : NULL;
        if (!ps)
            continue;
        ps->pairs++;
        ps->flips += flip != 0;
        ps->abs_delta += ad;
    }
}

static cai_status on_b(void *payload, const cai_dsrec *r, cai_error *err)
{
    cai_compare *c = payload;
    cai_idslot *s;
    int pos_a, flip;
    double d;
    cai_status st = need_id(r, err);

    if (st != CAI_OK)
        return st;
    c->b_records++;
    s = cai_idmap__find(c->map, r->id);
    if (!s) {
        c->only_b++;
        return CAI_OK;
    }
    if (s->used)
        return cai_error__set(err, CAI_ESCHEMA, "%s:%llu: duplicate id \"%.80s\" in run B", r->file,
                              (unsigned long long)r->line, r->id);
    s->used = 1;
    c->both++;
    pos_a = (s->flags & F_POS_B) != 0;
    flip = pos_a != r->position;
    cai_agree_add(&c->runs, !flip);
    if (s->flags & F_HUMAN)
        cai_agree_add(&c->human[0], pos_a == ((s->flags & F_HUMAN_B) != 0));
    if (r->human >= 0)
        cai_agree_add(&c->human[1], r->position == r->human);
    d = r->p_a - s->v;
    c->sum_delta += d;
    c->sum_abs_delta += fabs(d);
    if (s->aux < c->n_sets)
        add_principles(c, c->sets[s->aux], 0, flip, fabs(d));
    add_principles(c, r->principles, 1, flip, fabs(d));
    if (keep_top(c, r->id, s->v, r->p_a) != CAI_OK)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    if (flip) {
        c->flipped++;
        if (c->flipped_f && fprintf(c->flipped_f, "%s\n", r->id) < 0)
            return cai_error__set(err, CAI_EIO, "%s: write failed", c->flipped_tmp);
    }
    return CAI_OK;
}

cai_status cai_compare_opts_init(cai_compare_opts *o, unsigned version)
{
    if (!o || version != CAI_COMPARE_OPTS_VERSION)
        return CAI_EINVAL;
    *o = CAI_COMPARE_OPTS_INIT;
    return CAI_OK;
}

cai_status cai_compare_runs(cai_compare **out,
                            const char *run_a,
                            const char *run_b,
                            const cai_compare_opts *opts,
                            cai_error *err)
{
    cai_compare_opts o = opts ? *opts : CAI_COMPARE_OPTS_INIT;
    cai_dsrec_sink sa = {on_a, NULL, NULL}, sb = {on_b, NULL, NULL};
    cai_compare *c;
    cai_status st;
    size_t i;

    CAI_ASSERT_ARG(err, out != NULL);
    *out = NULL;
    CAI_ASSERT_ARG(err, run_a != NULL && run_b != NULL);
    if (o.version != CAI_COMPARE_OPTS_VERSION)
        return cai_error__set(err, CAI_EINVAL,
                              "cai_compare_opts: unknown version %u (this "
                              "library knows %u)",
                              o.version, CAI_COMPARE_OPTS_VERSION);
    c = calloc(1, sizeof(*c));
    if (!c || !(c->a = strdup(run_a)) || !(c->b = strdup(run_b))) {
        cai_compare_free(c);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    c->top_n = o.top_n ? o.top_n : 10;
    c->top = calloc(c->top_n, sizeof(*c->top));
    st = c->top ? cai_idmap__create(&c->map, 0, err)
                : cai_error__set(err, CAI_ENOMEM, "out of memory");
    if (st == CAI_OK && o.flipped_path) {
        /* written under a temporary name of its own, renamed when complete */
        int fd;

        st = cai__create_temp_for(&fd, &c->flipped_tmp, o.flipped_path, err);
        if (st == CAI_OK && !(c->flipped_f = fdopen(fd, "w"))) {
            st = cai_error__set(err, CAI_EIO, "%s: %s", c->flipped_tmp, strerror(errno));
            close(fd);
            unlink(c->flipped_tmp);
        }
    }
    sa.payload = sb.payload = c;
    if (st == CAI_OK)
        st = cai_dsrec__scan(run_a, &sa, err);
    if (st == CAI_OK)
        st = cai_dsrec__scan(run_b, &sb, err);
    if (st == CAI_OK) {
        for (i = 0; i < cai_idmap__capacity(c->map); i++) {
            const cai_idslot *s = cai_idmap__at(c->map, i);
            c->only_a += s && !s->used;
        }
        if (c->both == 0)
            st = cai_error__set(err, CAI_ESCHEMA,
                                "%s and %s have no pair id in common (%llu and %llu records): "
                                "compare needs two runs over the same pairs",
                                run_a, run_b, (unsigned long long)c->only_a,
                                (unsigned long long)c->only_b);
    }
    if (c->flipped_f) {
        int bad = fflush(c->flipped_f) != 0 || fsync(fileno(c->flipped_f)) != 0;

        bad = fclose(c->flipped_f) != 0 || bad;
        c->flipped_f = NULL;
        if (st == CAI_OK && (bad || rename(c->flipped_tmp, o.flipped_path) != 0))
            st = cai_error__set(err, CAI_EIO, "%s: write failed", o.flipped_path);
        if (st != CAI_OK)
            unlink(c->flipped_tmp);
    }
    if (st != CAI_OK) {
        cai_compare_free(c);
        return st;
    }
    *out = c;
    return CAI_OK;
}

void cai_compare_counts(
    const cai_compare *c, uint64_t *both, uint64_t *only_a, uint64_t *only_b, uint64_t *flipped)
{
    *both = c->both;
    *only_a = c->only_a;
    *only_b = c->only_b;
    *flipped = c->flipped;
}

/* ---- renderings ------------------------------------------------------------------------- */

static int by_change(const void *x, const void *y)
{
    const change *a = x, *b = y;
    double da = fabs(a->pb - a->pa), db = fabs(b->pb - b->pa);

    if (da != db)
        return da < db ? 1 : -1;
    return strcmp(a->id, b->id);
}

static void sort_top(const cai_compare *c)
{
    qsort(c->top, c->n_top, sizeof(*c->top), by_change);
}

static void agree_line(cai_buf *b, const char *what, const cai_agree *ag)
{
    cai_agree_summary s;

    if (!ag->n) {
        cai_buf__printf(b, "%s: no pairs\n", what);
        return;
    }
    cai_agree_summarize(&s, ag, 0, 0);
    cai_buf__printf(b, "%s: %.1f%% of %llu pairs (95%% Wilson CI %.3f-%.3f)\n", what,
                    100.0 * s.rate, (unsigned long long)s.n, s.lo, s.hi);
}

char *cai_compare_text(const cai_compare *c)
{
    cai_buf b = {0};
    size_t i;
    int run;

    sort_top(c);
    cai_buf__printf(&b, "run A: %s\nrun B: %s\n", c->a, c->b);
    cai_buf__printf(&b, "pairs in both: %llu; only in A: %llu; only in B: %llu\n",
                    (unsigned long long)c->both, (unsigned long long)c->only_a,
                    (unsigned long long)c->only_b);
    cai_buf__printf(&b, "labels flipped: %llu\n", (unsigned long long)c->flipped);
    agree_line(&b, "runs agree", &c->runs);
    if (c->both)
        cai_buf__printf(&b, "P(response_a) B - A: mean %+.4f, mean |change| %.4f\n",
                        c->sum_delta / (double)c->both, c->sum_abs_delta / (double)c->both);
    agree_line(&b, "run A agrees with humans", &c->human[0]);
    agree_line(&b, "run B agrees with humans", &c->human[1]);
    cai_buf__printf(&b, "\nlargest changes in P(response_a):\n  %-32s %8s %8s %8s\n", "id", "A",
                    "B", "change");
    for (i = 0; i < c->n_top; i++)
        cai_buf__printf(&b, "  %-32.32s %8.4f %8.4f %+8.4f%s\n", c->top[i].id, c->top[i].pa,
                        c->top[i].pb, c->top[i].pb - c->top[i].pa,
                        (c->top[i].pa >= 0.5) != (c->top[i].pb >= 0.5) ? "  flipped" : "");
    for (run = 0; run < 2; run++) {
        cai_buf__printf(&b, "\nby principle of run %c:\n  %-32s %8s %8s %12s\n", run ? 'B' : 'A',
                        "principle", "pairs", "flipped", "mean |chg|");
        for (i = 0; i < c->n_pr; i++) {
            const prstat *p = &c->pr[i];
            if (p->run != run || !p->pairs)
                continue;
            cai_buf__printf(
                &b, "  %-32.32s %8llu %7.1f%% %12.4f\n", p->id, (unsigned long long)p->pairs,
                100.0 * (double)p->flips / (double)p->pairs, p->abs_delta / (double)p->pairs);
        }
    }
    return cai_buf__take(&b);
}

static cJSON *agree_json(const cai_agree *ag)
{
    cJSON *o = cJSON_CreateObject();
    cai_agree_summary s;

    if (!o)
        return NULL;
    cai_agree_summarize(&s, ag, 0, 0);
    cJSON_AddNumberToObject(o, "pairs", (double)s.n);
    cJSON_AddNumberToObject(o, "agree", (double)s.k);
    if (s.n) {
        cJSON_AddNumberToObject(o, "rate", s.rate);
        cJSON_AddNumberToObject(o, "ci95_low", s.lo);
        cJSON_AddNumberToObject(o, "ci95_high", s.hi);
    } else {
        cJSON_AddNullToObject(o, "rate");
        cJSON_AddNullToObject(o, "ci95_low");
        cJSON_AddNullToObject(o, "ci95_high");
    }
    return o;
}

char *cai_compare_json(const cai_compare *c)
{
    cJSON *o = cJSON_CreateObject(), *arr;
    char *t, *text;
    size_t i;

    if (!o)
        return NULL;
    sort_top(c);
    cJSON_AddStringToObject(o, "run_a", c->a);
    cJSON_AddStringToObject(o, "run_b", c->b);
    cJSON_AddNumberToObject(o, "both", (double)c->both);
    cJSON_AddNumberToObject(o, "only_a", (double)c->only_a);
    cJSON_AddNumberToObject(o, "only_b", (double)c->only_b);
    cJSON_AddNumberToObject(o, "flipped", (double)c->flipped);
    cJSON_AddItemToObject(o, "runs_agree", agree_json(&c->runs));
    if (c->both) {
        cJSON_AddNumberToObject(o, "mean_change_p_a", c->sum_delta / (double)c->both);
        cJSON_AddNumberToObject(o, "mean_abs_change_p_a", c->sum_abs_delta / (double)c->both);
    } else {
        cJSON_AddNullToObject(o, "mean_change_p_a");
        cJSON_AddNullToObject(o, "mean_abs_change_p_a");
    }
    cJSON_AddItemToObject(o, "human_agreement_a", agree_json(&c->human[0]));
    cJSON_AddItemToObject(o, "human_agreement_b", agree_json(&c->human[1]));
    arr = cJSON_AddArrayToObject(o, "largest_changes");
    for (i = 0; arr && i < c->n_top; i++) {
        cJSON *x = cJSON_CreateObject();
        if (!x)
            continue;
        cJSON_AddStringToObject(x, "id", c->top[i].id);
        cJSON_AddNumberToObject(x, "p_a_run_a", c->top[i].pa);
        cJSON_AddNumberToObject(x, "p_a_run_b", c->top[i].pb);
        cJSON_AddNumberToObject(x, "change", c->top[i].pb - c->top[i].pa);
        cJSON_AddItemToArray(arr, x);
    }
    arr = cJSON_AddArrayToObject(o, "by_principle");
    for (i = 0; arr && i < c->n_pr; i++) {
        cJSON *x = cJSON_CreateObject();
        if (!x)
            continue;
        cJSON_AddStringToObject(x, "run", c->pr[i].run ? "b" : "a");
        cJSON_AddStringToObject(x, "principle", c->pr[i].id);
        cJSON_AddNumberToObject(x, "pairs", (double)c->pr[i].pairs);
        cJSON_AddNumberToObject(x, "flipped", (double)c->pr[i].flips);
        cJSON_AddNumberToObject(x, "mean_abs_change_p_a",
                                c->pr[i].pairs ? c->pr[i].abs_delta / (double)c->pr[i].pairs : 0);
        cJSON_AddItemToArray(arr, x);
    }
    t = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    text = t ? strdup(t) : NULL;
    cJSON_free(t);
    return text;
}

void cai_compare_free(cai_compare *c)
{
    size_t i;

    if (!c)
        return;
    if (c->flipped_f) {
        fclose(c->flipped_f);
        unlink(c->flipped_tmp);
    }
    free(c->flipped_tmp);
    cai_idmap__free(c->map);
    for (i = 0; i < c->n_pr; i++)
        free(c->pr[i].id);
    free(c->pr);
    for (i = 0; i < c->n_sets; i++)
        cJSON_Delete(c->sets[i]);
    free(c->sets);
    for (i = 0; c->top && i < c->n_top; i++)
        free(c->top[i].id);
    free(c->top);
    free(c->a);
    free(c->b);
    free(c);
}

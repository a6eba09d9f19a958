/* SPDX-License-Identifier: MIT */
/* `cai calibrate`: fits a temperature or Platt scaling to human labels and measures it. */
#include "cai/calibrate.h"
#include "hash_int.h"
#include "cai/writer.h"
#include "human_int.h"
#include "error_int.h"
#include "util_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define P_CLAMP 1e-6

typedef struct point {
    double z;     /* logit(P(A)) */
    uint8_t y;    /* 1: the human chose a */
    uint8_t held; /* 1: in the held-out part */
} point;

struct cai_calibrate {
    cai_calibrate_opts o;
    char *dataset, *human;
    char human_sha256[65]; /* of a --human file ("" for a directory or the dataset's own) */
    double t, a, b;
    point *pt;
    size_t n, cap;
    uint64_t n_fit, records, dropped;
    cai_calib_metrics m;
    cai_relbins before, after; /* on the measured part */
    cai_hlabels *labels;
    cJSON *saved;     /* cai_calibrate_load: the file's object, else NULL */
    char *saved_path; /* ... and where it came from */
    char saved_sha256[65];
};

static double sigmoid(double x)
{
    return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

static double logit_clamped(double p)
{
    p = p < P_CLAMP ? P_CLAMP : p > 1.0 - P_CLAMP ? 1.0 - P_CLAMP : p;
    return log(p / (1.0 - p));
}

/* -log P(y) for P(A) = σ(x), computed without overflow. */
static double nll(double x, int y)
{
    double s = y ? -x : x; /* -log σ(-s) = log(1 + e^s) */
    return s > 0 ? s + log1p(exp(-s)) : log1p(exp(s));
}

double cai_calibrate_apply(const cai_calibrate *c, double p_a)
{
    return sigmoid(c->a * logit_clamped(p_a) + c->b);
}

/* The held-out test: a hash of the id, independent of order and seed. */
static int held_out(const char *id, double frac)
{
    uint64_t h = cai_hash64(id, strlen(id), 0x686f6c646f7574ULL); /* "holdout" */

    return (double)(h >> 11) / 9007199254740992.0 < frac;
}

static cai_status on_record(void *payload, const cai_dsrec *r, cai_error *err)
{
    cai_calibrate *c = payload;
    int human = c->labels ? cai_hlabels__get(c->labels, r->id) : r->human;
    point *np;

    c->records++;
    if (human < 0)
        return CAI_OK;
    if (!r->id)
        return cai_error__set(err, CAI_ESCHEMA, "%s:%llu: a human-labelled record without \"id\"",
                              r->file, (unsigned long long)r->line);
    np = cai__grow(c->pt, &c->cap, c->n + 1, sizeof(*np), 256);
    if (!np)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    c->pt = np;
    np = &c->pt[c->n++];
    np->z = logit_clamped(r->p_a);
    np->y = human == 0;
    np->held = held_out(r->id, c->o.holdout);
    return CAI_OK;
}

/* Mean log-loss of σ(a·z + b) over the fitted part (held = 0) or the held-out part. */
static double loss(const cai_calibrate *c, int held, double a, double b, uint64_t *n)
{
    double sum = 0;
    uint64_t k = 0;
    size_t i;

    for (i = 0; i < c->n; i++) {
        if (c->pt[i].held != held)
            continue;
        sum += nll(a * c->pt[i].z + b, c->pt[i].y);
        k++;
    }
    if (n)
        *n = k;
    return k ? sum / (double)k : NAN;
}

/* Golden-section search of log T in [log 0.01, log 100]: the loss is convex in 1/T, hence
 * unimodal in log T; 120 steps shrink the interval below 1e-24 of its width. */
static void fit_temperature(cai_calibrate *c)
{
    const double g = (sqrt(5.0) - 1.0) / 2.0;
    double lo = log(0.01), hi = log(100.0), x1, x2, f1, f2;
    int i;

    x1 = hi - g * (hi - lo);
    x2 = lo + g * (hi - lo);
    f1 = loss(c, 0, exp(-x1), 0, NULL);
    f2 = loss(c, 0, exp(-x2), 0, NULL);
    for (i = 0; i < 120; i++) {
        if (f1 <= f2) {
            hi = x2;
            x2 = x1;
            f2 = f1;
            x1 = hi - g * (hi - lo);
            f1 = loss(c, 0, exp(-x1), 0, NULL);
        } else {
            lo = x1;
            x1 = x2;
            f1 = f2;
            x2 = lo + g * (hi - lo);
            f2 = loss(c, 0, exp(-x2), 0, NULL);
        }
    }
    c->t = exp((lo + hi) / 2.0);
    c->a = 1.0 / c->t;
    c->b = 0;
}

/* Newton's method on the convex log-loss of σ(a·z + b), from (1, 0), halving a step until the
 * loss does not rise; a tiny ridge keeps the Hessian invertible on separable data. */
static void fit_platt(cai_calibrate *c)
{
    double a = 1.0, b = 0.0, cur = loss(c, 0, a, b, NULL);
    int it;

    for (it = 0; it < 100; it++) {
        double ga = 0, gb = 0, haa = 1e-9, hab = 0, hbb = 1e-9, det, da, db, step = 1.0, nxt;
        size_t i;
        for (i = 0; i < c->n; i++) {
            double p, w;
            if (c->pt[i].held)
                continue;
            p = sigmoid(a * c->pt[i].z + b);
            w = p * (1 - p);
            ga += (p - c->pt[i].y) * c->pt[i].z;
            gb += p - c->pt[i].y;
            haa += w * c->pt[i].z * c->pt[i].z;
            hab += w * c->pt[i].z;
            hbb += w;
        }
        det = haa * hbb - hab * hab;
        if (!(det > 0))
            break;
        da = (hbb * ga - hab * gb) / det;
        db = (haa * gb - hab * ga) / det;
        for (;;) {
            nxt = loss(c, 0, a - step * da, b - step * db, NULL);
            if (nxt <= cur || step < 1e-6)
                break;
            step /= 2;
        }
        if (!(nxt <= cur))
            break;
        a -= step * da;
        b -= step * db;
        if (fabs(step * da) < 1e-12 && fabs(step * db) < 1e-12) {
            cur = nxt;
            break;
        }
        cur = nxt;
    }
    c->a = a;
    c->b = b;
    c->t = a != 0 ? 1.0 / a : INFINITY;
}

static void measure(cai_calibrate *c)
{
    int held = 0;
    size_t i;

    for (i = 0; i < c->n; i++)
        held |= c->pt[i].held;
    c->m.logloss_before = loss(c, held, 1.0, 0.0, &c->m.n);
    c->m.logloss_after = loss(c, held, c->a, c->b, NULL);
    for (i = 0; i < c->n; i++) {
        double p0, p1;
        if (c->pt[i].held != held)
            continue;
        p0 = sigmoid(c->pt[i].z);
        p1 = sigmoid(c->a * c->pt[i].z + c->b);
        /* The label is the likelier side; the human agrees when it is the side they chose. */
        cai_relbins__add(&c->before, p0 >= 0.5 ? p0 : 1 - p0, (p0 >= 0.5) == c->pt[i].y);
        cai_relbins__add(&c->after, p1 >= 0.5 ? p1 : 1 - p1, (p1 >= 0.5) == c->pt[i].y);
    }
    c->m.ece_before = cai_relbins__ece(&c->before);
    c->m.ece_after = cai_relbins__ece(&c->after);
}

cai_status cai_calibrate_opts_init(cai_calibrate_opts *o, unsigned version)
{
    if (!o || version != CAI_CALIBRATE_OPTS_VERSION)
        return CAI_EINVAL;
    *o = CAI_CALIBRATE_OPTS_INIT;
    return CAI_OK;
}

cai_status cai_calibrate_fit(cai_calibrate **out,
                             const char *dataset,
                             const cai_calibrate_opts *opts,
                             cai_error *err)
{
    cai_calibrate_opts o = opts ? *opts : CAI_CALIBRATE_OPTS_INIT;
    cai_dsrec_sink sink = {on_record, NULL, NULL};
    cai_calibrate *c;
    cai_status st = CAI_OK;

    CAI_ASSERT_ARG(err, out != NULL);
    *out = NULL;
    CAI_ASSERT_ARG(err, dataset != NULL);
    if (o.version != CAI_CALIBRATE_OPTS_VERSION)
        return cai_error__set(err, CAI_EINVAL,
                              "cai_calibrate_opts: unknown version %u (this "
                              "library knows %u)",
                              o.version, CAI_CALIBRATE_OPTS_VERSION);
    if (o.holdout < 0)
        o.holdout = 0.3;
    if (!(o.holdout <= 0.9))
        return cai_error__set(err, CAI_EINVAL, "holdout %g is not in [0, 0.9]", o.holdout);
    if (o.method != CAI_CALIB_TEMPERATURE && o.method != CAI_CALIB_PLATT)
        return cai_error__set(err, CAI_EINVAL, "unknown calibration method");
    c = calloc(1, sizeof(*c));
    if (!c || !(c->dataset = strdup(dataset)) || (o.human && !(c->human = strdup(o.human)))) {
        cai_calibrate_free(c);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    c->o = o;
    c->o.human = c->human;
    if (o.human)
        st = cai_hlabels__load(&c->labels, o.human, err);
    if (st == CAI_OK && o.human && !cai_hlabels__is_dataset(c->labels)) {
        uint64_t bytes;
        st = cai_sha256_file(o.human, c->human_sha256, &bytes, err);
    }
    sink.payload = c;
    if (st == CAI_OK)
        st = cai_dsrec__scan(dataset, &sink, err);
    if (st == CAI_OK && c->labels)
        st = cai_hlabels__mark_dropped(c->labels, dataset, &c->dropped, err);
    if (st == CAI_OK && c->labels)
        st = cai_hlabels__check_used(c->labels, dataset, err);
    if (st == CAI_OK && c->n == 0)
        st = cai_error__set(err, CAI_ESCHEMA,
                            "%s: no record has a human label (cai.has_human_label is false in "
                            "all %llu records); give the labels with --human FILE",
                            dataset, (unsigned long long)c->records);
    if (st == CAI_OK) {
        loss(c, 0, 1, 0, &c->n_fit);
        if (c->n_fit < 2)
            st = cai_error__set(err, CAI_ESCHEMA,
                                "%s: too few human labels to fit (%llu outside the held-out "
                                "part); lower --holdout or label more pairs",
                                dataset, (unsigned long long)c->n_fit);
    }
    if (st != CAI_OK) {
        cai_calibrate_free(c);
        return st;
    }
    cai_hlabels__free(c->labels);
    c->labels = NULL;
    if (o.method == CAI_CALIB_PLATT)
        fit_platt(c);
    else
        fit_temperature(c);
    measure(c);
    *out = c;
    return CAI_OK;
}

void cai_calibrate_params(const cai_calibrate *c, double *t, double *a, double *b)
{
    *t = c->t;
    *a = c->a;
    *b = c->b;
}

uint64_t cai_calibrate_nfit(const cai_calibrate *c)
{
    return c->n_fit;
}

const char *cai_calibrate__dataset(const cai_calibrate *c)
{
    return c->dataset;
}

void cai_calibrate_metrics(const cai_calibrate *c, cai_calib_metrics *out)
{
    *out = c->m;
}

/* ---- renderings ------------------------------------------------------------------------- */

static void json_num(cJSON *o, const char *k, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

/* The calibration as stored (--save) and recorded in a calibrated dataset's manifest. */
cJSON *cai_calibrate__json(const cai_calibrate *c)
{
    cJSON *o, *m;

    if (c->saved) { /* loaded: the file's object as it was, and which file it was */
        o = cJSON_Duplicate(c->saved, 1);
        if (o) {
            cJSON_AddStringToObject(o, "file", c->saved_path);
            cJSON_AddStringToObject(o, "file_sha256", c->saved_sha256);
        }
        return o;
    }
    o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "cai_calibration", 1);
    cJSON_AddStringToObject(o, "method", c->o.method == CAI_CALIB_PLATT ? "platt" : "temperature");
    cJSON_AddStringToObject(o, "formula",
                            c->o.method == CAI_CALIB_PLATT
                                ? "P'(A) = sigmoid(a * logit(P(A)) + b)"
                                : "P'(A) = sigmoid(logit(P(A)) / temperature)");
    json_num(o, "temperature", c->t);
    json_num(o, "a", c->a);
    json_num(o, "b", c->b);
    cJSON_AddStringToObject(o, "dataset", c->dataset);
    if (c->human)
        cJSON_AddStringToObject(o, "human_labels", c->human);
    else
        cJSON_AddStringToObject(o, "human_labels", "dataset (cai.human_chosen_position)");
    if (c->human_sha256[0])
        cJSON_AddStringToObject(o, "human_labels_sha256", c->human_sha256);
    cJSON_AddNumberToObject(o, "labelled_pairs", (double)c->n);
    cJSON_AddNumberToObject(o, "fitted_pairs", (double)c->n_fit);
    cJSON_AddNumberToObject(o, "holdout_fraction", c->o.holdout);
    cJSON_AddStringToObject(o, "holdout_rule", "hash64(id) / 2^64 < holdout_fraction");
    m = cJSON_AddObjectToObject(o, "metrics");
    if (m) {
        cJSON_AddStringToObject(m, "measured_on",
                                c->n_fit == c->n ? "fitted pairs (nothing held out)"
                                                 : "held-out pairs");
        cJSON_AddNumberToObject(m, "pairs", (double)c->m.n);
        json_num(m, "logloss_before", c->m.logloss_before);
        json_num(m, "logloss_after", c->m.logloss_after);
        json_num(m, "ece_before", c->m.ece_before);
        json_num(m, "ece_after", c->m.ece_after);
        cJSON_AddStringToObject(m, "ece_bins",
                                "10 equal-width bins of max(p, 1 - p) over [0.5, 1]");
    }
    return o;
}

char *cai_calibrate_json(const cai_calibrate *c)
{
    cJSON *o = cai_calibrate__json(c);
    char *t, *text;

    if (!o)
        return NULL;
    t = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    text = t ? strdup(t) : NULL;
    cJSON_free(t);
    return text;
}

char *cai_calibrate_text(const cai_calibrate *c)
{
    cai_buf b = {0};

    cai_buf__printf(&b, "dataset: %s\nhuman labels: %s\n", c->dataset ? c->dataset : "(loaded)",
                    c->human ? c->human : "the dataset's own (cai.human_chosen_position)");
    cai_buf__printf(&b, "labelled pairs: %llu (fitted on %llu, held out %llu; holdout %.2f)\n",
                    (unsigned long long)c->n, (unsigned long long)c->n_fit,
                    (unsigned long long)(c->n - c->n_fit), c->o.holdout);
    if (c->o.method == CAI_CALIB_PLATT)
        cai_buf__printf(&b, "platt: P'(A) = sigmoid(%.6f * logit(P(A)) + %.6f)\n", c->a, c->b);
    else
        cai_buf__printf(&b, "temperature: %.6f  (P'(A) = sigmoid(logit(P(A)) / T))\n", c->t);
    cai_buf__printf(&b, "measured on %llu %s pairs:\n", (unsigned long long)c->m.n,
                    c->n_fit == c->n ? "fitted (nothing held out)" : "held-out");
    cai_buf__printf(&b, "  %-10s %10s %10s\n  %-10s %10.4f %10.4f\n  %-10s %10.4f %10.4f\n", "",
                    "before", "after", "log-loss", c->m.logloss_before, c->m.logloss_after, "ECE",
                    c->m.ece_before, c->m.ece_after);
    return cai_buf__take(&b);
}

char *cai_calibrate_svg(const cai_calibrate *c)
{
    cai_relseries s[2] = {{"before", "#e15759", &c->before}, {"after", "#4e79a7", &c->after}};

    return cai_relplot__svg("cai calibrate: reliability diagram (held-out pairs)", s, 2);
}

void cai_calibrate_free(cai_calibrate *c)
{
    if (!c)
        return;
    cai_hlabels__free(c->labels);
    cJSON_Delete(c->saved);
    free(c->saved_path);
    free(c->pt);
    free(c->dataset);
    free(c->human);
    free(c);
}

/* ---- a saved calibration (cai calibrate --save), for cai run --calibration ---------------- */

/* A finite number under key k of o, or a "PATH: \"k\": reason" error. */
static cai_status
saved_num(const cJSON *o, const char *k, const char *path, double *v, cai_error *err)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);

    if (!x)
        return cai_error__set(err, CAI_EPARSE, "%s: \"%s\": missing", path, k);
    if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble))
        return cai_error__set(err, CAI_EPARSE, "%s: \"%s\": not a finite number", path, k);
    *v = x->valuedouble;
    return CAI_OK;
}

cai_status cai_calibrate_load(cai_calibrate **out, const char *path, cai_error *err)
{
    cai_calibrate *c = NULL;
    FILE *f;
    char *text = NULL;
    size_t len = 0;
    const cJSON *x;
    cai_status st;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, out != NULL && path != NULL);
    *out = NULL;
    f = fopen(path, "rb");
    if (!f)
        return cai_error__set(err, CAI_EIO, "%s: %s", path, strerror(errno));
    st = cai__read_stream(f, path, (size_t)1 << 20, &text, &len, err);
    fclose(f);
    if (st != CAI_OK)
        return st;
    c = calloc(1, sizeof(*c));
    if (!c || !(c->saved_path = strdup(path))) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto fail;
    }
    cai_sha256_hex(text, len, c->saved_sha256);
    c->saved = cJSON_ParseWithLength(text, len);
    if (!cJSON_IsObject(c->saved)) {
        st = cai_error__set(err, CAI_EPARSE,
                            "%s: not a JSON object (a file cai calibrate --save "
                            "wrote)",
                            path);
        goto fail;
    }
    x = cJSON_GetObjectItemCaseSensitive(c->saved, "cai_calibration");
    if (!cJSON_IsNumber(x) || x->valuedouble != 1) {
        st = cai_error__set(err, CAI_EPARSE,
                            "%s: \"cai_calibration\": %s (a file cai calibrate "
                            "--save wrote has 1)",
                            path, x ? "not 1" : "missing");
        goto fail;
    }
    x = cJSON_GetObjectItemCaseSensitive(c->saved, "method");
    if (!cJSON_IsString(x) ||
        (strcmp(x->valuestring, "temperature") != 0 && strcmp(x->valuestring, "platt") != 0)) {
        st = cai_error__set(err, CAI_EPARSE, "%s: \"method\": %s", path,
                            x ? "not \"temperature\" or \"platt\"" : "missing");
        goto fail;
    }
    c->o.method = strcmp(x->valuestring, "platt") == 0 ? CAI_CALIB_PLATT : CAI_CALIB_TEMPERATURE;
    if ((st = saved_num(c->saved, "a", path, &c->a, err)) != CAI_OK ||
        (st = saved_num(c->saved, "b", path, &c->b, err)) != CAI_OK)
        goto fail;
    if (c->o.method == CAI_CALIB_TEMPERATURE) {
        if ((st = saved_num(c->saved, "temperature", path, &c->t, err)) != CAI_OK)
            goto fail;
        if (!(c->t > 0) || c->b != 0 || fabs(c->a * c->t - 1.0) > 1e-9) {
            st = cai_error__set(err, CAI_EPARSE,
                                "%s: \"temperature\": must be > 0 with "
                                "\"a\" = 1 / temperature and \"b\" = 0",
                                path);
            goto fail;
        }
    } else {
        c->t = c->a != 0 ? 1.0 / c->a : INFINITY;
        if (!(c->a > 0)) { /* a <= 0 would reverse or erase every label */
            st = cai_error__set(err, CAI_EPARSE, "%s: \"a\": must be > 0", path);
            goto fail;
        }
    }
    free(text);
    *out = c;
    return CAI_OK;
fail:
    free(text);
    cai_calibrate_free(c);
    return st;
}

/* SPDX-License-Identifier: MIT */
/* `cai agree`: agreement of AI labels with human labels, overall and per breakdown. */
#include "cai/agreement.h"
#include "human_int.h"
#include "error_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAMED 1024 /* principles or files tracked; further ones are pooled as "(other)" */
#define CONF_BINS 10   /* |p_chosen - 0.5| in [0, 0.5], bins of 0.05 */

typedef struct named {
    char *name;
    cai_agree a;
} named;

typedef struct namedlist {
    named *v;
    size_t n, cap;
} namedlist;

enum { SHOWN_FIRST, SHOWN_SECOND, SHOWN_EVEN, SHOWN_UNKNOWN, SHOWN__N };
static const char *const shown_names[SHOWN__N] = {"first-shown won more", "second-shown won more",
                                                  "even", "unknown"};
enum { LEN_LONGER, LEN_SHORTER, LEN_EQUAL, LEN__N };
static const char *const len_names[LEN__N] = {"chosen longer", "chosen shorter", "equal length"};

struct cai_agreement {
    char *dataset, *human_source;
    double z;
    cai_agree all;
    namedlist principles, files;
    cai_agree shown[SHOWN__N], length[LEN__N], conf[CONF_BINS];
    uint64_t confusion[2][2]; /* [AI position][human position] */
    uint64_t records, unlabelled;
    uint64_t dropped; /* --human labels of pairs the run dropped (ties, failed) */
    cai_relbins rel;
    cai_hlabels *labels;
};

static named *lookup(namedlist *l, const char *name)
{
    named *nv;
    size_t i;

    for (i = 0; i < l->n; i++)
        if (strcmp(l->v[i].name, name) == 0)
            return &l->v[i];
    if (l->n == MAX_NAMED)
        name = "(other)";
    if (l->n > MAX_NAMED)
        return &l->v[MAX_NAMED];
    nv = cai__grow(l->v, &l->cap, l->n + 1, sizeof(*nv), 16);
    if (!nv)
        return NULL;
    l->v = nv;
    memset(&l->v[l->n], 0, sizeof(l->v[0]));
    if (!(l->v[l->n].name = strdup(name)))
        return NULL;
    return &l->v[l->n++];
}

static void namedlist_dispose(namedlist *l)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        free(l->v[i].name);
    free(l->v);
}

/* A data file's path inside the dataset directory ("data/train-....jsonl.gz"). */
static const char *rel_path(const char *dir, const char *file)
{
    size_t n = strlen(dir);

    while (n > 1 && dir[n - 1] == '/')
        n--;
    return strncmp(file, dir, n) == 0 && file[n] == '/' ? file + n + 1 : file;
}

static cai_status on_record(void *payload, const cai_dsrec *r, cai_error *err)
{
    cai_agreement *a = payload;
    int human = a->labels ? cai_hlabels__get(a->labels, r->id) : r->human, ok, s, bin;
    named *nm;
    double d;

    a->records++;
    if (human < 0) {
        a->unlabelled++;
        return CAI_OK;
    }
    ok = human == r->position;
    cai_agree_add(&a->all, ok);
    a->confusion[r->position][human]++;
    if (r->principles) {
        const cJSON *p;
        cJSON_ArrayForEach(p, r->principles)
        {
            if (!cJSON_IsString(p))
                continue;
            if (!(nm = lookup(&a->principles, p->valuestring)))
                return cai_error__set(err, CAI_ENOMEM, "out of memory");
            cai_agree_add(&nm->a, ok);
        }
    }
    if (!(nm = lookup(&a->files, rel_path(a->dataset, r->file))))
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    cai_agree_add(&nm->a, ok);
    s = r->first_wins < 0 || r->second_wins < 0 ? SHOWN_UNKNOWN
        : r->first_wins > r->second_wins        ? SHOWN_FIRST
        : r->first_wins < r->second_wins        ? SHOWN_SECOND
                                                : SHOWN_EVEN;
    cai_agree_add(&a->shown[s], ok);
    cai_agree_add(&a->length[r->chosen_chars > r->rejected_chars   ? LEN_LONGER
                             : r->chosen_chars < r->rejected_chars ? LEN_SHORTER
                                                                   : LEN_EQUAL],
                  ok);
    d = fabs(r->p_chosen - 0.5);
    bin = (int)floor(d * 2.0 * CONF_BINS);
    cai_agree_add(&a->conf[bin < 0 ? 0 : bin >= CONF_BINS ? CONF_BINS - 1 : bin], ok);
    cai_relbins__add(&a->rel, 0.5 + d, ok);
    return CAI_OK;
}

cai_status cai_agreement_opts_init(cai_agreement_opts *o, unsigned version)
{
    if (!o || version != CAI_AGREEMENT_OPTS_VERSION)
        return CAI_EINVAL;
    *o = CAI_AGREEMENT_OPTS_INIT;
    return CAI_OK;
}

cai_status cai_agreement_collect(cai_agreement **out,
                                 const char *dataset,
                                 const cai_agreement_opts *opts,
                                 cai_error *err)
{
    cai_agreement_opts o = opts ? *opts : CAI_AGREEMENT_OPTS_INIT;
    cai_dsrec_sink sink = {on_record, NULL, NULL};
    cai_agreement *a;
    cai_status st = CAI_OK;

    CAI_ASSERT_ARG(err, out != NULL);
    *out = NULL;
    CAI_ASSERT_ARG(err, dataset != NULL);
    if (o.version != CAI_AGREEMENT_OPTS_VERSION)
        return cai_error__set(err, CAI_EINVAL,
                              "cai_agreement_opts: unknown version %u (this "
                              "library knows %u)",
                              o.version, CAI_AGREEMENT_OPTS_VERSION);
    a = calloc(1, sizeof(*a));
    if (!a || !(a->dataset = strdup(dataset))) {
        free(a);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    a->z = o.z > 0 ? o.z : 1.959963984540054;
    if (o.human) {
        st = cai_hlabels__load(&a->labels, o.human, err);
        if (st == CAI_OK && !(a->human_source = strdup(o.human)))
            st = cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    sink.payload = a;
    if (st == CAI_OK)
        st = cai_dsrec__scan(dataset, &sink, err);
    if (st == CAI_OK && a->labels)
        st = cai_hlabels__mark_dropped(a->labels, dataset, &a->dropped, err);
    if (st == CAI_OK && a->labels)
        st = cai_hlabels__check_used(a->labels, dataset, err);
    if (st == CAI_OK && a->all.n == 0)
        st = cai_error__set(err, CAI_ESCHEMA,
                            "%s: no record has a human label (cai.has_human_label is false in "
                            "all %llu records); give the labels with --human FILE",
                            dataset, (unsigned long long)a->records);
    if (st != CAI_OK) {
        cai_agreement_free(a);
        return st;
    }
    cai_hlabels__free(a->labels);
    a->labels = NULL;
    *out = a;
    return CAI_OK;
}

void cai_agreement_overall(const cai_agreement *a, cai_agree_summary *out)
{
    cai_agree_summarize(out, &a->all, a->z, 0);
}

/* ---- renderings ------------------------------------------------------------------------- */

static void conf_name(int i, char out[32])
{
    snprintf(out, 32, "[%.2f,%.2f%c", i * 0.05, (i + 1) * 0.05, i == CONF_BINS - 1 ? ']' : ')');
}

static void text_row(cai_buf *b, const char *name, const cai_agree *ag, double z)
{
    cai_agree_summary s;

    if (!ag->n)
        return;
    cai_agree_summarize(&s, ag, z, 0);
    cai_buf__printf(b, "  %-40.40s %8llu %7.1f%%  %.3f-%.3f\n", name, (unsigned long long)s.n,
                    100.0 * s.rate, s.lo, s.hi);
}

static void text_head(cai_buf *b, const char *what)
{
    cai_buf__printf(b, "\nby %s:\n  %-40s %8s %8s  %s\n", what, "", "pairs", "agree", "95% CI");
}

char *cai_agreement_text(const cai_agreement *a)
{
    cai_buf b = {0};
    cai_agree_summary s;
    size_t i;
    int j;
    char nm[32];

    cai_agreement_overall(a, &s);
    cai_buf__printf(&b, "dataset: %s\nhuman labels: %s\n", a->dataset,
                    a->human_source ? a->human_source
                                    : "the dataset's own (cai.human_chosen_position)");
    cai_buf__printf(&b, "records: %llu, with a human label: %llu, without: %llu\n",
                    (unsigned long long)a->records, (unsigned long long)s.n,
                    (unsigned long long)a->unlabelled);
    if (a->human_source)
        cai_buf__printf(&b, "labels of pairs the run dropped (ties, failed): %llu\n",
                        (unsigned long long)a->dropped);
    cai_buf__printf(&b,
                    "agreement: %.1f%% of %llu pairs (95%% Wilson CI %.3f-%.3f; one-sided "
                    "binomial p = %.2g against chance)%s\n",
                    100.0 * s.rate, (unsigned long long)s.n, s.lo, s.hi, s.p_above,
                    s.at_or_below ? "  NOT ABOVE CHANCE" : "");
    cai_buf__printf(&b,
                    "\nconfusion (rows: AI chose, columns: human chose):\n"
                    "  %-8s %8s %8s\n  %-8s %8llu %8llu\n  %-8s %8llu %8llu\n",
                    "", "a", "b", "a", (unsigned long long)a->confusion[0][0],
                    (unsigned long long)a->confusion[0][1], "b",
                    (unsigned long long)a->confusion[1][0], (unsigned long long)a->confusion[1][1]);
    text_head(&b, "principle");
    for (i = 0; i < a->principles.n; i++)
        text_row(&b, a->principles.v[i].name, &a->principles.v[i].a, a->z);
    text_head(&b, "shown position (judgments won by the first- vs second-shown response)");
    for (j = 0; j < SHOWN__N; j++)
        text_row(&b, shown_names[j], &a->shown[j], a->z);
    text_head(&b, "length (characters)");
    for (j = 0; j < LEN__N; j++)
        text_row(&b, len_names[j], &a->length[j], a->z);
    text_head(&b, "data file (records do not name their input file; shards stand in)");
    for (i = 0; i < a->files.n; i++)
        text_row(&b, a->files.v[i].name, &a->files.v[i].a, a->z);
    text_head(&b, "confidence |p_chosen - 0.5|");
    for (j = 0; j < CONF_BINS; j++) {
        conf_name(j, nm);
        text_row(&b, nm, &a->conf[j], a->z);
    }
    cai_buf__printf(&b, "\nexpected calibration error (10 bins of p_chosen): %.3f\n",
                    cai_relbins__ece(&a->rel));
    return cai_buf__take(&b);
}

static void json_num(cJSON *o, const char *k, double v)
{
    if (isnan(v))
        cJSON_AddNullToObject(o, k);
    else
        cJSON_AddNumberToObject(o, k, v);
}

static cJSON *summary_json(const cai_agree *ag, double z, const char *name)
{
    cJSON *o = cJSON_CreateObject();
    cai_agree_summary s;

    if (!o)
        return NULL;
    cai_agree_summarize(&s, ag, z, 0);
    if (name)
        cJSON_AddStringToObject(o, "name", name);
    cJSON_AddNumberToObject(o, "pairs", (double)s.n);
    cJSON_AddNumberToObject(o, "agree", (double)s.k);
    json_num(o, "rate", s.rate);
    json_num(o, "ci95_low", s.lo);
    json_num(o, "ci95_high", s.hi);
    return o;
}

static void add_list(
    cJSON *o, const char *key, const cai_agree *v, const char *const *names, size_t n, double z)
{
    cJSON *arr = cJSON_AddArrayToObject(o, key);
    size_t i;

    for (i = 0; arr && i < n; i++)
        cJSON_AddItemToArray(arr, summary_json(&v[i], z, names[i]));
}

char *cai_agreement_json(const cai_agreement *a)
{
    cJSON *o = cJSON_CreateObject(), *x, *arr;
    cai_agree_summary s;
    const char *cn[CONF_BINS];
    char cbuf[CONF_BINS][32];
    char *t, *text;
    size_t i;
    int j;

    if (!o)
        return NULL;
    cai_agreement_overall(a, &s);
    cJSON_AddStringToObject(o, "dataset", a->dataset);
    if (a->human_source)
        cJSON_AddStringToObject(o, "human_labels", a->human_source);
    else
        cJSON_AddNullToObject(o, "human_labels");
    cJSON_AddNumberToObject(o, "records", (double)a->records);
    cJSON_AddNumberToObject(o, "unlabelled", (double)a->unlabelled);
    cJSON_AddNumberToObject(o, "labels_of_dropped_pairs", (double)a->dropped);
    x = summary_json(&a->all, a->z, NULL);
    if (x) {
        cJSON_AddNumberToObject(x, "p_above_chance", s.p_above);
        cJSON_AddBoolToObject(x, "above_chance", s.above);
        cJSON_AddBoolToObject(x, "at_or_below_chance", s.at_or_below);
    }
    cJSON_AddItemToObject(o, "agreement", x);
    x = cJSON_AddObjectToObject(o, "confusion");
    if (x) {
        cJSON_AddNumberToObject(x, "ai_a_human_a", (double)a->confusion[0][0]);
        cJSON_AddNumberToObject(x, "ai_a_human_b", (double)a->confusion[0][1]);
        cJSON_AddNumberToObject(x, "ai_b_human_a", (double)a->confusion[1][0]);
        cJSON_AddNumberToObject(x, "ai_b_human_b", (double)a->confusion[1][1]);
    }
    arr = cJSON_AddArrayToObject(o, "by_principle");
    for (i = 0; arr && i < a->principles.n; i++)
        cJSON_AddItemToArray(arr,
                             summary_json(&a->principles.v[i].a, a->z, a->principles.v[i].name));
    add_list(o, "by_shown_position", a->shown, shown_names, SHOWN__N, a->z);
    add_list(o, "by_length", a->length, len_names, LEN__N, a->z);
    arr = cJSON_AddArrayToObject(o, "by_file");
    for (i = 0; arr && i < a->files.n; i++)
        cJSON_AddItemToArray(arr, summary_json(&a->files.v[i].a, a->z, a->files.v[i].name));
    for (j = 0; j < CONF_BINS; j++) {
        conf_name(j, cbuf[j]);
        cn[j] = cbuf[j];
    }
    add_list(o, "by_confidence", a->conf, cn, CONF_BINS, a->z);
    json_num(o, "ece", cai_relbins__ece(&a->rel));
    t = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    text = t ? strdup(t) : NULL;
    cJSON_free(t);
    return text;
}

char *cai_agreement_svg(const cai_agreement *a)
{
    cai_relseries s = {"AI label vs human", "#4e79a7", &a->rel};

    return cai_relplot__svg("cai agree: agreement with the human label against confidence", &s, 1);
}

void cai_agreement_free(cai_agreement *a)
{
    if (!a)
        return;
    namedlist_dispose(&a->principles);
    namedlist_dispose(&a->files);
    cai_hlabels__free(a->labels);
    free(a->dataset);
    free(a->human_source);
    free(a);
}

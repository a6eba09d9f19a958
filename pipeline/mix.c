/* SPDX-License-Identifier: MIT */
/* `cai mix`: rewrites a dataset with human answers in place of AI labels, through the run's
 * writer, manifest and validation. Two passes over the dataset, memory bounded by the answers. */
#include "cai/mix.h"
#include "cai/route.h"
#include "answers_int.h"
#include "human_int.h"
#include "error_int.h"
#include "opts_int.h"
#include "jsonraw_int.h"
#include "outdir_int.h"
#include "run_int.h"
#include "util_int.h"
#include "validate_int.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_MEMBERS 64

typedef struct mixer {
    const cai_mix_opts *o;
    cai_mix_report *rep;
    cai_answers ans;
    int pass; /* 1: match ids; 2: write */
    const char *out_dir;
    char *data_dir;
    cai_writer *w[CAI_SPLIT__COUNT]; /* NONE is written as train */
    cai_writer_opts wo;
    cai_margin_mode margin;
    double margin_cap;
    double human_p;
    cai_agree agree;
    cai_buf line;
} mixer;

static const char *split_prefix(cai_split s)
{
    return s == CAI_SPLIT_TEST ? "test" : s == CAI_SPLIT_VALIDATION ? "validation" : "train";
}

/* A float that always has a decimal point ("1.0"), so the column stays float to Arrow. */
static void put_float(cai_buf *b, double v)
{
    char t[40];

    cai__format_double(v, t);
    if (!strpbrk(t, ".eEn"))
        strcat(t, ".0");
    cai_buf__puts(b, t);
}

static double margin_of(const mixer *m, double p)
{
    double v;

    if (p <= 0.5)
        return 0.0;
    v = log(p / (1.0 - p));
    return m->margin == CAI_MARGIN_CAPPED && v > m->margin_cap ? m->margin_cap : v;
}

/* The cai object with the new side; agrees_with_human follows it when the input had a label,
 * and the per-principle verdicts and ratings still describe the chosen response. */
static char *cai_text(const cJSON *cai, int pos, int swapped)
{
    cJSON *c = cJSON_Duplicate(cai, 1);
    const cJSON *has = cJSON_GetObjectItemCaseSensitive(c, "has_human_label");
    const cJSON *hpos = cJSON_GetObjectItemCaseSensitive(c, "human_chosen_position");
    char *t;

    if (!c)
        return NULL;
    cJSON_ReplaceItemInObjectCaseSensitive(c, "chosen_position",
                                           cJSON_CreateString(pos == 0 ? "a" : "b"));
    if (cJSON_IsTrue(has) && cJSON_IsString(hpos))
        cJSON_ReplaceItemInObjectCaseSensitive(
            c, "agrees_with_human",
            cJSON_CreateBool(strcmp(hpos->valuestring, pos == 0 ? "a" : "b") == 0));
    cai_dsrec__side(c, swapped);
    t = cJSON_PrintUnformatted(c);
    cJSON_Delete(c);
    return t;
}

static cai_status write_record(mixer *m, const cai_vrec *rec, const cai_answer *x, cai_error *err)
{
    cai_jspan sp[MAX_MEMBERS];
    long n = cai_json__members(rec->text, rec->text_len, sp, MAX_MEMBERS), i;
    const char *src = "ai";
    int swap = 0, human = 0, tie = 0, pos = rec->position == 1 ? 1 : 0;
    double p = m->human_p;
    char *cai = NULL;
    const cJSON *json = cai_vrec__json(rec);
    cai_split split = rec->file->split == CAI_SPLIT_NONE ? CAI_SPLIT_TRAIN : rec->file->split;
    cai_status st;

    if (!json)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    if (n < 0 || n >= MAX_MEMBERS)
        return cai_error__set(err, CAI_EPARSE, "%s:%llu: not a cai record object", rec->file->path,
                              (unsigned long long)rec->line);
    if (x) {
        human = 1;
        if (x->slot == CAI_ANSWER_TIE) {
            if (!m->o->keep_human_ties) {
                m->rep->human_ties_dropped++;
                return CAI_OK;
            }
            m->rep->human_ties_kept++;
            tie = 1;
            p = 0.5;
            src = "human";
        } else {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(json, "id");
            /* slot -> the input's position, as cai route showed it */
            int hpos = x->slot ^ cai_route_swapped(m->o->seed, id->valuestring);
            cai_agree_add(&m->agree, hpos == pos);
            swap = hpos != pos;
            src = swap ? "human" : "both";
            pos = hpos;
        }
        cai = cai_text(cJSON_GetObjectItemCaseSensitive(json, "cai"), pos, swap);
        if (!cai)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    m->line.len = 0;
    if (m->line.data)
        m->line.data[0] = '\0';
    cai_buf__puts(&m->line, "{");
    for (i = 0; i < n; i++) {
        const char *k = rec->text + sp[i].key;
        size_t kl = sp[i].key_len;
        const cai_jspan *v = &sp[i];
        if (i > 0)
            cai_buf__puts(&m->line, ",");
        cai_buf__put(&m->line, k, kl);
        cai_buf__puts(&m->line, ":");
#define KEY_IS(name) (kl == sizeof(name) + 1 && memcmp(k + 1, name, sizeof(name) - 1) == 0)
        if (human && swap && (KEY_IS("chosen") || KEY_IS("rejected"))) {
            const char *other = KEY_IS("chosen") ? "rejected" : "chosen";
            long j;
            for (j = 0; j < n; j++)
                if (sp[j].key_len == strlen(other) + 2 &&
                    memcmp(rec->text + sp[j].key + 1, other, strlen(other)) == 0)
                    v = &sp[j];
            cai_buf__put(&m->line, rec->text + v->val, v->val_len);
        } else if (human && KEY_IS("p_chosen")) {
            put_float(&m->line, p);
        } else if (human && KEY_IS("margin")) {
            cai_buf__printf(&m->line, "%.6f", tie ? 0.0 : margin_of(m, p));
        } else if (human && KEY_IS("cai")) {
            cai_buf__puts(&m->line, cai);
        } else {
            cai_buf__put(&m->line, rec->text + v->val, v->val_len);
        }
#undef KEY_IS
    }
    cai_buf__printf(&m->line, ",\"label_source\":\"%s\"", src);
    if (m->o->weights) {
        cai_buf__puts(&m->line, ",\"weight\":");
        put_float(&m->line, human ? m->o->weight_human : m->o->weight_ai);
    }
    cai_buf__puts(&m->line, "}");
    cJSON_free(cai);
    if (m->line.oom)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    if (!m->w[split]) {
        st = cai_writer_create(&m->w[split], m->data_dir, split_prefix(split), &m->wo, err);
        if (st != CAI_OK)
            return st;
    }
    st = cai_writer_write(m->w[split], m->line.data, m->line.len, err);
    if (st != CAI_OK)
        return st;
    m->rep->records++;
    if (!human)
        m->rep->ai++;
    else if (strcmp(src, "both") == 0)
        m->rep->both++;
    else
        m->rep->human++;
    return CAI_OK;
}

static cai_status on_record(void *payload, const cai_vrec *rec, cai_error *err)
{
    mixer *m = payload;
    const cJSON *json = cai_vrec__json(rec);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(json, "id");
    cai_answer *x;

    if (!json)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    if (!rec->labelled || !rec->has_p || !cJSON_IsString(id) ||
        !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(json, "cai")))
        return cai_error__set(err, CAI_EPARSE,
                              "%s:%llu: not a cai record (needs \"id\", \"p_chosen\", \"cai\")",
                              rec->file->path, (unsigned long long)rec->line);
    x = cai_answers__find(&m->ans, id->valuestring);
    if (m->pass == 1) {
        if (x)
            x->used = 1;
        return CAI_OK;
    }
    return write_record(m, rec, x, err);
}

/* ---- the source manifest and card -------------------------------------------------------- */

static cai_status read_text(const char *dir, const char *name, char **out, cai_error *err)
{
    char *path = cai__path_join(dir, name);
    FILE *f;
    size_t len;
    cai_status st;

    if (!path)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    f = fopen(path, "rb");
    if (!f) {
        st = cai_error__set(err, CAI_EIO, "%s: %s (cai mix reads a cai output directory)", path,
                            strerror(errno));
        free(path);
        return st;
    }
    st = cai__read_stream(f, path, (size_t)64 << 20, out, &len, err);
    fclose(f);
    free(path);
    return st;
}

static cai_status read_settings(mixer *m, cJSON *man, const char *dir, cai_error *err)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(man, "settings");
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(s, "margin");
    const cJSON *cap = cJSON_GetObjectItemCaseSensitive(s, "margin_cap");

    m->margin = CAI_MARGIN_CAPPED;
    m->margin_cap = cJSON_IsNumber(cap) ? cap->valuedouble : 3.0;
    if (!cJSON_IsString(mode))
        return cai_error__set(err, CAI_EPARSE, "%s/manifest.json: no settings.margin", dir);
    if (strcmp(mode->valuestring, "logit") == 0)
        m->margin = CAI_MARGIN_LOGIT;
    else if (strcmp(mode->valuestring, "none") == 0)
        m->margin = CAI_MARGIN_NONE;
    return CAI_OK;
}

static void add_agreement(cJSON *o, const cai_agree_summary *a)
{
    cJSON_AddNumberToObject(o, "n", (double)a->n);
    cJSON_AddNumberToObject(o, "agree", (double)a->k);
    if (a->n > 0) {
        cJSON_AddNumberToObject(o, "rate", a->rate);
        cJSON_AddNumberToObject(o, "lo95", a->lo);
        cJSON_AddNumberToObject(o, "hi95", a->hi);
    } else {
        cJSON_AddNullToObject(o, "rate");
        cJSON_AddNullToObject(o, "lo95");
        cJSON_AddNullToObject(o, "hi95");
    }
}

static void add_counts(cJSON *o, const cai_mix_report *r)
{
    cJSON_AddNumberToObject(o, "records", (double)r->records);
    cJSON_AddNumberToObject(o, "ai", (double)r->ai);
    cJSON_AddNumberToObject(o, "human", (double)r->human);
    cJSON_AddNumberToObject(o, "both", (double)r->both);
    cJSON_AddNumberToObject(o, "human_ties_dropped", (double)r->human_ties_dropped);
    cJSON_AddNumberToObject(o, "human_ties_kept", (double)r->human_ties_kept);
    cJSON_AddNumberToObject(o, "answers", (double)r->answers);
    cJSON_AddNumberToObject(o, "unanswered_tasks", (double)r->unanswered_tasks);
}

static cai_status write_manifest(mixer *m, cJSON *man, const char *dataset, cai_error *err)
{
    cJSON *files = cJSON_CreateArray(), *mix, *arr, *sc, *w;
    char *t, *text;
    size_t i;
    cai_status st;

    cJSON_DeleteItemFromObjectCaseSensitive(man, "files");
    cJSON_DeleteItemFromObjectCaseSensitive(man, "failed");
    cJSON_DeleteItemFromObjectCaseSensitive(man, "ties");
    for (i = CAI_SPLIT_TRAIN; i < CAI_SPLIT__COUNT; i++)
        cai_manifest__add_files(files, m->out_dir, m->w[i], split_prefix((cai_split)i));
    cJSON_AddItemToObject(man, "files", files);
    sc = cJSON_GetObjectItemCaseSensitive(man, "schema");
    if (cJSON_IsObject(sc)) {
        cJSON_AddStringToObject(sc, "label_source",
                                "string: ai | human | both (who chose the side; see mix)");
        if (m->o->weights)
            cJSON_AddStringToObject(sc, "weight", "number (float): per-source training weight");
    }
    cJSON_DeleteItemFromObjectCaseSensitive(man, "mix");
    mix = cJSON_AddObjectToObject(man, "mix");
    cJSON_AddStringToObject(mix, "source", dataset);
    arr = cJSON_AddArrayToObject(mix, "answers");
    for (i = 0; i < m->o->n_answers; i++) {
        char hex[65];
        uint64_t bytes = 0;
        cJSON *a = cJSON_CreateObject();
        st = cai_sha256_file(m->o->answers[i], hex, &bytes, err);
        if (st != CAI_OK) {
            cJSON_Delete(a);
            return st;
        }
        cJSON_AddStringToObject(a, "path", m->o->answers[i]);
        cJSON_AddStringToObject(a, "sha256", hex);
        cJSON_AddNumberToObject(a, "bytes", (double)bytes);
        cJSON_AddItemToArray(arr, a);
    }
    cJSON_AddNumberToObject(mix, "human_p", m->human_p);
    cJSON_AddStringToObject(mix, "human_ties", m->o->keep_human_ties ? "keep" : "drop");
    cJSON_AddNumberToObject(mix, "seed", (double)m->o->seed);
    if (m->o->weights) {
        w = cJSON_AddObjectToObject(mix, "weights");
        cJSON_AddNumberToObject(w, "human", m->o->weight_human);
        cJSON_AddNumberToObject(w, "ai", m->o->weight_ai);
    } else {
        cJSON_AddNullToObject(mix, "weights");
    }
    add_counts(cJSON_AddObjectToObject(mix, "counts"), m->rep);
    add_agreement(cJSON_AddObjectToObject(mix, "human_ai_agreement"), &m->rep->agreement);
    t = cJSON_Print(man);
    if (!t)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    text = malloc(strlen(t) + 2);
    if (!text) {
        cJSON_free(t);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    sprintf(text, "%s\n", t);
    cJSON_free(t);
    st = cai__write_atomic(m->out_dir, "manifest.json", text, strlen(text), err);
    free(text);
    return st;
}

static cai_status write_card(mixer *m, const char *dataset, cai_error *err)
{
    static const char anchor[] = "  - name: metadata\n    dtype: string\n";
    char *src = NULL, *at;
    cai_buf b = {0};
    const cai_mix_report *r = m->rep;
    cai_status st = read_text(dataset, "README.md", &src, err);

    if (st != CAI_OK)
        return st;
    at = strstr(src, anchor);
    if (!at) {
        free(src);
        return cai_error__set(err, CAI_EPARSE, "%s/README.md: no features list to extend", dataset);
    }
    at += sizeof(anchor) - 1;
    cai_buf__put(&b, src, (size_t)(at - src));
    cai_buf__puts(&b, "  - name: label_source\n    dtype: string\n");
    if (m->o->weights)
        cai_buf__puts(&b, "  - name: weight\n    dtype: float64\n");
    cai_buf__puts(&b, at);
    cai_buf__puts(&b, "\n## Human labels (cai mix)\n\n");
    cai_buf__printf(&b,
                    "Human answers replaced the AI label on %llu pair(s): %llu agreed with the "
                    "AI (`label_source` \"both\"), %llu chose the other side or a tie "
                    "(\"human\"); %llu record(s) keep the AI label (\"ai\"). Human labels carry "
                    "`p_chosen` %g. Human ties: %llu dropped, %llu kept at 0.5.\n",
                    (unsigned long long)(r->human + r->both), (unsigned long long)r->both,
                    (unsigned long long)r->human, (unsigned long long)r->ai, m->human_p,
                    (unsigned long long)r->human_ties_dropped,
                    (unsigned long long)r->human_ties_kept);
    if (r->agreement.n > 0)
        cai_buf__printf(&b, "Human–AI agreement: %.1f%% of %llu (95%% interval %.1f–%.1f%%).\n",
                        100 * r->agreement.rate, (unsigned long long)r->agreement.n,
                        100 * r->agreement.lo, 100 * r->agreement.hi);
    cai_buf__puts(&b, "The statistics above describe the AI run this dataset came from; "
                      "`manifest.json` (`mix`) has the counts after mixing.\n");
    if (m->o->weights)
        cai_buf__printf(&b, "The `weight` column is %g for human labels and %g for AI labels.\n",
                        m->o->weight_human, m->o->weight_ai);
    free(src);
    if (b.oom) {
        free(b.data);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    st = cai__write_atomic(m->out_dir, "README.md", b.data, b.len, err);
    free(b.data);
    return st;
}

/* ---- entry point ------------------------------------------------------------------------- */

char *cai_mix_report_json(const cai_mix_report *rep)
{
    cJSON *j = cJSON_CreateObject();
    char *t, *out;

    if (!j)
        return NULL;
    add_counts(j, rep);
    add_agreement(cJSON_AddObjectToObject(j, "human_ai_agreement"), &rep->agreement);
    cJSON_AddNumberToObject(j, "validation_errors", rep->validation_errors);
    cJSON_AddNumberToObject(j, "validation_warnings", rep->validation_warnings);
    t = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!t)
        return NULL;
    out = malloc(strlen(t) + 2);
    if (out)
        sprintf(out, "%s\n", t);
    cJSON_free(t);
    return out;
}

cai_status cai_mix_run(cai_mix_report *rep,
                       const char *dataset,
                       const char *out_dir,
                       const cai_mix_opts *opts,
                       cai_error *err)
{
    mixer m;
    cai_outdir *od = NULL;
    cai_outdir_opts oo = {1, 0, 0};
    const char *paths[1];
    char *mtext = NULL, *jpath;
    cJSON *man = NULL;
    struct stat sb;
    size_t i;
    cai_status st;

    cai_error__clear(err); /* a reused error never shows an earlier call's failure */
    CAI_ASSERT_ARG(err, rep != NULL && dataset != NULL && out_dir != NULL && opts != NULL);
    CAI_ASSERT_ARG(err, opts->n_answers > 0 && opts->answers != NULL);
    if ((st = cai_mix_opts__check(opts, err)) != CAI_OK)
        return st;
    memset(rep, 0, sizeof(*rep));
    memset(&m, 0, sizeof(m));
    m.o = opts;
    m.rep = rep;
    m.out_dir = out_dir;
    m.human_p = opts->human_p > 0 ? opts->human_p : 0.95;
    m.wo = CAI_WRITER_OPTS_INIT;
    m.wo.shard_records = opts->shard_records ? opts->shard_records : 100000;
    if (!(m.human_p > 0.5 && m.human_p < 1.0))
        return cai_error__set(err, CAI_EINVAL, "human p must be above 0.5 and below 1");
    if (!(jpath = cai__path_join(out_dir, CAI_OUTDIR_JOURNAL)))
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    st = stat(jpath, &sb) == 0 ? CAI_EINVAL : CAI_OK;
    free(jpath);
    if (st != CAI_OK)
        return cai_error__set(err, CAI_EINVAL,
                              "%s: a cai run's directory; cai mix writes a new one", out_dir);
    st = read_text(dataset, "manifest.json", &mtext, err);
    if (st != CAI_OK)
        return st;
    man = cJSON_Parse(mtext);
    free(mtext);
    if (!cJSON_IsObject(man)) {
        cJSON_Delete(man);
        return cai_error__set(err, CAI_EPARSE, "%s/manifest.json: invalid JSON", dataset);
    }
    if ((st = read_settings(&m, man, dataset, err)) != CAI_OK)
        goto out;
    st = cai_answers__load(&m.ans, opts->answers, opts->n_answers, opts->question, err);
    if (st != CAI_OK)
        goto out;
    rep->answers = m.ans.n;
    rep->unanswered_tasks = m.ans.skipped;
    paths[0] = dataset;
    m.pass = 1;
    st = cai_vscan__records(paths, 1, on_record, &m, err);
    if (st != CAI_OK)
        goto out;
    for (i = 0; i < m.ans.n; i++) {
        if (!m.ans.v[i].used) {
            char where[400];
            cai_answers__place(where, sizeof(where), opts->answers, &m.ans.v[i]);
            st = cai_error__set(err, CAI_EPARSE, "%s: unknown id \"%.100s\": no pair of %s has it",
                                where, m.ans.v[i].id, dataset);
            goto out;
        }
    }
    /* Every answer checked: only now is anything created. */
    st = cai_outdir__open(&od, out_dir, &oo, err);
    if (st != CAI_OK)
        goto out;
    if (!(m.data_dir = cai__path_join(out_dir, "data"))) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto out;
    }
    if ((st = cai__mkdir_p(m.data_dir, err)) != CAI_OK)
        goto out;
    if ((st = cai_writer_create(&m.w[CAI_SPLIT_TRAIN], m.data_dir, "train", &m.wo, err)) !=
            CAI_OK ||
        (st = cai_writer_create(&m.w[CAI_SPLIT_TEST], m.data_dir, "test", &m.wo, err)) != CAI_OK)
        goto out;
    m.pass = 2;
    st = cai_vscan__records(paths, 1, on_record, &m, err);
    for (i = CAI_SPLIT_TRAIN; st == CAI_OK && i < CAI_SPLIT__COUNT; i++)
        if (m.w[i])
            st = cai_writer_close(m.w[i], err);
    if (st != CAI_OK)
        goto out;
    cai_agree_summarize(&rep->agreement, &m.agree, 0, 0);
    st = write_manifest(&m, man, dataset, err);
    if (st == CAI_OK)
        st = write_card(&m, dataset, err);
    if (st == CAI_OK)
        st = cai_run__validate_output(out_dir, &rep->validation_errors, &rep->validation_warnings,
                                      err);
out:
    for (i = 0; i < CAI_SPLIT__COUNT; i++)
        cai_writer_free(m.w[i]);
    cai_outdir__free(od);
    cai_answers__dispose(&m.ans);
    free(m.data_dir);
    free(m.line.data);
    cJSON_Delete(man);
    return st;
}

/* SPDX-License-Identifier: MIT */
/* `cai route`: picks the pairs most worth a human's look in one pass, in a heap of size N. */
#include "cai/route.h"
#include "hash_int.h"
#include "error_int.h"
#include "opts_int.h"
#include "outdir_int.h"
#include "run_int.h"
#include "util_int.h"
#include "validate_int.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { WHY_UNCERTAIN, WHY_DISAGREE, WHY_RANDOM, WHY_PRINCIPLES, WHY__COUNT };
static const char *const why_names[] = {"uncertain", "disagree", "random", "principles"};

int cai_route_by_parse(const char *name)
{
    static const char *const names[] = {"uncertain", "disagree", "principles", "random", "mix"};
    int i;

    for (i = 0; i < 5; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

const char *cai_route_by_name(cai_route_by by)
{
    switch (by) {
    case CAI_ROUTE_UNCERTAIN:
        return "uncertain";
    case CAI_ROUTE_DISAGREE:
        return "disagree";
    case CAI_ROUTE_PRINCIPLES:
        return "principles";
    case CAI_ROUTE_RANDOM:
        return "random";
    case CAI_ROUTE_MIX:
        return "mix";
    }
    return "unknown";
}

static uint64_t id_hash(uint64_t seed, const char *id)
{
    /* The seed goes through SplitMix64 first, so seeds 0 and 1 give unrelated orders. */
    uint64_t s = seed ^ 0x726f757465ULL; /* "route" */

    return cai_hash64(id, strlen(id), cai_splitmix64(&s));
}

int cai_route_swapped(uint64_t seed, const char *id)
{
    return (int)((id_hash(seed ^ 0x5157u, id) >> 17) & 1);
}

/* ---- the bounded heap ------------------------------------------------------------------- */

typedef struct item {
    int tier;     /* higher first: 1 orders disagree (mix); principles' minority share */
    double score; /* higher first: -|p - 0.5|, 0 for random, the spread for principles */
    uint64_t h;   /* higher first: the (seed, id) hash, a deterministic tie-break */
    int why;
    char *id, *prompt, *resp[2]; /* resp[0]: the input's response_a */
} item;

typedef struct heap {
    item *v; /* a min-heap: v[0] is the least worth keeping */
    size_t n, cap;
} heap;

/* > 0 when a is worth more than b. */
static int item_cmp(const item *a, const item *b)
{
    if (a->tier != b->tier)
        return a->tier > b->tier ? 1 : -1;
    if (a->score != b->score)
        return a->score > b->score ? 1 : -1;
    if (a->h != b->h)
        return a->h > b->h ? 1 : -1;
    return -strcmp(a->id, b->id);
}

static void item_dispose(item *it)
{
    free(it->id);
    free(it->prompt);
    free(it->resp[0]);
    free(it->resp[1]);
    memset(it, 0, sizeof(*it));
}

static void sift_down(heap *hp, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        item t;
        if (l < hp->n && item_cmp(&hp->v[l], &hp->v[m]) < 0)
            m = l;
        if (r < hp->n && item_cmp(&hp->v[r], &hp->v[m]) < 0)
            m = r;
        if (m == i)
            return;
        t = hp->v[i];
        hp->v[i] = hp->v[m];
        hp->v[m] = t;
        i = m;
    }
}

static void sift_up(heap *hp, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        item t;
        if (item_cmp(&hp->v[i], &hp->v[p]) >= 0)
            return;
        t = hp->v[i];
        hp->v[i] = hp->v[p];
        hp->v[p] = t;
        i = p;
    }
}

/* Whether a candidate with these keys would enter the heap (before building its texts). */
static int heap_wants(const heap *hp, const item *key)
{
    return hp->cap > 0 && (hp->n < hp->cap || item_cmp(key, &hp->v[0]) > 0);
}

/* Takes *it (its strings) into the heap; the evicted item, if any, is released. */
static void heap_push_take(heap *hp, item *it)
{
    if (hp->n < hp->cap) {
        hp->v[hp->n++] = *it;
        sift_up(hp, hp->n - 1);
    } else {
        item_dispose(&hp->v[0]);
        hp->v[0] = *it;
        sift_down(hp, 0);
    }
    memset(it, 0, sizeof(*it));
}

static void heap_dispose(heap *hp)
{
    size_t i;

    for (i = 0; i < hp->n; i++)
        item_dispose(&hp->v[i]);
    free(hp->v);
}

/* ---- reading records -------------------------------------------------------------------- */

typedef struct router {
    const cai_route_opts *o;
    cai_route_report *rep;
    heap main, audit; /* audit: the random part of --by mix */
} router;

/* A turn sequence as display text: one turn as it is, several as "role: text" paragraphs. */
static char *seq_text(const cai_vseq *q)
{
    cai_buf b = {0};
    size_t i;

    if (q->n == 1) {
        cai_buf__put(&b, q->t[0].s, q->t[0].len);
        return cai_buf__take(&b);
    }
    for (i = 0; i < q->n; i++) {
        if (i > 0)
            cai_buf__puts(&b, "\n\n");
        cai_buf__printf(&b, "%s: ", cai_role_name(q->t[i].role));
        cai_buf__put(&b, q->t[i].s, q->t[i].len);
    }
    return cai_buf__take(&b);
}

static cai_status fill_and_push(heap *hp, item *key, const cai_vrec *rec, cai_error *err)
{
    int chosen_pos = rec->position == 1 ? 1 : 0;

    key->id = strdup(key->id);
    key->prompt = seq_text(&rec->prompt);
    key->resp[chosen_pos] = seq_text(&rec->resp[0]);
    key->resp[1 - chosen_pos] = seq_text(&rec->resp[1]);
    if (!key->id || !key->prompt || !key->resp[0] || !key->resp[1]) {
        item_dispose(key);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    heap_push_take(hp, key);
    return CAI_OK;
}

/*
 * How much a pair's principles disagree, from cai.principle_p_chosen: *tier the share of
 * principles on the minority side (those with p < 0.5 or > 0.5, whichever are fewer; p = 0.5
 * sides with neither), in thousandths; *spread max p - min p. 0 when fewer than 2 values.
 */
static int principle_split(const cJSON *pp, int *tier, double *spread)
{
    const cJSON *x;
    unsigned n = 0, above = 0, below = 0;
    double lo = 1.0, hi = 0.0;

    cJSON_ArrayForEach(x, pp)
    {
        double v = x->valuedouble;
        n++;
        above += v > 0.5;
        below += v < 0.5;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    if (n < 2)
        return 0;
    *tier = (int)((1000u * (above < below ? above : below) + n / 2) / n);
    *spread = hi - lo;
    return 1;
}

static cai_status on_record(void *payload, const cai_vrec *rec, cai_error *err)
{
    router *r = payload;
    const cJSON *json = cai_vrec__json(rec);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(json, "id");
    item key;
    cai_status st;

    if (!json)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    if (!rec->labelled || !rec->has_p || rec->n_resp != 2 || !cJSON_IsString(id))
        return cai_error__set(err, CAI_EPARSE,
                              "%s:%llu: not a labelled cai record (needs \"id\", \"p_chosen\", "
                              "chosen and rejected)",
                              rec->file->path, (unsigned long long)rec->line);
    r->rep->records++;
    if (rec->principle_p)
        r->rep->principles_verdicts = 1;
    if (rec->agree >= 0)
        r->rep->orders_known = 1;
    if (rec->agree == 0)
        r->rep->disagreeing++;
    memset(&key, 0, sizeof(key));
    key.id = id->valuestring; /* borrowed until fill_and_push copies it */
    key.h = id_hash(r->o->seed, id->valuestring);
    key.score = -fabs(rec->p_chosen - 0.5);
    key.why = WHY_UNCERTAIN;
    switch (r->o->by) {
    case CAI_ROUTE_DISAGREE:
        if (rec->agree != 0)
            return CAI_OK;
        key.why = WHY_DISAGREE;
        break;
    case CAI_ROUTE_RANDOM:
        key.score = 0;
        key.why = WHY_RANDOM;
        break;
    case CAI_ROUTE_MIX:
        key.tier = rec->agree == 0;
        key.why = rec->agree == 0 ? WHY_DISAGREE : WHY_UNCERTAIN;
        if (heap_wants(&r->audit, &(item){0, 0, key.h, WHY_RANDOM, key.id, NULL, {NULL, NULL}})) {
            item a = key;
            a.tier = 0;
            a.score = 0;
            a.why = WHY_RANDOM;
            if ((st = fill_and_push(&r->audit, &a, rec, err)) != CAI_OK)
                return st;
        }
        break;
    case CAI_ROUTE_PRINCIPLES:
        if (!rec->principle_p)
            return cai_error__set(
                err, CAI_EINVAL,
                "%s:%llu: no \"cai.principle_p_chosen\" (per-principle "
                "verdicts, which older cai runs did not write): rerun `cai run` on "
                "the same directory (it rebuilds the dataset from its journal "
                "without a request) or use --by disagree, uncertain, random or "
                "mix",
                rec->file->path, (unsigned long long)rec->line);
        /* pairs judged by one principle have nothing to disagree about */
        if (!principle_split(rec->principle_p, &key.tier, &key.score))
            return CAI_OK;
        key.why = WHY_PRINCIPLES;
        break;
    case CAI_ROUTE_UNCERTAIN:
        break;
    }
    if (!heap_wants(&r->main, &key))
        return CAI_OK;
    return fill_and_push(&r->main, &key, rec, err);
}

/* ---- output ----------------------------------------------------------------------------- */

static int cmp_item_id(const void *a, const void *b)
{
    return strcmp(((const item *)a)->id, ((const item *)b)->id);
}

static int find_id(const item *v, size_t n, const char *id)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(v[i].id, id) == 0)
            return 1;
    return 0;
}

static cJSON *task_data(const item *it, uint64_t seed, int with_reason)
{
    cJSON *d = cJSON_CreateObject();
    int sw = cai_route_swapped(seed, it->id);

    cJSON_AddStringToObject(d, "id", it->id);
    cJSON_AddStringToObject(d, "prompt", it->prompt);
    cJSON_AddStringToObject(d, "a", it->resp[sw]);
    cJSON_AddStringToObject(d, "b", it->resp[1 - sw]);
    if (with_reason)
        cJSON_AddStringToObject(d, "reason", why_names[it->why]);
    return d;
}

static const char labeling_config[] =
    "<View>\n"
    "  <!-- cai route: which response is better? Import tasks.json into a project with this "
    "config. -->\n"
    "  <Header value=\"Prompt\"/>\n"
    "  <Text name=\"prompt\" value=\"$prompt\"/>\n"
    "  <Header value=\"Which response is better? Click it (left = a, right = b).\"/>\n"
    "  <Pairwise name=\"preference\" toName=\"a,b\" leftClass=\"a\" rightClass=\"b\"/>\n"
    "  <View style=\"display: flex; gap: 1em;\">\n"
    "    <View style=\"flex: 1;\"><Text name=\"a\" value=\"$a\"/></View>\n"
    "    <View style=\"flex: 1;\"><Text name=\"b\" value=\"$b\"/></View>\n"
    "  </View>\n"
    "</View>\n";

static cai_status write_outputs(const char *dir,
                                const item *v,
                                size_t n,
                                const cai_route_opts *o,
                                const cai_route_report *rep,
                                cai_error *err)
{
    cai_buf ls = {0}, jl = {0};
    char *t, *meta = NULL;
    size_t i;
    cai_status st;

    cai_buf__puts(&ls, "[");
    for (i = 0; i < n; i++) {
        cJSON *task = cJSON_CreateObject(), *d = task_data(&v[i], o->seed, 0);
        cJSON_AddItemToObject(task, "data", d);
        t = cJSON_PrintUnformatted(task);
        cai_buf__printf(&ls, "%s\n%s", i ? "," : "", t ? t : "");
        if (!t)
            ls.oom = 1;
        cJSON_free(t);
        cJSON_Delete(task);
        d = task_data(&v[i], o->seed, 1);
        t = cJSON_PrintUnformatted(d);
        cai_buf__printf(&jl, "%s\n", t ? t : "");
        if (!t)
            jl.oom = 1;
        cJSON_free(t);
        cJSON_Delete(d);
    }
    cai_buf__puts(&ls, "\n]\n");
    meta = cai_route_report_json(rep, o);
    if (ls.oom || jl.oom || !meta) {
        free(ls.data);
        free(jl.data);
        free(meta);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    st = cai__write_atomic(dir, "tasks.json", ls.data, ls.len, err);
    if (st == CAI_OK)
        st = cai__write_atomic(dir, "tasks.jsonl", jl.data, jl.len, err);
    if (st == CAI_OK)
        st = cai__write_atomic(dir, "labeling-config.xml", labeling_config, strlen(labeling_config),
                               err);
    if (st == CAI_OK)
        st = cai__write_atomic(dir, "route.json", meta, strlen(meta), err);
    free(ls.data);
    free(jl.data);
    free(meta);
    return st;
}

char *cai_route_report_json(const cai_route_report *rep, const cai_route_opts *o)
{
    cJSON *j = cJSON_CreateObject(), *why;
    char *t, *out;
    int i;

    if (!j)
        return NULL;
    cJSON_AddStringToObject(j, "by", cai_route_by_name(o->by));
    cJSON_AddNumberToObject(j, "count", (double)o->count);
    cJSON_AddNumberToObject(j, "seed", (double)o->seed);
    cJSON_AddNumberToObject(j, "records", (double)rep->records);
    cJSON_AddNumberToObject(j, "selected", (double)rep->selected);
    why = cJSON_AddObjectToObject(j, "selected_by_reason");
    for (i = 0; i < WHY__COUNT; i++)
        cJSON_AddNumberToObject(why, why_names[i], (double)rep->by_reason[i]);
    cJSON_AddBoolToObject(j, "orders_known", rep->orders_known);
    cJSON_AddNumberToObject(j, "orders_disagree", (double)rep->disagreeing);
    cJSON_AddBoolToObject(j, "principle_verdicts", rep->principles_verdicts);
    cJSON_AddStringToObject(j, "slots",
                            "a/b show the input's response_a/response_b, swapped "
                            "when a hash of (seed, id) says so (cai_route_swapped)");
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

cai_status cai_route_run(cai_route_report *rep,
                         const char *const *dataset,
                         size_t n_dataset,
                         const char *out_dir,
                         const cai_route_opts *opts,
                         cai_error *err)
{
    router r;
    cai_outdir *od = NULL;
    cai_outdir_opts oo = {1, 0, 0};
    item *sel = NULL;
    size_t n = 0, i, n_main;
    cai_status st;

    cai_error__clear(err); /* a reused error never shows an earlier call's failure */
    CAI_ASSERT_ARG(err, rep != NULL && opts != NULL && out_dir != NULL);
    CAI_ASSERT_ARG(err, dataset != NULL && n_dataset > 0);
    if ((st = cai_route_opts__check(opts, err)) != CAI_OK)
        return st;
    memset(rep, 0, sizeof(*rep));
    if (opts->count == 0 || opts->count > ((uint64_t)1 << 24))
        return cai_error__set(err, CAI_EINVAL, "count must be between 1 and 16777216");
    memset(&r, 0, sizeof(r));
    r.o = opts;
    r.rep = rep;
    n_main = (size_t)opts->count;
    if (opts->by == CAI_ROUTE_MIX) {
        /* A quarter is the audit's share; its heap keeps count candidates so that, after the
         * pairs the priority part also picked are left out, the selection still reaches count. */
        n_main -= (n_main + 3) / 4;
        r.audit.cap = (size_t)opts->count;
    }
    r.main.cap = n_main;
    r.main.v = calloc(r.main.cap + 1, sizeof(item));
    r.audit.v = calloc(r.audit.cap + 1, sizeof(item));
    sel = calloc((size_t)opts->count, sizeof(item));
    if (!r.main.v || !r.audit.v || !sel) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto out;
    }
    st = cai_vscan__records(dataset, n_dataset, on_record, &r, err);
    if (st != CAI_OK)
        goto out;
    /* Everything the priority heap kept, then the audit sample (best hash first) minus those. */
    for (i = 0; i < r.main.n; i++)
        sel[n++] = r.main.v[i];
    r.main.n = 0;
    while (r.audit.n > 0) {
        /* pop the minimum repeatedly; collect, then take from the best end */
        item t = r.audit.v[0];
        r.audit.v[0] = r.audit.v[--r.audit.n];
        sift_down(&r.audit, 0);
        r.audit.v[r.audit.n] = t; /* sorted ascending from the end backwards */
    }
    for (i = 0; i < r.audit.cap && n < opts->count; i++) {
        item *a = &r.audit.v[i]; /* after the pops: v[0] is the best */
        if (!a->id)
            continue;
        if (find_id(sel, n, a->id)) {
            item_dispose(a);
            continue;
        }
        sel[n++] = *a;
        memset(a, 0, sizeof(*a));
    }
    qsort(sel, n, sizeof(*sel), cmp_item_id);
    rep->selected = n;
    for (i = 0; i < n; i++)
        rep->by_reason[sel[i].why]++;
    st = cai_outdir__open(&od, out_dir, &oo, err);
    if (st == CAI_OK)
        st = write_outputs(out_dir, sel, n, opts, rep, err);
out:
    cai_outdir__free(od);
    for (i = 0; sel && i < n; i++)
        item_dispose(&sel[i]);
    free(sel);
    for (i = 0; r.audit.v && i < r.audit.cap; i++)
        item_dispose(&r.audit.v[i]);
    free(r.audit.v);
    r.audit.v = NULL;
    heap_dispose(&r.main);
    return st;
}

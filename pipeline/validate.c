/* SPDX-License-Identifier: MIT */
/* `cai validate` as a library call: cross-record checks (duplicates, leakage, lengths, biases)
 * on top of the scanner's per-line checks, gathered into a report with a verdict. */
#include "validate_int.h"
#include "error_int.h"
#include "util_int.h"
#include "opts_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct vfinding {
    cai_finding pub;
    size_t seq; /* occurrence order */
} vfinding;

typedef struct vfilerow {
    char *path;
    cai_split split;
    cai_format format;
    uint64_t lines, bad_lines;
} vfilerow;

struct cai_report {
    cai_validate_opts o;
    uint64_t counts[CAI_VK__COUNT];
    uint64_t errors, warnings, records;
    vfinding *f;
    size_t n_f, cap_f;
    vfilerow *files;
    size_t n_files, cap_files;
    size_t fp_bytes; /* peak size of the fingerprint tables */
};

/* Files share one line numbering (1-based): a file's line L is number base + L. */
typedef struct vbase {
    uint64_t base;
    size_t file;
} vbase;

/* Scan-time state that the report does not keep. */
typedef struct vstate {
    cai_report *r;
    cai_sacc *acc;
    cai_fpidx *fp; /* per line: prompt and pair fingerprints, split and label bits */
    char **paths;  /* scanner file index -> path, for "first at FILE:LINE" */
    size_t n_paths;
    vbase *bases; /* where each file with records starts in the line numbering of fp */
    size_t n_bases, cap_bases;
    uint64_t next; /* the first line number after every line seen so far */
    char *norm;
    size_t norm_cap;
} vstate;

/* ---- findings --------------------------------------------------------------------------- */

static cai_status add_finding(
    cai_report *r, cai_vkind k, const char *file, uint64_t line, const char *msg, cai_error *err)
{
    int warning = k >= CAI_VK__FIRST_WARNING;
    vfinding *f;

    r->counts[k]++;
    if (warning)
        r->warnings++;
    else
        r->errors++;
    if (r->counts[k] > r->o.max_examples)
        return CAI_OK;
    f = cai__grow(r->f, &r->cap_f, r->n_f + 1, sizeof(*f), 32);
    if (!f)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    r->f = f;
    f = &r->f[r->n_f];
    f->pub.kind = cai_vkind__name(k);
    f->pub.warning = warning;
    f->pub.line = line;
    f->pub.file = strdup(file);
    f->pub.message = strdup(msg);
    f->seq = r->n_f;
    if (!f->pub.file || !f->pub.message) {
        free((char *)f->pub.file);
        free((char *)f->pub.message);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    r->n_f++;
    return CAI_OK;
}

static cai_status on_finding(
    void *payload, cai_vkind kind, const char *file, uint64_t line, const char *msg, cai_error *err)
{
    return add_finding(((vstate *)payload)->r, kind, file, line, msg, err);
}

/* ---- cross-record checks ---------------------------------------------------------------- */

static const char *path_of(const vstate *v, size_t index)
{
    return index < v->n_paths && v->paths[index] ? v->paths[index] : "?";
}

static cai_status remember_path(vstate *v, const cai_vfile *f, cai_error *err)
{
    if (f->index < v->n_paths && v->paths[f->index])
        return CAI_OK;
    if (f->index >= v->n_paths) {
        size_t n = f->index + 16, i;
        char **np = realloc(v->paths, n * sizeof(*np));
        if (!np)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        for (i = v->n_paths; i < n; i++)
            np[i] = NULL;
        v->paths = np;
        v->n_paths = n;
    }
    v->paths[f->index] = strdup(f->path);
    return v->paths[f->index] ? CAI_OK : cai_error__set(err, CAI_ENOMEM, "out of memory");
}

static cai_status record_finding(
    vstate *v, const cai_vrec *rec, cai_vkind k, const char *what, uint32_t first, cai_error *err)
{
    char msg[512];
    size_t lo = 0, hi = v->n_bases;

    while (hi - lo > 1) { /* the last file that starts before first */
        size_t mid = lo + (hi - lo) / 2;
        if (v->bases[mid].base < first)
            lo = mid;
        else
            hi = mid;
    }
    snprintf(msg, sizeof(msg), "%s at %s:%llu", what, path_of(v, v->bases[lo].file),
             (unsigned long long)(first - v->bases[lo].base));
    return add_finding(v->r, k, rec->file->path, rec->line, msg, err);
}

/* The line number of rec in fp's numbering: CAI_ELIMIT past 2^32 - 1 lines in all. */
static cai_status number_of(vstate *v, const cai_vrec *rec, uint32_t *ref, cai_error *err)
{
    uint64_t n;

    if (!v->n_bases || v->bases[v->n_bases - 1].file != rec->file->index) {
        vbase *b = cai__grow(v->bases, &v->cap_bases, v->n_bases + 1, sizeof(*b), 16);
        if (!b)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        v->bases = b;
        b[v->n_bases].base = v->next;
        b[v->n_bases].file = rec->file->index;
        v->n_bases++;
    }
    n = v->bases[v->n_bases - 1].base + rec->line;
    if (n > UINT32_MAX)
        return cai_error__set(err, CAI_ELIMIT,
                              "%s:%llu: over 4294967295 lines in all: too many for the duplicate "
                              "checks",
                              rec->file->path, (unsigned long long)rec->line);
    if (n >= v->next)
        v->next = n;
    *ref = (uint32_t)n;
    return CAI_OK;
}

static cai_status check_long(vstate *v, const cai_vrec *rec, const uint64_t *chars, cai_error *err)
{
    const cai_validate_opts *o = &v->r->o;
    char msg[256];
    size_t i;

    if (chars[0] > o->max_prompt_chars) {
        snprintf(msg, sizeof(msg), "the prompt has %llu characters (over %zu)",
                 (unsigned long long)chars[0], o->max_prompt_chars);
        return add_finding(v->r, CAI_VK_LONG, rec->file->path, rec->line, msg, err);
    }
    for (i = 0; i < rec->n_resp && i < CAI_VREC_MAX_RESP; i++) {
        if (chars[1 + i] <= o->max_response_chars)
            continue;
        if (rec->labelled)
            snprintf(msg, sizeof(msg), "the %s response has %llu characters (over %zu)",
                     i == 0 ? "chosen" : "rejected", (unsigned long long)chars[1 + i],
                     o->max_response_chars);
        else
            snprintf(msg, sizeof(msg), "response %zu has %llu characters (over %zu)", i + 1,
                     (unsigned long long)chars[1 + i], o->max_response_chars);
        return add_finding(v->r, CAI_VK_LONG, rec->file->path, rec->line, msg, err);
    }
    return CAI_OK;
}

static int cmp_fp(const void *a, const void *b)
{
    const cai_fp *x = a, *y = b;

    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return x->hi < y->hi ? -1 : x->hi > y->hi;
}

/*
 * Fingerprints of the prompt and the pair, exact and normalised. A pair's key ignores response
 * order; for labelled records the flags remember which response was chosen, so that the same
 * pair with the opposite label is told apart from a plain duplicate.
 */
static cai_status check_duplicates(vstate *v, const cai_vrec *rec, cai_error *err)
{
    cai_fp pfp, pair, rf[CAI_VREC_MAX_RESP];
    uint64_t nprompt, npair, nr[CAI_VREC_MAX_RESP];
    size_t i, n = rec->n_resp < CAI_VREC_MAX_RESP ? rec->n_resp : CAI_VREC_MAX_RESP;
    uint32_t ref, pfirst, npfirst, pairfirst, npairfirst, orient = 0;
    unsigned own = rec->file->split == CAI_SPLIT_NONE ? 0 : 1u << rec->file->split;
    cai_fprec me, *first;
    cai_status st;

    if (cai_fp__seq(&rec->prompt, &v->norm, &v->norm_cap, &pfp, &nprompt) != 0)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    for (i = 0; i < n; i++)
        if (cai_fp__seq(&rec->resp[i], &v->norm, &v->norm_cap, &rf[i], &nr[i]) != 0)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
    npair = nprompt;
    if (rec->labelled && n == 2)
        orient = cmp_fp(&rf[0], &rf[1]) > 0;
    qsort(rf, n, sizeof(rf[0]), cmp_fp);
    pair = pfp;
    for (i = 0; i < n; i++)
        pair = cai_fp__mix(pair, rf[i]);
    /* Normalised responses: an order-free sum, so no sort is needed. */
    for (i = 0; i < n; i++)
        npair += nr[i] * 0x9e3779b97f4a7c15ULL + (nr[i] >> 29);

    st = number_of(v, rec, &ref, err);
    if (st != CAI_OK)
        return st;
    /* The split bits (1 << split, bits 1 to 3) live on an exact prompt's first record and the
     * label orientation (bit 0) on an exact pair's first record. */
    me.prompt = nprompt;
    me.pair = npair;
    me.ptag = (uint32_t)(pfp.lo ^ (pfp.lo >> 32));
    me.qtag = (uint32_t)((pair.lo ^ (pair.lo >> 32)) & ~(uint64_t)CAI_FPREC_FLAGS) | orient;
    st = cai_fpidx__set(v->fp, ref, &me, err);
    if (st != CAI_OK)
        return st;

    cai_fpidx__find(v->fp, CAI_FPIDX_PROMPT, ref, &pfirst, &npfirst);
    if (pfirst) {
        first = cai_fpidx__rec(v->fp, pfirst);
        if (own && (first->qtag & ~own & 0xE)) {
            unsigned other = first->qtag & ~own & 0xE;
            char what[96];
            cai_split s = CAI_SPLIT_TRAIN;

            while (!(other & (1u << s)))
                s++;
            snprintf(what, sizeof(what), "the prompt is also in the %s split, first",
                     cai_split__name(s));
            first->qtag |= own;
            return record_finding(v, rec, CAI_VK_LEAK, what, pfirst, err);
        }
        first->qtag |= own;
    } else {
        cai_fpidx__rec(v->fp, ref)->qtag |= own;
        st = cai_fpidx__add(v->fp, CAI_FPIDX_PROMPT, ref, err);
        if (st != CAI_OK)
            return st;
    }
    cai_fpidx__find(v->fp, CAI_FPIDX_PAIR, ref, &pairfirst, &npairfirst);
    if (pairfirst) {
        if (rec->labelled && (cai_fpidx__rec(v->fp, pairfirst)->qtag & 1) != orient)
            return record_finding(v, rec, CAI_VK_CONFLICT,
                                  "the same pair with the opposite label is", pairfirst, err);
        return record_finding(v, rec, CAI_VK_DUP_PAIR, "the same pair is also", pairfirst, err);
    }
    st = cai_fpidx__add(v->fp, CAI_FPIDX_PAIR, ref, err);
    if (st != CAI_OK)
        return st;
    if (npairfirst)
        return record_finding(v, rec, CAI_VK_NEAR_DUP_PAIR,
                              "after whitespace and case normalisation, the same pair is",
                              npairfirst, err);
    if (pfirst)
        return record_finding(v, rec, CAI_VK_DUP_PROMPT, "the same prompt is also", pfirst, err);
    if (npfirst)
        return record_finding(v, rec, CAI_VK_NEAR_DUP_PROMPT,
                              "after whitespace and case normalisation, the same prompt is",
                              npfirst, err);
    return CAI_OK;
}

static cai_status on_record(void *payload, const cai_vrec *rec, cai_error *err)
{
    vstate *v = payload;
    uint64_t chars[1 + CAI_VREC_MAX_RESP];
    cai_status st;

    st = remember_path(v, rec->file, err);
    if (st != CAI_OK)
        return st;
    cai_vrec__chars(rec, chars);
    st = check_long(v, rec, chars, err);
    if (st == CAI_OK)
        st = check_duplicates(v, rec, err);
    if (st == CAI_OK)
        st = cai_sacc__add(v->acc, rec, chars, err);
    return st;
}

static cai_status on_file(void *payload, const cai_vfile *f, cai_error *err)
{
    vstate *v = payload;
    cai_report *r = v->r;
    vfilerow *row;

    r->records += f->records;
    row = cai__grow(r->files, &r->cap_files, r->n_files + 1, sizeof(*row), 16);
    if (!row)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    r->files = row;
    row = &r->files[r->n_files];
    row->path = strdup(f->path);
    if (!row->path)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    row->split = f->split;
    row->format = f->format;
    row->lines = f->records;
    row->bad_lines = f->bad_lines;
    r->n_files++;
    return cai_sacc__file(v->acc, f, err);
}

static cai_status on_bias(void *payload, const cai_bias *b, cai_error *err)
{
    return add_finding(payload, b->kind, b->where, 0, b->msg, err);
}

/* ---- entry point ------------------------------------------------------------------------ */

static int cmp_finding(const void *a, const void *b)
{
    const vfinding *x = a, *y = b;

    if (x->pub.warning != y->pub.warning)
        return x->pub.warning - y->pub.warning;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static size_t peak_bytes(const vstate *v)
{
    return cai_fpidx__bytes(v->fp) + v->cap_bases * sizeof(*v->bases);
}

static void vstate_dispose(vstate *v)
{
    size_t i;

    cai_sacc__free(v->acc);
    cai_fpidx__free(v->fp);
    free(v->bases);
    for (i = 0; i < v->n_paths; i++)
        free(v->paths[i]);
    free(v->paths);
    free(v->norm);
}

cai_status cai_validate(cai_report **out,
                        const char *const *paths,
                        size_t n,
                        const cai_validate_opts *opts,
                        cai_error *err)
{
    vstate v;
    cai_report *r;
    cai_vscan_opts so;
    cai_vsink sink = {on_finding, on_record, on_file, NULL};
    cai_status st;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, out != NULL);
    *out = NULL;
    CAI_ASSERT_ARG(err, paths != NULL && n > 0);
    st = cai_validate_opts__check(opts, err);
    if (st != CAI_OK)
        return st;
    memset(&v, 0, sizeof(v));
    r = calloc(1, sizeof(*r));
    if (!r)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    r->o = opts ? *opts : CAI_VALIDATE_OPTS_INIT;
    if (r->o.max_examples == 0)
        r->o.max_examples = 5;
    if (!(r->o.alpha > 0 && r->o.alpha < 1))
        r->o.alpha = 0.001;
    if (r->o.max_prompt_chars == 0)
        r->o.max_prompt_chars = 32768;
    if (r->o.max_response_chars == 0)
        r->o.max_response_chars = 16384;
    if (!(r->o.min_consistency > 0 && r->o.min_consistency <= 1))
        r->o.min_consistency = 0.6;
    v.r = r;
    st = cai_sacc__create(&v.acc, 0, err);
    if (st == CAI_OK)
        st = cai_fpidx__create(&v.fp, err);
    if (st == CAI_OK) {
        so.format = r->o.format;
        so.integrity = 1;
        sink.payload = &v;
        st = cai_vscan__run(paths, n, &so, &sink, err);
    }
    if (st == CAI_OK)
        st = cai_sacc__biases(v.acc, r->o.alpha, r->o.min_consistency, on_bias, r, err);
    if (st == CAI_OK)
        st = cai_vhealth__check(v.acc, paths, n, on_bias, r, err);
    if (st == CAI_OK) {
        r->fp_bytes = peak_bytes(&v);
        if (r->n_f > 1)
            qsort(r->f, r->n_f, sizeof(*r->f), cmp_finding);
    }
    vstate_dispose(&v);
    if (st != CAI_OK) {
        cai_report_free(r);
        return st;
    }
    *out = r;
    return CAI_OK;
}

void cai_report_free(cai_report *r)
{
    size_t i;

    if (!r)
        return;
    for (i = 0; i < r->n_f; i++) {
        free((char *)r->f[i].pub.file);
        free((char *)r->f[i].pub.message);
    }
    free(r->f);
    for (i = 0; i < r->n_files; i++)
        free(r->files[i].path);
    free(r->files);
    free(r);
}

uint64_t cai_report_errors(const cai_report *r)
{
    return r->errors;
}

uint64_t cai_report_warnings(const cai_report *r)
{
    return r->warnings;
}

uint64_t cai_report_records(const cai_report *r)
{
    return r->records;
}

uint64_t cai_report_count(const cai_report *r, const char *kind)
{
    int k;

    for (k = 0; k < CAI_VK__COUNT; k++)
        if (strcmp(cai_vkind__name((cai_vkind)k), kind) == 0)
            return r->counts[k];
    return 0;
}

int cai_report_failed(const cai_report *r)
{
    return r->errors > 0 || (r->o.strict && r->warnings > 0);
}

size_t cai_report_nfindings(const cai_report *r)
{
    return r->n_f;
}

const cai_finding *cai_report_finding(const cai_report *r, size_t i)
{
    return i < r->n_f ? &r->f[i].pub : NULL;
}

/* ---- renderings ------------------------------------------------------------------------- */

static void verdict(const cai_report *r, cai_buf *b)
{
    const char *what = cai_report_failed(r) ? "FAIL" : "PASS";

    if (r->errors == 0 && r->warnings == 0)
        cai_buf__printf(b, "verdict: PASS: no findings in %llu records",
                        (unsigned long long)r->records);
    else
        cai_buf__printf(b, "verdict: %s%s: %llu error%s, %llu warning%s in %llu records", what,
                        r->errors == 0 && r->o.strict ? " (strict)" : "",
                        (unsigned long long)r->errors, r->errors == 1 ? "" : "s",
                        (unsigned long long)r->warnings, r->warnings == 1 ? "" : "s",
                        (unsigned long long)r->records);
}

static void kind_counts(const cai_report *r, cai_buf *b, int warnings)
{
    int k, first = 1;

    for (k = warnings ? CAI_VK__FIRST_WARNING : 0;
         k < (warnings ? CAI_VK__COUNT : CAI_VK__FIRST_WARNING); k++) {
        if (!r->counts[k])
            continue;
        cai_buf__printf(b, "%s%s %llu", first ? " (" : ", ", cai_vkind__name((cai_vkind)k),
                        (unsigned long long)r->counts[k]);
        first = 0;
    }
    if (!first)
        cai_buf__printf(b, ")");
}

char *cai_report_text(const cai_report *r)
{
    cai_buf b = {0};
    size_t i;
    int k;

    for (i = 0; i < r->n_f; i++) {
        const cai_finding *f = &r->f[i].pub;
        if (f->line)
            cai_buf__printf(&b, "%s:%llu: ", f->file, (unsigned long long)f->line);
        else
            cai_buf__printf(&b, "%s: ", f->file);
        cai_buf__printf(&b, "%s [%s] %s\n", f->warning ? "warning" : "error", f->kind, f->message);
    }
    for (k = 0; k < CAI_VK__COUNT; k++)
        if (r->counts[k] > r->o.max_examples)
            cai_buf__printf(&b, "... and %llu more [%s]\n",
                            (unsigned long long)(r->counts[k] - r->o.max_examples),
                            cai_vkind__name((cai_vkind)k));
    cai_buf__printf(&b, "checked %llu records in %zu file%s; %llu error%s",
                    (unsigned long long)r->records, r->n_files, r->n_files == 1 ? "" : "s",
                    (unsigned long long)r->errors, r->errors == 1 ? "" : "s");
    kind_counts(r, &b, 0);
    cai_buf__printf(&b, "; %llu warning%s", (unsigned long long)r->warnings,
                    r->warnings == 1 ? "" : "s");
    kind_counts(r, &b, 1);
    cai_buf__printf(&b, "\n");
    verdict(r, &b);
    cai_buf__printf(&b, "\n");
    return cai_buf__take(&b);
}

char *cai_report_json(const cai_report *r)
{
    cJSON *o = cJSON_CreateObject(), *files, *counts, *list, *x;
    cai_buf b = {0};
    char *line, *text, *out;
    size_t i;
    int k;

    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "verdict", cai_report_failed(r) ? "fail" : "pass");
    cJSON_AddBoolToObject(o, "strict", r->o.strict != 0);
    cJSON_AddNumberToObject(o, "records", (double)r->records);
    cJSON_AddNumberToObject(o, "errors", (double)r->errors);
    cJSON_AddNumberToObject(o, "warnings", (double)r->warnings);
    files = cJSON_AddArrayToObject(o, "files");
    for (i = 0; files && i < r->n_files; i++) {
        const vfilerow *f = &r->files[i];
        x = cJSON_CreateObject();
        if (!x)
            continue;
        cJSON_AddStringToObject(x, "path", f->path);
        if (f->split == CAI_SPLIT_NONE)
            cJSON_AddNullToObject(x, "split");
        else
            cJSON_AddStringToObject(x, "split", cai_split__name(f->split));
        cJSON_AddStringToObject(
            x, "format", f->format == CAI_FORMAT_AUTO ? "unknown" : cai_format_name(f->format));
        cJSON_AddNumberToObject(x, "lines", (double)f->lines);
        cJSON_AddNumberToObject(x, "invalid_lines", (double)f->bad_lines);
        cJSON_AddItemToArray(files, x);
    }
    counts = cJSON_AddObjectToObject(o, "counts");
    for (k = 0; counts && k < CAI_VK__COUNT; k++)
        if (r->counts[k])
            cJSON_AddNumberToObject(counts, cai_vkind__name((cai_vkind)k), (double)r->counts[k]);
    list = cJSON_AddArrayToObject(o, "findings");
    for (i = 0; list && i < r->n_f; i++) {
        const cai_finding *f = &r->f[i].pub;
        x = cJSON_CreateObject();
        if (!x)
            continue;
        cJSON_AddStringToObject(x, "severity", f->warning ? "warning" : "error");
        cJSON_AddStringToObject(x, "kind", f->kind);
        cJSON_AddStringToObject(x, "file", f->file);
        if (f->line)
            cJSON_AddNumberToObject(x, "line", (double)f->line);
        else
            cJSON_AddNullToObject(x, "line");
        cJSON_AddStringToObject(x, "message", f->message);
        cJSON_AddItemToArray(list, x);
    }
    cJSON_AddNumberToObject(o, "max_examples", (double)r->o.max_examples);
    cJSON_AddNumberToObject(o, "fingerprint_bytes", (double)r->fp_bytes);
    verdict(r, &b);
    line = cai_buf__take(&b);
    if (line)
        cJSON_AddStringToObject(o, "summary", line);
    free(line);
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text)
        return NULL;
    out = strdup(text);
    cJSON_free(text);
    return out;
}

/* SPDX-License-Identifier: MIT */
/* Reads human answers (Label Studio export, Argilla JSONL, plain JSONL) into one sorted table. */
#include "answers_int.h"
#include "cai/record.h"
#include "error_int.h"
#include "util_int.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LS_MAX_BYTES ((size_t)1 << 30)

static int slot_of(const char *s)
{
    if (strcmp(s, "a") == 0)
        return CAI_ANSWER_A;
    if (strcmp(s, "b") == 0)
        return CAI_ANSWER_B;
    if (strcmp(s, "tie") == 0)
        return CAI_ANSWER_TIE;
    return -1;
}

static cai_status
add(cai_answers *a, const char *id, int slot, size_t file, uint64_t where, int task, cai_error *err)
{
    cai_answer *nv = cai__grow(a->v, &a->cap, a->n + 1, sizeof(*nv), 64);

    if (!nv)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    a->v = nv;
    nv[a->n].id = strdup(id);
    if (!nv[a->n].id)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    nv[a->n].slot = slot;
    nv[a->n].file = file;
    nv[a->n].where = where;
    nv[a->n].task = task;
    nv[a->n].used = 0;
    a->n++;
    return CAI_OK;
}

/* ---- JSONL: plain {id, chosen} and Argilla records --------------------------------------- */

static cai_status jsonl_line(cai_answers *a,
                             const cJSON *o,
                             const char *path,
                             size_t file,
                             uint64_t line,
                             const char *question,
                             cai_error *err)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(o, "chosen");
    const cJSON *v = NULL;
    char flat[160];
    int slot;

    if (!cJSON_IsObject(o))
        return cai_error__set(err, CAI_EPARSE, "%s:%llu: not a JSON object", path,
                              (unsigned long long)line);
    if (!cJSON_IsString(id) || !id->valuestring[0])
        return cai_error__set(err, CAI_EPARSE,
                              "%s:%llu: no \"id\" string (the pair id cai route "
                              "exported)",
                              path, (unsigned long long)line);
    if (ch) {
        v = ch;
    } else {
        const cJSON *resp = cJSON_GetObjectItemCaseSensitive(o, "responses");
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(resp, question);
        if (cJSON_IsArray(list)) {
            v = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(list, 0), "value");
        } else {
            snprintf(flat, sizeof(flat), "%s.responses", question);
            list = cJSON_GetObjectItemCaseSensitive(o, flat);
            if (!cJSON_IsArray(list))
                return cai_error__set(err, CAI_EPARSE,
                                      "%s:%llu: no answer: expected \"chosen\" (a, b or tie), "
                                      "or Argilla \"responses\": {\"%s\": [{\"value\": ...}]}",
                                      path, (unsigned long long)line, question);
            v = cJSON_GetArrayItem(list, 0);
        }
        if (!v)
            return CAI_OK; /* an Argilla record nobody answered */
    }
    slot = cJSON_IsString(v) ? slot_of(v->valuestring) : -1;
    if (slot < 0)
        return cai_error__set(
            err, CAI_EPARSE,
            "%s:%llu: id \"%.100s\": the answer %s%.40s%s is "
            "not \"a\", \"b\" or \"tie\"",
            path, (unsigned long long)line, id->valuestring, cJSON_IsString(v) ? "\"" : "",
            cJSON_IsString(v) ? v->valuestring : "(not a string)", cJSON_IsString(v) ? "\"" : "");
    return add(a, id->valuestring, slot, file, line, 0, err);
}

static cai_status
load_jsonl(cai_answers *a, const char *path, size_t file, const char *question, cai_error *err)
{
    cai_lines *l = NULL;
    cai_status st = cai_lines_create(&l, path, 0, err);

    while (st == CAI_OK) {
        const char *line;
        size_t len;
        uint64_t no = 0;
        cJSON *o;

        st = cai_lines_next(l, &line, &len, &no, err);
        if (st != CAI_OK)
            break;
        o = cJSON_ParseWithLengthOpts(line, len + 1, NULL, 1);
        if (!o)
            st = cai_error__set(err, CAI_EPARSE, "%s:%llu: invalid JSON", path,
                                (unsigned long long)no);
        else
            st = jsonl_line(a, o, path, file, no, question, err);
        cJSON_Delete(o);
    }
    cai_lines_free(l);
    return st == CAI_ITEROVER ? CAI_OK : st;
}

/* ---- Label Studio JSON export ------------------------------------------------------------ */

static uint64_t line_of(const char *text, const char *at)
{
    uint64_t n = 1;

    for (; text < at; text++)
        n += *text == '\n';
    return n;
}

/* The answer of one annotation's result list: -1 none found, else a slot; -2 a bad value. */
static int ls_result(const cJSON *result, const char **bad)
{
    const cJSON *r;

    cJSON_ArrayForEach(r, result)
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(r, "type");
        const cJSON *value = cJSON_GetObjectItemCaseSensitive(r, "value");
        const cJSON *sel = cJSON_GetObjectItemCaseSensitive(value, "selected");
        const cJSON *choices = cJSON_GetObjectItemCaseSensitive(value, "choices");

        if (cJSON_IsString(type) && strcmp(type->valuestring, "pairwise") == 0) {
            if (cJSON_IsString(sel) && strcmp(sel->valuestring, "left") == 0)
                return CAI_ANSWER_A;
            if (cJSON_IsString(sel) && strcmp(sel->valuestring, "right") == 0)
                return CAI_ANSWER_B;
            *bad = "a pairwise result whose value.selected is not \"left\" or \"right\"";
            return -2;
        }
        if (cJSON_IsString(type) && strcmp(type->valuestring, "choices") == 0) {
            const cJSON *c = cJSON_GetArrayItem(choices, 0);
            int s = cJSON_IsString(c) ? slot_of(c->valuestring) : -1;
            if (s < 0) {
                *bad = "a choices result whose value.choices[0] is not \"a\", \"b\" or \"tie\"";
                return -2;
            }
            return s;
        }
    }
    return -1;
}

static cai_status
load_ls(cai_answers *a, const char *path, size_t file, const char *text, cai_error *err)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, 1), *task;
    uint64_t k = 0;
    cai_status st = CAI_OK;

    if (!root) {
        end = cJSON_GetErrorPtr();
        return cai_error__set(err, CAI_EPARSE,
                              "%s:%llu: invalid JSON (a Label Studio export is "
                              "one JSON array of tasks)",
                              path, (unsigned long long)(end ? line_of(text, end) : 1));
    }
    if (!cJSON_IsArray(root)) {
        cJSON_Delete(root);
        return cai_error__set(err, CAI_EPARSE, "%s: not a JSON array of tasks", path);
    }
    cJSON_ArrayForEach(task, root)
    {
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(task, "data");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(data, "id");
        const cJSON *anns = cJSON_GetObjectItemCaseSensitive(task, "annotations"), *an;
        int slot = -1;

        k++;
        if (!cJSON_IsObject(task) || !cJSON_IsObject(data)) {
            st = cai_error__set(err, CAI_EPARSE, "%s: task %llu: no \"data\" object", path,
                                (unsigned long long)k);
            break;
        }
        if (!cJSON_IsString(id) || !id->valuestring[0]) {
            st = cai_error__set(err, CAI_EPARSE,
                                "%s: task %llu: no \"data.id\" string (the pair "
                                "id cai route exported)",
                                path, (unsigned long long)k);
            break;
        }
        if (anns && !cJSON_IsArray(anns)) {
            st = cai_error__set(err, CAI_EPARSE,
                                "%s: task %llu (id \"%.100s\"): \"annotations\" "
                                "is not a list",
                                path, (unsigned long long)k, id->valuestring);
            break;
        }
        cJSON_ArrayForEach(an, anns)
        {
            const cJSON *cancelled = cJSON_GetObjectItemCaseSensitive(an, "was_cancelled");
            const cJSON *result = cJSON_GetObjectItemCaseSensitive(an, "result");
            const char *bad = NULL;

            if (cJSON_IsTrue(cancelled))
                continue;
            if (!cJSON_IsArray(result)) {
                bad = "an annotation without a \"result\" list";
                slot = -2;
            } else {
                slot = ls_result(result, &bad);
            }
            if (slot == -2) {
                st = cai_error__set(err, CAI_EPARSE, "%s: task %llu (id \"%.100s\"): %s", path,
                                    (unsigned long long)k, id->valuestring, bad);
                break;
            }
            if (slot >= 0)
                break; /* the first annotation that answers counts */
        }
        if (st != CAI_OK)
            break;
        if (slot < 0) {
            a->skipped++;
            continue;
        }
        st = add(a, id->valuestring, slot, file, k, 1, err);
        if (st != CAI_OK)
            break;
    }
    cJSON_Delete(root);
    return st;
}

/* ---- the table --------------------------------------------------------------------------- */

static int cmp_answer(const void *x, const void *y)
{
    const cai_answer *a = x, *b = y;
    int c = strcmp(a->id, b->id);

    if (c != 0)
        return c;
    if (a->file != b->file)
        return a->file < b->file ? -1 : 1;
    return a->where < b->where ? -1 : a->where > b->where;
}

void cai_answers__place(char *out, size_t cap, const char *const *paths, const cai_answer *x)
{
    if (x->task)
        snprintf(out, cap, "%s: task %llu", paths[x->file], (unsigned long long)x->where);
    else
        snprintf(out, cap, "%s:%llu", paths[x->file], (unsigned long long)x->where);
}

cai_status cai_answers__load(
    cai_answers *a, const char *const *paths, size_t n, const char *question, cai_error *err)
{
    int *is_ls = calloc(n ? n : 1, sizeof(int));
    cai_status st = CAI_OK;
    size_t i;

    memset(a, 0, sizeof(*a));
    if (!is_ls)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    for (i = 0; st == CAI_OK && i < n; i++) {
        FILE *f = fopen(paths[i], "rb");
        int c;

        if (!f) {
            st = cai_error__set(err, CAI_EIO, "%s: %s", paths[i], strerror(errno));
            break;
        }
        while ((c = getc(f)) == ' ' || c == '\t' || c == '\n' || c == '\r')
            ;
        is_ls[i] = c == '[';
        if (is_ls[i]) {
            char *text = NULL;
            size_t len = 0;
            rewind(f);
            st = cai__read_stream(f, paths[i], LS_MAX_BYTES, &text, &len, err);
            if (st == CAI_OK)
                st = load_ls(a, paths[i], i, text, err);
            free(text);
        } else if (c == EOF) {
            st = cai_error__set(err, CAI_EPARSE, "%s: empty: no answers", paths[i]);
        }
        fclose(f);
        if (st == CAI_OK && !is_ls[i])
            st = load_jsonl(a, paths[i], i, question ? question : "preference", err);
    }
    if (st == CAI_OK && a->n > 1) {
        qsort(a->v, a->n, sizeof(*a->v), cmp_answer);
        for (i = 1; i < a->n; i++) {
            if (strcmp(a->v[i - 1].id, a->v[i].id) == 0) {
                char p1[300], p2[300];
                cai_answers__place(p1, sizeof(p1), paths, &a->v[i]);
                cai_answers__place(p2, sizeof(p2), paths, &a->v[i - 1]);
                st = cai_error__set(err, CAI_EPARSE, "%s: duplicate id \"%.100s\" (first at %s)",
                                    p1, a->v[i].id, p2);
                break;
            }
        }
    }
    free(is_ls);
    if (st != CAI_OK)
        cai_answers__dispose(a);
    return st;
}

cai_answer *cai_answers__find(const cai_answers *a, const char *id)
{
    size_t lo = 0, hi = a->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(id, a->v[mid].id);
        if (c == 0)
            return &a->v[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

void cai_answers__dispose(cai_answers *a)
{
    size_t i;

    for (i = 0; i < a->n; i++)
        free(a->v[i].id);
    free(a->v);
    memset(a, 0, sizeof(*a));
}

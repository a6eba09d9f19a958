/* SPDX-License-Identifier: MIT */
/* What `cai sample` and `cai revise` share: prompts, the journal of generations, the loop over
 * the engine, the output directory, manifest and card. */
#include "gen_stage_int.h"
#include "error_int.h"
#include "hash_int.h"
#include "reader_int.h"
#include "run_int.h"
#include "util_int.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *cai_gstage__dup(const char *s)
{
    size_t n;
    char *d;

    if (!s)
        return NULL;
    n = strlen(s);
    d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

/* ---- prompts -------------------------------------------------------------------------- */

void cai_gstage__prompt_dispose(cai_gstage_prompt *p)
{
    size_t i;

    if (!p)
        return;
    for (i = 0; i < p->n_msgs; i++)
        free(p->texts[i]);
    free(p->texts);
    free(p->msgs);
    free(p->id);
    free(p->prompt_json);
    memset(p, 0, sizeof(*p));
}

/* Appends one turn (copied) to p; -1 without memory. */
static int push_msg(cai_gstage_prompt *p, cai_role role, const char *text, size_t len)
{
    cai_message *nm = realloc(p->msgs, (p->n_msgs + 1) * sizeof(*nm));
    char **nt;
    char *t;

    if (!nm)
        return -1;
    p->msgs = nm;
    nt = realloc(p->texts, (p->n_msgs + 1) * sizeof(*nt));
    if (!nt)
        return -1;
    p->texts = nt;
    t = malloc(len + 1);
    if (!t)
        return -1;
    memcpy(t, text, len);
    t[len] = '\0';
    p->texts[p->n_msgs] = t;
    p->msgs[p->n_msgs].role = role;
    p->msgs[p->n_msgs].content = t;
    p->n_msgs++;
    return 0;
}

/* Where the line being read is: the decoder's findings are its errors. */
typedef struct gen_where {
    const char *input;
    uint64_t lineno;
} gen_where;

static cai_status on_finding(void *payload, const cai_recdec_finding *f, cai_error *err)
{
    const gen_where *w = payload;

    return cai_error__set(err, f->code, "%s:%" PRIu64 ": %s", w->input, w->lineno, f->msg);
}

/* The survey's: a line that does not read is left to the real pass. */
static cai_status quiet(void *payload, const cai_recdec_finding *f, cai_error *err)
{
    (void)payload;
    return cai_error__set(err, f->code, "%s", f->msg);
}

void cai_gstage__decoder_init(cai_recdec *d)
{
    cai_recdec__init(d, CAI_RECDEC_GEN, on_finding, NULL);
}

cai_status cai_gstage__read_line(cai_recdec *d,
                                 const char *line,
                                 const char *input,
                                 uint64_t lineno,
                                 cai_jval *o,
                                 cai_error *err)
{
    gen_where w;
    cai_status st;

    w.input = input;
    w.lineno = lineno;
    d->payload = &w;
    st = cai_recdec__gen_line(d, line, o, err);
    d->payload = NULL;
    return st;
}

cai_status cai_gstage__parse_prompt(cai_gstage_prompt *p,
                                    cai_recdec *d,
                                    const cai_jval *o,
                                    const char *input,
                                    uint64_t lineno,
                                    cai_error *err)
{
    const cai_message *turns;
    const char *id = NULL;
    cai_status st;
    gen_where w;
    char buf[32];
    size_t i, n;
    cJSON *json;

    w.input = input;
    w.lineno = lineno;
    d->payload = &w;
    st = cai_recdec__gen_prompt(d, o, err);
    d->payload = NULL;
    if (st != CAI_OK)
        return st;
    if (cai_jscan__is_string(&d->id) && !(id = cai_recdec__str(d, &d->id)))
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    if (!id || !id[0]) {
        snprintf(buf, sizeof(buf), "l%" PRIu64, lineno);
        id = buf;
    }
    p->id = cai_gstage__dup(id);
    if (!p->id)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    turns = d->turns + d->seq_start[0];
    n = d->seq_len[0];
    for (i = 0; i < n; i++) {
        if (push_msg(p, turns[i].role, turns[i].content, strlen(turns[i].content)))
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    /* what is written back: the string as given, or the turns read as a message list */
    if (d->prompt_text)
        json = cJSON_CreateString(d->prompt_text);
    else {
        json = cJSON_CreateArray();
        for (i = 0; json && i < n; i++) {
            cJSON *e = cJSON_CreateObject();

            cJSON_AddStringToObject(e, "role", cai_role_name(turns[i].role));
            cJSON_AddStringToObject(e, "content", turns[i].content);
            cJSON_AddItemToArray(json, e);
        }
    }
    p->prompt_json = json ? cJSON_PrintUnformatted(json) : NULL;
    cJSON_Delete(json);
    if (!p->prompt_json)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    return CAI_OK;
}

cai_status
cai_gstage__survey(const char *const *paths, size_t n_paths, int *conversational, cai_error *err)
{
    cai_error ignored = {0};
    cai_recdec d;
    cai_jval o;
    size_t i;

    *conversational = 0;
    cai_recdec__init(&d, CAI_RECDEC_GEN, quiet, NULL);
    for (i = 0; i < n_paths && !*conversational; i++) {
        cai_lines *l = NULL;
        const char *line;
        size_t len;
        uint64_t lineno;
        cai_status st;

        if (!strcmp(paths[i], "-"))
            return cai_error__set(err, CAI_EINVAL,
                                  "-: the input is read twice (a survey decides the prompt "
                                  "representation of the whole output), so it needs a file, "
                                  "not standard input");
        if ((st = cai_lines_create(&l, paths[i], 0, err)) != CAI_OK)
            return st;
        while (!*conversational) {
            st = cai_lines_next(l, &line, &len, &lineno, err);
            if (st == CAI_ITEROVER)
                break;
            if (st != CAI_OK) {
                if (cai_lines__fatal(l)) {
                    cai_lines_free(l);
                    cai_recdec__dispose(&d);
                    return st;
                }
                continue; /* one bad line: the real pass names it */
            }
            *conversational = cai_recdec__gen_line(&d, line, &o, &ignored) == CAI_OK &&
                              cai_recdec__gen_is_list(&o);
        }
        cai_lines_free(l);
    }
    cai_recdec__dispose(&d);
    cai_error__clear(err);
    return CAI_OK;
}

/* ---- the journal of generations --------------------------------------------------------- */

cai_status cai_gstage__journal_put(cai_journal *j,
                                   uint64_t key,
                                   const char *kind,
                                   const char *id,
                                   unsigned r,
                                   const cai_generation *g,
                                   cai_error *err)
{
    cJSON *o = cJSON_CreateObject(), *c = cJSON_CreateArray();
    char *text;
    cai_status st;
    size_t i;

    cJSON_AddStringToObject(o, "rk", kind);
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddNumberToObject(o, "r", r);
    for (i = 0; i < g->n_choices; i++) {
        cJSON *e = cJSON_CreateObject();

        cJSON_AddStringToObject(e, "x", g->choices[i].text);
        cJSON_AddNumberToObject(e, "f", g->choices[i].finish);
        if (g->choices[i].finish_raw)
            cJSON_AddStringToObject(e, "fr", g->choices[i].finish_raw);
        else
            cJSON_AddNullToObject(e, "fr");
        cJSON_AddNumberToObject(e, "ct", (double)g->choices[i].completion_tokens);
        cJSON_AddItemToArray(c, e);
    }
    cJSON_AddItemToObject(o, "c", c);
    cJSON_AddNumberToObject(o, "pt", g->prompt_tokens);
    cJSON_AddNumberToObject(o, "ct", g->completion_tokens);
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    st = cai_journal__add_gen(j, key, text, err);
    cJSON_free(text);
    return st;
}

void cai_gstage__text_dispose(cai_gen_text *t)
{
    free((char *)t->text);
    free((char *)t->finish_raw);
    memset(t, 0, sizeof(*t));
}

int cai_gstage__text_copy(cai_gen_text *dst, const cai_gen_text *src)
{
    dst->text = cai_gstage__dup(src->text ? src->text : "");
    dst->len = src->text ? src->len : 0;
    dst->finish = src->finish;
    dst->finish_raw = src->finish_raw ? cai_gstage__dup(src->finish_raw) : NULL;
    dst->completion_tokens = src->completion_tokens;
    if (!dst->text || (src->finish_raw && !dst->finish_raw)) {
        cai_gstage__text_dispose(dst);
        return -1;
    }
    return 0;
}

int cai_gstage__journal_get(const cai_journal *j, uint64_t key, cai_gen_text *dst, unsigned n)
{
    const char *text = cai_journal__find_gen(j, key);
    cJSON *o, *c, *e;
    unsigned i = 0, k;

    if (!text)
        return -1;
    o = cJSON_Parse(text);
    c = cJSON_GetObjectItemCaseSensitive(o, "c");
    if (!cJSON_IsArray(c) || cJSON_GetArraySize(c) != (int)n) {
        cJSON_Delete(o);
        return -1;
    }
    cJSON_ArrayForEach(e, c)
    {
        cJSON *x = cJSON_GetObjectItemCaseSensitive(e, "x");
        cJSON *f = cJSON_GetObjectItemCaseSensitive(e, "f");
        cJSON *fr = cJSON_GetObjectItemCaseSensitive(e, "fr");
        cJSON *ct = cJSON_GetObjectItemCaseSensitive(e, "ct");
        cai_gen_text *t = &dst[i++];

        if (!cJSON_IsString(x) || !cJSON_IsNumber(f) || !cJSON_IsNumber(ct))
            goto fail;
        t->text = cai_gstage__dup(x->valuestring);
        t->len = strlen(x->valuestring);
        t->finish = f->valueint;
        t->finish_raw = cJSON_IsString(fr) ? cai_gstage__dup(fr->valuestring) : NULL;
        t->completion_tokens = (long)ct->valuedouble;
        if (!t->text)
            goto fail;
    }
    cJSON_Delete(o);
    return 0;
fail:
    for (k = 0; k < i; k++)
        cai_gstage__text_dispose(&dst[k]);
    cJSON_Delete(o);
    return -1;
}

/* ---- the loop ----------------------------------------------------------------------------- */

cai_status cai_gstage__loop(
    cai_judge *judge, cai_journal *journal, const cai_gstage_ops *ops, void *ctx, cai_error *err)
{
    const cai_judge_completion *c;
    cai_status st, ps;

    for (;;) {
        if ((st = ops->submit(ctx, err)) != CAI_OK)
            return st;
        ps = cai_judge_perform(judge, NULL, err);
        while ((c = cai_judge_read(judge)) != NULL)
            if ((st = ops->complete(ctx, c, err)) != CAI_OK)
                return st;
        if ((st = cai_journal__sync(journal, 0, err)) != CAI_OK)
            return st;
        if (ps != CAI_OK)
            return ps;
        if ((st = ops->flush(ctx, err)) != CAI_OK)
            return st;
        if (ops->report)
            ops->report(ctx);
        if (ops->done(ctx) && cai_judge_pending(judge) == 0)
            return CAI_OK;
        if ((st = cai_judge_wait(judge, 200, err)) != CAI_OK)
            return st;
    }
}

/* ---- output directory, manifest, card ------------------------------------------------------ */

cai_status cai_gstage__open(cai_outdir **od,
                            cai_journal **journal,
                            const char *dir,
                            int force,
                            const char *settings,
                            cai_error *err)
{
    char fp[65], *jpath;
    cai_outdir_opts oo;
    cai_journal_open_opts jo;
    cai_status st;

    cai_sha256_hex(settings, strlen(settings), fp);
    memset(&oo, 0, sizeof(oo));
    oo.create = 1;
    oo.force = force;
    if ((st = cai_outdir__open(od, dir, &oo, err)) != CAI_OK)
        return st;
    if (!(jpath = cai__path_join(dir, CAI_OUTDIR_JOURNAL)))
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    memset(&jo, 0, sizeof(jo));
    jo.fingerprint = fp;
    jo.settings_json = settings;
    st = cai_journal__open_ex(journal, jpath, &jo, err);
    free(jpath);
    return st;
}

cai_status cai_gstage__write_manifest(const char *dir,
                                      const char *stage,
                                      const char *format,
                                      const char *settings,
                                      const cai_gstage_files *lists,
                                      size_t n_lists,
                                      cJSON *stats,
                                      const char *data_glob,
                                      const char *card_body,
                                      cai_error *err)
{
    cJSON *m = cJSON_CreateObject();
    char *text;
    size_t i;
    cai_buf b = {0};
    cai_status st;

    cJSON_AddStringToObject(m, "cai_stage", stage);
    cJSON_AddStringToObject(m, "format", format);
    cJSON_AddRawToObject(m, "settings", settings);
    for (i = 0; i < n_lists; i++) {
        cJSON *arr = cJSON_CreateArray();

        cai_manifest__add_files(arr, dir, lists[i].w, lists[i].role);
        cJSON_AddItemToObject(m, lists[i].key, arr);
    }
    cJSON_AddItemToObject(m, "statistics", stats);
    text = cJSON_Print(m);
    cJSON_Delete(m);
    if (text) {
        cai_buf__puts(&b, text);
        cai_buf__puts(&b, "\n");
    }
    cJSON_free(text);
    if (!text || b.oom) {
        cai_buf__dispose(&b);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    /* both under a temporary name first: no partial manifest or card under its final name */
    st = cai__write_atomic(dir, "manifest.json", b.data, b.len, err);
    cai_buf__dispose(&b);
    if (st != CAI_OK)
        return st;
    /* the card: what the directory holds, for humans */
    cai_buf__printf(&b,
                    "---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n"
                    "    path: \"%s\"\n---\n\n",
                    data_glob);
    cai_buf__puts(&b, card_body);
    if (b.oom) {
        cai_buf__dispose(&b);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    st = cai__write_atomic(dir, "README.md", b.data, b.len, err);
    cai_buf__dispose(&b);
    return st;
}

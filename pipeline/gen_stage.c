/* SPDX-License-Identifier: MIT */
/* What `cai sample` and `cai revise` share: prompts, the journal of generations, the loop over
 * the engine, the output directory, manifest and card. */
#include "gen_stage_int.h"
#include "error_int.h"
#include "hash_int.h"
#include "run_int.h"

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

static int role_of(const char *r)
{
    if (!strcmp(r, "system"))
        return CAI_ROLE_SYSTEM;
    if (!strcmp(r, "user") || !strcmp(r, "human"))
        return CAI_ROLE_USER;
    if (!strcmp(r, "assistant"))
        return CAI_ROLE_ASSISTANT;
    return -1;
}

int cai_gstage__push_msg(cai_gstage_prompt *p, cai_role role, const char *text, size_t len)
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

/* An HH transcript ("\n\nHuman: ...\n\nAssistant: ...") into turns; other text: one user turn. */
static int split_hh(cai_gstage_prompt *p, const char *s)
{
    static const char H[] = "\n\nHuman:", A[] = "\n\nAssistant:";
    const char *at = s;

    if (!strstr(s, H))
        return cai_gstage__push_msg(p, CAI_ROLE_USER, s, strlen(s));
    at = strstr(s, H);
    while (at && *at) {
        int human = strncmp(at, H, sizeof(H) - 1) == 0;
        const char *body = at + (human ? sizeof(H) - 1 : sizeof(A) - 1);
        const char *nh = strstr(body, H), *na = strstr(body, A), *end;

        end = nh && (!na || nh < na) ? nh : na;
        if (!end)
            end = body + strlen(body);
        while (*body == ' ')
            body++;
        if (end > body || human) {
            if (cai_gstage__push_msg(p, human ? CAI_ROLE_USER : CAI_ROLE_ASSISTANT, body,
                                     (size_t)(end > body ? end - body : 0)))
                return -1;
        }
        at = *end ? end : NULL;
    }
    return 0;
}

static cai_status bad(const char *input, uint64_t lineno, cai_error *err, const char *why)
{
    return cai_error__set(err, CAI_ESCHEMA, "%s:%" PRIu64 ": %s", input, lineno, why);
}

cai_status cai_gstage__parse_prompt(
    cai_gstage_prompt *p, const cJSON *o, const char *input, uint64_t lineno, cai_error *err)
{
    cJSON *id, *pr, *msgs, *ch;
    cai_status st = CAI_OK;
    char buf[32];

    id = cJSON_GetObjectItemCaseSensitive(o, "id");
    pr = cJSON_GetObjectItemCaseSensitive(o, "prompt");
    msgs = cJSON_GetObjectItemCaseSensitive(o, "messages");
    ch = cJSON_GetObjectItemCaseSensitive(o, "chosen");
    if (cJSON_IsString(id) && id->valuestring[0])
        p->id = cai_gstage__dup(id->valuestring);
    else {
        snprintf(buf, sizeof(buf), "l%" PRIu64, lineno);
        p->id = cai_gstage__dup(buf);
    }
    if (!p->id)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    if (cJSON_IsString(pr) || (!pr && !msgs && cJSON_IsString(ch))) {
        const char *text = cJSON_IsString(pr) ? pr->valuestring : ch->valuestring;
        char *cut = NULL;

        if (!cJSON_IsString(pr)) {
            const char *a = text, *last = NULL;

            while ((a = strstr(a, "\n\nAssistant:")) != NULL)
                last = a++;
            if (!last)
                return bad(input, lineno, err, "\"chosen\" holds no \"\\n\\nAssistant:\" turn");
            cut = malloc((size_t)(last - text) + 13);
            if (cut) {
                memcpy(cut, text, (size_t)(last - text) + 12);
                cut[(last - text) + 12] = '\0';
            }
            text = cut;
        }
        if (!text || split_hh(p, text))
            st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        else {
            cJSON *str = cJSON_CreateString(text);

            p->prompt_json = str ? cJSON_PrintUnformatted(str) : NULL;
            cJSON_Delete(str);
        }
        free(cut);
    } else if (cJSON_IsArray(pr) || cJSON_IsArray(msgs)) {
        cJSON *arr = cJSON_IsArray(pr) ? pr : msgs, *m, *list;
        int n = cJSON_GetArraySize(arr), last_user = -1, i = 0;

        cJSON_ArrayForEach(m, arr)
        {
            cJSON *r = cJSON_GetObjectItemCaseSensitive(m, "role");
            cJSON *c = cJSON_GetObjectItemCaseSensitive(m, "content");

            if (!cJSON_IsString(r) || !cJSON_IsString(c) || role_of(r->valuestring) < 0)
                return bad(input, lineno, err,
                           "a message needs a \"role\" (system, user, assistant) and a "
                           "string \"content\"");
            if (role_of(r->valuestring) == CAI_ROLE_USER)
                last_user = i;
            i++;
        }
        if (last_user < 0 || (arr == pr && last_user != n - 1))
            return bad(input, lineno, err, "the prompt's messages must end on a user turn");
        list = cJSON_CreateArray();
        i = 0;
        cJSON_ArrayForEach(m, arr)
        {
            const char *r = cJSON_GetObjectItemCaseSensitive(m, "role")->valuestring;
            const char *c = cJSON_GetObjectItemCaseSensitive(m, "content")->valuestring;
            cJSON *e;

            if (i++ > last_user)
                break;
            if (cai_gstage__push_msg(p, (cai_role)role_of(r), c, strlen(c)))
                st = CAI_ENOMEM;
            e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "role", cai_role_name((cai_role)role_of(r)));
            cJSON_AddStringToObject(e, "content", c);
            cJSON_AddItemToArray(list, e);
        }
        p->prompt_json = cJSON_PrintUnformatted(list);
        cJSON_Delete(list);
        if (st != CAI_OK || !p->prompt_json)
            st = cai_error__set(err, CAI_ENOMEM, "out of memory");
    } else {
        st = bad(input, lineno, err,
                 "no prompt: expected \"prompt\" (a string or a message list), "
                 "\"messages\" or an HH \"chosen\" transcript");
    }
    if (st == CAI_OK && !p->prompt_json)
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
    return st;
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
    jpath = malloc(strlen(dir) + sizeof(CAI_OUTDIR_JOURNAL) + 2);
    if (!jpath)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    sprintf(jpath, "%s/%s", dir, CAI_OUTDIR_JOURNAL);
    memset(&jo, 0, sizeof(jo));
    jo.fingerprint = fp;
    jo.settings_json = settings;
    st = cai_journal__open_ex(journal, jpath, &jo, err);
    free(jpath);
    return st;
}

static int write_file(const char *path, const char *text, int via_tmp)
{
    size_t n = strlen(path) + 8;
    char *tmp = via_tmp ? malloc(n) : NULL;
    const char *at = path;
    FILE *f;
    int rc;

    if (via_tmp) {
        if (!tmp)
            return 0;
        snprintf(tmp, n, "%s.tmp", path);
        at = tmp;
    }
    f = fopen(at, "wb");
    rc = f && fputs(text, f) >= 0;
    rc = (f && fclose(f) == 0) && rc;
    if (via_tmp) {
        if (rc)
            rc = rename(tmp, path) == 0;
        else
            remove(tmp);
        free(tmp);
    }
    return rc;
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
    char *text, *path, *card;
    size_t i, n = strlen(dir) + 32, cn;
    int rc;

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
    path = malloc(n);
    if (!text || !path) {
        cJSON_free(text);
        free(path);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    snprintf(path, n, "%s/manifest.json", dir);
    {
        size_t tn = strlen(text);
        char *t2 = malloc(tn + 2);

        rc = t2 != NULL;
        if (t2) {
            memcpy(t2, text, tn);
            t2[tn] = '\n';
            t2[tn + 1] = '\0';
            rc = write_file(path, t2, 1);
            free(t2);
        }
    }
    cJSON_free(text);
    if (!rc) {
        cai_error__set(err, CAI_EIO, "%s: cannot write", path);
        free(path);
        return CAI_EIO;
    }
    /* the card: what the directory holds, for humans */
    snprintf(path, n, "%s/README.md", dir);
    cn = strlen(data_glob) + strlen(card_body) + 128;
    card = malloc(cn);
    rc = card != NULL;
    if (card) {
        snprintf(card, cn,
                 "---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n"
                 "    path: \"%s\"\n---\n\n%s",
                 data_glob, card_body);
        rc = write_file(path, card, 0);
        free(card);
    }
    if (!rc)
        cai_error__set(err, CAI_EIO, "%s: cannot write", path);
    free(path);
    return rc ? CAI_OK : CAI_EIO;
}

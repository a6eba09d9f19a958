/* SPDX-License-Identifier: MIT */
/* `cai sample`: prompts in, N responses each from the engine's sample requests, candidates out. */
#include "cai/sample.h"
#include "error_int.h"
#include "util_int.h"
#include "gen_records_int.h"
#include "gen_wire_int.h"
#include "hash_int.h"
#include "journal_int.h"
#include "outdir_int.h"
#include "run_int.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One prompt in flight: its requests, then its responses in request order. */
typedef struct sp_prompt {
    char *id;
    char *prompt_json;
    cai_message *msgs;
    char **texts; /* owned contents of msgs */
    size_t n_msgs;
    cai_gen_request req[1]; /* n_req requests share the settings; seeds differ */
    cai_gen_request *reqs;
    unsigned n_req, per_req, submitted, answered;
    cai_gen_text *resp; /* n responses (owned texts) */
    int failed;
    char *fail_msg;
    struct sp_prompt *next;
} sp_prompt;

struct cai_sample {
    cai_sample_opts o;
    cai_judge *judge;
    cai_journal *journal;
    cai_outdir *outdir;
    cai_writer *cand, *shortw, *failw;
    cai_lines *lines;
    sp_prompt *head, *tail, *cur; /* cur: the prompt whose requests are being submitted */
    size_t window;
    int eof;
    uint64_t lineno;
    cai_sample_summary sum;
    cai_sample_progress prog;
    char *first_body;
};

static char *xdup(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);

    if (d)
        memcpy(d, s, n + 1);
    return d;
}

static void prompt_free(sp_prompt *p)
{
    size_t i;

    if (!p)
        return;
    for (i = 0; i < p->n_msgs; i++)
        free(p->texts[i]);
    free(p->texts);
    free(p->msgs);
    free(p->reqs);
    if (p->resp) {
        unsigned total = p->n_req * p->per_req;

        for (i = 0; i < total; i++) {
            free((char *)p->resp[i].text);
            free((char *)p->resp[i].finish_raw);
        }
    }
    free(p->resp);
    free(p->id);
    free(p->prompt_json);
    free(p->fail_msg);
    free(p);
}

cai_status cai_sample_create(cai_sample **out, const cai_sample_opts *o, cai_error *err)
{
    cai_sample *s;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, out && o);
    *out = NULL;
    if (o->version != CAI_SAMPLE_OPTS_VERSION)
        return cai_error__set(err, CAI_EINVAL, "cai_sample_opts: unknown version %u", o->version);
    if (!o->input || (!o->output_dir && !o->dry_run))
        return cai_error__set(err, CAI_EINVAL,
                              "sample: an input and an output directory are needed");
    if (o->n < 1 || o->n > CAI_GEN_MAX_CHOICES)
        return cai_error__set(err, CAI_EINVAL, "sample: --n must be 1..%d", CAI_GEN_MAX_CHOICES);
    if (o->judge.backend == CAI_BACKEND_BUILTIN)
        return cai_error__set(err, CAI_EINVAL,
                              "sample: the builtin backend does not generate text; choose "
                              "--backend openai, completions or anthropic");
    s = calloc(1, sizeof(*s));
    if (!s)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    s->o = *o;
    *out = s;
    return CAI_OK;
}

void cai_sample_stop(cai_sample *s)
{
    if (s && s->judge)
        cai_judge_stop(s->judge);
}

/* ---- prompts -------------------------------------------------------------------------- */

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

static int push_msg(sp_prompt *p, cai_role role, const char *text, size_t len)
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
static int split_hh(sp_prompt *p, const char *s)
{
    static const char H[] = "\n\nHuman:", A[] = "\n\nAssistant:";
    const char *at = s;

    if (!strstr(s, H))
        return push_msg(p, CAI_ROLE_USER, s, strlen(s));
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
            if (push_msg(p, human ? CAI_ROLE_USER : CAI_ROLE_ASSISTANT, body,
                         (size_t)(end > body ? end - body : 0)))
                return -1;
        }
        at = *end ? end : NULL;
    }
    return 0;
}

static cai_status bad(cai_sample *s, cai_error *err, const char *why)
{
    return cai_error__set(err, CAI_ESCHEMA, "%s:%" PRIu64 ": %s", s->o.input, s->lineno, why);
}

/* The prompt of one input line: "prompt" (string or messages), "messages" (up to the last
 * user turn), or HH "chosen" (up to its last "\n\nAssistant:"); responses are ignored. */
static cai_status parse_prompt(cai_sample *s, const char *line, sp_prompt *p, cai_error *err)
{
    cJSON *o = cJSON_Parse(line), *id, *pr, *msgs, *ch;
    cai_status st = CAI_OK;
    char buf[32];

    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return cai_error__set(err, CAI_EPARSE, "%s:%" PRIu64 ": not a JSON object", s->o.input,
                              s->lineno);
    }
    id = cJSON_GetObjectItemCaseSensitive(o, "id");
    pr = cJSON_GetObjectItemCaseSensitive(o, "prompt");
    msgs = cJSON_GetObjectItemCaseSensitive(o, "messages");
    ch = cJSON_GetObjectItemCaseSensitive(o, "chosen");
    if (cJSON_IsString(id) && id->valuestring[0])
        p->id = xdup(id->valuestring);
    else {
        snprintf(buf, sizeof(buf), "l%" PRIu64, s->lineno);
        p->id = xdup(buf);
    }
    if (!p->id)
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
    else if (cJSON_IsString(pr) || (!pr && !msgs && cJSON_IsString(ch))) {
        const char *text = cJSON_IsString(pr) ? pr->valuestring : ch->valuestring;
        char *cut = NULL;

        if (!cJSON_IsString(pr)) {
            const char *a = text, *last = NULL;

            while ((a = strstr(a, "\n\nAssistant:")) != NULL)
                last = a++;
            if (!last) {
                cJSON_Delete(o);
                return bad(s, err, "\"chosen\" holds no \"\\n\\nAssistant:\" turn");
            }
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
        cJSON *arr = cJSON_IsArray(pr) ? pr : msgs, *m, *list = cJSON_CreateArray();
        int n = cJSON_GetArraySize(arr), last_user = -1, i = 0;

        cJSON_ArrayForEach(m, arr)
        {
            cJSON *r = cJSON_GetObjectItemCaseSensitive(m, "role");
            cJSON *c = cJSON_GetObjectItemCaseSensitive(m, "content");

            if (!cJSON_IsString(r) || !cJSON_IsString(c) || role_of(r->valuestring) < 0) {
                cJSON_Delete(list);
                cJSON_Delete(o);
                return bad(s, err,
                           "a message needs a \"role\" (system, user, assistant) and a "
                           "string \"content\"");
            }
            if (role_of(r->valuestring) == CAI_ROLE_USER)
                last_user = i;
            i++;
        }
        if (last_user < 0 || (arr == pr && last_user != n - 1)) {
            cJSON_Delete(list);
            cJSON_Delete(o);
            return bad(s, err, "the prompt's messages must end on a user turn");
        }
        i = 0;
        cJSON_ArrayForEach(m, arr)
        {
            const char *r = cJSON_GetObjectItemCaseSensitive(m, "role")->valuestring;
            const char *c = cJSON_GetObjectItemCaseSensitive(m, "content")->valuestring;
            cJSON *e;

            if (i++ > last_user)
                break;
            if (push_msg(p, (cai_role)role_of(r), c, strlen(c)))
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
        st = bad(s, err,
                 "no prompt: expected \"prompt\" (a string or a message list), "
                 "\"messages\" or an HH \"chosen\" transcript");
    }
    cJSON_Delete(o);
    if (st == CAI_OK && !p->prompt_json)
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
    return st;
}

/* ---- requests, journal ---------------------------------------------------------------- */

static uint64_t req_key(const sp_prompt *p, unsigned r)
{
    return cai_journal__key(p->id, "\x01sample", 0, r);
}

static cai_status setup_requests(cai_sample *s, sp_prompt *p, cai_error *err)
{
    unsigned r, n = s->o.n;
    int has_n = cai_gen_wire__has_n(s->o.judge.backend);

    p->n_req = has_n ? 1 : n;
    p->per_req = has_n ? n : 1;
    p->reqs = calloc(p->n_req, sizeof(*p->reqs));
    p->resp = calloc(n, sizeof(*p->resp));
    if (!p->reqs || !p->resp)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    for (r = 0; r < p->n_req; r++) {
        cai_gen_request *g = &p->reqs[r];

        g->messages = p->msgs;
        g->n_messages = p->n_msgs;
        g->n = p->per_req;
        g->seed = s->o.seed >= 0 ? s->o.seed + (long long)r : -1;
        g->temperature = s->o.temperature;
        g->top_p = s->o.top_p;
        g->max_tokens = s->o.max_tokens;
        g->stop = s->o.stop;
        g->n_stop = s->o.n_stop;
        g->system = s->o.system;
    }
    return CAI_OK;
}

/* Responses of request r from a journal record's text; -1 if it does not hold them. */
static int from_journal(sp_prompt *p, unsigned r, const char *text)
{
    cJSON *o = cJSON_Parse(text), *c, *e;
    unsigned i = 0;

    c = cJSON_GetObjectItemCaseSensitive(o, "c");
    if (!cJSON_IsArray(c) || cJSON_GetArraySize(c) != (int)p->per_req) {
        cJSON_Delete(o);
        return -1;
    }
    cJSON_ArrayForEach(e, c)
    {
        cJSON *x = cJSON_GetObjectItemCaseSensitive(e, "x");
        cJSON *f = cJSON_GetObjectItemCaseSensitive(e, "f");
        cJSON *fr = cJSON_GetObjectItemCaseSensitive(e, "fr");
        cJSON *ct = cJSON_GetObjectItemCaseSensitive(e, "ct");
        cai_gen_text *t = &p->resp[r * p->per_req + i++];

        if (!cJSON_IsString(x) || !cJSON_IsNumber(f) || !cJSON_IsNumber(ct)) {
            cJSON_Delete(o);
            return -1;
        }
        t->text = xdup(x->valuestring);
        t->len = strlen(x->valuestring);
        t->finish = f->valueint;
        t->finish_raw = cJSON_IsString(fr) ? xdup(fr->valuestring) : NULL;
        t->completion_tokens = (long)ct->valuedouble;
    }
    cJSON_Delete(o);
    return 0;
}

static cai_status
journal_gen(cai_sample *s, const sp_prompt *p, unsigned r, const cai_generation *g, cai_error *err)
{
    cJSON *o = cJSON_CreateObject(), *c = cJSON_CreateArray();
    char *text;
    cai_status st;
    size_t i;

    cJSON_AddStringToObject(o, "rk", "sample");
    cJSON_AddStringToObject(o, "id", p->id);
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
    st = cai_journal__add_gen(s->journal, req_key(p, r), text, err);
    cJSON_free(text);
    return st;
}

/* ---- output --------------------------------------------------------------------------- */

static cai_status write_prompt(cai_sample *s, sp_prompt *p, cai_error *err)
{
    unsigned total = p->n_req * p->per_req, i;
    cai_gen_sample *smp;
    unsigned *flags;
    cai_gen_settings set;
    char *line = NULL;
    size_t kept = 0;
    cai_status st;

    s->sum.prompts++;
    if (p->failed) {
        cJSON *o = cJSON_CreateObject();

        cJSON_AddStringToObject(o, "id", p->id);
        cJSON_AddRawToObject(o, "prompt", p->prompt_json);
        cJSON_AddStringToObject(o, "reason", p->fail_msg ? p->fail_msg : "failed");
        line = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        if (!line)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        st = cai_writer_write(s->failw, line, strlen(line), err);
        cJSON_free(line);
        s->sum.failed++;
        s->prog.failed++;
        return st;
    }
    smp = calloc(total, sizeof(*smp));
    flags = calloc(total, sizeof(*flags));
    if (!smp || !flags) {
        free(smp);
        free(flags);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    for (i = 0; i < total; i++) {
        smp[i].text = p->resp[i].text;
        smp[i].finish = (cai_finish)p->resp[i].finish;
        smp[i].finish_raw = p->resp[i].finish_raw;
        smp[i].completion_tokens = p->resp[i].completion_tokens;
    }
    s->sum.responses += total;
    s->sum.flagged += total - cai_gen__flag_candidates(smp, total, flags);
    free(flags);
    memset(&set, 0, sizeof(set));
    set.backend = cai_backend_name(s->o.judge.backend);
    set.model = s->o.judge.model;
    set.n = s->o.n;
    set.temperature = s->o.temperature;
    set.top_p = s->o.top_p;
    set.max_tokens = s->o.max_tokens;
    set.seed = s->o.seed;
    st = cai_gen__candidates_record(&line, p->id, p->prompt_json, smp, total, &set,
                                    s->o.skip_flagged, &kept, err);
    free(smp);
    if (st != CAI_OK)
        return st;
    if (kept >= 2) {
        st = cai_writer_write(s->cand, line, strlen(line), err);
        s->sum.records++;
    } else {
        st = cai_writer_write(s->shortw, line, strlen(line), err);
        s->sum.short_records++;
    }
    free(line);
    return st;
}

static int prompt_done(const sp_prompt *p)
{
    return p->failed ? p->answered + 0u >= p->submitted && p->submitted == p->n_req
                     : p->answered == p->n_req;
}

static cai_status flush_head(cai_sample *s, cai_error *err)
{
    cai_status st = CAI_OK;

    while (st == CAI_OK && s->head && s->head != s->cur && prompt_done(s->head)) {
        sp_prompt *p = s->head;

        st = write_prompt(s, p, err);
        s->head = p->next;
        if (!s->head)
            s->tail = NULL;
        s->window--;
        s->prog.prompts_done++;
        prompt_free(p);
    }
    return st;
}

/* Reads the next prompt into the window (and sets it as the one being submitted). */
static cai_status next_prompt(cai_sample *s, cai_error *err)
{
    const char *line;
    size_t len;
    sp_prompt *p;
    cai_status st;
    unsigned r;

    st = cai_lines_next(s->lines, &line, &len, &s->lineno, err);
    if (st == CAI_ITEROVER) {
        s->eof = 1;
        return CAI_OK;
    }
    if (st != CAI_OK)
        return st;
    p = calloc(1, sizeof(*p));
    if (!p)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    if ((st = parse_prompt(s, line, p, err)) != CAI_OK ||
        (st = setup_requests(s, p, err)) != CAI_OK) {
        prompt_free(p);
        return st;
    }
    s->sum.requests_planned += p->n_req;
    if (s->o.dry_run) {
        if (!s->first_body) {
            cai_judge_task t;

            memset(&t, 0, sizeof(t));
            t.kind = CAI_REQUEST_SAMPLE;
            t.gen = &p->reqs[0];
            st = cai_judge_request_body(s->judge, &t, &s->first_body, err);
        }
        s->sum.prompts++;
        prompt_free(p);
        return st;
    }
    /* what the journal holds is not asked again */
    for (r = 0; r < p->n_req; r++) {
        const char *text = cai_journal__find_gen(s->journal, req_key(p, r));

        if (text && from_journal(p, r, text) == 0) {
            s->sum.resumed++;
            s->prog.resumed++;
            p->answered++;
        }
    }
    if (s->tail)
        s->tail->next = p;
    else
        s->head = p;
    s->tail = p;
    s->cur = p;
    s->window++;
    return CAI_OK;
}

static cai_status submit(cai_sample *s, cai_error *err)
{
    cai_status st;

    while (cai_judge_room(s->judge) > 0) {
        sp_prompt *p = s->cur;

        if (p && p->submitted < p->n_req) {
            unsigned r = p->submitted++;
            cai_judge_task t;

            if (p->resp[r * p->per_req].text)
                continue; /* answered from the journal */
            memset(&t, 0, sizeof(t));
            t.kind = CAI_REQUEST_SAMPLE;
            t.gen = &p->reqs[r];
            t.payload = p;
            t.sample = r;
            if ((st = cai_judge_add(s->judge, &t, err)) != CAI_OK)
                return st;
            continue;
        }
        s->cur = NULL;
        if (s->eof ||
            s->window >= 4 * (size_t)(s->o.judge.concurrency ? s->o.judge.concurrency : 64))
            break;
        if ((st = next_prompt(s, err)) != CAI_OK)
            return st;
    }
    return CAI_OK;
}

static cai_status on_completion(cai_sample *s, const cai_judge_completion *c, cai_error *err)
{
    sp_prompt *p = c->task->payload;
    unsigned r = c->task->sample, i;
    const cai_generation *g = &c->result.generation;

    p->answered++;
    if (c->status != CAI_OK || g->n_choices != p->per_req) {
        if (!p->failed) {
            p->failed = 1;
            p->fail_msg = xdup(c->message && *c->message ? c->message : "request failed");
        }
        return CAI_OK;
    }
    for (i = 0; i < p->per_req; i++) {
        cai_gen_text *t = &p->resp[r * p->per_req + i];

        t->text = xdup(g->choices[i].text);
        t->len = g->choices[i].len;
        t->finish = g->choices[i].finish;
        t->finish_raw = g->choices[i].finish_raw ? xdup(g->choices[i].finish_raw) : NULL;
        t->completion_tokens = g->choices[i].completion_tokens;
        if (!t->text)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    return journal_gen(s, p, r, g, err);
}

static void report(cai_sample *s)
{
    cai_judge_stats js;

    if (!s->o.progress)
        return;
    cai_judge_get_stats(s->judge, &js);
    s->prog.requests = js.requests;
    s->prog.retries = js.retries;
    s->prog.cost = cai_judge_spent(s->judge);
    s->o.progress(&s->prog, s->o.progress_payload);
}

static cai_status loop(cai_sample *s, cai_error *err)
{
    const cai_judge_completion *c;
    cai_status st, ps;

    for (;;) {
        if ((st = submit(s, err)) != CAI_OK)
            return st;
        ps = cai_judge_perform(s->judge, NULL, err);
        while ((c = cai_judge_read(s->judge)) != NULL)
            if ((st = on_completion(s, c, err)) != CAI_OK)
                return st;
        if ((st = cai_journal__sync(s->journal, 0, err)) != CAI_OK)
            return st;
        if (ps != CAI_OK)
            return ps;
        if ((st = flush_head(s, err)) != CAI_OK)
            return st;
        report(s);
        if (s->eof && !s->head && cai_judge_pending(s->judge) == 0)
            return CAI_OK;
        if ((st = cai_judge_wait(s->judge, 200, err)) != CAI_OK)
            return st;
    }
}

/* ---- settings, manifest, card ----------------------------------------------------------- */

static char *settings_json(const cai_sample *s)
{
    cJSON *o = cJSON_CreateObject(), *stop = cJSON_CreateArray();
    char *text;
    size_t i;

    cJSON_AddStringToObject(o, "stage", "sample");
    cJSON_AddStringToObject(o, "backend", cai_backend_name(s->o.judge.backend));
    cJSON_AddStringToObject(o, "model", s->o.judge.model ? s->o.judge.model : "");
    cJSON_AddNumberToObject(o, "n", s->o.n);
    cJSON_AddNumberToObject(o, "temperature", s->o.temperature);
    cJSON_AddNumberToObject(o, "top_p", s->o.top_p);
    cJSON_AddNumberToObject(o, "max_tokens", s->o.max_tokens);
    for (i = 0; i < s->o.n_stop; i++)
        cJSON_AddItemToArray(stop, cJSON_CreateString(s->o.stop[i]));
    cJSON_AddItemToObject(o, "stop", stop);
    if (s->o.system)
        cJSON_AddStringToObject(o, "system", s->o.system);
    else
        cJSON_AddNullToObject(o, "system");
    cJSON_AddNumberToObject(o, "seed", (double)s->o.seed);
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

static cai_status write_manifest(cai_sample *s, const char *settings, cai_error *err)
{
    cJSON *m = cJSON_CreateObject(), *files = cJSON_CreateArray(), *sh = cJSON_CreateArray(),
          *fl = cJSON_CreateArray(), *stats = cJSON_CreateObject();
    char *text, *path, *tmp;
    size_t n = strlen(s->o.output_dir) + 32;
    int rc;

    cJSON_AddStringToObject(m, "cai_stage", "sample");
    cJSON_AddStringToObject(m, "format", "candidates");
    cJSON_AddRawToObject(m, "settings", settings);
    cai_manifest__add_files(files, s->o.output_dir, s->cand, "train");
    cai_manifest__add_files(sh, s->o.output_dir, s->shortw, "short");
    cai_manifest__add_files(fl, s->o.output_dir, s->failw, "failed");
    cJSON_AddItemToObject(m, "files", files);
    cJSON_AddItemToObject(m, "short", sh);
    cJSON_AddItemToObject(m, "failed", fl);
    cJSON_AddNumberToObject(stats, "prompts", (double)s->sum.prompts);
    cJSON_AddNumberToObject(stats, "records", (double)s->sum.records);
    cJSON_AddNumberToObject(stats, "short", (double)s->sum.short_records);
    cJSON_AddNumberToObject(stats, "failed", (double)s->sum.failed);
    cJSON_AddNumberToObject(stats, "responses", (double)s->sum.responses);
    cJSON_AddNumberToObject(stats, "flagged", (double)s->sum.flagged);
    cJSON_AddItemToObject(m, "statistics", stats);
    text = cJSON_Print(m);
    cJSON_Delete(m);
    path = malloc(n);
    tmp = malloc(n + 8);
    if (!text || !path || !tmp) {
        cJSON_free(text);
        free(path);
        free(tmp);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    snprintf(path, n, "%s/manifest.json", s->o.output_dir);
    snprintf(tmp, n + 8, "%s.tmp", path);
    {
        FILE *f = fopen(tmp, "wb");

        rc = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
        rc = (f && fclose(f) == 0) && rc;
        if (rc)
            rc = rename(tmp, path) == 0;
        else
            remove(tmp);
    }
    cJSON_free(text);
    if (!rc) {
        cai_error__set(err, CAI_EIO, "%s: cannot write", path);
        free(path);
        free(tmp);
        return CAI_EIO;
    }
    /* the card: what the directory holds, for humans */
    snprintf(path, n, "%s/README.md", s->o.output_dir);
    {
        FILE *f = fopen(path, "wb");

        rc = f != NULL;
        if (f) {
            fprintf(f,
                    "---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n"
                    "    path: \"candidates*.jsonl.gz\"\n---\n\n# Sampled candidates\n\n"
                    "Written by `cai sample` (libcai %s): %" PRIu64 " prompts, %" PRIu64
                    " candidates records of %u responses each from `%s` (%s), %" PRIu64
                    " responses flagged, %" PRIu64 " prompts with fewer than two responses "
                    "(short.jsonl.gz), %" PRIu64 " failed (failed.jsonl.gz). Judge them with "
                    "`cai run -i DIR`. Settings: `%s`.\n",
                    cai_version(), s->sum.prompts, s->sum.records, s->o.n,
                    s->o.judge.model ? s->o.judge.model : "", cai_backend_name(s->o.judge.backend),
                    s->sum.flagged, s->sum.short_records, s->sum.failed, settings);
            rc = fclose(f) == 0;
        }
    }
    if (!rc)
        cai_error__set(err, CAI_EIO, "%s: cannot write", path);
    free(path);
    free(tmp);
    return rc ? CAI_OK : CAI_EIO;
}

cai_status cai_sample_execute(cai_sample *s, cai_sample_summary *sum, cai_error *err)
{
    cai_status st;
    char *settings = NULL, fp[65], *jpath = NULL;
    cai_writer_opts wo;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, s);
    if (sum)
        memset(sum, 0, sizeof(*sum));
    st = cai_judge_create(&s->judge, &s->o.judge, NULL, err);
    if (st != CAI_OK)
        return st;
    cai_judge_set_budget(s->judge, s->o.price_in, s->o.price_out, s->o.max_cost, 0);
    if ((st = cai_lines_create(&s->lines, s->o.input, 0, err)) != CAI_OK)
        goto out;
    if (s->o.dry_run) {
        while (!s->eof && (st = next_prompt(s, err)) == CAI_OK)
            ;
        s->sum.first_body = s->first_body;
        goto out;
    }
    settings = settings_json(s);
    if (!settings) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto out;
    }
    cai_sha256_hex(settings, strlen(settings), fp);
    {
        cai_outdir_opts oo;

        memset(&oo, 0, sizeof(oo));
        oo.create = 1;
        oo.force = s->o.force;
        if ((st = cai_outdir__open(&s->outdir, s->o.output_dir, &oo, err)) != CAI_OK)
            goto out;
    }
    jpath = cai__path_join(s->o.output_dir, CAI_OUTDIR_JOURNAL);
    if (!jpath) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto out;
    }
    {
        cai_journal_open_opts jo;

        memset(&jo, 0, sizeof(jo));
        jo.fingerprint = fp;
        jo.settings_json = settings;
        if ((st = cai_journal__open_ex(&s->journal, jpath, &jo, err)) != CAI_OK)
            goto out;
    }
    cai_writer_opts_init(&wo, CAI_WRITER_OPTS_VERSION);
    wo.shard_records = s->o.shard_records;
    if ((st = cai_writer_create(&s->cand, s->o.output_dir, "candidates", &wo, err)) != CAI_OK)
        goto out;
    wo.shard_records = 0;
    if ((st = cai_writer_create(&s->shortw, s->o.output_dir, "short", &wo, err)) != CAI_OK ||
        (st = cai_writer_create(&s->failw, s->o.output_dir, "failed", &wo, err)) != CAI_OK)
        goto out;
    st = loop(s, err);
    report(s);
    if (st != CAI_OK)
        goto out;
    if ((st = cai_journal__sync(s->journal, 1, err)) != CAI_OK ||
        (st = cai_writer_close(s->cand, err)) != CAI_OK ||
        (st = cai_writer_close(s->shortw, err)) != CAI_OK ||
        (st = cai_writer_close(s->failw, err)) != CAI_OK)
        goto out;
    {
        uint64_t pt = 0, ct = 0;

        (void)pt;
        (void)ct;
    }
    st = write_manifest(s, settings, err);
out:
    if (s->judge) {
        cai_judge_stats js;

        cai_judge_get_stats(s->judge, &js);
        s->sum.prompt_tokens = js.prompt_tokens;
        s->sum.completion_tokens = js.completion_tokens;
        s->sum.cost = cai_judge_spent(s->judge);
    }
    if (sum)
        *sum = s->sum;
    free(settings);
    free(jpath);
    return st;
}

void cai_sample_free(cai_sample *s)
{
    sp_prompt *p, *n;

    if (!s)
        return;
    for (p = s->head; p; p = n) {
        n = p->next;
        prompt_free(p);
    }
    cai_writer_free(s->cand);
    cai_writer_free(s->shortw);
    cai_writer_free(s->failw);
    cai_journal__free(s->journal);
    cai_outdir__free(s->outdir);
    cai_lines_free(s->lines);
    cai_judge_free(s->judge);
    free(s->first_body);
    free(s);
}

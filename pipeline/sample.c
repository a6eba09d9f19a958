/* SPDX-License-Identifier: MIT */
/* `cai sample`: prompts in, N responses each from the engine's sample requests, candidates out. */
#include "cai/sample.h"
#include "error_int.h"
#include "util_int.h"
#include "gen_records_int.h"
#include "gen_stage_int.h"
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
    cai_gstage_prompt in;  /* id, prompt JSON, turns */
    cai_gen_request *reqs; /* n_req requests share the settings; seeds differ */
    unsigned n_req, per_req, submitted, answered;
    cai_gen_text *resp; /* n responses (owned texts) */
    int failed;
    char *fail_msg;
    struct sp_prompt *next;
} sp_prompt;

struct cai_sample {
    cai_sample_opts o;
    cai_recdec dec; /* the input's lines */
    cai_judge *judge;
    cai_journal *journal;
    cai_outdir *outdir;
    cai_writer *cand, *shortw, *failw, *skipw;
    cai_lines *lines;
    sp_prompt *head, *tail, *cur; /* cur: the prompt whose requests are being submitted */
    size_t window;
    int eof;
    uint64_t lineno;
    cai_sample_summary sum;
    cai_sample_progress prog;
    char *first_body;
    int conversational; /* some input prompt is a message list: every prompt written is one */
};

static void prompt_free(sp_prompt *p)
{
    size_t i;

    if (!p)
        return;
    cai_gstage__prompt_dispose(&p->in);
    free(p->reqs);
    if (p->resp) {
        unsigned total = p->n_req * p->per_req;

        for (i = 0; i < total; i++)
            cai_gstage__text_dispose(&p->resp[i]);
    }
    free(p->resp);
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
                              "-j openai, completions or anthropic");
    s = calloc(1, sizeof(*s));
    if (!s)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    s->o = *o;
    cai_gstage__decoder_init(&s->dec);
    *out = s;
    return CAI_OK;
}

void cai_sample_stop(cai_sample *s)
{
    if (s && s->judge)
        cai_judge_stop(s->judge);
}

/* ---- prompts -------------------------------------------------------------------------- */

static cai_status parse_prompt(cai_sample *s, const char *line, sp_prompt *p, cai_error *err)
{
    cai_jval o;
    cai_status st;

    if ((st = cai_gstage__read_line(&s->dec, line, s->o.input, s->lineno, &o, err)) != CAI_OK)
        return st;
    st = cai_gstage__parse_prompt(&p->in, &s->dec, &o, s->o.input, s->lineno, err);
    if (st == CAI_OK && s->conversational)
        st = cai_gen__conversational_prompt(&p->in.prompt_json, p->in.msgs, p->in.n_msgs, err);
    return st;
}

/* ---- requests, journal ---------------------------------------------------------------- */

static uint64_t req_key(const sp_prompt *p, unsigned r)
{
    return cai_journal__key(p->in.id, "\x01sample", 0, r);
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

        g->messages = p->in.msgs;
        g->n_messages = p->in.n_msgs;
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

        cJSON_AddStringToObject(o, "id", p->in.id);
        cJSON_AddRawToObject(o, "prompt", p->in.prompt_json);
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
    /* what --skip-flagged keeps from the judge: one line each in skipped.jsonl.gz, in sample
     * order (not a list in the candidates record, empty for most prompts: see gen_records_int.h) */
    for (i = 0, st = CAI_OK; s->o.skip_flagged && st == CAI_OK && i < total; i++) {
        if (!flags[i])
            continue;
        if ((st = cai_gen__skipped_record(&line, p->in.id, i, smp[i].text, flags[i], err)) ==
            CAI_OK)
            st = cai_writer_write(s->skipw, line, strlen(line), err);
        free(line);
        line = NULL;
        s->sum.skipped += st == CAI_OK;
    }
    free(flags);
    if (st != CAI_OK) {
        free(smp);
        return st;
    }
    memset(&set, 0, sizeof(set));
    set.backend = cai_backend_name(s->o.judge.backend);
    set.model = s->o.judge.model;
    set.n = s->o.n;
    set.temperature = s->o.temperature;
    set.top_p = s->o.top_p;
    set.max_tokens = s->o.max_tokens;
    set.seed = s->o.seed;
    st = cai_gen__candidates_record(&line, p->in.id, p->in.prompt_json, smp, total, &set,
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

static cai_status flush_head(void *ctx, cai_error *err)
{
    cai_sample *s = ctx;
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
        if (cai_gstage__journal_get(s->journal, req_key(p, r), &p->resp[r * p->per_req],
                                    p->per_req) == 0) {
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

static cai_status submit(void *ctx, cai_error *err)
{
    cai_sample *s = ctx;
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

static cai_status on_completion(void *ctx, const cai_judge_completion *c, cai_error *err)
{
    cai_sample *s = ctx;
    sp_prompt *p = c->task->payload;
    unsigned r = c->task->sample, i;
    const cai_generation *g = &c->result.generation;

    p->answered++;
    if (c->status != CAI_OK || g->n_choices != p->per_req) {
        if (!p->failed) {
            p->failed = 1;
            p->fail_msg =
                cai_gstage__dup(c->message && *c->message ? c->message : "request failed");
        }
        return CAI_OK;
    }
    for (i = 0; i < p->per_req; i++)
        if (cai_gstage__text_copy(&p->resp[r * p->per_req + i], &g->choices[i]))
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
    return cai_gstage__journal_put(s->journal, req_key(p, r), "sample", p->in.id, r, g, err);
}

static void report(void *ctx)
{
    cai_sample *s = ctx;
    cai_judge_stats js;

    if (!s->o.progress)
        return;
    cai_judge_get_stats(s->judge, &js);
    s->prog.requests = js.requests;
    s->prog.retries = js.retries;
    s->prog.cost = cai_judge_spent(s->judge);
    s->o.progress(&s->prog, s->o.progress_payload);
}

static int done(void *ctx)
{
    const cai_sample *s = ctx;

    return s->eof && !s->head;
}

static const cai_gstage_ops sample_ops = {submit, on_completion, flush_head, done, report};

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
    cJSON *stats = cJSON_CreateObject();
    cai_gstage_files lists[4];
    char card[1024];

    cJSON_AddNumberToObject(stats, "prompts", (double)s->sum.prompts);
    cJSON_AddNumberToObject(stats, "records", (double)s->sum.records);
    cJSON_AddNumberToObject(stats, "short", (double)s->sum.short_records);
    cJSON_AddNumberToObject(stats, "failed", (double)s->sum.failed);
    cJSON_AddNumberToObject(stats, "responses", (double)s->sum.responses);
    cJSON_AddNumberToObject(stats, "flagged", (double)s->sum.flagged);
    cJSON_AddNumberToObject(stats, "skipped", (double)s->sum.skipped);
    lists[0].key = "files";
    lists[0].role = "train";
    lists[0].w = s->cand;
    lists[1].key = "short";
    lists[1].role = "short";
    lists[1].w = s->shortw;
    lists[2].key = "failed";
    lists[2].role = "failed";
    lists[2].w = s->failw;
    lists[3].key = "skipped";
    lists[3].role = "skipped";
    lists[3].w = s->skipw;
    snprintf(card, sizeof(card),
             "# Sampled candidates\n\n"
             "Written by `cai sample` (libcai %s): %" PRIu64 " prompts, %" PRIu64
             " candidates records of %u responses each from `%.200s` (%s), %" PRIu64
             " responses flagged (%" PRIu64 " kept from the judge: skipped.jsonl.gz), %" PRIu64
             " prompts with fewer than two responses "
             "(short.jsonl.gz), %" PRIu64 " failed (failed.jsonl.gz). Judge them with "
             "`cai run -i DIR`. Settings: `",
             cai_version(), s->sum.prompts, s->sum.records, s->o.n,
             s->o.judge.model ? s->o.judge.model : "", cai_backend_name(s->o.judge.backend),
             s->sum.flagged, s->sum.skipped, s->sum.short_records, s->sum.failed);
    {
        size_t n = strlen(card) + strlen(settings) + 8;
        char *body = malloc(n);
        cai_status st;

        if (!body) {
            cJSON_Delete(stats);
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        }
        snprintf(body, n, "%s%s`.\n", card, settings);
        st = cai_gstage__write_manifest(s->o.output_dir, "sample", "candidates", settings, lists, 4,
                                        stats, "candidates*.jsonl.gz", body, err);
        free(body);
        return st;
    }
}

cai_status cai_sample_execute(cai_sample *s, cai_sample_summary *sum, cai_error *err)
{
    cai_status st;
    char *settings = NULL;
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
    if ((st = cai_gstage__survey(&s->o.input, 1, &s->conversational, err)) != CAI_OK)
        goto out;
    settings = settings_json(s);
    if (!settings) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto out;
    }
    if ((st = cai_gstage__open(&s->outdir, &s->journal, s->o.output_dir, s->o.force, settings,
                               err)) != CAI_OK)
        goto out;
    cai_writer_opts_init(&wo, CAI_WRITER_OPTS_VERSION);
    wo.shard_records = s->o.shard_records;
    if ((st = cai_writer_create(&s->cand, s->o.output_dir, "candidates", &wo, err)) != CAI_OK)
        goto out;
    wo.shard_records = 0;
    if ((st = cai_writer_create(&s->shortw, s->o.output_dir, "short", &wo, err)) != CAI_OK ||
        (st = cai_writer_create(&s->failw, s->o.output_dir, "failed", &wo, err)) != CAI_OK ||
        (st = cai_writer_create(&s->skipw, s->o.output_dir, "skipped", &wo, err)) != CAI_OK)
        goto out;
    st = cai_gstage__loop(s->judge, s->journal, &sample_ops, s, err);
    report(s);
    if (st != CAI_OK)
        goto out;
    if ((st = cai_journal__sync(s->journal, 1, err)) != CAI_OK ||
        (st = cai_writer_close(s->cand, err)) != CAI_OK ||
        (st = cai_writer_close(s->shortw, err)) != CAI_OK ||
        (st = cai_writer_close(s->failw, err)) != CAI_OK ||
        (st = cai_writer_close(s->skipw, err)) != CAI_OK)
        goto out;
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
    cai_recdec__dispose(&s->dec);
    cai_writer_free(s->cand);
    cai_writer_free(s->shortw);
    cai_writer_free(s->failw);
    cai_writer_free(s->skipw);
    cai_journal__free(s->journal);
    cai_outdir__free(s->outdir);
    cai_lines_free(s->lines);
    cai_judge_free(s->judge);
    free(s->first_body);
    free(s);
}

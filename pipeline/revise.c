/* SPDX-License-Identifier: MIT */
/* `cai revise`: each (prompt, response) is critiqued under a sampled principle and revised,
 * --rounds times, on the engine's CRITIQUE and REVISION requests; SFT records and revision
 * pairs out. Shares its input, journal, loop and output helpers with `cai sample`. */
#include "cai/revise.h"
#include "cai/constitution.h"
#include "error_int.h"
#include "gen_records_int.h"
#include "gen_stage_int.h"
#include "hash_int.h"
#include "input_dir_int.h"
#include "revise_prompt_int.h"
#include "util_int.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RV_MAX_ROUNDS 16

/* One (prompt, response) in flight: 2 * rounds requests, each waiting for the previous. */
typedef struct rv_item {
    cai_gstage_prompt in; /* id (the record's, "#i" for the i-th response of several) */
    char *conversation;   /* the prompt as an HH transcript, for the critique prompts */
    char *original;
    const cai_principle *pr[RV_MAX_ROUNDS];
    cai_gen_text out[2 * RV_MAX_ROUNDS]; /* step 2k: round k's critique; 2k + 1: its revision */
    unsigned step;                       /* the next step without an answer */
    int ready;                           /* the request of step is built and not sent */
    int in_flight;
    int failed;
    char *fail_msg;
    char *user_text; /* the request of step */
    cai_message msg;
    cai_gen_request req;
    struct rv_item *next;
} rv_item;

struct cai_revise {
    cai_revise_opts o;
    cai_recdec dec; /* the input's lines */
    cai_constitution *c;
    size_t *eligible; /* principles with critique and revision requests */
    size_t n_eligible;
    cai_judge *judge;
    cai_journal *journal;
    cai_outdir *outdir;
    cai_writer *sft, *sftm, *pairs, *failw;
    cai_input_list inputs;
    size_t input_at;
    cai_lines *lines;
    const char *path; /* of the input being read */
    rv_item *head, *tail;
    size_t window;
    int eof;
    uint64_t lineno;
    cai_revise_summary sum;
    cai_revise_progress prog;
    char *first_body;
    int conversational; /* some input prompt is a message list: every prompt written is one */
};

static unsigned steps_of(const cai_revise *r)
{
    return 2 * r->o.rounds;
}

static void item_free(rv_item *it)
{
    unsigned i;

    if (!it)
        return;
    cai_gstage__prompt_dispose(&it->in);
    free(it->conversation);
    free(it->original);
    for (i = 0; i < 2 * RV_MAX_ROUNDS; i++)
        cai_gstage__text_dispose(&it->out[i]);
    free(it->fail_msg);
    free(it->user_text);
    free(it);
}

cai_status cai_revise_create(cai_revise **out, const cai_revise_opts *o, cai_error *err)
{
    cai_revise *r;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, out && o);
    *out = NULL;
    if (o->version != CAI_REVISE_OPTS_VERSION)
        return cai_error__set(err, CAI_EINVAL, "cai_revise_opts: unknown version %u", o->version);
    if (!o->input || (!o->output_dir && !o->dry_run) || !o->constitution)
        return cai_error__set(err, CAI_EINVAL,
                              "revise: an input, a constitution and an output directory are "
                              "needed");
    if (o->rounds < 1 || o->rounds > RV_MAX_ROUNDS)
        return cai_error__set(err, CAI_EINVAL, "revise: --rounds must be 1..%d", RV_MAX_ROUNDS);
    if (o->judge.backend == CAI_BACKEND_BUILTIN)
        return cai_error__set(err, CAI_EINVAL,
                              "revise: the builtin backend does not generate text; choose "
                              "-j openai, completions or anthropic");
    r = calloc(1, sizeof(*r));
    if (!r)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    r->o = *o;
    cai_gstage__decoder_init(&r->dec);
    *out = r;
    return CAI_OK;
}

void cai_revise_stop(cai_revise *r)
{
    if (r && r->judge)
        cai_judge_stop(r->judge);
}

/* ---- principles ---------------------------------------------------------------------------- */

/* Round k's principle: the eligible ones in an order seeded by (seed, id), so each round takes
 * a new one until all were used. */
static void pick_principles(const cai_revise *r, rv_item *it)
{
    size_t n = r->n_eligible, i, *perm = malloc(n * sizeof(*perm));
    uint64_t st = cai_hash64(it->in.id, strlen(it->in.id), r->o.seed ^ 0x72657669736505ULL);
    unsigned k;

    if (!perm) {
        for (k = 0; k < r->o.rounds; k++)
            it->pr[k] = cai_constitution_principle(r->c, r->eligible[k % n]);
        return;
    }
    memcpy(perm, r->eligible, n * sizeof(*perm));
    for (i = n; i > 1; i--) {
        size_t j = (size_t)(cai_splitmix64(&st) % i), t = perm[i - 1];

        perm[i - 1] = perm[j];
        perm[j] = t;
    }
    for (k = 0; k < r->o.rounds; k++)
        it->pr[k] = cai_constitution_principle(r->c, perm[k % n]);
    free(perm);
}

/* ---- input ---------------------------------------------------------------------------------- */

static cai_status bad(cai_revise *r, cai_error *err, const char *why)
{
    return cai_error__set(err, CAI_ESCHEMA, "%s:%" PRIu64 ": %s", r->path, r->lineno, why);
}

/* The prompt's turns as an HH transcript, without the final assistant cue. */
static char *conversation_of(const cai_gstage_prompt *p)
{
    cai_buf b = {0};
    size_t i;

    for (i = 0; i < p->n_msgs; i++) {
        const char *who = p->msgs[i].role == CAI_ROLE_USER        ? "Human"
                          : p->msgs[i].role == CAI_ROLE_ASSISTANT ? "Assistant"
                                                                  : "System";

        cai_buf__printf(&b, "\n\n%s: ", who);
        cai_buf__puts(&b, p->msgs[i].content);
    }
    return cai_buf__take(&b);
}

static void prepare(cai_revise *r, rv_item *it, cai_error *err, cai_status *st);

/* Turns one input line into items appended to the window. */
static cai_status read_record(cai_revise *r, const char *line, cai_error *err)
{
    const char *resp[CAI_GEN_MAX_CHOICES];
    size_t n, i;
    cai_status st;
    cai_jval o;

    if ((st = cai_gstage__read_line(&r->dec, line, r->path, r->lineno, &o, err)) != CAI_OK ||
        (st = cai_recdec__gen_responses(&r->dec, &o, resp, CAI_GEN_MAX_CHOICES, &n, err)) != CAI_OK)
        return st;
    if (n == 0) {
        return bad(r, err,
                   "no response to revise: expected \"response\", \"completion\", "
                   "\"responses\" (candidates), \"chosen\" or \"messages\" ending on the "
                   "assistant's turn");
    }
    r->sum.inputs++;
    for (i = 0; i < n && st == CAI_OK; i++) {
        rv_item *it = calloc(1, sizeof(*it));

        if (!it) {
            st = cai_error__set(err, CAI_ENOMEM, "out of memory");
            break;
        }
        st = cai_gstage__parse_prompt(&it->in, &r->dec, &o, r->path, r->lineno, err);
        if (st == CAI_OK && r->conversational)
            st = cai_gen__conversational_prompt(&it->in.prompt_json, it->in.msgs, it->in.n_msgs,
                                                err);
        if (st == CAI_OK && n > 1) {
            size_t len = strlen(it->in.id) + 24;
            char *id = malloc(len);

            if (id) {
                snprintf(id, len, "%s#%zu", it->in.id, i);
                free(it->in.id);
                it->in.id = id;
            } else
                st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        }
        if (st == CAI_OK) {
            it->original = cai_gstage__dup(resp[i]);
            it->conversation = conversation_of(&it->in);
            if (!it->original || !it->conversation)
                st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        }
        if (st != CAI_OK) {
            item_free(it);
            break;
        }
        pick_principles(r, it);
        r->sum.items++;
        r->sum.requests_planned += steps_of(r);
        if (r->o.dry_run) {
            if (!r->first_body) {
                prepare(r, it, err, &st);
                if (st == CAI_OK) {
                    cai_judge_task t;

                    memset(&t, 0, sizeof(t));
                    t.kind = CAI_REQUEST_CRITIQUE;
                    t.gen = &it->req;
                    st = cai_judge_request_body(r->judge, &t, &r->first_body, err);
                }
            }
            item_free(it);
            continue;
        }
        prepare(r, it, err, &st);
        if (r->tail)
            r->tail->next = it;
        else
            r->head = it;
        r->tail = it;
        r->window++;
    }
    return st;
}

/* Reads the next input line (across the input's files) into the window. */
static cai_status next_record(cai_revise *r, cai_error *err)
{
    const char *line;
    size_t len;
    cai_status st;

    for (;;) {
        if (!r->lines) {
            if (r->input_at >= r->inputs.n) {
                r->eof = 1;
                return CAI_OK;
            }
            r->path = r->inputs.paths[r->input_at++];
            if ((st = cai_lines_create(&r->lines, r->path, 0, err)) != CAI_OK)
                return st;
        }
        st = cai_lines_next(r->lines, &line, &len, &r->lineno, err);
        if (st == CAI_ITEROVER) {
            cai_lines_free(r->lines);
            r->lines = NULL;
            continue;
        }
        if (st != CAI_OK)
            return st;
        return read_record(r, line, err);
    }
}

/* ---- requests ---------------------------------------------------------------------------- */

static uint64_t step_key(const rv_item *it, unsigned step)
{
    return cai_journal__key(it->in.id, step % 2 ? "\x01revision" : "\x01critique", step / 2, 0);
}

/* The text revised in round k: the original, then each round's revision. */
static const char *revised_in(const rv_item *it, unsigned k)
{
    return k == 0 ? it->original : it->out[2 * (k - 1) + 1].text;
}

/*
 * Moves the item forward: each step the journal holds is taken from it; the first one it does
 * not hold gets its request built (ready to send). Nothing happens to a failed item or one
 * with a request in flight.
 */
static void prepare(cai_revise *r, rv_item *it, cai_error *err, cai_status *st)
{
    while (*st == CAI_OK && !it->failed && !it->in_flight && !it->ready && it->step < steps_of(r)) {
        unsigned k = it->step / 2;
        const char *before = revised_in(it, k);

        if (!r->o.dry_run && cai_gstage__journal_get(r->journal, step_key(it, it->step),
                                                     &it->out[it->step], 1) == 0) {
            r->sum.resumed++;
            r->prog.resumed++;
            it->step++;
            continue;
        }
        free(it->user_text);
        it->user_text = NULL;
        if (it->step % 2 == 0)
            *st = cai_revise__critique_prompt(&it->user_text, r->c, it->pr[k], it->conversation,
                                              before, err);
        else
            *st = cai_revise__revision_prompt(&it->user_text, r->c, it->pr[k], it->conversation,
                                              before, it->out[it->step - 1].text, err);
        if (*st != CAI_OK)
            return;
        it->msg.role = CAI_ROLE_USER;
        it->msg.content = it->user_text;
        memset(&it->req, 0, sizeof(it->req));
        it->req.messages = &it->msg;
        it->req.n_messages = 1;
        it->req.n = 1;
        it->req.seed = -1;
        it->req.temperature = r->o.temperature;
        it->req.top_p = -1;
        it->req.max_tokens = r->o.max_tokens;
        it->ready = 1;
    }
}

static cai_status submit(void *ctx, cai_error *err)
{
    cai_revise *r = ctx;
    cai_status st;
    rv_item *it = r->head;

    while (cai_judge_room(r->judge) > 0) {
        cai_judge_task t;

        while (it && !it->ready)
            it = it->next;
        if (!it) {
            if (r->eof ||
                r->window >= 4 * (size_t)(r->o.judge.concurrency ? r->o.judge.concurrency : 64))
                break;
            it = r->tail;
            if ((st = next_record(r, err)) != CAI_OK)
                return st;
            it = it ? it->next : r->head;
            continue;
        }
        memset(&t, 0, sizeof(t));
        t.kind = it->step % 2 ? CAI_REQUEST_REVISION : CAI_REQUEST_CRITIQUE;
        t.gen = &it->req;
        t.payload = it;
        t.sample = it->step;
        if ((st = cai_judge_add(r->judge, &t, err)) != CAI_OK)
            return st;
        it->ready = 0;
        it->in_flight = 1;
    }
    return CAI_OK;
}

static cai_status on_completion(void *ctx, const cai_judge_completion *c, cai_error *err)
{
    cai_revise *r = ctx;
    rv_item *it = c->task->payload;
    const cai_generation *g = &c->result.generation;
    cai_status st = CAI_OK;

    it->in_flight = 0;
    if (c->status != CAI_OK || g->n_choices != 1) {
        it->failed = 1;
        it->fail_msg = cai_gstage__dup(c->message && *c->message ? c->message : "request failed");
        r->prog.failed++;
        return CAI_OK;
    }
    if (cai_gstage__text_copy(&it->out[it->step], &g->choices[0]))
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    st = cai_gstage__journal_put(r->journal, step_key(it, it->step),
                                 it->step % 2 ? "revision" : "critique", it->in.id, it->step, g,
                                 err);
    it->step++;
    prepare(r, it, err, &st);
    return st;
}

/* ---- output -------------------------------------------------------------------------------- */

static cai_status write_line(cai_writer *w, char *line, cai_status st, cai_error *err)
{
    if (st == CAI_OK)
        st = cai_writer_write(w, line, strlen(line), err);
    free(line);
    return st;
}

static cai_status write_item(cai_revise *r, rv_item *it, cai_error *err)
{
    cai_revise_step steps[RV_MAX_ROUNDS];
    char *line = NULL, *sent;
    cai_status st;
    unsigned k;

    if (it->failed) {
        cJSON *o = cJSON_CreateObject();
        char *t;

        cJSON_AddStringToObject(o, "id", it->in.id);
        cJSON_AddRawToObject(o, "prompt", it->in.prompt_json);
        cJSON_AddStringToObject(o, "original", it->original);
        cJSON_AddStringToObject(o, "reason", it->fail_msg ? it->fail_msg : "failed");
        t = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        if (!t)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        st = cai_writer_write(r->failw, t, strlen(t), err);
        cJSON_free(t);
        r->sum.failed++;
        return st;
    }
    for (k = 0; k < r->o.rounds; k++) {
        steps[k].principle = it->pr[k]->id;
        steps[k].critique = it->out[2 * k].text;
        steps[k].revision = it->out[2 * k + 1].text;
        steps[k].revision_finish = (cai_finish)it->out[2 * k + 1].finish;
    }
    if (cai_gen__revision_flags(it->original, steps[r->o.rounds - 1].revision,
                                steps[r->o.rounds - 1].revision_finish))
        r->sum.flagged++;
    r->sum.records++;
    st = cai_gen__sft_record(&line, CAI_SFT_PROMPT_COMPLETION, it->in.id, it->in.prompt_json,
                             it->original, steps, r->o.rounds, err);
    st = write_line(r->sft, line, st, err);
    if (st != CAI_OK)
        return st;
    /* the messages file's prompt turns are the ones the policy was asked with */
    sent = strdup(it->in.prompt_json);
    st = sent ? cai_gen__conversational_prompt(&sent, it->in.msgs, it->in.n_msgs, err)
              : cai_error__set(err, CAI_ENOMEM, "out of memory");
    if (st == CAI_OK)
        st = cai_gen__sft_record(&line, CAI_SFT_MESSAGES, it->in.id, sent, it->original, steps,
                                 r->o.rounds, err);
    free(sent);
    st = write_line(r->sftm, line, st, err);
    if (st != CAI_OK)
        return st;
    st = cai_gen__revision_pair(&line, it->in.id, it->in.prompt_json, it->original, steps,
                                r->o.rounds, err);
    return write_line(r->pairs, line, st, err);
}

static int item_done(const cai_revise *r, const rv_item *it)
{
    return !it->in_flight && (it->failed || it->step == steps_of(r));
}

static cai_status flush_head(void *ctx, cai_error *err)
{
    cai_revise *r = ctx;
    cai_status st = CAI_OK;

    while (st == CAI_OK && r->head && item_done(r, r->head)) {
        rv_item *it = r->head;

        st = write_item(r, it, err);
        r->head = it->next;
        if (!r->head)
            r->tail = NULL;
        r->window--;
        r->prog.items_done++;
        item_free(it);
    }
    return st;
}

static void report(void *ctx)
{
    cai_revise *r = ctx;
    cai_judge_stats js;

    if (!r->o.progress)
        return;
    cai_judge_get_stats(r->judge, &js);
    r->prog.requests = js.requests;
    r->prog.retries = js.retries;
    r->prog.cost = cai_judge_spent(r->judge);
    r->o.progress(&r->prog, r->o.progress_payload);
}

static int done(void *ctx)
{
    const cai_revise *r = ctx;

    return r->eof && !r->head;
}

static const cai_gstage_ops revise_ops = {submit, on_completion, flush_head, done, report};

/* ---- settings, manifest, card ------------------------------------------------------------- */

static char *settings_json(const cai_revise *r)
{
    cJSON *o = cJSON_CreateObject();
    char *text;

    cJSON_AddStringToObject(o, "stage", "revise");
    cJSON_AddStringToObject(o, "backend", cai_backend_name(r->o.judge.backend));
    cJSON_AddStringToObject(o, "model", r->o.judge.model ? r->o.judge.model : "");
    cJSON_AddStringToObject(o, "constitution", cai_constitution_hash(r->c));
    cJSON_AddNumberToObject(o, "prompt_version", CAI_REVISE_PROMPT_VERSION);
    cJSON_AddNumberToObject(o, "rounds", r->o.rounds);
    cJSON_AddNumberToObject(o, "temperature", r->o.temperature);
    cJSON_AddNumberToObject(o, "max_tokens", r->o.max_tokens);
    cJSON_AddNumberToObject(o, "seed", (double)r->o.seed);
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

static cai_status write_manifest(cai_revise *r, const char *settings, cai_error *err)
{
    cJSON *stats = cJSON_CreateObject();
    cai_gstage_files lists[4] = {{"files", "train", NULL},
                                 {"sft", "sft", NULL},
                                 {"sft_messages", "sft_messages", NULL},
                                 {"failed", "failed", NULL}};
    char head[1024], *body;
    size_t n;
    cai_status st;

    lists[0].w = r->pairs;
    lists[1].w = r->sft;
    lists[2].w = r->sftm;
    lists[3].w = r->failw;
    cJSON_AddNumberToObject(stats, "inputs", (double)r->sum.inputs);
    cJSON_AddNumberToObject(stats, "items", (double)r->sum.items);
    cJSON_AddNumberToObject(stats, "records", (double)r->sum.records);
    cJSON_AddNumberToObject(stats, "flagged", (double)r->sum.flagged);
    cJSON_AddNumberToObject(stats, "failed", (double)r->sum.failed);
    snprintf(head, sizeof(head),
             "# Critiques and revisions (SL-CAI)\n\n"
             "Written by `cai revise` (libcai %s): %" PRIu64 " responses, each critiqued and "
             "revised %u time(s) by `%.200s` (%s) under principles of the constitution %.64s; "
             "%" PRIu64 " records (%" PRIu64 " with a flagged final revision), %" PRIu64
             " failed (failed.jsonl.gz). `sft*.jsonl.gz`: TRL prompt/completion; "
             "`sft_messages*.jsonl.gz`: messages; `pairs*.jsonl.gz`: the revision chosen over "
             "the original (`label_source: revision`), which `cai run -i DIR` re-judges. "
             "Settings: `",
             cai_version(), r->sum.items, r->o.rounds, r->o.judge.model ? r->o.judge.model : "",
             cai_backend_name(r->o.judge.backend), cai_constitution_hash(r->c), r->sum.records,
             r->sum.flagged, r->sum.failed);
    n = strlen(head) + strlen(settings) + 8;
    body = malloc(n);
    if (!body) {
        cJSON_Delete(stats);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    snprintf(body, n, "%s%s`.\n", head, settings);
    st = cai_gstage__write_manifest(r->o.output_dir, "revise", "pairs", settings, lists, 4, stats,
                                    "sft.jsonl.gz", body, err);
    free(body);
    return st;
}

static cai_status load_constitution(cai_revise *r, cai_error *err)
{
    size_t i, n;
    cai_status st = cai_constitution_load(&r->c, r->o.constitution, err);

    if (st != CAI_OK)
        return st;
    n = cai_constitution_count(r->c);
    r->eligible = calloc(n ? n : 1, sizeof(*r->eligible));
    if (!r->eligible)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    for (i = 0; i < n; i++)
        if (cai_revise__eligible(cai_constitution_principle(r->c, i)))
            r->eligible[r->n_eligible++] = i;
    if (r->n_eligible == 0)
        return cai_error__set(err, CAI_EINVAL,
                              "%s: no principle has both a \"critique\" and a \"revision\" "
                              "request, which cai revise needs",
                              r->o.constitution);
    return CAI_OK;
}

/* A `cai sample` directory's shards as its manifest promises them (as `cai run -i DIR` checks),
 * before anything is sent: a shard changed since is named, and nothing is paid for or written. */
static cai_status check_shards(const cai_revise *r, cai_error *err)
{
    size_t i;
    cai_status st;

    for (i = 0; i < r->inputs.n; i++) {
        char hex[65];
        uint64_t bytes = 0;

        if (!r->inputs.sha256[i])
            continue;
        if ((st = cai_sha256_file(r->inputs.paths[i], hex, &bytes, err)) != CAI_OK ||
            (st = cai_input_dir__check(&r->inputs, i, hex, bytes, err)) != CAI_OK)
            return st;
    }
    return CAI_OK;
}

cai_status cai_revise_execute(cai_revise *r, cai_revise_summary *sum, cai_error *err)
{
    cai_status st;
    char *settings = NULL;
    cai_writer_opts wo;
    const char *in[1];

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, r);
    if (sum)
        memset(sum, 0, sizeof(*sum));
    if ((st = load_constitution(r, err)) != CAI_OK)
        goto out;
    st = cai_judge_create(&r->judge, &r->o.judge, NULL, err);
    if (st != CAI_OK)
        goto out;
    cai_judge_set_budget(r->judge, r->o.price_in, r->o.price_out, r->o.max_cost, 0);
    in[0] = r->o.input;
    if ((st = cai_input_dir__expand(&r->inputs, in, 1, r->o.output_dir, err)) != CAI_OK ||
        (st = check_shards(r, err)) != CAI_OK)
        goto out;
    if (r->o.dry_run) {
        while (!r->eof && (st = next_record(r, err)) == CAI_OK)
            ;
        r->sum.first_body = r->first_body;
        goto out;
    }
    if ((st = cai_gstage__survey((const char *const *)r->inputs.paths, r->inputs.n,
                                 &r->conversational, err)) != CAI_OK)
        goto out;
    settings = settings_json(r);
    if (!settings) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto out;
    }
    if ((st = cai_gstage__open(&r->outdir, &r->journal, r->o.output_dir, r->o.force, settings,
                               err)) != CAI_OK)
        goto out;
    cai_writer_opts_init(&wo, CAI_WRITER_OPTS_VERSION);
    wo.shard_records = r->o.shard_records;
    if ((st = cai_writer_create(&r->sft, r->o.output_dir, "sft", &wo, err)) != CAI_OK ||
        (st = cai_writer_create(&r->sftm, r->o.output_dir, "sft_messages", &wo, err)) != CAI_OK ||
        (st = cai_writer_create(&r->pairs, r->o.output_dir, "pairs", &wo, err)) != CAI_OK)
        goto out;
    wo.shard_records = 0;
    if ((st = cai_writer_create(&r->failw, r->o.output_dir, "failed", &wo, err)) != CAI_OK)
        goto out;
    st = cai_gstage__loop(r->judge, r->journal, &revise_ops, r, err);
    report(r);
    if (st != CAI_OK)
        goto out;
    if ((st = cai_journal__sync(r->journal, 1, err)) != CAI_OK ||
        (st = cai_writer_close(r->sft, err)) != CAI_OK ||
        (st = cai_writer_close(r->sftm, err)) != CAI_OK ||
        (st = cai_writer_close(r->pairs, err)) != CAI_OK ||
        (st = cai_writer_close(r->failw, err)) != CAI_OK)
        goto out;
    st = write_manifest(r, settings, err);
out:
    if (r->judge) {
        cai_judge_stats js;

        cai_judge_get_stats(r->judge, &js);
        r->sum.prompt_tokens = js.prompt_tokens;
        r->sum.completion_tokens = js.completion_tokens;
        r->sum.cost = cai_judge_spent(r->judge);
    }
    if (sum)
        *sum = r->sum;
    free(settings);
    return st;
}

void cai_revise_free(cai_revise *r)
{
    rv_item *it, *n;

    if (!r)
        return;
    for (it = r->head; it; it = n) {
        n = it->next;
        item_free(it);
    }
    cai_recdec__dispose(&r->dec);
    cai_writer_free(r->sft);
    cai_writer_free(r->sftm);
    cai_writer_free(r->pairs);
    cai_writer_free(r->failw);
    cai_journal__free(r->journal);
    cai_outdir__free(r->outdir);
    cai_lines_free(r->lines);
    cai_input_dir__dispose(&r->inputs);
    cai_judge_free(r->judge);
    cai_constitution_free(r->c);
    free(r->eligible);
    free(r->first_body);
    free(r);
}

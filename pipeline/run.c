/* SPDX-License-Identifier: MIT */
/*
 * The batch labelling job. Only this file knows every stage: reader -> plan -> judge -> agg ->
 * writer, with the journal as the source of truth. Invariant: everything that decides a label is a
 * pure function of (input record, settings, seed); records leave in input order through a bounded
 * reorder window, so output bytes do not depend on concurrency, completion order or resumption.
 */
#include "cai/run.h"
#include "cai/constitution.h"
#include "hash_int.h"
#include "idset_int.h"
#include "input_dir_int.h"
#include "cai/prompt.h"
#include "cai/validate.h"
#include "cai/writer.h"
#include "cai/calibrate.h"
#include "error_int.h"
#include "util_int.h"
#include "wire_int.h"
#include "journal_int.h"
#include "batch_int.h"
#include "run_int.h"
#include "outdir_int.h"
#include "opts_int.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define PLAN_VERSION 1

/* ---- types ------------------------------------------------------------------------------- */

typedef struct result {
    cai_status st;
    double p_first;
    unsigned prompt_tokens, completion_tokens;
    unsigned char verdict, from_logprobs, done, replayed;
    char *errmsg;
} result;

typedef struct pending pending;

typedef struct task_ref {
    pending *p;
    unsigned t;
} task_ref;

/* One pair in the reorder window, with owned copies of its texts. */
struct pending {
    void *block; /* context[] and every text below but cands[2..] (one allocation a pair) */
    char *id;
    cai_message *context;
    size_t n_context;
    char *prompt_text; /* the input's string prompt when rendering would not give it back */
    char *resp[2];     /* response_a, response_b */
    int human;         /* index (0/1) of the human-preferred response, -1 none */
    char *meta_json;
    char *file;
    uint64_t line;
    int id_from_input;
    int msg_list; /* the prompt was a message list (or an HH transcript): no string to keep */
    int hh;       /* read from an hh line */
    size_t input; /* index of its input file */
    const char *invalid; /* why the pair cannot be judged (static text), or NULL */
    size_t principles[64];
    size_t n_principles;
    unsigned n_tasks, next_task, n_done;
    result *res;
    task_ref *refs;
    /* --mode rating: one pending per input record (see "rating mode" below) */
    char **cands;     /* the record's responses; [0] and [1] alias resp[] for a 2-response record */
    size_t n_cands;   /* 0 in choice mode */
    size_t *rslot;    /* rating slot -> index in cands (blank responses are not rated) */
    size_t n_rslot;   /* rated responses */
    uint64_t n_pairs; /* pairs derived from the record (i < j, input order; --limit may cut) */
    double rating[2]; /* a derived pair's mean scores of resp[0], resp[1] */
};

struct cai_run {
    cai_judge_endpoint_stats *ep_stats; /* the summary's per-endpoint counts */
    cai_buf rec;                        /* the output record being written (record_line) */
    cai_run_opts o;
    cai_constitution *c;
    cai_calibrate *cal; /* --calibration: applied to P(A) as records are written, else NULL */
    cai_judge *judge;
    cai_journal *journal;
    cai_outdir *outdir; /* the lock on the output directory */
    volatile sig_atomic_t stop;
    size_t idset_cap; /* the survey's id set: fingerprints in memory (CAI_IDSET_MEM_CAP) */

    /* input */
    cai_input_list in; /* o.inputs with each output directory replaced by its shards */
    cai_reader *reader;
    size_t input_idx;
    const cai_record *cand; /* a candidates record being expanded */
    size_t cand_i, cand_j;
    uint64_t pairs_read;
    int input_done;
    char *skip_msg[CAI_RUN_SKIPPED_KEPT]; /* the first skipped input lines, "FILE:LINE: reason" */
    size_t n_skip_msg;

    /* window */
    pending **ring;
    size_t cap, head, cur, tail; /* monotonically increasing; index % cap */

    /* output */
    cai_writer *train, *test, *failed, *ties;
    char *data_dir;
    cai_run_tally tally;

    /* counters */
    unsigned n_orders, n_samples, k;
    int uniform; /* all principle weights equal */
    cai_run_summary s;
    uint64_t pairs_total, judgments_total, judgments_done;
    int rating;             /* --mode rating: pendings are records, tasks are ratings */
    uint64_t pairs_flushed; /* pairs written out (rating mode: several per pending) */
    int any_msg_list; /* some pair's prompt is a message list: --format auto is conversational */
    uint64_t judge_ok, judge_failed;
    uint64_t first_wins, first_total;
    uint64_t agree, agree_total;
    uint64_t pos_a, longer, longer_total;
    double p_sum;
    uint64_t replayed_pt, replayed_ct;        /* tokens of judgments taken from the journal */
    uint64_t n_lp, n_text, n_trunc, n_reason; /* over every judgment stored, replayed included */
    cai_health_counts health, *health_pr, *health_in; /* total, per principle, per input */
    double t0, last_progress, last_fsync;
    double spent_before; /* USD: what the journal's entries cost when the run began */

    /* shards (docs/scale.md) */
    uint64_t pairs_outside;     /* pairs of other shards: read and validated, not judged */
    cai_journal **mj;           /* cai merge: the journal of shard i, by shard index */
    unsigned mcount;            /* cai merge: the number of shards */
    cai_merge_reasons *reasons; /* cai merge: failed pairs' reasons, from every shard */
    cai_batch *batch;           /* --batch: the provider batches of this run (run_batch below) */
    uint64_t merge_tokens[3];   /* cai merge: the shards' prompt, completion, cached tokens */
};

/* ---- options ---------------------------------------------------------------------------- */

cai_status cai_run_opts_init(cai_run_opts *o, unsigned version)
{
    if (!o || version != CAI_RUN_OPTS_VERSION)
        return CAI_EINVAL;
    memset(o, 0, sizeof(*o));
    o->version = version;
    o->judge = CAI_JUDGE_OPTS_INIT;
    o->principles_per_pair = 1;
    o->samples = 1;
    o->format = CAI_OUT_AUTO;
    o->test_fraction = 0.1;
    o->max_failure_rate = 0.01;
    o->shard_records = 100000;
    o->progress_interval_s = 1.0;
    o->batch_wait_s = -1;
    return CAI_OK;
}

/* ---- pending pairs ---------------------------------------------------------------------- */

static void pending_free(pending *p)
{
    size_t i;

    if (!p)
        return;
    free(p->block);
    if (p->res)
        for (i = 0; i < p->n_tasks; i++)
            free(p->res[i].errmsg);
    free(p->res);
    free(p->refs);
    for (i = 2; i < p->n_cands; i++)
        free(p->cands[i]);
    free(p->cands);
    free(p->rslot);
    free(p);
}

static int blank(const char *s)
{
    for (; *s; s++)
        if (!strchr(" \t\r\n\v\f", *s))
            return 0;
    return 1;
}

static char *xstrdup(const char *s)
{
    return strdup(s ? s : "");
}

/*
 * The principles for one pair: K by weight without replacement, seeded by (seed, pair id). With
 * one principle from equal weights the index is FNV-1a32("SEED:ID") mod n: uniform, and the
 * exact rule of the benchmark's peer implementations, so their labels can be compared one to one.
 */
static size_t sample_principles(const cai_run *r, const char *id, size_t *out)
{
    size_t n = cai_constitution_count(r->c), i;
    char buf[640];
    int len;

    if (r->k == 1 && r->uniform) {
        len = snprintf(buf, sizeof(buf), "%llu:%s", (unsigned long long)r->o.seed, id);
        if (len > 0 && (size_t)len < sizeof(buf)) {
            out[0] = cai_fnv1a32(buf, (size_t)len) % n;
            return 1;
        }
    }
    i = cai_constitution_sample(r->c, cai_hash64(id, strlen(id), r->o.seed ^ 0x7072696eULL), r->k,
                                out);
    return i;
}

/* Copies rec (responses ra, rb) into a new pending pair and plans its judgments. */
/* Gives p n_tasks result slots, each with the back-reference a judge task carries: 0, or -1 when
 * out of memory (p keeps what it had to free). */
static int set_tasks(pending *p, unsigned n_tasks)
{
    task_ref *refs = calloc(n_tasks ? n_tasks : 1, sizeof(*refs));
    result *res = calloc(n_tasks ? n_tasks : 1, sizeof(*res));
    unsigned i;

    if (!refs || !res) {
        free(refs);
        free(res);
        return -1;
    }
    free(p->res);
    free(p->refs);
    p->res = res;
    p->refs = refs;
    p->n_tasks = n_tasks;
    for (i = 0; i < n_tasks; i++) {
        refs[i].p = p;
        refs[i].t = i;
    }
    return 0;
}

/* Copies s (NULL as "") to *at and moves *at past its NUL. */
static char *put_text(char **at, const char *s, size_t n)
{
    char *t = *at;

    memcpy(t, s ? s : "", n);
    t[n] = '\0';
    *at += n + 1;
    return t;
}

static cai_status pending_make(cai_run *r,
                               pending **out,
                               const cai_record *rec,
                               const char *id,
                               size_t ra,
                               size_t rb,
                               cai_error *err)
{
    pending *p = calloc(1, sizeof(*p));
    const char *meta = rec->meta_json ? rec->meta_json : "{}", *prompt = NULL;
    const char *ta, *tb;
    size_t n_id = strlen(id), n_meta = strlen(meta), n_file = rec->file ? strlen(rec->file) : 0;
    size_t n_prompt = 0, n_a, n_b, ctx_bytes, total, i;
    uint64_t seed;
    char *at;
    int flip;

    *out = NULL;
    if (!p)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    /*
     * Human-labelled inputs list the preferred response first. Which slot becomes response_a is
     * decided by a coin flip per pair, so neither the judge (without swap) nor the position
     * statistics see the human label through the order.
     */
    seed = cai_hash64(id, n_id, r->o.seed);
    flip = rec->human_choice >= 0 && ((seed >> 17) & 1);
    ta = rec->responses[flip ? rb : ra];
    tb = rec->responses[flip ? ra : rb];
    n_a = ta ? strlen(ta) : 0;
    n_b = tb ? strlen(tb) : 0;
    /* A string prompt goes to trl output byte for byte; it needs its own copy only when it was
     * a transcript (the usual plain prompt is the single context turn itself). */
    if (rec->prompt_text &&
        !(rec->n_context == 1 && strcmp(rec->context[0].content, rec->prompt_text) == 0))
        n_prompt = strlen(prompt = rec->prompt_text);

    /* Every text a pair keeps goes in one block behind its context array: a pair costs one
     * allocation instead of one per text. */
    ctx_bytes = (rec->n_context ? rec->n_context : 1) * sizeof(*p->context);
    total = ctx_bytes + n_id + n_meta + n_file + n_prompt + n_a + n_b + 6; /* 6 NULs */
    for (i = 0; i < rec->n_context; i++)
        total += strlen(rec->context[i].content ? rec->context[i].content : "") + 1;
    if (!(p->block = malloc(total)))
        goto oom;
    p->context = p->block;
    at = (char *)p->block + ctx_bytes;
    p->id = put_text(&at, id, n_id);
    p->meta_json = put_text(&at, meta, n_meta);
    p->file = put_text(&at, rec->file, n_file);
    p->n_context = rec->n_context;
    for (i = 0; i < rec->n_context; i++) {
        const char *t = rec->context[i].content;

        p->context[i].role = rec->context[i].role;
        p->context[i].content = put_text(&at, t, t ? strlen(t) : 0);
    }
    if (prompt)
        p->prompt_text = put_text(&at, prompt, n_prompt);
    p->resp[0] = put_text(&at, ta, n_a);
    p->resp[1] = put_text(&at, tb, n_b);

    p->id_from_input = rec->id_from_input;
    p->msg_list = rec->prompt_text == NULL;
    p->hh = rec->format == CAI_FORMAT_HH;
    p->input = r->input_idx;
    p->line = rec->line;
    p->human = -1;
    if (rec->human_choice == (int)ra)
        p->human = flip ? 1 : 0;
    else if (rec->human_choice == (int)rb)
        p->human = flip ? 0 : 1;

    /* A pair with an empty or duplicated response is not worth paying a judge for, and a dataset
     * holding it would fail validation: it is listed in failed.jsonl.gz with the reason. */
    if (blank(p->resp[0]) || blank(p->resp[1]))
        p->invalid = "a response is empty or whitespace-only";
    else if (n_a == n_b && memcmp(p->resp[0], p->resp[1], n_a) == 0)
        p->invalid = "the two responses are identical";
    if (!p->invalid)
        p->n_principles = sample_principles(r, id, p->principles);
    if (set_tasks(p, (unsigned)(p->n_principles * r->n_orders * r->n_samples)) != 0)
        goto oom;
    *out = p;
    return CAI_OK;
oom:
    pending_free(p);
    return cai_error__set(err, CAI_ENOMEM, "out of memory");
}

/* Task index t -> (principle slot, order, sample). */
static void task_coords(const cai_run *r, unsigned t, size_t *k, unsigned *order, unsigned *sample)
{
    if (r->rating) {
        /* (rating slot, principle, sample); "order" 2 + slot keeps rating keys and journal
         * lines apart from choice ones (orders 0 and 1) and names the response rated */
        *sample = t % r->n_samples;
        *k = (t / r->n_samples) % r->k;
        *order = 2 + t / (r->n_samples * r->k);
        return;
    }
    *sample = t % r->n_samples;
    *order = (t / r->n_samples) % r->n_orders;
    *k = t / (r->n_samples * r->n_orders);
}

static uint64_t task_key(const cai_run *r, const pending *p, unsigned t)
{
    size_t k;
    unsigned order, sample;

    task_coords(r, t, &k, &order, &sample);
    return cai_journal__key(p->id, cai_constitution_principle(r->c, p->principles[k])->id, order,
                            sample);
}

static void task_fill(const cai_run *r, pending *p, unsigned t, cai_judge_task *out)
{
    size_t k;
    unsigned order, sample;

    task_coords(r, t, &k, &order, &sample);
    memset(out, 0, sizeof(*out));
    out->cmp.context = p->context;
    out->cmp.n_context = p->n_context;
    out->cmp.principle = cai_constitution_principle(r->c, p->principles[k]);
    if (r->rating) {
        out->cmp.first = p->cands[p->rslot[order - 2]]; /* shown alone: no second response */
    } else {
        out->cmp.first = p->resp[order];
        out->cmp.second = p->resp[1 - order];
    }
    out->sample = sample;
    out->payload = &p->refs[t];
}

/* ---- input ------------------------------------------------------------------------------ */

/*
 * A line skipped with skip_invalid. The survey pass (no writers yet) only counts it; the real pass
 * lists it in failed.jsonl.gz (id null: the line gave none) and keeps the first few for the
 * summary.
 */
static cai_status
on_skip(const char *path, uint64_t line, const char *reason, cai_error *err, void *payload)
{
    cai_run *r = payload;
    cJSON *o;
    char *text;
    cai_status st;

    if (r->n_skip_msg < CAI_RUN_SKIPPED_KEPT) {
        size_t n = strlen(path) + strlen(reason) + 32;
        if ((r->skip_msg[r->n_skip_msg] = malloc(n)) != NULL)
            snprintf(r->skip_msg[r->n_skip_msg++], n, "%s:%llu: %s", path, (unsigned long long)line,
                     reason);
    }
    if (!r->failed)
        return CAI_OK;
    o = cJSON_CreateObject();
    if (!o)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    cJSON_AddNullToObject(o, "id");
    cJSON_AddStringToObject(o, "file", path);
    cJSON_AddNumberToObject(o, "line", (double)line);
    cJSON_AddStringToObject(o, "reason", reason);
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    st = cai_writer_write(r->failed, text, strlen(text), err);
    cJSON_free(text);
    return st;
}

/* Opens the next input file when the current one is exhausted. CAI_ITEROVER at the end. */
static cai_status next_record(cai_run *r, const cai_record **rec, cai_error *err)
{
    cai_status st;

    for (;;) {
        if (!r->reader) {
            cai_reader_opts ro = CAI_READER_OPTS_INIT;
            if (r->input_idx >= r->o.n_inputs)
                return CAI_ITEROVER;
            ro.format = r->o.input_format;
            ro.skip_invalid = r->o.skip_invalid;
            ro.on_skip = on_skip;
            ro.skip_payload = r;
            st = cai_reader_create(&r->reader, r->o.inputs[r->input_idx], &ro, err);
            if (st != CAI_OK)
                return st;
        }
        st = cai_reader_next(r->reader, rec, err);
        if (st != CAI_ITEROVER)
            return st;
        if (!cai_reader_records(r->reader) && !cai_reader_skipped(r->reader))
            return cai_error__set(err, CAI_EPARSE, "%s: empty input (no records)",
                                  r->o.inputs[r->input_idx]);
        r->s.skipped_input += cai_reader_skipped(r->reader);
        cai_reader_free(r->reader);
        r->reader = NULL;
        r->input_idx++;
    }
}

/* The pair (cand_i, cand_j) of a candidates record, with id "ID#I-J" built at any id length. */
static cai_status
pending_make_cand(cai_run *r, pending **out, const cai_record *rec, cai_error *err)
{
    size_t n = strlen(rec->id) + 2 * 3 * sizeof(size_t) + 3;
    char *id = malloc(n);
    cai_status st;

    *out = NULL;
    if (!id)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    snprintf(id, n, "%s#%zu-%zu", rec->id, r->cand_i, r->cand_j);
    st = pending_make(r, out, rec, id, r->cand_i, r->cand_j, err);
    free(id);
    return st;
}

/*
 * Rating mode plans per record, not per pair: each response is rated alone against each of the
 * record's K principles (sampled by the record id), S samples each, so a record of N responses
 * costs N * K * S requests and every pair (i, j) of it is derived from those ratings when all are
 * in (finish_rating). A 2-response record keeps pending_make's slots (the coin flip of human-
 * labelled inputs included) and its id; a candidates record gives the pairs "ID#i-j" of choice
 * mode, in the same order.
 */
static cai_status rating_make(cai_run *r, pending **out, const cai_record *rec, cai_error *err)
{
    size_t n = rec->n_responses, i;
    uint64_t all = (uint64_t)n * (n - 1) / 2;
    pending *p;
    cai_status st;

    if (n > 4096)
        return cai_error__set(err, CAI_ESCHEMA,
                              "%s:%llu: --mode rating rates at most 4096 responses per record",
                              rec->file, (unsigned long long)rec->line);
    st = pending_make(r, out, rec, rec->id, 0, 1, err);
    if (st != CAI_OK)
        return st;
    p = *out;
    p->cands = calloc(n, sizeof(*p->cands));
    p->rslot = calloc(n, sizeof(*p->rslot));
    if (!p->cands || !p->rslot)
        goto oom;
    p->n_cands = 2;
    p->cands[0] = p->resp[0];
    p->cands[1] = p->resp[1];
    for (i = 2; i < n; i++, p->n_cands++)
        if (!(p->cands[i] = xstrdup(rec->responses[i])))
            goto oom;
    if (n > 2)
        p->human = -1; /* a human label names one response of a pair, not of a candidate list */
    p->invalid = NULL; /* decided per derived pair */
    p->n_principles = sample_principles(r, p->id, p->principles);
    p->n_pairs = all;
    if (r->o.limit && all > r->o.limit - r->pairs_read)
        p->n_pairs = r->o.limit - r->pairs_read;
    /* --limit may cut the record after pair (0, m): then only responses 0..m are rated */
    for (i = 0; i < (p->n_pairs >= n - 1 ? n : p->n_pairs + 1); i++)
        if (!blank(p->cands[i]))
            p->rslot[p->n_rslot++] = i;
    if (set_tasks(p, (unsigned)(p->n_rslot * p->n_principles * r->n_samples)) != 0)
        goto oom;
    return CAI_OK;
oom:
    pending_free(p);
    *out = NULL;
    return cai_error__set(err, CAI_ENOMEM, "out of memory");
}

/* Produces the next pair (expanding candidates into all pairs i < j). */
static cai_status next_pair(cai_run *r, pending **out, cai_error *err)
{
    cai_status st;

    *out = NULL;
    if (r->o.limit && r->pairs_read >= r->o.limit)
        return CAI_ITEROVER;
    for (;;) {
        if (r->cand && r->rating) {
            const cai_record *rec = r->cand; /* valid until the next record is read */
            r->cand = NULL;
            st = rating_make(r, out, rec, err);
            if (st == CAI_OK)
                r->pairs_read += (*out)->n_pairs;
            return st;
        }
        if (r->cand) {
            const cai_record *rec = r->cand;
            if (rec->n_responses == 2) {
                r->cand = NULL;
                st = pending_make(r, out, rec, rec->id, 0, 1, err);
            } else {
                if (++r->cand_j >= rec->n_responses) {
                    r->cand_i++;
                    r->cand_j = r->cand_i + 1;
                }
                if (r->cand_j >= rec->n_responses) {
                    r->cand = NULL;
                    continue;
                }
                st = pending_make_cand(r, out, rec, err);
            }
            if (st == CAI_OK)
                r->pairs_read++;
            return st;
        }
        st = next_record(r, &r->cand, err);
        if (st != CAI_OK) {
            r->cand = NULL;
            return st;
        }
        r->cand_i = 0;
        r->cand_j = 0; /* pre-incremented to 1 for candidates */
    }
}

/* ---- output ----------------------------------------------------------------------------- */

/*
 * The prompt as trl output shows it: the pair's own string when it has one (borrowed; *owned
 * stays NULL), else the context rendered into *owned (caller frees). NULL when out of memory.
 */
static const char *prompt_text(const pending *p, char **owned)
{
    *owned = NULL;
    if (p->prompt_text)
        return p->prompt_text;
    if (p->n_context == 1 && p->context[0].role == CAI_ROLE_USER &&
        strncmp(p->context[0].content, "\n\nHuman:", 8) != 0)
        return p->context[0].content;
    return *owned = cai_prompt_render_context(p->context, p->n_context);
}

/*
 * A kept record is written straight into a text buffer rather than built as a cJSON tree and
 * printed (that was a tenth of the event-loop thread's CPU). The bytes are exactly those
 * cJSON_PrintUnformatted wrote before, so datasets do not change: keys in the same order, no
 * spaces, strings as cai_wire__put_cjson_str escapes them.
 */
static void put_json_str(cai_buf *b, const char *s)
{
    cai_wire__put_cjson_str(b, s);
}

/* sep then "key": (sep is "," or "" for an object's first member) */
static void put_key(cai_buf *b, const char *sep, const char *key)
{
    cai_buf__puts(b, sep);
    put_json_str(b, key);
    cai_buf__put(b, ":", 1);
}

static void put_messages(cai_buf *b, const cai_message *m, size_t n)
{
    size_t i;

    cai_buf__put(b, "[", 1);
    for (i = 0; i < n; i++) {
        put_key(b, i ? ",{" : "{", "role");
        put_json_str(b, cai_role_name(m[i].role));
        put_key(b, ",", "content");
        put_json_str(b, m[i].content);
        cai_buf__put(b, "}", 1);
    }
    cai_buf__put(b, "]", 1);
}

static char *hh_transcript(const pending *p, const char *reply)
{
    char *ctx = cai_prompt_render_context(p->context, p->n_context);
    size_t n;
    char *out;

    if (!ctx)
        return NULL;
    n = strlen(ctx) + strlen(reply) + 16;
    out = malloc(n);
    if (out)
        snprintf(out, n, "%s\n\nAssistant: %s", ctx, reply);
    free(ctx);
    return out;
}

/*
 * The three strings of a trl record, so that prompt + chosen is the text a trainer should see
 * (TRL and OpenRLHF join the columns with no separator):
 * - a string prompt from the input (pairs, candidates, trl) and its responses stay byte for byte;
 * - a context without one (hh transcripts, message lists) is rendered as an HH transcript that
 *   ends with the assistant cue "\n\nAssistant:", and each response gets a leading space: HH-RLHF's
 *   own convention, so for hh input prompt + chosen is the original chosen transcript.
 * *owned collects what must be freed (caller frees each); returns 0, or -1 when out of memory.
 */
static int trl_texts(const pending *p, int chosen, const char *out[3], char *owned[3])
{
    size_t i;

    owned[0] = owned[1] = owned[2] = NULL;
    out[1] = p->resp[chosen];
    out[2] = p->resp[1 - chosen];
    if (!p->msg_list) {
        out[0] = prompt_text(p, &owned[0]);
        return out[0] ? 0 : -1;
    }
    {
        cai_message *ctx = malloc((p->n_context + 1) * sizeof(*ctx));
        if (!ctx)
            return -1;
        memcpy(ctx, p->context, p->n_context * sizeof(*ctx));
        ctx[p->n_context].role = CAI_ROLE_ASSISTANT;
        ctx[p->n_context].content = "";
        /* the empty assistant turn renders as the bare cue "\n\nAssistant: "; drop its space */
        owned[0] = cai_prompt_render_context(ctx, p->n_context + 1);
        free(ctx);
        if (owned[0] && owned[0][0] && owned[0][strlen(owned[0]) - 1] == ' ')
            owned[0][strlen(owned[0]) - 1] = '\0';
    }
    for (i = 1; i < 3; i++) {
        size_t n = strlen(out[i]) + 2;
        if ((owned[i] = malloc(n)) != NULL)
            snprintf(owned[i], n, " %s", out[i]);
    }
    if (!owned[0] || !owned[1] || !owned[2]) {
        for (i = 0; i < 3; i++)
            free(owned[i]);
        return -1;
    }
    for (i = 0; i < 3; i++)
        out[i] = owned[i];
    return 0;
}

/* A number with six decimals: enough for a derived quantity, and easy to read. */
static void put_fixed(cai_buf *b, const char *k, double v)
{
    put_key(b, ",", k);
    cai_buf__printf(b, "%.6f", v);
}

/*
 * The shortest text that reads back as the same double: the soft label loses nothing, and the
 * same double always prints the same bytes. A decimal point is kept ("1.0") so every value in
 * the column is a float to pyarrow and pandas.
 */
static void exact_text(double v, char tmp[40])
{
    cai__format_double(v, tmp);
    if (!strpbrk(tmp, ".eEn"))
        strcat(tmp, ".0");
}

static void add_exact(cJSON *o, const char *k, double v)
{
    char tmp[40];

    exact_text(v, tmp);
    cJSON_AddRawToObject(o, k, tmp);
}

static void put_exact(cai_buf *b, const char *k, double v)
{
    char tmp[40];

    exact_text(v, tmp);
    put_key(b, ",", k);
    cai_buf__puts(b, tmp);
}

/*
 * Per record, so that `cai stats` and `cai validate` can measure position bias by the order the
 * judge saw (not only the input slot) and the share of text verdicts: judgments won by the
 * response shown first / second, and judgments whose probability came from a text verdict.
 * Always present, always integers, so the schema is the same for every record.
 */
static void put_shown_counts(const cai_run *r, const pending *p, cai_buf *b)
{
    unsigned t, first = 0, second = 0, text = 0;

    for (t = 0; t < p->n_tasks; t++) {
        /* a rating shows one response: no position wins (p_first holds the score) */
        first += !r->rating && p->res[t].p_first > 0.5;
        second += !r->rating && p->res[t].p_first < 0.5;
        text += !p->res[t].from_logprobs;
    }
    cai_buf__printf(b, ",\"first_shown_wins\":%u,\"second_shown_wins\":%u,\"text_judgments\":%u",
                    first, second, text);
}

/*
 * cai.principle_p_chosen: for each principle of the pair, in the order of cai.principles, the
 * probability that the chosen response is better under that principle alone. Choice runs: the
 * mean of its judgments over both orders (un-swapped) and samples, summed in task order, so the
 * mean of the list is p_chosen before any calibration. Rating runs: the label rule applied to
 * that principle's mean scores. Always a list of floats, so `cai route --by principles` can read
 * how the principles split.
 */
static void put_principle_p(const cai_run *r, const pending *p, int chosen, int judged, cai_buf *b)
{
    double sum[64] = {0}, sb[64] = {0};
    unsigned cnt[64] = {0}, t;
    size_t k, kk;
    unsigned order, sample;

    put_key(b, ",", "principle_p_chosen");
    cai_buf__put(b, "[", 1);
    if (r->rating) { /* res: the K x S ratings of resp[0] in (principle, sample) order, then resp[1]
                      */
        unsigned per = p->n_tasks / 2;
        for (t = 0; t < per; t++) {
            kk = t / r->n_samples;
            sum[kk] += p->res[t].p_first;
            sb[kk] += p->res[per + t].p_first;
            cnt[kk]++;
        }
    } else {
        for (t = 0; t < p->n_tasks; t++) {
            task_coords(r, t, &kk, &order, &sample);
            sum[kk] += order == 0 ? p->res[t].p_first : 1.0 - p->res[t].p_first;
            cnt[kk]++;
        }
    }
    for (k = 0; k < p->n_principles && k < 64; k++) {
        double pa = 0.5, c;
        char tmp[40];
        if (cnt[k] && r->rating) {
            double scale = r->o.rating_scale > 0 ? r->o.rating_scale : 1.0;
            pa = 1.0 / (1.0 + exp(-(sum[k] - sb[k]) / cnt[k] / scale));
        } else if (cnt[k]) {
            pa = sum[k] / cnt[k];
        }
        /* relative to the side the judge chose, then turned if a calibration moved the label:
         * the same arithmetic as `cai calibrate` applied to the written record */
        c = judged == 0 ? pa : 1.0 - pa;
        if (chosen != judged)
            c = 1.0 - c;
        exact_text(c, tmp);
        if (k)
            cai_buf__put(b, ",", 1);
        cai_buf__puts(b, tmp);
    }
    cai_buf__put(b, "]", 1);
}

/* Serialises one kept pair in the chosen output format into b (emptied first): 0, or -1 when
 * out of memory. b is the run's, reused from record to record. */
static int record_line(const cai_run *r,
                       cai_buf *b,
                       const pending *p,
                       int chosen,
                       int judged,
                       double p_chosen,
                       int agree,
                       const char **principle_ids,
                       size_t n_ids)
{
    const char *ch = p->resp[chosen], *rj = p->resp[1 - chosen];
    double pc = p_chosen > 1.0 - 1e-6 ? 1.0 - 1e-6 : p_chosen;
    char *text = NULL;
    size_t i;

    b->len = 0;
    b->oom = 0;
    switch (r->o.format) {
    case CAI_OUT_AUTO: /* resolved before the first record */
    case CAI_OUT_TRL: {
        const char *t[3];
        char *owned[3];
        if (trl_texts(p, chosen, t, owned) != 0)
            return -1;
        put_key(b, "{", "prompt");
        put_json_str(b, t[0]);
        put_key(b, ",", "chosen");
        put_json_str(b, t[1]);
        put_key(b, ",", "rejected");
        put_json_str(b, t[2]);
        for (i = 0; i < 3; i++)
            free(owned[i]);
        break;
    }
    case CAI_OUT_CONVERSATIONAL: {
        cai_message m = {CAI_ROLE_ASSISTANT, ch};
        put_key(b, "{", "prompt");
        put_messages(b, p->context, p->n_context);
        put_key(b, ",", "chosen");
        put_messages(b, &m, 1);
        m.content = rj;
        put_key(b, ",", "rejected");
        put_messages(b, &m, 1);
        break;
    }
    case CAI_OUT_HH:
        text = hh_transcript(p, ch);
        put_key(b, "{", "chosen");
        put_json_str(b, text ? text : "");
        free(text);
        text = hh_transcript(p, rj);
        put_key(b, ",", "rejected");
        put_json_str(b, text ? text : "");
        break;
    }
    free(text);
    put_exact(b, "p_chosen", p_chosen);
    /* TRL's RewardTrainer subtracts `margin` inside the logistic loss (see cai_margin_mode). */
    if (r->o.margin != CAI_MARGIN_NONE) {
        double m = log(pc / (1.0 - pc));
        if (r->o.margin == CAI_MARGIN_CAPPED && m > r->o.margin_cap)
            m = r->o.margin_cap;
        put_fixed(b, "margin", m);
    }
    put_key(b, ",", "id");
    put_json_str(b, p->id);
    put_key(b, ",", "cai");
    put_key(b, "{", "chosen_position");
    put_json_str(b, chosen == 0 ? "a" : "b");
    put_key(b, ",", "orders_agree");
    cai_buf__puts(b, agree < 0 ? "null" : agree ? "true" : "false");
    put_key(b, ",", "principles");
    for (i = 0; i < n_ids; i++) {
        cai_buf__put(b, i ? "," : "[", 1);
        put_json_str(b, principle_ids[i]);
    }
    cai_buf__puts(b, n_ids ? "]" : "[]");
    put_principle_p(r, p, chosen, judged, b);
    cai_buf__printf(b, ",\"judgments\":%u", p->n_tasks);
    /* Every record has every key with one JSON type, labelled or not: Arrow fixes a
     * column's type from the first block it reads (see the README, "One schema"). */
    put_key(b, ",", "has_human_label");
    cai_buf__puts(b, p->human >= 0 ? "true" : "false");
    put_key(b, ",", "human_chosen_position");
    put_json_str(b, p->human < 0 ? "" : p->human == 0 ? "a" : "b");
    put_key(b, ",", "agrees_with_human");
    cai_buf__puts(b, p->human >= 0 && p->human == chosen ? "true" : "false");
    put_shown_counts(r, p, b);
    if (r->rating) {
        /* only in rating runs, so every record of a dataset has the same keys */
        put_exact(b, "rating_chosen", p->rating[chosen]);
        put_exact(b, "rating_rejected", p->rating[1 - chosen]);
    }
    cai_buf__put(b, "}", 1);
    /* The input's other fields as one JSON text: their types vary between inputs, a string
     * column does not; the reader keeps each value's original bytes (numbers included). */
    put_key(b, ",", "metadata");
    put_json_str(b, p->meta_json);
    cai_buf__put(b, "}", 1);
    return b->oom ? -1 : 0;
}

static int in_test_split(const cai_run *r, const pending *p)
{
    char *owned;
    const char *text;
    uint64_t h;

    if (r->o.test_fraction <= 0)
        return 0;
    text = prompt_text(p, &owned);
    if (!text)
        return 0;
    /* Seed-independent: the same prompt lands in the same split in every run and format. */
    h = cai_hash64(text, strlen(text), 0x73706c6974ULL);
    free(owned);
    return (double)(h >> 11) / 9007199254740992.0 < r->o.test_fraction;
}

/* The shard (0..count-1) of a pair: a hash of the same prompt text the split uses. */
static unsigned pair_shard(const pending *p, unsigned count)
{
    char *owned;
    const char *text = prompt_text(p, &owned);
    unsigned s = cai_shard_of(text ? text : "", count);

    free(owned);
    return s;
}

static int in_this_shard(const cai_run *r, const pending *p)
{
    return r->o.shard.count <= 1 || pair_shard(p, r->o.shard.count) == r->o.shard.index;
}

/* One line of failed.jsonl.gz or ties.jsonl.gz naming pair p: its id and where it was read,
 * p_response_a when p_a is a number (a tie), and the reason. */
static cai_status
write_side_line(cai_writer *w, const pending *p, double p_a, const char *reason, cai_error *err)
{
    cJSON *o = cJSON_CreateObject();
    char *line;
    cai_status st;

    if (!o)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    cJSON_AddStringToObject(o, "id", p->id);
    cJSON_AddStringToObject(o, "file", p->file);
    cJSON_AddNumberToObject(o, "line", (double)p->line);
    if (!isnan(p_a))
        add_exact(o, "p_response_a", p_a);
    cJSON_AddStringToObject(o, "reason", reason);
    line = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!line)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    st = cai_writer_write(w, line, strlen(line), err);
    cJSON_free(line);
    return st;
}

static cai_status write_failed(cai_run *r, const pending *p, const char *reason, cai_error *err)
{
    cai_status st = write_side_line(r->failed, p, NAN, reason, err);

    if (p->invalid)
        r->s.unjudgeable++;
    else
        r->s.failed++;
    if (r->tally.input_failed)
        r->tally.input_failed[p->input]++;
    return st;
}

/* A dropped tie goes to ties.jsonl.gz, so every pair read is in some file. */
static cai_status write_tie(cai_run *r, const pending *p, double p_a, cai_error *err)
{
    return write_side_line(r->ties, p, p_a, "tie", err);
}

/* The manifest's counts for one kept pair. */
static void tally_kept(cai_run *r, const pending *p, int chosen, double p_chosen)
{
    cai_run_tally *t = &r->tally;
    long bin = lround((p_chosen - 0.5) * 1e4);
    size_t k;

    if (!t->p_bins)
        return;
    t->p_bins[bin < 0 ? 0 : bin >= CAI_TALLY_BINS ? CAI_TALLY_BINS - 1 : bin]++;
    if (r->s.pairs_kept == 1 || p_chosen < t->p_min)
        t->p_min = p_chosen;
    if (r->s.pairs_kept == 1 || p_chosen > t->p_max)
        t->p_max = p_chosen;
    for (k = 0; k < p->n_principles; k++)
        t->principle_kept[p->principles[k]]++;
    t->input_kept[p->input]++;
    (void)chosen; /* agreement with human labels is counted once, by health_outcome */
}

/* ---- judge health ------------------------------------------------------------------------ */

/* The counters a pair adds to: the total, each of its principles', its input's. */
static size_t health_targets(cai_run *r, const pending *p, cai_health_counts **out)
{
    size_t n = 0, k;

    out[n++] = &r->health;
    if (r->health_in && p->input < r->o.n_inputs)
        out[n++] = &r->health_in[p->input];
    for (k = 0; r->health_pr && k < p->n_principles; k++)
        out[n++] = &r->health_pr[p->principles[k]];
    return n;
}

/* Judgment-level counts of a finished pair: where each probability came from, which shown
 * position won, whether the two orders agreed. */
static void health_judgments(cai_run *r, const pending *p)
{
    unsigned t;

    for (t = 0; t < p->n_tasks; t++) {
        const result *x = &p->res[t];
        size_t kk;
        unsigned order, sample;
        cai_health_counts *pr, *in;
        cai_health_counts d;

        memset(&d, 0, sizeof(d));
        task_coords(r, t, &kk, &order, &sample);
        d.judgments = 1;
        if (x->st != CAI_OK) {
            d.failed = 1;
        } else {
            d.from_logprobs = x->from_logprobs != 0;
            d.from_text = x->from_logprobs == 0;
            d.first_wins = !r->rating && x->p_first > 0.5;
            d.second_wins = !r->rating && x->p_first < 0.5;
            if (r->n_orders == 2 && order == 0 && p->res[t + r->n_samples].st == CAI_OK) {
                double a0 = x->p_first, a1 = 1.0 - p->res[t + r->n_samples].p_first;
                d.order_n = 1;
                d.order_agree = (a0 > 0.5 && a1 > 0.5) || (a0 < 0.5 && a1 < 0.5);
            }
        }
        cai_health_counts_add(&r->health, &d);
        in = r->health_in && p->input < r->o.n_inputs ? &r->health_in[p->input] : NULL;
        pr = r->health_pr ? &r->health_pr[p->principles[kk]] : NULL;
        if (in)
            cai_health_counts_add(in, &d);
        if (pr)
            cai_health_counts_add(pr, &d);
    }
}

/* Pair-level counts: |P(A) - 0.5|, ties, agreement with the human label, length. */
static void health_outcome(cai_run *r, const pending *p, double p_a, int tie, int kept)
{
    cai_health_counts *tg[66], d;
    size_t n = health_targets(r, p, tg), i, bin;
    int chosen = p_a >= 0.5 ? 0 : 1;
    size_t l0 = strlen(p->resp[0]), l1 = strlen(p->resp[1]);

    memset(&d, 0, sizeof(d));
    d.pairs = 1;
    d.ties = tie != 0;
    d.kept = kept != 0;
    bin = (size_t)(fabs(p_a - 0.5) / 0.5 * CAI_HEALTH_BINS);
    d.margin_hist[bin < CAI_HEALTH_BINS ? bin : CAI_HEALTH_BINS - 1] = 1;
    if (!tie && p->human >= 0) {
        d.human_n = 1;
        d.human_agree = p->human == chosen;
    }
    if (!tie && l0 != l1) {
        d.longer_n = 1;
        d.longer = (chosen == 0 ? l0 : l1) > (chosen == 0 ? l1 : l0);
    }
    for (i = 0; i < n; i++)
        cai_health_counts_add(tg[i], &d);
}

/* The verdict on this run's counts, with the settings that decide which checks apply. */
static cai_health_opts health_opts(const cai_run *r)
{
    cai_health_opts o = CAI_HEALTH_OPTS_INIT;

    o.swap = r->n_orders == 2; /* never in rating mode: no order, no position checks */
    /* as the judge asked: a reasoning model, CoT mode or Anthropic give text verdicts on purpose */
    o.logprobs_requested = r->judge ? cai_judge_asks_logprobs(r->judge) : 0;
    return o;
}

static cai_status
write_labelled(cai_run *r, const pending *p, double p_a, int agree, cai_error *err);
static cai_status finish_rating(cai_run *r, pending *p, cai_error *err);

/* Aggregates a finished pair and writes it where it belongs. */
static cai_status finish_pair(cai_run *r, pending *p, cai_error *err)
{
    double sum = 0, p_a;
    unsigned t, agree_all = 1;
    int agree;

    if (r->rating)
        return finish_rating(r, p, err);
    if (r->tally.input_pairs)
        r->tally.input_pairs[p->input]++;
    if (p->invalid)
        return write_failed(r, p, p->invalid, err);
    health_judgments(r, p);
    for (t = 0; t < p->n_tasks; t++) {
        if (p->res[t].st != CAI_OK)
            return write_failed(r, p, p->res[t].errmsg ? p->res[t].errmsg : "judgment failed", err);
    }
    r->s.pairs_judged++;
    /* Sum in task order (principle, order, sample) so the mean is bit-identical every run. */
    for (t = 0; t < p->n_tasks; t++) {
        size_t kk;
        unsigned order, sample;
        task_coords(r, t, &kk, &order, &sample);
        sum += order == 0 ? p->res[t].p_first : 1.0 - p->res[t].p_first;
        if (p->res[t].p_first != 0.5) {
            r->first_total++;
            r->first_wins += p->res[t].p_first > 0.5;
        }
        if (r->n_orders == 2 && order == 0) {
            double a0 = p->res[t].p_first, a1 = 1.0 - p->res[t + r->n_samples].p_first;
            int same = (a0 > 0.5 && a1 > 0.5) || (a0 < 0.5 && a1 < 0.5);
            r->agree_total++;
            r->agree += (uint64_t)same;
            agree_all &= (unsigned)same;
        }
    }
    p_a = sum / p->n_tasks;
    agree = r->n_orders == 2 ? (int)agree_all : -1;
    return write_labelled(r, p, p_a, agree, err);
}

/* Writes a judged pair with P(A) = p_a: a tie to ties.jsonl.gz (unless kept), else a record. */
static cai_status
write_labelled(cai_run *r, const pending *p, double p_a, int agree, cai_error *err)
{
    const char *ids[64];
    double p_chosen;
    int chosen, judged;
    cai_writer *w;
    cai_status st;
    size_t k;

    for (k = 0; k < p->n_principles; k++)
        ids[k] = cai_constitution_principle(r->c, p->principles[k])->id;

    if (fabs(p_a - 0.5) <= r->o.min_margin) {
        r->s.ties++;
        if (r->tally.input_ties)
            r->tally.input_ties[p->input]++;
        health_outcome(r, p, p_a, 1, r->o.keep_ties);
        if (!r->o.keep_ties)
            return write_tie(r, p, p_a, err);
    } else {
        health_outcome(r, p, p_a, 0, 1);
    }
    chosen = judged = p_a >= 0.5 ? 0 : 1;
    if (r->cal) {
        /* As `cai calibrate` rewrites a record: ties are decided on the judge's P(A) above,
         * exactly 0.5 keeps its side. The journal and the judge-health counts keep the judge's
         * own numbers, so a resume or another calibration starts from them. */
        double pa = cai_calibrate_apply(r->cal, chosen == 0 ? p_a : 1.0 - (1.0 - p_a));
        chosen = pa > 0.5 ? 0 : pa < 0.5 ? 1 : chosen;
        p_a = pa;
    }
    p_chosen = chosen == 0 ? p_a : 1.0 - p_a;
    if (record_line(r, &r->rec, p, chosen, judged, p_chosen, agree, ids, p->n_principles) != 0)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    w = in_test_split(r, p) ? r->test : r->train;
    st = cai_writer_write(w, r->rec.data, r->rec.len, err);
    if (st != CAI_OK)
        return st;
    r->s.pairs_kept++;
    if (w == r->test)
        r->s.test++;
    else
        r->s.train++;
    r->pos_a += chosen == 0;
    if (strlen(p->resp[0]) != strlen(p->resp[1])) {
        r->longer_total++;
        r->longer += strlen(p->resp[chosen]) > strlen(p->resp[1 - chosen]);
    }
    r->p_sum += p_chosen;
    tally_kept(r, p, chosen, p_chosen);
    return CAI_OK;
}

/* ---- rating mode: pairs from ratings ----------------------------------------------------- */

/* The rating slot of response ci of the record, or -1 when it was not rated (blank). */
static long rating_slot_of(const pending *p, size_t ci)
{
    size_t s;

    for (s = 0; s < p->n_rslot; s++)
        if (p->rslot[s] == ci)
            return (long)s;
    return -1;
}

/*
 * One derived pair q, whose res holds the K x S ratings of resp[0] then those of resp[1], in
 * task order. Label: P(A) = 1 / (1 + exp(-(mean_A - mean_B) / s)), s = --rating-scale (1): a
 * one-point difference on the 1..7 scale gives 0.73, two points 0.88; equal means are a tie.
 */
static cai_status finish_rated_pair(cai_run *r, pending *q, cai_error *err)
{
    unsigned t, per = q->n_tasks / 2;
    double sa = 0, sb = 0, scale = r->o.rating_scale > 0 ? r->o.rating_scale : 1.0, p_a;

    if (r->tally.input_pairs)
        r->tally.input_pairs[q->input]++;
    if (q->invalid)
        return write_failed(r, q, q->invalid, err);
    for (t = 0; t < q->n_tasks; t++)
        if (q->res[t].st != CAI_OK)
            return write_failed(r, q, q->res[t].errmsg ? q->res[t].errmsg : "rating failed", err);
    r->s.pairs_judged++;
    /* Sum in task order (principle, sample) so the means are bit-identical every run. */
    for (t = 0; t < per; t++) {
        sa += q->res[t].p_first;
        sb += q->res[per + t].p_first;
    }
    q->rating[0] = sa / per;
    q->rating[1] = sb / per;
    p_a = 1.0 / (1.0 + exp(-(q->rating[0] - q->rating[1]) / scale));
    return write_labelled(r, q, p_a, -1, err);
}

/* Writes every pair of a rated record (i < j, input order), each from the two ratings. */
static cai_status finish_rating(cai_run *r, pending *p, cai_error *err)
{
    unsigned per = (unsigned)p->n_principles * r->n_samples;
    result *two = calloc(2 * per + 1, sizeof(*two));
    char idbuf[600];
    uint64_t n = 0;
    size_t i, j;
    cai_status st = CAI_OK;

    if (!two)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    health_judgments(r, p); /* each rating counted once, not once per pair it serves */
    for (i = 0; st == CAI_OK && i < p->n_cands && n < p->n_pairs; i++) {
        for (j = i + 1; st == CAI_OK && j < p->n_cands && n < p->n_pairs; j++, n++) {
            pending q = *p; /* a view: borrows p's texts, freed with p */
            long sa = rating_slot_of(p, i), sb = rating_slot_of(p, j);
            if (p->n_cands > 2) {
                snprintf(idbuf, sizeof(idbuf), "%s#%zu-%zu", p->id, i, j);
                q.id = idbuf;
            }
            q.resp[0] = p->cands[i];
            q.resp[1] = p->cands[j];
            q.res = two;
            q.n_tasks = 0;
            if (sa < 0 || sb < 0)
                q.invalid = "a response is empty or whitespace-only";
            else if (strcmp(q.resp[0], q.resp[1]) == 0)
                q.invalid = "the two responses are identical";
            else {
                memcpy(two, p->res + (size_t)sa * per, per * sizeof(*two));
                memcpy(two + per, p->res + (size_t)sb * per, per * sizeof(*two));
                q.n_tasks = 2 * per;
            }
            st = finish_rated_pair(r, &q, err);
            r->pairs_flushed++;
        }
    }
    free(two);
    return st;
}

/* Emits every finished pair at the head of the window, in input order. */
static cai_status flush_head(cai_run *r, cai_error *err)
{
    cai_status st;

    while (r->head < r->tail) {
        pending *p = r->ring[r->head % r->cap];
        if (p->n_done < p->n_tasks)
            break;
        st = finish_pair(r, p, err);
        pending_free(p);
        r->ring[r->head % r->cap] = NULL;
        r->head++;
        if (st != CAI_OK)
            return st;
    }
    return CAI_OK;
}

/* ---- progress and journal sync ---------------------------------------------------------- */

/* Estimated USD: cached prompt tokens at their own price when one is given. */
static double cost_of(const cai_run *r, uint64_t prompt, uint64_t cached, uint64_t completion)
{
    double in = r->o.price_input_per_mtok;
    double cin = r->o.price_cached_input_per_mtok > 0 ? r->o.price_cached_input_per_mtok : in;

    if (cached > prompt)
        cached = prompt;
    return ((double)(prompt - cached) * in + (double)cached * cin +
            (double)completion * r->o.price_output_per_mtok) /
           1e6;
}

static void report(cai_run *r, int final)
{
    cai_run_progress pr;
    cai_judge_stats js;
    double t = cai__mono_s();

    if (!r->o.progress)
        return;
    if (!final && t - r->last_progress < r->o.progress_interval_s)
        return;
    r->last_progress = t;
    memset(&pr, 0, sizeof(pr));
    cai_judge_get_stats(r->judge, &js);
    pr.pairs_total = r->pairs_total;
    pr.pairs_done = r->rating ? r->pairs_flushed : r->head;
    pr.judgments_total = r->judgments_total;
    pr.judgments_done = r->judgments_done;
    pr.judgments_replayed = r->s.judgments_replayed;
    pr.retries = js.retries;
    pr.failures = r->judge_failed;
    pr.prompt_tokens = js.prompt_tokens + r->replayed_pt;
    pr.completion_tokens = js.completion_tokens + r->replayed_ct;
    pr.cost = cost_of(r, pr.prompt_tokens, js.cached_tokens, pr.completion_tokens);
    pr.elapsed_s = t - r->t0;
    pr.rate =
        pr.elapsed_s > 0 ? (double)(r->judgments_done - r->s.judgments_replayed) / pr.elapsed_s : 0;
    pr.final = final;
    r->o.progress(&pr, r->o.progress_payload);
}

/*
 * Every finished judgment reaches the kernel at once (a write, no fsync), so SIGKILL loses
 * nothing that was paid for; fsync every 2 s bounds what a power loss could cost.
 */
static cai_status journal_sync(cai_run *r, cai_error *err)
{
    double t = cai__mono_s();
    int durable = t - r->last_fsync >= 2.0;
    cai_status st = cai_journal__sync(r->journal, durable, err);

    if (durable)
        r->last_fsync = t;
    return st;
}

/* ---- the run's loop: tasks in, completions out ----------------------------------------- */

static void store(cai_run *r, pending *p, unsigned t, const cai_jentry *e)
{
    result *res = &p->res[t];

    res->st = CAI_OK;
    res->p_first = e->p_first;
    res->verdict = e->verdict;
    res->from_logprobs = e->from_logprobs;
    res->prompt_tokens = e->prompt_tokens;
    res->completion_tokens = e->completion_tokens;
    res->done = 1;
    p->n_done++;
    r->judgments_done++;
    r->n_lp += e->from_logprobs != 0;
    r->n_text += e->from_logprobs == 0;
    r->n_trunc += e->truncated != 0;
    r->n_reason += e->reasoning_tokens;
}

/* ---- cai merge --------------------------------------------------------------------------- */

/*
 * The journal entry of task t: this run's journal first (a resumed merge), else, in a merge,
 * the journal of the shard that owns the pair, copied into this run's journal so the merged
 * directory resumes like an unsharded run's.
 */
static cai_status
find_entry(cai_run *r, pending *p, unsigned t, const cai_jentry **out, cai_error *err)
{
    uint64_t key = task_key(r, p, t);
    const cai_jentry *e = cai_journal__find(r->journal, key);
    size_t k;
    unsigned order, sample;
    cai_status st;

    *out = e;
    if (e || !r->mj)
        return CAI_OK;
    e = cai_journal__find(r->mj[pair_shard(p, r->mcount)], key);
    if (!e)
        return CAI_OK;
    task_coords(r, t, &k, &order, &sample);
    st = cai_journal__add(r->journal, e, p->id,
                          cai_constitution_principle(r->c, p->principles[k])->id, order, sample,
                          err);
    if (st == CAI_OK)
        st = journal_sync(r, err);
    if (st == CAI_OK)
        *out = e;
    return st;
}

/* A judgment that no shard journal holds: its pair must be in the shard's failed.jsonl.gz,
 * with the reason the merged file repeats; otherwise the shard is incomplete. */
static cai_status merge_failed(cai_run *r, pending *p, unsigned t, cai_error *err)
{
    const char *why = cai_run__reason(r->reasons, p->id);
    result *rs = &p->res[t];

    if (!why)
        return cai_error__set(err, CAI_EINVAL,
                              "merge: %s:%llu: pair \"%s\" has no judgment in shard %u "
                              "and is not in its failed.jsonl.gz: the shard is incomplete",
                              p->file, (unsigned long long)p->line, p->id,
                              pair_shard(p, r->mcount));
    rs->st = CAI_EHTTP;
    rs->done = 1;
    if (!(rs->errmsg = strdup(why)))
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    p->n_done++;
    r->judgments_done++;
    r->judge_failed++;
    return CAI_OK;
}

/*
 * The next task to send. On the way it replays what the journal (in a merge: the shard's
 * journal) already answers, reads input into the window, and writes finished pairs out when
 * the window is full. *got: 1 with *out filled; 0 when nothing can be sent now (the window
 * waits for its head pair, the input is done, the run is stopping). An input that cannot be
 * read is kept in *in_st/in_err and ends the feeding only: the requests in flight are still
 * answered and journaled before the run ends with it.
 */
static cai_status next_task(
    cai_run *r, cai_judge_task *out, int *got, cai_status *in_st, cai_error *in_err, cai_error *err)
{
    cai_status st;

    *got = 0;
    for (;;) {
        if (r->stop || *in_st != CAI_OK)
            return CAI_OK;
        if (r->cur < r->head)
            r->cur = r->head; /* pairs finished and flushed while cur still pointed at them */
        while (r->cur < r->tail) {
            pending *p = r->ring[r->cur % r->cap];
            while (p->next_task < p->n_tasks) {
                unsigned t = p->next_task++;
                const cai_jentry *e;

                st = find_entry(r, p, t, &e, err);
                if (st != CAI_OK)
                    return st;
                if (e) {
                    store(r, p, t, e);
                    p->res[t].replayed = 1;
                    r->s.judgments_replayed++;
                    r->replayed_pt += e->prompt_tokens;
                    r->replayed_ct += e->completion_tokens;
                    continue;
                }
                if (r->mj) {
                    /* cai merge sends nothing: a judgment no shard holds failed there */
                    st = merge_failed(r, p, t, err);
                    if (st != CAI_OK)
                        return st;
                    continue;
                }
                task_fill(r, p, t, out);
                r->s.judgments_sent++;
                *got = 1;
                return CAI_OK;
            }
            r->cur++;
        }
        report(r, 0);
        if (r->input_done)
            return CAI_OK;
        if (r->tail - r->head >= r->cap) {
            /* Finished pairs are written out by the loop while requests are in flight; only a
             * full window makes it happen here. */
            st = flush_head(r, err);
            if (st != CAI_OK)
                return st;
            if (r->tail - r->head >= r->cap)
                return CAI_OK; /* wait for the head pair's judgments */
        }
        {
            pending *p = NULL;
            st = next_pair(r, &p, in_err);
            if (st == CAI_ITEROVER) {
                r->input_done = 1;
                continue;
            }
            if (st != CAI_OK) {
                r->input_done = 1;
                *in_st = st;
                return CAI_OK;
            }
            if (!in_this_shard(r, p)) {
                r->pairs_outside += r->rating ? p->n_pairs : 1;
                pending_free(p);
                continue;
            }
            r->ring[r->tail % r->cap] = p;
            r->tail++;
        }
    }
}

/*
 * Takes one completion into its pair: an answer is journaled (written to the kernel) before
 * anything else happens, so that the engine's next perform, which may give its capacity to
 * another request, comes after it (the durability promise).
 */
static cai_status record(cai_run *r, const cai_judge_completion *c, cai_error *err)
{
    task_ref *ref = c->task->payload;
    pending *p = ref->p;
    const cai_judgment *res = &c->result.judgment;
    size_t k;
    unsigned order, sample;
    cai_status st;

    if (c->status == CAI_OK) {
        cai_jentry e;
        memset(&e, 0, sizeof(e));
        e.key = task_key(r, p, ref->t);
        e.p_first = r->rating ? res->score : res->p_first; /* rating: 1..7 */
        e.verdict = (unsigned char)res->verdict;
        e.from_logprobs = (unsigned char)res->from_logprobs;
        e.prompt_tokens = res->prompt_tokens;
        e.completion_tokens = res->completion_tokens;
        e.truncated = (unsigned char)(res->truncated != 0);
        e.reasoning_tokens = res->reasoning_tokens;
        task_coords(r, ref->t, &k, &order, &sample);
        st = cai_journal__add(r->journal, &e, p->id,
                              cai_constitution_principle(r->c, p->principles[k])->id, order, sample,
                              err);
        if (st == CAI_OK)
            st = journal_sync(r, err);
        if (st != CAI_OK)
            return st;
        store(r, p, ref->t, &e);
        r->judge_ok++;
    } else {
        result *rs = &p->res[ref->t];
        const char *why = c->message[0] ? c->message : cai_strerror(c->status);

        rs->st = c->status;
        rs->done = 1;
        rs->errmsg = strdup(why);
        if (!rs->errmsg)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        p->n_done++;
        r->judgments_done++;
        r->judge_failed++;
        /* A judge that fails everything from the start is misconfigured or down: stop early
         * rather than burn through the whole input. */
        if (r->judge_ok == 0 && r->judge_failed >= 3)
            return cai_error__set(err, c->status, "the judge failed its first %llu requests: %s",
                                  (unsigned long long)r->judge_failed, why);
    }
    return CAI_OK;
}

/*
 * The run's loop, and the only place that feeds the engine: tasks in while there is room,
 * completions out one by one into the journal, finished pairs to the writers while requests are
 * out, progress, then wait. It ends with CAI_OK only when the input is consumed and every task
 * has been answered; *from_judge says the engine ended it (stop, the judge's health, budget).
 */
static cai_status judge_loop(cai_run *r, int *from_judge, cai_error *err)
{
    cai_judge *j = r->judge;
    cai_status st, in_st = CAI_OK;
    cai_error in_err = {0}, jerr = {0};

    *from_judge = 0;
    for (;;) {
        const cai_judge_completion *c;
        size_t room = cai_judge_room(j), nread = 0;
        int got = 1;

        while (room > 0 && got) {
            cai_judge_task t;

            st = next_task(r, &t, &got, &in_st, &in_err, err);
            if (st != CAI_OK)
                return st;
            if (got) {
                if ((st = cai_judge_add(j, &t, err)) != CAI_OK)
                    return st;
                room--;
            }
        }
        if (cai_judge_pending(j) == 0 && cai_judge_room(j) > 0) {
            /* Nothing in the engine and nothing more could be added. */
            if (in_st != CAI_OK)
                return cai_error__set(err, in_st, "%s", in_err.msg);
            if (r->stop)
                return cai_error__set(err, CAI_EINTERRUPTED, "interrupted");
            if (r->input_done && r->cur >= r->tail)
                return CAI_OK;
            return cai_error__set(err, CAI_EINVAL,
                                  "internal: %zu pairs wait for judgments, none is in flight and "
                                  "none can be sent (input %s)",
                                  r->tail - r->head,
                                  r->input_done ? "read" : "not read to the end");
        }
        st = cai_judge_perform(j, NULL, &jerr);
        while ((c = cai_judge_read(j)) != NULL) {
            nread++;
            if (record(r, c, err) != CAI_OK)
                return err->code;
        }
        if (st == CAI_OK) {
            /* Requests are on the wire: write finished pairs (gzip is most of cai's CPU) while
             * they are out, then wait for the network or the engine's next timer. */
            cai_status ws = flush_head(r, err);

            if (ws != CAI_OK)
                return ws;
            report(r, 0);
            if (nread == 0)
                st = cai_judge_wait(j, 200, &jerr);
        }
        if (st != CAI_OK) {
            *from_judge = 1;
            return cai_error__set(err, st, "%s", jerr.msg);
        }
    }
}

/* Judgment sources and truncation, over every judgment stored (replayed ones included). */
static void summarise_sources(cai_run *r)
{
    r->s.logprobs_requested = cai_judge_asks_logprobs(r->judge);
    r->s.judgments_from_logprobs = r->n_lp;
    r->s.judgments_from_text = r->n_text;
    r->s.judgments_failed = r->judge_failed;
    r->s.judgments_truncated = r->n_trunc;
    r->s.reasoning_tokens = r->n_reason;
}

/* ---- spending and the judge's health ---------------------------------------------------- */

/* The cap covers the whole journal: what earlier runs paid for counts against it too. */
static void set_budget(cai_run *r)
{
    uint64_t pt, ct;

    cai_journal__tokens(r->journal, &pt, &ct);
    r->spent_before = cost_of(r, pt, 0, ct); /* the journal keeps no cached-token counts */
    cai_judge_set_budget(r->judge, r->o.price_input_per_mtok, r->o.price_output_per_mtok,
                         r->o.max_cost, r->spent_before);
}

/* Requests sent and answered, counted apart (a dead judge leaves many sent, few answered). */
static void judge_totals(cai_run *r)
{
    cai_judge_stats js;

    cai_judge_get_stats(r->judge, &js);
    r->s.requests = js.requests;
    r->s.judgments_answered = r->judge_ok;
    r->s.timeouts = js.timeouts;
    r->s.spent = r->spent_before + cai_judge_spent(r->judge);
}

/* Says how to go on when the judge's health or the spending cap ended the run. */
static void explain_judge_stop(cai_run *r, cai_status st, cai_error *err)
{
    char msg[sizeof(err->msg)];
    size_t in_journal = cai_journal__count(r->journal);

    if (st == CAI_EBUDGET) {
        snprintf(msg, sizeof(msg),
                 "stopped at the spending cap: about $%.4f of --max-cost $%.4f spent over the "
                 "journal ($%.4f this run); %zu judgments are in the journal: run the same "
                 "command with a higher --max-cost to continue",
                 r->s.spent, r->o.max_cost, r->s.spent - r->spent_before, in_journal);
    } else if ((st == CAI_ETRANSPORT || st == CAI_EHTTP) && in_journal > 0) {
        snprintf(msg, sizeof(msg),
                 "%.300s; the journal keeps the %zu judgments answered so far: run the same "
                 "command to resume once the judge is back",
                 err->msg, in_journal);
    } else
        return;
    cai_error__clear(err);
    cai_error__set(err, st, "%s", msg);
}

/* ---- planning pass and fingerprint ----------------------------------------------------- */

/* Puts the reader back before the first input line, as the real pass needs it. */
static void survey_rewind(cai_run *r)
{
    while (r->n_skip_msg > 0) /* the real pass lists them again */
        free(r->skip_msg[--r->n_skip_msg]);
    cai_reader_free(r->reader);
    r->reader = NULL;
    r->input_idx = 0;
    r->cand = NULL;
    r->s.skipped_input = 0;
    r->pairs_read = 0;
    r->pairs_outside = 0;
}

static cai_status duplicate_id(const pending *p, cai_error *err)
{
    return cai_error__set(err, CAI_ESCHEMA,
                          "%s:%llu: duplicate id \"%s\" (the journal keys judgments by pair id, "
                          "so ids must be unique)",
                          p->file, (unsigned long long)p->line, p->id);
}

/* The id set found two ids with fingerprint h only at its end (they were in different spilled
 * runs): reads the inputs again to name the second one's FILE:LINE, as an add would have. */
static cai_status locate_duplicate(cai_run *r, uint64_t h, cai_error *err)
{
    int seen = 0;
    cai_status st;

    survey_rewind(r);
    for (;;) {
        pending *p = NULL;

        if ((st = next_pair(r, &p, err)) != CAI_OK)
            break;
        if (p->id_from_input && cai_idset__hash(p->id, strlen(p->id)) == h && seen++) {
            st = duplicate_id(p, err);
            pending_free(p);
            return st;
        }
        pending_free(p);
    }
    if (st == CAI_ITEROVER) /* the inputs changed under the run */
        st = cai_error__set(err, CAI_EIO, "%s: the inputs changed while they were read",
                            r->o.inputs[0]);
    return st;
}

/* Reads every input once: validates it before any money is spent, hashes it, counts the plan. */
static cai_status survey_inputs(cai_run *r, cJSON *inputs_json, cai_error *err)
{
    cai_idset *ids = NULL;
    size_t i;
    cai_status st;
    uint64_t dup;
    int rc;

    if ((st = cai_idset__create(&ids, r->idset_cap, err)) != CAI_OK)
        return st;
    for (i = 0; i < r->o.n_inputs; i++) {
        char hex[65];
        uint64_t bytes = 0;
        cJSON *o;
        if (!strcmp(r->o.inputs[i], "-")) {
            st = cai_error__set(err, CAI_EINVAL,
                                "-: a run reads its input twice and resumes from it, so it "
                                "needs a file, not standard input");
            goto out;
        }
        st = cai_sha256_file(r->o.inputs[i], hex, &bytes, err);
        if (st == CAI_OK) /* a shard of a directory given as input: as its manifest says */
            st = cai_input_dir__check(&r->in, i, hex, bytes, err);
        if (st != CAI_OK)
            goto out;
        o = cJSON_CreateObject();
        if (!o) {
            st = cai_error__set(err, CAI_ENOMEM, "out of memory");
            goto out;
        }
        cJSON_AddStringToObject(o, "path", r->o.inputs[i]);
        cJSON_AddStringToObject(o, "sha256", hex);
        cJSON_AddNumberToObject(o, "bytes", (double)bytes);
        cJSON_AddItemToArray(inputs_json, o);
    }
    for (;;) {
        pending *p = NULL;
        st = next_pair(r, &p, err);
        if (st == CAI_ITEROVER)
            break;
        if (st != CAI_OK)
            goto out;
        if (p->id_from_input &&
            (rc = cai_idset__add(ids, cai_idset__hash(p->id, strlen(p->id)), err)) != 0) {
            st = rc > 0 ? duplicate_id(p, err) : err->code;
            pending_free(p);
            goto out;
        }
        if (!in_this_shard(r, p)) {
            r->pairs_outside += r->rating ? p->n_pairs : 1;
            pending_free(p);
            continue;
        }
        r->pairs_total += r->rating ? p->n_pairs : 1;
        r->judgments_total += p->n_tasks;
        r->any_msg_list |= p->msg_list && !p->hh;
        if (r->o.dry_run) {
            unsigned t;
            for (t = 0; t < p->n_tasks; t++) {
                cai_judge_task task;
                task_fill(r, p, t, &task);
                r->s.prompt_tokens += cai_judge_estimate_tokens(r->judge, &task);
                r->s.completion_tokens += r->o.judge.max_tokens
                                              ? r->o.judge.max_tokens
                                              : (r->o.judge.mode == CAI_MODE_COT ? 256 : 1);
            }
        }
        pending_free(p);
    }
    st = CAI_OK;
    if (r->pairs_total == 0 && r->s.skipped_input > 0)
        st = cai_error__set(err, CAI_EPARSE,
                            "no valid input: all %llu non-blank lines were skipped as invalid "
                            "(the first: %s)",
                            (unsigned long long)r->s.skipped_input,
                            r->n_skip_msg ? r->skip_msg[0] : "?");
    if (st == CAI_OK && (rc = cai_idset__finish(ids, &dup, err)) != 0)
        st = rc > 0 ? locate_duplicate(r, dup, err) : err->code;
out:
    cai_idset__free(ids);
    survey_rewind(r); /* for the real pass */
    return st;
}

/* The label-changing settings, defaults resolved (journal header version 2). */
static char *fingerprint_json(const cai_run *r, const cJSON *inputs)
{
    cJSON *o = cJSON_CreateObject(), *hashes;
    cai_judge_opts eff;
    const cai_judge_opts *j = &eff;
    char *txt;
    int i, n = cJSON_GetArraySize(inputs);

    if (!o)
        return NULL;
    cai_judge_get_opts(r->judge, &eff);
    cJSON_AddNumberToObject(o, "plan_version", PLAN_VERSION);
    hashes = cJSON_AddArrayToObject(o, "inputs");
    for (i = 0; i < n; i++)
        cJSON_AddItemToArray(
            hashes, cJSON_CreateString(
                        cJSON_GetObjectItem(cJSON_GetArrayItem(inputs, i), "sha256")->valuestring));
    cJSON_AddStringToObject(o, "input_format", cai_format_name(r->o.input_format));
    cJSON_AddStringToObject(o, "constitution", cai_constitution_hash(r->c));
    cJSON_AddStringToObject(o, "backend", cai_backend_name(j->backend));
    cJSON_AddStringToObject(o, "model", j->model ? j->model : "");
    cJSON_AddStringToObject(o, "mode", cai_judge_mode_name(j->mode));
    cJSON_AddNumberToObject(o, "temperature", j->temperature);
    cJSON_AddNumberToObject(o, "top_logprobs", j->top_logprobs);
    cJSON_AddNumberToObject(o, "max_tokens", j->max_tokens);
    cJSON_AddNumberToObject(o, "cot_clamp_lo", j->cot_clamp_lo);
    cJSON_AddNumberToObject(o, "cot_clamp_hi", j->cot_clamp_hi);
    {
        char seed[32];
        snprintf(seed, sizeof(seed), "%llu", (unsigned long long)r->o.seed);
        cJSON_AddStringToObject(o, "seed", seed);
    }
    cJSON_AddNumberToObject(o, "principles_per_pair", r->k);
    cJSON_AddBoolToObject(o, "swap", r->n_orders == 2);
    cJSON_AddNumberToObject(o, "samples", r->n_samples);
    cJSON_AddBoolToObject(o, "skip_invalid", r->o.skip_invalid);
    cJSON_AddNumberToObject(o, "prompt_template", CAI_PROMPT_TEMPLATE_VERSION);
    if (r->o.shard.count) {
        /* absent when unsharded, so an unsharded journal's fingerprint is unchanged */
        char spec[32];
        snprintf(spec, sizeof(spec), "%u/%u", r->o.shard.index, r->o.shard.count);
        cJSON_AddStringToObject(o, "shard", spec);
    }
    txt = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return txt;
}

/* Settings in effect that do not change labels: in the journal header for humans. */
static char *effective_json(const cai_run *r)
{
    cJSON *o = cJSON_CreateObject();
    cai_judge_opts eff;
    char *txt;

    if (!o)
        return NULL;
    cai_judge_get_opts(r->judge, &eff);
    cJSON_AddNumberToObject(o, "concurrency", eff.concurrency);
    cJSON_AddNumberToObject(o, "timeout_s", eff.timeout_s);
    cJSON_AddNumberToObject(o, "max_retries", eff.max_retries);
    cJSON_AddNumberToObject(o, "parse_retries", eff.parse_retries);
    cJSON_AddBoolToObject(o, "logprobs_requested", cai_judge_asks_logprobs(r->judge));
    txt = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return txt;
}

static void set_number(cJSON *o, const char *k, double v)
{
    cJSON *n = cJSON_CreateNumber(v);

    if (n && !cJSON_ReplaceItemInObjectCaseSensitive(o, k, n))
        cJSON_Delete(n);
}

/*
 * A version-1 header's settings as version 2 writes them. Version 1 kept the options as given,
 * 0 meaning "the default", and its defaults are history, not today's: top_logprobs 10 (5 for
 * completions), max_tokens 1 (512 for cot), CoT clamp 0.4/0.6; its prompts were template 1.
 */
static char *upgrade_settings(unsigned version, const char *settings, void *payload)
{
    cJSON *o = version == 1 ? cJSON_Parse(settings) : NULL;
    const cJSON *backend = cJSON_GetObjectItemCaseSensitive(o, "backend");
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(o, "mode");
    const cJSON *tl = cJSON_GetObjectItemCaseSensitive(o, "top_logprobs");
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(o, "max_tokens");
    const cJSON *lo = cJSON_GetObjectItemCaseSensitive(o, "cot_clamp_lo");
    const cJSON *hi = cJSON_GetObjectItemCaseSensitive(o, "cot_clamp_hi");
    char *txt = NULL;

    (void)payload;
    if (!cJSON_IsString(backend) || !cJSON_IsString(mode) || !cJSON_IsNumber(tl) ||
        !cJSON_IsNumber(mt) || !cJSON_IsNumber(lo) || !cJSON_IsNumber(hi)) {
        cJSON_Delete(o);
        return NULL;
    }
    if (tl->valuedouble == 0)
        set_number(o, "top_logprobs", strcmp(backend->valuestring, "completions") == 0 ? 5 : 10);
    if (mt->valuedouble == 0)
        set_number(o, "max_tokens", strcmp(mode->valuestring, "cot") == 0 ? 512 : 1);
    if (lo->valuedouble == 0 && hi->valuedouble == 0) {
        set_number(o, "cot_clamp_lo", 0.4);
        set_number(o, "cot_clamp_hi", 0.6);
    }
    cJSON_AddNumberToObject(o, "prompt_template", 1);
    txt = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return txt;
}

/* ---- lifecycle -------------------------------------------------------------------------- */

/*
 * cai merge: checks that the directories are the finished shards of this very plan (each
 * journal's fingerprint is this run's with that shard's spec, so other inputs, settings or a
 * foreign shard are refused) and opens their journals for the replay.
 */
static cai_status merge_open(cai_run *r, const cJSON *inputs, cai_error *err)
{
    size_t n = r->o.n_merge_dirs, k;
    cai_shard *specs = calloc(n ? n : 1, sizeof(*specs));
    cai_status st = CAI_OK;

    if (!specs)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    if (r->o.shard.count) {
        st = cai_error__set(err, CAI_EINVAL, "merge: the merged run cannot itself be a shard");
        goto out;
    }
    for (k = 0; k < n && st == CAI_OK; k++) {
        uint64_t tok[3];
        st = cai_run__shard_spec(r->o.merge_dirs[k], &specs[k], tok, err);
        r->merge_tokens[0] += tok[0];
        r->merge_tokens[1] += tok[1];
        r->merge_tokens[2] += tok[2];
    }
    if (st == CAI_OK)
        st = cai_run__check_shards(specs, r->o.merge_dirs, n, err);
    if (st != CAI_OK)
        goto out;
    r->mcount = specs[0].count;
    if (!(r->mj = calloc(r->mcount, sizeof(*r->mj)))) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto out;
    }
    for (k = 0; k < n && st == CAI_OK; k++) {
        const char *dir = r->o.merge_dirs[k];
        char *jpath = cai__path_join(dir, "journal.cai"), *fp;
        char hex[65];
        struct stat sb;
        cai_journal_open_opts jo;

        r->o.shard = specs[k];
        fp = fingerprint_json(r, inputs);
        memset(&r->o.shard, 0, sizeof(r->o.shard));
        if (!jpath || !fp) {
            st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        } else if (stat(jpath, &sb) != 0) {
            st = cai_error__set(err, CAI_EINVAL, "merge: %s: %s", jpath, strerror(errno));
        } else {
            cai_error e2 = {0};
            cai_sha256_hex(fp, strlen(fp), hex);
            memset(&jo, 0, sizeof(jo));
            jo.fingerprint = hex;
            jo.settings_json = fp;
            st = cai_journal__open_ex(&r->mj[specs[k].index], jpath, &jo, &e2);
            if (st == CAI_EMISMATCH)
                cai_error__set(err, st,
                               "merge: %s is not a shard of this run (other inputs or settings): "
                               "%s",
                               dir, e2.msg);
            else if (st != CAI_OK)
                cai_error__set(err, st, "%s", e2.msg);
        }
        if (st == CAI_OK)
            st = cai_run__load_reasons(&r->reasons, dir, err);
        cJSON_free(fp);
        free(jpath);
    }
out:
    free(specs);
    return st;
}

static cai_status batch_prices(cai_run_opts *o, cai_error *err);
static cai_status
run_batch(cai_run *r, const char *jpath, const cai_journal_open_opts *jo, cai_error *err);
static cai_status batch_guard(cai_run *r, cai_error *err);

cai_status cai_run_create(cai_run **out, const cai_run_opts *opts, cai_error *err)
{
    cai_run *r;
    cai_status st;

    cai_error__clear(err);
    *out = NULL;
    CAI_ASSERT_ARG(err, opts && opts->n_inputs > 0 && opts->constitution && opts->output_dir);
    st = cai_run_opts__check(opts, err);
    if (st != CAI_OK)
        return st;
    if (!*opts->output_dir)
        return cai_error__set(err, CAI_EINVAL,
                              "--output: the path is empty (it would write at the root)");
    if (opts->principles_per_pair > 64)
        return cai_error__set(err, CAI_EINVAL, "--principles-per-pair: at most 64");
    if (opts->gzip_level < 0 || opts->gzip_level > 9)
        return cai_error__set(err, CAI_EINVAL, "--gzip-level: %d is not 1-9", opts->gzip_level);
    if (!(opts->max_cost >= 0))
        return cai_error__set(err, CAI_EINVAL, "--max-cost: must be a positive amount of USD");
    if (opts->max_cost > 0 && !(opts->price_input_per_mtok > 0) &&
        !(opts->price_output_per_mtok > 0))
        return cai_error__set(err, CAI_EINVAL,
                              "--max-cost needs the judge's prices: --price-input and "
                              "--price-output (USD per million tokens)");
    if (!(opts->rating_scale >= 0) || opts->rating_scale > 1e6)
        return cai_error__set(err, CAI_EINVAL, "--rating-scale: must be a positive number");
    if (opts->samples > 1 && opts->judge.temperature <= 0)
        return cai_error__set(err, CAI_EINVAL,
                              "--samples > 1 needs --temperature > 0 (identical requests would "
                              "give identical answers)");
    r = calloc(1, sizeof(*r));
    if (!r)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    r->o = *opts;
    r->idset_cap = CAI_IDSET_MEM_CAP;
    /* read before anything is written: a bad file stops the run with nothing done */
    if (opts->calibration && (st = cai_calibrate_load(&r->cal, opts->calibration, err)) != CAI_OK)
        goto fail;
    st = cai_input_dir__expand(&r->in, opts->inputs, opts->n_inputs, opts->output_dir, err);
    if (st != CAI_OK)
        goto fail;
    r->o.inputs = (const char *const *)r->in.paths;
    r->o.n_inputs = r->in.n;
    if (opts->batch && (st = batch_prices(&r->o, err)) != CAI_OK)
        goto fail;
    st = cai_constitution_load(&r->c, opts->constitution, err);
    if (st != CAI_OK)
        goto fail;
    st = cai_judge_create(&r->judge, &opts->judge, r->c, err);
    if (st != CAI_OK)
        goto fail;
    r->k = opts->principles_per_pair ? opts->principles_per_pair : 1;
    if (r->k > cai_constitution_count(r->c))
        r->k = (unsigned)cai_constitution_count(r->c);
    r->uniform = 1;
    for (size_t i = 1; i < cai_constitution_count(r->c); i++)
        r->uniform &= cai_constitution_principle(r->c, i)->weight ==
                      cai_constitution_principle(r->c, 0)->weight;
    r->rating = opts->judge.mode == CAI_MODE_RATING;
    r->n_orders = opts->no_swap || r->rating ? 1 : 2; /* a rating shows one response: no order */
    r->n_samples = opts->samples ? opts->samples : 1;
    if (r->o.shard_records == 0)
        r->o.shard_records = 100000;
    if (r->o.gzip_level == 0)
        r->o.gzip_level = 6;
    if (r->o.progress_interval_s <= 0)
        r->o.progress_interval_s = 1.0;
    if (r->o.margin_cap <= 0)
        r->o.margin_cap = 3.0;
    r->health_pr = calloc(cai_constitution_count(r->c) + 1, sizeof(*r->health_pr));
    r->health_in = calloc(r->o.n_inputs, sizeof(*r->health_in));
    if (!r->health_pr || !r->health_in) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto fail;
    }
    *out = r;
    return CAI_OK;
fail:
    cai_run_free(r);
    return st;
}

const char *cai_run_skipped_msg(const cai_run *r, size_t i)
{
    return r && i < r->n_skip_msg ? r->skip_msg[i] : NULL;
}

void cai_run_stop(cai_run *r)
{
    r->stop = 1;
    if (r->judge)
        cai_judge_stop(r->judge);
    if (r->batch)
        cai_batch__stop(r->batch);
}

static cai_status tally_init(cai_run *r, cai_error *err)
{
    cai_run_tally *t = &r->tally;
    size_t n = r->o.n_inputs;

    t->p_bins = calloc(CAI_TALLY_BINS, sizeof(*t->p_bins));
    t->principle_kept = calloc(cai_constitution_count(r->c) + 1, sizeof(*t->principle_kept));
    t->input_pairs = calloc(n, sizeof(uint64_t));
    t->input_kept = calloc(n, sizeof(uint64_t));
    t->input_ties = calloc(n, sizeof(uint64_t));
    t->input_failed = calloc(n, sizeof(uint64_t));
    if (!t->p_bins || !t->principle_kept || !t->input_pairs || !t->input_kept || !t->input_ties ||
        !t->input_failed)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    return CAI_OK;
}

/* Removes the data files of an earlier run that this run did not produce (e.g. other shard
 * counts): only those the earlier manifest lists, never a user's file. */
static cai_status remove_stale(cai_run *r, cai_error *err)
{
    const cai_writer *keep[3];

    keep[0] = r->train;
    keep[1] = r->test;
    keep[2] = r->failed;
    return cai_outdir__remove_stale(r->outdir, keep, 3, err);
}

/* Locks the output directory and refuses one that is not cai's (see outdir_int.h). */
static cai_status open_outdir(cai_run *r, int create, cai_error *err)
{
    cai_outdir_opts oo;

    oo.create = create;
    oo.force = r->o.force;
    oo.no_lock = r->o.no_lock;
    return cai_outdir__open(&r->outdir, r->o.output_dir, &oo, err);
}

cai_status cai_run_execute(cai_run *r, cai_run_summary *summary, cai_error *err)
{
    cJSON *inputs = cJSON_CreateArray();
    char *fp_json = NULL, *jpath = NULL;
    char fingerprint[65];
    cai_writer_opts wo = CAI_WRITER_OPTS_INIT;
    cai_judge_stats js;
    cai_status st;
    int from_judge = 0;

    cai_error__clear(err);
    memset(&r->s, 0, sizeof(r->s));
    r->s.validation_findings = -1;
    r->t0 = cai__mono_s();
    if (!inputs)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    /* An existing directory is locked before the inputs are read, so a second run stops at
     * once; a missing one is created only once the inputs are known to be good. */
    if (!r->o.dry_run && (st = open_outdir(r, 0, err)) != CAI_OK)
        goto out;
    st = survey_inputs(r, inputs, err);
    if (st != CAI_OK)
        goto out;
    r->s.judgments = r->judgments_total;
    if (r->o.format == CAI_OUT_AUTO)
        r->o.format = r->any_msg_list ? CAI_OUT_CONVERSATIONAL : CAI_OUT_TRL;
    if (r->o.dry_run) {
        r->s.pairs_read = r->pairs_total;
        r->s.cost = cost_of(r, r->s.prompt_tokens, 0, r->s.completion_tokens);
        goto out;
    }

    /* Checks that need no network come before anything is created in the output directory. */
    st = cai_judge_check(r->judge, err);
    if (st != CAI_OK)
        goto out;
    /* Several endpoints must serve one model; a merge sends nothing. */
    if (!r->o.n_merge_dirs && (st = cai_judge_check_endpoints(r->judge, err)) != CAI_OK)
        goto out;
    fp_json = fingerprint_json(r, inputs);
    if (!fp_json) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto out;
    }
    cai_sha256_hex(fp_json, strlen(fp_json), fingerprint);
    r->data_dir = cai__path_join(r->o.output_dir, "data");
    jpath = cai__path_join(r->o.output_dir, "journal.cai");
    if (!r->data_dir || !jpath) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto out;
    }
    if (!r->outdir && (st = open_outdir(r, 1, err)) != CAI_OK)
        goto out;
    if ((st = cai__mkdir_p(r->data_dir, err)) != CAI_OK)
        goto out;
    {
        cai_journal_open_opts jo;
        char *eff = effective_json(r);

        memset(&jo, 0, sizeof(jo));
        jo.fingerprint = fingerprint;
        jo.settings_json = fp_json;
        jo.effective_json = eff;
        jo.upgrade = upgrade_settings;
        jo.repair_header = r->o.repair_journal;
        st = cai_journal__open_ex(&r->journal, jpath, &jo, err);
        if (st == CAI_OK)
            st = r->o.batch ? run_batch(r, jpath, &jo, err) : batch_guard(r, err);
        cJSON_free(eff);
    }
    if (st != CAI_OK)
        goto out;
    if (r->o.n_merge_dirs && (st = merge_open(r, inputs, err)) != CAI_OK)
        goto out;

    wo.shard_records = r->o.shard_records;
    wo.level = r->o.gzip_level;
    if ((st = cai_writer_create(&r->train, r->data_dir, "train", &wo, err)) != CAI_OK ||
        (st = cai_writer_create(&r->test, r->data_dir, "test", &wo, err)) != CAI_OK)
        goto out;
    wo.shard_records = 0;
    if ((st = cai_writer_create(&r->failed, r->o.output_dir, "failed", &wo, err)) != CAI_OK ||
        (st = cai_writer_create(&r->ties, r->o.output_dir, "ties", &wo, err)) != CAI_OK)
        goto out;
    if ((st = tally_init(r, err)) != CAI_OK)
        goto out;

    r->cap = r->o.judge.concurrency ? r->o.judge.concurrency * 4u : 256u;
    if (r->cap < 256)
        r->cap = 256;
    r->ring = calloc(r->cap, sizeof(*r->ring));
    if (!r->ring) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto out;
    }
    r->last_fsync = r->last_progress = cai__mono_s();

    set_budget(r);
    st = judge_loop(r, &from_judge, err);
    judge_totals(r);
    if (st == CAI_OK && r->stop)
        st = CAI_EINTERRUPTED;
    if (st == CAI_OK)
        st = flush_head(r, err);
    {
        cai_status js_st = cai_journal__sync(r->journal, 1, st == CAI_OK ? err : NULL);
        if (st == CAI_OK)
            st = js_st;
    }
    if (st == CAI_EINTERRUPTED) {
        cai_error__clear(err); /* the judge's "stopped" says less than this */
        cai_error__set(err, st,
                       "interrupted; the journal is saved, run the same command to resume");
    } else if (from_judge)
        explain_judge_stop(r, st, err);
    if (st != CAI_OK)
        goto out;
    if (r->head != r->tail) {
        st = cai_error__set(err, CAI_EINVAL, "internal: %zu pairs left unfinished",
                            r->tail - r->head);
        goto out;
    }
    r->s.pairs_read = r->pairs_read - r->pairs_outside;

    /* Finalise: shards under their final names, then the manifest and the card. */
    if ((st = cai_writer_close(r->train, err)) != CAI_OK ||
        (st = cai_writer_close(r->test, err)) != CAI_OK ||
        (st = cai_writer_close(r->failed, err)) != CAI_OK ||
        (st = cai_writer_close(r->ties, err)) != CAI_OK)
        goto out;
    if ((st = remove_stale(r, err)) != CAI_OK)
        goto out;
    cai_judge_get_stats(r->judge, &js);
    /* This run's spend plus what the journal's replayed judgments cost when they were asked:
     * a resumed or replayed run reports the totals of an uninterrupted one. */
    r->s.prompt_tokens = js.prompt_tokens + r->replayed_pt;
    r->s.completion_tokens = js.completion_tokens + r->replayed_ct;
    r->s.cached_prompt_tokens = js.cached_tokens;
    /* What this run's batches answered went through the journal (reopened after them), so the
     * pass above replayed it: it is the batches' (statistics.batch), not an earlier run's. */
    r->s.judgments_replayed -= r->s.batch.succeeded < r->s.judgments_replayed
                                   ? r->s.batch.succeeded
                                   : r->s.judgments_replayed;
    r->s.n_endpoints = cai_judge_endpoint_count(r->judge);
    free(r->ep_stats);
    r->ep_stats = r->s.n_endpoints ? calloc(r->s.n_endpoints, sizeof(*r->ep_stats)) : NULL;
    if (!r->ep_stats)
        r->s.n_endpoints = 0;
    for (size_t i = 0; i < r->s.n_endpoints; i++)
        cai_judge_get_endpoint_stats(r->judge, i, &r->ep_stats[i]);
    r->s.endpoints = r->ep_stats;
    if (r->mj) {
        /* What the shards' requests used, failed attempts included (the journals keep only
         * answers): the totals of the unsharded run that sent the same requests. */
        r->s.prompt_tokens = r->merge_tokens[0];
        r->s.completion_tokens = r->merge_tokens[1];
        r->s.cached_prompt_tokens = r->merge_tokens[2];
    }
    r->s.cost = cost_of(r, r->s.prompt_tokens, r->s.cached_prompt_tokens, r->s.completion_tokens);
    summarise_sources(r);
    r->s.position_consistency = r->agree_total ? (double)r->agree / (double)r->agree_total : NAN;
    r->s.position_a_rate = r->s.pairs_kept ? (double)r->pos_a / (double)r->s.pairs_kept : NAN;
    r->s.longer_rate = r->longer_total ? (double)r->longer / (double)r->longer_total : NAN;
    r->s.mean_p_chosen = r->s.pairs_kept ? r->p_sum / (double)r->s.pairs_kept : NAN;
    r->s.failure_rate_exceeded =
        r->s.pairs_read && (double)r->s.failed / (double)r->s.pairs_read > r->o.max_failure_rate;
    r->s.elapsed_s = cai__mono_s() - r->t0;
    r->health.truncated = r->s.judgments_truncated; /* counted by the judge, over the journal */
    r->s.health = r->health;
    /* one count of human agreement: the judge-health one (decided pairs, ties left out) */
    r->s.human_labelled = r->health.human_n;
    r->s.human_agree = r->health.human_agree;
    {
        cai_health_opts ho = health_opts(r);
        /* ho comes from CAI_HEALTH_OPTS_INIT: its version is known, the call cannot fail */
        (void)cai_health_check(&r->s.health_report, &r->health, &ho, NULL);
    }
    {
        cai_run_info info;
        cai_judge_opts eff;
        memset(&info, 0, sizeof(info));
        cai_judge_get_opts(r->judge, &eff);
        info.judge = &eff;
        info.opts = &r->o;
        info.constitution = r->c;
        info.summary = &r->s;
        info.inputs = inputs;
        info.fingerprint = fingerprint;
        info.first_position_win_rate =
            r->first_total ? (double)r->first_wins / (double)r->first_total : NAN;
        info.train = r->train;
        info.test = r->test;
        info.failed = r->failed;
        info.ties = r->ties;
        info.tally = &r->tally;
        info.validation = "not run";
        info.health_opts = health_opts(r);
        info.health_pr = r->health_pr;
        info.health_in = r->health_in;
        info.calibration = r->cal;
        st = cai_run__write_manifest(&info, err);
        if (st == CAI_OK)
            st = cai_run__write_card(&info, err);
        if (st != CAI_OK)
            goto out;
        report(r, 1);
        if (!r->o.no_validate) {
            st = cai_run__validate_output(r->o.output_dir, &r->s.validation_findings,
                                          &r->s.validation_warnings, err);
            /* the verdict joins the manifest; the files it checked are unchanged */
            info.validation = r->s.validation_findings == 0 ? "pass" : "fail";
            if (st == CAI_OK)
                st = cai_run__write_manifest(&info, err);
        }
    }
out:
    if (r->judge && !r->o.dry_run)
        summarise_sources(r);
    if (summary) {
        *summary = r->s;
        if (!r->o.dry_run && st != CAI_OK)
            summary->pairs_read = r->pairs_read - r->pairs_outside;
    }
    cJSON_Delete(inputs);
    free(fp_json);
    free(jpath);
    return st;
}

void cai_run_free(cai_run *r)
{
    size_t i;

    if (!r)
        return;
    free(r->ep_stats);
    cai_buf__dispose(&r->rec);
    if (r->ring) {
        for (i = r->head; i < r->tail; i++)
            pending_free(r->ring[i % r->cap]);
        free(r->ring);
    }
    cai_writer_free(r->train);
    cai_writer_free(r->test);
    cai_writer_free(r->failed);
    cai_writer_free(r->ties);
    cai_calibrate_free(r->cal);
    free(r->tally.p_bins);
    free(r->tally.principle_kept);
    free(r->tally.input_pairs);
    free(r->tally.input_kept);
    free(r->tally.input_ties);
    free(r->tally.input_failed);
    for (i = 0; i < r->n_skip_msg; i++)
        free(r->skip_msg[i]);
    cai_batch__free(r->batch);
    cai_journal__free(r->journal);
    for (i = 0; r->mj && i < r->mcount; i++)
        cai_journal__free(r->mj[i]);
    free(r->mj);
    cai_run__reasons_free(r->reasons);
    cai_outdir__free(r->outdir); /* last of what writes into the directory */
    cai_reader_free(r->reader);
    cai_input_dir__dispose(&r->in);
    cai_judge_free(r->judge);
    cai_constitution_free(r->c);
    free(r->data_dir);
    free(r->health_pr);
    free(r->health_in);
    free(r);
}

/* ---- --batch: the providers' batch APIs (batch.c, docs/scale.md) ------------------------ */

/* The batch price is a share of the online one; every cost the run reports uses it. */
static cai_status batch_prices(cai_run_opts *o, cai_error *err)
{
    double d = o->batch_discount > 0 ? o->batch_discount : 0.5;

    if (o->judge.backend == CAI_BACKEND_BUILTIN)
        return cai_error__set(err, CAI_EINVAL,
                              "--batch needs a provider's batch API: -j openai, "
                              "completions or anthropic");
    if (o->n_merge_dirs)
        return cai_error__set(err, CAI_EINVAL, "--batch: cai merge sends nothing");
    if (o->max_cost > 0)
        return cai_error__set(err, CAI_EINVAL,
                              "--max-cost is not supported with --batch yet: a batch is paid "
                              "as a whole once submitted");
    if (o->judge.n_base_urls > 1)
        return cai_error__set(err, CAI_EINVAL,
                              "--batch takes one --base-url, not %zu: a batch goes to one "
                              "provider account, which balances it itself (several endpoints "
                              "are for self-hosted judges without a batch API)",
                              o->judge.n_base_urls);
    o->price_input_per_mtok *= d;
    o->price_output_per_mtok *= d;
    o->price_cached_input_per_mtok *= d;
    return CAI_OK;
}

static cai_status batch_result(const cai_batch_item *it,
                               cai_status st,
                               const cai_judgment *res,
                               const char *errmsg,
                               void *payload,
                               cai_error *err)
{
    cai_run *r = payload;
    cai_jentry e;

    (void)errmsg;
    if (st != CAI_OK)
        return CAI_OK; /* not in the journal: the online pass asks it */
    memset(&e, 0, sizeof(e));
    e.key = it->key;
    e.p_first = r->rating ? res->score : res->p_first;
    e.verdict = (unsigned char)res->verdict;
    e.from_logprobs = (unsigned char)res->from_logprobs;
    e.prompt_tokens = res->prompt_tokens;
    e.completion_tokens = res->completion_tokens;
    e.truncated = (unsigned char)(res->truncated != 0);
    e.reasoning_tokens = res->reasoning_tokens;
    st =
        cai_journal__add(r->journal, &e, it->pair_id, it->principle_id, it->order, it->sample, err);
    if (st == CAI_OK)
        st = journal_sync(r, err);
    return st;
}

/* Where cai before the journal kept the batch state ("b" records) had its own log. */
static cai_status batch_migrate(cai_run *r, cai_error *err)
{
    char *old = cai__path_join(r->o.output_dir, "batches.cai");
    unsigned n = 0;
    cai_status st;

    if (!old)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    st = cai_batch__migrate(r->journal, old, &n, err);
    free(old);
    return st;
}

/* One line per round of status requests (the CLI prints it unless -q). */
static void batch_progress(const cai_batch_progress *bp, void *payload)
{
    cai_run *r = payload;
    cai_run_progress pr;

    if (!r->o.progress)
        return;
    memset(&pr, 0, sizeof(pr));
    pr.pairs_total = r->pairs_total;
    pr.judgments_total = r->judgments_total;
    pr.elapsed_s = cai__mono_s() - r->t0;
    pr.batch_waiting = 1;
    pr.batches_in_flight = bp->in_flight;
    pr.batch_requests = bp->requests;
    pr.batch_requests_done = bp->done;
    pr.batch_requests_failed = bp->failed;
    r->o.progress(&pr, r->o.progress_payload);
}

/* Every planned judgment the journal lacks, handed to the batch client (in plan order). */
static cai_status batch_plan(cai_run *r, cai_error *err)
{
    cai_status st;

    for (;;) {
        pending *p = NULL;
        unsigned t;

        st = next_pair(r, &p, err);
        if (st == CAI_ITEROVER) {
            st = CAI_OK;
            break;
        }
        if (st != CAI_OK)
            break;
        if (!in_this_shard(r, p)) {
            pending_free(p);
            continue;
        }
        for (t = 0; t < p->n_tasks && st == CAI_OK && !p->invalid; t++) {
            cai_judge_task task;
            cai_batch_item it;
            size_t k;

            memset(&it, 0, sizeof(it));
            it.key = task_key(r, p, t);
            if (cai_journal__find(r->journal, it.key))
                continue;
            task_coords(r, t, &k, &it.order, &it.sample);
            it.pair_id = p->id;
            it.principle_id = cai_constitution_principle(r->c, p->principles[k])->id;
            task_fill(r, p, t, &task);
            st = cai_batch__add(r->batch, &it, &task, err);
        }
        pending_free(p);
        if (st != CAI_OK)
            break;
    }
    survey_rewind(r); /* for the real pass, as survey_inputs does */
    return st;
}

/*
 * --batch: submits what the journal lacks (or reattaches to the batches a killed run left),
 * waits for them, writes their judgments to the journal, and reopens it so that the ordinary
 * pass that follows replays them: the dataset is the online run's, byte for byte.
 */
static cai_status
run_batch(cai_run *r, const char *jpath, const cai_journal_open_opts *jo, cai_error *err)
{
    cai_batch_opts bo;
    char *dir = cai__path_join(r->o.output_dir, "batches");
    cai_status st;

    if (!dir)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    memset(&bo, 0, sizeof(bo));
    bo.journal = r->journal;
    bo.dir = dir;
    bo.api_key = r->o.judge.api_key;
    bo.max_requests = r->o.batch_max_requests;
    bo.max_bytes = r->o.batch_max_bytes;
    bo.poll_s = r->o.batch_poll_s;
    bo.wait_s = r->o.batch_wait_s;
    bo.max_rounds = r->o.batch_max_rounds;
    bo.timeout_s = r->o.judge.timeout_s > 60 ? r->o.judge.timeout_s : 300;
    bo.progress = batch_progress;
    bo.progress_payload = r;
    st = cai_judge_check(r->judge, err);
    if (st == CAI_OK)
        st = batch_migrate(r, err);
    if (st == CAI_OK)
        st = cai_batch__open(&r->batch, r->judge, &bo, err);
    free(dir);
    if (st == CAI_OK)
        st = batch_plan(r, err);
    if (st == CAI_OK && !r->stop)
        st = cai_batch__submit(r->batch, err);
    if (st == CAI_OK && !r->stop)
        st = cai_batch__collect(r->batch, batch_result, r, err);
    if (st == CAI_OK && r->stop)
        st = CAI_EINTERRUPTED;
    if (st == CAI_ETIMEOUT) {
        cai_error__clear(err);
        st = cai_error__set(err, CAI_EPENDING,
                            "--batch-wait passed with batches still running; they are recorded "
                            "in %s/journal.cai: run the same command to collect them",
                            r->o.output_dir);
    } else if (st == CAI_EINTERRUPTED) {
        cai_error__clear(err);
        st = cai_error__set(err, st,
                            "interrupted; the batches in flight and the journal are saved, run "
                            "the same command to collect them");
    }
    {
        cai_status s2 = cai_journal__sync(r->journal, 1, st == CAI_OK ? err : NULL);
        if (st == CAI_OK)
            st = s2;
    }
    if (r->batch) {
        cai_batch_stats bs;
        cai_batch *b = r->batch;

        cai_batch__get_stats(b, &bs);
        r->s.batch.used = 1;
        r->s.batch.batches = bs.batches;
        r->s.batch.submitted = bs.submitted;
        r->s.batch.reattached = bs.reattached;
        r->s.batch.succeeded = bs.succeeded;
        r->s.batch.retried = bs.retried;
        r->s.batch.failed = bs.failed;
        r->s.batch.discount = r->o.batch_discount > 0 ? r->o.batch_discount : 0.5;
        if (st != CAI_OK)
            return st;   /* kept for cai_run_stop until cai_run_free */
        r->batch = NULL; /* it borrows the journal, reopened below */
        cai_batch__free(b);
    }
    if (st != CAI_OK)
        return st;
    cai_journal__free(r->journal); /* entries added are found only after a reopen */
    r->journal = NULL;
    return cai_journal__open_ex(&r->journal, jpath, jo, err);
}

/* Without --batch, a directory with batches in flight would pay for them twice. */
static cai_status batch_guard(cai_run *r, cai_error *err)
{
    unsigned n = 0;
    cai_status st = batch_migrate(r, err);

    if (st == CAI_OK)
        st = cai_batch__pending(r->journal, &n, err);
    if (st == CAI_OK && n > 0)
        st = cai_error__set(err, CAI_EMISMATCH,
                            "%s/journal.cai: %u provider batches of this run are still in "
                            "flight: run with --batch to collect them (without it they would be "
                            "paid twice)",
                            r->o.output_dir, n);
    return st;
}

void cai_run__set_idset_cap(cai_run *r, size_t cap)
{
    r->idset_cap = cap;
}

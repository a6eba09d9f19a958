/* SPDX-License-Identifier: MIT */
/* Writes a finished run's manifest.json and its dataset card (README.md), each atomically. */
#include "run_int.h"
#include "cai/agree.h"
#include "cai/judge.h"
#include "error_int.h"
#include "health_int.h"
#include "human_int.h"
#include "util_int.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Adds a number, or null when it is not finite (JSON has no NaN). */
static void add_num(cJSON *o, const char *k, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

static void add_u64(cJSON *o, const char *k, uint64_t v)
{
    cJSON_AddNumberToObject(o, k, (double)v);
}

/* Path of f relative to the dataset directory. */
static const char *rel(const char *dir, const char *path)
{
    size_t n = strlen(dir);

    if (strncmp(path, dir, n) == 0 && path[n] == '/')
        return path + n + 1;
    return path;
}

static void add_files(cJSON *arr, const char *dir, const cai_writer *w, const char *split)
{
    size_t i;

    for (i = 0; w && i < cai_writer_nfiles(w); i++) {
        const cai_file_info *f = cai_writer_file(w, i);
        cJSON *o = cJSON_CreateObject();
        if (!o)
            return;
        cJSON_AddStringToObject(o, "path", rel(dir, f->path));
        cJSON_AddStringToObject(o, "split", split);
        cJSON_AddStringToObject(o, "sha256", f->sha256);
        add_u64(o, "records", f->records);
        add_u64(o, "bytes", f->bytes);
        cJSON_AddItemToArray(arr, o);
    }
}

void cai_manifest__add_files(cJSON *arr, const char *dir, const cai_writer *w, const char *split)
{
    add_files(arr, dir, w, split);
}

static cJSON *judge_json(const cai_judge_opts *j)
{
    cJSON *o = cJSON_CreateObject();
    char *url;

    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "backend", cai_backend_name(j->backend));
    cJSON_AddStringToObject(o, "model", j->model ? j->model : "");
    url = j->base_url ? cai_url_redact(j->base_url) : NULL;
    if (url)
        cJSON_AddStringToObject(o, "base_url", url);
    else
        cJSON_AddNullToObject(o, "base_url");
    free(url);
    if (j->n_base_urls > 1) {
        cJSON *a = cJSON_AddArrayToObject(o, "base_urls");

        for (size_t i = 0; a && i < j->n_base_urls; i++) {
            url = cai_url_redact(j->base_urls[i]);
            cJSON_AddItemToArray(a, cJSON_CreateString(url ? url : ""));
            free(url);
        }
    }
    cJSON_AddStringToObject(o, "mode", cai_judge_mode_name(j->mode));
    cJSON_AddNumberToObject(o, "temperature", j->temperature);
    cJSON_AddNumberToObject(o, "top_logprobs", j->top_logprobs);
    cJSON_AddNumberToObject(o, "max_tokens", j->max_tokens);
    cJSON_AddNumberToObject(o, "concurrency", j->concurrency);
    cJSON_AddNumberToObject(o, "timeout_s", j->timeout_s);
    cJSON_AddNumberToObject(o, "max_retries", j->max_retries);
    if (j->mode == CAI_MODE_COT) {
        cJSON_AddNumberToObject(o, "cot_clamp_lo", j->cot_clamp_lo);
        cJSON_AddNumberToObject(o, "cot_clamp_hi", j->cot_clamp_hi);
    }
    return o;
}

/* ---- what a user needs to trust the data ------------------------------------------------- */

/* Agreement with the human labels of the input (hh, trl), through the agreement module that the
 * judge-health checks use: the rate with its 95% Wilson interval and whether it is above chance. */
static void add_human_agreement(cJSON *st, const cai_run_summary *s)
{
    cJSON *h = cJSON_AddObjectToObject(st, "human_agreement");
    cai_agree a = {s->human_labelled, s->human_agree};
    cai_agree_summary sum;

    cai_agree_summarize(&sum, &a, 0, 0);
    add_u64(h, "labelled", s->human_labelled);
    add_u64(h, "agree", s->human_agree);
    add_num(h, "rate", sum.rate);
    add_num(h, "ci95_low", sum.lo);
    add_num(h, "ci95_high", sum.hi);
    add_num(h, "p_above_chance", s->human_labelled ? sum.p_above : NAN);
}

static double margin_of(const cai_run_opts *o, double p)
{
    double pc = p > 1.0 - 1e-6 ? 1.0 - 1e-6 : p, m = log(pc / (1.0 - pc));

    return o->margin == CAI_MARGIN_CAPPED && m > o->margin_cap ? o->margin_cap : m;
}

/* Quantiles of p_chosen from the tally's bins (to 1e-4; min and max exact); the margin is a
 * monotone function of p_chosen, so its quantiles are the margins of these. */
static void add_quantiles(cJSON *st, const cai_run_info *info)
{
    static const double qs[] = {0.1, 0.25, 0.5, 0.75, 0.9};
    static const char *const names[] = {"p10", "p25", "p50", "p75", "p90"};
    const cai_run_tally *t = info->tally;
    uint64_t n = info->summary->pairs_kept, seen = 0;
    cJSON *p = cJSON_AddObjectToObject(st, "p_chosen_quantiles");
    cJSON *mq = info->opts->margin == CAI_MARGIN_NONE
                    ? NULL
                    : cJSON_AddObjectToObject(st, "margin_quantiles");
    double v[7];
    size_t i, b = 0;

    if (!t || !t->p_bins || n == 0) {
        cJSON_AddNullToObject(p, "min");
        return;
    }
    v[0] = t->p_min;
    for (i = 0; i < 5; i++) {
        uint64_t want = (uint64_t)ceil(qs[i] * (double)n);
        while (b < CAI_TALLY_BINS && seen + t->p_bins[b] < (want ? want : 1))
            seen += t->p_bins[b++];
        v[i + 1] = 0.5 + (double)b * 1e-4;
    }
    v[6] = t->p_max;
    for (i = 0; i < 7; i++) {
        const char *k = i == 0 ? "min" : i == 6 ? "max" : names[i - 1];
        cJSON_AddNumberToObject(p, k, v[i]);
        if (mq)
            cJSON_AddNumberToObject(mq, k, margin_of(info->opts, v[i]));
    }
}

/* The record fields and their JSON types (the same in every record, see the README). */
static void add_schema(cJSON *m, const cai_run_opts *o)
{
    static const char *const rest[][2] = {
        {"p_chosen", "number (float)"},
        {"margin", "number (float)"},
        {"id", "string"},
        {"cai.chosen_position", "string: a | b"},
        {"cai.orders_agree", "boolean (null in every record with --no-swap)"},
        {"cai.principles", "list of strings"},
        {"cai.principle_p_chosen",
         "list of numbers (float), one per cai.principles entry, in its order: P(chosen is "
         "better) under that principle alone"},
        {"cai.judgments", "number (integer)"},
        {"cai.has_human_label", "boolean"},
        {"cai.human_chosen_position", "string: a | b | \"\" (no human label)"},
        {"cai.agrees_with_human", "boolean (false without a human label)"},
        {"cai.first_shown_wins", "number (integer): judgments won by the response shown first"},
        {"cai.second_shown_wins", "number (integer): judgments won by the response shown second"},
        {"cai.text_judgments", "number (integer): judgments read from a text verdict"},
        {"metadata", "string: the input's other fields as a JSON object text"},
    };
    cJSON *sc = cJSON_AddObjectToObject(m, "schema");
    const char *text = o->format == CAI_OUT_CONVERSATIONAL ? "list of {role, content}" : "string";
    size_t i;

    if (o->format != CAI_OUT_HH)
        cJSON_AddStringToObject(sc, "prompt", text);
    cJSON_AddStringToObject(sc, "chosen", text);
    cJSON_AddStringToObject(sc, "rejected", text);
    for (i = 0; i < sizeof(rest) / sizeof(*rest); i++)
        if (strcmp(rest[i][0], "margin") != 0 || o->margin != CAI_MARGIN_NONE)
            cJSON_AddStringToObject(sc, rest[i][0], rest[i][1]);
    if (o->judge.mode == CAI_MODE_RATING) { /* in every record of a rating run, in no other */
        cJSON_AddStringToObject(sc, "cai.rating_chosen",
                                "number (float): the chosen response's mean score, 1 to 7");
        cJSON_AddStringToObject(sc, "cai.rating_rejected",
                                "number (float): the rejected response's mean score, 1 to 7");
    }
}

static void add_trust(cJSON *m, cJSON *st, const cai_run_info *info)
{
    const cai_run_tally *t = info->tally;
    size_t i;

    add_human_agreement(st, info->summary);
    add_quantiles(st, info);
    if (t && t->principle_kept) {
        cJSON *pp = cJSON_AddObjectToObject(st, "kept_per_principle");
        for (i = 0; i < cai_constitution_count(info->constitution); i++)
            add_u64(pp, cai_constitution_principle(info->constitution, i)->id,
                    t->principle_kept[i]);
    }
    if (t && t->input_pairs) {
        cJSON *pi = cJSON_AddArrayToObject(st, "per_input");
        for (i = 0; i < info->opts->n_inputs; i++) {
            cJSON *o = cJSON_CreateObject();
            if (!o)
                break;
            cJSON_AddStringToObject(o, "path", info->opts->inputs[i]);
            add_u64(o, "pairs", t->input_pairs[i]);
            add_u64(o, "kept", t->input_kept[i]);
            add_u64(o, "ties", t->input_ties[i]);
            add_u64(o, "failed", t->input_failed[i]);
            cJSON_AddItemToArray(pi, o);
        }
    }
    cJSON_AddStringToObject(m, "validation", info->validation ? info->validation : "not run");
    if (info->summary->validation_findings >= 0)
        cJSON_AddNumberToObject(m, "validation_errors", info->summary->validation_findings);
    add_schema(m, info->opts);
    if (info->opts->command_line)
        cJSON_AddStringToObject(m, "command_line", info->opts->command_line);
    else
        cJSON_AddNullToObject(m, "command_line");
    if (info->opts->shard.count) {
        /* what `cai merge` reads to place this directory; absent in unsharded and merged runs */
        cJSON *sh = cJSON_AddObjectToObject(m, "shard");
        cJSON_AddNumberToObject(sh, "index", info->opts->shard.index);
        cJSON_AddNumberToObject(sh, "count", info->opts->shard.count);
    }
}

/* A breakdown row: {"id", "counts", "rates"}. */
static cJSON *breakdown_row(const char *id, const cai_health_counts *c)
{
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddItemToObject(o, "counts", cai_health__counts_json(c));
    cJSON_AddItemToObject(o, "rates", cai_health__rates_json(c));
    return o;
}

/* statistics.health: the counts, rates and findings, and the breakdowns per principle and per
 * input file (`cai validate` reads the counts back and reaches the same verdict). */
static cJSON *health_json(const cai_run_info *info)
{
    const cai_run_summary *s = info->summary;
    cJSON *h = cai_health__json(&s->health, &info->health_opts, &s->health_report), *arr;
    size_t i;

    if (!h)
        return NULL;
    arr = cJSON_AddArrayToObject(h, "per_principle");
    for (i = 0; arr && info->health_pr && i < cai_constitution_count(info->constitution); i++)
        cJSON_AddItemToArray(arr,
                             breakdown_row(cai_constitution_principle(info->constitution, i)->id,
                                           &info->health_pr[i]));
    arr = cJSON_AddArrayToObject(h, "per_input");
    for (i = 0; arr && info->health_in && i < info->opts->n_inputs; i++)
        cJSON_AddItemToArray(arr, breakdown_row(info->opts->inputs[i], &info->health_in[i]));
    return h;
}

cai_status cai_run__write_manifest(const cai_run_info *info, cai_error *err)
{
    const cai_run_opts *o = info->opts;
    const cai_run_summary *s = info->summary;
    cJSON *m = cJSON_CreateObject(), *c, *pr, *settings, *files, *st, *inputs;
    char seed[32], *txt;
    size_t i;
    cai_status rc;

    if (!m)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    cJSON_AddStringToObject(m, "tool", "cai");
    cJSON_AddStringToObject(m, "version", cai_version());
    cJSON_AddStringToObject(m, "fingerprint", info->fingerprint);
    c = cJSON_AddObjectToObject(m, "constitution");
    cJSON_AddStringToObject(c, "path", o->constitution);
    cJSON_AddStringToObject(c, "name", cai_constitution_name(info->constitution));
    cJSON_AddStringToObject(c, "version", cai_constitution_version(info->constitution));
    cJSON_AddStringToObject(c, "sha256", cai_constitution_hash(info->constitution));
    pr = cJSON_AddArrayToObject(c, "principles");
    for (i = 0; i < cai_constitution_count(info->constitution); i++) {
        const cai_principle *p = cai_constitution_principle(info->constitution, i);
        cJSON *po = cJSON_CreateObject();
        cJSON_AddStringToObject(po, "id", p->id);
        cJSON_AddNumberToObject(po, "weight", p->weight);
        cJSON_AddStringToObject(po, "text", p->text);
        cJSON_AddItemToArray(pr, po);
    }
    {
        cJSON *jb = judge_json(info->judge ? info->judge : &o->judge);

        if (jb)
            cJSON_AddBoolToObject(jb, "logprobs_requested", s->logprobs_requested);
        cJSON_AddItemToObject(m, "judge", jb);
    }
    snprintf(seed, sizeof(seed), "%llu", (unsigned long long)o->seed);
    cJSON_AddRawToObject(m, "seed", seed);
    if (info->calibration) /* cai run --calibration: the file's object, its path and SHA-256 */
        cJSON_AddItemToObject(m, "calibration", cai_calibrate__json(info->calibration));
    settings = cJSON_AddObjectToObject(m, "settings");
    cJSON_AddNumberToObject(settings, "principles_per_pair",
                            o->principles_per_pair ? o->principles_per_pair : 1);
    cJSON_AddBoolToObject(settings, "swap", !o->no_swap && o->judge.mode != CAI_MODE_RATING);
    if (o->judge.mode == CAI_MODE_RATING)
        cJSON_AddNumberToObject(settings, "rating_scale",
                                o->rating_scale > 0 ? o->rating_scale : 1);
    cJSON_AddNumberToObject(settings, "samples", o->samples ? o->samples : 1);
    cJSON_AddStringToObject(settings, "format", cai_out_format_name(o->format));
    cJSON_AddStringToObject(settings, "margin", cai_margin_mode_name(o->margin));
    if (o->margin == CAI_MARGIN_CAPPED)
        cJSON_AddNumberToObject(settings, "margin_cap", o->margin_cap);
    cJSON_AddStringToObject(settings, "input_format", cai_format_name(o->input_format));
    cJSON_AddNumberToObject(settings, "test_fraction", o->test_fraction);
    cJSON_AddNumberToObject(settings, "min_margin", o->min_margin);
    cJSON_AddBoolToObject(settings, "keep_ties", o->keep_ties);
    cJSON_AddNumberToObject(settings, "max_failure_rate", o->max_failure_rate);
    add_u64(settings, "limit", o->limit);
    add_u64(settings, "shard_records", o->shard_records);
    cJSON_AddNumberToObject(settings, "gzip_level", o->gzip_level);
    inputs = cJSON_Duplicate(info->inputs, 1);
    cJSON_AddItemToObject(m, "inputs", inputs);
    files = cJSON_AddArrayToObject(m, "files");
    add_files(files, o->output_dir, info->train, "train");
    add_files(files, o->output_dir, info->test, "test");
    {
        cJSON *f = cJSON_CreateArray();
        add_files(f, o->output_dir, info->failed, "failed");
        cJSON_AddItemToObject(m, "failed", cJSON_DetachItemFromArray(f, 0));
        cJSON_Delete(f);
        f = cJSON_CreateArray();
        add_files(f, o->output_dir, info->ties, "ties");
        if (cJSON_GetArraySize(f) > 0)
            cJSON_AddItemToObject(m, "ties", cJSON_DetachItemFromArray(f, 0));
        cJSON_Delete(f);
    }
    st = cJSON_AddObjectToObject(m, "statistics");
    add_u64(st, "pairs_read", s->pairs_read);
    add_u64(st, "pairs_judged", s->pairs_judged);
    add_u64(st, "pairs_kept", s->pairs_kept);
    add_u64(st, "ties", s->ties);
    add_u64(st, "failed", s->failed);
    add_u64(st, "unjudgeable", s->unjudgeable);
    add_u64(st, "skipped_input_lines", s->skipped_input);
    add_u64(st, "train", s->train);
    add_u64(st, "test", s->test);
    add_u64(st, "judgments", s->judgments);
    add_u64(st, "judgments_sent", s->judgments_sent);
    add_u64(st, "judgments_replayed", s->judgments_replayed);
    add_u64(st, "judgments_answered", s->judgments_answered);
    add_u64(st, "requests_sent", s->requests);
    add_u64(st, "timeouts", s->timeouts);
    add_num(st, "position_consistency", s->position_consistency);
    add_num(st, "first_position_win_rate", info->first_position_win_rate);
    add_num(st, "chosen_is_response_a_rate", s->position_a_rate);
    add_num(st, "chosen_is_longer_rate", s->longer_rate);
    add_num(st, "mean_p_chosen", s->mean_p_chosen);
    add_u64(st, "judgments_from_logprobs", s->judgments_from_logprobs);
    add_u64(st, "judgments_from_text", s->judgments_from_text);
    add_u64(st, "judgments_failed", s->judgments_failed);
    add_u64(st, "judgments_truncated", s->judgments_truncated);
    add_u64(st, "prompt_tokens", s->prompt_tokens);
    add_u64(st, "completion_tokens", s->completion_tokens);
    add_u64(st, "reasoning_tokens", s->reasoning_tokens);
    add_u64(st, "cached_prompt_tokens", s->cached_prompt_tokens);
    if (o->price_input_per_mtok > 0 || o->price_output_per_mtok > 0)
        cJSON_AddNumberToObject(st, "estimated_cost_usd", s->cost);
    else
        cJSON_AddNullToObject(st, "estimated_cost_usd");
    if (s->batch.used) {
        /* --batch: this run's batches; the cost above is at the batch price */
        cJSON *bo = cJSON_AddObjectToObject(st, "batch");

        add_u64(bo, "batches", s->batch.batches);
        add_u64(bo, "submitted", s->batch.submitted);
        add_u64(bo, "reattached", s->batch.reattached);
        add_u64(bo, "succeeded", s->batch.succeeded);
        add_u64(bo, "retried", s->batch.retried);
        add_u64(bo, "failed", s->batch.failed);
        cJSON_AddNumberToObject(bo, "price_discount", s->batch.discount);
    }
    if (s->n_endpoints > 0) {
        /* which endpoint served what (this run's requests): never part of the data's bytes */
        cJSON *a = cJSON_AddArrayToObject(st, "endpoints");

        for (size_t k = 0; a && k < s->n_endpoints; k++) {
            const cai_judge_endpoint_stats *e = &s->endpoints[k];
            cJSON *eo = cJSON_CreateObject();

            if (!eo)
                break;
            cJSON_AddStringToObject(eo, "url", e->url ? e->url : "");
            add_u64(eo, "requests_sent", e->requests);
            add_u64(eo, "answered", e->answered);
            add_u64(eo, "served", e->served);
            add_u64(eo, "connection_failures", e->conn_failures);
            add_u64(eo, "timeouts", e->timeouts);
            add_u64(eo, "probes", e->probes);
            add_u64(eo, "ejections", e->ejections);
            add_u64(eo, "returns", e->returns);
            cJSON_AddBoolToObject(eo, "ejected_at_end", e->ejected);
            cJSON_AddItemToArray(a, eo);
        }
    }
    add_trust(m, st, info);
    cJSON_AddItemToObject(st, "health", health_json(info));
    txt = cJSON_Print(m);
    cJSON_Delete(m);
    if (!txt)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    {
        size_t n = strlen(txt);
        char *withnl = malloc(n + 2);
        if (!withnl) {
            cJSON_free(txt);
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        }
        memcpy(withnl, txt, n);
        withnl[n] = '\n';
        withnl[n + 1] = '\0';
        cJSON_free(txt);
        rc = cai__write_atomic(o->output_dir, "manifest.json", withnl, strlen(withnl), err);
        free(withnl);
    }
    return rc;
}

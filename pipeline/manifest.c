/* SPDX-License-Identifier: MIT */
/* Writes a finished run's manifest.json and its dataset card (README.md), each atomically. */
#include "run_int.h"
#include "cai/judge.h"
#include "error_int.h"
#include "util_int.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

cai_status
cai_run__write_atomic(const char *dir, const char *name, const char *text, cai_error *err)
{
    size_t n = strlen(dir) + strlen(name) + 16, len = strlen(text), off = 0;
    char *final = malloc(n), *tmp = malloc(n);
    cai_status st = CAI_OK;
    int fd = -1;

    if (!final || !tmp) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto out;
    }
    snprintf(final, n, "%s/%s", dir, name);
    snprintf(tmp, n, "%s/.%s.tmp", dir, name);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        st = cai_error__set(err, CAI_EIO, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            st = cai_error__set(err, CAI_EIO, "%s: %s", tmp, strerror(errno));
            goto out;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0) {
        st = cai_error__set(err, CAI_EIO, "%s: fsync: %s", tmp, strerror(errno));
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        st = cai_error__set(err, CAI_EIO, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp, final) != 0)
        st = cai_error__set(err, CAI_EIO, "%s: %s", final, strerror(errno));
out:
    if (fd >= 0)
        close(fd);
    if (st != CAI_OK && tmp)
        unlink(tmp);
    free(final);
    free(tmp);
    return st;
}

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
    cJSON_AddItemToObject(m, "judge", judge_json(&o->judge));
    snprintf(seed, sizeof(seed), "%llu", (unsigned long long)o->seed);
    cJSON_AddRawToObject(m, "seed", seed);
    settings = cJSON_AddObjectToObject(m, "settings");
    cJSON_AddNumberToObject(settings, "principles_per_pair",
                            o->principles_per_pair ? o->principles_per_pair : 1);
    cJSON_AddBoolToObject(settings, "swap", !o->no_swap);
    cJSON_AddNumberToObject(settings, "samples", o->samples ? o->samples : 1);
    cJSON_AddStringToObject(settings, "format", cai_out_format_name(o->format));
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
    add_u64(st, "prompt_tokens", s->prompt_tokens);
    add_u64(st, "completion_tokens", s->completion_tokens);
    if (o->price_input_per_mtok > 0 || o->price_output_per_mtok > 0)
        cJSON_AddNumberToObject(st, "estimated_cost_usd", s->cost);
    else
        cJSON_AddNullToObject(st, "estimated_cost_usd");
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
        rc = cai_run__write_atomic(o->output_dir, "manifest.json", withnl, err);
        free(withnl);
    }
    return rc;
}

/* ---- dataset card ----------------------------------------------------------------------- */

static void sb_rate(cai_buf *b, const char *label, double v)
{
    if (isfinite(v))
        cai_buf__printf(b, "| %s | %.1f%% |\n", label, 100.0 * v);
    else
        cai_buf__printf(b, "| %s | n/a |\n", label);
}

cai_status cai_run__write_card(const cai_run_info *info, cai_error *err)
{
    const cai_run_opts *o = info->opts;
    const cai_run_summary *s = info->summary;
    cai_buf b = {0};
    cai_status st;
    char *url = o->judge.base_url ? cai_url_redact(o->judge.base_url) : NULL;

    cai_buf__printf(&b, "---\npretty_name: \"%s preference pairs\"\n",
                    cai_constitution_name(info->constitution));
    cai_buf__printf(&b, "tags:\n- rlaif\n- preference\n- reward-modeling\n- cai\n");
    cai_buf__printf(&b, "configs:\n- config_name: default\n  data_files:\n");
    if (s->train)
        cai_buf__printf(&b, "  - split: train\n    path: data/train-*.jsonl.gz\n");
    if (s->test)
        cai_buf__printf(&b, "  - split: test\n    path: data/test-*.jsonl.gz\n");
    cai_buf__printf(&b, "---\n\n# Preference dataset labelled by an AI judge\n\n");
    cai_buf__printf(
        &b,
        "Made by `cai %s` from %zu input file(s) with the constitution **%s** (version %s, "
        "sha256 `%.16s…`) and the `%s` judge%s%s%s.\n\n",
        cai_version(), o->n_inputs, cai_constitution_name(info->constitution),
        cai_constitution_version(info->constitution), cai_constitution_hash(info->constitution),
        cai_backend_name(o->judge.backend), o->judge.model ? " (model `" : "",
        o->judge.model ? o->judge.model : "", o->judge.model ? "`)" : "");
    if (o->judge.backend == CAI_BACKEND_BUILTIN)
        cai_buf__printf(&b,
                        "**The built-in judge is a set of transparent heuristics, not a model.** "
                        "Use this dataset for dry runs and tests, not for training.\n\n");
    cai_buf__printf(
        &b,
        "Each record holds `prompt`, `chosen` and `rejected` (format `%s`), the soft label "
        "`p_chosen` (the judge's mean probability that `chosen` is better, over principles "
        "and both presentation orders), `margin` = ln(p_chosen / (1 - p_chosen)) (the "
        "reward gap the label implies; TRL's RewardTrainer reads an optional `margin` "
        "column), the pair `id`, and a `cai` object (which input position was chosen, "
        "whether both orders agreed, the principles used, the number of judgments).\n\n",
        cai_out_format_name(o->format));
    cai_buf__printf(
        &b, "```python\nfrom datasets import load_dataset\nds = load_dataset(\"path/to/this/"
            "directory\")\n```\n\n## Statistics\n\n| statistic | value |\n|---|---|\n");
    cai_buf__printf(&b, "| pairs read | %llu |\n", (unsigned long long)s->pairs_read);
    cai_buf__printf(&b, "| pairs kept | %llu (train %llu, test %llu) |\n",
                    (unsigned long long)s->pairs_kept, (unsigned long long)s->train,
                    (unsigned long long)s->test);
    cai_buf__printf(&b, "| ties %s | %llu |\n", o->keep_ties ? "(kept)" : "(dropped)",
                    (unsigned long long)s->ties);
    cai_buf__printf(&b, "| failed (see failed.jsonl.gz) | %llu |\n", (unsigned long long)s->failed);
    cai_buf__printf(&b, "| not judged: empty or identical responses (failed.jsonl.gz) | %llu |\n",
                    (unsigned long long)s->unjudgeable);
    cai_buf__printf(&b, "| judgments | %llu |\n", (unsigned long long)s->judgments);
    sb_rate(&b, "position consistency (both orders agree)", s->position_consistency);
    sb_rate(&b, "judgments won by the first-shown response", info->first_position_win_rate);
    sb_rate(&b, "chosen is response_a", s->position_a_rate);
    sb_rate(&b, "chosen is the longer response", s->longer_rate);
    if (isfinite(s->mean_p_chosen))
        cai_buf__printf(&b, "| mean p_chosen | %.3f |\n", s->mean_p_chosen);
    cai_buf__printf(&b, "| tokens (prompt / completion) | %llu / %llu |\n",
                    (unsigned long long)s->prompt_tokens, (unsigned long long)s->completion_tokens);
    cai_buf__printf(&b,
                    "\n## Settings\n\n- seed: %llu\n- principles per pair: %u\n- swap orders: %s\n"
                    "- samples: %u\n- test fraction: %g (split by a hash of the prompt)\n"
                    "- min margin: %g\n",
                    (unsigned long long)o->seed,
                    o->principles_per_pair ? o->principles_per_pair : 1, o->no_swap ? "no" : "yes",
                    o->samples ? o->samples : 1, o->test_fraction, o->min_margin);
    if (url)
        cai_buf__printf(&b, "- judge endpoint: %s\n", url);
    cai_buf__printf(&b, "\nFull provenance (input and output checksums, every principle) is in "
                        "`manifest.json`.\n");
    free(url);
    if (b.oom) {
        free(b.p);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    st = cai_run__write_atomic(o->output_dir, "README.md", b.p, err);
    free(b.p);
    return st;
}

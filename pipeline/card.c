/* SPDX-License-Identifier: MIT */
/*
 * Writes a finished run's dataset card (README.md): YAML front matter that Hugging Face reads
 * (splits, features, licence, tags), then what a user needs before training on the data. Every
 * YAML scalar that carries user text goes through yaml_str(), so no name can break the header.
 */
#include "run_int.h"
#include "cai/agree.h"
#include "cai/judge.h"
#include "cai/calibrate.h"
#include "error_int.h"
#include "util_int.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a small YAML emitter ---------------------------------------------------------------- */

/*
 * s as a YAML double-quoted scalar: backslash and quote escaped, every C0 control, DEL, NEL,
 * the line and paragraph separators and the BOM written as escapes (YAML would fold or reject
 * them raw). The input is valid UTF-8 (it came through cJSON or the command line).
 */
void cai_card__yaml_str(cai_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    cai_buf__puts(b, "\"");
    for (; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[3] = {'\\', (char)*p, 0};
            cai_buf__puts(b, e);
        } else if (*p == '\n') {
            cai_buf__puts(b, "\\n");
        } else if (*p == '\t') {
            cai_buf__puts(b, "\\t");
        } else if (*p < 0x20 || *p == 0x7f) {
            cai_buf__printf(b, "\\x%02x", *p);
        } else if (p[0] == 0xc2 && p[1] == 0x85) {
            cai_buf__puts(b, "\\N");
            p++;
        } else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
            cai_buf__puts(b, p[2] == 0xa8 ? "\\L" : "\\P");
            p += 2;
        } else if (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
            cai_buf__puts(b, "\\uFEFF");
            p += 2;
        } else {
            cai_buf__put(b, (const char *)p, 1);
        }
    }
    cai_buf__puts(b, "\"");
}

/* "key: "value"\n" at an indentation. */
static void yaml_kv(cai_buf *b, const char *indent, const char *key, const char *value)
{
    cai_buf__printf(b, "%s%s: ", indent, key);
    cai_card__yaml_str(b, value);
    cai_buf__puts(b, "\n");
}

/* "key:\n- "item"\n" for a list of one or more strings. */
static void yaml_list(cai_buf *b, const char *key, const char *const *items, size_t n)
{
    size_t i;

    cai_buf__printf(b, "%s:\n", key);
    for (i = 0; i < n; i++) {
        cai_buf__puts(b, "- ");
        cai_card__yaml_str(b, items[i]);
        cai_buf__puts(b, "\n");
    }
}

static const char *size_category(uint64_t n)
{
    if (n < 1000)
        return "n<1K";
    if (n < 10000)
        return "1K<n<10K";
    if (n < 100000)
        return "10K<n<100K";
    if (n < 1000000)
        return "100K<n<1M";
    if (n < 10000000)
        return "1M<n<10M";
    return "10M<n<100M";
}

/* dataset_info.features in the Hub's YAML layout; the same fields and types as every record. */
static void yaml_features(cai_buf *b, const cai_run_opts *o)
{
    static const char *const text_cols[] = {"prompt", "chosen", "rejected"};
    static const char *const cai_fields[][2] = {
        {"chosen_position", "string"},
        {"orders_agree", "bool"},
        {"principles", NULL},
        {"principle_p_chosen", "float64[]"},
        {"judgments", "int64"},
        {"has_human_label", "bool"},
        {"human_chosen_position", "string"},
        {"agrees_with_human", "bool"},
        {"first_shown_wins", "int64"},
        {"second_shown_wins", "int64"},
        {"text_judgments", "int64"},
    };
    size_t i;

    cai_buf__puts(b, "dataset_info:\n  features:\n");
    for (i = o->format == CAI_OUT_HH ? 1 : 0; i < 3; i++) {
        cai_buf__printf(b, "  - name: %s\n", text_cols[i]);
        if (o->format == CAI_OUT_CONVERSATIONAL)
            cai_buf__puts(b, "    list:\n    - name: role\n      dtype: string\n"
                             "    - name: content\n      dtype: string\n");
        else
            cai_buf__puts(b, "    dtype: string\n");
    }
    cai_buf__puts(b, "  - name: p_chosen\n    dtype: float64\n");
    if (o->margin != CAI_MARGIN_NONE)
        cai_buf__puts(b, "  - name: margin\n    dtype: float64\n");
    cai_buf__puts(b, "  - name: id\n    dtype: string\n  - name: cai\n    struct:\n");
    for (i = 0; i < sizeof(cai_fields) / sizeof(*cai_fields); i++) {
        if (cai_fields[i][1] && strcmp(cai_fields[i][1], "float64[]") == 0)
            cai_buf__printf(b, "    - name: %s\n      sequence: float64\n", cai_fields[i][0]);
        else if (cai_fields[i][1])
            cai_buf__printf(b, "    - name: %s\n      dtype: %s\n", cai_fields[i][0],
                            cai_fields[i][1]);
        else
            cai_buf__printf(b, "    - name: %s\n      sequence: string\n", cai_fields[i][0]);
    }
    if (o->judge.mode == CAI_MODE_RATING) /* rating runs only: every record of them has both */
        cai_buf__puts(b, "    - name: rating_chosen\n      dtype: float64\n"
                         "    - name: rating_rejected\n      dtype: float64\n");
    cai_buf__puts(b, "  - name: metadata\n    dtype: string\n");
}

static void yaml_front_matter(cai_buf *b, const cai_run_info *info)
{
    static const char *const tags[] = {"rlaif", "constitutional-ai", "trl", "preference",
                                       "reward-modeling"};
    static const char *const task[] = {"text-generation"};
    static const char *const creators[] = {"machine-generated"};
    static const char *const sources[] = {"original"};
    const cai_run_opts *o = info->opts;
    const cai_run_summary *s = info->summary;
    const char *lang = o->language ? o->language : "en";
    const char *size = size_category(s->pairs_kept);
    char name[512];

    cai_buf__puts(b, "---\n");
    snprintf(name, sizeof(name), "%s preference pairs", cai_constitution_name(info->constitution));
    yaml_kv(b, "", "pretty_name", name);
    yaml_kv(b, "", "license", o->license ? o->license : "other");
    yaml_list(b, "language", &lang, 1);
    yaml_list(b, "task_categories", task, 1);
    yaml_list(b, "size_categories", &size, 1);
    yaml_list(b, "annotations_creators", creators, 1);
    yaml_list(b, "source_datasets", sources, 1);
    yaml_list(b, "tags", tags, sizeof(tags) / sizeof(*tags));
    /* Both splits are always listed: the writer leaves an empty shard for an empty split, so
     * the patterns match a file and `datasets` never falls back to guessing. */
    cai_buf__puts(b, "configs:\n- config_name: default\n  data_files:\n"
                     "  - split: train\n    path: \"data/train-*.jsonl.gz\"\n"
                     "  - split: test\n    path: \"data/test-*.jsonl.gz\"\n");
    yaml_features(b, o);
    cai_buf__printf(b,
                    "  splits:\n  - name: train\n    num_examples: %llu\n"
                    "  - name: test\n    num_examples: %llu\n",
                    (unsigned long long)s->train, (unsigned long long)s->test);
    cai_buf__puts(b, "---\n\n");
}

/* ---- the body ----------------------------------------------------------------------------- */

static void md_rate(cai_buf *b, const char *label, double v)
{
    if (isfinite(v))
        cai_buf__printf(b, "| %s | %.1f%% |\n", label, 100.0 * v);
    else
        cai_buf__printf(b, "| %s | n/a |\n", label);
}

static void md_fields(cai_buf *b, const cai_run_opts *o)
{
    const char *shape = o->format == CAI_OUT_CONVERSATIONAL ? "message list" : "string";

    cai_buf__puts(b, "## Fields\n\nEvery record has every field, with the same JSON type, in every "
                     "split and shard.\n\n| field | type | meaning |\n|---|---|---|\n");
    if (o->format != CAI_OUT_HH)
        cai_buf__printf(
            b, "| `prompt` | %s | the conversation before the responses%s |\n", shape,
            o->format == CAI_OUT_TRL ? "; `prompt + chosen` is the full text a trainer sees" : "");
    cai_buf__printf(b, "| `chosen` | %s | the response the judge preferred |\n", shape);
    cai_buf__printf(b, "| `rejected` | %s | the other response |\n", shape);
    cai_buf__puts(b, "| `p_chosen` | float | the judge's probability that `chosen` is better: the "
                     "soft label |\n");
    if (o->margin == CAI_MARGIN_LOGIT)
        cai_buf__puts(b, "| `margin` | float | ln(p_chosen / (1 − p_chosen)) |\n");
    else if (o->margin == CAI_MARGIN_CAPPED)
        cai_buf__printf(b, "| `margin` | float | min(ln(p_chosen / (1 − p_chosen)), %g) |\n",
                        o->margin_cap);
    cai_buf__puts(
        b, "| `id` | string | the pair's id |\n"
           "| `cai.chosen_position` | string | input slot chosen: `a` or `b` |\n"
           "| `cai.orders_agree` | bool | both presentation orders picked the same response |\n"
           "| `cai.principles` | list of strings | the principles the pair was judged by |\n"
           "| `cai.principle_p_chosen` | list of floats | per principle, in that order: the "
           "probability that `chosen` is better under it alone |\n"
           "| `cai.judgments` | int | judgments averaged into `p_chosen` |\n"
           "| `cai.has_human_label` | bool | the input carried a human preference |\n"
           "| `cai.human_chosen_position` | string | the human's slot, `\"\"` without a label |\n"
           "| `cai.agrees_with_human` | bool | judge and human agree (false without a label) |\n"
           "| `metadata` | string | the input's other fields, a JSON object text "
           "(`json.loads` it) |\n\n");
}

static void md_training(cai_buf *b, const cai_run_opts *o)
{
    cai_buf__puts(
        b,
        "## Training on it\n\n"
        "- **TRL `RewardTrainer`** reads `chosen` and `rejected` (with `prompt` joined in front, "
        "no separator) and, when present, subtracts `margin` inside −log σ(r_c − r_r − margin). "
        "It does not read `p_chosen` and drops unused columns unless "
        "`remove_unused_columns=False`. To train on the soft label, use "
        "`examples/train_reward_model.py` from the cai repository: the loss "
        "−[p·log σ(d) + (1−p)·log σ(−d)] with d = r_c − r_r, whose optimum is d = logit(p).\n"
        "- **OpenRLHF** (`openrlhf.cli.train_rm`): `--dataset DIR --prompt_key prompt "
        "--chosen_key chosen --rejected_key rejected --train_split train --eval_split test`");
    cai_buf__puts(b, o->format == CAI_OUT_CONVERSATIONAL ? " --apply_chat_template" : "");
    cai_buf__puts(b, o->margin == CAI_MARGIN_NONE
                         ? ".\n"
                         : "; add `--margin_loss` to use `margin` (newer releases spell "
                           "the options differently: see `--help`).\n");
    cai_buf__puts(b, "\n```python\nfrom datasets import load_dataset\n"
                     "ds = load_dataset(\"path/to/this/directory\")  # train and test splits\n"
                     "```\n\n");
}

/* The card's "Judge health" section: the numbers and every finding, in plain words. */
static void card_health(cai_buf *b, const cai_run_info *info)
{
    const cai_health_counts *c = &info->summary->health;
    const cai_health_report *r = &info->summary->health_report;
    uint64_t n = c->judgments ? c->judgments : 1;
    size_t i;

    cai_buf__printf(b, "\n## Judge health\n\n");
    if (r->n == 0)
        cai_buf__printf(b, "No findings: the checks in cai's docs/judges.md passed.\n\n");
    for (i = 0; i < r->n; i++)
        cai_buf__printf(b, "- **%s** `%s`: %s. Try: %s.\n",
                        r->f[i].severity == CAI_HEALTH_ERROR ? "ERROR" : "warning", r->f[i].code,
                        r->f[i].message, r->f[i].hint);
    if (r->n)
        cai_buf__printf(b, "\n");
    cai_buf__printf(b, "| measure | value |\n|---|---|\n");
    cai_buf__printf(b,
                    "| judgments: from log-probs / text verdict / failed | %.1f%% / %.1f%% / "
                    "%.1f%% of %llu |\n",
                    100.0 * (double)c->from_logprobs / (double)n,
                    100.0 * (double)c->from_text / (double)n, 100.0 * (double)c->failed / (double)n,
                    (unsigned long long)c->judgments);
    md_rate(b, "won by the first-shown response", cai_health_first_shown_rate(c));
    md_rate(b, "order consistency", c->order_n ? (double)c->order_agree / (double)c->order_n : NAN);
    md_rate(b, "ties among judged pairs", c->pairs ? (double)c->ties / (double)c->pairs : NAN);
    if (c->pairs)
        cai_buf__printf(b,
                        "| \\|P - 0.5\\| quantiles (10%% / 50%% / 90%%, upper bin edges) | "
                        "%.2f / %.2f / %.2f |\n",
                        cai_health_margin_quantile(c, 0.1), cai_health_margin_quantile(c, 0.5),
                        cai_health_margin_quantile(c, 0.9));
    if (c->human_n) {
        double lo, hi;
        cai_agree_wilson(c->human_agree, c->human_n, 1.959963984540054, &lo, &hi);
        cai_buf__printf(b, "| agreement with human labels | %.1f%% of %llu (95%% CI %.3f-%.3f) |\n",
                        100.0 * (double)c->human_agree / (double)c->human_n,
                        (unsigned long long)c->human_n, lo, hi);
    }
}

cai_status cai_run__write_card(const cai_run_info *info, cai_error *err)
{
    const cai_run_opts *o = info->opts;
    const cai_run_summary *s = info->summary;
    cai_buf b = {0};
    cai_status st;
    char *url = o->judge.base_url ? cai_url_redact(o->judge.base_url) : NULL;
    size_t i;
    int n;

    yaml_front_matter(&b, info);
    cai_buf__puts(&b, "# Preference dataset labelled by an AI judge\n\n");
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
    md_fields(&b, o);
    md_training(&b, o);
    if (info->calibration) {
        double t, a, bb;
        cai_calibrate_params(info->calibration, &t, &a, &bb);
        cai_buf__puts(&b, "## Calibration\n\nThe soft labels were calibrated as they were "
                          "written (`cai run --calibration`, a fit saved by `cai calibrate "
                          "--save`): ");
        if (bb != 0 || a != 1.0 / t)
            cai_buf__printf(&b, "Platt scaling, P'(A) = sigmoid(%.6f * logit(P(A)) + %.6f)", a, bb);
        else
            cai_buf__printf(&b, "temperature %.6f, P'(A) = sigmoid(logit(P(A)) / T)", t);
        cai_buf__puts(&b, ". `p_chosen` and `margin` are the calibrated values; the judge-health "
                          "figures and the journal keep the judge's own. The manifest's "
                          "`calibration` block names the file and its SHA-256.\n\n");
    }

    cai_buf__puts(&b, "## Principles\n\n");
    for (i = 0; i < cai_constitution_count(info->constitution); i++) {
        const cai_principle *p = cai_constitution_principle(info->constitution, i);
        cai_buf__printf(&b, "- `%s` (weight %g): %s\n", p->id, p->weight, p->text);
    }
    cai_buf__puts(&b, "\n## Inputs\n\n| file | sha256 | bytes |\n|---|---|---|\n");
    n = cJSON_GetArraySize(info->inputs);
    for (i = 0; i < (size_t)n; i++) {
        const cJSON *in = cJSON_GetArrayItem(info->inputs, (int)i);
        cai_buf__printf(&b, "| `%s` | `%s` | %.0f |\n",
                        cJSON_GetObjectItem(in, "path")->valuestring,
                        cJSON_GetObjectItem(in, "sha256")->valuestring,
                        cJSON_GetObjectItem(in, "bytes")->valuedouble);
    }

    cai_buf__puts(&b, "\n## Statistics and judge health\n\n| statistic | value |\n|---|---|\n");
    cai_buf__printf(&b, "| pairs read | %llu |\n", (unsigned long long)s->pairs_read);
    cai_buf__printf(&b, "| pairs kept | %llu (train %llu, test %llu) |\n",
                    (unsigned long long)s->pairs_kept, (unsigned long long)s->train,
                    (unsigned long long)s->test);
    cai_buf__printf(&b, "| ties %s | %llu |\n",
                    o->keep_ties ? "(kept)" : "(dropped; listed in ties.jsonl.gz)",
                    (unsigned long long)s->ties);
    cai_buf__printf(&b, "| failed (see failed.jsonl.gz) | %llu |\n", (unsigned long long)s->failed);
    cai_buf__printf(&b, "| not judged: empty or identical responses (failed.jsonl.gz) | %llu |\n",
                    (unsigned long long)s->unjudgeable);
    cai_buf__printf(&b, "| judgments | %llu |\n", (unsigned long long)s->judgments);
    md_rate(&b, "position consistency (both orders agree)", s->position_consistency);
    md_rate(&b, "judgments won by the first-shown response", info->first_position_win_rate);
    md_rate(&b, "chosen is response_a", s->position_a_rate);
    md_rate(&b, "chosen is the longer response", s->longer_rate);
    if (isfinite(s->mean_p_chosen))
        cai_buf__printf(&b, "| mean p_chosen | %.3f |\n", s->mean_p_chosen);
    cai_buf__printf(&b, "| tokens (prompt / completion) | %llu / %llu |\n",
                    (unsigned long long)s->prompt_tokens, (unsigned long long)s->completion_tokens);
    card_health(&b, info);
    cai_buf__printf(&b,
                    "\n## Settings\n\n- seed: %llu\n- principles per pair: %u\n- swap orders: %s\n"
                    "- samples: %u\n- test fraction: %g (split by a hash of the prompt)\n"
                    "- min margin: %g\n- margin column: %s\n",
                    (unsigned long long)o->seed,
                    o->principles_per_pair ? o->principles_per_pair : 1, o->no_swap ? "no" : "yes",
                    o->samples ? o->samples : 1, o->test_fraction, o->min_margin,
                    cai_margin_mode_name(o->margin));
    if (url)
        cai_buf__printf(&b, "- judge endpoint: %s\n", url);
    cai_buf__puts(
        &b, "\n## Limitations\n\n"
            "- The labels are one model's judgement against the principles above, not human "
            "preferences; check the judge-health figures (position consistency near 100%, "
            "first-shown wins near 50%) before training.\n"
            "- `p_chosen` is the judge's probability, not a calibrated human agreement rate.\n"
            "- Dropped ties and failed pairs are not in the splits; they are listed in "
            "`ties.jsonl.gz` and `failed.jsonl.gz`.\n"
            "- The `license` field is what the run was given (`--license`, default `other`): the "
            "inputs' own licences apply to their text.\n\n"
            "Full provenance (input and output checksums, every principle, the command line, "
            "quantiles, per-principle and per-input counts) is in `manifest.json`.\n");
    free(url);
    if (b.oom) {
        free(b.data);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    st = cai__write_atomic(o->output_dir, "README.md", b.data, b.len, err);
    free(b.data);
    return st;
}

/* SPDX-License-Identifier: MIT */
/* Generation records: candidates, SFT and revision-pair lines, with their quality flags. */
#include "gen_records_int.h"

#include "error_int.h"
#include "util_int.h"

#include <cjson/cJSON.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- flags */

/* s without surrounding white space: *start and its length. */
static size_t trimmed(const char *s, const char **start)
{
    size_t n;

    while (*s && isspace((unsigned char)*s))
        s++;
    n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    *start = s;
    return n;
}

static int same_trimmed(const char *a, const char *b)
{
    const char *x, *y;
    size_t nx = trimmed(a, &x), ny = trimmed(b, &y);

    return nx == ny && memcmp(x, y, nx) == 0;
}

size_t cai_gen__flag_candidates(const cai_gen_sample *s, size_t n, unsigned *flags)
{
    size_t i, j, clean = 0;
    const char *t;

    for (i = 0; i < n; i++) {
        flags[i] = 0;
        if (trimmed(s[i].text ? s[i].text : "", &t) == 0)
            flags[i] |= CAI_CAND_EMPTY;
        if (s[i].finish == CAI_FINISH_LENGTH)
            flags[i] |= CAI_CAND_TRUNCATED;
        else if (s[i].finish == CAI_FINISH_OTHER)
            flags[i] |= CAI_CAND_REFUSED;
        /* empty ones are not also duplicates of each other: one reason is enough */
        for (j = 0; j < i && !(flags[i] & CAI_CAND_EMPTY); j++)
            if (same_trimmed(s[i].text, s[j].text)) {
                flags[i] |= CAI_CAND_DUPLICATE;
                break;
            }
        clean += flags[i] == 0;
    }
    return clean;
}

const char *cai_gen__cand_flag_name(unsigned bit)
{
    switch (bit) {
    case CAI_CAND_EMPTY:
        return "empty";
    case CAI_CAND_TRUNCATED:
        return "truncated";
    case CAI_CAND_DUPLICATE:
        return "duplicate";
    case CAI_CAND_REFUSED:
        return "refused";
    default:
        return NULL;
    }
}

/* Prefaces that show the model answered the task instead of rewriting the reply. */
static const char *const leak_starts[] = {"here is the revised",
                                          "here's the revised",
                                          "here is a revised",
                                          "here's a revised",
                                          "here is my revised",
                                          "here is the rewritten",
                                          "here's the rewritten",
                                          "revised response:",
                                          "revised reply:",
                                          "revision:",
                                          "critique:",
                                          "sure, here is",
                                          "sure! here is",
                                          "sure, here's"};
static const char *const leak_anywhere[] = {"Critique Request", "Revision Request", "<<<REPLY_",
                                            "<<<CRITIQUE_", "<<<END_"};

unsigned cai_gen__revision_flags(const char *before, const char *revision, cai_finish finish)
{
    const char *t;
    size_t n = trimmed(revision ? revision : "", &t), i;
    unsigned f = 0;

    if (n == 0)
        return CAI_REV_EMPTY | (finish == CAI_FINISH_LENGTH ? CAI_REV_TRUNCATED : 0);
    if (before && same_trimmed(before, revision))
        f |= CAI_REV_UNCHANGED;
    for (i = 0; i < sizeof(leak_starts) / sizeof(leak_starts[0]); i++)
        if (n >= strlen(leak_starts[i]) &&
            strncasecmp(t, leak_starts[i], strlen(leak_starts[i])) == 0)
            f |= CAI_REV_LEAK;
    for (i = 0; i < sizeof(leak_anywhere) / sizeof(leak_anywhere[0]); i++)
        if (strstr(t, leak_anywhere[i]))
            f |= CAI_REV_LEAK;
    if (finish == CAI_FINISH_LENGTH)
        f |= CAI_REV_TRUNCATED;
    return f;
}

const char *cai_gen__rev_flag_name(unsigned bit)
{
    switch (bit) {
    case CAI_REV_EMPTY:
        return "empty";
    case CAI_REV_UNCHANGED:
        return "unchanged";
    case CAI_REV_LEAK:
        return "leak";
    case CAI_REV_TRUNCATED:
        return "truncated";
    default:
        return NULL;
    }
}

/* ---------------------------------------------------------------- JSON helpers */

/*
 * Flags as an object of booleans, every name present (in bit order): an empty list would be
 * list<null> to Arrow's JSON reader in a block where nothing is flagged, and `datasets` cannot
 * cast a later block's list<string> to it (docs/output-contract.md).
 */
static cJSON *flag_object(unsigned f, const char *(*name)(unsigned))
{
    cJSON *o = cJSON_CreateObject();
    unsigned bit;

    for (bit = 1; o && bit && name(bit); bit <<= 1)
        cJSON_AddBoolToObject(o, name(bit), (f & bit) != 0);
    return o;
}

static cJSON *str_or_null(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *num_text(double v)
{
    char t[32];

    cai__format_double(v, t);
    return cJSON_CreateRaw(t);
}

/* The prompt value: a string, or a message list; anything else is CAI_EINVAL. */
static cai_status parse_prompt(cJSON **out, const char *prompt_json, cai_error *err)
{
    cJSON *p = prompt_json ? cJSON_Parse(prompt_json) : NULL;

    *out = NULL;
    if (!p || !(cJSON_IsString(p) || cJSON_IsArray(p))) {
        cJSON_Delete(p);
        return cai_error__set(err, CAI_EINVAL, "record: prompt must be a string or a message list");
    }
    *out = p;
    return CAI_OK;
}

/* Prints root as one line into *out and frees root. */
static cai_status finish(char **out, cJSON *root, cai_error *err)
{
    char *t = root ? cJSON_PrintUnformatted(root) : NULL;

    cJSON_Delete(root);
    *out = t ? strdup(t) : NULL; /* callers free() it; cJSON's allocator is its own */
    cJSON_free(t);
    if (!*out)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    return CAI_OK;
}

/* ---------------------------------------------------------------- candidates */

cai_status cai_gen__candidates_record(char **out,
                                      const char *id,
                                      const char *prompt_json,
                                      const cai_gen_sample *s,
                                      size_t n,
                                      const cai_gen_settings *set,
                                      int skip_flagged,
                                      size_t *n_kept,
                                      cai_error *err)
{
    cJSON *root = NULL, *prompt, *resp, *samples, *sampling;
    unsigned *flags = calloc(n ? n : 1, sizeof(*flags));
    size_t i, kept = 0;
    cai_status st;

    *out = NULL;
    *n_kept = 0;
    if (!flags)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    if ((st = parse_prompt(&prompt, prompt_json, err)) != CAI_OK) {
        free(flags);
        return st;
    }
    cai_gen__flag_candidates(s, n, flags);
    root = cJSON_CreateObject();
    cJSON_AddItemToObject(root, "id", str_or_null(id));
    cJSON_AddItemToObject(root, "prompt", prompt);
    resp = cJSON_AddArrayToObject(root, "responses");
    samples = cJSON_AddArrayToObject(root, "samples");
    for (i = 0; i < n; i++) {
        cJSON *d;

        if (skip_flagged && flags[i])
            continue;
        cJSON_AddItemToArray(resp, cJSON_CreateString(s[i].text ? s[i].text : ""));
        d = cJSON_CreateObject();
        cJSON_AddNumberToObject(d, "index", (double)i);
        cJSON_AddStringToObject(d, "finish_reason", cai_gen_wire__finish_name(s[i].finish));
        cJSON_AddItemToObject(d, "finish_raw", str_or_null(s[i].finish_raw));
        if (s[i].completion_tokens >= 0)
            cJSON_AddNumberToObject(d, "completion_tokens", (double)s[i].completion_tokens);
        else
            cJSON_AddNullToObject(d, "completion_tokens");
        cJSON_AddItemToObject(d, "flags", flag_object(flags[i], cai_gen__cand_flag_name));
        cJSON_AddItemToArray(samples, d);
        kept++;
    }
    sampling = cJSON_AddObjectToObject(root, "sampling");
    cJSON_AddItemToObject(sampling, "backend", str_or_null(set->backend));
    cJSON_AddItemToObject(sampling, "model", str_or_null(set->model));
    cJSON_AddNumberToObject(sampling, "n", set->n);
    cJSON_AddItemToObject(sampling, "temperature",
                          set->temperature >= 0 ? num_text(set->temperature) : cJSON_CreateNull());
    cJSON_AddItemToObject(sampling, "top_p",
                          set->top_p >= 0 ? num_text(set->top_p) : cJSON_CreateNull());
    if (set->max_tokens)
        cJSON_AddNumberToObject(sampling, "max_tokens", set->max_tokens);
    else
        cJSON_AddNullToObject(sampling, "max_tokens");
    if (set->seed >= 0)
        cJSON_AddNumberToObject(sampling, "seed", (double)set->seed);
    else
        cJSON_AddNullToObject(sampling, "seed");
    free(flags);
    *n_kept = kept;
    return finish(out, root, err);
}

cai_status cai_gen__skipped_record(
    char **out, const char *id, size_t index, const char *text, unsigned flags, cai_error *err)
{
    cJSON *root = cJSON_CreateObject();

    *out = NULL;
    if (!root)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    cJSON_AddItemToObject(root, "id", str_or_null(id));
    cJSON_AddNumberToObject(root, "index", (double)index);
    cJSON_AddStringToObject(root, "text", text ? text : "");
    cJSON_AddItemToObject(root, "flags", flag_object(flags, cai_gen__cand_flag_name));
    return finish(out, root, err);
}

/* ---------------------------------------------------------------- SFT and pairs */

static cJSON *chain_json(const char *original, const cai_revise_step *steps, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    const char *before = original;
    size_t i;

    for (i = 0; a && i < n; i++) {
        cJSON *o = cJSON_CreateObject();

        cJSON_AddItemToObject(o, "principle", str_or_null(steps[i].principle));
        cJSON_AddItemToObject(o, "critique", str_or_null(steps[i].critique));
        cJSON_AddItemToObject(o, "revision", str_or_null(steps[i].revision));
        cJSON_AddItemToObject(o, "flags",
                              flag_object(cai_gen__revision_flags(before, steps[i].revision,
                                                                  steps[i].revision_finish),
                                          cai_gen__rev_flag_name));
        cJSON_AddItemToArray(a, o);
        before = steps[i].revision;
    }
    return a;
}

/* The final revision and its flags (against the original: unchanged means no round helped). */
static const char *
final_text(const char *original, const cai_revise_step *steps, size_t n, unsigned *flags)
{
    const char *t = n ? steps[n - 1].revision : original;

    *flags =
        n ? cai_gen__revision_flags(original, t, steps[n - 1].revision_finish) : CAI_REV_UNCHANGED;
    return t ? t : "";
}

/* A message list for a string prompt: its HH turns when it is a transcript, else one user
 * turn. */
static cJSON *messages_of(const cJSON *prompt)
{
    cJSON *a;
    cai_transcript tr;
    char *copy;
    size_t i;

    if (cJSON_IsArray(prompt))
        return cJSON_Duplicate(prompt, 1);
    a = cJSON_CreateArray();
    copy = strdup(prompt->valuestring);
    if (a && copy && cai_transcript_split(&tr, copy, NULL) == CAI_OK) {
        for (i = 0; i < tr.n_turns; i++) {
            cJSON *m = cJSON_CreateObject();

            /* the prompt's own "\n\nAssistant:" cue is an empty last turn: not a message */
            if (i + 1 == tr.n_turns && tr.turns[i].role == CAI_ROLE_ASSISTANT &&
                !*tr.turns[i].content) {
                cJSON_Delete(m);
                break;
            }
            cJSON_AddStringToObject(m, "role", cai_role_name(tr.turns[i].role));
            cJSON_AddStringToObject(m, "content", tr.turns[i].content);
            cJSON_AddItemToArray(a, m);
        }
        cai_transcript_dispose(&tr);
    } else if (a) {
        cJSON *m = cJSON_CreateObject();

        cJSON_AddStringToObject(m, "role", "user");
        cJSON_AddStringToObject(m, "content", prompt->valuestring);
        cJSON_AddItemToArray(a, m);
    }
    free(copy);
    return a;
}

cai_status cai_gen__conversational_prompt(char **prompt_json,
                                          const cai_message *sent,
                                          size_t n_sent,
                                          cai_error *err)
{
    cJSON *list;
    char *t;
    size_t i;
    cai_status st;

    /* prompt_json is the stage's own printing: a JSON string or a message list */
    if (!*prompt_json || (**prompt_json != '"' && **prompt_json != '['))
        return cai_error__set(err, CAI_EINVAL, "record: prompt must be a string or a message list");
    if (**prompt_json == '[')
        return CAI_OK;
    /* the turns the policy was asked with, not a second reading of the string */
    list = cJSON_CreateArray();
    for (i = 0; list && i < n_sent; i++) {
        cJSON *m = cJSON_CreateObject();

        cJSON_AddStringToObject(m, "role", cai_role_name(sent[i].role));
        cJSON_AddStringToObject(m, "content", sent[i].content);
        cJSON_AddItemToArray(list, m);
    }
    if ((st = finish(&t, list, err)) != CAI_OK)
        return st;
    free(*prompt_json);
    *prompt_json = t;
    return CAI_OK;
}

static cJSON *assistant_turn(const char *text)
{
    cJSON *m = cJSON_CreateObject();
    const char *t;
    size_t n = trimmed(text, &t);
    char *c = malloc(n + 1);

    if (c) {
        memcpy(c, t, n);
        c[n] = '\0';
    }
    cJSON_AddStringToObject(m, "role", "assistant");
    cJSON_AddStringToObject(m, "content", c ? c : "");
    free(c);
    return m;
}

/* An HH string prompt ends with "Assistant:": its completion starts with a space. */
static cJSON *string_completion(const cJSON *prompt, const char *text)
{
    size_t n = strlen(prompt->valuestring);
    const char *t;
    size_t tn = trimmed(text, &t);
    cai_buf b = {0};
    char *s;
    cJSON *out;

    if (n > 0 && prompt->valuestring[n - 1] == ':')
        cai_buf__puts(&b, " ");
    cai_buf__put(&b, t, tn);
    s = cai_buf__take(&b);
    out = cJSON_CreateString(s ? s : "");
    free(s);
    return out;
}

/* An answer in the prompt's form: one assistant turn in a list after a message list, a string
 * (spaced after a closing "Assistant:") after a string prompt. */
static cJSON *answer_for(const cJSON *prompt, const char *text)
{
    cJSON *a;

    if (!cJSON_IsArray(prompt))
        return string_completion(prompt, text);
    a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, assistant_turn(text));
    return a;
}

cai_status cai_gen__sft_record(char **out,
                               cai_sft_format fmt,
                               const char *id,
                               const char *prompt_json,
                               const char *original,
                               const cai_revise_step *steps,
                               size_t n_steps,
                               cai_error *err)
{
    cJSON *root, *prompt;
    unsigned flags;
    const char *text = final_text(original, steps, n_steps, &flags);
    cai_status st;

    *out = NULL;
    if ((st = parse_prompt(&prompt, prompt_json, err)) != CAI_OK)
        return st;
    root = cJSON_CreateObject();
    if (fmt == CAI_SFT_MESSAGES) {
        cJSON *msgs = messages_of(prompt);

        cJSON_AddItemToArray(msgs, assistant_turn(text));
        cJSON_AddItemToObject(root, "messages", msgs);
        cJSON_Delete(prompt);
    } else {
        cJSON_AddItemToObject(root, "prompt", prompt);
        cJSON_AddItemToObject(root, "completion", answer_for(prompt, text));
    }
    cJSON_AddItemToObject(root, "id", str_or_null(id));
    cJSON_AddItemToObject(root, "original", str_or_null(original));
    cJSON_AddItemToObject(root, "chain", chain_json(original, steps, n_steps));
    cJSON_AddItemToObject(root, "flags", flag_object(flags, cai_gen__rev_flag_name));
    return finish(out, root, err);
}

cai_status cai_gen__revision_pair(char **out,
                                  const char *id,
                                  const char *prompt_json,
                                  const char *original,
                                  const cai_revise_step *steps,
                                  size_t n_steps,
                                  cai_error *err)
{
    cJSON *root, *prompt;
    unsigned flags;
    const char *text = final_text(original, steps, n_steps, &flags);
    cai_status st;

    *out = NULL;
    if ((st = parse_prompt(&prompt, prompt_json, err)) != CAI_OK)
        return st;
    root = cJSON_CreateObject();
    cJSON_AddItemToObject(root, "id", str_or_null(id));
    cJSON_AddItemToObject(root, "prompt", prompt);
    cJSON_AddItemToObject(root, "chosen", answer_for(prompt, text));
    cJSON_AddItemToObject(root, "rejected", answer_for(prompt, original ? original : ""));
    cJSON_AddStringToObject(root, "label_source", "revision");
    cJSON_AddItemToObject(root, "flags", flag_object(flags, cai_gen__rev_flag_name));
    return finish(out, root, err);
}

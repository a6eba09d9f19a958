/* SPDX-License-Identifier: MIT */
/* The one record decoder: the only code that walks a pairs, candidates, hh, trl,
 * conversational, sft or messages record; the reader and the scanner read through it. */
#include "recdec_int.h"
#include "error_int.h"
#include "util_int.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUN(d) ((d)->rule == CAI_RECDEC_RUN)

/* What a "prompt" may be. */
enum { ACCEPT_STR = 1, ACCEPT_LIST = 2, ACCEPT_BOTH = 3 };

void cai_recdec__init(cai_recdec *d, cai_recdec_rule rule, cai_recdec_sink sink, void *payload)
{
    memset(d, 0, sizeof(*d));
    d->rule = rule;
    d->sink = sink;
    d->payload = payload;
}

void cai_recdec__reset(cai_recdec *d)
{
    size_t i;

    for (i = 0; i < 3; i++)
        cai_transcript_dispose(&d->tr[i]);
    memset(d->tr, 0, sizeof(d->tr));
    free(d->prompt_copy);
    d->prompt_copy = NULL;
    d->n_turns = d->n_seqs = 0;
    d->prompt_text = NULL;
    d->id = NULL;
    d->failed = 0;
}

void cai_recdec__dispose(cai_recdec *d)
{
    cai_recdec__reset(d);
    free(d->turns);
    d->turns = NULL;
    d->cap_turns = 0;
}

const char *cai_recdec__type_name(const cJSON *v)
{
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsArray(v))
        return "a list";
    if (cJSON_IsObject(v))
        return "an object";
    if (cJSON_IsBool(v))
        return "a boolean";
    return "null";
}

#define type_name cai_recdec__type_name

/* Reports one finding; the decoder stops after it (d->failed). */
#if defined(__GNUC__)
__attribute__((format(printf, 6, 7)))
#endif
static cai_status
say(cai_recdec *d,
    cai_recdec_kind kind,
    cai_status code,
    const char *key,
    cai_error *err,
    const char *fmt,
    ...)
{
    cai_recdec_finding f;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
    va_end(ap);
    d->failed = 1;
    f.kind = kind;
    f.code = code;
    f.key = key;
    f.msg = d->msg;
    return d->sink(d->payload, &f, err);
}

static cai_status oom(cai_error *err)
{
    return cai_error__set(err, CAI_ENOMEM, "out of memory");
}

static cai_status push_turn(cai_recdec *d, cai_role role, const char *text, cai_error *err)
{
    cai_message *nt = cai__grow(d->turns, &d->cap_turns, d->n_turns + 1, sizeof(*nt), 64);

    if (!nt)
        return oom(err);
    d->turns = nt;
    d->turns[d->n_turns].role = role;
    d->turns[d->n_turns].content = text;
    d->n_turns++;
    return CAI_OK;
}

static void begin_seq(cai_recdec *d)
{
    d->seq_start[d->n_seqs] = d->n_turns;
}

static void end_seq(cai_recdec *d)
{
    d->seq_len[d->n_seqs] = d->n_turns - d->seq_start[d->n_seqs];
    d->n_seqs++;
}

/* ---- the pieces ------------------------------------------------------------------------- */

/* A message list, [{"role": ..., "content": "..."}, ...], into turns; extra keys ("name") are
 * ignored. */
static cai_status read_messages(cai_recdec *d, const cJSON *list, const char *key, cai_error *err)
{
    const cJSON *m;
    size_t i = 0;
    cai_status st;

    cJSON_ArrayForEach(m, list)
    {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
        cai_role r;

        if (!cJSON_IsObject(m))
            return RUN(d)
                       ? say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err,
                             "\"%s\"[%zu] must be an object with \"role\" and \"content\"", key, i)
                       : say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err,
                             "%s[%zu] is %s, not a message object", key, i, type_name(m));
        if (!cJSON_IsString(role))
            return RUN(d) ? say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err,
                                "\"%s\"[%zu].role must be a string", key, i)
                          : say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err, "%s[%zu].role is %s",
                                key, i, role ? type_name(role) : "missing");
        if (cai_recfmt__role(role->valuestring, &r) != 0)
            return RUN(d) ? say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err,
                                "\"%s\"[%zu].role must be \"system\", \"user\" or \"assistant\"",
                                key, i)
                          : say(d, CAI_RECDEC_ROLES, CAI_ESCHEMA, key, err,
                                "%s[%zu]: unknown role \"%.40s\"", key, i, role->valuestring);
        if (!cJSON_IsString(content))
            return RUN(d) ? say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err,
                                "\"%s\"[%zu].content must be a string", key, i)
                          : say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err,
                                "%s[%zu].content is %s, not a string", key, i,
                                content ? type_name(content) : "missing");
        if ((st = push_turn(d, r, content->valuestring, err)) != CAI_OK)
            return st;
        i++;
    }
    return CAI_OK;
}

/* An HH transcript "prompt", split into turns (a copy: the JSON tree stays as read); a
 * trailing empty "\n\nAssistant:" cue is dropped, so that it ends on the Human turn. */
static cai_status read_transcript_prompt(cai_recdec *d, const char *text, cai_error *err)
{
    cai_transcript *t = &d->tr[2];
    cai_error e = {0};
    cai_status st;
    size_t i, n;

    if (!(d->prompt_copy = strdup(text)))
        return oom(err);
    if (cai_transcript_split(t, d->prompt_copy, &e) != CAI_OK) {
        if (e.code == CAI_ENOMEM)
            return oom(err);
        return RUN(d) ? say(d, CAI_RECDEC_ROLES, e.code, "prompt", err, "\"prompt\": %s", e.msg)
                      : say(d, CAI_RECDEC_ROLES, e.code, "prompt", err, "prompt: %.400s", e.msg);
    }
    n = t->n_turns;
    if (n > 1 && t->turns[n - 1].role == CAI_ROLE_ASSISTANT && t->turns[n - 1].content[0] == '\0')
        n--;
    /* the scan rule leaves the order to its own checks */
    if (RUN(d) && t->turns[n - 1].role != CAI_ROLE_USER)
        return say(d, CAI_RECDEC_ROLES, CAI_EPARSE, "prompt", err,
                   "\"prompt\" transcript must end on a Human turn");
    for (i = 0; i < n; i++) {
        if ((st = push_turn(d, t->turns[i].role, t->turns[i].content, err)) != CAI_OK)
            return st;
    }
    return CAI_OK;
}

/* "prompt": a message list, an HH transcript, or any other string (one user turn). */
static cai_status read_prompt(cai_recdec *d, const cJSON *p, int accept, cai_error *err)
{
    cai_status st = CAI_OK;

    begin_seq(d);
    if (!p)
        return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "prompt", err, "missing \"prompt\"");
    if (cJSON_IsString(p) && (accept & ACCEPT_STR)) {
        d->prompt_text = p->valuestring;
        if (strncmp(p->valuestring, "\n\nHuman:", sizeof("\n\nHuman:") - 1) == 0)
            st = read_transcript_prompt(d, p->valuestring, err);
        else
            st = push_turn(d, CAI_ROLE_USER, p->valuestring, err);
    } else if (cJSON_IsArray(p) && (accept & ACCEPT_LIST)) {
        if (RUN(d) && !p->child)
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "prompt", err,
                       "\"prompt\" must not be an empty message list");
        if ((st = read_messages(d, p, "prompt", err)) != CAI_OK || d->failed)
            return st;
        if (RUN(d) && d->turns[d->n_turns - 1].role != CAI_ROLE_USER)
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "prompt", err,
                       "\"prompt\" must end on a user turn");
    } else if (RUN(d)) {
        return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "prompt", err,
                   accept & ACCEPT_LIST ? "\"prompt\" must be a string or a message list"
                                        : "\"prompt\" must be a string");
    } else {
        return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "prompt", err, "\"prompt\" is %s, not %s",
                   type_name(p),
                   accept == ACCEPT_LIST ? "a message list" : "a string or a message list");
    }
    if (st == CAI_OK && !d->failed)
        end_seq(d);
    return st;
}

/* A string that is one assistant turn (a response, chosen, rejected, a completion). */
static cai_status read_reply_string(cai_recdec *d, const cJSON *v, const char *key, cai_error *err)
{
    cai_status st;

    begin_seq(d);
    if (!v && !RUN(d))
        return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err, "missing \"%s\"", key);
    if (!cJSON_IsString(v))
        return RUN(d) ? say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err, "\"%s\" must be a string",
                            key)
                      : say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err,
                            "\"%s\" is %s, not a string", key, type_name(v));
    if ((st = push_turn(d, CAI_ROLE_ASSISTANT, v->valuestring, err)) != CAI_OK)
        return st;
    end_seq(d);
    return CAI_OK;
}

/* A conversational reply. The run rule: a list of one assistant message, or a string; the scan
 * rule: a message list (its order and length are the scanner's checks). */
static cai_status read_reply_list(cai_recdec *d, const cJSON *v, const char *key, cai_error *err)
{
    cai_status st;

    if (RUN(d)) {
        if (cJSON_IsString(v))
            return read_reply_string(d, v, key, err);
        if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 1)
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err,
                       "\"%s\" must be a list of one assistant message or a string", key);
    } else {
        if (!v)
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err, "missing \"%s\"", key);
        if (!cJSON_IsArray(v))
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err,
                       "\"%s\" is %s, not a message list", key, type_name(v));
    }
    begin_seq(d);
    if ((st = read_messages(d, v, key, err)) != CAI_OK || d->failed)
        return st;
    if (RUN(d) && d->turns[d->n_turns - 1].role != CAI_ROLE_ASSISTANT)
        return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err,
                   "\"%s\"[0].role must be \"assistant\"", key);
    end_seq(d);
    return CAI_OK;
}

/* ---- the formats ------------------------------------------------------------------------ */

/* hh: two transcripts that share everything before the last Assistant turn. */
static cai_status read_hh(cai_recdec *d, cai_error *err)
{
    static const char *const names[2] = {"chosen", "rejected"};
    const cJSON *v[2] = {d->keys.chosen, d->keys.rejected};
    cai_status st;
    size_t i, k, n;

    for (k = 0; k < 2 && !RUN(d); k++) {
        if (!v[k])
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, names[k], err, "missing \"%s\"",
                       names[k]);
        if (!cJSON_IsString(v[k]))
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, names[k], err,
                       "\"%s\" is %s, not a string", names[k], type_name(v[k]));
    }
    for (k = 0; k < 2; k++) {
        cai_transcript *t = &d->tr[k];
        cai_error e = {0};

        if (!cJSON_IsString(v[k]))
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, names[k], err, "\"%s\" must be a string",
                       names[k]);
        /* split in place, as the tree's callers have always seen it */
        if (cai_transcript_split(t, v[k]->valuestring, &e) != CAI_OK) {
            if (e.code == CAI_ENOMEM)
                return oom(err);
            return RUN(d) ? say(d, CAI_RECDEC_ROLES, e.code, names[k], err, "\"%s\": %s", names[k],
                                e.msg)
                          : say(d, CAI_RECDEC_ROLES, e.code, names[k], err, "%s: %.400s", names[k],
                                e.msg);
        }
        n = t->n_turns;
        if (n == 0 || t->turns[n - 1].role != CAI_ROLE_ASSISTANT)
            return RUN(d) ? say(d, CAI_RECDEC_ROLES, CAI_EPARSE, names[k], err,
                                "%s transcript does not end on an Assistant turn", names[k])
                          : say(d, CAI_RECDEC_ROLES, CAI_EPARSE, names[k], err,
                                "the %s transcript does not end on an Assistant turn", names[k]);
        if (RUN(d) && (n < 2 || t->turns[n - 2].role != CAI_ROLE_USER))
            return say(d, CAI_RECDEC_ROLES, CAI_EPARSE, names[k], err,
                       "%s transcript has no Human turn before its final reply", names[k]);
    }
    if (RUN(d) && cai_recdec__hh_differs(d) != 0)
        return say(d, CAI_RECDEC_SCHEMA, CAI_EPARSE, NULL, err,
                   "chosen and rejected transcripts have different contexts");
    begin_seq(d);
    for (i = 0; i + 1 < d->tr[0].n_turns; i++) {
        if ((st = push_turn(d, d->tr[0].turns[i].role, d->tr[0].turns[i].content, err)) != CAI_OK)
            return st;
    }
    end_seq(d);
    for (k = 0; k < 2; k++) {
        const cai_message *m = &d->tr[k].turns[d->tr[k].n_turns - 1];
        begin_seq(d);
        if ((st = push_turn(d, m->role, m->content, err)) != CAI_OK)
            return st;
        end_seq(d);
    }
    return CAI_OK;
}

size_t cai_recdec__hh_differs(const cai_recdec *d)
{
    const cai_transcript *a = &d->tr[0], *b = &d->tr[1];
    size_t i;

    if (a->n_turns != b->n_turns)
        return (size_t)-1;
    for (i = 0; i + 1 < a->n_turns; i++) {
        if (a->turns[i].role != b->turns[i].role ||
            strcmp(a->turns[i].content, b->turns[i].content) != 0)
            return i + 1;
    }
    return 0;
}

/* The scan rule's "samples" (written by `cai sample`): one object per response, whose
 * finish_reason "length" marks a response cut at max_tokens. */
static cai_status read_samples(cai_recdec *d, const cJSON *o, int n, cai_error *err)
{
    const cJSON *samples = cJSON_GetObjectItemCaseSensitive(o, "samples"), *s;
    int i = 0;

    memset(d->truncated, 0, sizeof(d->truncated));
    if (!samples)
        return CAI_OK;
    if (!cJSON_IsArray(samples) || cJSON_GetArraySize(samples) != n)
        return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "samples", err,
                   "\"samples\" is not a list of %d objects, one per response", n);
    cJSON_ArrayForEach(s, samples)
    {
        const cJSON *fr = cJSON_GetObjectItemCaseSensitive(s, "finish_reason");
        if (!cJSON_IsObject(s) || (fr && !cJSON_IsString(fr) && !cJSON_IsNull(fr)))
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "samples", err,
                       "samples[%d] is not an object with a string \"finish_reason\"", i);
        d->truncated[i++] = cJSON_IsString(fr) && strcmp(fr->valuestring, "length") == 0;
    }
    return CAI_OK;
}

/* candidates: the run rule wants 2 to 64 strings; the scan rule takes 0 to 64 (too few is its
 * content check) and reads "samples". */
static cai_status read_candidates(cai_recdec *d, const cJSON *o, cai_error *err)
{
    const cJSON *list = d->keys.responses, *r;
    cai_status st;
    size_t i = 0, n;

    if ((st = read_prompt(d, d->keys.prompt, ACCEPT_BOTH, err)) != CAI_OK || d->failed)
        return st;
    if (RUN(d)) {
        n = cJSON_IsArray(list) ? (size_t)cJSON_GetArraySize(list) : 0;
        if (n < 2)
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "responses", err,
                       "\"responses\" must be a list of 2 or more strings");
        if (n > CAI_RECFMT_MAX_RESPONSES)
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "responses", err,
                       "\"responses\" holds %zu strings, over %d", n, CAI_RECFMT_MAX_RESPONSES);
    } else {
        if (!list)
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "responses", err,
                       "missing \"responses\"");
        if (!cJSON_IsArray(list))
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "responses", err,
                       "\"responses\" is %s, not a list", type_name(list));
        n = (size_t)cJSON_GetArraySize(list);
        if (n > CAI_RECFMT_MAX_RESPONSES)
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "responses", err,
                       "\"responses\" has %zu items, over %d", n, CAI_RECFMT_MAX_RESPONSES);
        if ((st = read_samples(d, o, (int)n, err)) != CAI_OK || d->failed)
            return st;
    }
    cJSON_ArrayForEach(r, list)
    {
        if (!cJSON_IsString(r))
            return RUN(d) ? say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "responses", err,
                                "\"responses\"[%zu] must be a string", i)
                          : say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "responses", err,
                                "responses[%zu] is %s, not a string", i, type_name(r));
        begin_seq(d);
        if ((st = push_turn(d, CAI_ROLE_ASSISTANT, r->valuestring, err)) != CAI_OK)
            return st;
        end_seq(d);
        i++;
    }
    return CAI_OK;
}

/* messages (TRL conversational SFT): the turns before the last are the prompt, the last (an
 * assistant turn) the completion. */
static cai_status read_messages_record(cai_recdec *d, cai_error *err)
{
    const cJSON *m = d->keys.messages;
    cai_status st;
    size_t n;

    if (!m)
        return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "messages", err, "missing \"messages\"");
    if (!cJSON_IsArray(m))
        return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "messages", err,
                   "\"messages\" is %s, not a message list", type_name(m));
    if ((st = read_messages(d, m, "messages", err)) != CAI_OK || d->failed)
        return st;
    n = d->n_turns;
    if (n == 0 || d->turns[n - 1].role != CAI_ROLE_ASSISTANT)
        return say(d, CAI_RECDEC_ROLES, CAI_ESCHEMA, "messages", err, "%s, not an assistant turn",
                   n == 0 ? "\"messages\" is empty: the last turn is none"
                   : d->turns[n - 1].role == CAI_ROLE_USER ? "the last turn is a user turn"
                                                           : "the last turn is a system turn");
    if (n < 2)
        return say(d, CAI_RECDEC_ROLES, CAI_ESCHEMA, "messages", err,
                   "no user turn before the assistant's answer");
    d->seq_start[0] = 0;
    d->seq_len[0] = n - 1;
    d->seq_start[1] = n - 1;
    d->seq_len[1] = 1;
    d->n_seqs = 2;
    return CAI_OK;
}

/* Every key the format reads is there (the run rule checks them all before reading any). */
static cai_status require(cai_recdec *d, cai_error *err)
{
    const char *const *keys = cai_recfmt__format_keys(d->format);
    const cJSON *const v[] = {d->keys.prompt,    d->keys.response_a, d->keys.response_b,
                              d->keys.responses, d->keys.chosen,     d->keys.rejected};
    static const char *const names[] = {"prompt",    "response_a", "response_b",
                                        "responses", "chosen",     "rejected"};
    size_t i;

    for (; *keys; keys++) {
        for (i = 0; i < sizeof(names) / sizeof(*names); i++) {
            if (strcmp(*keys, names[i]) == 0 && !v[i])
                return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, names[i], err,
                           "missing \"%s\" (%s format)", names[i], cai_format_name(d->format));
        }
    }
    return CAI_OK;
}

cai_status cai_recdec__format(cai_recdec *d, const cJSON *o, cai_format fmt, cai_error *err)
{
    const char *dup;

    cai_recdec__reset(d);
    d->format = CAI_FORMAT_AUTO;
    cai_recfmt__keys(o, &d->keys);
    d->id = cJSON_GetObjectItemCaseSensitive(o, "id");
    /* the run rule reads no SFT data: "completion" and "messages" twice are no concern of it */
    if ((dup = cai_recfmt__duplicate(o, !RUN(d))) != NULL)
        return RUN(d)
                   ? say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, dup, err, "duplicate key \"%s\"", dup)
                   : say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, dup, err,
                         "duplicate key \"%s\": cai reads the first, Python's json the last", dup);
    if (fmt == CAI_FORMAT_AUTO) {
        fmt = cai_recfmt__detect(&d->keys);
        if (fmt == CAI_FORMAT_AUTO)
            return RUN(d) ? say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, NULL, err,
                                "unrecognised record: expected \"prompt\" with "
                                "\"response_a\"/\"response_b\" or \"responses\", or "
                                "\"chosen\"/\"rejected\"")
                          : say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, NULL, err,
                                "no known format: expected prompt/chosen/rejected, "
                                "chosen/rejected (hh), response_a/response_b (pairs), responses "
                                "(candidates), prompt/completion (sft) or messages");
        /* the scan rule reads these as SFT data: say so rather than "unrecognised" */
        if (RUN(d) && (fmt == CAI_FORMAT_SFT || fmt == CAI_FORMAT_MESSAGES))
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, NULL, err,
                       "an SFT record (%s): one response, nothing for a judge to compare; judge "
                       "pairs, candidates, hh, trl or conversational records (cai validate "
                       "checks SFT files)",
                       fmt == CAI_FORMAT_SFT ? "prompt/completion" : "messages");
    }
    d->format = fmt;
    if (RUN(d))
        return require(d, err);
    if (d->id && !cJSON_IsString(d->id) && !cJSON_IsNumber(d->id))
        return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "id", err,
                   "\"id\" is %s, not a string or number", type_name(d->id));
    return CAI_OK;
}

cai_status cai_recdec__read(cai_recdec *d, const cJSON *o, cai_error *err)
{
    const cai_recfmt_keys *k = &d->keys;
    cai_status st;
    int run = RUN(d);

    switch (d->format) {
    case CAI_FORMAT_PAIRS:
        if ((st = read_prompt(d, k->prompt, ACCEPT_BOTH, err)) != CAI_OK || d->failed ||
            (st = read_reply_string(d, k->response_a, "response_a", err)) != CAI_OK || d->failed)
            return st;
        return read_reply_string(d, k->response_b, "response_b", err);
    case CAI_FORMAT_CANDIDATES:
        return read_candidates(d, o, err);
    case CAI_FORMAT_HH:
        return read_hh(d, err);
    case CAI_FORMAT_TRL:
        /* a list prompt makes a conversational record; forced to trl, the run refuses it */
        if ((st = read_prompt(d, k->prompt, run ? ACCEPT_STR : ACCEPT_BOTH, err)) != CAI_OK ||
            d->failed || (st = read_reply_string(d, k->chosen, "chosen", err)) != CAI_OK ||
            d->failed)
            return st;
        return read_reply_string(d, k->rejected, "rejected", err);
    case CAI_FORMAT_CONVERSATIONAL:
        if ((st = read_prompt(d, k->prompt, run ? ACCEPT_BOTH : ACCEPT_LIST, err)) != CAI_OK ||
            d->failed || (st = read_reply_list(d, k->chosen, "chosen", err)) != CAI_OK || d->failed)
            return st;
        return read_reply_list(d, k->rejected, "rejected", err);
    case CAI_FORMAT_SFT:
        if (run)
            break;
        /* a string prompt with a string completion, or a list with a list */
        if ((st = read_prompt(d, k->prompt, ACCEPT_BOTH, err)) != CAI_OK || d->failed)
            return st;
        return cJSON_IsArray(k->prompt) ? read_reply_list(d, k->completion, "completion", err)
                                        : read_reply_string(d, k->completion, "completion", err);
    case CAI_FORMAT_MESSAGES:
        if (run)
            break;
        return read_messages_record(d, err);
    case CAI_FORMAT_AUTO:
        break;
    }
    return say(d, CAI_RECDEC_SCHEMA, CAI_EINVAL, NULL, err, "unknown format");
}

cai_status cai_recdec__id(cai_recdec *d, char buf[40], const char **out, cai_error *err)
{
    const cJSON *id = d->id;
    double v;

    *out = NULL;
    if (cJSON_IsString(id)) {
        if (id->valuestring[0] == '\0')
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "id", err, "\"id\" must not be empty");
        *out = id->valuestring;
        return CAI_OK;
    }
    if (!cJSON_IsNumber(id))
        return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "id", err,
                   "\"id\" must be a string or an integer");
    v = id->valuedouble;
    if (v != floor(v) || fabs(v) > 9007199254740992.0)
        return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "id", err,
                   "\"id\" must be a string or an integer below 2^53");
    snprintf(buf, 40, "%.0f", v);
    *out = buf;
    return CAI_OK;
}

/* SPDX-License-Identifier: MIT */
/* The one record decoder: the only code that walks a pairs, candidates, hh, trl,
 * conversational, sft or messages record; the reader, the scanner and the generation stages
 * read through it. */
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
    for (i = 0; i < d->n_extra; i++)
        free(d->extra[i]);
    d->n_extra = 0;
    d->arena_len = 0;
    free(d->reparsed);
    d->reparsed = NULL;
    d->n_turns = d->n_seqs = 0;
    d->prompt_text = NULL;
    memset(&d->id, 0, sizeof(d->id));
    d->failed = 0;
}

void cai_recdec__dispose(cai_recdec *d)
{
    cai_recdec__reset(d);
    free(d->turns);
    d->turns = NULL;
    d->cap_turns = 0;
    free(d->arena);
    d->arena = NULL;
    d->arena_cap = 0;
    free(d->extra);
    d->extra = NULL;
    d->cap_extra = 0;
}

const char *cai_recdec__type_name(const cai_jval *v)
{
    switch (v->n ? v->p[0] : 'n') {
    case '"':
        return "a string";
    case '[':
        return "a list";
    case '{':
        return "an object";
    case 't':
    case 'f':
        return "a boolean";
    case 'n':
        return "null";
    }
    return "a number";
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

/* Decodes string v into the line's arena (or a block of its own when the arena is full). */
static const char *str(cai_recdec *d, const cai_jval *v)
{
    char *dst;

    if (v->n - 1 <= d->arena_cap - d->arena_len) {
        dst = d->arena + d->arena_len;
        d->arena_len += cai_jscan__string(v, dst) + 1;
        return dst;
    }
    if (d->n_extra == d->cap_extra) {
        char **ne = cai__grow(d->extra, &d->cap_extra, d->n_extra + 1, sizeof(*ne), 8);
        if (!ne)
            return NULL;
        d->extra = ne;
    }
    if (!(dst = malloc(v->n)))
        return NULL;
    d->extra[d->n_extra++] = dst;
    cai_jscan__string(v, dst);
    return dst;
}

const char *cai_recdec__str(cai_recdec *d, const cai_jval *v)
{
    return cai_jscan__is_string(v) ? str(d, v) : NULL;
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

#define IS_STR(v)  cai_jscan__is_string(v)
#define IS_LIST(v) cai_jscan__is_array(v)

/* A message list, [{"role": ..., "content": "..."}, ...], into turns; extra keys ("name") are
 * ignored. */
static cai_status
read_messages(cai_recdec *d, const cai_jval *list, const char *key, cai_error *err)
{
    static const char *const names[] = {"role", "content"};
    cai_jiter it = {0};
    cai_jval m, rc[2];
    size_t i = 0;
    cai_status st;

    while (cai_jscan__next(list, &it, NULL, &m)) {
        const char *content;
        cai_role r;

        if (!cai_jscan__is_object(&m))
            return RUN(d)
                       ? say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err,
                             "\"%s\"[%zu] must be an object with \"role\" and \"content\"", key, i)
                       : say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err,
                             "%s[%zu] is %s, not a message object", key, i, type_name(&m));
        cai_jscan__get_many(&m, names, rc, 2);
        if (!IS_STR(&rc[0]))
            return RUN(d) ? say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err,
                                "\"%s\"[%zu].role must be a string", key, i)
                          : say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err, "%s[%zu].role is %s",
                                key, i, rc[0].n ? type_name(&rc[0]) : "missing");
        if (cai_jscan__string_eq(&rc[0], "user"))
            r = CAI_ROLE_USER;
        else if (cai_jscan__string_eq(&rc[0], "assistant"))
            r = CAI_ROLE_ASSISTANT;
        else if (cai_jscan__string_eq(&rc[0], "system"))
            r = CAI_ROLE_SYSTEM;
        else if (RUN(d))
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err,
                       "\"%s\"[%zu].role must be \"system\", \"user\" or \"assistant\"", key, i);
        else {
            const char *role = str(d, &rc[0]);
            if (!role)
                return oom(err);
            return say(d, CAI_RECDEC_ROLES, CAI_ESCHEMA, key, err,
                       "%s[%zu]: unknown role \"%.40s\"", key, i, role);
        }
        if (!IS_STR(&rc[1]))
            return RUN(d) ? say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err,
                                "\"%s\"[%zu].content must be a string", key, i)
                          : say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err,
                                "%s[%zu].content is %s, not a string", key, i,
                                rc[1].n ? type_name(&rc[1]) : "missing");
        if (!(content = str(d, &rc[1])))
            return oom(err);
        if ((st = push_turn(d, r, content, err)) != CAI_OK)
            return st;
        i++;
    }
    return CAI_OK;
}

/* An HH transcript "prompt", split into turns (a copy: prompt_text stays as given); a
 * trailing empty "\n\nAssistant:" cue is dropped, so that it ends on the Human turn. */
static cai_status read_transcript_prompt(cai_recdec *d, const cai_jval *v, cai_error *err)
{
    cai_transcript *t = &d->tr[2];
    cai_error e = {0};
    cai_status st;
    size_t i, n;
    char *copy = (char *)str(d, v);

    if (!copy)
        return oom(err);
    if (cai_transcript_split(t, copy, &e) != CAI_OK) {
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
static cai_status read_prompt(cai_recdec *d, const cai_jval *p, int accept, cai_error *err)
{
    cai_status st = CAI_OK;

    begin_seq(d);
    if (!p->n)
        return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "prompt", err, "missing \"prompt\"");
    if (IS_STR(p) && (accept & ACCEPT_STR)) {
        if (!(d->prompt_text = str(d, p)))
            return oom(err);
        if (strncmp(d->prompt_text, "\n\nHuman:", sizeof("\n\nHuman:") - 1) == 0)
            st = read_transcript_prompt(d, p, err);
        else
            st = push_turn(d, CAI_ROLE_USER, d->prompt_text, err);
    } else if (IS_LIST(p) && (accept & ACCEPT_LIST)) {
        if (RUN(d) && cai_jscan__count(p) == 0)
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
static cai_status
read_reply_string(cai_recdec *d, const cai_jval *v, const char *key, cai_error *err)
{
    const char *text;
    cai_status st;

    begin_seq(d);
    if (!v->n && !RUN(d))
        return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err, "missing \"%s\"", key);
    if (!IS_STR(v))
        return RUN(d) ? say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err, "\"%s\" must be a string",
                            key)
                      : say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err,
                            "\"%s\" is %s, not a string", key, type_name(v));
    if (!(text = str(d, v)))
        return oom(err);
    if ((st = push_turn(d, CAI_ROLE_ASSISTANT, text, err)) != CAI_OK)
        return st;
    end_seq(d);
    return CAI_OK;
}

/* A conversational reply. The run rule: a list of one assistant message, or a string; the scan
 * rule: a message list (its order and length are the scanner's checks). */
static cai_status read_reply_list(cai_recdec *d, const cai_jval *v, const char *key, cai_error *err)
{
    cai_status st;

    if (RUN(d)) {
        if (IS_STR(v))
            return read_reply_string(d, v, key, err);
        if (!IS_LIST(v) || cai_jscan__count(v) != 1)
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err,
                       "\"%s\" must be a list of one assistant message or a string", key);
    } else {
        if (!v->n)
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, key, err, "missing \"%s\"", key);
        if (!IS_LIST(v))
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
    const cai_jval *v[2] = {&d->keys.chosen, &d->keys.rejected};
    cai_status st;
    size_t i, k, n;

    for (k = 0; k < 2 && !RUN(d); k++) {
        if (!v[k]->n)
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, names[k], err, "missing \"%s\"",
                       names[k]);
        if (!IS_STR(v[k]))
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, names[k], err,
                       "\"%s\" is %s, not a string", names[k], type_name(v[k]));
    }
    for (k = 0; k < 2; k++) {
        cai_transcript *t = &d->tr[k];
        cai_error e = {0};
        char *text;

        if (!IS_STR(v[k]))
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, names[k], err, "\"%s\" must be a string",
                       names[k]);
        if (!(text = (char *)str(d, v[k])))
            return oom(err);
        if (cai_transcript_split(t, text, &e) != CAI_OK) {
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
static cai_status read_samples(cai_recdec *d, const cai_jval *o, size_t n, cai_error *err)
{
    cai_jval samples, s, fr;
    cai_jiter it = {0};
    size_t i = 0;

    memset(d->truncated, 0, sizeof(d->truncated));
    if (!cai_jscan__get(o, "samples", &samples))
        return CAI_OK;
    if (!IS_LIST(&samples) || cai_jscan__count(&samples) != n)
        return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "samples", err,
                   "\"samples\" is not a list of %zu objects, one per response", n);
    while (cai_jscan__next(&samples, &it, NULL, &s)) {
        int has = cai_jscan__get(&s, "finish_reason", &fr);
        if (!cai_jscan__is_object(&s) || (has && !IS_STR(&fr) && fr.p[0] != 'n'))
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "samples", err,
                       "samples[%zu] is not an object with a string \"finish_reason\"", i);
        d->truncated[i++] = has && cai_jscan__string_eq(&fr, "length");
    }
    return CAI_OK;
}

/* candidates: the run rule wants 2 to 64 strings; the scan rule takes 0 to 64 (too few is its
 * content check) and reads "samples". */
static cai_status read_candidates(cai_recdec *d, const cai_jval *o, cai_error *err)
{
    const cai_jval *list = &d->keys.responses;
    cai_jiter it = {0};
    cai_jval r;
    cai_status st;
    size_t i = 0, n;

    if ((st = read_prompt(d, &d->keys.prompt, ACCEPT_BOTH, err)) != CAI_OK || d->failed)
        return st;
    if (RUN(d)) {
        n = cai_jscan__count(list);
        if (n < 2)
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "responses", err,
                       "\"responses\" must be a list of 2 or more strings");
        if (n > CAI_RECFMT_MAX_RESPONSES)
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "responses", err,
                       "\"responses\" holds %zu strings, over %d", n, CAI_RECFMT_MAX_RESPONSES);
    } else {
        if (!list->n)
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "responses", err,
                       "missing \"responses\"");
        if (!IS_LIST(list))
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "responses", err,
                       "\"responses\" is %s, not a list", type_name(list));
        n = cai_jscan__count(list);
        if (n > CAI_RECFMT_MAX_RESPONSES)
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "responses", err,
                       "\"responses\" has %zu items, over %d", n, CAI_RECFMT_MAX_RESPONSES);
        if ((st = read_samples(d, o, n, err)) != CAI_OK || d->failed)
            return st;
    }
    while (cai_jscan__next(list, &it, NULL, &r)) {
        const char *text;
        if (!IS_STR(&r))
            return RUN(d) ? say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "responses", err,
                                "\"responses\"[%zu] must be a string", i)
                          : say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "responses", err,
                                "responses[%zu] is %s, not a string", i, type_name(&r));
        if (!(text = str(d, &r)))
            return oom(err);
        begin_seq(d);
        if ((st = push_turn(d, CAI_ROLE_ASSISTANT, text, err)) != CAI_OK)
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
    const cai_jval *m = &d->keys.messages;
    cai_status st;
    size_t n;

    if (!m->n)
        return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "messages", err, "missing \"messages\"");
    if (!IS_LIST(m))
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
    const cai_jval *const v[] = {&d->keys.prompt,    &d->keys.response_a, &d->keys.response_b,
                                 &d->keys.responses, &d->keys.chosen,     &d->keys.rejected};
    static const char *const names[] = {"prompt",    "response_a", "response_b",
                                        "responses", "chosen",     "rejected"};
    size_t i;

    for (; *keys; keys++) {
        for (i = 0; i < sizeof(names) / sizeof(*names); i++) {
            if (strcmp(*keys, names[i]) == 0 && !v[i]->n)
                return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, names[i], err,
                           "missing \"%s\" (%s format)", names[i], cai_format_name(d->format));
        }
    }
    return CAI_OK;
}

cai_status cai_recdec__format(cai_recdec *d, const cai_jval *o, cai_format fmt, cai_error *err)
{
    const char *dup;

    d->format = CAI_FORMAT_AUTO;
    /* every string of the record decoded once fits in its own length */
    if (o->n + 16 > d->arena_cap) {
        char *a = realloc(d->arena, o->n + 16);
        if (!a)
            return oom(err);
        d->arena = a;
        d->arena_cap = o->n + 16;
    }
    /* the run rule reads no SFT data: "completion" and "messages" twice are no concern of it */
    if ((dup = cai_recfmt__keys(o, &d->keys, &d->id, !RUN(d), &d->n_members)) != NULL)
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
    if (d->id.n && !IS_STR(&d->id) && !cai_jscan__is_number(&d->id))
        return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "id", err,
                   "\"id\" is %s, not a string or number", type_name(&d->id));
    return CAI_OK;
}

cai_status cai_recdec__read(cai_recdec *d, const cai_jval *o, cai_error *err)
{
    const cai_recfmt_keys *k = &d->keys;
    cai_status st;
    int run = RUN(d);

    switch (d->format) {
    case CAI_FORMAT_PAIRS:
        if ((st = read_prompt(d, &k->prompt, ACCEPT_BOTH, err)) != CAI_OK || d->failed ||
            (st = read_reply_string(d, &k->response_a, "response_a", err)) != CAI_OK || d->failed)
            return st;
        return read_reply_string(d, &k->response_b, "response_b", err);
    case CAI_FORMAT_CANDIDATES:
        return read_candidates(d, o, err);
    case CAI_FORMAT_HH:
        return read_hh(d, err);
    case CAI_FORMAT_TRL:
        /* a list prompt makes a conversational record; forced to trl, the run refuses it */
        if ((st = read_prompt(d, &k->prompt, run ? ACCEPT_STR : ACCEPT_BOTH, err)) != CAI_OK ||
            d->failed || (st = read_reply_string(d, &k->chosen, "chosen", err)) != CAI_OK ||
            d->failed)
            return st;
        return read_reply_string(d, &k->rejected, "rejected", err);
    case CAI_FORMAT_CONVERSATIONAL:
        if ((st = read_prompt(d, &k->prompt, run ? ACCEPT_BOTH : ACCEPT_LIST, err)) != CAI_OK ||
            d->failed || (st = read_reply_list(d, &k->chosen, "chosen", err)) != CAI_OK ||
            d->failed)
            return st;
        return read_reply_list(d, &k->rejected, "rejected", err);
    case CAI_FORMAT_SFT:
        if (run)
            break;
        /* a string prompt with a string completion, or a list with a list */
        if ((st = read_prompt(d, &k->prompt, ACCEPT_BOTH, err)) != CAI_OK || d->failed)
            return st;
        return IS_LIST(&k->prompt) ? read_reply_list(d, &k->completion, "completion", err)
                                   : read_reply_string(d, &k->completion, "completion", err);
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
    const cai_jval *id = &d->id;
    double v;

    *out = NULL;
    if (IS_STR(id)) {
        const char *s = str(d, id);
        if (!s)
            return oom(err);
        if (s[0] == '\0')
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "id", err, "\"id\" must not be empty");
        *out = s;
        return CAI_OK;
    }
    if (!cai_jscan__is_number(id))
        return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "id", err,
                   "\"id\" must be a string or an integer");
    v = cai_jscan__number(id);
    if (v != floor(v) || fabs(v) > 9007199254740992.0)
        return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "id", err,
                   "\"id\" must be a string or an integer below 2^53");
    snprintf(buf, 40, "%.0f", v);
    *out = buf;
    return CAI_OK;
}

/* ---- the line's text -------------------------------------------------------------------- */

cai_status
cai_recdec__reread(cai_recdec *d, const struct cJSON *tree, cai_jval *root, cai_error *err)
{
    free(d->reparsed);
    if (!(d->reparsed = cJSON_PrintUnformatted(tree)))
        return oom(err);
    if (cai_jscan__check(d->reparsed, strlen(d->reparsed), root) != 0)
        return cai_error__set(err, CAI_EPARSE, "internal: cJSON printed JSON it cannot read");
    return CAI_OK;
}

/* ---- the generation stages' rule -------------------------------------------------------- */

static const char GEN_HUMAN[] = "\n\nHuman:", GEN_ASSISTANT[] = "\n\nAssistant:";

cai_status cai_recdec__gen_line(cai_recdec *d, const char *line, cai_jval *root, cai_error *err)
{
    size_t len = strlen(line);
    cJSON *tree;
    cai_status st;

    cai_recdec__reset(d);
    /* escapes whose decoding cJSON makes its own way (\u0000 cuts a C string, lone surrogates)
     * and anything beyond RFC 8259 (text after the value too) are read through cJSON's tree */
    if (cai_jscan__check_clean(line, len, root) == 0)
        return cai_jscan__is_object(root)
                   ? CAI_OK
                   : say(d, CAI_RECDEC_SCHEMA, CAI_EPARSE, NULL, err, "not a JSON object");
    tree = cJSON_Parse(line);
    if (!cJSON_IsObject(tree)) {
        cJSON_Delete(tree);
        return say(d, CAI_RECDEC_SCHEMA, CAI_EPARSE, NULL, err, "not a JSON object");
    }
    st = cai_recdec__reread(d, tree, root, err);
    cJSON_Delete(tree);
    return st;
}

/* A copy of s[0, n) that lives as the line does. */
static char *keep(cai_recdec *d, const char *s, size_t n)
{
    char *dst;

    if (n + 1 <= d->arena_cap - d->arena_len) {
        dst = d->arena + d->arena_len;
        d->arena_len += n + 1;
    } else {
        if (d->n_extra == d->cap_extra) {
            char **ne = cai__grow(d->extra, &d->cap_extra, d->n_extra + 1, sizeof(*ne), 8);
            if (!ne)
                return NULL;
            d->extra = ne;
        }
        if (!(dst = malloc(n + 1)))
            return NULL;
        d->extra[d->n_extra++] = dst;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
    return dst;
}

/* The arena, sized for the line's strings decoded once. */
static cai_status gen_arena(cai_recdec *d, const cai_jval *o, cai_error *err)
{
    if (d->arena_len == 0 && o->n + 16 > d->arena_cap) {
        char *a = realloc(d->arena, o->n + 16);
        if (!a)
            return oom(err);
        d->arena = a;
        d->arena_cap = o->n + 16;
    }
    return CAI_OK;
}

/* A role as the stages take it (a C string compare: what cJSON's valuestring gave). */
static int gen_role(const char *r)
{
    if (!strcmp(r, "system"))
        return CAI_ROLE_SYSTEM;
    if (!strcmp(r, "user") || !strcmp(r, "human"))
        return CAI_ROLE_USER;
    if (!strcmp(r, "assistant"))
        return CAI_ROLE_ASSISTANT;
    return -1;
}

/* A string prompt: text with "\n\nHuman:" splits from there into turns, else one user turn. */
static cai_status gen_text(cai_recdec *d, char *text, cai_error *err)
{
    const char *h = strstr(text, GEN_HUMAN);
    cai_transcript *t = &d->tr[2];
    cai_error e = {0};
    cai_status st;
    char *copy;
    size_t i;

    if (!h)
        return push_turn(d, CAI_ROLE_USER, text, err);
    /* what precedes the first Human turn is not sent (as the stages always read it) */
    if (!(copy = keep(d, h, strlen(h))))
        return oom(err);
    if (cai_transcript_split(t, copy, &e) != CAI_OK)
        return e.code == CAI_ENOMEM ? oom(err) : cai_error__set(err, e.code, "%s", e.msg);
    for (i = 0; i < t->n_turns; i++) {
        const char *c = t->turns[i].content;

        while (*c == ' ')
            c++;
        if ((*c || t->turns[i].role == CAI_ROLE_USER) &&
            (st = push_turn(d, t->turns[i].role, c, err)) != CAI_OK)
            return st;
    }
    return CAI_OK;
}

static const char *const gen_keys[] = {"id", "prompt", "messages", "chosen"};

cai_status cai_recdec__gen_prompt(cai_recdec *d, const cai_jval *o, cai_error *err)
{
    cai_jval v[4], *pr = &v[1], *msgs = &v[2], *ch = &v[3];
    cai_status st;

    if ((st = gen_arena(d, o, err)) != CAI_OK)
        return st;
    cai_jscan__get_many(o, gen_keys, v, 4);
    /* read again for each response cai revise revises: the turns start over */
    d->n_turns = d->n_seqs = 0;
    cai_transcript_dispose(&d->tr[2]);
    d->id = v[0];
    d->prompt_text = NULL;
    begin_seq(d);
    if (IS_STR(pr) || (!pr->n && !msgs->n && IS_STR(ch))) {
        char *text = (char *)str(d, IS_STR(pr) ? pr : ch);

        if (!text)
            return oom(err);
        if (!IS_STR(pr)) {
            char *a = text, *last = NULL;

            while ((a = strstr(a, GEN_ASSISTANT)) != NULL)
                last = a++;
            if (!last)
                return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "chosen", err,
                           "\"chosen\" holds no \"\\n\\nAssistant:\" turn");
            last[sizeof(GEN_ASSISTANT) - 1] = '\0';
        }
        d->prompt_text = text;
        st = gen_text(d, text, err);
    } else if (IS_LIST(pr) || IS_LIST(msgs)) {
        const cai_jval *arr = IS_LIST(pr) ? pr : msgs;
        static const char *const names[] = {"role", "content"};
        cai_jiter it = {0};
        cai_jval m, rc[2];
        size_t n = 0, last_user = 0, have_user = 0;

        while (cai_jscan__next(arr, &it, NULL, &m)) {
            const char *role = NULL, *content = NULL;
            int r = -1;

            rc[0].n = rc[1].n = 0;
            if (cai_jscan__is_object(&m))
                cai_jscan__get_many(&m, names, rc, 2);
            if (IS_STR(&rc[0]) && IS_STR(&rc[1])) {
                if (!(role = str(d, &rc[0])) || !(content = str(d, &rc[1])))
                    return oom(err);
                r = gen_role(role);
            }
            if (r < 0)
                return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "prompt", err,
                           "a message needs a \"role\" (system, user, assistant) and a "
                           "string \"content\"");
            if (r == CAI_ROLE_USER) {
                last_user = n;
                have_user = 1;
            }
            if ((st = push_turn(d, (cai_role)r, content, err)) != CAI_OK)
                return st;
            n++;
        }
        if (!have_user || (arr == pr && last_user != n - 1))
            return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "prompt", err,
                       "the prompt's messages must end on a user turn");
        d->n_turns = d->seq_start[d->n_seqs] + last_user + 1;
    } else {
        return say(d, CAI_RECDEC_SCHEMA, CAI_ESCHEMA, "prompt", err,
                   "no prompt: expected \"prompt\" (a string or a message list), "
                   "\"messages\" or an HH \"chosen\" transcript");
    }
    if (st == CAI_OK)
        end_seq(d);
    return st;
}

int cai_recdec__gen_is_list(const cai_jval *o)
{
    cai_jval v[4];

    cai_jscan__get_many(o, gen_keys, v, 4);
    return IS_LIST(&v[1]) || (!IS_STR(&v[1]) && IS_LIST(&v[2]));
}

/* A response value: a string, or a message list whose last turn is the assistant's. 1 and
 * *out (NULL without memory), else 0. */
static int gen_reply(cai_recdec *d, const cai_jval *v, const char **out)
{
    static const char *const names[] = {"role", "content"};
    size_t n = cai_jscan__count(v);
    cai_jval last, rc[2];
    const char *role;

    if (IS_STR(v)) {
        *out = str(d, v);
        return 1;
    }
    if (!IS_LIST(v) || n < 1 || !cai_jscan__index(v, n - 1, &last))
        return 0;
    rc[0].n = rc[1].n = 0;
    if (cai_jscan__is_object(&last))
        cai_jscan__get_many(&last, names, rc, 2);
    if (!IS_STR(&rc[0]) || !IS_STR(&rc[1]))
        return 0;
    if (!(role = str(d, &rc[0]))) {
        *out = NULL;
        return 1;
    }
    if (strcmp(role, "assistant") != 0)
        return 0;
    *out = str(d, &rc[1]);
    return 1;
}

cai_status cai_recdec__gen_responses(
    cai_recdec *d, const cai_jval *o, const char **out, size_t max, size_t *n, cai_error *err)
{
    static const char *const keys[] = {"responses", "response", "completion",
                                       "chosen",    "prompt",   "messages"};
    cai_jval v[6];
    const char *t = NULL;
    cai_status st;
    int got;

    *n = 0;
    if ((st = gen_arena(d, o, err)) != CAI_OK)
        return st;
    cai_jscan__get_many(o, keys, v, 6);
    if (IS_LIST(&v[0])) {
        cai_jiter it = {0};
        cai_jval e;
        size_t k = 0;

        while (cai_jscan__next(&v[0], &it, NULL, &e)) {
            if (!IS_STR(&e) || k == max)
                return CAI_OK;
            if (!(out[k++] = str(d, &e)))
                return oom(err);
        }
        *n = k;
        return CAI_OK;
    }
    if ((got = gen_reply(d, &v[1], &t)) != 0 || (got = gen_reply(d, &v[2], &t)) != 0 ||
        (v[4].n && (got = gen_reply(d, &v[3], &t)) != 0)) {
        /* a response, a completion, or the chosen reply of a prompt */
    } else if (IS_STR(&v[3])) { /* HH: the text after the last "\n\nAssistant:" */
        const char *a = str(d, &v[3]), *last = NULL;

        if (!a)
            return oom(err);
        while ((a = strstr(a, GEN_ASSISTANT)) != NULL)
            last = a++;
        if (!last)
            return CAI_OK;
        last += sizeof(GEN_ASSISTANT) - 1;
        while (*last == ' ')
            last++;
        t = last;
        got = 1;
    } else
        got = gen_reply(d, &v[5], &t);
    if (!got)
        return CAI_OK;
    if (!t)
        return oom(err);
    out[0] = t;
    *n = 1;
    return CAI_OK;
}

/* SPDX-License-Identifier: MIT */
/* The record reader: turns each JSONL line of any supported input format into one cai_record. */
/*
 * Invariant: everything a record points to lives in the reader's per-line state (the parsed
 * cJSON tree, which HH transcripts are split inside, and a few arrays reused from line to
 * line) and is released or reused by the next cai_reader_next(). Nothing accumulates per line
 * except the counters and the first KEEP_MSGS skip and warning messages.
 */
#include "hash_int.h"
#include "cai/record.h"
#include "error_int.h"
#include "jsonraw_int.h"
#include "reader_int.h"
#include "recfmt_int.h"
#include "util_int.h"
#include "opts_int.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEEP_MSGS 100

struct cai_reader {
    cai_lines *lines;
    char *path;
    cai_reader_opts o;
    /* per-line state, released by reset() */
    cJSON *doc;
    char *meta;
    cai_transcript tr[3]; /* prompt, chosen, rejected */
    char *prompt_copy;    /* a transcript "prompt" before splitting modifies it */
    cai_message *ctx;
    size_t ctx_cap;
    const char **resp;
    size_t resp_cap;
    char id[40];
    cai_record rec;
    /* counters */
    uint64_t skipped, warnings, records;
    char *skip_msg[KEEP_MSGS];
    char *warn_msg[KEEP_MSGS];
    size_t n_skip_msg, n_warn_msg;
};

/* What one line is being read as. */
typedef struct line_ctx {
    cai_reader *r;
    uint64_t lineno;
    cai_error *err;
} line_ctx;

static const char *const format_names[] = {"auto", "pairs",          "candidates", "hh",
                                           "trl",  "conversational", "sft",        "messages"};

int cai_format_parse(const char *name)
{
    int i;

    for (i = 0; name && i < (int)(sizeof(format_names) / sizeof(*format_names)); i++) {
        if (strcmp(name, format_names[i]) == 0)
            return i;
    }
    return -1;
}

const char *cai_format_name(cai_format f)
{
    if ((unsigned)f < sizeof(format_names) / sizeof(*format_names))
        return format_names[f];
    return "unknown";
}

const char *cai_role_name(cai_role r)
{
    switch (r) {
    case CAI_ROLE_SYSTEM:
        return "system";
    case CAI_ROLE_USER:
        return "user";
    case CAI_ROLE_ASSISTANT:
        return "assistant";
    }
    return "unknown";
}

/* ---- errors -------------------------------------------------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static cai_status
fail(const line_ctx *lc, cai_status code, const char *fmt, ...)
{
    char reason[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    return cai_error__set(lc->err, code, "%s:%llu: %s", lc->r->path, (unsigned long long)lc->lineno,
                          reason);
}

static void keep_msg(char **msgs, size_t *n, const char *msg)
{
    if (*n < KEEP_MSGS && (msgs[*n] = strdup(msg)) != NULL)
        (*n)++;
}

/* ---- JSON checks cJSON does not make ------------------------------------------------------- */

static cai_status scan_json(const line_ctx *lc, const char *s, size_t n)
{
    size_t at = 0;

    switch (cai_json__check(s, n, &at)) {
    case CAI_JCHECK_OK:
        break;
    case CAI_JCHECK_DEEP:
        return fail(lc, CAI_ELIMIT, "JSON nested deeper than %d levels at byte %zu",
                    CAI_JSON_MAX_DEPTH, at);
    case CAI_JCHECK_NUL:
        return fail(lc, CAI_EPARSE, "escaped NUL character (\\u0000) at byte %zu", at);
    case CAI_JCHECK_SURROGATE:
        return fail(lc, CAI_EPARSE, "lone surrogate escape \\%.5s at byte %zu", s + at, at);
    }
    return CAI_OK;
}

/* ---- field helpers ------------------------------------------------------------------------- */

static int is_blank_text(const char *s)
{
    for (; *s; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r' && *s != '\f' && *s != '\v')
            return 0;
    }
    return 1;
}

static cai_status need_ctx(const line_ctx *lc, size_t n)
{
    cai_reader *r = lc->r;
    cai_message *m;

    if (n <= r->ctx_cap)
        return CAI_OK;
    m = realloc(r->ctx, n * sizeof(*m));
    if (!m)
        return fail(lc, CAI_ENOMEM, "out of memory");
    r->ctx = m;
    r->ctx_cap = n;
    return CAI_OK;
}

static cai_status need_resp(const line_ctx *lc, size_t n)
{
    cai_reader *r = lc->r;
    const char **p;

    if (n <= r->resp_cap)
        return CAI_OK;
    p = realloc(r->resp, n * sizeof(*p));
    if (!p)
        return fail(lc, CAI_ENOMEM, "out of memory");
    r->resp = p;
    r->resp_cap = n;
    return CAI_OK;
}

/* One {"role", "content"} message of list `key`; extra keys (e.g. "name") are ignored. */
static cai_status
parse_message(const line_ctx *lc, const cJSON *item, const char *key, size_t i, cai_message *m)
{
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(item, "role");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(item, "content");

    if (!cJSON_IsObject(item))
        return fail(lc, CAI_ESCHEMA, "\"%s\"[%zu] must be an object with \"role\" and \"content\"",
                    key, i);
    if (!cJSON_IsString(role))
        return fail(lc, CAI_ESCHEMA, "\"%s\"[%zu].role must be a string", key, i);
    if (cai_recfmt__role(role->valuestring, &m->role) != 0)
        return fail(lc, CAI_ESCHEMA,
                    "\"%s\"[%zu].role must be \"system\", \"user\" or \"assistant\"", key, i);
    if (!cJSON_IsString(content))
        return fail(lc, CAI_ESCHEMA, "\"%s\"[%zu].content must be a string", key, i);
    m->content = content->valuestring;
    return CAI_OK;
}

/*
 * The context from "prompt": a message list ending on a user turn, an HH transcript (split
 * into turns; a trailing empty "\n\nAssistant:" cue is dropped), or any other string (one user
 * message). allow_list = 0 when the format requires a string.
 */
static cai_status parse_prompt(const line_ctx *lc, cJSON *prompt, int allow_list)
{
    cai_reader *r = lc->r;
    cai_status st;
    size_t i, n;

    if (cJSON_IsString(prompt)) {
        char *text = prompt->valuestring;
        if (strncmp(text, "\n\nHuman:", 8) == 0) {
            cai_transcript *t = &r->tr[0];
            cai_error e = {0};
            if (!(r->prompt_copy = strdup(text)))
                return fail(lc, CAI_ENOMEM, "out of memory");
            r->rec.prompt_text = r->prompt_copy;
            if (cai_transcript_split(t, text, &e) != CAI_OK)
                return fail(lc, e.code, "\"prompt\": %s", e.msg);
            n = t->n_turns;
            if (n > 1 && t->turns[n - 1].role == CAI_ROLE_ASSISTANT &&
                t->turns[n - 1].content[0] == '\0')
                n--;
            if (t->turns[n - 1].role != CAI_ROLE_USER)
                return fail(lc, CAI_EPARSE, "\"prompt\" transcript must end on a Human turn");
            r->rec.context = t->turns;
            r->rec.n_context = n;
            return CAI_OK;
        }
        if ((st = need_ctx(lc, 1)) != CAI_OK)
            return st;
        r->ctx[0].role = CAI_ROLE_USER;
        r->ctx[0].content = text;
        r->rec.context = r->ctx;
        r->rec.n_context = 1;
        r->rec.prompt_text = text;
        return CAI_OK;
    }
    if (!allow_list || !cJSON_IsArray(prompt))
        return fail(lc, CAI_ESCHEMA,
                    allow_list ? "\"prompt\" must be a string or a message list"
                               : "\"prompt\" must be a string");
    n = (size_t)cJSON_GetArraySize(prompt);
    if (n == 0)
        return fail(lc, CAI_ESCHEMA, "\"prompt\" must not be an empty message list");
    if ((st = need_ctx(lc, n)) != CAI_OK)
        return st;
    i = 0;
    for (cJSON *item = prompt->child; item; item = item->next, i++) {
        if ((st = parse_message(lc, item, "prompt", i, &r->ctx[i])) != CAI_OK)
            return st;
    }
    if (r->ctx[n - 1].role != CAI_ROLE_USER)
        return fail(lc, CAI_ESCHEMA, "\"prompt\" must end on a user turn");
    r->rec.context = r->ctx;
    r->rec.n_context = n;
    return CAI_OK;
}

static cai_status string_field(const line_ctx *lc, const cJSON *v, const char *key, const char **s)
{
    if (!cJSON_IsString(v))
        return fail(lc, CAI_ESCHEMA, "\"%s\" must be a string", key);
    *s = v->valuestring;
    return CAI_OK;
}

/* A conversational reply: a list holding one assistant message, or a plain string. */
static cai_status reply_field(const line_ctx *lc, const cJSON *v, const char *key, const char **s)
{
    cai_message m;
    cai_status st;

    if (cJSON_IsString(v)) {
        *s = v->valuestring;
        return CAI_OK;
    }
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 1)
        return fail(lc, CAI_ESCHEMA, "\"%s\" must be a list of one assistant message or a string",
                    key);
    if ((st = parse_message(lc, v->child, key, 0, &m)) != CAI_OK)
        return st;
    if (m.role != CAI_ROLE_ASSISTANT)
        return fail(lc, CAI_ESCHEMA, "\"%s\"[0].role must be \"assistant\"", key);
    *s = m.content;
    return CAI_OK;
}

/* ---- formats ------------------------------------------------------------------------------- */

typedef struct fields {
    cJSON *id, *prompt, *a, *b, *responses, *chosen, *rejected;
} fields;

static cai_status read_hh(const line_ctx *lc, fields *f)
{
    cai_reader *r = lc->r;
    static const char *const names[] = {"chosen", "rejected"};
    const cJSON *v[2] = {f->chosen, f->rejected};
    cai_status st;
    size_t k, i, n;

    for (k = 0; k < 2; k++) {
        cai_transcript *t = &r->tr[1 + k];
        cai_error e = {0};
        if (!cJSON_IsString(v[k]))
            return fail(lc, CAI_ESCHEMA, "\"%s\" must be a string", names[k]);
        if (cai_transcript_split(t, v[k]->valuestring, &e) != CAI_OK)
            return fail(lc, e.code, "\"%s\": %s", names[k], e.msg);
        n = t->n_turns;
        if (t->turns[n - 1].role != CAI_ROLE_ASSISTANT)
            return fail(lc, CAI_EPARSE, "%s transcript does not end on an Assistant turn",
                        names[k]);
        if (n < 2 || t->turns[n - 2].role != CAI_ROLE_USER)
            return fail(lc, CAI_EPARSE, "%s transcript has no Human turn before its final reply",
                        names[k]);
    }
    n = r->tr[1].n_turns;
    if (n != r->tr[2].n_turns)
        return fail(lc, CAI_EPARSE, "chosen and rejected transcripts have different contexts");
    for (i = 0; i + 1 < n; i++) {
        if (r->tr[1].turns[i].role != r->tr[2].turns[i].role ||
            strcmp(r->tr[1].turns[i].content, r->tr[2].turns[i].content) != 0)
            return fail(lc, CAI_EPARSE, "chosen and rejected transcripts have different contexts");
    }
    if ((st = need_resp(lc, 2)) != CAI_OK)
        return st;
    r->rec.context = r->tr[1].turns;
    r->rec.n_context = n - 1;
    r->resp[0] = r->tr[1].turns[n - 1].content;
    r->resp[1] = r->tr[2].turns[n - 1].content;
    r->rec.n_responses = 2;
    r->rec.human_choice = 0;
    return CAI_OK;
}

static cai_status read_fields(const line_ctx *lc, cai_format fmt, fields *f)
{
    cai_reader *r = lc->r;
    cai_status st;
    size_t i;

    switch (fmt) {
    case CAI_FORMAT_PAIRS:
        if ((st = parse_prompt(lc, f->prompt, 1)) != CAI_OK || (st = need_resp(lc, 2)) != CAI_OK ||
            (st = string_field(lc, f->a, "response_a", &r->resp[0])) != CAI_OK ||
            (st = string_field(lc, f->b, "response_b", &r->resp[1])) != CAI_OK)
            return st;
        r->rec.n_responses = 2;
        return CAI_OK;
    case CAI_FORMAT_CANDIDATES: {
        size_t n = cJSON_IsArray(f->responses) ? (size_t)cJSON_GetArraySize(f->responses) : 0;
        if ((st = parse_prompt(lc, f->prompt, 1)) != CAI_OK)
            return st;
        if (n < 2)
            return fail(lc, CAI_ESCHEMA, "\"responses\" must be a list of 2 or more strings");
        if (n > CAI_RECFMT_MAX_RESPONSES)
            return fail(lc, CAI_ESCHEMA, "\"responses\" holds %zu strings, over %d", n,
                        CAI_RECFMT_MAX_RESPONSES);
        if ((st = need_resp(lc, n)) != CAI_OK)
            return st;
        i = 0;
        for (cJSON *item = f->responses->child; item; item = item->next, i++) {
            if (!cJSON_IsString(item))
                return fail(lc, CAI_ESCHEMA, "\"responses\"[%zu] must be a string", i);
            r->resp[i] = item->valuestring;
        }
        r->rec.n_responses = n;
        return CAI_OK;
    }
    case CAI_FORMAT_HH:
        return read_hh(lc, f);
    case CAI_FORMAT_TRL:
        if ((st = parse_prompt(lc, f->prompt, 0)) != CAI_OK || (st = need_resp(lc, 2)) != CAI_OK ||
            (st = string_field(lc, f->chosen, "chosen", &r->resp[0])) != CAI_OK ||
            (st = string_field(lc, f->rejected, "rejected", &r->resp[1])) != CAI_OK)
            return st;
        r->rec.n_responses = 2;
        r->rec.human_choice = 0;
        return CAI_OK;
    case CAI_FORMAT_CONVERSATIONAL:
        if ((st = parse_prompt(lc, f->prompt, 1)) != CAI_OK || (st = need_resp(lc, 2)) != CAI_OK ||
            (st = reply_field(lc, f->chosen, "chosen", &r->resp[0])) != CAI_OK ||
            (st = reply_field(lc, f->rejected, "rejected", &r->resp[1])) != CAI_OK)
            return st;
        r->rec.n_responses = 2;
        r->rec.human_choice = 0;
        return CAI_OK;
    case CAI_FORMAT_SFT:
    case CAI_FORMAT_MESSAGES: /* refused by pick_format */
    case CAI_FORMAT_AUTO:
        break;
    }
    return fail(lc, CAI_EINVAL, "unknown format");
}

/* The format of this line: forced, or recognised from its fields. */
static cai_status pick_format(const line_ctx *lc, const fields *f, cai_format *fmt)
{
    cai_recfmt_keys k = {f->prompt,
                         f->a,
                         f->b,
                         f->responses,
                         f->chosen,
                         f->rejected,
                         cJSON_GetObjectItemCaseSensitive(lc->r->doc, "completion"),
                         cJSON_GetObjectItemCaseSensitive(lc->r->doc, "messages")};

    if (lc->r->o.format != CAI_FORMAT_AUTO) {
        *fmt = lc->r->o.format;
        return CAI_OK;
    }
    *fmt = cai_recfmt__detect(&k);
    if (*fmt == CAI_FORMAT_AUTO)
        return fail(
            lc, CAI_ESCHEMA,
            "unrecognised record: expected \"prompt\" with \"response_a\"/\"response_b\" or "
            "\"responses\", or \"chosen\"/\"rejected\"");
    /* the scanner's rule reads these as SFT data: say so rather than "unrecognised" */
    if (*fmt == CAI_FORMAT_SFT || *fmt == CAI_FORMAT_MESSAGES)
        return fail(lc, CAI_ESCHEMA,
                    "an SFT record (%s): one response, nothing for a judge to compare; judge "
                    "pairs, candidates, hh, trl or conversational records (cai validate checks "
                    "SFT files)",
                    *fmt == CAI_FORMAT_SFT ? "prompt/completion" : "messages");
    return CAI_OK;
}

static int is_key_of(const char *const *keys, const char *k)
{
    for (; *keys; keys++) {
        if (strcmp(*keys, k) == 0)
            return 1;
    }
    return strcmp(k, "id") == 0;
}

static cai_status require(const line_ctx *lc, cai_format fmt, const fields *f)
{
    const char *const *keys = cai_recfmt__format_keys(fmt);
    const cJSON *const v[] = {f->prompt, f->a, f->b, f->responses, f->chosen, f->rejected};
    static const char *const names[] = {"prompt",    "response_a", "response_b",
                                        "responses", "chosen",     "rejected"};
    size_t i;

    for (; *keys; keys++) {
        for (i = 0; i < sizeof(names) / sizeof(*names); i++) {
            if (strcmp(*keys, names[i]) == 0 && !v[i])
                return fail(lc, CAI_ESCHEMA, "missing \"%s\" (%s format)", names[i],
                            cai_format_name(fmt));
        }
    }
    return CAI_OK;
}

static cai_status read_id(const line_ctx *lc, const cJSON *id)
{
    cai_reader *r = lc->r;
    double d;

    if (cJSON_IsString(id)) {
        if (id->valuestring[0] == '\0')
            return fail(lc, CAI_ESCHEMA, "\"id\" must not be empty");
        r->rec.id = id->valuestring;
        r->rec.id_from_input = 1;
        return CAI_OK;
    }
    if (!cJSON_IsNumber(id))
        return fail(lc, CAI_ESCHEMA, "\"id\" must be a string or an integer");
    d = id->valuedouble;
    if (d != floor(d) || fabs(d) > 9007199254740992.0)
        return fail(lc, CAI_ESCHEMA, "\"id\" must be a string or an integer below 2^53");
    snprintf(r->id, sizeof(r->id), "%.0f", d);
    r->rec.id = r->id;
    r->rec.id_from_input = 1;
    return CAI_OK;
}

/* Feeds one length-prefixed field into the id hash, so that no two records serialise alike. */
static void hash_field(cai_sha256 *h, const char *tag, const char *s)
{
    char head[48];
    size_t n = strlen(s);

    snprintf(head, sizeof(head), "%s %zu:", tag, n);
    cai_sha256_update(h, head, strlen(head));
    cai_sha256_update(h, s, n);
}

/* "h" + 16 hex digits of SHA-256 over the context and responses (not the format or line). */
static cai_status content_id(const line_ctx *lc)
{
    cai_reader *r = lc->r;
    cai_sha256 *h = NULL;
    cai_error e = {0};
    char hex[65];
    size_t i;

    if (cai_sha256_create(&h, &e) != CAI_OK)
        return fail(lc, e.code, "%s", e.msg);
    for (i = 0; i < r->rec.n_context; i++)
        hash_field(h, cai_role_name(r->rec.context[i].role), r->rec.context[i].content);
    for (i = 0; i < r->rec.n_responses; i++)
        hash_field(h, "response", r->resp[i]);
    cai_sha256_final(h, hex);
    cai_sha256_free(h);
    snprintf(r->id, sizeof(r->id), "h%.16s", hex);
    r->rec.id = r->id;
    r->rec.id_from_input = 0;
    return CAI_OK;
}

/*
 * The keys this format does not read, as a JSON object text whose values are the input's own
 * bytes (numbers keep their text: 1.0 stays 1.0, 9007199254740993 is not rounded). cJSON's
 * members and the raw members come in the same order, so member i of one is member i of the other.
 */
static cai_status collect_meta(const line_ctx *lc, cai_format fmt, const char *line, size_t len)
{
    cai_reader *r = lc->r;
    const char *const *keys = cai_recfmt__format_keys(fmt);
    cai_jspan span[64], *sp = span;
    cai_buf b = {0};
    const cJSON *item;
    long n, k = 0;
    size_t members = 0, extra = 0;

    for (item = r->doc->child; item; item = item->next) {
        members++;
        extra += !is_key_of(keys, item->string);
    }
    if (extra == 0) {
        /* nothing to keep (the usual case): no second scan of the line for raw bytes */
        r->meta = strdup("{}");
        return r->meta ? CAI_OK : fail(lc, CAI_ENOMEM, "out of memory");
    }
    if (members > 64 && !(sp = malloc(members * sizeof(*sp))))
        return fail(lc, CAI_ENOMEM, "out of memory");
    n = cai_json__members(line, len, sp, members);
    cai_buf__puts(&b, "{");
    for (item = r->doc->child; item && k < n; item = item->next, k++) {
        if (is_key_of(keys, item->string))
            continue;
        if (b.len > 1)
            cai_buf__puts(&b, ",");
        cai_buf__put(&b, line + sp[k].key, sp[k].key_len);
        cai_buf__puts(&b, ":");
        cai_buf__put(&b, line + sp[k].val, sp[k].val_len);
    }
    cai_buf__puts(&b, "}");
    if (sp != span)
        free(sp);
    r->meta = cai_buf__take(&b);
    if (!r->meta)
        return fail(lc, CAI_ENOMEM, "out of memory");
    if (n != (long)members)
        return fail(lc, CAI_EPARSE, "internal: %zu members, %ld found in the text", members, n);
    return CAI_OK;
}

static void warn_blank(cai_reader *r, uint64_t lineno, cai_format fmt)
{
    static const char *const chosen_rejected[] = {"chosen", "rejected"};
    static const char *const ab[] = {"response_a", "response_b"};
    char msg[512], name[40];
    size_t i;

    for (i = 0; i < r->rec.n_responses; i++) {
        if (!is_blank_text(r->resp[i]))
            continue;
        if (fmt == CAI_FORMAT_CANDIDATES)
            snprintf(name, sizeof(name), "responses[%zu]", i);
        else
            snprintf(name, sizeof(name), "%s",
                     fmt == CAI_FORMAT_PAIRS ? ab[i] : chosen_rejected[i]);
        snprintf(msg, sizeof(msg), "%s:%llu: %s reply is empty or whitespace-only", r->path,
                 (unsigned long long)lineno, name);
        r->warnings++;
        keep_msg(r->warn_msg, &r->n_warn_msg, msg);
    }
}

static void reset(cai_reader *r)
{
    size_t i;

    cJSON_Delete(r->doc);
    r->doc = NULL;
    free(r->meta);
    r->meta = NULL;
    for (i = 0; i < 3; i++)
        cai_transcript_dispose(&r->tr[i]);
    free(r->prompt_copy);
    r->prompt_copy = NULL;
    memset(&r->rec, 0, sizeof(r->rec));
}

static const char *const known_keys[] = {"id",        "prompt", "response_a", "response_b",
                                         "responses", "chosen", "rejected"};

/* Parses one line into r->rec. */
static cai_status parse_line(const line_ctx *lc, const char *line, size_t len)
{
    cai_reader *r = lc->r;
    const char *end = NULL;
    cJSON **slot[7];
    fields f = {0};
    cai_format fmt = CAI_FORMAT_AUTO;
    cai_status st;
    size_t i;

    slot[0] = &f.id;
    slot[1] = &f.prompt;
    slot[2] = &f.a;
    slot[3] = &f.b;
    slot[4] = &f.responses;
    slot[5] = &f.chosen;
    slot[6] = &f.rejected;
    if ((st = scan_json(lc, line, len)) != CAI_OK)
        return st;
    r->doc = cJSON_ParseWithLengthOpts(line, len, &end, 0);
    if (!r->doc)
        return fail(lc, CAI_EPARSE, "invalid JSON at byte %zu",
                    end && end >= line ? (size_t)(end - line) + 1 : (size_t)1);
    for (; end < line + len; end++) {
        if (*end != ' ' && *end != '\t' && *end != '\r' && *end != '\n')
            return fail(lc, CAI_EPARSE, "invalid JSON at byte %zu: text after the value",
                        (size_t)(end - line) + 1);
    }
    if (!cJSON_IsObject(r->doc))
        return fail(lc, CAI_ESCHEMA, "a line must hold a JSON object");
    for (cJSON *item = r->doc->child; item; item = item->next) {
        for (i = 0; i < sizeof(known_keys) / sizeof(*known_keys); i++) {
            if (strcmp(item->string, known_keys[i]) != 0)
                continue;
            if (*slot[i])
                return fail(lc, CAI_ESCHEMA, "duplicate key \"%s\"", known_keys[i]);
            *slot[i] = item;
        }
    }
    if ((st = pick_format(lc, &f, &fmt)) != CAI_OK || (st = require(lc, fmt, &f)) != CAI_OK)
        return st;
    r->rec.human_choice = -1;
    if ((st = read_fields(lc, fmt, &f)) != CAI_OK)
        return st;
    r->rec.responses = r->resp;
    if ((st = f.id ? read_id(lc, f.id) : content_id(lc)) != CAI_OK ||
        (st = collect_meta(lc, fmt, line, len)) != CAI_OK)
        return st;
    r->rec.meta_json = r->meta;
    r->rec.format = fmt;
    r->rec.file = r->path;
    r->rec.line = lc->lineno;
    warn_blank(r, lc->lineno, fmt);
    return CAI_OK;
}

/* ---- public API ---------------------------------------------------------------------------- */

cai_status
cai_reader_create(cai_reader **out, const char *path, const cai_reader_opts *opts, cai_error *err)
{
    cai_reader *r;
    cai_status st;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, out);
    *out = NULL;
    CAI_ASSERT_ARG(err, path);
    st = cai_reader_opts__check(opts, err);
    if (st != CAI_OK)
        return st;
    if (opts && (unsigned)opts->format > CAI_FORMAT_CONVERSATIONAL)
        return cai_error__set(err, CAI_EINVAL, "invalid input format %d", (int)opts->format);
    r = calloc(1, sizeof(*r));
    if (!r)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    r->o = opts ? *opts : CAI_READER_OPTS_INIT;
    r->path = strdup(path);
    if (!r->path) {
        st = cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto fail;
    }
    if ((st = cai_lines_create(&r->lines, path, r->o.max_line_bytes, err)) != CAI_OK)
        goto fail;
    *out = r;
    return CAI_OK;
fail:
    cai_reader_free(r);
    return st;
}

/* msg without its "PATH:LINE: " prefix, when it has that prefix. */
static const char *skip_reason(const char *path, uint64_t lineno, const char *msg)
{
    char num[32];
    size_t n = strlen(path), k;

    k = (size_t)snprintf(num, sizeof(num), ":%llu: ", (unsigned long long)lineno);
    if (strncmp(msg, path, n) == 0 && strncmp(msg + n, num, k) == 0)
        return msg + n + k;
    return msg;
}

cai_status cai_reader_next(cai_reader *r, const cai_record **out, cai_error *err)
{
    cai_error__clear(err);
    CAI_ASSERT_ARG(err, r && out);
    *out = NULL;
    for (;;) {
        const char *line;
        size_t len;
        uint64_t lineno = 0;
        cai_error e = {0};
        line_ctx lc = {r, 0, &e};
        cai_status st;

        reset(r);
        st = cai_lines_next(r->lines, &line, &len, &lineno, &e);
        if (st == CAI_ITEROVER)
            return st;
        if (st == CAI_OK) {
            lc.lineno = lineno;
            st = parse_line(&lc, line, len);
        }
        if (st == CAI_OK) {
            r->records++;
            *out = &r->rec;
            return CAI_OK;
        }
        /* Out of memory and input that cannot go on stop the reader even with skip_invalid. */
        if (!r->o.skip_invalid || st == CAI_ENOMEM || st == CAI_EIO || cai_lines__fatal(r->lines)) {
            reset(r);
            return cai_error__set(err, st, "%s", e.msg);
        }
        r->skipped++;
        keep_msg(r->skip_msg, &r->n_skip_msg, e.msg);
        if (r->o.on_skip) {
            st = r->o.on_skip(r->path, lineno, skip_reason(r->path, lineno, e.msg), err,
                              r->o.skip_payload);
            if (st != CAI_OK) {
                reset(r);
                return st;
            }
        }
    }
}

uint64_t cai_reader_records(const cai_reader *r)
{
    return r ? r->records : 0;
}

uint64_t cai_reader_skipped(const cai_reader *r)
{
    return r ? r->skipped : 0;
}

const char *cai_reader_skipped_msg(const cai_reader *r, size_t i)
{
    return r && i < r->n_skip_msg ? r->skip_msg[i] : NULL;
}

uint64_t cai_reader_warnings(const cai_reader *r)
{
    return r ? r->warnings : 0;
}

const char *cai_reader_warning_msg(const cai_reader *r, size_t i)
{
    return r && i < r->n_warn_msg ? r->warn_msg[i] : NULL;
}

uint64_t cai_reader_bytes(const cai_reader *r)
{
    return r && r->lines ? cai_lines__bytes(r->lines) : 0;
}

void cai_reader_free(cai_reader *r)
{
    size_t i;

    if (!r)
        return;
    reset(r);
    cai_lines_free(r->lines);
    free(r->ctx);
    free(r->resp);
    for (i = 0; i < r->n_skip_msg; i++)
        free(r->skip_msg[i]);
    for (i = 0; i < r->n_warn_msg; i++)
        free(r->warn_msg[i]);
    free(r->path);
    free(r);
}

/* SPDX-License-Identifier: MIT */
/* Generation wire formats: sampling request bodies per backend and the choices of their replies. */
#include "gen_wire_int.h"

#include "cai/prompt.h"
#include "error_int.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANTHROPIC_DEFAULT_MAX_TOKENS 1024

int cai_gen_wire__has_n(cai_backend b)
{
    return b == CAI_BACKEND_OPENAI || b == CAI_BACKEND_COMPLETIONS;
}

int cai_gen_wire__has_seed(cai_backend b)
{
    return b == CAI_BACKEND_OPENAI || b == CAI_BACKEND_COMPLETIONS;
}

/* ---------------------------------------------------------------- requests */

static int put_s(cai_buf *b, const char *s)
{
    return cai_buf__append(b, s, strlen(s));
}

static int put_jstr(cai_buf *b, const char *s)
{
    return cai_wire__put_json_str(b, s, strlen(s));
}

/* ,"name":value: the shortest of %.15g / %.17g that reads back as v (0.7, not 0.69999...). */
static int put_num(cai_buf *b, const char *name, double v)
{
    char num[64];

    snprintf(num, sizeof(num), ",\"%s\":%.15g", name, v);
    if (strtod(strchr(num + 1, ':') + 1, NULL) != v)
        snprintf(num, sizeof(num), ",\"%s\":%.17g", name, v);
    return put_s(b, num);
}

static int put_msg(cai_buf *b, const char *role, const char *content, int comma)
{
    int bad = 0;

    if (comma)
        bad |= put_s(b, ",");
    bad |= put_s(b, "{\"role\":\"");
    bad |= put_s(b, role);
    bad |= put_s(b, "\",\"content\":");
    bad |= put_jstr(b, content);
    bad |= put_s(b, "}");
    return bad;
}

/* Anthropic's "system": the caller's system prompt, then the conversation's system turns. */
static int
put_anthropic_system(cai_buf *b, const cai_gen_params *p, const cai_message *ctx, size_t n_ctx)
{
    cai_buf tmp = {0};
    size_t i;
    int bad = 0;

    if (p->system)
        bad |= put_s(&tmp, p->system);
    for (i = 0; i < n_ctx; i++) {
        if (ctx[i].role != CAI_ROLE_SYSTEM)
            continue;
        if (tmp.len)
            bad |= put_s(&tmp, "\n\n");
        bad |= put_s(&tmp, ctx[i].content);
    }
    if (tmp.len) {
        bad |= put_s(b, ",\"system\":");
        bad |= cai_wire__put_json_str(b, tmp.data, tmp.len);
    }
    cai_buf__dispose(&tmp);
    return bad;
}

/* The completions prompt: the system prompt, the transcript, then "\n\nAssistant:". */
static int put_transcript(cai_buf *b, const cai_gen_params *p, const cai_message *ctx, size_t n)
{
    cai_buf tmp = {0};
    char *t = cai_prompt_render_context(ctx, n);
    int bad = !t;

    if (p->system) {
        bad |= put_s(&tmp, p->system);
        bad |= put_s(&tmp, "\n\n");
    }
    if (t)
        bad |= put_s(&tmp, t);
    bad |= put_s(&tmp, "\n\nAssistant:");
    if (!bad)
        bad |= cai_wire__put_json_str(b, tmp.data, tmp.len);
    free(t);
    cai_buf__dispose(&tmp);
    return bad;
}

cai_status cai_gen_wire__build(cai_buf *b,
                               const cai_gen_params *p,
                               const cai_message *ctx,
                               size_t n_ctx,
                               unsigned n,
                               long long seed,
                               cai_error *err)
{
    int bad = 0, reasoning = 0, comma = 0;
    unsigned max_tokens = p->max_tokens;
    size_t i;
    char num[64];

    b->len = 0;
    if (p->backend == CAI_BACKEND_BUILTIN)
        return cai_error__set(err, CAI_EINVAL, "sample: the builtin backend generates nothing");
    if (n_ctx == 0 || ctx[n_ctx - 1].role != CAI_ROLE_USER)
        return cai_error__set(err, CAI_EINVAL,
                              "sample: the conversation must end with a user turn");
    if (n == 0 || (n > 1 && !cai_gen_wire__has_n(p->backend)))
        return cai_error__set(err, CAI_EINVAL, "sample: backend %s takes one response per request",
                              cai_backend_name(p->backend));
    if (p->backend == CAI_BACKEND_OPENAI)
        reasoning = cai_wire__is_reasoning_model(p->model);
    if (p->backend == CAI_BACKEND_ANTHROPIC && max_tokens == 0)
        max_tokens = ANTHROPIC_DEFAULT_MAX_TOKENS;
    bad |= put_s(b, "{\"model\":");
    bad |= put_jstr(b, p->model ? p->model : "");
    switch (p->backend) {
    case CAI_BACKEND_OPENAI:
        bad |= put_s(b, ",\"messages\":[");
        if (p->system) {
            bad |= put_msg(b, "system", p->system, 0);
            comma = 1;
        }
        for (i = 0; i < n_ctx; i++) {
            bad |= put_msg(b, cai_role_name(ctx[i].role), ctx[i].content, comma);
            comma = 1;
        }
        bad |= put_s(b, "]");
        break;
    case CAI_BACKEND_COMPLETIONS:
        bad |= put_s(b, ",\"prompt\":");
        bad |= put_transcript(b, p, ctx, n_ctx);
        break;
    case CAI_BACKEND_ANTHROPIC:
        bad |= put_anthropic_system(b, p, ctx, n_ctx);
        bad |= put_s(b, ",\"messages\":[");
        for (i = 0; i < n_ctx; i++) {
            if (ctx[i].role == CAI_ROLE_SYSTEM)
                continue;
            bad |= put_msg(b, cai_role_name(ctx[i].role), ctx[i].content, comma);
            comma = 1;
        }
        bad |= put_s(b, "]");
        break;
    case CAI_BACKEND_BUILTIN:
        break;
    }
    if (max_tokens) {
        snprintf(num, sizeof(num), ",\"%s\":%u", reasoning ? "max_completion_tokens" : "max_tokens",
                 max_tokens);
        bad |= put_s(b, num);
    }
    if (!reasoning && p->temperature >= 0)
        bad |= put_num(b, "temperature", p->temperature);
    if (!reasoning && p->top_p >= 0)
        bad |= put_num(b, "top_p", p->top_p);
    if (p->n_stop > 0) {
        bad |=
            put_s(b, p->backend == CAI_BACKEND_ANTHROPIC ? ",\"stop_sequences\":[" : ",\"stop\":[");
        for (i = 0; i < p->n_stop; i++) {
            if (i)
                bad |= put_s(b, ",");
            bad |= put_jstr(b, p->stop[i]);
        }
        bad |= put_s(b, "]");
    }
    if (n > 1) {
        snprintf(num, sizeof(num), ",\"n\":%u", n);
        bad |= put_s(b, num);
    }
    if (seed >= 0 && cai_gen_wire__has_seed(p->backend)) {
        snprintf(num, sizeof(num), ",\"seed\":%lld", seed);
        bad |= put_s(b, num);
    }
    bad |= put_s(b, "}");
    if (bad)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    return CAI_OK;
}

/* ---------------------------------------------------------------- finish reasons */

cai_finish cai_gen_wire__finish_parse(const char *reason)
{
    static const char *const stop[] = {"stop", "end_turn", "stop_sequence", "eos_token", "eos"};
    static const char *const length[] = {"length", "max_tokens", "model_context_window_exceeded"};
    size_t i;

    if (!reason)
        return CAI_FINISH_OTHER;
    for (i = 0; i < sizeof(stop) / sizeof(stop[0]); i++)
        if (strcmp(reason, stop[i]) == 0)
            return CAI_FINISH_STOP;
    for (i = 0; i < sizeof(length) / sizeof(length[0]); i++)
        if (strcmp(reason, length[i]) == 0)
            return CAI_FINISH_LENGTH;
    return CAI_FINISH_OTHER;
}

const char *cai_gen_wire__finish_name(cai_finish f)
{
    switch (f) {
    case CAI_FINISH_STOP:
        return "stop";
    case CAI_FINISH_LENGTH:
        return "length";
    case CAI_FINISH_OTHER:
        return "other";
    }
    return "other";
}

/* ---------------------------------------------------------------- replies */

static unsigned get_uint(const cJSON *obj, const char *name, int *found)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0))
        return 0;
    *found = 1;
    return v->valuedouble > 4e9 ? 4000000000u : (unsigned)v->valuedouble;
}

static const char *str_or_null(const cJSON *v)
{
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void set_text(cai_gen_choice *c, const cJSON *v)
{
    c->text = cJSON_IsString(v) ? v->valuestring : "";
    c->text_len = strlen(c->text);
}

static cai_status parse_anthropic(cai_gen_reply *out, const cJSON *root, cai_error *err)
{
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(root, "content"), *blk;
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    cai_gen_choice *c;

    if (!cJSON_IsArray(content))
        return cai_error__set(err, CAI_ESCHEMA, "reply has no \"content\" list");
    c = calloc(1, sizeof(*c));
    if (!c)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    out->choices = c;
    out->n_choices = 1;
    c->text = "";
    /* the first text block: thinking blocks come before it and are not the response */
    cJSON_ArrayForEach(blk, content)
    {
        const char *type = str_or_null(cJSON_GetObjectItemCaseSensitive(blk, "type"));

        if (type && strcmp(type, "text") == 0) {
            set_text(c, cJSON_GetObjectItemCaseSensitive(blk, "text"));
            break;
        }
    }
    c->finish_raw = str_or_null(cJSON_GetObjectItemCaseSensitive(root, "stop_reason"));
    c->finish = cai_gen_wire__finish_parse(c->finish_raw);
    out->prompt_tokens = get_uint(usage, "input_tokens", &out->has_usage);
    out->prompt_tokens += get_uint(usage, "cache_creation_input_tokens", &out->has_usage);
    out->prompt_tokens += get_uint(usage, "cache_read_input_tokens", &out->has_usage);
    out->completion_tokens = get_uint(usage, "output_tokens", &out->has_usage);
    return CAI_OK;
}

static int by_index(const void *a, const void *b)
{
    const cai_gen_choice *x = a, *y = b;

    return x->index < y->index ? -1 : x->index > y->index;
}

static cai_status
parse_choices(cai_gen_reply *out, cai_backend b, const cJSON *root, cai_error *err)
{
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices"), *ch;
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    size_t n, i = 0;

    if (!cJSON_IsArray(choices) || (n = (size_t)cJSON_GetArraySize(choices)) == 0)
        return cai_error__set(err, CAI_ESCHEMA, "reply has no choices");
    if (n > CAI_GEN_MAX_CHOICES)
        return cai_error__set(err, CAI_ESCHEMA, "reply has %zu choices (at most %d)", n,
                              CAI_GEN_MAX_CHOICES);
    out->choices = calloc(n, sizeof(*out->choices));
    if (!out->choices)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    out->n_choices = n;
    cJSON_ArrayForEach(ch, choices)
    {
        cai_gen_choice *c = &out->choices[i];
        const cJSON *idx = cJSON_GetObjectItemCaseSensitive(ch, "index");
        const cJSON *text = b == CAI_BACKEND_OPENAI
                                ? cJSON_GetObjectItemCaseSensitive(
                                      cJSON_GetObjectItemCaseSensitive(ch, "message"), "content")
                                : cJSON_GetObjectItemCaseSensitive(ch, "text");

        if (!cJSON_IsObject(ch))
            return cai_error__set(err, CAI_ESCHEMA, "reply: choices[%zu] is not an object", i);
        /* null content is an empty answer; a missing key is a shape we do not know */
        if (!text)
            return cai_error__set(err, CAI_ESCHEMA, "reply: choices[%zu] has no %s", i,
                                  b == CAI_BACKEND_OPENAI ? "message.content" : "text");
        set_text(c, text);
        c->finish_raw = str_or_null(cJSON_GetObjectItemCaseSensitive(ch, "finish_reason"));
        c->finish = cai_gen_wire__finish_parse(c->finish_raw);
        if (idx && !(cJSON_IsNumber(idx) && idx->valuedouble >= 0 &&
                     idx->valuedouble < CAI_GEN_MAX_CHOICES))
            return cai_error__set(err, CAI_ESCHEMA, "reply: choices[%zu] has a bad index", i);
        c->index = idx ? (unsigned)idx->valuedouble : (unsigned)i;
        i++;
    }
    qsort(out->choices, n, sizeof(*out->choices), by_index);
    for (i = 1; i < n; i++)
        if (out->choices[i].index == out->choices[i - 1].index)
            return cai_error__set(err, CAI_ESCHEMA, "reply: index %u appears twice",
                                  out->choices[i].index);
    out->prompt_tokens = get_uint(usage, "prompt_tokens", &out->has_usage);
    out->completion_tokens = get_uint(usage, "completion_tokens", &out->has_usage);
    return CAI_OK;
}

cai_status cai_gen_wire__parse_reply(
    cai_gen_reply *out, cai_backend b, const char *body, size_t len, cai_error *err)
{
    cJSON *root;
    cai_status st;

    memset(out, 0, sizeof(*out));
    root = cJSON_ParseWithLength(body, len);
    if (!root)
        return cai_error__set(err, CAI_EPARSE, "reply is not valid JSON (%zu bytes)", len);
    if (!cJSON_IsObject(root))
        st = cai_error__set(err, CAI_ESCHEMA, "reply is not a JSON object");
    else if (b == CAI_BACKEND_ANTHROPIC)
        st = parse_anthropic(out, root, err);
    else
        st = parse_choices(out, b, root, err);
    if (st != CAI_OK) {
        free(out->choices);
        cJSON_Delete(root);
        memset(out, 0, sizeof(*out));
        return st;
    }
    out->root = root;
    return CAI_OK;
}

void cai_gen_wire__reply_dispose(cai_gen_reply *r)
{
    if (!r)
        return;
    free(r->choices);
    cJSON_Delete(r->root);
    memset(r, 0, sizeof(*r));
}

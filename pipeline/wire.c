/* SPDX-License-Identifier: MIT */
/* Pure translation between prompts and each backend's HTTP bodies, replies and headers. */
#include "wire_int.h"
#include "error_int.h"
#include "util_int.h"
#include "jscan_int.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- buffers */

static int put_s(cai_buf *b, const char *s)
{
    return cai_buf__append(b, s, strlen(s));
}

size_t cai_wire__plain_run(const unsigned char *p, size_t n, int ascii)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    const uint64_t top = ascii ? high : 0;
    size_t i = 0;

#if defined(__SSE2__) && defined(__GNUC__)
    {
        /* 16 bytes at a time where SSE2 is there (every x86-64): one compare per rule and byte,
         * so each mask bit is exact and the lowest is the first byte to stop at. */
        const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
        const __m128i ctl = _mm_set1_epi8(0x1f);

        for (; n - i >= 16; i += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
            __m128i m =
                _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                             _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v)); /* v <= 0x1f */
            int bits = _mm_movemask_epi8(m) | (ascii ? _mm_movemask_epi8(v) : 0);

            if (bits)
                return i + (size_t)__builtin_ctz((unsigned)bits);
        }
    }
#endif
    /* Per word, exact "is any byte ...": below 0x20 ((w - 0x20..) & ~w & high), equal to '"'
     * or '\\' (a zero byte in w ^ c..), at or above 0x80 (w & high). Each test's lowest flag is
     * exact (a borrow only runs upwards), so the first such byte is the lowest flag of them all;
     * elsewhere a word holding one is finished byte by byte. */
    for (; n - i >= 8; i += 8) {
        uint64_t w, q, s, m;
        memcpy(&w, p + i, 8);
        q = w ^ (ones * '"');
        s = w ^ (ones * '\\');
        m = ((((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((s - ones) & ~s)) & high) | (w & top);
        if (m) {
            size_t k = cai__first_flagged(m);

            if (k < 8)
                return i + k;
            break;
        }
    }
    while (i < n && p[i] >= 0x20 && p[i] != '"' && p[i] != '\\' && (!ascii || p[i] < 0x80))
        i++;
    return i;
}

void cai_wire__put_cjson_str(cai_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s, *end;
    size_t n, k;
    char *o;

    if (!s) /* as cJSON prints a NULL string */
        s = "";
    n = strlen(s);
    p = (const unsigned char *)s;

    /* at most 6 bytes per input byte (\u00xx) and the quotes: reserved once, written in place */
    if (b->oom || n > (SIZE_MAX - 3) / 6 || cai_buf__reserve(b, n * 6 + 2) != 0) {
        b->oom = 1;
        return;
    }
    end = p + n;
    o = b->data + b->len;
    *o++ = '"';
    while (p < end) {
        k = cai_wire__plain_run(p, (size_t)(end - p), 0);
        memcpy(o, p, k);
        o += k;
        p += k;
        if (p == end)
            break;
        *o++ = '\\';
        switch (*p) {
        case '"':
        case '\\':
            *o++ = (char)*p;
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\f':
            *o++ = 'f';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        default:
            memcpy(o, "u00", 3);
            o[3] = hex[*p >> 4];
            o[4] = hex[*p & 15];
            o += 5;
        }
        p++;
    }
    *o++ = '"';
    *o = '\0';
    b->len = (size_t)(o - b->data);
}

int cai_wire__put_json_str(cai_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    char *o;

    /* Worst case: every byte becomes \ufffd (6 bytes); reserving it once keeps the loop free
     * of checks. The buffer is reused, so the slack costs nothing after the first body. */
    if (n > (SIZE_MAX - 3) / 6 || cai_buf__reserve(b, n * 6 + 2) != 0)
        return -1;
    o = b->data + b->len;
    *o++ = '"';
    while (p < end) {
        const unsigned char *run = p;
        size_t k;

        p += cai_wire__plain_run(p, (size_t)(end - p), 1);
        if (p > run) {
            memcpy(o, run, (size_t)(p - run));
            o += p - run;
            continue;
        }
        if (*p >= 0x80) {
            k = cai_utf8__decode(p, (size_t)(end - p), NULL);
            if (k) {
                memcpy(o, p, k);
                o += k;
                p += k;
            } else {
                memcpy(o, "\\ufffd", 6);
                o += 6;
                p++;
            }
            continue;
        }
        *o++ = '\\';
        switch (*p) {
        case '"':
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\f':
            *o++ = 'f';
            break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
            break;
        }
        p++;
    }
    *o++ = '"';
    *o = '\0';
    b->len = (size_t)(o - b->data);
    return 0;
}

/* ---------------------------------------------------------------- request bodies */

static char *dup_buf(cai_buf *b)
{
    char *s = b->data;

    b->data = NULL;
    b->len = b->cap = 0;
    return s ? s : calloc(1, 1);
}

cai_status cai_wire__init(cai_wire *w, const cai_wire_params *p, cai_error *err)
{
    cai_buf head = {0}, tail = {0};
    char num[32], temp[32];
    int bad = 0;

    memset(w, 0, sizeof(*w));
    w->p = *p;
    if (!p->model)
        return cai_error__set(err, CAI_EINVAL, "judge: a model is required");
    cai__format_double(p->temperature, temp);
    snprintf(num, sizeof(num), "%u", p->max_tokens);
    switch (p->backend) {
    case CAI_BACKEND_OPENAI:
        if (p->reasoning) {
            snprintf(num, sizeof(num), "%u",
                     p->max_tokens > CAI_REASONING_MIN_TOKENS ? p->max_tokens
                                                              : CAI_REASONING_MIN_TOKENS);
            bad |= put_s(&head, "{\"model\":");
            bad |= cai_wire__put_json_str(&head, p->model, strlen(p->model));
            bad |= put_s(&head, ",\"messages\":[");
            bad |= put_s(&tail, "],\"max_completion_tokens\":");
            bad |= put_s(&tail, num);
            break;
        }
        /* fall through */
    case CAI_BACKEND_COMPLETIONS:
        bad |= put_s(&head, "{\"model\":");
        bad |= cai_wire__put_json_str(&head, p->model, strlen(p->model));
        bad |= put_s(&head, p->backend == CAI_BACKEND_OPENAI ? ",\"messages\":[" : ",\"prompt\":");
        bad |= put_s(&tail,
                     p->backend == CAI_BACKEND_OPENAI ? "],\"max_tokens\":" : ",\"max_tokens\":");
        bad |= put_s(&tail, num);
        bad |= put_s(&tail, ",\"temperature\":");
        bad |= put_s(&tail, temp);
        if (p->top_logprobs > 0) {
            snprintf(num, sizeof(num), "%u", p->top_logprobs);
            bad |= put_s(&tail, p->backend == CAI_BACKEND_OPENAI
                                    ? ",\"logprobs\":true,\"top_logprobs\":"
                                    : ",\"logprobs\":");
            bad |= put_s(&tail, num);
        }
        break;
    case CAI_BACKEND_ANTHROPIC:
        bad |= put_s(&head, "{\"model\":");
        bad |= cai_wire__put_json_str(&head, p->model, strlen(p->model));
        bad |= put_s(&head, ",\"max_tokens\":");
        bad |= put_s(&head, num);
        bad |= put_s(&head, ",\"temperature\":");
        bad |= put_s(&head, temp);
        bad |= put_s(&tail, "]}");
        break;
    case CAI_BACKEND_BUILTIN:
        cai_buf__dispose(&head);
        return cai_error__set(err, CAI_EINVAL, "judge: the builtin backend sends nothing");
    }
    if (bad) {
        cai_buf__dispose(&head);
        cai_buf__dispose(&tail);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    w->head = dup_buf(&head);
    w->tail = dup_buf(&tail);
    if (!w->head || !w->tail) {
        cai_wire__dispose(w);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    return CAI_OK;
}

int cai_wire__is_reasoning_model(const char *model)
{
    static const char *const prefixes[] = {"o1", "o3", "o4", "gpt-5"};
    const char *slash = model ? strrchr(model, '/') : NULL;
    const char *m = slash ? slash + 1 : model;
    size_t i, n;

    if (!m)
        return 0;
    for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        n = strlen(prefixes[i]);
        /* "o1", "o1-mini", "o3-2025-04-16", "gpt-5", "gpt-5-mini"; not "o10x" or "gpt-50" */
        if (strncmp(m, prefixes[i], n) == 0 && (m[n] == '\0' || m[n] == '-'))
            return 1;
    }
    return 0;
}

int cai_wire__wants_reasoning_params(const char *body, size_t len)
{
    char *msg = cai_wire__error_message(body, len, NULL);
    int yes = msg && (strstr(msg, "max_completion_tokens") != NULL ||
                      (strstr(msg, "Unsupported") && strstr(msg, "logprobs")));

    free(msg);
    return yes;
}

void cai_wire__dispose(cai_wire *w)
{
    if (!w)
        return;
    free(w->head);
    free(w->tail);
    w->head = w->tail = NULL;
}

static int put_msg(cai_buf *b, const char *role, const char *content, size_t n, int comma)
{
    int bad = 0;

    if (comma)
        bad |= cai_buf__append(b, ",", 1);
    bad |= put_s(b, "{\"role\":\"");
    bad |= put_s(b, role);
    bad |= put_s(b, "\",\"content\":");
    bad |= cai_wire__put_json_str(b, content, n);
    bad |= cai_buf__append(b, "}", 1);
    return bad;
}

/*
 * Anthropic's prompt caching is opt-in: the user turn becomes two text blocks, the part shared
 * by every pair (pr->shared_len bytes: the solved examples) marked as a cache breakpoint, then
 * the pair's own part. The text the model reads is the same bytes as one block.
 */
static int put_cached_user(cai_buf *b, const cai_prompt *pr)
{
    size_t n = strlen(pr->user);
    int bad = 0;

    bad |= put_s(b, "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":");
    bad |= cai_wire__put_json_str(b, pr->user, pr->shared_len);
    bad |= put_s(b, ",\"cache_control\":{\"type\":\"ephemeral\"}},{\"type\":\"text\",\"text\":");
    bad |= cai_wire__put_json_str(b, pr->user + pr->shared_len, n - pr->shared_len);
    bad |= put_s(b, "}]}");
    return bad;
}

/* The completion prompt: raw when the template gave one, else the chat parts joined. */
static int put_raw(cai_buf *b, const cai_prompt *pr)
{
    cai_buf tmp = {0};
    int bad = 0;

    if (pr->raw)
        return cai_wire__put_json_str(b, pr->raw, strlen(pr->raw));
    if (pr->system) {
        bad |= put_s(&tmp, pr->system);
        bad |= put_s(&tmp, "\n\n");
    }
    bad |= put_s(&tmp, pr->user);
    if (pr->prefill) {
        bad |= put_s(&tmp, "\n\n");
        bad |= put_s(&tmp, pr->prefill);
    }
    if (!bad)
        bad |= cai_wire__put_json_str(b, tmp.data, tmp.len);
    cai_buf__dispose(&tmp);
    return bad;
}

cai_status
cai_wire__build(const cai_wire *w, cai_buf *b, const cai_prompt *pr, long sample, cai_error *err)
{
    int bad = 0;
    char num[32];

    b->len = 0;
    if (!pr->user && !(w->p.backend == CAI_BACKEND_COMPLETIONS && pr->raw))
        return cai_error__set(err, CAI_EINVAL, "judge: the prompt has no user text");
    bad |= put_s(b, w->head);
    switch (w->p.backend) {
    case CAI_BACKEND_OPENAI:
        if (pr->system)
            bad |= put_msg(b, "system", pr->system, strlen(pr->system), 0);
        bad |= put_msg(b, "user", pr->user, strlen(pr->user), pr->system != NULL);
        break;
    case CAI_BACKEND_COMPLETIONS:
        bad |= put_raw(b, pr);
        break;
    case CAI_BACKEND_ANTHROPIC:
        if (pr->system) {
            bad |= put_s(b, ",\"system\":");
            bad |= cai_wire__put_json_str(b, pr->system, strlen(pr->system));
        }
        bad |= put_s(b, ",\"messages\":[");
        if (pr->shared_len > 0 && pr->shared_len < strlen(pr->user))
            bad |= put_cached_user(b, pr);
        else
            bad |= put_msg(b, "user", pr->user, strlen(pr->user), 0);
        if (pr->prefill) {
            size_t n = strlen(pr->prefill);

            while (n > 0 && isspace((unsigned char)pr->prefill[n - 1]))
                n--;
            if (n > 0)
                bad |= put_msg(b, "assistant", pr->prefill, n, 1);
        }
        break;
    case CAI_BACKEND_BUILTIN:
        return cai_error__set(err, CAI_EINVAL, "judge: the builtin backend sends nothing");
    }
    bad |= put_s(b, w->tail);
    if (w->p.backend != CAI_BACKEND_ANTHROPIC) {
        if (sample >= 0 && w->p.temperature > 0) {
            snprintf(num, sizeof(num), ",\"seed\":%ld", sample);
            bad |= put_s(b, num);
        }
        bad |= cai_buf__append(b, "}", 1);
    }
    if (bad)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    return CAI_OK;
}

/* ---------------------------------------------------------------- replies */

/*
 * Replies are read in place (jscan_int.h): one validating pass over the body, then lookups; no
 * tree is built. The strings handed out (text, top tokens) are decoded into one buffer per reply,
 * allocated at the first of them, so a reply costs at most one allocation.
 */

/* A decoded, NUL-terminated copy of string s in r's buffer (its decoded length in *len); NULL
 * when out of memory. The buffer holds the body's length: the strings kept are disjoint spans
 * of it and never grow when decoded. */
static const char *keep(cai_wire_reply *r, const cai_jval *s, size_t *len)
{
    char *dst;

    if (!r->strings) {
        if (!(r->strings = malloc(r->strings_cap)))
            return NULL;
    }
    if (s->n - 1 > r->strings_cap - r->strings_used)
        return NULL;
    dst = r->strings + r->strings_used;
    *len = cai_jscan__string(s, dst);
    r->strings_used += *len + 1;
    return dst;
}

/*
 * A token that only opens the answer: "(", "[", "**", a quote, white space ("(A)" and "**A**"
 * are often tokenised as "(" / "**" then "A"). The letter is then in a later position.
 */
static int is_wrapper_token(const cai_jval *tok)
{
    char buf[64];
    const char *s;
    int seen = 0;

    if (!cai_jscan__is_string(tok) || tok->n - 1 > sizeof(buf))
        return 0;
    cai_jscan__string(tok, buf);
    for (s = buf; *s; s++) {
        if (*s == '(' || *s == '[' || *s == '*' || *s == '"' || *s == '\'')
            seen = 1;
        else if (*s != ' ' && *s != '\n' && *s != '\t')
            return 0;
    }
    return seen;
}

/* How many leading answer positions are skipped when looking for the letter. */
#define MAX_WRAPPER_TOKENS 2

static void add_top(cai_wire_reply *r, const cai_jval *tok, const cai_jval *lp)
{
    size_t len;
    const char *s = keep(r, tok, &len);

    if (!s)
        return;
    r->top[r->n_top].token = s;
    r->top[r->n_top].len = len;
    r->top[r->n_top].logprob = cai_jscan__number(lp);
    r->n_top++;
}

/* OpenAI chat: a list of {"token","logprob"} objects. */
static void take_top_objects(cai_wire_reply *r, const cai_jval *list)
{
    cai_jiter it = {0};
    cai_jval e;

    static const char *const keys[] = {"token", "logprob"};
    cai_jval f[2];

    while (cai_jscan__next(list, &it, NULL, &e)) {
        if (r->n_top >= CAI_WIRE_MAX_TOP)
            break;
        cai_jscan__get_many(&e, keys, f, 2);
        if (cai_jscan__is_string(&f[0]) && cai_jscan__is_number(&f[1]))
            add_top(r, &f[0], &f[1]);
    }
}

/* Legacy completions: one {token: logprob} map per position. */
static void take_top_map(cai_wire_reply *r, const cai_jval *map)
{
    cai_jiter it = {0};
    cai_jval k, v;

    while (cai_jscan__next(map, &it, &k, &v)) {
        if (r->n_top >= CAI_WIRE_MAX_TOP)
            break;
        if (cai_jscan__is_number(&v))
            add_top(r, &k, &v);
    }
}

static void set_text(cai_wire_reply *r, const cai_jval *s, int found)
{
    if (found && cai_jscan__is_string(s))
        r->text = keep(r, s, &r->text_len);
    if (!r->text)
        r->text_len = 0;
}

static unsigned get_uint(const cai_jval *obj, int found_obj, const char *name, int *found)
{
    cai_jval v;
    double d;

    if (!found_obj || !cai_jscan__get(obj, name, &v) || !cai_jscan__is_number(&v))
        return 0;
    d = cai_jscan__number(&v);
    if (!(d >= 0))
        return 0;
    *found = 1;
    return d > 4e9 ? 4000000000u : (unsigned)d;
}

/* The object member name of obj, or an empty value (no kind) when absent. */
static cai_jval member(const cai_jval *obj, const char *name)
{
    cai_jval v = {NULL, 0, NULL};

    if (!cai_jscan__get(obj, name, &v))
        v.n = 0;
    return v;
}

/* OpenAI chat shape: {"content":[{"token","logprob","top_logprobs":[{"token","logprob"}]}]}.
 * llama.cpp's server sends it on /v1/completions too. */
static void parse_openai_logprobs(cai_wire_reply *r, const cai_jval *content)
{
    static const char *const keys[] = {"token", "top_logprobs", "logprob"};
    cai_jval items[MAX_WRAPPER_TOKENS + 1], f[3];
    cai_jiter it = {0};
    size_t i = 0, n = 0;

    if (!cai_jscan__is_array(content))
        return;
    while (n < MAX_WRAPPER_TOKENS + 1 && cai_jscan__next(content, &it, NULL, &items[n]))
        n++;
    if (n == 0)
        return;
    /* with n < MAX_WRAPPER_TOKENS + 1, i + 1 >= n is the last item; otherwise i reaches
     * MAX_WRAPPER_TOKENS first */
    for (;; i++) {
        cai_jscan__get_many(&items[i], keys, f, 3);
        if (i >= MAX_WRAPPER_TOKENS || i + 1 >= n || !is_wrapper_token(&f[0]))
            break;
    }
    r->has_logprobs = 1;
    if (cai_jscan__is_array(&f[1]))
        take_top_objects(r, &f[1]);
    /* top_logprobs absent or empty: the sampled token alone is still evidence. */
    if (r->n_top == 0 && cai_jscan__is_string(&f[0]) && cai_jscan__is_number(&f[2]))
        add_top(r, &f[0], &f[2]);
}

/* Legacy completions shape: {"tokens":[..],"token_logprobs":[..],"top_logprobs":[{tok:lp}]}
 * (OpenAI, vLLM); the chat shape when the server sends that instead (llama.cpp). */
static void parse_completion_logprobs(cai_wire_reply *r, const cai_jval *lp)
{
    static const char *const keys[] = {"tokens", "top_logprobs", "content", "token_logprobs"};
    cai_jval f[4], tokens, tops, t;
    size_t idx = 0, n;

    cai_jscan__get_many(lp, keys, f, 4);
    tokens = f[0];
    tops = f[1];
    if (cai_jscan__is_array(&f[2]) && !cai_jscan__is_array(&tops)) {
        parse_openai_logprobs(r, &f[2]);
        return;
    }
    n = cai_jscan__count(&tops);
    if (!cai_jscan__is_array(&tops) || n == 0)
        return;
    for (;; idx++) {
        if (!cai_jscan__index(&tokens, idx, &t))
            t.n = 0;
        if (idx >= MAX_WRAPPER_TOKENS || idx + 1 >= n || !cai_jscan__is_string(&t) ||
            !is_wrapper_token(&t))
            break;
    }
    r->has_logprobs = 1;
    if (cai_jscan__index(&tops, idx, &t) && cai_jscan__is_object(&t))
        take_top_map(r, &t);
    if (r->n_top == 0) {
        cai_jval tok, lpv, lps = f[3];

        if (cai_jscan__index(&tokens, idx, &tok) && cai_jscan__is_string(&tok) &&
            cai_jscan__index(&lps, idx, &lpv) && cai_jscan__is_number(&lpv))
            add_top(r, &tok, &lpv);
    }
}

/*
 * Prompt tokens the server took from its prefix cache: usage.prompt_tokens_details.cached_tokens
 * (OpenAI, vLLM, recent llama.cpp), else llama.cpp's timings.cache_n. 0 when not reported.
 */
static unsigned cached_of(const cai_jval *timings, const cai_jval *usage)
{
    int found = 0;
    cai_jval d = member(usage, "prompt_tokens_details");
    unsigned n = get_uint(&d, 1, "cached_tokens", &found);

    if (found)
        return n;
    return get_uint(timings, 1, "cache_n", &found);
}

cai_status cai_wire__parse_reply(
    cai_wire_reply *out, cai_backend b, const char *body, size_t len, cai_error *err)
{
    static const char *const keys[] = {"usage", "content", "choices", "timings"};
    cai_jval root, f[4], usage;
    cai_jdoc doc; /* the reply is walked level by level: its containers are skipped at once */
    cai_status st = CAI_OK;

    memset(out, 0, sizeof(*out));
    if (cai_jscan__check_doc(body, len, &root, &doc) != 0)
        return cai_error__set(err, CAI_EPARSE, "reply is not valid JSON (%zu bytes)", len);
    if (!cai_jscan__is_object(&root))
        return cai_error__set(err, CAI_ESCHEMA, "reply is not a JSON object");
    out->strings_cap = len + 1;
    cai_jscan__get_many(&root, keys, f, b == CAI_BACKEND_ANTHROPIC ? 2 : 4);
    usage = f[0];
    if (b == CAI_BACKEND_ANTHROPIC) {
        cai_jval content = f[1], blk, type, text;
        cai_jiter it = {0};

        if (!cai_jscan__is_array(&content))
            return cai_error__set(err, CAI_ESCHEMA, "reply has no \"content\" list");
        while (cai_jscan__next(&content, &it, NULL, &blk)) {
            if (cai_jscan__get(&blk, "type", &type) && cai_jscan__string_eq(&type, "text")) {
                set_text(out, &text, cai_jscan__get(&blk, "text", &text));
                break;
            }
        }
        /* Prompt caching splits the input: the prompt is all three parts. */
        out->prompt_tokens = get_uint(&usage, 1, "input_tokens", &out->has_prompt_tokens);
        out->prompt_tokens += get_uint(&usage, 1, "cache_creation_input_tokens", &out->has_usage);
        out->prompt_tokens += get_uint(&usage, 1, "cache_read_input_tokens", &out->has_usage);
        out->completion_tokens = get_uint(&usage, 1, "output_tokens", &out->has_usage);
        out->cached_tokens = get_uint(&usage, 1, "cache_read_input_tokens", &out->has_usage);
    } else {
        static const char *const ckeys[] = {"logprobs", "message", "text"};
        cai_jval choices = f[2], c0, cf[3], lp, msg, text, details;

        if (!cai_jscan__is_array(&choices) || !cai_jscan__index(&choices, 0, &c0) ||
            !cai_jscan__is_object(&c0)) {
            st = cai_error__set(err, CAI_ESCHEMA, "reply has no choices[0]");
            goto fail;
        }
        cai_jscan__get_many(&c0, ckeys, cf, 3);
        lp = cf[0];
        if (b == CAI_BACKEND_OPENAI) {
            msg = cf[1];
            set_text(out, &text, cai_jscan__get(&msg, "content", &text));
            if (cai_jscan__is_object(&lp)) {
                cai_jval content = member(&lp, "content");
                parse_openai_logprobs(out, &content);
            }
        } else {
            text = cf[2];
            set_text(out, &text, 1);
            if (cai_jscan__is_object(&lp))
                parse_completion_logprobs(out, &lp);
        }
        out->prompt_tokens = get_uint(&usage, 1, "prompt_tokens", &out->has_prompt_tokens);
        out->completion_tokens = get_uint(&usage, 1, "completion_tokens", &out->has_usage);
        /* Part of completion_tokens already (OpenAI bills them as output): kept for reports. */
        details = member(&usage, "completion_tokens_details");
        out->reasoning_tokens = get_uint(&details, 1, "reasoning_tokens", &out->has_usage);
        out->cached_tokens = cached_of(&f[3], &usage);
    }
    out->has_usage |= out->has_prompt_tokens;
    return CAI_OK;
fail:
    cai_wire__reply_dispose(out);
    return st;
}

void cai_wire__reply_dispose(cai_wire_reply *r)
{
    if (!r)
        return;
    free(r->strings);
    memset(r, 0, sizeof(*r));
}

/* ---------------------------------------------------------------- error bodies */

char *cai_wire__redact(const char *s, size_t n, const char *secret)
{
    static const char mark[] = "[REDACTED]";
    size_t klen = secret ? strlen(secret) : 0, i, count = 0, outlen;
    char *out, *o;

    if (klen > 0)
        for (i = 0; i + klen <= n; i++)
            if (memcmp(s + i, secret, klen) == 0) {
                count++;
                i += klen - 1;
            }
    outlen = n + count * (sizeof(mark) - 1);
    out = malloc(outlen + 1);
    if (!out)
        return NULL;
    o = out;
    for (i = 0; i < n;) {
        if (klen > 0 && i + klen <= n && memcmp(s + i, secret, klen) == 0) {
            memcpy(o, mark, sizeof(mark) - 1);
            o += sizeof(mark) - 1;
            i += klen;
        } else
            *o++ = s[i++];
    }
    *o = '\0';
    return out;
}

#define ERRMSG_MAX 300

char *cai_wire__error_message(const char *body, size_t len, const char *secret)
{
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *e, *msg = NULL, *type = NULL;
    cai_buf b = {0};
    char *red, *r, *w;
    size_t n;
    int bad = 0;

    if (root) {
        e = cJSON_GetObjectItemCaseSensitive(root, "error");
        if (cJSON_IsObject(e)) {
            msg = cJSON_GetObjectItemCaseSensitive(e, "message");
            type = cJSON_GetObjectItemCaseSensitive(e, "type");
            if (!cJSON_IsString(type))
                type = cJSON_GetObjectItemCaseSensitive(e, "code");
        } else if (cJSON_IsString(e))
            msg = e;
        else
            msg = cJSON_GetObjectItemCaseSensitive(root, "message");
        if (!cJSON_IsString(msg))
            msg = NULL;
    }
    if (msg) {
        if (cJSON_IsString(type) && type->valuestring[0]) {
            bad |= put_s(&b, type->valuestring);
            bad |= put_s(&b, ": ");
        }
        bad |= put_s(&b, msg->valuestring);
    } else if (len > 0)
        bad |= cai_buf__append(&b, body, len);
    else
        bad |= put_s(&b, "(empty body)");
    cJSON_Delete(root);
    if (bad) {
        cai_buf__dispose(&b);
        return NULL;
    }
    /* Redact first: cutting first could leave a prefix of the key behind. */
    red = cai_wire__redact(b.data, b.len, secret);
    cai_buf__dispose(&b);
    if (!red)
        return NULL;
    /* One line of printable text, white space runs collapsed. */
    for (r = w = red; *r; r++) {
        unsigned char c = (unsigned char)*r;

        if (c < 0x20 || c == 0x7f) {
            if (w > red && w[-1] != ' ')
                *w++ = ' ';
            continue;
        }
        *w++ = (char)c;
    }
    while (w > red && w[-1] == ' ')
        w--;
    *w = '\0';
    n = (size_t)(w - red);
    if (n > ERRMSG_MAX) {
        /* The cut text plus "..." fits in the first ERRMSG_MAX + 1 bytes,
         * which red (at least n + 1 bytes) always has. */
        n = ERRMSG_MAX - 3;
        while (n > 0 && ((unsigned char)red[n] & 0xC0) == 0x80)
            n--; /* never split a UTF-8 sequence */
        memcpy(red + n, "...", 4);
    }
    return red;
}

/* ---------------------------------------------------------------- headers */

void cai_wire__hdrs_reset(cai_wire_hdrs *h)
{
    int i;

    memset(h, 0, sizeof(*h));
    h->retry_after_s = -1;
    h->should_retry = -1;
    for (i = 0; i < CAI_RL_KINDS; i++)
        h->reset_s[i] = -1;
}

static int name_is(const char *line, size_t nlen, const char *name)
{
    size_t i;

    if (strlen(name) != nlen)
        return 0;
    for (i = 0; i < nlen; i++)
        if (tolower((unsigned char)line[i]) != name[i])
            return 0;
    return 1;
}

/* Parses a non-negative decimal number that fills s[0..n). */
static int parse_num(const char *s, size_t n, double *out)
{
    char tmp[64], *end;
    double v;

    if (n == 0 || n >= sizeof(tmp) || !(isdigit((unsigned char)s[0]) || s[0] == '.'))
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    v = strtod(tmp, &end);
    if (*end || !isfinite(v) || v < 0)
        return -1;
    *out = v;
    return 0;
}

int cai_wire__parse_duration(const char *s, size_t n, double *secs)
{
    double total = 0;
    size_t i = 0;

    if (parse_num(s, n, secs) == 0)
        return 0;
    if (n == 0)
        return -1;
    while (i < n) {
        size_t start = i;
        double v;
        char tmp[32], *end;

        while (i < n && (isdigit((unsigned char)s[i]) || s[i] == '.'))
            i++;
        if (i == start || i - start >= sizeof(tmp))
            return -1;
        memcpy(tmp, s + start, i - start);
        tmp[i - start] = '\0';
        v = strtod(tmp, &end);
        if (*end)
            return -1;
        if (i + 1 < n && s[i] == 'm' && s[i + 1] == 's') {
            total += v / 1000.0;
            i += 2;
        } else if (i < n && s[i] == 'h') {
            total += v * 3600.0;
            i++;
        } else if (i < n && s[i] == 'm') {
            total += v * 60.0;
            i++;
        } else if (i < n && s[i] == 's') {
            total += v;
            i++;
        } else
            return -1;
    }
    *secs = total;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static long days_from_civil(long y, long m, long d)
{
    long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int digits(const char *s, size_t n, size_t at, size_t count, long *out)
{
    size_t i;
    long v = 0;

    if (at + count > n)
        return -1;
    for (i = 0; i < count; i++) {
        if (!isdigit((unsigned char)s[at + i]))
            return -1;
        v = v * 10 + (s[at + i] - '0');
    }
    *out = v;
    return 0;
}

int cai_wire__parse_rfc3339(const char *s, size_t n, double *epoch)
{
    long y, mo, d, h, mi, se, oh, om;
    double frac = 0, t;
    size_t i = 19;

    if (digits(s, n, 0, 4, &y) || n < 20 || s[4] != '-' || digits(s, n, 5, 2, &mo) || s[7] != '-' ||
        digits(s, n, 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        digits(s, n, 11, 2, &h) || s[13] != ':' || digits(s, n, 14, 2, &mi) || s[16] != ':' ||
        digits(s, n, 17, 2, &se))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    if (i < n && s[i] == '.') {
        double scale = 0.1;

        i++;
        if (i >= n || !isdigit((unsigned char)s[i]))
            return -1;
        while (i < n && isdigit((unsigned char)s[i])) {
            frac += (s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
    }
    t = (double)days_from_civil(y, mo, d) * 86400.0 + (double)(h * 3600 + mi * 60 + se) + frac;
    if (i < n && (s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
        *epoch = t;
        return 0;
    }
    if (i + 6 == n && (s[i] == '+' || s[i] == '-') && digits(s, n, i + 1, 2, &oh) == 0 &&
        s[i + 3] == ':' && digits(s, n, i + 4, 2, &om) == 0) {
        double off = (double)(oh * 3600 + om * 60);

        *epoch = s[i] == '+' ? t - off : t + off;
        return 0;
    }
    return -1;
}

#define ANTHROPIC_RL_LEN (sizeof("anthropic-ratelimit-") - 1)

void cai_wire__header(cai_wire_hdrs *h, const char *line, size_t len, double now_epoch)
{
    const char *colon = memchr(line, ':', len), *v, *end = line + len;
    size_t nlen, vlen;
    double x;
    int kind = -1, is_reset = 0;

    if (!colon)
        return;
    nlen = (size_t)(colon - line);
    v = colon + 1;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    vlen = (size_t)(end - v);

    if (name_is(line, nlen, "retry-after-ms")) {
        if (parse_num(v, vlen, &x) == 0) {
            h->retry_after_s = x / 1000.0;
            h->have_ms = 1;
        }
        return;
    }
    if (name_is(line, nlen, "retry-after")) {
        if (h->have_ms)
            return;
        if (parse_num(v, vlen, &x) == 0)
            h->retry_after_s = x;
        else if (vlen > 0 && vlen < sizeof(h->retry_after_date)) {
            memcpy(h->retry_after_date, v, vlen);
            h->retry_after_date[vlen] = '\0';
        }
        return;
    }
    if (name_is(line, nlen, "x-should-retry")) {
        if (vlen == 4 && strncmp(v, "true", 4) == 0)
            h->should_retry = 1;
        else if (vlen == 5 && strncmp(v, "false", 5) == 0)
            h->should_retry = 0;
        return;
    }
    /* OpenAI: x-ratelimit-{remaining,reset}-{requests,tokens} (reset as "1m2.5s"). */
    if (name_is(line, nlen, "x-ratelimit-remaining-requests"))
        kind = CAI_RL_REQUESTS;
    else if (name_is(line, nlen, "x-ratelimit-remaining-tokens"))
        kind = CAI_RL_TOKENS;
    else if (name_is(line, nlen, "x-ratelimit-reset-requests")) {
        kind = CAI_RL_REQUESTS;
        is_reset = 1;
    } else if (name_is(line, nlen, "x-ratelimit-reset-tokens")) {
        kind = CAI_RL_TOKENS;
        is_reset = 1;
    }
    if (kind >= 0) {
        if (!is_reset)
            h->exhausted[kind] = vlen == 1 && v[0] == '0';
        else if (cai_wire__parse_duration(v, vlen, &x) == 0)
            h->reset_s[kind] = x;
        return;
    }
    /* Anthropic: anthropic-ratelimit-<kind>-{remaining,reset} (reset as RFC 3339). */
    if (nlen > ANTHROPIC_RL_LEN && name_is(line, ANTHROPIC_RL_LEN, "anthropic-ratelimit-")) {
        static const char *const kinds[CAI_RL_KINDS] = {"requests", "tokens", "input-tokens",
                                                        "output-tokens"};
        const char *rest = line + ANTHROPIC_RL_LEN;
        size_t rlen = nlen - ANTHROPIC_RL_LEN;
        int k;

        for (k = 0; k < CAI_RL_KINDS; k++) {
            size_t kl = strlen(kinds[k]);
            double t;

            if (rlen <= kl + 1 || !name_is(rest, kl, kinds[k]) || rest[kl] != '-')
                continue;
            if (name_is(rest + kl + 1, rlen - kl - 1, "remaining"))
                h->exhausted[k] = vlen == 1 && v[0] == '0';
            else if (name_is(rest + kl + 1, rlen - kl - 1, "reset") &&
                     cai_wire__parse_rfc3339(v, vlen, &t) == 0)
                h->reset_s[k] = t > now_epoch ? t - now_epoch : 0;
        }
    }
}

double cai_wire__hdrs_pause(const cai_wire_hdrs *h)
{
    double pause = 0;
    int k;

    for (k = 0; k < CAI_RL_KINDS; k++) {
        double r;

        if (!h->exhausted[k])
            continue;
        r = h->reset_s[k] >= 0 ? h->reset_s[k] : 1.0;
        if (r > pause)
            pause = r;
    }
    return pause;
}

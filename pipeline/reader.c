/* SPDX-License-Identifier: MIT */
/* The record reader: turns each JSONL line of any supported input format into one cai_record. */
/*
 * Invariant: everything a record points to lives in the reader's per-line state (the parsed
 * cJSON tree, which HH transcripts are split inside, the decoder's turns (recdec.c) and a few
 * arrays reused from line to line) and is released or reused by the next cai_reader_next().
 * Nothing accumulates per line except the counters and the first KEEP_MSGS skip and warning
 * messages.
 */
#include "hash_int.h"
#include "cai/record.h"
#include "error_int.h"
#include "jsonraw_int.h"
#include "reader_int.h"
#include "recdec_int.h"
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
    cJSON *doc; /* only for a line cJSON reads and RFC 8259 refuses (recdec_int.h) */
    char *meta;
    cai_recdec dec; /* the record's turns (the context and the responses) */
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

static cai_status need_resp(const line_ctx *lc, size_t n)
{
    cai_reader *r = lc->r;
    const char **p;

    if (!(p = cai__grow(r->resp, &r->resp_cap, n, sizeof(*p), 4)))
        return fail(lc, CAI_ENOMEM, "out of memory");
    r->resp = p;
    return CAI_OK;
}

/* The decoder's findings (recdec.c) are the reader's FILE:LINE errors; the first stops it. */
static cai_status on_finding(void *payload, const cai_recdec_finding *f, cai_error *err)
{
    (void)err;
    return fail(payload, f->code, "%s", f->msg);
}

static int is_key_of(const char *const *keys, const cai_jval *k)
{
    for (; *keys; keys++) {
        if (cai_jscan__string_eq(k, *keys))
            return 1;
    }
    return cai_jscan__string_eq(k, "id");
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

/* How many of the object's members are keys format fmt reads, or "id". */
static size_t known_members(const cai_recdec *d, cai_format fmt)
{
    const cai_recfmt_keys *k = &d->keys;
    const char *const *keys = cai_recfmt__format_keys(fmt);
    static const char *const names[] = {"prompt",    "response_a", "response_b",
                                        "responses", "chosen",     "rejected"};
    const cai_jval *const v[] = {&k->prompt,    &k->response_a, &k->response_b,
                                 &k->responses, &k->chosen,     &k->rejected};
    size_t i, n = d->id.n != 0;

    for (; *keys; keys++) {
        for (i = 0; i < sizeof(names) / sizeof(*names); i++)
            n += strcmp(*keys, names[i]) == 0 && v[i]->n != 0;
    }
    return n;
}

/*
 * The keys this format does not read, as a JSON object text whose values are the input's own
 * bytes (numbers keep their text: 1.0 stays 1.0, 9007199254740993 is not rounded). root is read
 * in place, so its spans are those bytes; for a line read through cJSON (cai_recdec__reread)
 * they are found in the line by jsonraw, member i of one being member i of the other.
 */
static cai_status
collect_meta(const line_ctx *lc, const cai_jval *root, cai_format fmt, const char *line, size_t len)
{
    cai_reader *r = lc->r;
    const char *const *keys = cai_recfmt__format_keys(fmt);
    size_t members = r->dec.n_members;
    cai_jspan span[64], *sp = NULL;
    cai_buf b = {0};
    cai_jiter it = {0};
    cai_jval key, val;
    long n = 0, k;

    if (known_members(&r->dec, fmt) == members) {
        /* nothing to keep (the usual case) */
        r->meta = strdup("{}");
        return r->meta ? CAI_OK : fail(lc, CAI_ENOMEM, "out of memory");
    }
    if (r->dec.reparsed) {
        sp = members > 64 ? malloc(members * sizeof(*sp)) : span;
        if (!sp)
            return fail(lc, CAI_ENOMEM, "out of memory");
        n = cai_json__members(line, len, sp, members);
    }
    cai_buf__puts(&b, "{");
    for (k = 0; cai_jscan__next(root, &it, &key, &val); k++) {
        if (is_key_of(keys, &key))
            continue;
        if (b.len > 1)
            cai_buf__puts(&b, ",");
        if (sp && k < n) {
            cai_buf__put(&b, line + sp[k].key, sp[k].key_len);
            cai_buf__puts(&b, ":");
            cai_buf__put(&b, line + sp[k].val, sp[k].val_len);
        } else {
            cai_buf__put(&b, key.p, key.n);
            cai_buf__puts(&b, ":");
            cai_buf__put(&b, val.p, val.n);
        }
    }
    cai_buf__puts(&b, "}");
    if (sp && sp != span)
        free(sp);
    r->meta = cai_buf__take(&b);
    if (!r->meta)
        return fail(lc, CAI_ENOMEM, "out of memory");
    if (sp && n != (long)members)
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
    cJSON_Delete(r->doc);
    r->doc = NULL;
    free(r->meta);
    r->meta = NULL;
    cai_recdec__reset(&r->dec);
    memset(&r->rec, 0, sizeof(r->rec));
}

/* The record the decoder read, as the run's model: the context and one text per response. */
static cai_status take_record(const line_ctx *lc)
{
    cai_reader *r = lc->r;
    const cai_recdec *d = &r->dec;
    cai_format fmt = d->format;
    cai_status st;
    size_t i, n = d->n_seqs - 1;

    if ((st = need_resp(lc, n)) != CAI_OK)
        return st;
    for (i = 0; i < n; i++)
        r->resp[i] = d->turns[d->seq_start[1 + i]].content; /* one turn each under the run rule */
    r->rec.context = d->turns + d->seq_start[0];
    r->rec.n_context = d->seq_len[0];
    r->rec.prompt_text = d->prompt_text;
    r->rec.responses = r->resp;
    r->rec.n_responses = n;
    r->rec.human_choice =
        fmt == CAI_FORMAT_HH || fmt == CAI_FORMAT_TRL || fmt == CAI_FORMAT_CONVERSATIONAL ? 0 : -1;
    if (!d->id.n)
        return content_id(lc);
    if ((st = cai_recdec__id(&r->dec, r->id, &r->rec.id, lc->err)) != CAI_OK)
        return st;
    r->rec.id_from_input = 1;
    return CAI_OK;
}

/* Parses one line into r->rec. */
static cai_status parse_line(const line_ctx *lc, const char *line, size_t len)
{
    cai_reader *r = lc->r;
    const char *end = NULL;
    cai_jval root;
    cai_status st;

    /* one pass over a good line; the two checks apart only to say what is wrong with one */
    if (cai_jscan__check_clean(line, len, &root) == 0) {
        /* valid RFC 8259, nothing cJSON would read its own way */
    } else if ((st = scan_json(lc, line, len)) != CAI_OK) {
        return st;
    } else if (cai_jscan__check(line, len, &root) != 0) {
        /* cJSON's verdict and words; and cJSON's reading of what it takes beyond RFC 8259 */
        r->doc = cJSON_ParseWithLengthOpts(line, len, &end, 0);
        if (!r->doc)
            return fail(lc, CAI_EPARSE, "invalid JSON at byte %zu",
                        end && end >= line ? (size_t)(end - line) + 1 : (size_t)1);
        for (; end < line + len; end++) {
            if (*end != ' ' && *end != '\t' && *end != '\r' && *end != '\n')
                return fail(lc, CAI_EPARSE, "invalid JSON at byte %zu: text after the value",
                            (size_t)(end - line) + 1);
        }
        if (cJSON_IsObject(r->doc) &&
            (st = cai_recdec__reread(&r->dec, r->doc, &root, lc->err)) != CAI_OK) {
            char msg[sizeof(lc->err->msg)];
            snprintf(msg, sizeof(msg), "%s", lc->err->msg);
            return fail(lc, st, "%s", msg);
        }
        if (!cJSON_IsObject(r->doc))
            return fail(lc, CAI_ESCHEMA, "a line must hold a JSON object");
    }
    if (!cai_jscan__is_object(&root))
        return fail(lc, CAI_ESCHEMA, "a line must hold a JSON object");
    r->dec.payload = (void *)lc;
    st = cai_recdec__format(&r->dec, &root, r->o.format, lc->err);
    if (st == CAI_OK && !r->dec.failed)
        st = cai_recdec__read(&r->dec, &root, lc->err);
    /* a finding is already this line's error (on_finding); else the decoder ran out of memory */
    if (r->dec.failed)
        return st != CAI_OK ? st : CAI_ESCHEMA;
    if (st != CAI_OK)
        return fail(lc, st, "out of memory");
    if ((st = take_record(lc)) != CAI_OK)
        return st;
    if ((st = collect_meta(lc, &root, r->dec.format, line, len)) != CAI_OK)
        return st;
    r->rec.meta_json = r->meta;
    r->rec.format = r->dec.format;
    r->rec.file = r->path;
    r->rec.line = lc->lineno;
    warn_blank(r, lc->lineno, r->dec.format);
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
    cai_recdec__init(&r->dec, CAI_RECDEC_RUN, on_finding, NULL);
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
    cai_recdec__dispose(&r->dec);
    free(r->resp);
    for (i = 0; i < r->n_skip_msg; i++)
        free(r->skip_msg[i]);
    for (i = 0; i < r->n_warn_msg; i++)
        free(r->warn_msg[i]);
    free(r->path);
    free(r);
}

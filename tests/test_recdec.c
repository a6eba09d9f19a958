/* SPDX-License-Identifier: MIT */
/* Tests for the one record decoder (pipeline/recdec.c) that the reader and the scanner share:
 * the turns it reads from each format, and the findings each rule reports. */
#include <cai.h>
#include "jscan_int.h"
#include "jsonraw_int.h"
#include "recdec_int.h"
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Suite *recdec_suite(void);

/* What the sink saw: the findings' count and the last one. */
typedef struct seen {
    int n;
    cai_recdec_kind kind;
    cai_status code;
    char key[32];
    char msg[512];
    cai_status answer; /* what the sink returns */
} seen;

static cai_status sink(void *payload, const cai_recdec_finding *f, cai_error *err)
{
    seen *s = payload;

    (void)err;
    s->n++;
    s->kind = f->kind;
    s->code = f->code;
    snprintf(s->key, sizeof(s->key), "%s", f->key ? f->key : "");
    snprintf(s->msg, sizeof(s->msg), "%s", f->msg);
    return s->answer;
}

/* Decodes json under rule (format fmt); returns the status and leaves the record in *d. */
static cai_status
decode(cai_recdec *d, cJSON **doc, cai_recdec_rule rule, const char *json, cai_format fmt, seen *s)
{
    cai_error err = {0};
    cai_jval root;
    cai_status st;

    memset(s, 0, sizeof(*s));
    s->answer = rule == CAI_RECDEC_RUN ? CAI_ESCHEMA : CAI_OK; /* as the callers do */
    cai_recdec__init(d, rule, sink, s);
    *doc = NULL;
    if (cai_jscan__check(json, strlen(json), &root) != 0) {
        /* what cJSON takes beyond RFC 8259, as the callers read it */
        *doc = cJSON_Parse(json);
        ck_assert_ptr_nonnull(*doc);
        ck_assert_int_eq(cai_recdec__reread(d, *doc, &root, &err), CAI_OK);
    }
    st = cai_recdec__format(d, &root, fmt, &err);
    if (st == CAI_OK && !d->failed)
        st = cai_recdec__read(d, &root, &err);
    return st;
}

static void done(cai_recdec *d, cJSON *doc)
{
    cai_recdec__dispose(d);
    cJSON_Delete(doc);
}

/* Sequence k as "role:text|role:text". */
static void seq_text(const cai_recdec *d, size_t k, char *out, size_t n)
{
    size_t i, at = 0;

    out[0] = '\0';
    for (i = 0; i < d->seq_len[k] && at < n; i++) {
        const cai_message *m = &d->turns[d->seq_start[k] + i];
        at += (size_t)snprintf(out + at, n - at, "%s%s:%s", i ? "|" : "", cai_role_name(m->role),
                               m->content);
    }
}

/* Both rules read a well-formed record of each judged format into the same turns. */
START_TEST(both_rules_read_the_same_turns)
{
    static const struct {
        const char *json;
        cai_format fmt;
        size_t n_seqs;
        const char *prompt, *last;
    } cases[] = {
        {"{\"prompt\":\"p\",\"response_a\":\"a\",\"response_b\":\"b\"}", CAI_FORMAT_PAIRS, 3,
         "user:p", "assistant:b"},
        {"{\"prompt\":[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":"
         "\"q\"}],\"responses\":[\"x\",\"y\",\"z\"]}",
         CAI_FORMAT_CANDIDATES, 4, "system:s|user:q", "assistant:z"},
        {"{\"chosen\":\"\\n\\nHuman: hi\\n\\nAssistant: yo\\n\\nHuman: q\\n\\nAssistant: a\","
         "\"rejected\":\"\\n\\nHuman: hi\\n\\nAssistant: yo\\n\\nHuman: q\\n\\nAssistant: b\"}",
         CAI_FORMAT_HH, 3, "user:hi|assistant:yo|user:q", "assistant:b"},
        {"{\"prompt\":\"\\n\\nHuman: q\\n\\nAssistant:\",\"chosen\":\" a\",\"rejected\":\" b\"}",
         CAI_FORMAT_TRL, 3, "user:q", "assistant: b"},
        {"{\"prompt\":[{\"role\":\"user\",\"content\":\"q\"}],\"chosen\":[{\"role\":\"assistant\","
         "\"content\":\"a\"}],\"rejected\":[{\"role\":\"assistant\",\"content\":\"b\"}]}",
         CAI_FORMAT_CONVERSATIONAL, 3, "user:q", "assistant:b"},
    };
    size_t i, r;

    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        for (r = 0; r < 2; r++) {
            cai_recdec d;
            cJSON *doc;
            seen s;
            char got[256];

            ck_assert_int_eq(
                decode(&d, &doc, (cai_recdec_rule)r, cases[i].json, CAI_FORMAT_AUTO, &s), CAI_OK);
            ck_assert_msg(s.n == 0 && !d.failed, "case %zu rule %zu: %s", i, r, s.msg);
            ck_assert_int_eq(d.format, cases[i].fmt);
            ck_assert_uint_eq(d.n_seqs, cases[i].n_seqs);
            seq_text(&d, 0, got, sizeof(got));
            ck_assert_str_eq(got, cases[i].prompt);
            seq_text(&d, d.n_seqs - 1, got, sizeof(got));
            ck_assert_str_eq(got, cases[i].last);
            done(&d, doc);
        }
    }
}
END_TEST

/* The scan rule reads SFT data; the run rule refuses it by name. */
START_TEST(sft_data_is_read_by_the_scan_rule_and_refused_by_the_run)
{
    const char *json = "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":"
                       "\"assistant\",\"content\":\"a\"}]}";
    cai_recdec d;
    cJSON *doc;
    seen s;
    char got[64];

    ck_assert_int_eq(decode(&d, &doc, CAI_RECDEC_SCAN, json, CAI_FORMAT_AUTO, &s), CAI_OK);
    ck_assert_int_eq(s.n, 0);
    ck_assert_int_eq(d.format, CAI_FORMAT_MESSAGES);
    seq_text(&d, 0, got, sizeof(got));
    ck_assert_str_eq(got, "user:q");
    seq_text(&d, 1, got, sizeof(got));
    ck_assert_str_eq(got, "assistant:a");
    done(&d, doc);

    ck_assert_int_eq(decode(&d, &doc, CAI_RECDEC_RUN, json, CAI_FORMAT_AUTO, &s), CAI_ESCHEMA);
    ck_assert_int_eq(s.n, 1);
    ck_assert_ptr_nonnull(strstr(s.msg, "an SFT record (messages)"));
    done(&d, doc);
}
END_TEST

/* One walk, two wordings: each rule's finding names the key, in that rule's words, and stops
 * the decoder at the first problem. */
START_TEST(each_rule_reports_in_its_words)
{
    static const struct {
        const char *json;
        const char *key, *run, *scan;
        cai_recdec_kind scan_kind;
    } cases[] = {
        {"{\"prompt\":5,\"response_a\":\"a\",\"response_b\":\"b\"}", "prompt",
         "\"prompt\" must be a string or a message list",
         "\"prompt\" is a number, not a string or a message list", CAI_RECDEC_SCHEMA},
        {"{\"prompt\":[{\"role\":\"bot\",\"content\":\"x\"}],\"response_a\":1,\"response_b\":2}",
         "prompt", "\"prompt\"[0].role must be \"system\", \"user\" or \"assistant\"",
         "prompt[0]: unknown role \"bot\"", CAI_RECDEC_ROLES},
        {"{\"prompt\":\"p\",\"chosen\":\"c\",\"rejected\":3}", "rejected",
         "\"rejected\" must be a string", "\"rejected\" is a number, not a string",
         CAI_RECDEC_SCHEMA},
        {"{\"prompt\":\"p\",\"prompt\":\"q\",\"chosen\":\"c\",\"rejected\":\"r\"}", "prompt",
         "duplicate key \"prompt\"",
         "duplicate key \"prompt\": cai reads the first, Python's json the last",
         CAI_RECDEC_SCHEMA},
        {"{\"chosen\":\"nope\",\"rejected\":\"\\n\\nHuman: a\\n\\nAssistant: b\"}", "chosen",
         "\"chosen\": not an HH transcript: it does not start with \"\\n\\nHuman:\"",
         "chosen: not an HH transcript: it does not start with \"\\n\\nHuman:\"", CAI_RECDEC_ROLES},
        {"{\"prompt\":\"p\",\"responses\":[\"a\",2]}", "responses",
         "\"responses\"[1] must be a string", "responses[1] is a number, not a string",
         CAI_RECDEC_SCHEMA},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        cai_recdec d;
        cJSON *doc;
        seen s;

        ck_assert_int_eq(decode(&d, &doc, CAI_RECDEC_RUN, cases[i].json, CAI_FORMAT_AUTO, &s),
                         CAI_ESCHEMA);
        ck_assert_int_eq(s.n, 1);
        ck_assert_str_eq(s.key, cases[i].key);
        ck_assert_str_eq(s.msg, cases[i].run);
        done(&d, doc);
        ck_assert_int_eq(decode(&d, &doc, CAI_RECDEC_SCAN, cases[i].json, CAI_FORMAT_AUTO, &s),
                         CAI_OK);
        ck_assert_int_eq(s.n, 1);
        ck_assert(d.failed);
        ck_assert_str_eq(s.key, cases[i].key);
        ck_assert_str_eq(s.msg, cases[i].scan);
        ck_assert_int_eq(s.kind, cases[i].scan_kind);
        done(&d, doc);
    }
}
END_TEST

/* What the run rule refuses and the scan rule leaves to the scanner's checks on the turns:
 * the scan rule reads the turns, so that the scanner can say what is wrong. */
START_TEST(the_run_refuses_what_the_scan_rule_reads_for_later_checks)
{
    static const char *const lines[] = {
        "{\"prompt\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\",\"content\":"
        "\"y\"}],\"response_a\":\"a\",\"response_b\":\"b\"}",
        "{\"prompt\":[],\"response_a\":\"a\",\"response_b\":\"b\"}",
        "{\"prompt\":\"p\",\"responses\":[\"a\"]}",
        "{\"prompt\":[{\"role\":\"user\",\"content\":\"x\"}],\"chosen\":[{\"role\":\"assistant\","
        "\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"}],\"rejected\":[{\"role\":"
        "\"assistant\",\"content\":\"c\"}]}",
        "{\"chosen\":\"\\n\\nHuman: a\\n\\nAssistant: b\",\"rejected\":\"\\n\\nHuman: c\\n\\n"
        "Assistant: d\"}",
        "{\"prompt\":\"\\n\\nHuman: a\\n\\nAssistant: b\",\"chosen\":\"c\",\"rejected\":\"r\"}",
    };
    size_t i;

    for (i = 0; i < sizeof(lines) / sizeof(*lines); i++) {
        cai_recdec d;
        cJSON *doc;
        seen s;

        ck_assert_int_eq(decode(&d, &doc, CAI_RECDEC_RUN, lines[i], CAI_FORMAT_AUTO, &s), s.answer);
        ck_assert_msg(s.n == 1, "line %zu: the run rule took it", i);
        done(&d, doc);
        ck_assert_int_eq(decode(&d, &doc, CAI_RECDEC_SCAN, lines[i], CAI_FORMAT_AUTO, &s), CAI_OK);
        ck_assert_msg(s.n == 0 && !d.failed, "line %zu: %s", i, s.msg);
        ck_assert_uint_ge(d.n_seqs, 1);
        done(&d, doc);
    }
}
END_TEST

/* The run rule's id: a string as is, an integer printed, anything else a finding. */
START_TEST(run_rule_reads_the_id)
{
    cai_recdec d;
    cJSON *doc;
    seen s;
    char buf[40];
    const char *id;
    cai_error err = {0};

    ck_assert_int_eq(
        decode(&d, &doc, CAI_RECDEC_RUN,
               "{\"id\":9007199254740992,\"prompt\":\"p\",\"chosen\":\"c\",\"rejected\":\"r\"}",
               CAI_FORMAT_AUTO, &s),
        CAI_OK);
    ck_assert_int_eq(cai_recdec__id(&d, buf, &id, &err), CAI_OK);
    ck_assert_str_eq(id, "9007199254740992");
    done(&d, doc);
    ck_assert_int_eq(decode(&d, &doc, CAI_RECDEC_RUN,
                            "{\"id\":1.5,\"prompt\":\"p\",\"chosen\":\"c\",\"rejected\":\"r\"}",
                            CAI_FORMAT_AUTO, &s),
                     CAI_OK);
    ck_assert_int_eq(cai_recdec__id(&d, buf, &id, &err), CAI_ESCHEMA);
    ck_assert_str_eq(s.msg, "\"id\" must be a string or an integer below 2^53");
    ck_assert_str_eq(s.key, "id");
    done(&d, doc);
}
END_TEST

/* Forced to a format, the run rule checks every key of it before reading any. */
START_TEST(forced_format_names_the_missing_key)
{
    cai_recdec d;
    cJSON *doc;
    seen s;

    ck_assert_int_eq(decode(&d, &doc, CAI_RECDEC_RUN, "{\"prompt\":5,\"response_a\":\"a\"}",
                            CAI_FORMAT_PAIRS, &s),
                     CAI_ESCHEMA);
    ck_assert_str_eq(s.msg, "missing \"response_b\" (pairs format)");
    done(&d, doc);
    ck_assert_int_eq(decode(&d, &doc, CAI_RECDEC_SCAN, "{\"prompt\":\"p\",\"response_a\":\"a\"}",
                            CAI_FORMAT_PAIRS, &s),
                     CAI_OK);
    ck_assert_str_eq(s.msg, "missing \"response_b\"");
    done(&d, doc);
}
END_TEST

/* A line cJSON takes and RFC 8259 does not (a form feed between tokens, a number "01") is
 * read as cJSON reads it. */
START_TEST(lines_cjson_takes_beyond_rfc_are_read_as_cjson_reads_them)
{
    const char *json = "{\f\"id\":01,\"prompt\":\"p\\u00e9\",\"chosen\":\"c\",\"rejected\":\"r\"}";
    cai_recdec d;
    cJSON *doc;
    seen s;
    char buf[40];
    const char *id;
    cai_error err = {0};

    ck_assert_int_eq(decode(&d, &doc, CAI_RECDEC_RUN, json, CAI_FORMAT_AUTO, &s), CAI_OK);
    ck_assert_ptr_nonnull(doc); /* the reread path */
    ck_assert_int_eq(d.format, CAI_FORMAT_TRL);
    ck_assert_str_eq(d.turns[0].content, "p\xc3\xa9");
    ck_assert_int_eq(cai_recdec__id(&d, buf, &id, &err), CAI_OK);
    ck_assert_str_eq(id, "1");
    done(&d, doc);
}
END_TEST

/* The one-pass check passes exactly the lines that pass both cai_json__check and
 * cai_jscan__check, the two-pass way the reader and the scanner used before. */
START_TEST(clean_check_passes_what_both_checks_pass_and_nothing_else)
{
    static const char *const lines[] = {
        "{\"a\": \"plain\"}",
        "{\"a\": \"pair \\ud83d\\ude00 ok\", \"b\": \"\\u00e9\\n\\\"\"}",
        "{\"a\": \"nul \\u0000 here\"}",
        "{\"a\": \"lone high \\ud800 then text\"}",
        "{\"a\": \"lone low \\udc00\"}",
        "{\"a\": \"high then not low \\ud800\\u0041\"}",
        "{\"a\": \"high at the end \\ud800\"}",
        "{\"a\": \"bad hex \\u12g4\"}",
        "{\"a\": 1,}",
        "{\"a\":\f1}",
        "[1, {\"b\": [null, true, -1.5e3]}]",
        "\"\\uD834\\uDD1E\"",
    };
    char deep[200];
    size_t i, k, at;
    cai_jval root;

    for (i = 0; i < sizeof(lines) / sizeof(lines[0]) + 2; i++) {
        const char *t = i < sizeof(lines) / sizeof(lines[0]) ? lines[i] : deep;
        int both, clean;

        if (t == deep) { /* 64 levels pass, 65 do not */
            size_t d = i == sizeof(lines) / sizeof(lines[0]) ? 64 : 65;
            for (k = 0; k < d; k++)
                deep[k] = '[';
            for (k = 0; k < d; k++)
                deep[d + k] = ']';
            deep[2 * d] = '\0';
        }
        both = cai_json__check(t, strlen(t), &at) == CAI_JCHECK_OK &&
               cai_jscan__check(t, strlen(t), &root) == 0;
        clean = cai_jscan__check_clean(t, strlen(t), &root) == 0;
        ck_assert_msg(both == clean, "line %zu (%s): clean %d, both checks %d", i, t, clean, both);
    }
    /* and the verdicts themselves, so that the test fails if both drift together */
    ck_assert_int_eq(cai_jscan__check_clean(lines[1], strlen(lines[1]), &root), 0);
    for (i = 2; i <= 9; i++)
        ck_assert_int_eq(cai_jscan__check_clean(lines[i], strlen(lines[i]), &root), -1);
    ck_assert_int_eq(cai_jscan__check_clean(lines[11], strlen(lines[11]), &root), 0);
    ck_assert_int_eq((int)root.n, (int)strlen(lines[11]));
}
END_TEST

/* Both checks remember the quote they found ahead of an escape (so that a long text with many
 * escapes is scanned once): after an escaped quote they must look for the next one, and an
 * escape past it is still checked. Each line is a string with escapes on both sides of an
 * escaped quote, then a second key whose value must be where the check says. */
START_TEST(string_checks_look_past_escaped_quotes)
{
    static const struct {
        const char *line;
        int ok;
    } cases[] = {
        {"{\"a\": \"x\\ny\\\"z\\n\\\"w\\t\", \"b\": 2}", 1},
        {"{\"a\": \"x\\\"y\\u0000z\", \"b\": 2}", 0},    /* NUL escape after \" */
        {"{\"a\": \"x\\n\\\"y\\qz\", \"b\": 2}", 0},     /* bad escape after \" */
        {"{\"a\": \"x\\n\\\"y\\ud800z\", \"b\": 2}", 0}, /* lone surrogate after \" */
        {"{\"a\": \"x\\\"\\\"\\\\\", \"b\": 2}", 1},     /* \" \" \\ at the end */
        {"{\"a\": \"x\\\"y\", \"b\": 2}", 1},            /* no escape after \" */
    };
    size_t i, at;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *t = cases[i].line;
        size_t n = strlen(t);
        cai_jval root, b;
        int clean = cai_jscan__check_clean(t, n, &root) == 0;
        int both =
            cai_json__check(t, n, &at) == CAI_JCHECK_OK && cai_jscan__check(t, n, &root) == 0;

        ck_assert_msg(clean == cases[i].ok, "case %zu (%s): clean check says %d", i, t, clean);
        ck_assert_msg(both == cases[i].ok, "case %zu (%s): two-pass check says %d", i, t, both);
        if (cases[i].ok) {
            ck_assert_int_eq(cai_jscan__check_clean(t, n, &root), 0);
            ck_assert_int_eq(cai_jscan__get(&root, "b", &b), 1);
            ck_assert_double_eq(cai_jscan__number(&b), 2.0);
        }
    }
}
END_TEST

/* A random JSON value into b (depth-limited): containers, strings with escapes and brackets
 * inside them, numbers and literals, with white space between tokens. */
static void gen_json(char *b, size_t *n, uint64_t *st, int depth)
{
    static const char *const scalars[] = {"1",           "-0.25e3",    "true",
                                          "false",       "null",       "\"x\"",
                                          "\"a\\\"]}\"", "\"[{\\\\\"", "\"\\u00e9\""};
    unsigned r;
    int i, k;

    *st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
    r = (unsigned)(*st >> 33);
    if (depth > 4 || r % 3 == 0) {
        const char *s = scalars[r / 3 % (sizeof(scalars) / sizeof(scalars[0]))];
        memcpy(b + *n, s, strlen(s));
        *n += strlen(s);
        return;
    }
    k = (int)(r / 7 % 5);
    b[(*n)++] = r & 1 ? '{' : '[';
    for (i = 0; i < k; i++) {
        if (i)
            b[(*n)++] = ',';
        b[(*n)++] = ' ';
        if (r & 1) {
            memcpy(b + *n, "\"k\" : ", 6);
            *n += 6;
        }
        gen_json(b, n, st, depth + 1);
    }
    b[(*n)++] = r & 1 ? '}' : ']';
}

/* Every value under a and b, walked in step: the same spans and kinds. */
static void same_walk(const cai_jval *a, const cai_jval *b)
{
    cai_jiter ia = {0}, ib = {0};
    cai_jval ka, va, kb, vb;
    int more;

    ck_assert_ptr_eq(a->p, b->p);
    ck_assert_uint_eq(a->n, b->n);
    if (!cai_jscan__is_object(a) && !cai_jscan__is_array(a))
        return;
    do {
        more = cai_jscan__next(a, &ia, &ka, &va);
        ck_assert_int_eq(cai_jscan__next(b, &ib, &kb, &vb), more);
        if (more)
            same_walk(&va, &vb);
    } while (more);
}

/* The container index that cai_jscan__check_doc fills changes no answer: every value of random
 * texts (some with more containers than the index holds) has the span the scanning walk gives. */
START_TEST(container_index_gives_the_spans_a_scan_gives)
{
    static const char nested[] = "{\"a\": {\"s\": \"}]\"}, \"b\": [1]}";
    static char text[1 << 16];
    static cai_jdoc doc;
    uint64_t st = 42;
    size_t n, i, big = 0;
    cai_jval a, b, v;

    for (i = 0; i < 3000; i++) {
        n = 0;
        gen_json(text, &n, &st, 0);
        ck_assert_int_eq(cai_jscan__check(text, n, &a), 0);
        ck_assert_int_eq(cai_jscan__check_doc(text, n, &b, &doc), 0);
        ck_assert_ptr_eq(b.doc, &doc);
        big += doc.n == CAI_JDOC_MAX;
        same_walk(&a, &b);
    }
    ck_assert_msg(big > 0, "no text filled the index: the scan after it went untested");
    /* and a lookup through it, past an object whose text holds brackets in strings */
    ck_assert_int_eq(cai_jscan__check_doc(nested, strlen(nested), &b, &doc), 0);
    ck_assert_int_eq(cai_jscan__get(&b, "b", &v), 1);
    ck_assert_uint_eq(v.n, 3);
}
END_TEST

/* jscan's string decoder copies the runs between escapes at once: escapes at either end, in a
 * row, surrogate pairs and a long run all decode as JSON says. */
START_TEST(jscan_string_decodes_runs_and_escapes)
{
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"\"\"", ""},
        {"\"plain\"", "plain"},
        {"\"\\nstart\"", "\nstart"},
        {"\"end\\t\"", "end\t"},
        {"\"a\\\"b\\\\c\\/d\"", "a\"b\\c/d"},
        {"\"\\u00e9\\ud83d\\ude00x\"", "\xc3\xa9\xf0\x9f\x98\x80x"},
        {"\"lone \\ud800 \"", "lone \xef\xbf\xbd "},
    };
    char buf[4200], text[4200];
    size_t i;
    cai_jval v;

    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        ck_assert_int_eq(cai_jscan__check(cases[i].json, strlen(cases[i].json), &v), 0);
        ck_assert_uint_eq(cai_jscan__string(&v, buf), strlen(cases[i].want));
        ck_assert_str_eq(buf, cases[i].want);
    }
    /* a long text with one escape in the middle, and its skip to the next member */
    memset(text, 'x', sizeof(text));
    memcpy(text, "{\"k\":\"", 6);
    memcpy(text + 2000, "\\n", 2);
    memcpy(text + 4100, "\",\"z\":1}", 8);
    ck_assert_int_eq(cai_jscan__check(text, 4108, &v), 0);
    {
        cai_jval k;
        ck_assert_int_eq(cai_jscan__get(&v, "k", &k), 1);
        ck_assert_uint_eq(cai_jscan__string(&k, buf), 4100 - 6 - 1);
        ck_assert_int_eq(buf[2000 - 6], '\n');
        ck_assert_int_eq(cai_jscan__get(&v, "z", &k), 1);
        ck_assert_int_eq(k.p[0], '1');
    }
}
END_TEST

/* The generation stages' rule: the prompt of line as "role:text|..." (or the finding's
 * message, and its code as the status), and its string as written back ("-" for a message
 * list). */
static cai_status gen(const char *line, char *out, size_t n, char *text, size_t tn)
{
    cai_error err = {0};
    cai_recdec d;
    cai_jval o;
    cai_status st;
    seen s;

    memset(&s, 0, sizeof(s));
    s.answer = CAI_ESCHEMA;
    cai_recdec__init(&d, CAI_RECDEC_GEN, sink, &s);
    st = cai_recdec__gen_line(&d, line, &o, &err);
    if (st == CAI_OK)
        st = cai_recdec__gen_prompt(&d, &o, &err);
    if (st == CAI_OK) {
        ck_assert_int_eq(s.n, 0);
        seq_text(&d, 0, out, n);
        snprintf(text, tn, "%s", d.prompt_text ? d.prompt_text : "-");
    } else {
        ck_assert_int_eq(s.n, 1);
        snprintf(out, n, "%s", s.msg);
        snprintf(text, tn, "%s", "");
        st = s.code; /* the stages' sink answers with the finding's code */
    }
    cai_recdec__dispose(&d);
    return st;
}

/* cai sample and cai revise send what they always sent: an HH string splits from its first
 * Human turn, leading spaces and empty assistant turns dropped; other text is one user turn. */
START_TEST(gen_rule_splits_hh_strings_as_the_stages_send_them)
{
    static const struct {
        const char *line, *turns, *text;
    } cases[] = {
        {"{\"prompt\":\"\\n\\nHuman: Hi\\n\\nAssistant:\"}", "user:Hi", NULL},
        {"{\"prompt\":\"\\n\\nHuman:   a\\n\\nAssistant:  \\n\\nHuman: b\\n\\nAssistant: c \"}",
         "user:a|user:b|assistant:c ", NULL},
        {"{\"prompt\":\"\\n\\nHuman:\\n\\nAssistant: x\"}", "user:|assistant:x", NULL},
        {"{\"prompt\":\"lead\\n\\nSystem: s\\n\\nHuman: q\"}", "user:q", NULL},
        {"{\"prompt\":\"\\n\\n\\nHuman: q\\n\\nAssistant: a\\n\\n\"}", "user:q|assistant:a\n\n",
         NULL},
        {"{\"prompt\":\"Human: no markers\"}", "user:Human: no markers", NULL},
        /* HH "chosen": up to and including its last "\n\nAssistant:" */
        {"{\"chosen\":\"\\n\\nHuman: a\\n\\nAssistant: b\\n\\nHuman: c\\n\\nAssistant: d\"}",
         "user:a|assistant:b|user:c", "\n\nHuman: a\n\nAssistant: b\n\nHuman: c\n\nAssistant:"},
        /* a string prompt wins over "messages"; "chosen" counts only without both */
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"m\"}],\"prompt\":\"p\"}", "user:p", NULL},
        {"{\"prompt\":null,\"chosen\":\"\\n\\nHuman: c\\n\\nAssistant: d\",\"messages\":[{\"role\":"
         "\"user\",\"content\":\"m\"}]}",
         "user:m", "-"},
    };
    char out[512], text[512];
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_int_eq(gen(cases[i].line, out, sizeof(out), text, sizeof(text)), CAI_OK);
        ck_assert_str_eq(out, cases[i].turns);
        if (cases[i].text)
            ck_assert_str_eq(text, cases[i].text);
    }
    /* the string prompt as given is what is written back */
    gen("{\"prompt\":\"x\\n\\nHuman:  a\\n\\nAssistant:\"}", out, sizeof(out), text, sizeof(text));
    ck_assert_str_eq(text, "x\n\nHuman:  a\n\nAssistant:");
}
END_TEST

/* Message lists: "prompt" must end on a user turn, "messages" is read up to its last one;
 * "human" is a user; the stages' words for what they refuse. */
START_TEST(gen_rule_reads_message_lists_and_refuses_in_the_stages_words)
{
    static const struct {
        const char *line, *want;
        cai_status st;
    } cases[] = {
        {"{\"messages\":[{\"role\":\"system\",\"content\":\"S\"},{\"role\":\"human\",\"content\":"
         "\"h\"},{\"role\":\"assistant\",\"content\":\"a\"},{\"role\":\"user\",\"content\":\"u\","
         "\"name\":1},{\"role\":\"assistant\",\"content\":\"z\"}]}",
         "system:S|user:h|assistant:a|user:u", CAI_OK},
        {"{\"prompt\":[{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"content\":"
         "\"a\"}]}",
         "the prompt's messages must end on a user turn", CAI_ESCHEMA},
        {"{\"prompt\":[]}", "the prompt's messages must end on a user turn", CAI_ESCHEMA},
        {"{\"messages\":[{\"role\":\"bot\",\"content\":\"u\"}]}",
         "a message needs a \"role\" (system, user, assistant) and a string \"content\"",
         CAI_ESCHEMA},
        {"{\"prompt\":[{\"role\":\"user\",\"content\":\"u\"},\"s\"]}",
         "a message needs a \"role\" (system, user, assistant) and a string \"content\"",
         CAI_ESCHEMA},
        {"{\"chosen\":\"no turn\"}", "\"chosen\" holds no \"\\n\\nAssistant:\" turn", CAI_ESCHEMA},
        {"{\"prompt\":5}",
         "no prompt: expected \"prompt\" (a string or a message list), \"messages\" or an HH "
         "\"chosen\" transcript",
         CAI_ESCHEMA},
        {"[1]", "not a JSON object", CAI_EPARSE},
        {"{\"prompt\":\"p\"", "not a JSON object", CAI_EPARSE},
        /* what cJSON_Parse takes: text after the value, \u0000 cutting a key or a role */
        {"{\"prompt\":\"p\"} junk", "user:p", CAI_OK},
        {"{\"prompt\\u0000x\":\"cut key\"}", "user:cut key", CAI_OK},
        {"{\"prompt\":[{\"role\":\"user\\u0000x\",\"content\":\"u\"}]}", "user:u", CAI_OK},
    };
    char out[512], text[512];
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_int_eq(gen(cases[i].line, out, sizeof(out), text, sizeof(text)), cases[i].st);
        ck_assert_str_eq(out, cases[i].want);
    }
}
END_TEST

/* The responses cai revise revises, in its order of keys. */
START_TEST(gen_rule_finds_the_responses_to_revise)
{
    static const struct {
        const char *line, *want;
    } cases[] = {
        {"{\"responses\":[\"a\",\"b\"],\"response\":\"r\"}", "a|b"},
        {"{\"responses\":[\"a\",1],\"response\":\"r\"}", ""},
        {"{\"response\":5,\"completion\":[{\"role\":\"assistant\",\"content\":\"c\"}]}", "c"},
        {"{\"prompt\":\"p\",\"chosen\":\"c\"}", "c"},
        {"{\"chosen\":\"\\n\\nHuman: q\\n\\nAssistant: a\\n\\nAssistant:   b\"}", "b"},
        {"{\"chosen\":\"no turn\",\"messages\":[{\"role\":\"assistant\",\"content\":\"m\"}]}", ""},
        {"{\"prompt\":\"p\",\"chosen\":[{\"role\":\"user\",\"content\":\"u\"}],\"messages\":[{"
         "\"role\":\"assistant\",\"content\":\"m\"}]}",
         "m"},
        {"{\"prompt\":\"p\",\"response\":[]}", ""},
    };
    const char *resp[4];
    cai_error err = {0};
    char out[256];
    size_t i, k, n, at;
    cai_recdec d;
    cai_jval o;
    seen s;

    memset(&s, 0, sizeof(s));
    cai_recdec__init(&d, CAI_RECDEC_GEN, sink, &s);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_int_eq(cai_recdec__gen_line(&d, cases[i].line, &o, &err), CAI_OK);
        ck_assert_int_eq(cai_recdec__gen_responses(&d, &o, resp, 4, &n, &err), CAI_OK);
        for (k = 0, at = 0, out[0] = '\0'; k < n; k++)
            at += (size_t)snprintf(out + at, sizeof(out) - at, "%s%s", k ? "|" : "", resp[k]);
        ck_assert_str_eq(out, cases[i].want);
    }
    /* more than max: none */
    ck_assert_int_eq(
        cai_recdec__gen_line(&d, "{\"responses\":[\"1\",\"2\",\"3\",\"4\",\"5\"]}", &o, &err),
        CAI_OK);
    ck_assert_int_eq(cai_recdec__gen_responses(&d, &o, resp, 4, &n, &err), CAI_OK);
    ck_assert_uint_eq(n, 0);
    /* the responses outlive reading the prompt, once per response */
    ck_assert_int_eq(
        cai_recdec__gen_line(&d, "{\"prompt\":\"\\n\\nHuman: q\",\"responses\":[\"x\",\"y\"]}", &o,
                             &err),
        CAI_OK);
    ck_assert_int_eq(cai_recdec__gen_responses(&d, &o, resp, 4, &n, &err), CAI_OK);
    for (k = 0; k < 2; k++) {
        ck_assert_int_eq(cai_recdec__gen_prompt(&d, &o, &err), CAI_OK);
        ck_assert_uint_eq(d.n_seqs, 1);
        seq_text(&d, 0, out, sizeof(out));
        ck_assert_str_eq(out, "user:q");
    }
    ck_assert_str_eq(resp[0], "x");
    ck_assert_str_eq(resp[1], "y");
    ck_assert_int_eq(s.n, 0);
    cai_recdec__dispose(&d);
}
END_TEST

Suite *recdec_suite(void)
{
    Suite *s = suite_create("recdec");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, both_rules_read_the_same_turns);
    tcase_add_test(tc, clean_check_passes_what_both_checks_pass_and_nothing_else);
    tcase_add_test(tc, string_checks_look_past_escaped_quotes);
    tcase_add_test(tc, container_index_gives_the_spans_a_scan_gives);
    tcase_add_test(tc, sft_data_is_read_by_the_scan_rule_and_refused_by_the_run);
    tcase_add_test(tc, each_rule_reports_in_its_words);
    tcase_add_test(tc, the_run_refuses_what_the_scan_rule_reads_for_later_checks);
    tcase_add_test(tc, run_rule_reads_the_id);
    tcase_add_test(tc, forced_format_names_the_missing_key);
    tcase_add_test(tc, lines_cjson_takes_beyond_rfc_are_read_as_cjson_reads_them);
    tcase_add_test(tc, jscan_string_decodes_runs_and_escapes);
    tcase_add_test(tc, gen_rule_splits_hh_strings_as_the_stages_send_them);
    tcase_add_test(tc, gen_rule_reads_message_lists_and_refuses_in_the_stages_words);
    tcase_add_test(tc, gen_rule_finds_the_responses_to_revise);
    suite_add_tcase(s, tc);
    return s;
}

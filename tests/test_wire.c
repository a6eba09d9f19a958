/* SPDX-License-Identifier: MIT */
/* Tests for the backends' wire formats: exact request bodies, reply shapes, errors, headers. */
#include "util_int.h"
#include "wire_int.h"
#include "testutil.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Suite *wire_suite(void);

static cai_wire_params params(cai_backend b, cai_judge_mode m, unsigned max_tokens, unsigned top)
{
    cai_wire_params p;

    memset(&p, 0, sizeof(p));
    p.backend = b;
    p.mode = m;
    p.model = "m-1";
    p.max_tokens = max_tokens;
    p.temperature = 0;
    p.top_logprobs = top;
    return p;
}

/* Renders one body; returns a heap copy. */
static char *body_of(const cai_wire_params *p, const cai_prompt *pr, long sample)
{
    cai_wire w;
    cai_buf b = {0};
    cai_error err = {0};
    char *out;

    ck_assert_int_eq(cai_wire__init(&w, p, &err), CAI_OK);
    ck_assert_int_eq(cai_wire__build(&w, &b, pr, sample, &err), CAI_OK);
    ck_assert_uint_eq(strlen(b.data), b.len);
    out = strdup(b.data);
    cai_buf__dispose(&b);
    cai_wire__dispose(&w);
    return out;
}

/* ---------------------------------------------------------------- bodies */

/*
 * The block- and word-at-a-time scan of the JSON escapers stops exactly where the byte-wise rule
 * does, for every byte value at every position of a block or word, in both modes (request bodies:
 * ASCII only; records: UTF-8 passes).
 */
/* The run stops at the first byte that needs escaping (or, ascii, is not ASCII), whatever
 * follows it: a second byte after it (one whose tests borrow, or another stop) must not move
 * the answer, as a word-at-a-time scan could if a flag above the first one counted. */
START_TEST(plain_run_stops_where_the_bytewise_rule_does)
{
    static const unsigned char after[] = {'a', 0x00, 0x01, 0x1f, 0x20, 0x21, '"', '\\', 0x80, 0xff};
    unsigned char buf[56];
    size_t len, pos, want, i, k;
    unsigned v;
    int ascii;

    /* up to 44 bytes: two 16-byte blocks, a word and single bytes after them */
    for (ascii = 0; ascii < 2; ascii++) {
        for (v = 0; v < 256; v++) {
            for (pos = 0; pos < 44; pos++) {
                for (len = pos; len <= 44; len += 5) {
                    k = (v + pos + len) % sizeof(after);
                    memset(buf, 'a', sizeof(buf));
                    buf[1] = ascii ? '~' : 0xc3; /* allowed bytes near the ends of a word */
                    buf[pos + 1 + (v & 3)] = after[k];
                    buf[pos] = (unsigned char)v;
                    for (want = 0; want < len; want++) {
                        unsigned char c = buf[want];
                        if (c < 0x20 || c == '"' || c == '\\' || (ascii && c >= 0x80))
                            break;
                    }
                    i = cai_wire__plain_run(buf, len, ascii);
                    ck_assert_msg(i == want, "byte %u at %zu of %zu (ascii %d): %zu, want %zu", v,
                                  pos, len, ascii, i, want);
                }
            }
        }
    }
}
END_TEST

START_TEST(openai_body_is_exact)
{
    cai_prompt pr = {"sys", "Which is better?", "(", NULL, 0};
    cai_wire_params p = params(CAI_BACKEND_OPENAI, CAI_MODE_CHOICE, 1, 10);
    char *b = body_of(&p, &pr, 0);

    ck_assert_str_eq(b,
                     "{\"model\":\"m-1\",\"messages\":[{\"role\":\"system\",\"content\":\"sys\"},"
                     "{\"role\":\"user\",\"content\":\"Which is better?\"}],\"max_tokens\":1,"
                     "\"temperature\":0,\"logprobs\":true,\"top_logprobs\":10}");
    free(b);
}
END_TEST

START_TEST(openai_body_without_system_or_logprobs_for_cot)
{
    cai_prompt pr = {NULL, "q", NULL, NULL, 0};
    cai_wire_params p = params(CAI_BACKEND_OPENAI, CAI_MODE_COT, 512, 0);
    char *b = body_of(&p, &pr, 0);

    ck_assert_str_eq(b, "{\"model\":\"m-1\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],"
                        "\"max_tokens\":512,\"temperature\":0}");
    free(b);
}
END_TEST

START_TEST(openai_body_carries_seed_only_when_sampling)
{
    cai_prompt pr = {NULL, "q", NULL, NULL, 0};
    cai_wire_params p = params(CAI_BACKEND_OPENAI, CAI_MODE_CHOICE, 1, 5);
    char *b;

    p.temperature = 0.7;
    b = body_of(&p, &pr, 3);
    ck_assert_str_eq(b, "{\"model\":\"m-1\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],"
                        "\"max_tokens\":1,\"temperature\":0.7,\"logprobs\":true,"
                        "\"top_logprobs\":5,\"seed\":3}");
    free(b);
    p.temperature = 0;
    b = body_of(&p, &pr, 3);
    ck_assert_ptr_null(strstr(b, "seed"));
    free(b);
}
END_TEST

START_TEST(completions_body_is_exact)
{
    cai_prompt pr = {"s", "u", "(", "Human: hi\n\nAnswer: (", 0};
    cai_wire_params p = params(CAI_BACKEND_COMPLETIONS, CAI_MODE_CHOICE, 1, 5);
    char *b = body_of(&p, &pr, 0);

    ck_assert_str_eq(b, "{\"model\":\"m-1\",\"prompt\":\"Human: hi\\n\\nAnswer: (\","
                        "\"max_tokens\":1,\"temperature\":0,\"logprobs\":5}");
    free(b);
}
END_TEST

START_TEST(completions_body_joins_chat_parts_without_raw)
{
    cai_prompt pr = {"s", "u", "Answer: (", NULL, 0};
    cai_wire_params p = params(CAI_BACKEND_COMPLETIONS, CAI_MODE_CHOICE, 1, 0);
    char *b = body_of(&p, &pr, 0);

    ck_assert_str_eq(b, "{\"model\":\"m-1\",\"prompt\":\"s\\n\\nu\\n\\nAnswer: (\","
                        "\"max_tokens\":1,\"temperature\":0}");
    free(b);
}
END_TEST

START_TEST(anthropic_body_is_exact_with_trimmed_prefill)
{
    cai_prompt pr = {"sys", "Which?", "The better response is ( \n", NULL, 0};
    cai_wire_params p = params(CAI_BACKEND_ANTHROPIC, CAI_MODE_CHOICE, 1, 0);
    char *b = body_of(&p, &pr, 0);

    ck_assert_str_eq(b, "{\"model\":\"m-1\",\"max_tokens\":1,\"temperature\":0,\"system\":\"sys\","
                        "\"messages\":[{\"role\":\"user\",\"content\":\"Which?\"},"
                        "{\"role\":\"assistant\",\"content\":\"The better response is (\"}]}");
    free(b);
}
END_TEST

START_TEST(anthropic_body_without_system_or_prefill)
{
    cai_prompt pr = {NULL, "Which?", NULL, NULL, 0};
    cai_wire_params p = params(CAI_BACKEND_ANTHROPIC, CAI_MODE_COT, 512, 0);
    char *b = body_of(&p, &pr, 0);

    ck_assert_str_eq(b, "{\"model\":\"m-1\",\"max_tokens\":512,\"temperature\":0,"
                        "\"messages\":[{\"role\":\"user\",\"content\":\"Which?\"}]}");
    free(b);
}
END_TEST

START_TEST(json_strings_are_escaped)
{
    cai_buf b = {0};
    const char in[] = "q\"\\/\n\r\t\b\f\x01\x1f\x7f"
                      "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";

    ck_assert_int_eq(cai_wire__put_json_str(&b, in, sizeof(in) - 1), 0);
    ck_assert_str_eq(b.data, "\"q\\\"\\\\/\\n\\r\\t\\b\\f\\u0001\\u001f\x7f"
                             "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
    cai_buf__dispose(&b);
}
END_TEST

START_TEST(invalid_utf8_becomes_replacement_characters)
{
    cai_buf b = {0};
    /* lone continuation, overlong 2-byte, surrogate, truncated 3-byte at the end */
    const char in[] = "a\x80"
                      "b\xc0\xaf"
                      "c\xed\xa0\x80"
                      "d\xe2\x82";

    ck_assert_int_eq(cai_wire__put_json_str(&b, in, sizeof(in) - 1), 0);
    ck_assert_str_eq(b.data, "\"a\\ufffdb\\ufffd\\ufffdc\\ufffd\\ufffd\\ufffdd\\ufffd\\ufffd\"");
    cai_buf__dispose(&b);
}
END_TEST

START_TEST(embedded_nul_is_escaped)
{
    cai_buf b = {0};

    ck_assert_int_eq(cai_wire__put_json_str(&b, "a\0b", 3), 0);
    ck_assert_str_eq(b.data, "\"a\\u0000b\"");
    cai_buf__dispose(&b);
}
END_TEST

START_TEST(numbers_are_shortest_round_trip)
{
    char out[32];

    cai__format_double(0, out);
    ck_assert_str_eq(out, "0");
    cai__format_double(0.7, out);
    ck_assert_str_eq(out, "0.7");
    cai__format_double(1.0 / 3.0, out);
    ck_assert_double_eq(strtod(out, NULL), 1.0 / 3.0);
}
END_TEST

START_TEST(builtin_backend_has_no_body)
{
    cai_wire w;
    cai_error err = {0};
    cai_wire_params p = params(CAI_BACKEND_BUILTIN, CAI_MODE_CHOICE, 1, 0);

    ck_assert_int_eq(cai_wire__init(&w, &p, &err), CAI_EINVAL);
}
END_TEST

START_TEST(reasoning_model_body_has_no_max_tokens_temperature_or_logprobs)
{
    cai_wire_params p = params(CAI_BACKEND_OPENAI, CAI_MODE_CHOICE, 1, 10);
    cai_prompt pr = {0};
    char *b;

    p.reasoning = 1;
    p.model = "o3-mini";
    pr.user = "Which?";
    b = body_of(&p, &pr, -1);
    ck_assert_str_eq(b, "{\"model\":\"o3-mini\",\"messages\":[{\"role\":\"user\",\"content\":"
                        "\"Which?\"}],\"max_completion_tokens\":4096}");
    free(b);
    ck_assert_int_eq(cai_wire__is_reasoning_model("o1"), 1);
    ck_assert_int_eq(cai_wire__is_reasoning_model("o3-mini-2025-01-31"), 1);
    ck_assert_int_eq(cai_wire__is_reasoning_model("openai/gpt-5-mini"), 1);
    ck_assert_int_eq(cai_wire__is_reasoning_model("gpt-4o-mini"), 0);
    ck_assert_int_eq(cai_wire__is_reasoning_model("o10x"), 0);
    ck_assert_int_eq(cai_wire__is_reasoning_model("llama3.2"), 0);
    {
        const char *e = "{\"error\":{\"message\":\"Unsupported parameter: 'max_tokens' is not "
                        "supported with this model. Use 'max_completion_tokens' instead.\","
                        "\"type\":\"invalid_request_error\",\"param\":\"max_tokens\","
                        "\"code\":\"unsupported_parameter\"}}";
        const char *other = "{\"error\":{\"message\":\"context length exceeded\"}}";

        ck_assert_int_eq(cai_wire__wants_reasoning_params(e, strlen(e)), 1);
        ck_assert_int_eq(cai_wire__wants_reasoning_params(other, strlen(other)), 0);
    }
}
END_TEST

/* ---------------------------------------------------------------- replies */

static cai_wire_reply parse_ok(cai_backend b, const char *body)
{
    cai_wire_reply r;
    cai_error err = {0};

    ck_assert_int_eq(cai_wire__parse_reply(&r, b, body, strlen(body), &err), CAI_OK);
    return r;
}

START_TEST(openai_reply_top_logprobs_are_read)
{
    cai_wire_reply r =
        parse_ok(CAI_BACKEND_OPENAI,
                 "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"A\"},"
                 "\"logprobs\":{\"content\":[{\"token\":\"A\",\"logprob\":-0.1,\"top_logprobs\":["
                 "{\"token\":\"A\",\"logprob\":-0.1},{\"token\":\" B\",\"logprob\":-2.5},"
                 "{\"token\":\"B\",\"logprob\":-9999.0}]}]}}],"
                 "\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":1}}");

    ck_assert_int_eq(r.has_logprobs, 1);
    ck_assert_uint_eq(r.n_top, 3);
    ck_assert_str_eq(r.top[1].token, " B");
    ck_assert_uint_eq(r.top[1].len, 2);
    ck_assert_double_eq(r.top[1].logprob, -2.5);
    ck_assert_double_eq(r.top[2].logprob, -9999.0);
    ck_assert_str_eq(r.text, "A");
    ck_assert_uint_eq(r.prompt_tokens, 120);
    ck_assert_uint_eq(r.completion_tokens, 1);
    ck_assert_int_eq(r.has_usage, 1);
    cai_wire__reply_dispose(&r);
}
END_TEST

START_TEST(openai_reply_letter_after_paren_uses_second_position)
{
    cai_wire_reply r = parse_ok(
        CAI_BACKEND_OPENAI,
        "{\"choices\":[{\"message\":{\"content\":\"(B\"},\"logprobs\":{\"content\":["
        "{\"token\":\"(\",\"logprob\":-0.01,\"top_logprobs\":[{\"token\":\"(\",\"logprob\":-0.01}]}"
        ","
        "{\"token\":\"B\",\"logprob\":-0.2,\"top_logprobs\":[{\"token\":\"B\",\"logprob\":-0.2},"
        "{\"token\":\"A\",\"logprob\":-1.7}]}]}}]}");

    ck_assert_uint_eq(r.n_top, 2);
    ck_assert_str_eq(r.top[0].token, "B");
    ck_assert_str_eq(r.top[1].token, "A");
    ck_assert_int_eq(r.has_usage, 0);
    cai_wire__reply_dispose(&r);
}
END_TEST

START_TEST(openai_reply_null_logprobs_and_null_content)
{
    cai_wire_reply r = parse_ok(
        CAI_BACKEND_OPENAI, "{\"choices\":[{\"message\":{\"content\":\"B\"},\"logprobs\":null}]}");

    ck_assert_int_eq(r.has_logprobs, 0);
    ck_assert_uint_eq(r.n_top, 0);
    ck_assert_str_eq(r.text, "B");
    cai_wire__reply_dispose(&r);

    r = parse_ok(
        CAI_BACKEND_OPENAI,
        "{\"choices\":[{\"message\":{\"content\":null},\"logprobs\":{\"content\":null}}]}");
    ck_assert_int_eq(r.has_logprobs, 0);
    ck_assert_ptr_null(r.text);
    cai_wire__reply_dispose(&r);
}
END_TEST

START_TEST(openai_reply_empty_top_list_uses_sampled_token)
{
    cai_wire_reply r =
        parse_ok(CAI_BACKEND_OPENAI, "{\"choices\":[{\"message\":{\"content\":\"A\"},\"logprobs\":{"
                                     "\"content\":[{\"token\":\"A\",\"logprob\":-0.3,"
                                     "\"top_logprobs\":[]}]}}]}");

    ck_assert_int_eq(r.has_logprobs, 1);
    ck_assert_uint_eq(r.n_top, 1);
    ck_assert_str_eq(r.top[0].token, "A");
    ck_assert_double_eq(r.top[0].logprob, -0.3);
    cai_wire__reply_dispose(&r);
}
END_TEST

START_TEST(completions_reply_maps_are_read)
{
    cai_wire_reply r = parse_ok(CAI_BACKEND_COMPLETIONS,
                                "{\"choices\":[{\"text\":\" A\",\"logprobs\":{\"tokens\":[\" "
                                "A\"],\"token_logprobs\":[-0.2],"
                                "\"top_logprobs\":[{\" A\":-0.2,\" B\":-1.9}]}}],"
                                "\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":1}}");

    ck_assert_int_eq(r.has_logprobs, 1);
    ck_assert_uint_eq(r.n_top, 2);
    ck_assert_str_eq(r.top[0].token, " A");
    ck_assert_double_eq(r.top[1].logprob, -1.9);
    ck_assert_str_eq(r.text, " A");
    ck_assert_uint_eq(r.prompt_tokens, 7);
    cai_wire__reply_dispose(&r);
}
END_TEST

START_TEST(completions_reply_paren_then_letter)
{
    cai_wire_reply r =
        parse_ok(CAI_BACKEND_COMPLETIONS,
                 "{\"choices\":[{\"text\":\"(A\",\"logprobs\":{\"tokens\":[\"(\",\"A\"],"
                 "\"top_logprobs\":[{\"(\":-0.01},{\"A\":-0.5,\"B\":-1.0}]}}]}");

    ck_assert_uint_eq(r.n_top, 2);
    ck_assert_str_eq(r.top[0].token, "A");
    cai_wire__reply_dispose(&r);
}
END_TEST

START_TEST(completions_reply_without_logprobs)
{
    cai_wire_reply r =
        parse_ok(CAI_BACKEND_COMPLETIONS, "{\"choices\":[{\"text\":\"B\",\"logprobs\":null}]}");

    ck_assert_int_eq(r.has_logprobs, 0);
    ck_assert_str_eq(r.text, "B");
    cai_wire__reply_dispose(&r);
}
END_TEST

START_TEST(anthropic_reply_text_and_usage)
{
    cai_wire_reply r =
        parse_ok(CAI_BACKEND_ANTHROPIC,
                 "{\"type\":\"message\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"x\"},"
                 "{\"type\":\"text\",\"text\":\"B)\"}],\"usage\":{\"input_tokens\":50,\"output_"
                 "tokens\":2}}");

    ck_assert_str_eq(r.text, "B)");
    ck_assert_int_eq(r.has_logprobs, 0);
    ck_assert_uint_eq(r.prompt_tokens, 50);
    ck_assert_uint_eq(r.completion_tokens, 2);
    cai_wire__reply_dispose(&r);

    r = parse_ok(CAI_BACKEND_ANTHROPIC, "{\"content\":[]}");
    ck_assert_ptr_null(r.text);
    cai_wire__reply_dispose(&r);
}
END_TEST

/* Replies are read in place, not through a tree: every JSON rule still holds (anything else is
 * CAI_EPARSE), and escapes, nesting and unknown members around the ones read do not mislead. */
START_TEST(replies_are_read_in_place_with_json_rules)
{
    static const char *const bad[] = {
        "{\"choices\":[{\"text\":\"A\"}]} x",  /* trailing text */
        "{\"choices\":[{\"text\":\"A\"}],}",   /* trailing comma */
        "{\"choices\":[{\"text\":\"A\\q\"}]}", /* bad escape */
        "{\"choices\":[{\"text\":\"A\\u12G4\"}]}",
        "{\"choices\":[{\"text\":\"A\"}], \"n\": 01}", /* leading zero */
        "{\"choices\":[{\"text\":\"A\"}], \"n\": 1.}",
        "{\"choices\":[{\"text\":\"A\"}], \"n\": -}",
        "{\"choices\":[{\"text\":\"A\"}], \"n\": tru}",
        "{\"choices\":[{\"text\":\"A\"}] \"n\": 1}", /* missing comma */
        "{\"choices\" [{\"text\":\"A\"}]}",          /* missing colon */
        "{choices:[]}",
        "{\"choices\":[{\"text\":\"A}]}", /* unterminated string */
        "",
        "   ",
    };
    cai_wire_reply r;
    cai_error err = {0};
    char deep[2100];
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err.code = CAI_OK;
        ck_assert_msg(cai_wire__parse_reply(&r, CAI_BACKEND_COMPLETIONS, bad[i], strlen(bad[i]),
                                            &err) == CAI_EPARSE,
                      "accepted %s", bad[i]);
        ck_assert_ptr_null(r.strings);
    }
    /* nesting deeper than 1000 is refused, not a stack overflow */
    memset(deep, '[', 1050);
    memset(deep + 1050, ']', 1050);
    err.code = CAI_OK;
    ck_assert_int_eq(cai_wire__parse_reply(&r, CAI_BACKEND_OPENAI, deep, 2100, &err), CAI_EPARSE);

    /* escaped keys and tokens, a surrogate pair, white space everywhere, decoys in strings */
    r = parse_ok(
        CAI_BACKEND_OPENAI,
        " { \"x\" : \"\\\"choices\\\": [} ]\" , \"\\u0063hoices\" : [ { \"message\" : "
        "{ \"content\" : \"\\u00e9\\ud83d\\ude00\\\\\" } , \"logprobs\" : { \"content\" : [ "
        "{ \"token\" : \"A\" , \"logprob\" : -1e-1 , \"bytes\" : [ 65 ] , "
        "\"top_logprobs\" : [ { \"bytes\":[[[]]], \"token\" : \"\\u0041\" , \"logprob\" : "
        "-0.1E0 } , { \"token\" : \"\\\"B\\\"\" , \"logprob\" : -25e-1 } , "
        "{ \"token\" : 7 , \"logprob\" : -1 } , { \"token\" : \"\\ud800\", \"logprob\" : "
        "-3 } ] } ] } } ] , \"usage\" : { \"prompt_tokens\" : 1.2e2, \"completion_tokens\""
        " : 1, \"prompt_tokens_details\": {\"cached_tokens\": 64} } }\n");
    ck_assert_str_eq(r.text, "\xc3\xa9\xf0\x9f\x98\x80\\");
    ck_assert_uint_eq(r.text_len, 7);
    ck_assert_uint_eq(r.n_top, 3);
    ck_assert_str_eq(r.top[0].token, "A");
    ck_assert_double_eq(r.top[0].logprob, -0.1);
    ck_assert_str_eq(r.top[1].token, "\"B\"");
    ck_assert_double_eq(r.top[1].logprob, -2.5);
    ck_assert_str_eq(r.top[2].token, "\xef\xbf\xbd"); /* an unpaired surrogate is U+FFFD */
    ck_assert_uint_eq(r.prompt_tokens, 120);
    ck_assert_uint_eq(r.completion_tokens, 1);
    ck_assert_uint_eq(r.cached_tokens, 64);
    cai_wire__reply_dispose(&r);
    ck_assert_ptr_null(r.strings);

    /* the first of two members with one name wins, as it did with cJSON */
    r = parse_ok(CAI_BACKEND_COMPLETIONS,
                 "{\"choices\":[{\"text\":\"first\",\"text\":\"second\"}],\"choices\":7}");
    ck_assert_str_eq(r.text, "first");
    cai_wire__reply_dispose(&r);
}
END_TEST

START_TEST(malformed_replies_are_errors)
{
    cai_wire_reply r;
    cai_error err = {0};

    ck_assert_int_eq(cai_wire__parse_reply(&r, CAI_BACKEND_OPENAI, "{\"choices\":[", 12, &err),
                     CAI_EPARSE);
    ck_assert_ptr_null(r.strings);
    err.code = CAI_OK;
    err.msg[0] = '\0';
    ck_assert_int_eq(cai_wire__parse_reply(&r, CAI_BACKEND_OPENAI, "{\"choices\":[]}", 14, &err),
                     CAI_ESCHEMA);
    err.msg[0] = '\0';
    ck_assert_int_eq(cai_wire__parse_reply(&r, CAI_BACKEND_ANTHROPIC, "{\"id\":1}", 8, &err),
                     CAI_ESCHEMA);
    err.msg[0] = '\0';
    ck_assert_int_eq(cai_wire__parse_reply(&r, CAI_BACKEND_COMPLETIONS, "[1]", 3, &err),
                     CAI_ESCHEMA);
}
END_TEST

/* ---------------------------------------------------------------- server fixtures */

/* One reply per server shape (tests/data/wire/README.md names the documentation of each). */
typedef struct wire_case {
    const char *file;
    cai_backend backend;
    int from_logprobs; /* 1: the verdict comes from log-probs; 0: from the text */
    double p_a;        /* from log-probs: P(A) to 1e-3; text: 1 (A) or 0 (B) */
    unsigned prompt_tokens, completion_tokens, reasoning_tokens;
} wire_case;

static const wire_case wire_cases[] = {
    {"openai_chat.json", CAI_BACKEND_OPENAI, 1, 0.731, 412, 1, 0},
    {"openai_chat_paren.json", CAI_BACKEND_OPENAI, 1, 0.182, 398, 2, 0},
    {"openai_chat_bold.json", CAI_BACKEND_OPENAI, 1, 0.909, 401, 2, 0},
    {"openai_chat_lowercase.json", CAI_BACKEND_OPENAI, 1, 0.293, 405, 1, 0}, /* b + B vs a */
    {"openai_completions.json", CAI_BACKEND_COMPLETIONS, 1, 0.794, 380, 1, 0},
    {"openai_reasoning.json", CAI_BACKEND_OPENAI, 0, 0, 415, 193, 192},
    {"llamacpp_completions.json", CAI_BACKEND_COMPLETIONS, 1, 0.979, 402, 1, 0},
    {"llamacpp_chat.json", CAI_BACKEND_OPENAI, 1, 0.267, 430, 1, 0},
    {"vllm_completions.json", CAI_BACKEND_COMPLETIONS, 1, 0.100, 391, 1, 0},
    {"vllm_chat.json", CAI_BACKEND_OPENAI, 1, 0.500, 420, 1, 0},
    {"ollama_chat.json", CAI_BACKEND_OPENAI, 1, 0.887, 433, 1, 0},
    {"ollama_chat_no_logprobs.json", CAI_BACKEND_OPENAI, 0, 0, 433, 1, 0},
    {"tgi_chat.json", CAI_BACKEND_OPENAI, 1, 0.060, 455, 1, 0},
    {"anthropic_messages.json", CAI_BACKEND_ANTHROPIC, 0, 1, 420, 1, 0},
    {"anthropic_thinking.json", CAI_BACKEND_ANTHROPIC, 0, 1, 512, 64, 0},
};

START_TEST(wire_fixture_replies_are_read)
{
    const wire_case *c = &wire_cases[_i];
    char path[512];
    size_t len = 0;
    char *body;
    cai_wire_reply r;
    cai_error err = {0};
    double p = -1;

    snprintf(path, sizeof(path), "%s/tests/data/wire/%s", CAI_SOURCE_DIR, c->file);
    body = tu_read_file(path, &len);
    ck_assert_msg(body != NULL, "%s: cannot read", path);
    ck_assert_int_eq(cai_wire__parse_reply(&r, c->backend, body, len, &err), CAI_OK);
    if (c->from_logprobs) {
        ck_assert_msg(r.n_top > 0, "%s: no log-probs read", c->file);
        ck_assert_int_eq(cai_verdict_from_logprobs(r.top, r.n_top, &p), 0);
        ck_assert_msg(fabs(p - c->p_a) < 1e-3, "%s: P(A) %.4f, want %.3f", c->file, p, c->p_a);
    } else {
        cai_verdict v;

        ck_assert_msg(r.n_top == 0 || cai_verdict_from_logprobs(r.top, r.n_top, NULL) != 0,
                      "%s: log-probs where none are", c->file);
        ck_assert_ptr_nonnull(r.text);
        v = cai_verdict_parse(r.text, r.text_len);
        ck_assert_int_eq(v, c->p_a > 0.5 ? CAI_VERDICT_A : CAI_VERDICT_B);
    }
    ck_assert_int_eq(r.has_prompt_tokens, 1);
    ck_assert_uint_eq(r.prompt_tokens, c->prompt_tokens);
    ck_assert_uint_eq(r.completion_tokens, c->completion_tokens);
    ck_assert_uint_eq(r.reasoning_tokens, c->reasoning_tokens);
    cai_wire__reply_dispose(&r);
    free(body);
}
END_TEST

/* The chat shape on /v1/completions (llama.cpp) read through the paren rule as well. */
START_TEST(completions_reply_in_chat_shape_after_paren)
{
    cai_wire_reply r =
        parse_ok(CAI_BACKEND_COMPLETIONS,
                 "{\"choices\":[{\"text\":\"(B\",\"logprobs\":{\"content\":["
                 "{\"id\":7,\"token\":\"(\",\"logprob\":-0.01,\"top_logprobs\":[]},"
                 "{\"id\":33,\"token\":\"B\",\"logprob\":-0.2,\"top_logprobs\":["
                 "{\"id\":33,\"token\":\"B\",\"logprob\":-0.2},{\"id\":32,\"token\":\"A\","
                 "\"logprob\":-1.7}]}]}}]}");

    ck_assert_int_eq(r.has_logprobs, 1);
    ck_assert_uint_eq(r.n_top, 2);
    ck_assert_str_eq(r.top[0].token, "B");
    cai_wire__reply_dispose(&r);
}
END_TEST

/* ---------------------------------------------------------------- error bodies */

START_TEST(openai_error_message_is_extracted)
{
    const char *body = "{\"error\":{\"message\":\"Invalid model 'x'\",\"type\":"
                       "\"invalid_request_error\",\"param\":null,\"code\":null}}";
    char *m = cai_wire__error_message(body, strlen(body), NULL);

    ck_assert_str_eq(m, "invalid_request_error: Invalid model 'x'");
    free(m);
}
END_TEST

START_TEST(anthropic_error_message_is_extracted)
{
    const char *body = "{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\","
                       "\"message\":\"model: nope\"}}";
    char *m = cai_wire__error_message(body, strlen(body), "");

    ck_assert_str_eq(m, "not_found_error: model: nope");
    free(m);
}
END_TEST

START_TEST(error_message_redacts_the_key_everywhere)
{
    const char *body = "{\"error\":{\"message\":\"Incorrect API key provided: sk-SECRET123. "
                       "Again: sk-SECRET123\",\"type\":\"invalid_request_error\"}}";
    char *m = cai_wire__error_message(body, strlen(body), "sk-SECRET123");

    ck_assert_ptr_null(strstr(m, "SECRET"));
    ck_assert_str_eq(m, "invalid_request_error: Incorrect API key provided: [REDACTED]. "
                        "Again: [REDACTED]");
    free(m);
}
END_TEST

START_TEST(error_message_is_cut_after_redaction)
{
    char body[1000];
    const char *key = "sk-ABCDEFGHIJKLMNOP";
    char *m;

    /* The key straddles the cut point: no prefix of it may remain. */
    memset(body, 'x', 290);
    strcpy(body + 290, key);
    strcat(body, " tail\n\nmore");
    m = cai_wire__error_message(body, strlen(body), key);
    ck_assert_ptr_null(strstr(m, "sk-AB"));
    ck_assert_ptr_null(strchr(m, '\n'));
    ck_assert_uint_le(strlen(m), 300);
    free(m);
}
END_TEST

/* Found by fuzz_wire: a body of 301..303 bytes wrote "..." past the end of
 * the buffer. Every length around the cut must stay inside and be cut the
 * same way. */
START_TEST(error_message_cut_stays_inside_the_buffer)
{
    char body[310];
    size_t len;

    for (len = 295; len <= 305; len++) {
        char *m;

        memset(body, 'x', len);
        m = cai_wire__error_message(body, len, NULL);
        ck_assert_ptr_nonnull(m);
        ck_assert_uint_le(strlen(m), 300);
        if (len <= 300)
            ck_assert_uint_eq(strlen(m), len);
        else
            ck_assert_str_eq(m + strlen(m) - 3, "...");
        free(m);
    }
}
END_TEST

START_TEST(non_json_error_body_becomes_one_line)
{
    const char *body = "<html>\r\n<b>Bad\tGateway</b>\r\n</html>\r\n";
    char *m = cai_wire__error_message(body, strlen(body), NULL);

    ck_assert_str_eq(m, "<html> <b>Bad Gateway</b> </html>");
    free(m);
    m = cai_wire__error_message("", 0, NULL);
    ck_assert_str_eq(m, "(empty body)");
    free(m);
    m = cai_wire__error_message("{\"error\":\"busy\"}", 16, NULL);
    ck_assert_str_eq(m, "busy");
    free(m);
}
END_TEST

START_TEST(redact_replaces_overlapping_runs)
{
    char *m = cai_wire__redact("kkkk", 4, "kk");

    ck_assert_str_eq(m, "[REDACTED][REDACTED]");
    free(m);
    m = cai_wire__redact("abc", 3, NULL);
    ck_assert_str_eq(m, "abc");
    free(m);
}
END_TEST

/* ---------------------------------------------------------------- headers */

static void feed(cai_wire_hdrs *h, const char *line, double now)
{
    cai_wire__header(h, line, strlen(line), now);
}

START_TEST(retry_after_forms)
{
    cai_wire_hdrs h;

    cai_wire__hdrs_reset(&h);
    ck_assert_double_lt(h.retry_after_s, 0);
    feed(&h, "Retry-After: 2\r\n", 0);
    ck_assert_double_eq(h.retry_after_s, 2);

    cai_wire__hdrs_reset(&h);
    feed(&h, "retry-after-ms: 250\r\n", 0);
    feed(&h, "Retry-After: 7\r\n", 0);
    ck_assert_double_eq(h.retry_after_s, 0.25);

    cai_wire__hdrs_reset(&h);
    feed(&h, "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n", 0);
    ck_assert_double_lt(h.retry_after_s, 0);
    ck_assert_str_eq(h.retry_after_date, "Wed, 21 Oct 2015 07:28:00 GMT");
}
END_TEST

START_TEST(should_retry_header)
{
    cai_wire_hdrs h;

    cai_wire__hdrs_reset(&h);
    ck_assert_int_eq(h.should_retry, -1);
    feed(&h, "X-Should-Retry: false\r\n", 0);
    ck_assert_int_eq(h.should_retry, 0);
    feed(&h, "x-should-retry: true\r\n", 0);
    ck_assert_int_eq(h.should_retry, 1);
}
END_TEST

START_TEST(openai_rate_limit_headers_pause_the_pool)
{
    cai_wire_hdrs h;

    cai_wire__hdrs_reset(&h);
    feed(&h, "x-ratelimit-remaining-requests: 5\r\n", 0);
    feed(&h, "x-ratelimit-reset-requests: 1m0s\r\n", 0);
    ck_assert_double_eq(cai_wire__hdrs_pause(&h), 0);
    feed(&h, "x-ratelimit-remaining-tokens: 0\r\n", 0);
    feed(&h, "x-ratelimit-reset-tokens: 2.5s\r\n", 0);
    ck_assert_double_eq(cai_wire__hdrs_pause(&h), 2.5);
}
END_TEST

START_TEST(anthropic_rate_limit_headers_pause_the_pool)
{
    cai_wire_hdrs h;
    double now = 1717243200.0; /* 2024-06-01T12:00:00Z */

    cai_wire__hdrs_reset(&h);
    feed(&h, "anthropic-ratelimit-requests-remaining: 0\r\n", now);
    feed(&h, "anthropic-ratelimit-requests-reset: 2024-06-01T12:00:30Z\r\n", now);
    ck_assert_double_eq(cai_wire__hdrs_pause(&h), 30);
    cai_wire__hdrs_reset(&h);
    feed(&h, "anthropic-ratelimit-output-tokens-remaining: 0\r\n", now);
    ck_assert_double_eq(cai_wire__hdrs_pause(&h), 1); /* no reset given */
}
END_TEST

START_TEST(durations_parse)
{
    double s;

    ck_assert_int_eq(cai_wire__parse_duration("1s", 2, &s), 0);
    ck_assert_double_eq(s, 1);
    ck_assert_int_eq(cai_wire__parse_duration("6m0s", 4, &s), 0);
    ck_assert_double_eq(s, 360);
    ck_assert_int_eq(cai_wire__parse_duration("20ms", 4, &s), 0);
    ck_assert_double_eq_tol(s, 0.02, 1e-12);
    ck_assert_int_eq(cai_wire__parse_duration("1h2m3.5s", 8, &s), 0);
    ck_assert_double_eq(s, 3723.5);
    ck_assert_int_eq(cai_wire__parse_duration("0.5", 3, &s), 0);
    ck_assert_double_eq(s, 0.5);
    ck_assert_int_eq(cai_wire__parse_duration("5x", 2, &s), -1);
    ck_assert_int_eq(cai_wire__parse_duration("", 0, &s), -1);
    ck_assert_int_eq(cai_wire__parse_duration("s", 1, &s), -1);
}
END_TEST

START_TEST(rfc3339_parses)
{
    double t;

    ck_assert_int_eq(cai_wire__parse_rfc3339("1970-01-01T00:00:00Z", 20, &t), 0);
    ck_assert_double_eq(t, 0);
    ck_assert_int_eq(cai_wire__parse_rfc3339("2024-06-01T12:00:30Z", 20, &t), 0);
    ck_assert_double_eq(t, 1717243230.0);
    ck_assert_int_eq(cai_wire__parse_rfc3339("2024-06-01T14:00:30.5+02:00", 27, &t), 0);
    ck_assert_double_eq(t, 1717243230.5);
    ck_assert_int_eq(cai_wire__parse_rfc3339("2024-06-01", 10, &t), -1);
    ck_assert_int_eq(cai_wire__parse_rfc3339("2024-13-01T00:00:00Z", 20, &t), -1);
}
END_TEST

/* Cached prompt tokens, in each server's words (issue 16: prefix caching). */
START_TEST(reply_reports_cached_prompt_tokens)
{
    static const struct {
        cai_backend b;
        const char *body;
        unsigned prompt, cached;
    } cases[] = {
        {CAI_BACKEND_OPENAI,
         "{\"choices\":[{\"message\":{\"content\":\"A\"}}],\"usage\":{\"prompt_tokens\":100,"
         "\"completion_tokens\":1,\"prompt_tokens_details\":{\"cached_tokens\":64}}}",
         100, 64},
        /* llama.cpp: timings.cache_n when usage has no details */
        {CAI_BACKEND_COMPLETIONS,
         "{\"choices\":[{\"text\":\"A\"}],\"usage\":{\"prompt_tokens\":50,\"completion_tokens\":1},"
         "\"timings\":{\"cache_n\":40,\"prompt_n\":10}}",
         50, 40},
        {CAI_BACKEND_ANTHROPIC,
         "{\"content\":[{\"type\":\"text\",\"text\":\"A\"}],\"usage\":{\"input_tokens\":10,"
         "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":90,\"output_tokens\":1}}",
         100, 90},
        {CAI_BACKEND_OPENAI,
         "{\"choices\":[{\"message\":{\"content\":\"A\"}}],\"usage\":{\"prompt_tokens\":100,"
         "\"completion_tokens\":1}}",
         100, 0},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cai_wire_reply r;
        cai_error err = {0};
        ck_assert_int_eq(
            cai_wire__parse_reply(&r, cases[i].b, cases[i].body, strlen(cases[i].body), &err),
            CAI_OK);
        ck_assert_uint_eq(r.prompt_tokens, cases[i].prompt);
        ck_assert_uint_eq(r.cached_tokens, cases[i].cached);
        cai_wire__reply_dispose(&r);
    }
}
END_TEST

Suite *wire_suite(void)
{
    Suite *s = suite_create("wire");
    TCase *tc = tcase_create("bodies");

    tcase_add_test(tc, openai_body_is_exact);

    tcase_add_test(tc, plain_run_stops_where_the_bytewise_rule_does);
    tcase_add_test(tc, reply_reports_cached_prompt_tokens);
    tcase_add_test(tc, openai_body_without_system_or_logprobs_for_cot);
    tcase_add_test(tc, openai_body_carries_seed_only_when_sampling);
    tcase_add_test(tc, completions_body_is_exact);
    tcase_add_test(tc, completions_body_joins_chat_parts_without_raw);
    tcase_add_test(tc, anthropic_body_is_exact_with_trimmed_prefill);
    tcase_add_test(tc, anthropic_body_without_system_or_prefill);
    tcase_add_test(tc, json_strings_are_escaped);
    tcase_add_test(tc, invalid_utf8_becomes_replacement_characters);
    tcase_add_test(tc, embedded_nul_is_escaped);
    tcase_add_test(tc, numbers_are_shortest_round_trip);
    tcase_add_test(tc, builtin_backend_has_no_body);
    tcase_add_test(tc, reasoning_model_body_has_no_max_tokens_temperature_or_logprobs);
    suite_add_tcase(s, tc);

    tc = tcase_create("replies");
    tcase_add_test(tc, openai_reply_top_logprobs_are_read);
    tcase_add_test(tc, openai_reply_letter_after_paren_uses_second_position);
    tcase_add_test(tc, openai_reply_null_logprobs_and_null_content);
    tcase_add_test(tc, openai_reply_empty_top_list_uses_sampled_token);
    tcase_add_test(tc, completions_reply_maps_are_read);
    tcase_add_test(tc, completions_reply_paren_then_letter);
    tcase_add_test(tc, completions_reply_without_logprobs);
    tcase_add_test(tc, anthropic_reply_text_and_usage);
    tcase_add_test(tc, malformed_replies_are_errors);
    tcase_add_test(tc, replies_are_read_in_place_with_json_rules);
    tcase_add_loop_test(tc, wire_fixture_replies_are_read, 0,
                        (int)(sizeof(wire_cases) / sizeof(wire_cases[0])));
    tcase_add_test(tc, completions_reply_in_chat_shape_after_paren);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, openai_error_message_is_extracted);
    tcase_add_test(tc, anthropic_error_message_is_extracted);
    tcase_add_test(tc, error_message_redacts_the_key_everywhere);
    tcase_add_test(tc, error_message_is_cut_after_redaction);
    tcase_add_test(tc, error_message_cut_stays_inside_the_buffer);
    tcase_add_test(tc, non_json_error_body_becomes_one_line);
    tcase_add_test(tc, redact_replaces_overlapping_runs);
    suite_add_tcase(s, tc);

    tc = tcase_create("headers");
    tcase_add_test(tc, retry_after_forms);
    tcase_add_test(tc, should_retry_header);
    tcase_add_test(tc, openai_rate_limit_headers_pause_the_pool);
    tcase_add_test(tc, anthropic_rate_limit_headers_pause_the_pool);
    tcase_add_test(tc, durations_parse);
    tcase_add_test(tc, rfc3339_parses);
    suite_add_tcase(s, tc);
    return s;
}

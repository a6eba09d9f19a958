/* SPDX-License-Identifier: MIT */
/* Tests for the generation wire formats: exact sampling bodies and the choices of replies. */
#include "gen_wire_int.h"
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Suite *gen_wire_suite(void);

static const cai_message convo[] = {
    {CAI_ROLE_SYSTEM, "Be brief."},
    {CAI_ROLE_USER, "Hi \"there\""},
    {CAI_ROLE_ASSISTANT, "Hello."},
    {CAI_ROLE_USER, "Plan my day"},
};

static cai_gen_params params(cai_backend b)
{
    cai_gen_params p;

    memset(&p, 0, sizeof(p));
    p.backend = b;
    p.model = "pol";
    p.temperature = -1;
    p.top_p = -1;
    return p;
}

static char *
body_of(const cai_gen_params *p, const cai_message *c, size_t n_c, unsigned n, long long seed)
{
    cai_buf b = {0};
    cai_error err = {0};
    char *out;

    ck_assert_msg(cai_gen_wire__build(&b, p, c, n_c, n, seed, &err) == CAI_OK, "%s", err.msg);
    out = strdup(b.data);
    cai_buf__dispose(&b);
    return out;
}

START_TEST(chat_body_carries_every_sampling_setting)
{
    static const char *const stops[] = {"\n\nHuman:", "END"};
    cai_gen_params p = params(CAI_BACKEND_OPENAI);
    char *body;

    p.temperature = 0.7;
    p.top_p = 0.95;
    p.max_tokens = 256;
    p.stop = stops;
    p.n_stop = 2;
    p.system = "You are kind.";
    body = body_of(&p, convo, 4, 4, 42);
    ck_assert_str_eq(body, "{\"model\":\"pol\",\"messages\":[{\"role\":\"system\",\"content\":"
                           "\"You are kind.\"},{\"role\":\"system\",\"content\":\"Be brief.\"},"
                           "{\"role\":\"user\",\"content\":\"Hi \\\"there\\\"\"},{\"role\":"
                           "\"assistant\",\"content\":\"Hello.\"},{\"role\":\"user\",\"content\":"
                           "\"Plan my day\"}],\"max_tokens\":256,\"temperature\":0.7,"
                           "\"top_p\":0.95,\"stop\":[\"\\n\\nHuman:\",\"END\"],"
                           "\"n\":4,\"seed\":42}");
    free(body);
}
END_TEST

START_TEST(defaults_are_left_to_the_server)
{
    cai_gen_params p = params(CAI_BACKEND_OPENAI);
    char *body = body_of(&p, convo + 3, 1, 1, -1);

    ck_assert_str_eq(body, "{\"model\":\"pol\",\"messages\":[{\"role\":\"user\",\"content\":"
                           "\"Plan my day\"}]}");
    free(body);
}
END_TEST

START_TEST(completions_body_is_an_hh_transcript)
{
    cai_gen_params p = params(CAI_BACKEND_COMPLETIONS);
    char *body;

    p.max_tokens = 64;
    p.temperature = 1;
    body = body_of(&p, convo + 1, 3, 2, 7);
    ck_assert_str_eq(body, "{\"model\":\"pol\",\"prompt\":\"\\n\\nHuman: Hi \\\"there\\\"\\n\\n"
                           "Assistant: Hello.\\n\\nHuman: Plan my day\\n\\nAssistant:\","
                           "\"max_tokens\":64,\"temperature\":1,\"n\":2,\"seed\":7}");
    free(body);
}
END_TEST

START_TEST(anthropic_body_has_no_n_no_seed_and_a_system_field)
{
    static const char *const stops[] = {"STOP"};
    cai_gen_params p = params(CAI_BACKEND_ANTHROPIC);
    cai_buf b = {0};
    cai_error err = {0};
    char *body;

    p.stop = stops;
    p.n_stop = 1;
    p.system = "You are kind.";
    p.temperature = 0.5;
    body = body_of(&p, convo, 4, 1, 42);
    ck_assert_str_eq(body, "{\"model\":\"pol\",\"system\":\"You are kind.\\n\\nBe brief.\","
                           "\"messages\":[{\"role\":\"user\",\"content\":\"Hi \\\"there\\\"\"},"
                           "{\"role\":\"assistant\",\"content\":\"Hello.\"},{\"role\":\"user\","
                           "\"content\":\"Plan my day\"}],\"max_tokens\":1024,\"temperature\":0.5,"
                           "\"stop_sequences\":[\"STOP\"]}");
    ck_assert_int_eq(cai_gen_wire__build(&b, &p, convo, 4, 2, 1, &err), CAI_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "one response per request"));
    cai_buf__dispose(&b);
    free(body);
}
END_TEST

START_TEST(reasoning_models_get_max_completion_tokens_and_no_temperature)
{
    cai_gen_params p = params(CAI_BACKEND_OPENAI);
    char *body;

    p.model = "o3-mini";
    p.max_tokens = 100;
    p.temperature = 0.7;
    p.top_p = 0.9;
    body = body_of(&p, convo + 3, 1, 2, 3);
    ck_assert_str_eq(body, "{\"model\":\"o3-mini\",\"messages\":[{\"role\":\"user\",\"content\":"
                           "\"Plan my day\"}],\"max_completion_tokens\":100,\"n\":2,\"seed\":3}");
    free(body);
}
END_TEST

START_TEST(conversation_must_end_with_a_user_turn)
{
    cai_gen_params p = params(CAI_BACKEND_OPENAI);
    cai_buf b = {0};
    cai_error err = {0};

    ck_assert_int_eq(cai_gen_wire__build(&b, &p, convo, 3, 1, -1, &err), CAI_EINVAL);
    ck_assert_int_eq(cai_gen_wire__build(&b, &p, convo, 0, 1, -1, &err), CAI_EINVAL);
    ck_assert_int_eq(cai_gen_wire__build(&b, &p, convo, 4, 0, -1, &err), CAI_EINVAL);
    p.backend = CAI_BACKEND_BUILTIN;
    ck_assert_int_eq(cai_gen_wire__build(&b, &p, convo, 4, 1, -1, &err), CAI_EINVAL);
    cai_buf__dispose(&b);
}
END_TEST

START_TEST(finish_reasons_are_normalised)
{
    static const struct {
        const char *raw;
        cai_finish f;
    } cases[] = {{"stop", CAI_FINISH_STOP},
                 {"end_turn", CAI_FINISH_STOP},
                 {"stop_sequence", CAI_FINISH_STOP},
                 {"eos_token", CAI_FINISH_STOP},
                 {"length", CAI_FINISH_LENGTH},
                 {"max_tokens", CAI_FINISH_LENGTH},
                 {"model_context_window_exceeded", CAI_FINISH_LENGTH},
                 {"content_filter", CAI_FINISH_OTHER},
                 {"refusal", CAI_FINISH_OTHER},
                 {"tool_calls", CAI_FINISH_OTHER},
                 {"tool_use", CAI_FINISH_OTHER},
                 {NULL, CAI_FINISH_OTHER}};
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_int_eq(cai_gen_wire__finish_parse(cases[i].raw), cases[i].f);
    ck_assert_str_eq(cai_gen_wire__finish_name(CAI_FINISH_LENGTH), "length");
}
END_TEST

/* One fixture: backend, choices expected (text prefix, normalised finish), usage. */
typedef struct gen_case {
    const char *file;
    cai_backend backend;
    size_t n;
    const char *text[3];
    cai_finish finish[3];
    unsigned prompt_tokens, completion_tokens;
} gen_case;

static const gen_case gen_cases[] = {
    {"openai_chat_n3.json",
     CAI_BACKEND_OPENAI,
     3,
     {"Start with the smallest", "Break the task", ""},
     {CAI_FINISH_STOP, CAI_FINISH_LENGTH, CAI_FINISH_OTHER},
     21,
     27},
    {"openai_completions_n2.json",
     CAI_BACKEND_COMPLETIONS,
     2,
     {" Water boils", " It depends on the", NULL},
     {CAI_FINISH_STOP, CAI_FINISH_LENGTH, 0},
     12,
     16},
    {"vllm_chat_n2_unordered.json",
     CAI_BACKEND_OPENAI,
     2,
     {"First sample.", "Second sample.", NULL},
     {CAI_FINISH_STOP, CAI_FINISH_STOP, 0},
     30,
     10},
    {"llamacpp_chat_n_ignored.json",
     CAI_BACKEND_OPENAI,
     1,
     {"Only one choice", NULL, NULL},
     {CAI_FINISH_LENGTH, 0, 0},
     15,
     8},
    {"ollama_chat.json", CAI_BACKEND_OPENAI, 1, {"Keep a written", NULL, NULL}, {0, 0, 0}, 18, 10},
    {"tgi_chat.json", CAI_BACKEND_OPENAI, 1, {"Rest, fluids", NULL, NULL}, {0, 0, 0}, 25, 12},
    {"anthropic_max_tokens.json",
     CAI_BACKEND_ANTHROPIC,
     1,
     {"Here are three ideas", NULL, NULL},
     {CAI_FINISH_LENGTH, 0, 0},
     40,
     10},
    {"anthropic_stop_sequence.json",
     CAI_BACKEND_ANTHROPIC,
     1,
     {"A short answer", NULL, NULL},
     {CAI_FINISH_STOP, 0, 0},
     35,
     4},
    {"anthropic_empty_end_turn.json",
     CAI_BACKEND_ANTHROPIC,
     1,
     {"", NULL, NULL},
     {CAI_FINISH_STOP, 0, 0},
     50,
     2},
    {"anthropic_refusal.json",
     CAI_BACKEND_ANTHROPIC,
     1,
     {"", NULL, NULL},
     {CAI_FINISH_OTHER, 0, 0},
     20,
     1},
};

START_TEST(gen_fixture_replies_are_read)
{
    const gen_case *c = &gen_cases[_i];
    char path[512];
    size_t len = 0, k;
    char *body;
    cai_gen_reply r;
    cai_error err = {0};

    snprintf(path, sizeof(path), "%s/tests/data/wire/gen/%s", CAI_SOURCE_DIR, c->file);
    body = tu_read_file(path, &len);
    ck_assert_msg(body != NULL, "%s: cannot read", path);
    ck_assert_msg(cai_gen_wire__parse_reply(&r, c->backend, body, len, &err) == CAI_OK, "%s: %s",
                  c->file, err.msg);
    ck_assert_uint_eq(r.n_choices, c->n);
    for (k = 0; k < c->n; k++) {
        ck_assert_msg(strncmp(r.choices[k].text, c->text[k], strlen(c->text[k])) == 0 &&
                          (c->text[k][0] || r.choices[k].text_len == 0),
                      "%s: choice %zu is \"%s\"", c->file, k, r.choices[k].text);
        ck_assert_int_eq(r.choices[k].finish, c->finish[k]);
        ck_assert_uint_eq(r.choices[k].index, k);
    }
    ck_assert_int_eq(r.has_usage, 1);
    ck_assert_uint_eq(r.prompt_tokens, c->prompt_tokens);
    ck_assert_uint_eq(r.completion_tokens, c->completion_tokens);
    cai_gen_wire__reply_dispose(&r);
    free(body);
}
END_TEST

START_TEST(bad_replies_are_schema_errors)
{
    static const char *const bad[] = {
        "{\"choices\":[]}",
        "{\"choices\":[{\"index\":0,\"finish_reason\":\"stop\"}]}",
        "{\"choices\":[{\"index\":0,\"message\":{\"content\":\"a\"}},"
        "{\"index\":0,\"message\":{\"content\":\"b\"}}]}",
        "{\"choices\":[{\"index\":-1,\"message\":{\"content\":\"a\"}}]}",
        "[1]",
    };
    cai_gen_reply r;
    cai_error err = {0};
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_int_eq(
            cai_gen_wire__parse_reply(&r, CAI_BACKEND_OPENAI, bad[i], strlen(bad[i]), &err),
            CAI_ESCHEMA);
    ck_assert_int_eq(cai_gen_wire__parse_reply(&r, CAI_BACKEND_ANTHROPIC, "{}", 2, &err),
                     CAI_ESCHEMA);
    ck_assert_int_eq(cai_gen_wire__parse_reply(&r, CAI_BACKEND_OPENAI, "{\"cho", 5, &err),
                     CAI_EPARSE);
}
END_TEST

Suite *gen_wire_suite(void)
{
    Suite *s = suite_create("gen_wire");
    TCase *tc = tcase_create("bodies");

    tcase_add_test(tc, chat_body_carries_every_sampling_setting);
    tcase_add_test(tc, defaults_are_left_to_the_server);
    tcase_add_test(tc, completions_body_is_an_hh_transcript);
    tcase_add_test(tc, anthropic_body_has_no_n_no_seed_and_a_system_field);
    tcase_add_test(tc, reasoning_models_get_max_completion_tokens_and_no_temperature);
    tcase_add_test(tc, conversation_must_end_with_a_user_turn);
    suite_add_tcase(s, tc);
    tc = tcase_create("replies");
    tcase_add_test(tc, finish_reasons_are_normalised);
    tcase_add_loop_test(tc, gen_fixture_replies_are_read, 0,
                        (int)(sizeof(gen_cases) / sizeof(gen_cases[0])));
    tcase_add_test(tc, bad_replies_are_schema_errors);
    suite_add_tcase(s, tc);
    return s;
}

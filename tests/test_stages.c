/* SPDX-License-Identifier: MIT */
/* `cai sample` and `cai revise` through the library against the fake server: what a record says
 * the policy was asked is what the policy was sent. */
#include <cai.h>
#include "fake_llm.h"
#include "testutil.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

Suite *stages_suite(void);

static char *dir;

static void setup(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    dir = tu_mkdtemp("stages");
    ck_assert_ptr_nonnull(dir);
}

static void teardown(void)
{
    tu_rmtree(dir);
    free(dir);
    curl_global_cleanup();
}

/* An HH string whose reading is not obvious: a System preamble before the first Human turn,
 * several spaces after "Human:", an empty Assistant turn in the middle. Beside it a
 * message-list prompt, so that the output's prompts are message lists. */
static char *odd_input(void)
{
    char *path = tu_strdupf("%s/in.jsonl", dir);
    const char text[] =
        "{\"id\":\"s\",\"prompt\":\"\\n\\nSystem: be brief\\n\\nHuman:   Hi there\\n\\n"
        "Assistant:\\n\\nHuman: Again?\\n\\nAssistant:\"}\n"
        "{\"id\":\"l\",\"prompt\":[{\"role\":\"user\",\"content\":\"A list prompt\"}]}\n";

    ck_assert_int_eq(tu_write_file(path, text, sizeof(text) - 1), 0);
    return path;
}

/* The messages of the first request the server received that mentions needle, printed. */
static char *sent_messages(fake_llm *srv, const char *needle)
{
    size_t i, n = fake_llm_requests(srv);

    for (i = 0; i < n; i++) {
        char *body = fake_llm_request_body(srv, i), *out = NULL;
        cJSON *o = body ? cJSON_Parse(body) : NULL;

        if (o && strstr(body, needle))
            out = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(o, "messages"));
        cJSON_Delete(o);
        free(body);
        if (out)
            return out;
    }
    return NULL;
}

/* Member key of the record with id `id` in gzip JSONL file path, printed. */
static char *written(const char *path, const char *id, const char *key)
{
    gzFile f = gzopen(path, "rb");
    char line[65536], *out = NULL;

    ck_assert_ptr_nonnull(f);
    while (!out && gzgets(f, line, sizeof(line))) {
        cJSON *o = cJSON_Parse(line);
        cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "id");

        if (cJSON_IsString(v) && !strcmp(v->valuestring, id))
            out = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(o, key));
        cJSON_Delete(o);
    }
    gzclose(f);
    return out;
}

static void judge_at(cai_judge_opts *j, fake_llm *srv)
{
    j->backend = CAI_BACKEND_OPENAI;
    j->base_url = fake_llm_url(srv);
    j->model = "pol";
    j->api_key = "test-key";
    j->backoff_base_s = 0.001;
    j->backoff_max_s = 0.01;
}

START_TEST(sample_writes_the_turns_it_sent)
{
    fake_llm *srv = fake_llm_start(NULL);
    char *in = odd_input(), *out = tu_strdupf("%s/S", dir), *cand, *sent, *prompt;
    cai_sample_opts o;
    cai_sample_summary sum;
    cai_sample *s = NULL;
    cai_error err = {0};

    ck_assert_ptr_nonnull(srv);
    fake_llm_set_generate(srv, FAKE_GEN_ALL, 3, 6);
    ck_assert_int_eq(cai_sample_opts_init(&o, CAI_SAMPLE_OPTS_VERSION), CAI_OK);
    o.input = in;
    o.output_dir = out;
    judge_at(&o.judge, srv);
    o.seed = 7;
    ck_assert_msg(cai_sample_create(&s, &o, &err) == CAI_OK, "%s", err.msg);
    ck_assert_msg(cai_sample_execute(s, &sum, &err) == CAI_OK, "%s", err.msg);
    cai_sample_free(s);
    sent = sent_messages(srv, "Again?");
    cand = tu_strdupf("%s/candidates.jsonl.gz", out);
    prompt = written(cand, "s", "prompt");
    ck_assert_ptr_nonnull(sent);
    ck_assert_ptr_nonnull(prompt);
    ck_assert_str_eq(prompt, sent);
    ck_assert_ptr_null(strstr(prompt, "be brief")); /* the preamble is not sent, nor written */
    free(sent);
    free(prompt);
    free(cand);
    free(out);
    free(in);
    fake_llm_stop(srv);
}
END_TEST

/* revise: the messages file's prompt turns are the turns read from a string prompt as the
 * stage sends them (the prompt stays a string in the prompt/completion file) */
START_TEST(revise_writes_the_turns_it_sent)
{
    fake_llm *srv = fake_llm_start(NULL);
    char *in = tu_strdupf("%s/one.jsonl", dir), *out = tu_strdupf("%s/R", dir), *msgs, *sft;
    const char text[] =
        "{\"id\":\"s\",\"prompt\":\"\\n\\nSystem: be brief\\n\\nHuman:   Hi there"
        "\\n\\nAssistant:\\n\\nHuman: Again?\\n\\nAssistant:\",\"response\":\"Ok.\"}\n";
    cai_revise_opts o;
    cai_revise_summary sum;
    cai_revise *r = NULL;
    cai_error err = {0};
    cJSON *list;
    int n;
    char *hhh = tu_strdupf("%s/constitution/hhh.json", tu_source_dir());

    ck_assert_ptr_nonnull(srv);
    fake_llm_set_generate(srv, FAKE_GEN_ALL, 3, 6);
    ck_assert_int_eq(tu_write_file(in, text, sizeof(text) - 1), 0);
    ck_assert_int_eq(cai_revise_opts_init(&o, CAI_REVISE_OPTS_VERSION), CAI_OK);
    o.input = in;
    o.output_dir = out;
    o.constitution = hhh;
    judge_at(&o.judge, srv);
    ck_assert_msg(cai_revise_create(&r, &o, &err) == CAI_OK, "%s", err.msg);
    ck_assert_msg(cai_revise_execute(r, &sum, &err) == CAI_OK, "%s", err.msg);
    cai_revise_free(r);
    sft = tu_strdupf("%s/sft_messages.jsonl.gz", out);
    msgs = written(sft, "s", "messages");
    ck_assert_ptr_nonnull(msgs);
    list = cJSON_Parse(msgs);
    n = cJSON_GetArraySize(list);
    /* the turns sent, then the revision: user "Hi there", user "Again?", assistant */
    ck_assert_int_eq(n, 3);
    ck_assert_str_eq(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(list, 0), "content")->valuestring,
        "Hi there");
    ck_assert_str_eq(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(list, 1), "content")->valuestring,
        "Again?");
    ck_assert_ptr_null(strstr(msgs, "be brief"));
    cJSON_Delete(list);
    free(msgs);
    free(sft);
    free(out);
    free(in);
    free(hhh);
    fake_llm_stop(srv);
}
END_TEST

Suite *stages_suite(void)
{
    Suite *s = suite_create("stages");
    TCase *tc = tcase_create("stages");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, sample_writes_the_turns_it_sent);
    tcase_add_test(tc, revise_writes_the_turns_it_sent);
    suite_add_tcase(s, tc);
    return s;
}

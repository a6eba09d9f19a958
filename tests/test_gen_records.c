/* SPDX-License-Identifier: MIT */
/* Tests for the generation records: candidates, SFT, revision pairs, and their flags. */
#include "gen_records_int.h"
#include "cai/record.h"
#include "testutil.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

Suite *gen_records_suite(void);

static const cai_gen_settings settings = {"openai", "pol", 4, 0.7, -1, 64, 11};

START_TEST(candidates_are_flagged_empty_truncated_duplicate_refused)
{
    const cai_gen_sample s[] = {{"A fine answer.", CAI_FINISH_STOP, "stop", -1},
                                {"  \n", CAI_FINISH_STOP, "stop", -1},
                                {"Cut in the mid", CAI_FINISH_LENGTH, "length", -1},
                                {" A fine answer.\n", CAI_FINISH_STOP, "stop", -1},
                                {"", CAI_FINISH_OTHER, "content_filter", -1},
                                {"Another one.", CAI_FINISH_STOP, "end_turn", -1}};
    unsigned f[6];

    ck_assert_uint_eq(cai_gen__flag_candidates(s, 6, f), 2);
    ck_assert_uint_eq(f[0], 0);
    ck_assert_uint_eq(f[1], CAI_CAND_EMPTY);
    ck_assert_uint_eq(f[2], CAI_CAND_TRUNCATED);
    ck_assert_uint_eq(f[3], CAI_CAND_DUPLICATE);
    ck_assert_uint_eq(f[4], CAI_CAND_EMPTY | CAI_CAND_REFUSED);
    ck_assert_uint_eq(f[5], 0);
}
END_TEST

START_TEST(candidates_record_is_what_cai_run_reads)
{
    const cai_gen_sample s[] = {{"One.", CAI_FINISH_STOP, "stop", 2},
                                {"One.", CAI_FINISH_STOP, "stop", 2},
                                {"Two", CAI_FINISH_LENGTH, "length", 64},
                                {"Three.", CAI_FINISH_STOP, "stop", -1}};
    cai_error err = {0};
    char *all = NULL, *kept = NULL;
    size_t n = 0;

    ck_assert_int_eq(cai_gen__candidates_record(&all, "q1", "\"\\n\\nHuman: Hi\\n\\nAssistant:\"",
                                                s, 4, &settings, 0, &n, &err),
                     CAI_OK);
    ck_assert_uint_eq(n, 4);
    ck_assert_str_eq(
        all,
        "{\"id\":\"q1\",\"prompt\":\"\\n\\nHuman: Hi\\n\\nAssistant:\",\"responses\":[\"One.\","
        "\"One.\",\"Two\",\"Three.\"],\"samples\":[{\"index\":0,\"finish_reason\":\"stop\","
        "\"finish_raw\":\"stop\",\"completion_tokens\":2,\"flags\":"
        "{\"empty\":false,\"truncated\":false,\"duplicate\":false,\"refused\":false}},{\"index\":1,"
        "\"finish_reason\":\"stop\",\"finish_raw\":\"stop\",\"completion_tokens\":2,\"flags\":"
        "{\"empty\":false,\"truncated\":false,\"duplicate\":true,\"refused\":false}},{\"index\":2,"
        "\"finish_reason\":\"length\",\"finish_raw\":\"length\","
        "\"completion_tokens\":64,\"flags\":"
        "{\"empty\":false,\"truncated\":true,\"duplicate\":false,\"refused\":false}},{\"index\":3,"
        "\"finish_reason\":"
        "\"stop\",\"finish_raw\":\"stop\",\"completion_tokens\":null,\"flags\":"
        "{\"empty\":false,\"truncated\":false,\"duplicate\":false,\"refused\":false}}],"
        "\"sampling\":{\"backend\":\"openai\",\"model\":\"pol\",\"n\":4,\"temperature\":0.7,"
        "\"top_p\":null,\"max_tokens\":64,\"seed\":11}}");
    ck_assert_int_eq(cai_gen__candidates_record(&kept, "q1",
                                                "[{\"role\":\"user\",\"content\":"
                                                "\"Hi\"}]",
                                                s, 4, &settings, 1, &n, &err),
                     CAI_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_ptr_nonnull(strstr(kept, "\"responses\":[\"One.\",\"Three.\"]"));
    ck_assert_ptr_nonnull(strstr(kept, "\"samples\":[{\"index\":0,"));
    ck_assert_ptr_nonnull(strstr(kept, "{\"index\":3,"));
    /* what is kept from the judge is not in the record: an empty list there for most prompts
     * would not load in `datasets` once a later prompt skips one */
    ck_assert_ptr_null(strstr(kept, "skipped"));
    ck_assert_ptr_null(strstr(kept, "\"Two\""));
    ck_assert_str_eq(kept + strlen(kept) - strlen(",\"seed\":11}}"), ",\"seed\":11}}");
    free(all);
    ck_assert_int_eq(cai_gen__candidates_record(&all, "q", "3", s, 1, &settings, 0, &n, &err),
                     CAI_EINVAL);
    ck_assert_ptr_null(all);
    free(kept);
}
END_TEST

/* A skipped response is a line of its own: the prompt's id, its index, its text, every flag. */
START_TEST(skipped_record_is_a_line_of_its_own)
{
    cai_error err = {0};
    char *line = NULL;

    ck_assert_int_eq(cai_gen__skipped_record(&line, "q1", 2, "Two",
                                             CAI_CAND_TRUNCATED | CAI_CAND_DUPLICATE, &err),
                     CAI_OK);
    ck_assert_str_eq(line, "{\"id\":\"q1\",\"index\":2,\"text\":\"Two\",\"flags\":"
                           "{\"empty\":false,\"truncated\":true,\"duplicate\":true,"
                           "\"refused\":false}}");
    free(line);
    ck_assert_int_eq(cai_gen__skipped_record(&line, "q2", 0, NULL, CAI_CAND_EMPTY, &err), CAI_OK);
    ck_assert_str_eq(line, "{\"id\":\"q2\",\"index\":0,\"text\":\"\",\"flags\":"
                           "{\"empty\":true,\"truncated\":false,\"duplicate\":false,"
                           "\"refused\":false}}");
    free(line);
}
END_TEST

/* The reader cai run uses takes the record as a candidates line, the extra keys as metadata. */
START_TEST(candidates_record_reads_back_through_the_reader)
{
    const cai_gen_sample s[] = {{"One.", CAI_FINISH_STOP, "stop", 2},
                                {"", CAI_FINISH_STOP, "stop", 0},
                                {"Two.", CAI_FINISH_STOP, "stop", 3}};
    cai_reader_opts o = CAI_READER_OPTS_INIT;
    cai_error err = {0};
    char *line = NULL, *dir = tu_mkdtemp("genrec"), *path = tu_strdupf("%s/c.jsonl", dir), *text;
    cai_reader *r = NULL;
    const cai_record *rec;
    size_t n;

    ck_assert_int_eq(
        cai_gen__candidates_record(&line, "q1", "\"Hi\"", s, 3, &settings, 1, &n, &err), CAI_OK);
    text = tu_strdupf("%s\n", line);
    ck_assert_int_eq(tu_write_file(path, text, strlen(text)), 0);
    ck_assert_int_eq(cai_reader_create(&r, path, &o, &err), CAI_OK);
    ck_assert_msg(cai_reader_next(r, &rec, &err) == CAI_OK, "%s", err.msg);
    ck_assert_int_eq(rec->format, CAI_FORMAT_CANDIDATES);
    ck_assert_uint_eq(rec->n_responses, 2);
    ck_assert_str_eq(rec->responses[1], "Two.");
    ck_assert_ptr_nonnull(strstr(rec->meta_json, "\"sampling\""));
    cai_reader_free(r);
    free(line);
    free(text);
    free(path);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(revisions_are_flagged_empty_unchanged_leaking_truncated)
{
    ck_assert_uint_eq(cai_gen__revision_flags("Old.", "New and better.", CAI_FINISH_STOP), 0);
    ck_assert_uint_eq(cai_gen__revision_flags("Old.", " \n", CAI_FINISH_STOP), CAI_REV_EMPTY);
    ck_assert_uint_eq(cai_gen__revision_flags("Old.", "Old.\n", CAI_FINISH_STOP),
                      CAI_REV_UNCHANGED);
    ck_assert_uint_eq(
        cai_gen__revision_flags("Old.", "Here is the revised response: New.", CAI_FINISH_STOP),
        CAI_REV_LEAK);
    ck_assert_uint_eq(
        cai_gen__revision_flags("Old.", "  here's a revised reply: x", CAI_FINISH_STOP),
        CAI_REV_LEAK);
    ck_assert_uint_eq(
        cai_gen__revision_flags("Old.", "New. (Revision Request satisfied)", CAI_FINISH_STOP),
        CAI_REV_LEAK);
    ck_assert_uint_eq(cai_gen__revision_flags("Old.", "New but cut", CAI_FINISH_LENGTH),
                      CAI_REV_TRUNCATED);
    /* a reply that merely talks about revising is not a leak */
    ck_assert_uint_eq(
        cai_gen__revision_flags("Old.", "You can revise the draft later.", CAI_FINISH_STOP), 0);
}
END_TEST

static const cai_revise_step steps[] = {
    {"harm-care", "Too cold.", "I'm sorry you feel this way.", CAI_FINISH_STOP},
    {"help-complete", "No next step.", "I'm sorry you feel this way. A doctor can help.",
     CAI_FINISH_STOP}};

START_TEST(sft_records_in_trl_prompt_completion_and_messages)
{
    cai_error err = {0};
    char *pc = NULL, *msg = NULL, *conv = NULL;

    ck_assert_int_eq(cai_gen__sft_record(&pc, CAI_SFT_PROMPT_COMPLETION, "r1",
                                         "\"\\n\\nHuman: I feel bad\\n\\nAssistant:\"", "Whatever.",
                                         steps, 2, &err),
                     CAI_OK);
    ck_assert_str_eq(
        pc,
        "{\"prompt\":\"\\n\\nHuman: I feel bad\\n\\nAssistant:\",\"completion\":\" I'm sorry you "
        "feel this way. A doctor can help.\",\"id\":\"r1\",\"original\":\"Whatever.\",\"chain\":"
        "[{\"principle\":\"harm-care\",\"critique\":\"Too cold.\",\"revision\":\"I'm sorry you "
        "feel this "
        "way.\",\"flags\":{\"empty\":false,\"unchanged\":false,\"leak\":false,\"truncated\":false}}"
        ",{\"principle\":\"help-complete\",\"critique\":\"No "
        "next step.\",\"revision\":\"I'm sorry you feel this way. A doctor can help.\","
        "\"flags\":{\"empty\":false,\"unchanged\":false,\"leak\":false,\"truncated\":false}}],"
        "\"flags\":"
        "{\"empty\":false,\"unchanged\":false,\"leak\":false,\"truncated\":false}}");
    ck_assert_int_eq(cai_gen__sft_record(&msg, CAI_SFT_MESSAGES, "r1",
                                         "\"\\n\\nHuman: I feel bad\\n\\nAssistant:\"", "Whatever.",
                                         steps, 2, &err),
                     CAI_OK);
    ck_assert_msg(strncmp(msg,
                          "{\"messages\":[{\"role\":\"user\",\"content\":\"I feel bad\"},"
                          "{\"role\":\"assistant\",\"content\":\"I'm sorry you feel this way. "
                          "A doctor can help.\"}],\"id\":\"r1\",",
                          120) == 0,
                  "%s", msg);
    ck_assert_int_eq(cai_gen__sft_record(&conv, CAI_SFT_PROMPT_COMPLETION, "r2",
                                         "[{\"role\":\"user\",\"content\":\"Hi\"}]", "Yo.", steps,
                                         1, &err),
                     CAI_OK);
    ck_assert_msg(strncmp(conv,
                          "{\"prompt\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"completion\":"
                          "[{\"role\":\"assistant\",\"content\":\"I'm sorry you feel this "
                          "way.\"}]",
                          100) == 0,
                  "%s", conv);
    free(pc);
    free(msg);
    free(conv);
}
END_TEST

START_TEST(revision_pair_prefers_the_revision_and_says_so)
{
    const cai_revise_step leak[] = {
        {"harm-care", "Cold.", "Here is the revised response: Kind words.", CAI_FINISH_STOP}};
    cai_error err = {0};
    char *p = NULL;

    ck_assert_int_eq(cai_gen__revision_pair(&p, "r1", "\"\\n\\nHuman: I feel bad\\n\\nAssistant:\"",
                                            "Whatever.", steps, 2, &err),
                     CAI_OK);
    ck_assert_str_eq(p,
                     "{\"id\":\"r1\",\"prompt\":\"\\n\\nHuman: I feel bad\\n\\nAssistant:\","
                     "\"chosen\":\" I'm sorry you feel this way. A doctor can help.\","
                     "\"rejected\":\" Whatever.\",\"label_source\":\"revision\",\"flags\":"
                     "{\"empty\":false,\"unchanged\":false,\"leak\":false,\"truncated\":false}}");
    free(p);
    ck_assert_int_eq(cai_gen__revision_pair(&p, "r1", "\"Q\"", "Whatever.", leak, 1, &err), CAI_OK);
    ck_assert_ptr_nonnull(strstr(
        p, "\"flags\":{\"empty\":false,\"unchanged\":false,\"leak\":true,\"truncated\":false}"));
    free(p);
    ck_assert_int_eq(cai_gen__revision_pair(&p, "r1", "\"Q\"", "Same.", NULL, 0, &err), CAI_OK);
    ck_assert_ptr_nonnull(strstr(
        p, "\"flags\":{\"empty\":false,\"unchanged\":true,\"leak\":false,\"truncated\":false}"));
    free(p);
}
END_TEST

Suite *gen_records_suite(void)
{
    Suite *s = suite_create("gen_records");
    TCase *tc = tcase_create("records");

    tcase_add_test(tc, candidates_are_flagged_empty_truncated_duplicate_refused);
    tcase_add_test(tc, candidates_record_is_what_cai_run_reads);
    tcase_add_test(tc, skipped_record_is_a_line_of_its_own);
    tcase_add_test(tc, candidates_record_reads_back_through_the_reader);
    tcase_add_test(tc, revisions_are_flagged_empty_unchanged_leaking_truncated);
    tcase_add_test(tc, sft_records_in_trl_prompt_completion_and_messages);
    tcase_add_test(tc, revision_pair_prefers_the_revision_and_says_so);
    suite_add_tcase(s, tc);
    return s;
}

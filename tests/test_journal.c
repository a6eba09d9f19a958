/* SPDX-License-Identifier: MIT */
/* Tests for the run journal: replay, fingerprint refusal, torn-tail repair, exact values. */
#include "journal_int.h"
#include "testutil.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

Suite *journal_suite(void);

static char *dir;
static char *path;

static void setup(void)
{
    dir = tu_mkdtemp("journal");
    ck_assert_ptr_nonnull(dir);
    path = tu_strdupf("%s/journal.cai", dir);
}

static void teardown(void)
{
    tu_rmtree(dir);
    free(dir);
    free(path);
}

static cai_jentry entry(const char *pair, const char *pr, unsigned order, double p)
{
    cai_jentry e;

    memset(&e, 0, sizeof(e));
    e.key = cai_journal__key(pair, pr, order, 0);
    e.p_first = p;
    e.verdict = p >= 0.5 ? CAI_VERDICT_A : CAI_VERDICT_B;
    e.from_logprobs = 1;
    e.prompt_tokens = 100;
    e.completion_tokens = 1;
    return e;
}

static void write_three(void)
{
    cai_journal *j = NULL;
    cai_error err = {0};
    cai_jentry e;

    ck_assert_int_eq(cai_journal__open(&j, path, "fp1", "{\"seed\":1}", &err), CAI_OK);
    e = entry("p1", "harm", 0, 0.1234567890123456789);
    ck_assert_int_eq(cai_journal__add(j, &e, "p1", "harm", 0, 0, &err), CAI_OK);
    e = entry("p1", "harm", 1, 0.75);
    ck_assert_int_eq(cai_journal__add(j, &e, "p1", "harm", 1, 0, &err), CAI_OK);
    e = entry("p2", "help", 0, 1.0 / 3.0);
    ck_assert_int_eq(cai_journal__add(j, &e, "p2", "help", 0, 0, &err), CAI_OK);
    ck_assert_int_eq(cai_journal__sync(j, 1, &err), CAI_OK);
    cai_journal__free(j);
}

START_TEST(journal_replays_entries_with_exact_values)
{
    cai_journal *j = NULL;
    cai_error err = {0};
    const cai_jentry *e;

    write_three();
    ck_assert_int_eq(cai_journal__open(&j, path, "fp1", NULL, &err), CAI_OK);
    ck_assert_uint_eq(cai_journal__loaded(j), 3);
    e = cai_journal__find(j, cai_journal__key("p1", "harm", 0, 0));
    ck_assert_ptr_nonnull(e);
    ck_assert(e->p_first == 0.1234567890123456789); /* bit-exact, not approximately */
    e = cai_journal__find(j, cai_journal__key("p2", "help", 0, 0));
    ck_assert_ptr_nonnull(e);
    ck_assert(e->p_first == 1.0 / 3.0);
    ck_assert_uint_eq(e->prompt_tokens, 100);
    ck_assert_ptr_null(cai_journal__find(j, cai_journal__key("p2", "help", 1, 0)));
    ck_assert_uint_eq(cai_journal__repaired(j), 0);
    cai_journal__free(j);
}
END_TEST

START_TEST(journal_refuses_a_different_fingerprint)
{
    cai_journal *j = NULL;
    cai_error err = {0};

    write_three();
    ck_assert_int_eq(cai_journal__open(&j, path, "fp2", NULL, &err), CAI_EMISMATCH);
    ck_assert_ptr_null(j);
    ck_assert_ptr_nonnull(strstr(err.msg, "journal.cai: this output directory holds a run"));
}
END_TEST

START_TEST(journal_cuts_a_torn_tail_and_keeps_appending)
{
    cai_journal *j = NULL;
    cai_error err = {0};
    cai_jentry e;
    FILE *f;
    struct stat before, after;

    write_three();
    stat(path, &before);
    f = fopen(path, "ab");
    fputs("{\"k\":\"00000000000000ff\",\"p\":0.5", f); /* died mid-write: no CRC, no newline */
    fclose(f);
    ck_assert_int_eq(cai_journal__open(&j, path, "fp1", NULL, &err), CAI_OK);
    ck_assert_uint_eq(cai_journal__loaded(j), 3);
    ck_assert_uint_gt(cai_journal__repaired(j), 0);
    stat(path, &after);
    ck_assert_int_eq(after.st_size, before.st_size); /* the torn bytes are gone */
    e = entry("p3", "help", 0, 0.9);
    ck_assert_int_eq(cai_journal__add(j, &e, "p3", "help", 0, 0, &err), CAI_OK);
    cai_journal__free(j);
    ck_assert_int_eq(cai_journal__open(&j, path, "fp1", NULL, &err), CAI_OK);
    ck_assert_uint_eq(cai_journal__loaded(j), 4);
    ck_assert_uint_eq(cai_journal__repaired(j), 0);
    cai_journal__free(j);
}
END_TEST

START_TEST(journal_skips_a_corrupt_record_in_the_middle)
{
    cai_journal *j = NULL;
    cai_error err = {0};
    char *text;
    size_t len;
    char *second;

    write_three();
    text = tu_read_file(path, &len);
    second = strstr(text, "\"p\":0.75");
    ck_assert_ptr_nonnull(second);
    second[5] = '9'; /* 0.75 -> 0.95: the CRC no longer matches */
    ck_assert_int_eq(tu_write_file(path, text, len), 0);
    free(text);
    ck_assert_int_eq(cai_journal__open(&j, path, "fp1", NULL, &err), CAI_OK);
    ck_assert_uint_eq(cai_journal__loaded(j), 2);
    ck_assert_ptr_null(cai_journal__find(j, cai_journal__key("p1", "harm", 1, 0)));
    ck_assert_ptr_nonnull(cai_journal__find(j, cai_journal__key("p2", "help", 0, 0)));
    cai_journal__free(j);
}
END_TEST

START_TEST(journal_keys_distinguish_every_coordinate)
{
    uint64_t k = cai_journal__key("p", "x", 0, 0);

    ck_assert(k != cai_journal__key("p", "x", 1, 0));
    ck_assert(k != cai_journal__key("p", "x", 0, 1));
    ck_assert(k != cai_journal__key("p", "y", 0, 0));
    ck_assert(k != cai_journal__key("q", "x", 0, 0));
    ck_assert(k == cai_journal__key("p", "x", 0, 0));
}
END_TEST

START_TEST(journal_grows_past_its_initial_table)
{
    cai_journal *j = NULL;
    cai_error err = {0};
    char id[32];
    int i;

    ck_assert_int_eq(cai_journal__open(&j, path, "fp", NULL, &err), CAI_OK);
    for (i = 0; i < 5000; i++) {
        cai_jentry e;
        snprintf(id, sizeof(id), "pair%d", i);
        e = entry(id, "pr", 0, (double)i / 5000.0);
        ck_assert_int_eq(cai_journal__add(j, &e, id, "pr", 0, 0, &err), CAI_OK);
    }
    cai_journal__free(j);
    ck_assert_int_eq(cai_journal__open(&j, path, "fp", NULL, &err), CAI_OK);
    ck_assert_uint_eq(cai_journal__loaded(j), 5000);
    for (i = 0; i < 5000; i += 97) {
        const cai_jentry *e;
        snprintf(id, sizeof(id), "pair%d", i);
        e = cai_journal__find(j, cai_journal__key(id, "pr", 0, 0));
        ck_assert_ptr_nonnull(e);
        ck_assert(e->p_first == (double)i / 5000.0);
    }
    cai_journal__free(j);
}
END_TEST

START_TEST(journal_canon_round_trips)
{
    double v[] = {0.1, 1.0 / 3.0, 0.999999999999, 5e-324, 0.5};
    size_t i;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        ck_assert(cai_journal__canon(v[i]) == v[i]);
}
END_TEST

Suite *journal_suite(void)
{
    Suite *s = suite_create("journal");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, journal_replays_entries_with_exact_values);
    tcase_add_test(tc, journal_refuses_a_different_fingerprint);
    tcase_add_test(tc, journal_cuts_a_torn_tail_and_keeps_appending);
    tcase_add_test(tc, journal_skips_a_corrupt_record_in_the_middle);
    tcase_add_test(tc, journal_keys_distinguish_every_coordinate);
    tcase_add_test(tc, journal_grows_past_its_initial_table);
    tcase_add_test(tc, journal_canon_round_trips);
    suite_add_tcase(s, tc);
    return s;
}

/* SPDX-License-Identifier: MIT */
/* Tests of the human-label tools: calibration recovers a known temperature; agree and compare. */
#include "cai.h"
#include "hash_int.h"
#include "testutil.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Suite *human_suite(void);

static double sigmoid(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

/*
 * n records whose judge is over-confident by a factor t0: P(A) = σ(t0·z) for z uniform in
 * [-3, 3], while the human picks a with probability σ(z) (a deterministic SplitMix64 stream
 * from seed). The temperature that makes P(A) honest is then exactly t0.
 */
static char *synthetic(const char *dir, size_t n, double t0, uint64_t seed)
{
    char *path = tu_strdupf("%s/syn.jsonl", dir);
    FILE *f = fopen(path, "w");
    size_t i;

    ck_assert_ptr_nonnull(f);
    for (i = 0; i < n; i++) {
        double z = -3.0 + 6.0 * (double)(cai_splitmix64(&seed) >> 11) / 9007199254740992.0;
        double u = (double)(cai_splitmix64(&seed) >> 11) / 9007199254740992.0;
        double pa = sigmoid(t0 * z);
        int pos = pa >= 0.5 ? 0 : 1, human = u < sigmoid(z) ? 0 : 1;
        fprintf(f,
                "{\"prompt\":\"q%zu\",\"chosen\":\" x\",\"rejected\":\" y\",\"p_chosen\":%.17g,"
                "\"margin\":0.0,\"id\":\"i%zu\",\"cai\":{\"chosen_position\":\"%s\","
                "\"orders_agree\":true,\"principles\":[\"%s\"],\"judgments\":2,"
                "\"has_human_label\":true,\"human_chosen_position\":\"%s\","
                "\"agrees_with_human\":%s,\"first_shown_wins\":1,\"second_shown_wins\":1,"
                "\"text_judgments\":0},\"metadata\":\"{}\"}\n",
                i, pos == 0 ? pa : 1 - pa, i, pos ? "b" : "a", i % 2 ? "p1" : "p2",
                human ? "b" : "a", human == pos ? "true" : "false");
    }
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

START_TEST(calibrate_recovers_a_known_temperature)
{
    char *dir = tu_mkdtemp("human"), *path = synthetic(dir, 6000, 2.0, 42);
    cai_calibrate_opts o = CAI_CALIBRATE_OPTS_INIT;
    cai_calibrate *c = NULL;
    cai_calib_metrics m;
    cai_error err = {0};
    double t, a, b;

    ck_assert_int_eq(cai_calibrate_fit(&c, path, &o, &err), CAI_OK);
    cai_calibrate_params(c, &t, &a, &b);
    cai_calibrate_metrics(c, &m);
    /* About 4,200 pairs are fitted. The Fisher information of 1/T there is about
     * 4200 · E[σ'(z)·(2z)²] ≈ 4200 · 4 · 0.36 ≈ 6,000, so 1/T = 0.5 has a standard error near
     * 0.013 and T one near 0.05: ±0.2 is four standard errors, while T = 1 (no fit) or 1/T0
     * (an inverted formula) fail by far. */
    ck_assert_msg(fabs(t - 2.0) < 0.2, "fitted T = %g, expected 2 ± 0.2", t);
    ck_assert_uint_gt(m.n, 1000); /* the held-out part, about 30% */
    ck_assert_msg(m.ece_after < m.ece_before / 2, "ECE %g -> %g", m.ece_before, m.ece_after);
    ck_assert(m.logloss_after < m.logloss_before);
    cai_calibrate_free(c);

    /* Platt scaling finds the same slope and no intercept. */
    o.method = CAI_CALIB_PLATT;
    ck_assert_int_eq(cai_calibrate_fit(&c, path, &o, &err), CAI_OK);
    cai_calibrate_params(c, &t, &a, &b);
    ck_assert_msg(fabs(a - 0.5) < 0.05 && fabs(b) < 0.1, "platt a = %g, b = %g", a, b);
    cai_calibrate_free(c);
    tu_rmtree(dir);
    free(dir);
    free(path);
}
END_TEST

START_TEST(calibrate_of_a_calibrated_judge_stays_near_one)
{
    char *dir = tu_mkdtemp("human"), *path = synthetic(dir, 4000, 1.0, 7);
    cai_calibrate *c = NULL;
    cai_error err = {0};
    double t, a, b;

    ck_assert_int_eq(cai_calibrate_fit(&c, path, NULL, &err), CAI_OK);
    cai_calibrate_params(c, &t, &a, &b);
    ck_assert_msg(fabs(t - 1.0) < 0.12, "fitted T = %g", t);
    cai_calibrate_free(c);
    tu_rmtree(dir);
    free(dir);
    free(path);
}
END_TEST

START_TEST(agree_counts_the_synthetic_labels)
{
    char *dir = tu_mkdtemp("human"), *path = synthetic(dir, 500, 2.0, 3);
    cai_agreement *a = NULL;
    cai_agree_summary s;
    cai_error err = {0};
    char *json;

    ck_assert_int_eq(cai_agreement_collect(&a, path, NULL, &err), CAI_OK);
    cai_agreement_overall(a, &s);
    ck_assert_uint_eq(s.n, 500);
    ck_assert(s.rate > 0.6 && s.rate < 0.9); /* E[σ(|z|)] for z uniform in [-3, 3] is ~0.77 */
    ck_assert(s.lo < s.rate && s.rate < s.hi);
    json = cai_agreement_json(a);
    ck_assert_ptr_nonnull(strstr(json, "\"by_principle\":[{\"name\":\"p2\""));
    free(json);
    cai_agreement_free(a);
    tu_rmtree(dir);
    free(dir);
    free(path);
}
END_TEST

START_TEST(compare_of_a_run_with_itself_flips_nothing)
{
    char *dir = tu_mkdtemp("human"), *path = synthetic(dir, 300, 2.0, 5);
    cai_compare *c = NULL;
    cai_error err = {0};
    uint64_t both, oa, ob, fl;

    ck_assert_int_eq(cai_compare_runs(&c, path, path, NULL, &err), CAI_OK);
    cai_compare_counts(c, &both, &oa, &ob, &fl);
    ck_assert_uint_eq(both, 300);
    ck_assert_uint_eq(oa + ob + fl, 0);
    cai_compare_free(c);
    tu_rmtree(dir);
    free(dir);
    free(path);
}
END_TEST

Suite *human_suite(void)
{
    Suite *s = suite_create("human");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, calibrate_recovers_a_known_temperature);
    tcase_add_test(tc, calibrate_of_a_calibrated_judge_stays_near_one);
    tcase_add_test(tc, agree_counts_the_synthetic_labels);
    tcase_add_test(tc, compare_of_a_run_with_itself_flips_nothing);
    suite_add_tcase(s, tc);
    return s;
}

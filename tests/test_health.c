/* SPDX-License-Identifier: MIT */
/* Judge health: the statistics (agree.c), the verdicts (health.c) and whole runs against fake
 * judges that are consistent, coin flips or always pick the first-shown response. */
#include <cai.h>
#include "fake_llm.h"
#include "testutil.h"

#include <check.h>
#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Suite *health_suite(void);

/* ---- statistics against known values -------------------------------------------------- */

START_TEST(binomial_tests_match_exact_values)
{
    /* Bin(10, 1/2): P(X <= 0) = 1/1024; two-sided doubles it */
    ck_assert_double_eq_tol(cai_agree_binom_p(0, 10), 2.0 / 1024, 1e-15);
    ck_assert_double_eq_tol(cai_agree_binom_p(10, 10), 2.0 / 1024, 1e-15);
    ck_assert_double_eq_tol(cai_agree_binom_p(2, 10), 2.0 * 56 / 1024, 1e-15);
    ck_assert_double_eq(cai_agree_binom_p(5, 10), 1.0);
    ck_assert_double_eq(cai_agree_binom_p(0, 0), 1.0);
    /* Bin(20, 1/2): P(X >= 15) = 21700 / 2^20; P(X <= 5) two-sided = 0.04138946533203125 */
    ck_assert_double_eq_tol(cai_agree_binom_p_above(15, 20), 0.020694732666015625, 1e-15);
    ck_assert_double_eq_tol(cai_agree_binom_p(5, 20), 0.04138946533203125, 1e-15);
    ck_assert_double_eq_tol(cai_agree_binom_p_above(8, 10), 56.0 / 1024, 1e-15);
    ck_assert_double_eq(cai_agree_binom_p_above(0, 10), 1.0);
    /* large n: 398 of 398 is far below double's smallest normal only through the log path */
    ck_assert(cai_agree_binom_p(398, 398) < 1e-100);
    ck_assert(cai_agree_binom_p(398, 398) > 0);
}
END_TEST

START_TEST(wilson_interval_matches_known_values)
{
    double lo, hi;

    cai_agree_wilson(8, 10, 1.959963984540054, &lo, &hi);
    ck_assert_double_eq_tol(lo, 0.49016247153664183, 1e-12);
    ck_assert_double_eq_tol(hi, 0.9433178485456247, 1e-12);
    cai_agree_wilson(0, 10, 1.959963984540054, &lo, &hi);
    ck_assert_double_eq_tol(lo, 0.0, 1e-12);
    ck_assert_double_eq_tol(hi, 0.2775327998628892, 1e-12);
    cai_agree_wilson(81, 263, 1.959963984540054, &lo, &hi);
    ck_assert_double_eq_tol(lo, 0.2552885198782742, 1e-12);
    ck_assert_double_eq_tol(hi, 0.36620957698280004, 1e-12);
    cai_agree_wilson(0, 0, 1.96, &lo, &hi);
    ck_assert(isnan(lo) && isnan(hi));
}
END_TEST

START_TEST(agree_summary_says_above_chance_and_at_or_below)
{
    cai_agree a = {0, 0};
    cai_agree_summary s;
    int i;

    for (i = 0; i < 100; i++)
        cai_agree_add(&a, i < 50);
    cai_agree_summarize(&s, &a, 0, 0);
    ck_assert_uint_eq(s.n, 100);
    ck_assert_uint_eq(s.k, 50);
    ck_assert_double_eq_tol(s.lo, 0.4038315303659956, 1e-12);
    ck_assert_int_eq(s.above, 0);
    ck_assert_int_eq(s.at_or_below, 0); /* the interval straddles 0.5 */
    a.n = 263;
    a.k = 81;
    cai_agree_summarize(&s, &a, 0, 0);
    ck_assert_int_eq(s.at_or_below, 1);
    a.k = 200;
    cai_agree_summarize(&s, &a, 0, 0);
    ck_assert_int_eq(s.above, 1);
}
END_TEST

/* ---- verdicts on counts ---------------------------------------------------------------- */

static const cai_health_finding *find(const cai_health_report *r, const char *code)
{
    size_t i;

    for (i = 0; i < r->n; i++)
        if (strcmp(r->f[i].code, code) == 0)
            return &r->f[i];
    return NULL;
}

/* A healthy run: consistent orders, no position bias, log-probs. */
static cai_health_counts healthy(void)
{
    cai_health_counts c;

    memset(&c, 0, sizeof(c));
    c.judgments = c.from_logprobs = 400;
    c.first_wins = 201;
    c.second_wins = 199;
    c.order_n = 200;
    c.order_agree = 190;
    c.pairs = c.kept = 200;
    c.longer_n = 200;
    c.longer = 104;
    c.margin_hist[6] = 200;
    return c;
}

START_TEST(health_passes_a_healthy_judge)
{
    cai_health_counts c = healthy();
    cai_health_opts o = CAI_HEALTH_OPTS_INIT;
    cai_health_report r;

    o.swap = o.logprobs_requested = 1;
    ck_assert_int_eq(cai_health_check(&r, &c, &o, NULL), CAI_OK);
    ck_assert_uint_eq(r.n, 0);
    ck_assert_uint_eq(r.errors + r.warnings, 0);
}
END_TEST

START_TEST(health_flags_an_always_first_judge_as_position_noise)
{
    cai_health_counts c = healthy();
    cai_health_opts o = CAI_HEALTH_OPTS_INIT;
    cai_health_report r;
    const cai_health_finding *f;

    c.first_wins = 398;
    c.second_wins = 0;
    c.order_agree = 0;
    o.swap = 1;
    ck_assert_int_eq(cai_health_check(&r, &c, &o, NULL), CAI_OK);
    f = find(&r, "judge_position_bias");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->severity, CAI_HEALTH_ERROR);
    ck_assert_ptr_nonnull(strstr(f->message, "first-shown response in 100.0% of 398 judgments"));
    ck_assert_ptr_nonnull(strstr(f->message, "position noise"));
    ck_assert_ptr_nonnull(find(&r, "judge_order_inconsistent"));
    ck_assert_int_eq(r.f[0].severity, CAI_HEALTH_ERROR); /* errors first */
    /* without swap the position checks do not apply */
    o.swap = 0;
    ck_assert_int_eq(cai_health_check(&r, &c, &o, NULL), CAI_OK);
    ck_assert_ptr_null(find(&r, "judge_position_bias"));
    ck_assert_ptr_null(find(&r, "judge_order_inconsistent"));
    /* 9 of 10 is extreme but not significant at 0.001 */
    c = healthy();
    c.first_wins = 9;
    c.second_wins = 1;
    o.swap = 1;
    ck_assert_int_eq(cai_health_check(&r, &c, &o, NULL), CAI_OK);
    ck_assert_ptr_null(find(&r, "judge_position_bias"));
}
END_TEST

START_TEST(health_thresholds_for_order_text_ties_records_human_length)
{
    cai_health_counts c = healthy();
    cai_health_opts o = CAI_HEALTH_OPTS_INIT;
    cai_health_report r;

    o.swap = o.logprobs_requested = 1;
    c.order_agree = 107; /* 53.5% of 200: one-sided p ~ 0.18 */
    ck_assert_int_eq(cai_health_check(&r, &c, &o, NULL), CAI_OK);
    ck_assert_ptr_nonnull(find(&r, "judge_order_consistency"));
    ck_assert_uint_eq(r.errors, 0);
    c.order_agree = 39; /* 19.5% < 20% */
    ck_assert_int_eq(cai_health_check(&r, &c, &o, NULL), CAI_OK);
    ck_assert_int_eq(find(&r, "judge_order_inconsistent")->severity, CAI_HEALTH_ERROR);

    c = healthy();
    c.from_logprobs = 199;
    c.from_text = 201; /* > 50% */
    ck_assert_int_eq(cai_health_check(&r, &c, &o, NULL), CAI_OK);
    ck_assert_ptr_nonnull(find(&r, "judge_text_fallback"));
    o.logprobs_requested = 0; /* anthropic, cot: text is expected */
    ck_assert_int_eq(cai_health_check(&r, &c, &o, NULL), CAI_OK);
    ck_assert_ptr_null(find(&r, "judge_text_fallback"));

    c = healthy();
    c.ties = c.pairs;
    c.kept = 0;
    ck_assert_int_eq(cai_health_check(&r, &c, &o, NULL), CAI_OK);
    ck_assert_ptr_nonnull(find(&r, "judge_all_ties"));
    ck_assert_ptr_nonnull(find(&r, "no_records"));

    c = healthy();
    c.human_n = 263;
    c.human_agree = 81; /* CI 0.255-0.366: wholly below 0.5 */
    ck_assert_int_eq(cai_health_check(&r, &c, &o, NULL), CAI_OK);
    ck_assert_int_eq(find(&r, "judge_disagrees_with_human")->severity, CAI_HEALTH_ERROR);
    c.human_n = 150;
    c.human_agree = 40; /* below 0.5 but n < 200: a warning */
    ck_assert_int_eq(cai_health_check(&r, &c, &o, NULL), CAI_OK);
    ck_assert_ptr_null(find(&r, "judge_disagrees_with_human"));
    ck_assert_int_eq(find(&r, "judge_human_agreement")->severity, CAI_HEALTH_WARNING);
    c.human_agree = 120;
    ck_assert_int_eq(cai_health_check(&r, &c, &o, NULL), CAI_OK);
    ck_assert_ptr_null(find(&r, "judge_human_agreement"));

    c = healthy();
    c.longer = 180; /* 90% of 200 */
    ck_assert_int_eq(cai_health_check(&r, &c, &o, NULL), CAI_OK);
    ck_assert_int_eq(find(&r, "judge_length_bias")->severity, CAI_HEALTH_WARNING);
    c.longer = 20; /* far less often than chance too */
    ck_assert_int_eq(cai_health_check(&r, &c, &o, NULL), CAI_OK);
    ck_assert_ptr_nonnull(find(&r, "judge_length_bias"));
}
END_TEST

START_TEST(health_margin_quantiles_read_the_histogram)
{
    cai_health_counts c;

    memset(&c, 0, sizeof(c));
    ck_assert(isnan(cai_health_margin_quantile(&c, 0.5)));
    c.margin_hist[0] = 90; /* |P - 0.5| < 0.05 */
    c.margin_hist[9] = 10;
    ck_assert_double_eq_tol(cai_health_margin_quantile(&c, 0.5), 0.05, 1e-12);
    ck_assert_double_eq_tol(cai_health_margin_quantile(&c, 0.95), 0.5, 1e-12);
}
END_TEST

/* ---- whole runs against fake judges -------------------------------------------------- */

static char *dir, *hhh;

static void setup(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    dir = tu_mkdtemp("health");
    ck_assert_ptr_nonnull(dir);
    hhh = tu_strdupf("%s/constitution/hhh.json", tu_source_dir());
}

static void teardown(void)
{
    tu_rmtree(dir);
    free(dir);
    free(hhh);
    curl_global_cleanup();
}

/* n pairs with distinct prompts and responses (no duplicate warnings to hide findings); each
 * prompt ends with a newline, so prompt + response is not `glued`. */
static char *unique_pairs(int n)
{
    char *path = tu_strdupf("%s/pairs-%d.jsonl", dir, n);
    FILE *f = fopen(path, "w");
    int i;

    ck_assert_ptr_nonnull(f);
    for (i = 0; i < n; i++)
        fprintf(f,
                "{\"id\":\"u%d\",\"prompt\":\"What is item %d about?\\n\",\"response_a\":\"Item %d "
                "is about topic %d.\",\"response_b\":\"It covers subject %d, in short.\"}\n",
                i, i, i, i * 7, i * 13);
    fclose(f);
    return path;
}

/* Runs n unique pairs against a fake judge of the given kind; returns the run's status. */
static cai_status
run_kind(int kind, const char *in, const char *out, cai_run_summary *s, cai_error *err)
{
    fake_llm_opts fo = FAKE_LLM_OPTS_INIT;
    const char *inputs[1];
    fake_llm *srv;
    cai_run_opts o;
    cai_run *r = NULL;
    cai_status st;

    fo.judge = kind;
    srv = fake_llm_start(&fo);
    ck_assert_ptr_nonnull(srv);
    inputs[0] = in;
    cai_run_opts_init(&o, CAI_RUN_OPTS_VERSION);
    o.inputs = inputs;
    o.n_inputs = 1;
    o.constitution = hhh;
    o.output_dir = out;
    o.judge.backend = CAI_BACKEND_OPENAI;
    o.judge.base_url = fake_llm_url(srv);
    o.judge.model = "fake-judge";
    o.judge.timeout_s = 5;
    st = cai_run_create(&r, &o, err);
    if (st == CAI_OK)
        st = cai_run_execute(r, s, err);
    cai_run_free(r);
    fake_llm_stop(srv);
    return st;
}

static const cai_health_finding *find_code(const cai_run_summary *s, const char *code)
{
    return find(&s->health_report, code);
}

START_TEST(run_against_an_always_first_judge_reports_position_bias)
{
    char *in = unique_pairs(200), *out = tu_strdupf("%s/first", dir);
    const char *paths[1] = {out};
    cai_validate_opts vo = CAI_VALIDATE_OPTS_INIT;
    cai_run_summary s;
    cai_error err = {0};
    cai_report *rep = NULL;
    char *manifest;

    ck_assert_msg(run_kind(FAKE_JUDGE_FIRST, in, out, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(s.health.first_wins, 400);
    ck_assert_uint_eq(s.health.second_wins, 0);
    ck_assert_uint_eq(s.health.from_logprobs, 400);
    ck_assert_ptr_nonnull(find_code(&s, "judge_position_bias"));
    ck_assert_ptr_nonnull(find_code(&s, "judge_order_inconsistent"));
    ck_assert_ptr_nonnull(find_code(&s, "judge_all_ties")); /* P 0.97 and 0.03 average to 0.5 */
    ck_assert_ptr_nonnull(find_code(&s, "no_records"));
    ck_assert_uint_ge(s.health_report.errors, 4);
    /* the self-validation leaves the health findings to the run's own report */
    ck_assert_int_eq(s.validation_findings, 0);
    manifest = tu_read_in(out, "manifest.json");
    ck_assert_ptr_nonnull(strstr(manifest, "\"judge_position_bias\""));
    ck_assert_ptr_nonnull(strstr(manifest, "\"per_principle\""));
    ck_assert_ptr_nonnull(strstr(manifest, "\"per_input\""));
    free(manifest);
    /* cai validate reaches the same verdict from the manifest */
    ck_assert_int_eq(cai_validate(&rep, paths, 1, &vo, &err), CAI_OK);
    ck_assert_uint_eq(cai_report_count(rep, "judge_position_bias"), 1);
    ck_assert_uint_eq(cai_report_count(rep, "no_records"), 1);
    ck_assert_int_eq(cai_report_failed(rep), 1);
    cai_report_free(rep);
    free(in);
    free(out);
}
END_TEST

START_TEST(run_against_a_coin_flip_judge_warns_about_order_consistency)
{
    char *in = unique_pairs(200), *out = tu_strdupf("%s/coin", dir);
    cai_run_summary s;
    cai_error err = {0};
    const cai_health_finding *f;

    ck_assert_msg(run_kind(FAKE_JUDGE_COIN, in, out, &s, &err) == CAI_OK, "%s", err.msg);
    f = find_code(&s, "judge_order_consistency");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->severity, CAI_HEALTH_WARNING);
    ck_assert_uint_eq(s.health_report.errors, 0);
    ck_assert_uint_eq(s.health.order_n, 200);
    free(in);
    free(out);
}
END_TEST

START_TEST(run_against_a_consistent_judge_has_no_findings)
{
    char *in = unique_pairs(200), *out = tu_strdupf("%s/consistent", dir);
    const char *paths[1] = {out};
    cai_validate_opts vo = CAI_VALIDATE_OPTS_INIT;
    cai_report *rep = NULL;
    cai_run_summary s;
    cai_error err = {0};
    char *text;

    ck_assert_msg(run_kind(FAKE_JUDGE_CONSISTENT, in, out, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_msg(s.health_report.n == 0, "%s: %s", s.health_report.f[0].code,
                  s.health_report.f[0].message);
    ck_assert_uint_gt(s.health.order_agree, s.health.order_n * 9 / 10);
    ck_assert_uint_eq(s.health.kept, s.pairs_kept);
    ck_assert_uint_eq(s.health.judgments, 400);
    ck_assert_int_eq(s.validation_findings, 0);
    ck_assert_int_eq(s.validation_warnings, 0);
    ck_assert_int_eq(cai_validate(&rep, paths, 1, &vo, &err), CAI_OK);
    ck_assert_uint_eq(cai_report_errors(rep) + cai_report_warnings(rep), 0);
    cai_report_free(rep);
    /* every record says who won by shown position, with the same keys and types */
    text = tu_read_in(out, "data/train-00000-of-00001.jsonl.gz");
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(tu_count_lines(text), s.train);
    {
        size_t n = 0;
        const char *p = text;
        while ((p = strstr(p, "\"first_shown_wins\":")) != NULL) {
            n++;
            p++;
        }
        ck_assert_uint_eq(n, s.train);
    }
    free(text);
    free(in);
    free(out);
}
END_TEST

START_TEST(run_of_zero_records_is_an_error)
{
    char *in = tu_strdupf("%s/empty.jsonl", dir), *out = tu_strdupf("%s/empty", dir);
    cai_run_summary s;
    cai_error err = {0};

    ck_assert_int_eq(tu_write_file(in, "", 0), 0);
    ck_assert_msg(run_kind(FAKE_JUDGE_CONSISTENT, in, out, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(s.pairs_kept, 0);
    ck_assert_ptr_nonnull(find_code(&s, "no_records"));
    ck_assert_uint_eq(s.health_report.errors, 1);
    free(in);
    free(out);
}
END_TEST

START_TEST(run_measures_agreement_with_human_labels)
{
    char *in = tu_strdupf("%s/datasets/samples/hh-style.jsonl", tu_source_dir());
    char *out = tu_strdupf("%s/hh", dir), *text;
    cai_run_summary s;
    cai_error err = {0};
    size_t agree = 0;
    const char *p;

    ck_assert_msg(run_kind(FAKE_JUDGE_CONSISTENT, in, out, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_gt(s.health.human_n, 0);
    ck_assert_uint_eq(s.health.human_n, s.pairs_kept); /* no ties at margin 0 */
    text = tu_read_in(out, "data/train-00000-of-00001.jsonl.gz");
    for (p = text; p && (p = strstr(p, "\"agrees_with_human\":true")) != NULL; p++)
        agree++;
    free(text);
    text = tu_read_in(out, "data/test-00000-of-00001.jsonl.gz");
    for (p = text; p && (p = strstr(p, "\"agrees_with_human\":true")) != NULL; p++)
        agree++;
    free(text);
    ck_assert_uint_eq(s.health.human_agree, agree);
    text = tu_read_in(out, "manifest.json");
    ck_assert_ptr_nonnull(strstr(text, "\"human_agreement_ci_low\""));
    free(text);
    free(in);
    free(out);
}
END_TEST

Suite *health_suite(void)
{
    Suite *s = suite_create("health");
    TCase *tc = tcase_create("stats");
    TCase *runs = tcase_create("runs");

    tcase_add_test(tc, binomial_tests_match_exact_values);
    tcase_add_test(tc, wilson_interval_matches_known_values);
    tcase_add_test(tc, agree_summary_says_above_chance_and_at_or_below);
    tcase_add_test(tc, health_passes_a_healthy_judge);
    tcase_add_test(tc, health_flags_an_always_first_judge_as_position_noise);
    tcase_add_test(tc, health_thresholds_for_order_text_ties_records_human_length);
    tcase_add_test(tc, health_margin_quantiles_read_the_histogram);
    suite_add_tcase(s, tc);
    tcase_add_checked_fixture(runs, setup, teardown);
    tcase_set_timeout(runs, 120);
    tcase_add_test(runs, run_against_an_always_first_judge_reports_position_bias);
    tcase_add_test(runs, run_against_a_coin_flip_judge_warns_about_order_consistency);
    tcase_add_test(runs, run_against_a_consistent_judge_has_no_findings);
    tcase_add_test(runs, run_of_zero_records_is_an_error);
    tcase_add_test(runs, run_measures_agreement_with_human_labels);
    suite_add_tcase(s, runs);
    return s;
}

/* SPDX-License-Identifier: MIT */
/* Versioned options: initialisers, unknown versions and out-of-range fields refused by the library.
 */
#include <cai.h>
#include "testutil.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Suite *opts_suite(void);

static char *dir;
static char *hhh;
static const char *inputs[1];

static void setup(void)
{
    dir = tu_mkdtemp("opts");
    ck_assert_ptr_nonnull(dir);
    hhh = tu_strdupf("%s/constitution/hhh.json", tu_source_dir());
    inputs[0] = "in.jsonl"; /* cai_run_create opens nothing; only execute reads it */
}

static void teardown(void)
{
    tu_rmtree(dir);
    free(dir);
    free(hhh);
}

static void base_opts(cai_run_opts *o)
{
    ck_assert_int_eq(cai_run_opts_init(o, CAI_RUN_OPTS_VERSION), CAI_OK);
    o->inputs = inputs;
    o->n_inputs = 1;
    o->constitution = hhh;
    o->output_dir = dir;
}

/* ---- run and judge options: one bad field at a time ------------------------------------- */

typedef struct bad_case {
    const char *field; /* what the message must name */
    void (*set)(cai_run_opts *o);
} bad_case;

static void samples_2_31(cai_run_opts *o)
{
    o->samples = 1u << 31;
    o->judge.temperature = 1;
}
static void samples_65(cai_run_opts *o)
{
    o->samples = 65;
    o->judge.temperature = 1;
}
static void ppp_65(cai_run_opts *o)
{
    o->principles_per_pair = 65;
}
static void ppp_max(cai_run_opts *o)
{
    o->principles_per_pair = 0xffffffffu;
}
static void test_fraction_nan(cai_run_opts *o)
{
    o->test_fraction = NAN;
}
static void test_fraction_big(cai_run_opts *o)
{
    o->test_fraction = 1.5;
}
static void min_margin_big(cai_run_opts *o)
{
    o->min_margin = 0.75;
}
static void failure_rate_neg(cai_run_opts *o)
{
    o->max_failure_rate = -0.1;
}
static void gzip_10(cai_run_opts *o)
{
    o->gzip_level = 10;
}
static void gzip_neg(cai_run_opts *o)
{
    o->gzip_level = -1;
}
static void price_in_huge(cai_run_opts *o)
{
    o->price_input_per_mtok = 1e30;
}
static void price_out_nan(cai_run_opts *o)
{
    o->price_output_per_mtok = NAN;
}
static void progress_inf(cai_run_opts *o)
{
    o->progress_interval_s = INFINITY;
}
static void format_bad(cai_run_opts *o)
{
    o->format = (cai_out_format)7;
}
static void margin_bad(cai_run_opts *o)
{
    o->margin = (cai_margin_mode)5;
}
static void margin_cap_nan(cai_run_opts *o)
{
    o->margin_cap = NAN;
}
static void max_cost_nan(cai_run_opts *o)
{
    o->max_cost = NAN;
}
static void down_timeout_huge(cai_run_opts *o)
{
    o->judge.down_timeout_s = 1e30;
}
static void stop_grace_neg(cai_run_opts *o)
{
    o->judge.stop_grace_s = -1;
}
static void input_format_bad(cai_run_opts *o)
{
    o->input_format = (cai_format)99;
}
static void run_version(cai_run_opts *o)
{
    o->version = CAI_RUN_OPTS_VERSION + 1;
}
static void timeout_huge(cai_run_opts *o)
{
    o->judge.timeout_s = 1e30;
}
static void timeout_nan(cai_run_opts *o)
{
    o->judge.timeout_s = NAN;
}
static void timeout_neg(cai_run_opts *o)
{
    o->judge.timeout_s = -1;
}
static void concurrency_big(cai_run_opts *o)
{
    o->judge.concurrency = 100001;
}
static void temperature_big(cai_run_opts *o)
{
    o->judge.temperature = 2.5;
}
static void rpm_neg(cai_run_opts *o)
{
    o->judge.rpm = -1;
}
static void tpm_inf(cai_run_opts *o)
{
    o->judge.tpm = INFINITY;
}
static void backoff_huge(cai_run_opts *o)
{
    o->judge.backoff_max_s = 1e300;
}
static void backoff_base_nan(cai_run_opts *o)
{
    o->judge.backoff_base_s = NAN;
}
static void max_tokens_big(cai_run_opts *o)
{
    o->judge.max_tokens = 2000000;
}
static void top_logprobs_big(cai_run_opts *o)
{
    o->judge.top_logprobs = 21;
}
static void max_retries_big(cai_run_opts *o)
{
    o->judge.max_retries = 1001;
}
static void backend_bad(cai_run_opts *o)
{
    o->judge.backend = (cai_backend)9;
}
static void clamp_nan(cai_run_opts *o)
{
    o->judge.cot_clamp_hi = NAN;
}
static void judge_version(cai_run_opts *o)
{
    o->judge.version = 0; /* an embedded judge struct from other headers */
}

static const bad_case bad_cases[] = {
    {"cai_run_opts.samples", samples_2_31},
    {"cai_run_opts.samples", samples_65},
    {"cai_run_opts.principles_per_pair", ppp_65},
    {"cai_run_opts.principles_per_pair", ppp_max},
    {"cai_run_opts.test_fraction", test_fraction_nan},
    {"cai_run_opts.test_fraction", test_fraction_big},
    {"cai_run_opts.min_margin", min_margin_big},
    {"cai_run_opts.max_failure_rate", failure_rate_neg},
    {"cai_run_opts.gzip_level", gzip_10},
    {"cai_run_opts.gzip_level", gzip_neg},
    {"cai_run_opts.price_input_per_mtok", price_in_huge},
    {"cai_run_opts.price_output_per_mtok", price_out_nan},
    {"cai_run_opts.progress_interval_s", progress_inf},
    {"cai_run_opts.format", format_bad},
    {"cai_run_opts.input_format", input_format_bad},
    {"cai_run_opts.margin", margin_bad},
    {"cai_run_opts.margin_cap", margin_cap_nan},
    {"cai_run_opts.max_cost", max_cost_nan},
    {"cai_run_opts: unknown version 3", run_version},
    {"cai_judge_opts.timeout_s", timeout_huge},
    {"cai_judge_opts.timeout_s", timeout_nan},
    {"cai_judge_opts.timeout_s", timeout_neg},
    {"cai_judge_opts.concurrency", concurrency_big},
    {"cai_judge_opts.temperature", temperature_big},
    {"cai_judge_opts.rpm", rpm_neg},
    {"cai_judge_opts.tpm", tpm_inf},
    {"cai_judge_opts.backoff_max_s", backoff_huge},
    {"cai_judge_opts.backoff_base_s", backoff_base_nan},
    {"cai_judge_opts.max_tokens", max_tokens_big},
    {"cai_judge_opts.top_logprobs", top_logprobs_big},
    {"cai_judge_opts.max_retries", max_retries_big},
    {"cai_judge_opts.backend", backend_bad},
    {"cai_judge_opts.cot_clamp_hi", clamp_nan},
    {"cai_judge_opts.down_timeout_s", down_timeout_huge},
    {"cai_judge_opts.stop_grace_s", stop_grace_neg},
    {"cai_judge_opts: unknown version 0", judge_version},
};

#define N_BAD ((int)(sizeof(bad_cases) / sizeof(bad_cases[0])))

START_TEST(run_create_refuses_an_out_of_range_field_naming_it)
{
    const bad_case *c = &bad_cases[_i];
    cai_run_opts o;
    cai_run *r = (cai_run *)&o; /* must come back NULL */
    cai_error err = {0};

    base_opts(&o);
    c->set(&o);
    ck_assert_int_eq(cai_run_create(&r, &o, &err), CAI_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(err.code, CAI_EINVAL);
    ck_assert_msg(strstr(err.msg, c->field) != NULL, "case %d: \"%s\" does not name %s", _i,
                  err.msg, c->field);
}
END_TEST

/* The judge's own fields, through cai_judge_create directly (the cases from index first_judge). */
START_TEST(judge_create_refuses_an_out_of_range_field_naming_it)
{
    const bad_case *c = &bad_cases[_i];
    cai_run_opts o;
    cai_judge *j = (cai_judge *)&o;
    cai_error err = {0};

    base_opts(&o);
    c->set(&o);
    ck_assert_int_eq(cai_judge_create(&j, &o.judge, NULL, &err), CAI_EINVAL);
    ck_assert_ptr_null(j);
    ck_assert_msg(strstr(err.msg, c->field) != NULL, "case %d: \"%s\" does not name %s", _i,
                  err.msg, c->field);
}
END_TEST

START_TEST(run_create_accepts_the_largest_allowed_values)
{
    cai_run_opts o;
    cai_run *r = NULL;
    cai_error err = {0};

    base_opts(&o);
    o.samples = 64;
    o.judge.temperature = 2;
    o.principles_per_pair = 64;
    o.test_fraction = 1;
    o.min_margin = 0.5;
    o.max_failure_rate = 1;
    o.gzip_level = 9;
    o.format = CAI_OUT_AUTO;
    o.margin = CAI_MARGIN_NONE;
    o.margin_cap = 1000;
    o.price_input_per_mtok = 1e6;
    o.price_output_per_mtok = 1e6;
    o.judge.timeout_s = 86400;
    o.judge.concurrency = 100000;
    o.judge.max_retries = 1000;
    o.judge.max_tokens = 1000000;
    ck_assert_msg(cai_run_create(&r, &o, &err) == CAI_OK, "%s", err.msg);
    ck_assert_ptr_nonnull(r);
    cai_run_free(r);
}
END_TEST

/* ---- initialisers and versions of every options struct ---------------------------------- */

START_TEST(opts_init_sets_the_version_and_refuses_unknown_ones)
{
    cai_judge_opts j, ji = CAI_JUDGE_OPTS_INIT;
    cai_reader_opts rd, rdi = CAI_READER_OPTS_INIT;
    cai_writer_opts w, wi = CAI_WRITER_OPTS_INIT;
    cai_validate_opts v, vi = CAI_VALIDATE_OPTS_INIT;
    cai_stats_opts s, si = CAI_STATS_OPTS_INIT;
    cai_health_opts h, hi = CAI_HEALTH_OPTS_INIT;
    cai_run_opts r;

    /* The function and the C initialiser give the same defaults, field for field. */
    ck_assert_int_eq(cai_judge_opts_init(&j, CAI_JUDGE_OPTS_VERSION), CAI_OK);
    ck_assert_uint_eq(j.version, CAI_JUDGE_OPTS_VERSION);
    ck_assert_uint_eq(j.max_retries, ji.max_retries);
    ck_assert_uint_eq(j.parse_retries, ji.parse_retries);
    ck_assert_uint_eq(j.max_retries, 8);
    ck_assert_int_eq(cai_reader_opts_init(&rd, CAI_READER_OPTS_VERSION), CAI_OK);
    ck_assert_uint_eq(rd.version, rdi.version);
    ck_assert_int_eq(cai_writer_opts_init(&w, CAI_WRITER_OPTS_VERSION), CAI_OK);
    ck_assert_uint_eq(w.version, wi.version);
    ck_assert_int_eq(cai_validate_opts_init(&v, CAI_VALIDATE_OPTS_VERSION), CAI_OK);
    ck_assert_uint_eq(v.version, vi.version);
    ck_assert_int_eq(cai_stats_opts_init(&s, CAI_STATS_OPTS_VERSION), CAI_OK);
    ck_assert_uint_eq(s.version, si.version);
    ck_assert_int_eq(cai_health_opts_init(&h, CAI_HEALTH_OPTS_VERSION), CAI_OK);
    ck_assert_uint_eq(h.version, hi.version);
    ck_assert_int_eq(cai_run_opts_init(&r, CAI_RUN_OPTS_VERSION), CAI_OK);
    ck_assert_uint_eq(r.version, CAI_RUN_OPTS_VERSION);
    ck_assert_uint_eq(r.judge.version, CAI_JUDGE_OPTS_VERSION);
    ck_assert_uint_eq(r.samples, 1);

    ck_assert_int_eq(cai_judge_opts_init(&j, CAI_JUDGE_OPTS_VERSION + 1), CAI_EINVAL);
    ck_assert_int_eq(cai_reader_opts_init(&rd, 0), CAI_EINVAL);
    ck_assert_int_eq(cai_writer_opts_init(&w, 99), CAI_EINVAL);
    ck_assert_int_eq(cai_validate_opts_init(&v, 2), CAI_EINVAL);
    ck_assert_int_eq(cai_stats_opts_init(&s, 2), CAI_EINVAL);
    ck_assert_int_eq(cai_health_opts_init(&h, 2), CAI_EINVAL);
    ck_assert_int_eq(cai_run_opts_init(&r, CAI_RUN_OPTS_VERSION + 1), CAI_EINVAL);
    ck_assert_int_eq(cai_run_opts_init(NULL, CAI_RUN_OPTS_VERSION), CAI_EINVAL);
}
END_TEST

START_TEST(every_entry_point_refuses_an_unknown_options_version)
{
    const char *paths[1];
    char *file = tu_strdupf("%s/x.jsonl", dir);
    cai_reader_opts rd = CAI_READER_OPTS_INIT;
    cai_writer_opts w = CAI_WRITER_OPTS_INIT;
    cai_validate_opts v = CAI_VALIDATE_OPTS_INIT;
    cai_stats_opts s = CAI_STATS_OPTS_INIT;
    cai_reader *reader = NULL;
    cai_writer *writer = NULL;
    cai_report *report = NULL;
    cai_stats *stats = NULL;
    cai_error err = {0};

    ck_assert_int_eq(tu_write_file(file, "{}\n", 3), 0);
    paths[0] = file;
    rd.version = w.version = v.version = s.version = 7;
    ck_assert_int_eq(cai_reader_create(&reader, file, &rd, &err), CAI_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "cai_reader_opts: unknown version 7"));
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(cai_writer_create(&writer, dir, "x", &w, &err), CAI_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "cai_writer_opts: unknown version 7"));
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(cai_validate(&report, paths, 1, &v, &err), CAI_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "cai_validate_opts: unknown version 7"));
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(cai_stats_collect(&stats, paths, 1, &s, &err), CAI_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "cai_stats_opts: unknown version 7"));
    {
        cai_health_opts h = CAI_HEALTH_OPTS_INIT;
        cai_health_counts c;
        cai_health_report rep;

        memset(&c, 0, sizeof(c));
        memset(&err, 0, sizeof(err));
        h.version = 7;
        rep.n = 99;
        ck_assert_int_eq(cai_health_check(&rep, &c, &h, &err), CAI_EINVAL);
        ck_assert_ptr_nonnull(strstr(err.msg, "cai_health_opts: unknown version 7"));
        ck_assert_uint_eq(rep.n, 0); /* an empty report, not stale findings */
    }
    ck_assert_ptr_null(reader);
    ck_assert_ptr_null(writer);
    ck_assert_ptr_null(report);
    ck_assert_ptr_null(stats);
    free(file);
}
END_TEST

START_TEST(version_macros_and_cai_version_agree)
{
    char want[32];

    snprintf(want, sizeof(want), "%d.%d.%d", CAI_VERSION_MAJOR, CAI_VERSION_MINOR,
             CAI_VERSION_PATCH);
    ck_assert_str_eq(CAI_VERSION, want);
    ck_assert_str_eq(cai_version(), CAI_VERSION);
    ck_assert_int_eq(CAI_VERSION_NUM,
                     (CAI_VERSION_MAJOR << 16) | (CAI_VERSION_MINOR << 8) | CAI_VERSION_PATCH);
}
END_TEST

START_TEST(global_init_nests_with_cleanup)
{
    cai_error err = {0};

    ck_assert_int_eq(cai_global_init(&err), CAI_OK);
    ck_assert_int_eq(cai_global_init(&err), CAI_OK);
    cai_global_cleanup();
    cai_global_cleanup();
    ck_assert_int_eq(err.code, CAI_OK);
}
END_TEST

Suite *opts_suite(void)
{
    Suite *s = suite_create("opts");
    TCase *tc = tcase_create("opts");
    int first_judge = 0;

    while (strncmp(bad_cases[first_judge].field, "cai_judge_opts", 14) != 0)
        first_judge++;
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, run_create_refuses_an_out_of_range_field_naming_it, 0, N_BAD);
    tcase_add_loop_test(tc, judge_create_refuses_an_out_of_range_field_naming_it, first_judge,
                        N_BAD);
    tcase_add_test(tc, run_create_accepts_the_largest_allowed_values);
    tcase_add_test(tc, opts_init_sets_the_version_and_refuses_unknown_ones);
    tcase_add_test(tc, every_entry_point_refuses_an_unknown_options_version);
    tcase_add_test(tc, version_macros_and_cai_version_agree);
    tcase_add_test(tc, global_init_nests_with_cleanup);
    suite_add_tcase(s, tc);
    return s;
}

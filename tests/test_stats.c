/* SPDX-License-Identifier: MIT */
/* Tests for cai_stats: lengths and biases of the real HH-RLHF sample against values computed in
 * Python, label histograms, principles, splits, the SVG document and the binomial test. */
#include "testutil.h"
#include "validate_int.h"
#include "answers_int.h"

#include <cai.h>
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

Suite *stats_suite(void);

static cJSON *stats_json(const char *const *paths, size_t n, cai_stats **keep)
{
    cai_stats *s = NULL;
    cai_error err = {0};
    cJSON *j;
    char *text;

    ck_assert_msg(cai_stats_collect(&s, paths, n, NULL, &err) == CAI_OK, "%s", err.msg);
    text = cai_stats_json(s);
    ck_assert_ptr_nonnull(text);
    j = cJSON_Parse(text);
    ck_assert_ptr_nonnull(j);
    free(text);
    if (keep)
        *keep = s;
    else
        cai_stats_free(s);
    return j;
}

static double num(const cJSON *o, const char *path)
{
    char buf[256], *tok, *save = NULL;
    const cJSON *x = o;

    snprintf(buf, sizeof(buf), "%s", path);
    for (tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
        x = cJSON_GetObjectItemCaseSensitive(x, tok);
        ck_assert_msg(x != NULL, "no %s in %s", tok, path);
    }
    ck_assert_msg(cJSON_IsNumber(x), "%s is not a number", path);
    return x->valuedouble;
}

static const cJSON *split_named(const cJSON *j, const char *name)
{
    const cJSON *s;

    cJSON_ArrayForEach(s, cJSON_GetObjectItem(j, "splits"))
    {
        if (strcmp(cJSON_GetObjectItem(s, "split")->valuestring, name) == 0)
            return s;
    }
    ck_abort_msg("no split %s", name);
    return NULL;
}

/*
 * Python, with the transcript split of cai_transcript_split (markers "\n\nHuman:" and
 * "\n\nAssistant:", one space after the colon dropped), characters as code points, the prompt
 * being every turn but the last, median and p90 as the value of rank ceil(q * n):
 *   prompt   n 1000 min 8 median 286 p90 1004 max 3053
 *   chosen   n 1000 min 0 median 112 p90  387 max 1055
 *   rejected n 1000 min 2 median 148 p90  490 max 2469
 *   chosen longer in 444 of 993 pairs, 7 ties; exact two-sided binomial p = 0.000956253915632
 */
START_TEST(stats_hh_sample_matches_python)
{
    char *path = strdup(tu_hh_sample());
    const char *p = path;
    cJSON *j = stats_json(&p, 1, NULL);
    const cJSON *s = split_named(j, "all");

    ck_assert_int_eq((int)num(s, "records"), 1000);
    ck_assert_int_eq((int)num(s, "invalid_lines"), 3); /* the empty replies */
    ck_assert_int_eq((int)num(s, "lengths.prompt.min"), 8);
    ck_assert_int_eq((int)num(s, "lengths.prompt.median"), 286);
    ck_assert_int_eq((int)num(s, "lengths.prompt.p90"), 1004);
    ck_assert_int_eq((int)num(s, "lengths.prompt.max"), 3053);
    ck_assert_int_eq((int)num(s, "lengths.chosen.min"), 0);
    ck_assert_int_eq((int)num(s, "lengths.chosen.median"), 112);
    ck_assert_int_eq((int)num(s, "lengths.chosen.p90"), 387);
    ck_assert_int_eq((int)num(s, "lengths.chosen.max"), 1055);
    ck_assert_int_eq((int)num(s, "lengths.rejected.min"), 2);
    ck_assert_int_eq((int)num(s, "lengths.rejected.median"), 148);
    ck_assert_int_eq((int)num(s, "lengths.rejected.p90"), 490);
    ck_assert_int_eq((int)num(s, "lengths.rejected.max"), 2469);
    ck_assert_double_eq_tol(num(s, "lengths.prompt.mean"), 426.362, 1e-9);
    ck_assert_int_eq((int)num(s, "length.n"), 993);
    ck_assert_int_eq((int)num(s, "length.chosen_longer"), 444);
    ck_assert_int_eq((int)num(s, "length.ties"), 7);
    ck_assert_double_eq_tol(num(s, "length.p_value"), 0.000956253915632, 1e-12);
    ck_assert_int_eq((int)num(s, "position_a.n"), 0); /* HH carries no positions */
    ck_assert_int_eq((int)num(s, "p_chosen.n"), 0);
    cJSON_Delete(j);
    free(path);
}
END_TEST

START_TEST(stats_binomial_test_is_exact)
{
    /* Exact two-sided values from Python: 2 * sum(comb(n, i) for i <= k) / 2**n. */
    ck_assert_double_eq_tol(cai_stats__binom_p(0, 10), 0.001953125, 1e-15);
    ck_assert_double_eq_tol(cai_stats__binom_p(1, 10), 0.021484375, 1e-15);
    ck_assert_double_eq_tol(cai_stats__binom_p(9, 10), 0.021484375, 1e-15);
    ck_assert_double_eq_tol(cai_stats__binom_p(36, 40), 1.8570244719740003e-07, 1e-18);
    ck_assert_double_eq_tol(cai_stats__binom_p(118, 200), 0.013130355940531583, 1e-12);
    ck_assert_double_eq(cai_stats__binom_p(5, 10), 1.0);
    ck_assert_double_eq(cai_stats__binom_p(0, 0), 1.0);
    /* Tens of millions of trials: no overflow; a 0.05% shift is 7.07 standard deviations
     * (normal approximation with continuity correction, Python: p = 1.539e-12; 0.9775). */
    ck_assert_double_eq_tol(cai_stats__binom_p(25025000, 50000000), 1.539e-12, 0.005e-12);
    ck_assert_double_eq_tol(cai_stats__binom_p(25000100, 50000000), 0.97755, 0.0005);
}
END_TEST

/* Ten labelled records with known p_chosen, positions, agreement and principles. */
static const char labelled[] =
    "{\"prompt\":\"q0\",\"chosen\":\"aaaa\",\"rejected\":\"b\",\"p_chosen\":0.5,"
    "\"cai\":{\"chosen_position\":\"a\",\"orders_agree\":true,\"principles\":[\"x\"]}}\n"
    "{\"prompt\":\"q1\",\"chosen\":\"aaaa\",\"rejected\":\"b\",\"p_chosen\":0.52,"
    "\"cai\":{\"chosen_position\":\"a\",\"orders_agree\":true,\"principles\":[\"x\"]}}\n"
    "{\"prompt\":\"q2\",\"chosen\":\"aaaa\",\"rejected\":\"b\",\"p_chosen\":0.74,"
    "\"cai\":{\"chosen_position\":\"a\",\"orders_agree\":false,\"principles\":[\"x\"]}}\n"
    "{\"prompt\":\"q3\",\"chosen\":\"a\",\"rejected\":\"bbbb\",\"p_chosen\":0.75,"
    "\"cai\":{\"chosen_position\":\"b\",\"orders_agree\":true,\"principles\":[\"x\",\"y\"]}}\n"
    "{\"prompt\":\"q4\",\"chosen\":\"a\",\"rejected\":\"b\",\"p_chosen\":0.99,"
    "\"cai\":{\"chosen_position\":\"b\",\"orders_agree\":null,\"principles\":[\"y\"]}}\n"
    "{\"prompt\":\"q5\",\"chosen\":\"a\",\"rejected\":\"b\",\"p_chosen\":1,"
    "\"cai\":{\"chosen_position\":\"b\",\"orders_agree\":true,\"principles\":[\"y\"]}}\n"
    "{\"prompt\":\"q6\",\"chosen\":\"a\",\"rejected\":\"b\"}\n"
    "{\"prompt\":\"q7\",\"chosen\":\"\xc3\xa9\xc3\xa9\",\"rejected\":\"b\"}\n"
    "not json\n"
    "{\"prompt\":\"q9\",\"chosen\":\"a\",\"rejected\":\"b\",\"p_chosen\":2}\n";

START_TEST(stats_counts_labels_positions_and_principles)
{
    char *dir = tu_mkdtemp("stats"), *path = tu_strdupf("%s/l.jsonl", dir);
    const char *p = path;
    const cJSON *s, *hist, *pr;
    cJSON *j;

    ck_assert_int_eq(tu_write_file(path, labelled, strlen(labelled)), 0);
    j = stats_json(&p, 1, NULL);
    s = split_named(j, "all");
    ck_assert_int_eq((int)num(s, "lines"), 10);
    /* Line 9 is no record; line 10 is one, with an error (p_chosen 2) that keeps it out of the
     * label histogram only. */
    ck_assert_int_eq((int)num(s, "records"), 9);
    ck_assert_int_eq((int)num(s, "invalid_lines"), 2);
    ck_assert_int_eq((int)num(s, "p_chosen.n"), 6);
    ck_assert_double_eq_tol(num(s, "p_chosen.mean"), (0.5 + 0.52 + 0.74 + 0.75 + 0.99 + 1) / 6,
                            1e-12);
    hist = cJSON_GetObjectItem(cJSON_GetObjectItem(s, "p_chosen"), "histogram");
    ck_assert_int_eq(cJSON_GetArraySize(hist), 20);
    ck_assert_int_eq(cJSON_GetArrayItem(hist, 10)->valueint, 2); /* [0.50, 0.55) */
    ck_assert_int_eq(cJSON_GetArrayItem(hist, 14)->valueint, 1); /* 0.74 */
    ck_assert_int_eq(cJSON_GetArrayItem(hist, 15)->valueint, 1); /* 0.75 */
    ck_assert_int_eq(cJSON_GetArrayItem(hist, 19)->valueint, 2); /* 0.99 and 1 */
    ck_assert_int_eq((int)num(s, "position_a.n"), 6);
    ck_assert_int_eq((int)num(s, "position_a.chosen_a"), 3);
    ck_assert_double_eq_tol(num(s, "position_a.p_value"), 1.0, 1e-12);
    ck_assert_int_eq((int)num(s, "consistency.n"), 5);
    ck_assert_int_eq((int)num(s, "consistency.agree"), 4);
    /* Lengths in characters: "éé" is 2, so q7's chosen is the longer one. */
    ck_assert_int_eq((int)num(s, "length.n"), 5);
    ck_assert_int_eq((int)num(s, "length.chosen_longer"), 4);
    ck_assert_int_eq((int)num(s, "length.ties"), 4);
    ck_assert_int_eq((int)num(s, "lengths.chosen.max"), 4);
    pr = cJSON_GetArrayItem(cJSON_GetObjectItem(s, "principles"), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(pr, "id")->valuestring, "x");
    ck_assert_int_eq((int)num(pr, "pairs"), 4);
    ck_assert_int_eq((int)num(pr, "a_wins"), 3);
    ck_assert_double_eq_tol(num(pr, "consistency"), 0.75, 1e-12);
    pr = cJSON_GetArrayItem(cJSON_GetObjectItem(s, "principles"), 1);
    ck_assert_str_eq(cJSON_GetObjectItem(pr, "id")->valuestring, "y");
    ck_assert_int_eq((int)num(pr, "pairs"), 3);
    ck_assert_int_eq((int)num(pr, "a_wins"), 0);
    ck_assert_int_eq((int)num(pr, "consistency_n"), 2);
    cJSON_Delete(j);
    tu_rmtree(dir);
    free(path);
    free(dir);
}
END_TEST

START_TEST(stats_reports_each_split_and_the_total)
{
    char *dir = tu_mkdtemp("stats"), *data = tu_strdupf("%s/data", dir), *a, *b, *text;
    const char *p;
    cai_stats *st;
    cJSON *j;

    ck_assert_int_eq(mkdir(data, 0755), 0);
    a = tu_strdupf("%s/train-00000-of-00001.jsonl", data);
    b = tu_strdupf("%s/test-00000-of-00001.jsonl.gz", data);
    ck_assert_int_eq(tu_write_file(a, labelled, strlen(labelled)), 0);
    ck_assert_int_eq(tu_write_gz(b, labelled, 200), 0); /* the first line and a half */
    p = dir;
    j = stats_json(&p, 1, &st);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "splits")), 3);
    ck_assert_int_eq((int)num(split_named(j, "train"), "records"), 9);
    ck_assert_int_eq((int)num(split_named(j, "test"), "records"), 1);
    ck_assert_int_eq((int)num(split_named(j, "test"), "invalid_lines"), 1);
    ck_assert_int_eq((int)num(split_named(j, "total"), "records"), 10);
    ck_assert_int_eq((int)num(split_named(j, "total"), "files"), 2);
    text = cai_stats_text(st);
    ck_assert_ptr_nonnull(strstr(text, "split train: 9 records (10 lines, 2 invalid) in 1 file\n"));
    ck_assert_ptr_nonnull(strstr(text, "split total: 10 records"));
    free(text);
    cai_stats_free(st);
    cJSON_Delete(j);
    tu_rmtree(dir);
    free(a);
    free(b);
    free(data);
    free(dir);
}
END_TEST

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;

    for (hay = strstr(hay, needle); hay; hay = strstr(hay + 1, needle))
        n++;
    return n;
}

START_TEST(stats_svg_is_a_standalone_document_with_one_bar_per_bin)
{
    char *dir = tu_mkdtemp("stats"), *path = tu_strdupf("%s/l.jsonl", dir), *svg;
    const char *p = path;
    cai_stats *s = NULL;
    cai_error err = {0};

    ck_assert_int_eq(tu_write_file(path, labelled, strlen(labelled)), 0);
    ck_assert_int_eq(cai_stats_collect(&s, &p, 1, NULL, &err), CAI_OK);
    svg = cai_stats_svg(s);
    ck_assert_ptr_nonnull(svg);
    ck_assert_int_eq(strncmp(svg, "<?xml version=\"1.0\"", 19), 0);
    ck_assert_ptr_nonnull(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    ck_assert_int_eq(count(svg, "<svg"), 1);
    ck_assert_int_eq(count(svg, "</svg>\n"), 1);
    ck_assert_int_eq(count(svg, "<g "), count(svg, "</g>"));
    /* Non-empty bins: p_chosen 4; prompt lengths 1 (2 chars); chosen 3 (1, 2 and 4 chars);
     * rejected 2 (1 and 4 chars). One bar, with a tooltip, per non-empty bin. */
    ck_assert_int_eq(count(svg, "<title>"), 4 + 1 + 3 + 2);
    ck_assert_ptr_nonnull(strstr(svg, "<title>0.50: 2</title>"));
    ck_assert_ptr_nonnull(strstr(svg, "p_chosen (n = 6)"));
    ck_assert_ptr_null(strstr(svg, "<script"));
    free(svg);
    cai_stats_free(s);
    tu_rmtree(dir);
    free(path);
    free(dir);
}
END_TEST

START_TEST(stats_unreadable_path_is_an_error_status)
{
    const char *path = "/nonexistent/cai/stats.jsonl";
    cai_stats *s = (cai_stats *)1;
    cai_error err = {0};

    ck_assert_int_eq(cai_stats_collect(&s, &path, 1, NULL, &err), CAI_EIO);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(err.msg, path));
}
END_TEST

/* ---- cai route and cai mix read datasets and answers through the same scanner ------------- */

static const char routed[] =
    "{\"prompt\":\"q0\",\"chosen\":\"a0\",\"rejected\":\"b0\",\"p_chosen\":0.9,\"id\":\"p0\","
    "\"cai\":{\"chosen_position\":\"a\",\"orders_agree\":true,\"principles\":[\"x\"]}}\n"
    "{\"prompt\":\"q1\",\"chosen\":\"a1\",\"rejected\":\"b1\",\"p_chosen\":0.51,\"id\":\"p1\","
    "\"cai\":{\"chosen_position\":\"b\",\"orders_agree\":true,\"principles\":[\"x\"]}}\n"
    "{\"prompt\":\"q2\",\"chosen\":\"a2\",\"rejected\":\"b2\",\"p_chosen\":0.7,\"id\":\"p2\","
    "\"cai\":{\"chosen_position\":\"a\",\"orders_agree\":true,\"principles\":[\"x\"]}}\n"
    "{\"prompt\":\"q3\",\"chosen\":\"a3\",\"rejected\":\"b3\",\"p_chosen\":0.55,\"id\":\"p3\","
    "\"cai\":{\"chosen_position\":\"a\",\"orders_agree\":false,\"principles\":[\"x\"]}}\n";

START_TEST(route_keeps_the_least_certain_and_names_a_bad_line)
{
    char *dir = tu_mkdtemp("route"), *path = tu_strdupf("%s/d.jsonl", dir);
    char *out = tu_strdupf("%s/out", dir), *bad = tu_strdupf("%s/bad.jsonl", dir), *text, *msg;
    const char *p = path;
    cai_route_opts o = CAI_ROUTE_OPTS_INIT;
    cai_route_report rep;
    cai_error err = {0};
    struct stat sb;

    ck_assert_int_eq(tu_write_file(path, routed, strlen(routed)), 0);
    o.count = 2;
    ck_assert_msg(cai_route_run(&rep, &p, 1, out, &o, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(rep.records, 4);
    ck_assert_uint_eq(rep.selected, 2);
    ck_assert_uint_eq(rep.disagreeing, 1);
    text = tu_read_in(out, "tasks.jsonl");
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(tu_count_lines(text), 2);
    /* p1 (0.51) and p3 (0.55), in id order; no label or probability in the export */
    ck_assert_ptr_nonnull(strstr(text, "{\"id\":\"p1\""));
    ck_assert_ptr_nonnull(strstr(text, "{\"id\":\"p3\""));
    ck_assert(strstr(text, "\"p1\"") < strstr(text, "\"p3\""));
    ck_assert_ptr_null(strstr(text, "p_chosen"));
    free(text);
    /* a bad fifth line: FILE:5, and nothing created */
    msg = tu_strdupf("%s%s", routed, "{\"prompt\":\"q\",\"chosen\":\"a\"}\n");
    ck_assert_int_eq(tu_write_file(bad, msg, strlen(msg)), 0);
    free(msg);
    p = bad;
    free(out);
    out = tu_strdupf("%s/out2", dir);
    ck_assert_int_eq(cai_route_run(&rep, &p, 1, out, &o, &err), CAI_EPARSE);
    msg = tu_strdupf("%s:5:", bad);
    ck_assert_msg(strstr(err.msg, msg) != NULL, "%s", err.msg);
    ck_assert_int_ne(stat(out, &sb), 0);
    free(msg);
    tu_rmtree(dir);
    free(bad);
    free(out);
    free(path);
    free(dir);
}
END_TEST

START_TEST(route_shown_order_is_balanced_and_seeded)
{
    int n0 = 0, diff = 0, i;
    char id[32];

    for (i = 0; i < 2000; i++) {
        snprintf(id, sizeof(id), "pair-%d", i);
        n0 += cai_route_swapped(0, id);
        diff += cai_route_swapped(0, id) != cai_route_swapped(1, id);
        ck_assert_int_eq(cai_route_swapped(0, id), cai_route_swapped(0, id));
    }
    ck_assert_int_gt(n0, 900); /* about half swapped: the shown order carries no pattern */
    ck_assert_int_lt(n0, 1100);
    ck_assert_int_gt(diff, 900); /* another seed, another order */
    ck_assert_int_lt(diff, 1100);
}
END_TEST

/* Loads one answers text; returns the status and leaves the message in err. */
static cai_status
load_answers(const char *dir, const char *name, const char *text, cai_answers *a, cai_error *err)
{
    char *path = tu_strdupf("%s/%s", dir, name);
    const char *p = path;
    cai_status st;

    ck_assert_int_eq(tu_write_file(path, text, strlen(text)), 0);
    memset(err, 0, sizeof(*err)); /* cai_error keeps the first message it is given */
    st = cai_answers__load(a, &p, 1, NULL, err);
    free(path);
    return st;
}

START_TEST(mix_answers_are_read_and_bad_ones_name_their_place)
{
    char *dir = tu_mkdtemp("answers");
    cai_answers a;
    cai_error err = {0};

    ck_assert_int_eq(
        load_answers(dir, "ok.jsonl",
                     "{\"id\":\"x\",\"chosen\":\"b\"}\n"
                     "{\"id\":\"w\",\"responses\":{\"preference\":[{\"value\":\"a\"}]}}\n"
                     "{\"id\":\"v\",\"preference.responses\":[\"tie\"]}\n",
                     &a, &err),
        CAI_OK);
    ck_assert_uint_eq(a.n, 3);
    ck_assert_int_eq(cai_answers__find(&a, "x")->slot, CAI_ANSWER_B);
    ck_assert_int_eq(cai_answers__find(&a, "w")->slot, CAI_ANSWER_A);
    ck_assert_int_eq(cai_answers__find(&a, "v")->slot, CAI_ANSWER_TIE);
    ck_assert_ptr_null(cai_answers__find(&a, "u"));
    cai_answers__dispose(&a);
    ck_assert_int_eq(
        load_answers(dir, "ls.json",
                     "[{\"data\":{\"id\":\"x\"},\"annotations\":[{\"result\":[{\"type\":"
                     "\"pairwise\",\"value\":{\"selected\":\"right\"}}]}]},\n"
                     "{\"data\":{\"id\":\"y\"},\"annotations\":[]}]\n",
                     &a, &err),
        CAI_OK);
    ck_assert_uint_eq(a.n, 1);
    ck_assert_uint_eq(a.skipped, 1);
    ck_assert_int_eq(cai_answers__find(&a, "x")->slot, CAI_ANSWER_B);
    cai_answers__dispose(&a);

    ck_assert_int_eq(
        load_answers(dir, "dup.jsonl",
                     "{\"id\":\"x\",\"chosen\":\"a\"}\n{\"id\":\"x\",\"chosen\":\"a\"}\n", &a,
                     &err),
        CAI_EPARSE);
    ck_assert_msg(strstr(err.msg, "dup.jsonl:2: duplicate id \"x\" (first at ") != NULL, "%s",
                  err.msg);
    ck_assert_int_eq(
        load_answers(dir, "val.jsonl", "\n{\"id\":\"x\",\"chosen\":\"left\"}\n", &a, &err),
        CAI_EPARSE);
    ck_assert_msg(strstr(err.msg, "val.jsonl:2: id \"x\": the answer \"left\"") != NULL, "%s",
                  err.msg);
    ck_assert_int_eq(load_answers(dir, "json.jsonl", "{\"id\":\"x\",\n", &a, &err), CAI_EPARSE);
    ck_assert_msg(strstr(err.msg, "json.jsonl:1: invalid JSON") != NULL, "%s", err.msg);
    ck_assert_int_eq(
        load_answers(dir, "ls2.json", "[\n{\"data\":{\"id\":\"x\"}},\n{\"data\":\n", &a, &err),
        CAI_EPARSE);
    ck_assert_msg(strstr(err.msg, "ls2.json:4: invalid JSON") != NULL, "%s", err.msg);
    ck_assert_int_eq(
        load_answers(dir, "ls3.json", "[{\"data\":{\"id\":\"x\"}},{\"data\":{}}]", &a, &err),
        CAI_EPARSE);
    ck_assert_msg(strstr(err.msg, "ls3.json: task 2: no \"data.id\"") != NULL, "%s", err.msg);
    ck_assert_uint_eq(a.n, 0); /* nothing kept after an error */
    tu_rmtree(dir);
    free(dir);
}
END_TEST

Suite *stats_suite(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("stats");
    TCase *hh = tcase_create("hh_sample");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, stats_binomial_test_is_exact);
    tcase_add_test(tc, stats_counts_labels_positions_and_principles);
    tcase_add_test(tc, stats_reports_each_split_and_the_total);
    tcase_add_test(tc, stats_svg_is_a_standalone_document_with_one_bar_per_bin);
    tcase_add_test(tc, stats_unreadable_path_is_an_error_status);
    tcase_add_test(tc, route_keeps_the_least_certain_and_names_a_bad_line);
    tcase_add_test(tc, route_shown_order_is_balanced_and_seeded);
    tcase_add_test(tc, mix_answers_are_read_and_bad_ones_name_their_place);
    suite_add_tcase(s, tc);
    tcase_set_tags(hh, "hh_sample"); /* reads the external HH-RLHF sample (check_main.c) */
    tcase_set_timeout(hh, 60);
    tcase_add_test(hh, stats_hh_sample_matches_python);
    suite_add_tcase(s, hh);
    return s;
}

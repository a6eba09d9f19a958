/* SPDX-License-Identifier: MIT */
/* Tests for verdict parsing: the reply-text table, log-prob normalisation and ratings. */
#include <cai.h>
#include <check.h>
#include <math.h>
#include <string.h>

Suite *verdict_suite(void);

typedef struct verdict_case {
    const char *text;
    cai_verdict want;
} verdict_case;

#define VA CAI_VERDICT_A
#define VB CAI_VERDICT_B
#define VT CAI_VERDICT_TIE
#define VN CAI_VERDICT_NONE

static const verdict_case cases[] = {
    {"A", VA},
    {"B", VB},
    {"(A)", VA},
    {"(B)", VB},
    {"[[A]]", VA},
    {"[[B]]", VB},
    {"**A**", VA},
    {"**B**", VB},
    {"Response A", VA},
    {"Response B", VB},
    {"Answer: B", VB},
    {"Answer: A", VA},
    {"a", VA},
    {"b", VB},
    {"(b)", VB},
    {"(a)", VA},
    {" A\n", VA},
    {"B.", VB},
    {"I think (B) is better.", VB},
    {"The answer is (A)", VA},
    {"The answer is: (B)", VB},
    {"answer: a", VA},
    {"Final answer: b.", VB},
    {"Verdict: (B)", VB},
    {"**Verdict:** (A)", VA},
    {"My verdict is [[B]]", VB},
    {"Response (A) is polite and (A) answers the question, while (B) is curt.\n"
     "Weighing this, the first is better.\nVerdict: (B)",
     VB},
    {"Verdict: (A)\nOn reflection that was wrong.\nVerdict: (B)", VB},
    {"Step 1: (B) mentions the risk. Step 2: (A) gives the facts.\nVerdict: (A)", VA},
    {"A is better because it answers the question.", VA},
    {"Response B better addresses the request.", VB},
    {"Assistant A's reply is more careful.", VA},
    {"A\n\nResponse A is more helpful than B.", VA},
    {"**(B)**\nBecause (A) ignores the question.", VB},
    {"C", VT},
    {"(C)", VT},
    {"tie", VT},
    {"Tie.", VT},
    {"both equally", VT},
    {"Both are equally good", VT},
    {"Verdict: tie", VT},
    {"I cannot help with that", VN},
    {"I'm sorry, but I can't compare these", VN},
    {"I\xe2\x80\x99m sorry, I can\xe2\x80\x99t choose between A and B.", VN},
    {"As an AI, I prefer not to judge (A).", VN},
    {"", VN},
    {"   \n", VN},
    {"Hmm", VN},
    {"A and B are both bad", VN},
    {"Answer: A or B", VN},
    {"Verdict: A and B are equally bad", VN},
    {"(A) is kind but (B) is accurate.", VN},
    {"a better response would mention the risks", VN},
    {"The answer is a bit unclear to me", VN},
    {"A better reply would have asked a question.", VN},
    {"Neither response is any good", VN},
    {"To answer this well, one must consider safety.", VN},
    {"(B) is better, though it is a tie on tone.", VN},
};

START_TEST(verdict_table_case)
{
    const verdict_case *c = &cases[_i];
    cai_verdict got = cai_verdict_parse(c->text, strlen(c->text));

    ck_assert_msg(got == c->want, "case %d \"%s\": got %d, want %d", _i, c->text, (int)got,
                  (int)c->want);
}
END_TEST

START_TEST(verdict_uses_length_not_nul)
{
    /* Only the first byte counts: "A" followed by text the length excludes. */
    ck_assert_int_eq(cai_verdict_parse("AB", 1), CAI_VERDICT_A);
    ck_assert_int_eq(cai_verdict_parse(NULL, 0), CAI_VERDICT_NONE);
}
END_TEST

/* ---------------------------------------------------------------- log-probs */

#define TOK(s, lp)                                                                                 \
    {                                                                                              \
        (s), sizeof(s) - 1, (lp)                                                                   \
    }

START_TEST(logprobs_renormalise_a_and_b)
{
    cai_token_logprob top[] = {TOK("A", log(0.6)), TOK("B", log(0.2)), TOK("C", log(0.2))};
    double p = -1;

    ck_assert_int_eq(cai_verdict_from_logprobs(top, 3, &p), 0);
    ck_assert_double_eq_tol(p, 0.75, 1e-12);
}
END_TEST

START_TEST(logprobs_sum_tokens_that_normalise_to_the_same_letter)
{
    cai_token_logprob top[] = {TOK(" A", log(0.2)), TOK("A", log(0.1)),  TOK("(A", log(0.1)),
                               TOK(" B", log(0.3)), TOK("b)", log(0.1)), TOK("**B**", log(0.1))};
    double p = -1;

    ck_assert_int_eq(cai_verdict_from_logprobs(top, 6, &p), 0);
    ck_assert_double_eq_tol(p, 0.4 / 0.9, 1e-12);
}
END_TEST

START_TEST(logprobs_lower_case_and_markup_count)
{
    cai_token_logprob top[] = {TOK("a", log(0.3)), TOK("[b].", log(0.1)), TOK(" a:", log(0.1))};
    double p = -1;

    ck_assert_int_eq(cai_verdict_from_logprobs(top, 3, &p), 0);
    ck_assert_double_eq_tol(p, 0.8, 1e-12);
}
END_TEST

START_TEST(logprobs_ignore_words_that_merely_contain_the_letter)
{
    cai_token_logprob top[] = {TOK("An", log(0.5)), TOK("AB", log(0.2)), TOK("Ba", log(0.2)),
                               TOK("B", log(0.1))};
    double p = -1;

    ck_assert_int_eq(cai_verdict_from_logprobs(top, 4, &p), 0);
    ck_assert_double_eq_tol(p, 0.0, 1e-12);
}
END_TEST

START_TEST(logprobs_minus_9999_means_absent)
{
    cai_token_logprob top[] = {TOK("A", -9999.0), TOK("B", log(0.5)), TOK("A", -10000.0)};
    cai_token_logprob only_absent[] = {TOK("A", -9999.0), TOK("B", -9999.5)};
    double p = -1;

    ck_assert_int_eq(cai_verdict_from_logprobs(top, 3, &p), 0);
    ck_assert_double_eq(p, 0.0);
    ck_assert_int_eq(cai_verdict_from_logprobs(only_absent, 2, &p), -1);
}
END_TEST

/* Found by fuzz_verdict: +inf or -inf made the log-sum NaN, and a NaN P(A)
 * would have reached the dataset. Non-finite and clearly positive values are
 * absent; float-rounding positives count as log(1). */
START_TEST(logprobs_infinite_values_are_absent)
{
    cai_token_logprob inf[] = {TOK("A", INFINITY), TOK("B", log(0.5)), TOK("A", -INFINITY)};
    cai_token_logprob nan_only[] = {TOK("A", NAN), TOK("B", INFINITY)};
    cai_token_logprob pos[] = {TOK("A", 5.0), TOK("B", log(0.25))};
    cai_token_logprob rounding[] = {TOK("A", 1e-7), TOK("B", log(1e-6))};
    cai_token_logprob digits[] = {TOK("5", INFINITY), TOK("3", 0.0), TOK("6", -INFINITY)};
    double p = -1, score = -1;

    ck_assert_int_eq(cai_verdict_from_logprobs(inf, 3, &p), 0);
    ck_assert_double_eq(p, 0.0);
    ck_assert_int_eq(cai_verdict_from_logprobs(nan_only, 2, &p), -1);
    ck_assert_int_eq(cai_verdict_from_logprobs(pos, 2, &p), 0);
    ck_assert_double_eq(p, 0.0);
    ck_assert_int_eq(cai_verdict_from_logprobs(rounding, 2, &p), 0);
    ck_assert(isfinite(p));
    ck_assert_double_eq_tol(p, 1.0 / (1.0 + 1e-6), 1e-12);
    ck_assert_int_eq(cai_verdict_rating_from_logprobs(digits, 3, &score), 0);
    ck_assert_double_eq(score, 3.0);
}
END_TEST

START_TEST(logprobs_with_fewer_entries_use_what_is_there)
{
    cai_token_logprob one[] = {TOK("A", log(0.9))};
    cai_token_logprob top[] = {TOK("A", log(0.6)), TOK("B", log(0.3))};
    double p = -1;

    ck_assert_int_eq(cai_verdict_from_logprobs(one, 1, &p), 0);
    ck_assert_double_eq(p, 1.0);
    /* n limits the entries read: only the first is seen. */
    ck_assert_int_eq(cai_verdict_from_logprobs(top, 1, &p), 0);
    ck_assert_double_eq(p, 1.0);
    ck_assert_int_eq(cai_verdict_from_logprobs(top, 0, &p), -1);
}
END_TEST

START_TEST(logprobs_letter_after_paren_token)
{
    /* Prefill "The answer is (" leaves the letter as the next token, sometimes with ")". */
    cai_token_logprob top[] = {TOK("B", log(0.7)), TOK("A)", log(0.2)), TOK(" (", log(0.1))};
    double p = -1;

    ck_assert_int_eq(cai_verdict_from_logprobs(top, 3, &p), 0);
    ck_assert_double_eq_tol(p, 0.2 / 0.9, 1e-12);
}
END_TEST

START_TEST(logprobs_none_present_returns_minus_one)
{
    cai_token_logprob top[] = {TOK("The", log(0.5)), TOK("I", log(0.3)), TOK("C", log(0.2))};
    double p = 0.123;

    ck_assert_int_eq(cai_verdict_from_logprobs(top, 3, &p), -1);
    ck_assert_double_eq(p, 0.123);
    ck_assert_int_eq(cai_verdict_from_logprobs(NULL, 0, &p), -1);
}
END_TEST

START_TEST(logprobs_tiny_probabilities_do_not_underflow)
{
    cai_token_logprob top[] = {TOK("A", -800.0), TOK("B", -801.0)};
    double p = -1;

    ck_assert_int_eq(cai_verdict_from_logprobs(top, 2, &p), 0);
    ck_assert_double_eq_tol(p, 1.0 / (1.0 + exp(-1.0)), 1e-12);
}
END_TEST

START_TEST(logprobs_sentencepiece_and_bpe_space_markers)
{
    cai_token_logprob top[] = {TOK("\xe2\x96\x81"
                                   "A",
                                   log(0.5)),
                               TOK("\xc4\xa0"
                                   "B",
                                   log(0.5))};
    double p = -1;

    ck_assert_int_eq(cai_verdict_from_logprobs(top, 2, &p), 0);
    ck_assert_double_eq_tol(p, 0.5, 1e-12);
}
END_TEST

/* ---------------------------------------------------------------- ratings */

START_TEST(rating_expectation_renormalises_digits)
{
    cai_token_logprob top[] = {TOK("5", log(0.5)), TOK("6", log(0.25)), TOK(" 7", log(0.25)),
                               TOK("8", log(0.3)), TOK("0", log(0.3)),  TOK("x", log(0.1))};
    double s = 0;

    /* The non-digits and 0/8 are dropped; 5*.5 + 6*.25 + 7*.25 = 5.75. */
    ck_assert_int_eq(cai_verdict_rating_from_logprobs(top, 6, &s), 0);
    ck_assert_double_eq_tol(s, 5.75, 1e-12);
}
END_TEST

START_TEST(rating_expectation_sums_duplicates_and_skips_absent)
{
    cai_token_logprob top[] = {TOK("2", log(0.2)), TOK(" 2", log(0.2)), TOK("4", log(0.4)),
                               TOK("7", -9999.0)};
    double s = 0;

    ck_assert_int_eq(cai_verdict_rating_from_logprobs(top, 4, &s), 0);
    ck_assert_double_eq_tol(s, 3.0, 1e-12);
}
END_TEST

START_TEST(rating_expectation_without_digits_fails)
{
    cai_token_logprob top[] = {TOK("The", log(0.5)), TOK("9", log(0.5)), TOK("10", log(0.5))};
    double s = 0;

    ck_assert_int_eq(cai_verdict_rating_from_logprobs(top, 3, &s), -1);
}
END_TEST

typedef struct rating_case {
    const char *text;
    double want; /* 0 = rejected */
} rating_case;

static const rating_case ratings[] = {
    {"5", 5},
    {"Rating: 6", 6},
    {"6/7", 6},
    {"**4**", 4},
    {"1", 1},
    {"7.", 7},
    {"I would give it a 3 out of 7.", 3},
    {"rating: 2\n", 2},
    {"Score: 5/7", 5},
    {"The first reading suggested 3, but my final rating is 6", 6},
    {"0", 0},
    {"8", 0},
    {"10", 0},
    {"Rating: 9", 0},
    {"", 0},
    {"no digits here", 0},
    {"between 3 and 5", 0},
    {"5th", 0},
};

START_TEST(rating_text_case)
{
    const rating_case *c = &ratings[_i];
    double s = -1;
    int rc = cai_verdict_parse_rating(c->text, strlen(c->text), &s);

    if (c->want == 0) {
        ck_assert_msg(rc == -1, "\"%s\" accepted as %g", c->text, s);
    } else {
        ck_assert_msg(rc == 0, "\"%s\" rejected", c->text);
        ck_assert_double_eq(s, c->want);
    }
}
END_TEST

Suite *verdict_suite(void)
{
    Suite *s = suite_create("verdict");
    TCase *text = tcase_create("text");
    TCase *lp = tcase_create("logprobs");
    TCase *rating = tcase_create("rating");

    tcase_add_loop_test(text, verdict_table_case, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(text, verdict_uses_length_not_nul);
    suite_add_tcase(s, text);

    tcase_add_test(lp, logprobs_renormalise_a_and_b);
    tcase_add_test(lp, logprobs_sum_tokens_that_normalise_to_the_same_letter);
    tcase_add_test(lp, logprobs_lower_case_and_markup_count);
    tcase_add_test(lp, logprobs_ignore_words_that_merely_contain_the_letter);
    tcase_add_test(lp, logprobs_minus_9999_means_absent);
    tcase_add_test(lp, logprobs_infinite_values_are_absent);
    tcase_add_test(lp, logprobs_with_fewer_entries_use_what_is_there);
    tcase_add_test(lp, logprobs_letter_after_paren_token);
    tcase_add_test(lp, logprobs_none_present_returns_minus_one);
    tcase_add_test(lp, logprobs_tiny_probabilities_do_not_underflow);
    tcase_add_test(lp, logprobs_sentencepiece_and_bpe_space_markers);
    suite_add_tcase(s, lp);

    tcase_add_test(rating, rating_expectation_renormalises_digits);
    tcase_add_test(rating, rating_expectation_sums_duplicates_and_skips_absent);
    tcase_add_test(rating, rating_expectation_without_digits_fails);
    tcase_add_loop_test(rating, rating_text_case, 0, (int)(sizeof(ratings) / sizeof(ratings[0])));
    suite_add_tcase(s, rating);
    return s;
}

/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the judge-reply verdict parsers of include/cai/verdict.h. */
/*
 * The text parsers get the input as an exact-size heap copy with no NUL after it, so ASan
 * catches any read past len. The same bytes are then read as a list of log-probabilities:
 * each entry is one byte that picks the log-probability (special values included: +-inf,
 * NaN, huge, the "absent" -9999), one length byte (mod 8) and that many token bytes, every
 * token its own exact-size allocation. Results must stay in range: P(A) in [0, 1] and
 * ratings in [1, 7], never NaN.
 */
#include "cai/verdict.h"
#include "fuzz_util.h"

#include <math.h>

#define MAX_TOP 64

static double logprob_of(uint8_t b)
{
    static const double special[16] = {
        INFINITY, -INFINITY, NAN,    1e308,  -1e308, 0.0,   -0.0,  -9999.0,
        -9998.9,  709.0,     -745.0, 1e-300, 3.5,    -1e-9, -50.0, 100.0,
    };

    if (b >= 0xF0)
        return special[b - 0xF0];
    return -(double)b / 8.0;
}

static void check_logprobs(const uint8_t *data, size_t size)
{
    cai_token_logprob top[MAX_TOP];
    char *tok[MAX_TOP];
    size_t n = 0, i = 0, k;
    double v;

    while (i + 2 <= size && n < MAX_TOP) {
        size_t len = data[i + 1] % 8;
        if (i + 2 + len > size)
            break;
        tok[n] = malloc(len ? len : 1);
        if (!tok[n])
            abort();
        memcpy(tok[n], data + i + 2, len);
        top[n].token = tok[n];
        top[n].len = len;
        top[n].logprob = logprob_of(data[i]);
        n++;
        i += 2 + len;
    }
    if (cai_verdict_from_logprobs(top, n, &v) == 0)
        FZ_CHECK(v >= 0.0 && v <= 1.0); /* false for NaN too */
    if (cai_verdict_rating_from_logprobs(top, n, &v) == 0)
        FZ_CHECK(v >= 1.0 && v <= 7.0);
    for (k = 0; k < n; k++)
        free(tok[k]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    cai_verdict v;
    double score;

    if (!text)
        abort();
    if (size > 0)
        memcpy(text, data, size);
    v = cai_verdict_parse(text, size);
    FZ_CHECK(v == CAI_VERDICT_NONE || v == CAI_VERDICT_A || v == CAI_VERDICT_B ||
             v == CAI_VERDICT_TIE);
    if (cai_verdict_parse_rating(text, size, &score) == 0)
        FZ_CHECK(score >= 1.0 && score <= 7.0);
    free(text);
    check_logprobs(data, size);
    return 0;
}

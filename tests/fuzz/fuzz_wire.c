/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the judge backends' reply, error-body and header parsers (wire_int.h). */
/*
 * One input is read as: a 2xx reply body for each backend (cai_wire__parse_reply), an error
 * body (cai_wire__error_message, with and without a secret to redact), and, line by line,
 * reply headers (cai_wire__header, cai_wire__hdrs_pause) and the duration and RFC 3339
 * parsers behind them. Every buffer is an exact-size heap copy, so a read past len is an ASan
 * report. The contracts checked: the error message is one line of printable text, short,
 * and never holds the secret; waits are finite and not negative.
 */
#include "wire_int.h"
#include "fuzz_util.h"

#include <math.h>

static const char secret[] = "sk-fuzz-SECRET-0123456789";

static char *copy_exact(const uint8_t *data, size_t size)
{
    char *s = malloc(size ? size : 1);

    if (!s)
        abort();
    if (size > 0)
        memcpy(s, data, size);
    return s;
}

static void check_reply(const char *body, size_t size)
{
    static const cai_backend backends[] = {CAI_BACKEND_BUILTIN, CAI_BACKEND_OPENAI,
                                           CAI_BACKEND_COMPLETIONS, CAI_BACKEND_ANTHROPIC};
    size_t b, i, sum = 0;

    for (b = 0; b < sizeof(backends) / sizeof(backends[0]); b++) {
        cai_wire_reply r;
        cai_error err = {0};

        if (cai_wire__parse_reply(&r, backends[b], body, size, &err) != CAI_OK) {
            FZ_CHECK(err.code == CAI_EPARSE || err.code == CAI_ESCHEMA);
            FZ_CHECK(r.strings == NULL);
            continue;
        }
        FZ_CHECK(r.n_top <= CAI_WIRE_MAX_TOP);
        FZ_CHECK(r.text || r.text_len == 0);
        for (i = 0; r.text && i < r.text_len; i++)
            sum += (unsigned char)r.text[i];
        for (i = 0; i < r.n_top; i++) {
            size_t k;
            FZ_CHECK(r.top[i].token || r.top[i].len == 0);
            for (k = 0; k < r.top[i].len; k++)
                sum += (unsigned char)r.top[i].token[k];
        }
        cai_wire__reply_dispose(&r);
    }
    (void)sum;
}

static void check_error_message(const char *body, size_t size, const char *key)
{
    char *m = cai_wire__error_message(body, size, key);
    size_t i, n;

    FZ_CHECK(m != NULL);
    n = strlen(m);
    FZ_CHECK(n <= 300); /* ERRMSG_MAX, "..." included */
    for (i = 0; i < n; i++)
        FZ_CHECK((unsigned char)m[i] >= 0x20 && (unsigned char)m[i] != 0x7f);
    if (key && key[0])
        FZ_CHECK(strstr(m, key) == NULL);
    free(m);
}

static void check_headers(const uint8_t *data, size_t size)
{
    cai_wire_hdrs h;
    size_t start = 0, i, k;
    double x, pause;

    cai_wire__hdrs_reset(&h);
    for (i = 0; i <= size; i++) {
        char *line;
        size_t len;

        if (i < size && data[i] != '\n')
            continue;
        len = i - start + (i < size); /* keep the '\n', as curl hands it over */
        line = copy_exact(data + start, len);
        cai_wire__header(&h, line, len, 1.7e9);
        if (cai_wire__parse_duration(line, len, &x) == 0)
            FZ_CHECK(isfinite(x) && x >= 0);
        if (cai_wire__parse_rfc3339(line, len, &x) == 0)
            FZ_CHECK(isfinite(x));
        free(line);
        start = i + 1;
    }
    FZ_CHECK(h.retry_after_s < 0 || isfinite(h.retry_after_s));
    FZ_CHECK(memchr(h.retry_after_date, '\0', sizeof(h.retry_after_date)) != NULL);
    FZ_CHECK(h.should_retry >= -1 && h.should_retry <= 1);
    for (k = 0; k < CAI_RL_KINDS; k++)
        FZ_CHECK(h.reset_s[k] < 0 || isfinite(h.reset_s[k]));
    pause = cai_wire__hdrs_pause(&h);
    FZ_CHECK(isfinite(pause) && pause >= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = copy_exact(data, size), *red;

    check_reply(body, size);
    check_error_message(body, size, secret);
    check_error_message(body, size, NULL);
    red = cai_wire__redact(body, size, secret);
    FZ_CHECK(red != NULL);
    FZ_CHECK(strstr(red, secret) == NULL);
    free(red);
    free(body);
    check_headers(data, size);
    return 0;
}

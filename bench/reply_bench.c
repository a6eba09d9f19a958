/* SPDX-License-Identifier: MIT */
/*
 * Allocations and CPU time per judge reply read (cai_wire__parse_reply), for the reply shapes the
 * backends send. malloc, calloc, realloc and free are wrapped in this program (glibc's
 * __libc_* underneath), so every allocation libcai or cJSON makes while a reply is read is
 * counted. Not a test; bench/reply_bench.sh builds and runs it.
 *
 * Usage: reply_bench [ITERATIONS]
 */
#include "wire_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t k);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

static unsigned long n_alloc; /* a program, not the library: global state is fine here */

void *malloc(size_t n)
{
    n_alloc++;
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t k)
{
    n_alloc++;
    return __libc_calloc(n, k);
}

void *realloc(void *p, size_t n)
{
    n_alloc++;
    return __libc_realloc(p, n);
}

void free(void *p)
{
    __libc_free(p);
}

/* The fake judge's answer (../shared/bench/fake_judge.c), five top log-probs with "bytes". */
static const char openai_body[] =
    "{\"id\":\"chatcmpl-fake-123\",\"object\":\"chat.completion\",\"created\":1764547200,"
    "\"model\":\"fake-judge\",\"system_fingerprint\":\"fp_fake_judge\",\"choices\":[{\"index\":0,"
    "\"message\":{\"role\":\"assistant\",\"content\":\"A\",\"refusal\":null},"
    "\"logprobs\":{\"content\":[{\"token\":\"A\",\"logprob\":-0.31326168751822286,\"bytes\":[65],"
    "\"top_logprobs\":[{\"token\":\"A\",\"logprob\":-0.31326168751822286,\"bytes\":[65]},"
    "{\"token\":\"B\",\"logprob\":-1.7132616875182228,\"bytes\":[66]},"
    "{\"token\":\" A\",\"logprob\":-4.2132616875182229,\"bytes\":[32,65]},"
    "{\"token\":\" B\",\"logprob\":-5.9132616875182232,\"bytes\":[32,66]},"
    "{\"token\":\"(\",\"logprob\":-7.0132616875182234,\"bytes\":[40]}]}],\"refusal\":null},"
    "\"finish_reason\":\"length\"}],"
    "\"usage\":{\"prompt_tokens\":912,\"completion_tokens\":1,\"total_tokens\":913}}";

static const char anthropic_body[] =
    "{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude\","
    "\"content\":[{\"type\":\"text\",\"text\":\"A\"}],\"stop_reason\":\"max_tokens\","
    "\"stop_sequence\":null,\"usage\":{\"input_tokens\":900,\"cache_creation_input_tokens\":0,"
    "\"cache_read_input_tokens\":800,\"output_tokens\":1}}";

static const char completions_body[] =
    "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1764547200,\"model\":\"m\","
    "\"choices\":[{\"index\":0,\"text\":\" A\",\"logprobs\":{\"tokens\":[\" A\"],"
    "\"token_logprobs\":[-0.2],\"top_logprobs\":[{\" A\":-0.2,\" B\":-1.9,\"A\":-4.1,"
    "\"B\":-5.0,\" (\":-6.3}],\"text_offset\":[0]},\"finish_reason\":\"length\"}],"
    "\"usage\":{\"prompt_tokens\":900,\"completion_tokens\":1,\"total_tokens\":901}}";

static double cpu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        cai_backend b;
        const char *body;
    } cases[] = {{"openai (fake judge)", CAI_BACKEND_OPENAI, openai_body},
                 {"anthropic", CAI_BACKEND_ANTHROPIC, anthropic_body},
                 {"completions", CAI_BACKEND_COMPLETIONS, completions_body}};
    long iters = argc > 1 ? atol(argv[1]) : 200000, i;
    size_t c;

    printf("%-22s %6s %8s %14s %12s\n", "reply", "bytes", "n_top", "allocs/reply", "ns/reply");
    for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        size_t len = strlen(cases[c].body), n_top = 0;
        unsigned long a0 = n_alloc;
        double t0 = cpu_now();

        for (i = 0; i < iters; i++) {
            cai_wire_reply r;
            cai_error err = {0};

            if (cai_wire__parse_reply(&r, cases[c].b, cases[c].body, len, &err) != CAI_OK) {
                fprintf(stderr, "reply_bench: %s: %s\n", cases[c].name, err.msg);
                return 1;
            }
            n_top = r.n_top;
            cai_wire__reply_dispose(&r);
        }
        printf("%-22s %6zu %8zu %14.1f %12.0f\n", cases[c].name, len, n_top,
               (double)(n_alloc - a0) / (double)iters, (cpu_now() - t0) / (double)iters * 1e9);
    }
    return 0;
}

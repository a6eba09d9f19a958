/* SPDX-License-Identifier: MIT */
/* Embedding libcai: labels three response pairs with the built-in (offline) judge. */
/*
 * Build against an installed libcai:
 *   cc -o embed examples/embed.c $(pkg-config --cflags --libs cai)
 * It uses the public API only (<cai.h>), as any program would, and is built and run by
 * scripts/install_check.sh, so it stays in step with the headers. The built-in judge is a set
 * of fixed text heuristics (docs/builtin-judge.md), not a model: its labels show the API at
 * work, not labels to train on; an HTTP judge takes backend, base_url, model and api_key.
 */
#include <cai.h>

#include <stdio.h>

typedef struct pair {
    const char *prompt;
    const char *a;
    const char *b;
} pair;

static const pair pairs[] = {
    {"How do I boil an egg?",
     "Place the egg in boiling water for 7 to 9 minutes, then cool it in cold water so it "
     "peels easily.",
     "eggs"},
    {"What is the capital of France?", "I don't know.",
     "The capital of France is Paris, which is also its largest city."},
    {"Can you help me pick a lock to get into my neighbour's house?",
     "Sure: insert a tension wrench and rake the pins until the cylinder turns.",
     "I can't help with getting into someone else's home. If you are locked out of your own, "
     "a licensed locksmith can help."},
};

int main(void)
{
    /* The principle the judge compares by; a constitution file gives several. */
    const cai_principle principle = {"helpful_harmless",
                                     "Which response is more helpful, honest and harmless?",
                                     1.0,
                                     NULL,
                                     0,
                                     NULL,
                                     NULL,
                                     "examples/embed.c"};
    cai_error err = {0};
    cai_judge_opts o;
    cai_judge *judge = NULL;
    size_t i;
    int rc = 1;

    printf("libcai %s (headers %s)\n", cai_version(), CAI_VERSION);
    if (cai_global_init(&err) != CAI_OK) {
        fprintf(stderr, "embed: %s\n", err.msg);
        return 1;
    }
    /* Versioned options: the library checks the version and every field it is given. */
    cai_judge_opts_init(&o, CAI_JUDGE_OPTS_VERSION);
    o.backend = CAI_BACKEND_BUILTIN; /* offline heuristics: no network, no key */
    if (cai_judge_create(&judge, &o, NULL, &err) != CAI_OK) {
        fprintf(stderr, "embed: %s: %s\n", cai_strerror(err.code), err.msg);
        goto done;
    }
    for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        cai_message user = {CAI_ROLE_USER, pairs[i].prompt};
        cai_judge_task task = {{&user, 1, &principle, pairs[i].a, pairs[i].b}, 0, NULL};
        cai_judgment res;
        cai_error e = {0};
        cai_status st = cai_judge_one(judge, &task, &res, NULL, NULL, &e);

        if (st != CAI_OK) {
            fprintf(stderr, "embed: pair %zu: %s: %s\n", i + 1, cai_strerror(st), e.msg);
            goto done;
        }
        printf("pair %zu: verdict %s  P(A)=%.3f  %s\n", i + 1,
               res.verdict == CAI_VERDICT_A   ? "A"
               : res.verdict == CAI_VERDICT_B ? "B"
                                              : "tie",
               res.p_first, pairs[i].prompt);
    }
    rc = 0;
done:
    cai_judge_free(judge);
    cai_global_cleanup();
    return rc;
}

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
#define NPAIRS (sizeof(pairs) / sizeof(pairs[0]))

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
    cai_judge_task task[NPAIRS] = {0};
    cai_message user[NPAIRS];
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
    /* The engine is a queue the caller drives (include/cai/judge.h): add every pair, then
     * perform, read completions and wait until none is pending. */
    for (i = 0; i < NPAIRS; i++) {
        task[i].cmp.context = &user[i];
        task[i].cmp.n_context = 1;
        task[i].cmp.principle = &principle;
        task[i].cmp.first = pairs[i].a;
        task[i].cmp.second = pairs[i].b;
        task[i].payload = &user[i]; /* the key the completion gives back */
        user[i].role = CAI_ROLE_USER;
        user[i].content = pairs[i].prompt;
        if (cai_judge_add(judge, &task[i], &err) != CAI_OK) {
            fprintf(stderr, "embed: %s: %s\n", cai_strerror(err.code), err.msg);
            goto done;
        }
    }
    while (cai_judge_pending(judge) > 0) {
        const cai_judge_completion *c;
        cai_status st = cai_judge_perform(judge, NULL, &err);

        while ((c = cai_judge_read(judge)) != NULL) {
            size_t k = (size_t)((const cai_message *)c->task->payload - user);
            const pair *p = &pairs[k];
            const cai_judgment *res = &c->result.judgment;

            if (c->status != CAI_OK) {
                fprintf(stderr, "embed: %s: %s: %s\n", p->prompt, cai_strerror(c->status),
                        c->message);
                goto done;
            }
            printf("pair %zu: verdict %s  P(A)=%.3f  %s\n", k + 1,
                   res->verdict == CAI_VERDICT_A   ? "A"
                   : res->verdict == CAI_VERDICT_B ? "B"
                                                   : "tie",
                   res->p_first, p->prompt);
        }
        if (st == CAI_OK)
            st = cai_judge_wait(judge, 200, &err);
        if (st != CAI_OK) {
            fprintf(stderr, "embed: %s: %s\n", cai_strerror(err.code), err.msg);
            goto done;
        }
    }
    rc = 0;
done:
    cai_judge_free(judge);
    cai_global_cleanup();
    return rc;
}

/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the constitution loader (cai_constitution_load, _lint) on one input file. */
/*
 * The input is written as c.json in a fresh scratch directory next to a fixed, valid parent
 * good_base.json, so inputs with "extends" (the seeds from tests/data/constitution among
 * them) exercise layering, replacement and cycle checks too. A constitution that loads is
 * read back through every accessor, sampled, hashed and its template rendered.
 */
#include "cai/constitution.h"
#include "fuzz_util.h"

static const char base_json[] =
    "{\"name\":\"base\",\"version\":\"0.1\",\"description\":\"parent\",\"principles\":["
    "{\"id\":\"a\",\"text\":\"Which response is more accurate?\",\"weight\":2,\"tags\":[\"t1\"],"
    "\"critique\":\"Say what is wrong.\",\"revision\":\"Fix it.\"},"
    "{\"id\":\"b\",\"text\":\"Which response is kinder?\"}],"
    "\"examples\":[{\"conversation\":\"Human: hi\",\"response_a\":\"Hello!\","
    "\"response_b\":\"What.\",\"answer\":\"A\"}]}";

static void count_line(const char *line, void *payload)
{
    FZ_CHECK(line && line[0]);
    (*(size_t *)payload)++;
}

static void walk(const cai_constitution *c)
{
    size_t i, n = cai_constitution_count(c), picked[8], k, sum = 0;
    const char *t;
    char *canon, *out = NULL;
    cai_error err = {0};

    FZ_CHECK(n > 0);
    sum += strlen(cai_constitution_name(c)) + strlen(cai_constitution_version(c)) +
           strlen(cai_constitution_description(c));
    FZ_CHECK(strlen(cai_constitution_hash(c)) == 64);
    for (i = 0; i < n; i++) {
        const cai_principle *p = cai_constitution_principle(c, i);
        size_t j;
        FZ_CHECK(p && p->id && p->text && p->origin);
        FZ_CHECK(p->weight > 0);
        FZ_CHECK(cai_constitution_find(c, p->id) == (long)i);
        sum += strlen(p->text) + (p->critique ? strlen(p->critique) : 0) +
               (p->revision ? strlen(p->revision) : 0);
        for (j = 0; j < p->n_tags; j++)
            sum += strlen(p->tags[j]);
    }
    FZ_CHECK(cai_constitution_principle(c, n) == NULL);
    for (i = 0; i < cai_constitution_nexamples(c); i++) {
        const cai_example *e = cai_constitution_example(c, i);
        FZ_CHECK(e && (e->answer == 'A' || e->answer == 'B'));
        sum += strlen(e->conversation) + strlen(e->response_a) + strlen(e->response_b);
    }
    k = cai_constitution_sample(c, 42, 8, picked);
    FZ_CHECK(k == (n < 8 ? n : 8));
    for (i = 0; i < k; i++)
        FZ_CHECK(picked[i] < n);
    canon = cai_constitution_canonical_json(c);
    FZ_CHECK(canon != NULL);
    free(canon);
    t = cai_constitution_template(c);
    if (t) {
        /* A loaded template has been checked, so it must render. */
        FZ_CHECK(cai_constitution_render_template(&out, t, "conv", "prin", "ra", "rb", &err) ==
                 CAI_OK);
        free(out);
    }
    (void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char dir[256], path[320], base[320];
    cai_constitution *c = NULL;
    cai_error err = {0};
    size_t lines = 0;
    cai_status st, lst;

    if (fz_mkdtemp(dir, sizeof(dir)) != 0)
        return 0;
    if (!fz_join(path, sizeof(path), dir, "c.json") ||
        !fz_join(base, sizeof(base), dir, "good_base.json") ||
        fz_write(base, base_json, sizeof(base_json) - 1) != 0 || fz_write(path, data, size) != 0)
        goto out;
    st = cai_constitution_load(&c, path, &err);
    if (st == CAI_OK) {
        walk(c);
        cai_constitution_free(c);
    } else {
        FZ_CHECK(c == NULL && err.msg[0]);
    }
    lst = cai_constitution_lint(path, count_line, &lines, &err);
    FZ_CHECK(lst == st); /* lint returns the load status */
out:
    unlink(path);
    unlink(base);
    rmdir(dir);
    return 0;
}

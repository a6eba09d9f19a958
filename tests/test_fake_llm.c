/* SPDX-License-Identifier: MIT */
/* Tests for the fake judge server: wire formats, determinism, faults, counters and concurrency. */
#include "fake_llm.h"
#include "testutil.h"

#include "hash_int.h"
#include <check.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

Suite *fake_llm_suite(void);

#define KEY "sk-fake-SECRET-42"

static fake_llm *srv;

/* ---------------------------------------------------------------- fixtures */

static void start_with(const fake_llm_opts *o)
{
    ck_assert_int_eq(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
    srv = fake_llm_start(o);
    ck_assert_ptr_nonnull(srv);
}

static void setup(void)
{
    fake_llm_opts o = FAKE_LLM_OPTS_INIT;

    o.seed = 11;
    start_with(&o);
}

static void teardown(void)
{
    fake_llm_stop(srv);
    srv = NULL;
    curl_global_cleanup();
}

/* ---------------------------------------------------------------- a tiny client */

typedef struct buf {
    char *p;
    size_t len;
} buf;

static size_t on_data(char *data, size_t size, size_t n, void *payload)
{
    buf *b = payload;
    char *np = realloc(b->p, b->len + size * n + 1);

    if (!np)
        return 0;
    memcpy(np + b->len, data, size * n);
    b->p = np;
    b->len += size * n;
    b->p[b->len] = '\0';
    return size * n;
}

typedef struct resp {
    CURLcode rc;
    long status;
    buf body, hdrs;
} resp;

static void resp_free(resp *r)
{
    free(r->body.p);
    free(r->hdrs.p);
    memset(r, 0, sizeof(*r));
}

/* Prepares e to POST body to url + path with the given extra header lines (NULL-ended). */
static struct curl_slist *prepare(CURL *e,
                                  resp *r,
                                  const char *base,
                                  const char *path,
                                  const char *body,
                                  const char *const *hdrs,
                                  long timeout_ms)
{
    struct curl_slist *sl = curl_slist_append(NULL, "Content-Type: application/json");
    char *url = tu_strdupf("%s%s", base, path);

    for (; hdrs && *hdrs; hdrs++)
        sl = curl_slist_append(sl, *hdrs);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, sl);
    curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &r->hdrs);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    free(url);
    return sl;
}

/* One POST on handle e (reused for keep-alive when the caller passes the same one). */
static resp post_on(CURL *e,
                    const char *base,
                    const char *path,
                    const char *body,
                    const char *const *hdrs,
                    long timeout_ms)
{
    resp r;
    struct curl_slist *sl;

    memset(&r, 0, sizeof(r));
    sl = prepare(e, &r, base, path, body, hdrs, timeout_ms);
    r.rc = curl_easy_perform(e);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(sl);
    return r;
}

static resp post(const char *path, const char *body)
{
    static const char *const auth[] = {"Authorization: Bearer " KEY, NULL};
    CURL *e = curl_easy_init();
    resp r = post_on(e, fake_llm_url(srv), path, body, auth, 5000);

    curl_easy_cleanup(e);
    return r;
}

static resp post_anthropic(const char *body, int with_key, int with_version)
{
    const char *hdrs[3] = {NULL, NULL, NULL};
    size_t n = 0;
    CURL *e = curl_easy_init();
    resp r;

    if (with_key)
        hdrs[n++] = "x-api-key: " KEY;
    if (with_version)
        hdrs[n++] = "anthropic-version: 2023-06-01";
    r = post_on(e, fake_llm_root_url(srv), "/v1/messages", body, hdrs, 5000);
    curl_easy_cleanup(e);
    return r;
}

static cJSON *parse_ok(const resp *r)
{
    cJSON *root;

    ck_assert_int_eq(r->rc, CURLE_OK);
    ck_assert_int_eq(r->status, 200);
    root = cJSON_Parse(r->body.p);
    ck_assert_msg(root != NULL, "not JSON: %s", r->body.p);
    return root;
}

static cJSON *at(const cJSON *o, const char *path)
{
    char key[64];
    const char *p = path;

    while (o && *p) {
        size_t n = strcspn(p, ".");

        ck_assert_uint_lt(n, sizeof(key));
        memcpy(key, p, n);
        key[n] = '\0';
        if (key[0] >= '0' && key[0] <= '9')
            o = cJSON_GetArrayItem(o, atoi(key));
        else
            o = cJSON_GetObjectItemCaseSensitive(o, key);
        p += n;
        if (*p == '.')
            p++;
    }
    ck_assert_msg(o != NULL, "missing %s", path);
    return (cJSON *)o;
}

static const char *str_at(const cJSON *o, const char *path)
{
    cJSON *v = at(o, path);

    ck_assert_msg(cJSON_IsString(v), "%s is not a string", path);
    return v->valuestring;
}

static double num_at(const cJSON *o, const char *path)
{
    cJSON *v = at(o, path);

    ck_assert_msg(cJSON_IsNumber(v), "%s is not a number", path);
    return v->valuedouble;
}

static char *chat_body(const char *question, int max_tokens, int top)
{
    if (top < 0)
        return tu_strdupf("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}],"
                          "\"max_tokens\":%d}",
                          question, max_tokens);
    return tu_strdupf("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}],"
                      "\"max_tokens\":%d,\"temperature\":0,\"logprobs\":true,\"top_logprobs\":%d}",
                      question, max_tokens, top);
}

/* chat_body of "<prefix> <i> (A) (B)". */
static char *chat_body_n(const char *prefix, int i, int max_tokens, int top)
{
    char q[128];

    snprintf(q, sizeof(q), "%s %d (A) (B)", prefix, i);
    return chat_body(q, max_tokens, top);
}

/* P(A) the server must derive from a decoded prompt text (each message content + "\n"). */
static double expected_p(const char *text, uint64_t seed)
{
    uint64_t h = cai_hash64(text, strlen(text), seed);

    return 0.02 + 0.96 * (double)(h % 10000) / 9999.0;
}

/* ---------------------------------------------------------------- wire formats */

START_TEST(chat_reply_has_openai_shape_and_hash_verdict)
{
    char *body = chat_body("Which is kinder, (A) or (B)?", 1, 5);
    resp r = post("/chat/completions", body);
    cJSON *root = parse_ok(&r), *tops;
    double p = expected_p("Which is kinder, (A) or (B)?\n", 11), la = NAN, lb = NAN, prev = 0;
    const char *letter = p >= 0.5 ? "A" : "B";
    int i;

    ck_assert_str_eq(str_at(root, "object"), "chat.completion");
    ck_assert_str_eq(str_at(root, "model"), "m");
    ck_assert_str_eq(str_at(root, "choices.0.message.role"), "assistant");
    ck_assert_str_eq(str_at(root, "choices.0.message.content"), letter);
    ck_assert_str_eq(str_at(root, "choices.0.finish_reason"), "length");
    ck_assert_str_eq(str_at(root, "choices.0.logprobs.content.0.token"), letter);
    tops = at(root, "choices.0.logprobs.content.0.top_logprobs");
    ck_assert_int_eq(cJSON_GetArraySize(tops), 5);
    for (i = 0; i < 5; i++) {
        const cJSON *ti = cJSON_GetArrayItem(tops, i);
        const char *t = str_at(ti, "token");
        double lp = num_at(ti, "logprob");

        if (i > 0)
            ck_assert(lp <= prev); /* the top token comes first */
        prev = lp;
        if (strcmp(t, "A") == 0)
            la = lp;
        if (strcmp(t, "B") == 0)
            lb = lp;
    }
    ck_assert_str_eq(str_at(tops, "0.token"), letter);
    ck_assert_double_eq_tol(exp(la), p, 1e-9);
    ck_assert_double_eq_tol(exp(lb), 1 - p, 1e-9);
    ck_assert_double_eq(num_at(root, "usage.completion_tokens"), 1);
    ck_assert(num_at(root, "usage.prompt_tokens") >= 5);
    ck_assert_double_eq(num_at(root, "usage.total_tokens"),
                        num_at(root, "usage.prompt_tokens") + 1);
    cJSON_Delete(root);
    resp_free(&r);
    free(body);
}
END_TEST

START_TEST(chat_without_logprobs_request_has_null_logprobs)
{
    char *body = chat_body("Pick one: (A) or (B)", 1, -1);
    resp r = post("/chat/completions", body);
    cJSON *root = parse_ok(&r);
    const char *c = str_at(root, "choices.0.message.content");

    ck_assert(strcmp(c, "A") == 0 || strcmp(c, "B") == 0);
    ck_assert(cJSON_IsNull(at(root, "choices.0.logprobs")));
    cJSON_Delete(root);
    resp_free(&r);
    free(body);
}
END_TEST

START_TEST(completions_reply_has_legacy_shape)
{
    resp r = post("/completions", "{\"model\":\"base\",\"prompt\":\"Human: hi\\n(A) x (B) y\\n"
                                  "Answer: (\",\"max_tokens\":1,\"logprobs\":5}");
    cJSON *root = parse_ok(&r), *map, *it;
    double p = expected_p("Human: hi\n(A) x (B) y\nAnswer: (", 11);
    const char *letter = p >= 0.5 ? " A" : " B";
    int n = 0, seen_a = 0, seen_b = 0;

    ck_assert_str_eq(str_at(root, "object"), "text_completion");
    ck_assert_str_eq(str_at(root, "choices.0.text"), letter);
    ck_assert_str_eq(str_at(root, "choices.0.logprobs.tokens.0"), letter);
    ck_assert_double_eq_tol(num_at(root, "choices.0.logprobs.token_logprobs.0"),
                            log(p >= 0.5 ? p : 1 - p), 1e-9);
    map = at(root, "choices.0.logprobs.top_logprobs.0");
    ck_assert(cJSON_IsObject(map));
    cJSON_ArrayForEach(it, map)
    {
        n++;
        seen_a |= strcmp(it->string, " A") == 0;
        seen_b |= strcmp(it->string, " B") == 0;
    }
    ck_assert_int_eq(n, 5);
    ck_assert(seen_a && seen_b);
    ck_assert_double_eq_tol(exp(num_at(map, " A")), p, 1e-9);
    ck_assert_double_eq(num_at(root, "usage.completion_tokens"), 1);
    cJSON_Delete(root);
    resp_free(&r);
}
END_TEST

START_TEST(anthropic_reply_has_messages_shape)
{
    resp r = post_anthropic("{\"model\":\"claude\",\"max_tokens\":1,\"system\":\"Judge.\","
                            "\"messages\":[{\"role\":\"user\",\"content\":\"(A) or (B)?\"}]}",
                            1, 1);
    cJSON *root = parse_ok(&r);
    double p = expected_p("Judge.\n(A) or (B)?\n", 11);

    ck_assert_str_eq(str_at(root, "type"), "message");
    ck_assert_str_eq(str_at(root, "role"), "assistant");
    ck_assert_str_eq(str_at(root, "content.0.type"), "text");
    ck_assert_str_eq(str_at(root, "content.0.text"), p >= 0.5 ? "A" : "B");
    ck_assert_str_eq(str_at(root, "stop_reason"), "max_tokens");
    ck_assert(num_at(root, "usage.input_tokens") >= 1);
    ck_assert_double_eq(num_at(root, "usage.output_tokens"), 1);
    ck_assert_ptr_null(strstr(r.body.p, "logprob"));
    cJSON_Delete(root);
    resp_free(&r);
}
END_TEST

/* ---------------------------------------------------------------- generation mode */

static size_t count_words(const char *t)
{
    size_t n = 0;
    int in = 0;

    for (; *t; t++) {
        if (*t == ' ') {
            in = 0;
        } else if (!in) {
            in = 1;
            n++;
        }
    }
    return n;
}

START_TEST(gen_chat_gives_n_distinct_deterministic_choices)
{
    const char *body = "{\"model\":\"p\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                       "\"n\":3,\"temperature\":0.8,\"seed\":7,\"max_tokens\":100}";
    resp r1, r2, r3;
    cJSON *a, *b, *c;
    int i;

    fake_llm_set_generate(srv, FAKE_GEN_ALL, 5, 9);
    r1 = post("/chat/completions", body);
    r2 = post("/chat/completions", body);
    r3 = post("/chat/completions", "{\"model\":\"p\",\"messages\":[{\"role\":\"user\",\"content\":"
                                   "\"Hi\"}],\"n\":3,\"temperature\":0.8,\"seed\":8}");
    a = parse_ok(&r1);
    b = parse_ok(&r2);
    c = parse_ok(&r3);
    ck_assert_int_eq(cJSON_GetArraySize(at(a, "choices")), 3);
    for (i = 0; i < 3; i++) {
        char path[64];
        const char *t;

        snprintf(path, sizeof(path), "choices.%d.message.content", i);
        t = str_at(a, path);
        ck_assert_str_eq(t, str_at(b, path)); /* a function of the request */
        ck_assert_str_ne(t, str_at(c, path)); /* the request's seed changes it */
        ck_assert_uint_ge(count_words(t), 5);
        ck_assert_uint_le(count_words(t), 9);
        snprintf(path, sizeof(path), "choices.%d.index", i);
        ck_assert_double_eq(num_at(a, path), i);
        snprintf(path, sizeof(path), "choices.%d.finish_reason", i);
        ck_assert_str_eq(str_at(a, path), "stop");
    }
    ck_assert_str_ne(str_at(a, "choices.0.message.content"),
                     str_at(a, "choices.1.message.content"));
    ck_assert_str_ne(str_at(a, "choices.1.message.content"),
                     str_at(a, "choices.2.message.content"));
    ck_assert_double_ge(num_at(a, "usage.completion_tokens"), 15);
    ck_assert_uint_eq(fake_llm_successes(srv), 3);
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(c);
    resp_free(&r1);
    resp_free(&r2);
    resp_free(&r3);
}
END_TEST

START_TEST(gen_max_tokens_cuts_with_finish_reason_length)
{
    resp r, q;
    cJSON *a, *b;

    fake_llm_set_generate(srv, FAKE_GEN_ALL, 20, 20);
    r = post("/completions", "{\"model\":\"p\",\"prompt\":\"Once\",\"n\":2,\"max_tokens\":4}");
    a = parse_ok(&r);
    ck_assert_str_eq(str_at(a, "object"), "text_completion");
    ck_assert_str_eq(str_at(a, "choices.0.finish_reason"), "length");
    ck_assert_str_eq(str_at(a, "choices.1.finish_reason"), "length");
    ck_assert_uint_eq(count_words(str_at(a, "choices.0.text")), 4);
    ck_assert_int_eq(str_at(a, "choices.0.text")[0], ' '); /* completions text carries its space */
    ck_assert_double_eq(num_at(a, "usage.completion_tokens"), 8);
    q = post_anthropic("{\"model\":\"c\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\","
                       "\"content\":\"Once\"}]}",
                       1, 1);
    b = parse_ok(&q);
    ck_assert_str_eq(str_at(b, "stop_reason"), "max_tokens");
    ck_assert_uint_eq(count_words(str_at(b, "content.0.text")), 3);
    ck_assert_double_eq(num_at(b, "usage.output_tokens"), 3);
    cJSON_Delete(a);
    cJSON_Delete(b);
    resp_free(&r);
    resp_free(&q);
}
END_TEST

START_TEST(gen_anthropic_refuses_n_and_varies_identical_requests)
{
    const char *body = "{\"model\":\"c\",\"max_tokens\":50,\"temperature\":1,\"messages\":"
                       "[{\"role\":\"user\",\"content\":\"Tell me\"}]}";
    resp r1, r2, bad;
    cJSON *a, *b;

    fake_llm_set_generate(srv, FAKE_GEN_ALL, 0, 0);
    bad = post_anthropic("{\"model\":\"c\",\"max_tokens\":50,\"n\":2,\"messages\":"
                         "[{\"role\":\"user\",\"content\":\"Tell me\"}]}",
                         1, 1);
    ck_assert_int_eq(bad.status, 400);
    ck_assert_ptr_nonnull(strstr(bad.body.p, "Extra inputs are not permitted"));
    r1 = post_anthropic(body, 1, 1);
    r2 = post_anthropic(body, 1, 1);
    a = parse_ok(&r1);
    b = parse_ok(&r2);
    ck_assert_str_eq(str_at(a, "stop_reason"), "end_turn");
    ck_assert_str_ne(str_at(a, "content.0.text"), str_at(b, "content.0.text"));
    cJSON_Delete(a);
    cJSON_Delete(b);
    resp_free(&r1);
    resp_free(&r2);
    resp_free(&bad);
}
END_TEST

START_TEST(gen_markers_give_empty_duplicate_and_leaking_texts)
{
    resp e, d, l, t0, ea;
    cJSON *je, *jd, *jl, *j0, *jea;

    fake_llm_set_generate(srv, FAKE_GEN_ALL, 0, 0);
    e = post("/chat/completions", "{\"model\":\"p\",\"n\":2,\"messages\":[{\"role\":\"user\","
                                  "\"content\":\"x [[gen:empty]]\"}]}");
    d = post("/chat/completions", "{\"model\":\"p\",\"n\":3,\"messages\":[{\"role\":\"user\","
                                  "\"content\":\"x [[gen:dup]]\"}]}");
    l = post("/chat/completions", "{\"model\":\"p\",\"messages\":[{\"role\":\"user\","
                                  "\"content\":\"x [[gen:leak]] [[gen:words=3]]\"}]}");
    t0 = post("/chat/completions", "{\"model\":\"p\",\"n\":2,\"temperature\":0,\"messages\":"
                                   "[{\"role\":\"user\",\"content\":\"greedy\"}]}");
    ea = post_anthropic("{\"model\":\"c\",\"max_tokens\":9,\"messages\":[{\"role\":\"user\","
                        "\"content\":\"[[gen:empty]]\"}]}",
                        1, 1);
    je = parse_ok(&e);
    jd = parse_ok(&d);
    jl = parse_ok(&l);
    j0 = parse_ok(&t0);
    jea = parse_ok(&ea);
    ck_assert_str_eq(str_at(je, "choices.1.message.content"), "");
    ck_assert_double_eq(num_at(je, "usage.completion_tokens"), 0);
    ck_assert_str_eq(str_at(jd, "choices.0.message.content"),
                     str_at(jd, "choices.2.message.content"));
    ck_assert_str_eq(str_at(j0, "choices.0.message.content"),
                     str_at(j0, "choices.1.message.content"));
    ck_assert_int_eq(
        strncmp(str_at(jl, "choices.0.message.content"), "Here is the revised response: ", 30), 0);
    ck_assert_uint_eq(count_words(str_at(jl, "choices.0.message.content")), 5 + 3);
    ck_assert_int_eq(cJSON_GetArraySize(at(jea, "content")), 0);
    ck_assert_str_eq(str_at(jea, "stop_reason"), "end_turn");
    cJSON_Delete(je);
    cJSON_Delete(jd);
    cJSON_Delete(jl);
    cJSON_Delete(j0);
    cJSON_Delete(jea);
    resp_free(&e);
    resp_free(&d);
    resp_free(&l);
    resp_free(&t0);
    resp_free(&ea);
}
END_TEST

START_TEST(gen_stop_strings_cut_the_text)
{
    resp r, q;
    cJSON *a, *b;
    const char *full, *cut;
    char body[512];

    fake_llm_set_generate(srv, FAKE_GEN_ALL, 12, 12);
    r = post("/chat/completions", "{\"model\":\"p\",\"seed\":3,\"messages\":[{\"role\":\"user\","
                                  "\"content\":\"stops\"}]}");
    a = parse_ok(&r);
    full = str_at(a, "choices.0.message.content");
    /* stop at the text's third word: what comes before it is what must be left */
    {
        const char *w = strchr(strchr(full, ' ') + 1, ' ') + 1;
        char word[32];
        size_t n = strcspn(w, " .");

        ck_assert_uint_lt(n, sizeof(word));
        memcpy(word, w, n);
        word[n] = '\0';
        snprintf(body, sizeof(body),
                 "{\"model\":\"p\",\"seed\":3,\"stop\":[\"zzz\",\" %s\"],\"messages\":[{\"role\":"
                 "\"user\",\"content\":\"stops\"}]}",
                 word);
    }
    q = post("/chat/completions", body);
    b = parse_ok(&q);
    cut = str_at(b, "choices.0.message.content");
    ck_assert_uint_lt(strlen(cut), strlen(full));
    ck_assert_int_eq(strncmp(cut, full, strlen(cut)), 0);
    ck_assert_str_eq(str_at(b, "choices.0.finish_reason"), "stop");
    cJSON_Delete(a);
    cJSON_Delete(b);
    resp_free(&r);
    resp_free(&q);
}
END_TEST

START_TEST(gen_auto_still_judges_judge_prompts)
{
    resp j, g;
    cJSON *a, *b;

    fake_llm_set_generate(srv, FAKE_GEN_AUTO, 0, 0);
    j = post("/chat/completions", "{\"model\":\"p\",\"max_tokens\":1,\"messages\":[{\"role\":"
                                  "\"user\",\"content\":\"<<<RESPONSE_A_x>>> one\"}]}");
    g = post("/chat/completions", "{\"model\":\"p\",\"messages\":[{\"role\":\"user\","
                                  "\"content\":\"Write a poem\"}]}");
    a = parse_ok(&j);
    b = parse_ok(&g);
    ck_assert_uint_eq(strlen(str_at(a, "choices.0.message.content")), 1); /* a letter */
    ck_assert_uint_ge(count_words(str_at(b, "choices.0.message.content")), 8);
    cJSON_Delete(a);
    cJSON_Delete(b);
    resp_free(&j);
    resp_free(&g);
}
END_TEST

START_TEST(anthropic_requires_key_and_version_headers)
{
    const char *body = "{\"model\":\"c\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\","
                       "\"content\":\"hi\"}]}";
    resp r = post_anthropic(body, 0, 1);
    cJSON *root;

    ck_assert_int_eq(r.status, 400);
    root = cJSON_Parse(r.body.p);
    ck_assert_str_eq(str_at(root, "type"), "error");
    ck_assert_str_eq(str_at(root, "error.type"), "invalid_request_error");
    ck_assert_ptr_nonnull(strstr(str_at(root, "error.message"), "x-api-key"));
    cJSON_Delete(root);
    resp_free(&r);
    r = post_anthropic(body, 1, 0);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(r.body.p, "anthropic-version"));
    resp_free(&r);
    ck_assert_uint_eq(fake_llm_count_status(srv, 400), 2);
    ck_assert_uint_eq(fake_llm_successes(srv), 0);
}
END_TEST

START_TEST(malformed_requests_get_4xx)
{
    resp r = post("/chat/completions", "{not json");
    CURL *e;

    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(r.body.p, "\"error\""));
    resp_free(&r);
    r = post("/chat/completions", "{\"model\":\"m\"}");
    ck_assert_int_eq(r.status, 400);
    resp_free(&r);
    r = post("/embeddings", "{}");
    ck_assert_int_eq(r.status, 404);
    resp_free(&r);
    e = curl_easy_init();
    r = post_on(e, fake_llm_url(srv), "/chat/completions", "{}", NULL, 5000);
    resp_free(&r);
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &r.body); /* post_on's were its own locals */
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &r.hdrs);
    ck_assert_int_eq(curl_easy_perform(e), CURLE_OK);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r.status);
    ck_assert_int_eq(r.status, 405);
    resp_free(&r);
    curl_easy_cleanup(e);
    ck_assert_uint_eq(fake_llm_requests(srv), 5);
    ck_assert_uint_eq(fake_llm_successes(srv), 0);
}
END_TEST

/* ---------------------------------------------------------------- determinism and modes */

START_TEST(verdict_depends_on_decoded_text_not_escaping)
{
    /* the same text, escaped two ways */
    resp r1 = post("/chat/completions", "{\"model\":\"m\",\"max_tokens\":1,\"logprobs\":true,"
                                        "\"top_logprobs\":2,\"messages\":[{\"role\":\"user\","
                                        "\"content\":\"A/B \\u0041?\"}]}");
    resp r2 = post("/chat/completions", "{\"model\":\"m\",\"max_tokens\":1,\"logprobs\":true,"
                                        "\"top_logprobs\":2,\"messages\":[{\"role\":\"user\","
                                        "\"content\":\"A\\/B A?\"}]}");
    resp r3 = post("/chat/completions", "{\"model\":\"m\",\"max_tokens\":1,\"logprobs\":true,"
                                        "\"top_logprobs\":2,\"messages\":[{\"role\":\"user\","
                                        "\"content\":\"A/B \\u0041?\"}]}");
    cJSON *a = parse_ok(&r1), *b = parse_ok(&r2);

    ck_assert_double_eq(num_at(a, "choices.0.logprobs.content.0.logprob"),
                        num_at(b, "choices.0.logprobs.content.0.logprob"));
    ck_assert_double_eq_tol(
        exp(num_at(a, "choices.0.logprobs.content.0.top_logprobs.0.logprob")) +
            exp(num_at(a, "choices.0.logprobs.content.0.top_logprobs.1.logprob")),
        1.0, 1e-9);
    ck_assert_str_eq(r1.body.p, r3.body.p); /* same body, same bytes back */
    ck_assert_uint_eq(fake_llm_duplicate_successes(srv), 1);
    cJSON_Delete(a);
    cJSON_Delete(b);
    resp_free(&r1);
    resp_free(&r2);
    resp_free(&r3);
}
END_TEST

START_TEST(seed_changes_the_verdicts)
{
    fake_llm_opts o = FAKE_LLM_OPTS_INIT;
    char *texts[20];
    double p11[20];
    int i, differ = 0, as = 0;

    for (i = 0; i < 20; i++) {
        char *body = chat_body_n("question", i, 1, 2);
        resp r = post("/chat/completions", body);
        cJSON *root = parse_ok(&r);

        texts[i] = body;
        p11[i] = exp(num_at(root, "choices.0.logprobs.content.0.logprob"));
        as += strcmp(str_at(root, "choices.0.message.content"), "A") == 0;
        cJSON_Delete(root);
        resp_free(&r);
    }
    ck_assert(as > 0 && as < 20); /* both letters occur */
    fake_llm_stop(srv);
    o.seed = 12;
    srv = fake_llm_start(&o);
    ck_assert_ptr_nonnull(srv);
    for (i = 0; i < 20; i++) {
        resp r = post("/chat/completions", texts[i]);
        cJSON *root = parse_ok(&r);

        differ += exp(num_at(root, "choices.0.logprobs.content.0.logprob")) != p11[i];
        cJSON_Delete(root);
        resp_free(&r);
        free(texts[i]);
    }
    ck_assert_int_gt(differ, 10);
}
END_TEST

START_TEST(cot_reply_reasons_then_ends_with_the_same_verdict)
{
    char *one = chat_body("Compare (A) and (B). End with Verdict: (A) or (B).", 1, 2);
    char *cot = chat_body("Compare (A) and (B). End with Verdict: (A) or (B).", 512, -1);
    resp r1 = post("/chat/completions", one), r2 = post("/chat/completions", cot);
    cJSON *a = parse_ok(&r1), *b = parse_ok(&r2);
    const char *letter = str_at(a, "choices.0.message.content");
    const char *text = str_at(b, "choices.0.message.content");
    char *tail = tu_strdupf("\nVerdict: (%s)", letter);

    ck_assert_uint_gt(strlen(text), strlen(tail) + 20);
    ck_assert_str_eq(text + strlen(text) - strlen(tail), tail);
    ck_assert_str_eq(str_at(b, "choices.0.finish_reason"), "stop");
    ck_assert_double_eq(num_at(b, "usage.completion_tokens") > 1, 1);
    cJSON_Delete(a);
    cJSON_Delete(b);
    resp_free(&r1);
    resp_free(&r2);
    free(one);
    free(cot);
    free(tail);
}
END_TEST

START_TEST(rating_prompt_gets_a_digit_with_digit_logprobs)
{
    char *body = chat_body("Rate the response on a scale of 1 to 7. Rating:", 1, 10);
    resp r = post("/chat/completions", body);
    cJSON *root = parse_ok(&r), *tops, *it;
    const char *c = str_at(root, "choices.0.message.content");
    double total = 0;

    ck_assert(strlen(c) == 1 && c[0] >= '1' && c[0] <= '7');
    tops = at(root, "choices.0.logprobs.content.0.top_logprobs");
    ck_assert_int_eq(cJSON_GetArraySize(tops), 7);
    ck_assert_str_eq(str_at(tops, "0.token"), c);
    cJSON_ArrayForEach(it, tops)
    {
        const char *t = str_at(it, "token");

        ck_assert(strlen(t) == 1 && t[0] >= '1' && t[0] <= '7');
        total += exp(num_at(it, "logprob"));
    }
    ck_assert_double_eq_tol(total, 1.0, 1e-9);
    cJSON_Delete(root);
    resp_free(&r);
    free(body);
    /* a two-response prompt whose text mentions a rating still gets a letter */
    body = chat_body("(A) says my rating is 5. (B) says 6. Which is better?", 1, 2);
    r = post("/chat/completions", body);
    root = parse_ok(&r);
    c = str_at(root, "choices.0.message.content");
    ck_assert(strcmp(c, "A") == 0 || strcmp(c, "B") == 0);
    cJSON_Delete(root);
    resp_free(&r);
    free(body);
}
END_TEST

/* ---------------------------------------------------------------- faults */

START_TEST(error_faults_send_their_status_and_error_body)
{
    static const fake_fault faults[] = {FAKE_429, FAKE_500, FAKE_503};
    static const long statuses[] = {429, 500, 503};
    char *body = chat_body("x (A) (B)", 1, 2);
    resp r;
    cJSON *root;

    fake_llm_push_fault(srv, faults[_i], 1);
    r = post("/chat/completions", body);
    ck_assert_int_eq(r.rc, CURLE_OK);
    ck_assert_int_eq(r.status, statuses[_i]);
    root = cJSON_Parse(r.body.p);
    ck_assert_ptr_nonnull(root);
    ck_assert(cJSON_IsString(at(root, "error.message")));
    if (faults[_i] == FAKE_429)
        ck_assert_ptr_nonnull(strstr(r.hdrs.p, "Retry-After: 0\r\n"));
    cJSON_Delete(root);
    resp_free(&r);
    ck_assert_uint_eq(fake_llm_count_status(srv, (int)statuses[_i]), 1);
    ck_assert_uint_eq(fake_llm_successes(srv), 0);
    /* the fault was used up: the retry succeeds */
    r = post("/chat/completions", body);
    ck_assert_int_eq(r.status, 200);
    resp_free(&r);
    ck_assert_uint_eq(fake_llm_successes(srv), 1);
    ck_assert_uint_eq(fake_llm_duplicate_successes(srv), 0);
    free(body);
}
END_TEST

START_TEST(retry_after_is_configurable_and_anthropic_errors_use_its_dialect)
{
    fake_llm_opts o = FAKE_LLM_OPTS_INIT;
    resp r;
    cJSON *root;

    fake_llm_stop(srv);
    o.retry_after_s = 7;
    srv = fake_llm_start(&o);
    ck_assert_ptr_nonnull(srv);
    fake_llm_push_fault(srv, FAKE_429, 1);
    r = post_anthropic("{\"model\":\"c\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\","
                       "\"content\":\"hi\"}]}",
                       1, 1);
    ck_assert_int_eq(r.status, 429);
    ck_assert_ptr_nonnull(strstr(r.hdrs.p, "Retry-After: 7\r\n"));
    root = cJSON_Parse(r.body.p);
    ck_assert_str_eq(str_at(root, "type"), "error");
    ck_assert_str_eq(str_at(root, "error.type"), "rate_limit_error");
    cJSON_Delete(root);
    resp_free(&r);
}
END_TEST

START_TEST(fault_401_echoes_the_key)
{
    resp r;

    fake_llm_push_fault(srv, FAKE_401_ECHO, 1);
    r = post("/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                                  "\"content\":\"hi\"}],\"max_tokens\":1}");
    ck_assert_int_eq(r.status, 401);
    ck_assert_ptr_nonnull(strstr(r.body.p, KEY));
    resp_free(&r);
    fake_llm_push_fault(srv, FAKE_401_ECHO, 1);
    r = post_anthropic("{\"model\":\"c\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\","
                       "\"content\":\"hi\"}]}",
                       1, 1);
    ck_assert_int_eq(r.status, 401);
    ck_assert_ptr_nonnull(strstr(r.body.p, KEY));
    ck_assert_ptr_nonnull(strstr(r.body.p, "authentication_error"));
    resp_free(&r);
    ck_assert_uint_eq(fake_llm_count_status(srv, 401), 2);
}
END_TEST

START_TEST(bad_json_is_a_200_that_does_not_parse)
{
    char *body = chat_body("q (A) (B)", 1, 2);
    resp r;

    fake_llm_push_fault(srv, FAKE_BAD_JSON, 1);
    r = post("/chat/completions", body);
    ck_assert_int_eq(r.rc, CURLE_OK);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_gt(r.body.len, 10);
    ck_assert_ptr_null(cJSON_Parse(r.body.p));
    resp_free(&r);
    ck_assert_uint_eq(fake_llm_count_status(srv, 200), 1);
    ck_assert_uint_eq(fake_llm_successes(srv), 0);
    free(body);
}
END_TEST

START_TEST(no_logprobs_still_carries_a_verdict)
{
    char *body = chat_body("q (A) (B)", 1, 5);
    resp r;
    cJSON *root;
    const char *c;

    fake_llm_push_fault(srv, FAKE_NO_LOGPROBS, 1);
    r = post("/chat/completions", body);
    root = parse_ok(&r);
    ck_assert(cJSON_IsNull(at(root, "choices.0.logprobs")));
    c = str_at(root, "choices.0.message.content");
    ck_assert(strcmp(c, "A") == 0 || strcmp(c, "B") == 0);
    cJSON_Delete(root);
    resp_free(&r);
    fake_llm_push_fault(srv, FAKE_NO_LOGPROBS, 1);
    r = post("/completions", "{\"model\":\"b\",\"prompt\":\"p\",\"max_tokens\":1,\"logprobs\":5}");
    root = parse_ok(&r);
    ck_assert(cJSON_IsNull(at(root, "choices.0.logprobs")));
    cJSON_Delete(root);
    resp_free(&r);
    ck_assert_uint_eq(fake_llm_successes(srv), 2);
    free(body);
}
END_TEST

START_TEST(no_verdict_has_neither_letter)
{
    char *body = chat_body("q (A) (B)", 1, 20);
    resp r;
    cJSON *root, *it;

    fake_llm_push_fault(srv, FAKE_NO_VERDICT, 1);
    r = post("/chat/completions", body);
    root = parse_ok(&r);
    ck_assert_str_eq(str_at(root, "choices.0.message.content"), "I'm not able to decide.");
    cJSON_ArrayForEach(it, at(root, "choices.0.logprobs.content.0.top_logprobs"))
    {
        const char *t = str_at(it, "token");

        ck_assert(strcmp(t, "A") != 0 && strcmp(t, "B") != 0);
    }
    cJSON_Delete(root);
    resp_free(&r);
    ck_assert_uint_eq(fake_llm_count_status(srv, 200), 1);
    ck_assert_uint_eq(fake_llm_successes(srv), 0);
    free(body);
}
END_TEST

START_TEST(reset_is_a_transport_error)
{
    char *body = chat_body("q (A) (B)", 1, 2);
    resp r;

    fake_llm_push_fault(srv, FAKE_RESET, 1);
    r = post("/chat/completions", body);
    ck_assert_int_ne(r.rc, CURLE_OK);
    ck_assert_int_ne(r.rc, CURLE_OPERATION_TIMEDOUT);
    resp_free(&r);
    ck_assert_uint_eq(fake_llm_count_status(srv, 0), 1);
    ck_assert_uint_eq(fake_llm_successes(srv), 0);
    r = post("/chat/completions", body);
    ck_assert_int_eq(r.status, 200);
    resp_free(&r);
    free(body);
}
END_TEST

START_TEST(hang_times_out_without_blocking_others)
{
    static const char *const auth[] = {"Authorization: Bearer " KEY, NULL};
    char *b1 = chat_body("first (A) (B)", 1, 2), *b2 = chat_body("second (A) (B)", 1, 2);
    CURLM *m = curl_multi_init();
    CURL *e1 = curl_easy_init(), *e2 = curl_easy_init();
    resp r1, r2, *done;
    struct curl_slist *s1, *s2;
    CURLMsg *msg;
    int running = 1, left, ndone = 0, e2_added = 0;
    CURL *order[2] = {NULL, NULL};

    memset(&r1, 0, sizeof(r1));
    memset(&r2, 0, sizeof(r2));
    fake_llm_push_fault(srv, FAKE_HANG, 1);
    s1 = prepare(e1, &r1, fake_llm_url(srv), "/chat/completions", b1, auth, 1500);
    s2 = prepare(e2, &r2, fake_llm_url(srv), "/chat/completions", b2, auth, 5000);
    curl_multi_add_handle(m, e1);
    while (ndone < 2) {
        curl_multi_perform(m, &running);
        /* the second request goes out only once the first one is hung at the server */
        if (!e2_added && fake_llm_requests(srv) == 1) {
            curl_multi_add_handle(m, e2);
            e2_added = 1;
        }
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&done);
            done->rc = msg->data.result;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &done->status);
            order[ndone++] = msg->easy_handle;
        }
        curl_multi_poll(m, NULL, 0, 20, NULL);
    }
    ck_assert_ptr_eq(order[0], e2); /* answered while the first one hung */
    ck_assert_int_eq(r2.rc, CURLE_OK);
    ck_assert_int_eq(r2.status, 200);
    ck_assert_int_eq(r1.rc, CURLE_OPERATION_TIMEDOUT);
    ck_assert_uint_eq(fake_llm_requests(srv), 2);
    ck_assert_uint_eq(fake_llm_count_status(srv, 0), 1);
    curl_multi_remove_handle(m, e1);
    curl_multi_remove_handle(m, e2);
    curl_easy_cleanup(e1);
    curl_easy_cleanup(e2);
    curl_multi_cleanup(m);
    curl_slist_free_all(s1);
    curl_slist_free_all(s2);
    resp_free(&r1);
    resp_free(&r2);
    free(b1);
    free(b2);
}
END_TEST

START_TEST(pushed_faults_are_a_fifo_and_always_overrides)
{
    char *body = chat_body("fifo (A) (B)", 1, 2);
    static const long want[] = {429, 429, 500, 200};
    resp r;
    int i;

    fake_llm_push_fault(srv, FAKE_429, 2);
    fake_llm_push_fault(srv, FAKE_500, 1);
    fake_llm_push_fault(srv, FAKE_OK, 0); /* no-op */
    for (i = 0; i < 4; i++) {
        r = post("/chat/completions", body);
        ck_assert_int_eq(r.status, want[i]);
        resp_free(&r);
    }
    fake_llm_set_always(srv, FAKE_503);
    fake_llm_push_fault(srv, FAKE_429, 1);
    for (i = 0; i < 3; i++) {
        r = post("/chat/completions", body);
        ck_assert_int_eq(r.status, 503);
        resp_free(&r);
    }
    fake_llm_set_always(srv, FAKE_OK);
    r = post("/chat/completions", body); /* the queued 429 comes back into play */
    ck_assert_int_eq(r.status, 429);
    resp_free(&r);
    ck_assert_uint_eq(fake_llm_requests(srv), 8);
    ck_assert_uint_eq(fake_llm_count_status(srv, 503), 3);
    ck_assert_uint_eq(fake_llm_count_status(srv, 429), 3);
    ck_assert_uint_eq(fake_llm_successes(srv), 1);
    free(body);
}
END_TEST

/* Statuses of 60 distinct requests against a server with seed and a 50% rate of 500s. */
static void random_statuses(uint64_t seed, long out[60])
{
    fake_llm_opts o = FAKE_LLM_OPTS_INIT;
    int i;

    fake_llm_stop(srv);
    o.seed = seed;
    o.fault_rate = 0.5;
    o.fault_mask = 1u << FAKE_500;
    srv = fake_llm_start(&o);
    ck_assert_ptr_nonnull(srv);
    for (i = 0; i < 60; i++) {
        char *body = chat_body_n("random", i, 1, 2);
        resp r = post("/chat/completions", body);

        out[i] = r.status;
        resp_free(&r);
        free(body);
    }
}

START_TEST(random_faults_are_reproducible_and_retries_can_succeed)
{
    long a[60], b[60];
    int i, n500 = 0, attempts;
    char *body = NULL;

    random_statuses(5, a);
    random_statuses(5, b);
    for (i = 0; i < 60; i++) {
        ck_assert(a[i] == 200 || a[i] == 500);
        ck_assert_int_eq(a[i], b[i]);
        n500 += a[i] == 500;
    }
    ck_assert(n500 > 10 && n500 < 50);
    /* a faulted body is decided again on each attempt, so a retry gets through */
    for (i = 0; i < 60 && b[i] != 500; i++) {
    }
    body = chat_body_n("random", i, 1, 2);
    for (attempts = 0; attempts < 30; attempts++) {
        resp r = post("/chat/completions", body);
        long st = r.status;

        resp_free(&r);
        if (st == 200)
            break;
    }
    ck_assert_int_lt(attempts, 30);
    free(body);
    fake_llm_set_fault_rate(srv, 0);
    for (i = 0; i < 10; i++) {
        resp r = post("/chat/completions", "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{"
                                           "\"role\":\"user\",\"content\":\"zero\"}]}");

        ck_assert_int_eq(r.status, 200);
        resp_free(&r);
    }
}
END_TEST

START_TEST(default_fault_mask_never_injects_401_and_covers_the_rest)
{
    fake_llm_opts o = FAKE_LLM_OPTS_INIT;
    static const int statuses[] = {0, 200, 429, 500, 503};
    CURL *e = curl_easy_init();
    int i, kinds = 0;

    fake_llm_stop(srv);
    o.fault_rate = 1.0;
    srv = fake_llm_start(&o);
    ck_assert_ptr_nonnull(srv);
    for (i = 0; i < 80; i++) {
        char *body = chat_body_n("mask", i, 1, 2);
        resp r = post_on(e, fake_llm_url(srv), "/chat/completions", body, NULL, 300);

        resp_free(&r);
        free(body);
    }
    ck_assert_uint_eq(fake_llm_requests(srv), 80);
    ck_assert_uint_eq(fake_llm_count_status(srv, 401), 0);
    for (i = 0; i < 5; i++)
        kinds += fake_llm_count_status(srv, statuses[i]) > 0;
    ck_assert_int_eq(kinds, 5);
    /* only no_logprobs is billed among the 200s; bad_json and no_verdict are not */
    ck_assert_uint_gt(fake_llm_successes(srv), 0);
    ck_assert_uint_lt(fake_llm_successes(srv), fake_llm_count_status(srv, 200));
    curl_easy_cleanup(e);
}
END_TEST

/* ---------------------------------------------------------------- counters, records, log */

START_TEST(counters_count_duplicates_of_exact_bodies)
{
    char *b1 = chat_body("one (A) (B)", 1, 2), *b2 = chat_body("two (A) (B)", 1, 2);
    resp r;

    r = post("/chat/completions", b1);
    resp_free(&r);
    r = post("/chat/completions", b2);
    resp_free(&r);
    ck_assert_uint_eq(fake_llm_duplicate_successes(srv), 0);
    fake_llm_push_fault(srv, FAKE_500, 1);
    r = post("/chat/completions", b1); /* a failed repeat is not paid */
    resp_free(&r);
    ck_assert_uint_eq(fake_llm_duplicate_successes(srv), 0);
    r = post("/chat/completions", b1);
    resp_free(&r);
    r = post("/chat/completions", b1);
    resp_free(&r);
    ck_assert_uint_eq(fake_llm_requests(srv), 5);
    ck_assert_uint_eq(fake_llm_successes(srv), 4);
    ck_assert_uint_eq(fake_llm_duplicate_successes(srv), 2);
    ck_assert_uint_eq(fake_llm_count_status(srv, 200), 4);
    ck_assert_uint_eq(fake_llm_count_status(srv, 500), 1);
    ck_assert_uint_eq(fake_llm_count_status(srv, 404), 0);
    free(b1);
    free(b2);
}
END_TEST

START_TEST(requests_are_recorded_with_headers)
{
    char *b = chat_body("rec (A) (B)", 1, 2), *got, *hdrs;
    resp r = post("/chat/completions", b);

    resp_free(&r);
    got = fake_llm_request_body(srv, 0);
    ck_assert_str_eq(got, b);
    hdrs = fake_llm_request_headers(srv, 0);
    ck_assert_ptr_nonnull(strstr(hdrs, "POST /v1/chat/completions HTTP/1.1\r\n"));
    ck_assert_ptr_nonnull(strstr(hdrs, "Authorization: Bearer " KEY "\r\n"));
    ck_assert_ptr_null(fake_llm_request_body(srv, 1));
    ck_assert_ptr_null(fake_llm_request_headers(srv, 1));
    free(got);
    free(hdrs);
    free(b);
}
END_TEST

START_TEST(keep_alive_reuses_the_connection)
{
    CURL *e = curl_easy_init();
    char *b1 = chat_body("ka1 (A) (B)", 1, 2), *b2 = chat_body("ka2 (A) (B)", 1, 2);
    resp r;
    long conns = -1;

    r = post_on(e, fake_llm_url(srv), "/chat/completions", b1, NULL, 5000);
    ck_assert_int_eq(r.status, 200);
    resp_free(&r);
    r = post_on(e, fake_llm_url(srv), "/chat/completions", b2, NULL, 5000);
    ck_assert_int_eq(r.status, 200);
    curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &conns);
    ck_assert_int_eq(conns, 0);
    resp_free(&r);
    curl_easy_cleanup(e);
    free(b1);
    free(b2);
}
END_TEST

typedef struct feed {
    const char *p;
    size_t left;
} feed;

static size_t feed_read(char *out, size_t size, size_t n, void *payload)
{
    feed *f = payload;
    size_t k = size * n < f->left ? size * n : f->left;

    if (k > 7)
        k = 7; /* many small chunks */
    memcpy(out, f->p, k);
    f->p += k;
    f->left -= k;
    return k;
}

START_TEST(chunked_request_bodies_are_accepted)
{
    char *b = chat_body("chunked (A) (B)", 1, 2), *got;
    CURL *e = curl_easy_init();
    struct curl_slist *sl = curl_slist_append(NULL, "Transfer-Encoding: chunked");
    feed f = {b, strlen(b)};
    char *url = tu_strdupf("%s/chat/completions", fake_llm_url(srv));
    buf out = {0};
    long status = 0;

    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, feed_read);
    curl_easy_setopt(e, CURLOPT_READDATA, &f);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, sl);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &out);
    ck_assert_int_eq(curl_easy_perform(e), CURLE_OK);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    ck_assert_int_eq(status, 200);
    got = fake_llm_request_body(srv, 0);
    ck_assert_str_eq(got, b);
    ck_assert_uint_eq(fake_llm_successes(srv), 1);
    free(got);
    free(out.p);
    free(url);
    free(b);
    curl_slist_free_all(sl);
    curl_easy_cleanup(e);
}
END_TEST

START_TEST(log_file_has_one_line_per_request)
{
    fake_llm_opts o = FAKE_LLM_OPTS_INIT;
    char *dir = tu_mkdtemp("fake-log"), *path = tu_strdupf("%s/req.log", dir), *text, *want;
    char *b = chat_body("logged (A) (B)", 1, 2);
    CURL *e;
    resp r;

    fake_llm_stop(srv);
    o.log_path = path;
    srv = fake_llm_start(&o);
    ck_assert_ptr_nonnull(srv);
    fake_llm_push_fault(srv, FAKE_500, 1);
    fake_llm_push_fault(srv, FAKE_HANG, 1);
    r = post("/chat/completions", b);
    resp_free(&r);
    e = curl_easy_init();
    r = post_on(e, fake_llm_url(srv), "/chat/completions", b, NULL, 200);
    ck_assert_int_eq(r.rc, CURLE_OPERATION_TIMEDOUT);
    curl_easy_cleanup(e);
    resp_free(&r);
    r = post("/chat/completions", b);
    resp_free(&r);
    r = post("/nope", "{}");
    resp_free(&r);
    text = tu_read_file(path, NULL); /* flushed per line: readable while the server runs */
    want = tu_strdupf("500 %016llx /v1/chat/completions\n0 %016llx /v1/chat/completions\n"
                      "200 %016llx /v1/chat/completions\n404 %016llx /v1/nope\n",
                      (unsigned long long)cai_hash64(b, strlen(b), 0),
                      (unsigned long long)cai_hash64(b, strlen(b), 0),
                      (unsigned long long)cai_hash64(b, strlen(b), 0),
                      (unsigned long long)cai_hash64("{}", 2, 0));
    ck_assert_str_eq(text, want);
    free(text);
    free(want);
    free(b);
    fake_llm_stop(srv);
    srv = NULL;
    tu_rmtree(dir);
    free(dir);
    free(path);
}
END_TEST

START_TEST(large_bodies_are_read_whole)
{
    size_t n = 3u << 20, i;
    static const char *const expect[] = {"Expect: 100-continue", NULL};
    char *q = malloc(n + 1), *b, *got, *hdrs;
    CURL *e = curl_easy_init();
    double secs = 0;
    resp r;
    cJSON *root;

    for (i = 0; i < n; i++)
        q[i] = (char)('a' + i % 26);
    q[n] = '\0';
    b = chat_body(q, 1, 2);
    /* curl waits for "100 Continue" before sending the body; without one it would wait 20 s */
    curl_easy_setopt(e, CURLOPT_EXPECT_100_TIMEOUT_MS, 20000L);
    r = post_on(e, fake_llm_url(srv), "/chat/completions", b, expect, 30000);
    curl_easy_getinfo(e, CURLINFO_TOTAL_TIME, &secs);
    ck_assert_msg(secs < 10, "took %.1f s", secs);
    root = parse_ok(&r);
    ck_assert(num_at(root, "usage.prompt_tokens") >= (double)n / 4);
    got = fake_llm_request_body(srv, 0);
    ck_assert_uint_eq(strlen(got), strlen(b));
    hdrs = fake_llm_request_headers(srv, 0);
    ck_assert_ptr_nonnull(strstr(hdrs, "Expect: 100-continue"));
    free(hdrs);
    curl_easy_cleanup(e);
    cJSON_Delete(root);
    resp_free(&r);
    free(got);
    free(b);
    free(q);
}
END_TEST

/* ---------------------------------------------------------------- concurrency */

/* n concurrent requests with distinct bodies through one multi handle, each on its own
 * connection; returns how many got a 200. */
static int many_at_once(int n)
{
    CURLM *m = curl_multi_init();
    CURL **e = calloc((size_t)n, sizeof(*e));
    resp *r = calloc((size_t)n, sizeof(*r));
    struct curl_slist **sl = calloc((size_t)n, sizeof(*sl));
    char **bodies = calloc((size_t)n, sizeof(*bodies));
    int i, running = 1, left, ok = 0;
    CURLMsg *msg;

    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)n);
    for (i = 0; i < n; i++) {
        bodies[i] = chat_body_n("concurrent", i, 1, 2);
        e[i] = curl_easy_init();
        sl[i] =
            prepare(e[i], &r[i], fake_llm_url(srv), "/chat/completions", bodies[i], NULL, 20000);
        curl_easy_setopt(e[i], CURLOPT_FRESH_CONNECT, 1L);
        curl_multi_add_handle(m, e[i]);
    }
    while (running) {
        curl_multi_perform(m, &running);
        if (running)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    while ((msg = curl_multi_info_read(m, &left)) != NULL) {
        long st = 0;

        if (msg->msg != CURLMSG_DONE || msg->data.result != CURLE_OK)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &st);
        ok += st == 200;
    }
    for (i = 0; i < n; i++) {
        curl_multi_remove_handle(m, e[i]);
        curl_easy_cleanup(e[i]);
        curl_slist_free_all(sl[i]);
        resp_free(&r[i]);
        free(bodies[i]);
    }
    curl_multi_cleanup(m);
    free(e);
    free(r);
    free(sl);
    free(bodies);
    return ok;
}

START_TEST(hundred_concurrent_requests_with_latency_overlap)
{
    fake_llm_opts o = FAKE_LLM_OPTS_INIT;
    struct timespec t0, t1;
    double secs;

    fake_llm_stop(srv);
    o.latency_ms = 200;
    srv = fake_llm_start(&o);
    ck_assert_ptr_nonnull(srv);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(many_at_once(100), 100);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    /* one at a time would take 100 x 0.2 s; the server's timers overlap them */
    ck_assert_msg(secs < 10.0, "took %.2f s", secs);
    ck_assert(secs >= 0.2); /* the latency is really applied */
    ck_assert_uint_eq(fake_llm_requests(srv), 100);
    ck_assert_uint_eq(fake_llm_successes(srv), 100);
    ck_assert_uint_eq(fake_llm_duplicate_successes(srv), 0);
}
END_TEST

START_TEST(five_hundred_twenty_connections_at_once)
{
    ck_assert_int_eq(many_at_once(520), 520);
    ck_assert_uint_eq(fake_llm_successes(srv), 520);
}
END_TEST

/* ---------------------------------------------------------------- the standalone binary */

static char *fake_judge_binary(void)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    char *slash;

    ck_assert_int_gt(n, 0);
    self[n] = '\0';
    slash = strrchr(self, '/');
    ck_assert_ptr_nonnull(slash);
    *slash = '\0';
    return tu_strdupf("%s/cai-fake-judge", self);
}

START_TEST(binary_serves_until_sigterm_and_prints_a_summary)
{
    char *bin = fake_judge_binary(), *dir = tu_mkdtemp("fake-bin");
    char *port_file = tu_strdupf("%s/port", dir), *out_path = tu_strdupf("%s/out", dir);
    char *port = NULL, *out, *url, *b = chat_body("binary (A) (B)", 1, 2);
    pid_t pid;
    int status = 0, tries;
    CURL *e = curl_easy_init();
    resp r;
    cJSON *sum;

    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        FILE *f = freopen(out_path, "w", stdout);

        (void)f;
        execl(bin, bin, "--port-file", port_file, "--seed", "3", "--always", "no_logprobs",
              (char *)NULL);
        _exit(127);
    }
    /* wait for the port file: the binary writes it atomically once it listens */
    for (tries = 0; tries < 500 && !(port = tu_read_file(port_file, NULL)); tries++) {
        struct timespec ts = {0, 10 * 1000 * 1000};

        nanosleep(&ts, NULL);
    }
    ck_assert_ptr_nonnull(port);
    url = tu_strdupf("http://127.0.0.1:%d/v1", atoi(port));
    r = post_on(e, url, "/chat/completions", b, NULL, 5000);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body.p, "\"logprobs\":null"));
    resp_free(&r);
    r = post_on(e, url, "/chat/completions", b, NULL, 5000);
    resp_free(&r);
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    out = tu_read_file(out_path, NULL);
    ck_assert_ptr_nonnull(strstr(out, url));
    sum = cJSON_Parse(strchr(out, '\n') + 1);
    ck_assert_ptr_nonnull(sum);
    ck_assert_double_eq(num_at(sum, "requests"), 2);
    ck_assert_double_eq(num_at(sum, "successes"), 2);
    ck_assert_double_eq(num_at(sum, "duplicate_successes"), 1);
    cJSON_Delete(sum);
    curl_easy_cleanup(e);
    tu_rmtree(dir);
    free(out);
    free(url);
    free(port);
    free(b);
    free(bin);
    free(dir);
    free(port_file);
    free(out_path);
}
END_TEST

START_TEST(binary_rejects_bad_arguments)
{
    char *bin = fake_judge_binary();
    char *cmd = tu_strdupf("'%s' --always nonsense", bin);

    ck_assert_int_eq(tu_run(cmd, NULL), 2);
    free(cmd);
    cmd = tu_strdupf("'%s' --fault-rate 2", bin);
    ck_assert_int_eq(tu_run(cmd, NULL), 2);
    free(cmd);
    cmd = tu_strdupf("'%s' --help", bin);
    ck_assert_int_eq(tu_run(cmd, NULL), 0);
    free(cmd);
    free(bin);
}
END_TEST

Suite *fake_llm_suite(void)
{
    Suite *s = suite_create("fake_llm");
    TCase *tc = tcase_create("server");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, chat_reply_has_openai_shape_and_hash_verdict);
    tcase_add_test(tc, chat_without_logprobs_request_has_null_logprobs);
    tcase_add_test(tc, completions_reply_has_legacy_shape);
    tcase_add_test(tc, anthropic_reply_has_messages_shape);
    tcase_add_test(tc, anthropic_requires_key_and_version_headers);
    tcase_add_test(tc, gen_chat_gives_n_distinct_deterministic_choices);
    tcase_add_test(tc, gen_max_tokens_cuts_with_finish_reason_length);
    tcase_add_test(tc, gen_anthropic_refuses_n_and_varies_identical_requests);
    tcase_add_test(tc, gen_markers_give_empty_duplicate_and_leaking_texts);
    tcase_add_test(tc, gen_stop_strings_cut_the_text);
    tcase_add_test(tc, gen_auto_still_judges_judge_prompts);
    tcase_add_test(tc, malformed_requests_get_4xx);
    tcase_add_test(tc, verdict_depends_on_decoded_text_not_escaping);
    tcase_add_test(tc, seed_changes_the_verdicts);
    tcase_add_test(tc, cot_reply_reasons_then_ends_with_the_same_verdict);
    tcase_add_test(tc, rating_prompt_gets_a_digit_with_digit_logprobs);
    tcase_add_loop_test(tc, error_faults_send_their_status_and_error_body, 0, 3);
    tcase_add_test(tc, retry_after_is_configurable_and_anthropic_errors_use_its_dialect);
    tcase_add_test(tc, fault_401_echoes_the_key);
    tcase_add_test(tc, bad_json_is_a_200_that_does_not_parse);
    tcase_add_test(tc, no_logprobs_still_carries_a_verdict);
    tcase_add_test(tc, no_verdict_has_neither_letter);
    tcase_add_test(tc, reset_is_a_transport_error);
    tcase_add_test(tc, hang_times_out_without_blocking_others);
    tcase_add_test(tc, pushed_faults_are_a_fifo_and_always_overrides);
    tcase_add_test(tc, random_faults_are_reproducible_and_retries_can_succeed);
    tcase_add_test(tc, default_fault_mask_never_injects_401_and_covers_the_rest);
    tcase_add_test(tc, counters_count_duplicates_of_exact_bodies);
    tcase_add_test(tc, requests_are_recorded_with_headers);
    tcase_add_test(tc, keep_alive_reuses_the_connection);
    tcase_add_test(tc, chunked_request_bodies_are_accepted);
    tcase_add_test(tc, log_file_has_one_line_per_request);
    tcase_add_test(tc, large_bodies_are_read_whole);
    tcase_add_test(tc, hundred_concurrent_requests_with_latency_overlap);
    tcase_add_test(tc, five_hundred_twenty_connections_at_once);
    tcase_add_test(tc, binary_serves_until_sigterm_and_prints_a_summary);
    tcase_add_test(tc, binary_rejects_bad_arguments);
    suite_add_tcase(s, tc);
    return s;
}

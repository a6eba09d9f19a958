/* SPDX-License-Identifier: MIT */
/* Tests for the judge engine against the fake judge server: backends, faults, pacing, caches. */
#include "fake_llm.h"
#include "ratelimit_int.h"
#include "sockset_int.h"
#include "testutil.h"

#include <cai.h>
#include <check.h>
#include <math.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

Suite *judge_suite(void);

#define KEY "sk-test-SECRET-0123456789"

/* ---------------------------------------------------------------- fixtures */

static fake_llm *srv;
static cai_constitution *con;

static void load_constitution(void)
{
    cai_error err = {0};
    char *path = tu_strdupf("%s/constitution/helpful.json", tu_source_dir());

    ck_assert_msg(cai_constitution_load(&con, path, &err) == CAI_OK, "%s", err.msg);
    free(path);
}

static void setup_plain(void)
{
    load_constitution();
}

/* Loads the constitution and starts the fake server (seed 7) with a Retry-After and latency. */
static void start_server(int retry_after_s, unsigned latency_ms)
{
    fake_llm_opts o = FAKE_LLM_OPTS_INIT;

    load_constitution();
    o.seed = 7;
    o.retry_after_s = retry_after_s;
    o.latency_ms = latency_ms;
    srv = fake_llm_start(&o);
    ck_assert_ptr_nonnull(srv);
}

static void setup_server(void)
{
    start_server(0, 0);
}

static void setup_server_retry_after_1s(void)
{
    start_server(1, 0);
}

static void setup_server_slow(void)
{
    start_server(0, 30);
}

static void teardown(void)
{
    if (srv)
        fake_llm_stop(srv);
    srv = NULL;
    cai_constitution_free(con);
    con = NULL;
}

/* ---------------------------------------------------------------- helpers */

static cai_judge_opts http_opts(cai_backend b)
{
    cai_judge_opts o = CAI_JUDGE_OPTS_INIT;

    o.backend = b;
    o.base_url = b == CAI_BACKEND_ANTHROPIC ? fake_llm_root_url(srv) : fake_llm_url(srv);
    o.model = "fake-judge";
    o.api_key = KEY;
    o.backoff_base_s = 0.001;
    o.backoff_max_s = 0.01;
    o.timeout_s = 5;
    o.rng_seed = 1;
    return o;
}

static cai_judge *make(const cai_judge_opts *o)
{
    cai_judge *j = NULL;
    cai_error err = {0};

    ck_assert_msg(cai_judge_create(&j, o, con, &err) == CAI_OK, "%s", err.msg);
    return j;
}

#define MAX_TASKS 200

/* Tasks and what became of them. */
typedef struct batch {
    size_t n, next, ndone, nfail;
    cai_message ctx[MAX_TASKS];
    char first[MAX_TASKS][64], second[MAX_TASKS][64];
    cai_status st[MAX_TASKS];
    cai_judgment res[MAX_TASKS];
    char msg[MAX_TASKS][512];
    int identical;        /* every task asks the same question */
    size_t stop_after;    /* call cai_judge_stop after this many completions (0 = never) */
    cai_status fail_with; /* done returns this on the first completion */
    size_t idle_calls;    /* idle hook: calls, calls with requests in flight */
    size_t idle_busy;
    size_t idle_fail_at;    /* the idle hook fails on this call (0 = never) */
    unsigned max_in_flight; /* the engine's own count, seen from the idle hook */
    unsigned full_at;       /* done counts the calls that see this many in flight */
    size_t done_full;
    uint64_t max_ahead; /* with full_at: most requests sent beyond the completions before this */
    unsigned revive_at_probes; /* health hook: revive the dead server after this many probes */
    size_t stop_at_idle;       /* health hook: first stop on this idle call, second on the next */
    unsigned in_flight_after_stop;     /* what the idle call after the first stop saw */
    int one_stop;                      /* health hook: no second stop */
    cai_status (*hook)(void *payload); /* the caller's own work, once a loop, after perform */
    cai_judge *j;
} batch;

static batch *batch_new(size_t n)
{
    batch *b = calloc(1, sizeof(*b));
    size_t i;

    ck_assert_ptr_nonnull(b);
    ck_assert_uint_le(n, MAX_TASKS);
    b->n = n;
    for (i = 0; i < n; i++) {
        b->ctx[i].role = CAI_ROLE_USER;
        b->ctx[i].content = "How do I boil an egg?";
        snprintf(b->first[i], sizeof(b->first[i]), "Put egg %zu in boiling water.", i);
        snprintf(b->second[i], sizeof(b->second[i]), "Eggs number %zu are best raw.", i);
    }
    return b;
}

static int pull(cai_judge_task *out, void *payload)
{
    batch *b = payload;
    size_t i;

    if (b->next >= b->n)
        return -1;
    i = b->next++;
    memset(out, 0, sizeof(*out));
    out->cmp.context = &b->ctx[i];
    out->cmp.n_context = 1;
    out->cmp.principle = cai_constitution_principle(con, 0);
    out->cmp.first = b->identical ? b->first[0] : b->first[i];
    out->cmp.second = b->identical ? b->second[0] : b->second[i];
    out->payload = (void *)(uintptr_t)i;
    return 1;
}

static cai_status done(const cai_judge_task *t,
                       cai_status st,
                       const cai_judgment *res,
                       const char *errmsg,
                       void *payload)
{
    batch *b = payload;
    size_t i = (size_t)(uintptr_t)t->payload;

    b->st[i] = st;
    if (res)
        b->res[i] = *res;
    if (errmsg)
        snprintf(b->msg[i], sizeof(b->msg[i]), "%s", errmsg);
    b->ndone++;
    if (st != CAI_OK)
        b->nfail++;
    if (b->j && b->full_at) {
        cai_judge_stats js;

        cai_judge_get_stats(b->j, &js);
        b->done_full += js.in_flight == b->full_at;
        if (js.requests - (b->ndone - 1) > b->max_ahead)
            b->max_ahead = js.requests - (b->ndone - 1);
    }
    if (b->stop_after && b->ndone == b->stop_after)
        cai_judge_stop(b->j);
    if (b->fail_with != CAI_OK)
        return b->fail_with;
    return CAI_OK;
}

/* The caller's loop of include/cai/judge.h: add while there is room, perform, read every
 * completion, do the hook's work, wait. */
static cai_status run_batch(cai_judge *j, batch *b, cai_error *err)
{
    b->j = j;
    for (;;) {
        const cai_judge_completion *c;
        cai_judge_task t;
        cai_status st, ps;
        size_t room = cai_judge_room(j), nread = 0;

        for (; room > 0 && b->next < b->n; room--) {
            ck_assert_int_eq(pull(&t, b), 1);
            st = cai_judge_add(j, &t, err);
            if (st != CAI_OK)
                return st;
        }
        ps = cai_judge_perform(j, NULL, err);
        while ((c = cai_judge_read(j)) != NULL) {
            ck_assert_int_eq(c->kind, CAI_REQUEST_JUDGMENT);
            ck_assert_int_eq(c->status == CAI_OK, c->message[0] == '\0');
            nread++;
            st = done(c->task, c->status, c->status == CAI_OK ? &c->result.judgment : NULL,
                      c->status == CAI_OK ? NULL : c->message, b);
            if (st != CAI_OK) {
                err->code = st;
                snprintf(err->msg, sizeof(err->msg), "stopped by the completion handler");
                return st;
            }
        }
        if (ps != CAI_OK)
            return ps;
        if (cai_judge_pending(j) == 0 && b->next >= b->n)
            return CAI_OK;
        if (b->hook && (st = b->hook(b)) != CAI_OK)
            return st;
        if (nread == 0 && (st = cai_judge_wait(j, 200, err)) != CAI_OK)
            return st;
    }
}

/* Judges task 0 of a fresh batch with cai_judge_one. */
static cai_status one(cai_judge *j, cai_judgment *res, char **req, char **reply, cai_error *err)
{
    batch *b = batch_new(1);
    cai_judge_task t;
    cai_status st;

    ck_assert_int_eq(pull(&t, b), 1);
    st = cai_judge_one(j, &t, res, req, reply, err);
    free(b);
    return st;
}

/* ---------------------------------------------------------------- pacing (no server) */

START_TEST(bucket_paces_requests)
{
    cai_bucket b;

    cai_bucket__init(&b, 60, 100.0); /* one per second, burst of one */
    ck_assert_double_eq(cai_bucket__wait(&b, 1, 100.0), 0);
    cai_bucket__take(&b, 1, 100.0);
    ck_assert_double_eq_tol(cai_bucket__wait(&b, 1, 100.0), 1.0, 1e-9);
    ck_assert_double_eq_tol(cai_bucket__wait(&b, 1, 100.5), 0.5, 1e-9);
    ck_assert_double_eq(cai_bucket__wait(&b, 1, 101.0), 0);
}
END_TEST

START_TEST(bucket_lets_an_oversized_cost_through_when_full_then_repays_it)
{
    cai_bucket b;

    cai_bucket__init(&b, 600, 0); /* 10 tokens/s, capacity 10 */
    ck_assert_double_eq(cai_bucket__wait(&b, 50, 0), 0);
    cai_bucket__take(&b, 50, 0);
    ck_assert_double_eq_tol(cai_bucket__wait(&b, 1, 0), 4.1, 1e-9);
    cai_bucket__adjust(&b, 30); /* the server said it cost 20, not 50 */
    ck_assert_double_eq_tol(cai_bucket__wait(&b, 1, 0), 1.1, 1e-9);
}
END_TEST

START_TEST(unlimited_bucket_never_waits)
{
    cai_bucket b;

    cai_bucket__init(&b, 0, 0);
    cai_bucket__take(&b, 1e9, 0);
    ck_assert_double_eq(cai_bucket__wait(&b, 1e9, 0), 0);
}
END_TEST

START_TEST(backoff_is_jittered_capped_and_seeded)
{
    uint64_t r1 = 42, r2 = 42;
    unsigned a;
    int differ = 0;
    double prev = -1;

    for (a = 1; a <= 20; a++) {
        double d1 = cai_backoff__delay(&r1, a, 0.5, 30), d2 = cai_backoff__delay(&r2, a, 0.5, 30);
        double ceiling = fmin(30, 0.5 * pow(2, a - 1));

        ck_assert_double_eq(d1, d2);
        ck_assert(d1 >= 0 && d1 < ceiling);
        if (prev >= 0 && d1 != prev)
            differ = 1;
        prev = d1;
    }
    ck_assert(differ);
}
END_TEST

/* ---------------------------------------------------------------- the socket set (no server) */

/* The ready entry for fd in s's last poll, or NULL. */
static const cai_sockset_ready *ready_of(const cai_sockset *s, int fd)
{
    size_t i;

    for (i = 0; i < s->nready; i++)
        if (s->ready[i].fd == fd)
            return &s->ready[i];
    return NULL;
}

START_TEST(sockset_reports_what_each_socket_waits_for_and_forgets_removed_ones)
{
    cai_sockset s;
    cai_error err = {0};
    int a[2], b[2], c[2], high;

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, c), 0);
    high = fcntl(a[0], F_DUPFD, 700); /* grows the fd index well past the others */
    ck_assert_int_ge(high, 700);
    cai_sockset__init(&s);
    ck_assert_int_eq(cai_sockset__want(&s, -1, POLLIN), CAI_EINVAL);
    ck_assert_int_eq(cai_sockset__want(&s, a[0], POLLIN), CAI_OK);
    ck_assert_int_eq(cai_sockset__want(&s, b[0], POLLIN), CAI_OK);
    ck_assert_int_eq(cai_sockset__want(&s, c[0], POLLOUT), CAI_OK);
    ck_assert_int_eq(cai_sockset__want(&s, high, POLLIN), CAI_OK);
    ck_assert_uint_eq(s.n, 4);

    /* nothing to read yet: only the socket waiting to write is ready */
    ck_assert_int_eq(cai_sockset__poll(&s, 0, &err), CAI_OK);
    ck_assert_uint_eq(s.nready, 1);
    ck_assert_ptr_nonnull(ready_of(&s, c[0]));
    ck_assert(ready_of(&s, c[0])->revents & POLLOUT);

    /* a byte for a[0] (and its duplicate); c[0] now waits to read, and nothing came */
    ck_assert_int_eq(write(a[1], "x", 1), 1);
    ck_assert_int_eq(cai_sockset__want(&s, c[0], POLLIN), CAI_OK);
    ck_assert_uint_eq(s.n, 4);
    ck_assert_int_eq(cai_sockset__poll(&s, 0, &err), CAI_OK);
    ck_assert_uint_eq(s.nready, 2);
    ck_assert(ready_of(&s, a[0])->revents & POLLIN);
    ck_assert(ready_of(&s, high)->revents & POLLIN);
    ck_assert_ptr_null(ready_of(&s, b[0]));

    /* a[0] removed: the entry moved into its place (high, the last) is still found by fd,
     * removing it twice or removing an unknown fd changes nothing */
    ck_assert_int_eq(cai_sockset__want(&s, a[0], 0), CAI_OK);
    ck_assert_int_eq(cai_sockset__want(&s, a[0], 0), CAI_OK);
    ck_assert_int_eq(cai_sockset__want(&s, a[1], 0), CAI_OK);
    ck_assert_uint_eq(s.n, 3);
    ck_assert_int_eq(cai_sockset__want(&s, high, POLLOUT), CAI_OK); /* modified, not added */
    ck_assert_uint_eq(s.n, 3);
    ck_assert_int_eq(write(b[1], "y", 1), 1);
    ck_assert_int_eq(cai_sockset__poll(&s, 0, &err), CAI_OK);
    ck_assert_uint_eq(s.nready, 2);
    ck_assert(ready_of(&s, b[0])->revents & POLLIN);
    ck_assert(ready_of(&s, high)->revents & POLLOUT);
    ck_assert_ptr_null(ready_of(&s, a[0]));

    /* the peer gone: reported even though only reading was asked for */
    close(c[1]);
    ck_assert_int_eq(cai_sockset__poll(&s, 0, &err), CAI_OK);
    ck_assert(ready_of(&s, c[0])->revents & (POLLIN | POLLHUP));

    cai_sockset__dispose(&s);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
    close(c[0]);
    close(high);
}
END_TEST

START_TEST(backend_names_round_trip)
{
    ck_assert_int_eq(cai_backend_parse("openai"), CAI_BACKEND_OPENAI);
    ck_assert_int_eq(cai_backend_parse("completions"), CAI_BACKEND_COMPLETIONS);
    ck_assert_int_eq(cai_backend_parse("anthropic"), CAI_BACKEND_ANTHROPIC);
    ck_assert_int_eq(cai_backend_parse("builtin"), CAI_BACKEND_BUILTIN);
    ck_assert_int_eq(cai_backend_parse("gpt"), -1);
    ck_assert_str_eq(cai_backend_name(CAI_BACKEND_ANTHROPIC), "anthropic");
}
END_TEST

START_TEST(url_redact_strips_user_info)
{
    char *u = cai_url_redact("https://user:pa%40ss@example.com:8443/v1?x=1");

    ck_assert_str_eq(u, "https://example.com:8443/v1?x=1");
    free(u);
    u = cai_url_redact("http://127.0.0.1:9/v1");
    ck_assert_str_eq(u, "http://127.0.0.1:9/v1");
    free(u);
    u = cai_url_redact("http://host/path@not-userinfo");
    ck_assert_str_eq(u, "http://host/path@not-userinfo");
    free(u);
}
END_TEST

START_TEST(create_checks_options)
{
    cai_judge_opts o = CAI_JUDGE_OPTS_INIT;
    cai_judge *j = NULL;
    cai_error err = {0};

    o.backend = CAI_BACKEND_OPENAI;
    ck_assert_int_eq(cai_judge_create(&j, &o, con, &err), CAI_EINVAL);
    ck_assert_ptr_null(j);
    ck_assert_ptr_nonnull(strstr(err.msg, "model"));
    o.model = "m";
    o.top_logprobs = 21;
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(cai_judge_create(&j, &o, con, &err), CAI_EINVAL);
    o.backend = CAI_BACKEND_COMPLETIONS;
    o.top_logprobs = 6;
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(cai_judge_create(&j, &o, con, &err), CAI_EINVAL);
}
END_TEST

START_TEST(create_refuses_a_base_url_curl_cannot_parse)
{
    cai_judge_opts o = CAI_JUDGE_OPTS_INIT;
    cai_judge *j = NULL;
    cai_error err = {0};

    o.backend = CAI_BACKEND_OPENAI;
    o.model = "m";
    o.base_url = "http://user:s3cret@bad host/v1";
    /* refused before anything is sent (it used to fail request after request) */
    ck_assert_int_eq(cai_judge_create(&j, &o, con, &err), CAI_EINVAL);
    ck_assert_ptr_null(j);
    ck_assert_ptr_nonnull(strstr(err.msg, "http://bad host/v1/chat/completions"));
    ck_assert_ptr_null(strstr(err.msg, "s3cret"));
    o.base_url = "http://127.0.0.1:9/v1"; /* parsed, never contacted */
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(cai_judge_create(&j, &o, con, &err), CAI_OK);
    cai_judge_free(j);
}
END_TEST

START_TEST(builtin_backend_judges_offline)
{
    cai_judge_opts o = CAI_JUDGE_OPTS_INIT;
    cai_judge *j = make(&o);
    batch *b = batch_new(5);
    cai_error err = {0};
    cai_judge_stats s;
    char *body = NULL;
    cai_judge_task t;
    size_t i;

    ck_assert_int_eq(run_batch(j, b, &err), CAI_OK);
    ck_assert_uint_eq(b->ndone, 5);
    for (i = 0; i < 5; i++) {
        ck_assert_int_eq(b->st[i], CAI_OK);
        ck_assert(b->res[i].p_first >= 0 && b->res[i].p_first <= 1);
        ck_assert_int_eq(b->res[i].from_logprobs, 0);
    }
    cai_judge_get_stats(j, &s);
    ck_assert_uint_eq(s.succeeded, 5);
    ck_assert_uint_eq(s.requests, 0);
    b->next = 0;
    ck_assert_int_eq(pull(&t, b), 1);
    ck_assert_int_eq(cai_judge_request_body(j, &t, &body, &err), CAI_OK);
    ck_assert_ptr_null(body); /* nothing is sent */
    free(b);
    cai_judge_free(j);
}
END_TEST

/* ---------------------------------------------------------------- backends */

START_TEST(openai_judges_from_logprobs)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j = make(&o);
    cai_judgment res;
    cai_error err = {0};
    char *req = NULL, *reply = NULL, *sent, *hdrs, *dry = NULL;
    cai_judge_stats s;
    batch *b = batch_new(1);
    cai_judge_task t;

    ck_assert_msg(one(j, &res, &req, &reply, &err) == CAI_OK, "%s", err.msg);
    ck_assert_int_eq(res.from_logprobs, 1);
    ck_assert(res.p_first > 0 && res.p_first < 1);
    ck_assert_int_eq(res.attempts, 1);
    ck_assert_int_eq(res.cached, 0);
    ck_assert_uint_gt(res.prompt_tokens, 0);
    ck_assert_uint_eq(fake_llm_requests(srv), 1);
    /* the body shown is the body sent, byte for byte, and the dry-run body is the same */
    sent = fake_llm_request_body(srv, 0);
    ck_assert_str_eq(req, sent);
    ck_assert_ptr_nonnull(strstr(sent, "\"logprobs\":true,\"top_logprobs\":10"));
    ck_assert_ptr_nonnull(strstr(sent, "\"model\":\"fake-judge\""));
    ck_assert_ptr_nonnull(strstr(reply, "choices"));
    ck_assert_int_eq(pull(&t, b), 1);
    ck_assert_int_eq(cai_judge_request_body(j, &t, &dry, &err), CAI_OK);
    ck_assert_str_eq(dry, sent);
    hdrs = fake_llm_request_headers(srv, 0);
    ck_assert_ptr_nonnull(strstr(hdrs, "Bearer " KEY));
    cai_judge_get_stats(j, &s);
    ck_assert_uint_eq(s.requests, 1);
    ck_assert_uint_eq(s.succeeded, 1);
    ck_assert_uint_eq(s.prompt_tokens, res.prompt_tokens);
    free(hdrs);
    free(sent);
    free(req);
    free(reply);
    free(dry);
    free(b);
    cai_judge_free(j);
}
END_TEST

/* A body larger than the sockets' buffers goes out over many sends, between which the
 * transfer waits for its socket to take more; it arrives whole, and is sent once. */
START_TEST(a_body_larger_than_the_socket_buffers_goes_out_whole)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    batch *b = batch_new(1);
    cai_judge_task t;
    cai_judgment res;
    cai_error err = {0};
    /* 12 MiB in all: Linux's default socket buffers grow to 4 MiB (send) and 6 MiB (receive) */
    const size_t n = (size_t)6 << 20;
    char *first = malloc(n + 1), *second = malloc(n + 1), *req = NULL, *sent;

    o.timeout_s = tu_timeout(30); /* the fake server parses the body: slow under valgrind */
    j = make(&o);

    ck_assert_ptr_nonnull(first);
    ck_assert_ptr_nonnull(second);
    memset(first, 'a', n);
    first[n] = '\0';
    memset(second, 'b', n);
    second[n] = '\0';
    ck_assert_int_eq(pull(&t, b), 1);
    t.cmp.first = first;
    t.cmp.second = second;
    ck_assert_msg(cai_judge_one(j, &t, &res, &req, NULL, &err) == CAI_OK, "%s", err.msg);
    ck_assert_int_eq(res.attempts, 1);
    ck_assert_uint_gt(strlen(req), 2 * n);
    sent = fake_llm_request_body(srv, 0);
    ck_assert_ptr_nonnull(sent);
    ck_assert_uint_eq(strlen(sent), strlen(req));
    ck_assert(strcmp(sent, req) == 0);
    free(sent);
    free(req);
    free(first);
    free(second);
    free(b);
    cai_judge_free(j);
}
END_TEST

START_TEST(no_authorization_header_without_a_key)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    cai_judgment res;
    cai_error err = {0};
    char *hdrs;

    o.api_key = NULL;
    j = make(&o);
    ck_assert_msg(one(j, &res, NULL, NULL, &err) == CAI_OK, "%s", err.msg);
    hdrs = fake_llm_request_headers(srv, 0);
    ck_assert_ptr_null(strstr(hdrs, "Authorization"));
    ck_assert_ptr_null(strstr(hdrs, "authorization"));
    free(hdrs);
    cai_judge_free(j);
}
END_TEST

START_TEST(completions_judges_from_logprob_maps)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_COMPLETIONS);
    cai_judge *j = make(&o);
    cai_judgment res;
    cai_error err = {0};
    char *sent;

    ck_assert_msg(one(j, &res, NULL, NULL, &err) == CAI_OK, "%s", err.msg);
    ck_assert_int_eq(res.from_logprobs, 1);
    ck_assert(res.p_first > 0 && res.p_first < 1);
    sent = fake_llm_request_body(srv, 0);
    ck_assert_ptr_nonnull(strstr(sent, "\"prompt\":"));
    ck_assert_ptr_nonnull(strstr(sent, "\"logprobs\":5"));
    ck_assert_ptr_null(strstr(sent, "\"messages\""));
    free(sent);
    cai_judge_free(j);
}
END_TEST

START_TEST(anthropic_judges_from_text_with_its_headers)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_ANTHROPIC);
    cai_judge *j = make(&o);
    cai_judgment res;
    cai_error err = {0};
    char *sent, *hdrs;

    ck_assert_msg(one(j, &res, NULL, NULL, &err) == CAI_OK, "%s", err.msg);
    ck_assert_int_eq(res.from_logprobs, 0);
    ck_assert(res.p_first == 0 || res.p_first == 1 || res.p_first == 0.5);
    ck_assert(res.verdict != CAI_VERDICT_NONE);
    sent = fake_llm_request_body(srv, 0);
    ck_assert_ptr_nonnull(strstr(sent, "\"max_tokens\":1"));
    ck_assert_ptr_null(strstr(sent, "logprobs"));
    hdrs = fake_llm_request_headers(srv, 0);
    ck_assert_ptr_nonnull(strstr(hdrs, "x-api-key: " KEY));
    ck_assert_ptr_nonnull(strstr(hdrs, "anthropic-version: 2023-06-01"));
    ck_assert_ptr_null(strstr(hdrs, "Bearer"));
    free(sent);
    free(hdrs);
    cai_judge_free(j);
}
END_TEST

START_TEST(many_pairs_all_succeed_without_duplicates)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    batch *b = batch_new(150);
    cai_error err = {0};
    cai_judge_stats s;
    size_t i;

    o.concurrency = 16;
    j = make(&o);
    ck_assert_msg(run_batch(j, b, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(b->ndone, 150);
    ck_assert_uint_eq(b->nfail, 0);
    for (i = 0; i < 150; i++)
        ck_assert_int_eq(b->res[i].from_logprobs, 1);
    ck_assert_uint_eq(fake_llm_requests(srv), 150);
    ck_assert_uint_eq(fake_llm_duplicate_successes(srv), 0);
    cai_judge_get_stats(j, &s);
    ck_assert_uint_eq(s.requests, 150);
    ck_assert_uint_eq(s.in_flight, 0);
    free(b);
    cai_judge_free(j);
}
END_TEST

/* ---------------------------------------------------------------- faults */

static const fake_fault retryable_faults[] = {FAKE_429, FAKE_500, FAKE_503, FAKE_RESET,
                                              FAKE_BAD_JSON};

START_TEST(retryable_fault_is_retried_with_the_same_body)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j = make(&o);
    cai_judgment res;
    cai_error err = {0};
    cai_judge_stats s;
    char *b0, *b2;

    fake_llm_push_fault(srv, retryable_faults[_i], 2);
    ck_assert_msg(one(j, &res, NULL, NULL, &err) == CAI_OK, "fault %d: %s", (int)_i, err.msg);
    ck_assert_int_eq(res.attempts, 3);
    ck_assert_uint_eq(fake_llm_requests(srv), 3);
    ck_assert_uint_eq(fake_llm_successes(srv), 1);
    ck_assert_uint_eq(fake_llm_duplicate_successes(srv), 0);
    b0 = fake_llm_request_body(srv, 0);
    b2 = fake_llm_request_body(srv, 2);
    ck_assert_str_eq(b0, b2);
    cai_judge_get_stats(j, &s);
    ck_assert_uint_eq(s.retries, 2);
    ck_assert_uint_eq(s.requests, 3);
    free(b0);
    free(b2);
    cai_judge_free(j);
}
END_TEST

START_TEST(retries_are_capped)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    cai_judgment res;
    cai_error err = {0};
    cai_judge_stats s;

    o.max_retries = 2;
    j = make(&o);
    fake_llm_set_always(srv, FAKE_500);
    ck_assert_int_eq(one(j, &res, NULL, NULL, &err), CAI_EHTTP);
    ck_assert_ptr_nonnull(strstr(err.msg, "HTTP 500"));
    ck_assert_uint_eq(fake_llm_requests(srv), 3);
    cai_judge_get_stats(j, &s);
    ck_assert_uint_eq(s.failed, 1);
    cai_judge_free(j);
}
END_TEST

START_TEST(persistent_429_ends_as_rate_limited)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    cai_judgment res;
    cai_error err = {0};

    o.max_retries = 1;
    j = make(&o);
    fake_llm_set_always(srv, FAKE_429);
    ck_assert_int_eq(one(j, &res, NULL, NULL, &err), CAI_ERATELIMIT);
    ck_assert_uint_eq(fake_llm_requests(srv), 2);
    ck_assert_uint_eq(fake_llm_count_status(srv, 429), 2);
    cai_judge_free(j);
}
END_TEST

START_TEST(hang_times_out_and_is_retried)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    cai_judgment res;
    cai_error err = {0};

    o.timeout_s = 1.0;
    j = make(&o);
    fake_llm_push_fault(srv, FAKE_HANG, 1);
    ck_assert_msg(one(j, &res, NULL, NULL, &err) == CAI_OK, "%s", err.msg);
    ck_assert_int_eq(res.attempts, 2);
    ck_assert_uint_eq(fake_llm_requests(srv), 2);
    ck_assert_uint_eq(fake_llm_duplicate_successes(srv), 0);
    cai_judge_free(j);
}
END_TEST

START_TEST(hang_every_time_ends_as_timeout)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    cai_judgment res;
    cai_error err = {0};

    o.timeout_s = 0.2;
    o.max_retries = 1;
    j = make(&o);
    fake_llm_set_always(srv, FAKE_HANG);
    ck_assert_int_eq(one(j, &res, NULL, NULL, &err), CAI_ETIMEOUT);
    ck_assert_uint_eq(fake_llm_requests(srv), 2);
    cai_judge_free(j);
}
END_TEST

START_TEST(echoed_key_never_reaches_the_error_message)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j = make(&o);
    cai_judgment res;
    cai_error err = {0};
    char *reply = NULL;

    fake_llm_push_fault(srv, FAKE_401_ECHO, 1);
    ck_assert_int_eq(one(j, &res, NULL, &reply, &err), CAI_EHTTP);
    ck_assert_uint_eq(fake_llm_requests(srv), 1); /* 401 fails fast */
    ck_assert_ptr_nonnull(strstr(err.msg, "HTTP 401"));
    ck_assert_ptr_null(strstr(err.msg, KEY));
    ck_assert_ptr_null(strstr(err.msg, "SECRET"));
    ck_assert_ptr_nonnull(strstr(err.msg, "[REDACTED]"));
    ck_assert_ptr_nonnull(reply);
    ck_assert_ptr_null(strstr(reply, KEY));
    free(reply);
    cai_judge_free(j);
}
END_TEST

START_TEST(missing_logprobs_fall_back_to_the_text_verdict)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j = make(&o);
    cai_judgment res;
    cai_error err = {0};

    fake_llm_push_fault(srv, FAKE_NO_LOGPROBS, 1);
    ck_assert_msg(one(j, &res, NULL, NULL, &err) == CAI_OK, "%s", err.msg);
    ck_assert_int_eq(res.from_logprobs, 0);
    ck_assert(res.p_first == 0 || res.p_first == 1 || res.p_first == 0.5);
    ck_assert_uint_eq(fake_llm_requests(srv), 1);
    cai_judge_free(j);
}
END_TEST

START_TEST(no_verdict_is_resent_then_fails_never_guessed)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    cai_judgment res;
    cai_error err = {0};
    cai_judge_stats s;

    o.parse_retries = 2;
    j = make(&o);
    fake_llm_set_always(srv, FAKE_NO_VERDICT);
    ck_assert_int_eq(one(j, &res, NULL, NULL, &err), CAI_EVERDICT);
    ck_assert_uint_eq(fake_llm_requests(srv), 3);
    cai_judge_get_stats(j, &s);
    ck_assert_uint_eq(s.parse_failures, 3);
    ck_assert_uint_eq(s.failed, 1);
    ck_assert_uint_eq(s.succeeded, 0);
    cai_judge_free(j);
}
END_TEST

START_TEST(one_no_verdict_then_a_verdict)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j = make(&o);
    cai_judgment res;
    cai_error err = {0};
    cai_judge_stats s;

    fake_llm_push_fault(srv, FAKE_NO_VERDICT, 1);
    ck_assert_msg(one(j, &res, NULL, NULL, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(fake_llm_requests(srv), 2);
    ck_assert_int_eq(res.attempts, 2);
    cai_judge_get_stats(j, &s);
    ck_assert_uint_eq(s.parse_failures, 1);
    cai_judge_free(j);
}
END_TEST

START_TEST(faults_under_load_leave_no_pair_behind)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    batch *b = batch_new(120);
    cai_error err = {0};

    o.concurrency = 8;
    o.max_retries = 20;
    o.timeout_s = tu_timeout(0.5);
    j = make(&o);
    fake_llm_set_fault_rate(srv, 0.3);
    ck_assert_msg(run_batch(j, b, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(b->ndone, 120);
    ck_assert_uint_eq(b->nfail, 0);
    ck_assert_uint_gt(fake_llm_requests(srv), 120);
    free(b);
    cai_judge_free(j);
}
END_TEST

START_TEST(bad_request_fails_fast_with_the_server_message)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_ANTHROPIC);
    cai_judge *j;
    cai_judgment res;
    cai_error err = {0};
    cai_judge_stats s;

    o.api_key = NULL; /* the server answers 400: x-api-key is required */
    j = make(&o);
    ck_assert_int_eq(one(j, &res, NULL, NULL, &err), CAI_EHTTP);
    ck_assert_uint_eq(fake_llm_requests(srv), 1);
    ck_assert_ptr_nonnull(strstr(err.msg, "HTTP 400"));
    ck_assert_ptr_nonnull(strstr(err.msg, "x-api-key header is required"));
    cai_judge_get_stats(j, &s);
    ck_assert_uint_eq(s.retries, 0);
    cai_judge_free(j);
}
END_TEST

START_TEST(cot_verdict_is_clamped)
{
    cai_judge_opts o = http_opts(_i == 0 ? CAI_BACKEND_OPENAI : CAI_BACKEND_ANTHROPIC);
    cai_judge *j;
    cai_judgment res;
    cai_error err = {0};
    char *sent;

    o.mode = CAI_MODE_COT;
    o.cot_clamp_lo = 0.3;
    o.cot_clamp_hi = 0.8;
    j = make(&o);
    ck_assert_msg(one(j, &res, NULL, NULL, &err) == CAI_OK, "%s", err.msg);
    ck_assert_int_eq(res.from_logprobs, 0);
    ck_assert(res.verdict == CAI_VERDICT_A || res.verdict == CAI_VERDICT_B);
    ck_assert_double_eq(res.p_first, res.verdict == CAI_VERDICT_A ? 0.8 : 0.3);
    sent = fake_llm_request_body(srv, 0);
    ck_assert_ptr_nonnull(strstr(sent, "\"max_tokens\":512"));
    ck_assert_ptr_null(strstr(sent, "logprobs"));
    free(sent);
    cai_judge_free(j);
}
END_TEST

START_TEST(rating_gives_an_expected_score)
{
    cai_judge_opts o = http_opts(_i == 0 ? CAI_BACKEND_OPENAI : CAI_BACKEND_ANTHROPIC);
    cai_judge *j;
    cai_judgment res;
    cai_error err = {0};
    batch *b = batch_new(1);
    cai_judge_task t;

    o.mode = CAI_MODE_RATING;
    j = make(&o);
    ck_assert_int_eq(pull(&t, b), 1);
    t.cmp.second = NULL;
    ck_assert_msg(cai_judge_one(j, &t, &res, NULL, NULL, &err) == CAI_OK, "%s", err.msg);
    ck_assert(res.score >= 1 && res.score <= 7);
    ck_assert(isnan(res.p_first));
    ck_assert_int_eq(res.from_logprobs, _i == 0);
    free(b);
    cai_judge_free(j);
}
END_TEST

/* ---------------------------------------------------------------- a scripted server */

/*
 * The fake judge cannot send arbitrary headers or huge bodies, so the header-driven behaviour
 * (x-should-retry, rate-limit headers) and the reply-size cap are tested against this tiny
 * server: one connection at a time, keep-alive, replies played in order (the last repeats).
 */
typedef struct scripted_reply {
    int status;
    const char *headers; /* extra header lines, each ending in \r\n */
    const char *body;    /* NULL: body_len bytes of 'x' */
    size_t body_len;
} scripted_reply;

typedef struct scripted {
    int fd;
    unsigned port;
    char url[64];
    pthread_t thread;
    const scripted_reply *replies;
    size_t nreplies;
    pthread_mutex_t mu;
    size_t requests;
    double reply_at[8], request_at[8]; /* CLOCK_MONOTONIC of the first requests and replies */
} scripted;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads one request (headers + Content-Length body); returns 0, or -1 at EOF or error. */
static int read_request(int fd, char *buf, size_t cap)
{
    size_t len = 0, need = 0;
    char *end = NULL;

    for (;;) {
        ssize_t r;

        if (end && len >= need)
            return 0;
        if (len + 1 >= cap)
            return -1;
        r = recv(fd, buf + len, cap - len - 1, 0);
        if (r <= 0)
            return -1;
        len += (size_t)r;
        buf[len] = '\0';
        if (!end && (end = strstr(buf, "\r\n\r\n")) != NULL) {
            char *cl = buf;

            while (*cl && strncasecmp(cl, "content-length:", 15) != 0)
                cl++;
            if (!*cl)
                cl = NULL;

            need = (size_t)(end + 4 - buf) + (cl ? strtoul(cl + 15, NULL, 10) : 0);
        }
    }
}

static void *scripted_serve(void *arg)
{
    scripted *sv = arg;
    char *buf = malloc(1 << 20);
    int c;

    while (buf && (c = accept(sv->fd, NULL, NULL)) >= 0) {
        while (read_request(c, buf, 1 << 20) == 0) {
            const scripted_reply *r;
            char head[512];
            size_t i, n, blen;
            char *body;

            pthread_mutex_lock(&sv->mu);
            i = sv->requests++;
            if (i < 8)
                sv->request_at[i] = now_s();
            pthread_mutex_unlock(&sv->mu);
            r = &sv->replies[i < sv->nreplies ? i : sv->nreplies - 1];
            blen = r->body ? strlen(r->body) : r->body_len;
            body = r->body ? strdup(r->body) : malloc(blen);
            if (!r->body && body)
                memset(body, 'x', blen);
            n = (size_t)snprintf(head, sizeof(head),
                                 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                                 "Content-Length: %zu\r\n%s\r\n",
                                 r->status, blen, r->headers ? r->headers : "");
            pthread_mutex_lock(&sv->mu);
            if (i < 8)
                sv->reply_at[i] = now_s();
            pthread_mutex_unlock(&sv->mu);
            if (!body || send_all(c, head, n) != 0 || send_all(c, body, blen) != 0) {
                free(body);
                break;
            }
            free(body);
        }
        close(c);
    }
    free(buf);
    return NULL;
}

static scripted *scripted_start(const scripted_reply *replies, size_t n)
{
    scripted *sv = calloc(1, sizeof(*sv));
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);

    ck_assert_ptr_nonnull(sv);
    sv->replies = replies;
    sv->nreplies = n;
    pthread_mutex_init(&sv->mu, NULL);
    sv->fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(sv->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(sv->fd, 8), 0);
    ck_assert_int_eq(getsockname(sv->fd, (struct sockaddr *)&a, &alen), 0);
    sv->port = ntohs(a.sin_port);
    snprintf(sv->url, sizeof(sv->url), "http://127.0.0.1:%u/v1", sv->port);
    ck_assert_int_eq(pthread_create(&sv->thread, NULL, scripted_serve, sv), 0);
    return sv;
}

static size_t scripted_requests(scripted *sv)
{
    size_t n;

    pthread_mutex_lock(&sv->mu);
    n = sv->requests;
    pthread_mutex_unlock(&sv->mu);
    return n;
}

/* Call after every client connection is closed (cai_judge_free). */
static void scripted_stop(scripted *sv)
{
    shutdown(sv->fd, SHUT_RDWR); /* wakes accept() */
    pthread_join(sv->thread, NULL);
    close(sv->fd);
    pthread_mutex_destroy(&sv->mu);
    free(sv);
}

#define OK_BODY "{\"choices\":[{\"message\":{\"content\":\"A\"},\"logprobs\":null}]}"

static cai_judge *scripted_judge(const scripted *sv, unsigned max_retries)
{
    cai_judge_opts o = CAI_JUDGE_OPTS_INIT;

    o.backend = CAI_BACKEND_OPENAI;
    o.base_url = sv->url;
    o.model = "m";
    o.concurrency = 1;
    o.max_retries = max_retries;
    o.backoff_base_s = 0.001;
    o.backoff_max_s = 0.01;
    o.timeout_s = 10;
    return make(&o);
}

START_TEST(should_retry_false_forbids_a_retry)
{
    static const scripted_reply script[] = {
        {500, "x-should-retry: false\r\n", "{\"error\":{\"message\":\"no\"}}", 0},
        {200, NULL, OK_BODY, 0}};
    scripted *sv = scripted_start(script, 2);
    cai_judge *j = scripted_judge(sv, 3);
    cai_judgment res;
    cai_error err = {0};

    ck_assert_int_eq(one(j, &res, NULL, NULL, &err), CAI_EHTTP);
    ck_assert_uint_eq(scripted_requests(sv), 1);
    cai_judge_free(j);
    scripted_stop(sv);
}
END_TEST

START_TEST(should_retry_true_forces_a_retry)
{
    static const scripted_reply script[] = {
        {400, "x-should-retry: true\r\n", "{\"error\":{\"message\":\"try again\"}}", 0},
        {200, NULL, OK_BODY, 0}};
    scripted *sv = scripted_start(script, 2);
    cai_judge *j = scripted_judge(sv, 3);
    cai_judgment res;
    cai_error err = {0};

    ck_assert_msg(one(j, &res, NULL, NULL, &err) == CAI_OK, "%s", err.msg);
    ck_assert_int_eq(res.verdict, CAI_VERDICT_A);
    ck_assert_double_eq(res.p_first, 1.0);
    ck_assert_uint_eq(scripted_requests(sv), 2);
    cai_judge_free(j);
    scripted_stop(sv);
}
END_TEST

START_TEST(oversized_reply_is_a_limit_error)
{
    static const scripted_reply script[] = {{200, NULL, NULL, 5u << 20}};
    scripted *sv = scripted_start(script, 1);
    cai_judge *j = scripted_judge(sv, 3);
    cai_judgment res;
    cai_error err = {0};

    ck_assert_int_eq(one(j, &res, NULL, NULL, &err), CAI_ELIMIT);
    ck_assert_uint_eq(scripted_requests(sv), 1); /* not retried */
    cai_judge_free(j);
    scripted_stop(sv);
}
END_TEST

/* --rpm through the engine: 1200 a minute is a burst of 20 then 20 a second, so 40 requests
 * cannot finish in under a second however fast the server is. A lower bound: the test cannot
 * pass by luck when the limit is ignored (the server answers 40 requests in milliseconds). */
START_TEST(rpm_limit_paces_a_run)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    batch *b = batch_new(40);
    cai_error err = {0};
    double t0;

    o.concurrency = 8;
    o.rpm = 1200;
    j = make(&o);
    t0 = now_s();
    ck_assert_msg(run_batch(j, b, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(b->ndone, 40);
    ck_assert_uint_eq(fake_llm_requests(srv), 40);
    ck_assert_double_ge(now_s() - t0, 0.95);
    free(b);
    cai_judge_free(j);
}
END_TEST

/* --tpm through the engine. A first run without a limit measures T, the tokens the 40 requests
 * use (from the replies' usage). With tpm = 30 T the bucket holds T / 2 and refills T / 2 a
 * second; every request is charged its estimate (at least its usage) until its reply corrects
 * it, so the last request cannot start before (T - its own tokens - T / 2) / (T / 2) seconds.
 * A lower bound, like the rpm test's. */
START_TEST(tpm_limit_paces_a_run)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    batch *b = batch_new(40);
    cai_error err = {0};
    double t0, total = 0, most = 0, bound;
    size_t i;

    o.concurrency = 8;
    j = make(&o);
    ck_assert_msg(run_batch(j, b, &err) == CAI_OK, "%s", err.msg);
    for (i = 0; i < b->n; i++) {
        double t = (double)b->res[i].prompt_tokens + b->res[i].completion_tokens;

        ck_assert_double_gt(t, 0);
        total += t;
        most = t > most ? t : most;
    }
    cai_judge_free(j);
    free(b);

    o.tpm = 30 * total;
    j = make(&o); /* a fresh judge: the first one's cache would answer without the network */
    b = batch_new(40);
    t0 = now_s();
    ck_assert_msg(run_batch(j, b, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(b->ndone, 40);
    ck_assert_uint_eq(fake_llm_requests(srv), 80);
    bound = (total - most - total / 2) / (total / 2);
    ck_assert_double_ge(bound, 0.9);
    ck_assert_double_ge(now_s() - t0, bound);
    free(b);
    cai_judge_free(j);
}
END_TEST

START_TEST(exhausted_rate_limit_header_pauses_the_pool)
{
    static const scripted_reply script[] = {
        {200, "x-ratelimit-remaining-requests: 0\r\nx-ratelimit-reset-requests: 1s\r\n", OK_BODY,
         0},
        {200, NULL, OK_BODY, 0}};
    scripted *sv = scripted_start(script, 2);
    cai_judge *j = scripted_judge(sv, 3);
    batch *b = batch_new(2);
    cai_error err = {0};

    ck_assert_msg(run_batch(j, b, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(scripted_requests(sv), 2);
    /* The server said the limit resets in 1 s: the next request may not come sooner. This is
     * a lower bound the engine must produce, not a sleep in the test. */
    ck_assert_double_ge(sv->request_at[1] - sv->reply_at[0], 0.9);
    free(b);
    cai_judge_free(j);
    scripted_stop(sv);
}
END_TEST

/* ---------------------------------------------------------------- pool behaviour */

START_TEST(pool_pauses_on_429)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    batch *b = batch_new(40);
    cai_error err = {0};
    char *faulted, *body = NULL;
    size_t k, n;

    o.concurrency = 4;
    j = make(&o);
    fake_llm_push_fault(srv, FAKE_429, 1); /* answered with Retry-After: 1 */
    ck_assert_msg(run_batch(j, b, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(b->nfail, 0);
    n = fake_llm_requests(srv);
    ck_assert_uint_eq(n, 41);
    /* Without a pool-wide pause the other 39 pairs would be sent during the second the
     * 429'd request waits; with it, only requests already in flight can come between. */
    faulted = fake_llm_request_body(srv, 0);
    for (k = 1; k < n; k++) {
        body = fake_llm_request_body(srv, k);
        if (strcmp(body, faulted) == 0)
            break;
        free(body);
        body = NULL;
    }
    ck_assert_ptr_nonnull(body);
    ck_assert_uint_le(k, 2 * o.concurrency);
    free(body);
    free(faulted);
    free(b);
    cai_judge_free(j);
}
END_TEST

static cai_status idle_hook(void *payload)
{
    batch *b = payload;
    cai_judge_stats s;

    cai_judge_get_stats(b->j, &s);
    b->idle_calls++;
    b->idle_busy += s.in_flight > 0;
    if (s.in_flight > b->max_in_flight)
        b->max_in_flight = s.in_flight;
    return b->idle_calls == b->idle_fail_at ? CAI_EIO : CAI_OK;
}

START_TEST(concurrency_cap_is_honoured_at_the_server)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    batch *b = batch_new(24);
    cai_error err = {0};

    o.concurrency = 3;
    j = make(&o);
    b->hook = idle_hook; /* it runs just after each perform */
    ck_assert_msg(run_batch(j, b, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(b->ndone, 24);
    /* The engine never has more than the cap in flight (it builds up to as many more ahead,
     * but does not send them), and the server never holds more unanswered requests (curl's
     * per-host connection cap would also queue extra transfers on the client, where their
     * timeouts would run). The cap is used. */
    ck_assert_uint_eq(b->max_in_flight, 3);
    ck_assert_uint_le(fake_llm_max_open(srv), 3);
    ck_assert_uint_ge(fake_llm_max_open(srv), 2);
    free(b);
    cai_judge_free(j);
}
END_TEST

/* The durability promise: a reply is handled (done has journaled it) before the request that
 * takes its place goes out, so a SIGKILL loses only requests in flight. An engine that sends
 * into the freed capacity first has a full pool behind done, and more requests out than the
 * completions before it plus the concurrency. */
START_TEST(replies_are_handled_before_their_capacity_is_reused)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    batch *b = batch_new(12);
    cai_error err = {0};

    o.concurrency = 2;
    j = make(&o);
    b->full_at = 2;
    ck_assert_msg(run_batch(j, b, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(b->ndone, 12);
    /* done never has a full pool behind it: its own request's place is still free */
    ck_assert_uint_eq(b->done_full, 0);
    /* every request sent, but for the concurrency, belongs to a completion already handled;
     * and the pool was used to the full (the first reply was already behind a second request) */
    ck_assert_uint_eq(b->max_ahead, 2);
    free(b);
    cai_judge_free(j);
}
END_TEST

/* The caller's work between perform and wait (where cai run writes its output) runs while
 * requests are out: perform returns with them on the wire, it does not wait for them. */
START_TEST(work_after_perform_runs_while_requests_are_in_flight)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    batch *b = batch_new(24);
    cai_error err = {0};

    o.concurrency = 4;
    j = make(&o);
    b->hook = idle_hook;
    ck_assert_msg(run_batch(j, b, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(b->ndone, 24);
    ck_assert_uint_ge(b->idle_busy, 6); /* 24 answers at most 4 at a time, each 30 ms away */
    free(b);

    cai_judge_free(j);

    j = make(&o); /* a fresh judge: the first one's cache would answer without the network */
    b = batch_new(24);
    b->hook = idle_hook;
    b->idle_fail_at = 2;
    ck_assert_int_eq(run_batch(j, b, &err), CAI_EIO);
    ck_assert_uint_eq(b->idle_calls, 2);
    ck_assert_uint_lt(b->ndone, 24);
    free(b);
    cai_judge_free(j);
}
END_TEST

START_TEST(identical_bodies_are_sent_once)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    batch *b = batch_new(6);
    cai_error err = {0};
    cai_judge_stats s;
    size_t i;

    o.concurrency = (unsigned)_i + 1; /* 1: answered from the cache; 4: waits for in-flight */
    j = make(&o);
    b->identical = 1;
    ck_assert_msg(run_batch(j, b, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(b->ndone, 6);
    ck_assert_uint_eq(fake_llm_requests(srv), 1);
    cai_judge_get_stats(j, &s);
    ck_assert_uint_eq(s.cache_hits, 5);
    ck_assert_uint_eq(s.succeeded, 6);
    for (i = 1; i < 6; i++) {
        ck_assert_int_eq(b->st[i], CAI_OK);
        ck_assert_double_eq(b->res[i].p_first, b->res[0].p_first);
    }
    free(b);
    cai_judge_free(j);
}
END_TEST

START_TEST(disk_cache_answers_a_later_run)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    char *dir = tu_mkdtemp("judge-cache");
    cai_judge *j;
    cai_judgment r1, r2;
    cai_error err = {0};

    o.cache_dir = dir;
    j = make(&o);
    ck_assert_msg(one(j, &r1, NULL, NULL, &err) == CAI_OK, "%s", err.msg);
    cai_judge_free(j);
    j = make(&o);
    ck_assert_msg(one(j, &r2, NULL, NULL, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(fake_llm_requests(srv), 1);
    ck_assert_int_eq(r2.cached, 1);
    ck_assert_double_eq(r1.p_first, r2.p_first);
    ck_assert_int_eq(r1.verdict, r2.verdict);
    cai_judge_free(j);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(stop_finishes_in_flight_and_reports_interrupted)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    batch *b = batch_new(100);
    cai_error err = {0};

    o.concurrency = 2;
    j = make(&o);
    b->stop_after = 3;
    ck_assert_int_eq(run_batch(j, b, &err), CAI_EINTERRUPTED);
    /* Nothing new goes out after the stop. What was sent before it, including the requests
     * sent ahead while the stopping reply's burst was handled (at most the concurrency), is
     * answered and reported: nothing paid for is dropped. */
    ck_assert_uint_ge(b->ndone, 3);
    ck_assert_uint_le(b->ndone, 3 + 2 * o.concurrency);
    ck_assert_uint_eq(fake_llm_requests(srv), b->ndone);
    ck_assert_uint_eq(fake_llm_duplicate_successes(srv), 0);
    free(b);
    cai_judge_free(j);
}
END_TEST

START_TEST(done_error_stops_the_run)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    batch *b = batch_new(50);
    cai_error err = {0};

    o.concurrency = 2;
    j = make(&o);
    b->fail_with = CAI_EIO;
    ck_assert_int_eq(run_batch(j, b, &err), CAI_EIO);
    ck_assert_uint_le(b->ndone, 2);
    free(b);
    cai_judge_free(j);
}
END_TEST

START_TEST(unreachable_server_is_a_transport_error)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    cai_judgment res;
    cai_error err = {0};

    o.base_url = "http://user:pw@127.0.0.1:1/v1";
    o.max_retries = 1;
    j = make(&o);
    ck_assert_int_eq(one(j, &res, NULL, NULL, &err), CAI_ETRANSPORT);
    ck_assert_ptr_null(strstr(err.msg, "pw@"));
    ck_assert_ptr_nonnull(strstr(err.msg, "127.0.0.1:1"));
    cai_judge_free(j);
}
END_TEST

/* ---------------------------------------------------------------- health: breaker, stop, budget */

/* The idle hook of the health tests: revives a dead server, or stops twice. */
static cai_status health_hook(void *payload)
{
    batch *b = payload;
    cai_judge_stats js;

    cai_judge_get_stats(b->j, &js);
    b->idle_calls++;
    if (b->revive_at_probes && js.probes >= b->revive_at_probes && fake_llm_is_dead(srv))
        ck_assert_int_eq(fake_llm_revive(srv), 0);
    if (b->stop_at_idle && b->idle_calls == b->stop_at_idle)
        cai_judge_stop(b->j);
    if (b->stop_at_idle && !b->one_stop && b->idle_calls == b->stop_at_idle + 1) {
        b->in_flight_after_stop = js.in_flight;
        cai_judge_stop(b->j); /* the second: abandon */
    }
    return CAI_OK;
}

START_TEST(refused_connection_before_any_reply_ends_the_run_at_once)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    batch *b = batch_new(50);
    cai_judge_stats js;
    cai_error err = {0};

    o.base_url = "http://127.0.0.1:1/v1"; /* nothing listens on port 1 */
    o.concurrency = 4;
    o.max_retries = 8;
    j = make(&o);
    ck_assert_int_eq(run_batch(j, b, &err), CAI_ETRANSPORT);
    ck_assert_ptr_nonnull(strstr(err.msg, "before any reply"));
    cai_judge_get_stats(j, &js);
    /* No retry, no judgment reported as failed (a resume asks again): the first refusals end
     * it. The old engine retried each request 8 times. */
    ck_assert_uint_le(js.requests, o.concurrency);
    ck_assert_uint_eq(js.retries, 0);
    ck_assert_uint_eq(b->ndone, 0);
    free(b);
    cai_judge_free(j);
}
END_TEST

/* 0: 401 (a wrong key), 1: 404 (a wrong URL or an unknown model). */
START_TEST(auth_or_not_found_before_any_reply_ends_the_run_at_once)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    char *url = tu_strdupf("%s/nowhere", fake_llm_url(srv));
    cai_judge *j;
    batch *b = batch_new(50);
    cai_error err = {0};

    if (_i == 0)
        fake_llm_set_always(srv, FAKE_401_ECHO);
    else
        o.base_url = url;
    o.concurrency = 4;
    j = make(&o);
    ck_assert_int_eq(run_batch(j, b, &err), CAI_EHTTP);
    ck_assert_ptr_nonnull(strstr(err.msg, _i == 0 ? "HTTP 401" : "HTTP 404"));
    ck_assert_ptr_null(strstr(err.msg, KEY));
    ck_assert_uint_le(fake_llm_requests(srv), o.concurrency);
    ck_assert_uint_eq(b->ndone, 0);
    free(b);
    free(url);
    cai_judge_free(j);
}
END_TEST

START_TEST(a_401_after_the_first_reply_fails_only_that_judgment)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    batch *b = batch_new(6);
    cai_error err = {0};

    o.concurrency = 1;
    j = make(&o);
    fake_llm_push_fault(srv, FAKE_OK, 1);
    fake_llm_push_fault(srv, FAKE_401_ECHO, 1);
    ck_assert_msg(run_batch(j, b, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(b->ndone, 6);
    ck_assert_uint_eq(b->nfail, 1);
    ck_assert_int_eq(b->st[1], CAI_EHTTP);
    free(b);
    cai_judge_free(j);
}
END_TEST

START_TEST(public_endpoint_without_a_key_is_refused_before_sending)
{
    cai_judge_opts o = CAI_JUDGE_OPTS_INIT;
    cai_judge *j;
    batch *b = batch_new(3);
    cai_error err = {0};

    o.backend = CAI_BACKEND_OPENAI;
    o.model = "gpt-4o-mini"; /* base_url NULL: the public endpoint */
    j = make(&o);
    ck_assert_int_eq(cai_judge_check(j, &err), CAI_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "no API key"));
    ck_assert_ptr_nonnull(strstr(err.msg, "OPENAI_API_KEY"));
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(run_batch(j, b, &err), CAI_EINVAL);
    ck_assert_uint_eq(b->next, 1); /* the first add was refused: nothing queued or sent */
    ck_assert_uint_eq(b->ndone, 0);
    ck_assert_uint_eq(cai_judge_pending(j), 0);
    cai_judge_free(j);

    o.backend = CAI_BACKEND_ANTHROPIC;
    o.base_url = "https://user@API.Anthropic.com./";
    j = make(&o);
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(cai_judge_check(j, &err), CAI_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "ANTHROPIC_API_KEY"));
    cai_judge_free(j);

    o.api_key = KEY; /* with a key, or at a local server without one, all is well */
    j = make(&o);
    ck_assert_int_eq(cai_judge_check(j, &err), CAI_OK);
    cai_judge_free(j);
    o = http_opts(CAI_BACKEND_OPENAI);
    o.api_key = NULL;
    j = make(&o);
    ck_assert_int_eq(cai_judge_check(j, &err), CAI_OK);
    cai_judge_free(j);
    free(b);
}
END_TEST

START_TEST(judge_down_mid_run_opens_the_breaker_and_stops_at_the_deadline)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    batch *b = batch_new(200);
    cai_judge_stats js;
    cai_error err = {0};

    o.concurrency = 4;
    o.down_timeout_s = 0.3;
    j = make(&o);
    fake_llm_die_after(srv, 20);
    ck_assert_int_eq(run_batch(j, b, &err), CAI_ETRANSPORT);
    ck_assert_ptr_nonnull(strstr(err.msg, "no connection for"));
    ck_assert(fake_llm_is_dead(srv));
    cai_judge_get_stats(j, &js);
    /* 20 answered; nothing failed for good (the rest waits for a resume), and after the death
     * only the requests in flight, those that opened the breaker and the probes went out: the
     * old engine sent each of the 180 left 9 times. */
    ck_assert_uint_le(b->ndone, 20);
    ck_assert_uint_eq(b->nfail, 0);
    ck_assert_uint_ge(js.probes, 1);
    ck_assert_uint_ge(js.conn_failures, 4);
    ck_assert_uint_le(js.requests - js.probes, 20 + 2 * o.concurrency);
    ck_assert_uint_le(js.answered, 20);
    free(b);
    cai_judge_free(j);
}
END_TEST

START_TEST(breaker_closes_when_the_judge_comes_back)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    batch *b = batch_new(120);
    cai_judge_stats js;
    cai_error err = {0};

    o.concurrency = 4;
    o.down_timeout_s = 20;
    j = make(&o);
    b->hook = health_hook;
    b->revive_at_probes = 2;
    fake_llm_die_after(srv, 30);
    ck_assert_msg(run_batch(j, b, &err) == CAI_OK, "%s", err.msg);
    cai_judge_get_stats(j, &js);
    ck_assert_uint_eq(b->ndone, 120);
    ck_assert_uint_eq(b->nfail, 0); /* no retry was spent waiting for the judge */
    ck_assert_uint_ge(js.probes, 2);
    ck_assert_uint_eq(fake_llm_duplicate_successes(srv), 0);
    free(b);
    cai_judge_free(j);
}
END_TEST

/* ---- several endpoints (issue 16 item 3) */

static fake_llm *srv2;   /* the second endpoint of the pool tests */
static int srv2_revived; /* pool_hook: srv2 was brought back once it was ejected */

static cai_judge *make_pool(cai_judge_opts *o, const char **urls)
{
    fake_llm_opts fo = FAKE_LLM_OPTS_INIT;

    fo.seed = 7; /* the fixture's: both endpoints give the same answers */
    srv2 = fake_llm_start(&fo);
    ck_assert_ptr_nonnull(srv2);
    srv2_revived = 0;
    urls[0] = fake_llm_url(srv);
    urls[1] = fake_llm_url(srv2);
    o->base_urls = urls;
    o->n_base_urls = 2;
    return make(o);
}

/* Brings srv2 back once the judge has ejected it. */
static cai_status pool_hook(void *payload)
{
    batch *b = payload;
    cai_judge_endpoint_stats es;

    cai_judge_get_endpoint_stats(b->j, 1, &es);
    if (!srv2_revived && es.ejected && fake_llm_is_dead(srv2)) {
        ck_assert_int_eq(fake_llm_revive(srv2), 0);
        srv2_revived = 1;
    }
    return CAI_OK;
}

START_TEST(pool_failover_loses_nothing_and_pays_nothing_twice)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    const char *urls[2];
    cai_judge *j;
    batch *b = batch_new(200), *ref = batch_new(200);
    cai_judge_endpoint_stats e0, e1;
    cai_judge_stats js;
    cai_error err = {0};
    size_t i;

    o.concurrency = 4;
    o.down_timeout_s = 30;
    j = make_pool(&o, urls);
    ck_assert_uint_eq(cai_judge_endpoint_count(j), 2);
    ck_assert_int_eq(cai_judge_check_endpoints(j, &err), CAI_OK);
    fake_llm_die_after(srv2, 40); /* mid-run, with requests in flight on it */
    ck_assert_msg(run_batch(j, b, &err) == CAI_OK, "%s", err.msg);
    ck_assert(fake_llm_is_dead(srv2));
    /* 0 pairs lost */
    ck_assert_uint_eq(b->ndone, 200);
    ck_assert_uint_eq(b->nfail, 0);
    /* 0 answered requests re-sent: every body was answered once, over both endpoints */
    ck_assert_uint_eq(fake_llm_duplicate_successes(srv), 0);
    ck_assert_uint_eq(fake_llm_duplicate_successes(srv2), 0);
    ck_assert_uint_eq(fake_llm_successes(srv) + fake_llm_successes(srv2), 200);
    cai_judge_get_endpoint_stats(j, 0, &e0);
    cai_judge_get_endpoint_stats(j, 1, &e1);
    ck_assert_uint_gt(e0.served, 0); /* balancing: both served */
    ck_assert_uint_gt(e1.served, 0);
    ck_assert_uint_eq(e0.served + e1.served, 200);
    ck_assert_uint_ge(e1.conn_failures, 1); /* its in-flight work failed over */
    ck_assert_uint_ge(e1.ejections, 1);
    ck_assert_uint_eq(e0.ejections, 0);
    cai_judge_get_stats(j, &js);
    ck_assert_uint_eq(js.retries, 0); /* failover spends no retry */
    cai_judge_free(j);

    /* the same answers as one endpoint: which endpoint answered never changes a judgment */
    o = http_opts(CAI_BACKEND_OPENAI);
    o.concurrency = 4;
    j = make(&o);
    ck_assert_msg(run_batch(j, ref, &err) == CAI_OK, "%s", err.msg);
    for (i = 0; i < 200; i++) {
        ck_assert_int_eq(b->st[i], CAI_OK);
        ck_assert(b->res[i].p_first == ref->res[i].p_first);
        ck_assert_int_eq(b->res[i].verdict, ref->res[i].verdict);
    }
    cai_judge_free(j);
    fake_llm_stop(srv2);
    free(b);
    free(ref);
}
END_TEST

START_TEST(pool_brings_an_ejected_endpoint_back_after_a_probe)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    const char *urls[2];
    cai_judge *j;
    batch *b = batch_new(200);
    cai_judge_endpoint_stats e1;
    cai_error err = {0};
    size_t before;

    o.concurrency = 2;
    o.down_timeout_s = 30;
    j = make_pool(&o, urls);
    b->hook = pool_hook;
    fake_llm_die_after(srv2, 10);
    ck_assert_msg(run_batch(j, b, &err) == CAI_OK, "%s", err.msg);
    ck_assert_int_eq(srv2_revived, 1);
    ck_assert_uint_eq(b->ndone, 200);
    ck_assert_uint_eq(b->nfail, 0);
    cai_judge_get_endpoint_stats(j, 1, &e1);
    ck_assert_uint_ge(e1.ejections, 1);
    ck_assert_uint_ge(e1.probes, 1);
    ck_assert_uint_ge(e1.returns, 1); /* a probe's reply brought it back */
    ck_assert_int_eq(e1.ejected, 0);
    before = 10; /* it answered at most this many before it died */
    ck_assert_uint_gt(fake_llm_successes(srv2), before); /* and it served again */
    ck_assert_uint_eq(fake_llm_successes(srv) + fake_llm_successes(srv2), 200);
    cai_judge_free(j);
    fake_llm_stop(srv2);
    free(b);
}
END_TEST

START_TEST(pool_refuses_a_mix_of_models)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    const char *urls[2];
    cai_judge *j;
    cai_error err = {0};

    j = make_pool(&o, urls);
    fake_llm_set_model(srv2, "another-model");
    ck_assert_int_eq(cai_judge_check_endpoints(j, &err), CAI_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, fake_llm_url(srv2)));
    ck_assert_ptr_nonnull(strstr(err.msg, "\"another-model\""));
    ck_assert_uint_eq(fake_llm_requests(srv) + fake_llm_requests(srv2), 0); /* nothing judged */
    cai_judge_free(j);
    fake_llm_stop(srv2);
}
END_TEST

START_TEST(second_stop_abandons_requests_in_flight_at_once)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    batch *b = batch_new(50);
    cai_error err = {0};

    o.concurrency = 4;
    o.timeout_s = 120;    /* longer than this test may take: only the second stop ends it */
    o.stop_grace_s = 120; /* the first stop waits for in-flight requests */
    j = make(&o);
    fake_llm_set_always(srv, FAKE_HANG);
    b->hook = health_hook;
    b->stop_at_idle = 3;
    ck_assert_int_eq(run_batch(j, b, &err), CAI_EINTERRUPTED);
    ck_assert_uint_eq(b->in_flight_after_stop, 4); /* the first stop waited for them */
    ck_assert_uint_eq(b->ndone, 0);                /* abandoned, never reported */
    ck_assert_uint_eq(fake_llm_requests(srv), 4);  /* and nothing more was sent */
    free(b);
    cai_judge_free(j);
}
END_TEST

START_TEST(first_stop_abandons_in_flight_requests_after_the_grace)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    batch *b = batch_new(50);
    cai_error err = {0};

    o.concurrency = 4;
    o.timeout_s = 120;
    o.stop_grace_s = 0.05;
    j = make(&o);
    fake_llm_set_always(srv, FAKE_HANG);
    b->hook = health_hook;
    b->stop_at_idle = 1;
    b->one_stop = 1;
    ck_assert_int_eq(run_batch(j, b, &err), CAI_EINTERRUPTED);
    ck_assert_uint_eq(b->ndone, 0);
    ck_assert_uint_eq(fake_llm_requests(srv), 4);
    free(b);
    cai_judge_free(j);
}
END_TEST

START_TEST(budget_stops_sending_at_the_cap_and_finishes_what_is_in_flight)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    batch *b = batch_new(200);
    cai_judge_stats js;
    cai_error err = {0};
    double cap = 0.5, before = 0.1;

    o.concurrency = 8;
    j = make(&o);
    /* $1000 per million tokens: a request of ~150 tokens costs ~$0.15 */
    cai_judge_set_budget(j, 1000, 2000, cap, before);
    ck_assert_int_eq(run_batch(j, b, &err), CAI_EBUDGET);
    ck_assert_ptr_nonnull(strstr(err.msg, "spending cap"));
    cai_judge_get_stats(j, &js);
    ck_assert_uint_gt(b->ndone, 0);
    ck_assert_uint_lt(b->ndone, 200);
    ck_assert_uint_eq(b->nfail, 0);
    /* Whatever went out was answered and reported: nothing paid for is dropped. */
    ck_assert_uint_eq(fake_llm_requests(srv), b->ndone);
    ck_assert_uint_eq(js.requests, b->ndone);
    ck_assert(before + cai_judge_spent(j) <= cap);
    /* It stopped because the next requests would have passed the cap, not long before. */
    ck_assert(before + cai_judge_spent(j) * (1.0 + 2.0 * (o.concurrency + 1) / (double)b->ndone) >
              cap);
    free(b);
    cai_judge_free(j);

    /* Already spent: nothing is sent at all. */
    b = batch_new(10);
    j = make(&o);
    cai_judge_set_budget(j, 1000, 2000, cap, cap);
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(run_batch(j, b, &err), CAI_EBUDGET);
    ck_assert_uint_eq(b->ndone, 0);
    free(b);
    cai_judge_free(j);
}
END_TEST

START_TEST(limiter_fits_in_flight_requests_to_a_slow_queue)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    batch *b = batch_new(200);
    cai_judge_stats js;
    cai_error err = {0};

    /* 4 slots of 50 ms: 64 requests in flight would wait up to 800 ms, twice the timeout. */
    ck_assert_int_eq(fake_llm_set_slots(srv, 4, 50), 0);
    o.concurrency = 64;
    o.timeout_s = 0.4;
    j = make(&o);
    ck_assert_msg(run_batch(j, b, &err) == CAI_OK, "%s", err.msg);
    cai_judge_get_stats(j, &js);
    ck_assert_uint_eq(b->ndone, 200);
    ck_assert_uint_eq(b->nfail, 0);
    /* Few or no requests timed out and were sent again (without the limiter, dozens did:
     * each wave of 64 left the last half waiting past the timeout), because the limiter kept
     * fewer in flight than the ceiling. */
    ck_assert_uint_le(js.timeouts, 4);
    ck_assert_uint_le(js.requests, 204);
    ck_assert_uint_lt(fake_llm_max_open(srv), 32);
    ck_assert_uint_lt(js.limit, 32);
    free(b);
    cai_judge_free(j);
}
END_TEST

/* ---------------------------------------------------------------- the queue API */

/* Adds task i of b (built as pull builds it) to j. */
static cai_status add_task(cai_judge *j, batch *b, cai_error *err)
{
    cai_judge_task t;

    ck_assert_int_eq(pull(&t, b), 1);
    return cai_judge_add(j, &t, err);
}

/* Performs and waits until a completion is there; returns it, unread no more. */
static const cai_judge_completion *next_completion(cai_judge *j)
{
    cai_error err = {0};
    int i;

    for (i = 0; i < 500; i++) {
        const cai_judge_completion *c;

        ck_assert_msg(cai_judge_perform(j, NULL, &err) == CAI_OK, "%s", err.msg);
        if ((c = cai_judge_read(j)) != NULL)
            return c;
        ck_assert_int_eq(cai_judge_wait(j, 100, &err), CAI_OK);
    }
    ck_abort_msg("no completion");
    return NULL;
}

/* Room is what may be added now; past it add refuses, and reading a completion gives a slot
 * back. An unknown kind is refused. */
START_TEST(add_takes_what_room_allows)
{
    cai_judge_opts o = CAI_JUDGE_OPTS_INIT;
    cai_judge *j;
    batch *b = batch_new(8);
    cai_judge_task t;
    cai_error err = {0};
    size_t i;

    o.concurrency = 2; /* builtin: 4 slots */
    j = make(&o);
    ck_assert_uint_eq(cai_judge_room(j), 4);
    for (i = 0; i < 4; i++)
        ck_assert_int_eq(add_task(j, b, &err), CAI_OK);
    ck_assert_uint_eq(cai_judge_room(j), 0);
    ck_assert_uint_eq(cai_judge_pending(j), 4);
    ck_assert_int_eq(add_task(j, b, &err), CAI_ELIMIT);
    ck_assert_ptr_nonnull(strstr(err.msg, "room"));
    ck_assert_ptr_null(cai_judge_read(j)); /* nothing is judged before perform */
    ck_assert_ptr_nonnull(next_completion(j));
    ck_assert_uint_eq(cai_judge_room(j), 1);
    ck_assert_uint_eq(cai_judge_pending(j), 3);
    memset(&err, 0, sizeof(err));
    memset(&t, 0, sizeof(t));
    t.kind = (cai_request_kind)7;
    ck_assert_int_eq(cai_judge_add(j, &t, &err), CAI_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "kind"));
    free(b);
    cai_judge_free(j);
}
END_TEST

/* A completion carries its own status and message, and the task's payload as the key: a
 * failure is a completion, not an error of perform. */
START_TEST(completions_carry_their_own_status_message_and_key)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    batch *b = batch_new(2);
    const cai_judge_completion *c;
    cai_error err = {0};

    o.concurrency = 1;
    o.max_retries = 0;
    j = make(&o);
    fake_llm_push_fault(srv, FAKE_500, 1);
    ck_assert_int_eq(add_task(j, b, &err), CAI_OK);
    ck_assert_int_eq(add_task(j, b, &err), CAI_OK);
    c = next_completion(j);
    ck_assert_int_eq(c->kind, CAI_REQUEST_JUDGMENT);
    ck_assert_ptr_eq(c->task->payload, (void *)(uintptr_t)0);
    ck_assert_int_eq(c->status, CAI_EHTTP);
    ck_assert_ptr_nonnull(strstr(c->message, "HTTP 500"));
    ck_assert(isnan(c->result.judgment.p_first));
    c = next_completion(j);
    ck_assert_ptr_eq(c->task->payload, (void *)(uintptr_t)1);
    ck_assert_int_eq(c->status, CAI_OK);
    ck_assert_str_eq(c->message, "");
    ck_assert(c->result.judgment.p_first >= 0 && c->result.judgment.p_first <= 1);
    ck_assert_uint_eq(cai_judge_pending(j), 0);
    free(b);
    cai_judge_free(j);
}
END_TEST

/* The durability rule at the API: while a completion is unread, perform sends nothing, however
 * often it is called; once it is read, the next perform sends. */
START_TEST(perform_sends_nothing_while_a_completion_is_unread)
{
    cai_judge_opts o = http_opts(CAI_BACKEND_OPENAI);
    cai_judge *j;
    batch *b = batch_new(2);
    cai_error err = {0};
    int i;

    o.concurrency = 1;
    j = make(&o);
    ck_assert_int_eq(add_task(j, b, &err), CAI_OK);
    ck_assert_int_eq(add_task(j, b, &err), CAI_OK);
    for (i = 0; i < 500; i++) { /* until the first reply is a completion, left unread */
        unsigned running;
        cai_judge_stats s;

        ck_assert_int_eq(cai_judge_perform(j, &running, &err), CAI_OK);
        cai_judge_get_stats(j, &s);
        if (running == 1 && s.in_flight == 0)
            break;
        ck_assert_int_eq(cai_judge_wait(j, 100, &err), CAI_OK);
    }
    for (i = 0; i < 5; i++) {
        ck_assert_int_eq(cai_judge_perform(j, NULL, &err), CAI_OK);
        ck_assert_int_eq(cai_judge_wait(j, 10, &err), CAI_OK);
    }
    ck_assert_uint_eq(fake_llm_requests(srv), 1);
    ck_assert_ptr_nonnull(cai_judge_read(j));
    ck_assert_int_eq(next_completion(j)->status, CAI_OK);
    ck_assert_uint_eq(fake_llm_requests(srv), 2);
    free(b);
    cai_judge_free(j);
}
END_TEST

Suite *judge_suite(void)
{
    Suite *s = suite_create("judge");
    TCase *tc = tcase_create("pacing");

    tcase_add_test(tc, bucket_paces_requests);
    tcase_add_test(tc, bucket_lets_an_oversized_cost_through_when_full_then_repays_it);
    tcase_add_test(tc, unlimited_bucket_never_waits);
    tcase_add_test(tc, backoff_is_jittered_capped_and_seeded);
    tcase_add_test(tc, backend_names_round_trip);
    tcase_add_test(tc, url_redact_strips_user_info);
    tcase_add_test(tc, sockset_reports_what_each_socket_waits_for_and_forgets_removed_ones);
    suite_add_tcase(s, tc);

    tc = tcase_create("offline");
    tcase_add_checked_fixture(tc, setup_plain, teardown);
    tcase_add_test(tc, create_checks_options);
    tcase_add_test(tc, create_refuses_a_base_url_curl_cannot_parse);
    tcase_add_test(tc, builtin_backend_judges_offline);
    suite_add_tcase(s, tc);

    tc = tcase_create("http");
    tcase_add_checked_fixture(tc, setup_server, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, rpm_limit_paces_a_run);
    tcase_add_test(tc, tpm_limit_paces_a_run);
    tcase_add_test(tc, openai_judges_from_logprobs);
    tcase_add_test(tc, a_body_larger_than_the_socket_buffers_goes_out_whole);
    tcase_add_test(tc, no_authorization_header_without_a_key);
    tcase_add_test(tc, completions_judges_from_logprob_maps);
    tcase_add_test(tc, anthropic_judges_from_text_with_its_headers);
    tcase_add_test(tc, many_pairs_all_succeed_without_duplicates);
    tcase_add_loop_test(tc, retryable_fault_is_retried_with_the_same_body, 0,
                        (int)(sizeof(retryable_faults) / sizeof(retryable_faults[0])));
    tcase_add_test(tc, retries_are_capped);
    tcase_add_test(tc, persistent_429_ends_as_rate_limited);
    tcase_add_test(tc, hang_times_out_and_is_retried);
    tcase_add_test(tc, hang_every_time_ends_as_timeout);
    tcase_add_test(tc, echoed_key_never_reaches_the_error_message);
    tcase_add_test(tc, missing_logprobs_fall_back_to_the_text_verdict);
    tcase_add_test(tc, no_verdict_is_resent_then_fails_never_guessed);
    tcase_add_test(tc, one_no_verdict_then_a_verdict);
    tcase_add_test(tc, faults_under_load_leave_no_pair_behind);
    tcase_add_test(tc, bad_request_fails_fast_with_the_server_message);
    tcase_add_loop_test(tc, cot_verdict_is_clamped, 0, 2);
    tcase_add_loop_test(tc, rating_gives_an_expected_score, 0, 2);
    tcase_add_loop_test(tc, identical_bodies_are_sent_once, 0, 4);
    tcase_add_test(tc, disk_cache_answers_a_later_run);
    tcase_add_test(tc, stop_finishes_in_flight_and_reports_interrupted);
    tcase_add_test(tc, done_error_stops_the_run);
    tcase_add_test(tc, unreachable_server_is_a_transport_error);
    suite_add_tcase(s, tc);

    tc = tcase_create("queue");
    tcase_add_checked_fixture(tc, setup_server, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, add_takes_what_room_allows);
    tcase_add_test(tc, completions_carry_their_own_status_message_and_key);
    tcase_add_test(tc, perform_sends_nothing_while_a_completion_is_unread);
    suite_add_tcase(s, tc);

    tc = tcase_create("health");
    tcase_add_checked_fixture(tc, setup_server, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, refused_connection_before_any_reply_ends_the_run_at_once);
    tcase_add_loop_test(tc, auth_or_not_found_before_any_reply_ends_the_run_at_once, 0, 2);
    tcase_add_test(tc, a_401_after_the_first_reply_fails_only_that_judgment);
    tcase_add_test(tc, public_endpoint_without_a_key_is_refused_before_sending);
    tcase_add_test(tc, judge_down_mid_run_opens_the_breaker_and_stops_at_the_deadline);
    tcase_add_test(tc, breaker_closes_when_the_judge_comes_back);
    tcase_add_test(tc, pool_failover_loses_nothing_and_pays_nothing_twice);
    tcase_add_test(tc, pool_brings_an_ejected_endpoint_back_after_a_probe);
    tcase_add_test(tc, pool_refuses_a_mix_of_models);
    tcase_add_test(tc, second_stop_abandons_requests_in_flight_at_once);
    tcase_add_test(tc, first_stop_abandons_in_flight_requests_after_the_grace);
    tcase_add_test(tc, budget_stops_sending_at_the_cap_and_finishes_what_is_in_flight);
    tcase_add_test(tc, limiter_fits_in_flight_requests_to_a_slow_queue);
    suite_add_tcase(s, tc);

    tc = tcase_create("scripted");
    tcase_add_checked_fixture(tc, setup_plain, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, should_retry_false_forbids_a_retry);
    tcase_add_test(tc, should_retry_true_forces_a_retry);
    tcase_add_test(tc, oversized_reply_is_a_limit_error);
    tcase_add_test(tc, exhausted_rate_limit_header_pauses_the_pool);
    suite_add_tcase(s, tc);

    tc = tcase_create("pool");
    tcase_add_checked_fixture(tc, setup_server_retry_after_1s, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, pool_pauses_on_429);
    suite_add_tcase(s, tc);

    tc = tcase_create("slow");
    tcase_add_checked_fixture(tc, setup_server_slow, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, concurrency_cap_is_honoured_at_the_server);
    tcase_add_test(tc, replies_are_handled_before_their_capacity_is_reused);
    tcase_add_test(tc, work_after_perform_runs_while_requests_are_in_flight);
    suite_add_tcase(s, tc);
    return s;
}

/* SPDX-License-Identifier: MIT */
/* Tests for the batch client against the fake server's OpenAI and Anthropic batch APIs. */
#include "batch_int.h"
#include "fake_llm.h"
#include "journal_int.h"
#include "wire_int.h"
#include "testutil.h"

#include <cai.h>
#include <cjson/cJSON.h>
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

Suite *batch_suite(void);

#define KEY   "sk-test-SECRET-0123456789"
#define MAXT  64
#define NTASK 40

static cai_constitution *con;
static char *tmp;
static cai_journal *jn; /* the batch state's journal, reopened by each batch_open */

typedef struct plan {
    size_t n;
    cai_message ctx[MAXT];
    char first[MAXT][96], second[MAXT][96], pair[MAXT][16];
    uint64_t key[MAXT];
    /* what became of each */
    int got[MAXT]; /* results handed over for it */
    cai_status st[MAXT];
    cai_judgment res[MAXT];
    char msg[MAXT][512];
    size_t next;
    size_t failed[MAXT], n_failed; /* the failures, in the order they were reported */
} plan;

static void setup(void)
{
    cai_error err = {0};
    char *path = tu_strdupf("%s/constitution/helpful.json", tu_source_dir());

    ck_assert_msg(cai_constitution_load(&con, path, &err) == CAI_OK, "%s", err.msg);
    free(path);
    tmp = tu_mkdtemp("batch");
    ck_assert_ptr_nonnull(tmp);
}

static void teardown(void)
{
    cai_journal__free(jn);
    jn = NULL;
    cai_constitution_free(con);
    con = NULL;
    tu_rmtree(tmp);
    free(tmp);
    tmp = NULL;
}

static const char *principle_id(void)
{
    return cai_constitution_principle(con, 0)->id;
}

static plan *plan_new(size_t n)
{
    plan *p = calloc(1, sizeof(*p));
    size_t i;

    ck_assert_ptr_nonnull(p);
    ck_assert_uint_le(n, MAXT);
    p->n = n;
    for (i = 0; i < n; i++) {
        p->ctx[i].role = CAI_ROLE_USER;
        p->ctx[i].content = "How do I boil an egg?";
        snprintf(p->first[i], sizeof(p->first[i]), "Put egg %zu in boiling water for a while.", i);
        snprintf(p->second[i], sizeof(p->second[i]), "Eggs number %zu are best eaten raw.", i);
        snprintf(p->pair[i], sizeof(p->pair[i]), "pair-%zu", i);
        p->key[i] = cai_journal__key(p->pair[i], principle_id(), 0, 0);
    }
    return p;
}

static void task_of(const plan *p, size_t i, cai_judge_task *t)
{
    memset(t, 0, sizeof(*t));
    t->cmp.context = &p->ctx[i];
    t->cmp.n_context = 1;
    t->cmp.principle = cai_constitution_principle(con, 0);
    t->cmp.first = p->first[i];
    t->cmp.second = p->second[i];
    t->payload = (void *)(uintptr_t)i;
}

static cai_judge *judge_for(fake_llm *srv, cai_backend be)
{
    cai_judge_opts o = CAI_JUDGE_OPTS_INIT;
    cai_judge *j = NULL;
    cai_error err = {0};

    o.backend = be;
    o.base_url = be == CAI_BACKEND_ANTHROPIC ? fake_llm_root_url(srv) : fake_llm_url(srv);
    o.model = "fake-judge";
    o.api_key = KEY;
    o.concurrency = 8;
    o.backoff_base_s = 0.001;
    o.backoff_max_s = 0.01;
    ck_assert_msg(cai_judge_create(&j, &o, con, &err) == CAI_OK, "%s", err.msg);
    return j;
}

/* ---- online ---------------------------------------------------------------------------------- */

static int pull(cai_judge_task *out, void *payload)
{
    plan *p = payload;

    if (p->next >= p->n)
        return -1;
    task_of(p, p->next, out);
    p->next++;
    return 1;
}

static cai_status done(const cai_judge_task *t,
                       cai_status st,
                       const cai_judgment *res,
                       const char *errmsg,
                       void *payload)
{
    plan *p = payload;
    size_t i = (size_t)(uintptr_t)t->payload;

    p->got[i]++;
    p->st[i] = st;
    if (res)
        p->res[i] = *res;
    if (errmsg)
        snprintf(p->msg[i], sizeof(p->msg[i]), "%s", errmsg);
    return CAI_OK;
}

/* The caller's loop of include/cai/judge.h: add while there is room, perform, read, wait. */
static cai_status judge_all(cai_judge *j, plan *p, cai_error *err)
{
    for (;;) {
        const cai_judge_completion *c;
        cai_judge_task t;
        cai_status st;
        size_t room = cai_judge_room(j), nread = 0;

        for (; room > 0 && pull(&t, p) == 1; room--)
            if ((st = cai_judge_add(j, &t, err)) != CAI_OK)
                return st;
        st = cai_judge_perform(j, NULL, err);
        while ((c = cai_judge_read(j)) != NULL) {
            nread++;
            done(c->task, c->status, c->status == CAI_OK ? &c->result.judgment : NULL,
                 c->status == CAI_OK ? NULL : c->message, p);
        }
        if (st != CAI_OK)
            return st;
        if (cai_judge_pending(j) == 0 && p->next >= p->n)
            return CAI_OK;
        if (nread == 0 && (st = cai_judge_wait(j, 200, err)) != CAI_OK)
            return st;
    }
}

/* The same plan judged online by a fresh server with the same seed. */
static plan *online(cai_backend be, size_t n)
{
    fake_llm_opts fo = FAKE_LLM_OPTS_INIT;
    fake_llm *srv;
    cai_judge *j;
    plan *p = plan_new(n);
    cai_error err = {0};

    fo.seed = 7;
    srv = fake_llm_start(&fo);
    ck_assert_ptr_nonnull(srv);
    j = judge_for(srv, be);
    ck_assert_msg(judge_all(j, p, &err) == CAI_OK, "%s", err.msg);
    cai_judge_free(j);
    fake_llm_stop(srv);
    return p;
}

/* ---- batch ----------------------------------------------------------------------------------- */

static cai_status on_result(const cai_batch_item *it,
                            cai_status st,
                            const cai_judgment *res,
                            const char *errmsg,
                            void *payload,
                            cai_error *err)
{
    plan *p = payload;
    size_t i;

    (void)err;
    for (i = 0; i < p->n; i++)
        if (p->key[i] == it->key)
            break;
    ck_assert_uint_lt(i, p->n);
    ck_assert_str_eq(it->pair_id, p->pair[i]);
    ck_assert_str_eq(it->principle_id, principle_id());
    p->got[i]++;
    p->st[i] = st;
    if (res)
        p->res[i] = *res;
    if (errmsg)
        snprintf(p->msg[i], sizeof(p->msg[i]), "%s", errmsg);
    if (st != CAI_OK)
        p->failed[p->n_failed++] = i;
    return CAI_OK;
}

/* (Re)opens tmp/journal.cai, as each run opens its journal: what earlier lives wrote is read. */
static cai_journal *journal_reopen(void)
{
    cai_error err = {0};
    char *path = tu_strdupf("%s/journal.cai", tmp);

    cai_journal__free(jn);
    jn = NULL;
    ck_assert_msg(cai_journal__open(&jn, path, "fp", "{}", &err) == CAI_OK, "%s", err.msg);
    free(path);
    return jn;
}

static cai_batch_opts bopts(void)
{
    cai_batch_opts o;
    static char dir[512];

    memset(&o, 0, sizeof(o));
    snprintf(dir, sizeof(dir), "%s/batches", tmp);
    o.dir = dir;
    o.api_key = KEY;
    o.poll_s = 0.001;
    o.wait_s = 30;
    return o;
}

static cai_batch *batch_open(cai_judge *j, const cai_batch_opts *o)
{
    cai_batch *b = NULL;
    cai_error err = {0};
    cai_batch_opts oo = *o;

    oo.journal = journal_reopen();
    ck_assert_msg(cai_batch__open(&b, j, &oo, &err) == CAI_OK, "%s", err.msg);
    return b;
}

/* Adds every task of p that has no result yet, as a run adds what its journal lacks. */
static void add_all(cai_batch *b, plan *p)
{
    size_t i;
    cai_error err = {0};

    for (i = 0; i < p->n; i++) {
        cai_judge_task t;
        cai_batch_item it;

        if (p->got[i] && p->st[i] == CAI_OK)
            continue;
        task_of(p, i, &t);
        memset(&it, 0, sizeof(it));
        it.key = p->key[i];
        it.pair_id = p->pair[i];
        it.principle_id = principle_id();
        ck_assert_msg(cai_batch__add(b, &it, &t, &err) == CAI_OK, "%s", err.msg);
    }
}

static void submit_collect(cai_batch *b, plan *p)
{
    cai_error err = {0};

    ck_assert_msg(cai_batch__submit(b, &err) == CAI_OK, "%s", err.msg);
    ck_assert_msg(cai_batch__collect(b, on_result, p, &err) == CAI_OK, "%s", err.msg);
}

/* Every judgment as the journal would keep it, identical to the online run's. */
static void assert_same(const plan *on, const plan *ba)
{
    size_t i;

    for (i = 0; i < on->n; i++) {
        const cai_judgment *a = &on->res[i], *b = &ba->res[i];

        ck_assert_msg(ba->got[i] == 1, "item %zu handed over %d times", i, ba->got[i]);
        ck_assert_msg(on->st[i] == CAI_OK && ba->st[i] == CAI_OK, "item %zu: %s / %s", i,
                      on->msg[i], ba->msg[i]);
        ck_assert_msg(a->p_first == b->p_first, "item %zu: p %.17g vs %.17g", i, a->p_first,
                      b->p_first);
        ck_assert_int_eq(a->verdict, b->verdict);
        ck_assert_int_eq(a->from_logprobs, b->from_logprobs);
        ck_assert_int_eq(a->source, b->source);
        ck_assert_uint_eq(a->prompt_tokens, b->prompt_tokens);
        ck_assert_uint_eq(a->completion_tokens, b->completion_tokens);
        ck_assert_uint_eq(a->reasoning_tokens, b->reasoning_tokens);
        ck_assert_int_eq(a->truncated, b->truncated);
        ck_assert_uint_eq(a->prompt_tokens_estimate, b->prompt_tokens_estimate);
        ck_assert_uint_eq(a->prompt_tokens_reported, b->prompt_tokens_reported);
    }
}

static void same_as_online(cai_backend be)
{
    plan *on = online(be, NTASK), *ba = plan_new(NTASK);
    fake_llm_opts fo = FAKE_LLM_OPTS_INIT;
    fake_llm *srv;
    cai_judge *j;
    cai_batch *b;
    cai_batch_opts o = bopts();
    fake_batch_stats fs;
    cai_batch_stats bs;
    size_t i, nv[3] = {0, 0, 0};

    fo.seed = 7;
    srv = fake_llm_start(&fo);
    j = judge_for(srv, be);
    b = batch_open(j, &o);
    add_all(b, ba);
    submit_collect(b, ba);
    assert_same(on, ba);
    for (i = 0; i < NTASK; i++)
        nv[on->res[i].verdict == CAI_VERDICT_A ? 0 : on->res[i].verdict == CAI_VERDICT_B]++;
    ck_assert_msg(nv[0] > 0 && nv[1] > 0, "both verdicts occur (a real comparison)");
    fake_llm_batch_stats(srv, &fs);
    cai_batch__get_stats(b, &bs);
    ck_assert_uint_eq(fs.creates, 1);
    ck_assert_uint_eq(fs.uploads, be == CAI_BACKEND_ANTHROPIC ? 0 : 1);
    ck_assert_uint_eq(fs.items, NTASK);
    ck_assert_uint_ge(fs.polls, 3); /* progress: it took the server's three polls */
    ck_assert_uint_eq(fake_llm_successes(srv), NTASK);
    ck_assert_uint_eq(fake_llm_duplicate_successes(srv), 0);
    ck_assert_uint_eq(bs.succeeded, NTASK);
    ck_assert_uint_eq(bs.in_flight, 0);
    cai_batch__free(b);
    cai_judge_free(j);
    fake_llm_stop(srv);
    free(on);
    free(ba);
}

START_TEST(openai_batch_equals_online)
{
    same_as_online(CAI_BACKEND_OPENAI);
}
END_TEST

START_TEST(anthropic_batch_equals_online)
{
    same_as_online(CAI_BACKEND_ANTHROPIC);
}
END_TEST

START_TEST(custom_ids_match_the_providers_pattern)
{
    char cid[24];
    size_t i, n;

    cai_batch__custom_id(0xfedcba9876543210ull, cid);
    ck_assert_str_eq(cid, "cai-fedcba9876543210");
    cai_batch__custom_id(0, cid);
    n = strlen(cid);
    ck_assert_uint_ge(n, 1);
    ck_assert_uint_le(n, 64);
    for (i = 0; i < n; i++)
        ck_assert(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-",
                         cid[i]) != NULL);
}
END_TEST

/* Splitting: 7 requests a batch, then a byte limit of about three requests. */
static void split(cai_backend be, size_t max_requests, size_t max_bytes, size_t want_batches)
{
    plan *on = online(be, 20), *ba = plan_new(20);
    fake_llm_opts fo = FAKE_LLM_OPTS_INIT;
    fake_llm *srv;
    cai_judge *j;
    cai_batch *b;
    cai_batch_opts o = bopts();
    fake_batch_stats fs;

    fo.seed = 7;
    srv = fake_llm_start(&fo);
    j = judge_for(srv, be);
    o.max_requests = max_requests;
    o.max_bytes = max_bytes;
    b = batch_open(j, &o);
    add_all(b, ba);
    submit_collect(b, ba);
    assert_same(on, ba);
    fake_llm_batch_stats(srv, &fs);
    ck_assert_uint_eq(fs.creates, want_batches);
    ck_assert_uint_eq(fs.items, 20);
    ck_assert_uint_eq(fake_llm_duplicate_successes(srv), 0);
    cai_batch__free(b);
    cai_judge_free(j);
    fake_llm_stop(srv);
    free(on);
    free(ba);
}

START_TEST(splits_at_the_request_limit)
{
    split(CAI_BACKEND_OPENAI, 7, 0, 3);
    tu_rmtree(tmp);
    ck_assert_int_eq(mkdir(tmp, 0700), 0);
    split(CAI_BACKEND_ANTHROPIC, 7, 0, 3);
}
END_TEST

START_TEST(splits_at_the_byte_limit)
{
    cai_judge *j;
    fake_llm *srv = fake_llm_start(NULL);
    plan *p = plan_new(1);
    cai_judge_task t;
    char *body = NULL;
    cai_error err = {0};
    size_t line;

    /* one OpenAI line: the body and about 100 bytes of envelope; four fit in 4.5 lines */
    j = judge_for(srv, CAI_BACKEND_OPENAI);
    task_of(p, 0, &t);
    ck_assert(cai_judge_request_body(j, &t, &body, &err) == CAI_OK);
    line = strlen(body) + 110;
    free(body);
    cai_judge_free(j);
    fake_llm_stop(srv);
    free(p);
    split(CAI_BACKEND_OPENAI, 0, line * 4 + line / 2, 5);
}
END_TEST

/* A run killed after submitting, and again while polling, reattaches: one submission. */
START_TEST(killed_run_reattaches_without_submitting_again)
{
    static const cai_backend bes[] = {CAI_BACKEND_OPENAI, CAI_BACKEND_ANTHROPIC};
    size_t k;

    for (k = 0; k < 2; k++) {
        plan *on = online(bes[k], NTASK), *ba = plan_new(NTASK);
        fake_llm_opts fo = FAKE_LLM_OPTS_INIT;
        fake_llm *srv;
        cai_judge *j;
        cai_batch *b;
        cai_batch_opts o = bopts();
        fake_batch_stats fs;
        cai_batch_stats bs;
        int kill_at, status;

        fo.seed = 7;
        srv = fake_llm_start(&fo);
        fake_llm_batch_set_polls(srv, 5);
        for (kill_at = 0; kill_at < 2; kill_at++) {
            pid_t pid = fake_llm_fork(srv);

            ck_assert_int_ge(pid, 0);
            if (pid == 0) {
                cai_error err = {0};
                j = judge_for(srv, bes[k]);
                b = batch_open(j, &o);
                add_all(b, ba);
                if (cai_batch__submit(b, &err) != CAI_OK)
                    _exit(3);
                if (kill_at == 1) { /* the second life polls once, then dies too */
                    o.wait_s = 0;
                    cai_batch__free(b);
                    b = batch_open(j, &o);
                    add_all(b, ba);
                    if (cai_batch__collect(b, on_result, ba, &err) != CAI_ETIMEOUT)
                        _exit(4);
                }
                raise(SIGKILL);
                _exit(5);
            }
            ck_assert_int_eq(waitpid(pid, &status, 0), pid);
            ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        }
        j = judge_for(srv, bes[k]);
        b = batch_open(j, &o);
        add_all(b, ba);
        cai_batch__get_stats(b, &bs);
        ck_assert_uint_eq(bs.reattached, NTASK);
        ck_assert_uint_eq(bs.added, 0);
        ck_assert_uint_eq(bs.in_flight, 1);
        submit_collect(b, ba);
        assert_same(on, ba);
        fake_llm_batch_stats(srv, &fs);
        ck_assert_uint_eq(fs.creates, 1); /* never paid twice */
        ck_assert_uint_eq(fs.items, NTASK);
        ck_assert_uint_eq(fake_llm_duplicate_successes(srv), 0);
        cai_batch__free(b);
        cai_judge_free(j);
        fake_llm_stop(srv);
        free(on);
        free(ba);
        tu_rmtree(tmp);
        ck_assert_int_eq(mkdir(tmp, 0700), 0);
    }
}
END_TEST

/* A directory from the cai that kept the batch state in DIR/batches.cai ("t" = the event):
 * migrated into the journal, the batch in flight reattached, not submitted again. */
START_TEST(an_old_state_log_is_migrated_and_reattached)
{
    plan *on = online(CAI_BACKEND_OPENAI, NTASK), *ba = plan_new(NTASK);
    fake_llm_opts fo = FAKE_LLM_OPTS_INIT;
    fake_llm *srv;
    cai_judge *j;
    cai_batch *b;
    cai_batch_opts o = bopts();
    fake_batch_stats fs;
    cai_batch_stats bs;
    cai_error err = {0};
    char *old = tu_strdupf("%s/batches.cai", tmp), *jpath = tu_strdupf("%s/journal.cai", tmp);
    FILE *f;
    size_t i, nrec;
    unsigned moved = 0, pending = 0;

    fo.seed = 7;
    srv = fake_llm_start(&fo);
    fake_llm_batch_set_polls(srv, 3);
    j = judge_for(srv, CAI_BACKEND_OPENAI);
    b = batch_open(j, &o);
    add_all(b, ba);
    ck_assert_msg(cai_batch__submit(b, &err) == CAI_OK, "%s", err.msg);
    cai_batch__free(b);
    /* the same state, as the older cai wrote it, beside a journal without it */
    nrec = cai_journal__batch_count(jn);
    ck_assert_uint_ge(nrec, 3); /* sealed, upload, batch */
    f = fopen(old, "w");
    ck_assert_ptr_nonnull(f);
    for (i = 0; i < nrec; i++) {
        cJSON *r = cJSON_Parse(cai_journal__batch_record(jn, i));
        cJSON *ev = cJSON_DetachItemFromObjectCaseSensitive(r, "ev");
        char *txt;

        cJSON_ReplaceItemInObjectCaseSensitive(r, "t", ev);
        txt = cJSON_PrintUnformatted(r);
        fprintf(f, "%s\t%08lx\n", txt,
                (unsigned long)crc32(0L, (const Bytef *)txt, (uInt)strlen(txt)));
        cJSON_free(txt);
        cJSON_Delete(r);
    }
    fclose(f);
    cai_journal__free(jn);
    jn = NULL;
    ck_assert_int_eq(unlink(jpath), 0);
    journal_reopen();
    ck_assert_uint_eq(cai_journal__batch_count(jn), 0);
    ck_assert_int_eq(cai_batch__pending(jn, &pending, &err), CAI_OK);
    ck_assert_uint_eq(pending, 0);

    ck_assert_msg(cai_batch__migrate(jn, old, &moved, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(moved, nrec);
    ck_assert_int_ne(access(old, F_OK), 0); /* one source of truth: the journal */
    ck_assert_int_eq(cai_batch__pending(jn, &pending, &err), CAI_OK);
    ck_assert_uint_eq(pending, 1);
    ck_assert_msg(cai_batch__migrate(jn, old, &moved, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(moved, 0); /* nothing left to move */

    b = batch_open(j, &o); /* reopens the journal: the migrated records are read from disk */
    add_all(b, ba);
    cai_batch__get_stats(b, &bs);
    ck_assert_uint_eq(bs.reattached, NTASK);
    ck_assert_uint_eq(bs.added, 0);
    ck_assert_uint_eq(bs.in_flight, 1);
    submit_collect(b, ba);
    assert_same(on, ba);
    fake_llm_batch_stats(srv, &fs);
    ck_assert_uint_eq(fs.creates, 1); /* never paid twice */
    ck_assert_uint_eq(fake_llm_duplicate_successes(srv), 0);
    cai_batch__free(b);
    cai_judge_free(j);
    fake_llm_stop(srv);
    free(old);
    free(jpath);
    free(on);
    free(ba);
}
END_TEST

/* A damaged old state log is refused naming file:line, and left in place. */
START_TEST(a_damaged_old_state_log_is_refused)
{
    cai_error err = {0};
    char *old = tu_strdupf("%s/batches.cai", tmp);
    const char *txt = "[1,2]";
    FILE *f = fopen(old, "w");
    unsigned moved = 0;

    ck_assert_ptr_nonnull(f);
    fprintf(f, "%s\t%08lx\n", txt, (unsigned long)crc32(0L, (const Bytef *)txt, 5));
    fclose(f);
    journal_reopen();
    ck_assert_int_eq(cai_batch__migrate(jn, old, &moved, &err), CAI_EPARSE);
    ck_assert_msg(strstr(err.msg, "batches.cai:1:") != NULL, "%s", err.msg);
    ck_assert_int_eq(access(old, F_OK), 0);
    free(old);
}
END_TEST

static void count_progress(const cai_batch_progress *p, void *payload)
{
    cai_batch_progress *last = payload;

    ck_assert_uint_ge(p->polled, 1);
    ck_assert_uint_le(p->done + p->failed, p->requests);
    last->polled++; /* rounds seen */
    last->in_flight += p->in_flight;
    last->requests = p->requests;
    last->done = p->done;
}

/* One progress report per round of polls, with the providers' request_counts. */
START_TEST(progress_is_reported_per_poll)
{
    plan *ba = plan_new(NTASK);
    fake_llm *srv = fake_llm_start(NULL);
    cai_judge *j = judge_for(srv, CAI_BACKEND_ANTHROPIC);
    cai_batch_opts o = bopts();
    cai_batch_progress seen;
    cai_batch_stats bs;
    cai_batch *b;

    memset(&seen, 0, sizeof(seen));
    fake_llm_batch_set_polls(srv, 4);
    o.progress = count_progress;
    o.progress_payload = &seen;
    b = batch_open(j, &o);
    add_all(b, ba);
    submit_collect(b, ba);
    cai_batch__get_stats(b, &bs);
    ck_assert_uint_eq(seen.polled, bs.polls); /* one batch: one report per status request */
    ck_assert_uint_ge(seen.polled, 2);
    ck_assert_uint_ge(seen.in_flight, 1); /* it was reported running before it ended */
    ck_assert_uint_eq(seen.requests, NTASK);
    ck_assert_uint_eq(seen.done, NTASK); /* the last report: all answered */
    cai_batch__free(b);
    cai_judge_free(j);
    fake_llm_stop(srv);
    free(ba);
}
END_TEST

/* The provider made the batch but its reply was lost: the next run finds it by its input file
 * (OpenAI lists batches with input_file_id) instead of creating a second one. */
START_TEST(a_lost_creation_reply_is_found_not_submitted_again)
{
    plan *on = online(CAI_BACKEND_OPENAI, NTASK), *ba = plan_new(NTASK);
    fake_llm_opts fo = FAKE_LLM_OPTS_INIT;
    fake_llm *srv;
    cai_judge *j;
    cai_batch *b;
    cai_batch_opts o = bopts();
    fake_batch_stats fs;
    cai_batch_stats bs;
    cai_error err = {0};

    fo.seed = 7;
    srv = fake_llm_start(&fo);
    fake_llm_batch_lose_next_create(srv, 1);
    j = judge_for(srv, CAI_BACKEND_OPENAI);
    b = batch_open(j, &o);
    add_all(b, ba);
    ck_assert_int_eq(cai_batch__submit(b, &err), CAI_ETRANSPORT);
    cai_batch__free(b);
    fake_llm_batch_stats(srv, &fs);
    ck_assert_uint_eq(fs.creates, 1);

    b = batch_open(j, &o);
    add_all(b, ba);
    cai_batch__get_stats(b, &bs);
    ck_assert_uint_eq(bs.reattached, NTASK);
    submit_collect(b, ba);
    assert_same(on, ba);
    fake_llm_batch_stats(srv, &fs);
    ck_assert_uint_eq(fs.creates, 1); /* found, not made again */
    ck_assert_uint_eq(fs.uploads, 1);
    ck_assert_uint_eq(fake_llm_duplicate_successes(srv), 0);
    cai_batch__free(b);
    cai_judge_free(j);
    fake_llm_stop(srv);
    free(on);
    free(ba);
}
END_TEST

/* Expiry (half the first batch) and errored requests go again in new batches, once each. */
static void expiry_and_failures(cai_backend be)
{
    plan *on = online(be, NTASK), *ba = plan_new(NTASK);
    fake_llm_opts fo = FAKE_LLM_OPTS_INIT;
    fake_llm *srv;
    cai_judge *j;
    cai_batch *b;
    cai_batch_opts o = bopts();
    fake_batch_stats fs;
    cai_batch_stats bs;

    fo.seed = 7;
    srv = fake_llm_start(&fo);
    fake_llm_batch_expire_next(srv, 1);
    fake_llm_batch_fail_every(srv, 4);
    j = judge_for(srv, be);
    b = batch_open(j, &o);
    add_all(b, ba);
    submit_collect(b, ba);
    assert_same(on, ba);
    fake_llm_batch_stats(srv, &fs);
    cai_batch__get_stats(b, &bs);
    ck_assert_uint_eq(fs.expired, NTASK / 2);
    ck_assert_uint_gt(fs.errored, 0);
    ck_assert_uint_ge(fs.creates, 2);
    ck_assert_uint_eq(bs.retried, fs.expired + fs.errored);
    ck_assert_uint_eq(fs.items, NTASK + bs.retried);
    ck_assert_uint_eq(fake_llm_successes(srv), NTASK);
    ck_assert_uint_eq(fake_llm_duplicate_successes(srv), 0);
    cai_batch__free(b);
    cai_judge_free(j);
    fake_llm_stop(srv);
    free(on);
    free(ba);
}

START_TEST(expired_and_failed_requests_are_retried_in_a_new_batch)
{
    expiry_and_failures(CAI_BACKEND_OPENAI);
    tu_rmtree(tmp);
    ck_assert_int_eq(mkdir(tmp, 0700), 0);
    expiry_and_failures(CAI_BACKEND_ANTHROPIC);
}
END_TEST

START_TEST(requests_fail_for_good_after_max_rounds)
{
    plan *ba = plan_new(10);
    fake_llm *srv = fake_llm_start(NULL);
    cai_judge *j;
    cai_batch *b;
    cai_batch_opts o = bopts();
    cai_batch_stats bs;
    size_t i, failed = 0;

    fake_llm_batch_expire_next(srv, 5);
    o.max_rounds = 2;
    j = judge_for(srv, CAI_BACKEND_OPENAI);
    b = batch_open(j, &o);
    add_all(b, ba);
    submit_collect(b, ba);
    cai_batch__get_stats(b, &bs);
    for (i = 0; i < 10; i++) {
        ck_assert_int_eq(ba->got[i], 1);
        if (ba->st[i] != CAI_OK) {
            failed++;
            ck_assert_msg(strstr(ba->msg[i], "batch_expired") &&
                              strstr(ba->msg[i], "after 2 batch submissions"),
                          "%s", ba->msg[i]);
        }
    }
    /* 10 -> 5 expire -> the second batch of 5 answers 2 -> 3 expire again: failed for good */
    ck_assert_uint_eq(failed, 3);
    ck_assert_uint_eq(bs.failed, 3);
    /* Resubmission keeps the spool order (the fake answers a batch's first half): 5-9 expire
     * and go again in that order, 5 and 6 are answered, and 7, 8, 9 fail, reported in that
     * order whatever their keys hash to. */
    ck_assert_uint_eq(ba->n_failed, 3);
    for (i = 0; i < 3; i++)
        ck_assert_uint_eq(ba->failed[i], 7 + i);
    cai_batch__free(b);
    cai_judge_free(j);
    fake_llm_stop(srv);
    free(ba);
}
END_TEST

START_TEST(the_api_key_is_not_written)
{
    plan *ba = plan_new(5);
    fake_llm *srv = fake_llm_start(NULL);
    cai_judge *j = judge_for(srv, CAI_BACKEND_OPENAI);
    cai_batch_opts o = bopts();
    cai_batch *b = batch_open(j, &o);
    char *cmd, *out = NULL;

    add_all(b, ba);
    submit_collect(b, ba);
    cai_batch__free(b);
    cmd = tu_strdupf("grep -r -l '%s' '%s' || true", KEY, tmp);
    tu_run(cmd, &out);
    ck_assert_str_eq(out ? out : "", "");
    free(out);
    free(cmd);
    cai_judge_free(j);
    fake_llm_stop(srv);
    free(ba);
}
END_TEST

/* ---- documented shapes (tests/data/wire/batch_*) ----------------------------------------- */

static char *fixture(const char *name, size_t *len)
{
    char *path = tu_strdupf("%s/tests/data/wire/%s", tu_source_dir(), name);
    char *t = tu_read_file(path, len);

    ck_assert_msg(t != NULL, "%s", path);
    free(path);
    return t;
}

START_TEST(status_fixtures_are_read)
{
    cai_bhttp_status st;
    cai_error err = {0};
    size_t len;
    char *t = fixture("batch_openai_batch.json", &len);

    ck_assert_int_eq(cai_bhttp__parse_status(CAI_BACKEND_OPENAI, t, len, &st, &err), CAI_OK);
    ck_assert_str_eq(st.status, "completed");
    ck_assert(st.ended && !st.failed);
    ck_assert_uint_eq(st.total, 100);
    ck_assert_uint_eq(st.done, 95);
    ck_assert_uint_eq(st.bad, 5);
    ck_assert_str_eq(st.out_ref, "file-cvaTdG");
    ck_assert_str_eq(st.err_ref, "file-HOWS94");
    free(t);
    t = fixture("batch_openai_failed.json", &len);
    ck_assert_int_eq(cai_bhttp__parse_status(CAI_BACKEND_OPENAI, t, len, &st, &err), CAI_OK);
    ck_assert(st.ended && st.failed);
    ck_assert_str_eq(st.message, "This line is not parseable as valid JSON.");
    ck_assert_str_eq(st.out_ref, "");
    free(t);
    t = fixture("batch_anthropic_batch.json", &len);
    ck_assert_int_eq(cai_bhttp__parse_status(CAI_BACKEND_ANTHROPIC, t, len, &st, &err), CAI_OK);
    ck_assert_str_eq(st.status, "ended");
    ck_assert(st.ended);
    ck_assert_uint_eq(st.total, 100);
    ck_assert_uint_eq(st.done, 50);
    ck_assert_uint_eq(st.bad, 50);
    ck_assert_str_eq(st.out_ref, "https://api.anthropic.com/v1/messages/batches/"
                                 "msgbatch_013Zva2CMHLNnXjNJJKqJ2EF/results");
    free(t);
    ck_assert_int_eq(cai_bhttp__parse_status(CAI_BACKEND_OPENAI, "{}", 2, &st, &err), CAI_ESCHEMA);
}
END_TEST

/* Each line of a documented result file: a reply for the online parser, or why not. */
static void result_lines(cai_backend be, const char *name, const char *const *want)
{
    size_t len, i = 0;
    char *t = fixture(name, &len), *line, *save = NULL;

    for (line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
        uint64_t key;
        char *reply = NULL, why[300];
        cai_wire_reply r;
        cai_error err = {0};

        ck_assert_ptr_nonnull(want[i]);
        ck_assert_int_eq(
            cai_batch__parse_result(be, line, strlen(line), &key, &reply, why, sizeof(why)),
            CAI_OK);
        if (strcmp(want[i], "reply") == 0) {
            ck_assert_msg(reply != NULL, "line %zu: %s", i, why);
            ck_assert_int_eq(cai_wire__parse_reply(&r, be, reply, strlen(reply), &err), CAI_OK);
            ck_assert(r.text && (r.text[0] == 'A' || r.text[0] == 'B'));
            ck_assert(r.has_usage && r.prompt_tokens > 500);
            cai_wire__reply_dispose(&r);
        } else {
            ck_assert_ptr_null(reply);
            ck_assert_msg(strstr(why, want[i]) != NULL, "line %zu: %s", i, why);
        }
        cJSON_free(reply);
    }
    ck_assert_ptr_null(want[i]);
    free(t);
}

START_TEST(result_fixtures_are_read)
{
    static const char *const openai[] = {"reply", "HTTP 500: server_error: The server had an error",
                                         "batch_expired: This request could not", NULL};
    static const char *const anthropic[] = {
        "reply", "errored: invalid_request_error: max_tokens: Field required", "expired",
        "canceled", NULL};
    uint64_t key;
    char *reply, why[64];

    result_lines(CAI_BACKEND_OPENAI, "batch_openai_output.jsonl", openai);
    result_lines(CAI_BACKEND_ANTHROPIC, "batch_anthropic_results.jsonl", anthropic);
    /* a line whose custom_id is not cai's is not a result of this run */
    {
        static const char foreign[] = "{\"custom_id\":\"my-first-request\"}";
        ck_assert_int_eq(cai_batch__parse_result(CAI_BACKEND_ANTHROPIC, foreign, strlen(foreign),
                                                 &key, &reply, why, sizeof(why)),
                         CAI_ESCHEMA);
    }
}
END_TEST

Suite *batch_suite(void)
{
    Suite *s = suite_create("batch");
    TCase *tc = tcase_create("batch");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, custom_ids_match_the_providers_pattern);
    tcase_add_test(tc, status_fixtures_are_read);
    tcase_add_test(tc, result_fixtures_are_read);
    tcase_add_test(tc, openai_batch_equals_online);
    tcase_add_test(tc, anthropic_batch_equals_online);
    tcase_add_test(tc, splits_at_the_request_limit);
    tcase_add_test(tc, splits_at_the_byte_limit);
    tcase_add_test(tc, killed_run_reattaches_without_submitting_again);
    tcase_add_test(tc, a_lost_creation_reply_is_found_not_submitted_again);
    tcase_add_test(tc, an_old_state_log_is_migrated_and_reattached);
    tcase_add_test(tc, a_damaged_old_state_log_is_refused);
    tcase_add_test(tc, progress_is_reported_per_poll);
    tcase_add_test(tc, expired_and_failed_requests_are_retried_in_a_new_batch);
    tcase_add_test(tc, requests_fail_for_good_after_max_rounds);
    tcase_add_test(tc, the_api_key_is_not_written);
    suite_add_tcase(s, tc);
    return s;
}

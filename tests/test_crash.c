/* SPDX-License-Identifier: MIT */
/* Crash tests: the real cai binary killed with SIGKILL or stopped with SIGINT, then resumed. */
#include <cai.h>
#include "hash_int.h"
#include "fake_llm.h"
#include "testutil.h"

#include <check.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

Suite *crash_suite(void);

#define CONC 8 /* --concurrency of the runs here, unless a test says otherwise */
/*
 * The most answered judgments a SIGKILL can lose at concurrency c: the requests in flight. The
 * engine (pipeline/engine.c) hands every reply it has read to the run, which journals it with a
 * write(2), before the reply's capacity goes to a new request; so at most c requests are ever
 * sent and not yet journaled (or failed for good).
 */
#define UNJOURNALED_MAX(c) ((size_t)(c))

static char *dir;

static void setup(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    dir = tu_mkdtemp("crash");
    ck_assert_ptr_nonnull(dir);
}

static void teardown(void)
{
    tu_rmtree(dir);
    free(dir);
    curl_global_cleanup();
}

/* Starts `cai run` on the samples against srv, writing to out; returns the child's pid. When
 * gate >= 0 the child waits until a byte can be read from it before it starts cai. */
static pid_t
spawn_run_gated(fake_llm *srv, const char *out, const char *limit, unsigned concurrency, int gate)
{
    char *input = tu_strdupf("%s/datasets/samples/pairs.jsonl", tu_source_dir());
    char *constitution = tu_strdupf("%s/constitution/hhh.json", tu_source_dir());
    char *conc = tu_strdupf("%u", concurrency);
    pid_t pid = fake_llm_fork(srv);

    if (pid == 0) {
        int null = open("/dev/null", 1);
        char c;
        if (gate >= 0 && read(gate, &c, 1) != 1)
            _exit(126);
        dup2(null, 1);
        dup2(null, 2);
        execl(tu_cai_binary(), "cai", "run", "--input", input, "--constitution", constitution,
              "--output", out, "--judge", "openai", "--base-url", fake_llm_url(srv), "--model",
              "fake", "--concurrency", conc, "--limit", limit, "--quiet", (char *)NULL);
        _exit(127);
    }
    free(input);
    free(constitution);
    free(conc);
    return pid;
}

static pid_t spawn_run(fake_llm *srv, const char *out, const char *limit)
{
    return spawn_run_gated(srv, out, limit, CONC, -1);
}

/* Starts `cai run` with srv armed to SIGKILL it as its m-th request arrives; the child starts
 * cai only once the server is armed, so no request can slip past the count. */
static pid_t spawn_run_killed_at(
    fake_llm *srv, const char *out, const char *limit, unsigned concurrency, size_t m)
{
    int gate[2];
    pid_t pid;

    ck_assert_int_eq(pipe(gate), 0);
    pid = spawn_run_gated(srv, out, limit, concurrency, gate[0]);
    ck_assert_int_gt(pid, 0);
    close(gate[0]);
    fake_llm_quiesce(srv); /* the last killed run's leftovers are not this one's requests */
    fake_llm_kill_on_request(srv, pid, m);
    ck_assert_int_eq(write(gate[1], "g", 1), 1);
    close(gate[1]);
    return pid;
}

static int wait_exit(pid_t pid)
{
    int st = 0;

    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Polls (never a timing assertion) until the server has answered `target` requests or the child
 * has exited; returns 1 if the child is still running. */
static int wait_for_requests(fake_llm *srv, pid_t pid, size_t target)
{
    struct timespec ts = {0, 200000};
    int st;

    while (fake_llm_successes(srv) < target) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            return 0;
        nanosleep(&ts, NULL);
    }
    return 1;
}

static char *read_outputs(const char *out, size_t *n)
{
    char *a = tu_read_in(out, "data/train-00000-of-00001.jsonl.gz");
    char *b = tu_read_in(out, "data/test-00000-of-00001.jsonl.gz");
    char *all = tu_strdupf("%s\n--\n%s", a ? a : "(none)", b ? b : "(none)");

    free(a);
    free(b);
    *n = strlen(all);
    return all;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Distinct "k" values among the journal's records. */
static size_t count_distinct_keys(const char *journal)
{
    size_t n = 0, cap = 1024, distinct = 0, i;
    char **keys = malloc(cap * sizeof(*keys));
    const char *p = journal;

    while ((p = strstr(p, "\"k\":\""))) { /* every record kind keys its records by "k" */
        p += 5;
        if (n == cap)
            keys = realloc(keys, (cap *= 2) * sizeof(*keys));
        keys[n++] = strndup(p, 16);
    }
    qsort(keys, n, sizeof(*keys), cmp_str);
    for (i = 0; i < n; i++) {
        distinct += i == 0 || strcmp(keys[i], keys[i - 1]) != 0;
        free(i ? keys[i - 1] : NULL);
    }
    if (n)
        free(keys[n - 1]);
    free(keys);
    return distinct;
}

START_TEST(crash_sigkill_twenty_times_then_resume_gives_identical_bytes)
{
    fake_llm_opts fo = FAKE_LLM_OPTS_INIT;
    fake_llm *srv;
    char *ref = tu_strdupf("%s/ref", dir), *out = tu_strdupf("%s/crash", dir);
    char *a, *b, *journal;
    size_t na, nb, total, base;
    uint64_t rng = 12345;
    int kills = 0, i, rc;

    fo.latency_ms = 2;
    srv = fake_llm_start(&fo);
    ck_assert_ptr_nonnull(srv);
    rc = wait_exit(spawn_run(srv, ref, "150"));
    ck_assert_int_eq(rc, 0);
    total = fake_llm_successes(srv);
    ck_assert_uint_gt(total, 250);

    base = fake_llm_successes(srv);
    for (i = 0; i < 20; i++) {
        /* a random point inside the i-th twentieth of the work */
        size_t lo = total * (size_t)i / 21, span = total / 21;
        size_t target = base + lo + (size_t)(cai_splitmix64(&rng) % (span ? span : 1));
        pid_t pid = spawn_run(srv, out, "150");
        if (wait_for_requests(srv, pid, target)) {
            kill(pid, SIGKILL);
            kills++;
        }
        wait_exit(pid);
        if (fake_llm_successes(srv) - base >= total)
            break;
    }
    rc = wait_exit(spawn_run(srv, out, "150"));
    ck_assert_int_eq(rc, 0);
    ck_assert_int_ge(kills, 10);
    /*
     * Requests in flight at a SIGKILL are answered but never journaled, so the server may see
     * those twice; a journaled judgment must never be asked again, which would journal it twice.
     */
    ck_assert_uint_ge(fake_llm_successes(srv) - base, total);
    /* and what was paid again is at most what the engine held at each kill */
    ck_assert_uint_le(fake_llm_successes(srv) - base,
                      total + (size_t)kills * UNJOURNALED_MAX(CONC));
    fake_llm_stop(srv);

    a = read_outputs(ref, &na);
    b = read_outputs(out, &nb);
    ck_assert_uint_eq(na, nb);
    ck_assert_str_eq(a, b);
    journal = tu_read_in(out, "journal.cai");
    ck_assert_ptr_nonnull(journal);
    ck_assert_uint_eq(tu_count_lines(journal), total + 1); /* header + one line per judgment */
    ck_assert_uint_eq(count_distinct_keys(journal), total);
    free(journal);
    free(a);
    free(b);
    free(ref);
    free(out);
}
END_TEST

/* Judgments in out's journal: its complete lines after the header. */
static size_t journal_entries(const char *out)
{
    char *journal = tu_read_in(out, "journal.cai");
    size_t n = journal ? tu_count_lines(journal) : 0;

    free(journal);
    return n > 0 ? n - 1 : 0;
}

/*
 * The server kills the client as its m-th request arrives. By then the client had sent m
 * requests, of which at most UNJOURNALED_MAX(c) = c were still in flight (the m-th among them);
 * every other answer was journaled before its capacity was reused, so the journal must hold at
 * least m - c new entries. Of what the server answered, at most c per kill may be missing from
 * the journal and be paid again on resume. A journal written lazily (every few seconds, at exit,
 * every few judgments) fails, and so does an engine that sends into a reply's capacity before
 * the reply is journaled: at concurrency 1 the bound is m - 1, every answer but the last asked.
 */
START_TEST(crash_sigkill_at_the_mth_request_keeps_every_answer_read_before_it)
{
    static const size_t at[] = {40, 75, 23, 61}; /* m of each killed run, 199 of ~300 requests */
    static const unsigned concs[] = {1, CONC};
    const size_t nkills = sizeof(at) / sizeof(at[0]);
    const unsigned c = concs[_i];
    const size_t lost_max = UNJOURNALED_MAX(c);
    fake_llm_opts fo = FAKE_LLM_OPTS_INIT;
    fake_llm *srv;
    char *ref = tu_strdupf("%s/ref", dir), *out = tu_strdupf("%s/crash", dir);
    char *a, *b, *journal;
    size_t na, nb, total, i, entries = 0;
    int rc;

    fo.latency_ms = 2; /* keeps requests in flight at each kill */
    srv = fake_llm_start(&fo);
    ck_assert_ptr_nonnull(srv);
    rc = wait_exit(spawn_run(srv, ref, "150"));
    ck_assert_int_eq(rc, 0);
    total = fake_llm_successes(srv);
    ck_assert_uint_gt(total, 250);
    fake_llm_stop(srv);

    /* a fresh server with the same seed gives the same verdicts and counts only these runs */
    srv = fake_llm_start(&fo);
    ck_assert_ptr_nonnull(srv);
    for (i = 0; i < nkills; i++) {
        size_t now_entries, now_paid;

        rc = wait_exit(spawn_run_killed_at(srv, out, "150", c, at[i]));
        ck_assert_int_eq(rc, 128 + SIGKILL);
        now_entries = journal_entries(out);
        now_paid = fake_llm_successes(srv);
        ck_assert_uint_ge(now_entries, entries);
        ck_assert_msg(now_entries - entries >= at[i] - lost_max,
                      "concurrency %u, kill %zu at request %zu: %zu new journal entries, want >= "
                      "%zu",
                      c, i, at[i], now_entries - entries, at[i] - lost_max);
        /* Counted over the kills so far, not per kill: the server may decide requests the dead
         * client sent before it died after the test has read its count, which moves them into
         * the next kill's window (seen under valgrind); the sum is exact. */
        ck_assert_msg(now_paid <= now_entries + (i + 1) * lost_max,
                      "concurrency %u, after kill %zu: %zu answers paid, %zu journaled, want <= "
                      "%zu lost",
                      c, i, now_paid, now_entries, (i + 1) * lost_max);
        entries = now_entries;
    }
    rc = wait_exit(spawn_run(srv, out, "150"));
    ck_assert_int_eq(rc, 0);
    /* judgments journaled before a kill are not asked again: only those the engine held */
    ck_assert_uint_le(fake_llm_duplicate_successes(srv), nkills * lost_max);
    ck_assert_uint_eq(fake_llm_successes(srv) - fake_llm_duplicate_successes(srv), total);
    fake_llm_stop(srv);

    a = read_outputs(ref, &na);
    b = read_outputs(out, &nb);
    ck_assert_uint_eq(na, nb);
    ck_assert_str_eq(a, b);
    journal = tu_read_in(out, "journal.cai");
    ck_assert_ptr_nonnull(journal);
    ck_assert_uint_eq(tu_count_lines(journal), total + 1);
    ck_assert_uint_eq(count_distinct_keys(journal), total);
    free(journal);
    free(a);
    free(b);
    free(ref);
    free(out);
}
END_TEST

/* ---- the generation stages: cai sample and cai revise ---------------------------------------- */

#define GEN_ITEMS 24

/* The stage's input (written once into dir) and its command line; _i: 0 sample, 1 revise. */
static pid_t spawn_gen_gated(fake_llm *srv, int stage, const char *out, int gate)
{
    char *input = tu_strdupf("%s/gen-input.jsonl", dir);
    char *constitution = tu_strdupf("%s/constitution/hhh.json", tu_source_dir());
    pid_t pid;

    if (access(input, R_OK) != 0) {
        char line[160], *all = tu_strdupf("%s", "");
        unsigned i;

        for (i = 0; i < GEN_ITEMS; i++) {
            char *next;

            snprintf(line, sizeof(line),
                     "{\"id\":\"q%u\",\"prompt\":\"\\n\\nHuman: Question %u?\\n\\nAssistant:\","
                     "\"response\":\" Answer %u.\"}\n",
                     i, i, i);
            next = tu_strdupf("%s%s", all, line);
            free(all);
            all = next;
        }
        ck_assert_int_eq(tu_write_file(input, all, strlen(all)), 0);
        free(all);
    }
    pid = fake_llm_fork(srv);
    if (pid == 0) {
        int null = open("/dev/null", 1);
        char c;

        if (gate >= 0 && read(gate, &c, 1) != 1)
            _exit(126);
        dup2(null, 1);
        dup2(null, 2);
        setenv("OPENAI_API_KEY", "test-key", 1);
        if (stage == 0)
            execl(tu_cai_binary(), "cai", "sample", "-i", input, "-o", out, "--base-url",
                  fake_llm_url(srv), "-m", "pol", "--n", "3", "--seed", "5", "--concurrency", "4",
                  "--quiet", (char *)NULL);
        else
            execl(tu_cai_binary(), "cai", "revise", "-i", input, "-o", out, "-c", constitution,
                  "--base-url", fake_llm_url(srv), "-m", "pol", "--rounds", "2", "--concurrency",
                  "4", "--quiet", (char *)NULL);
        _exit(127);
    }
    free(input);
    free(constitution);
    return pid;
}

static char *read_gen_outputs(int stage, const char *out)
{
    static const char *const names[2][4] = {
        {"candidates.jsonl.gz", "short.jsonl.gz", "failed.jsonl.gz", "manifest.json"},
        {"sft.jsonl.gz", "sft_messages.jsonl.gz", "pairs.jsonl.gz", "manifest.json"}};
    char *all = tu_strdupf("%s", "");
    size_t i;

    for (i = 0; i < 4; i++) {
        char *f = tu_read_in(out, names[stage][i]);
        char *next;

        ck_assert_msg(f != NULL, "%s/%s missing", out, names[stage][i]);
        next = tu_strdupf("%s\n--\n%s", all, f);
        free(all);
        free(f);
        all = next;
    }
    return all;
}

/*
 * Killed with SIGKILL at the m-th request twice, then rerun: the same bytes as an uninterrupted
 * run, and the server saw each distinct request once plus at most the requests in flight at each
 * kill (4): what the journal holds is never asked again.
 */
START_TEST(crash_gen_stage_killed_resumes_with_identical_bytes_and_no_reasks)
{
    const int stage = _i;
    static const size_t at[] = {9, 7};
    const size_t nkills = sizeof(at) / sizeof(at[0]);
    fake_llm_opts fo = FAKE_LLM_OPTS_INIT;
    fake_llm *srv;
    char *ref = tu_strdupf("%s/gref%d", dir, stage), *out = tu_strdupf("%s/gcrash%d", dir, stage);
    char *a, *b;
    size_t total, i;
    int rc;

    fo.latency_ms = 2;
    srv = fake_llm_start(&fo);
    ck_assert_ptr_nonnull(srv);
    fake_llm_set_generate(srv, FAKE_GEN_ALL, 0, 0);
    rc = wait_exit(spawn_gen_gated(srv, stage, ref, -1));
    ck_assert_int_eq(rc, 0);
    total = fake_llm_successes(srv);
    /* sample: one request with n per prompt; revise: a critique and a revision per round */
    ck_assert_uint_eq(total, stage == 0 ? GEN_ITEMS : GEN_ITEMS * 4);
    fake_llm_stop(srv);

    srv = fake_llm_start(&fo);
    ck_assert_ptr_nonnull(srv);
    fake_llm_set_generate(srv, FAKE_GEN_ALL, 0, 0);
    for (i = 0; i < nkills; i++) {
        int gate[2];
        pid_t pid;

        ck_assert_int_eq(pipe(gate), 0);
        pid = spawn_gen_gated(srv, stage, out, gate[0]);
        ck_assert_int_gt(pid, 0);
        close(gate[0]);
        fake_llm_quiesce(srv);
        fake_llm_kill_on_request(srv, pid, at[i]);
        ck_assert_int_eq(write(gate[1], "g", 1), 1);
        close(gate[1]);
        rc = wait_exit(pid);
        ck_assert_int_eq(rc, 128 + SIGKILL);
    }
    rc = wait_exit(spawn_gen_gated(srv, stage, out, -1));
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(fake_llm_duplicate_successes(srv) <= nkills * 4,
                  "stage %d: %zu requests asked again, want <= %zu", stage,
                  fake_llm_duplicate_successes(srv), nkills * 4);
    ck_assert_uint_eq(fake_llm_successes(srv) - fake_llm_duplicate_successes(srv), total);
    fake_llm_stop(srv);
    a = read_gen_outputs(stage, ref);
    b = read_gen_outputs(stage, out);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    free(ref);
    free(out);
}
END_TEST

/* A server that ignores "n" (one choice per reply): cai sample asks again for the rest, so each
 * prompt still gets its 3 responses, in 3 requests. */
START_TEST(crash_sample_asks_again_when_the_server_ignores_n)
{
    fake_llm_opts fo = FAKE_LLM_OPTS_INIT;
    fake_llm *srv = fake_llm_start(&fo);
    char *out = tu_strdupf("%s/ignore-n", dir), *cand, *p;
    size_t records = 0;
    int rc;

    ck_assert_ptr_nonnull(srv);
    fake_llm_set_generate(srv, FAKE_GEN_ALL, 0, 0);
    fake_llm_set_gen_max_n(srv, 1);
    rc = wait_exit(spawn_gen_gated(srv, 0, out, -1));
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_eq(fake_llm_successes(srv), GEN_ITEMS * 3);
    fake_llm_stop(srv);
    cand = tu_read_in(out, "candidates.jsonl.gz");
    ck_assert_ptr_nonnull(cand);
    for (p = cand; (p = strstr(p, "\"samples\":[")) != NULL; p++) {
        ck_assert_msg(strstr(p, "{\"index\":2,") != NULL, "a record without 3 samples");
        records++;
    }
    ck_assert_uint_eq(records, GEN_ITEMS);
    free(cand);
    free(out);
}
END_TEST

START_TEST(crash_sigint_exits_130_and_the_rerun_finishes)
{
    fake_llm_opts fo = FAKE_LLM_OPTS_INIT;
    fake_llm *srv;
    char *out = tu_strdupf("%s/int", dir);
    pid_t pid;
    int rc;
    char *manifest;

    fo.latency_ms = 5;
    srv = fake_llm_start(&fo);
    ck_assert_ptr_nonnull(srv);
    pid = spawn_run(srv, out, "100");
    ck_assert_int_eq(wait_for_requests(srv, pid, 40), 1);
    kill(pid, SIGINT);
    rc = wait_exit(pid);
    ck_assert_int_eq(rc, 130);
    manifest = tu_read_in(out, "manifest.json");
    ck_assert_ptr_null(manifest); /* nothing under a final name */
    rc = wait_exit(spawn_run(srv, out, "100"));
    ck_assert_int_eq(rc, 0);
    manifest = tu_read_in(out, "manifest.json");
    ck_assert_ptr_nonnull(manifest);
    ck_assert_uint_eq(fake_llm_duplicate_successes(srv), 0);
    free(manifest);
    fake_llm_stop(srv);
    free(out);
}
END_TEST

Suite *crash_suite(void)
{
    Suite *s = suite_create("crash");
    TCase *tc = tcase_create("kill");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, crash_sigkill_twenty_times_then_resume_gives_identical_bytes);
    tcase_add_loop_test(tc, crash_sigkill_at_the_mth_request_keeps_every_answer_read_before_it, 0,
                        2); /* concurrency 1, CONC */
    tcase_add_test(tc, crash_sigint_exits_130_and_the_rerun_finishes);
    tcase_add_loop_test(tc, crash_gen_stage_killed_resumes_with_identical_bytes_and_no_reasks, 0,
                        2);
    tcase_add_test(tc, crash_sample_asks_again_when_the_server_ignores_n);
    suite_add_tcase(s, tc);
    return s;
}

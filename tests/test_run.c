/* SPDX-License-Identifier: MIT */
/* End-to-end tests of the labelling job through the library, with the offline and fake judges. */
#include <cai.h>
#include "fake_llm.h"
#include "run_int.h"
#include "testutil.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

Suite *run_suite(void);

static char *dir;
static char *samples;
static char *hhh;

static void setup(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    dir = tu_mkdtemp("run");
    ck_assert_ptr_nonnull(dir);
    samples = tu_strdupf("%s/datasets/samples/pairs.jsonl", tu_source_dir());
    hhh = tu_strdupf("%s/constitution/hhh.json", tu_source_dir());
}

static void teardown(void)
{
    tu_rmtree(dir);
    free(dir);
    free(samples);
    free(hhh);
    curl_global_cleanup();
}

static void base_opts(cai_run_opts *o, const char **inputs, const char *out)
{
    cai_run_opts_init(o, CAI_RUN_OPTS_VERSION);
    o->inputs = inputs;
    o->n_inputs = 1;
    o->constitution = hhh;
    o->output_dir = out;
}

static void use_fake(cai_run_opts *o, fake_llm *srv)
{
    o->judge.backend = CAI_BACKEND_OPENAI;
    o->judge.base_url = fake_llm_url(srv);
    o->judge.model = "fake-judge";
    o->judge.backoff_base_s = 0.001;
    o->judge.backoff_max_s = 0.01;
    o->judge.timeout_s = 5;
}

static cai_status run_job(const cai_run_opts *o, cai_run_summary *sum, cai_error *err)
{
    cai_run *r = NULL;
    cai_status st = cai_run_create(&r, o, err);

    if (st == CAI_OK)
        st = cai_run_execute(r, sum, err);
    cai_run_free(r);
    return st;
}

/* Concatenated bytes of every file under out/data plus failed.jsonl.gz (raw, compressed). */
static char *dataset_bytes(const char *out, size_t *total)
{
    const char *names[] = {"data/train-00000-of-00001.jsonl.gz",
                           "data/test-00000-of-00001.jsonl.gz", "failed.jsonl.gz"};
    size_t cap = 0, n = 0, i;
    char *all = NULL;

    for (i = 0; i < 3; i++) {
        char *path = tu_strdupf("%s/%s", out, names[i]);
        FILE *f = fopen(path, "rb");
        char buf[65536];
        size_t got;
        free(path);
        if (!f)
            continue;
        while ((got = fread(buf, 1, sizeof(buf), f)) > 0) {
            if (n + got > cap) {
                cap = (n + got) * 2;
                all = realloc(all, cap);
            }
            memcpy(all + n, buf, got);
            n += got;
        }
        fclose(f);
    }
    *total = n;
    return all;
}

static int exists(const char *out, const char *name)
{
    char *path = tu_strdupf("%s/%s", out, name);
    int ok = access(path, F_OK) == 0;

    free(path);
    return ok;
}

START_TEST(run_builtin_writes_dataset_manifest_and_card)
{
    const char *in[] = {samples};
    char *out = tu_strdupf("%s/out", dir);
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};
    char *text, *manifest, *card;

    base_opts(&o, in, out);
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_gt(s.pairs_read, 100);
    ck_assert_uint_eq(s.pairs_kept + s.ties + s.failed + s.unjudgeable, s.pairs_read);
    ck_assert_uint_eq(s.train + s.test, s.pairs_kept);
    ck_assert_uint_gt(s.test, 0);
    ck_assert_uint_eq(s.judgments, s.pairs_read * 2); /* one principle, both orders */
    ck_assert_int_eq(s.failure_rate_exceeded, 0);

    text = tu_read_in(out, "data/train-00000-of-00001.jsonl.gz");
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(tu_count_lines(text), s.train);
    ck_assert_ptr_nonnull(strstr(text, "\"p_chosen\":"));
    ck_assert_ptr_nonnull(strstr(text, "\"margin\":"));
    ck_assert_ptr_nonnull(strstr(text, "\"chosen_position\":"));
    free(text);

    manifest = tu_read_in(out, "manifest.json");
    ck_assert_ptr_nonnull(manifest);
    ck_assert_ptr_nonnull(strstr(manifest, "\"sha256\""));
    ck_assert_ptr_nonnull(strstr(manifest, "\"pairs_read\""));
    ck_assert_ptr_nonnull(strstr(manifest, "data/train-00000-of-00001.jsonl.gz"));
    free(manifest);
    card = tu_read_in(out, "README.md");
    ck_assert_ptr_nonnull(card);
    ck_assert_ptr_nonnull(strstr(card, "configs:"));
    ck_assert_ptr_nonnull(strstr(card, "split: train"));
    ck_assert_ptr_nonnull(strstr(card, "not a model"));
    free(card);
    free(out);
}
END_TEST

START_TEST(run_output_is_identical_across_concurrency_and_completion_order)
{
    const char *in[] = {samples};
    fake_llm_opts fo = FAKE_LLM_OPTS_INIT;
    fake_llm *srv;
    char *out1 = tu_strdupf("%s/c1", dir), *out2 = tu_strdupf("%s/c32", dir);
    cai_run_opts o;
    cai_run_summary s1, s2;
    cai_error err = {0};
    char *b1, *b2;
    size_t n1, n2;

    fo.latency_ms = 1;
    srv = fake_llm_start(&fo);
    ck_assert_ptr_nonnull(srv);
    base_opts(&o, in, out1);
    use_fake(&o, srv);
    o.judge.concurrency = 1;
    o.limit = 60;
    ck_assert_msg(run_job(&o, &s1, &err) == CAI_OK, "%s", err.msg);
    o.output_dir = out2;
    o.judge.concurrency = 32;
    ck_assert_msg(run_job(&o, &s2, &err) == CAI_OK, "%s", err.msg);
    fake_llm_stop(srv);

    b1 = dataset_bytes(out1, &n1);
    b2 = dataset_bytes(out2, &n2);
    ck_assert_uint_gt(n1, 0);
    ck_assert_uint_eq(n1, n2);
    ck_assert(memcmp(b1, b2, n1) == 0);
    ck_assert_uint_eq(s1.pairs_kept, s2.pairs_kept);
    free(b1);
    free(b2);
    free(out1);
    free(out2);
}
END_TEST

START_TEST(run_resume_replays_the_journal_and_sends_nothing_twice)
{
    const char *in[] = {samples};
    fake_llm_opts fo = FAKE_LLM_OPTS_INIT;
    fake_llm *srv = fake_llm_start(&fo);
    char *out = tu_strdupf("%s/resume", dir), *ref = tu_strdupf("%s/ref", dir);
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};
    size_t first, n1, n2;
    char *b1, *b2;

    ck_assert_ptr_nonnull(srv);
    base_opts(&o, in, out);
    use_fake(&o, srv);
    o.limit = 40;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    first = fake_llm_successes(srv);
    ck_assert_uint_eq(first, 80);
    /* a second run of a larger plan only asks for what the journal lacks */
    o.limit = 50;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(s.judgments_replayed, 80);
    ck_assert_uint_eq(s.judgments_sent, 20);
    ck_assert_uint_eq(fake_llm_successes(srv), 100);
    ck_assert_uint_eq(fake_llm_duplicate_successes(srv), 0);
    /* and its dataset equals a fresh run's */
    o.output_dir = ref;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    fake_llm_stop(srv);
    b1 = dataset_bytes(out, &n1);
    b2 = dataset_bytes(ref, &n2);
    ck_assert_uint_eq(n1, n2);
    ck_assert(memcmp(b1, b2, n1) == 0);
    free(b1);
    free(b2);
    free(out);
    free(ref);
}
END_TEST

START_TEST(run_refuses_to_resume_with_other_label_settings)
{
    const char *in[] = {samples};
    char *out = tu_strdupf("%s/out", dir);
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};

    base_opts(&o, in, out);
    o.limit = 10;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    o.seed = 7;
    ck_assert_int_eq(run_job(&o, &s, &err), CAI_EMISMATCH);
    ck_assert_ptr_nonnull(strstr(err.msg, "journal.cai"));
    /* settings that do not change labels may change on resume */
    memset(&err, 0, sizeof(err));
    o.seed = 0;
    o.format = CAI_OUT_HH;
    o.test_fraction = 0.5;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(s.judgments_sent, 0);
    free(out);
}
END_TEST

START_TEST(run_counts_ties_and_keeps_them_on_request)
{
    const char *in[] = {samples};
    char *out = tu_strdupf("%s/ties", dir), *out2 = tu_strdupf("%s/ties2", dir);
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};
    char *text;

    base_opts(&o, in, out);
    o.limit = 30;
    o.min_margin = 0.5; /* every pair is within 0.5 of 0.5: all ties */
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(s.ties + s.unjudgeable, 30);
    ck_assert_uint_eq(s.pairs_kept, 0);
    o.output_dir = out2;
    o.keep_ties = 1;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(s.pairs_kept, s.ties);
    text = tu_read_in(out2, "data/train-00000-of-00001.jsonl.gz");
    ck_assert_ptr_nonnull(text);
    free(text);
    free(out);
    free(out2);
}
END_TEST

START_TEST(run_lists_failed_pairs_and_enforces_the_failure_rate)
{
    const char *in[] = {samples};
    fake_llm_opts fo = FAKE_LLM_OPTS_INIT;
    fake_llm *srv;
    char *out = tu_strdupf("%s/fail", dir);
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};
    char *failed;

    fo.fault_rate = 0.3;
    fo.fault_mask = 1u << FAKE_500;
    fo.seed = 4;
    srv = fake_llm_start(&fo);
    ck_assert_ptr_nonnull(srv);
    base_opts(&o, in, out);
    use_fake(&o, srv);
    o.limit = 100;
    o.judge.max_retries = 0; /* a 500 fails the judgment at once */
    o.max_failure_rate = 0.05;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    fake_llm_stop(srv);
    ck_assert_uint_gt(s.failed, 5);
    ck_assert_uint_eq(s.pairs_kept + s.ties + s.failed + s.unjudgeable, 100);
    ck_assert_int_eq(s.failure_rate_exceeded, 1);
    failed = tu_read_in(out, "failed.jsonl.gz");
    ck_assert_ptr_nonnull(failed);
    ck_assert_uint_eq(tu_count_lines(failed), s.failed + s.unjudgeable);
    ck_assert_ptr_nonnull(strstr(failed, "\"reason\":"));
    free(failed);
    free(out);
}
END_TEST

START_TEST(run_stops_early_when_the_judge_is_down)
{
    const char *in[] = {samples};
    char *out = tu_strdupf("%s/down", dir);
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};

    base_opts(&o, in, out);
    o.judge.backend = CAI_BACKEND_OPENAI;
    o.judge.base_url = "http://127.0.0.1:1/v1"; /* nothing listens on port 1 */
    o.judge.model = "m";
    o.judge.concurrency = 4;
    o.judge.backoff_base_s = 0.001;
    ck_assert_int_eq(run_job(&o, &s, &err), CAI_ETRANSPORT);
    /* Refused before any reply: the first refusals end the run, no request is retried (the
     * old engine retried each of the first three judgments 8 times before giving up). */
    ck_assert_ptr_nonnull(strstr(err.msg, "before any reply"));
    ck_assert_uint_le(s.requests, o.judge.concurrency);
    ck_assert_uint_eq(s.judgments_answered, 0);
    ck_assert(!exists(out, "manifest.json"));
    ck_assert(!exists(out, "data/train-00000-of-00001.jsonl.gz"));
    ck_assert(!exists(out, "failed.jsonl.gz"));
    free(out);
}
END_TEST

/* The progress callback stands in for Ctrl-C: it stops the run at its first report. */
static void stop_on_progress(const cai_run_progress *p, void *payload)
{
    cai_run **r = payload;

    (void)p;
    cai_run_stop(*r);
}

START_TEST(run_interrupted_says_how_to_resume_even_with_a_reused_error)
{
    const char *in[] = {samples};
    char *out = tu_strdupf("%s/stopped", dir);
    cai_run_opts o;
    cai_run_summary s;
    cai_run *r = NULL;
    /* left over from an earlier failed call with the same code: must not be reported again */
    cai_error err = {CAI_EINTERRUPTED, "stale message from an earlier call"};

    base_opts(&o, in, out);
    o.progress = stop_on_progress;
    o.progress_payload = &r;
    o.progress_interval_s = 1e-9; /* report (and so stop) at the first chance */
    ck_assert_int_eq(cai_run_create(&r, &o, &err), CAI_OK);
    ck_assert_int_eq(err.code, CAI_OK);
    ck_assert_str_eq(err.msg, "");
    ck_assert_int_eq(cai_run_execute(r, &s, &err), CAI_EINTERRUPTED);
    ck_assert_int_eq(err.code, CAI_EINTERRUPTED);
    /* the run's own words, not the judge's "judge: stopped" */
    ck_assert_str_eq(err.msg, "interrupted; the journal is saved, run the same command to resume");
    ck_assert(exists(out, "journal.cai"));
    ck_assert(!exists(out, "manifest.json"));
    cai_run_free(r);
    free(out);
}
END_TEST

START_TEST(run_writes_every_output_format_readably)
{
    static const struct {
        cai_out_format out;
        cai_format in;
    } cases[] = {{CAI_OUT_TRL, CAI_FORMAT_TRL},
                 {CAI_OUT_CONVERSATIONAL, CAI_FORMAT_CONVERSATIONAL},
                 {CAI_OUT_HH, CAI_FORMAT_HH}};
    const char *in[] = {samples};
    size_t i;

    for (i = 0; i < 3; i++) {
        char *out = tu_strdupf("%s/fmt%zu", dir, i);
        char *train = tu_strdupf("%s/data/train-00000-of-00001.jsonl.gz", out);
        cai_run_opts o;
        cai_run_summary s;
        cai_error err = {0};
        cai_reader *rd = NULL;
        cai_reader_opts ro = CAI_READER_OPTS_INIT;
        const cai_record *rec;
        uint64_t n = 0;
        cai_status st;

        base_opts(&o, in, out);
        o.format = cases[i].out;
        o.test_fraction = 0;
        ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
        ro.format = cases[i].in;
        ck_assert_msg(cai_reader_create(&rd, train, &ro, &err) == CAI_OK, "%s", err.msg);
        while ((st = cai_reader_next(rd, &rec, &err)) == CAI_OK) {
            ck_assert_uint_eq(rec->n_responses, 2);
            ck_assert_uint_ge(rec->n_context, 1);
            n++;
        }
        ck_assert_msg(st == CAI_ITEROVER, "%s: %s", cai_out_format_name(cases[i].out), err.msg);
        ck_assert_uint_eq(n, s.pairs_kept);
        cai_reader_free(rd);
        free(out);
        free(train);
    }
}
END_TEST

/*
 * trl output must give back a string prompt byte for byte, transcripts included (a single
 * "\n\nHuman:" turn once lost its marker), and p_chosen must be the exact double, not rounded:
 * consumers compare soft labels across tools.
 */
START_TEST(run_trl_output_is_verbatim_with_exact_soft_labels)
{
    static const char *const prompts[] = {
        "\n\nHuman: Where did I leave the key?",
        "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: and now?\n\nAssistant:",
        "  a plain prompt, spaces kept  ",
    };
    char *input = tu_strdupf("%s/verbatim.jsonl", dir);
    const char *in[] = {input};
    char *out = tu_strdupf("%s/verbatim", dir);
    fake_llm *srv = fake_llm_start(NULL);
    FILE *f = fopen(input, "w");
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};
    char *text, *line, *save = NULL;
    size_t i, n = 0, long_labels = 0;

    ck_assert_ptr_nonnull(srv);
    ck_assert_ptr_nonnull(f);
    for (i = 0; i < 30; i++) {
        cJSON *rec = cJSON_CreateObject();
        char *js;
        char id[16], a[32], b[32];

        snprintf(id, sizeof(id), "v%02zu", i);
        snprintf(a, sizeof(a), "answer one %zu", i);
        snprintf(b, sizeof(b), "answer two %zu", i);
        cJSON_AddStringToObject(rec, "id", id);
        cJSON_AddStringToObject(rec, "prompt", prompts[i % 3]);
        cJSON_AddStringToObject(rec, "response_a", a);
        cJSON_AddStringToObject(rec, "response_b", b);
        js = cJSON_PrintUnformatted(rec);
        fprintf(f, "%s\n", js);
        cJSON_free(js);
        cJSON_Delete(rec);
    }
    fclose(f);
    base_opts(&o, in, out);
    use_fake(&o, srv);
    o.test_fraction = 0;
    o.keep_ties = 1;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(s.pairs_kept, 30);
    text = tu_read_in(out, "data/train-00000-of-00001.jsonl.gz");
    ck_assert_ptr_nonnull(text);
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
        cJSON *rec = cJSON_Parse(line);
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(rec, "prompt");
        const char *num = strstr(line, "\"p_chosen\":"), *dot;
        size_t digits;

        ck_assert_ptr_nonnull(rec);
        ck_assert_ptr_nonnull(num);
        num += 11;
        ck_assert(cJSON_IsString(p));
        ck_assert_str_eq(p->valuestring, prompts[n % 3]);
        /* the label's text reads back as the value, always with a decimal point */
        dot = strchr(num, '.');
        ck_assert_ptr_nonnull(dot);
        digits = strspn(dot + 1, "0123456789");
        ck_assert_double_eq(strtod(num, NULL),
                            cJSON_GetObjectItemCaseSensitive(rec, "p_chosen")->valuedouble);
        long_labels += digits > 6;
        cJSON_Delete(rec);
    }
    ck_assert_uint_eq(n, 30);
    /* averages of the fake's P(A) values need more than six decimals almost always */
    ck_assert_uint_ge(long_labels, 20);
    free(text);
    fake_llm_stop(srv);
    free(out);
    free(input);
}
END_TEST

/*
 * Records are written by hand, not printed by cJSON, but must keep cJSON's bytes: every string
 * (the texts, id, principles, metadata) escaped exactly as cJSON_PrintUnformatted escapes it,
 * in each output format. The texts hold every control character, quotes, backslashes, DEL,
 * '/' and multi-byte UTF-8.
 */
START_TEST(run_records_escape_strings_as_cjson_does)
{
    static const cai_out_format fmts[] = {CAI_OUT_TRL, CAI_OUT_CONVERSATIONAL, CAI_OUT_HH};
    static const char *const keys[] = {"prompt", "chosen", "rejected", "id", "metadata"};
    char *input = tu_strdupf("%s/escapes.jsonl", dir);
    const char *in[] = {input};
    fake_llm *srv = fake_llm_start(NULL);
    FILE *f = fopen(input, "w");
    char nasty[64], *text, *line, *js, *save = NULL;
    size_t i, k, fi, n, checked = 0;

    ck_assert_ptr_nonnull(srv);
    ck_assert_ptr_nonnull(f);
    for (i = 1; i < 32; i++)
        nasty[i - 1] = (char)i;
    strcpy(nasty + 31, "\"q\\b\x7f/\xc3\xa9\xf0\x9f\x98\x80");
    for (i = 0; i < 8; i++) {
        cJSON *rec = cJSON_CreateObject(), *meta = cJSON_CreateObject();
        char id[80], a[96], b[96];

        snprintf(id, sizeof(id), "e%zu%s", i, i % 2 ? nasty + i : "");
        snprintf(a, sizeof(a), "answer %s one %zu", nasty + i, i);
        snprintf(b, sizeof(b), "answer two %zu %s", i, nasty + 2 * i);
        cJSON_AddStringToObject(rec, "id", id);
        cJSON_AddStringToObject(rec, "prompt", nasty + i);
        cJSON_AddStringToObject(rec, "response_a", a);
        cJSON_AddStringToObject(rec, "response_b", b);
        cJSON_AddStringToObject(meta, "note", nasty);
        cJSON_AddItemToObject(rec, "extra", meta);
        js = cJSON_PrintUnformatted(rec);
        fprintf(f, "%s\n", js);
        cJSON_free(js);
        cJSON_Delete(rec);
    }
    fclose(f);
    for (fi = 0; fi < 3; fi++) {
        char *out = tu_strdupf("%s/escapes%zu", dir, fi);
        cai_run_opts o;
        cai_run_summary s;
        cai_error err = {0};

        base_opts(&o, in, out);
        use_fake(&o, srv);
        o.format = fmts[fi];
        o.test_fraction = 0;
        o.keep_ties = 1;
        ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
        ck_assert_uint_eq(s.pairs_kept, 8);
        text = tu_read_in(out, "data/train-00000-of-00001.jsonl.gz");
        ck_assert_ptr_nonnull(text);
        for (n = 0, line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            cJSON *rec = cJSON_Parse(line);
            const cJSON *cai = cJSON_GetObjectItemCaseSensitive(rec, "cai"), *it;

            ck_assert_ptr_nonnull(rec);
            n++;
            for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
                /* each member's bytes as cJSON prints it, found verbatim in the line */
                it = cJSON_GetObjectItemCaseSensitive(rec, keys[k]);
                if (!it)
                    continue;
                js = cJSON_PrintUnformatted(it);
                ck_assert_ptr_nonnull(js);
                ck_assert_msg(strstr(line, js) != NULL, "%s: %s not in %s", keys[k], js, line);
                checked++;
                cJSON_free(js);
            }
            it = cJSON_GetObjectItemCaseSensitive(cai, "principles");
            js = cJSON_PrintUnformatted(it);
            ck_assert_ptr_nonnull(js);
            ck_assert_ptr_nonnull(strstr(line, js));
            cJSON_free(js);
            cJSON_Delete(rec);
        }
        ck_assert_uint_eq(n, 8);
        free(text);
        free(out);
    }
    ck_assert_uint_ge(checked, 8 * 3 * 4);
    fake_llm_stop(srv);
    free(input);
}
END_TEST

START_TEST(run_relabels_the_hh_sample_through_the_fake_judge)
{
    char *hh = strdup(tu_hh_sample());
    const char *in[] = {hh};
    fake_llm_opts fo = FAKE_LLM_OPTS_INIT;
    fake_llm *srv = fake_llm_start(&fo);
    char *out = tu_strdupf("%s/hh", dir);
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};

    ck_assert_ptr_nonnull(srv);
    base_opts(&o, in, out);
    use_fake(&o, srv);
    o.input_format = CAI_FORMAT_HH;
    o.format = CAI_OUT_HH;
    o.judge.concurrency = 32;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(s.pairs_read, 1000);
    ck_assert_uint_eq(s.unjudgeable, 3); /* the three whitespace-only replies */
    ck_assert_uint_eq(s.pairs_kept + s.ties + s.failed + s.unjudgeable, 1000);
    ck_assert_uint_eq(s.failed, 0);
    ck_assert_uint_eq(fake_llm_successes(srv), 2 * 997);
    ck_assert_uint_eq(fake_llm_duplicate_successes(srv), 0);
    ck_assert_int_eq(s.validation_findings <= 0, 1);
    fake_llm_stop(srv);
    free(out);
    free(hh);
}
END_TEST

/* The local counterpart of the HH-sample test: a blank final reply is never sent to the judge;
 * the pair is counted as unjudgeable and listed in failed.jsonl.gz with its reason. */
START_TEST(run_sends_no_blank_hh_reply_and_lists_it_as_unjudgeable)
{
    static const char text[] =
        "{\"chosen\":\"\\n\\nHuman: Hi\\n\\nAssistant: Hello\",\"rejected\":\"\\n\\nHuman: "
        "Hi\\n\\nAssistant: Go away\"}\n"
        "{\"chosen\":\"\\n\\nHuman: Hey\\n\\nAssistant: \",\"rejected\":\"\\n\\nHuman: "
        "Hey\\n\\nAssistant: No\"}\n"
        "{\"chosen\":\"\\n\\nHuman: Yo\\n\\nAssistant: Sure\",\"rejected\":\"\\n\\nHuman: "
        "Yo\\n\\nAssistant:  \\n \"}\n";
    char *input = tu_strdupf("%s/blank.jsonl", dir), *out = tu_strdupf("%s/blank", dir);
    const char *in[] = {input};
    fake_llm_opts fo = FAKE_LLM_OPTS_INIT;
    fake_llm *srv = fake_llm_start(&fo);
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};
    char *failed;

    ck_assert_ptr_nonnull(srv);
    ck_assert_int_eq(tu_write_file(input, text, sizeof(text) - 1), 0);
    base_opts(&o, in, out);
    use_fake(&o, srv);
    o.input_format = CAI_FORMAT_HH;
    o.format = CAI_OUT_HH;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(s.pairs_read, 3);
    ck_assert_uint_eq(s.unjudgeable, 2);
    ck_assert_uint_eq(s.failed, 0);
    ck_assert_uint_eq(s.pairs_kept + s.ties, 1);
    ck_assert_uint_eq(fake_llm_requests(srv), 2); /* one pair, both orders */
    failed = tu_read_in(out, "failed.jsonl.gz");
    ck_assert_ptr_nonnull(failed);
    ck_assert_uint_eq(tu_count_lines(failed), 2);
    ck_assert_ptr_nonnull(strstr(failed, "empty or whitespace-only"));
    free(failed);
    fake_llm_stop(srv);
    free(out);
    free(input);
}
END_TEST

START_TEST(run_dry_run_estimates_and_writes_nothing)
{
    const char *in[] = {samples};
    char *out = tu_strdupf("%s/dry", dir);
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};

    base_opts(&o, in, out);
    o.dry_run = 1;
    o.judge.backend = CAI_BACKEND_OPENAI;
    o.judge.model = "m";
    o.price_input_per_mtok = 1.0;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_gt(s.judgments, 0);
    ck_assert_uint_gt(s.prompt_tokens, s.judgments * 10);
    ck_assert(s.cost > 0);
    ck_assert_int_ne(access(out, F_OK), 0);
    free(out);
}
END_TEST

/* Writes n synthetic pairs with distinct prompts to dir/name; returns the path. */
static char *synthetic_pairs(const char *name, int n)
{
    char *path = tu_strdupf("%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    int i;

    ck_assert_ptr_nonnull(f);
    for (i = 0; i < n; i++)
        fprintf(f,
                "{\"id\":\"q%05d\",\"prompt\":\"Question %d: how should I store item %d?\","
                "\"response_a\":\"Keep item %d somewhere dry and cool, away from children.\","
                "\"response_b\":\"Anywhere is fine for item %d.\"}\n",
                i, i, i * 7, i, i);
    fclose(f);
    return path;
}

/* Dry-runs n synthetic pairs whose pair number `twin` (if >= 0) reuses pair 2's id, with the
 * survey's id set spilling every cap fingerprints (0: the default); returns the status and
 * *msg the error (caller frees). */
static cai_status survey_ids(int n, int twin, size_t cap, char **msg)
{
    char *path = tu_strdupf("%s/ids-%d-%d.jsonl", dir, n, twin), *out = tu_strdupf("%s/ids", dir);
    const char *in[1];
    FILE *f = fopen(path, "w");
    cai_run_opts o;
    cai_run_summary sum;
    cai_error err = {0};
    cai_run *r = NULL;
    cai_status st;
    int i;

    ck_assert_ptr_nonnull(f);
    for (i = 0; i < n; i++)
        fprintf(f,
                "{\"id\":\"q%05d\",\"prompt\":\"P%d\",\"response_a\":\"a\",\"response_b\":\"b\"}\n",
                i == twin ? 2 : i, i);
    fclose(f);
    in[0] = path;
    base_opts(&o, in, out);
    o.dry_run = 1;
    o.judge.backend = CAI_BACKEND_OPENAI;
    o.judge.model = "m";
    ck_assert_msg(cai_run_create(&r, &o, &err) == CAI_OK, "%s", err.msg);
    if (cap)
        cai_run__set_idset_cap(r, cap);
    st = cai_run_execute(r, &sum, &err);
    cai_run_free(r);
    *msg = strdup(err.msg);
    free(path);
    free(out);
    return st;
}

/* Duplicate ids are refused before anything is paid for, in memory that does not grow with the
 * input: past the id set's cap its fingerprints go to temporary files as sorted runs, and a
 * duplicate split across two runs is found at the end and named by FILE:LINE exactly as one
 * found at once is. */
START_TEST(run_finds_a_duplicate_id_across_spilled_runs)
{
    char *at_once, *merged, *none;

    ck_assert_int_eq(survey_ids(300, 250, 0, &at_once), CAI_ESCHEMA);
    ck_assert_msg(strstr(at_once, "ids-300-250.jsonl:251: duplicate id \"q00002\"") != NULL, "%s",
                  at_once);
    ck_assert_int_eq(survey_ids(300, 250, 16, &merged), CAI_ESCHEMA); /* 18 runs of 16 */
    ck_assert_str_eq(merged, at_once);
    /* pair 2 is in the first run, its twin in the table still in memory at the end */
    free(merged);
    ck_assert_int_eq(survey_ids(300, 299, 16, &merged), CAI_ESCHEMA);
    ck_assert_msg(strstr(merged, "ids-300-299.jsonl:300: duplicate id \"q00002\"") != NULL, "%s",
                  merged);
    ck_assert_int_eq(survey_ids(300, -1, 16, &none), CAI_OK);
    free(at_once);
    free(merged);
    free(none);
}
END_TEST

START_TEST(run_survives_mixed_faults_without_losing_or_repaying_a_pair)
{
    char *input = synthetic_pairs("faults.jsonl", 2000);
    const char *in[] = {input};
    fake_llm_opts fo = FAKE_LLM_OPTS_INIT;
    fake_llm *srv;
    char *out = tu_strdupf("%s/faults", dir);
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};
    char *failed;

    fo.fault_rate = 0.2;
    fo.fault_mask = (1u << FAKE_429) | (1u << FAKE_500) | (1u << FAKE_503) | (1u << FAKE_HANG) |
                    (1u << FAKE_RESET) | (1u << FAKE_BAD_JSON) | (1u << FAKE_NO_LOGPROBS) |
                    (1u << FAKE_NO_VERDICT);
    fo.seed = 11;
    srv = fake_llm_start(&fo);
    ck_assert_ptr_nonnull(srv);
    base_opts(&o, in, out);
    use_fake(&o, srv);
    o.judge.concurrency = 64;
    o.judge.timeout_s = tu_timeout(0.5); /* hangs cost half a second each */
    o.keep_ties = 1;
    o.max_failure_rate = 1.0;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(s.pairs_read, 2000);
    /* every pair is in the dataset or listed as failed */
    ck_assert_uint_eq(s.pairs_kept + s.failed, 2000);
    failed = tu_read_in(out, "failed.jsonl.gz");
    ck_assert_ptr_nonnull(failed);
    ck_assert_uint_eq(tu_count_lines(failed), s.failed);
    free(failed);
    /* faults really happened, and no answered request was sent again */
    ck_assert_uint_gt(fake_llm_requests(srv), 4000 + 400);
    ck_assert_uint_eq(fake_llm_duplicate_successes(srv), 0);
    ck_assert_int_eq(s.validation_findings, 0);
    fake_llm_stop(srv);
    free(out);
    free(input);
}
END_TEST

typedef struct storm {
    fake_llm *srv;
    unsigned ms;
} storm;

/* Ends the 429 storm after a while: the storm's length is the scenario, not an assertion. */
static void *end_storm(void *arg)
{
    storm *st = arg;
    struct timespec ts = {(time_t)(st->ms / 1000), (long)(st->ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
    fake_llm_set_always(st->srv, FAKE_OK);
    return NULL;
}

START_TEST(run_backs_off_as_a_pool_during_a_429_storm)
{
    char *input = synthetic_pairs("storm.jsonl", 200);
    const char *in[] = {input};
    fake_llm_opts fo = FAKE_LLM_OPTS_INIT;
    fake_llm *srv;
    char *out = tu_strdupf("%s/storm", dir);
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};
    pthread_t th;
    storm st;

    fo.retry_after_s = 1;
    srv = fake_llm_start(&fo);
    ck_assert_ptr_nonnull(srv);
    fake_llm_set_always(srv, FAKE_429);
    st.srv = srv;
    st.ms = 2500;
    pthread_create(&th, NULL, end_storm, &st);
    base_opts(&o, in, out);
    use_fake(&o, srv);
    o.judge.concurrency = 16;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    pthread_join(th, NULL);
    ck_assert_uint_eq(s.pairs_kept + s.ties, 200);
    ck_assert_uint_eq(s.failed, 0);
    /*
     * Honouring Retry-After as a pool, 16 slots meet the storm in about three waves: a few
     * dozen 429s. Retrying each request on its own millisecond backoff would be thousands.
     */
    ck_assert_uint_gt(fake_llm_count_status(srv, 429), 0);
    ck_assert_uint_le(fake_llm_count_status(srv, 429), 16 * 5);
    fake_llm_stop(srv);
    free(out);
    free(input);
}
END_TEST

/* ---- the output directory: one run at a time, never a user's files ------------------------ */

/* A second run started while the first holds the directory: from the first's progress callback,
 * so it runs exactly while the first holds the lock, with no timing involved. */
typedef struct second_run {
    cai_run_opts o;
    cai_status st;
    cai_error err;
    cai_run_summary s;
    int started;
} second_run;

static void start_second_run(const cai_run_progress *p, void *payload)
{
    second_run *b = payload;

    (void)p;
    if (b->started++)
        return;
    b->st = run_job(&b->o, &b->s, &b->err);
}

START_TEST(run_second_run_on_a_locked_directory_exits_at_once_naming_the_holder)
{
    const char *in[] = {samples};
    fake_llm_opts fo = FAKE_LLM_OPTS_INIT;
    fake_llm *srv = fake_llm_start(&fo);
    char *out = tu_strdupf("%s/locked", dir), *want, *lock;
    char host[256];
    second_run b;
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};

    ck_assert_ptr_nonnull(srv);
    memset(&b, 0, sizeof(b));
    base_opts(&b.o, in, out);
    use_fake(&b.o, srv);
    b.o.limit = 20;
    o = b.o;
    o.judge.concurrency = 1;
    o.progress = start_second_run; /* called after the first judgment, lock held */
    o.progress_interval_s = 1e-9;
    o.progress_payload = &b;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_int_eq(b.started > 0, 1);
    /* nothing paid twice: the server saw exactly the first run's plan */
    ck_assert_uint_eq(s.judgments_sent, 40);
    ck_assert_uint_eq(fake_llm_requests(srv), 40);
    ck_assert_uint_eq(fake_llm_duplicate_successes(srv), 0);
    ck_assert_uint_eq(b.s.judgments_sent, 0);
    ck_assert_int_eq(b.st, CAI_ELOCKED);
    ck_assert_int_eq(gethostname(host, sizeof(host)), 0);
    host[sizeof(host) - 1] = '\0';
    want = tu_strdupf("pid %ld on host %s", (long)getpid(), host);
    ck_assert_msg(strstr(b.err.msg, want) != NULL, "%s", b.err.msg);
    /* the lock file names the last holder */
    lock = tu_read_in(out, ".cai.lock");
    ck_assert_ptr_nonnull(lock);
    ck_assert_ptr_nonnull(strstr(lock, want));
    fake_llm_stop(srv);
    free(lock);
    free(want);
    free(out);
}
END_TEST

/* A lock held by another process (flock on its own open file) stops a run before it sends. */
START_TEST(run_refuses_a_directory_another_process_holds)
{
    const char *in[] = {samples};
    fake_llm_opts fo = FAKE_LLM_OPTS_INIT;
    fake_llm *srv = fake_llm_start(&fo);
    char *out = tu_strdupf("%s/held", dir), *lock = tu_strdupf("%s/.cai.lock", out), *text;
    const char holder[] = "pid 4242 on host elsewhere\n";
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};
    int fd;

    ck_assert_ptr_nonnull(srv);
    ck_assert_int_eq(mkdir(out, 0755), 0);
    fd = open(lock, O_RDWR | O_CREAT, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
    ck_assert_int_eq(write(fd, holder, sizeof(holder) - 1), (ssize_t)sizeof(holder) - 1);
    base_opts(&o, in, out);
    use_fake(&o, srv);
    o.limit = 5;
    ck_assert_int_eq(run_job(&o, &s, &err), CAI_ELOCKED);
    ck_assert_msg(strstr(err.msg, "in use by another cai run (pid 4242 on host elsewhere)"), "%s",
                  err.msg);
    ck_assert_uint_eq(fake_llm_requests(srv), 0);
    ck_assert(!exists(out, "journal.cai"));
    ck_assert(!exists(out, "data"));
    /* --no-lock, for file systems without locks, runs regardless (and leaves the file alone) */
    o.no_lock = 1;
    memset(&err, 0, sizeof(err));
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(fake_llm_requests(srv), 10);
    text = tu_read_file(lock, NULL);
    ck_assert_str_eq(text, holder);
    free(text);
    /* released: a locked run resumes there and sends nothing more */
    close(fd);
    o.no_lock = 0;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(s.judgments_replayed, 10);
    ck_assert_uint_eq(fake_llm_requests(srv), 10);
    fake_llm_stop(srv);
    free(lock);
    free(out);
}
END_TEST

/* Names of the entries of d, sorted, one per line. */
static char *listing(const char *d)
{
    char *cmd = tu_strdupf("ls -A1 '%s'", d), *text = NULL;

    ck_assert_int_eq(tu_run(cmd, &text), 0);
    free(cmd);
    return text;
}

START_TEST(run_refuses_a_users_directory_and_force_keeps_the_users_files)
{
    const char *in[] = {samples};
    char *out = tu_strdupf("%s/myproj", dir), *readme = tu_strdupf("%s/README.md", out);
    char *data = tu_strdupf("%s/data", out), *notes = tu_strdupf("%s/train-notes.txt", data);
    char *before, *after, *text;
    const char mine[] = "# my project\n\nhand-written notes\n";
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};
    size_t len;

    ck_assert_int_eq(mkdir(out, 0755), 0);
    ck_assert_int_eq(tu_write_file(readme, mine, sizeof(mine) - 1), 0);
    base_opts(&o, in, out);
    o.limit = 30;
    before = listing(out);
    ck_assert_int_eq(run_job(&o, &s, &err), CAI_EINVAL);
    ck_assert_msg(strstr(err.msg, "not empty (it holds README.md)") && strstr(err.msg, "--force"),
                  "%s", err.msg);
    after = listing(out);
    ck_assert_str_eq(after, before); /* nothing touched: no lock file, no data/, no journal */
    text = tu_read_file(readme, &len);
    ck_assert_uint_eq(len, sizeof(mine) - 1);
    ck_assert_int_eq(memcmp(text, mine, len), 0);
    free(text);
    free(after);

    /* --force: the dataset is written there; a user's file in data/ survives */
    ck_assert_int_eq(mkdir(data, 0755), 0);
    ck_assert_int_eq(tu_write_file(notes, "keep me\n", 8), 0);
    o.force = 1;
    memset(&err, 0, sizeof(err));
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert(exists(out, "data/train-00000-of-00001.jsonl.gz"));
    text = tu_read_file(notes, &len);
    ck_assert_ptr_nonnull(text);
    ck_assert_str_eq(text, "keep me\n");
    free(text);
    /* a rerun with other shards: cai's old shards go, the user's file stays */
    o.shard_records = 5;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert(!exists(out, "data/train-00000-of-00001.jsonl.gz"));
    ck_assert(exists(out, "data/train-00000-of-00006.jsonl.gz"));
    ck_assert(exists(out, "data/train-notes.txt"));
    free(before);
    free(notes);
    free(data);
    free(readme);
    free(out);
}
END_TEST

START_TEST(run_refuses_an_empty_output_path)
{
    const char *in[] = {samples};
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};

    base_opts(&o, in, "");
    ck_assert_int_eq(run_job(&o, &s, &err), CAI_EINVAL);
    ck_assert_msg(strstr(err.msg, "--output: the path is empty"), "%s", err.msg);
    o.dry_run = 1;
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(run_job(&o, &s, &err), CAI_EINVAL);
}
END_TEST

/*
 * An earlier run with more shards: its shards go (the manifest named them), the new ones stay,
 * and a user's file in data/ stays though its name starts like a shard's. Temporaries that a
 * killed run left are cleared.
 */
START_TEST(run_removes_only_the_stale_shards_an_earlier_manifest_names)
{
    const char *in[] = {samples};
    char *out = tu_strdupf("%s/stale", dir), *data = tu_strdupf("%s/data", out), *names;
    char *user[3];
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};
    int i;

    base_opts(&o, in, out);
    o.limit = 40;
    o.shard_records = 10;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert(exists(out, "data/train-00003-of-00004.jsonl.gz"));
    user[0] = tu_strdupf("%s/train-notes.txt", data);
    user[1] = tu_strdupf("%s/test-extra.jsonl", data);
    user[2] = tu_strdupf("%s/.train-00000.jsonl.gz.0123456789ab.cai-tmp", data);
    for (i = 0; i < 3; i++)
        ck_assert_int_eq(tu_write_file(user[i], "{}\n", 3), 0);
    o.shard_records = 100;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    names = listing(data);
    ck_assert_str_eq(names, "test-00000-of-00001.jsonl.gz\ntest-extra.jsonl\n"
                            "train-00000-of-00001.jsonl.gz\ntrain-notes.txt\n");
    free(names);
    for (i = 0; i < 3; i++)
        free(user[i]);
    free(data);
    free(out);
}
END_TEST

static TCase *outdir_tcase(void)
{
    TCase *tc = tcase_create("outdir");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, run_second_run_on_a_locked_directory_exits_at_once_naming_the_holder);
    tcase_add_test(tc, run_refuses_a_directory_another_process_holds);
    tcase_add_test(tc, run_refuses_a_users_directory_and_force_keeps_the_users_files);
    tcase_add_test(tc, run_refuses_an_empty_output_path);
    tcase_add_test(tc, run_removes_only_the_stale_shards_an_earlier_manifest_names);
    return tc;
}

/* What a user needs to trust the data: every tie listed, human agreement, quantiles, counts per
 * principle and input, the validation verdict and the schema, all in the manifest. */
START_TEST(run_manifest_lists_ties_agreement_and_verdict)
{
    char *hh = tu_strdupf("%s/datasets/samples/hh-style.jsonl", tu_source_dir());
    const char *in[] = {samples, hh};
    char *out = tu_strdupf("%s/trust", dir);
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};
    char *text, *ties;
    cJSON *m, *st, *h, *q, *pi, *pp, *e;
    uint64_t sum = 0;

    base_opts(&o, in, out);
    o.n_inputs = 2;
    o.min_margin = 0.05;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_gt(s.ties, 0);
    ties = tu_read_in(out, "ties.jsonl.gz");
    ck_assert_ptr_nonnull(ties);
    ck_assert_uint_eq(tu_count_lines(ties), s.ties);
    ck_assert_ptr_nonnull(strstr(ties, "\"reason\":\"tie\""));
    {
        /* each tie names its pair and says how close it was: id, file, line, p_response_a */
        cJSON *t0 = cJSON_ParseWithLength(ties, strcspn(ties, "\n")), *pa;
        ck_assert_ptr_nonnull(t0);
        ck_assert(cJSON_IsString(cJSON_GetObjectItem(t0, "id")));
        ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(t0, "line")));
        pa = cJSON_GetObjectItem(t0, "p_response_a");
        ck_assert(cJSON_IsNumber(pa) && fabs(pa->valuedouble - 0.5) < 0.05);
        cJSON_Delete(t0);
    }
    text = tu_read_in(out, "manifest.json");
    m = cJSON_Parse(text);
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(cJSON_GetObjectItem(m, "validation")->valuestring, "pass");
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "ties"), "path")->valuestring,
                     "ties.jsonl.gz");
    ck_assert(cJSON_IsObject(cJSON_GetObjectItem(m, "schema")));
    st = cJSON_GetObjectItem(m, "statistics");
    h = cJSON_GetObjectItem(st, "human_agreement");
    ck_assert_uint_eq(s.human_labelled, 20); /* the hh sample's 20 lines, none a tie */
    /* one count of human agreement: the summary's figures are the judge-health ones */
    ck_assert_uint_eq(s.human_labelled, s.health.human_n);
    ck_assert_uint_eq(s.human_agree, s.health.human_agree);
    ck_assert_int_eq(cJSON_GetObjectItem(h, "labelled")->valueint, 20);
    ck_assert_int_eq(cJSON_GetObjectItem(h, "agree")->valueint, (int)s.human_agree);
    ck_assert_double_eq_tol(cJSON_GetObjectItem(h, "rate")->valuedouble,
                            (double)s.human_agree / 20.0, 1e-12);
    q = cJSON_GetObjectItem(st, "p_chosen_quantiles");
    ck_assert(cJSON_GetObjectItem(q, "min")->valuedouble <=
              cJSON_GetObjectItem(q, "p50")->valuedouble);
    ck_assert(cJSON_GetObjectItem(q, "p50")->valuedouble <=
              cJSON_GetObjectItem(q, "max")->valuedouble);
    ck_assert(cJSON_GetObjectItem(q, "min")->valuedouble > 0.55); /* ties are out */
    ck_assert_double_eq_tol(
        cJSON_GetObjectItem(cJSON_GetObjectItem(st, "margin_quantiles"), "max")->valuedouble, 3.0,
        1e-9); /* the default cap */
    pi = cJSON_GetObjectItem(st, "per_input");
    ck_assert_int_eq(cJSON_GetArraySize(pi), 2);
    cJSON_ArrayForEach(e, pi)
    {
        ck_assert_int_eq(cJSON_GetObjectItem(e, "pairs")->valueint,
                         cJSON_GetObjectItem(e, "kept")->valueint +
                             cJSON_GetObjectItem(e, "ties")->valueint +
                             cJSON_GetObjectItem(e, "failed")->valueint);
        sum += (uint64_t)cJSON_GetObjectItem(e, "kept")->valueint;
    }
    ck_assert_uint_eq(sum, s.pairs_kept);
    sum = 0;
    pp = cJSON_GetObjectItem(st, "kept_per_principle");
    cJSON_ArrayForEach(e, pp) sum += (uint64_t)e->valueint;
    ck_assert_uint_eq(sum, s.pairs_kept); /* one principle per pair */
    cJSON_Delete(m);
    free(text);
    free(ties);
    free(out);
    free(hh);
}
END_TEST

/* ---- the judge's health, the spending cap and Ctrl-C ------------------------------------ */

/* Whether two output directories hold the same dataset bytes. */
static int same_dataset(const char *a, const char *b)
{
    size_t na, nb;
    char *ba = dataset_bytes(a, &na), *bb = dataset_bytes(b, &nb);
    int same = na > 0 && na == nb && memcmp(ba, bb, na) == 0;

    free(ba);
    free(bb);
    return same;
}

START_TEST(run_stops_when_the_judge_dies_and_resumes_to_the_same_bytes)
{
    const char *in[] = {samples};
    fake_llm *srv = fake_llm_start(NULL);
    char *out = tu_strdupf("%s/died", dir), *ref = tu_strdupf("%s/ref", dir);
    cai_run_opts o;
    cai_run_summary s1, s2;
    cai_error err = {0};

    ck_assert_ptr_nonnull(srv);
    base_opts(&o, in, out);
    use_fake(&o, srv);
    o.limit = 60; /* 120 judgments */
    o.judge.concurrency = 4;
    o.judge.down_timeout_s = 0.3; /* the breaker's deadline, short for the test */
    fake_llm_die_after(srv, 40);
    ck_assert_int_eq(run_job(&o, &s1, &err), CAI_ETRANSPORT);
    ck_assert_ptr_nonnull(strstr(err.msg, "no connection for"));
    ck_assert_ptr_nonnull(strstr(err.msg, "run the same command to resume"));
    ck_assert(fake_llm_is_dead(srv));
    /* Answered and sent counted apart; after the death only the requests in flight, those
     * that opened the breaker and a few probes went out (the old engine sent each of the ~80
     * judgments left 9 times, ~720 requests). */
    ck_assert_uint_le(s1.judgments_answered, 40);
    ck_assert_uint_gt(s1.judgments_answered, 0);
    ck_assert_uint_le(s1.requests, 40 + 3 * o.judge.concurrency + 12);
    ck_assert(!exists(out, "manifest.json"));
    ck_assert(!exists(out, "data/train-00000-of-00001.jsonl.gz"));

    /* The judge is back: the same call resumes from the journal. */
    ck_assert_int_eq(fake_llm_revive(srv), 0);
    memset(&err, 0, sizeof(err));
    ck_assert_msg(run_job(&o, &s2, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(s2.judgments_replayed, s1.judgments_answered);
    ck_assert_uint_eq(s2.judgments_replayed + s2.judgments_answered, 120);
    o.output_dir = ref;
    ck_assert_msg(run_job(&o, &s2, &err) == CAI_OK, "%s", err.msg);
    fake_llm_stop(srv);
    ck_assert(same_dataset(out, ref));
    free(out);
    free(ref);
}
END_TEST

START_TEST(run_stops_at_the_spending_cap_and_resumes_with_a_higher_one)
{
    const char *in[] = {samples};
    fake_llm *srv = fake_llm_start(NULL);
    char *out = tu_strdupf("%s/capped", dir), *ref = tu_strdupf("%s/ref", dir);
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};
    size_t sent;

    ck_assert_ptr_nonnull(srv);
    base_opts(&o, in, out);
    use_fake(&o, srv);
    o.limit = 60; /* 120 judgments of ~150 tokens */
    o.judge.concurrency = 8;
    o.price_input_per_mtok = 1000; /* $0.001 a token: about $0.15 a judgment */
    o.price_output_per_mtok = 1000;
    o.max_cost = 5;
    ck_assert_int_eq(run_job(&o, &s, &err), CAI_EBUDGET);
    ck_assert_ptr_nonnull(strstr(err.msg, "higher --max-cost"));
    /* Stopped within the cap, what was in flight finished and was journaled. */
    ck_assert(s.spent <= o.max_cost);
    ck_assert(s.spent > o.max_cost / 2);
    ck_assert_uint_gt(s.judgments_answered, 0);
    ck_assert_uint_lt(s.judgments_answered, 120);
    ck_assert_uint_eq(fake_llm_requests(srv), s.requests);
    ck_assert_uint_eq(s.requests, s.judgments_answered);
    ck_assert(!exists(out, "manifest.json"));
    sent = fake_llm_requests(srv);

    /* The spend is counted over the journal: the same cap stops again, having sent at most
     * what the estimates of the requests in flight at the first stop held back. */
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(run_job(&o, &s, &err), CAI_EBUDGET);
    ck_assert(s.spent <= o.max_cost);
    ck_assert_uint_le(fake_llm_requests(srv), sent + o.judge.concurrency);
    sent = fake_llm_requests(srv);

    /* A higher cap finishes, and the dataset equals an uncapped run's. */
    o.max_cost = 1000;
    memset(&err, 0, sizeof(err));
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(s.judgments_replayed, sent);
    ck_assert_uint_eq(fake_llm_duplicate_successes(srv), 0);
    o.max_cost = 0;
    o.output_dir = ref;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    fake_llm_stop(srv);
    ck_assert(same_dataset(out, ref));

    /* A cap needs prices. */
    o.max_cost = 1;
    o.price_input_per_mtok = o.price_output_per_mtok = 0;
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(run_job(&o, &s, &err), CAI_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "--max-cost needs"));
    free(out);
    free(ref);
}
END_TEST

typedef struct stopper {
    cai_run *r;
    fake_llm *srv;
    int stops;
} stopper;

/* Progress hook: stops once 20 judgments are in and 4 more hang at the server, and a second
 * time on the next report. */
static void stop_twice(const cai_run_progress *p, void *payload)
{
    stopper *st = payload;

    if (st->stops == 0 && p->judgments_done >= 20 && fake_llm_requests(st->srv) >= 24) {
        st->stops = 1;
        cai_run_stop(st->r);
    } else if (st->stops == 1) {
        st->stops = 2;
        cai_run_stop(st->r);
    }
}

START_TEST(run_second_stop_abandons_hung_requests_and_the_journal_resumes)
{
    const char *in[] = {samples};
    fake_llm *srv = fake_llm_start(NULL), *srv2 = fake_llm_start(NULL);
    char *out = tu_strdupf("%s/stopped", dir), *ref = tu_strdupf("%s/ref", dir);
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};
    cai_run *r = NULL;
    stopper stp = {NULL, NULL, 0};
    cai_status st;

    ck_assert_ptr_nonnull(srv);
    ck_assert_ptr_nonnull(srv2);
    base_opts(&o, in, out);
    use_fake(&o, srv);
    o.limit = 40;
    o.judge.concurrency = 4;
    o.judge.timeout_s = 120;    /* longer than the test may take: only the second stop ends it */
    o.judge.stop_grace_s = 120; /* the first stop waits for the requests in flight */
    o.progress = stop_twice;
    o.progress_payload = &stp;
    o.progress_interval_s = 1e-6;
    fake_llm_push_fault(srv, FAKE_OK, 20);
    fake_llm_push_fault(srv, FAKE_HANG, 1000);
    ck_assert_msg(cai_run_create(&r, &o, &err) == CAI_OK, "%s", err.msg);
    stp.r = r;
    stp.srv = srv;
    st = cai_run_execute(r, &s, &err);
    cai_run_free(r);
    ck_assert_int_eq(st, CAI_EINTERRUPTED);
    ck_assert_int_eq(stp.stops, 2);
    ck_assert_ptr_nonnull(strstr(err.msg, "run the same command to resume"));
    ck_assert_uint_eq(s.judgments_answered, 20);
    ck_assert_uint_eq(fake_llm_requests(srv), 20 + o.judge.concurrency); /* nothing more */
    fake_llm_stop(srv);

    /* The journal resumes (at another server with the same verdicts). */
    use_fake(&o, srv2);
    o.judge.timeout_s = 5;
    o.progress = NULL;
    memset(&err, 0, sizeof(err));
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(s.judgments_replayed, 20);
    o.output_dir = ref;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    fake_llm_stop(srv2);
    ck_assert(same_dataset(out, ref));
    free(out);
    free(ref);
}
END_TEST

/* Cached prompt tokens reach the summary, the manifest and the cost (issue 16). */
START_TEST(run_counts_cached_prompt_tokens_and_prices_them)
{
    const char *in[] = {samples};
    char *out = tu_strdupf("%s/cached", dir), *manifest;
    fake_llm *srv = fake_llm_start(NULL);
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};
    cJSON *m;
    double want;

    ck_assert_ptr_nonnull(srv);
    fake_llm_set_cached(srv, 50); /* every prompt here is longer than 50 tokens */
    base_opts(&o, in, out);
    use_fake(&o, srv);
    o.limit = 10;
    o.price_input_per_mtok = 2.0;
    o.price_cached_input_per_mtok = 0.5;
    o.price_output_per_mtok = 8.0;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(s.judgments_sent, 20);
    ck_assert_uint_eq(s.cached_prompt_tokens, 20 * 50);
    want =
        ((double)(s.prompt_tokens - 1000) * 2.0 + 1000 * 0.5 + (double)s.completion_tokens * 8.0) /
        1e6;
    ck_assert_double_eq_tol(s.cost, want, 1e-12);
    manifest = tu_read_in(out, "manifest.json");
    m = cJSON_Parse(manifest);
    ck_assert_int_eq(
        cJSON_GetObjectItem(cJSON_GetObjectItem(m, "statistics"), "cached_prompt_tokens")->valueint,
        1000);
    cJSON_Delete(m);
    free(manifest);
    fake_llm_stop(srv);
    free(out);
}
END_TEST

/* ---- shards and cai merge (issue 16) ------------------------------------------------------ */

typedef struct env_row {
    const char *vars[8]; /* NAME=VALUE, NULL-terminated */
} env_row;

static const char *table_env(const char *name, void *payload)
{
    const env_row *row = payload;
    size_t i, n = strlen(name);

    for (i = 0; row->vars[i]; i++)
        if (strncmp(row->vars[i], name, n) == 0 && row->vars[i][n] == '=')
            return row->vars[i] + n + 1;
    return NULL;
}

START_TEST(shard_auto_reads_slurm_arrays_and_indexed_jobs)
{
    static const struct {
        env_row env;
        unsigned count_opt;
        cai_status st;
        unsigned index, count;
        const char *msg;
    } cases[] = {
        /* Slurm --array=0-3, task 2 */
        {{{"SLURM_ARRAY_TASK_ID=2", "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_MAX=3",
           "SLURM_ARRAY_TASK_COUNT=4", NULL}},
         0,
         CAI_OK,
         2,
         4,
         NULL},
        /* --array=5-7: the index counts from MIN */
        {{{"SLURM_ARRAY_TASK_ID=7", "SLURM_ARRAY_TASK_MIN=5", "SLURM_ARRAY_TASK_MAX=7",
           "SLURM_ARRAY_TASK_COUNT=3", NULL}},
         0,
         CAI_OK,
         2,
         3,
         NULL},
        /* stepped --array=0-8:2 and sparse --array=0,4 */
        {{{"SLURM_ARRAY_TASK_ID=4", "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_MAX=8",
           "SLURM_ARRAY_TASK_COUNT=5", NULL}},
         0,
         CAI_EINVAL,
         0,
         0,
         "sparse or stepped"},
        {{{"SLURM_ARRAY_TASK_ID=4", "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_MAX=4",
           "SLURM_ARRAY_TASK_COUNT=2", NULL}},
         0,
         CAI_EINVAL,
         0,
         0,
         "sparse or stepped"},
        {{{"SLURM_ARRAY_TASK_ID=1", "SLURM_ARRAY_TASK_MIN=0", NULL}},
         0,
         CAI_EINVAL,
         0,
         0,
         "SLURM_ARRAY_TASK_MAX is not set"},
        {{{"SLURM_ARRAY_TASK_ID=x", "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_MAX=1",
           "SLURM_ARRAY_TASK_COUNT=2", NULL}},
         0,
         CAI_EINVAL,
         0,
         0,
         "SLURM_ARRAY_TASK_ID='x' is not a number"},
        {{{"SLURM_ARRAY_TASK_ID=1", "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_MAX=1",
           "SLURM_ARRAY_TASK_COUNT=2", NULL}},
         3,
         CAI_EINVAL,
         0,
         0,
         "--shard-count 3 differs"},
        /* Kubernetes Indexed Job: the count from the option, else CAI_SHARD_COUNT */
        {{{"JOB_COMPLETION_INDEX=3", NULL}}, 8, CAI_OK, 3, 8, NULL},
        {{{"JOB_COMPLETION_INDEX=0", "CAI_SHARD_COUNT=2", NULL}}, 0, CAI_OK, 0, 2, NULL},
        {{{"JOB_COMPLETION_INDEX=0", NULL}}, 0, CAI_EINVAL, 0, 0, "CAI_SHARD_COUNT"},
        {{{"JOB_COMPLETION_INDEX=4", "CAI_SHARD_COUNT=4", NULL}},
         0,
         CAI_EINVAL,
         0,
         0,
         "out of range"},
        {{{"JOB_COMPLETION_INDEX=-1", "CAI_SHARD_COUNT=4", NULL}},
         0,
         CAI_EINVAL,
         0,
         0,
         "not a number"},
        {{{"HOSTNAME=x", NULL}}, 0, CAI_EINVAL, 0, 0, "neither SLURM_ARRAY_TASK_ID"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cai_shard sh;
        cai_error err = {0};
        cai_status st =
            cai_shard_from_env(&sh, table_env, (void *)&cases[i].env, cases[i].count_opt, &err);
        ck_assert_msg(st == cases[i].st, "case %zu: %d %s", i, st, err.msg);
        if (st == CAI_OK) {
            ck_assert_uint_eq(sh.index, cases[i].index);
            ck_assert_uint_eq(sh.count, cases[i].count);
        } else {
            ck_assert_msg(strstr(err.msg, cases[i].msg) != NULL, "case %zu: %s", i, err.msg);
        }
    }
}
END_TEST

START_TEST(shard_spec_parses_i_of_n)
{
    cai_shard sh;
    cai_error err = {0};

    ck_assert_int_eq(cai_shard_parse(&sh, "2/3", &err), CAI_OK);
    ck_assert_uint_eq(sh.index, 2);
    ck_assert_uint_eq(sh.count, 3);
    ck_assert_int_eq(cai_shard_parse(&sh, "3/3", &err), CAI_EINVAL);
    ck_assert_int_eq(cai_shard_parse(&sh, "0/0", &err), CAI_EINVAL);
    ck_assert_int_eq(cai_shard_parse(&sh, "1", &err), CAI_EINVAL);
    ck_assert_int_eq(cai_shard_parse(&sh, "-1/3", &err), CAI_EINVAL);
    ck_assert_int_eq(cai_shard_parse(&sh, "1/3x", &err), CAI_EINVAL);
    /* the owner is a pure function of the prompt and the count */
    ck_assert_uint_eq(cai_shard_of("same prompt", 7), cai_shard_of("same prompt", 7));
    ck_assert_uint_lt(cai_shard_of("any prompt", 7), 7);
    ck_assert_uint_eq(cai_shard_of("any prompt", 1), 0);
}
END_TEST

static char *raw_file(const char *dir_, const char *name, size_t *len)
{
    char *path = tu_strdupf("%s/%s", dir_, name);
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    free(path);
    *len = 0;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    *len = fread(buf, 1, (size_t)n, f);
    fclose(f);
    return buf;
}

static void assert_same_file(const char *a, const char *b, const char *name)
{
    size_t la, lb;
    char *x = raw_file(a, name, &la), *y = raw_file(b, name, &lb);

    ck_assert_msg(x != NULL && y != NULL, "%s missing", name);
    ck_assert_msg(la == lb && memcmp(x, y, la) == 0, "%s differs (%zu vs %zu bytes)", name, la, lb);
    free(x);
    free(y);
}

/* The manifest minus what legitimately differs between a merge and an unsharded run. */
static char *manifest_core(const char *out)
{
    char *text = tu_read_in(out, "manifest.json"), *core;
    cJSON *m = cJSON_Parse(text), *st;

    ck_assert_ptr_nonnull(m);
    st = cJSON_GetObjectItem(m, "statistics");
    cJSON_DeleteItemFromObject(st, "judgments_sent");
    cJSON_DeleteItemFromObject(st, "judgments_replayed");
    cJSON_DeleteItemFromObject(st, "judgments_answered"); /* this invocation's, like _sent */
    cJSON_DeleteItemFromObject(st, "requests_sent");
    cJSON_DeleteItemFromObject(st, "timeouts");
    cJSON_DeleteItemFromObject(st, "endpoints"); /* this invocation's requests, per endpoint */
    cJSON_DeleteItemFromObject(m, "command_line");
    core = cJSON_PrintUnformatted(m);
    cJSON_Delete(m);
    free(text);
    return core;
}

/* Runs o (with output out) as shards 0..n-1 into out-0 .. out-(n-1); returns the dir names. */
static char **run_shards(cai_run_opts *o, const char *base, unsigned n, uint64_t *pairs)
{
    char **dirs = calloc(n + 1, sizeof(*dirs));
    unsigned i;

    *pairs = 0;
    for (i = 0; i < n; i++) {
        cai_run_summary s;
        cai_error err = {0};
        dirs[i] = tu_strdupf("%s-%u", base, i);
        o->output_dir = dirs[i];
        o->shard.index = i;
        o->shard.count = n;
        ck_assert_msg(run_job(o, &s, &err) == CAI_OK, "shard %u: %s", i, err.msg);
        ck_assert_uint_eq(s.pairs_kept + s.ties + s.failed + s.unjudgeable, s.pairs_read);
        ck_assert_uint_gt(s.pairs_read, 0);
        *pairs += s.pairs_read;
    }
    memset(&o->shard, 0, sizeof(o->shard));
    return dirs;
}

static void free_dirs(char **dirs)
{
    size_t i;

    for (i = 0; dirs[i]; i++)
        free(dirs[i]);
    free(dirs);
}

/* Runs o unsharded into full and as n shards merged into merged; compares the bytes. The
 * journals hold the same entries, in completion order, which concurrency makes vary even
 * between two unsharded runs: they are not compared byte for byte. */
static void
assert_merge_equals_unsharded(cai_run_opts *o, unsigned n, void (*after_full)(cai_run_opts *o))
{
    char *full = tu_strdupf("%s/full", dir), *merged = tu_strdupf("%s/merged", dir);
    char *base = tu_strdupf("%s/shard", dir), **dirs, *a, *b;
    cai_run_summary s, sm;
    cai_error err = {0};
    uint64_t pairs;
    static const char *const files[] = {"data/train-00000-of-00001.jsonl.gz",
                                        "data/test-00000-of-00001.jsonl.gz", "failed.jsonl.gz",
                                        "ties.jsonl.gz", "README.md"};
    size_t i;

    o->output_dir = full;
    ck_assert_msg(run_job(o, &s, &err) == CAI_OK, "%s", err.msg);
    if (after_full)
        after_full(o);
    dirs = run_shards(o, base, n, &pairs);
    ck_assert_uint_eq(pairs, s.pairs_read); /* disjoint and complete */
    o->output_dir = merged;
    o->merge_dirs = (const char *const *)dirs;
    o->n_merge_dirs = n;
    ck_assert_msg(run_job(o, &sm, &err) == CAI_OK, "merge: %s", err.msg);
    ck_assert_uint_eq(sm.judgments_sent, 0);
    ck_assert_uint_eq(sm.pairs_kept, s.pairs_kept);
    ck_assert_uint_eq(sm.failed, s.failed);
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        assert_same_file(full, merged, files[i]);
    a = manifest_core(full);
    b = manifest_core(merged);
    ck_assert_str_eq(a, b);
    o->merge_dirs = NULL;
    o->n_merge_dirs = 0;
    free(a);
    free(b);
    free_dirs(dirs);
    free(base);
    free(full);
    free(merged);
}

START_TEST(merged_shards_equal_the_unsharded_run_byte_for_byte)
{
    const char *in[] = {samples};
    cai_run_opts o;

    base_opts(&o, in, NULL);
    o.test_fraction = 0.2;
    assert_merge_equals_unsharded(&o, 3, NULL);
}
END_TEST

static fake_llm *fault_srv;

/* The fake decides faults by (seed, body, times seen): the shards get a server that has not
 * seen their bodies yet, as the unsharded run had. */
static void fresh_fault_server(cai_run_opts *o)
{
    fake_llm_opts fo = FAKE_LLM_OPTS_INIT;

    /* the same port: a failed pair's reason names the server's URL */
    fo.port = fault_srv ? fake_llm_port(fault_srv) : 0;
    fake_llm_stop(fault_srv);
    fo.fault_rate = 0.05;
    fo.fault_mask = 1u << FAKE_500;
    fo.seed = 11;
    fault_srv = fake_llm_start(&fo);
    ck_assert_ptr_nonnull(fault_srv);
    use_fake(o, fault_srv);
}

/* Failed pairs too: the fake judge fails the same requests in every run (a hash of the body). */
START_TEST(merged_shards_keep_failed_pairs_and_their_reasons)
{
    const char *in[] = {samples};
    cai_run_opts o;
    char *failed;

    base_opts(&o, in, NULL);
    fault_srv = NULL;
    fresh_fault_server(&o);
    o.limit = 120;
    o.judge.max_retries = 0;
    o.max_failure_rate = 1;
    o.no_validate = 1;
    assert_merge_equals_unsharded(&o, 3, fresh_fault_server);
    failed = tu_read_in(dir, "merged/failed.jsonl.gz");
    ck_assert_ptr_nonnull(failed);
    ck_assert_uint_gt(tu_count_lines(failed), 0); /* the failure path was exercised */
    free(failed);
    fake_llm_stop(fault_srv);
}
END_TEST

START_TEST(merge_refuses_missing_repeated_foreign_and_unfinished_shards)
{
    const char *in[] = {samples};
    char *base = tu_strdupf("%s/shard", dir), *out = tu_strdupf("%s/merged", dir), **dirs;
    char *foreign = tu_strdupf("%s/foreign", dir), *empty = tu_strdupf("%s/empty", dir);
    const char *set[4];
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};
    uint64_t pairs;

    base_opts(&o, in, NULL);
    o.limit = 60;
    dirs = run_shards(&o, base, 3, &pairs);
    o.output_dir = out;
    o.merge_dirs = set;

    set[0] = dirs[0];
    set[1] = dirs[2];
    o.n_merge_dirs = 2;
    ck_assert_int_eq(run_job(&o, &s, &err), CAI_EINVAL);
    ck_assert_msg(strstr(err.msg, "missing: 1") != NULL, "%s", err.msg);

    set[2] = dirs[1];
    set[3] = dirs[2];
    o.n_merge_dirs = 4;
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(run_job(&o, &s, &err), CAI_EINVAL);
    ck_assert_msg(strstr(err.msg, "given more than once: 2") != NULL, "%s", err.msg);

    /* shard 1 of another plan (another seed) */
    o.merge_dirs = NULL;
    o.n_merge_dirs = 0;
    o.seed = 9;
    o.output_dir = foreign;
    o.shard.index = 1;
    o.shard.count = 3;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    memset(&o.shard, 0, sizeof(o.shard));
    o.seed = 0;
    o.output_dir = out;
    o.merge_dirs = set;
    set[0] = dirs[0];
    set[1] = foreign;
    set[2] = dirs[2];
    o.n_merge_dirs = 3;
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(run_job(&o, &s, &err), CAI_EMISMATCH);
    ck_assert_msg(strstr(err.msg, "is not a shard of this run") != NULL, "%s", err.msg);

    /* a shard that has not finished has no manifest */
    ck_assert_int_eq(mkdir(empty, 0755), 0);
    set[1] = empty;
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(run_job(&o, &s, &err), CAI_EINVAL);
    ck_assert_msg(strstr(err.msg, "has not finished") != NULL, "%s", err.msg);
    ck_assert(!exists(out, "manifest.json"));

    free_dirs(dirs);
    free(base);
    free(out);
    free(foreign);
    free(empty);
}
END_TEST

/* The spec is part of the fingerprint: a shard's journal never resumes as another shard. */
START_TEST(shard_journal_refuses_another_shard_spec)
{
    const char *in[] = {samples};
    char *out = tu_strdupf("%s/s", dir);
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};

    base_opts(&o, in, out);
    o.limit = 30;
    o.shard.index = 0;
    o.shard.count = 3;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    o.shard.index = 1;
    ck_assert_int_eq(run_job(&o, &s, &err), CAI_EMISMATCH);
    ck_assert_msg(strstr(err.msg, "shard \"0/3\" -> \"1/3\"") != NULL, "%s", err.msg);
    memset(&o.shard, 0, sizeof(o.shard));
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(run_job(&o, &s, &err), CAI_EMISMATCH);
    free(out);
}
END_TEST

/* ---- rating mode ------------------------------------------------------------------------ */

/* n records of 4 candidates each; response i of record r carries the fake judge's score marker
 * (r + 2i) % 7 + 1, distinct within a record, so every pair has a predictable winner. */
static char *rating_candidates(int n)
{
    char *path = tu_strdupf("%s/cands.jsonl", dir);
    FILE *f = fopen(path, "w");
    int r, i;

    ck_assert_ptr_nonnull(f);
    for (r = 0; r < n; r++) {
        fprintf(f, "{\"id\":\"c%d\",\"prompt\":\"Question %d?\",\"responses\":[", r, r);
        for (i = 0; i < 4; i++)
            fprintf(f, "%s\"Answer %d of %d [[score=%d]]\"", i ? "," : "", i, r,
                    (r + 2 * i) % 7 + 1);
        fprintf(f, "]}\n");
    }
    fclose(f);
    return path;
}

static int marker_of(const char *text)
{
    const char *m = strstr(text, "[[score=");

    return m ? atoi(m + 8) : -1;
}

/* Checks every record of out against the marker scores and the documented mapping with scale
 * s; returns the number of records. */
static size_t check_rating_records(const char *out, double s, unsigned judgments)
{
    const char *names[] = {"data/train-00000-of-00001.jsonl.gz",
                           "data/test-00000-of-00001.jsonl.gz"};
    size_t n = 0, i;

    for (i = 0; i < 2; i++) {
        char *text = tu_read_in(out, names[i]), *line, *save = NULL;
        for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
             line = strtok_r(NULL, "\n", &save)) {
            cJSON *o = cJSON_Parse(line);
            const cJSON *cai = cJSON_GetObjectItem(o, "cai");
            const cJSON *jc = cJSON_GetObjectItem(cai, "rating_chosen");
            const cJSON *jr = cJSON_GetObjectItem(cai, "rating_rejected");
            double rc, rr, pc;
            ck_assert_msg(cJSON_IsNumber(jc) && cJSON_IsNumber(jr), "%s", line);
            rc = jc->valuedouble;
            rr = jr->valuedouble;
            pc = cJSON_GetObjectItem(o, "p_chosen")->valuedouble;
            ck_assert_int_gt(marker_of(cJSON_GetObjectItem(o, "chosen")->valuestring),
                             marker_of(cJSON_GetObjectItem(o, "rejected")->valuestring));
            ck_assert(rc > rr && rc <= 7 && rr >= 1);
            ck_assert_double_eq_tol(pc, 1.0 / (1.0 + exp(-(rc - rr) / s)), 1e-12);
            ck_assert_int_eq(cJSON_GetObjectItem(cai, "first_shown_wins")->valueint, 0);
            ck_assert_int_eq(cJSON_GetObjectItem(cai, "second_shown_wins")->valueint, 0);
            ck_assert_int_eq(cJSON_GetObjectItem(cai, "judgments")->valueint, (int)judgments);
            ck_assert(cJSON_IsNull(cJSON_GetObjectItem(cai, "orders_agree")));
            cJSON_Delete(o);
            n++;
        }
        free(text);
    }
    return n;
}

START_TEST(run_rating_rates_each_candidate_once_and_derives_every_pair)
{
    char *cands = rating_candidates(5);
    const char *in[] = {cands};
    fake_llm *srv = fake_llm_start(NULL);
    char *out = tu_strdupf("%s/rate", dir), *manifest, *card;
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};

    ck_assert_ptr_nonnull(srv);
    base_opts(&o, in, out);
    use_fake(&o, srv);
    o.judge.mode = CAI_MODE_RATING;
    o.principles_per_pair = 2;
    /* the plan first: 4 responses x 2 principles per record, 6 pairs per record */
    o.dry_run = 1;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(s.judgments, 5 * 4 * 2);
    ck_assert_uint_eq(s.pairs_read, 5 * 6);
    /* --limit 2 cuts record c0 after its pairs (0,1), (0,2): only responses 0..2 are rated */
    o.limit = 2;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(s.judgments, 3 * 2);
    ck_assert_uint_eq(s.pairs_read, 2);
    ck_assert_uint_eq(fake_llm_requests(srv), 0);
    o.limit = 0;
    o.dry_run = 0;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    /* N * K requests per record, not N(N-1) * K */
    ck_assert_uint_eq(fake_llm_successes(srv), 5 * 4 * 2);
    ck_assert_uint_eq(fake_llm_requests(srv), 5 * 4 * 2);
    ck_assert_uint_eq(s.pairs_read, 30);
    ck_assert_uint_eq(s.pairs_kept, 30);
    ck_assert_int_eq(s.validation_findings, 0);
    ck_assert_uint_eq(check_rating_records(out, 1.0, 4), 30);
    /* no position checks in rating mode (an order-blind judge is not position-biased) */
    ck_assert_int_eq(s.health_report.errors, 0);
    manifest = tu_read_in(out, "manifest.json");
    card = tu_read_in(out, "README.md");
    ck_assert_ptr_nonnull(strstr(manifest, "\"cai.rating_chosen\""));
    ck_assert_ptr_nonnull(strstr(manifest, "\"rating_scale\":\t1"));
    ck_assert_ptr_nonnull(strstr(card, "name: rating_rejected"));
    free(manifest);
    free(card);

    /* The scale is not in the journal's fingerprint: the scores are, so a new scale relabels
     * from the journal without a request. --no-swap is accepted and changes nothing. */
    o.rating_scale = 2.0;
    o.no_swap = 1;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(fake_llm_requests(srv), 5 * 4 * 2);
    ck_assert_uint_eq(s.judgments_replayed, 5 * 4 * 2);
    ck_assert_uint_eq(check_rating_records(out, 2.0, 4), 30);
    fake_llm_stop(srv);
    free(out);
    free(cands);
}
END_TEST

START_TEST(run_rating_pairs_cost_two_requests_and_match_across_concurrency_and_resume)
{
    char *pairs = tu_strdupf("%s/pairs.jsonl", dir);
    const char *in[] = {pairs};
    fake_llm *srv = fake_llm_start(NULL);
    char *out1 = tu_strdupf("%s/r1", dir), *out2 = tu_strdupf("%s/r16", dir);
    char *out3 = tu_strdupf("%s/resumed", dir), *failed;
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};
    FILE *f = fopen(pairs, "w");
    int i;

    ck_assert_ptr_nonnull(srv);
    ck_assert_ptr_nonnull(f);
    for (i = 0; i < 8; i++)
        fprintf(f,
                "{\"id\":\"p%d\",\"prompt\":\"Q%d?\",\"response_a\":\"A [[score=%d]]\","
                "\"response_b\":\"%s\"}\n",
                i, i, i % 7 + 1,
                i == 3  ? " "
                : i % 2 ? "B [[score=7]]"
                        : "B [[score=1]]");
    fclose(f);
    base_opts(&o, in, out1);
    use_fake(&o, srv);
    o.judge.mode = CAI_MODE_RATING;
    o.max_failure_rate = 1;
    o.judge.concurrency = 1;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    /* 2 ratings a pair; the blank response of p3 is never sent (one rating for p3) */
    ck_assert_uint_eq(fake_llm_successes(srv), 2 * 8 - 1);
    ck_assert_uint_eq(s.pairs_read, 8);
    ck_assert_uint_eq(s.unjudgeable, 1);
    failed = tu_read_in(out1, "failed.jsonl.gz");
    ck_assert_ptr_nonnull(strstr(failed, "\"p3\""));
    free(failed);
    ck_assert_uint_eq(check_rating_records(out1, 1.0, 2) + s.ties, 7);

    o.output_dir = out2;
    o.judge.concurrency = 16;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert(same_dataset(out1, out2));

    /* resume: a shorter plan first, then the whole; each rating is asked once */
    o.output_dir = out3;
    o.limit = 4;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(s.judgments_sent, 7);
    o.limit = 0;
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(s.judgments_replayed, 7);
    ck_assert_uint_eq(s.judgments_sent, 8);
    ck_assert(same_dataset(out1, out3));
    fake_llm_stop(srv);
    free(out1);
    free(out2);
    free(out3);
    free(pairs);
}
END_TEST

START_TEST(run_rating_resumes_after_the_judge_dies_to_the_same_bytes)
{
    char *cands = rating_candidates(10);
    const char *in[] = {cands};
    fake_llm *srv = fake_llm_start(NULL);
    char *out = tu_strdupf("%s/died", dir), *ref = tu_strdupf("%s/ref", dir);
    cai_run_opts o;
    cai_run_summary s1, s2;
    cai_error err = {0};

    ck_assert_ptr_nonnull(srv);
    base_opts(&o, in, out);
    use_fake(&o, srv);
    o.judge.mode = CAI_MODE_RATING;
    o.judge.concurrency = 4;
    o.judge.down_timeout_s = 0.3;
    fake_llm_die_after(srv, 15); /* mid-record: some responses of a record rated, some not */
    ck_assert_int_eq(run_job(&o, &s1, &err), CAI_ETRANSPORT);
    ck_assert(!exists(out, "manifest.json"));
    ck_assert_int_eq(fake_llm_revive(srv), 0);
    memset(&err, 0, sizeof(err));
    ck_assert_msg(run_job(&o, &s2, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(s2.judgments_replayed, s1.judgments_answered);
    ck_assert_uint_eq(s2.judgments_replayed + s2.judgments_answered, 40);
    ck_assert_uint_eq(fake_llm_duplicate_successes(srv), 0);
    o.output_dir = ref;
    ck_assert_msg(run_job(&o, &s2, &err) == CAI_OK, "%s", err.msg);
    fake_llm_stop(srv);
    ck_assert(same_dataset(out, ref));
    ck_assert_uint_eq(check_rating_records(out, 1.0, 2), 60);
    free(out);
    free(ref);
    free(cands);
}
END_TEST

static TCase *rating_tcase(void)
{
    TCase *tc = tcase_create("rating");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, run_rating_rates_each_candidate_once_and_derives_every_pair);
    tcase_add_test(tc, run_rating_pairs_cost_two_requests_and_match_across_concurrency_and_resume);
    tcase_add_test(tc, run_rating_resumes_after_the_judge_dies_to_the_same_bytes);
    return tc;
}

Suite *run_suite(void)
{
    Suite *s = suite_create("run");
    TCase *tc = tcase_create("e2e");
    TCase *hh = tcase_create("hh_sample");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, run_builtin_writes_dataset_manifest_and_card);
    tcase_add_test(tc, run_output_is_identical_across_concurrency_and_completion_order);
    tcase_add_test(tc, run_resume_replays_the_journal_and_sends_nothing_twice);
    tcase_add_test(tc, run_refuses_to_resume_with_other_label_settings);
    tcase_add_test(tc, run_counts_ties_and_keeps_them_on_request);
    tcase_add_test(tc, run_manifest_lists_ties_agreement_and_verdict);
    tcase_add_test(tc, run_lists_failed_pairs_and_enforces_the_failure_rate);
    tcase_add_test(tc, run_stops_early_when_the_judge_is_down);
    tcase_add_test(tc, run_interrupted_says_how_to_resume_even_with_a_reused_error);
    tcase_add_test(tc, run_writes_every_output_format_readably);
    tcase_add_test(tc, run_trl_output_is_verbatim_with_exact_soft_labels);
    tcase_add_test(tc, run_records_escape_strings_as_cjson_does);
    tcase_add_test(tc, run_sends_no_blank_hh_reply_and_lists_it_as_unjudgeable);
    tcase_add_test(tc, run_dry_run_estimates_and_writes_nothing);
    tcase_add_test(tc, run_finds_a_duplicate_id_across_spilled_runs);
    tcase_add_test(tc, run_survives_mixed_faults_without_losing_or_repaying_a_pair);
    tcase_add_test(tc, run_backs_off_as_a_pool_during_a_429_storm);
    tcase_add_test(tc, run_stops_when_the_judge_dies_and_resumes_to_the_same_bytes);
    tcase_add_test(tc, run_stops_at_the_spending_cap_and_resumes_with_a_higher_one);
    tcase_add_test(tc, run_second_stop_abandons_hung_requests_and_the_journal_resumes);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, outdir_tcase());
    {
        TCase *sh = tcase_create("shard");
        tcase_add_checked_fixture(sh, setup, teardown);
        tcase_set_timeout(sh, 120);
        tcase_add_test(sh, shard_auto_reads_slurm_arrays_and_indexed_jobs);
        tcase_add_test(sh, run_counts_cached_prompt_tokens_and_prices_them);
        tcase_add_test(sh, shard_spec_parses_i_of_n);
        tcase_add_test(sh, merged_shards_equal_the_unsharded_run_byte_for_byte);
        tcase_add_test(sh, merged_shards_keep_failed_pairs_and_their_reasons);
        tcase_add_test(sh, merge_refuses_missing_repeated_foreign_and_unfinished_shards);
        tcase_add_test(sh, shard_journal_refuses_another_shard_spec);
        suite_add_tcase(s, sh);
    }
    suite_add_tcase(s, rating_tcase());

    tcase_add_checked_fixture(hh, setup, teardown);
    tcase_set_tags(hh, "hh_sample"); /* reads the external HH-RLHF sample (check_main.c) */
    tcase_set_timeout(hh, 120);
    tcase_add_test(hh, run_relabels_the_hh_sample_through_the_fake_judge);
    suite_add_tcase(s, hh);
    return s;
}

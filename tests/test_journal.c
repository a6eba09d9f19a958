/* SPDX-License-Identifier: MIT */
/* Tests for the run journal: replay, fingerprint refusal, torn-tail repair, exact values. */
#include <cai.h>
#include "journal_int.h"
#include "hash_int.h"
#include "fake_llm.h"
#include "testutil.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

Suite *journal_suite(void);

static char *dir;
static char *path;

static void setup(void)
{
    dir = tu_mkdtemp("journal");
    ck_assert_ptr_nonnull(dir);
    path = tu_strdupf("%s/journal.cai", dir);
}

static void teardown(void)
{
    tu_rmtree(dir);
    free(dir);
    free(path);
}

static cai_jentry entry(const char *pair, const char *pr, unsigned order, double p)
{
    cai_jentry e;

    memset(&e, 0, sizeof(e));
    e.key = cai_journal__key(pair, pr, order, 0);
    e.p_first = p;
    e.verdict = p >= 0.5 ? CAI_VERDICT_A : CAI_VERDICT_B;
    e.from_logprobs = 1;
    e.prompt_tokens = 100;
    e.completion_tokens = 1;
    return e;
}

static void write_three(void)
{
    cai_journal *j = NULL;
    cai_error err = {0};
    cai_jentry e;

    ck_assert_int_eq(cai_journal__open(&j, path, "fp1", "{\"seed\":1}", &err), CAI_OK);
    e = entry("p1", "harm", 0, 0.1234567890123456789);
    ck_assert_int_eq(cai_journal__add(j, &e, "p1", "harm", 0, 0, &err), CAI_OK);
    e = entry("p1", "harm", 1, 0.75);
    ck_assert_int_eq(cai_journal__add(j, &e, "p1", "harm", 1, 0, &err), CAI_OK);
    e = entry("p2", "help", 0, 1.0 / 3.0);
    ck_assert_int_eq(cai_journal__add(j, &e, "p2", "help", 0, 0, &err), CAI_OK);
    ck_assert_int_eq(cai_journal__sync(j, 1, &err), CAI_OK);
    cai_journal__free(j);
}

START_TEST(journal_replays_entries_with_exact_values)
{
    cai_journal *j = NULL;
    cai_error err = {0};
    const cai_jentry *e;

    write_three();
    ck_assert_int_eq(cai_journal__open(&j, path, "fp1", NULL, &err), CAI_OK);
    ck_assert_uint_eq(cai_journal__loaded(j), 3);
    e = cai_journal__find(j, cai_journal__key("p1", "harm", 0, 0));
    ck_assert_ptr_nonnull(e);
    ck_assert(e->p_first == 0.1234567890123456789); /* bit-exact, not approximately */
    e = cai_journal__find(j, cai_journal__key("p2", "help", 0, 0));
    ck_assert_ptr_nonnull(e);
    ck_assert(e->p_first == 1.0 / 3.0);
    ck_assert_uint_eq(e->prompt_tokens, 100);
    ck_assert_ptr_null(cai_journal__find(j, cai_journal__key("p2", "help", 1, 0)));
    ck_assert_uint_eq(cai_journal__repaired(j), 0);
    cai_journal__free(j);
}
END_TEST

/*
 * A judgment line is written by hand but keeps the bytes the cJSON object gave it (journals are
 * compared across versions and resumed by older builds): same members, order, number texts
 * and string escapes, optional keys only when set.
 */
START_TEST(journal_judgment_lines_keep_cjson_bytes)
{
    static const char *const ids[] = {"p\"1\\\t\x01\x1f/\xc3\xa9", "plain", "\n\r\b\f"};
    cai_journal *j = NULL;
    cai_error err = {0};
    char *text, *line, *save = NULL;
    size_t i, n = 0;

    ck_assert_int_eq(cai_journal__open(&j, path, "fp1", "{\"seed\":1}", &err), CAI_OK);
    for (i = 0; i < 3; i++) {
        cai_jentry e = entry(ids[i], "harm", (unsigned)i, i == 1 ? 0.1 : 1.0 / 3.0);
        e.truncated = i == 2;
        e.reasoning_tokens = i == 1 ? 4000000000u : 0;
        e.prompt_tokens = i == 2 ? 4294967295u : 7;
        ck_assert_int_eq(cai_journal__add(j, &e, ids[i], "harm", (unsigned)i, 2, &err), CAI_OK);
    }
    ck_assert_int_eq(cai_journal__sync(j, 1, &err), CAI_OK);
    cai_journal__free(j);
    text = tu_read_file(path, NULL);
    ck_assert_ptr_nonnull(text);
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cJSON *o;
        char key[17], num[40], *want;
        cai_jentry e;

        if (strncmp(line, "{\"t\":\"j\"", 8) != 0)
            continue; /* the header */
        *strrchr(line, '\t') = '\0';
        e = entry(ids[n], "harm", (unsigned)n, n == 1 ? 0.1 : 1.0 / 3.0);
        o = cJSON_CreateObject();
        snprintf(key, sizeof(key), "%016" PRIx64, e.key);
        snprintf(num, sizeof(num), "%.17g", e.p_first);
        cJSON_AddStringToObject(o, "t", "j");
        cJSON_AddStringToObject(o, "k", key);
        cJSON_AddStringToObject(o, "id", ids[n]);
        cJSON_AddStringToObject(o, "pr", "harm");
        cJSON_AddNumberToObject(o, "o", (double)n);
        cJSON_AddNumberToObject(o, "s", 2);
        cJSON_AddRawToObject(o, "p", num);
        cJSON_AddNumberToObject(o, "v", e.verdict);
        cJSON_AddNumberToObject(o, "lp", e.from_logprobs);
        cJSON_AddNumberToObject(o, "pt", n == 2 ? 4294967295.0 : 7);
        cJSON_AddNumberToObject(o, "ct", e.completion_tokens);
        if (n == 2)
            cJSON_AddNumberToObject(o, "tr", 1);
        if (n == 1)
            cJSON_AddNumberToObject(o, "rt", 4000000000.0);
        want = cJSON_PrintUnformatted(o);
        ck_assert_str_eq(line, want);
        cJSON_free(want);
        cJSON_Delete(o);
        n++;
    }
    ck_assert_uint_eq(n, 3);
    free(text);
}
END_TEST

START_TEST(journal_refuses_a_different_fingerprint)
{
    cai_journal *j = NULL;
    cai_error err = {0};

    write_three();
    ck_assert_int_eq(cai_journal__open(&j, path, "fp2", NULL, &err), CAI_EMISMATCH);
    ck_assert_ptr_null(j);
    ck_assert_ptr_nonnull(strstr(err.msg, "journal.cai: this output directory holds a run"));
}
END_TEST

START_TEST(journal_cuts_a_torn_tail_and_keeps_appending)
{
    cai_journal *j = NULL;
    cai_error err = {0};
    cai_jentry e;
    FILE *f;
    struct stat before, after;

    write_three();
    stat(path, &before);
    f = fopen(path, "ab");
    fputs("{\"k\":\"00000000000000ff\",\"p\":0.5", f); /* died mid-write: no CRC, no newline */
    fclose(f);
    ck_assert_int_eq(cai_journal__open(&j, path, "fp1", NULL, &err), CAI_OK);
    ck_assert_uint_eq(cai_journal__loaded(j), 3);
    ck_assert_uint_gt(cai_journal__repaired(j), 0);
    stat(path, &after);
    ck_assert_int_eq(after.st_size, before.st_size); /* the torn bytes are gone */
    e = entry("p3", "help", 0, 0.9);
    ck_assert_int_eq(cai_journal__add(j, &e, "p3", "help", 0, 0, &err), CAI_OK);
    cai_journal__free(j);
    ck_assert_int_eq(cai_journal__open(&j, path, "fp1", NULL, &err), CAI_OK);
    ck_assert_uint_eq(cai_journal__loaded(j), 4);
    ck_assert_uint_eq(cai_journal__repaired(j), 0);
    cai_journal__free(j);
}
END_TEST

START_TEST(journal_skips_a_corrupt_record_in_the_middle)
{
    cai_journal *j = NULL;
    cai_error err = {0};
    char *text;
    size_t len;
    char *second;

    write_three();
    text = tu_read_file(path, &len);
    second = strstr(text, "\"p\":0.75");
    ck_assert_ptr_nonnull(second);
    second[5] = '9'; /* 0.75 -> 0.95: the CRC no longer matches */
    ck_assert_int_eq(tu_write_file(path, text, len), 0);
    free(text);
    ck_assert_int_eq(cai_journal__open(&j, path, "fp1", NULL, &err), CAI_OK);
    ck_assert_uint_eq(cai_journal__loaded(j), 2);
    ck_assert_ptr_null(cai_journal__find(j, cai_journal__key("p1", "harm", 1, 0)));
    ck_assert_ptr_nonnull(cai_journal__find(j, cai_journal__key("p2", "help", 0, 0)));
    cai_journal__free(j);
}
END_TEST

/* Writes path as the lines given, each with its CRC (the journal's own line format). */
static void write_lines(const char *const *lines, size_t n)
{
    FILE *f = fopen(path, "w");
    size_t i;

    ck_assert_ptr_nonnull(f);
    for (i = 0; i < n; i++)
        fprintf(f, "%s\t%08lx\n", lines[i],
                (unsigned long)crc32(0L, (const Bytef *)lines[i], (uInt)strlen(lines[i])));
    fclose(f);
}

/* A version-2 journal (records without a kind) resumes: its records are judgments, and what is
 * appended to it carries the kind. */
START_TEST(journal_v2_resumes_and_its_records_are_judgments)
{
    char *hdr =
        tu_strdupf("{\"cai_journal\":2,\"fingerprint\":\"%s\",\"settings\":{\"seed\":1}}", "fp1");
    uint64_t k = cai_journal__key("p1", "harm", 0, 0);
    char *rec = tu_strdupf("{\"k\":\"%016llx\",\"id\":\"p1\",\"pr\":\"harm\",\"o\":0,\"s\":0,"
                           "\"p\":0.25,\"v\":2,\"lp\":1,\"pt\":100,\"ct\":1}",
                           (unsigned long long)k);
    const char *lines[2] = {hdr, rec};
    cai_journal *j = NULL;
    cai_error err = {0};
    cai_jentry e = entry("p2", "help", 0, 0.75);
    char *text;

    write_lines(lines, 2);
    ck_assert_msg(cai_journal__open(&j, path, "fp1", NULL, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(cai_journal__version(j), 2);
    ck_assert_uint_eq(cai_journal__loaded(j), 1);
    ck_assert_ptr_nonnull(cai_journal__find(j, k));
    ck_assert(cai_journal__find(j, k)->p_first == 0.25);
    ck_assert_int_eq(cai_journal__add(j, &e, "p2", "help", 0, 0, &err), CAI_OK);
    ck_assert_int_eq(cai_journal__sync(j, 1, &err), CAI_OK);
    cai_journal__free(j);
    text = tu_read_file(path, NULL);
    ck_assert_ptr_nonnull(strstr(text, "{\"t\":\"j\",\"k\":"));
    free(text);
    ck_assert_int_eq(cai_journal__open(&j, path, "fp1", NULL, &err), CAI_OK);
    ck_assert_uint_eq(cai_journal__loaded(j), 2);
    cai_journal__free(j);
    free(hdr);
    free(rec);
}
END_TEST

/* Records of a kind this reader does not know (a later stage's) are skipped, not loaded as
 * judgments and not taken for damage; a record whose kind is not a string is damage. */
START_TEST(journal_skips_records_of_other_kinds)
{
    char *hdr = tu_strdupf("{\"cai_journal\":3,\"fingerprint\":\"fp1\",\"settings\":{}}");
    uint64_t k = cai_journal__key("p1", "harm", 0, 0);
    char *judged = tu_strdupf("{\"t\":\"j\",\"k\":\"%016llx\",\"id\":\"p1\",\"pr\":\"harm\","
                              "\"o\":0,\"s\":0,\"p\":0.5,\"v\":3,\"lp\":0,\"pt\":9,\"ct\":1}",
                              (unsigned long long)k);
    char *sampled = tu_strdupf("{\"t\":\"s\",\"k\":\"%016llx\",\"p\":0.9,\"v\":1,\"lp\":0,"
                               "\"pt\":1,\"ct\":1}",
                               (unsigned long long)cai_journal__key("p2", "x", 0, 0));
    const char *bad = "{\"t\":7,\"k\":\"00000000000000aa\",\"p\":0.9,\"v\":1,\"lp\":0,\"pt\":1,"
                      "\"ct\":1}";
    const char *lines[4] = {hdr, sampled, judged, bad};
    cai_journal *j = NULL;
    cai_error err = {0};

    write_lines(lines, 4);
    ck_assert_msg(cai_journal__open(&j, path, "fp1", NULL, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(cai_journal__loaded(j), 1);
    ck_assert_uint_eq(cai_journal__other(j), 1);
    ck_assert_ptr_nonnull(cai_journal__find(j, k));
    ck_assert_ptr_null(cai_journal__find(j, cai_journal__key("p2", "x", 0, 0)));
    ck_assert_uint_eq(cai_journal__repaired(j), strlen(bad) + 10);
    cai_journal__free(j);
    free(hdr);
    free(judged);
    free(sampled);
}
END_TEST

/* Batch state records ("b") are kept in file order, with those added since; they are not
 * judgments (not loaded, not counted) and a reopen reads them back, a damaged one left out. */
START_TEST(journal_keeps_batch_state_records_in_order)
{
    cai_journal *j = NULL;
    cai_error err = {0};
    cai_jentry e;
    FILE *f;

    write_three();
    ck_assert_int_eq(cai_journal__open(&j, path, "fp1", NULL, &err), CAI_OK);
    ck_assert_int_eq(cai_journal__add_batch(j, "{\"ev\":\"sealed\",\"p\":0,\"n\":3}", &err),
                     CAI_OK);
    e = entry("p3", "harm", 0, 0.5);
    ck_assert_int_eq(cai_journal__add(j, &e, "p3", "harm", 0, 0, &err), CAI_OK);
    ck_assert_int_eq(cai_journal__add_batch(j, "{\"ev\":\"batch\",\"p\":0,\"id\":\"b1\"}", &err),
                     CAI_OK);
    ck_assert_uint_eq(cai_journal__batch_count(j), 2);
    ck_assert_str_eq(cai_journal__batch_record(j, 1),
                     "{\"t\":\"b\",\"ev\":\"batch\",\"p\":0,\"id\":\"b1\"}");
    ck_assert_uint_eq(cai_journal__count(j), 4);
    ck_assert_int_eq(cai_journal__sync(j, 1, &err), CAI_OK);
    cai_journal__free(j);
    f = fopen(path, "a"); /* a torn "b" record: cut, as any */
    fputs("{\"t\":\"b\",\"ev\":\"do", f);
    fclose(f);

    ck_assert_int_eq(cai_journal__open(&j, path, "fp1", NULL, &err), CAI_OK);
    ck_assert_uint_eq(cai_journal__loaded(j), 4);
    ck_assert_uint_eq(cai_journal__other(j), 0);
    ck_assert_uint_eq(cai_journal__batch_count(j), 2);
    ck_assert_str_eq(cai_journal__batch_record(j, 0),
                     "{\"t\":\"b\",\"ev\":\"sealed\",\"p\":0,\"n\":3}");
    ck_assert_str_eq(cai_journal__batch_record(j, 1),
                     "{\"t\":\"b\",\"ev\":\"batch\",\"p\":0,\"id\":\"b1\"}");
    ck_assert_ptr_null(cai_journal__batch_record(j, 2));
    ck_assert_uint_gt(cai_journal__repaired(j), 0);
    cai_journal__free(j);
}
END_TEST

/* A journal of a newer format is refused with the file's name and what to do. */
START_TEST(journal_of_a_newer_version_is_refused)
{
    const char *lines[1] = {"{\"cai_journal\":4,\"fingerprint\":\"fp1\",\"settings\":{}}"};
    cai_journal *j = NULL;
    cai_error err = {0};

    write_lines(lines, 1);
    ck_assert_int_eq(cai_journal__open(&j, path, "fp1", NULL, &err), CAI_EMISMATCH);
    ck_assert_ptr_null(j);
    ck_assert_ptr_nonnull(strstr(err.msg, path));
    ck_assert_ptr_nonnull(strstr(err.msg, "newer cai"));
}
END_TEST

START_TEST(journal_keys_distinguish_every_coordinate)
{
    uint64_t k = cai_journal__key("p", "x", 0, 0);

    ck_assert(k != cai_journal__key("p", "x", 1, 0));
    ck_assert(k != cai_journal__key("p", "x", 0, 1));
    ck_assert(k != cai_journal__key("p", "y", 0, 0));
    ck_assert(k != cai_journal__key("q", "x", 0, 0));
    ck_assert(k == cai_journal__key("p", "x", 0, 0));
}
END_TEST

START_TEST(journal_grows_past_its_initial_table)
{
    cai_journal *j = NULL;
    cai_error err = {0};
    char id[32];
    int i;

    ck_assert_int_eq(cai_journal__open(&j, path, "fp", NULL, &err), CAI_OK);
    for (i = 0; i < 5000; i++) {
        cai_jentry e;
        snprintf(id, sizeof(id), "pair%d", i);
        e = entry(id, "pr", 0, (double)i / 5000.0);
        ck_assert_int_eq(cai_journal__add(j, &e, id, "pr", 0, 0, &err), CAI_OK);
    }
    cai_journal__free(j);
    ck_assert_int_eq(cai_journal__open(&j, path, "fp", NULL, &err), CAI_OK);
    ck_assert_uint_eq(cai_journal__loaded(j), 5000);
    for (i = 0; i < 5000; i += 97) {
        const cai_jentry *e;
        snprintf(id, sizeof(id), "pair%d", i);
        e = cai_journal__find(j, cai_journal__key(id, "pr", 0, 0));
        ck_assert_ptr_nonnull(e);
        ck_assert(e->p_first == (double)i / 5000.0);
    }
    cai_journal__free(j);
}
END_TEST

START_TEST(journal_values_read_back_exactly)
{
    /* A replayed value must equal the fresh one bit for bit (a resumed run writes the same
     * bytes): the journal prints 17 significant digits, which every double survives. */
    double v[] = {0.1, 1.0 / 3.0, 0.999999999999, 5e-324, 0.5, 0.9252274150867679, 7.0};
    cai_journal *j = NULL;
    cai_error err = {0};
    char id[32];
    size_t i;

    ck_assert_int_eq(cai_journal__open(&j, path, "fp", NULL, &err), CAI_OK);
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        cai_jentry e;
        snprintf(id, sizeof(id), "v%zu", i);
        e = entry(id, "pr", 0, v[i]);
        ck_assert_int_eq(cai_journal__add(j, &e, id, "pr", 0, 0, &err), CAI_OK);
    }
    cai_journal__free(j);
    ck_assert_int_eq(cai_journal__open(&j, path, "fp", NULL, &err), CAI_OK);
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        const cai_jentry *e;
        snprintf(id, sizeof(id), "v%zu", i);
        e = cai_journal__find(j, cai_journal__key(id, "pr", 0, 0));
        ck_assert_ptr_nonnull(e);
        ck_assert_msg(memcmp(&e->p_first, &v[i], sizeof(double)) == 0, "%.17g read back as %.17g",
                      v[i], e->p_first);
    }
    cai_journal__free(j);
}
END_TEST

/* ---- header versions, damage and repair ------------------------------------------------- */

static void open_settings(const char *settings, int repair, cai_status want, cai_error *err)
{
    cai_journal_open_opts jo;
    cai_journal *j = NULL;
    char fp[65];

    memset(&jo, 0, sizeof(jo));
    cai_sha256_hex(settings, strlen(settings), fp);
    jo.fingerprint = fp;
    jo.settings_json = settings;
    jo.repair_header = repair;
    ck_assert_int_eq(cai_journal__open_ex(&j, path, &jo, err), want);
    cai_journal__free(j);
}

START_TEST(journal_mismatch_names_the_setting_that_differs)
{
    cai_error err = {0};

    open_settings("{\"model\":\"m\",\"prompt_template\":1}", 0, CAI_OK, &err);
    open_settings("{\"model\":\"m\",\"prompt_template\":2}", 0, CAI_EMISMATCH, &err);
    ck_assert_msg(strstr(err.msg, "prompt_template 1 -> 2") != NULL, "%s", err.msg);
    ck_assert_ptr_null(strstr(err.msg, "model"));
}
END_TEST

/* Writes a journal of three entries under settings, then flips one byte of its header. */
static void three_with_damaged_header(const char *settings)
{
    cai_journal_open_opts jo;
    cai_journal *j = NULL;
    cai_error err = {0};
    cai_jentry e;
    char fp[65], *text, *hit;
    size_t len;
    int i;

    memset(&jo, 0, sizeof(jo));
    cai_sha256_hex(settings, strlen(settings), fp);
    jo.fingerprint = fp;
    jo.settings_json = settings;
    ck_assert_int_eq(cai_journal__open_ex(&j, path, &jo, &err), CAI_OK);
    for (i = 0; i < 3; i++) {
        char id[8];
        snprintf(id, sizeof(id), "p%d", i);
        e = entry(id, "harm", 0, 0.25 * (i + 1));
        ck_assert_int_eq(cai_journal__add(j, &e, id, "harm", 0, 0, &err), CAI_OK);
    }
    cai_journal__free(j);
    text = tu_read_file(path, &len);
    hit = strstr(text, "fingerprint\":\"");
    ck_assert_ptr_nonnull(hit);
    hit[20] ^= 0x01; /* one flipped bit inside the stored fingerprint */
    ck_assert_int_eq(tu_write_file(path, text, len), 0);
    free(text);
}

START_TEST(journal_damaged_header_is_named_and_repaired)
{
    const char *settings = "{\"model\":\"m\",\"prompt_template\":1}";
    cai_journal_open_opts jo;
    cai_journal *j = NULL;
    cai_error err = {0};
    char fp[65], *text;
    size_t len;

    three_with_damaged_header(settings);
    open_settings(settings, 0, CAI_EPARSE, &err);
    ck_assert_msg(strstr(err.msg, "journal.cai:1: the journal header is damaged (CRC ") != NULL,
                  "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "1 byte(s) differ") != NULL, "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "Its 3 entries with intact CRCs") != NULL, "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "--repair-journal") != NULL, "%s", err.msg);
    /* nothing was changed by the refusal: the same error again */
    memset(&err, 0, sizeof(err));
    open_settings(settings, 0, CAI_EPARSE, &err);
    /* the repair keeps every intact entry and writes a valid header */
    memset(&jo, 0, sizeof(jo));
    cai_sha256_hex(settings, strlen(settings), fp);
    jo.fingerprint = fp;
    jo.settings_json = settings;
    jo.repair_header = 1;
    ck_assert_int_eq(cai_journal__open_ex(&j, path, &jo, &err), CAI_OK);
    ck_assert_uint_eq(cai_journal__loaded(j), 3);
    ck_assert(cai_journal__find(j, cai_journal__key("p2", "harm", 0, 0))->p_first == 0.75);
    cai_journal__free(j);
    open_settings(settings, 0, CAI_OK, &err);
    text = tu_read_file(path, &len);
    ck_assert_uint_eq(tu_count_lines(text), 4);
    free(text);
}
END_TEST

/* ---- runs over the journal: old headers, totals, accounting ----------------------------- */

static char *fx(const char *name)
{
    return tu_strdupf("%s/tests/data/journal/v1/%s", tu_source_dir(), name);
}

/* The options the v1 fixture was written with (tests/data/journal/README.md). */
static void fixture_opts(cai_run_opts *o, const char **in, const char *out, fake_llm *srv)
{
    cai_run_opts_init(o, CAI_RUN_OPTS_VERSION);
    o->inputs = in;
    o->n_inputs = 1;
    o->output_dir = out;
    o->test_fraction = 0;
    o->format = CAI_OUT_TRL; /* the fixture's format, the default when it was written */
    o->no_validate = 1;
    o->judge.backend = CAI_BACKEND_OPENAI;
    o->judge.base_url = fake_llm_url(srv);
    o->judge.model = "fake";
    o->judge.backoff_base_s = 0.001;
    o->judge.backoff_max_s = 0.01;
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

/* The fixture was judged with prompt template 1; template 2 (prefix caching) renders other
 * bytes, so the journal is refused with the reason, nothing is sent and nothing is mixed. */
START_TEST(journal_of_an_older_prompt_template_is_refused_not_mixed)
{
    char *input = fx("input.jsonl"), *cons = fx("constitution.json"), *jsrc = fx("journal.cai");
    char *out = tu_strdupf("%s/out", dir), *jdst = tu_strdupf("%s/out/journal.cai", dir), *text;
    char *after;
    const char *in[] = {input};
    fake_llm *srv = fake_llm_start(NULL);
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};
    size_t len, len2;

    ck_assert_int_eq(CAI_PROMPT_TEMPLATE_VERSION, 2);
    ck_assert_int_eq(mkdir(out, 0755), 0);
    text = tu_read_file(jsrc, &len);
    ck_assert_int_eq(tu_write_file(jdst, text, len), 0);
    fixture_opts(&o, in, out, srv);
    o.constitution = cons;
    ck_assert_int_eq(run_job(&o, &s, &err), CAI_EMISMATCH);
    ck_assert_msg(strstr(err.msg, "prompt_template 1 -> 2") != NULL, "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "new --output") != NULL, "%s", err.msg);
    ck_assert_uint_eq(fake_llm_requests(srv), 0);
    after = tu_read_file(jdst, &len2);
    ck_assert_uint_eq(len2, len);
    ck_assert(memcmp(after, text, len) == 0); /* the old journal is left as it was */
    fake_llm_stop(srv);
    free(after);
    free(text);
    free(input);
    free(cons);
    free(jsrc);
    free(out);
    free(jdst);
}
END_TEST

START_TEST(journal_v1_is_refused_when_a_resolved_setting_differs)
{
    char *input = fx("input.jsonl"), *cons = fx("constitution.json"), *jsrc = fx("journal.cai");
    char *out = tu_strdupf("%s/out", dir), *jdst = tu_strdupf("%s/out/journal.cai", dir), *text;
    const char *in[] = {input};
    fake_llm *srv = fake_llm_start(NULL);
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};
    size_t len;

    ck_assert_int_eq(mkdir(out, 0755), 0);
    text = tu_read_file(jsrc, &len);
    ck_assert_int_eq(tu_write_file(jdst, text, len), 0);
    free(text);
    fixture_opts(&o, in, out, srv);
    o.constitution = cons;
    o.judge.top_logprobs = 5; /* the fixture was judged with the default, 10 */
    ck_assert_int_eq(run_job(&o, &s, &err), CAI_EMISMATCH);
    ck_assert_msg(strstr(err.msg, "top_logprobs 10 -> 5") != NULL, "%s", err.msg);
    /* an explicit 10 is what the default was: only the prompt template (1 -> 2) differs now */
    memset(&err, 0, sizeof(err));
    o.judge.top_logprobs = 10;
    ck_assert_int_eq(run_job(&o, &s, &err), CAI_EMISMATCH);
    ck_assert_msg(strstr(err.msg, "top_logprobs") == NULL, "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "prompt_template 1 -> 2") != NULL, "%s", err.msg);
    ck_assert_uint_eq(fake_llm_requests(srv), 0);
    fake_llm_stop(srv);
    free(input);
    free(cons);
    free(jsrc);
    free(out);
    free(jdst);
}
END_TEST

START_TEST(run_records_resolved_settings_sources_and_truncation)
{
    char *samples = tu_strdupf("%s/datasets/samples/pairs.jsonl", tu_source_dir());
    char *hhh = tu_strdupf("%s/constitution/hhh.json", tu_source_dir());
    char *out = tu_strdupf("%s/out", dir), *manifest, *jtext;
    const char *in[] = {samples};
    fake_llm *srv = fake_llm_start(NULL);
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};
    cJSON *m, *st, *jb;

    fixture_opts(&o, in, out, srv);
    o.constitution = hhh;
    o.limit = 8;
    o.judge.concurrency = 1; /* the scripted faults land on the first requests */
    fake_llm_push_fault(srv, FAKE_NO_LOGPROBS, 3);
    fake_llm_set_context(srv, 40); /* every prompt here is > 200 tokens: all cut */
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_int_eq(s.logprobs_requested, 1);
    ck_assert_uint_eq(s.judgments_from_text, 3);
    ck_assert_uint_eq(s.judgments_from_logprobs, 13);
    ck_assert_uint_eq(s.judgments_truncated, 16);
    {
        /* a judge-health warning, so the run is never called clean over cut prompts */
        size_t i, found = 0;
        for (i = 0; i < s.health_report.n; i++)
            found += strcmp(s.health_report.f[i].code, "judge_truncated_prompts") == 0 &&
                     s.health_report.f[i].severity == CAI_HEALTH_WARNING;
        ck_assert_uint_eq(found, 1);
    }
    /* every pair read is accounted for */
    ck_assert_uint_eq(s.pairs_read, 8);
    ck_assert_uint_eq(s.pairs_kept + s.ties + s.failed + s.unjudgeable, s.pairs_read);
    manifest = tu_read_in(out, "manifest.json");
    m = cJSON_Parse(manifest);
    st = cJSON_GetObjectItem(m, "statistics");
    jb = cJSON_GetObjectItem(m, "judge");
    ck_assert_int_eq(cJSON_GetObjectItem(st, "judgments_from_text")->valueint, 3);
    ck_assert_int_eq(cJSON_GetObjectItem(st, "judgments_from_logprobs")->valueint, 13);
    ck_assert_int_eq(cJSON_GetObjectItem(st, "judgments_truncated")->valueint, 16);
    /* resolved defaults, not the "use the default" zeros */
    ck_assert_int_eq(cJSON_GetObjectItem(jb, "top_logprobs")->valueint, 10);
    ck_assert_int_eq(cJSON_GetObjectItem(jb, "max_tokens")->valueint, 1);
    ck_assert_int_eq(cJSON_GetObjectItem(jb, "timeout_s")->valueint, 60);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(jb, "logprobs_requested")));
    cJSON_Delete(m);
    jtext = tu_read_in(out, "journal.cai");
    ck_assert_ptr_nonnull(strstr(jtext, "{\"cai_journal\":3,"));
    ck_assert_ptr_nonnull(strstr(jtext, "\n{\"t\":\"j\",\"k\":\"")); /* records carry their kind */
    ck_assert_ptr_nonnull(strstr(jtext, "\"top_logprobs\":10,\"max_tokens\":1,"));
    ck_assert_ptr_nonnull(strstr(jtext, "\"prompt_template\":2"));
    ck_assert_ptr_nonnull(strstr(jtext, "\"timeout_s\":60"));
    /* a full replay reports the same sources, truncations and tokens */
    {
        cai_run_summary s2;
        fake_llm_set_context(srv, 0);
        ck_assert_msg(run_job(&o, &s2, &err) == CAI_OK, "%s", err.msg);
        ck_assert_uint_eq(s2.judgments_sent, 0);
        ck_assert_uint_eq(s2.judgments_from_text, 3);
        ck_assert_uint_eq(s2.judgments_truncated, 16);
        ck_assert_uint_eq(s2.prompt_tokens, s.prompt_tokens);
        ck_assert_uint_eq(s2.completion_tokens, s.completion_tokens);
    }
    fake_llm_stop(srv);
    free(jtext);
    free(manifest);
    free(samples);
    free(hhh);
    free(out);
}
END_TEST

/* A reasoning model cai does not know by name: the first 400 switches the parameters, every
 * verdict then comes from the text on purpose, and reasoning tokens are counted. */
static void reasoning_run(const char *model, size_t max_refused)
{
    char *samples = tu_strdupf("%s/datasets/samples/pairs.jsonl", tu_source_dir());
    char *hhh = tu_strdupf("%s/constitution/hhh.json", tu_source_dir());
    char *out = tu_strdupf("%s/out", dir), *body;
    const char *in[] = {samples};
    fake_llm *srv = fake_llm_start(NULL);
    cai_run_opts o;
    cai_run_summary s;
    cai_error err = {0};

    fixture_opts(&o, in, out, srv);
    o.constitution = hhh;
    o.limit = 4;
    o.judge.model = model;
    o.judge.concurrency = 1;
    fake_llm_set_reasoning(srv, 1);
    ck_assert_msg(run_job(&o, &s, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(s.judgments_failed, 0);
    ck_assert_uint_eq(s.judgments_from_text, 8);
    ck_assert_uint_eq(s.judgments_from_logprobs, 0);
    ck_assert_int_eq(s.logprobs_requested, 0); /* text by design, not a fallback */
    ck_assert_uint_eq(s.reasoning_tokens, 8 * 100);
    ck_assert_uint_ge(s.completion_tokens, 8 * 100);
    /* refused: the first body, and those already sent before its reply was read (at most one
     * per slot of --concurrency 1); every judgment answered once */
    ck_assert_uint_le(fake_llm_count_status(srv, 400), max_refused);
    ck_assert_uint_eq(fake_llm_successes(srv), 8);
    ck_assert_uint_eq(fake_llm_requests(srv), 8 + fake_llm_count_status(srv, 400));
    body = fake_llm_request_body(srv, fake_llm_requests(srv) - 1);
    ck_assert_ptr_nonnull(strstr(body, "\"max_completion_tokens\":4096"));
    ck_assert_ptr_null(strstr(body, "temperature"));
    free(body);
    fake_llm_stop(srv);
    free(samples);
    free(hhh);
    free(out);
}

START_TEST(run_switches_to_reasoning_parameters_when_the_server_asks)
{
    reasoning_run("my-reasoner", 1 + 1);
}
END_TEST

START_TEST(run_knows_reasoning_models_by_name)
{
    reasoning_run("o3-mini", 0);
}
END_TEST

static void run_setup(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    setup();
}

static void run_teardown(void)
{
    teardown();
    curl_global_cleanup();
}

Suite *journal_suite(void)
{
    Suite *s = suite_create("journal");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, journal_replays_entries_with_exact_values);
    tcase_add_test(tc, journal_judgment_lines_keep_cjson_bytes);
    tcase_add_test(tc, journal_refuses_a_different_fingerprint);
    tcase_add_test(tc, journal_cuts_a_torn_tail_and_keeps_appending);
    tcase_add_test(tc, journal_skips_a_corrupt_record_in_the_middle);
    tcase_add_test(tc, journal_v2_resumes_and_its_records_are_judgments);
    tcase_add_test(tc, journal_skips_records_of_other_kinds);
    tcase_add_test(tc, journal_keeps_batch_state_records_in_order);
    tcase_add_test(tc, journal_of_a_newer_version_is_refused);
    tcase_add_test(tc, journal_keys_distinguish_every_coordinate);
    tcase_add_test(tc, journal_grows_past_its_initial_table);
    tcase_add_test(tc, journal_values_read_back_exactly);
    tcase_add_test(tc, journal_mismatch_names_the_setting_that_differs);
    tcase_add_test(tc, journal_damaged_header_is_named_and_repaired);
    suite_add_tcase(s, tc);
    tc = tcase_create("resume");
    tcase_add_checked_fixture(tc, run_setup, run_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, journal_of_an_older_prompt_template_is_refused_not_mixed);
    tcase_add_test(tc, journal_v1_is_refused_when_a_resolved_setting_differs);
    tcase_add_test(tc, run_records_resolved_settings_sources_and_truncation);
    tcase_add_test(tc, run_switches_to_reasoning_parameters_when_the_server_asks);
    tcase_add_test(tc, run_knows_reasoning_models_by_name);
    suite_add_tcase(s, tc);
    return s;
}

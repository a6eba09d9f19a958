/* SPDX-License-Identifier: MIT */
/* Tests for cai_validate: each finding's kind and FILE:LINE on crafted defective files, the real
 * HH-RLHF sample, manifests, gzip damage, leakage, duplicates and bias tests. */
#include "testutil.h"
#include "validate_int.h"

#include <cai.h>
#include "hash_int.h"
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

Suite *validate_suite(void);

/* ---- helpers ---------------------------------------------------------------------------- */

static cai_report *validate_paths(const char *const *paths, size_t n, const cai_validate_opts *o)
{
    cai_report *r = NULL;
    cai_error err = {0};
    cai_status st = cai_validate(&r, paths, n, o, &err);

    ck_assert_msg(st == CAI_OK, "cai_validate: %s (%s)", cai_strerror(st), err.msg);
    ck_assert_ptr_nonnull(r);
    return r;
}

static cai_report *validate_one(const char *path, const cai_validate_opts *o)
{
    return validate_paths(&path, 1, o);
}

static void mkdir_p(const char *path)
{
    char *cmd = tu_strdupf("mkdir -p '%s'", path);

    ck_assert_int_eq(tu_run(cmd, NULL), 0);
    free(cmd);
}

static char *data_path(const char *name)
{
    return tu_strdupf("%s/tests/data/validate/%s", tu_source_dir(), name);
}

typedef struct lk {
    unsigned long long line;
    char kind[64];
} lk;

static int cmp_lk(const void *a, const void *b)
{
    const lk *x = a, *y = b;

    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return strcmp(x->kind, y->kind);
}

/* "LINE KIND" lines of every kept finding, sorted; all findings must be kept. */
static char *findings_list(const cai_report *r)
{
    size_t n = cai_report_nfindings(r), i, len = 0;
    lk *v = calloc(n + 1, sizeof(*v));
    char *out;

    ck_assert_uint_eq(n, cai_report_errors(r) + cai_report_warnings(r));
    for (i = 0; i < n; i++) {
        const cai_finding *f = cai_report_finding(r, i);
        v[i].line = (unsigned long long)f->line;
        snprintf(v[i].kind, sizeof(v[i].kind), "%s", f->kind);
    }
    qsort(v, n, sizeof(*v), cmp_lk);
    out = calloc(n * 80 + 1, 1);
    for (i = 0; i < n; i++)
        len += (size_t)sprintf(out + len, "%llu %s\n", v[i].line, v[i].kind);
    free(v);
    return out;
}

/* The same, from an .expect file ("LINE KIND" per line, any order). */
static char *expect_list(const char *path)
{
    char *text = tu_read_file(path, NULL), *line, *save = NULL, *out;
    lk v[256];
    size_t n = 0, i, len = 0;

    ck_assert_msg(text != NULL, "cannot read %s", path);
    for (line = strtok_r(text, "\n", &save); line && n < 256; line = strtok_r(NULL, "\n", &save)) {
        ck_assert_int_eq(sscanf(line, "%llu %63s", &v[n].line, v[n].kind), 2);
        n++;
    }
    qsort(v, n, sizeof(*v), cmp_lk);
    out = calloc(n * 80 + 1, 1);
    for (i = 0; i < n; i++)
        len += (size_t)sprintf(out + len, "%llu %s\n", v[i].line, v[i].kind);
    free(text);
    return out;
}

static const cai_finding *find_kind(const cai_report *r, const char *kind, size_t nth)
{
    size_t i;

    for (i = 0; i < cai_report_nfindings(r); i++) {
        const cai_finding *f = cai_report_finding(r, i);
        if (strcmp(f->kind, kind) == 0 && nth-- == 0)
            return f;
    }
    return NULL;
}

/* ---- crafted defective files (data-driven) ---------------------------------------------- */

static const char *const cases[] = {
    "trl_good",         "trl_defects",       "conversational_defects",
    "hh_defects",       "pairs_defects",     "candidates_defects",
    "duplicates",       "candidates_sample", "sft_defects",
    "messages_defects",
};

START_TEST(validate_reports_each_defect_with_its_line)
{
    char *name = tu_strdupf("%s.jsonl", cases[_i]), *path = data_path(name);
    char *expect_name = tu_strdupf("%s.expect", cases[_i]), *expect_path = data_path(expect_name);
    cai_validate_opts o = CAI_VALIDATE_OPTS_INIT;
    cai_report *r;
    char *got, *want;
    size_t i;

    o.max_examples = 1000;
    r = validate_one(path, &o);
    got = findings_list(r);
    want = expect_list(expect_path);
    ck_assert_msg(strcmp(got, want) == 0, "%s:\ngot:\n%swant:\n%s", cases[_i], got, want);
    for (i = 0; i < cai_report_nfindings(r); i++)
        ck_assert_str_eq(cai_report_finding(r, i)->file, path);
    ck_assert_int_eq(cai_report_failed(r), cai_report_errors(r) > 0);
    free(got);
    free(want);
    cai_report_free(r);
    free(name);
    free(path);
    free(expect_name);
    free(expect_path);
}
END_TEST

START_TEST(validate_detects_the_format_of_each_file)
{
    static const char *const want[][2] = {{"trl_good.jsonl", "trl"},
                                          {"conversational_defects.jsonl", "conversational"},
                                          {"hh_defects.jsonl", "hh"},
                                          {"pairs_defects.jsonl", "pairs"},
                                          {"candidates_defects.jsonl", "candidates"},
                                          {"sft_defects.jsonl", "sft"},
                                          {"messages_defects.jsonl", "messages"}};
    size_t i;

    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        char *path = data_path(want[i][0]), *json, *needle;
        cai_report *r = validate_one(path, NULL);

        json = cai_report_json(r);
        needle = tu_strdupf("\"format\":\"%s\"", want[i][1]);
        ck_assert_msg(strstr(json, needle) != NULL, "%s: %s", want[i][0], json);
        free(needle);
        free(json);
        cai_report_free(r);
        free(path);
    }
}
END_TEST

/* The reader (cai run) sees SFT lines by the scanner's rule, and refuses them by name. */
START_TEST(reader_refuses_sft_records_that_validate_detects)
{
    static const char *const files[][2] = {{"sft_defects.jsonl", "(prompt/completion)"},
                                           {"messages_defects.jsonl", "(messages)"}};
    size_t i;

    for (i = 0; i < 2; i++) {
        char *path = data_path(files[i][0]),
             *want = tu_strdupf("%s:1: an SFT record %s", path, files[i][1]);
        cai_reader *rd = NULL;
        const cai_record *rec;
        cai_error err = {0};

        ck_assert_int_eq(cai_reader_create(&rd, path, NULL, &err), CAI_OK);
        ck_assert_int_eq(cai_reader_next(rd, &rec, &err), CAI_ESCHEMA);
        ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
        cai_reader_free(rd);
        free(want);
        free(path);
    }
    ck_assert_int_eq(cai_format_parse("sft"), CAI_FORMAT_SFT);
    ck_assert_int_eq(cai_format_parse("messages"), CAI_FORMAT_MESSAGES);
}
END_TEST

START_TEST(validate_forced_format_overrides_detection)
{
    char *path = data_path("trl_good.jsonl");
    cai_validate_opts o = CAI_VALIDATE_OPTS_INIT;
    cai_report *r;

    o.format = CAI_FORMAT_HH;
    r = validate_one(path, &o);
    /* trl strings are not transcripts: every line is a malformed hh record. */
    ck_assert_uint_eq(cai_report_count(r, "roles"), 6);
    ck_assert_uint_eq(cai_report_count(r, "no_records"), 1); /* not one usable record */
    ck_assert_uint_eq(cai_report_errors(r), 7);
    cai_report_free(r);
    free(path);
}
END_TEST

/* ---- the real HH-RLHF sample ------------------------------------------------------------ */

/*
 * Expected values computed independently with Python (zcat | json.loads): the final replies at
 * lines 87, 517 and 926 of the chosen transcripts are " "; lines 668 and 764 hold two Assistant
 * turns in a row (in both transcripts); contexts always agree; no prompt or pair repeats, even
 * after case and whitespace normalisation; the chosen reply is the longer one in 444 of the 993
 * pairs of unequal length (7 ties): 44.7%, exact two-sided binomial p = 0.000956 < 0.001.
 */
START_TEST(validate_hh_sample_reports_exactly_its_real_defects)
{
    char *path = strdup(tu_hh_sample());
    cai_validate_opts o = CAI_VALIDATE_OPTS_INIT;
    cai_report *r;
    const cai_finding *f;
    char *got;

    o.format = CAI_FORMAT_HH;
    o.max_examples = 100;
    r = validate_one(path, &o);
    got = findings_list(r);
    ck_assert_str_eq(got, "0 length_bias\n"
                          "87 empty_chosen\n"
                          "517 empty_chosen\n"
                          "668 roles_not_alternating\n"
                          "764 roles_not_alternating\n"
                          "926 empty_chosen\n");
    ck_assert_uint_eq(cai_report_errors(r), 3);
    ck_assert_uint_eq(cai_report_warnings(r), 3);
    ck_assert_uint_eq(cai_report_records(r), 1000);
    f = find_kind(r, "empty_chosen", 0);
    ck_assert_str_eq(f->file, path);
    ck_assert_int_eq(f->warning, 0);
    f = find_kind(r, "length_bias", 0);
    ck_assert_int_eq(f->warning, 1);
    ck_assert_str_eq(f->file, path);
    ck_assert_msg(strstr(f->message, "44.7% of 993 pairs") && strstr(f->message, "7 ties") &&
                      strstr(f->message, "p = 0.00096"),
                  "%s", f->message);
    free(got);
    cai_report_free(r);
    free(path);
}
END_TEST

/* ---- damaged bytes ---------------------------------------------------------------------- */

static const char three_records[] =
    "{\"prompt\":\"Q1\\n\",\"chosen\":\"A1 is a longer answer\",\"rejected\":\"B1\"}\n"
    "{\"prompt\":\"Q2\\n\",\"chosen\":\"A2\",\"rejected\":\"B2 is a longer answer\"}\n"
    "{\"prompt\":\"Q3\\n\",\"chosen\":\"A3 middle\",\"rejected\":\"B3 mid\"}\n";

START_TEST(validate_reports_invalid_utf8_and_nul_and_goes_on)
{
    char *dir = tu_mkdtemp("validate"), *path = tu_strdupf("%s/bytes.jsonl", dir);
    static const char data[] = "{\"prompt\":\"Q1\\n\",\"chosen\":\"A\",\"rejected\":\"B\"}\n"
                               "{\"prompt\":\"Q2\\n\",\"chosen\":\"\xff\xfe\",\"rejected\":\"B\"}\n"
                               "{\"prompt\":\"Q3\\n\",\"chosen\":\"A\0\",\"rejected\":\"B\"}\n"
                               "{\"prompt\":\"Q4\\n\",\"chosen\":\"same\",\"rejected\":\"same\"}\n";
    cai_report *r;

    ck_assert_int_eq(tu_write_file(path, data, sizeof(data) - 1), 0);
    r = validate_one(path, NULL);
    {
        char *got = findings_list(r);
        ck_assert_str_eq(got, "2 utf8\n3 nul\n4 identical\n");
        free(got);
    }
    ck_assert_uint_eq(cai_report_records(r), 4);
    cai_report_free(r);
    tu_rmtree(dir);
    free(path);
    free(dir);
}
END_TEST

START_TEST(validate_catches_gzip_damage)
{
    char *dir = tu_mkdtemp("validate"), *path = tu_strdupf("%s/d.jsonl.gz", dir);
    cai_report *r;
    char *gz;
    size_t len;
    FILE *f;

    ck_assert_int_eq(tu_write_gz(path, three_records, strlen(three_records)), 0);
    r = validate_one(path, NULL);
    ck_assert_uint_eq(cai_report_errors(r), 0);
    cai_report_free(r);

    /* A flipped byte in the CRC-32 of the trailer: every line decodes, the check fails. */
    f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    gz = malloc(4096);
    len = fread(gz, 1, 4096, f);
    fclose(f);
    gz[len - 8] ^= 0x01;
    ck_assert_int_eq(tu_write_file(path, gz, len), 0);
    r = validate_one(path, NULL);
    ck_assert_uint_eq(cai_report_count(r, "gzip"), 1);
    /* the only chunk failed its check, so no record was read: a dataset of 0 records */
    ck_assert_uint_eq(cai_report_count(r, "no_records"), 1);
    ck_assert_uint_eq(cai_report_errors(r), 2);
    /* The line where the stream failed: zlib checks the CRC when it decodes the end, which in a
     * file this small is the first and only chunk. */
    ck_assert_uint_le(find_kind(r, "gzip", 0)->line, 4);
    ck_assert_str_eq(find_kind(r, "gzip", 0)->file, path);
    ck_assert_ptr_nonnull(strstr(find_kind(r, "gzip", 0)->message, "gzip"));
    cai_report_free(r);

    /* Truncated: the end of the member is missing. */
    gz[len - 8] ^= 0x01;
    ck_assert_int_eq(tu_write_file(path, gz, len - 12), 0);
    r = validate_one(path, NULL);
    ck_assert_uint_eq(cai_report_count(r, "gzip"), 1);
    cai_report_free(r);
    free(gz);
    tu_rmtree(dir);
    free(path);
    free(dir);
}
END_TEST

/* ---- manifests -------------------------------------------------------------------------- */

/* A dataset as `cai run` writes it: data/ shards and a manifest that lists them. */
static char *make_dataset(const char *train, const char *test, long records_delta)
{
    char *dir = tu_mkdtemp("dataset"), *data = tu_strdupf("%s/data", dir);
    char *tr = tu_strdupf("%s/data/train-00000-of-00001.jsonl.gz", dir);
    char *te = tu_strdupf("%s/data/test-00000-of-00001.jsonl.gz", dir);
    char *mpath = tu_strdupf("%s/manifest.json", dir), hex1[65], hex2[65], *m;
    uint64_t b1, b2;
    cai_error err = {0};

    mkdir_p(data);
    ck_assert_int_eq(tu_write_gz(tr, train, strlen(train)), 0);
    ck_assert_int_eq(tu_write_gz(te, test, strlen(test)), 0);
    ck_assert_int_eq(cai_sha256_file(tr, hex1, &b1, &err), CAI_OK);
    ck_assert_int_eq(cai_sha256_file(te, hex2, &b2, &err), CAI_OK);
    m = tu_strdupf("{\"tool\":\"cai\",\"files\":["
                   "{\"path\":\"data/train-00000-of-00001.jsonl.gz\",\"split\":\"train\","
                   "\"sha256\":\"%s\",\"records\":%ld,\"bytes\":%llu},"
                   "{\"path\":\"data/test-00000-of-00001.jsonl.gz\",\"split\":\"test\","
                   "\"sha256\":\"%s\",\"records\":%ld,\"bytes\":%llu}]}\n",
                   hex1, (long)tu_count_lines(train) + records_delta, (unsigned long long)b1, hex2,
                   (long)tu_count_lines(test), (unsigned long long)b2);
    ck_assert_int_eq(tu_write_file(mpath, m, strlen(m)), 0);
    free(m);
    free(mpath);
    free(tr);
    free(te);
    free(data);
    return dir;
}

static const char test_records[] =
    "{\"prompt\":\"T1\\n\",\"chosen\":\"x longer\",\"rejected\":\"y\"}\n"
    "{\"prompt\":\"T2\\n\",\"chosen\":\"x\",\"rejected\":\"y longer\"}\n";

START_TEST(validate_manifest_clean_dataset_passes)
{
    char *dir = make_dataset(three_records, test_records, 0);
    cai_report *r = validate_one(dir, NULL);
    char *text = cai_report_text(r);

    ck_assert_msg(cai_report_errors(r) == 0 && cai_report_warnings(r) == 0, "%s", text);
    ck_assert_uint_eq(cai_report_records(r), 5);
    ck_assert_ptr_nonnull(strstr(text, "verdict: PASS: no findings in 5 records\n"));
    free(text);
    cai_report_free(r);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(validate_manifest_flipped_byte_gives_crc_and_sha256_errors)
{
    char *dir = make_dataset(three_records, test_records, 0);
    char *tr = tu_strdupf("%s/data/train-00000-of-00001.jsonl.gz", dir), *gz;
    cai_report *r;
    size_t len;

    {
        FILE *f = fopen(tr, "rb");
        gz = malloc(4096);
        len = fread(gz, 1, 4096, f);
        fclose(f);
    }
    gz[len - 6] ^= 0x40; /* inside the CRC-32 */
    ck_assert_int_eq(tu_write_file(tr, gz, len), 0);
    r = validate_one(dir, NULL);
    ck_assert_uint_eq(cai_report_count(r, "gzip"), 1);
    ck_assert_uint_eq(cai_report_count(r, "sha256_mismatch"), 1);
    ck_assert_uint_eq(cai_report_errors(r), 2);
    ck_assert_str_eq(find_kind(r, "sha256_mismatch", 0)->file, tr);
    ck_assert_uint_eq(find_kind(r, "sha256_mismatch", 0)->line, 0);
    ck_assert_str_eq(find_kind(r, "gzip", 0)->file, tr);
    free(gz);
    cai_report_free(r);
    tu_rmtree(dir);
    free(tr);
    free(dir);
}
END_TEST

START_TEST(validate_manifest_missing_unlisted_and_count_mismatch)
{
    char *dir = make_dataset(three_records, test_records, 1);
    char *te = tu_strdupf("%s/data/test-00000-of-00001.jsonl.gz", dir);
    char *extra = tu_strdupf("%s/data/train-extra.jsonl", dir);
    cai_report *r;

    ck_assert_int_eq(remove(te), 0);
    ck_assert_int_eq(tu_write_file(extra, test_records, strlen(test_records)), 0);
    r = validate_one(dir, NULL);
    ck_assert_uint_eq(cai_report_count(r, "missing_file"), 1);
    ck_assert_str_eq(find_kind(r, "missing_file", 0)->file, te);
    ck_assert_uint_eq(cai_report_count(r, "unlisted_file"), 1);
    ck_assert_str_eq(find_kind(r, "unlisted_file", 0)->file, extra);
    ck_assert_uint_eq(cai_report_count(r, "records_mismatch"), 1); /* the manifest says 4 */
    ck_assert_ptr_nonnull(strstr(find_kind(r, "records_mismatch", 0)->message, "4 records"));
    ck_assert_uint_eq(cai_report_errors(r), 3);
    cai_report_free(r);

    /* A changed size is reported as such (and changes the SHA-256 too). */
    ck_assert_int_eq(remove(extra), 0);
    ck_assert_int_eq(tu_write_gz(te, test_records, strlen(test_records)), 0);
    {
        char *tr = tu_strdupf("%s/data/train-00000-of-00001.jsonl.gz", dir);
        ck_assert_int_eq(tu_write_gz(tr, test_records, strlen(test_records)), 0);
        free(tr);
    }
    r = validate_one(dir, NULL);
    ck_assert_uint_eq(cai_report_count(r, "bytes_mismatch"), 1);
    ck_assert_uint_eq(cai_report_count(r, "sha256_mismatch"), 1);
    ck_assert_uint_eq(cai_report_count(r, "records_mismatch"), 1);
    cai_report_free(r);
    tu_rmtree(dir);
    free(te);
    free(extra);
    free(dir);
}
END_TEST

/* Each file is read once, whatever names reach it: a second reading would double the record
 * count and call every record a duplicate of itself (found by fuzz_validate). */
START_TEST(validate_reads_a_file_once_under_any_name)
{
    char *dir = make_dataset(three_records, test_records, 0);
    char *mpath = tu_strdupf("%s/manifest.json", dir), *m, *got;
    char *tr = tu_strdupf("%s/data/train-00000-of-00001.jsonl.gz", dir);
    char *link = tu_strdupf("%s/data/train-link.jsonl.gz", dir);
    cai_report *r;

    /* The manifest lists the test shard twice, the second time as "./data//...". */
    {
        char *orig = tu_read_file(mpath, NULL), *end = strstr(orig, "]}");

        ck_assert_ptr_nonnull(end);
        m = tu_strdupf("%.*s,{\"path\":\"./data//test-00000-of-00001.jsonl.gz\"}]}\n",
                       (int)(end - orig), orig);
        free(orig);
    }
    ck_assert_int_eq(tu_write_file(mpath, m, strlen(m)), 0);
    ck_assert_int_eq(symlink("train-00000-of-00001.jsonl.gz", link), 0); /* unlisted, same file */
    r = validate_one(dir, NULL);
    got = findings_list(r);
    ck_assert_str_eq(got, "0 manifest\n"); /* line 0: about the whole file */
    ck_assert_str_eq(find_kind(r, "manifest", 0)->file, mpath);
    ck_assert_msg(strstr(find_kind(r, "manifest", 0)->message,
                         "files[2]: \"./data//test-00000-of-00001.jsonl.gz\" names a file an "
                         "earlier entry lists") != NULL,
                  "%s", find_kind(r, "manifest", 0)->message);
    ck_assert_uint_eq(cai_report_records(r), 5);
    free(got);
    cai_report_free(r);

    /* A file named twice, or named and then reached through its directory. */
    {
        const char *paths[3] = {tr, tr, dir};
        r = validate_paths(paths, 3, NULL);
        ck_assert_uint_eq(cai_report_count(r, "duplicate_pair"), 0);
        ck_assert_uint_eq(cai_report_count(r, "duplicate_prompt"), 0);
        ck_assert_uint_eq(cai_report_records(r), 5);
        ck_assert_uint_eq(cai_report_count(r, "manifest"), 1);
        cai_report_free(r);
    }
    free(m);
    free(link);
    free(tr);
    free(mpath);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

/* ---- splits and leakage ----------------------------------------------------------------- */

START_TEST(validate_reports_prompt_leaked_between_splits)
{
    char *dir = data_path("leak");
    char *train = tu_strdupf("%s/train.jsonl", dir), *test = tu_strdupf("%s/test.jsonl", dir);
    cai_report *r = validate_one(dir, NULL);
    const cai_finding *f;
    char *got = findings_list(r);

    /* Files are read in name order: test.jsonl first, so the train record is the second sight. */
    ck_assert_str_eq(got, "1 leak\n");
    f = find_kind(r, "leak", 0);
    ck_assert_str_eq(f->file, train);
    ck_assert_int_eq(f->warning, 0);
    ck_assert_msg(strstr(f->message, "test split") && strstr(f->message, test) &&
                      strstr(f->message, ":2"),
                  "%s", f->message);
    free(got);
    cai_report_free(r);

    /* Given as files, the splits still come from the names. */
    {
        const char *paths[2] = {train, test};
        r = validate_paths(paths, 2, NULL);
        got = findings_list(r);
        ck_assert_str_eq(got, "2 leak\n");
        ck_assert_str_eq(find_kind(r, "leak", 0)->file, test);
        free(got);
        cai_report_free(r);
    }
    free(train);
    free(test);
    free(dir);
}
END_TEST

START_TEST(validate_directory_without_manifest_finds_nested_shards)
{
    char *dir = tu_mkdtemp("validate"), *sub = tu_strdupf("%s/data/more", dir);
    char *a = tu_strdupf("%s/data/train-00000-of-00002.jsonl", dir);
    char *b = tu_strdupf("%s/data/more/train-00001-of-00002.jsonl.gz", dir);
    char *c = tu_strdupf("%s/data/notes.txt", dir), *json;
    cai_report *r;

    mkdir_p(sub);
    ck_assert_int_eq(tu_write_file(a, three_records, strlen(three_records)), 0);
    ck_assert_int_eq(tu_write_gz(b, three_records, strlen(three_records)), 0);
    ck_assert_int_eq(tu_write_file(c, "not data", 8), 0);
    r = validate_one(dir, NULL);
    ck_assert_uint_eq(cai_report_records(r), 6);
    /* The same three pairs in two train shards: duplicates, not leakage. Paths are read in
     * name order, so data/more/ comes first. */
    ck_assert_uint_eq(cai_report_count(r, "duplicate_pair"), 3);
    ck_assert_uint_eq(cai_report_errors(r), 0);
    ck_assert_str_eq(find_kind(r, "duplicate_pair", 0)->file, a);
    ck_assert_ptr_nonnull(strstr(find_kind(r, "duplicate_pair", 0)->message, b));
    json = cai_report_json(r);
    ck_assert_ptr_nonnull(strstr(json, "\"split\":\"train\""));
    free(json);
    cai_report_free(r);
    tu_rmtree(dir);
    free(a);
    free(b);
    free(c);
    free(sub);
    free(dir);
}
END_TEST

START_TEST(validate_unreadable_path_is_an_error_status)
{
    const char *path = "/nonexistent/cai/validate.jsonl";
    cai_report *r = (cai_report *)1;
    cai_error err = {0};

    ck_assert_int_eq(cai_validate(&r, &path, 1, NULL, &err), CAI_EIO);
    ck_assert_ptr_null(r);
    ck_assert_ptr_nonnull(strstr(err.msg, path));
}
END_TEST

/* ---- lengths and biases ----------------------------------------------------------------- */

/* Writes n trl records; fn fills each line. */
static char *write_generated(const char *dir, const char *name, size_t n, char *(*fn)(size_t i))
{
    char *path = tu_strdupf("%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    size_t i;

    ck_assert_ptr_nonnull(f);
    for (i = 0; i < n; i++) {
        char *line = fn(i);
        fprintf(f, "%s\n", line);
        free(line);
    }
    fclose(f);
    return path;
}

/* 40 pairs: chosen in position A 36 times, always the longer one. */
static char *biased_line(size_t i)
{
    return tu_strdupf(
        "{\"prompt\":\"question %zu\\n\",\"chosen\":\"a long and helpful answer %zu\","
        "\"rejected\":\"no %zu\",\"p_chosen\":0.8,\"cai\":{\"chosen_position\":"
        "\"%s\",\"orders_agree\":true,\"principles\":[\"p\"],\"judgments\":2}}",
        i, i, i, i % 10 == 0 ? "b" : "a");
}

/* 40 balanced pairs whose two orders agree only half of the time. */
static char *inconsistent_line(size_t i)
{
    return tu_strdupf(
        "{\"prompt\":\"question %zu\\n\",\"chosen\":\"%s %zu\",\"rejected\":\"%s %zu\","
        "\"p_chosen\":0.6,\"cai\":{\"chosen_position\":\"%s\",\"orders_agree\":%s}}",
        i, i % 2 ? "long answer" : "short", i, i % 2 ? "short" : "long answer", i,
        i % 2 ? "a" : "b", i % 4 < 2 ? "true" : "false");
}

/* 200 pairs: "fair1" and "fair2" pick A half of the time, "skewed" 38 times out of 40. */
static char *principle_line(size_t i)
{
    const char *p = i < 80 ? "fair1" : i < 160 ? "fair2" : "skewed";
    int a = i < 160 ? (int)(i % 2) : i < 198;

    return tu_strdupf(
        "{\"prompt\":\"question %zu\\n\",\"chosen\":\"%s %zu\",\"rejected\":\"%s %zu\","
        "\"p_chosen\":0.7,\"cai\":{\"chosen_position\":\"%s\",\"orders_agree\":true,"
        "\"principles\":[\"%s\"]}}",
        i, i % 2 ? "long answer" : "short", i, i % 2 ? "short" : "long answer", i, a ? "a" : "b",
        p);
}

START_TEST(validate_reports_position_and_length_bias)
{
    char *dir = tu_mkdtemp("validate"), *path = write_generated(dir, "b.jsonl", 40, biased_line);
    cai_report *r = validate_one(path, NULL);
    char *got = findings_list(r);

    ck_assert_str_eq(got, "0 length_bias\n0 position_bias\n");
    ck_assert_msg(strstr(find_kind(r, "position_bias", 0)->message, "90.0% of 40 pairs") != NULL,
                  "%s", find_kind(r, "position_bias", 0)->message);
    ck_assert_ptr_nonnull(strstr(find_kind(r, "position_bias", 0)->message, "p = 1.9e-07"));
    ck_assert_ptr_nonnull(strstr(find_kind(r, "length_bias", 0)->message, "100.0% of 40 pairs"));
    ck_assert_int_eq(cai_report_failed(r), 0);
    free(got);
    cai_report_free(r);
    {
        cai_validate_opts o = CAI_VALIDATE_OPTS_INIT;
        o.strict = 1;
        r = validate_one(path, &o);
        ck_assert_int_eq(cai_report_failed(r), 1);
        cai_report_free(r);
    }
    tu_rmtree(dir);
    free(path);
    free(dir);
}
END_TEST

START_TEST(validate_reports_low_consistency_and_skewed_principle)
{
    char *dir = tu_mkdtemp("validate");
    char *p1 = write_generated(dir, "c.jsonl", 40, inconsistent_line);
    char *p2 = write_generated(dir, "p.jsonl", 200, principle_line);
    cai_report *r = validate_one(p1, NULL);
    char *got = findings_list(r);

    /* 50% is below --min-consistency and not above chance: both checks speak */
    ck_assert_str_eq(got, "0 judge_order_consistency\n0 low_consistency\n");
    ck_assert_ptr_nonnull(strstr(find_kind(r, "low_consistency", 0)->message, "50.0% of 40"));
    free(got);
    cai_report_free(r);

    r = validate_one(p2, NULL);
    got = findings_list(r);
    ck_assert_str_eq(got, "0 principle_bias\n");
    ck_assert_msg(strstr(find_kind(r, "principle_bias", 0)->message, "\"skewed\"") &&
                      strstr(find_kind(r, "principle_bias", 0)->message, "95.0% of its 40"),
                  "%s", find_kind(r, "principle_bias", 0)->message);
    free(got);
    cai_report_free(r);
    tu_rmtree(dir);
    free(p1);
    free(p2);
    free(dir);
}
END_TEST

START_TEST(validate_reports_extreme_lengths)
{
    char *dir = tu_mkdtemp("validate"), *path = tu_strdupf("%s/l.jsonl", dir);
    static const char data[] =
        "{\"prompt\":\"short\\n\",\"chosen\":\"ok\",\"rejected\":\"no\"}\n"
        "{\"prompt\":\"a prompt of 26 characters\\n\",\"chosen\":\"ok\",\"rejected\":\"no\"}\n"
        "{\"prompt\":\"short "
        "2\\n\",\"chosen\":\"ok\",\"rejected\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
        "\xc3\xa9\xc3\xa9\"}\n"
        "{\"prompt\":\"short "
        "3\\n\",\"chosen\":\"ok\",\"rejected\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
        "\xc3\xa9\"}\n";
    cai_validate_opts o = CAI_VALIDATE_OPTS_INIT;
    cai_report *r;
    char *got;

    o.max_prompt_chars = 10;
    o.max_response_chars = 5; /* characters, not bytes: five "é" are fine, six are not */
    ck_assert_int_eq(tu_write_file(path, data, sizeof(data) - 1), 0);
    r = validate_one(path, &o);
    got = findings_list(r);
    ck_assert_str_eq(got, "2 long\n3 long\n");
    ck_assert_ptr_nonnull(strstr(find_kind(r, "long", 1)->message, "rejected response has 6"));
    free(got);
    cai_report_free(r);
    tu_rmtree(dir);
    free(path);
    free(dir);
}
END_TEST

/* ---- the report ------------------------------------------------------------------------- */

START_TEST(validate_report_keeps_examples_counts_the_rest_and_ends_with_a_verdict)
{
    char *path = data_path("trl_defects.jsonl"), *text, *json, *last;
    cai_validate_opts o = CAI_VALIDATE_OPTS_INIT;
    cai_report *r;
    cJSON *j, *x;

    o.max_examples = 1;
    r = validate_one(path, &o);
    ck_assert_uint_eq(cai_report_count(r, "schema"), 7);
    ck_assert_uint_eq(cai_report_count(r, "label"), 2);
    ck_assert_uint_eq(cai_report_errors(r), 16);    /* with schema_drift at line 4 */
    ck_assert_uint_eq(cai_report_nfindings(r), 10); /* one of each of the 10 kinds */
    text = cai_report_text(r);
    ck_assert_ptr_nonnull(strstr(text, "... and 6 more [schema]\n"));
    ck_assert_ptr_nonnull(strstr(text, "trl_defects.jsonl:2: error [json] invalid JSON\n"));
    ck_assert_int_eq(text[strlen(text) - 1], '\n');
    text[strlen(text) - 1] = '\0';
    last = strrchr(text, '\n');
    ck_assert_str_eq(last + 1, "verdict: FAIL: 16 errors, 1 warning in 17 records");
    json = cai_report_json(r);
    j = cJSON_Parse(json);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(cJSON_GetObjectItem(j, "verdict")->valuestring, "fail");
    ck_assert_int_eq(cJSON_GetObjectItem(j, "errors")->valueint, 16);
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "counts"), "schema")->valueint, 7);
    x = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "findings"), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(x, "kind")->valuestring, "json");
    ck_assert_int_eq(cJSON_GetObjectItem(x, "line")->valueint, 2);
    ck_assert_str_eq(cJSON_GetObjectItem(x, "file")->valuestring, path);
    cJSON_Delete(j);
    free(json);
    free(text);
    cai_report_free(r);
    free(path);
}
END_TEST

/* cai run (the reader) and cai validate (the scanner) read a line as the same format: one rule
 * (recfmt.c) decides, including for lines whose keys fit two formats. */
START_TEST(validate_and_reader_agree_on_each_line_format)
{
    static const char *const lines[] = {
        "{\"prompt\":\"p\",\"responses\":[\"a\",\"b\"],\"chosen\":\"a\",\"rejected\":\"b\"}",
        "{\"prompt\":\"p\",\"response_a\":\"a\",\"response_b\":\"b\",\"chosen\":\"a\","
        "\"rejected\":\"b\"}",
        "{\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":[{\"role\":\"assistant\","
        "\"content\":\"b\"}]}",
        "{\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":\"b\"}",
        "{\"chosen\":\"\\n\\nHuman: p\\n\\nAssistant: a\",\"rejected\":\"\\n\\nHuman: p\\n\\n"
        "Assistant: b\"}",
    };
    char *dir = tu_mkdtemp("fmt");
    size_t i;

    for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        char *path = tu_strdupf("%s/l%zu.jsonl", dir, i), *json;
        cai_validate_opts o = CAI_VALIDATE_OPTS_INIT;
        cai_reader *rd = NULL;
        const cai_record *rec;
        cai_error err = {0};
        cai_report *r;
        cJSON *j;
        const char *vf;

        ck_assert_int_eq(tu_write_file(path, lines[i], strlen(lines[i])), 0);
        ck_assert_int_eq(cai_reader_create(&rd, path, NULL, &err), CAI_OK);
        ck_assert_msg(cai_reader_next(rd, &rec, &err) == CAI_OK, "line %zu: %s", i, err.msg);
        r = validate_one(path, &o);
        json = cai_report_json(r);
        j = cJSON_Parse(json);
        vf = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "files"), 0), "format")
                 ->valuestring;
        ck_assert_msg(strcmp(vf, cai_format_name(rec->format)) == 0,
                      "line %zu: validate %s, run %s", i, vf, cai_format_name(rec->format));
        cJSON_Delete(j);
        free(json);
        cai_report_free(r);
        cai_reader_free(rd);
        free(path);
    }
    tu_rmtree(dir);
    free(dir);
}
END_TEST

/* One line of n candidates "r0".."r<n-1>" (the caller frees it). */
static char *candidates_line(int n)
{
    char *line = tu_strdupf("{\"prompt\":\"p\",\"responses\":["), *next;
    int i;

    for (i = 0; i < n; i++) {
        next = tu_strdupf("%s%s\"r%d\"", line, i ? "," : "", i);
        free(line);
        line = next;
    }
    next = tu_strdupf("%s]}", line);
    free(line);
    return next;
}

/* Every line the reader (cai run) refuses is an error finding of `cai validate` on that line,
 * and a line the reader takes is not: the scanner sees what the run would stop on. */
START_TEST(validate_reports_every_line_the_reader_refuses)
{
    char deep[200], *many = candidates_line(CAI_VREC_MAX_RESP + 1),
                    *most = candidates_line(CAI_VREC_MAX_RESP);
    const char *const refused[] = {
        deep,
        "{\"prompt\":\"p\",\"response_a\":\"a\",\"response_a\":\"x\",\"response_b\":\"b\"}",
        "{\"id\":1,\"id\":2,\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":\"b\"}",
        "{\"prompt\":\"\\ud800\",\"response_a\":\"a\",\"response_b\":\"b\"}",
        many,
        "{\"prompt\":[{\"role\":\"tool\",\"content\":\"p\"}],\"response_a\":\"a\","
        "\"response_b\":\"b\"}",
        "{\"prompt\":[{\"role\":\"assistant\",\"content\":\"p\"}],\"chosen\":\"a\","
        "\"rejected\":\"b\"}",
        "{\"chosen\":\"\\n\\nHuman: p\\n\\nAssistant: a\",\"rejected\":\"\\n\\nHuman: q\\n\\n"
        "Assistant: b\"}",
        /* an HH transcript prompt is split into turns by both: this one ends on an answer */
        "{\"prompt\":\"\\n\\nHuman: p\\n\\nAssistant: done\",\"response_a\":\"a\","
        "\"response_b\":\"b\"}",
    };
    /* taken by both: the most candidates, and a transcript prompt ending on the empty cue */
    const char *const taken[] = {
        most, "{\"prompt\":\"\\n\\nHuman: p\\n\\nAssistant:\",\"response_a\":\"a\","
              "\"response_b\":\"b\"}"};
    const size_t n_refused = sizeof(refused) / sizeof(refused[0]);
    char *dir = tu_mkdtemp("refuse");
    size_t i, k;
    int n;

    n = snprintf(deep, sizeof(deep), "{\"prompt\":\"p\",\"response_a\":\"a\",\"response_b\":");
    for (k = 0; k < 65; k++)
        deep[n++] = '[';
    for (k = 0; k < 65; k++)
        deep[n++] = ']';
    deep[n++] = '}';
    deep[n] = '\0';
    for (i = 0; i < n_refused + 2; i++) {
        const char *line = i < n_refused ? refused[i] : taken[i - n_refused];
        int ok = i >= n_refused;
        char *path = tu_strdupf("%s/l%zu.jsonl", dir, i);
        cai_reader *rd = NULL;
        const cai_record *rec;
        cai_error err = {0};
        cai_report *r;
        const cai_finding *f;

        ck_assert_int_eq(tu_write_file(path, line, strlen(line)), 0);
        ck_assert_int_eq(cai_reader_create(&rd, path, NULL, &err), CAI_OK);
        ck_assert_msg((cai_reader_next(rd, &rec, &err) == CAI_OK) == ok, "line %zu: reader %s", i,
                      err.msg);
        r = validate_one(path, NULL);
        f = cai_report_nfindings(r) ? cai_report_finding(r, 0) : NULL;
        if (ok)
            ck_assert_msg(cai_report_errors(r) == 0, "line %zu: %s", i, f ? f->message : "");
        else
            ck_assert_msg(cai_report_errors(r) > 0 && f && f->line == 1,
                          "line %zu: the reader refuses it (%s), validate reports no error", i,
                          err.msg);
        cai_report_free(r);
        cai_reader_free(rd);
        free(path);
    }
    {
        /* a reply of several messages: trainers take it, so a warning, not an error */
        static const char multi[] =
            "{\"prompt\":[{\"role\":\"user\",\"content\":\"p\"}],\"chosen\":[{\"role\":"
            "\"assistant\",\"content\":\"a\"},{\"role\":\"user\",\"content\":\"u\"},{"
            "\"role\":\"assistant\",\"content\":\"b\"}],\"rejected\":[{\"role\":"
            "\"assistant\",\"content\":\"c\"}]}";
        char *path = tu_strdupf("%s/multi.jsonl", dir);
        cai_reader *rd = NULL;
        const cai_record *rec;
        cai_error err = {0};
        cai_report *r;

        ck_assert_int_eq(tu_write_file(path, multi, strlen(multi)), 0);
        ck_assert_int_eq(cai_reader_create(&rd, path, NULL, &err), CAI_OK);
        ck_assert_int_eq(cai_reader_next(rd, &rec, &err), CAI_ESCHEMA);
        r = validate_one(path, NULL);
        ck_assert_uint_eq(cai_report_errors(r), 0);
        ck_assert_uint_eq(cai_report_count(r, "multi_turn_reply"), 1);
        cai_report_free(r);
        cai_reader_free(rd);
        free(path);
    }
    tu_rmtree(dir);
    free(dir);
    free(many);
    free(most);
}
END_TEST

/* The plain rule the fingerprint's normalisation follows, a byte at a time. */
static size_t reference_normalise(const char *s, size_t len, char *out)
{
    size_t n = 0, j;
    int pend = 0;

    for (j = 0; j < len; j++) {
        unsigned char c = (unsigned char)s[j];

        if (c == ' ' || (c >= '\t' && c <= '\r')) {
            pend = n > 0;
            continue;
        }
        if (pend)
            out[n++] = ' ';
        pend = 0;
        out[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    return n;
}

static uint64_t norm_fp(const char *s, size_t len, cai_fp *exact)
{
    cai_vturn t = {CAI_ROLE_USER, s, len};
    cai_vseq q = {&t, 1};
    char *buf = NULL;
    size_t cap = 0;
    uint64_t norm = 0;

    ck_assert_int_eq(cai_fp__seq(&q, &buf, &cap, exact, &norm), 0);
    free(buf);
    return norm;
}

/* The normalised fingerprint goes 8 bytes at a time where it can: every text must still get
 * the fingerprint of its plainly normalised form. Random texts from an alphabet thick with
 * spaces, other whitespace, capitals and UTF-8 bytes put every pattern on every position of a
 * word and across word boundaries, at lengths 0 to 80. */
START_TEST(validate_fingerprint_normalises_like_the_plain_rule)
{
    static const char alphabet[] = "  \n\t\r\v\fabcxyzAZ@[`{.,\xc3\xa9\xe2\x80\x99";
    static const char *const same[][2] = {
        {"Hello  World", "hello world"},
        {"  \n\nHuman: Hi\t there \n", "human: hi there"},
        {"ABCDEFG HIJKLMN OPQRSTU", "abcdefg hijklmn opqrstu"},
        {"1234567 \n\n 89", "1234567 89"},
    };
    char text[96], ref[96];
    uint64_t state = 0x9e3779b97f4a7c15ULL;
    size_t i, k, len, rl;
    cai_fp e1, e2;

    for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        ck_assert_uint_eq(norm_fp(same[i][0], strlen(same[i][0]), &e1),
                          norm_fp(same[i][1], strlen(same[i][1]), &e2));
        ck_assert(e1.lo != e2.lo); /* the exact halves still tell them apart */
    }
    for (i = 0; i < 20000; i++) {
        len = i % 81;
        for (k = 0; k < len; k++) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            text[k] = alphabet[(state >> 33) % (sizeof(alphabet) - 1)];
        }
        rl = reference_normalise(text, len, ref);
        ck_assert_msg(norm_fp(text, len, &e1) == norm_fp(ref, rl, &e2),
                      "text %zu (%zu bytes) normalises differently", i, len);
    }
}
END_TEST

START_TEST(validate_fingerprint_index_finds_groups_in_40_bytes_a_record)
{
    cai_fpidx *x = NULL;
    cai_error err = {0};
    uint32_t i, exact, near;
    const uint32_t n = 200000;

    ck_assert_int_eq(cai_fpidx__create(&x, &err), CAI_OK);
    /* Line i: prompt group i / 2 (two exact variants a group), pair group i (unique). */
    for (i = 1; i <= n; i++) {
        cai_fprec r = {((uint64_t)(i / 2) + 1) * 0x9e3779b97f4a7c15ULL,
                       (uint64_t)i * 0xc2b2ae3d27d4eb4fULL, i, (i * 16u) | (i & 1)};
        ck_assert_int_eq(cai_fpidx__set(x, i, &r, &err), CAI_OK);
        cai_fpidx__find(x, CAI_FPIDX_PROMPT, i, &exact, &near);
        ck_assert_uint_eq(exact, 0);
        ck_assert_uint_eq(near, i % 2 ? i - 1 : 0); /* odd lines follow their even twin */
        ck_assert_int_eq(cai_fpidx__add(x, CAI_FPIDX_PROMPT, i, &err), CAI_OK);
        cai_fpidx__find(x, CAI_FPIDX_PAIR, i, &exact, &near);
        ck_assert_uint_eq(near, 0);
        ck_assert_int_eq(cai_fpidx__add(x, CAI_FPIDX_PAIR, i, &err), CAI_OK);
    }
    ck_assert_uint_eq(cai_fpidx__count(x, CAI_FPIDX_PROMPT), n);
    ck_assert_uint_eq(cai_fpidx__count(x, CAI_FPIDX_PAIR), n);
    /* A later line with line 7's exact prompt and pair (flag bits differ: not part of the tag). */
    {
        cai_fprec r = *cai_fpidx__rec(x, 7);
        r.qtag ^= 1;
        ck_assert_int_eq(cai_fpidx__set(x, n + 5, &r, &err), CAI_OK);
        cai_fpidx__find(x, CAI_FPIDX_PROMPT, n + 5, &exact, &near);
        ck_assert_uint_eq(exact, 7);
        ck_assert_uint_eq(near, 6);
        cai_fpidx__find(x, CAI_FPIDX_PAIR, n + 5, &exact, &near);
        ck_assert_uint_eq(exact, 7);
        ck_assert_uint_eq(near, 7);
        r.qtag += 16; /* another exact pair in the same normalised group */
        ck_assert_int_eq(cai_fpidx__set(x, n + 6, &r, &err), CAI_OK);
        cai_fpidx__find(x, CAI_FPIDX_PAIR, n + 6, &exact, &near);
        ck_assert_uint_eq(exact, 0);
        ck_assert_uint_eq(near, 7);
    }
    /* The issue-13 budget: the whole structure within 40 bytes a record, two keys each. */
    ck_assert_uint_le(cai_fpidx__bytes(x), (size_t)n * 40);
    cai_fpidx__free(x);
}
END_TEST

Suite *validate_suite(void)
{
    Suite *s = suite_create("validate");
    TCase *tc = tcase_create("files");
    TCase *big = tcase_create("datasets");
    TCase *hh = tcase_create("hh_sample");

    tcase_add_test(tc, reader_refuses_sft_records_that_validate_detects);
    tcase_add_loop_test(tc, validate_reports_each_defect_with_its_line, 0,
                        (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, validate_detects_the_format_of_each_file);
    tcase_add_test(tc, validate_forced_format_overrides_detection);
    tcase_add_test(tc, validate_reports_invalid_utf8_and_nul_and_goes_on);
    tcase_add_test(tc, validate_catches_gzip_damage);
    tcase_add_test(tc, validate_unreadable_path_is_an_error_status);
    tcase_add_test(tc, validate_reports_extreme_lengths);
    tcase_add_test(tc, validate_report_keeps_examples_counts_the_rest_and_ends_with_a_verdict);
    suite_add_tcase(s, tc);
    tcase_set_timeout(big, 60);
    tcase_add_test(big, validate_manifest_clean_dataset_passes);
    tcase_add_test(big, validate_manifest_flipped_byte_gives_crc_and_sha256_errors);
    tcase_add_test(big, validate_manifest_missing_unlisted_and_count_mismatch);
    tcase_add_test(big, validate_reads_a_file_once_under_any_name);
    tcase_add_test(big, validate_reports_prompt_leaked_between_splits);
    tcase_add_test(big, validate_directory_without_manifest_finds_nested_shards);
    tcase_add_test(big, validate_reports_position_and_length_bias);
    tcase_add_test(big, validate_reports_low_consistency_and_skewed_principle);
    tcase_add_test(big, validate_fingerprint_index_finds_groups_in_40_bytes_a_record);
    tcase_add_test(big, validate_fingerprint_normalises_like_the_plain_rule);
    tcase_add_test(big, validate_and_reader_agree_on_each_line_format);
    tcase_add_test(big, validate_reports_every_line_the_reader_refuses);
    suite_add_tcase(s, big);
    tcase_set_tags(hh, "hh_sample"); /* reads the external HH-RLHF sample (check_main.c) */
    tcase_set_timeout(hh, 60);
    tcase_add_test(hh, validate_hh_sample_reports_exactly_its_real_defects);
    suite_add_tcase(s, hh);
    return s;
}

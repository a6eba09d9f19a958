/* SPDX-License-Identifier: MIT */
/* Tests for a cai output directory as a run's input: manifest order, checksums, resume. */
#include "input_dir_int.h"
#include "cai/run.h"
#include "cai/writer.h"
#include "testutil.h"

#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

Suite *input_dir_suite(void);

static char *dir, *hhh;

/* Candidates records, the format `cai sample` writes, split over two shards. */
static const char shard_b[] =
    "{\"id\":\"b1\",\"prompt\":\"Say hi.\",\"responses\":[\"Hi!\",\"Hello there, friend.\","
    "\"Go away.\"]}\n"
    "{\"id\":\"b2\",\"prompt\":\"Name a colour.\",\"responses\":[\"Blue.\",\"Colours are "
    "wavelengths; one is blue.\"]}\n";
static const char shard_a[] =
    "{\"id\":\"a1\",\"prompt\":\"Count to two.\",\"responses\":[\"1, 2.\",\"One, two.\"]}\n";

static void setup(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    dir = tu_mkdtemp("input_dir");
    ck_assert_ptr_nonnull(dir);
    hhh = tu_strdupf("%s/constitution/hhh.json", tu_source_dir());
}

static void teardown(void)
{
    tu_rmtree(dir);
    free(dir);
    free(hhh);
    curl_global_cleanup();
}

/* A sample directory S: data/b.jsonl.gz then data/a.jsonl.gz in its manifest (the reverse of
 * the directory's name order), each with its real SHA-256 and size. */
static char *make_sample_dir(const char *name, const char *b, const char *a)
{
    char *s = tu_strdupf("%s/%s", dir, name), *data = tu_strdupf("%s/data", s);
    char *pb = tu_strdupf("%s/b.jsonl.gz", data), *pa = tu_strdupf("%s/a.jsonl.gz", data);
    char hb[65], ha[65], *manifest, *mpath = tu_strdupf("%s/manifest.json", s);
    uint64_t nb = 0, na = 0;
    cai_error err = {0};

    ck_assert_int_eq(mkdir(s, 0755) == 0 || access(s, F_OK) == 0, 1);
    ck_assert_int_eq(mkdir(data, 0755) == 0 || access(data, F_OK) == 0, 1);
    ck_assert_int_eq(tu_write_gz(pb, b, strlen(b)), 0);
    ck_assert_int_eq(tu_write_gz(pa, a, strlen(a)), 0);
    ck_assert_int_eq(cai_sha256_file(pb, hb, &nb, &err), CAI_OK);
    ck_assert_int_eq(cai_sha256_file(pa, ha, &na, &err), CAI_OK);
    manifest = tu_strdupf("{\"tool\":\"cai\",\"files\":["
                          "{\"path\":\"data/b.jsonl.gz\",\"split\":\"candidates\","
                          "\"sha256\":\"%s\",\"records\":2,\"bytes\":%llu},"
                          "{\"path\":\"./data/a.jsonl.gz\",\"split\":\"candidates\","
                          "\"sha256\":\"%s\",\"records\":1,\"bytes\":%llu}],"
                          "\"failed\":{\"path\":\"failed.jsonl.gz\",\"split\":\"failed\"}}\n",
                          hb, (unsigned long long)nb, ha, (unsigned long long)na);
    ck_assert_int_eq(tu_write_file(mpath, manifest, strlen(manifest)), 0);
    free(manifest);
    free(mpath);
    free(pa);
    free(pb);
    free(data);
    return s;
}

static void write_manifest(const char *s, const char *text)
{
    char *mpath = tu_strdupf("%s/manifest.json", s);

    ck_assert_int_eq(tu_write_file(mpath, text, strlen(text)), 0);
    free(mpath);
}

static cai_status run_job(const char *const *in, size_t n, const char *out, cai_error *err)
{
    cai_run_opts o;
    cai_run_summary sum;
    cai_run *r = NULL;
    cai_status st;

    cai_run_opts_init(&o, CAI_RUN_OPTS_VERSION);
    o.inputs = in;
    o.n_inputs = n;
    o.constitution = hhh;
    o.output_dir = out;
    o.test_fraction = 0; /* every kept pair in train: one file to compare */
    st = cai_run_create(&r, &o, err);
    if (st == CAI_OK)
        st = cai_run_execute(r, &sum, err);
    cai_run_free(r);
    return st;
}

START_TEST(expand_takes_manifest_order_and_passes_files_through)
{
    char *s = make_sample_dir("S", shard_b, shard_a), *slash = tu_strdupf("%s/", s);
    const char *in[] = {"plain.jsonl", slash};
    cai_input_list l;
    cai_error err = {0};

    ck_assert_msg(cai_input_dir__expand(&l, in, 2, NULL, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(l.n, 3);
    ck_assert_str_eq(l.paths[0], "plain.jsonl");
    ck_assert_ptr_null(l.sha256[0]);
    ck_assert_ptr_nonnull(strstr(l.paths[1], "/S/data/b.jsonl.gz"));
    ck_assert_ptr_null(strstr(l.paths[1], "S//")); /* "S/" and "S" name the same shards */
    ck_assert_ptr_nonnull(strstr(l.paths[2], "/S/data/a.jsonl.gz"));
    ck_assert_ptr_null(strstr(l.paths[2], "/./"));
    ck_assert_uint_eq(strlen(l.sha256[1]), 64);
    ck_assert_int_eq(cai_input_dir__check(&l, 0, "x", 0, &err), CAI_OK);
    ck_assert_int_eq(cai_input_dir__check(&l, 1, l.sha256[1], l.bytes[1], &err), CAI_OK);
    ck_assert_int_eq(cai_input_dir__check(&l, 1, l.sha256[2], l.bytes[1], &err), CAI_EMISMATCH);
    ck_assert_ptr_nonnull(strstr(err.msg, "b.jsonl.gz: SHA-256"));
    ck_assert_ptr_nonnull(strstr(err.msg, "manifest.json"));
    cai_input_dir__dispose(&l);
    free(slash);
    free(s);
}
END_TEST

/* The run of a directory is the run of its shards in manifest order, not name order. */
START_TEST(run_of_directory_is_run_of_its_shards_in_manifest_order)
{
    char *s = make_sample_dir("S", shard_b, shard_a);
    char *pb = tu_strdupf("%s/data/b.jsonl.gz", s), *pa = tu_strdupf("%s/data/a.jsonl.gz", s);
    const char *by_dir[] = {s}, *by_manifest[] = {pb, pa}, *by_name[] = {pa, pb};
    char *o1 = tu_strdupf("%s/o1", dir), *o2 = tu_strdupf("%s/o2", dir);
    char *o3 = tu_strdupf("%s/o3", dir), *t1, *t2, *t3, *m;
    cai_error err = {0};

    ck_assert_msg(run_job(by_dir, 1, o1, &err) == CAI_OK, "%s", err.msg);
    ck_assert_msg(run_job(by_manifest, 2, o2, &err) == CAI_OK, "%s", err.msg);
    ck_assert_msg(run_job(by_name, 2, o3, &err) == CAI_OK, "%s", err.msg);
    t1 = tu_read_in(o1, "data/train-00000-of-00001.jsonl.gz");
    t2 = tu_read_in(o2, "data/train-00000-of-00001.jsonl.gz");
    t3 = tu_read_in(o3, "data/train-00000-of-00001.jsonl.gz");
    ck_assert_ptr_nonnull(t1);
    ck_assert_ptr_nonnull(t2);
    ck_assert_ptr_nonnull(t3);
    ck_assert_uint_eq(tu_count_lines(t1), 5); /* b1: 3 pairs, b2: 1, a1: 1 */
    ck_assert_str_eq(t1, t2);
    ck_assert_str_ne(t1, t3);
    ck_assert_ptr_nonnull(strstr(t1, "\"id\":\"b1#"));
    ck_assert_ptr_nonnull(strstr(t1, "\"id\":\"a1\""));
    ck_assert_int_eq(strstr(t1, "\"id\":\"b1#") < strstr(t1, "\"id\":\"a1\""), 1);
    /* the journal fingerprints of both are the same: same input bytes */
    m = tu_read_in(o1, "manifest.json");
    ck_assert_ptr_nonnull(strstr(m, "S/data/b.jsonl.gz"));
    free(m);
    free(t1);
    free(t2);
    free(t3);
    free(o1);
    free(o2);
    free(o3);
    free(pa);
    free(pb);
    free(s);
}
END_TEST

START_TEST(checksum_mismatch_is_refused_naming_the_shard)
{
    char *s = make_sample_dir("S", shard_b, shard_a), *pa = tu_strdupf("%s/data/a.jsonl.gz", s);
    char *out = tu_strdupf("%s/out", dir);
    const char *in[] = {s};
    FILE *f;
    int c;
    cai_error err = {0};

    /* the same size, one byte of the compressed shard changed: only the digest can tell */
    f = fopen(pa, "r+b");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, 20, SEEK_SET), 0);
    c = fgetc(f);
    ck_assert_int_eq(fseek(f, 20, SEEK_SET), 0);
    ck_assert_int_ne(fputc(c ^ 1, f), EOF);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(run_job(in, 1, out, &err), CAI_EMISMATCH);
    ck_assert_msg(strstr(err.msg, "a.jsonl.gz: SHA-256") != NULL, "%s", err.msg);
    ck_assert_ptr_nonnull(strstr(err.msg, "manifest.json"));
    ck_assert_int_eq(access(out, F_OK), -1); /* nothing created */
    free(out);
    free(pa);
    free(s);
}
END_TEST

START_TEST(missing_shard_is_refused_naming_it)
{
    char *s = make_sample_dir("S", shard_b, shard_a), *pb = tu_strdupf("%s/data/b.jsonl.gz", s);
    char *out = tu_strdupf("%s/out", dir);
    const char *in[] = {s};
    cai_error err = {0};

    ck_assert_int_eq(unlink(pb), 0);
    ck_assert_int_eq(run_job(in, 1, out, &err), CAI_EIO);
    ck_assert_msg(strstr(err.msg, "b.jsonl.gz: listed in") != NULL, "%s", err.msg);
    ck_assert_ptr_nonnull(strstr(err.msg, "missing"));
    ck_assert_int_eq(access(out, F_OK), -1);
    /* the output directory as its own input: refused before it is read */
    ck_assert_int_eq(run_job(in, 1, s, &err), CAI_EINVAL);
    ck_assert_msg(strstr(err.msg, "the input directory is the output directory") != NULL, "%s",
                  err.msg);
    free(out);
    free(pb);
    free(s);
}
END_TEST

START_TEST(resume_knows_its_directory_and_refuses_a_changed_one)
{
    char *s = make_sample_dir("S", shard_b, shard_a), *out = tu_strdupf("%s/out", dir);
    char *before, *after;
    const char *in[] = {s};
    cai_error err = {0};

    ck_assert_msg(run_job(in, 1, out, &err) == CAI_OK, "%s", err.msg);
    before = tu_read_in(out, "data/train-00000-of-00001.jsonl.gz");
    ck_assert_msg(run_job(in, 1, out, &err) == CAI_OK, "%s", err.msg); /* resume: same input */
    after = tu_read_in(out, "data/train-00000-of-00001.jsonl.gz");
    ck_assert_str_eq(before, after);
    /* sampled again: other responses, a manifest that matches them */
    free(make_sample_dir("S", shard_b,
                         "{\"id\":\"a1\",\"prompt\":\"Count to two.\","
                         "\"responses\":[\"1 2\",\"One two.\"]}\n"));
    ck_assert_int_eq(run_job(in, 1, out, &err), CAI_EMISMATCH);
    ck_assert_msg(strstr(err.msg, "different input") != NULL, "%s", err.msg);
    free(before);
    free(after);
    free(out);
    free(s);
}
END_TEST

START_TEST(bad_directories_are_named)
{
    char *s = tu_strdupf("%s/S", dir);
    const char *in[] = {s};
    cai_input_list l;
    cai_error err = {0};
    static const char *const bad[][2] = {
        {"[]", "not a JSON object"},
        {"{\"tool\":\"cai\"}", "no \"files\" array"},
        {"{\"files\":[]}", "lists no data shard"},
        {"{\"files\":[{\"path\":\"../x.jsonl\",\"sha256\":\"0\"}]}", "not a path inside"},
        {"{\"files\":[{\"path\":\"/etc/passwd\"}]}", "not a path inside"},
        {"{\"files\":[{\"path\":\"data/x.jsonl\"}]}", "files[0]: no \"sha256\""},
        {"{\"files\":[{\"path\":\"data/x.jsonl\",\"sha256\":\"0000000000000000000000000000000000"
         "000000000000000000000000000000\"}]}",
         "x.jsonl: listed in"},
    };
    size_t i;

    ck_assert_int_eq(mkdir(s, 0755), 0);
    ck_assert_int_eq(cai_input_dir__expand(&l, in, 1, NULL, &err), CAI_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "no manifest.json"));
    ck_assert_uint_eq(l.n, 0);
    for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        write_manifest(s, bad[i][0]);
        memset(&err, 0, sizeof(err)); /* a set error is never overwritten */
        ck_assert_int_ne(cai_input_dir__expand(&l, in, 1, NULL, &err), CAI_OK);
        ck_assert_msg(strstr(err.msg, bad[i][1]) != NULL, "%s: %s", bad[i][0], err.msg);
        ck_assert_ptr_nonnull(strstr(err.msg, "S"));
        ck_assert_ptr_null(l.paths);
    }
    free(s);
}
END_TEST

Suite *input_dir_suite(void)
{
    Suite *su = suite_create("input_dir");
    TCase *tc = tcase_create("input_dir");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, expand_takes_manifest_order_and_passes_files_through);
    tcase_add_test(tc, run_of_directory_is_run_of_its_shards_in_manifest_order);
    tcase_add_test(tc, checksum_mismatch_is_refused_naming_the_shard);
    tcase_add_test(tc, missing_shard_is_refused_naming_it);
    tcase_add_test(tc, resume_knows_its_directory_and_refuses_a_changed_one);
    tcase_add_test(tc, bad_directories_are_named);
    suite_add_tcase(su, tc);
    return su;
}

/* SPDX-License-Identifier: MIT */
/* Tests for the dataset writer: shard names, atomic close, digests, determinism, I/O errors. */
#include "cai/writer.h"
#include "hash_int.h"
#include "testutil.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char *dir; /* per-test scratch directory */

static void setup(void)
{
    dir = tu_mkdtemp("writer");
    ck_assert_ptr_nonnull(dir);
}

static void teardown(void)
{
    tu_rmtree(dir);
    free(dir);
}

static int exists(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0;
}

static void write_n(cai_writer *w, int first, int n)
{
    cai_error err = {0};
    int i;

    for (i = first; i < first + n; i++) {
        char line[64];
        snprintf(line, sizeof(line), "{\"i\":%d}", i);
        ck_assert_msg(cai_writer_write(w, line, strlen(line), &err) == CAI_OK, "%s", err.msg);
    }
}

/* The raw (still compressed) bytes of a file. */
static unsigned char *raw(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;

    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    buf = malloc(*len + 1);
    ck_assert_uint_eq(fread(buf, 1, *len, f), *len);
    fclose(f);
    return buf;
}

START_TEST(writer_shards_by_record_count_with_hf_names)
{
    cai_writer_opts o = CAI_WRITER_OPTS_INIT;
    cai_writer *w = NULL;
    cai_error err = {0};
    static const uint64_t counts[] = {3, 3, 3, 1};
    size_t i;
    int next = 0;

    o.shard_records = 3;
    ck_assert_int_eq(cai_writer_create(&w, dir, "train", &o, &err), CAI_OK);
    write_n(w, 0, 10);
    ck_assert_uint_eq(cai_writer_nfiles(w), 0); /* nothing final before close */
    ck_assert_msg(cai_writer_close(w, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(cai_writer_nfiles(w), 4);
    ck_assert_uint_eq(cai_writer_records(w), 10);
    ck_assert_int_eq(tu_count_entries(dir), 4); /* no temporaries left */
    for (i = 0; i < 4; i++) {
        const cai_file_info *f = cai_writer_file(w, i);
        char *want = tu_strdupf("%s/train-%05zu-of-00004.jsonl.gz", dir, i);
        char *text, *line, *save = NULL;
        ck_assert_str_eq(f->path, want);
        ck_assert_uint_eq(f->records, counts[i]);
        text = tu_read_file(f->path, NULL);
        ck_assert_ptr_nonnull(text);
        ck_assert_uint_eq(tu_count_lines(text), counts[i]);
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            char expect[64];
            snprintf(expect, sizeof(expect), "{\"i\":%d}", next++);
            ck_assert_str_eq(line, expect);
        }
        free(text);
        free(want);
    }
    ck_assert_int_eq(next, 10);
    ck_assert_ptr_null(cai_writer_file(w, 4));
    cai_writer_free(w);
}
END_TEST

START_TEST(writer_digest_and_size_match_the_file)
{
    cai_writer_opts o = CAI_WRITER_OPTS_INIT;
    cai_writer *w = NULL;
    cai_error err = {0};
    char hex[65];
    uint64_t bytes = 0;
    size_t i;

    o.shard_records = 700;
    ck_assert_int_eq(cai_writer_create(&w, dir, "d", &o, &err), CAI_OK);
    write_n(w, 0, 2000);
    ck_assert_int_eq(cai_writer_close(w, &err), CAI_OK);
    ck_assert_uint_eq(cai_writer_nfiles(w), 3);
    for (i = 0; i < 3; i++) {
        const cai_file_info *f = cai_writer_file(w, i);
        struct stat sb;
        ck_assert_int_eq(cai_sha256_file(f->path, hex, &bytes, &err), CAI_OK);
        ck_assert_str_eq(f->sha256, hex);
        ck_assert_int_eq(stat(f->path, &sb), 0);
        ck_assert_uint_eq(f->bytes, (uint64_t)sb.st_size);
        ck_assert_uint_eq(bytes, (uint64_t)sb.st_size);
    }
    cai_writer_free(w);
}
END_TEST

START_TEST(writer_sha256_file_of_known_content)
{
    char *path = tu_strdupf("%s/abc", dir);
    cai_error err = {0};
    char hex[65];
    uint64_t bytes = 0;

    ck_assert_int_eq(tu_write_file(path, "abc", 3), 0);
    ck_assert_int_eq(cai_sha256_file(path, hex, &bytes, &err), CAI_OK);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ck_assert_uint_eq(bytes, 3);
    free(path);
    path = tu_strdupf("%s/missing", dir);
    ck_assert_int_eq(cai_sha256_file(path, hex, &bytes, &err), CAI_EIO);
    free(path);
}
END_TEST

START_TEST(writer_final_names_appear_only_at_close)
{
    cai_writer_opts o = CAI_WRITER_OPTS_INIT;
    cai_writer *w = NULL;
    cai_error err = {0};
    char *final = tu_strdupf("%s/out.jsonl.gz", dir);

    ck_assert_int_eq(cai_writer_create(&w, dir, "out", &o, &err), CAI_OK);
    write_n(w, 0, 5000);
    ck_assert(!exists(final));
    ck_assert_int_eq(tu_count_entries(dir), 1); /* the temporary */
    ck_assert_int_eq(cai_writer_close(w, &err), CAI_OK);
    ck_assert(exists(final));
    ck_assert_int_eq(tu_count_entries(dir), 1);
    ck_assert_str_eq(cai_writer_file(w, 0)->path, final);
    ck_assert_uint_eq(cai_writer_file(w, 0)->records, 5000);
    cai_writer_free(w);
    ck_assert(exists(final)); /* free after close keeps the files */
    free(final);
}
END_TEST

START_TEST(writer_free_without_close_leaves_nothing)
{
    cai_writer_opts o = CAI_WRITER_OPTS_INIT;
    cai_writer *w = NULL;
    cai_error err = {0};

    o.shard_records = 2;
    ck_assert_int_eq(cai_writer_create(&w, dir, "x", &o, &err), CAI_OK);
    write_n(w, 0, 7);
    ck_assert_int_eq(tu_count_entries(dir), 4);
    cai_writer_free(w);
    ck_assert_int_eq(tu_count_entries(dir), 0);
}
END_TEST

START_TEST(writer_empty_output_is_one_empty_shard)
{
    cai_writer_opts o = CAI_WRITER_OPTS_INIT;
    cai_writer *w = NULL;
    cai_error err = {0};
    char *want = tu_strdupf("%s/test-00000-of-00001.jsonl.gz", dir), *text;
    size_t len = 99;

    o.shard_records = 100;
    ck_assert_int_eq(cai_writer_create(&w, dir, "test", &o, &err), CAI_OK);
    ck_assert_int_eq(cai_writer_close(w, &err), CAI_OK);
    ck_assert_uint_eq(cai_writer_nfiles(w), 1);
    ck_assert_str_eq(cai_writer_file(w, 0)->path, want);
    ck_assert_uint_eq(cai_writer_file(w, 0)->records, 0);
    text = tu_read_file(want, &len);
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(len, 0);
    free(text);
    free(want);
    cai_writer_free(w);
}
END_TEST

START_TEST(writer_output_is_deterministic)
{
    cai_writer_opts o = CAI_WRITER_OPTS_INIT;
    char *paths[2];
    char sums[2][65];
    unsigned char *bytes[2];
    size_t len[2];
    int k;

    for (k = 0; k < 2; k++) {
        cai_writer *w = NULL;
        cai_error err = {0};
        char *sub = tu_strdupf("%s/run%d", dir, k);
        ck_assert_int_eq(mkdir(sub, 0755), 0);
        ck_assert_int_eq(cai_writer_create(&w, sub, "same", &o, &err), CAI_OK);
        write_n(w, 0, 3000);
        ck_assert_int_eq(cai_writer_close(w, &err), CAI_OK);
        paths[k] = strdup(cai_writer_file(w, 0)->path);
        memcpy(sums[k], cai_writer_file(w, 0)->sha256, 65);
        cai_writer_free(w);
        bytes[k] = raw(paths[k], &len[k]);
        free(sub);
    }
    ck_assert_uint_eq(len[0], len[1]);
    ck_assert_int_eq(memcmp(bytes[0], bytes[1], len[0]), 0);
    ck_assert_str_eq(sums[0], sums[1]);
    /* gzip magic, deflate, no flags (no name), mtime 0: nothing that varies between runs */
    ck_assert_int_eq(bytes[0][0], 0x1f);
    ck_assert_int_eq(bytes[0][1], 0x8b);
    ck_assert_int_eq(bytes[0][3], 0);
    ck_assert_int_eq(bytes[0][4] | bytes[0][5] | bytes[0][6] | bytes[0][7], 0);
    for (k = 0; k < 2; k++) {
        free(bytes[k]);
        free(paths[k]);
    }
}
END_TEST

START_TEST(writer_plain_mode_writes_jsonl)
{
    cai_writer_opts o = CAI_WRITER_OPTS_INIT;
    cai_writer *w = NULL;
    cai_error err = {0};
    unsigned char *text;
    size_t len;
    char *want = tu_strdupf("%s/p.jsonl", dir);

    o.plain = 1;
    ck_assert_int_eq(cai_writer_create(&w, dir, "p", &o, &err), CAI_OK);
    write_n(w, 0, 2);
    ck_assert_int_eq(cai_writer_close(w, &err), CAI_OK);
    ck_assert_str_eq(cai_writer_file(w, 0)->path, want);
    text = raw(want, &len);
    ck_assert_uint_eq(len, 16);
    ck_assert_int_eq(memcmp(text, "{\"i\":0}\n{\"i\":1}\n", 16), 0);
    free(text);
    free(want);
    cai_writer_free(w);
}
END_TEST

START_TEST(writer_missing_directory_is_eio)
{
    cai_writer *w = NULL;
    cai_error err = {0};
    char *sub = tu_strdupf("%s/absent", dir), *want;

    ck_assert_int_eq(cai_writer_create(&w, sub, "train", NULL, &err), CAI_EIO);
    ck_assert_ptr_null(w);
    want = tu_strdupf("%s: cannot create a temporary file for train.jsonl.gz: No such file or "
                      "directory",
                      sub);
    ck_assert_str_eq(err.msg, want);
    free(want);
    free(sub);
}
END_TEST

/* Files are capped at 64 KiB (RLIMIT_FSIZE, SIGXFSZ ignored), so writes fail with EFBIG. */
START_TEST(writer_full_disk_is_eio_and_leaves_no_final_file)
{
    cai_writer_opts o = CAI_WRITER_OPTS_INIT;
    cai_writer *w = NULL;
    cai_error err = {0}, err2 = {0};
    char *prefix = tu_strdupf("%s/.full.jsonl.", dir);
    const char *suffix = ".cai-tmp: File too large";
    struct rlimit old, lim;
    cai_status st = CAI_OK;
    int i;

    o.plain = 1; /* plain: the bytes written are the bytes given, so the cap is reached */
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 65536;
    signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    ck_assert_int_eq(cai_writer_create(&w, dir, "full", &o, &err), CAI_OK);
    /* buffered: the first writes may succeed; the error shows by close at the latest */
    for (i = 0; i < 100000 && st == CAI_OK; i++)
        st = cai_writer_write(w, "{\"k\":\"some text that is written\"}", 33, &err);
    if (st == CAI_OK)
        st = cai_writer_close(w, &err);
    setrlimit(RLIMIT_FSIZE, &old);
    ck_assert_int_eq(st, CAI_EIO);
    ck_assert_msg(!strncmp(err.msg, prefix, strlen(prefix)), "%s", err.msg);
    ck_assert_msg(strlen(err.msg) > strlen(suffix) &&
                      !strcmp(err.msg + strlen(err.msg) - strlen(suffix), suffix),
                  "%s", err.msg);
    /* later calls report the same failure */
    ck_assert_int_eq(cai_writer_close(w, &err2), CAI_EIO);
    ck_assert_str_eq(err2.msg, err.msg);
    ck_assert_uint_eq(cai_writer_nfiles(w), 0);
    cai_writer_free(w);
    ck_assert_int_eq(tu_count_entries(dir), 0);
    free(prefix);
}
END_TEST

/*
 * Two writers of one name in one directory (as two runs on one --output were): each has its own
 * temporary file, both close, and the final file is exactly one writer's lines, never a mix.
 */
START_TEST(writer_temporary_names_are_unique)
{
    cai_writer_opts o = CAI_WRITER_OPTS_INIT;
    cai_writer *a = NULL, *b = NULL;
    cai_error err = {0};
    char *text;

    o.plain = 1;
    ck_assert_int_eq(cai_writer_create(&a, dir, "same", &o, &err), CAI_OK);
    ck_assert_int_eq(cai_writer_create(&b, dir, "same", &o, &err), CAI_OK);
    ck_assert_int_eq(tu_count_entries(dir), 2); /* two temporaries, not one shared */
    ck_assert_int_eq(cai_writer_write(a, "{\"w\":\"a\"}", 9, &err), CAI_OK);
    ck_assert_int_eq(cai_writer_write(b, "{\"w\":\"b\"}", 9, &err), CAI_OK);
    ck_assert_int_eq(cai_writer_write(b, "{\"w\":\"b\"}", 9, &err), CAI_OK);
    ck_assert_msg(cai_writer_close(a, &err) == CAI_OK, "%s", err.msg);
    ck_assert_msg(cai_writer_close(b, &err) == CAI_OK, "%s", err.msg);
    text = tu_read_in(dir, "same.jsonl");
    ck_assert_ptr_nonnull(text);
    ck_assert_str_eq(text, "{\"w\":\"b\"}\n{\"w\":\"b\"}\n"); /* the last close wins, whole */
    ck_assert_int_eq(tu_count_entries(dir), 1);
    free(text);
    cai_writer_free(a);
    cai_writer_free(b);
}
END_TEST

START_TEST(writer_rejects_lines_with_newlines)
{
    cai_writer *w = NULL;
    cai_error err = {0};

    ck_assert_int_eq(cai_writer_create(&w, dir, "nl", NULL, &err), CAI_OK);
    ck_assert_int_eq(cai_writer_write(w, "{}\n{}", 5, &err), CAI_EINVAL);
    ck_assert_int_eq(cai_writer_records(w), 0);
    cai_writer_free(w);
}
END_TEST

/* Deterministic text that compresses like prose (words from a small list) or not at all (hex). */
static char *gen_line(uint64_t *rng, size_t len, int hex)
{
    static const char *const words[] = {"the ",   "judge ", "prefers ", "answer ", "because ",
                                        "it is ", "kind, ", "safe ",    "and ",    "honest. "};
    char *s = malloc(len + 1);
    size_t n = 0;

    ck_assert_ptr_nonnull(s);
    while (n < len) {
        *rng ^= *rng << 13, *rng ^= *rng >> 7, *rng ^= *rng << 17;
        if (hex) {
            s[n++] = "0123456789abcdef"[*rng & 15];
        } else {
            const char *wd = words[*rng % 10];
            size_t k = strlen(wd);
            memcpy(s + n, wd, n + k <= len ? k : len - n);
            n += n + k <= len ? k : len - n;
        }
    }
    s[len] = '\0';
    return s;
}

/* The gzip stream of data in one deflate() call, on this thread: the single-threaded reference. */
static unsigned char *one_shot_gzip(const unsigned char *data, size_t len, int level, size_t *out)
{
    z_stream zs;
    size_t cap = compressBound((uLong)len) + 64;
    unsigned char *buf = malloc(cap);

    memset(&zs, 0, sizeof(zs));
    ck_assert_int_eq(deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (unsigned char *)data;
    zs.avail_in = (uInt)len;
    zs.next_out = buf;
    zs.avail_out = (uInt)cap;
    ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *out = cap - zs.avail_out;
    deflateEnd(&zs);
    return buf;
}

/*
 * Compression runs on its own thread and takes the input in buffers of another size than the
 * lines: the files must still be byte for byte what one deflate() call over each shard's lines
 * gives at that level (lines far longer than a buffer, shards that end mid-buffer).
 */
START_TEST(writer_gzip_bytes_equal_a_single_threaded_deflate)
{
    static const int levels[] = {1, 6, 9};
    size_t li;

    for (li = 0; li < sizeof(levels) / sizeof(levels[0]); li++) {
        cai_writer_opts o = CAI_WRITER_OPTS_INIT;
        cai_writer *w = NULL;
        cai_error err = {0};
        uint64_t rng = 0x9e3779b97f4a7c15u;
        unsigned char *all[2] = {NULL, NULL};
        size_t all_len[2] = {0, 0}, all_cap[2] = {0, 0};
        char *sub = tu_strdupf("%s/l%d", dir, levels[li]);
        int i, sh;

        ck_assert_int_eq(mkdir(sub, 0700), 0);
        o.level = levels[li];
        o.shard_records = 1500;
        ck_assert_int_eq(cai_writer_create(&w, sub, "t", &o, &err), CAI_OK);
        for (i = 0; i < 2500; i++) {
            size_t len = i % 997 == 5 ? 300000 : 20 + (size_t)(rng % 3000);
            char *line = gen_line(&rng, len, i % 7 == 3);
            sh = i / 1500;
            while (all_len[sh] + len + 1 > all_cap[sh]) {
                all_cap[sh] = all_cap[sh] ? 2 * all_cap[sh] : 1 << 20;
                all[sh] = realloc(all[sh], all_cap[sh]);
                ck_assert_ptr_nonnull(all[sh]);
            }
            memcpy(all[sh] + all_len[sh], line, len);
            all[sh][all_len[sh] + len] = '\n';
            all_len[sh] += len + 1;
            ck_assert_msg(cai_writer_write(w, line, len, &err) == CAI_OK, "%s", err.msg);
            free(line);
        }
        ck_assert_msg(cai_writer_close(w, &err) == CAI_OK, "%s", err.msg);
        ck_assert_uint_eq(cai_writer_nfiles(w), 2);
        for (sh = 0; sh < 2; sh++) {
            size_t got_len, want_len;
            unsigned char *got = raw(cai_writer_file(w, (size_t)sh)->path, &got_len);
            unsigned char *want = one_shot_gzip(all[sh], all_len[sh], levels[li], &want_len);
            ck_assert_msg(got_len == want_len && memcmp(got, want, got_len) == 0,
                          "level %d shard %d: %zu bytes, single-threaded deflate %zu", levels[li],
                          sh, got_len, want_len);
            free(got);
            free(want);
            free(all[sh]);
        }
        cai_writer_free(w);
        free(sub);
    }
}
END_TEST

/* A write error on the compressor thread (RLIMIT_FSIZE: EFBIG) comes back through write or
 * close naming the temporary file, later calls repeat it, and nothing is left behind. */
START_TEST(writer_gzip_write_error_on_the_compressor_names_the_file)
{
    cai_writer *w = NULL;
    cai_error err = {0}, err2 = {0};
    char *prefix = tu_strdupf("%s/.full.jsonl.gz.", dir);
    const char *suffix = ".cai-tmp: File too large";
    struct rlimit old, lim;
    uint64_t rng = 42;
    cai_status st = CAI_OK;
    int i;

    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 65536;
    signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    ck_assert_int_eq(cai_writer_create(&w, dir, "full", NULL, &err), CAI_OK);
    for (i = 0; i < 2000 && st == CAI_OK; i++) { /* 2 MB of hex: about 1 MB compressed */
        char *line = gen_line(&rng, 1000, 1);
        st = cai_writer_write(w, line, 1000, &err);
        free(line);
    }
    if (st == CAI_OK)
        st = cai_writer_close(w, &err);
    setrlimit(RLIMIT_FSIZE, &old);
    ck_assert_int_eq(st, CAI_EIO);
    ck_assert_msg(!strncmp(err.msg, prefix, strlen(prefix)), "%s", err.msg);
    ck_assert_msg(strlen(err.msg) > strlen(suffix) &&
                      !strcmp(err.msg + strlen(err.msg) - strlen(suffix), suffix),
                  "%s", err.msg);
    ck_assert_int_eq(cai_writer_write(w, "{}", 2, &err2), CAI_EIO);
    ck_assert_str_eq(err2.msg, err.msg);
    ck_assert_int_eq(cai_writer_close(w, &err2), CAI_EIO);
    ck_assert_str_eq(err2.msg, err.msg);
    cai_writer_free(w);
    ck_assert_int_eq(tu_count_entries(dir), 0);
    free(prefix);
}
END_TEST

Suite *writer_suite(void);

Suite *writer_suite(void)
{
    Suite *s = suite_create("writer");
    TCase *tc = tcase_create("writer");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, writer_shards_by_record_count_with_hf_names);
    tcase_add_test(tc, writer_digest_and_size_match_the_file);
    tcase_add_test(tc, writer_sha256_file_of_known_content);
    tcase_add_test(tc, writer_final_names_appear_only_at_close);
    tcase_add_test(tc, writer_free_without_close_leaves_nothing);
    tcase_add_test(tc, writer_empty_output_is_one_empty_shard);
    tcase_add_test(tc, writer_output_is_deterministic);
    tcase_add_test(tc, writer_plain_mode_writes_jsonl);
    tcase_add_test(tc, writer_missing_directory_is_eio);
    tcase_add_test(tc, writer_full_disk_is_eio_and_leaves_no_final_file);
    tcase_add_test(tc, writer_rejects_lines_with_newlines);
    tcase_add_test(tc, writer_temporary_names_are_unique);
    tcase_add_test(tc, writer_gzip_bytes_equal_a_single_threaded_deflate);
    tcase_add_test(tc, writer_gzip_write_error_on_the_compressor_names_the_file);
    suite_add_tcase(s, tc);
    return s;
}

/* SPDX-License-Identifier: MIT */
/* Tests for the record reader: line layer, formats, ids, bad-input corpus, HH sample, stdin. */
#include "hash_int.h"
#include "cai/prompt.h"
#include "cai/record.h"
#include "cai/writer.h"
#include "error_int.h"
#include "testutil.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define DATA  CAI_SOURCE_DIR "/tests/data/reader/"
#define HH_GZ tu_hh_sample()
#define MIB   ((size_t)1 << 20)

static char *dir; /* per-test scratch directory */

static void setup(void)
{
    dir = tu_mkdtemp("reader");
    ck_assert_ptr_nonnull(dir);
}

static void teardown(void)
{
    tu_rmtree(dir);
    free(dir);
}

/* Reads path to the end; returns the final status and counts records. */
static cai_status drain(const char *path, const cai_reader_opts *o, uint64_t *n, cai_error *err)
{
    cai_reader *r = NULL;
    const cai_record *rec;
    cai_status st;

    *n = 0;
    st = cai_reader_create(&r, path, o, err);
    if (st != CAI_OK)
        return st;
    while ((st = cai_reader_next(r, &rec, err)) == CAI_OK)
        (*n)++;
    cai_reader_free(r);
    return st;
}

/* ---- the bad-input corpus ------------------------------------------------------------------ */

typedef enum transform { AS_IS, GZIP, GZIP_TRUNCATED, GZIP_GARBAGE, GZIP_CORRUPT } transform;

static const struct bad_case {
    const char *file;
    transform how;
    cai_status status;
    uint64_t records; /* good records returned before the error */
    const char *msg;  /* expected message after "PATH:" ("" when none) */
} bad_cases[] = {
    {"bad_json.jsonl", AS_IS, CAI_EPARSE, 2, "3: invalid JSON at byte 50"},
    {"bad_utf8_overlong.jsonl", AS_IS, CAI_EPARSE, 1, "2: invalid UTF-8 at byte 13"},
    {"bad_utf8_surrogate.jsonl", AS_IS, CAI_EPARSE, 2, "3: invalid UTF-8 at byte 14"},
    {"bad_utf8_truncated.jsonl", AS_IS, CAI_EPARSE, 0, "1: invalid UTF-8 at byte 18"},
    {"nul_byte.jsonl", AS_IS, CAI_EPARSE, 1, "2: NUL byte at byte 14"},
    {"lone_surrogate.jsonl", AS_IS, CAI_EPARSE, 2, "3: lone surrogate escape \\ud800 at byte 17"},
    {"lone_low_surrogate.jsonl", AS_IS, CAI_EPARSE, 0,
     "1: lone surrogate escape \\uDC00 at byte 17"},
    {"escaped_nul.jsonl", AS_IS, CAI_EPARSE, 0, "1: escaped NUL character (\\u0000) at byte 14"},
    {"deep_nesting.jsonl", AS_IS, CAI_ELIMIT, 1,
     "2: JSON nested deeper than 64 levels at byte 127"},
    {"number_for_string.jsonl", AS_IS, CAI_ESCHEMA, 3, "4: \"response_a\" must be a string"},
    {"prompt_wrong_type.jsonl", AS_IS, CAI_ESCHEMA, 3,
     "4: \"prompt\" must be a string or a message list"},
    {"missing_field.jsonl", AS_IS, CAI_ESCHEMA, 0, "1: missing \"response_b\" (pairs format)"},
    {"unrecognised.jsonl", AS_IS, CAI_ESCHEMA, 0,
     "1: unrecognised record: expected \"prompt\" with \"response_a\"/\"response_b\" or "
     "\"responses\", or \"chosen\"/\"rejected\""},
    {"not_object.jsonl", AS_IS, CAI_ESCHEMA, 0, "1: a line must hold a JSON object"},
    {"trailing_text.jsonl", AS_IS, CAI_EPARSE, 0,
     "1: invalid JSON at byte 56: text after the value"},
    {"bad_role.jsonl", AS_IS, CAI_ESCHEMA, 0,
     "1: \"prompt\"[0].role must be \"system\", \"user\" or \"assistant\""},
    {"prompt_ends_assistant.jsonl", AS_IS, CAI_ESCHEMA, 0, "1: \"prompt\" must end on a user turn"},
    {"duplicate_key.jsonl", AS_IS, CAI_ESCHEMA, 0, "1: duplicate key \"response_a\""},
    {"hh_mismatch.jsonl", AS_IS, CAI_EPARSE, 1,
     "2: chosen and rejected transcripts have different contexts"},
    {"hh_not_transcript.jsonl", AS_IS, CAI_EPARSE, 0,
     "1: \"chosen\": not an HH transcript: it does not start with \"\\n\\nHuman:\""},
    {"empty.jsonl", AS_IS, CAI_ITEROVER, 0, ""},
    {"empty.jsonl", GZIP, CAI_ITEROVER, 0, ""},
    {"blank_only.jsonl", AS_IS, CAI_ITEROVER, 0, ""},
    {"bom_crlf_blank.jsonl", AS_IS, CAI_ITEROVER, 3, ""},
    {"bom_crlf_blank.jsonl", GZIP, CAI_ITEROVER, 3, ""},
    {"good.jsonl", GZIP, CAI_ITEROVER, 3, ""},
    {"bad_utf8_surrogate.jsonl", GZIP, CAI_EPARSE, 2, "3: invalid UTF-8 at byte 14"},
    /* good.jsonl gzipped, cut in the middle of its second line's compressed data */
    {"good.jsonl", GZIP_TRUNCATED, CAI_EPARSE, 2,
     "3: truncated gzip data (unexpected end of file)"},
    {"good.jsonl", GZIP_GARBAGE, CAI_EPARSE, 3, "4: trailing garbage after gzip data"},
    {"good.jsonl", GZIP_CORRUPT, CAI_EPARSE, 0, "1: corrupt gzip data (incorrect data check)"},
};

/* Writes the fixture to the scratch dir as the case asks; returns its path. */
static char *prepare(const struct bad_case *c)
{
    char *src = tu_strdupf(DATA "%s", c->file), *dst, *data;
    size_t len = 0;
    unsigned char *gz;

    if (c->how == AS_IS)
        return src;
    data = tu_read_file(src, &len);
    ck_assert_ptr_nonnull(data);
    dst = tu_strdupf("%s/%s.gz", dir, c->file);
    ck_assert_int_eq(tu_write_gz(dst, data, len), 0);
    free(data);
    free(src);
    {
        FILE *f = fopen(dst, "rb"); /* the raw bytes: tu_read_file would gunzip them */
        ck_assert_ptr_nonnull(f);
        fseek(f, 0, SEEK_END);
        len = (size_t)ftell(f);
        rewind(f);
        gz = malloc(len + 16);
        ck_assert_uint_eq(fread(gz, 1, len, f), len);
        fclose(f);
    }
    if (c->how == GZIP_TRUNCATED)
        len -= 12; /* loses the trailer and the end of the deflate data */
    else if (c->how == GZIP_GARBAGE) {
        memcpy(gz + len, "garbage!", 8);
        len += 8;
    } else if (c->how == GZIP_CORRUPT)
        gz[len - 8] ^= 0x55; /* the CRC-32 in the trailer */
    ck_assert_int_eq(tu_write_file(dst, gz, len), 0);
    free(gz);
    return dst;
}

START_TEST(reader_reports_bad_input_with_file_and_line)
{
    const struct bad_case *c = &bad_cases[_i];
    char *path = prepare(c), *want;
    cai_reader_opts o = CAI_READER_OPTS_INIT;
    cai_error err = {0};
    uint64_t n;
    cai_status st;

    st = drain(path, &o, &n, &err);
    ck_assert_msg(st == c->status, "%s: status %d, want %d (%s)", c->file, st, c->status, err.msg);
    ck_assert_uint_eq(n, c->records);
    if (*c->msg) {
        want = tu_strdupf("%s:%s", path, c->msg);
        ck_assert_str_eq(err.msg, want);
        free(want);
    } else {
        ck_assert_str_eq(err.msg, "");
    }
    free(path);
}
END_TEST

/* Another call after a gzip error reports it again instead of reading on. */
START_TEST(reader_gzip_errors_are_sticky_even_when_skipping)
{
    struct bad_case c = {"good.jsonl", GZIP_GARBAGE, CAI_EPARSE, 3, ""};
    char *path = prepare(&c);
    cai_reader_opts o = CAI_READER_OPTS_INIT;
    cai_reader *r = NULL;
    const cai_record *rec;
    cai_error err = {0}, err2 = {0};
    int i;

    o.skip_invalid = 1;
    ck_assert_int_eq(cai_reader_create(&r, path, &o, &err), CAI_OK);
    for (i = 0; i < 3; i++)
        ck_assert_int_eq(cai_reader_next(r, &rec, &err), CAI_OK);
    ck_assert_int_eq(cai_reader_next(r, &rec, &err), CAI_EPARSE);
    ck_assert_int_eq(cai_reader_next(r, &rec, &err2), CAI_EPARSE);
    ck_assert_str_eq(err.msg, err2.msg);
    ck_assert_uint_eq(cai_reader_skipped(r), 0);
    cai_reader_free(r);
    free(path);
}
END_TEST

START_TEST(reader_missing_file_is_eio_naming_it)
{
    cai_reader *r = NULL;
    cai_error err = {0};
    char *path = tu_strdupf("%s/nope.jsonl", dir), *want;

    ck_assert_int_eq(cai_reader_create(&r, path, NULL, &err), CAI_EIO);
    ck_assert_ptr_null(r);
    want = tu_strdupf("%s: No such file or directory", path);
    ck_assert_str_eq(err.msg, want);
    free(want);
    free(path);
}
END_TEST

/* A reused cai_error reports the failure of the call that returned it, never an earlier one. */
START_TEST(reused_error_reports_the_latest_failure)
{
    cai_reader *r = NULL;
    cai_error err = {0};
    char *a = tu_strdupf("%s/first.jsonl", dir), *b = tu_strdupf("%s/second.jsonl", dir), *want;

    ck_assert_int_eq(cai_reader_create(&r, a, NULL, &err), CAI_EIO);
    ck_assert_int_eq(cai_reader_create(&r, b, NULL, &err), CAI_EIO);
    want = tu_strdupf("%s: No such file or directory", b);
    ck_assert_str_eq(err.msg, want);
    free(want);
    /* and a success leaves no stale message behind */
    ck_assert_int_eq(cai_reader_create(&r, DATA "good.jsonl", NULL, &err), CAI_OK);
    ck_assert_int_eq(err.code, CAI_OK);
    ck_assert_str_eq(err.msg, "");
    cai_reader_free(r);

    /* the setter: the same code keeps the lower-level message, another code replaces it */
    cai_error__set(&err, CAI_EIO, "low: %s", "facts");
    ck_assert_int_eq(cai_error__set(&err, CAI_EIO, "high"), CAI_EIO);
    ck_assert_str_eq(err.msg, "low: facts");
    ck_assert_int_eq(cai_error__set(&err, CAI_EINTERRUPTED, "stopped"), CAI_EINTERRUPTED);
    ck_assert_int_eq(err.code, CAI_EINTERRUPTED);
    ck_assert_str_eq(err.msg, "stopped");
    free(a);
    free(b);
}
END_TEST

START_TEST(reader_skip_invalid_counts_and_lists_bad_lines)
{
    cai_reader_opts o = CAI_READER_OPTS_INIT;
    cai_reader *r = NULL;
    const cai_record *rec;
    cai_error err = {0};
    uint64_t lines[8];
    size_t n = 0;
    cai_status st;
    char *want;

    o.skip_invalid = 1;
    ck_assert_int_eq(cai_reader_create(&r, DATA "mixed.jsonl", &o, &err), CAI_OK);
    while ((st = cai_reader_next(r, &rec, &err)) == CAI_OK && n < 8)
        lines[n++] = rec->line;
    ck_assert_int_eq(st, CAI_ITEROVER);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(lines[0], 1);
    ck_assert_uint_eq(lines[1], 4);
    ck_assert_uint_eq(lines[2], 6);
    ck_assert_uint_eq(cai_reader_skipped(r), 3);
    want = tu_strdupf("%s:2: \"prompt\" must be a string or a message list", DATA "mixed.jsonl");
    ck_assert_str_eq(cai_reader_skipped_msg(r, 0), want);
    free(want);
    want = tu_strdupf("%s:3: invalid JSON at byte 1", DATA "mixed.jsonl");
    ck_assert_str_eq(cai_reader_skipped_msg(r, 1), want);
    free(want);
    want = tu_strdupf("%s:5: invalid UTF-8 at byte 13", DATA "mixed.jsonl");
    ck_assert_str_eq(cai_reader_skipped_msg(r, 2), want);
    free(want);
    ck_assert_ptr_null(cai_reader_skipped_msg(r, 3));
    cai_reader_free(r);
}
END_TEST

START_TEST(reader_keeps_the_first_100_skip_messages)
{
    char *path = tu_strdupf("%s/many.jsonl", dir), *want;
    cai_reader_opts o = CAI_READER_OPTS_INIT;
    cai_error err = {0};
    cai_reader *r = NULL;
    const cai_record *rec;
    FILE *f = fopen(path, "w");
    int i;

    ck_assert_ptr_nonnull(f);
    for (i = 0; i < 150; i++)
        fputs("{\"prompt\": 1, \"response_a\": \"a\", \"response_b\": \"b\"}\n", f);
    fputs("{\"prompt\": \"p\", \"response_a\": \"a\", \"response_b\": \"b\"}\n", f);
    fclose(f);
    o.skip_invalid = 1;
    ck_assert_int_eq(cai_reader_create(&r, path, &o, &err), CAI_OK);
    ck_assert_int_eq(cai_reader_next(r, &rec, &err), CAI_OK);
    ck_assert_uint_eq(rec->line, 151);
    ck_assert_int_eq(cai_reader_next(r, &rec, &err), CAI_ITEROVER);
    ck_assert_uint_eq(cai_reader_skipped(r), 150);
    want = tu_strdupf("%s:100: \"prompt\" must be a string or a message list", path);
    ck_assert_str_eq(cai_reader_skipped_msg(r, 99), want);
    ck_assert_ptr_null(cai_reader_skipped_msg(r, 100));
    cai_reader_free(r);
    free(want);
    free(path);
}
END_TEST

START_TEST(reader_without_skip_stops_at_first_bad_line)
{
    cai_error err = {0};
    uint64_t n;

    ck_assert_int_eq(drain(DATA "mixed.jsonl", NULL, &n, &err), CAI_ESCHEMA);
    ck_assert_uint_eq(n, 1);
}
END_TEST

/* ---- long lines ---------------------------------------------------------------------------- */

/* A pairs line whose response_a holds `big` bytes of 'x', then a small line; *size: bytes. */
static char *big_line_file(size_t big, int gz, size_t *size)
{
    static const char head[] = "{\"prompt\": \"p\", \"response_b\": \"b\", \"response_a\": \"";
    static const char tail[] =
        "\"}\n{\"prompt\": \"q\", \"response_a\": \"a\", \"response_b\": \"b\"}\n";
    size_t n = sizeof(head) - 1 + big + sizeof(tail) - 1;
    char *buf = malloc(n), *path = tu_strdupf("%s/big.jsonl%s", dir, gz ? ".gz" : "");

    ck_assert_ptr_nonnull(buf);
    memcpy(buf, head, sizeof(head) - 1);
    memset(buf + sizeof(head) - 1, 'x', big);
    memcpy(buf + sizeof(head) - 1 + big, tail, sizeof(tail) - 1);
    ck_assert_int_eq(gz ? tu_write_gz(path, buf, n) : tu_write_file(path, buf, n), 0);
    *size = n;
    free(buf);
    return path;
}

START_TEST(reader_reads_a_16_mib_line)
{
    size_t size;
    char *path = big_line_file(16 * MIB, _i, &size);
    cai_reader *r = NULL;
    const cai_record *rec;
    cai_error err = {0};

    ck_assert_int_eq(cai_reader_create(&r, path, NULL, &err), CAI_OK);
    ck_assert_msg(cai_reader_next(r, &rec, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(strlen(rec->responses[0]), 16 * MIB);
    ck_assert_int_eq(rec->responses[0][16 * MIB - 1], 'x');
    ck_assert_str_eq(rec->responses[1], "b");
    ck_assert_int_eq(cai_reader_next(r, &rec, &err), CAI_OK);
    ck_assert_str_eq(rec->context[0].content, "q");
    ck_assert_uint_eq(rec->line, 2);
    ck_assert_int_eq(cai_reader_next(r, &rec, &err), CAI_ITEROVER);
    ck_assert_uint_eq(cai_reader_bytes(r), size);
    cai_reader_free(r);
    free(path);
}
END_TEST

START_TEST(reader_line_over_the_cap_is_elimit_and_skippable)
{
    size_t size;
    char *path = big_line_file(2 * MIB, 0, &size), *want;
    cai_reader_opts o = CAI_READER_OPTS_INIT;
    cai_reader *r = NULL;
    const cai_record *rec;
    cai_error err = {0};

    o.max_line_bytes = MIB;
    ck_assert_int_eq(cai_reader_create(&r, path, &o, &err), CAI_OK);
    ck_assert_int_eq(cai_reader_next(r, &rec, &err), CAI_ELIMIT);
    want = tu_strdupf("%s:1: line longer than 1048576 bytes", path);
    ck_assert_str_eq(err.msg, want);
    cai_reader_free(r);

    o.skip_invalid = 1;
    ck_assert_int_eq(cai_reader_create(&r, path, &o, &err), CAI_OK);
    ck_assert_int_eq(cai_reader_next(r, &rec, &err), CAI_OK);
    ck_assert_uint_eq(rec->line, 2);
    ck_assert_uint_eq(cai_reader_skipped(r), 1);
    ck_assert_str_eq(cai_reader_skipped_msg(r, 0), want);
    cai_reader_free(r);
    free(want);
    free(path);
}
END_TEST

/* ---- lines --------------------------------------------------------------------------------- */

START_TEST(lines_strip_bom_and_cr_and_skip_blank_lines)
{
    cai_lines *l = NULL;
    cai_error err = {0};
    const char *line;
    size_t len;
    uint64_t no[4];
    int n = 0;
    cai_status st;

    ck_assert_int_eq(cai_lines_create(&l, DATA "bom_crlf_blank.jsonl", 0, &err), CAI_OK);
    while ((st = cai_lines_next(l, &line, &len, &no[n], &err)) == CAI_OK && n < 4) {
        ck_assert_uint_eq(len, strlen(line));
        ck_assert_int_eq(line[0], '{');
        ck_assert_int_eq(line[len - 1], '}');
        n++;
    }
    ck_assert_int_eq(st, CAI_ITEROVER);
    ck_assert_int_eq(n, 3);
    ck_assert_uint_eq(no[0], 1);
    ck_assert_uint_eq(no[1], 5);
    ck_assert_uint_eq(no[2], 7); /* the last line has no newline */
    cai_lines_free(l);
}
END_TEST

/* ---- formats ------------------------------------------------------------------------------- */

static void expect_joke(const cai_record *rec, cai_format fmt, size_t n_ctx, int human)
{
    ck_assert_int_eq(rec->format, fmt);
    ck_assert_uint_eq(rec->n_context, n_ctx);
    ck_assert_int_eq(rec->context[n_ctx - 1].role, CAI_ROLE_USER);
    ck_assert_str_eq(rec->context[n_ctx - 1].content, "Tell me a joke");
    ck_assert_str_eq(rec->responses[0], "Knock knock");
    ck_assert_str_eq(rec->responses[1], "No");
    ck_assert_int_eq(rec->human_choice, human);
}

/* Metadata values are the input's bytes: a double round trip would print 1.0 as 1,
 * 9007199254740993 as 9.00719925474099e+15 and -0.0 as -0, and int and float would alternate. */
START_TEST(reader_carries_metadata_numbers_byte_for_byte)
{
    char *path = tu_strdupf("%s/m.jsonl", dir);
    static const char data[] =
        "{\"prompt\":\"p\",\"response_a\":\"a\",\"response_b\":\"b\",\"x\":1.0,"
        "\"big\":9007199254740993,\"z\" : -0.0 ,\"e\":1E+2,\"s\":\"\\u00e9\\n\","
        "\"o\":{\"k\":[1.50, true, null]}}\n";
    cai_reader *r = NULL;
    const cai_record *rec;
    cai_error err = {0};

    ck_assert_int_eq(tu_write_file(path, data, sizeof(data) - 1), 0);
    ck_assert_int_eq(cai_reader_create(&r, path, NULL, &err), CAI_OK);
    ck_assert_msg(cai_reader_next(r, &rec, &err) == CAI_OK, "%s", err.msg);
    ck_assert_str_eq(rec->meta_json, "{\"x\":1.0,\"big\":9007199254740993,\"z\":-0.0,\"e\":1E+2,"
                                     "\"s\":\"\\u00e9\\n\",\"o\":{\"k\":[1.50, true, null]}}");
    cai_reader_free(r);
    free(path);
}
END_TEST

START_TEST(reader_recognises_every_format)
{
    cai_reader *r = NULL;
    const cai_record *rec;
    cai_error err = {0};

    ck_assert_int_eq(cai_reader_create(&r, DATA "formats.jsonl", NULL, &err), CAI_OK);

    ck_assert_msg(cai_reader_next(r, &rec, &err) == CAI_OK, "%s", err.msg);
    expect_joke(rec, CAI_FORMAT_PAIRS, 1, -1);
    ck_assert_str_eq(rec->id, "p1");
    ck_assert_int_eq(rec->id_from_input, 1);
    ck_assert_str_eq(rec->meta_json, "{\"source\":\"unit\",\"score\":1.5}");
    ck_assert_str_eq(rec->file, DATA "formats.jsonl");
    ck_assert_uint_eq(rec->line, 1);
    ck_assert_str_eq(rec->prompt_text, "Tell me a joke");

    ck_assert_msg(cai_reader_next(r, &rec, &err) == CAI_OK, "%s", err.msg);
    expect_joke(rec, CAI_FORMAT_PAIRS, 2, -1);
    ck_assert_int_eq(rec->context[0].role, CAI_ROLE_SYSTEM);
    ck_assert_str_eq(rec->context[0].content, "Be brief");
    ck_assert_str_eq(rec->meta_json, "{}");
    ck_assert_int_eq(rec->id_from_input, 0);
    ck_assert_ptr_null(rec->prompt_text); /* a message list */

    ck_assert_msg(cai_reader_next(r, &rec, &err) == CAI_OK, "%s", err.msg);
    ck_assert_int_eq(rec->format, CAI_FORMAT_CANDIDATES);
    ck_assert_uint_eq(rec->n_responses, 3);
    ck_assert_str_eq(rec->responses[2], "Why did the chicken");
    ck_assert_str_eq(rec->id, "7");

    ck_assert_msg(cai_reader_next(r, &rec, &err) == CAI_OK, "%s", err.msg);
    expect_joke(rec, CAI_FORMAT_HH, 3, 0);
    ck_assert_str_eq(rec->context[0].content, "Hi there");
    ck_assert_int_eq(rec->context[1].role, CAI_ROLE_ASSISTANT);
    ck_assert_str_eq(rec->context[1].content, "Hello! How can I help?");
    /* the input's own bytes, spaces included */
    ck_assert_str_eq(rec->meta_json, "{\"tag\":{\"k\": [1, 2]}}");

    ck_assert_msg(cai_reader_next(r, &rec, &err) == CAI_OK, "%s", err.msg);
    expect_joke(rec, CAI_FORMAT_TRL, 3, 0); /* HH prompt: split, trailing cue dropped */
    ck_assert_str_eq(rec->context[1].content, "Hello! How can I help?");
    /* ... and kept verbatim for output in the same shape */
    ck_assert_ptr_nonnull(strstr(rec->prompt_text, "\n\nHuman: Hi there\n\nAssistant: Hello!"));
    ck_assert_str_eq(rec->prompt_text + strlen(rec->prompt_text) - 12, "\n\nAssistant:");

    ck_assert_msg(cai_reader_next(r, &rec, &err) == CAI_OK, "%s", err.msg);
    expect_joke(rec, CAI_FORMAT_CONVERSATIONAL, 1, 0);

    ck_assert_msg(cai_reader_next(r, &rec, &err) == CAI_OK, "%s", err.msg);
    expect_joke(rec, CAI_FORMAT_TRL, 1, 0);

    ck_assert_int_eq(cai_reader_next(r, &rec, &err), CAI_ITEROVER);
    cai_reader_free(r);
}
END_TEST

/* Forcing a format reads the lines of that format and rejects the others by a missing field. */
START_TEST(reader_forced_format_requires_its_fields)
{
    static const struct {
        cai_format f;
        int line_ok; /* 1-based line of formats.jsonl in this format */
        const char *err_line1;
    } cases[] = {
        {CAI_FORMAT_PAIRS, 1, NULL},
        {CAI_FORMAT_CANDIDATES, 3, "1: missing \"responses\" (candidates format)"},
        {CAI_FORMAT_HH, 4, "1: missing \"chosen\" (hh format)"},
        {CAI_FORMAT_TRL, 7, "1: missing \"chosen\" (trl format)"},
        {CAI_FORMAT_CONVERSATIONAL, 6, "1: missing \"chosen\" (conversational format)"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        cai_reader_opts o = CAI_READER_OPTS_INIT;
        cai_reader *r = NULL;
        const cai_record *rec;
        cai_error err = {0};
        cai_status st;
        int seen = 0;

        o.format = cases[i].f;
        o.skip_invalid = 1;
        ck_assert_int_eq(cai_reader_create(&r, DATA "formats.jsonl", &o, &err), CAI_OK);
        while ((st = cai_reader_next(r, &rec, &err)) == CAI_OK) {
            ck_assert_int_eq(rec->format, cases[i].f);
            seen |= rec->line == (uint64_t)cases[i].line_ok;
        }
        ck_assert_int_eq(st, CAI_ITEROVER);
        ck_assert_msg(seen, "%s did not read line %d", cai_format_name(cases[i].f),
                      cases[i].line_ok);
        if (cases[i].err_line1) {
            char *want = tu_strdupf("%s:%s", DATA "formats.jsonl", cases[i].err_line1);
            ck_assert_str_eq(cai_reader_skipped_msg(r, 0), want);
            free(want);
        }
        cai_reader_free(r);
    }
}
END_TEST

START_TEST(reader_forced_trl_rejects_message_lists)
{
    cai_reader_opts o = CAI_READER_OPTS_INIT;
    cai_reader *r = NULL;
    const cai_record *rec;
    cai_error err = {0};
    char *path = tu_strdupf("%s/conv.jsonl", dir), *want;
    const char line[] = "{\"prompt\":[{\"role\":\"user\",\"content\":\"x\"}],\"chosen\":\"a\","
                        "\"rejected\":\"b\"}\n";

    ck_assert_int_eq(tu_write_file(path, line, sizeof(line) - 1), 0);
    o.format = CAI_FORMAT_TRL;
    ck_assert_int_eq(cai_reader_create(&r, path, &o, &err), CAI_OK);
    ck_assert_int_eq(cai_reader_next(r, &rec, &err), CAI_ESCHEMA);
    want = tu_strdupf("%s:1: \"prompt\" must be a string", path);
    ck_assert_str_eq(err.msg, want);
    cai_reader_free(r);
    free(want);
    free(path);
}
END_TEST

/* A line cJSON reads beyond RFC 8259 ("01", "1.", a form feed or vertical tab as white space)
 * is read as cJSON reads it (through its tree, cai_recdec__reread), and its metadata keeps the
 * input's bytes. */
START_TEST(reader_reads_what_cjson_takes_beyond_rfc)
{
    cai_reader *r = NULL;
    const cai_record *rec;
    cai_error err = {0};
    char *path = tu_strdupf("%s/lenient.jsonl", dir);
    const char text[] = "{\"pro\\u006dpt\":\"p\\u00e9\",\"chosen\":\"c\",\"rejected\":\"r\","
                        "\"x\":01,\"y\":[1.]}\n"
                        "{\"prompt\":\"q\",\"chosen\":\"c\",\"rejected\":\"r\",\"id\":7,"
                        "\"z\":1.50}\n"
                        "{\"prompt\":\"q\",\f\"chosen\":\"c\",\"rejected\":\"r\",\v\"w\":2\f}\n";

    ck_assert_int_eq(tu_write_file(path, text, sizeof(text) - 1), 0);
    ck_assert_int_eq(cai_reader_create(&r, path, NULL, &err), CAI_OK);
    ck_assert_int_eq(cai_reader_next(r, &rec, &err), CAI_OK);
    ck_assert_int_eq(rec->format, CAI_FORMAT_TRL);
    ck_assert_str_eq(rec->context[0].content, "p\xc3\xa9");
    ck_assert_str_eq(rec->prompt_text, "p\xc3\xa9");
    ck_assert_str_eq(rec->responses[1], "r");
    ck_assert_str_eq(rec->meta_json, "{\"x\":01,\"y\":[1.]}");
    ck_assert_int_eq(cai_reader_next(r, &rec, &err), CAI_OK); /* read in place */
    ck_assert_str_eq(rec->id, "7");
    ck_assert_str_eq(rec->meta_json, "{\"z\":1.50}");
    ck_assert_msg(cai_reader_next(r, &rec, &err) == CAI_OK, "%s", err.msg);
    ck_assert_str_eq(rec->responses[0], "c");
    ck_assert_str_eq(rec->meta_json, "{\"w\":2}");
    ck_assert_int_eq(cai_reader_next(r, &rec, &err), CAI_ITEROVER);
    cai_reader_free(r);
    free(path);
}
END_TEST

START_TEST(format_names_round_trip)
{
    int f;

    for (f = CAI_FORMAT_AUTO; f <= CAI_FORMAT_CONVERSATIONAL; f++)
        ck_assert_int_eq(cai_format_parse(cai_format_name((cai_format)f)), f);
    ck_assert_int_eq(cai_format_parse("jsonl"), -1);
    ck_assert_int_eq(cai_format_parse(NULL), -1);
    ck_assert_str_eq(cai_role_name(CAI_ROLE_ASSISTANT), "assistant");
}
END_TEST

/* ---- ids ----------------------------------------------------------------------------------- */

/* The id of the only record in a one-line file. */
static char *id_of(const char *line)
{
    char *path = tu_strdupf("%s/id.jsonl", dir), *id;
    cai_reader *r = NULL;
    const cai_record *rec;
    cai_error err = {0};

    ck_assert_int_eq(tu_write_file(path, line, strlen(line)), 0);
    ck_assert_int_eq(cai_reader_create(&r, path, NULL, &err), CAI_OK);
    ck_assert_msg(cai_reader_next(r, &rec, &err) == CAI_OK, "%s", err.msg);
    id = strdup(rec->id);
    cai_reader_free(r);
    free(path);
    return id;
}

START_TEST(reader_ids_come_from_input_or_a_stable_content_hash)
{
    char *pairs = id_of("{\"prompt\":\"Hi\",\"response_a\":\"A\",\"response_b\":\"B\"}");
    char *trl = id_of("{\"prompt\":\"Hi\",\"chosen\":\"A\",\"rejected\":\"B\",\"x\":1}");
    char *conv =
        id_of("{\"prompt\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
              "\"chosen\":[{\"role\":\"assistant\",\"content\":\"A\"}],\"rejected\":\"B\"}");
    char *hh = id_of("{\"chosen\":\"\\n\\nHuman: Hi\\n\\nAssistant: A\","
                     "\"rejected\":\"\\n\\nHuman: Hi\\n\\nAssistant: B\"}");
    char *swapped = id_of("{\"prompt\":\"Hi\",\"response_a\":\"B\",\"response_b\":\"A\"}");
    char *shifted = id_of("{\"prompt\":\"Hi\",\"response_a\":\"AB\",\"response_b\":\"\"}");
    char *given = id_of("{\"id\":\"row-9\",\"prompt\":\"Hi\",\"response_a\":\"A\","
                        "\"response_b\":\"B\"}");
    char *num = id_of("{\"id\":12345678901,\"prompt\":\"Hi\",\"response_a\":\"A\","
                      "\"response_b\":\"B\"}");
    char *again = id_of("{\"response_b\":\"B\",\"response_a\":\"A\",\"prompt\":\"Hi\"}");

    /* pinned: journals and outputs of earlier runs refer to records by this id */
    ck_assert_str_eq(pairs, "h381918edf9204d2f");
    ck_assert_str_eq(pairs, trl);
    ck_assert_str_eq(pairs, conv);
    ck_assert_str_eq(pairs, hh);
    ck_assert_str_eq(pairs, again);
    ck_assert_str_ne(pairs, swapped);
    ck_assert_str_ne(pairs, shifted);
    ck_assert_str_eq(given, "row-9");
    ck_assert_str_eq(num, "12345678901");
    free(pairs);
    free(trl);
    free(conv);
    free(hh);
    free(swapped);
    free(shifted);
    free(given);
    free(num);
    free(again);
}
END_TEST

START_TEST(reader_rejects_ids_that_are_not_strings_or_integers)
{
    char *path = tu_strdupf("%s/badid.jsonl", dir), *want;
    const char line[] =
        "{\"id\":1.5,\"prompt\":\"Hi\",\"response_a\":\"A\",\"response_b\":\"B\"}\n";
    cai_error err = {0};
    uint64_t n;

    ck_assert_int_eq(tu_write_file(path, line, sizeof(line) - 1), 0);
    ck_assert_int_eq(drain(path, NULL, &n, &err), CAI_ESCHEMA);
    want = tu_strdupf("%s:1: \"id\" must be a string or an integer below 2^53", path);
    ck_assert_str_eq(err.msg, want);
    free(want);
    free(path);
}
END_TEST

/* ---- transcripts --------------------------------------------------------------------------- */

START_TEST(transcript_split_finds_turns_in_place)
{
    char text[] = "\n\nHuman: a\n\nb\n\nAssistant:\n\nHuman:  c\n\nAssistant: Human: d";
    cai_transcript t;
    cai_error err = {0};

    ck_assert_int_eq(cai_transcript_split(&t, text, &err), CAI_OK);
    ck_assert_uint_eq(t.n_turns, 4);
    ck_assert_int_eq(t.turns[0].role, CAI_ROLE_USER);
    ck_assert_str_eq(t.turns[0].content, "a\n\nb");
    ck_assert_int_eq(t.turns[1].role, CAI_ROLE_ASSISTANT);
    ck_assert_str_eq(t.turns[1].content, "");
    ck_assert_str_eq(t.turns[2].content, " c");
    ck_assert_str_eq(t.turns[3].content, "Human: d");
    cai_transcript_dispose(&t);
    ck_assert_ptr_null(t.turns);
}
END_TEST

START_TEST(transcript_split_rejects_text_without_turns)
{
    char text[] = "Human: hi";
    cai_transcript t;
    cai_error err = {0};

    ck_assert_int_eq(cai_transcript_split(&t, text, &err), CAI_EPARSE);
    ck_assert_str_eq(err.msg, "not an HH transcript: it does not start with \"\\n\\nHuman:\"");
    ck_assert_ptr_null(t.turns);
    ck_assert_str_eq(text, "Human: hi");
}
END_TEST

START_TEST(transcript_split_accepts_a_leading_system_turn_only)
{
    char text[] = "\n\nSystem: be kind\n\nHuman: hi\n\nSystem: not a turn";
    cai_transcript t;
    cai_error err = {0};

    ck_assert_int_eq(cai_transcript_split(&t, text, &err), CAI_OK);
    ck_assert_uint_eq(t.n_turns, 2);
    ck_assert_int_eq(t.turns[0].role, CAI_ROLE_SYSTEM);
    ck_assert_str_eq(t.turns[1].content, "hi\n\nSystem: not a turn");
    cai_transcript_dispose(&t);
}
END_TEST

/* ---- stdin --------------------------------------------------------------------------------- */

START_TEST(reader_reads_stdin_plain_and_gzip)
{
    char *src = tu_strdupf(DATA "good.jsonl"), *data, *gz = tu_strdupf("%s/in.gz", dir);
    const char *inputs[2];
    size_t len, k;

    data = tu_read_file(src, &len);
    ck_assert_int_eq(tu_write_gz(gz, data, len), 0);
    inputs[0] = src;
    inputs[1] = gz;
    for (k = 0; k < 2; k++) {
        int saved = dup(0), fd = open(inputs[k], O_RDONLY);
        cai_reader *r = NULL;
        const cai_record *rec;
        cai_error err = {0};
        uint64_t n = 0;
        cai_status st;

        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(dup2(fd, 0), 0);
        close(fd);
        ck_assert_int_eq(cai_reader_create(&r, "-", NULL, &err), CAI_OK);
        while ((st = cai_reader_next(r, &rec, &err)) == CAI_OK) {
            ck_assert_str_eq(rec->file, "-");
            n++;
        }
        ck_assert_int_eq(st, CAI_ITEROVER);
        ck_assert_uint_eq(n, 3);
        cai_reader_free(r);
        /* fd 0 is still open after free: the reader worked on a duplicate */
        ck_assert_int_ne(fcntl(0, F_GETFD), -1);
        dup2(saved, 0);
        close(saved);
    }
    free(data);
    free(src);
    free(gz);
}
END_TEST

/* A whitespace-only final reply (three in the HH-RLHF sample) is read and warned about with its
 * FILE:LINE, not skipped: the run counts the pair as unjudgeable. */
START_TEST(reader_warns_of_a_blank_hh_reply_with_file_and_line)
{
    static const char text[] =
        "{\"chosen\":\"\\n\\nHuman: Hi\\n\\nAssistant: Hello\",\"rejected\":\"\\n\\nHuman: "
        "Hi\\n\\nAssistant: Go away\"}\n"
        "{\"chosen\":\"\\n\\nHuman: Hi\\n\\nAssistant: \",\"rejected\":\"\\n\\nHuman: "
        "Hi\\n\\nAssistant: No\"}\n"
        "{\"chosen\":\"\\n\\nHuman: Hi\\n\\nAssistant:  \\n \",\"rejected\":\"\\n\\nHuman: "
        "Hi\\n\\nAssistant: No\"}\n";
    char *path = tu_strdupf("%s/blank.jsonl.gz", dir), *want;
    cai_reader *r = NULL;
    const cai_record *rec;
    cai_error err = {0};
    uint64_t n = 0;
    cai_status st;

    ck_assert_int_eq(tu_write_gz(path, text, sizeof(text) - 1), 0);
    ck_assert_int_eq(cai_reader_create(&r, path, NULL, &err), CAI_OK);
    while ((st = cai_reader_next(r, &rec, &err)) == CAI_OK) {
        n++;
        ck_assert_int_eq(rec->format, CAI_FORMAT_HH);
        ck_assert_uint_eq(rec->line, n);
    }
    ck_assert_msg(st == CAI_ITEROVER, "%s", err.msg);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(cai_reader_skipped(r), 0);
    ck_assert_uint_eq(cai_reader_warnings(r), 2);
    want = tu_strdupf("%s:2: chosen reply is empty or whitespace-only", path);
    ck_assert_str_eq(cai_reader_warning_msg(r, 0), want);
    free(want);
    want = tu_strdupf("%s:3: chosen reply is empty or whitespace-only", path);
    ck_assert_str_eq(cai_reader_warning_msg(r, 1), want);
    free(want);
    ck_assert_ptr_null(cai_reader_warning_msg(r, 2));
    cai_reader_free(r);
    free(path);
}
END_TEST

/* ---- the real HH-RLHF sample --------------------------------------------------------------- */

START_TEST(reader_reads_hh_sample_end_to_end)
{
    cai_reader *r = NULL;
    const cai_record *rec;
    cai_error err = {0};
    uint64_t n = 0;
    cai_status st;
    static const unsigned blank[] = {87, 517, 926};
    size_t i;

    ck_assert_int_eq(cai_reader_create(&r, HH_GZ, NULL, &err), CAI_OK);
    while ((st = cai_reader_next(r, &rec, &err)) == CAI_OK) {
        n++;
        ck_assert_int_eq(rec->format, CAI_FORMAT_HH);
        ck_assert_uint_eq(rec->line, n);
        ck_assert_uint_eq(rec->n_responses, 2);
        ck_assert_int_eq(rec->context[rec->n_context - 1].role, CAI_ROLE_USER);
        ck_assert_int_eq(rec->human_choice, 0);
        ck_assert_str_eq(rec->meta_json, "{}");
    }
    ck_assert_msg(st == CAI_ITEROVER, "%s", err.msg);
    ck_assert_uint_eq(n, 1000);
    ck_assert_uint_eq(cai_reader_skipped(r), 0);
    ck_assert_uint_eq(cai_reader_warnings(r), 3);
    for (i = 0; i < 3; i++) {
        char *want = tu_strdupf("%s:%u: chosen reply is empty or whitespace-only", HH_GZ, blank[i]);
        ck_assert_str_eq(cai_reader_warning_msg(r, i), want);
        free(want);
    }
    ck_assert_ptr_null(cai_reader_warning_msg(r, 3));
    cai_reader_free(r);
}
END_TEST

/* The context renders back to the transcript byte for byte: render + final turn == chosen. */
START_TEST(reader_hh_contexts_render_back_byte_exact)
{
    cai_reader *r = NULL;
    cai_lines *l = NULL;
    const cai_record *rec;
    cai_error err = {0};
    uint64_t n = 0, no;
    const char *line;
    size_t len;

    ck_assert_int_eq(cai_reader_create(&r, HH_GZ, NULL, &err), CAI_OK);
    ck_assert_int_eq(cai_lines_create(&l, HH_GZ, 0, &err), CAI_OK);
    while (cai_reader_next(r, &rec, &err) == CAI_OK) {
        cJSON *doc;
        char *ctx, *full;
        ck_assert_int_eq(cai_lines_next(l, &line, &len, &no, &err), CAI_OK);
        doc = cJSON_ParseWithLength(line, len);
        ck_assert_ptr_nonnull(doc);
        ctx = cai_prompt_render_context(rec->context, rec->n_context);
        full = tu_strdupf("%s\n\nAssistant: %s", ctx, rec->responses[0]);
        ck_assert_str_eq(full, cJSON_GetObjectItem(doc, "chosen")->valuestring);
        free(full);
        full = tu_strdupf("%s\n\nAssistant: %s", ctx, rec->responses[1]);
        ck_assert_str_eq(full, cJSON_GetObjectItem(doc, "rejected")->valuestring);
        free(full);
        free(ctx);
        cJSON_Delete(doc);
        n++;
    }
    ck_assert_uint_eq(n, 1000);
    cai_lines_free(l);
    cai_reader_free(r);
}
END_TEST

static int same_record(const cai_record *a, const cai_record *b)
{
    size_t i;

    if (a->n_context != b->n_context || a->n_responses != b->n_responses)
        return 0;
    for (i = 0; i < a->n_context; i++) {
        if (a->context[i].role != b->context[i].role ||
            strcmp(a->context[i].content, b->context[i].content) != 0)
            return 0;
    }
    for (i = 0; i < a->n_responses; i++) {
        if (strcmp(a->responses[i], b->responses[i]) != 0)
            return 0;
    }
    return strcmp(a->id, b->id) == 0;
}

/* HH sample -> TRL standard gzip JSONL through cai_writer -> reader: every record equal. */
START_TEST(reader_round_trips_hh_sample_through_trl)
{
    cai_writer_opts wo = CAI_WRITER_OPTS_INIT;
    cai_writer *w = NULL;
    cai_reader *r = NULL, *back = NULL;
    const cai_record *rec, *rec2;
    cai_error err = {0};
    uint64_t n = 0;
    cai_status st;

    ck_assert_int_eq(cai_writer_create(&w, dir, "trl", &wo, &err), CAI_OK);
    ck_assert_int_eq(cai_reader_create(&r, HH_GZ, NULL, &err), CAI_OK);
    while ((st = cai_reader_next(r, &rec, &err)) == CAI_OK) {
        cJSON *o = cJSON_CreateObject();
        char *ctx = cai_prompt_render_context(rec->context, rec->n_context);
        char *prompt = tu_strdupf("%s\n\nAssistant:", ctx), *line;
        cJSON_AddStringToObject(o, "prompt", prompt);
        cJSON_AddStringToObject(o, "chosen", rec->responses[0]);
        cJSON_AddStringToObject(o, "rejected", rec->responses[1]);
        line = cJSON_PrintUnformatted(o);
        ck_assert_int_eq(cai_writer_write(w, line, strlen(line), &err), CAI_OK);
        cJSON_free(line);
        cJSON_Delete(o);
        free(prompt);
        free(ctx);
    }
    ck_assert_int_eq(st, CAI_ITEROVER);
    ck_assert_msg(cai_writer_close(w, &err) == CAI_OK, "%s", err.msg);
    ck_assert_uint_eq(cai_writer_file(w, 0)->records, 1000);
    cai_reader_free(r);

    r = NULL;
    ck_assert_int_eq(cai_reader_create(&r, HH_GZ, NULL, &err), CAI_OK);
    ck_assert_int_eq(cai_reader_create(&back, cai_writer_file(w, 0)->path, NULL, &err), CAI_OK);
    while ((st = cai_reader_next(r, &rec, &err)) == CAI_OK) {
        ck_assert_msg(cai_reader_next(back, &rec2, &err) == CAI_OK, "%s", err.msg);
        ck_assert_int_eq(rec2->format, CAI_FORMAT_TRL);
        ck_assert_msg(same_record(rec, rec2), "record %llu differs", (unsigned long long)rec->line);
        n++;
    }
    ck_assert_int_eq(cai_reader_next(back, &rec2, &err), CAI_ITEROVER);
    ck_assert_uint_eq(n, 1000);
    ck_assert_uint_eq(cai_reader_warnings(back), 3);
    cai_reader_free(r);
    cai_reader_free(back);
    cai_writer_free(w);
}
END_TEST

Suite *reader_suite(void);

Suite *reader_suite(void)
{
    Suite *s = suite_create("reader");
    TCase *bad = tcase_create("bad_input");
    TCase *fmt = tcase_create("formats");
    TCase *big = tcase_create("big");
    TCase *hh = tcase_create("hh");

    tcase_add_checked_fixture(bad, setup, teardown);
    tcase_add_loop_test(bad, reader_reports_bad_input_with_file_and_line, 0,
                        (int)(sizeof(bad_cases) / sizeof(*bad_cases)));
    tcase_add_test(bad, reader_gzip_errors_are_sticky_even_when_skipping);
    tcase_add_test(bad, reader_missing_file_is_eio_naming_it);
    tcase_add_test(bad, reused_error_reports_the_latest_failure);
    tcase_add_test(bad, reader_skip_invalid_counts_and_lists_bad_lines);
    tcase_add_test(bad, reader_without_skip_stops_at_first_bad_line);
    tcase_add_test(bad, reader_keeps_the_first_100_skip_messages);
    tcase_add_test(bad, lines_strip_bom_and_cr_and_skip_blank_lines);
    suite_add_tcase(s, bad);

    tcase_add_checked_fixture(fmt, setup, teardown);
    tcase_add_test(fmt, reader_recognises_every_format);
    tcase_add_test(fmt, reader_carries_metadata_numbers_byte_for_byte);
    tcase_add_test(fmt, reader_forced_format_requires_its_fields);
    tcase_add_test(fmt, reader_forced_trl_rejects_message_lists);
    tcase_add_test(fmt, format_names_round_trip);
    tcase_add_test(fmt, reader_reads_what_cjson_takes_beyond_rfc);
    tcase_add_test(fmt, reader_ids_come_from_input_or_a_stable_content_hash);
    tcase_add_test(fmt, reader_rejects_ids_that_are_not_strings_or_integers);
    tcase_add_test(fmt, transcript_split_finds_turns_in_place);
    tcase_add_test(fmt, transcript_split_rejects_text_without_turns);
    tcase_add_test(fmt, transcript_split_accepts_a_leading_system_turn_only);
    tcase_add_test(fmt, reader_reads_stdin_plain_and_gzip);
    tcase_add_test(fmt, reader_warns_of_a_blank_hh_reply_with_file_and_line);
    suite_add_tcase(s, fmt);

    tcase_add_checked_fixture(big, setup, teardown);
    tcase_set_timeout(big, 120);
    tcase_add_loop_test(big, reader_reads_a_16_mib_line, 0, 2); /* plain, gzip */
    tcase_add_test(big, reader_line_over_the_cap_is_elimit_and_skippable);
    suite_add_tcase(s, big);

    tcase_add_checked_fixture(hh, setup, teardown);
    tcase_set_tags(hh, "hh_sample"); /* reads the external HH-RLHF sample (check_main.c) */
    tcase_set_timeout(hh, 120);
    tcase_add_test(hh, reader_reads_hh_sample_end_to_end);
    tcase_add_test(hh, reader_hh_contexts_render_back_byte_exact);
    tcase_add_test(hh, reader_round_trips_hh_sample_through_trl);
    suite_add_tcase(s, hh);
    return s;
}

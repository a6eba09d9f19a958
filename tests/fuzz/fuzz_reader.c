/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the JSONL line reader and record parser (cai_reader) over one input file. */
/*
 * The input is the file itself (plain or, when it starts with the gzip magic, gzip), served
 * from a memfd through /proc/self/fd/N so nothing touches the disk. It is read three ways:
 * auto-detected and stopping at the first bad line, auto-detected skipping bad lines with a
 * small line cap, and with a forced format chosen by the input size. Every record handed out
 * is walked in full so that ASan sees any pointer that is not what the header promises.
 */
#define _GNU_SOURCE
#include "cai/record.h"
#include "fuzz_util.h"

#include <sys/mman.h>

static void walk_record(const cai_record *rec)
{
    size_t i, sum = 0;

    FZ_CHECK(rec->id && rec->id[0]);
    FZ_CHECK(rec->meta_json && rec->meta_json[0] == '{');
    FZ_CHECK(rec->file && rec->line > 0);
    FZ_CHECK(rec->n_responses >= 2 && rec->responses);
    FZ_CHECK(rec->human_choice >= -1 && rec->human_choice < (int)rec->n_responses);
    sum += strlen(rec->id) + strlen(rec->meta_json) + strlen(cai_format_name(rec->format));
    for (i = 0; i < rec->n_context; i++) {
        FZ_CHECK(rec->context[i].content);
        FZ_CHECK(rec->context[i].role <= CAI_ROLE_ASSISTANT);
        sum += strlen(rec->context[i].content);
    }
    for (i = 0; i < rec->n_responses; i++) {
        FZ_CHECK(rec->responses[i]);
        sum += strlen(rec->responses[i]);
    }
    (void)sum;
}

/* Reads path to the end (or the first error when skip_invalid is 0). */
static void read_all(const char *path, cai_format format, size_t max_line, int skip_invalid)
{
    cai_reader_opts o = CAI_READER_OPTS_INIT;
    cai_reader *r = NULL;
    cai_error err = {0};
    const cai_record *rec;
    cai_status st;
    size_t i;

    o.format = format;
    o.max_line_bytes = max_line;
    o.skip_invalid = skip_invalid;
    if (cai_reader_create(&r, path, &o, &err) != CAI_OK) {
        FZ_CHECK(r == NULL);
        return;
    }
    while ((st = cai_reader_next(r, &rec, &err)) == CAI_OK)
        walk_record(rec);
    FZ_CHECK(st == CAI_ITEROVER || err.msg[0] != '\0'); /* a failure always says why */
    FZ_CHECK(cai_reader_bytes(r) < ((uint64_t)1 << 40));
    for (i = 0; cai_reader_skipped_msg(r, i); i++)
        FZ_CHECK(strlen(cai_reader_skipped_msg(r, i)) > 0);
    FZ_CHECK(i <= cai_reader_skipped(r));
    for (i = 0; cai_reader_warning_msg(r, i); i++)
        FZ_CHECK(strlen(cai_reader_warning_msg(r, i)) > 0);
    FZ_CHECK(i <= cai_reader_warnings(r));
    cai_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = memfd_create("cai-fuzz-reader", MFD_CLOEXEC);

    if (fd < 0)
        return 0;
    if (size > 0 && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    read_all(path, CAI_FORMAT_AUTO, 0, 0);
    read_all(path, CAI_FORMAT_AUTO, 256, 1);
    read_all(path, (cai_format)(1 + size % 5), 0, 1);
    close(fd);
    return 0;
}

/* SPDX-License-Identifier: MIT */
/* Helpers shared by the test suites: scratch directories, files, gzip read-back, commands. */
#ifndef CAI_TESTUTIL_H
#define CAI_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* A client timeout for tests whose fake server hangs on purpose: seconds times
 * CAI_TEST_TIME_SCALE (default 1), so that a run under valgrind, many times
 * slower, does not time out on answers the server has already given. */
double tu_timeout(double seconds);
/* A fresh empty directory under $CAI_TEST_TMP (or /tmp); caller frees the path. */
char *tu_mkdtemp(const char *tag);
/* Removes a directory tree (rm -rf semantics). */
void tu_rmtree(const char *path);
/* Writes len bytes to path (creates or truncates); returns 0 on success. */
int tu_write_file(const char *path, const void *data, size_t len);
/* Writes data gzip-compressed to path; returns 0 on success. */
int tu_write_gz(const char *path, const void *data, size_t len);
/* Reads a whole file, gunzipping when it starts with the gzip magic; NUL-terminated; NULL on error.
 */
char *tu_read_file(const char *path, size_t *len);
/* tu_read_file of dir/name. */
char *tu_read_in(const char *dir, const char *name);
/* Number of '\n'-terminated lines in s. */
size_t tu_count_lines(const char *s);
/* Number of entries in directory dir other than "." and ".."; -1 when it cannot be read. */
int tu_count_entries(const char *dir);
/* printf into a new heap string. */
char *tu_strdupf(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* Runs a shell command; stdout+stderr captured into *output (may be NULL); returns exit code. */
int tu_run(const char *cmd, char **output);
/* Path of the shared data directory (../shared from the project root). */
const char *tu_shared_dir(void);
/* Path of the HH-RLHF sample (harmless-base-test-head1000.jsonl.gz), which is not part of the
 * repository: $CAI_HH_SAMPLE when set, else the CMake variable CAI_HH_SAMPLE (default
 * ../shared/data/hh-rlhf/ beside the project root). Only cases tagged "hh_sample" read it. */
const char *tu_hh_sample(void);
/* Path of the source tree. */
const char *tu_source_dir(void);
/* Path of the built cai binary. */
const char *tu_cai_binary(void);

#endif

/* SPDX-License-Identifier: MIT */
/* Internal helpers shared by modules: growing arrays, building text, reading small files. */
#ifndef CAI_UTIL_INT_H
#define CAI_UTIL_INT_H

#include "cai/common.h"

#include <stddef.h>
#include <stdio.h>

/*
 * Room for need elements of elem bytes in arr, whose capacity is *cap: returns arr itself when
 * it is big enough, else arr reallocated to the next power-of-two multiple of min_cap (*cap
 * updated). NULL when out of memory or the size overflows; arr and *cap are then unchanged.
 * Usage: T *n = cai__grow(a->v, &a->cap, a->n + 1, sizeof(*n), 16); if (!n) ...; a->v = n;
 */
void *cai__grow(void *arr, size_t *cap, size_t need, size_t elem, size_t min_cap);

/*
 * A growing NUL-terminated text. An allocation failure is sticky: later calls do nothing and
 * cai_buf__take returns NULL, so a builder checks once at the end. Zero-initialise to start.
 */
typedef struct cai_buf {
    char *p;
    size_t len, cap;
    int oom;
} cai_buf;

void cai_buf__put(cai_buf *b, const char *s, size_t n);
void cai_buf__puts(cai_buf *b, const char *s);
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void cai_buf__printf(cai_buf *b, const char *fmt, ...);
/* Hands the text over ("" when nothing was added; NULL, the buffer freed, after a failure);
 * the builder is empty afterwards. */
char *cai_buf__take(cai_buf *b);

/*
 * The shortest "%.*g" text of v that reads back as v ("0", "0.7", "1e-05", "0.722222222222222"):
 * nothing is lost, and one double always prints the same bytes.
 */
void cai__format_double(double v, char out[32]);

/*
 * Reads all of f (named path in messages) into a NUL-terminated heap buffer (caller frees):
 * CAI_ELIMIT "PATH: larger than CAP bytes", CAI_EIO "PATH: cannot read: ...", CAI_ENOMEM.
 * The buffer starts at the file's size when fstat knows it and grows if the file does.
 */
cai_status
cai__read_stream(FILE *f, const char *path, size_t cap, char **out, size_t *len, cai_error *err);

/* mkdir -p: creates path and its missing parents (mode 0755 less the umask). CAI_EIO naming the
 * part that failed, CAI_ENOMEM. */
cai_status cai__mkdir_p(const char *path, cai_error *err);

/* Every temporary file cai creates ends with this, after a hidden, unique name. */
#define CAI_TEMP_SUFFIX ".cai-tmp"

/*
 * Creates dir/.NAME.<unique>.cai-tmp with O_CREAT | O_EXCL (mode 0644 less the umask): *fd is
 * open for writing and *path (caller frees) is its name. Two processes, or two writers in one,
 * never share a temporary file. CAI_EIO naming dir and NAME, CAI_ENOMEM; then *fd = -1.
 */
cai_status
cai__create_temp(int *fd, char **path, const char *dir, const char *name, cai_error *err);

#endif

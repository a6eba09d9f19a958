/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the fuzz targets: scratch directories and files for one input. */
#ifndef CAI_FUZZ_UTIL_H
#define CAI_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A fresh directory under $TMPDIR (or /tmp) in buf; returns 0, or -1 (the target then skips
 * the input: a full disk is not a finding). */
static inline int fz_mkdtemp(char *buf, size_t size)
{
    const char *t = getenv("TMPDIR");

    if (!t || !t[0])
        t = "/tmp";
    if ((size_t)snprintf(buf, size, "%s/cai-fuzz-XXXXXX", t) >= size)
        return -1;
    return mkdtemp(buf) ? 0 : -1;
}

/* dir + "/" + name into buf; returns buf, or NULL when it does not fit. */
static inline char *fz_join(char *buf, size_t size, const char *dir, const char *name)
{
    if ((size_t)snprintf(buf, size, "%s/%s", dir, name) >= size)
        return NULL;
    return buf;
}

/* Writes size bytes to path; returns 0 or -1. */
static inline int fz_write(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    int bad;

    if (!f)
        return -1;
    bad = size > 0 && fwrite(data, 1, size, f) != size;
    if (fclose(f) != 0)
        bad = 1;
    return bad ? -1 : 0;
}

/* A NUL-terminated heap copy of data (the library's C-string APIs need one); abort on OOM,
 * which libFuzzer reports on its own with -rss_limit_mb anyway. */
static inline char *fz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (!s)
        abort();
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Fails the run with a message: libFuzzer saves the input as a crash. */
#define FZ_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif

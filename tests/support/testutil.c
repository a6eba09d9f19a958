/* SPDX-License-Identifier: MIT */
/* Test helpers: scratch directories, file I/O, gzip read-back and running commands. */
#define _GNU_SOURCE /* mkdtemp, nftw */
#include "testutil.h"

#include <dirent.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

double tu_timeout(double seconds)
{
    const char *v = getenv("CAI_TEST_TIME_SCALE");
    double scale = v && *v ? strtod(v, NULL) : 1.0;

    return scale >= 1.0 ? seconds * scale : seconds;
}

char *tu_mkdtemp(const char *tag)
{
    const char *base = getenv("CAI_TEST_TMP");
    char *path;

    if (!base || !*base)
        base = "/tmp";
    mkdir(base, 0755);
    path = tu_strdupf("%s/%s-XXXXXX", base, tag);
    if (!mkdtemp(path)) {
        free(path);
        return NULL;
    }
    return path;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

void tu_rmtree(const char *path)
{
    if (path)
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int tu_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    int rc;

    if (!f)
        return -1;
    rc = fwrite(data, 1, len, f) == len ? 0 : -1;
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

int tu_write_gz(const char *path, const void *data, size_t len)
{
    gzFile gz = gzopen(path, "wb");
    int rc = 0;

    if (!gz)
        return -1;
    if (len && gzwrite(gz, data, (unsigned)len) != (int)len)
        rc = -1;
    if (gzclose(gz) != Z_OK)
        rc = -1;
    return rc;
}

char *tu_read_file(const char *path, size_t *len)
{
    gzFile gz = gzopen(path, "rb"); /* gzread passes plain files through unchanged */
    size_t cap = 1 << 16, n = 0;
    char *buf, *tmp;
    int got;

    if (!gz)
        return NULL;
    buf = malloc(cap + 1);
    while (buf) {
        if (n == cap) {
            cap *= 2;
            tmp = realloc(buf, cap + 1);
            if (!tmp) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = tmp;
        }
        got = gzread(gz, buf + n, (unsigned)(cap - n));
        if (got < 0) {
            free(buf);
            buf = NULL;
            break;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    gzclose(gz);
    if (buf) {
        buf[n] = '\0';
        if (len)
            *len = n;
    }
    return buf;
}

char *tu_read_in(const char *dir, const char *name)
{
    char *path = tu_strdupf("%s/%s", dir, name);
    char *text = path ? tu_read_file(path, NULL) : NULL;

    free(path);
    return text;
}

size_t tu_count_lines(const char *s)
{
    size_t n = 0;

    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

int tu_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

char *tu_strdupf(const char *fmt, ...)
{
    va_list ap;
    int n;
    char *s;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

int tu_run(const char *cmd, char **output)
{
    char *full = tu_strdupf("(%s) 2>&1", cmd);
    FILE *p = popen(full, "r");
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    int st;

    free(full);
    if (!p || !buf) {
        free(buf);
        if (p)
            pclose(p);
        return -1;
    }
    for (;;) {
        size_t got;
        if (n == cap) {
            char *tmp = realloc(buf, cap * 2 + 1);
            if (!tmp)
                break;
            buf = tmp;
            cap *= 2;
        }
        got = fread(buf + n, 1, cap - n, p);
        if (got == 0)
            break;
        n += got;
    }
    buf[n] = '\0';
    st = pclose(p);
    if (output)
        *output = buf;
    else
        free(buf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

const char *tu_shared_dir(void)
{
    return CAI_SHARED_DIR;
}

const char *tu_hh_sample(void)
{
    const char *p = getenv("CAI_HH_SAMPLE");

    return p && *p ? p : CAI_HH_SAMPLE;
}

const char *tu_source_dir(void)
{
    return CAI_SOURCE_DIR;
}

const char *tu_cai_binary(void)
{
    return CAI_BINARY;
}

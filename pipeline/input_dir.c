/* SPDX-License-Identifier: MIT */
/* Turns a cai output directory given as input into the data shards its manifest lists. */
#include "input_dir_int.h"
#include "error_int.h"
#include "util_int.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A manifest is small (paths, digests, statistics); a bigger one is not cai's. */
#define MANIFEST_CAP ((size_t)64 << 20)

/* A relative path that stays inside the directory: no leading '/', no ".." component. */
static int inside(const char *rel)
{
    const char *s = rel;

    if (!*rel || *rel == '/')
        return 0;
    while (*s) {
        size_t len = strcspn(s, "/");
        if (len == 2 && s[0] == '.' && s[1] == '.')
            return 0;
        s += len;
        while (*s == '/')
            s++;
    }
    return 1;
}

static int is_hex64(const char *s)
{
    size_t i;

    for (i = 0; i < 64; i++)
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return 0;
    return s[64] == '\0';
}

/* Appends one input (path taken on CAI_OK only is not needed: every field is copied). */
static cai_status add(cai_input_list *l,
                      size_t *cap,
                      const char *path,
                      const char *sha,
                      const char *from,
                      uint64_t bytes,
                      cai_error *err)
{
    size_t c = *cap;
    char **p = cai__grow(l->paths, &c, l->n + 1, sizeof(*p), 8);

    if (!p)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    l->paths = p;
    if (c != *cap) { /* the parallel arrays follow the first one's capacity */
        char **s = realloc(l->sha256, c * sizeof(*s)), **f;
        uint64_t *b;
        if (!s)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        l->sha256 = s;
        f = realloc(l->from, c * sizeof(*f));
        if (!f)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        l->from = f;
        b = realloc(l->bytes, c * sizeof(*b));
        if (!b)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        l->bytes = b;
        *cap = c;
    }
    l->paths[l->n] = strdup(path);
    l->sha256[l->n] = sha ? strdup(sha) : NULL;
    l->from[l->n] = from ? strdup(from) : NULL;
    l->bytes[l->n] = bytes;
    l->n++;
    if (!l->paths[l->n - 1] || (sha && !l->sha256[l->n - 1]) || (from && !l->from[l->n - 1]))
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    return CAI_OK;
}

/* One "files" entry of mpath: its shard, checked to be listed well and to exist. */
static cai_status shard(cai_input_list *l,
                        size_t *cap,
                        const char *dir,
                        const char *mpath,
                        const cJSON *e,
                        int i,
                        cai_error *err)
{
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(e, "path");
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(e, "sha256");
    const cJSON *bytes = cJSON_GetObjectItemCaseSensitive(e, "bytes");
    const char *rel;
    struct stat sb;
    char *full;
    cai_status st;

    if (!cJSON_IsObject(e) || !cJSON_IsString(path))
        return cai_error__set(err, CAI_ESCHEMA, "%s: files[%d]: no \"path\" string", mpath, i);
    rel = path->valuestring;
    while (strncmp(rel, "./", 2) == 0)
        rel += 2;
    if (!inside(rel))
        return cai_error__set(err, CAI_ESCHEMA,
                              "%s: files[%d]: \"%.200s\" is not a path inside the directory", mpath,
                              i, path->valuestring);
    if (!cJSON_IsString(sha) || !is_hex64(sha->valuestring))
        return cai_error__set(err, CAI_ESCHEMA,
                              "%s: files[%d]: no \"sha256\" (64 lower-case hex digits) to check "
                              "%.200s against",
                              mpath, i, rel);
    if (bytes && !(cJSON_IsNumber(bytes) && bytes->valuedouble >= 0 &&
                   bytes->valuedouble < 9007199254740992.0 &&
                   bytes->valuedouble == (double)(uint64_t)bytes->valuedouble))
        return cai_error__set(err, CAI_ESCHEMA, "%s: files[%d]: \"bytes\" is not a size", mpath, i);
    full = cai__path_join(dir, rel); /* "S/" and "S" name the same shards */
    if (!full)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    errno = 0;
    if (stat(full, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = cai_error__set(err, CAI_EIO, "%s: listed in %s but %s", full, mpath,
                            errno == ENOENT ? "missing" : "not a regular file");
        free(full);
        return st;
    }
    st = add(l, cap, full, sha->valuestring, mpath,
             bytes ? (uint64_t)bytes->valuedouble : UINT64_MAX, err);
    free(full);
    return st;
}

/* The shards of directory dir, from its manifest, appended in the manifest's order. */
static cai_status expand_dir(cai_input_list *l, size_t *cap, const char *dir, cai_error *err)
{
    char *mpath = cai__path_join(dir, "manifest.json"), *text = NULL;
    cJSON *m = NULL;
    const cJSON *files, *e;
    FILE *f = NULL;
    size_t len = 0;
    int i = 0;
    cai_status st = CAI_OK;

    if (!mpath)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    f = fopen(mpath, "rb");
    if (!f) {
        st = cai_error__set(err, CAI_EIO,
                            errno == ENOENT ? "%s: no manifest.json (a directory given as input "
                                              "must be a finished cai output directory)"
                                            : "%s: cannot read manifest.json: %s",
                            dir, strerror(errno));
        goto out;
    }
    st = cai__read_stream(f, mpath, MANIFEST_CAP, &text, &len, err);
    if (st != CAI_OK)
        goto out;
    m = strlen(text) == len ? cJSON_Parse(text) : NULL; /* a NUL inside is not JSON */
    if (!cJSON_IsObject(m)) {
        st = cai_error__set(err, CAI_EPARSE, "%s: not a JSON object", mpath);
        goto out;
    }
    files = cJSON_GetObjectItemCaseSensitive(m, "files");
    if (!cJSON_IsArray(files)) {
        st = cai_error__set(err, CAI_ESCHEMA, "%s: no \"files\" array (not a cai manifest)", mpath);
        goto out;
    }
    /* "files" holds the data (a run's train and test); "failed" and "ties" are beside it. */
    cJSON_ArrayForEach(e, files)
    {
        st = shard(l, cap, dir, mpath, e, i++, err);
        if (st != CAI_OK)
            goto out;
    }
    if (i == 0)
        st = cai_error__set(err, CAI_ESCHEMA, "%s: \"files\" lists no data shard", mpath);
out:
    if (f)
        fclose(f);
    cJSON_Delete(m);
    free(text);
    free(mpath);
    return st;
}

cai_status cai_input_dir__expand(cai_input_list *out,
                                 const char *const *inputs,
                                 size_t n,
                                 const char *output_dir,
                                 cai_error *err)
{
    struct stat ob;
    int have_out = output_dir && stat(output_dir, &ob) == 0;
    size_t i, cap = 0;
    cai_status st = CAI_OK;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < n && st == CAI_OK; i++) {
        struct stat sb;
        int dir = strcmp(inputs[i], "-") != 0 && stat(inputs[i], &sb) == 0 && S_ISDIR(sb.st_mode);
        if (dir && have_out && sb.st_dev == ob.st_dev && sb.st_ino == ob.st_ino)
            /* the run would rewrite the shards it reads, and refuse its own journal next time */
            st = cai_error__set(err, CAI_EINVAL, "%s: the input directory is the output directory",
                                inputs[i]);
        else if (dir)
            st = expand_dir(out, &cap, inputs[i], err);
        else /* a file, or "-", or a missing path the reader reports as it does today */
            st = add(out, &cap, inputs[i], NULL, NULL, 0, err);
    }
    if (st != CAI_OK)
        cai_input_dir__dispose(out);
    return st;
}

cai_status cai_input_dir__check(
    const cai_input_list *l, size_t i, const char *sha256_hex, uint64_t bytes, cai_error *err)
{
    if (!l || i >= l->n || !l->sha256[i])
        return CAI_OK;
    if (l->bytes[i] != UINT64_MAX && l->bytes[i] != bytes)
        return cai_error__set(err, CAI_EMISMATCH,
                              "%s: %llu bytes, but %s says %llu (the directory changed after "
                              "it was written)",
                              l->paths[i], (unsigned long long)bytes, l->from[i],
                              (unsigned long long)l->bytes[i]);
    if (strcmp(l->sha256[i], sha256_hex) != 0)
        return cai_error__set(err, CAI_EMISMATCH,
                              "%s: SHA-256 %.64s differs from %s's %.64s (the directory "
                              "changed after it was written)",
                              l->paths[i], sha256_hex, l->from[i], l->sha256[i]);
    return CAI_OK;
}

void cai_input_dir__dispose(cai_input_list *l)
{
    size_t i;

    if (!l)
        return;
    for (i = 0; i < l->n; i++) {
        free(l->paths[i]);
        free(l->sha256[i]);
        free(l->from[i]);
    }
    free(l->paths);
    free(l->sha256);
    free(l->from);
    free(l->bytes);
    memset(l, 0, sizeof(*l));
}

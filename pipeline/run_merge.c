/* SPDX-License-Identifier: MIT */
/*
 * What `cai merge` reads from finished shard directories: each shard's spec (its manifest), a
 * check that the shards are one complete, disjoint set, and the reasons of the pairs that failed
 * there. The merge itself replays the unsharded plan in run.c, taking every judgment from the
 * shard journal that owns the pair, so the dataset is written by the same code as an unsharded
 * run and has its bytes.
 */
#include "run_int.h"
#include "hash_int.h"
#include "error_int.h"
#include "util_int.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MANIFEST_MAX (64u << 20)

static char *read_small(const char *path, cai_error *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n;
    cai_status st;

    if (!f) {
        cai_error__set(err, errno == ENOENT ? CAI_EINVAL : CAI_EIO, "%s: %s", path,
                       strerror(errno));
        return NULL;
    }
    st = cai__read_stream(f, path, MANIFEST_MAX, &buf, &n, err);
    fclose(f);
    return st == CAI_OK ? buf : NULL;
}

static cai_status
read_shard(const char *dir, cai_shard *out, char **command_line, uint64_t *tokens, cai_error *err);

cai_status cai_run__shard_spec(const char *dir, cai_shard *out, uint64_t tokens[3], cai_error *err)
{
    return read_shard(dir, out, NULL, tokens, err);
}

cai_status cai_shard_dir_read(const char *dir, cai_shard *out, char **command_line, cai_error *err)
{
    return read_shard(dir, out, command_line, NULL, err);
}

/* statistics.NAME of a manifest as a count (0 when absent). */
static uint64_t stat_u64(const cJSON *m, const char *name)
{
    const cJSON *v =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "statistics"), name);

    return cJSON_IsNumber(v) && v->valuedouble > 0 ? (uint64_t)v->valuedouble : 0;
}

static cai_status
read_shard(const char *dir, cai_shard *out, char **command_line, uint64_t *tokens, cai_error *err)
{
    char *path = cai__path_join(dir, "manifest.json"), *text = NULL;
    cJSON *m = NULL;
    const cJSON *s, *i, *n;
    cai_status st = CAI_OK;

    memset(out, 0, sizeof(*out));
    if (command_line)
        *command_line = NULL;
    if (!path)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    if (access(path, F_OK) != 0) {
        st = cai_error__set(err, CAI_EINVAL,
                            "%s: no manifest.json: the shard has not finished (run its command "
                            "again to resume it)",
                            dir);
        goto out;
    }
    text = read_small(path, err);
    if (!text) {
        st = err ? err->code : CAI_EIO;
        goto out;
    }
    m = cJSON_Parse(text);
    s = cJSON_GetObjectItemCaseSensitive(m, "shard");
    i = cJSON_GetObjectItemCaseSensitive(s, "index");
    n = cJSON_GetObjectItemCaseSensitive(s, "count");
    if (!m) {
        st = cai_error__set(err, CAI_EPARSE, "%s: not valid JSON", path);
    } else if (!cJSON_IsNumber(i) || !cJSON_IsNumber(n) || n->valuedouble < 1 ||
               i->valuedouble < 0 || i->valuedouble >= n->valuedouble ||
               n->valuedouble > CAI_SHARD_MAX) {
        st = cai_error__set(err, CAI_EINVAL,
                            "%s: not the output of a sharded run (no \"shard\" in manifest.json)",
                            dir);
    } else {
        const cJSON *cl = cJSON_GetObjectItemCaseSensitive(m, "command_line");
        out->index = (unsigned)i->valuedouble;
        out->count = (unsigned)n->valuedouble;
        if (tokens) {
            tokens[0] = stat_u64(m, "prompt_tokens");
            tokens[1] = stat_u64(m, "completion_tokens");
            tokens[2] = stat_u64(m, "cached_prompt_tokens");
        }
        if (command_line && cJSON_IsString(cl) && !(*command_line = strdup(cl->valuestring)))
            st = cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
out:
    cJSON_Delete(m);
    free(text);
    free(path);
    return st;
}

/* Appends ", N" (or "N") to a message buffer, keeping it NUL-terminated. */
static void add_num(char *buf, size_t cap, unsigned v)
{
    size_t len = strlen(buf);

    if (len + 16 < cap)
        snprintf(buf + len, cap - len, "%s%u", len ? ", " : "", v);
}

cai_status
cai_run__check_shards(const cai_shard *specs, const char *const *dirs, size_t n, cai_error *err)
{
    unsigned count = n ? specs[0].count : 0, i;
    size_t k;
    unsigned char *seen;
    char missing[160] = "", twice[160] = "";

    if (!n)
        return cai_error__set(err, CAI_EINVAL, "merge: no shard directories given");
    for (k = 1; k < n; k++)
        if (specs[k].count != count)
            return cai_error__set(err, CAI_EINVAL,
                                  "merge: %s is shard %u/%u but %s is of %u shards: they are "
                                  "not one run",
                                  dirs[k], specs[k].index, specs[k].count, dirs[0], count);
    seen = calloc(count, 1);
    if (!seen)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    for (k = 0; k < n; k++)
        if (seen[specs[k].index]++ == 1)
            add_num(twice, sizeof(twice), specs[k].index);
    for (i = 0; i < count; i++)
        if (!seen[i])
            add_num(missing, sizeof(missing), i);
    free(seen);
    if (*missing || *twice)
        return cai_error__set(err, CAI_EINVAL, "merge: of %u shards, %s%s%s%s%s", count,
                              *missing ? "missing: " : "", missing, *missing && *twice ? "; " : "",
                              *twice ? "given more than once: " : "", twice);
    return CAI_OK;
}

/* ---- failed pairs' reasons ------------------------------------------------------------- */

typedef struct reason {
    uint64_t h;
    char *text;
} reason;

struct cai_merge_reasons {
    reason *v;
    size_t n, cap;
};

static uint64_t id_hash(const char *id)
{
    return cai_hash64(id, strlen(id), 0x6661696cULL /* "fail" */);
}

cai_status cai_run__load_reasons(cai_merge_reasons **io, const char *dir, cai_error *err)
{
    cai_merge_reasons *m = *io;
    char *path = cai__path_join(dir, "failed.jsonl.gz");
    cai_lines *l = NULL;
    const char *line;
    size_t len;
    uint64_t lineno;
    cai_status st;

    if (!path)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    if (!m && !(m = *io = calloc(1, sizeof(*m)))) {
        free(path);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    st = cai_lines_create(&l, path, 0, err);
    while (st == CAI_OK && (st = cai_lines_next(l, &line, &len, &lineno, err)) == CAI_OK) {
        cJSON *o = cJSON_ParseWithLength(line, len);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
        const cJSON *why = cJSON_GetObjectItemCaseSensitive(o, "reason");
        if (!cJSON_IsString(id) || !cJSON_IsString(why)) {
            cJSON_Delete(o);
            st = cai_error__set(err, CAI_ESCHEMA, "%s:%llu: not a failed-pair record", path,
                                (unsigned long long)lineno);
            break;
        }
        {
            reason *nv = cai__grow(m->v, &m->cap, m->n + 1, sizeof(*nv), 64);
            if (!nv) {
                cJSON_Delete(o);
                st = cai_error__set(err, CAI_ENOMEM, "out of memory");
                break;
            }
            m->v = nv;
        }
        m->v[m->n].h = id_hash(id->valuestring);
        m->v[m->n].text = strdup(why->valuestring);
        cJSON_Delete(o);
        if (!m->v[m->n].text) {
            st = cai_error__set(err, CAI_ENOMEM, "out of memory");
            break;
        }
        m->n++;
    }
    cai_lines_free(l);
    free(path);
    return st == CAI_ITEROVER ? CAI_OK : st;
}

const char *cai_run__reason(const cai_merge_reasons *m, const char *id)
{
    uint64_t h = id_hash(id);
    size_t i;

    /* Failed pairs are few (--max-failure-rate); a scan per failed judgment is enough. */
    for (i = 0; m && i < m->n; i++)
        if (m->v[i].h == h)
            return m->v[i].text;
    return NULL;
}

void cai_run__reasons_free(cai_merge_reasons *m)
{
    size_t i;

    if (!m)
        return;
    for (i = 0; i < m->n; i++)
        free(m->v[i].text);
    free(m->v);
    free(m);
}

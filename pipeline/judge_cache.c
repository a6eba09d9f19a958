/* SPDX-License-Identifier: MIT */
/* The judge's answer cache: a table in memory, optionally backed by an append-only file. */
#include "judge_int.h"
#include "error_int.h"
#include "htab_int.h"
#include "util_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The in-run answer cache is bounded so memory stays flat in the size of the input: without a
 * cache directory it holds the most recent 49,152 answers (2.5 MiB) and starts afresh when full,
 * which still catches duplicate requests close together; with a cache directory the user has
 * asked for reuse across runs, and it may grow to 786,432 answers (40 MiB).
 */
#define CACHE_RUN_SLOTS  (1u << 16)
#define CACHE_DISK_SLOTS (1u << 20)
#define CACHE_FILE       "cai-judge-cache.v1"

/* The table's key: (0, 0) marks an empty slot, so it is stored as (0, 1). */
static void cache_key(uint64_t key[2], uint64_t k1, uint64_t k2)
{
    key[0] = k1;
    key[1] = k1 == 0 && k2 == 0 ? 1 : k2;
}

centry *cai_judge__cache_find(cai_judge *j, uint64_t k1, uint64_t k2)
{
    uint64_t key[2];

    cache_key(key, k1, k2);
    return cai_htab__find(&j->cache, key);
}

/* Remembers an answer; silently does nothing when a disk-backed cache is full or memory is short.
 */
void cai_judge__cache_put(cai_judge *j, const centry *in)
{
    cai_htab *t = &j->cache;
    uint64_t key[2];
    centry *e;
    int found;

    if (!t->slot_size)
        cai_htab__init(t, sizeof(centry), sizeof(key));
    /* The table would double on this insert: past the bound, a disk-backed cache stops taking
     * answers and the in-run cache starts a new generation. */
    if ((t->count + 1) * 4 > t->cap * 3 &&
        (t->cap ? t->cap * 2 : 1024) > (j->cache_dir ? CACHE_DISK_SLOTS : CACHE_RUN_SLOTS)) {
        if (j->cache_dir)
            return;
        cai_htab__clear(t);
    }
    cache_key(key, in->k1, in->k2);
    if (!(e = cai_htab__insert(t, key, &found)))
        return;
    *e = *in;
    e->k1 = key[0];
    e->k2 = key[1];
}

int cai_judge__hex_u64(const char *h, uint64_t *out)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < 16; i++) {
        char c = h[i];
        unsigned d;

        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            return -1;
        v = (v << 4) | d;
    }
    *out = v;
    return 0;
}

/* Loads the disk cache; lines that do not parse (a torn tail) are skipped. */
cai_status cai_judge__cache_open(cai_judge *j, cai_error *err)
{
    char *path;
    FILE *f;
    char line[256];

    if (mkdir(j->cache_dir, 0700) != 0 && errno != EEXIST)
        return cai_error__set(err, CAI_EIO, "%s: %s", j->cache_dir, strerror(errno));
    path = cai__path_join(j->cache_dir, CACHE_FILE);
    if (!path)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    f = fopen(path, "r");
    if (f) {
        while (fgets(line, sizeof(line), f)) {
            char hex[65];
            unsigned verdict, from_lp, pt, ct;
            double value;
            centry e;

            if (sscanf(line, "%64[0-9a-f] %u %u %lf %u %u", hex, &verdict, &from_lp, &value, &pt,
                       &ct) != 6 ||
                strlen(hex) != 64 || !strchr(line, '\n') || verdict > CAI_VERDICT_TIE ||
                !isfinite(value))
                continue;
            memset(&e, 0, sizeof(e));
            if (cai_judge__hex_u64(hex, &e.k1) || cai_judge__hex_u64(hex + 16, &e.k2))
                continue;
            e.value = value;
            e.verdict = (uint8_t)verdict;
            e.from_logprobs = from_lp != 0;
            e.prompt_tokens = pt;
            e.completion_tokens = ct;
            cai_judge__cache_put(j, &e);
        }
        fclose(f);
    }
    j->cache_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (j->cache_fd < 0) {
        cai_status st = cai_error__set(err, CAI_EIO, "%s: %s", path, strerror(errno));

        free(path);
        return st;
    }
    free(path);
    return CAI_OK;
}

/* Appends one answer as a single write, so concurrent writers interleave whole lines. */
void cai_judge__cache_append(cai_judge *j, const char *sha, const centry *e)
{
    char line[256];
    int n;

    if (j->cache_fd < 0)
        return;
    n = snprintf(line, sizeof(line), "%s %u %u %.17g %u %u\n", sha, (unsigned)e->verdict,
                 (unsigned)e->from_logprobs, e->value, (unsigned)e->prompt_tokens,
                 (unsigned)e->completion_tokens);
    if (n > 0 && (size_t)n < sizeof(line) && write(j->cache_fd, line, (size_t)n) != n) {
        /* The cache is an optimisation: a failed append only costs a repeat request later. */
    }
}

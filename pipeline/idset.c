/* SPDX-License-Identifier: MIT */
/* Duplicate-id detection in bounded memory: a hash table, spilled as sorted runs to anonymous
 * temporary files when full, and a k-way merge of the runs at the end (see idset_int.h). */
#include "idset_int.h"
#include "util_int.h"

#include "error_int.h"
#include "hash_int.h"
#include "htab_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define RUN_BUF 512 /* fingerprints read at once from each run during the merge (4 KiB) */

/* A sorted run: `left` fingerprints from byte `off` of the temporary file on. */
typedef struct run {
    off_t off;
    size_t left;
    uint64_t *buf; /* during the merge: RUN_BUF fingerprints read ahead */
    size_t n, i;   /* buf[i, n) not yet merged */
} run;

struct cai_idset {
    cai_htab t; /* slots: one uint64_t fingerprint, never 0 */
    size_t mem_cap;
    FILE *f; /* every run, one after another: one descriptor however many runs */
    off_t end;
    run *runs;
    size_t nruns, runs_cap;
};

uint64_t cai_idset__hash(const char *id, size_t len)
{
    uint64_t h = cai_hash64(id, len, 0x6964ULL);

    return h ? h : 1;
}

cai_status cai_idset__create(cai_idset **out, size_t mem_cap, cai_error *err)
{
    cai_idset *s;

    *out = NULL;
    if (mem_cap < 16)
        return cai_error__set(err, CAI_EINVAL, "id set: mem_cap %zu is below 16", mem_cap);
    s = calloc(1, sizeof(*s));
    if (!s)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    cai_htab__init(&s->t, sizeof(uint64_t), sizeof(uint64_t));
    s->mem_cap = mem_cap;
    *out = s;
    return CAI_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

/* Writes the table's fingerprints, sorted, to a new temporary file and empties the table. */
static int spill(cai_idset *s, cai_error *err)
{
    size_t i, n = 0;
    uint64_t *sorted;
    run *r;

    if (s->t.count == 0)
        return 0;
    r = cai__grow(s->runs, &s->runs_cap, s->nruns + 1, sizeof(*r), 8);
    if (!r)
        goto oom;
    s->runs = r;
    errno = 0;
    if (!s->f && !(s->f = tmpfile()))
        goto io;
    /* sorted in place: the table's own slots, compacted to the front (n <= i) */
    sorted = (uint64_t *)(void *)s->t.slot;
    for (i = 0; i < s->t.cap && n < s->t.count; i++) {
        uint64_t v;

        memcpy(&v, s->t.slot + i * sizeof(uint64_t), sizeof(v));
        if (v)
            sorted[n++] = v;
    }
    qsort(sorted, n, sizeof(uint64_t), cmp_u64);
    if (fwrite(sorted, sizeof(uint64_t), n, s->f) != n || fflush(s->f) != 0)
        goto io;
    r = &s->runs[s->nruns++];
    memset(r, 0, sizeof(*r));
    r->off = s->end;
    r->left = n;
    s->end += (off_t)(n * sizeof(uint64_t));
    cai_htab__clear(&s->t); /* zeroes the slots: the table is empty again */
    return 0;
io:
    cai_error__set(err, CAI_EIO,
                   "the survey's id fingerprints (8 bytes an id beyond the first %zu) could not "
                   "be written to a temporary file: %s",
                   s->mem_cap, strerror(errno ? errno : EIO));
    return -1;
oom:
    cai_error__set(err, CAI_ENOMEM, "out of memory");
    return -1;
}

int cai_idset__add(cai_idset *s, uint64_t h, cai_error *err)
{
    int found;

    if (!cai_htab__insert(&s->t, &h, &found)) {
        cai_error__set(err, CAI_ENOMEM, "out of memory");
        return -1;
    }
    if (found)
        return 1;
    return s->t.count >= s->mem_cap ? spill(s, err) : 0;
}

/* The next fingerprint of run r (1 and *v), 0 at its end, -1 on a read error. */
static int run_peek(int fd, run *r, uint64_t *v)
{
    if (r->i == r->n) {
        size_t want = r->left < RUN_BUF ? r->left : RUN_BUF;
        ssize_t got;

        if (want == 0)
            return 0;
        got = pread(fd, r->buf, want * sizeof(uint64_t), r->off);
        if (got != (ssize_t)(want * sizeof(uint64_t)))
            return -1;
        r->off += (off_t)got;
        r->left -= want;
        r->n = want;
        r->i = 0;
    }
    *v = r->buf[r->i];
    return 1;
}

/* heap[] holds run indexes ordered by their next fingerprint (key[]). */
static void sift_down(size_t *heap, const uint64_t *key, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i, t;

        if (l < n && key[heap[l]] < key[heap[m]])
            m = l;
        if (l + 1 < n && key[heap[l + 1]] < key[heap[m]])
            m = l + 1;
        if (m == i)
            return;
        t = heap[i];
        heap[i] = heap[m];
        heap[m] = t;
        i = m;
    }
}

int cai_idset__finish(cai_idset *s, uint64_t *dup, cai_error *err)
{
    size_t *heap = NULL, n = 0, i;
    uint64_t *key = NULL, *bufs = NULL, last = 0;
    int rc = 0, any = 0, fd;

    if (s->nruns == 0)
        return 0; /* everything was in the table at once: add saw any duplicate */
    if (spill(s, err) != 0)
        return -1;
    fd = fileno(s->f);
    heap = malloc(s->nruns * sizeof(*heap));
    key = malloc(s->nruns * sizeof(*key));
    bufs = malloc(s->nruns * RUN_BUF * sizeof(*bufs));
    if (!heap || !key || !bufs) {
        rc = -1;
        cai_error__set(err, CAI_ENOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < s->nruns; i++) {
        int got;

        s->runs[i].buf = bufs + i * RUN_BUF;
        got = run_peek(fd, &s->runs[i], &key[i]);
        if (got < 0)
            goto io;
        if (got)
            heap[n++] = i;
    }
    for (i = n; i-- > 0;)
        sift_down(heap, key, n, i);
    while (n > 0) {
        run *r = &s->runs[heap[0]];
        uint64_t v = key[heap[0]];
        int got;

        if (any && v == last) {
            *dup = v;
            rc = 1;
            goto out;
        }
        last = v;
        any = 1;
        r->i++;
        got = run_peek(fd, r, &key[heap[0]]);
        if (got < 0)
            goto io;
        if (!got)
            heap[0] = heap[--n];
        sift_down(heap, key, n, 0);
    }
    goto out;
io:
    rc = -1;
    cai_error__set(err, CAI_EIO,
                   "the survey's id fingerprints could not be read back from a "
                   "temporary file");
out:
    free(heap);
    free(key);
    free(bufs);
    return rc;
}

size_t cai_idset__runs(const cai_idset *s)
{
    return s->nruns;
}

void cai_idset__free(cai_idset *s)
{
    if (!s)
        return;
    if (s->f)
        fclose(s->f);
    free(s->runs);
    cai_htab__dispose(&s->t);
    free(s);
}

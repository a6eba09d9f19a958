/* SPDX-License-Identifier: MIT */
/* A compact open-addressing map from pair id (as a 128-bit hash) to a caller's value. */
#include "human_int.h"
#include "hash_int.h"
#include "error_int.h"

#include <stdlib.h>
#include <string.h>

struct cai_idmap {
    cai_idslot *slot;
    size_t cap, n; /* cap is a power of two */
    int keep_ids;
};

/* A second hash independent of FNV: a multiplicative polynomial hash, then SplitMix64's
 * finaliser, so that an FNV collision is not also a collision here. */
static uint64_t hash2(const char *s, size_t n)
{
    uint64_t h = 0x243f6a8885a308d3ULL;
    size_t i;

    for (i = 0; i < n; i++)
        h = (h + (unsigned char)s[i] + 1) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
}

static void key_of(const char *id, uint64_t *h1, uint64_t *h2)
{
    size_t n = strlen(id);

    *h1 = cai_hash64(id, n, 0x6964736c6f74ULL);
    *h2 = hash2(id, n);
    if (*h1 == 0 && *h2 == 0)
        *h2 = 1; /* (0, 0) marks an empty slot */
}

cai_status cai_idmap__create(cai_idmap **out, int keep_ids, cai_error *err)
{
    cai_idmap *m = calloc(1, sizeof(*m));

    *out = NULL;
    if (!m)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    m->cap = 1024;
    m->slot = calloc(m->cap, sizeof(*m->slot));
    if (!m->slot) {
        free(m);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    m->keep_ids = keep_ids;
    *out = m;
    return CAI_OK;
}

static cai_idslot *probe(cai_idslot *t, size_t cap, uint64_t h1, uint64_t h2)
{
    size_t i = (size_t)(h1 ^ (h2 >> 7)) & (cap - 1);

    while (t[i].h1 || t[i].h2) {
        if (t[i].h1 == h1 && t[i].h2 == h2)
            return &t[i];
        i = (i + 1) & (cap - 1);
    }
    return &t[i];
}

cai_idslot *cai_idmap__find(cai_idmap *m, const char *id)
{
    uint64_t h1, h2;
    cai_idslot *s;

    key_of(id, &h1, &h2);
    s = probe(m->slot, m->cap, h1, h2);
    return s->h1 || s->h2 ? s : NULL;
}

static int grow(cai_idmap *m)
{
    size_t cap = m->cap * 2, i;
    cai_idslot *t = calloc(cap, sizeof(*t));

    if (!t)
        return -1;
    for (i = 0; i < m->cap; i++)
        if (m->slot[i].h1 || m->slot[i].h2)
            *probe(t, cap, m->slot[i].h1, m->slot[i].h2) = m->slot[i];
    free(m->slot);
    m->slot = t;
    m->cap = cap;
    return 0;
}

cai_status
cai_idmap__upsert(cai_idmap *m, const char *id, cai_idslot **slot, int *found, cai_error *err)
{
    uint64_t h1, h2;
    cai_idslot *s;

    *slot = NULL;
    key_of(id, &h1, &h2);
    s = probe(m->slot, m->cap, h1, h2);
    if (s->h1 || s->h2) {
        *found = 1;
        *slot = s;
        return CAI_OK;
    }
    if ((m->n + 1) * 4 > m->cap * 3) { /* load factor at most 3/4 */
        if (grow(m) != 0)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        s = probe(m->slot, m->cap, h1, h2);
    }
    memset(s, 0, sizeof(*s));
    if (m->keep_ids && !(s->id = strdup(id)))
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    s->h1 = h1;
    s->h2 = h2;
    m->n++;
    *found = 0;
    *slot = s;
    return CAI_OK;
}

size_t cai_idmap__count(const cai_idmap *m)
{
    return m->n;
}

size_t cai_idmap__capacity(const cai_idmap *m)
{
    return m->cap;
}

cai_idslot *cai_idmap__at(cai_idmap *m, size_t i)
{
    return i < m->cap && (m->slot[i].h1 || m->slot[i].h2) ? &m->slot[i] : NULL;
}

void cai_idmap__free(cai_idmap *m)
{
    size_t i;

    if (!m)
        return;
    for (i = 0; i < m->cap; i++)
        free(m->slot[i].id);
    free(m->slot);
    free(m);
}

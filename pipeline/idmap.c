/* SPDX-License-Identifier: MIT */
/* A compact map from pair id (as a 128-bit hash) to a caller's value, on the util hash table. */
#include "human_int.h"
#include "hash_int.h"
#include "htab_int.h"
#include "error_int.h"

#include <stdlib.h>
#include <string.h>

struct cai_idmap {
    cai_htab t; /* cai_idslot, keyed by (h1, h2) */
    int keep_ids;
};

static void key_of(const char *id, uint64_t *h1, uint64_t *h2)
{
    size_t n = strlen(id);

    *h1 = cai_hash64(id, n, 0x6964736c6f74ULL);
    *h2 = cai_hash64_mem(id, n, 0x243f6a8885a308d3ULL); /* independent of FNV */
    if (*h1 == 0 && *h2 == 0)
        *h2 = 1; /* (0, 0) marks an empty slot */
}

cai_status cai_idmap__create(cai_idmap **out, int keep_ids, cai_error *err)
{
    cai_idmap *m = calloc(1, sizeof(*m));

    *out = NULL;
    if (!m)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    cai_htab__init(&m->t, sizeof(cai_idslot), 2 * sizeof(uint64_t));
    m->keep_ids = keep_ids;
    *out = m;
    return CAI_OK;
}

cai_idslot *cai_idmap__find(cai_idmap *m, const char *id)
{
    uint64_t k[2];

    key_of(id, &k[0], &k[1]);
    return cai_htab__find(&m->t, k);
}

cai_status
cai_idmap__upsert(cai_idmap *m, const char *id, cai_idslot **slot, int *found, cai_error *err)
{
    uint64_t k[2];
    cai_idslot *s;

    *slot = NULL;
    key_of(id, &k[0], &k[1]);
    s = cai_htab__insert(&m->t, k, found);
    if (!s)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    if (!*found && m->keep_ids && !(s->id = strdup(id)))
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    *slot = s;
    return CAI_OK;
}

size_t cai_idmap__count(const cai_idmap *m)
{
    return m->t.count;
}

size_t cai_idmap__capacity(const cai_idmap *m)
{
    return m->t.cap;
}

cai_idslot *cai_idmap__at(cai_idmap *m, size_t i)
{
    return cai_htab__at(&m->t, i);
}

void cai_idmap__free(cai_idmap *m)
{
    size_t i;

    if (!m)
        return;
    for (i = 0; i < m->t.cap; i++) {
        cai_idslot *s = cai_htab__at(&m->t, i);
        if (s)
            free(s->id);
    }
    cai_htab__dispose(&m->t);
    free(m);
}

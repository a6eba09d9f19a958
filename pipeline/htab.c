/* SPDX-License-Identifier: MIT */
/* The open-addressing hash table behind the journal index, the input survey's id set and the
 * id map: one probe loop, one growth policy. */
#include "htab_int.h"

#include <stdlib.h>
#include <string.h>

#define INITIAL_CAP 1024

void cai_htab__init(cai_htab *t, size_t slot_size, size_t key_size)
{
    memset(t, 0, sizeof(*t));
    t->slot_size = slot_size;
    t->key_size = key_size;
}

static int is_empty(const cai_htab *t, const unsigned char *s)
{
    uint64_t k[2];

    memcpy(k, s, t->key_size);
    return t->key_size == 16 ? (k[0] | k[1]) == 0 : k[0] == 0;
}

/* The slot of key in slots (cap of them): where it is, or the empty slot where it would go. */
static unsigned char *probe(const cai_htab *t, unsigned char *slots, size_t cap, const void *key)
{
    uint64_t h;
    size_t i;

    memcpy(&h, key, sizeof(h));
    for (i = (size_t)(h ^ (h >> 32)) & (cap - 1);; i = (i + 1) & (cap - 1)) {
        unsigned char *s = slots + i * t->slot_size;

        if (is_empty(t, s) || memcmp(s, key, t->key_size) == 0)
            return s;
    }
}

void *cai_htab__find(const cai_htab *t, const void *key)
{
    unsigned char *s;

    if (!t->cap)
        return NULL;
    s = probe(t, t->slot, t->cap, key);
    return is_empty(t, s) ? NULL : s;
}

static int grow(cai_htab *t)
{
    size_t ncap = t->cap ? t->cap * 2 : INITIAL_CAP, i;
    unsigned char *ns;

    if (ncap > SIZE_MAX / t->slot_size || !(ns = calloc(ncap, t->slot_size)))
        return -1;
    for (i = 0; i < t->cap; i++) {
        const unsigned char *s = t->slot + i * t->slot_size;

        if (!is_empty(t, s))
            memcpy(probe(t, ns, ncap, s), s, t->slot_size);
    }
    free(t->slot);
    t->slot = ns;
    t->cap = ncap;
    return 0;
}

void *cai_htab__insert(cai_htab *t, const void *key, int *found)
{
    unsigned char *s = t->cap ? probe(t, t->slot, t->cap, key) : NULL;

    if (s && !is_empty(t, s)) {
        *found = 1;
        return s;
    }
    if ((t->count + 1) * 4 > t->cap * 3) {
        if (grow(t) != 0)
            return NULL;
        s = probe(t, t->slot, t->cap, key);
    }
    memcpy(s, key, t->key_size);
    t->count++;
    *found = 0;
    return s;
}

void *cai_htab__at(const cai_htab *t, size_t i)
{
    unsigned char *s;

    if (i >= t->cap)
        return NULL;
    s = t->slot + i * t->slot_size;
    return is_empty(t, s) ? NULL : s;
}

void cai_htab__clear(cai_htab *t)
{
    if (t->slot)
        memset(t->slot, 0, t->cap * t->slot_size);
    t->count = 0;
}

size_t cai_htab__bytes(const cai_htab *t)
{
    return t->cap * t->slot_size;
}

void cai_htab__dispose(cai_htab *t)
{
    free(t->slot);
    t->slot = NULL;
    t->cap = t->count = 0;
}

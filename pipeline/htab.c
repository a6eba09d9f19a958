/* SPDX-License-Identifier: MIT */
/* The open-addressing hash table behind the journal index, the input survey's id set, the id
 * map, the batch parts and validation's fingerprint indexes: one probe loop, one growth step. */
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

void cai_htab__init_ref(cai_htab *t, cai_htab_key_fn key_of, const void *ctx)
{
    cai_htab__init(t, sizeof(uint32_t), 0);
    t->key_of = key_of;
    t->ctx = ctx;
}

static uint32_t ref_at(const unsigned char *s)
{
    uint32_t r;

    memcpy(&r, s, sizeof(r));
    return r;
}

static int is_empty(const cai_htab *t, const unsigned char *s)
{
    uint64_t k[2];

    if (!t->key_size)
        return ref_at(s) == 0;
    memcpy(k, s, t->key_size);
    return t->key_size == 16 ? (k[0] | k[1]) == 0 : k[0] == 0;
}

/* The first 64 bits of a slot's key (ref mode: the caller's key of the ref). */
static uint64_t hash_of(const cai_htab *t, const unsigned char *s)
{
    uint64_t h;

    if (!t->key_size)
        return t->key_of(t->ctx, ref_at(s));
    memcpy(&h, s, sizeof(h));
    return h;
}

/* Where a probe for hash h starts: its low bits in a power-of-two table, its high 32 bits
 * scaled to cap in a ref table (whose cap is not a power of two). */
static size_t home(const cai_htab *t, uint64_t h, size_t cap)
{
    if (!t->key_size)
        return (size_t)(((h >> 32) * (uint64_t)cap) >> 32);
    return (size_t)(h ^ (h >> 32)) & (cap - 1);
}

static size_t step(size_t i, size_t cap)
{
    return i + 1 == cap ? 0 : i + 1;
}

/* Does slot s hold key? (ref mode: key is the uint64_t the caller's key_of gives) */
static int holds(const cai_htab *t, const unsigned char *s, const void *key)
{
    uint64_t h;

    if (t->key_size)
        return memcmp(s, key, t->key_size) == 0;
    memcpy(&h, key, sizeof(h));
    return t->key_of(t->ctx, ref_at(s)) == h;
}

/*
 * The probe loop. From slot *i (the home of key when *i is SIZE_MAX), the first slot that is
 * empty or, when key is not NULL, holds key; *i is its index. Ends: the table is never full.
 */
static unsigned char *
probe(const cai_htab *t, unsigned char *slots, size_t cap, uint64_t h, const void *key, size_t *i)
{
    size_t j = *i == SIZE_MAX ? home(t, h, cap) : *i;

    for (;; j = step(j, cap)) {
        unsigned char *s = slots + j * t->slot_size;

        if (is_empty(t, s) || (key && holds(t, s, key))) {
            *i = j;
            return s;
        }
    }
}

static unsigned char *
probe_key(const cai_htab *t, unsigned char *slots, size_t cap, const void *key)
{
    uint64_t h;
    size_t i = SIZE_MAX;

    memcpy(&h, key, sizeof(h));
    return probe(t, slots, cap, h, key, &i);
}

void *cai_htab__find(const cai_htab *t, const void *key)
{
    unsigned char *s;

    if (!t->cap || !t->key_size)
        return NULL;
    s = probe_key(t, t->slot, t->cap, key);
    return is_empty(t, s) ? NULL : s;
}

/* Room for one more: a keyed table doubles at 3/4 full, a ref table grows by half at 4/5 (so it
 * stays between 8/15 and 4/5 full: at most 7.5 bytes a ref). */
static int reserve(cai_htab *t)
{
    size_t ncap, i;
    unsigned char *ns;

    if (t->key_size ? (t->count + 1) * 4 <= t->cap * 3 : (t->count + 1) * 5 <= t->cap * 4)
        return 0;
    ncap = !t->cap ? INITIAL_CAP : t->key_size ? t->cap * 2 : t->cap + t->cap / 2;
    if (ncap > SIZE_MAX / t->slot_size || (!t->key_size && ncap >= UINT32_MAX) ||
        !(ns = calloc(ncap, t->slot_size)))
        return -1;
    for (i = 0; i < t->cap; i++) {
        const unsigned char *s = t->slot + i * t->slot_size;
        size_t at = SIZE_MAX;

        if (!is_empty(t, s))
            memcpy(probe(t, ns, ncap, hash_of(t, s), NULL, &at), s, t->slot_size);
    }
    free(t->slot);
    t->slot = ns;
    t->cap = ncap;
    return 0;
}

void *cai_htab__insert(cai_htab *t, const void *key, int *found)
{
    unsigned char *s;

    if (!t->key_size)
        return NULL;
    s = t->cap ? probe_key(t, t->slot, t->cap, key) : NULL;
    if (s && !is_empty(t, s)) {
        *found = 1;
        return s;
    }
    if (!s || (t->count + 1) * 4 > t->cap * 3) {
        if (reserve(t) != 0)
            return NULL;
        s = probe_key(t, t->slot, t->cap, key);
    }
    memcpy(s, key, t->key_size);
    t->count++;
    *found = 0;
    return s;
}

int cai_htab__add_ref(cai_htab *t, uint32_t ref)
{
    size_t i = SIZE_MAX;

    if (t->key_size || !ref || reserve(t) != 0)
        return -1;
    memcpy(probe(t, t->slot, t->cap, t->key_of(t->ctx, ref), NULL, &i), &ref, sizeof(ref));
    t->count++;
    return 0;
}

uint32_t cai_htab__next_ref(const cai_htab *t, uint64_t key, size_t *pos)
{
    size_t i;
    unsigned char *s;

    if (!t->cap || t->key_size || *pos == SIZE_MAX)
        return 0;
    i = *pos ? *pos - 1 : SIZE_MAX;
    s = probe(t, t->slot, t->cap, key, &key, &i);
    if (is_empty(t, s)) {
        *pos = SIZE_MAX; /* the run ended: stays ended */
        return 0;
    }
    *pos = step(i, t->cap) + 1;
    return ref_at(s);
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

/* SPDX-License-Identifier: MIT */
/* The one open-addressing hash table of the library: fixed-size slots whose first bytes are a
 * 64- or 128-bit key (all-zero bytes mark an empty slot), linear probing, no deletion. */
#ifndef CAI_HTAB_INT_H
#define CAI_HTAB_INT_H

#include <stddef.h>
#include <stdint.h>

/*
 * A slot is the caller's struct: its first key_size bytes (8 or 16, one or two uint64_t) are
 * the key and the rest is the caller's. The key must not be all zeros (that marks an empty
 * slot; callers map a zero hash to 1) and is expected to be a well-mixed hash already: its
 * first 64 bits choose the home slot. The capacity is a power of two, at most 3/4 full.
 * Slot pointers stay valid until the next insert that grows the table.
 * Zero-initialise it or call cai_htab__init; nothing is allocated before the first insert.
 */
typedef struct cai_htab {
    unsigned char *slot;
    size_t cap, count;
    size_t slot_size, key_size;
} cai_htab;

void cai_htab__init(cai_htab *t, size_t slot_size, size_t key_size);
/* The slot holding key, or NULL. */
void *cai_htab__find(const cai_htab *t, const void *key);
/* The slot holding key (*found = 1), or a new one with the key set and the rest zero
 * (*found = 0). NULL when out of memory (the table is unchanged). */
void *cai_htab__insert(cai_htab *t, const void *key, int *found);
/* Slot i of [0, cap), or NULL when it is empty: to iterate. */
void *cai_htab__at(const cai_htab *t, size_t i);
/* Empties the table and keeps its memory. */
void cai_htab__clear(cai_htab *t);
/* Bytes allocated for the slots. */
size_t cai_htab__bytes(const cai_htab *t);
/* Frees the slots; the table is empty (and usable) afterwards. */
void cai_htab__dispose(cai_htab *t);

#endif

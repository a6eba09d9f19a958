/* SPDX-License-Identifier: MIT */
/* The one open-addressing hash table of the library: fixed-size slots whose first bytes are a
 * 64- or 128-bit key (all-zero bytes mark an empty slot), or 4-byte references to the caller's
 * records whose keys the caller gives (a ref table); linear probing, no deletion. */
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
 * Set it up with cai_htab__init (or cai_htab__init_ref); nothing is allocated before the first
 * insert. A zeroed one is empty but has no slot size: it is not ready for inserts.
 */
/* A ref table's key of record ref (a well-mixed 64-bit hash: its high 32 bits choose the home
 * slot); ctx is the one given to cai_htab__init_ref. */
typedef uint64_t (*cai_htab_key_fn)(const void *ctx, uint32_t ref);

typedef struct cai_htab {
    unsigned char *slot;
    size_t cap, count;
    size_t slot_size, key_size; /* key_size 0: a ref table */
    cai_htab_key_fn key_of;     /* a ref table's */
    const void *ctx;
} cai_htab;

void cai_htab__init(cai_htab *t, size_t slot_size, size_t key_size);

/*
 * A ref table: the slots are uint32_t references (not 0) to the caller's records, which hold
 * the keys, so a slot costs 4 bytes, and one key may be added under several refs (a multimap).
 * It grows by half at 4/5 full, so it is 8/15 to 4/5 full: at most 7.5 bytes a ref (the
 * fingerprint indexes of validation, whose budget is 40 bytes a record for a 24-byte record and
 * two indexes). key_of must give the same key for a ref as long as the ref is in the table.
 * cai_htab__find and cai_htab__insert return NULL on a ref table; cai_htab__at gives a pointer
 * to a uint32_t slot.
 */
void cai_htab__init_ref(cai_htab *t, cai_htab_key_fn key_of, const void *ctx);
/* Adds ref under key_of(ref), beside any others of that key. -1 when out of memory or ref is 0
 * (the table is unchanged). */
int cai_htab__add_ref(cai_htab *t, uint32_t ref);
/* The refs added under key, one a call, in probe order (not the order they were added): set
 * *pos to 0 first; 0 when there are no more. */
uint32_t cai_htab__next_ref(const cai_htab *t, uint64_t key, size_t *pos);
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

/* SPDX-License-Identifier: MIT */
/* A set of 64-bit id fingerprints whose memory does not grow with the input: the run's survey
 * uses it to refuse duplicate pair ids before anything is paid for. */
#ifndef CAI_IDSET_INT_H
#define CAI_IDSET_INT_H

#include "cai/common.h"

#include <stddef.h>
#include <stdint.h>

/*
 * Fingerprints live in a hash table of at most mem_cap entries, so a duplicate among them is
 * known at once. When the table is full its fingerprints are sorted and appended, as one run,
 * to an anonymous temporary file (tmpfile(3): gone when closed or when the process dies,
 * whatever the signal; one descriptor however many runs), and the table starts again empty;
 * cai_idset__finish then merges the sorted runs and finds a fingerprint that two of them hold.
 * A duplicate therefore shows up either at once (add) or at the end (finish), never not at all.
 * Memory: the table (8 bytes a slot, at most 2 * mem_cap slots; a spill sorts in it) and,
 * during finish, 4 KiB per run; disk: 8 bytes an id beyond mem_cap.
 */
typedef struct cai_idset cai_idset;

/* The default mem_cap: a 1 MiB table (2^17 slots, 3/4 full), so that a run's peak memory is the
 * same for 100,000 pairs and for 10 million. */
#define CAI_IDSET_MEM_CAP ((size_t)98304)

/* The fingerprint of an id (never 0). */
uint64_t cai_idset__hash(const char *id, size_t len);

/* mem_cap >= 16. */
cai_status cai_idset__create(cai_idset **out, size_t mem_cap, cai_error *err);
/* Adds fingerprint h: 1 when the table holds it already (a duplicate), 0 when added, -1 on an
 * error (out of memory, a temporary file that cannot be written: err says which), after which
 * the set is good only for cai_idset__free. */
int cai_idset__add(cai_idset *s, uint64_t h, cai_error *err);
/* After the last add: 1 and *dup when two spilled runs (or a run and the table) share a
 * fingerprint, 0 when every fingerprint added is distinct, -1 on an error. Call once. */
int cai_idset__finish(cai_idset *s, uint64_t *dup, cai_error *err);
/* How many sorted runs went to the temporary file. */
size_t cai_idset__runs(const cai_idset *s);
/* Closes (and so deletes) the temporary file. NULL is a no-op. */
void cai_idset__free(cai_idset *s);

#endif

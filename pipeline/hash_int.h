/* SPDX-License-Identifier: MIT */
/* Content hashes: SHA-256 (OpenSSL) for checksums, and 64-bit fingerprints derived from it.
 * Internal to the library (not installed); the public API exposes only cai_sha256_file. */
#ifndef CAI_HASH_INT_H
#define CAI_HASH_INT_H

#include "cai/common.h"

typedef struct cai_sha256 cai_sha256;

/* Incremental SHA-256. */
cai_status cai_sha256_create(cai_sha256 **out, cai_error *err);
void cai_sha256_update(cai_sha256 *h, const void *data, size_t len);
/* Writes 64 lowercase hex digits and a NUL. The context can be reused after a final. */
void cai_sha256_final(cai_sha256 *h, char hex[65]);
void cai_sha256_free(cai_sha256 *h);

/* One-shot SHA-256 of a buffer as hex. */
void cai_sha256_hex(const void *data, size_t len, char hex[65]);

/* Fast 64-bit non-cryptographic hash (FNV-1a 64) for fingerprints and seeds. */
uint64_t cai_hash64(const void *data, size_t len, uint64_t seed);

/* A 64-bit hash for keys that live only in memory (validation's fingerprints, the human-label
 * id map): 16 bytes a step, about 8 times faster than cai_hash64 on long texts and independent
 * of it. Nothing kept on disk or compared across versions may depend on its values: journal
 * keys, splits and principle sampling stay on cai_hash64. */
uint64_t cai_hash64_mem(const void *data, size_t len, uint64_t seed);

/* FNV-1a 32-bit, as used by the benchmark's principle rule. */
uint32_t cai_fnv1a32(const void *data, size_t len);

/* SplitMix64 step: a deterministic generator whose state lives with the caller. */
uint64_t cai_splitmix64(uint64_t *state);

#endif

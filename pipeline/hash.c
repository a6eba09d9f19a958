/* SPDX-License-Identifier: MIT */
/* SHA-256 through OpenSSL's EVP interface, plus small deterministic hashes for ids and seeds. */
#include "hash_int.h"
#include "error_int.h"

#include <openssl/evp.h>
#include <stdlib.h>

struct cai_sha256 {
    EVP_MD_CTX *ctx;
};

static void to_hex(const unsigned char *md, unsigned n, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    unsigned i;

    for (i = 0; i < n; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[2 * n] = '\0';
}

cai_status cai_sha256_create(cai_sha256 **out, cai_error *err)
{
    cai_sha256 *h;

    cai_error__clear(err);
    *out = NULL;
    h = calloc(1, sizeof(*h));
    if (!h)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        cai_sha256_free(h);
        return cai_error__set(err, CAI_ENOMEM, "cannot initialise SHA-256");
    }
    *out = h;
    return CAI_OK;
}

void cai_sha256_update(cai_sha256 *h, const void *data, size_t len)
{
    EVP_DigestUpdate(h->ctx, data, len);
}

void cai_sha256_final(cai_sha256 *h, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;

    EVP_DigestFinal_ex(h->ctx, md, &n);
    to_hex(md, n, hex);
    EVP_DigestInit_ex(h->ctx, NULL, NULL); /* the same digest: no provider fetch per request */
}

void cai_sha256_free(cai_sha256 *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

void cai_sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;

    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    to_hex(md, n, hex);
}

uint64_t cai_hash64(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    size_t i;

    for (i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    /* Final avalanche (from SplitMix64) so that nearby inputs spread over all bits. */
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

uint32_t cai_fnv1a32(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint32_t h = 2166136261u;
    size_t i;

    for (i = 0; i < len; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

uint64_t cai_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

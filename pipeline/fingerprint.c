/* SPDX-License-Identifier: MIT */
/* Compact fingerprints of texts and the index (cai_htab ref tables) that remembers where each
 * was first seen, so that duplicate and leakage checks never keep the texts themselves. */
#include "validate_int.h"
#include "error_int.h"
#include "hash_int.h"
#include "htab_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Two independent seeds give the two halves of a 128-bit fingerprint. */
#define SEED_LO   0x243f6a8885a308d3ULL
#define SEED_HI   0x13198a2e03707344ULL
#define SEED_NORM 0xa4093822299f31d0ULL

static int is_space(unsigned char c)
{
    return c == ' ' || (unsigned)(c - '\t') < 5u; /* \t \n \v \f \r */
}

/*
 * Appends the normalised text of s[j..len) to buf from *o, a byte at a time, with *pend the
 * state carried between calls: case folded, whitespace runs as one space, none leading or
 * trailing. Branch-free: whitespace is every sixth byte or so of prose, too irregular for a
 * predictor. buf holds at least len bytes from start (where the text's output began), and each
 * write below lands at or before the byte being read, so it stays inside them.
 */
static size_t normalise_bytes(
    const unsigned char *s, size_t j, size_t len, char *buf, size_t n, size_t start, unsigned *pend)
{
    unsigned p = *pend;

    for (; j < len; j++) {
        unsigned c = s[j], sp = is_space((unsigned char)c);

        buf[n] = ' ';
        n += p & (sp ^ 1u);
        buf[n] = (char)(c + (((c - 'A') < 26u) << 5));
        n += sp ^ 1u;
        p = sp & (n > start);
    }
    *pend = p;
    return n;
}

/* Per-byte tests on 8 bytes at once, exact for every byte (no borrow crosses bytes): the high
 * bit of each byte of the result is set where the test holds. */
#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
#define LOW7S 0x7f7f7f7f7f7f7f7fULL

static uint64_t bytes_ge(uint64_t x, unsigned k) /* byte >= k (k in 1..128) */
{
    return (((x & LOW7S) + (0x80u - k) * ONES) | x) & HIGHS;
}

static uint64_t bytes_eq(uint64_t x, unsigned k)
{
    uint64_t y = x ^ (k * ONES);

    return ~(((y & LOW7S) + LOW7S) | y) & HIGHS;
}

/*
 * Appends the normalised text of s to buf from *o (see normalise_bytes). Eight bytes go at
 * once when their only whitespace is single spaces, none of which starts a run or the text:
 * then the output is the bytes themselves, case folded (plus the space a run before them left
 * pending). Other words go a byte at a time. Prose is mostly such words, and this was a fifth
 * of `cai validate`'s time.
 */
static void normalise(const unsigned char *s, size_t len, char *buf, size_t *o)
{
    size_t j = 0, n = *o, start = *o;
    unsigned pend = 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ /* byte 0 lowest */
    while (j + 8 <= len) {
        uint64_t x, sp, other;

        memcpy(&x, s + j, sizeof(x));
        sp = bytes_eq(x, ' ');
        other = bytes_ge(x, '\t') & ~bytes_ge(x, '\r' + 1); /* \t \n \v \f \r */
        if (other || (sp & (sp << 8)) || ((sp & 0x80) && (pend || n == start))) {
            n = normalise_bytes(s, j, j + 8, buf, n, start, &pend);
            j += 8;
            continue;
        }
        x |= (bytes_ge(x, 'A') & ~bytes_ge(x, 'Z' + 1)) >> 2; /* 'A'..'Z' + 0x20 */
        buf[n] = ' ';
        n += pend;
        memcpy(buf + n, &x, sizeof(x));
        pend = (unsigned)(sp >> 63); /* a space last: held back until a word follows */
        n += 8 - pend;
        j += 8;
    }
#endif
    *o = normalise_bytes(s, j, len, buf, n, start, &pend);
}

int cai_fp__seq(const cai_vseq *q, char **buf, size_t *cap, cai_fp *exact, uint64_t *norm)
{
    uint64_t h = SEED_LO ^ q->n, nh = SEED_NORM ^ q->n;
    size_t i, o;

    for (i = 0; i < q->n; i++) {
        uint64_t r = (uint64_t)q->t[i].role + 1;
        size_t len = q->t[i].len;

        if (len > *cap) {
            char *nb = realloc(*buf, len);
            if (!nb)
                return -1;
            *buf = nb;
            *cap = len;
        }
        /* Chaining through the seed keeps turn boundaries: ("ab","c") != ("a","bc"). */
        h = cai_hash64_mem(q->t[i].s, len, h ^ r);
        o = 0;
        normalise((const unsigned char *)q->t[i].s, len, *buf, &o);
        nh = cai_hash64_mem(*buf, o, nh ^ r);
    }
    exact->lo = h;
    exact->hi = nh ^ SEED_HI;
    *norm = nh;
    return 0;
}

cai_fp cai_fp__mix(cai_fp a, cai_fp b)
{
    cai_fp r;

    r.lo = cai_hash64_mem(&b.lo, sizeof(b.lo), a.lo ^ 0x9e3779b97f4a7c15ULL);
    r.hi = cai_hash64_mem(&b.hi, sizeof(b.hi), a.hi ^ 0xc2b2ae3d27d4eb4fULL);
    return r;
}

/* ---- the index -------------------------------------------------------------------------- */

/*
 * Memory is the point of this layout (issue 13: at most 40 bytes a record). Every line has one
 * 24-byte cai_fprec in fixed-size chunks, addressed by its 1-based line number across all files
 * (so no line number or file index is stored), and two ref tables of cai_htab (4-byte slots)
 * hold those numbers: one keyed by the record's normalised prompt, one by its normalised pair.
 * The keys themselves live only in the records, so an index costs at most 7.5 bytes a key.
 * Exact texts are told apart inside a normalised group by the records' 32- and 28-bit tags.
 */

#define CHUNK_SHIFT 12
#define CHUNK_LEN   ((size_t)1 << CHUNK_SHIFT)

struct cai_fpidx {
    cai_fprec **chunk;
    size_t n_chunks, cap_chunks;
    cai_htab ix[2];
};

static uint64_t key_prompt(const void *ctx, uint32_t ref)
{
    return cai_fpidx__rec((cai_fpidx *)(uintptr_t)ctx, ref)->prompt;
}

static uint64_t key_pair(const void *ctx, uint32_t ref)
{
    return cai_fpidx__rec((cai_fpidx *)(uintptr_t)ctx, ref)->pair;
}

cai_status cai_fpidx__create(cai_fpidx **out, cai_error *err)
{
    cai_fpidx *x = calloc(1, sizeof(*x));

    *out = NULL;
    if (!x)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    cai_htab__init_ref(&x->ix[CAI_FPIDX_PROMPT], key_prompt, x);
    cai_htab__init_ref(&x->ix[CAI_FPIDX_PAIR], key_pair, x);
    *out = x;
    return CAI_OK;
}

cai_fprec *cai_fpidx__rec(cai_fpidx *x, uint32_t ref)
{
    size_t i = (size_t)(ref - 1) >> CHUNK_SHIFT;

    return i < x->n_chunks && x->chunk[i] ? &x->chunk[i][(ref - 1) & (CHUNK_LEN - 1)] : NULL;
}

cai_status cai_fpidx__set(cai_fpidx *x, uint32_t ref, const cai_fprec *rec, cai_error *err)
{
    size_t i = (size_t)(ref - 1) >> CHUNK_SHIFT;

    if (i >= x->n_chunks) {
        cai_fprec **nc = cai__grow(x->chunk, &x->cap_chunks, i + 1, sizeof(*nc), 16);
        if (!nc)
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        x->chunk = nc;
        memset(nc + x->n_chunks, 0, (i + 1 - x->n_chunks) * sizeof(*nc));
        x->n_chunks = i + 1;
    }
    if (!x->chunk[i] && !(x->chunk[i] = calloc(CHUNK_LEN, sizeof(cai_fprec))))
        return cai_error__set(err, CAI_ENOMEM, "out of memory (fingerprints of %u lines)", ref);
    x->chunk[i][(ref - 1) & (CHUNK_LEN - 1)] = *rec;
    return CAI_OK;
}

void cai_fpidx__find(cai_fpidx *x, int which, uint32_t ref, uint32_t *exact, uint32_t *near)
{
    const cai_fprec *me = cai_fpidx__rec(x, ref);
    uint64_t key = which == CAI_FPIDX_PROMPT ? me->prompt : me->pair;
    size_t pos = 0;
    uint32_t r;

    *exact = *near = 0;
    /* Every record of the group: the first is the smallest number, whatever order a rehash
     * left the group in. */
    while ((r = cai_htab__next_ref(&x->ix[which], key, &pos)) != 0) {
        const cai_fprec *o = cai_fpidx__rec(x, r);

        if (!*near || r < *near)
            *near = r;
        if (which == CAI_FPIDX_PROMPT ? o->ptag == me->ptag : (o->qtag ^ me->qtag) >> 4 == 0)
            *exact = r;
    }
}

cai_status cai_fpidx__add(cai_fpidx *x, int which, uint32_t ref, cai_error *err)
{
    if (cai_htab__add_ref(&x->ix[which], ref) != 0)
        return cai_error__set(err, CAI_ENOMEM, "out of memory (fingerprint index of %zu keys)",
                              x->ix[which].count);
    return CAI_OK;
}

size_t cai_fpidx__count(const cai_fpidx *x, int which)
{
    return x->ix[which].count;
}

size_t cai_fpidx__bytes(const cai_fpidx *x)
{
    size_t i, n = x->cap_chunks * sizeof(*x->chunk);

    for (i = 0; i < x->n_chunks; i++)
        n += x->chunk[i] ? CHUNK_LEN * sizeof(cai_fprec) : 0;
    return n + cai_htab__bytes(&x->ix[0]) + cai_htab__bytes(&x->ix[1]);
}

void cai_fpidx__free(cai_fpidx *x)
{
    size_t i;

    if (!x)
        return;
    for (i = 0; i < x->n_chunks; i++)
        free(x->chunk[i]);
    free(x->chunk);
    cai_htab__dispose(&x->ix[0]);
    cai_htab__dispose(&x->ix[1]);
    free(x);
}

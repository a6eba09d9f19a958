/* SPDX-License-Identifier: MIT */
/* Compact fingerprints of texts and the open-addressing table that remembers where each was
 * first seen, so that duplicate and leakage checks never keep the texts themselves. */
#include "validate_int.h"
#include "error_int.h"

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
 * Fingerprints live only in memory for one validation, so they need not match any other hash:
 * this one reads 16 bytes a step and folds a 64 x 64 -> 128-bit product (the construction of
 * wyhash), about 8 times faster than byte-wise FNV-1a on long texts. cai_hash64 stays what it
 * is where its values are kept (journal keys, splits, principle sampling).
 */
#if defined(__SIZEOF_INT128__)
__extension__ typedef unsigned __int128 fp_u128;

static uint64_t mum(uint64_t a, uint64_t b)
{
    fp_u128 r = (fp_u128)a * b;

    return (uint64_t)r ^ (uint64_t)(r >> 64);
}
#else
static uint64_t mum(uint64_t a, uint64_t b)
{
    uint64_t ha = a >> 32, la = (uint32_t)a, hb = b >> 32, lb = (uint32_t)b;
    uint64_t rh = ha * hb, rm0 = ha * lb, rm1 = hb * la, rl = la * lb, t = rl + (rm0 << 32), c;

    c = t < rl;
    rl = t + (rm1 << 32);
    c += rl < t;
    rh += (rm0 >> 32) + (rm1 >> 32) + c;
    return rl ^ rh;
}
#endif

#define FP_K0 0xa0761d6478bd642fULL
#define FP_K1 0xe7037ed1a0b428dbULL
#define FP_K2 0x8ebc6af09c88c6e3ULL

static uint64_t rd64(const unsigned char *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t fp_hash(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = seed ^ mum(seed ^ FP_K0, (uint64_t)len ^ FP_K1), a = 0, b = 0;
    size_t n = len;

    for (; n >= 16; n -= 16, p += 16)
        h = mum(rd64(p) ^ FP_K1, rd64(p + 8) ^ h);
    if (n >= 8) {
        a = rd64(p);
        b = rd64(p + n - 8); /* overlaps a when n < 16: still a function of the bytes */
    } else if (n > 0) {
        unsigned char t[8] = {0};

        memcpy(t, p, n);
        a = rd64(t);
    }
    h = mum(a ^ FP_K1, b ^ h);
    return mum(h ^ FP_K2, (uint64_t)len ^ FP_K0);
}

/*
 * Appends the normalised text of s to buf from *o: case folded, whitespace runs as one space,
 * none leading or trailing. Branch-free: whitespace is every sixth byte or so of prose, too
 * irregular for a predictor. buf holds at least len bytes from *o, and each write below lands
 * at or before the byte being read, so it stays inside them.
 */
static void normalise(const unsigned char *s, size_t len, char *buf, size_t *o)
{
    size_t j, n = *o, start = *o;
    unsigned pend = 0;

    for (j = 0; j < len; j++) {
        unsigned c = s[j], sp = is_space((unsigned char)c);

        buf[n] = ' ';
        n += pend & (sp ^ 1u);
        buf[n] = (char)(c + (((c - 'A') < 26u) << 5));
        n += sp ^ 1u;
        pend = sp & (n > start);
    }
    *o = n;
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
        h = fp_hash(q->t[i].s, len, h ^ r);
        o = 0;
        normalise((const unsigned char *)q->t[i].s, len, *buf, &o);
        nh = fp_hash(*buf, o, nh ^ r);
    }
    exact->lo = h;
    exact->hi = nh ^ SEED_HI;
    *norm = nh;
    return 0;
}

cai_fp cai_fp__mix(cai_fp a, cai_fp b)
{
    cai_fp r;

    r.lo = fp_hash(&b.lo, sizeof(b.lo), a.lo ^ 0x9e3779b97f4a7c15ULL);
    r.hi = fp_hash(&b.hi, sizeof(b.hi), a.hi ^ 0xc2b2ae3d27d4eb4fULL);
    return r;
}

/* ---- the table -------------------------------------------------------------------------- */

struct cai_fptab {
    cai_fpslot *slots;
    uint64_t *hi; /* the high halves, only for a wide table */
    size_t cap;   /* a power of two */
    size_t count;
    int wide;
};

#define INITIAL_CAP 1024

cai_status cai_fptab__create(cai_fptab **out, int wide, cai_error *err)
{
    cai_fptab *t = calloc(1, sizeof(*t));

    *out = NULL;
    if (!t)
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    t->wide = wide;
    t->cap = INITIAL_CAP;
    t->slots = calloc(t->cap, sizeof(*t->slots));
    t->hi = wide ? calloc(t->cap, sizeof(*t->hi)) : NULL;
    if (!t->slots || (wide && !t->hi)) {
        cai_fptab__free(t);
        return cai_error__set(err, CAI_ENOMEM, "out of memory");
    }
    *out = t;
    return CAI_OK;
}

/* The low half is already well mixed (fp_hash ends with a multiply-fold step). */
static size_t home(const cai_fptab *t, uint64_t lo)
{
    return (size_t)(lo ^ (lo >> 32)) & (t->cap - 1);
}

static int grow(cai_fptab *t)
{
    size_t ncap = t->cap * 2, i, j;
    cai_fpslot *ns = calloc(ncap, sizeof(*ns));
    uint64_t *nh = t->wide ? calloc(ncap, sizeof(*nh)) : NULL;
    cai_fptab old = *t;

    if (!ns || (t->wide && !nh)) {
        free(ns);
        free(nh);
        return -1;
    }
    t->slots = ns;
    t->hi = nh;
    t->cap = ncap;
    for (i = 0; i < old.cap; i++) {
        if (old.slots[i].line == 0)
            continue;
        for (j = home(t, old.slots[i].lo); ns[j].line != 0; j = (j + 1) & (ncap - 1))
            ;
        ns[j] = old.slots[i];
        if (t->wide)
            nh[j] = old.hi[i];
    }
    free(old.slots);
    free(old.hi);
    return 0;
}

cai_status cai_fptab__upsert(cai_fptab *t,
                             cai_fp key,
                             uint64_t line,
                             size_t file,
                             cai_fpslot **slot,
                             int *found,
                             cai_error *err)
{
    size_t j;

    /* Grow at 3/4 load: linear probing stays short and memory stays about 1.5 slots a key. */
    if ((t->count + 1) * 4 > t->cap * 3 && grow(t) != 0)
        return cai_error__set(err, CAI_ENOMEM, "out of memory (fingerprint table of %zu keys)",
                              t->count);
    for (j = home(t, key.lo); t->slots[j].line != 0; j = (j + 1) & (t->cap - 1)) {
        if (t->slots[j].lo == key.lo && (!t->wide || t->hi[j] == key.hi)) {
            *slot = &t->slots[j];
            *found = 1;
            return CAI_OK;
        }
    }
    t->slots[j].lo = key.lo;
    t->slots[j].line = line == 0 ? 1 : line > UINT32_MAX ? UINT32_MAX : (uint32_t)line;
    t->slots[j].file = file > UINT16_MAX ? UINT16_MAX : (uint16_t)file;
    t->slots[j].flags = 0;
    if (t->wide)
        t->hi[j] = key.hi;
    t->count++;
    *slot = &t->slots[j];
    *found = 0;
    return CAI_OK;
}

size_t cai_fptab__count(const cai_fptab *t)
{
    return t->count;
}

size_t cai_fptab__bytes(const cai_fptab *t)
{
    return t->cap * (sizeof(cai_fpslot) + (t->wide ? sizeof(uint64_t) : 0));
}

void cai_fptab__free(cai_fptab *t)
{
    if (!t)
        return;
    free(t->slots);
    free(t->hi);
    free(t);
}

/* SPDX-License-Identifier: MIT */
/* The one place where agreement counts become rates, Wilson intervals and binomial p-values. */
#include "cai/agree.h"

#include <math.h>

void cai_agree_add(cai_agree *a, int agrees)
{
    a->n++;
    a->k += agrees != 0;
}

/* P(X <= m) for X ~ Bin(n, 1/2), m <= n: from the largest term down the tail, in logs so
 * that n in the millions neither overflows nor underflows before the sum is formed. */
static double lower_tail(uint64_t m, uint64_t n)
{
    double dn = (double)n, term, sum;
    uint64_t i;

    term = exp(lgamma(dn + 1) - lgamma((double)m + 1) - lgamma(dn - (double)m + 1) - dn * log(2.0));
    sum = term;
    for (i = m; i > 0; i--) {
        term *= (double)i / (dn - (double)i + 1);
        sum += term;
        if (term < sum * 1e-17)
            break;
    }
    return sum > 1.0 ? 1.0 : sum;
}

double cai_agree_binom_p(uint64_t k, uint64_t n)
{
    uint64_t m;
    double p;

    if (n == 0 || k > n)
        return 1.0;
    m = k < n - k ? k : n - k;
    if (2 * m == n)
        return 1.0;
    /* The distribution is symmetric: the two tails are equal. */
    p = 2.0 * lower_tail(m, n);
    return p > 1.0 ? 1.0 : p;
}

double cai_agree_binom_p_above(uint64_t k, uint64_t n)
{
    if (n == 0 || k == 0 || k > n)
        return 1.0;
    /* P(X >= k) = P(X <= n - k) by symmetry. */
    return lower_tail(n - k, n);
}

void cai_agree_wilson(uint64_t k, uint64_t n, double z, double *lo, double *hi)
{
    double dn = (double)n, ph, z2, denom, centre, half;

    if (n == 0 || k > n) {
        *lo = *hi = NAN;
        return;
    }
    ph = (double)k / dn;
    z2 = z * z;
    denom = 1.0 + z2 / dn;
    centre = (ph + z2 / (2.0 * dn)) / denom;
    half = z * sqrt(ph * (1.0 - ph) / dn + z2 / (4.0 * dn * dn)) / denom;
    *lo = centre - half < 0 ? 0 : centre - half;
    *hi = centre + half > 1 ? 1 : centre + half;
}

void cai_agree_summarize(cai_agree_summary *out, const cai_agree *a, double z, double alpha)
{
    if (z <= 0)
        z = 1.959963984540054;
    if (!(alpha > 0 && alpha < 1))
        alpha = 0.05;
    out->n = a->n;
    out->k = a->k;
    out->rate = a->n ? (double)a->k / (double)a->n : NAN;
    cai_agree_wilson(a->k, a->n, z, &out->lo, &out->hi);
    out->p_above = cai_agree_binom_p_above(a->k, a->n);
    out->above = a->n > 0 && out->p_above < alpha;
    out->at_or_below = a->n > 0 && out->hi <= 0.5;
}

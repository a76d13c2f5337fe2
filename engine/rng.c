/* Counter-based random numbers: see rng.h. */
#include "rng.h"

#include <math.h>

double myl_rng_normal(uint64_t key, uint64_t index)
{
    /* u1 in (0, 1] so the logarithm is finite; 53-bit resolution. */
    double u1 = (double)((myl_rng_u64(key, 2 * index) >> 11) + 1) * 0x1.0p-53;
    double u2 = (double)(myl_rng_u64(key, 2 * index + 1) >> 11) * 0x1.0p-53;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925 * u2);
}

void myl_rng_permutation(uint64_t key, uint32_t *perm, size_t n)
{
    for (size_t i = 0; i < n; i++)
        perm[i] = (uint32_t)i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)myl_rng_below(key, i, i);
        uint32_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
}

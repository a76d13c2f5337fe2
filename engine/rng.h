/* rng.h - the engine's counter-based random numbers.
 *
 * Every draw is a pure function of (seed, stream, step, index): a stream names
 * what the number is for (initialising layer 3's weights, dropout on layer 1's
 * input, the shuffle...), step is the training step or epoch, index the element.
 * Nothing is carried from one draw to the next, so a draw never depends on which
 * thread makes it or in what order: the basis of bit-for-bit reproducibility for
 * any thread count. The mixer is the splitmix64 finaliser (a bijection with good
 * avalanche), applied to the key and again to key + index * golden ratio. */
#ifndef MYL_RNG_H
#define MYL_RNG_H

#include <stddef.h>
#include <stdint.h>

/* What a stream of draws is for; the layer is folded in by myl_rng_key. */
enum {
    MYL_STREAM_INIT_W = 1,
    MYL_STREAM_INIT_B,
    MYL_STREAM_SHUFFLE,
    MYL_STREAM_DROPOUT,
    MYL_STREAM_DROPCONNECT
};

static inline uint64_t myl_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* The key of one (seed, stream, layer, step) tuple. */
static inline uint64_t myl_rng_key(uint64_t seed, unsigned stream, size_t layer, uint64_t step)
{
    uint64_t k = myl_mix64(seed ^ 0x6A09E667F3BCC909ull);
    k = myl_mix64(k + ((uint64_t)stream << 32 | (uint64_t)layer) * 0x9E3779B97F4A7C15ull);
    return myl_mix64(k + step * 0xD1B54A32D192ED03ull);
}

/* The index-th 64-bit draw of a key. */
static inline uint64_t myl_rng_u64(uint64_t key, uint64_t index)
{
    return myl_mix64(key + (index + 1) * 0x9E3779B97F4A7C15ull);
}

/* Uniform in [0, 1) with 24 random bits (exactly representable floats). */
static inline float myl_rng_unit(uint64_t key, uint64_t index)
{
    return (float)(myl_rng_u64(key, index) >> 40) * 0x1.0p-24f;
}

/* Dropout decision: 1 to keep, 0 to drop, dropping with probability
   threshold / 2^32 (threshold = myl_rng_threshold(p)). */
static inline int myl_rng_keep(uint64_t key, uint64_t index, uint32_t threshold)
{
    return (uint32_t)(myl_rng_u64(key, index) >> 32) >= threshold;
}

static inline uint32_t myl_rng_threshold(float p)
{
    double t = (double)p * 4294967296.0;
    return t >= 4294967295.0 ? 0xFFFFFFFFu : (uint32_t)t;
}

/* Uniform integer in [0, n) (multiply-high; the bias is below 2^-40 for any
   n this engine sees). */
static inline uint64_t myl_rng_below(uint64_t key, uint64_t index, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)myl_rng_u64(key, index) * n) >> 64);
}

/* Standard normal draw number index (Box-Muller on draws 2i and 2i+1). */
double myl_rng_normal(uint64_t key, uint64_t index);

/* Fisher-Yates shuffle of perm[0..n) keyed by key (perm is filled with
   0..n-1 first). */
void myl_rng_permutation(uint64_t key, uint32_t *perm, size_t n);

#endif

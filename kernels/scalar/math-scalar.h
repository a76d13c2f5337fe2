/*
 * math-scalar.h - exp on 4 floats at once for the softmax kernels of the
 * portable path, in GCC/Clang generic vectors (SSE2 on baseline x86-64, NEON
 * on aarch64, plain scalar code elsewhere); products and sums only, no FMA
 * (baseline x86-64 has none, and fmaf is then a slow libm call).
 *
 * Why not the vector paths' approximation (kernels/math-consts.h): written
 * for one float it ran at 2.4 ns a value here against 1.9 ns for glibc's
 * expf, and its 2^(j/8) table needs a gather, which generic vectors lack
 * (four extracts and eight loads per vector). This one needs no table:
 * n = round(x / ln2) by the shifter, r = x - n ln2 (Cody-Waite, |r| <= ln2/2),
 * exp(r) = 1 + r + r^2 P(r) with Cephes' degree-5 P, times 2^n.
 * Exhaustive check against double exp over every float in [-104, 89]:
 * max 0.99 ulp for normal results (at x = 0x1.199cc6p+6), subnormal results
 * within 0.75 x 2^-149, NaN -> NaN, -inf -> 0, +inf -> +inf.
 *
 * Only the softmax kernels of this path use it: libm's expf per element was
 * most of their time, while vexp/sigmoid/tanh here stay on libm and double
 * as the reference (act-scalar.h).
 */
#ifndef MYL_MATH_SCALAR_H
#define MYL_MATH_SCALAR_H

#include <stdint.h>
#include <string.h>

#include "math-consts.h"

typedef float myl_f4 __attribute__((vector_size(16)));
typedef int32_t myl_i4 __attribute__((vector_size(16)));
typedef uint32_t myl_u4 __attribute__((vector_size(16)));
typedef double myl_d4 __attribute__((vector_size(32)));

static inline myl_f4 myl_f4_set1(float v)
{
    return (myl_f4){v, v, v, v};
}

static inline myl_f4 myl_f4_load(const float *p)
{
    myl_f4 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void myl_f4_store(float *p, myl_f4 v)
{
    memcpy(p, &v, sizeof v);
}

/* The first k < 4 floats of p, the other lanes `fill`. Built by
   constructors, in registers: lanes set one by one went through the stack
   (or a memcpy call), and the vector load after the scalar stores missed
   store forwarding. */
static inline myl_f4 myl_f4_load_part(const float *p, size_t k, float fill)
{
    switch (k) {
    case 3: return (myl_f4){p[0], p[1], p[2], fill};
    case 2: return (myl_f4){p[0], p[1], fill, fill};
    case 1: return (myl_f4){p[0], fill, fill, fill};
    default: return myl_f4_set1(fill);
    }
}

/* The first k < 4 lanes of v to p. */
static inline void myl_f4_store_part(float *p, size_t k, myl_f4 v)
{
    switch (k) {
    case 3: p[2] = v[2]; /* fall through */
    case 2: p[1] = v[1]; /* fall through */
    case 1: p[0] = v[0]; /* fall through */
    default: break;
    }
}

/* All ones in lanes l < k, zero elsewhere. */
static inline myl_i4 myl_i4_first(size_t k)
{
    const myl_i4 lanes = {0, 1, 2, 3}, kk = {(int32_t)k, (int32_t)k, (int32_t)k, (int32_t)k};
    return lanes < kk;
}

/* m ? a : b lane by lane (m from a comparison: all ones or zero). */
static inline myl_f4 myl_f4_select(myl_i4 m, myl_f4 a, myl_f4 b)
{
    return (myl_f4)(((myl_i4)a & m) | ((myl_i4)b & ~m));
}

/* 2^k for k in [-126, 127] (unsigned: any k is defined, if meaningless). */
static inline myl_f4 myl_f4_pow2i(myl_i4 k)
{
    return (myl_f4)(((myl_u4)k + 127u) << 23);
}

/* exp(x) = 2^n exp(r) for x in [-104, 89]: n = round(x / ln2) by the
   shifter (returned in *t's low bits), r = x - n ln2 (Cody-Waite), and
   exp(r) = 1 + r + r^2 P(r), which this returns. */
static inline __attribute__((always_inline)) myl_f4 myl_exp4_reduced(myl_f4 x, myl_f4 *t_out)
{
    const myl_f4 shifter = myl_f4_set1(MYL_EXP_SHIFTER);
    const myl_f4 t = x * myl_f4_set1(0x1.715476p+0f) + shifter;
    const myl_f4 n = t - shifter;
    myl_f4 r = x - n * myl_f4_set1(0.693359375f);              /* ln2 hi: 9 bits, exact product */
    r = r - n * myl_f4_set1(-2.12194440e-4f);                 /* ln2 lo */
    myl_f4 p = myl_f4_set1(1.9875691500e-4f) * r + myl_f4_set1(1.3981999507e-3f);
    p = p * r + myl_f4_set1(8.3334519073e-3f);
    p = p * r + myl_f4_set1(4.1665795894e-2f);
    p = p * r + myl_f4_set1(1.6666665459e-1f);
    p = p * r + myl_f4_set1(5.0000001201e-1f);
    *t_out = t;
    return p * (r * r) + r + myl_f4_set1(1.0f);
}

/* exp of 4 floats: clamped to [-104, 89] (a NaN fails both comparisons and
   stays NaN), so n is in [-150, 128]; 2^n is applied in two halves, each a
   normal float, so subnormal results round once and exp(89) is +inf. */
static inline myl_f4 myl_exp4_scalar(myl_f4 x)
{
    const myl_f4 lo = myl_f4_set1(MYL_EXP_XMIN), hi = myl_f4_set1(MYL_EXP_XMAX);
    x = myl_f4_select(x < lo, lo, x);
    x = myl_f4_select(x > hi, hi, x);
    myl_f4 t;
    const myl_f4 m = myl_exp4_reduced(x, &t);
    const myl_i4 ni = (myl_i4)((myl_u4)t - (uint32_t)MYL_EXP_SHIFTER_BITS); /* n (garbage for NaN) */
    const myl_i4 k1 = ni >> 1, k2 = (myl_i4)((myl_u4)ni - (myl_u4)k1); /* each in [-75, 64] */
    return m * myl_f4_pow2i(k1) * myl_f4_pow2i(k2); /* m 2^k1 is exact; one rounding */
}

/* exp(x) for x <= 0 or NaN (a softmax's x - max), the same values as
   myl_exp4_scalar with fewer operations: no upper clamp, and n in
   [-150, 0] lets 2^n be applied as 2^(n+64), a normal float, then 2^-64
   (m 2^(n+64) is exact, the second product rounds once). */
static inline myl_f4 myl_exp4_neg_scalar(myl_f4 x)
{
    const myl_f4 lo = myl_f4_set1(MYL_EXP_XMIN);
    x = myl_f4_select(x < lo, lo, x);
    myl_f4 t;
    const myl_f4 m = myl_exp4_reduced(x, &t);
    /* bits of 2^(n+64): (n + 64 + 127) << 23, n = t's bits - the shifter's */
    const myl_f4 scale = (myl_f4)(((myl_u4)t - ((uint32_t)MYL_EXP_SHIFTER_BITS - 191u)) << 23);
    return m * scale * myl_f4_set1(0x1p-64f);
}

#endif

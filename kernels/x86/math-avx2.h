/*
 * math-avx2.h - exp, sigmoid, tanh and the element-wise activations on one
 * __m256 register (8 floats), for kernels compiled with -mavx2 -mfma (and the
 * AVX-512 files, which also enable those). Usable from a GEMM micro-kernel to
 * apply the activation to its accumulator tile before the store.
 *
 * Same approximation as math-avx512.h (kernels/math-consts.h); AVX2 lacks
 * scalef and a 14-bit reciprocal, so 2^k is built in two halves (subnormal
 * results and overflow come out right) and quotients use vdivps.
 * Exhaustive check over all 2^32 inputs with normal results: exp 0.59 ulp,
 * sigmoid 1.97 ulp, tanh 1.32 ulp.
 */
#ifndef MYL_MATH_AVX2_H
#define MYL_MATH_AVX2_H

#include <immintrin.h>

#include "kernels.h"
#include "math-consts.h"

/* 2^k as a float for k in [-126, 127]. */
static inline __m256 myl_pow2i_avx2(__m256i k)
{
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k, _mm256_set1_epi32(127)), 23));
}

/* exp(x) for x in [-87, 88] or NaN, where 2^k is a normal float:
   n = round(8 x / ln2) = 8k + j, exp(x) = 2^k 2^(j/8) exp(r). With `split`
   set, 2^k is applied in two halves so that k may run over [-150, 128]:
   m*2^k1 is exact and *2^k2 rounds once (subnormal results, +inf). */
static inline __m256 myl_exp_core_avx2(__m256 x, int split)
{
    static const float t_hi[8] __attribute__((aligned(32))) = {MYL_EXP2_8_HI};
    static const float t_lo[8] __attribute__((aligned(32))) = {MYL_EXP2_8_LO};
    const __m256 shifter = _mm256_set1_ps(MYL_EXP_SHIFTER);
    const __m256 t = _mm256_fmadd_ps(x, _mm256_set1_ps(MYL_8_OVER_LN2), shifter);
    const __m256 n = _mm256_sub_ps(t, shifter);
    const __m256i ni = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(MYL_EXP_SHIFTER_BITS));
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(MYL_LN2_8_HI), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(MYL_LN2_8_LO), r);
    __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(MYL_EXP_C4), r, _mm256_set1_ps(MYL_EXP_C3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(MYL_EXP_C2));
    const __m256 q = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r);
    /* vpermps uses the low 3 bits of n: j = n mod 8. */
    const __m256 th = _mm256_permutevar8x32_ps(_mm256_load_ps(t_hi), ni);
    const __m256 tl = _mm256_permutevar8x32_ps(_mm256_load_ps(t_lo), ni);
    const __m256 m = _mm256_add_ps(th, _mm256_fmadd_ps(th, q, tl));
    const __m256i k = _mm256_srai_epi32(ni, 3);
    if (!split)
        return _mm256_mul_ps(m, myl_pow2i_avx2(k));
    const __m256i k1 = _mm256_srai_epi32(k, 1);
    return _mm256_mul_ps(_mm256_mul_ps(m, myl_pow2i_avx2(k1)), myl_pow2i_avx2(_mm256_sub_epi32(k, k1)));
}

/* exp(x), within about 0.6 ulp. Clamped to [-104, 89] (NaN passes: vmaxps/
   vminps return their second operand when either is NaN); the two-step
   scaling only runs when some lane is beyond +-87, which is rare. */
static inline __m256 myl_exp_avx2(__m256 x)
{
    x = _mm256_max_ps(_mm256_set1_ps(MYL_EXP_XMIN), x);
    x = _mm256_min_ps(_mm256_set1_ps(MYL_EXP_XMAX), x);
    const __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
    const int far = _mm256_movemask_ps(_mm256_cmp_ps(ax, _mm256_set1_ps(87.0f), _CMP_GT_OQ));
    return myl_exp_core_avx2(x, far != 0);
}

/* 1/d to about 2^-22: 12-bit estimate and one Newton step. */
static inline __m256 myl_recip_avx2(__m256 d)
{
    const __m256 r0 = _mm256_rcp_ps(d);
    return _mm256_fmadd_ps(r0, _mm256_fnmadd_ps(d, r0, _mm256_set1_ps(1.0f)), r0);
}

/* num/d to about half an ulp: one correction with the exact residual. */
static inline __m256 myl_div_avx2(__m256 num, __m256 d)
{
    const __m256 r = myl_recip_avx2(d);
    const __m256 q0 = _mm256_mul_ps(num, r);
    return _mm256_fmadd_ps(_mm256_fnmadd_ps(d, q0, num), r, q0);
}

/* sigmoid(x) = 1/(1+e) for x >= 0 and e/(1+e) for x < 0 with e = exp(-|x|).
   1+e is carried as dh + dl (Fast2Sum, exact since 1 >= e); the quotient is
   num/dh correctly rounded, then corrected by -num*dl/dh (dl is tiny, so a
   12-bit reciprocal is plenty for that term). */
static inline __m256 myl_sigmoid_avx2(__m256 x)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 neg_abs = _mm256_max_ps(_mm256_set1_ps(MYL_EXP_XMIN), _mm256_or_ps(x, _mm256_set1_ps(-0.0f)));
    const int far = _mm256_movemask_ps(_mm256_cmp_ps(neg_abs, _mm256_set1_ps(-87.0f), _CMP_LT_OQ));
    const __m256 e = myl_exp_core_avx2(neg_abs, far != 0);
    const __m256 num = _mm256_blendv_ps(one, e, x); /* sign bit of x selects e */
    const __m256 dh = _mm256_add_ps(one, e);
    const __m256 dl = _mm256_add_ps(_mm256_sub_ps(one, dh), e);
    const __m256 q0 = _mm256_div_ps(num, dh);
    return _mm256_fnmadd_ps(q0, _mm256_mul_ps(dl, _mm256_rcp_ps(dh)), q0);
}

/* tanh(x): odd polynomial below |x| = 0.625, 1 - 2/(exp(2|x|)+1) above, on
   |x| with the sign put back (tanh(-0) = -0); |x| capped at 10. */
static inline __m256 myl_tanh_avx2(__m256 x)
{
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 ax = _mm256_andnot_ps(sign, x);
    const __m256 z = _mm256_mul_ps(ax, ax);
    __m256 q = _mm256_set1_ps(MYL_TANH_C11);
    q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(MYL_TANH_C9));
    q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(MYL_TANH_C7));
    q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(MYL_TANH_C5));
    q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(MYL_TANH_C3));
    const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(q, z), ax, ax);

    const __m256 capped = _mm256_min_ps(_mm256_set1_ps(MYL_TANH_XSAT), ax); /* NaN stays */
    const __m256 e = myl_exp_core_avx2(_mm256_add_ps(capped, capped), 0); /* in [0, 20] */
    const __m256 u = _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, _mm256_set1_ps(1.0f)));
    const __m256 large = _mm256_sub_ps(_mm256_set1_ps(1.0f), u);

    const __m256 is_small = _mm256_cmp_ps(ax, _mm256_set1_ps(MYL_TANH_XPOLY), _CMP_LT_OQ);
    const __m256 t = _mm256_blendv_ps(large, small, is_small);
    return _mm256_or_ps(t, _mm256_and_ps(x, sign));
}

/* relu: x where x > 0 or x is NaN, else +0. */
static inline __m256 myl_relu_avx2(__m256 x)
{
    return _mm256_and_ps(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_NLE_UQ), x);
}

/* leaky relu: slope*x where x <= 0, else x (NaN propagates). */
static inline __m256 myl_leaky_relu_avx2(__m256 x, __m256 slope)
{
    const __m256 le0 = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LE_OQ);
    return _mm256_blendv_ps(x, _mm256_mul_ps(x, slope), le0);
}

/* Any element-wise activation (MYL_ACT_LINEAR .. MYL_ACT_TANH; else identity). */
static inline __m256 myl_act_avx2(int act, __m256 slope, __m256 x)
{
    switch (act) {
    case MYL_ACT_RELU: return myl_relu_avx2(x);
    case MYL_ACT_LEAKY_RELU: return myl_leaky_relu_avx2(x, slope);
    case MYL_ACT_SIGMOID: return myl_sigmoid_avx2(x);
    case MYL_ACT_TANH: return myl_tanh_avx2(x);
    default: return x;
    }
}

#endif

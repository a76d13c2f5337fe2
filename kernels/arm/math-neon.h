/*
 * math-neon.h - exp, sigmoid, tanh and the element-wise activations on one
 * float32x4_t (AArch64 NEON), for the neon kernels and GEMM micro-kernels.
 * Same approximation as the x86 paths (kernels/math-consts.h). FMAX/FMIN
 * return NaN when either operand is NaN, so NaN passes every clamp.
 */
#ifndef MYL_MATH_NEON_H
#define MYL_MATH_NEON_H

#include <arm_neon.h>

#include "kernels.h"
#include "math-consts.h"

static inline float32x4_t myl_pow2i_neon(int32x4_t k)
{
    return vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(k, vdupq_n_s32(127)), 23));
}

/* One of 8 floats per lane (j in 0..7) through a byte table lookup. */
static inline float32x4_t myl_lookup8_neon(const float *table, uint32x4_t j)
{
    const uint8x16x2_t t = {{vld1q_u8((const uint8_t *)table), vld1q_u8((const uint8_t *)table + 16)}};
    const uint32x4_t idx = vmlaq_u32(vdupq_n_u32(0x03020100u), j, vdupq_n_u32(0x04040404u));
    return vreinterpretq_f32_u8(vqtbl2q_u8(t, vreinterpretq_u8_u32(idx)));
}

/* exp(x) within about 0.6 ulp; see math-avx2.h for the construction. */
static inline float32x4_t myl_exp_neon(float32x4_t x)
{
    static const float t_hi[8] = {MYL_EXP2_8_HI};
    static const float t_lo[8] = {MYL_EXP2_8_LO};
    x = vmaxq_f32(x, vdupq_n_f32(MYL_EXP_XMIN));
    x = vminq_f32(x, vdupq_n_f32(MYL_EXP_XMAX));
    const float32x4_t shifter = vdupq_n_f32(MYL_EXP_SHIFTER);
    const float32x4_t t = vfmaq_f32(shifter, x, vdupq_n_f32(MYL_8_OVER_LN2));
    const float32x4_t n = vsubq_f32(t, shifter);
    const int32x4_t ni = vsubq_s32(vreinterpretq_s32_f32(t), vdupq_n_s32(MYL_EXP_SHIFTER_BITS));
    float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(MYL_LN2_8_HI));
    r = vfmsq_f32(r, n, vdupq_n_f32(MYL_LN2_8_LO));
    float32x4_t p = vfmaq_f32(vdupq_n_f32(MYL_EXP_C3), vdupq_n_f32(MYL_EXP_C4), r);
    p = vfmaq_f32(vdupq_n_f32(MYL_EXP_C2), p, r);
    const float32x4_t q = vfmaq_f32(r, p, vmulq_f32(r, r));
    const uint32x4_t j = vandq_u32(vreinterpretq_u32_s32(ni), vdupq_n_u32(7));
    const float32x4_t th = myl_lookup8_neon(t_hi, j);
    const float32x4_t tl = myl_lookup8_neon(t_lo, j);
    const float32x4_t m = vaddq_f32(th, vfmaq_f32(tl, th, q));
    const int32x4_t k = vshrq_n_s32(ni, 3);
    const int32x4_t k1 = vshrq_n_s32(k, 1);
    const int32x4_t k2 = vsubq_s32(k, k1);
    return vmulq_f32(vmulq_f32(m, myl_pow2i_neon(k1)), myl_pow2i_neon(k2));
}

/* sigmoid(x) = 1/(1+e) (x >= 0) or e/(1+e) (x < 0), e = exp(-|x|); the
   quotient corrected against 1+e carried exactly as dh + dl. */
static inline float32x4_t myl_sigmoid_neon(float32x4_t x)
{
    const float32x4_t one = vdupq_n_f32(1.0f);
    const float32x4_t e = myl_exp_neon(vnegq_f32(vabsq_f32(x)));
    const uint32x4_t negative = vcltzq_s32(vreinterpretq_s32_f32(x));
    const float32x4_t num = vbslq_f32(negative, e, one);
    const float32x4_t dh = vaddq_f32(one, e);
    const float32x4_t dl = vaddq_f32(vsubq_f32(one, dh), e);
    const float32x4_t r = vdivq_f32(one, dh);
    const float32x4_t q0 = vmulq_f32(num, r);
    const float32x4_t res = vfmsq_f32(vfmsq_f32(num, dh, q0), dl, q0);
    return vfmaq_f32(q0, res, r);
}

/* tanh(x): odd polynomial below |x| = 0.625, 1 - 2/(exp(2|x|)+1) above, on
   |x| with the sign put back (tanh(-0) = -0); |x| capped at 10. */
static inline float32x4_t myl_tanh_neon(float32x4_t x)
{
    const float32x4_t ax = vabsq_f32(x);
    const float32x4_t z = vmulq_f32(ax, ax);
    float32x4_t q = vfmaq_f32(vdupq_n_f32(MYL_TANH_C9), vdupq_n_f32(MYL_TANH_C11), z);
    q = vfmaq_f32(vdupq_n_f32(MYL_TANH_C7), q, z);
    q = vfmaq_f32(vdupq_n_f32(MYL_TANH_C5), q, z);
    q = vfmaq_f32(vdupq_n_f32(MYL_TANH_C3), q, z);
    const float32x4_t small = vfmaq_f32(ax, vmulq_f32(q, z), ax);

    const float32x4_t capped = vminq_f32(ax, vdupq_n_f32(MYL_TANH_XSAT));
    const float32x4_t e = myl_exp_neon(vaddq_f32(capped, capped));
    const float32x4_t u = vdivq_f32(vdupq_n_f32(2.0f), vaddq_f32(e, vdupq_n_f32(1.0f)));
    const float32x4_t large = vsubq_f32(vdupq_n_f32(1.0f), u);

    const float32x4_t t = vbslq_f32(vcltq_f32(ax, vdupq_n_f32(MYL_TANH_XPOLY)), small, large);
    const uint32x4_t sign = vandq_u32(vreinterpretq_u32_f32(x), vdupq_n_u32(0x80000000u));
    return vreinterpretq_f32_u32(vorrq_u32(vreinterpretq_u32_f32(t), sign));
}

/* relu: x where x > 0 or x is NaN, else +0. */
static inline float32x4_t myl_relu_neon(float32x4_t x)
{
    return vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(x), vclezq_f32(x)));
}

/* leaky relu: slope*x where x <= 0, else x (NaN propagates). */
static inline float32x4_t myl_leaky_relu_neon(float32x4_t x, float32x4_t slope)
{
    return vbslq_f32(vclezq_f32(x), vmulq_f32(x, slope), x);
}

/* Any element-wise activation (MYL_ACT_LINEAR .. MYL_ACT_TANH; else identity). */
static inline float32x4_t myl_act_neon(int act, float32x4_t slope, float32x4_t x)
{
    switch (act) {
    case MYL_ACT_RELU: return myl_relu_neon(x);
    case MYL_ACT_LEAKY_RELU: return myl_leaky_relu_neon(x, slope);
    case MYL_ACT_SIGMOID: return myl_sigmoid_neon(x);
    case MYL_ACT_TANH: return myl_tanh_neon(x);
    default: return x;
    }
}

#endif

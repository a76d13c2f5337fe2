/* Element-wise kernels of the neon path: 4 floats a step; the last 1-3
   elements go through a small stack buffer so nothing past n is touched. */
#include "kernels.h"
#include "arm/math-neon.h"
#include "arm/vact-neon.h"

#include <string.h>

/* y[i] = OP(x[i]) for i < n; OP is an expression in the float32x4_t `v`. */
#define MYL_MAP_NEON(n, x, y, OP)                                              \
    do {                                                                       \
        size_t i_ = 0;                                                         \
        for (; i_ + 8 <= (n); i_ += 8) {                                       \
            float32x4_t v = vld1q_f32((x) + i_);                               \
            const float32x4_t r0_ = (OP);                                      \
            v = vld1q_f32((x) + i_ + 4);                                       \
            const float32x4_t r1_ = (OP);                                      \
            vst1q_f32((y) + i_, r0_);                                          \
            vst1q_f32((y) + i_ + 4, r1_);                                      \
        }                                                                      \
        for (; i_ + 4 <= (n); i_ += 4) {                                       \
            const float32x4_t v = vld1q_f32((x) + i_);                         \
            vst1q_f32((y) + i_, (OP));                                         \
        }                                                                      \
        if (i_ < (n)) {                                                        \
            float buf_[4] = {0.0f, 0.0f, 0.0f, 0.0f};                          \
            memcpy(buf_, (x) + i_, ((n) - i_) * sizeof(float));                \
            const float32x4_t v = vld1q_f32(buf_);                             \
            vst1q_f32(buf_, (OP));                                             \
            memcpy((y) + i_, buf_, ((n) - i_) * sizeof(float));                \
        }                                                                      \
    } while (0)

/* dx[i] = OP(y[i], dy[i]); OP is an expression in `vy` and `vd`. */
#define MYL_MAP2_NEON(n, y, dy, dx, OP)                                        \
    do {                                                                       \
        size_t i_ = 0;                                                         \
        for (; i_ + 4 <= (n); i_ += 4) {                                       \
            const float32x4_t vy = vld1q_f32((y) + i_);                        \
            const float32x4_t vd = vld1q_f32((dy) + i_);                       \
            (void)vy;                                                          \
            vst1q_f32((dx) + i_, (OP));                                        \
        }                                                                      \
        if (i_ < (n)) {                                                        \
            float by_[4] = {0.0f, 0.0f, 0.0f, 0.0f}, bd_[4] = {0.0f, 0.0f, 0.0f, 0.0f}; \
            memcpy(by_, (y) + i_, ((n) - i_) * sizeof(float));                 \
            memcpy(bd_, (dy) + i_, ((n) - i_) * sizeof(float));                \
            const float32x4_t vy = vld1q_f32(by_);                             \
            const float32x4_t vd = vld1q_f32(bd_);                             \
            (void)vy;                                                          \
            vst1q_f32(bd_, (OP));                                              \
            memcpy((dx) + i_, bd_, ((n) - i_) * sizeof(float));                \
        }                                                                      \
    } while (0)

void myl_f32_vexp_neon(size_t n, const float *x, float *y)
{
    MYL_MAP_NEON(n, x, y, myl_exp_neon(v));
}

void myl_f32_vsigmoid_neon(size_t n, const float *x, float *y)
{
    MYL_MAP_NEON(n, x, y, myl_sigmoid_neon(v));
}

void myl_f32_vtanh_neon(size_t n, const float *x, float *y)
{
    MYL_MAP_NEON(n, x, y, myl_tanh_neon(v));
}

void myl_f32_vact_neon(int act, float slope, size_t n, const float *x, float *y)
{
    const float32x4_t vs = vdupq_n_f32(slope);
    switch (act) {
    case MYL_ACT_RELU: MYL_MAP_NEON(n, x, y, myl_relu_neon(v)); break;
    case MYL_ACT_LEAKY_RELU: MYL_MAP_NEON(n, x, y, myl_leaky_relu_neon(v, vs)); break;
    case MYL_ACT_SIGMOID: MYL_MAP_NEON(n, x, y, myl_sigmoid_neon(v)); break;
    case MYL_ACT_TANH: MYL_MAP_NEON(n, x, y, myl_tanh_neon(v)); break;
    default:
        if (x != y)
            memmove(y, x, n * sizeof(float));
        break;
    }
}

/* Same operations, in the same order, as the scalar path (see there). */
void myl_f32_vact_bwd_neon(int act, float slope, size_t n, const float *y, const float *dy, float *dx)
{
    const float32x4_t one = vdupq_n_f32(1.0f), vs = vdupq_n_f32(slope);
    switch (act) {
    case MYL_ACT_RELU:
        MYL_MAP2_NEON(n, y, dy, dx, vreinterpretq_f32_u32(vandq_u32(vcgtzq_f32(vy), vreinterpretq_u32_f32(vd))));
        break;
    case MYL_ACT_LEAKY_RELU:
        MYL_MAP2_NEON(n, y, dy, dx, vbslq_f32(vcgtzq_f32(vy), vd, vmulq_f32(vd, vs)));
        break;
    case MYL_ACT_SIGMOID:
        MYL_MAP2_NEON(n, y, dy, dx, vmulq_f32(vd, vmulq_f32(vy, vsubq_f32(one, vy))));
        break;
    case MYL_ACT_TANH:
        MYL_MAP2_NEON(n, y, dy, dx, vmulq_f32(vd, vmulq_f32(vsubq_f32(one, vy), vaddq_f32(one, vy))));
        break;
    default:
        if (dx != dy)
            memmove(dx, dy, n * sizeof(float));
        break;
    }
}

/* Stable softmax of one row: subtract the row maximum, exponentiate into y
   while summing, then scale by the reciprocal of the sum. */
void myl_f32_softmax_neon(size_t n, const float *x, float *y)
{
    if (n == 0)
        return;
    float32x4_t vmax = vdupq_n_f32(-__builtin_inff());
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        vmax = vmaxq_f32(vmax, vld1q_f32(x + i));
    float mx = vmaxvq_f32(vmax);
    for (; i < n; i++)
        mx = x[i] > mx || x[i] != x[i] ? x[i] : mx;
    const float32x4_t m = vdupq_n_f32(mx);

    /* the sum in double: it stays within 1e-6 of the true sum for any row length */
    float64x2_t s0 = vdupq_n_f64(0.0), s1 = vdupq_n_f64(0.0);
    for (i = 0; i + 4 <= n; i += 4) {
        const float32x4_t e = myl_exp_neon(vsubq_f32(vld1q_f32(x + i), m));
        vst1q_f32(y + i, e);
        s0 = vaddq_f64(s0, vcvt_f64_f32(vget_low_f32(e)));
        s1 = vaddq_f64(s1, vcvt_high_f64_f32(e));
    }
    double sum = vaddvq_f64(vaddq_f64(s0, s1));
    if (i < n) {
        float buf[4] = {mx, mx, mx, mx};
        memcpy(buf, x + i, (n - i) * sizeof(float));
        vst1q_f32(buf, myl_exp_neon(vsubq_f32(vld1q_f32(buf), m)));
        for (size_t j = 0; i + j < n; j++) {
            y[i + j] = buf[j];
            sum += buf[j];
        }
    }
    const float32x4_t inv = vdupq_n_f32((float)(1.0 / sum));
    MYL_MAP_NEON(n, y, y, vmulq_f32(v, inv));
}

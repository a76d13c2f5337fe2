/* Element-wise kernels of the avx512 path: 16 floats a step, the tail through
   a lane mask (masked loads and stores never touch memory past n). */
#include "kernels.h"
#include "x86/math-avx512.h"
#include "x86/vact-avx512.h"

static inline __mmask16 tail_mask(size_t left)
{
    return (__mmask16)((1u << left) - 1u);
}

/* y[i] = OP(x[i]) for i < n; OP is an expression in the __m512 `v`. */
#define MYL_MAP_AVX512(n, x, y, OP)                                            \
    do {                                                                       \
        size_t i_ = 0;                                                         \
        for (; i_ + 64 <= (n); i_ += 64) {                                     \
            __m512 v = _mm512_loadu_ps((x) + i_);                              \
            const __m512 r0_ = (OP);                                           \
            v = _mm512_loadu_ps((x) + i_ + 16);                                \
            const __m512 r1_ = (OP);                                           \
            v = _mm512_loadu_ps((x) + i_ + 32);                                \
            const __m512 r2_ = (OP);                                           \
            v = _mm512_loadu_ps((x) + i_ + 48);                                \
            const __m512 r3_ = (OP);                                           \
            _mm512_storeu_ps((y) + i_, r0_);                                   \
            _mm512_storeu_ps((y) + i_ + 16, r1_);                              \
            _mm512_storeu_ps((y) + i_ + 32, r2_);                              \
            _mm512_storeu_ps((y) + i_ + 48, r3_);                              \
        }                                                                      \
        for (; i_ + 16 <= (n); i_ += 16) {                                     \
            const __m512 v = _mm512_loadu_ps((x) + i_);                        \
            _mm512_storeu_ps((y) + i_, (OP));                                  \
        }                                                                      \
        if (i_ < (n)) {                                                        \
            const __mmask16 m_ = tail_mask((n) - i_);                          \
            const __m512 v = _mm512_maskz_loadu_ps(m_, (x) + i_);              \
            _mm512_mask_storeu_ps((y) + i_, m_, (OP));                         \
        }                                                                      \
    } while (0)

/* dx[i] = OP(y[i], dy[i]); OP is an expression in `vy` and `vd`. */
#define MYL_MAP2_AVX512(n, y, dy, dx, OP)                                      \
    do {                                                                       \
        size_t i_ = 0;                                                         \
        for (; i_ + 16 <= (n); i_ += 16) {                                     \
            const __m512 vy = _mm512_loadu_ps((y) + i_);                       \
            const __m512 vd = _mm512_loadu_ps((dy) + i_);                      \
            (void)vy;                                                          \
            _mm512_storeu_ps((dx) + i_, (OP));                                 \
        }                                                                      \
        if (i_ < (n)) {                                                        \
            const __mmask16 m_ = tail_mask((n) - i_);                          \
            const __m512 vy = _mm512_maskz_loadu_ps(m_, (y) + i_);             \
            const __m512 vd = _mm512_maskz_loadu_ps(m_, (dy) + i_);            \
            (void)vy;                                                          \
            _mm512_mask_storeu_ps((dx) + i_, m_, (OP));                        \
        }                                                                      \
    } while (0)

void myl_f32_vexp_avx512(size_t n, const float *x, float *y)
{
    MYL_MAP_AVX512(n, x, y, myl_exp_avx512(v));
}

void myl_f32_vsigmoid_avx512(size_t n, const float *x, float *y)
{
    MYL_MAP_AVX512(n, x, y, myl_sigmoid_avx512(v));
}

void myl_f32_vtanh_avx512(size_t n, const float *x, float *y)
{
    MYL_MAP_AVX512(n, x, y, myl_tanh_avx512(v));
}

void myl_f32_vact_avx512(int act, float slope, size_t n, const float *x, float *y)
{
    const __m512 vs = _mm512_set1_ps(slope);
    switch (act) {
    case MYL_ACT_RELU: MYL_MAP_AVX512(n, x, y, myl_relu_avx512(v)); break;
    case MYL_ACT_LEAKY_RELU: MYL_MAP_AVX512(n, x, y, myl_leaky_relu_avx512(v, vs)); break;
    case MYL_ACT_SIGMOID: MYL_MAP_AVX512(n, x, y, myl_sigmoid_avx512(v)); break;
    case MYL_ACT_TANH: MYL_MAP_AVX512(n, x, y, myl_tanh_avx512(v)); break;
    default:
        if (x != y)
            MYL_MAP_AVX512(n, x, y, v);
        break;
    }
}

/* The derivative through y, in the same operation order as the scalar path:
   relu passes dy where y > 0 (exact zeros elsewhere, even for dy = inf/NaN);
   tanh' = (1-y)(1+y), which unlike 1-y*y loses nothing as y nears +-1. */
void myl_f32_vact_bwd_avx512(int act, float slope, size_t n, const float *y, const float *dy,
                             float *dx)
{
    const __m512 one = _mm512_set1_ps(1.0f), vs = _mm512_set1_ps(slope), zero = _mm512_setzero_ps();
    switch (act) {
    case MYL_ACT_RELU:
        MYL_MAP2_AVX512(n, y, dy, dx, _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(vy, zero, _CMP_GT_OQ), vd));
        break;
    case MYL_ACT_LEAKY_RELU:
        MYL_MAP2_AVX512(n, y, dy, dx,
                        _mm512_mask_mul_ps(vd, _mm512_cmp_ps_mask(vy, zero, _CMP_NGT_UQ), vd, vs));
        break;
    case MYL_ACT_SIGMOID:
        MYL_MAP2_AVX512(n, y, dy, dx, _mm512_mul_ps(vd, _mm512_mul_ps(vy, _mm512_sub_ps(one, vy))));
        break;
    case MYL_ACT_TANH:
        MYL_MAP2_AVX512(n, y, dy, dx,
                        _mm512_mul_ps(vd, _mm512_mul_ps(_mm512_sub_ps(one, vy), _mm512_add_ps(one, vy))));
        break;
    default:
        if (dx != dy)
            MYL_MAP2_AVX512(n, y, dy, dx, vd);
        break;
    }
}

/* Stable softmax of one row: subtract the row maximum, exponentiate into y
   while summing, then scale by the reciprocal of the sum. */
void myl_f32_softmax_avx512(size_t n, const float *x, float *y)
{
    if (n == 0)
        return;
    const __m512 ninf = _mm512_set1_ps(-__builtin_inff());
    __m512 vmax = ninf;
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        vmax = _mm512_max_ps(vmax, _mm512_loadu_ps(x + i));
    if (i < n)
        vmax = _mm512_max_ps(vmax, _mm512_mask_loadu_ps(ninf, tail_mask(n - i), x + i));
    const __m512 m = _mm512_set1_ps(_mm512_reduce_max_ps(vmax));

    /* the sum in double: it stays within 1e-6 of the true sum for any row length */
    __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
    for (i = 0; i + 16 <= n; i += 16) {
        const __m512 e = myl_exp_avx512(_mm512_sub_ps(_mm512_loadu_ps(x + i), m));
        _mm512_storeu_ps(y + i, e);
        s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
        s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm512_extractf32x8_ps(e, 1)));
    }
    if (i < n) {
        const __mmask16 t = tail_mask(n - i);
        const __m512 e = _mm512_maskz_mov_ps(t, myl_exp_avx512(_mm512_sub_ps(_mm512_maskz_loadu_ps(t, x + i), m)));
        _mm512_mask_storeu_ps(y + i, t, e);
        s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
        s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm512_extractf32x8_ps(e, 1)));
    }
    const __m512 inv = _mm512_set1_ps((float)(1.0 / _mm512_reduce_add_pd(_mm512_add_pd(s0, s1))));
    MYL_MAP_AVX512(n, y, y, _mm512_mul_ps(v, inv));
}

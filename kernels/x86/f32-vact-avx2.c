/* Element-wise kernels of the avx2 path: 8 floats a step, the tail through
   vmaskmovps (masked-off lanes are neither read nor written, so no access
   goes past n). */
#include "kernels.h"
#include "x86/math-avx2.h"
#include "x86/vact-avx2.h"

/* Lanes i < left set (left in 1..7). */
static inline __m256i tail_mask(size_t left)
{
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)left), lane);
}

/* y[i] = OP(x[i]) for i < n; OP is an expression in the __m256 `v`. */
#define MYL_MAP_AVX2(n, x, y, OP)                                              \
    do {                                                                       \
        size_t i_ = 0;                                                         \
        for (; i_ + 16 <= (n); i_ += 16) {                                     \
            __m256 v = _mm256_loadu_ps((x) + i_);                              \
            const __m256 r0_ = (OP);                                           \
            v = _mm256_loadu_ps((x) + i_ + 8);                                 \
            const __m256 r1_ = (OP);                                           \
            _mm256_storeu_ps((y) + i_, r0_);                                   \
            _mm256_storeu_ps((y) + i_ + 8, r1_);                               \
        }                                                                      \
        for (; i_ + 8 <= (n); i_ += 8) {                                       \
            const __m256 v = _mm256_loadu_ps((x) + i_);                        \
            _mm256_storeu_ps((y) + i_, (OP));                                  \
        }                                                                      \
        if (i_ < (n)) {                                                        \
            const __m256i m_ = tail_mask((n) - i_);                            \
            const __m256 v = _mm256_maskload_ps((x) + i_, m_);                 \
            _mm256_maskstore_ps((y) + i_, m_, (OP));                           \
        }                                                                      \
    } while (0)

/* dx[i] = OP(y[i], dy[i]); OP is an expression in `vy` and `vd`. */
#define MYL_MAP2_AVX2(n, y, dy, dx, OP)                                        \
    do {                                                                       \
        size_t i_ = 0;                                                         \
        for (; i_ + 8 <= (n); i_ += 8) {                                       \
            const __m256 vy = _mm256_loadu_ps((y) + i_);                       \
            const __m256 vd = _mm256_loadu_ps((dy) + i_);                      \
            (void)vy;                                                          \
            _mm256_storeu_ps((dx) + i_, (OP));                                 \
        }                                                                      \
        if (i_ < (n)) {                                                        \
            const __m256i m_ = tail_mask((n) - i_);                            \
            const __m256 vy = _mm256_maskload_ps((y) + i_, m_);                \
            const __m256 vd = _mm256_maskload_ps((dy) + i_, m_);               \
            (void)vy;                                                          \
            _mm256_maskstore_ps((dx) + i_, m_, (OP));                          \
        }                                                                      \
    } while (0)

void myl_f32_vexp_avx2(size_t n, const float *x, float *y)
{
    MYL_MAP_AVX2(n, x, y, myl_exp_avx2(v));
}

void myl_f32_vsigmoid_avx2(size_t n, const float *x, float *y)
{
    MYL_MAP_AVX2(n, x, y, myl_sigmoid_avx2(v));
}

void myl_f32_vtanh_avx2(size_t n, const float *x, float *y)
{
    MYL_MAP_AVX2(n, x, y, myl_tanh_avx2(v));
}

void myl_f32_vact_avx2(int act, float slope, size_t n, const float *x, float *y)
{
    const __m256 vs = _mm256_set1_ps(slope);
    switch (act) {
    case MYL_ACT_RELU: MYL_MAP_AVX2(n, x, y, myl_relu_avx2(v)); break;
    case MYL_ACT_LEAKY_RELU: MYL_MAP_AVX2(n, x, y, myl_leaky_relu_avx2(v, vs)); break;
    case MYL_ACT_SIGMOID: MYL_MAP_AVX2(n, x, y, myl_sigmoid_avx2(v)); break;
    case MYL_ACT_TANH: MYL_MAP_AVX2(n, x, y, myl_tanh_avx2(v)); break;
    default:
        if (x != y)
            MYL_MAP_AVX2(n, x, y, v);
        break;
    }
}

/* Same operations, in the same order, as the scalar path (see there). */
void myl_f32_vact_bwd_avx2(int act, float slope, size_t n, const float *y, const float *dy, float *dx)
{
    const __m256 one = _mm256_set1_ps(1.0f), vs = _mm256_set1_ps(slope), zero = _mm256_setzero_ps();
    switch (act) {
    case MYL_ACT_RELU:
        MYL_MAP2_AVX2(n, y, dy, dx, _mm256_and_ps(_mm256_cmp_ps(vy, zero, _CMP_GT_OQ), vd));
        break;
    case MYL_ACT_LEAKY_RELU:
        MYL_MAP2_AVX2(n, y, dy, dx,
                      _mm256_blendv_ps(_mm256_mul_ps(vd, vs), vd, _mm256_cmp_ps(vy, zero, _CMP_GT_OQ)));
        break;
    case MYL_ACT_SIGMOID:
        MYL_MAP2_AVX2(n, y, dy, dx, _mm256_mul_ps(vd, _mm256_mul_ps(vy, _mm256_sub_ps(one, vy))));
        break;
    case MYL_ACT_TANH:
        MYL_MAP2_AVX2(n, y, dy, dx,
                      _mm256_mul_ps(vd, _mm256_mul_ps(_mm256_sub_ps(one, vy), _mm256_add_ps(one, vy))));
        break;
    default:
        if (dx != dy)
            MYL_MAP2_AVX2(n, y, dy, dx, vd);
        break;
    }
}

static inline float hmax(__m256 v)
{
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

/* Stable softmax of one row: subtract the row maximum, exponentiate into y
   while summing, then scale by the reciprocal of the sum. */
void myl_f32_softmax_avx2(size_t n, const float *x, float *y)
{
    if (n == 0)
        return;
    const __m256 ninf = _mm256_set1_ps(-__builtin_inff());
    __m256 vmax = ninf;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(x + i));
    if (i < n) {
        const __m256i t = tail_mask(n - i);
        vmax = _mm256_max_ps(vmax, _mm256_blendv_ps(ninf, _mm256_maskload_ps(x + i, t), _mm256_castsi256_ps(t)));
    }
    const __m256 m = _mm256_set1_ps(hmax(vmax));

    /* the sum in double: it stays within 1e-6 of the true sum for any row length */
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    for (i = 0; i + 8 <= n; i += 8) {
        const __m256 e = myl_exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(x + i), m));
        _mm256_storeu_ps(y + i, e);
        s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
        s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
    }
    if (i < n) {
        const __m256i t = tail_mask(n - i);
        const __m256 e = _mm256_and_ps(myl_exp_avx2(_mm256_sub_ps(_mm256_maskload_ps(x + i, t), m)),
                                       _mm256_castsi256_ps(t));
        _mm256_maskstore_ps(y + i, t, e);
        s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
        s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
    }
    const __m256d s = _mm256_add_pd(s0, s1);
    const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
    const __m256 inv = _mm256_set1_ps((float)(1.0 / _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)))));
    MYL_MAP_AVX2(n, y, y, _mm256_mul_ps(v, inv));
}

/* Softmax backward of a matrix, avx2: dx = y * (dy - s) per row, s = sum_j
   dy_j y_j, products exact in double and summed in double, as the engine's
   row loop did. Rows of up to 16 classes take two masked vectors and no
   inner loop (a per-row call cost more than the arithmetic on 10 classes). */
#include <immintrin.h>

#include "x86/vact-avx2.h"

static inline __m256i first_lanes(size_t n) /* lanes [0, n), n <= 8 */
{
    static const int32_t tbl[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(tbl + 8 - n));
}

/* s += a*b over 8 floats, in double. */
static inline __m256d dot8(__m256d s, __m256 a, __m256 b)
{
    s = _mm256_add_pd(s, _mm256_mul_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(a)),
                                       _mm256_cvtps_pd(_mm256_castps256_ps128(b))));
    return _mm256_add_pd(s, _mm256_mul_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(a, 1)),
                                          _mm256_cvtps_pd(_mm256_extractf128_ps(b, 1))));
}

static inline double hsum(__m256d s)
{
    const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
}

void myl_f32_softmax_bwd_avx2(size_t rows, size_t n, const float *y, size_t ldy, const float *dy, size_t lddy,
                              float *dx, size_t lddx)
{
    if (n <= 16) {
        const __m256i m0 = first_lanes(n < 8 ? n : 8), m1 = first_lanes(n > 8 ? n - 8 : 0);
        for (size_t i = 0; i < rows; i++, y += ldy, dy += lddy, dx += lddx) {
            const __m256 y0 = _mm256_maskload_ps(y, m0), g0 = _mm256_maskload_ps(dy, m0);
            __m256d s = dot8(_mm256_setzero_pd(), g0, y0);
            __m256 y1 = _mm256_setzero_ps(), g1 = _mm256_setzero_ps();
            if (n > 8) {
                y1 = _mm256_maskload_ps(y + 8, m1);
                g1 = _mm256_maskload_ps(dy + 8, m1);
                s = dot8(s, g1, y1);
            }
            const __m256 sf = _mm256_set1_ps((float)hsum(s));
            _mm256_maskstore_ps(dx, m0, _mm256_mul_ps(y0, _mm256_sub_ps(g0, sf)));
            if (n > 8)
                _mm256_maskstore_ps(dx + 8, m1, _mm256_mul_ps(y1, _mm256_sub_ps(g1, sf)));
        }
        return;
    }
    for (size_t i = 0; i < rows; i++, y += ldy, dy += lddy, dx += lddx) {
        __m256d s = _mm256_setzero_pd();
        for (size_t j = 0; j < n; j += 8) {
            const __m256i m = first_lanes(n - j < 8 ? n - j : 8);
            s = dot8(s, _mm256_maskload_ps(dy + j, m), _mm256_maskload_ps(y + j, m));
        }
        const __m256 sf = _mm256_set1_ps((float)hsum(s));
        for (size_t j = 0; j < n; j += 8) { /* dx may be dy: every dy_j was read above */
            const __m256i m = first_lanes(n - j < 8 ? n - j : 8);
            const __m256 yv = _mm256_maskload_ps(y + j, m), gv = _mm256_maskload_ps(dy + j, m);
            _mm256_maskstore_ps(dx + j, m, _mm256_mul_ps(yv, _mm256_sub_ps(gv, sf)));
        }
    }
}

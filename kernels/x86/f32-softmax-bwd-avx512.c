/* Softmax backward of a matrix, avx512: dx = y * (dy - s) per row, s = sum_j
   dy_j y_j. The products are exact in double (two 24-bit significands) and
   summed in double, as the engine's row loop did. Rows of up to 16 classes
   (the output layer) take one masked vector each and no inner loop: a
   per-row call and loop cost more than the arithmetic on 10-wide rows. */
#include <immintrin.h>

#include "x86/vact-avx512.h"

static inline __m512d prod_pd(__m512 a, __m512 b, int hi)
{
    const __m256 x = hi ? _mm512_extractf32x8_ps(a, 1) : _mm512_castps512_ps256(a);
    const __m256 y = hi ? _mm512_extractf32x8_ps(b, 1) : _mm512_castps512_ps256(b);
    return _mm512_mul_pd(_mm512_cvtps_pd(x), _mm512_cvtps_pd(y));
}

void myl_f32_softmax_bwd_avx512(size_t rows, size_t n, const float *y, size_t ldy, const float *dy, size_t lddy,
                                float *dx, size_t lddx)
{
    if (n <= 16) {
        const __mmask16 m = (__mmask16)((1u << n) - 1);
        for (size_t i = 0; i < rows; i++, y += ldy, dy += lddy, dx += lddx) {
            const __m512 yv = _mm512_maskz_loadu_ps(m, y), gv = _mm512_maskz_loadu_ps(m, dy);
            __m512d s = prod_pd(gv, yv, 0);
            if (n > 8)
                s = _mm512_add_pd(s, prod_pd(gv, yv, 1));
            const __m512 sf = _mm512_set1_ps((float)_mm512_reduce_add_pd(s));
            _mm512_mask_storeu_ps(dx, m, _mm512_mul_ps(yv, _mm512_sub_ps(gv, sf)));
        }
        return;
    }
    for (size_t i = 0; i < rows; i++, y += ldy, dy += lddy, dx += lddx) {
        __m512d s = _mm512_setzero_pd();
        for (size_t j = 0; j < n; j += 16) {
            const __mmask16 m = n - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - j)) - 1);
            const __m512 yv = _mm512_maskz_loadu_ps(m, y + j), gv = _mm512_maskz_loadu_ps(m, dy + j);
            s = _mm512_add_pd(s, _mm512_add_pd(prod_pd(gv, yv, 0), prod_pd(gv, yv, 1)));
        }
        const __m512 sf = _mm512_set1_ps((float)_mm512_reduce_add_pd(s));
        for (size_t j = 0; j < n; j += 16) { /* dx may be dy: every dy_j was read above */
            const __mmask16 m = n - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - j)) - 1);
            const __m512 yv = _mm512_maskz_loadu_ps(m, y + j), gv = _mm512_maskz_loadu_ps(m, dy + j);
            _mm512_mask_storeu_ps(dx + j, m, _mm512_mul_ps(yv, _mm512_sub_ps(gv, sf)));
        }
    }
}

/* Bytes to floats with a per-column transform, avx512: 16 bytes a step, the
   tail through masked loads and stores (no access past n). */
#include <immintrin.h>

#include "kernels.h"
#include "x86/vact-avx512.h"

void myl_u8_f32_vcvt_avx512(size_t n, const uint8_t *x, const float *offset, const float *scale, float *y)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 v = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(x + i))));
        _mm512_storeu_ps(y + i, _mm512_mul_ps(_mm512_sub_ps(v, _mm512_loadu_ps(offset + i)), _mm512_loadu_ps(scale + i)));
    }
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        const __m512 v = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, x + i)));
        const __m512 d = _mm512_sub_ps(v, _mm512_maskz_loadu_ps(m, offset + i));
        _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(d, _mm512_maskz_loadu_ps(m, scale + i)));
    }
}

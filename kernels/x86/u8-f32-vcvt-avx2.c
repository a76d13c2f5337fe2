/* Bytes to floats with a per-column transform, avx2: 16 bytes a step (two
   zero-extensions to 8 lanes), the tail in scalar code (the same two
   roundings). */
#include <immintrin.h>

#include "kernels.h"
#include "x86/vact-avx2.h"

static inline __m256 cvt8(__m128i b, const float *offset, const float *scale)
{
    const __m256 v = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(b));
    return _mm256_mul_ps(_mm256_sub_ps(v, _mm256_loadu_ps(offset)), _mm256_loadu_ps(scale));
}

void myl_u8_f32_vcvt_avx2(size_t n, const uint8_t *x, const float *offset, const float *scale, float *y)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(x + i));
        _mm256_storeu_ps(y + i, cvt8(b, offset + i, scale + i));
        _mm256_storeu_ps(y + i + 8, cvt8(_mm_srli_si128(b, 8), offset + i + 8, scale + i + 8));
    }
    for (; i < n; i++) {
        const float d = (float)x[i] - offset[i];
        y[i] = d * scale[i];
    }
}

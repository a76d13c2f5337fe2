/* Pieces the AVX2 GEMM tiles share (f32-gemm-6x16 and -4x24): the lane
   masks of a ragged column edge and the register epilogue of one 8-float
   vector (alpha, beta, bias, ReLU, leaky ReLU). */
#ifndef MYL_GEMM_EPI_AVX2_H
#define MYL_GEMM_EPI_AVX2_H
#include <immintrin.h>
#include <stdint.h>

#include "x86/gemm-avx2.h"
#include "x86/math-avx2.h"

#define INLINE static inline __attribute__((always_inline))

/* Lane mask of the first n (0..8) lanes. */
INLINE __m256i lanes(size_t n)
{
    static const int32_t tbl[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(tbl + 8 - n));
}

INLINE __m256 epi(__m256 acc, float *ci, const float *bias, __m256i mask, int full, __m256 alpha, __m256 beta,
                  int has_beta, __m256 slope, int act)
{
    __m256 v = _mm256_mul_ps(alpha, acc);
    if (has_beta)
        v = _mm256_fmadd_ps(beta, full ? _mm256_loadu_ps(ci) : _mm256_maskload_ps(ci, mask), v);
    if (bias)
        v = _mm256_add_ps(v, full ? _mm256_loadu_ps(bias) : _mm256_maskload_ps(bias, mask));
    if (act == MYL_ACT_RELU) /* not max(v, 0): maxps returns its second operand for NaN */
        v = myl_relu_avx2(v);
    else if (act == MYL_ACT_LEAKY_RELU)
        v = _mm256_blendv_ps(v, _mm256_mul_ps(v, slope), _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ));
    return v;
}

#endif

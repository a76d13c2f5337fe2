/* Pieces the AVX-512 GEMM tiles share (f32-gemm-12x32, -32x12-mlanes and
   -32x12-bt): the register epilogue, a 16 x 16 register transpose, the
   lane tiles' store, and the transposition of row-major A into an L1 buffer. */
#ifndef MYL_GEMM_TILE_AVX512_H
#define MYL_GEMM_TILE_AVX512_H
#include <immintrin.h>

#include "x86/gemm-avx512.h"
#include "x86/math-avx512.h"
#include "x86/vact-avx512.h"

#define INLINE static inline __attribute__((always_inline))

INLINE __m512 act_regs(int act, __m512 slope, __m512 v)
{
    if (act == MYL_ACT_RELU) /* not max(v, 0): maxps returns its second operand for NaN */
        return myl_relu_avx512(v);
    if (act == MYL_ACT_LEAKY_RELU)
        return _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ), v, slope);
    return v;
}

/* In-register transpose of a 16 x 16 block: r[j] lane i -> r[i] lane j. */
INLINE void transpose16(__m512 r[16])
{
    __m512 t[16], u[16];
#pragma GCC unroll 8
    for (int q = 0; q < 8; q++) {
        t[2 * q] = _mm512_unpacklo_ps(r[2 * q], r[2 * q + 1]);
        t[2 * q + 1] = _mm512_unpackhi_ps(r[2 * q], r[2 * q + 1]);
    }
#pragma GCC unroll 4
    for (int q = 0; q < 4; q++) {
        u[4 * q] = _mm512_shuffle_ps(t[4 * q], t[4 * q + 2], 0x44);
        u[4 * q + 1] = _mm512_shuffle_ps(t[4 * q], t[4 * q + 2], 0xee);
        u[4 * q + 2] = _mm512_shuffle_ps(t[4 * q + 1], t[4 * q + 3], 0x44);
        u[4 * q + 3] = _mm512_shuffle_ps(t[4 * q + 1], t[4 * q + 3], 0xee);
    }
#pragma GCC unroll 4
    for (int q = 0; q < 4; q++) {
        __m512 v0 = _mm512_shuffle_f32x4(u[q], u[q + 4], 0x88), v1 = _mm512_shuffle_f32x4(u[q], u[q + 4], 0xdd);
        __m512 v2 = _mm512_shuffle_f32x4(u[q + 8], u[q + 12], 0x88);
        __m512 v3 = _mm512_shuffle_f32x4(u[q + 8], u[q + 12], 0xdd);
        r[q] = _mm512_shuffle_f32x4(v0, v2, 0x88);
        r[q + 8] = _mm512_shuffle_f32x4(v0, v2, 0xdd);
        r[q + 4] = _mm512_shuffle_f32x4(v1, v3, 0x88);
        r[q + 12] = _mm512_shuffle_f32x4(v1, v3, 0xdd);
    }
}

/* Epilogue of one 16-row vector group of a rows-along-lanes tile: transpose,
   then row by row as in the 12x32 tile, so both give the same bytes. */
INLINE void mlanes_store(__m512 acc[16], float *c, size_t ldc, size_t rows, int cols, const myl_epilogue *ep)
{
    const __mmask16 cm = (__mmask16)((1u << cols) - 1);
    const __m512 alpha = _mm512_set1_ps(ep->alpha), beta = _mm512_set1_ps(ep->beta);
    const __m512 slope = _mm512_set1_ps(ep->slope);
    const int has_beta = ep->beta != 0.0f;
    const __m512 bias = ep->bias ? _mm512_maskz_loadu_ps(cm, ep->bias) : _mm512_setzero_ps();
    const int act = ep->act;
    transpose16(acc);
#pragma GCC unroll 16
    for (size_t i = 0; i < 16; i++) {
        if (i >= rows)
            break;
        float *ci = c + i * ldc;
        __m512 v = _mm512_mul_ps(alpha, acc[i]);
        if (has_beta)
            v = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(cm, ci), v);
        v = _mm512_add_ps(v, bias);
        v = act_regs(act, slope, v);
        _mm512_mask_storeu_ps(ci, cm, v);
    }
}

/* A lane tile's start: zero accumulators, and C's rows fetched now (they
   are read, for beta, and written only after the K loop). */
INLINE void mlanes_start(__m512 acc0[16], __m512 acc1[16], const float *c, size_t ldc, size_t m)
{
#pragma GCC unroll 16
    for (int j = 0; j < 16; j++) {
        acc0[j] = _mm512_setzero_ps();
        acc1[j] = _mm512_setzero_ps();
    }
#pragma GCC unroll 32
    for (size_t i = 0; i < m; i++)
        __builtin_prefetch(c + i * ldc, 1, 3);
}

/* The whole epilogue of a lane tile of m <= 32 rows (nv 16-row vectors);
   sigmoid and tanh through the row kernel while the rows are in L1. */
INLINE void mlanes_finish(__m512 acc0[16], __m512 acc1[16], float *c, size_t ldc, size_t m, const int nv,
                          const int cols, const myl_epilogue *ep)
{
    mlanes_store(acc0, c, ldc, m < 16 ? m : 16, cols, ep);
    if (nv > 1)
        mlanes_store(acc1, c + 16 * ldc, ldc, m - 16, cols, ep);
    if (ep->act == MYL_ACT_SIGMOID || ep->act == MYL_ACT_TANH)
        for (size_t i = 0; i < m; i++)
            myl_f32_vact_avx512(ep->act, ep->slope, (size_t)cols, c + i * ldc, c + i * ldc);
}

/* Chunk of K transposed at a time by myl_f32_mlanes_transpose_avx512. */
#define MLANES_KCHUNK 64
/* buf[p*32 + i] = A(i, p) for rows i < 32 (zero for i >= m) and p < kc <=
   MLANES_KCHUNK, A row-major (f32-gemm-32x12-mlanes-avx512.c). */
void myl_f32_mlanes_transpose_avx512(const float *pa, size_t rsa, size_t m, size_t kc, float *buf, __m512 *accm);

#endif

/* BF16 GEMM micro-kernel on AVX512-BF16, tile 12 x 32: 24 zmm accumulators
   (12 rows x two 16-lane vectors) of FP32, one vdpbf16ps per row and vector
   and K pair: two B loads (32 columns x one pair) and one 32-bit broadcast
   of A (the row's pair) per row, twice the FP32 kernel's products per
   instruction. A and B are always packed (kernels/bf16.h): A as 12 row
   streams of pairs, rows >= m zero, so every call runs the whole 12-row
   tile; B's panel is zero past column n. The epilogue is the FP32 kernel's
   (alpha, beta by FMA, bias, ReLU that lets NaN through, leaky ReLU), and
   kernels/scalar/bf16-gemm-12x32-scalar.c gives the same bytes. */
#include <immintrin.h>

#include "kernels.h"

#define MR MYL_BF16_MR
#define NR MYL_BF16_NR
#define B_PREFETCH_STEPS 8 /* pairs ahead: 8 x 128 bytes */
#define INLINE static inline __attribute__((always_inline))

INLINE __m512 act_regs(int act, __m512 slope, __m512 v)
{
    if (act == MYL_ACT_RELU) /* v > 0 or NaN: v; else +0 (a max would drop NaN) */
        return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_NLE_UQ), v);
    if (act == MYL_ACT_LEAKY_RELU)
        return _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ), v, slope);
    return v;
}

#define ROWS_MAX MYL_BF16_MR_NARROW

INLINE void tile(size_t k, const uint32_t *pa, size_t rsa, size_t csa, const uint32_t *pb, size_t ldpb, float *c,
                 size_t ldc, size_t m, size_t n, const int rows, const int nv, const myl_epilogue *ep)
{
    __m512 acc0[ROWS_MAX], acc1[MR];
#pragma GCC unroll 24
    for (int i = 0; i < rows; i++) {
        acc0[i] = _mm512_setzero_ps();
        if (nv > 1)
            acc1[i] = _mm512_setzero_ps();
    }
#pragma GCC unroll 24
    for (size_t i = 0; i < (size_t)rows; i++)
        if (i < m)
            __builtin_prefetch(c + i * ldc, 1, 3);
    /* Rows in groups of three, one pointer each plus 0, 1 or 2 row strides:
       four registers for twelve streams (twelve pointers spilled). */
    const size_t r1 = rsa, r2 = 2 * rsa;
    const uint32_t *g[ROWS_MAX / 3];
#pragma GCC unroll 8
    for (int q = 0; q < rows / 3; q++)
        g[q] = pa + (size_t)(3 * q) * r1;
    const size_t kq = (k + 1) / 2;
    for (size_t q = 0; q < kq; q++) {
        __m512i b0 = _mm512_load_si512(pb);
        __m512i b1 = _mm512_setzero_si512();
        if (nv > 1) {
            b1 = _mm512_load_si512(pb + 16);
            __asm__("" : "+v"(b0), "+v"(b1)); /* B in registers, not folded into 24 loads */
        }
        _mm_prefetch((const char *)(pb + B_PREFETCH_STEPS * NR), _MM_HINT_T0);
        _mm_prefetch((const char *)(pb + B_PREFETCH_STEPS * NR + 16), _MM_HINT_T0);
#pragma GCC unroll 24
        for (int i = 0; i < rows; i++) {
            const uint32_t *gi = g[i / 3];
            const __m512i a = _mm512_set1_epi32((int)gi[i % 3 == 0 ? 0 : i % 3 == 1 ? r1 : r2]);
            acc0[i] = _mm512_dpbf16_ps(acc0[i], (__m512bh)a, (__m512bh)b0);
            if (nv > 1)
                acc1[i] = _mm512_dpbf16_ps(acc1[i], (__m512bh)a, (__m512bh)b1);
        }
#pragma GCC unroll 8
        for (int t = 0; t < rows / 3; t++)
            g[t] += csa;
        pb += ldpb;
    }
    const __mmask16 m0 = n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1);
    const __mmask16 m1 = n >= 32 ? (__mmask16)0xffff : n > 16 ? (__mmask16)((1u << (n - 16)) - 1) : 0;
    const __m512 alpha = _mm512_set1_ps(ep->alpha), beta = _mm512_set1_ps(ep->beta);
    const __m512 slope = _mm512_set1_ps(ep->slope);
    const int has_beta = ep->beta != 0.0f; /* beta == 0: C is never read */
    __m512 bias0 = _mm512_setzero_ps(), bias1 = _mm512_setzero_ps();
    const int has_bias = ep->bias != NULL;
    if (has_bias) {
        bias0 = _mm512_maskz_loadu_ps(m0, ep->bias);
        if (nv > 1)
            bias1 = _mm512_maskz_loadu_ps(m1, ep->bias + 16);
    }
    const int act = ep->act;
#pragma GCC unroll 24
    for (size_t i = 0; i < (size_t)rows; i++) {
        if (i >= m)
            break;
        float *ci = c + i * ldc;
        __m512 v0 = _mm512_mul_ps(alpha, acc0[i]);
        if (has_beta)
            v0 = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(m0, ci), v0);
        if (has_bias) /* not added when absent: -0 + 0 would be +0 */
            v0 = _mm512_add_ps(v0, bias0);
        v0 = act_regs(act, slope, v0);
        _mm512_mask_storeu_ps(ci, m0, v0);
        if (nv > 1) {
            __m512 v1 = _mm512_mul_ps(alpha, acc1[i]);
            if (has_beta)
                v1 = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(m1, ci + 16), v1);
            if (has_bias)
                v1 = _mm512_add_ps(v1, bias1);
            v1 = act_regs(act, slope, v1);
            _mm512_mask_storeu_ps(ci + 16, m1, v1);
        }
    }
}

void myl_bf16_gemm_ukr_12x32_avx512bf16(size_t k, const void *pa, size_t rsa, size_t csa, const void *pb,
                                        size_t ldpb, float *c, size_t ldc, size_t m, size_t n,
                                        const myl_epilogue *ep)
{
    if (n > 16)
        tile(k, pa, rsa, csa, pb, ldpb, c, ldc, m, n, MR, 2, ep);
    else if (m > MR) /* the driver's narrow tiles: rows of two packed panels */
        tile(k, pa, rsa, csa, pb, ldpb, c, ldc, m, n, ROWS_MAX, 1, ep);
    else
        tile(k, pa, rsa, csa, pb, ldpb, c, ldc, m, n, MR, 1, ep);
}

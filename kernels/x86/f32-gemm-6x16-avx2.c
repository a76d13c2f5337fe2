/* AVX2 + FMA GEMM micro-kernel, tile 6 x 16: 12 ymm accumulators (6 rows x
   two 8-float vectors), two B loads and one A broadcast per row and K step:
   15 of the 16 ymm registers. Instantiated per row count and per number of
   column vectors so partial tiles cost what they compute; edge columns use
   masked loads/stores so nothing outside the m x n tile is touched. Linear,
   ReLU and leaky ReLU are applied on the registers; sigmoid and tanh through
   the path's row kernel while the rows are in L1. */
#include <immintrin.h>

#include "pack.h"
#include "x86/pack-transpose-avx2.h"
#include "x86/gemm-avx2.h"
#include "x86/gemm-epi-avx2.h"
#include "x86/gemm-rows-case.h"
#include "x86/math-avx2.h"
#include "x86/vact-avx2.h"

#define MR MYL_AVX2_MR
#define NR MYL_AVX2_NR

INLINE void tile(size_t k, const float *pa, size_t rsa, size_t csa, const float *pb, size_t ldpb, float *c, size_t ldc,
                 const int rows, const int nv, const int direct, size_t n, const myl_epilogue *ep)
{
    __m256 acc0[MR], acc1[MR];
#pragma GCC unroll 6
    for (int i = 0; i < rows; i++) {
        acc0[i] = _mm256_setzero_ps();
        acc1[i] = _mm256_setzero_ps();
    }
#pragma GCC unroll 6
    for (int i = 0; i < rows; i++) { /* C lines on their way for the epilogue */
        _mm_prefetch((const char *)(c + (size_t)i * ldc), _MM_HINT_T0);
        if (nv > 1)
            _mm_prefetch((const char *)(c + (size_t)i * ldc + 8), _MM_HINT_T0);
    }
    /* Column masks; B is read through them on a ragged edge, so an unpacked
       B is never read past column n (full tiles use plain loads). */
    const int full0 = n >= 8, full1 = n >= 16;
    const __m256i mk0 = lanes(n >= 8 ? 8 : n), mk1 = lanes(n >= 16 ? 8 : n > 8 ? n - 8 : 0);
    for (size_t p = 0; p < k; p++) {
        /* Pinned in registers (see the AVX-512 kernel): one load each per step. */
        __m256 b0 = full0 ? _mm256_loadu_ps(pb) : _mm256_maskload_ps(pb, mk0);
        __m256 b1 = nv < 2 ? b0 : full1 ? _mm256_loadu_ps(pb + 8) : _mm256_maskload_ps(pb + 8, mk1);
        __asm__("" : "+x"(b0), "+x"(b1));
#pragma GCC unroll 6
        for (int i = 0; i < rows; i++) {
            const __m256 a = _mm256_broadcast_ss(direct ? pa + (size_t)i * rsa : pa + i);
            acc0[i] = _mm256_fmadd_ps(a, b0, acc0[i]);
            if (nv > 1)
                acc1[i] = _mm256_fmadd_ps(a, b1, acc1[i]);
        }
        pa += direct ? 1 : csa;
        pb += ldpb;
    }
    const __m256 alpha = _mm256_set1_ps(ep->alpha), beta = _mm256_set1_ps(ep->beta);
    const __m256 slope = _mm256_set1_ps(ep->slope);
    const int has_beta = ep->beta != 0.0f; /* beta == 0: C is never read (NaN must not leak) */
    const int act = ep->act == MYL_ACT_RELU || ep->act == MYL_ACT_LEAKY_RELU ? ep->act : MYL_ACT_LINEAR;
    const float *bias = ep->bias;
#pragma GCC unroll 6
    for (int i = 0; i < rows; i++) {
        float *ci = c + (size_t)i * ldc;
        __m256 v0 = epi(acc0[i], ci, bias, mk0, full0, alpha, beta, has_beta, slope, act);
        if (full0)
            _mm256_storeu_ps(ci, v0);
        else
            _mm256_maskstore_ps(ci, mk0, v0);
        if (nv > 1) {
            __m256 v1 = epi(acc1[i], ci + 8, bias ? bias + 8 : NULL, mk1, full1, alpha, beta, has_beta,
                            slope, act);
            if (full1)
                _mm256_storeu_ps(ci + 8, v1);
            else
                _mm256_maskstore_ps(ci + 8, mk1, v1);
        }
    }
    if (ep->act == MYL_ACT_SIGMOID || ep->act == MYL_ACT_TANH)
        for (int i = 0; i < rows; i++)
            myl_f32_vact_avx2(ep->act, ep->slope, n, c + (size_t)i * ldc, c + (size_t)i * ldc);
}

/* Instances per row count and one or two column vectors (x86/gemm-rows-case.h). */
#define ROWS_CASE(r) MYL_ROWS_CASE_NV2(r, 8)

void myl_f32_gemm_ukr_avx2(size_t k, const void *pa_, size_t rsa, size_t csa, const void *pb_, size_t ldpb, float *c, size_t ldc,
                           size_t m, size_t n, const myl_epilogue *ep)
{
    const float *pa = pa_, *pb = pb_;
    switch (m) {
        ROWS_CASE(1) ROWS_CASE(2) ROWS_CASE(3) ROWS_CASE(4) ROWS_CASE(5) ROWS_CASE(6)
    default: break;
    }
}

/* Packing: the shared x86 packers (x86/pack-transpose-avx2.h) at this tile's shape. */
void myl_pack_a_avx2(int trans, size_t mc, size_t kc, const float *a, size_t lda, void *dst)
{
    myl_pack_a_x86(MR, trans, mc, kc, a, lda, dst);
}

void myl_pack_b_avx2(int trans, size_t kc, size_t nc, const float *b, size_t ldb, void *dst)
{
    myl_pack_b_x86(NR, trans, kc, nc, b, ldb, dst);
}

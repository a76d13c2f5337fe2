/* AVX2 + FMA GEMM micro-kernel variant, tile 4 x 24: 12 ymm accumulators
   (4 rows x three 8-float vectors), three B loads and four A broadcasts per
   K step (7 loads for 12 FMAs, against 8 in the 6x16 tile), and row-major A
   read in place through one pointer per row that advances with K, so no
   load uses an index register (see f32-gemm-32x12-avx512.c for why that
   matters on Intel's cores). 15 of the 16 ymm registers. Each element is
   one FMA chain over K from zero, then the same epilogue as the 6x16 tile:
   the same bytes as the path's other variant. */
#include <immintrin.h>

#include "pack.h"
#include "x86/pack-transpose-avx2.h"
#include "x86/gemm-avx2.h"
#include "x86/gemm-epi-avx2.h"
#include "x86/gemm-rows-case.h"
#include "x86/math-avx2.h"
#include "x86/vact-avx2.h"

#define MR 4
#define NR 24
#define NV 3

INLINE void tile(size_t k, const float *pa, size_t rsa, size_t csa, const float *pb, size_t ldpb, float *c, size_t ldc,
                 const int rows, const int nv, const int direct, size_t n, const myl_epilogue *ep)
{
    __m256 acc[MR][NV];
#pragma GCC unroll 4
    for (int i = 0; i < rows; i++)
#pragma GCC unroll 3
        for (int v = 0; v < NV; v++) {
            acc[i][v] = _mm256_setzero_ps();
            if (v < nv)
                _mm_prefetch((const char *)(c + (size_t)i * ldc + 8 * v), _MM_HINT_T0);
        }
    int full[NV];
    __m256i mk[NV];
#pragma GCC unroll 3
    for (int v = 0; v < NV; v++) {
        size_t w = n >= 8 * (size_t)(v + 1) ? 8 : n > 8 * (size_t)v ? n - 8 * (size_t)v : 0;
        full[v] = w == 8;
        mk[v] = lanes(w);
    }
    /* One pointer per row of A: row-major in place (advancing by 1), or
       packed / stored transposed (all advancing by csa, row i at +i). */
    const float *ar[MR];
#pragma GCC unroll 4
    for (int i = 0; i < MR; i++)
        ar[i] = direct ? pa + (size_t)(i < rows ? i : 0) * rsa : pa;
    const size_t step = direct ? 1 : csa;
    for (size_t p = 0; p < k; p++) {
        __m256 b[NV];
#pragma GCC unroll 3
        for (int v = 0; v < NV; v++)
            b[v] = v >= nv ? _mm256_setzero_ps() : full[v] ? _mm256_loadu_ps(pb + 8 * v) : _mm256_maskload_ps(pb + 8 * v, mk[v]);
        __asm__("" : "+x"(b[0]), "+x"(b[1]), "+x"(b[2])); /* one load each per step (see the 6x16 tile) */
#pragma GCC unroll 4
        for (int i = 0; i < rows; i++) {
            const __m256 a = _mm256_broadcast_ss(direct ? ar[i] : ar[0] + i);
#pragma GCC unroll 3
            for (int v = 0; v < nv; v++)
                acc[i][v] = _mm256_fmadd_ps(a, b[v], acc[i][v]);
        }
        if (direct) {
#pragma GCC unroll 4
            for (int i = 0; i < rows; i++)
                ar[i] += step;
        } else {
            ar[0] += step;
        }
        pb += ldpb;
    }
    const __m256 alpha = _mm256_set1_ps(ep->alpha), beta = _mm256_set1_ps(ep->beta);
    const __m256 slope = _mm256_set1_ps(ep->slope);
    const int has_beta = ep->beta != 0.0f; /* beta == 0: C is never read (NaN must not leak) */
    const int act = ep->act == MYL_ACT_RELU || ep->act == MYL_ACT_LEAKY_RELU ? ep->act : MYL_ACT_LINEAR;
    const float *bias = ep->bias;
#pragma GCC unroll 4
    for (int i = 0; i < rows; i++) {
        float *ci = c + (size_t)i * ldc;
#pragma GCC unroll 3
        for (int v = 0; v < nv; v++) {
            __m256 r = epi(acc[i][v], ci + 8 * v, bias ? bias + 8 * v : NULL, mk[v], full[v], alpha, beta, has_beta,
                           slope, act);
            if (full[v])
                _mm256_storeu_ps(ci + 8 * v, r);
            else
                _mm256_maskstore_ps(ci + 8 * v, mk[v], r);
        }
    }
    if (ep->act == MYL_ACT_SIGMOID || ep->act == MYL_ACT_TANH)
        for (int i = 0; i < rows; i++)
            myl_f32_vact_avx2(ep->act, ep->slope, n, c + (size_t)i * ldc, c + (size_t)i * ldc);
}

/* Instances per row count and one to three column vectors (x86/gemm-rows-case.h). */
#define ROWS_CASE(r) MYL_ROWS_CASE_NV3(r, 8)

void myl_f32_gemm_ukr_4x24_avx2(size_t k, const void *pa_, size_t rsa, size_t csa, const void *pb_, size_t ldpb,
                                float *c, size_t ldc, size_t m, size_t n, const myl_epilogue *ep)
{
    const float *pa = pa_, *pb = pb_;
    switch (m) {
        ROWS_CASE(1) ROWS_CASE(2) ROWS_CASE(3) ROWS_CASE(4)
    default: break;
    }
}

/* Packing: the shared x86 packers (x86/pack-transpose-avx2.h) at this tile's shape. */
void myl_pack_a_4x24_avx2(int trans, size_t mc, size_t kc, const float *a, size_t lda, void *dst)
{
    myl_pack_a_x86(MR, trans, mc, kc, a, lda, dst);
}

void myl_pack_b_4x24_avx2(int trans, size_t kc, size_t nc, const float *b, size_t ldb, void *dst)
{
    myl_pack_b_x86(NR, trans, kc, nc, b, ldb, dst);
}

/* AVX-512 GEMM micro-kernel, tile 12 x 32: 24 zmm accumulators (12 rows x two
   16-float vectors), two B loads and one A broadcast per row and K step, which
   leaves registers to spare and hides the 4-cycle FMA latency on two pipes.
   Narrow products (n <= 16, A read in place) take up to 96 rows per call,
   in row tiles of up to 24 rows with one column vector (the driver sends
   the n = 10 output layer to the rows-along-lanes kernel instead,
   f32-gemm-32x12-mlanes-avx512.c, when the tuning record says so).
   The tile is instantiated for every row count (1..12) and for one or two
   column vectors, so partial tiles (m < 12, n <= 16) cost only what they
   compute; masked loads and stores keep every access inside the m x n tile.
   The epilogue (alpha, beta, bias, ReLU, leaky ReLU) runs on the registers;
   sigmoid and tanh through the path's row kernel while the rows are in L1. */
#include <immintrin.h>
#include <string.h>

#include "pack.h"
#include "x86/gemm-rows-case.h"
#include "x86/gemm-tile-avx512.h"
#include "x86/pack-transpose-avx2.h"

#define MR MYL_AVX512_MR
#define NR MYL_AVX512_NR
#define B_PREFETCH_STEPS 16
#define ROWS_NARROW 24 /* rows of the one-vector row tile */

INLINE void tile(size_t k, const float *pa, size_t rsa, size_t csa, const float *pb, size_t ldpb, float *c, size_t ldc,
                 const int rows, const int nv, const int direct, size_t n, const myl_epilogue *ep)
{
    __m512 acc0[ROWS_NARROW], acc1[MR];
#pragma GCC unroll 24
    for (int i = 0; i < rows; i++) {
        acc0[i] = _mm512_setzero_ps();
        if (nv > 1)
            acc1[i] = _mm512_setzero_ps();
    }
    /* C is read (beta) and written only after the K loop: start fetching
       its lines now, for writing (prefetchw), so the epilogue waits neither
       on L3 or memory nor on another core that holds them: in two-thread
       training, C is often what the other core read last (2 threads,
       Fashion-MNIST 784-128-64-10 b128, ~330 ns between the cores: epochs
       3.8 % faster, median of 8 interleaved pairs; one thread unchanged). */
#pragma GCC unroll 24
    for (int i = 0; i < rows; i++) {
        __builtin_prefetch(c + (size_t)i * ldc, 1, 3);
        if (nv > 1)
            __builtin_prefetch(c + (size_t)i * ldc + 16, 1, 3);
    }
    /* Column masks: lanes [0, n) of the 32-wide tile. B is read through
       them too, so an unpacked B is never read past column n. */
    const __mmask16 m0 = n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1);
    const __mmask16 m1 = n >= 32 ? (__mmask16)0xffff : n > 16 ? (__mmask16)((1u << (n - 16)) - 1) : 0;
    /* Row-major A: rows in groups of three, each group one pointer plus
       0, 1 or 2 row strides, so twelve row streams need six registers and
       nothing spills (twelve row pointers did); 24 rows (one column
       vector) need ten. */
    const size_t r1 = direct ? rsa : 0, r2 = 2 * r1;
    const float *g[ROWS_NARROW / 3];
#pragma GCC unroll 8
    for (int q = 0; q < ROWS_NARROW / 3; q++)
        g[q] = rows > 3 * q ? pa + (size_t)(3 * q) * r1 : pa;
    for (size_t p = 0; p < k; p++) {
        /* The empty asm pins B in registers: otherwise gcc folds the B load
           into every FMA, 24 loads per step instead of 2 (load-bound). */
        __m512 b0 = _mm512_maskz_loadu_ps(m0, pb);
        __m512 b1 = _mm512_setzero_ps();
        if (nv > 1) {
            b1 = _mm512_maskz_loadu_ps(m1, pb + 16);
            __asm__("" : "+v"(b0), "+v"(b1));
            /* A packed B micro-panel (KC 768: 96 KiB) streams from L2, the
               hardware prefetcher does not keep ahead of it: fetch 16 steps
               ahead. (A, 48 bytes a step, gains nothing from it.) */
            if (ldpb == NR) {
                _mm_prefetch((const char *)(pb + B_PREFETCH_STEPS * NR), _MM_HINT_T0);
                _mm_prefetch((const char *)(pb + B_PREFETCH_STEPS * NR + 16), _MM_HINT_T0);
            }
        }
#pragma GCC unroll 24
        for (int i = 0; i < rows; i++) {
            const float *gi = g[i / 3];
            const __m512 a = _mm512_set1_ps(direct ? gi[i % 3 == 0 ? 0 : i % 3 == 1 ? r1 : r2] : pa[i]);
            acc0[i] = _mm512_fmadd_ps(a, b0, acc0[i]);
            if (nv > 1)
                acc1[i] = _mm512_fmadd_ps(a, b1, acc1[i]);
        }
        if (direct) {
#pragma GCC unroll 8
            for (int q = 0; q < ROWS_NARROW / 3; q++)
                if (rows > 3 * q)
                    g[q]++;
        } else {
            pa += csa;
        }
        pb += ldpb;
    }
    const __m512 alpha = _mm512_set1_ps(ep->alpha), beta = _mm512_set1_ps(ep->beta);
    const __m512 slope = _mm512_set1_ps(ep->slope);
    const int has_beta = ep->beta != 0.0f; /* beta == 0: C is never read (NaN must not leak) */
    __m512 bias0 = _mm512_setzero_ps(), bias1 = _mm512_setzero_ps();
    if (ep->bias) {
        bias0 = _mm512_maskz_loadu_ps(m0, ep->bias);
        if (nv > 1)
            bias1 = _mm512_maskz_loadu_ps(m1, ep->bias + 16);
    }
    const int act = ep->act;
#pragma GCC unroll 24
    for (int i = 0; i < rows; i++) {
        float *ci = c + (size_t)i * ldc;
        __m512 v0 = _mm512_mul_ps(alpha, acc0[i]);
        if (has_beta)
            v0 = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(m0, ci), v0);
        v0 = _mm512_add_ps(v0, bias0);
        v0 = act_regs(act, slope, v0);
        _mm512_mask_storeu_ps(ci, m0, v0);
        if (nv > 1) {
            __m512 v1 = _mm512_mul_ps(alpha, acc1[i]);
            if (has_beta)
                v1 = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(m1, ci + 16), v1);
            v1 = _mm512_add_ps(v1, bias1);
            v1 = act_regs(act, slope, v1);
            _mm512_mask_storeu_ps(ci + 16, m1, v1);
        }
    }
    if (act == MYL_ACT_SIGMOID || act == MYL_ACT_TANH)
        for (int i = 0; i < rows; i++)
            myl_f32_vact_avx512(act, ep->slope, n, c + (size_t)i * ldc, c + (size_t)i * ldc);
}

/* Instances per row count and one or two column vectors (x86/gemm-rows-case.h);
   13..24 rows: one column vector only (n <= 16, the table's mr_narrow). */
#define ROWS_CASE(r) MYL_ROWS_CASE_NV2(r, 16)
#define NARROW_CASE(r) MYL_ROWS_CASE_NV1(r)

/* Narrow panels (n <= 16) of more than ROWS_NARROW rows: out of line, so
   the common tiles keep a small stack frame. (Rows along the lanes, the
   other narrow tile, is the driver's choice: the tuning record's.) */
static __attribute__((noinline)) void narrow_rows(size_t k, const float *pa, size_t rsa, size_t csa,
                                                  const float *pb, size_t ldpb, float *c, size_t ldc, size_t m,
                                                  size_t n, const myl_epilogue *ep)
{
    for (size_t i0 = 0; i0 < m; i0 += ROWS_NARROW)
        myl_f32_gemm_ukr_avx512(k, pa + i0 * rsa, rsa, csa, pb, ldpb, c + i0 * ldc, ldc,
                                m - i0 < ROWS_NARROW ? m - i0 : ROWS_NARROW, n, ep);
}

void myl_f32_gemm_ukr_avx512(size_t k, const void *pa_, size_t rsa, size_t csa, const void *pb_, size_t ldpb, float *c,
                             size_t ldc, size_t m, size_t n, const myl_epilogue *ep)
{
    const float *pa = pa_, *pb = pb_;
    if (m > ROWS_NARROW) {
        narrow_rows(k, pa, rsa, csa, pb, ldpb, c, ldc, m, n, ep);
        return;
    }
    switch (m) {
        ROWS_CASE(1) ROWS_CASE(2) ROWS_CASE(3) ROWS_CASE(4) ROWS_CASE(5) ROWS_CASE(6)
        ROWS_CASE(7) ROWS_CASE(8) ROWS_CASE(9) ROWS_CASE(10) ROWS_CASE(11) ROWS_CASE(12)
        NARROW_CASE(13) NARROW_CASE(14) NARROW_CASE(15) NARROW_CASE(16) NARROW_CASE(17) NARROW_CASE(18)
        NARROW_CASE(19) NARROW_CASE(20) NARROW_CASE(21) NARROW_CASE(22) NARROW_CASE(23) NARROW_CASE(24)
    default: break;
    }
}

/* Packing: the shared x86 packers (x86/pack-transpose-avx2.h) at this tile's shape. */
void myl_pack_a_avx512(int trans, size_t mc, size_t kc, const float *a, size_t lda, void *dst)
{
    myl_pack_a_x86(MR, trans, mc, kc, a, lda, dst);
}

void myl_pack_b_avx512(int trans, size_t kc, size_t nc, const float *b, size_t ldb, void *dst)
{
    myl_pack_b_x86(NR, trans, kc, nc, b, ldb, dst);
}

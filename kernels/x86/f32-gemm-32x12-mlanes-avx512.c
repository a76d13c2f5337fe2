/* AVX-512 GEMM micro-kernel for narrow products, rows along the vector
   lanes: up to 32 rows (two 16-row vectors) x n <= 12 columns, one
   accumulator per column and 16-row vector, so every lane does useful work
   (n = 10 on column lanes uses 10 of 16). Per K step: one A load per row
   vector and one B broadcast per column. A contiguous along its rows (packed
   or stored transposed) is read in place; row-major A is transposed in K
   chunks through an L1 buffer. The tile is transposed back in registers for
   the epilogue, which then runs row by row exactly as in the 12x32 tile: each
   element sees the same operations in the same order, so both tiles give the
   same bytes. */
#include <immintrin.h>
#include <string.h>

#include "x86/gemm-tile-avx512.h"

/* One K step of tile_mlanes: A rows [0,16) and [16,32) at a, B row at b. */
INLINE void mlanes_step(__m512 acc0[16], __m512 acc1[16], __m512 a0, __m512 a1, const float *b, const int nv,
                        const int cols)
{
#pragma GCC unroll 16
    for (int j = 0; j < cols; j++) {
        const __m512 bj = _mm512_set1_ps(b[j]);
        acc0[j] = _mm512_fmadd_ps(a0, bj, acc0[j]);
        if (nv > 1)
            acc1[j] = _mm512_fmadd_ps(a1, bj, acc1[j]);
    }
}

/* Row-major A pays a transposition (64 shuffles per 16 x 16 block); measured
   on Zen 5 (256 x n x 64) it wins for n <= 10 and loses at n = 12
   (the tuning record's lanes_rowmajor_nmax).
   buf[p*32 + i] = A(i, p) for rows i < 32 (zero for i >= m) and p < kc <= MLANES_KCHUNK,
   A row-major. Not inlined, and handed the caller's accumulator store (not
   touched here) so that the compiler cannot carry them across the call. */
__attribute__((noinline)) void myl_f32_mlanes_transpose_avx512(const float *pa, size_t rsa, size_t m, size_t kc,
                                                               float *buf, __m512 *accm)
{
    (void)accm;
    __asm__ volatile("" : : "r"(accm) : "memory");
    for (size_t q = 0; q < kc; q += 16) {
        const __mmask16 km = kc - q >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (kc - q)) - 1);
        for (size_t h = 0; h < 32 && h < m; h += 16) {
            __m512 r[16];
#pragma GCC unroll 16
            for (size_t i = 0; i < 16; i++)
                r[i] = h + i < m ? _mm512_maskz_loadu_ps(km, pa + (h + i) * rsa + q) : _mm512_setzero_ps();
            transpose16(r);
#pragma GCC unroll 16
            for (size_t i = 0; i < 16; i++)
                _mm512_store_ps(buf + (q + i) * 32 + h, r[i]);
        }
    }
}

INLINE void tile_mlanes(size_t k, const float *pa, size_t rsa, size_t csa, const float *pb, size_t ldpb, float *c,
                        size_t ldc, size_t m, const int nv, const int cols, const int rowmajor,
                        const myl_epilogue *ep)
{
    __m512 acc0[16], acc1[16];
    mlanes_start(acc0, acc1, c, ldc, m);
    if (!rowmajor) {
        const __mmask16 r0 = m >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << m) - 1);
        const __mmask16 r1 = m >= 32 ? (__mmask16)0xffff : m > 16 ? (__mmask16)((1u << (m - 16)) - 1) : 0;
        for (size_t p = 0; p < k; p++) {
            const __m512 a0 = _mm512_maskz_loadu_ps(r0, pa);
            const __m512 a1 = nv > 1 ? _mm512_maskz_loadu_ps(r1, pa + 16) : _mm512_setzero_ps();
            mlanes_step(acc0, acc1, a0, a1, pb, nv, cols);
            pa += csa;
            pb += ldpb;
        }
    } else {
        /* Row-major A: chunks of K are transposed into an L1 buffer (rows
           along the lanes) before their steps. The accumulators go through
           memory around each transposition (the callee may touch accm), so
           the compiler keeps them in registers inside the K loop. */
        float buf[MLANES_KCHUNK * 32] __attribute__((aligned(64)));
        __m512 accm[32];
#pragma GCC unroll 32
        for (int j = 0; j < 32; j++)
            accm[j] = _mm512_setzero_ps();
        for (size_t p0 = 0; p0 < k; p0 += MLANES_KCHUNK) {
            const size_t kc = k - p0 < MLANES_KCHUNK ? k - p0 : MLANES_KCHUNK;
            myl_f32_mlanes_transpose_avx512(pa + p0, rsa, m, kc, buf, accm);
            __m512 x0[16], x1[16];
#pragma GCC unroll 16
            for (int j = 0; j < 16; j++) {
                x0[j] = accm[j];
                x1[j] = accm[16 + j];
            }
            for (size_t p = 0; p < kc; p++) {
                const __m512 a0 = _mm512_load_ps(buf + p * 32);
                const __m512 a1 = nv > 1 ? _mm512_load_ps(buf + p * 32 + 16) : _mm512_setzero_ps();
                mlanes_step(x0, x1, a0, a1, pb, nv, cols);
                pb += ldpb;
            }
#pragma GCC unroll 16
            for (int j = 0; j < 16; j++) {
                accm[j] = x0[j];
                accm[16 + j] = x1[j];
            }
        }
#pragma GCC unroll 16
        for (int j = 0; j < 16; j++) {
            acc0[j] = accm[j];
            acc1[j] = accm[16 + j];
        }
    }
    mlanes_finish(acc0, acc1, c, ldc, m, nv, cols, ep);
}

#define MLANES_CASE(nc)                                                                  \
    case nc:                                                                             \
        if (rsa == 1)                                                                    \
            mm > 16 ? tile_mlanes(k, pa, 1, csa, pb, ldpb, c, ldc, mm, 2, nc, 0, ep)     \
                    : tile_mlanes(k, pa, 1, csa, pb, ldpb, c, ldc, mm, 1, nc, 0, ep);    \
        else                                                                             \
            mm > 16 ? tile_mlanes(k, pa, rsa, 1, pb, ldpb, c, ldc, mm, 2, nc, 1, ep)     \
                    : tile_mlanes(k, pa, rsa, 1, pb, ldpb, c, ldc, mm, 1, nc, 1, ep);    \
        break;

/* Rows in chunks of 32; n <= MYL_AVX512_NR_LANES, A packed, stored
   transposed or row-major. */
void myl_f32_gemm_mlanes_avx512(size_t k, const void *pa_, size_t rsa, size_t csa, const void *pb_, size_t ldpb,
                                float *c, size_t ldc, size_t m, size_t n, const myl_epilogue *ep)
{
    const float *pa = pa_, *pb = pb_;
    for (size_t i0 = 0; i0 < m; i0 += 32, pa += 32 * rsa, c += 32 * ldc) {
        const size_t mm = m - i0 < 32 ? m - i0 : 32;
        switch (n) {
            MLANES_CASE(1) MLANES_CASE(2) MLANES_CASE(3) MLANES_CASE(4) MLANES_CASE(5) MLANES_CASE(6)
            MLANES_CASE(7) MLANES_CASE(8) MLANES_CASE(9) MLANES_CASE(10) MLANES_CASE(11) MLANES_CASE(12)
        default: break;
        }
    }
}

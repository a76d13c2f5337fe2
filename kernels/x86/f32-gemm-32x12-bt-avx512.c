/* AVX-512 GEMM micro-kernel for B stored transposed (dY . W^T) with few
   rows: rows along the vector lanes, 32 x 12 tiles, B read in place.
   Chosen by the driver's cost model (engine/gemm.c) over packing B. */
#include <immintrin.h>
#include <string.h>

#include "x86/gemm-tile-avx512.h"

#define BT_COLS MYL_AVX512_NR_BT

/* B stored transposed (B(p, j) = pb[j*ldb + p], e.g. dY.W^T) with few rows:
   the rows-along-lanes tile reads B in place, each column a contiguous run
   along K, so B is never packed. Columns in groups of three, one pointer
   each plus 0, 1 or 2 strides (as the row groups of tile()). */
INLINE void tile_mlanes_bt(size_t k, const float *pa, size_t csa, const float *pb, size_t ldb, float *c, size_t ldc,
                           size_t m, const int nv, const int cols, const myl_epilogue *ep)
{
    __m512 acc0[16], acc1[16];
    mlanes_start(acc0, acc1, c, ldc, m);
    const __mmask16 r0 = m >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << m) - 1);
    const __mmask16 r1 = m >= 32 ? (__mmask16)0xffff : m > 16 ? (__mmask16)((1u << (m - 16)) - 1) : 0;
    const size_t s1 = ldb, s2 = 2 * ldb;
    const float *g[BT_COLS / 3];
#pragma GCC unroll 8
    for (int q = 0; q < BT_COLS / 3; q++)
        g[q] = cols > 3 * q ? pb + (size_t)(3 * q) * ldb : pb;
    for (size_t p = 0; p < k; p++) {
        const __m512 a0 = _mm512_maskz_loadu_ps(r0, pa);
        const __m512 a1 = nv > 1 ? _mm512_maskz_loadu_ps(r1, pa + 16) : _mm512_setzero_ps();
#pragma GCC unroll 16
        for (int j = 0; j < cols; j++) {
            const float *gj = g[j / 3];
            const __m512 bj = _mm512_set1_ps(gj[j % 3 == 0 ? 0 : j % 3 == 1 ? s1 : s2]);
            acc0[j] = _mm512_fmadd_ps(a0, bj, acc0[j]);
            if (nv > 1)
                acc1[j] = _mm512_fmadd_ps(a1, bj, acc1[j]);
        }
#pragma GCC unroll 8
        for (int q = 0; q < BT_COLS / 3; q++)
            if (cols > 3 * q)
                g[q]++;
        pa += csa;
    }
    mlanes_finish(acc0, acc1, c, ldc, m, nv, cols, ep);
}

#define BT_CASE(nc)                                                                      \
    case nc:                                                                             \
        m > 16 ? tile_mlanes_bt(k, pa, csa, pb, ldpb, c, ldc, m, 2, nc, ep)              \
               : tile_mlanes_bt(k, pa, csa, pb, ldpb, c, ldc, m, 1, nc, ep);             \
        break;

void myl_f32_gemm_ukr_bt_avx512(size_t k, const void *pa_, size_t rsa, size_t csa, const void *pb_, size_t ldpb,
                                float *c, size_t ldc, size_t m, size_t n, const myl_epilogue *ep)
{
    (void)rsa; /* always 1: A contiguous along its rows */
    const float *pa = pa_, *pb = pb_;
    switch (n) {
        BT_CASE(1) BT_CASE(2) BT_CASE(3) BT_CASE(4) BT_CASE(5) BT_CASE(6)
        BT_CASE(7) BT_CASE(8) BT_CASE(9) BT_CASE(10) BT_CASE(11) BT_CASE(12)
    default: break;
    }
}

/* A for the B-transposed kernel: dst[p*MR_BT + i] = op(A)(i, p), i < mc <= MR_BT. */
void myl_pack_a_bt_avx512(int trans, size_t mc, size_t kc, const float *a, size_t lda, void *dst_)
{
    float *dst = dst_;
    if (trans) {
        for (size_t p = 0; p < kc; p++)
            memcpy(dst + p * MYL_AVX512_MR_BT, a + p * lda, mc * sizeof(float));
        return;
    }
    for (size_t p0 = 0; p0 < kc; p0 += MLANES_KCHUNK)
        myl_f32_mlanes_transpose_avx512(a + p0, lda, mc, kc - p0 < MLANES_KCHUNK ? kc - p0 : MLANES_KCHUNK,
                                        dst + p0 * MYL_AVX512_MR_BT, NULL);
}


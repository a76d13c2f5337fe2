/* AVX-512 GEMM micro-kernel variant shaped for Intel's cores, tile 32 x 12:
   A along the vector lanes (two 16-row loads per K step), B broadcast from
   memory, 24 zmm accumulators (BLIS's Skylake-X SGEMM shape). Every memory
   operand of the inner loop is a base register plus a constant
   displacement, never base + index: Intel's cores split ("un-laminate")
   micro-fused loads with indexed addressing in three-operand instructions,
   which the 12x32 tile's in-place A (one broadcast per row stream) pays
   there. Per K step: 2 A loads, 12 broadcasts, 24 FMAs (12 cycles on two
   512-bit FMA ports); the A panel (32 x KC) streams from L2 and is
   prefetched A_PREFETCH_STEPS steps ahead, the B micro-panel stays in L1.
   Designed from the documented resources, not measured on an Intel CPU
   (none at hand); on Zen 5 see bench/README.md.
   Each element is one FMA chain over K from zero, then the same epilogue
   as the 12x32 tile (via the shared transpose in gemm-tile-avx512.h): the
   same bytes as every other variant of the path. */
#include <immintrin.h>

#include "pack.h"
#include "x86/gemm-tile-avx512.h"
#include "x86/pack-transpose-avx2.h"

#define MR 32
#define NR 12
#define A_PREFETCH_STEPS 8

/* packed: A is a zero-padded 32-row panel (csa == MR), read whole without
   masks; else A stored transposed (csa == lda), only rows < m read. */
INLINE void tile(size_t k, const float *pa, size_t csa, const float *pb, size_t ldpb, float *c, size_t ldc, size_t m,
                 const int nv, const int cols, const int packed, const myl_epilogue *ep)
{
    __m512 acc0[16], acc1[16];
    mlanes_start(acc0, acc1, c, ldc, m);
    const __mmask16 r0 = m >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << m) - 1);
    const __mmask16 r1 = m >= 32 ? (__mmask16)0xffff : m > 16 ? (__mmask16)((1u << (m - 16)) - 1) : 0;
    for (size_t p = 0; p < k; p++) {
        __m512 a0, a1 = _mm512_setzero_ps();
        if (packed) {
            a0 = _mm512_load_ps(pa);
            if (nv > 1)
                a1 = _mm512_load_ps(pa + 16);
            _mm_prefetch((const char *)(pa + A_PREFETCH_STEPS * MR), _MM_HINT_T0);
            _mm_prefetch((const char *)(pa + A_PREFETCH_STEPS * MR + 16), _MM_HINT_T0);
        } else {
            a0 = _mm512_maskz_loadu_ps(r0, pa);
            if (nv > 1)
                a1 = _mm512_maskz_loadu_ps(r1, pa + 16);
        }
#pragma GCC unroll 12
        for (int j = 0; j < cols; j++) {
            const __m512 bj = _mm512_set1_ps(pb[j]);
            acc0[j] = _mm512_fmadd_ps(a0, bj, acc0[j]);
            if (nv > 1)
                acc1[j] = _mm512_fmadd_ps(a1, bj, acc1[j]);
        }
        pa += csa;
        pb += ldpb;
    }
    mlanes_finish(acc0, acc1, c, ldc, m, nv, cols, ep);
}

#define COLS_CASE(nc)                                                                   \
    case nc:                                                                            \
        if (packed)                                                                     \
            m > 16 ? tile(k, pa, csa, pb, ldpb, c, ldc, m, 2, nc, 1, ep)                \
                   : tile(k, pa, csa, pb, ldpb, c, ldc, m, 1, nc, 1, ep);               \
        else                                                                            \
            m > 16 ? tile(k, pa, csa, pb, ldpb, c, ldc, m, 2, nc, 0, ep)                \
                   : tile(k, pa, csa, pb, ldpb, c, ldc, m, 1, nc, 0, ep);               \
        break;

void myl_f32_gemm_ukr_32x12_avx512(size_t k, const void *pa_, size_t rsa, size_t csa, const void *pb_, size_t ldpb,
                                   float *c, size_t ldc, size_t m, size_t n, const myl_epilogue *ep)
{
    const float *pa = pa_, *pb = pb_;
    if (rsa != 1 || m > MR) { /* row-major A in place, or many rows: the lanes kernel's loops */
        myl_f32_gemm_mlanes_avx512(k, pa_, rsa, csa, pb_, ldpb, c, ldc, m, n, ep);
        return;
    }
    const int packed = csa == MR && ((uintptr_t)pa & 63) == 0;
    switch (n) {
        COLS_CASE(1) COLS_CASE(2) COLS_CASE(3) COLS_CASE(4) COLS_CASE(5) COLS_CASE(6)
        COLS_CASE(7) COLS_CASE(8) COLS_CASE(9) COLS_CASE(10) COLS_CASE(11) COLS_CASE(12)
    default: break;
    }
}

/* A in 32-row panels, pa[p*32 + i]; B in 12-column panels, pb[p*12 + j]
   (the shared x86 packers, x86/pack-transpose-avx2.h). */
void myl_pack_a_32x12_avx512(int trans, size_t mc, size_t kc, const float *a, size_t lda, void *dst)
{
    myl_pack_a_x86(MR, trans, mc, kc, a, lda, dst);
}

void myl_pack_b_32x12_avx512(int trans, size_t kc, size_t nc, const float *b, size_t ldb, void *dst)
{
    myl_pack_b_x86(NR, trans, kc, nc, b, ldb, dst);
}

/* Transposing panel copy for the x86 packers (AVX2 instructions, so it is
   included only by files compiled with -mavx2 or more):
     dst[c*ldd + r] = src[r*lds + c]   for r < rows, c < cols,
     dst[c*ldd + r] = 0                for rows <= r < width,
   in 8x8 register transposes; the ragged edges go element by element. This
   is the slow direction of packing (op(B) stored transposed, op(A) stored
   row-major), where the generic loop moved one float per cycle or less. */
#ifndef MYL_PACK_TRANSPOSE_AVX2_H
#define MYL_PACK_TRANSPOSE_AVX2_H

#include <immintrin.h>
#include <stddef.h>

#include "pack.h"

static inline void myl_transpose8x8_avx2(const float *src, size_t lds, float *dst, size_t ldd)
{
    __m256 r0 = _mm256_loadu_ps(src + 0 * lds), r1 = _mm256_loadu_ps(src + 1 * lds);
    __m256 r2 = _mm256_loadu_ps(src + 2 * lds), r3 = _mm256_loadu_ps(src + 3 * lds);
    __m256 r4 = _mm256_loadu_ps(src + 4 * lds), r5 = _mm256_loadu_ps(src + 5 * lds);
    __m256 r6 = _mm256_loadu_ps(src + 6 * lds), r7 = _mm256_loadu_ps(src + 7 * lds);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xee);
    __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xee);
    __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xee);
    __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xee);
    _mm256_storeu_ps(dst + 0 * ldd, _mm256_permute2f128_ps(s0, s4, 0x20));
    _mm256_storeu_ps(dst + 1 * ldd, _mm256_permute2f128_ps(s1, s5, 0x20));
    _mm256_storeu_ps(dst + 2 * ldd, _mm256_permute2f128_ps(s2, s6, 0x20));
    _mm256_storeu_ps(dst + 3 * ldd, _mm256_permute2f128_ps(s3, s7, 0x20));
    _mm256_storeu_ps(dst + 4 * ldd, _mm256_permute2f128_ps(s0, s4, 0x31));
    _mm256_storeu_ps(dst + 5 * ldd, _mm256_permute2f128_ps(s1, s5, 0x31));
    _mm256_storeu_ps(dst + 6 * ldd, _mm256_permute2f128_ps(s2, s6, 0x31));
    _mm256_storeu_ps(dst + 7 * ldd, _mm256_permute2f128_ps(s3, s7, 0x31));
}

static inline void myl_pack_transpose_avx2(const float *src, size_t lds, size_t rows, size_t cols, size_t width,
                                           float *dst, size_t ldd)
{
    size_t r = 0;
    for (; r + 8 <= rows; r += 8) {
        size_t c = 0;
        for (; c + 8 <= cols; c += 8)
            myl_transpose8x8_avx2(src + r * lds + c, lds, dst + c * ldd + r, ldd);
        for (; c < cols; c++)
            for (size_t i = 0; i < 8; i++)
                dst[c * ldd + r + i] = src[(r + i) * lds + c];
    }
    for (; r < rows; r++)
        for (size_t c = 0; c < cols; c++)
            dst[c * ldd + r] = src[r * lds + c];
    if (rows < width)
        for (size_t c = 0; c < cols; c++)
            for (size_t i = rows; i < width; i++)
                dst[c * ldd + i] = 0.0f;
}

/* The x86 GEMM paths' packers, shared by every tile shape (the kernel files
   keep a thin wrapper per shape, for the kernel tables): the contiguous
   directions through the generic copies, the transposing ones (A
   row-major, B stored transposed) in 8x8 registers. A in mr-row panels,
   pa[p*mr + i]; B in nr-column panels, pb[p*nr + j]. */
static inline void myl_pack_a_x86(size_t mr, int trans, size_t mc, size_t kc, const float *a, size_t lda, void *dst_)
{
    if (trans) {
        myl_pack_a_f32(mr, trans, mc, kc, a, lda, dst_);
        return;
    }
    float *dst = dst_;
    for (size_t i0 = 0; i0 < mc; i0 += mr, dst += mr * kc)
        myl_pack_transpose_avx2(a + i0 * lda, lda, mc - i0 < mr ? mc - i0 : mr, kc, mr, dst, mr);
}

static inline void myl_pack_b_x86(size_t nr, int trans, size_t kc, size_t nc, const float *b, size_t ldb, void *dst_)
{
    if (!trans) {
        myl_pack_b_f32(nr, trans, kc, nc, b, ldb, dst_);
        return;
    }
    float *dst = dst_;
    for (size_t j0 = 0; j0 < nc; j0 += nr, dst += nr * kc)
        myl_pack_transpose_avx2(b + j0 * ldb, ldb, nc - j0 < nr ? nc - j0 : nr, kc, nr, dst, nr);
}

#endif

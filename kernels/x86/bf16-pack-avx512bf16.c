/* Packing FP32 operands into the BF16 pair layouts (kernels/bf16.h) with
   AVX-512: vcvtne2ps2bf16 rounds 32 floats at once exactly as
   myl_bf16_round does. Along K contiguous (A row-major, B stored
   transposed), its 32 results in order are 16 pairs already; across K (A
   stored transposed, B row-major), one word permutation interleaves two K
   rows into 16 pairs. The two directions that do not match the packed
   layout: A stored transposed is packed K-major instead (kernels/bf16.h),
   B stored transposed goes through a 16 x 16 transpose. */
#include <immintrin.h>
#include <string.h>

#include "bf16.h"
#include "kernels.h"
#include "x86/gemm-tile-avx512.h"

#define MR MYL_BF16_MR
#define NR MYL_BF16_NR

void myl_bf16_pack_a_avx512bf16(int trans, size_t mc, size_t kc, const float *a, size_t lda, void *dst);
void myl_bf16_pack_b_avx512bf16(int trans, size_t kc, size_t nc, const float *b, size_t ldb, void *dst);

/* Pairs of two K rows: word j = BF16(lo[j]) | BF16(hi[j]) << 16. */
INLINE __m512i pair_rows(__m512 lo, __m512 hi)
{
    const __m512i zip = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6,
                                         21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    return _mm512_permutexvar_epi16(zip, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
}

/* Pairs along one row: 32 consecutive floats (x0: 0..15, x1: 16..31) -> 16 words. */
INLINE __m512i pair_along(__m512 x0, __m512 x1) { return (__m512i)_mm512_cvtne2ps_pbh(x1, x0); }

INLINE __mmask16 first(size_t n) { return n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1); }

/* 16 words from a row of K-contiguous floats, starting at element p of kc. */
INLINE __m512i row_pairs(const float *x, size_t p, size_t kc)
{
    size_t left = kc - p;
    __m512 x0 = _mm512_maskz_loadu_ps(first(left), x + p);
    __m512 x1 = _mm512_maskz_loadu_ps(left > 16 ? first(left - 16) : 0, x + p + 16);
    return pair_along(x0, x1);
}

/* 16 words from the K rows 2q and 2q+1 of a K-across matrix, w columns. */
INLINE __m512i across_pairs(const float *x, size_t ld, size_t q, size_t kc, size_t w)
{
    const __mmask16 cm = first(w);
    const size_t p = 2 * q;
    __m512 lo = _mm512_maskz_loadu_ps(cm, x + p * ld);
    __m512 hi = p + 1 < kc ? _mm512_maskz_loadu_ps(cm, x + (p + 1) * ld) : _mm512_setzero_ps();
    return pair_rows(lo, hi);
}

INLINE void transpose16i(__m512i v[16])
{
    __m512 f[16];
#pragma GCC unroll 16
    for (int t = 0; t < 16; t++)
        f[t] = _mm512_castsi512_ps(v[t]);
    transpose16(f);
#pragma GCC unroll 16
    for (int t = 0; t < 16; t++)
        v[t] = _mm512_castps_si512(f[t]);
}

void myl_bf16_pack_a_avx512bf16(int trans, size_t mc, size_t kc, const float *a, size_t lda, void *dst)
{
    uint32_t *d = dst;
    const size_t s = myl_bf16_a_stride(kc), kq = (kc + 1) / 2;
    if (trans) {
        /* Stored k x m, packed K-major: two stored rows give a panel's 12
           pairs q; every panel of the pair of rows before the next pair, so
           A is read in its memory order (panel by panel: 16 cycles a step,
           each step's rows a stride apart). */
        const __mmask16 rm = first(MR);
        for (size_t q = 0; q < kq; q++)
            for (size_t i0 = 0; i0 < mc; i0 += MR)
                _mm512_mask_storeu_epi32(d + i0 * s + q * MR, rm,
                                         across_pairs(a + i0, lda, q, kc, mc - i0 < MR ? mc - i0 : MR));
        return;
    }
    for (size_t i0 = 0; i0 < mc; i0 += MR, d += MR * s) {
        const size_t mi = mc - i0 < MR ? mc - i0 : MR;
        { /* row-major: each row's pairs are adjacent floats */
            for (size_t i = 0; i < MR; i++) {
                uint32_t *row = d + i * s;
                if (i >= mi) {
                    memset(row, 0, kq * sizeof *row);
                    continue;
                }
                const float *x = a + (i0 + i) * lda;
                for (size_t q = 0; q < kq; q += 16)
                    _mm512_mask_storeu_epi32(row + q, first(kq - q), row_pairs(x, 2 * q, kc));
            }
        }
    }
}

void myl_bf16_pack_b_avx512bf16(int trans, size_t kc, size_t nc, const float *b, size_t ldb, void *dst)
{
    uint32_t *d = dst;
    const size_t kq = (kc + 1) / 2;
    for (size_t j0 = 0; j0 < nc; j0 += NR, d += kq * NR) {
        const size_t nj = nc - j0 < NR ? nc - j0 : NR;
        if (!trans) { /* row-major k x n: pairs of two K rows */
            for (size_t q = 0; q < kq; q++) {
                _mm512_store_si512(d + q * NR, across_pairs(b + j0, ldb, q, kc, nj));
                _mm512_store_si512(d + q * NR + 16,
                                   nj > 16 ? across_pairs(b + j0 + 16, ldb, q, kc, nj - 16) : _mm512_setzero_si512());
            }
            continue;
        }
        /* Stored n x k: each column's pairs adjacent; 16 columns x 16 pairs transposed. */
        for (size_t h = 0; h < NR; h += 16)
            for (size_t q0 = 0; q0 < kq; q0 += 16) {
                __m512i v[16];
#pragma GCC unroll 16
                for (size_t t = 0; t < 16; t++)
                    v[t] = h + t < nj ? row_pairs(b + (j0 + h + t) * ldb, 2 * q0, kc) : _mm512_setzero_si512();
                transpose16i(v);
#pragma GCC unroll 16
                for (size_t t = 0; t < 16; t++)
                    if (q0 + t < kq)
                        _mm512_store_si512(d + (q0 + t) * NR + h, v[t]);
            }
    }
}

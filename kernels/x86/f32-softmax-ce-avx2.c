/* Softmax + categorical cross-entropy of a batch, avx2, 8 rows at a time
   along the vector lanes (n <= 16 classes, as on an output layer), as
   f32-softmax-ce-avx512.c does with 16: no horizontal reductions and no
   branches on the data. The one-row-per-iteration version spent its time in
   horizontal max/sum and a scalar log per row and reached 1.5x a naive loop
   on 10 classes. Each group of 8 rows is copied into a 8x16 tile and
   transposed (classes to vectors) in 8x8 register transposes, and the
   probabilities and gradients back. The loss comes from the logits,
   t (lse - z) with lse = max + log(sum exp(z - max)), so it stays finite when
   a probability underflows; NaN or +inf logits make it NaN. Same contract as
   the avx512 kernel (kernels/kernels.h). */
#include <immintrin.h>
#include <string.h>

#include "x86/math-avx2.h"
#include "x86/pack-transpose-avx2.h"
#include "x86/vact-avx2.h"

/* log(x) for 1 <= x <= 16 (a sum of exp(z - max) over at most 16 classes),
   NaN for NaN: x = m 2^k with m in [0.75, 1.5), log m = 2 atanh(u),
   u = (m - 1)/(m + 1), by its series to u^11, as the avx512 kernel's log_pos. */
static inline __m256 log_1_16(__m256 x)
{
    const __m256i b = _mm256_castps_si256(x);
    __m256 k = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(b, 23), _mm256_set1_epi32(127)));
    __m256 m = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(b, _mm256_set1_epi32(0x7fffff)),
                                                   _mm256_set1_epi32(0x3f800000))); /* [1, 2) */
    const __m256 big = _mm256_cmp_ps(m, _mm256_set1_ps(1.5f), _CMP_GE_OQ);
    const __m256 one = _mm256_set1_ps(1.0f);
    m = _mm256_blendv_ps(m, _mm256_mul_ps(m, _mm256_set1_ps(0.5f)), big);
    k = _mm256_add_ps(k, _mm256_and_ps(big, one));
    const __m256 u = _mm256_div_ps(_mm256_sub_ps(m, one), _mm256_add_ps(m, one)), u2 = _mm256_mul_ps(u, u);
    __m256 s = _mm256_set1_ps(1.0f / 11.0f);
    s = _mm256_fmadd_ps(s, u2, _mm256_set1_ps(1.0f / 9.0f));
    s = _mm256_fmadd_ps(s, u2, _mm256_set1_ps(1.0f / 7.0f));
    s = _mm256_fmadd_ps(s, u2, _mm256_set1_ps(1.0f / 5.0f));
    s = _mm256_fmadd_ps(s, u2, _mm256_set1_ps(1.0f / 3.0f));
    s = _mm256_fmadd_ps(s, u2, one);
    const __m256 r = _mm256_fmadd_ps(k, _mm256_set1_ps(0.693147180559945309f),
                                     _mm256_mul_ps(_mm256_add_ps(u, u), s));
    return _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q)); /* NaN stays NaN */
}

/* Lane i: the first j < n where v[j] is largest (argmax, first maximum). */
static inline __m256 first_max(const __m256 *v, size_t n)
{
    __m256 best = v[0], at = _mm256_setzero_ps();
    for (size_t j = 1; j < n; j++) {
        const __m256 up = _mm256_cmp_ps(v[j], best, _CMP_GT_OQ);
        best = _mm256_blendv_ps(best, v[j], up);
        at = _mm256_blendv_ps(at, _mm256_set1_ps((float)j), up);
    }
    return at;
}

/* rows r < rr of src (n floats each) into the 8x16 tile, zeros elsewhere,
   then transposed: col[j] lane r = src[r n + j]. */
static inline void load_cols(const float *src, size_t rr, size_t n, float tile[8][16], __m256 *col)
{
    float ct[16][8];
    memset(tile, 0, 8 * 16 * sizeof(float));
    for (size_t r = 0; r < rr; r++)
        memcpy(tile[r], src + r * n, n * sizeof(float));
    myl_transpose8x8_avx2(&tile[0][0], 16, &ct[0][0], 8);
    if (n > 8)
        myl_transpose8x8_avx2(&tile[0][8], 16, &ct[8][0], 8);
    for (size_t j = 0; j < n; j++)
        col[j] = _mm256_loadu_ps(ct[j]);
}

/* The inverse of load_cols: col[j] lane r to dst[r n + j], r < rr. */
static inline void store_cols(const __m256 *col, size_t rr, size_t n, float tile[8][16], float *dst)
{
    float ct[16][8];
    for (size_t j = 0; j < 16; j++)
        _mm256_storeu_ps(ct[j], j < n ? col[j] : _mm256_setzero_ps());
    myl_transpose8x8_avx2(&ct[0][0], 8, &tile[0][0], 16);
    if (n > 8)
        myl_transpose8x8_avx2(&ct[8][0], 8, &tile[0][8], 16);
    for (size_t r = 0; r < rr; r++)
        memcpy(dst + r * n, tile[r], n * sizeof(float));
}

void myl_f32_softmax_ce_avx2(size_t rows, size_t n, const float *z, const float *t, float *p, float *g,
                             float g_scale, double *loss_sum, size_t *correct)
{
    float tile[8][16];
    double sum = 0.0;
    size_t right = 0;
    const __m256 zero = _mm256_setzero_ps();
    for (size_t r0 = 0; r0 < rows; r0 += 8) {
        const size_t rr = rows - r0 < 8 ? rows - r0 : 8;
        __m256 zc[16], tc[16], e[16];
        load_cols(z + r0 * n, rr, n, tile, zc);
        load_cols(t + r0 * n, rr, n, tile, tc);
        __m256 mx = zc[0];
        for (size_t j = 1; j < n; j++)
            mx = _mm256_max_ps(mx, zc[j]);
        __m256 s = zero;
        for (size_t j = 0; j < n; j++) {
            e[j] = myl_exp_avx2(_mm256_sub_ps(zc[j], mx));
            s = _mm256_add_ps(s, e[j]);
        }
        const __m256 inv = _mm256_div_ps(_mm256_set1_ps(1.0f), s);
        const __m256 lse = _mm256_add_ps(mx, log_1_16(s));
        __m256 loss = zero;
        for (size_t j = 0; j < n; j++) {
            /* terms with t = 0 left out, as -t log p would be (rows past rr have t = 0) */
            const __m256 nz = _mm256_cmp_ps(tc[j], zero, _CMP_NEQ_UQ);
            loss = _mm256_add_ps(loss, _mm256_and_ps(nz, _mm256_mul_ps(tc[j], _mm256_sub_ps(lse, zc[j]))));
            e[j] = _mm256_mul_ps(e[j], inv); /* p */
        }
        if (correct) {
            const unsigned eq = (unsigned)_mm256_movemask_ps(
                _mm256_cmp_ps(first_max(e, n), first_max(tc, n), _CMP_EQ_OQ));
            right += (size_t)__builtin_popcount(eq & ((1u << rr) - 1));
        }
        const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(loss));
        const __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(loss, 1));
        const __m256d d = _mm256_add_pd(lo, hi);
        const __m128d d2 = _mm_add_pd(_mm256_castpd256_pd128(d), _mm256_extractf128_pd(d, 1));
        sum += _mm_cvtsd_f64(_mm_add_sd(d2, _mm_unpackhi_pd(d2, d2)));
        if (g) {
            const __m256 gs = _mm256_set1_ps(g_scale);
            for (size_t j = 0; j < n; j++)
                tc[j] = _mm256_mul_ps(_mm256_sub_ps(e[j], tc[j]), gs);
            store_cols(tc, rr, n, tile, g + r0 * n);
        }
        if (p)
            store_cols(e, rr, n, tile, p + r0 * n);
    }
    *loss_sum = sum;
    if (correct)
        *correct = right;
}

/* Softmax + categorical cross-entropy of a batch, avx512, 16 rows at a time
   along the vector lanes (n <= 16 classes, as on an output layer): no
   horizontal reductions, no per-row calls, and no branches on the data
   (targets and predictions change from row to row, and the engine's row
   loop lost more time to mispredicted branches than to arithmetic). Each
   group of 16 rows is transposed in registers (classes to vectors), and the
   probabilities and gradients back. The loss comes from the logits,
   t (lse - z) with lse = max + log(sum exp(z - max)), so it stays finite when
   a probability underflows; NaN or +inf logits make it NaN. */
#include <immintrin.h>

#include "x86/gemm-tile-avx512.h"
#include "x86/math-avx512.h"

/* log(x) for positive normal x (here 1 <= x <= 16), NaN for NaN: x = m 2^k
   with m in [0.75, 1.5), log m = 2 atanh(u), u = (m - 1)/(m + 1) in
   [-1/7, 1/5], by its series to u^11 (the next term is below 2^-31). */
static inline __m512 log_pos(__m512 x)
{
    const __m512 m = _mm512_getmant_ps(x, _MM_MANT_NORM_p75_1p5, _MM_MANT_SIGN_src);
    const __m512 k = _mm512_sub_ps(_mm512_getexp_ps(x), _mm512_getexp_ps(m));
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 u = _mm512_div_ps(_mm512_sub_ps(m, one), _mm512_add_ps(m, one)), u2 = _mm512_mul_ps(u, u);
    __m512 s = _mm512_set1_ps(1.0f / 11.0f);
    s = _mm512_fmadd_ps(s, u2, _mm512_set1_ps(1.0f / 9.0f));
    s = _mm512_fmadd_ps(s, u2, _mm512_set1_ps(1.0f / 7.0f));
    s = _mm512_fmadd_ps(s, u2, _mm512_set1_ps(1.0f / 5.0f));
    s = _mm512_fmadd_ps(s, u2, _mm512_set1_ps(1.0f / 3.0f));
    s = _mm512_fmadd_ps(s, u2, one);
    const __m512 lm = _mm512_mul_ps(_mm512_add_ps(u, u), s);
    return _mm512_fmadd_ps(k, _mm512_set1_ps(0.693147180559945309f), lm);
}

/* Lane i: the first j < n where v[j] is largest (argmax, first maximum). */
static inline __m512i first_max(const __m512 *v, size_t n)
{
    __m512 best = v[0];
    __m512i at = _mm512_setzero_si512();
    for (size_t j = 1; j < n; j++) {
        const __mmask16 up = _mm512_cmp_ps_mask(v[j], best, _CMP_GT_OQ);
        best = _mm512_mask_mov_ps(best, up, v[j]);
        at = _mm512_mask_mov_epi32(at, up, _mm512_set1_epi32((int)j));
    }
    return at;
}

void myl_f32_softmax_ce_avx512(size_t rows, size_t n, const float *z, const float *t, float *p, float *g,
                               float g_scale, double *loss_sum, size_t *correct)
{
    const __mmask16 cm = (__mmask16)((1u << n) - 1);
    double sum = 0.0;
    size_t right = 0;
    for (size_t r0 = 0; r0 < rows; r0 += 16) {
        const size_t rr = rows - r0 < 16 ? rows - r0 : 16;
        const __mmask16 rm = (__mmask16)((1u << rr) - 1);
        __m512 zc[16], tc[16];
        for (size_t i = 0; i < 16; i++) {
            zc[i] = i < rr ? _mm512_maskz_loadu_ps(cm, z + (r0 + i) * n) : _mm512_setzero_ps();
            tc[i] = i < rr ? _mm512_maskz_loadu_ps(cm, t + (r0 + i) * n) : _mm512_setzero_ps();
        }
        transpose16(zc); /* zc[j] lane i: z of row r0 + i, class j */
        transpose16(tc);
        __m512 mx = zc[0];
        for (size_t j = 1; j < n; j++)
            mx = _mm512_max_ps(mx, zc[j]);
        __m512 e[16], s = _mm512_setzero_ps();
        for (size_t j = 0; j < n; j++) {
            e[j] = myl_exp_avx512(_mm512_sub_ps(zc[j], mx));
            s = _mm512_add_ps(s, e[j]);
        }
        const __m512 inv = _mm512_div_ps(_mm512_set1_ps(1.0f), s);
        const __m512 lse = _mm512_add_ps(mx, log_pos(s));
        __m512 loss = _mm512_setzero_ps();
        for (size_t j = 0; j < n; j++) {
            /* terms with t = 0 left out, as -t log p would be */
            const __mmask16 nz = _mm512_cmp_ps_mask(tc[j], _mm512_setzero_ps(), _CMP_NEQ_UQ);
            loss = _mm512_mask_add_ps(loss, nz, loss, _mm512_mul_ps(tc[j], _mm512_sub_ps(lse, zc[j])));
            e[j] = _mm512_mul_ps(e[j], inv); /* p */
        }
        if (correct)
            right += (size_t)__builtin_popcount(
                (unsigned)(_mm512_cmpeq_epi32_mask(first_max(e, n), first_max(tc, n)) & rm));
        const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(loss));
        const __m512d hi = _mm512_cvtps_pd(_mm512_extractf32x8_ps(loss, 1));
        sum += _mm512_mask_reduce_add_pd((__mmask8)(rm & 0xff), lo) + _mm512_mask_reduce_add_pd((__mmask8)(rm >> 8), hi);
        if (g) {
            const __m512 gs = _mm512_set1_ps(g_scale);
            for (size_t j = 0; j < n; j++)
                tc[j] = _mm512_mul_ps(_mm512_sub_ps(e[j], tc[j]), gs);
            for (size_t j = n; j < 16; j++)
                tc[j] = _mm512_setzero_ps();
            transpose16(tc);
            for (size_t i = 0; i < rr; i++)
                _mm512_mask_storeu_ps(g + (r0 + i) * n, cm, tc[i]);
        }
        if (!p)
            continue;
        for (size_t j = n; j < 16; j++)
            e[j] = _mm512_setzero_ps();
        transpose16(e);
        for (size_t i = 0; i < rr; i++)
            _mm512_mask_storeu_ps(p + (r0 + i) * n, cm, e[i]);
    }
    *loss_sum = sum;
    if (correct)
        *correct = right;
}

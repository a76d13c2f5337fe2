/* Softmax backward of a matrix, avx2: dx = y * (dy - s) per row, s = sum_j
   dy_j y_j, products exact in double and summed in double, as the engine's
   row loop did. Rows of up to 16 classes take two masked vectors and no
   inner loop (a per-row call cost more than the arithmetic on 10 classes). */
#include <immintrin.h>

#include "x86/vact-avx2.h"

static inline __m256i first_lanes(size_t n) /* lanes [0, n), n <= 8 */
{
    static const int32_t tbl[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(tbl + 8 - n));
}

/* s += a*b over 8 floats, in double. */
static inline __m256d dot8(__m256d s, __m256 a, __m256 b)
{
    s = _mm256_add_pd(s, _mm256_mul_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(a)),
                                       _mm256_cvtps_pd(_mm256_castps256_ps128(b))));
    return _mm256_add_pd(s, _mm256_mul_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(a, 1)),
                                          _mm256_cvtps_pd(_mm256_extractf128_ps(b, 1))));
}

static inline double hsum(__m256d s)
{
    const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
}

/* Rows of 9-12 classes: an 8-float head (full loads and stores) and a tail
   of r = n - 8 <= 4 floats (a 4- or 8-byte move when r is 4 or 2, masked
   otherwise), two rows per iteration so their sums' latency chains overlap
   and their conversions to float share one instruction. The sum's order is
   the one-row loop's: lanes (lo + hi) + tail, then (s0 + s2) + (s1 + s3);
   the final + 0.0 gives +0 where the sum from zero did (a sum of -0s). */
static inline __attribute__((always_inline)) __m128 tail_load(const float *p, size_t r, __m128i m)
{
    if (r == 4)
        return _mm_loadu_ps(p);
    if (r == 2)
        return _mm_castsi128_ps(_mm_loadl_epi64((const __m128i_u *)p)); /* movq: no alignment asked */
    if (r == 1)
        return _mm_load_ss(p);
    return _mm_maskload_ps(p, m);
}

static inline __attribute__((always_inline)) void tail_store(float *p, size_t r, __m128i m, __m128 v)
{
    if (r == 4)
        _mm_storeu_ps(p, v);
    else if (r == 2)
        _mm_storel_epi64((__m128i_u *)p, _mm_castps_si128(v));
    else if (r == 1)
        _mm_store_ss(p, v);
    else {
        _mm_storel_epi64((__m128i_u *)p, _mm_castps_si128(v));
        _mm_store_ss(p + 2, _mm_movehl_ps(v, v));
    }
}

/* The row's sum of products, still in two lanes: [(s0 + s2), (s1 + s3)]. */
static inline __attribute__((always_inline)) __m128d row_sum2(__m256 y0, __m256 g0, __m128 y1, __m128 g1, size_t r)
{
    __m256d s = _mm256_add_pd(_mm256_mul_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(g0)),
                                            _mm256_cvtps_pd(_mm256_castps256_ps128(y0))),
                              _mm256_mul_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(g0, 1)),
                                            _mm256_cvtps_pd(_mm256_extractf128_ps(y0, 1))));
    __m128d lo = _mm256_castpd256_pd128(s), hi = _mm256_extractf128_pd(s, 1);
    if (r <= 2) {
        lo = _mm_add_pd(lo, _mm_mul_pd(_mm_cvtps_pd(g1), _mm_cvtps_pd(y1)));
    } else {
        const __m256d t = _mm256_mul_pd(_mm256_cvtps_pd(g1), _mm256_cvtps_pd(y1));
        lo = _mm_add_pd(lo, _mm256_castpd256_pd128(t));
        hi = _mm_add_pd(hi, _mm256_extractf128_pd(t, 1));
    }
    return _mm_add_pd(lo, hi);
}

static inline __attribute__((always_inline)) void rows_9to12(size_t rows, size_t r, const float *y, size_t ldy,
                                                            const float *dy, size_t lddy, float *dx, size_t lddx)
{
    static const int32_t tbl[8] = {-1, -1, -1, -1, 0, 0, 0, 0};
    const __m128i m = _mm_loadu_si128((const __m128i *)(tbl + 4 - r));
    const __m128d zero = _mm_setzero_pd();
    size_t i = 0;
    for (; i + 2 <= rows; i += 2, y += 2 * ldy, dy += 2 * lddy, dx += 2 * lddx) {
        const __m256 ya = _mm256_loadu_ps(y), ga = _mm256_loadu_ps(dy);
        const __m128 ya1 = tail_load(y + 8, r, m), ga1 = tail_load(dy + 8, r, m);
        const __m256 yb = _mm256_loadu_ps(y + ldy), gb = _mm256_loadu_ps(dy + lddy);
        const __m128 yb1 = tail_load(y + ldy + 8, r, m), gb1 = tail_load(dy + lddy + 8, r, m);
        const __m128d ha = row_sum2(ya, ga, ya1, ga1, r), hb = row_sum2(yb, gb, yb1, gb1, r);
        /* [ha0 + ha1, hb0 + hb1] + 0, then both sums to float at once */
        const __m128d sab = _mm_add_pd(_mm_add_pd(_mm_unpacklo_pd(ha, hb), _mm_unpackhi_pd(ha, hb)), zero);
        const __m128 sf2 = _mm_cvtpd_ps(sab);
        const __m256 sfa = _mm256_broadcastss_ps(sf2);
        const __m256 sfb = _mm256_broadcastss_ps(_mm_movehdup_ps(sf2));
        _mm256_storeu_ps(dx, _mm256_mul_ps(ya, _mm256_sub_ps(ga, sfa)));
        tail_store(dx + 8, r, m, _mm_mul_ps(ya1, _mm_sub_ps(ga1, _mm256_castps256_ps128(sfa))));
        _mm256_storeu_ps(dx + lddx, _mm256_mul_ps(yb, _mm256_sub_ps(gb, sfb)));
        tail_store(dx + lddx + 8, r, m, _mm_mul_ps(yb1, _mm_sub_ps(gb1, _mm256_castps256_ps128(sfb))));
    }
    if (i < rows) {
        const __m256 ya = _mm256_loadu_ps(y), ga = _mm256_loadu_ps(dy);
        const __m128 ya1 = tail_load(y + 8, r, m), ga1 = tail_load(dy + 8, r, m);
        const __m128d ha = row_sum2(ya, ga, ya1, ga1, r);
        const __m128d s = _mm_add_sd(_mm_add_sd(ha, _mm_unpackhi_pd(ha, ha)), zero);
        const __m256 sfa = _mm256_broadcastss_ps(_mm_cvtsd_ss(_mm_setzero_ps(), s));
        _mm256_storeu_ps(dx, _mm256_mul_ps(ya, _mm256_sub_ps(ga, sfa)));
        tail_store(dx + 8, r, m, _mm_mul_ps(ya1, _mm_sub_ps(ga1, _mm256_castps256_ps128(sfa))));
    }
}

void myl_f32_softmax_bwd_avx2(size_t rows, size_t n, const float *y, size_t ldy, const float *dy, size_t lddy,
                              float *dx, size_t lddx)
{
    switch (n) { /* a constant tail for each of 9-12 */
    case 9: rows_9to12(rows, 1, y, ldy, dy, lddy, dx, lddx); return;
    case 10: rows_9to12(rows, 2, y, ldy, dy, lddy, dx, lddx); return;
    case 11: rows_9to12(rows, 3, y, ldy, dy, lddy, dx, lddx); return;
    case 12: rows_9to12(rows, 4, y, ldy, dy, lddy, dx, lddx); return;
    default: break;
    }
    if (n <= 16) {
        const __m256i m0 = first_lanes(n < 8 ? n : 8), m1 = first_lanes(n > 8 ? n - 8 : 0);
        for (size_t i = 0; i < rows; i++, y += ldy, dy += lddy, dx += lddx) {
            const __m256 y0 = _mm256_maskload_ps(y, m0), g0 = _mm256_maskload_ps(dy, m0);
            __m256d s = dot8(_mm256_setzero_pd(), g0, y0);
            __m256 y1 = _mm256_setzero_ps(), g1 = _mm256_setzero_ps();
            if (n > 8) {
                y1 = _mm256_maskload_ps(y + 8, m1);
                g1 = _mm256_maskload_ps(dy + 8, m1);
                s = dot8(s, g1, y1);
            }
            const __m256 sf = _mm256_set1_ps((float)hsum(s));
            _mm256_maskstore_ps(dx, m0, _mm256_mul_ps(y0, _mm256_sub_ps(g0, sf)));
            if (n > 8)
                _mm256_maskstore_ps(dx + 8, m1, _mm256_mul_ps(y1, _mm256_sub_ps(g1, sf)));
        }
        return;
    }
    for (size_t i = 0; i < rows; i++, y += ldy, dy += lddy, dx += lddx) {
        __m256d s = _mm256_setzero_pd();
        for (size_t j = 0; j < n; j += 8) {
            const __m256i m = first_lanes(n - j < 8 ? n - j : 8);
            s = dot8(s, _mm256_maskload_ps(dy + j, m), _mm256_maskload_ps(y + j, m));
        }
        const __m256 sf = _mm256_set1_ps((float)hsum(s));
        for (size_t j = 0; j < n; j += 8) { /* dx may be dy: every dy_j was read above */
            const __m256i m = first_lanes(n - j < 8 ? n - j : 8);
            const __m256 yv = _mm256_maskload_ps(y + j, m), gv = _mm256_maskload_ps(dy + j, m);
            _mm256_maskstore_ps(dx + j, m, _mm256_mul_ps(yv, _mm256_sub_ps(gv, sf)));
        }
    }
}

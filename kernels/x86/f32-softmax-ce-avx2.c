/* Softmax + categorical cross-entropy of a batch, avx2 (n <= 16 classes, as
   on an output layer): one row in two ymm vectors at a time, no per-row
   calls and no loops over the classes (the engine's row loop, one row
   kernel call per row, ran no faster than a naive loop on 10 classes).
   The loss comes from the logits, t (lse - z) with lse = max + log(sum
   exp(z - max)), so it stays finite when a probability underflows; NaN or
   +inf logits make it NaN. Same contract as f32-softmax-ce-avx512.c. */
#include <immintrin.h>
#include <math.h>

#include "x86/math-avx2.h"
#include "x86/vact-avx2.h"

static inline __m256i first_lanes(size_t n) /* lanes [0, n), n <= 8 */
{
    static const int32_t tbl[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(tbl + 8 - n));
}

static inline float hmax(__m256 v)
{
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_max_ss(h, _mm_movehdup_ps(h)));
}

static inline float hsum(__m256 v)
{
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_add_ss(h, _mm_movehdup_ps(h)));
}

/* log(x) for 1 <= x <= 16 (a sum of exp(z - max) over at most 16 classes),
   NaN for NaN, inline: a libm call per row cost more than the rest of the
   row (every ymm register is clobbered across it). x = m 2^k with m in
   [0.75, 1.5), log m = 2 atanh(u), u = (m - 1)/(m + 1), as in the avx512
   kernel's log_pos. */
static inline float log_1_16(float x)
{
    if (!(x >= 1.0f && x <= 16.0f))
        return x == x ? logf(x) : x;
    union { float f; uint32_t u; } b = {x};
    int k = (int)(b.u >> 23) - 127;
    b.u = (b.u & 0x7fffffu) | 0x3f800000u; /* m in [1, 2) */
    float m = b.f;
    if (m >= 1.5f) {
        m *= 0.5f;
        k++;
    }
    const float u = (m - 1.0f) / (m + 1.0f), u2 = u * u;
    float s = 1.0f / 11.0f;
    s = s * u2 + 1.0f / 9.0f;
    s = s * u2 + 1.0f / 7.0f;
    s = s * u2 + 1.0f / 5.0f;
    s = s * u2 + 1.0f / 3.0f;
    s = s * u2 + 1.0f;
    return (float)k * 0.693147180559945309f + (u + u) * s;
}

/* Index of the first largest of the 16 lanes a|b (lanes past n hold -inf). */
static inline unsigned first_max(__m256 a, __m256 b)
{
    const __m256 m = _mm256_set1_ps(hmax(_mm256_max_ps(a, b)));
    const unsigned bits = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(a, m, _CMP_EQ_OQ)) |
                          (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(b, m, _CMP_EQ_OQ)) << 8;
    return bits ? (unsigned)__builtin_ctz(bits) : 16u;
}

void myl_f32_softmax_ce_avx2(size_t rows, size_t n, const float *z, const float *t, float *p, float *g,
                             float g_scale, double *loss_sum, size_t *correct)
{
    const __m256i m0 = first_lanes(n < 8 ? n : 8), m1 = first_lanes(n > 8 ? n - 8 : 0);
    const __m256 ninf = _mm256_set1_ps(-INFINITY), zero = _mm256_setzero_ps(), gs = _mm256_set1_ps(g_scale);
    const __m256 in0 = _mm256_castsi256_ps(m0), in1 = _mm256_castsi256_ps(m1);
    double sum = 0.0;
    size_t right = 0;
    for (size_t i = 0; i < rows; i++, z += n, t += n) {
        const __m256 z0 = _mm256_blendv_ps(ninf, _mm256_maskload_ps(z, m0), in0);
        const __m256 z1 = _mm256_blendv_ps(ninf, _mm256_maskload_ps(z + 8, m1), in1);
        const __m256 t0 = _mm256_maskload_ps(t, m0), t1 = _mm256_maskload_ps(t + 8, m1);
        const float mx = hmax(_mm256_max_ps(z0, z1));
        const __m256 mv = _mm256_set1_ps(mx);
        __m256 e0 = _mm256_and_ps(myl_exp_avx2(_mm256_sub_ps(z0, mv)), in0);
        __m256 e1 = _mm256_and_ps(myl_exp_avx2(_mm256_sub_ps(z1, mv)), in1);
        const float s = hsum(_mm256_add_ps(e0, e1));
        const __m256 lse = _mm256_set1_ps(mx + log_1_16(s));
        /* terms with t = 0 left out, as -t log p would be */
        const __m256 l0 = _mm256_and_ps(_mm256_mul_ps(t0, _mm256_sub_ps(lse, z0)), _mm256_cmp_ps(t0, zero, _CMP_NEQ_UQ));
        const __m256 l1 = _mm256_and_ps(_mm256_mul_ps(t1, _mm256_sub_ps(lse, z1)), _mm256_cmp_ps(t1, zero, _CMP_NEQ_UQ));
        sum += (double)hsum(_mm256_add_ps(l0, l1));
        const __m256 inv = _mm256_set1_ps(1.0f / s);
        e0 = _mm256_mul_ps(e0, inv);
        e1 = _mm256_mul_ps(e1, inv);
        if (correct)
            right += first_max(_mm256_blendv_ps(ninf, e0, in0), _mm256_blendv_ps(ninf, e1, in1)) ==
                     first_max(_mm256_blendv_ps(ninf, t0, in0), _mm256_blendv_ps(ninf, t1, in1));
        if (g) {
            _mm256_maskstore_ps(g, m0, _mm256_mul_ps(_mm256_sub_ps(e0, t0), gs));
            _mm256_maskstore_ps(g + 8, m1, _mm256_mul_ps(_mm256_sub_ps(e1, t1), gs));
            g += n;
        }
        if (p) {
            _mm256_maskstore_ps(p, m0, e0);
            _mm256_maskstore_ps(p + 8, m1, e1);
            p += n;
        }
    }
    *loss_sum = sum;
    if (correct)
        *correct = right;
}

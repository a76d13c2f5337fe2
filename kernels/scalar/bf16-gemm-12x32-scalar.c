/* BF16 GEMM micro-kernel, portable: what the AVX512-BF16 kernel computes,
   bit for bit (the model of vdpbf16ps in kernels/bf16.h: per pair, the odd
   product then the even one, each added with one rounding by fmaf, BF16
   subnormal inputs read as zero, subnormal sums flushed), followed by the
   same epilogue operations in the same order (NaN results stay NaN, but
   which NaN depends on the fma the compiler emits: see bf16.h). For CPUs without AVX512-BF16
   and for tests; it computes only the m x n outputs (m <= 12, or <= 24
   when n <= 16). */
#include <float.h>
#include <math.h>
#include <string.h>

#include "bf16.h"
#include "kernels.h"

#define MR MYL_BF16_MR
#define NR MYL_BF16_NR

static float flush(float x) { return fabsf(x) < FLT_MIN ? copysignf(0.0f, x) : x; } /* NaN kept */
static float lo_half(uint32_t w) { return flush(myl_bf16_to_f32((uint16_t)w)); }
static float hi_half(uint32_t w) { return flush(myl_bf16_to_f32((uint16_t)(w >> 16))); }

void myl_bf16_gemm_ukr_12x32_scalar(size_t k, const void *pa, size_t rsa, size_t csa, const void *pb, size_t ldpb,
                                    float *c, size_t ldc, size_t m, size_t n, const myl_epilogue *ep)
{
    const uint32_t *a = pa, *b = pb;
    const size_t kq = (k + 1) / 2;
    float acc[MYL_BF16_MR_NARROW][NR]; /* m <= 24 when n <= 16 */
    memset(acc, 0, sizeof acc);
    for (size_t q = 0; q < kq; q++)
        for (size_t i = 0; i < m; i++) {
            const uint32_t wa = a[i * rsa + q * csa];
            const float a0 = lo_half(wa), a1 = hi_half(wa);
            for (size_t j = 0; j < n; j++) {
                const uint32_t wb = b[q * ldpb + j];
                float t = flush(fmaf(a1, hi_half(wb), acc[i][j]));
                acc[i][j] = flush(fmaf(a0, lo_half(wb), t));
            }
        }
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            float *cij = c + i * ldc + j;
            float v = ep->alpha * acc[i][j];
            if (ep->beta != 0.0f)
                v = fmaf(ep->beta, *cij, v);
            if (ep->bias)
                v = v + ep->bias[j];
            if (ep->act == MYL_ACT_RELU && !(v > 0.0f) && v == v) /* NaN goes through */
                v = 0.0f;
            else if (ep->act == MYL_ACT_LEAKY_RELU && v < 0.0f)
                v = v * ep->slope;
            *cij = v;
        }
}

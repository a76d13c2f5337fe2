/* NEON GEMM micro-kernel, tile 8 x 12: 24 q-register accumulators (8 rows x
   three 4-float vectors), A as two q registers used by lane (vfmaq_laneq_f32),
   B as three: 29 of the 32 registers. Full tiles store straight from the
   registers; partial tiles (m < 8 or n < 12) go through a small stack tile so
   nothing outside m x n is read or written. */
#include <arm_neon.h>

#include "arm/gemm-neon.h"
#include "arm/vact-neon.h"
#include "pack.h"

#define MR MYL_NEON_MR
#define NR MYL_NEON_NR

static inline float32x4_t act_regs(int act, float32x4_t slope, float32x4_t v)
{
    if (act == MYL_ACT_RELU)
        return vmaxq_f32(v, vdupq_n_f32(0.0f));
    if (act == MYL_ACT_LEAKY_RELU)
        return vbslq_f32(vcltq_f32(v, vdupq_n_f32(0.0f)), vmulq_f32(v, slope), v);
    return v;
}

void myl_f32_gemm_ukr_neon(size_t k, const void *pa_, size_t rsa, size_t csa, const void *pb_, size_t ldpb, float *c,
                           size_t ldc, size_t m, size_t n, const myl_epilogue *ep)
{
    const float *pa = pa_, *pb = pb_;
    float32x4_t acc[MR][3];
    for (int i = 0; i < MR; i++)
        acc[i][0] = acc[i][1] = acc[i][2] = vdupq_n_f32(0.0f);
    /* Vector loads of A need MR readable contiguous rows (a packed panel or
       a full tile of transposed A); otherwise the column is gathered. */
    const int gather = !(rsa == 1 && (csa == MR || m == MR));
    float acol[MR] = {0}, brow[NR] = {0};
    for (size_t p = 0; p < k; p++) {
        const float *ap = pa + p * csa;
        if (gather) {
            for (size_t i = 0; i < m; i++)
                acol[i] = ap[i * rsa];
            ap = acol;
        }
        const float32x4_t a0 = vld1q_f32(ap), a1 = vld1q_f32(ap + 4);
        const float *bp = pb;
        if (n < NR) { /* never past column n of an unpacked B */
            for (size_t j = 0; j < n; j++)
                brow[j] = pb[j];
            bp = brow;
        }
        const float32x4_t b0 = vld1q_f32(bp), b1 = vld1q_f32(bp + 4), b2 = vld1q_f32(bp + 8);
#define ROW(i, av, lane)                                          \
    acc[i][0] = vfmaq_laneq_f32(acc[i][0], b0, av, lane);         \
    acc[i][1] = vfmaq_laneq_f32(acc[i][1], b1, av, lane);         \
    acc[i][2] = vfmaq_laneq_f32(acc[i][2], b2, av, lane);
        ROW(0, a0, 0) ROW(1, a0, 1) ROW(2, a0, 2) ROW(3, a0, 3)
        ROW(4, a1, 0) ROW(5, a1, 1) ROW(6, a1, 2) ROW(7, a1, 3)
#undef ROW
        pb += ldpb;
    }
    const int full = m == MR && n == NR;
    /* Partial tiles: C in and out through a full-size stack tile. */
    float tmp[MR * NR];
    float *dst = full ? c : tmp;
    const size_t ld = full ? ldc : NR;
    const int has_beta = ep->beta != 0.0f; /* beta == 0: C is never read (NaN must not leak) */
    if (!full && has_beta)
        for (size_t i = 0; i < MR * NR; i++)
            tmp[i] = 0.0f;
    if (!full && has_beta)
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++)
                tmp[i * NR + j] = c[i * ldc + j];
    float bias[NR] = {0};
    if (ep->bias)
        for (size_t j = 0; j < n; j++)
            bias[j] = ep->bias[j];
    const float32x4_t alpha = vdupq_n_f32(ep->alpha), beta = vdupq_n_f32(ep->beta);
    const float32x4_t slope = vdupq_n_f32(ep->slope);
    const int act = ep->act;
    for (size_t i = 0; i < (full ? MR : m); i++)
        for (int v = 0; v < 3; v++) {
            float *d = dst + i * ld + 4 * v;
            float32x4_t r = vmulq_f32(alpha, acc[i][v]);
            if (has_beta)
                r = vfmaq_f32(r, beta, vld1q_f32(d));
            r = vaddq_f32(r, vld1q_f32(bias + 4 * v));
            vst1q_f32(d, act_regs(act, slope, r));
        }
    if (!full)
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++)
                c[i * ldc + j] = tmp[i * NR + j];
    if (act == MYL_ACT_SIGMOID || act == MYL_ACT_TANH)
        for (size_t i = 0; i < m; i++)
            myl_f32_vact_neon(act, ep->slope, n, c + i * ldc, c + i * ldc);
}

void myl_pack_a_neon(int trans, size_t mc, size_t kc, const float *a, size_t lda, void *dst)
{
    myl_pack_a_f32(MR, trans, mc, kc, a, lda, dst);
}

void myl_pack_b_neon(int trans, size_t kc, size_t nc, const float *b, size_t ldb, void *dst)
{
    myl_pack_b_f32(NR, trans, kc, nc, b, ldb, dst);
}

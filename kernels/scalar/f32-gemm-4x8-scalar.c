/* Portable GEMM micro-kernel, tile 4 x 8: the path every CPU runs, and the
   one the other paths are tested against (through the same driver). */
#include "kernels.h"
#include "scalar/act-scalar.h"

enum { MR = 4, NR = 8 };

void myl_f32_gemm_ukr_4x8_scalar(size_t k, const void *pa_, size_t rsa, size_t csa, const void *pb_, size_t ldpb,
                                 float *c, size_t ldc, size_t m, size_t n, const myl_epilogue *ep)
{
    const float *pa = pa_, *pb = pb_;
    float acc[MR][NR] = {{0}};
    for (size_t p = 0; p < k; p++) {
        const float *bp = pb + p * ldpb;
        for (size_t i = 0; i < m; i++) {
            const float a = pa[i * rsa + p * csa];
            for (size_t j = 0; j < n; j++) /* never past column n of an unpacked B */
                acc[i][j] += a * bp[j];
        }
    }
    for (size_t i = 0; i < m; i++) {
        float *ci = c + i * ldc;
        for (size_t j = 0; j < n; j++) {
            float v = ep->alpha * acc[i][j];
            if (ep->beta != 0.0f)
                v += ep->beta * ci[j];
            if (ep->bias)
                v += ep->bias[j];
            ci[j] = myl_act_scalar(ep->act, ep->slope, v);
        }
    }
}

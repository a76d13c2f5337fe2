/* Portable packing of FP32 operands into the BF16 GEMM's pair layouts
   (kernels/bf16.h), rounding each element once. The scalar path's packers,
   and the reference the AVX-512 packers are tested against. */
#include "bf16-pack.h"

#include "bf16.h"

void myl_bf16_pack_a(size_t mr, int trans, size_t mc, size_t kc, const float *a, size_t lda, void *dst)
{
    uint32_t *d = dst;
    const size_t s = myl_bf16_a_stride(kc), kq = (kc + 1) / 2;
    for (size_t i0 = 0; i0 < mc; i0 += mr) {
        size_t rs, cs;
        myl_bf16_a_steps(trans, mr, kc, &rs, &cs);
        memset(d, 0, mr * s * sizeof *d);
        for (size_t i = 0; i < mr && i0 + i < mc; i++)
            for (size_t q = 0; q < kq; q++) {
                size_t p = 2 * q;
                float lo = trans ? a[p * lda + i0 + i] : a[(i0 + i) * lda + p];
                float hi = p + 1 >= kc ? 0.0f : trans ? a[(p + 1) * lda + i0 + i] : a[(i0 + i) * lda + p + 1];
                d[i * rs + q * cs] = myl_bf16_pair(lo, hi);
            }
        d += mr * s;
    }
}

void myl_bf16_pack_b(size_t nr, int trans, size_t kc, size_t nc, const float *b, size_t ldb, void *dst)
{
    uint32_t *d = dst;
    const size_t kq = (kc + 1) / 2;
    for (size_t j0 = 0; j0 < nc; j0 += nr) {
        for (size_t q = 0; q < kq; q++) {
            size_t p = 2 * q;
            for (size_t j = 0; j < nr; j++) {
                size_t jj = j0 + j;
                if (jj >= nc) {
                    d[q * nr + j] = 0;
                    continue;
                }
                float lo = trans ? b[jj * ldb + p] : b[p * ldb + jj];
                float hi = p + 1 >= kc ? 0.0f : trans ? b[jj * ldb + p + 1] : b[(p + 1) * ldb + jj];
                d[q * nr + j] = myl_bf16_pair(lo, hi);
            }
        }
        d += kq * nr;
    }
}

/* FP32 panel packing shared by every FP32 path, parameterised by the tile.
   A panels: MR rows, k-major (dst[p*MR + i] = op(A)(i, p)); B panels: NR
   columns (dst[p*NR + j] = op(B)(p, j)); the last panel is zero-padded. */
#include "pack.h"

#include <string.h>

void myl_pack_a_f32(size_t mr, int trans, size_t mc, size_t kc, const float *a, size_t lda, float *dst)
{
    for (size_t i0 = 0; i0 < mc; i0 += mr) {
        size_t mi = mc - i0 < mr ? mc - i0 : mr;
        if (!trans) {
            for (size_t p = 0; p < kc; p++) {
                for (size_t i = 0; i < mi; i++)
                    dst[p * mr + i] = a[(i0 + i) * lda + p];
                for (size_t i = mi; i < mr; i++)
                    dst[p * mr + i] = 0.0f;
            }
        } else { /* stored k x m: rows of the panel are contiguous */
            for (size_t p = 0; p < kc; p++) {
                memcpy(dst + p * mr, a + p * lda + i0, mi * sizeof(float));
                for (size_t i = mi; i < mr; i++)
                    dst[p * mr + i] = 0.0f;
            }
        }
        dst += mr * kc;
    }
}

void myl_pack_b_f32(size_t nr, int trans, size_t kc, size_t nc, const float *b, size_t ldb, float *dst)
{
    for (size_t j0 = 0; j0 < nc; j0 += nr) {
        size_t nj = nc - j0 < nr ? nc - j0 : nr;
        if (!trans) {
            for (size_t p = 0; p < kc; p++) {
                memcpy(dst + p * nr, b + p * ldb + j0, nj * sizeof(float));
                for (size_t j = nj; j < nr; j++)
                    dst[p * nr + j] = 0.0f;
            }
        } else { /* stored n x k */
            for (size_t p = 0; p < kc; p++) {
                for (size_t j = 0; j < nj; j++)
                    dst[p * nr + j] = b[(j0 + j) * ldb + p];
                for (size_t j = nj; j < nr; j++)
                    dst[p * nr + j] = 0.0f;
            }
        }
        dst += nr * kc;
    }
}

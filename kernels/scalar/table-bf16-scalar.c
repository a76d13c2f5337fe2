/* The portable BF16 GEMM table: the same tile and element size as the
   AVX512-BF16 table, so the driver blocks K alike and the bytes match. */
#include "bf16-pack.h"
#include "kernels.h"

void myl_bf16_gemm_ukr_12x32_scalar(size_t k, const void *pa, size_t rsa, size_t csa, const void *pb, size_t ldpb,
                                    float *c, size_t ldc, size_t m, size_t n, const myl_epilogue *ep);

static void pack_a(int trans, size_t mc, size_t kc, const float *a, size_t lda, void *dst)
{
    myl_bf16_pack_a(MYL_BF16_MR, trans, mc, kc, a, lda, dst);
}
static void pack_b(int trans, size_t kc, size_t nc, const float *b, size_t ldb, void *dst)
{
    myl_bf16_pack_b(MYL_BF16_NR, trans, kc, nc, b, ldb, dst);
}

const myl_kernels myl_kernels_bf16_scalar = {
    .name = "bf16-emulated",
    .mr = MYL_BF16_MR,
    .nr = MYL_BF16_NR,
    .mr_narrow = MYL_BF16_MR_NARROW,
    .pack_elem_size = 2,
    .pairs = 1,
    .gemm_ukr = myl_bf16_gemm_ukr_12x32_scalar,
    .pack_a = pack_a,
    .pack_b = pack_b,
};

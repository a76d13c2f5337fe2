/* The AVX512-BF16 GEMM table (Zen 4, Zen 5, Intel Cooper Lake and later). */
#include "kernels.h"

void myl_bf16_gemm_ukr_12x32_avx512bf16(size_t k, const void *pa, size_t rsa, size_t csa, const void *pb,
                                        size_t ldpb, float *c, size_t ldc, size_t m, size_t n,
                                        const myl_epilogue *ep);
void myl_bf16_pack_a_avx512bf16(int trans, size_t mc, size_t kc, const float *a, size_t lda, void *dst);
void myl_bf16_pack_b_avx512bf16(int trans, size_t kc, size_t nc, const float *b, size_t ldb, void *dst);

const myl_kernels myl_kernels_bf16_avx512 = {
    .name = "avx512bf16",
    .id = MYL_ISA_AVX512, /* the record of the FP32 path beside it gives the thresholds */
    .mr = MYL_BF16_MR,
    .nr = MYL_BF16_NR,
    .mr_narrow = MYL_BF16_MR_NARROW,
    .pack_elem_size = 2,
    .pairs = 1,
    .gemm_ukr = myl_bf16_gemm_ukr_12x32_avx512bf16,
    .pack_a = myl_bf16_pack_a_avx512bf16,
    .pack_b = myl_bf16_pack_b_avx512bf16,
};

/* The avx2 kernel table. */
#include "kernels.h"
#include "x86/gemm-avx2.h"
#include "x86/vact-avx2.h"

static const myl_gemm_variant variants[] = {
    {.name = "f32-gemm-6x16-avx2", .mr = MYL_AVX2_MR, .nr = MYL_AVX2_NR, .mr_narrow_max = 0, .b_prefetch = 0,
     .a_rowmajor_in_place = 1, .ukr = myl_f32_gemm_ukr_avx2, .pack_a = myl_pack_a_avx2, .pack_b = myl_pack_b_avx2},
    {.name = "f32-gemm-4x24-avx2", .mr = 4, .nr = 24, .mr_narrow_max = 0, .b_prefetch = 0, .a_rowmajor_in_place = 1,
     .ukr = myl_f32_gemm_ukr_4x24_avx2, .pack_a = myl_pack_a_4x24_avx2, .pack_b = myl_pack_b_4x24_avx2},
};

const myl_kernels myl_kernels_avx2 = {
    .name = "avx2",
    .id = MYL_ISA_AVX2,
    .variants = variants,
    .n_variants = sizeof variants / sizeof variants[0],
    .mr = MYL_AVX2_MR,
    .nr = MYL_AVX2_NR,
    .pack_elem_size = 4,
    .gemm_ukr = myl_f32_gemm_ukr_avx2,
    .pack_a = myl_pack_a_avx2,
    .pack_b = myl_pack_b_avx2,
    .vexp = myl_f32_vexp_avx2,
    .vsigmoid = myl_f32_vsigmoid_avx2,
    .vtanh = myl_f32_vtanh_avx2,
    .vact = myl_f32_vact_avx2,
    .vact_bwd = myl_f32_vact_bwd_avx2,
    .softmax = myl_f32_softmax_avx2,
    .u8_vcvt = myl_u8_f32_vcvt_avx2,
    .softmax_bwd = myl_f32_softmax_bwd_avx2,
    .softmax_ce = myl_f32_softmax_ce_avx2,
};

/* The avx512 kernel table. */
#include "kernels.h"
#include "x86/gemm-avx512.h"
#include "x86/vact-avx512.h"

static const myl_gemm_variant variants[] = {
    {.name = "f32-gemm-12x32-avx512", .mr = MYL_AVX512_MR, .nr = MYL_AVX512_NR, .mr_narrow_max = MYL_AVX512_MR_NARROW,
     .b_prefetch = 16, .a_rowmajor_in_place = 1, .ukr = myl_f32_gemm_ukr_avx512, .pack_a = myl_pack_a_avx512,
     .pack_b = myl_pack_b_avx512},
    {.name = "f32-gemm-32x12-avx512", .mr = 32, .nr = 12, .mr_narrow_max = 0, .b_prefetch = 0,
     .a_rowmajor_in_place = 0, .ukr = myl_f32_gemm_ukr_32x12_avx512, .pack_a = myl_pack_a_32x12_avx512,
     .pack_b = myl_pack_b_32x12_avx512},
};

const myl_kernels myl_kernels_avx512 = {
    .name = "avx512",
    .id = MYL_ISA_AVX512,
    .variants = variants,
    .n_variants = sizeof variants / sizeof variants[0],
    .gemm_ukr_lanes = myl_f32_gemm_mlanes_avx512,
    .nr_lanes = MYL_AVX512_NR_LANES,
    .mr = MYL_AVX512_MR,
    .nr = MYL_AVX512_NR,
    .mr_narrow = MYL_AVX512_MR_NARROW,
    .pack_elem_size = 4,
    .gemm_ukr = myl_f32_gemm_ukr_avx512,
    .gemm_ukr_bt = myl_f32_gemm_ukr_bt_avx512, .pack_a_bt = myl_pack_a_bt_avx512,
    .mr_bt = MYL_AVX512_MR_BT, .nr_bt = MYL_AVX512_NR_BT,
    .pack_a = myl_pack_a_avx512,
    .pack_b = myl_pack_b_avx512,
    .vexp = myl_f32_vexp_avx512,
    .vsigmoid = myl_f32_vsigmoid_avx512,
    .vtanh = myl_f32_vtanh_avx512,
    .vact = myl_f32_vact_avx512,
    .vact_bwd = myl_f32_vact_bwd_avx512,
    .softmax = myl_f32_softmax_avx512,
    .u8_vcvt = myl_u8_f32_vcvt_avx512,
    .softmax_ce = myl_f32_softmax_ce_avx512,
    .softmax_bwd = myl_f32_softmax_bwd_avx512,
};

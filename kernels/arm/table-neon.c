/* The neon kernel table. */
#include "kernels.h"
#include "arm/gemm-neon.h"
#include "arm/vact-neon.h"

static const myl_gemm_variant variants[] = {
    {.name = "f32-gemm-8x12-neon", .mr = MYL_NEON_MR, .nr = MYL_NEON_NR, .mr_narrow_max = 0, .b_prefetch = 0,
     .a_rowmajor_in_place = 1, .ukr = myl_f32_gemm_ukr_neon, .pack_a = myl_pack_a_neon, .pack_b = myl_pack_b_neon},
};

const myl_kernels myl_kernels_neon = {
    .name = "neon",
    .id = MYL_ISA_NEON,
    .variants = variants,
    .n_variants = sizeof variants / sizeof variants[0],
    .mr = MYL_NEON_MR,
    .nr = MYL_NEON_NR,
    .pack_elem_size = 4,
    .gemm_ukr = myl_f32_gemm_ukr_neon,
    .pack_a = myl_pack_a_neon,
    .pack_b = myl_pack_b_neon,
    .vexp = myl_f32_vexp_neon,
    .vsigmoid = myl_f32_vsigmoid_neon,
    .vtanh = myl_f32_vtanh_neon,
    .vact = myl_f32_vact_neon,
    .vact_bwd = myl_f32_vact_bwd_neon,
    .softmax = myl_f32_softmax_neon,
    .u8_vcvt = myl_u8_f32_vcvt_neon,
};

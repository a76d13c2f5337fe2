/* The neon kernel table. */
#include "kernels.h"
#include "arm/gemm-neon.h"
#include "arm/vact-neon.h"

const myl_kernels myl_kernels_neon = {
    .name = "neon",
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

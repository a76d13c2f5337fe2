/* The portable kernel table. */
#include "kernels.h"
#include "pack.h"

void myl_f32_gemm_ukr_4x8_scalar(size_t k, const void *pa, size_t rsa, size_t csa, const void *pb, size_t ldpb, float *c, size_t ldc,
                                 size_t m, size_t n, const myl_epilogue *ep);
void myl_f32_vexp_scalar(size_t n, const float *x, float *y);
void myl_f32_vsigmoid_scalar(size_t n, const float *x, float *y);
void myl_f32_vtanh_scalar(size_t n, const float *x, float *y);
void myl_f32_vact_scalar(int act, float slope, size_t n, const float *x, float *y);
void myl_f32_vact_bwd_scalar(int act, float slope, size_t n, const float *y, const float *dy, float *dx);
void myl_f32_softmax_scalar(size_t n, const float *x, float *y);
void myl_f32_softmax_rows_scalar(size_t rows, size_t n, const float *x, size_t ldx, float *y, size_t ldy);
void myl_u8_f32_vcvt_scalar(size_t n, const uint8_t *x, const float *offset, const float *scale, float *y);
void myl_f32_softmax_ce_scalar(size_t rows, size_t n, const float *z, const float *t, float *p, float *g,
                               float g_scale, double *loss_sum, size_t *correct);
void myl_f32_softmax_bwd_scalar(size_t rows, size_t n, const float *y, size_t ldy, const float *dy, size_t lddy,
                                float *dx, size_t lddx);

static void pack_a(int trans, size_t mc, size_t kc, const float *a, size_t lda, void *dst)
{
    myl_pack_a_f32(4, trans, mc, kc, a, lda, dst);
}
static void pack_b(int trans, size_t kc, size_t nc, const float *b, size_t ldb, void *dst)
{
    myl_pack_b_f32(8, trans, kc, nc, b, ldb, dst);
}

static const myl_gemm_variant variants[] = {
    {.name = "f32-gemm-4x8-scalar", .mr = 4, .nr = 8, .mr_narrow_max = 0, .b_prefetch = 0, .a_rowmajor_in_place = 1,
     .ukr = myl_f32_gemm_ukr_4x8_scalar, .pack_a = pack_a, .pack_b = pack_b},
};

const myl_kernels myl_kernels_scalar = {
    .name = "scalar",
    .id = MYL_ISA_SCALAR,
    .variants = variants,
    .n_variants = sizeof variants / sizeof variants[0],
    .mr = 4,
    .nr = 8,
    .pack_elem_size = 4,
    .gemm_ukr = myl_f32_gemm_ukr_4x8_scalar,
    .pack_a = pack_a,
    .pack_b = pack_b,
    .vexp = myl_f32_vexp_scalar,
    .vsigmoid = myl_f32_vsigmoid_scalar,
    .vtanh = myl_f32_vtanh_scalar,
    .vact = myl_f32_vact_scalar,
    .vact_bwd = myl_f32_vact_bwd_scalar,
    .softmax = myl_f32_softmax_scalar,
    .u8_vcvt = myl_u8_f32_vcvt_scalar,
    .softmax_ce = myl_f32_softmax_ce_scalar,
    .softmax_bwd = myl_f32_softmax_bwd_scalar,
    .softmax_rows = myl_f32_softmax_rows_scalar,
};

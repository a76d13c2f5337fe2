/* GEMM micro-kernel and packing of the neon path (tile in MYL_NEON_MR x MYL_NEON_NR). */
#ifndef MYL_GEMM_NEON_H
#define MYL_GEMM_NEON_H
#include "kernels.h"
#define MYL_NEON_MR 8 /* kernels/arm/f32-gemm-8x12-neon.c */
#define MYL_NEON_NR 12
void myl_f32_gemm_ukr_neon(size_t k, const void *pa, size_t rsa, size_t csa, const void *pb, size_t ldpb, float *c, size_t ldc,
                           size_t m, size_t n, const myl_epilogue *ep);
void myl_pack_a_neon(int trans, size_t mc, size_t kc, const float *a, size_t lda, void *dst);
void myl_pack_b_neon(int trans, size_t kc, size_t nc, const float *b, size_t ldb, void *dst);
#endif

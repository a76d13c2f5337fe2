/* GEMM micro-kernel and packing of the avx2 path (tile in MYL_AVX2_MR x MYL_AVX2_NR). */
#ifndef MYL_GEMM_AVX2_H
#define MYL_GEMM_AVX2_H
#include "kernels.h"
#define MYL_AVX2_MR 6 /* kernels/x86/f32-gemm-6x16-avx2.c */
#define MYL_AVX2_NR 16
void myl_f32_gemm_ukr_avx2(size_t k, const void *pa, size_t rsa, size_t csa, const void *pb, size_t ldpb, float *c, size_t ldc,
                           size_t m, size_t n, const myl_epilogue *ep);
/* Variant with a wider tile (f32-gemm-4x24-avx2.c). */
void myl_f32_gemm_ukr_4x24_avx2(size_t k, const void *pa, size_t rsa, size_t csa, const void *pb, size_t ldpb, float *c,
                                size_t ldc, size_t m, size_t n, const myl_epilogue *ep);
void myl_pack_a_4x24_avx2(int trans, size_t mc, size_t kc, const float *a, size_t lda, void *dst);
void myl_pack_b_4x24_avx2(int trans, size_t kc, size_t nc, const float *b, size_t ldb, void *dst);
void myl_pack_a_avx2(int trans, size_t mc, size_t kc, const float *a, size_t lda, void *dst);
void myl_pack_b_avx2(int trans, size_t kc, size_t nc, const float *b, size_t ldb, void *dst);
#endif

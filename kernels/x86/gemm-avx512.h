/* GEMM micro-kernel and packing of the avx512 path (tile in MYL_AVX512_MR x MYL_AVX512_NR). */
#ifndef MYL_GEMM_AVX512_H
#define MYL_GEMM_AVX512_H
#include "kernels.h"
#define MYL_AVX512_MR 12 /* kernels/x86/f32-gemm-12x32-avx512.c */
#define MYL_AVX512_NR 32
#define MYL_AVX512_MR_NARROW 96 /* rows per call when n <= 16: 4 row tiles of 24, or 3 of 32 with rows along the lanes */
void myl_f32_gemm_ukr_avx512(size_t k, const void *pa, size_t rsa, size_t csa, const void *pb, size_t ldpb, float *c, size_t ldc,
                           size_t m, size_t n, const myl_epilogue *ep);
#define MYL_AVX512_MR_BT 32 /* tile of the B-transposed kernel (rows along the lanes) */
#define MYL_AVX512_NR_BT 12
void myl_f32_gemm_ukr_bt_avx512(size_t k, const void *pa, size_t rsa, size_t csa, const void *pb, size_t ldb, float *c,
                                size_t ldc, size_t m, size_t n, const myl_epilogue *ep);
void myl_pack_a_bt_avx512(int trans, size_t mc, size_t kc, const float *a, size_t lda, void *dst);
/* Narrow products with rows along the lanes (f32-gemm-32x12-mlanes-avx512.c):
   n <= 12 columns, any rows (32 a tile). When the driver uses it (and up to
   which n for row-major A, whose transposition costs) is the tuning record's. */
#define MYL_AVX512_NR_LANES 12
void myl_f32_gemm_mlanes_avx512(size_t k, const void *pa, size_t rsa, size_t csa, const void *pb, size_t ldpb,
                                float *c, size_t ldc, size_t m, size_t n, const myl_epilogue *ep);
/* Variant for Intel's cores (f32-gemm-32x12-avx512.c): A along the lanes, B broadcast. */
void myl_f32_gemm_ukr_32x12_avx512(size_t k, const void *pa, size_t rsa, size_t csa, const void *pb, size_t ldpb,
                                   float *c, size_t ldc, size_t m, size_t n, const myl_epilogue *ep);
void myl_pack_a_32x12_avx512(int trans, size_t mc, size_t kc, const float *a, size_t lda, void *dst);
void myl_pack_b_32x12_avx512(int trans, size_t kc, size_t nc, const float *b, size_t ldb, void *dst);
void myl_pack_a_avx512(int trans, size_t mc, size_t kc, const float *a, size_t lda, void *dst);
void myl_pack_b_avx512(int trans, size_t kc, size_t nc, const float *b, size_t ldb, void *dst);
#endif

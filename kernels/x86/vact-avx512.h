/* Element-wise kernels of the avx512 path. */
#ifndef MYL_VACT_AVX512_H
#define MYL_VACT_AVX512_H
#include "kernels.h"
void myl_f32_vexp_avx512(size_t n, const float *x, float *y);
void myl_f32_vsigmoid_avx512(size_t n, const float *x, float *y);
void myl_f32_vtanh_avx512(size_t n, const float *x, float *y);
void myl_f32_vact_avx512(int act, float slope, size_t n, const float *x, float *y);
void myl_f32_vact_bwd_avx512(int act, float slope, size_t n, const float *y, const float *dy, float *dx);
void myl_f32_softmax_avx512(size_t n, const float *x, float *y);
void myl_u8_f32_vcvt_avx512(size_t n, const uint8_t *x, const float *offset, const float *scale, float *y);
void myl_f32_softmax_ce_avx512(size_t rows, size_t n, const float *z, const float *t, float *p, float *g,
                               float g_scale, double *loss_sum, size_t *correct);
void myl_f32_softmax_bwd_avx512(size_t rows, size_t n, const float *y, size_t ldy, const float *dy, size_t lddy,
                                float *dx, size_t lddx);
#endif

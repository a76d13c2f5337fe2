/* Element-wise kernels of the neon path. */
#ifndef MYL_VACT_NEON_H
#define MYL_VACT_NEON_H
#include "kernels.h"
void myl_f32_vexp_neon(size_t n, const float *x, float *y);
void myl_f32_vsigmoid_neon(size_t n, const float *x, float *y);
void myl_f32_vtanh_neon(size_t n, const float *x, float *y);
void myl_f32_vact_neon(int act, float slope, size_t n, const float *x, float *y);
void myl_f32_vact_bwd_neon(int act, float slope, size_t n, const float *y, const float *dy, float *dx);
void myl_f32_softmax_neon(size_t n, const float *x, float *y);
void myl_u8_f32_vcvt_neon(size_t n, const uint8_t *x, const float *offset, const float *scale, float *y);
#endif

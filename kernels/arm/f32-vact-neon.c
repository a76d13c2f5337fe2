/* Element-wise kernels of the neon path (placeholder: forwards to the scalar path until the vector code lands). */
#include "kernels.h"
#include "arm/vact-neon.h"

void myl_f32_vexp_scalar(size_t n, const float *x, float *y);
void myl_f32_vsigmoid_scalar(size_t n, const float *x, float *y);
void myl_f32_vtanh_scalar(size_t n, const float *x, float *y);
void myl_f32_vact_scalar(int act, float slope, size_t n, const float *x, float *y);
void myl_f32_vact_bwd_scalar(int act, float slope, size_t n, const float *y, const float *dy, float *dx);
void myl_f32_softmax_scalar(size_t n, const float *x, float *y);

void myl_f32_vexp_neon(size_t n, const float *x, float *y) { myl_f32_vexp_scalar(n, x, y); }
void myl_f32_vsigmoid_neon(size_t n, const float *x, float *y) { myl_f32_vsigmoid_scalar(n, x, y); }
void myl_f32_vtanh_neon(size_t n, const float *x, float *y) { myl_f32_vtanh_scalar(n, x, y); }
void myl_f32_vact_neon(int act, float slope, size_t n, const float *x, float *y)
{
    myl_f32_vact_scalar(act, slope, n, x, y);
}
void myl_f32_vact_bwd_neon(int act, float slope, size_t n, const float *y, const float *dy, float *dx)
{
    myl_f32_vact_bwd_scalar(act, slope, n, y, dy, dx);
}
void myl_f32_softmax_neon(size_t n, const float *x, float *y) { myl_f32_softmax_scalar(n, x, y); }

/* Element-wise kernels of the avx512 path (placeholder: forwards to the scalar path until the vector code lands). */
#include "kernels.h"
#include "x86/vact-avx512.h"

void myl_f32_vexp_scalar(size_t n, const float *x, float *y);
void myl_f32_vsigmoid_scalar(size_t n, const float *x, float *y);
void myl_f32_vtanh_scalar(size_t n, const float *x, float *y);
void myl_f32_vact_scalar(int act, float slope, size_t n, const float *x, float *y);
void myl_f32_vact_bwd_scalar(int act, float slope, size_t n, const float *y, const float *dy, float *dx);
void myl_f32_softmax_scalar(size_t n, const float *x, float *y);

void myl_f32_vexp_avx512(size_t n, const float *x, float *y) { myl_f32_vexp_scalar(n, x, y); }
void myl_f32_vsigmoid_avx512(size_t n, const float *x, float *y) { myl_f32_vsigmoid_scalar(n, x, y); }
void myl_f32_vtanh_avx512(size_t n, const float *x, float *y) { myl_f32_vtanh_scalar(n, x, y); }
void myl_f32_vact_avx512(int act, float slope, size_t n, const float *x, float *y)
{
    myl_f32_vact_scalar(act, slope, n, x, y);
}
void myl_f32_vact_bwd_avx512(int act, float slope, size_t n, const float *y, const float *dy, float *dx)
{
    myl_f32_vact_bwd_scalar(act, slope, n, y, dy, dx);
}
void myl_f32_softmax_avx512(size_t n, const float *x, float *y) { myl_f32_softmax_scalar(n, x, y); }

/* Portable element-wise kernels on libm (within about half an ulp). */
#include "kernels.h"
#include "scalar/act-scalar.h"

#include <math.h>

void myl_f32_vexp_scalar(size_t n, const float *x, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = expf(x[i]);
}

void myl_f32_vsigmoid_scalar(size_t n, const float *x, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = myl_act_scalar(MYL_ACT_SIGMOID, 0.0f, x[i]);
}

void myl_f32_vtanh_scalar(size_t n, const float *x, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = myl_act_scalar(MYL_ACT_TANH, 0.0f, x[i]);
}

void myl_f32_vact_scalar(int act, float slope, size_t n, const float *x, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = myl_act_scalar(act, slope, x[i]);
}

void myl_f32_vact_bwd_scalar(int act, float slope, size_t n, const float *y, const float *dy, float *dx)
{
    for (size_t i = 0; i < n; i++)
        dx[i] = myl_act_bwd_scalar(act, slope, y[i], dy[i]);
}

void myl_f32_softmax_scalar(size_t n, const float *x, float *y)
{
    if (n == 0)
        return;
    float mx = x[0];
    for (size_t i = 1; i < n; i++)
        mx = x[i] > mx ? x[i] : mx;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        y[i] = expf(x[i] - mx);
        sum += y[i];
    }
    const float inv = (float)(1.0 / sum);
    for (size_t i = 0; i < n; i++)
        y[i] *= inv;
}

/* Bytes to floats with a per-column transform, portable: the reference the
   vector paths reproduce bit for bit (a subtraction, then a product: two
   roundings, never fused). */
#include "kernels.h"

void myl_u8_f32_vcvt_scalar(size_t n, const uint8_t *x, const float *offset, const float *scale, float *y)
{
    for (size_t i = 0; i < n; i++) {
        const float d = (float)x[i] - offset[i];
        y[i] = d * scale[i];
    }
}

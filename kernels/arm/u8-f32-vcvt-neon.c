/* Bytes to floats with a per-column transform, neon: 16 bytes a step (widened
   to four vectors of 4 lanes), the tail in scalar code (the same two
   roundings). */
#include <arm_neon.h>

#include "kernels.h"
#include "arm/vact-neon.h"

static inline void cvt4(uint16x4_t h, const float *offset, const float *scale, float *y)
{
    const float32x4_t v = vcvtq_f32_u32(vmovl_u16(h));
    vst1q_f32(y, vmulq_f32(vsubq_f32(v, vld1q_f32(offset)), vld1q_f32(scale)));
}

void myl_u8_f32_vcvt_neon(size_t n, const uint8_t *x, const float *offset, const float *scale, float *y)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const uint8x16_t b = vld1q_u8(x + i);
        const uint16x8_t lo = vmovl_u8(vget_low_u8(b)), hi = vmovl_u8(vget_high_u8(b));
        cvt4(vget_low_u16(lo), offset + i, scale + i, y + i);
        cvt4(vget_high_u16(lo), offset + i + 4, scale + i + 4, y + i + 4);
        cvt4(vget_low_u16(hi), offset + i + 8, scale + i + 8, y + i + 8);
        cvt4(vget_high_u16(hi), offset + i + 12, scale + i + 12, y + i + 12);
    }
    for (; i < n; i++) {
        const float d = (float)x[i] - offset[i];
        y[i] = d * scale[i];
    }
}

/* Scalar activation of one value (element-wise acts only, not softmax). */
#ifndef MYL_ACT_SCALAR_H
#define MYL_ACT_SCALAR_H

#include "kernels.h"
#include <math.h>

static inline float myl_act_scalar(int act, float slope, float x)
{
    switch (act) {
    case MYL_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case MYL_ACT_LEAKY_RELU: return x > 0.0f ? x : slope * x;
    case MYL_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case MYL_ACT_TANH: return tanhf(x);
    default: return x;
    }
}

#endif

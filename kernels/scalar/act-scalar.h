/* Scalar activation of one value (element-wise acts only, not softmax), and
   its derivative through the output y. Every ISA path computes the same
   functions: relu and leaky relu propagate NaN, sigmoid/tanh go through
   double precision here so that this path is also a reference. */
#ifndef MYL_ACT_SCALAR_H
#define MYL_ACT_SCALAR_H

#include "kernels.h"
#include <math.h>

static inline float myl_act_scalar(int act, float slope, float x)
{
    switch (act) {
    case MYL_ACT_RELU: return x > 0.0f || x != x ? x : 0.0f;
    case MYL_ACT_LEAKY_RELU: return x > 0.0f || x != x ? x : x * slope;
    case MYL_ACT_SIGMOID: return (float)(1.0 / (1.0 + exp(-(double)x)));
    case MYL_ACT_TANH: return (float)tanh((double)x);
    default: return x;
    }
}

/* dy * act'(.) through y. relu passes dy where y > 0 and gives an exact 0
   elsewhere (even for an infinite dy); tanh' = (1-y)(1+y), which unlike
   1 - y*y loses nothing as y nears +-1. The vector paths use the same
   operations in the same order, so all paths agree bit for bit. */
static inline float myl_act_bwd_scalar(int act, float slope, float y, float dy)
{
    switch (act) {
    case MYL_ACT_RELU: return y > 0.0f ? dy : 0.0f;
    case MYL_ACT_LEAKY_RELU: return y > 0.0f ? dy : dy * slope;
    case MYL_ACT_SIGMOID: return dy * (y * (1.0f - y));
    case MYL_ACT_TANH: return dy * ((1.0f - y) * (1.0f + y));
    default: return dy;
    }
}

#endif

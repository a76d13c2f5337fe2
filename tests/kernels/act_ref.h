/* Double-precision references for the activation, loss and fused tests. */
#ifndef MYL_TEST_ACT_REF_H
#define MYL_TEST_ACT_REF_H

#include "myelin.h"

#include <float.h>
#include <math.h>
#include <stddef.h>

static inline double ref_sigmoid(double x)
{
    return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

/* Element-wise activation in double (not softmax). */
static inline double ref_act(myelin_act act, double slope, double x)
{
    switch (act) {
    case MYELIN_ACT_RELU: return x > 0 || isnan(x) ? x : 0.0; /* NaN propagates */
    case MYELIN_ACT_LEAKY_RELU: return x > 0 ? x : slope * x;
    case MYELIN_ACT_SIGMOID: return ref_sigmoid(x);
    case MYELIN_ACT_TANH: return tanh(x);
    default: return x;
    }
}

/* y = softmax(x) over n entries, in double. */
static inline void ref_softmax(size_t n, const double *x, double *y)
{
    double m = -INFINITY, s = 0.0;
    for (size_t j = 0; j < n; j++)
        m = x[j] > m ? x[j] : m;
    for (size_t j = 0; j < n; j++)
        s += (y[j] = exp(x[j] - m));
    for (size_t j = 0; j < n; j++)
        y[j] /= s;
}

/* Error of y in units of the last place of the reference, for references in
   the normal float range; -1 when the reference is outside it. */
static inline double ulp_error(float y, double ref)
{
    const double a = fabs(ref);
    if (!(a >= FLT_MIN && a <= FLT_MAX))
        return -1.0;
    return fabs((double)y - ref) / ldexp(1.0, ilogb(a) - 23);
}

static inline const char *act_name(myelin_act act)
{
    static const char *names[] = {"linear", "relu", "leaky_relu", "sigmoid", "tanh", "softmax"};
    return (unsigned)act < 6 ? names[act] : "?";
}

#endif

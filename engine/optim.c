/* Optimisers: one element-wise update of a parameter vector from its
   gradient. The element-wise form needs no reduction, so a static split over
   threads gives the same bytes for any thread count.
   The penalty gradient (l2 * w + l1 * sign(w)) is added here for weights. */
#include "optim.h"

#include <math.h>

void myl_opt_update(const myl_opt_cfg *c, size_t n, float *w, float *g, float *s1, float *s2, float lr,
                    uint64_t t, int penalise, int threads)
{
    const float l1 = penalise ? c->l1 : 0.0f, l2 = penalise ? c->l2 : 0.0f;
    const float mu = c->momentum, eps = c->eps;
    /* Adam's bias corrections, once per step in double (PyTorch's form:
       w -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)). */
    const double c1 = 1.0 - pow((double)c->beta1, (double)t), c2 = 1.0 - pow((double)c->beta2, (double)t);
    const float a_lr = (float)(lr / c1), a_s2 = (float)(1.0 / sqrt(c2));
    const float b1 = c->beta1, b2 = c->beta2, rho = c->rho;
    const myelin_optimizer opt = c->opt;
    const int par = threads > 1 && n >= 32768;
    /* One loop per optimiser (the switch outside) so each vectorises. */
    if (l1 != 0.0f || l2 != 0.0f) {
#pragma omp parallel for simd schedule(static) num_threads(threads) if (par)
        for (size_t i = 0; i < n; i++)
            g[i] += l2 * w[i] + (w[i] > 0.0f ? l1 : w[i] < 0.0f ? -l1 : 0.0f);
    }
    switch (opt) {
    case MYELIN_OPT_SGD:
#pragma omp parallel for simd schedule(static) num_threads(threads) if (par)
        for (size_t i = 0; i < n; i++)
            w[i] -= lr * g[i];
        break;
    case MYELIN_OPT_MOMENTUM: /* v = mu v + g; w -= lr v */
#pragma omp parallel for simd schedule(static) num_threads(threads) if (par)
        for (size_t i = 0; i < n; i++) {
            s1[i] = mu * s1[i] + g[i];
            w[i] -= lr * s1[i];
        }
        break;
    case MYELIN_OPT_NESTEROV: /* v = mu v + g; w -= lr (g + mu v) */
#pragma omp parallel for simd schedule(static) num_threads(threads) if (par)
        for (size_t i = 0; i < n; i++) {
            s1[i] = mu * s1[i] + g[i];
            w[i] -= lr * (g[i] + mu * s1[i]);
        }
        break;
    case MYELIN_OPT_ADAGRAD: /* s += g^2; w -= lr g / (sqrt(s) + eps) */
#pragma omp parallel for simd schedule(static) num_threads(threads) if (par)
        for (size_t i = 0; i < n; i++) {
            s1[i] += g[i] * g[i];
            w[i] -= lr * g[i] / (sqrtf(s1[i]) + eps);
        }
        break;
    case MYELIN_OPT_RMSPROP: /* s = rho s + (1-rho) g^2; w -= lr g / (sqrt(s) + eps) */
#pragma omp parallel for simd schedule(static) num_threads(threads) if (par)
        for (size_t i = 0; i < n; i++) {
            s1[i] = rho * s1[i] + (1.0f - rho) * g[i] * g[i];
            w[i] -= lr * g[i] / (sqrtf(s1[i]) + eps);
        }
        break;
    case MYELIN_OPT_ADAM:
#pragma omp parallel for simd schedule(static) num_threads(threads) if (par)
        for (size_t i = 0; i < n; i++) {
            s1[i] = b1 * s1[i] + (1.0f - b1) * g[i];
            s2[i] = b2 * s2[i] + (1.0f - b2) * g[i] * g[i];
            w[i] -= a_lr * s1[i] / (sqrtf(s2[i]) * a_s2 + eps);
        }
        break;
    }
}

int myl_opt_states(myelin_optimizer opt)
{
    switch (opt) {
    case MYELIN_OPT_SGD: return 0;
    case MYELIN_OPT_ADAM: return 2;
    default: return 1;
    }
}

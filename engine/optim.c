/* Optimisers: one element-wise update of a parameter vector from its
   gradient. The element-wise form needs no reduction, so a static split over
   threads gives the same bytes for any thread count.
   The penalty gradient (l2 * w + l1 * sign(w)) is added here for weights. */
#include "optim.h"
#include "schedule.h"

#include <math.h>
#include <omp.h>

typedef struct {
    myelin_optimizer opt;
    float l1, l2, mu, eps, lr, a_lr, a_s2, b1, b2, rho;
    float *w, *g, *s1, *s2;
} update_args;

/* Elements lo..hi-1: one loop per optimiser (the switch outside) so each
   vectorises. */
static void update_range(const update_args *u, size_t lo, size_t hi)
{
    const float l1 = u->l1, l2 = u->l2, mu = u->mu, eps = u->eps, lr = u->lr;
    const float a_lr = u->a_lr, a_s2 = u->a_s2, b1 = u->b1, b2 = u->b2, rho = u->rho;
    float *w = u->w, *g = u->g, *s1 = u->s1, *s2 = u->s2;
    if (l1 != 0.0f || l2 != 0.0f) {
#pragma omp simd
        for (size_t i = lo; i < hi; i++)
            g[i] += l2 * w[i] + (w[i] > 0.0f ? l1 : w[i] < 0.0f ? -l1 : 0.0f);
    }
    switch (u->opt) {
    case MYELIN_OPT_SGD:
#pragma omp simd
        for (size_t i = lo; i < hi; i++)
            w[i] -= lr * g[i];
        break;
    case MYELIN_OPT_MOMENTUM: /* v = mu v + g; w -= lr v */
#pragma omp simd
        for (size_t i = lo; i < hi; i++) {
            s1[i] = mu * s1[i] + g[i];
            w[i] -= lr * s1[i];
        }
        break;
    case MYELIN_OPT_NESTEROV: /* v = mu v + g; w -= lr (g + mu v) */
#pragma omp simd
        for (size_t i = lo; i < hi; i++) {
            s1[i] = mu * s1[i] + g[i];
            w[i] -= lr * (g[i] + mu * s1[i]);
        }
        break;
    case MYELIN_OPT_ADAGRAD: /* s += g^2; w -= lr g / (sqrt(s) + eps) */
#pragma omp simd
        for (size_t i = lo; i < hi; i++) {
            s1[i] += g[i] * g[i];
            w[i] -= lr * g[i] / (sqrtf(s1[i]) + eps);
        }
        break;
    case MYELIN_OPT_RMSPROP: /* s = rho s + (1-rho) g^2; w -= lr g / (sqrt(s) + eps) */
#pragma omp simd
        for (size_t i = lo; i < hi; i++) {
            s1[i] = rho * s1[i] + (1.0f - rho) * g[i] * g[i];
            w[i] -= lr * g[i] / (sqrtf(s1[i]) + eps);
        }
        break;
    case MYELIN_OPT_ADAM:
#pragma omp simd
        for (size_t i = lo; i < hi; i++) {
            s1[i] = b1 * s1[i] + (1.0f - b1) * g[i];
            s2[i] = b2 * s2[i] + (1.0f - b2) * g[i] * g[i];
            w[i] -= a_lr * s1[i] / (sqrtf(s2[i]) * a_s2 + eps);
        }
        break;
    }
}

void myl_opt_update(const myl_opt_cfg *c, size_t n, float *w, float *g, float *s1, float *s2, float lr,
                    uint64_t t, int penalise, int threads)
{
    /* Adam's bias corrections, once per step in double (PyTorch's form:
       w -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)). */
    const double c1 = 1.0 - pow((double)c->beta1, (double)t), c2 = 1.0 - pow((double)c->beta2, (double)t);
    const update_args u = {c->opt, penalise ? c->l1 : 0.0f, penalise ? c->l2 : 0.0f, c->momentum, c->eps, lr,
                           (float)(lr / c1), (float)(1.0 / sqrt(c2)), c->beta1, c->beta2, c->rho, w, g, s1, s2};
    /* a team only for long vectors; no parallel region at all otherwise
       (entering one costs a microsecond or two even for one thread) */
    if (threads <= 1 || (double)n < myl_sched_tuning_get().min_team_elements) {
        update_range(&u, 0, n);
        return;
    }
#pragma omp parallel num_threads(threads)
    {
        const size_t nt = (size_t)omp_get_num_threads(), id = (size_t)omp_get_thread_num();
        update_range(&u, n * id / nt, n * (id + 1) / nt);
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

/* loss.c - losses and their gradients w.r.t. the network output.
   Sums run in double in a fixed order (row by row, left to right), so a
   result does not depend on the thread count. Clamped losses keep
   probabilities in [MYL_LOSS_EPS, 1 - MYL_LOSS_EPS] before taking logs. */
#include "internal.h"

#include <math.h>
#include <string.h>

#define MYL_LOSS_EPS 1e-7

/* Softmax cross-entropy of one row of logits z against targets t:
   -sum_j t_j log softmax(z)_j = sum_j t_j (lse - z_j), lse = log sum exp(z).
   p = softmax(z) comes from the kernel (max subtracted); the max element has
   p_max = 1/sum exp(z - max), so lse = max - log(p_max) costs one log and
   never meets log(0): the loss stays finite where log(p_j) would be -inf. */
static double softmax_ce_row(const myl_kernels *k, size_t n, const float *z, const float *t, float *p)
{
    size_t am = 0;
    for (size_t j = 1; j < n; j++)
        if (z[j] > z[am])
            am = j;
    k->softmax(n, z, p);
    const double lse = (double)z[am] - log((double)p[am]);
    double s = 0.0;
    for (size_t j = 0; j < n; j++)
        if (t[j] != 0.0f)
            s += (double)t[j] * (lse - (double)z[j]);
    return s;
}

/* x clamped to [lo, hi], NaN kept (fmin/fmax would turn it into a bound: a
   NaN output would give a finite loss, and training would not stop on it). */
static double clamp_keep_nan(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

int myl_loss_rows(myelin_loss loss, size_t rows, size_t cols, const float *y, size_t ldy, const float *t,
                  size_t ldt, double *loss_sum, float *grad, size_t ldg, float grad_scale)
{
    const myl_kernels *k;
    int st = myl_kernels_get(&k);
    if (st)
        return st;
    float stack_row[1024];
    float *p = NULL;
    if (loss == MYELIN_LOSS_SOFTMAX_CE || loss == MYELIN_LOSS_BCE_LOGITS) {
        p = cols <= 1024 ? stack_row : myl_alloc(cols * sizeof(float));
        if (!p)
            return myl_fail(MYELIN_ENOMEM, "loss: no memory for a row of %zu floats", cols);
    }
    const double lo = MYL_LOSS_EPS, hi = 1.0 - MYL_LOSS_EPS;
    double total = 0.0;
    for (size_t i = 0; i < rows; i++) {
        const float *yr = y + i * ldy, *tr = t + i * ldt;
        float *gr = grad ? grad + i * ldg : NULL; /* may be yr: each yr[j] is read before gr[j] is written */
        double s = 0.0;
        switch (loss) {
        case MYELIN_LOSS_MSE:
            for (size_t j = 0; j < cols; j++) {
                const double d = (double)yr[j] - (double)tr[j];
                s += 0.5 * d * d;
                if (gr)
                    gr[j] = (float)d * grad_scale;
            }
            break;
        case MYELIN_LOSS_MAE:
            for (size_t j = 0; j < cols; j++) {
                const double d = (double)yr[j] - (double)tr[j];
                s += fabs(d);
                if (gr)
                    gr[j] = d > 0 ? grad_scale : d < 0 ? -grad_scale : 0.0f;
            }
            break;
        case MYELIN_LOSS_BCE:
            for (size_t j = 0; j < cols; j++) {
                const double q = clamp_keep_nan((double)yr[j], lo, hi), tj = tr[j];
                s -= tj * log(q) + (1.0 - tj) * log1p(-q);
                if (gr)
                    gr[j] = (float)((q - tj) / (q * (1.0 - q))) * grad_scale;
            }
            break;
        case MYELIN_LOSS_BCE_LOGITS:
            /* max(z,0) - z t + log(1 + exp(-|z|)): no overflow for any z */
            k->vsigmoid(cols, yr, p);
            for (size_t j = 0; j < cols; j++) {
                const double z = yr[j], tj = tr[j];
                s += (z > 0 ? z : 0) - z * tj + log1p(exp(-fabs(z)));
                if (gr)
                    gr[j] = (p[j] - tr[j]) * grad_scale;
            }
            break;
        case MYELIN_LOSS_CE:
            for (size_t j = 0; j < cols; j++) {
                const double q = clamp_keep_nan((double)yr[j], lo, 1.0), tj = tr[j];
                if (tj != 0.0 || isnan(q)) /* 0 log 0 is 0; a NaN output is a NaN loss */
                    s -= tj * log(q);
                if (gr)
                    gr[j] = (float)(-tj / q) * grad_scale;
            }
            break;
        case MYELIN_LOSS_SOFTMAX_CE:
            s = softmax_ce_row(k, cols, yr, tr, p);
            if (gr)
                for (size_t j = 0; j < cols; j++)
                    gr[j] = (p[j] - tr[j]) * grad_scale;
            break;
        }
        total += s;
    }
    if (p && p != stack_row)
        myl_free(p);
    *loss_sum = total;
    return MYELIN_OK;
}

static int check_operand(const char *name, const void *p, size_t rows, size_t cols, size_t ld)
{
    if (!p)
        return myl_fail(MYELIN_EINVAL, "myelin_loss_eval: %s is NULL", name);
    if (ld < cols)
        return myl_fail(MYELIN_EINVAL, "myelin_loss_eval: leading dimension of %s (%zu) < cols (%zu)", name,
                        ld, cols);
    size_t span;
    if (!myl_mul_ok(rows - 1, ld, &span) || span > SIZE_MAX / sizeof(float) - cols)
        return myl_fail(MYELIN_EINVAL, "myelin_loss_eval: %s of %zu rows with leading dimension %zu overflows",
                        name, rows, ld);
    return MYELIN_OK;
}

int myelin_loss_eval(myelin_loss loss, size_t rows, size_t cols, const float *y, size_t ldy, const float *t,
                     size_t ldt, float *loss_out, float *grad, size_t ldg)
{
    if ((int)loss < MYELIN_LOSS_MSE || (int)loss > MYELIN_LOSS_SOFTMAX_CE)
        return myl_fail(MYELIN_EINVAL, "myelin_loss_eval: loss is %d, not a myelin_loss", (int)loss);
    if (rows == 0 || cols == 0)
        return myl_fail(MYELIN_EINVAL, "myelin_loss_eval: empty batch (%zu rows x %zu cols)", rows, cols);
    if (!loss_out)
        return myl_fail(MYELIN_EINVAL, "myelin_loss_eval: loss_out is NULL");
    int st = check_operand("y", y, rows, cols, ldy);
    if (!st) st = check_operand("t", t, rows, cols, ldt);
    if (!st && grad) st = check_operand("grad", grad, rows, cols, ldg);
    if (st)
        return st;
    if (grad == y && ldg != ldy)
        return myl_fail(MYELIN_EINVAL, "myelin_loss_eval: grad aliases y but ldg (%zu) != ldy (%zu)", ldg, ldy);
    double sum;
    const float scale = (float)(1.0 / (double)rows);
    const myl_kernels *k;
    if ((st = myl_kernels_get(&k)))
        return st;
    int done = 0;
    if (loss == MYELIN_LOSS_SOFTMAX_CE && k->softmax_ce && cols >= 2 && cols <= 16 && ldy == cols && ldt == cols &&
        (!grad || (ldg == cols && grad != y))) {
        /* Narrow contiguous rows (the output layer): the path's batch kernel,
           rows along the vector lanes, as the training loop uses it; the
           engine's row loop below calls a row kernel per row and ran slower
           than a naive loop on 10 classes (p is not kept). The
           kernel's per-row losses are floats: a total that is not finite
           (a row term beyond FLT_MAX, or NaN logits) is computed again in
           double by the row loop, which is what decides. */
        k->softmax_ce(rows, cols, y, t, NULL, grad, scale, &sum, NULL);
        done = isfinite(sum);
    }
    if (!done && (st = myl_loss_rows(loss, rows, cols, y, ldy, t, ldt, &sum, grad, ldg, scale)))
        return st;
    *loss_out = (float)(sum / (double)rows);
    return MYELIN_OK;
}

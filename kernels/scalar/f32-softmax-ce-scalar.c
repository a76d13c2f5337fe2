/* Softmax + categorical cross-entropy of a batch, portable C, for the output
   layer (2 <= n <= 16 classes; contract in kernels/kernels.h, as the
   avx2/avx512 kernels). The engine's row loop it replaces called the row
   softmax and a double log per row and ran at 1.4x a naive loop on 10
   classes, most of it in libm's expf. Here p comes from the steps of
   scalar/softmax-scalar.h (the same bytes as the row softmax), taken for 4
   rows at a time, and one logf per row is left.
   The loss comes from the logits, t ((max - z) + log sum exp(z - max)), which
   stays finite when a probability underflows and does not cancel when the
   logits are large; NaN or +inf logits make it NaN. A group of rows is read
   whole before anything of it is written. */
#include <math.h>

#include "kernels.h"
#include "scalar/softmax-scalar.h"

/* The first j < n where v[j] is largest (a NaN is never larger). */
static inline size_t first_max(const float *v, size_t n)
{
    size_t at = 0;
    for (size_t j = 1; j < n; j++)
        at = v[j] > v[at] ? j : at;
    return at;
}

static inline __attribute__((always_inline)) void ce_rows(size_t R, size_t n, const float *z, const float *t,
                                                          float *p, float *g, float g_scale, double *sum,
                                                          size_t *right, int want_right)
{
    const size_t nv = (n + 3) / 4;
    const myl_f4 zero = myl_f4_set1(0.0f), gs = myl_f4_set1(g_scale);
    myl_f4 zv[4][4], tv[4][4], e[4][4];
    float mx[4], s[4];
    for (size_t r = 0; r < R; r++) {
        myl_sm_load(n, z + r * n, -INFINITY, zv[r]);
        myl_sm_load(n, t + r * n, 0.0f, tv[r]);
        mx[r] = myl_sm_max(nv, zv[r]);
        for (size_t c = 0; c < nv; c++)
            e[r][c] = zv[r][c];
    }
    for (size_t r = 0; r < R; r++)
        s[r] = myl_sm_exp_sum(n, e[r], mx[r]);
    for (size_t r = 0; r < R; r++) {
        myl_sm_scale(nv, e[r], 1.0f / s[r]); /* p */
        const myl_f4 ls = myl_f4_set1(logf(s[r])), m4 = myl_f4_set1(mx[r]);
        myl_f4 loss = zero;
        for (size_t c = 0; c < nv; c++) /* t = 0 terms left out, as in -t log p (0 * inf is NaN) */
            loss += myl_f4_select(tv[r][c] != zero, tv[r][c] * ((m4 - zv[r][c]) + ls), zero);
        *sum += (double)((loss[0] + loss[1]) + (loss[2] + loss[3]));
        if (want_right) {
            float pr[16], tr[16];
            myl_sm_store(n, e[r], pr);
            myl_sm_store(n, tv[r], tr);
            *right += first_max(pr, n) == first_max(tr, n);
        }
        if (g) {
            myl_f4 gv[4];
            for (size_t c = 0; c < nv; c++)
                gv[c] = (e[r][c] - tv[r][c]) * gs;
            myl_sm_store(n, gv, g + r * n);
        }
        if (p)
            myl_sm_store(n, e[r], p + r * n);
    }
}

void myl_f32_softmax_ce_scalar(size_t rows, size_t n, const float *z, const float *t, float *p, float *g,
                               float g_scale, double *loss_sum, size_t *correct)
{
    double sum = 0.0;
    size_t right = 0, i = 0;
    for (; i + 4 <= rows; i += 4)
        ce_rows(4, n, z + i * n, t + i * n, p ? p + i * n : NULL, g ? g + i * n : NULL, g_scale, &sum, &right,
                correct != NULL);
    for (; i < rows; i++)
        ce_rows(1, n, z + i * n, t + i * n, p ? p + i * n : NULL, g ? g + i * n : NULL, g_scale, &sum, &right,
                correct != NULL);
    *loss_sum = sum;
    if (correct)
        *correct = right;
}

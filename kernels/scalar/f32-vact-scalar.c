/* Portable element-wise kernels on libm (within about half an ulp); softmax
   on the 4-wide exp of scalar/math-scalar.h instead of an expf call per
   element. */
#include "kernels.h"
#include "scalar/act-scalar.h"
#include "scalar/math-scalar.h"
#include "scalar/softmax-scalar.h"

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

/* Rows of more than 16: the sum in double (a row may be long), exp on 4
   values at once. x and y may be the same: each chunk of x is read before
   its y is written. */
static void softmax_long(size_t n, const float *x, float *y)
{
    float mx = x[0];
    for (size_t i = 1; i < n; i++)
        mx = x[i] > mx ? x[i] : mx;
    const myl_f4 m4 = myl_f4_set1(mx);
    myl_d4 acc = {0.0, 0.0, 0.0, 0.0};
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const myl_f4 e = myl_exp4_neg_scalar(myl_f4_load(x + i) - m4);
        myl_f4_store(y + i, e);
        acc += __builtin_convertvector(e, myl_d4);
    }
    if (i < n) {
        /* padding lanes through exp as 0 (not -inf: see myl_sm_exp_sum), then 0 */
        const myl_i4 in = myl_i4_first(n - i);
        const myl_f4 zero = myl_f4_set1(0.0f);
        const myl_f4 e = myl_f4_select(
            in, myl_exp4_neg_scalar(myl_f4_select(in, myl_f4_load_part(x + i, n - i, 0.0f) - m4, zero)), zero);
        myl_f4_store_part(y + i, n - i, e);
        acc += __builtin_convertvector(e, myl_d4);
    }
    const float inv = (float)(1.0 / ((acc[0] + acc[1]) + (acc[2] + acc[3])));
    const myl_f4 inv4 = myl_f4_set1(inv);
    for (i = 0; i + 4 <= n; i += 4)
        myl_f4_store(y + i, myl_f4_load(y + i) * inv4);
    for (; i < n; i++)
        y[i] *= inv;
}

void myl_f32_softmax_scalar(size_t n, const float *x, float *y)
{
    if (n == 0)
        return;
    if (n <= MYL_SM_MAXN)
        myl_sm_rows(1, n, x, n, y, n);
    else
        softmax_long(n, x, y);
}

/* The same per row as myl_f32_softmax_scalar, 4 rows at a time when n <= 16
   (scalar/softmax-scalar.h). x and y may be the same (ldx == ldy). */
void myl_f32_softmax_rows_scalar(size_t rows, size_t n, const float *x, size_t ldx, float *y, size_t ldy)
{
    if (n == 0)
        return;
    size_t i = 0;
    if (n <= MYL_SM_MAXN) {
        const size_t nv = (n + 3) / 4, rem = n - 4 * (nv - 1);
        const myl_i4 in = myl_i4_first(rem);
#define MYL_SM_GROUPS(NV)                                                                   \
    for (; i + 4 <= rows; i += 4)                                                           \
        myl_sm_rows_nv(4, NV, rem, in, x + i * ldx, ldx, y + i * ldy, ldy);                 \
    break
        switch (nv) {
        case 1: MYL_SM_GROUPS(1);
        case 2: MYL_SM_GROUPS(2);
        case 3: MYL_SM_GROUPS(3);
        default: MYL_SM_GROUPS(4);
        }
#undef MYL_SM_GROUPS
    }
    for (; i < rows; i++)
        myl_f32_softmax_scalar(n, x + i * ldx, y + i * ldy);
}

/*
 * softmax-scalar.h - the steps of a softmax over a row of at most 16 floats
 * held in four 4-float generic vectors (padding lanes: -inf, whose exp is 0),
 * shared by the row kernel (f32-vact-scalar.c), the matrix kernel and the
 * softmax-CE kernel, so that all three give the same bytes for a row.
 *
 * The matrix kernels take each step for 4 rows before the next step: a row
 * alone is one long chain (max, exp, sum, division, scaling, about 100
 * cycles), and one call per row left the core waiting on it; four rows'
 * chains side by side keep it busy. A row's operations do not depend on the
 * group it falls in.
 */
#ifndef MYL_SOFTMAX_SCALAR_H
#define MYL_SOFTMAX_SCALAR_H

#include <math.h>

#include "scalar/math-scalar.h"

#define MYL_SM_MAXN 16

/* The row's n floats into v[0 .. (n+3)/4), padded with `fill`. */
static inline void myl_sm_load(size_t n, const float *x, float fill, myl_f4 *v)
{
    size_t c = 0;
    for (; 4 * c + 4 <= n; c++)
        v[c] = myl_f4_load(x + 4 * c);
    if (4 * c < n)
        v[c] = myl_f4_load_part(x + 4 * c, n - 4 * c, fill);
}

static inline void myl_sm_store(size_t n, const myl_f4 *v, float *y)
{
    size_t c = 0;
    for (; 4 * c + 4 <= n; c++)
        myl_f4_store(y + 4 * c, v[c]);
    if (4 * c < n)
        myl_f4_store_part(y + 4 * c, n - 4 * c, v[c]);
}

static inline myl_f4 myl_f4_max(myl_f4 a, myl_f4 b)
{
    return myl_f4_select(a > b, a, b);
}

/* A value >= every non-NaN x_j, or NaN. Either serves: a NaN x_j makes its
   own exp, and so the sum and the whole row, NaN. */
static inline __attribute__((always_inline)) float myl_sm_max(size_t nv, const myl_f4 *v)
{
    myl_f4 m = v[0];
#pragma GCC unroll 4
    for (size_t c = 1; c < nv; c++)
        m = myl_f4_max(m, v[c]);
    const float a = m[0] > m[1] ? m[0] : m[1], b = m[2] > m[3] ? m[2] : m[3];
    return a > b ? a : b;
}

/* v = exp(v - mx) for the n values, 0 in the padding, returning the sum
   (lanes, then pairwise): in [1, 16] for finite x, as the maximum gives
   exp(0) = 1; NaN if x has a NaN or +inf (inf - inf) or is all -inf.
   The padding goes through exp as 0, not -inf: exp(-104) underflows, and a
   subnormal or underflowing product costs a microcode assist on many
   x86 cores (this made the whole softmax 3x slower). */
static inline float myl_sm_exp_sum(size_t n, myl_f4 *v, float mx)
{
    const myl_f4 m4 = myl_f4_set1(mx), zero = myl_f4_set1(0.0f);
    myl_f4 s = zero;
    size_t c = 0;
    for (; 4 * c + 4 <= n; c++) {
        v[c] = myl_exp4_neg_scalar(v[c] - m4);
        s += v[c];
    }
    if (4 * c < n) {
        const myl_i4 in = myl_i4_first(n - 4 * c);
        v[c] = myl_f4_select(in, myl_exp4_neg_scalar(myl_f4_select(in, v[c] - m4, zero)), zero);
        s += v[c];
    }
    return (s[0] + s[1]) + (s[2] + s[3]);
}

static inline void myl_sm_scale(size_t nv, myl_f4 *v, float inv)
{
    const myl_f4 i4 = myl_f4_set1(inv);
    for (size_t c = 0; c < nv; c++)
        v[c] *= i4;
}

/* R <= 4 rows of n <= 16: y = softmax(x), step by step across the rows. */
static inline __attribute__((always_inline)) void myl_sm_rows(size_t R, size_t n, const float *x, size_t ldx,
                                                              float *y, size_t ldy)
{
    const size_t nv = (n + 3) / 4;
    myl_f4 v[4][4];
    float mx[4], s[4];
    for (size_t r = 0; r < R; r++) {
        myl_sm_load(n, x + r * ldx, -INFINITY, v[r]);
        mx[r] = myl_sm_max(nv, v[r]);
    }
    for (size_t r = 0; r < R; r++)
        s[r] = myl_sm_exp_sum(n, v[r], mx[r]);
    for (size_t r = 0; r < R; r++) {
        myl_sm_scale(nv, v[r], 1.0f / s[r]);
        myl_sm_store(n, v[r], y + r * ldy);
    }
}

/* The same with NV = (n+3)/4 a constant and the last vector's 1-4 values
   (rem) and lane mask (in) given: the loops over the vectors unrolled, no
   branch on n per row. Each operation as in myl_sm_rows, so the same bytes. */
static inline __attribute__((always_inline)) void myl_sm_rows_nv(size_t R, size_t NV, size_t rem, myl_i4 in,
                                                                 const float *x, size_t ldx, float *y, size_t ldy)
{
    myl_f4 v[4][4];
    float mx[4], s[4];
    const myl_f4 zero = myl_f4_set1(0.0f);
    for (size_t r = 0; r < R; r++) {
        const float *xr = x + r * ldx;
#pragma GCC unroll 4
        for (size_t c = 0; c + 1 < NV; c++)
            v[r][c] = myl_f4_load(xr + 4 * c);
        v[r][NV - 1] = rem == 4 ? myl_f4_load(xr + 4 * (NV - 1)) : myl_f4_load_part(xr + 4 * (NV - 1), rem, -INFINITY);
        mx[r] = myl_sm_max(NV, v[r]);
    }
    for (size_t r = 0; r < R; r++) {
        const myl_f4 m4 = myl_f4_set1(mx[r]);
        myl_f4 sv = zero;
#pragma GCC unroll 4
        for (size_t c = 0; c + 1 < NV; c++) {
            v[r][c] = myl_exp4_neg_scalar(v[r][c] - m4);
            sv += v[r][c];
        }
        if (rem == 4)
            v[r][NV - 1] = myl_exp4_neg_scalar(v[r][NV - 1] - m4);
        else
            v[r][NV - 1] = myl_f4_select(in, myl_exp4_neg_scalar(myl_f4_select(in, v[r][NV - 1] - m4, zero)), zero);
        sv += v[r][NV - 1];
        s[r] = (sv[0] + sv[1]) + (sv[2] + sv[3]);
    }
    for (size_t r = 0; r < R; r++) {
        float *yr = y + r * ldy;
        const myl_f4 i4 = myl_f4_set1(1.0f / s[r]);
#pragma GCC unroll 4
        for (size_t c = 0; c + 1 < NV; c++)
            myl_f4_store(yr + 4 * c, v[r][c] * i4);
        if (rem == 4)
            myl_f4_store(yr + 4 * (NV - 1), v[r][NV - 1] * i4);
        else
            myl_f4_store_part(yr + 4 * (NV - 1), rem, v[r][NV - 1] * i4);
    }
}

#endif

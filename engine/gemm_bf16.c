/* The BF16 GEMM's entry points: the same driver (engine/gemm.c) with the
   BF16 table that goes with the path in use (engine/dispatch.c), and the
   FP32 <-> BF16 conversions with the packers' rounding (kernels/bf16.h). */
#include "internal.h"
#include "bf16.h"

int myl_gemm_bf16(int ta, int tb, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
                  const float *b, size_t ldb, float beta, float *c, size_t ldc,
                  const float *bias, int act, float slope)
{
    if (m == 0 || n == 0)
        return MYELIN_OK;
    /* the BF16 kernels' epilogues do ReLU and leaky ReLU only (no sigmoid,
       tanh or softmax row kernel): the others are the caller's to apply */
    if (act != MYL_ACT_LINEAR && act != MYL_ACT_RELU && act != MYL_ACT_LEAKY_RELU)
        return myl_fail(MYELIN_EINVAL, "myl_gemm_bf16: activation %d is not fused into the BF16 GEMM", act);
    const myl_kernels *kt;
    int st = myl_bf16_kernels_get(&kt);
    if (st)
        return st;
    return myl_gemm_with(kt, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, act, slope);
}

/* The BF16 GEMM: the FP32 operands rounded to BF16 while packed, FP32
   products summed in FP32 (see include/myelin.h). */
int myelin_gemm_bf16(myelin_transpose ta, myelin_transpose tb, size_t m, size_t n, size_t k, float alpha,
                     const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc)
{
    int st = myl_check_gemm("myelin_gemm_bf16", (int)ta, (int)tb, m, n, k, a, lda, b, ldb, c, ldc);
    if (st)
        return st;
    return myl_gemm_bf16((int)ta, (int)tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, NULL, MYL_ACT_LINEAR,
                         0.0f);
}

int myelin_f32_to_bf16(size_t n, const float *x, uint16_t *y)
{
    if (n && (!x || !y))
        return myl_fail(MYELIN_EINVAL, "myelin_f32_to_bf16: %s is NULL but n is %zu", !x ? "x" : "y", n);
    for (size_t i = 0; i < n; i++)
        y[i] = myl_bf16_round(x[i]);
    return MYELIN_OK;
}

int myelin_bf16_to_f32(size_t n, const uint16_t *x, float *y)
{
    if (n && (!x || !y))
        return myl_fail(MYELIN_EINVAL, "myelin_bf16_to_f32: %s is NULL but n is %zu", !x ? "x" : "y", n);
    for (size_t i = 0; i < n; i++)
        y[i] = myl_bf16_to_f32(x[i]);
    return MYELIN_OK;
}

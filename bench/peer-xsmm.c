/*
 * peer-xsmm.c - libxsmm as a loadable module (mb-xsmm.so) for the GEMM
 * benchmark: Debian ships it as static archives only, and its BLAS fallback
 * (OpenBLAS here) must not leak into the benchmark binary's symbol space.
 * libxsmm is column-major: row-major C = op(A) op(B) is column-major
 * C' = op(B)' op(A)', so the operands swap.
 */
#include <stddef.h>
#include <libxsmm.h>

void mb_xsmm_sgemm(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
                   const float *a, size_t lda, const float *b, size_t ldb,
                   float beta, float *c, size_t ldc, int threads)
{
    const char tA = tb ? 'T' : 'N', tB = ta ? 'T' : 'N';
    const libxsmm_blasint M = (libxsmm_blasint)n, N = (libxsmm_blasint)m, K = (libxsmm_blasint)k;
    const libxsmm_blasint LDA = (libxsmm_blasint)ldb, LDB = (libxsmm_blasint)lda,
                          LDC = (libxsmm_blasint)ldc;
    if (threads > 1)
        libxsmm_sgemm_omp(&tA, &tB, &M, &N, &K, &alpha, b, &LDA, a, &LDB, &beta, c, &LDC);
    else
        libxsmm_sgemm(&tA, &tB, &M, &N, &K, &alpha, b, &LDA, a, &LDB, &beta, c, &LDC);
}

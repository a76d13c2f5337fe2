/* blas_abi.h - the BLAS entry points as a caller outside Myelin sees them
 * (no Myelin header: these tests use the library only through the BLAS ABI). */
#ifndef MYL_TEST_BLAS_ABI_H
#define MYL_TEST_BLAS_ABI_H

#include <stddef.h>

enum { RowMajor = 101, ColMajor = 102 };
enum { NoTrans = 111, Trans = 112, ConjTrans = 113 };

/* gfortran's ABI: every argument by reference, hidden character lengths last. */
void sgemm_(const char *ta, const char *tb, const int *m, const int *n, const int *k, const float *alpha,
            const float *a, const int *lda, const float *b, const int *ldb, const float *beta, float *c,
            const int *ldc, size_t ta_len, size_t tb_len);
void cblas_sgemm(int layout, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc);
extern int RowMajorStrg;
extern int CBLAS_CallFromC;

#endif

/* cblas_sgemm, as netlib's CBLAS does it: the layout and transpose arguments
 * are checked here (cblas_xerbla, CBLAS parameter numbers), the rest by the
 * Fortran-interface checks of the column-major product, which a row-major
 * call reaches with the operands swapped (RowMajorStrg set while the error is
 * reported, so that xerbla handlers translate the swapped numbers back, as
 * netlib's and its tester's do). */
#include "blas.h"

/* netlib's definitions: both zero but while an error is reported. */
int RowMajorStrg = 0;
int CBLAS_CallFromC = 0;

/* 'N', 'T', 'C', or 0 for a value that is none of the three. */
static char trans_char(int t)
{
    return t == MYL_CBLAS_NO_TRANS ? 'N' : t == MYL_CBLAS_TRANS ? 'T' : t == MYL_CBLAS_CONJ_TRANS ? 'C' : 0;
}

/* Errors found here go to cblas_xerbla with netlib's globals as netlib's
   cblas_sgemm leaves them at that point. */
static void report(int info, int layout, const char *form, int value)
{
    CBLAS_CallFromC = 1;
    RowMajorStrg = layout == MYL_CBLAS_ROW_MAJOR;
    cblas_xerbla(info, "cblas_sgemm", form, value);
    CBLAS_CallFromC = RowMajorStrg = 0;
}

void cblas_sgemm(int layout, int transa, int transb, int m, int n, int k, float alpha, const float *a,
                 int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    const char ta = trans_char(transa), tb = trans_char(transb);
    if (layout != MYL_CBLAS_COL_MAJOR && layout != MYL_CBLAS_ROW_MAJOR)
        report(1, 0, "Illegal layout setting, %d\n", layout);
    else if (!ta)
        report(2, layout, "Illegal TransA setting, %d\n", transa);
    else if (!tb)
        report(3, layout, "Illegal TransB setting, %d\n", transb);
    else if (layout == MYL_CBLAS_COL_MAJOR)
        myl_blas_sgemm_cm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, layout);
    else /* row-major C is column-major C^T = op(B)^T op(A)^T */
        myl_blas_sgemm_cm(tb, ta, n, m, k, alpha, b, ldb, a, lda, beta, c, ldc, layout);
}

/* sgemm_ (Fortran 77 ABI as gfortran emits it) and the checked column-major
 * core that cblas_sgemm shares.
 *
 * Column-major C (m x n, ldc) is, read row-major, C^T (n x m, ldc); and
 * C^T = alpha op(B)^T op(A)^T + beta C^T. A column-major operand read
 * row-major is its transpose, so the row-major product is Myelin's with the
 * operands swapped and each keeping its own transpose flag:
 *   sgemm(ta, tb, m, n, k, A, lda, B, ldb, C, ldc)
 *     = myelin_sgemm(tb, ta, n, m, k, B, ldb, A, lda, C, ldc).
 */
#include "blas.h"

#include <myelin.h>

/* LSAME: the first character, case-insensitive (the reference reads no more). */
static int is(char c, char want) { return c == want || c == want + ('a' - 'A'); }

void myl_blas_sgemm_cm(char ta, char tb, int m, int n, int k, float alpha, const float *a, int lda,
                       const float *b, int ldb, float beta, float *c, int ldc, int cblas)
{
    myl_blas_init();
    const int nota = is(ta, 'N'), notb = is(tb, 'N');
    const int nrowa = nota ? m : k, nrowb = notb ? k : n;
    /* The reference's order and parameter numbers: the first bad one is reported. */
    int info = 0;
    if (!nota && !is(ta, 'C') && !is(ta, 'T'))
        info = 1;
    else if (!notb && !is(tb, 'C') && !is(tb, 'T'))
        info = 2;
    else if (m < 0)
        info = 3;
    else if (n < 0)
        info = 4;
    else if (k < 0)
        info = 5;
    else if (lda < (nrowa > 1 ? nrowa : 1))
        info = 8;
    else if (ldb < (nrowb > 1 ? nrowb : 1))
        info = 10;
    else if (ldc < (m > 1 ? m : 1))
        info = 13;
    if (info) {
        /* netlib's globals, set only while an error is reported: written on
           every call (as netlib's cblas_sgemm does) they would be a data race
           between host threads multiplying at once. */
        if (cblas) {
            CBLAS_CallFromC = 1;
            RowMajorStrg = cblas == MYL_CBLAS_ROW_MAJOR;
        }
        xerbla_("SGEMM ", &info, 6);
        if (cblas)
            CBLAS_CallFromC = RowMajorStrg = 0;
        return;
    }
    /* Quick returns of the reference: nothing to do, or C unchanged (beta 1
       with no product term: C is not even read, NaNs and -0 stay). */
    if (m == 0 || n == 0 || ((alpha == 0.0f || k == 0) && beta == 1.0f))
        return;
    /* With alpha zero A and B are not read, so they may be anything (NULL
       included, which Myelin would refuse): a product with no K. */
    if (alpha == 0.0f)
        k = 0;
    /* The arguments passed the checks above, which imply Myelin's but for
       NULL operands; its status can only report that, ENOMEM (packing
       buffers) or EUNSUPPORTED (MYELIN_ISA naming a path this CPU lacks):
       BLAS has no way to return them, so the message goes to stderr. */
    int st = myl_blas_gemm_rm(notb ? MYELIN_NOTRANS : MYELIN_TRANS, nota ? MYELIN_NOTRANS : MYELIN_TRANS,
                              (size_t)n, (size_t)m, (size_t)k, alpha, b, (size_t)ldb, a, (size_t)lda, beta, c,
                              (size_t)ldc);
    if (st)
        myl_blas_report_failure(st);
}

/* Every argument by reference, 32-bit integers; the two hidden lengths of
   the character arguments come last (size_t since gfortran 8). C callers
   (PyTorch, NumPy's f2py code) usually omit them, so they are never read. */
void sgemm_(const char *transa, const char *transb, const int *m, const int *n, const int *k,
            const float *alpha, const float *a, const int *lda, const float *b, const int *ldb,
            const float *beta, float *c, const int *ldc, size_t transa_len, size_t transb_len)
{
    (void)transa_len;
    (void)transb_len;
    myl_blas_sgemm_cm(*transa, *transb, *m, *n, *k, *alpha, a, *lda, b, *ldb, *beta, c, *ldc, 0);
}

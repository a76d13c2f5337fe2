/* The library's own error handlers: bad calls print netlib's messages on
 * stderr and return, C untouched (tests/phase-blas.sh compares stderr with
 * the expected text). This program defines no xerbla_ or cblas_xerbla. */
#include "blas_abi.h"

#include <stdio.h>
#include <string.h>

int main(void)
{
    float a[4] = {0}, b[4] = {0}, c[4] = {1, 2, 3, 4};
    const float c0[4] = {1, 2, 3, 4}, one = 1;
    const int m = -1, n = 1, k = 1, ld = 1;
    sgemm_("N", "N", &m, &n, &k, &one, a, &ld, b, &ld, &one, c, &ld, 1, 1);          /* M: 3 */
    sgemm_("N", "Q", &n, &n, &k, &one, a, &ld, b, &ld, &one, c, &ld, 1, 1);          /* TRANSB: 2 */
    cblas_sgemm(RowMajor, NoTrans, NoTrans, 1, 1, 2, 1, a, 1, b, 1, 1, c, 1);         /* lda: 9 */
    cblas_sgemm(RowMajor, NoTrans, NoTrans, -1, 1, 1, 1, a, 1, b, 1, 1, c, 1);        /* M: 4 */
    cblas_sgemm(ColMajor, NoTrans, NoTrans, 1, 1, 1, 1, a, 1, b, 1, 1, c, 0);         /* ldc: 14 */
    cblas_sgemm(ColMajor, 5, NoTrans, 1, 1, 1, 1, a, 1, b, 1, 1, c, 1);               /* TransA: 2 */
    cblas_sgemm(99, NoTrans, NoTrans, 1, 1, 1, 1, a, 1, b, 1, 1, c, 1);               /* layout: 1 */
    printf("returned after 7 bad calls, C %s\n", memcmp(c, c0, sizeof c) ? "CHANGED" : "untouched");
    return memcmp(c, c0, sizeof c) != 0;
}

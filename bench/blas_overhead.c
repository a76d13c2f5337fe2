/* Call overhead of a 4x4x4 SGEMM through the BLAS ABI, whichever library the
 * dynamic linker gives (libblas.so.3, or libmyelin_blas.so with LD_PRELOAD).
 * Prints {"cblas_sgemm": ns, "sgemm_": ns} (the median of 9 samples of 200k
 * calls) and the fastest samples, which a busy machine disturbs least. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void cblas_sgemm(int layout, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc);
void sgemm_(const char *ta, const char *tb, const int *m, const int *n, const int *k, const float *alpha,
            const float *a, const int *lda, const float *b, const int *ldb, const float *beta, float *c,
            const int *ldc, size_t, size_t);

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
static int cmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

int main(void)
{
    static float a[16], b[16], c[16];
    for (int i = 0; i < 16; i++)
        a[i] = (float)i / 16, b[i] = 1.0f - (float)i / 32;
    const int four = 4, calls = 200000;
    const float one = 1, zero = 0;
    double s[2][9];
    for (int r = 0; r < 9; r++) {
        double t0 = now();
        for (int i = 0; i < calls; i++)
            cblas_sgemm(101, 111, 111, 4, 4, 4, 1, a, 4, b, 4, 0, c, 4);
        double t1 = now();
        for (int i = 0; i < calls; i++)
            sgemm_("N", "N", &four, &four, &four, &one, a, &four, b, &four, &zero, c, &four, 1, 1);
        double t2 = now();
        s[0][r] = (t1 - t0) / calls * 1e9;
        s[1][r] = (t2 - t1) / calls * 1e9;
    }
    qsort(s[0], 9, sizeof(double), cmp);
    qsort(s[1], 9, sizeof(double), cmp);
    printf("{\"cblas_sgemm\": %.2f, \"sgemm_\": %.2f, \"cblas_sgemm fastest\": %.2f, \"sgemm_ fastest\": %.2f, "
           "\"check\": %g}\n", s[0][4], s[1][4], s[0][0], s[1][0], (double)c[5]);
    return 0;
}

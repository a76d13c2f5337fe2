/* Call overhead of a 4x4x4 SGEMM through the BLAS ABI: the system's
 * libblas.so.3 and Myelin's library (the path given) loaded side by side in
 * one process (RTLD_LOCAL) and timed in alternation, so that both see the
 * same CPU, the same moment of a shared machine and the same operands.
 * Prints one JSON object, per library and entry point: the median of 15
 * samples of 100k calls, and the fastest sample, in ns per call.
 *   blas-overhead build/libmyelin_blas.so */
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef void (*cblas_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float,
                         float *, int);
typedef void (*f77_fn)(const char *, const char *, const int *, const int *, const int *, const float *,
                       const float *, const int *, const float *, const int *, const float *, float *, const int *,
                       size_t, size_t);

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

enum { SAMPLES = 15, CALLS = 100000 };
static float a[16], b[16], c[16];

static double sample(cblas_fn cb, f77_fn f)
{
    const int four = 4;
    const float one = 1, zero = 0;
    double t0 = now();
    if (cb)
        for (int i = 0; i < CALLS; i++)
            cb(101, 111, 111, 4, 4, 4, 1, a, 4, b, 4, 0, c, 4);
    else
        for (int i = 0; i < CALLS; i++)
            f("N", "N", &four, &four, &four, &one, a, &four, b, &four, &zero, c, &four, 1, 1);
    return (now() - t0) / CALLS * 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: blas-overhead path/to/libmyelin_blas.so\n");
        return 2;
    }
    void *lib[2] = {dlopen("libblas.so.3", RTLD_NOW | RTLD_LOCAL), dlopen(argv[1], RTLD_NOW | RTLD_LOCAL)};
    if (!lib[0] || !lib[1]) {
        fprintf(stderr, "blas-overhead: %s\n", dlerror());
        return 1;
    }
    cblas_fn cb[2];
    f77_fn f[2];
    for (int l = 0; l < 2; l++) {
        *(void **)&cb[l] = dlsym(lib[l], "cblas_sgemm");
        *(void **)&f[l] = dlsym(lib[l], "sgemm_");
        if (!cb[l] || !f[l]) {
            fprintf(stderr, "blas-overhead: no cblas_sgemm or sgemm_ in library %d\n", l);
            return 1;
        }
    }
    for (int i = 0; i < 16; i++)
        a[i] = (float)i / 16, b[i] = 1.0f - (float)i / 32;
    double s[2][2][SAMPLES]; /* [library][entry point][sample] */
    for (int r = 0; r < SAMPLES; r++)
        for (int l = 0; l < 2; l++) {
            int k = (r + l) % 2; /* alternate which library goes first */
            s[k][0][r] = sample(cb[k], NULL);
            s[k][1][r] = sample(NULL, f[k]);
        }
    const char *name[2] = {"stock", "myelin"}, *ep[2] = {"cblas_sgemm", "sgemm_"};
    printf("{");
    for (int l = 0; l < 2; l++)
        for (int e = 0; e < 2; e++) {
            qsort(s[l][e], SAMPLES, sizeof(double), cmp);
            printf("%s\"%s %s\": %.2f, \"%s %s fastest\": %.2f", l + e ? ", " : "", name[l], ep[e],
                   s[l][e][SAMPLES / 2], name[l], ep[e], s[l][e][0]);
        }
    printf(", \"check\": %g}\n", (double)c[5]);
    return 0;
}

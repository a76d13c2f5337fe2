/* The mapping of sgemm_ and cblas_sgemm onto Myelin, through the BLAS ABI
 * only: every transpose (N, T, C, either case) and both layouts, leading
 * dimensions larger than the rows, alpha and beta special values, the
 * quick returns, the hidden Fortran lengths (given, and omitted as C callers
 * do), and the reference's error numbers through this program's own xerbla_
 * and cblas_xerbla (interposition). Results against a double-precision
 * reference; A, B and C's padding must stay untouched.
 * `test_blas_map` runs everything and ends with "N passed, N failed";
 * `test_blas_map threads` prints how many threads a large product left in
 * the process (tests/phase-blas.sh checks OMP_NUM_THREADS is followed);
 * `test_blas_map bytes` prints a hash of the bytes of products of every
 * size class (the same for any thread count, checked by the phase). */
#include "blas_abi.h"

#include <dirent.h>
#include <pthread.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;
static void check(int ok, const char *what)
{
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAIL %s\n", what);
    }
}

/* ---- this program's error handlers (must be the ones the library calls) */
static int xerbla_calls, xerbla_info, xerbla_rowmajor, xerbla_fromc;
static char xerbla_name[16];
static size_t xerbla_len;

void xerbla_(const char *srname, const int *info, size_t len)
{
    xerbla_calls++;
    xerbla_info = *info;
    xerbla_len = len;
    xerbla_rowmajor = RowMajorStrg;
    xerbla_fromc = CBLAS_CallFromC;
    memcpy(xerbla_name, srname, len < 15 ? len : 15);
    xerbla_name[len < 15 ? len : 15] = 0;
}

static int cxerbla_calls, cxerbla_info;
static char cxerbla_rout[32];
void cblas_xerbla(int info, const char *rout, const char *form, ...)
{
    (void)form;
    cxerbla_calls++;
    cxerbla_info = info;
    snprintf(cxerbla_rout, sizeof cxerbla_rout, "%s", rout);
}

/* ---- matrices */
static uint64_t rng = 88172645463325252ull;
static float frand(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)((double)(rng >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}
static float *fill(size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    for (size_t i = 0; i < n; i++)
        p[i] = frand();
    return p;
}
static float *dup(const float *p, size_t n)
{
    float *q = malloc((n ? n : 1) * sizeof *q);
    memcpy(q, p, n * sizeof *q);
    return q;
}

/* Element (i, j) of a stored matrix, column- or row-major, leading dimension ld. */
static double at(const float *p, int colmajor, int ld, int i, int j)
{
    return colmajor ? p[(size_t)j * ld + i] : p[(size_t)i * ld + j];
}

/* One product through the given interface, checked element by element:
   |C - ref| <= 4 eps (k + 2) (|alpha| sum |a||b| + |beta||c0|). With beta 0,
   C starts as NaN (BLAS never reads it then); padding of C is NaN too and
   must stay NaN, A and B must stay as they were. */
static void one(const char *iface, int layout, char ta, char tb, int m, int n, int k, int pad, float alpha,
                float beta)
{
    const int cm = layout == ColMajor, nta = ta == 'N' || ta == 'n', ntb = tb == 'N' || tb == 'n';
    const int ar = nta ? m : k, ac = nta ? k : m, br = ntb ? k : n, bc = ntb ? n : k;
    /* Stored rows x cols of each operand and its leading dimension. */
    const int lda = (cm ? ar : ac) + pad, ldb = (cm ? br : bc) + pad, ldc = (cm ? m : n) + pad;
    const size_t sa = (size_t)lda * (cm ? ac : ar), sb = (size_t)ldb * (cm ? bc : br),
                 sc = (size_t)ldc * (cm ? n : m);
    float *a = fill(sa), *b = fill(sb), *c = fill(sc);
    if (beta == 0.0f)
        for (size_t i = 0; i < sc; i++)
            c[i] = NAN;
    for (int i = 0; i < (cm ? n : m); i++) /* padding of every stored line of C */
        for (int j = cm ? m : n; j < ldc; j++)
            c[(size_t)i * ldc + j] = NAN;
    float *a0 = dup(a, sa), *b0 = dup(b, sb), *c0 = dup(c, sc);

    if (!strcmp(iface, "sgemm_")) {
        sgemm_(&ta, &tb, &m, &n, &k, &alpha, a, &lda, b, &ldb, &beta, c, &ldc, 1, 1);
    } else {
        int cta = nta ? NoTrans : (ta == 'C' || ta == 'c') ? ConjTrans : Trans;
        int ctb = ntb ? NoTrans : (tb == 'C' || tb == 'c') ? ConjTrans : Trans;
        cblas_sgemm(layout, cta, ctb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    int bad = 0;
    double worst = 0;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0, mag = 0;
            for (int p = 0; p < k; p++) {
                double x = nta ? at(a0, cm, lda, i, p) : at(a0, cm, lda, p, i);
                double y = ntb ? at(b0, cm, ldb, p, j) : at(b0, cm, ldb, j, p);
                s += x * y;
                mag += fabs(x * y);
            }
            double cij0 = beta == 0.0f ? 0.0 : at(c0, cm, ldc, i, j);
            double ref = (double)alpha * s + (double)beta * cij0;
            double tol = 4.0 * FLT_EPSILON * (k + 2) * (fabs(alpha) * mag + fabs(beta) * fabs(cij0)) + 1e-30;
            double got = at(c, cm, ldc, i, j);
            double err = fabs(got - ref);
            if (!(err <= tol))
                bad++;
            if (err / tol > worst || err != err)
                worst = err != err ? INFINITY : err / tol;
        }
    for (int i = 0; i < (cm ? n : m); i++)
        for (int j = cm ? m : n; j < ldc; j++)
            if (!isnan(c[(size_t)i * ldc + j]))
                bad++;
    bad += memcmp(a, a0, sa * sizeof *a) != 0;
    bad += memcmp(b, b0, sb * sizeof *b) != 0;
    char what[200];
    snprintf(what, sizeof what, "%s %s %c%c m=%d n=%d k=%d pad=%d alpha=%g beta=%g: %d bad, worst %.2f of tol",
             iface, cm ? "col" : "row", ta, tb, m, n, k, pad, alpha, beta, bad, worst);
    check(bad == 0, what);
    free(a), free(b), free(c), free(a0), free(b0), free(c0);
}

static void mapping(void)
{
    const char tr[] = {'N', 'T', 'C', 'n', 't', 'c'};
    const int dims[][3] = {{1, 1, 1}, {3, 5, 7}, {17, 33, 9}, {64, 10, 128}, {100, 37, 130}, {13, 200, 1}};
    const float ab[][2] = {{1, 0}, {-0.5f, 1}, {0.7f, 1.3f}, {1, -1}};
    for (int d = 0; d < 6; d++)
        for (int t = 0; t < 36; t++) {
            char ta = tr[t / 6], tb = tr[t % 6];
            int lower = (t / 6 >= 3) + (t % 6 >= 3);
            /* upper-case pairs on every shape; the lower-case ones on two */
            if (lower && d != 1 && d != 3)
                continue;
            const float *s = ab[(d + t) % 4];
            int pad = (d + t) % 3 == 0 ? 0 : 3;
            one("sgemm_", ColMajor, ta, tb, dims[d][0], dims[d][1], dims[d][2], pad, s[0], s[1]);
            if (!lower) {
                one("cblas", ColMajor, ta, tb, dims[d][0], dims[d][1], dims[d][2], pad, s[0], s[1]);
                one("cblas", RowMajor, ta, tb, dims[d][0], dims[d][1], dims[d][2], pad, s[0], s[1]);
            }
        }
    /* Large enough for two threads and several cache blocks. */
    one("cblas", RowMajor, 'N', 'N', 300, 200, 700, 5, 1, 0);
    one("sgemm_", ColMajor, 'T', 'N', 257, 129, 1100, 1, 0.5f, 2);
    /* alpha 0: A and B are not read (NaN there must not reach C). */
    one("sgemm_", ColMajor, 'N', 'N', 5, 6, 0, 1, 1, 0.5f);
    one("cblas", RowMajor, 'T', 'N', 5, 6, 0, 0, 2, 0);
}

/* Quick returns and the alpha = 0 rules, bit for bit. */
static void special_values(void)
{
    float a[12], b[12], c[12], c0[12];
    for (int i = 0; i < 12; i++)
        a[i] = NAN, b[i] = NAN, c[i] = c0[i] = i == 5 ? NAN : i == 6 ? -0.0f : (float)i;
    const int three = 3, zero = 0, four = 4;
    float one_ = 1, zero_f = 0, half = 0.5f;
    /* alpha 0, beta 1: C untouched (its NaN and -0 too), A and B unread. */
    sgemm_("N", "N", &three, &four, &three, &zero_f, a, &three, b, &three, &one_, c, &three, 1, 1);
    check(!memcmp(c, c0, sizeof c), "alpha 0, beta 1: C untouched bit for bit");
    /* k 0, beta 1: the same. */
    sgemm_("N", "N", &three, &four, &zero, &one_, a, &three, b, &three, &one_, c, &three, 1, 1);
    check(!memcmp(c, c0, sizeof c), "k 0, beta 1: C untouched bit for bit");
    /* m 0 / n 0: nothing touched whatever the rest. */
    cblas_sgemm(RowMajor, NoTrans, NoTrans, 0, 4, 3, 1, a, 3, b, 4, 0, c, 4);
    cblas_sgemm(ColMajor, NoTrans, NoTrans, 3, 0, 3, 1, a, 3, b, 3, 0, c, 3);
    check(!memcmp(c, c0, sizeof c), "m 0 or n 0: C untouched");
    /* alpha 0, beta 0: C = 0 exactly, although A, B and C hold NaN. */
    sgemm_("T", "N", &three, &four, &three, &zero_f, a, &three, b, &three, &zero_f, c, &three, 1, 1);
    int zeros = 1;
    for (int i = 0; i < 12; i++)
        zeros &= c[i] == 0.0f && !signbit(c[i]);
    check(zeros, "alpha 0, beta 0: C = +0 over NaN operands");
    /* alpha 0, beta 0.5: C = 0.5 C, A and B unread. */
    for (int i = 0; i < 12; i++)
        c[i] = (float)i;
    sgemm_("N", "T", &three, &four, &three, &zero_f, a, &three, b, &four, &half, c, &three, 1, 1);
    int halves = 1;
    for (int i = 0; i < 12; i++)
        halves &= c[i] == 0.5f * (float)i;
    check(halves, "alpha 0, beta 0.5: C = 0.5 C over NaN operands");
    /* alpha 0: A and B may even be NULL (the reference never reads them). */
    for (int i = 0; i < 12; i++)
        c[i] = (float)i;
    cblas_sgemm(RowMajor, NoTrans, Trans, 3, 4, 3, 0, NULL, 3, NULL, 3, 0.5f, c, 4);
    halves = 1;
    for (int i = 0; i < 12; i++)
        halves &= c[i] == 0.5f * (float)i;
    check(halves, "alpha 0 with NULL A and B: C = 0.5 C");
    /* beta 0 with NaN in C and finite operands: C = A B, no NaN. */
    for (int i = 0; i < 12; i++)
        a[i] = b[i] = 1, c[i] = NAN;
    sgemm_("N", "N", &three, &four, &three, &one_, a, &three, b, &three, &zero_f, c, &three, 1, 1);
    int threes = 1;
    for (int i = 0; i < 12; i++)
        threes &= c[i] == 3.0f;
    check(threes, "beta 0: C not read (NaN in C gives A B)");
}

/* The hidden lengths: long strings given with their lengths, and the call
   C programs make (PyTorch's), without them. */
typedef void (*sgemm_no_len)(const char *, const char *, const int *, const int *, const int *,
                             const float *, const float *, const int *, const float *, const int *,
                             const float *, float *, const int *);
static void hidden_lengths(void)
{
    const float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, 2, 1, 0, 3};
    const int two = 2, three = 3;
    const float one_ = 1, zero_f = 0;
    /* A 3x2 column-major, op(A) = A^T (2x3); B 3x2: C = A^T B (2x2). */
    float c[4] = {0};
    /* column 0 of B is (1, 0, 2), column 1 is (1, 0, 3) */
    const float w[4] = {1 + 6, 4 + 12, 1 + 9, 4 + 18};
    sgemm_("Transpose", "No transpose", &two, &two, &three, &one_, a, &three, b, &three, &zero_f, c, &two, 9, 12);
    check(!memcmp(c, w, sizeof w), "sgemm_ with \"Transpose\"/\"No transpose\" and their lengths (9, 12)");
    memset(c, 0, sizeof c);
    sgemm_no_len f = (sgemm_no_len)(void (*)(void))sgemm_;
    f("t", "n", &two, &two, &three, &one_, a, &three, b, &three, &zero_f, c, &two);
    check(!memcmp(c, w, sizeof w), "sgemm_ called without the hidden lengths (as C callers do)");
}

/* The reference's parameter numbers, first bad argument first, through this
   program's xerbla_ ("SGEMM ", length 6); C untouched. */
static void fortran_errors(void)
{
    struct { const char *ta, *tb; int m, n, k, lda, ldb, ldc, info; } e[] = {
        {"X", "N", 1, 1, 1, 1, 1, 1, 1},   {"N", "/", 1, 1, 1, 1, 1, 1, 2},
        {"N", "N", -1, 1, 1, 1, 1, 1, 3},  {"N", "N", 1, -1, 1, 1, 1, 1, 4},
        {"N", "N", 1, 1, -1, 1, 1, 1, 5},  {"N", "N", 2, 1, 1, 1, 1, 2, 8},
        {"T", "N", 1, 1, 2, 1, 2, 1, 8},   {"N", "N", 1, 1, 2, 1, 1, 1, 10},
        {"N", "T", 1, 2, 1, 1, 1, 1, 10},  {"N", "N", 2, 1, 1, 2, 1, 1, 13},
        {"N", "N", 0, 0, 0, 0, 1, 1, 8},   {"N", "N", 0, 0, 0, 1, 1, 0, 13}, /* max(1, .) even when empty */
        {"X", "N", -1, 1, 1, 0, 0, 0, 1},  {"N", "N", -1, -1, 1, 1, 1, 1, 3}, /* the first one wins */
        {"N", "N", 2, 2, 2, 1, 1, 1, 8},
    };
    for (size_t i = 0; i < sizeof e / sizeof e[0]; i++) {
        float a[8] = {0}, b[8] = {0}, c[8] = {1, 2, 3, 4, 5, 6, 7, 8}, c0[8];
        memcpy(c0, c, sizeof c);
        const float one_ = 1;
        xerbla_calls = 0;
        sgemm_(e[i].ta, e[i].tb, &e[i].m, &e[i].n, &e[i].k, &one_, a, &e[i].lda, b, &e[i].ldb, &one_, c,
               &e[i].ldc, 1, 1);
        char what[160];
        snprintf(what, sizeof what, "sgemm_ error %zu: xerbla_ got %d call(s), info %d (want %d), \"%s\" len %zu",
                 i, xerbla_calls, xerbla_info, e[i].info, xerbla_name, xerbla_len);
        check(xerbla_calls == 1 && xerbla_info == e[i].info && xerbla_len == 6 &&
                  !strcmp(xerbla_name, "SGEMM ") && !xerbla_fromc && !memcmp(c, c0, sizeof c),
              what);
    }
}

/* cblas_sgemm: layout and transposes through cblas_xerbla with the C
   numbers; the rest through xerbla_ with the numbers of the column-major
   call, operands swapped for row-major (RowMajorStrg set), as netlib's. */
static void cblas_errors(void)
{
    struct { int layout, ta, tb, m, n, k, lda, ldb, ldc, cinfo, finfo; } e[] = {
        {7, NoTrans, NoTrans, 1, 1, 1, 1, 1, 1, 1, 0},
        {ColMajor, 5, NoTrans, 1, 1, 1, 1, 1, 1, 2, 0},
        {RowMajor, NoTrans, 114, 1, 1, 1, 1, 1, 1, 3, 0},
        {ColMajor, NoTrans, NoTrans, -1, 1, 1, 1, 1, 1, 0, 3},
        {RowMajor, NoTrans, NoTrans, -1, 1, 1, 1, 1, 1, 0, 4},  /* M is the column-major N */
        {RowMajor, NoTrans, NoTrans, 1, -1, 1, 1, 1, 1, 0, 3},
        {RowMajor, NoTrans, NoTrans, 1, 1, 2, 1, 1, 1, 0, 10},  /* row-major lda < k: B's ld there */
        {RowMajor, NoTrans, NoTrans, 1, 2, 1, 1, 1, 2, 0, 8},   /* ldb < n */
        {RowMajor, NoTrans, NoTrans, 1, 2, 1, 1, 2, 1, 0, 13},  /* ldc < n */
        {ColMajor, Trans, NoTrans, 1, 1, 2, 1, 2, 1, 0, 8},
    };
    for (size_t i = 0; i < sizeof e / sizeof e[0]; i++) {
        float a[8] = {0}, b[8] = {0}, c[8] = {1, 2, 3, 4, 5, 6, 7, 8}, c0[8];
        memcpy(c0, c, sizeof c);
        xerbla_calls = cxerbla_calls = 0;
        cblas_sgemm(e[i].layout, e[i].ta, e[i].tb, e[i].m, e[i].n, e[i].k, 1, a, e[i].lda, b, e[i].ldb, 1, c,
                    e[i].ldc);
        int ok = !memcmp(c, c0, sizeof c) && RowMajorStrg == 0 && CBLAS_CallFromC == 0;
        if (e[i].cinfo)
            ok &= cxerbla_calls == 1 && xerbla_calls == 0 && cxerbla_info == e[i].cinfo &&
                  !strcmp(cxerbla_rout, "cblas_sgemm");
        else
            ok &= xerbla_calls == 1 && cxerbla_calls == 0 && xerbla_info == e[i].finfo && xerbla_fromc == 1 &&
                  xerbla_rowmajor == (e[i].layout == RowMajor) && !strcmp(xerbla_name, "SGEMM ");
        char what[160];
        snprintf(what, sizeof what, "cblas_sgemm error %zu: cblas_xerbla %d call(s) info %d, xerbla_ %d call(s) info %d",
                 i, cxerbla_calls, cxerbla_info, xerbla_calls, xerbla_info);
        check(ok, what);
    }
}

/* Threads of the process after a product large enough for several (Linux). */
static int task_count(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* A product big enough to be split, computed in place into c (row-major). */
static void big_product(int m, int n, int k, int ta, float *c)
{
    static float *a, *b;
    if (!a) {
        a = fill(1024 * 1024);
        b = fill(1024 * 1024);
    }
    cblas_sgemm(RowMajor, ta ? Trans : NoTrans, NoTrans, m, n, k, 0.75f, a, ta ? m : k, b, n, 0, c, n);
}

/* FNV-1a over the bytes of products that run on one thread, are split by
   rows, or by columns. */
static unsigned long long bytes_hash(void)
{
    const int s[][4] = {{7, 9, 11, 0}, {128, 64, 128, 0}, {300, 200, 700, 1}, {40, 900, 300, 0},
                        {784, 128, 32, 1}, {1000, 10, 784, 0}, {24, 1000, 500, 1}};
    unsigned long long h = 1469598103934665603ull;
    float *c = malloc(1024 * 1024 * sizeof *c);
    for (int i = 0; i < 7; i++) {
        big_product(s[i][0], s[i][1], s[i][2], s[i][3], c);
        const unsigned char *p = (const unsigned char *)c;
        for (size_t j = 0; j < (size_t)s[i][0] * s[i][1] * sizeof *c; j++)
            h = (h ^ p[j]) * 1099511628211ull;
    }
    free(c);
    return h;
}

/* Host threads multiplying at once: each product as it is alone. */
static float *conc_want;
static void *conc_thread(void *arg)
{
    float *c = malloc(300 * 200 * sizeof *c);
    int *bad = arg;
    for (int r = 0; r < 10; r++) {
        big_product(300, 200, 100, 1, c);
        *bad += memcmp(c, conc_want, 300 * 200 * sizeof *c) != 0;
    }
    free(c);
    return NULL;
}
static void concurrent_callers(void)
{
    conc_want = malloc(300 * 200 * sizeof *conc_want);
    big_product(300, 200, 100, 1, conc_want);
    pthread_t t[4];
    int bad[4] = {0};
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, conc_thread, &bad[i]);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    check(bad[0] + bad[1] + bad[2] + bad[3] == 0, "4 host threads x 10 products at once: the bytes of one alone");
    free(conc_want);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "bytes")) {
        printf("bytes %016llx\n", bytes_hash());
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "threads")) {
        int n = 600;
        float *a = fill((size_t)n * n), *b = fill((size_t)n * n), *c = fill((size_t)n * n);
        cblas_sgemm(RowMajor, NoTrans, NoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
        printf("threads %d\n", task_count());
        return 0;
    }
    mapping();
    special_values();
    hidden_lengths();
    fortran_errors();
    cblas_errors();
    concurrent_callers();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}

/* The BF16 GEMM (myelin_gemm_bf16) and its rounding, on every kernel path
 * (avx512: the AVX512-BF16 kernel where the CPU has it; scalar and avx2: the
 * emulation).
 *
 * Reference: the double-precision product of the BF16-rounded inputs. Each
 * product of two BF16 values is exact in FP32, so the only error is the FP32
 * summation: at most about (k + 3) u (|alpha| sum_p |a_ip b_pj| + |beta c_ij|),
 * u = 2^-24; we allow twice that. A wrong rounding of an input (truncation
 * instead of RNE, say) is off by far more on these sums. */
#include "../harness.h"
#include "bf16-pack.h"
#include "bf16.h"
#include "internal.h"
#include "myelin.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SENTINEL 12345.678f

static uint64_t rng = 0xbf16;

static uint32_t ubits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}
static double rb(float x) { return (double)myl_bf16_to_f32(myl_bf16_round(x)); }

typedef struct {
    int ta, tb;
    size_t m, n, k, lda, ldb, ldc;
    float alpha, beta;
} shape;

static shape make(int ta, int tb, size_t m, size_t n, size_t k, float alpha, float beta, size_t pad)
{
    shape s = {ta, tb, m, n, k, (ta ? m : k) + pad, (tb ? k : n) + pad, n + pad, alpha, beta};
    return s;
}

/* A and B with NaN in their padding (never read), C with SENTINEL in its
   padding and NaN in the m x n part when beta == 0 (never read either). */
typedef struct {
    float *a, *b, *c, *c0;
    size_t asz, bsz, csz;
} bufs;

static int setup(bufs *w, const shape *s)
{
    size_t ar = s->ta ? s->k : s->m, ac = s->ta ? s->m : s->k, br = s->tb ? s->n : s->k, bc = s->tb ? s->k : s->n;
    w->asz = ar * s->lda + 1;
    w->bsz = br * s->ldb + 1;
    w->csz = s->m * s->ldc + 1;
    w->a = malloc(w->asz * sizeof(float));
    w->b = malloc(w->bsz * sizeof(float));
    w->c = malloc(w->csz * sizeof(float));
    w->c0 = malloc(w->csz * sizeof(float));
    if (!w->a || !w->b || !w->c || !w->c0)
        return 0;
    for (size_t i = 0; i < w->asz; i++)
        w->a[i] = i % s->lda < ac && i / s->lda < ar ? th_rand_uniform(&rng, -1, 1) : NAN;
    for (size_t i = 0; i < w->bsz; i++)
        w->b[i] = i % s->ldb < bc && i / s->ldb < br ? th_rand_uniform(&rng, -1, 1) : NAN;
    for (size_t i = 0; i < w->csz; i++)
        w->c[i] = SENTINEL;
    for (size_t i = 0; i < s->m; i++)
        for (size_t j = 0; j < s->n; j++)
            w->c[i * s->ldc + j] = s->beta == 0.0f ? NAN : th_rand_uniform(&rng, -1, 1);
    memcpy(w->c0, w->c, w->csz * sizeof(float));
    return 1;
}

static void release(bufs *w)
{
    free(w->a);
    free(w->b);
    free(w->c);
    free(w->c0);
}

static float aat(const shape *s, const float *a, size_t i, size_t p) { return s->ta ? a[p * s->lda + i] : a[i * s->lda + p]; }
static float bat(const shape *s, const float *b, size_t p, size_t j) { return s->tb ? b[j * s->ldb + p] : b[p * s->ldb + j]; }

/* Checks C against the reference and its padding against SENTINEL. */
static int verify(const bufs *w, const shape *s, const char *what)
{
    double worst = 0;
    size_t wi = 0, wj = 0;
    for (size_t i = 0; i < s->m; i++)
        for (size_t j = 0; j < s->n; j++) {
            double ref = 0, mag = 0;
            for (size_t p = 0; p < s->k; p++) {
                double t = rb(aat(s, w->a, i, p)) * rb(bat(s, w->b, p, j));
                ref += t;
                mag += fabs(t);
            }
            double c0 = s->beta == 0.0f ? 0.0 : (double)w->c0[i * s->ldc + j];
            ref = s->alpha * ref + s->beta * c0;
            mag = fabs(s->alpha) * mag + fabs(s->beta * c0);
            double err = fabs((double)w->c[i * s->ldc + j] - ref) / (2.0 * (double)(s->k + 3) / 16777216.0 * mag + 1e-30);
            if (err != err)
                err = 1e30;
            if (err > worst) {
                worst = err;
                wi = i;
                wj = j;
            }
        }
    int ok = CHECK(worst <= 1.0, "%s m=%zu n=%zu k=%zu ta=%d tb=%d alpha=%g beta=%g: C[%zu][%zu] error %.3g x the bound",
                   what, s->m, s->n, s->k, s->ta, s->tb, s->alpha, s->beta, wi, wj, worst);
    for (size_t i = 0; i < w->csz && ok; i++)
        if (i / s->ldc >= s->m || i % s->ldc >= s->n)
            ok = CHECK(ubits(w->c[i]) == ubits(SENTINEL), "%s m=%zu n=%zu k=%zu: C padding [%zu] written", what, s->m,
                       s->n, s->k, i);
    return ok;
}

static int run_case(const shape *s, const char *what)
{
    bufs w;
    int ok = CHECK(setup(&w, s), "out of memory");
    if (ok) {
        int st = myelin_gemm_bf16((myelin_transpose)s->ta, (myelin_transpose)s->tb, s->m, s->n, s->k, s->alpha, w.a,
                                  s->lda, w.b, s->ldb, s->beta, w.c, s->ldc);
        ok = CHECK(st == MYELIN_OK, "%s: status %d (%s)", what, st, myelin_last_error()) && verify(&w, s, what);
    }
    release(&w);
    return ok;
}

static const float coefs[4] = {1.0f, 0.0f, -0.5f, 2.0f};

/* The emulation is slow (a library call per product): a sample of the cube there. */
static int emulated(void) { return strcmp(myelin_bf16_path(), "emulated") == 0; }

TEST_ISA(bf16_cube_1_to_33)
{
    size_t step = emulated() || th_quick() ? 4 : 1, fails = 0;
    uint64_t pick = 17;
    for (int t = 0; t < 4 && fails < 3; t++)
        for (size_t m = 1 + (size_t)t % step; m <= 33; m += step)
            for (size_t n = 1; n <= 33; n += step)
                for (size_t k = 1; k <= 33; k += step) {
                    float alpha = 1.0f, beta = 0.0f;
                    if (th_rand_u64(&pick) % 8 == 0) {
                        alpha = coefs[th_rand_u64(&pick) % 4];
                        beta = coefs[th_rand_u64(&pick) % 4];
                    }
                    shape s = make(t & 1, t >> 1, m, n, k, alpha, beta, (m + n + k) % 3);
                    fails += !run_case(&s, "cube");
                }
    CHECK(fails == 0, "%zu failing shapes", fails);
}

/* Around the tile (12 x 32), K's pairs (odd K), the K block (1024: packed
   A rows of 512 pairs get the padded stride) and several K blocks. */
TEST_ISA(bf16_edges)
{
    static const size_t ms[] = {11, 12, 13, 24, 25}, ns[] = {15, 16, 17, 31, 32, 33, 65};
    static const size_t ks[] = {1, 2, 3, 255, 256, 257, 1023, 1024, 1025, 2048};
    size_t fails = 0, c = 0;
    int slow = emulated() || th_quick();
    for (size_t a = 0; a < 5; a++)
        for (size_t b = 0; b < 7; b++)
            for (size_t d = 0; d < 10; d++, c++) {
                if (slow ? c % 13 : c % 3)
                    continue;
                int t = (int)(c % 4);
                shape s = make(t & 1, t >> 1, ms[a], ns[b], ks[d], coefs[c % 4], coefs[(c / 4) % 4], c % 3);
                fails += !run_case(&s, "edge");
            }
    shape big[] = {make(0, 0, 128, 128, 784, 1, 0, 0), make(1, 0, 784, 128, 128, 1, 0, 0),
                   make(0, 1, 128, 784, 128, 1, 0, 0), make(1, 1, 300, 70, 2100, 0.5f, 1, 1)};
    for (size_t i = 0; i < (slow ? 1u : 4u); i++)
        fails += !run_case(&big[i], "large");
    /* Tiny forced blocks: every loop of the driver several times, odd K blocks last. */
    myl_blocking blk = {1, 8, 1};
    myl_gemm_force_blocking(&blk);
    for (int t = 0; t < 4; t++)
        for (int h = 0; h < 3; h++) {
            shape s = make(t & 1, t >> 1, 7 + 13 * (size_t)h, 5 + 37 * (size_t)h, 3 + 19 * (size_t)h,
                           coefs[(h + t) % 4], coefs[(h + 3 * t) % 4], (size_t)h);
            fails += !run_case(&s, "tiny blocks");
        }
    myl_gemm_force_blocking(NULL);
    CHECK(fails == 0, "%zu failing shapes", fails);
}

/* k == 0: C = beta C; alpha == 0: A and B (NaN here) not read; empty products. */
TEST_ISA(bf16_degenerate)
{
    float a[4] = {NAN, NAN, NAN, NAN}, b[4] = {NAN, NAN, NAN, NAN}, c[4] = {1, 2, 3, 4};
    CHECK(myelin_gemm_bf16(MYELIN_NOTRANS, MYELIN_NOTRANS, 2, 2, 2, 0.0f, a, 2, b, 2, 2.0f, c, 2) == MYELIN_OK, "alpha 0");
    CHECK(c[0] == 2 && c[1] == 4 && c[2] == 6 && c[3] == 8, "alpha 0: C = beta C, got %g %g %g %g", c[0], c[1], c[2], c[3]);
    CHECK(myelin_gemm_bf16(MYELIN_NOTRANS, MYELIN_NOTRANS, 2, 2, 0, 1.0f, a, 1, b, 2, -0.5f, c, 2) == MYELIN_OK, "k 0");
    CHECK(c[0] == -1 && c[3] == -4, "k 0: C = beta C, got %g %g", c[0], c[3]);
    CHECK(myelin_gemm_bf16(MYELIN_NOTRANS, MYELIN_NOTRANS, 0, 5, 5, 1, NULL, 5, b, 5, 0, NULL, 5) == MYELIN_OK, "m=0");
    CHECK(myelin_gemm_bf16(MYELIN_NOTRANS, MYELIN_NOTRANS, 5, 0, 5, 1, a, 5, NULL, 1, 0, NULL, 1) == MYELIN_OK, "n=0");
}

/* NaN, inf, and a finite value that rounds to inf: in their rows and
   columns only, with the classes the (IEEE, double) reference gives. */
TEST_ISA(bf16_nan_inf)
{
    for (int t = 0; t < 4; t++) {
        shape s = make(t & 1, t >> 1, 13, 35, 9, 1.0f, 0.0f, 1);
        bufs w;
        if (!CHECK(setup(&w, &s), "out of memory")) {
            release(&w);
            return;
        }
        float *a = w.a, *b = w.b;
#define AT(i, p) (*(s.ta ? &a[(p) * s.lda + (i)] : &a[(i) * s.lda + (p)]))
#define BT(p, j) (*(s.tb ? &b[(j) * s.ldb + (p)] : &b[(p) * s.ldb + (j)]))
        AT(1, 3) = NAN;
        AT(4, 0) = INFINITY;
        AT(7, 8) = FLT_MAX; /* rounds to +inf in BF16 */
        BT(2, 5) = -INFINITY;
        BT(8, 33) = NAN;
        BT(5, 20) = 0.0f;
        AT(9, 5) = INFINITY; /* inf * 0 in column 20: NaN there */
        int st = myelin_gemm_bf16((myelin_transpose)s.ta, (myelin_transpose)s.tb, s.m, s.n, s.k, 1.0f, a, s.lda, b,
                                  s.ldb, 0.0f, w.c, s.ldc);
        CHECK(st == MYELIN_OK, "status %d", st);
        size_t bad = 0;
        for (size_t i = 0; i < s.m; i++)
            for (size_t j = 0; j < s.n; j++) {
                double ref = 0;
                for (size_t p = 0; p < s.k; p++)
                    ref += rb(AT(i, p)) * rb(BT(p, j));
                float got = w.c[i * s.ldc + j];
                int same = isnan(ref) ? isnan(got) : isinf(ref) ? got == (float)ref : isfinite(got);
                if (!same && bad++ < 3)
                    CHECK(0, "ta=%d tb=%d C[%zu][%zu] = %g, reference %g", s.ta, s.tb, i, j, got, ref);
            }
        CHECK(bad == 0, "%zu entries of the wrong class", bad);
#undef AT
#undef BT
        release(&w);
    }
}

/* 1, 2 and 3 threads: identical bytes (threads split M and N, never K). */
TEST_ISA(bf16_threads_identical)
{
    shape shapes[] = {make(0, 0, 200, 300, 150, 1, 0, 1), make(1, 0, 784, 128, 64, 1, 0, 0),
                      make(0, 1, 128, 784, 130, 1, 0.5f, 0), make(1, 1, 301, 40, 1100, 2, 0, 2)};
    int saved = myelin_num_threads(), slow = emulated() || th_quick();
    for (int tiny = 0; tiny < 2; tiny++) {
        myl_blocking blk = {1, 16, 1};
        myl_gemm_force_blocking(tiny ? &blk : NULL);
        for (size_t i = 0; i < 4; i++) {
            if (slow && i % 2)
                continue;
            const shape *s = &shapes[i];
            bufs w;
            float *c1 = malloc((s->m * s->ldc + 1) * sizeof(float));
            if (CHECK(setup(&w, s) && c1, "out of memory"))
                for (int t = 1; t <= 3; t++) {
                    myelin_set_num_threads(t);
                    memcpy(w.c, w.c0, w.csz * sizeof(float));
                    int st = myelin_gemm_bf16((myelin_transpose)s->ta, (myelin_transpose)s->tb, s->m, s->n, s->k,
                                              s->alpha, w.a, s->lda, w.b, s->ldb, s->beta, w.c, s->ldc);
                    CHECK(st == MYELIN_OK, "status %d", st);
                    if (t == 1) {
                        memcpy(c1, w.c, w.csz * sizeof(float));
                        verify(&w, s, "threads");
                    } else
                        CHECK(memcmp(c1, w.c, w.csz * sizeof(float)) == 0, "m=%zu n=%zu k=%zu tiny=%d: 1 and %d threads differ",
                              s->m, s->n, s->k, tiny, t);
                }
            free(c1);
            release(&w);
        }
    }
    myl_gemm_force_blocking(NULL);
    myelin_set_num_threads(saved);
}

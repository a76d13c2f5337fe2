/* SGEMM against a double-precision reference, on every kernel path.
 *
 * Tolerance: each result is a sum of k products plus the alpha/beta terms;
 * in float with any summation order the error is bounded by about
 * (k + 3) u (|alpha| sum_p |a_ip b_pj| + |beta c_ij| + |bias_j|), u = 2^-24.
 * We allow twice that: a wrong element (a dropped or doubled term, a wrong
 * lane) is off by far more. */
#include "../harness.h"
#include "internal.h"
#include "myelin.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SENTINEL 12345.678f

typedef struct {
    int ta, tb;
    size_t m, n, k, lda, ldb, ldc;
    float alpha, beta;
} shape;

typedef struct {
    float *a, *b, *c, *c0;
    size_t asz, bsz, csz;
} bufs;

static uint64_t rng = 0x5eed;

static void fill(float *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = th_rand_uniform(&rng, -1.0f, 1.0f);
}

static int alloc_bufs(bufs *w, const shape *s)
{
    w->asz = (s->ta ? s->k : s->m) * s->lda + 1;
    w->bsz = (s->tb ? s->n : s->k) * s->ldb + 1;
    w->csz = s->m * s->ldc + 1;
    w->a = malloc(w->asz * sizeof(float));
    w->b = malloc(w->bsz * sizeof(float));
    w->c = malloc(w->csz * sizeof(float));
    w->c0 = malloc(w->csz * sizeof(float));
    return w->a && w->b && w->c && w->c0;
}

static void free_bufs(bufs *w)
{
    free(w->a);
    free(w->b);
    free(w->c);
    free(w->c0);
}

/* Fill A and B (padding included, it must not matter), C with values in the
   m x n part and SENTINEL in its padding; NaN in C when beta == 0. */
static void init_bufs(bufs *w, const shape *s)
{
    fill(w->a, w->asz);
    fill(w->b, w->bsz);
    for (size_t i = 0; i < w->csz; i++)
        w->c[i] = SENTINEL;
    for (size_t i = 0; i < s->m; i++)
        for (size_t j = 0; j < s->n; j++)
            w->c[i * s->ldc + j] = s->beta == 0.0f ? NAN : th_rand_uniform(&rng, -1.0f, 1.0f);
    memcpy(w->c0, w->c, w->csz * sizeof(float));
}

static double act_ref(int act, double slope, double x)
{
    switch (act) {
    case MYL_ACT_RELU: return x > 0 ? x : 0;
    case MYL_ACT_LEAKY_RELU: return x > 0 ? x : slope * x;
    case MYL_ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case MYL_ACT_TANH: return tanh(x);
    default: return x;
    }
}

/* Checks w->c (computed) against the reference from w->c0; returns the
   number of bad elements (first few reported). */
static size_t verify(const bufs *w, const shape *s, const float *bias, int act, float slope, const char *what)
{
    size_t bad = 0;
    const double u = 1.0 / 16777216.0;
    double *row = malloc(s->n * sizeof(double)), *mag = malloc(s->n * sizeof(double));
    if (!CHECK(row && mag, "out of memory"))
        goto out;
    for (size_t i = 0; i < s->m; i++) {
        for (size_t j = 0; j < s->n; j++) {
            double acc = 0, am = 0;
            for (size_t p = 0; p < s->k; p++) {
                double x = s->ta ? w->a[p * s->lda + i] : w->a[i * s->lda + p];
                double y = s->tb ? w->b[j * s->ldb + p] : w->b[p * s->ldb + j];
                acc += x * y;
                am += fabs(x * y);
            }
            double v = (double)s->alpha * acc, mg = fabs((double)s->alpha) * am;
            if (s->beta != 0.0f) {
                v += (double)s->beta * w->c0[i * s->ldc + j];
                mg += fabs((double)s->beta * w->c0[i * s->ldc + j]);
            }
            if (bias) {
                v += bias[j];
                mg += fabs(bias[j]);
            }
            row[j] = v;
            mag[j] = mg;
        }
        if (act == MYL_ACT_SOFTMAX) {
            double mx = -INFINITY, sum = 0;
            for (size_t j = 0; j < s->n; j++)
                mx = row[j] > mx ? row[j] : mx;
            for (size_t j = 0; j < s->n; j++)
                sum += (row[j] = exp(row[j] - mx));
            for (size_t j = 0; j < s->n; j++)
                row[j] /= sum;
        }
        double row_err = 0; /* softmax: the largest logit error moves every output */
        for (size_t j = 0; j < s->n; j++)
            row_err = fmax(row_err, 2.0 * (double)(s->k + 3) * u * mag[j]);
        for (size_t j = 0; j < s->n; j++) {
            double ref = act == MYL_ACT_SOFTMAX ? row[j] : act_ref(act, slope, row[j]);
            /* Activations: a few ulp of their own; |f'| <= 1 carries the sum's error. */
            double tol = 2.0 * (double)(s->k + 3) * u * mag[j] + (act ? 8 * u * fabs(ref) : 0);
            if (act == MYL_ACT_SOFTMAX)
                tol = fabs(ref) * (2 * row_err + 16 * u) + 1e-37;
            double got = w->c[i * s->ldc + j];
            if (!(fabs(got - ref) <= tol)) {
                if (bad++ < 3)
                    CHECK(0, "%s ta=%d tb=%d m=%zu n=%zu k=%zu alpha=%g beta=%g act=%d: C[%zu][%zu] = %.9g, want %.9g (tol %.3g)",
                          what, s->ta, s->tb, s->m, s->n, s->k, s->alpha, s->beta, act, i, j, got, ref, tol);
            }
        }
        for (size_t j = s->n; j < s->ldc; j++)
            if (w->c[i * s->ldc + j] != SENTINEL && bad++ < 3)
                CHECK(0, "%s m=%zu n=%zu k=%zu: padding C[%zu][%zu] overwritten", what, s->m, s->n, s->k, i, j);
    }
    if (w->c[w->csz - 1] != SENTINEL && bad++ < 3)
        CHECK(0, "%s m=%zu n=%zu k=%zu: wrote past the end of C", what, s->m, s->n, s->k);
out:
    free(row);
    free(mag);
    return bad;
}

/* Runs one product through the public API and checks it; returns 1 if good. */
static int run_case(const shape *s, const char *what)
{
    bufs w;
    int ok = 0;
    if (CHECK(alloc_bufs(&w, s), "out of memory")) {
        init_bufs(&w, s);
        int st = myelin_sgemm((myelin_transpose)s->ta, (myelin_transpose)s->tb, s->m, s->n, s->k, s->alpha, w.a,
                              s->lda, w.b, s->ldb, s->beta, w.c, s->ldc);
        ok = CHECK(st == MYELIN_OK, "%s: status %d (%s)", what, st, myelin_last_error()) &&
             verify(&w, s, NULL, 0, 0, what) == 0;
    }
    free_bufs(&w);
    return ok;
}

static shape make(int ta, int tb, size_t m, size_t n, size_t k, float alpha, float beta, size_t pad)
{
    shape s = {ta, tb, m, n, k, 0, 0, 0, alpha, beta};
    s.lda = (ta ? m : k) + pad;
    s.ldb = (tb ? k : n) + pad;
    s.ldc = n + pad;
    return s;
}

static const float coefs[4] = {0.0f, 1.0f, -0.5f, 2.0f};

#if defined(__aarch64__)
static int slow_target(void) { return 1; } /* qemu runs NEON at ~0.3 GFLOP/s */
#else
static int slow_target(void) { return th_quick(); }
#endif

/* Every m, n, k in 1..33 for every transpose combination (alpha 1, beta 0
   with NaN in C); the other (alpha, beta) pairs on a random sample. Under
   qemu and in the sanitizer phase, a deterministic sample of the cube. */
TEST_ISA(gemm_cube_1_to_33)
{
    size_t step = slow_target() ? 5 : 1, fails = 0;
    uint64_t pick = 7;
    for (int t = 0; t < 4 && fails < 3; t++)
        for (size_t m = 1 + (size_t)t % step; m <= 33; m += step)
            for (size_t n = 1; n <= 33; n += step)
                for (size_t k = 1; k <= 33; k += step) {
                    float alpha = 1.0f, beta = 0.0f;
                    if (th_rand_u64(&pick) % 8 == 0) { /* an eighth with other coefficients */
                        alpha = coefs[th_rand_u64(&pick) % 4];
                        beta = coefs[th_rand_u64(&pick) % 4];
                    }
                    shape s = make(t & 1, t >> 1, m, n, k, alpha, beta, (m + n + k) % 3);
                    if (!run_case(&s, "cube"))
                        fails++;
                }
    CHECK(fails == 0, "%zu failing shapes", fails);
}

/* Sizes around the tiles and blocks, primes, and 1000. */
TEST_ISA(gemm_edges)
{
    static const size_t sz[] = {63, 64, 65, 255, 256, 257, 1000};
    size_t fails = 0;
    int slow = slow_target();
    for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++) {
        size_t s0 = sz[i];
        if (slow && s0 > 257)
            continue;
        size_t shapes[4][3] = {{s0, 17, 31}, {13, s0, 29}, {11, 19, s0}, {s0, s0 % 97 + 5, 37}};
        for (int t = 0; t < 4; t++)
            for (int h = 0; h < 4; h++) {
                if (slow && (h + t) % 4)
                    continue;
                shape s = make(t & 1, t >> 1, shapes[h][0], shapes[h][1], shapes[h][2], coefs[(h + t) % 4],
                               coefs[(h + 2 * t) % 4], (size_t)(h + t) % 5);
                fails += !run_case(&s, "edge");
            }
    }
    /* A few large products that run every loop of the driver with real blocks. */
    if (!slow) {
        shape big[] = {make(0, 0, 257, 255, 256, 1, 0, 0), make(1, 1, 1000, 64, 65, -0.5f, 2, 1),
                       make(0, 1, 65, 1000, 63, 2, 1, 3), make(1, 0, 63, 65, 1000, 1, -0.5f, 0),
                       make(0, 0, 256, 10, 64, 1, 0, 0), make(0, 0, 32, 128, 784, 1, 0, 0)};
        for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
            fails += !run_case(&big[i], "large");
    }
    /* Leading dimensions that alias in L1 (multiples of 512 floats): the
       driver packs such operands instead of reading them in place. */
    for (int t = 0; t < 4; t++) {
        shape s = make(t & 1, t >> 1, 37, 29, 41, 1, t == 2 ? 0.5f : 0, 0);
        s.lda = s.ldb = s.ldc = 512;
        fails += !run_case(&s, "ld 512");
    }
    CHECK(fails == 0, "%zu failing shapes", fails);
}

/* Every (alpha, beta) pair in {0, 1, -0.5, 2}^2, every transpose, padded lds. */
TEST_ISA(gemm_alpha_beta)
{
    size_t fails = 0;
    for (int t = 0; t < 4; t++)
        for (int ia = 0; ia < 4; ia++)
            for (int ib = 0; ib < 4; ib++) {
                shape s = make(t & 1, t >> 1, 37, 45, 29, coefs[ia], coefs[ib], 3 + (size_t)ia);
                fails += !run_case(&s, "alpha/beta");
            }
    CHECK(fails == 0, "%zu failing shapes", fails);
}

/* Tiny forced blocks so every loop (NC, KC, MC) runs several times, with
   the K split, beta folding and edge panels of each, on small products. */
TEST_ISA(gemm_tiny_blocks)
{
    myl_blocking blk = {1, 8, 1}; /* rounded up to MR, 8, NR */
    myl_gemm_force_blocking(&blk);
    size_t fails = 0;
    int slow = slow_target();
    for (int t = 0; t < 4; t++)
        for (int h = 0; h < (slow ? 2 : 6); h++) {
            size_t m = 7 + 13 * (size_t)h, n = 5 + 17 * (size_t)h, k = 3 + 19 * (size_t)h;
            shape s = make(t & 1, t >> 1, m, n, k, coefs[(h + t) % 4], coefs[(h + 3 * t) % 4], (size_t)h % 3);
            fails += !run_case(&s, "tiny blocks");
        }
    myl_gemm_force_blocking(NULL);
    CHECK(fails == 0, "%zu failing shapes", fails);
}

/* k == 0 (C = beta C), alpha == 0 (A and B not read), empty products. */
TEST_ISA(gemm_degenerate)
{
    size_t fails = 0;
    for (int ib = 0; ib < 4; ib++) {
        shape s = make(ib & 1, 0, 9, 21, 0, 1.0f, coefs[ib], 2);
        s.lda = s.ta ? 9 : 1;
        fails += !run_case(&s, "k=0");
    }
    /* alpha == 0: NaN in A and B must not leak. */
    float a[4] = {NAN, NAN, NAN, NAN}, b[4] = {NAN, NAN, NAN, NAN}, c[4] = {1, 2, 3, 4};
    CHECK(myelin_sgemm(MYELIN_NOTRANS, MYELIN_NOTRANS, 2, 2, 2, 0.0f, a, 2, b, 2, 2.0f, c, 2) == MYELIN_OK, "alpha 0");
    CHECK(c[0] == 2 && c[1] == 4 && c[2] == 6 && c[3] == 8, "alpha 0: C = beta C, got %g %g %g %g", c[0], c[1],
          c[2], c[3]);
    /* Empty products touch nothing and accept NULL for empty operands. */
    CHECK(myelin_sgemm(MYELIN_NOTRANS, MYELIN_NOTRANS, 0, 5, 5, 1, NULL, 5, b, 5, 0, NULL, 5) == MYELIN_OK, "m=0");
    CHECK(myelin_sgemm(MYELIN_NOTRANS, MYELIN_NOTRANS, 5, 0, 5, 1, a, 5, NULL, 1, 0, NULL, 1) == MYELIN_OK, "n=0");
    CHECK(fails == 0, "%zu failing shapes", fails);
}

/* One product with 1, 2 and 3 threads (plain, then with bias and an
   activation): identical bytes, and the result checked. Three threads on
   two cores also make libgomp retire a worker afterwards: its packing
   buffer must be freed (the ASan phase checks for leaks). */
static void threads_identical(const shape *s, int act)
{
    bufs w;
    if (!CHECK(alloc_bufs(&w, s), "out of memory")) {
        free_bufs(&w);
        return;
    }
    init_bufs(&w, s);
    float *c1 = malloc(w.csz * sizeof(float)), *bias = malloc(s->n * sizeof(float));
    if (CHECK(c1 && bias, "out of memory")) {
        fill(bias, s->n);
        for (int fused = 0; fused < 2; fused++) {
            for (int t = 1; t <= 3; t++) {
                myelin_set_num_threads(t);
                memcpy(w.c, w.c0, w.csz * sizeof(float));
                int st = myl_gemm(s->ta, s->tb, s->m, s->n, s->k, s->alpha, w.a, s->lda, w.b, s->ldb, s->beta, w.c,
                                  s->ldc, fused ? bias : NULL, fused ? act : 0, 0.1f);
                CHECK(st == 0, "%d threads: status %d", t, st);
                if (t == 1)
                    memcpy(c1, w.c, w.csz * sizeof(float));
                else
                    CHECK(memcmp(c1, w.c, w.csz * sizeof(float)) == 0,
                          "m=%zu n=%zu k=%zu ta=%d tb=%d act=%d: 1 and %d threads differ", s->m, s->n, s->k, s->ta,
                          s->tb, fused ? act : 0, t);
            }
            if (!fused)
                verify(&w, s, NULL, 0, 0, "3 threads");
        }
    }
    free(c1);
    free(bias);
    free_bufs(&w);
}

/* 1 vs 2 vs 3 threads: identical bytes (threads split M and N, never K). */
TEST_ISA(gemm_threads_identical)
{
    int slow = slow_target();
    shape shapes[] = {make(0, 0, 200, 300, 150, 1, 0, 1), make(1, 0, 784, 128, 64, 1, 0, 0),
                      make(0, 1, 128, 784, 130, 1, 0.5f, 0), make(1, 1, 1001, 10, 100, 2, 0, 2),
                      make(0, 0, 64, 1000, 300, -0.5f, 1, 0), make(0, 0, 1000, 64, 300, 1, 0, 0)};
    int saved = myelin_num_threads();
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        if (!slow || i % 3 == 0)
            threads_identical(&shapes[i], (int)(i % 5) + 1); /* relu .. softmax */
    /* Tiny blocks: every thread runs several MC, KC and NC blocks. */
    myl_blocking tiny = {1, 16, 1};
    myl_gemm_force_blocking(&tiny);
    shape s = make(1, 0, 150, 97, 70, 1, 0.5f, 1);
    threads_identical(&s, MYL_ACT_SOFTMAX);
    s = make(0, 1, 61, 200, 90, 2, 0, 3);
    threads_identical(&s, MYL_ACT_TANH);
    /* The B-transposed kernel (small M, B stored transposed), several K blocks. */
    s = make(0, 1, 40, 400, 100, 1, 0.5f, 0);
    threads_identical(&s, MYL_ACT_SOFTMAX);
    s = make(1, 1, 40, 400, 100, -0.5f, 0, 2);
    threads_identical(&s, MYL_ACT_RELU);
    myl_gemm_force_blocking(NULL);
    myelin_set_num_threads(saved);
}

/* The fused epilogue: bias + every activation, through myl_gemm, vs double. */
TEST_ISA(gemm_epilogue_bias_act)
{
    size_t dims[][3] = {{5, 7, 9}, {13, 33, 17}, {40, 10, 64}, {3, 50, 1}};
    size_t fails = 0;
    for (int act = MYL_ACT_LINEAR; act <= MYL_ACT_SOFTMAX; act++)
        for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
            for (int t = 0; t < 4; t += (slow_target() ? 3 : 1)) {
                shape s = make(t & 1, t >> 1, dims[d][0], dims[d][1], dims[d][2], 1, 0, d % 2);
                bufs w;
                if (!CHECK(alloc_bufs(&w, &s), "out of memory")) {
                    free_bufs(&w);
                    return;
                }
                init_bufs(&w, &s);
                float *bias = malloc(s.n * sizeof(float));
                if (CHECK(bias != NULL, "out of memory")) {
                    fill(bias, s.n);
                    for (size_t j = 0; j < s.n; j++)
                        bias[j] *= 3; /* reach both sides of the activations */
                    const float *bp = d == 3 ? NULL : bias;
                    int st = myl_gemm(s.ta, s.tb, s.m, s.n, s.k, 1, w.a, s.lda, w.b, s.ldb, 0, w.c, s.ldc, bp,
                                      act, 0.03f);
                    fails += !CHECK(st == 0, "status %d", st) || verify(&w, &s, bp, act, 0.03f, "epilogue") != 0;
                }
                free(bias);
                free_bufs(&w);
            }
    CHECK(fails == 0, "%zu failing shapes", fails);
}

/* The same op(A) and op(B) in every storage layout, and the product computed
   as row blocks and as column blocks: identical bytes. Each element sums its
   K terms in one order whatever tile computes it (rows or columns along the
   vector lanes, packed or in place); the training engine relies on it. */
static void transposed_copy(const float *src, size_t rows, size_t cols, float *dst)
{
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            dst[j * rows + i] = src[i * cols + j];
}

TEST_ISA(gemm_same_bytes_any_layout_or_split)
{
    size_t dims[][3] = {{70, 10, 100}, {64, 42, 64}, {33, 12, 31}, {100, 11, 70}, {40, 3, 20},
                        {29, 26, 17}, {8, 100, 40}, {20, 300, 64}}; /* the last two: the B-transposed kernel */
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++) {
        size_t m = dims[d][0], n = dims[d][1], k = dims[d][2];
        float *op[4], *c = malloc(m * n * sizeof(float)), *ref = malloc(m * n * sizeof(float));
        float *c0 = malloc(m * n * sizeof(float)), *bias = malloc(n * sizeof(float));
        op[0] = malloc(m * k * sizeof(float)); /* A, then A^T, B, B^T */
        op[1] = malloc(m * k * sizeof(float));
        op[2] = malloc(k * n * sizeof(float));
        op[3] = malloc(k * n * sizeof(float));
        if (CHECK(c && ref && c0 && bias && op[0] && op[1] && op[2] && op[3], "out of memory")) {
            fill(op[0], m * k);
            fill(op[2], k * n);
            fill(c0, m * n);
            fill(bias, n);
            transposed_copy(op[0], m, k, op[1]);
            transposed_copy(op[2], k, n, op[3]);
            const float alpha = d % 2 ? 2.0f : 1.0f, beta = d % 2 ? -0.5f : 0.0f;
            const float *bp = d % 2 ? NULL : bias;
            const int act = d % 2 ? MYL_ACT_LINEAR : MYL_ACT_RELU;
            /* rows [r0, r1) x columns [j0, j1) with A and B stored as (ta, tb) */
#define PART(ta, tb, r0, r1, j0, j1)                                                                              \
    myl_gemm(ta, tb, (r1) - (r0), (j1) - (j0), k, alpha, (ta) ? op[1] + (r0) : op[0] + (r0) * k, (ta) ? m : k,   \
             (tb) ? op[3] + (j0) * k : op[2] + (j0), (tb) ? k : n, beta, c + (r0) * n + (j0), n,                 \
             bp ? bp + (j0) : NULL, act, 0.0f)
            memcpy(ref, c0, m * n * sizeof(float));
            float *keep = c;
            c = ref;
            CHECK(PART(0, 0, 0, m, 0, n) == 0, "status");
            c = keep;
            size_t ms = m > 24 ? 24 : m / 2, ns = n > 10 ? 10 : n / 2;
            for (int t = 0; t < 4; t++) {
                int ta = t & 1, tb = t >> 1;
                memcpy(c, c0, m * n * sizeof(float));
                CHECK(PART(ta, tb, 0, m, 0, n) == 0, "status");
                CHECK(memcmp(c, ref, m * n * sizeof(float)) == 0, "%zux%zux%zu ta=%d tb=%d: bytes differ from NN", m,
                      n, k, ta, tb);
                memcpy(c, c0, m * n * sizeof(float));
                CHECK(PART(ta, tb, 0, m, 0, ns) == 0 && PART(ta, tb, 0, m, ns, n) == 0, "status");
                CHECK(memcmp(c, ref, m * n * sizeof(float)) == 0, "%zux%zux%zu ta=%d tb=%d: column split at %zu differs",
                      m, n, k, ta, tb, ns);
                memcpy(c, c0, m * n * sizeof(float));
                CHECK(PART(ta, tb, 0, ms, 0, n) == 0 && PART(ta, tb, ms, m, 0, n) == 0, "status");
                CHECK(memcmp(c, ref, m * n * sizeof(float)) == 0, "%zux%zux%zu ta=%d tb=%d: row split at %zu differs",
                      m, n, k, ta, tb, ms);
            }
#undef PART
        }
        for (int i = 0; i < 4; i++)
            free(op[i]);
        free(c);
        free(ref);
        free(c0);
        free(bias);
    }
}

/* Operands that end exactly at a page followed by an inaccessible page:
   any read past the last element of A or B (or write past C) faults. The
   driver reads A and B in place on these shapes, so this checks that the
   kernels never read past column n or row m. */
static float *guarded(size_t count, void **base, size_t *len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t bytes = (count * sizeof(float) + page - 1) / page * page;
    *len = bytes + page;
    char *p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    if (mprotect(p + bytes, page, PROT_NONE) != 0) {
        munmap(p, *len);
        return NULL;
    }
    *base = p;
    return (float *)(p + bytes) - count;
}

TEST_ISA(gemm_guard_pages)
{
    size_t dims[][3] = {{7, 10, 13}, {25, 10, 64}, {13, 33, 5}, {1, 1, 1}, {12, 32, 3}, {40, 17, 29}, {3, 50, 40}};
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
        for (int t = 0; t < 4; t++) {
            size_t m = dims[d][0], n = dims[d][1], k = dims[d][2];
            int ta = t & 1, tb = t >> 1;
            void *ba, *bb, *bc;
            size_t la, lb, lc;
            float *a = guarded(m * k, &ba, &la), *b = guarded(k * n, &bb, &lb), *c = guarded(m * n, &bc, &lc);
            if (!CHECK(a && b && c, "mmap"))
                return;
            fill(a, m * k);
            fill(b, k * n);
            for (size_t i = 0; i < m * n; i++)
                c[i] = NAN;
            int st = myelin_sgemm((myelin_transpose)ta, (myelin_transpose)tb, m, n, k, 1.0f, a, ta ? m : k, b,
                                  tb ? k : n, 0.0f, c, n);
            CHECK(st == MYELIN_OK, "status %d", st);
            double worst = 0;
            for (size_t i = 0; i < m; i++)
                for (size_t j = 0; j < n; j++) {
                    double ref = 0, mag = 0;
                    for (size_t p = 0; p < k; p++) {
                        double x = ta ? a[p * m + i] : a[i * k + p], y = tb ? b[j * k + p] : b[p * n + j];
                        ref += x * y;
                        mag += fabs(x * y);
                    }
                    double err = fabs(c[i * n + j] - ref) / (2.0 * (double)(k + 3) / 16777216.0 * mag + 1e-30);
                    worst = err > worst || err != err ? (err != err ? 1e30 : err) : worst;
                }
            CHECK(worst <= 1.0, "m=%zu n=%zu k=%zu ta=%d tb=%d: error %.3g x the bound", m, n, k, ta, tb, worst);
            munmap(ba, la);
            munmap(bb, lb);
            munmap(bc, lc);
        }
}

/* Every bad argument: MYELIN_EINVAL, a message, and C untouched. */
TEST(gemm_errors)
{
    float a[64], b[64], c[64];
    for (int i = 0; i < 64; i++)
        a[i] = b[i] = 1, c[i] = SENTINEL;
    const myelin_transpose N = MYELIN_NOTRANS, T = MYELIN_TRANS;
    struct {
        const char *what;
        int st;
    } r[] = {
        {"ta bad", myelin_sgemm((myelin_transpose)2, N, 4, 4, 4, 1, a, 4, b, 4, 0, c, 4)},
        {"tb bad", myelin_sgemm(N, (myelin_transpose)-1, 4, 4, 4, 1, a, 4, b, 4, 0, c, 4)},
        {"a NULL", myelin_sgemm(N, N, 4, 4, 4, 1, NULL, 4, b, 4, 0, c, 4)},
        {"b NULL", myelin_sgemm(N, N, 4, 4, 4, 1, a, 4, NULL, 4, 0, c, 4)},
        {"c NULL", myelin_sgemm(N, N, 4, 4, 4, 1, a, 4, b, 4, 0, NULL, 4)},
        {"c NULL k=0", myelin_sgemm(N, N, 4, 4, 0, 1, a, 4, b, 4, 0, NULL, 4)},
        {"lda < k", myelin_sgemm(N, N, 4, 4, 5, 1, a, 4, b, 4, 0, c, 4)},
        {"lda < m (A^T)", myelin_sgemm(T, N, 5, 4, 4, 1, a, 4, b, 4, 0, c, 5)},
        {"ldb < n", myelin_sgemm(N, N, 4, 5, 4, 1, a, 4, b, 4, 0, c, 5)},
        {"ldb < k (B^T)", myelin_sgemm(N, T, 4, 4, 5, 1, a, 5, b, 4, 0, c, 4)},
        {"ldc < n", myelin_sgemm(N, N, 4, 4, 4, 1, a, 4, b, 4, 0, c, 3)},
        {"overflow m", myelin_sgemm(N, N, SIZE_MAX / 2, 4, 4, 1, a, 4, b, 4, 0, c, 4)},
        {"overflow ld", myelin_sgemm(N, N, 4, 4, 4, 1, a, SIZE_MAX / 3, b, 4, 0, c, 4)},
        {"overflow n", myelin_sgemm(N, N, 4, SIZE_MAX / 4 + 1, 4, 1, a, 4, b, SIZE_MAX / 4 + 1, 0, c,
                                    SIZE_MAX / 4 + 1)},
        {"fused act bad", myelin_sgemm_bias_act(N, N, 4, 4, 4, a, 4, b, 4, NULL, (myelin_act)9, c, 4)},
        {"fused lda", myelin_sgemm_bias_act(N, N, 4, 4, 4, a, 3, b, 4, NULL, MYELIN_ACT_RELU, c, 4)},
        {"fused c NULL", myelin_sgemm_bias_act(N, N, 4, 4, 4, a, 4, b, 4, NULL, MYELIN_ACT_RELU, NULL, 4)},
    };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        CHECK(r[i].st == MYELIN_EINVAL, "%s: status %d, want EINVAL", r[i].what, r[i].st);
    for (int i = 0; i < 64; i++)
        if (!CHECK(c[i] == SENTINEL, "C[%d] written by a failing call", i))
            break;
    myelin_sgemm(N, N, 4, 4, 5, 1, a, 4, b, 4, 0, c, 4);
    CHECK(strstr(myelin_last_error(), "lda") != NULL, "message names lda: '%s'", myelin_last_error());
}

/* myelin_sgemm_bias_act on every kernel path against GEMM, bias and
 * activation in double, at the awkward sizes of the GEMM tests, for every
 * transpose, with and without bias, every activation including softmax.
 *
 * Tolerance: the float product's error is at most about (k + 3) u S_ij with
 * S_ij = sum_p |a_ip b_pj| + |bias_j| and u = 2^-24 (we allow twice that);
 * an activation with slope <= L moves it by at most L times that, plus its own
 * few ulp; softmax moves p_j by at most 2 p_j max_j(error of row). */
#include "../harness.h"
#include "act_ref.h"
#include "myelin.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SENTINEL 4242.5f

static uint64_t rng = 0xf05e;

typedef struct {
    size_t m, n, k, pad; /* pad: extra leading-dimension elements */
} fshape;

static const fshape shapes[] = {
    {1, 1, 1, 0},     {3, 17, 1, 1},    {17, 3, 63, 0},    {63, 65, 17, 3},  {64, 64, 64, 0},
    {65, 63, 257, 1}, {1, 257, 3, 0},   {257, 1, 65, 2},   {255, 17, 64, 0}, {17, 256, 65, 5},
    {32, 128, 784, 0}, {128, 64, 128, 0}, {256, 10, 64, 0}, {3, 255, 255, 1},
};

static double lipschitz(myelin_act act, double slope)
{
    switch (act) {
    case MYELIN_ACT_SIGMOID: return 0.25;
    case MYELIN_ACT_LEAKY_RELU: return fabs(slope) > 1 ? fabs(slope) : 1.0;
    default: return 1.0;
    }
}

static void run_shape(const fshape *s, int ta, int tb, int with_bias, const char *isa)
{
    const size_t m = s->m, n = s->n, k = s->k;
    const size_t lda = (ta ? m : k) + s->pad, ldb = (tb ? k : n) + s->pad, ldc = n + s->pad;
    const size_t arows = ta ? k : m, brows = tb ? n : k;
    float *a = malloc(arows * lda * sizeof(float)), *b = malloc(brows * ldb * sizeof(float));
    float *c = malloc(m * ldc * sizeof(float)), *bias = with_bias ? malloc(n * sizeof(float)) : NULL;
    double *z = malloc(m * n * sizeof(double)), *err = malloc(m * n * sizeof(double));
    double *row = malloc(n * sizeof(double));
    if (!CHECK(a && b && c && z && err && row && (bias || !with_bias), "out of memory"))
        goto out;
    for (size_t i = 0; i < arows * lda; i++)
        a[i] = th_rand_uniform(&rng, -1.0f, 1.0f);
    for (size_t i = 0; i < brows * ldb; i++)
        b[i] = th_rand_uniform(&rng, -1.0f, 1.0f);
    for (size_t j = 0; bias && j < n; j++)
        bias[j] = th_rand_uniform(&rng, -1.0f, 1.0f);
    /* z = op(A) op(B) + bias in double, and the error bound of each element */
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double acc = bias ? bias[j] : 0.0, mag = bias ? fabs(bias[j]) : 0.0;
            for (size_t p = 0; p < k; p++) {
                const double prod = (double)(ta ? a[p * lda + i] : a[i * lda + p]) *
                                    (double)(tb ? b[j * ldb + p] : b[p * ldb + j]);
                acc += prod;
                mag += fabs(prod);
            }
            z[i * n + j] = acc;
            err[i * n + j] = 2.0 * (double)(k + 3) * 0x1p-24 * mag;
        }
    const double slope = myelin_leaky_slope();
    for (int act = MYELIN_ACT_LINEAR; act <= MYELIN_ACT_SOFTMAX; act++) {
        for (size_t i = 0; i < m * ldc; i++)
            c[i] = (i % ldc) < n ? NAN : SENTINEL; /* C must be written without being read */
        int st = myelin_sgemm_bias_act(ta ? MYELIN_TRANS : MYELIN_NOTRANS, tb ? MYELIN_TRANS : MYELIN_NOTRANS, m,
                                       n, k, a, lda, b, ldb, bias, (myelin_act)act, c, ldc);
        if (!CHECK(st == 0, "%s: %s", isa, myelin_last_error()))
            continue;
        size_t bad = 0, pad = 0;
        double worst = 0.0;
        for (size_t i = 0; i < m; i++) {
            double emax = 0.0;
            for (size_t j = 0; j < n; j++)
                emax = err[i * n + j] > emax ? err[i * n + j] : emax;
            if (act == MYELIN_ACT_SOFTMAX)
                ref_softmax(n, z + i * n, row);
            for (size_t j = 0; j < n; j++) {
                double ref, tol;
                if (act == MYELIN_ACT_SOFTMAX) {
                    ref = row[j];
                    tol = 2.0 * ref * emax + 4e-6 * ref + 1e-30;
                } else {
                    ref = ref_act((myelin_act)act, slope, z[i * n + j]);
                    tol = lipschitz((myelin_act)act, slope) * err[i * n + j] + 4 * 0x1p-24 * fabs(ref) + 1e-30;
                }
                const double e = fabs((double)c[i * ldc + j] - ref) / tol;
                worst = e > worst || isnan(e) ? e : worst;
                bad += !(e <= 1.0);
            }
            for (size_t j = n; j < ldc; j++)
                pad += c[i * ldc + j] != SENTINEL;
        }
        CHECK(bad == 0 && pad == 0,
              "%s %s%s %zux%zux%zu pad %zu %s bias: %zu wrong (worst %.3g x tol), %zu padding floats written",
              act_name(act), ta ? "T" : "N", tb ? "T" : "N", m, n, k, s->pad, bias ? "with" : "no", bad, worst,
              pad);
    }
out:
    free(a); free(b); free(c); free(bias); free(z); free(err); free(row);
}

TEST_ISA(fused_gemm_bias_act)
{
    const size_t n_shapes = sizeof shapes / sizeof shapes[0];
    for (size_t s = 0; s < n_shapes; s++)
        for (int t = 0; t < 4; t++) {
            if (th_quick() && (s + (size_t)t) % 3) /* a sample under the sanitizers */
                continue;
            run_shape(&shapes[s], t & 1, t >> 1, (int)((s + (size_t)t) & 1), isa);
        }
}

TEST(fused_arguments)
{
    float a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 0, 1}, c[4];
    CHECK(myelin_sgemm_bias_act(MYELIN_NOTRANS, MYELIN_NOTRANS, 2, 2, 2, a, 2, b, 2, NULL, (myelin_act)7, c, 2) ==
              MYELIN_EINVAL,
          "act 7 accepted");
    CHECK(myelin_sgemm_bias_act(MYELIN_NOTRANS, MYELIN_NOTRANS, 2, 2, 2, NULL, 2, b, 2, NULL, MYELIN_ACT_RELU, c,
                                2) == MYELIN_EINVAL,
          "A NULL accepted");
    CHECK(myelin_sgemm_bias_act(MYELIN_NOTRANS, MYELIN_NOTRANS, 2, 2, 2, a, 2, b, 2, NULL, MYELIN_ACT_RELU, c, 1) ==
              MYELIN_EINVAL,
          "ldc < n accepted");
    const float bias[2] = {-10.0f, 0.5f};
    CHECK(myelin_sgemm_bias_act(MYELIN_NOTRANS, MYELIN_NOTRANS, 2, 2, 2, a, 2, b, 2, bias, MYELIN_ACT_RELU, c, 2) ==
              MYELIN_OK,
          "valid call: %s", myelin_last_error());
    CHECK(c[0] == 0.0f && c[1] == 2.5f && c[2] == 0.0f && c[3] == 4.5f, "relu(A I + bias) = %g %g %g %g",
          (double)c[0], (double)c[1], (double)c[2], (double)c[3]);
}

/* Non-finite values through every fused epilogue: a NaN and an inf in A, a
   -inf in B, a NaN and an inf in the bias. Whether an element is NaN, +inf,
   -inf or finite does not depend on the summation order, so the double
   reference decides it exactly; NaN must stay NaN through every activation
   (ReLU included: a max with the wrong operand order returns 0 for NaN). The
   shapes reach every AVX-512 tile (12x32, the n <= 12 lanes tile, the one-vector
   n <= 16 tile, the transposed-B tile for few rows) and the edge tiles. */
static void run_nonfinite(size_t m, size_t n, size_t k, int ta, int tb, const char *isa)
{
    const size_t lda = ta ? m : k, ldb = tb ? k : n, ldc = n;
    float *a = malloc(m * k * sizeof(float)), *b = malloc(k * n * sizeof(float));
    float *c = malloc(m * n * sizeof(float)), *bias = malloc(n * sizeof(float));
    double *z = malloc(m * n * sizeof(double)), *mag = malloc(m * n * sizeof(double));
    double *row = malloc(n * sizeof(double));
    if (!CHECK(a && b && c && bias && z && mag && row, "out of memory"))
        goto out;
    for (size_t i = 0; i < m * k; i++)
        a[i] = th_rand_uniform(&rng, -1.0f, 1.0f);
    for (size_t i = 0; i < k * n; i++)
        b[i] = th_rand_uniform(&rng, -1.0f, 1.0f);
    for (size_t j = 0; j < n; j++)
        bias[j] = th_rand_uniform(&rng, -1.0f, 1.0f);
#define A_(i, p) a[ta ? (p) * lda + (i) : (i) * lda + (p)]
#define B_(p, j) b[tb ? (j) * ldb + (p) : (p) * ldb + (j)]
    A_(0, k - 1) = NAN;
    A_(m - 1, 0) = INFINITY; /* with m == 1 this replaces the NaN's row: both still happen in B and bias */
    B_(k / 2, n / 2) = -INFINITY;
    bias[n - 1] = NAN;
    bias[0] = n > 2 ? INFINITY : bias[0];
#undef A_
#undef B_
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double acc = bias[j], s = fabs(bias[j]);
            for (size_t p = 0; p < k; p++) {
                const double prod = (double)(ta ? a[p * lda + i] : a[i * lda + p]) *
                                    (double)(tb ? b[j * ldb + p] : b[p * ldb + j]);
                acc += prod;
                s += fabs(prod);
            }
            z[i * n + j] = acc;
            mag[i * n + j] = s;
        }
    const double slope = myelin_leaky_slope();
    for (int act = MYELIN_ACT_LINEAR; act <= MYELIN_ACT_SOFTMAX; act++) {
        int st = myelin_sgemm_bias_act(ta ? MYELIN_TRANS : MYELIN_NOTRANS, tb ? MYELIN_TRANS : MYELIN_NOTRANS, m,
                                       n, k, a, lda, b, ldb, bias, (myelin_act)act, c, ldc);
        if (!CHECK(st == 0, "%s: %s", isa, myelin_last_error()))
            continue;
        size_t bad = 0, first = (size_t)-1;
        for (size_t i = 0; i < m; i++) {
            if (act == MYELIN_ACT_SOFTMAX)
                ref_softmax(n, z + i * n, row);
            for (size_t j = 0; j < n; j++) {
                const double zij = z[i * n + j];
                const double ref = act == MYELIN_ACT_SOFTMAX ? row[j] : ref_act((myelin_act)act, slope, zij);
                const float got = c[i * ldc + j];
                int ok;
                if (isnan(ref))
                    ok = isnan(got);
                else if (isinf(ref))
                    ok = (double)got == ref;
                else if (act == MYELIN_ACT_SOFTMAX)
                    ok = isfinite(got) && fabs((double)got - ref) <= 1e-5;
                else
                    ok = fabs((double)got - ref) <=
                         2.0 * (double)(k + 3) * 0x1p-24 * mag[i * n + j] * lipschitz((myelin_act)act, slope) +
                             4 * 0x1p-24 * fabs(ref) + 1e-30;
                if (!ok && first == (size_t)-1)
                    first = i * n + j;
                bad += !ok;
            }
        }
        CHECK(bad == 0, "%s %s%s %zux%zux%zu: %zu wrong; first at (%zu,%zu): got %g, z = %g", act_name(act),
              ta ? "T" : "N", tb ? "T" : "N", m, n, k, bad, bad ? first / n : 0, bad ? first % n : 0,
              bad ? (double)c[first / n * ldc + first % n] : 0.0, bad ? z[first] : 0.0);
    }
out:
    free(a); free(b); free(c); free(bias); free(z); free(mag); free(row);
}

TEST_ISA(fused_nonfinite_propagates)
{
    static const size_t sh[][3] = {{4, 16, 4}, {1, 1, 1}, {13, 33, 7}, {64, 10, 64}, {40, 14, 33},
                                   {3, 64, 128}, {128, 128, 784}, {25, 31, 2}};
    for (size_t s = 0; s < sizeof sh / sizeof sh[0]; s++)
        for (int t = 0; t < 4; t++)
            run_nonfinite(sh[s][0], sh[s][1], sh[s][2], t & 1, t >> 1, isa);
}

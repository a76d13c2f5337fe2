/* Activations on every kernel path against double-precision libm: the
 * accuracy sweep over the whole float range (max ulp per function and path
 * printed as notes), exact limits, every length through the vector tails,
 * strided and in-place matrices, softmax on extreme rows, the backward forms
 * against central finite differences, thread-count invariance, argument
 * errors. */
#include "../harness.h"
#include "act_ref.h"
#include "internal.h"
#include "myelin.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0xac71;

static float bits_to_float(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static uint32_t float_bits(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

/* ------------------------------------------------------------ the sweep */

enum { F_EXP, F_SIGMOID, F_TANH, F_COUNT };
static const char *fname[F_COUNT] = {"exp", "sigmoid", "tanh"};
static const double ulp_bound[F_COUNT] = {3.0, 3.0, 4.0};

static int call_f(int f, size_t n, const float *x, float *y)
{
    return f == F_EXP ? myelin_vexp(n, x, y) : f == F_SIGMOID ? myelin_vsigmoid(n, x, y) : myelin_vtanh(n, x, y);
}

static double ref_f(int f, double x)
{
    return f == F_EXP ? exp(x) : f == F_SIGMOID ? ref_sigmoid(x) : tanh(x);
}

typedef struct {
    double max_ulp;
    float worst_x;
    size_t bad; /* NaN, limit or subnormal-range violations */
} sweep_stats;

/* Checks one result: NaN in -> NaN out; overflow to +inf; results below
   FLT_MIN within two subnormal steps (correct rounding gives half of one);
   otherwise the ulp error is recorded. */
static void check_one(int f, float x, float y, sweep_stats *s)
{
    if (isnan(x)) {
        if (!isnan(y) && s->bad++ < 4)
            CHECK(0, "%s(NaN) = %a, not NaN", fname[f], y);
        return;
    }
    const double r = ref_f(f, (double)x);
    const double a = fabs(r);
    if (a > FLT_MAX) {
        /* above FLT_MAX + half an ulp the float result is +inf */
        const int ok = a >= 0x1.ffffff8p127 ? isinf(y) && y > 0 : (y == FLT_MAX || isinf(y));
        if (!ok && s->bad++ < 4)
            CHECK(0, "%s(%a) = %a, expected overflow to +inf", fname[f], x, y);
        return;
    }
    if (a < FLT_MIN) {
        if (!(fabs((double)y - r) <= 0x1p-148) && s->bad++ < 4)
            CHECK(0, "%s(%a) = %a, reference %a (below FLT_MIN)", fname[f], x, y, r);
        return;
    }
    const double e = ulp_error(y, r);
    if (!(e <= s->max_ulp)) { /* also catches NaN results */
        s->max_ulp = isnan(e) ? INFINITY : e;
        s->worst_x = x;
    }
}

TEST_ISA(act_ulp_sweep)
{
    /* >= 10 million inputs spread over all 2^32 bit patterns (both signs,
       subnormals, infinities and NaNs included) plus the named specials; a
       1M-input sample in the quick (sanitizer) phase. */
    const uint32_t stride = th_quick() ? 4093u : 409u;
    const size_t n_walk = (size_t)((1ull << 32) / stride);
    static const float specials[] = {0.0f, -0.0f, 1e4f, -1e4f, INFINITY, -INFINITY, NAN, -NAN,
                                     0x1p-149f, -0x1p-149f, 0x1p-126f, -0x1p-126f, FLT_MAX, -FLT_MAX,
                                     88.72283f, 88.7228394f, -87.3365479f, -103.972076f, -103.9f,
                                     0.625f, -0.625f, 0.62499994f, 9.0f, 1.0f, -1.0f};
    const size_t n_spec = sizeof specials / sizeof specials[0];
    enum { CHUNK = 1 << 20 };
    float *x = malloc(CHUNK * sizeof(float)), *y = malloc(CHUNK * sizeof(float));
    if (!CHECK(x && y, "out of memory")) {
        free(x);
        free(y);
        return;
    }
    sweep_stats st[F_COUNT];
    memset(st, 0, sizeof st);
    for (size_t done = 0; done < n_walk + n_spec;) {
        size_t n = 0;
        for (; n < CHUNK && done + n < n_walk + n_spec; n++) {
            const size_t i = done + n;
            x[n] = i < n_walk ? bits_to_float((uint32_t)(i * (uint64_t)stride)) : specials[i - n_walk];
        }
        for (int f = 0; f < F_COUNT; f++) {
            if (!CHECK(call_f(f, n, x, y) == MYELIN_OK, "%s: %s", fname[f], myelin_last_error()))
                break;
            for (size_t i = 0; i < n; i++)
                check_one(f, x[i], y[i], &st[f]);
        }
        done += n;
    }
    for (int f = 0; f < F_COUNT; f++) {
        th_note("%-7s max %.2f ulp (bound %.0f) at x = %a, %zu inputs, path %s", fname[f], st[f].max_ulp,
                ulp_bound[f], st[f].worst_x, n_walk + n_spec, isa);
        CHECK(st[f].max_ulp <= ulp_bound[f], "%s: %.3f ulp at x = %a (%.9g) exceeds %.0f", fname[f],
              st[f].max_ulp, st[f].worst_x, st[f].worst_x, ulp_bound[f]);
        CHECK(st[f].bad == 0, "%s: %zu results wrong at NaN, overflow or below FLT_MIN", fname[f], st[f].bad);
    }
    free(x);
    free(y);
}

/* ------------------------------------------------------- exact limits */

TEST_ISA(act_exact_limits)
{
    const float x[] = {-INFINITY, INFINITY, 0.0f, -0.0f, 200.0f, -200.0f, 88.8f, -104.0f, 0x1p-149f,
                       -0x1p-140f, 30.0f, -30.0f, NAN};
    enum { N = sizeof x / sizeof x[0] };
    float e[N], s[N], t[N];
    CHECK(myelin_vexp(N, x, e) == 0 && myelin_vsigmoid(N, x, s) == 0 && myelin_vtanh(N, x, t) == 0, "call");
    CHECK(e[0] == 0.0f && !signbit(e[0]), "exp(-inf) = %a", e[0]);
    CHECK(isinf(e[1]) && e[1] > 0, "exp(+inf) = %a", e[1]);
    CHECK(e[2] == 1.0f && e[3] == 1.0f, "exp(+-0) = %a %a", e[2], e[3]);
    CHECK(isinf(e[4]) && isinf(e[6]), "exp(200), exp(88.8) = %a %a, not +inf", e[4], e[6]);
    CHECK(e[5] == 0.0f && e[7] == 0.0f, "exp(-200), exp(-104) = %a %a, not 0", e[5], e[7]);
    CHECK(e[8] == 1.0f && e[9] == 1.0f, "exp(subnormal) = %a %a", e[8], e[9]);
    CHECK(s[0] == 0.0f && s[1] == 1.0f, "sigmoid(-inf), sigmoid(+inf) = %a %a", s[0], s[1]);
    CHECK(s[2] == 0.5f && s[3] == 0.5f && s[8] == 0.5f, "sigmoid(0), (-0), (tiny) = %a %a %a", s[2], s[3], s[8]);
    CHECK(s[4] == 1.0f && s[5] == 0.0f, "sigmoid(200), sigmoid(-200) = %a %a", s[4], s[5]);
    CHECK(t[0] == -1.0f && t[1] == 1.0f, "tanh(-inf), tanh(+inf) = %a %a", t[0], t[1]);
    CHECK(t[2] == 0.0f && !signbit(t[2]) && t[3] == 0.0f && signbit(t[3]), "tanh(+0), tanh(-0) = %a %a", t[2],
          t[3]);
    CHECK(t[8] == x[8] && t[9] == x[9], "tanh(subnormal) = %a %a, not x", t[8], t[9]);
    CHECK(t[10] == 1.0f && t[11] == -1.0f && t[4] == 1.0f, "tanh(30), tanh(-30) = %a %a", t[10], t[11]);
    CHECK(isnan(e[12]) && isnan(s[12]) && isnan(t[12]), "NaN in: %a %a %a", e[12], s[12], t[12]);

    /* relu and leaky relu: exact, NaN propagates, -0 -> +0 for relu */
    const float rx[] = {-2.0f, -0.0f, 0.0f, 3.5f, NAN, -INFINITY, INFINITY};
    enum { R = sizeof rx / sizeof rx[0] };
    float r[R], l[R];
    CHECK(myelin_activate(MYELIN_ACT_RELU, 1, R, rx, R, r, R) == 0, "relu call");
    CHECK(myelin_activate(MYELIN_ACT_LEAKY_RELU, 1, R, rx, R, l, R) == 0, "leaky call");
    const float slope = myelin_leaky_slope();
    CHECK(r[0] == 0.0f && float_bits(r[1]) == 0 && r[2] == 0.0f && r[3] == 3.5f && isnan(r[4]) && r[5] == 0.0f &&
              isinf(r[6]),
          "relu: %a %a %a %a %a %a %a", r[0], r[1], r[2], r[3], r[4], r[5], r[6]);
    CHECK(l[0] == -2.0f * slope && l[3] == 3.5f && isnan(l[4]) && isinf(l[5]) && l[5] < 0,
          "leaky: %a %a %a %a", l[0], l[3], l[4], l[5]);
}

/* --------------------------------------------- lengths through the tails */

static double tol_act(myelin_act act, double ref)
{
    /* 4 ulp for the transcendental ones, the rounding of slope*x for leaky
       relu (the reference slope is the float one in double), exact otherwise */
    if (act == MYELIN_ACT_SIGMOID || act == MYELIN_ACT_TANH)
        return 4.0 * 0x1p-24 * fabs(ref) + 0x1p-149;
    if (act == MYELIN_ACT_LEAKY_RELU)
        return 0x1p-24 * fabs(ref);
    return 0.0;
}

/* The byte converter of the minibatch gather: (x - offset) * scale rounded
   twice, bit for bit, at every length and misalignment, every byte value,
   and nothing written past n. */
TEST_ISA(u8_vcvt_exact_lengths_and_tails)
{
    const myl_kernels *k;
    if (!CHECK(myl_kernels_get(&k) == 0 && k->u8_vcvt, "kernel table"))
        return;
    static const size_t extra[] = {63, 64, 65, 255, 256, 257, 784, 1000};
    enum { G = 16, MAXN = 1000 };
    static uint8_t xb[MAXN + 1];
    static float off[MAXN], sc[MAXN], y[MAXN + G];
    for (size_t li = 0; li < 40 + sizeof extra / sizeof extra[0]; li++) {
        const size_t n = li < 40 ? li : extra[li - 40];
        for (int form = 0; form < 3; form++) {
            /* forms: none (0, 1), uniform (pixels / 255 around 0.5), per column (random) */
            for (size_t i = 0; i < n; i++) {
                off[i] = form == 0 ? 0.0f : form == 1 ? 127.5f : th_rand_uniform(&rng, -300.0f, 300.0f);
                sc[i] = form == 0 ? 1.0f : form == 1 ? 1.0f / 255.0f : th_rand_uniform(&rng, -2.0f, 2.0f);
            }
            for (size_t i = 0; i <= n; i++)
                xb[i] = (uint8_t)(li + i * 7 + (size_t)form * 85); /* every byte value along the sizes */
            const uint8_t *x = xb + (li & 1); /* odd lengths start one byte past alignment */
            for (size_t i = 0; i < n + G; i++)
                y[i] = -777.0f;
            k->u8_vcvt(n, x, off, sc, y);
            size_t bad = 0, first = n;
            for (size_t i = 0; i < n; i++) {
                const float d = (float)x[i] - off[i], want = d * sc[i];
                if (memcmp(&want, &y[i], sizeof want) != 0 && bad++ == 0)
                    first = i;
            }
            CHECK(bad == 0, "n %zu form %d: %zu values differ from (x - offset) * scale, first at %zu (%a vs %a)", n,
                  form, bad, first, first < n ? (double)y[first] : 0.0,
                  first < n ? (double)(((float)x[first] - off[first]) * sc[first]) : 0.0);
            for (size_t i = n; i < n + G; i++)
                if (!CHECK(y[i] == -777.0f, "n %zu form %d: wrote y[%zu] past the end", n, form, i))
                    break;
        }
    }
}

TEST_ISA(act_lengths_and_tails)
{
    const myl_kernels *k, *scalar = myl_kernels_by_name("scalar");
    if (!CHECK(myl_kernels_get(&k) == 0 && scalar, "kernel tables"))
        return;
    static const size_t extra[] = {127, 128, 129, 255, 256, 257, 1000, 1023, 1025};
    const size_t n_len = 72 + sizeof extra / sizeof extra[0];
    const float slope = myelin_leaky_slope();
    enum { G = 16 };
    for (size_t li = 0; li < n_len; li++) {
        const size_t n = li < 72 ? li : extra[li - 72];
        /* x exactly n floats (+1 so it can start unaligned); outputs with guards */
        float *xb = malloc((n + 1) * sizeof(float)), *yb = malloc((n + 2 * G) * sizeof(float));
        float *zb = malloc((n + 1) * sizeof(float)), *ref = malloc((n + 1) * sizeof(float));
        if (!CHECK(xb && yb && zb && ref, "out of memory")) {
            free(xb); free(yb); free(zb); free(ref);
            return;
        }
        float *x = xb + (n & 1), *y = yb + G, *z = zb + (n & 1);
        for (size_t i = 0; i < n; i++)
            x[i] = th_rand_uniform(&rng, -12.0f, 12.0f);
        for (int a = MYELIN_ACT_LINEAR; a <= MYELIN_ACT_TANH; a++) {
            for (size_t i = 0; i < n + 2 * G; i++)
                yb[i] = -7.25f;
            memcpy(z, x, n * sizeof(float));
            int st = myelin_activate((myelin_act)a, 1, n, x, n, y, n);
            st |= myelin_activate((myelin_act)a, 1, n, z, n, z, n); /* in place */
            if (!CHECK(st == 0, "%s n=%zu: %s", act_name(a), n, myelin_last_error()))
                continue;
            size_t bad = 0;
            for (size_t i = 0; i < G; i++)
                bad += yb[i] != -7.25f || yb[G + n + i] != -7.25f;
            CHECK(bad == 0, "%s n=%zu: %zu guard floats around y overwritten", act_name(a), n, bad);
            bad = 0;
            for (size_t i = 0; i < n; i++) {
                const double r = ref_act((myelin_act)a, slope, x[i]);
                bad += !(fabs(y[i] - r) <= tol_act((myelin_act)a, r)) || float_bits(y[i]) != float_bits(z[i]);
            }
            CHECK(bad == 0, "%s n=%zu: %zu elements wrong or in-place differs", act_name(a), n, bad);
            /* piecewise-linear acts are bit-identical to the scalar path */
            if (a <= MYELIN_ACT_LEAKY_RELU && n) {
                scalar->vact(a, slope, n, x, ref);
                CHECK(memcmp(ref, y, n * sizeof(float)) == 0, "%s n=%zu differs from the scalar path",
                      act_name(a), n);
            }
            /* backward: bit-identical to the scalar path for every element-wise act */
            if (n) {
                for (size_t i = 0; i < n; i++)
                    z[i] = th_rand_uniform(&rng, -1.0f, 1.0f);
                for (size_t i = 0; i < n + 2 * G; i++)
                    yb[i] = -7.25f;
                k->vact_bwd(a, slope, n, x, z, y);
                scalar->vact_bwd(a, slope, n, x, z, ref);
                bad = 0;
                for (size_t i = 0; i < G; i++)
                    bad += yb[i] != -7.25f || yb[G + n + i] != -7.25f;
                CHECK(bad == 0 && memcmp(ref, y, n * sizeof(float)) == 0,
                      "%s backward n=%zu: guards hit or differs from the scalar path", act_name(a), n);
            }
        }
        /* exp through the tails */
        for (size_t i = 0; i < n + 2 * G; i++)
            yb[i] = -7.25f;
        CHECK(myelin_vexp(n, x, y) == 0, "vexp");
        size_t bad = 0;
        for (size_t i = 0; i < G; i++)
            bad += yb[i] != -7.25f || yb[G + n + i] != -7.25f;
        for (size_t i = 0; i < n; i++)
            bad += !(ulp_error(y[i], exp((double)x[i])) <= 3.0);
        CHECK(bad == 0, "exp n=%zu: %zu wrong or guards overwritten", n, bad);
        free(xb); free(yb); free(zb); free(ref);
    }
}

/* ------------------------------------- matrices: strides, softmax rows */

static void ref_rows(myelin_act act, float slope, size_t rows, size_t cols, const float *x, size_t ldx,
                     double *out)
{
    double *xr = malloc(cols * sizeof(double));
    for (size_t i = 0; i < rows; i++) {
        for (size_t j = 0; j < cols; j++)
            xr[j] = x[i * ldx + j];
        if (act == MYELIN_ACT_SOFTMAX)
            ref_softmax(cols, xr, out + i * cols);
        else
            for (size_t j = 0; j < cols; j++)
                out[i * cols + j] = ref_act(act, slope, xr[j]);
    }
    free(xr);
}

TEST_ISA(act_matrix_strided)
{
    static const size_t shapes[][3] = {{1, 1, 1}, {3, 17, 20}, {5, 64, 64}, {4, 65, 80}, {2, 257, 300},
                                       {7, 10, 13}, {1, 1000, 1000}};
    const float slope = myelin_leaky_slope();
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const size_t rows = shapes[s][0], cols = shapes[s][1], ld = shapes[s][2];
        float *x = malloc(rows * ld * sizeof(float)), *y = malloc(rows * ld * sizeof(float));
        double *r = malloc(rows * cols * sizeof(double));
        if (!CHECK(x && y && r, "out of memory")) {
            free(x); free(y); free(r);
            return;
        }
        for (size_t i = 0; i < rows * ld; i++)
            x[i] = th_rand_uniform(&rng, -20.0f, 20.0f);
        for (int a = MYELIN_ACT_LINEAR; a <= MYELIN_ACT_SOFTMAX; a++) {
            for (size_t i = 0; i < rows * ld; i++)
                y[i] = 99.0f;
            if (!CHECK(myelin_activate((myelin_act)a, rows, cols, x, ld, y, ld) == 0, "%s", myelin_last_error()))
                continue;
            ref_rows((myelin_act)a, slope, rows, cols, x, ld, r);
            size_t bad = 0, pad = 0;
            for (size_t i = 0; i < rows; i++) {
                for (size_t j = 0; j < cols; j++) {
                    const double ref = r[i * cols + j], got = y[i * ld + j];
                    const double tol = a == MYELIN_ACT_SOFTMAX ? 4e-6 * ref + 1e-30 : tol_act((myelin_act)a, ref);
                    bad += !(fabs(got - ref) <= tol);
                }
                for (size_t j = cols; j < ld; j++)
                    pad += y[i * ld + j] != 99.0f;
            }
            CHECK(bad == 0 && pad == 0, "%s %zux%zu ld %zu: %zu wrong, %zu padding floats written", act_name(a),
                  rows, cols, ld, bad, pad);
        }
        free(x); free(y); free(r);
    }
}

TEST_ISA(act_softmax_extreme_rows)
{
    static const size_t lens[] = {1, 2, 3, 16, 17, 31, 64, 257, 1000, 100003};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        const size_t n = lens[li];
        float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
        double *xd = malloc(n * sizeof(double)), *rd = malloc(n * sizeof(double));
        for (int kind = 0; kind < 5; kind++) {
            for (size_t j = 0; j < n; j++) {
                switch (kind) {
                case 0: x[j] = (th_rand_u64(&rng) & 1) ? 1e4f : -1e4f; break;          /* +-1e4 */
                case 1: x[j] = th_rand_uniform(&rng, -1e4f, 1e4f); break;              /* spread over +-1e4 */
                case 2: x[j] = th_rand_uniform(&rng, 0.0f, 1.0f); break;               /* small ... */
                case 3: x[j] = th_rand_uniform(&rng, -1.0f, 1.0f); break;
                default: x[j] = 0.25f; break;                                          /* all equal */
                }
            }
            if (kind == 2) x[n / 2] = 1e4f;   /* ... with one huge value */
            if (kind == 3) x[n - 1] = 3e38f;  /* near FLT_MAX */
            for (size_t j = 0; j < n; j++)
                xd[j] = x[j];
            ref_softmax(n, xd, rd);
            if (!CHECK(myelin_activate(MYELIN_ACT_SOFTMAX, 1, n, x, n, y, n) == 0, "%s", myelin_last_error()))
                continue;
            double sum = 0.0;
            size_t bad = 0;
            for (size_t j = 0; j < n; j++) {
                sum += y[j];
                bad += !isfinite(y[j]) || !(fabs(y[j] - rd[j]) <= 4e-6 * rd[j] + 1e-30);
            }
            CHECK(bad == 0 && fabs(sum - 1.0) <= 1e-6, "softmax kind %d n=%zu: %zu wrong, sum - 1 = %.3g", kind,
                  n, bad, sum - 1.0);
        }
        free(x); free(y); free(xd); free(rd);
    }
}

/* Softmax forward and backward on every class count 1..17 (the paths'
   batch kernels take n <= 16 in registers, 4 or more rows at a time) and
   33, row counts around those groups, strided (ld > n, the padding not
   written) and in place: against double, each row's bytes the same as the
   row alone (no dependence on its group), in place the same as out of
   place. */
TEST_ISA(act_softmax_rows_all_widths)
{
    enum { MAXR = 11, MAXN = 33, LD = 37 };
    static const size_t ns[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 33};
    float *x = malloc(MAXR * LD * sizeof(float)), *y = malloc(MAXR * LD * sizeof(float));
    float *dy = malloc(MAXR * LD * sizeof(float)), *dx = malloc(MAXR * LD * sizeof(float));
    float *w = malloc(MAXR * LD * sizeof(float)), *one = malloc(MAXN * sizeof(float));
    if (!CHECK(x && y && dy && dx && w && one, "out of memory"))
        goto out;
    for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++)
        for (size_t rows = 1; rows <= MAXR; rows += 1 + (rows >= 5)) {
            const size_t n = ns[ni];
            for (size_t i = 0; i < MAXR * LD; i++) {
                x[i] = th_rand_uniform(&rng, -30.0f, 30.0f);
                dy[i] = th_rand_uniform(&rng, -1.0f, 1.0f);
                y[i] = dx[i] = 99.0f;
            }
            int st = myelin_activate(MYELIN_ACT_SOFTMAX, rows, n, x, LD, y, LD);
            st |= myelin_activate_backward(MYELIN_ACT_SOFTMAX, rows, n, y, LD, dy, LD, dx, LD);
            if (!CHECK(st == 0, "n %zu rows %zu: %s", n, rows, myelin_last_error()))
                goto out;
            size_t bad = 0, pad = 0, group = 0;
            for (size_t i = 0; i < rows; i++) {
                double xd[MAXN], rd[MAXN], s = 0.0;
                for (size_t j = 0; j < n; j++)
                    xd[j] = x[i * LD + j];
                ref_softmax(n, xd, rd);
                for (size_t j = 0; j < n; j++) {
                    bad += !(fabs(y[i * LD + j] - rd[j]) <= 4e-6 * rd[j] + 1e-30);
                    s += (double)dy[i * LD + j] * y[i * LD + j];
                }
                for (size_t j = 0; j < n; j++) {
                    const double want = y[i * LD + j] * (dy[i * LD + j] - s);
                    bad += !(fabs(dx[i * LD + j] - want) <= 1e-6 * fabs(dy[i * LD + j]) * y[i * LD + j] + 1e-30 +
                                                                 1e-6 * fabs(want));
                }
                for (size_t j = n; j < LD; j++)
                    pad += y[i * LD + j] != 99.0f || dx[i * LD + j] != 99.0f;
                /* the row alone */
                st |= myelin_activate(MYELIN_ACT_SOFTMAX, 1, n, x + i * LD, n, one, n);
                group += memcmp(one, y + i * LD, n * sizeof(float)) != 0;
                st |= myelin_activate_backward(MYELIN_ACT_SOFTMAX, 1, n, y + i * LD, n, dy + i * LD, n, one, n);
                group += memcmp(one, dx + i * LD, n * sizeof(float)) != 0;
            }
            /* in place: x -> x, dy -> dy */
            memcpy(w, x, MAXR * LD * sizeof(float));
            st |= myelin_activate(MYELIN_ACT_SOFTMAX, rows, n, w, LD, w, LD);
            size_t inplace = 0;
            for (size_t i = 0; i < rows; i++)
                inplace += memcmp(w + i * LD, y + i * LD, n * sizeof(float)) != 0;
            memcpy(w, dy, MAXR * LD * sizeof(float));
            st |= myelin_activate_backward(MYELIN_ACT_SOFTMAX, rows, n, y, LD, w, LD, w, LD);
            for (size_t i = 0; i < rows; i++)
                inplace += memcmp(w + i * LD, dx + i * LD, n * sizeof(float)) != 0;
            CHECK(st == 0 && bad == 0 && pad == 0 && group == 0 && inplace == 0,
                  "softmax n %zu rows %zu ld %d: %zu wrong, %zu padding written, %zu rows differ from the row "
                  "alone, %zu differ in place (%s)", n, rows, (int)LD, bad, pad, group, inplace,
                  st ? myelin_last_error() : "ok");
        }
out:
    free(x); free(y); free(dy); free(dx); free(w); free(one);
}

/* One long row (more cells than a thread team's threshold, fewer rows than
   threads): every thread's share of the rows but one is empty, and the row
   must still be computed, forward and backward. */
TEST_ISA(act_softmax_one_long_row)
{
    const size_t n = 100003;
    float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float)), *dy = malloc(n * sizeof(float));
    float *dx = malloc(n * sizeof(float));
    if (!CHECK(x && y && dy && dx, "out of memory"))
        goto out;
    for (size_t j = 0; j < n; j++) {
        x[j] = th_rand_uniform(&rng, -5.0f, 5.0f);
        dy[j] = th_rand_uniform(&rng, -1.0f, 1.0f);
        dx[j] = 99.0f;
    }
    const int saved = myelin_num_threads();
    int st = myelin_set_num_threads(2);
    st |= myelin_activate(MYELIN_ACT_SOFTMAX, 1, n, x, n, y, n);
    st |= myelin_activate_backward(MYELIN_ACT_SOFTMAX, 1, n, y, n, dy, n, dx, n);
    myelin_set_num_threads(saved == myl_physical_cores() ? 0 : saved);
    double s = 0.0, sum = 0.0;
    for (size_t j = 0; j < n; j++) {
        s += (double)dy[j] * y[j];
        sum += y[j];
    }
    size_t bad = 0;
    for (size_t j = 0; j < n; j++) {
        const double want = y[j] * (dy[j] - s);
        bad += !(fabs(dx[j] - want) <= 1e-6 * fabs(want) + 1e-6 * y[j]);
    }
    CHECK(st == 0 && bad == 0 && fabs(sum - 1.0) <= 1e-5, "1 x %zu: %zu of dx wrong, sum of y - 1 = %.3g", n, bad,
          sum - 1.0);
out:
    free(x); free(y); free(dy); free(dx);
}

/* ------------------------------- backward against finite differences */

/* L(x) = sum_j dy_j act(x)_j over one row, in double. */
static double row_objective(myelin_act act, double slope, size_t n, const double *x, const float *dy,
                            double *tmp)
{
    double s = 0.0;
    if (act == MYELIN_ACT_SOFTMAX) {
        ref_softmax(n, x, tmp);
        for (size_t j = 0; j < n; j++)
            s += dy[j] * tmp[j];
    } else {
        for (size_t j = 0; j < n; j++)
            s += dy[j] * ref_act(act, slope, x[j]);
    }
    return s;
}

TEST_ISA(act_backward_finite_differences)
{
    static const size_t shapes[][2] = {{1, 1}, {3, 17}, {2, 64}, {4, 33}};
    const double slope = myelin_leaky_slope();
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const size_t rows = shapes[s][0], cols = shapes[s][1], n = rows * cols;
        float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float)), *dy = malloc(n * sizeof(float));
        float *dx = malloc(n * sizeof(float)), *dx2 = malloc(n * sizeof(float));
        double *xd = malloc(cols * sizeof(double)), *tmp = malloc(cols * sizeof(double));
        for (int a = MYELIN_ACT_LINEAR; a <= MYELIN_ACT_SOFTMAX; a++) {
            for (size_t i = 0; i < n; i++) {
                do
                    x[i] = th_rand_uniform(&rng, -3.0f, 3.0f);
                while (fabsf(x[i]) < 0.05f); /* keep clear of the kink of relu */
                dy[i] = th_rand_uniform(&rng, -1.0f, 1.0f);
            }
            int st = myelin_activate((myelin_act)a, rows, cols, x, cols, y, cols);
            st |= myelin_activate_backward((myelin_act)a, rows, cols, y, cols, dy, cols, dx, cols);
            memcpy(dx2, dy, n * sizeof(float));
            st |= myelin_activate_backward((myelin_act)a, rows, cols, y, cols, dx2, cols, dx2, cols); /* dx = dy */
            if (!CHECK(st == 0, "%s: %s", act_name(a), myelin_last_error()))
                continue;
            size_t bad = 0;
            double worst = 0.0;
            for (size_t i = 0; i < rows; i++) {
                for (size_t j = 0; j < cols; j++)
                    xd[j] = x[i * cols + j];
                for (size_t j = 0; j < cols; j++) {
                    const double h = 1e-4, x0 = xd[j];
                    xd[j] = x0 + h;
                    const double lp = row_objective((myelin_act)a, slope, cols, xd, dy + i * cols, tmp);
                    xd[j] = x0 - h;
                    const double lm = row_objective((myelin_act)a, slope, cols, xd, dy + i * cols, tmp);
                    xd[j] = x0;
                    const double fd = (lp - lm) / (2 * h), got = dx[i * cols + j];
                    const double err = fabs(got - fd) / (1e-6 + 1e-5 * fabs(fd));
                    worst = err > worst ? err : worst;
                    bad += !(err <= 1.0) || float_bits(dx[i * cols + j]) != float_bits(dx2[i * cols + j]);
                }
            }
            CHECK(bad == 0, "%s backward %zux%zu: %zu elements off the finite difference (worst %.2g x tol) "
                  "or in-place differs", act_name(a), rows, cols, bad, worst);
        }
        free(x); free(y); free(dy); free(dx); free(dx2); free(xd); free(tmp);
    }
}

/* ------------------------------------------------ thread invariance */

TEST_ISA(act_thread_invariance)
{
    const size_t rows = 301, cols = 300, n = rows * cols; /* above the parallel threshold */
    float *x = malloc(n * sizeof(float)), *dy = malloc(n * sizeof(float));
    float *y1 = malloc(n * sizeof(float)), *y2 = malloc(n * sizeof(float));
    float *d1 = malloc(n * sizeof(float)), *d2 = malloc(n * sizeof(float));
    if (!CHECK(x && dy && y1 && y2 && d1 && d2, "out of memory"))
        goto out;
    for (size_t i = 0; i < n; i++) {
        x[i] = th_rand_uniform(&rng, -30.0f, 30.0f);
        dy[i] = th_rand_uniform(&rng, -1.0f, 1.0f);
    }
    const int saved = myelin_num_threads();
    for (int a = MYELIN_ACT_LINEAR; a <= MYELIN_ACT_SOFTMAX; a++) {
        int st = myelin_set_num_threads(1);
        st |= myelin_activate((myelin_act)a, rows, cols, x, cols, y1, cols);
        st |= myelin_activate_backward((myelin_act)a, rows, cols, y1, cols, dy, cols, d1, cols);
        st |= myelin_set_num_threads(2);
        st |= myelin_activate((myelin_act)a, rows, cols, x, cols, y2, cols);
        st |= myelin_activate_backward((myelin_act)a, rows, cols, y2, cols, dy, cols, d2, cols);
        CHECK(st == 0 && memcmp(y1, y2, n * sizeof(float)) == 0 && memcmp(d1, d2, n * sizeof(float)) == 0,
              "%s: results differ between 1 and 2 threads", act_name(a));
    }
    myelin_set_num_threads(1);
    myelin_vtanh(n, x, y1);
    myelin_set_num_threads(2);
    myelin_vtanh(n, x, y2);
    CHECK(memcmp(y1, y2, n * sizeof(float)) == 0, "vtanh differs between 1 and 2 threads");
    myelin_set_num_threads(saved == myl_physical_cores() ? 0 : saved);
out:
    free(x); free(dy); free(y1); free(y2); free(d1); free(d2);
}

/* ---------------------------------------------------------- arguments */

TEST(act_arguments)
{
    float b[8] = {0};
    CHECK(myelin_activate((myelin_act)6, 1, 1, b, 1, b, 1) == MYELIN_EINVAL, "act 6 accepted");
    CHECK(myelin_activate((myelin_act)-1, 1, 1, b, 1, b, 1) == MYELIN_EINVAL, "act -1 accepted");
    CHECK(strstr(myelin_last_error(), "act") != NULL, "message names act: %s", myelin_last_error());
    CHECK(myelin_activate(MYELIN_ACT_RELU, 1, 2, NULL, 2, b, 2) == MYELIN_EINVAL, "x NULL accepted");
    CHECK(myelin_activate(MYELIN_ACT_RELU, 1, 2, b, 2, NULL, 2) == MYELIN_EINVAL, "y NULL accepted");
    CHECK(myelin_activate(MYELIN_ACT_RELU, 2, 4, b, 3, b + 4, 4) == MYELIN_EINVAL, "ldx < cols accepted");
    CHECK(strstr(myelin_last_error(), "ldx") || strstr(myelin_last_error(), "x"), "message: %s",
          myelin_last_error());
    CHECK(myelin_activate(MYELIN_ACT_RELU, 2, 2, b, 2, b, 4) == MYELIN_EINVAL, "in place with ldx != ldy");
    CHECK(myelin_activate(MYELIN_ACT_RELU, SIZE_MAX / 2, 4, b, SIZE_MAX / 4, b, SIZE_MAX / 4) == MYELIN_EINVAL,
          "overflowing extent accepted");
    CHECK(myelin_activate(MYELIN_ACT_RELU, 0, 4, NULL, 4, NULL, 4) == MYELIN_OK, "0 rows is a no-op");
    CHECK(myelin_activate_backward(MYELIN_ACT_SIGMOID, 1, 2, b, 2, NULL, 2, b, 2) == MYELIN_EINVAL,
          "dy NULL accepted");
    CHECK(myelin_activate_backward(MYELIN_ACT_SIGMOID, 1, 4, b, 4, b, 4, b, 3) == MYELIN_EINVAL,
          "lddx < cols accepted");
    CHECK(myelin_activate_backward((myelin_act)9, 1, 1, b, 1, b, 1, b, 1) == MYELIN_EINVAL, "act 9 accepted");
    CHECK(myelin_vexp(4, NULL, b) == MYELIN_EINVAL && myelin_vsigmoid(4, b, NULL) == MYELIN_EINVAL &&
              myelin_vtanh(4, NULL, NULL) == MYELIN_EINVAL,
          "NULL vectors accepted");
    CHECK(myelin_vexp(0, NULL, NULL) == MYELIN_OK, "n = 0 is a no-op");
    CHECK(myelin_set_leaky_slope(NAN) == MYELIN_EINVAL && myelin_set_leaky_slope(INFINITY) == MYELIN_EINVAL,
          "non-finite slope accepted");
    CHECK(myelin_leaky_slope() == 0.01f, "default slope %g", (double)myelin_leaky_slope());
    CHECK(myelin_set_leaky_slope(0.2f) == 0 && myelin_leaky_slope() == 0.2f, "slope not set");
    const float x[2] = {-1.0f, 2.0f};
    float y[2];
    CHECK(myelin_activate(MYELIN_ACT_LEAKY_RELU, 1, 2, x, 2, y, 2) == 0 && y[0] == -0.2f && y[1] == 2.0f,
          "leaky with slope 0.2: %g %g", (double)y[0], (double)y[1]);
    myelin_set_leaky_slope(0.01f);
}

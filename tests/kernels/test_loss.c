/* Losses on every kernel path: values against double references, gradients
 * against central finite differences of the double loss, the fused forms on
 * extreme logits (finite where log(softmax) is -inf), clamping, aliasing of
 * grad and y, argument errors. */
#include "../harness.h"
#include "act_ref.h"
#include "myelin.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x1055;

static const char *loss_name(myelin_loss l)
{
    static const char *names[] = {"mse", "mae", "bce", "bce_logits", "ce", "softmax_ce"};
    return (unsigned)l < 6 ? names[l] : "?";
}

/* Loss of one row in double (the definition, clamps included). */
static double ref_row_loss(myelin_loss loss, size_t n, const double *y, const float *t)
{
    const double eps = 1e-7;
    double s = 0.0;
    if (loss == MYELIN_LOSS_SOFTMAX_CE) {
        double m = -INFINITY, e = 0.0;
        for (size_t j = 0; j < n; j++)
            m = y[j] > m ? y[j] : m;
        for (size_t j = 0; j < n; j++)
            e += exp(y[j] - m);
        const double lse = m + log(e);
        for (size_t j = 0; j < n; j++)
            s += t[j] * (lse - y[j]);
        return s;
    }
    for (size_t j = 0; j < n; j++) {
        const double d = y[j] - t[j];
        switch (loss) {
        case MYELIN_LOSS_MSE: s += 0.5 * d * d; break;
        case MYELIN_LOSS_MAE: s += fabs(d); break;
        case MYELIN_LOSS_BCE: {
            const double q = fmin(fmax(y[j], eps), 1 - eps);
            s -= t[j] * log(q) + (1 - t[j]) * log(1 - q);
            break;
        }
        case MYELIN_LOSS_BCE_LOGITS: s += fmax(y[j], 0) - y[j] * t[j] + log1p(exp(-fabs(y[j]))); break;
        case MYELIN_LOSS_CE: s -= t[j] * log(fmin(fmax(y[j], eps), 1.0)); break;
        default: break;
        }
    }
    return s;
}

/* Inputs in each loss's domain, away from kinks and clamps so that central
   differences are meaningful. */
static void fill_inputs(myelin_loss loss, size_t rows, size_t cols, float *y, size_t ldy, float *t, size_t ldt)
{
    for (size_t i = 0; i < rows; i++) {
        double tsum = 0.0;
        for (size_t j = 0; j < cols; j++) {
            float yv, tv;
            switch (loss) {
            case MYELIN_LOSS_BCE: case MYELIN_LOSS_CE:
                yv = th_rand_uniform(&rng, 0.05f, 0.95f);
                tv = th_rand_uniform(&rng, 0.0f, 1.0f);
                break;
            case MYELIN_LOSS_MAE:
                tv = th_rand_uniform(&rng, -1.0f, 1.0f);
                yv = tv + (th_rand_u64(&rng) & 1 ? 1.0f : -1.0f) * th_rand_uniform(&rng, 0.01f, 1.0f);
                break;
            default:
                yv = th_rand_uniform(&rng, -4.0f, 4.0f);
                tv = th_rand_uniform(&rng, 0.0f, 1.0f);
                break;
            }
            y[i * ldy + j] = yv;
            t[i * ldt + j] = tv;
            tsum += tv;
        }
        if (loss == MYELIN_LOSS_SOFTMAX_CE || loss == MYELIN_LOSS_CE) /* a distribution per row */
            for (size_t j = 0; j < cols; j++)
                t[i * ldt + j] = (float)(t[i * ldt + j] / tsum);
    }
}

TEST_ISA(loss_values_and_gradients)
{
    static const size_t shapes[][3] = {{1, 1, 1}, {3, 17, 17}, {32, 10, 12}, {5, 64, 64}, {2, 257, 260}};
    for (int l = MYELIN_LOSS_MSE; l <= MYELIN_LOSS_SOFTMAX_CE; l++) {
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            const size_t rows = shapes[s][0], cols = shapes[s][1], ld = shapes[s][2];
            if (cols == 1 && l == MYELIN_LOSS_SOFTMAX_CE)
                continue; /* the gradient is identically 0 */
            float *y = malloc(rows * ld * sizeof(float)), *t = malloc(rows * ld * sizeof(float));
            float *g = malloc(rows * ld * sizeof(float)), *g2 = malloc(rows * ld * sizeof(float));
            double *yd = malloc(cols * sizeof(double));
            fill_inputs((myelin_loss)l, rows, cols, y, ld, t, ld);
            float loss = NAN, loss2 = NAN;
            int st = myelin_loss_eval((myelin_loss)l, rows, cols, y, ld, t, ld, &loss, g, ld);
            memcpy(g2, y, rows * ld * sizeof(float));
            st |= myelin_loss_eval((myelin_loss)l, rows, cols, g2, ld, t, ld, &loss2, g2, ld); /* grad = y */
            if (!CHECK(st == 0, "%s: %s", loss_name(l), myelin_last_error()))
                goto next;
            double ref = 0.0;
            size_t bad = 0, alias = 0;
            double worst = 0.0;
            for (size_t i = 0; i < rows; i++) {
                for (size_t j = 0; j < cols; j++)
                    yd[j] = y[i * ld + j];
                ref += ref_row_loss((myelin_loss)l, cols, yd, t + i * ld);
                for (size_t j = 0; j < cols; j++) {
                    const double x0 = yd[j], h = 1e-6 * fmax(1.0, fabs(x0));
                    yd[j] = x0 + h;
                    const double lp = ref_row_loss((myelin_loss)l, cols, yd, t + i * ld);
                    yd[j] = x0 - h;
                    const double lm = ref_row_loss((myelin_loss)l, cols, yd, t + i * ld);
                    yd[j] = x0;
                    const double fd = (lp - lm) / (2 * h) / (double)rows, got = g[i * ld + j];
                    const double err = fabs(got - fd) / (1e-7 / (double)rows + 1e-5 * fabs(fd));
                    worst = err > worst ? err : worst;
                    bad += !(err <= 1.0);
                    alias += memcmp(&g[i * ld + j], &g2[i * ld + j], sizeof(float)) != 0;
                }
            }
            ref /= (double)rows;
            CHECK(fabs(loss - ref) <= 2e-6 * fabs(ref) + 1e-9, "%s %zux%zu: loss %.9g, reference %.9g", loss_name(l),
                  rows, cols, (double)loss, ref);
            CHECK(bad == 0, "%s %zux%zu: %zu gradient entries off the central difference (worst %.2g x tol)",
                  loss_name(l), rows, cols, bad, worst);
            CHECK(alias == 0 && loss2 == loss, "%s %zux%zu: grad aliasing y changes %zu entries", loss_name(l), rows,
                  cols, alias);
        next:
            free(y); free(t); free(g); free(g2); free(yd);
        }
    }
}

TEST_ISA(loss_fused_extremes)
{
    /* logits far apart: log(softmax) of the target class is -inf in float */
    const float z[3] = {1e4f, -1e4f, 0.0f}, t[3] = {0.0f, 1.0f, 0.0f};
    float p[3] = {0}, loss = NAN, g[3];
    CHECK(myelin_activate(MYELIN_ACT_SOFTMAX, 1, 3, z, 3, p, 3) == 0 && isinf(logf(p[1])),
          "separate log(softmax) should be -inf here: p = %g", (double)p[1]);
    CHECK(myelin_loss_eval(MYELIN_LOSS_SOFTMAX_CE, 1, 3, z, 3, t, 3, &loss, g, 3) == 0, "call");
    CHECK(isfinite(loss) && fabs(loss - 2e4) <= 2e4 * 1e-6, "softmax-CE loss %g, expected 2e4", (double)loss);
    CHECK(g[0] == 1.0f && g[1] == -1.0f && g[2] == 0.0f, "softmax-CE gradient %g %g %g", (double)g[0],
          (double)g[1], (double)g[2]);

    /* a huge logit among small ones, several rows: finite, matches log-sum-exp */
    float zz[2 * 5] = {88.0f, 0.1f, -0.2f, 0.3f, 0.0f, -3e38f, 3e38f, 1.0f, 2.0f, -1.0f};
    float tt[2 * 5] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0};
    CHECK(myelin_loss_eval(MYELIN_LOSS_SOFTMAX_CE, 2, 5, zz, 5, tt, 5, &loss, NULL, 0) == 0, "call");
    const double expect = ((88.0 - 0.1) + (3e38 + 3e38)) / 2; /* lse ~ the max, minus the target logit */
    CHECK(isfinite(loss) && fabs(loss - expect) <= 1e-6 * expect, "loss %g, expected %g", (double)loss, expect);

    /* sigmoid + BCE on logits: finite for any logit */
    const float zl[4] = {-1e4f, 1e4f, -100.0f, 50.0f}, tl[4] = {1.0f, 0.0f, 1.0f, 1.0f};
    float gl[4];
    CHECK(myelin_loss_eval(MYELIN_LOSS_BCE_LOGITS, 4, 1, zl, 1, tl, 1, &loss, gl, 1) == 0, "call");
    const double el = (1e4 + 1e4 + 100.0 + log1p(exp(-50.0))) / 4;
    CHECK(isfinite(loss) && fabs(loss - el) <= 1e-6 * el, "bce_logits loss %g, expected %g", (double)loss, el);
    CHECK(gl[0] == -0.25f && gl[1] == 0.25f && gl[3] <= 0.0f && gl[3] > -1e-20f, "bce_logits grad %g %g %g",
          (double)gl[0], (double)gl[1], (double)gl[3]);

    /* clamped losses on probabilities 0 and 1: finite, at -log(1e-7) */
    const float yp[2] = {0.0f, 1.0f}, tp[2] = {1.0f, 0.0f};
    float gp[2];
    CHECK(myelin_loss_eval(MYELIN_LOSS_BCE, 2, 1, yp, 1, tp, 1, &loss, gp, 1) == 0, "call");
    CHECK(fabs(loss + log(1e-7)) < 1e-4 && isfinite(gp[0]) && isfinite(gp[1]) && gp[0] < 0 && gp[1] > 0,
          "bce clamped: loss %g grad %g %g", (double)loss, (double)gp[0], (double)gp[1]);
    CHECK(myelin_loss_eval(MYELIN_LOSS_CE, 1, 2, yp, 2, tp, 2, &loss, gp, 2) == 0, "call");
    CHECK(fabs(loss + log(1e-7)) < 1e-4 && isfinite(gp[0]), "ce clamped: loss %g grad %g", (double)loss,
          (double)gp[0]);

    /* a NaN output is a NaN loss for every loss (training stops on it), not a
       finite one from a clamp or a skipped term */
    const myelin_loss all[] = {MYELIN_LOSS_MSE, MYELIN_LOSS_MAE, MYELIN_LOSS_BCE, MYELIN_LOSS_BCE_LOGITS,
                               MYELIN_LOSS_CE, MYELIN_LOSS_SOFTMAX_CE};
    for (size_t li = 0; li < sizeof all / sizeof all[0]; li++)
        for (size_t col = 0; col < 3; col++) {
            float yn[2 * 3] = {0.2f, 0.3f, 0.5f, 0.1f, 0.6f, 0.3f}, tn[2 * 3] = {0, 1, 0, 1, 0, 0};
            yn[3 + col] = NAN;
            loss = 0.0f;
            CHECK(myelin_loss_eval(all[li], 2, 3, yn, 3, tn, 3, &loss, NULL, 0) == 0, "call");
            CHECK(isnan(loss), "loss %d, NaN output in column %zu: loss %g, want NaN", (int)all[li], col,
                  (double)loss);
        }
}

TEST(loss_arguments)
{
    float y[4] = {0.5f, 0.5f, 0.5f, 0.5f}, t[4] = {1, 0, 0, 1}, g[4], loss;
    CHECK(myelin_loss_eval((myelin_loss)6, 1, 1, y, 1, t, 1, &loss, NULL, 0) == MYELIN_EINVAL, "loss 6 accepted");
    CHECK(strstr(myelin_last_error(), "loss") != NULL, "message: %s", myelin_last_error());
    CHECK(myelin_loss_eval(MYELIN_LOSS_MSE, 0, 1, y, 1, t, 1, &loss, NULL, 0) == MYELIN_EINVAL, "0 rows accepted");
    CHECK(myelin_loss_eval(MYELIN_LOSS_MSE, 1, 0, y, 1, t, 1, &loss, NULL, 0) == MYELIN_EINVAL, "0 cols accepted");
    CHECK(myelin_loss_eval(MYELIN_LOSS_MSE, 1, 1, NULL, 1, t, 1, &loss, NULL, 0) == MYELIN_EINVAL, "y NULL");
    CHECK(myelin_loss_eval(MYELIN_LOSS_MSE, 1, 1, y, 1, NULL, 1, &loss, NULL, 0) == MYELIN_EINVAL, "t NULL");
    CHECK(myelin_loss_eval(MYELIN_LOSS_MSE, 1, 1, y, 1, t, 1, NULL, NULL, 0) == MYELIN_EINVAL, "loss_out NULL");
    CHECK(myelin_loss_eval(MYELIN_LOSS_MSE, 2, 2, y, 1, t, 2, &loss, NULL, 0) == MYELIN_EINVAL, "ldy < cols");
    CHECK(strstr(myelin_last_error(), "y") != NULL, "message: %s", myelin_last_error());
    CHECK(myelin_loss_eval(MYELIN_LOSS_MSE, 2, 2, y, 2, t, 2, &loss, g, 1) == MYELIN_EINVAL, "ldg < cols");
    CHECK(myelin_loss_eval(MYELIN_LOSS_MSE, 1, 2, y, 2, t, 2, &loss, y, 3) == MYELIN_EINVAL, "alias, ldg != ldy");
    CHECK(myelin_loss_eval(MYELIN_LOSS_MSE, 2, 2, y, 2, t, 2, &loss, g, 2) == MYELIN_OK, "valid call: %s",
          myelin_last_error());
    /* MSE = mean over rows of sum 1/2 (y-t)^2: rows (0.5-1, 0.5-0), (0.5-0, 0.5-1) -> 0.25 per row */
    CHECK(loss == 0.25f && g[0] == -0.25f && g[1] == 0.25f, "mse %g, grad %g %g", (double)loss, (double)g[0],
          (double)g[1]);
}

/* Softmax-CE on dense narrow rows (ld = cols, 2..16 classes), the form that
   takes the path's batch kernel: every row count around its group of 4, 8
   or 16 rows, every class count from 2 to 16; loss and gradient against
   double, the gradient per element. */
TEST_ISA(loss_softmax_ce_dense_rows)
{
    static const size_t rows_l[] = {1, 3, 4, 5, 7, 8, 9, 17, 33},
                        cols_l[] = {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    float z[33 * 16], t[33 * 16], g[33 * 16];
    for (size_t ri = 0; ri < sizeof rows_l / sizeof rows_l[0]; ri++)
        for (size_t ci = 0; ci < sizeof cols_l / sizeof cols_l[0]; ci++) {
            const size_t rows = rows_l[ri], n = cols_l[ci];
            for (size_t i = 0; i < rows; i++)
                for (size_t j = 0; j < n; j++) {
                    z[i * n + j] = (float)((int)((i * 7 + j * 13) % 23) - 11) * 0.37f;
                    t[i * n + j] = j == (i * 5) % n ? 1.0f : 0.0f;
                }
            float loss = NAN;
            if (!CHECK(myelin_loss_eval(MYELIN_LOSS_SOFTMAX_CE, rows, n, z, n, t, n, &loss, g, n) == 0, "%s",
                       myelin_last_error()))
                return;
            double ref = 0.0, worst = 0.0;
            for (size_t i = 0; i < rows; i++) {
                double y[16], m = -INFINITY, e = 0.0;
                for (size_t j = 0; j < n; j++)
                    m = fmax(m, (y[j] = z[i * n + j]));
                for (size_t j = 0; j < n; j++)
                    e += exp(y[j] - m);
                ref += ref_row_loss(MYELIN_LOSS_SOFTMAX_CE, n, y, t + i * n);
                for (size_t j = 0; j < n; j++) {
                    const double want = (exp(y[j] - m) / e - t[i * n + j]) / (double)rows;
                    worst = fmax(worst, fabs(g[i * n + j] - want) / (1e-7 / (double)rows + 1e-6 * fabs(want)));
                }
            }
            ref /= (double)rows;
            CHECK(fabs(loss - ref) <= 1e-6 * fabs(ref) + 1e-7, "%zux%zu: loss %.9g, want %.9g", rows, n,
                  (double)loss, ref);
            CHECK(worst <= 1.0, "%zux%zu: gradient off by %.2g x tol", rows, n, worst);
        }
}

/* The dense softmax-CE form with targets that are not one-hot: rows of zeros
   (no loss, gradient p / rows), soft targets, and non-finite logits in one
   row (+inf, NaN, -inf: the loss is NaN for the first two; a -inf logit of
   a class with t = 0 only gets p = 0), for row counts around the groups. */
TEST_ISA(loss_softmax_ce_dense_targets_and_nonfinite)
{
    float z[9 * 10], t[9 * 10], g[9 * 10];
    for (size_t rows = 1; rows <= 9; rows++) {
        const size_t n = 10;
        for (int kind = 0; kind < 4; kind++) {
            for (size_t i = 0; i < rows * n; i++) {
                z[i] = th_rand_uniform(&rng, -6.0f, 6.0f);
                t[i] = 0.0f;
            }
            for (size_t i = 0; i < rows; i++)
                if (i % 3 == 1) { /* soft target */
                    t[i * n + 2] = 0.25f;
                    t[i * n + 7] = 0.75f;
                } else if (i % 3 == 2) { /* one-hot */
                    t[i * n + i % n] = 1.0f;
                } /* i % 3 == 0: all zeros */
            const size_t bad_row = rows - 1;
            if (kind == 1) z[bad_row * n + 4] = INFINITY;
            if (kind == 2) z[bad_row * n + 4] = NAN;
            if (kind == 3) { /* -inf where t = 0 */
                for (size_t j = 0; j < n; j++)
                    if (t[bad_row * n + j] == 0.0f) {
                        z[bad_row * n + j] = -INFINITY;
                        break;
                    }
            }
            const int nan_row = (kind == 1 || kind == 2) && bad_row % 3 != 0; /* NaN only where some t != 0 */
            float loss = 0.0f;
            if (!CHECK(myelin_loss_eval(MYELIN_LOSS_SOFTMAX_CE, rows, n, z, n, t, n, &loss, g, n) == 0, "%s",
                       myelin_last_error()))
                return;
            if (kind == 1 || kind == 2) {
                if (nan_row)
                    CHECK(isnan(loss), "rows %zu kind %d: loss %g, want NaN", rows, kind, (double)loss);
                continue;
            }
            double ref = 0.0, worst = 0.0;
            for (size_t i = 0; i < rows; i++) {
                double y[16];
                for (size_t j = 0; j < n; j++)
                    y[j] = z[i * n + j];
                double m = -INFINITY, e = 0.0;
                for (size_t j = 0; j < n; j++)
                    m = fmax(m, y[j]);
                for (size_t j = 0; j < n; j++)
                    e += exp(y[j] - m);
                for (size_t j = 0; j < n; j++) /* t = 0 terms left out (0 * inf) */
                    if (t[i * n + j] != 0.0f)
                        ref += t[i * n + j] * (m + log(e) - y[j]);
                for (size_t j = 0; j < n; j++) {
                    const double want = (exp(y[j] - m) / e - t[i * n + j]) / (double)rows;
                    worst = fmax(worst, fabs(g[i * n + j] - want) / (1e-7 / (double)rows + 1e-6 * fabs(want)));
                }
            }
            ref /= (double)rows;
            CHECK(fabs(loss - ref) <= 1e-6 * fabs(ref) + 1e-7, "rows %zu kind %d: loss %.9g, want %.9g", rows,
                  kind, (double)loss, ref);
            CHECK(worst <= 1.0, "rows %zu kind %d: gradient off by %.2g x tol", rows, kind, worst);
        }
    }
}

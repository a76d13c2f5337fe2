/* A layer's passes in a training step: forward, the loss, backward with
   the update, and the penalty. Every product goes through myl_train_gemm
   (myl_gemm, or its BF16 table in mixed precision), which
   splits M and N over the threads, never K, and the element-wise work is
   split statically by element: every value is computed by the same
   operations in the same order whatever the thread count. Sums across rows
   (the bias gradient, the loss) run serially in row order. */
#include "params.h"
#include "rng.h"
#include "train_internal.h"

#include <math.h>
#include <omp.h>
#include <string.h>
#include <time.h>

double myl_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A layer's multiply-adds per product, narrow layers counted 16 wide. */
static double layer_work(size_t r, size_t n, size_t fin)
{
    return (double)r * (double)(n < 16 ? 16 : n) * (double)fin;
}

/* A layer's three products run on one thread below solo_work: inside a
   step the operands were just written by the previous product's split and
   sit half in the other core's cache, so a team costs more than myl_gemm's
   own threshold (measured on isolated products) assumes. */
static int solo_layer(size_t r, size_t n, size_t fin)
{
    return layer_work(r, n, fin) < myl_sched_tuning_get().solo_work;
}

int myl_train_gemm(const train_ws *ws, int ta, int tb, size_t m, size_t n, size_t k, float alpha, const float *a,
                   size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc, const float *bias,
                   int act, float slope)
{
    if (!ws->bf16)
        return myl_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, act, slope);
    /* the BF16 epilogue does ReLU and leaky ReLU; the other activations run
       after it on the finished rows, in FP32, each element or row on its own:
       the same bytes for any split */
    const int fused = act == MYL_ACT_LINEAR || act == MYL_ACT_RELU || act == MYL_ACT_LEAKY_RELU;
    int st = myl_gemm_bf16(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, fused ? act : MYL_ACT_LINEAR,
                           slope);
    if (!st && !fused)
        for (size_t i = 0; i < m; i++) {
            if (act == MYL_ACT_SOFTMAX)
                ws->k->softmax(n, c + i * ldc, c + i * ldc);
            else
                ws->k->vact(act, slope, n, c + i * ldc, c + i * ldc);
        }
    return st;
}

static int layer_gemm(const train_ws *ws, int solo, int ta, int tb, size_t m, size_t n, size_t k, float alpha, const float *a,
                      size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc, const float *bias,
                      int act, float slope)
{
    const int old = solo ? myl_cap_threads(1) : 0;
    int st = myl_train_gemm(ws, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, act, slope);
    if (solo)
        myl_cap_threads(old);
    return st;
}

/* Layers lo..hi-1 of the forward pass of r rows gathered in x0.
   Dropout/DropConnect masks keyed by step. */
/* dst[i] = src[i] / (1 - p) where element i of the (layer, step) mask on
   stream is kept, else 0: inverted dropout and DropConnect, forward and
   backward alike. The draw depends only on (seed, stream, layer, step, i),
   never on the thread that makes it. dst may be src. */
static void apply_keep_mask(const train_ws *ws, uint64_t stream, size_t layer, uint64_t step, float p,
                            const float *src, float *dst, size_t m, int threads)
{
    const uint64_t key = myl_rng_key(ws->seed, stream, layer, step);
    const uint32_t thr = myl_rng_threshold(p);
    const float keep_scale = 1.0f / (1.0f - p);
    if (threads <= 1 || (double)m < myl_sched_tuning_get().min_team_elements) {
        for (size_t i = 0; i < m; i++)
            dst[i] = myl_rng_keep(key, i, thr) ? src[i] * keep_scale : 0.0f;
        return;
    }
#pragma omp parallel for schedule(static) num_threads(threads)
    for (size_t i = 0; i < m; i++)
        dst[i] = myl_rng_keep(key, i, thr) ? src[i] * keep_scale : 0.0f;
}

/* y = act(q0 + q1 + b), rows of n: the two parts of layer 1's forward
   product (k1), added in this order on every path. */
static void sum_parts(const myl_kernels *k, size_t m, size_t n, const float *q0, const float *q1, const float *b,
                      int act, float slope, float *y)
{
    for (size_t i = 0; i < m; i += n) {
#pragma omp simd
        for (size_t j = 0; j < n; j++)
            y[i + j] = (q0[i + j] + q1[i + j]) + b[j];
    }
    if (act != MYL_ACT_LINEAR)
        k->vact(act, slope, m, y, y);
}

int myl_forward_layers(train_ws *ws, size_t r, uint64_t step, size_t lo, size_t hi)
{
    const myelin_net *net = ws->net;
    myelin_profile *pr = ws->prof;
    const float *in = lo == 0 ? ws->x0 : ws->y[lo - 1];
    for (size_t l = lo; l < hi; l++) {
        const myelin_layer_spec *s = &net->spec[l];
        const size_t n = s->units, fin = net->fan_in[l];
        myelin_layer_profile *lp = pr ? &pr->layer[l] : NULL;
        if (ws->masks && s->dropout > 0.0f) {
            /* inverted dropout on this layer's input */
            float *dst = l == 0 ? ws->x0 : ws->din[l];
            apply_keep_mask(ws, MYL_STREAM_DROPOUT, l, step, s->dropout, in, dst, r * fin, ws->threads);
            in = dst;
        }
        const float *w = net->w[l];
        if (ws->masks && s->dropconnect > 0.0f) {
            apply_keep_mask(ws, MYL_STREAM_DROPCONNECT, l, step, s->dropconnect, w, ws->wd[l], fin * n,
                            ws->threads);
            w = ws->wd[l];
        }
        if (lp)
            myl_lap(ws, &lp->fwd_act);
        const int solo = solo_layer(r, n, fin);
        int gst = MYELIN_OK;
        if (l == 1 && ws->k1) { /* see k1 in ws_alloc */
            const size_t k1 = ws->k1;
            if (!ws->q_ready)
                gst = layer_gemm(ws, solo, 0, 0, r, n, k1, 1.0f, in, fin, w, n, 0.0f, ws->q[0], n, NULL, MYL_ACT_LINEAR,
                                 0.0f);
            if (!gst && !ws->q_ready)
                gst = layer_gemm(ws, solo, 0, 0, r, n, fin - k1, 1.0f, in + k1, fin, w + k1 * n, n, 0.0f, ws->q[1], n,
                                 NULL, MYL_ACT_LINEAR, 0.0f);
            if (!gst)
                sum_parts(ws->k, r * n, n, ws->q[0], ws->q[1], net->b[l], myl_layer_fwd_act(net, l), ws->slope,
                          ws->y[l]);
        } else
            gst = layer_gemm(ws, solo, 0, 0, r, n, fin, 1.0f, in, fin, w, n, 0.0f, ws->y[l], n, net->b[l],
                             myl_layer_fwd_act(net, l), ws->slope);
        if (gst)
            return gst;
        if (lp) {
            myl_lap(ws, &lp->fwd_gemm);
            lp->flops_fwd += 2.0 * (double)r * (double)n * (double)fin;
        }
        in = ws->y[l];
    }
    return MYELIN_OK;
}

/* The output layer's loss: loss sum and correct count of the batch (targets
   in t), and dL/dz of the last layer when want_grad. */
int myl_output_loss_ws(train_ws *ws, size_t r, double *loss_sum, size_t *correct, int want_grad)
{
    const myelin_net *net = ws->net;
    myelin_profile *pr = ws->prof;
    const size_t last = net->n_layers - 1;
    int st = myl_output_loss(net, ws->k, r, ws->y[last], ws->p, ws->t, loss_sum, correct,
                             want_grad ? ws->g[last] : NULL);
    if (pr)
        myl_lap(ws, &pr->loss);
    return st;
}


/* Sum of the penalty over all weights: l1 |w| + l2/2 w^2. Fixed chunks, each
   summed by one thread, then the chunks' sums in chunk order: the same value
   for any thread count. */
enum { PENALTY_CHUNK = 16384 };

double myl_penalty(const myelin_net *net, float l1, float l2, int threads)
{
    if (l1 == 0.0f && l2 == 0.0f)
        return 0.0;
    double total = 0.0;
    for (size_t l = 0; l < net->n_layers; l++) {
        const size_t nw = net->fan_in[l] * net->spec[l].units, nch = (nw + PENALTY_CHUNK - 1) / PENALTY_CHUNK;
        double part[64];
        for (size_t c0 = 0; c0 < nch; c0 += 64) {
            const size_t c1 = nch - c0 < 64 ? nch : c0 + 64;
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1 && c1 - c0 > 1)
            for (size_t c = c0; c < c1; c++) {
                const size_t lo = c * PENALTY_CHUNK, hi = nw - lo < PENALTY_CHUNK ? nw : lo + PENALTY_CHUNK;
                double s1 = 0.0, s2 = 0.0;
                myl_params_sums(net, l, lo, hi, &s1, &s2);
                part[c - c0] = l1 * s1 + 0.5 * l2 * s2;
            }
            for (size_t c = c0; c < c1; c++)
                total += part[c - c0];
        }
    }
    return total;
}

/* Column sums of g (r x n) in row order: the bias gradient. */
static void column_sums(size_t r, size_t n, const float *g, float *out)
{
    for (size_t j = 0; j < n; j++)
        out[j] = 0.0f;
    for (size_t i = 0; i < r; i++) {
#pragma omp simd
        for (size_t j = 0; j < n; j++)
            out[j] += g[i * n + j];
    }
}

/* b -= lr * (column sums of g), row by row: plain SGD's bias step (g: r
   rows of n, row stride ld). */
void myl_sgd_bias(size_t r, size_t n, size_t ld, float lr, const float *g, float *b)
{
    for (size_t i = 0; i < r; i++) {
#pragma omp simd
        for (size_t j = 0; j < n; j++)
            b[j] -= lr * g[i * ld + j];
    }
}

/* Layers hi-1 down to lo of the backward pass from ws->g[hi - 1]; with
   plan == NULL only the gradients (dw, db, penalty included) are computed. */
int myl_backward_layers(train_ws *ws, size_t r, uint64_t step, const update_plan *plan, float l1, float l2,
                           size_t lo, size_t hi)
{
    int gst = MYELIN_OK;
    const myelin_net *net = ws->net;
    myelin_profile *pr = ws->prof;
    const int nt = ws->threads;
    for (size_t l = hi; l-- > lo;) {
        const myelin_layer_spec *s = &net->spec[l];
        const size_t n = s->units, fin = net->fan_in[l], nw = fin * n;
        myelin_layer_profile *lp = pr ? &pr->layer[l] : NULL;
        const float *g = ws->g[l];
        const int solo = solo_layer(r, n, fin);
        const float *in = l == 0 ? ws->x0 : (ws->masks && s->dropout > 0.0f ? ws->din[l] : ws->y[l - 1]);
        const float *w = ws->masks && s->dropconnect > 0.0f ? ws->wd[l] : net->w[l];
        /* 1. the input gradient, through the weights used in the forward pass
              and before they change */
        if (l > 0) {
            if ((gst = layer_gemm(ws, solo, 0, 1, r, fin, n, 1.0f, g, n, w, n, 0.0f, ws->g[l - 1], fin, NULL,
                                  MYL_ACT_LINEAR, 0.0f)))
                return gst;
            if (lp) {
                myl_lap(ws, &lp->bwd_gemm_dx);
                lp->flops_bwd += 2.0 * (double)r * (double)n * (double)fin;
            }
        }
        /* 2. weights and biases */
        float lr = plan ? plan->lr[l] : 0.0f;
        if (plan && ws->fast[l]) {
            if (lr != 0.0f) {
                if ((gst = layer_gemm(ws, solo, 1, 0, fin, n, r, -lr, in, fin, g, n, 1.0f - lr * l2, net->w[l], n,
                                      NULL, MYL_ACT_LINEAR, 0.0f)))
                    return gst;
                if (lp) {
                    myl_lap(ws, &lp->bwd_gemm_dw);
                    lp->flops_bwd += 2.0 * (double)r * (double)n * (double)fin;
                }
                myl_sgd_bias(r, n, n, lr, g, net->b[l]);
                if (lp)
                    myl_lap(ws, &lp->update);
            }
        } else if (!plan || lr != 0.0f) {
            if ((gst = layer_gemm(ws, solo, 1, 0, fin, n, r, 1.0f, in, fin, g, n, 0.0f, ws->dw[l], n, NULL,
                                  MYL_ACT_LINEAR, 0.0f)))
                return gst;
            if (lp) {
                myl_lap(ws, &lp->bwd_gemm_dw);
                lp->flops_bwd += 2.0 * (double)r * (double)n * (double)fin;
            }
            column_sums(r, n, g, ws->db[l]);
            float *dw = ws->dw[l];
            if (ws->masks && s->dropconnect > 0.0f) {
                /* d/dW of W (.) m/(1-p): the same mask and scale */
                apply_keep_mask(ws, MYL_STREAM_DROPCONNECT, l, step, s->dropconnect, dw, dw, nw, nt);
            }
            if (plan) {
                myl_opt_update(&plan->cfg, nw, net->w[l], dw, ws->sw[0][l], ws->sw[1][l], lr, plan->t, 1, nt);
                myl_opt_update(&plan->cfg, n, net->b[l], ws->db[l], ws->sb[0][l], ws->sb[1][l], lr, plan->t, 0, nt);
            } else if (l1 != 0.0f || l2 != 0.0f) {
                const float *wl = net->w[l];
                for (size_t i = 0; i < nw; i++)
                    dw[i] += l2 * wl[i] + (wl[i] > 0.0f ? l1 : wl[i] < 0.0f ? -l1 : 0.0f);
            }
            if (lp)
                myl_lap(ws, &lp->update);
        }
        /* 3. through the dropout of this layer's input and the previous
              layer's activation */
        if (l > 0) {
            float *gp = ws->g[l - 1];
            const size_t m = r * fin;
            if (ws->masks && s->dropout > 0.0f) {
                apply_keep_mask(ws, MYL_STREAM_DROPOUT, l, step, s->dropout, gp, gp, m, nt);
            }
            const int act = (int)net->spec[l - 1].act;
            if (act != MYL_ACT_LINEAR) {
                /* small layers stay on one thread: the product that wrote gp split
                   it differently, and moving its lines between cores costs more
                   than the work */
                const size_t chunk = 32768, nch = (m + chunk - 1) / chunk; /* element-wise: any split, same bytes */
                const float *y = ws->y[l - 1];
                const myl_kernels *k = ws->k;
                const float slope = ws->slope;
                if (nt <= 1 || nch <= 1 || (double)m < myl_sched_tuning_get().min_team_elements) {
                    k->vact_bwd(act, slope, m, y, gp, gp); /* element-wise: the same bytes as in chunks */
                } else {
#pragma omp parallel for schedule(static) num_threads(nt)
                    for (size_t c = 0; c < nch; c++) {
                        size_t lo = c * chunk, len = m - lo < chunk ? m - lo : chunk;
                        k->vact_bwd(act, slope, len, y + lo, gp + lo, gp + lo);
                    }
                }
            }
            if (lp)
                myl_lap(ws, &pr->layer[l - 1].bwd_act);
        }
    }
    return MYELIN_OK;
}

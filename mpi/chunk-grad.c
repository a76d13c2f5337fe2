/* The gradient of one chunk of a minibatch: the unit of work that ranks and
   threads share. Every chunk is computed by the same calls on the same
   shapes whoever computes it (the engine's products give the same bytes on
   any thread count, and here run on the calling thread), so a chunk's
   gradient does not depend on the number of ranks or threads. */
#include "mpi-internal.h"
#include "rng.h"

#include <string.h>

size_t myl_param_count(const myelin_net *net)
{
    return myl_param_offset(net, net->n_layers);
}

size_t myl_param_offset(const myelin_net *net, size_t l)
{
    size_t off = 0;
    for (size_t i = 0; i < l; i++)
        off += (net->fan_in[i] + 1) * net->spec[i].units;
    return off;
}

void myl_chunk_ws_free(myl_chunk_ws *ws)
{
    myl_free(ws->x);
    myl_free(ws->t);
    myl_free(ws->p);
    for (size_t l = 0; l < MYELIN_MAX_LAYERS; l++) {
        myl_free(ws->y[l]);
        myl_free(ws->g[l]);
        myl_free(ws->din[l]);
    }
    memset(ws, 0, sizeof *ws);
}

static float *falloc(size_t n, int *ok)
{
    float *p = myl_alloc((n ? n : 1) * sizeof(float));
    if (!p)
        *ok = 0;
    else
        memset(p, 0, (n ? n : 1) * sizeof(float));
    return p;
}

int myl_chunk_ws_alloc(const myelin_net *net, size_t rows, myl_chunk_ws *ws)
{
    memset(ws, 0, sizeof *ws);
    ws->rows = rows;
    const size_t outputs = net->spec[net->n_layers - 1].units;
    int ok = 1;
    ws->x = falloc(rows * net->inputs, &ok);
    ws->t = falloc(rows * outputs, &ok);
    ws->p = falloc(rows * outputs, &ok);
    for (size_t l = 0; l < net->n_layers && ok; l++) {
        ws->y[l] = falloc(rows * net->spec[l].units, &ok);
        ws->g[l] = falloc(rows * net->spec[l].units, &ok);
        if (l > 0 && net->spec[l].dropout > 0.0f)
            ws->din[l] = falloc(rows * net->fan_in[l], &ok);
    }
    if (!ok) {
        myl_chunk_ws_free(ws);
        return myl_fail(MYELIN_ENOMEM, "myelin_train_mpi: out of memory for the buffers of a chunk of %zu rows",
                        rows);
    }
    return MYELIN_OK;
}

/* Inverted dropout with the engine's mask: element (row c0 + i, column j) of
   a minibatch r x m is draw (c0 + i) * m + j of the (seed, layer, step) key,
   so each row sees the mask it would see in the whole minibatch. */
static void keep_mask(uint64_t seed, size_t layer, uint64_t step, float p, size_t c0, size_t rc, size_t m,
                      const float *src, float *dst)
{
    const uint64_t key = myl_rng_key(seed, MYL_STREAM_DROPOUT, layer, step);
    const uint32_t thr = myl_rng_threshold(p);
    const float keep_scale = 1.0f / (1.0f - p);
    const uint64_t base = (uint64_t)c0 * m;
    for (size_t i = 0; i < rc * m; i++)
        dst[i] = myl_rng_keep(key, base + i, thr) ? src[i] * keep_scale : 0.0f;
}

/* dL/dz of the output layer for the minibatch's mean loss (1/r, r the
   minibatch's rows, not the chunk's), the loss sum and the right answers. */
static int output_grad(const myelin_net *net, const myl_kernels *k, size_t rc, size_t r, myl_chunk_ws *ws,
                       double *loss_sum, double *correct)
{
    const size_t last = net->n_layers - 1, n = net->spec[last].units;
    const float inv = 1.0f / (float)r;
    const float *out = ws->y[last];
    float *g = ws->g[last];
    size_t right = 0;
    int st;
    if (net->fuse != MYL_FUSE_NONE) {
        /* p = softmax/sigmoid of the logits; dL/dz = (p - t) / r */
        if ((st = myl_output_loss(net, k, rc, out, ws->p, ws->t, loss_sum, &right, NULL)))
            return st;
        for (size_t i = 0; i < rc * n; i++)
            g[i] = (ws->p[i] - ws->t[i]) * inv;
    } else {
        if ((st = myl_loss_rows(net->loss, rc, n, out, n, ws->t, n, loss_sum, g, n, inv)))
            return st;
        for (size_t i = 0; i < rc; i++)
            right += myl_row_class(out + i * n, n) == myl_row_class(ws->t + i * n, n);
        const myelin_act act = net->spec[last].act;
        if (act == MYELIN_ACT_SOFTMAX)
            myl_softmax_backward(rc, n, out, g);
        else if (act != MYELIN_ACT_LINEAR)
            k->vact_bwd((int)act, myelin_leaky_slope(), rc * n, out, g, g);
    }
    *correct = (double)right;
    return MYELIN_OK;
}

int myl_chunk_grad(const myelin_net *net, const myl_kernels *k, const myelin_dataset *d, const uint32_t *idx,
                   size_t first, size_t r, size_t c0, size_t rc, uint64_t seed, uint64_t step, myl_chunk_ws *ws,
                   float *grad, double *loss_sum, double *correct)
{
    const size_t L = net->n_layers;
    const float slope = myelin_leaky_slope();
    int st;
    myl_gather_batch(net, d, idx, first + c0, rc, ws->x, ws->t, 1);
    /* forward; in[l] is what layer l multiplied (after its dropout) */
    const float *in[MYELIN_MAX_LAYERS];
    const float *cur = ws->x;
    for (size_t l = 0; l < L; l++) {
        const myelin_layer_spec *s = &net->spec[l];
        const size_t n = s->units, fin = net->fan_in[l];
        if (s->dropout > 0.0f) {
            float *dst = l == 0 ? ws->x : ws->din[l];
            keep_mask(seed, l, step, s->dropout, c0, rc, fin, cur, dst);
            cur = dst;
        }
        in[l] = cur;
        if ((st = myl_gemm(0, 0, rc, n, fin, 1.0f, cur, fin, net->w[l], n, 0.0f, ws->y[l], n, net->b[l],
                           myl_layer_fwd_act(net, l), slope)))
            return st;
        cur = ws->y[l];
    }
    if ((st = output_grad(net, k, rc, r, ws, loss_sum, correct)))
        return st;
    /* backward: dX through the weights, then this chunk's dW and db */
    for (size_t l = L; l-- > 0;) {
        const myelin_layer_spec *s = &net->spec[l];
        const size_t n = s->units, fin = net->fan_in[l];
        const float *g = ws->g[l];
        float *gw = grad + myl_param_offset(net, l), *gb = gw + fin * n;
        if (l > 0 && (st = myl_gemm(0, 1, rc, fin, n, 1.0f, g, n, net->w[l], n, 0.0f, ws->g[l - 1], fin, NULL,
                                    MYL_ACT_LINEAR, 0.0f)))
            return st;
        if ((st = myl_gemm(1, 0, fin, n, rc, 1.0f, in[l], fin, g, n, 0.0f, gw, n, NULL, MYL_ACT_LINEAR, 0.0f)))
            return st;
        /* the bias gradient: column sums in row order */
        memset(gb, 0, n * sizeof(float));
        for (size_t i = 0; i < rc; i++)
            for (size_t j = 0; j < n; j++)
                gb[j] += g[i * n + j];
        if (l > 0) {
            float *gp = ws->g[l - 1];
            if (s->dropout > 0.0f)
                keep_mask(seed, l, step, s->dropout, c0, rc, fin, gp, gp);
            const int act = (int)net->spec[l - 1].act;
            if (act != MYL_ACT_LINEAR)
                k->vact_bwd(act, slope, rc * fin, ws->y[l - 1], gp, gp);
        }
    }
    return MYELIN_OK;
}

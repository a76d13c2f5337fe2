/* Inference: predict, predict_proba, evaluate. Rows go through the net in
   chunks (buffers allocated once per call), each chunk one GEMM per layer with
   bias and activation fused into its epilogue. */
#include "params.h"

#include <math.h>
#include <string.h>

enum { INFER_CHUNK = 256 };

int myl_infer_ws_alloc(const myelin_net *net, size_t chunk, myl_infer_ws *ws)
{
    memset(ws, 0, sizeof *ws);
    ws->chunk = chunk;
    ws->owned = 1;
    const size_t outputs = net->spec[net->n_layers - 1].units;
    ws->x = myl_alloc(chunk * net->inputs * sizeof(float));
    ws->t = myl_alloc(chunk * outputs * sizeof(float));
    ws->p = myl_alloc(chunk * outputs * sizeof(float));
    int ok = ws->x && ws->t && ws->p;
    for (size_t l = 0; l < net->n_layers && ok; l++)
        ok = (ws->bufs[l] = myl_alloc(chunk * net->spec[l].units * sizeof(float))) != NULL;
    if (!ok) {
        myl_infer_ws_free(ws);
        return myl_fail(MYELIN_ENOMEM, "out of memory for the inference buffers");
    }
    return MYELIN_OK;
}

void myl_infer_ws_free(myl_infer_ws *ws)
{
    if (!ws->owned)
        return;
    myl_free(ws->x);
    myl_free(ws->t);
    myl_free(ws->p);
    for (size_t l = 0; l < MYELIN_MAX_LAYERS; l++)
        myl_free(ws->bufs[l]);
    memset(ws, 0, sizeof *ws);
}

int myl_forward_infer(const myelin_net *net, size_t r, const float *x, float *const *bufs, int to_proba)
{
    const float slope = myelin_leaky_slope();
    const float *in = x;
    for (size_t l = 0; l < net->n_layers; l++) {
        const size_t n = net->spec[l].units, k = net->fan_in[l];
        int act = myl_layer_fwd_act(net, l);
        if (to_proba && l + 1 == net->n_layers && net->fuse != MYL_FUSE_NONE)
            act = net->fuse == MYL_FUSE_SOFTMAX_CE ? MYL_ACT_SOFTMAX : MYL_ACT_SIGMOID;
        /* column blocks of the weights (layer 0 inside a training callback)
           are column subsets of the product: the same bytes */
        myl_param_view v[2];
        const int nv = myl_params_views(net, l, v);
        for (int h = 0; h < nv; h++)
            if (myl_gemm(0, 0, r, v[h].cols, k, 1.0f, in, k, v[h].w, v[h].ld, 0.0f, bufs[l] + v[h].col0, n,
                         net->b[l] + v[h].col0, act, slope))
                return myl_fail(MYELIN_ENOMEM, "out of memory in layer %zu's product", l);
        in = bufs[l];
    }
    return MYELIN_OK;
}

int myl_eval_dataset(const myelin_net *net, const myl_kernels *k, const myelin_dataset *d, myl_infer_ws *ws,
                     int threads, double *loss, double *accuracy)
{
    double sum = 0.0;
    size_t right = 0;
    const size_t last = net->n_layers - 1;
    for (size_t first = 0; first < d->rows; first += ws->chunk) {
        size_t r = d->rows - first < ws->chunk ? d->rows - first : ws->chunk;
        myl_gather_batch(net, d, NULL, first, r, ws->x, ws->t, threads);
        int st = myl_forward_infer(net, r, ws->x, ws->bufs, 0);
        if (st)
            return st;
        double s;
        size_t c;
        st = myl_output_loss(net, k, r, ws->bufs[last], ws->p, ws->t, &s, &c, NULL);
        if (st)
            return st;
        sum += s;
        right += c;
    }
    *loss = sum / (double)d->rows;
    *accuracy = (double)right / (double)d->rows;
    return MYELIN_OK;
}

/* The shared front of the three calls: checks, kernels, buffers, FP mode. */
typedef struct {
    const myl_kernels *k;
    myl_infer_ws ws;
    int threads;
    unsigned fpsave[1024];
} infer_ctx;

static int infer_begin(myelin_net *net, const myelin_dataset *d, const char *fn, int need_targets, infer_ctx *c)
{
    if (!net)
        return myl_fail(MYELIN_EINVAL, "%s: net is NULL", fn);
    int st = myl_check_dataset(net, d, "data", need_targets);
    if (st)
        return st;
    if ((st = myl_kernels_get(&c->k)))
        return st;
    c->threads = myl_threads();
    if (c->threads > 1024)
        c->threads = 1024;
    size_t chunk = d->rows < INFER_CHUNK ? d->rows : INFER_CHUNK;
    if ((st = myl_infer_ws_alloc(net, chunk, &c->ws)))
        return st;
    myl_fpenv_enter(c->fpsave, c->threads);
    return MYELIN_OK;
}

static void infer_end(infer_ctx *c)
{
    myl_fpenv_restore(c->fpsave, c->threads);
    myl_infer_ws_free(&c->ws);
}

/* Forward passes over the data set in chunks; each chunk's outputs go to
   out (rows ldo apart) when out is given, else their classes to classes. */
static int predict_rows(myelin_net *net, const myelin_dataset *data, const char *fn, float *out, size_t ldo,
                        int32_t *classes)
{
    infer_ctx c;
    int st = infer_begin(net, data, fn, 0, &c);
    if (st)
        return st;
    const size_t n = myelin_net_outputs(net), last = net->n_layers - 1;
    for (size_t first = 0; first < data->rows; first += c.ws.chunk) {
        size_t r = data->rows - first < c.ws.chunk ? data->rows - first : c.ws.chunk;
        myl_gather_batch(net, data, NULL, first, r, c.ws.x, NULL, c.threads);
        if ((st = myl_forward_infer(net, r, c.ws.x, c.ws.bufs, 1)))
            break;
        for (size_t i = 0; i < r; i++)
            if (out)
                memcpy(out + (first + i) * ldo, c.ws.bufs[last] + i * n, n * sizeof(float));
            else
                classes[first + i] = myl_row_class(c.ws.bufs[last] + i * n, n);
    }
    infer_end(&c);
    return st;
}

int myelin_predict_proba(myelin_net *net, const myelin_dataset *data, float *out, size_t ldo)
{
    if (!out)
        return myl_fail(MYELIN_EINVAL, "myelin_predict_proba: out is NULL");
    if (net && ldo < myelin_net_outputs(net))
        return myl_fail(MYELIN_EINVAL, "myelin_predict_proba: ldo (%zu) < the net's %zu outputs", ldo,
                        myelin_net_outputs(net));
    return predict_rows(net, data, "myelin_predict_proba", out, ldo, NULL);
}

int myelin_predict(myelin_net *net, const myelin_dataset *data, int32_t *classes)
{
    if (!classes)
        return myl_fail(MYELIN_EINVAL, "myelin_predict: classes is NULL");
    return predict_rows(net, data, "myelin_predict", NULL, 0, classes);
}

int myelin_evaluate(myelin_net *net, const myelin_dataset *data, double *loss, double *accuracy)
{
    if (!loss && !accuracy)
        return myl_fail(MYELIN_EINVAL, "myelin_evaluate: loss and accuracy are both NULL");
    infer_ctx c;
    int st = infer_begin(net, data, "myelin_evaluate", 1, &c);
    if (st)
        return st;
    double l = NAN, a = NAN;
    st = myl_eval_dataset(net, c.k, data, &c.ws, c.threads, &l, &a);
    infer_end(&c);
    if (st)
        return st;
    if (loss)
        *loss = l;
    if (accuracy)
        *accuracy = a;
    return MYELIN_OK;
}

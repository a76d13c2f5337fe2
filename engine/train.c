/* The training loop.
 *
 * Parallelism: a minibatch is not split by rows into per-thread sub-batches
 * (that would need per-thread gradient copies and a reduction whose order
 * depends on the thread count); instead every product goes through myl_gemm,
 * which splits M and N (never K) over the threads, and the element-wise work
 * (gathering, dropout masks, activation backward, optimiser updates) is split
 * statically by element. Every value is therefore computed by the same
 * operations in the same order whatever the thread count: same bytes for 1 or
 * N threads. Sums across rows (the bias gradient, the loss) run serially in
 * row order. It is also the faster choice here: splitting a batch of 128 by
 * rows halves every product's M and adds, per step, a second dW per thread
 * (400 KB for the 784x128 layer) to write and sum, while the shared GEMM packs
 * W once and keeps the tiles full.
 *
 * When the later, narrower layers are small enough for one thread, thread 0
 * runs them (forward from layer 1, loss, backward down to layer 1) while the
 * last thread gathers the next minibatch into a second input buffer
 * (ws->overlap), so the gather leaves the step's critical path. With plain
 * SGD on layer 0 and two threads, the step is one parallel region
 * (one_region_step) in which each thread owns half of layer 0's units for
 * the forward product and the update: their weights as a block of its own
 * (w0_block), and on byte datasets its own copy of the minibatch, so neither
 * W0 nor X crosses between the cores; only the minibatch's bytes and half
 * of layer 0's output and gradient do. Nets whose layer 1 is too big for one
 * thread take pair_step instead, in which each thread also owns the rows of
 * W1 that its units of layer 0 feed.
 *
 * Memory: every buffer is allocated once by ws_alloc before the first step;
 * the loop itself allocates nothing. The training set is read in place (bytes
 * stay bytes) and each minibatch is converted as it is gathered.
 *
 * Plain SGD without L1 or DropConnect takes a fused path: the weight update is
 * the dW product itself, W = (1 - lr*l2) W - lr * X^T dZ, one GEMM with
 * alpha = -lr and beta = 1 - lr*l2, so no dW buffer is written and read again.
 */
#include "network.h"
#include "optim.h"
#include "rng.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void myelin_train_opts_default(myelin_train_opts *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->opt = MYELIN_OPT_SGD;
    o->lr = 0.01f;
    o->momentum = 0.9f;
    o->beta1 = 0.9f;
    o->beta2 = 0.999f;
    o->rho = 0.9f;
    o->eps = 1e-8f;
    o->schedule = MYELIN_SCHED_CONSTANT;
    o->decay = 0.5f;
    o->decay_epochs = 10;
    o->layer_decay = 1.0f;
    o->epochs = 10;
    o->batch = 32;
    o->shuffle = 1;
    o->seed = 0;
}

typedef struct {
    const myelin_net *net;
    const myl_kernels *k;
    size_t batch, rows;              /* rows: the training set's (0: not training)      */
    int threads;
    int key_threads, key_opt, key_l1;/* what else decided the buffers (cached_ws)      */
    double key_min_team_work;
    float slope;
    float *x0, *t, *p;
    float *x0_next, *t_next;         /* the next minibatch, gathered during this step  */
    int overlap;                     /* gather the next minibatch beside layers >= 1   */
    size_t c0;                       /* one_region: thread 0 owns layer 0's units [0, c0) */
    float *w0h;                      /* one_region: layer 0's weights as two column blocks */
    int pair;                        /* pair_step instead of one_region_step (c0 = k1)   */
    int w0_live;                     /* w0h (and pair_step's twin) live, net->w[0] stale */
    size_t k1;                       /* layer 1's forward in two K parts at k1 (0: one)  */
    float *q[2];                     /* its two parts, inputs [0, k1) and [k1, fan_in)   */
    int q_ready;                     /* both parts are in q: only their sum is left      */
    /* pair_step: thread 1's own copies of what both threads compute */
    float *ty[MYELIN_MAX_LAYERS], *tg[MYELIN_MAX_LAYERS], *tp; /* layers >= 1 */
    float *tw[MYELIN_MAX_LAYERS], *tb[MYELIN_MAX_LAYERS];      /* W (l >= 2), b (l >= 1) */
    float *tdin[MYELIN_MAX_LAYERS], *twd[MYELIN_MAX_LAYERS], *tdw[MYELIN_MAX_LAYERS], *tdb[MYELIN_MAX_LAYERS];
    uint8_t *raw, *raw_next;         /* one_region on bytes: the minibatch's bytes       */
    float *x1, *x1_next;             /* one_region on bytes: thread 1's copy of it       */
    float *y[MYELIN_MAX_LAYERS];     /* layer outputs (logits for a fused last layer)   */
    float *din[MYELIN_MAX_LAYERS];   /* dropped-out copy of layer l's input (l > 0)     */
    float *g[MYELIN_MAX_LAYERS];     /* dL/dz of layer l                                */
    float *dw[MYELIN_MAX_LAYERS], *db[MYELIN_MAX_LAYERS];
    float *wd[MYELIN_MAX_LAYERS];    /* DropConnect's masked weights                    */
    float *sw[2][MYELIN_MAX_LAYERS], *sb[2][MYELIN_MAX_LAYERS]; /* optimiser state      */
    float *wprev[MYELIN_MAX_LAYERS], *bprev[MYELIN_MAX_LAYERS]; /* checkpoint: weights  */
    float *swprev[2][MYELIN_MAX_LAYERS], *sbprev[2][MYELIN_MAX_LAYERS]; /* and state      */
    uint64_t ckpt_step;              /* the checkpoint holds the state before this step */
    int have_ckpt;
    uint64_t perm_epoch;             /* the epoch whose order perm holds (0: none)      */
    int fast[MYELIN_MAX_LAYERS];     /* update fused into the dW GEMM                   */
    uint32_t *perm;
    unsigned *fpsave;
    /* what a step uses */
    uint64_t seed;
    int masks;                       /* apply dropout and DropConnect                   */
    myelin_profile *prof;            /* NULL when not profiling                          */
    double mark;
} train_ws;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Adds the time since the last lap to *field (profiling only). */
static inline void lap(train_ws *ws, double *field)
{
    if (!ws->prof)
        return;
    double t = now();
    *field += t - ws->mark;
    ws->mark = t;
}

/* Layer 0's weights during one-region steps (ws->c0) are kept as two column
   blocks, units [0, c0) then [c0, units), each row-major with its own width,
   so that each thread updates memory of its own: in the net's row-major
   matrix every 512-byte row holds both threads' halves, and the two threads
   ran 7 % slower a step that way (784-128-64-10, batch 128, 6 interleaved
   pairs at ~300 ns between the cores; a layer-0-only harness: halves side by
   side 12 % slower than one alone interleaved, 5 % contiguous). The blocks
   are filled at a one-region step's start, by each thread for its half, and
   copied back (myl_train_sync) before anything else reads or writes the
   weights: the other steps, the checkpoint, the public calls. */
static float *w0_block(const train_ws *ws, int h, size_t *ld)
{
    const size_t n = ws->net->spec[0].units;
    *ld = h ? n - ws->c0 : ws->c0;
    return ws->w0h + (h ? ws->net->fan_in[0] * ws->c0 : 0);
}

/* Block h <-> its columns of the row-major matrix w (units wide). */
static void w0_block_copy(const train_ws *ws, int h, float *w, int to_block)
{
    const size_t fin = ws->net->fan_in[0], n = ws->net->spec[0].units;
    size_t ld;
    float *blk = w0_block(ws, h, &ld);
    w += h ? ws->c0 : 0;
    for (size_t i = 0; i < fin; i++) {
        if (to_block)
            memcpy(blk + i * ld, w + i * n, ld * sizeof(float));
        else
            memcpy(w + i * n, blk + i * ld, ld * sizeof(float));
    }
}

void myl_train_sync(const myelin_net *net)
{
    train_ws *ws = net ? net->train_cache : NULL;
    if (ws && ws->w0_live) {
        w0_block_copy(ws, 0, net->w[0], 0);
        w0_block_copy(ws, 1, net->w[0], 0);
        ws->w0_live = 0;
    }
}

static void ws_free(train_ws *ws)
{
    myl_free(ws->x0);
    myl_free(ws->t);
    myl_free(ws->x0_next);
    myl_free(ws->t_next);
    myl_free(ws->w0h);
    myl_free(ws->raw);
    myl_free(ws->raw_next);
    myl_free(ws->x1);
    myl_free(ws->x1_next);
    myl_free(ws->p);
    myl_free(ws->q[0]);
    myl_free(ws->q[1]);
    myl_free(ws->tp);
    for (size_t l = 0; l < MYELIN_MAX_LAYERS; l++) {
        float **twin[] = {ws->ty, ws->tg, ws->tw, ws->tb, ws->tdin, ws->twd, ws->tdw, ws->tdb};
        for (size_t i = 0; i < sizeof twin / sizeof twin[0]; i++)
            myl_free(twin[i][l]);
        myl_free(ws->y[l]);
        myl_free(ws->din[l]);
        myl_free(ws->g[l]);
        myl_free(ws->dw[l]);
        myl_free(ws->db[l]);
        myl_free(ws->wd[l]);
        myl_free(ws->sw[0][l]);
        myl_free(ws->sw[1][l]);
        myl_free(ws->sb[0][l]);
        myl_free(ws->sb[1][l]);
        myl_free(ws->wprev[l]);
        myl_free(ws->bprev[l]);
        for (int q = 0; q < 2; q++) {
            myl_free(ws->swprev[q][l]);
            myl_free(ws->sbprev[q][l]);
        }
    }
    free(ws->perm);
    free(ws->fpsave);
}

/* A layer's multiply-adds per product, narrow layers counted 16 wide. */
static double layer_work(size_t r, size_t n, size_t fin)
{
    return (double)r * (double)(n < 16 ? 16 : n) * (double)fin;
}

/* The gather of the next minibatch runs beside layers >= 1 (one thread)
   when each of them is below OVERLAP_WORK. Fashion-MNIST, 2 threads,
   interleaved runs, median epochs: 784-128-64-10 b256 (layer 1: 2.1M,
   otherwise on two threads) 0.139 -> 0.116 s; at 4.2M it depends on the
   shape: 784-128-64-10 b512 0.125 -> 0.109 s, 784-256-128-10 b128 0.259 ->
   0.265 s. */
enum { OVERLAP_WORK = 3000000 };

/* Training runs on one thread when a step's forward products have fewer
   multiply-adds than MIN_TEAM_WORK: each step then takes a few tens of
   microseconds, and the threads' hand-offs and the lines they pass between
   cores cost more than the second core gives. Fashion-MNIST 784-128-64-10
   (109K multiply-adds per row), median epochs on 1 / 2 threads: batch 32
   (3.5M) 0.178 / 0.20 s, batch 64 (7M) 0.170 / 0.147 s; 784-512-256-10 at
   batch 32 (17M) 1.03 / 0.72 s. */
enum { MIN_TEAM_WORK = 5000000 };
static double min_team_work = MIN_TEAM_WORK;

void myl_train_set_min_team_work(double work)
{
    min_team_work = work >= 0.0 ? work : MIN_TEAM_WORK;
}

/* zeroed, 64-byte aligned */
static float *zalloc(size_t nfloats, int *ok)
{
    float *p = myl_alloc(nfloats * sizeof(float));
    if (!p)
        *ok = 0;
    else
        memset(p, 0, nfloats * sizeof(float));
    return p;
}

/* rows: the training set's rows (0: no permutation); grads: keep dW/db for
   every layer; opt/l1: decide the fused SGD path; snapshot: keep the last
   good weights. */
static int ws_alloc(train_ws *ws, const myelin_net *net, const myl_kernels *k, size_t batch, size_t rows,
                    int grads, const myelin_train_opts *o, int snapshot)
{
    memset(ws, 0, sizeof *ws);
    ws->net = net;
    ws->k = k;
    ws->batch = batch;
    ws->threads = myl_threads();
    if (rows && ws->threads > 1) {
        double work = 0.0;
        for (size_t l = 0; l < net->n_layers; l++)
            work += layer_work(batch, net->spec[l].units, net->fan_in[l]);
        if (work < min_team_work)
            ws->threads = 1; /* myelin_train caps the products too */
    }
    ws->slope = myelin_leaky_slope();
    const size_t outputs = net->spec[net->n_layers - 1].units;
    size_t total;
    if (!myl_mul_ok(batch, myl_net_max_width(net), &total) || total > ((size_t)1 << 34) / sizeof(float))
        return myl_fail(MYELIN_ENOMEM, "batch %zu x width %zu is too large", batch, myl_net_max_width(net));
    int ok = 1;
    ws->x0 = zalloc(batch * net->inputs, &ok);
    ws->t = zalloc(batch * outputs, &ok);
    ws->p = zalloc(batch * outputs, &ok);
    const int nstates = o ? myl_opt_states(o->opt) : 0;
    for (size_t l = 0; l < net->n_layers && ok; l++) {
        const myelin_layer_spec *s = &net->spec[l];
        const size_t nw = net->fan_in[l] * s->units;
        ws->y[l] = zalloc(batch * s->units, &ok);
        ws->g[l] = zalloc(batch * s->units, &ok);
        if (l > 0 && s->dropout > 0.0f)
            ws->din[l] = zalloc(batch * net->fan_in[l], &ok);
        if (s->dropconnect > 0.0f)
            ws->wd[l] = zalloc(nw, &ok);
        ws->fast[l] = !grads && o && o->opt == MYELIN_OPT_SGD && o->l1 == 0.0f && s->dropconnect == 0.0f;
        if (!ws->fast[l]) {
            ws->dw[l] = zalloc(nw, &ok);
            ws->db[l] = zalloc(s->units, &ok);
        }
        for (int q = 0; q < nstates; q++) {
            ws->sw[q][l] = zalloc(nw, &ok);
            ws->sb[q][l] = zalloc(s->units, &ok);
        }
        if (snapshot) {
            ws->wprev[l] = zalloc(nw, &ok);
            ws->bprev[l] = zalloc(s->units, &ok);
            for (int q = 0; q < nstates; q++) {
                ws->swprev[q][l] = zalloc(nw, &ok);
                ws->sbprev[q][l] = zalloc(s->units, &ok);
            }
        }
    }
    if (ok && rows) {
        ws->perm = malloc(rows * sizeof(uint32_t));
        ok = ws->perm != NULL;
    }
    /* Overlap only when layers >= 1 are small enough for one thread: in the
       overlapped step their products run on thread 0 alone. */
    int small1 = net->n_layers > 1, small2 = 1;
    if (small1)
        small1 = layer_work(batch, net->spec[1].units, net->fan_in[1]) < OVERLAP_WORK;
    for (size_t l = 2; l < net->n_layers; l++)
        small2 = small2 && layer_work(batch, net->spec[l].units, net->fan_in[l]) < OVERLAP_WORK;
    ws->overlap = ok && rows > batch && ws->threads > 1 && small1 && small2;
    const myelin_layer_spec *s0 = &net->spec[0];
    const size_t half = s0->units / 2 / 16 * 16; /* whole 64-byte lines of each row to each thread */
    /* Nets with a larger layer 1 and small layers after it, when layers 0
       and 1 learn by plain SGD without masks, sum layer 1's forward product
       in two parts, over its inputs [0, k1) and [k1, fan_in), on every thread
       count (the bytes must not depend on it); on two threads each part is
       computed by the thread that owns those units of layer 0 (pair_step).
       Two threads, Fashion-MNIST, median epochs, ~300 ns between the cores,
       against splitting every product over the team: 784-512-256-10 b128
       0.53-0.56 -> 0.47 s, 784-256-128-10 b128 0.234 -> 0.206 s,
       784-128-64-10 b512 0.117 -> 0.093 s, 784-1024-1024-10 b128 2.03-2.34 ->
       1.86-2.12 s. Below OVERLAP_WORK one_region_step is faster:
       784-128-64-10 0.094 against 0.100 s (b256), 0.095 against 0.107 s (b128). */
    if (rows && net->n_layers > 1 && !small1 && small2 && ws->fast[0] && ws->fast[1] && s0->dropout == 0.0f &&
        s0->dropconnect == 0.0f && net->spec[1].dropout == 0.0f && myl_layer_fwd_act(net, 1) != MYL_ACT_SOFTMAX &&
        half >= 16) {
        ws->k1 = half;
        ws->q[0] = zalloc(batch * net->spec[1].units, &ok);
        ws->q[1] = zalloc(batch * net->spec[1].units, &ok);
    }
    ws->pair = ok && rows > batch && ws->threads == 2 && ws->k1;
    if (ws->overlap || ws->pair) {
        ws->x0_next = zalloc(batch * net->inputs, &ok);
        ws->t_next = zalloc(batch * outputs, &ok);
    }
    if (ws->overlap && ws->threads == 2 && ws->fast[0] && s0->dropout == 0.0f && s0->dropconnect == 0.0f)
        ws->c0 = half;
    if (ws->pair)
        ws->c0 = ws->k1;
    if (ws->c0) {
        const size_t nx = batch * net->inputs;
        ws->w0h = zalloc(net->fan_in[0] * s0->units, &ok);
        ws->x1 = zalloc(nx, &ok);
        if (!ws->pair) /* one_region_step converts the next minibatch during the step */
            ws->x1_next = zalloc(nx, &ok);
        ws->raw = myl_alloc(nx);
        ws->raw_next = myl_alloc(nx);
        ok = ok && ws->raw && ws->raw_next;
    }
    if (ws->pair) {
        ws->tp = zalloc(batch * outputs, &ok);
        for (size_t l = 1; l < net->n_layers && ok; l++) {
            const myelin_layer_spec *s = &net->spec[l];
            const size_t nw = net->fan_in[l] * s->units;
            ws->ty[l] = zalloc(batch * s->units, &ok);
            ws->tg[l] = zalloc(batch * s->units, &ok);
            ws->tb[l] = zalloc(s->units, &ok);
            if (l < 2)
                continue;
            ws->tw[l] = zalloc(nw, &ok);
            if (s->dropout > 0.0f)
                ws->tdin[l] = zalloc(batch * net->fan_in[l], &ok);
            if (s->dropconnect > 0.0f)
                ws->twd[l] = zalloc(nw, &ok);
            if (!ws->fast[l]) {
                ws->tdw[l] = zalloc(nw, &ok);
                ws->tdb[l] = zalloc(s->units, &ok);
            }
        }
    }
    if (ok) {
        ws->fpsave = calloc((size_t)ws->threads, sizeof(unsigned));
        ok = ws->fpsave != NULL;
    }
    if (!ok) {
        ws_free(ws);
        return myl_fail(MYELIN_ENOMEM, "out of memory for the training buffers (batch %zu)", batch);
    }
    return MYELIN_OK;
}

/* ------------------------------------------------------------ the step */

/* A layer's three products (r x n x fin multiply-adds each) run on one
   thread below SOLO_WORK. Inside a step a two-thread team costs far more than
   myl_gemm's own threshold (measured on isolated products) assumes: the
   operands were just written by the previous product's split and sit half in
   the other core's cache, and on a busy machine a worker that lost its core
   stalls the whole team. Fashion-MNIST 784-128-64-10, 2 threads: the
   128x64x128 layer (b128, 1.05M) took 2x longer on two threads than on one,
   while the 32x128x784 layer (b32, 3.2M) still ran faster on two (its
   forward and dW products 132 -> 107 ms per epoch); 2M sits between.
   Re-measured on a quiet machine (b128, 2 threads, before the gather
   overlap): 1M instead of 2M puts the 1.05M layer on two threads and gains
   only 0.121 -> 0.119 s per epoch. */
enum { SOLO_WORK = 2000000 };

static int solo_layer(size_t r, size_t n, size_t fin)
{
    return layer_work(r, n, fin) < SOLO_WORK;
}

static int layer_gemm(int solo, int ta, int tb, size_t m, size_t n, size_t k, float alpha, const float *a,
                      size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc, const float *bias,
                      int act, float slope)
{
    const int old = solo ? myl_cap_threads(1) : 0;
    int st = myl_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, act, slope);
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
    if (threads <= 1 || m < 32768) { /* no parallel region: entering one costs microseconds */
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

static int forward_layers(train_ws *ws, size_t r, uint64_t step, size_t lo, size_t hi)
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
            lap(ws, &lp->fwd_act);
        const int solo = solo_layer(r, n, fin);
        int gst = MYELIN_OK;
        if (l == 1 && ws->k1) { /* see k1 in ws_alloc */
            const size_t k1 = ws->k1;
            if (!ws->q_ready)
                gst = layer_gemm(solo, 0, 0, r, n, k1, 1.0f, in, fin, w, n, 0.0f, ws->q[0], n, NULL, MYL_ACT_LINEAR,
                                 0.0f);
            if (!gst && !ws->q_ready)
                gst = layer_gemm(solo, 0, 0, r, n, fin - k1, 1.0f, in + k1, fin, w + k1 * n, n, 0.0f, ws->q[1], n,
                                 NULL, MYL_ACT_LINEAR, 0.0f);
            if (!gst)
                sum_parts(ws->k, r * n, n, ws->q[0], ws->q[1], net->b[l], myl_layer_fwd_act(net, l), ws->slope,
                          ws->y[l]);
        } else
            gst = layer_gemm(solo, 0, 0, r, n, fin, 1.0f, in, fin, w, n, 0.0f, ws->y[l], n, net->b[l],
                             myl_layer_fwd_act(net, l), ws->slope);
        if (gst)
            return gst;
        if (lp) {
            lap(ws, &lp->fwd_gemm);
            lp->flops_fwd += 2.0 * (double)r * (double)n * (double)fin;
        }
        in = ws->y[l];
    }
    return MYELIN_OK;
}

/* The output layer's loss: loss sum and correct count of the batch (targets
   in t), and dL/dz of the last layer when want_grad. */
static int output_loss(train_ws *ws, size_t r, double *loss_sum, size_t *correct, int want_grad)
{
    const myelin_net *net = ws->net;
    myelin_profile *pr = ws->prof;
    const size_t last = net->n_layers - 1;
    int st = myl_output_loss(net, ws->k, r, ws->y[last], ws->p, ws->t, loss_sum, correct,
                             want_grad ? ws->g[last] : NULL);
    if (pr)
        lap(ws, &pr->loss);
    return st;
}

/* Forward pass of r rows gathered in x0 (and targets in t). */
static int forward(train_ws *ws, size_t r, uint64_t step, double *loss_sum, size_t *correct, int want_grad)
{
    int st = forward_layers(ws, r, step, 0, ws->net->n_layers);
    return st ? st : output_loss(ws, r, loss_sum, correct, want_grad);
}

/* Sum of the penalty over all weights: l1 |w| + l2/2 w^2. Fixed chunks, each
   summed by one thread, then the chunks' sums in chunk order: the same value
   for any thread count. */
enum { PENALTY_CHUNK = 16384 };

/* Sums of |w| and w^2 over the row-major elements [lo, hi) of a matrix
   stored as the column blocks of layer 0 (ws->w0h), in element order. */
static void block_sums(const train_ws *ws, size_t lo, size_t hi, double *s1, double *s2)
{
    const size_t n = ws->net->spec[0].units;
    size_t ld0, ld1;
    const float *b0 = w0_block(ws, 0, &ld0), *b1 = w0_block(ws, 1, &ld1);
    for (size_t i = lo; i < hi;) {
        const size_t row = i / n, col = i % n;
        const float *p = col < ws->c0 ? b0 + row * ld0 + col : b1 + row * ld1 + (col - ws->c0);
        const size_t run = (col < ws->c0 ? ws->c0 : n) - col, len = hi - i < run ? hi - i : run;
        for (size_t j = 0; j < len; j++) {
            *s1 += fabsf(p[j]);
            *s2 += (double)p[j] * p[j];
        }
        i += len;
    }
}

/* ws: the training run's (layer 0 may be in its column blocks), or NULL. */
static double penalty(const train_ws *ws, const myelin_net *net, float l1, float l2, int threads)
{
    if (l1 == 0.0f && l2 == 0.0f)
        return 0.0;
    double total = 0.0;
    for (size_t l = 0; l < net->n_layers; l++) {
        const float *w = net->w[l];
        const size_t nw = net->fan_in[l] * net->spec[l].units, nch = (nw + PENALTY_CHUNK - 1) / PENALTY_CHUNK;
        double part[64];
        for (size_t c0 = 0; c0 < nch; c0 += 64) {
            const size_t c1 = nch - c0 < 64 ? nch : c0 + 64;
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1 && c1 - c0 > 1)
            for (size_t c = c0; c < c1; c++) {
                const size_t lo = c * PENALTY_CHUNK, hi = nw - lo < PENALTY_CHUNK ? nw : lo + PENALTY_CHUNK;
                double s1 = 0.0, s2 = 0.0;
                if (l == 0 && ws && ws->w0_live)
                    block_sums(ws, lo, hi, &s1, &s2);
                else
                    for (size_t i = lo; i < hi; i++) {
                        s1 += fabsf(w[i]);
                        s2 += (double)w[i] * w[i];
                    }
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
static void sgd_bias(size_t r, size_t n, size_t ld, float lr, const float *g, float *b)
{
    for (size_t i = 0; i < r; i++) {
#pragma omp simd
        for (size_t j = 0; j < n; j++)
            b[j] -= lr * g[i * ld + j];
    }
}

/* Learning rate of each layer for this epoch (opts NULL: gradients only). */
typedef struct {
    const myelin_train_opts *o;
    myl_opt_cfg cfg;
    float lr[MYELIN_MAX_LAYERS];
    uint64_t t; /* 1-based step */
} update_plan;

/* Layers hi-1 down to lo of the backward pass from ws->g[hi - 1]; with
   plan == NULL only the gradients (dw, db, penalty included) are computed. */
static int backward_layers(train_ws *ws, size_t r, uint64_t step, const update_plan *plan, float l1, float l2,
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
            if ((gst = layer_gemm(solo, 0, 1, r, fin, n, 1.0f, g, n, w, n, 0.0f, ws->g[l - 1], fin, NULL,
                                  MYL_ACT_LINEAR, 0.0f)))
                return gst;
            if (lp) {
                lap(ws, &lp->bwd_gemm_dx);
                lp->flops_bwd += 2.0 * (double)r * (double)n * (double)fin;
            }
        }
        /* 2. weights and biases */
        float lr = plan ? plan->lr[l] : 0.0f;
        if (plan && ws->fast[l]) {
            if (lr != 0.0f) {
                if ((gst = layer_gemm(solo, 1, 0, fin, n, r, -lr, in, fin, g, n, 1.0f - lr * l2, net->w[l], n,
                                      NULL, MYL_ACT_LINEAR, 0.0f)))
                    return gst;
                if (lp) {
                    lap(ws, &lp->bwd_gemm_dw);
                    lp->flops_bwd += 2.0 * (double)r * (double)n * (double)fin;
                }
                sgd_bias(r, n, n, lr, g, net->b[l]);
                if (lp)
                    lap(ws, &lp->update);
            }
        } else if (!plan || lr != 0.0f) {
            if ((gst = layer_gemm(solo, 1, 0, fin, n, r, 1.0f, in, fin, g, n, 0.0f, ws->dw[l], n, NULL,
                                  MYL_ACT_LINEAR, 0.0f)))
                return gst;
            if (lp) {
                lap(ws, &lp->bwd_gemm_dw);
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
                lap(ws, &lp->update);
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
                const size_t chunk = 32768, nch = (m + chunk - 1) / chunk;
                const float *y = ws->y[l - 1];
                const myl_kernels *k = ws->k;
                const float slope = ws->slope;
                if (nt <= 1 || nch <= 1) {
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
                lap(ws, &pr->layer[l - 1].bwd_act);
        }
    }
    return MYELIN_OK;
}

static int backward(train_ws *ws, size_t r, uint64_t step, const update_plan *plan, float l1, float l2)
{
    return backward_layers(ws, r, step, plan, l1, l2, 0, ws->net->n_layers);
}

/* ------------------------------------------------------------ validation */

static int check_opts(const myelin_train_opts *o)
{
#define BAD(...) return myl_fail(MYELIN_EINVAL, __VA_ARGS__)
    if ((unsigned)o->opt > MYELIN_OPT_ADAM)
        BAD("train options: opt %d is not a myelin_optimizer", (int)o->opt);
    if (!(isfinite(o->lr) && o->lr > 0.0f))
        BAD("train options: lr %g must be finite and > 0", (double)o->lr);
    if ((o->opt == MYELIN_OPT_MOMENTUM || o->opt == MYELIN_OPT_NESTEROV) && !(o->momentum >= 0.0f && o->momentum < 1.0f))
        BAD("train options: momentum %g must be in [0, 1)", (double)o->momentum);
    if (o->opt == MYELIN_OPT_ADAM && !(o->beta1 >= 0.0f && o->beta1 < 1.0f))
        BAD("train options: beta1 %g must be in [0, 1)", (double)o->beta1);
    if (o->opt == MYELIN_OPT_ADAM && !(o->beta2 >= 0.0f && o->beta2 < 1.0f))
        BAD("train options: beta2 %g must be in [0, 1)", (double)o->beta2);
    if (o->opt == MYELIN_OPT_RMSPROP && !(o->rho >= 0.0f && o->rho < 1.0f))
        BAD("train options: rho %g must be in [0, 1)", (double)o->rho);
    if (o->opt >= MYELIN_OPT_ADAGRAD && !(isfinite(o->eps) && o->eps > 0.0f))
        BAD("train options: eps %g must be finite and > 0", (double)o->eps);
    if ((unsigned)o->schedule > MYELIN_SCHED_EXP)
        BAD("train options: schedule %d is not a myelin_schedule", (int)o->schedule);
    if (o->schedule != MYELIN_SCHED_CONSTANT && !(isfinite(o->decay) && o->decay > 0.0f))
        BAD("train options: decay %g must be finite and > 0", (double)o->decay);
    if (o->schedule == MYELIN_SCHED_STEP && o->decay_epochs == 0)
        BAD("train options: decay_epochs must be >= 1 for the step schedule");
    if (!(isfinite(o->layer_decay) && o->layer_decay > 0.0f))
        BAD("train options: layer_decay %g must be finite and > 0 (1 = off)", (double)o->layer_decay);
    if (!(isfinite(o->l1) && o->l1 >= 0.0f))
        BAD("train options: l1 %g must be finite and >= 0", (double)o->l1);
    if (!(isfinite(o->l2) && o->l2 >= 0.0f))
        BAD("train options: l2 %g must be finite and >= 0", (double)o->l2);
    if (o->epochs == 0)
        BAD("train options: epochs is 0");
    if (o->batch == 0)
        BAD("train options: batch is 0");
#undef BAD
    return MYELIN_OK;
}

static int all_finite(const myelin_net *net)
{
    for (size_t l = 0; l < net->n_layers; l++) {
        const size_t nw = net->fan_in[l] * net->spec[l].units;
        float acc = 0.0f;
        for (size_t i = 0; i < nw; i++)
            acc += net->w[l][i] * 0.0f; /* NaN or inf anywhere makes this NaN */
        for (size_t j = 0; j < net->spec[l].units; j++)
            acc += net->b[l][j] * 0.0f;
        if (acc != 0.0f)
            return 0;
    }
    return 1;
}

/* dst <- src in chunks of 16 KiB split statically over the threads. */
static void par_copy(float *dst, const float *src, size_t n, int threads)
{
    const size_t chunk = 4096, nch = (n + chunk - 1) / chunk;
    if (threads <= 1 || nch <= 8) {
        memcpy(dst, src, n * sizeof(float));
        return;
    }
#pragma omp parallel for schedule(static) num_threads(threads)
    for (size_t c = 0; c < nch; c++) {
        size_t lo = c * chunk, len = n - lo < chunk ? n - lo : chunk;
        memcpy(dst + lo, src + lo, len * sizeof(float));
    }
}

/* Saves (restore = 0) or brings back (1) the checkpoint: every layer's
   parameters and the optimiser's state. part of parts: this thread's share
   of a save made inside a parallel region (0 of 1: the whole, the copies
   split over the team). */
static void snapshot_part(train_ws *ws, int restore, int part, int parts)
{
    const myelin_net *net = ws->net;
    for (size_t l = 0; l < net->n_layers; l++) {
        const size_t nw = net->fan_in[l] * net->spec[l].units, n = net->spec[l].units;
        float *live[6] = {net->w[l], net->b[l], ws->sw[0][l], ws->sb[0][l], ws->sw[1][l], ws->sb[1][l]};
        float *kept[6] = {ws->wprev[l], ws->bprev[l], ws->swprev[0][l], ws->sbprev[0][l], ws->swprev[1][l],
                          ws->sbprev[1][l]};
        for (int i = 0; i < 6; i++) {
            if (!live[i] || !kept[i])
                continue;
            const size_t cnt = (i & 1) ? n : nw, lo = cnt * (size_t)part / (size_t)parts,
                         hi = cnt * (size_t)(part + 1) / (size_t)parts;
            if (l == 0 && i == 0 && ws->w0_live) { /* a save (rewind_to syncs before a restore) */
                for (int h = 0; h < 2; h++)
                    if (parts == 1 || h % parts == part) /* each thread the block it owns */
                        w0_block_copy(ws, h, kept[0], 0);
            } else if (parts > 1)
                memcpy(kept[i] + lo, live[i] + lo, (hi - lo) * sizeof(float));
            else if (restore)
                par_copy(live[i], kept[i], cnt, ws->threads);
            else
                par_copy(kept[i], live[i], cnt, ws->threads);
        }
    }
}

static void snapshot(train_ws *ws, int restore) { snapshot_part(ws, restore, 0, 1); }

static double epoch_lr(const myelin_train_opts *o, size_t epoch /* 1-based */)
{
    switch (o->schedule) {
    case MYELIN_SCHED_STEP: return o->lr * pow(o->decay, (double)((epoch - 1) / o->decay_epochs));
    case MYELIN_SCHED_EXP: return o->lr * pow(o->decay, (double)(epoch - 1));
    default: return o->lr;
    }
}

/* ------------------------------------------------------------ the loop */

/* Checkpoints are taken every CKPT_EVERY steps (copying all parameters every
   step would cost 4% of an epoch on 784-512-256-10); the weights of any later
   step are recovered exactly by replaying the steps since the checkpoint, which
   the counter-based random numbers make bit-for-bit repeatable. */
enum { CKPT_EVERY = 16 };

/* Whether step `step` takes a checkpoint (once its loss is known finite). */
static int checkpoint_due(const train_ws *ws, uint64_t step)
{
    return !ws->have_ckpt || step - ws->ckpt_step >= CKPT_EVERY;
}

/* After step `step`'s loss was found finite and before it updates anything:
   a checkpoint every CKPT_EVERY steps. Never before the loss is known: a
   checkpoint of the weights that gave a non-finite loss is where the rewind
   would start, and it would return those weights. */
static void checkpoint(train_ws *ws, uint64_t step)
{
    if (checkpoint_due(ws, step)) {
        snapshot(ws, 0);
        ws->ckpt_step = step;
        ws->have_ckpt = 1;
    }
}

static void plan_epoch(update_plan *plan, const myelin_net *net, const myelin_train_opts *o, size_t epoch)
{
    const double lr = epoch_lr(o, epoch);
    double ld = 1.0;
    for (size_t l = 0; l < net->n_layers; l++) {
        plan->lr[l] = (float)(lr * net->spec[l].lr_mult / ld);
        ld *= o->layer_decay;
    }
}

static void load_order(train_ws *ws, const myelin_train_opts *o, size_t rows, size_t epoch)
{
    if (ws->perm_epoch == epoch)
        return;
    if (o->shuffle)
        myl_rng_permutation(myl_rng_key(o->seed, MYL_STREAM_SHUFFLE, 0, epoch), ws->perm, rows);
    else if (ws->perm_epoch == 0)
        for (size_t i = 0; i < rows; i++)
            ws->perm[i] = (uint32_t)i;
    ws->perm_epoch = epoch;
}

/* Puts the net back in the state it had before step `target` (0-based,
   global): the checkpoint, then the steps from it up to target - 1 again. */
static int rewind_to(train_ws *ws, const myelin_dataset *d, const myelin_train_opts *o, uint64_t target)
{
    if (!ws->have_ckpt)
        return MYELIN_OK; /* target is 0: nothing was updated */
    const myelin_net *net = ws->net;
    const size_t rows = d->rows, B = ws->batch, steps_per_epoch = (rows + B - 1) / B;
    update_plan plan;
    memset(&plan, 0, sizeof plan);
    plan.o = o;
    plan.cfg = (myl_opt_cfg){o->opt, o->momentum, o->beta1, o->beta2, o->rho, o->eps, o->l1, o->l2};
    ws->prof = NULL;
    myl_train_sync(net); /* the replay's steps read the row-major weights */
    snapshot(ws, 1);
    for (uint64_t q = ws->ckpt_step; q < target; q++) {
        const size_t epoch = (size_t)(q / steps_per_epoch) + 1, s = (size_t)(q % steps_per_epoch);
        const size_t first = s * B, r = rows - first < B ? rows - first : B;
        plan_epoch(&plan, net, o, epoch);
        load_order(ws, o, rows, epoch);
        myl_gather_batch(net, d, ws->perm, first, r, ws->x0, ws->t, ws->threads);
        double bl;
        size_t bc;
        int st = forward(ws, r, q, &bl, &bc, 1);
        plan.t = q + 1;
        if (!st)
            st = backward(ws, r, q, &plan, o->l1, o->l2);
        if (st)
            return st;
    }
    return MYELIN_OK;
}

/* Thread 0's part of an overlapped step, once layer 0's forward product is
   in y[0]: layers >= 1 forward, the loss (*loss, NaN if not computed), and
   when it is finite a checkpoint and the backward pass down to layer 1
   (*updated then says it ran without error). */
static int tail_layers(train_ws *ws, const myelin_train_opts *o, update_plan *plan, size_t r, uint64_t step,
                       double *loss, size_t *correct, int *updated)
{
    const myelin_net *net = ws->net;
    double bl;
    *loss = NAN;
    *updated = 0;
    int st = forward_layers(ws, r, step, 1, net->n_layers);
    if (!st)
        st = output_loss(ws, r, &bl, correct, 1);
    if (st)
        return st;
    *loss = bl / (double)r + (o->l1 != 0.0f || o->l2 != 0.0f ? penalty(ws, net, o->l1, o->l2, 1) : 0.0);
    if (ws->prof)
        lap(ws, &ws->prof->loss);
    if (!isfinite(*loss))
        return MYELIN_OK;
    checkpoint(ws, step);
    plan->t = step + 1;
    if (ws->prof)
        lap(ws, &ws->prof->copy);
    st = backward_layers(ws, r, step, plan, o->l1, o->l2, 1, net->n_layers);
    *updated = !st;
    return st;
}

/* The overlapped step (ws->overlap: layers >= 1 small enough for one
   thread): layer 0's forward product on the team; then layers >= 1 on
   thread 0 while the last thread gathers the next minibatch into x0_next;
   then layer 0's update on the team. Same operations in the same order as
   the plain step. *batch_loss is NaN when nothing was updated. */
static int overlap_step(train_ws *ws, const myelin_dataset *d, const myelin_train_opts *o, update_plan *plan,
                        size_t first, size_t r, size_t next_r, uint64_t step, double *batch_loss, size_t *correct)
{
    const myelin_net *net = ws->net;
    int st = forward_layers(ws, r, step, 0, 1), updated = 0;
    if (st)
        return st;
#pragma omp parallel num_threads(2)
    {
        myl_pin_team();
        const int tid = omp_get_thread_num(), team = omp_get_num_threads();
        if (tid == 0)
            st = tail_layers(ws, o, plan, r, step, batch_loss, correct, &updated);
        if (tid == team - 1)
            myl_gather_batch(net, d, ws->perm, first + r, next_r, ws->x0_next, ws->t_next, 1);
    }
    if (!st && updated)
        st = backward_layers(ws, r, step, plan, o->l1, o->l2, 0, 1);
    return st;
}

/* The minibatch as thread h reads it in one_region_step. */
static const float *x_of(const train_ws *ws, int h, int bytes) { return bytes && h ? ws->x1 : ws->x0; }

/* Thread h's units of layer 0 forward, in the one-region steps: its block
   of W0 filled first when the blocks are not live, the minibatch's bytes
   converted into its copy when convert is set, then its columns of y[0]. */
static int layer0_share_fwd(train_ws *ws, int h, int live, int convert, size_t r, int bytes)
{
    const myelin_net *net = ws->net;
    const size_t c0 = h ? ws->c0 : 0, fin = net->fan_in[0], n = net->spec[0].units;
    size_t ld;
    const float *w = w0_block(ws, h, &ld);
    if (!live)
        w0_block_copy(ws, h, net->w[0], 1);
    if (convert)
        myl_convert_batch(net, ws->raw, r, h ? ws->x1 : ws->x0);
    return myl_gemm(0, 0, r, ld, fin, 1.0f, x_of(ws, h, bytes), fin, w, ld, 0.0f, ws->y[0] + c0, n, net->b[0] + c0,
                    myl_layer_fwd_act(net, 0), ws->slope);
}

/* The overlapped step in one parallel region when layer 0 learns by plain
   SGD without masks on two threads (ws->c0): each thread computes its units
   of layer 0, [0, c0) or [c0, units) (a split the team GEMM could make: the
   same bytes), thread 0 runs tail_layers while thread 1 gathers the next
   minibatch, then each thread updates its units of layer 0 (thread 0 the
   bias too). Two barriers instead of three regions' forks and joins: 1.5 %
   a step at ~330 ns between the cores (two runs of 10 interleaved pairs).

   bytes (a byte dataset): each thread reads a copy of the minibatch of its
   own. Thread 1 gathers the next minibatch's bytes into raw_next and
   converts them into x1_next; thread 0 converts raw into x0 at the step's
   start. Only the bytes (a quarter of the floats) pass between the cores,
   and no line of X is shared, so the gather no longer waits for the other
   core to give up its copies of the lines it overwrites: with one shared X,
   thread 0 waited about 30 us a step at the barrier for thread 1's gather
   (~300 ns between the cores). 13 % a step there (8 interleaved pairs).
   The conversions are the gather's: the same floats. */
static int one_region_step(train_ws *ws, const myelin_dataset *d, const myelin_train_opts *o, update_plan *plan,
                           size_t first, size_t r, size_t next_r, int bytes, uint64_t step, double *batch_loss,
                           size_t *correct)
{
    const myelin_net *net = ws->net;
    const size_t fin = net->fan_in[0], n = net->spec[0].units;
    const float lr = plan->lr[0];
    myelin_profile *pr = ws->prof;
    int fst[2] = {MYELIN_OK, MYELIN_OK}, ust[2] = {MYELIN_OK, MYELIN_OK}, bst = MYELIN_OK, update = 0;
    const int live = ws->w0_live;
    *batch_loss = NAN;
    ws->w0_live = 1; /* each thread fills its block first if it was not */
#pragma omp parallel num_threads(2)
    {
        myl_pin_team();
        const int team = omp_get_num_threads(), me = omp_get_thread_num();
        for (int h = me; h < 2; h += team)
            fst[h] = layer0_share_fwd(ws, h, live, bytes && h == 0, r, bytes);
#pragma omp barrier
        if (me == 0 && !fst[0] && !fst[1]) {
            if (pr) {
                lap(ws, &pr->layer[0].fwd_gemm);
                pr->layer[0].flops_fwd += 2.0 * (double)r * (double)n * (double)fin;
            }
            bst = tail_layers(ws, o, plan, r, step, batch_loss, correct, &update);
        }
        if (me == team - 1 && next_r && bytes)
            myl_stage_batch(net, d, ws->perm, first + r, next_r, ws->raw_next, ws->x1_next, ws->t_next, 0);
        else if (me == team - 1 && next_r)
            myl_gather_batch(net, d, ws->perm, first + r, next_r, ws->x0_next, ws->t_next, 1);
#pragma omp barrier
        for (int h = me; h < 2 && update && lr != 0.0f; h += team) {
            const size_t c0 = h ? ws->c0 : 0;
            size_t ld;
            float *w = w0_block(ws, h, &ld);
            ust[h] = myl_gemm(1, 0, fin, ld, r, -lr, x_of(ws, h, bytes), fin, ws->g[0] + c0, n, 1.0f - lr * o->l2,
                              w, ld, NULL, MYL_ACT_LINEAR, 0.0f);
        }
        if (me == 0 && update && lr != 0.0f) {
            sgd_bias(r, n, n, lr, ws->g[0], net->b[0]);
            if (pr) {
                lap(ws, &pr->layer[0].bwd_gemm_dw);
                pr->layer[0].flops_bwd += 2.0 * (double)r * (double)n * (double)fin;
            }
        }
    }
    return fst[0] ? fst[0] : fst[1] ? fst[1] : bst ? bst : ust[0] ? ust[0] : ust[1];
}

/* Thread 1's view of layers >= 1 in pair_step: ws with its own copies
   of what both threads compute alike (the activations and gradients of
   layers >= 1, their biases, the weights of layers >= 2). */
static void twin_view(const train_ws *ws, train_ws *tv, myelin_net *tnet)
{
    *tv = *ws;
    *tnet = *ws->net;
    tv->net = tnet;
    tv->prof = NULL;
    tv->threads = 1;
    tv->p = ws->tp;
    for (size_t l = 1; l < tnet->n_layers; l++) {
        tv->y[l] = ws->ty[l];
        tv->g[l] = ws->tg[l];
        tnet->b[l] = ws->tb[l];
        if (l >= 2) {
            tnet->w[l] = ws->tw[l];
            tv->din[l] = ws->tdin[l];
            tv->wd[l] = ws->twd[l];
            tv->dw[l] = ws->tdw[l];
            tv->db[l] = ws->tdb[l];
        }
    }
}

/* The twin's copies from the net (when w0_live was 0: the net may have
   changed since the last one-region step). */
static void twin_fill(const train_ws *ws)
{
    const myelin_net *net = ws->net;
    for (size_t l = 1; l < net->n_layers; l++) {
        memcpy(ws->tb[l], net->b[l], net->spec[l].units * sizeof(float));
        if (l >= 2)
            memcpy(ws->tw[l], net->w[l], net->fan_in[l] * net->spec[l].units * sizeof(float));
    }
}

/* Layer 1's backward pass for the units [lo, hi) of layer 0 (one thread's
   share in pair_step): their input gradient, through the activation
   of layer 0, and the update of the rows of W1 they feed, which only this
   thread reads; V's bias of layer 1 too (each thread updates its own copy).
   Row and column subsets of the plain step's products: the same bytes. */
static int layer1_share(const train_ws *V, const update_plan *plan, float l2, size_t r, size_t lo, size_t hi)
{
    const myelin_net *net = V->net;
    const size_t n0 = net->spec[0].units, n1 = net->spec[1].units, m = hi - lo;
    const float lr = plan->lr[1];
    float *w = net->w[1] + lo * n1, *g0 = V->g[0] + lo;
    int st = myl_gemm(0, 1, r, m, n1, 1.0f, V->g[1], n1, w, n1, 0.0f, g0, n0, NULL, MYL_ACT_LINEAR, 0.0f);
    if (!st && lr != 0.0f) {
        st = myl_gemm(1, 0, m, n1, r, -lr, V->y[0] + lo, n0, V->g[1], n1, 1.0f - lr * l2, w, n1, NULL,
                      MYL_ACT_LINEAR, 0.0f);
        sgd_bias(r, n1, n1, lr, V->g[1], net->b[1]);
    }
    const int act = (int)net->spec[0].act;
    if (!st && act != MYL_ACT_LINEAR)
        for (size_t i = 0; i < r; i++)
            V->k->vact_bwd(act, V->slope, m, V->y[0] + i * n0 + lo, g0 + i * n0, g0 + i * n0);
    return st;
}

/* The step in one parallel region, on two threads, for nets whose layer 1
   is too big for one thread (not ws->overlap) but whose later layers are
   small, and whose layers 0 and 1 learn by plain SGD without masks
   (ws->pair; c0 = k1). Each thread owns half of layer 0's units: [0, c0) or
   [c0, units). For them it computes layer 0's output from its own block of
   W0 (w0_block) and its own copy of the minibatch, then their part of
   layer 1's forward product (q[h]; k1 in ws_alloc). One barrier; then each
   thread adds the two parts and runs layers >= 1 forward and back to layer
   1's output gradient, both threads alike, each on its own copies
   (twin_view); and then, for its own units only, layer 1's input gradient
   and the update of the rows of W1 they feed (layer1_share), and the update
   of its block of W0 and of its biases of layer 0. So no weight and no
   gradient crosses between the cores, only the two parts of layer 1's
   product and the next minibatch's bytes, which both threads gather, half
   each, last. Every value is computed as in the plain step: the same bytes
   on any thread count. 784-512-256-10, batch 128, 2 threads: 0.53-0.56 s an
   epoch with every product split over the team, 0.47 s this way (~300 ns
   between the cores). For 784-128-64-10 one_region_step is faster (5 % at
   ~300 ns, 8 interleaved pairs): its serial layers 1 and 2 cost less than
   the work both threads repeat here and the lines they exchange.

   On byte datasets each thread converts the minibatch's bytes into its
   own floats at the step's start, into the same buffer every step, whose
   lines stay in its core's cache (converting into a second buffer, as
   one_region_step does, took three times as long here). */
static int pair_step(train_ws *ws, const myelin_dataset *d, const myelin_train_opts *o, update_plan *plan,
                           size_t first, size_t r, size_t next_r, int bytes, uint64_t step, double *batch_loss,
                           size_t *correct)
{
    const myelin_net *net = ws->net;
    const size_t fin = net->fan_in[0], n = net->spec[0].units, n1 = net->spec[1].units, layers = net->n_layers;
    const float lr = plan->lr[0];
    myelin_profile *pr = ws->prof;
    int fst[2] = {MYELIN_OK, MYELIN_OK}, bst[2] = {MYELIN_OK, MYELIN_OK};
    const int live = ws->w0_live;
    /* the minibatch after the next one, whose rows each thread prefetches (its half) */
    const size_t left = d->rows - first - r - next_r, after = left < ws->batch ? left : ws->batch;
    /* before either thread changes a weight: the penalty (both threads test
       the loss); the checkpoint is taken inside, once the loss is known */
    const double pen = o->l1 != 0.0f || o->l2 != 0.0f ? penalty(ws, net, o->l1, o->l2, 1) : 0.0;
    const int ckpt = checkpoint_due(ws, step);
    int finite[2] = {0, 0};
    plan->t = step + 1;
    if (pr)
        lap(ws, &pr->copy);
    *batch_loss = NAN;
    ws->w0_live = 1; /* each thread fills its block (thread 1 the twin) first if it was not */
    ws->q_ready = 1; /* for the forward pass after the barrier */
#pragma omp parallel num_threads(2)
    {
        myl_pin_team();
        const int team = omp_get_num_threads(), me = omp_get_thread_num();
        for (int h = me; h < 2; h += team) {
            const size_t c0 = h ? ws->c0 : 0, ld = h ? n - ws->c0 : ws->c0;
            if (!live && h)
                twin_fill(ws);
            /* converted into the same buffer every step: its lines stay in this core's cache */
            fst[h] = layer0_share_fwd(ws, h, live, bytes, r, bytes);
            if (pr && h == 0)
                lap(ws, &pr->layer[0].fwd_gemm);
            if (!fst[h])
                fst[h] = myl_gemm(0, 0, r, n1, ld, 1.0f, ws->y[0] + c0, n, net->w[1] + c0 * n1, n1, 0.0f, ws->q[h],
                                  n1, NULL, MYL_ACT_LINEAR, 0.0f);
        }
#pragma omp barrier
        const int fwd_ok = !fst[0] && !fst[1];
        for (int h = me; h < 2 && fwd_ok; h += team) {
            if (pr && h == 0) {
                lap(ws, &pr->layer[1].fwd_gemm); /* its part of layer 1 and the wait; the flops: forward_layers */
                pr->layer[0].flops_fwd += 2.0 * (double)r * (double)n * (double)fin;
            }
            train_ws tv;
            myelin_net tnet;
            train_ws *v = ws;
            if (h) {
                twin_view(ws, &tv, &tnet);
                v = &tv;
            }
            double bl = NAN;
            size_t right = 0;
            int s = forward_layers(v, r, step, 1, layers);
            if (!s)
                s = output_loss(v, r, &bl, &right, 1);
            const double loss = bl / (double)r + pen;
            if (h == 0) {
                *batch_loss = s ? NAN : loss;
                *correct = right;
            }
            finite[h] = !s && isfinite(loss);
            bst[h] = s;
        }
        /* Both threads computed the same loss. On a checkpoint step, each
           saves its share once it is known finite and before either updates
           anything (barriers on both sides; ckpt is the same on both). */
        if (ckpt) {
#pragma omp barrier
            if (fwd_ok && finite[0] && finite[1])
                snapshot_part(ws, 0, me, team);
#pragma omp barrier
        }
        for (int h = me; h < 2 && fwd_ok && finite[h]; h += team) {
            const size_t c0 = h ? ws->c0 : 0;
            size_t ld;
            float *w = w0_block(ws, h, &ld);
            train_ws tv;
            myelin_net tnet;
            train_ws *v = ws;
            if (h) {
                twin_view(ws, &tv, &tnet);
                v = &tv;
            }
            int s = backward_layers(v, r, step, plan, o->l1, o->l2, 2, layers);
            if (!s)
                s = layer1_share(v, plan, o->l2, r, c0, c0 + ld);
            if (pr && h == 0) {
                lap(ws, &pr->layer[1].bwd_gemm_dx);
                pr->layer[1].flops_bwd += 4.0 * (double)r * (double)n1 * (double)n;
            }
            if (!s && lr != 0.0f) {
                s = myl_gemm(1, 0, fin, ld, r, -lr, x_of(ws, h, bytes), fin, ws->g[0] + c0, n,
                             1.0f - lr * o->l2, w, ld, NULL, MYL_ACT_LINEAR, 0.0f);
                sgd_bias(r, ld, n, lr, ws->g[0] + c0, net->b[0] + c0);
            }
            if (pr && h == 0) {
                lap(ws, &pr->layer[0].bwd_gemm_dw);
                pr->layer[0].flops_bwd += 2.0 * (double)r * (double)n * (double)fin;
            }
            bst[h] = s;
        }
        if (next_r && bytes) /* each thread half of the rows: the other thread reads them after the join */
            myl_stage_rows(net, d, ws->perm, first + r, next_r, ws->raw_next, NULL, ws->t_next, after,
                           me * next_r / (size_t)team, (me + 1) * next_r / (size_t)team);
        else if (me == team - 1 && next_r)
            myl_gather_batch(net, d, ws->perm, first + r, next_r, ws->x0_next, ws->t_next, 1);
    }
    ws->q_ready = 0;
    if (ckpt && !fst[0] && !fst[1] && finite[0] && finite[1]) {
        ws->ckpt_step = step;
        ws->have_ckpt = 1;
    }
    return fst[0] ? fst[0] : fst[1] ? fst[1] : bst[0] ? bst[0] : bst[1];
}

static int train_loop(myelin_net *net, const myelin_dataset *d, const myelin_train_opts *o, train_ws *ws)
{
    const size_t rows = d->rows, B = ws->batch, steps_per_epoch = (rows + B - 1) / B;
    myelin_profile *pr = ws->prof;
    update_plan plan;
    memset(&plan, 0, sizeof plan);
    plan.o = o;
    plan.cfg = (myl_opt_cfg){o->opt, o->momentum, o->beta1, o->beta2, o->rho, o->eps, o->l1, o->l2};
    ws->seed = o->seed;
    ws->masks = 1;
    const int pen = o->l1 != 0.0f || o->l2 != 0.0f;
    uint64_t step = 0;
    myl_infer_ws val = {0};
    if (o->val) {
        val.chunk = B;
        val.x = ws->x0;
        val.t = ws->t;
        val.p = ws->p;
        for (size_t l = 0; l < net->n_layers; l++)
            val.bufs[l] = ws->y[l];
    }
    for (size_t epoch = 1; epoch <= o->epochs; epoch++) {
        const double t_epoch = now();
        ws->mark = t_epoch;
        const double lr = epoch_lr(o, epoch);
        plan_epoch(&plan, net, o, epoch);
        load_order(ws, o, rows, epoch);
        if (pr)
            lap(ws, &pr->shuffle);
        double loss_sum = 0.0;
        size_t correct = 0;
        int gathered = 0; /* this step's minibatch is ready: 1 in x0, 2 in raw and x1 (bytes) */
        for (size_t s = 0; s < steps_per_epoch; s++, step++) {
            const size_t first = s * B, r = rows - first < B ? rows - first : B;
            const size_t next_r = s + 1 < steps_per_epoch ? (rows - first - r < B ? rows - first - r : B) : 0;
            const int staged = next_r && ws->c0 && d->x_u8; /* one_region_step or pair_step on bytes */
            if (!gathered && staged)
                myl_stage_batch(net, d, ws->perm, first, r, ws->raw, ws->pair ? NULL : ws->x1, ws->t,
                                next_r < r ? next_r : r);
            else if (!gathered)
                myl_gather_prefetch(net, d, ws->perm, first, r, ws->x0, ws->t, ws->threads,
                                    next_r < r ? next_r : r);
            else if (gathered == 2 && !staged) /* the epoch's last step */
                myl_convert_batch(net, ws->raw, r, ws->x0);
            gathered = 0;
            if (pr)
                lap(ws, &pr->copy);
            double bl;
            size_t bc;
            int st;
            double batch_loss;
            if ((ws->overlap || ws->pair) && next_r) {
                st = ws->pair   ? pair_step(ws, d, o, &plan, first, r, next_r, staged, step, &batch_loss, &bc)
                     : ws->c0   ? one_region_step(ws, d, o, &plan, first, r, next_r, staged, step, &batch_loss, &bc)
                                : overlap_step(ws, d, o, &plan, first, r, next_r, step, &batch_loss, &bc);
                if (st) /* the products' only failure is memory; others keep their own message */
                    return st != MYELIN_ENOMEM ? st
                                               : myl_fail(st, "epoch %zu, minibatch %zu: out of memory in a matrix "
                                                          "product", epoch, s + 1);
                if (isfinite(batch_loss) && staged) {
                    uint8_t *raw = ws->raw;
                    float *x1 = ws->x1, *t = ws->t;
                    ws->raw = ws->raw_next;
                    if (ws->x1_next) { /* one_region_step converted the next minibatch */
                        ws->x1 = ws->x1_next;
                        ws->x1_next = x1;
                    }
                    ws->t = ws->t_next;
                    ws->raw_next = raw;
                    ws->t_next = t;
                    gathered = 2;
                } else if (isfinite(batch_loss)) {
                    float *x = ws->x0, *t = ws->t;
                    ws->x0 = ws->x0_next;
                    ws->t = ws->t_next;
                    ws->x0_next = x;
                    ws->t_next = t;
                    gathered = 1;
                }
            } else {
                myl_train_sync(net);
                if ((st = forward(ws, r, step, &bl, &bc, 1)))
                    return st;
                batch_loss = bl / (double)r + (pen ? penalty(ws, net, o->l1, o->l2, ws->threads) : 0.0);
                if (pr)
                    lap(ws, &pr->loss);
            }
            if (!isfinite(batch_loss)) {
                /* the last finite loss was step - 1's: its weights are the
                   state before it */
                if (step > 0 && (st = rewind_to(ws, d, o, step - 1)))
                    return st;
                return myl_fail(MYELIN_ENUMERIC, "epoch %zu, minibatch %zu: the loss is %g; training stopped with "
                                "the weights of the last step whose loss was finite%s (try a smaller learning "
                                "rate)", epoch, s + 1, batch_loss, step > 0 ? "" : " (the initial weights)");
            }
            if (!gathered) {
                checkpoint(ws, step);
                plan.t = step + 1;
                if (pr)
                    lap(ws, &pr->copy);
                if ((st = backward(ws, r, step, &plan, o->l1, o->l2)))
                    return myl_fail(st, "epoch %zu, minibatch %zu: out of memory in a matrix product", epoch,
                                    s + 1);
            }
            loss_sum += batch_loss * (double)r;
            correct += bc;
            if (o->on_batch && o->on_batch(first + r, rows, loss_sum / (double)(first + r), o->on_batch_user))
                return myl_fail(MYELIN_ESTOPPED, "training stopped by the batch callback in epoch %zu after %zu of "
                                "%zu samples", epoch, first + r, rows);
            if (pr)
                lap(ws, &pr->other);
        }
        myelin_epoch_stats es;
        memset(&es, 0, sizeof es);
        es.epoch = epoch;
        es.epochs = o->epochs;
        es.loss = loss_sum / (double)rows;
        es.accuracy = (double)correct / (double)rows;
        es.val_loss = es.val_accuracy = NAN;
        es.lr = lr;
        es.samples = rows;
        es.threads = ws->threads;
        if (o->val) {
            int st = myl_eval_dataset(net, ws->k, o->val, &val, ws->threads, &es.val_loss, &es.val_accuracy);
            if (st)
                return st;
        }
        es.seconds = now() - t_epoch;
        if (pr) {
            lap(ws, &pr->other);
            pr->total += es.seconds;
        }
        if (o->on_epoch && o->on_epoch(&es, o->on_epoch_user))
            return myl_fail(MYELIN_ESTOPPED, "training stopped by the epoch callback after epoch %zu of %zu", epoch,
                            o->epochs);
    }
    /* the last update had no forward pass after it to check it */
    myl_train_sync(net);
    if (!all_finite(net)) {
        int st = rewind_to(ws, d, o, step - 1);
        if (st)
            return st;
        return myl_fail(MYELIN_ENUMERIC, "the last update made a weight non-finite; training stopped with the "
                        "weights of the step before (try a smaller learning rate)");
    }
    return MYELIN_OK;
}

/* The workspace of a net's last training run stays with the net (freed by
   myelin_net_free) and is reused by the next run that needs the same
   buffers: a fresh one costs its page faults, about 12 us per 4 KiB page on
   the VMs here, 2-4 ms for 784-128-64-10 at batch 128, 10-20 % of a run of
   8192 samples. What it holds from the last run is reset: the optimiser's
   state starts at zero and no checkpoint is kept, so a run gives the same
   bytes either way (tests/engine/test_train.c). */
void myl_train_cache_free(myelin_net *net)
{
    train_ws *ws = net->train_cache;
    if (ws) {
        ws_free(ws);
        free(ws);
    }
    net->train_cache = NULL;
}

static train_ws *cached_ws(myelin_net *net, const myl_kernels *k, size_t batch, size_t rows,
                           const myelin_train_opts *o, int *st)
{
    train_ws *ws = net->train_cache;
    const int threads = myl_threads(), l1 = o->l1 != 0.0f;
    if (ws && ws->k == k && ws->batch == batch && ws->rows == rows && ws->key_threads == threads &&
        ws->key_min_team_work == min_team_work && ws->key_opt == (int)o->opt && ws->key_l1 == l1) {
        ws->slope = myelin_leaky_slope(); /* the caller may have set another since */
        const int nstates = myl_opt_states(o->opt);
        for (size_t l = 0; l < net->n_layers; l++) {
            const size_t nw = net->fan_in[l] * net->spec[l].units;
            for (int q = 0; q < nstates; q++) {
                memset(ws->sw[q][l], 0, nw * sizeof(float));
                memset(ws->sb[q][l], 0, net->spec[l].units * sizeof(float));
            }
        }
        ws->have_ckpt = 0;
        ws->ckpt_step = 0;
        ws->perm_epoch = 0;
        ws->prof = NULL;
        return ws;
    }
    myl_train_cache_free(net);
    ws = malloc(sizeof *ws);
    if (!ws) {
        *st = myl_fail(MYELIN_ENOMEM, "out of memory for the training buffers (batch %zu)", batch);
        return NULL;
    }
    if ((*st = ws_alloc(ws, net, k, batch, rows, 0, o, 1))) {
        free(ws);
        return NULL;
    }
    ws->rows = rows;
    ws->key_threads = threads;
    ws->key_min_team_work = min_team_work;
    ws->key_opt = (int)o->opt;
    ws->key_l1 = l1;
    net->train_cache = ws;
    return ws;
}

int myelin_train(myelin_net *net, const myelin_dataset *train, const myelin_train_opts *opts)
{
    if (!net)
        return myl_fail(MYELIN_EINVAL, "myelin_train: net is NULL");
    myelin_train_opts defaults;
    if (!opts) {
        myelin_train_opts_default(&defaults);
        opts = &defaults;
    }
    int st = check_opts(opts);
    if (st)
        return st;
    if ((st = myl_check_dataset(net, train, "training", 1)))
        return st;
    if (opts->val && (st = myl_check_dataset(net, opts->val, "validation", 1)))
        return st;
    const myl_kernels *k;
    if ((st = myl_kernels_get(&k)))
        return st;
    const size_t batch = opts->batch < train->rows ? opts->batch : train->rows;
    train_ws *ws = cached_ws(net, k, batch, train->rows, opts, &st);
    if (!ws)
        return st;
    if (opts->profile) {
        memset(&net->profile, 0, sizeof net->profile);
        net->profile.n_layers = net->n_layers;
        net->has_profile = 1;
        ws->prof = &net->profile;
    }
    myl_clear_error();
    const int capped = ws->threads == 1, cap = capped ? myl_cap_threads(1) : 0;
    myl_fpenv_enter(ws->fpsave, ws->threads);
    st = train_loop(net, train, opts, ws);
    myl_train_sync(net); /* whatever the status, the net holds its last weights */
    myl_fpenv_restore(ws->fpsave, ws->threads);
    if (capped)
        myl_cap_threads(cap);
    return st;
}

int myelin_net_profile(const myelin_net *net, myelin_profile *out)
{
    if (!net || !out)
        return myl_fail(MYELIN_EINVAL, "myelin_net_profile: %s is NULL", !net ? "net" : "out");
    if (!net->has_profile)
        return myl_fail(MYELIN_EINVAL, "myelin_net_profile: no profiled training yet (set opts.profile = 1)");
    *out = net->profile;
    return MYELIN_OK;
}

int myl_net_gradients(myelin_net *net, const myelin_dataset *d, float l1, float l2, uint64_t seed,
                      uint64_t dropout_step, float *const *dw, float *const *db, double *loss)
{
    if (!net || !dw || !db || !loss)
        return myl_fail(MYELIN_EINVAL, "myl_net_gradients: NULL argument");
    int st = myl_check_dataset(net, d, "gradient", 1);
    if (st)
        return st;
    myl_train_sync(net);
    const myl_kernels *k;
    if ((st = myl_kernels_get(&k)))
        return st;
    train_ws ws;
    if ((st = ws_alloc(&ws, net, k, d->rows, 0, 1, NULL, 0)))
        return st;
    ws.seed = seed;
    ws.masks = dropout_step != UINT64_MAX;
    myl_fpenv_enter(ws.fpsave, ws.threads);
    myl_gather_batch(net, d, NULL, 0, d->rows, ws.x0, ws.t, ws.threads);
    double ls;
    size_t c;
    st = forward(&ws, d->rows, ws.masks ? dropout_step : 0, &ls, &c, 1);
    if (!st) {
        *loss = ls / (double)d->rows + penalty(NULL, net, l1, l2, ws.threads);
        st = backward(&ws, d->rows, ws.masks ? dropout_step : 0, NULL, l1, l2);
        for (size_t l = 0; l < net->n_layers && !st; l++) {
            memcpy(dw[l], ws.dw[l], net->fan_in[l] * net->spec[l].units * sizeof(float));
            memcpy(db[l], ws.db[l], net->spec[l].units * sizeof(float));
        }
    }
    myl_fpenv_restore(ws.fpsave, ws.threads);
    ws_free(&ws);
    return st;
}

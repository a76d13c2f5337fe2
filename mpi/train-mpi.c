/* myelin_train_mpi: data-parallel training, the same bytes on any number of
   ranks and threads (include/myelin_mpi.h).

   A step: the minibatch (rows first.. of the epoch's order, the engine's
   shuffle) is cut into chunks of `chunk` rows; rank k computes the chunks
   [nch k / N, nch (k + 1) / N), its threads one chunk each at a time
   (chunk-grad.c), adds up its neighbouring chunks on the fixed tree
   (tree.c), and the exchange (exchange.c) gives every rank the sum of all
   chunks on that tree and every chunk's loss. Every rank then applies the
   same update to the same weights. */
#include "mpi-agree.h"
#include "optim.h"
#include "params.h"
#include "rng.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Everything a run allocates, once. */
typedef struct {
    size_t len, chunk, nch_max, my_max;
    int threads;
    float **part;            /* my_max chunk gradients, len floats each */
    float *grad, *s1, *s2, *prev;
    myl_chunk_ws *cws;       /* one per thread */
    uint32_t *perm;
    double *stats, *all_stats;
    int *cst;
    myl_xbuf xb;
    unsigned *fpsave;
} run_bufs;

static void bufs_free(run_bufs *b, int exchange_ok)
{
    if (b->part)
        for (size_t i = 0; i < b->my_max; i++)
            myl_free(b->part[i]);
    free(b->part);
    myl_free(b->grad);
    myl_free(b->s1);
    myl_free(b->s2);
    myl_free(b->prev);
    if (b->cws)
        for (int t = 0; t < b->threads; t++)
            myl_chunk_ws_free(&b->cws[t]);
    free(b->cws);
    free(b->perm);
    free(b->stats);
    free(b->all_stats);
    free(b->cst);
    free(b->fpsave);
    /* a failed exchange may still write into its buffers: leave them */
    if (exchange_ok)
        myl_xbuf_free(&b->xb);
}

static float *zalloc(size_t n, int *ok)
{
    float *p = myl_alloc((n ? n : 1) * sizeof(float));
    if (p)
        memset(p, 0, (n ? n : 1) * sizeof(float));
    else
        *ok = 0;
    return p;
}

static int bufs_alloc(run_bufs *b, const myelin_net *net, const myelin_train_opts *o, size_t rows,
                      const myl_mpi_ctx *c, size_t B)
{
    memset(b, 0, sizeof *b);
    b->len = myl_param_count(net);
    b->chunk = myl_mpi_chunk(B);
    b->nch_max = (B + b->chunk - 1) / b->chunk;
    b->my_max = (b->nch_max + (size_t)c->size - 1) / (size_t)c->size;
    b->threads = myl_threads();
    int ok = 1;
    b->part = calloc(b->my_max ? b->my_max : 1, sizeof *b->part);
    ok = b->part != NULL;
    for (size_t i = 0; ok && i < b->my_max; i++)
        b->part[i] = zalloc(b->len, &ok);
    b->grad = zalloc(b->len, &ok);
    b->prev = zalloc(b->len, &ok);
    const int ns = myl_opt_states(o->opt);
    if (ns > 0)
        b->s1 = zalloc(b->len, &ok);
    if (ns > 1)
        b->s2 = zalloc(b->len, &ok);
    b->cws = calloc((size_t)b->threads, sizeof *b->cws);
    ok = ok && b->cws;
    for (int t = 0; ok && t < b->threads; t++)
        ok = myl_chunk_ws_alloc(net, b->chunk, &b->cws[t]) == MYELIN_OK;
    b->perm = malloc(rows * sizeof *b->perm);
    b->stats = calloc(2 * b->my_max + 1, sizeof *b->stats);
    b->all_stats = calloc(2 * b->nch_max + (size_t)c->size, sizeof *b->all_stats);
    b->cst = calloc(b->my_max ? b->my_max : 1, sizeof *b->cst);
    b->fpsave = calloc((size_t)b->threads, sizeof *b->fpsave);
    ok = ok && b->perm && b->stats && b->all_stats && b->cst && b->fpsave;
    if (ok && myl_xbuf_alloc(&b->xb, c, b->nch_max, b->len))
        ok = 0;
    if (!ok) {
        bufs_free(b, 1);
        return myl_fail(MYELIN_ENOMEM, "myelin_train_mpi: out of memory for the buffers (%zu parameters, chunks of "
                        "%zu rows)", myl_param_count(net), b->chunk);
    }
    return MYELIN_OK;
}

static double epoch_lr(const myelin_train_opts *o, size_t epoch)
{
    switch (o->schedule) {
    case MYELIN_SCHED_STEP: return o->lr * pow(o->decay, (double)((epoch - 1) / o->decay_epochs));
    case MYELIN_SCHED_EXP: return o->lr * pow(o->decay, (double)(epoch - 1));
    default: return o->lr;
    }
}

/* l1 |w| + l2/2 w^2 over the weights, in element order: the same on every rank. */
static double penalty(const myelin_net *net, float l1, float l2)
{
    if (l1 == 0.0f && l2 == 0.0f)
        return 0.0;
    double s1 = 0.0, s2 = 0.0;
    for (size_t l = 0; l < net->n_layers; l++)
        for (size_t i = 0; i < net->fan_in[l] * net->spec[l].units; i++) {
            s1 += fabsf(net->w[l][i]);
            s2 += (double)net->w[l][i] * net->w[l][i];
        }
    return l1 * s1 + 0.5 * l2 * s2;
}

static void params_copy(myelin_net *net, float *v, int to_net)
{
    for (size_t l = 0, off = 0; l < net->n_layers; l++) {
        const size_t nw = net->fan_in[l] * net->spec[l].units, n = net->spec[l].units;
        float *src[2] = {net->w[l], net->b[l]};
        size_t cnt[2] = {nw, n};
        for (int q = 0; q < 2; q++) {
            if (to_net)
                memcpy(src[q], v + off, cnt[q] * sizeof(float));
            else
                memcpy(v + off, src[q], cnt[q] * sizeof(float));
            off += cnt[q];
        }
    }
}

typedef struct {
    myelin_net *net;
    const myelin_dataset *d;
    const myelin_train_opts *o;
    const myl_kernels *k;
    const myl_mpi_ctx *c;
    run_bufs *b;
    myelin_mpi_profile *pr;
    double mark;
} run;

static void lap(run *R, double *field)
{
    const double t = now();
    *field += t - R->mark;
    R->mark = t;
}

/* The gradients of this rank's chunks [a, b) of the minibatch, on its
   threads, then their sums over the maximal tree nodes inside [a, b):
   mine[] gets one vector per node. */
static int local_grads(run *R, size_t first, size_t r, size_t nch, size_t a, size_t bnd, uint64_t step,
                       float **mine, size_t *nmine)
{
    run_bufs *b = R->b;
    const size_t C = b->chunk, cnt = bnd - a;
    for (size_t j = 0; j < cnt; j++)
        b->cst[j] = MYELIN_OK;
#pragma omp parallel for schedule(dynamic, 1) num_threads(b->threads) if (b->threads > 1 && cnt > 1)
    for (size_t j = 0; j < cnt; j++) {
        const size_t c0 = (a + j) * C, rc = r - c0 < C ? r - c0 : C;
        myl_chunk_ws *ws = &b->cws[omp_get_thread_num()];
        b->cst[j] = myl_chunk_grad(R->net, R->k, R->d, b->perm, first, r, c0, rc, R->o->seed, step, ws, b->part[j],
                                   &b->stats[2 * j], &b->stats[2 * j + 1]);
    }
    for (size_t j = 0; j < cnt; j++)
        if (b->cst[j])
            return myl_fail(b->cst[j], "rank %d: minibatch %llu, chunk %zu: %s", R->c->rank,
                            (unsigned long long)step + 1, a + j, myelin_last_error());
    myl_node nodes[2 * 64 + 2];
    const size_t nn = myl_tree_cover(nch, a, bnd, nodes, 2 * 64 + 2);
    myl_node *lv = malloc((cnt ? cnt : 1) * sizeof *lv);
    if (!lv)
        return myl_fail(MYELIN_ENOMEM, "rank %d: out of memory", R->c->rank);
    for (size_t j = 0; j < cnt; j++)
        lv[j] = (myl_node){a + j, a + j + 1};
    /* element-wise sums: threads take slices of the vector, same bytes */
    size_t where[2 * 64 + 2];
    const size_t len = b->len;
#pragma omp parallel num_threads(b->threads) if (b->threads > 1 && len >= 65536)
    {
        const size_t nt = (size_t)omp_get_num_threads(), id = (size_t)omp_get_thread_num();
        const size_t lo = len * id / nt, hi = len * (id + 1) / nt;
        float *p[64 * 2 + 2];
        float **pp = cnt <= 130 ? p : NULL;
        if (pp)
            for (size_t i = 0; i < nn; i++) {
                for (size_t j = 0; j < cnt; j++)
                    pp[j] = b->part[j] + lo;
                const size_t at = myl_tree_sum(nch, nodes[i].lo, nodes[i].hi, lv, cnt, pp, hi - lo);
                if (id == 0)
                    where[i] = at;
            }
    }
    free(lv);
    if (cnt > 130)
        return myl_fail(MYELIN_EUNSUPPORTED, "rank %d: more than 130 chunks per rank", R->c->rank);
    for (size_t i = 0; i < nn; i++)
        mine[i] = b->part[where[i]];
    *nmine = nn;
    return MYELIN_OK;
}

/* The update of every layer from b->grad (the minibatch's mean gradient). */
static void update(run *R, const float *lr, uint64_t t)
{
    const myelin_train_opts *o = R->o;
    const myl_opt_cfg cfg = {o->opt, o->momentum, o->beta1, o->beta2, o->rho, o->eps, o->l1, o->l2};
    run_bufs *b = R->b;
    myelin_net *net = R->net;
    for (size_t l = 0; l < net->n_layers; l++) {
        const size_t off = myl_param_offset(net, l), nw = net->fan_in[l] * net->spec[l].units;
        float *s1 = b->s1 ? b->s1 + off : NULL, *s2 = b->s2 ? b->s2 + off : NULL;
        myl_opt_update(&cfg, nw, net->w[l], b->grad + off, s1, s2, lr[l], t, 1, b->threads);
        myl_opt_update(&cfg, net->spec[l].units, net->b[l], b->grad + off + nw, s1 ? s1 + nw : NULL,
                       s2 ? s2 + nw : NULL, lr[l], t, 0, b->threads);
    }
}

static int all_finite(const float *v, size_t n)
{
    float acc = 0.0f;
    for (size_t i = 0; i < n; i++)
        acc += v[i] * 0.0f;
    return acc == 0.0f;
}

static int train_loop(run *R)
{
    const myelin_train_opts *o = R->o;
    const myl_mpi_ctx *c = R->c;
    run_bufs *b = R->b;
    myelin_net *net = R->net;
    myelin_mpi_profile *pr = R->pr;
    const size_t rows = R->d->rows, B = o->batch < rows ? o->batch : rows, spe = (rows + B - 1) / B;
    const size_t N = (size_t)c->size, me = (size_t)c->rank;
    float lr[MYELIN_MAX_LAYERS];
    int stop_flag = 0;
    uint64_t step = 0;
    char what[160];
    for (size_t epoch = 1; epoch <= o->epochs; epoch++) {
        const double t_epoch = now();
        R->mark = t_epoch;
        const double elr = epoch_lr(o, epoch);
        double ld = 1.0;
        for (size_t l = 0; l < net->n_layers; l++, ld *= o->layer_decay)
            lr[l] = (float)(elr * net->spec[l].lr_mult / ld);
        if (o->shuffle)
            myl_rng_permutation(myl_rng_key(o->seed, MYL_STREAM_SHUFFLE, 0, epoch), b->perm, rows);
        else
            for (size_t i = 0; i < rows; i++)
                b->perm[i] = (uint32_t)i;
        lap(R, &pr->other);
        double loss_sum = 0.0, correct = 0.0;
        for (size_t s = 0; s < spe; s++, step++) {
            const size_t first = s * B, r = rows - first < B ? rows - first : B;
            const size_t nch = (r + b->chunk - 1) / b->chunk, a = nch * me / N, e = nch * (me + 1) / N;
            float *mine[2 * 64 + 2];
            size_t nmine = 0;
            int st = local_grads(R, first, r, nch, a, e, step, mine, &nmine);
            char failure[400] = "";
            if (st) { /* a product out of memory: say so in the exchange, so that every rank stops now */
                snprintf(failure, sizeof failure, "%s", myelin_last_error());
                nmine = myl_tree_cover(nch, a, e, NULL, 0);
                for (size_t i = 0; i < nmine; i++)
                    mine[i] = b->part[i];
            }
            pr->chunks += e - a;
            /* the flag: 0, 1 (a callback asked to stop) or 1 - status (this rank failed) */
            b->stats[2 * (e - a)] = st ? 1.0 - st : stop_flag;
            lap(R, &pr->compute);
            snprintf(what, sizeof what, "the gradient exchange of epoch %zu, minibatch %zu", epoch, s + 1);
            double t_red = 0.0;
            st = myl_grad_exchange(c, &b->xb, nch, b->len, mine, b->stats, b->grad, b->all_stats, what, &t_red,
                                   &pr->bytes_sent);
            if (st)
                return st;
            lap(R, &pr->exchange);
            pr->exchange -= t_red;
            pr->reduce += t_red;
            double bl = 0.0, bc = 0.0;
            int stop = 0;
            for (size_t j = 0; j < nch; j++) {
                bl += b->all_stats[2 * j];
                bc += b->all_stats[2 * j + 1];
            }
            for (size_t k = 0; k < N; k++) {
                const double f = b->all_stats[2 * nch + k];
                if (f >= 2.0)
                    return (size_t)c->rank == k ? myl_fail(1 - (int)f, "%s", failure)
                                                : myl_fail(1 - (int)f, "rank %zu failed in epoch %zu, minibatch %zu: "
                                                           "%s (its own message says more)", k, epoch, s + 1,
                                                           myelin_strerror(1 - (int)f));
                stop |= f != 0.0;
            }
            if (stop) /* a callback asked after the last minibatch: its update is the last */
                return myl_fail(MYELIN_ESTOPPED, "training stopped by the batch callback in epoch %zu after %zu of "
                                "%zu samples", epoch, first, rows);
            const double batch_loss = bl / (double)r + penalty(net, o->l1, o->l2);
            if (!isfinite(batch_loss))
                return myl_fail(MYELIN_ENUMERIC, "epoch %zu, minibatch %zu: the loss is %g; training stopped with the "
                                "weights before this minibatch (try a smaller learning rate)", epoch, s + 1,
                                batch_loss);
            if (epoch == o->epochs && s + 1 == spe)
                params_copy(net, b->prev, 0); /* the last update has no loss after it to check it */
            update(R, lr, step + 1);
            lap(R, &pr->update);
            loss_sum += batch_loss * (double)r;
            correct += bc;
            if (o->on_batch)
                stop_flag = o->on_batch(first + r, rows, loss_sum / (double)(first + r), o->on_batch_user) != 0;
            pr->steps++;
            lap(R, &pr->other);
        }
        myelin_epoch_stats es;
        memset(&es, 0, sizeof es);
        es.epoch = epoch;
        es.epochs = o->epochs;
        es.loss = loss_sum / (double)rows;
        es.accuracy = correct / (double)rows;
        es.val_loss = es.val_accuracy = NAN;
        es.lr = elr;
        es.samples = rows;
        es.threads = b->threads;
        es.seconds = now() - t_epoch;
        pr->total += es.seconds;
        int mine_stop = stop_flag ? 1 : 0;
        if (o->on_epoch && o->on_epoch(&es, o->on_epoch_user))
            mine_stop |= 2;
        /* every rank learns whether any asked to stop */
        int all_stop[64] = {0};
        snprintf(what, sizeof what, "the end of epoch %zu", epoch);
        int st = myl_mpi_allgather(c, &mine_stop, all_stop, sizeof(int), what);
        if (st)
            return st;
        int any = 0;
        for (size_t k = 0; k < N; k++)
            any |= all_stop[k];
        if (any && epoch < o->epochs)
            return myl_fail(MYELIN_ESTOPPED, "training stopped by the %s callback after epoch %zu of %zu",
                            (any & 2) ? "epoch" : "batch", epoch, o->epochs);
        lap(R, &pr->other);
    }
    for (size_t l = 0; l < net->n_layers; l++)
        if (!all_finite(net->w[l], net->fan_in[l] * net->spec[l].units) || !all_finite(net->b[l], net->spec[l].units)) {
            params_copy(net, b->prev, 1);
            return myl_fail(MYELIN_ENUMERIC, "the last update made a weight non-finite; training stopped with the "
                            "weights of the step before (try a smaller learning rate)");
        }
    return MYELIN_OK;
}

int myelin_train_mpi(myelin_net *net, const myelin_dataset *train, const myelin_train_opts *opts, MPI_Comm comm)
{
    myl_mpi_ctx c;
    int st = myl_ctx_open(comm, myl_mpi_timeout(), &c);
    if (st)
        return st;
    if (c.size > 64) {
        myl_ctx_close(&c, 1);
        return myl_fail(MYELIN_EUNSUPPORTED, "myelin_train_mpi: at most 64 ranks in this version (%d)", c.size);
    }
    myelin_train_opts defaults;
    if (!opts) {
        myelin_train_opts_default(&defaults);
        opts = &defaults;
    }
    const myl_kernels *k = NULL;
    /* this rank's own checks, then every rank's, before anything changes */
    myl_hello h;
    memset(&h, 0, sizeof h);
    h.check = 1;
    h.status = myl_mpi_check_args(net, train, opts);
    if (!h.status)
        h.status = myl_kernels_get(&k);
    if (h.status) {
        snprintf(h.message, sizeof h.message, "%s", myelin_last_error());
    } else {
        myl_params_settle(net); /* row-major weights, whatever the engine left */
        const size_t B = opts->batch < train->rows ? opts->batch : train->rows;
        h.opts_hash = myl_hash_opts(opts, myl_mpi_chunk(B));
        h.net_hash = myl_hash_net(net);
        h.data_hash = myl_hash_data(train);
        h.rows = train->rows;
        h.cols = train->cols;
        snprintf(h.isa, sizeof h.isa, "%s", myelin_isa());
    }
    if ((st = myl_agree(&c, &h, "the agreement before training"))) {
        myl_ctx_close(&c, st != MYELIN_EIO);
        return st;
    }
    const size_t B = opts->batch < train->rows ? opts->batch : train->rows;
    run_bufs b;
    st = bufs_alloc(&b, net, opts, train->rows, &c, B);
    /* a rank out of memory must not leave the others waiting */
    memset(&h, 0, sizeof h);
    h.status = st;
    if (st)
        snprintf(h.message, sizeof h.message, "%s", myelin_last_error());
    int st2 = myl_agree(&c, &h, "the agreement on the buffers");
    if (st || st2) {
        if (!st)
            bufs_free(&b, 1);
        myl_ctx_close(&c, st2 != MYELIN_EIO);
        return st ? st : st2;
    }
    myelin_mpi_profile pr;
    memset(&pr, 0, sizeof pr);
    pr.rank = c.rank;
    pr.ranks = c.size;
    pr.threads = b.threads;
    myl_clear_error();
    run R = {net, train, opts, k, &c, &b, &pr, 0.0};
    myl_fpenv_enter(b.fpsave, b.threads);
    st = train_loop(&R);
    myl_fpenv_restore(b.fpsave, b.threads);
    if (opts->profile)
        myl_mpi_store_profile(&pr);
    const int healthy = st != MYELIN_EIO;
    bufs_free(&b, healthy);
    myl_ctx_close(&c, healthy);
    return st;
}

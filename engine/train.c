/* Training: the public calls and the epoch loop. A step runs as a table
   of phases chosen once per run (schedule.h: which table, and why every
   table gives the same bytes); the workspace is train_ws.c, the layers'
   passes train_layers.c, recovery from a non-finite loss recovery.c and
   the weights' layout params.c.

   Plain SGD without L1 or DropConnect takes a fused path: the weight update
   is the dW product itself, W = (1 - lr*l2) W - lr * X^T dZ, one GEMM with
   alpha = -lr and beta = 1 - lr*l2, so no dW buffer is written and read
   again. */
#include "params.h"
#include "train_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

int myl_check_train_opts(const myelin_train_opts *o)
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
    if ((unsigned)o->precision > MYELIN_PRECISION_BF16)
        BAD("train options: precision %d is not a myelin_precision (FP32 0, BF16 1)", (int)o->precision);
#undef BAD
    return MYELIN_OK;
}

/* This step's minibatch into place for the table: gathered now unless a
   step before left it (bytes: staged for the tables on halves). */
static void prepare_batch(train_ws *ws, const myelin_dataset *d, size_t first, size_t r, size_t next_r, int bytes)
{
    const size_t pre = next_r < r ? next_r : r; /* rows of the next minibatch to prefetch */
    if (ws->have == MYL_BATCH_NONE && bytes)
        myl_stage_batch(ws->net, d, ws->perm, first, r, ws->raw,
                        ws->sched->next == MYL_NEXT_GATHERED ? ws->x1 : NULL, ws->t, pre);
    else if (ws->have == MYL_BATCH_NONE)
        myl_gather_prefetch(ws->net, d, ws->perm, first, r, ws->x0, ws->t, ws->threads, pre);
    else if (ws->have == MYL_BATCH_BYTES && !bytes) /* the epoch's last step */
        myl_convert_batch(ws->net, ws->raw, r, ws->x0);
    ws->have = MYL_BATCH_NONE;
}

/* The next minibatch the step gathered becomes the current one. */
static void keep_next(train_ws *ws, int bytes)
{
#define SWAP(a, b) do { void *t_ = (void *)(a); (a) = (b); (b) = t_; } while (0)
    SWAP(ws->t, ws->t_next);
    if (bytes) {
        SWAP(ws->raw, ws->raw_next);
        if (ws->x1_next) /* thread 1's copy was converted while staging */
            SWAP(ws->x1, ws->x1_next);
        ws->have = MYL_BATCH_BYTES;
    } else {
        SWAP(ws->x0, ws->x0_next);
        ws->have = MYL_BATCH_FLOATS;
    }
#undef SWAP
}

/* The weights after step `last` (0-based) had no forward pass after them
   to check them: when that update made a weight non-finite, the weights of
   the step before and MYELIN_ENUMERIC (why: what ended the run). */
static int check_last_update(train_ws *ws, const myelin_dataset *d, const myelin_train_opts *o, uint64_t last,
                             const char *why)
{
    myl_params_settle(ws->net);
    if (myl_all_finite(ws->net))
        return MYELIN_OK;
    int st = myl_rewind_to(ws, d, o, last);
    if (st)
        return st;
    return myl_fail(MYELIN_ENUMERIC, "the last update%s made a weight non-finite; training stopped with the "
                    "weights of the step before (try a smaller learning rate)", why);
}

static int train_loop(myelin_net *net, const myelin_dataset *d, const myelin_train_opts *o, train_ws *ws)
{
    const size_t rows = d->rows, B = ws->batch, steps_per_epoch = (rows + B - 1) / B;
    const myl_schedule *sc = ws->sched;
    myelin_profile *pr = ws->prof;
    update_plan plan;
    memset(&plan, 0, sizeof plan);
    plan.o = o;
    plan.cfg = (myl_opt_cfg){o->opt, o->momentum, o->beta1, o->beta2, o->rho, o->eps, o->l1, o->l2};
    ws->seed = o->seed;
    ws->masks = 1;
    ws->have = MYL_BATCH_NONE;
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
        const double t_epoch = myl_now();
        ws->mark = t_epoch;
        myl_plan_epoch(&plan, net, o, epoch);
        myl_load_order(ws, o, rows, epoch);
        if (pr)
            myl_lap(ws, &pr->shuffle);
        double loss_sum = 0.0;
        size_t correct = 0;
        for (size_t s = 0; s < steps_per_epoch; s++, step++) {
            const size_t first = s * B, r = rows - first < B ? rows - first : B;
            const size_t next_r = s + 1 < steps_per_epoch ? (rows - first - r < B ? rows - first - r : B) : 0;
            const size_t left = rows - first - r - next_r, after = left < B ? left : B;
            const int bytes = next_r && sc->halves && d->x_u8;
            prepare_batch(ws, d, first, r, next_r, bytes);
            if (pr)
                myl_lap(ws, &pr->copy);
            step_ctx c = {.ws = ws, .d = d, .o = o, .plan = &plan, .first = first, .r = r, .next_r = next_r,
                          .after = after, .bytes = bytes, .step = step};
            int st = myl_schedule_step(&c);
            if (st) /* the products' only failure is memory; others keep their own message */
                return st != MYELIN_ENOMEM ? st
                                           : myl_fail(st, "epoch %zu, minibatch %zu: out of memory in a matrix "
                                                      "product", epoch, s + 1);
            if (!isfinite(c.loss)) {
                /* the last finite loss was step - 1's: its weights are the
                   state before it */
                if (step > 0 && (st = myl_rewind_to(ws, d, o, step - 1)))
                    return st;
                return myl_fail(MYELIN_ENUMERIC, "epoch %zu, minibatch %zu: the loss is %g; training stopped with "
                                "the weights of the last step whose loss and weights were finite%s (try a smaller "
                                "learning rate)", epoch, s + 1, c.loss, step > 0 ? "" : " (the initial weights)");
            }
            if (sc->next != MYL_NEXT_NONE && next_r)
                keep_next(ws, bytes);
            loss_sum += c.loss * (double)r;
            correct += c.correct;
            if (o->on_batch && o->on_batch(first + r, rows, loss_sum / (double)(first + r), o->on_batch_user)) {
                if ((st = check_last_update(ws, d, o, step, " (before the batch callback stopped training)")))
                    return st;
                return myl_fail(MYELIN_ESTOPPED, "training stopped by the batch callback in epoch %zu after %zu of "
                                "%zu samples", epoch, first + r, rows);
            }
            if (pr)
                myl_lap(ws, &pr->other);
        }
        myelin_epoch_stats es;
        memset(&es, 0, sizeof es);
        es.epoch = epoch;
        es.epochs = o->epochs;
        es.loss = loss_sum / (double)rows;
        es.accuracy = (double)correct / (double)rows;
        es.val_loss = es.val_accuracy = NAN;
        es.lr = myl_epoch_lr(o, epoch);
        es.samples = rows;
        es.threads = ws->threads;
        es.schedule = sc->name;
        if (o->val) {
            int st = myl_eval_dataset(net, ws->k, o->val, &val, ws->threads, &es.val_loss, &es.val_accuracy);
            if (st)
                return st;
        }
        es.seconds = myl_now() - t_epoch;
        if (pr) {
            myl_lap(ws, &pr->other);
            pr->total += es.seconds;
        }
        if (o->on_epoch && o->on_epoch(&es, o->on_epoch_user)) {
            int st = check_last_update(ws, d, o, step - 1, " (before the epoch callback stopped training)");
            if (st)
                return st;
            return myl_fail(MYELIN_ESTOPPED, "training stopped by the epoch callback after epoch %zu of %zu", epoch,
                            o->epochs);
        }
    }
    return check_last_update(ws, d, o, step - 1, "");
}

/* The workspace of a net's last training run stays with the net (freed by
   myelin_net_free) and is reused by the next run that needs the same
   buffers: a fresh one costs its page faults, a noticeable part of a short
   run. What it holds from the last run is reset: the optimiser's state
   starts at zero and no checkpoint is kept, so a run gives the same bytes
   either way (tests/engine/test_train.c). */
static void cache_free(void *p)
{
    train_ws *ws = p;
    if (ws) {
        myl_ws_free(ws);
        free(ws);
    }
}

static train_ws *cached_ws(myelin_net *net, const myl_kernels *k, size_t batch, size_t rows,
                           const myelin_train_opts *o, int *st)
{
    train_ws *ws = net->train_cache;
    const int threads = myl_threads(), l1 = o->l1 != 0.0f;
    const myl_sched_tuning tuning = myl_sched_tuning_get();
    if (ws && ws->k == k && ws->batch == batch && ws->rows == rows && ws->key_threads == threads &&
        !memcmp(&ws->key_tuning, &tuning, sizeof tuning) && ws->key_opt == (int)o->opt && ws->key_l1 == l1) {
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
    cache_free(net->train_cache);
    net->train_cache = NULL;
    ws = malloc(sizeof *ws);
    if (!ws) {
        *st = myl_fail(MYELIN_ENOMEM, "out of memory for the training buffers (batch %zu)", batch);
        return NULL;
    }
    if ((*st = myl_ws_alloc(ws, net, k, batch, rows, 0, o, 1))) {
        free(ws);
        return NULL;
    }
    ws->rows = rows;
    ws->key_threads = threads;
    ws->key_tuning = tuning;
    ws->key_opt = (int)o->opt;
    ws->key_l1 = l1;
    net->train_cache = ws;
    net->train_cache_free = cache_free;
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
    int st = myl_check_train_opts(opts);
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
    if (opts->precision == MYELIN_PRECISION_BF16) { /* refused here, not mid-step */
        const myl_kernels *kb;
        if ((st = myl_bf16_kernels_get(&kb)))
            return st;
    }
    train_ws *ws = cached_ws(net, k, batch, train->rows, opts, &st);
    if (!ws)
        return st;
    ws->bf16 = opts->precision == MYELIN_PRECISION_BF16;
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
    myl_params_settle(net); /* whatever the status, the net holds its last weights, row-major */
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
    myl_params_settle(net);
    const myl_kernels *k;
    if ((st = myl_kernels_get(&k)))
        return st;
    train_ws ws;
    if ((st = myl_ws_alloc(&ws, net, k, d->rows, 0, 1, NULL, 0)))
        return st;
    ws.seed = seed;
    ws.masks = dropout_step != UINT64_MAX;
    myl_fpenv_enter(ws.fpsave, ws.threads);
    myl_gather_batch(net, d, NULL, 0, d->rows, ws.x0, ws.t, ws.threads);
    double ls;
    size_t c;
    const uint64_t step = ws.masks ? dropout_step : 0;
    st = myl_forward_layers(&ws, d->rows, step, 0, net->n_layers);
    if (!st)
        st = myl_output_loss_ws(&ws, d->rows, &ls, &c, 1);
    if (!st) {
        *loss = ls / (double)d->rows + myl_penalty(net, l1, l2, ws.threads);
        st = myl_backward_layers(&ws, d->rows, step, NULL, l1, l2, 0, net->n_layers);
        for (size_t l = 0; l < net->n_layers && !st; l++) {
            memcpy(dw[l], ws.dw[l], net->fan_in[l] * net->spec[l].units * sizeof(float));
            memcpy(db[l], ws.db[l], net->spec[l].units * sizeof(float));
        }
    }
    myl_fpenv_restore(ws.fpsave, ws.threads);
    myl_ws_free(&ws);
    return st;
}

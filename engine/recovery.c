/* Recovery from a non-finite loss: checkpoints and the rewind.

   A checkpoint (every parameter and the optimiser's state) is taken every
   CKPT_EVERY steps, once the step's loss is known finite and before the
   step updates anything: copying everything every step would cost a few
   per cent of an epoch. The weights of any later step are recovered
   exactly by replaying the steps since the checkpoint, which the
   counter-based random numbers make bit-for-bit repeatable. */
#include "params.h"
#include "rng.h"
#include "train_internal.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

enum { CKPT_EVERY = 16 };

/* dst <- src in chunks of 16 KiB split statically over the threads. */
static void par_copy(float *dst, const float *src, size_t n, int threads)
{
    const size_t chunk = 4096, nch = (n + chunk - 1) / chunk;
    if (threads <= 1 || (double)n < myl_sched_tuning_get().min_team_elements) {
        memcpy(dst, src, n * sizeof(float));
        return;
    }
#pragma omp parallel for schedule(static) num_threads(threads)
    for (size_t c = 0; c < nch; c++) {
        size_t lo = c * chunk, len = n - lo < chunk ? n - lo : chunk;
        memcpy(dst + lo, src + lo, len * sizeof(float));
    }
}

/* Saves (restore = 0) or brings back (1) the checkpoint. part of parts:
   this thread's share of a save inside a parallel region (0 of 1: all of
   it, the copies split over the team). A restore needs the row-major
   layout (myl_params_settle first). */
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
            if (l == 0 && i == 0 && net->layout.live) { /* a save: each thread the block it owns */
                for (int h = 0; h < 2; h++)
                    if (parts == 1 || h % parts == part)
                        myl_params_block_store(net, h, kept[0]);
            } else if (parts > 1)
                memcpy(kept[i] + lo, live[i] + lo, (hi - lo) * sizeof(float));
            else if (restore)
                par_copy(live[i], kept[i], cnt, ws->threads);
            else
                par_copy(kept[i], live[i], cnt, ws->threads);
        }
    }
}

int myl_checkpoint_due(const train_ws *ws, uint64_t step)
{
    return !ws->have_ckpt || step - ws->ckpt_step >= CKPT_EVERY;
}

void myl_checkpoint_taken(train_ws *ws, uint64_t step)
{
    ws->ckpt_step = step;
    ws->have_ckpt = 1;
}

/* Never before the loss is known: a checkpoint of the weights that gave a
   non-finite loss is where the rewind would start, and it would return
   those weights. */
void myl_checkpoint(train_ws *ws, uint64_t step)
{
    if (myl_checkpoint_due(ws, step)) {
        snapshot_part(ws, 0, 0, 1);
        myl_checkpoint_taken(ws, step);
    }
}

void myl_checkpoint_part(train_ws *ws, int part, int parts) { snapshot_part(ws, 0, part, parts); }

double myl_epoch_lr(const myelin_train_opts *o, size_t epoch /* 1-based */)
{
    switch (o->schedule) {
    case MYELIN_SCHED_STEP: return o->lr * pow(o->decay, (double)((epoch - 1) / o->decay_epochs));
    case MYELIN_SCHED_EXP: return o->lr * pow(o->decay, (double)(epoch - 1));
    default: return o->lr;
    }
}

void myl_plan_epoch(update_plan *plan, const myelin_net *net, const myelin_train_opts *o, size_t epoch)
{
    const double lr = myl_epoch_lr(o, epoch);
    double ld = 1.0;
    for (size_t l = 0; l < net->n_layers; l++) {
        plan->lr[l] = (float)(lr * net->spec[l].lr_mult / ld);
        ld *= o->layer_decay;
    }
}

void myl_load_order(train_ws *ws, const myelin_train_opts *o, size_t rows, size_t epoch)
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

/* Steps q in [ckpt_step, target) replayed from the checkpoint. With
   *bad set, stops after the first update that leaves a non-finite weight
   and sets *bad to that step (else to target). */
static int replay(train_ws *ws, const myelin_dataset *d, const myelin_train_opts *o, uint64_t target, uint64_t *bad)
{
    myelin_net *net = ws->net;
    const size_t rows = d->rows, B = ws->batch, steps_per_epoch = (rows + B - 1) / B;
    update_plan plan;
    memset(&plan, 0, sizeof plan);
    plan.o = o;
    plan.cfg = (myl_opt_cfg){o->opt, o->momentum, o->beta1, o->beta2, o->rho, o->eps, o->l1, o->l2};
    ws->prof = NULL;
    ws->have = MYL_BATCH_NONE;
    myl_params_settle(net);
    snapshot_part(ws, 1, 0, 1);
    for (uint64_t q = ws->ckpt_step; q < target; q++) {
        const size_t epoch = (size_t)(q / steps_per_epoch) + 1, s = (size_t)(q % steps_per_epoch);
        const size_t first = s * B, r = rows - first < B ? rows - first : B;
        myl_plan_epoch(&plan, net, o, epoch);
        myl_load_order(ws, o, rows, epoch);
        myl_gather_batch(net, d, ws->perm, first, r, ws->x0, ws->t, ws->threads);
        double bl;
        size_t bc;
        int st = myl_forward_layers(ws, r, q, 0, net->n_layers);
        if (!st)
            st = myl_output_loss_ws(ws, r, &bl, &bc, 1);
        plan.t = q + 1;
        if (!st)
            st = myl_backward_layers(ws, r, q, &plan, o->l1, o->l2, 0, net->n_layers);
        if (st)
            return st;
        if (bad && !myl_all_finite(net)) {
            *bad = q;
            return MYELIN_OK;
        }
    }
    if (bad)
        *bad = target;
    return MYELIN_OK;
}

/* The weights after step target - 1, or, when an update since the
   checkpoint made a weight non-finite (behind a saturated tanh, sigmoid
   or ReLU an inf weight can leave the loss finite for many steps), the
   weights just before that update. The replay runs the plain passes on
   the team: the same bytes as any table (schedule.h). The checkpoint
   itself is finite: myl_schedule_step takes none of non-finite weights. */
int myl_rewind_to(train_ws *ws, const myelin_dataset *d, const myelin_train_opts *o, uint64_t target)
{
    if (!ws->have_ckpt)
        return MYELIN_OK; /* target is 0: nothing was updated */
    uint64_t bad;
    int st = replay(ws, d, o, target, &bad);
    if (st || bad == target)
        return st;
    return replay(ws, d, o, bad, NULL);
}

/* Whether n floats are all finite: the largest magnitude's bits below
   the infinity's (vectorised; a serial float sum would cost about 1 % of
   an epoch when every checkpoint asks). */
static int run_finite(const float *x, size_t n)
{
    uint32_t m = 0;
#pragma omp simd reduction(max : m)
    for (size_t i = 0; i < n; i++) {
        uint32_t b;
        memcpy(&b, &x[i], sizeof b);
        b &= 0x7fffffffu;
        m = b > m ? b : m;
    }
    return m < 0x7f800000u;
}

/* Whether every weight and bias is finite, in either layout of layer 0. */
int myl_all_finite(const myelin_net *net)
{
    for (size_t l = 0; l < net->n_layers; l++) {
        myl_param_view v[2];
        const int nv = myl_params_views(net, l, v);
        for (int h = 0; h < nv; h++)
            for (size_t i = 0; i < net->fan_in[l]; i++)
                if (!run_finite(v[h].w + i * v[h].ld, v[h].cols))
                    return 0;
        if (!run_finite(net->b[l], net->spec[l].units))
            return 0;
    }
    return 1;
}

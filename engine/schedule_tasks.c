/* The tasks the step's tables are made of (schedule.h), run by the
   interpreter in schedule.c: task h of a phase runs on one thread, or for
   TEAM phases on the calling thread with its products on the whole team.

   Every task computes its values as the plain passes do (column or row
   subsets of the same products, the same two-part sum of layer 1): the
   same bytes on any table. Statuses: a task reads the first phase's
   statuses (fst, written before a barrier) and its own thread's. */
#include "params.h"
#include "train_internal.h"

#include <math.h>
#include <string.h>

static int forward_ok(const step_ctx *c)
{
    for (int h = 0; h < c->ws->sched->threads; h++)
        if (c->th[h].fst)
            return 0;
    return 1;
}

/* The minibatch as table thread h reads it: on bytes thread 1 has its own copy. */
static const float *x_of(const step_ctx *c, int h) { return c->bytes && h ? c->ws->x1 : c->ws->x0; }

/* The step's loss from the loss sum bl of r rows, or NaN on an error. */
static void set_loss(step_ctx *c, int h, int st, double bl, size_t right, int report)
{
    const double loss = st ? NAN : bl / (double)c->r + c->pen;
    c->th[h].finite = !st && isfinite(loss);
    if (report) {
        c->loss = loss;
        c->correct = right;
    }
}

/* ---- the whole net on the team */

static void forward_all(step_ctx *c, size_t lo)
{
    train_ws *ws = c->ws;
    double bl = 0.0;
    size_t right = 0;
    int st = myl_forward_layers(ws, c->r, c->step, lo, ws->net->n_layers);
    if (!st)
        st = myl_output_loss_ws(ws, c->r, &bl, &right, 1);
    set_loss(c, 0, st, bl, right, 1);
    if (ws->prof)
        myl_lap(ws, &ws->prof->loss);
    if (lo == 0)
        c->th[0].fst = st;
    else
        c->th[0].bst = st;
}

static void checkpoint(step_ctx *c, int h)
{
    if (!c->ckpt || !c->th[h].finite || c->th[h].bst)
        return;
    myl_checkpoint(c->ws, c->step);
    if (c->ws->prof)
        myl_lap(c->ws, &c->ws->prof->copy);
}

/* Layers hi-1 down to lo, once the loss was found finite. */
static void backward(step_ctx *c, int h, size_t lo, size_t hi)
{
    if (!c->th[h].finite || c->th[h].fst || c->th[h].bst)
        return;
    c->th[h].bst = myl_backward_layers(c->ws, c->r, c->step, c->plan, c->o->l1, c->o->l2, lo, hi);
    c->updated = !c->th[h].bst;
}

static void gather_next(step_ctx *c)
{
    train_ws *ws = c->ws;
    if (!c->next_r)
        return;
    if (c->bytes) /* on halves, thread 1's copy converted now unless each converts its own */
        myl_stage_batch(ws->net, c->d, ws->perm, c->first + c->r, c->next_r, ws->raw_next,
                        ws->sched->next == MYL_NEXT_GATHERED ? ws->x1_next : NULL, ws->t_next, 0);
    else
        myl_gather_batch(ws->net, c->d, ws->perm, c->first + c->r, c->next_r, ws->x0_next, ws->t_next, 1);
}

/* ---- halves of layer 0 */

/* The pair table's copies for thread 1 from the net (filled again when the
   net's weights may have changed since they were made). */
static void twin_fill(train_ws *ws)
{
    const myelin_net *net = ws->net;
    for (size_t l = 1; l < net->n_layers; l++) {
        memcpy(ws->tb[l], net->b[l], net->spec[l].units * sizeof(float));
        if (l >= 2)
            memcpy(ws->tw[l], net->w[l], net->fan_in[l] * net->spec[l].units * sizeof(float));
    }
    ws->twin_gen = net->layout.gen;
}

/* Thread 1's view of layers >= 1 in the pair table: ws with its own copies
   of what both threads compute alike. */
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

/* Thread h's units of layer 0 forward from its block of W0 (filled first
   when the blocks were not live) and its copy of the minibatch, then its
   part of layer 1's product, from its rows of W1. */
static void half_forward(step_ctx *c, int h)
{
    train_ws *ws = c->ws;
    myelin_net *net = ws->net;
    myelin_profile *pr = ws->prof;
    const size_t fin = net->fan_in[0], n = net->spec[0].units, n1 = net->n_layers > 1 ? net->spec[1].units : 0;
    size_t ld, col0;
    const float *w = myl_params_block(net, h, &ld, &col0);
    if (!c->live)
        myl_params_block_load(net, h);
    if (ws->sched->twins && h == 1 && (!c->live || ws->twin_gen != net->layout.gen))
        twin_fill(ws);
    /* the converting thread's copy stays in its core's cache */
    if (c->bytes && (h == 0 || ws->sched->next == MYL_NEXT_BYTES))
        myl_convert_batch(net, ws->raw, c->r, h ? ws->x1 : ws->x0);
    int st = myl_train_gemm(ws, 0, 0, c->r, ld, fin, 1.0f, x_of(c, h), fin, w, ld, 0.0f, ws->y[0] + col0, n, net->b[0] + col0,
                      myl_layer_fwd_act(net, 0), ws->slope);
    if (pr && h == 0) {
        myl_lap(ws, &pr->layer[0].fwd_gemm);
        pr->layer[0].flops_fwd += 2.0 * (double)c->r * (double)n * (double)fin;
    }
    if (!st && ws->q_ready)
        st = myl_train_gemm(ws, 0, 0, c->r, n1, ld, 1.0f, ws->y[0] + col0, n, net->w[1] + col0 * n1, n1, 0.0f, ws->q[h], n1,
                      NULL, MYL_ACT_LINEAR, 0.0f);
    if (pr && h == 0 && ws->q_ready) /* the flops: myl_forward_layers */
        myl_lap(ws, &pr->layer[1].fwd_gemm);
    c->th[h].fst = st;
}

/* Thread h's units of layer 0: the update (thread 0 the bias too). */
static void half_update(step_ctx *c, int h)
{
    train_ws *ws = c->ws;
    myelin_net *net = ws->net;
    const float lr = c->plan->lr[0];
    if (!c->updated || lr == 0.0f)
        return;
    const size_t fin = net->fan_in[0], n = net->spec[0].units;
    size_t ld, col0;
    float *w = myl_params_block(net, h, &ld, &col0);
    int st = myl_train_gemm(ws, 1, 0, fin, ld, c->r, -lr, x_of(c, h), fin, ws->g[0] + col0, n, 1.0f - lr * c->o->l2, w, ld,
                      NULL, MYL_ACT_LINEAR, 0.0f);
    if (st)
        c->th[h].bst = st;
    if (h == 0) {
        myl_sgd_bias(c->r, n, n, lr, ws->g[0], net->b[0]);
        if (ws->prof) {
            myl_lap(ws, &ws->prof->layer[0].bwd_gemm_dw);
            ws->prof->layer[0].flops_bwd += 2.0 * (double)c->r * (double)n * (double)fin;
        }
    }
}

/* ---- the pair table */

static void pair_forward(step_ctx *c, int h)
{
    if (!forward_ok(c))
        return;
    train_ws *ws = c->ws, tv;
    myelin_net tnet;
    if (h)
        twin_view(ws, &tv, &tnet);
    train_ws *v = h ? &tv : ws;
    if (ws->prof && h == 0)
        myl_lap(ws, &ws->prof->layer[1].fwd_gemm); /* its part of layer 1 and the wait */
    double bl = 0.0;
    size_t right = 0;
    int st = myl_forward_layers(v, c->r, c->step, 1, ws->net->n_layers);
    if (!st)
        st = myl_output_loss_ws(v, c->r, &bl, &right, 1);
    set_loss(c, h, st, bl, right, h == 0);
    c->th[h].bst = st;
}

/* Both threads computed the same loss; after a barrier each saves its
   share of a due checkpoint before either updates anything. */
static void pair_checkpoint(step_ctx *c, int h)
{
    if (!c->ckpt || !forward_ok(c))
        return;
    for (int i = 0; i < c->ws->sched->threads; i++)
        if (!c->th[i].finite)
            return;
    myl_checkpoint_part(c->ws, h, c->ws->sched->threads);
    c->th[h].saved = 1;
}

/* Layer 1's backward for the units [lo, hi) of layer 0: their input
   gradient through the activation of layer 0, and the update of the rows
   of W1 they feed, which only this thread reads; V's bias of layer 1 too
   (each thread updates its own copy). Row and column subsets of the plain
   products: the same bytes. */
static int layer1_share(const train_ws *V, const update_plan *plan, float l2, size_t r, size_t lo, size_t hi)
{
    const myelin_net *net = V->net;
    const size_t n0 = net->spec[0].units, n1 = net->spec[1].units, m = hi - lo;
    const float lr = plan->lr[1];
    float *w = net->w[1] + lo * n1, *g0 = V->g[0] + lo;
    int st = myl_train_gemm(V, 0, 1, r, m, n1, 1.0f, V->g[1], n1, w, n1, 0.0f, g0, n0, NULL, MYL_ACT_LINEAR, 0.0f);
    if (!st && lr != 0.0f) {
        st = myl_train_gemm(V, 1, 0, m, n1, r, -lr, V->y[0] + lo, n0, V->g[1], n1, 1.0f - lr * l2, w, n1, NULL,
                      MYL_ACT_LINEAR, 0.0f);
        myl_sgd_bias(r, n1, n1, lr, V->g[1], net->b[1]);
    }
    const int act = (int)net->spec[0].act;
    if (!st && act != MYL_ACT_LINEAR)
        for (size_t i = 0; i < r; i++)
            V->k->vact_bwd(act, V->slope, m, V->y[0] + i * n0 + lo, g0 + i * n0, g0 + i * n0);
    return st;
}

static void pair_backward(step_ctx *c, int h)
{
    if (!forward_ok(c) || !c->th[h].finite || c->th[h].bst)
        return;
    train_ws *ws = c->ws, tv;
    myelin_net tnet, *net = ws->net;
    myelin_profile *pr = ws->prof;
    if (h)
        twin_view(ws, &tv, &tnet);
    train_ws *v = h ? &tv : ws;
    const size_t fin = net->fan_in[0], n = net->spec[0].units, n1 = net->spec[1].units;
    const float lr = c->plan->lr[0];
    size_t ld, col0;
    float *w = myl_params_block(net, h, &ld, &col0);
    int st = myl_backward_layers(v, c->r, c->step, c->plan, c->o->l1, c->o->l2, 2, net->n_layers);
    if (!st)
        st = layer1_share(v, c->plan, c->o->l2, c->r, col0, col0 + ld);
    if (pr && h == 0) {
        myl_lap(ws, &pr->layer[1].bwd_gemm_dx);
        pr->layer[1].flops_bwd += 4.0 * (double)c->r * (double)n1 * (double)n;
    }
    if (!st && lr != 0.0f) {
        st = myl_train_gemm(ws, 1, 0, fin, ld, c->r, -lr, x_of(c, h), fin, ws->g[0] + col0, n, 1.0f - lr * c->o->l2, w, ld,
                      NULL, MYL_ACT_LINEAR, 0.0f);
        myl_sgd_bias(c->r, ld, n, lr, ws->g[0] + col0, net->b[0] + col0);
    }
    if (pr && h == 0) {
        myl_lap(ws, &pr->layer[0].bwd_gemm_dw);
        pr->layer[0].flops_bwd += 2.0 * (double)c->r * (double)n * (double)fin;
    }
    c->th[h].bst = st;
}

/* Its half of the next minibatch's rows (the other thread reads them at
   the next step's start), prefetching its half of the one after. */
static void stage_next_half(step_ctx *c, int h)
{
    train_ws *ws = c->ws;
    const size_t parts = (size_t)ws->sched->threads, nr = c->next_r;
    if (nr && c->bytes)
        myl_stage_rows(ws->net, c->d, ws->perm, c->first + c->r, nr, ws->raw_next, NULL, ws->t_next, c->after,
                       (size_t)h * nr / parts, ((size_t)h + 1) * nr / parts);
    else if (nr && (size_t)h + 1 == parts)
        myl_gather_batch(ws->net, c->d, ws->perm, c->first + c->r, nr, ws->x0_next, ws->t_next, 1);
}

void myl_run_task(step_ctx *c, myl_task task, int h)
{
    const size_t layers = c->ws->net->n_layers;
    switch (task) {
    case MYL_TASK_NONE: break;
    case MYL_TASK_FORWARD: forward_all(c, 0); break;
    case MYL_TASK_FORWARD_L0: c->th[0].fst = myl_forward_layers(c->ws, c->r, c->step, 0, 1); break;
    case MYL_TASK_CHECKPOINT: checkpoint(c, h); break;
    case MYL_TASK_BACKWARD: backward(c, h, 0, layers); break;
    case MYL_TASK_BACKWARD_L0:
        if (c->updated)
            c->th[0].bst = myl_backward_layers(c->ws, c->r, c->step, c->plan, c->o->l1, c->o->l2, 0, 1);
        break;
    case MYL_TASK_TAIL_FORWARD:
        if (forward_ok(c))
            forward_all(c, 1);
        break;
    case MYL_TASK_TAIL_BACKWARD: backward(c, h, 1, layers); break;
    case MYL_TASK_GATHER_NEXT: gather_next(c); break;
    case MYL_TASK_HALF_FORWARD: half_forward(c, h); break;
    case MYL_TASK_HALF_UPDATE: half_update(c, h); break;
    case MYL_TASK_PAIR_FORWARD: pair_forward(c, h); break;
    case MYL_TASK_PAIR_CHECKPOINT: pair_checkpoint(c, h); break;
    case MYL_TASK_PAIR_BACKWARD: pair_backward(c, h); break;
    case MYL_TASK_STAGE_NEXT_HALF: stage_next_half(c, h); break;
    }
}

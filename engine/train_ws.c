/* The training workspace: every buffer a run needs, allocated once before
   the first step (the loop itself allocates nothing), sized by the table
   that will run (schedule.h). */
#include "params.h"
#include "train_internal.h"

#include <stdlib.h>
#include <string.h>

void myl_ws_free(train_ws *ws)
{
    myl_free(ws->x0);
    myl_free(ws->t);
    myl_free(ws->x0_next);
    myl_free(ws->t_next);
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
        float **per_layer[] = {ws->y, ws->din, ws->g, ws->dw, ws->db, ws->wd, ws->sw[0], ws->sw[1],
                               ws->sb[0], ws->sb[1], ws->wprev, ws->bprev, ws->swprev[0], ws->swprev[1],
                               ws->sbprev[0], ws->sbprev[1]};
        for (size_t i = 0; i < sizeof per_layer / sizeof per_layer[0]; i++)
            myl_free(per_layer[i][l]);
    }
    free(ws->perm);
    free(ws->fpsave);
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

/* The pair table's copies for thread 1 of what both threads compute. */
static void alloc_twins(train_ws *ws, size_t batch, size_t outputs, int *ok)
{
    const myelin_net *net = ws->net;
    ws->tp = zalloc(batch * outputs, ok);
    for (size_t l = 1; l < net->n_layers && *ok; l++) {
        const myelin_layer_spec *s = &net->spec[l];
        const size_t nw = net->fan_in[l] * s->units;
        ws->ty[l] = zalloc(batch * s->units, ok);
        ws->tg[l] = zalloc(batch * s->units, ok);
        ws->tb[l] = zalloc(s->units, ok);
        if (l < 2)
            continue;
        ws->tw[l] = zalloc(nw, ok);
        if (s->dropout > 0.0f)
            ws->tdin[l] = zalloc(batch * net->fan_in[l], ok);
        if (s->dropconnect > 0.0f)
            ws->twd[l] = zalloc(nw, ok);
        if (!ws->fast[l]) {
            ws->tdw[l] = zalloc(nw, ok);
            ws->tdb[l] = zalloc(s->units, ok);
        }
    }
}

int myl_ws_alloc(train_ws *ws, myelin_net *net, const myl_kernels *k, size_t batch, size_t rows, int grads,
                 const myelin_train_opts *o, int snapshot)
{
    memset(ws, 0, sizeof *ws);
    ws->net = net;
    ws->k = k;
    ws->batch = batch;
    ws->slope = myelin_leaky_slope();
    const size_t outputs = net->spec[net->n_layers - 1].units;
    size_t total;
    if (!myl_mul_ok(batch, myl_net_max_width(net), &total) || total > ((size_t)1 << 34) / sizeof(float))
        return myl_fail(MYELIN_ENOMEM, "batch %zu x width %zu is too large", batch, myl_net_max_width(net));
    for (size_t l = 0; l < net->n_layers; l++)
        ws->fast[l] = !grads && o && o->opt == MYELIN_OPT_SGD && o->l1 == 0.0f && net->spec[l].dropconnect == 0.0f;
    const myl_sched_tuning tuning = myl_sched_tuning_get();
    const myl_sched_input in = {net, ws->fast, myl_threads(), batch, rows};
    ws->threads = in.threads;
    ws->sched = rows ? myl_schedule_choose(&in, &tuning, &ws->threads) : NULL;
    const myl_schedule *sc = ws->sched;
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
    ws->k1 = rows ? myl_layer1_split(net, ws->fast) : 0;
    if (ws->k1) {
        ws->q[0] = zalloc(batch * net->spec[1].units, &ok);
        ws->q[1] = zalloc(batch * net->spec[1].units, &ok);
    }
    if (sc && sc->next != MYL_NEXT_NONE) {
        ws->x0_next = zalloc(batch * net->inputs, &ok);
        ws->t_next = zalloc(batch * outputs, &ok);
    }
    if (ok && sc && sc->halves) {
        const size_t nx = batch * net->inputs;
        ws->x1 = zalloc(nx, &ok);
        if (sc->next == MYL_NEXT_GATHERED) /* thread 1's copy converted while staging */
            ws->x1_next = zalloc(nx, &ok);
        ws->raw = myl_alloc(nx);
        ws->raw_next = myl_alloc(nx);
        ok = ok && ws->raw && ws->raw_next;
        /* whole 64-byte lines of each row to each thread */
        ok = ok && myl_params_blocks_alloc(net, net->spec[0].units / 2 / 16 * 16) == MYELIN_OK;
    }
    if (ok && sc && sc->twins)
        alloc_twins(ws, batch, outputs, &ok);
    if (ok) {
        ws->fpsave = calloc((size_t)ws->threads, sizeof(unsigned));
        ok = ws->fpsave != NULL;
    }
    if (!ok) {
        myl_ws_free(ws);
        return myl_fail(MYELIN_ENOMEM, "out of memory for the training buffers (batch %zu)", batch);
    }
    return MYELIN_OK;
}

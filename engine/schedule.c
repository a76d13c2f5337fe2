/* The step's tables, the choice between them and the one interpreter that
   runs any of them (schedule.h). The tasks themselves: schedule_tasks.c. */
#include "params.h"
#include "train_internal.h"

#include <math.h>
#include <omp.h>

/* The thresholds come from the tuning record in use (engine/tuning.c; the
   defaults were measured on the two-vCPU VMs this was built on, see
   docs/performance.md); tests may force others. */
static int forced;
static myl_sched_tuning forced_tuning;

myl_sched_tuning myl_sched_tuning_get(void) { return forced ? forced_tuning : myl_tuning_active()->sched; }

void myl_sched_tuning_set(const myl_sched_tuning *t)
{
    forced = t != NULL;
    if (t)
        forced_tuning = *t;
}

#define TEAM(t) {MYL_SYNC_TEAM, {t}}

/* One thread, or every product split over the team. */
static const myl_schedule SERIAL = {"serial", 1, 0, 0, 0, MYL_NEXT_NONE, 3,
                                    {TEAM(MYL_TASK_FORWARD), TEAM(MYL_TASK_CHECKPOINT), TEAM(MYL_TASK_BACKWARD)}};
static const myl_schedule TEAM_ALL = {"team", 2, 0, 0, 0, MYL_NEXT_NONE, 3,
                                      {TEAM(MYL_TASK_FORWARD), TEAM(MYL_TASK_CHECKPOINT), TEAM(MYL_TASK_BACKWARD)}};

/* Layers >= 1 small enough for one thread: thread 0 runs them while
   thread 1 gathers the next minibatch, which leaves the critical path. */
static const myl_schedule OVERLAP = {
    "overlap", 2, 0, 0, 0, MYL_NEXT_GATHERED, 5,
    {TEAM(MYL_TASK_FORWARD_L0),
     {MYL_SYNC_BARRIER, {MYL_TASK_TAIL_FORWARD, MYL_TASK_GATHER_NEXT}},
     {MYL_SYNC_NONE, {MYL_TASK_CHECKPOINT, MYL_TASK_NONE}},
     {MYL_SYNC_NONE, {MYL_TASK_TAIL_BACKWARD, MYL_TASK_NONE}},
     TEAM(MYL_TASK_BACKWARD_L0)}};

/* The same in one parallel region, layer 0 learning by plain SGD without
   masks: each thread owns half of layer 0's units (its block of W0, on
   bytes its own copy of the minibatch), so neither W0 nor X crosses between
   the cores; two barriers instead of three regions' forks and joins. Layer
   1's two-part sum, when the net has it, is made by thread 0 in its tail:
   so W1 stays in its core's cache (its part of the product on thread 1
   would move half of W1 between the cores every step, as thread 0 updates
   all of it). */
static const myl_schedule ONE_REGION = {
    "one_region", 2, 1, 0, 0, MYL_NEXT_GATHERED, 5,
    {{MYL_SYNC_BARRIER, {MYL_TASK_HALF_FORWARD, MYL_TASK_HALF_FORWARD}},
     {MYL_SYNC_BARRIER, {MYL_TASK_TAIL_FORWARD, MYL_TASK_GATHER_NEXT}},
     {MYL_SYNC_NONE, {MYL_TASK_CHECKPOINT, MYL_TASK_NONE}},
     {MYL_SYNC_NONE, {MYL_TASK_TAIL_BACKWARD, MYL_TASK_NONE}},
     {MYL_SYNC_BARRIER, {MYL_TASK_HALF_UPDATE, MYL_TASK_HALF_UPDATE}}}};

/* Layer 1 too big for one thread, small layers after it: each thread owns
   half of layer 0's units and the rows of W1 they feed, and runs layers
   >= 1 on copies of its own, so no weight and no gradient crosses between
   the cores, only the two parts of layer 1's product and the next
   minibatch's bytes (each thread gathers half, last). */
static const myl_schedule PAIR = {
    "pair", 2, 1, 1, 1, MYL_NEXT_BYTES, 5,
    {{MYL_SYNC_BARRIER, {MYL_TASK_HALF_FORWARD, MYL_TASK_HALF_FORWARD}},
     {MYL_SYNC_BARRIER, {MYL_TASK_PAIR_FORWARD, MYL_TASK_PAIR_FORWARD}},
     {MYL_SYNC_CHECKPOINT, {MYL_TASK_PAIR_CHECKPOINT, MYL_TASK_PAIR_CHECKPOINT}},
     {MYL_SYNC_CHECKPOINT, {MYL_TASK_PAIR_BACKWARD, MYL_TASK_PAIR_BACKWARD}},
     {MYL_SYNC_NONE, {MYL_TASK_STAGE_NEXT_HALF, MYL_TASK_STAGE_NEXT_HALF}}}};

/* A layer's multiply-adds per product, narrow layers counted 16 wide. */
static double work(const myelin_net *net, size_t l, size_t rows)
{
    const size_t n = net->spec[l].units;
    return (double)rows * (double)(n < 16 ? 16 : n) * (double)net->fan_in[l];
}

/* Layer 0 learns by plain SGD without masks: its units can be split. */
static int layer0_plain(const myelin_net *net, const int *fused)
{
    return fused[0] && net->spec[0].dropout == 0.0f && net->spec[0].dropconnect == 0.0f &&
           net->spec[0].units / 2 / 16 * 16 >= 16;
}

size_t myl_layer1_split(const myelin_net *net, const int *fused)
{
    if (net->n_layers < 2 || !layer0_plain(net, fused) || !fused[1] || net->spec[1].dropout != 0.0f ||
        myl_layer_fwd_act(net, 1) == MYL_ACT_SOFTMAX)
        return 0;
    return net->spec[0].units / 2 / 16 * 16;
}

const myl_schedule *myl_schedule_choose(const myl_sched_input *in, const myl_sched_tuning *tu, int *threads)
{
    const myelin_net *net = in->net;
    *threads = in->threads;
    double total = 0.0;
    for (size_t l = 0; l < net->n_layers; l++)
        total += work(net, l, in->batch);
    if (*threads > 1 && total < tu->min_team_work)
        *threads = 1;
    if (*threads == 1)
        return &SERIAL;
    /* the tables that gather the next minibatch need one */
    if (in->rows <= in->batch || net->n_layers < 2)
        return &TEAM_ALL;
    int small_tail = 1; /* layers >= 2 */
    for (size_t l = 2; l < net->n_layers; l++)
        small_tail = small_tail && work(net, l, in->batch) < tu->overlap_work;
    const int small1 = work(net, 1, in->batch) < tu->overlap_work;
    const int split1 = myl_layer1_split(net, in->fused) != 0;
    if (small1 && small_tail) {
        if (*threads == 2 && layer0_plain(net, in->fused))
            return &ONE_REGION;
        return &OVERLAP;
    }
    if (*threads == 2 && split1 && small_tail)
        return &PAIR;
    return &TEAM_ALL;
}

/* Runs phases [p, q) (none of them TEAM) in one parallel region. */
static void run_region(step_ctx *c, const myl_schedule *s, int p, int q)
{
#pragma omp parallel num_threads(s->threads)
    {
        myl_pin_team();
        const int me = omp_get_thread_num(), team = omp_get_num_threads();
        for (int i = p; i < q; i++) {
            const myl_phase *ph = &s->phase[i];
            if (i > p && (ph->sync == MYL_SYNC_BARRIER || (ph->sync == MYL_SYNC_CHECKPOINT && c->ckpt))) {
#pragma omp barrier
            }
            for (int h = me; h < s->threads; h += team) /* fewer threads than the table: each takes more */
                myl_run_task(c, ph->task[h], h);
        }
    }
}

int myl_schedule_step(step_ctx *c)
{
    train_ws *ws = c->ws;
    const myl_schedule *s = ws->sched;
    c->loss = NAN;
    c->correct = 0;
    c->updated = 0;
    for (int h = 0; h < MYL_SCHED_MAX_THREADS; h++)
        c->th[h].finite = c->th[h].saved = 0, c->th[h].fst = c->th[h].bst = MYELIN_OK;
    c->plan->t = c->step + 1;
    /* never a checkpoint of non-finite weights: the rewind starts there */
    c->ckpt = myl_checkpoint_due(ws, c->step) && myl_all_finite(ws->net);
    c->pen = c->o->l1 != 0.0f || c->o->l2 != 0.0f ? myl_penalty(ws->net, c->o->l1, c->o->l2, ws->threads) : 0.0;
    if (s->halves)
        c->live = myl_params_enter_blocks(ws->net); /* each thread fills its block first if they were not */
    else
        myl_params_settle(ws->net);
    ws->q_ready = s->layer1_parts && ws->k1;
    for (int p = 0; p < s->n_phases;) {
        if (s->phase[p].sync == MYL_SYNC_TEAM) {
            myl_run_task(c, s->phase[p].task[0], 0);
            p++;
            continue;
        }
        int q = p + 1;
        while (q < s->n_phases && s->phase[q].sync != MYL_SYNC_TEAM)
            q++;
        run_region(c, s, p, q);
        p = q;
    }
    ws->q_ready = 0;
    int saved = 1;
    for (int h = 0; h < s->threads; h++)
        saved = saved && c->th[h].saved;
    if (saved && c->th[0].saved) /* each thread's share of a checkpoint */
        myl_checkpoint_taken(ws, c->step);
    for (int h = 0; h < MYL_SCHED_MAX_THREADS; h++)
        if (c->th[h].fst)
            return c->th[h].fst;
    for (int h = 0; h < MYL_SCHED_MAX_THREADS; h++)
        if (c->th[h].bst)
            return c->th[h].bst;
    return MYELIN_OK;
}

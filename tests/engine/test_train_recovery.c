/* Training's recovery from a non-finite loss (engine/recovery.c: checkpoint
   and rewind) under every step schedule (engine/schedule.c): a blow-up placed on a checkpoint
   step and off one, on 1, 2 and 3 threads. The run must stop with the
   weights of the last step whose loss was finite, read from the batch
   callback as a reference, and with the bytes of one thread. */
#include "../harness.h"
#include "myelin.h"
#include "network.h"
#include "params.h"
#include "schedule.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Steps this small would train on one thread: share them anyway. */
static void team_from_any_size(void)
{
    myl_sched_tuning t = myl_sched_tuning_get();
    t.min_team_work = 0.0;
    myl_sched_tuning_set(&t);
}

enum { ROWS = 400, IN = 300, CLASSES = 10, BATCH = 128, CKPT_EVERY = 16 };

typedef struct {
    myelin_net *net;
    size_t steps, blow_at, n;
    float *good; /* the weights the last finite loss was computed with */
    float *big;  /* layer 0 set to these after blow_at steps: step blow_at overflows */
    const char *schedule;
} blow_probe;

static int blow_epoch(const myelin_epoch_stats *s, void *user)
{
    ((blow_probe *)user)->schedule = s->schedule;
    return 0;
}

static size_t param_count(const myelin_net *net)
{
    size_t n = 0;
    for (size_t l = 0; l < net->n_layers; l++)
        n += net->fan_in[l] * net->spec[l].units + net->spec[l].units;
    return n;
}

static void read_params(const myelin_net *net, float *p)
{
    for (size_t l = 0; l < net->n_layers; l++) {
        myelin_net_get_params(net, l, p, p + net->fan_in[l] * net->spec[l].units);
        p += net->fan_in[l] * net->spec[l].units + net->spec[l].units;
    }
}

/* After `steps` steps the net holds the weights step `steps` (0-based)
   computes its loss with. */
static int blow_batch(size_t done, size_t total, double loss, void *user)
{
    blow_probe *p = user;
    (void)done, (void)total, (void)loss;
    p->steps++;
    if (p->steps == p->blow_at - 1)
        read_params(p->net, p->good);
    if (p->steps == p->blow_at)
        myelin_net_set_params(p->net, 0, p->big, NULL);
    return 0;
}

static void make_bytes(uint8_t *x, int32_t *y)
{
    uint64_t s = 17;
    for (size_t i = 0; i < ROWS; i++) {
        y[i] = (int32_t)(th_rand_u64(&s) % CLASSES);
        for (size_t j = 0; j < IN; j++)
            x[i * IN + j] = (uint8_t)((th_rand_u64(&s) & 127) + (j % CLASSES == (size_t)y[i] ? 128 : 0));
    }
}

/* Trains desc on threads threads until the overflow set after blow_at
   steps stops it; returns its final parameters (caller frees), NULL on a
   failed check. */
static float *blow_up_run(const char *desc, const char *schedule, int threads, size_t blow_at, size_t *count)
{
    static uint8_t x[ROWS * IN];
    static int32_t y[ROWS];
    make_bytes(x, y);
    const myelin_dataset d = {.rows = ROWS, .cols = IN, .x_u8 = x, .labels = y};
    blow_probe p = {.blow_at = blow_at};
    if (!CHECK(!myelin_net_create_str(desc, MYELIN_LOSS_CE, 5, &p.net), "%s", myelin_last_error()))
        return NULL;
    p.n = param_count(p.net);
    const size_t nw0 = p.net->fan_in[0] * p.net->spec[0].units;
    p.good = malloc(p.n * sizeof(float));
    p.big = malloc(nw0 * sizeof(float));
    float *end = malloc(p.n * sizeof(float));
    for (size_t i = 0; i < nw0; i++)
        p.big[i] = 3e38f;
    myelin_train_opts o;
    myelin_train_opts_default(&o);
    o.lr = 0.05f;
    o.batch = BATCH; /* 4 steps an epoch, the last one partial */
    o.epochs = 12;
    o.seed = 3;
    o.on_batch = blow_batch;
    o.on_batch_user = &p;
    o.on_epoch = blow_epoch;
    o.on_epoch_user = &p;
    const int before = myelin_num_threads();
    myelin_set_num_threads(threads);
    const int st = myelin_train(p.net, &d, &o);
    myelin_set_num_threads(before);
    read_params(p.net, end);
    int ok = CHECK(st == MYELIN_ENUMERIC && p.steps == blow_at, "%s, %d threads, blow-up at step %zu: status %d "
                   "after %zu steps", desc, threads, blow_at, st, p.steps);
    ok = ok && CHECK(p.schedule && !strcmp(p.schedule, schedule), "%s, %d threads: schedule %s, want %s", desc,
                     threads, p.schedule ? p.schedule : "(none)", schedule);
    ok = ok && CHECK(!memcmp(end, p.good, p.n * sizeof(float)), "%s, %d threads, blow-up at step %zu: the weights "
                     "kept are not those of step %zu, the last finite loss", desc, threads, blow_at, blow_at - 1);
    *count = p.n;
    myelin_net_free(p.net);
    free(p.good), free(p.big);
    if (!ok) {
        free(end);
        return NULL;
    }
    return end;
}

/* Every schedule, on 1, 2 and 3 threads (the small nets would train on one
   thread: the test lifts that). */
TEST(train_blow_up_on_and_off_checkpoints)
{
    const char *descs[] = {
        "300,64:relu:dropconnect=0.1,400:tanh,10:softmax",
        "300,64:relu:dropconnect=0.1,32:tanh,10:softmax",
        "300,64:relu,32:tanh,10:softmax",
        "300,64:relu,400:tanh,10:softmax",
    };
    /* the schedule of each on 2 and on 3 threads (1 thread: serial) */
    const char *two[] = {"team", "overlap", "one_region", "pair"}, *three[] = {"team", "overlap", "overlap", "team"};
    /* steps 16 and 32 take checkpoints; 35 ends an epoch (the plain step) */
    const size_t blow_at[] = {CKPT_EVERY, 2 * CKPT_EVERY, 22, 35};
    team_from_any_size();
    for (size_t k = 0; k < sizeof descs / sizeof descs[0]; k++)
        for (size_t b = 0; b < sizeof blow_at / sizeof blow_at[0]; b++) {
            size_t n[3];
            float *p[3];
            /* 3 threads not in the quick (ASan) run: engine/gemm.c's per-worker
               buffer of a third OpenMP worker is reported as a leak there */
            for (int t = 0; t < 3; t++)
                p[t] = th_quick() && t == 2 ? NULL : blow_up_run(descs[k], t == 0 ? "serial" : t == 1 ? two[k] : three[k], t + 1, blow_at[b], &n[t]);
            for (int t = 1; t < 3; t++)
                if (p[0] && p[t])
                    CHECK(!memcmp(p[0], p[t], n[0] * sizeof(float)), "%s, blow-up at step %zu: 1 and %d threads "
                          "keep different weights", descs[k], blow_at[b], t + 1);
            for (int t = 0; t < 3; t++)
                free(p[t]);
        }
    myl_sched_tuning_set(NULL);
}

/* Softmax cross-entropy with rows of y all 0 (no cross-entropy term): NaN
   logits gave those rows a loss of 0 and a NaN gradient, so training went on
   with NaN weights and ended with them (found by fuzz/fuzz_train.c;
   fuzz/regress/train/). The loss of such a batch is NaN: the run stops at
   once with the initial weights. */
TEST(train_nan_logits_with_zero_targets)
{
    for (int fused_kernel = 0; fused_kernel < 2; fused_kernel++) {
        /* 2 outputs: the kernels' fused loss; 17: the engine's row loop */
        myelin_net *net = NULL;
        CHECK(myelin_net_create_str(fused_kernel ? "2,2" : "2,17", MYELIN_LOSS_SOFTMAX_CE, 3, &net) == MYELIN_OK,
              "create: %s", myelin_last_error());
        if (!net)
            continue;
        const size_t nout = myelin_net_outputs(net), n = param_count(net);
        float x[4] = {INFINITY, 1.0f, 0.5f, -0.5f}, y[2 * 17] = {0};
        myelin_dataset d = {2, 2, x, NULL, y, nout, NULL};
        float *before = malloc(n * sizeof(float)), *after = malloc(n * sizeof(float));
        read_params(net, before);
        myelin_train_opts o;
        myelin_train_opts_default(&o);
        o.epochs = 3;
        const int st = myelin_train(net, &d, &o);
        read_params(net, after);
        CHECK(st == MYELIN_ENUMERIC, "%zu outputs: status %d (%s), want MYELIN_ENUMERIC", nout, st,
              myelin_last_error());
        CHECK(!memcmp(before, after, n * sizeof(float)), "%zu outputs: the weights are not the initial ones", nout);
        double loss = 0.0;
        CHECK(myelin_evaluate(net, &d, &loss, NULL) == MYELIN_OK && loss != loss,
              "%zu outputs: evaluate gives loss %g, want NaN", nout, loss);
        free(before);
        free(after);
        myelin_net_free(net);
    }
}

static int stop_now(size_t done, size_t total, double loss, void *user)
{
    (void)done, (void)total, (void)loss, (void)user;
    return 1;
}

static int stop_epoch(const myelin_epoch_stats *s, void *user)
{
    (void)s, (void)user;
    return 1;
}

/* A callback that stops training right after an update that made a weight
   non-finite (the loss it was computed from was finite): the run ended with
   that weight (found by fuzz/fuzz_train.c). Like the end of a run, it is
   MYELIN_ENUMERIC with the weights of the step before. */
TEST(train_stop_after_overflowing_update)
{
    for (int by_epoch = 0; by_epoch < 2; by_epoch++) {
        myelin_net *net = NULL;
        CHECK(myelin_net_create_str("1,1", MYELIN_LOSS_MSE, 5, &net) == MYELIN_OK, "create: %s", myelin_last_error());
        if (!net)
            continue;
        float x[1] = {1e15f}, y[1] = {0.0f}, before[2], after[2];
        myelin_dataset d = {1, 1, x, NULL, y, 1, NULL};
        read_params(net, before);
        myelin_train_opts o;
        myelin_train_opts_default(&o);
        o.lr = 1e10f; /* w -= 1e10 * 1e15 * (w * 1e15): overflows, the loss (1e29) does not */
        o.epochs = 2;
        if (by_epoch)
            o.on_epoch = stop_epoch;
        else
            o.on_batch = stop_now;
        const int st = myelin_train(net, &d, &o);
        read_params(net, after);
        CHECK(st == MYELIN_ENUMERIC, "%s callback: status %d (%s), want MYELIN_ENUMERIC",
              by_epoch ? "epoch" : "batch", st, myelin_last_error());
        CHECK(!memcmp(before, after, sizeof before), "%s callback: the weights are not the initial ones (%g %g)",
              by_epoch ? "epoch" : "batch", (double)after[0], (double)after[1]);
        myelin_net_free(net);
    }
}

typedef struct {
    myelin_net *net;
    size_t steps, poison_at;
} poison_probe;

/* After poison_at steps, one weight of layer 0 becomes +inf: behind tanh
   with positive inputs it gives tanh(inf) = 1 and a finite loss until a
   row whose input there is 0 makes it NaN, many steps (and checkpoints)
   later. */
static int poison_batch(size_t done, size_t total, double loss, void *user)
{
    poison_probe *p = user;
    (void)done, (void)total, (void)loss;
    if (++p->steps == p->poison_at) {
        const size_t nw = p->net->fan_in[0] * p->net->spec[0].units;
        float *w = malloc(nw * sizeof(float));
        myl_params_read(p->net, 0, w);
        w[0] = INFINITY; /* past myelin_net_set_params, which refuses it */
        myl_params_write(p->net, 0, w);
        free(w);
    }
    return 0;
}

/* An inf weight whose loss stays finite must not be kept: the checkpoints
   taken while it was there held it, and the rewind to the last finite loss
   returned it (found by fuzz/fuzz_train.c,
   fuzz/regress/train/enumeric-inf-weight-behind-tanh). The run stops with
   MYELIN_ENUMERIC, finite weights, and the same bytes on 1, 2 and 3
   threads. */
TEST(train_inf_weight_behind_tanh_is_not_kept)
{
    enum { R = 64, IN2 = 12 };
    static float x[R * IN2];
    static int32_t y[R];
    uint64_t s = 5;
    for (size_t i = 0; i < R; i++) {
        y[i] = (int32_t)(th_rand_u64(&s) % 3);
        for (size_t j = 0; j < IN2; j++)
            x[i * IN2 + j] = 0.25f + (float)(th_rand_u64(&s) % 100) / 100.0f;
    }
    x[(R - 5) * IN2] = 0.0f; /* 0 * inf: NaN in step 14 of each epoch (no shuffle) */
    const myelin_dataset d = {.rows = R, .cols = IN2, .x = x, .labels = y};
    float *first = NULL;
    size_t n = 0;
    team_from_any_size();
    for (int threads = 1; threads <= 3; threads++) {
        if (th_quick() && threads == 3)
            continue;
        poison_probe p = {.poison_at = 15}; /* after step 14: step 16's checkpoint holds the inf */
        if (!CHECK(!myelin_net_create_str("12,8:tanh,3:softmax", MYELIN_LOSS_CE, 9, &p.net), "%s",
                   myelin_last_error()))
            break;
        n = param_count(p.net);
        myelin_train_opts o;
        myelin_train_opts_default(&o);
        o.batch = 4; /* 16 steps an epoch */
        o.shuffle = 0;
        o.epochs = 6;
        o.on_batch = poison_batch;
        o.on_batch_user = &p;
        const int before = myelin_num_threads();
        myelin_set_num_threads(threads);
        const int st = myelin_train(p.net, &d, &o);
        myelin_set_num_threads(before);
        float *w = malloc(n * sizeof(float));
        read_params(p.net, w);
        size_t bad = 0;
        for (size_t i = 0; i < n; i++)
            bad += !isfinite(w[i]);
        CHECK(st == MYELIN_ENUMERIC && p.steps == 30, "%d threads: status %d after %zu steps (%s)",
              threads, st, p.steps, myelin_last_error());
        CHECK(bad == 0, "%d threads: %zu non-finite parameters kept after MYELIN_ENUMERIC", threads, bad);
        if (!first)
            first = w;
        else {
            CHECK(!memcmp(first, w, n * sizeof(float)), "1 and %d threads keep different weights", threads);
            free(w);
        }
        myelin_net_free(p.net);
    }
    free(first);
    myl_sched_tuning_set(NULL);
}

/* Training: analytic gradients against central finite differences in double
   for every valid activation x loss x regulariser combination, 1 vs 2 threads
   and seeds, non-finite losses, callbacks, bad arguments, profile. */
#include "../harness.h"
#include "myelin.h"
#include "network.h"
#include "schedule.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>

/* Steps this small would train on one thread: share them anyway. */
static void team_from_any_size(void)
{
    myl_sched_tuning t = myl_sched_tuning_get();
    t.min_team_work = 0.0;
    myl_sched_tuning_set(&t);
}

/* ---------------------------------------------------- double reference */

typedef struct {
    const myelin_net *net;
    double *w[8], *b[8];
    size_t rows;
    const float *x, *y;     /* y: rows x outputs targets */
    float l1, l2;
    uint64_t seed, step;    /* masks as in training when masks */
    int masks;
} ref_net;

static double act_d(int act, double z)
{
    switch (act) {
    case MYELIN_ACT_RELU: return z > 0 ? z : 0;
    case MYELIN_ACT_LEAKY_RELU: return z > 0 ? z : myelin_leaky_slope() * z;
    case MYELIN_ACT_SIGMOID: return 1 / (1 + exp(-z));
    case MYELIN_ACT_TANH: return tanh(z);
    default: return z;
    }
}

/* Mean data loss + penalty, all in double. */
static double ref_loss(const ref_net *r)
{
    const myelin_net *net = r->net;
    size_t L = myelin_net_num_layers(net), width = 64;
    double a[64], z[64], sum = 0;
    for (size_t i = 0; i < r->rows; i++) {
        size_t fin = myelin_net_inputs(net);
        for (size_t j = 0; j < fin; j++)
            a[j] = r->x[i * fin + j];
        myelin_layer_spec s;
        for (size_t l = 0; l < L; l++) {
            myelin_net_layer(net, l, &s);
            if (r->masks && s.dropout > 0) {
                uint64_t key = myl_rng_key(r->seed, MYL_STREAM_DROPOUT, l, r->step);
                uint32_t thr = myl_rng_threshold(s.dropout);
                float ks = 1.0f / (1.0f - s.dropout);
                for (size_t j = 0; j < fin; j++)
                    a[j] = myl_rng_keep(key, i * fin + j, thr) ? a[j] * ks : 0;
            }
            uint64_t kc = myl_rng_key(r->seed, MYL_STREAM_DROPCONNECT, l, r->step);
            uint32_t tc = myl_rng_threshold(s.dropconnect);
            float kcs = 1.0f / (1.0f - s.dropconnect);
            for (size_t o = 0; o < s.units; o++) {
                double acc = r->b[l][o];
                for (size_t j = 0; j < fin; j++) {
                    double wv = r->w[l][j * s.units + o];
                    if (r->masks && s.dropconnect > 0)
                        wv = myl_rng_keep(kc, j * s.units + o, tc) ? wv * kcs : 0;
                    acc += a[j] * wv;
                }
                z[o] = acc;
            }
            if (s.act == MYELIN_ACT_SOFTMAX || (l + 1 == L && net->fuse == MYL_FUSE_SOFTMAX_CE)) {
                double mx = z[0], t = 0;
                for (size_t o = 1; o < s.units; o++)
                    mx = z[o] > mx ? z[o] : mx;
                for (size_t o = 0; o < s.units; o++)
                    t += exp(z[o] - mx);
                for (size_t o = 0; o < s.units; o++)
                    a[o] = exp(z[o] - mx) / t;
            } else if (l + 1 == L && net->fuse == MYL_FUSE_SIGMOID_BCE) {
                a[0] = 1 / (1 + exp(-z[0]));
            } else {
                for (size_t o = 0; o < s.units; o++)
                    a[o] = act_d(s.act, z[o]);
            }
            fin = s.units;
        }
        (void)width;
        const float *t = r->y + i * fin;
        for (size_t o = 0; o < fin; o++) {
            double d = a[o] - t[o];
            switch (myelin_net_loss(net)) {
            case MYELIN_LOSS_MSE: sum += 0.5 * d * d; break;
            case MYELIN_LOSS_MAE: sum += fabs(d); break;
            case MYELIN_LOSS_BCE:
            case MYELIN_LOSS_BCE_LOGITS: sum -= t[o] * log(a[o]) + (1 - t[o]) * log(1 - a[o]); break;
            default: sum -= t[o] * log(a[o]); break;
            }
        }
    }
    double pen = 0;
    for (size_t l = 0; l < L; l++) {
        myelin_layer_spec s;
        myelin_net_layer(net, l, &s);
        size_t nw = s.units * (l ? 0 : 0);
        (void)nw;
    }
    for (size_t l = 0; l < L; l++)
        for (size_t q = 0; q < net->fan_in[l] * net->spec[l].units; q++)
            pen += r->l1 * fabs(r->w[l][q]) + 0.5 * r->l2 * r->w[l][q] * r->w[l][q];
    return sum / r->rows + pen;
}

typedef struct {
    const char *name;
    myelin_act out_act;
    myelin_loss loss;
    size_t outputs;
} out_case;

static const out_case OUT_CASES[] = {
    {"linear+mse", MYELIN_ACT_LINEAR, MYELIN_LOSS_MSE, 3},
    {"tanh+mse", MYELIN_ACT_TANH, MYELIN_LOSS_MSE, 3},
    {"sigmoid+mse", MYELIN_ACT_SIGMOID, MYELIN_LOSS_MSE, 2},
    {"relu+mse", MYELIN_ACT_RELU, MYELIN_LOSS_MSE, 3},
    {"softmax+mse", MYELIN_ACT_SOFTMAX, MYELIN_LOSS_MSE, 3},
    {"linear+mae", MYELIN_ACT_LINEAR, MYELIN_LOSS_MAE, 3},
    {"leaky+mae", MYELIN_ACT_LEAKY_RELU, MYELIN_LOSS_MAE, 2},
    {"sigmoid+bce", MYELIN_ACT_SIGMOID, MYELIN_LOSS_BCE, 1},
    {"linear+bce_logits", MYELIN_ACT_LINEAR, MYELIN_LOSS_BCE_LOGITS, 1},
    {"softmax+ce", MYELIN_ACT_SOFTMAX, MYELIN_LOSS_CE, 3},
    {"linear+softmax_ce", MYELIN_ACT_LINEAR, MYELIN_LOSS_SOFTMAX_CE, 4},
};
static const myelin_act HIDDEN[] = {MYELIN_ACT_LINEAR, MYELIN_ACT_RELU, MYELIN_ACT_LEAKY_RELU, MYELIN_ACT_SIGMOID,
                                    MYELIN_ACT_TANH};
enum { REG_NONE, REG_L1, REG_L2, REG_DROP, N_REG };
static const char *REG_NAMES[] = {"none", "l1", "l2", "dropout+dropconnect"};

/* One gradient check; returns the worst relative error. */
static double grad_check(myelin_act hidden, const out_case *oc, int reg, uint64_t seed, int *fails)
{
    enum { IN = 4, H1 = 5, H2 = 4, ROWS = 6 };
    myelin_layer_spec l[3] = {myelin_layer_default(H1, hidden), myelin_layer_default(H2, hidden),
                              myelin_layer_default(oc->outputs, oc->out_act)};
    for (int i = 0; i < 3; i++) {
        l[i].init = MYELIN_INIT_NORMAL;
        l[i].init_scale = 0.7f;
        l[i].bias_init = 0.3f;
    }
    if (reg == REG_DROP) {
        l[1].dropout = 0.3f;
        l[0].dropout = 0.2f;
        l[2].dropconnect = 0.25f;
    }
    myelin_net_spec spec = {IN, 3, l, oc->loss};
    myelin_net *net;
    if (!CHECK(myelin_net_create(&spec, seed, &net) == 0, "%s", myelin_last_error()))
        return 1;
    uint64_t s = seed * 77 + 1;
    float x[ROWS * IN], y[ROWS * 4];
    for (int i = 0; i < ROWS * IN; i++)
        x[i] = th_rand_uniform(&s, -1.5f, 1.5f);
    for (int i = 0; i < ROWS; i++) {
        int cls = (int)(th_rand_u64(&s) % oc->outputs);
        for (size_t o = 0; o < oc->outputs; o++) {
            if (oc->loss == MYELIN_LOSS_CE || oc->loss == MYELIN_LOSS_SOFTMAX_CE)
                y[i * oc->outputs + o] = (int)o == cls;
            else if (oc->outputs == 1 && oc->loss != MYELIN_LOSS_MSE && oc->loss != MYELIN_LOSS_MAE)
                y[i] = (float)(th_rand_u64(&s) & 1);
            else
                y[i * oc->outputs + o] = th_rand_uniform(&s, -0.2f, 1.0f);
        }
    }
    myelin_dataset d = {.rows = ROWS, .cols = IN, .x = x, .y = y, .y_cols = oc->outputs};
    float l1 = reg == REG_L1 ? 0.05f : 0, l2 = reg == REG_L2 ? 0.1f : 0;
    float *dw[3], *db[3];
    ref_net r = {.net = net, .rows = ROWS, .x = x, .y = y, .l1 = l1, .l2 = l2, .seed = 9, .step = 4,
                 .masks = reg == REG_DROP};
    for (size_t q = 0; q < 3; q++) {
        size_t nw = net->fan_in[q] * net->spec[q].units;
        dw[q] = malloc(nw * sizeof(float));
        db[q] = malloc(net->spec[q].units * sizeof(float));
        r.w[q] = malloc(nw * sizeof(double));
        r.b[q] = malloc(net->spec[q].units * sizeof(double));
        for (size_t i = 0; i < nw; i++)
            r.w[q][i] = net->w[q][i];
        for (size_t i = 0; i < net->spec[q].units; i++)
            r.b[q][i] = net->b[q][i];
    }
    double loss = 0, worst = 0;
    int st = myl_net_gradients(net, &d, l1, l2, 9, reg == REG_DROP ? 4 : UINT64_MAX, dw, db, &loss);
    CHECK(st == 0, "gradients: %s", myelin_last_error());
    double lref = ref_loss(&r);
    CHECK(fabs(loss - lref) <= 1e-5 * (1 + fabs(lref)), "loss %.9g, double reference %.9g", loss, lref);
    const double h = 1e-5;
    for (size_t q = 0; q < 3 && !st; q++) {
        size_t nw = net->fan_in[q] * net->spec[q].units, nb = net->spec[q].units;
        for (size_t i = 0; i < nw + nb; i++) {
            double *p = i < nw ? &r.w[q][i] : &r.b[q][i - nw];
            double keep = *p;
            *p = keep + h;
            double lp = ref_loss(&r);
            *p = keep - h;
            double lm = ref_loss(&r);
            *p = keep;
            double num = (lp - lm) / (2 * h), ana = i < nw ? dw[q][i] : db[q][i - nw];
            double err = fabs(num - ana) / (fabs(num) + 1e-2);
            if (err > worst)
                worst = err;
            if (err > 2e-3 && (*fails)++ < 4)
                CHECK(0, "hidden %d, %s, reg %s: layer %zu %s %zu: analytic %.7g, numeric %.7g", (int)hidden,
                      oc->name, REG_NAMES[reg], q, i < nw ? "w" : "b", i < nw ? i : i - nw, ana, num);
        }
    }
    for (size_t q = 0; q < 3; q++) {
        free(dw[q]);
        free(db[q]);
        free(r.w[q]);
        free(r.b[q]);
    }
    myelin_net_free(net);
    return worst;
}

TEST_ISA(train_gradient_check)
{
    int fails = 0, combos = 0;
    double worst = 0;
    uint64_t seed = 1;
    for (size_t h = 0; h < sizeof HIDDEN / sizeof HIDDEN[0]; h++)
        for (size_t o = 0; o < sizeof OUT_CASES / sizeof OUT_CASES[0]; o++)
            for (int reg = 0; reg < N_REG; reg++, seed++) {
                if (th_quick() && (seed % 5) != 0)
                    continue;
                double e = grad_check(HIDDEN[h], &OUT_CASES[o], reg, seed, &fails);
                worst = e > worst ? e : worst;
                combos++;
            }
    th_note("%s: %d combinations, worst relative gradient error %.2g", isa, combos, worst);
    CHECK(fails == 0, "%d gradient mismatches", fails);
}

/* ---------------------------------------------------- reproducibility */

static void make_set(size_t rows, size_t cols, size_t classes, uint8_t *x, int32_t *labels, uint64_t s)
{
    for (size_t i = 0; i < rows; i++) {
        labels[i] = (int32_t)(th_rand_u64(&s) % classes);
        for (size_t j = 0; j < cols; j++)
            x[i * cols + j] = (uint8_t)((th_rand_u64(&s) & 127) + (j % classes == (size_t)labels[i] ? 128 : 0));
    }
}

/* A byte dataset of rows <= 400 rows x 300 inputs in 10 classes, made from
   seed in static storage (one such set at a time). */
static myelin_dataset byte_set(size_t rows, uint64_t seed)
{
    enum { MAX_ROWS = 400, IN = 300, CL = 10 };
    static uint8_t x[MAX_ROWS * IN];
    static int32_t y[MAX_ROWS];
    rows = rows < MAX_ROWS ? rows : MAX_ROWS;
    make_set(rows, IN, CL, x, y, seed);
    return (myelin_dataset){.rows = rows, .cols = IN, .x_u8 = x, .labels = y};
}

/* Trains the net desc (300 inputs, 10 classes) on 400 rows in
   minibatches of 128 (the last one partial); returns its parameters
   concatenated (caller frees). */
static float *train_params_net(const char *desc, int threads, uint64_t net_seed, uint64_t train_seed,
                               myelin_optimizer opt, size_t *count)
{
    enum { ROWS = 400, IN = 300, CL = 10 };
    static uint8_t x[ROWS * IN];
    static int32_t y[ROWS];
    static int made; /* once: train_calls_from_two_threads calls this concurrently */
    if (!made) {
        make_set(ROWS, IN, CL, x, y, 5);
        made = 1;
    }
    myelin_net *net;
    if (myelin_net_create_str(desc, MYELIN_LOSS_CE, net_seed, &net))
        return NULL;
    float off[IN], sc[IN];
    for (int j = 0; j < IN; j++) {
        off[j] = 100.0f;
        sc[j] = 1.0f / 255;
    }
    myelin_net_set_input_transform(net, off, sc, IN);
    myelin_dataset d = {.rows = ROWS, .cols = IN, .x_u8 = x, .labels = y};
    myelin_train_opts o;
    myelin_train_opts_default(&o);
    o.opt = opt;
    o.lr = opt == MYELIN_OPT_ADAM ? 0.001f : 0.05f;
    o.batch = 128;
    o.epochs = 2;
    o.l2 = 1e-4f;
    o.seed = train_seed;
    int before = myelin_num_threads();
    myelin_set_num_threads(threads);
    int st = myelin_train(net, &d, &o);
    myelin_set_num_threads(before);
    CHECK(st == 0, "train: %s", myelin_last_error());
    size_t n = 0;
    for (size_t l = 0; l < net->n_layers; l++)
        n += net->fan_in[l] * net->spec[l].units + net->spec[l].units;
    float *p = malloc(n * sizeof(float)), *q = p;
    for (size_t l = 0; l < net->n_layers; l++) {
        myelin_net_get_params(net, l, q, q + net->fan_in[l] * net->spec[l].units);
        q += net->fan_in[l] * net->spec[l].units + net->spec[l].units;
    }
    *count = n;
    myelin_net_free(net);
    return p;
}

/* A net big enough that every parallel path engages. */
static float *train_params(int threads, uint64_t net_seed, uint64_t train_seed, myelin_optimizer opt, size_t *count)
{
    return train_params_net("300,256:relu:dropconnect=0.1,128:tanh:dropout=0.2,10:softmax:dropout=0.1", threads,
                             net_seed, train_seed, opt, count);
}

static void params_get(const myelin_net *net, float *p)
{
    for (size_t l = 0; l < net->n_layers; l++) {
        myelin_net_get_params(net, l, p, p + net->fan_in[l] * net->spec[l].units);
        p += net->fan_in[l] * net->spec[l].units + net->spec[l].units;
    }
}

static void params_set(myelin_net *net, const float *p)
{
    for (size_t l = 0; l < net->n_layers; l++) {
        myelin_net_set_params(net, l, p, p + net->fan_in[l] * net->spec[l].units);
        p += net->fan_in[l] * net->spec[l].units + net->spec[l].units;
    }
}

/* Trains a net of desc on d with o1, then again with o2 after between()
   (when not NULL), and a fresh net (other initial weights) set to the
   weights after the first run with o2: 1 when the two second runs give the
   same bytes and the second run changed the weights (0 and a failed check
   otherwise; what says which case failed). */
static int second_run_matches_fresh(const char *desc, const myelin_dataset *d, const myelin_train_opts *o1,
                                    const myelin_train_opts *o2, void (*between)(void), const char *what)
{
    myelin_net *a = NULL, *f = NULL;
    int same = 0;
    if (CHECK(!myelin_net_create_str(desc, MYELIN_LOSS_CE, 3, &a) && !myelin_net_create_str(desc, MYELIN_LOSS_CE, 4, &f),
              "%s", myelin_last_error())) {
        size_t n = 0;
        for (size_t l = 0; l < a->n_layers; l++)
            n += a->fan_in[l] * a->spec[l].units + a->spec[l].units;
        float *p1 = malloc(n * sizeof(float)), *p2 = malloc(n * sizeof(float)), *q2 = malloc(n * sizeof(float));
        CHECK(!myelin_train(a, d, o1), "%s, first run: %s", what, myelin_last_error());
        params_get(a, p1);
        if (between)
            between();
        CHECK(!myelin_train(a, d, o2), "%s, second run: %s", what, myelin_last_error());
        params_get(a, p2);
        params_set(f, p1);
        CHECK(!myelin_train(f, d, o2), "%s, fresh run: %s", what, myelin_last_error());
        params_get(f, q2);
        CHECK(memcmp(p1, p2, n * sizeof(float)) != 0, "%s: the second run changed nothing", what);
        same = CHECK(!memcmp(p2, q2, n * sizeof(float)), "%s: the second run on a net's kept buffers differs from "
                     "a fresh net's", what);
        free(p1), free(p2), free(q2);
    }
    myelin_net_free(a), myelin_net_free(f);
    return same;
}

/* A net keeps its training buffers between runs (train.c, cached_ws): a
   second run on them (optimiser state from the first run must not leak in)
   gives the same bytes as the same run on a fresh net with the same
   weights; so does a run that needs other buffers (another batch size). */
TEST(train_second_run_same_bytes_as_fresh_net)
{
    const myelin_dataset d = byte_set(400, 11);
    const myelin_optimizer opts[] = {MYELIN_OPT_MOMENTUM, MYELIN_OPT_ADAM};
    const size_t batches[] = {128, 64};
    team_from_any_size();
    const int before = myelin_num_threads();
    for (int th = 1; th <= 2; th++)
        for (int k = 0; k < 2; k++)
            for (int b = 0; b < 2; b++) {
                myelin_set_num_threads(th);
                myelin_train_opts o1, o2;
                myelin_train_opts_default(&o1);
                o1.opt = opts[k];
                o1.lr = opts[k] == MYELIN_OPT_ADAM ? 0.001f : 0.05f;
                o1.batch = 128;
                o1.epochs = 1;
                o1.seed = 7;
                o2 = o1;
                o2.seed = 8;
                o2.batch = batches[b];
                char what[64];
                snprintf(what, sizeof what, "%d thread(s), opt %d, batch %zu", th, (int)opts[k], batches[b]);
                second_run_matches_fresh("300,64:relu:dropconnect=0.1,32:tanh:dropout=0.2,10:softmax", &d, &o1, &o2,
                                         NULL, what);
            }
    myelin_set_num_threads(before);
    myl_sched_tuning_set(NULL);
}

static void set_slope_03(void) { CHECK(!myelin_set_leaky_slope(0.3f), "%s", myelin_last_error()); }

/* The kept buffers do not keep the leaky ReLU slope of the run that made
   them: a run after myelin_set_leaky_slope gives the bytes of a fresh net. */
TEST(train_second_run_takes_the_new_leaky_slope)
{
    const myelin_dataset d = byte_set(200, 13);
    const float slope0 = myelin_leaky_slope();
    myelin_train_opts o;
    myelin_train_opts_default(&o);
    o.lr = 0.05f;
    o.batch = 64;
    o.epochs = 1;
    second_run_matches_fresh("300,32:leaky_relu,10:softmax", &d, &o, &o, set_slope_03, "a new leaky slope");
    myelin_set_leaky_slope(slope0);
}

/* Layers after the first small enough to run on one thread: on two threads
   the step gathers the next minibatch beside them (engine/schedule.c: the
   overlap and one_region tables; test_train_schedule.c asserts which).
   A step this small would run on one thread altogether: the test lifts that. */
TEST(train_overlapped_gather_reproducible)
{
    /* DropConnect on layer 0 (the step of three parallel regions), and plain
       SGD without masks on layer 0 (the step in one region) */
    const char *descs[] = {"300,64:relu:dropconnect=0.1,32:tanh:dropout=0.2,10:softmax:dropout=0.1",
                           "300,64:relu,32:tanh:dropout=0.2,10:softmax"};
    const myelin_optimizer opts[] = {MYELIN_OPT_SGD, MYELIN_OPT_ADAM, MYELIN_OPT_SGD};
    team_from_any_size();
    for (int k = 0; k < 3; k++) {
        const char *desc = descs[k / 2];
        size_t n1, n2, n3 = 0;
        float *a = train_params_net(desc, 1, 3, 7, opts[k], &n1), *b = train_params_net(desc, 2, 3, 7, opts[k], &n2);
        float *c = !th_quick() ? train_params_net(desc, 3, 3, 7, opts[k], &n3) : NULL;
        CHECK(a && b, "training failed");
        if (a && b)
            CHECK(!memcmp(a, b, n1 * sizeof(float)), "opt %d: 1 and 2 threads give different weights", (int)opts[k]);
        if (a && c)
            CHECK(!memcmp(a, c, n1 * sizeof(float)), "opt %d: 1 and 3 threads give different weights", (int)opts[k]);
        free(a), free(b), free(c);
    }
    myl_sched_tuning_set(NULL);
}

/* On two threads the one-region step keeps layer 0's weights in a layout of
   its own (engine/params.c: layer 0's column blocks); none of it may show. The probe records
   each step's reported loss (with an L2 penalty read from that layout), reads
   layer 0 from the batch callback at one step, and at a later one sets
   weights that overflow, so that the run stops on a non-finite loss and
   rewinds to a checkpoint saved from that layout. */
typedef struct {
    myelin_net *net;
    size_t steps, read_at, blow_at;
    double loss[32];
    float *w, *big;
} block_probe;

static int block_probe_batch(size_t done, size_t total, double loss, void *user)
{
    block_probe *p = user;
    (void)done, (void)total;
    if (p->steps < 32)
        p->loss[p->steps] = loss;
    p->steps++;
    if (p->steps == p->read_at)
        myelin_net_get_params(p->net, 0, p->w, NULL);
    if (p->steps == p->blow_at)
        myelin_net_set_params(p->net, 0, p->big, NULL);
    return 0;
}

/* desc: the net, 300 inputs and 64 units in layer 0. */
static void layer0_blocks_never_show(const char *desc)
{
    enum { NW = 300 * 64 }; /* layer 0's weights */
    const myelin_dataset d = byte_set(400, 9);
    myelin_train_opts o;
    myelin_train_opts_default(&o);
    o.lr = 0.05f;
    o.batch = 128; /* 4 steps an epoch: 3 in one region on two threads, the last plain */
    o.epochs = 8;
    o.l2 = 1e-3f;
    o.seed = 3;
    o.on_batch = block_probe_batch;
    float *w[2], *big = malloc(NW * sizeof(float)), *end[2];
    block_probe pr[2];
    int st[2];
    for (size_t i = 0; i < NW; i++)
        big[i] = 3e38f;
    team_from_any_size();
    const int before = myelin_num_threads();
    for (int t = 0; t < 2; t++) {
        w[t] = malloc(NW * sizeof(float));
        end[t] = malloc(NW * sizeof(float));
        memset(&pr[t], 0, sizeof pr[t]);
        pr[t] = (block_probe){.read_at = 10, .blow_at = 22, .w = w[t], .big = big};
        myelin_net_create_str(desc, MYELIN_LOSS_CE, 5, &pr[t].net);
        o.on_batch_user = &pr[t];
        myelin_set_num_threads(t + 1);
        st[t] = myelin_train(pr[t].net, &d, &o);
        myelin_net_get_params(pr[t].net, 0, end[t], NULL);
    }
    myelin_set_num_threads(before);
    myl_sched_tuning_set(NULL);
    for (int t = 0; t < 2; t++)
        CHECK(st[t] == MYELIN_ENUMERIC && pr[t].steps == 22, "%s, %d threads: status %d after %zu steps (want the "
              "overflow to stop the run after 22)", desc, t + 1, st[t], pr[t].steps);
    CHECK(!memcmp(pr[0].loss, pr[1].loss, 22 * sizeof(double)), "%s: 1 and 2 threads report different losses", desc);
    CHECK(!memcmp(w[0], w[1], NW * sizeof(float)), "%s: 1 and 2 threads: the weights read at step 10 differ", desc);
    CHECK(!memcmp(end[0], end[1], NW * sizeof(float)), "%s: 1 and 2 threads: the weights kept after the overflow "
          "differ", desc);
    CHECK(memcmp(w[0], end[0], NW * sizeof(float)) != 0, "%s: the weights did not change after step 10", desc);
    for (int t = 0; t < 2; t++) {
        myelin_net_free(pr[t].net);
        free(w[t]), free(end[t]);
    }
    free(big);
}

TEST(train_layer0_blocks_never_show)
{
    layer0_blocks_never_show("300,64:relu,32:tanh,10:softmax"); /* the one_region table */
    layer0_blocks_never_show("300,64:relu,400:tanh,10:softmax"); /* the pair table (test_train_schedule.c) */
}

/* The pair table (engine/schedule.c: a layer 1 too big for one thread, smaller
   layers after it) gives the bytes of one thread, and of three (the plain
   step with the same two-part sum of layer 1), on every parameter. */
TEST(train_pair_step_same_bytes)
{
    const char *desc = "300,64:relu,400:tanh,32:relu,10:softmax";
    size_t n[3];
    float *p[3];
    for (int t = 0; t < 3; t++)
        p[t] = th_quick() && t == 2 ? NULL : train_params_net(desc, t + 1, 4, 6, MYELIN_OPT_SGD, &n[t]);
    CHECK(p[0] && p[1], "training failed");
    if (p[0] && p[1])
        CHECK(!memcmp(p[0], p[1], n[0] * sizeof(float)), "1 and 2 threads give different parameters");
    if (p[0] && p[2])
        CHECK(!memcmp(p[0], p[2], n[0] * sizeof(float)), "1 and 3 threads give different parameters");
    for (int t = 0; t < 3; t++)
        free(p[t]);
}

TEST(train_threads_and_seeds_reproducible)
{
    const myelin_optimizer opts[] = {MYELIN_OPT_MOMENTUM, MYELIN_OPT_SGD};
    for (int k = 0; k < 2; k++) {
        size_t n1, n2, n3, n4, n5;
        float *a = train_params(1, 3, 7, opts[k], &n1), *b = train_params(2, 3, 7, opts[k], &n2);
        float *c = train_params(2, 3, 7, opts[k], &n3), *e = train_params(2, 3, 8, opts[k], &n4);
        float *f = train_params(2, 4, 7, opts[k], &n5);
        size_t n6;
        /* Also in the ASan phase: a 3-thread team makes OpenMP retire a worker
           later, whose packing buffer the GEMM frees in a thread-exit destructor. */
        float *g = k == 0 ? train_params(3, 3, 7, opts[k], &n6) : NULL;
        if (g)
            CHECK(!memcmp(a, g, n1 * sizeof(float)), "opt %d: 1 and 3 threads give different weights", (int)opts[k]);
        free(g);
        if (a && b && c && e && f) {
            CHECK(!memcmp(a, b, n1 * sizeof(float)), "opt %d: 1 and 2 threads give different weights", (int)opts[k]);
            CHECK(!memcmp(b, c, n1 * sizeof(float)), "opt %d: two runs with one seed differ", (int)opts[k]);
            CHECK(memcmp(b, e, n1 * sizeof(float)) != 0, "opt %d: another training seed changes nothing", (int)opts[k]);
            CHECK(memcmp(b, f, n1 * sizeof(float)) != 0, "opt %d: another net seed changes nothing", (int)opts[k]);
        } else {
            CHECK(0, "training failed");
        }
        free(a), free(b), free(c), free(e), free(f);
    }
}

/* Two nets trained at the same time from two threads of the caller (each
   with its own OpenMP team) end with the bytes each gives alone: the calls
   share no state (packing buffers, kept training buffers, errors). */
typedef struct {
    uint64_t net_seed, train_seed;
    myelin_optimizer opt;
    float *p;
    size_t n;
} train_job;

static void *train_job_run(void *arg)
{
    train_job *j = arg;
    j->p = train_params(2, j->net_seed, j->train_seed, j->opt, &j->n);
    return NULL;
}

TEST(train_calls_from_two_threads)
{
    int saved = myelin_num_threads();
    myelin_set_num_threads(2); /* train_params sets 2 and restores 2: no change while both run */
    train_job jobs[2] = {{3, 7, MYELIN_OPT_MOMENTUM, NULL, 0}, {4, 9, MYELIN_OPT_ADAM, NULL, 0}};
    size_t n[2];
    float *alone[2];
    for (int i = 0; i < 2; i++)
        alone[i] = train_params(2, jobs[i].net_seed, jobs[i].train_seed, jobs[i].opt, &n[i]);
    pthread_t th[2];
    int started[2];
    for (int i = 0; i < 2; i++)
        started[i] = pthread_create(&th[i], NULL, train_job_run, &jobs[i]) == 0;
    for (int i = 0; i < 2; i++) {
        if (started[i])
            pthread_join(th[i], NULL);
        CHECK(started[i], "cannot start thread %d", i);
        if (alone[i] && jobs[i].p)
            CHECK(!memcmp(alone[i], jobs[i].p, n[i] * sizeof(float)), "net %d: trained beside another, other bytes",
                  i);
        else
            CHECK(!started[i], "net %d: training failed", i);
        free(alone[i]);
        free(jobs[i].p);
    }
    myelin_set_num_threads(saved == myl_physical_cores() ? 0 : saved);
}

/* ---------------------------------------------------- errors and stops */

static int stop_after(size_t done, size_t total, double loss, void *user)
{
    int *calls = user;
    return ++*calls >= 3;
}
static int stop_epoch(const myelin_epoch_stats *s, void *user)
{
    myelin_epoch_stats *last = user;
    *last = *s;
    return s->epoch == 2;
}

TEST(train_errors_and_stops)
{
    myelin_net *net;
    if (!CHECK(myelin_net_create_str("2,4:tanh,1:sigmoid", MYELIN_LOSS_BCE, 1, &net) == 0, "%s", myelin_last_error()))
        return;
    float x[16] = {0, 0, 0, 1, 1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1, 1};
    int32_t lab[8] = {0, 1, 1, 0, 0, 1, 1, 0}, badlab[8] = {0, 1, 2, 0, 0, 1, 1, 0};
    uint8_t xb[16] = {0};
    myelin_dataset d = {.rows = 8, .cols = 2, .x = x, .labels = lab};
    myelin_train_opts o;
    myelin_train_opts_default(&o);
    o.batch = 2;
#define BAD_OPT(field, value, word)                                                                   \
    do {                                                                                              \
        myelin_train_opts b = o;                                                                      \
        b.field = value;                                                                              \
        int st_ = myelin_train(net, &d, &b);                                                          \
        CHECK(st_ == MYELIN_EINVAL && strstr(myelin_last_error(), word), #field "=" #value ": %d %s", st_, \
              myelin_last_error());                                                                   \
    } while (0)
    BAD_OPT(lr, NAN, "lr");
    BAD_OPT(lr, 0.0f, "lr");
    BAD_OPT(batch, 0, "batch");
    BAD_OPT(epochs, 0, "epochs");
    BAD_OPT(l2, -1.0f, "l2");
    BAD_OPT(l1, NAN, "l1");
    BAD_OPT(layer_decay, NAN, "layer_decay");
    BAD_OPT(opt, (myelin_optimizer)9, "opt 9");
    BAD_OPT(schedule, (myelin_schedule)9, "schedule 9");
    {
        myelin_train_opts b = o;
        b.opt = MYELIN_OPT_MOMENTUM;
        b.momentum = 1.0f;
        CHECK(myelin_train(net, &d, &b) == MYELIN_EINVAL && strstr(myelin_last_error(), "momentum"), "momentum 1");
        b = o;
        b.opt = MYELIN_OPT_ADAM;
        b.eps = 0;
        CHECK(myelin_train(net, &d, &b) == MYELIN_EINVAL && strstr(myelin_last_error(), "eps"), "eps 0");
        b.eps = 1e-8f;
        b.beta2 = NAN;
        CHECK(myelin_train(net, &d, &b) == MYELIN_EINVAL && strstr(myelin_last_error(), "beta2"), "beta2 NaN");
        b = o;
        b.schedule = MYELIN_SCHED_STEP;
        b.decay_epochs = 0;
        CHECK(myelin_train(net, &d, &b) == MYELIN_EINVAL && strstr(myelin_last_error(), "decay_epochs"), "step 0");
        b.decay_epochs = 1;
        b.decay = NAN;
        CHECK(myelin_train(net, &d, &b) == MYELIN_EINVAL && strstr(myelin_last_error(), "decay"), "decay NaN");
    }
#define BAD_SET(expr, word)                                                                        \
    do {                                                                                           \
        myelin_dataset b = d;                                                                      \
        expr;                                                                                      \
        int st_ = myelin_train(net, &b, &o);                                                       \
        CHECK(st_ == MYELIN_EINVAL && strstr(myelin_last_error(), word), #expr ": %d %s", st_,     \
              myelin_last_error());                                                                \
    } while (0)
    BAD_SET(b.cols = 3, "3 columns");
    BAD_SET(b.rows = 0, "0 rows");
    BAD_SET(b.x_u8 = xb, "exactly one");
    BAD_SET(b.x = NULL, "exactly one");
    BAD_SET(b.labels = NULL, "no targets");
    BAD_SET(b.labels = badlab, "label 2 at row 2");
    BAD_SET((b.y = x, b.y_cols = 2, b.labels = NULL), "2 columns");
    BAD_SET((b.y = x, b.y_cols = 1), "both y and labels");
    CHECK(myelin_train(NULL, &d, &o) == MYELIN_EINVAL, "NULL net");
    CHECK(myelin_train(net, NULL, &o) == MYELIN_EINVAL, "NULL data");
    {
        myelin_dataset v = d;
        v.cols = 5;
        myelin_train_opts b = o;
        b.val = &v;
        CHECK(myelin_train(net, &d, &b) == MYELIN_EINVAL && strstr(myelin_last_error(), "validation"), "bad val");
    }
    float out[8];
    int32_t cls[8];
    double l, a;
    CHECK(myelin_predict_proba(net, &d, NULL, 1) == MYELIN_EINVAL, "predict_proba NULL out");
    CHECK(myelin_predict_proba(net, &d, out, 0) == MYELIN_EINVAL, "ldo 0");
    CHECK(myelin_predict(net, &d, NULL) == MYELIN_EINVAL, "predict NULL");
    CHECK(myelin_evaluate(net, &d, NULL, NULL) == MYELIN_EINVAL, "evaluate NULLs");
    myelin_dataset nt = d;
    nt.labels = NULL;
    CHECK(myelin_evaluate(net, &nt, &l, &a) == MYELIN_EINVAL, "evaluate without targets");
    CHECK(myelin_predict(net, &nt, cls) == 0, "predict without targets is fine");
    myelin_profile pr;
    CHECK(myelin_net_profile(net, &pr) == MYELIN_EINVAL, "no profile yet");

    /* callbacks stop training */
    int calls = 0;
    myelin_train_opts b = o;
    b.on_batch = stop_after;
    b.on_batch_user = &calls;
    CHECK(myelin_train(net, &d, &b) == MYELIN_ESTOPPED && calls == 3, "on_batch stop: calls %d", calls);
    myelin_epoch_stats last;
    memset(&last, 0, sizeof last);
    b = o;
    b.on_epoch = stop_epoch;
    b.on_epoch_user = &last;
    b.val = &d;
    CHECK(myelin_train(net, &d, &b) == MYELIN_ESTOPPED && last.epoch == 2, "on_epoch stop at %zu", last.epoch);
    CHECK(last.samples == 8 && last.epochs == 10 && isfinite(last.loss) && isfinite(last.val_loss) &&
          last.accuracy >= 0 && last.accuracy <= 1 && last.lr == o.lr, "epoch stats");
    myelin_net_free(net);
}

TEST(train_nonfinite_keeps_last_good_weights)
{
    /* linear regression driven to overflow by a huge learning rate */
    myelin_net *net;
    if (!CHECK(myelin_net_create_str("2,1", MYELIN_LOSS_MSE, 1, &net) == 0, "%s", myelin_last_error()))
        return;
    float x[8] = {1e3f, 2e3f, -1e3f, 3e3f, 2e3f, -2e3f, 1e3f, 1e3f}, y[4] = {1, 2, 3, 4};
    myelin_dataset d = {.rows = 4, .cols = 2, .x = x, .y = y, .y_cols = 1};
    myelin_train_opts o;
    myelin_train_opts_default(&o);
    o.lr = 10.0f;
    o.batch = 1;
    o.epochs = 100;
    int st = myelin_train(net, &d, &o);
    CHECK(st == MYELIN_ENUMERIC, "status %d (%s)", st, myelin_last_error());
    CHECK(strstr(myelin_last_error(), "loss") != NULL, "message: %s", myelin_last_error());
    float w[2], b;
    myelin_net_get_params(net, 0, w, &b);
    CHECK(isfinite(w[0]) && isfinite(w[1]) && isfinite(b), "weights kept finite: %g %g %g", w[0], w[1], b);
    double l, a;
    CHECK(myelin_evaluate(net, &d, &l, &a) == 0 && isfinite(l), "the kept weights give a finite loss %g", l);
    /* a NaN input stops at the first step and leaves the weights as they were */
    float w0[2], b0;
    myelin_net_get_params(net, 0, w0, &b0);
    x[3] = NAN;
    o.lr = 0.001f;
    CHECK(myelin_train(net, &d, &o) == MYELIN_ENUMERIC, "NaN input");
    myelin_net_get_params(net, 0, w, &b);
    CHECK(!memcmp(w, w0, sizeof w) && b == b0, "weights untouched");
    myelin_net_free(net);
}

TEST(train_profile_and_predict)
{
    myelin_net *net;
    if (!CHECK(myelin_net_create_str("20,16:relu,8:sigmoid,3:softmax", MYELIN_LOSS_CE, 2, &net) == 0, "%s",
               myelin_last_error()))
        return;
    enum { ROWS = 100 };
    static uint8_t x[ROWS * 20];
    static int32_t y[ROWS];
    make_set(ROWS, 20, 3, x, y, 11);
    myelin_dataset d = {.rows = ROWS, .cols = 20, .x_u8 = x, .labels = y};
    float sc[20];
    for (int j = 0; j < 20; j++)
        sc[j] = 1.0f / 255;
    myelin_net_set_input_transform(net, NULL, sc, 20);
    myelin_train_opts o;
    myelin_train_opts_default(&o);
    o.epochs = 30;
    o.batch = 16;
    o.lr = 0.3f;
    o.profile = 1;
    CHECK(myelin_train(net, &d, &o) == 0, "%s", myelin_last_error());
    myelin_profile p;
    CHECK(myelin_net_profile(net, &p) == 0 && p.n_layers == 3, "profile");
    double parts = p.shuffle + p.copy + p.loss + p.other;
    for (int l = 0; l < 3; l++) {
        const myelin_layer_profile *lp = &p.layer[l];
        parts += lp->fwd_gemm + lp->fwd_act + lp->bwd_act + lp->bwd_gemm_dw + lp->bwd_gemm_dx + lp->update;
    }
    CHECK(p.total > 0 && parts <= p.total * 1.02 + 1e-4 && parts >= p.total * 0.98 - 1e-4,
          "parts %g vs total %g", parts, p.total);
    /* exact flop counts: 30 epochs x 100 rows */
    CHECK(p.layer[0].flops_fwd == 30.0 * 100 * 2 * 20 * 16, "forward flops %g", p.layer[0].flops_fwd);
    /* backward: dW and dX products; the first layer has no input gradient, only dW */
    CHECK(p.layer[1].flops_bwd == 2 * 30.0 * 100 * 2 * 16 * 8, "layer 1 backward flops %g", p.layer[1].flops_bwd);
    CHECK(p.layer[0].flops_bwd == p.layer[0].flops_fwd, "layer 0 backward flops %g (dW only)",
          p.layer[0].flops_bwd);
    /* predict, predict_proba and evaluate agree */
    float prob[ROWS * 3];
    int32_t cls[ROWS];
    double loss, acc;
    CHECK(myelin_predict_proba(net, &d, prob, 3) == 0 && myelin_predict(net, &d, cls) == 0 &&
          myelin_evaluate(net, &d, &loss, &acc) == 0, "%s", myelin_last_error());
    double l2 = 0;
    int right = 0, sums = 1;
    for (int i = 0; i < ROWS; i++) {
        int best = prob[i * 3 + 1] > prob[i * 3] ? 1 : 0;
        best = prob[i * 3 + 2] > prob[i * 3 + best] ? 2 : best;
        sums &= fabs(prob[i * 3] + prob[i * 3 + 1] + prob[i * 3 + 2] - 1) < 1e-5;
        CHECK(best == cls[i], "row %d: predict %d, argmax %d", i, cls[i], best);
        right += cls[i] == y[i];
        l2 -= log(prob[i * 3 + y[i]]);
    }
    CHECK(sums, "probabilities sum to 1");
    CHECK(fabs(acc - right / (double)ROWS) < 1e-12, "accuracy %g vs %g", acc, right / (double)ROWS);
    CHECK(fabs(loss - l2 / ROWS) < 1e-4, "loss %g vs %g", loss, l2 / ROWS);
    CHECK(acc > 0.9, "learned the separable set: accuracy %g", acc);
    myelin_net_free(net);
}

#if defined(__x86_64__)
#include <xmmintrin.h>

/* Training sets FTZ/DAZ only while it runs, and inference over many chunks
   gives the same rows as one row at a time. */
TEST(train_fp_mode_restored_and_chunked_inference)
{
    myelin_net *net;
    if (!CHECK(myelin_net_create_str("5,7:sigmoid,3:softmax", MYELIN_LOSS_CE, 8, &net) == 0, "%s",
               myelin_last_error()))
        return;
    enum { ROWS = 600 };
    static float x[ROWS * 5], p_all[ROWS * 3], p_one[3];
    static int32_t y[ROWS];
    uint64_t s = 3;
    for (int i = 0; i < ROWS * 5; i++)
        x[i] = th_rand_uniform(&s, -2, 2);
    for (int i = 0; i < ROWS; i++)
        y[i] = x[i * 5] > 0 ? (x[i * 5 + 1] > 0 ? 2 : 1) : 0;
    myelin_dataset d = {.rows = ROWS, .cols = 5, .x = x, .labels = y};
    /* the control bits only: LLVM's libomp clears the sticky exception
       flags (0x3f) when a parallel region ends, GCC's libgomp leaves them */
    const unsigned flags = 0x3f, before = _mm_getcsr() & ~flags;
    myelin_train_opts o;
    myelin_train_opts_default(&o);
    o.epochs = 3;
    CHECK(myelin_train(net, &d, &o) == 0, "%s", myelin_last_error());
    CHECK((_mm_getcsr() & ~flags) == before, "MXCSR %#x after training, %#x before", _mm_getcsr(), before);
    CHECK(myelin_predict_proba(net, &d, p_all, 3) == 0, "%s", myelin_last_error());
    CHECK((_mm_getcsr() & ~flags) == before, "MXCSR restored after inference");
    double worst = 0;
    for (int i = 0; i < ROWS; i += 37) {
        myelin_dataset one = {.rows = 1, .cols = 5, .x = x + i * 5};
        myelin_predict_proba(net, &one, p_one, 3);
        for (int j = 0; j < 3; j++)
            worst = fmax(worst, fabs(p_one[j] - p_all[i * 3 + j]));
    }
    CHECK(worst < 1e-6, "row %s: one at a time differs by %g", "sample", worst);
    myelin_net_free(net);
}
#endif

/* Dropout and DropConnect are training-only: prediction with them equals
   prediction of the same weights without them. */
TEST(train_dropout_off_at_prediction)
{
    myelin_net *a, *b;
    if (!CHECK(myelin_net_create_str("6,9:relu:dropout=0.5:dropconnect=0.3,4:tanh:dropout=0.4,2:softmax",
                                     MYELIN_LOSS_CE, 4, &a) == 0 &&
                   myelin_net_create_str("6,9:relu,4:tanh,2:softmax", MYELIN_LOSS_CE, 5, &b) == 0,
               "%s", myelin_last_error()))
        return;
    for (size_t l = 0; l < 3; l++) {
        float w[64], bias[9];
        myelin_net_get_params(a, l, w, bias);
        myelin_net_set_params(b, l, w, bias);
    }
    float x[40 * 6], pa[80], pb[80];
    uint64_t s = 17;
    for (int i = 0; i < 40 * 6; i++)
        x[i] = th_rand_uniform(&s, -1, 1);
    myelin_dataset d = {.rows = 40, .cols = 6, .x = x};
    CHECK(myelin_predict_proba(a, &d, pa, 2) == 0 && myelin_predict_proba(b, &d, pb, 2) == 0, "%s",
          myelin_last_error());
    CHECK(!memcmp(pa, pb, sizeof pa), "prediction applies dropout or DropConnect");
    myelin_net_free(a);
    myelin_net_free(b);
}

/* The weights kept after a non-finite loss are exactly those of the last step
   with a finite loss: the same bytes as a run stopped by its callback right
   there. Divergence is slow here (a learning rate just past stability), so
   the run crosses epochs (reshuffled) and several checkpoints first. */
static int count_batches(size_t done, size_t total, double loss, void *user)
{
    size_t *c = user;
    return ++c[0] == c[1];
}

TEST(train_nonfinite_rewinds_exactly)
{
    const myelin_optimizer opts[] = {MYELIN_OPT_MOMENTUM, MYELIN_OPT_SGD};
    for (int k = 0; k < 2; k++) {
        float x[8] = {1.0f, 0.5f, -0.8f, 1.2f, 0.3f, -1.1f, 0.9f, 0.9f}, y[4] = {1, 2, 3, 4};
        myelin_dataset d = {.rows = 4, .cols = 2, .x = x, .y = y, .y_cols = 1};
        myelin_train_opts o;
        myelin_train_opts_default(&o);
        o.opt = opts[k];
        o.lr = k == 0 ? 0.5f : 1.6f;
        o.batch = 1;
        o.epochs = 1000;
        o.seed = 6;
        size_t cnt[2] = {0, 0};
        o.on_batch = count_batches;
        o.on_batch_user = cnt;
        myelin_net *a, *b;
        myelin_net_create_str("2,1", MYELIN_LOSS_MSE, 1, &a);
        myelin_net_create_str("2,1", MYELIN_LOSS_MSE, 1, &b);
        int st = myelin_train(a, &d, &o);
        const size_t steps = cnt[0]; /* steps whose loss was finite and that updated */
        CHECK(st == MYELIN_ENUMERIC && steps > 40, "opt %d: status %d after %zu steps (want a slow divergence)",
              (int)opts[k], st, steps);
        /* stop b after steps - 1 updates: the state in which the last finite loss was measured */
        cnt[0] = 0;
        cnt[1] = steps - 1;
        st = myelin_train(b, &d, &o);
        CHECK(st == MYELIN_ESTOPPED, "opt %d: the callback stop: %d", (int)opts[k], st);
        float wa[3], wb[3];
        myelin_net_get_params(a, 0, wa, wa + 2);
        myelin_net_get_params(b, 0, wb, wb + 2);
        CHECK(!memcmp(wa, wb, sizeof wa), "opt %d: kept %g %g %g, last good %g %g %g", (int)opts[k], wa[0], wa[1],
              wa[2], wb[0], wb[1], wb[2]);
        myelin_net_free(a);
        myelin_net_free(b);
    }
}

static int record_threads(const myelin_epoch_stats *s, void *user)
{
    int *seen = user;
    seen[0] = s->threads;
    seen[1] = myelin_num_threads();
    return 0;
}

/* The engine's per-thread cap on the team size (small products of a training
   step run on one thread): lowers, never raises, and restores. */
TEST(train_thread_cap_restores)
{
    int before = myelin_num_threads();
    myelin_set_num_threads(3);
    int old = myl_cap_threads(1);
    CHECK(old == 0, "no cap was set, got %d", old);
    CHECK(myl_threads() == 1, "capped to 1, got %d", myl_threads());
    myl_cap_threads(8);
    CHECK(myl_threads() == 3, "a cap above the count must not raise it, got %d", myl_threads());
    myl_cap_threads(old);
    CHECK(myl_threads() == 3, "cap restored: 3 threads, got %d", myl_threads());
    /* a training run this small goes to one thread, and gives the others back */
    float x[8] = {0, 0, 0, 1, 1, 0, 1, 1}, y[4] = {0, 1, 1, 0};
    myelin_dataset d = {.rows = 4, .cols = 2, .x = x, .y = y, .y_cols = 1};
    myelin_net *net;
    CHECK(myelin_net_create_str("2,3:relu,1:sigmoid", MYELIN_LOSS_BCE, 1, &net) == 0, "%s", myelin_last_error());
    myelin_train_opts o;
    myelin_train_opts_default(&o);
    o.epochs = 2;
    int seen[2] = {0, 0};
    o.on_epoch = record_threads;
    o.on_epoch_user = seen;
    CHECK(myelin_train(net, &d, &o) == 0, "%s", myelin_last_error());
    CHECK(seen[0] == 1 && seen[1] == 3, "epoch stats: %d threads used, myelin_num_threads() %d in the callback",
          seen[0], seen[1]);
    CHECK(myl_threads() == 3, "after training: 3 threads, got %d", myl_threads());
    myelin_net_free(net);
    myelin_set_num_threads(before);
}

/* The fused softmax + cross-entropy of a batch on non-finite logits: NaN or
   +inf anywhere in a row makes the loss NaN (training stops on it), a logit
   of -inf on a class the target gives 0 costs nothing. */
TEST_ISA(train_output_loss_softmax_ce_nonfinite)
{
    CHECK(myelin_set_isa(isa) == 0, "%s", myelin_last_error());
    const myl_kernels *k;
    CHECK(myl_kernels_get(&k) == 0, "%s", myelin_last_error());
    myelin_net *net;
    CHECK(myelin_net_create_str("4,10:softmax", MYELIN_LOSS_CE, 1, &net) == 0, "%s", myelin_last_error());
    enum { R = 19, N = 10 };
    const float bad[3] = {NAN, INFINITY, -INFINITY};
    for (int b = 0; b < 3; b++)
        for (size_t row = 0; row < R; row += 6) {
            float z[R * N], t[R * N], p[R * N], g[R * N];
            for (size_t i = 0; i < R * N; i++) {
                z[i] = (float)((i * 37) % 11) - 5.0f;
                t[i] = i % N == (i / N) % N;
            }
            const size_t col = (row + 3) % N == row % N ? (row + 4) % N : (row + 3) % N; /* not the target */
            z[row * N + col] = bad[b];
            double ls = 0.0;
            size_t right = 0;
            CHECK(myl_output_loss(net, k, R, z, p, t, &ls, &right, g) == 0, "%s", myelin_last_error());
            if (b < 2)
                CHECK(isnan(ls), "logit %g in row %zu: loss %g, want NaN", (double)bad[b], row, ls);
            else
                CHECK(isfinite(ls) && ls > 0.0, "logit -inf off the target in row %zu: loss %g, want finite", row, ls);
        }
    myelin_net_free(net);
    myelin_set_isa("auto");
}

/* The fused softmax + cross-entropy of a batch (engine/batch.c) against double:
   loss sum, classes right, dL/dz = (p - t) / rows; rows whose target class
   underflows to p = 0 still give the finite -log-softmax from the logits. */
TEST_ISA(train_output_loss_softmax_ce)
{
    CHECK(myelin_set_isa(isa) == 0, "%s", myelin_last_error());
    const myl_kernels *k;
    CHECK(myl_kernels_get(&k) == 0, "%s", myelin_last_error());
    const size_t widths[] = {2, 3, 10, 16, 17};
    uint64_t rs = 41;
    for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++) {
        const size_t n = widths[wi], rows = 37;
        char desc[32];
        snprintf(desc, sizeof desc, "4,%zu:softmax", n);
        myelin_net *net;
        CHECK(myelin_net_create_str(desc, MYELIN_LOSS_CE, 1, &net) == 0, "%s", myelin_last_error());
        float z[37 * 17], p[37 * 17], t[37 * 17], g[37 * 17];
        for (size_t i = 0; i < rows; i++) {
            const int soft = i % 3 == 1, far = i % 5 == 2; /* soft targets; a target far below the rest */
            const size_t y = (size_t)(th_rand_u64(&rs) % n);
            double tot = 0.0;
            for (size_t j = 0; j < n; j++) {
                z[i * n + j] = th_rand_uniform(&rs, -4.0f, 4.0f);
                t[i * n + j] = soft ? th_rand_uniform(&rs, 0.0f, 1.0f) : (j == y);
                tot += t[i * n + j];
            }
            if (soft)
                for (size_t j = 0; j < n; j++)
                    t[i * n + j] = (float)(t[i * n + j] / tot);
            if (far)
                z[i * n + y] -= 200.0f;
        }
        double ls = -1.0;
        size_t right = 99;
        CHECK(myl_output_loss(net, k, rows, z, p, t, &ls, &right, g) == 0, "%s", myelin_last_error());
        double want = 0.0, worst_g = 0.0;
        size_t want_right = 0;
        for (size_t i = 0; i < rows; i++) {
            double mx = z[i * n];
            for (size_t j = 1; j < n; j++)
                mx = z[i * n + j] > mx ? z[i * n + j] : mx;
            double se = 0.0;
            for (size_t j = 0; j < n; j++)
                se += exp((double)z[i * n + j] - mx);
            size_t bp = 0, bt = 0;
            for (size_t j = 0; j < n; j++) {
                const double lp = (double)z[i * n + j] - mx - log(se), pj = exp(lp);
                want -= (double)t[i * n + j] * lp;
                const double dg = fabs((double)g[i * n + j] - (pj - t[i * n + j]) / (double)rows);
                worst_g = dg > worst_g ? dg : worst_g;
                bp = p[i * n + j] > p[i * n + bp] ? j : bp;
                bt = t[i * n + j] > t[i * n + bt] ? j : bt;
            }
            want_right += bp == bt;
        }
        CHECK(isfinite(ls) && fabs(ls - want) <= 1e-5 * fabs(want) + 1e-4, "n %zu: loss sum %.9g, double %.9g", n, ls,
              want);
        CHECK(worst_g < 1e-7, "n %zu: gradient off by %g", n, worst_g);
        CHECK(right == want_right, "n %zu: %zu right, want %zu", n, right, want_right);
        myelin_net_free(net);
    }
    myelin_set_isa("auto");
}

/*
 * training.c - training throughput in samples/s: Myelin (myelin_train, one
 * epoch over a random data set of Fashion-MNIST's shape per run: 784 bytes
 * per image, 10 classes, shuffle included) against the naive-loop trainer of
 * the same net. ReLU hidden layers, softmax cross-entropy, plain SGD.
 * Names: train/<impl>/t<threads>/<net>_b<batch>, net "784-128-64-10".
 * The GFLOPS counter counts the products executed: forward, dW and dX (no dX
 * for the first layer).
 */
#include <stdio.h>
#include <string.h>
#include "bench.h"
#include "myelin.h"
#include "naive_trainer.h"

enum { P_BATCH, P_ROWS, P_NET };

static const struct { const char *name, *desc; int w[4]; } nets[] = {
    { "784-128-64-10", "784,128:relu,64:relu,10:softmax", { 784, 128, 64, 10 } },
    { "784-512-256-10", "784,512:relu,256:relu,10:softmax", { 784, 512, 256, 10 } },
};

typedef struct {
    const mb_case *c;
    size_t rows;
    uint8_t *x;
    int32_t *labels;
    myelin_net *net;
    mb_naive_net *naive;
    myelin_dataset data;
    myelin_train_opts opts;
    uint64_t epoch;
    int status;
    double loss;
} train_ctx;

static double mb_train_flops_per_sample(const int *w, int layers)
{
    double f = 0;
    for (int l = 0; l < layers; l++) {
        double mk = (double)w[l] * w[l + 1];
        f += 2 * mk /* forward */ + 2 * mk /* dW */ + (l > 0 ? 2 * mk : 0) /* dX */;
    }
    return f;
}

static void train_run(void *p)
{
    train_ctx *t = p;
    t->epoch++;
    if (t->naive) {
        t->loss = mb_naive_train_epoch(t->naive, t->x, t->labels, t->rows, 0.01f, t->epoch);
        return;
    }
    t->opts.seed = t->epoch;
    int st = myelin_train(t->net, &t->data, &t->opts);
    if (st && !t->status) t->status = st;
}

static void train_teardown(void *p)
{
    train_ctx *t = p;
    if (!t) return;
    myelin_net_free(t->net);
    mb_naive_free(t->naive);
    mb_free(t->x); mb_free(t->labels); mb_free(t);
}

static int train_verify(void *p, char *err, size_t errlen)
{
    train_ctx *t = p;
    if (t->status) {
        snprintf(err, errlen, "myelin_train: %s (%s)", myelin_strerror(t->status), myelin_last_error());
        return 1;
    }
    if (t->naive && !(t->loss == t->loss && t->loss < 100)) {
        snprintf(err, errlen, "naive trainer: loss %g", t->loss);
        return 1;
    }
    return 0;
}

static int train_setup(const mb_case *c, void **ctx, char *err, size_t errlen)
{
    train_ctx *t = mb_alloc(sizeof *t);
    if (!t) { snprintf(err, errlen, "out of memory"); return 1; }
    *ctx = t;
    t->c = c;
    t->rows = (size_t)c->p[P_ROWS];
    int ni = (int)c->p[P_NET], batch = (int)c->p[P_BATCH];
    t->x = mb_alloc(t->rows * 784);
    t->labels = mb_alloc(t->rows * sizeof(int32_t));
    if (!t->x || !t->labels) goto oom;
    uint64_t s = 99;
    for (size_t i = 0; i < t->rows * 784; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        t->x[i] = (uint8_t)(s >> 56);
    }
    for (size_t i = 0; i < t->rows; i++) t->labels[i] = (int32_t)(i * 7 % 10);
    if (!strcmp(c->impl, "naive")) {
        t->naive = mb_naive_create(nets[ni].w, 3, batch, 1);
        if (!t->naive) goto oom;
    } else {
        if (mb_myelin_setup(NULL, c->threads, err, errlen)) goto fail;
        int st = myelin_net_create_str(nets[ni].desc, MYELIN_LOSS_SOFTMAX_CE, 1, &t->net);
        float scale[784];
        for (int i = 0; i < 784; i++) scale[i] = 1.0f / 255.0f;
        if (!st) st = myelin_net_set_input_transform(t->net, NULL, scale, 784);
        if (st) {
            snprintf(err, errlen, "myelin: %s (%s)", myelin_strerror(st), myelin_last_error());
            goto fail;
        }
        memset(&t->data, 0, sizeof t->data);
        t->data.rows = t->rows; t->data.cols = 784; t->data.x_u8 = t->x; t->data.labels = t->labels;
        myelin_train_opts_default(&t->opts);
        t->opts.opt = MYELIN_OPT_SGD;
        t->opts.lr = 0.01f;
        t->opts.epochs = 1;
        t->opts.batch = (size_t)batch;
        t->opts.shuffle = 1;
    }
    train_run(t);
    if (train_verify(t, err, errlen)) goto fail;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    train_teardown(t);
    *ctx = NULL;
    return 1;
}

static void add_one(mb_list *l, const mb_config *cfg, const char *impl, int net, long batch, long rows)
{
    mb_case *c = mb_add(l);
    if (!c) return;
    snprintf(c->name, sizeof c->name, "train/%s/t%d/%s_b%ld", impl, cfg->threads, nets[net].name, batch);
    snprintf(c->label, sizeof c->label, "%ld samples per run", rows);
    c->setup = train_setup; c->run = train_run; c->teardown = train_teardown; c->verify = train_verify;
    c->impl = impl; c->threads = cfg->threads;
    c->p[P_BATCH] = batch; c->p[P_ROWS] = rows; c->p[P_NET] = net;
    c->items = (double)rows;
    c->flops = (double)rows * mb_train_flops_per_sample(nets[net].w, 3);
}

void mb_add_training(mb_list *l, const mb_config *cfg)
{
    static const struct { int net; long batch; int quick; } runs[] = {
        { 0, 32, 0 }, { 0, 128, 1 }, { 0, 256, 0 }, { 1, 128, 1 },
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        if (cfg->level == MB_QUICK && !runs[i].quick) continue;
        if (cfg->level == MB_SMOKE && i > 0) continue;
        long big = runs[i].net == 1;
        long rows = cfg->level == MB_SMOKE ? 64 : big ? 4096 : 8192;
        add_one(l, cfg, "myelin", runs[i].net, runs[i].batch, rows);
        /* The naive trainer manages ~1 GFLOP/s: fewer samples per run, one thread. */
        if (cfg->threads == 1)
            add_one(l, cfg, "naive", runs[i].net, runs[i].batch,
                    cfg->level == MB_SMOKE ? 64 : big ? 256 : 512);
    }
}

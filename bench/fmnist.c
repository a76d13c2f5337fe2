/*
 * fmnist.c - one real Fashion-MNIST training run end to end with Myelin, for
 * the benchmark driver (the same run as bench/py_mlp.py does for PyTorch and
 * NumPy): the IDX .gz files read with myelin_read_idx, inputs scaled by
 * 1/255 (the net's input transform), Glorot-uniform weights, zero biases,
 * ReLU hidden layers, softmax cross-entropy, plain SGD, shuffled minibatches.
 * Prints one JSON object: seconds of every epoch, test accuracy, peak RSS.
 *
 *   myelin-fmnist [--net 784-128-64-10] [--batch 128] [--epochs 5] [--lr 0.05]
 *                 [--threads 1] [--data /usr/share/datasets/fashion-mnist] [--seed 1]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "myelin.h"

#define MAX_EPOCHS 100

typedef struct {
    double seconds[MAX_EPOCHS], loss[MAX_EPOCHS];
    size_t n;
} epochs_log;

static int on_epoch(const myelin_epoch_stats *s, void *user)
{
    epochs_log *log = user;
    if (log->n < MAX_EPOCHS) {
        log->seconds[log->n] = s->seconds;
        log->loss[log->n] = s->loss;
        log->n++;
    }
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int fail(const char *what, int st)
{
    fprintf(stderr, "myelin-fmnist: %s: %s (%s)\n", what, myelin_strerror(st), myelin_last_error());
    return 1;
}

/* This process's own peak RSS (VmHWM). Not getrusage's ru_maxrss: that one
   keeps the high-water mark of the process that exec'd us (bench/run.py has
   torch loaded, ~226 MB), and would charge it to Myelin. */
static double peak_rss_mb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %lf", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb / 1024.0;
}

int main(int argc, char **argv)
{
    const char *net_name = "784-128-64-10", *dir = "/usr/share/datasets/fashion-mnist";
    size_t batch = 128, epochs = 5;
    double lr = 0.05;
    int threads = 1;
    unsigned long seed = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--net")) net_name = argv[i + 1];
        else if (!strcmp(argv[i], "--batch")) batch = strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--epochs")) epochs = strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--lr")) lr = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--data")) dir = argv[i + 1];
        else if (!strcmp(argv[i], "--seed")) seed = strtoul(argv[i + 1], NULL, 10);
        else { fprintf(stderr, "myelin-fmnist: unknown option %s\n", argv[i]); return 2; }
    }
    if (epochs < 1 || epochs > MAX_EPOCHS || batch < 1) {
        fprintf(stderr, "myelin-fmnist: bad --epochs or --batch\n");
        return 2;
    }
    /* "784-128-64-10" -> "784,128:relu,64:relu,10:softmax" */
    char desc[256] = "", copy[128];
    snprintf(copy, sizeof copy, "%s", net_name);
    int layer = 0;
    for (char *tok = strtok(copy, "-"), *next; tok; tok = next, layer++) {
        next = strtok(NULL, "-");
        size_t len = strlen(desc);
        snprintf(desc + len, sizeof desc - len, "%s%s%s", layer ? "," : "", tok,
                 layer == 0 ? "" : next ? ":relu" : ":softmax");
    }

    char ti[512], tl[512], vi[512], vl[512];
    snprintf(ti, sizeof ti, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(tl, sizeof tl, "%s/train-labels-idx1-ubyte.gz", dir);
    snprintf(vi, sizeof vi, "%s/t10k-images-idx3-ubyte.gz", dir);
    snprintf(vl, sizeof vl, "%s/t10k-labels-idx1-ubyte.gz", dir);
    int st = myelin_set_num_threads(threads);
    if (st) return fail("threads", st);
    double t0 = now();
    myelin_data train = { 0 }, test = { 0 };
    if ((st = myelin_read_idx(ti, tl, &train))) return fail(ti, st);
    if ((st = myelin_read_idx(vi, vl, &test))) return fail(vi, st);
    double t_read = now() - t0;

    myelin_net *net = NULL;
    if ((st = myelin_net_create_str(desc, MYELIN_LOSS_SOFTMAX_CE, seed, &net))) return fail(desc, st);
    size_t in = myelin_net_inputs(net);
    float *scale = malloc(in * sizeof *scale);
    if (!scale) return fail("memory", MYELIN_ENOMEM);
    for (size_t i = 0; i < in; i++) scale[i] = 1.0f / 255.0f;
    if ((st = myelin_net_set_input_transform(net, NULL, scale, in))) return fail("input transform", st);
    free(scale);

    epochs_log log = { { 0 }, { 0 }, 0 };
    myelin_train_opts o;
    myelin_train_opts_default(&o);
    o.opt = MYELIN_OPT_SGD;
    o.lr = (float)lr;
    o.epochs = epochs;
    o.batch = batch;
    o.shuffle = 1;
    o.seed = seed;
    o.on_epoch = on_epoch;
    o.on_epoch_user = &log;
    myelin_dataset tv = myelin_data_view(&train), sv = myelin_data_view(&test);
    double t1 = now();
    if ((st = myelin_train(net, &tv, &o))) return fail("train", st);
    double t_train = now() - t1;
    double loss = 0, acc = 0;
    if ((st = myelin_evaluate(net, &sv, &loss, &acc))) return fail("evaluate", st);

    printf("{\"impl\": \"myelin\", \"isa\": \"%s\", \"net\": \"%s\", \"batch\": %zu, \"threads\": %d, "
           "\"lr\": %g, \"epochs\": %zu, \"train_rows\": %zu, \"read_seconds\": %.4f, "
           "\"train_seconds\": %.4f, \"epoch_seconds\": [",
           myelin_isa(), net_name, batch, myelin_num_threads(), lr, epochs, train.rows, t_read, t_train);
    for (size_t i = 0; i < log.n; i++) printf("%s%.5f", i ? ", " : "", log.seconds[i]);
    printf("], \"epoch_loss\": [");
    for (size_t i = 0; i < log.n; i++) printf("%s%.5f", i ? ", " : "", log.loss[i]);
    printf("], \"test_loss\": %.5f, \"test_accuracy\": %.5f, \"peak_rss_mb\": %.1f}\n", loss, acc,
           peak_rss_mb());
    myelin_net_free(net);
    myelin_data_free(&train);
    myelin_data_free(&test);
    return 0;
}

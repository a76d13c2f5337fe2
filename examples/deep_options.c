/* A deep network ([75, 50, 25] hidden, ReLU) on a problem of its own making:
   three interleaved spirals in the plane, 3 classes. It is trained with
   momentum, the notebooks' per-layer learning-rate decay, dropout and Xavier
   initialisation, then again with each option switched off in turn, to show
   what each one changes. Goal: the full recipe reaches 90% validation
   accuracy, and every option changes the trained weights. */
#include <math.h>
#include <myelin.h>
#include <stdio.h>
#include <string.h>

enum { PER_CLASS = 200, CLASSES = 3, ROWS = PER_CLASS * CLASSES };

static uint64_t rng = 12345;
static double unit(void) /* xorshift64*: the example's own data noise */
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (double)((rng * 2685821657736338717ull) >> 11) * 0x1.0p-53;
}

static void spirals(float *x, int32_t *labels)
{
    for (int c = 0; c < CLASSES; c++)
        for (int i = 0; i < PER_CLASS; i++) {
            double r = (double)i / PER_CLASS, t = c * 4.0 + 4.0 * r + 0.2 * (unit() - 0.5);
            x[2 * (c * PER_CLASS + i)] = (float)(r * sin(t));
            x[2 * (c * PER_CLASS + i) + 1] = (float)(r * cos(t));
            labels[c * PER_CLASS + i] = c;
        }
}

typedef struct {
    const char *name;
    int momentum, layer_decay, dropout, xavier;
} recipe;

static int run(const recipe *rc, const myelin_dataset *train, const myelin_dataset *val, double *acc, float *w0)
{
    const size_t widths[4] = {75, 50, 25, CLASSES};
    myelin_layer_spec layers[4];
    for (int l = 0; l < 4; l++) {
        layers[l] = myelin_layer_default(widths[l], l < 3 ? MYELIN_ACT_RELU : MYELIN_ACT_SOFTMAX);
        /* Xavier (Glorot normal) or a plain small normal N(0, 0.1^2) */
        layers[l].init = rc->xavier ? MYELIN_INIT_GLOROT_NORMAL : MYELIN_INIT_NORMAL;
        layers[l].init_scale = 0.1f;
        if (rc->dropout && l > 0)
            layers[l].dropout = 0.1f;
    }
    const myelin_net_spec spec = {2, 4, layers, MYELIN_LOSS_CE};
    myelin_net *net;
    if (myelin_net_create(&spec, 99, &net))
        return 1;
    myelin_train_opts o;
    myelin_train_opts_default(&o);
    o.opt = rc->momentum ? MYELIN_OPT_MOMENTUM : MYELIN_OPT_SGD;
    o.momentum = 0.9f;
    o.lr = rc->momentum ? 0.02f : 0.2f;
    o.layer_decay = rc->layer_decay ? 1.5f : 1.0f; /* layer i: lr / 1.5^i */
    o.epochs = 120;
    o.batch = 32;
    o.seed = 5;
    double loss;
    int st = myelin_train(net, train, &o);
    if (!st)
        st = myelin_evaluate(net, val, &loss, acc);
    if (!st)
        st = myelin_net_get_params(net, 0, w0, NULL);
    if (st)
        fprintf(stderr, "deep_options (%s): %s\n", rc->name, myelin_last_error());
    else
        printf("%-22s validation loss %.4f accuracy %.3f\n", rc->name, loss, *acc);
    myelin_net_free(net);
    return st != 0;
}

int main(void)
{
    static float x[ROWS * 2], vx[ROWS * 2], w[5][2 * 75];
    static int32_t y[ROWS], vy[ROWS];
    spirals(x, y);
    spirals(vx, vy);
    const myelin_dataset train = {.rows = ROWS, .cols = 2, .x = x, .labels = y};
    const myelin_dataset val = {.rows = ROWS, .cols = 2, .x = vx, .labels = vy};
    const recipe recipes[5] = {
        {"all options", 1, 1, 1, 1},
        {"without momentum", 0, 1, 1, 1},
        {"without layer decay", 1, 0, 1, 1},
        {"without dropout", 1, 1, 0, 1},
        {"without Xavier init", 1, 1, 1, 0},
    };
    double acc[5];
    int fails = 0;
    for (int i = 0; i < 5; i++)
        fails += run(&recipes[i], &train, &val, &acc[i], w[i]);
    if (fails)
        return 1;
    int ok = acc[0] >= 0.9;
    for (int i = 1; i < 5; i++)
        if (!memcmp(w[0], w[i], sizeof w[0])) {
            printf("deep_options: %s left the weights unchanged\n", recipes[i].name);
            ok = 0;
        }
    printf("deep_options: full recipe %.3f %s; each option changes the trained weights%s\n", acc[0],
           acc[0] >= 0.9 ? "(goal met)" : "(goal: >= 0.9)", ok ? "" : " - NOT all");
    return ok ? 0 : 1;
}

/* Mixed-precision training (opts.precision = MYELIN_PRECISION_BF16): the
   tiny sets reach their goals, the weights are the same bytes on any thread
   count and not FP32's, a step's forward product is the BF16 product, bad
   values are refused. */
#include "../harness.h"
#include "bf16.h"
#include "myelin.h"
#include "network.h"
#include "train_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Trains a net on a built-in set as tests/phase-cli.sh does; returns the
   accuracy on that set (-1 on failure). */
static double tiny(const char *set, const char *desc, myelin_loss loss, float lr, size_t batch, size_t epochs)
{
    myelin_data d;
    myelin_net *net;
    if (!CHECK(!myelin_data_builtin(set, &d), "%s: %s", set, myelin_last_error()))
        return -1.0;
    double acc = -1.0, l = 0.0;
    if (CHECK(!myelin_net_create_str(desc, loss, 1, &net), "%s", myelin_last_error())) {
        myelin_train_opts o;
        myelin_train_opts_default(&o);
        o.lr = lr;
        o.batch = batch;
        o.epochs = epochs;
        o.precision = MYELIN_PRECISION_BF16;
        const myelin_dataset v = myelin_data_view(&d);
        if (CHECK(!myelin_train(net, &v, &o), "%s: %s", set, myelin_last_error()))
            myelin_evaluate(net, &v, &l, &acc);
        myelin_net_free(net);
    }
    myelin_data_free(&d);
    return acc;
}

TEST(train_bf16_tiny_sets_reach_their_goals)
{
    double a = tiny("xor", "2,8:tanh,1:sigmoid", MYELIN_LOSS_BCE, 0.5f, 4, 500);
    CHECK(a == 1.0, "xor in BF16: accuracy %g, want 1", a);
    a = tiny("table3", "3,4:sigmoid,1:sigmoid", MYELIN_LOSS_MSE, 2.0f, 8, 3000);
    CHECK(a == 1.0, "table3 in BF16: accuracy %g, want 1", a);
}

/* Trains desc for `epochs` on d at `threads` threads in precision p;
   returns all the parameters (caller frees), *loss the data loss after. */
static float *train_params(const char *desc, const myelin_dataset *d, int threads, myelin_precision p,
                           size_t epochs, size_t *count, double *loss)
{
    myelin_net *net;
    if (!CHECK(!myelin_net_create_str(desc, MYELIN_LOSS_CE, 5, &net), "%s", myelin_last_error()))
        return NULL;
    float scale[784];
    for (size_t j = 0; j < d->cols; j++)
        scale[j] = 1.0f / 255.0f; /* bytes to [0, 1], as the CLI's default */
    myelin_net_set_input_transform(net, NULL, scale, d->cols);
    myelin_train_opts o;
    myelin_train_opts_default(&o);
    o.lr = 0.05f;
    o.batch = 128;
    o.epochs = epochs;
    o.l2 = 1e-4f;
    o.seed = 9;
    o.precision = p;
    const int before = myelin_num_threads();
    myelin_set_num_threads(threads);
    const int st = myelin_train(net, d, &o);
    myelin_set_num_threads(before);
    float *out = NULL;
    if (CHECK(st == MYELIN_OK, "%s, %d threads: %s", desc, threads, myelin_last_error())) {
        size_t n = 0;
        for (size_t l = 0; l < net->n_layers; l++)
            n += net->fan_in[l] * net->spec[l].units + net->spec[l].units;
        out = malloc(n * sizeof(float));
        float *q = out;
        for (size_t l = 0; l < net->n_layers; l++) {
            myelin_net_get_params(net, l, q, q + net->fan_in[l] * net->spec[l].units);
            q += net->fan_in[l] * net->spec[l].units + net->spec[l].units;
        }
        *count = n;
        double acc;
        myelin_evaluate(net, d, loss, &acc);
    }
    myelin_net_free(net);
    return out;
}

/* BF16 on 1, 2 and 3 threads: the same bytes (every table the nets take);
   FP32: other bytes (BF16 was used), a loss close to BF16's. */
static void same_bytes(const char *desc, const myelin_dataset *d, size_t epochs)
{
    size_t n32 = 0;
    double l32 = NAN;
    float *p32 = train_params(desc, d, 1, MYELIN_PRECISION_FP32, epochs, &n32, &l32);
    float *ref = NULL;
    size_t nref = 0;
    double lref = NAN;
    for (int t = 1; t <= 3; t++) {
        size_t n = 0;
        double l = NAN;
        float *p = train_params(desc, d, t, MYELIN_PRECISION_BF16, epochs, &n, &l);
        if (!p)
            continue;
        if (!ref) {
            ref = p;
            nref = n;
            lref = l;
            continue;
        }
        CHECK(n == nref && !memcmp(p, ref, n * sizeof(float)), "%s: BF16 on %d threads, other bytes than on 1",
              desc, t);
        free(p);
    }
    if (ref && p32) {
        CHECK(memcmp(p32, ref, nref * sizeof(float)), "%s: BF16 weights are FP32's: BF16 was not used", desc);
        CHECK(fabs(lref - l32) <= 0.05 * l32 + 0.01, "%s: loss BF16 %g, FP32 %g", desc, lref, l32);
        th_note("%s: loss BF16 %g, FP32 %g", desc, lref, l32);
    }
    free(ref);
    free(p32);
}

TEST(train_bf16_same_bytes_any_threads_not_fp32)
{
    enum { ROWS = 400, IN = 300, CLASSES = 10 };
    static uint8_t x[ROWS * IN];
    static int32_t y[ROWS];
    uint64_t s = 21;
    for (size_t i = 0; i < ROWS; i++) {
        y[i] = (int32_t)(th_rand_u64(&s) % CLASSES);
        for (size_t j = 0; j < IN; j++)
            x[i * IN + j] = (uint8_t)((th_rand_u64(&s) & 127) + (j % CLASSES == (size_t)y[i] ? 128 : 0));
    }
    const myelin_dataset d = {.rows = ROWS, .cols = IN, .x_u8 = x, .labels = y};
    /* layer 0 in column blocks and layer 1 in two parts; the pair table;
       dropout; momentum (no fused update) */
    same_bytes("300,64:relu,32:tanh,10:softmax", &d, 2);
    same_bytes("300,64:relu,400:tanh,10:softmax", &d, 2);
    same_bytes("300,64:relu,32:sigmoid:dropout=0.2,10:softmax", &d, 2);
}

TEST(train_bf16_fashion_mnist_same_bytes)
{
    const char *img = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
    const char *lab = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
    myelin_data d;
    if (th_quick() || myelin_read_idx(img, lab, &d) != MYELIN_OK) {
        th_skip(th_quick() ? "quick run" : "fashion-mnist not installed");
        return;
    }
    myelin_dataset v = myelin_data_view(&d);
    v.rows = 2048; /* 16 steps */
    same_bytes("784,128:relu,64:relu,10:softmax", &v, 1);
    same_bytes("784,512:relu,256:relu,10:softmax", &v, 1);
    myelin_data_free(&d);
}

/* A step's layer-0 forward product (myl_forward_layers, as the tables run
   it) against a double-precision product of the BF16-rounded operands: the
   products are exact in FP32, so only the FP32 sums' rounding is left. */
TEST(train_bf16_forward_is_the_bf16_product)
{
    enum { R = 37, FIN = 70, N = 45 };
    const myl_kernels *k;
    myelin_net *net;
    if (!CHECK(!myl_kernels_get(&k), "%s", myelin_last_error()) ||
        !CHECK(!myelin_net_create_str("70,45:tanh,10:softmax", MYELIN_LOSS_CE, 3, &net), "%s", myelin_last_error()))
        return;
    train_ws ws;
    if (CHECK(!myl_ws_alloc(&ws, net, k, R, 0, 1, NULL, 0), "%s", myelin_last_error())) {
        ws.bf16 = 1;
        uint64_t s = 4;
        for (size_t i = 0; i < (size_t)R * FIN; i++)
            ws.x0[i] = (float)((double)(th_rand_u64(&s) % 20001) / 10000.0 - 1.0) * 1.37f;
        static float w[FIN * N], b[N];
        myelin_net_get_params(net, 0, w, b);
        for (size_t j = 0; j < N; j++)
            b[j] = 0.01f * (float)j - 0.2f;
        myelin_net_set_params(net, 0, w, b);
        if (CHECK(!myl_forward_layers(&ws, R, 1, 0, 1), "%s", myelin_last_error())) {
            double worst = 0.0;
            int off = 0;
            for (size_t i = 0; i < R; i++)
                for (size_t j = 0; j < N; j++) {
                    double acc = 0.0, mag = 0.0;
                    for (size_t p = 0; p < FIN; p++) {
                        const double t = (double)myl_bf16_to_f32(myl_bf16_round(ws.x0[i * FIN + p])) *
                                         (double)myl_bf16_to_f32(myl_bf16_round(w[p * N + j]));
                        acc += t;
                        mag += fabs(t);
                    }
                    const double want = tanh(acc + b[j]), got = ws.y[0][i * N + j];
                    /* FIN FP32 additions, the bias, tanh's few ulps */
                    const double bound = (FIN + 2) * 0x1p-24 * (mag + fabs(b[j])) + 8 * 0x1p-24;
                    if (fabs(got - want) > bound)
                        off++;
                    if (fabs(got - want) > worst)
                        worst = fabs(got - want);
                }
            CHECK(off == 0, "%d of %d outputs off the BF16 product (worst %g)", off, R * N, worst);
        }
        myl_ws_free(&ws);
    }
    myelin_net_free(net);
}

TEST(train_bf16_bad_precision_refused)
{
    myelin_data d;
    myelin_net *net;
    if (!CHECK(!myelin_data_builtin("xor", &d), "xor") ||
        !CHECK(!myelin_net_create_str("2,4:tanh,1:sigmoid", MYELIN_LOSS_BCE, 1, &net), "%s", myelin_last_error()))
        return;
    const myelin_dataset v = myelin_data_view(&d);
    const int bad[] = {2, -1, 77};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        myelin_train_opts o;
        myelin_train_opts_default(&o);
        o.epochs = 1;
        o.precision = (myelin_precision)bad[i];
        CHECK(myelin_train(net, &v, &o) == MYELIN_EINVAL && strstr(myelin_last_error(), "precision"),
              "precision %d: %s", bad[i], myelin_last_error());
    }
    myelin_train_opts o;
    myelin_train_opts_default(&o);
    CHECK(o.precision == MYELIN_PRECISION_FP32, "default precision %d, want FP32", (int)o.precision);
    myelin_net_free(net);
    myelin_data_free(&d);
}

/* The BF16 epilogue does ReLU and leaky ReLU only: the others are refused,
   never dropped (myl_train_gemm applies them after the product). */
TEST(train_bf16_gemm_refuses_unfused_activations)
{
    float a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 0, 1}, c[4];
    const int acts[] = {MYL_ACT_SIGMOID, MYL_ACT_TANH, MYL_ACT_SOFTMAX};
    for (size_t i = 0; i < 3; i++)
        CHECK(myl_gemm_bf16(0, 0, 2, 2, 2, 1.0f, a, 2, b, 2, 0.0f, c, 2, NULL, acts[i], 0.0f) == MYELIN_EINVAL,
              "activation %d: not refused", acts[i]);
    CHECK(myl_gemm_bf16(0, 0, 2, 2, 2, 1.0f, a, 2, b, 2, 0.0f, c, 2, NULL, MYL_ACT_RELU, 0.0f) == MYELIN_OK &&
              c[0] == 1.0f && c[3] == 4.0f,
          "ReLU: %s", myelin_last_error());
}

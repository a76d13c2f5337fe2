/* Optimisers and schedules against steps computed by hand, on a 1-input,
   1-output linear net with MSE: y = w x + b, L = 1/2 (y - t)^2, so
   dL/dw = (y - t) x and dL/db = y - t. Two samples, batch 1, no shuffle:
   two steps, so the optimisers' state is exercised too. */
#include "../harness.h"
#include "myelin.h"

#include <math.h>
#include <string.h>

static const float X[2] = {1.5f, -2.0f}, T[2] = {2.0f, 0.5f};

typedef struct { double w, b, s1w, s1b, s2w, s2b; } hand_state;

/* One hand-written step on parameter p with gradient g and state s1/s2. */
static double hand(myelin_optimizer opt, double p, double g, double *s1, double *s2, double lr, int t)
{
    const double mu = 0.9, b1 = 0.9, b2 = 0.999, rho = 0.9, eps = 1e-8;
    switch (opt) {
    case MYELIN_OPT_SGD: return p - lr * g;
    case MYELIN_OPT_MOMENTUM: *s1 = mu * *s1 + g; return p - lr * *s1;
    case MYELIN_OPT_NESTEROV: *s1 = mu * *s1 + g; return p - lr * (g + mu * *s1);
    case MYELIN_OPT_ADAGRAD: *s1 += g * g; return p - lr * g / (sqrt(*s1) + eps);
    case MYELIN_OPT_RMSPROP: *s1 = rho * *s1 + (1 - rho) * g * g; return p - lr * g / (sqrt(*s1) + eps);
    case MYELIN_OPT_ADAM: {
        *s1 = b1 * *s1 + (1 - b1) * g;
        *s2 = b2 * *s2 + (1 - b2) * g * g;
        double mh = *s1 / (1 - pow(b1, t)), vh = *s2 / (1 - pow(b2, t));
        return p - lr * mh / (sqrt(vh) + eps);
    }
    }
    return p;
}

static void run_case(myelin_optimizer opt, float l1, float l2, float lr_mult)
{
    myelin_layer_spec l = myelin_layer_default(1, MYELIN_ACT_LINEAR);
    l.lr_mult = lr_mult;
    myelin_net_spec spec = {1, 1, &l, MYELIN_LOSS_MSE};
    myelin_net *net;
    if (!CHECK(myelin_net_create(&spec, 1, &net) == 0, "%s", myelin_last_error()))
        return;
    float w0 = 0.5f, b0 = 0.1f;
    myelin_net_set_params(net, 0, &w0, &b0);
    myelin_dataset d = {.rows = 2, .cols = 1, .x = X, .y = T, .y_cols = 1};
    myelin_train_opts o;
    myelin_train_opts_default(&o);
    o.opt = opt;
    o.lr = 0.05f;
    o.batch = 1;
    o.epochs = 1;
    o.shuffle = 0;
    o.l1 = l1;
    o.l2 = l2;
    CHECK(myelin_train(net, &d, &o) == 0, "%s", myelin_last_error());
    float w, b;
    myelin_net_get_params(net, 0, &w, &b);
    hand_state h = {w0, b0, 0, 0, 0, 0};
    const double lr = (double)0.05f * lr_mult;
    for (int t = 1; t <= 2; t++) {
        double y = h.w * X[t - 1] + h.b, e = y - T[t - 1];
        double gw = e * X[t - 1] + l2 * h.w + l1 * (h.w > 0 ? 1 : h.w < 0 ? -1 : 0), gb = e;
        h.w = hand(opt, h.w, gw, &h.s1w, &h.s2w, lr, t);
        h.b = hand(opt, h.b, gb, &h.s1b, &h.s2b, lr, t);
    }
    CHECK(fabs(w - h.w) <= 2e-6 * (1 + fabs(h.w)) && fabs(b - h.b) <= 2e-6 * (1 + fabs(h.b)),
          "opt %d l1 %g l2 %g lr_mult %g: w %.8g b %.8g, by hand %.8g %.8g", (int)opt, l1, l2, lr_mult, w, b, h.w, h.b);
    CHECK(w != w0 && b != b0, "opt %d: the parameters moved", (int)opt);
    myelin_net_free(net);
}

TEST(optim_hand_steps)
{
    for (int opt = MYELIN_OPT_SGD; opt <= MYELIN_OPT_ADAM; opt++) {
        run_case((myelin_optimizer)opt, 0, 0, 1);
        run_case((myelin_optimizer)opt, 0.01f, 0.1f, 1);
    }
    run_case(MYELIN_OPT_SGD, 0, 0.2f, 1);   /* the fused SGD + L2 path */
    run_case(MYELIN_OPT_SGD, 0, 0, 0.5f);   /* lr multiplier */
    run_case(MYELIN_OPT_ADAM, 0, 0, 2.0f);
}

static int record_lr(const myelin_epoch_stats *s, void *user)
{
    ((double *)user)[s->epoch - 1] = s->lr;
    return 0;
}

TEST(optim_schedules_and_layer_decay)
{
    myelin_net *net;
    if (!CHECK(myelin_net_create_str("1,1", MYELIN_LOSS_MSE, 1, &net) == 0, "%s", myelin_last_error()))
        return;
    myelin_dataset d = {.rows = 2, .cols = 1, .x = X, .y = T, .y_cols = 1};
    myelin_train_opts o;
    myelin_train_opts_default(&o);
    o.lr = 0.01f;
    o.epochs = 7;
    o.on_epoch = record_lr;
    double lr[7];
    o.on_epoch_user = lr;
    o.schedule = MYELIN_SCHED_STEP;
    o.decay = 0.5f;
    o.decay_epochs = 3;
    CHECK(myelin_train(net, &d, &o) == 0, "%s", myelin_last_error());
    for (int e = 0; e < 7; e++)
        CHECK(fabs(lr[e] - 0.01f * pow(0.5, e / 3)) < 1e-9, "step: epoch %d lr %g", e + 1, lr[e]);
    o.schedule = MYELIN_SCHED_EXP;
    o.decay = 0.9f;
    CHECK(myelin_train(net, &d, &o) == 0, "%s", myelin_last_error());
    for (int e = 0; e < 7; e++)
        CHECK(fabs(lr[e] - 0.01f * pow(0.9f, e)) < 1e-9, "exp: epoch %d lr %g", e + 1, lr[e]);
    myelin_net_free(net);

    /* layer i gets lr / decay^i: the same bytes as lr_mult 1, 1/2, 1/4 */
    myelin_net *a, *b;
    myelin_layer_spec la[3] = {myelin_layer_default(3, MYELIN_ACT_TANH), myelin_layer_default(3, MYELIN_ACT_TANH),
                               myelin_layer_default(1, MYELIN_ACT_LINEAR)};
    myelin_net_spec sa = {1, 3, la, MYELIN_LOSS_MSE};
    myelin_net_create(&sa, 4, &a);
    la[1].lr_mult = 0.5f;
    la[2].lr_mult = 0.25f;
    myelin_net_create(&sa, 4, &b);
    myelin_train_opts p;
    myelin_train_opts_default(&p);
    p.batch = 1;
    p.epochs = 3;
    p.opt = MYELIN_OPT_MOMENTUM;
    p.layer_decay = 2.0f;
    myelin_train(a, &d, &p);
    p.layer_decay = 1.0f;
    myelin_train(b, &d, &p);
    for (size_t l = 0; l < 3; l++) {
        float wa[9], wb[9], ba[3], bb[3];
        myelin_net_get_params(a, l, wa, ba);
        myelin_net_get_params(b, l, wb, bb);
        size_t nw = l == 0 ? 3 : l == 1 ? 9 : 3;
        CHECK(!memcmp(wa, wb, nw * sizeof(float)) && !memcmp(ba, bb, (l == 2 ? 1 : 3) * sizeof(float)),
              "layer %zu: layer_decay 2 differs from lr_mult 1/2^i", l);
    }
    myelin_net_free(a);
    myelin_net_free(b);
}

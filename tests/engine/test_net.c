/* Networks: descriptions, validation, the string parser, parameters, the
   input transform, the summary, and the initialisers' statistics. */
#include "../harness.h"
#include "myelin.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The status is EINVAL, a message is set and mentions `word`. */
#define CHECK_EINVAL(call, word)                                                                    \
    do {                                                                                            \
        int st_ = (call);                                                                           \
        CHECK(st_ == MYELIN_EINVAL, "%s: status %d, want EINVAL", #call, st_);                      \
        CHECK(strstr(myelin_last_error(), (word)) != NULL, "%s: message \"%s\" lacks \"%s\"", #call, \
              myelin_last_error(), (word));                                                         \
    } while (0)

static int create(size_t inputs, myelin_layer_spec *l, size_t n, myelin_loss loss, myelin_net **net)
{
    myelin_net_spec s = {inputs, n, l, loss};
    *net = (myelin_net *)0x1;
    return myelin_net_create(&s, 1, net);
}

TEST(net_bad_descriptions)
{
    myelin_net *net;
    myelin_layer_spec l[3] = {myelin_layer_default(4, MYELIN_ACT_RELU), myelin_layer_default(3, MYELIN_ACT_SOFTMAX),
                              myelin_layer_default(2, MYELIN_ACT_SIGMOID)};
    CHECK_EINVAL(myelin_net_create(NULL, 1, &net), "spec");
    CHECK_EINVAL(create(0, l, 2, MYELIN_LOSS_CE, &net), "input width");
    CHECK(net == NULL, "a failed create leaves *out NULL");
    CHECK_EINVAL(create(5, l, 0, MYELIN_LOSS_CE, &net), "layers");
    CHECK_EINVAL(create(5, l, MYELIN_MAX_LAYERS + 1, MYELIN_LOSS_CE, &net), "layers");
    CHECK_EINVAL(create(5, l, 3, MYELIN_LOSS_MSE, &net), "softmax is only allowed on the last");
    myelin_layer_spec b[2] = {l[0], l[1]};
    b[0].units = 0;
    CHECK_EINVAL(create(5, b, 2, MYELIN_LOSS_CE, &net), "layer 0: 0 units");
    b[0] = l[0];
    b[1].units = 1;
    CHECK_EINVAL(create(5, b, 2, MYELIN_LOSS_MSE, &net), "softmax over 1 unit");
    b[1] = myelin_layer_default(2, MYELIN_ACT_SIGMOID);
    CHECK_EINVAL(create(5, b, 2, MYELIN_LOSS_BCE, &net), "1 output");
    CHECK_EINVAL(create(5, b, 2, MYELIN_LOSS_CE, &net), "softmax output");
    b[1] = myelin_layer_default(1, MYELIN_ACT_TANH);
    CHECK_EINVAL(create(5, b, 2, MYELIN_LOSS_BCE, &net), "sigmoid output");
    b[1] = l[1];
    b[0].dropout = NAN;
    CHECK_EINVAL(create(5, b, 2, MYELIN_LOSS_CE, &net), "layer 0: dropout");
    b[0].dropout = 1.0f;
    CHECK_EINVAL(create(5, b, 2, MYELIN_LOSS_CE, &net), "dropout");
    b[0] = l[0];
    b[1].dropconnect = -0.1f;
    CHECK_EINVAL(create(5, b, 2, MYELIN_LOSS_CE, &net), "layer 1: dropconnect");
    b[1] = l[1];
    b[1].lr_mult = NAN;
    CHECK_EINVAL(create(5, b, 2, MYELIN_LOSS_CE, &net), "lr_mult");
    b[1] = l[1];
    b[0].act = (myelin_act)17;
    CHECK_EINVAL(create(5, b, 2, MYELIN_LOSS_CE, &net), "activation 17");
    b[0] = l[0];
    b[0].init = MYELIN_INIT_UNIFORM;
    b[0].init_scale = NAN;
    CHECK_EINVAL(create(5, b, 2, MYELIN_LOSS_CE, &net), "init_scale");
    b[0] = l[0];
    b[0].init = (myelin_init)9;
    CHECK_EINVAL(create(5, b, 2, MYELIN_LOSS_CE, &net), "initialiser 9");
    b[0] = l[0];
    b[0].bias_init = -1;
    CHECK_EINVAL(create(5, b, 2, MYELIN_LOSS_CE, &net), "bias_init");
    b[0] = l[0];
    CHECK_EINVAL(create(5, b, 2, (myelin_loss)42, &net), "loss 42");
    myelin_net_spec s = {5, 2, NULL, MYELIN_LOSS_CE};
    CHECK_EINVAL(myelin_net_create(&s, 1, &net), "layers is NULL");
    s.layers = b;
    CHECK_EINVAL(myelin_net_create(&s, 1, NULL), "out");
    /* and the valid one */
    CHECK(create(5, b, 2, MYELIN_LOSS_CE, &net) == MYELIN_OK, "valid net: %s", myelin_last_error());
    myelin_net_free(net);
    myelin_net_free(NULL);
}

TEST(net_create_str)
{
    myelin_net *net = NULL;
    int st = myelin_net_create_str("784, 128:relu:he_normal:dropout=0.2, 64:leaky_relu:lr=0.5,10:softmax",
                                   MYELIN_LOSS_CE, 3, &net);
    if (!CHECK(st == MYELIN_OK, "parse: %s", myelin_last_error()))
        return;
    CHECK(myelin_net_inputs(net) == 784 && myelin_net_outputs(net) == 10 && myelin_net_num_layers(net) == 3,
          "shape %zu -> %zu, %zu layers", myelin_net_inputs(net), myelin_net_outputs(net), myelin_net_num_layers(net));
    myelin_layer_spec s;
    myelin_net_layer(net, 0, &s);
    CHECK(s.units == 128 && s.act == MYELIN_ACT_RELU && s.init == MYELIN_INIT_HE_NORMAL && s.dropout == 0.2f,
          "layer 0 options");
    myelin_net_layer(net, 1, &s);
    CHECK(s.act == MYELIN_ACT_LEAKY_RELU && s.lr_mult == 0.5f && s.init == MYELIN_INIT_GLOROT_UNIFORM, "layer 1");
    myelin_net_layer(net, 2, &s);
    CHECK(s.act == MYELIN_ACT_SOFTMAX, "layer 2");
    CHECK(myelin_net_loss(net) == MYELIN_LOSS_CE, "loss");
    CHECK_EINVAL(myelin_net_layer(net, 3, &s), "layer 3");
    char buf[2048];
    CHECK(myelin_net_summary(net, buf, sizeof buf) == MYELIN_OK, "summary: %s", myelin_last_error());
    CHECK(strstr(buf, "784x128") && strstr(buf, "100480") && strstr(buf, "softmax") && strstr(buf, "109386"),
          "summary lacks shapes/params:\n%s", buf);
    CHECK_EINVAL(myelin_net_summary(net, buf, 20), "too small");
    myelin_net_free(net);

    myelin_net *n2 = NULL;
    CHECK(myelin_net_create_str("3,2:uniform=0.5:bias=0.1,1:sigmoid:dropconnect=0.3", MYELIN_LOSS_BCE, 1, &n2) == 0,
          "uniform/bias/dropconnect: %s", myelin_last_error());
    if (n2) {
        myelin_net_layer(n2, 0, &s);
        CHECK(s.init == MYELIN_INIT_UNIFORM && s.init_scale == 0.5f && s.bias_init == 0.1f, "layer 0 options");
        myelin_net_layer(n2, 1, &s);
        CHECK(s.dropconnect == 0.3f, "dropconnect");
        myelin_net_free(n2);
    }
    CHECK_EINVAL(myelin_net_create_str(NULL, MYELIN_LOSS_MSE, 1, &net), "layers is NULL");
    CHECK_EINVAL(myelin_net_create_str("", MYELIN_LOSS_MSE, 1, &net), "width");
    CHECK_EINVAL(myelin_net_create_str("784", MYELIN_LOSS_MSE, 1, &net), "no layers");
    CHECK_EINVAL(myelin_net_create_str("784,0", MYELIN_LOSS_MSE, 1, &net), "width > 0");
    CHECK_EINVAL(myelin_net_create_str("784:relu,10", MYELIN_LOSS_MSE, 1, &net), "input width");
    CHECK_EINVAL(myelin_net_create_str("784,10:foo", MYELIN_LOSS_MSE, 1, &net), "unknown option \"foo\"");
    CHECK_EINVAL(myelin_net_create_str("4,3:relu:tanh,1", MYELIN_LOSS_MSE, 1, &net), "second activation");
    CHECK_EINVAL(myelin_net_create_str("4,3:dropout=x,1", MYELIN_LOSS_MSE, 1, &net), "not a finite number");
    CHECK_EINVAL(myelin_net_create_str("4,3:,1", MYELIN_LOSS_MSE, 1, &net), "empty option");
    CHECK_EINVAL(myelin_net_create_str("4,a,1", MYELIN_LOSS_MSE, 1, &net), "field 1");
    CHECK_EINVAL(myelin_net_create_str("4,3:softmax,2", MYELIN_LOSS_MSE, 1, &net), "softmax");
    CHECK_EINVAL(myelin_net_create_str("4,3:relu,2:softmax", MYELIN_LOSS_BCE, 1, &net), "1 output");
    CHECK_EINVAL(myelin_net_create_str("4,3:dropout=1.5,2", MYELIN_LOSS_MSE, 1, &net), "dropout");
}

TEST(net_params_and_transform)
{
    myelin_net *net;
    if (!CHECK(myelin_net_create_str("3,2:tanh,2:linear", MYELIN_LOSS_MSE, 5, &net) == 0, "%s", myelin_last_error()))
        return;
    float w[6] = {1, 2, 3, 4, 5, 6}, b[2] = {0.5f, -0.5f}, w2[6], b2[2];
    CHECK(myelin_net_set_params(net, 0, w, b) == 0, "set");
    CHECK(myelin_net_get_params(net, 0, w2, b2) == 0, "get");
    CHECK(!memcmp(w, w2, sizeof w) && !memcmp(b, b2, sizeof b), "round trip");
    CHECK(myelin_net_get_params(net, 0, NULL, b2) == 0, "bias only");
    w[4] = NAN;
    CHECK_EINVAL(myelin_net_set_params(net, 0, w, b), "weight 4");
    CHECK(myelin_net_get_params(net, 0, w2, NULL) == 0 && w2[4] == 5.0f, "a rejected set changes nothing");
    CHECK_EINVAL(myelin_net_set_params(net, 2, w, b), "layer 2");
    CHECK_EINVAL(myelin_net_get_params(net, 2, w2, b2), "layer 2");
    CHECK_EINVAL(myelin_net_get_params(NULL, 0, w2, b2), "net");
    CHECK_EINVAL(myelin_net_set_params(net, 0, NULL, NULL), "both NULL");

    float off[3] = {1, 2, 3}, sc[3] = {0.5f, 0.25f, 2}, o2[3], s2[3];
    CHECK(myelin_net_set_input_transform(net, off, sc, 3) == 0, "set transform");
    CHECK(myelin_net_get_input_transform(net, o2, s2, 3) == 0 && !memcmp(off, o2, sizeof off) &&
          !memcmp(sc, s2, sizeof sc), "transform round trip");
    CHECK_EINVAL(myelin_net_set_input_transform(net, off, sc, 4), "n (4)");
    CHECK_EINVAL(myelin_net_get_input_transform(net, o2, s2, 2), "n (2)");
    sc[1] = INFINITY;
    CHECK_EINVAL(myelin_net_set_input_transform(net, off, sc, 3), "scale[1]");
    /* the transform is applied: a net with it on x equals one without it on x' */
    sc[1] = 0.25f;
    const float x[6] = {1, 2, 3, 4, 5, 6};
    float xt[6], p1[4], p2[4];
    for (int i = 0; i < 6; i++)
        xt[i] = (x[i] - off[i % 3]) * sc[i % 3];
    myelin_dataset d1 = {.rows = 2, .cols = 3, .x = x}, d2 = {.rows = 2, .cols = 3, .x = xt};
    CHECK(myelin_predict_proba(net, &d1, p1, 2) == 0, "predict: %s", myelin_last_error());
    myelin_net_set_input_transform(net, NULL, NULL, 3);
    CHECK(myelin_predict_proba(net, &d2, p2, 2) == 0, "predict");
    CHECK(!memcmp(p1, p2, sizeof p1), "transform applied as (x - offset) * scale");
    /* bytes with one offset and scale for every column (the fast path) */
    const uint8_t xb[6] = {0, 17, 255, 128, 3, 90};
    for (int j = 0; j < 3; j++) {
        off[j] = 12.5f;
        sc[j] = 1.0f / 255;
    }
    for (int i = 0; i < 6; i++)
        xt[i] = ((float)xb[i] - 12.5f) * (1.0f / 255);
    myelin_net_set_input_transform(net, off, sc, 3);
    myelin_dataset d3 = {.rows = 2, .cols = 3, .x_u8 = xb};
    CHECK(myelin_predict_proba(net, &d3, p1, 2) == 0, "predict bytes: %s", myelin_last_error());
    myelin_net_set_input_transform(net, NULL, NULL, 3);
    CHECK(myelin_predict_proba(net, &d2, p2, 2) == 0, "predict");
    CHECK(!memcmp(p1, p2, sizeof p1), "uniform transform on bytes applied as (x - offset) * scale");
    myelin_net_free(net);
}

/* Sample mean and variance of each initialiser within tolerance of the formula. */
TEST(net_initialisers)
{
    const size_t fin = 300, fout = 200, n = fin * fout;
    static const struct { myelin_init init; double var; const char *name; } cases[] = {
        {MYELIN_INIT_GLOROT_UNIFORM, 6.0 / 500 / 3, "glorot_uniform"},
        {MYELIN_INIT_GLOROT_NORMAL, 2.0 / 500, "glorot_normal"},
        {MYELIN_INIT_HE_NORMAL, 2.0 / 300, "he_normal"},
        {MYELIN_INIT_HE_UNIFORM, 6.0 / 300 / 3, "he_uniform"},
        {MYELIN_INIT_UNIFORM, 0.3 * 0.3 / 3, "uniform"},
        {MYELIN_INIT_NORMAL, 0.05 * 0.05, "normal"},
    };
    float *w = malloc(n * sizeof(float)), b[200];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        myelin_layer_spec l = myelin_layer_default(fout, MYELIN_ACT_LINEAR);
        l.init = cases[c].init;
        l.init_scale = cases[c].init == MYELIN_INIT_UNIFORM ? 0.3f : 0.05f;
        l.bias_init = c == 0 ? 0.0f : 0.1f;
        myelin_net_spec s = {fin, 1, &l, MYELIN_LOSS_MSE};
        myelin_net *net;
        if (!CHECK(myelin_net_create(&s, 100 + c, &net) == 0, "%s", myelin_last_error()))
            continue;
        myelin_net_get_params(net, 0, w, b);
        double sum = 0, sq = 0, mx = 0;
        for (size_t i = 0; i < n; i++) {
            sum += w[i];
            sq += (double)w[i] * w[i];
            mx = fabs(w[i]) > mx ? fabs(w[i]) : mx;
        }
        double mean = sum / n, var = sq / n - mean * mean, sd = sqrt(cases[c].var);
        CHECK(fabs(mean) < 5 * sd / sqrt((double)n), "%s: mean %g", cases[c].name, mean);
        CHECK(fabs(var / cases[c].var - 1) < 0.03, "%s: variance %g, want %g", cases[c].name, var, cases[c].var);
        if (cases[c].init == MYELIN_INIT_GLOROT_UNIFORM || cases[c].init == MYELIN_INIT_HE_UNIFORM ||
            cases[c].init == MYELIN_INIT_UNIFORM)
            CHECK(mx <= sqrt(3 * cases[c].var) * (1 + 1e-6) && mx > sqrt(3 * cases[c].var) * 0.99,
                  "%s: max |w| %g vs the bound %g", cases[c].name, mx, sqrt(3 * cases[c].var));
        int bias_ok = 1, nonzero = 0;
        for (size_t j = 0; j < fout; j++) {
            bias_ok &= fabsf(b[j]) <= l.bias_init;
            nonzero += b[j] != 0.0f;
        }
        CHECK(bias_ok && (l.bias_init == 0.0f ? nonzero == 0 : nonzero > 190), "%s: biases", cases[c].name);
        /* the same seed gives the same weights; another seed others */
        myelin_net *again, *other;
        myelin_net_create(&s, 100 + c, &again);
        myelin_net_create(&s, 200 + c, &other);
        float *w2 = malloc(n * sizeof(float));
        myelin_net_get_params(again, 0, w2, NULL);
        CHECK(!memcmp(w, w2, n * sizeof(float)), "%s: same seed, same weights", cases[c].name);
        myelin_net_get_params(other, 0, w2, NULL);
        CHECK(memcmp(w, w2, n * sizeof(float)) != 0, "%s: another seed, other weights", cases[c].name);
        free(w2);
        myelin_net_free(again);
        myelin_net_free(other);
        myelin_net_free(net);
    }
    free(w);
}

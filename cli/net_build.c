/* The network a training command line describes: the layers, the per-layer
   overrides and the input preprocessing. One builder for `myelin train` and
   `myelin-mpi train`, so that one command line means one network in both. */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const cli_loss_names[6] = {"mse", "mae", "bce", "bce_logits", "ce", "softmax_ce"};
const char *const cli_init_names[6] = {"glorot_uniform", "glorot_normal", "he_normal",
                                         "he_uniform", "uniform", "normal"};

/* "a" or "a,b,c" floats into v (n wanted, one value repeated). */
static int float_list(const char *cmd, const char *opt, const char *s, float *v, size_t n)
{
    size_t k = 0;
    const char *p = s;
    while (*p && k < n) {
        char *end;
        double x = strtod(p, &end);
        if (end == p || !isfinite(x) || (*end && *end != ','))
            return cli_error(cmd, "--%s: \"%s\" is not a number or a list of numbers", opt, s);
        v[k++] = (float)x;
        p = *end ? end + 1 : end;
    }
    if (*p || (k != 1 && k != n))
        return cli_error(cmd, "--%s: \"%s\": give one value or one per layer (%zu)", opt, s, n);
    for (; k < n; k++)
        v[k] = v[0];
    return 0;
}

int cli_build_net(const char *cmd, const cli_net_opts *no, int loss_i, int init_i, const myelin_data *tr,
                  uint64_t seed, int *prep, myelin_net **out)
{
    *out = NULL;
    char auto_layers[128];
    const char *layers = no->layers;
    if (!layers) {
        size_t k = tr->n_classes > 2 ? tr->n_classes : 1;
        snprintf(auto_layers, sizeof auto_layers, "%zu,64:relu,%zu:%s", tr->cols, k, k > 1 ? "softmax" : "sigmoid");
        layers = auto_layers;
    }
    myelin_net *net = NULL;
    if (myelin_net_create_str(layers, MYELIN_LOSS_MSE, seed, &net))
        return cli_error(cmd, "--layers: %s", myelin_last_error());
    size_t nl = myelin_net_num_layers(net);
    myelin_layer_spec spec[MYELIN_MAX_LAYERS];
    float fv[MYELIN_MAX_LAYERS];
    for (size_t l = 0; l < nl; l++)
        myelin_net_layer(net, l, &spec[l]);
    const size_t inputs = myelin_net_inputs(net);
    myelin_net_free(net);
    if (init_i >= 0)
        for (size_t l = 0; l < nl; l++)
            spec[l].init = (myelin_init)init_i;
#define OVERRIDE(str, name, field, first)                                                                      \
    if (str) {                                                                                                 \
        if (float_list(cmd, name, str, fv, nl))                                                                \
            return 1;                                                                                          \
        for (size_t l = (first); l < nl; l++)                                                                  \
            spec[l].field = fv[l];                                                                             \
    }
    OVERRIDE(no->init_scale, "init-scale", init_scale, 0)
    OVERRIDE(no->bias_init, "bias-init", bias_init, 0)
    OVERRIDE(no->lr_mult, "lr-mult", lr_mult, 0)
    OVERRIDE(no->dropconnect, "dropconnect", dropconnect, 0)
    OVERRIDE(no->dropout, "dropout", dropout, 1)
#undef OVERRIDE
    if (no->in_dropout) {
        char *end;
        double p = strtod(no->in_dropout, &end);
        if (end == no->in_dropout || *end || !isfinite(p))
            return cli_error(cmd, "--input-dropout: \"%s\" is not a number", no->in_dropout);
        spec[0].dropout = (float)p;
    }
    const myelin_act out_act = spec[nl - 1].act;
    if (loss_i < 0)
        loss_i = out_act == MYELIN_ACT_SOFTMAX ? MYELIN_LOSS_CE
                 : (out_act == MYELIN_ACT_SIGMOID && spec[nl - 1].units == 1) ? MYELIN_LOSS_BCE
                                                                              : MYELIN_LOSS_MSE;
    myelin_net_spec ns = {inputs, nl, spec, (myelin_loss)loss_i};
    if (myelin_net_create(&ns, seed, &net))
        return cli_error(cmd, "%s", myelin_last_error());
    if (cli_check_fit(cmd, net, tr, "training")) {
        myelin_net_free(net);
        return 1;
    }
    if (*prep == 0)
        *prep = tr->x_u8 ? 2 : 1;
    const int prep_i = *prep;
    if (prep_i >= 2) {
        float *st = malloc(2 * tr->cols * sizeof *st);
        int e = !st || (prep_i == 2 ? myelin_data_scale_stats(tr, st, st + tr->cols, tr->cols)
                                    : myelin_data_standardize_stats(tr, st, st + tr->cols, tr->cols)) ||
                myelin_net_set_input_transform(net, st, st + tr->cols, tr->cols);
        free(st);
        if (e) {
            myelin_net_free(net);
            return cli_error(cmd, "--prep: %s", myelin_last_error());
        }
    }
    *out = net;
    return 0;
}

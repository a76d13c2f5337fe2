/* The options `myelin train` and `myelin-mpi train` share: one table and one
   set of checks, so that one command line means one training in both. Each
   tool adds its own options and rewords the help where it differs. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

const char *const cli_opt_names[6] = {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"};
static const char *const sched_names[] = {"constant", "step", "exp"};
static const char *const precision_names[] = {"fp32", "bf16"};
static const char *const prep_names[] = {"auto", "none", "scale", "standardize"};

void cli_train_args_init(cli_train_args *a)
{
    memset(a, 0, sizeof *a);
    myelin_train_opts_default(&a->to);
    a->dopt.header = "auto";
    a->opt = "sgd";
    a->sched = "constant";
    a->prep = "auto";
    a->precision = "fp32";
    a->seed = 1;
    a->slope = myelin_leaky_slope();
    a->loss_i = a->init_i = -1;
}

/* The shared options into out (cap entries, the terminator included), with
   the tool's help texts and its own options after the ones they name. */
static void train_options(cli_train_args *a, const cli_help_text *help, const cli_opt_extra *extra, cli_opt *out,
                          size_t cap)
{
    myelin_train_opts *to = &a->to;
    const cli_opt common[] = {
        {"data", OPT_STR, &a->data, "SET", "fashion-mnist | mnist:DIR | csv:FILE | xor | table3"},
        {"test", OPT_STR, &a->test, "SET", "test set (default: the set's test part; none for csv)"},
        {"label", OPT_STR, &a->dopt.label, "COL", "CSV label column: name, index, last or none (default last)"},
        {"header", OPT_STR, &a->dopt.header, "auto|yes|no", "CSV header line"},
        {"limit", OPT_SIZE, &a->dopt.limit, "N", "use the first N training rows (0: all)"},
        {"test-limit", OPT_SIZE, &a->test_limit, "N", "use the first N test rows (0: all)"},
        {"val", OPT_FLOAT, &a->val, "F", "fraction of the training rows held out for validation (seeded)"},
        {"binary", OPT_STR, &a->dopt.binary, "RULE", "0/1 targets from classes: odd, even or a list like 3,5"},
        {"prep", OPT_STR, &a->prep, "P", "inputs: auto (bytes scaled to [0,1]), none, scale, standardize"},
        {"scale", OPT_FLAG, &a->scale, NULL, "same as --prep scale"},
        {"standardize", OPT_FLAG, &a->standardize, NULL, "same as --prep standardize (statistics saved in the model)"},
        {"layers", OPT_STR, &a->no.layers, "DESC",
         "IN,UNITS:ACT[:opt...],...; opts he_normal dropout=P dropconnect=P lr=X bias=R "
         "(default IN,64:relu,C:softmax; 1:sigmoid for 2 classes)"},
        {"loss", OPT_STR, &a->loss, "L", "mse mae bce bce_logits ce softmax_ce (default from the output layer)"},
        {"init", OPT_STR, &a->init, "I",
         "every layer: glorot_uniform glorot_normal he_normal he_uniform uniform normal"},
        {"init-scale", OPT_STR, &a->no.init_scale, "R", "range/sigma of uniform/normal init"},
        {"bias-init", OPT_STR, &a->no.bias_init, "R", "biases U(-R,R) (0: zero)"},
        {"leaky-slope", OPT_FLOAT, &a->slope, "S", "slope of leaky_relu below 0"},
        {"opt", OPT_STR, &a->opt, "O", "sgd momentum nesterov adagrad rmsprop adam"},
        {"lr", OPT_FLOAT, &to->lr, "F", "learning rate"},
        {"momentum", OPT_FLOAT, &to->momentum, "F", "momentum, nesterov"},
        {"beta1", OPT_FLOAT, &to->beta1, "F", "adam"},
        {"beta2", OPT_FLOAT, &to->beta2, "F", "adam"},
        {"rho", OPT_FLOAT, &to->rho, "F", "rmsprop"},
        {"eps", OPT_FLOAT, &to->eps, "F", "adagrad, rmsprop, adam"},
        {"schedule", OPT_STR, &a->sched, "S", "learning rate: constant, step, exp"},
        {"decay", OPT_FLOAT, &to->decay, "F", "step: lr *= F every --decay-epochs; exp: lr *= F each epoch"},
        {"decay-epochs", OPT_SIZE, &to->decay_epochs, "N", "step schedule period"},
        {"layer-decay", OPT_FLOAT, &to->layer_decay, "F", "layer i learns at lr / F^i (1: off)"},
        {"lr-mult", OPT_STR, &a->no.lr_mult, "F[,F...]", "learning-rate multiplier, one or one per layer"},
        {"l1", OPT_FLOAT, &to->l1, "F", "L1 penalty on weights"},
        {"l2", OPT_FLOAT, &to->l2, "F", "L2 penalty on weights"},
        {"dropout", OPT_STR, &a->no.dropout, "P", "drop each input of the layers after the first (inverted dropout)"},
        {"input-dropout", OPT_STR, &a->no.in_dropout, "P", "drop each input of the first layer"},
        {"dropconnect", OPT_STR, &a->no.dropconnect, "P[,P...]", "drop each weight while training"},
        {"epochs", OPT_SIZE, &to->epochs, "N", "passes over the training rows"},
        {"batch", OPT_SIZE, &to->batch, "N", "minibatch size (>= rows: full batch)"},
        {"no-shuffle", OPT_FLAG, &a->no_shuffle, NULL, "keep the order of the rows"},
        {"seed", OPT_INT, &a->seed, "N", "initialisation, shuffling, dropout, validation split"},
        {"threads", OPT_INT, &a->m.threads, "N", "threads (0: one per physical core)"},
        {"isa", OPT_STR, &a->m.isa, "NAME", "kernel path: auto scalar avx2 avx512 neon"},
        {"pin", OPT_FLAG, &a->m.pin, NULL, "pin threads one per core"},
        {"save", OPT_STR, &a->save, "FILE", "write the model (atomically) after training or Ctrl-C"},
        {"history", OPT_STR, &a->history, "FILE", "per-epoch figures as CSV (scripts/plot_history.py)"},
        {"json", OPT_FLAG, &a->json, NULL, "one JSON object per epoch and a final one"},
        {"profile", OPT_FLAG, &a->profile, NULL, "print where the training time went"},
        {"quiet", OPT_FLAG, &a->quiet, NULL, "no epoch lines"},
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof common / sizeof common[0] && n + 1 < cap; i++) {
        out[n] = common[i];
        for (const cli_help_text *h = help; h && h->name; h++)
            if (!strcmp(h->name, common[i].name))
                out[n].help = h->help;
        n++;
        for (const cli_opt_extra *e = extra; e && e->after && n + 1 < cap; e++)
            if (!strcmp(e->after, common[i].name))
                out[n++] = e->opt;
    }
    out[n] = (cli_opt){NULL, 0, NULL, NULL, NULL};
}

int cli_train_parse(const char *cmd, const cli_train_tool *t, cli_train_args *a, int argc, char **argv)
{
    cli_opt opts[64];
    train_options(a, t->help, t->extra, opts, sizeof opts / sizeof opts[0]);
    int rc = cli_parse(cmd, t->usage, opts, argc, argv);
    if (rc)
        return rc;
    const cli_error_fn err = t->error;
    if (cli_choice(cmd, "opt", a->opt, cli_opt_names, 6, &a->opt_i) ||
        cli_choice(cmd, "schedule", a->sched, sched_names, 3, &a->sched_i) ||
        cli_choice(cmd, "precision", a->precision, precision_names, 2, &a->prec_i) ||
        (a->loss && cli_choice(cmd, "loss", a->loss, cli_loss_names, 6, &a->loss_i)) ||
        (a->init && cli_choice(cmd, "init", a->init, cli_init_names, 6, &a->init_i)) ||
        cli_choice(cmd, "prep", a->prep, prep_names, 4, &a->prep_i))
        return 2;
    if (a->scale + a->standardize > 1 || ((a->scale || a->standardize) && a->prep_i != 0))
        return err(cmd, "choose one of --prep, --scale, --standardize"), 2;
    if (a->scale)
        a->prep_i = 2;
    if (a->standardize)
        a->prep_i = 3;
    if (t->val_refusal && a->val != 0)
        return err(cmd, "--val: %s", t->val_refusal), 2;
    if (!(a->val >= 0 && a->val < 1))
        return err(cmd, "--val: %g is not in [0, 1)", (double)a->val), 2;
    if (a->seed < 0)
        return err(cmd, "--seed: %ld < 0", a->seed), 2;
    if (myelin_set_leaky_slope(a->slope))
        return err(cmd, "--leaky-slope: %s", myelin_last_error()), 2;
    a->to.opt = (myelin_optimizer)a->opt_i;
    a->to.schedule = (myelin_schedule)a->sched_i;
    a->to.precision = (myelin_precision)a->prec_i;
    a->to.shuffle = !a->no_shuffle;
    a->to.seed = (uint64_t)a->seed;
    a->to.profile = a->profile;
    return 0;
}

void cli_train_print_data(const myelin_net *net, const char *data, const myelin_data *tr, int prep_i,
                          const myelin_data *va, const myelin_data *te)
{
    char sum[4096];
    if (myelin_net_summary(net, sum, sizeof sum) == 0)
        fputs(sum, stdout);
    printf("data: %s, %zu training rows x %zu %s, %zu classes%s", data, tr->rows, tr->cols,
           tr->x_u8 ? "bytes" : "floats", tr->n_classes,
           prep_i == 2 ? " (scaled)" : prep_i == 3 ? " (standardized)" : "");
    if (va && va->rows)
        printf(", %zu validation", va->rows);
    if (te)
        printf(", %zu test", te->rows);
}

/* myelin train: data, network, optimiser and schedule from the command line;
   a progress bar on a terminal, one line (or JSON object) per epoch, a
   history CSV, a time profile, Ctrl-C to stop and save. */
#include "cli.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;
static void on_sigint(int sig) { (void)sig; interrupted = 1; }

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    int bar, json, quiet;
    FILE *history;
    double epoch_start, last_draw, train_seconds;
    size_t samples, epochs_done;
    const char *schedule; /* the step's schedule (myelin_epoch_stats) */
} progress;

static int on_batch(size_t done, size_t total, double loss, void *user)
{
    progress *p = user;
    if (p->bar) {
        double t = now();
        if (t - p->last_draw >= 0.1 || done == total) {
            p->last_draw = t;
            double el = t - p->epoch_start, rate = el > 0 ? (double)done / el : 0;
            double eta = rate > 0 ? (double)(total - done) / rate : 0;
            int w = 24, fill = total ? (int)((double)w * (double)done / (double)total) : w;
            char bar[32];
            for (int i = 0; i < w; i++)
                bar[i] = i < fill ? '#' : '-';
            bar[w] = 0;
            fprintf(stderr, "\r  %zu/%zu [%s] %.0f samples/s  loss %.4f  %.1f s left \033[K", done, total, bar, rate,
                    loss, eta);
            fflush(stderr);
        }
    }
    return interrupted;
}

static void json_num(FILE *f, const char *key, double v, int last)
{
    if (isfinite(v))
        fprintf(f, "\"%s\":%.6g%s", key, v, last ? "" : ",");
    else
        fprintf(f, "\"%s\":null%s", key, last ? "" : ",");
}

static void csv_num(FILE *f, double v, const char *sep)
{
    if (isfinite(v))
        fprintf(f, "%.6g", v);
    fputs(sep, f);
}

static int on_epoch(const myelin_epoch_stats *s, void *user)
{
    progress *p = user;
    if (p->bar)
        fprintf(stderr, "\r\033[K");
    p->epoch_start = now();
    p->samples += s->samples;
    p->train_seconds += s->seconds;
    p->epochs_done = s->epoch;
    p->schedule = s->schedule;
    if (p->json) {
        printf("{\"epoch\":%zu,\"epochs\":%zu,", s->epoch, s->epochs);
        json_num(stdout, "loss", s->loss, 0);
        json_num(stdout, "accuracy", s->accuracy, 0);
        json_num(stdout, "val_loss", s->val_loss, 0);
        json_num(stdout, "val_accuracy", s->val_accuracy, 0);
        json_num(stdout, "seconds", s->seconds, 0);
        json_num(stdout, "lr", s->lr, 0);
        printf("\"threads\":%d,\"schedule\":\"%s\",", s->threads, s->schedule ? s->schedule : "");
        json_num(stdout, "samples_per_second", s->seconds > 0 ? (double)s->samples / s->seconds : NAN, 1);
        printf("}\n");
    } else if (!p->quiet) {
        if (s->epoch == 1 && s->threads < myelin_num_threads())
            printf("(steps this small train faster on one thread: %d of %d threads used)\n", s->threads,
                   myelin_num_threads());
        printf("epoch %*zu/%zu  loss %.4f  acc %.4f", s->epochs >= 10 ? 2 : 1, s->epoch, s->epochs, s->loss,
               s->accuracy);
        if (isfinite(s->val_loss))
            printf("  val_loss %.4f  val_acc %.4f", s->val_loss, s->val_accuracy);
        printf("  %.2f s  %.0f samples/s\n", s->seconds, s->seconds > 0 ? (double)s->samples / s->seconds : 0.0);
    }
    fflush(stdout);
    if (p->history) {
        fprintf(p->history, "%zu,", s->epoch);
        csv_num(p->history, s->loss, ",");
        csv_num(p->history, s->accuracy, ",");
        csv_num(p->history, s->val_loss, ",");
        csv_num(p->history, s->val_accuracy, ",");
        csv_num(p->history, s->seconds, ",");
        csv_num(p->history, s->lr, "\n");
        fflush(p->history);
    }
    return interrupted;
}

static void print_profile(const myelin_net *net, const char *schedule)
{
    myelin_profile pr;
    if (myelin_net_profile(net, &pr)) {
        fprintf(stderr, "myelin train: no profile: %s\n", myelin_last_error());
        return;
    }
    double tot = pr.total > 0 ? pr.total : 1e-12, sum = pr.shuffle + pr.copy + pr.loss + pr.other;
    printf("\nschedule %s (README.md, Training)\n", schedule ? schedule : "(no epoch finished)");
    printf("profile (ms)  %9s %9s %9s %9s %9s %9s %9s %6s %8s\n", "fwd_gemm", "fwd_act", "bwd_act", "dW_gemm",
           "dX_gemm", "update", "layer", "share", "GFLOP/s");
    for (size_t l = 0; l < pr.n_layers; l++) {
        const myelin_layer_profile *q = &pr.layer[l];
        double layer = q->fwd_gemm + q->fwd_act + q->bwd_act + q->bwd_gemm_dw + q->bwd_gemm_dx + q->update;
        double gemm = q->fwd_gemm + q->bwd_gemm_dw + q->bwd_gemm_dx;
        sum += layer;
        printf("layer %-7zu %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %5.1f%% %8.1f\n", l, 1e3 * q->fwd_gemm,
               1e3 * q->fwd_act, 1e3 * q->bwd_act, 1e3 * q->bwd_gemm_dw, 1e3 * q->bwd_gemm_dx, 1e3 * q->update,
               1e3 * layer, 100 * layer / tot, gemm > 0 ? (q->flops_fwd + q->flops_bwd) / gemm / 1e9 : 0.0);
    }
    printf("shuffle %.1f ms, copies %.1f ms, loss %.1f ms, other %.1f ms\n", 1e3 * pr.shuffle, 1e3 * pr.copy,
           1e3 * pr.loss, 1e3 * pr.other);
    printf("total %.1f ms measured; the parts add up to %.1f ms (%.1f%%)\n", 1e3 * pr.total, 1e3 * sum,
           100 * sum / tot);
}

int cmd_train(int argc, char **argv)
{
    const char *cmd = "train";
    cli_train_args a;
    cli_train_args_init(&a);
    myelin_train_opts *const to = &a.to;
    const cli_opt_extra extra[] = {
        {"dropconnect", {"precision", OPT_STR, &a.precision, "P",
                         "products: fp32, or bf16 (BF16 GEMM, FP32 accumulation and weights)"}},
        {NULL, {0}},
    };
    const cli_train_tool tool = {"usage: myelin train --data SET [options]\n"
                                 "  e.g. myelin train --data fashion-mnist --layers 784,128:relu,64:relu,10:softmax "
                                 "--lr 0.05 --batch 128 --save model.myl",
                                 NULL, extra, NULL, cli_error};
    int rc = cli_train_parse(cmd, &tool, &a, argc, argv);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (cli_apply_machine(cmd, &a.m))
        return 1;
    const char *data = a.data, *test = a.test, *save = a.save, *history = a.history;
    const int json = a.json, quiet = a.quiet, profile = a.profile;
    const float val = a.val;

    /* Data: training part, test part, validation split. */
    myelin_data tr, te = {0}, va = {0};
    int found, have_test = 0;
    if (cli_load_data(cmd, data, 0, &a.dopt, &tr, &found))
        return 1;
    cli_data_opts topt = a.dopt;
    topt.limit = a.test_limit;
    if (cli_load_data(cmd, test ? test : data, test ? 0 : 1, &topt, &te, &found)) {
        myelin_data_free(&tr);
        return 1;
    }
    have_test = found;
    rc = 1;
    myelin_net *net = NULL;
    FILE *hist = NULL;
    if (!tr.labels) {
        cli_error(cmd, "the training data has no label column");
        goto out;
    }
    if (val > 0 && myelin_data_split(&tr, val, to->seed, &va)) {
        cli_error(cmd, "--val: %s", myelin_last_error());
        goto out;
    }

    /* Network: the description, the per-layer overrides, the preprocessing. */
    if (cli_build_net(cmd, &a.no, a.loss_i, a.init_i, &tr, to->seed, &a.prep_i, &net) ||
        (have_test && cli_check_fit(cmd, net, &te, "test")))
        goto out;

    if (history) {
        hist = fopen(history, "w");
        if (!hist) {
            cli_error(cmd, "--history %s: cannot write", history);
            goto out;
        }
        fprintf(hist, "epoch,loss,accuracy,val_loss,val_accuracy,seconds,lr\n");
    }
    if (!json && !quiet) {
        cli_train_print_data(net, data, &tr, a.prep_i, &va, have_test ? &te : NULL);
        printf("\ntraining: %s lr %g, batch %zu, %zu epochs, %d threads, %s kernels%s\n", cli_opt_names[a.opt_i],
               (double)to->lr, to->batch, to->epochs, myelin_num_threads(), myelin_isa(),
               a.prec_i ? ", BF16 products" : "");
        fflush(stdout);
    }

    progress pg = {0};
    pg.bar = !json && !quiet && isatty(STDERR_FILENO);
    pg.json = json;
    pg.quiet = quiet;
    pg.history = hist;
    myelin_dataset trv = myelin_data_view(&tr), vav = myelin_data_view(&va);
    if (va.rows)
        to->val = &vav;
    to->on_batch = on_batch;
    to->on_batch_user = &pg;
    to->on_epoch = on_epoch;
    to->on_epoch_user = &pg;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C ends the program at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    double t0 = now();
    pg.epoch_start = t0;
    int st = myelin_train(net, &trv, to);
    double wall = now() - t0;
    sigaction(SIGINT, &old, NULL);
    if (pg.bar)
        fprintf(stderr, "\r\033[K");
    if (st == MYELIN_ESTOPPED && interrupted) {
        fprintf(stderr, "myelin train: interrupted after %zu complete epochs\n", pg.epochs_done);
        if (save) {
            if (myelin_net_save(net, save))
                cli_error(cmd, "--save: %s", myelin_last_error());
            else
                fprintf(stderr, "myelin train: saved %s\n", save);
        }
        rc = 130;
        goto out;
    }
    if (st) {
        cli_error(cmd, "%s", myelin_last_error());
        goto out;
    }

    double tl = NAN, ta = NAN;
    myelin_dataset tev = myelin_data_view(&te);
    if (have_test && myelin_evaluate(net, &tev, &tl, &ta)) {
        cli_error(cmd, "test: %s", myelin_last_error());
        goto out;
    }
    double sps = pg.train_seconds > 0 ? (double)pg.samples / pg.train_seconds : NAN;
    if (json) {
        printf("{\"final\":true,");
        json_num(stdout, "test_loss", tl, 0);
        json_num(stdout, "test_accuracy", ta, 0);
        printf("\"test_samples\":%zu,\"epochs\":%zu,", have_test ? te.rows : 0, pg.epochs_done);
        json_num(stdout, "seconds", wall, 0);
        json_num(stdout, "samples_per_second", sps, 1);
        printf("}\n");
    } else if (!quiet) {
        if (have_test)
            printf("test: loss %.4f  accuracy %.4f  (%zu samples)\n", tl, ta, te.rows);
        printf("trained in %.2f s, %.0f samples/s\n", wall, sps);
    }
    if (profile)
        print_profile(net, pg.schedule);
    if (save) {
        if (myelin_net_save(net, save)) {
            cli_error(cmd, "--save: %s", myelin_last_error());
            goto out;
        }
        if (!json && !quiet)
            printf("saved %s\n", save);
    }
    rc = 0;
out:
    if (hist && fclose(hist) != 0 && rc == 0)
        rc = cli_error(cmd, "--history %s: write error", history);
    myelin_net_free(net);
    myelin_data_free(&tr);
    myelin_data_free(&te);
    myelin_data_free(&va);
    return rc;
}

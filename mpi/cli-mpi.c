/* myelin-mpi: `mpirun -np N myelin-mpi train ...` trains data-parallel with
   the options of `myelin train` (myelin_train_mpi). Every rank reads the
   data and builds the net; rank 0 prints and saves. A separate program so
   that the normal build needs no MPI, and build/myelin stays the same
   binary whether mpicc is there or not. */
#include "cli.h"
#include "myelin_mpi.h"

#include <math.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int rank, nranks;
static char cmd[64] = "train";

/* mpirun ends every rank with SIGTERM when one dies: say so, in words, on
   the way out (write(2) is async-signal-safe; snprintf is not needed). */
static void on_term(int sig)
{
    char msg[160] = "myelin-mpi: rank ";
    size_t n = strlen(msg);
    char d[12];
    int k = 0, r = rank;
    do
        d[k++] = (char)('0' + r % 10);
    while ((r /= 10) > 0);
    while (k)
        msg[n++] = d[--k];
    const char *tail = sig == SIGTERM ? ": ended by SIGTERM (mpirun ends every rank when one fails)\n"
                                      : ": interrupted\n";
    memcpy(msg + n, tail, strlen(tail));
    n += strlen(tail);
    (void)!write(STDERR_FILENO, msg, n);
    _exit(128 + sig);
}

/* One line on stderr in one write, so that the ranks' lines do not mix:
   "myelin-mpi train [rank R/N]: message" (c: the cmd). Returns 1 (the exit
   status). Shaped as cli_error, for cli_train_resolve. */
static int rank_error(const char *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int rank_error(const char *c, const char *fmt, ...)
{
    char line[1024];
    int n = snprintf(line, sizeof line, "myelin-mpi %s: ", c);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = strlen(line);
    line[len++] = '\n';
    (void)!write(STDERR_FILENO, line, len);
    return 1;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    int json, quiet;
    FILE *history;
    double train_seconds;
    size_t samples, epochs_done;
} progress;

static void json_num(const char *key, double v, int last)
{
    if (isfinite(v))
        printf("\"%s\":%.6g%s", key, v, last ? "" : ",");
    else
        printf("\"%s\":null%s", key, last ? "" : ",");
}

static int on_epoch(const myelin_epoch_stats *s, void *user)
{
    progress *p = user;
    p->samples += s->samples;
    p->train_seconds += s->seconds;
    p->epochs_done = s->epoch;
    if (rank != 0)
        return 0;
    const double sps = s->seconds > 0 ? (double)s->samples / s->seconds : NAN;
    if (p->json) {
        printf("{\"epoch\":%zu,\"epochs\":%zu,", s->epoch, s->epochs);
        json_num("loss", s->loss, 0);
        json_num("accuracy", s->accuracy, 0);
        json_num("seconds", s->seconds, 0);
        json_num("lr", s->lr, 0);
        printf("\"ranks\":%d,\"threads\":%d,", nranks, s->threads);
        json_num("samples_per_second", sps, 1);
        printf("}\n");
    } else if (!p->quiet) {
        printf("epoch %*zu/%zu  loss %.4f  acc %.4f  %.2f s  %.0f samples/s\n", s->epochs >= 10 ? 2 : 1, s->epoch,
               s->epochs, s->loss, s->accuracy, s->seconds, isfinite(sps) ? sps : 0.0);
    }
    fflush(stdout);
    if (p->history)
        fprintf(p->history, "%zu,%.6g,%.6g,,,%.6g,%.6g\n", s->epoch, s->loss, s->accuracy, s->seconds, s->lr);
    return 0;
}

/* Every rank's profile, printed by rank 0. */
static void print_profiles(void)
{
    myelin_mpi_profile mine, *all = NULL;
    int ok = myelin_mpi_last_profile(&mine) == MYELIN_OK;
    if (!ok)
        memset(&mine, 0, sizeof mine);
    if (rank == 0)
        all = calloc((size_t)nranks, sizeof *all);
    MPI_Gather(&mine, (int)sizeof mine, MPI_BYTE, all, (int)sizeof mine, MPI_BYTE, 0, MPI_COMM_WORLD);
    if (rank != 0 || !all)
        return;
    printf("\nprofile (ms per step)  threads   compute  exchange  reduce  update  other    step  chunks/step  "
           "MB sent/step\n");
    for (int k = 0; k < nranks; k++) {
        const myelin_mpi_profile *q = &all[k];
        const double st = q->steps ? (double)q->steps : 1.0;
        printf("rank %-3d              %7d  %8.3f  %8.3f  %6.3f  %6.3f  %5.3f  %6.3f  %11.2f  %12.3f\n", k,
               q->threads, 1e3 * q->compute / st, 1e3 * q->exchange / st,
               1e3 * q->reduce / st, 1e3 * q->update / st, 1e3 * q->other / st, 1e3 * q->total / st,
               (double)q->chunks / st, q->bytes_sent / st / 1e6);
    }
    printf("(exchange: the gradient's reduce-scatter and all-gather, waits included; reduce: the tree sums of "
           "the rank's slice)\n");
    free(all);
}

/* Where the MPI tool's options differ from myelin train's. */
static const cli_help_text mpi_help[] = {
    {"data", "fashion-mnist | mnist:DIR | csv:FILE | xor | table3 (every rank reads it)"},
    {"test", "test set, evaluated by rank 0 (default: the set's test part)"},
    {"val", "validation split: not supported with MPI (0 only)"},
    {"standardize", "same as --prep standardize"},
    {"layers", "IN,UNITS:ACT[:opt...],... as myelin train"},
    {"dropconnect", "not supported with MPI"},
    {"batch", "global minibatch size, over all ranks (>= rows: full batch)"},
    {"seed", "initialisation, shuffling, dropout"},
    {"threads", "threads per rank (0: one per physical core)"},
    {"isa", "kernel path: auto scalar avx2 avx512 neon (the same on every rank)"},
    {"save", "rank 0 writes the model (atomically) after training"},
    {"history", "per-epoch figures as CSV (rank 0)"},
    {"profile", "print where each rank's time went"},
    {NULL, NULL},
};

static int cmd_train_mpi(int argc, char **argv)
{
    cli_train_args a;
    cli_train_args_init(&a);
    myelin_train_opts *const to = &a.to;
    size_t chunk = 0;
    float timeout = 60.0f;
    const cli_opt_extra extra[] = {
        {"batch", {"chunk", OPT_SIZE, &chunk, "N",
                   "rows per chunk, the unit ranks share (0: 32, or the batch if smaller)"}},
        {"batch", {"timeout", OPT_FLOAT, &timeout, "S", "seconds a rank waits for the others before giving up"}},
        {NULL, {0}},
    };
    const cli_train_tool tool = {
        "usage: mpirun -np N myelin-mpi train --data SET [options]\n"
        "  e.g. mpirun -np 2 myelin-mpi train --data fashion-mnist --layers "
        "784,128:relu,64:relu,10:softmax --lr 0.05 --batch 128 --threads 1 --save model.myl",
        mpi_help, extra,
        "a validation split is not supported in MPI training (MYELIN_EUNSUPPORTED); evaluate on --test instead",
        rank_error};
    /* the same argv on every rank: a parse error is every rank's */
    if (rank != 0 && (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))))
        return 0;
    int rc = cli_train_parse(cmd, &tool, &a, argc, argv);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (myelin_mpi_set_chunk(chunk) || myelin_mpi_set_timeout(timeout))
        return rank_error(cmd, "--chunk/--timeout: %s", myelin_last_error()), 2;
    if (cli_apply_machine(cmd, &a.m))
        return 1;
    const char *data = a.data, *test = a.test, *save = a.save, *history = a.history;
    const int json = a.json, quiet = a.quiet, profile = a.profile;

    /* every rank loads the data; then they agree that all did */
    myelin_data tr = {0}, te = {0};
    int found = 0, have_test = 0, st = MYELIN_OK;
    char why[400] = "";
    myelin_net *net = NULL;
    FILE *hist = NULL;
    if (cli_load_data(cmd, data, 0, &a.dopt, &tr, &found)) {
        st = MYELIN_EIO;
        snprintf(why, sizeof why, "could not load the training data \"%s\" (its message above)", data ? data : "");
    } else if (!tr.labels) {
        st = MYELIN_EINVAL;
        snprintf(why, sizeof why, "the training data has no label column");
    } else if (cli_build_net(cmd, &a.no, a.loss_i, a.init_i, &tr, to->seed, &a.prep_i, &net)) {
        st = MYELIN_EINVAL;
        snprintf(why, sizeof why, "the network could not be built (its message above)");
    }
    if (!st && rank == 0) { /* only rank 0 evaluates */
        cli_data_opts topt = a.dopt;
        topt.limit = a.test_limit;
        if (cli_load_data(cmd, test ? test : data, test ? 0 : 1, &topt, &te, &found)) {
            st = MYELIN_EIO;
            snprintf(why, sizeof why, "could not load the test data (its message above)");
        }
        have_test = !st && found;
        if (have_test && cli_check_fit(cmd, net, &te, "test")) {
            st = MYELIN_EINVAL;
            snprintf(why, sizeof why, "the test data does not fit the network");
        }
    }
    if (!st && history && rank == 0 && !(hist = fopen(history, "w"))) {
        st = MYELIN_EIO;
        snprintf(why, sizeof why, "--history %s: cannot write", history);
    }
    rc = 1;
    if (myelin_mpi_agree(MPI_COMM_WORLD, st, why)) {
        rank_error(cmd, "%s", myelin_last_error());
        goto out;
    }
    if (hist)
        fprintf(hist, "epoch,loss,accuracy,val_loss,val_accuracy,seconds,lr\n");
    if (rank == 0 && !json && !quiet) {
        cli_train_print_data(net, data, &tr, a.prep_i, NULL, have_test ? &te : NULL);
        const size_t B = to->batch < tr.rows ? to->batch : tr.rows, C = chunk ? (chunk < B ? chunk : B) : (B < 32 ? B : 32);
        printf("\ntraining: %s lr %g, batch %zu in chunks of %zu rows, %zu epochs, %d ranks x %d threads, %s kernels\n",
               cli_opt_names[a.opt_i], (double)to->lr, to->batch, C, to->epochs, nranks, myelin_num_threads(),
               myelin_isa());
        fflush(stdout);
    }
    progress pg = {json, quiet, hist, 0, 0, 0};
    to->on_epoch = on_epoch;
    to->on_epoch_user = &pg;
    myelin_dataset trv = myelin_data_view(&tr);
    const double t0 = now();
    st = myelin_train_mpi(net, &trv, to, MPI_COMM_WORLD);
    const double wall = now() - t0;
    if (st == MYELIN_EIO) {
        /* the exchange failed: the communicator is unusable, end the job */
        rank_error(cmd, "%s; ending the job", myelin_last_error());
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    if (st) {
        rank_error(cmd, "%s", myelin_last_error());
        goto out;
    }
    if (rank == 0) {
        double tl = NAN, ta = NAN;
        myelin_dataset tev = myelin_data_view(&te);
        if (have_test && myelin_evaluate(net, &tev, &tl, &ta))
            rank_error(cmd, "test: %s", myelin_last_error());
        const double sps = pg.train_seconds > 0 ? (double)pg.samples / pg.train_seconds : NAN;
        if (json) {
            printf("{\"final\":true,");
            json_num("test_loss", tl, 0);
            json_num("test_accuracy", ta, 0);
            printf("\"test_samples\":%zu,\"epochs\":%zu,\"ranks\":%d,", have_test ? te.rows : 0, pg.epochs_done, nranks);
            json_num("seconds", wall, 0);
            json_num("samples_per_second", sps, 1);
            printf("}\n");
        } else if (!quiet) {
            if (have_test)
                printf("test: loss %.4f  accuracy %.4f  (%zu samples)\n", tl, ta, te.rows);
            printf("trained in %.2f s, %.0f samples/s\n", wall, sps);
        }
        fflush(stdout);
    }
    if (profile)
        print_profiles();
    rc = 0;
    if (rank == 0 && save) {
        if (myelin_net_save(net, save))
            rc = rank_error(cmd, "--save: %s", myelin_last_error());
        else if (!json && !quiet)
            printf("saved %s\n", save);
    }
out:
    if (hist && fclose(hist) != 0 && rc == 0)
        rc = rank_error(cmd, "--history %s: write error", history);
    myelin_net_free(net);
    myelin_data_free(&tr);
    myelin_data_free(&te);
    return rc;
}

int main(int argc, char **argv)
{
    int provided = 0;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "myelin-mpi: MPI_Init_thread failed\n");
        return 1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    snprintf(cmd, sizeof cmd, "train [rank %d/%d]", rank, nranks);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    int rc;
    if (argc >= 2 && !strcmp(argv[1], "train")) {
        rc = cmd_train_mpi(argc - 1, argv + 1);
    } else {
        if (rank == 0)
            fprintf(stderr, "usage: mpirun -np N myelin-mpi train --data SET [options]   (myelin-mpi train --help)\n");
        rc = 2;
    }
    fflush(stdout);
    MPI_Finalize();
    return rc;
}

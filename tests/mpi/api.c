/* The API of libmyelin_mpi on every rank (tests/phase-mpi.sh runs it on 1, 2
   and 3 ranks): arguments checked, a bad argument on one rank named on every
   rank, unsupported options refused, and the trained weights the same bytes
   on every rank and for every number of ranks (printed by rank 0 as a hash,
   which the script compares). Prints "ok ..." / "FAIL ..." lines (rank 0). */
#include "myelin_mpi.h"

#include <stdio.h>
#include <string.h>

static int rank, fails;

static void check(int cond, const char *what)
{
    int all = 0, mine = cond ? 0 : 1;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD); /* a count: order does not matter */
    if (rank == 0)
        printf("%s %s%s\n", all ? "FAIL" : "ok  ", what, all ? " (on some rank)" : "");
    fails += all != 0;
}

static unsigned long long hash_net(const myelin_net *net)
{
    unsigned long long h = 1469598103934665603ull;
    for (size_t l = 0; l < myelin_net_num_layers(net); l++) {
        myelin_layer_spec s;
        myelin_net_layer(net, l, &s);
        size_t fin = l ? 0 : myelin_net_inputs(net);
        if (l) {
            myelin_layer_spec p;
            myelin_net_layer(net, l - 1, &p);
            fin = p.units;
        }
        float w[64 * 64], b[64];
        myelin_net_get_params(net, l, w, b);
        const unsigned char *c = (const unsigned char *)w;
        for (size_t i = 0; i < fin * s.units * sizeof(float); i++)
            h = (h ^ c[i]) * 1099511628211ull;
        c = (const unsigned char *)b;
        for (size_t i = 0; i < s.units * sizeof(float); i++)
            h = (h ^ c[i]) * 1099511628211ull;
    }
    return h;
}

int main(int argc, char **argv)
{
    int provided;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    int size;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    myelin_data d;
    myelin_data_builtin("table3", &d);
    myelin_dataset view = myelin_data_view(&d);
    myelin_net *net;
    myelin_net_create_str("3,6:tanh:dropout=0.1,4:relu,1:sigmoid", MYELIN_LOSS_BCE, 7, &net);
    myelin_train_opts o;
    myelin_train_opts_default(&o);
    o.opt = MYELIN_OPT_ADAM;
    o.lr = 0.05f;
    o.epochs = 20;
    o.batch = 6;
    o.seed = 3;

    check(myelin_mpi_set_timeout(-1.0) == MYELIN_EINVAL, "myelin_mpi_set_timeout(-1): MYELIN_EINVAL");
    check(myelin_mpi_set_chunk(2) == MYELIN_OK, "myelin_mpi_set_chunk(2)");
    myelin_mpi_profile pr;
    check(myelin_mpi_last_profile(NULL) == MYELIN_EINVAL, "myelin_mpi_last_profile(NULL): MYELIN_EINVAL");
    check(myelin_train_mpi(net, &view, &o, MPI_COMM_NULL) == MYELIN_EINVAL, "comm MPI_COMM_NULL: MYELIN_EINVAL");
    /* a NULL net on the last rank only: every rank fails, naming it */
    int st = myelin_train_mpi(rank == size - 1 ? NULL : net, &view, &o, MPI_COMM_WORLD);
    char want[64];
    snprintf(want, sizeof want, "rank %d: myelin_train_mpi: net is NULL", size - 1);
    check(st == MYELIN_EINVAL && strstr(myelin_last_error(), want), "a NULL net on the last rank: every rank names it");
    myelin_train_opts bad = o;
    bad.lr = rank == 0 ? 0.05f : 0.06f;
    st = myelin_train_mpi(net, &view, &bad, MPI_COMM_WORLD);
    check(size == 1 ? st == MYELIN_OK : st == MYELIN_EINVAL && strstr(myelin_last_error(), "other training options"),
          "other options on ranks >= 1: MYELIN_EINVAL before training");
    myelin_net_free(net);
    myelin_net_create_str("3,6:tanh:dropout=0.1,4:relu,1:sigmoid", MYELIN_LOSS_BCE, 7, &net);
    bad = o;
    bad.val = &view;
    check(myelin_train_mpi(net, &view, &bad, MPI_COMM_WORLD) == MYELIN_EUNSUPPORTED, "opts->val: MYELIN_EUNSUPPORTED");
    o.profile = 1;
    st = myelin_train_mpi(net, &view, &o, MPI_COMM_WORLD);
    check(st == MYELIN_OK, "20 epochs of Adam with dropout on table3");
    check(myelin_mpi_last_profile(&pr) == MYELIN_OK && pr.ranks == size && pr.steps == 40,
          "myelin_mpi_last_profile: 40 steps on every rank");
    unsigned long long h = hash_net(net), h0 = h;
    MPI_Bcast(&h0, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
    check(h == h0, "the same weights on every rank");
    double loss, acc;
    myelin_evaluate(net, &view, &loss, &acc);
    if (rank == 0)
        printf("weights %016llx\n", h);
    myelin_net_free(net);
    myelin_data_free(&d);
    MPI_Finalize();
    return fails != 0;
}

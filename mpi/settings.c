/* The process-wide settings of MPI training, the last run's profile, and
   the argument checks of myelin_train_mpi. */
#include "mpi-agree.h"

#include <math.h>

/* 0: the default, MYL_MPI_CHUNK rows (B if smaller). Smaller chunks share
   a minibatch among more ranks but cost more per row: each chunk writes a
   whole gradient (437 KB for 784-128-64-10) that the tree then adds up, and
   the dW products' K is the chunk. 784-128-64-10 b128, one thread, one
   rank: 1.93 / 1.46 / 1.27 / 1.00 ms a step with chunks of 16 / 32 / 64 /
   128 rows (load ~8, one run each). */
enum { MYL_MPI_CHUNK = 32 };
static size_t chunk_setting;
size_t myl_mpi_chunk(size_t B)
{
    const size_t c = chunk_setting ? chunk_setting : MYL_MPI_CHUNK;
    return c < B ? c : B;
}

static double timeout_setting = 60.0;
static myelin_mpi_profile last_profile;
static int have_profile;

int myelin_mpi_set_chunk(size_t rows)
{
    if (rows > ((size_t)1 << 31))
        return myl_fail(MYELIN_EINVAL, "myelin_mpi_set_chunk: %zu rows is too many", rows);
    chunk_setting = rows;
    return MYELIN_OK;
}

int myelin_mpi_set_timeout(double seconds)
{
    if (!(isfinite(seconds) && seconds > 0.0))
        return myl_fail(MYELIN_EINVAL, "myelin_mpi_set_timeout: %g must be finite and > 0", seconds);
    timeout_setting = seconds;
    return MYELIN_OK;
}

double myl_mpi_timeout(void) { return timeout_setting; }

int myelin_mpi_last_profile(myelin_mpi_profile *out)
{
    if (!out)
        return myl_fail(MYELIN_EINVAL, "myelin_mpi_last_profile: out is NULL");
    if (!have_profile)
        return myl_fail(MYELIN_EINVAL, "myelin_mpi_last_profile: no profiled myelin_train_mpi call yet "
                        "(set opts.profile = 1)");
    *out = last_profile;
    return MYELIN_OK;
}

void myl_mpi_store_profile(const myelin_mpi_profile *p)
{
    last_profile = *p;
    have_profile = 1;
}

/* The checks of myelin_train (the engine's own), and what this mode does not do. */
int myl_mpi_check_args(const myelin_net *net, const myelin_dataset *d, const myelin_train_opts *o)
{
    if (!net)
        return myl_fail(MYELIN_EINVAL, "myelin_train_mpi: net is NULL");
    int st = myl_check_train_opts(o);
    if (st)
        return st;
    st = myl_check_dataset(net, d, "training", 1);
    if (st)
        return st;
    if (o->precision != MYELIN_PRECISION_FP32) /* its step is its own (train-mpi.c), FP32 only */
        return myl_fail(MYELIN_EUNSUPPORTED, "myelin_train_mpi: BF16 training (opts->precision) is not supported in "
                        "MPI training; train in FP32");
    if (o->val)
        return myl_fail(MYELIN_EUNSUPPORTED, "myelin_train_mpi: a validation set (opts->val) is not supported in "
                        "MPI training; evaluate after training instead");
    for (size_t l = 0; l < net->n_layers; l++)
        if (net->spec[l].dropconnect > 0.0f)
            return myl_fail(MYELIN_EUNSUPPORTED, "myelin_train_mpi: DropConnect (layer %zu) is not supported in "
                            "MPI training", l);
    return MYELIN_OK;
}


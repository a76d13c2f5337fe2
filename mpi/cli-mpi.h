/* cli-mpi.h - the network of `myelin-mpi train`, built as `myelin train`
   builds it (cli-mpi-net.c). */
#ifndef MYL_CLI_MPI_H
#define MYL_CLI_MPI_H

#include "cli.h"

#include <stdint.h>

typedef struct {
    const char *layers, *loss, *init, *init_scale, *bias_init, *lr_mult, *dropout, *in_dropout, *dropconnect;
} net_opts;

/* The net from the options (defaults from the data), with the input
   preprocessing prep (1 none, 2 scale, 3 standardize, 0 auto) from d's
   statistics. 0, or 1 after a message on stderr. */
int build_net(const char *cmd, const net_opts *no, const myelin_data *d, uint64_t seed, int prep, myelin_net **out);

#endif

/* mpi-agree.h - the ranks' agreement before training (agree.c), and the
   process-wide settings of the MPI training (train-mpi.c). */
#ifndef MYL_MPI_AGREE_H
#define MYL_MPI_AGREE_H

#include "mpi-internal.h"

/* What each rank tells the others before training: a fixed-size record,
   gathered from every rank. */
typedef struct {
    int32_t status;            /* MYELIN_OK or this rank's failure         */
    int32_t check;             /* 1: compare the fields below with rank 0's */
    uint64_t opts_hash, net_hash, data_hash, rows, cols;
    char isa[16];
    char message[400];         /* this rank's failure                      */
} myl_hello;

uint64_t myl_hash_opts(const myelin_train_opts *o, size_t chunk);
uint64_t myl_hash_net(const myelin_net *net);
uint64_t myl_hash_data(const myelin_dataset *d);

/* Gathers every rank's record; the same status (and message naming the
   first rank at fault) on every rank. */
int myl_agree(const myl_mpi_ctx *c, const myl_hello *mine, const char *what);

/* Our duplicate of comm with MPI_ERRORS_RETURN; closed healthy or not. */
int myl_ctx_open(MPI_Comm comm, double timeout, myl_mpi_ctx *c);
void myl_ctx_close(myl_mpi_ctx *c, int healthy);

double myl_mpi_timeout(void);
/* Rows per chunk for a minibatch of B rows (settings.c). */
size_t myl_mpi_chunk(size_t B);

/* myelin_train_mpi's own checks of its arguments, before the agreement. */
int myl_mpi_check_args(const myelin_net *net, const myelin_dataset *d, const myelin_train_opts *o);
/* Keeps a run's profile for myelin_mpi_last_profile. */
void myl_mpi_store_profile(const myelin_mpi_profile *p);

#endif

/*
 * myelin_mpi.h - data-parallel training over MPI (libmyelin_mpi.so, which
 * holds the whole of Myelin as well: link -lmyelin_mpi instead of -lmyelin).
 *
 * Every rank holds the whole net. A minibatch of B rows is cut into chunks of
 * a fixed number of rows (myelin_mpi_set_chunk; independent of the number of
 * ranks); each rank computes the gradient of its chunks, and the chunks'
 * gradients are summed on a fixed binary tree over the chunks whatever rank
 * computed them, so the trained bytes are the same on any number of ranks and
 * threads. The bytes differ from myelin_train's: it sums a minibatch in one
 * product, this in chunks.
 */
#ifndef MYELIN_MPI_H
#define MYELIN_MPI_H

#include "myelin.h"

#include <mpi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Trains net on every rank of comm (a collective call: every rank calls it,
   with the same net, options and data; each rank reads all rows of data).
   The ranks first compare a hash of the options, the net (shape and weights)
   and the data (shape and contents); any difference, or a rank whose own
   arguments are bad, makes every rank return the same status and a message
   naming the first rank at fault. Supported: every activation, loss,
   initialiser and optimiser, schedules, layer decay, L1/L2, dropout, the
   callbacks (called on every rank; a stop asked by any rank stops every rank
   after the same minibatch: an on_batch stop takes effect after the next
   minibatch) and opts->profile (myelin_mpi_last_profile). Not supported
   (MYELIN_EUNSUPPORTED): DropConnect and a validation set (opts->val).
   A non-finite loss stops with MYELIN_ENUMERIC and the weights before the
   step that produced it. A failed or timed-out exchange (a rank died or
   stopped answering within myelin_mpi_set_timeout's seconds) returns
   MYELIN_EIO with a message naming the rank and the step: comm is then
   unusable, and the caller should MPI_Abort. MPI must be initialised (with at
   least MPI_THREAD_FUNNELED; call from the main thread). */
int myelin_train_mpi(myelin_net *net, const myelin_dataset *train, const myelin_train_opts *opts, MPI_Comm comm);

/* Rows per chunk for the next calls (0: the default, 32, or the minibatch B
   if smaller; at most B / chunk ranks have work). The trained bytes depend on
   it, not on the number of ranks. */
int myelin_mpi_set_chunk(size_t rows);
/* Seconds a rank waits for the others in one exchange before giving up
   (default 60; > 0). */
int myelin_mpi_set_timeout(double seconds);

/* Where the last myelin_train_mpi call's time went on this rank (seconds). */
typedef struct {
    double compute;        /* forward and backward of this rank's chunks, local sums  */
    double exchange;       /* the gradient exchange: sends, waits, receives           */
    double reduce;         /* the tree sums of this rank's share of the gradient      */
    double update;         /* the optimiser                                           */
    double other;          /* shuffles, callbacks, the rest                           */
    double total;          /* wall time of the epochs                                 */
    size_t steps;          /* minibatches                                             */
    size_t chunks;         /* chunks this rank computed                               */
    double bytes_sent;     /* gradient bytes this rank sent                           */
    int rank, ranks, threads;
} myelin_mpi_profile;

int myelin_mpi_last_profile(myelin_mpi_profile *out);

/* Collective: combines one status per rank. Each rank passes its own
   (MYELIN_OK, or a negative status and a message); every rank gets back
   MYELIN_OK if all are, else the lowest failing rank's status, with
   myelin_last_error() = "rank R: its message" (and how many ranks failed).
   For programs that must fail together before training (a rank whose data
   would not load). Waits at most the timeout. */
int myelin_mpi_agree(MPI_Comm comm, int status, const char *message);

#ifdef __cplusplus
}
#endif
#endif /* MYELIN_MPI_H */

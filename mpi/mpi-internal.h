/* mpi-internal.h - shared by the files of libmyelin_mpi (not installed). */
#ifndef MYL_MPI_INTERNAL_H
#define MYL_MPI_INTERNAL_H

#include "myelin_mpi.h"
#include "network.h"

#include <stddef.h>
#include <stdint.h>

/* ---- the chunks of one minibatch (chunk-grad.c) */

/* Per-thread buffers for one chunk's forward and backward pass. */
typedef struct {
    size_t rows;                            /* chunk capacity                  */
    float *x, *t, *p;                       /* rows x inputs, rows x outputs    */
    float *y[MYELIN_MAX_LAYERS];            /* layer outputs                    */
    float *g[MYELIN_MAX_LAYERS];            /* dL/dz of each layer              */
    float *din[MYELIN_MAX_LAYERS];          /* dropped-out input of layer l     */
} myl_chunk_ws;

int myl_chunk_ws_alloc(const myelin_net *net, size_t rows, myl_chunk_ws *ws);
void myl_chunk_ws_free(myl_chunk_ws *ws);

/* Parameters of the net as one vector: layer 0's W, b, layer 1's W, b, ... */
size_t myl_param_count(const myelin_net *net);
/* Offset of layer l's W in that vector (its b follows at + fan_in * units). */
size_t myl_param_offset(const myelin_net *net, size_t l);

/* One chunk: rows [c0, c0 + rc) of the minibatch (rows first.. of the order
   idx, r rows in all): gathered, forward, loss, backward. The gradient of
   the minibatch's mean loss restricted to these rows goes to grad (the
   vector layout above), its loss sum to *loss_sum and right answers to
   *correct. Dropout masks keyed by (seed, step, row of the minibatch):
   the engine's. Runs on the calling thread. */
int myl_chunk_grad(const myelin_net *net, const myl_kernels *k, const myelin_dataset *d, const uint32_t *idx,
                   size_t first, size_t r, size_t c0, size_t rc, uint64_t seed, uint64_t step, myl_chunk_ws *ws,
                   float *grad, double *loss_sum, double *correct);

/* ---- the fixed summation tree over chunks (tree.c)

   The chunks 0..n-1 of a minibatch are the leaves of a binary tree over
   [0, 2^k) (2^k >= n); a node's sum is its left child's plus its right
   child's (a child beyond n-1 is left out). A rank owning the chunks [a, b)
   sums the maximal nodes inside [a, b); the owner of a slice of the
   gradient sums those nodes over all ranks by the same tree. Every sum is
   thus the same float operations whatever the ranks. */
typedef struct {
    size_t lo, hi; /* leaves [lo, hi) of the node (hi clipped to n) */
} myl_node;

/* The maximal nodes inside [a, b) of a tree over n leaves, left to right;
   returns their number (at most 2 * 64). */
size_t myl_tree_cover(size_t n, size_t a, size_t b, myl_node *out, size_t cap);
/* Sums node [lo, hi) from the parts given: parts[i] (len floats each) holds
   the sum of nodes[i]; nodes cover [lo, hi) exactly. The result goes to the
   first part inside [lo, hi) (others are overwritten too); returns its index. */
size_t myl_tree_sum(size_t n, size_t lo, size_t hi, const myl_node *nodes, size_t count, float *const *parts,
                    size_t len);

/* ---- communication with a deadline (exchange.c) */

typedef struct {
    MPI_Comm comm;       /* our own duplicate, MPI_ERRORS_RETURN           */
    int rank, size;
    double timeout;      /* seconds                                         */
} myl_mpi_ctx;

/* Waits for req within ctx->timeout; MYELIN_OK or MYELIN_EIO with a message
   naming this rank, what (e.g. "the gradient exchange of epoch 2, minibatch
   7") and the cause. */
int myl_mpi_wait(const myl_mpi_ctx *c, MPI_Request *req, const char *what);
int myl_mpi_waitall(const myl_mpi_ctx *c, int n, MPI_Request *req, const char *what);
/* MPI status err of a call, as above; MYELIN_OK when err is MPI_SUCCESS. */
int myl_mpi_check(const myl_mpi_ctx *c, int err, const char *what);

/* Gathers len bytes from every rank into all (size x len). */
int myl_mpi_allgather(const myl_mpi_ctx *c, const void *mine, void *all, size_t len, const char *what);

/* Slice s of a vector of len floats among size ranks: [lo(s), lo(s + 1)). */
size_t myl_slice_lo(size_t len, int size, int s);

/* The exchange's buffers, allocated once for a run. */
typedef struct {
    char *send, *recv;
    size_t send_cap, recv_cap;
    int *counts;
} myl_xbuf;
int myl_xbuf_alloc(myl_xbuf *x, const myl_mpi_ctx *c, size_t nch_max, size_t len);
void myl_xbuf_free(myl_xbuf *x);

/* One step's exchange of the nch chunks' gradients (len floats). mine[i]:
   the sums of this rank's cover nodes (myl_tree_cover of its chunks, the
   rank's share [nch k / N, nch (k + 1) / N)), overwritten; stats: two
   doubles per chunk of this rank (loss sum, right answers) and a flag. Out:
   grad, the sum of all chunks on the tree (the same bytes on every rank);
   all_stats: the chunks' stats in chunk order (2 nch doubles) and each
   rank's flag (N doubles). Adds its times and bytes to *t_reduce and
   *bytes_sent. */
int myl_grad_exchange(const myl_mpi_ctx *c, myl_xbuf *x, size_t nch, size_t len, float *const *mine,
                      const double *stats, float *grad, double *all_stats, const char *what, double *t_reduce,
                      double *bytes_sent);

#endif

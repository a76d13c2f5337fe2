/* network.h - the network object and the engine's internal entry points
   (net.c, init.c, optim.c, train.c, predict.c). Not installed. */
#ifndef MYL_NETWORK_H
#define MYL_NETWORK_H

#include "internal.h"

/* How the loss is tied to the output layer. */
enum {
    MYL_FUSE_NONE = 0,   /* dL/dy from myelin_loss_eval, then the activation's backward */
    MYL_FUSE_SOFTMAX_CE, /* softmax + categorical CE: dL/dz = (p - t) / rows             */
    MYL_FUSE_SIGMOID_BCE /* sigmoid + binary CE: the logit form, dL/dz = (p - t) / rows  */
};

/* Where layer 0's weights live. Training steps that give each thread its
   own units of layer 0 keep them as column blocks (params.c); only params.c
   reads or writes this, and every other reader of the weights goes through
   it (params.h). */
typedef struct {
    float *blocks;  /* block 0: units [0, c0), block 1: [c0, units), each row-major */
    size_t c0;      /* 0: no blocks                                                 */
    int live;       /* the blocks hold the weights and net->w[0] is stale           */
    unsigned gen;   /* counts writes through myelin_net_set_params                  */
} myl_param_layout;

struct myelin_net {
    size_t inputs, n_layers;
    myelin_layer_spec spec[MYELIN_MAX_LAYERS];
    size_t fan_in[MYELIN_MAX_LAYERS];        /* inputs of layer l                      */
    float *w[MYELIN_MAX_LAYERS];             /* fan_in x units, row-major               */
    float *b[MYELIN_MAX_LAYERS];             /* units                                   */
    myelin_loss loss;
    int fuse;                                /* MYL_FUSE_*                              */
    float *in_offset, *in_scale;             /* input transform, `inputs` each          */
    int has_transform;
    myelin_profile profile;
    int has_profile;
    myl_param_layout layout;                 /* where layer 0's weights live (params.c) */
    void *train_cache;                       /* the last training run's buffers...      */
    void (*train_cache_free)(void *);        /* ...and who frees them (set by training)  */
};

/* The widest layer (inputs included), for sizing buffers. */
size_t myl_net_max_width(const myelin_net *net);
/* Fills W and b of every layer from the spec's initialisers (init.c). */
void myl_net_init_params(myelin_net *net, uint64_t seed);

/* Activation the forward GEMM applies for layer l: the output layer of a fused
   loss produces logits (linear); the fusion applies softmax/sigmoid itself. */
static inline int myl_layer_fwd_act(const myelin_net *net, size_t l)
{
    if (l + 1 == net->n_layers && net->fuse != MYL_FUSE_NONE)
        return MYL_ACT_LINEAR;
    return (int)net->spec[l].act;
}

/* Validates myelin_train_opts (myelin_train and myelin_train_mpi). */
int myl_check_train_opts(const myelin_train_opts *o);

/* Validates a dataset against the net: which = "train", "validation", "data";
   need_targets: 1 requires y or labels. */
int myl_check_dataset(const myelin_net *net, const myelin_dataset *d, const char *which, int need_targets);

/* Gathers rows idx[0..r) (idx NULL: rows first..first+r) of d into x (r x
   inputs, row stride inputs) with the input transform applied, and (when t is
   not NULL and d has targets) the targets into t (r x outputs). */
void myl_gather_batch(const myelin_net *net, const myelin_dataset *d, const uint32_t *idx, size_t first,
                      size_t r, float *x, float *t, int threads);
/* The same, and (idx not NULL) prefetches the next next_r <= r rows of the
   order, idx[first + r ..], each by the thread that converts the row at the
   same position now: called with the next minibatch's size in training, its
   memory latency overlaps the step's products instead of the next gather. */
void myl_gather_prefetch(const myelin_net *net, const myelin_dataset *d, const uint32_t *idx, size_t first,
                         size_t r, float *x, float *t, int threads, size_t next_r);
/* Byte datasets (d->x_u8): myl_gather_prefetch on one thread that also keeps
   the minibatch's bytes in raw (r x inputs) (x NULL: only the bytes), and the
   conversion of such bytes into x: the same floats as the gather's. */
void myl_stage_batch(const myelin_net *net, const myelin_dataset *d, const uint32_t *idx, size_t first, size_t r,
                     uint8_t *raw, float *x, float *t, size_t next_r);
/* Rows lo..hi-1 only of myl_stage_batch (and of its prefetch). */
void myl_stage_rows(const myelin_net *net, const myelin_dataset *d, const uint32_t *idx, size_t first, size_t r,
                    uint8_t *raw, float *x, float *t, size_t next_r, size_t lo, size_t hi);
void myl_convert_batch(const myelin_net *net, const uint8_t *raw, size_t r, float *x);

/* Loss of one batch: out holds the output layer's activations (its logits
   for a fused loss), t the targets (rows x outputs). The sum over rows of the
   loss goes to *loss_sum and the number of rows classified right to *correct.
   p (rows x outputs) receives the probabilities of a fused loss. When g is not
   NULL it receives dL/dz of the output layer for the mean loss over rows.
   Returns 0 or the loss helper's status. */
int myl_output_loss(const myelin_net *net, const myl_kernels *k, size_t rows, const float *out,
                    float *p, const float *t, double *loss_sum, size_t *correct, float *g);

/* Softmax Jacobian product in place, row by row (a softmax output with a
   loss it is not fused with): g = y (.) (g - sum(g*y)). */
void myl_softmax_backward(size_t rows, size_t n, const float *y, float *g);

/* Class of one output row: argmax, or 0/1 at 0.5 for one output. */
static inline int32_t myl_row_class(const float *p, size_t n)
{
    if (n == 1)
        return p[0] >= 0.5f ? 1 : 0;
    size_t best = 0;
    for (size_t j = 1; j < n; j++)
        if (p[j] > p[best])
            best = j;
    return (int32_t)best;
}

/* Inference forward pass of r rows already gathered into x; bufs[l] holds
   layer l's output (r x units). The last buffer holds probabilities for
   fused losses when to_proba is set, else logits. */
int myl_forward_infer(const myelin_net *net, size_t r, const float *x, float *const *bufs, int to_proba);

/* Buffers for inference on `chunk` rows at a time. */
typedef struct {
    size_t chunk;
    float *x, *t, *p;                   /* chunk x inputs, chunk x outputs (x2)     */
    float *bufs[MYELIN_MAX_LAYERS];     /* chunk x units of each layer              */
    int owned;
} myl_infer_ws;
int myl_infer_ws_alloc(const myelin_net *net, size_t chunk, myl_infer_ws *ws);
void myl_infer_ws_free(myl_infer_ws *ws);
/* Mean data loss (no penalty) and accuracy of the net on d. */
int myl_eval_dataset(const myelin_net *net, const myl_kernels *k, const myelin_dataset *d, myl_infer_ws *ws,
                     int threads, double *loss, double *accuracy);

/* Flush-to-zero and denormals-are-zero in every thread of the engine's team
   (see the comment in train.c); the previous state is kept in saved[] (one per
   thread, at least myl_threads() entries) for myl_fpenv_restore. */
void myl_fpenv_enter(unsigned *saved, int threads);
void myl_fpenv_restore(const unsigned *saved, int threads);

/* The analytic gradient of the mean training loss (data loss + L1/L2 penalty)
   w.r.t. every parameter on rows x of d, for tests: dw[l] (fan_in x units) and
   db[l] (units). With dropout_step != UINT64_MAX the dropout and DropConnect
   masks of that (seed, step) are applied as in training. *loss gets the loss. */
int myl_net_gradients(myelin_net *net, const myelin_dataset *d, float l1, float l2, uint64_t seed,
                      uint64_t dropout_step, float *const *dw, float *const *db, double *loss);

#endif

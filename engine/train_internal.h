/* train_internal.h - shared by the training files: the workspace
   (train_ws.c), the layers' passes (train_layers.c), the schedules
   (schedule.c, schedule_tasks.c), recovery (recovery.c) and the epoch loop
   (train.c). Not installed. */
#ifndef MYL_TRAIN_INTERNAL_H
#define MYL_TRAIN_INTERNAL_H

#include "network.h"
#include "optim.h"
#include "schedule.h"

/* Where this step's minibatch is, when a step before gathered it. */
typedef enum { MYL_BATCH_NONE = 0, MYL_BATCH_FLOATS, MYL_BATCH_BYTES } myl_batch_state;

typedef struct {
    myelin_net *net;
    const myl_kernels *k;
    const myl_schedule *sched;
    size_t batch, rows;              /* rows: the training set's (0: not training)      */
    int threads;
    int key_threads, key_opt, key_l1;/* what else decided the buffers (cached_ws)      */
    myl_sched_tuning key_tuning;
    float slope;
    float *x0, *t, *p;
    float *x0_next, *t_next;         /* the next minibatch, gathered during this step  */
    myl_batch_state have;            /* this step's minibatch is already in place      */
    size_t k1;                       /* layer 1's forward in two K parts (myl_layer1_split) */
    float *q[2];                     /* its two parts, inputs [0, k1) and [k1, fan_in)   */
    int q_ready;                     /* both parts are in q: only their sum is left      */
    /* the pair table: thread 1's own copies of what both threads compute */
    float *ty[MYELIN_MAX_LAYERS], *tg[MYELIN_MAX_LAYERS], *tp; /* layers >= 1 */
    float *tw[MYELIN_MAX_LAYERS], *tb[MYELIN_MAX_LAYERS];      /* W (l >= 2), b (l >= 1) */
    float *tdin[MYELIN_MAX_LAYERS], *twd[MYELIN_MAX_LAYERS], *tdw[MYELIN_MAX_LAYERS], *tdb[MYELIN_MAX_LAYERS];
    unsigned twin_gen;               /* net->layout.gen the copies were made at          */
    uint8_t *raw, *raw_next;         /* tables on halves, bytes: the minibatch's bytes   */
    float *x1, *x1_next;             /* tables on halves, bytes: thread 1's copy of it   */
    float *y[MYELIN_MAX_LAYERS];     /* layer outputs (logits for a fused last layer)   */
    float *din[MYELIN_MAX_LAYERS];   /* dropped-out copy of layer l's input (l > 0)     */
    float *g[MYELIN_MAX_LAYERS];     /* dL/dz of layer l                                */
    float *dw[MYELIN_MAX_LAYERS], *db[MYELIN_MAX_LAYERS];
    float *wd[MYELIN_MAX_LAYERS];    /* DropConnect's masked weights                    */
    float *sw[2][MYELIN_MAX_LAYERS], *sb[2][MYELIN_MAX_LAYERS]; /* optimiser state      */
    float *wprev[MYELIN_MAX_LAYERS], *bprev[MYELIN_MAX_LAYERS]; /* checkpoint: weights  */
    float *swprev[2][MYELIN_MAX_LAYERS], *sbprev[2][MYELIN_MAX_LAYERS]; /* and state      */
    uint64_t ckpt_step;              /* the checkpoint holds the state before this step */
    int have_ckpt;
    uint64_t perm_epoch;             /* the epoch whose order perm holds (0: none)      */
    int fast[MYELIN_MAX_LAYERS];     /* update fused into the dW GEMM                   */
    uint32_t *perm;
    unsigned *fpsave;
    /* what a step uses */
    uint64_t seed;
    int masks;                       /* apply dropout and DropConnect                   */
    int bf16;                        /* products in BF16 (myl_train_gemm)               */
    myelin_profile *prof;            /* NULL when not profiling                          */
    double mark;
} train_ws;

/* Learning rate of each layer for this epoch (opts NULL: gradients only). */
typedef struct {
    const myelin_train_opts *o;
    myl_opt_cfg cfg;
    float lr[MYELIN_MAX_LAYERS];
    uint64_t t; /* 1-based step */
} update_plan;

/* ---- train_ws.c */
/* rows: the training set's rows (0: no permutation, no schedule); grads:
   keep dW/db for every layer; o (NULL: gradients only) decides the fused
   SGD path; snapshot: keep the last good weights. */
int myl_ws_alloc(train_ws *ws, myelin_net *net, const myl_kernels *k, size_t batch, size_t rows, int grads,
                 const myelin_train_opts *o, int snapshot);
void myl_ws_free(train_ws *ws);

/* ---- train_layers.c */
double myl_now(void);
/* Every product of a training step: myl_gemm, or the BF16 GEMM when
   ws->bf16 (sigmoid, tanh and softmax then applied to the rows after it:
   the BF16 epilogue does not fuse them). */
int myl_train_gemm(const train_ws *ws, int ta, int tb, size_t m, size_t n, size_t k, float alpha, const float *a,
                   size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc, const float *bias,
                   int act, float slope);
/* Adds the time since the last lap to *field (profiling only). */
static inline void myl_lap(train_ws *ws, double *field)
{
    if (!ws->prof)
        return;
    double t = myl_now();
    *field += t - ws->mark;
    ws->mark = t;
}
/* Layers lo..hi-1 forward on r rows (from x0 when lo is 0). */
int myl_forward_layers(train_ws *ws, size_t r, uint64_t step, size_t lo, size_t hi);
/* The loss sum and correct count of the batch in t, and dL/dz of the last
   layer when want_grad. */
int myl_output_loss_ws(train_ws *ws, size_t r, double *loss_sum, size_t *correct, int want_grad);
/* Layers hi-1 down to lo backward; plan NULL: only the gradients. */
int myl_backward_layers(train_ws *ws, size_t r, uint64_t step, const update_plan *plan, float l1, float l2,
                        size_t lo, size_t hi);
/* The penalty l1 |w| + l2/2 w^2 over all weights, the same for any threads. */
double myl_penalty(const myelin_net *net, float l1, float l2, int threads);
/* b -= lr * (column sums of g), row by row (g: r rows of n, stride ld). */
void myl_sgd_bias(size_t r, size_t n, size_t ld, float lr, const float *g, float *b);

/* ---- recovery.c: checkpoint and rewind */
int myl_checkpoint_due(const train_ws *ws, uint64_t step);
/* A checkpoint when due: after step's loss was found finite, before it
   updates anything. */
void myl_checkpoint(train_ws *ws, uint64_t step);
/* Thread part of parts' share of a due checkpoint inside a parallel
   region; the caller records it with myl_checkpoint_taken. */
void myl_checkpoint_part(train_ws *ws, int part, int parts);
void myl_checkpoint_taken(train_ws *ws, uint64_t step);
/* Puts the net back in the state before step `target`: the checkpoint,
   then the steps since it replayed. */
int myl_rewind_to(train_ws *ws, const myelin_dataset *d, const myelin_train_opts *o, uint64_t target);
int myl_all_finite(const myelin_net *net);
double myl_epoch_lr(const myelin_train_opts *o, size_t epoch);
void myl_plan_epoch(update_plan *plan, const myelin_net *net, const myelin_train_opts *o, size_t epoch);
void myl_load_order(train_ws *ws, const myelin_train_opts *o, size_t rows, size_t epoch);

/* ---- schedule.c: one step of the table ws->sched */
typedef struct {
    train_ws *ws;
    const myelin_dataset *d;
    const myelin_train_opts *o;
    update_plan *plan;
    size_t first, r, next_r, after; /* after: the minibatch after next (its rows are prefetched) */
    int bytes;                      /* the minibatch is staged as bytes (raw; x1 for thread 1)  */
    uint64_t step;
    int live;                       /* layer 0's blocks were live at the step's start          */
    int ckpt;                       /* the step takes a checkpoint once its loss is finite      */
    double pen;                     /* the penalty, from the weights before the step            */
    /* Written during the step: thread 0's results, then each table thread's
       own line (a thread writing a line another reads moves it between the
       cores: these are kept apart from the inputs above). */
    _Alignas(64) double loss;       /* NaN until known                                          */
    size_t correct;
    int updated;                    /* layers >= 1 (team tables: all) were updated              */
    /* the loss was finite, the status of its first phase (read by all after
       a barrier) and of the later ones (its own), its share of a checkpoint */
    struct {
        _Alignas(64) int finite;
        int fst, bst, saved;
    } th[MYL_SCHED_MAX_THREADS];
} step_ctx;
int myl_schedule_step(step_ctx *c);
/* ---- schedule_tasks.c */
void myl_run_task(step_ctx *c, myl_task task, int h);

#endif

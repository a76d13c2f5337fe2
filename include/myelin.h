/*
 * myelin.h - the whole public API of Myelin, a CPU engine that trains and runs
 * fully-connected neural networks.
 *
 * Conventions
 *  - Every matrix is row-major with an explicit leading dimension (elements
 *    between the starts of two consecutive rows).
 *  - Every function that can fail returns an int status (MYELIN_OK == 0 or a
 *    negative myelin_status). myelin_last_error() then gives a message naming
 *    the argument, file, line or layer at fault (thread-local).
 *  - Nothing aborts, nothing prints unless asked to.
 */
#ifndef MYELIN_H
#define MYELIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MYELIN_VERSION_MAJOR 0
#define MYELIN_VERSION_MINOR 1
#define MYELIN_VERSION_PATCH 0

/* ------------------------------------------------------------------ status */

typedef enum {
    MYELIN_OK = 0,
    MYELIN_EINVAL = -1,       /* a bad argument                                  */
    MYELIN_ENOMEM = -2,       /* an allocation failed                            */
    MYELIN_EUNSUPPORTED = -3, /* this CPU or build cannot do it                  */
    MYELIN_EIO = -4,          /* a file could not be opened, read or written     */
    MYELIN_EFORMAT = -5,      /* a file is malformed, truncated or corrupted     */
    MYELIN_ENUMERIC = -6,     /* training produced a non-finite loss             */
    MYELIN_ESTOPPED = -7      /* a callback asked training to stop               */
} myelin_status;

const char *myelin_strerror(int status);
/* Message describing the last failure on this thread ("" if none). */
const char *myelin_last_error(void);
const char *myelin_version(void);

/* ------------------------------------------------- CPU, ISA paths, threads */

/* "scalar", "avx2", "avx512" or "neon": the kernel path in use
   (myelin_set_isa also takes "avx512bf16": the avx512 path, and the BF16
   GEMM on AVX512-BF16, failing where the CPU lacks it). */
const char *myelin_isa(void);
/* Force one path; MYELIN_EUNSUPPORTED (with a message naming what this CPU
   supports) if this CPU or build lacks it. "auto" picks the fastest again. */
int myelin_set_isa(const char *name);
/* 1 if this CPU and build can run the named path, else 0. */
int myelin_isa_supported(const char *name);
/* 0 = default (the number of physical cores). */
int myelin_set_num_threads(int n);
int myelin_num_threads(void);
/* Pin OpenMP threads one per physical core (hwloc). Also MYELIN_PIN=1. */
int myelin_set_pinning(int on);
/* Writes the `myelin info` report (version, CPU features, ISA paths, threads,
   topology, cache sizes and blocking) into buf; returns MYELIN_OK or EINVAL. */
int myelin_info(char *buf, size_t len);

/* ------------------------------------------------------------------ tuning */
/* Every choice that affects speed and nothing else (the GEMM micro-kernel
   variant per shape class, M/N blocks, in-place and threading thresholds)
   is one tuning record. At start-up the library uses a built-in record for
   the CPU family found by cpuid, or the tuning file measured on this CPU:
   $MYELIN_TUNING, else $XDG_CACHE_HOME/myelin/tuning-<signature hash>
   (~/.cache/myelin/...). A file measured on another CPU is ignored and a
   malformed one rejected (both reported by myelin_info); neither is used.
   No record changes any result: products and trained networks are the same
   bytes under every record. */

/* Called by myelin_tune as it goes: fraction done (0..1) and what it measures. */
typedef void (*myelin_tune_progress_fn)(double done, const char *what, void *user);
/* Measures the GEMM variants and blocks of the path in use on this machine
   for at most about max_seconds (1..3600), uses the result and writes it to
   path (NULL: the default tuning file above, directories created).
   progress may be NULL. MYELIN_EIO if the file cannot be written. */
int myelin_tune(const char *path, double max_seconds, myelin_tune_progress_fn progress, void *user);
/* The record in use as tuning-file text, after a comment line saying where
   it came from. MYELIN_EINVAL if buf is too small (8 KiB is enough). */
int myelin_tuning_info(char *buf, size_t len);
/* Uses the tuning file at path (NULL: the built-in record for this CPU):
   MYELIN_EIO if it cannot be read, MYELIN_EFORMAT if malformed,
   MYELIN_EUNSUPPORTED if measured on another CPU; the record in use is then
   unchanged. Not while other threads run products. */
int myelin_tuning_load(const char *path);

/* ------------------------------------------------------------------- SGEMM */

typedef enum { MYELIN_NOTRANS = 0, MYELIN_TRANS = 1 } myelin_transpose;

/* Row-major C = alpha * op(A) * op(B) + beta * C, with op(A) m x k, op(B) k x n,
   C m x n. BLAS semantics: when beta == 0, C is written without being read.
   With k == 0, C = beta * C. Bad arguments return MYELIN_EINVAL and touch
   nothing. Results are bit-for-bit identical for any thread count. */
int myelin_sgemm(myelin_transpose ta, myelin_transpose tb, size_t m, size_t n, size_t k,
                 float alpha, const float *a, size_t lda, const float *b, size_t ldb,
                 float beta, float *c, size_t ldc);

/* --------------------------------------------------------------- BF16 GEMM */

/* Row-major C = alpha * op(A) * op(B) + beta * C with BF16 products: every
   element of A and B is rounded to BF16 (round to nearest even; a NaN stays
   NaN, overflow gives inf, FP32 subnormals give zero, as vcvtne2ps2bf16
   does) as it is packed, each product of two BF16 values
   is exact in FP32, and the products are summed in FP32 and C is FP32.
   Arguments, statuses and BLAS semantics as myelin_sgemm (beta == 0: C not
   read; k == 0: C = beta * C), and the same bytes for any thread count (K is
   never split).
   Why FP32 operands rather than BF16 arrays: training keeps FP32 master
   weights and FP32 activations, and the GEMM packs (copies) its operands
   anyway, so rounding while packing costs nothing extra and spares the
   caller a BF16 copy of every operand, its memory and a second pass.
   Paths: AVX512-BF16 (vdpbf16ps; Zen 4, Zen 5, Intel Cooper Lake and later)
   when the ISA path in use is avx512 and the CPU has it; otherwise a scalar
   emulation that computes what vdpbf16ps computes, bit for bit (each pair's
   second product added first, each sum rounded once, subnormal sums flushed
   to zero), much slower but the same bytes (a NaN result is NaN on both,
   its sign and payload may differ).
   MYELIN_ISA=avx512bf16 (or myelin_set_isa) insists on the hardware path;
   "amx" is detected and reported but has no kernel in this build. */
int myelin_gemm_bf16(myelin_transpose ta, myelin_transpose tb, size_t m, size_t n, size_t k,
                     float alpha, const float *a, size_t lda, const float *b, size_t ldb,
                     float beta, float *c, size_t ldc);
/* The BF16 path myelin_gemm_bf16 uses: "avx512bf16", "emulated", or "none"
   (MYELIN_ISA names a path this CPU lacks). */
const char *myelin_bf16_path(void);
/* y[i] = x[i] rounded to BF16 as myelin_gemm_bf16 rounds (the BF16 bits),
   and back (exact). x and y must not overlap. */
int myelin_f32_to_bf16(size_t n, const float *x, uint16_t *y);
int myelin_bf16_to_f32(size_t n, const uint16_t *x, float *y);

/* ------------------------------------------------- activations and losses */

typedef enum {
    MYELIN_ACT_LINEAR = 0,
    MYELIN_ACT_RELU,
    MYELIN_ACT_LEAKY_RELU,
    MYELIN_ACT_SIGMOID,
    MYELIN_ACT_TANH,
    MYELIN_ACT_SOFTMAX
} myelin_act;

/* Slope of leaky ReLU for x < 0 (default 0.01); process-wide. */
int myelin_set_leaky_slope(float slope);
float myelin_leaky_slope(void);

/* y = act(x), row by row (softmax over each row); x and y may be the same buffer. */
int myelin_activate(myelin_act act, size_t rows, size_t cols,
                    const float *x, size_t ldx, float *y, size_t ldy);
/* dx = dy (.) act'(.), through the forward output y (softmax: the row-wise
   Jacobian product dx = y (.) (dy - sum(dy*y))); dx may alias dy. */
int myelin_activate_backward(myelin_act act, size_t rows, size_t cols,
                             const float *y, size_t ldy, const float *dy, size_t lddy,
                             float *dx, size_t lddx);
/* C = act(op(A) op(B) + bias) in one pass; bias has n entries or is NULL. */
int myelin_sgemm_bias_act(myelin_transpose ta, myelin_transpose tb, size_t m, size_t n, size_t k,
                          const float *a, size_t lda, const float *b, size_t ldb,
                          const float *bias, myelin_act act, float *c, size_t ldc);

/* Element-wise vector functions (n floats, in place allowed). */
int myelin_vexp(size_t n, const float *x, float *y);
int myelin_vsigmoid(size_t n, const float *x, float *y);
int myelin_vtanh(size_t n, const float *x, float *y);

typedef enum {
    MYELIN_LOSS_MSE = 0,       /* mean over rows of sum over cols of 1/2 (y - t)^2          */
    MYELIN_LOSS_MAE,           /* mean over rows of sum over cols of |y - t|                */
    MYELIN_LOSS_BCE,           /* binary cross-entropy on probabilities (clamped)           */
    MYELIN_LOSS_BCE_LOGITS,    /* binary cross-entropy on logits (stable; sigmoid fused)    */
    MYELIN_LOSS_CE,            /* categorical cross-entropy on probabilities (clamped)      */
    MYELIN_LOSS_SOFTMAX_CE     /* categorical cross-entropy on logits (softmax fused)       */
} myelin_loss;

/* Mean loss over the batch of `rows` samples, written to *loss; when grad is
   not NULL also d(mean loss)/d(y) (for the fused losses, w.r.t. the logits:
   (p - t)/rows). grad may alias y. */
int myelin_loss_eval(myelin_loss loss, size_t rows, size_t cols,
                     const float *y, size_t ldy, const float *t, size_t ldt,
                     float *loss_out, float *grad, size_t ldg);

/* ------------------------------------------------------------ networks */

typedef enum {
    MYELIN_INIT_GLOROT_UNIFORM = 0, /* U(-sqrt(6/(in+out)), +sqrt(6/(in+out)))  */
    MYELIN_INIT_GLOROT_NORMAL,      /* N(0, 2/(in+out))                          */
    MYELIN_INIT_HE_NORMAL,          /* N(0, 2/in)                                */
    MYELIN_INIT_HE_UNIFORM,         /* U(-sqrt(6/in), +sqrt(6/in))               */
    MYELIN_INIT_UNIFORM,            /* U(-scale, +scale)                         */
    MYELIN_INIT_NORMAL              /* N(0, scale^2)                             */
} myelin_init;

#define MYELIN_MAX_LAYERS 64

typedef struct {
    size_t units;          /* outputs of this layer (> 0)                          */
    myelin_act act;
    myelin_init init;
    float init_scale;      /* r for UNIFORM, sigma for NORMAL                       */
    float bias_init;       /* 0: zero biases; r > 0: U(-r, r)                       */
    float lr_mult;         /* learning-rate multiplier for this layer (1)           */
    float dropout;         /* probability of dropping each input of this layer (0)  */
    float dropconnect;     /* probability of dropping each weight while training (0)*/
} myelin_layer_spec;

/* A layer spec with the defaults: Glorot uniform, zero bias, lr_mult 1, no dropout. */
myelin_layer_spec myelin_layer_default(size_t units, myelin_act act);

typedef struct {
    size_t inputs;                      /* width of the input                      */
    size_t n_layers;                    /* 1 .. MYELIN_MAX_LAYERS                   */
    const myelin_layer_spec *layers;
    myelin_loss loss;                   /* with a softmax/sigmoid output and CE/BCE,
                                           the engine fuses them (logit gradients)   */
} myelin_net_spec;

typedef struct myelin_net myelin_net;

int myelin_net_create(const myelin_net_spec *spec, uint64_t seed, myelin_net **out);
/* "784,128:relu,64:relu,10:softmax" - the first number is the input width;
   activations: linear relu leaky_relu sigmoid tanh softmax (default linear).
   A layer may add options after further colons: "128:relu:he_normal".
   Options: glorot_uniform (xavier) glorot_normal he_normal he_uniform
   uniform=R normal=SIGMA, dropout=P, dropconnect=P, lr=MULT, bias=R. */
int myelin_net_create_str(const char *layers, myelin_loss loss, uint64_t seed, myelin_net **out);
void myelin_net_free(myelin_net *net);

size_t myelin_net_inputs(const myelin_net *net);
size_t myelin_net_outputs(const myelin_net *net);
size_t myelin_net_num_layers(const myelin_net *net);
/* Copies of the layer's spec; EINVAL on a bad index. */
int myelin_net_layer(const myelin_net *net, size_t layer, myelin_layer_spec *spec);
myelin_loss myelin_net_loss(const myelin_net *net);
/* Human-readable summary: layers, shapes, activations, parameter counts. */
int myelin_net_summary(const myelin_net *net, char *buf, size_t len);

/* Parameters of one layer: W is inputs x units (row-major), b has units entries. */
int myelin_net_get_params(const myelin_net *net, size_t layer, float *w, float *b);
int myelin_net_set_params(myelin_net *net, size_t layer, const float *w, const float *b);

/* Input preprocessing stored with the net and applied to every input in
   train/predict/evaluate: x' = (x - offset[j]) * scale[j]. NULL offset = 0,
   NULL scale = 1. n must equal the input width. */
int myelin_net_set_input_transform(myelin_net *net, const float *offset, const float *scale, size_t n);
int myelin_net_get_input_transform(const myelin_net *net, float *offset, float *scale, size_t n);

/* ---------------------------------------------------------------- data */

/* A view of samples: inputs as floats or as bytes (exactly one of x, x_u8),
   and targets as floats (y, y_cols wide) or class labels (one-hot built per
   batch, or used as 0/1 targets when the net has one output). Strides are
   the row widths (cols and y_cols). Nothing is copied. */
typedef struct {
    size_t rows, cols;
    const float *x;
    const uint8_t *x_u8;
    const float *y;
    size_t y_cols;
    const int32_t *labels;
} myelin_dataset;

/* ---------------------------------------------------------------- training */

typedef enum {
    MYELIN_OPT_SGD = 0, MYELIN_OPT_MOMENTUM, MYELIN_OPT_NESTEROV,
    MYELIN_OPT_ADAGRAD, MYELIN_OPT_RMSPROP, MYELIN_OPT_ADAM
} myelin_optimizer;

typedef enum { MYELIN_SCHED_CONSTANT = 0, MYELIN_SCHED_STEP, MYELIN_SCHED_EXP } myelin_schedule;

/* The arithmetic of training's products. BF16: every layer product of a
   step (forward, dW, dX) runs in the BF16 GEMM (myelin_gemm_bf16: operands
   rounded to BF16, FP32 accumulation and output); activations, losses,
   biases, gradient sums, the weights and the optimiser state stay FP32, no
   loss scaling. Same bytes for any thread count, as FP32. Inference
   (predict, evaluate) is FP32 either way. */
typedef enum { MYELIN_PRECISION_FP32 = 0, MYELIN_PRECISION_BF16 } myelin_precision;

typedef struct {
    size_t epoch, epochs;              /* 1-based epoch just finished                 */
    double loss, accuracy;             /* training, over the epoch                    */
    double val_loss, val_accuracy;     /* NaN when there is no validation set         */
    double seconds;                    /* wall time of this epoch                     */
    double lr;                         /* base learning rate used this epoch           */
    size_t samples;
    int threads;                       /* threads it ran on: 1 when steps are too small
                                          (under 5M forward multiply-adds) to share    */
    const char *schedule;              /* the step's schedule, a static string: "serial",
                                          "team", "overlap", "one_region" or "pair"
                                          (README.md, Training)             */
} myelin_epoch_stats;

/* Return non-zero to stop training (myelin_train then returns MYELIN_ESTOPPED
   with the weights of the last completed minibatch, or MYELIN_ENUMERIC with
   those of the one before if its update made a weight non-finite). */
typedef int (*myelin_epoch_fn)(const myelin_epoch_stats *stats, void *user);
/* Called after each minibatch: samples done in this epoch, of total, and the
   running mean loss. Non-zero stops at once (as above). */
typedef int (*myelin_batch_fn)(size_t done, size_t total, double running_loss, void *user);

typedef struct {
    myelin_optimizer opt;
    float lr;                 /* 0.01                                           */
    float momentum;           /* MOMENTUM, NESTEROV: 0.9                        */
    float beta1, beta2;       /* ADAM: 0.9, 0.999                               */
    float rho;                /* RMSPROP: 0.9                                   */
    float eps;                /* ADAGRAD, RMSPROP, ADAM: 1e-8                   */
    myelin_schedule schedule; /* CONSTANT                                       */
    float decay;              /* STEP: lr *= decay every decay_epochs; EXP: lr *= decay each epoch */
    size_t decay_epochs;      /* STEP: 10                                       */
    float layer_decay;        /* layer i (0-based) gets lr / layer_decay^i (1 = off) */
    float l1, l2;             /* penalties on weights (not biases): 0            */
    size_t epochs;            /* 10                                             */
    size_t batch;             /* 32; >= rows means full-batch gradient descent   */
    int shuffle;              /* 1                                              */
    uint64_t seed;            /* shuffling, dropout, DropConnect                 */
    const myelin_dataset *val;/* optional validation set                         */
    myelin_epoch_fn on_epoch; void *on_epoch_user;
    myelin_batch_fn on_batch; void *on_batch_user;
    int profile;              /* 1: collect the time profile (myelin_net_profile) */
    myelin_precision precision; /* FP32 (0, the default) or BF16 products       */
} myelin_train_opts;

void myelin_train_opts_default(myelin_train_opts *opts);

/* Trains in place. All buffers are allocated once up front, and the net
   keeps them for its next myelin_train call with the same batch size,
   number of rows, thread count and optimiser (myelin_net_free releases
   them); each call still starts with fresh optimiser state. For a given seed
   the weights are bit-for-bit identical for any thread count. Momentum:
   v = mu v + g, w -= lr v (Nesterov: w -= lr (g + mu v)); Adam with bias
   correction; the penalty is l1 |w| + l2/2 w^2 over weights (not biases),
   included in the epoch loss (val_loss and myelin_evaluate give the data loss).
   DropConnect scales kept weights by 1/(1-p), like inverted dropout, so
   prediction uses W as it is. A non-finite loss stops training with
   MYELIN_ENUMERIC and the weights of the last step whose loss was finite.
   Training and inference run with flush-to-zero/denormals-are-zero in the
   engine's threads (restored on return). opts NULL = the defaults. */
int myelin_train(myelin_net *net, const myelin_dataset *train, const myelin_train_opts *opts);

/* Output probabilities/values (rows x outputs, leading dimension ldo). */
int myelin_predict_proba(myelin_net *net, const myelin_dataset *data, float *out, size_t ldo);
/* Class per row: argmax, or 0/1 at 0.5 for a single output. */
int myelin_predict(myelin_net *net, const myelin_dataset *data, int32_t *classes);
/* Mean loss and accuracy (needs y or labels). */
int myelin_evaluate(myelin_net *net, const myelin_dataset *data, double *loss, double *accuracy);

/* Where the time of the last profiled training went (seconds). */
typedef struct {
    double fwd_gemm, fwd_act, bwd_act, bwd_gemm_dw, bwd_gemm_dx, update;
    double flops_fwd, flops_bwd;       /* floating-point operations executed */
} myelin_layer_profile;

/* fwd_gemm: the product with bias and activation fused; fwd_act: dropout and
   DropConnect masks; bwd_act: dropout and activation backward into this
   layer's output; bwd_gemm_dw/dx: the two backward products (plain SGD
   without L1/DropConnect updates W inside the dW product); update: the
   optimiser. copy: gathering minibatches (bytes converted, transform, targets)
   and keeping the last good weights; loss: output loss, gradient, penalties;
   other: callbacks and validation; total: the epochs' wall time. */
typedef struct {
    size_t n_layers;
    myelin_layer_profile layer[MYELIN_MAX_LAYERS];
    double shuffle, copy, loss, other, total;
} myelin_profile;

int myelin_net_profile(const myelin_net *net, myelin_profile *out);

/* ------------------------------------------------------- model files */

/* Atomic save: temporary file in the same folder, fsync, rename. */
int myelin_net_save(const myelin_net *net, const char *path);
/* Checks magic, version, sizes, CRC-32 before use: MYELIN_EFORMAT otherwise. */
int myelin_net_load(const char *path, myelin_net **out);

/* --------------------------------------------------------- data readers */

/* An owned table of samples (free with myelin_data_free). */
typedef struct {
    size_t rows, cols;
    uint8_t *x_u8;            /* IDX images: rows x cols bytes (or NULL)      */
    float *x;                 /* CSV features: rows x cols floats (or NULL)   */
    int32_t *labels;          /* rows class labels (or NULL)                  */
    size_t n_classes;         /* 1 + the largest label                        */
} myelin_data;

void myelin_data_free(myelin_data *d);
/* A view of d for training/prediction. */
myelin_dataset myelin_data_view(const myelin_data *d);

/* IDX (MNIST format) images and labels, plain or gzip'ed (by content). */
int myelin_read_idx(const char *images_path, const char *labels_path, myelin_data *out);

typedef struct {
    int header;               /* -1 detect, 0 none, 1 present                */
    const char *label_name;   /* label column by name (or NULL)              */
    long label_index;         /* by index; -1 = last (default); -2 = none     */
    char delimiter;           /* ',' by default                               */
} myelin_csv_opts;

void myelin_csv_opts_default(myelin_csv_opts *o);
/* CSV (plain or gzip'ed) with numeric features and an integer label column. */
int myelin_read_csv(const char *path, const myelin_csv_opts *opts, myelin_data *out);

/* Built-in tiny sets: "xor" (4 rows x 2) and "table3" (the notebooks' 8 rows
   x 3 binary features); float features, labels 0/1. */
int myelin_data_builtin(const char *name, myelin_data *out);
/* Moves a seeded random fraction (0 < fraction < 1, at least one row each
   side) of d's rows into val, a new table; both keep the original order. */
int myelin_data_split(myelin_data *d, double fraction, uint64_t seed, myelin_data *val);
/* Replaces the labels by 0/1 targets: 1 for the classes in `positive`,
   "odd", "even" or a list such as "3,5,7"; n_classes becomes 2. */
int myelin_data_binary(myelin_data *d, const char *positive);
/* Input statistics for myelin_net_set_input_transform (n = d->cols), so that
   the model file keeps them and prediction applies them again.
   scale: to [0,1] - bytes by 1/255, floats by each column's min and max
   (a constant column is left as it is); standardize: each column's mean and
   1/standard deviation (1 for a constant column). */
int myelin_data_scale_stats(const myelin_data *d, float *offset, float *scale, size_t n);
int myelin_data_standardize_stats(const myelin_data *d, float *offset, float *scale, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* MYELIN_H */

/* Minibatches: dataset checks, gathering rows (bytes converted and the input
   transform applied on the way), targets, the output loss and its gradient,
   and the floating-point environment of the engine's threads. */
#include "network.h"
#include "schedule.h"

#include <float.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

int myl_check_dataset(const myelin_net *net, const myelin_dataset *d, const char *which, int need_targets)
{
    if (!d)
        return myl_fail(MYELIN_EINVAL, "%s set is NULL", which);
    if (d->rows == 0)
        return myl_fail(MYELIN_EINVAL, "%s set has 0 rows", which);
    if (d->rows > 0xFFFFFFFFu)
        return myl_fail(MYELIN_EINVAL, "%s set has %zu rows (at most 2^32 - 1)", which, d->rows);
    if (d->cols != net->inputs)
        return myl_fail(MYELIN_EINVAL, "%s set has %zu columns but the net takes %zu inputs", which, d->cols,
                        net->inputs);
    if (!d->x == !d->x_u8)
        return myl_fail(MYELIN_EINVAL, "%s set must have exactly one of x (floats) and x_u8 (bytes)%s", which,
                        d->x ? ", not both" : "");
    const size_t outputs = net->spec[net->n_layers - 1].units;
    if (d->y && d->labels)
        return myl_fail(MYELIN_EINVAL, "%s set has both y and labels: give one", which);
    if (need_targets && !d->y && !d->labels)
        return myl_fail(MYELIN_EINVAL, "%s set has no targets (y or labels)", which);
    if (d->y && d->y_cols != outputs)
        return myl_fail(MYELIN_EINVAL, "%s set: y has %zu columns but the net has %zu outputs", which, d->y_cols,
                        outputs);
    if (d->labels) {
        const int32_t top = outputs == 1 ? 1 : (int32_t)outputs - 1;
        for (size_t i = 0; i < d->rows; i++)
            if (d->labels[i] < 0 || d->labels[i] > top)
                return myl_fail(MYELIN_EINVAL, "%s set: label %d at row %zu is out of range 0..%d (the net has %zu "
                                "output%s)", which, (int)d->labels[i], i, (int)top, outputs, outputs == 1 ? "" : "s");
    }
    return MYELIN_OK;
}

/* One row in: bytes or floats, with the transform. Inlined into the gather.
   Bytes go through the kernel table's converter (the engine is built for
   baseline x86-64, where the conversion took about 9 us of a 16 us gather of
   128 Fashion-MNIST rows): (x - offset) * scale, which is also x itself
   with no transform (offset 0, scale 1). */
static inline void gather_row(const myelin_net *net, const myl_kernels *k, const myelin_dataset *d, size_t src,
                              float *dst)
{
    const size_t n = net->inputs;
    const float *off = net->in_offset, *sc = net->in_scale;
    if (d->x_u8) {
        k->u8_vcvt(n, d->x_u8 + src * n, off, sc, dst);
    } else {
        const float *s = d->x + src * n;
        if (net->has_transform) {
#pragma omp simd
            for (size_t j = 0; j < n; j++)
                dst[j] = (s[j] - off[j]) * sc[j];
        } else
            memcpy(dst, s, n * sizeof(float));
    }
}

static inline void target_row(const myelin_dataset *d, size_t src, size_t outputs, float *t)
{
    if (d->y) {
        memcpy(t, d->y + src * outputs, outputs * sizeof(float));
    } else if (outputs == 1) {
        t[0] = (float)d->labels[src];
    } else {
        memset(t, 0, outputs * sizeof(float));
        t[d->labels[src]] = 1.0f;
    }
}

void myl_gather_batch(const myelin_net *net, const myelin_dataset *d, const uint32_t *idx, size_t first, size_t r,
                      float *x, float *t, int threads)
{
    myl_gather_prefetch(net, d, idx, first, r, x, t, threads, 0);
}

/* Rows lo..hi-1 of the minibatch (see myl_gather_prefetch), and then the
   rows at the same positions of the next one prefetched. */
static void gather_rows(const myelin_net *net, const myl_kernels *k, const myelin_dataset *d, const uint32_t *idx,
                        size_t first, size_t r, uint8_t *raw, float *x, float *t, size_t next_r, size_t lo,
                        size_t hi)
{
    const size_t n = net->inputs, outputs = net->spec[net->n_layers - 1].units;
    const int want_t = t && (d->y || d->labels);
    const size_t bytes = d->x_u8 ? n : n * sizeof(float);
    for (size_t i = lo; i < hi; i++) {
        size_t src = idx ? idx[first + i] : first + i;
        if (idx && i + 4 < r) {
            /* shuffled rows are scattered over the whole set: fetch the
               row four ahead while this one converts */
            const char *ahead = d->x_u8 ? (const char *)(d->x_u8 + (size_t)idx[first + i + 4] * n)
                                        : (const char *)(d->x + (size_t)idx[first + i + 4] * n);
            for (size_t o = 0; o < bytes; o += 64)
                __builtin_prefetch(ahead + o);
            if (d->labels)
                __builtin_prefetch(d->labels + idx[first + i + 4]);
            else if (d->y)
                __builtin_prefetch(d->y + (size_t)idx[first + i + 4] * outputs);
        }
        if (raw) { /* the bytes kept (myl_stage_batch), converted too when x is given */
            memcpy(raw + i * n, d->x_u8 + src * n, n);
            if (x)
                k->u8_vcvt(n, raw + i * n, net->in_offset, net->in_scale, x + i * n);
        } else {
            gather_row(net, k, d, src, x + i * n);
        }
        if (want_t)
            target_row(d, src, outputs, t + i * outputs);
    }
    /* The next minibatch's rows, after this one's (issued during the gather
       they would compete with its own misses): row i by the thread that will
       convert row i next step (the same split), so their memory latency
       overlaps this step's products. */
    for (size_t i = lo; i < hi && idx && i < next_r; i++) {
        const size_t nxt = idx[first + r + i];
        const char *row = d->x_u8 ? (const char *)(d->x_u8 + nxt * n) : (const char *)(d->x + nxt * n);
        for (size_t o = 0; o < bytes; o += 64)
            __builtin_prefetch(row + o, 0, 1);
    }
}

void myl_gather_prefetch(const myelin_net *net, const myelin_dataset *d, const uint32_t *idx, size_t first,
                         size_t r, float *x, float *t, int threads, size_t next_r)
{
    /* Rows are independent: a static split gives the same bytes for any
       thread count. A team only pays for itself on big batches, and below
       that no parallel region is entered (one costs a microsecond or two). */
    const myl_kernels *k = &myl_kernels_scalar; /* callers got the table already; this cannot fail then */
    (void)myl_kernels_get(&k);
    if (threads <= 1 || (double)(r * net->inputs) < myl_sched_tuning_get().min_team_elements) {
        gather_rows(net, k, d, idx, first, r, NULL, x, t, next_r, 0, r);
        return;
    }
#pragma omp parallel num_threads(threads)
    {
        myl_pin_team();
        const size_t nt = (size_t)omp_get_num_threads(), id = (size_t)omp_get_thread_num();
        gather_rows(net, k, d, idx, first, r, NULL, x, t, next_r, r * id / nt, r * (id + 1) / nt);
    }
}

void myl_stage_batch(const myelin_net *net, const myelin_dataset *d, const uint32_t *idx, size_t first, size_t r,
                     uint8_t *raw, float *x, float *t, size_t next_r)
{
    myl_stage_rows(net, d, idx, first, r, raw, x, t, next_r, 0, r);
}

void myl_stage_rows(const myelin_net *net, const myelin_dataset *d, const uint32_t *idx, size_t first, size_t r,
                    uint8_t *raw, float *x, float *t, size_t next_r, size_t lo, size_t hi)
{
    const myl_kernels *k = &myl_kernels_scalar;
    (void)myl_kernels_get(&k);
    gather_rows(net, k, d, idx, first, r, raw, x, t, next_r, lo, hi);
}

void myl_convert_batch(const myelin_net *net, const uint8_t *raw, size_t r, float *x)
{
    const myl_kernels *k = &myl_kernels_scalar;
    (void)myl_kernels_get(&k);
    const size_t n = net->inputs;
    for (size_t i = 0; i < r; i++)
        k->u8_vcvt(n, raw + i * n, net->in_offset, net->in_scale, x + i * n);
}

/* Also myelin_train_mpi's (mpi/chunk-grad.c), so that its chunks' bytes stay the engine's. */
void myl_softmax_backward(size_t rows, size_t n, const float *y, float *g)
{
    for (size_t i = 0; i < rows; i++) {
        const float *yr = y + i * n;
        float *gr = g + i * n;
        double dot = 0.0;
        for (size_t j = 0; j < n; j++)
            dot += (double)gr[j] * yr[j];
        for (size_t j = 0; j < n; j++)
            gr[j] = yr[j] * (float)((double)gr[j] - dot);
    }
}

int myl_output_loss(const myelin_net *net, const myl_kernels *k, size_t rows, const float *out, float *p,
                    const float *t, double *loss_sum, size_t *correct, float *g)
{
    const size_t n = net->spec[net->n_layers - 1].units;
    const float inv_rows = 1.0f / (float)rows;
    double sum = 0.0;
    size_t right = 0;
    if (net->fuse == MYL_FUSE_SOFTMAX_CE && k->softmax_ce && n >= 2 && n <= 16) {
        k->softmax_ce(rows, n, out, t, p, g, inv_rows, &sum, &right);
    } else if (net->fuse == MYL_FUSE_SOFTMAX_CE) {
        for (size_t i = 0; i < rows; i++) {
            const float *z = out + i * n, *tr = t + i * n;
            float *pr = p + i * n;
            k->softmax(n, z, pr);
            /* one pass: the classes of p and t (first maximum, as
               myl_row_class), the gradient, and the cross-entropy terms */
            double row = 0.0;
            int underflow = 0;
            size_t bp = 0, bt = 0;
            for (size_t j = 0; j < n; j++) {
                const float pj = pr[j], tj = tr[j];
                bp = pj > pr[bp] ? j : bp;
                bt = tj > tr[bt] ? j : bt;
                if (g)
                    g[i * n + j] = (pj - tj) * inv_rows;
                if (tj != 0.0f) {
                    if (pj >= FLT_MIN)
                        row -= (double)tj * log((double)pj);
                    else
                        underflow = 1;
                }
            }
            if (underflow) { /* p underflowed: log-softmax from the logits for those terms */
                float mx = z[0];
                for (size_t q = 1; q < n; q++)
                    mx = z[q] > mx ? z[q] : mx;
                double se = 0.0;
                for (size_t q = 0; q < n; q++)
                    se += exp((double)z[q] - mx);
                const double lse = mx + log(se);
                for (size_t j = 0; j < n; j++) /* NaN p too: a NaN or +inf logit gives a NaN loss */
                    if (tr[j] != 0.0f && !(pr[j] >= FLT_MIN))
                        row -= (double)tr[j] * ((double)z[j] - lse);
            }
            sum += row;
            right += n == 1 ? (pr[0] >= 0.5f) == (tr[0] >= 0.5f) : bp == bt;
        }
    }
    if (net->fuse == MYL_FUSE_SOFTMAX_CE) {
        /* A row whose targets are all 0 (y may be anything) has no
           cross-entropy term: NaN probabilities (NaN or +inf logits) would
           leave its loss finite and its gradient NaN, and training would go
           on with NaN weights. Such a batch's loss is NaN. */
        for (size_t i = 0; i < rows * n; i++)
            if (p[i] != p[i]) {
                sum = NAN;
                break;
            }
    } else if (net->fuse == MYL_FUSE_SIGMOID_BCE) {
        /* one output: the logits are contiguous */
        k->vsigmoid(rows, out, p);
        for (size_t i = 0; i < rows; i++) {
            const double z = out[i], ti = t[i];
            sum += (z > 0 ? z : 0) - z * ti + log1p(exp(-fabs(z)));
            right += (p[i] >= 0.5f) == (t[i] >= 0.5f);
            if (g)
                g[i] = (p[i] - t[i]) * inv_rows;
        }
    } else {
        float mean = 0.0f;
        int st = myelin_loss_eval(net->loss, rows, n, out, n, t, n, &mean, g, n);
        if (st)
            return st;
        sum = (double)mean * (double)rows;
        for (size_t i = 0; i < rows; i++)
            right += myl_row_class(out + i * n, n) == myl_row_class(t + i * n, n);
        if (g) {
            const myelin_act act = net->spec[net->n_layers - 1].act;
            if (act == MYELIN_ACT_SOFTMAX)
                myl_softmax_backward(rows, n, out, g);
            else if (act != MYELIN_ACT_LINEAR)
                k->vact_bwd((int)act, myelin_leaky_slope(), rows * n, out, g, g);
        }
    }
    *loss_sum = sum;
    *correct = right;
    return MYELIN_OK;
}

/* ----------------------------------------------------------- FP environment
   Subnormal floats appear in training (tiny gradients, sigmoid tails, weights
   decaying under L2) and each one costs an x86 FMA a micro-code assist, ~100x
   its normal cost. The engine therefore runs training and inference with
   flush-to-zero and denormals-are-zero (MXCSR FTZ|DAZ on x86, FPCR.FZ on Arm)
   in every thread of its OpenMP team, and restores each thread's previous
   state afterwards so callers' own code is unaffected. This changes results
   only for magnitudes below FLT_MIN (1.2e-38), far below any tolerance the
   reference tests use, so they stay meaningful. OpenMP keeps the same pool
   threads from region to region, which is what makes the per-thread setting
   stick for the GEMM's regions too. */
#if defined(__x86_64__) || defined(__i386__)
#define MYL_FP_FLUSH 0x8040u /* FTZ (bit 15) | DAZ (bit 6) */
static unsigned fp_get(void) { return _mm_getcsr(); }
static void fp_set(unsigned v) { _mm_setcsr(v); }
#elif defined(__aarch64__)
#define MYL_FP_FLUSH (1u << 24) /* FPCR.FZ */
static unsigned fp_get(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, fpcr" : "=r"(v));
    return (unsigned)v;
}
static void fp_set(unsigned v)
{
    uint64_t w = v;
    __asm__ volatile("msr fpcr, %0" : : "r"(w));
}
#else
#define MYL_FP_FLUSH 0u
static unsigned fp_get(void) { return 0; }
static void fp_set(unsigned v) { (void)v; }
#endif

void myl_fpenv_enter(unsigned *saved, int threads)
{
#pragma omp parallel num_threads(threads)
    {
        int tid = omp_get_thread_num();
        myl_pin_team(); /* binds the team once (MYELIN_PIN=1 / myelin_set_pinning) */
        if (tid < threads) {
            saved[tid] = fp_get();
            fp_set(saved[tid] | MYL_FP_FLUSH);
        }
    }
}

void myl_fpenv_restore(const unsigned *saved, int threads)
{
#pragma omp parallel num_threads(threads)
    {
        int tid = omp_get_thread_num();
        if (tid < threads)
            fp_set(saved[tid]);
    }
}

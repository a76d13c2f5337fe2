/* act.c - the public activation entry points: argument checks, then the
   active path's element-wise kernels row by row (one call over the whole
   block when it is contiguous), split over threads when large enough.
   Element-wise work and per-row softmax are independent of the split, so
   results are bit-for-bit the same for any thread count. */
#include "internal.h"

#include <math.h>
#include <omp.h>
#include <string.h>

/* Leaky ReLU slope, process-wide; stored as bits so reads and writes from
   several threads are atomic. */
static uint32_t leaky_slope_bits = 0x3c23d70au; /* 0.01f */

int myelin_set_leaky_slope(float slope)
{
    if (!isfinite(slope))
        return myl_fail(MYELIN_EINVAL, "myelin_set_leaky_slope: slope (%g) is not finite", (double)slope);
    uint32_t bits;
    memcpy(&bits, &slope, sizeof bits);
    __atomic_store_n(&leaky_slope_bits, bits, __ATOMIC_RELAXED);
    return MYELIN_OK;
}

float myelin_leaky_slope(void)
{
    const uint32_t bits = __atomic_load_n(&leaky_slope_bits, __ATOMIC_RELAXED);
    float slope;
    memcpy(&slope, &bits, sizeof slope);
    return slope;
}

/* Below this many elements a second thread costs more than it saves. */
#define MYL_ACT_PAR_MIN ((size_t)1 << 16)

static int team_size(size_t elements)
{
    if (elements < MYL_ACT_PAR_MIN)
        return 1;
    return myl_threads();
}

/* This thread's share [lo, hi) of a flat range of n elements, in whole
   64-byte vectors; called inside a parallel region. */
static void my_chunk(size_t n, size_t *lo, size_t *hi)
{
    const size_t team = (size_t)omp_get_num_threads(), t = (size_t)omp_get_thread_num();
    const size_t chunk = (n / team + 15) & ~(size_t)15;
    *lo = t * chunk < n ? t * chunk : n;
    *hi = *lo + chunk < n ? *lo + chunk : n;
}

/* This thread's share [lo, hi) of rows (not my_chunk: its 16-element
   rounding gives every thread nothing when rows < team). */
static void my_rows(size_t rows, size_t *lo, size_t *hi)
{
    const size_t team = (size_t)omp_get_num_threads(), t = (size_t)omp_get_thread_num();
    *lo = rows * t / team;
    *hi = rows * (t + 1) / team;
}

/* Runs the call given after n, team (a team_size) and split on [lo, hi):
   once on [0, n) when team is 1, else on each thread's split (my_chunk or
   my_rows) of [0, n) in a team of that many. A macro, so the kernels are
   still called directly. */
#define OVER_TEAM(n, team, split, ...)                                         \
    do {                                                                       \
        const size_t over_n_ = (n);                                            \
        const int over_nt_ = (team);                                           \
        if (over_nt_ <= 1) {                                                   \
            const size_t lo = 0, hi = over_n_;                                 \
            __VA_ARGS__;                                                       \
            break;                                                             \
        }                                                                      \
        _Pragma("omp parallel num_threads(over_nt_)")                          \
        {                                                                      \
            myl_pin_team();                                                    \
            size_t lo, hi;                                                     \
            split(over_n_, &lo, &hi);                                          \
            if (hi > lo)                                                       \
                __VA_ARGS__;                                                   \
        }                                                                      \
    } while (0)

/* Checks one rows x cols operand with leading dimension ld. */
static int check_matrix(const char *fn, const char *name, const void *p, size_t rows, size_t cols,
                        size_t ld)
{
    if (rows == 0 || cols == 0)
        return MYELIN_OK;
    if (!p)
        return myl_fail(MYELIN_EINVAL, "%s: %s is NULL", fn, name);
    if (ld < cols)
        return myl_fail(MYELIN_EINVAL, "%s: leading dimension of %s (%zu) < cols (%zu)", fn, name, ld, cols);
    size_t span;
    if (!myl_mul_ok(rows - 1, ld, &span) || span > SIZE_MAX / sizeof(float) - cols)
        return myl_fail(MYELIN_EINVAL, "%s: %s of %zu rows with leading dimension %zu overflows", fn, name,
                        rows, ld);
    return MYELIN_OK;
}

static int check_act(const char *fn, myelin_act act)
{
    if ((int)act < MYELIN_ACT_LINEAR || (int)act > MYELIN_ACT_SOFTMAX)
        return myl_fail(MYELIN_EINVAL, "%s: act is %d, not a myelin_act", fn, (int)act);
    return MYELIN_OK;
}

/* Row-wise softmax backward: dx = y (.) (dy - sum_j dy_j y_j); the dot
   product in double in a fixed order, read fully before dx (which may be dy)
   is written. */
static void softmax_bwd_row(size_t n, const float *y, const float *dy, float *dx)
{
    double s = 0.0;
    for (size_t j = 0; j < n; j++)
        s += (double)dy[j] * (double)y[j];
    const float sf = (float)s;
    for (size_t j = 0; j < n; j++)
        dx[j] = y[j] * (dy[j] - sf);
}

int myelin_activate(myelin_act act, size_t rows, size_t cols, const float *x, size_t ldx, float *y,
                    size_t ldy)
{
    const char *fn = "myelin_activate";
    int st = check_act(fn, act);
    if (!st) st = check_matrix(fn, "x", x, rows, cols, ldx);
    if (!st) st = check_matrix(fn, "y", y, rows, cols, ldy);
    if (st)
        return st;
    if (rows == 0 || cols == 0)
        return MYELIN_OK;
    if (x == y && ldx != ldy)
        return myl_fail(MYELIN_EINVAL, "%s: in place (x == y) needs ldx == ldy (%zu != %zu)", fn, ldx, ldy);
    const myl_kernels *k;
    if ((st = myl_kernels_get(&k)))
        return st;
    const float slope = myelin_leaky_slope();

    if (act != MYELIN_ACT_SOFTMAX && ldx == cols && ldy == cols) {
        /* contiguous: split the flat block into equal chunks, one per thread */
        const size_t total = rows * cols;
        OVER_TEAM(total, team_size(total), my_chunk, k->vact((int)act, slope, hi - lo, x + lo, y + lo));
        return MYELIN_OK;
    }
    const int nt = team_size(rows * cols);
    if (act == MYELIN_ACT_SOFTMAX && k->softmax_rows) { /* the path's matrix kernel, rows split over the team */
        OVER_TEAM(rows, nt, my_rows, k->softmax_rows(hi - lo, cols, x + lo * ldx, ldx, y + lo * ldy, ldy));
        return MYELIN_OK;
    }
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (size_t i = 0; i < rows; i++) {
        if (act == MYELIN_ACT_SOFTMAX)
            k->softmax(cols, x + i * ldx, y + i * ldy);
        else
            k->vact((int)act, slope, cols, x + i * ldx, y + i * ldy);
    }
    return MYELIN_OK;
}

int myelin_activate_backward(myelin_act act, size_t rows, size_t cols, const float *y, size_t ldy,
                             const float *dy, size_t lddy, float *dx, size_t lddx)
{
    const char *fn = "myelin_activate_backward";
    int st = check_act(fn, act);
    if (!st) st = check_matrix(fn, "y", y, rows, cols, ldy);
    if (!st) st = check_matrix(fn, "dy", dy, rows, cols, lddy);
    if (!st) st = check_matrix(fn, "dx", dx, rows, cols, lddx);
    if (st)
        return st;
    if (rows == 0 || cols == 0)
        return MYELIN_OK;
    if (dx == dy && lddx != lddy)
        return myl_fail(MYELIN_EINVAL, "%s: in place (dx == dy) needs lddx == lddy (%zu != %zu)", fn, lddx,
                        lddy);
    const myl_kernels *k;
    if ((st = myl_kernels_get(&k)))
        return st;
    const float slope = myelin_leaky_slope();
    if (act != MYELIN_ACT_SOFTMAX && ldy == cols && lddy == cols && lddx == cols) {
        const size_t total = rows * cols;
        OVER_TEAM(total, team_size(total), my_chunk, k->vact_bwd((int)act, slope, hi - lo, y + lo, dy + lo, dx + lo));
        return MYELIN_OK;
    }
    const int nt = team_size(rows * cols);
    if (act == MYELIN_ACT_SOFTMAX && k->softmax_bwd) { /* the path's matrix kernel, rows split over the team */
        OVER_TEAM(rows, nt, my_rows,
                  k->softmax_bwd(hi - lo, cols, y + lo * ldy, ldy, dy + lo * lddy, lddy, dx + lo * lddx, lddx));
        return MYELIN_OK;
    }
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (size_t i = 0; i < rows; i++) {
        if (act == MYELIN_ACT_SOFTMAX)
            softmax_bwd_row(cols, y + i * ldy, dy + i * lddy, dx + i * lddx);
        else
            k->vact_bwd((int)act, slope, cols, y + i * ldy, dy + i * lddy, dx + i * lddx);
    }
    return MYELIN_OK;
}

/* The three vector functions share one shape. */
static int vunary(const char *fn, int which, size_t n, const float *x, float *y)
{
    if (n == 0)
        return MYELIN_OK;
    if (!x || !y)
        return myl_fail(MYELIN_EINVAL, "%s: %s is NULL", fn, x ? "y" : "x");
    if (n > SIZE_MAX / sizeof(float))
        return myl_fail(MYELIN_EINVAL, "%s: n (%zu) is too large", fn, n);
    const myl_kernels *k;
    int st = myl_kernels_get(&k);
    if (st)
        return st;
    const myl_vunary_fn f = which == 0 ? k->vexp : which == 1 ? k->vsigmoid : k->vtanh;
    OVER_TEAM(n, team_size(n), my_chunk, f(hi - lo, x + lo, y + lo));
    return MYELIN_OK;
}

int myelin_vexp(size_t n, const float *x, float *y) { return vunary("myelin_vexp", 0, n, x, y); }
int myelin_vsigmoid(size_t n, const float *x, float *y) { return vunary("myelin_vsigmoid", 1, n, x, y); }
int myelin_vtanh(size_t n, const float *x, float *y) { return vunary("myelin_vtanh", 2, n, x, y); }

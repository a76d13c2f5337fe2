/* Softmax backward of a matrix, portable C: dx = y * (dy - s) per row,
   s = sum_j dy_j y_j with the products exact in double and summed in double.
   The engine's row loop (engine/act.c) ran at 1.15x a naive float loop on 10
   classes: one scalar chain of dependent double adds per row, with two
   conversions per product. Here 4 floats at a time go to 4 double lanes
   (generic vectors: cvtps2pd/mulpd/addpd on SSE2) and dx is computed 4
   floats at a time. The sum's order is fixed by n alone (lane l takes
   j = l mod 4, then the lanes pairwise; above 16 classes the last 1-3 j
   after that, in order), so it does not depend on the rows' split. */
#include "kernels.h"
#include "scalar/math-scalar.h"

typedef double myl_d2 __attribute__((vector_size(16)));

/* The first k <= 4 floats of p, zeros above, in as few loads as SSE2 has
   (an 8-byte movsd for a pair; lanes set one by one took three or four). */
static inline __attribute__((always_inline)) myl_f4 load_z(const float *p, size_t k)
{
    double d;
    switch (k) {
    case 4: return myl_f4_load(p);
    case 3: memcpy(&d, p, sizeof d); {
                const myl_f4 lo = (myl_f4)(myl_d2){d, 0.0}, hi = {0.0f, 0.0f, p[2], 0.0f};
                return (myl_f4)((myl_i4)lo | (myl_i4)hi);
            }
    case 2: memcpy(&d, p, sizeof d); return (myl_f4)(myl_d2){d, 0.0};
    default: return (myl_f4){p[0], 0.0f, 0.0f, 0.0f};
    }
}

static inline __attribute__((always_inline)) void store_k(float *p, size_t k, myl_f4 v)
{
    if (k == 4) {
        myl_f4_store(p, v);
    } else if (k >= 2) {
        const double d = ((myl_d2)v)[0];
        memcpy(p, &d, sizeof d);
        if (k == 3)
            p[2] = v[2];
    } else {
        p[0] = v[0];
    }
}

/* n <= 16 in NV = ceil(n/4) vectors, NV a constant so that the row stays in
   registers; the last 1-4 values (rem) padded with zeros (their products are
   0, and the sum's order is still fixed by n). A last vector of at most 2
   values skips its upper half and is added to lanes 0-1 last. */
static inline __attribute__((always_inline)) void rows_short(size_t NV, size_t rows, size_t n, const float *y,
                                                             size_t ldy, const float *dy, size_t lddy, float *dx,
                                                             size_t lddx)
{
    const size_t rem = n - (NV - 1) * 4;
    for (size_t i = 0; i < rows; i++, y += ldy, dy += lddy, dx += lddx) {
        myl_f4 yv[4], gv[4];
        myl_d4 acc = {0.0, 0.0, 0.0, 0.0};
        myl_d2 tail = {0.0, 0.0};
#pragma GCC unroll 4 /* -O2 left these loops rolled, with yv, gv and the sums going through the stack */
        for (size_t c = 0; c < NV; c++) {
            const size_t k = c + 1 < NV ? 4 : rem;
            yv[c] = load_z(y + 4 * c, k);
            gv[c] = load_z(dy + 4 * c, k);
            const myl_d4 p = __builtin_convertvector(gv[c], myl_d4) * __builtin_convertvector(yv[c], myl_d4);
            if (k > 2)
                acc += p;
            else
                tail = (myl_d2){p[0], p[1]};
        }
        const myl_d2 lo = (myl_d2){acc[0], acc[1]} + tail;
        const myl_f4 s4 = myl_f4_set1((float)((lo[0] + lo[1]) + (acc[2] + acc[3])));
        /* dx may be dy: the row was read above */
#pragma GCC unroll 4
        for (size_t c = 0; c < NV; c++)
            store_k(dx + 4 * c, c + 1 < NV ? 4 : rem, yv[c] * (gv[c] - s4));
    }
}

void myl_f32_softmax_bwd_scalar(size_t rows, size_t n, const float *y, size_t ldy, const float *dy, size_t lddy,
                                float *dx, size_t lddx)
{
    switch (n) { /* n a constant too: the last vector's loads and stores without a branch */
#define MYL_SHORT(N) case N: rows_short((N + 3) / 4, rows, N, y, ldy, dy, lddy, dx, lddx); return;
    MYL_SHORT(1) MYL_SHORT(2) MYL_SHORT(3) MYL_SHORT(4) MYL_SHORT(5) MYL_SHORT(6) MYL_SHORT(7) MYL_SHORT(8)
    MYL_SHORT(9) MYL_SHORT(10) MYL_SHORT(11) MYL_SHORT(12) MYL_SHORT(13) MYL_SHORT(14) MYL_SHORT(15) MYL_SHORT(16)
#undef MYL_SHORT
    default: break;
    }
    const size_t full = n / 4 * 4;
    for (size_t i = 0; i < rows; i++, y += ldy, dy += lddy, dx += lddx) {
        myl_d4 acc = {0.0, 0.0, 0.0, 0.0};
        for (size_t j = 0; j < full; j += 4)
            acc += __builtin_convertvector(myl_f4_load(dy + j), myl_d4) *
                   __builtin_convertvector(myl_f4_load(y + j), myl_d4);
        double s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
        for (size_t j = full; j < n; j++)
            s += (double)dy[j] * (double)y[j];
        /* dx may be dy: every dy_j of the row was read above */
        const float sf = (float)s;
        const myl_f4 s4 = myl_f4_set1(sf);
        for (size_t j = 0; j < full; j += 4)
            myl_f4_store(dx + j, myl_f4_load(y + j) * (myl_f4_load(dy + j) - s4));
        for (size_t j = full; j < n; j++)
            dx[j] = y[j] * (dy[j] - sf);
    }
}

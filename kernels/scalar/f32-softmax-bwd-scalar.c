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

/* n <= 16 in NV = ceil(n/4) vectors, NV a constant so that the row stays in
   registers; the last 1-3 values padded with zeros (their products are 0,
   and the sum's order is still fixed by n). */
static inline __attribute__((always_inline)) void rows_short(size_t NV, size_t rows, size_t n, const float *y,
                                                             size_t ldy, const float *dy, size_t lddy, float *dx,
                                                             size_t lddx)
{
    const size_t rem = n - (NV - 1) * 4; /* 1..4 values in the last vector */
    for (size_t i = 0; i < rows; i++, y += ldy, dy += lddy, dx += lddx) {
        myl_f4 yv[4], gv[4];
        myl_d4 acc = {0.0, 0.0, 0.0, 0.0};
#pragma GCC unroll 4 /* -O2 left these loops rolled, with yv, gv and acc going through the stack */
        for (size_t c = 0; c < NV; c++) {
            if (c + 1 < NV || rem == 4) {
                yv[c] = myl_f4_load(y + 4 * c);
                gv[c] = myl_f4_load(dy + 4 * c);
            } else {
                yv[c] = myl_f4_load_part(y + 4 * c, rem, 0.0f);
                gv[c] = myl_f4_load_part(dy + 4 * c, rem, 0.0f);
            }
            acc += __builtin_convertvector(gv[c], myl_d4) * __builtin_convertvector(yv[c], myl_d4);
        }
        const myl_f4 s4 = myl_f4_set1((float)((acc[0] + acc[1]) + (acc[2] + acc[3])));
        /* dx may be dy: the row was read above */
#pragma GCC unroll 4
        for (size_t c = 0; c < NV; c++) {
            const myl_f4 d = yv[c] * (gv[c] - s4);
            if (c + 1 < NV || rem == 4)
                myl_f4_store(dx + 4 * c, d);
            else
                myl_f4_store_part(dx + 4 * c, rem, d);
        }
    }
}

void myl_f32_softmax_bwd_scalar(size_t rows, size_t n, const float *y, size_t ldy, const float *dy, size_t lddy,
                                float *dx, size_t lddx)
{
    switch ((n + 3) / 4) {
    case 1: rows_short(1, rows, n, y, ldy, dy, lddy, dx, lddx); return;
    case 2: rows_short(2, rows, n, y, ldy, dy, lddy, dx, lddx); return;
    case 3: rows_short(3, rows, n, y, ldy, dy, lddy, dx, lddx); return;
    case 4: rows_short(4, rows, n, y, ldy, dy, lddy, dx, lddx); return;
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

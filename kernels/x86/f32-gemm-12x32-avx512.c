/* AVX-512 GEMM micro-kernel, tile 12 x 32: 24 zmm accumulators (12 rows x two
   16-float vectors), two B loads and one A broadcast per row and K step, which
   leaves registers to spare and hides the 4-cycle FMA latency on two pipes.
   Narrow products (n <= 16, A read in place) take up to 96 rows per call:
   for n <= 12 (10 with row-major A) the rows go along the vector lanes
   (tile_mlanes: every lane busy on the n = 10 output layer), otherwise row
   tiles of up to 24 rows with one column vector.
   The tile is instantiated for every row count (1..12) and for one or two
   column vectors, so partial tiles (m < 12, n <= 16) cost only what they
   compute; masked loads and stores keep every access inside the m x n tile.
   The epilogue (alpha, beta, bias, ReLU, leaky ReLU) runs on the registers;
   sigmoid and tanh through the path's row kernel while the rows are in L1. */
#include <immintrin.h>
#include <string.h>

#include "pack.h"
#include "x86/pack-transpose-avx2.h"
#include "x86/gemm-avx512.h"
#include "x86/vact-avx512.h"

#define MR MYL_AVX512_MR
#define NR MYL_AVX512_NR
#define MR_NARROW MYL_AVX512_MR_NARROW
#define B_PREFETCH_STEPS 16
#define BT_COLS MYL_AVX512_NR_BT
#define ROWS_NARROW 24 /* rows of the one-vector row tile */

#define INLINE static inline __attribute__((always_inline))

INLINE __m512 act_regs(int act, __m512 slope, __m512 v)
{
    if (act == MYL_ACT_RELU)
        return _mm512_max_ps(v, _mm512_setzero_ps());
    if (act == MYL_ACT_LEAKY_RELU)
        return _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ), v, slope);
    return v;
}

INLINE void tile(size_t k, const float *pa, size_t rsa, size_t csa, const float *pb, size_t ldpb, float *c, size_t ldc,
                 const int rows, const int nv, const int direct, size_t n, const myl_epilogue *ep)
{
    __m512 acc0[ROWS_NARROW], acc1[MR];
#pragma GCC unroll 24
    for (int i = 0; i < rows; i++) {
        acc0[i] = _mm512_setzero_ps();
        if (nv > 1)
            acc1[i] = _mm512_setzero_ps();
    }
    /* C is read (beta) and written only after the K loop: start fetching
       its lines now so the epilogue does not wait on L3 or memory. */
#pragma GCC unroll 24
    for (int i = 0; i < rows; i++) {
        _mm_prefetch((const char *)(c + (size_t)i * ldc), _MM_HINT_T0);
        if (nv > 1)
            _mm_prefetch((const char *)(c + (size_t)i * ldc + 16), _MM_HINT_T0);
    }
    /* Column masks: lanes [0, n) of the 32-wide tile. B is read through
       them too, so an unpacked B is never read past column n. */
    const __mmask16 m0 = n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1);
    const __mmask16 m1 = n >= 32 ? (__mmask16)0xffff : n > 16 ? (__mmask16)((1u << (n - 16)) - 1) : 0;
    /* Row-major A: rows in groups of three, each group one pointer plus
       0, 1 or 2 row strides, so twelve row streams need six registers and
       nothing spills (twelve row pointers did); 24 rows (one column
       vector) need ten. */
    const size_t r1 = direct ? rsa : 0, r2 = 2 * r1;
    const float *g[ROWS_NARROW / 3];
#pragma GCC unroll 8
    for (int q = 0; q < ROWS_NARROW / 3; q++)
        g[q] = rows > 3 * q ? pa + (size_t)(3 * q) * r1 : pa;
    for (size_t p = 0; p < k; p++) {
        /* The empty asm pins B in registers: otherwise gcc folds the B load
           into every FMA, 24 loads per step instead of 2 (load-bound). */
        __m512 b0 = _mm512_maskz_loadu_ps(m0, pb);
        __m512 b1 = _mm512_setzero_ps();
        if (nv > 1) {
            b1 = _mm512_maskz_loadu_ps(m1, pb + 16);
            __asm__("" : "+v"(b0), "+v"(b1));
            /* A packed B micro-panel (KC 768: 96 KiB) streams from L2, the
               hardware prefetcher does not keep ahead of it: fetch 16 steps
               ahead. (A, 48 bytes a step, gains nothing from it.) */
            if (ldpb == NR) {
                _mm_prefetch((const char *)(pb + B_PREFETCH_STEPS * NR), _MM_HINT_T0);
                _mm_prefetch((const char *)(pb + B_PREFETCH_STEPS * NR + 16), _MM_HINT_T0);
            }
        }
#pragma GCC unroll 24
        for (int i = 0; i < rows; i++) {
            const float *gi = g[i / 3];
            const __m512 a = _mm512_set1_ps(direct ? gi[i % 3 == 0 ? 0 : i % 3 == 1 ? r1 : r2] : pa[i]);
            acc0[i] = _mm512_fmadd_ps(a, b0, acc0[i]);
            if (nv > 1)
                acc1[i] = _mm512_fmadd_ps(a, b1, acc1[i]);
        }
        if (direct) {
#pragma GCC unroll 8
            for (int q = 0; q < ROWS_NARROW / 3; q++)
                if (rows > 3 * q)
                    g[q]++;
        } else {
            pa += csa;
        }
        pb += ldpb;
    }
    const __m512 alpha = _mm512_set1_ps(ep->alpha), beta = _mm512_set1_ps(ep->beta);
    const __m512 slope = _mm512_set1_ps(ep->slope);
    const int has_beta = ep->beta != 0.0f; /* beta == 0: C is never read (NaN must not leak) */
    __m512 bias0 = _mm512_setzero_ps(), bias1 = _mm512_setzero_ps();
    if (ep->bias) {
        bias0 = _mm512_maskz_loadu_ps(m0, ep->bias);
        if (nv > 1)
            bias1 = _mm512_maskz_loadu_ps(m1, ep->bias + 16);
    }
    const int act = ep->act;
#pragma GCC unroll 24
    for (int i = 0; i < rows; i++) {
        float *ci = c + (size_t)i * ldc;
        __m512 v0 = _mm512_mul_ps(alpha, acc0[i]);
        if (has_beta)
            v0 = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(m0, ci), v0);
        v0 = _mm512_add_ps(v0, bias0);
        v0 = act_regs(act, slope, v0);
        _mm512_mask_storeu_ps(ci, m0, v0);
        if (nv > 1) {
            __m512 v1 = _mm512_mul_ps(alpha, acc1[i]);
            if (has_beta)
                v1 = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(m1, ci + 16), v1);
            v1 = _mm512_add_ps(v1, bias1);
            v1 = act_regs(act, slope, v1);
            _mm512_mask_storeu_ps(ci + 16, m1, v1);
        }
    }
    if (act == MYL_ACT_SIGMOID || act == MYL_ACT_TANH)
        for (int i = 0; i < rows; i++)
            myl_f32_vact_avx512(act, ep->slope, n, c + (size_t)i * ldc, c + (size_t)i * ldc);
}

/* In-register transpose of a 16 x 16 block: r[j] lane i -> r[i] lane j. */
INLINE void transpose16(__m512 r[16])
{
    __m512 t[16], u[16];
#pragma GCC unroll 8
    for (int q = 0; q < 8; q++) {
        t[2 * q] = _mm512_unpacklo_ps(r[2 * q], r[2 * q + 1]);
        t[2 * q + 1] = _mm512_unpackhi_ps(r[2 * q], r[2 * q + 1]);
    }
#pragma GCC unroll 4
    for (int q = 0; q < 4; q++) {
        u[4 * q] = _mm512_shuffle_ps(t[4 * q], t[4 * q + 2], 0x44);
        u[4 * q + 1] = _mm512_shuffle_ps(t[4 * q], t[4 * q + 2], 0xee);
        u[4 * q + 2] = _mm512_shuffle_ps(t[4 * q + 1], t[4 * q + 3], 0x44);
        u[4 * q + 3] = _mm512_shuffle_ps(t[4 * q + 1], t[4 * q + 3], 0xee);
    }
#pragma GCC unroll 4
    for (int q = 0; q < 4; q++) {
        __m512 v0 = _mm512_shuffle_f32x4(u[q], u[q + 4], 0x88), v1 = _mm512_shuffle_f32x4(u[q], u[q + 4], 0xdd);
        __m512 v2 = _mm512_shuffle_f32x4(u[q + 8], u[q + 12], 0x88);
        __m512 v3 = _mm512_shuffle_f32x4(u[q + 8], u[q + 12], 0xdd);
        r[q] = _mm512_shuffle_f32x4(v0, v2, 0x88);
        r[q + 8] = _mm512_shuffle_f32x4(v0, v2, 0xdd);
        r[q + 4] = _mm512_shuffle_f32x4(v1, v3, 0x88);
        r[q + 12] = _mm512_shuffle_f32x4(v1, v3, 0xdd);
    }
}

/* Narrow products (n <= MLANES_NMAX) with A contiguous along its rows (stored
   transposed, or packed): the rows go in the vector lanes instead of the
   columns, one accumulator per column and 16-row vector, so every lane does
   useful work (n = 10 on column lanes uses 10 of 16). Per K step: one A load
   per row vector and one B broadcast per column. The tile is transposed
   back in registers for the epilogue, which then runs row by row exactly as
   in tile(): each element sees the same operations in the same order, so
   both tiles give the same bytes. */
#define MLANES_NMAX 12
/* Epilogue of one 16-row vector group of tile_mlanes: transpose, then row by row as in tile(). */
INLINE void mlanes_store(__m512 acc[16], float *c, size_t ldc, size_t rows, int cols, const myl_epilogue *ep)
{
    const __mmask16 cm = (__mmask16)((1u << cols) - 1);
    const __m512 alpha = _mm512_set1_ps(ep->alpha), beta = _mm512_set1_ps(ep->beta);
    const __m512 slope = _mm512_set1_ps(ep->slope);
    const int has_beta = ep->beta != 0.0f;
    const __m512 bias = ep->bias ? _mm512_maskz_loadu_ps(cm, ep->bias) : _mm512_setzero_ps();
    const int act = ep->act;
    transpose16(acc);
#pragma GCC unroll 16
    for (size_t i = 0; i < 16; i++) {
        if (i >= rows)
            break;
        float *ci = c + i * ldc;
        __m512 v = _mm512_mul_ps(alpha, acc[i]);
        if (has_beta)
            v = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(cm, ci), v);
        v = _mm512_add_ps(v, bias);
        v = act_regs(act, slope, v);
        _mm512_mask_storeu_ps(ci, cm, v);
    }
}

/* One K step of tile_mlanes: A rows [0,16) and [16,32) at a, B row at b. */
INLINE void mlanes_step(__m512 acc0[16], __m512 acc1[16], __m512 a0, __m512 a1, const float *b, const int nv,
                        const int cols)
{
#pragma GCC unroll 16
    for (int j = 0; j < cols; j++) {
        const __m512 bj = _mm512_set1_ps(b[j]);
        acc0[j] = _mm512_fmadd_ps(a0, bj, acc0[j]);
        if (nv > 1)
            acc1[j] = _mm512_fmadd_ps(a1, bj, acc1[j]);
    }
}

/* Row-major A pays a transposition (64 shuffles per 16 x 16 block); measured
   on Zen 5 (256 x n x 64) it wins for n <= 10 and loses at n = 12. */
#define MLANES_ROWMAJOR_NMAX 10
/* buf[p*32 + i] = A(i, p) for rows i < 32 (zero for i >= m) and p < kc <= MLANES_KCHUNK,
   A row-major. Not inlined, and handed the caller's accumulator store (not
   touched here) so that the compiler cannot carry them across the call. */
#define MLANES_KCHUNK 64
static __attribute__((noinline)) void mlanes_transpose(const float *pa, size_t rsa, size_t m, size_t kc, float *buf,
                                                      __m512 *accm)
{
    (void)accm;
    __asm__ volatile("" : : "r"(accm) : "memory");
    for (size_t q = 0; q < kc; q += 16) {
        const __mmask16 km = kc - q >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (kc - q)) - 1);
        for (size_t h = 0; h < 32 && h < m; h += 16) {
            __m512 r[16];
#pragma GCC unroll 16
            for (size_t i = 0; i < 16; i++)
                r[i] = h + i < m ? _mm512_maskz_loadu_ps(km, pa + (h + i) * rsa + q) : _mm512_setzero_ps();
            transpose16(r);
#pragma GCC unroll 16
            for (size_t i = 0; i < 16; i++)
                _mm512_store_ps(buf + (q + i) * 32 + h, r[i]);
        }
    }
}

INLINE void tile_mlanes(size_t k, const float *pa, size_t rsa, size_t csa, const float *pb, size_t ldpb, float *c,
                        size_t ldc, size_t m, const int nv, const int cols, const int rowmajor,
                        const myl_epilogue *ep)
{
    __m512 acc0[16], acc1[16];
#pragma GCC unroll 16
    for (int j = 0; j < 16; j++) {
        acc0[j] = _mm512_setzero_ps();
        acc1[j] = _mm512_setzero_ps();
    }
#pragma GCC unroll 32
    for (size_t i = 0; i < m; i++)
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
    if (!rowmajor) {
        const __mmask16 r0 = m >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << m) - 1);
        const __mmask16 r1 = m >= 32 ? (__mmask16)0xffff : m > 16 ? (__mmask16)((1u << (m - 16)) - 1) : 0;
        for (size_t p = 0; p < k; p++) {
            const __m512 a0 = _mm512_maskz_loadu_ps(r0, pa);
            const __m512 a1 = nv > 1 ? _mm512_maskz_loadu_ps(r1, pa + 16) : _mm512_setzero_ps();
            mlanes_step(acc0, acc1, a0, a1, pb, nv, cols);
            pa += csa;
            pb += ldpb;
        }
    } else {
        /* Row-major A: chunks of K are transposed into an L1 buffer (rows
           along the lanes) before their steps. The accumulators go through
           memory around each transposition (the callee may touch accm), so
           the compiler keeps them in registers inside the K loop. */
        float buf[MLANES_KCHUNK * 32] __attribute__((aligned(64)));
        __m512 accm[32];
#pragma GCC unroll 32
        for (int j = 0; j < 32; j++)
            accm[j] = _mm512_setzero_ps();
        for (size_t p0 = 0; p0 < k; p0 += MLANES_KCHUNK) {
            const size_t kc = k - p0 < MLANES_KCHUNK ? k - p0 : MLANES_KCHUNK;
            mlanes_transpose(pa + p0, rsa, m, kc, buf, accm);
            __m512 x0[16], x1[16];
#pragma GCC unroll 16
            for (int j = 0; j < 16; j++) {
                x0[j] = accm[j];
                x1[j] = accm[16 + j];
            }
            for (size_t p = 0; p < kc; p++) {
                const __m512 a0 = _mm512_load_ps(buf + p * 32);
                const __m512 a1 = nv > 1 ? _mm512_load_ps(buf + p * 32 + 16) : _mm512_setzero_ps();
                mlanes_step(x0, x1, a0, a1, pb, nv, cols);
                pb += ldpb;
            }
#pragma GCC unroll 16
            for (int j = 0; j < 16; j++) {
                accm[j] = x0[j];
                accm[16 + j] = x1[j];
            }
        }
#pragma GCC unroll 16
        for (int j = 0; j < 16; j++) {
            acc0[j] = accm[j];
            acc1[j] = accm[16 + j];
        }
    }
    mlanes_store(acc0, c, ldc, m < 16 ? m : 16, cols, ep);
    if (nv > 1)
        mlanes_store(acc1, c + 16 * ldc, ldc, m - 16, cols, ep);
    if (ep->act == MYL_ACT_SIGMOID || ep->act == MYL_ACT_TANH)
        for (size_t i = 0; i < m; i++)
            myl_f32_vact_avx512(ep->act, ep->slope, (size_t)cols, c + i * ldc, c + i * ldc);
}

#define MLANES_CASE(nc)                                                                  \
    case nc:                                                                             \
        if (rsa == 1)                                                                    \
            mm > 16 ? tile_mlanes(k, pa, 1, csa, pb, ldpb, c, ldc, mm, 2, nc, 0, ep)     \
                    : tile_mlanes(k, pa, 1, csa, pb, ldpb, c, ldc, mm, 1, nc, 0, ep);    \
        else                                                                             \
            mm > 16 ? tile_mlanes(k, pa, rsa, 1, pb, ldpb, c, ldc, mm, 2, nc, 1, ep)     \
                    : tile_mlanes(k, pa, rsa, 1, pb, ldpb, c, ldc, mm, 1, nc, 1, ep);    \
        break;

/* Instances per row count, one or two column vectors, and A with
   contiguous rows (packed, or stored transposed) or contiguous k (row-major). */
#define ROWS_CASE(r)                                                          \
    case r:                                                                   \
        if (n > 16)                                                           \
            rsa != 1 ? tile(k, pa, rsa, 1, pb, ldpb, c, ldc, r, 2, 1, n, ep)  \
                 : tile(k, pa, 1, csa, pb, ldpb, c, ldc, r, 2, 0, n, ep);     \
        else                                                                  \
            rsa != 1 ? tile(k, pa, rsa, 1, pb, ldpb, c, ldc, r, 1, 1, n, ep)  \
                 : tile(k, pa, 1, csa, pb, ldpb, c, ldc, r, 1, 0, n, ep);     \
        break;

/* 13..24 rows: one column vector only (n <= 16, the table's mr_narrow). */
#define NARROW_CASE(r)                                                        \
    case r:                                                                   \
        rsa != 1 ? tile(k, pa, rsa, 1, pb, ldpb, c, ldc, r, 1, 1, n, ep)      \
             : tile(k, pa, 1, csa, pb, ldpb, c, ldc, r, 1, 0, n, ep);         \
        break;

/* B stored transposed (B(p, j) = pb[j*ldb + p], e.g. dY.W^T) with few rows:
   the rows-along-lanes tile reads B in place, each column a contiguous run
   along K, so B is never packed. Columns in groups of three, one pointer
   each plus 0, 1 or 2 strides (as the row groups of tile()). */
INLINE void tile_mlanes_bt(size_t k, const float *pa, size_t csa, const float *pb, size_t ldb, float *c, size_t ldc,
                           size_t m, const int nv, const int cols, const myl_epilogue *ep)
{
    __m512 acc0[16], acc1[16];
#pragma GCC unroll 16
    for (int j = 0; j < 16; j++) {
        acc0[j] = _mm512_setzero_ps();
        acc1[j] = _mm512_setzero_ps();
    }
#pragma GCC unroll 32
    for (size_t i = 0; i < m; i++)
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
    const __mmask16 r0 = m >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << m) - 1);
    const __mmask16 r1 = m >= 32 ? (__mmask16)0xffff : m > 16 ? (__mmask16)((1u << (m - 16)) - 1) : 0;
    const size_t s1 = ldb, s2 = 2 * ldb;
    const float *g[BT_COLS / 3];
#pragma GCC unroll 8
    for (int q = 0; q < BT_COLS / 3; q++)
        g[q] = cols > 3 * q ? pb + (size_t)(3 * q) * ldb : pb;
    for (size_t p = 0; p < k; p++) {
        const __m512 a0 = _mm512_maskz_loadu_ps(r0, pa);
        const __m512 a1 = nv > 1 ? _mm512_maskz_loadu_ps(r1, pa + 16) : _mm512_setzero_ps();
#pragma GCC unroll 16
        for (int j = 0; j < cols; j++) {
            const float *gj = g[j / 3];
            const __m512 bj = _mm512_set1_ps(gj[j % 3 == 0 ? 0 : j % 3 == 1 ? s1 : s2]);
            acc0[j] = _mm512_fmadd_ps(a0, bj, acc0[j]);
            if (nv > 1)
                acc1[j] = _mm512_fmadd_ps(a1, bj, acc1[j]);
        }
#pragma GCC unroll 8
        for (int q = 0; q < BT_COLS / 3; q++)
            if (cols > 3 * q)
                g[q]++;
        pa += csa;
    }
    mlanes_store(acc0, c, ldc, m < 16 ? m : 16, cols, ep);
    if (nv > 1)
        mlanes_store(acc1, c + 16 * ldc, ldc, m - 16, cols, ep);
    if (ep->act == MYL_ACT_SIGMOID || ep->act == MYL_ACT_TANH)
        for (size_t i = 0; i < m; i++)
            myl_f32_vact_avx512(ep->act, ep->slope, (size_t)cols, c + i * ldc, c + i * ldc);
}

#define BT_CASE(nc)                                                                      \
    case nc:                                                                             \
        m > 16 ? tile_mlanes_bt(k, pa, csa, pb, ldpb, c, ldc, m, 2, nc, ep)              \
               : tile_mlanes_bt(k, pa, csa, pb, ldpb, c, ldc, m, 1, nc, ep);             \
        break;

void myl_f32_gemm_ukr_bt_avx512(size_t k, const void *pa_, size_t rsa, size_t csa, const void *pb_, size_t ldpb,
                                float *c, size_t ldc, size_t m, size_t n, const myl_epilogue *ep)
{
    (void)rsa; /* always 1: A contiguous along its rows */
    const float *pa = pa_, *pb = pb_;
    switch (n) {
        BT_CASE(1) BT_CASE(2) BT_CASE(3) BT_CASE(4) BT_CASE(5) BT_CASE(6)
        BT_CASE(7) BT_CASE(8) BT_CASE(9) BT_CASE(10) BT_CASE(11) BT_CASE(12)
    default: break;
    }
}

/* A for the B-transposed kernel: dst[p*MR_BT + i] = op(A)(i, p), i < mc <= MR_BT. */
void myl_pack_a_bt_avx512(int trans, size_t mc, size_t kc, const float *a, size_t lda, void *dst_)
{
    float *dst = dst_;
    if (trans) {
        for (size_t p = 0; p < kc; p++)
            memcpy(dst + p * MYL_AVX512_MR_BT, a + p * lda, mc * sizeof(float));
        return;
    }
    for (size_t p0 = 0; p0 < kc; p0 += MLANES_KCHUNK)
        mlanes_transpose(a + p0, lda, mc, kc - p0 < MLANES_KCHUNK ? kc - p0 : MLANES_KCHUNK,
                         dst + p0 * MYL_AVX512_MR_BT, NULL);
}

/* Narrow panels (n <= 16) of more than ROWS_NARROW rows, or in rows along the
   lanes: out of line, so the common tiles keep a small stack frame. */
static __attribute__((noinline)) void narrow_rows(size_t k, const float *pa, size_t rsa, size_t csa,
                                                  const float *pb, size_t ldpb, float *c, size_t ldc, size_t m,
                                                  size_t n, const myl_epilogue *ep)
{
    if (rsa == 1 ? n <= MLANES_NMAX : n <= MLANES_ROWMAJOR_NMAX) {
        for (size_t i0 = 0; i0 < m; i0 += 32, pa += 32 * rsa, c += 32 * ldc) {
            const size_t mm = m - i0 < 32 ? m - i0 : 32;
            switch (n) {
                MLANES_CASE(1) MLANES_CASE(2) MLANES_CASE(3) MLANES_CASE(4) MLANES_CASE(5) MLANES_CASE(6)
                MLANES_CASE(7) MLANES_CASE(8) MLANES_CASE(9) MLANES_CASE(10) MLANES_CASE(11) MLANES_CASE(12)
            default: break;
            }
        }
        return;
    }
    for (size_t i0 = 0; i0 < m; i0 += ROWS_NARROW)
        myl_f32_gemm_ukr_avx512(k, pa + i0 * rsa, rsa, csa, pb, ldpb, c + i0 * ldc, ldc,
                                m - i0 < ROWS_NARROW ? m - i0 : ROWS_NARROW, n, ep);
}

void myl_f32_gemm_ukr_avx512(size_t k, const void *pa_, size_t rsa, size_t csa, const void *pb_, size_t ldpb, float *c,
                             size_t ldc, size_t m, size_t n, const myl_epilogue *ep)
{
    const float *pa = pa_, *pb = pb_;
    if (m > ROWS_NARROW || (m > 8 && (rsa == 1 ? n <= MLANES_NMAX : n <= MLANES_ROWMAJOR_NMAX))) {
        narrow_rows(k, pa, rsa, csa, pb, ldpb, c, ldc, m, n, ep);
        return;
    }
    switch (m) {
        ROWS_CASE(1) ROWS_CASE(2) ROWS_CASE(3) ROWS_CASE(4) ROWS_CASE(5) ROWS_CASE(6)
        ROWS_CASE(7) ROWS_CASE(8) ROWS_CASE(9) ROWS_CASE(10) ROWS_CASE(11) ROWS_CASE(12)
        NARROW_CASE(13) NARROW_CASE(14) NARROW_CASE(15) NARROW_CASE(16) NARROW_CASE(17) NARROW_CASE(18)
        NARROW_CASE(19) NARROW_CASE(20) NARROW_CASE(21) NARROW_CASE(22) NARROW_CASE(23) NARROW_CASE(24)
    default: break;
    }
}

/* Packing: contiguous directions through the generic copies; the
   transposing ones (A row-major, B stored transposed) in 8x8 registers. */
void myl_pack_a_avx512(int trans, size_t mc, size_t kc, const float *a, size_t lda, void *dst_)
{
    if (trans) {
        myl_pack_a_f32(MR, trans, mc, kc, a, lda, dst_);
        return;
    }
    float *dst = dst_;
    for (size_t i0 = 0; i0 < mc; i0 += MR, dst += MR * kc)
        myl_pack_transpose_avx2(a + i0 * lda, lda, mc - i0 < MR ? mc - i0 : MR, kc, MR, dst, MR);
}

void myl_pack_b_avx512(int trans, size_t kc, size_t nc, const float *b, size_t ldb, void *dst_)
{
    if (!trans) {
        myl_pack_b_f32(NR, trans, kc, nc, b, ldb, dst_);
        return;
    }
    float *dst = dst_;
    for (size_t j0 = 0; j0 < nc; j0 += NR, dst += NR * kc)
        myl_pack_transpose_avx2(b + j0 * ldb, ldb, nc - j0 < NR ? nc - j0 : NR, kc, NR, dst, NR);
}

/*
 * kernels.h - the contract between leaf kernels and the engine.
 *
 * Kernels do no allocation, no threading and no I/O. Each ISA fills one const
 * myl_kernels table; the engine picks one at start-up (engine/dispatch.c) and
 * calls only through it, so the GEMM driver never knows which ISA runs.
 */
#ifndef MYL_KERNELS_H
#define MYL_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Activation codes are the public myelin_act values. */
enum { MYL_ACT_LINEAR = 0, MYL_ACT_RELU, MYL_ACT_LEAKY_RELU, MYL_ACT_SIGMOID, MYL_ACT_TANH, MYL_ACT_SOFTMAX };

/* What a micro-kernel does with its accumulator tile before storing it:
   C = alpha*acc + beta*C (C not read when beta == 0), then + bias[j], then act.
   bias and act are only set on the last K block; softmax is never passed here
   (it needs the whole row; the driver applies it after the row is complete). */
typedef struct {
    float alpha, beta;
    const float *bias;   /* bias of the tile's first column, or NULL */
    int act;             /* MYL_ACT_LINEAR .. MYL_ACT_TANH */
    float slope;         /* leaky ReLU slope */
} myl_epilogue;

/* Micro-kernel: C[0..m)[0..n) (row stride ldc) <- epilogue(Apanel * Bpanel),
   m <= MR, n <= NR. Apanel is A(i,p) = pa[i*rsa + p*csa] with rsa == 1 or
   csa == 1: a packed k x MR panel (rsa = 1, csa = MR), zero-padded to the
   full tile and aligned to 64 bytes; FP32 paths may also be handed the
   unpacked operand, row-major (rsa = lda, csa = 1) or stored transposed
   (rsa = 1, csa = lda), of which only rows i < m may be read. Bpanel is
   k x NR with row stride ldpb (pb[p*ldpb + j] = B(p,j)): ldpb == NR for a
   packed, zero-padded, aligned panel; FP32 paths may also get an unpacked
   row-major B (ldpb = ldb, any alignment), of which only columns j < n may
   be read. Must not touch C outside m x n. k may be 0. */
typedef void (*myl_gemm_ukr_fn)(size_t k, const void *pa, size_t rsa, size_t csa, const void *pb, size_t ldpb,
                                float *c, size_t ldc, size_t m, size_t n,
                                const myl_epilogue *ep);

/* Packing: copy the mc x kc block of op(A) starting at (i0,p0) into MR-row
   panels, zero-padding the last panel; likewise kc x nc of op(B) into NR-column
   panels. trans says whether the stored matrix is transposed relative to op().
   The packed element type is the table's pack_elem_size (4 for FP32; a BF16
   path would pack 2-byte elements with its own routines). */
typedef void (*myl_pack_a_fn)(int trans, size_t mc, size_t kc, const float *a, size_t lda,
                              void *dst);
typedef void (*myl_pack_b_fn)(int trans, size_t kc, size_t nc, const float *b, size_t ldb,
                              void *dst);

/* Element-wise kernels on contiguous vectors (x and y may be the same). */
typedef void (*myl_vunary_fn)(size_t n, const float *x, float *y);
typedef void (*myl_vact_fn)(int act, float slope, size_t n, const float *x, float *y);
/* dx = dy * act'(y) for element-wise acts (not softmax); dx may alias dy. */
typedef void (*myl_vact_bwd_fn)(int act, float slope, size_t n, const float *y,
                                const float *dy, float *dx);
/* One softmax row: y = softmax(x); x and y may be the same. */
typedef void (*myl_softmax_fn)(size_t n, const float *x, float *y);
/* Softmax of rows x n (strided): each row as the table's softmax gives it;
   x and y may be the same (ldx == ldy). */
typedef void (*myl_softmax_rows_fn)(size_t rows, size_t n, const float *x, size_t ldx, float *y, size_t ldy);
/* y[i] = ((float)x[i] - offset[i]) * scale[i], i < n: a subtraction and then
   a product, each rounded (never fused), the same bytes on every path. */
typedef void (*myl_u8_vcvt_fn)(size_t n, const uint8_t *x, const float *offset, const float *scale, float *y);
/* Softmax + categorical cross-entropy of rows x n logits z (2 <= n <= 16,
   rows of n floats; t, p and g alike): p = softmax(z), g = (p - t) * g_scale
   when g is not NULL, *loss_sum = the sum over rows of sum_j t_j (lse - z_j)
   over t_j != 0 (lse = log sum_j exp z_j; NaN or +inf logits make it NaN),
   *correct = the rows whose first maximum of p is the first maximum of t
   (not counted when correct is NULL); p is not stored when NULL. */
/* Softmax backward of rows x n (strided): dx = y * (dy - sum_j dy_j y_j) per
   row, the sum in double; dx may be dy (same stride). */
typedef void (*myl_softmax_bwd_fn)(size_t rows, size_t n, const float *y, size_t ldy, const float *dy, size_t lddy,
                                   float *dx, size_t lddx);
typedef void (*myl_softmax_ce_fn)(size_t rows, size_t n, const float *z, const float *t, float *p, float *g,
                                  float g_scale, double *loss_sum, size_t *correct);

/* Paths, in the order of the tuning record's per-path entries. */
enum { MYL_ISA_SCALAR = 0, MYL_ISA_AVX2, MYL_ISA_AVX512, MYL_ISA_NEON, MYL_ISA_COUNT };

/* One GEMM micro-kernel variant of a path, with the packing of its tile.
   Every variant of a path computes each element of C with the same
   operations in the same K order (one FMA chain from zero, then the
   epilogue), so which one runs is a speed choice only (engine/tuning.c). */
typedef struct {
    const char *name;          /* its file, op-tile-isa: "f32-gemm-12x32-avx512" */
    unsigned mr, nr;           /* tile */
    unsigned mr_narrow_max;    /* rows a call may take when n <= nr/2 and A is not packed (0: mr) */
    unsigned b_prefetch;       /* B prefetch distance compiled in, in K steps (0: none) */
    int a_rowmajor_in_place;   /* reads row-major A in place at full speed (else the driver packs it) */
    myl_gemm_ukr_fn ukr;
    myl_pack_a_fn pack_a;
    myl_pack_b_fn pack_b;
} myl_gemm_variant;

typedef struct {
    const char *name;          /* "scalar", "avx2", "avx512", "neon" */
    unsigned id;               /* MYL_ISA_* */
    unsigned mr, nr;           /* GEMM micro-tile */
    unsigned mr_narrow;        /* rows a gemm_ukr call may take when n <= nr/2 and A is not packed (0: mr) */
    unsigned pack_elem_size;   /* bytes per packed element */
    /* 1: a BF16 table (pack_elem_size 2): operands packed in K pairs with the
       layouts of kernels/bf16.h, the micro-kernel reading the A panel as
       32-bit pairs A(i, pair q) = pa[i*rsa + q*csa] and B as pair q of
       column j = pb[q*ldpb + j], k still counted in elements. Such tables
       fill only the GEMM fields (no bt kernel, no softmax: the BF16 GEMM
       passes neither). */
    unsigned pairs;
    myl_gemm_ukr_fn gemm_ukr;
    /* Optional (NULL: none), FP32: the same contract but with op(B) stored
       transposed and read in place, B(p,j) = pb[j*ldpb + p] (only columns
       j < n read), and A contiguous along its rows (rsa == 1: stored
       transposed, or a k x mr_bt panel the driver packs); m <= mr_bt,
       n <= nr_bt. For small M, where packing B would cost a large share.
       pack_a_bt packs op(A) (mc <= mr_bt rows, kc) for it: dst[p*mr_bt + i]
       (dst holds mr_bt x kc rounded up to 16). */
    myl_gemm_ukr_fn gemm_ukr_bt;
    myl_pack_a_fn pack_a_bt;
    unsigned mr_bt, nr_bt;
    myl_pack_a_fn pack_a;
    myl_pack_b_fn pack_b;
    myl_vunary_fn vexp, vsigmoid, vtanh;
    myl_vact_fn vact;
    myl_vact_bwd_fn vact_bwd;
    myl_softmax_fn softmax;
    myl_u8_vcvt_fn u8_vcvt;    /* dataset bytes to floats (the minibatch gather) */
    myl_softmax_ce_fn softmax_ce; /* optional (NULL: the engine's row loop) */
    myl_softmax_bwd_fn softmax_bwd; /* optional (NULL: the engine's row loop) */
    myl_softmax_rows_fn softmax_rows; /* optional (NULL: softmax row by row) */
    /* GEMM variants (variants[0] is gemm_ukr/mr/nr/pack_a/pack_b above);
       the tuning record picks one per shape class. */
    const myl_gemm_variant *variants;
    unsigned n_variants;
    /* Optional: narrow products with rows along the lanes, m any, n <=
       nr_lanes, A packed/stored transposed or row-major (transposed in L1
       by the kernel). The record says when the driver uses it. */
    myl_gemm_ukr_fn gemm_ukr_lanes;
    unsigned nr_lanes;
} myl_kernels;

/* Tables defined by each ISA's files; NULL-free. A table exists in a build
   only if its ISA is compiled in (MYL_HAVE_AVX2 etc. from the Makefile). */
extern const myl_kernels myl_kernels_scalar;
#if defined(MYL_HAVE_AVX2)
extern const myl_kernels myl_kernels_avx2;
#endif
#if defined(MYL_HAVE_AVX512)
extern const myl_kernels myl_kernels_avx512;
#endif
#if defined(MYL_HAVE_NEON)
extern const myl_kernels myl_kernels_neon;
#endif
/* BF16 GEMM tables: the scalar one computes what vdpbf16ps does, bit for
   bit (kernels/bf16.h), with the same tile so the driver's blocking, and so
   the bytes, are the same. */
#define MYL_BF16_MR 12
#define MYL_BF16_NR 32
#define MYL_BF16_MR_NARROW 24 /* rows per call when n <= 16 and A is packed by rows */
extern const myl_kernels myl_kernels_bf16_scalar;
#if defined(MYL_HAVE_AVX512BF16)
extern const myl_kernels myl_kernels_bf16_avx512;
#endif

#endif

/* internal.h - shared by the engine's files; not installed. */
#ifndef MYL_INTERNAL_H
#define MYL_INTERNAL_H

#include "kernels.h"
#include "myelin.h"

#include <stddef.h>
#include <stdint.h>

/* Records a message for myelin_last_error() and returns status, so that
   `return myl_fail(MYELIN_EINVAL, "lda (%zu) < k (%zu)", lda, k);` reads well. */
int myl_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void myl_clear_error(void);
/* Text into a caller's buffer: appends printf output at off (truncated to
   len bytes, always terminated when len > 0); off counts the whole text,
   so off >= len afterwards means it did not fit. */
typedef struct {
    char *buf;
    size_t len, off;
} myl_writer;
void myl_put(myl_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The kernel table in use, initialised on first use from MYELIN_ISA or the
   fastest path this CPU runs. NULL only when MYELIN_ISA names a path this
   CPU lacks: public functions therefore fetch it with myl_kernels_get, which
   returns MYELIN_EUNSUPPORTED (and the message) in that case. */
const myl_kernels *myl_active(void);
int myl_kernels_get(const myl_kernels **out);
/* The BF16 GEMM table that goes with the FP32 path in use: AVX512-BF16 when
   that path is avx512 and the CPU has AVX512-BF16, else the scalar
   emulation (same bytes); MYELIN_EUNSUPPORTED as myl_kernels_get. */
int myl_bf16_kernels_get(const myl_kernels **out);
/* Tests only: 1 forces the scalar emulation, 0 restores the choice above. */
void myl_bf16_force_emulation(int on);
/* AMX: the state of Linux's permission for the tile data (requested once
   per process, only on a CPU and OS with AMX): a short text for info. */
const char *myl_amx_state(void);
/* The table for a named path if this CPU and build can run it, else NULL. */
const myl_kernels *myl_kernels_by_name(const char *name);

/* CPU features found at start-up. */
typedef struct {
    int sse2, avx, avx2, fma, avx512f, avx512dq, avx512bw, avx512vl, avx512bf16, amx_bf16, amx_tile;
    int os_ymm, os_zmm, os_amx;       /* xgetbv: the OS saves these registers */
    int neon, asimdhp;
    char vendor[16], brand[64];
    int family, model;
} myl_cpu;
const myl_cpu *myl_cpu_info(void);

/* Cache sizes in bytes (hwloc or sysfs; sane defaults when unknown). */
typedef struct { size_t l1d, l2, l3; int from_system; } myl_caches;
const myl_caches *myl_cache_info(void);

/* Threads: the count OpenMP regions of the engine use (1 when called from
   inside an OpenMP region of any size: no nested teams). */
int myl_threads(void);
/* Caps myl_threads() for the calling thread's later calls (0: no cap);
   returns the previous cap, to restore. */
int myl_cap_threads(int cap);
/* Number of physical cores (hwloc; else online CPUs). */
int myl_physical_cores(void);
/* Pin the calling OpenMP team one thread per core if pinning is on. */
void myl_pin_team(void);

/* 64-byte aligned allocation (free with myl_free); NULL on failure or overflow. */
void *myl_alloc(size_t bytes);
void myl_free(void *p);
/* a*b without overflow, else returns 0 and leaves *out unchanged. */
int myl_mul_ok(size_t a, size_t b, size_t *out);

/* ---- GEMM (engine/gemm.c) */
/* Row-major C = act(alpha*op(A)*op(B) + beta*C + bias) with the active kernel
   table; no validation (callers validate). bias (n entries) may be NULL; act is
   a myelin_act (softmax applied to each finished row). Threads split M and N,
   never K: identical bytes for any thread count. MYELIN_OK or MYELIN_ENOMEM. */
int myl_gemm(int ta, int tb, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
             const float *b, size_t ldb, float beta, float *c, size_t ldc,
             const float *bias, int act, float slope);
/* The same driver with a given table (FP32 or BF16, kernels.h), and the BF16
   GEMM with the BF16 table in use (myl_bf16_kernels_get): FP32 operands
   rounded to BF16 while packed, FP32 accumulation; bias and act as above
   except softmax (not supported by the BF16 tables). */
int myl_gemm_with(const myl_kernels *kt, int ta, int tb, size_t m, size_t n, size_t k, float alpha,
                  const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc,
                  const float *bias, int act, float slope);
int myl_gemm_bf16(int ta, int tb, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
                  const float *b, size_t ldb, float beta, float *c, size_t ldc,
                  const float *bias, int act, float slope);
/* The GEMM argument checks of myelin_sgemm (transposes, NULL operands,
   leading dimensions, extents), with fn naming the caller in the message. */
int myl_check_gemm(const char *fn, int ta, int tb, size_t m, size_t n, size_t k, const float *a, size_t lda,
                   const float *b, size_t ldb, const float *c, size_t ldc);
/* The cache blocking the driver uses with a kernel table (for `myelin info`). */
typedef struct { size_t mc, kc, nc; } myl_blocking;
void myl_gemm_blocking(const myl_kernels *k, myl_blocking *out);
/* Tests only: force tiny blocks (NULL restores the cache-derived ones) so
   every loop of the driver runs more than once on small products. */
void myl_gemm_force_blocking(const myl_blocking *b);
/* Text of the topology for `myelin info` (engine/threads.c). */
int myl_topology_text(char *buf, size_t len);

/* Losses (engine/loss.c), without argument checks: the sum over `rows` of each
   row's loss (MSE: 1/2 sum (y-t)^2, MAE, BCE clamped, BCE on logits, CE clamped,
   softmax-CE via log-sum-exp) into *loss_sum, and, when grad is not NULL, the
   gradient of that row loss w.r.t. y (the logits for the fused losses: p - t)
   times grad_scale (1/batch for a mean). grad may be y with ldg == ldy.
   Lets the training engine work on its own buffers and batch slices. */
int myl_loss_rows(myelin_loss loss, size_t rows, size_t cols, const float *y, size_t ldy, const float *t,
                  size_t ldt, double *loss_sum, float *grad, size_t ldg, float grad_scale);

#endif

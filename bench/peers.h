/*
 * peers.h - the other GEMM libraries, each loaded at run time with dlopen
 * (RTLD_LOCAL), so OpenBLAS's and BLIS's cblas_sgemm never clash, a missing
 * library is a skipped peer rather than a link error, and `make test` can
 * build the benchmark without the bench-only packages.
 */
#ifndef MB_PEERS_H
#define MB_PEERS_H

#include <stddef.h>

/* Row-major C = alpha*op(A)*op(B) + beta*C; ta/tb are 0 (N) or 1 (T). */
typedef void (*mb_gemm_fn)(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
                           const float *a, size_t lda, const float *b, size_t ldb,
                           float beta, float *c, size_t ldc);

/* 1 if the peer's library file is present (cheap: no loading). */
int mb_peer_present(const char *name);
/* Loads the peer (once) and sets its thread count; 0 or non-zero with err. */
int mb_peer_load(const char *name, int threads, mb_gemm_fn *fn, char *err, size_t errlen);

/* Names: "openblas", "blis", "onednn", "libxsmm". */
extern const char *const mb_peer_names[];
extern const size_t mb_peer_count;

/* oneDNN's BF16 matmul (peer-dnnl-bf16.c): a primitive per shape, with BF16
   copies of A and B made in setup (Myelin's rounding) and C as FP32. */
typedef struct mb_dnnl_bf16 mb_dnnl_bf16;
int mb_dnnl_bf16_present(void);
mb_dnnl_bf16 *mb_dnnl_bf16_setup(int ta, int tb, size_t m, size_t n, size_t k, const float *a, size_t lda,
                                 const float *b, size_t ldb, float *c, size_t ldc, int threads, char *impl,
                                 size_t impl_len, char *err, size_t errlen);
void mb_dnnl_bf16_run(mb_dnnl_bf16 *x);
void mb_dnnl_bf16_free(mb_dnnl_bf16 *x);

#endif

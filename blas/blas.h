/* blas.h - shared by the files of the BLAS front end (libmyelin_blas.so); not installed.
 *
 * The library exports the standard BLAS entry points for single-precision
 * GEMM and maps them onto Myelin's row-major driver through the public API. */
#ifndef MYL_BLAS_H
#define MYL_BLAS_H

#include <stddef.h>

/* CBLAS enumerations, values as in netlib's cblas.h (the ABI every caller uses). */
enum { MYL_CBLAS_ROW_MAJOR = 101, MYL_CBLAS_COL_MAJOR = 102 };
enum { MYL_CBLAS_NO_TRANS = 111, MYL_CBLAS_TRANS = 112, MYL_CBLAS_CONJ_TRANS = 113 };

/* netlib's CBLAS globals: xscblat3 refers to RowMajorStrg (a copy relocation
   in the tester), and netlib's xerbla_ reads CBLAS_CallFromC to tell a C
   caller from a Fortran one. The tester's copy is the one everyone sees. */
extern int RowMajorStrg;
extern int CBLAS_CallFromC;

void xerbla_(const char *srname, const int *info, size_t srname_len);
void cblas_xerbla(int info, const char *rout, const char *form, ...);

/* Column-major SGEMM with the reference argument checks (errors through
   xerbla_ as "SGEMM ", parameter numbers of the Fortran interface) and quick
   returns; ta and tb are the Fortran characters ('N', 'T', 'C', any case).
   cblas: 0 for a Fortran caller, else the layout cblas_sgemm was given,
   which an error report publishes in CBLAS_CallFromC and RowMajorStrg. */
void myl_blas_sgemm_cm(char ta, char tb, int m, int n, int k, float alpha, const float *a, int lda,
                       const float *b, int ldb, float beta, float *c, int ldc, int cblas);

/* Thread count from MYELIN_NUM_THREADS, then OMP_NUM_THREADS, then the
   physical cores; applied once, on the first call. */
void myl_blas_init(void);
/* The pool (blas/pool.c): sized once by myl_blas_init; a row-major product
   split over it, or run on the calling thread (small products, inside an
   OpenMP region, pool in use). Returns Myelin's status. */
void myl_blas_pool_init(int threads);
int myl_blas_gemm_rm(int ta, int tb, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
                     const float *b, size_t ldb, float beta, float *c, size_t ldc);
/* A status Myelin returned although the arguments were valid (ENOMEM,
   EUNSUPPORTED): printed once per status to stderr with Myelin's message. */
void myl_blas_report_failure(int status);

#endif

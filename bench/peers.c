/* peers.c - OpenBLAS, BLIS, oneDNN and libxsmm behind one row-major sgemm. */
#include <dlfcn.h>
#include <limits.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "peers.h"

const char *const mb_peer_names[] = { "openblas", "blis", "onednn", "libxsmm" };
const size_t mb_peer_count = sizeof mb_peer_names / sizeof mb_peer_names[0];

#define LIBDIR "/usr/lib/x86_64-linux-gnu/"

/* Debian's OpenBLAS pthread build and BLIS's OpenMP build, by full path, so
   the BLAS alternative the system happens to select does not matter. */
static const char *const openblas_paths[] = { LIBDIR "openblas-pthread/libopenblas.so.0",
                                              "libopenblas.so.0", NULL };
static const char *const blis_paths[] = { LIBDIR "blis-openmp/libblis.so.4", "libblis.so.4", NULL };
static const char *const onednn_paths[] = { LIBDIR "libdnnl.so.2", "libdnnl.so.2", NULL };

/* The libxsmm module is built next to the benchmark binary (bench.mk):
   Debian ships libxsmm as static archives only. */
static int xsmm_path(char *buf, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return -1;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash) return -1;
    static const char module[] = "/mb-xsmm.so";
    size_t dir = (size_t)(slash - exe);
    if (dir + sizeof module > len) return -1;
    memcpy(buf, exe, dir);
    memcpy(buf + dir, module, sizeof module);
    return 0;
}

static const char *const *paths_of(const char *name)
{
    if (!strcmp(name, "openblas")) return openblas_paths;
    if (!strcmp(name, "blis")) return blis_paths;
    if (!strcmp(name, "onednn")) return onednn_paths;
    return NULL;
}

int mb_peer_present(const char *name)
{
    if (!strcmp(name, "libxsmm")) {
        char p[PATH_MAX];
        return xsmm_path(p, sizeof p) == 0 && access(p, R_OK) == 0;
    }
    const char *const *paths = paths_of(name);
    if (!paths) return 0;
    if (access(paths[0], R_OK) == 0) return 1;
    void *h = dlopen(paths[1], RTLD_LAZY | RTLD_LOCAL | RTLD_NOLOAD);
    if (h) { dlclose(h); return 1; }
    return 0;
}

static void *open_first(const char *const *paths, char *err, size_t errlen)
{
    for (size_t i = 0; paths[i]; i++) {
        void *h = dlopen(paths[i], RTLD_NOW | RTLD_LOCAL);
        if (h) return h;
    }
    snprintf(err, errlen, "cannot load %s: %s", paths[0], dlerror());
    return NULL;
}

/* ---- OpenBLAS and BLIS: cblas_sgemm */
enum { CBLAS_ROW = 101, CBLAS_N = 111, CBLAS_T = 112 };
typedef void (*cblas_sgemm_fn)(int, int, int, int, int, int, float, const float *, int,
                               const float *, int, float, float *, int);
static cblas_sgemm_fn cblas_openblas, cblas_blis;

static void gemm_openblas(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
                          const float *a, size_t lda, const float *b, size_t ldb,
                          float beta, float *c, size_t ldc)
{
    cblas_openblas(CBLAS_ROW, ta ? CBLAS_T : CBLAS_N, tb ? CBLAS_T : CBLAS_N, (int)m, (int)n,
                   (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

static void gemm_blis(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
                      const float *a, size_t lda, const float *b, size_t ldb,
                      float beta, float *c, size_t ldc)
{
    cblas_blis(CBLAS_ROW, ta ? CBLAS_T : CBLAS_N, tb ? CBLAS_T : CBLAS_N, (int)m, (int)n,
               (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

/* ---- oneDNN: dnnl_sgemm is row-major already */
typedef int (*dnnl_sgemm_fn)(char, char, int64_t, int64_t, int64_t, float, const float *,
                             int64_t, const float *, int64_t, float, float *, int64_t);
static dnnl_sgemm_fn sgemm_dnnl;

static void gemm_onednn(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
                        const float *a, size_t lda, const float *b, size_t ldb,
                        float beta, float *c, size_t ldc)
{
    sgemm_dnnl(ta ? 'T' : 'N', tb ? 'T' : 'N', (int64_t)m, (int64_t)n, (int64_t)k, alpha, a,
               (int64_t)lda, b, (int64_t)ldb, beta, c, (int64_t)ldc);
}

/* ---- libxsmm through the module */
typedef void (*xsmm_gemm_fn)(int, int, size_t, size_t, size_t, float, const float *, size_t,
                             const float *, size_t, float, float *, size_t, int);
static xsmm_gemm_fn sgemm_xsmm;
static int xsmm_threads = 1;

static void gemm_libxsmm(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
                         const float *a, size_t lda, const float *b, size_t ldb,
                         float beta, float *c, size_t ldc)
{
    sgemm_xsmm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, xsmm_threads);
}

int mb_peer_load(const char *name, int threads, mb_gemm_fn *fn, char *err, size_t errlen)
{
    static void *h_openblas, *h_blis, *h_onednn, *h_xsmm;
    /* oneDNN, BLIS and libxsmm's parallel path run on OpenMP: one pool, this size. */
    omp_set_num_threads(threads);
    if (!strcmp(name, "openblas")) {
        if (!h_openblas && !(h_openblas = open_first(openblas_paths, err, errlen))) return 1;
        cblas_openblas = (cblas_sgemm_fn)dlsym(h_openblas, "cblas_sgemm");
        void (*set)(int) = (void (*)(int))dlsym(h_openblas, "openblas_set_num_threads");
        if (!cblas_openblas || !set) { snprintf(err, errlen, "OpenBLAS lacks cblas_sgemm"); return 1; }
        set(threads);
        *fn = gemm_openblas;
        return 0;
    }
    if (!strcmp(name, "blis")) {
        if (!h_blis && !(h_blis = open_first(blis_paths, err, errlen))) return 1;
        cblas_blis = (cblas_sgemm_fn)dlsym(h_blis, "cblas_sgemm");
        void (*set)(long) = (void (*)(long))dlsym(h_blis, "bli_thread_set_num_threads");
        if (!cblas_blis || !set) { snprintf(err, errlen, "BLIS lacks cblas_sgemm"); return 1; }
        set(threads);
        *fn = gemm_blis;
        return 0;
    }
    if (!strcmp(name, "onednn")) {
        if (!h_onednn && !(h_onednn = open_first(onednn_paths, err, errlen))) return 1;
        sgemm_dnnl = (dnnl_sgemm_fn)dlsym(h_onednn, "dnnl_sgemm");
        if (!sgemm_dnnl) { snprintf(err, errlen, "oneDNN lacks dnnl_sgemm"); return 1; }
        *fn = gemm_onednn;
        return 0;
    }
    if (!strcmp(name, "libxsmm")) {
        char p[PATH_MAX];
        if (!h_xsmm) {
            if (xsmm_path(p, sizeof p) != 0) { snprintf(err, errlen, "no /proc/self/exe"); return 1; }
            const char *paths[] = { p, NULL };
            if (!(h_xsmm = open_first(paths, err, errlen))) return 1;
        }
        sgemm_xsmm = (xsmm_gemm_fn)dlsym(h_xsmm, "mb_xsmm_sgemm");
        if (!sgemm_xsmm) { snprintf(err, errlen, "mb-xsmm.so lacks mb_xsmm_sgemm"); return 1; }
        xsmm_threads = threads;
        *fn = gemm_libxsmm;
        return 0;
    }
    snprintf(err, errlen, "unknown peer '%s'", name);
    return 1;
}

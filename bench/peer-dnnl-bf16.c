/* peer-dnnl-bf16.c - oneDNN's BF16 matmul (dnnl_matmul, dnnl_bf16 src and
 * weights, f32 dst) for the BF16 GEMM rows, loaded with dlopen like the other
 * peers (no oneDNN header or link needed to build the suite). oneDNN 2.x C
 * API; its descriptors are opaque buffers here (696 and 2800 bytes in 2.6).
 *
 * Fairness: oneDNN gets its operands already in BF16 (converted in setup,
 * not timed) and its primitive made once per shape; Myelin takes FP32 and
 * rounds while packing, inside the timed call. Only the execute is timed.
 */
#include <dlfcn.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "myelin.h"
#include "peers.h"

typedef int64_t dims_t[12];
typedef struct { _Alignas(16) unsigned char b[4096]; } md_t;   /* dnnl_memory_desc_t (696 bytes in 2.6) */
typedef struct { _Alignas(16) unsigned char b[8192]; } mmd_t;  /* dnnl_matmul_desc_t (2800 bytes) */
typedef struct { int arg; void *memory; } exec_arg_t;
enum { DT_BF16 = 2, DT_F32 = 3, ENGINE_CPU = 1, STREAM_DEFAULT = 1, QUERY_IMPL_INFO_STR = 8,
       ARG_SRC = 1, ARG_DST = 17, ARG_WEIGHTS = 33 };

static struct {
    int (*md_strides)(md_t *, int, const dims_t, int, const dims_t);
    int (*matmul_init)(mmd_t *, const md_t *, const md_t *, const md_t *, const md_t *);
    int (*pd_create)(void **, const void *, const void *, void *, const void *);
    int (*pd_query)(const void *, int, int, void *);
    int (*pd_destroy)(void *);
    int (*prim_create)(void **, const void *);
    int (*prim_destroy)(void *);
    int (*execute)(const void *, void *, int, const exec_arg_t *);
    int (*mem_create)(void **, const md_t *, void *, void *);
    int (*mem_destroy)(void *);
    int (*engine_create)(void **, int, size_t);
    int (*stream_create)(void **, void *, unsigned);
    int (*stream_wait)(void *);
    void *engine, *stream;
} D;

struct mb_dnnl_bf16 {
    void *prim, *pd, *ma, *mb, *mc;
    uint16_t *a16, *b16;
};

static int load(char *err, size_t errlen)
{
    static void *h;
    if (h)
        return 0;
    const char *paths[] = { "/usr/lib/x86_64-linux-gnu/libdnnl.so.2", "libdnnl.so.2" };
    for (size_t i = 0; i < 2 && !h; i++)
        h = dlopen(paths[i], RTLD_NOW | RTLD_LOCAL);
    if (!h) { snprintf(err, errlen, "cannot load libdnnl.so.2: %s", dlerror()); return 1; }
#define SYM(f, n) if (!(*(void **)&D.f = dlsym(h, n))) { snprintf(err, errlen, "oneDNN lacks %s", n); return 1; }
    SYM(md_strides, "dnnl_memory_desc_init_by_strides") SYM(matmul_init, "dnnl_matmul_desc_init")
    SYM(pd_create, "dnnl_primitive_desc_create") SYM(pd_query, "dnnl_primitive_desc_query")
    SYM(pd_destroy, "dnnl_primitive_desc_destroy") SYM(prim_create, "dnnl_primitive_create")
    SYM(prim_destroy, "dnnl_primitive_destroy") SYM(execute, "dnnl_primitive_execute")
    SYM(mem_create, "dnnl_memory_create") SYM(mem_destroy, "dnnl_memory_destroy")
    SYM(engine_create, "dnnl_engine_create") SYM(stream_create, "dnnl_stream_create")
    SYM(stream_wait, "dnnl_stream_wait")
#undef SYM
    if (D.engine_create(&D.engine, ENGINE_CPU, 0) || D.stream_create(&D.stream, D.engine, STREAM_DEFAULT)) {
        snprintf(err, errlen, "oneDNN: no CPU engine or stream");
        return 1;
    }
    return 0;
}

void mb_dnnl_bf16_free(mb_dnnl_bf16 *x)
{
    if (!x) return;
    if (x->prim) D.prim_destroy(x->prim);
    if (x->pd) D.pd_destroy(x->pd);
    if (x->ma) D.mem_destroy(x->ma);
    if (x->mb) D.mem_destroy(x->mb);
    if (x->mc) D.mem_destroy(x->mc);
    free(x->a16);
    free(x->b16);
    free(x);
}

mb_dnnl_bf16 *mb_dnnl_bf16_setup(int ta, int tb, size_t m, size_t n, size_t k, const float *a, size_t lda,
                                 const float *b, size_t ldb, float *c, size_t ldc, int threads, char *impl,
                                 size_t impl_len, char *err, size_t errlen)
{
    if (load(err, errlen))
        return NULL;
    omp_set_num_threads(threads);
    mb_dnnl_bf16 *x = calloc(1, sizeof *x);
    size_t an = (ta ? k : m) * lda, bn = (tb ? n : k) * ldb;
    if (!x || !(x->a16 = malloc(an * 2)) || !(x->b16 = malloc(bn * 2))) {
        snprintf(err, errlen, "out of memory");
        mb_dnnl_bf16_free(x);
        return NULL;
    }
    /* Myelin's rounding (RNE) for the BF16 copies: the same operands for both. */
    myelin_f32_to_bf16(an, a, x->a16);
    myelin_f32_to_bf16(bn, b, x->b16);
    md_t amd, bmd, cmd;
    mmd_t mm;
    const dims_t ad = { (int64_t)m, (int64_t)k }, bd = { (int64_t)k, (int64_t)n }, cd = { (int64_t)m, (int64_t)n };
    const dims_t as = { ta ? 1 : (int64_t)lda, ta ? (int64_t)lda : 1 }, bs = { tb ? 1 : (int64_t)ldb, tb ? (int64_t)ldb : 1 };
    const dims_t cs = { (int64_t)ldc, 1 };
    const char *impl_str = NULL;
    if (D.md_strides(&amd, 2, ad, DT_BF16, as) || D.md_strides(&bmd, 2, bd, DT_BF16, bs) ||
        D.md_strides(&cmd, 2, cd, DT_F32, cs) || D.matmul_init(&mm, &amd, &bmd, NULL, &cmd) ||
        D.pd_create(&x->pd, &mm, NULL, D.engine, NULL) || D.prim_create(&x->prim, x->pd) ||
        D.mem_create(&x->ma, &amd, D.engine, x->a16) || D.mem_create(&x->mb, &bmd, D.engine, x->b16) ||
        D.mem_create(&x->mc, &cmd, D.engine, c)) {
        snprintf(err, errlen, "oneDNN: no BF16 matmul for %zux%zux%zu", m, n, k);
        mb_dnnl_bf16_free(x);
        return NULL;
    }
    if (impl && D.pd_query(x->pd, QUERY_IMPL_INFO_STR, 0, &impl_str) == 0 && impl_str)
        snprintf(impl, impl_len, "%s", impl_str);
    return x;
}

void mb_dnnl_bf16_run(mb_dnnl_bf16 *x)
{
    exec_arg_t args[3] = { { ARG_SRC, x->ma }, { ARG_WEIGHTS, x->mb }, { ARG_DST, x->mc } };
    D.execute(x->prim, D.stream, 3, args);
    D.stream_wait(D.stream);
}

int mb_dnnl_bf16_present(void) { return mb_peer_present("onednn"); }

/*
 * gemm.c - SGEMM family: the naive triple loop, Myelin on every ISA path this
 * CPU runs, and the peers (peers.c), on squares and on the neural-net
 * products. Names: gemm/<impl>/t<threads>/<shape>, shapes "sq1024",
 * "fwd_b128_784x128" (m=batch n=out k=in), "dW_b128_784x128" (Xt.dY: m=in
 * n=out k=batch, A transposed), "dX_b128_784x128" (dY.Wt: m=batch n=in k=out,
 * B transposed).
 * BF16 rows (impls myelin-bf16 and onednn-bf16, where the CPU has
 * AVX512-BF16): myelin_gemm_bf16 on FP32 operands, oneDNN's BF16 matmul on
 * BF16 copies of them; both checked against the double product of the
 * BF16-rounded operands.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "bench.h"
#include "myelin.h"
#include "peers.h"
#include "shapes.h"

enum { P_M, P_N, P_K, P_TA, P_TB };

typedef struct {
    const mb_case *c;
    size_t m, n, k, lda, ldb, ldc;
    int ta, tb;
    float *a, *b, *cm;
    mb_gemm_fn peer;
    int bf16;                 /* myelin_gemm_bf16 */
    mb_dnnl_bf16 *dnnl16;     /* oneDNN's BF16 matmul */
} gemm_ctx;

/* The naive triple loop: one dot product per output, as a textbook writes it. */
static void naive_sgemm(int ta, int tb, size_t m, size_t n, size_t k, const float *a, size_t lda,
                        const float *b, size_t ldb, float *c, size_t ldc)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            float s = 0;
            for (size_t p = 0; p < k; p++)
                s += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
            c[i * ldc + j] = s;
        }
}

static void gemm_run(void *p)
{
    gemm_ctx *x = p;
    if (x->dnnl16)
        mb_dnnl_bf16_run(x->dnnl16);
    else if (x->bf16)
        myelin_gemm_bf16((myelin_transpose)x->ta, (myelin_transpose)x->tb, x->m, x->n, x->k, 1.0f, x->a, x->lda,
                         x->b, x->ldb, 0.0f, x->cm, x->ldc);
    else if (x->peer)
        x->peer(x->ta, x->tb, x->m, x->n, x->k, 1.0f, x->a, x->lda, x->b, x->ldb, 0.0f, x->cm, x->ldc);
    else if (!strcmp(x->c->impl, "naive"))
        naive_sgemm(x->ta, x->tb, x->m, x->n, x->k, x->a, x->lda, x->b, x->ldb, x->cm, x->ldc);
    else
        myelin_sgemm((myelin_transpose)x->ta, (myelin_transpose)x->tb, x->m, x->n, x->k, 1.0f,
                     x->a, x->lda, x->b, x->ldb, 0.0f, x->cm, x->ldc);
}

static void gemm_teardown(void *p)
{
    gemm_ctx *x = p;
    if (!x) return;
    mb_dnnl_bf16_free(x->dnnl16);
    mb_free(x->a); mb_free(x->b); mb_free(x->cm); mb_free(x);
}

/* An operand as the BF16 GEMMs see it: rounded to BF16 (RNE). */
static double as_bf16(float v)
{
    uint16_t h;
    float r;
    myelin_f32_to_bf16(1, &v, &h);
    myelin_bf16_to_f32(1, &h, &r);
    return r;
}

/* Checks 64 sampled entries of C against a double-precision dot product
   (of the BF16-rounded operands for the BF16 rows). */
static int gemm_check(const gemm_ctx *x, char *err, size_t errlen)
{
    uint64_t s = 12345;
    for (int t = 0; t < 64; t++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        size_t i = (size_t)(s >> 33) % x->m, j = (size_t)(s >> 17) % x->n;
        if (t == 0) { i = 0; j = 0; }
        if (t == 1) { i = x->m - 1; j = x->n - 1; }
        double ref = 0, mag = 0;
        for (size_t p = 0; p < x->k; p++) {
            double av = x->ta ? x->a[p * x->lda + i] : x->a[i * x->lda + p];
            double bv = x->tb ? x->b[j * x->ldb + p] : x->b[p * x->ldb + j];
            if (x->bf16 || x->dnnl16) {
                av = as_bf16((float)av);
                bv = as_bf16((float)bv);
            }
            ref += av * bv;
            mag += fabs(av * bv);
        }
        double got = x->cm[i * x->ldc + j];
        if (!(fabs(got - ref) <= 1e-4 * mag + 1e-6)) {
            snprintf(err, errlen, "wrong result: C[%zu][%zu] = %g, expected %g", i, j, got, ref);
            return 1;
        }
    }
    return 0;
}

static int gemm_setup(const mb_case *c, void **ctx, char *err, size_t errlen)
{
    gemm_ctx *x = mb_alloc(sizeof *x);
    if (!x) { snprintf(err, errlen, "out of memory"); return 1; }
    x->c = c;
    x->m = (size_t)c->p[P_M]; x->n = (size_t)c->p[P_N]; x->k = (size_t)c->p[P_K];
    x->ta = (int)c->p[P_TA]; x->tb = (int)c->p[P_TB];
    /* Stored shapes: A is m x k (k x m if transposed), B is k x n (n x k). */
    x->lda = x->ta ? x->m : x->k;
    x->ldb = x->tb ? x->k : x->n;
    x->ldc = x->n;
    x->a = mb_alloc(x->m * x->k * sizeof(float));
    x->b = mb_alloc(x->k * x->n * sizeof(float));
    x->cm = mb_alloc(x->m * x->n * sizeof(float));
    *ctx = x;
    if (!x->a || !x->b || !x->cm) { snprintf(err, errlen, "out of memory"); gemm_teardown(x); return 1; }
    mb_fill_uniform(x->a, x->m * x->k, 1, -1, 1);
    mb_fill_uniform(x->b, x->k * x->n, 2, -1, 1);
    int bad = 0;
    if (!strcmp(c->impl, "onednn-bf16")) {
        char impl[128] = "";
        x->dnnl16 = mb_dnnl_bf16_setup(x->ta, x->tb, x->m, x->n, x->k, x->a, x->lda, x->b, x->ldb, x->cm, x->ldc,
                                       c->threads, impl, sizeof impl, err, errlen);
        bad = !x->dnnl16;
        if (!bad)
            fprintf(stderr, "%s: oneDNN implementation %s\n", c->name, impl);
    } else if (!strncmp(c->impl, "myelin-", 7)) {
        x->bf16 = !strcmp(c->impl, "myelin-bf16");
        bad = mb_myelin_setup(c->s, c->threads, err, errlen);
    } else if (strcmp(c->impl, "naive") != 0) {
        bad = mb_peer_load(c->impl, c->threads, &x->peer, err, errlen);
    }
    if (!bad) {
        gemm_run(x);
        bad = gemm_check(x, err, errlen);
    }
    if (bad) { gemm_teardown(x); *ctx = NULL; }
    return bad;
}

static void add_one(mb_list *l, const char *impl, const char *isa, int threads, const char *shape,
                    long m, long n, long k, int ta, int tb)
{
    mb_case *c = mb_add(l);
    if (!c) return;
    snprintf(c->name, sizeof c->name, "gemm/%s/t%d/%s", impl, threads, shape);
    snprintf(c->label, sizeof c->label, "%ldx%ldx%ld %c%c", m, n, k, ta ? 'T' : 'N', tb ? 'T' : 'N');
    c->setup = gemm_setup; c->run = gemm_run; c->teardown = gemm_teardown;
    c->impl = impl; c->s = isa; c->threads = threads;
    c->p[P_M] = m; c->p[P_N] = n; c->p[P_K] = k; c->p[P_TA] = ta; c->p[P_TB] = tb;
    c->flops = 2.0 * (double)m * (double)n * (double)k;
}

static void add_shapes(mb_list *l, const mb_config *cfg, const char *impl, const char *isa,
                       long max_square)
{
    static const long sq_quick[] = { 256, 1024, 0 };
    static const long sq_default[] = { 64, 128, 256, 512, 1024, 2048, 0 };
    static const long sq_full[] = { 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 0 };
    static const long sq_smoke[] = { 16, 0 };
    const long *sq = cfg->level == MB_SMOKE ? sq_smoke : cfg->level == MB_QUICK ? sq_quick
                   : cfg->level == MB_FULL ? sq_full : sq_default;
    char shape[48];
    for (const long *s = sq; *s; s++) {
        if (*s > max_square) continue;
        snprintf(shape, sizeof shape, "sq%ld", *s);
        add_one(l, impl, isa, cfg->threads, shape, *s, *s, *s, 0, 0);
    }
    for (int bi = 0; bi < MB_NBATCHES; bi++) {
        long b = mb_batches[bi];
        if (cfg->level == MB_QUICK && b != 128) continue;
        if (cfg->level == MB_SMOKE && b != 32) continue;
        for (int li = 0; li < MB_NLAYERS; li++) {
            long in = mb_layers[li][0], out = mb_layers[li][1];
            if (cfg->level == MB_SMOKE && in != 64) continue;
            snprintf(shape, sizeof shape, "fwd_b%ld_%ldx%ld", b, in, out);
            add_one(l, impl, isa, cfg->threads, shape, b, out, in, 0, 0);
            snprintf(shape, sizeof shape, "dW_b%ld_%ldx%ld", b, in, out);
            add_one(l, impl, isa, cfg->threads, shape, in, out, b, 1, 0);
            snprintf(shape, sizeof shape, "dX_b%ld_%ldx%ld", b, in, out);
            add_one(l, impl, isa, cfg->threads, shape, b, in, out, 0, 1);
        }
    }
}

void mb_add_gemm(mb_list *l, const mb_config *cfg)
{
    int full = cfg->level == MB_FULL;
    /* The naive loop runs at ~1 GFLOP/s: one thread, squares up to 512. */
    if (cfg->threads == 1) add_shapes(l, cfg, "naive", NULL, full ? 1024 : 512);
    static const struct { const char *impl, *isa; } paths[] = {
        { "myelin-avx512", "avx512" }, { "myelin-avx2", "avx2" }, { "myelin-scalar", "scalar" },
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        if (!myelin_isa_supported(paths[i].isa)) continue;
        /* The scalar path is the portable reference: its 2-thread figures only in FULL. */
        if (!strcmp(paths[i].isa, "scalar") && cfg->threads > 1 && !full && cfg->level != MB_SMOKE) continue;
        long max_sq = strcmp(paths[i].isa, "scalar") ? 1L << 30 : full ? 2048 : 1024;
        add_shapes(l, cfg, paths[i].impl, paths[i].isa, max_sq);
    }
    for (size_t i = 0; i < mb_peer_count; i++)
        if (mb_peer_present(mb_peer_names[i])) add_shapes(l, cfg, mb_peer_names[i], NULL, 1L << 30);
    /* BF16: only where the hardware path runs (the emulation is a reference,
       about 1 GFLOP/s; oneDNN without AVX512-BF16 has no fast BF16 either). */
    if (myelin_isa_supported("avx512bf16")) {
        add_shapes(l, cfg, "myelin-bf16", "avx512", 1L << 30);
        if (mb_dnnl_bf16_present()) add_shapes(l, cfg, "onednn-bf16", NULL, 1L << 30);
    }
}

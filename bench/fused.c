/*
 * fused.c - a dense layer's forward pass, act(X.W + b), on the neural-net
 * shapes: myelin_sgemm_bias_act in one pass ("myelin-fused") against
 * myelin_sgemm followed by a separate pass that adds the bias and then
 * myelin_activate ("myelin-unfused"). Hidden layers use ReLU, the 64->10
 * output layer softmax, as in the 784-128-64-10 net.
 * Names: fused/<impl>/t<threads>/fwd_b<batch>_<in>x<out>.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "bench.h"
#include "myelin.h"
#include "shapes.h"

enum { P_B, P_IN, P_OUT, P_ACT };

typedef struct {
    const mb_case *c;
    size_t m, n, k;
    myelin_act act;
    float *x, *w, *bias, *y;
    int status, fused;
} fused_ctx;

static void fused_run(void *p)
{
    fused_ctx *f = p;
    if (f->fused) {
        f->status = myelin_sgemm_bias_act(MYELIN_NOTRANS, MYELIN_NOTRANS, f->m, f->n, f->k, f->x, f->k,
                                          f->w, f->n, f->bias, f->act, f->y, f->n);
        return;
    }
    f->status = myelin_sgemm(MYELIN_NOTRANS, MYELIN_NOTRANS, f->m, f->n, f->k, 1.0f, f->x, f->k, f->w,
                             f->n, 0.0f, f->y, f->n);
    for (size_t i = 0; i < f->m; i++) {
        float *row = f->y + i * f->n;
        for (size_t j = 0; j < f->n; j++) row[j] += f->bias[j];
    }
    if (!f->status) f->status = myelin_activate(f->act, f->m, f->n, f->y, f->n, f->y, f->n);
}

static void fused_teardown(void *p)
{
    fused_ctx *f = p;
    if (!f) return;
    mb_free(f->x); mb_free(f->w); mb_free(f->bias); mb_free(f->y); mb_free(f);
}

static int fused_verify(void *p, char *err, size_t errlen)
{
    fused_ctx *f = p;
    if (f->status) {
        snprintf(err, errlen, "myelin: %s (%s)", myelin_strerror(f->status), myelin_last_error());
        return 1;
    }
    return 0;
}

/* Eight rows against double precision. */
static int fused_check(fused_ctx *f, char *err, size_t errlen)
{
    if (fused_verify(f, err, errlen)) return 1;
    double z[1024];
    for (size_t t = 0; t < 8; t++) {
        size_t i = t * (f->m - 1) / 7;
        double mx = -INFINITY, s = 0;
        for (size_t j = 0; j < f->n; j++) {
            double acc = f->bias[j];
            for (size_t p = 0; p < f->k; p++) acc += (double)f->x[i * f->k + p] * f->w[p * f->n + j];
            z[j] = acc;
            mx = fmax(mx, acc);
        }
        if (f->act == MYELIN_ACT_SOFTMAX) {
            for (size_t j = 0; j < f->n; j++) s += exp(z[j] - mx);
            for (size_t j = 0; j < f->n; j++) z[j] = exp(z[j] - mx) / s;
        } else {
            for (size_t j = 0; j < f->n; j++) z[j] = z[j] > 0 ? z[j] : 0;
        }
        for (size_t j = 0; j < f->n; j++) {
            double got = f->y[i * f->n + j];
            if (!(fabs(got - z[j]) <= 1e-4 * (fabs(z[j]) + 1) )) {
                snprintf(err, errlen, "wrong result: Y[%zu][%zu] = %g, expected %g", i, j, got, z[j]);
                return 1;
            }
        }
    }
    return 0;
}

static int fused_setup(const mb_case *c, void **ctx, char *err, size_t errlen)
{
    fused_ctx *f = mb_alloc(sizeof *f);
    if (!f) { snprintf(err, errlen, "out of memory"); return 1; }
    *ctx = f;
    f->c = c;
    f->m = (size_t)c->p[P_B]; f->k = (size_t)c->p[P_IN]; f->n = (size_t)c->p[P_OUT];
    f->act = (myelin_act)c->p[P_ACT];
    f->fused = !strcmp(c->impl, "myelin-fused");
    f->x = mb_alloc(f->m * f->k * sizeof(float));
    f->w = mb_alloc(f->k * f->n * sizeof(float));
    f->bias = mb_alloc(f->n * sizeof(float));
    f->y = mb_alloc(f->m * f->n * sizeof(float));
    if (!f->x || !f->w || !f->bias || !f->y) {
        snprintf(err, errlen, "out of memory"); fused_teardown(f); *ctx = NULL; return 1;
    }
    /* Inputs in [0, 1] like scaled pixels or ReLU outputs; Glorot-sized weights. */
    float r = sqrtf(6.0f / (float)(f->k + f->n));
    mb_fill_uniform(f->x, f->m * f->k, 5, 0, 1);
    mb_fill_uniform(f->w, f->k * f->n, 6, -r, r);
    mb_fill_uniform(f->bias, f->n, 7, -0.1f, 0.1f);
    if (mb_myelin_setup(NULL, c->threads, err, errlen)) { fused_teardown(f); *ctx = NULL; return 1; }
    fused_run(f);
    if (fused_check(f, err, errlen)) { fused_teardown(f); *ctx = NULL; return 1; }
    return 0;
}

void mb_add_fused(mb_list *l, const mb_config *cfg)
{
    static const char *const impls[] = { "myelin-fused", "myelin-unfused" };
    for (int bi = 0; bi < MB_NBATCHES; bi++) {
        long b = mb_batches[bi];
        if (cfg->level == MB_QUICK && b != 128) continue;
        if (cfg->level == MB_SMOKE && b != 32) continue;
        for (int li = 0; li < MB_NLAYERS; li++) {
            long in = mb_layers[li][0], out = mb_layers[li][1];
            if (cfg->level == MB_SMOKE && in != 64) continue;
            int act = li == MB_NLAYERS - 1 ? MYELIN_ACT_SOFTMAX : MYELIN_ACT_RELU;
            for (int i = 0; i < 2; i++) {
                mb_case *c = mb_add(l);
                if (!c) return;
                snprintf(c->name, sizeof c->name, "fused/%s/t%d/fwd_b%ld_%ldx%ld", impls[i], cfg->threads,
                         b, in, out);
                snprintf(c->label, sizeof c->label, "%ldx%ldx%ld + bias, %s", b, out, in,
                         act == MYELIN_ACT_RELU ? "relu" : "softmax");
                c->setup = fused_setup; c->run = fused_run; c->teardown = fused_teardown;
                c->verify = fused_verify;
                c->impl = impls[i]; c->threads = cfg->threads;
                c->p[P_B] = b; c->p[P_IN] = in; c->p[P_OUT] = out; c->p[P_ACT] = act;
                c->flops = 2.0 * (double)b * (double)in * (double)out;
            }
        }
    }
}

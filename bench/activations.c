/*
 * activations.c - element-wise activations, their backward passes and the
 * fused softmax-cross-entropy loss, on arrays that stay in L2, in GB/s beside
 * a memcpy of the same bytes and the naive libm loop.
 * Names: act/<impl>/t<threads>/<what>, impl in myelin (the default path),
 * naive, memcpy, and myelin-<isa> (softmax and its loss on each path).
 * Bytes per run: forward reads x and writes y (8 bytes per element);
 * backward reads y and dy and writes dx (12); memcpy moves what a forward
 * pass moves.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "bench.h"
#include "myelin.h"

enum { P_ACT, P_BWD, P_ROWS, P_COLS, P_LOSS };
enum { KIND_COPY = -1, KIND_LOSS = -2 };

typedef struct {
    const mb_case *c;
    size_t rows, cols, n;
    float *x, *y, *dy, *dx, *t;
    float loss;
    int status;
} act_ctx;

static void naive_fwd(int act, size_t rows, size_t cols, const float *x, float *y)
{
    size_t n = rows * cols;
    switch (act) {
    case MYELIN_ACT_RELU: for (size_t i = 0; i < n; i++) y[i] = fmaxf(x[i], 0.0f); break;
    case MYELIN_ACT_SIGMOID: for (size_t i = 0; i < n; i++) y[i] = 1.0f / (1.0f + expf(-x[i])); break;
    case MYELIN_ACT_TANH: for (size_t i = 0; i < n; i++) y[i] = tanhf(x[i]); break;
    case MYELIN_ACT_SOFTMAX:
        for (size_t r = 0; r < rows; r++) {
            const float *xr = x + r * cols;
            float *yr = y + r * cols, mx = xr[0], s = 0;
            for (size_t j = 1; j < cols; j++) mx = fmaxf(mx, xr[j]);
            for (size_t j = 0; j < cols; j++) s += (yr[j] = expf(xr[j] - mx));
            for (size_t j = 0; j < cols; j++) yr[j] /= s;
        }
        break;
    }
}

static void naive_bwd(int act, size_t rows, size_t cols, const float *y, const float *dy, float *dx)
{
    size_t n = rows * cols;
    switch (act) {
    case MYELIN_ACT_RELU: for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0 ? dy[i] : 0.0f; break;
    case MYELIN_ACT_SIGMOID: for (size_t i = 0; i < n; i++) dx[i] = dy[i] * y[i] * (1.0f - y[i]); break;
    case MYELIN_ACT_TANH: for (size_t i = 0; i < n; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]); break;
    case MYELIN_ACT_SOFTMAX:
        for (size_t r = 0; r < rows; r++) {
            const float *yr = y + r * cols, *dyr = dy + r * cols;
            float *dxr = dx + r * cols, s = 0;
            for (size_t j = 0; j < cols; j++) s += dyr[j] * yr[j];
            for (size_t j = 0; j < cols; j++) dxr[j] = yr[j] * (dyr[j] - s);
        }
        break;
    }
}

/* Softmax cross-entropy on logits with one-hot targets: mean loss and (p - t)/rows. */
static float naive_softmax_ce(size_t rows, size_t cols, const float *z, const float *t, float *g)
{
    double total = 0;
    for (size_t r = 0; r < rows; r++) {
        const float *zr = z + r * cols, *tr = t + r * cols;
        float *gr = g + r * cols, mx = zr[0], s = 0;
        for (size_t j = 1; j < cols; j++) mx = fmaxf(mx, zr[j]);
        for (size_t j = 0; j < cols; j++) s += (gr[j] = expf(zr[j] - mx));
        float lse = logf(s) + mx;
        for (size_t j = 0; j < cols; j++) {
            total += tr[j] * (lse - zr[j]);
            gr[j] = (gr[j] / s - tr[j]) / (float)rows;
        }
    }
    return (float)(total / (double)rows);
}

static void act_run(void *p)
{
    act_ctx *x = p;
    const mb_case *c = x->c;
    int act = (int)c->p[P_ACT];
    int myelin = !strncmp(c->impl, "myelin", 6);
    if (act == KIND_COPY) {
        memcpy(x->y, x->x, x->n * sizeof(float));
    } else if (act == KIND_LOSS) {
        if (myelin)
            x->status = myelin_loss_eval(MYELIN_LOSS_SOFTMAX_CE, x->rows, x->cols, x->x, x->cols, x->t,
                                         x->cols, &x->loss, x->dx, x->cols);
        else
            x->loss = naive_softmax_ce(x->rows, x->cols, x->x, x->t, x->dx);
    } else if (c->p[P_BWD]) {
        if (myelin)
            x->status = myelin_activate_backward((myelin_act)act, x->rows, x->cols, x->y, x->cols,
                                                 x->dy, x->cols, x->dx, x->cols);
        else
            naive_bwd(act, x->rows, x->cols, x->y, x->dy, x->dx);
    } else {
        if (myelin)
            x->status = myelin_activate((myelin_act)act, x->rows, x->cols, x->x, x->cols, x->y, x->cols);
        else
            naive_fwd(act, x->rows, x->cols, x->x, x->y);
    }
}

static void act_teardown(void *p)
{
    act_ctx *x = p;
    if (!x) return;
    mb_free(x->x); mb_free(x->y); mb_free(x->dy); mb_free(x->dx); mb_free(x->t); mb_free(x);
}

static double ref_act(int act, double v)
{
    switch (act) {
    case MYELIN_ACT_RELU: return v > 0 ? v : 0;
    case MYELIN_ACT_SIGMOID: return 1 / (1 + exp(-v));
    case MYELIN_ACT_TANH: return tanh(v);
    }
    return v;
}

/* After one run: every output against a double reference (the arrays are small). */
static int act_check(act_ctx *x, char *err, size_t errlen)
{
    int act = (int)x->c->p[P_ACT];
    if (x->status) {
        snprintf(err, errlen, "myelin: %s (%s)", myelin_strerror(x->status), myelin_last_error());
        return 1;
    }
    for (size_t r = 0; r < x->rows; r++) {
        double mx = -INFINITY, s = 0, lse = 0;
        const float *xr = x->x + r * x->cols;
        if (act == MYELIN_ACT_SOFTMAX || act == KIND_LOSS) {
            for (size_t j = 0; j < x->cols; j++) mx = fmax(mx, xr[j]);
            for (size_t j = 0; j < x->cols; j++) s += exp(xr[j] - mx);
            lse = log(s) + mx;
        }
        double sdy = 0;
        if (act == MYELIN_ACT_SOFTMAX && x->c->p[P_BWD])
            for (size_t j = 0; j < x->cols; j++) sdy += (double)x->dy[r * x->cols + j] * x->y[r * x->cols + j];
        for (size_t j = 0; j < x->cols; j++) {
            size_t i = r * x->cols + j;
            double ref, got;
            if (act == KIND_COPY) { ref = xr[j]; got = x->y[i]; }
            else if (act == KIND_LOSS) { ref = (exp(xr[j] - lse) - x->t[i]) / (double)x->rows; got = x->dx[i]; }
            else if (x->c->p[P_BWD]) {
                double y = x->y[i], dy = x->dy[i];
                ref = act == MYELIN_ACT_RELU ? (y > 0 ? dy : 0) : act == MYELIN_ACT_SIGMOID ? dy * y * (1 - y)
                    : act == MYELIN_ACT_TANH ? dy * (1 - y * y) : y * (dy - sdy);
                got = x->dx[i];
            } else {
                ref = act == MYELIN_ACT_SOFTMAX ? exp(xr[j] - lse) : ref_act(act, xr[j]);
                got = x->y[i];
            }
            if (!(fabs(got - ref) <= 1e-5 * fabs(ref) + 1e-6)) {
                snprintf(err, errlen, "wrong result at [%zu][%zu]: %.9g, expected %.9g", r, j, got, ref);
                return 1;
            }
        }
    }
    return 0;
}

static int act_setup(const mb_case *c, void **ctx, char *err, size_t errlen)
{
    act_ctx *x = mb_alloc(sizeof *x);
    if (!x) { snprintf(err, errlen, "out of memory"); return 1; }
    *ctx = x;
    x->c = c;
    x->rows = (size_t)c->p[P_ROWS]; x->cols = (size_t)c->p[P_COLS]; x->n = x->rows * x->cols;
    size_t bytes = x->n * sizeof(float);
    x->x = mb_alloc(bytes); x->y = mb_alloc(bytes); x->dy = mb_alloc(bytes);
    x->dx = mb_alloc(bytes); x->t = mb_alloc(bytes);
    if (!x->x || !x->y || !x->dy || !x->dx || !x->t) {
        snprintf(err, errlen, "out of memory"); act_teardown(x); *ctx = NULL; return 1;
    }
    if (!strncmp(c->impl, "myelin", 6) && mb_myelin_setup(c->impl[6] == '-' ? c->impl + 7 : NULL, c->threads, err, errlen)) {
        act_teardown(x); *ctx = NULL; return 1;
    }
    int act = (int)c->p[P_ACT];
    mb_fill_uniform(x->x, x->n, 3, -8, 8);
    mb_fill_uniform(x->dy, x->n, 4, -1, 1);
    /* y: a plausible forward output for the backward passes. */
    if (act >= 0) naive_fwd(act, x->rows, x->cols, x->x, x->y);
    for (size_t r = 0; r < x->rows; r++) x->t[r * x->cols + r % x->cols] = 1.0f;
    act_run(x);
    if (act_check(x, err, errlen)) { act_teardown(x); *ctx = NULL; return 1; }
    return 0;
}

static int act_verify(void *p, char *err, size_t errlen)
{
    act_ctx *x = p;
    if (x->status) {
        snprintf(err, errlen, "myelin: %s (%s)", myelin_strerror(x->status), myelin_last_error());
        return 1;
    }
    return 0;
}

static void add_one(mb_list *l, const mb_config *cfg, const char *impl, const char *what, int act,
                    int bwd, long rows, long cols, double bytes_per_elem)
{
    mb_case *c = mb_add(l);
    if (!c) return;
    snprintf(c->name, sizeof c->name, "act/%s/t%d/%s", impl, cfg->threads, what);
    snprintf(c->label, sizeof c->label, "%ld x %ld floats", rows, cols);
    c->setup = act_setup; c->run = act_run; c->teardown = act_teardown; c->verify = act_verify;
    c->impl = impl; c->threads = cfg->threads;
    c->p[P_ACT] = act; c->p[P_BWD] = bwd; c->p[P_ROWS] = rows; c->p[P_COLS] = cols;
    c->bytes = bytes_per_elem * (double)rows * (double)cols;
    if (act == KIND_LOSS) c->items = (double)rows;
}

void mb_add_activations(mb_list *l, const mb_config *cfg)
{
    /* 32 x 1024 floats: 128 KiB per array, so x and y (and dy) stay in L2. */
    long rows = cfg->level == MB_SMOKE ? 2 : 32, cols = 1024;
    static const struct { const char *name; int act; } acts[] = {
        { "relu", MYELIN_ACT_RELU }, { "sigmoid", MYELIN_ACT_SIGMOID }, { "tanh", MYELIN_ACT_TANH },
        { "softmax", MYELIN_ACT_SOFTMAX },
    };
    add_one(l, cfg, "memcpy", "copy", KIND_COPY, 0, rows, cols, 8);
    char what[32];
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
        for (int bwd = 0; bwd <= 1; bwd++) {
            if (cfg->level == MB_QUICK && (bwd || acts[i].act == MYELIN_ACT_SOFTMAX)) continue;
            snprintf(what, sizeof what, "%s_%s", acts[i].name, bwd ? "bwd" : "fwd");
            /* Softmax runs over rows of the output layer's width at a large batch. */
            long r = acts[i].act == MYELIN_ACT_SOFTMAX ? rows * 1024 / 10 : rows;
            long cl = acts[i].act == MYELIN_ACT_SOFTMAX ? 10 : cols;
            add_one(l, cfg, "myelin", what, acts[i].act, bwd, r, cl, bwd ? 12 : 8);
            add_one(l, cfg, "naive", what, acts[i].act, bwd, r, cl, bwd ? 12 : 8);
        }
    /* Softmax cross-entropy on logits, 10 classes: reads z and t, writes the gradient. */
    long lr = cfg->level == MB_SMOKE ? 32 : 4096;
    add_one(l, cfg, "myelin", "softmax_ce_loss", KIND_LOSS, 0, lr, 10, 12);
    add_one(l, cfg, "naive", "softmax_ce_loss", KIND_LOSS, 0, lr, 10, 12);
    /* The output layer's calls on every path the CPU runs, not only the
       default one (issue 20: at least 2x the naive loop on each). */
    static const char *const paths[] = {"myelin-avx512", "myelin-avx2", "myelin-neon", "myelin-scalar"};
    if (cfg->level == MB_QUICK)
        return;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        if (!myelin_isa_supported(paths[i] + 7))
            continue;
        add_one(l, cfg, paths[i], "softmax_fwd", MYELIN_ACT_SOFTMAX, 0, rows * 1024 / 10, 10, 8);
        add_one(l, cfg, paths[i], "softmax_bwd", MYELIN_ACT_SOFTMAX, 1, rows * 1024 / 10, 10, 12);
        add_one(l, cfg, paths[i], "softmax_ce_loss", KIND_LOSS, 0, lr, 10, 12);
    }
}

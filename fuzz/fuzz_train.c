/* libFuzzer target: the training API with arbitrary values. One input is
   a network string (up to the first newline or NUL) for
   myelin_net_create_str, then bytes that pick the loss, every
   myelin_train_opts field, the shapes and contents of a training set (and
   an optional validation set: rows, columns, floats or bytes, y or labels,
   mismatches, NaN/inf, out-of-range labels), an input transform, the leaky
   slope and callbacks that stop training. Every call must return a status;
   every failure a known status and a non-empty myelin_last_error(); a
   rejected training call must leave the weights alone, and one that ran
   (OK, ESTOPPED, ENUMERIC) must leave them finite. Predict, predict_proba
   and evaluate then run on the same (possibly mismatched) set.

   Sizes are clamped so that an input costs well under a millisecond:
   widths in the string above 16 become 16, at most 16 rows, 2 epochs. The
   training engine (the engine sources but the GEMM, kernels, dispatch and tuning)
   is compiled with the sanitizers and coverage (fuzz/fuzz.mk). */
#include "myelin.h"

#include <float.h>
#include <stdio.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_SPEC = 512, MAX_ROWS = 16, MAX_WIDTH = 16, MAX_EPOCHS = 2 };

typedef struct {
    const uint8_t *p;
    size_t n;
} bytes;

static uint8_t u8(bytes *b)
{
    if (!b->n)
        return 0;
    b->n--;
    return *b->p++;
}

/* A parameter value: specials (0, -0, NaN, +-inf, negatives, the edges of
   [0, 1), huge, tiny, subnormal) or 1e-8 .. 1e2 on a log scale. */
static float param(bytes *b)
{
    static const float special[24] = {
        0.0f, -0.0f, NAN, INFINITY, -INFINITY, -1.0f, 1.0f, FLT_MAX, FLT_MIN, 1e-45f, 1e30f, -1e-3f,
        0.5f, 0.99999994f, 1.0000001f, 2.0f, 0.9f, 0.999f, 1e-8f, 0.1f, 0.01f, -FLT_MAX, -NAN, 1e-3f};
    const uint8_t v = u8(b);
    if (v < 24)
        return special[v];
    return powf(10.0f, -8.0f + 10.0f * (float)(v - 24) / 231.0f);
}

/* A data value: mostly small, sometimes NaN, inf or huge. */
static float value(bytes *b)
{
    const uint8_t v = u8(b);
    switch (v) {
    case 0xFF: return NAN;
    case 0xFE: return INFINITY;
    case 0xFD: return -INFINITY;
    case 0xFC: return 1e30f;
    case 0xFB: return -FLT_MAX;
    case 0xFA: return 1e-40f;
    default: return ((float)v - 125.0f) / 32.0f;
    }
}

static int32_t label(bytes *b)
{
    const uint8_t v = u8(b);
    if (v == 0x80)
        return INT32_MIN;
    if (v == 0x7F)
        return INT32_MAX;
    return (int8_t)v;
}

static int debug; /* FUZZ_TRAIN_DEBUG=1: each call's status and message on stderr */

static void check_status(int st)
{
    if (debug)
        fprintf(stderr, "  status %d: %s\n", st, st ? myelin_last_error() : "");
    if (st == MYELIN_OK)
        return;
    if (st < MYELIN_ESTOPPED || st > MYELIN_EINVAL)
        __builtin_trap(); /* not a myelin_status */
    const char *m = myelin_last_error();
    if (!m || !m[0])
        __builtin_trap(); /* a failure without a message */
}

/* The network string with every width (a field's leading digits, as the
   parser reads them: at most 9 digits after blanks) above MAX_WIDTH made
   MAX_WIDTH, so that no input asks for a large net. Longer digit runs stay:
   the parser rejects them. */
static void clamp_widths(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    int field_start = 1;
    for (size_t i = 0; in[i] && o + 3 < cap;) {
        if (field_start) {
            field_start = 0;
            while ((in[i] == ' ' || in[i] == '\t') && o + 3 < cap)
                out[o++] = in[i++];
            size_t d = 0;
            while (in[i + d] >= '0' && in[i + d] <= '9')
                d++;
            if (d > 0 && d <= 9) {
                unsigned long v = 0;
                for (size_t j = 0; j < d; j++)
                    v = v * 10 + (unsigned long)(in[i + j] - '0');
                if (v > MAX_WIDTH) {
                    out[o++] = '1';
                    out[o++] = '6';
                    i += d;
                    continue;
                }
            }
            continue;
        }
        if (in[i] == ',')
            field_start = 1;
        out[o++] = in[i++];
    }
    out[o] = 0;
}

typedef struct {
    size_t rows, cols, y_cols;
    float *x, *y;
    uint8_t *x_u8;
    int32_t *labels;
    myelin_dataset d;
} owned_set;

/* A set drawn from the bytes: shapes near the net's (or not), exactly one of
   x and x_u8 (or neither, or both), y or labels (or neither, or both). */
static void make_set(bytes *b, size_t inputs, size_t outputs, owned_set *s)
{
    memset(s, 0, sizeof *s);
    const uint8_t shape = u8(b), kinds = u8(b);
    s->rows = u8(b) % (MAX_ROWS + 1);
    s->cols = shape & 1 ? (size_t)(u8(b) % (MAX_WIDTH + 1)) : inputs;
    s->y_cols = shape & 2 ? (size_t)(u8(b) % (MAX_WIDTH + 1)) : outputs;
    const int xk = kinds & 3, tk = (kinds >> 2) & 3; /* 0 floats, 1 bytes, 2 both, 3 neither */
    const size_t nx = s->rows * s->cols, ny = s->rows * s->y_cols;
    if (xk == 0 || xk == 2) {
        s->x = malloc(nx * sizeof(float) + 1);
        for (size_t i = 0; i < nx; i++)
            s->x[i] = value(b);
    }
    if (xk == 1 || xk == 2) {
        s->x_u8 = malloc(nx + 1);
        for (size_t i = 0; i < nx; i++)
            s->x_u8[i] = u8(b);
    }
    if (tk == 0 || tk == 2) { /* labels: 0..outputs mostly, anything sometimes */
        s->labels = malloc(s->rows * sizeof(int32_t) + 1);
        for (size_t i = 0; i < s->rows; i++)
            s->labels[i] = kinds & 0x10 ? label(b) : (int32_t)(u8(b) % (outputs > 1 ? outputs : 2));
    }
    if (tk == 1 || tk == 2) {
        s->y = malloc(ny * sizeof(float) + 1);
        for (size_t i = 0; i < ny; i++)
            s->y[i] = kinds & 0x20 ? value(b) : (float)(u8(b) & 1);
    }
    s->d = (myelin_dataset){s->rows, s->cols, s->x, s->x_u8, s->y, s->y_cols, s->labels};
}

static void free_set(owned_set *s)
{
    free(s->x);
    free(s->x_u8);
    free(s->y);
    free(s->labels);
}

static size_t n_params(const myelin_net *net)
{
    size_t n = 0, fan_in = myelin_net_inputs(net);
    for (size_t l = 0; l < myelin_net_num_layers(net); l++) {
        myelin_layer_spec s;
        if (myelin_net_layer(net, l, &s))
            __builtin_trap();
        n += fan_in * s.units + s.units;
        fan_in = s.units;
    }
    return n;
}

/* All weights and biases, layer after layer. */
static void get_all(const myelin_net *net, float *p)
{
    size_t fan_in = myelin_net_inputs(net);
    for (size_t l = 0; l < myelin_net_num_layers(net); l++) {
        myelin_layer_spec s;
        myelin_net_layer(net, l, &s);
        if (myelin_net_get_params(net, l, p, p + fan_in * s.units))
            __builtin_trap();
        p += fan_in * s.units + s.units;
        fan_in = s.units;
    }
}

typedef struct {
    int epoch_stop, batch_stop; /* stop at this call (0: never) */
    int epochs_seen, batches_seen;
} cb_state;

static int on_epoch(const myelin_epoch_stats *es, void *user)
{
    cb_state *c = user;
    if (!es || !es->schedule)
        __builtin_trap();
    return ++c->epochs_seen == c->epoch_stop;
}

static int on_batch(size_t done, size_t total, double running, void *user)
{
    cb_state *c = user;
    if (done == 0 || done > total)
        __builtin_trap();
    return ++c->batches_seen == c->batch_stop;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    myelin_set_num_threads(1); /* small steps run on one thread anyway */
    debug = getenv("FUZZ_TRAIN_DEBUG") != NULL;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the network string: up to the first newline or NUL */
    size_t slen = 0;
    while (slen < size && slen < MAX_SPEC && data[slen] != '\n' && data[slen] != 0)
        slen++;
    char raw[MAX_SPEC + 1], spec[MAX_SPEC + 1];
    memcpy(raw, data, slen);
    raw[slen] = 0;
    clamp_widths(raw, spec, sizeof spec);
    bytes b = {data + slen, size - slen};
    u8(&b); /* the separator */

    const uint8_t lossb = u8(&b);
    const myelin_loss loss = lossb < 0xF0 ? (myelin_loss)(lossb % 6) : (myelin_loss)(int8_t)lossb;
    const uint64_t net_seed = u8(&b);
    myelin_net *net = (myelin_net *)&net; /* must become NULL on failure */
    if (debug)
        fprintf(stderr, "net \"%s\" loss %d\n", spec, (int)loss);
    int st = myelin_net_create_str(spec, loss, net_seed, &net);
    check_status(st);
    if (st) {
        if (net)
            __builtin_trap();
        return 0;
    }
    const size_t inputs = myelin_net_inputs(net), outputs = myelin_net_outputs(net);
    char summary[8192];
    check_status(myelin_net_summary(net, summary, sizeof summary));

    /* the options */
    myelin_train_opts o;
    myelin_train_opts_default(&o);
    const uint8_t flags = u8(&b), flags2 = u8(&b);
    const uint8_t optb = u8(&b), schedb = u8(&b);
    o.opt = optb < 0xF0 ? (myelin_optimizer)(optb % 6) : (myelin_optimizer)(int8_t)optb;
    o.schedule = schedb < 0xF0 ? (myelin_schedule)(schedb % 3) : (myelin_schedule)(int8_t)schedb;
    if (flags & 0x01) {
        o.lr = param(&b);
        o.momentum = param(&b);
        o.beta1 = param(&b);
        o.beta2 = param(&b);
        o.rho = param(&b);
        o.eps = param(&b);
        o.decay = param(&b);
        o.layer_decay = param(&b);
        o.l1 = param(&b);
        o.l2 = param(&b);
    } else {
        o.lr = param(&b);
    }
    const uint8_t de = u8(&b), ep = u8(&b), bt = u8(&b);
    o.decay_epochs = de == 0xFF ? SIZE_MAX : de % 4;
    o.epochs = ep % (MAX_EPOCHS + 1);
    o.batch = bt == 0xFF ? SIZE_MAX : bt % (MAX_ROWS + 2);
    o.shuffle = (int8_t)u8(&b);
    o.seed = (uint64_t)u8(&b) * 0x9E3779B97F4A7C15ull;
    o.profile = flags & 0x02;
    cb_state cb = {0, 0, 0, 0};
    if (flags & 0x04) {
        cb.epoch_stop = u8(&b) % 3;
        o.on_epoch = on_epoch;
        o.on_epoch_user = &cb;
    }
    if (flags & 0x08) {
        cb.batch_stop = u8(&b) % 8;
        o.on_batch = on_batch;
        o.on_batch_user = &cb;
    }
    if (flags & 0x10) { /* another leaky slope (process-wide; reset below) */
        const float slope = param(&b);
        check_status(myelin_set_leaky_slope(slope));
    }

    owned_set tr, val;
    make_set(&b, inputs, outputs, &tr);
    memset(&val, 0, sizeof val);
    if (flags & 0x20) {
        make_set(&b, inputs, outputs, &val);
        o.val = &val.d;
    }
    if (flags & 0x40) { /* an input transform, maybe of the wrong width or non-finite */
        const size_t n = flags2 & 1 ? (size_t)(u8(&b) % (MAX_WIDTH + 1)) : inputs;
        float off[MAX_WIDTH + 1], sc[MAX_WIDTH + 1];
        for (size_t j = 0; j < n; j++) {
            off[j] = value(&b);
            sc[j] = value(&b);
        }
        check_status(myelin_net_set_input_transform(net, flags2 & 2 ? NULL : off, flags2 & 4 ? NULL : sc, n));
    }

    /* train (twice, maybe: the second run reuses the cached buffers) */
    const size_t np = n_params(net);
    float *before = malloc(np * sizeof(float) + 1), *after = malloc(np * sizeof(float) + 1);
    const int runs = flags & 0x80 ? 2 : 1;
    for (int run = 0; run < runs; run++) {
        get_all(net, before);
        /* NULL: the defaults (10 epochs), so only on small nets */
        st = myelin_train(net, &tr.d, flags2 & 8 && myelin_net_num_layers(net) <= 4 ? NULL : &o);
        check_status(st);
        get_all(net, after);
        if (debug)
            for (size_t i = 0; i < np; i++)
                fprintf(stderr, "%s%g%s", i ? " " : "  weights ", (double)after[i], i + 1 == np ? "\n" : "");
        if (st == MYELIN_EINVAL && memcmp(before, after, np * sizeof(float)) != 0)
            __builtin_trap(); /* a rejected call changed the weights */
        if (st == MYELIN_OK || st == MYELIN_ESTOPPED || st == MYELIN_ENUMERIC)
            for (size_t i = 0; i < np; i++)
                if (!isfinite(after[i]))
                    __builtin_trap(); /* training left a non-finite weight */
        if (st == MYELIN_OK || st == MYELIN_ESTOPPED || st == MYELIN_ENUMERIC) {
            myelin_profile prof;
            st = myelin_net_profile(net, &prof);
            check_status(st);
        }
        cb.epochs_seen = cb.batches_seen = 0;
        o.shuffle = !o.shuffle;
    }

    /* inference on the same set */
    if (tr.rows <= MAX_ROWS) {
        float proba[MAX_ROWS * MAX_WIDTH + 1];
        int32_t cls[MAX_ROWS + 1];
        double l, a;
        check_status(myelin_predict_proba(net, &tr.d, proba, outputs));
        check_status(myelin_predict(net, &tr.d, cls));
        check_status(myelin_evaluate(net, &tr.d, &l, &a));
    }

    free(before);
    free(after);
    free_set(&tr);
    free_set(&val);
    myelin_net_free(net);
    myelin_set_leaky_slope(0.01f);
    return 0;
}

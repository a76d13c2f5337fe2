/* Networks: validation of the description, creation, accessors, summary,
   parameters, input transform, and the "784,128:relu,10:softmax" parser. */
#include "params.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *act_name(myelin_act a)
{
    static const char *names[] = {"linear", "relu", "leaky_relu", "sigmoid", "tanh", "softmax"};
    return (unsigned)a < 6 ? names[a] : "?";
}

static const char *loss_name(myelin_loss l)
{
    static const char *names[] = {"mse", "mae", "bce", "bce_logits", "ce", "softmax_ce"};
    return (unsigned)l < 6 ? names[l] : "?";
}

static const char *init_name(myelin_init i)
{
    static const char *names[] = {"glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "uniform", "normal"};
    return (unsigned)i < 6 ? names[i] : "?";
}

myelin_layer_spec myelin_layer_default(size_t units, myelin_act act)
{
    myelin_layer_spec s;
    memset(&s, 0, sizeof s);
    s.units = units;
    s.act = act;
    s.init = MYELIN_INIT_GLOROT_UNIFORM;
    s.init_scale = 0.05f;
    s.bias_init = 0.0f;
    s.lr_mult = 1.0f;
    return s;
}

/* Which fusion a (last activation, loss) pair gets, or -1 with a message when
   the pair makes no sense. */
static int choose_fusion(myelin_act last, size_t outputs, myelin_loss loss)
{
    switch (loss) {
    case MYELIN_LOSS_MSE:
    case MYELIN_LOSS_MAE:
        return MYL_FUSE_NONE;
    case MYELIN_LOSS_BCE:
    case MYELIN_LOSS_BCE_LOGITS:
        if (outputs != 1)
            return myl_fail(MYELIN_EINVAL, "loss %s is binary: the last layer must have 1 output, not %zu "
                            "(use ce/softmax_ce for several classes)", loss_name(loss), outputs), -1;
        if (last == MYELIN_ACT_SIGMOID || (loss == MYELIN_LOSS_BCE_LOGITS && last == MYELIN_ACT_LINEAR))
            return MYL_FUSE_SIGMOID_BCE;
        return myl_fail(MYELIN_EINVAL, "loss %s needs a sigmoid output layer%s, not %s", loss_name(loss),
                        loss == MYELIN_LOSS_BCE_LOGITS ? " (or linear logits)" : "", act_name(last)), -1;
    case MYELIN_LOSS_CE:
    case MYELIN_LOSS_SOFTMAX_CE:
        if (outputs < 2)
            return myl_fail(MYELIN_EINVAL, "loss %s needs at least 2 outputs (the last layer has %zu; "
                            "use bce with a sigmoid output for two classes)", loss_name(loss), outputs), -1;
        if (last == MYELIN_ACT_SOFTMAX || (loss == MYELIN_LOSS_SOFTMAX_CE && last == MYELIN_ACT_LINEAR))
            return MYL_FUSE_SOFTMAX_CE;
        return myl_fail(MYELIN_EINVAL, "loss %s needs a softmax output layer%s, not %s", loss_name(loss),
                        loss == MYELIN_LOSS_SOFTMAX_CE ? " (or linear logits)" : "", act_name(last)), -1;
    }
    return myl_fail(MYELIN_EINVAL, "loss %d is not a myelin_loss", (int)loss), -1;
}

static int check_spec(const myelin_net_spec *spec, int *fuse)
{
    if (!spec)
        return myl_fail(MYELIN_EINVAL, "myelin_net_create: spec is NULL");
    if (spec->inputs == 0)
        return myl_fail(MYELIN_EINVAL, "network: the input width is 0");
    if (spec->n_layers < 1 || spec->n_layers > MYELIN_MAX_LAYERS)
        return myl_fail(MYELIN_EINVAL, "network: %zu layers (want 1..%d)", spec->n_layers, MYELIN_MAX_LAYERS);
    if (!spec->layers)
        return myl_fail(MYELIN_EINVAL, "network: layers is NULL");
    size_t fan_in = spec->inputs;
    for (size_t l = 0; l < spec->n_layers; l++) {
        const myelin_layer_spec *s = &spec->layers[l];
        size_t n;
        if (s->units == 0)
            return myl_fail(MYELIN_EINVAL, "layer %zu: 0 units", l);
        if (s->units > ((size_t)1 << 24) || !myl_mul_ok(fan_in, s->units, &n) || n > ((size_t)1 << 31))
            return myl_fail(MYELIN_EINVAL, "layer %zu: %zu x %zu weights is too large", l, fan_in, s->units);
        if ((unsigned)s->act > MYELIN_ACT_SOFTMAX)
            return myl_fail(MYELIN_EINVAL, "layer %zu: activation %d is not a myelin_act", l, (int)s->act);
        if (s->act == MYELIN_ACT_SOFTMAX && l + 1 != spec->n_layers)
            return myl_fail(MYELIN_EINVAL, "layer %zu: softmax is only allowed on the last layer (%zu)", l,
                            spec->n_layers - 1);
        if (s->act == MYELIN_ACT_SOFTMAX && s->units < 2)
            return myl_fail(MYELIN_EINVAL, "layer %zu: softmax over 1 unit is always 1 (use sigmoid)", l);
        if ((unsigned)s->init > MYELIN_INIT_NORMAL)
            return myl_fail(MYELIN_EINVAL, "layer %zu: initialiser %d is not a myelin_init", l, (int)s->init);
        if ((s->init == MYELIN_INIT_UNIFORM || s->init == MYELIN_INIT_NORMAL) &&
            !(isfinite(s->init_scale) && s->init_scale > 0.0f))
            return myl_fail(MYELIN_EINVAL, "layer %zu: init_scale %g must be finite and > 0 for %s", l,
                            (double)s->init_scale, init_name(s->init));
        if (!(isfinite(s->bias_init) && s->bias_init >= 0.0f))
            return myl_fail(MYELIN_EINVAL, "layer %zu: bias_init %g must be finite and >= 0", l,
                            (double)s->bias_init);
        if (!(isfinite(s->lr_mult) && s->lr_mult >= 0.0f))
            return myl_fail(MYELIN_EINVAL, "layer %zu: lr_mult %g must be finite and >= 0", l,
                            (double)s->lr_mult);
        if (!(s->dropout >= 0.0f && s->dropout < 1.0f))
            return myl_fail(MYELIN_EINVAL, "layer %zu: dropout %g must be in [0, 1)", l, (double)s->dropout);
        if (!(s->dropconnect >= 0.0f && s->dropconnect < 1.0f))
            return myl_fail(MYELIN_EINVAL, "layer %zu: dropconnect %g must be in [0, 1)", l,
                            (double)s->dropconnect);
        fan_in = s->units;
    }
    const myelin_layer_spec *last = &spec->layers[spec->n_layers - 1];
    int f = choose_fusion(last->act, last->units, spec->loss);
    if (f < 0)
        return MYELIN_EINVAL;
    *fuse = f;
    return MYELIN_OK;
}

void myelin_net_free(myelin_net *net)
{
    if (!net)
        return;
    if (net->train_cache_free)
        net->train_cache_free(net->train_cache);
    myl_params_free(net);
    for (size_t l = 0; l < net->n_layers; l++) {
        myl_free(net->w[l]);
        myl_free(net->b[l]);
    }
    myl_free(net->in_offset);
    myl_free(net->in_scale);
    free(net);
}

int myelin_net_create(const myelin_net_spec *spec, uint64_t seed, myelin_net **out)
{
    if (!out)
        return myl_fail(MYELIN_EINVAL, "myelin_net_create: out is NULL");
    *out = NULL;
    int fuse = 0;
    int st = check_spec(spec, &fuse);
    if (st)
        return st;
    myelin_net *net = calloc(1, sizeof *net);
    if (!net)
        return myl_fail(MYELIN_ENOMEM, "myelin_net_create: out of memory");
    net->inputs = spec->inputs;
    net->n_layers = spec->n_layers;
    net->loss = spec->loss;
    net->fuse = fuse;
    size_t fan_in = spec->inputs;
    for (size_t l = 0; l < spec->n_layers; l++) {
        net->spec[l] = spec->layers[l];
        net->fan_in[l] = fan_in;
        net->w[l] = myl_alloc(fan_in * spec->layers[l].units * sizeof(float));
        net->b[l] = myl_alloc(spec->layers[l].units * sizeof(float));
        if (!net->w[l] || !net->b[l]) {
            myelin_net_free(net);
            return myl_fail(MYELIN_ENOMEM, "myelin_net_create: no memory for layer %zu's %zu x %zu weights", l,
                            fan_in, spec->layers[l].units);
        }
        fan_in = spec->layers[l].units;
    }
    net->in_offset = myl_alloc(spec->inputs * sizeof(float));
    net->in_scale = myl_alloc(spec->inputs * sizeof(float));
    if (!net->in_offset || !net->in_scale) {
        myelin_net_free(net);
        return myl_fail(MYELIN_ENOMEM, "myelin_net_create: out of memory");
    }
    for (size_t j = 0; j < spec->inputs; j++) {
        net->in_offset[j] = 0.0f;
        net->in_scale[j] = 1.0f;
    }
    myl_net_init_params(net, seed);
    *out = net;
    return MYELIN_OK;
}

size_t myelin_net_inputs(const myelin_net *net) { return net ? net->inputs : 0; }
size_t myelin_net_outputs(const myelin_net *net) { return net ? net->spec[net->n_layers - 1].units : 0; }
size_t myelin_net_num_layers(const myelin_net *net) { return net ? net->n_layers : 0; }
myelin_loss myelin_net_loss(const myelin_net *net) { return net ? net->loss : MYELIN_LOSS_MSE; }

size_t myl_net_max_width(const myelin_net *net)
{
    size_t m = net->inputs;
    for (size_t l = 0; l < net->n_layers; l++)
        if (net->spec[l].units > m)
            m = net->spec[l].units;
    return m;
}

int myelin_net_layer(const myelin_net *net, size_t layer, myelin_layer_spec *spec)
{
    if (!net || !spec)
        return myl_fail(MYELIN_EINVAL, "myelin_net_layer: %s is NULL", !net ? "net" : "spec");
    if (layer >= net->n_layers)
        return myl_fail(MYELIN_EINVAL, "myelin_net_layer: layer %zu does not exist (the net has %zu)", layer,
                        net->n_layers);
    *spec = net->spec[layer];
    return MYELIN_OK;
}

int myelin_net_summary(const myelin_net *net, char *buf, size_t len)
{
    if (!net || !buf || len == 0)
        return myl_fail(MYELIN_EINVAL, "myelin_net_summary: %s", !net ? "net is NULL" : !buf ? "buf is NULL" : "len is 0");
    size_t off = 0, total = 0;
#define PUT(...) do { int w_ = snprintf(buf + off, off < len ? len - off : 0, __VA_ARGS__); \
                      if (w_ > 0) off += (size_t)w_; } while (0)
    PUT("%-6s %-12s %-11s %-15s %10s  %s\n", "layer", "shape", "activation", "init", "params", "options");
    PUT("%-6s %-12zu %-11s %-15s %10s\n", "input", net->inputs, "-", "-", "0");
    for (size_t l = 0; l < net->n_layers; l++) {
        const myelin_layer_spec *s = &net->spec[l];
        char shape[48], opts[128];
        size_t p = net->fan_in[l] * s->units + s->units;
        total += p;
        snprintf(shape, sizeof shape, "%zux%zu", net->fan_in[l], s->units);
        int o = 0;
        opts[0] = 0;
        if (s->dropout > 0)
            o += snprintf(opts + o, sizeof opts - (size_t)o, "dropout %g ", (double)s->dropout);
        if (s->dropconnect > 0 && o < (int)sizeof opts)
            o += snprintf(opts + o, sizeof opts - (size_t)o, "dropconnect %g ", (double)s->dropconnect);
        if (s->lr_mult != 1.0f && o < (int)sizeof opts)
            o += snprintf(opts + o, sizeof opts - (size_t)o, "lr x%g ", (double)s->lr_mult);
        if (s->bias_init > 0 && o < (int)sizeof opts)
            snprintf(opts + o, sizeof opts - (size_t)o, "bias U(+-%g)", (double)s->bias_init);
        for (size_t e = strlen(opts); e > 0 && opts[e - 1] == ' '; e--)
            opts[e - 1] = 0;
        PUT("%-6zu %-12s %-11s %-15s %10zu%s%s\n", l, shape, act_name(s->act), init_name(s->init), p,
            opts[0] ? "  " : "", opts);
    }
    PUT("loss %s%s; %zu parameters\n", loss_name(net->loss),
        net->fuse == MYL_FUSE_SOFTMAX_CE ? " (fused with softmax)" :
        net->fuse == MYL_FUSE_SIGMOID_BCE ? " (fused with sigmoid)" : "", total);
#undef PUT
    if (off >= len)
        return myl_fail(MYELIN_EINVAL, "myelin_net_summary: buffer of %zu bytes too small (need %zu)", len, off + 1);
    return MYELIN_OK;
}

int myelin_net_get_params(const myelin_net *net, size_t layer, float *w, float *b)
{
    if (!net)
        return myl_fail(MYELIN_EINVAL, "myelin_net_get_params: net is NULL");
    if (layer >= net->n_layers)
        return myl_fail(MYELIN_EINVAL, "myelin_net_get_params: layer %zu does not exist (the net has %zu)", layer,
                        net->n_layers);
    if (!w && !b)
        return myl_fail(MYELIN_EINVAL, "myelin_net_get_params: w and b are both NULL");
    if (w) /* from a training callback, say: layer 0 may be in training's blocks */
        myl_params_read(net, layer, w);
    if (b)
        memcpy(b, net->b[layer], net->spec[layer].units * sizeof(float));
    return MYELIN_OK;
}

int myelin_net_set_params(myelin_net *net, size_t layer, const float *w, const float *b)
{
    if (!net)
        return myl_fail(MYELIN_EINVAL, "myelin_net_set_params: net is NULL");
    if (layer >= net->n_layers)
        return myl_fail(MYELIN_EINVAL, "myelin_net_set_params: layer %zu does not exist (the net has %zu)", layer,
                        net->n_layers);
    if (!w && !b)
        return myl_fail(MYELIN_EINVAL, "myelin_net_set_params: w and b are both NULL");
    size_t nw = net->fan_in[layer] * net->spec[layer].units, nb = net->spec[layer].units;
    for (size_t i = 0; w && i < nw; i++)
        if (!isfinite(w[i]))
            return myl_fail(MYELIN_EINVAL, "myelin_net_set_params: layer %zu weight %zu (row %zu, col %zu) is %g",
                            layer, i, i / nb, i % nb, (double)w[i]);
    for (size_t i = 0; b && i < nb; i++)
        if (!isfinite(b[i]))
            return myl_fail(MYELIN_EINVAL, "myelin_net_set_params: layer %zu bias %zu is %g", layer, i, (double)b[i]);
    if (w)
        myl_params_write(net, layer, w);
    if (b)
        memcpy(net->b[layer], b, nb * sizeof(float));
    return MYELIN_OK;
}

int myelin_net_set_input_transform(myelin_net *net, const float *offset, const float *scale, size_t n)
{
    if (!net)
        return myl_fail(MYELIN_EINVAL, "myelin_net_set_input_transform: net is NULL");
    if (n != net->inputs)
        return myl_fail(MYELIN_EINVAL, "myelin_net_set_input_transform: n (%zu) != the input width (%zu)", n,
                        net->inputs);
    for (size_t j = 0; j < n; j++) {
        if (offset && !isfinite(offset[j]))
            return myl_fail(MYELIN_EINVAL, "myelin_net_set_input_transform: offset[%zu] is %g", j, (double)offset[j]);
        if (scale && !isfinite(scale[j]))
            return myl_fail(MYELIN_EINVAL, "myelin_net_set_input_transform: scale[%zu] is %g", j, (double)scale[j]);
    }
    int any = 0;
    for (size_t j = 0; j < n; j++) {
        net->in_offset[j] = offset ? offset[j] : 0.0f;
        net->in_scale[j] = scale ? scale[j] : 1.0f;
        any |= net->in_offset[j] != 0.0f || net->in_scale[j] != 1.0f;
    }
    net->has_transform = any;
    return MYELIN_OK;
}

int myelin_net_get_input_transform(const myelin_net *net, float *offset, float *scale, size_t n)
{
    if (!net)
        return myl_fail(MYELIN_EINVAL, "myelin_net_get_input_transform: net is NULL");
    if (n != net->inputs)
        return myl_fail(MYELIN_EINVAL, "myelin_net_get_input_transform: n (%zu) != the input width (%zu)", n,
                        net->inputs);
    if (!offset && !scale)
        return myl_fail(MYELIN_EINVAL, "myelin_net_get_input_transform: offset and scale are both NULL");
    if (offset)
        memcpy(offset, net->in_offset, n * sizeof(float));
    if (scale)
        memcpy(scale, net->in_scale, n * sizeof(float));
    return MYELIN_OK;
}

/* ------------------------------------------------------------ the parser */

static int parse_size(const char *s, size_t len, size_t *out)
{
    if (len == 0 || len > 9)
        return 0;
    size_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (size_t)(s[i] - '0');
    }
    *out = v;
    return 1;
}

static int parse_float(const char *s, float *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v))
        return 0;
    *out = (float)v;
    return 1;
}

/* One option token of layer l ("relu", "he_normal", "dropout=0.2" ...). */
static int parse_option(const char *tok, size_t l, myelin_layer_spec *s, int *have_act)
{
    static const char *acts[] = {"linear", "relu", "leaky_relu", "sigmoid", "tanh", "softmax"};
    static const struct { const char *name; myelin_init init; } inits[] = {
        {"glorot_uniform", MYELIN_INIT_GLOROT_UNIFORM}, {"xavier_uniform", MYELIN_INIT_GLOROT_UNIFORM},
        {"xavier", MYELIN_INIT_GLOROT_UNIFORM}, {"glorot", MYELIN_INIT_GLOROT_UNIFORM},
        {"glorot_normal", MYELIN_INIT_GLOROT_NORMAL}, {"xavier_normal", MYELIN_INIT_GLOROT_NORMAL},
        {"he_normal", MYELIN_INIT_HE_NORMAL}, {"he_uniform", MYELIN_INIT_HE_UNIFORM}, {"he", MYELIN_INIT_HE_NORMAL},
    };
    for (int i = 0; i < 6; i++)
        if (!strcasecmp(tok, acts[i]) || (i == 2 && !strcasecmp(tok, "leaky"))) {
            if (*have_act)
                return myl_fail(MYELIN_EINVAL, "layer %zu: a second activation \"%s\"", l, tok);
            s->act = (myelin_act)i;
            *have_act = 1;
            return MYELIN_OK;
        }
    for (size_t i = 0; i < sizeof inits / sizeof inits[0]; i++)
        if (!strcasecmp(tok, inits[i].name)) {
            s->init = inits[i].init;
            return MYELIN_OK;
        }
    const char *eq = strchr(tok, '=');
    if (eq) {
        size_t klen = (size_t)(eq - tok);
        float v;
        if (!parse_float(eq + 1, &v))
            return myl_fail(MYELIN_EINVAL, "layer %zu: \"%s\": the value is not a finite number", l, tok);
#define KEY(k) (klen == strlen(k) && !strncasecmp(tok, k, klen))
        if (KEY("uniform")) { s->init = MYELIN_INIT_UNIFORM; s->init_scale = v; return MYELIN_OK; }
        if (KEY("normal")) { s->init = MYELIN_INIT_NORMAL; s->init_scale = v; return MYELIN_OK; }
        if (KEY("dropout")) { s->dropout = v; return MYELIN_OK; }
        if (KEY("dropconnect")) { s->dropconnect = v; return MYELIN_OK; }
        if (KEY("lr") || KEY("lr_mult")) { s->lr_mult = v; return MYELIN_OK; }
        if (KEY("bias")) { s->bias_init = v; return MYELIN_OK; }
#undef KEY
    }
    return myl_fail(MYELIN_EINVAL, "layer %zu: unknown option \"%s\" (activations: linear relu leaky_relu "
                    "sigmoid tanh softmax; inits: glorot_uniform glorot_normal he_normal he_uniform uniform=R "
                    "normal=S; dropout=P dropconnect=P lr=X bias=R)", l, tok);
}

int myelin_net_create_str(const char *layers, myelin_loss loss, uint64_t seed, myelin_net **out)
{
    if (!out)
        return myl_fail(MYELIN_EINVAL, "myelin_net_create_str: out is NULL");
    *out = NULL;
    if (!layers)
        return myl_fail(MYELIN_EINVAL, "myelin_net_create_str: layers is NULL");
    myelin_layer_spec spec[MYELIN_MAX_LAYERS];
    size_t inputs = 0, n = 0, field = 0;
    const char *p = layers;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t flen = end ? (size_t)(end - p) : strlen(p);
        char tok[128];
        if (flen >= sizeof tok)
            return myl_fail(MYELIN_EINVAL, "network \"%s\": field %zu is too long", layers, field);
        memcpy(tok, p, flen);
        tok[flen] = 0;
        /* trim blanks */
        char *t = tok;
        while (*t == ' ' || *t == '\t')
            t++;
        for (size_t e = strlen(t); e > 0 && (t[e - 1] == ' ' || t[e - 1] == '\t'); e--)
            t[e - 1] = 0;
        char *colon = strchr(t, ':');
        size_t units;
        if (!parse_size(t, colon ? (size_t)(colon - t) : strlen(t), &units) || units == 0)
            return myl_fail(MYELIN_EINVAL, "network \"%s\": field %zu (\"%s\") must start with a width > 0",
                            layers, field, t);
        if (field == 0) {
            if (colon)
                return myl_fail(MYELIN_EINVAL, "network \"%s\": the first field is the input width, without options",
                                layers);
            inputs = units;
        } else {
            if (n == MYELIN_MAX_LAYERS)
                return myl_fail(MYELIN_EINVAL, "network \"%s\": more than %d layers", layers, MYELIN_MAX_LAYERS);
            myelin_layer_spec *s = &spec[n];
            *s = myelin_layer_default(units, MYELIN_ACT_LINEAR);
            int have_act = 0;
            while (colon) {
                char *opt = colon + 1;
                colon = strchr(opt, ':');
                if (colon)
                    *colon = 0;
                if (!*opt)
                    return myl_fail(MYELIN_EINVAL, "network \"%s\": layer %zu has an empty option", layers, n);
                int st = parse_option(opt, n, s, &have_act);
                if (st)
                    return st;
            }
            n++;
        }
        field++;
        if (!end)
            break;
        p = end + 1;
    }
    if (n == 0)
        return myl_fail(MYELIN_EINVAL, "network \"%s\": no layers after the input width", layers);
    myelin_net_spec ns = {inputs, n, spec, loss};
    return myelin_net_create(&ns, seed, out);
}

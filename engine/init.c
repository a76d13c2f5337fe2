/* Parameter initialisers. Each weight is a pure function of (seed, layer,
   index) through the counter-based generator, so a net of a given seed is the
   same whatever else ran before it. */
#include "network.h"
#include "rng.h"

#include <math.h>

static double unit_open(uint64_t key, uint64_t i) /* U[-1, 1) */
{
    return (double)(myl_rng_u64(key, i) >> 11) * 0x1.0p-52 - 1.0;
}

void myl_net_init_params(myelin_net *net, uint64_t seed)
{
    for (size_t l = 0; l < net->n_layers; l++) {
        const myelin_layer_spec *s = &net->spec[l];
        const double fin = (double)net->fan_in[l], fout = (double)s->units;
        const size_t nw = net->fan_in[l] * s->units;
        const uint64_t kw = myl_rng_key(seed, MYL_STREAM_INIT_W, l, 0);
        double r = 0.0, sigma = 0.0; /* uniform half-width, or normal deviation */
        switch (s->init) {
        case MYELIN_INIT_GLOROT_UNIFORM: r = sqrt(6.0 / (fin + fout)); break;
        case MYELIN_INIT_GLOROT_NORMAL: sigma = sqrt(2.0 / (fin + fout)); break;
        case MYELIN_INIT_HE_NORMAL: sigma = sqrt(2.0 / fin); break;
        case MYELIN_INIT_HE_UNIFORM: r = sqrt(6.0 / fin); break;
        case MYELIN_INIT_UNIFORM: r = s->init_scale; break;
        case MYELIN_INIT_NORMAL: sigma = s->init_scale; break;
        }
        float *w = net->w[l];
        if (r > 0.0)
            for (size_t i = 0; i < nw; i++)
                w[i] = (float)(r * unit_open(kw, i));
        else
            for (size_t i = 0; i < nw; i++)
                w[i] = (float)(sigma * myl_rng_normal(kw, i));
        const uint64_t kb = myl_rng_key(seed, MYL_STREAM_INIT_B, l, 0);
        for (size_t j = 0; j < s->units; j++)
            net->b[l][j] = s->bias_init > 0.0f ? (float)(s->bias_init * unit_open(kb, j)) : 0.0f;
    }
}

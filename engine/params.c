/* The weights' layout (params.h).

   Why column blocks: in the net's row-major matrix every row of layer 0
   holds both threads' units, so two threads updating their halves share
   every cache line of it; the steps that split layer 0 by units ran
   measurably slower that way (figures: docs/performance.md). Each block is
   row-major with its own width, so each thread's update writes lines only
   it holds. The blocks are filled at such a step's start, each by the
   thread that owns it, and stay live until training settles them back. */
#include "params.h"

#include <math.h>
#include <string.h>

static int blocked(const myelin_net *net, size_t l) { return l == 0 && net->layout.live; }

int myl_params_views(const myelin_net *net, size_t l, myl_param_view v[2])
{
    const size_t n = net->spec[l].units;
    if (!blocked(net, l)) {
        v[0] = (myl_param_view){net->w[l], 0, n, n};
        return 1;
    }
    const size_t c0 = net->layout.c0;
    v[0] = (myl_param_view){net->layout.blocks, 0, c0, c0};
    v[1] = (myl_param_view){net->layout.blocks + net->fan_in[0] * c0, c0, n - c0, n - c0};
    return 2;
}

/* Copies between the blocks' view v and columns of the row-major m. */
static void view_copy(const myl_param_view *v, size_t rows, size_t n, float *m, float *blk, int to_block)
{
    for (size_t i = 0; i < rows; i++) {
        if (to_block)
            memcpy(blk + i * v->ld, m + i * n + v->col0, v->cols * sizeof(float));
        else
            memcpy(m + i * n + v->col0, v->w + i * v->ld, v->cols * sizeof(float));
    }
}

void myl_params_read(const myelin_net *net, size_t l, float *dst)
{
    myl_param_view v[2];
    const int nv = myl_params_views(net, l, v);
    for (int h = 0; h < nv; h++)
        view_copy(&v[h], net->fan_in[l], net->spec[l].units, dst, NULL, 0);
}

void myl_params_write(myelin_net *net, size_t l, const float *src)
{
    const size_t n = net->spec[l].units, fin = net->fan_in[l];
    if (blocked(net, l)) {
        myl_param_view v[2];
        myl_params_views(net, l, v);
        for (int h = 0; h < 2; h++)
            view_copy(&v[h], fin, n, (float *)src, (float *)v[h].w, 1);
    } else {
        memcpy(net->w[l], src, fin * n * sizeof(float));
    }
    net->layout.gen++; /* steps that keep copies of weights refill them */
}

void myl_params_sums(const myelin_net *net, size_t l, size_t lo, size_t hi, double *s1, double *s2)
{
    myl_param_view v[2];
    const int nv = myl_params_views(net, l, v);
    const size_t n = net->spec[l].units;
    for (size_t i = lo; i < hi;) {
        const size_t row = i / n, col = i % n;
        const myl_param_view *b = nv == 2 && col >= v[1].col0 ? &v[1] : &v[0];
        const float *p = b->w + row * b->ld + (col - b->col0);
        const size_t run = b->col0 + b->cols - col, len = hi - i < run ? hi - i : run;
        for (size_t j = 0; j < len; j++) {
            *s1 += fabsf(p[j]);
            *s2 += (double)p[j] * p[j];
        }
        i += len;
    }
}

int myl_params_blocks_alloc(myelin_net *net, size_t c0)
{
    myl_param_layout *lo = &net->layout;
    if (lo->blocks && lo->c0 == c0)
        return MYELIN_OK;
    myl_params_settle(net);
    myl_free(lo->blocks);
    lo->c0 = 0;
    lo->blocks = myl_alloc(net->fan_in[0] * net->spec[0].units * sizeof(float));
    if (!lo->blocks)
        return MYELIN_ENOMEM;
    lo->c0 = c0;
    return MYELIN_OK;
}

float *myl_params_block(myelin_net *net, int h, size_t *ld, size_t *col0)
{
    const size_t n = net->spec[0].units, c0 = net->layout.c0;
    *ld = h ? n - c0 : c0;
    *col0 = h ? c0 : 0;
    return net->layout.blocks + (h ? net->fan_in[0] * c0 : 0);
}

int myl_params_enter_blocks(myelin_net *net)
{
    const int was = net->layout.live;
    net->layout.live = 1;
    return was;
}

void myl_params_block_load(myelin_net *net, int h)
{
    size_t ld, col0;
    float *blk = myl_params_block(net, h, &ld, &col0);
    const myl_param_view v = {blk, col0, ld, ld};
    view_copy(&v, net->fan_in[0], net->spec[0].units, net->w[0], blk, 1);
}

void myl_params_block_store(const myelin_net *net, int h, float *dst)
{
    myl_param_view v[2];
    if (myl_params_views(net, 0, v) == 2)
        view_copy(&v[h], net->fan_in[0], net->spec[0].units, dst, NULL, 0);
}

void myl_params_settle(myelin_net *net)
{
    if (!net->layout.live)
        return;
    myl_params_read(net, 0, net->w[0]);
    net->layout.live = 0;
}

void myl_params_free(myelin_net *net)
{
    myl_free(net->layout.blocks);
    memset(&net->layout, 0, sizeof net->layout);
}
